/*
 * mgmt.c - health and statistics endpoints.
 */
#include "mgmt.h"
#include "metrics.h"
#include "policy.h"
#include "pool.h"
#include "proxy.h"
#include "reply.h"
#include "server.h"
#include "util.h"

#include <event2/buffer.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

struct mgmt {
	struct pool *pool;
	struct proxy *px;
	struct policy *policy;
	int64_t started;
	atomic_bool draining;
	_Atomic(struct server *) server;
};

struct mgmt *
mgmt_new(struct pool *pool, struct proxy *px, struct policy *policy)
{
	struct mgmt *m = util_calloc(1, sizeof(*m));

	m->pool = pool;
	m->px = px;
	m->policy = policy;
	m->started = util_now();
	atomic_init(&m->draining, false);
	return m;
}

void
mgmt_free(struct mgmt *m)
{
	free(m);
}

void
mgmt_set_server(struct mgmt *m, struct server *srv)
{
	atomic_store(&m->server, srv);
}

void
mgmt_set_draining(struct mgmt *m)
{
	atomic_store(&m->draining, true);
}

/* Why ghpool should get no traffic now, or NULL when it should. */
static const char *
mgmt_not_ready(struct mgmt *m, size_t usable)
{
	if (atomic_load(&m->draining))
		return "ghpool is shutting down";
	if (usable == 0)
		return "no identity is usable: every pooled token was rejected, is cooling down, or "
		    "none is configured (see /stats)";
	return NULL;
}

/* The /stats document, which /metrics also reads. */
static json_t *
mgmt_stats(struct mgmt *m)
{
	json_t *doc = pool_stats(m->pool);
	size_t usable = pool_usable(m->pool);
	struct server *srv;

	json_object_set_new(doc, "version", json_string(GHPOOL_VERSION));
	json_object_set_new(doc, "uptime_secs", json_integer(util_now() - m->started));
	json_object_set_new(doc, "usable_identities", json_integer((json_int_t)usable));
	json_object_set_new(doc, "ready", json_boolean(mgmt_not_ready(m, usable) == NULL));
	json_object_set_new(doc, "cache", proxy_stats(m->px));
	json_object_set_new(doc, "policy", policy_stats(m->policy));
	if ((srv = atomic_load(&m->server)) != NULL)
		json_object_set_new(doc, "redis", server_redis_stats(srv));
	return doc;
}

static void
mgmt_text(struct evhttp_request *req, const char *type, struct evbuffer *b,
    const struct reply_log *lg)
{
	evhttp_add_header(evhttp_request_get_output_headers(req), "Content-Type", type);
	reply_send(req, 200, b, lg);
}

void
mgmt_handle(struct mgmt *m, struct evhttp_request *req, const char *path,
    const struct policy_client *client)
{
	enum evhttp_cmd_type cmd = evhttp_request_get_command(req);
	struct reply_log lg = {
		.method = reply_method_name(cmd), .path = path,
		.outcome = "management", .start_us = util_mono_us(),
		.client = policy_client_id(client), .route = METRICS_ROUTE_MANAGEMENT,
	};
	struct evkeyvalq *out = evhttp_request_get_output_headers(req);
	struct evbuffer *b;
	const char *why;
	json_t *doc;
	size_t usable;

	if (cmd != EVHTTP_REQ_GET && cmd != EVHTTP_REQ_HEAD) {
		evhttp_add_header(out, "Allow", "GET, HEAD");
		reply_error(req, 405, "management endpoints answer GET and HEAD only", &lg);
		return;
	}
	evhttp_add_header(out, "Cache-Control", "no-store");
	if (strcmp(path, "/healthz") == 0) {
		b = evbuffer_new();
		evbuffer_add(b, "ok", 2);
		mgmt_text(req, "text/plain; charset=utf-8", b, &lg);
		evbuffer_free(b);
	} else if (strcmp(path, "/readyz") == 0) {
		usable = pool_usable(m->pool);
		if ((why = mgmt_not_ready(m, usable)) != NULL)
			reply_json(req, 503, json_pack("{s:b,s:s,s:I}", "ready", 0, "reason", why,
			    "usable_identities", (json_int_t)usable), &lg);
		else
			reply_json(req, 200, json_pack("{s:b,s:I}", "ready", 1,
			    "usable_identities", (json_int_t)usable), &lg);
	} else if (strcmp(path, "/metrics") == 0) {
		doc = mgmt_stats(m);
		b = evbuffer_new();
		metrics_render(b, doc);
		json_decref(doc);
		mgmt_text(req, "text/plain; version=0.0.4; charset=utf-8", b, &lg);
		evbuffer_free(b);
	} else {
		reply_json(req, 200, mgmt_stats(m), &lg);
	}
}
