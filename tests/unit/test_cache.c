/*
 * test_cache.c - the entry store: bounds, SIEVE eviction, references.
 */
#include <criterion/criterion.h>
#include <event2/buffer.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cache.h"
#include "util.h"
#include "leakcheck.h"

static struct cache_entry *
make(const char *key, size_t body_len, int64_t ttl_ms)
{
	struct evbuffer *b = evbuffer_new();
	struct cache_header h[] = { { "Content-Type", "application/json" }, { "ETag", "W/\"x\"" } };
	struct cache_entry *e;
	char *body = malloc(body_len + 1);

	memset(body, 'x', body_len);
	evbuffer_add(b, body, body_len);
	e = cache_entry_new(key, strlen(key), 200, h, 2, b, 3, ttl_ms);
	evbuffer_free(b);
	free(body);
	return e;
}

static bool
present(struct cache *c, const char *key)
{
	struct cache_entry *e = cache_get(c, key, strlen(key));

	cache_entry_release(e);
	return e != NULL;
}

static struct cache *
make_cache(size_t entries, size_t bytes)
{
	struct cache_limits lim = { entries, bytes, bytes };
	return cache_new(&lim);
}

Test(cache, put_get_and_fields)
{
	struct cache *c = make_cache(10, 1 << 20);
	struct cache_entry *e = make("/repos/o/r", 5, 60000), *g;

	cr_assert(cache_put(c, e));
	cache_entry_release(e);
	g = cache_get(c, "/repos/o/r", 10);
	cr_assert_not_null(g);
	cr_expect_eq(cache_entry_status(g), 200);
	cr_expect_eq(cache_entry_identity(g), 3);
	cr_expect_eq(cache_entry_body_len(g), 5);
	cr_expect_str_eq(cache_entry_find_header(g, "etag"), "W/\"x\"");
	cr_expect(cache_entry_fresh(g, 0));
	cache_entry_release(g);
	cr_expect_null(cache_get(c, "/repos/o/r2", 11));
	cache_free(c);
}

Test(cache, replace_keeps_one_entry)
{
	struct cache *c = make_cache(10, 1 << 20);
	struct cache_stats st;
	struct cache_entry *a = make("/k", 5, 1000), *b = make("/k", 7, 1000), *g;

	cache_put(c, a);
	cache_put(c, b);
	cache_stats(c, &st);
	cr_expect_eq(st.entries, 1);
	cr_expect_eq(st.bytes, cache_entry_size(b));
	g = cache_get(c, "/k", 2);
	cr_expect_eq(g, b);
	cache_entry_release(g);
	cache_entry_release(a);
	cache_entry_release(b);
	cache_free(c);
}

Test(cache, byte_bound_evicts)
{
	struct cache_entry *probe = make("/k00", 1000, 1000);
	size_t one = cache_entry_size(probe);
	struct cache *c = make_cache(1000, one * 4 + one / 2);
	struct cache_stats st;
	char key[8];

	cache_entry_release(probe);
	for (int i = 0; i < 10; i++) {
		snprintf(key, sizeof(key), "/k%02d", i);
		struct cache_entry *e = make(key, 1000, 1000);
		cache_put(c, e);
		cache_entry_release(e);
	}
	cache_stats(c, &st);
	cr_expect_eq(st.entries, 4);
	cr_expect_leq(st.bytes, one * 4 + one / 2);
	cr_expect_eq(st.evictions, 6);
	cr_expect(present(c, "/k09"));
	cr_expect_not(present(c, "/k00"));
	cache_free(c);
}

Test(cache, entry_bound_and_too_large)
{
	struct cache *c = make_cache(2, 1 << 20);
	struct cache_limits lim = { 10, 1 << 20, 2000 };
	struct cache *small = cache_new(&lim);
	struct cache_entry *big = make("/big", 5000, 1000);
	struct cache_stats st;

	for (int i = 0; i < 3; i++) {
		char key[8];
		snprintf(key, sizeof(key), "/e%d", i);
		struct cache_entry *e = make(key, 10, 1000);
		cache_put(c, e);
		cache_entry_release(e);
	}
	cache_stats(c, &st);
	cr_expect_eq(st.entries, 2);
	cr_expect_not(cache_put(small, big));
	cache_stats(small, &st);
	cr_expect_eq(st.entries, 0);
	cr_expect_eq(st.too_large, 1);
	cache_entry_release(big);
	cache_free(c);
	cache_free(small);
}

