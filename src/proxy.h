/*
 * proxy: the pooled-read pipeline. A request comes in, the policy judges
 * it, the cache answers or coalesces it, the pool picks an identity, the
 * worker's upstream fetches it, and the answer goes back with GitHub's
 * headers, ghpool's URLs and the pool's rate-limit view. Owns the retry
 * rules (secondary limits, revoked tokens) and revalidation.
 */
#ifndef GHPOOL_PROXY_H
#define GHPOOL_PROXY_H

#include <event2/http.h>
#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

struct audit;
struct config;
struct mailbox;
struct pool;
struct policy;
struct policy_client;
struct upstream;
struct proxy;

/* audit (borrowed, may be NULL) records every passthrough. */
struct proxy *proxy_new(const struct config *cfg, struct pool *pool,
    struct policy *policy, struct audit *audit);
void proxy_free(struct proxy *px);

/* Where ghpool really listens (after binding, port 0 resolved): the base
 * of rewritten URLs for requests without a usable Host header. */
void proxy_set_local_address(struct proxy *px, const char *listen, int port);

/* A reload's cache lifetimes: TTLs, rules, stale_if_error_secs. Entries
 * already stored keep the lifetime they were stored with. */
void proxy_update(struct proxy *px, const struct config *cfg);

/* From now on every new request is refused with 503 (shutdown). */
void proxy_set_closing(struct proxy *px);

/*
 * Who is asking: checks the X-Ghpool-Key header when [[clients]] are
 * configured (on management endpoints also "Authorization: Bearer <key>").
 * Returns true with *client (NULL without clients), or answers the request
 * itself with a 401 and returns false.
 */
bool proxy_admit(struct proxy *px, struct evhttp_request *req, bool management,
    const struct policy_client **client);

/*
 * What a worker lends the requests it hands in: its upstream, its mailbox
 * (where coalesced answers arrive) and, with [cache] backend = "redis",
 * its L2 tier and shared budgets (NULL otherwise). Lives as long as the
 * worker.
 */
struct l2;
struct share;
struct proxy_worker {
	struct upstream *up;
	struct mailbox *mb;
	struct l2 *l2;
	struct share *share;
};

/* Handles any request that is not a management endpoint, on worker w:
 * pooled reads here, writes and non-query GraphQL through passthrough. */
void proxy_handle(struct proxy *px, const struct proxy_worker *w,
    struct evhttp_request *req, const struct policy_client *client);

/* The cache section of /stats. */
json_t *proxy_stats(struct proxy *px);

#endif
