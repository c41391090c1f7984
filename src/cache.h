/*
 * cache: the response store shared by every worker. Entries are immutable
 * and reference-counted, so a hit is handed to the client without copying
 * (cache_entry_add_body) and outlives its eviction until the last writer
 * lets go. Bounded by entry count and bytes; eviction is SIEVE, which needs
 * no lock on a hit beyond the shard's read lock.
 */
#ifndef GHPOOL_CACHE_H
#define GHPOOL_CACHE_H

#include <event2/buffer.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct cache;
struct cache_entry;

struct cache_limits {
	size_t max_entries;
	size_t max_bytes;         /* key + headers + body + bookkeeping */
	size_t max_entry_bytes;   /* larger answers are never stored */
};

struct cache_header {
	const char *name;
	const char *value;
};

struct cache_stats {
	uint64_t entries, bytes, inserts, evictions, invalidations, too_large;
	uint64_t max_entries, max_bytes;
};

struct cache *cache_new(const struct cache_limits *lim);
void cache_free(struct cache *c);

/* ------------------------------------------------------------------------
 * Entries
 * ---------------------------------------------------------------------- */

/*
 * Builds an entry (one reference, the caller's). identity is the pool index
 * that fetched it (revalidation must use the same one); ttl_ms is how long
 * it stays fresh from now.
 */
struct cache_entry *cache_entry_new(const char *key, size_t key_len, int status,
    const struct cache_header *headers, size_t n_headers,
    struct evbuffer *body, int identity, int64_t ttl_ms);

void cache_entry_ref(struct cache_entry *e);
void cache_entry_release(struct cache_entry *e);

int cache_entry_status(const struct cache_entry *e);
int cache_entry_identity(const struct cache_entry *e);
size_t cache_entry_size(const struct cache_entry *e);
size_t cache_entry_header_count(const struct cache_entry *e);
struct cache_header cache_entry_header(const struct cache_entry *e, size_t i);
const char *cache_entry_find_header(const struct cache_entry *e, const char *name);
size_t cache_entry_body_len(const struct cache_entry *e);

/* Appends the body to out by reference: no copy; the entry (or, for a
 * large body, its memfd segment) stays alive until libevent has written
 * it. Give out EVBUFFER_FLAG_DRAINS_TO_FD if it is bound for a socket, so
 * large bodies go out with sendfile(2). */
void cache_entry_add_body(struct cache_entry *e, struct evbuffer *out);

/* Milliseconds since the entry was fetched (or last revalidated). */
int64_t cache_entry_age_ms(const struct cache_entry *e, int64_t now_ms);
bool cache_entry_fresh(const struct cache_entry *e, int64_t now_ms);

/* An entry fetched age_ms ago elsewhere (another replica, through L2):
 * its age counts from then. Before the entry is shared. */
void cache_entry_backdate(struct cache_entry *e, int64_t age_ms);

/* A 304 confirmed the entry: fresh again for ttl_ms, age restarts. */
void cache_entry_renew(struct cache_entry *e, int64_t ttl_ms);

/* ------------------------------------------------------------------------
 * The store
 * ---------------------------------------------------------------------- */

/* A referenced entry for key (release it), or NULL. Counts as a use. */
struct cache_entry *cache_get(struct cache *c, const char *key, size_t key_len);

/* Stores e under its key, replacing any entry there, evicting as needed.
 * Returns false (and stores nothing) when e alone exceeds the limits. */
bool cache_put(struct cache *c, struct cache_entry *e);

/*
 * The same, for a fetch that began at generation (cache_generation): stored
 * only if no invalidation came since, checked under the lock invalidations
 * take, so none can fall between the check and the store. The second also
 * renews e for ttl_ms (a 304 confirmed it) under that lock: a write that
 * invalidated e meanwhile is never undone by its renewal.
 */
bool cache_put_current(struct cache *c, struct cache_entry *e, uint64_t generation);
bool cache_renew_current(struct cache *c, struct cache_entry *e, int64_t ttl_ms,
    uint64_t generation);

/* Drops the entry stored under key, if any (GitHub said it is gone). */
void cache_remove_key(struct cache *c, const char *key, size_t key_len);

/*
 * Marks invalidated every entry whose key starts with prefix, in any case
 * (owner and repository names have none), followed by '/', '?', a newline
 * or nothing (keys begin with the path); returns how many. Such an entry
 * is never fresh or served stale again, but keeps its ETag: the next read
 * revalidates it, and GitHub's 304 for what did not change is free.
 */
size_t cache_invalidate_prefix(struct cache *c, const char *prefix);
bool cache_entry_invalidated(const struct cache_entry *e);

/* The same for one entry, stored or not: one another replica stored before
 * a write (an outdated L2 entry), or ours that is older still, kept for
 * its ETag alone. */
void cache_entry_invalidate(struct cache_entry *e);

/* Changes with every invalidation. A fetch that began under another
 * generation may carry data from before a write: it must not be stored. */
uint64_t cache_generation(struct cache *c);

void cache_stats(struct cache *c, struct cache_stats *out);

#endif
