/*
 * test_redis.c - unit tests of src/redis.c against a real redis-server:
 * URL parsing, round trips, deadlines, reconnects, AUTH, SELECT, pub/sub,
 * and teardown with work in flight.
 *
 * The harness (a redis-server child per test, loops driven with
 * deadlines, log capture, a leak check per test) is redisfix.c, shared
 * with test_l2.c.
 */
#include <criterion/criterion.h>
#include <event2/event.h>
#include <hiredis/hiredis.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "redis.h"
#include "redisfix.h"
#include "util.h"

TestSuite(redis, .init = fix_suite_init, .fini = fix_suite_fini);

/* ------------------------------------------------------------------------
 * Replies
 * ---------------------------------------------------------------------- */

struct got {
	int calls;
	bool null;
	int type;
	char str[256];
	size_t len;
	long long integer;
	int64_t at_ms;
};

static void
on_reply(redisReply *reply, void *arg)
{
	struct got *g = arg;

	g->calls++;
	g->at_ms = util_mono_ms();
	g->null = reply == NULL;
	if (reply == NULL)
		return;
	g->type = reply->type;
	g->integer = reply->integer;
	g->len = reply->len;
	if (reply->str != NULL)
		memcpy(g->str, reply->str, reply->len < sizeof(g->str) ? reply->len : sizeof(g->str));
}

static bool
cmd(struct redis *r, struct got *g, int argc, const char **argv, const size_t *lens)
{
	memset(g, 0, sizeof(*g));
	return redis_command(r, on_reply, g, argc, argv, lens);
}

/* Sends and waits for the answer. */
static void
cmd_wait(struct redis *r, struct got *g, int argc, const char **argv, const size_t *lens)
{
	cr_assert(cmd(r, g, argc, argv, lens), "%s refused", argv[0]);
	RUN_UNTIL(g->calls > 0, 3000);
	cr_assert_eq(g->calls, 1, "%s: no answer", argv[0]);
	cr_assert_not(g->null, "%s: NULL reply", argv[0]);
}

static struct redis *
open_redis_named(const char *url, const char *name, int64_t timeout_ms, int64_t connect_ms)
{
	struct redis_url u;
	char err[256];
	struct redis_options o;
	struct redis *r;

	cr_assert_eq(redis_url_parse(url, &u, err, sizeof(err)), 0, "%s: %s", url, err);
	memset(&o, 0, sizeof(o));
	o.url = &u;
	o.name = name;
	o.timeout_ms = timeout_ms;
	o.connect_timeout_ms = connect_ms;
	o.backoff_min_ms = 20;
	o.backoff_max_ms = 200;
	r = redis_new(base, &o);
	redis_url_free(&u);
	cr_assert_not_null(r);
	return r;
}

static struct redis *
open_redis(const char *url, int64_t timeout_ms, int64_t connect_ms)
{
	return open_redis_named(url, "test", timeout_ms, connect_ms);
}

static char *
local_url(const char *auth, int db)
{
	return util_printf("redis://%s%s127.0.0.1:%d/%d", auth ? auth : "", auth ? "@" : "",
	    srv_port, db);
}

static void
wait_up(struct redis *r, int64_t ms)
{
	RUN_UNTIL(redis_up(r), ms);
	cr_assert(redis_up(r), "link did not come up within %lld ms", (long long)ms);
}

static struct redis_stats
stats(struct redis *r)
{
	struct redis_stats s;

	redis_stats(r, &s);
	return s;
}

/* ------------------------------------------------------------------------
 * URLs
 * ---------------------------------------------------------------------- */

struct url_ok {
	const char *url, *host, *user, *password;
	int port, db;
};

Test(redis, url_valid)
{
	static const struct url_ok cases[] = {
		{ "redis://localhost", "localhost", NULL, NULL, 6379, 0 },
		{ "redis://127.0.0.1:6380/2", "127.0.0.1", NULL, NULL, 6380, 2 },
		{ "redis://:s3cret@redis.example.com:6379/0", "redis.example.com", NULL, "s3cret", 6379, 0 },
		{ "redis://ghpool:s3cret@redis-1_a:7000/15", "redis-1_a", "ghpool", "s3cret", 7000, 15 },
		{ "redis://:p%40ss%3Aw%2Fd%25@h", "h", NULL, "p@ss:w/d%", 6379, 0 },
		{ "redis://:a@b@h:1", "h", NULL, "a@b", 1, 0 },
		{ "redis://[::1]:6390/3", "::1", NULL, NULL, 6390, 3 },
		{ "redis://[::1]", "::1", NULL, NULL, 6379, 0 },
		{ "REDIS://Host/", "Host", NULL, NULL, 6379, 0 },
		{ "redis://h:65535/2147483647", "h", NULL, NULL, 65535, 2147483647 },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct url_ok *c = &cases[i];
		struct redis_url u;
		char err[256] = "";

		cr_assert_eq(redis_url_parse(c->url, &u, err, sizeof(err)), 0, "%s: %s", c->url, err);
		cr_assert_str_eq(u.host, c->host, "%s", c->url);
		cr_assert_eq(u.port, c->port, "%s", c->url);
		cr_assert_eq(u.db, c->db, "%s", c->url);
		if (c->user)
			cr_assert_str_eq(u.user, c->user, "%s", c->url);
		else
			cr_assert_null(u.user, "%s", c->url);
		if (c->password)
			cr_assert_str_eq(u.password, c->password, "%s", c->url);
		else
			cr_assert_null(u.password, "%s", c->url);
		redis_url_free(&u);
		cr_assert_null(u.host);
	}
	redis_url_free(NULL);
}

struct url_bad {
	const char *url, *message;
};

