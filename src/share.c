/*
 * share.c - budgets shared between replicas through Redis.
 *
 * Keys (under the prefix server gives: the configured one, then 8 hex of
 * the upstream URL's SHA-256, since two GitHubs may have identities with
 * the same ids):
 *   b:<identity>        hash: bucket -> "limit remaining reset used observed_ms",
 *                       merged by a script with the pool's own rule (a
 *                       later reset wins; within one window the lower
 *                       remaining, since GitHub's only goes down)
 *   f:<replica>         hash: "<identity> <bucket>" -> reads in flight,
 *                       replaced whole by its replica every second and
 *                       expiring with it, so a lost command or a crash
 *                       costs at most a few seconds of a wrong count
 *   replicas            sorted set: replica -> last refresh (ms)
 *
 * Writes are fire-and-forget on the worker's link. The refresh is one
 * round of commands a second on one worker; a round Redis does not answer
 * whole changes nothing. Identity ids must agree between replicas (they
 * share a configuration); each replica maps them to its own pool slots.
 */
#include "share.h"
#include "log.h"
#include "pool.h"
#include "redis.h"
#include "util.h"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SHARE_REFRESH_MS 1000
/* A replica unseen for this long is gone: its reservations no longer count. */
#define SHARE_REPLICA_TTL_MS 3000
/* Budgets outlive GitHub's hourly window, then expire unused. */
#define SHARE_BUDGET_TTL_MS 7200000
/* Forgotten members of the replica set are dropped after this. */
#define SHARE_REPLICA_FORGET_MS 60000
/* Bounds on what a round reads back: never trust Redis's sizes. */
#define SHARE_MAX_REPLICAS 64
#define SHARE_MAX_FIELDS 512

/* Newer observations win, by the pool's rule; "used" and the time ride along. */
static const char share_observe_lua[] =
    "local cur = redis.call('HGET', KEYS[1], ARGV[1])\n"
    "if cur then\n"
    "  local l, r, rs = string.match(cur, '^(%d+) (%d+) (%d+)')\n"
    "  r = tonumber(r); rs = tonumber(rs)\n"
    "  local nr, nrs = tonumber(ARGV[3]), tonumber(ARGV[4])\n"
    "  if rs and (nrs < rs or (nrs == rs and nr >= r)) then return 0 end\n"
    "end\n"
    "redis.call('HSET', KEYS[1], ARGV[1], ARGV[2] .. ' ' .. ARGV[3] .. ' ' .. ARGV[4] .. ' ' .. ARGV[5] .. ' ' .. ARGV[6])\n"
    "redis.call('PEXPIRE', KEYS[1], ARGV[7])\n"
    "return 1\n";

struct share_round;

struct share {
	struct redis *link;
	struct pool *pool;
	char *prefix;
	char *replica;
	char *inflight_key;           /* <prefix>f:<replica> */
	struct event *tick;           /* NULL unless this worker refreshes */
	struct share_round *round;    /* the refresh in progress, if any */
	atomic_uint_least64_t refreshes, refresh_failures;
	atomic_int_least64_t replicas;
};

/* One refresh: its commands' answers gather here until the last arrives. */
struct share_round {
	struct share *s;              /* NULL once the share is freed */
	int pending;
	bool failed;
	bool listed;                  /* the replica list came back */
	int64_t replicas;
	/* Summed reservations of the other replicas. */
	struct share_sum {
		int identity;
		char bucket[32];
		int64_t n;
	} *sums;
	size_t n_sums, cap_sums;
};

/* ------------------------------------------------------------------------
 * Writes from the request path
 * ---------------------------------------------------------------------- */

static bool
share_command(struct share *s, redis_reply_cb cb, void *arg, int argc, const char **argv)
{
	return redis_command(s->link, cb, arg, argc, argv, NULL);
}

