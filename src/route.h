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
	ROUTE_OTHER,          /* not owner-scoped */
	ROUTE_REPOS,          /* /repos/{owner}/{repo}[/...] */
	ROUTE_ORGS,           /* /orgs/{org}[/...] */
	ROUTE_USERS,          /* /users/{user}[/...] */
	ROUTE_NETWORKS,       /* /networks/{owner}/{repo}[/...] */
	ROUTE_BY_ID,          /* /repositories/{id}, /organizations/{id},
	                         /user/{id}: owner unknown without a lookup */
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
 * characters, spaces, non-ASCII bytes, and percent-encoded characters that
 * never need encoding.
 */
const char *route_path_invalid(const char *path, size_t len);

/* True if the whole request target (path and query) is printable ASCII
 * without spaces, as RFC 3986 requires; curl refuses anything else. */
bool route_target_clean(const char *uri, size_t len);

/* The rate-limit bucket GitHub charges a REST read of this path to. */
const char *route_bucket(const char *path, size_t len);

/* Splits an owner-scoped path; info->family is ROUTE_OTHER otherwise.
 * Family prefixes match case-insensitively, as the policy must assume
 * an upstream might route them. */
void route_parse(const char *path, size_t len, struct route_info *info);

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

/* True for the paths ghpool answers itself (/healthz, /stats). */
bool route_is_management(const char *path, size_t len);

#endif
