/*
 * test_log.c - unit tests of src/log.c, as tables: how JSON lines escape
 * strings and keep them valid UTF-8, that a line cut at the length cap
 * still parses, which levels are written, and the text format's shape.
 *
 * log.c writes to fd 2 with write(2): each case sends stderr to an
 * unlinked temporary file and reads back what was written. JSON lines are
 * checked twice: as bytes (what the escaping wrote) and through jansson
 * (what a reader gets back).
 */
#include <criterion/criterion.h>
#include <ctype.h>
#include <errno.h>
#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"
#include "leakcheck.h"

/* log.c's LOG_LINE_MAX: no line is longer, its newline included. */
#define LINE_MAX_BYTES 2048
/* "2024-01-02T03:04:05.678Z" */
#define TS_LEN 24

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

/* ------------------------------------------------------------------------
 * Capture
 * ---------------------------------------------------------------------- */

static int saved_stderr = -1, cap_fd = -1;

static void
capture_start(void)
{
	char path[] = "/tmp/ghpool-ut-log-XXXXXX";

	cap_fd = mkstemp(path);
	cr_assert_geq(cap_fd, 0, "mkstemp: %s", strerror(errno));
	unlink(path);
	saved_stderr = dup(STDERR_FILENO);
	cr_assert_geq(saved_stderr, 0, "dup: %s", strerror(errno));
	cr_assert_geq(dup2(cap_fd, STDERR_FILENO), 0, "dup2: %s", strerror(errno));
}

/* Restores stderr; what was written meanwhile, NUL-terminated (caller frees). */
static char *
capture_stop(void)
{
	struct stat st;
	char *buf;
	size_t len = 0;
	ssize_t n;

	dup2(saved_stderr, STDERR_FILENO);
	close(saved_stderr);
	saved_stderr = -1;
	cr_assert_eq(fstat(cap_fd, &st), 0);
	buf = malloc((size_t)st.st_size + 1);
	cr_assert_not_null(buf);
	while (len < (size_t)st.st_size &&
	    (n = pread(cap_fd, buf + len, (size_t)st.st_size - len, (off_t)len)) > 0)
		len += (size_t)n;
	buf[len] = '\0';
	close(cap_fd);
	cap_fd = -1;
	return buf;
}

/* One operational line at level, msg as its whole message. */
static char *
emit(enum log_level level, const char *msg)
{
	capture_start();
	switch (level) {
	case LOG_LEVEL_DEBUG: log_debug("%s", msg); break;
	case LOG_LEVEL_INFO: log_info("%s", msg); break;
	case LOG_LEVEL_WARN: log_warn("%s", msg); break;
	case LOG_LEVEL_ERROR: log_error("%s", msg); break;
	}
	return capture_stop();
}

static char *
emit_access(const struct log_access *a)
{
	capture_start();
	log_access(a);
	return capture_stop();
}

/* ------------------------------------------------------------------------
 * Checks
 * ---------------------------------------------------------------------- */

/* ts has the shape of util_rfc3339's UTC timestamps. */
static bool
ts_ok(const char *ts)
{
	static const char shape[] = "dddd-dd-ddTdd:dd:dd.dddZ";

	for (size_t i = 0; i < TS_LEN; i++) {
		if (shape[i] == 'd' ? !isdigit((unsigned char)ts[i]) : ts[i] != shape[i])
			return false;
	}
	return true;
}

/* out is one line (a single newline, at its end) of at most the cap. */
static void
expect_one_line(const char *out, const char *what)
{
	size_t len = strlen(out);
	const char *nl = strchr(out, '\n');

	cr_expect(len > 0 && nl == out + len - 1, "%s: not one line: '%s'", what, out);
	cr_expect_leq(len, LINE_MAX_BYTES, "%s: %zu bytes", what, len);
}

/*
 * out is exactly the JSON line {"time":<ts>,"level":<level>,"msg":<raw>}
 * plus rest (members after msg, as written): its time is checked for
 * shape and then taken as it is.
 */
