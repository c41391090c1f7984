/*
 * pool: the pooled identities and what GitHub has told us of their rate
 * limits, per bucket. Chooses the identity with the most budget for each
 * read and learns from every answer. Thread-safe: all workers share one.
 * Tokens leave this module only through pool_authorization(), for the upstream
 * Authorization header.
 */
#ifndef GHPOOL_POOL_H
#define GHPOOL_POOL_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct config;
struct pool;

enum pool_state { POOL_ACTIVE, POOL_COOLING, POOL_DISABLED, POOL_REMOVED };

enum pool_pick_result {
	POOL_PICKED,      /* out->index is set; pool_release() it later */
	POOL_NO_IDENTITY,        /* no identity is active at all */
	POOL_ALL_EXHAUSTED,   /* every active identity is out of this bucket */
	POOL_ALL_COOLING, /* every identity with budget is cooling down */
};

struct pool_pick {
	int index;
	int64_t retry_at;     /* EXHAUSTED: earliest reset; COOLING: earliest end */
};

/* A bucket's limits as reported by GitHub's x-ratelimit-* headers. */
struct pool_limits {
	int64_t limit, remaining, used, reset;
};

struct pool *pool_new(const struct config *cfg);
void pool_free(struct pool *p);

/* Slots ever filled, removed identities included: valid indices. */
size_t pool_size(struct pool *p);
const char *pool_id(const struct pool *p, int i);
/* "Authorization: Bearer <token>" for identity i (malloc'd; wipe it):
 * a copy, since a reload may rotate the token meanwhile. */
char *pool_authorization(struct pool *p, int i, uint64_t *token_gen);
/* Which of identity i's tokens is current: a number bumped by each new one. */
uint64_t pool_token_gen(struct pool *p, int i);

/* [pool] reserve, changed by a reload. */
void pool_set_reserve(struct pool *p, int64_t reserve);

/* The slot of a configured (not removed) id, or -1. */
int pool_find(struct pool *p, const char *id);

/* A GitHub App identity's token and its expiry (epoch seconds), after a
 * refresh; budgets and counters stay. */
void pool_set_token(struct pool *p, int i, const char *token, int64_t expires_at);
/* The token's expiry, and when it was set (*set_at). */
int64_t pool_token_expires_at(struct pool *p, int i, int64_t *set_at);
/* A GitHub App identity's installation id; 0 for a token identity. */
int64_t pool_installation(struct pool *p, int i);

/*
 * Applies a reloaded configuration: identities with the same id keep their
 * budgets and counters and take the new token; new ids get new slots
 * (*dropped counts those past the spare capacity); ids no longer
 * configured are removed, never picked again. The indices whose token is
 * new (to probe) go into changed; returns how many.
 */
size_t pool_reconcile(struct pool *p, const struct config *cfg, int *changed,
    size_t max_changed, size_t *dropped);
enum pool_state pool_state_of(struct pool *p, int i);

/* Records the identity's GitHub login. Identities with the same login
 * draw on one budget from then on; returns the id already holding that
 * login (for a warning), or NULL. */
const char *pool_set_login(struct pool *p, int i, const char *login);

/* Learns a bucket's limits from an answer fetched with identity i. */
void pool_observe(struct pool *p, int i, const char *bucket,
    const struct pool_limits *l);

/*
 * The same, from an answer's raw x-ratelimit-{limit,remaining,used,reset,
 * resource} values (any may be NULL). Numbers are parsed with bounds; a
 * missing or malformed limit, remaining or reset teaches nothing (NULL).
 * Without a usable resource the answer counts for fallback. Returns the
 * bucket it learned about (resource or fallback), with the limits in
 * *learned (may be NULL), for other replicas to hear of.
 */
const char *pool_observe_headers(struct pool *p, int i, const char *fallback,
    const char *limit, const char *remaining, const char *used,
    const char *reset, const char *resource, struct pool_limits *learned);

/* Whether name looks like a GitHub bucket name (lower case, digits, '_'). */
bool pool_bucket_name(const char *name);

/*
 * Other replicas' reads in flight against identity i's bucket, counted
 * against its budget like our own (shared budgets): set per bucket, and
 * all cleared before each refresh.
 */
void pool_set_remote(struct pool *p, int i, const char *bucket, int64_t in_flight);
void pool_clear_remote(struct pool *p);

/* This process's reads in flight, per identity (a budget's first) and
 * bucket, for the other replicas: up to max of them; returns how many. */
struct pool_flight {
	int identity;
	char bucket[32];
	int64_t n;
};
size_t pool_in_flight(struct pool *p, struct pool_flight *out, size_t max);

/* Marks identity i's bucket spent (GitHub said so in a body, not in
 * headers); without a known reset it refills after window_secs. */
void pool_exhaust(struct pool *p, int i, const char *bucket, int64_t window_secs);

/* Disables identity i if token_gen (from pool_authorization) is still its
 * token: GitHub's verdict on a rotated-away token is no verdict on it. */
void pool_disable(struct pool *p, int i, uint64_t token_gen);
/* Cools down identity i's whole budget (every token of its login). */
void pool_cooldown(struct pool *p, int i, int64_t secs);
void pool_count_error(struct pool *p, int i);

/* Chooses an identity for a read in bucket, never one sharing a budget
 * with `exclude` (-1: none). */
enum pool_pick_result pool_acquire(struct pool *p, const char *bucket,
    int exclude, struct pool_pick *out);
/* Ends a read in bucket: status is what GitHub answered (0: nothing came
 * back; -1: nothing was sent), tallied per identity and bucket for /stats. */
void pool_release(struct pool *p, int i, const char *bucket, long status);

/* Takes identity i itself for a revalidation in bucket, if it is active
 * and has any budget left: the identity holding the ETag is the only one
 * whose 304 is free, so its reserve is not held back from it. */
bool pool_acquire_one(struct pool *p, int i, const char *bucket);

/* The pool's combined usable budget for a bucket, for the client's
 * headers; false while no identity has reported that bucket. */
bool pool_summary(struct pool *p, const char *bucket, struct pool_limits *out);

/* Number of identities currently active (not disabled, not cooling). */
size_t pool_usable(struct pool *p);

/*
 * GitHub's GET /rate_limit answer as the pool sees it: per bucket, the
 * limits and remaining of every usable identity added up (a shared budget
 * once), and the earliest reset among them.
 */
json_t *pool_rate_limit(struct pool *p);

/* {"identities": [...]} for /stats; never contains a token. */
json_t *pool_stats(struct pool *p);

#endif
