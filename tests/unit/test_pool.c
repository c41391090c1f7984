/*
 * test_pool.c - identity selection and rate-limit bookkeeping.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "config.h"
#include "pool.h"
#include "util.h"
#include "leakcheck.h"

static struct pool *
make_pool(size_t n, int64_t reserve)
{
	static char *ids[] = { "a", "b", "c", "d" };
	static char *toks[] = { "ta", "tb", "tc", "td" };
	struct config_identity cid[4];
	struct config cfg;

	memset(&cfg, 0, sizeof(cfg));
	memset(cid, 0, sizeof(cid));
	for (size_t i = 0; i < n; i++) {
		cid[i].id = ids[i];
		cid[i].token = toks[i];
	}
	cfg.identities = cid;
	cfg.n_identities = n;
	cfg.pool_reserve = reserve;
	return pool_new(&cfg);
}

static void
set_bucket(struct pool *p, int i, const char *bucket, int64_t limit, int64_t remaining, int64_t reset)
{
	struct pool_limits l = { limit, remaining, limit - remaining, reset };
	pool_observe(p, i, bucket, &l);
}

static int
pick(struct pool *p, const char *bucket, int exclude)
{
	struct pool_pick pk;
	enum pool_pick_result r = pool_acquire(p, bucket, exclude, &pk);
	return r == POOL_PICKED ? pk.index : -(int)r;
}

Test(pool, picks_highest_remaining_per_bucket)
{
	struct pool *p = make_pool(3, 0);
	int64_t reset = util_now() + 3600;

	set_bucket(p, 0, "core", 5000, 100, reset);
	set_bucket(p, 1, "core", 5000, 4000, reset);
	set_bucket(p, 2, "core", 5000, 2000, reset);
	set_bucket(p, 0, "search", 30, 30, reset);
	set_bucket(p, 1, "search", 30, 1, reset);
	set_bucket(p, 2, "search", 30, 5, reset);
	cr_expect_eq(pick(p, "core", -1), 1);
	cr_expect_eq(pick(p, "search", -1), 0);
	cr_expect_eq(pick(p, "core", 1), 2, "exclusion honoured");
	pool_free(p);
}

Test(pool, in_flight_and_reserve_count_against_budget)
{
	struct pool *p = make_pool(2, 50);
	int64_t reset = util_now() + 3600;

	set_bucket(p, 0, "core", 5000, 60, reset);   /* 10 usable */
	set_bucket(p, 1, "core", 5000, 55, reset);   /* 5 usable */
	for (int i = 0; i < 10; i++)
		cr_expect_eq(pick(p, "core", -1), i < 5 ? 0 : (i % 2 ? 1 : 0),
		    "pick %d", i);
	/* 15 usable in all, 10 taken: five left, then exhausted. */
	for (int i = 0; i < 5; i++)
		cr_expect_geq(pick(p, "core", -1), 0);
	cr_expect_eq(pick(p, "core", -1), -(int)POOL_ALL_EXHAUSTED);
	pool_release(p, 0, "core", 200);
	cr_expect_eq(pick(p, "core", -1), 0);
	pool_free(p);
}

Test(pool, ties_go_to_fewer_requests)
{
	struct pool *p = make_pool(2, 0);
	int64_t reset = util_now() + 3600;

	set_bucket(p, 0, "core", 5000, 5000, reset);
	set_bucket(p, 1, "core", 5000, 5000, reset);
	int first = pick(p, "core", -1);
	pool_release(p, first, "core", 200);
	cr_expect_eq(pick(p, "core", -1), 1 - first);
	pool_free(p);
}

Test(pool, past_reset_counts_as_full)
{
	struct pool *p = make_pool(2, 0);

	set_bucket(p, 0, "core", 5000, 0, util_now() - 5);
	set_bucket(p, 1, "core", 5000, 100, util_now() + 3600);
	cr_expect_eq(pick(p, "core", -1), 0);
	pool_free(p);
}

Test(pool, exhausted_reports_earliest_reset)
{
	struct pool *p = make_pool(2, 0);
	struct pool_pick pk;
	int64_t now = util_now();

	set_bucket(p, 0, "core", 5000, 0, now + 100);
	set_bucket(p, 1, "core", 5000, 0, now + 50);
	cr_assert_eq(pool_acquire(p, "core", -1, &pk), POOL_ALL_EXHAUSTED);
	cr_expect_eq(pk.retry_at, now + 50);
	pool_free(p);
}