static void
expect_json_bytes(const char *out, const char *level, const char *raw, const char *rest,
    const char *what)
{
	char *want;
	size_t n;

	expect_one_line(out, what);
	cr_assert(strncmp(out, "{\"time\":\"", 9) == 0 && strlen(out) > 9 + TS_LEN,
	    "%s: '%s'", what, out);
	cr_expect(ts_ok(out + 9), "%s: time '%.24s'", what, out + 9);
	n = strlen(raw) + strlen(rest) + 128;
	want = malloc(n);
	cr_assert_not_null(want);
	snprintf(want, n, "{\"time\":\"%.24s\",\"level\":\"%s\",\"msg\":\"%s\"%s}\n",
	    out + 9, level, raw, rest);
	cr_expect_str_eq(out, want, "%s", what);
	free(want);
}

/* out parsed as JSON (caller json_decref's); fails the test if it does not parse. */
static json_t *
parse(const char *out, const char *what)
{
	json_error_t err;
	json_t *j = json_loads(out, 0, &err);

	cr_assert_not_null(j, "%s: not JSON (%s at %d): '%s'", what, err.text, err.position, out);
	cr_assert(json_is_object(j), "%s: not an object", what);
	return j;
}

/* The string member key, or "<missing>". */
static const char *
member(json_t *j, const char *key)
{
	const char *v = json_string_value(json_object_get(j, key));

	return v != NULL ? v : "<missing>";
}

/* ------------------------------------------------------------------------
 * JSON: escaping and UTF-8
 * ---------------------------------------------------------------------- */

#define FFFD "\xEF\xBF\xBD"

static const struct {
	const char *in;
	const char *raw;        /* the msg as the line carries it */
	const char *decoded;    /* what a JSON reader gets back; NULL: in */
	const char *what;
} escape_cases[] = {
	{ "", "", NULL, "empty" },
	{ "plain text, 100% ASCII", "plain text, 100% ASCII", NULL, "printable ASCII as is" },
	{ "say \"hi\"", "say \\\"hi\\\"", NULL, "quotes" },
	{ "C:\\dir\\", "C:\\\\dir\\\\", NULL, "backslashes" },
	{ "\\\"", "\\\\\\\"", NULL, "backslash then quote" },
	{ "a\nb", "a\\nb", NULL, "newline" },
	{ "a\tb", "a\\tb", NULL, "tab" },
	{ "a\rb", "a\\rb", NULL, "carriage return" },
	{ "line\nforged {\"level\":\"ERROR\"}", "line\\nforged {\\\"level\\\":\\\"ERROR\\\"}", NULL,
	  "no forged line" },
	{ "\x01", "\\u0001", NULL, "U+0001" },
	{ "\b\f", "\\u0008\\u000c", NULL, "backspace and form feed as \\u" },
	{ "\x1b[31mred", "\\u001b[31mred", NULL, "terminal escape" },
	{ "\x1f", "\\u001f", NULL, "last control character" },
	{ "\x7f", "\\u007f", NULL, "DEL" },
	{ "a\x7f" "b", "a\\u007fb", NULL, "DEL inside" },
	{ "caf\xC3\xA9", "caf\xC3\xA9", NULL, "two-byte UTF-8 kept" },
	{ "\xE2\x82\xAC" "5", "\xE2\x82\xAC" "5", NULL, "three-byte UTF-8 kept" },
	{ "\xF0\x9F\x98\x80", "\xF0\x9F\x98\x80", NULL, "four-byte UTF-8 kept" },
	{ "\xF4\x8F\xBF\xBF", "\xF4\x8F\xBF\xBF", NULL, "U+10FFFF kept" },
	{ FFFD, FFFD, NULL, "U+FFFD itself kept" },
	{ "a\x80" "b", "a\\ufffdb", "a" FFFD "b", "lone continuation byte" },
	{ "\xFF", "\\ufffd", FFFD, "0xFF" },
	{ "\xC0\xAF", "\\ufffd\\ufffd", FFFD FFFD, "overlong two-byte /" },
	{ "\xE0\x80\xAF", "\\ufffd\\ufffd\\ufffd", FFFD FFFD FFFD, "overlong three-byte" },
	{ "\xED\xA0\x80", "\\ufffd\\ufffd\\ufffd", FFFD FFFD FFFD, "surrogate U+D800" },
	{ "\xF4\x90\x80\x80", "\\ufffd\\ufffd\\ufffd\\ufffd", FFFD FFFD FFFD FFFD,
	  "past U+10FFFF" },
	{ "\xE2\x82" "x", "\\ufffd\\ufffdx", FFFD FFFD "x", "sequence cut short" },
	{ "end\xE2\x82", "end\\ufffd\\ufffd", "end" FFFD FFFD, "sequence cut by the end" },
	{ "\xC3\xA9\xC3", "\xC3\xA9\\ufffd", "\xC3\xA9" FFFD, "valid then cut" },
	{ "\"\\\n\x01\x7f\xC3\xA9\xFF!", "\\\"\\\\\\n\\u0001\\u007f\xC3\xA9\\ufffd!",
	  "\"\\\n\x01\x7f\xC3\xA9" FFFD "!", "everything at once" },
};

