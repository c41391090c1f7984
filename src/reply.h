/*
 * reply: the one way an answer leaves ghpool. Sends a response (or a JSON
 * error), writes the request's access-log line and counts it in metrics,
 * so no path can answer without being logged and counted.
 */
#ifndef GHPOOL_REPLY_H
#define GHPOOL_REPLY_H

#include <event2/buffer.h>
#include <event2/http.h>
#include <jansson.h>
#include "metrics.h"
#include <stdint.h>

/* What the access line says about a request, filled as it is handled. */
struct reply_log {
	const char *method;
	const char *path;        /* without the query */
	const char *identity;    /* "-" or NULL when none was used */
	const char *outcome;
	const char *login;       /* passthroughs: who the client's token is */
	const char *operation;   /* GraphQL operation, e.g. "mutation AddComment" */
	const char *client;      /* the [[clients]] id, or NULL */
	enum metrics_route route;
	int64_t start_us;        /* util_mono_us() when the request arrived */
};

/* Sends status with body (may be NULL); drains body. */
void reply_send(struct evhttp_request *req, int status, struct evbuffer *body,
    const struct reply_log *lg);

/* Sends {"message": message} with the given status. */
void reply_error(struct evhttp_request *req, int status, const char *message,
    const struct reply_log *lg);

/* Sends a JSON document (stolen) with the given status. */
void reply_json(struct evhttp_request *req, int status, json_t *doc,
    const struct reply_log *lg);

const char *reply_method_name(enum evhttp_cmd_type cmd);

/*
 * Requests the calling thread has taken and not yet answered: every
 * request gets exactly one reply_send(), even if its client is gone, so
 * this count, unlike evhttp's completion callbacks, never misses one.
 * idle (may be NULL) is called on this thread whenever it drops to zero.
 */
void reply_begin(void);
int reply_pending(void);
void reply_on_idle(void (*idle)(void *arg), void *arg);

#endif
