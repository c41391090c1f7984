/*
 * mgmt: the endpoints ghpool answers itself: the probes (/healthz,
 * /readyz), /stats and /metrics. Reads the pool's, cache's and policy's
 * state for reporting; never changes any of it and never shows a token.
 */
#ifndef GHPOOL_MGMT_H
#define GHPOOL_MGMT_H

#include <event2/http.h>

struct pool;
struct policy;
struct policy_client;
struct proxy;
struct mgmt;

struct mgmt *mgmt_new(struct pool *pool, struct proxy *px, struct policy *policy);
void mgmt_free(struct mgmt *m);

/* The server whose Redis links /stats and /metrics report (once it
 * exists; before, the section says nothing). */
struct server;
void mgmt_set_server(struct mgmt *m, struct server *srv);

/* Shutting down: /readyz answers 503 from now on. Thread-safe. */
void mgmt_set_draining(struct mgmt *m);

/* Answers a request whose path route_is_management() accepted, from
 * client (NULL without [[clients]]). */
void mgmt_handle(struct mgmt *m, struct evhttp_request *req, const char *path,
    const struct policy_client *client);

#endif
