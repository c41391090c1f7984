/*
 * freshness: how long a cached answer may be served without asking
 * GitHub. [[cache.rules]] globs first, then the built-in route classes
 * (repo view, pulls, issues, runs, commit lists, SHA-addressed objects).
 */
#ifndef GHPOOL_FRESHNESS_H
#define GHPOOL_FRESHNESS_H

#include <stddef.h>
#include <stdint.h>

struct config;
struct freshness;

struct freshness *freshness_new(const struct config *cfg);
void freshness_free(struct freshness *f);

/* Replaces the TTLs and rules with cfg's (reload). */
void freshness_update(struct freshness *f, const struct config *cfg);

/* TTL in seconds for a read of path (NUL-terminated, raw) with query. */
int64_t freshness_ttl(struct freshness *f, const char *path,
    const char *query, size_t qlen);

#endif
