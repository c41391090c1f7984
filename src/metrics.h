/*
 * metrics: ghpool's request and upstream counters and histograms, and the
 * Prometheus text form of /metrics. Each worker thread counts into a shard
 * of its own, so the hit path touches no shared cache line; a scrape adds
 * the shards up. Labels come from closed sets (route families, methods,
 * status classes, cache outcomes) or from the configuration (identity,
 * bucket and client ids from /stats), never from a path or a token.
 */
#ifndef GHPOOL_METRICS_H
#define GHPOOL_METRICS_H

#include <event2/buffer.h>
#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

/* What a request was, for its labels; NONE: refused before routing. */
enum metrics_route {
	METRICS_ROUTE_NONE,
	METRICS_ROUTE_REPOS,
	METRICS_ROUTE_ORGS,
	METRICS_ROUTE_USERS,
	METRICS_ROUTE_NETWORKS,
	METRICS_ROUTE_REPOSITORIES,
	METRICS_ROUTE_SEARCH,
	METRICS_ROUTE_IDENTITY,
	METRICS_ROUTE_RATE_LIMIT,
	METRICS_ROUTE_PUBLIC,
	METRICS_ROUTE_OTHER,
	METRICS_ROUTE_GRAPHQL,
	METRICS_ROUTE_MANAGEMENT,
	METRICS_ROUTE_COUNT
};

enum metrics_method {
	METRICS_METHOD_GET,
	METRICS_METHOD_HEAD,
	METRICS_METHOD_POST,
	METRICS_METHOD_PUT,
	METRICS_METHOD_PATCH,
	METRICS_METHOD_DELETE,
	METRICS_METHOD_OTHER,
	METRICS_METHOD_COUNT
};

/* Counters without labels of their own. */
enum metrics_counter {
	METRICS_REVALIDATION_NOT_MODIFIED,  /* GitHub's 304: free */
	METRICS_REVALIDATION_MODIFIED,      /* a new answer replaced the entry */
	METRICS_REVALIDATION_FAILED,        /* no answer, or an error status */
	METRICS_UPSTREAM_IN_FLIGHT,         /* a gauge: started minus finished */
	METRICS_COUNTER_COUNT
};

/* Gives the calling thread a shard of its own (a worker, before its loop);
 * other threads count into a shared one. */
void metrics_thread_start(void);

/* Frees every shard; at exit, after the last thread that counts. */
void metrics_cleanup(void);

/*
 * One answered request: outcome is the access line's ("HIT", "MISS",
 * "denied", ...), of which the cache label keeps the cache's five.
 */
void metrics_request(enum metrics_route route, enum metrics_method method, int status,
    const char *outcome, int64_t duration_us);

/* One upstream request that ended: status 0 when none came back. */
void metrics_upstream(bool passthrough, long status, int64_t duration_us);

void metrics_add(enum metrics_counter c, int64_t delta);

/*
 * Appends the exposition (text format 0.0.4): ghpool's own series, then
 * those read off stats, the /stats document (pool, cache and policy
 * sections), so the two endpoints never disagree.
 */
void metrics_render(struct evbuffer *out, const json_t *stats);

#endif
