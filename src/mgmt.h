/*
 * mgmt: the endpoints ghpool answers itself (/healthz, /stats). Reads the
 * pool's state for reporting; never changes it and never shows a token.
 */
#ifndef GHPOOL_MGMT_H
#define GHPOOL_MGMT_H

#include <event2/http.h>

struct pool;
struct mgmt;

struct mgmt *mgmt_new(struct pool *pool);
void mgmt_free(struct mgmt *m);

/* Answers a request whose path route_is_management() accepted. */
void mgmt_handle(struct mgmt *m, struct evhttp_request *req, const char *path);

#endif
