/*
 * log.c - operational and access logging to stderr.
 *
 * Each write(2) carries whole lines and at most PIPE_BUF bytes, so lines
 * from different threads never interleave, even on a pipe. A worker thread
 * batches: its lines collect in a thread-local buffer that is written once
 * per event-loop turn, after the answers of that turn went out. Under load
 * that is one write for dozens of requests instead of one each.
 */
#include "log.h"
#include "util.h"

#include <event2/event.h>
#include <limits.h>
#include <stdarg.h>
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

static void
log_emit(const char *level, const char *fmt, va_list ap)
{
	char line[LOG_LINE_MAX], ts[32];
	int n, m;

	util_rfc3339(ts);
	n = snprintf(line, sizeof(line), "%s %s ", ts, level);
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

#define LOG_FN(name, level)                          \
	void name(const char *fmt, ...)              \
	{                                            \
		va_list ap;                          \
		va_start(ap, fmt);                   \
		log_emit(level, fmt, ap);            \
		va_end(ap);                          \
	}

LOG_FN(log_info, "INFO")
LOG_FN(log_warn, "WARN")
LOG_FN(log_error, "ERROR")

/*
 * Paths come from clients: escape spaces, quotes, control and non-ASCII
 * bytes so nobody can forge a log line or a field.
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

void
log_access(const struct log_access *a)
{
	char path[1024], op[160] = "";

	log_escape(a->path, path, sizeof(path));
	if (a->operation != NULL) {
		memcpy(op, " op=", 4);
		log_escape(a->operation, op + 4, sizeof(op) - 4);
	}
	log_info("access method=%s path=%s status=%d bytes=%zu duration_ms=%lld identity=%s outcome=%s%s%s%s%s%s",
	    a->method, path, a->status, a->bytes, (long long)a->duration_ms,
	    a->identity ? a->identity : "-", a->outcome,
	    a->client ? " client=" : "", a->client ? a->client : "",
	    a->login ? " login=" : "", a->login ? a->login : "", op);
}
