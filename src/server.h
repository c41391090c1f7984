/*
 * server: the worker threads. Each worker has its own event_base, its own
 * evhttp on its own listening socket (SO_REUSEPORT, so the kernel spreads
 * connections), and its own upstream. Requests are routed to mgmt or
 * proxy; nothing is shared between workers but what those modules share.
 */
#ifndef GHPOOL_SERVER_H
#define GHPOOL_SERVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <jansson.h>

struct config;
struct proxy;
struct mgmt;
struct server;

/* Binds every worker's socket now, so address errors surface at start. */
struct pool;
/* pool: for the budgets replicas share with [cache] backend = "redis". */
struct server *server_new(const struct config *cfg, struct proxy *px,
    struct mgmt *m, struct pool *pool, char *err, size_t errlen);

/* The bound port (useful when the configured port is 0). */
int server_port(const struct server *s);

/* Starts the workers; returns at once. */
int server_start(struct server *s);

/*
 * Graceful shutdown, step one: every worker stops accepting, answers the
 * requests it has (and any that arrive on open connections, each with
 * Connection: close), and leaves its loop once none is left, or after
 * grace_ms, when what is still pending gets an error answer. /readyz says
 * 503 from now on. Returns at once; thread-safe.
 */
void server_drain(struct server *s, int64_t grace_ms);

/* The "redis" section of /stats: the links' state and the L2 and shared
 * budget counters, summed over workers; {"backend":"memory"} without. */
json_t *server_redis_stats(struct server *s);

/* True once every worker has left its loop (after server_drain). */
bool server_drained(struct server *s);

/* Asks every worker to stop now and waits for them: requests still
 * pending get an error answer. Thread-safe. */
void server_stop(struct server *s);

void server_free(struct server *s);

#endif