Test(log, json_escaping)
{
	log_configure(LOG_FORMAT_JSON, LOG_LEVEL_INFO);
	for (size_t i = 0; i < COUNT(escape_cases); i++) {
		const char *what = escape_cases[i].what;
		const char *decoded = escape_cases[i].decoded ? escape_cases[i].decoded : escape_cases[i].in;
		char *out = emit(LOG_LEVEL_INFO, escape_cases[i].in);
		json_t *j;

		expect_json_bytes(out, "INFO", escape_cases[i].raw, "", what);
		j = parse(out, what);
		cr_expect_eq(json_object_size(j), 3, "%s: members", what);
		cr_expect_str_eq(member(j, "level"), "INFO", "%s", what);
		cr_expect(strcmp(member(j, "msg"), decoded) == 0, "%s: msg '%s'", what, member(j, "msg"));
		json_decref(j);
		free(out);
	}
}

Test(log, json_formats_the_message)
{
	char *out;

	log_configure(LOG_FORMAT_JSON, LOG_LEVEL_INFO);
	capture_start();
	log_warn("n=%d s=%s pct=100%%", 42, "x\"y");
	out = capture_stop();
	expect_json_bytes(out, "WARN", "n=42 s=x\\\"y pct=100%", "", "printf arguments");
	free(out);
}

/* ------------------------------------------------------------------------
 * JSON: the length cap
 *
 * A message far longer than a line: each piece is appended whole, so the
 * line ends cut between two characters, with the string and the object
 * closed, and parses.
 * ---------------------------------------------------------------------- */

static const struct {
	const char *unit;       /* repeated past the cap */
	const char *decoded;    /* one unit as read back */
	const char *what;
} cut_cases[] = {
	{ "a", "a", "ASCII run" },
	{ "\"", "\"", "two-byte escapes" },
	{ "\\", "\\", "escaped backslashes" },
	{ "\x01", "\x01", "six-byte escapes" },
	{ "\xC3\xA9", "\xC3\xA9", "two-byte characters" },
	{ "\xE2\x82\xAC", "\xE2\x82\xAC", "three-byte characters" },
	{ "\xF0\x9F\x98\x80", "\xF0\x9F\x98\x80", "four-byte characters" },
	{ "\xFF", FFFD, "replaced bytes" },
	{ "ab\"\xC3\xA9\n\x7f", "ab\"\xC3\xA9\n\x7f", "a mix" },
};

/* unit repeated until at least n bytes. */
static char *
repeat(const char *unit, size_t n)
{
	size_t u = strlen(unit), len = 0;
	char *s = malloc(n + u + 1);

	cr_assert_not_null(s);
	while (len < n) {
		memcpy(s + len, unit, u);
		len += u;
	}
	s[len] = '\0';
	return s;
}

Test(log, json_line_cut_at_the_cap_parses)
{
	log_configure(LOG_FORMAT_JSON, LOG_LEVEL_DEBUG);
	for (size_t i = 0; i < COUNT(cut_cases); i++) {
		const char *what = cut_cases[i].what;
		char *in = repeat(cut_cases[i].unit, 3 * LINE_MAX_BYTES);
		char *full = repeat(cut_cases[i].decoded, 3 * LINE_MAX_BYTES);
		char *out = emit(LOG_LEVEL_ERROR, in);
		size_t len = strlen(out);
		const char *msg;
		json_t *j;

		expect_one_line(out, what);
		/* Cut at the cap, not well before: at most one escape short. */
		cr_expect_gt(len, LINE_MAX_BYTES - 8, "%s: %zu bytes", what, len);
		cr_expect(len >= 3 && strcmp(out + len - 3, "\"}\n") == 0, "%s: end '%s'", what,
		    len >= 3 ? out + len - 3 : out);
		j = parse(out, what);
		cr_expect_str_eq(member(j, "level"), "ERROR", "%s", what);
		msg = member(j, "msg");
		cr_expect(strlen(msg) > 0 && strncmp(full, msg, strlen(msg)) == 0,
		    "%s: msg is no prefix of the message", what);
		json_decref(j);
		free(out);
		free(full);
		free(in);
	}
}