void
share_observe(struct share *s, int i, const char *bucket, const struct pool_limits *l)
{
	char key[256], lim[24], rem[24], reset[24], used[24], now[24], ttl[24];
	const char *argv[] = {
		"EVAL", share_observe_lua, "1", key, bucket, lim, rem, reset, used, now, ttl,
	};

	if (s == NULL || bucket == NULL || !pool_bucket_name(bucket))
		return;
	snprintf(key, sizeof(key), "%sb:%s", s->prefix, pool_id(s->pool, i));
	snprintf(lim, sizeof(lim), "%lld", (long long)l->limit);
	snprintf(rem, sizeof(rem), "%lld", (long long)l->remaining);
	snprintf(reset, sizeof(reset), "%lld", (long long)l->reset);
	snprintf(used, sizeof(used), "%lld", (long long)l->used);
	snprintf(now, sizeof(now), "%lld", (long long)util_now() * 1000);
	snprintf(ttl, sizeof(ttl), "%d", SHARE_BUDGET_TTL_MS);
	(void)share_command(s, NULL, NULL, (int)(sizeof(argv) / sizeof(argv[0])), argv);
}

/* ------------------------------------------------------------------------
 * The refresh
 * ---------------------------------------------------------------------- */

static void
share_round_free(struct share_round *r)
{
	free(r->sums);
	free(r);
}

/* The round's last answer is in: apply it whole, or nothing. */
static void
share_round_done(struct share_round *r)
{
	struct share *s = r->s;

	if (s == NULL) {
		share_round_free(r);
		return;
	}
	s->round = NULL;
	if (r->failed || !r->listed) {
		atomic_fetch_add(&s->refresh_failures, 1);
		share_round_free(r);
		return;
	}
	pool_clear_remote(s->pool);
	for (size_t k = 0; k < r->n_sums; k++)
		if (r->sums[k].n > 0)
			pool_set_remote(s->pool, r->sums[k].identity, r->sums[k].bucket, r->sums[k].n);
	atomic_store(&s->replicas, r->replicas);
	atomic_fetch_add(&s->refreshes, 1);
	share_round_free(r);
}

static void
share_round_answered(struct share_round *r, redisReply *reply)
{
	if (reply == NULL || reply->type == REDIS_REPLY_ERROR)
		r->failed = true;
	if (--r->pending == 0)
		share_round_done(r);
}

/* One command of a round, and which identity it asks about (-1: none). */
struct share_cmd {
	struct share_round *r;
	int identity;
};

static bool
share_round_send(struct share_round *r, redis_reply_cb cb, int identity, int argc,
    const char **argv)
{
	struct share_cmd *c = util_calloc(1, sizeof(*c));

	c->r = r;
	c->identity = identity;
	if (r->s == NULL || !share_command(r->s, cb, c, argc, argv)) {
		free(c);
		r->failed = true;
		return false;
	}
	r->pending++;
	return true;
}

static bool
share_i64(const char *s, size_t n, int64_t *out)
{
	return util_parse_i64(s, n, 0, INT64_C(1) << 40, out) == 0;
}

/* Reads "n1 n2 ... nk" (bounded, non-negative); false on anything else. */
static bool
share_numbers(const char *p, int64_t *n, int k)
{
	for (int j = 0; j < k; j++) {
		size_t len = strcspn(p, " ");

		if (!share_i64(p, len, &n[j]))
			return false;
		p += len;
		if (*p == ' ')
			p++;
	}
	return true;
}

/*
 * The fields of a hash a round asked for (HGETALL), each a string pair,
 * handed to each(); a reply of another shape, or too large, is skipped.
 * Then the command is done with.
 */
static void
share_each_field(struct share_cmd *c, redisReply *reply,
    void (*each)(struct share_cmd *c, const redisReply *f, const redisReply *v))
{
	struct share_round *r = c->r;

	if (reply != NULL && reply->type == REDIS_REPLY_ARRAY && r->s != NULL &&
	    reply->elements <= 2 * SHARE_MAX_FIELDS)
		for (size_t k = 0; k + 1 < reply->elements; k += 2)
			if (reply->element[k]->type == REDIS_REPLY_STRING &&
			    reply->element[k + 1]->type == REDIS_REPLY_STRING)
				each(c, reply->element[k], reply->element[k + 1]);
	free(c);
	share_round_answered(r, reply);
}

/* bucket -> "limit remaining reset used observed": merged into the pool
 * by its own newer-wins rule. */
static void
share_budget_field(struct share_cmd *c, const redisReply *f, const redisReply *v)
{
	struct pool_limits l;
	int64_t n[4];

	if (!pool_bucket_name(f->str) || !share_numbers(v->str, n, 4))
		return;
	l = (struct pool_limits){ .limit = n[0], .remaining = n[1], .reset = n[2], .used = n[3] };
	pool_observe(c->r->s->pool, c->identity, f->str, &l);
}

