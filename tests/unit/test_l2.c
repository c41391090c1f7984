/*
 * test_l2.c - unit tests of src/l2.c: the entry codec on its own, then
 * against a real redis-server with two struct l2 on two event bases (two
 * "replicas"): puts and gets, expiry, the key guard, locks, waits, the
 * server or l2_free going away with work pending, and group versions
 * (outdated entries, superseded puts, marks, retries, namespaces).
 *
 * The harness (a redis-server child per test, loops driven with deadlines,
 * a leak check per test) is redisfix.c, shared with test_redis.c.
 */
#include <criterion/criterion.h>
#include <event2/buffer.h>
#include <event2/event.h>
#include <hiredis/hiredis.h>
#include <openssl/sha.h>
#include <ctype.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "l2.h"
#include "redisfix.h"
#include "util.h"

TestSuite(l2, .init = fix_suite_init, .fini = fix_suite_fini);

/* Room for a version as l2_get passes it, and some: one too long shows. */
#define VBUF (L2_VERSION_MAX + 8)

/* ------------------------------------------------------------------------
 * Helpers
 * ---------------------------------------------------------------------- */

/* An l2 on b; ns and marks as l2_options has them (NULL: none, its own). */
static struct l2 *
open_l2_with(struct event_base *b, const char *prefix, int64_t timeout_ms, size_t max_entry,
    const char *ns, struct l2_marks *marks)
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
	o.namespace = ns;
	o.marks = marks;
	o.max_entry_bytes = max_entry;
	l = l2_new(b, &o);
	redis_url_free(&u);
	cr_assert_not_null(l);
	return l;
}

static struct l2 *
open_l2_on(struct event_base *b, const char *prefix, int64_t timeout_ms, size_t max_entry)
{
	return open_l2_with(b, prefix, timeout_ms, max_entry, NULL, NULL);
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
	bool outdated;
	bool version_null;        /* the version passed was NULL (unknown) */
	char version[VBUF];
	/* Optionally, a call made from inside the callback. */
	struct l2 *reenter;
	bool reenter_result;
};

static void
on_get(const struct l2_hit *hit, const char *version, void *arg)
{
	struct getres *g = arg;

	g->calls++;
	g->hit = hit != NULL;
	g->version_null = version == NULL;
	snprintf(g->version, sizeof(g->version), "%s", version ? version : "");
	if (g->reenter != NULL)
		g->reenter_result = l2_get(g->reenter, "x", 1, NULL, NULL, on_get, g);
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
	g->outdated = hit->outdated;
}

static void
getres_clear(struct getres *g)
{
	free(g->headers);
	if (g->body != NULL)
		evbuffer_free(g->body);
	memset(g, 0, sizeof(*g));
}

/* Gets key (in group and group2, NULL for none) on l and waits for the
 * answer. */
static void
get_groups_wait(struct l2 *l, const char *key, const char *group, const char *group2,
    struct getres *g)
{
	getres_clear(g);
	cr_assert(l2_get(l, key, strlen(key), group, group2, on_get, g), "l2_get refused");
	cr_assert_eq(g->calls, 0, "called back inside l2_get");
	RUN_UNTIL(g->calls > 0, 3000);
	cr_assert_eq(g->calls, 1, "no answer to l2_get");
}

static void
get_group_wait(struct l2 *l, const char *key, const char *group, struct getres *g)
{
	get_groups_wait(l, key, group, NULL, g);
}

