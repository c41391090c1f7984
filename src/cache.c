/*
 * cache.c - sharded hash table of immutable, reference-counted entries
 * with SIEVE eviction under byte and count bounds.
 *
 * Locking. Lookups take one shard's read lock and touch nothing shared
 * but the entry's atomic reference count and "visited" bit. Every change
 * (insert, replace, evict, invalidate) takes the store-wide write mutex
 * first and then the shard's write lock: a miss costs an upstream request,
 * so serialising the changes it causes is cheap, and a single SIEVE queue
 * keeps the byte bound exact.
 *
 * SIEVE (Zhang et al., NSDI'24): a FIFO queue and a hand. A hit only sets
 * the visited bit. To evict, the hand walks from the oldest end clearing
 * visited bits and removes the first entry it finds unvisited.
 */
#include "cache.h"
#include "util.h"

#include <pthread.h>
#include <sys/mman.h>
#include <unistd.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define CACHE_SHARDS 64
/*
 * Bodies this large live in a memfd and go out with sendfile(2): the
 * kernel copies page cache to socket, where writev would copy the heap.
 */
#define CACHE_FILE_BODY (32 * 1024)
/* fresh_until_ms of an entry a write made stale: before any clock value. */
#define CACHE_INVALIDATED INT64_MIN

struct cache_entry {
	atomic_int refs;
	atomic_bool visited;
	atomic_int_least64_t stored_ms;     /* fetched or revalidated */
	atomic_int_least64_t fresh_until_ms;
	uint64_t hash;
	int status;
	int identity;
	size_t size;                        /* what it counts against max_bytes */
	char *key;
	size_t key_len;
	struct cache_header *headers;
	size_t n_headers;
	char *body;                         /* in this allocation, or NULL */
	size_t body_len;
	struct evbuffer_file_segment *seg;  /* large bodies: a memfd */
	/* Owned by the store, under its write mutex. */
	bool stored;
	struct cache_entry *chain;          /* next in the shard bucket */
	struct cache_entry *newer, *older;  /* SIEVE queue */
};

struct shard {
	pthread_rwlock_t lock;
	struct cache_entry **buckets;
	size_t n_buckets;
	size_t n_entries;
};

struct cache {
	struct cache_limits lim;
	pthread_mutex_t write;
	struct shard shards[CACHE_SHARDS];
	struct cache_entry *newest, *oldest, *hand;
	size_t entries, bytes;
	uint64_t inserts, evictions, invalidations, too_large;
	atomic_uint_least64_t generation;   /* bumped by every invalidation */
};

/* ------------------------------------------------------------------------
 * Entries
 * ---------------------------------------------------------------------- */

/*
 * Writes a large body into a memfd segment (NULL on any failure: the body
 * then stays in memory, as this is an optimisation, never a reason to fail).
 */
static struct evbuffer_file_segment *
cache_body_to_file(struct evbuffer *body, size_t len)
{
	struct evbuffer_file_segment *seg = NULL;
	struct evbuffer_iovec *v = NULL;
	int n, fd = -1;
	off_t off = 0;

	if (len < CACHE_FILE_BODY)
		return NULL;
	n = evbuffer_peek(body, -1, NULL, NULL, 0);
	fd = memfd_create("ghpool-entry", MFD_CLOEXEC);
	if (n <= 0 || fd < 0)
		goto out;
	v = util_calloc((size_t)n, sizeof(*v));
	evbuffer_peek(body, -1, NULL, v, n);
	for (int i = 0; i < n; i++) {
		for (size_t done = 0; done < v[i].iov_len; ) {
			ssize_t w = pwrite(fd, (char *)v[i].iov_base + done,
			    v[i].iov_len - done, off);
			if (w <= 0)
				goto out;
			done += (size_t)w;
			off += w;
		}
	}
	seg = evbuffer_file_segment_new(fd, 0, (ev_off_t)len,
	    EVBUF_FS_CLOSE_ON_FREE | EVBUF_FS_DISABLE_MMAP);
	if (seg != NULL)
		fd = -1;   /* the segment closes it */
out:
	if (fd >= 0)
		close(fd);
	free(v);
	return seg;
}

struct cache_entry *
cache_entry_new(const char *key, size_t key_len, int status,
    const struct cache_header *headers, size_t n_headers,
    struct evbuffer *body, int identity, int64_t ttl_ms)
{
	size_t hbytes = 0, body_len = body ? evbuffer_get_length(body) : 0, total;
	struct evbuffer_file_segment *seg = body ? cache_body_to_file(body, body_len) : NULL;
	struct cache_entry *e;
	char *p;
	int64_t now = util_mono_ms();

