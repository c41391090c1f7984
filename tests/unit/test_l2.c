/*
 * test_l2.c - unit tests of src/l2.c: the entry codec on its own, then
 * against a real redis-server with two struct l2 on two event bases (two
 * "replicas"): puts and gets, expiry, the key guard, locks, waits, and the
 * server or l2_free going away with work pending.
 *
 * The harness (a redis-server child per test, loops driven with deadlines,
 * a leak check per test) is redisfix.c, shared with test_redis.c.
 */
#include <criterion/criterion.h>
#include <event2/buffer.h>
#include <event2/event.h>
#include <hiredis/hiredis.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "l2.h"
#include "redisfix.h"
#include "util.h"

TestSuite(l2, .init = fix_suite_init, .fini = fix_suite_fini);

/* ------------------------------------------------------------------------
 * Helpers
 * ---------------------------------------------------------------------- */

static struct l2 *
open_l2_on(struct event_base *b, const char *prefix, int64_t timeout_ms, size_t max_entry)
{
	struct redis_url u;
	struct l2_options o;
	struct l2 *l;
	char err[256], *url = util_printf("redis://127.0.0.1:%d/0", srv_port);

	cr_assert_eq(redis_url_parse(url, &u, err, sizeof(err)), 0, "%s", err);
	free(url);
	memset(&o, 0, sizeof(o));
	o.url = &u;
	o.timeout_ms = timeout_ms;
	o.connect_timeout_ms = 500;
	o.backoff_min_ms = 20;
	o.backoff_max_ms = 200;
	o.prefix = prefix;
	o.max_entry_bytes = max_entry;
	l = l2_new(b, &o);
	redis_url_free(&u);
	cr_assert_not_null(l);
	return l;
}

static struct l2_stats
st(struct l2 *l)
{
	struct l2_stats s;

	l2_stats(l, &s);
	return s;
}

/* Both the command link and the subscription. */
static void
wait_ready(struct l2 *l)
{
	RUN_UNTIL(l2_up(l) && st(l).link.pubsub_up, 3000);
	cr_assert(l2_up(l) && st(l).link.pubsub_up, "l2 did not come up");
}

/* What a get answered, copied out during the callback. */
struct getres {
	int calls;
	bool hit;
	int status;
	char *headers;            /* "name: value\n" each */
	size_t n_headers;
	struct evbuffer *body;    /* taken from the hit */
	char identity[80];
	int64_t age_ms, ttl_ms;
	/* Optionally, a call made from inside the callback. */
	struct l2 *reenter;
	bool reenter_result;
};

static void
on_get(const struct l2_hit *hit, void *arg)
{
	struct getres *g = arg;

	g->calls++;
	g->hit = hit != NULL;
	if (g->reenter != NULL)
		g->reenter_result = l2_get(g->reenter, "x", 1, on_get, g);
	if (hit == NULL)
		return;
	g->status = hit->status;
	g->n_headers = hit->n_headers;
	g->headers = util_strdup("");
	for (size_t i = 0; i < hit->n_headers; i++) {
		char *s = util_printf("%s%s: %s\n", g->headers, hit->headers[i].name,
		    hit->headers[i].value);

		free(g->headers);
		g->headers = s;
	}
	/* The body is ours to take. */
	g->body = evbuffer_new();
	evbuffer_add_buffer(g->body, hit->body);
	snprintf(g->identity, sizeof(g->identity), "%s", hit->identity);
	g->age_ms = hit->age_ms;
	g->ttl_ms = hit->ttl_ms;
}

static void
getres_clear(struct getres *g)
{
	free(g->headers);
	if (g->body != NULL)
		evbuffer_free(g->body);
	memset(g, 0, sizeof(*g));
}

/* Gets key on l and waits for the answer. */
static void
get_wait(struct l2 *l, const char *key, struct getres *g)
{
	getres_clear(g);
	cr_assert(l2_get(l, key, strlen(key), on_get, g), "l2_get refused");
	cr_assert_eq(g->calls, 0, "called back inside l2_get");
	RUN_UNTIL(g->calls > 0, 3000);
	cr_assert_eq(g->calls, 1, "no answer to l2_get");
}

struct lockres {
	int calls;
	enum l2_lock result;
};

static void
on_lock(enum l2_lock result, void *arg)
{
	struct lockres *r = arg;

	r->calls++;
	r->result = result;
}

static enum l2_lock
lock_wait(struct l2 *l, const char *key, int64_t px_ms)
{
	struct lockres r = { 0, L2_LOCK_UNAVAILABLE };

	cr_assert(l2_lock(l, key, strlen(key), px_ms, on_lock, &r), "l2_lock refused");
	cr_assert_eq(r.calls, 0, "called back inside l2_lock");
	RUN_UNTIL(r.calls > 0, 3000);
	cr_assert_eq(r.calls, 1, "no answer to l2_lock");
	return r.result;
}

struct waitres {
	int calls;
	bool signalled;
	int64_t at_ms;
};

static void
on_wait(bool signalled, void *arg)
{
	struct waitres *w = arg;

	w->calls++;
	w->signalled = signalled;
	w->at_ms = util_mono_ms();
}

static bool
wait_on(struct l2 *l, const char *key, int64_t timeout_ms, struct waitres *w)
{
	memset(w, 0, sizeof(*w));
	return l2_wait(l, key, strlen(key), timeout_ms, on_wait, w);
}

static char *
entry_name(const char *prefix, char kind, const char *key)
{
	char hex[65];

	l2_key_hash(key, strlen(key), hex);
	return util_printf("%s%c:%s", prefix, kind, hex);
}

/* The lock's value in Redis, or "" when there is none. */
static char *
lock_value(const char *prefix, const char *key)
{
	char *name = entry_name(prefix, 'l', key), *v;
	redisReply *rep = admin(NULL, "GET %s", name);

	v = rep->type == REDIS_REPLY_STRING ? util_strndup(rep->str, rep->len) : util_strdup("");
	freeReplyObject(rep);
	free(name);
	return v;
}

/* Runs the loops until key's lock is gone from Redis, at most ms. */
static bool
lock_gone_within(const char *prefix, const char *key, int64_t ms)
{
	int64_t end = util_mono_ms() + ms;

	for (;;) {
		char *v = lock_value(prefix, key);
		bool gone = v[0] == '\0';

		free(v);
		if (gone)
			return true;
		if (util_mono_ms() >= end)
			return false;
		loop_once();
	}
}

static void
admin_set(const char *name, const char *blob, size_t len)
{
	redisReply *rep = admin(NULL, "SET %s %b", name, blob, len);

	cr_assert_eq(rep->type, REDIS_REPLY_STATUS);
	freeReplyObject(rep);
}