Test(pool, disabled_and_cooling)
{
	struct pool *p = make_pool(2, 0);
	struct pool_pick pk;
	int64_t reset = util_now() + 3600;

	set_bucket(p, 0, "core", 5000, 5000, reset);
	set_bucket(p, 1, "core", 5000, 10, reset);
	pool_cooldown(p, 0, 30);
	cr_expect_eq(pool_state_of(p, 0), POOL_COOLING);
	cr_expect_eq(pick(p, "core", -1), 1);
	pool_disable(p, 1, pool_token_gen(p, 1));
	cr_expect_eq(pool_state_of(p, 1), POOL_DISABLED);
	cr_assert_eq(pool_acquire(p, "core", -1, &pk), POOL_ALL_COOLING);
	cr_expect_geq(pk.retry_at, util_now() + 29);
	pool_disable(p, 0, pool_token_gen(p, 0));
	cr_expect_eq(pool_acquire(p, "core", -1, &pk), POOL_NO_IDENTITY);
	cr_expect_eq(pool_usable(p), 0);
	pool_free(p);
}

Test(pool, stale_answers_do_not_raise_remaining)
{
	struct pool *p = make_pool(1, 0);
	struct pool_limits s;
	int64_t reset = util_now() + 3600;

	set_bucket(p, 0, "core", 5000, 100, reset);
	set_bucket(p, 0, "core", 5000, 120, reset);       /* older answer */
	pool_summary(p, "core", &s);
	cr_expect_eq(s.remaining, 100);
	set_bucket(p, 0, "core", 5000, 4999, reset + 3600); /* new window */
	pool_summary(p, "core", &s);
	cr_expect_eq(s.remaining, 4999);
	pool_free(p);
}

Test(pool, same_login_shares_one_budget)
{
	struct pool *p = make_pool(3, 0);
	struct pool_limits s;
	int64_t reset = util_now() + 3600;

	cr_expect_null(pool_set_login(p, 0, "alice"));
	set_bucket(p, 0, "core", 5000, 3000, reset);
	cr_expect_str_eq(pool_set_login(p, 1, "ALICE"), "a");
	cr_expect_null(pool_set_login(p, 2, "bob"));
	set_bucket(p, 2, "core", 5000, 1000, reset);
	pool_summary(p, "core", &s);
	cr_expect_eq(s.limit, 10000, "alice counted once");
	cr_expect_eq(s.remaining, 4000);
	/* Reads through b spend alice's budget. */
	set_bucket(p, 1, "core", 5000, 2000, reset);
	pool_summary(p, "core", &s);
	cr_expect_eq(s.remaining, 3000);
	pool_free(p);
}

Test(pool, summary_sums_usable_and_earliest_reset)
{
	struct pool *p = make_pool(3, 100);
	struct pool_limits s;
	int64_t now = util_now();

	set_bucket(p, 0, "core", 5000, 1000, now + 300);
	set_bucket(p, 1, "core", 5000, 50, now + 200);
	set_bucket(p, 2, "core", 5000, 4000, now + 100);
	pool_disable(p, 2, pool_token_gen(p, 2));
	pool_summary(p, "core", &s);
	cr_expect_eq(s.limit, 10000);
	cr_expect_eq(s.remaining, 900);
	cr_expect_eq(s.reset, now + 200);
	pool_free(p);
}

Test(pool, stats_never_show_tokens)
{
	struct pool *p = make_pool(2, 0);
	json_t *st;
	char *text;

	set_bucket(p, 0, "core", 5000, 10, util_now() + 60);
	st = pool_stats(p);
	text = json_dumps(st, 0);
	cr_expect(strstr(text, "\"ta\"") == NULL && strstr(text, "\"tb\"") == NULL, "%s", text);
	cr_expect(strstr(text, "\"id\": \"a\"") != NULL, "%s", text);
	free(text);
	json_decref(st);
	pool_free(p);
}

/* A 401 that answers a token rotated away since must not disable the
 * identity, which holds a new token now. */
Test(pool, stale_token_verdict_is_ignored)
{
	struct pool *p = make_pool(1, 0);
	uint64_t old_gen;
	char *auth = pool_authorization(p, 0, &old_gen);

	free(auth);
	pool_set_token(p, 0, "tok_new", 0);
	cr_expect_neq(pool_token_gen(p, 0), old_gen);
	pool_disable(p, 0, old_gen);
	cr_expect_eq(pool_state_of(p, 0), POOL_ACTIVE);
	pool_disable(p, 0, pool_token_gen(p, 0));
	cr_expect_eq(pool_state_of(p, 0), POOL_DISABLED);
	pool_free(p);
}

/* Re-learning the same login changes nothing; a new login detaches the
 * identity from the budget it shared, which its sharers keep. */