	for (size_t i = 0; i < n_headers; i++)
		hbytes += strlen(headers[i].name) + strlen(headers[i].value) + 2;
	/* One allocation: entry, header table, key, header strings, and the
	 * body unless it went to a memfd. */
	total = sizeof(*e) + n_headers * sizeof(struct cache_header) + key_len + 1 +
	    hbytes + (seg ? 0 : body_len);
	e = malloc(total);
	if (e == NULL)
		abort();
	memset(e, 0, sizeof(*e));
	atomic_init(&e->refs, 1);
	atomic_init(&e->visited, false);
	atomic_init(&e->stored_ms, now);
	atomic_init(&e->fresh_until_ms, now + ttl_ms);
	e->status = status;
	e->identity = identity;
	e->size = total + (seg ? body_len : 0);   /* a memfd is memory too */
	e->headers = (struct cache_header *)(e + 1);
	e->n_headers = n_headers;
	p = (char *)(e->headers + n_headers);
	e->key = p;
	e->key_len = key_len;
	memcpy(p, key, key_len);
	p[key_len] = '\0';
	p += key_len + 1;
	for (size_t i = 0; i < n_headers; i++) {
		size_t nl = strlen(headers[i].name) + 1, vl = strlen(headers[i].value) + 1;

		memcpy(p, headers[i].name, nl);
		e->headers[i].name = p;
		p += nl;
		memcpy(p, headers[i].value, vl);
		e->headers[i].value = p;
		p += vl;
	}
	e->body_len = body_len;
	e->seg = seg;
	if (seg == NULL) {
		e->body = p;
		if (body_len > 0)
			evbuffer_copyout(body, p, body_len);
	}
	e->hash = util_hash(key, key_len);
	return e;
}

void
cache_entry_ref(struct cache_entry *e)
{
	atomic_fetch_add_explicit(&e->refs, 1, memory_order_relaxed);
}

void
cache_entry_release(struct cache_entry *e)
{
	if (e == NULL || atomic_fetch_sub_explicit(&e->refs, 1, memory_order_acq_rel) != 1)
		return;
	/* Responses still sending it hold their own segment references. */
	if (e->seg != NULL)
		evbuffer_file_segment_free(e->seg);
	free(e);
}

int cache_entry_status(const struct cache_entry *e) { return e->status; }
int cache_entry_identity(const struct cache_entry *e) { return e->identity; }
size_t cache_entry_size(const struct cache_entry *e) { return e->size; }
size_t cache_entry_header_count(const struct cache_entry *e) { return e->n_headers; }
size_t cache_entry_body_len(const struct cache_entry *e) { return e->body_len; }

struct cache_header
cache_entry_header(const struct cache_entry *e, size_t i)
{
	return e->headers[i];
}

const char *
cache_entry_find_header(const struct cache_entry *e, const char *name)
{
	for (size_t i = 0; i < e->n_headers; i++)
		if (strcasecmp(e->headers[i].name, name) == 0)
			return e->headers[i].value;
	return NULL;
}

static void
cache_entry_body_done(const void *data, size_t len, void *arg)
{
	(void)data;
	(void)len;
	cache_entry_release(arg);
}

void
cache_entry_add_body(struct cache_entry *e, struct evbuffer *out)
{
	if (e->body_len == 0)
		return;
	if (e->seg != NULL) {
		if (evbuffer_add_file_segment(out, e->seg, 0, (ev_off_t)e->body_len) < 0)
			abort();
		return;
	}
	cache_entry_ref(e);
	if (evbuffer_add_reference(out, e->body, e->body_len, cache_entry_body_done, e) < 0) {
		cache_entry_release(e);
		abort();
	}
}

int64_t
cache_entry_age_ms(const struct cache_entry *e, int64_t now_ms)
{
	int64_t age = now_ms - atomic_load(&e->stored_ms);

	return age > 0 ? age : 0;
}

bool
cache_entry_fresh(const struct cache_entry *e, int64_t now_ms)
{
	return now_ms < atomic_load(&e->fresh_until_ms);
}

void
cache_entry_backdate(struct cache_entry *e, int64_t age_ms)
{
	if (age_ms > 0)
		atomic_fetch_sub(&e->stored_ms, age_ms);
}

void
cache_entry_renew(struct cache_entry *e, int64_t ttl_ms)
{
	int64_t now = util_mono_ms();

	atomic_store(&e->stored_ms, now);
	atomic_store(&e->fresh_until_ms, now + ttl_ms);
}

/* ------------------------------------------------------------------------
 * Shards (callers hold the shard's lock as stated)
 * ---------------------------------------------------------------------- */

static struct shard *
cache_shard(struct cache *c, uint64_t hash)
{
	/* The high bits pick the shard, the low bits the bucket. */
	return &c->shards[hash >> 58];
}