static struct evbuffer *
binary_body(size_t n)
{
	struct evbuffer *b = evbuffer_new();

	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)(i * 7 + i / 256);

		evbuffer_add(b, &c, 1);
	}
	return b;
}

static bool
same_bytes(struct evbuffer *a, struct evbuffer *b)
{
	size_t n = evbuffer_get_length(a);

	if (n != evbuffer_get_length(b))
		return false;
	return n == 0 || memcmp(evbuffer_pullup(a, -1), evbuffer_pullup(b, -1), n) == 0;
}

/* ------------------------------------------------------------------------
 * The codec
 * ---------------------------------------------------------------------- */

Test(l2, codec_round_trip)
{
	struct cache_header h[L2_MAX_HEADERS + 1];
	char names[L2_MAX_HEADERS + 1][16], values[L2_MAX_HEADERS + 1][32];
	struct evbuffer *body = binary_body(5000), *empty = evbuffer_new();
	struct l2_entry e;
	const char key[] = "/repos/o/r/pulls?page=2\nAccept: x\0bin";
	size_t len;
	char *blob;

	for (size_t i = 0; i <= L2_MAX_HEADERS; i++) {
		snprintf(names[i], sizeof(names[i]), "X-H-%zu", i);
		snprintf(values[i], sizeof(values[i]), i % 5 == 0 ? "" : "value %zu", i);
		h[i].name = names[i];
		h[i].value = values[i];
	}
	/* Every bound at its limit: 256 headers, a 64-byte identity. */
	blob = l2_encode(key, sizeof(key), 203, h, L2_MAX_HEADERS, body,
	    "0123456789012345678901234567890123456789012345678901234567890123",
	    INT64_C(1700000000123), 60000, &len);
	cr_assert_not_null(blob);
	cr_assert_eq(evbuffer_get_length(body), 5000, "the body was drained");
	cr_assert_eq(l2_decode(blob, len, &e), 0);
	cr_assert_eq(e.key_len, sizeof(key));
	cr_assert_eq(memcmp(e.key, key, sizeof(key)), 0);
	cr_assert_eq(e.status, 203);
	cr_assert_eq(e.fetched_at_ms, INT64_C(1700000000123));
	cr_assert_eq(e.ttl_ms, 60000);
	cr_assert_eq(strlen(e.identity), 64);
	cr_assert_eq(e.n_headers, L2_MAX_HEADERS);
	for (size_t i = 0; i < L2_MAX_HEADERS; i++) {
		cr_assert_str_eq(e.headers[i].name, names[i]);
		cr_assert_str_eq(e.headers[i].value, values[i]);
	}
	cr_assert_eq(e.body_len, 5000);
	cr_assert_eq(memcmp(e.body, evbuffer_pullup(body, -1), 5000), 0, "binary body changed");
	cr_assert(e.body >= blob && e.body + e.body_len == blob + len, "body not in the blob");
	l2_entry_clear(&e);
	l2_entry_clear(&e);
	free(blob);

	/* Empty: no headers, no body (NULL or an empty buffer), no identity. */
	for (int i = 0; i < 2; i++) {
		blob = l2_encode("k", 1, 404, NULL, 0, i ? empty : NULL, NULL, 0, 0, &len);
		cr_assert_not_null(blob);
		cr_assert_eq(l2_decode(blob, len, &e), 0);
		cr_assert_eq(e.status, 404);
		cr_assert_eq(e.n_headers, 0);
		cr_assert_null(e.headers);
		cr_assert_eq(e.body_len, 0);
		cr_assert_not_null(e.body);
		cr_assert_str_eq(e.identity, "");
		l2_entry_clear(&e);
		free(blob);
	}
	evbuffer_free(body);
	evbuffer_free(empty);
}

Test(l2, codec_refuses_to_encode_past_its_bounds)
{
	struct cache_header h[L2_MAX_HEADERS + 1];
	char *big = malloc(L2_MAX_HEADER + 2), *chunk = calloc(1, 1024 * 1024), *key;
	struct evbuffer *huge = evbuffer_new();
	struct cache_header one;
	size_t len;
	char *blob;

	for (size_t i = 0; i <= L2_MAX_HEADERS; i++) {
		h[i].name = "X";
		h[i].value = "y";
	}
	cr_assert_null(l2_encode("k", 1, 200, h, L2_MAX_HEADERS + 1, NULL, NULL, 0, 0, &len));
	cr_assert_eq(len, 0);
	cr_assert_null(l2_encode("k", 1, 200, NULL, 0, NULL,
	    "01234567890123456789012345678901234567890123456789012345678901234", 0, 0, &len));
	cr_assert_null(l2_encode("k", 0, 200, NULL, 0, NULL, NULL, 0, 0, &len));
	cr_assert_null(l2_encode("k", 1, 99, NULL, 0, NULL, NULL, 0, 0, &len));
	cr_assert_null(l2_encode("k", 1, 1000, NULL, 0, NULL, NULL, 0, 0, &len));
	cr_assert_null(l2_encode("k", 1, 200, NULL, 0, NULL, NULL, -1, 0, &len));
	cr_assert_null(l2_encode("k", 1, 200, NULL, 0, NULL, NULL, 0, -1, &len));
	key = calloc(1, L2_MAX_KEY + 1);
	memset(key, 'k', L2_MAX_KEY + 1);
	cr_assert_null(l2_encode(key, L2_MAX_KEY + 1, 200, NULL, 0, NULL, NULL, 0, 0, &len));
	blob = l2_encode(key, L2_MAX_KEY, 200, NULL, 0, NULL, NULL, 0, 0, &len);
	cr_assert_not_null(blob);
	free(blob);
	free(key);
	/* A header: name + value up to 64 KiB; a name is never empty. */
	memset(big, 'v', L2_MAX_HEADER + 1);
	big[L2_MAX_HEADER - 1] = '\0';
	one.name = "N";
	one.value = big;
	blob = l2_encode("k", 1, 200, &one, 1, NULL, NULL, 0, 0, &len);
	cr_assert_not_null(blob, "a header of exactly 64 KiB refused");
	free(blob);
	big[L2_MAX_HEADER - 1] = 'v';
	big[L2_MAX_HEADER] = '\0';
	cr_assert_null(l2_encode("k", 1, 200, &one, 1, NULL, NULL, 0, 0, &len));
	one.name = "";
	one.value = "v";
	cr_assert_null(l2_encode("k", 1, 200, &one, 1, NULL, NULL, 0, 0, &len));
	/* A body past 64 MiB, by reference: nothing is copied. */
	for (size_t i = 0; i <= L2_MAX_BODY / (1024 * 1024); i++)
		evbuffer_add_reference(huge, chunk, 1024 * 1024, NULL, NULL);
	cr_assert_gt(evbuffer_get_length(huge), L2_MAX_BODY);
	cr_assert_null(l2_encode("k", 1, 200, NULL, 0, huge, NULL, 0, 0, &len));
	evbuffer_free(huge);
	free(chunk);
	free(big);
}

