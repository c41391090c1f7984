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
 * In Redis, with prefix P, H the lower-case hex SHA-256 of the namespace
 * and the cache key (keys are long; the hash bounds what Redis stores as a
 * key) and G that of the namespace and the group:
 *   P e:H       the entry: a binary blob (l2_encode), with PX
 *   P v:G       the group's version: random hex set by a write, or by
 *               the first put into the group; PX 48 h, renewed by puts
 *   P l:H       the lock: a token unique to (process, worker, call), NX PX
 *   P filled    the channel; each message is an H that was filled, or
 *               announced as fetched with nothing stored
 * The entry blob holds the full cache key and is checked on every read, so
 * a hash collision, a foreign writer, a truncated value or another format
 * is a miss (decode_errors or key_mismatches counted), never a crash. The
 * keys of one call are not in one hash slot: a single Redis, not a Cluster.
 *
 * Versions, and why. A write through any replica must leave no replica an
 * answer from before it. Each entry carries the version of its group(s)
 * that its reader saw before fetching; the write replaces the version, so
 * an older entry no longer matches (l2_get says "outdated": not fresh, but
 * its ETag still revalidates for free), and l2_put stores only if the
 * version is still the one its caller read, so a fetch racing the write
 * cannot store what it got. One SET per write, whatever the group's size.
 * No entry is stored under a missing version: the first put into a group
 * sets one, so a version key lost (evicted, failed over) outdates its
 * entries rather than bringing old ones back.
 *
 * An entry may belong to two groups (a repository read by id is in its
 * /repositories/<id> group and, once known, in its /repos/<o>/<r> one): a
 * write to either outdates it. Its version is then both, '.'-joined.
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
#define L2_VERSION_PART   32                            /* a group version's hex digits */
#define L2_MAX_GROUPS     2                             /* groups one entry may be in */
/* An entry's version: its groups' versions, '.'-joined. */
#define L2_VERSION_MAX    (L2_MAX_GROUPS * (L2_VERSION_PART + 1) - 1)
/* A version key lives this long after the write that set it, and no entry
 * lives longer: an entry stored before a group's first write can never
 * outlive the version that made it outdated. */
#define L2_VERSION_TTL_MS (INT64_C(48) * 3600 * 1000)

struct l2;

/*
 * Groups written through this process whose new version Redis has not yet
 * confirmed: until it has, any worker's l2_get on such a group may still
 * see the old version (commands on other workers' connections can overtake
 * the write's), so it refuses, and the writer reads its write from GitHub.
 * A version that could not be set is retried (one retry per group however
 * many writes wait on it: while the link is down, every 250 ms while Redis
 * answers with an error); one given up on (40 errors in a row, or more
 * than 1024 groups waiting on one worker) is logged and keeps its group
 * marked for L2_VERSION_TTL_MS. Shared by every worker's l2; thread-safe.
 */
struct l2_marks;
struct l2_marks *l2_marks_new(void);
void l2_marks_free(struct l2_marks *m);

struct l2_options {
	const struct redis_url *url;   /* copied (by redis_new) */
	int64_t timeout_ms;            /* per command; 0: 50 */
	int64_t connect_timeout_ms;    /* 0: redis's default (200) */
	int64_t backoff_min_ms;        /* 0: redis's default (100) */
	int64_t backoff_max_ms;        /* 0: redis's default (5000) */
	const char *prefix;            /* copied; NULL: "ghpool:"; at most L2_MAX_PREFIX bytes */
	/* Copied; mixed into every hash (the upstream URL), so deployments for
	 * two GitHubs sharing one Redis and prefix never share an entry. NULL
	 * or "": none (H is then the SHA-256 of the key alone). */
	const char *namespace;
	struct l2_marks *marks;        /* borrowed, shared by workers; NULL: l2 keeps its own */
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
	/* Stored before its group's latest write: never fresh and never to be
	 * served stale, but its ETag may confirm it for free. */
	bool outdated;
};

/*
 * hit NULL: not there, undecodable, another key's, or no answer in time.
 * version: the groups' versions as this get read them ("" for a group that
 * has none; '.'-joined for two), to pass to l2_put after fetching; NULL
 * when unknown (no answer, or not one of ours), and then l2_put stores
 * nothing. Valid during the callback.
 */
typedef void (*l2_get_cb)(const struct l2_hit *hit, const char *version, void *arg);

/*
 * MGET <prefix>e:<hash> <prefix>v:<group hash> [<prefix>v:<group2 hash>]
 * (GET without a group); group2 may be NULL. false (cb never called): the
 * link is down now, key_len is 0 or over L2_MAX_KEY, or a group is marked
 * (see struct l2_marks).
 */
bool l2_get(struct l2 *l, const char *key, size_t key_len, const char *group,
    const char *group2, l2_get_cb cb, void *arg);