static struct cache_entry **
cache_slot(struct shard *s, const char *key, size_t len, uint64_t hash)
{
	struct cache_entry **pp = &s->buckets[hash & (s->n_buckets - 1)];

	for (; *pp != NULL; pp = &(*pp)->chain)
		if ((*pp)->hash == hash && (*pp)->key_len == len &&
		    memcmp((*pp)->key, key, len) == 0)
			break;
	return pp;
}

/* Write lock held. Keeps the load factor at or below one. */
static void
cache_shard_grow(struct shard *s)
{
	size_t n = s->n_buckets * 2;
	struct cache_entry **nb = util_calloc(n, sizeof(*nb));

	for (size_t i = 0; i < s->n_buckets; i++) {
		struct cache_entry *e = s->buckets[i], *next;

		for (; e != NULL; e = next) {
			next = e->chain;
			e->chain = nb[e->hash & (n - 1)];
			nb[e->hash & (n - 1)] = e;
		}
	}
	free(s->buckets);
	s->buckets = nb;
	s->n_buckets = n;
}

/* ------------------------------------------------------------------------
 * The SIEVE queue (callers hold c->write)
 * ---------------------------------------------------------------------- */

static void
cache_queue_push(struct cache *c, struct cache_entry *e)
{
	e->older = c->newest;
	e->newer = NULL;
	if (c->newest)
		c->newest->newer = e;
	c->newest = e;
	if (c->oldest == NULL)
		c->oldest = e;
}

static void
cache_queue_unlink(struct cache *c, struct cache_entry *e)
{
	if (c->hand == e)
		c->hand = e->newer;
	if (e->newer)
		e->newer->older = e->older;
	else
		c->newest = e->older;
	if (e->older)
		e->older->newer = e->newer;
	else
		c->oldest = e->newer;
	e->newer = e->older = NULL;
}

/* Removes e from its shard and the queue, and drops the store's ref. */
static void
cache_remove(struct cache *c, struct cache_entry *e)
{
	struct shard *s = cache_shard(c, e->hash);
	struct cache_entry **pp;

	pthread_rwlock_wrlock(&s->lock);
	pp = cache_slot(s, e->key, e->key_len, e->hash);
	if (*pp == e) {
		*pp = e->chain;
		s->n_entries--;
	}
	pthread_rwlock_unlock(&s->lock);
	cache_queue_unlink(c, e);
	e->stored = false;
	c->entries--;
	c->bytes -= e->size;
	cache_entry_release(e);
}

static void
cache_evict_one(struct cache *c)
{
	struct cache_entry *e = c->hand ? c->hand : c->oldest;

	while (atomic_exchange(&e->visited, false))
		e = e->newer ? e->newer : c->oldest;
	c->hand = e->newer;
	cache_remove(c, e);
	c->evictions++;
}

/* ------------------------------------------------------------------------
 * Public API
 * ---------------------------------------------------------------------- */

struct cache *
cache_new(const struct cache_limits *lim)
{
	struct cache *c = util_calloc(1, sizeof(*c));

	c->lim = *lim;
	pthread_mutex_init(&c->write, NULL);
	for (size_t i = 0; i < CACHE_SHARDS; i++) {
		pthread_rwlock_init(&c->shards[i].lock, NULL);
		c->shards[i].n_buckets = 16;
		c->shards[i].buckets = util_calloc(16, sizeof(struct cache_entry *));
	}
	return c;
}

void
cache_free(struct cache *c)
{
	if (c == NULL)
		return;
	while (c->oldest != NULL)
		cache_remove(c, c->oldest);
	for (size_t i = 0; i < CACHE_SHARDS; i++) {
		pthread_rwlock_destroy(&c->shards[i].lock);
		free(c->shards[i].buckets);
	}
	pthread_mutex_destroy(&c->write);
	free(c);
}

struct cache_entry *
cache_get(struct cache *c, const char *key, size_t key_len)
{
	uint64_t h = util_hash(key, key_len);
	struct shard *s = cache_shard(c, h);
	struct cache_entry *e;

	pthread_rwlock_rdlock(&s->lock);
	e = *cache_slot(s, key, key_len, h);
	if (e != NULL) {
		cache_entry_ref(e);
		atomic_store_explicit(&e->visited, true, memory_order_relaxed);
	}
	pthread_rwlock_unlock(&s->lock);
	return e;
}

static bool cache_store(struct cache *c, struct cache_entry *e, bool current,
    uint64_t generation, int64_t renew_ms);

bool
cache_put(struct cache *c, struct cache_entry *e)
{
	return cache_store(c, e, false, 0, -1);
}

bool
cache_put_current(struct cache *c, struct cache_entry *e, uint64_t generation)
{
	return cache_store(c, e, true, generation, -1);
}