Test(redis, url_errors)
{
	static const struct url_bad cases[] = {
		{ "", "empty Redis URL" },
		{ "http://h", "must start with redis://" },
		{ "h:6379", "must start with redis://" },
		{ "rediss://:sekrit@h", "rediss:// (TLS) is not supported" },
		{ "redis://", "no host" },
		{ "redis://:6379", "no host" },
		{ "redis://:sekrit@:6379/1", "no host" },
		{ "redis://h:0", "port must be a number from 1 to 65535" },
		{ "redis://:sekrit@h:65536", "port must be a number from 1 to 65535" },
		{ "redis://h:abc", "port must be a number from 1 to 65535" },
		{ "redis://h:", "port must be a number from 1 to 65535" },
		{ "redis://h:+1", "port must be a number from 1 to 65535" },
		{ "redis://h:1:2", "port must be a number from 1 to 65535" },
		{ "redis://h/abc", "database must be a number from 0 to 2147483647" },
		{ "redis://h/-1", "database must be a number from 0 to 2147483647" },
		{ "redis://h/2147483648", "database must be a number from 0 to 2147483647" },
		{ "redis://h/1/2", "database must be a number from 0 to 2147483647" },
		{ "redis://h/1?x=1", "query strings and fragments are not supported" },
		{ "redis://h?db=1", "query strings and fragments are not supported" },
		{ "redis://h#x", "query strings and fragments are not supported" },
		{ "redis://sekrit@h", "credentials must be :password or user:password" },
		{ "redis://:@h", "empty password" },
		{ "redis://u:@h", "empty password" },
		{ "redis://:sek%zzrit@h", "password has a bad percent-escape" },
		{ "redis://:sekrit%00@h", "password has a bad percent-escape" },
		{ "redis://:sekrit%4@h", "password has a bad percent-escape" },
		{ "redis://u%g1:sekrit@h", "user has a bad percent-escape" },
		{ "redis://h o", "space or a control character" },
		{ "redis://:sek\trit@h", "space or a control character" },
		{ "redis://h\x7f", "space or a control character" },
		{ "redis://ho$t", "only letters, digits" },
		{ "redis://[::1", "unclosed '['" },
		{ "redis://[nothex]:1", "not an IPv6 address" },
		{ "redis://[::1]x", "port must be a number from 1 to 65535" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct redis_url u;
		char err[256] = "";

		memset(&u, 0xa5, sizeof(u));
		cr_assert_eq(redis_url_parse(cases[i].url, &u, err, sizeof(err)), -1, "accepted %s",
		    cases[i].url);
		cr_assert(strstr(err, cases[i].message) != NULL, "%s: got \"%s\", want \"%s\"",
		    cases[i].url, err, cases[i].message);
		cr_assert_null(strstr(err, "sekrit"), "%s: the message quotes the password", cases[i].url);
		cr_assert_null(u.host, "%s: out not zeroed", cases[i].url);
		cr_assert_null(u.password, "%s: out not zeroed", cases[i].url);
	}
	{
		struct redis_url u;
		char err[256] = "";
		cr_assert_eq(redis_url_parse(NULL, &u, err, sizeof(err)), -1);
	}
}

/* ------------------------------------------------------------------------
 * Round trips
 * ---------------------------------------------------------------------- */

Test(redis, set_get_binary_and_ping)
{
	static const char value[] = { 'a', '\0', 'b', '\0', '\xff', 'c' };
	const char *set[] = { "SET", "ghpool:k\0bin", value };
	size_t setlen[] = { 3, 12, sizeof(value) };
	const char *get[] = { "GET", "ghpool:k\0bin" };
	size_t getlen[] = { 3, 12 };
	const char *ping[] = { "PING" };
	const char *set2[] = { "SET", "ghpool:k2", "v2" };
	const char *get2[] = { "GET", "ghpool:k2" };
	const char *sub[] = { "SUBSCRIBE", "x" };
	const char *sel[] = { "select", "1" };
	struct redis *r;
	struct redis_stats st;
	struct got g;
	char *url;

	need_server();
	srv_start(0, NULL);
	loop_new();
	url = local_url(NULL, 0);
	r = open_redis(url, 1000, 1000);
	free(url);
	cr_assert_not(redis_up(r), "up before the loop ran");
	cr_assert_not(cmd(r, &g, 1, ping, NULL), "accepted while connecting");
	wait_up(r, 3000);

	cmd_wait(r, &g, 3, set, setlen);
	cr_assert_eq(g.type, REDIS_REPLY_STATUS);
	cmd_wait(r, &g, 2, get, getlen);
	cr_assert_eq(g.type, REDIS_REPLY_STRING);
	cr_assert_eq(g.len, sizeof(value));
	cr_assert_eq(memcmp(g.str, value, sizeof(value)), 0, "binary value changed");
	cmd_wait(r, &g, 1, ping, NULL);
	cr_assert_eq(g.type, REDIS_REPLY_STATUS);
	cr_assert_str_eq(g.str, "PONG");

	/* No callback: fire and forget, still sent in order. */
	cr_assert(redis_command(r, NULL, NULL, 3, set2, NULL));
	cmd_wait(r, &g, 2, get2, NULL);
	cr_assert_eq(g.len, 2);
	cr_assert_eq(memcmp(g.str, "v2", 2), 0);

	/* Commands that would change the link itself are refused. */
	cr_assert_not(cmd(r, &g, 2, sub, NULL));
	cr_assert_not(cmd(r, &g, 2, sel, NULL));
	cr_assert_not(cmd(r, &g, 0, ping, NULL));
	RUN_FOR(20);
	cr_assert_eq(g.calls, 0);

	st = stats(r);
	cr_assert(st.up);
	cr_assert_eq(st.commands, 5);
	cr_assert_eq(st.refused, 4);
	cr_assert_eq(st.timeouts + st.failures, 0);
	cr_assert_eq(st.connects, 1);
	cr_assert_eq(st.down_ms, 0);
	redis_free(r);
	cr_assert_eq(event_base_get_num_events(base, EVENT_BASE_COUNT_ADDED), 1,
	    "redis_free left events on the loop");
	finish();
}

/* ------------------------------------------------------------------------
 * Deadlines
 * ---------------------------------------------------------------------- */

/* DEBUG SLEEP on our own link: that command times out, the link drops, and
 * it comes back by itself once the server answers again. */
Test(redis, slow_command_times_out_and_link_recovers)
{
	const char *sleep_[] = { "DEBUG", "SLEEP", "0.5" };
	const char *ping[] = { "PING" };
	struct redis *r;
	struct redis_stats st;
	struct got g, g2;
	int64_t sent;
	char *url, *logs;

	need_server();
	srv_start(0, NULL);
	loop_new();
	url = local_url(NULL, 0);
	r = open_redis(url, 50, 150);
	free(url);
	wait_up(r, 3000);
	capture_start();
	sent = util_mono_ms();
	cr_assert(cmd(r, &g, 3, sleep_, NULL));
	RUN_UNTIL(g.calls > 0, 2000);
	cr_assert_eq(g.calls, 1);
	cr_assert(g.null, "the slow command got an answer");
	cr_assert_geq(g.at_ms - sent, 45, "NULL before the deadline (%lld ms)", (long long)(g.at_ms - sent));
	cr_assert_leq(g.at_ms - sent, 400, "NULL long after the deadline (%lld ms)",
	    (long long)(g.at_ms - sent));
	cr_assert_not(redis_up(r));
	/* Down: refused at once, no callback. */
	cr_assert_not(cmd(r, &g2, 1, ping, NULL));
	wait_up(r, 3000);
	cr_assert_geq(util_mono_ms() - sent, 450, "up while the server still slept");
	cmd_wait(r, &g2, 1, ping, NULL);
	cr_assert_str_eq(g2.str, "PONG");
	RUN_FOR(10);
	cr_assert_eq(g.calls, 1, "the late answer reached the caller");
	st = stats(r);
	cr_assert_eq(st.timeouts, 1);
	cr_assert_eq(st.reconnects, 1);
	cr_assert_geq(st.connect_failures, 1, "no attempt ran into the sleeping server");
	redis_free(r);
	logs = capture_stop();
	cr_assert_eq(count(logs, "unreachable"), 1, "logs:\n%s", logs);
	cr_assert_eq(count(logs, "no answer within 50 ms"), 1, "logs:\n%s", logs);
	cr_assert_eq(count(logs, "reconnected after"), 1, "logs:\n%s", logs);
	free(logs);
	finish();
}

/* A stopped server: the oldest command's deadline fails every command
 * queued behind it too, each exactly once; SIGCONT brings the link back. */
Test(redis, stopped_server_fails_all_pending_once)
{
	const char *ping[] = { "PING" };
	const char *incr[] = { "INCR", "ghpool:n" };
	struct redis *r;
	struct redis_stats st;
	struct got g[3], g2;
	int64_t sent;
	char *url;

	need_server();
	srv_start(0, NULL);
	loop_new();
	url = local_url(NULL, 0);
	r = open_redis(url, 50, 100);
	free(url);
	wait_up(r, 3000);
	srv_stop();
	sent = util_mono_ms();
	for (int i = 0; i < 3; i++)
		cr_assert(cmd(r, &g[i], 2, incr, NULL));
	RUN_UNTIL(g[0].calls + g[1].calls + g[2].calls == 3, 2000);
	for (int i = 0; i < 3; i++) {
		cr_assert_eq(g[i].calls, 1, "command %d: %d calls", i, g[i].calls);
		cr_assert(g[i].null);
		cr_assert_leq(g[i].at_ms - sent, 400);
	}
	cr_assert_not(redis_up(r));
	/* Attempts against the stopped server time out, and are spaced. */
	RUN_FOR(400);
	st = stats(r);
	cr_assert_eq(st.timeouts, 1);
	cr_assert_eq(st.failures, 2);
	cr_assert_geq(st.connects, 2);
	cr_assert_leq(st.connects, 8, "%llu attempts in 400 ms", (unsigned long long)st.connects);
	cr_assert_geq(st.down_ms, 350);
	srv_cont();
	wait_up(r, 3000);
	cmd_wait(r, &g2, 1, ping, NULL);
	RUN_FOR(10);
	for (int i = 0; i < 3; i++)
		cr_assert_eq(g[i].calls, 1, "command %d called again", i);
	redis_free(r);
	finish();
}

/* ------------------------------------------------------------------------
 * Losing the server
 * ---------------------------------------------------------------------- */

Test(redis, killed_server_fails_fast_and_comes_back_on_restart)
{
	const char *ping[] = { "PING" };
	const char *set[] = { "SET", "ghpool:k", "1" };
	struct redis *r;
	struct redis_stats st;
	struct got g[2], g2;
	int port;
	int64_t t0;
	char *url, *logs;

	need_server();
	srv_start(0, NULL);
	port = srv_port;
	loop_new();
	url = local_url(NULL, 0);
	r = open_redis(url, 2000, 200);
	free(url);
	wait_up(r, 3000);
	capture_start();
	/* Two commands the server will never answer. */
	srv_stop();
	cr_assert(cmd(r, &g[0], 1, ping, NULL));
	cr_assert(cmd(r, &g[1], 3, set, NULL));
	RUN_FOR(20);
	srv_stopped = false;
	srv_kill();
	RUN_UNTIL(!redis_up(r), 2000);
	cr_assert_not(redis_up(r), "the link outlived the server");
	RUN_FOR(10);
	for (int i = 0; i < 2; i++) {
		cr_assert_eq(g[i].calls, 1, "command %d: %d calls", i, g[i].calls);
		cr_assert(g[i].null);
	}
	t0 = util_mono_us();
	cr_assert_not(cmd(r, &g2, 1, ping, NULL), "accepted with the server gone");
	cr_assert_lt(util_mono_us() - t0, 100000, "refusing took long");
	RUN_FOR(300);
	cr_assert_eq(g2.calls, 0);
	st = stats(r);
	cr_assert_eq(st.failures, 2);
	cr_assert_eq(st.timeouts, 0);
	cr_assert_geq(st.connect_failures, 2, "no reconnect attempts while down");

	srv_start(port, NULL);
	wait_up(r, 3000);
	cmd_wait(r, &g2, 3, set, NULL);
	st = stats(r);
	cr_assert_eq(st.reconnects, 1);
	redis_free(r);
	logs = capture_stop();
	cr_assert_eq(count(logs, "unreachable"), 1, "logs:\n%s", logs);
	cr_assert_eq(count(logs, "reconnected after"), 1, "logs:\n%s", logs);
	free(logs);
	finish();
}

/* Nothing listens: each attempt is refused at once, and attempts are
 * spaced by the backoff, never a busy loop. */
Test(redis, refused_connections_back_off)
{
	struct redis *r;
	struct redis_stats st;
	char *url, *logs;

	loop_new();
	srv_port = free_port();
	url = local_url(NULL, 0);
	capture_start();
	r = open_redis(url, 50, 200);
	free(url);
	RUN_FOR(600);
	st = stats(r);
	cr_assert_not(st.up);
	/* 20, 40, 80, 160, 200, 200 ms of backoff (each halved at worst). */
	cr_assert_geq(st.connects, 3, "%llu attempts", (unsigned long long)st.connects);
	cr_assert_leq(st.connects, 14, "%llu attempts in 600 ms", (unsigned long long)st.connects);
	cr_assert_geq(st.connect_failures, st.connects - 1);
	redis_free(r);
	logs = capture_stop();
	cr_assert_eq(count(logs, "unreachable"), 1, "logs:\n%s", logs);
	cr_assert(strstr(logs, "refused") != NULL, "logs:\n%s", logs);
	free(logs);
	finish();
}

/* A peer that accepts TCP but never answers: the connect deadline. */
Test(redis, silent_peer_hits_the_connect_deadline)
{
	struct redis *r;
	struct redis_stats st;
	int fd;
	char *url, *logs;

	loop_new();
	fd = listen_silent();
	url = local_url(NULL, 0);
	capture_start();
	r = open_redis(url, 50, 100);
	free(url);
	RUN_FOR(700);
	st = stats(r);
	cr_assert_not(st.up);
	cr_assert_geq(st.connects, 2);
	cr_assert_leq(st.connects, 10, "%llu attempts in 700 ms", (unsigned long long)st.connects);
	redis_free(r);
	close(fd);
	logs = capture_stop();
	cr_assert_eq(count(logs, "unreachable"), 1, "logs:\n%s", logs);
	cr_assert_eq(count(logs, "no answer within 100 ms of connecting"), 1, "logs:\n%s", logs);
	free(logs);
	finish();
}

/* ------------------------------------------------------------------------
 * AUTH and SELECT
 * ---------------------------------------------------------------------- */

Test(redis, auth_password_and_acl_user)
{
	const char *set[] = { "SET", "ghpool:k", "v" };
	const char *whoami[] = { "ACL", "WHOAMI" };
	struct redis *r, *ra;
	redisReply *rep;
	struct got g;
	char *url;

	need_server();
	srv_start(0, "pw-good");
	loop_new();
	url = local_url(":pw-good", 0);
	r = open_redis(url, 1000, 1000);
	free(url);
	wait_up(r, 3000);
	cmd_wait(r, &g, 3, set, NULL);
	cr_assert_eq(g.type, REDIS_REPLY_STATUS);

	rep = admin("pw-good", "ACL SETUSER alice on >alice-pw ~* +@all");
	cr_assert_eq(rep->type, REDIS_REPLY_STATUS);
	freeReplyObject(rep);
	url = local_url("alice:alice-pw", 3);
	ra = open_redis_named(url, "acl", 1000, 1000);
	free(url);
	wait_up(ra, 3000);
	cmd_wait(ra, &g, 2, whoami, NULL);
	cr_assert_eq(g.len, 5);
	cr_assert_eq(memcmp(g.str, "alice", 5), 0);
	redis_free(ra);
	redis_free(r);
	finish();
}

/* A wrong password never comes up, and says so once: for two links of one
 * name (two workers) as for one. The password is never logged. */
Test(redis, wrong_password_never_up_logged_once)
{
	struct redis *r1, *r2, *r3;
	struct redis_stats st;
	char *url, *logs;

	need_server();
	srv_start(0, "pw-good");
	loop_new();
	capture_start();
	url = local_url(":pw-wrong", 0);
	r1 = open_redis(url, 1000, 200);
	r2 = open_redis(url, 1000, 200);
	free(url);
	url = local_url(NULL, 0);
	r3 = open_redis_named(url, "nopass", 1000, 200);
	free(url);
	RUN_FOR(700);
	cr_assert_not(redis_up(r1));
	cr_assert_not(redis_up(r2));
	cr_assert_not(redis_up(r3));
	st = stats(r1);
	cr_assert_geq(st.connects, 3, "no retries");
	/* Every attempt failed, but maybe the one under way. */
	cr_assert(st.connect_failures <= st.connects && st.connect_failures + 1 >= st.connects);
	redis_free(r1);
	redis_free(r2);
	redis_free(r3);
	logs = capture_stop();
	cr_assert_eq(count(logs, "redis test: unreachable"), 1, "logs:\n%s", logs);
	cr_assert_eq(count(logs, "WRONGPASS"), 1, "logs:\n%s", logs);
	cr_assert_eq(count(logs, "redis nopass: unreachable"), 1, "logs:\n%s", logs);
	cr_assert_eq(count(logs, "NOAUTH"), 1, "logs:\n%s", logs);
	cr_assert_null(strstr(logs, "pw-wrong"), "password logged:\n%s", logs);
	cr_assert_null(strstr(logs, "pw-good"), "password logged:\n%s", logs);
	free(logs);
	finish();
}

Test(redis, select_db_isolation)
{
	const char *set[] = { "SET", "ghpool:db", "five" };
	const char *get[] = { "GET", "ghpool:db" };
	struct redis *r0, *r5, *rbad;
	struct got g;
	char *url;

	need_server();
	srv_start(0, NULL);
	loop_new();
	url = local_url(NULL, 0);
	r0 = open_redis(url, 1000, 1000);
	free(url);
	url = local_url(NULL, 5);
	r5 = open_redis(url, 1000, 1000);
	free(url);
	url = local_url(NULL, 99);
	rbad = open_redis_named(url, "baddb", 1000, 1000);
	free(url);
	wait_up(r0, 3000);
	wait_up(r5, 3000);
	cmd_wait(r5, &g, 3, set, NULL);
	cmd_wait(r0, &g, 2, get, NULL);
	cr_assert_eq(g.type, REDIS_REPLY_NIL, "db 0 sees db 5's key");
	cmd_wait(r5, &g, 2, get, NULL);
	cr_assert_eq(g.type, REDIS_REPLY_STRING);
	cr_assert_eq(memcmp(g.str, "five", 4), 0);
	/* Out of range (16 databases): refused, so never up. */
	cr_assert_not(redis_up(rbad));
	redis_free(rbad);
	redis_free(r5);
	redis_free(r0);
	finish();
}

/* ------------------------------------------------------------------------
 * Pub/sub
 * ---------------------------------------------------------------------- */

struct inbox {
	int messages, gaps;
	char last[64];
	size_t last_len;
};

static void
on_message(const char *msg, size_t len, void *arg)
{
	struct inbox *in = arg;

	if (msg == NULL) {
		in->gaps++;
		return;
	}
	in->messages++;
	in->last_len = len;
	memcpy(in->last, msg, len < sizeof(in->last) ? len : sizeof(in->last));
}

static void
publish(struct redis *r, const char *channel, const char *msg, size_t len)
{
	const char *argv[] = { "PUBLISH", channel, msg };
	size_t lens[] = { 7, strlen(channel), len };
	struct got g;

	cmd_wait(r, &g, 3, argv, lens);
	cr_assert_eq(g.type, REDIS_REPLY_INTEGER);
}

static bool
pubsub_up(struct redis *r)
{
	return stats(r).pubsub_up;
}

Test(redis, pubsub_delivers_and_resubscribes_after_its_connection_drops)
{
	static const char bin[] = { 'x', '\0', 'y' };
	struct redis *r, *pub;
	struct inbox a = { 0 }, b = { 0 }, c = { 0 };
	struct redis_stats st;
	redisReply *rep;
	char *url;

	need_server();
	srv_start(0, "pw");
	loop_new();
	url = local_url(":pw", 0);
	r = open_redis(url, 1000, 1000);
	pub = open_redis_named(url, "pub", 1000, 1000);
	free(url);
	cr_assert_eq(redis_subscribe(r, "ghpool:inv", on_message, &a), 0);
	cr_assert_eq(redis_subscribe(r, "ghpool:inv", on_message, &b), 0);
	cr_assert_eq(redis_subscribe(r, "", on_message, &b), -1);
	cr_assert_eq(redis_subscribe(r, "x", NULL, &b), -1);
	wait_up(pub, 3000);
	RUN_UNTIL(pubsub_up(r), 3000);
	cr_assert(pubsub_up(r));

	publish(pub, "ghpool:inv", bin, sizeof(bin));
	RUN_UNTIL(a.messages == 1 && b.messages == 1, 2000);
	cr_assert_eq(a.messages, 1);
	cr_assert_eq(b.messages, 1, "the second callback on the channel missed it");
	cr_assert_eq(a.last_len, sizeof(bin));
	cr_assert_eq(memcmp(a.last, bin, sizeof(bin)), 0);
	cr_assert_eq(a.gaps, 0);

	/* A channel added while up. */
	cr_assert_eq(redis_subscribe(r, "ghpool:other", on_message, &c), 0);
	RUN_UNTIL(pubsub_up(r), 2000);
	publish(pub, "ghpool:other", "o", 1);
	RUN_UNTIL(c.messages == 1, 2000);
	cr_assert_eq(c.messages, 1);
	cr_assert_eq(a.messages, 1, "a message on another channel reached this one");

	/* Only the pub/sub connection is dropped by the server. */
	rep = admin("pw", "CLIENT KILL TYPE pubsub");
	cr_assert_eq(rep->type, REDIS_REPLY_INTEGER);
	cr_assert_eq(rep->integer, 1);
	freeReplyObject(rep);
	RUN_UNTIL(a.gaps == 1 && b.gaps == 1 && c.gaps == 1 && pubsub_up(r), 3000);
	cr_assert_eq(a.gaps, 1, "no notice of the gap");
	cr_assert_eq(c.gaps, 1);
	cr_assert(pubsub_up(r));
	publish(pub, "ghpool:inv", "after", 5);
	RUN_UNTIL(a.messages == 2 && b.messages == 2, 2000);
	cr_assert_eq(a.messages, 2);
	cr_assert_eq(memcmp(a.last, "after", 5), 0);
	st = stats(r);
	cr_assert(st.up, "the command link went down with the pub/sub one");
	cr_assert_eq(st.reconnects, 0);
	cr_assert_eq(st.messages, 5);
	redis_free(pub);
	redis_free(r);
	finish();
}

static int
count_level(const char *logs, const char *tag, const char *needle)
{
	int n = 0;

	/* Lines look like "<time> <TAG> <message>"; tag is " TAG ". */
	for (const char *line = logs; *line != '\0'; ) {
		const char *eol = strchr(line, '\n');
		size_t len = eol ? (size_t)(eol - line) : strlen(line);
		char *copy = util_strndup(line, len);

		if (strstr(copy, tag) != NULL && strstr(copy, needle) != NULL)
			n++;
		free(copy);
		line += len + (eol ? 1 : 0);
	}
	return n;
}

/* Both links go down with the server and come back with it: the command
 * link's "unreachable" and "reconnected" are the outage's only lines above
 * debug; the pub/sub link's loss and resubscription are debug lines. */
Test(redis, pubsub_survives_a_server_restart)
{
	struct redis *r;
	struct inbox a = { 0 };
	int port;
	char *url, *logs;

	need_server();
	srv_start(0, NULL);
	port = srv_port;
	loop_new();
	log_configure(LOG_FORMAT_TEXT, LOG_LEVEL_DEBUG);
	capture_start();
	url = local_url(NULL, 0);
	r = open_redis(url, 1000, 300);
	free(url);
	cr_assert_eq(redis_subscribe(r, "ghpool:inv", on_message, &a), 0);
	wait_up(r, 3000);
	RUN_UNTIL(pubsub_up(r), 3000);
	srv_kill();
	RUN_UNTIL(!redis_up(r) && !pubsub_up(r), 2000);
	cr_assert_not(pubsub_up(r));
	RUN_FOR(100);
	srv_start(port, NULL);
	RUN_UNTIL(redis_up(r) && pubsub_up(r), 3000);
	cr_assert(pubsub_up(r));
	cr_assert_eq(a.gaps, 1);
	publish(r, "ghpool:inv", "back", 4);
	RUN_UNTIL(a.messages == 1, 2000);
	cr_assert_eq(a.messages, 1);
	redis_free(r);
	logs = capture_stop();
	cr_assert_eq(count(logs, "redis test: connected to 127.0.0.1:"), 1, "logs:\n%s", logs);
	cr_assert_eq(count(logs, "connected to"), 1, "logs:\n%s", logs);
	cr_assert_eq(count(logs, "redis test: unreachable at 127.0.0.1:"), 1, "logs:\n%s", logs);
	cr_assert_eq(count(logs, "unreachable"), 1, "logs:\n%s", logs);
	cr_assert_eq(count(logs, "redis test: reconnected after "), 1, "logs:\n%s", logs);
	cr_assert_eq(count(logs, "reconnected"), 1, "logs:\n%s", logs);
	cr_assert_geq(count_level(logs, " DEBUG ", "redis test pub/sub: "), 2, "logs:\n%s", logs);
	cr_assert_eq(count_level(logs, " DEBUG ", "redis test pub/sub: resubscribed after "), 1,
	    "logs:\n%s", logs);
	cr_assert_eq(count(logs, "pub/sub"), count_level(logs, " DEBUG ", "pub/sub"),
	    "a pub/sub line above debug:\n%s", logs);
	cr_assert_eq(count_level(logs, " ERROR ", ""), 0, "logs:\n%s", logs);
	free(logs);
	log_configure(LOG_FORMAT_TEXT, LOG_LEVEL_INFO);
	finish();
}


/*
 * Two workers of one name, each with a subscription. A server restart is
 * one outage of their command links: "unreachable" once and "reconnected"
 * once; the pub/sub links' losses and resubscriptions are debug lines. The
 * loss of the pub/sub connections alone is no outage: debug lines only,
 * nothing at WARN or ERROR, and both resubscribe.
 */
Test(redis, one_outage_logs_once_for_every_link_of_a_name)
{
	struct redis *r1, *r2;
	struct inbox a = { 0 }, b = { 0 };
	redisReply *rep;
	int port;
	char *url, *logs;

	need_server();
	srv_start(0, NULL);
	port = srv_port;
	loop_new();
	log_configure(LOG_FORMAT_TEXT, LOG_LEVEL_DEBUG);
	capture_start();
	url = local_url(NULL, 0);
	r1 = open_redis_named(url, "sub", 1000, 300);
	r2 = open_redis_named(url, "sub", 1000, 300);
	free(url);
	cr_assert_eq(redis_subscribe(r1, "ghpool:inv", on_message, &a), 0);
	cr_assert_eq(redis_subscribe(r2, "ghpool:inv", on_message, &b), 0);
	RUN_UNTIL(redis_up(r1) && redis_up(r2) && pubsub_up(r1) && pubsub_up(r2), 3000);
	cr_assert(redis_up(r1) && redis_up(r2) && pubsub_up(r1) && pubsub_up(r2));

	/* 1: the server goes away and comes back. */
	srv_kill();
	RUN_UNTIL(!redis_up(r1) && !redis_up(r2) && !pubsub_up(r1) && !pubsub_up(r2), 2000);
	cr_assert(!redis_up(r1) && !redis_up(r2) && !pubsub_up(r1) && !pubsub_up(r2));
	RUN_FOR(150);
	srv_start(port, NULL);
	RUN_UNTIL(redis_up(r1) && redis_up(r2) && pubsub_up(r1) && pubsub_up(r2), 3000);
	cr_assert(redis_up(r1) && redis_up(r2) && pubsub_up(r1) && pubsub_up(r2));
	RUN_FOR(20);
	logs = capture_stop();
	cr_assert_eq(count(logs, "redis sub: connected to"), 1, "logs:\n%s", logs);
	cr_assert_eq(count_level(logs, " WARN ", "redis sub: unreachable at 127.0.0.1:"), 1,
	    "logs:\n%s", logs);
	cr_assert_eq(count_level(logs, " WARN ", ""), 1, "logs:\n%s", logs);
	cr_assert_eq(count(logs, "unreachable"), 1, "logs:\n%s", logs);
	cr_assert_eq(count_level(logs, " INFO ", "redis sub: reconnected after "), 1, "logs:\n%s", logs);
	cr_assert_eq(count(logs, "reconnected"), 1, "logs:\n%s", logs);
	cr_assert_eq(count_level(logs, " ERROR ", ""), 0, "logs:\n%s", logs);
	/* Each link's loss and return are still there, at debug level. */
	cr_assert_geq(count_level(logs, " DEBUG ", "redis sub pub/sub: "), 4, "logs:\n%s", logs);
	cr_assert_eq(count_level(logs, " DEBUG ", "redis sub pub/sub: resubscribed after "), 2,
	    "logs:\n%s", logs);
	cr_assert_eq(count(logs, "pub/sub"), count_level(logs, " DEBUG ", "pub/sub"),
	    "a pub/sub line above debug:\n%s", logs);
	free(logs);

	/* 2: only the pub/sub connections are dropped; the command links stay. */
	capture_start();
	rep = admin(NULL, "CLIENT KILL TYPE pubsub");
	cr_assert_eq(rep->type, REDIS_REPLY_INTEGER);
	cr_assert_eq(rep->integer, 2);
	freeReplyObject(rep);
	RUN_UNTIL(a.gaps == 2 && b.gaps == 2 && pubsub_up(r1) && pubsub_up(r2), 3000);
	cr_assert_eq(a.gaps, 2);
	cr_assert_eq(b.gaps, 2);
	RUN_FOR(20);
	cr_assert(redis_up(r1) && redis_up(r2));
	cr_assert_eq(stats(r1).reconnects, 1);
	redis_free(r2);
	redis_free(r1);
	logs = capture_stop();
	cr_assert_eq(count_level(logs, " WARN ", ""), 0, "logs:\n%s", logs);
	cr_assert_eq(count_level(logs, " ERROR ", ""), 0, "logs:\n%s", logs);
	cr_assert_eq(count_level(logs, " INFO ", ""), 0, "logs:\n%s", logs);
	cr_assert_eq(count(logs, "unreachable"), 0, "logs:\n%s", logs);
	cr_assert_eq(count(logs, "reconnected"), 0, "logs:\n%s", logs);
	cr_assert_geq(count_level(logs, " DEBUG ", "redis sub pub/sub: "), 4, "logs:\n%s", logs);
	cr_assert_eq(count_level(logs, " DEBUG ", "redis sub pub/sub: resubscribed after "), 2,
	    "logs:\n%s", logs);
	free(logs);
	log_configure(LOG_FORMAT_TEXT, LOG_LEVEL_INFO);
	finish();
}

/*
 * An ACL user that may run commands but not use the channel (Redis 7's
 * acl-pubsub-default resetchannels): two workers' SUBSCRIBEs are refused,
 * again at every retry. That is one ERROR for the name, and no outage: the
 * command links came up and said "connected", nothing says "unreachable".
 * A later loss of the command links is still an outage of its own, logged
 * once, and once the ACL lets the user in the subscriptions come, with one
 * INFO.
 */
Test(redis, refused_subscribe_is_one_error_and_no_outage)
{
	const char *ping[] = { "PING" };
	struct redis *r1, *r2, *pub;
	struct inbox a = { 0 }, b = { 0 };
	redisReply *rep;
	struct got g;
	char *url, *logs;

	need_server();
	srv_start(0, NULL);
	loop_new();
	rep = admin(NULL, "ACL SETUSER nochan on >nochan-pw ~* +@all resetchannels");
	cr_assert_eq(rep->type, REDIS_REPLY_STATUS, "%s", rep->str ? rep->str : "");
	freeReplyObject(rep);
	log_configure(LOG_FORMAT_TEXT, LOG_LEVEL_DEBUG);
	capture_start();
	url = local_url("nochan:nochan-pw", 0);
	r1 = open_redis_named(url, "acl", 1000, 300);
	r2 = open_redis_named(url, "acl", 1000, 300);
	free(url);
	cr_assert_eq(redis_subscribe(r1, "ghpool:inv", on_message, &a), 0);
	cr_assert_eq(redis_subscribe(r2, "ghpool:inv", on_message, &b), 0);
	/* Every worker refused, and each retried after its refusal. */
	RUN_UNTIL(redis_up(r1) && redis_up(r2) && stats(r1).subscribe_refusals >= 3 &&
	    stats(r2).subscribe_refusals >= 3, 3000);
	cr_assert(redis_up(r1) && redis_up(r2));
	cr_assert_geq(stats(r1).subscribe_refusals, 3);
	cr_assert_geq(stats(r2).subscribe_refusals, 3);
	cr_assert_not(pubsub_up(r1));
	cr_assert_not(pubsub_up(r2));
	cmd_wait(r1, &g, 1, ping, NULL);
	cr_assert_str_eq(g.str, "PONG");
	cr_assert_eq(stats(r1).reconnects, 0);
	cr_assert_eq(stats(r2).reconnects, 0);

	/* The command links fail, the pub/sub ones keep being refused. */
	rep = admin(NULL, "CLIENT KILL TYPE normal USER nochan");
	cr_assert_eq(rep->type, REDIS_REPLY_INTEGER);
	cr_assert_geq(rep->integer, 2);
	freeReplyObject(rep);
	RUN_UNTIL(!redis_up(r1) && !redis_up(r2), 2000);
	RUN_UNTIL(redis_up(r1) && redis_up(r2), 3000);
	cr_assert(redis_up(r1) && redis_up(r2));
	cr_assert_eq(stats(r1).reconnects, 1);
	cr_assert_eq(stats(r2).reconnects, 1);
	RUN_FOR(100);
	cr_assert_not(pubsub_up(r1));
	logs = capture_stop();
	cr_assert_eq(count_level(logs, " ERROR ",
	    "redis acl pub/sub: SUBSCRIBE ghpool:inv refused (NOPERM "), 1, "logs:\n%s", logs);
	cr_assert_eq(count_level(logs, " ERROR ", "replicas will not hear each other's fills"), 1,
	    "logs:\n%s", logs);
	cr_assert_eq(count_level(logs, " ERROR ", ""), 1, "logs:\n%s", logs);
	cr_assert_geq(count_level(logs, " DEBUG ", "redis acl pub/sub: SUBSCRIBE ghpool:inv refused"),
	    6, "logs:\n%s", logs);
	cr_assert_eq(count_level(logs, " INFO ", "redis acl: connected to 127.0.0.1:"), 1,
	    "logs:\n%s", logs);
	cr_assert_eq(count_level(logs, " WARN ", "redis acl: unreachable at 127.0.0.1:"), 1,
	    "logs:\n%s", logs);
	cr_assert_eq(count_level(logs, " WARN ", ""), 1, "logs:\n%s", logs);
	cr_assert_eq(count(logs, "unreachable"), 1, "logs:\n%s", logs);
	cr_assert_eq(count_level(logs, " INFO ", "redis acl: reconnected after "), 1, "logs:\n%s", logs);
	cr_assert_eq(count(logs, "reconnected"), 1, "logs:\n%s", logs);
	cr_assert_lt(strstr(logs, "refused (NOPERM") - logs, strstr(logs, "unreachable") - logs,
	    "the outage came first:\n%s", logs);
	cr_assert_null(strstr(logs, "nochan-pw"), "password logged:\n%s", logs);
	free(logs);

	/* The ACL is fixed: both subscribe at their next retry, one INFO. */
	capture_start();
	rep = admin(NULL, "ACL SETUSER nochan allchannels");
	cr_assert_eq(rep->type, REDIS_REPLY_STATUS);
	freeReplyObject(rep);
	RUN_UNTIL(pubsub_up(r1) && pubsub_up(r2), 3000);
	cr_assert(pubsub_up(r1) && pubsub_up(r2));
	url = local_url(NULL, 0);
	pub = open_redis_named(url, "pub", 1000, 300);
	free(url);
	wait_up(pub, 3000);
	publish(pub, "ghpool:inv", "hi", 2);
	RUN_UNTIL(a.messages == 1 && b.messages == 1, 2000);
	cr_assert_eq(a.messages, 1);
	cr_assert_eq(b.messages, 1);
	redis_free(pub);
	redis_free(r2);
	redis_free(r1);
	logs = capture_stop();
	cr_assert_eq(count_level(logs, " INFO ", "redis acl pub/sub: SUBSCRIBE accepted now"), 1,
	    "logs:\n%s", logs);
	cr_assert_eq(count_level(logs, " ERROR ", ""), 0, "logs:\n%s", logs);
	cr_assert_eq(count_level(logs, " WARN ", ""), 0, "logs:\n%s", logs);
	free(logs);
	log_configure(LOG_FORMAT_TEXT, LOG_LEVEL_INFO);
	finish();
}

/*
 * A server over its maxclients greets a new connection with an error and
 * closes it. On the pub/sub link that is the loss of a connection, not a
 * refused SUBSCRIBE: its handshake (a PING without a password) gets the
 * greeting, and the SUBSCRIBE is never sent.
 */
Test(redis, greeting_error_is_no_subscribe_refusal)
{
	struct redis *r;
	struct inbox a = { 0 };
	redisReply *rep;
	struct redis_stats st;
	char *url, *logs;

	need_server();
	srv_start(0, NULL);
	loop_new();
	url = local_url(NULL, 0);
	r = open_redis_named(url, "full", 1000, 300);
	free(url);
	wait_up(r, 3000);
	/* The command link is the only client once this one is gone. */
	rep = admin(NULL, "CONFIG SET maxclients 1");
	cr_assert_eq(rep->type, REDIS_REPLY_STATUS, "%s", rep->str ? rep->str : "");
	freeReplyObject(rep);
	usleep(20000);
	log_configure(LOG_FORMAT_TEXT, LOG_LEVEL_DEBUG);
	capture_start();
	cr_assert_eq(redis_subscribe(r, "ghpool:inv", on_message, &a), 0);
	RUN_FOR(300);
	st = stats(r);
	cr_assert(st.up);
	cr_assert_not(st.pubsub_up);
	cr_assert_eq(st.subscribe_refusals, 0);
	redis_free(r);
	logs = capture_stop();
	cr_assert_geq(count_level(logs, " DEBUG ",
	    "redis full pub/sub: refused: ERR max number of clients"), 2, "logs:\n%s", logs);
	cr_assert_eq(count_level(logs, " ERROR ", ""), 0, "logs:\n%s", logs);
	cr_assert_eq(count_level(logs, " WARN ", ""), 0, "logs:\n%s", logs);
	cr_assert_eq(count(logs, "SUBSCRIBE"), 0, "logs:\n%s", logs);
	free(logs);
	log_configure(LOG_FORMAT_TEXT, LOG_LEVEL_INFO);
	finish();
}

/* ------------------------------------------------------------------------
 * Teardown
 * ---------------------------------------------------------------------- */

Test(redis, free_with_pending_commands_calls_each_once)
{
	const char *ping[] = { "PING" };
	struct redis *r;
	struct got g[5];
	struct inbox a = { 0 };
	char *url;

	need_server();
	srv_start(0, NULL);
	loop_new();
	url = local_url(NULL, 0);
	r = open_redis(url, 5000, 1000);
	free(url);
	cr_assert_eq(redis_subscribe(r, "ghpool:inv", on_message, &a), 0);
	wait_up(r, 3000);
	RUN_UNTIL(pubsub_up(r), 3000);
	srv_stop();
	for (int i = 0; i < 5; i++)
		cr_assert(cmd(r, &g[i], 1, ping, NULL));
	RUN_FOR(20);
	for (int i = 0; i < 5; i++)
		cr_assert_eq(g[i].calls, 0);
	redis_free(r);
	for (int i = 0; i < 5; i++) {
		cr_assert_eq(g[i].calls, 1, "command %d: %d calls", i, g[i].calls);
		cr_assert(g[i].null);
	}
	cr_assert_eq(a.messages + a.gaps, 0);
	cr_assert_eq(event_base_get_num_events(base, EVENT_BASE_COUNT_ADDED), 1,
	    "redis_free left events on the loop");
	RUN_FOR(10);
	srv_cont();
	finish();
}

/* Until GET key answers want (NULL: nil), for up to 1 s; whether it did. */
static bool
key_becomes(const char *key, const char *want)
{
	int64_t end = util_mono_ms() + 1000;

	for (;;) {
		redisReply *rep = admin(NULL, "GET %s", key);
		bool ok = want == NULL ? rep->type == REDIS_REPLY_NIL :
		    rep->type == REDIS_REPLY_STRING && strcmp(rep->str, want) == 0;

		freeReplyObject(rep);
		if (ok)
			return true;
		if (util_mono_ms() >= end)
			return false;
		usleep(10000);
	}
}

/*
 * Commands queued and then freed without a turn of the loop never leave
 * the process (hiredis writes on the loop's next turn); redis_flush writes
 * them first, for shutdown. Replies are not read: callbacks get NULL.
 */
Test(redis, flush_before_free_writes_what_is_queued)
{
	const char *lost[] = { "SET", "ghpool:lost", "v0" };
	const char *set[] = { "SET", "ghpool:flushed", "v1" };
	const char *ff[] = { "SET", "ghpool:forgotten", "v2" };
	const char *pub[] = { "PUBLISH", "ghpool:inv", "bye" };
	struct redis *r;
	struct redis_stats st;
	struct got g, g2;
	int64_t t0;
	char *url;

	need_server();
	srv_start(0, NULL);
	loop_new();
	url = local_url(NULL, 0);

	/* Without redis_flush: dropped with the connection. */
	r = open_redis(url, 1000, 1000);
	wait_up(r, 3000);
	cr_assert(cmd(r, &g, 3, lost, NULL));
	redis_free(r);
	cr_assert_eq(g.calls, 1);
	cr_assert(g.null);
	usleep(50000);
	cr_assert(key_becomes("ghpool:lost", NULL), "written without a flush");

	/* With it: a command with a callback, one without, a publish. */
	r = open_redis(url, 1000, 1000);
	wait_up(r, 3000);
	cr_assert(cmd(r, &g, 3, set, NULL));
	cr_assert(redis_command(r, NULL, NULL, 3, ff, NULL));
	cr_assert(cmd(r, &g2, 3, pub, NULL));
	t0 = util_mono_ms();
	redis_flush(r, 1000);
	cr_assert_lt(util_mono_ms() - t0, 500, "flushing a few bytes took %lld ms",
	    (long long)(util_mono_ms() - t0));
	cr_assert_eq(g.calls, 0, "redis_flush ran a callback");
	st = stats(r);
	cr_assert(st.up);
	cr_assert_eq(st.failures, 0);
	redis_free(r);
	cr_assert_eq(g.calls, 1);
	cr_assert(g.null, "a reply was read");
	cr_assert_eq(g2.calls, 1);
	cr_assert(key_becomes("ghpool:flushed", "v1"), "the flushed SET did not reach Redis");
	cr_assert(key_becomes("ghpool:forgotten", "v2"), "the fire-and-forget SET did not reach Redis");

	/* Nothing to do: NULL, nothing queued, a link that is not up. */
	redis_flush(NULL, 1000);
	r = open_redis(url, 1000, 1000);
	t0 = util_mono_ms();
	redis_flush(r, 1000);            /* still connecting */
	cr_assert_lt(util_mono_ms() - t0, 100);
	wait_up(r, 3000);
	redis_flush(r, 1000);            /* nothing queued */
	cmd_wait(r, &g, 3, set, NULL);   /* the link is as good as before */
	redis_free(r);
	free(url);
	cr_assert_eq(event_base_get_num_events(base, EVENT_BASE_COUNT_ADDED), 1,
	    "redis_free left events on the loop");
	finish();
}

/* A server that reads nothing (stopped): the socket fills and redis_flush
 * gives up at its timeout; nothing waits longer. */
Test(redis, flush_gives_up_at_its_timeout)
{
	const size_t big = 32u << 20;    /* far more than both socket buffers hold */
	const char *set[] = { "SET", "ghpool:big", NULL };
	size_t lens[] = { 3, 10, big };
	struct redis *r;
	struct got g;
	int64_t t0, took;
	char *url, *value;

	need_server();
	srv_start(0, NULL);
	loop_new();
	url = local_url(NULL, 0);
	r = open_redis(url, 5000, 1000);
	free(url);
	wait_up(r, 3000);
	value = calloc(1, big);
	cr_assert_not_null(value);
	memset(value, 'x', big);
	set[2] = value;
	srv_stop();
	cr_assert(cmd(r, &g, 3, set, lens));
	free(value);
	t0 = util_mono_ms();
	redis_flush(r, 150);
	took = util_mono_ms() - t0;
	cr_assert_geq(took, 140, "gave up after %lld ms", (long long)took);
	cr_assert_leq(took, 2000, "blocked %lld ms", (long long)took);
	t0 = util_mono_ms();
	redis_flush(r, 0);               /* only what the socket takes at once */
	cr_assert_leq(util_mono_ms() - t0, 1000);
	redis_free(r);
	cr_assert_eq(g.calls, 1);
	cr_assert(g.null);
	srv_cont();
	finish();
}

/* Free while connecting, while waiting to retry, and with a pub/sub
 * handshake under way: nothing leaks, nothing is left on the loop. */
Test(redis, free_in_every_state)
{
	struct redis *r;
	struct inbox a = { 0 };
	int fd;
	char *url;

	loop_new();
	fd = listen_silent();
	url = local_url(":pw", 0);
	capture_start();

	/* Right away: not even the loop ran. */
	r = open_redis(url, 50, 500);
	redis_free(r);
	/* Connected, handshake unanswered, on both links. */
	r = open_redis(url, 50, 500);
	cr_assert_eq(redis_subscribe(r, "c", on_message, &a), 0);
	RUN_FOR(30);
	cr_assert_eq(stats(r).connects, 2);
	redis_free(r);
	/* Waiting for the next attempt. */
	r = open_redis(url, 50, 30);
	RUN_UNTIL(stats(r).connect_failures >= 1, 1000);
	cr_assert_geq(stats(r).connect_failures, 1);
	redis_free(r);
	cr_assert_eq(event_base_get_num_events(base, EVENT_BASE_COUNT_ADDED), 1);
	free(capture_stop());
	free(url);
	close(fd);
	finish();
}

static struct redis *freed_in_cb;

static void
on_reply_free(redisReply *reply, void *arg)
{
	(void)reply;
	(void)arg;
	redis_free(freed_in_cb);
}

/* Freeing from inside a callback would free what hiredis still walks:
 * caught, and an abort rather than a use after free. */
Test(redis, free_inside_a_callback_aborts, .signal = SIGABRT)
{
	const char *ping[] = { "PING" };
	char *url;

	loop_new();
	fake_pong_start();
	url = local_url(NULL, 0);
	freed_in_cb = open_redis(url, 1000, 1000);
	free(url);
	wait_up(freed_in_cb, 3000);
	cr_assert(redis_command(freed_in_cb, on_reply_free, NULL, 1, ping, NULL));
	RUN_FOR(2000);
}

/* ------------------------------------------------------------------------
 * Names
 * ---------------------------------------------------------------------- */

Test(redis, host_name_through_hosts_file)
{
	const char *ping[] = { "PING" };
	struct redis *r;
	struct got g;
	char *url;

	need_server();
	srv_start(0, NULL);
	loop_new();
	url = util_printf("redis://localhost:%d", srv_port);
	r = open_redis(url, 1000, 1000);
	free(url);
	wait_up(r, 3000);
	cmd_wait(r, &g, 1, ping, NULL);
	redis_free(r);
	finish();
}

/*
 * A name no resolver knows: never up. dns-a gets the resolver's answer (or
 * its own deadline, offline). dns-b's 1 ms deadline has passed by the
 * loop's first turn, so its resolution is abandoned in flight (evdns calls
 * back a turn later). dns-c is freed before its resolution could answer.
 * Abandoned resolutions finish on a later loop turn and leak nothing.
 */
Test(redis, unresolvable_host_name)
{
	struct redis *ra, *rb, *rc;
	char *logs;

	loop_new();
	capture_start();
	ra = open_redis_named("redis://ghpool-no-such-host.invalid:6379", "dns-a", 50, 100);
	rb = open_redis_named("redis://ghpool-no-such-host.invalid:6379", "dns-b", 50, 1);
	rc = open_redis_named("redis://ghpool-no-such-host.invalid:6379", "dns-c", 50, 1000);
	redis_free(rc);
	usleep(5000);
	RUN_FOR(350);
	cr_assert_not(redis_up(ra));
	cr_assert_not(redis_up(rb));
	cr_assert_geq(stats(ra).connect_failures, 1);
	cr_assert_geq(stats(rb).connect_failures, 2);
	redis_free(ra);
	redis_free(rb);
	RUN_FOR(50);
	logs = capture_stop();
	cr_assert_eq(count(logs, "unreachable"), 2, "logs:\n%s", logs);
	cr_assert_eq(count(logs, "resolve ghpool-no-such-host.invalid"), 2, "logs:\n%s", logs);
	cr_assert_eq(count(logs, "resolve ghpool-no-such-host.invalid within 1 ms"), 1, "logs:\n%s", logs);
	free(logs);
	finish();
}
