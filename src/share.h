/*
 * share: the pool's budgets as every replica sees them, through Redis. A
 * worker records what each upstream answer said of its identity's bucket
 * (a newer observation wins: a later reset, or a lower remaining within
 * one window); once a second one worker per replica publishes its reads
 * in flight and reads everybody's back into its pool. Nothing here waits:
 * without Redis the pool keeps its own view.
 */
#ifndef GHPOOL_SHARE_H
#define GHPOOL_SHARE_H

#include <event2/event.h>
#include <stdint.h>

struct pool;
struct pool_limits;
struct redis;
struct share;

/*
 * link: the worker's Redis link (borrowed; free the share first). prefix:
 * of every key. replica: this process's name among the replicas. base
 * non-NULL: this worker refreshes the pool from Redis every second.
 */
struct share *share_new(struct redis *link, struct pool *pool, const char *prefix,
    const char *replica, struct event_base *base);
void share_free(struct share *s);

/* What an upstream answer said of identity i's bucket. */
void share_observe(struct share *s, int i, const char *bucket, const struct pool_limits *l);

struct share_stats {
	uint64_t refreshes;          /* rounds that read every replica's state */
	uint64_t refresh_failures;   /* rounds Redis did not answer whole */
	int64_t replicas;            /* replicas seen in the last round, us included */
};

/* Any thread. */
void share_stats(const struct share *s, struct share_stats *out);

#endif
