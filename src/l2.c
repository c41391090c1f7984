/*
 * l2.c - the shared second cache tier on a worker's redis link: the entry
 * codec, gets and puts, the per-key lock, and waits on the fill channel.
 *
 * Lifetimes. Every command l2 sends has a record (or l itself) as its
 * redis callback's argument; redis calls each callback exactly once, with
 * NULL at the latest in redis_free, which l2_free calls before freeing
 * anything else, so no record outlives l and no callback arrives late.
 * Waits are l2's own: a table of waiters keyed by hash, each with its own
 * timer; a waiter is unlinked from the table before its callback runs, so
 * a callback may wait again (on a fresh waiter) without disturbing the walk
 * that woke it. Callers' callbacks run with l->depth raised, so l2_free
 * from inside one is caught.
 *
 * Group versions. l2_get reads a group's version with its entry (MGET);
 * l2_put stores through a script that compares the version first. A write
 * (l2_invalidate) marks its group in the process-wide marks, sets a new
 * version, and unmarks on Redis's "OK"; a lost link puts the version on
 * this worker's retry list, sent again (a fresh one) once the link is
 * back, with the group marked until then.
 *
 * Waits and the pub/sub link. redis tells subscribers when their
 * subscription comes back after a loss (msg NULL) but not when it is lost;
 * while any wait is pending a 10 ms watch timer reads the link's state
 * and ends every wait with false once the subscription is down, so a wait
 * never sits out its whole timeout on a dead server.
 */
#include "l2.h"
#include "log.h"
#include "util.h"

#include <openssl/evp.h>
#include <openssl/sha.h>
#include <ctype.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>
#include <sys/random.h>
#include <time.h>

#define L2_FORMAT            2
#define L2_MAGIC             "GHL2"
#define L2_MAX_MS            (10LL * 365 * 24 * 3600 * 1000)   /* TTLs and expiries */
#define L2_MAX_BLOB          ((size_t)L2_MAX_BODY + (size_t)16 * 1024 * 1024 + L2_MAX_KEY + 1024)
#define L2_BUCKETS           256          /* waiter and lock tables; a power of two */
#define L2_RECENT            256          /* fills remembered for waits that raced them */
#define L2_WATCH_MS          10
#define L2_DEFAULT_TIMEOUT_MS 50
#define L2_TOKEN_LEN         33           /* 16 hex, '-', 16 hex */
#define L2_NAME_MAX          (L2_MAX_PREFIX + 8 + 64)
#define L2_RETRY_MS          250          /* versions not set: tried again while the link is up */
#define L2_MAX_RETRIES       1024         /* groups per worker; beyond, the group stays marked */
#define L2_MAX_ERRORS        40           /* error replies in a row before a version is given up */

/* "if the lock still holds our token, delete it" */
static const char l2_unlock_script[] =
    "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) "
    "else return 0 end";

/*
 * "Store the entry only if its groups' versions are still those its reader
 * saw; a group with none yet (or an empty one, not ours) gets the fresh
 * one the entry carries." All checked before anything is written. KEYS:
 * the entry, then each group's version key. ARGV: blob, PX, the versions'
 * PX, then per group the version seen ("" for none) and the fresh one.
 * A matched version lives on as long as the entry may.
 */
static const char l2_put_script[] =
    "local n = #KEYS - 1 "
    "local v = {} "
    "for i = 1, n do "
    "v[i] = redis.call('get', KEYS[1 + i]) or '' "
    "if v[i] ~= ARGV[2 + 2 * i] then return 0 end "
    "end "
    "for i = 1, n do "
    "if v[i] == '' then redis.call('set', KEYS[1 + i], ARGV[3 + 2 * i], 'PX', ARGV[3]) "
    "else redis.call('pexpire', KEYS[1 + i], ARGV[3]) end "
    "end "
    "redis.call('set', KEYS[1], ARGV[1], 'PX', ARGV[2]) return 1";

/* ------------------------------------------------------------------------
 * Types
 * ---------------------------------------------------------------------- */

struct l2_waiter {
	LIST_ENTRY(l2_waiter) link;
	struct l2 *l;
	unsigned char digest[SHA256_DIGEST_LENGTH];
	struct event *timer;
	l2_wait_cb cb;
	void *arg;
	bool early;                   /* a recent fill: the timer signals it next turn */
};
LIST_HEAD(l2_waiter_list, l2_waiter);

/* A lock this worker set and has not released. */
struct l2_held {
	LIST_ENTRY(l2_held) link;
	unsigned char digest[SHA256_DIGEST_LENGTH];
	char token[L2_TOKEN_LEN + 1];
	int64_t until_ms;             /* monotonic: its PX ends */
};
LIST_HEAD(l2_held_list, l2_held);

struct l2_recent {
	unsigned char digest[SHA256_DIGEST_LENGTH];
	int64_t at_us;                /* monotonic; 0: unused */
};

struct l2_getop {
	struct l2 *l;
	l2_get_cb cb;
	void *arg;
	size_t n_groups;              /* 0: GET entry; else MGET entry and their versions */
	size_t key_len;
	char key[];
};

/* A group marked by a write through this process. */
struct l2_mark {
	LIST_ENTRY(l2_mark) link;
	unsigned char digest[SHA256_DIGEST_LENGTH];
	unsigned pending;             /* versions sent or to send, not yet confirmed */
	int64_t hold_until_ms;        /* monotonic: marked until then, pending or not */
};
LIST_HEAD(l2_mark_list, l2_mark);

struct l2_marks {
	pthread_mutex_t mu;
	struct l2_mark_list b[L2_BUCKETS];
};

/* A new version for a group: in flight (its redis callback's argument) or
 * waiting on the retry list for the link. */
struct l2_version_op {
	TAILQ_ENTRY(l2_version_op) link;
	struct l2 *l;
	unsigned char digest[SHA256_DIGEST_LENGTH];
	unsigned writes;              /* writes this version settles (retries merge) */
	int errors;                   /* error replies in a row */
	l2_invalidate_cb cb;          /* the writer, until its first try ends */
	void *arg;
};
TAILQ_HEAD(l2_version_list, l2_version_op);

struct l2_lockop {
	LIST_ENTRY(l2_lockop) link;   /* in l->locking until answered */
	struct l2 *l;
	l2_lock_cb cb;
	void *arg;
	unsigned char digest[SHA256_DIGEST_LENGTH];
	int64_t px_ms;
	int64_t sent_ms;
	char token[L2_TOKEN_LEN + 1];
};
LIST_HEAD(l2_lockop_list, l2_lockop);

struct l2 {
	struct event_base *base;
	struct redis *r;
	char *prefix;
	size_t prefix_len;
	char *channel;
	char *ns;                     /* the namespace, "" for none */
	size_t ns_len;
	struct l2_marks *marks;
	bool own_marks;
	bool gave_up_logged;
	struct l2_version_list retries;
	size_t n_retries;
	struct event *retry;
	size_t max_entry;
	int64_t timeout_ms;
	uint64_t token_seed, token_seq;
	struct l2_waiter_list waiters[L2_BUCKETS];
	size_t n_waiters;
	struct l2_held_list held[L2_BUCKETS];
	struct l2_lockop_list locking;  /* SET NX sent, not yet answered */
	struct l2_recent recent[L2_RECENT];
	size_t recent_next;
	struct event *watch;
	int depth;                    /* callers' callbacks running */
	bool closing;

