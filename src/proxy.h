/*
 * proxy: the pooled-read pipeline. A request comes in, the policy judges
 * it, the pool picks an identity, the worker's upstream fetches it, and
 * the answer goes back with GitHub's headers, ghpool's URLs and the pool's
 * rate-limit view. Owns the retry rules (secondary limits, revoked tokens).
 */
#ifndef GHPOOL_PROXY_H
#define GHPOOL_PROXY_H

#include <event2/http.h>

struct config;
struct pool;
struct policy;
struct upstream;
struct proxy;

struct proxy *proxy_new(const struct config *cfg, struct pool *pool,
    struct policy *policy);
void proxy_free(struct proxy *px);

/* Where ghpool really listens (after binding, port 0 resolved): the base
 * of rewritten URLs for requests without a usable Host header. */
void proxy_set_local_address(struct proxy *px, const char *listen, int port);

/* Handles any request that is not a management endpoint. */
void proxy_handle(struct proxy *px, struct upstream *up, struct evhttp_request *req);

#endif
