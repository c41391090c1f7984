/*
 * idmap: a bounded, thread-safe map from short strings to short strings
 * with an age limit, for what the policy learns about ids: a repository
 * id's owner, a GraphQL node id's owners. When full, the oldest entry
 * goes; an entry older than its TTL is as good as absent.
 */
#ifndef GHPOOL_IDMAP_H
#define GHPOOL_IDMAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct idmap;

struct idmap *idmap_new(size_t capacity, int64_t ttl_ms);
void idmap_free(struct idmap *m);

/* Sets key's value (replacing any); keys and values over 255 bytes are
 * not kept. */
void idmap_put(struct idmap *m, const char *key, size_t klen, const char *value);

/* Copies key's value into out (NUL-terminated); false if absent, expired
 * or longer than outlen - 1. */
bool idmap_get(struct idmap *m, const char *key, size_t klen, char *out, size_t outlen);

void idmap_clear(struct idmap *m);
size_t idmap_count(struct idmap *m);

#endif
