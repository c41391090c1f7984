/*
 * log.c - operational and access logging to stderr.
 *
 * Each write(2) carries whole lines and at most PIPE_BUF bytes, so lines
 * from different threads never interleave, even on a pipe. A worker thread
 * batches: its lines collect in a thread-local buffer that is written once
 * per event-loop turn, after the answers of that turn went out. Under load
 * that is one write for dozens of requests instead of one each.
 *
 * The format and level are two relaxed atomics: a reload may change them
 * while workers log, and a line needs only a consistent value of each, not
 * an order with anything else. The level is checked before anything is
 * formatted. JSON lines are escaped by hand into the same stack buffer as
 * text lines: no allocation on the access path.
 */
#include "log.h"
#include "util.h"

#include <event2/event.h>
#include <limits.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define LOG_LINE_MAX 2048
#if PIPE_BUF < LOG_LINE_MAX
#error "a log line must fit one atomic pipe write"
#endif

struct log_batch {
	struct event *flush;     /* made active when the first line arrives */
	size_t len;
	char buf[PIPE_BUF];
};

static _Thread_local struct log_batch *log_batch;

/* A failed log write has nowhere to be reported; the lines are dropped. */
static void
log_write(const char *buf, size_t len)
{
	(void)!write(STDERR_FILENO, buf, len);
}

static void
log_batch_flush(evutil_socket_t fd, short what, void *arg)
{
	struct log_batch *b = arg;

	(void)fd;
	(void)what;
	if (b->len > 0)
		log_write(b->buf, b->len);
	b->len = 0;
}

int
log_batch_start(struct event_base *base)
{
	struct log_batch *b = calloc(1, sizeof(*b));

	if (b == NULL)
		return -1;
	b->flush = event_new(base, -1, 0, log_batch_flush, b);
	if (b->flush == NULL) {
		free(b);
		return -1;
	}
	log_batch = b;
	return 0;
}

void
log_batch_stop(void)
{
	struct log_batch *b = log_batch;

	if (b == NULL)
		return;
	log_batch = NULL;
	log_batch_flush(-1, 0, b);
	event_free(b->flush);
	free(b);
}

static void
log_put(const char *line, size_t n)
{
	struct log_batch *b = log_batch;

	if (b == NULL) {
		log_write(line, n);
		return;
	}
	if (b->len + n > sizeof(b->buf))
		log_batch_flush(-1, 0, b);
	if (b->len == 0)
		event_active(b->flush, 0, 0);
	memcpy(b->buf + b->len, line, n);
	b->len += n;
}

/* ------------------------------------------------------------------------
 * Format and level
 * ---------------------------------------------------------------------- */

static atomic_int log_format_now = LOG_FORMAT_TEXT;
static atomic_int log_level_now = LOG_LEVEL_INFO;

static const char *const log_format_names[] = {
	[LOG_FORMAT_TEXT] = "text", [LOG_FORMAT_JSON] = "json",
};
static const char *const log_level_names[] = {
	[LOG_LEVEL_DEBUG] = "debug", [LOG_LEVEL_INFO] = "info",
	[LOG_LEVEL_WARN] = "warn", [LOG_LEVEL_ERROR] = "error",
};
/* As lines show them. */
static const char *const log_level_tags[] = {
	[LOG_LEVEL_DEBUG] = "DEBUG", [LOG_LEVEL_INFO] = "INFO",
	[LOG_LEVEL_WARN] = "WARN", [LOG_LEVEL_ERROR] = "ERROR",
};

#define LOG_COUNT(a) (sizeof(a) / sizeof((a)[0]))

void
log_configure(enum log_format format, enum log_level level)
{
	atomic_store_explicit(&log_format_now, (int)format, memory_order_relaxed);
	atomic_store_explicit(&log_level_now, (int)level, memory_order_relaxed);
}

bool
log_enabled(enum log_level level)
{
	return (int)level >= atomic_load_explicit(&log_level_now, memory_order_relaxed);
}

static bool
log_json_now(void)
{
	return atomic_load_explicit(&log_format_now, memory_order_relaxed) == LOG_FORMAT_JSON;
}

static int
log_name_index(const char *const *names, size_t n, const char *name)
{
	for (size_t i = 0; name != NULL && i < n; i++)
		if (strcmp(name, names[i]) == 0)
			return (int)i;
	return -1;
}

int
log_format_parse(const char *name)
{
	return log_name_index(log_format_names, LOG_COUNT(log_format_names), name);
}

int
log_level_parse(const char *name)
{
	return log_name_index(log_level_names, LOG_COUNT(log_level_names), name);
}

const char *
log_format_name(enum log_format format)
{
	return (size_t)format < LOG_COUNT(log_format_names) ? log_format_names[format] : "?";
}

const char *
log_level_name(enum log_level level)
{
	return (size_t)level < LOG_COUNT(log_level_names) ? log_level_names[level] : "?";
}