/* ------------------------------------------------------------------------
 * JSON: access lines
 * ---------------------------------------------------------------------- */

Test(log, json_access_line)
{
	struct log_access a = {
		.method = "GET", .path = "/repos/o/r/contents/a b\"c\xC3\xA9\n\xFF", .status = 200,
		.bytes = 1234, .duration_ms = 56, .identity = "alice", .outcome = "pooled",
		.login = "octocat", .operation = "query Viewer", .client = "ci",
	};
	char *out;
	json_t *j;

	log_configure(LOG_FORMAT_JSON, LOG_LEVEL_INFO);
	out = emit_access(&a);
	/* The path raw (not %XX as in text), only JSON-escaped. */
	expect_json_bytes(out, "INFO", "access",
	    ",\"method\":\"GET\",\"path\":\"/repos/o/r/contents/a b\\\"c\xC3\xA9\\n\\ufffd\","
	    "\"status\":200,\"bytes\":1234,\"duration_ms\":56,\"identity\":\"alice\","
	    "\"outcome\":\"pooled\",\"client\":\"ci\",\"login\":\"octocat\",\"op\":\"query Viewer\"",
	    "all members");
	j = parse(out, "all members");
	cr_expect_str_eq(member(j, "path"), "/repos/o/r/contents/a b\"c\xC3\xA9\n" FFFD);
	json_decref(j);
	free(out);

	/* No identity: "-"; no client, login, operation: no members. */
	a.identity = NULL;
	a.client = a.login = a.operation = NULL;
	a.path = "/rate_limit";
	a.status = 403;
	a.outcome = "denied";
	out = emit_access(&a);
	expect_json_bytes(out, "INFO", "access",
	    ",\"method\":\"GET\",\"path\":\"/rate_limit\",\"status\":403,\"bytes\":1234,"
	    "\"duration_ms\":56,\"identity\":\"-\",\"outcome\":\"denied\"", "optional members");
	free(out);
}

/* Every string far too long: each is bounded, so the numbers and the ids
 * after the path are all still there, and the line parses. */
Test(log, json_access_line_at_the_cap)
{
	char *ctl = repeat("\x01", 4000), *big = repeat("x", 4000), *utf = repeat("\xE2\x82\xAC", 4000);
	struct log_access a = {
		.method = big, .path = ctl, .status = 502, .bytes = 987654321,
		.duration_ms = INT64_MAX, .identity = utf, .outcome = big,
		.login = big, .operation = utf, .client = big,
	};
	char *out;
	json_t *j;

	log_configure(LOG_FORMAT_JSON, LOG_LEVEL_INFO);
	out = emit_access(&a);
	expect_one_line(out, "access at the cap");
	j = parse(out, "access at the cap");
	cr_expect_str_eq(member(j, "msg"), "access");
	cr_expect_eq(json_integer_value(json_object_get(j, "status")), 502);
	cr_expect_eq(json_integer_value(json_object_get(j, "bytes")), 987654321);
	cr_expect_eq(json_integer_value(json_object_get(j, "duration_ms")), INT64_MAX);
	/* Bounds in escaped bytes: 32, 1024 (170 six-byte escapes), 128, 64, 160. */
	cr_expect_eq(strlen(member(j, "method")), 32);
	cr_expect_eq(strlen(member(j, "path")), 170);
	cr_expect_eq(strlen(member(j, "identity")), 126, "identity cut between characters");
	cr_expect_eq(strlen(member(j, "outcome")), 64);
	cr_expect_eq(strlen(member(j, "client")), 128);
	cr_expect_eq(strlen(member(j, "login")), 128);
	cr_expect_eq(strlen(member(j, "op")), 159, "op cut between characters");
	json_decref(j);
	free(out);
	free(utf);
	free(big);
	free(ctl);
}

