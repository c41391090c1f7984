/*
 * proxy.c - pooled REST reads, from request to response.
 *
 * Flow of one read (all on the worker thread that accepted it):
 *   proxy_handle  -> validate, policy, bucket
 *   proxy_attempt -> pool_acquire, upstream_start
 *   proxy_on_done -> learn limits, maybe retry once, proxy_respond
 * A call is freed on exactly one path: proxy_call_finish().
 */
#include "proxy.h"
#include "config.h"
#include "log.h"
#include "policy.h"
#include "pool.h"
#include "reply.h"
#include "rewrite.h"
#include "route.h"
#include "upstream.h"
#include "util.h"

#include <ctype.h>
#include <event2/buffer.h>
#include <event2/keyvalq_struct.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define PROXY_MAX_URI 8192
#define PROXY_MAX_HEADER_BYTES (16 * 1024)
#define PROXY_DEFAULT_COOLDOWN 60
#define PROXY_MAX_COOLDOWN 86400

struct proxy {
	struct pool *pool;
	struct policy *policy;
	char *upstream_url;
	char *public_url;        /* NULL: from the request's Host */
	char *fallback_base;     /* when Host is missing or unusable */
};

struct proxy_call {
	struct proxy *px;
	struct upstream *up;
	struct evhttp_request *req;
	char *uri;               /* raw path?query, forwarded byte for byte */
	char *path;              /* uri without the query */
	char *public_base;
	const char *bucket;
	struct route_info route; /* points into path */
	int identity;            /* current attempt's identity, -1 if none */
	int excluded;            /* identity the retry must avoid */
	int attempts;
	struct reply_log lg;
};

/* ------------------------------------------------------------------------
 * Lifecycle
 * ---------------------------------------------------------------------- */