/* ------------------------------------------------------------------------
 * JSON lines
 *
 * Strings are escaped as JSON requires (quotes, backslashes, control
 * characters; DEL too, for terminals) and made valid UTF-8: a byte that
 * does not start a well-formed sequence becomes U+FFFD, as Go's and most
 * JSON encoders do. Paths are written raw (not %XX-escaped as in text):
 * JSON escaping already keeps them on one line and inert, and readers get
 * the path as the client sent it.
 * ---------------------------------------------------------------------- */

/* A line being built in a stack buffer. cap keeps room for the closing
 * "}\n": every piece is appended whole or not at all, so a line cut at the
 * cap still parses. */
struct log_json {
	char *buf;
	size_t len;
	size_t cap;
};

static bool
log_json_raw(struct log_json *j, const char *s, size_t n)
{
	if (j->len + n > j->cap)
		return false;
	memcpy(j->buf + j->len, s, n);
	j->len += n;
	return true;
}

/*
 * Length of the well-formed UTF-8 sequence at p (RFC 3629: no overlong
 * forms, no surrogates, nothing past U+10FFFF), or 0. p is NUL-terminated:
 * a sequence cut short fails at the NUL, which is no continuation byte.
 */
static size_t
log_utf8_len(const unsigned char *p)
{
	unsigned char lo = 0x80, hi = 0xBF;
	size_t n;

	if (p[0] >= 0xC2 && p[0] <= 0xDF) {
		n = 2;
	} else if (p[0] >= 0xE0 && p[0] <= 0xEF) {
		n = 3;
		if (p[0] == 0xE0)
			lo = 0xA0;
		else if (p[0] == 0xED)
			hi = 0x9F;
	} else if (p[0] >= 0xF0 && p[0] <= 0xF4) {
		n = 4;
		if (p[0] == 0xF0)
			lo = 0x90;
		else if (p[0] == 0xF4)
			hi = 0x8F;
	} else {
		return 0;
	}
	if (p[1] < lo || p[1] > hi)
		return 0;
	for (size_t i = 2; i < n; i++)
		if (p[i] < 0x80 || p[i] > 0xBF)
			return 0;
	return n;
}

/* Appends s escaped, stopping (between characters) before end. */
static void
log_json_escape(struct log_json *j, const char *s, size_t end)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *p = (const unsigned char *)s;

	while (*p != '\0') {
		const unsigned char *run = p;
		char esc[8];
		const char *out = esc;
		size_t n = 2, adv = 1;

		/* Paths are mostly printable ASCII: copy such runs whole (an
		 * ASCII run may be cut anywhere). */
		while (*p >= 0x20 && *p < 0x7f && *p != '"' && *p != '\\')
			p++;
		if (p > run) {
			n = (size_t)(p - run);
			if (j->len + n > end)
				n = end - j->len;
			memcpy(j->buf + j->len, run, n);
			j->len += n;
			if (run + n < p)
				return;
			continue;
		}
		if (*p == '"' || *p == '\\') {
			esc[0] = '\\';
			esc[1] = (char)*p;
		} else if (*p == '\n' || *p == '\t' || *p == '\r') {
			esc[0] = '\\';
			esc[1] = *p == '\n' ? 'n' : *p == '\t' ? 't' : 'r';
		} else if (*p < 0x20 || *p == 0x7f) {
			memcpy(esc, "\\u00", 4);
			esc[4] = hex[*p >> 4];
			esc[5] = hex[*p & 15];
			n = 6;
		} else if ((adv = log_utf8_len(p)) > 0) {
			out = (const char *)p;
			n = adv;
		} else {
			out = "\\ufffd";
			n = 6;
			adv = 1;
		}
		if (j->len + n > end)
			return;
		memcpy(j->buf + j->len, out, n);
		j->len += n;
		p += adv;
	}
}

/*
 * Appends the member ,"key":"value" (lead: the ',"key":"' part), the value
 * escaped into at most max bytes and closed whatever is cut; nothing at
 * all if not even the empty string fits.
 */
static void
log_json_str(struct log_json *j, const char *lead, const char *value, size_t max)
{
	size_t n = strlen(lead), end;

	if (value == NULL)
		value = "-";
	if (j->len + n + 1 > j->cap)
		return;
	memcpy(j->buf + j->len, lead, n);
	j->len += n;
	end = j->cap - 1;
	if (end - j->len > max)
		end = j->len + max;
	log_json_escape(j, value, end);
	j->buf[j->len++] = '"';
}

static void
log_json_int(struct log_json *j, const char *lead, long long v)
{
	char num[48];
	int n = snprintf(num, sizeof(num), "%s%lld", lead, v);

	if (n > 0 && (size_t)n < sizeof(num))
		(void)log_json_raw(j, num, (size_t)n);
}

/* Starts {"time":...,"level":...,"msg":"<msg>" */
static void
log_json_start(struct log_json *j, char *line, enum log_level level, const char *msg)
{
	char ts[32];

	j->buf = line;
	j->len = 0;
	j->cap = LOG_LINE_MAX - 2;
	util_rfc3339(ts);
	log_json_str(j, "{\"time\":\"", ts, 32);
	log_json_str(j, ",\"level\":\"", log_level_tags[level], 8);
	log_json_str(j, ",\"msg\":\"", msg, LOG_LINE_MAX);
}

