/*
 * policy: who is asking, and may this read happen at all? Authenticates
 * [[clients]] keys, then judges REST paths and GraphQL root fields against
 * allowed_owners (narrowed per client) before anything is sent upstream.
 * It fails closed: what cannot be tied to an allowed owner is denied. It
 * also remembers what it learns about ids (a repository id's owner, the
 * owners of the answers a GraphQL node id was served in).
 */
#ifndef GHPOOL_POLICY_H
#define GHPOOL_POLICY_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

struct config;
struct gql_fields;
struct policy;
struct policy_client;
struct route_info;

/* Why a request was denied: a rule name clients can match on, and a
 * message for people. */
struct policy_denial {
	const char *rule;   /* owner, repository_id, search, identity, path,
	                       graphql_field, graphql_node */
	char message[320];
};

struct policy *policy_new(const struct config *cfg);
void policy_free(struct policy *p);

/* True when no owner at all is allowed (worth a start-up warning). */
bool policy_allows_none(struct policy *p);

/* Replaces the rules and clients with cfg's (reload); checks under way
 * finish on the old ones. */
void policy_update(struct policy *p, const struct config *cfg);

/* ------------------------------------------------------------------------
 * Clients
 * ---------------------------------------------------------------------- */

/*
 * Checks an X-Ghpool-Key value (NULL when absent). Returns true with
 * *client set (NULL when no [[clients]] are configured), or false with a
 * reason for a 401. The client stays valid until policy_free().
 */
bool policy_authenticate(struct policy *p, const char *key,
    const struct policy_client **client, const char **why);

/* The client's configured id; NULL for NULL. */
const char *policy_client_id(const struct policy_client *c);

/* Counts a request of client c for /stats. */
void policy_count(struct policy *p, const struct policy_client *c, bool denied);

/* {"clients": {...}, "repository_ids_known": n, "node_ids_seen": n}. */
json_t *policy_stats(struct policy *p);

/* ------------------------------------------------------------------------
 * Verdicts
 * ---------------------------------------------------------------------- */

enum policy_verdict {
	POLICY_ALLOW,
	POLICY_DENY,          /* d says why */
	POLICY_RESOLVE,       /* a /repositories/{id} path whose owner is unknown:
	                         look it up and ask policy_check_owner() */
	POLICY_RATE_LIMIT,    /* /rate_limit: answered from the pool's view */
};

/*
 * A REST request: path (raw, no query) as route_parse() described it in
 * ri, and its raw query (without '?'). Writes, which carry the client's
 * own token, are judged on their owner only.
 */
enum policy_verdict policy_check_rest(struct policy *p, const struct policy_client *c,
    const char *path, size_t len, const struct route_info *ri, const char *query,
    size_t qlen, bool write, struct policy_denial *d);

/* After POLICY_RESOLVE: the repository's owner login, or NULL when GitHub
 * does not show it (denied), and its name (NULL if not shown). Both are
 * remembered for a while; see policy_repo_alias. */
bool policy_check_owner(struct policy *p, const struct policy_client *c,
    const char *repo_id, size_t idlen, const char *owner, const char *name,
    struct policy_denial *d);

/*
 * A repository's paths have two spellings, /repos/<owner>/<name> and
 * /repositories/<id>: a write under one must invalidate reads cached under
 * the other. Given one group (as route_group_len cuts it, len bytes), the
 * other into out, when the id was resolved lately (policy_check_owner);
 * false otherwise. Any case on the way in; GitHub's case on the way out.
 */
bool policy_repo_alias(struct policy *p, const char *group, size_t len, char *out,
    size_t outlen);

/*
 * A pooled GraphQL query's root fields. On allow, *owners is the owners
 * the answer is about (malloc'd "a,b", or NULL), for policy_learn_nodes().
 */
bool policy_check_graphql(struct policy *p, const struct policy_client *c,
    const struct gql_fields *f, char **owners, struct policy_denial *d);

/* Remembers every "id" in a pooled GraphQL answer as seen in an answer
 * about owners (from policy_check_graphql). */
void policy_learn_nodes(struct policy *p, const char *owners, const char *body, size_t len);

/* [policy] passthrough_denied_reads. */
bool policy_passthrough_denied(struct policy *p);

#endif
