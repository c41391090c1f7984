/*
 * redisfix: what the unit tests of the Redis modules (test_redis.c,
 * test_l2.c) share: a redis-server child on a free port, blocking admin
 * commands to it, event loops driven in small turns with deadlines,
 * stderr capture, and a leak check per test.
 *
 * Each test that needs a server starts its own redis-server child (killed
 * by the suite's fini, and by the kernel should the test process die) and
 * runs its own loops with deadlines: nothing waits longer than the
 * behaviour under test needs. Under ASan every test ends with a leak check
 * of its own (finish), since Criterion counts a worker that leaked as
 * passing. Suites use fix_suite_init and fix_suite_fini.
 */
#ifndef GHPOOL_TEST_REDISFIX_H
#define GHPOOL_TEST_REDISFIX_H

#include <event2/event.h>
#include <hiredis/hiredis.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "util.h"

#ifndef REDIS_SERVER
#define REDIS_SERVER "/usr/bin/redis-server"
#endif

/* ------------------------------------------------------------------------
 * The server child
 * ---------------------------------------------------------------------- */

extern pid_t srv_pid;        /* -1: none */
extern int srv_port;         /* the last server's port (tests may set it for fakes) */
extern bool srv_stopped;     /* SIGSTOPped: fini sends SIGCONT before killing */

/* A loopback port nothing listens on now. */
int free_port(void);
bool port_accepts(int port);
/* Skips the test when redis-server is not installed. */
void need_server(void);
/* Starts redis-server on port (0: a free one) and waits until it accepts. */
void srv_start(int port, const char *password);
void srv_kill(void);
void srv_stop(void);
void srv_cont(void);
/* A blocking command on a connection of its own (hiredis format); caller frees. */
redisReply *admin(const char *password, const char *fmt, ...);

/* A socket listening on a free loopback port (srv_port) that never
 * accepts nor answers: a silent peer. The caller closes it. */
int listen_silent(void);
/* A fake server on base's loop, at srv_port: "+PONG" to each read (a
 * handshake's PING, then whatever comes), enough for a link to come up and
 * a command to be answered. Never freed: for tests that end in an abort. */
void fake_pong_start(void);

/* ------------------------------------------------------------------------
 * Loops, logs, leaks
 * ---------------------------------------------------------------------- */

extern struct event_base *base;    /* loop_new */
extern struct event_base *base2;   /* loop_new2: a second worker or replica; NULL if none */

/* A loop as a worker has it (server.c), with a 2 ms tick so each turn
 * returns soon enough to check a condition. */
void loop_new(void);
void loop_new2(void);
/* One turn of each loop. */
void loop_once(void);

#define RUN_UNTIL(cond, ms) do {                                        \
	int64_t end_ = util_mono_ms() + (ms);                           \
	while (!(cond) && util_mono_ms() < end_)                        \
		loop_once();                                            \
} while (0)

#define RUN_FOR(ms) RUN_UNTIL(false, ms)

/* stderr into an already unlinked file: nothing is left behind, however
 * the test ends. capture_stop restores it and returns what was logged
 * (caller frees). */
void capture_start(void);
char *capture_stop(void);
/* Occurrences of needle in hay. */
int count(const char *hay, const char *needle);

void fix_suite_init(void);
void fix_suite_fini(void);

/* Frees the loops and fails on anything unreachable (under LSan). */
void finish(void);

#endif
