/*
 * mgmt.c - health and statistics endpoints.
 */
#include "mgmt.h"
#include "policy.h"
#include "pool.h"
#include "proxy.h"
#include "reply.h"
#include "util.h"

#include <event2/buffer.h>
#include <stdlib.h>
#include <string.h>

struct mgmt {
	struct pool *pool;
	struct proxy *px;
	struct policy *policy;
	int64_t started;
};

struct mgmt *
mgmt_new(struct pool *pool, struct proxy *px, struct policy *policy)
{
	struct mgmt *m = util_calloc(1, sizeof(*m));

	m->pool = pool;
	m->px = px;
	m->policy = policy;
	m->started = util_now();
	return m;
}

void
mgmt_free(struct mgmt *m)
{
	free(m);
}

void
mgmt_handle(struct mgmt *m, struct evhttp_request *req, const char *path,
    const struct policy_client *client)
{
	enum evhttp_cmd_type cmd = evhttp_request_get_command(req);
	struct reply_log lg = {
		.method = reply_method_name(cmd), .path = path,
		.outcome = "management", .start_ms = util_mono_ms(),
		.client = policy_client_id(client),
	};
	struct evkeyvalq *out = evhttp_request_get_output_headers(req);

	if (cmd != EVHTTP_REQ_GET && cmd != EVHTTP_REQ_HEAD) {
		evhttp_add_header(out, "Allow", "GET, HEAD");
		reply_error(req, 405, "management endpoints answer GET and HEAD only", &lg);
		return;
	}
	evhttp_add_header(out, "Cache-Control", "no-store");
	if (strcmp(path, "/healthz") == 0) {
		struct evbuffer *b = evbuffer_new();

		evbuffer_add(b, "ok", 2);
		evhttp_add_header(out, "Content-Type", "text/plain; charset=utf-8");
		reply_send(req, 200, b, &lg);
		evbuffer_free(b);
		return;
	}
	json_t *doc = pool_stats(m->pool);
	json_object_set_new(doc, "version", json_string(GHPOOL_VERSION));
	json_object_set_new(doc, "uptime_secs", json_integer(util_now() - m->started));
	json_object_set_new(doc, "usable_identities", json_integer((json_int_t)pool_usable(m->pool)));
	json_object_set_new(doc, "cache", proxy_stats(m->px));
	json_object_set_new(doc, "policy", policy_stats(m->policy));
	reply_json(req, 200, doc, &lg);
}
