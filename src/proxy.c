/*
 * proxy.c - pooled REST reads, from request to response, through the cache.
 *
 * Flow of one read (all on the worker thread that accepted it):
 *   proxy_handle     -> validate, policy (a /repositories/{id} path first
 *                       learns its owner: proxy_resolve), bucket, cache key
 *   proxy_lookup     -> fresh entry: HIT; else join the key's flight
 *                       (a follower waits for the leader's answer)
 *   proxy_fetch      -> revalidate the expired entry with its identity,
 *                       or pool_acquire + upstream_start
 *   proxy_on_done    -> learn limits, maybe retry once, store, answer
 * Every answer leaves through proxy_serve() (an entry) or proxy_fail()
 * (an error); a leader first ends its flight in proxy_deliver() or
 * proxy_deliver_error(), so no follower is ever left waiting. A call is
 * freed on exactly one path: proxy_call_finish().
 */
#include "proxy.h"
#include "cache.h"
#include "cachekey.h"
#include "coalesce.h"
#include "config.h"
#include "freshness.h"
#include "graphql.h"
#include "l2.h"
#include "log.h"
#include "mailbox.h"
#include "metrics.h"
#include "passthrough.h"
#include "policy.h"
#include "pool.h"
#include "reply.h"
#include "rewrite.h"
#include "route.h"
#include "share.h"
#include "upstream.h"
#include "util.h"
#include "whois.h"

#include <ctype.h>
#include <event2/buffer.h>
#include <event2/keyvalq_struct.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define PROXY_MAX_URI 8192
#define PROXY_MAX_HEADER_BYTES (16 * 1024)
#define PROXY_DEFAULT_COOLDOWN 60
#define PROXY_MAX_COOLDOWN 86400
#define PROXY_GRAPHQL_WINDOW 3600       /* GitHub's GraphQL budget is hourly */
#define PROXY_WHOIS_ENTRIES 4096
#define PROXY_WHOIS_TTL_MS (3600 * 1000)

struct proxy {
	struct pool *pool;
	struct policy *policy;
	struct cache *cache;
	struct coalesce *coalesce;
	struct freshness *freshness;
	struct whois *whois;
	struct passthrough *pass;
	atomic_int_least64_t stale_ms;        /* both may change on reload */
	atomic_int_least64_t graphql_ttl_ms;
	bool enabled;            /* [cache] max_entries = 0 turns it all off */
	char *upstream_url;
	int upstream_timeout_secs;   /* bounds an L2 lock and a wait on one */
	char *public_url;        /* NULL: from the request's Host */
	char *fallback_base;     /* when Host is missing or unusable */
	atomic_bool closing;
	atomic_ulong hits, misses, revalidated, coalesced, stale, not_modified;
};

struct proxy_call {
	struct proxy *px;
	const struct proxy_worker *w;
	struct upstream *up;
	struct mailbox *mb;
	struct evhttp_request *req;
	char *uri;               /* raw path?query, forwarded byte for byte */
	char *path;              /* uri without the query */
	char *public_base;
	const char *bucket;
	struct route_info route; /* points into path */
	const char *query;       /* into uri, after '?'; "" if none */
	bool write;              /* POST, PATCH, PUT, DELETE: the client's token */
	const struct policy_client *client;   /* NULL without [[clients]] */
	char *owners;            /* GraphQL: whom the answer is about, for node ids */
	bool graphql;            /* a pooled GraphQL query: POST with a body */
	char *operation;         /* GraphQL: "query:Name" for the access line */
	int identity;            /* current attempt's identity, -1 if none */
	int excluded;            /* identity the retry must avoid */
	uint64_t token_gen;      /* which of its tokens the attempt carries */
	int attempts;
	/* Cache state; key is NULL for reads that bypass the cache (HEAD). */
	char *key;
	size_t key_len;
	int64_t ttl_ms;
	bool no_cache;           /* client: Cache-Control: no-cache */
	int64_t max_age_ms;      /* client: Cache-Control: max-age, or -1 */
	struct cache_entry *cached;  /* what the cache had (expired), or NULL */
	struct flight *flight;   /* set while this call leads a flight */
	bool revalidating;       /* this attempt carries If-None-Match */
	uint64_t generation;     /* cache_generation() when the read began */
	/* L2 (backend = "redis"): this call holds the key's lock (must put or
	 * announce), or waited on another replica's (the next miss fetches). */
	bool l2_locked;
	bool l2_waited;
	/* The key's group (what a write invalidates: route_group_len), a read
	 * by id's second (its repository by name, once known), and their
	 * version as L2 last said, which what we fetch is stored under. */
	char *l2_group;
	char *l2_group2;
	bool l2_versioned;
	char l2_version[L2_VERSION_MAX + 1];
	struct reply_log lg;
};

/* ------------------------------------------------------------------------
 * Lifecycle
 * ---------------------------------------------------------------------- */

struct proxy *
proxy_new(const struct config *cfg, struct pool *pool, struct policy *policy,
    struct audit *audit)
{
	struct proxy *px = util_calloc(1, sizeof(*px));
	struct cache_limits lim = {
		.max_entries = (size_t)cfg->cache.max_entries,
		.max_bytes = (size_t)cfg->cache.max_bytes,
		.max_entry_bytes = (size_t)cfg->cache.max_entry_bytes,
	};

	px->pool = pool;
	px->policy = policy;
	px->cache = cache_new(&lim);
	px->coalesce = coalesce_new();
	px->freshness = freshness_new(cfg);
	atomic_init(&px->stale_ms, cfg->cache.stale_if_error_secs * 1000);
	atomic_init(&px->graphql_ttl_ms, cfg->cache.graphql_ttl_secs * 1000);
	px->whois = whois_new(PROXY_WHOIS_ENTRIES, PROXY_WHOIS_TTL_MS);
	px->pass = passthrough_new(px->cache, px->whois, audit);
	px->enabled = cfg->cache.max_entries > 0;
	px->upstream_url = util_strdup(cfg->upstream_url);
	px->upstream_timeout_secs = cfg->upstream_timeout_secs;
	px->public_url = cfg->public_url ? util_strdup(cfg->public_url) : NULL;
	proxy_set_local_address(px, cfg->listen, cfg->port);
	return px;
}

void
proxy_set_local_address(struct proxy *px, const char *listen, int port)
{
	bool any = strcmp(listen, "0.0.0.0") == 0 || strcmp(listen, "::") == 0;

	free(px->fallback_base);
	if (strchr(listen, ':') != NULL && !any)
		px->fallback_base = util_printf("http://[%s]:%d", listen, port);
	else
		px->fallback_base = util_printf("http://%s:%d", any ? "127.0.0.1" : listen, port);
}

void
proxy_update(struct proxy *px, const struct config *cfg)
{
	freshness_update(px->freshness, cfg);
	atomic_store(&px->stale_ms, cfg->cache.stale_if_error_secs * 1000);
	atomic_store(&px->graphql_ttl_ms, cfg->cache.graphql_ttl_secs * 1000);
}

void
proxy_set_closing(struct proxy *px)
{
	atomic_store(&px->closing, true);
}

void
proxy_free(struct proxy *px)
{
	if (px == NULL)
		return;
	passthrough_free(px->pass);
	whois_free(px->whois);
	cache_free(px->cache);
	coalesce_free(px->coalesce);
	freshness_free(px->freshness);
	free(px->upstream_url);
	free(px->public_url);
	free(px->fallback_base);
	free(px);
}

json_t *
proxy_stats(struct proxy *px)
{
	struct cache_stats st;
	unsigned long hits = atomic_load(&px->hits), misses = atomic_load(&px->misses),
	    reval = atomic_load(&px->revalidated), coal = atomic_load(&px->coalesced),
	    stale = atomic_load(&px->stale), served = hits + misses + reval + coal + stale;

	cache_stats(px->cache, &st);
	return json_pack("{s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:f,s:I,s:I}",
	    "entries", (json_int_t)st.entries, "bytes", (json_int_t)st.bytes,
	    "max_entries", (json_int_t)st.max_entries, "max_bytes", (json_int_t)st.max_bytes,
	    "hits", (json_int_t)hits, "misses", (json_int_t)misses,
	    "revalidations", (json_int_t)reval, "coalesced", (json_int_t)coal,
	    "stale_served", (json_int_t)stale, "evictions", (json_int_t)st.evictions,
	    "invalidations", (json_int_t)st.invalidations,
	    "not_modified_local", (json_int_t)atomic_load(&px->not_modified),
	    "hit_ratio", served ? (double)(hits + coal) / (double)served : 0.0,
	    /* Requests GitHub never saw; a 304 revalidation was sent but free. */
	    "upstream_requests_saved", (json_int_t)(hits + coal + stale),
	    "rate_limit_units_saved", (json_int_t)(hits + coal + stale + reval));
}