Test(cache, sieve_keeps_visited_entries)
{
	struct cache *c = make_cache(3, 1 << 20);
	const char *keys[] = { "/a", "/b", "/c", "/d", "/e" };

	for (int i = 0; i < 3; i++) {
		struct cache_entry *e = make(keys[i], 10, 1000);
		cache_put(c, e);
		cache_entry_release(e);
	}
	/* /a is hot: SIEVE must pass over it and evict /b, then /c. */
	cr_expect(present(c, "/a"));
	for (int i = 3; i < 5; i++) {
		struct cache_entry *e = make(keys[i], 10, 1000);
		cache_put(c, e);
		cache_entry_release(e);
	}
	cr_expect(present(c, "/a"));
	cr_expect_not(present(c, "/b"));
	cr_expect_not(present(c, "/c"));
	cr_expect(present(c, "/d"));
	cr_expect(present(c, "/e"));
	cache_free(c);
}

Test(cache, referenced_entry_outlives_eviction_and_free)
{
	struct cache *c = make_cache(1, 1 << 20);
	struct cache_entry *a = make("/a", 100, 1000), *b = make("/b", 100, 1000), *g;
	struct evbuffer *out = evbuffer_new();
	char buf[100];

	cache_put(c, a);
	cache_entry_release(a);
	g = cache_get(c, "/a", 2);
	cache_entry_add_body(g, out);
	cache_entry_release(g);
	cache_put(c, b);          /* evicts /a */
	cache_entry_release(b);
	cache_free(c);            /* the store is gone; out still holds /a */
	cr_assert_eq(evbuffer_get_length(out), 100);
	evbuffer_remove(out, buf, sizeof(buf));
	cr_expect_eq(buf[0], 'x');
	cr_expect_eq(buf[99], 'x');
	evbuffer_free(out);       /* last reference: ASan checks the free */
}

Test(cache, large_body_in_a_memfd_outlives_its_entry)
{
	struct cache *c = make_cache(1, 1 << 22);
	struct cache_entry *a = make("/a", 100000, 1000), *b = make("/b", 10, 1000), *g;
	struct evbuffer *out = evbuffer_new();
	char *buf = malloc(100000);

	cache_put(c, a);
	cache_entry_release(a);
	g = cache_get(c, "/a", 2);
	cache_entry_add_body(g, out);
	cache_entry_add_body(g, out);    /* two responses share the segment */
	cache_entry_release(g);
	cache_put(c, b);                 /* evicts /a */
	cache_entry_release(b);
	cache_free(c);
	cr_assert_eq(evbuffer_get_length(out), 200000);
	cr_assert_eq(evbuffer_remove(out, buf, 100000), 100000);
	cr_expect_eq(buf[0], 'x');
	cr_expect_eq(buf[99999], 'x');
	evbuffer_free(out);
	free(buf);
}

Test(cache, invalidate_prefix_on_segment_boundary)
{
	struct cache *c = make_cache(100, 1 << 20);
	const char *keys[] = { "/repos/o/r/issues/5", "/repos/o/r/issues/5/comments",
		"/repos/o/r/issues/5?x=1\naccept", "/repos/o/r/issues/50", "/repos/o/r/issues" };

	for (size_t i = 0; i < 5; i++) {
		struct cache_entry *e = make(keys[i], 1, 1000);
		cache_put(c, e);
		cache_entry_release(e);
	}
	cr_expect_eq(cache_invalidate_prefix(c, "/repos/o/r/issues/5"), 3);
	cr_expect(present(c, "/repos/o/r/issues/50"));
	cr_expect(present(c, "/repos/o/r/issues"));
	cache_free(c);
}

Test(cache, freshness_and_renew)
{
	struct cache_entry *e = make("/a", 1, 0);
	int64_t now = util_mono_ms();

	cr_expect_not(cache_entry_fresh(e, now), "ttl 0 is stale at once");
	cache_entry_renew(e, 60000);
	now = util_mono_ms();
	cr_expect(cache_entry_fresh(e, now));
	cr_expect_not(cache_entry_fresh(e, now + 60001));
	cr_expect_leq(cache_entry_age_ms(e, now), 1);
	cache_entry_release(e);
}
