/*
 * l2: the cache's second tier, shared by every replica through Redis (issue
 * #9). The in-process cache stays the first tier; l2 is asked only on a
 * local miss, by the request that leads it. Entries, a short lock per key
 * so one replica fetches while the others wait, and a "filled" channel that
 * wakes those waiting. One struct l2 per worker, used only on its loop.
 *
 * Never a reason to wait: every call either returns false at once (the
 * link is down, or an argument is out of bounds) or calls its callback
 * exactly once, on this loop, within the link's command deadline (a wait:
 * within its own timeout). No callback ever runs inside the call that
 * registers it, so a caller may register and then record its state.
 *
 * In Redis, with prefix P and H the lower-case hex SHA-256 of the cache
 * key (keys are long; the hash bounds what Redis stores as a key):
 *   P e:H       the entry: a versioned binary blob (l2_encode), with PX
 *   P l:H       the lock: a token unique to (process, worker, call), NX PX
 *   P filled    the channel; each message is an H that was filled, or
 *               announced as fetched with nothing stored
 * The entry blob holds the full cache key and is checked on every read, so
 * a hash collision, a foreign writer, a truncated value or another version
 * is a miss (decode_errors or key_mismatches counted), never a crash.
 */
#ifndef GHPOOL_L2_H
#define GHPOOL_L2_H

#include <event2/buffer.h>
#include <event2/event.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cache.h"
#include "redis.h"

/* Bounds, checked when encoding and again when decoding. */
#define L2_MAX_KEY        (64 * 1024)                   /* cache key bytes */
#define L2_MAX_HEADERS    256                           /* headers per entry */
#define L2_MAX_HEADER     (64 * 1024)                   /* a header's name + value */
#define L2_MAX_BODY       ((size_t)64 * 1024 * 1024)    /* ghpool's upstream body cap */
#define L2_MAX_IDENTITY   64                            /* identity id bytes */
#define L2_MAX_PREFIX     128                           /* key prefix bytes */
#define L2_DEFAULT_MAX_ENTRY ((size_t)1024 * 1024)      /* blob bytes l2_put stores by default */

struct l2;

struct l2_options {
	const struct redis_url *url;   /* copied (by redis_new) */
	int64_t timeout_ms;            /* per command; 0: 50 */
	int64_t connect_timeout_ms;    /* 0: redis's default (200) */
	int64_t backoff_min_ms;        /* 0: redis's default (100) */
	int64_t backoff_max_ms;        /* 0: redis's default (5000) */
	const char *prefix;            /* copied; NULL: "ghpool:"; at most L2_MAX_PREFIX bytes */
	/*
	 * l2_put stores no blob larger than this (0: L2_DEFAULT_MAX_ENTRY;
	 * capped at what the codec allows). The whole SET must be written and
	 * answered within timeout_ms, or the link is dropped with every
	 * command queued behind it: 1 MiB takes about 8 ms at 1 Gbit/s.
	 */
	size_t max_entry_bytes;
};

/*
 * Starts the link (redis name "l2") and subscribes to <prefix>filled; both
 * come up in the background (l2_up, and l2_wait refuses until the
 * subscription is confirmed). NULL on a missing url or base, or a prefix
 * longer than L2_MAX_PREFIX.
 */
struct l2 *l2_new(struct event_base *base, const struct l2_options *o);

/*
 * Every pending callback is called once first, before this returns: gets
 * with NULL, locks with L2_LOCK_UNAVAILABLE, waits with false; calls made
 * from those callbacks return false. Then the link is closed and nothing
 * is left on base. Must not be called from inside one of l2's callbacks
 * (it aborts, as redis_free does). NULL is fine.
 */
void l2_free(struct l2 *l);

/* Whether commands are being accepted now. Any thread. */
bool l2_up(const struct l2 *l);

/* The worker's Redis link, for others sharing it (share); owned by l2. */
struct redis *l2_redis(struct l2 *l);

/*
 * A decoded entry, valid during the callback only: copy what you keep.
 * headers and identity point into Redis's reply. body is l2's own copy of
 * the bytes: the callee may read, drain or take its contents (for
 * instance with evbuffer_add_buffer, or by passing it to cache_entry_new);
 * l2 frees the (then empty) buffer after the callback.
 */