static void
proxy_call_finish(struct proxy_call *c)
{
	/* Whatever ended this read, replicas waiting on our lock must not wait
	 * for a fill that will not come. */
	if (c->l2_locked && c->w->l2 != NULL)
		l2_announce(c->w->l2, c->key, c->key_len);
	cache_entry_release(c->cached);
	free(c->l2_group);
	free(c->l2_group2);
	free(c->key);
	free(c->uri);
	free(c->path);
	free(c->public_base);
	free(c->operation);
	free(c->owners);
	free(c);
}

/* ------------------------------------------------------------------------
 * Request checks
 * ---------------------------------------------------------------------- */

/*
 * One walk over the request headers, for their size and their form.
 * evhttp takes header names with spaces or tabs in them ("Transfer-Encoding :")
 * and values with control bytes. Such a header would slip past the
 * hop-by-hop lists, which compare names exactly, and reach GitHub on a
 * write: refuse the request instead (RFC 9110: names are tokens, values
 * printable plus tab and obs-text). Returns 0, or 431 or 400 with *why.
 */
static int
proxy_headers_check(struct evkeyvalq *h, const char **why)
{
	static const char tchar[] = "!#$%&'*+-.^_`|~";
	const char *bad = NULL;
	size_t bytes = 0;

	for (struct evkeyval *kv = h->tqh_first; kv; kv = kv->next.tqe_next) {
		const unsigned char *k = (const unsigned char *)kv->key, *v;

		if (*k == '\0' && bad == NULL)
			bad = "a request header has an empty name";
		for (; *k; k++)
			if (!isalnum(*k) && strchr(tchar, *k) == NULL && bad == NULL)
				bad = "a request header name holds a character HTTP does not allow";
		for (v = (const unsigned char *)kv->value; *v; v++)
			if (((*v < 0x20 && *v != '\t') || *v == 0x7f) && bad == NULL)
				bad = "a request header value holds a control character";
		/* As on the wire: "Name: value\r\n". */
		bytes += (size_t)(k - (const unsigned char *)kv->key) + 2 +
		    (size_t)(v - (const unsigned char *)kv->value) + 2;
	}
	if (bytes > PROXY_MAX_HEADER_BYTES) {
		*why = "request headers are larger than 16 KiB";
		return 431;
	}
	*why = bad;
	return bad != NULL ? 400 : 0;
}

/* A Host value is echoed into Link headers: accept only host[:port]. */
static bool
proxy_host_ok(const char *h)
{
	if (h == NULL || *h == '\0' || strlen(h) > 255)
		return false;
	for (; *h; h++)
		if (!isalnum((unsigned char)*h) && strchr(".-:[]_", *h) == NULL)
			return false;
	return true;
}

/* Built on first use: most answers carry neither Link nor Location. */
static const char *
proxy_public_base(struct proxy_call *c)
{
	const char *host;

	if (c->public_base != NULL)
		return c->public_base;
	host = evhttp_find_header(evhttp_request_get_input_headers(c->req), "Host");
	if (c->px->public_url)
		c->public_base = util_strdup(c->px->public_url);
	else if (!proxy_host_ok(host))
		c->public_base = util_strdup(c->px->fallback_base);
	else
		c->public_base = util_printf("http://%s", host);
	return c->public_base;
}

/*
 * Headers that shape the answer must all be in the key, once each. A
 * request repeating Accept or the API version, or naming a time zone or
 * language, is passed through uncached rather than keyed ambiguously.
 */
static bool
proxy_cacheable_request(struct evkeyvalq *in)
{
	int accept = 0, version = 0;

	for (struct evkeyval *kv = in->tqh_first; kv; kv = kv->next.tqe_next) {
		if (strcasecmp(kv->key, "Accept") == 0)
			accept++;
		else if (strcasecmp(kv->key, "X-GitHub-Api-Version") == 0)
			version++;
		else if (strcasecmp(kv->key, "Time-Zone") == 0 ||
		    strcasecmp(kv->key, "Accept-Language") == 0)
			return false;
	}
	return accept <= 1 && version <= 1;
}

/* Reads the client's Cache-Control: no-cache and max-age=N. */
static void
proxy_client_cache_control(struct proxy_call *c)
{
	const char *cc = evhttp_find_header(evhttp_request_get_input_headers(c->req),
	    "Cache-Control");
	int64_t secs;

	c->max_age_ms = -1;
	while (cc != NULL && *cc) {
		size_t n = strcspn(cc, ",");
		const char *t = cc;

		while (n > 0 && isspace((unsigned char)*t)) {
			t++;
			n--;
		}
		while (n > 0 && isspace((unsigned char)t[n - 1]))
			n--;
		if (util_slice_ieq(t, n, "no-cache"))
			c->no_cache = true;
		else if (n > 8 && strncasecmp(t, "max-age=", 8) == 0 &&
		    util_parse_i64(t + 8, n - 8, 0, INT64_MAX / 1000, &secs) == 0)
			c->max_age_ms = secs * 1000;
		cc += strcspn(cc, ",");
		if (*cc == ',')
			cc++;
	}
}

/* ------------------------------------------------------------------------
 * Upstream answers
 * ---------------------------------------------------------------------- */

static bool
proxy_header_i64(struct evkeyvalq *h, const char *name, int64_t max, int64_t *out)
{
	const char *v = evhttp_find_header(h, name);

	return v != NULL && util_parse_i64(v, strlen(v), 0, max, out) == 0;
}

/*
 * Teaches the pool what GitHub said of the current identity's bucket. A
 * 401 is skipped: GitHub answers it with the unauthenticated per-IP
 * budget, which is nobody's pooled budget.
 */
static void
proxy_learn_limits(struct proxy_call *c, struct upstream_result *res)
{
	struct evkeyvalq *h = res->headers;
	struct pool_limits l;
	const char *bucket;

	if (res->status == 401)
		return;
	bucket = pool_observe_headers(c->px->pool, c->identity, c->bucket,
	    evhttp_find_header(h, "X-RateLimit-Limit"),
	    evhttp_find_header(h, "X-RateLimit-Remaining"),
	    evhttp_find_header(h, "X-RateLimit-Used"),
	    evhttp_find_header(h, "X-RateLimit-Reset"),
	    evhttp_find_header(h, "X-RateLimit-Resource"), &l);

	/* Other replicas pick from the same identities: tell them. */
	if (bucket != NULL)
		share_observe(c->w->share, c->identity, bucket, &l);
}

static bool
proxy_body_mentions(struct evbuffer *body, const char *needle)
{
	char buf[4097];
	ev_ssize_t n = evbuffer_copyout(body, buf, sizeof(buf) - 1);

	if (n <= 0)
		return false;
	buf[n] = '\0';
	for (ev_ssize_t i = 0; i < n; i++)
		buf[i] = (char)tolower((unsigned char)buf[i]);
	return strstr(buf, needle) != NULL;
}

enum proxy_verdict {
	VERDICT_DELIVER,
	VERDICT_SECONDARY,      /* cool the identity down, retry elsewhere */
	VERDICT_REVOKED,        /* disable the identity, retry elsewhere */
	VERDICT_EXHAUSTED,      /* primary limit hit, retry elsewhere */
};