	/* Written on the loop's thread only, read by l2_stats anywhere. */
	_Atomic uint64_t st_hits, st_misses, st_errors, st_refused, st_decode_errors,
	    st_key_mismatches, st_stores, st_not_stored, st_announces, st_locks_acquired,
	    st_locks_held, st_unlocks, st_waits, st_waits_signalled, st_waits_timed_out,
	    st_waits_failed, st_fills_seen, st_lookup_errors, st_outdated, st_marked,
	    st_superseded, st_versions_set, st_version_retries, st_versions_failed;
};

static inline void
stat_inc(_Atomic uint64_t *c)
{
	atomic_fetch_add_explicit(c, 1, memory_order_relaxed);
}

static int64_t
wall_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ------------------------------------------------------------------------
 * The codec
 * ---------------------------------------------------------------------- */

static char *
put_u8(char *p, unsigned v)
{
	*p++ = (char)(unsigned char)v;
	return p;
}

static char *
put_u16(char *p, unsigned v)
{
	p[0] = (char)(unsigned char)(v >> 8);
	p[1] = (char)(unsigned char)v;
	return p + 2;
}

static char *
put_u32(char *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (char)(unsigned char)(v >> (24 - 8 * i));
	return p + 4;
}

static char *
put_u64(char *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (char)(unsigned char)(v >> (56 - 8 * i));
	return p + 8;
}

static char *
put_bytes(char *p, const void *s, size_t n)
{
	if (n > 0)
		memcpy(p, s, n);
	return p + n;
}

char *
l2_encode(const char *key, size_t key_len, int status,
    const struct cache_header *headers, size_t n_headers, struct evbuffer *body,
    const char *identity, const char *version, int64_t fetched_at_ms, int64_t ttl_ms,
    size_t *len)
{
	size_t id_len, ver_len, body_len = body ? evbuffer_get_length(body) : 0, total;
	char *blob, *p;

	*len = 0;
	if (identity == NULL)
		identity = "";
	if (version == NULL)
		version = "";
	id_len = strlen(identity);
	ver_len = strlen(version);
	if (key == NULL || key_len == 0 || key_len > L2_MAX_KEY || status < 100 || status > 999 ||
	    n_headers > L2_MAX_HEADERS || (n_headers > 0 && headers == NULL) ||
	    id_len > L2_MAX_IDENTITY || ver_len > L2_VERSION_MAX || body_len > L2_MAX_BODY ||
	    fetched_at_ms < 0 || ttl_ms < 0 || ttl_ms > L2_MAX_MS)
		return NULL;
	total = 4 + 1 + 1 + 2 + 8 + 8 + 4 + key_len + 1 + id_len + 1 + 1 + ver_len + 1 + 2 + 4 +
	    body_len;
	for (size_t i = 0; i < n_headers; i++) {
		size_t nl, vl;

		if (headers[i].name == NULL || headers[i].value == NULL)
			return NULL;
		nl = strlen(headers[i].name);
		vl = strlen(headers[i].value);
		if (nl == 0 || nl + vl > L2_MAX_HEADER)
			return NULL;
		total += 4 + 4 + nl + 1 + vl + 1;
	}
	blob = malloc(total);
	if (blob == NULL)
		abort();
	p = put_bytes(blob, L2_MAGIC, 4);
	p = put_u8(p, L2_FORMAT);
	p = put_u8(p, 0);
	p = put_u16(p, (unsigned)status);
	p = put_u64(p, (uint64_t)fetched_at_ms);
	p = put_u64(p, (uint64_t)ttl_ms);
	p = put_u32(p, (uint32_t)key_len);
	p = put_bytes(p, key, key_len);
	p = put_u8(p, (unsigned)id_len);
	p = put_bytes(p, identity, id_len + 1);
	p = put_u8(p, (unsigned)ver_len);
	p = put_bytes(p, version, ver_len + 1);
	p = put_u16(p, (unsigned)n_headers);
	for (size_t i = 0; i < n_headers; i++) {
		size_t nl = strlen(headers[i].name), vl = strlen(headers[i].value);

		p = put_u32(p, (uint32_t)nl);
		p = put_u32(p, (uint32_t)vl);
		p = put_bytes(p, headers[i].name, nl + 1);
		p = put_bytes(p, headers[i].value, vl + 1);
	}
	p = put_u32(p, (uint32_t)body_len);
	if (body_len > 0)
		evbuffer_copyout(body, p, body_len);
	p += body_len;
	if ((size_t)(p - blob) != total)
		abort();
	*len = total;
	return blob;
}

/* A bounds-checked reader: every take fails once anything is short. */
struct rd {
	const unsigned char *p;
	size_t left;
	bool bad;
};

static const unsigned char *
take(struct rd *r, size_t n)
{
	const unsigned char *s;

	if (r->bad || r->left < n) {
		r->bad = true;
		return NULL;
	}
	s = r->p;
	r->p += n;
	r->left -= n;
	return s;
}

static uint64_t
take_be(struct rd *r, size_t n)
{
	const unsigned char *s = take(r, n);
	uint64_t v = 0;

	if (s == NULL)
		return 0;
	for (size_t i = 0; i < n; i++)
		v = (v << 8) | s[i];
	return v;
}

/* n bytes with no NUL, then a NUL: a C string inside the blob. */
static const char *
take_cstr(struct rd *r, size_t n)
{
	const unsigned char *s;

	if (r->bad || n == SIZE_MAX || r->left < n + 1) {
		r->bad = true;
		return NULL;
	}
	s = take(r, n + 1);
	if (s[n] != '\0' || memchr(s, '\0', n) != NULL) {
		r->bad = true;
		return NULL;
	}
	return (const char *)s;
}

int
l2_decode(const char *blob, size_t len, struct l2_entry *out)
{
	struct rd r = { (const unsigned char *)blob, len, blob == NULL };
	const unsigned char *magic;
	uint64_t v;
	size_t n;

	memset(out, 0, sizeof(*out));
	magic = take(&r, 4);
	if (magic == NULL || memcmp(magic, L2_MAGIC, 4) != 0)
		goto bad;
	if (take_be(&r, 1) != L2_FORMAT || take_be(&r, 1) != 0)
		goto bad;
	v = take_be(&r, 2);
	if (v < 100 || v > 999)
		goto bad;
	out->status = (int)v;
	v = take_be(&r, 8);
	if (v > (uint64_t)INT64_MAX)
		goto bad;
	out->fetched_at_ms = (int64_t)v;
	v = take_be(&r, 8);
	if (v > (uint64_t)L2_MAX_MS)
		goto bad;
	out->ttl_ms = (int64_t)v;
	n = (size_t)take_be(&r, 4);
	if (r.bad || n == 0 || n > L2_MAX_KEY)
		goto bad;
	out->key_len = n;
	out->key = (const char *)take(&r, n);
	n = (size_t)take_be(&r, 1);
	if (r.bad || n > L2_MAX_IDENTITY)
		goto bad;
	out->identity = take_cstr(&r, n);
	n = (size_t)take_be(&r, 1);
	if (r.bad || n > L2_VERSION_MAX)
		goto bad;
	out->version = take_cstr(&r, n);
	n = (size_t)take_be(&r, 2);
	if (r.bad || n > L2_MAX_HEADERS)
		goto bad;
	if (n > 0)
		out->headers = util_calloc(n, sizeof(*out->headers));
	out->n_headers = n;
	for (size_t i = 0; i < out->n_headers; i++) {
		size_t nl = (size_t)take_be(&r, 4), vl = (size_t)take_be(&r, 4);

		if (r.bad || nl == 0 || nl > L2_MAX_HEADER || vl > L2_MAX_HEADER - nl)
			goto bad;
		out->headers[i].name = take_cstr(&r, nl);
		out->headers[i].value = take_cstr(&r, vl);
	}
	n = (size_t)take_be(&r, 4);
	if (r.bad || n > L2_MAX_BODY || n != r.left)
		goto bad;
	out->body_len = n;
	out->body = (const char *)take(&r, n);
	if (r.bad || r.left != 0)
		goto bad;
	if (out->body_len == 0)
		out->body = "";
	return 0;
bad:
	l2_entry_clear(out);
	return -1;
}