struct l2_hit {
	int status;
	const struct cache_header *headers;
	size_t n_headers;
	struct evbuffer *body;
	const char *identity;     /* id of the pooled identity that fetched it ("" if none given) */
	int64_t age_ms;           /* wall-clock now minus its fetch time; never negative */
	int64_t ttl_ms;           /* the TTL it was stored with: fresh while age_ms < ttl_ms */
};

/* hit NULL: not there, undecodable, another key's, or no answer in time. */
typedef void (*l2_get_cb)(const struct l2_hit *hit, void *arg);

/*
 * GET <prefix>e:<hash>. false (cb never called): the link is down now, or
 * key_len is 0 or over L2_MAX_KEY.
 */
bool l2_get(struct l2 *l, const char *key, size_t key_len, l2_get_cb cb, void *arg);

/*
 * Publishes a fill, fire and forget, as three commands in this order on
 * one connection:
 *   SET <prefix>e:<hash> <blob> PX expire_ms (and, with a group, the
 *   entry's listing under it: see l2_invalidate)
 *   the release of this worker's lock on key, if it holds one (l2_unlock)
 *   PUBLISH <prefix>filled <hash>
 * so a waiter woken by the message finds the entry there and the lock
 * free. The blob holds key, status, headers, body (copied out, not
 * drained: an in-memory buffer such as upstream's answer, not one flagged
 * EVBUFFER_FLAG_DRAINS_TO_FD with file segments),
 * identity (NULL: ""), the fetch time as wall-clock epoch ms (now minus
 * age_ms: replicas share wall clocks, not monotonic ones) and ttl_ms.
 * expire_ms is Redis's expiry: TTL plus the stale-if-error window.
 *
 * When the entry cannot be stored (a field past its bound, a blob over
 * max_entry_bytes, expire_ms <= 0) the lock is still released and the
 * fill still announced, so waiters stop waiting. Returns whether the SET
 * was sent; false also when the link is down (then nothing is sent, and
 * the lock expires by itself).
 */
bool l2_put(struct l2 *l, const char *key, size_t key_len, const char *group, int status,
    const struct cache_header *headers, size_t n_headers, struct evbuffer *body,
    const char *identity, int64_t age_ms, int64_t ttl_ms, int64_t expire_ms);

/*
 * Groups: an entry put with a group (the owner and repository, say, as the
 * cache's invalidation prefixes name them) is listed under it, and
 * l2_invalidate drops every entry of the group at once, on every replica's
 * behalf: a write through one replica must not leave the others an answer
 * from before it. The list lives L2_GROUP_TTL_MS after its last put. Fire
 * and forget.
 */
#define L2_GROUP_TTL_MS (INT64_C(48) * 3600 * 1000)
void l2_invalidate(struct l2 *l, const char *group);

/* "Fetched, nothing stored": releases this worker's lock on key (if held),
 * then PUBLISHes its hash, so waiters stop waiting. Fire and forget. */
void l2_announce(struct l2 *l, const char *key, size_t key_len);

enum l2_lock {
	L2_LOCK_ACQUIRED,         /* this worker holds it for px_ms: fetch, then l2_put or l2_announce */
	L2_LOCK_HELD,             /* another holder has it: l2_wait, then l2_get again */
	L2_LOCK_UNAVAILABLE,      /* no answer in time, an error, or l2_free: go on without l2 */
};
typedef void (*l2_lock_cb)(enum l2_lock result, void *arg);

/*
 * SET <prefix>l:<hash> <token> NX PX px_ms; the token is unique per
 * (process, worker, call) and remembered until l2_unlock, l2_put or
 * l2_announce for key. A holder that crashes leaves a lock that simply
 * expires. Not reentrant: a second l2_lock on a key this worker holds
 * answers HELD. false (cb never called): the link is down now,
 * px_ms <= 0, or key_len is 0 or over L2_MAX_KEY.
 */
bool l2_lock(struct l2 *l, const char *key, size_t key_len, int64_t px_ms, l2_lock_cb cb,
    void *arg);

/*
 * Deletes the lock only if it still holds the token this worker set (an
 * EVAL compare-and-delete): a lock that expired and was taken by another
 * holder is never deleted. Nothing is sent when this worker holds no
 * unexpired lock on key. Fire and forget (a Redis that refuses EVAL, as
 * some ACLs do, counts an error and the lock expires by itself).
 */
void l2_unlock(struct l2 *l, const char *key, size_t key_len);

