/*
 * toml.h - public API of ghpool's TOML parser (owned by the TOML module).
 *
 * Parses ghpool's configuration files (TOML 1.0 minus floats and date-times)
 * into a read-only tree of tables, arrays, strings, integers and booleans.
 * Every node remembers its line so config errors can point at the source.
 */
#ifndef GHPOOL_TOML_H
#define GHPOOL_TOML_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum {
	TOML_TABLE,
	TOML_ARRAY,
	TOML_STRING,
	TOML_INTEGER,
	TOML_BOOLEAN
} toml_type;

typedef struct toml_value toml_value;

/*
 * Parses text (len bytes, need not be NUL-terminated). Returns the root
 * table, or NULL with "line N: message" written to err (errlen bytes, always
 * NUL-terminated). A leading UTF-8 BOM is skipped and CRLF line endings are
 * accepted. err may be NULL when errlen is 0.
 */
toml_value *toml_parse(const char *text, size_t len, char *err, size_t errlen);

/* Frees the whole tree; NULL ok. Only for a root returned by toml_parse. */
void toml_free(toml_value *v);

/* v must not be NULL. */
toml_type toml_type_of(const toml_value *v);

/* "table", "array", "string", "integer" or "boolean", for config errors. */
const char *toml_type_name(toml_type type);

/*
 * Line where the value (or table header) was defined; 1 for the root, 0 for
 * NULL. A table created implicitly by [a.b] reports that header's line until
 * an explicit [a] defines it.
 */
int toml_line(const toml_value *v);

/*
 * Tables keep document order. The index accessors return NULL/0 when t is
 * not a table or i is out of range.
 */
size_t toml_table_size(const toml_value *t);
const char *toml_table_key(const toml_value *t, size_t i);
const toml_value *toml_table_value(const toml_value *t, size_t i);
const toml_value *toml_table_get(const toml_value *t, const char *key); /* NULL if absent */

/*
 * Return NULL/0 when a is not an array or i is out of range. An array of
 * tables ([[x]]) is a TOML_ARRAY whose elements are TOML_TABLEs.
 */
size_t toml_array_size(const toml_value *a);
const toml_value *toml_array_at(const toml_value *a, size_t i);

/*
 * Return NULL / 0 / false when v has another type. Strings are NUL-terminated
 * UTF-8 and never contain NUL (\u0000 is rejected at parse time).
 */
const char *toml_string(const toml_value *v);
int64_t toml_integer(const toml_value *v);
bool toml_boolean(const toml_value *v);

#endif /* GHPOOL_TOML_H */