void
l2_entry_clear(struct l2_entry *e)
{
	if (e == NULL)
		return;
	free(e->headers);
	memset(e, 0, sizeof(*e));
}

static void
key_digest(const char *key, size_t key_len, unsigned char d[SHA256_DIGEST_LENGTH])
{
	SHA256((const unsigned char *)key, key_len, d);
}

static void
digest_hex(const unsigned char d[SHA256_DIGEST_LENGTH], char out[65])
{
	util_hex_encode(d, SHA256_DIGEST_LENGTH, out);
}

/* 64 lower-case hex digits to a digest; false for anything else. */
static bool
hex_digest(const char *s, size_t len, unsigned char d[SHA256_DIGEST_LENGTH])
{
	if (len != 2 * SHA256_DIGEST_LENGTH)
		return false;
	for (size_t i = 0; i < SHA256_DIGEST_LENGTH; i++) {
		int hi = util_hex_digit(s[2 * i]), lo = util_hex_digit(s[2 * i + 1]);

		if (hi < 0 || lo < 0 || (s[2 * i] >= 'A' && s[2 * i] <= 'F') ||
		    (s[2 * i + 1] >= 'A' && s[2 * i + 1] <= 'F'))
			return false;
		d[i] = (unsigned char)(hi * 16 + lo);
	}
	return true;
}

void
l2_key_hash(const char *key, size_t key_len, char out[65])
{
	unsigned char d[SHA256_DIGEST_LENGTH];

	key_digest(key, key_len, d);
	digest_hex(d, out);
}

/* ------------------------------------------------------------------------
 * Small helpers
 * ---------------------------------------------------------------------- */

/* SHA-256 of "<namespace>\n<s>" (of s alone without a namespace); s in
 * lower case when fold is set. Streamed: keys run to 64 KiB, and every
 * L2 call on an L1 miss hashes one. */
static void
ns_digest(const struct l2 *l, const char *s, size_t n, bool fold,
    unsigned char d[SHA256_DIGEST_LENGTH])
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	char low[256];
	bool ok;

	ok = ctx != NULL && EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) == 1 &&
	    (l->ns_len == 0 || (EVP_DigestUpdate(ctx, l->ns, l->ns_len) == 1 &&
	    EVP_DigestUpdate(ctx, "\n", 1) == 1));
	for (size_t i = 0; ok && i < n; i += sizeof(low)) {
		size_t k = n - i < sizeof(low) ? n - i : sizeof(low);

		if (fold)
			for (size_t j = 0; j < k; j++)
				low[j] = (char)tolower((unsigned char)s[i + j]);
		ok = EVP_DigestUpdate(ctx, fold ? low : s + i, k) == 1;
	}
	if (!ok || EVP_DigestFinal_ex(ctx, d, NULL) != 1)
		abort();
	EVP_MD_CTX_free(ctx);
}

static void
entry_digest(const struct l2 *l, const char *key, size_t key_len,
    unsigned char d[SHA256_DIGEST_LENGTH])
{
	ns_digest(l, key, key_len, false, d);
}

/* Owner and repository names have no case: nor have groups. */
static void
group_digest(const struct l2 *l, const char *group, unsigned char d[SHA256_DIGEST_LENGTH])
{
	ns_digest(l, group, strlen(group), true, d);
}

/* What one group's version read from Redis may be: ours are
 * L2_VERSION_PART lower-case hex digits. */