/* ------------------------------------------------------------------------
 * Levels
 * ---------------------------------------------------------------------- */

static const struct {
	enum log_level level;
	const char *written;    /* the lines out of debug, info, warn, error, access */
} level_cases[] = {
	{ LOG_LEVEL_DEBUG, "DEBUG INFO WARN ERROR access" },
	{ LOG_LEVEL_INFO, "INFO WARN ERROR access" },
	{ LOG_LEVEL_WARN, "WARN ERROR" },
	{ LOG_LEVEL_ERROR, "ERROR" },
};

/* Each line's level, or "access" for access lines, space-separated. */
static void
summarize(char *out, enum log_format format, char *sum, size_t n)
{
	char *save = NULL;

	sum[0] = '\0';
	for (char *line = strtok_r(out, "\n", &save); line != NULL; line = strtok_r(NULL, "\n", &save)) {
		char word[16] = "?";

		if (format == LOG_FORMAT_JSON) {
			json_t *j = json_loads(line, 0, NULL);
			const char *msg = member(j, "msg"), *level = member(j, "level");

			snprintf(word, sizeof(word), "%s", strcmp(msg, "access") == 0 ? "access" : level);
			json_decref(j);
		} else {
			/* "<time> <LEVEL> <message>" */
			char tag[8] = "", msg[8] = "";

			if (sscanf(line, "%*s %7s %7s", tag, msg) == 2)
				snprintf(word, sizeof(word), "%s", strcmp(msg, "access") == 0 ? "access" : tag);
		}
		snprintf(sum + strlen(sum), n - strlen(sum), "%s%s", sum[0] ? " " : "", word);
	}
}

Test(log, levels_filter)
{
	struct log_access a = { "GET", "/", 200, 0, 0, NULL, "pooled", NULL, NULL, NULL };
	static const enum log_format formats[] = { LOG_FORMAT_TEXT, LOG_FORMAT_JSON };

	for (size_t f = 0; f < COUNT(formats); f++) {
		for (size_t i = 0; i < COUNT(level_cases); i++) {
			enum log_level lv = level_cases[i].level;
			char sum[128], *out;

			log_configure(formats[f], lv);
			for (int l = LOG_LEVEL_DEBUG; l <= LOG_LEVEL_ERROR; l++)
				cr_expect_eq(log_enabled((enum log_level)l), l >= (int)lv,
				    "at %s: log_enabled(%s)", log_level_name(lv),
				    log_level_name((enum log_level)l));
			capture_start();
			log_debug("m");
			log_info("m");
			log_warn("m");
			log_error("m");
			log_access(&a);
			out = capture_stop();
			summarize(out, formats[f], sum, sizeof(sum));
			cr_expect_str_eq(sum, level_cases[i].written, "%s at %s",
			    log_format_name(formats[f]), log_level_name(lv));
			free(out);
		}
	}
}

/* Until configured: text at INFO. */
Test(log, defaults)
{
	char *out;

	cr_expect_not(log_enabled(LOG_LEVEL_DEBUG));
	cr_expect(log_enabled(LOG_LEVEL_INFO));
	out = emit(LOG_LEVEL_INFO, "hello");
	cr_expect(strlen(out) == TS_LEN + 12 && ts_ok(out) && strcmp(out + TS_LEN, " INFO hello\n") == 0,
	    "'%s'", out);
	free(out);
}

static const struct {
	const char *name;
	int format;
	int level;
} name_cases[] = {
	{ "text", LOG_FORMAT_TEXT, -1 },
	{ "json", LOG_FORMAT_JSON, -1 },
	{ "debug", -1, LOG_LEVEL_DEBUG },
	{ "info", -1, LOG_LEVEL_INFO },
	{ "warn", -1, LOG_LEVEL_WARN },
	{ "error", -1, LOG_LEVEL_ERROR },
	{ "JSON", -1, -1 },
	{ "Info", -1, -1 },
	{ "warning", -1, -1 },
	{ "", -1, -1 },
	{ NULL, -1, -1 },
};