/*
 * Publishes a fill, fire and forget, as three commands in this order on
 * one connection:
 *   SET <prefix>e:<hash> <blob> PX expire_ms; with groups, a script that
 *   sets it only while their versions are still version (what l2_get read
 *   before the fetch): otherwise a write came in between, and what was
 *   fetched may predate it (counted as superseded); a group with no
 *   version yet gets a fresh one, which the entry carries
 *   the release of this worker's lock on key, if it holds one (l2_unlock)
 *   PUBLISH <prefix>filled <hash>
 * so a waiter woken by the message finds the entry there and the lock
 * free. The blob holds key, status, headers, body (copied out, not
 * drained: an in-memory buffer such as upstream's answer, not one flagged
 * EVBUFFER_FLAG_DRAINS_TO_FD with file segments),
 * identity (NULL: ""), the fetch time as wall-clock epoch ms (now minus
 * age_ms: replicas share wall clocks, not monotonic ones), ttl_ms and
 * version. expire_ms is Redis's expiry: TTL plus the stale-if-error
 * window, at most L2_VERSION_TTL_MS.
 *
 * When the entry cannot be stored (a field past its bound, a blob over
 * max_entry_bytes, expire_ms <= 0, version NULL) the lock is still released and the
 * fill still announced, so waiters stop waiting. Returns whether the SET
 * was sent; false also when the link is down (then nothing is sent, and
 * the lock expires by itself).
 */
bool l2_put(struct l2 *l, const char *key, size_t key_len, const char *group,
    const char *group2, const char *version, int status, const struct cache_header *headers, size_t n_headers,
    struct evbuffer *body, const char *identity, int64_t age_ms, int64_t ttl_ms,
    int64_t expire_ms);

/*
 * A write through this replica may have changed what the group's entries
 * say (the group as the cache's invalidation prefixes name it: owner and
 * repository, say; any case): gives the group a new random version, on
 * every replica's behalf, and marks it until Redis confirms. A version not
 * set for want of a link is set when the link is back.
 *
 * cb (may be NULL) hears once how the first try ended: true when Redis
 * confirmed it (every replica's next look-up sees it), false when not
 * (an error, no answer in time, l2_free; the retries go on unheard), within
 * the link's command deadline. The writer holds its answer for it, so that
 * once Redis has confirmed, a client that has its write's answer finds no
 * older entry in Redis. (When Redis could not confirm in time, replicas
 * other than the writer may serve such an entry until the retry lands.)
 * Returns whether cb will be called; false: nothing could be sent now (the
 * link is down, or l is NULL or closing), and the caller goes on.
 */
typedef void (*l2_invalidate_cb)(bool confirmed, void *arg);
bool l2_invalidate(struct l2 *l, const char *group, l2_invalidate_cb cb, void *arg);

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
	uint64_t lookup_errors;   /* the same, l2_get's only */
	uint64_t outdated;        /* l2_get: an entry from before its group's latest write (in misses too) */
	uint64_t marked;          /* l2_get refused: its group was written here, not yet confirmed */
	uint64_t superseded;      /* l2_put not stored: its group's version changed during the fetch */
	uint64_t versions_set;    /* l2_invalidate's new versions Redis confirmed */
	uint64_t version_retries; /* ... sent again (link lost, or an error) */
	uint64_t versions_failed; /* ... given up on: the group stays marked 48 h here */
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
 * Blob v2, integers big-endian:
 *   "GHL2"  u8 format=2  u8 flags=0  u16 status (100-999)
 *   i64 fetched_at_ms (epoch, >= 0)   i64 ttl_ms (0 - 10 years)
 *   u32 key_len (1 - L2_MAX_KEY)  key
 *   u8 identity_len (<= L2_MAX_IDENTITY)  identity  NUL
 *   u8 version_len (<= L2_VERSION_MAX)  version  NUL    (the groups')
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
	const char *version;
	int64_t fetched_at_ms;
	int64_t ttl_ms;
};

/* A fresh blob (free it) and its length, or NULL when a field is past its
 * bound. body may be NULL (empty); it is read, not drained. */
char *l2_encode(const char *key, size_t key_len, int status,
    const struct cache_header *headers, size_t n_headers, struct evbuffer *body,
    const char *identity, const char *version, int64_t fetched_at_ms, int64_t ttl_ms,
    size_t *len);

/* 0 and out filled, or -1 (out zeroed) for anything but a valid v2 blob. */
int l2_decode(const char *blob, size_t len, struct l2_entry *out);
void l2_entry_clear(struct l2_entry *e);

/* Lower-case hex SHA-256 of key: the H of the names above for an l2 with
 * no namespace. */
void l2_key_hash(const char *key, size_t key_len, char out[65]);

#endif