/* What an answer says about the identity that fetched it. Pure. */
static enum proxy_verdict
proxy_classify(struct upstream_result *res, int64_t *cooldown)
{
	struct evkeyvalq *h = res->headers;
	int64_t remaining;
	bool has_retry_after;

	*cooldown = PROXY_DEFAULT_COOLDOWN;
	if (res->status == 401)
		return VERDICT_REVOKED;
	if (res->status != 403 && res->status != 429)
		return VERDICT_DELIVER;
	/* Any well-formed number counts; absurd waits are capped, not ignored. */
	has_retry_after = proxy_header_i64(h, "Retry-After", INT64_C(1) << 40, cooldown);
	if (*cooldown > PROXY_MAX_COOLDOWN)
		*cooldown = PROXY_MAX_COOLDOWN;
	if (*cooldown < 1)
		*cooldown = 1;
	if (proxy_header_i64(h, "X-RateLimit-Remaining", INT32_MAX, &remaining) &&
	    remaining == 0 && !has_retry_after)
		return VERDICT_EXHAUSTED;
	if (!has_retry_after && !proxy_body_mentions(res->body, "secondary rate limit"))
		return VERDICT_DELIVER;   /* an ordinary 403: permissions, SSO... */
	return VERDICT_SECONDARY;
}

static void
proxy_apply_verdict(struct proxy_call *c, enum proxy_verdict v, int64_t cooldown)
{
	struct pool *pool = c->px->pool;

	switch (v) {
	case VERDICT_REVOKED:
		log_warn("identity %s disabled: GitHub answered 401 (token revoked or expired)",
		    pool_id(pool, c->identity));
		pool_disable(pool, c->identity, c->token_gen);
		break;
	case VERDICT_SECONDARY:
		log_warn("identity %s hit a secondary rate limit: cooling down for %llds",
		    pool_id(pool, c->identity), (long long)cooldown);
		pool_cooldown(pool, c->identity, cooldown);
		break;
	case VERDICT_EXHAUSTED:
		/* proxy_learn_limits already recorded remaining = 0. */
		break;
	case VERDICT_DELIVER:
		return;
	}
	pool_count_error(pool, c->identity);
}

/* ------------------------------------------------------------------------
 * Responses
 * ---------------------------------------------------------------------- */

static void
proxy_add_i64(struct evkeyvalq *out, const char *name, int64_t v)
{
	char buf[24];

	snprintf(buf, sizeof(buf), "%lld", (long long)v);
	evhttp_add_header(out, name, buf);
}

/* The pool's view of the bucket; omitted while no identity knows it. */
static void
proxy_set_limit_headers(struct proxy_call *c, struct evkeyvalq *out, const char *bucket)
{
	struct pool_limits s;

	if (!pool_summary(c->px->pool, bucket, &s))
		return;
	proxy_add_i64(out, "X-RateLimit-Limit", s.limit);
	proxy_add_i64(out, "X-RateLimit-Remaining", s.remaining);
	proxy_add_i64(out, "X-RateLimit-Used", s.used);
	proxy_add_i64(out, "X-RateLimit-Reset", s.reset);
	evhttp_add_header(out, "X-RateLimit-Resource", bucket);
}

/* Does the client's If-None-Match list name etag (weak comparison)? */
static bool
proxy_etag_matches(const char *inm, const char *etag)
{
	size_t elen;

	if (inm == NULL || etag == NULL)
		return false;
	if (strncmp(etag, "W/", 2) == 0)
		etag += 2;
	elen = strlen(etag);
	while (*inm) {
		size_t n;

		while (*inm == ' ' || *inm == '\t' || *inm == ',')
			inm++;
		if (*inm == '*')
			return true;
		if (strncmp(inm, "W/", 2) == 0)
			inm += 2;
		n = strcspn(inm, ",");
		while (n > 0 && (inm[n - 1] == ' ' || inm[n - 1] == '\t'))
			n--;
		if (n == elen && memcmp(inm, etag, n) == 0)
			return true;
		inm += strcspn(inm, ",");
	}
	return false;
}

static void
proxy_count(struct proxy *px, const char *outcome)
{
	if (strcmp(outcome, "HIT") == 0)
		atomic_fetch_add(&px->hits, 1);
	else if (strcmp(outcome, "MISS") == 0)
		atomic_fetch_add(&px->misses, 1);
	else if (strcmp(outcome, "REVALIDATED") == 0)
		atomic_fetch_add(&px->revalidated, 1);
	else if (strcmp(outcome, "COALESCED") == 0)
		atomic_fetch_add(&px->coalesced, 1);
	else if (strcmp(outcome, "STALE") == 0)
		atomic_fetch_add(&px->stale, 1);
}

/*
 * Answers from an entry: its headers with URLs rewritten for this client,
 * the pool's rate-limit view, and the body by reference. A client whose
 * If-None-Match names the entry's ETag gets a 304 from here.
 */
static void
proxy_serve(struct proxy_call *c, struct cache_entry *e, const char *outcome)
{
	struct evkeyvalq *out = evhttp_request_get_output_headers(c->req);
	struct evbuffer *body = evbuffer_new();
	const char *inm = c->key ? evhttp_find_header(
	    evhttp_request_get_input_headers(c->req), "If-None-Match") : NULL;
	int status = cache_entry_status(e), identity = cache_entry_identity(e);

	if (body == NULL)
		abort();
	/* Bound for the client's socket: lets large bodies use sendfile. */
	evbuffer_set_flags(body, EVBUFFER_FLAG_DRAINS_TO_FD);
	for (size_t i = 0; i < cache_entry_header_count(e); i++) {
		struct cache_header h = cache_entry_header(e, i);
		char *v = NULL;

		if (strcasecmp(h.name, "Link") == 0)
			v = rewrite_link(h.value, c->px->upstream_url, proxy_public_base(c),
			    c->route.id_form, c->path, c->route.prefix_len);
		else if (strcasecmp(h.name, "Location") == 0)
			v = rewrite_location(h.value, c->px->upstream_url, proxy_public_base(c));
		evhttp_add_header(out, h.name, v ? v : h.value);
		free(v);
	}
	proxy_set_limit_headers(c, out, c->bucket);
	evhttp_add_header(out, "X-Ghpool-Identity", pool_id(c->px->pool, identity));
	evhttp_add_header(out, "X-Ghpool-Cache", outcome);
	proxy_add_i64(out, "Age", cache_entry_age_ms(e, util_mono_ms()) / 1000);
	proxy_count(c->px, outcome);
	c->lg.identity = pool_id(c->px->pool, identity);
	c->lg.outcome = outcome;
	if (status == 200 && proxy_etag_matches(inm, cache_entry_find_header(e, "ETag"))) {
		/* The client already holds this answer: no body, no cost. */
		atomic_fetch_add(&c->px->not_modified, 1);
		evhttp_remove_header(out, "Content-Type");
		status = 304;
	} else {
		cache_entry_add_body(e, body);
	}
	reply_send(c->req, status, body, &c->lg);
	evbuffer_free(body);
	proxy_call_finish(c);
}

static void
proxy_fail(struct proxy_call *c, int status, const char *outcome, const char *message)
{
	c->lg.outcome = outcome;
	reply_error(c->req, status, message, &c->lg);
	proxy_call_finish(c);
}

/* A leader's exits: end the flight first, so every follower is answered. */
static void
proxy_deliver(struct proxy_call *c, struct cache_entry *e, const char *outcome)
{
	if (c->flight != NULL) {
		coalesce_finish(c->px->coalesce, c->flight, e, 0, NULL, outcome, 0);
		c->flight = NULL;
	}
	proxy_serve(c, e, outcome);
}

static void
proxy_end_flight_error(struct proxy_call *c, int status, const char *outcome,
    const char *message, int64_t retry_at)
{
	if (c->flight != NULL) {
		coalesce_finish(c->px->coalesce, c->flight, NULL, status, message,
		    outcome, retry_at);
		c->flight = NULL;
	}
}

static void
proxy_deliver_error(struct proxy_call *c, int status, const char *outcome,
    const char *message)
{
	proxy_end_flight_error(c, status, outcome, message, 0);
	proxy_fail(c, status, outcome, message);
}

/* Is the expired entry still young enough to stand in for an error? */
static bool
proxy_stale_usable(struct proxy_call *c)
{
	/* Never what a write made stale: the writer must read its write. */
	return c->cached != NULL && cache_entry_status(c->cached) == 200 &&
	    !cache_entry_invalidated(c->cached) &&
	    cache_entry_age_ms(c->cached, util_mono_ms()) < c->ttl_ms + atomic_load(&c->px->stale_ms);
}