/*
 * A small valid blob, and where its fields are:
 *   0 magic  4 version  5 flags  6 status  8 fetched_at  16 ttl
 *   24 key_len  28 key "k/x"  31 identity_len  32 "id\0"  35 n_headers
 *   37 name_len  41 value_len  45 "A\0"  47 "b\0"  49 body_len  53 body "xyz"
 */
#define SMALL_LEN 56

static char *
small_blob(size_t *len)
{
	struct cache_header h = { "A", "b" };
	struct evbuffer *body = evbuffer_new();
	char *blob;

	evbuffer_add(body, "xyz", 3);
	blob = l2_encode("k/x", 3, 200, &h, 1, body, "id", 1000, 2000, len);
	evbuffer_free(body);
	cr_assert_not_null(blob);
	cr_assert_eq(*len, SMALL_LEN, "the layout moved: update the offsets");
	return blob;
}

struct mutation {
	const char *what;
	size_t at;             /* offset */
	size_t n;              /* bytes written there */
	const char *bytes;
	size_t grow;           /* bytes appended (zeros) */
	size_t cut;            /* bytes dropped from the end */
};

static const struct mutation mutations[] = {
	{ "wrong magic", 0, 4, "GHL1", 0, 0 },
	{ "another version", 4, 1, "\x02", 0, 0 },
	{ "version 0", 4, 1, "\x00", 0, 0 },
	{ "flags set", 5, 1, "\x01", 0, 0 },
	{ "status 99", 6, 2, "\x00\x63", 0, 0 },
	{ "status 1000", 6, 2, "\x03\xe8", 0, 0 },
	{ "negative fetch time", 8, 1, "\x80", 0, 0 },
	{ "ttl past ten years", 16, 8, "\x7f\xff\xff\xff\xff\xff\xff\xff", 0, 0 },
	{ "key length 0", 24, 4, "\x00\x00\x00\x00", 0, 0 },
	{ "key length past the end", 24, 4, "\x00\x00\x01\x00", 0, 0 },
	{ "key length over the bound", 24, 4, "\x00\x01\x00\x01", 0, 0 },
	{ "key length 4 GiB", 24, 4, "\xff\xff\xff\xff", 0, 0 },
	{ "identity over 64 bytes", 31, 1, "\x41", 0, 0 },
	{ "identity length past the end", 31, 1, "\xff", 0, 0 },
	{ "identity unterminated", 34, 1, "!", 0, 0 },
	{ "identity with a NUL", 32, 1, "\x00", 0, 0 },
	{ "257 headers", 35, 2, "\x01\x01", 0, 0 },
	{ "65535 headers", 35, 2, "\xff\xff", 0, 0 },
	{ "two headers, one there", 35, 2, "\x00\x02", 0, 0 },
	{ "header name empty", 37, 4, "\x00\x00\x00\x00", 0, 0 },
	{ "header name past the end", 37, 4, "\x00\x00\x10\x00", 0, 0 },
	{ "header name 4 GiB", 37, 4, "\xff\xff\xff\xff", 0, 0 },
	{ "header value 4 GiB", 41, 4, "\xff\xff\xff\xff", 0, 0 },
	{ "header over 64 KiB", 41, 4, "\x00\x01\x00\x00", 0, 0 },
	{ "header name unterminated", 46, 1, "B", 0, 0 },
	{ "header name with a NUL", 45, 1, "\x00", 0, 0 },
	{ "header value unterminated", 48, 1, "c", 0, 0 },
	{ "body length past the end", 49, 4, "\x00\x00\x00\x04", 0, 0 },
	{ "body length short of the end", 49, 4, "\x00\x00\x00\x02", 0, 0 },
	{ "body over 64 MiB", 49, 4, "\x04\x00\x00\x01", 0, 0 },
	{ "body length 4 GiB", 49, 4, "\xff\xff\xff\xff", 0, 0 },
	{ "a trailing byte", 0, 0, "", 1, 0 },
	{ "a trailing KiB", 0, 0, "", 1024, 0 },
	{ "truncated body", 0, 0, "", 0, 1 },
};

/* The mutated blob in an allocation of exactly its size, so ASan sees a
 * read one byte past it. */
static char *
mutate(const char *blob, size_t len, const struct mutation *m, size_t *out_len)
{
	size_t n = len - m->cut + m->grow;
	char *b = calloc(1, n ? n : 1);

	memcpy(b, blob, len - m->cut);
	if (m->n > 0)
		memcpy(b + m->at, m->bytes, m->n);
	*out_len = n;
	return b;
}

Test(l2, codec_rejects_every_corrupt_blob)
{
	struct l2_entry e;
	size_t len, mlen;
	char *blob = small_blob(&len), *b;

	cr_assert_eq(l2_decode(blob, len, &e), 0);
	cr_assert_str_eq(e.identity, "id");
	cr_assert_str_eq(e.headers[0].name, "A");
	cr_assert_str_eq(e.headers[0].value, "b");
	cr_assert_eq(memcmp(e.body, "xyz", 3), 0);
	l2_entry_clear(&e);
	/* Truncated at every byte offset. */
	for (size_t n = 0; n < len; n++) {
		b = malloc(n ? n : 1);
		memcpy(b, blob, n);
		memset(&e, 0xa5, sizeof(e));
		cr_assert_eq(l2_decode(b, n, &e), -1, "accepted a blob cut at %zu", n);
		cr_assert_null(e.headers, "out not zeroed");
		cr_assert_null(e.key, "out not zeroed");
		free(b);
	}
	for (size_t i = 0; i < sizeof(mutations) / sizeof(mutations[0]); i++) {
		b = mutate(blob, len, &mutations[i], &mlen);
		cr_assert_eq(l2_decode(b, mlen, &e), -1, "accepted: %s", mutations[i].what);
		free(b);
	}
	cr_assert_eq(l2_decode(NULL, 0, &e), -1);
	free(blob);
}

/* ------------------------------------------------------------------------
 * Through Redis
 * ---------------------------------------------------------------------- */

