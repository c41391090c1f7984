/*
 * jqrun: `--jq` with the real jq library (libjq), printed the way gh
 * prints jq results: strings raw, null as an empty line, numbers and
 * booleans as text, arrays and objects as JSON (compact with sorted keys
 * and <, >, & escaped as Go's encoder does; indented on a terminal).
 */
#ifndef GHP_JQRUN_H
#define GHP_JQRUN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

struct jqrun;

/* Compiles program; NULL with the reason printed to stderr. */
struct jqrun *jqrun_new(const char *program);
void jqrun_free(struct jqrun *j);

/* Runs the program over one JSON text and prints every result to out.
 * Returns 0, or -1 after printing the error to stderr. */
int jqrun_eval(struct jqrun *j, const char *json, size_t len, FILE *out, bool tty);

#endif