bool
cache_renew_current(struct cache *c, struct cache_entry *e, int64_t ttl_ms,
    uint64_t generation)
{
	return cache_store(c, e, true, generation, ttl_ms);
}

/*
 * Stores e (replacing what is under its key): only while the generation is
 * still generation when current is set, and renewed for renew_ms first
 * when that is not negative. Both under the write lock that invalidations
 * take, so no write falls between the check and the store.
 */
static bool
cache_store(struct cache *c, struct cache_entry *e, bool current, uint64_t generation,
    int64_t renew_ms)
{
	struct shard *s = cache_shard(c, e->hash);
	struct cache_entry **pp, *old;

	if (e->size > c->lim.max_entry_bytes || e->size > c->lim.max_bytes ||
	    c->lim.max_entries == 0) {
		pthread_mutex_lock(&c->write);
		c->too_large++;
		pthread_mutex_unlock(&c->write);
		return false;
	}
	pthread_mutex_lock(&c->write);
	if (current && atomic_load(&c->generation) != generation) {
		pthread_mutex_unlock(&c->write);
		return false;
	}
	if (renew_ms >= 0)
		cache_entry_renew(e, renew_ms);
	pthread_rwlock_rdlock(&s->lock);
	old = *cache_slot(s, e->key, e->key_len, e->hash);
	pthread_rwlock_unlock(&s->lock);
	if (old == e) {
		pthread_mutex_unlock(&c->write);
		return true;
	}
	if (old != NULL)
		cache_remove(c, old);
	while (c->oldest != NULL &&
	    (c->entries + 1 > c->lim.max_entries || c->bytes + e->size > c->lim.max_bytes))
		cache_evict_one(c);
	cache_entry_ref(e);
	e->stored = true;
	pthread_rwlock_wrlock(&s->lock);
	if (s->n_entries >= s->n_buckets)
		cache_shard_grow(s);
	pp = cache_slot(s, e->key, e->key_len, e->hash);
	e->chain = NULL;
	*pp = e;
	s->n_entries++;
	pthread_rwlock_unlock(&s->lock);
	cache_queue_push(c, e);
	c->entries++;
	c->bytes += e->size;
	c->inserts++;
	pthread_mutex_unlock(&c->write);
	return true;
}

void
cache_remove_key(struct cache *c, const char *key, size_t key_len)
{
	uint64_t h = util_hash(key, key_len);
	struct shard *s = cache_shard(c, h);
	struct cache_entry *e;

	pthread_mutex_lock(&c->write);
	pthread_rwlock_rdlock(&s->lock);
	e = *cache_slot(s, key, key_len, h);
	pthread_rwlock_unlock(&s->lock);
	/* Changes hold c->write, so e cannot go away between the two locks. */
	if (e != NULL) {
		cache_remove(c, e);
		c->invalidations++;
	}
	pthread_mutex_unlock(&c->write);
}

size_t
cache_invalidate_prefix(struct cache *c, const char *prefix)
{
	size_t n = strlen(prefix), hit = 0;

	pthread_mutex_lock(&c->write);
	/* First, so a fetch that reads it after this call cannot miss it. */
	atomic_fetch_add(&c->generation, 1);
	for (struct cache_entry *e = c->oldest; e != NULL; e = e->newer) {
		/* Whole segments only: /issues/5 must not drop /issues/50.
		 * Any case: GitHub's owner and repository names have none. */
		if (e->key_len >= n && strncasecmp(e->key, prefix, n) == 0 &&
		    (e->key_len == n || strchr("/?\n", e->key[n]) != NULL)) {
			atomic_store(&e->fresh_until_ms, CACHE_INVALIDATED);
			hit++;
		}
	}
	c->invalidations += hit;
	pthread_mutex_unlock(&c->write);
	return hit;
}

uint64_t
cache_generation(struct cache *c)
{
	return atomic_load(&c->generation);
}

bool
cache_entry_invalidated(const struct cache_entry *e)
{
	return atomic_load(&e->fresh_until_ms) == CACHE_INVALIDATED;
}

void
cache_entry_invalidate(struct cache_entry *e)
{
	atomic_store(&e->fresh_until_ms, CACHE_INVALIDATED);
}

void
cache_stats(struct cache *c, struct cache_stats *out)
{
	pthread_mutex_lock(&c->write);
	out->entries = c->entries;
	out->bytes = c->bytes;
	out->inserts = c->inserts;
	out->evictions = c->evictions;
	out->invalidations = c->invalidations;
	out->too_large = c->too_large;
	out->max_entries = c->lim.max_entries;
	out->max_bytes = c->lim.max_bytes;
	pthread_mutex_unlock(&c->write);
}