/* The pool has nobody for this read: say why, in GitHub's own shapes. */
static void
proxy_no_identity(struct proxy_call *c, enum pool_pick_result why, int64_t retry_at)
{
	struct evkeyvalq *out = evhttp_request_get_output_headers(c->req);
	int64_t wait = retry_at - util_now();
	char msg[256];

	if (proxy_stale_usable(c)) {
		log_info("serving %s stale: no identity can fetch it", c->path);
		proxy_deliver(c, c->cached, "STALE");
		return;
	}
	if (wait < 1)
		wait = 1;
	/* Followers rebuild this same answer from the outcome and retry_at. */
	switch (why) {
	case POOL_NO_IDENTITY:
		snprintf(msg, sizeof(msg), "ghpool has no usable identity: every pooled token was rejected by GitHub or none is configured (see /stats)");
		proxy_end_flight_error(c, 503, "no_identity", msg, retry_at);
		proxy_fail(c, 503, "no_identity", msg);
		return;
	case POOL_ALL_COOLING:
		proxy_add_i64(out, "Retry-After", wait);
		snprintf(msg, sizeof(msg),
		    "every pooled identity with budget for '%s' is cooling down after a secondary rate limit; retry in %llds",
		    c->bucket, (long long)wait);
		proxy_end_flight_error(c, 429, "cooling", msg, retry_at);
		proxy_fail(c, 429, "cooling", msg);
		return;
	default:
		break;
	}
	/* Clients throttle on these: the pool's own view must say zero. */
	proxy_set_limit_headers(c, out, c->bucket);
	evhttp_remove_header(out, "X-RateLimit-Remaining");
	evhttp_remove_header(out, "X-RateLimit-Reset");
	proxy_add_i64(out, "X-RateLimit-Remaining", 0);
	proxy_add_i64(out, "X-RateLimit-Reset", retry_at);
	proxy_add_i64(out, "Retry-After", wait);
	snprintf(msg, sizeof(msg),
	    "API rate limit exceeded for every pooled identity (bucket '%s'); the earliest reset is in %llds",
	    c->bucket, (long long)wait);
	proxy_end_flight_error(c, 403, "exhausted", msg, retry_at);
	c->lg.outcome = "exhausted";
	reply_json(c->req, 403, json_pack("{s:s,s:s}", "message", msg,
	    "documentation_url", "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api"),
	    &c->lg);
	proxy_call_finish(c);
}

/* An upstream answer as an entry: allow-listed headers, URLs as GitHub
 * wrote them (rewritten per client when served), the body copied once. */
#define PROXY_ENTRY_HEADERS 32

/* The headers an entry keeps of an answer (hs holds PROXY_ENTRY_HEADERS). */
static size_t
proxy_entry_headers(struct proxy_call *c, struct upstream_result *res, struct cache_header *hs)
{
	size_t n = 0;
	const char *cl;

	for (struct evkeyval *kv = res->headers->tqh_first; kv && n < PROXY_ENTRY_HEADERS - 1;
	    kv = kv->next.tqe_next)
		if (rewrite_forward_response_header(kv->key))
			hs[n++] = (struct cache_header){ kv->key, kv->value };
	/* A HEAD answer has no body to measure: keep GitHub's length. */
	if (evhttp_request_get_command(c->req) == EVHTTP_REQ_HEAD &&
	    (cl = evhttp_find_header(res->headers, "Content-Length")) != NULL)
		hs[n++] = (struct cache_header){ "Content-Length", cl };
	return n;
}

static struct cache_entry *
proxy_entry_from(struct proxy_call *c, struct upstream_result *res)
{
	struct cache_header hs[PROXY_ENTRY_HEADERS];
	size_t n = proxy_entry_headers(c, res, hs);

	return cache_entry_new(c->key ? c->key : c->uri, c->key ? c->key_len : strlen(c->uri),
	    (int)res->status, hs, n, res->body, c->identity, c->ttl_ms);
}

/*
 * Offers what this replica just fetched or confirmed to the others (L2),
 * which also releases our lock and wakes those waiting on it. Kept in
 * Redis for the TTL plus the stale-if-error window, as here; stored only
 * under the group version L2 gave us before we asked GitHub (none known:
 * a write here is unconfirmed, or Redis did not answer), so an answer that
 * may predate a write is never shared.
 */
static void
proxy_l2_offer(struct proxy_call *c, int status, const struct cache_header *hs, size_t n,
    struct evbuffer *body)
{
	if (c->w->l2 == NULL || c->key == NULL)
		return;
	(void)l2_put(c->w->l2, c->key, c->key_len, c->l2_group, c->l2_group2,
	    c->l2_versioned ? c->l2_version : NULL, status, hs, n, body,
	    pool_id(c->px->pool, c->identity), 0, c->ttl_ms,
	    c->ttl_ms + atomic_load(&c->px->stale_ms));
	c->l2_locked = false;
}

static void
proxy_l2_store(struct proxy_call *c, struct upstream_result *res)
{
	struct cache_header hs[PROXY_ENTRY_HEADERS];

	proxy_l2_offer(c, (int)res->status, hs, proxy_entry_headers(c, res, hs), res->body);
}

/* A 304 made c->cached fresh again: so it is for every replica, which
 * would otherwise each ask GitHub to confirm it once more. */
static void
proxy_l2_store_confirmed(struct proxy_call *c)
{
	struct cache_header hs[PROXY_ENTRY_HEADERS];
	size_t n = cache_entry_header_count(c->cached);
	struct evbuffer *body;

	if (c->w->l2 == NULL || c->key == NULL || n > PROXY_ENTRY_HEADERS)
		return;
	for (size_t i = 0; i < n; i++)
		hs[i] = cache_entry_header(c->cached, i);
	/* A plain buffer: a large body's file segment is read in, not sent. */
	if ((body = evbuffer_new()) == NULL)
		abort();
	cache_entry_add_body(c->cached, body);
	proxy_l2_offer(c, cache_entry_status(c->cached), hs, n, body);
	evbuffer_free(body);
}

/* ------------------------------------------------------------------------
 * Attempts
 * ---------------------------------------------------------------------- */

static void proxy_on_done(struct upstream_result *res, void *arg);

/* A header field token (RFC 9110): no separators, spaces or controls. */
static bool
proxy_token(const char *s)
{
	if (*s == '\0')
		return false;
	for (; *s != '\0'; s++)
		if (*s <= 0x20 || *s >= 0x7f || strchr("\"(),/:;<=>?@[\\]{}", *s) != NULL)
			return false;
	return true;
}

static struct curl_slist *
proxy_upstream_headers(struct proxy_call *c, const char *etag)
{
	struct evkeyvalq *in = evhttp_request_get_input_headers(c->req);
	struct curl_slist *h = NULL;
	char *line;

	for (struct evkeyval *kv = in->tqh_first; kv; kv = kv->next.tqe_next) {
		if (!rewrite_forward_request_header(kv->key))
			continue;
		/* Cached reads answer the client's conditionals locally; the
		 * upstream must send a full answer the cache can keep. */
		if (c->key != NULL && (strcasecmp(kv->key, "If-None-Match") == 0 ||
		    strcasecmp(kv->key, "If-Modified-Since") == 0))
			continue;
		line = util_printf("%s: %s", kv->key, kv->value);
		h = curl_slist_append(h, line);
		free(line);
	}
	/* An ETag is a quoted string: never a line break into the request. */
	if (etag != NULL && util_header_value_ok(etag)) {
		line = util_printf("If-None-Match: %s", etag);
		h = curl_slist_append(h, line);
		free(line);
	}
	line = pool_authorization(c->px->pool, c->identity, &c->token_gen);
	h = curl_slist_append(h, line);
	explicit_bzero(line, strlen(line));
	free(line);
	return h;
}

/* Sends the read with c->identity already acquired; false at shutdown. */
static bool
proxy_send(struct proxy_call *c, const char *etag)
{
	struct upstream_request ur;
	char *url = util_printf("%s%s", c->px->upstream_url, c->uri);
	bool started;

	c->attempts++;
	c->revalidating = etag != NULL;
	memset(&ur, 0, sizeof(ur));
	ur.method = reply_method_name(evhttp_request_get_command(c->req));
	ur.url = url;
	ur.headers = proxy_upstream_headers(c, etag);
	if (c->graphql) {
		struct evbuffer *in = evhttp_request_get_input_buffer(c->req);

		ur.headers = curl_slist_append(ur.headers, "Content-Type: application/json");
		ur.body_len = evbuffer_get_length(in);
		ur.body = evbuffer_pullup(in, -1);
	}
	started = upstream_start(c->up, &ur, proxy_on_done, c) != NULL;
	free(url);
	if (!started) {
		pool_release(c->px->pool, c->identity, c->bucket, -1);
		c->identity = -1;
	}
	return started;
}

