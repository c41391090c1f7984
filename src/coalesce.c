/*
 * coalesce.c - the table of reads in flight.
 *
 * A small chained hash table under one mutex: it is touched once when a
 * miss starts and once when it ends, never on a cache hit.
 */
#include "coalesce.h"
#include "cache.h"
#include "mailbox.h"
#include "util.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#define COALESCE_BUCKETS 256

struct waiter {
	struct mailbox *mb;
	coalesce_cb cb;
	void *arg;
	struct waiter *next;
};

struct flight {
	char *key;
	size_t len;
	struct waiter *waiters;
	struct flight *next;
};

struct coalesce {
	pthread_mutex_t mu;
	struct flight *buckets[COALESCE_BUCKETS];
	unsigned long followers;
};

/* What a waiter's mailbox carries: its callback and a private result. */
struct delivery {
	coalesce_cb cb;
	void *arg;
	struct coalesce_result res;
	char *message;
};

static size_t
coalesce_bucket(const char *key, size_t len)
{
	return (size_t)(util_hash(key, len) % COALESCE_BUCKETS);
}

struct coalesce *
coalesce_new(void)
{
	struct coalesce *co = util_calloc(1, sizeof(*co));

	pthread_mutex_init(&co->mu, NULL);
	return co;
}

void
coalesce_free(struct coalesce *co)
{
	if (co == NULL)
		return;
	/* Flights end before their workers stop; none can be left here. */
	pthread_mutex_destroy(&co->mu);
	free(co);
}

bool
coalesce_join(struct coalesce *co, const char *key, size_t len,
    struct mailbox *mb, coalesce_cb cb, void *arg, struct flight **leader)
{
	size_t b = coalesce_bucket(key, len);
	struct flight *f;

	pthread_mutex_lock(&co->mu);
	for (f = co->buckets[b]; f != NULL; f = f->next)
		if (f->len == len && memcmp(f->key, key, len) == 0)
			break;
	if (f != NULL) {
		struct waiter *w = util_calloc(1, sizeof(*w));

		w->mb = mb;
		w->cb = cb;
		w->arg = arg;
		w->next = f->waiters;
		f->waiters = w;
		co->followers++;
		pthread_mutex_unlock(&co->mu);
		*leader = NULL;
		return true;
	}
	f = util_calloc(1, sizeof(*f));
	f->key = util_strndup(key, len);
	f->len = len;
	f->next = co->buckets[b];
	co->buckets[b] = f;
	pthread_mutex_unlock(&co->mu);
	*leader = f;
	return false;
}

static void
coalesce_deliver(void *arg)
{
	struct delivery *d = arg;

	d->cb(d->arg, &d->res);
	free(d->message);
	free(d);
}

void
coalesce_finish(struct coalesce *co, struct flight *f, struct cache_entry *entry,
    int error_status, const char *error_message, const char *outcome,
    int64_t retry_at)
{
	size_t b = coalesce_bucket(f->key, f->len);
	struct flight **pp;
	struct waiter *w, *next;

	pthread_mutex_lock(&co->mu);
	for (pp = &co->buckets[b]; *pp != f; pp = &(*pp)->next)
		;
	*pp = f->next;
	pthread_mutex_unlock(&co->mu);
	/* Out of the table: no new waiter can join, so the list is ours. */
	for (w = f->waiters; w != NULL; w = next) {
		struct delivery *d = util_calloc(1, sizeof(*d));

		next = w->next;
		d->cb = w->cb;
		d->arg = w->arg;
		if (entry != NULL)
			cache_entry_ref(entry);
		d->res.entry = entry;
		d->res.error_status = error_status;
		d->message = error_message ? util_strdup(error_message) : NULL;
		d->res.error_message = d->message;
		d->res.outcome = outcome;
		d->res.retry_at = retry_at;
		mailbox_post(w->mb, coalesce_deliver, d);
		free(w);
	}
	free(f->key);
	free(f);
}

unsigned long
coalesce_followers(struct coalesce *co)
{
	unsigned long n;

	pthread_mutex_lock(&co->mu);
	n = co->followers;
	pthread_mutex_unlock(&co->mu);
	return n;
}