Test(log, names)
{
	for (size_t i = 0; i < COUNT(name_cases); i++) {
		const char *name = name_cases[i].name;

		cr_expect_eq(log_format_parse(name), name_cases[i].format, "format '%s'", name);
		cr_expect_eq(log_level_parse(name), name_cases[i].level, "level '%s'", name);
		if (name_cases[i].format >= 0)
			cr_expect_str_eq(log_format_name((enum log_format)name_cases[i].format), name);
		if (name_cases[i].level >= 0)
			cr_expect_str_eq(log_level_name((enum log_level)name_cases[i].level), name);
	}
}

/* ------------------------------------------------------------------------
 * Text lines: "<time> <LEVEL> <message>", messages as given, access
 * fields %XX-escaped
 * ---------------------------------------------------------------------- */

static const struct {
	enum log_level level;
	const char *msg;
	const char *line;       /* after the time */
} text_cases[] = {
	{ LOG_LEVEL_DEBUG, "probe ok", " DEBUG probe ok\n" },
	{ LOG_LEVEL_INFO, "listening on 127.0.0.1:8080", " INFO listening on 127.0.0.1:8080\n" },
	{ LOG_LEVEL_WARN, "quote \" and \\ as is", " WARN quote \" and \\ as is\n" },
	{ LOG_LEVEL_ERROR, "caf\xC3\xA9 \xFF", " ERROR caf\xC3\xA9 \xFF\n" },
	{ LOG_LEVEL_INFO, "", " INFO \n" },
};

Test(log, text_lines)
{
	log_configure(LOG_FORMAT_TEXT, LOG_LEVEL_DEBUG);
	for (size_t i = 0; i < COUNT(text_cases); i++) {
		char *out = emit(text_cases[i].level, text_cases[i].msg);

		cr_expect(strlen(out) > TS_LEN && ts_ok(out), "case %zu: '%s'", i, out);
		if (strlen(out) > TS_LEN)
			cr_expect_str_eq(out + TS_LEN, text_cases[i].line, "case %zu", i);
		free(out);
	}
}

Test(log, text_line_cut_at_the_cap)
{
	char *in = repeat("a", 3 * LINE_MAX_BYTES), *out;

	log_configure(LOG_FORMAT_TEXT, LOG_LEVEL_INFO);
	out = emit(LOG_LEVEL_INFO, in);
	expect_one_line(out, "long text line");
	cr_expect_eq(strlen(out), LINE_MAX_BYTES - 1);
	cr_expect(strncmp(out + TS_LEN, " INFO aaaa", 10) == 0);
	free(out);
	free(in);
}

static const struct {
	struct log_access a;
	const char *line;       /* after the time */
} text_access_cases[] = {
	{ { "GET", "/repos/o/r/issues", 200, 1234, 56, "alice", "pooled", NULL, NULL, NULL },
	  " INFO access method=GET path=/repos/o/r/issues status=200 bytes=1234 duration_ms=56"
	  " identity=alice outcome=pooled\n" },
	{ { "POST", "/graphql", 200, 10, 7, NULL, "passthrough", "octocat", "query Viewer", "ci" },
	  " INFO access method=POST path=/graphql status=200 bytes=10 duration_ms=7"
	  " identity=- outcome=passthrough client=ci login=octocat op=query%20Viewer\n" },
	{ { "GET", "/a b\"c\\\n\x7f\xC3\xA9", 404, 0, 0, "bob", "upstream_error", NULL, NULL, NULL },
	  " INFO access method=GET path=/a%20b%22c%5C%0A%7F%C3%A9 status=404 bytes=0 duration_ms=0"
	  " identity=bob outcome=upstream_error\n" },
};

Test(log, text_access_lines)
{
	log_configure(LOG_FORMAT_TEXT, LOG_LEVEL_INFO);
	for (size_t i = 0; i < COUNT(text_access_cases); i++) {
		char *out = emit_access(&text_access_cases[i].a);

		cr_expect(strlen(out) > TS_LEN && ts_ok(out), "case %zu: '%s'", i, out);
		if (strlen(out) > TS_LEN)
			cr_expect_str_eq(out + TS_LEN, text_access_cases[i].line, "case %zu", i);
		free(out);
	}
}
