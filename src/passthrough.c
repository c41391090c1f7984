/*
 * passthrough.c - writes and non-query GraphQL, with the client's token.
 *
 * Flow of one passthrough (all on the worker that accepted it):
 *   passthrough_start -> 401 without Authorization; else learn the login
 *   pass_on_user      -> (first time for this token) GET /user with it
 *   pass_forward      -> the request as the client sent it, to GitHub
 *   pass_on_done      -> drop stale cache entries, audit, answer verbatim
 *   pass_on_version   -> (with Redis) the answer waits for the new group
 *                        versions, at most one Redis command deadline
 * The pool is never consulted: GitHub charges the client's own budget, and
 * the client's rate-limit headers come back to it untouched. A call is
 * freed on exactly one path: pass_finish().
 */
#include "passthrough.h"
#include "audit.h"
#include "cache.h"
#include "l2.h"
#include "log.h"
#include "rewrite.h"
#include "upstream.h"
#include "util.h"
#include "whois.h"

#include <event2/buffer.h>
#include <event2/keyvalq_struct.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define PASS_MAX_PREFIXES 3

struct passthrough {
	struct cache *cache;
	struct whois *whois;
	struct audit *audit;
};

struct pass_call {
	struct passthrough *pt;
	struct upstream *up;
	struct evhttp_request *req;
	char *authorization;      /* the client's; wiped when the call ends */
	char *url;
	char *upstream_url;
	char *public_base;
	char *path;
	char *prefixes[PASS_MAX_PREFIXES];   /* dropped from the cache after a 2xx */
	struct l2 *const *l2;     /* the worker's L2, if any: see passthrough.h */
	int versions_pending;     /* l2_invalidate answers the reply waits for */
	int status;               /* GitHub's, held meanwhile */
	struct evbuffer *body;
	bool graphql;
	bool read;                /* a denied read sent with the client's token */
	char op_type[16];
	char op_name[128];
	char operation[160];      /* "mutation:Name", for the access line */
	char login[WHOIS_LOGIN_MAX];
	struct reply_log lg;
};

struct passthrough *
passthrough_new(struct cache *cache, struct whois *whois, struct audit *audit)
{
	struct passthrough *pt = util_calloc(1, sizeof(*pt));

	pt->cache = cache;
	pt->whois = whois;
	pt->audit = audit;
	return pt;
}

void
passthrough_free(struct passthrough *pt)
{
	free(pt);
}

static void
pass_finish(struct pass_call *c)
{
	if (c->authorization != NULL) {
		explicit_bzero(c->authorization, strlen(c->authorization));
		free(c->authorization);
	}
	for (size_t i = 0; i < PASS_MAX_PREFIXES; i++)
		free(c->prefixes[i]);
	if (c->body != NULL)
		evbuffer_free(c->body);
	free(c->url);
	free(c->upstream_url);
	free(c->public_base);
	free(c->path);
	free(c);
}

static void
pass_fail(struct pass_call *c, int status, const char *message)
{
	reply_error(c->req, status, message, &c->lg);
	pass_finish(c);
}

/* ------------------------------------------------------------------------
 * What a write makes stale
 * ---------------------------------------------------------------------- */

/*
 * Reads a write may have made stale, so the writer reads its own write.
 * Invalidated entries keep their ETags, so whatever did not change costs
 * one free 304 to confirm: being broad is cheap, being narrow is not (a
 * merge moves a branch, so commits, contents and compare change too).
 *   /repos/o/r[/...]   -> everything under /repos/o/r
 *   anything else      -> its first two segments (/orgs/o, /user/repos)
 *   a repository       -> also its other spelling, /repositories/<id> for
 *                         /repos/o/r and the reverse, when the id is known
 *   every write        -> /graphql: its answers cannot be mapped to paths
 */
static void
pass_plan_invalidation(struct pass_call *c, const struct route_info *ri, const char *alias)
{
	size_t n = 0, len;

	c->prefixes[n++] = util_strdup("/graphql");
	if (c->graphql)
		return;
	if ((len = route_group_len(c->path, ri)) > 0)
		c->prefixes[n++] = util_strndup(c->path, len);
	if (len > 0 && alias != NULL)
		c->prefixes[n++] = util_strdup(alias);
}

static void pass_on_version(bool confirmed, void *arg);

static void
pass_invalidate(struct pass_call *c)
{
	size_t dropped = 0;

	if (c->pt->cache == NULL)
		return;
	/*
	 * Redis first: l2_invalidate marks the group before it returns, so a
	 * read on another worker that sees the L1 invalidation below cannot
	 * then take the pre-write answer from Redis and put it back in L1.
	 * Other replicas' copies in Redis are outdated too: any of them may
	 * serve the writer's next read.
	 */
	for (size_t i = 0; i < PASS_MAX_PREFIXES && c->prefixes[i] != NULL; i++)
		if (c->l2 != NULL && *c->l2 != NULL &&
		    l2_invalidate(*c->l2, c->prefixes[i], pass_on_version, c))
			c->versions_pending++;
	for (size_t i = 0; i < PASS_MAX_PREFIXES && c->prefixes[i] != NULL; i++)
		dropped += cache_invalidate_prefix(c->pt->cache, c->prefixes[i]);
	if (dropped > 0)
		log_info("write %s %s by %s invalidated %zu cache entries", c->lg.method,
		    c->path, c->login, dropped);
}