/* An identity's budgets as the replicas together know them. */
static void
share_on_budgets(redisReply *reply, void *arg)
{
	share_each_field(arg, reply, share_budget_field);
}

static void
share_add_sum(struct share_round *r, int identity, const char *bucket, int64_t n)
{
	struct share_sum *e = NULL;

	for (size_t k = 0; k < r->n_sums && e == NULL; k++)
		if (r->sums[k].identity == identity && strcmp(r->sums[k].bucket, bucket) == 0)
			e = &r->sums[k];
	if (e == NULL) {
		if (r->n_sums == SHARE_MAX_FIELDS)
			return;
		if (r->n_sums == r->cap_sums) {
			r->cap_sums = r->cap_sums ? 2 * r->cap_sums : 16;
			r->sums = realloc(r->sums, r->cap_sums * sizeof(*r->sums));
			if (r->sums == NULL)
				abort();
		}
		e = &r->sums[r->n_sums++];
		e->identity = identity;
		snprintf(e->bucket, sizeof(e->bucket), "%s", bucket);
		e->n = 0;
	}
	e->n += n;
}

/* "<identity> <bucket>" -> reads in flight; anything else teaches nothing. */
static void
share_inflight_field(struct share_cmd *c, const redisReply *f, const redisReply *v)
{
	struct share_round *r = c->r;
	const char *sp = strchr(f->str, ' ');
	char id[80];
	int64_t n;
	int i;

	if (sp == NULL || (size_t)(sp - f->str) >= sizeof(id) || !pool_bucket_name(sp + 1) ||
	    strlen(sp + 1) >= sizeof(r->sums->bucket) ||
	    util_parse_i64(v->str, v->len, 0, INT32_MAX, &n) < 0 || n == 0)
		return;
	snprintf(id, sizeof(id), "%.*s", (int)(sp - f->str), f->str);
	if ((i = pool_find(r->s->pool, id)) >= 0)
		share_add_sum(r, i, sp + 1, n);
}

/* Another replica's reads in flight. */
static void
share_on_inflight(redisReply *reply, void *arg)
{
	share_each_field(arg, reply, share_inflight_field);
}

/* The replicas alive: ask each other one for its reservations. */
static void
share_on_replicas(redisReply *reply, void *arg)
{
	struct share_cmd *c = arg;
	struct share_round *r = c->r;

	if (reply != NULL && reply->type == REDIS_REPLY_ARRAY && r->s != NULL) {
		r->listed = true;
		for (size_t k = 0; k < reply->elements && k < SHARE_MAX_REPLICAS; k++) {
			redisReply *e = reply->element[k];
			char key[256];
			const char *argv[] = { "HGETALL", key };

			if (e->type != REDIS_REPLY_STRING)
				continue;
			r->replicas++;
			if (strcmp(e->str, r->s->replica) == 0)
				continue;
			snprintf(key, sizeof(key), "%sf:%s", r->s->prefix, e->str);
			(void)share_round_send(r, share_on_inflight, -1, 2, argv);
		}
	}
	free(c);
	share_round_answered(r, reply);
}

/*
 * Our reads in flight, whole: the hash is replaced every second rather
 * than counted up and down per read, so nothing a lost command would have
 * changed outlives the next second.
 */
static void
share_publish_flights(struct share *s)
{
	struct pool_flight f[SHARE_MAX_FIELDS / 2];
	size_t n = pool_in_flight(s->pool, f, sizeof(f) / sizeof(f[0]));
	const char *del[] = { "DEL", s->inflight_key };
	const char **argv = util_calloc(2 + 2 * n, sizeof(*argv));
	char (*fields)[160] = util_calloc(n ? n : 1, sizeof(*fields));
	char (*counts)[24] = util_calloc(n ? n : 1, sizeof(*counts));

	(void)share_command(s, NULL, NULL, 2, del);
	argv[0] = "HSET";
	argv[1] = s->inflight_key;
	for (size_t k = 0; k < n; k++) {
		snprintf(fields[k], sizeof(fields[k]), "%s %s", pool_id(s->pool, f[k].identity),
		    f[k].bucket);
		snprintf(counts[k], sizeof(counts[k]), "%lld", (long long)f[k].n);
		argv[2 + 2 * k] = fields[k];
		argv[3 + 2 * k] = counts[k];
	}
	if (n > 0)
		(void)share_command(s, NULL, NULL, (int)(2 + 2 * n), argv);
	free(argv);
	free(fields);
	free(counts);
}