/* signalled: a fill or announcement for key arrived (or pub/sub messages
 * may have been missed: check again); false: timeout, the pub/sub link was
 * lost, or l2_free. */
typedef void (*l2_wait_cb)(bool signalled, void *arg);

/*
 * Waits for a message on <prefix>filled for key, at most timeout_ms.
 * Call it from the L2_LOCK_HELD callback: a message for key received
 * within the last 2 x timeout_ms (of the link; among the last 256 fills
 * this worker saw) counts, so a fill that raced the lock's answer is not
 * missed; the wait is then signalled on the next loop turn (a spurious
 * early signal costs one l2_get). If the
 * pub/sub link drops, pending waits end with false within about 10 ms; a
 * subscription that comes back after messages may have been lost signals
 * every wait (true), since the entry may be there already. false (cb
 * never called): the subscription is not up now, timeout_ms <= 0, or
 * key_len is 0 or over L2_MAX_KEY.
 */
bool l2_wait(struct l2 *l, const char *key, size_t key_len, int64_t timeout_ms, l2_wait_cb cb,
    void *arg);

struct l2_stats {
	uint64_t hits;            /* l2_get: a decodable entry for the key */
	uint64_t misses;          /* l2_get: nothing there, undecodable, or another key's */
	uint64_t errors;          /* no answer in time, link lost, or a Redis error (any command) */
	uint64_t refused;         /* calls that returned false, or sent nothing: link down */
	uint64_t decode_errors;   /* entries that failed to decode (counted in misses too) */
	uint64_t key_mismatches;  /* entries whose stored key was another (in misses too) */
	uint64_t stores;          /* SETs Redis confirmed */
	uint64_t not_stored;      /* l2_put that stored nothing: a bound, or no expiry */
	uint64_t announces;       /* l2_announce */
	uint64_t locks_acquired, locks_held, unlocks;
	uint64_t waits;           /* l2_wait that returned true */
	uint64_t waits_signalled, waits_timed_out, waits_failed;   /* failed: link lost or l2_free */
	uint64_t fills_seen;      /* well-formed messages on <prefix>filled */
	struct redis_stats link;
};

/* Any thread: each field is read atomically (not all at one instant). */
void l2_stats(const struct l2 *l, struct l2_stats *out);

/* ------------------------------------------------------------------------
 * The entry codec, public for tests and tools.
 *
 * Blob v1, integers big-endian:
 *   "GHL2"  u8 version=1  u8 flags=0  u16 status (100-999)
 *   i64 fetched_at_ms (epoch, >= 0)   i64 ttl_ms (0 - 10 years)
 *   u32 key_len (1 - L2_MAX_KEY)  key
 *   u8 identity_len (<= L2_MAX_IDENTITY)  identity  NUL
 *   u16 n_headers (<= L2_MAX_HEADERS), then each:
 *       u32 name_len (>= 1)  u32 value_len (sum <= L2_MAX_HEADER)  name NUL  value NUL
 *   u32 body_len (<= L2_MAX_BODY)  body, ending exactly at the blob's end
 * Strings may hold no NUL (they are C strings to the cache); the stored
 * NULs let a decoded entry point into the blob without copying.
 * ---------------------------------------------------------------------- */

/* A decoded blob: every pointer is into the blob, but headers. */
struct l2_entry {
	const char *key;
	size_t key_len;
	int status;
	struct cache_header *headers;   /* allocated: l2_entry_clear; NULL when none */
	size_t n_headers;
	const char *body;
	size_t body_len;
	const char *identity;
	int64_t fetched_at_ms;
	int64_t ttl_ms;
};

/* A fresh blob (free it) and its length, or NULL when a field is past its
 * bound. body may be NULL (empty); it is read, not drained. */
char *l2_encode(const char *key, size_t key_len, int status,
    const struct cache_header *headers, size_t n_headers, struct evbuffer *body,
    const char *identity, int64_t fetched_at_ms, int64_t ttl_ms, size_t *len);

/* 0 and out filled, or -1 (out zeroed) for anything but a valid v1 blob. */
int l2_decode(const char *blob, size_t len, struct l2_entry *out);
void l2_entry_clear(struct l2_entry *e);

/* Lower-case hex SHA-256 of key: the H of the names above. */
void l2_key_hash(const char *key, size_t key_len, char out[65]);

#endif
