/*
 * upstream: asynchronous HTTP requests to GitHub for one worker thread.
 * Each worker owns one upstream: a curl multi handle driven by that
 * worker's event_base through curl's socket and timer callbacks, so
 * connections (and HTTP/2 streams) are reused across that worker's reads.
 * Knows nothing of pools or policies: it fetches what it is given.
 */
#ifndef GHPOOL_UPSTREAM_H
#define GHPOOL_UPSTREAM_H

#include <curl/curl.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <stdbool.h>
#include <stddef.h>

struct upstream;
struct upstream_fetch;

struct upstream_options {
	long connect_timeout_secs;
	long timeout_secs;
	size_t max_body_bytes;        /* larger answers fail as UPSTREAM_FAILED */
};

enum upstream_error {
	UPSTREAM_OK,
	UPSTREAM_CONNECT,             /* could not connect, reset, garbled reply */
	UPSTREAM_TIMEOUT,
	UPSTREAM_FAILED,              /* anything else, e.g. too large */
};

struct upstream_request {
	const char *method;           /* GET, HEAD, POST, ... */
	const char *url;
	struct curl_slist *headers;   /* taken over by upstream_start() */
	const void *body;             /* copied; NULL for none */
	size_t body_len;
	bool isolated;                /* client-written: a fresh connection, not reused */
};

struct upstream_result {
	enum upstream_error error;
	const char *error_text;       /* for logs; never contains secrets */
	long status;
	struct evkeyvalq *headers;    /* the final response's headers */
	struct evbuffer *body;        /* the callback may drain it */
	long duration_ms;
};

/* Called exactly once per fetch that was not cancelled. */
typedef void (*upstream_cb)(struct upstream_result *res, void *arg);

struct upstream *upstream_new(struct event_base *base,
    const struct upstream_options *opt);
/* Frees the handle; fetches still running get an UPSTREAM_FAILED callback
 * first. Returns how many there were. */
size_t upstream_free(struct upstream *u);

/* NULL if the request could not even be set up (no callback then); the
 * headers are freed either way. */
struct upstream_fetch *upstream_start(struct upstream *u,
    const struct upstream_request *req, upstream_cb cb, void *arg);


#endif