/* Returns false when no identity could be picked (and nothing was sent). */
static bool
proxy_attempt(struct proxy_call *c, enum pool_pick_result *why, int64_t *retry_at)
{
	struct pool_pick pick;

	*why = pool_acquire(c->px->pool, c->bucket, c->excluded, &pick);
	*retry_at = pick.retry_at;
	if (*why != POOL_PICKED)
		return false;
	c->identity = pick.index;
	if (proxy_send(c, NULL))
		return true;
	*why = POOL_NO_IDENTITY;   /* only while shutting down */
	*retry_at = 0;
	return false;
}

/*
 * A leader's fetch. An expired entry is revalidated by the identity that
 * fetched it: GitHub's ETags depend on the token, and only that identity's
 * 304 is free. If that identity cannot be used, any other fetches in full.
 */
static void
proxy_fetch(struct proxy_call *c)
{
	const char *etag = c->cached ? cache_entry_find_header(c->cached, "ETag") : NULL;
	enum pool_pick_result why;
	int64_t retry_at;

	if (etag != NULL && pool_acquire_one(c->px->pool, cache_entry_identity(c->cached), c->bucket)) {
		c->identity = cache_entry_identity(c->cached);
		if (proxy_send(c, etag))
			return;
		proxy_no_identity(c, POOL_NO_IDENTITY, 0);
		return;
	}
	if (!proxy_attempt(c, &why, &retry_at))
		proxy_no_identity(c, why, retry_at);
}

static void
proxy_on_done(struct upstream_result *res, void *arg)
{
	struct proxy_call *c = arg;
	enum pool_pick_result why;
	enum proxy_verdict verdict;
	enum graphql_answer gq;
	struct cache_entry *e;
	int64_t retry_at, cooldown;
	int first = c->identity;
	char msg[256];

	pool_release(c->px->pool, c->identity, c->bucket, res->error == UPSTREAM_OK ? res->status : 0);
	c->lg.identity = pool_id(c->px->pool, c->identity);
	if (c->revalidating)
		metrics_add(res->error != UPSTREAM_OK || res->status >= 400 ?
		    METRICS_REVALIDATION_FAILED : res->status == 304 ?
		    METRICS_REVALIDATION_NOT_MODIFIED : METRICS_REVALIDATION_MODIFIED, 1);
	if (res->error != UPSTREAM_OK) {
		log_warn("upstream %s %s via %s failed: %s", c->lg.method, c->path,
		    c->lg.identity, res->error_text);
		if (proxy_stale_usable(c)) {
			proxy_deliver(c, c->cached, "STALE");
		} else if (res->error == UPSTREAM_TIMEOUT) {
			proxy_deliver_error(c, 504, "upstream_timeout", "GitHub did not answer in time");
		} else {
			snprintf(msg, sizeof(msg), "could not reach GitHub: %s", res->error_text);
			proxy_deliver_error(c, 502, "upstream_error", msg);
		}
		return;
	}
	proxy_learn_limits(c, res);
	/*
	 * A write that landed while we asked (the cache's generation moved)
	 * makes what we got possibly older than it: then nothing is kept here.
	 * (Evicted while we asked? The answer is confirmed: it goes back in.)
	 * Redis has its own check, the group's version.
	 */
	if (c->revalidating && res->status == 304) {
		if (cache_renew_current(c->px->cache, c->cached, c->ttl_ms, c->generation))
			proxy_l2_store_confirmed(c);
		proxy_deliver(c, c->cached, "REVALIDATED");
		return;
	}
	verdict = proxy_classify(res, &cooldown);
	/* GitHub says a GraphQL budget is spent in a 200's body. */
	gq = c->graphql && res->status == 200 ? graphql_answer_kind(res->body) : GRAPHQL_DATA;
	if (gq == GRAPHQL_RATE_LIMITED) {
		log_warn("identity %s: GitHub answered RATE_LIMITED for a GraphQL query",
		    pool_id(c->px->pool, c->identity));
		pool_exhaust(c->px->pool, c->identity, c->bucket, PROXY_GRAPHQL_WINDOW);
		verdict = VERDICT_EXHAUSTED;
	}
	proxy_apply_verdict(c, verdict, cooldown);
	if (verdict != VERDICT_DELIVER && c->attempts < 2) {
		c->excluded = first;
		if (proxy_attempt(c, &why, &retry_at))
			return;
		c->identity = first;
		/*
		 * Nobody else can take it. A secondary limit is GitHub's to
		 * explain; for a revoked token or a spent budget the pool's own
		 * answer (503, 429, or 403 with Retry-After) is the truthful one.
		 */
		if (verdict != VERDICT_SECONDARY) {
			proxy_no_identity(c, why, retry_at);
			return;
		}
	}
	/* Upstream failure, or rate limits with nobody left: stale beats both. */
	if ((res->status >= 500 || verdict != VERDICT_DELIVER) && proxy_stale_usable(c)) {
		proxy_deliver(c, c->cached, "STALE");
		return;
	}
	e = proxy_entry_from(c, res);
	/* Only full answers to pooled reads; never errors, GraphQL's included.
	 * A resource GitHub now says is gone must not be served stale later. */
	if (c->graphql && res->status == 200 && gq == GRAPHQL_DATA)
		policy_learn_nodes(c->px->policy, c->owners,
		    (const char *)evbuffer_pullup(res->body, -1), evbuffer_get_length(res->body));
	if (c->key != NULL && res->status == 200 && gq == GRAPHQL_DATA) {
		(void)cache_put_current(c->px->cache, e, c->generation);
		proxy_l2_store(c, res);
	} else if (c->key != NULL && (res->status == 404 || res->status == 410))
		cache_remove_key(c->px->cache, c->key, c->key_len);
	c->lg.outcome = c->attempts > 1 ? "retried" : "pooled";
	proxy_deliver(c, e, "MISS");
	cache_entry_release(e);
}

/* ------------------------------------------------------------------------
 * The cache in front
 * ---------------------------------------------------------------------- */

/* A follower: the leader's answer arrives here, on this call's worker. */
static void
proxy_on_coalesced(void *arg, struct coalesce_result *res)
{
	struct proxy_call *c = arg;
	static const struct {
		const char *outcome;
		enum pool_pick_result why;
	} refusals[] = {
		{ "exhausted", POOL_ALL_EXHAUSTED },
		{ "cooling", POOL_ALL_COOLING },
		{ "no_identity", POOL_NO_IDENTITY },
	};

	if (res->entry != NULL) {
		/* Stale data is the fact a client most needs to hear. */
		proxy_serve(c, res->entry,
		    strcmp(res->outcome, "STALE") == 0 ? "STALE" : "COALESCED");
		cache_entry_release(res->entry);
		return;
	}
	/* A pool refusal carries headers clients throttle on: rebuild it. */
	for (size_t i = 0; i < sizeof(refusals) / sizeof(refusals[0]); i++)
		if (strcmp(res->outcome, refusals[i].outcome) == 0) {
			proxy_no_identity(c, refusals[i].why, res->retry_at);
			return;
		}
	proxy_fail(c, res->error_status, "coalesced_error", res->error_message);
}

static bool
proxy_fresh_enough(struct proxy_call *c, struct cache_entry *e)
{
	int64_t now = util_mono_ms();

	if (c->no_cache || !cache_entry_fresh(e, now))
		return false;
	return c->max_age_ms < 0 || cache_entry_age_ms(e, now) <= c->max_age_ms;
}

/* ------------------------------------------------------------------------
 * The shared tier (L2, backend = "redis")
 *
 * A local miss that leads its flight asks Redis before GitHub: an entry
 * another replica fetched is served (and kept in L1); on a miss this call
 * takes the key's lock and fetches; if another replica holds it, this one
 * waits for its fill (or announcement), looks once more, then fetches
 * itself. Every step that finds Redis down or slow goes straight on to
 * GitHub, so a read never waits on Redis longer than one command deadline
 * per step.
 * ---------------------------------------------------------------------- */

/* How long a replica may hold a key while it fetches: the upstream
 * timeout, plus a margin; a crashed holder's lock just expires. */
