/*
 * route: what a request path means, without deciding anything about it.
 * It validates a raw (still percent-encoded) path, names its rate-limit
 * bucket, and picks out the owner-scoped family and owner segment that the
 * policy module judges. Pure functions over (pointer, length) slices.
 */
#ifndef GHPOOL_ROUTE_H
#define GHPOOL_ROUTE_H

#include <stdbool.h>
#include <stddef.h>

enum route_family {
	ROUTE_OTHER,          /* none of these: only [policy] allow_paths */
	ROUTE_REPOS,          /* /repos/{owner}/{repo}[/...] */
	ROUTE_ORGS,           /* /orgs/{org}[/...] */
	ROUTE_USERS,          /* /users/{user}[/...] */
	ROUTE_NETWORKS,       /* /networks/{owner}/{repo}[/...] */
	ROUTE_REPO_ID,        /* /repositories/{id}[/...]: owner needs a lookup;
	                         the id is in owner/owner_len */
	ROUTE_SEARCH,         /* /search/... */
	ROUTE_IDENTITY,       /* the caller's own data: /user[/...],
	                         /notifications, /issues, /gists, /installation */
	ROUTE_RATE_LIMIT,     /* /rate_limit */
	ROUTE_PUBLIC,         /* GitHub-wide public data: /meta, /zen, ... */
};

struct route_info {
	enum route_family family;
	const char *owner;    /* points into the path; NULL if none */
	size_t owner_len;
	const char *repo;     /* /repos and /networks only */
	size_t repo_len;
	/*
	 * For Link rewriting: GitHub paginates /repos/{o}/{r}, /orgs/{o} and
	 * /users/{u} with links in the numeric-id form id_form + "{id}". The
	 * request's own prefix ("/repos/o/r", ...) is path[0, prefix_len).
	 */
	const char *id_form;  /* "/repositories/", ...; NULL if none */
	size_t prefix_len;
};

/*
 * Checks a raw request path (no query). Returns NULL if it is acceptable,
 * else a short reason. Anything that could make the path GitHub routes
 * differ from the one we judged is refused: dot segments (raw, encoded,
 * or hidden behind an encoded slash), empty segments, backslashes, control
 * characters, spaces, non-ASCII bytes, percent-encoded characters that
 * never need encoding, and any percent-encoding in the segments that name
 * the family, owner, repository or repository id (later segments, such as
 * file paths under /contents/, may carry %2F and are forwarded as sent).
 */
const char *route_path_invalid(const char *path, size_t len);

/* True if the whole request target (path and query) is printable ASCII
 * without spaces, as RFC 3986 requires; curl refuses anything else. */
bool route_target_clean(const char *uri, size_t len);

/* The rate-limit bucket GitHub charges a REST read of this path to. */
const char *route_bucket(const char *path, size_t len);

/* Names the path's family and splits owner-scoped ones. Family prefixes
 * match case-insensitively, as the policy must assume an upstream might
 * route them. */
void route_parse(const char *path, size_t len, struct route_info *info);

/*
 * The group a path belongs to for invalidation: a write under it makes
 * every read of the group stale. /repos/o/r[/...] -> /repos/o/r; anything
 * else -> its first two segments (/orgs/o, /user/repos). The length of
 * that prefix of path, or 0 for none. info: route_parse's.
 */
size_t route_group_len(const char *path, const struct route_info *info);

/* How fast the answer at a path changes, for the cache's TTL table. */
enum route_class {
	ROUTE_CLASS_DEFAULT,
	ROUTE_CLASS_REPO_VIEW,      /* /repos/{o}/{r} */
	ROUTE_CLASS_PR,             /* /repos/{o}/{r}/pulls[/...] */
	ROUTE_CLASS_ISSUE,          /* /repos/{o}/{r}/issues[/...] */
	ROUTE_CLASS_RUN,            /* /repos/{o}/{r}/actions/runs|jobs[/...] */
	ROUTE_CLASS_COMMIT_LIST,    /* /repos/{o}/{r}/commits */
	ROUTE_CLASS_IMMUTABLE,      /* addressed by a full 40-hex SHA */
};

/* Classifies a raw path and query (query without '?', may be empty). */
enum route_class route_class(const char *path, size_t len, const char *query,
    size_t qlen);

/* True for the paths ghpool answers itself (/healthz, /readyz, /stats,
 * /metrics). */
bool route_is_management(const char *path, size_t len);

/* True for the probes (/healthz, /readyz): they answer without a key. */
bool route_is_probe(const char *path, size_t len);

#endif