/* The same corruptions stored in Redis: each a miss, each counted once. */
Test(l2, corrupt_entries_are_misses)
{
	const char *key = "k/x";
	struct l2 *l;
	struct getres g = { 0 };
	struct l2_stats s;
	size_t len, mlen;
	char *blob, *name, *b;
	uint64_t n = 0;
	redisReply *rep;

	need_server();
	srv_start(0, NULL);
	loop_new();
	l = open_l2_on(base, "t:", 1000, 0);
	wait_ready(l);
	blob = small_blob(&len);
	name = entry_name("t:", 'e', key);

	admin_set(name, blob, len);
	get_wait(l, key, &g);
	cr_assert(g.hit, "the valid blob is a miss");
	cr_assert_str_eq(g.headers, "A: b\n");
	for (size_t cut = 0; cut < len; cut++, n++) {
		admin_set(name, blob, cut);
		get_wait(l, key, &g);
		cr_assert_not(g.hit, "a blob cut at %zu is a hit", cut);
	}
	for (size_t i = 0; i < sizeof(mutations) / sizeof(mutations[0]); i++, n++) {
		b = mutate(blob, len, &mutations[i], &mlen);
		admin_set(name, b, mlen);
		free(b);
		get_wait(l, key, &g);
		cr_assert_not(g.hit, "a hit: %s", mutations[i].what);
	}
	s = st(l);
	cr_assert_eq(s.decode_errors, n);
	cr_assert_eq(s.misses, n);
	cr_assert_eq(s.hits, 1);
	cr_assert_eq(s.errors, 0);
	/* Not a string at all: Redis refuses the GET (WRONGTYPE), an error. */
	rep = admin(NULL, "DEL %s", name);
	freeReplyObject(rep);
	rep = admin(NULL, "RPUSH %s a", name);
	freeReplyObject(rep);
	get_wait(l, key, &g);
	cr_assert_not(g.hit);
	cr_assert_eq(st(l).errors, 1);
	getres_clear(&g);
	free(name);
	free(blob);
	l2_free(l);
	finish();
}

/* A blob under key's hash whose stored key is another: a miss. */
Test(l2, stored_key_guards_against_collisions)
{
	struct l2 *l;
	struct getres g = { 0 };
	struct l2_stats s;
	size_t len;
	char *blob, *name;

	need_server();
	srv_start(0, NULL);
	loop_new();
	l = open_l2_on(base, "t:", 1000, 0);
	wait_ready(l);
	blob = l2_encode("/repos/other", 12, 200, NULL, 0, NULL, "x", 0, 1000, &len);
	name = entry_name("t:", 'e', "/repos/mine");
	admin_set(name, blob, len);
	get_wait(l, "/repos/mine", &g);
	cr_assert_not(g.hit);
	/* The stored key as a prefix of the asked one, and the other way. */
	free(blob);
	blob = l2_encode("/repos/min", 10, 200, NULL, 0, NULL, "x", 0, 1000, &len);
	admin_set(name, blob, len);
	get_wait(l, "/repos/mine", &g);
	cr_assert_not(g.hit);
	free(blob);
	blob = l2_encode("/repos/mine/", 12, 200, NULL, 0, NULL, "x", 0, 1000, &len);
	admin_set(name, blob, len);
	get_wait(l, "/repos/mine", &g);
	cr_assert_not(g.hit);
	s = st(l);
	cr_assert_eq(s.key_mismatches, 3);
	cr_assert_eq(s.decode_errors, 0);
	cr_assert_eq(s.misses, 3);
	free(blob);
	free(name);
	getres_clear(&g);
	l2_free(l);
	finish();
}

Test(l2, put_on_one_replica_get_on_another)
{
	static const char *key = "/repos/o/r/issues?state=all\naccept=application/json";
	struct cache_header h[40];
	char names[40][16], values[40][24], *want = util_strdup("");
	struct l2 *a, *b, *other;
	struct getres g = { 0 };
	struct evbuffer *body = binary_body(100000), *empty = evbuffer_new();
	struct l2_stats s;

	need_server();
	srv_start(0, NULL);
	loop_new();
	loop_new2();
	a = open_l2_on(base, "ghpool:", 1000, 0);
	b = open_l2_on(base2, "ghpool:", 1000, 0);
	other = open_l2_on(base2, "other:", 1000, 0);
	wait_ready(a);
	wait_ready(b);
	wait_ready(other);
	for (size_t i = 0; i < 40; i++) {
		char *s;

		snprintf(names[i], sizeof(names[i]), "X-N-%zu", i);
		snprintf(values[i], sizeof(values[i]), "v\t%zu \"q\"", i * 31);
		h[i].name = names[i];
		h[i].value = values[i];
		s = util_printf("%s%s: %s\n", want, names[i], values[i]);
		free(want);
		want = s;
	}
	get_wait(b, key, &g);
	cr_assert_not(g.hit, "a hit before any put");

	cr_assert(l2_put(a, key, strlen(key), NULL, 200, h, 40, body, "pat-1", 1500, 60000, 60000));
	cr_assert_eq(evbuffer_get_length(body), 100000, "l2_put drained the body");
	RUN_UNTIL(st(a).stores == 1, 3000);
	cr_assert_eq(st(a).stores, 1);
	get_wait(b, key, &g);
	cr_assert(g.hit);
	cr_assert_eq(g.status, 200);
	cr_assert_eq(g.n_headers, 40);
	cr_assert_str_eq(g.headers, want);
	cr_assert(same_bytes(g.body, body), "the body changed on the way");
	cr_assert_str_eq(g.identity, "pat-1");
	cr_assert_eq(g.ttl_ms, 60000);
	cr_assert_geq(g.age_ms, 1500);
	cr_assert_lt(g.age_ms, 2500, "age %lld", (long long)g.age_ms);
	/* Another prefix is another cache. */
	get_wait(other, key, &g);
	cr_assert_not(g.hit);

	/* Empty body, no headers; and a short expiry (Redis's PX). */
	cr_assert(l2_put(a, "short", 5, NULL, 304, NULL, 0, empty, NULL, 0, 1000, 150));
	RUN_UNTIL(st(a).stores == 2, 3000);
	get_wait(b, "short", &g);
	cr_assert(g.hit);
	cr_assert_eq(g.status, 304);
	cr_assert_eq(evbuffer_get_length(g.body), 0);
	cr_assert_str_eq(g.identity, "");
	cr_assert_eq(g.age_ms < 1000, true);
	RUN_FOR(200);
	get_wait(b, "short", &g);
	cr_assert_not(g.hit, "still there after its PX");

	s = st(b);
	cr_assert_eq(s.hits, 2);
	cr_assert_eq(s.misses, 2);
	cr_assert_eq(s.decode_errors + s.errors + s.key_mismatches, 0);
	cr_assert_eq(st(a).not_stored, 0);
	/* Both puts were announced on the channel, to every replica. */
	RUN_UNTIL(st(b).fills_seen == 2 && st(a).fills_seen == 2, 1000);
	cr_assert_eq(st(b).fills_seen, 2);
	cr_assert_eq(st(other).fills_seen, 0);
	getres_clear(&g);
	free(want);
	evbuffer_free(body);
	evbuffer_free(empty);
	l2_free(other);
	l2_free(b);
	l2_free(a);
	finish();
}