#define PROXY_L2_LOCK_MARGIN_MS 1000
/* How long a replica waits for another's fill before fetching itself. */
#define PROXY_L2_WAIT_MAX_MS 10000

static void proxy_l2_lookup(struct proxy_call *c);
static void proxy_on_l2_lock(enum l2_lock result, void *arg);

/*
 * An L2 entry as an L1 entry of this replica: the identity that fetched it
 * must be one of ours (ids are shared through the configuration), since
 * only its token may revalidate the ETag for free. NULL otherwise.
 */
/*
 * Redis is another program's memory: what it hands back is checked as if
 * a client had sent it. Only a 200 with headers we would have kept from
 * GitHub, each a clean field, is an entry; anything else is a miss. A
 * header smuggled in here would otherwise reach clients, or GitHub inside
 * an If-None-Match carrying a pooled token.
 */
static bool
proxy_l2_hit_ok(const struct l2_hit *hit)
{
	if (hit->status != 200 || hit->n_headers > PROXY_ENTRY_HEADERS)
		return false;
	for (size_t i = 0; i < hit->n_headers; i++)
		if (!proxy_token(hit->headers[i].name) || !util_header_value_ok(hit->headers[i].value) ||
		    !rewrite_forward_response_header(hit->headers[i].name) ||
		    strcasecmp(hit->headers[i].name, "Content-Length") == 0)
			return false;
	return true;
}

static struct cache_entry *
proxy_entry_from_l2(struct proxy_call *c, const struct l2_hit *hit)
{
	struct cache_entry *e;
	int identity;

	if (!proxy_l2_hit_ok(hit) || (identity = pool_find(c->px->pool, hit->identity)) < 0)
		return NULL;
	e = cache_entry_new(c->key, c->key_len, hit->status, hit->headers, hit->n_headers,
	    hit->body, identity, hit->ttl_ms - hit->age_ms);
	cache_entry_backdate(e, hit->age_ms);
	return e;
}

static void
proxy_on_l2_get(const struct l2_hit *hit, const char *version, void *arg)
{
	struct proxy_call *c = arg;
	struct cache_entry *e = hit ? proxy_entry_from_l2(c, hit) : NULL;
	int64_t now = util_mono_ms();

	if ((c->l2_versioned = version != NULL))
		snprintf(c->l2_version, sizeof(c->l2_version), "%s", version);
	/* From before a write to its group: never fresh, never stale. */
	if (e != NULL && hit->outdated)
		cache_entry_invalidate(e);
	if (e != NULL && proxy_fresh_enough(c, e)) {
		/* As for an answer from GitHub: its node ids may be asked for by id
		 * later, on this replica too. L2 keeps only answers with data. */
		if (c->graphql)
			policy_learn_nodes(c->px->policy, c->owners,
			    (const char *)evbuffer_pullup(hit->body, -1), evbuffer_get_length(hit->body));
		(void)cache_put_current(c->px->cache, e, c->generation);
		proxy_deliver(c, e, "HIT");
		cache_entry_release(e);
		return;
	}
	/* Expired or outdated: what another replica holds may still revalidate
	 * for free, or (expired) stand in for an error. */
	if (e != NULL && cache_entry_status(e) == 200 &&
	    (c->cached == NULL || cache_entry_age_ms(e, now) < cache_entry_age_ms(c->cached, now))) {
		/* What we had is older still: from before that write too. */
		if (hit->outdated && c->cached != NULL)
			cache_entry_invalidate(c->cached);
		cache_entry_release(c->cached);
		c->cached = e;
	} else {
		cache_entry_release(e);
	}
	if (c->l2_waited || c->w->l2 == NULL || !l2_lock(c->w->l2, c->key, c->key_len,
	    (int64_t)c->px->upstream_timeout_secs * 1000 + PROXY_L2_LOCK_MARGIN_MS,
	    proxy_on_l2_lock, c))
		proxy_fetch(c);
}

static void
proxy_on_l2_wait(bool signalled, void *arg)
{
	struct proxy_call *c = arg;

	(void)signalled;   /* filled or not, one more look; then GitHub */
	proxy_l2_lookup(c);
}

static void
proxy_on_l2_lock(enum l2_lock result, void *arg)
{
	struct proxy_call *c = arg;
	int64_t wait_ms = (int64_t)c->px->upstream_timeout_secs * 1000 + PROXY_L2_LOCK_MARGIN_MS;

	if (wait_ms > PROXY_L2_WAIT_MAX_MS)
		wait_ms = PROXY_L2_WAIT_MAX_MS;
	switch (result) {
	case L2_LOCK_ACQUIRED:
		c->l2_locked = true;
		break;
	case L2_LOCK_HELD:
		c->l2_waited = true;
		if (c->w->l2 != NULL &&
		    l2_wait(c->w->l2, c->key, c->key_len, wait_ms, proxy_on_l2_wait, c))
			return;
		break;
	case L2_LOCK_UNAVAILABLE:
		break;
	}
	proxy_fetch(c);
}

/*
 * A write through this replica that Redis has not confirmed yet makes
 * l2_get refuse, as does a link that is down: this read then asks GitHub,
 * and what it gets is not shared (no version is known to store it under).
 */
static void
proxy_l2_lookup(struct proxy_call *c)
{
	size_t n;

	c->l2_versioned = false;
	/* Cache-Control: no-cache asks too: an entry is then only something
	 * to revalidate, and the version is what a fresh answer is shared under. */
	if (c->w->l2 == NULL) {
		proxy_fetch(c);
		return;
	}
	if (c->l2_group == NULL) {
		char alias[256];

		n = c->graphql ? 0 : route_group_len(c->path, &c->route);
		c->l2_group = c->graphql ? util_strdup("/graphql") :
		    n > 0 ? util_strndup(c->path, n) : NULL;
		/* Read by id, in its name's group too: a write under either
		 * spelling, on any replica, outdates it (a writer knows the name
		 * it writes to, not always an id another replica read by). */
		if (n > 0 && c->route.family == ROUTE_REPO_ID &&
		    policy_repo_alias(c->px->policy, c->path, n, alias, sizeof(alias)))
			c->l2_group2 = util_strdup(alias);
	}
	if (!l2_get(c->w->l2, c->key, c->key_len, c->l2_group, c->l2_group2, proxy_on_l2_get, c))
		proxy_fetch(c);
}

static void
proxy_lookup(struct proxy_call *c, const char *query)
{
	struct cache_entry *e;

	c->generation = cache_generation(c->px->cache);
	e = cache_get(c->px->cache, c->key, c->key_len);
	if (e != NULL && proxy_fresh_enough(c, e)) {
		proxy_serve(c, e, "HIT");
		cache_entry_release(e);
		return;
	}
	c->cached = e;   /* expired or refused: revalidate, or serve stale */
	c->ttl_ms = c->graphql ? atomic_load(&c->px->graphql_ttl_ms) :
	    freshness_ttl(c->px->freshness, c->path, query, strlen(query)) * 1000;
	if (coalesce_join(c->px->coalesce, c->key, c->key_len, c->mb,
	    proxy_on_coalesced, c, &c->flight))
		return;
	/*
	 * A flight may have ended between our lookup and our join, leaving a
	 * fresh answer behind: serve it rather than ask GitHub again.
	 */
	e = cache_get(c->px->cache, c->key, c->key_len);
	if (e != NULL && proxy_fresh_enough(c, e)) {
		proxy_deliver(c, e, "HIT");
		cache_entry_release(e);
		return;
	}
	cache_entry_release(e);
	proxy_l2_lookup(c);
}

/* ------------------------------------------------------------------------
 * Requests that are not pooled reads
 * ---------------------------------------------------------------------- */

/* Answered with the client's own token; passthrough takes it from here.
 * read: a read the policy refused, sent as the client asked
 * ([policy] passthrough_denied_reads). */
static void
proxy_pass(struct proxy_call *c, const struct gql_op *op, bool read)
{
	struct passthrough_request pr = {
		.uri = c->uri,
		.path = c->path,
		.route = &c->route,
		.upstream_url = c->px->upstream_url,
		.public_base = proxy_public_base(c),
		.op = op,
		.read = read,
		.l2 = &c->w->l2,
		.lg = c->lg,
	};
	char alias[256];
	size_t n = op == NULL && !read ? route_group_len(c->path, &c->route) : 0;

	/* A write by id also invalidates reads by name, and the reverse. */
	if (n > 0 && policy_repo_alias(c->px->policy, c->path, n, alias, sizeof(alias)))
		pr.alias_group = alias;
	passthrough_start(c->px->pass, c->up, c->req, &pr);
	proxy_call_finish(c);
}