struct proxy *
proxy_new(const struct config *cfg, struct pool *pool, struct policy *policy)
{
	struct proxy *px = util_calloc(1, sizeof(*px));

	px->pool = pool;
	px->policy = policy;
	px->upstream_url = util_strdup(cfg->upstream_url);
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
proxy_free(struct proxy *px)
{
	if (px == NULL)
		return;
	free(px->upstream_url);
	free(px->public_url);
	free(px->fallback_base);
	free(px);
}

static void
proxy_call_finish(struct proxy_call *c)
{
	free(c->uri);
	free(c->path);
	free(c->public_base);
	free(c);
}

/* ------------------------------------------------------------------------
 * Request checks
 * ---------------------------------------------------------------------- */

static size_t
proxy_header_bytes(struct evkeyvalq *h)
{
	size_t n = 0;

	/* As on the wire: "Name: value\r\n". */
	for (struct evkeyval *kv = h->tqh_first; kv; kv = kv->next.tqe_next)
		n += strlen(kv->key) + 2 + strlen(kv->value) + 2;
	return n;
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

static char *
proxy_public_base(struct proxy *px, struct evhttp_request *req)
{
	const char *host;

	if (px->public_url)
		return util_strdup(px->public_url);
	host = evhttp_find_header(evhttp_request_get_input_headers(req), "Host");
	if (!proxy_host_ok(host))
		return util_strdup(px->fallback_base);
	return util_printf("http://%s", host);
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
 * Teaches the pool what GitHub said of the current identity's bucket, and
 * returns that bucket's name. A 401 is skipped: GitHub answers it with the
 * unauthenticated per-IP budget, which is nobody's pooled budget.
 */
static const char *
proxy_learn_limits(struct proxy_call *c, struct upstream_result *res)
{
	struct evkeyvalq *h = res->headers;
	struct pool_limits l = { 0 };
	const char *resource = evhttp_find_header(h, "X-RateLimit-Resource");

	if (resource == NULL || *resource == '\0' || strlen(resource) >= 32)
		resource = c->bucket;
	if (res->status == 401 ||
	    !proxy_header_i64(h, "X-RateLimit-Limit", INT32_MAX, &l.limit) ||
	    !proxy_header_i64(h, "X-RateLimit-Remaining", INT32_MAX, &l.remaining) ||
	    !proxy_header_i64(h, "X-RateLimit-Reset", INT64_C(1) << 40, &l.reset))
		return resource;
	if (!proxy_header_i64(h, "X-RateLimit-Used", INT32_MAX, &l.used))
		l.used = l.limit >= l.remaining ? l.limit - l.remaining : 0;
	pool_observe(c->px->pool, c->identity, resource, &l);
	return resource;
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
		pool_disable(pool, c->identity);
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

static void
proxy_respond(struct proxy_call *c, struct upstream_result *res, const char *bucket)
{
	struct evkeyvalq *out = evhttp_request_get_output_headers(c->req);

	for (struct evkeyval *kv = res->headers->tqh_first; kv; kv = kv->next.tqe_next) {
		char *v;

		if (!rewrite_forward_response_header(kv->key))
			continue;
		if (strcasecmp(kv->key, "Link") == 0) {
			v = rewrite_link(kv->value, c->px->upstream_url, c->public_base,
			    c->route.id_form, c->path, c->route.prefix_len);
		} else if (strcasecmp(kv->key, "Location") == 0) {
			v = rewrite_location(kv->value, c->px->upstream_url, c->public_base);
		} else {
			v = util_strdup(kv->value);
		}
		evhttp_add_header(out, kv->key, v);
		free(v);
	}
	/* A HEAD answer has no body to measure: keep GitHub's length. */
	if (evhttp_request_get_command(c->req) == EVHTTP_REQ_HEAD) {
		const char *cl = evhttp_find_header(res->headers, "Content-Length");
		if (cl != NULL)
			evhttp_add_header(out, "Content-Length", cl);
	}
	proxy_set_limit_headers(c, out, bucket);
	evhttp_add_header(out, "X-Ghpool-Identity", pool_id(c->px->pool, c->identity));
	c->lg.identity = pool_id(c->px->pool, c->identity);
	reply_send(c->req, (int)res->status, res->body, &c->lg);
	proxy_call_finish(c);
}

static void
proxy_fail(struct proxy_call *c, int status, const char *outcome, const char *message)
{
	c->lg.outcome = outcome;
	reply_error(c->req, status, message, &c->lg);
	proxy_call_finish(c);
}

/* The pool has nobody for this read: say why, in GitHub's own shapes. */
static void
proxy_no_identity(struct proxy_call *c, enum pool_pick_result why, int64_t retry_at)
{
	struct evkeyvalq *out = evhttp_request_get_output_headers(c->req);
	int64_t wait = retry_at - util_now();
	char msg[256];

	if (wait < 1)
		wait = 1;
	switch (why) {
	case POOL_NO_IDENTITY:
		proxy_fail(c, 503, "no_identity",
		    "ghpool has no usable identity: every pooled token was rejected by GitHub or none is configured (see /stats)");
		return;
	case POOL_ALL_COOLING:
		proxy_add_i64(out, "Retry-After", wait);
		snprintf(msg, sizeof(msg),
		    "every pooled identity with budget for '%s' is cooling down after a secondary rate limit; retry in %llds",
		    c->bucket, (long long)wait);
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
	c->lg.outcome = "exhausted";
	reply_json(c->req, 403, json_pack("{s:s,s:s}", "message", msg,
	    "documentation_url", "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api"),
	    &c->lg);
	proxy_call_finish(c);
}

/* ------------------------------------------------------------------------
 * Attempts
 * ---------------------------------------------------------------------- */

static void proxy_on_done(struct upstream_result *res, void *arg);

static struct curl_slist *
proxy_upstream_headers(struct proxy_call *c)
{
	struct evkeyvalq *in = evhttp_request_get_input_headers(c->req);
	struct curl_slist *h = NULL;
	char *line;

	for (struct evkeyval *kv = in->tqh_first; kv; kv = kv->next.tqe_next) {
		if (!rewrite_forward_request_header(kv->key))
			continue;
		line = util_printf("%s: %s", kv->key, kv->value);
		h = curl_slist_append(h, line);
		free(line);
	}
	line = util_printf("Authorization: Bearer %s", pool_token(c->px->pool, c->identity));
	h = curl_slist_append(h, line);
	explicit_bzero(line, strlen(line));
	free(line);
	return h;
}

/* Returns false when no identity could be picked (and nothing was sent). */
static bool
proxy_attempt(struct proxy_call *c, enum pool_pick_result *why, int64_t *retry_at)
{
	struct pool_pick pick;
	struct upstream_request ur;
	char *url;
	bool started;

	*why = pool_acquire(c->px->pool, c->bucket, c->excluded, &pick);
	*retry_at = pick.retry_at;
	if (*why != POOL_PICKED)
		return false;
	c->identity = pick.index;
	c->attempts++;
	url = util_printf("%s%s", c->px->upstream_url, c->uri);
	memset(&ur, 0, sizeof(ur));
	ur.method = reply_method_name(evhttp_request_get_command(c->req));
	ur.url = url;
	ur.headers = proxy_upstream_headers(c);
	started = upstream_start(c->up, &ur, proxy_on_done, c) != NULL;
	free(url);
	if (!started) {
		/* Only while shutting down. No callback will come: undo. */
		pool_release(c->px->pool, c->identity, c->bucket);
		c->identity = -1;
		*why = POOL_NO_IDENTITY;
		*retry_at = 0;
	}
	return started;
}

static void
proxy_on_done(struct upstream_result *res, void *arg)
{
	struct proxy_call *c = arg;
	enum pool_pick_result why;
	enum proxy_verdict verdict;
	const char *bucket;
	int64_t retry_at, cooldown;
	int first = c->identity;
	char msg[256];

	pool_release(c->px->pool, c->identity, c->bucket);
	c->lg.identity = pool_id(c->px->pool, c->identity);
	if (res->error != UPSTREAM_OK) {
		log_warn("upstream %s %s via %s failed: %s", c->lg.method, c->path,
		    c->lg.identity, res->error_text);
		if (res->error == UPSTREAM_TIMEOUT) {
			proxy_fail(c, 504, "upstream_timeout", "GitHub did not answer in time");
		} else {
			snprintf(msg, sizeof(msg), "could not reach GitHub: %s", res->error_text);
			proxy_fail(c, 502, "upstream_error", msg);
		}
		return;
	}
	bucket = proxy_learn_limits(c, res);
	verdict = proxy_classify(res, &cooldown);
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
	c->lg.outcome = c->attempts > 1 ? "retried" : "pooled";
	proxy_respond(c, res, bucket);
}

/* ------------------------------------------------------------------------
 * Entry point
 * ---------------------------------------------------------------------- */

void
proxy_handle(struct proxy *px, struct upstream *up, struct evhttp_request *req)
{
	struct proxy_call *c = util_calloc(1, sizeof(*c));
	enum evhttp_cmd_type cmd = evhttp_request_get_command(req);
	const char *uri = evhttp_request_get_uri(req), *q, *bad;
	enum pool_pick_result why;
	int64_t retry_at;
	char reason[200];

	c->px = px;
	c->up = up;
	c->req = req;
	c->identity = -1;
	c->excluded = -1;
	c->lg.start_ms = util_mono_ms();
	c->lg.method = reply_method_name(cmd);
	c->lg.outcome = "pooled";
	if (uri == NULL)
		uri = "";
	q = strchr(uri, '?');
	c->uri = util_strdup(uri);
	c->path = util_strndup(uri, q ? (size_t)(q - uri) : strlen(uri));
	c->lg.path = c->path;

	if (strlen(uri) > PROXY_MAX_URI) {
		free(c->path);
		c->path = util_strdup("(too long)");
		c->lg.path = c->path;
		proxy_fail(c, 414, "bad_request", "request URI is longer than 8 KiB");
		return;
	}
	if (proxy_header_bytes(evhttp_request_get_input_headers(req)) > PROXY_MAX_HEADER_BYTES) {
		proxy_fail(c, 431, "bad_request", "request headers are larger than 16 KiB");
		return;
	}
	if (cmd != EVHTTP_REQ_GET && cmd != EVHTTP_REQ_HEAD) {
		evhttp_add_header(evhttp_request_get_output_headers(req), "Allow", "GET, HEAD");
		proxy_fail(c, 405, "bad_request",
		    "ghpool proxies only GET and HEAD here; writes are not supported yet");
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
	if ((bad = policy_check_read(px->policy, c->path, strlen(c->path),
	    reason, sizeof(reason))) != NULL) {
		proxy_fail(c, 403, "denied", bad);
		return;
	}
	route_parse(c->path, strlen(c->path), &c->route);
	c->bucket = route_bucket(c->path, strlen(c->path));
	c->public_base = proxy_public_base(px, req);
	if (!proxy_attempt(c, &why, &retry_at))
		proxy_no_identity(c, why, retry_at);
}
