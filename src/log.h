/*
 * log: the process's only writer to stderr. Operational messages carry a
 * level; every proxied request gets exactly one access line (at INFO).
 * Lines are text or, once configured, one JSON object each. Callers pass
 * identity ids and token fingerprints, never tokens: nothing here could
 * tell a token from any other string, so the rule is enforced at call sites.
 */
#ifndef GHPOOL_LOG_H
#define GHPOOL_LOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* log_format = "text" | "json". */
enum log_format { LOG_FORMAT_TEXT, LOG_FORMAT_JSON };

/* log_level: the least severe level written. Ordered. */
enum log_level { LOG_LEVEL_DEBUG, LOG_LEVEL_INFO, LOG_LEVEL_WARN, LOG_LEVEL_ERROR };

/*
 * Applies a loaded configuration's format and level; until the first call
 * lines are text at INFO. Thread-safe: workers keep logging meanwhile, each
 * line in the format and under the level of the moment it is written.
 */
void log_configure(enum log_format format, enum log_level level);

/* Whether a line at level would be written: callers with costly
 * arguments ask first. */
bool log_enabled(enum log_level level);

/* The configuration's names ("text", "json"; "debug", "info", "warn",
 * "error"), exactly; -1 for anything else. */
int log_format_parse(const char *name);
int log_level_parse(const char *name);
const char *log_format_name(enum log_format format);
const char *log_level_name(enum log_level level);

void log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

struct log_access {
	const char *method;
	const char *path;       /* path only: query strings may carry secrets */
	int status;
	size_t bytes;
	int64_t duration_ms;
	const char *identity;   /* identity id, or "-" */
	const char *outcome;    /* pooled, denied, exhausted, upstream_error, ... */
	const char *login;      /* passthroughs: the client token's login, or NULL */
	const char *operation;  /* GraphQL: "query Name", "mutation", ...; or NULL */
	const char *client;     /* the [[clients]] id, or NULL */
};

void log_access(const struct log_access *a);

/*
 * Batching for the calling thread, which runs base's loop: lines are
 * written once per loop turn instead of one write each. Stop (which
 * flushes) before base is freed. Without it, every line is written at once.
 */
struct event_base;
int log_batch_start(struct event_base *base);
void log_batch_stop(void);

#endif