static void
log_json_end(struct log_json *j)
{
	j->buf[j->len++] = '}';
	j->buf[j->len++] = '\n';
	log_put(j->buf, j->len);
}

/* ------------------------------------------------------------------------
 * Operational lines
 * ---------------------------------------------------------------------- */

static void
log_text(const char *tag, const char *fmt, va_list ap)
{
	char line[LOG_LINE_MAX], ts[32];
	int n, m;

	util_rfc3339(ts);
	n = snprintf(line, sizeof(line), "%s %s ", ts, tag);
	if (n < 0)
		return;
	m = vsnprintf(line + n, sizeof(line) - (size_t)n - 1, fmt, ap);
	if (m < 0)
		return;
	n += m;
	if ((size_t)n > sizeof(line) - 2)
		n = (int)sizeof(line) - 2;
	line[n++] = '\n';
	log_put(line, (size_t)n);
}

static void __attribute__((format(printf, 2, 3)))
log_text_f(const char *tag, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_text(tag, fmt, ap);
	va_end(ap);
}

static void
log_emit(enum log_level level, const char *fmt, va_list ap)
{
	char msg[LOG_LINE_MAX], line[LOG_LINE_MAX];
	struct log_json j;

	if (!log_json_now()) {
		log_text(log_level_tags[level], fmt, ap);
		return;
	}
	if (vsnprintf(msg, sizeof(msg), fmt, ap) < 0)
		return;
	log_json_start(&j, line, level, msg);
	log_json_end(&j);
}

#define LOG_FN(name, level)                          \
	void name(const char *fmt, ...)              \
	{                                            \
		va_list ap;                          \
		if (!log_enabled(level))             \
			return;                      \
		va_start(ap, fmt);                   \
		log_emit(level, fmt, ap);            \
		va_end(ap);                          \
	}

LOG_FN(log_debug, LOG_LEVEL_DEBUG)
LOG_FN(log_info, LOG_LEVEL_INFO)
LOG_FN(log_warn, LOG_LEVEL_WARN)
LOG_FN(log_error, LOG_LEVEL_ERROR)

/* ------------------------------------------------------------------------
 * Access lines
 * ---------------------------------------------------------------------- */

/*
 * Text: paths come from clients: escape spaces, quotes, control and
 * non-ASCII bytes so nobody can forge a log line or a field.
 */
static void
log_escape(const char *in, char *out, size_t outlen)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t o = 0;

	for (; *in != '\0' && o + 4 < outlen; in++) {
		unsigned char c = (unsigned char)*in;

		if (c <= 0x20 || c >= 0x7f || c == '"' || c == '\\') {
			out[o++] = '%';
			out[o++] = hex[c >> 4];
			out[o++] = hex[c & 15];
		} else {
			out[o++] = (char)c;
		}
	}
	out[o] = '\0';
}

/*
 * JSON: every string bounded so the numbers and ids always fit in the
 * line whatever the path (the path's bound is the text format's).
 */
static void
log_access_json(const struct log_access *a)
{
	char line[LOG_LINE_MAX];
	struct log_json j;

	log_json_start(&j, line, LOG_LEVEL_INFO, "access");
	log_json_str(&j, ",\"method\":\"", a->method, 32);
	log_json_str(&j, ",\"path\":\"", a->path, 1024);
	log_json_int(&j, ",\"status\":", a->status);
	log_json_int(&j, ",\"bytes\":", (long long)a->bytes);
	log_json_int(&j, ",\"duration_ms\":", (long long)a->duration_ms);
	log_json_str(&j, ",\"identity\":\"", a->identity ? a->identity : "-", 128);
	log_json_str(&j, ",\"outcome\":\"", a->outcome, 64);
	if (a->client != NULL)
		log_json_str(&j, ",\"client\":\"", a->client, 128);
	if (a->login != NULL)
		log_json_str(&j, ",\"login\":\"", a->login, 128);
	if (a->operation != NULL)
		log_json_str(&j, ",\"op\":\"", a->operation, 160);
	log_json_end(&j);
}

void
log_access(const struct log_access *a)
{
	char path[1024], op[160] = "";

	if (!log_enabled(LOG_LEVEL_INFO))
		return;
	if (log_json_now()) {
		log_access_json(a);
		return;
	}
	log_escape(a->path, path, sizeof(path));
	if (a->operation != NULL) {
		memcpy(op, " op=", 4);
		log_escape(a->operation, op + 4, sizeof(op) - 4);
	}
	log_text_f("INFO", "access method=%s path=%s status=%d bytes=%zu duration_ms=%lld identity=%s outcome=%s%s%s%s%s%s",
	    a->method, path, a->status, a->bytes, (long long)a->duration_ms,
	    a->identity ? a->identity : "-", a->outcome,
	    a->client ? " client=" : "", a->client ? a->client : "",
	    a->login ? " login=" : "", a->login ? a->login : "", op);
}
