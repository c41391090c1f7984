/*
 * table: gh's table printer. Not on a terminal: one row per line, fields
 * separated by tabs, no header, nothing truncated. On a terminal: a header
 * row, columns separated by two spaces and sized as go-gh sizes them to
 * the width, cells cut with "..." and padded (the last one never padded).
 */
#ifndef GHP_TABLE_H
#define GHP_TABLE_H

#include <stdbool.h>
#include <stdio.h>

struct table;

/* headers: NULL-terminated column names, printed only on a terminal. */
struct table *table_new(bool tty, int width, const char *const *headers);
void table_add(struct table *t, const char *field);
/* A cell that is never cut; the column's first row decides. */
void table_add_fixed(struct table *t, const char *field);
void table_end_row(struct table *t);
void table_print(struct table *t, FILE *out);
void table_free(struct table *t);

/* The terminal's width (COLUMNS, then the tty, then 80). */
int table_terminal_width(void);

#endif
