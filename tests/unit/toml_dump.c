/*
 * toml_dump.c - the toml-dump test tool (owned by the TOML module).
 *
 * Prints parsed TOML as JSON so tests/e2e/test_toml_oracle.py can diff our
 * parser against Python's tomllib.
 *
 *   toml-dump FILE            tree as JSON on stdout, exit 0; on a parse error
 *                             "FILE: line N: message" on stderr, exit 1
 *   toml-dump --jsonl FILE... one compact JSON object per file and line:
 *                             {"tree": ...} or {"error": "line N: ..."}, exit 0
 *
 * Usage and I/O errors exit 2. --jsonl exists because the oracle feeds
 * hundreds of documents and a process per document is too slow under ASan.
 */
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "toml.h"

static json_t *
dump_value(const toml_value *v)
{
	json_t *out = NULL;

	switch (toml_type_of(v)) {
	case TOML_TABLE:
		out = json_object();
		for (size_t i = 0; out && i < toml_table_size(v); i++) {
			json_t *child = dump_value(toml_table_value(v, i));

			/*
			 * json_object_set_new steals child even when it fails.
			 */
			if (!child ||
			    json_object_set_new(
				out, toml_table_key(v, i), child) != 0) {
				json_decref(out);
				out = NULL;
			}
		}
		break;
	case TOML_ARRAY:
		out = json_array();
		for (size_t i = 0; out && i < toml_array_size(v); i++) {
			json_t *child = dump_value(toml_array_at(v, i));

			if (!child || json_array_append_new(out, child) != 0) {
				json_decref(out);
				out = NULL;
			}
		}
		break;
	case TOML_STRING: out = json_string(toml_string(v)); break;
	case TOML_INTEGER:
		out = json_integer((json_int_t)toml_integer(v));
		break;
	case TOML_BOOLEAN: out = json_boolean(toml_boolean(v)); break;
	}
	return out;
}

/* Reads the whole file; the parser wants one contiguous buffer. */
static char *
read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	size_t cap = 0, n = 0;
	bool ok = f != NULL;

	while (ok) {
		size_t got;

		if (cap - n < 4096) {
			char *grown = realloc(buf, cap ? cap * 2 : 8192);

			ok = grown != NULL;
			if (!ok)
				break;
			buf = grown;
			cap = cap ? cap * 2 : 8192;
		}
		got = fread(buf + n, 1, cap - n, f);
		n += got;
		if (got == 0) {
			ok = !ferror(f);
			break;
		}
	}
	if (f)
		fclose(f);
	if (!ok) {
		free(buf);
		buf = NULL;
	}
	*len = n;
	return buf;
}

static bool
write_json(json_t *json, size_t flags)
{
	return json && json_dumpf(json, stdout, flags) == 0 &&
	    fputc('\n', stdout) != EOF;
}

/* Returns the process exit status for this file (0, 1 or 2). */
static int
dump_file(const char *path, bool jsonl)
{
	char err[512];
	size_t len = 0;
	char *text = read_file(path, &len);
	toml_value *root = NULL;
	json_t *json = NULL;
	int rc = 2;

	if (!text) {
		fprintf(stderr, "toml-dump: %s: %s\n", path, strerror(errno));
		goto out;
	}
	root = toml_parse(text, len, err, sizeof err);
	if (!root && !jsonl) {
		fprintf(stderr, "%s: %s\n", path, err);
		rc = 1;
		goto out;
	}
	if (jsonl)
		json = root ? json_pack("{s:o}", "tree", dump_value(root))
			    : json_pack("{s:s}", "error", err);
	else
		json = dump_value(root);
	if (!write_json(json,
		JSON_PRESERVE_ORDER |
		    (jsonl ? JSON_COMPACT : JSON_INDENT(2)))) {
		fprintf(stderr, "toml-dump: %s: cannot write JSON\n", path);
		goto out;
	}
	rc = 0;
out:
	json_decref(json);
	toml_free(root);
	free(text);
	return rc;
}

int
main(int argc, char **argv)
{
	bool jsonl = argc >= 2 && strcmp(argv[1], "--jsonl") == 0;
	int rc = 0;

	if (jsonl ? argc < 3 : argc != 2) {
		fprintf(stderr,
		    "usage: toml-dump FILE.toml | toml-dump --jsonl FILE.toml...\n");
		return 2;
	}
	for (int i = jsonl ? 2 : 1; i < argc && rc == 0; i++)
		rc = dump_file(argv[i], jsonl);
	if (fflush(stdout) != 0) {
		fprintf(stderr, "toml-dump: cannot write JSON\n");
		rc = 2;
	}
	return rc;
}
