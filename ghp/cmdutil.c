/*
 * cmdutil.c - the flags and error reports every porcelain command shares
 * (see cmdutil.h), so each command's parser only reads its own flags.
 */
#include "cmdutil.h"

#include "ghp.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* One shared flag into o; false when id is the command's own. */
static bool
cmdutil_flag(struct cmdutil_opts *o, int id, const char *value)
{
	switch (id) {
	case CMDUTIL_F_REPO:
		o->repo = value;
		return true;
	case CMDUTIL_F_JSON:
		if (o->json_values == NULL)
			o->json_values = json_array();
		json_array_append_new(o->json_values, json_string(value));
		return true;
	case CMDUTIL_F_JQ:
		o->ex.jq = value;
		return true;
	case CMDUTIL_F_TEMPLATE:
		o->ex.template = value;
		return true;
	}
	return false;
}

int
cmdutil_parse(int argc, char **argv, int start, const struct args_flag *flags,
    struct cmdutil_opts *com, const char **arg, const char *const *list_fields,
    cmdutil_flag_fn own, void *opts)
{
	struct args a;
	const char *v;
	int id, rc;

	args_init(&a, argc, argv, start);
	for (;;) {
		switch (args_next(&a, flags, &id, &v)) {
		case ARGS_END:
			return 0;
		case ARGS_POSITIONAL:
			if (arg == NULL || *arg != NULL)
				return GHP_FALLTHROUGH;   /* gh: unknown command or too many arguments */
			*arg = v;
			continue;
		case ARGS_UNKNOWN:
			if (list_fields != NULL && a.i == a.argc && a.i > 0 &&
			    strcmp(a.argv[a.i - 1], "--json") == 0) {
				export_add_fields(&com->ex, NULL, list_fields);
				return 1;
			}
			return GHP_FALLTHROUGH;
		case ARGS_FLAG:
			break;
		}
		if (!cmdutil_flag(com, id, v) && (rc = own(opts, id, v)) != 0)
			return rc;
	}
}

int
cmdutil_apply_json(struct cmdutil_opts *o, const char *const *fields)
{
	json_t *v;
	size_t i;

	json_array_foreach(o->json_values, i, v)
		if (export_add_fields(&o->ex, json_string_value(v), fields) != 0)
			return 1;
	return export_check(&o->ex) != 0 ? 1 : 0;
}

void
cmdutil_opts_free(struct cmdutil_opts *o)
{
	json_decref(o->json_values);
	o->json_values = NULL;
	export_free(&o->ex);
}

bool
cmdutil_on(const char *value)
{
	return value == NULL || strcmp(value, "true") == 0;
}

bool
cmdutil_parse_limit(const char *s, long *n)
{
	char *end;

	*n = strtol(s, &end, 10);
	return *s >= '0' && *s <= '9' && *end == '\0' && *n >= 1 && *n <= 1000000;
}

int
cmdutil_query_escape(const char *s, char *out, size_t len)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t n = 0;

	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (n + 4 > len)
			return -1;
		if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		    c == '-' || c == '_' || c == '.' || c == '~') {
			out[n++] = (char)c;
		} else if (c == ' ') {
			out[n++] = '+';
		} else {
			out[n++] = '%';
			out[n++] = hex[c >> 4];
			out[n++] = hex[c & 15];
		}
	}
	out[n] = '\0';
	return 0;
}

int
cmdutil_fail(enum client_status st, const struct client_error *err, const char *prefix,
    const char *path)
{
	if (st == CLIENT_UNAVAILABLE)
		return GHP_FALLTHROUGH;
	if (err->status == 0)
		fprintf(stderr, "%s%s\n", prefix, err->message);
	else
		fprintf(stderr, "%sHTTP %ld: %s (https://api.github.com%s)\n", prefix, err->status,
		    err->message, path);
	if (err->status == 401)
		fprintf(stderr, "Try authenticating with:  gh auth login\n");
	return 1;
}
