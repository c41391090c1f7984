/*
 * jqrun.c - libjq, and gh's way of printing what it yields.
 *
 * libjq 1.6 ships no pkg-config file and a small API: compile once, then
 * for each input start and pull results until an invalid value, which
 * carries a message when it is an error rather than the end.
 */
#include "jqrun.h"

#include <jq.h>
#include <jv.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

struct jqrun {
	jq_state *jq;
};

/* Compile errors arrive through this callback, one message each. */
static void
jqrun_on_error(void *data, jv msg)
{
	(void)data;
	if (jv_get_kind(msg) == JV_KIND_STRING)
		fprintf(stderr, "ghp: jq: %s\n", jv_string_value(msg));
	else
		fprintf(stderr, "ghp: jq: invalid program\n");
	jv_free(msg);
}

struct jqrun *
jqrun_new(const char *program)
{
	struct jqrun *j = calloc(1, sizeof(*j));

	if (j == NULL || (j->jq = jq_init()) == NULL) {
		fprintf(stderr, "ghp: cannot start jq\n");
		free(j);
		return NULL;
	}
	jq_set_error_cb(j->jq, jqrun_on_error, NULL);
	if (!jq_compile(j->jq, program)) {
		jqrun_free(j);
		return NULL;
	}
	return j;
}

void
jqrun_free(struct jqrun *j)
{
	if (j == NULL)
		return;
	if (j->jq != NULL)
		jq_teardown(&j->jq);
	free(j);
}

/*
 * JSON as Go's encoding/json writes it: '<', '>' and '&' become \u003c,
 * \u003e, \u0026, and U+2028/U+2029 are escaped. They can only occur
 * inside strings, so replacing them in the dump is exact.
 */
static void
jqrun_put_json(const char *s, FILE *out)
{
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '<')
			fputs("\\u003c", out);
		else if (c == '>')
			fputs("\\u003e", out);
		else if (c == '&')
			fputs("\\u0026", out);
		else if (c == 0xe2 && (unsigned char)s[1] == 0x80 &&
		    ((unsigned char)s[2] == 0xa8 || (unsigned char)s[2] == 0xa9)) {
			fputs((unsigned char)s[2] == 0xa8 ? "\\u2028" : "\\u2029", out);
			s += 2;
		} else {
			fputc(c, out);
		}
	}
}

static void
jqrun_print(jv v, FILE *out, bool tty)
{
	jv text;
	double d;

	switch (jv_get_kind(v)) {
	case JV_KIND_STRING:
		fwrite(jv_string_value(v), 1, (size_t)jv_string_length_bytes(jv_copy(v)), out);
		break;
	case JV_KIND_NULL:
		break;
	case JV_KIND_TRUE:
		fputs("true", out);
		break;
	case JV_KIND_FALSE:
		fputs("false", out);
		break;
	case JV_KIND_NUMBER:
		d = jv_number_value(v);
		/* go-gh: integral values without an exponent, others with two decimals */
		if (d == trunc(d) && isfinite(d))
			fprintf(out, "%.0f", d);
		else
			fprintf(out, "%.2f", d);
		break;
	default:
		text = jv_dump_string(jv_copy(v), JV_PRINT_SORTED | (tty ? JV_PRINT_INDENT_FLAGS(2) : 0));
		jqrun_put_json(jv_string_value(text), out);
		jv_free(text);
		break;
	}
	fputc('\n', out);
	jv_free(v);
}

int
jqrun_eval(struct jqrun *j, const char *json, size_t len, FILE *out, bool tty)
{
	jv input, r;

	if (len > (size_t)INT32_MAX) {
		fprintf(stderr, "ghp: the answer is too large for jq\n");
		return -1;
	}
	input = jv_parse_sized(json, (int)len);
	if (!jv_is_valid(input)) {
		jv msg = jv_invalid_get_msg(input);
		const char *text = jv_get_kind(msg) == JV_KIND_STRING ? jv_string_value(msg) : "invalid";
		/* jq 1.6 appends the whole input: "(while parsing '...')". */
		const char *cut = strstr(text, " (while parsing");

		fprintf(stderr, "ghp: the answer is not JSON: %.*s\n",
		    (int)(cut ? (size_t)(cut - text) : strnlen(text, 200)), text);
		jv_free(msg);
		return -1;
	}
	jq_start(j->jq, input, 0);
	while (jv_is_valid(r = jq_next(j->jq)))
		jqrun_print(r, out, tty);
	if (jv_invalid_has_msg(jv_copy(r))) {
		jv msg = jv_invalid_get_msg(r);

		if (jv_get_kind(msg) == JV_KIND_STRING)
			fprintf(stderr, "ghp: jq: error: %s\n", jv_string_value(msg));
		else {
			jv dumped = jv_dump_string(msg, 0);

			fprintf(stderr, "ghp: jq: error: %s (not a string)\n", jv_string_value(dumped));
			jv_free(dumped);
			return -1;
		}
		jv_free(msg);
		return -1;
	}
	jv_free(r);
	return 0;
}
