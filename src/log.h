/*
 * log: the process's only writer to stderr. Operational messages carry a
 * level; every proxied request gets exactly one access line. Callers pass
 * identity ids and token fingerprints, never tokens: nothing here could
 * tell a token from any other string, so the rule is enforced at call sites.
 */
#ifndef GHPOOL_LOG_H
#define GHPOOL_LOG_H

#include <stddef.h>
#include <stdint.h>

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