/* ------------------------------------------------------------------------
 * The answer
 * ---------------------------------------------------------------------- */

static void
pass_audit(struct pass_call *c, int status)
{
	struct audit_record r = {
		.login = c->login,
		.client = c->lg.client,
		.method = c->lg.method,
		.path = c->path,
		.op_type = c->graphql ? c->op_type : NULL,
		.op_name = c->graphql ? c->op_name : NULL,
		.status = status,
		.duration_ms = (util_mono_us() - c->lg.start_us) / 1000,
	};

	/* The audit log records writes; a denied read sent with the
	 * client's token is in the access log. */
	if (!c->read)
		audit_write(c->pt->audit, &r);
}

static void
pass_on_done(struct upstream_result *res, void *arg)
{
	struct pass_call *c = arg;
	struct evkeyvalq *out = evhttp_request_get_output_headers(c->req);
	char msg[256];

	c->lg.login = c->login;
	if (res->error != UPSTREAM_OK) {
		log_warn("passthrough %s %s by %s failed: %s", c->lg.method, c->path,
		    c->login, res->error_text);
		c->lg.outcome = "upstream_error";
		pass_audit(c, res->error == UPSTREAM_TIMEOUT ? 504 : 502);
		if (res->error == UPSTREAM_TIMEOUT) {
			pass_fail(c, 504, "GitHub did not answer in time; the write may or may not have happened");
		} else {
			snprintf(msg, sizeof(msg), "the exchange with GitHub failed (%s); a write may or may not have been applied",
			    res->error_text);
			pass_fail(c, 502, msg);
		}
		return;
	}
	for (struct evkeyval *kv = res->headers->tqh_first; kv; kv = kv->next.tqe_next) {
		char *v = NULL;

		if (!rewrite_passthrough_response_header(kv->key))
			continue;
		if (strcasecmp(kv->key, "Link") == 0)
			v = rewrite_link(kv->value, c->upstream_url, c->public_base, NULL, NULL, 0);
		else if (strcasecmp(kv->key, "Location") == 0)
			v = rewrite_location(kv->value, c->upstream_url, c->public_base);
		evhttp_add_header(out, kv->key, v ? v : kv->value);
		free(v);
	}
	evhttp_add_header(out, "X-Ghpool-Cache", "BYPASS");
	if (res->status >= 200 && res->status < 300)
		pass_invalidate(c);
	pass_audit(c, (int)res->status);
	c->lg.outcome = "passthrough";
	if (c->versions_pending > 0) {
		/* res is upstream's until we return: keep the body. */
		c->status = (int)res->status;
		if ((c->body = evbuffer_new()) == NULL)
			abort();
		evbuffer_add_buffer(c->body, res->body);
		return;
	}
	reply_send(c->req, (int)res->status, res->body, &c->lg);
	pass_finish(c);
}

/*
 * Redis has the write's new group version (or could not take it in time):
 * only now does the writer hear its answer, so any read it sends next, to
 * any replica, finds the entries from before the write outdated. A Redis
 * that is slow costs the write at most one command deadline.
 */
static void
pass_on_version(bool confirmed, void *arg)
{
	struct pass_call *c = arg;

	if (!confirmed)
		log_debug("write %s %s: a new cache version is not yet in Redis", c->lg.method,
		    c->path);
	if (--c->versions_pending > 0)
		return;
	reply_send(c->req, c->status, c->body, &c->lg);
	pass_finish(c);
}

static void
pass_forward(struct pass_call *c)
{
	struct evkeyvalq *in = evhttp_request_get_input_headers(c->req);
	struct evbuffer *body = evhttp_request_get_input_buffer(c->req);
	struct upstream_request ur;
	struct curl_slist *h = NULL;
	char *line;

	for (struct evkeyval *kv = in->tqh_first; kv; kv = kv->next.tqe_next) {
		if (!rewrite_passthrough_request_header(kv->key))
			continue;
		line = util_printf("%s: %s", kv->key, kv->value);
		h = curl_slist_append(h, line);
		explicit_bzero(line, strlen(line));   /* may be Authorization */
		free(line);
	}
	/* curl would add its own defaults; an empty header suppresses one. */
	if (evhttp_find_header(in, "Content-Type") == NULL)
		h = curl_slist_append(h, "Content-Type:");
	if (evhttp_find_header(in, "Accept") == NULL)
		h = curl_slist_append(h, "Accept:");
	memset(&ur, 0, sizeof(ur));
	ur.method = c->lg.method;
	ur.url = c->url;
	ur.headers = h;
	ur.body_len = evbuffer_get_length(body);
	ur.body = ur.body_len ? evbuffer_pullup(body, -1) : NULL;
	ur.isolated = true;
	if (upstream_start(c->up, &ur, pass_on_done, c) == NULL)
		pass_fail(c, 503, "ghpool is shutting down");
}

