/*
 * export.c - field selection and the three ways of printing it.
 */
#include "export.h"
#include "gotmpl.h"
#include "jqrun.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void
export_list_fields(const char *const *available)
{
	for (size_t i = 0; available[i] != NULL; i++)
		fprintf(stderr, "  %s\n", available[i]);
}

int
export_add_fields(struct export_opts *o, const char *value, const char *const *available)
{
	const char *p = value;

	o->json = true;
	if (value == NULL || *value == '\0') {
		fprintf(stderr, "Specify one or more comma-separated fields for `--json`:\n");
		export_list_fields(available);
		return -1;
	}
	while (*p) {
		size_t n = strcspn(p, ","), i;

		for (i = 0; available[i] != NULL; i++)
			if (strlen(available[i]) == n && strncmp(available[i], p, n) == 0)
				break;
		if (available[i] == NULL) {
			fprintf(stderr, "Unknown JSON field: \"%.*s\"\nAvailable fields:\n", (int)n, p);
			export_list_fields(available);
			return -1;
		}
		if (!export_wants(o, available[i])) {
			o->fields = realloc(o->fields, (o->n_fields + 1) * sizeof(char *));
			o->fields[o->n_fields++] = strdup(available[i]);
		}
		p += n + (p[n] == ',');
	}
	return 0;
}

int
export_check(const struct export_opts *o)
{
	if (o->jq != NULL && !o->json) {
		fprintf(stderr, "cannot use `--jq` without specifying `--json`\n");
		return -1;
	}
	if (o->template != NULL && !o->json) {
		fprintf(stderr, "cannot use `--template` without specifying `--json`\n");
		return -1;
	}
	return 0;
}

bool
export_wants(const struct export_opts *o, const char *field)
{
	for (size_t i = 0; i < o->n_fields; i++)
		if (strcmp(o->fields[i], field) == 0)
			return true;
	return false;
}

static int
export_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The requested fields of one object, keys sorted byte-wise. */
static json_t *
export_select(const struct export_opts *o, char **sorted, const json_t *obj)
{
	json_t *out = json_object();

	for (size_t i = 0; i < o->n_fields; i++) {
		json_t *v = json_object_get(obj, sorted[i]);

		json_object_set(out, sorted[i], v ? v : json_null());
	}
	return out;
}

int
export_print(const struct export_opts *o, const json_t *data, const struct ghp_env *e)
{
	char **sorted = malloc((o->n_fields ? o->n_fields : 1) * sizeof(char *));
	json_t *doc, *item;
	size_t i;
	char *text, err[512];
	int rc = 0;

	memcpy(sorted, o->fields, o->n_fields * sizeof(char *));
	qsort(sorted, o->n_fields, sizeof(char *), export_cmp);
	if (json_is_array(data)) {
		doc = json_array();
		json_array_foreach(data, i, item)
			json_array_append_new(doc, export_select(o, sorted, item));
	} else {
		doc = export_select(o, sorted, data);
	}
	free(sorted);
	if (o->jq != NULL) {
		struct jqrun *jq = jqrun_new(o->jq);

		text = json_dumps(doc, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_ENCODE_ANY);
		rc = jq == NULL || jqrun_eval(jq, text, strlen(text), stdout, e->tty) != 0;
		jqrun_free(jq);
		free(text);
	} else if (o->template != NULL) {
		struct gotmpl *t = gotmpl_parse(o->template, err, sizeof(err));

		/* The engine's tty flag only switches autocolor: gh's rule is colour's. */
		if (t == NULL || gotmpl_execute(t, doc, stdout, e->color, e->width,
		    (long long)e->now, err, sizeof(err)) != 0) {
			fflush(stdout);
			fprintf(stderr, "%s\n", err);
			rc = 1;
		}
		gotmpl_free(t);
	} else {
		/* Compact when colour is off; two-space indent when it is on. */
		text = json_dumps(doc, JSON_PRESERVE_ORDER | JSON_ENCODE_ANY |
		    (e->color ? JSON_INDENT(2) : JSON_COMPACT));
		fputs(text, stdout);
		fputc('\n', stdout);
		free(text);
	}
	json_decref(doc);
	return rc;
}

void
export_free(struct export_opts *o)
{
	for (size_t i = 0; i < o->n_fields; i++)
		free(o->fields[i]);
	free(o->fields);
	o->fields = NULL;
	o->n_fields = 0;
}
