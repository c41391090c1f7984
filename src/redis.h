/*
 * redis: one Redis link per worker that never makes a request wait. A
 * command gets an answer or a NULL within its deadline; a link that is
 * down, slow or refusing refuses commands at once and reconnects by itself
 * in the background, so callers serve from L1 and the upstream meanwhile.
 * Also a pub/sub subscription on a second connection, resubscribed after
 * every reconnect. One struct redis per worker, used only on its loop.
 */
#ifndef GHPOOL_REDIS_H
#define GHPOOL_REDIS_H

#include <event2/event.h>
#include <hiredis/hiredis.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ------------------------------------------------------------------------
 * URLs: redis://[[user]:password@]host[:port][/db]
 * ---------------------------------------------------------------------- */

struct redis_url {
	char *host;          /* a name, an IPv4 address, or an IPv6 one without brackets */
	int port;            /* 1-65535; 6379 when absent */
	char *user;          /* ACL user (Redis 6+), or NULL */
	char *password;      /* NULL when none; percent-decoded */
	int db;              /* 0 when absent */
};

/*
 * Strict: the scheme (redis://, any case), percent-escapes in the user and
 * password, the port (1-65535) and the database (0-2147483647) are checked;
 * query strings, fragments, spaces and control characters are refused, and
 * so is rediss:// (hiredis 0.14 has no TLS). Returns 0, or -1 with a
 * message in err that never quotes the password. out is zeroed on error.
 */
int redis_url_parse(const char *url, struct redis_url *out, char *err, size_t errlen);
/* Wipes the password, frees the strings; NULL and zeroed structs are fine. */
void redis_url_free(struct redis_url *u);

/* ------------------------------------------------------------------------
 * The link
 * ---------------------------------------------------------------------- */

struct redis;

struct redis_options {
	const struct redis_url *url;   /* copied */
	const char *name;              /* for logs ("l2"); copied; NULL: "redis" */
	int64_t timeout_ms;            /* per command; 0: 50 */
	int64_t connect_timeout_ms;    /* resolve + connect + AUTH/SELECT; 0: 200 */
	int64_t backoff_min_ms;        /* first retry after a failure; 0: 100 */
	int64_t backoff_max_ms;        /* doubling up to this; 0: 5000 */
};

/*
 * Starts connecting in the background on base and returns at once: names
 * are resolved asynchronously (evdns), never with a blocking getaddrinfo.
 * NULL only when o or o->url is NULL. The process must ignore SIGPIPE (as
 * main() does): hiredis writes to its sockets with write(2).
 */
struct redis *redis_new(struct event_base *base, const struct redis_options *o);

/*
 * Closes both connections. Every command still waiting gets its callback,
 * once, with NULL, before this returns. Must not be called from inside one
 * of this module's callbacks (it aborts: hiredis would still be running on
 * the connection being freed). Resolutions in flight are cancelled and
 * finish on a later turn of base's loop.
 */
void redis_free(struct redis *r);

/*
 * reply: Redis's answer (an error reply included, type REDIS_REPLY_ERROR),
 * valid only during the call; NULL when there was none: no answer within
 * timeout_ms, the link was lost, or redis_free.
 */
typedef void (*redis_reply_cb)(redisReply *reply, void *arg);

/*
 * Sends argv (binary-safe; argvlen NULL means strlen of each). Returns
 * false at once when the link is not up or the command would change the
 * link's own state (SUBSCRIBE and its kin, MONITOR, SELECT, AUTH, HELLO,
 * RESET): cb is then never called. Otherwise cb (may be NULL) is called
 * exactly once, on this loop, within timeout_ms plus loop latency. A
 * command left unanswered past timeout_ms gets NULL, and the connection is
 * dropped and reopened (its late answer is never read): Redis answers in
 * order, so every command queued behind it would be as late.
 */
bool redis_command(struct redis *r, redis_reply_cb cb, void *arg,
    int argc, const char **argv, const size_t *argvlen);

/* Whether commands are being accepted now. Any thread. */
bool redis_up(const struct redis *r);

/*
 * For shutdown: meant to be called right before redis_free, so that
 * fire-and-forget commands queued just before (lock releases, publishes),
 * which hiredis only writes on a later turn of the loop, reach Redis
 * instead of being dropped with the connection. Writes whatever the command
 * link has queued to its socket, synchronously, blocking at most
 * timeout_ms in all (0: only what the socket takes at once); replies are
 * not read (redis_free then gives the callbacks of commands still waiting
 * their NULL). Does nothing when r is NULL or the link is not up. A write
 * that fails ends the flush; the link's loss is then seen as any other, on
 * the loop's next turn. Never calls a callback. On the loop's thread only.
 */
void redis_flush(struct redis *r, int64_t timeout_ms);

/*
 * msg, len: one message published on the channel, valid during the call.
 * msg NULL (len 0): the subscription is back after its connection was lost;
 * messages published meanwhile were missed.
 */
typedef void (*redis_message_cb)(const char *msg, size_t len, void *arg);

/*
 * Subscribes on the pub/sub connection, opened by the first subscription.
 * Several callbacks may share a channel. Kept until redis_free, and
 * resubscribed after every reconnect. Returns 0, or -1 for an empty
 * channel, a NULL cb, or after redis_free started. A SUBSCRIBE the server
 * refuses (an ACL user without the channel: NOPERM) is a configuration
 * problem, not an outage: logged once per name at ERROR, and retried with
 * the backoff (an INFO once it is accepted); the command link is not
 * affected.
 */
int redis_subscribe(struct redis *r, const char *channel, redis_message_cb cb, void *arg);

struct redis_stats {
	bool up;                       /* the command link accepts commands */
	bool pubsub_up;                /* every subscription is confirmed (false with none) */
	uint64_t commands;             /* sent: redis_command returned true */
	uint64_t refused;              /* redis_command returned false */
	uint64_t timeouts;             /* callbacks with NULL: no answer in time */
	uint64_t failures;             /* callbacks with NULL: link lost or freed */
	uint64_t connects;             /* connection attempts, both connections */
	uint64_t connect_failures;     /* attempts that never came up */
	uint64_t reconnects;           /* the command link came back after being down */
	uint64_t messages;             /* pub/sub messages delivered (per callback) */
	uint64_t subscribe_refusals;   /* SUBSCRIBEs the server answered with an error */
	int64_t down_ms;               /* how long the command link has been down; 0 while up */
};

/* Any thread: each field is read atomically (not all at one instant). */
void redis_stats(const struct redis *r, struct redis_stats *out);

#endif
