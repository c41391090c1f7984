/*
 * gotmpl: Go's text/template with gh's helper functions, for --template.
 *
 * Data is JSON, as gh gives it to the template: objects are
 * map[string]interface{}, arrays []interface{}, every number a float64.
 * Output follows Go and gh byte for byte where this implementation goes:
 * numbers print as fmt prints a float64 (1.23456789e+08 included), a
 * missing key or a null prints "<no value>", and errors read as Go's do.
 *
 * Not supported: {{define}}, {{template}} and {{block}} (a parse error
 * beginning "template: :LINE: unsupported:"), complex constants, and
 * ranging over anything but arrays, objects and nothing.
 */
#ifndef GHP_GOTMPL_H
#define GHP_GOTMPL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include <jansson.h>

struct gotmpl;

/* Parses a template (at most 1 MiB, at most 100 nested controls and
 * parentheses); NULL with a message in err, as Go words it:
 * "template: :1: function \"foo\" not defined". */
struct gotmpl *gotmpl_parse(const char *text, char *err, size_t errlen);

/* Executes over data, writing to out. tty: colour is on (autocolor
 * colours; color and hyperlink always emit escapes, as gh's do). width:
 * what tablerow's table is fitted to; gh passes the terminal's width, or
 * 80 off a terminal, and lays the table out in columns either way. now:
 * epoch seconds that timeago measures from. Returns 0, or -1 with Go's
 * message in err: "template: :1:2: executing \"\" at <.x>: ...". */
int gotmpl_execute(struct gotmpl *t, const json_t *data, FILE *out, bool tty, int width,
    long long now, char *err, size_t errlen);

void gotmpl_free(struct gotmpl *t);

#endif