/* ------------------------------------------------------------------------
 * Who is it
 * ---------------------------------------------------------------------- */

static void
pass_on_user(struct upstream_result *res, void *arg)
{
	struct pass_call *c = arg;
	size_t len = evbuffer_get_length(res->body);
	const char *body = len ? (const char *)evbuffer_pullup(res->body, -1) : "";

	if (res->error == UPSTREAM_OK && res->status == 200 &&
	    whois_parse_user(body, len, c->login)) {
		whois_put(c->pt->whois, c->authorization, c->login, util_mono_ms());
	} else {
		/* The write still goes: GitHub, not us, judges the token. */
		snprintf(c->login, sizeof(c->login), "-");
		log_warn("passthrough %s %s: could not learn the token's login (GET /user: %s %ld)",
		    c->lg.method, c->path, res->error == UPSTREAM_OK ? "status" : res->error_text,
		    res->status);
	}
	pass_forward(c);
}

static void
pass_whois(struct pass_call *c)
{
	struct upstream_request ur;
	struct curl_slist *h = NULL;
	char *url, *line;

	if (whois_get(c->pt->whois, c->authorization, util_mono_ms(), c->login)) {
		pass_forward(c);
		return;
	}
	line = util_printf("Authorization: %s", c->authorization);
	h = curl_slist_append(h, line);
	explicit_bzero(line, strlen(line));
	free(line);
	h = curl_slist_append(h, "Accept: application/vnd.github+json");
	url = util_printf("%s/user", c->upstream_url);
	memset(&ur, 0, sizeof(ur));
	ur.method = "GET";
	ur.url = url;
	ur.headers = h;
	if (upstream_start(c->up, &ur, pass_on_user, c) == NULL)
		pass_fail(c, 503, "ghpool is shutting down");
	free(url);
}

/* ------------------------------------------------------------------------
 * Entry point
 * ---------------------------------------------------------------------- */

static size_t
passthrough_count_header(struct evhttp_request *req, const char *name)
{
	struct evkeyvalq *in = evhttp_request_get_input_headers(req);
	size_t n = 0;

	for (struct evkeyval *kv = in->tqh_first; kv; kv = kv->next.tqe_next)
		n += strcasecmp(kv->key, name) == 0;
	return n;
}

void
passthrough_start(struct passthrough *pt, struct upstream *up,
    struct evhttp_request *req, const struct passthrough_request *pr)
{
	struct pass_call *c = util_calloc(1, sizeof(*c));
	const char *auth = evhttp_find_header(evhttp_request_get_input_headers(req),
	    "Authorization");

	c->pt = pt;
	c->up = up;
	c->req = req;
	c->lg = pr->lg;
	c->l2 = pr->l2;
	c->path = util_strdup(pr->path);
	c->lg.path = c->path;
	c->graphql = pr->op != NULL;
	c->read = pr->read;
	if (c->graphql) {
		snprintf(c->op_type, sizeof(c->op_type), "%s", gql_kind_name(pr->op->kind));
		snprintf(c->op_name, sizeof(c->op_name), "%s", pr->op->name);
		snprintf(c->operation, sizeof(c->operation), "%s%s%s", c->op_type,
		    *c->op_name ? ":" : "", c->op_name);
		c->lg.operation = c->operation;
	}
	if (auth == NULL || auth[strspn(auth, " \t")] == '\0') {
		c->lg.outcome = "no_token";
		pass_fail(c, 401, c->graphql ?
		    "this GraphQL document is not a plain query, so ghpool sends it with your own "
		    "token: add an Authorization header (pooled tokens never write)" :
		    "writes go to GitHub with your own token: add an Authorization header "
		    "(pooled tokens never write)");
		return;
	}
	if (passthrough_count_header(req, "Authorization") > 1) {
		/* Which one would GitHub use? We would audit the other. */
		c->lg.outcome = "bad_request";
		pass_fail(c, 400, "send one Authorization header, not several");
		return;
	}
	c->authorization = util_strdup(auth);
	c->url = util_printf("%s%s", pr->upstream_url, pr->uri);
	c->upstream_url = util_strdup(pr->upstream_url);
	c->public_base = util_strdup(pr->public_base);
	if (!c->read)
		pass_plan_invalidation(c, pr->route, pr->alias_group);
	pass_whois(c);
}