/* What l2_put will not store, it still announces. */
Test(l2, put_past_max_entry_bytes_is_announced_not_stored)
{
	struct l2 *a, *b;
	struct getres g = { 0 };
	struct waitres w;
	struct evbuffer *body = binary_body(3000);

	need_server();
	srv_start(0, NULL);
	loop_new();
	loop_new2();
	a = open_l2_on(base, "t:", 1000, 2048);
	b = open_l2_on(base2, "t:", 1000, 0);
	wait_ready(a);
	wait_ready(b);
	cr_assert(wait_on(b, "big", 3000, &w));
	cr_assert_not(l2_put(a, "big", 3, NULL, 200, NULL, 0, body, "p", 0, 1000, 1000));
	RUN_UNTIL(w.calls > 0, 3000);
	cr_assert_eq(w.calls, 1);
	cr_assert(w.signalled);
	get_wait(b, "big", &g);
	cr_assert_not(g.hit);
	cr_assert_eq(st(a).not_stored, 1);
	/* No expiry: not stored either. */
	cr_assert_not(l2_put(a, "big", 3, NULL, 200, NULL, 0, NULL, "p", 0, 1000, 0));
	cr_assert_eq(st(a).not_stored, 2);
	RUN_FOR(20);
	cr_assert_eq(st(a).stores, 0);
	getres_clear(&g);
	evbuffer_free(body);
	l2_free(b);
	l2_free(a);
	finish();
}

/* ------------------------------------------------------------------------
 * Locks
 * ---------------------------------------------------------------------- */

Test(l2, lock_acquired_held_released)
{
	struct l2 *a, *b;
	struct l2_stats s;
	char *v;

	need_server();
	srv_start(0, NULL);
	loop_new();
	loop_new2();
	a = open_l2_on(base, "t:", 1000, 0);
	b = open_l2_on(base2, "t:", 1000, 0);
	wait_ready(a);
	wait_ready(b);
	cr_assert_eq(lock_wait(a, "/k", 5000), L2_LOCK_ACQUIRED);
	cr_assert_eq(lock_wait(b, "/k", 5000), L2_LOCK_HELD);
	cr_assert_eq(lock_wait(a, "/k", 5000), L2_LOCK_HELD, "a lock is not reentrant");
	cr_assert_eq(lock_wait(b, "/other", 5000), L2_LOCK_ACQUIRED, "locks are per key");
	v = lock_value("t:", "/k");
	cr_assert_eq(strlen(v), 33, "token %s", v);
	free(v);
	/* B holds no lock on /k: its unlock sends nothing, deletes nothing. */
	l2_unlock(b, "/k", 2);
	RUN_FOR(20);
	cr_assert_eq(lock_wait(b, "/k", 5000), L2_LOCK_HELD);
	l2_unlock(a, "/k", 2);
	cr_assert(lock_gone_within("t:", "/k", 2000), "the lock is still there");
	cr_assert_eq(lock_wait(b, "/k", 5000), L2_LOCK_ACQUIRED);
	s = st(a);
	cr_assert_eq(s.locks_acquired, 1);
	cr_assert_eq(s.locks_held, 1);
	cr_assert_eq(s.unlocks, 1);
	s = st(b);
	cr_assert_eq(s.locks_acquired, 2);
	cr_assert_eq(s.locks_held, 2);
	cr_assert_eq(s.unlocks, 0);
	cr_assert_not(l2_lock(a, "/k", 2, 0, on_lock, NULL), "px 0 accepted");
	cr_assert_not(l2_lock(a, "", 0, 100, on_lock, NULL), "empty key accepted");
	l2_free(b);
	l2_free(a);
	finish();
}

/* A crashed holder's lock expires; and a holder whose lock expired and
 * was taken by another never deletes the other's. */
Test(l2, lock_expiry_and_unlock_only_our_own)
{
	struct l2 *a, *b;
	redisReply *rep;
	char *v, *name;

	need_server();
	srv_start(0, NULL);
	loop_new();
	loop_new2();
	a = open_l2_on(base, "t:", 1000, 0);
	b = open_l2_on(base2, "t:", 1000, 0);
	wait_ready(a);
	wait_ready(b);

	/* By A's own clock its lock has expired: unlock sends nothing. */
	cr_assert_eq(lock_wait(a, "/k", 60), L2_LOCK_ACQUIRED);
	cr_assert_eq(lock_wait(b, "/k", 5000), L2_LOCK_HELD);
	RUN_FOR(90);
	cr_assert_eq(lock_wait(b, "/k", 5000), L2_LOCK_ACQUIRED, "the lock outlived its PX");
	v = lock_value("t:", "/k");
	l2_unlock(a, "/k", 2);
	RUN_FOR(30);
	name = lock_value("t:", "/k");
	cr_assert_str_eq(name, v, "A deleted B's lock");
	cr_assert_eq(st(a).unlocks, 0);
	free(name);
	free(v);

	/* A still believes it holds its lock, but Redis has another
	 * holder's token there: the compare-and-delete leaves it. */
	cr_assert_eq(lock_wait(a, "/j", 5000), L2_LOCK_ACQUIRED);
	name = entry_name("t:", 'l', "/j");
	rep = admin(NULL, "SET %s someone-else PX 5000", name);
	freeReplyObject(rep);
	l2_unlock(a, "/j", 2);
	RUN_UNTIL(st(a).unlocks == 1, 1000);
	RUN_FOR(30);
	v = lock_value("t:", "/j");
	cr_assert_str_eq(v, "someone-else");
	free(v);
	cr_assert_eq(st(a).errors, 0, "the unlock script failed");
	/* And its own token it does delete. */
	rep = admin(NULL, "DEL %s", name);
	freeReplyObject(rep);
	cr_assert_eq(lock_wait(a, "/j", 5000), L2_LOCK_ACQUIRED);
	l2_unlock(a, "/j", 2);
	cr_assert(lock_gone_within("t:", "/j", 2000), "its own lock is still there");
	free(name);
	l2_free(b);
	l2_free(a);
	finish();
}

