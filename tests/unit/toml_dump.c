/* tests/unit/toml_dump.c — owned by the TOML module: `toml-dump FILE` prints the parsed
 * TOML tree as JSON so tests/e2e/test_toml_oracle.py can diff it against Python's tomllib.
 * Exit status: 0 parsed, 1 parse error (message on stderr), 2 usage or I/O error. */
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "toml.h"

static json_t *dump_value(const toml_value *v)
{
    json_t *out = NULL;

    switch (toml_type_of(v)) {
    case TOML_TABLE:
        out = json_object();
        for (size_t i = 0; out && i < toml_table_size(v); i++) {
            json_t *child = dump_value(toml_table_value(v, i));

            /* json_object_set_new steals child even when it fails. */
            if (!child || json_object_set_new(out, toml_table_key(v, i), child) != 0) {
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
    case TOML_STRING:
        out = json_string(toml_string(v));
        break;
    case TOML_INTEGER:
        out = json_integer((json_int_t)toml_integer(v));
        break;
    case TOML_BOOLEAN:
        out = json_boolean(toml_boolean(v));
        break;
    }
    return out;
}

/* Reads the whole file; the parser wants one contiguous buffer. */
static char *read_file(const char *path, size_t *len)
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

int main(int argc, char **argv)
{
    char err[512];
    size_t len = 0;
    char *text = NULL;
    toml_value *root = NULL;
    json_t *json = NULL;
    int rc = 2;

    if (argc != 2) {
        fprintf(stderr, "usage: toml-dump FILE.toml\n");
        goto out;
    }
    text = read_file(argv[1], &len);
    if (!text) {
        fprintf(stderr, "toml-dump: %s: %s\n", argv[1], strerror(errno));
        goto out;
    }
    root = toml_parse(text, len, err, sizeof err);
    if (!root) {
        fprintf(stderr, "%s: %s\n", argv[1], err);
        rc = 1;
        goto out;
    }
    json = dump_value(root);
    if (!json || json_dumpf(json, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER) != 0 ||
        fputc('\n', stdout) == EOF || fflush(stdout) != 0) {
        fprintf(stderr, "toml-dump: cannot write JSON\n");
        goto out;
    }
    rc = 0;
out:
    json_decref(json);
    toml_free(root);
    free(text);
    return rc;
}
