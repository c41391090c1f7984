/*
 * cachekey: what makes two reads the same read. A key is the raw path,
 * the query with its parameters in a canonical order, Accept (trimmed;
 * the default JSON spellings are one) and X-GitHub-Api-Version. The path comes first, so invalidating
 * a resource is a prefix match.
 */
#ifndef GHPOOL_CACHEKEY_H
#define GHPOOL_CACHEKEY_H

#include <stddef.h>

/*
 * Builds the key (malloc'd, NUL-terminated, length in *len). query is the
 * raw query without '?' (may be empty); accept and api_version may be NULL.
 */
char *cachekey_build(const char *path, size_t plen, const char *query,
    size_t qlen, const char *accept, const char *api_version, size_t *len);

#endif
