/*
 * passthrough: requests ghpool must not answer with a pooled token. REST
 * writes and every GraphQL document that is not positively a query go to
 * GitHub with the client's own Authorization, and GitHub's answer comes
 * back whole. Nothing here touches the pool or stores in the cache; after a
 * successful write it drops the cache entries the write made stale. Each
 * passthrough is logged and audited with the login behind the token.
 */
#ifndef GHPOOL_PASSTHROUGH_H
#define GHPOOL_PASSTHROUGH_H

#include "gql.h"
#include "reply.h"
#include "route.h"

#include <event2/http.h>
#include <stdbool.h>

struct audit;
struct cache;
struct passthrough;
struct upstream;
struct whois;

/* All borrowed; cache may be NULL (cache off), audit NULL (no audit_log). */
struct passthrough *passthrough_new(struct cache *cache, struct whois *whois,
    struct audit *audit);
void passthrough_free(struct passthrough *pt);

/* One request to pass through; strings are copied. */
struct passthrough_request {
	const char *uri;             /* path?query, forwarded byte for byte */
	const char *path;
	const struct route_info *route;   /* route_parse() of path */
	const char *upstream_url;
	const char *public_base;     /* Link and Location point back here */
	const struct gql_op *op;     /* GraphQL; NULL for a REST write */
	bool read;                   /* a read the pooled policy refused: not a
	                                write, so nothing to invalidate or audit */
	/* The worker's L2 (backend = "redis"), read when the write completes
	 * (by then it may be gone: NULL); NULL itself without Redis. */
	struct l2 *const *l2;
	/* The same repository's group under its other spelling (by id, by
	 * name: policy_repo_alias), invalidated too; NULL if unknown. */
	const char *alias_group;
	struct reply_log lg;         /* method and start time */
};

/*
 * Answers req: 401 without an Authorization header, else GitHub's answer
 * to the same request made with it. On the worker that owns up.
 */
void passthrough_start(struct passthrough *pt, struct upstream *up,
    struct evhttp_request *req, const struct passthrough_request *pr);

#endif