/* Every second: say we are alive, keep our reservations alive, read all. */
static void
share_on_tick(evutil_socket_t fd, short what, void *arg)
{
	struct share *s = arg;
	struct share_round *r;
	char set[256], key[256], now[24], since[24], forget[24], ttl[24];
	const char *zadd[] = { "ZADD", set, now, s->replica };
	const char *keep[] = { "PEXPIRE", s->inflight_key, ttl };
	const char *trim[] = { "ZREMRANGEBYSCORE", set, "-inf", forget };
	const char *list[] = { "ZRANGEBYSCORE", set, since, "+inf" };
	const char *budgets[] = { "HGETALL", key };
	int64_t ms = util_now() * 1000;

	(void)fd;
	(void)what;
	/* A round still waiting means a slow Redis: the link's deadline ends it. */
	if (s->round != NULL || !redis_up(s->link))
		return;
	snprintf(set, sizeof(set), "%sreplicas", s->prefix);
	snprintf(now, sizeof(now), "%lld", (long long)ms);
	snprintf(since, sizeof(since), "%lld", (long long)(ms - SHARE_REPLICA_TTL_MS));
	snprintf(forget, sizeof(forget), "%lld", (long long)(ms - SHARE_REPLICA_FORGET_MS));
	snprintf(ttl, sizeof(ttl), "%d", SHARE_REPLICA_TTL_MS);
	(void)share_command(s, NULL, NULL, 4, zadd);
	share_publish_flights(s);
	(void)share_command(s, NULL, NULL, 3, keep);
	(void)share_command(s, NULL, NULL, 4, trim);

	r = util_calloc(1, sizeof(*r));
	r->s = s;
	s->round = r;
	/* The round stays open until every command of it is sent. */
	r->pending = 1;
	(void)share_round_send(r, share_on_replicas, -1, 4, list);
	for (size_t i = 0; i < pool_size(s->pool); i++) {
		if (pool_state_of(s->pool, (int)i) == POOL_REMOVED)
			continue;
		snprintf(key, sizeof(key), "%sb:%s", s->prefix, pool_id(s->pool, (int)i));
		(void)share_round_send(r, share_on_budgets, (int)i, 2, budgets);
	}
	if (--r->pending == 0)
		share_round_done(r);
}

/* ------------------------------------------------------------------------
 * Lifecycle
 * ---------------------------------------------------------------------- */

struct share *
share_new(struct redis *link, struct pool *pool, const char *prefix, const char *replica,
    struct event_base *base)
{
	struct share *s = util_calloc(1, sizeof(*s));
	struct timeval every = { SHARE_REFRESH_MS / 1000, (SHARE_REFRESH_MS % 1000) * 1000 };

	s->link = link;
	s->pool = pool;
	s->prefix = util_strdup(prefix);
	s->replica = util_strdup(replica);
	s->inflight_key = util_printf("%sf:%s", prefix, replica);
	if (base != NULL) {
		s->tick = event_new(base, -1, EV_PERSIST, share_on_tick, s);
		if (s->tick == NULL || event_add(s->tick, &every) < 0)
			abort();
	}
	return s;
}

void
share_free(struct share *s)
{
	if (s == NULL)
		return;
	if (s->tick != NULL)
		event_free(s->tick);
	/* A round in flight ends when the link answers or is freed. */
	if (s->round != NULL)
		s->round->s = NULL;
	free(s->prefix);
	free(s->replica);
	free(s->inflight_key);
	free(s);
}

void
share_stats(const struct share *s, struct share_stats *out)
{
	memset(out, 0, sizeof(*out));
	if (s == NULL)
		return;
	out->refreshes = atomic_load(&s->refreshes);
	out->refresh_failures = atomic_load(&s->refresh_failures);
	out->replicas = atomic_load(&s->replicas);
}