Test(pool, login_changes_keep_shared_budgets)
{
	struct pool *p = make_pool(3, 0);
	struct pool_limits l = { 5000, 1234, 3766, util_now() + 3600 };

	pool_set_login(p, 0, "alice");
	cr_expect_str_eq(pool_set_login(p, 1, "alice"), "a");
	pool_observe(p, 1, "core", &l);
	/* the owner is probed again: the shared bucket survives */
	pool_set_login(p, 0, "alice");
	pool_set_login(p, 1, "ALICE");
	cr_expect_eq(pool_summary(p, "core", &l), true);
	cr_expect_eq(l.remaining, 1234);
	/* the owner's token now belongs to bob: alice's budget stays with 1 */
	pool_set_login(p, 0, "bob");
	cr_expect_eq(pool_summary(p, "core", &l), true);
	cr_expect_eq(l.remaining, 1234);     /* bob's budget is unknown yet */
	l = (struct pool_limits){ 5000, 4000, 1000, util_now() + 3600 };
	pool_observe(p, 0, "core", &l);
	cr_expect_eq(pool_summary(p, "core", &l), true);
	cr_expect_eq(l.remaining, 1234 + 4000);
	pool_free(p);
}

/* A bucket name that is not GitHub's shape falls back to the read's own
 * bucket: it would otherwise become a /stats key and a metrics label. */
Test(pool, odd_resource_names_fall_back)
{
	static const char *odd[] = { "we\"ird", "Core", "a b", "", "x\ny",
		"abcdefghijklmnopqrstuvwxyz0123456789" };
	struct pool *p = make_pool(1, 0);
	struct pool_limits l;
	json_t *st, *buckets;

	for (size_t k = 0; k < sizeof(odd) / sizeof(odd[0]); k++)
		pool_observe_headers(p, 0, "core", "100", "42", NULL, "4000000000", odd[k], NULL);
	pool_observe_headers(p, 0, "core", "30", "7", NULL, "4000000000", "code_search", NULL);
	st = pool_stats(p);
	buckets = json_object_get(json_array_get(json_object_get(st, "identities"), 0), "buckets");
	cr_expect_eq(json_object_size(buckets), 2, "only core and code_search");
	cr_expect(pool_summary(p, "core", &l) && l.remaining == 42);
	cr_expect(pool_summary(p, "code_search", &l) && l.remaining == 7);
	json_decref(st);
	pool_free(p);
}

/* Every upstream answer is tallied per identity, bucket and status class;
 * a reservation given back unsent is not. */
Test(pool, upstream_tally)
{
	struct pool *p = make_pool(2, 0);
	json_t *st, *up;
	struct pool_pick pk;

	for (int k = 0; k < 3; k++) {
		cr_assert_eq(pool_acquire(p, "core", -1, &pk), POOL_PICKED);
		pool_release(p, pk.index, "core", k == 2 ? 404 : 200);
	}
	cr_assert_eq(pool_acquire(p, "search", -1, &pk), POOL_PICKED);
	pool_release(p, pk.index, "search", 0);
	cr_assert_eq(pool_acquire(p, "search", -1, &pk), POOL_PICKED);
	pool_release(p, pk.index, "search", -1);
	st = pool_stats(p);
	json_int_t ok = 0, notfound = 0, none = 0;
	for (size_t i = 0; i < 2; i++) {
		up = json_object_get(json_array_get(json_object_get(st, "identities"), i), "upstream");
		ok += json_integer_value(json_object_get(json_object_get(up, "core"), "2xx"));
		notfound += json_integer_value(json_object_get(json_object_get(up, "core"), "4xx"));
		none += json_integer_value(json_object_get(json_object_get(up, "search"), "error"));
	}
	cr_expect_eq(ok, 2);
	cr_expect_eq(notfound, 1);
	cr_expect_eq(none, 1, "the unsent search read is not counted");
	json_decref(st);
	pool_free(p);
}

/* A hostile upstream naming a new bucket on every answer fills the tally
 * once; the rest is folded into "other". */
Test(pool, tally_is_bounded)
{
	struct pool *p = make_pool(1, 0);
	char name[16];
	json_t *st, *up;

	for (int k = 0; k < 100; k++) {
		snprintf(name, sizeof(name), "b%d", k);
		pool_release(p, 0, name, 200);
	}
	st = pool_stats(p);
	up = json_object_get(json_array_get(json_object_get(st, "identities"), 0), "upstream");
	cr_expect_leq(json_object_size(up), 24);
	cr_expect_eq(json_integer_value(json_object_get(json_object_get(up, "other"), "2xx")), 77);
	json_decref(st);
	pool_free(p);
}