static void
get_wait(struct l2 *l, const char *key, struct getres *g)
{
	get_group_wait(l, key, NULL, g);
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

/* DEL name by hand; how many keys went. */
static long long
admin_del(const char *name)
{
	redisReply *rep = admin(NULL, "DEL %s", name);
	long long n;

	cr_assert_eq(rep->type, REDIS_REPLY_INTEGER);
	n = rep->integer;
	freeReplyObject(rep);
	return n;
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

#define V32 "0123456789abcdef0123456789abcdef"

/* SHA-256 hex of ("<ns>\n" if ns is set) + s, s lower-cased when fold: H of
 * an entry key, G of a group, computed here independently of l2.c. */
static void
ns_hash(const char *ns, const char *s, bool fold, char out[65])
{
	static const char hex[] = "0123456789abcdef";
	unsigned char d[SHA256_DIGEST_LENGTH];
	char *buf = util_printf("%s%s%s", ns && *ns ? ns : "", ns && *ns ? "\n" : "", s);

	if (fold)
		for (char *p = buf + strlen(buf) - strlen(s); *p != '\0'; p++)
			*p = (char)tolower((unsigned char)*p);
	SHA256((const unsigned char *)buf, strlen(buf), d);
	free(buf);
	for (size_t i = 0; i < SHA256_DIGEST_LENGTH; i++) {
		out[2 * i] = hex[d[i] >> 4];
		out[2 * i + 1] = hex[d[i] & 15];
	}
	out[64] = '\0';
}

/* "<prefix><kind>:<hash>" for a key (kind 'e' or 'l') or a group ('v'). */
static char *
name_ns(const char *prefix, char kind, const char *ns, const char *s)
{
	char hex[65];

	ns_hash(ns, s, kind == 'v', hex);
	return util_printf("%s%c:%s", prefix, kind, hex);
}

/* A string key's value in Redis (caller frees), or NULL when there is none. */
static char *
redis_string(const char *name)
{
	redisReply *rep = admin(NULL, "GET %s", name);
	char *v = rep->type == REDIS_REPLY_STRING ? util_strndup(rep->str, rep->len) : NULL;

	cr_assert(rep->type == REDIS_REPLY_STRING || rep->type == REDIS_REPLY_NIL);
	freeReplyObject(rep);
	return v;
}

static long long
redis_pttl(const char *name)
{
	redisReply *rep = admin(NULL, "PTTL %s", name);
	long long v;

	cr_assert_eq(rep->type, REDIS_REPLY_INTEGER);
	v = rep->integer;
	freeReplyObject(rep);
	return v;
}

/* One group's version as l2 writes it: L2_VERSION_PART lower-case hex. */
static bool
is_hex32(const char *s)
{
	if (strlen(s) != L2_VERSION_PART)
		return false;
	for (; *s != '\0'; s++)
		if (!((*s >= '0' && *s <= '9') || (*s >= 'a' && *s <= 'f')))
			return false;
	return true;
}

/* What an entry stored in Redis says its version is (caller frees). */
static char *
stored_version(const char *name)
{
	char *blob;
	redisReply *rep = admin(NULL, "GET %s", name);
	struct l2_entry e;

	cr_assert_eq(rep->type, REDIS_REPLY_STRING, "no entry at %s", name);
	cr_assert_eq(l2_decode(rep->str, rep->len, &e), 0);
	blob = util_strdup(e.version);
	l2_entry_clear(&e);
	freeReplyObject(rep);
	return blob;
}

/* Puts key under group and group2 with version and waits for Redis's
 * answer; true when stored, false when superseded. */
static bool
put_groups_wait(struct l2 *l, const char *key, const char *group, const char *group2,
    const char *version, int64_t expire_ms)
{
	struct l2_stats s0 = st(l), s;
	struct evbuffer *body = evbuffer_new();

	evbuffer_add(body, key, strlen(key));
	cr_assert(l2_put(l, key, strlen(key), group, group2, version, 200, NULL, 0, body, "p", 0,
	    60000, expire_ms), "l2_put sent nothing");
	evbuffer_free(body);
	RUN_UNTIL((s = st(l), s.stores + s.superseded + s.errors >
	    s0.stores + s0.superseded + s0.errors), 3000);
	cr_assert_eq(s.errors, s0.errors, "the put failed");
	cr_assert_eq(s.stores + s.superseded, s0.stores + s0.superseded + 1, "no answer to l2_put");
	return s.stores > s0.stores;
}

static bool
put_wait(struct l2 *l, const char *key, const char *group, const char *version,
    int64_t expire_ms)
{
	return put_groups_wait(l, key, group, NULL, version, expire_ms);
}

/* What a request does on a miss: reads key's groups' versions, then puts
 * with them; true when stored. */
static bool
fill_wait(struct l2 *l, const char *key, const char *group, const char *group2,
    int64_t expire_ms)
{
	struct getres g = { 0 };
	char version[VBUF];
	bool stored;

	get_groups_wait(l, key, group, group2, &g);
	cr_assert_not(g.version_null, "no version read for %s", key);
	snprintf(version, sizeof(version), "%s", g.version);
	getres_clear(&g);
	stored = put_groups_wait(l, key, group, group2, version, expire_ms);
	return stored;
}

/* Whether l2_get on group (and group2) is refused for a mark; a get let
 * through is answered before this returns. */
static bool
marked2(struct l2 *l, const char *group, const char *group2)
{
	struct getres g = { 0 };
	uint64_t m = st(l).marked, refused = st(l).refused;

	if (!l2_get(l, "/probe", 6, group, group2, on_get, &g)) {
		cr_assert_eq(st(l).marked, m + 1, "refused, but not for a mark");
		cr_assert_eq(st(l).refused, refused, "a mark counted as refused");
		return true;
	}
	RUN_UNTIL(g.calls > 0, 3000);
	cr_assert_eq(g.calls, 1, "no answer to l2_get");
	getres_clear(&g);
	return false;
}

static bool
marked(struct l2 *l, const char *group)
{
	return marked2(l, group, NULL);
}

/* Invalidates group on l and waits until Redis confirmed it. */
static void
invalidate_wait(struct l2 *l, const char *group)
{
	uint64_t n = st(l).versions_set;

	(void)l2_invalidate(l, group, NULL, NULL);
	RUN_UNTIL(st(l).versions_set > n, 3000);
	cr_assert_eq(st(l).versions_set, n + 1, "the new version was not confirmed");
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
	/* Every bound at its limit: 256 headers, a 64-byte identity, a
	 * 65-byte version (two groups' 32 digits, '.'-joined). */
	blob = l2_encode(key, sizeof(key), 203, h, L2_MAX_HEADERS, body,
	    "0123456789012345678901234567890123456789012345678901234567890123",
	    V32 "." V32, INT64_C(1700000000123), 60000, &len);
	cr_assert_not_null(blob);
	cr_assert_eq(evbuffer_get_length(body), 5000, "the body was drained");
	cr_assert_eq(l2_decode(blob, len, &e), 0);
	cr_assert_eq(e.key_len, sizeof(key));
	cr_assert_eq(memcmp(e.key, key, sizeof(key)), 0);
	cr_assert_eq(e.status, 203);
	cr_assert_eq(e.fetched_at_ms, INT64_C(1700000000123));
	cr_assert_eq(e.ttl_ms, 60000);
	cr_assert_eq(strlen(e.identity), 64);
	cr_assert_str_eq(e.version, V32 "." V32);
	cr_assert(e.version > e.identity && e.version < blob + len, "version not in the blob");
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

	/* Empty: no headers, no body (NULL or an empty buffer), no identity,
	 * no version (NULL or ""). */
	for (int i = 0; i < 2; i++) {
		blob = l2_encode("k", 1, 404, NULL, 0, i ? empty : NULL, NULL, i ? "" : NULL, 0, 0,
		    &len);
		cr_assert_not_null(blob);
		cr_assert_eq(l2_decode(blob, len, &e), 0);
		cr_assert_eq(e.status, 404);
		cr_assert_eq(e.n_headers, 0);
		cr_assert_null(e.headers);
		cr_assert_eq(e.body_len, 0);
		cr_assert_not_null(e.body);
		cr_assert_str_eq(e.identity, "");
		cr_assert_not_null(e.version);
		cr_assert_str_eq(e.version, "");
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
	cr_assert_null(l2_encode("k", 1, 200, h, L2_MAX_HEADERS + 1, NULL, NULL, NULL, 0, 0, &len));
	cr_assert_eq(len, 0);
	cr_assert_null(l2_encode("k", 1, 200, NULL, 0, NULL,
	    "01234567890123456789012345678901234567890123456789012345678901234", NULL, 0, 0,
	    &len));
	/* A version: at most L2_VERSION_MAX (65) bytes, two groups' worth. */
	cr_assert_eq(L2_VERSION_MAX, 65);
	cr_assert_null(l2_encode("k", 1, 200, NULL, 0, NULL, NULL, V32 "." V32 "0", 0, 0, &len));
	cr_assert_eq(len, 0);
	blob = l2_encode("k", 1, 200, NULL, 0, NULL, NULL, V32 "." V32, 0, 0, &len);
	cr_assert_not_null(blob, "a 65-byte version refused");
	free(blob);
	cr_assert_null(l2_encode("k", 0, 200, NULL, 0, NULL, NULL, NULL, 0, 0, &len));
	cr_assert_null(l2_encode("k", 1, 99, NULL, 0, NULL, NULL, NULL, 0, 0, &len));
	cr_assert_null(l2_encode("k", 1, 1000, NULL, 0, NULL, NULL, NULL, 0, 0, &len));
	cr_assert_null(l2_encode("k", 1, 200, NULL, 0, NULL, NULL, NULL, -1, 0, &len));
	cr_assert_null(l2_encode("k", 1, 200, NULL, 0, NULL, NULL, NULL, 0, -1, &len));
	key = calloc(1, L2_MAX_KEY + 1);
	memset(key, 'k', L2_MAX_KEY + 1);
	cr_assert_null(l2_encode(key, L2_MAX_KEY + 1, 200, NULL, 0, NULL, NULL, NULL, 0, 0, &len));
	blob = l2_encode(key, L2_MAX_KEY, 200, NULL, 0, NULL, NULL, NULL, 0, 0, &len);
	cr_assert_not_null(blob);
	free(blob);
	free(key);
	/* A header: name + value up to 64 KiB; a name is never empty. */
	memset(big, 'v', L2_MAX_HEADER + 1);
	big[L2_MAX_HEADER - 1] = '\0';
	one.name = "N";
	one.value = big;
	blob = l2_encode("k", 1, 200, &one, 1, NULL, NULL, NULL, 0, 0, &len);
	cr_assert_not_null(blob, "a header of exactly 64 KiB refused");
	free(blob);
	big[L2_MAX_HEADER - 1] = 'v';
	big[L2_MAX_HEADER] = '\0';
	cr_assert_null(l2_encode("k", 1, 200, &one, 1, NULL, NULL, NULL, 0, 0, &len));
	one.name = "";
	one.value = "v";
	cr_assert_null(l2_encode("k", 1, 200, &one, 1, NULL, NULL, NULL, 0, 0, &len));
	/* A body past 64 MiB, by reference: nothing is copied. */
	for (size_t i = 0; i <= L2_MAX_BODY / (1024 * 1024); i++)
		evbuffer_add_reference(huge, chunk, 1024 * 1024, NULL, NULL);
	cr_assert_gt(evbuffer_get_length(huge), L2_MAX_BODY);
	cr_assert_null(l2_encode("k", 1, 200, NULL, 0, huge, NULL, NULL, 0, 0, &len));
	evbuffer_free(huge);
	free(chunk);
	free(big);
}

/*
 * A small valid blob, and where its fields are:
 *   0 magic  4 format  5 flags  6 status  8 fetched_at  16 ttl
 *   24 key_len  28 key "k/x"  31 identity_len  32 "id\0"
 *   35 version_len  36 "ab\0"  39 n_headers
 *   41 name_len  45 value_len  49 "A\0"  51 "b\0"  53 body_len  57 body "xyz"
 */
#define SMALL_LEN 60
#define SMALL_VERSION_AT 35    /* version_len, then "ab\0": 4 bytes */

static char *
small_blob(size_t *len)
{
	struct cache_header h = { "A", "b" };
	struct evbuffer *body = evbuffer_new();
	char *blob;

	evbuffer_add(body, "xyz", 3);
	blob = l2_encode("k/x", 3, 200, &h, 1, body, "id", "ab", 1000, 2000, len);
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
	{ "format 1 (the v1 layout's byte)", 4, 1, "\x01", 0, 0 },
	{ "format 3", 4, 1, "\x03", 0, 0 },
	{ "format 0", 4, 1, "\x00", 0, 0 },
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
	{ "version over 65 bytes", 35, 1, "\x42", 0, 0 },
	{ "version length past the end", 35, 1, "\xff", 0, 0 },
	{ "version length one short", 35, 1, "\x01", 0, 0 },
	{ "version length one long", 35, 1, "\x03", 0, 0 },
	{ "version unterminated", 38, 1, "!", 0, 0 },
	{ "version with a NUL", 36, 1, "\x00", 0, 0 },
	{ "257 headers", 39, 2, "\x01\x01", 0, 0 },
	{ "65535 headers", 39, 2, "\xff\xff", 0, 0 },
	{ "two headers, one there", 39, 2, "\x00\x02", 0, 0 },
	{ "header name empty", 41, 4, "\x00\x00\x00\x00", 0, 0 },
	{ "header name past the end", 41, 4, "\x00\x00\x10\x00", 0, 0 },
	{ "header name 4 GiB", 41, 4, "\xff\xff\xff\xff", 0, 0 },
	{ "header value 4 GiB", 45, 4, "\xff\xff\xff\xff", 0, 0 },
	{ "header over 64 KiB", 45, 4, "\x00\x01\x00\x00", 0, 0 },
	{ "header name unterminated", 50, 1, "B", 0, 0 },
	{ "header name with a NUL", 49, 1, "\x00", 0, 0 },
	{ "header value unterminated", 52, 1, "c", 0, 0 },
	{ "body length past the end", 53, 4, "\x00\x00\x00\x04", 0, 0 },
	{ "body length short of the end", 53, 4, "\x00\x00\x00\x02", 0, 0 },
	{ "body over 64 MiB", 53, 4, "\x04\x00\x00\x01", 0, 0 },
	{ "body length 4 GiB", 53, 4, "\xff\xff\xff\xff", 0, 0 },
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
	cr_assert_str_eq(e.version, "ab");
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
		cr_assert_null(e.version, "out not zeroed");
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

/* A blob as v1 wrote it (format 1, no version field) is not read as v2. */
Test(l2, codec_rejects_a_v1_blob)
{
	struct l2_entry e;
	size_t len, v1_len;
	char *blob = small_blob(&len), *v1;

	/* v1 is v2 without its version field, and format 1. */
	v1_len = len - 4;
	v1 = malloc(v1_len);
	memcpy(v1, blob, SMALL_VERSION_AT);
	memcpy(v1 + SMALL_VERSION_AT, blob + SMALL_VERSION_AT + 4, len - SMALL_VERSION_AT - 4);
	v1[4] = 1;
	memset(&e, 0xa5, sizeof(e));
	cr_assert_eq(l2_decode(v1, v1_len, &e), -1, "a v1 blob decoded");
	cr_assert_null(e.key, "out not zeroed");
	cr_assert_null(e.headers, "out not zeroed");
	/* Nor with the v2 format byte: the layout is not v2's. */
	v1[4] = 2;
	cr_assert_eq(l2_decode(v1, v1_len, &e), -1, "a v1 layout decoded as v2");
	free(v1);
	free(blob);
}

/* The decoder's bound on the version is the encoder's: a well-framed blob
 * with a 66-byte version (the encoder would not write it) is refused, one
 * with 65 (two groups' versions, '.'-joined) read. */
Test(l2, codec_version_bound)
{
	static const char v65[] = V32 "." V32;
	struct l2_entry e;
	size_t len, at;
	char *blob, *b, *p;

	blob = l2_encode("k", 1, 200, NULL, 0, NULL, "id", v65, 0, 0, &len);
	cr_assert_not_null(blob);
	p = memmem(blob, len, v65, sizeof(v65) - 1);
	cr_assert_not_null(p);
	at = (size_t)(p - blob);
	cr_assert_eq((unsigned char)blob[at - 1], 65, "the version's length byte");
	cr_assert_eq(l2_decode(blob, len, &e), 0);
	cr_assert_str_eq(e.version, v65);
	l2_entry_clear(&e);
	/* The same blob with one more digit, its length byte and NUL in place. */
	b = malloc(len + 1);
	memcpy(b, blob, at);
	b[at - 1] = 66;
	memcpy(b + at, v65, 65);
	b[at + 65] = 'f';
	memcpy(b + at + 66, blob + at + 65, len - at - 65);
	memset(&e, 0xa5, sizeof(e));
	cr_assert_eq(l2_decode(b, len + 1, &e), -1, "a 66-byte version decoded");
	cr_assert_null(e.version, "out not zeroed");
	/* And the blob is otherwise sound: 65 there decodes. */
	b[at - 1] = 65;
	memmove(b + at + 65, b + at + 66, len - at - 65);
	cr_assert_eq(memcmp(b, blob, len), 0);
	cr_assert_eq(l2_decode(b, len, &e), 0);
	l2_entry_clear(&e);
	free(b);
	free(blob);
}

/*
 * Any byte at any offset: decoding never reads outside the blob (ASan
 * checks), and whatever it accepts lies inside it, within its bounds. The
 * version's length byte and its NUL accept nothing but what was written.
 */
Test(l2, codec_any_byte_at_any_offset)
{
	struct l2_entry e;
	size_t len;
	char *blob = small_blob(&len), *b = malloc(len);
	int accepted = 0;

	for (size_t at = 0; at < len; at++) {
		for (int v = 0; v < 256; v++) {
			if ((unsigned char)blob[at] == v)
				continue;
			memcpy(b, blob, len);
			b[at] = (char)v;
			if (l2_decode(b, len, &e) != 0) {
				cr_assert_null(e.key, "out not zeroed");
				continue;
			}
			accepted++;
			cr_assert(at != SMALL_VERSION_AT && at != SMALL_VERSION_AT + 3,
			    "accepted byte %d at %zu, in the version's framing", v, at);
			cr_assert(e.key >= b && e.key + e.key_len <= b + len);
			cr_assert(e.identity >= b && e.identity + strlen(e.identity) < b + len);
			cr_assert(e.version >= b && e.version + strlen(e.version) < b + len);
			cr_assert_leq(strlen(e.identity), L2_MAX_IDENTITY);
			cr_assert_leq(strlen(e.version), L2_VERSION_MAX);
			cr_assert(e.body >= b && e.body + e.body_len == b + len);
			for (size_t i = 0; i < e.n_headers; i++)
				cr_assert(e.headers[i].name >= b && e.headers[i].value < b + len);
			if (at == SMALL_VERSION_AT + 1 || at == SMALL_VERSION_AT + 2)
				cr_assert_neq(strcmp(e.version, "ab"), 0);
			l2_entry_clear(&e);
		}
	}
	/* Some do decode (a fetch time, a key's byte, a version digit): the
	 * test is not vacuous. */
	cr_assert_gt(accepted, 0);
	free(b);
	free(blob);
}

/* ------------------------------------------------------------------------
 * Through Redis
 * ---------------------------------------------------------------------- */

/* The same corruptions stored in Redis: each a miss, each counted once.
 * The small blob's version is "ab": its group's, set by hand, so that the
 * valid blob is a fresh hit through MGET. */
Test(l2, corrupt_entries_are_misses)
{
	const char *key = "k/x", *group = "/g";
	struct l2 *l;
	struct getres g = { 0 };
	struct l2_stats s;
	size_t len, mlen;
	char *blob, *name, *vname, *b;
	uint64_t n = 0;
	redisReply *rep;

	need_server();
	srv_start(0, NULL);
	loop_new();
	l = open_l2_on(base, "t:", 1000, 0);
	wait_ready(l);
	blob = small_blob(&len);
	name = entry_name("t:", 'e', key);
	vname = name_ns("t:", 'v', NULL, group);
	admin_set(vname, "ab", 2);

	admin_set(name, blob, len);
	get_group_wait(l, key, group, &g);
	cr_assert(g.hit, "the valid blob is a miss");
	cr_assert_not(g.outdated);
	cr_assert_str_eq(g.version, "ab");
	cr_assert_str_eq(g.headers, "A: b\n");
	for (size_t cut = 0; cut < len; cut++, n++) {
		admin_set(name, blob, cut);
		get_group_wait(l, key, group, &g);
		cr_assert_not(g.hit, "a blob cut at %zu is a hit", cut);
	}
	for (size_t i = 0; i < sizeof(mutations) / sizeof(mutations[0]); i++, n++) {
		b = mutate(blob, len, &mutations[i], &mlen);
		admin_set(name, b, mlen);
		free(b);
		get_group_wait(l, key, group, &g);
		cr_assert_not(g.hit, "a hit: %s", mutations[i].what);
		cr_assert_str_eq(g.version, "ab");
	}
	s = st(l);
	cr_assert_eq(s.decode_errors, n);
	cr_assert_eq(s.misses, n);
	cr_assert_eq(s.hits, 1);
	cr_assert_eq(s.outdated, 0);
	cr_assert_eq(s.errors, 0);
	/* Not a string at all: MGET reads it as nothing (a miss); GET
	 * refuses it (WRONGTYPE), a lookup error. */
	rep = admin(NULL, "DEL %s", name);
	freeReplyObject(rep);
	rep = admin(NULL, "RPUSH %s a", name);
	freeReplyObject(rep);
	get_group_wait(l, key, group, &g);
	cr_assert_not(g.hit);
	cr_assert_eq(st(l).errors, 0);
	get_wait(l, key, &g);
	cr_assert_not(g.hit);
	cr_assert(g.version_null, "an error, yet a version");
	cr_assert_eq(st(l).errors, 1);
	cr_assert_eq(st(l).lookup_errors, 1);
	/* The blob, read without its group: the version it holds is not
	 * "", so it is outdated (handed over, counted as a miss). */
	admin_set(name, blob, len);
	s = st(l);
	get_wait(l, key, &g);
	cr_assert(g.hit);
	cr_assert(g.outdated);
	cr_assert_str_eq(g.version, "");
	cr_assert_eq(st(l).outdated, s.outdated + 1);
	cr_assert_eq(st(l).misses, s.misses + 1);
	getres_clear(&g);
	free(vname);
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
	blob = l2_encode("/repos/other", 12, 200, NULL, 0, NULL, "x", NULL, 0, 1000, &len);
	name = entry_name("t:", 'e', "/repos/mine");
	admin_set(name, blob, len);
	get_wait(l, "/repos/mine", &g);
	cr_assert_not(g.hit);
	/* The stored key as a prefix of the asked one, and the other way. */
	free(blob);
	blob = l2_encode("/repos/min", 10, 200, NULL, 0, NULL, "x", NULL, 0, 1000, &len);
	admin_set(name, blob, len);
	get_wait(l, "/repos/mine", &g);
	cr_assert_not(g.hit);
	free(blob);
	blob = l2_encode("/repos/mine/", 12, 200, NULL, 0, NULL, "x", NULL, 0, 1000, &len);
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

	cr_assert(l2_put(a, key, strlen(key), NULL, NULL, "", 200, h, 40, body, "pat-1", 1500, 60000,
	    60000));
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
	cr_assert(l2_put(a, "short", 5, NULL, NULL, "", 304, NULL, 0, empty, NULL, 0, 1000, 150));
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
	cr_assert_not(l2_put(a, "big", 3, NULL, NULL, "", 200, NULL, 0, body, "p", 0, 1000, 1000));
	RUN_UNTIL(w.calls > 0, 3000);
	cr_assert_eq(w.calls, 1);
	cr_assert(w.signalled);
	get_wait(b, "big", &g);
	cr_assert_not(g.hit);
	cr_assert_eq(st(a).not_stored, 1);
	/* No expiry: not stored either. */
	cr_assert_not(l2_put(a, "big", 3, NULL, NULL, "", 200, NULL, 0, NULL, "p", 0, 1000, 0));
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
	cr_assert(l2_put(a, "/k", 2, NULL, NULL, "", 200, NULL, 0, body, "p", 0, 1000, 5000));
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
		cr_assert(l2_get(b, "/k", 2, NULL, NULL, on_get, &g[i]));
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
	cr_assert_not(l2_get(b, "/k", 2, NULL, NULL, on_get, &g2));
	cr_assert_not(l2_lock(b, "/k", 2, 1000, on_lock, &lk[0]));
	cr_assert_not(wait_on(b, "/k", 1000, &w2));
	cr_assert_not(l2_put(b, "/k", 2, NULL, NULL, "", 200, NULL, 0, NULL, "p", 0, 1000, 1000));
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
	cr_assert(l2_get(b, "/k", 2, NULL, NULL, on_get, &g[0]));
	cr_assert(l2_get(b, "/k", 2, NULL, NULL, on_get, &g[1]));
	cr_assert(l2_lock(b, "/k", 2, 5000, on_lock, &lk));
	cr_assert(wait_on(b, "/k", 5000, &w[0]));
	l2_put(b, "/k", 2, NULL, NULL, "", 200, NULL, 0, NULL, "p", 0, 1000, 1000);
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
	cr_assert_not(l2_get(l, "/k", 2, NULL, NULL, on_get, NULL));
	l2_free(l);
	redis_url_free(&u);
	free(capture_stop());
	cr_assert_eq(event_base_get_num_events(base, EVENT_BASE_COUNT_ADDED), 1);
	finish();
}

static struct l2 *freed_in_cb;

static void
on_get_free(const struct l2_hit *hit, const char *version, void *arg)
{
	(void)hit;
	(void)version;
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
	cr_assert(l2_get(freed_in_cb, "/k", 2, NULL, NULL, on_get_free, NULL));
	capture_start();
	RUN_FOR(2000);
}


/* ------------------------------------------------------------------------
 * Group versions
 * ---------------------------------------------------------------------- */

/* Two replicas; with no version key a group's version is "", and a put
 * with it gives the group a fresh version (PX 48 h), which the entry
 * carries: stored, then a fresh hit under that version. Read without its
 * group it is outdated (no group's version is "", not its). Without a
 * group only "" goes. */
Test(l2, group_without_a_version)
{
	static const char *key = "/repos/o/r/issues", *group = "/repos/o/r";
	struct l2 *a, *b;
	struct getres g = { 0 };
	struct l2_stats s;
	char *name, *v, *vname = name_ns("t:", 'v', NULL, group), *fresh;

	need_server();
	srv_start(0, NULL);
	loop_new();
	loop_new2();
	a = open_l2_on(base, "t:", 1000, 0);
	b = open_l2_on(base2, "t:", 1000, 0);
	wait_ready(a);
	wait_ready(b);
	get_group_wait(a, key, group, &g);
	cr_assert_not(g.hit);
	cr_assert_not(g.version_null, "no version key is a version: \"\"");
	cr_assert_str_eq(g.version, "");
	cr_assert(put_wait(a, key, group, g.version, 60000), "superseded");
	/* The put gave the group its first version, and the entry carries it. */
	fresh = redis_string(vname);
	cr_assert_not_null(fresh, "the first put set no version key");
	cr_assert(is_hex32(fresh), "version %s", fresh);
	cr_assert_gt(redis_pttl(vname), L2_VERSION_TTL_MS - 60000, "the version's PX");
	name = entry_name("t:", 'e', key);
	v = stored_version(name);
	cr_assert_str_eq(v, fresh);
	free(v);
	get_group_wait(b, key, group, &g);
	cr_assert(g.hit);
	cr_assert_not(g.outdated);
	cr_assert_str_eq(g.version, fresh, "not the version the put set");
	cr_assert_eq(evbuffer_get_length(g.body), strlen(key));
	/* The same entry read without its group: handed over, but outdated
	 * (its version is not ""). */
	get_wait(b, key, &g);
	cr_assert(g.hit);
	cr_assert(g.outdated);
	cr_assert_str_eq(g.version, "");
	s = st(b);
	cr_assert_eq(s.hits, 1);
	cr_assert_eq(s.outdated, 1);
	cr_assert_eq(s.misses, 1);
	cr_assert_eq(s.lookup_errors + s.marked, 0);
	cr_assert_eq(st(a).misses, 1);
	/* Without a group a version is meaningless: only "" is stored. */
	cr_assert_not(l2_put(a, "/nogroup", 8, NULL, NULL, V32, 200, NULL, 0, NULL, "p", 0, 1000, 1000));
	cr_assert_eq(st(a).not_stored, 1);
	get_wait(b, "/nogroup", &g);
	cr_assert_not(g.hit);
	getres_clear(&g);
	free(fresh);
	free(vname);
	free(name);
	l2_free(b);
	l2_free(a);
	finish();
}

/* A write on one replica outdates, for every replica, what its group had
 * stored before; a put with the new version is fresh again; other groups
 * are untouched. */
Test(l2, invalidate_outdates_a_group)
{
	static const char *keys[] = { "/repos/o/r/issues", "/repos/o/r/pulls", "/repos/o/other" };
	static const char *groups[] = { "/repos/o/r", "/repos/o/r", "/repos/o/other" };
	struct getres g = { 0 };
	struct l2 *a, *b;
	struct l2_stats s;
	char *vname, *v, version[VBUF], *ename;

	need_server();
	srv_start(0, NULL);
	loop_new();
	loop_new2();
	a = open_l2_on(base, "ghpool:", 1000, 0);
	b = open_l2_on(base2, "ghpool:", 1000, 0);
	wait_ready(a);
	wait_ready(b);
	for (size_t i = 0; i < 3; i++)
		cr_assert(fill_wait(a, keys[i], groups[i], NULL, 60000));
	get_group_wait(b, keys[0], groups[0], &g);
	cr_assert(g.hit, "stored before the invalidation");
	cr_assert_not(g.outdated);

	invalidate_wait(b, "/repos/o/r");
	vname = name_ns("ghpool:", 'v', NULL, "/repos/o/r");
	v = redis_string(vname);
	cr_assert_not_null(v, "no version key %s", vname);
	cr_assert(is_hex32(v), "version %s", v);
	cr_assert_gt(redis_pttl(vname), L2_VERSION_TTL_MS - 60000, "the version's PX");
	cr_assert_leq(redis_pttl(vname), L2_VERSION_TTL_MS);

	s = st(a);
	get_group_wait(a, keys[0], groups[0], &g);
	cr_assert(g.hit, "an outdated entry is still handed over (for its ETag)");
	cr_assert(g.outdated);
	cr_assert_not(g.version_null);
	cr_assert_str_eq(g.version, v, "the version reported is not Redis's");
	cr_assert_eq(st(a).outdated, s.outdated + 1);
	cr_assert_eq(st(a).misses, s.misses + 1, "outdated is counted in misses");
	cr_assert_eq(st(a).hits, s.hits, "outdated counted as a hit");
	cr_assert_eq(st(a).outdated, 1);
	/* On the writer too, once confirmed. */
	get_group_wait(b, keys[1], groups[1], &g);
	cr_assert(g.hit);
	cr_assert(g.outdated);
	cr_assert_str_eq(g.version, v);
	/* The other group is fresh, under the version its first put set. */
	get_group_wait(a, keys[2], groups[2], &g);
	cr_assert(g.hit);
	cr_assert_not(g.outdated);
	cr_assert(is_hex32(g.version), "version %s", g.version);

	/* Fetched again with the new version: fresh. */
	get_group_wait(a, keys[0], groups[0], &g);
	snprintf(version, sizeof(version), "%s", g.version);
	cr_assert(put_wait(a, keys[0], groups[0], version, 60000));
	ename = entry_name("ghpool:", 'e', keys[0]);
	free(v);
	v = stored_version(ename);
	cr_assert_str_eq(v, version);
	s = st(b);
	get_group_wait(b, keys[0], groups[0], &g);
	cr_assert(g.hit);
	cr_assert_not(g.outdated);
	cr_assert_str_eq(g.version, version);
	cr_assert_eq(st(b).hits, s.hits + 1);
	/* A second write outdates it again. */
	invalidate_wait(a, "/repos/o/r");
	get_group_wait(b, keys[0], groups[0], &g);
	cr_assert(g.outdated);
	cr_assert(is_hex32(g.version));
	cr_assert_str_neq(g.version, version, "a write left the version as it was");
	getres_clear(&g);
	free(v);
	free(vname);
	free(ename);
	l2_free(b);
	l2_free(a);
	finish();
}

/* The race versions exist for: A reads (version v0) and fetches; a write
 * on another replica B lands meanwhile; A's put with v0 stores nothing,
 * but still frees A's lock and wakes B's waiters. Twice: with no version
 * key at first, then with one. */
Test(l2, put_racing_a_write_is_superseded)
{
	static const char *key = "/repos/o/r/pulls/1", *group = "/repos/o/r";
	struct l2 *a, *b;
	struct getres g = { 0 };
	struct waitres w;
	char v0[VBUF], older[VBUF];
	char *ename = entry_name("t:", 'e', key), *stored;

	need_server();
	srv_start(0, NULL);
	loop_new();
	loop_new2();
	a = open_l2_on(base, "t:", 1000, 0);
	b = open_l2_on(base2, "t:", 1000, 0);
	wait_ready(a);
	wait_ready(b);
	for (int round = 0; round < 2; round++) {
		uint64_t superseded = st(a).superseded, stores = st(a).stores;

		get_group_wait(a, key, group, &g);
		snprintf(v0, sizeof(v0), "%s", g.version);
		if (round == 0) {
			cr_assert_not(g.hit);
			cr_assert_str_eq(v0, "");
		} else {
			cr_assert(g.hit && g.outdated);
			cr_assert(is_hex32(v0), "version %s", v0);
		}
		cr_assert_eq(lock_wait(a, key, 5000), L2_LOCK_ACQUIRED);
		cr_assert_eq(lock_wait(b, key, 5000), L2_LOCK_HELD);
		cr_assert(wait_on(b, key, 3000, &w));
		/* The write, on the other replica, confirmed before A's put. */
		invalidate_wait(b, group);
		cr_assert_not(put_wait(a, key, group, v0, 60000), "stored over a write");
		cr_assert_eq(st(a).superseded, superseded + 1);
		cr_assert_eq(st(a).stores, stores);
		cr_assert_eq(st(a).not_stored, 0);
		/* The fill was still announced, and the lock released. */
		RUN_UNTIL(w.calls > 0, 3000);
		cr_assert_eq(w.calls, 1);
		cr_assert(w.signalled, "the superseded put left the waiter waiting");
		cr_assert_eq(lock_wait(b, key, 5000), L2_LOCK_ACQUIRED, "the lock was kept");
		l2_unlock(b, key, strlen(key));
		cr_assert(lock_gone_within("t:", key, 2000));
		/* Nothing of the fetch in Redis: absent at first, the older
		 * entry after. */
		if (round == 0) {
			stored = redis_string(ename);
			cr_assert_null(stored, "the superseded put stored");
			/* Now an entry with the current version, for round 1,
			 * which then starts from a version, not "". */
			get_group_wait(a, key, group, &g);
			cr_assert(is_hex32(g.version));
			snprintf(older, sizeof(older), "%s", g.version);
			cr_assert(put_wait(a, key, group, older, 60000));
			invalidate_wait(b, group);
		} else {
			stored = stored_version(ename);
			cr_assert_str_eq(stored, older, "the superseded put replaced the entry");
		}
		free(stored);
	}
	getres_clear(&g);
	free(ename);
	l2_free(b);
	l2_free(a);
	finish();
}

/* Two workers of one process share marks: a write through A is refused by
 * B's gets of its group until Redis has confirmed it, and only that group. */
Test(l2, marks_shared_by_workers)
{
	static const char *group = "/repos/o/r";
	struct l2_marks *marks = l2_marks_new();
	struct l2 *a, *b;
	struct getres g = { 0 }, other = { 0 }, plain = { 0 };

	need_server();
	srv_start(0, NULL);
	loop_new();
	a = open_l2_with(base, "t:", 1000, 0, NULL, marks);
	b = open_l2_with(base, "t:", 1000, 0, NULL, marks);
	wait_ready(a);
	wait_ready(b);
	(void)l2_invalidate(a, group, NULL, NULL);
	/* Before the loop ran: nothing can have been confirmed. */
	cr_assert_not(l2_get(b, "/repos/o/r/issues", 17, group, NULL, on_get, &g),
	    "a marked group read from Redis");
	cr_assert_eq(st(b).marked, 1);
	cr_assert_eq(st(b).refused, 0, "a marked group counted as refused");
	cr_assert_not(l2_get(a, "/repos/o/r/issues", 17, "/REPOS/O/R", NULL, on_get, &g),
	    "the mark is case-sensitive");
	cr_assert_eq(st(a).marked, 1);
	/* Another group, and no group at all, are not affected. */
	cr_assert(l2_get(b, "/repos/o/other/x", 16, "/repos/o/other", NULL, on_get, &other));
	cr_assert(l2_get(b, "/repos/o/r/issues", 17, NULL, NULL, on_get, &plain));
	cr_assert_eq(g.calls, 0);
	RUN_UNTIL(st(a).versions_set == 1 && other.calls == 1 && plain.calls == 1, 3000);
	cr_assert_eq(st(a).versions_set, 1);
	cr_assert_eq(other.calls, 1);
	cr_assert_eq(plain.calls, 1);
	cr_assert_eq(g.calls, 0, "a refused get called back");
	/* Confirmed: B reads the group again, and sees the new version. */
	get_group_wait(b, "/repos/o/r/issues", group, &g);
	cr_assert_not(g.hit);
	cr_assert(is_hex32(g.version), "version %s", g.version);
	cr_assert_eq(st(b).marked, 1);
	cr_assert_eq(st(b).versions_set, 0, "counted on the worker that wrote");
	getres_clear(&g);
	getres_clear(&other);
	getres_clear(&plain);
	l2_free(b);
	l2_free(a);
	l2_marks_free(marks);
	l2_marks_free(NULL);
	finish();
}

struct told {
	int calls;
	bool confirmed;
};

static void
on_told(bool confirmed, void *arg)
{
	struct told *t = arg;

	t->calls++;
	t->confirmed = confirmed;
}

static int
told_calls(const struct told *t, int n)
{
	int calls = 0;

	for (int i = 0; i < n; i++)
		calls += t[i].calls;
	return calls;
}

/* The writer hears once how the first try went, never from inside the
 * call: confirmed on a live server; not, within the deadline, on a paused
 * one (the retry that follows is nobody's wait); not, at l2_free. */
Test(l2, invalidate_tells_the_writer_once)
{
	struct l2 *a;
	struct told t = { 0 }, paused = { 0 }, freed = { 0 };
	int64_t t0;

	need_server();
	srv_start(0, NULL);
	loop_new();
	a = open_l2_on(base, "t:", 80, 0);
	wait_ready(a);
	cr_assert(l2_invalidate(a, "/repos/o/r", on_told, &t));
	cr_assert_eq(t.calls, 0, "told inside the call");
	RUN_UNTIL(t.calls > 0, 3000);
	cr_assert_eq(t.calls, 1);
	cr_assert(t.confirmed);
	cr_assert_eq(st(a).versions_set, 1);

	srv_stop();
	t0 = util_mono_ms();
	cr_assert(l2_invalidate(a, "/repos/o/s", on_told, &paused));
	RUN_UNTIL(paused.calls > 0, 3000);
	cr_assert_eq(paused.calls, 1);
	cr_assert_not(paused.confirmed);
	cr_assert_lt(util_mono_ms() - t0, 1000, "the writer waited past the deadline");
	/* The link is down now: nothing can be sent, nobody will be told. */
	cr_assert_not(l2_invalidate(a, "/repos/o/t", on_told, &freed));
	srv_cont();
	RUN_UNTIL(st(a).versions_set >= 3, 5000);
	cr_assert_eq(st(a).versions_set, 3, "the unheard versions were not retried");
	cr_assert_eq(paused.calls, 1, "a retry told the writer again");
	cr_assert_eq(freed.calls, 0, "told after refusing");

	/* Still in flight at l2_free: told, not confirmed. */
	memset(&freed, 0, sizeof(freed));
	cr_assert(l2_invalidate(a, "/repos/o/u", on_told, &freed));
	l2_free(a);
	cr_assert_eq(freed.calls, 1);
	cr_assert_not(freed.confirmed);
	finish();
}

/* Two l2 with their own marks (two processes) do not see each other's. */
Test(l2, marks_are_per_process_by_default)
{
	struct l2 *a, *b;
	struct getres g = { 0 };

	need_server();
	srv_start(0, NULL);
	loop_new();
	a = open_l2_on(base, "t:", 1000, 0);
	b = open_l2_on(base, "t:", 1000, 0);
	wait_ready(a);
	wait_ready(b);
	(void)l2_invalidate(a, "/repos/o/r", NULL, NULL);
	cr_assert_not(l2_get(a, "/k", 2, "/repos/o/r", NULL, on_get, &g));
	cr_assert(l2_get(b, "/k", 2, "/repos/o/r", NULL, on_get, &g), "another l2's mark");
	RUN_UNTIL(g.calls == 1 && st(a).versions_set == 1, 3000);
	cr_assert_eq(g.calls, 1);
	cr_assert_eq(st(b).marked, 0);
	getres_clear(&g);
	l2_free(b);
	l2_free(a);
	finish();
}

/* A version that could not be set (the server paused: no answer within
 * the deadline) keeps its group marked and is set once the server is back. */
Test(l2, version_retried_after_a_pause)
{
	static const char *group = "/repos/Octo/Retry";
	struct l2 *a;
	struct getres g = { 0 };
	struct l2_stats s;
	char *vname = name_ns("t:", 'v', NULL, group), *v;

	need_server();
	srv_start(0, NULL);
	loop_new();
	a = open_l2_on(base, "t:", 80, 0);
	wait_ready(a);
	srv_stop();
	(void)l2_invalidate(a, group, NULL, NULL);
	/* Past the command's deadline and a retry's period: still marked. */
	RUN_FOR(400);
	s = st(a);
	cr_assert_eq(s.versions_set, 0);
	cr_assert_geq(s.errors, 1, "the SET did not fail");
	cr_assert_not(l2_get(a, "/k", 2, group, NULL, on_get, &g), "unconfirmed, yet unmarked");
	srv_cont();
	RUN_UNTIL(st(a).versions_set >= 1, 3000);
	s = st(a);
	cr_assert_eq(s.versions_set, 1);
	cr_assert_geq(s.version_retries, 1);
	get_group_wait(a, "/k", group, &g);
	v = redis_string(vname);
	cr_assert_not_null(v, "no %s in Redis", vname);
	cr_assert(is_hex32(v), "version %s", v);
	cr_assert_str_eq(g.version, v);
	cr_assert_gt(redis_pttl(vname), L2_VERSION_TTL_MS - 60000);
	free(v);
	free(vname);
	getres_clear(&g);
	l2_free(a);
	finish();
}

/* The same with the server gone: the write comes while the link is down,
 * and the version is set once a server is back on the port. */
Test(l2, version_retried_after_a_restart)
{
	static const char *group = "/repos/o/restart";
	struct l2 *a;
	struct getres g = { 0 };
	struct l2_stats s;
	char *vname = name_ns("t:", 'v', NULL, group), *v;
	int port;

	need_server();
	srv_start(0, NULL);
	port = srv_port;
	loop_new();
	a = open_l2_on(base, "t:", 100, 0);
	wait_ready(a);
	srv_kill();
	RUN_UNTIL(!l2_up(a), 2000);
	cr_assert_not(l2_up(a));
	/* Two writes while down: one retry settles both (one new version
	 * outdates all before it), or the group would stay marked. */
	cr_assert_not(l2_invalidate(a, group, NULL, NULL));
	cr_assert_not(l2_invalidate(a, group, NULL, NULL));
	RUN_FOR(300);
	cr_assert_eq(st(a).versions_set, 0);
	srv_start(port, NULL);
	/* The first turn the link is up, before any retry could have been
	 * answered: still marked. */
	RUN_UNTIL(l2_up(a), 3000);
	cr_assert(l2_up(a));
	cr_assert_eq(st(a).versions_set, 0);
	cr_assert_not(l2_get(a, "/k", 2, group, NULL, on_get, &g), "up, unconfirmed, yet unmarked");
	cr_assert_eq(st(a).marked, 1);
	RUN_UNTIL(st(a).versions_set >= 1, 3000);
	RUN_FOR(300);   /* past another retry's period: nothing more is sent */
	s = st(a);
	cr_assert_eq(s.versions_set, 1, "the two writes' retries were not merged");
	cr_assert_eq(s.version_retries, 1);
	cr_assert_eq(s.versions_failed, 0);
	wait_ready(a);
	get_group_wait(a, "/k", group, &g);
	v = redis_string(vname);
	cr_assert_not_null(v, "no %s in Redis", vname);
	cr_assert(is_hex32(v));
	cr_assert_str_eq(g.version, v);
	free(v);
	free(vname);
	getres_clear(&g);
	l2_free(a);
	finish();
}

/* A version Redis refused (here: out of memory, writes denied) is retried
 * every 250 ms while the link is up, each refusal counted, its group marked
 * all along (for this worker and those sharing its marks); once Redis
 * takes writes again the retry lands and the group is unmarked. (Given up
 * after 40 refusals in a row: 10 s, too slow here; the give-up itself is
 * tested past 1024 groups.) */
Test(l2, version_refused_is_retried_until_taken)
{
	static const char *group = "/repos/o/r";
	struct l2_marks *marks = l2_marks_new();
	struct l2 *a, *b;
	struct getres g = { 0 };
	struct told t = { 0 };
	struct l2_stats s;
	char *vname = name_ns("t:", 'v', NULL, group), *v;
	redisReply *rep;

	need_server();
	srv_start(0, NULL);
	loop_new();
	a = open_l2_with(base, "t:", 1000, 0, NULL, marks);
	b = open_l2_with(base, "t:", 1000, 0, NULL, marks);
	wait_ready(a);
	wait_ready(b);
	rep = admin(NULL, "CONFIG SET maxmemory-policy noeviction");
	freeReplyObject(rep);
	rep = admin(NULL, "CONFIG SET maxmemory 1");
	freeReplyObject(rep);
	cr_assert(l2_invalidate(a, group, on_told, &t));
	RUN_UNTIL(t.calls > 0, 2000);
	cr_assert_eq(t.calls, 1);
	cr_assert_not(t.confirmed, "a refused version told as confirmed");
	/* Refused again and again, and retried. */
	RUN_UNTIL(st(a).version_retries >= 2 && st(a).errors >= 3, 1500);
	s = st(a);
	cr_assert_geq(s.version_retries, 2, "a refused version was not retried");
	cr_assert_geq(s.errors, 3);
	cr_assert_leq(s.errors, s.version_retries + 1, "more refusals than tries");
	cr_assert_eq(s.versions_set, 0);
	cr_assert_eq(s.versions_failed, 0, "given up on after %llu errors",
	    (unsigned long long)s.errors);
	cr_assert_eq(t.calls, 1, "a retry told the writer again");
	cr_assert(marked(a, group), "refused, yet unmarked");
	cr_assert(marked(b, group), "refused, yet unmarked for the other worker");
	cr_assert_null(v = redis_string(vname), "a refused SET stored %s", v);
	/* Other groups are not marked. */
	cr_assert_not(marked(b, "/repos/o/s"));
	/* Redis takes writes again: the next retry lands, the group is free. */
	rep = admin(NULL, "CONFIG SET maxmemory 0");
	freeReplyObject(rep);
	RUN_UNTIL(st(a).versions_set >= 1, 1000);
	s = st(a);
	cr_assert_eq(s.versions_set, 1, "the retry did not land");
	cr_assert_eq(s.versions_failed, 0);
	cr_assert_not(marked(a, group), "confirmed, yet marked");
	cr_assert_not(marked(b, group), "confirmed, yet marked for the other worker");
	v = redis_string(vname);
	cr_assert_not_null(v, "no %s in Redis", vname);
	cr_assert(is_hex32(v), "version %s", v);
	get_group_wait(b, "/k", group, &g);
	cr_assert_str_eq(g.version, v);
	/* Nothing more is sent for it (past a retry's period). */
	RUN_FOR(270);
	cr_assert_eq(st(a).version_retries, s.version_retries, "retried after it landed");
	cr_assert_eq(st(a).versions_set, 1);
	/* And writes work as ever. */
	invalidate_wait(a, "/repos/o/s");
	invalidate_wait(a, group);
	cr_assert_eq(t.calls, 1);
	free(v);
	free(vname);
	getres_clear(&g);
	l2_free(b);
	l2_free(a);
	l2_marks_free(marks);
	finish();
}

/* A version given up on (here: past 1024 groups waiting on one worker,
 * Redis paused) is counted and logged once until a version lands; its group
 * stays marked, held past the confirmation of the others, until a later
 * write of it is confirmed. */
Test(l2, version_given_up_past_1024_groups)
{
	enum { N = 1024 + 2 };
	struct l2 *a;
	struct told t[N];
	struct l2_stats s;
	char group[64], *logs;

	need_server();
	srv_start(0, NULL);
	loop_new();
	a = open_l2_on(base, "t:", 80, 0);
	wait_ready(a);
	memset(t, 0, sizeof(t));
	srv_stop();
	capture_start();
	for (int i = 0; i < N; i++) {
		snprintf(group, sizeof(group), "/repos/o/r%d", i);
		cr_assert(l2_invalidate(a, group, on_told, &t[i]), "write %d not sent", i);
	}
	RUN_UNTIL(told_calls(t, N) == N, 1000);
	cr_assert_eq(told_calls(t, N), N);
	s = st(a);
	cr_assert_eq(s.versions_failed, 2, "given up on: %llu",
	    (unsigned long long)s.versions_failed);
	cr_assert_eq(s.versions_set, 0);
	srv_cont();
	RUN_UNTIL(st(a).versions_set >= 1024, 1500);
	logs = capture_stop();
	s = st(a);
	cr_assert_eq(s.versions_set, 1024);
	cr_assert_eq(s.version_retries, 1024);
	cr_assert_eq(s.versions_failed, 2);
	cr_assert_eq(count(logs, "could not be set (too many groups waiting)"), 1, "logs:\n%s",
	    logs);
	free(logs);
	/* The first 1024 landed; the last two stay marked. */
	cr_assert_not(marked(a, "/repos/o/r0"));
	cr_assert_not(marked(a, "/repos/o/r1023"));
	cr_assert(marked(a, "/repos/o/r1024"), "given up on, yet unmarked");
	cr_assert(marked(a, "/repos/o/r1025"), "given up on, yet unmarked");
	/* A later write of it, confirmed, outdates what the lost one should
	 * have: unmarked. */
	invalidate_wait(a, "/repos/o/r1024");
	cr_assert_not(marked(a, "/repos/o/r1024"));
	cr_assert(marked(a, "/repos/o/r1025"));
	l2_free(a);
	finish();
}

/* Namespaces: the same prefix, two GitHubs; a namespace is mixed into
 * every entry's and group's hash. No namespace (NULL or ""): H is
 * l2_key_hash. */
Test(l2, namespaces_part_one_redis)
{
	static const char *key = "/repos/o/r/issues", *group = "/repos/o/r";
	static const char *ns1 = "https://api.github.com", *ns2 = "https://ghe.example/api/v3";
	struct l2 *n1, *n2, *n1b, *plain, *empty;
	struct getres g = { 0 };
	char *name, *v, hex[65];
	redisReply *rep;

	need_server();
	srv_start(0, NULL);
	loop_new();
	loop_new2();
	n1 = open_l2_with(base, "t:", 1000, 0, ns1, NULL);
	n2 = open_l2_with(base2, "t:", 1000, 0, ns2, NULL);
	n1b = open_l2_with(base2, "t:", 1000, 0, ns1, NULL);
	plain = open_l2_with(base, "t:", 1000, 0, NULL, NULL);
	empty = open_l2_with(base2, "t:", 1000, 0, "", NULL);
	wait_ready(n1);
	wait_ready(n2);
	wait_ready(n1b);
	wait_ready(plain);
	wait_ready(empty);
	cr_assert(put_wait(n1, key, group, "", 60000));
	get_group_wait(n2, key, group, &g);
	cr_assert_not(g.hit, "another namespace's entry");
	get_group_wait(plain, key, group, &g);
	cr_assert_not(g.hit, "a namespaced entry read without one");
	get_group_wait(n1b, key, group, &g);
	cr_assert(g.hit, "the same namespace on another replica");
	cr_assert_not(g.outdated);
	/* Where it is: P e:SHA-256("<ns>\n<key>"). */
	name = name_ns("t:", 'e', ns1, key);
	rep = admin(NULL, "EXISTS %s", name);
	cr_assert_eq(rep->integer, 1, "no %s", name);
	freeReplyObject(rep);
	free(name);
	/* A write in one namespace leaves the other's group alone. */
	invalidate_wait(n2, group);
	name = name_ns("t:", 'v', ns2, group);
	rep = admin(NULL, "EXISTS %s", name);
	cr_assert_eq(rep->integer, 1, "no %s", name);
	freeReplyObject(rep);
	free(name);
	get_group_wait(n1b, key, group, &g);
	cr_assert(g.hit);
	cr_assert_not(g.outdated, "a write in another namespace outdated it");
	cr_assert(is_hex32(g.version), "version %s", g.version);
	name = name_ns("t:", 'v', ns1, group);
	v = redis_string(name);
	cr_assert_not_null(v, "n1's first put set no %s", name);
	cr_assert_str_eq(g.version, v);
	free(v);
	free(name);
	invalidate_wait(n1, group);
	get_group_wait(n1b, key, group, &g);
	cr_assert(g.outdated);

	/* No namespace: P e:<l2_key_hash(key)>, and "" is none too. */
	cr_assert(put_wait(plain, key, NULL, "", 60000));
	l2_key_hash(key, strlen(key), hex);
	name = util_printf("t:e:%s", hex);
	rep = admin(NULL, "EXISTS %s", name);
	cr_assert_eq(rep->integer, 1, "no %s", name);
	freeReplyObject(rep);
	free(name);
	get_wait(empty, key, &g);
	cr_assert(g.hit, "namespace \"\" is not none");
	/* Read without its group, n1's entry: still there, outdated (it
	 * carries its group's version, not ""). */
	get_wait(n1b, key, &g);
	cr_assert(g.hit, "n1's entry is gone");
	cr_assert(g.outdated);
	getres_clear(&g);
	l2_free(empty);
	l2_free(plain);
	l2_free(n1b);
	l2_free(n2);
	l2_free(n1);
	finish();
}

/* Owner and repository have no case: nor has a group. */
Test(l2, groups_ignore_case)
{
	static const char *key = "/repos/octo/hello/issues";
	struct l2 *a, *b;
	struct getres g = { 0 };
	char *vname, *v;

	need_server();
	srv_start(0, NULL);
	loop_new();
	loop_new2();
	a = open_l2_on(base, "t:", 1000, 0);
	b = open_l2_on(base2, "t:", 1000, 0);
	wait_ready(a);
	wait_ready(b);
	cr_assert(put_wait(a, key, "/repos/octo/hello", "", 60000));
	invalidate_wait(b, "/repos/Octo/Hello");
	get_group_wait(a, key, "/repos/octo/hello", &g);
	cr_assert(g.hit);
	cr_assert(g.outdated, "a write in other case missed the group");
	vname = name_ns("t:", 'v', NULL, "/repos/octo/hello");
	v = redis_string(vname);
	cr_assert_not_null(v, "G is not the hash of the lower-cased group");
	cr_assert_str_eq(g.version, v);
	get_group_wait(b, key, "/REPOS/OCTO/HELLO", &g);
	cr_assert(g.outdated);
	cr_assert_str_eq(g.version, v);
	free(v);
	free(vname);
	getres_clear(&g);
	l2_free(b);
	l2_free(a);
	finish();
}

/* A version in Redis that l2 did not write (not lower-case hex, or too
 * long, or two parts in one key) is unknown: NULL, every entry outdated,
 * and a put with it stores nothing but still frees the lock and wakes the
 * waiters. */
Test(l2, foreign_version_is_unknown)
{
	static const char *key = "/repos/o/r/x", *group = "/repos/o/r";
	static const char *bad[] = { "not-hex!", "ABCDEF", V32 "0", "12 34", "ab.cd", "." };
	struct l2 *a, *b;
	struct getres g = { 0 };
	struct waitres w;
	char *vname = name_ns("t:", 'v', NULL, group), *ename = entry_name("t:", 'e', key);
	char *first;

	need_server();
	srv_start(0, NULL);
	loop_new();
	loop_new2();
	a = open_l2_on(base, "t:", 1000, 0);
	b = open_l2_on(base2, "t:", 1000, 0);
	wait_ready(a);
	wait_ready(b);
	cr_assert(put_wait(a, key, group, "", 60000));
	first = stored_version(ename);
	cr_assert(is_hex32(first), "version %s", first);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		admin_set(vname, bad[i], strlen(bad[i]));
		get_group_wait(a, key, group, &g);
		cr_assert(g.version_null, "version \"%s\" passed as \"%s\"", bad[i], g.version);
		cr_assert(g.hit);
		cr_assert(g.outdated, "fresh under version \"%s\"", bad[i]);
		cr_assert_eq(st(a).lookup_errors, 0);
	}
	/* What l2 would write itself is taken as it is. */
	admin_set(vname, V32, 32);
	get_group_wait(a, key, group, &g);
	cr_assert_not(g.version_null);
	cr_assert_str_eq(g.version, V32);

	/* A put with NULL: nothing stored, the lock freed, the fill sent. */
	admin_set(vname, "not-hex!", 8);
	cr_assert_eq(lock_wait(a, "/new", 5000), L2_LOCK_ACQUIRED);
	cr_assert(wait_on(b, "/new", 3000, &w));
	cr_assert_not(l2_put(a, "/new", 4, group, NULL, NULL, 200, NULL, 0, NULL, "p", 0, 1000, 60000));
	cr_assert_eq(st(a).not_stored, 1);
	RUN_UNTIL(w.calls > 0, 3000);
	cr_assert(w.signalled);
	cr_assert_eq(lock_wait(b, "/new", 5000), L2_LOCK_ACQUIRED, "the lock was kept");
	get_group_wait(b, "/new", group, &g);
	cr_assert_not(g.hit);
	/* Nor over an existing entry: it still holds the first put's version. */
	cr_assert_not(l2_put(a, key, strlen(key), group, NULL, NULL, 201, NULL, 0, NULL, "p", 0, 1000,
	    60000));
	RUN_FOR(20);
	free(vname);
	vname = stored_version(ename);
	cr_assert_str_eq(vname, first);
	cr_assert_eq(st(a).stores, 1);
	cr_assert_eq(st(a).not_stored, 2);
	/* A put with a version l2 could not have read: refused too. */
	cr_assert_not(l2_put(a, key, strlen(key), group, NULL, "not-hex!", 200, NULL, 0, NULL, "p", 0,
	    1000, 60000));
	cr_assert_eq(st(a).not_stored, 3);
	getres_clear(&g);
	free(first);
	free(vname);
	free(ename);
	l2_free(b);
	l2_free(a);
	finish();
}

/* l2_free with a lock still held (a fetch cut short by shutdown) releases
 * it and announces the key: the other replica neither waits out its wait
 * nor the lock's PX. */
Test(l2, free_releases_held_locks)
{
	struct l2 *a, *b;
	struct waitres w, other;
	int64_t t0;

	need_server();
	srv_start(0, NULL);
	loop_new();
	loop_new2();
	a = open_l2_on(base, "t:", 1000, 0);
	b = open_l2_on(base2, "t:", 1000, 0);
	wait_ready(a);
	wait_ready(b);
	cr_assert_eq(lock_wait(a, "/k", 60000), L2_LOCK_ACQUIRED);
	cr_assert_eq(lock_wait(a, "/j", 60000), L2_LOCK_ACQUIRED);
	cr_assert_eq(lock_wait(b, "/k", 60000), L2_LOCK_HELD);
	cr_assert(wait_on(b, "/k", 5000, &w));
	cr_assert(wait_on(b, "/j", 5000, &other));
	t0 = util_mono_ms();
	l2_free(a);
	RUN_UNTIL(w.calls > 0 && other.calls > 0, 3000);
	cr_assert_eq(w.calls, 1);
	cr_assert(w.signalled, "l2_free did not announce its lock");
	cr_assert(other.signalled);
	cr_assert_lt(w.at_ms - t0, 1000);
	cr_assert(lock_gone_within("t:", "/k", 1000), "l2_free left its lock");
	cr_assert(lock_gone_within("t:", "/j", 1000), "l2_free left its lock");
	cr_assert_eq(lock_wait(b, "/k", 5000), L2_LOCK_ACQUIRED);
	l2_free(b);
	finish();
}

/* No entry outlives the version that may outdate it: expire_ms is capped
 * at L2_VERSION_TTL_MS, with a group or without. */
Test(l2, expiry_capped_at_the_version_ttl)
{
	struct l2 *a;
	char *name;
	long long pttl;
	const int64_t days100 = INT64_C(100) * 24 * 3600 * 1000;

	need_server();
	srv_start(0, NULL);
	loop_new();
	a = open_l2_on(base, "t:", 1000, 0);
	wait_ready(a);
	for (int grouped = 0; grouped < 2; grouped++) {
		const char *key = grouped ? "/grouped" : "/plain";

		cr_assert(put_wait(a, key, grouped ? "/repos/o/r" : NULL, "", days100));
		name = entry_name("t:", 'e', key);
		pttl = redis_pttl(name);
		cr_assert_leq(pttl, L2_VERSION_TTL_MS, "PTTL %lld", pttl);
		cr_assert_gt(pttl, L2_VERSION_TTL_MS - 60000, "PTTL %lld", pttl);
		free(name);
	}
	/* Below the cap, as asked (the group has its version now). */
	cr_assert(fill_wait(a, "/short", "/repos/o/r", NULL, 5000));
	name = entry_name("t:", 'e', "/short");
	pttl = redis_pttl(name);
	cr_assert(pttl > 0 && pttl <= 5000, "PTTL %lld", pttl);
	free(name);
	l2_free(a);
	finish();
}

/* ------------------------------------------------------------------------
 * Two groups per entry
 * ---------------------------------------------------------------------- */

/* "<a>.<b>" into out. */
static void
join2(char out[VBUF], const char *a, const char *b)
{
	snprintf(out, VBUF, "%s.%s", a, b);
}

/* An entry in two groups (a repository read by id, and by name): a first
 * put sets both groups' versions and carries both; a write to either
 * outdates it; a put with the new pair is fresh again. Read with one of
 * its groups only, or the two the other way round, it is outdated, never a
 * crash. A version with the wrong number of parts is not stored. */
Test(l2, two_groups_each_outdates)
{
	static const char *key = "/repositories/42/issues";
	static const char *A = "/repositories/42", *B = "/repos/o/r";
	struct l2 *a, *b;
	struct getres g = { 0 };
	struct l2_stats s;
	char *va = name_ns("t:", 'v', NULL, A), *vb = name_ns("t:", 'v', NULL, B);
	char *ename = entry_name("t:", 'e', key), *ha, *hb, *ha2, *hb2, *sv;
	char both[VBUF], version[VBUF];
	static const char *wrong[] = { "", V32, "." V32 ".", V32 "." V32 "." V32, "..",
	    V32 "x." V32, "ABC.def", V32 "0." V32 };

	need_server();
	srv_start(0, NULL);
	loop_new();
	loop_new2();
	a = open_l2_on(base, "t:", 1000, 0);
	b = open_l2_on(base2, "t:", 1000, 0);
	wait_ready(a);
	wait_ready(b);

	/* Neither group has a version: "." (two empty parts). */
	get_groups_wait(a, key, A, B, &g);
	cr_assert_not(g.hit);
	cr_assert_not(g.version_null);
	cr_assert_str_eq(g.version, ".");
	cr_assert(put_groups_wait(a, key, A, B, ".", 60000), "superseded");
	ha = redis_string(va);
	hb = redis_string(vb);
	cr_assert(ha != NULL && is_hex32(ha), "group A's version %s", ha ? ha : "(none)");
	cr_assert(hb != NULL && is_hex32(hb), "group B's version %s", hb ? hb : "(none)");
	cr_assert_str_neq(ha, hb, "one fresh version for two groups");
	cr_assert_gt(redis_pttl(va), L2_VERSION_TTL_MS - 60000);
	cr_assert_gt(redis_pttl(vb), L2_VERSION_TTL_MS - 60000);
	join2(both, ha, hb);
	sv = stored_version(ename);
	cr_assert_str_eq(sv, both);
	free(sv);

	/* Another replica: a fresh hit, reported as "<A>.<B>". */
	s = st(b);
	get_groups_wait(b, key, A, B, &g);
	cr_assert(g.hit);
	cr_assert_not(g.outdated);
	cr_assert_str_eq(g.version, both);
	cr_assert_eq(st(b).hits, s.hits + 1);

	/* One of its groups only: a mismatch, outdated; group2 alone counts
	 * as one group. The other order: another version, outdated. */
	get_groups_wait(b, key, A, NULL, &g);
	cr_assert(g.hit);
	cr_assert(g.outdated);
	cr_assert_str_eq(g.version, ha);
	get_groups_wait(b, key, NULL, A, &g);
	cr_assert(g.hit);
	cr_assert(g.outdated);
	cr_assert_str_eq(g.version, ha);
	get_groups_wait(b, key, B, NULL, &g);
	cr_assert(g.outdated);
	cr_assert_str_eq(g.version, hb);
	get_groups_wait(b, key, B, A, &g);
	cr_assert(g.hit);
	cr_assert(g.outdated);
	join2(version, hb, ha);
	cr_assert_str_eq(g.version, version);
	get_wait(b, key, &g);
	cr_assert(g.hit);
	cr_assert(g.outdated);
	cr_assert_str_eq(g.version, "");

	/* A write to A outdates it. */
	invalidate_wait(b, A);
	ha2 = redis_string(va);
	cr_assert(ha2 != NULL && is_hex32(ha2));
	cr_assert_str_neq(ha2, ha);
	get_groups_wait(a, key, A, B, &g);
	cr_assert(g.hit);
	cr_assert(g.outdated, "a write to its first group left it fresh");
	join2(version, ha2, hb);
	cr_assert_str_eq(g.version, version);
	/* Fetched again with the new pair: fresh, both versions kept. */
	cr_assert(put_groups_wait(a, key, A, B, g.version, 60000));
	get_groups_wait(b, key, A, B, &g);
	cr_assert(g.hit);
	cr_assert_not(g.outdated);
	cr_assert_str_eq(g.version, version);
	sv = redis_string(va);
	cr_assert_str_eq(sv, ha2, "a put replaced a version it matched");
	free(sv);
	sv = redis_string(vb);
	cr_assert_str_eq(sv, hb, "a put replaced a version it matched");
	free(sv);

	/* A write to B outdates it too. */
	invalidate_wait(a, B);
	hb2 = redis_string(vb);
	cr_assert(hb2 != NULL && is_hex32(hb2));
	cr_assert_str_neq(hb2, hb);
	get_groups_wait(b, key, A, B, &g);
	cr_assert(g.hit);
	cr_assert(g.outdated, "a write to its second group left it fresh");
	join2(version, ha2, hb2);
	cr_assert_str_eq(g.version, version);

	/* The wrong number of parts (or not ours): nothing stored, the lock
	 * still released, and no version key touched. */
	sv = stored_version(ename);
	for (size_t i = 0; i < sizeof(wrong) / sizeof(wrong[0]); i++) {
		uint64_t ns = st(a).not_stored;

		cr_assert_eq(lock_wait(a, key, 5000), L2_LOCK_ACQUIRED);
		cr_assert_not(l2_put(a, key, strlen(key), A, B, wrong[i], 200, NULL, 0, NULL, "p", 0,
		    1000, 60000), "stored with version \"%s\"", wrong[i]);
		cr_assert_eq(st(a).not_stored, ns + 1, "version \"%s\"", wrong[i]);
		cr_assert(lock_gone_within("t:", key, 1000), "the lock was kept");
	}
	/* One group, two parts. */
	cr_assert_not(l2_put(a, key, strlen(key), A, NULL, ".", 200, NULL, 0, NULL, "p", 0, 1000,
	    60000));
	cr_assert_not(l2_put(a, key, strlen(key), NULL, A, version, 200, NULL, 0, NULL, "p", 0, 1000,
	    60000));
	RUN_FOR(20);
	{
		char *now = stored_version(ename), *na = redis_string(va), *nb = redis_string(vb);

		cr_assert_str_eq(now, sv, "a refused put replaced the entry");
		cr_assert_str_eq(na, ha2);
		cr_assert_str_eq(nb, hb2);
		free(now);
		free(na);
		free(nb);
	}
	cr_assert_eq(st(a).errors, 0);
	free(sv);
	free(ha);
	free(hb);
	free(ha2);
	free(hb2);
	free(va);
	free(vb);
	free(ename);
	getres_clear(&g);
	l2_free(b);
	l2_free(a);
	finish();
}

/* A mark on either group refuses the get, whichever slot it is in. */
Test(l2, two_groups_either_mark_refuses)
{
	static const char *A = "/repositories/42", *B = "/repos/o/r", *C = "/repos/o/c";
	struct l2_marks *marks = l2_marks_new();
	struct l2 *a, *b;
	struct getres g = { 0 };

	need_server();
	srv_start(0, NULL);
	loop_new();
	a = open_l2_with(base, "t:", 1000, 0, NULL, marks);
	b = open_l2_with(base, "t:", 1000, 0, NULL, marks);
	wait_ready(a);
	wait_ready(b);
	for (int which = 0; which < 2; which++) {
		const char *w = which == 0 ? A : B, *other = which == 0 ? B : A;
		uint64_t set = st(a).versions_set, m = st(b).marked;

		(void)l2_invalidate(a, w, NULL, NULL);
		/* Before the loop ran: not confirmed. */
		cr_assert(marked2(b, A, B), "%s marked, yet (A, B) read", w);
		cr_assert(marked2(b, B, A), "%s marked, yet (B, A) read", w);
		cr_assert(marked2(b, w, NULL));
		cr_assert(marked2(b, NULL, w), "%s marked, yet read as group2 alone", w);
		cr_assert(marked2(b, C, w));
		cr_assert(marked2(a, w, C), "the writer read its own marked group");
		cr_assert_eq(st(b).marked, m + 5);
		cr_assert_eq(st(b).refused, 0, "a mark counted as refused");
		/* The other group, alone or with an unmarked one, is read. */
		cr_assert(l2_get(b, "/k", 2, other, C, on_get, &g));
		RUN_UNTIL(g.calls > 0 && st(a).versions_set > set, 3000);
		cr_assert_eq(g.calls, 1);
		cr_assert_eq(st(a).versions_set, set + 1);
		getres_clear(&g);
		/* Confirmed: both read again. */
		cr_assert_not(marked2(b, A, B));
		cr_assert_not(marked2(a, B, A));
	}
	getres_clear(&g);
	l2_free(b);
	l2_free(a);
	l2_marks_free(marks);
	finish();
}

/* A version key lost (evicted, failed over): the group's entries come back
 * outdated, never fresh again, with "" for that part; a put with it sets a
 * fresh version and is stored, fresh. */
Test(l2, lost_version_key_outdates)
{
	static const char *key = "/repos/o/r/issues", *G = "/repos/o/r";
	static const char *key2 = "/repositories/7", *A = "/repositories/7", *B = "/repos/o/s";
	struct l2 *a, *b;
	struct getres g = { 0 };
	char *vg = name_ns("t:", 'v', NULL, G), *va = name_ns("t:", 'v', NULL, A);
	char *vb = name_ns("t:", 'v', NULL, B), *old, *now, *ha, *hb;
	char version[VBUF];
	redisReply *rep;

	need_server();
	srv_start(0, NULL);
	loop_new();
	loop_new2();
	a = open_l2_on(base, "t:", 1000, 0);
	b = open_l2_on(base2, "t:", 1000, 0);
	wait_ready(a);
	wait_ready(b);

	/* One group. */
	cr_assert(fill_wait(a, key, G, NULL, 60000));
	old = redis_string(vg);
	cr_assert_not_null(old);
	rep = admin(NULL, "DEL %s", vg);
	cr_assert_eq(rep->integer, 1);
	freeReplyObject(rep);
	get_group_wait(b, key, G, &g);
	cr_assert(g.hit, "the entry is still there (for its ETag)");
	cr_assert(g.outdated, "fresh under a lost version");
	cr_assert_not(g.version_null);
	cr_assert_str_eq(g.version, "");
	cr_assert_eq(st(b).outdated, 1);
	cr_assert(put_wait(b, key, G, g.version, 60000), "not stored after the loss");
	now = redis_string(vg);
	cr_assert(now != NULL && is_hex32(now), "no fresh version set");
	cr_assert_str_neq(now, old, "the lost version came back");
	get_group_wait(a, key, G, &g);
	cr_assert(g.hit);
	cr_assert_not(g.outdated);
	cr_assert_str_eq(g.version, now);
	free(old);
	free(now);
	/* Lost between a read and its put: the put (with the version read)
	 * is superseded, and sets no version. */
	get_group_wait(a, "/repos/o/r/pulls", G, &g);
	cr_assert(is_hex32(g.version));
	cr_assert_eq(admin_del(vg), 1);
	cr_assert_not(put_wait(a, "/repos/o/r/pulls", G, g.version, 60000),
	    "stored under a version that is gone");
	cr_assert_null(now = redis_string(vg), "a superseded put set %s", now);

	/* Two groups, the second's key lost: "<A>." */
	cr_assert(fill_wait(a, key2, A, B, 60000));
	ha = redis_string(va);
	hb = redis_string(vb);
	cr_assert(ha && hb);
	rep = admin(NULL, "DEL %s", vb);
	cr_assert_eq(rep->integer, 1);
	freeReplyObject(rep);
	get_groups_wait(b, key2, A, B, &g);
	cr_assert(g.hit);
	cr_assert(g.outdated);
	snprintf(version, sizeof(version), "%s.", ha);
	cr_assert_str_eq(g.version, version);
	cr_assert(put_groups_wait(b, key2, A, B, g.version, 60000));
	now = redis_string(vb);
	cr_assert(now != NULL && is_hex32(now));
	cr_assert_str_neq(now, hb);
	join2(version, ha, now);
	get_groups_wait(a, key2, A, B, &g);
	cr_assert(g.hit);
	cr_assert_not(g.outdated);
	cr_assert_str_eq(g.version, version);
	free(now);
	now = redis_string(va);
	cr_assert_str_eq(now, ha, "the kept version was replaced");
	free(now);
	/* The first's lost instead: ".<B>". */
	free(hb);
	hb = redis_string(vb);
	rep = admin(NULL, "DEL %s", va);
	freeReplyObject(rep);
	get_groups_wait(b, key2, A, B, &g);
	cr_assert(g.outdated);
	snprintf(version, sizeof(version), ".%s", hb);
	cr_assert_str_eq(g.version, version);
	cr_assert(put_groups_wait(b, key2, A, B, g.version, 60000));
	get_groups_wait(a, key2, A, B, &g);
	cr_assert_not(g.outdated);
	now = redis_string(va);
	cr_assert(now != NULL && is_hex32(now));
	join2(version, now, hb);
	cr_assert_str_eq(g.version, version);
	free(now);
	free(ha);
	free(hb);
	free(vg);
	free(va);
	free(vb);
	getres_clear(&g);
	l2_free(b);
	l2_free(a);
	finish();
}

/* Two readers both find a group with no version; the first put sets one,
 * so the second (whose fetch may predate whatever set it) is superseded
 * and stores nothing. The same when a write sets it in between, and for
 * one group of two. */
Test(l2, first_put_races_a_version_set_meanwhile)
{
	static const char *key = "/repos/o/r/pulls", *G = "/repos/o/r";
	static const char *key2 = "/repositories/9/pulls", *A = "/repositories/9", *B = "/repos/o/n";
	struct l2 *a, *b;
	struct getres ga = { 0 }, gb = { 0 };
	char *vg = name_ns("t:", 'v', NULL, G);
	char *ename = entry_name("t:", 'e', key), *ename2 = entry_name("t:", 'e', key2);
	char *v, *sv, seen_a[VBUF], seen_b[VBUF];

	need_server();
	srv_start(0, NULL);
	loop_new();
	loop_new2();
	a = open_l2_on(base, "t:", 1000, 0);
	b = open_l2_on(base2, "t:", 1000, 0);
	wait_ready(a);
	wait_ready(b);

	/* Another replica's first put. */
	get_group_wait(a, key, G, &ga);
	get_group_wait(b, key, G, &gb);
	cr_assert_str_eq(ga.version, "");
	cr_assert_str_eq(gb.version, "");
	cr_assert(put_wait(b, key, G, gb.version, 60000));
	v = redis_string(vg);
	cr_assert_not_null(v);
	cr_assert_not(put_wait(a, key, G, ga.version, 60000), "stored over another's first put");
	cr_assert_eq(st(a).superseded, 1);
	sv = stored_version(ename);
	cr_assert_str_eq(sv, v, "the superseded put replaced the entry");
	free(sv);
	sv = redis_string(vg);
	cr_assert_str_eq(sv, v, "the superseded put set a version");
	free(sv);
	free(v);

	/* A write in between, on a group with no version yet. */
	cr_assert_eq(admin_del(vg), 1);
	get_group_wait(a, key, G, &ga);
	cr_assert_str_eq(ga.version, "");
	invalidate_wait(b, G);
	v = redis_string(vg);
	cr_assert_not(put_wait(a, key, G, ga.version, 60000), "stored over a write");
	cr_assert_eq(st(a).superseded, 2);
	sv = redis_string(vg);
	cr_assert_str_eq(sv, v, "the superseded put replaced the write's version");
	free(sv);
	free(v);

	/* Two groups: A has a version, B none; B gets one meanwhile. */
	cr_assert(fill_wait(b, "/repositories/9", A, NULL, 60000));
	get_groups_wait(a, key2, A, B, &ga);
	get_groups_wait(b, key2, A, B, &gb);
	snprintf(seen_a, sizeof(seen_a), "%s", ga.version);
	snprintf(seen_b, sizeof(seen_b), "%s", gb.version);
	cr_assert_eq(seen_a[strlen(seen_a) - 1], '.', "version %s", seen_a);
	cr_assert(put_groups_wait(b, "/repos/o/n/x", B, NULL, "", 60000));   /* B's first put */
	cr_assert_not(put_groups_wait(a, key2, A, B, seen_a, 60000), "stored over B's first put");
	cr_assert_null(v = redis_string(ename2), "the superseded put stored");
	/* b read the same: superseded too. */
	cr_assert_not(put_groups_wait(b, key2, A, B, seen_b, 60000));
	cr_assert(fill_wait(a, key2, A, B, 60000), "a fresh read is stored");
	free(vg);
	free(ename);
	free(ename2);
	getres_clear(&ga);
	getres_clear(&gb);
	l2_free(b);
	l2_free(a);
	finish();
}

/* Writes to one group whose versions could not be set merge into one
 * retry, which settles them all: three writes to A and one to B with the
 * server paused are two SETs once it is back, and A's mark (three writes
 * pending) is gone once its one retry is confirmed. */
Test(l2, version_retries_merge)
{
	static const char *A = "/repos/o/merge", *B = "/repos/o/other";
	struct l2_marks *marks = l2_marks_new();
	struct l2 *a, *b;
	struct told t[4];
	struct l2_stats s;
	char *va = name_ns("t:", 'v', NULL, A), *vb = name_ns("t:", 'v', NULL, B), *v;

	need_server();
	srv_start(0, NULL);
	loop_new();
	a = open_l2_with(base, "t:", 80, 0, NULL, marks);
	b = open_l2_with(base, "t:", 1000, 0, NULL, marks);
	wait_ready(a);
	wait_ready(b);
	memset(t, 0, sizeof(t));
	srv_stop();
	for (int i = 0; i < 3; i++)
		cr_assert(l2_invalidate(a, A, on_told, &t[i]));
	cr_assert(l2_invalidate(a, B, on_told, &t[3]));
	RUN_UNTIL(told_calls(t, 4) == 4, 1000);
	cr_assert_eq(told_calls(t, 4), 4);
	for (int i = 0; i < 4; i++)
		cr_assert_not(t[i].confirmed);
	RUN_FOR(300);   /* past a retry's period, still paused */
	s = st(a);
	cr_assert_eq(s.versions_set, 0);
	cr_assert_eq(s.version_retries, 0, "retried while the link was down");
	cr_assert_eq(s.errors, 4);
	cr_assert(marked(b, A));
	cr_assert(marked(b, B));
	srv_cont();
	RUN_UNTIL(st(a).versions_set >= 2, 1500);
	RUN_FOR(300);   /* past another retry's period: nothing more is sent */
	s = st(a);
	cr_assert_eq(s.version_retries, 2, "%llu retries, not one per group",
	    (unsigned long long)s.version_retries);
	cr_assert_eq(s.versions_set, 2, "%llu versions set, not one per group",
	    (unsigned long long)s.versions_set);
	cr_assert_eq(s.versions_failed, 0);
	/* All three of A's writes settled by the one version. */
	cr_assert_not(marked(b, A), "A still marked: not every write settled");
	cr_assert_not(marked(a, A));
	cr_assert_not(marked(b, B));
	v = redis_string(va);
	cr_assert(v != NULL && is_hex32(v));
	free(v);
	v = redis_string(vb);
	cr_assert(v != NULL && is_hex32(v));
	free(v);
	for (int i = 0; i < 4; i++)
		cr_assert_eq(t[i].calls, 1, "a retry told writer %d again", i);
	free(va);
	free(vb);
	l2_free(b);
	l2_free(a);
	l2_marks_free(marks);
	finish();
}

/* A group's version lives 48 h past its last put, not its write: every put
 * that matched it renews its PX (each group's, for two). */
Test(l2, puts_renew_the_version_px)
{
	static const char *key = "/repos/o/r/issues", *G = "/repos/o/r";
	static const char *A = "/repositories/5", *B = "/repos/o/five";
	struct l2 *a;
	char *vg = name_ns("t:", 'v', NULL, G), *va = name_ns("t:", 'v', NULL, A);
	char *vb = name_ns("t:", 'v', NULL, B);
	redisReply *rep;

	need_server();
	srv_start(0, NULL);
	loop_new();
	a = open_l2_on(base, "t:", 1000, 0);
	wait_ready(a);
	invalidate_wait(a, G);
	rep = admin(NULL, "PEXPIRE %s 5000", vg);
	freeReplyObject(rep);
	cr_assert_leq(redis_pttl(vg), 5000);
	cr_assert(fill_wait(a, key, G, NULL, 60000));
	cr_assert_gt(redis_pttl(vg), L2_VERSION_TTL_MS - 60000, "PTTL %lld", redis_pttl(vg));
	cr_assert_leq(redis_pttl(vg), L2_VERSION_TTL_MS);
	/* A superseded put renews nothing. */
	rep = admin(NULL, "PEXPIRE %s 5000", vg);
	freeReplyObject(rep);
	cr_assert_not(put_wait(a, "/other", G, V32, 60000));
	cr_assert_leq(redis_pttl(vg), 5000, "a superseded put renewed the version");
	/* Two groups: both renewed. */
	cr_assert(fill_wait(a, "/repositories/5", A, B, 60000));
	rep = admin(NULL, "PEXPIRE %s 5000", va);
	freeReplyObject(rep);
	rep = admin(NULL, "PEXPIRE %s 3000", vb);
	freeReplyObject(rep);
	cr_assert(fill_wait(a, "/repositories/5", A, B, 60000));
	cr_assert_gt(redis_pttl(va), L2_VERSION_TTL_MS - 60000);
	cr_assert_gt(redis_pttl(vb), L2_VERSION_TTL_MS - 60000);
	free(vg);
	free(va);
	free(vb);
	l2_free(a);
	finish();
}

/* Review findings: an empty version key (not ours) heals at the next put;
 * a put superseded on its second group writes nothing; one group given
 * twice is one group. */
Test(l2, put_script_edges)
{
	static const char *A = "/repos/o/a", *B = "/repos/o/b";
	struct l2 *a;
	struct getres g = { 0 };
	char *va = name_ns("t:", 'v', NULL, A), *vb = name_ns("t:", 'v', NULL, B), *v;

	need_server();
	srv_start(0, NULL);
	loop_new();
	a = open_l2_on(base, "t:", 1000, 0);
	wait_ready(a);

	admin_set(va, "", 0);
	cr_assert(fill_wait(a, "/repos/o/a/x", A, NULL, 60000), "not stored over an empty version");
	v = redis_string(va);
	cr_assert(is_hex32(v), "the empty version was kept: '%s'", v);
	free(v);
	get_group_wait(a, "/repos/o/a/x", A, &g);
	cr_assert(g.hit && !g.outdated, "an entry stored over an empty version is not fresh");
	getres_clear(&g);

	/* Seen: A none, B none; then B gets a version: superseded, A untouched. */
	cr_assert_eq(admin_del(va), 1);
	get_groups_wait(a, "/repos/o/a/y", A, B, &g);
	cr_assert_str_eq(g.version, ".");
	admin_set(vb, "0123456789abcdef0123456789abcdef", 32);
	cr_assert_not(put_groups_wait(a, "/repos/o/a/y", A, B, ".", 60000));
	cr_assert_null(redis_string(va), "a superseded put set its first group's version");
	getres_clear(&g);

	/* The same group twice. */
	cr_assert(fill_wait(a, "/repos/o/a/z", A, A, 60000), "one group given twice never stores");
	get_groups_wait(a, "/repos/o/a/z", A, A, &g);
	cr_assert(g.hit && !g.outdated);
	cr_assert(is_hex32(g.version), "version %s", g.version);
	getres_clear(&g);
	free(va);
	free(vb);
	l2_free(a);
	finish();
}
