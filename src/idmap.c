/*
 * idmap.c - chained hash table plus an insertion-order ring for eviction.
 *
 * Slots are allocated once (capacity of them); the ring holds slot
 * indices in insertion order, so the oldest is evicted in O(1). Replacing
 * a key's value refreshes its age but not its place in the ring: an id
 * seen constantly may still be evicted and learned again, which is cheap.
 */
#include "idmap.h"
#include "util.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#define IDMAP_MAX_KEY 255
#define IDMAP_MAX_VALUE 255

struct idmap_slot {
	char *key;               /* NULL: free */
	size_t klen;
	char *value;
	int64_t at_ms;
	size_t next;             /* chain; SIZE_MAX ends it */
	size_t bucket;
};

struct idmap {
	pthread_mutex_t mu;
	struct idmap_slot *slots;
	size_t *buckets;         /* heads of chains; SIZE_MAX: empty */
	size_t n_buckets, cap, count, ring_head;
	int64_t ttl_ms;
};

static uint64_t
idmap_hash(const char *s, size_t n)
{
	uint64_t h = 1469598103934665603ULL;   /* FNV-1a */

	for (size_t i = 0; i < n; i++)
		h = (h ^ (unsigned char)s[i]) * 1099511628211ULL;
	return h;
}

struct idmap *
idmap_new(size_t capacity, int64_t ttl_ms)
{
	struct idmap *m = util_calloc(1, sizeof(*m));

	if (capacity == 0)
		capacity = 1;
	pthread_mutex_init(&m->mu, NULL);
	m->cap = capacity;
	m->n_buckets = capacity * 2;
	m->slots = util_calloc(capacity, sizeof(*m->slots));
	m->buckets = util_calloc(m->n_buckets, sizeof(*m->buckets));
	for (size_t i = 0; i < m->n_buckets; i++)
		m->buckets[i] = SIZE_MAX;
	m->ttl_ms = ttl_ms;
	return m;
}

static void
idmap_unlink(struct idmap *m, size_t s)
{
	size_t *pp = &m->buckets[m->slots[s].bucket];

	while (*pp != s)
		pp = &m->slots[*pp].next;
	*pp = m->slots[s].next;
	free(m->slots[s].key);
	free(m->slots[s].value);
	m->slots[s].key = m->slots[s].value = NULL;
	m->count--;
}

static size_t
idmap_find(struct idmap *m, const char *key, size_t klen, size_t bucket)
{
	for (size_t s = m->buckets[bucket]; s != SIZE_MAX; s = m->slots[s].next)
		if (m->slots[s].klen == klen && memcmp(m->slots[s].key, key, klen) == 0)
			return s;
	return SIZE_MAX;
}

void
idmap_put(struct idmap *m, const char *key, size_t klen, const char *value)
{
	size_t bucket = idmap_hash(key, klen) % m->n_buckets, s;

	if (klen == 0 || klen > IDMAP_MAX_KEY || strlen(value) > IDMAP_MAX_VALUE)
		return;
	pthread_mutex_lock(&m->mu);
	if ((s = idmap_find(m, key, klen, bucket)) != SIZE_MAX) {
		free(m->slots[s].value);
		m->slots[s].value = util_strdup(value);
		m->slots[s].at_ms = util_mono_ms();
		pthread_mutex_unlock(&m->mu);
		return;
	}
	/* The ring position is the slot: slots fill, then wrap oldest-first. */
	s = m->ring_head;
	m->ring_head = (m->ring_head + 1) % m->cap;
	if (m->slots[s].key != NULL)
		idmap_unlink(m, s);
	m->slots[s].key = util_strndup(key, klen);
	m->slots[s].klen = klen;
	m->slots[s].value = util_strdup(value);
	m->slots[s].at_ms = util_mono_ms();
	m->slots[s].bucket = bucket;
	m->slots[s].next = m->buckets[bucket];
	m->buckets[bucket] = s;
	m->count++;
	pthread_mutex_unlock(&m->mu);
}

bool
idmap_get(struct idmap *m, const char *key, size_t klen, char *out, size_t outlen)
{
	size_t bucket = idmap_hash(key, klen) % m->n_buckets, s, n;
	bool found = false;

	pthread_mutex_lock(&m->mu);
	s = idmap_find(m, key, klen, bucket);
	if (s != SIZE_MAX && util_mono_ms() - m->slots[s].at_ms < m->ttl_ms &&
	    (n = strlen(m->slots[s].value)) < outlen) {
		memcpy(out, m->slots[s].value, n + 1);
		found = true;
	}
	pthread_mutex_unlock(&m->mu);
	return found;
}

void
idmap_clear(struct idmap *m)
{
	pthread_mutex_lock(&m->mu);
	for (size_t s = 0; s < m->cap; s++)
		if (m->slots[s].key != NULL)
			idmap_unlink(m, s);
	pthread_mutex_unlock(&m->mu);
}

size_t
idmap_count(struct idmap *m)
{
	size_t n;

	pthread_mutex_lock(&m->mu);
	n = m->count;
	pthread_mutex_unlock(&m->mu);
	return n;
}

void
idmap_free(struct idmap *m)
{
	if (m == NULL)
		return;
	idmap_clear(m);
	free(m->slots);
	free(m->buckets);
	pthread_mutex_destroy(&m->mu);
	free(m);
}