static bool
part_ok(const char *s, size_t len)
{
	if (len > L2_VERSION_PART)
		return false;
	for (size_t i = 0; i < len; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	return true;
}

/* "<prefix><kind>:<hex>" into out (L2_NAME_MAX + 1 bytes); its length. */
static size_t
redis_name(const struct l2 *l, char kind, const unsigned char d[SHA256_DIGEST_LENGTH],
    char out[L2_NAME_MAX + 1])
{
	memcpy(out, l->prefix, l->prefix_len);
	out[l->prefix_len] = kind;
	out[l->prefix_len + 1] = ':';
	digest_hex(d, out + l->prefix_len + 2);
	return l->prefix_len + 2 + 64;
}

/* Seeded, so keys chosen from outside cannot crowd one bucket. */
static size_t
bucket_of(const unsigned char d[SHA256_DIGEST_LENGTH])
{
	return (size_t)(util_hash((const char *)d, SHA256_DIGEST_LENGTH) & (L2_BUCKETS - 1));
}

static bool
key_ok(const char *key, size_t key_len)
{
	return key != NULL && key_len > 0 && key_len <= L2_MAX_KEY;
}

static bool
pubsub_up(const struct l2 *l)
{
	struct redis_stats st;

	redis_stats(l->r, &st);
	return st.pubsub_up;
}

/* Fire-and-forget answers: counted, nothing else. */
static void
on_quiet_reply(redisReply *reply, void *arg)
{
	struct l2 *l = arg;

	if (reply == NULL || reply->type == REDIS_REPLY_ERROR)
		stat_inc(&l->st_errors);
}

static bool
send_quiet(struct l2 *l, redis_reply_cb cb, int argc, const char **argv, const size_t *lens)
{
	if (l->closing || !redis_command(l->r, cb, l, argc, argv, lens)) {
		stat_inc(&l->st_refused);
		return false;
	}
	return true;
}

static void
publish_fill(struct l2 *l, const unsigned char d[SHA256_DIGEST_LENGTH])
{
	char hex[65];
	const char *argv[3] = { "PUBLISH", l->channel, hex };

	digest_hex(d, hex);
	(void)send_quiet(l, on_quiet_reply, 3, argv, NULL);
}

/* ------------------------------------------------------------------------
 * Locks this worker holds
 * ---------------------------------------------------------------------- */

static struct l2_held *
held_find(struct l2 *l, const unsigned char d[SHA256_DIGEST_LENGTH])
{
	struct l2_held *h;

	LIST_FOREACH(h, &l->held[bucket_of(d)], link)
		if (memcmp(h->digest, d, SHA256_DIGEST_LENGTH) == 0)
			return h;
	return NULL;
}

/* Remembers token for d (replacing an older one), dropping the bucket's
 * expired entries on the way: a lock its caller never released is
 * forgotten by the next lock taken in its bucket, or by l2_free. */
static void
held_put(struct l2 *l, const unsigned char d[SHA256_DIGEST_LENGTH], const char *token,
    int64_t until_ms)
{
	struct l2_held_list *b = &l->held[bucket_of(d)];
	struct l2_held *h, *next;
	int64_t now = util_mono_ms();

	for (h = LIST_FIRST(b); h != NULL; h = next) {
		next = LIST_NEXT(h, link);
		if (h->until_ms <= now || memcmp(h->digest, d, SHA256_DIGEST_LENGTH) == 0) {
			LIST_REMOVE(h, link);
			free(h);
		}
	}
	h = util_calloc(1, sizeof(*h));
	memcpy(h->digest, d, SHA256_DIGEST_LENGTH);
	snprintf(h->token, sizeof(h->token), "%s", token);
	h->until_ms = until_ms;
	LIST_INSERT_HEAD(b, h, link);
}

static void
held_forget(struct l2 *l, const unsigned char d[SHA256_DIGEST_LENGTH])
{
	struct l2_held *h = held_find(l, d);

	if (h != NULL) {
		LIST_REMOVE(h, link);
		free(h);
	}
}

/* Deletes the lock on d if it still holds token (compare-and-delete). */
static void
unlock_token(struct l2 *l, const unsigned char d[SHA256_DIGEST_LENGTH], const char *token)
{
	char name[L2_NAME_MAX + 1];
	const char *argv[5] = { "EVAL", l2_unlock_script, "1", name, token };
	size_t lens[5] = { 4, sizeof(l2_unlock_script) - 1, 1, 0, strlen(token) };

	lens[3] = redis_name(l, 'l', d, name);
	if (send_quiet(l, on_quiet_reply, 5, argv, lens))
		stat_inc(&l->st_unlocks);
}

static void
unlock_digest(struct l2 *l, const unsigned char d[SHA256_DIGEST_LENGTH])
{
	struct l2_held *h = held_find(l, d);

	if (h == NULL)
		return;
	LIST_REMOVE(h, link);
	/* By our clock it has expired already: nothing of ours to delete. */
	if (h->until_ms > util_mono_ms())
		unlock_token(l, d, h->token);
	free(h);
}

/* ------------------------------------------------------------------------
 * Waiters
 * ---------------------------------------------------------------------- */

static void
watch_arm(struct l2 *l)
{
	struct timeval tv = { 0, L2_WATCH_MS * 1000 };

	evtimer_add(l->watch, &tv);
}

static void
waiter_unlink(struct l2 *l, struct l2_waiter *w)
{
	LIST_REMOVE(w, link);
	if (--l->n_waiters == 0)
		evtimer_del(l->watch);
}

/* Runs w's callback and frees w, which is already out of the table. */
static void
waiter_finish(struct l2 *l, struct l2_waiter *w, bool signalled, _Atomic uint64_t *counter)
{
	l2_wait_cb cb = w->cb;
	void *arg = w->arg;

	event_free(w->timer);
	free(w);
	stat_inc(counter);
	l->depth++;
	cb(signalled, arg);
	l->depth--;
}

/*
 * Ends every wait for d (every wait when d is NULL). They are moved out of
 * the table first: their callbacks may wait again, and those new waits are
 * not part of this wake-up.
 */
static void
wake(struct l2 *l, const unsigned char *d, bool signalled, _Atomic uint64_t *counter)
{
	struct l2_waiter_list ready = LIST_HEAD_INITIALIZER(ready);
	struct l2_waiter *w, *next;

	for (size_t b = d ? bucket_of(d) : 0; b < L2_BUCKETS; b++) {
		for (w = LIST_FIRST(&l->waiters[b]); w != NULL; w = next) {
			next = LIST_NEXT(w, link);
			if (d != NULL && memcmp(w->digest, d, SHA256_DIGEST_LENGTH) != 0)
				continue;
			waiter_unlink(l, w);
			LIST_INSERT_HEAD(&ready, w, link);
		}
		if (d != NULL)
			break;
	}
	while ((w = LIST_FIRST(&ready)) != NULL) {
		LIST_REMOVE(w, link);
		waiter_finish(l, w, signalled, counter);
	}
}

static void
on_wait_timer(evutil_socket_t fd, short what, void *arg)
{
	struct l2_waiter *w = arg;
	struct l2 *l = w->l;
	bool early = w->early;

	(void)fd;
	(void)what;
	waiter_unlink(l, w);
	waiter_finish(l, w, early, early ? &l->st_waits_signalled : &l->st_waits_timed_out);
}

static void
on_watch(evutil_socket_t fd, short what, void *arg)
{
	struct l2 *l = arg;

	(void)fd;
	(void)what;
	if (l->n_waiters == 0)
		return;
	if (!pubsub_up(l)) {
		wake(l, NULL, false, &l->st_waits_failed);
		return;
	}
	watch_arm(l);
}

static void
recent_add(struct l2 *l, const unsigned char d[SHA256_DIGEST_LENGTH])
{
	struct l2_recent *e = &l->recent[l->recent_next];

	memcpy(e->digest, d, SHA256_DIGEST_LENGTH);
	e->at_us = util_mono_us();
	l->recent_next = (l->recent_next + 1) % L2_RECENT;
}

/* Whether d was filled at or after since_us; newest first, so the walk
 * stops at the first older entry. */
static bool
recent_seen(const struct l2 *l, const unsigned char d[SHA256_DIGEST_LENGTH], int64_t since_us)
{
	for (size_t i = 1; i <= L2_RECENT; i++) {
		const struct l2_recent *e = &l->recent[(l->recent_next + L2_RECENT - i) % L2_RECENT];

		if (e->at_us == 0 || e->at_us < since_us)
			return false;
		if (memcmp(e->digest, d, SHA256_DIGEST_LENGTH) == 0)
			return true;
	}
	return false;
}

static void
on_fill(const char *msg, size_t len, void *arg)
{
	struct l2 *l = arg;
	unsigned char d[SHA256_DIGEST_LENGTH];

	if (l->closing)
		return;
	if (msg == NULL) {
		/* Resubscribed after a loss: fills may have been missed, and
		 * the entries may be there already. Everyone checks again. */
		wake(l, NULL, true, &l->st_waits_signalled);
		return;
	}
	if (!hex_digest(msg, len, d))
		return;   /* not ours */
	stat_inc(&l->st_fills_seen);
	recent_add(l, d);
	if (l->n_waiters > 0)
		wake(l, d, true, &l->st_waits_signalled);
}

/* ------------------------------------------------------------------------
 * Marks: groups written through this process, not yet confirmed
 * ---------------------------------------------------------------------- */

struct l2_marks *
l2_marks_new(void)
{
	struct l2_marks *m = util_calloc(1, sizeof(*m));

	pthread_mutex_init(&m->mu, NULL);
	for (size_t i = 0; i < L2_BUCKETS; i++)
		LIST_INIT(&m->b[i]);
	return m;
}

void
l2_marks_free(struct l2_marks *m)
{
	struct l2_mark *k;

	if (m == NULL)
		return;
	for (size_t i = 0; i < L2_BUCKETS; i++)
		while ((k = LIST_FIRST(&m->b[i])) != NULL) {
			LIST_REMOVE(k, link);
			free(k);
		}
	pthread_mutex_destroy(&m->mu);
	free(m);
}

/* The mark for d (made when add), dropping a spent one found on the way.
 * With m->mu held. */
static struct l2_mark *
mark_find(struct l2_marks *m, const unsigned char d[SHA256_DIGEST_LENGTH], bool add)
{
	struct l2_mark_list *b = &m->b[bucket_of(d)];
	struct l2_mark *k, *next;
	int64_t now = util_mono_ms();

	for (k = LIST_FIRST(b); k != NULL; k = next) {
		next = LIST_NEXT(k, link);
		if (memcmp(k->digest, d, SHA256_DIGEST_LENGTH) == 0)
			return k;
		if (k->pending == 0 && k->hold_until_ms <= now) {
			LIST_REMOVE(k, link);
			free(k);
		}
	}
	if (!add)
		return NULL;
	k = util_calloc(1, sizeof(*k));
	memcpy(k->digest, d, SHA256_DIGEST_LENGTH);
	LIST_INSERT_HEAD(b, k, link);
	return k;
}

static void
mark_begin(struct l2_marks *m, const unsigned char d[SHA256_DIGEST_LENGTH])
{
	pthread_mutex_lock(&m->mu);
	mark_find(m, d, true)->pending++;
	pthread_mutex_unlock(&m->mu);
}

/* One version for d is settled: confirmed (hold_ms 0), which outdates
 * everything before it, earlier writes' given-up versions included; or
 * given up on, and then d stays marked hold_ms longer. */
static void
mark_end(struct l2_marks *m, const unsigned char d[SHA256_DIGEST_LENGTH], unsigned n,
    int64_t hold_ms)
{
	struct l2_mark *k;

	pthread_mutex_lock(&m->mu);
	if ((k = mark_find(m, d, false)) != NULL) {
		k->pending = k->pending > n ? k->pending - n : 0;
		if (hold_ms == 0)
			k->hold_until_ms = 0;
		else if (k->hold_until_ms < util_mono_ms() + hold_ms)
			k->hold_until_ms = util_mono_ms() + hold_ms;
		if (k->pending == 0 && k->hold_until_ms <= util_mono_ms()) {
			LIST_REMOVE(k, link);
			free(k);
		}
	}
	pthread_mutex_unlock(&m->mu);
}

static bool
mark_active(struct l2_marks *m, const unsigned char d[SHA256_DIGEST_LENGTH])
{
	struct l2_mark *k;
	bool on;

	pthread_mutex_lock(&m->mu);
	k = mark_find(m, d, false);
	on = k != NULL && (k->pending > 0 || k->hold_until_ms > util_mono_ms());
	pthread_mutex_unlock(&m->mu);
	return on;
}

/* ------------------------------------------------------------------------
 * Group versions
 * ---------------------------------------------------------------------- */

static bool version_send(struct l2 *l, struct l2_version_op *op);

/* A fresh version: L2_VERSION_PART random hex digits. */
static void
version_random(char out[L2_VERSION_PART + 1])
{
	unsigned char rnd[L2_VERSION_PART / 2];

	if (getrandom(rnd, sizeof(rnd), 0) != (ssize_t)sizeof(rnd))
		abort();
	util_hex_encode(rnd, sizeof(rnd), out);
}

/* The writer hears how the first try went; retries are nobody's wait. */
static void
version_tell(struct l2 *l, struct l2_version_op *op, bool confirmed)
{
	l2_invalidate_cb cb = op->cb;

	if (cb == NULL)
		return;
	op->cb = NULL;
	l->depth++;
	cb(confirmed, op->arg);
	l->depth--;
}

/*
 * Given up on (Redis keeps refusing it, too many groups wait, or l2_free):
 * the group stays marked here as long as any entry from before the write
 * may live. Other replicas may serve such entries until they expire: said
 * once per worker, since it is an operator's business.
 */
static void
version_give_up(struct l2 *l, struct l2_version_op *op, const char *why)
{
	if (!l->closing) {
		stat_inc(&l->st_versions_failed);
		if (!l->gave_up_logged)
			log_warn("redis l2: a written group's new version could not be set (%s); "
			    "this replica reads that group from GitHub for 48 h, and others may serve "
			    "answers from before the write until they expire", why);
		l->gave_up_logged = true;
	}
	mark_end(l->marks, op->digest, op->writes, L2_VERSION_TTL_MS);
	free(op);
}

/* Onto the retry list, merged with a retry of the same group: one SET
 * settles every write waiting on it. */
static void
version_queue(struct l2 *l, struct l2_version_op *op)
{
	struct timeval tv = { 0, L2_RETRY_MS * 1000 };
	struct l2_version_op *q;

	if (l->closing) {
		version_give_up(l, op, "closing");
		return;
	}
	TAILQ_FOREACH(q, &l->retries, link)
		if (memcmp(q->digest, op->digest, SHA256_DIGEST_LENGTH) == 0) {
			q->writes += op->writes;
			if (op->errors > q->errors)
				q->errors = op->errors;
			free(op);
			return;
		}
	if (l->n_retries >= L2_MAX_RETRIES) {
		version_give_up(l, op, "too many groups waiting");
		return;
	}
	TAILQ_INSERT_TAIL(&l->retries, op, link);
	if (l->n_retries++ == 0)
		evtimer_add(l->retry, &tv);
}

static void
on_version_reply(redisReply *reply, void *arg)
{
	struct l2_version_op *op = arg;
	struct l2 *l = op->l;

	bool confirmed = reply != NULL && reply->type == REDIS_REPLY_STATUS;

	/* Told first: op may be freed below. */
	version_tell(l, op, confirmed);
	if (confirmed) {
		stat_inc(&l->st_versions_set);
		l->gave_up_logged = false;
		mark_end(l->marks, op->digest, op->writes, 0);
		free(op);
	} else if (reply != NULL) {
		/* OOM, READONLY in a fail-over, LOADING, BUSY: mostly passing.
		 * Tried again while the link is up, up to a point. */
		stat_inc(&l->st_errors);
		if (++op->errors >= L2_MAX_ERRORS)
			version_give_up(l, op, reply->type == REDIS_REPLY_ERROR && reply->str ?
			    reply->str : "an unexpected reply");
		else
			version_queue(l, op);
	} else {
		/* Lost with the link, or no answer in time: Redis may or may
		 * not have it. Another new version is as good. */
		stat_inc(&l->st_errors);
		op->errors = 0;
		version_queue(l, op);
	}
}

/* SET <prefix>v:<G> <fresh random version> PX L2_VERSION_TTL_MS; false:
 * not sent, and op is on the retry list. */
static bool
version_send(struct l2 *l, struct l2_version_op *op)
{
	char name[L2_NAME_MAX + 1], ver[L2_VERSION_PART + 1], px[24];
	const char *argv[5] = { "SET", name, ver, "PX", px };

	version_random(ver);
	(void)redis_name(l, 'v', op->digest, name);
	snprintf(px, sizeof(px), "%lld", (long long)L2_VERSION_TTL_MS);
	if (!l->closing && redis_command(l->r, on_version_reply, op, 5, argv, NULL))
		return true;
	op->cb = NULL;   /* the caller hears false instead */
	version_queue(l, op);
	return false;
}

static void
on_retry_timer(evutil_socket_t fd, short what, void *arg)
{
	struct l2 *l = arg;
	struct l2_version_list due = TAILQ_HEAD_INITIALIZER(due);
	struct l2_version_op *op;
	struct timeval tv = { 0, L2_RETRY_MS * 1000 };

	(void)fd;
	(void)what;
	if (!redis_up(l->r)) {
		evtimer_add(l->retry, &tv);
		return;
	}
	/* Moved out first: one that fails again is queued anew. */
	TAILQ_CONCAT(&due, &l->retries, link);
	l->n_retries = 0;
	while ((op = TAILQ_FIRST(&due)) != NULL) {
		TAILQ_REMOVE(&due, op, link);
		stat_inc(&l->st_version_retries);
		(void)version_send(l, op);
	}
}

/* ------------------------------------------------------------------------
 * Public API
 * ---------------------------------------------------------------------- */

struct l2 *
l2_new(struct event_base *base, const struct l2_options *o)
{
	struct redis_options ro;
	struct l2 *l;
	const char *prefix;
	uint64_t seed = 0;

	if (base == NULL || o == NULL || o->url == NULL)
		return NULL;
	prefix = o->prefix ? o->prefix : "ghpool:";
	if (strlen(prefix) > L2_MAX_PREFIX)
		return NULL;
	if (o->namespace != NULL && strlen(o->namespace) > L2_MAX_KEY)
		return NULL;
	memset(&ro, 0, sizeof(ro));
	ro.url = o->url;
	ro.name = "l2";
	ro.timeout_ms = o->timeout_ms;
	ro.connect_timeout_ms = o->connect_timeout_ms;
	ro.backoff_min_ms = o->backoff_min_ms;
	ro.backoff_max_ms = o->backoff_max_ms;
	l = util_calloc(1, sizeof(*l));
	l->base = base;
	l->prefix = util_strdup(prefix);
	l->prefix_len = strlen(prefix);
	l->channel = util_printf("%sfilled", prefix);
	l->ns = util_strdup(o->namespace ? o->namespace : "");
	l->ns_len = strlen(l->ns);
	l->own_marks = o->marks == NULL;
	l->marks = o->marks ? o->marks : l2_marks_new();
	TAILQ_INIT(&l->retries);
	LIST_INIT(&l->locking);
	l->timeout_ms = o->timeout_ms > 0 ? o->timeout_ms : L2_DEFAULT_TIMEOUT_MS;
	l->max_entry = o->max_entry_bytes > 0 ? o->max_entry_bytes : L2_DEFAULT_MAX_ENTRY;
	if (l->max_entry > L2_MAX_BLOB)
		l->max_entry = L2_MAX_BLOB;
	for (size_t i = 0; i < L2_BUCKETS; i++) {
		LIST_INIT(&l->waiters[i]);
		LIST_INIT(&l->held[i]);
	}
	if (getrandom(&seed, sizeof(seed), GRND_NONBLOCK) != (ssize_t)sizeof(seed))
		seed = (uint64_t)util_mono_us() ^ ((uint64_t)(uintptr_t)l << 16) ^ (uint64_t)wall_ms();
	l->token_seed = seed;
	l->watch = evtimer_new(base, on_watch, l);
	l->retry = evtimer_new(base, on_retry_timer, l);
	l->r = redis_new(base, &ro);
	if (l->watch == NULL || l->retry == NULL || l->r == NULL ||
	    redis_subscribe(l->r, l->channel, on_fill, l) != 0) {
		if (l->watch != NULL)
			event_free(l->watch);
		if (l->retry != NULL)
			event_free(l->retry);
		redis_free(l->r);
		if (l->own_marks)
			l2_marks_free(l->marks);
		free(l->ns);
		free(l->channel);
		free(l->prefix);
		free(l);
		return NULL;
	}
	return l;
}

void
l2_free(struct l2 *l)
{
	unsigned char d[SHA256_DIGEST_LENGTH];
	struct l2_held *h;
	struct l2_lockop *lop;
	struct l2_version_op *vop;

	if (l == NULL)
		return;
	if (l->depth > 0) {
		log_error("l2: l2_free called from one of its own callbacks");
		abort();
	}
	/*
	 * Locks still held (a fetch cut short by shutdown), and those asked
	 * for but not yet answered (Redis may grant them just before our
	 * release arrives), are released and announced, so other replicas'
	 * waits end now rather than at their timeout; the flush sends it all
	 * before the link closes.
	 */
	for (size_t i = 0; i < L2_BUCKETS; i++)
		while ((h = LIST_FIRST(&l->held[i])) != NULL) {
			memcpy(d, h->digest, sizeof(d));
			unlock_digest(l, d);   /* frees h */
			publish_fill(l, d);
		}
	LIST_FOREACH(lop, &l->locking, link) {
		unlock_token(l, lop->digest, lop->token);
		publish_fill(l, lop->digest);
	}
	redis_flush(l->r, l->timeout_ms);
	l->closing = true;
	/* Gets and locks get their NULLs here; calls they make return false;
	 * versions in flight give up (version_queue sees closing). */
	redis_free(l->r);
	l->r = NULL;
	wake(l, NULL, false, &l->st_waits_failed);
	while ((vop = TAILQ_FIRST(&l->retries)) != NULL) {
		TAILQ_REMOVE(&l->retries, vop, link);
		version_give_up(l, vop, "closing");
	}
	event_free(l->retry);
	event_free(l->watch);
	if (l->own_marks)
		l2_marks_free(l->marks);
	free(l->ns);
	free(l->channel);
	free(l->prefix);
	free(l);
}

struct redis *
l2_redis(struct l2 *l)
{
	return l->r;
}

bool
l2_up(const struct l2 *l)
{
	/* NULL only inside l2_free, for callbacks it runs. */
	return l->r != NULL && redis_up(l->r);
}

/*
 * The groups' versions out of a get's reply (elements 1..n), '.'-joined
 * into out: a missing key is "" (no version yet); NULL when any is not
 * one of ours, so nothing fetched now can be stored against it.
 */
static const char *
get_reply_version(const redisReply *reply, char out[L2_VERSION_MAX + 1])
{
	size_t len = 0;

	out[0] = '\0';
	for (size_t i = 1; i < reply->elements; i++) {
		const redisReply *v = reply->element[i];

		if (i > 1)
			out[len++] = '.';
		if (v->type == REDIS_REPLY_NIL)
			continue;
		if (v->type != REDIS_REPLY_STRING || !part_ok(v->str, v->len))
			return NULL;
		memcpy(out + len, v->str, v->len);
		len += v->len;
	}
	out[len] = '\0';
	return out;
}

static void
on_get_reply(redisReply *reply, void *arg)
{
	struct l2_getop *op = arg;
	struct l2 *l = op->l;
	redisReply *er = reply;
	struct l2_entry e;
	struct l2_hit hit, *out = NULL;
	char ver[L2_VERSION_MAX + 1];
	const char *version = "";

	if (reply == NULL || reply->type == REDIS_REPLY_ERROR ||
	    (op->n_groups > 0 && (reply->type != REDIS_REPLY_ARRAY ||
	    reply->elements != 1 + op->n_groups))) {
		stat_inc(&l->st_errors);
		stat_inc(&l->st_lookup_errors);
		version = NULL;
		goto done;
	}
	if (op->n_groups > 0) {
		er = reply->element[0];
		version = get_reply_version(reply, ver);
	}
	if (er->type == REDIS_REPLY_NIL) {
		stat_inc(&l->st_misses);
	} else if (er->type != REDIS_REPLY_STRING || l2_decode(er->str, er->len, &e) != 0) {
		stat_inc(&l->st_decode_errors);
		stat_inc(&l->st_misses);
	} else if (e.key_len != op->key_len || memcmp(e.key, op->key, op->key_len) != 0) {
		stat_inc(&l->st_key_mismatches);
		stat_inc(&l->st_misses);
		l2_entry_clear(&e);
	} else {
		memset(&hit, 0, sizeof(hit));
		hit.outdated = version == NULL || strcmp(e.version, version) != 0;
		if (hit.outdated) {
			stat_inc(&l->st_outdated);
			stat_inc(&l->st_misses);
		} else {
			stat_inc(&l->st_hits);
		}
		hit.status = e.status;
		hit.headers = e.headers;
		hit.n_headers = e.n_headers;
		hit.identity = e.identity;
		hit.ttl_ms = e.ttl_ms;
		hit.age_ms = wall_ms() - e.fetched_at_ms;
		if (hit.age_ms < 0)
			hit.age_ms = 0;
		hit.body = evbuffer_new();
		if (hit.body == NULL || evbuffer_add(hit.body, e.body, e.body_len) != 0)
			abort();
		out = &hit;
	}
done:
	l->depth++;
	op->cb(out, version, op->arg);
	l->depth--;
	if (out != NULL) {
		evbuffer_free(hit.body);
		l2_entry_clear(&e);
	}
	free(op);
}

/* The groups given (group2 alone counts too), as digests; 0 to 2. */
static size_t
groups_of(const struct l2 *l, const char *group, const char *group2,
    unsigned char g[L2_MAX_GROUPS][SHA256_DIGEST_LENGTH])
{
	size_t n = 0;

	if (group != NULL)
		group_digest(l, group, g[n++]);
	if (group2 != NULL) {
		group_digest(l, group2, g[n]);
		/* The same group twice is once. */
		if (n == 0 || memcmp(g[0], g[n], SHA256_DIGEST_LENGTH) != 0)
			n++;
	}
	return n;
}

bool
l2_get(struct l2 *l, const char *key, size_t key_len, const char *group, const char *group2,
    l2_get_cb cb, void *arg)
{
	unsigned char d[SHA256_DIGEST_LENGTH], g[L2_MAX_GROUPS][SHA256_DIGEST_LENGTH];
	char names[1 + L2_MAX_GROUPS][L2_NAME_MAX + 1];
	const char *argv[2 + L2_MAX_GROUPS] = { "MGET" };
	size_t lens[2 + L2_MAX_GROUPS] = { 4 }, n;
	struct l2_getop *op;

	if (l->closing || cb == NULL || !key_ok(key, key_len) || !redis_up(l->r)) {
		stat_inc(&l->st_refused);
		return false;
	}
	n = groups_of(l, group, group2, g);
	for (size_t i = 0; i < n; i++) {
		if (mark_active(l->marks, g[i])) {
			stat_inc(&l->st_marked);
			return false;
		}
		argv[2 + i] = names[1 + i];
		lens[2 + i] = redis_name(l, 'v', g[i], names[1 + i]);
	}
	if (n == 0) {
		argv[0] = "GET";
		lens[0] = 3;
	}
	entry_digest(l, key, key_len, d);
	argv[1] = names[0];
	lens[1] = redis_name(l, 'e', d, names[0]);
	op = util_calloc(1, sizeof(*op) + key_len);
	op->l = l;
	op->cb = cb;
	op->arg = arg;
	op->n_groups = n;
	op->key_len = key_len;
	memcpy(op->key, key, key_len);
	if (!redis_command(l->r, on_get_reply, op, (int)(2 + n), argv, lens)) {
		free(op);
		stat_inc(&l->st_refused);
		return false;
	}
	return true;
}

static void
on_put_reply(redisReply *reply, void *arg)
{
	struct l2 *l = arg;

	if (reply != NULL && (reply->type == REDIS_REPLY_STATUS ||
	    (reply->type == REDIS_REPLY_INTEGER && reply->integer == 1)))
		stat_inc(&l->st_stores);
	else if (reply != NULL && reply->type == REDIS_REPLY_INTEGER)
		stat_inc(&l->st_superseded);
	else
		stat_inc(&l->st_errors);
}

/* One more argument of a command being built. */
static void
arg_push(const char **argv, size_t *lens, size_t *argc, const char *s, size_t len)
{
	argv[*argc] = s;
	lens[(*argc)++] = len;
}

/*
 * Splits version (as l2_get gave it) into n parts in seen[], and builds in
 * stored the version the entry carries: each part seen, or for a group
 * with none yet the fresh one in fresh[]. false if it is not n parts of
 * ours.
 */
static bool
put_versions(const char *version, size_t n, char seen[L2_MAX_GROUPS][L2_VERSION_PART + 1],
    char fresh[L2_MAX_GROUPS][L2_VERSION_PART + 1], char stored[L2_VERSION_MAX + 1])
{
	const char *p = version;
	size_t len = 0;

	stored[0] = '\0';
	for (size_t i = 0; i < n; i++) {
		size_t k = strcspn(p, ".");

		if (!part_ok(p, k) || (i + 1 < n ? p[k] != '.' : p[k] != '\0'))
			return false;
		memcpy(seen[i], p, k);
		seen[i][k] = '\0';
		fresh[i][0] = '\0';
		if (k == 0)
			version_random(fresh[i]);
		len += (size_t)snprintf(stored + len, L2_VERSION_MAX + 1 - len, "%s%s",
		    i > 0 ? "." : "", k > 0 ? seen[i] : fresh[i]);
		p += k + (p[k] == '.');
	}
	return true;
}

bool
l2_put(struct l2 *l, const char *key, size_t key_len, const char *group, const char *group2,
    const char *version, int status, const struct cache_header *headers, size_t n_headers,
    struct evbuffer *body, const char *identity, int64_t age_ms, int64_t ttl_ms,
    int64_t expire_ms)
{
	unsigned char d[SHA256_DIGEST_LENGTH], g[L2_MAX_GROUPS][SHA256_DIGEST_LENGTH];
	char names[1 + L2_MAX_GROUPS][L2_NAME_MAX + 1], px[24], vpx[24];
	char seen[L2_MAX_GROUPS][L2_VERSION_PART + 1], fresh[L2_MAX_GROUPS][L2_VERSION_PART + 1];
	char stored[L2_VERSION_MAX + 1], nkeys[4];
	const char *argv[4 + L2_MAX_GROUPS + 3 + 2 * L2_MAX_GROUPS];
	size_t lens[4 + L2_MAX_GROUPS + 3 + 2 * L2_MAX_GROUPS];
	char *blob = NULL;
	size_t blob_len = 0, n, argc = 0;
	bool sent = false, ok;

	if (l->closing || !key_ok(key, key_len)) {
		stat_inc(&l->st_refused);
		return false;
	}
	entry_digest(l, key, key_len, d);
	if (!redis_up(l->r)) {
		/* Nothing can be sent: the lock expires by itself. */
		held_forget(l, d);
		stat_inc(&l->st_refused);
		return false;
	}
	n = groups_of(l, group, group2, g);
	if (age_ms < 0)
		age_ms = 0;
	/* No entry outlives the version that may outdate it. */
	if (expire_ms > L2_VERSION_TTL_MS)
		expire_ms = L2_VERSION_TTL_MS;
	/* Too large however it is encoded: not worth encoding. */
	ok = version != NULL && expire_ms > 0 && age_ms <= L2_MAX_MS &&
	    (body == NULL || evbuffer_get_length(body) <= l->max_entry) &&
	    (n == 0 ? *version == '\0' : put_versions(version, n, seen, fresh, stored));
	if (ok)
		blob = l2_encode(key, key_len, status, headers, n_headers, body, identity,
		    n == 0 ? "" : stored, wall_ms() - age_ms, ttl_ms, &blob_len);
	if (blob != NULL && blob_len <= l->max_entry) {
		size_t ename = redis_name(l, 'e', d, names[0]);
		size_t plen = (size_t)snprintf(px, sizeof(px), "%lld", (long long)expire_ms);

		/* hiredis copies the command into its output buffer at once. */
		if (n == 0) {
			arg_push(argv, lens, &argc, "SET", 3);
			arg_push(argv, lens, &argc, names[0], ename);
			arg_push(argv, lens, &argc, blob, blob_len);
			arg_push(argv, lens, &argc, "PX", 2);
			arg_push(argv, lens, &argc, px, plen);
		} else {
			arg_push(argv, lens, &argc, "EVAL", 4);
			arg_push(argv, lens, &argc, l2_put_script, sizeof(l2_put_script) - 1);
			arg_push(argv, lens, &argc, nkeys, (size_t)snprintf(nkeys, sizeof(nkeys), "%zu",
			    1 + n));
			arg_push(argv, lens, &argc, names[0], ename);
			for (size_t i = 0; i < n; i++) {
				argv[argc] = names[1 + i];
				lens[argc++] = redis_name(l, 'v', g[i], names[1 + i]);
			}
			arg_push(argv, lens, &argc, blob, blob_len);
			arg_push(argv, lens, &argc, px, plen);
			arg_push(argv, lens, &argc, vpx, (size_t)snprintf(vpx, sizeof(vpx), "%lld",
			    (long long)L2_VERSION_TTL_MS));
			for (size_t i = 0; i < n; i++) {
				arg_push(argv, lens, &argc, seen[i], strlen(seen[i]));
				arg_push(argv, lens, &argc, fresh[i], strlen(fresh[i]));
			}
		}
		sent = send_quiet(l, on_put_reply, (int)argc, argv, lens);
	} else {
		stat_inc(&l->st_not_stored);
	}
	free(blob);
	unlock_digest(l, d);
	publish_fill(l, d);
	return sent;
}

bool
l2_invalidate(struct l2 *l, const char *group, l2_invalidate_cb cb, void *arg)
{
	struct l2_version_op *op;

	if (l == NULL || l->closing || group == NULL)
		return false;
	op = util_calloc(1, sizeof(*op));
	op->l = l;
	op->cb = cb;
	op->arg = arg;
	op->writes = 1;
	group_digest(l, group, op->digest);
	/* Marked before anything is sent: from now on no worker of ours reads
	 * the group from Redis until the new version is there. */
	mark_begin(l->marks, op->digest);
	if (version_send(l, op))
		return cb != NULL;
	/* Queued for the link (or given up on, closing): nobody waits. */
	return false;
}

void
l2_announce(struct l2 *l, const char *key, size_t key_len)
{
	unsigned char d[SHA256_DIGEST_LENGTH];

	if (l->closing || !key_ok(key, key_len))
		return;
	stat_inc(&l->st_announces);
	entry_digest(l, key, key_len, d);
	unlock_digest(l, d);
	publish_fill(l, d);
}

static void
on_lock_reply(redisReply *reply, void *arg)
{
	struct l2_lockop *op = arg;
	struct l2 *l = op->l;
	enum l2_lock res;

	LIST_REMOVE(op, link);
	if (reply != NULL && reply->type == REDIS_REPLY_STATUS) {
		/* Counted from when it was sent: the lock may end sooner than
		 * we think, never later. */
		held_put(l, op->digest, op->token, op->sent_ms + op->px_ms);
		stat_inc(&l->st_locks_acquired);
		res = L2_LOCK_ACQUIRED;
	} else if (reply != NULL && reply->type == REDIS_REPLY_NIL) {
		stat_inc(&l->st_locks_held);
		res = L2_LOCK_HELD;
	} else {
		stat_inc(&l->st_errors);
		res = L2_LOCK_UNAVAILABLE;
	}
	l->depth++;
	op->cb(res, op->arg);
	l->depth--;
	free(op);
}

bool
l2_lock(struct l2 *l, const char *key, size_t key_len, int64_t px_ms, l2_lock_cb cb, void *arg)
{
	char name[L2_NAME_MAX + 1], px[24];
	const char *argv[6] = { "SET", name, NULL, "NX", "PX", px };
	size_t lens[6] = { 3, 0, L2_TOKEN_LEN, 2, 2, 0 };
	struct l2_lockop *op;

	if (l->closing || cb == NULL || !key_ok(key, key_len) || px_ms <= 0 ||
	    px_ms > L2_MAX_MS || !redis_up(l->r)) {
		stat_inc(&l->st_refused);
		return false;
	}
	op = util_calloc(1, sizeof(*op));
	op->l = l;
	op->cb = cb;
	op->arg = arg;
	op->px_ms = px_ms;
	op->sent_ms = util_mono_ms();
	entry_digest(l, key, key_len, op->digest);
	snprintf(op->token, sizeof(op->token), "%016llx-%016llx", (unsigned long long)l->token_seed,
	    (unsigned long long)++l->token_seq);
	lens[1] = redis_name(l, 'l', op->digest, name);
	argv[2] = op->token;
	lens[5] = (size_t)snprintf(px, sizeof(px), "%lld", (long long)px_ms);
	if (!redis_command(l->r, on_lock_reply, op, 6, argv, lens)) {
		free(op);
		stat_inc(&l->st_refused);
		return false;
	}
	LIST_INSERT_HEAD(&l->locking, op, link);
	return true;
}

void
l2_unlock(struct l2 *l, const char *key, size_t key_len)
{
	unsigned char d[SHA256_DIGEST_LENGTH];

	if (l->closing || !key_ok(key, key_len))
		return;
	entry_digest(l, key, key_len, d);
	unlock_digest(l, d);
}

bool
l2_wait(struct l2 *l, const char *key, size_t key_len, int64_t timeout_ms, l2_wait_cb cb,
    void *arg)
{
	struct l2_waiter *w;
	struct timeval tv;
	int64_t since_us;

	if (l->closing || cb == NULL || !key_ok(key, key_len) || timeout_ms <= 0 ||
	    timeout_ms > L2_MAX_MS || !pubsub_up(l)) {
		stat_inc(&l->st_refused);
		return false;
	}
	w = util_calloc(1, sizeof(*w));
	w->l = l;
	w->cb = cb;
	w->arg = arg;
	entry_digest(l, key, key_len, w->digest);
	w->timer = evtimer_new(l->base, on_wait_timer, w);
	if (w->timer == NULL)
		abort();
	since_us = util_mono_us() - 2 * l->timeout_ms * 1000;
	w->early = recent_seen(l, w->digest, since_us);
	if (w->early) {
		tv.tv_sec = 0;
		tv.tv_usec = 0;
	} else {
		tv.tv_sec = (time_t)(timeout_ms / 1000);
		tv.tv_usec = (suseconds_t)(timeout_ms % 1000 * 1000);
	}
	evtimer_add(w->timer, &tv);
	LIST_INSERT_HEAD(&l->waiters[bucket_of(w->digest)], w, link);
	if (l->n_waiters++ == 0)
		watch_arm(l);
	stat_inc(&l->st_waits);
	return true;
}

#define LOAD(f) atomic_load_explicit(&l->f, memory_order_relaxed)

void
l2_stats(const struct l2 *l, struct l2_stats *out)
{
	memset(out, 0, sizeof(*out));
	out->hits = LOAD(st_hits);
	out->misses = LOAD(st_misses);
	out->errors = LOAD(st_errors);
	out->refused = LOAD(st_refused);
	out->decode_errors = LOAD(st_decode_errors);
	out->key_mismatches = LOAD(st_key_mismatches);
	out->stores = LOAD(st_stores);
	out->not_stored = LOAD(st_not_stored);
	out->announces = LOAD(st_announces);
	out->locks_acquired = LOAD(st_locks_acquired);
	out->locks_held = LOAD(st_locks_held);
	out->unlocks = LOAD(st_unlocks);
	out->waits = LOAD(st_waits);
	out->waits_signalled = LOAD(st_waits_signalled);
	out->waits_timed_out = LOAD(st_waits_timed_out);
	out->waits_failed = LOAD(st_waits_failed);
	out->fills_seen = LOAD(st_fills_seen);
	out->lookup_errors = LOAD(st_lookup_errors);
	out->outdated = LOAD(st_outdated);
	out->marked = LOAD(st_marked);
	out->superseded = LOAD(st_superseded);
	out->versions_set = LOAD(st_versions_set);
	out->version_retries = LOAD(st_version_retries);
	out->versions_failed = LOAD(st_versions_failed);
	if (l->r != NULL)
		redis_stats(l->r, &out->link);
}
