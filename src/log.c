/*
 * log.c - operational and access logging to stderr.
 *
 * Each line is formatted into one buffer and written with a single write(2),
 * so lines from different worker threads never interleave.
 */
#include "log.h"
#include "util.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static void
log_emit(const char *level, const char *fmt, va_list ap)
{
	char line[2048], ts[32];
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
	/* A failed log write has nowhere to be reported; drop it. */
	(void)!write(STDERR_FILENO, line, (size_t)n);
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
	char path[1024];

	log_escape(a->path, path, sizeof(path));
	log_info("access method=%s path=%s status=%d bytes=%zu duration_ms=%lld identity=%s outcome=%s",
	    a->method, path, a->status, a->bytes, (long long)a->duration_ms,
	    a->identity ? a->identity : "-", a->outcome);
}
