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
	ROUTE_REPOSITORIES,   /* /repositories/{id}[/...]: owner unknown */
};

struct route_info {
	enum route_family family;
	const char *owner;    /* points into the path; NULL if none */
	size_t owner_len;
	const char *repo;     /* /repos and /networks only */
	size_t repo_len;
	size_t prefix_len;    /* length of "/repos/{o}/{r}", 0 if not that family */
};

/*
 * Checks a raw request path (no query). Returns NULL if it is acceptable,
 * else a short reason. Rejects dot segments (raw or percent-encoded),
 * empty segments, backslashes and control characters, which could make
 * the path GitHub sees differ from the one we judged.
 */
const char *route_path_invalid(const char *path, size_t len);

/* The rate-limit bucket GitHub charges a REST read of this path to. */
const char *route_bucket(const char *path, size_t len);

/* Splits an owner-scoped path; info->family is ROUTE_OTHER otherwise. */
void route_parse(const char *path, size_t len, struct route_info *info);

/* True for the paths ghpool answers itself (/healthz, /stats). */
bool route_is_management(const char *path, size_t len);

#endif