/* ------------------------------------------------------------------------
 * Waits
 * ---------------------------------------------------------------------- */

/* The integrator's flow: A leads, B finds the lock held, waits, and A's
 * put both wakes B and frees the lock. */
Test(l2, wait_signalled_by_put)
{
	struct l2 *a, *b;
	struct getres g = { 0 };
	struct waitres w, other;
	struct evbuffer *body = evbuffer_new();
	int64_t t0;

	need_server();
	srv_start(0, NULL);
	loop_new();
	loop_new2();
	a = open_l2_on(base, "t:", 1000, 0);
	b = open_l2_on(base2, "t:", 1000, 0);
	wait_ready(a);
	wait_ready(b);
	evbuffer_add(body, "{}", 2);
	cr_assert_eq(lock_wait(a, "/k", 5000), L2_LOCK_ACQUIRED);
	cr_assert_eq(lock_wait(b, "/k", 5000), L2_LOCK_HELD);
	cr_assert(wait_on(b, "/k", 3000, &w));
	cr_assert(wait_on(b, "/unrelated", 300, &other));
	cr_assert_eq(w.calls, 0, "called back inside l2_wait");
	RUN_FOR(20);
	cr_assert_eq(w.calls, 0);
	t0 = util_mono_ms();
	cr_assert(l2_put(a, "/k", 2, NULL, 200, NULL, 0, body, "p", 0, 1000, 5000));
	RUN_UNTIL(w.calls > 0, 3000);
	cr_assert_eq(w.calls, 1);
	cr_assert(w.signalled);
	cr_assert_lt(w.at_ms - t0, 250, "signalled after %lld ms", (long long)(w.at_ms - t0));
	get_wait(b, "/k", &g);
	cr_assert(g.hit);
	cr_assert_eq(lock_wait(b, "/k", 5000), L2_LOCK_ACQUIRED, "the put left the lock");
	cr_assert_eq(st(a).unlocks, 1);
	/* The other key's wait was not woken by this fill. */
	RUN_UNTIL(other.calls > 0, 2000);
	cr_assert_eq(other.calls, 1);
	cr_assert_not(other.signalled);
	cr_assert_eq(st(b).waits_signalled, 1);
	cr_assert_eq(st(b).waits_timed_out, 1);
	getres_clear(&g);
	evbuffer_free(body);
	l2_free(b);
	l2_free(a);
	finish();
}

Test(l2, wait_signalled_by_announce)
{
	struct l2 *a, *b;
	struct getres g = { 0 };
	struct waitres w[3];

	need_server();
	srv_start(0, NULL);
	loop_new();
	loop_new2();
	a = open_l2_on(base, "t:", 1000, 0);
	b = open_l2_on(base2, "t:", 1000, 0);
	wait_ready(a);
	wait_ready(b);
	cr_assert_eq(lock_wait(a, "/k", 5000), L2_LOCK_ACQUIRED);
	/* Several waits on one key all wake, on both replicas. */
	cr_assert(wait_on(b, "/k", 3000, &w[0]));
	cr_assert(wait_on(b, "/k", 3000, &w[1]));
	cr_assert(wait_on(a, "/k", 3000, &w[2]));
	l2_announce(a, "/k", 2);
	RUN_UNTIL(w[0].calls + w[1].calls + w[2].calls == 3, 3000);
	for (int i = 0; i < 3; i++) {
		cr_assert_eq(w[i].calls, 1, "wait %d: %d calls", i, w[i].calls);
		cr_assert(w[i].signalled);
	}
	get_wait(b, "/k", &g);
	cr_assert_not(g.hit, "an announcement stored something");
	cr_assert_eq(lock_wait(b, "/k", 5000), L2_LOCK_ACQUIRED, "the announcement left the lock");
	cr_assert_eq(st(a).announces, 1);
	getres_clear(&g);
	l2_free(b);
	l2_free(a);
	finish();
}

Test(l2, wait_times_out)
{
	struct l2 *b;
	struct waitres w;
	int64_t t0;

	need_server();
	srv_start(0, NULL);
	loop_new();
	b = open_l2_on(base, "t:", 1000, 0);
	cr_assert_not(wait_on(b, "/k", 100, &w), "a wait before the subscription is up");
	wait_ready(b);
	cr_assert_not(wait_on(b, "/k", 0, &w));
	cr_assert_not(wait_on(b, "", 100, &w));
	t0 = util_mono_ms();
	cr_assert(wait_on(b, "/k", 60, &w));
	RUN_UNTIL(w.calls > 0, 2000);
	cr_assert_eq(w.calls, 1);
	cr_assert_not(w.signalled);
	/* libevent reads a coarse, cached clock: a few ms early is fine. */
	cr_assert_geq(w.at_ms - t0, 50, "timed out after %lld ms", (long long)(w.at_ms - t0));
	cr_assert_lt(w.at_ms - t0, 500);
	RUN_FOR(20);
	cr_assert_eq(w.calls, 1);
	cr_assert_eq(st(b).waits_timed_out, 1);
	cr_assert_eq(st(b).refused, 3);
	l2_free(b);
	finish();
}

/* A fill that arrived just before the wait (it raced the lock's answer)
 * signals it on the next turn, never inside l2_wait; an older one does not. */
Test(l2, wait_counts_a_fill_that_raced_it)
{
	struct l2 *a, *b;
	struct waitres w;

	need_server();
	srv_start(0, NULL);
	loop_new();
	loop_new2();
	a = open_l2_on(base, "t:", 1000, 0);
	b = open_l2_on(base2, "t:", 50, 0);   /* window: 2 x 50 ms */
	wait_ready(a);
	wait_ready(b);
	l2_announce(a, "/k", 2);
	RUN_UNTIL(st(b).fills_seen == 1, 2000);
	cr_assert(wait_on(b, "/k", 3000, &w));
	cr_assert_eq(w.calls, 0, "called back inside l2_wait");
	loop_once();
	RUN_UNTIL(w.calls > 0, 50);
	cr_assert_eq(w.calls, 1);
	cr_assert(w.signalled);
	/* Another key's recent fill is not this key's. */
	cr_assert(wait_on(b, "/j", 60, &w));
	RUN_UNTIL(w.calls > 0, 1000);
	cr_assert_not(w.signalled);
	/* Past the window: a wait like any other. */
	RUN_FOR(120);
	cr_assert(wait_on(b, "/k", 60, &w));
	RUN_UNTIL(w.calls > 0, 1000);
	cr_assert_eq(w.calls, 1);
	cr_assert_not(w.signalled, "a fill from before the window counted");
	l2_free(b);
	l2_free(a);
	finish();
}