/*
 * The policy said no. A read that carries the client's own token may
 * still go with that token when the operator chose so; otherwise a 403
 * naming the rule, in GraphQL's shape for GraphQL.
 */
static void
proxy_denied(struct proxy_call *c, const struct policy_denial *d, const struct gql_op *op)
{
	struct evkeyvalq *in = evhttp_request_get_input_headers(c->req);
	json_t *doc;

	if (!c->write && policy_passthrough_denied(c->px->policy) &&
	    evhttp_find_header(in, "Authorization") != NULL) {
		proxy_pass(c, op, true);
		return;
	}
	policy_count(c->px->policy, c->client, true);
	c->lg.outcome = "denied";
	if (op != NULL)
		doc = json_pack("{s:[{s:s,s:{s:s}}]}", "errors", "message", d->message,
		    "extensions", "ghpool_rule", d->rule);
	else
		doc = json_pack("{s:s,s:s}", "message", d->message, "ghpool_rule", d->rule);
	reply_json(c->req, 403, doc, &c->lg);
	proxy_call_finish(c);
}

/* GET /rate_limit, from the pool's view: costs nothing and tells an agent
 * what it can really spend through ghpool. */
static void
proxy_rate_limit(struct proxy_call *c)
{
	evhttp_add_header(evhttp_request_get_output_headers(c->req), "X-Ghpool-Cache", "LOCAL");
	c->lg.outcome = "local";
	reply_json(c->req, 200, pool_rate_limit(c->px->pool), &c->lg);
	proxy_call_finish(c);
}

/*
 * POST /graphql. Only a document gql positively classifies as a query
 * runs on a pooled identity, and only when the policy accepts its root
 * fields; it uses the graphql bucket and is cached under its normalised
 * text, operationName and variables. Everything else needs the client's
 * own token.
 */
static void
proxy_graphql(struct proxy_call *c)
{
	struct evbuffer *in = evhttp_request_get_input_buffer(c->req);
	struct evkeyvalq *hdrs = evhttp_request_get_input_headers(c->req);
	size_t len = evbuffer_get_length(in);
	const char *body = len ? (const char *)evbuffer_pullup(in, -1) : "";
	struct graphql_request gr;
	struct policy_denial d;
	enum pool_pick_result why;
	int64_t retry_at;
	char err[256];
	int status;
	bool ok;

	if ((status = graphql_request_parse(body, len, &gr, err, sizeof(err))) != 0) {
		proxy_fail(c, status, "bad_request", err);
		return;
	}
	if (gr.op.kind != GQL_QUERY) {
		proxy_pass(c, &gr.op, false);
		graphql_request_clear(&gr);
		return;
	}
	c->operation = util_printf("query%s%s", *gr.op.name ? ":" : "", gr.op.name);
	c->lg.operation = c->operation;
	if (gr.fields_error != NULL) {
		d.rule = "graphql_field";
		snprintf(d.message, sizeof(d.message), "%s", gr.fields_error);
		ok = false;
	} else {
		ok = policy_check_graphql(c->px->policy, c->client, &gr.fields, &c->owners, &d);
	}
	if (!ok) {
		proxy_denied(c, &d, &gr.op);
		graphql_request_clear(&gr);
		return;
	}
	c->graphql = true;
	c->bucket = "graphql";
	if (c->px->enabled && proxy_cacheable_request(hdrs)) {
		c->key = cachekey_build(c->path, strlen(c->path), gr.key_query,
		    strlen(gr.key_query), evhttp_find_header(hdrs, "Accept"),
		    evhttp_find_header(hdrs, "X-GitHub-Api-Version"), &c->key_len);
		graphql_request_clear(&gr);
		proxy_client_cache_control(c);
		proxy_lookup(c, "");
		return;
	}
	graphql_request_clear(&gr);
	if (!proxy_attempt(c, &why, &retry_at))
		proxy_no_identity(c, why, retry_at);
}

/* ------------------------------------------------------------------------
 * REST reads and writes, once allowed
 * ---------------------------------------------------------------------- */

static void
proxy_rest(struct proxy_call *c)
{
	struct evkeyvalq *in = evhttp_request_get_input_headers(c->req);
	enum pool_pick_result why;
	int64_t retry_at;

	if (c->write) {
		proxy_pass(c, NULL, false);
		return;
	}
	c->bucket = route_bucket(c->path, strlen(c->path));
	/* HEAD answers carry no body to keep: they bypass the cache. */
	if (evhttp_request_get_command(c->req) == EVHTTP_REQ_GET && c->px->enabled &&
	    proxy_cacheable_request(in)) {
		c->key = cachekey_build(c->path, strlen(c->path), c->query, strlen(c->query),
		    evhttp_find_header(in, "Accept"),
		    evhttp_find_header(in, "X-GitHub-Api-Version"), &c->key_len);
		proxy_client_cache_control(c);
		proxy_lookup(c, c->query);
		return;
	}
	if (!proxy_attempt(c, &why, &retry_at))
		proxy_no_identity(c, why, retry_at);
}

/*
 * GitHub's login syntax, which is all an owner from an answer may be: it
 * goes into the policy's map and later into messages.
 */
static bool
proxy_login_ok(const char *s)
{
	size_t n = s ? strlen(s) : 0;

	if (n == 0 || n > 39)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!isalnum((unsigned char)s[i]) && s[i] != '-')
			return false;
	return true;
}

static void
proxy_on_resolved(struct upstream_result *res, void *arg)
{
	struct proxy_call *c = arg;
	struct policy_denial d;
	const char *owner = NULL, *name = NULL;
	json_t *doc = NULL;
	char msg[200];

	pool_release(c->px->pool, c->identity, c->bucket, res->error == UPSTREAM_OK ? res->status : 0);
	if (res->error != UPSTREAM_OK || res->status >= 500) {
		/* GitHub's trouble is not the client's answer: say so, deny nothing. */
		snprintf(msg, sizeof(msg), "could not look up the owner of repository %.*s: %s",
		    (int)c->route.owner_len, c->route.owner,
		    res->error != UPSTREAM_OK ? res->error_text : "GitHub answered with an error");
		c->identity = -1;
		proxy_fail(c, 502, "upstream_error", msg);
		return;
	}
	proxy_learn_limits(c, res);
	/*
	 * Only GitHub's word that the repository is not there (for this
	 * token) is remembered as "no owner"; a rate limit or a revoked token
	 * says nothing about the repository, and must not deny it for long.
	 */
	if (res->status != 200 && res->status != 404 && res->status != 451) {
		int64_t cooldown;

		proxy_apply_verdict(c, proxy_classify(res, &cooldown), cooldown);
		snprintf(msg, sizeof(msg), "could not look up the owner of repository %.*s: GitHub answered %ld",
		    (int)c->route.owner_len, c->route.owner, res->status);
		c->identity = -1;
		proxy_fail(c, 502, "upstream_error", msg);
		return;
	}
	c->identity = -1;
	if (res->status == 200) {
		size_t len = evbuffer_get_length(res->body);

		doc = json_loadb((const char *)evbuffer_pullup(res->body, -1), len, 0, NULL);
		owner = json_string_value(json_object_get(json_object_get(doc, "owner"), "login"));
		if (!proxy_login_ok(owner))
			owner = NULL;
		name = json_string_value(json_object_get(doc, "name"));   /* checked by policy */
	}
	if (!policy_check_owner(c->px->policy, c->client, c->route.owner, c->route.owner_len,
	    owner, name, &d)) {
		json_decref(doc);
		proxy_denied(c, &d, NULL);
		return;
	}
	json_decref(doc);
	proxy_rest(c);
}

/*
 * /repositories/{id}/...: the owner is not in the path, so a pooled
 * identity asks GitHub whose repository it is (the policy remembers the
 * answer for a while), and the request is judged on that.
 */
