/*
 * export: gh's --json, --jq and --template, shared by every porcelain
 * command. The command builds each object with all the fields it offers
 * (nested records in gh's member order); export keeps the requested ones,
 * top-level keys sorted, and prints JSON, jq results or a template.
 */
#ifndef GHP_EXPORT_H
#define GHP_EXPORT_H

#include "ghp.h"

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

struct export_opts {
	bool json;              /* --json given */
	char **fields;
	size_t n_fields;
	const char *jq;
	const char *template;
};

/* One --json value (comma-separated names); -1 after printing gh's error
 * (no fields: the list of available ones; an unknown name). available is
 * NULL-terminated and sorted. */
int export_add_fields(struct export_opts *o, const char *value, const char *const *available);

/* After all flags: --jq or --template without --json is gh's error (-1). */
int export_check(const struct export_opts *o);

/* Is field requested? Commands use it to skip fetching what nobody asked. */
bool export_wants(const struct export_opts *o, const char *field);

/* Prints data (an array of objects, or one object). Returns the exit code. */
int export_print(const struct export_opts *o, const json_t *data, const struct ghp_env *e);

void export_free(struct export_opts *o);

#endif