/* A wait's callback may wait again; that new wait is not part of the
 * wake-up that ran its callback. */
static struct l2 *rewait_l2;
static struct waitres rewait_second;
static bool rewait_ok;

static void
on_wait_rewait(bool signalled, void *arg)
{
	on_wait(signalled, arg);
	rewait_ok = wait_on(rewait_l2, "/k", 80, &rewait_second);
}

Test(l2, wait_again_from_a_wait_callback)
{
	struct l2 *a, *b;
	struct waitres w = { 0 };

	need_server();
	srv_start(0, NULL);
	loop_new();
	loop_new2();
	a = open_l2_on(base, "t:", 1000, 0);
	b = open_l2_on(base2, "t:", 1000, 0);
	wait_ready(a);
	wait_ready(b);
	rewait_l2 = b;
	cr_assert(l2_wait(b, "/k", 2, 3000, on_wait_rewait, &w));
	l2_announce(a, "/k", 2);
	RUN_UNTIL(w.calls > 0, 2000);
	cr_assert_eq(w.calls, 1);
	cr_assert(rewait_ok);
	/* The fill is a recent one: signalled on a later turn, once. */
	RUN_UNTIL(rewait_second.calls > 0, 1000);
	cr_assert_eq(rewait_second.calls, 1);
	cr_assert(rewait_second.signalled);
	RUN_FOR(100);
	cr_assert_eq(rewait_second.calls, 1);
	cr_assert_eq(w.calls, 1);
	l2_free(b);
	l2_free(a);
	finish();
}

/* Only the pub/sub connection drops: the wait under way ends once (false
 * when the loss is seen, or true if the subscription came back first), and
 * waits work again once it is back. */
Test(l2, wait_across_a_pubsub_reconnect)
{
	struct l2 *a, *b;
	struct waitres w;
	redisReply *rep;

	need_server();
	srv_start(0, NULL);
	loop_new();
	loop_new2();
	a = open_l2_on(base, "t:", 1000, 0);
	b = open_l2_on(base2, "t:", 1000, 0);
	wait_ready(a);
	wait_ready(b);
	cr_assert(wait_on(b, "/k", 5000, &w));
	rep = admin(NULL, "CLIENT KILL TYPE pubsub");
	cr_assert_eq(rep->integer, 2);
	freeReplyObject(rep);
	RUN_UNTIL(w.calls > 0, 1000);
	cr_assert_eq(w.calls, 1);
	wait_ready(b);
	wait_ready(a);
	cr_assert_eq(w.calls, 1);
	cr_assert(wait_on(b, "/k", 3000, &w));
	l2_announce(a, "/k", 2);
	RUN_UNTIL(w.calls > 0, 2000);
	cr_assert_eq(w.calls, 1);
	cr_assert(w.signalled);
	l2_free(b);
	l2_free(a);
	finish();
}

/* ------------------------------------------------------------------------
 * Losing the server, and l2_free, with work pending
 * ---------------------------------------------------------------------- */

Test(l2, killed_server_ends_everything_pending_once)
{
	struct l2 *a, *b;
	struct getres g[3] = { 0 };
	struct lockres lk[2] = { 0 };
	struct waitres w[2];
	struct getres g2 = { 0 };
	struct waitres w2;
	struct l2_stats s;
	int port;
	int64_t t0, killed;

	need_server();
	srv_start(0, NULL);
	port = srv_port;
	loop_new();
	loop_new2();
	/* Long deadlines: what ends these is the link's loss. */
	a = open_l2_on(base, "t:", 5000, 0);
	b = open_l2_on(base2, "t:", 5000, 0);
	wait_ready(a);
	wait_ready(b);
	cr_assert_eq(lock_wait(a, "/k", 5000), L2_LOCK_ACQUIRED);
	srv_stop();
	for (int i = 0; i < 3; i++)
		cr_assert(l2_get(b, "/k", 2, on_get, &g[i]));
	for (int i = 0; i < 2; i++)
		cr_assert(l2_lock(b, "/k", 2, 5000, on_lock, &lk[i]));
	cr_assert(wait_on(b, "/k", 5000, &w[0]));
	cr_assert(wait_on(b, "/j", 5000, &w[1]));
	RUN_FOR(20);
	for (int i = 0; i < 3; i++)
		cr_assert_eq(g[i].calls, 0);
	srv_stopped = false;
	killed = util_mono_ms();
	srv_kill();
	RUN_UNTIL(g[0].calls + g[1].calls + g[2].calls + lk[0].calls + lk[1].calls +
	    w[0].calls + w[1].calls == 7, 2000);
	for (int i = 0; i < 3; i++) {
		cr_assert_eq(g[i].calls, 1, "get %d: %d calls", i, g[i].calls);
		cr_assert_not(g[i].hit);
	}
	for (int i = 0; i < 2; i++) {
		cr_assert_eq(lk[i].calls, 1, "lock %d: %d calls", i, lk[i].calls);
		cr_assert_eq(lk[i].result, L2_LOCK_UNAVAILABLE);
	}
	for (int i = 0; i < 2; i++) {
		cr_assert_eq(w[i].calls, 1, "wait %d: %d calls", i, w[i].calls);
		cr_assert_not(w[i].signalled);
		cr_assert_lt(w[i].at_ms - killed, 500, "the wait outlived the server by %lld ms",
		    (long long)(w[i].at_ms - killed));
	}
	/* Down: refused at once, no callbacks. */
	t0 = util_mono_us();
	cr_assert_not(l2_get(b, "/k", 2, on_get, &g2));
	cr_assert_not(l2_lock(b, "/k", 2, 1000, on_lock, &lk[0]));
	cr_assert_not(wait_on(b, "/k", 1000, &w2));
	cr_assert_not(l2_put(b, "/k", 2, NULL, 200, NULL, 0, NULL, "p", 0, 1000, 1000));
	l2_announce(b, "/k", 2);
	l2_unlock(a, "/k", 2);
	cr_assert_lt(util_mono_us() - t0, 20000, "refusing took long");
	RUN_FOR(50);
	cr_assert_eq(g2.calls + w2.calls, 0);
	cr_assert_eq(lk[0].calls, 1);
	s = st(b);
	cr_assert_eq(s.errors, 5);
	cr_assert_eq(s.waits_failed, 2);
	cr_assert_geq(s.refused, 4);
	cr_assert_not(s.link.up);

	/* Back: everything works again. */
	srv_start(port, NULL);
	wait_ready(b);
	wait_ready(a);
	cr_assert_eq(lock_wait(b, "/k", 5000), L2_LOCK_ACQUIRED, "the old lock survived");
	get_wait(b, "/k", &g2);
	cr_assert_not(g2.hit);
	for (int i = 0; i < 3; i++)
		getres_clear(&g[i]);
	getres_clear(&g2);
	l2_free(b);
	l2_free(a);
	finish();
}