static void
proxy_resolve(struct proxy_call *c)
{
	struct upstream_request ur;
	struct pool_pick pick;
	enum pool_pick_result why;
	char *url, *line;

	c->bucket = "core";
	if ((why = pool_acquire(c->px->pool, c->bucket, -1, &pick)) != POOL_PICKED) {
		proxy_no_identity(c, why, pick.retry_at);
		return;
	}
	c->identity = pick.index;
	memset(&ur, 0, sizeof(ur));
	url = util_printf("%s/repositories/%.*s", c->px->upstream_url, (int)c->route.owner_len,
	    c->route.owner);
	ur.method = "GET";
	ur.url = url;
	ur.headers = curl_slist_append(NULL, "Accept: application/vnd.github+json");
	line = pool_authorization(c->px->pool, c->identity, &c->token_gen);
	ur.headers = curl_slist_append(ur.headers, line);
	explicit_bzero(line, strlen(line));
	free(line);
	if (upstream_start(c->up, &ur, proxy_on_resolved, c) == NULL) {
		pool_release(c->px->pool, c->identity, c->bucket, -1);
		c->identity = -1;
		proxy_fail(c, 503, "shutting_down", "ghpool is shutting down");
	}
	free(url);
}

/* ------------------------------------------------------------------------
 * Entry point
 * ---------------------------------------------------------------------- */

/* The metrics label of a route family. */
static enum metrics_route
proxy_metrics_route(enum route_family f)
{
	switch (f) {
	case ROUTE_REPOS: return METRICS_ROUTE_REPOS;
	case ROUTE_ORGS: return METRICS_ROUTE_ORGS;
	case ROUTE_USERS: return METRICS_ROUTE_USERS;
	case ROUTE_NETWORKS: return METRICS_ROUTE_NETWORKS;
	case ROUTE_REPO_ID: return METRICS_ROUTE_REPOSITORIES;
	case ROUTE_SEARCH: return METRICS_ROUTE_SEARCH;
	case ROUTE_IDENTITY: return METRICS_ROUTE_IDENTITY;
	case ROUTE_RATE_LIMIT: return METRICS_ROUTE_RATE_LIMIT;
	case ROUTE_PUBLIC: return METRICS_ROUTE_PUBLIC;
	case ROUTE_OTHER: break;
	}
	return METRICS_ROUTE_OTHER;
}

bool
proxy_admit(struct proxy *px, struct evhttp_request *req, bool management,
    const struct policy_client **client)
{
	struct evkeyvalq *in = evhttp_request_get_input_headers(req);
	const char *key = evhttp_find_header(in, "X-Ghpool-Key");
	const char *uri, *why, *auth;

	/* Scrapers such as Prometheus send credentials only as a bearer token;
	 * on ghpool's own endpoints Authorization never means a GitHub token. */
	if (key == NULL && management && (auth = evhttp_find_header(in, "Authorization")) != NULL &&
	    strncasecmp(auth, "Bearer ", 7) == 0)
		key = auth + 7;
	struct reply_log lg;
	char path[256];

	if (policy_authenticate(px->policy, key, client, &why)) {
		policy_count(px->policy, *client, false);
		return true;
	}
	/* Only a refusal needs its own access line; an admitted request gets
	 * proxy_handle's, so the hit path reads the clock once. */
	uri = evhttp_request_get_uri(req);
	snprintf(path, sizeof(path), "%.*s", (int)strcspn(uri ? uri : "", "?"), uri ? uri : "");
	lg = (struct reply_log){
		.method = reply_method_name(evhttp_request_get_command(req)),
		.path = path,
		.outcome = "unauthenticated",
		.start_us = util_mono_us(),
	};
	reply_error(req, 401, why, &lg);
	return false;
}

void
proxy_handle(struct proxy *px, const struct proxy_worker *w, struct evhttp_request *req,
    const struct policy_client *client)
{
	struct proxy_call *c = util_calloc(1, sizeof(*c));
	enum evhttp_cmd_type cmd = evhttp_request_get_command(req);
	struct evkeyvalq *in = evhttp_request_get_input_headers(req);
	const char *uri = evhttp_request_get_uri(req), *q, *bad;
	struct policy_denial d;
	int status;

	c->px = px;
	c->w = w;
	c->up = w->up;
	c->mb = w->mb;
	c->req = req;
	c->client = client;
	c->identity = -1;
	c->excluded = -1;
	c->lg.start_us = util_mono_us();
	c->lg.method = reply_method_name(cmd);
	c->lg.outcome = "pooled";
	c->lg.client = policy_client_id(client);
	if (uri == NULL)
		uri = "";
	q = strchr(uri, '?');
	c->uri = util_strdup(uri);
	c->path = util_strndup(uri, q ? (size_t)(q - uri) : strlen(uri));
	c->query = q ? c->uri + (q - uri) + 1 : "";
	c->lg.path = c->path;

	if (atomic_load(&px->closing)) {
		proxy_fail(c, 503, "shutting_down", "ghpool is shutting down");
		return;
	}
	if (strlen(uri) > PROXY_MAX_URI) {
		free(c->path);
		c->path = util_strdup("(too long)");
		c->lg.path = c->path;
		proxy_fail(c, 414, "bad_request", "request URI is longer than 8 KiB");
		return;
	}
	if ((status = proxy_headers_check(in, &bad)) != 0) {
		proxy_fail(c, status, "bad_request", bad);
		return;
	}
	switch (cmd) {
	case EVHTTP_REQ_HEAD:
		/*
		 * evhttp never reads a HEAD request's body, so its bytes would be
		 * parsed as the next request: refuse, and close the connection.
		 */
		if (evhttp_find_header(in, "Transfer-Encoding") != NULL ||
		    (evhttp_find_header(in, "Content-Length") != NULL &&
		    strcmp(evhttp_find_header(in, "Content-Length"), "0") != 0)) {
			evhttp_add_header(evhttp_request_get_output_headers(req), "Connection", "close");
			proxy_fail(c, 400, "bad_request", "a HEAD request cannot carry a body");
			return;
		}
		break;
	case EVHTTP_REQ_GET:
		break;
	case EVHTTP_REQ_POST:
	case EVHTTP_REQ_PUT:
	case EVHTTP_REQ_PATCH:
	case EVHTTP_REQ_DELETE:
		c->write = true;
		break;
	default:
		evhttp_add_header(evhttp_request_get_output_headers(req), "Allow",
		    "GET, HEAD, POST, PATCH, PUT, DELETE");
		proxy_fail(c, 405, "bad_request",
		    "ghpool proxies GET and HEAD (pooled) and POST, PATCH, PUT and DELETE "
		    "(with your own token)");
		return;
	}
	if (!route_target_clean(uri, strlen(uri)) || strchr(uri, '#') != NULL) {
		proxy_fail(c, 400, "bad_request",
		    "request URI must be printable ASCII without spaces or a fragment");
		return;
	}
	if ((bad = route_path_invalid(c->path, strlen(c->path))) != NULL) {
		proxy_fail(c, 400, "bad_request", bad);
		return;
	}
	route_parse(c->path, strlen(c->path), &c->route);
	c->lg.route = proxy_metrics_route(c->route.family);
	if (strcmp(c->path, "/graphql") == 0) {
		c->lg.route = METRICS_ROUTE_GRAPHQL;
		/*
		 * The body is what gql judged; a query string could carry another
		 * query or operationName past it. And GraphQL is POST only: a GET
		 * would be a pooled read that no classifier ever saw.
		 */
		c->write = false;   /* a mutation is passthrough's call, by its document */
		if (cmd != EVHTTP_REQ_POST) {
			evhttp_add_header(evhttp_request_get_output_headers(req), "Allow", "POST");
			proxy_fail(c, 405, "bad_request", "GraphQL requests are POST /graphql with a JSON body");
		} else if (q != NULL) {
			proxy_fail(c, 400, "bad_request",
			    "GraphQL requests carry everything in the JSON body: no query string");
		} else {
			proxy_graphql(c);
		}
		return;
	}
	switch (policy_check_rest(px->policy, client, c->path, strlen(c->path), &c->route,
	    c->query, strlen(c->query), c->write, &d)) {
	case POLICY_ALLOW:
		proxy_rest(c);
		return;
	case POLICY_DENY:
		proxy_denied(c, &d, NULL);
		return;
	case POLICY_RESOLVE:
		proxy_resolve(c);
		return;
	case POLICY_RATE_LIMIT:
		proxy_rate_limit(c);
		return;
	}
}