Test(l2, free_with_everything_pending_calls_each_once)
{
	struct l2 *a, *b;
	struct getres g[2] = { 0 };
	struct lockres lk = { 0 };
	struct waitres w[2];

	need_server();
	srv_start(0, NULL);
	loop_new();
	a = open_l2_on(base, "t:", 5000, 0);
	b = open_l2_on(base, "t:", 5000, 0);
	wait_ready(a);
	wait_ready(b);
	cr_assert(wait_on(b, "/early", 5000, &w[1]));
	l2_announce(a, "/early", 6);
	RUN_UNTIL(w[1].calls > 0, 2000);
	srv_stop();
	g[0].reenter = b;
	cr_assert(l2_get(b, "/k", 2, on_get, &g[0]));
	cr_assert(l2_get(b, "/k", 2, on_get, &g[1]));
	cr_assert(l2_lock(b, "/k", 2, 5000, on_lock, &lk));
	cr_assert(wait_on(b, "/k", 5000, &w[0]));
	l2_put(b, "/k", 2, NULL, 200, NULL, 0, NULL, "p", 0, 1000, 1000);
	RUN_FOR(10);
	cr_assert_eq(g[0].calls + g[1].calls + lk.calls + w[0].calls, 0);
	/* Signalled early (a fill just seen), but l2_free comes first. */
	cr_assert(wait_on(b, "/early", 5000, &w[1]));
	l2_free(b);
	for (int i = 0; i < 2; i++) {
		cr_assert_eq(g[i].calls, 1, "get %d: %d calls", i, g[i].calls);
		cr_assert_not(g[i].hit);
	}
	cr_assert_not(g[0].reenter_result, "a call from a callback during l2_free was accepted");
	cr_assert_eq(lk.calls, 1);
	cr_assert_eq(lk.result, L2_LOCK_UNAVAILABLE);
	for (int i = 0; i < 2; i++) {
		cr_assert_eq(w[i].calls, 1, "wait %d: %d calls", i, w[i].calls);
		cr_assert_not(w[i].signalled);
	}
	srv_cont();
	l2_free(a);
	cr_assert_eq(event_base_get_num_events(base, EVENT_BASE_COUNT_ADDED), 1,
	    "l2_free left events on the loop");
	RUN_FOR(10);
	cr_assert_eq(g[0].calls + g[1].calls + lk.calls + w[0].calls + w[1].calls, 5);
	l2_free(NULL);
	finish();
}

/* Free before the loop ever ran, and with nothing to connect to. */
Test(l2, free_right_away_and_while_down)
{
	struct l2 *l;
	struct l2_options o;
	struct redis_url u;
	char err[256], *url;

	loop_new();
	srv_port = free_port();
	url = util_printf("redis://127.0.0.1:%d", srv_port);
	cr_assert_eq(redis_url_parse(url, &u, err, sizeof(err)), 0);
	free(url);
	memset(&o, 0, sizeof(o));
	o.url = &u;
	cr_assert_null(l2_new(NULL, &o));
	cr_assert_null(l2_new(base, NULL));
	o.prefix = "0123456789012345678901234567890123456789012345678901234567890123"
	    "0123456789012345678901234567890123456789012345678901234567890123x";
	cr_assert_null(l2_new(base, &o), "a prefix over 128 bytes");
	o.prefix = NULL;
	capture_start();
	l = l2_new(base, &o);
	cr_assert_not_null(l);
	cr_assert_not(l2_up(l));
	l2_free(l);
	l = l2_new(base, &o);
	RUN_FOR(50);
	cr_assert_not(l2_get(l, "/k", 2, on_get, NULL));
	l2_free(l);
	redis_url_free(&u);
	free(capture_stop());
	cr_assert_eq(event_base_get_num_events(base, EVENT_BASE_COUNT_ADDED), 1);
	finish();
}

static struct l2 *freed_in_cb;

static void
on_get_free(const struct l2_hit *hit, void *arg)
{
	(void)hit;
	(void)arg;
	l2_free(freed_in_cb);
}

/* l2_free from inside one of its callbacks: caught, an abort rather than
 * a use after free. A fake server (no redis-server needed: a skipped test
 * would fail, expecting its signal) answers the GET with +PONG, which is
 * no entry. */
Test(l2, free_inside_a_callback_aborts, .signal = SIGABRT)
{
	loop_new();
	fake_pong_start();
	freed_in_cb = open_l2_on(base, "t:", 1000, 0);
	RUN_UNTIL(l2_up(freed_in_cb), 3000);
	cr_assert(l2_up(freed_in_cb));
	cr_assert(l2_get(freed_in_cb, "/k", 2, on_get_free, NULL));
	capture_start();
	RUN_FOR(2000);
}

/* Entries put under a group are dropped together, whichever replica asks;
 * entries of other groups stay. */
Test(l2, invalidate_drops_a_group)
{
	static const char *keys[] = { "/repos/o/r/issues", "/repos/o/r/pulls", "/repos/o/other" };
	static const char *groups[] = { "/repos/o/r", "/repos/o/r", "/repos/o/other" };
	struct evbuffer *body = binary_body(100);
	struct getres g = { 0 };
	struct l2 *a, *b;

	need_server();
	srv_start(0, NULL);
	loop_new();
	loop_new2();
	a = open_l2_on(base, "ghpool:", 1000, 0);
	b = open_l2_on(base2, "ghpool:", 1000, 0);
	wait_ready(a);
	wait_ready(b);
	for (size_t i = 0; i < 3; i++)
		cr_assert(l2_put(a, keys[i], strlen(keys[i]), groups[i], 200, NULL, 0, body, "p", 0,
		    60000, 60000));
	RUN_UNTIL(st(a).stores == 3, 3000);
	get_wait(b, keys[0], &g);
	cr_assert(g.hit, "stored before the invalidation");
	l2_invalidate(b, "/repos/o/r");
	get_wait(b, keys[0], &g);   /* after the script, on the same connection */
	cr_expect_not(g.hit, "dropped");
	get_wait(a, keys[1], &g);
	cr_expect_not(g.hit, "dropped");
	get_wait(a, keys[2], &g);
	cr_expect(g.hit, "another group stays");
	getres_clear(&g);
	evbuffer_free(body);
	l2_free(b);
	l2_free(a);
	finish();
}
