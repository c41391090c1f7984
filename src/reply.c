/*
 * reply.c - sending responses and logging them.
 */
#include "reply.h"
#include "log.h"
#include "util.h"

#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/keyvalq_struct.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The calling worker's requests awaiting their answer (reply_begin). */
static _Thread_local int reply_open;
static _Thread_local void (*reply_idle)(void *);
static _Thread_local void *reply_idle_arg;

void
reply_begin(void)
{
	reply_open++;
}

int
reply_pending(void)
{
	return reply_open;
}

void
reply_on_idle(void (*idle)(void *arg), void *arg)
{
	reply_idle = idle;
	reply_idle_arg = arg;
}

/* libevent 2.1 knows no phrase for these; curl and browsers show them. */
static const char *
reply_reason(int status)
{
	switch (status) {
	case 422: return "Unprocessable Entity";
	case 428: return "Precondition Required";
	case 429: return "Too Many Requests";
	case 431: return "Request Header Fields Too Large";
	case 451: return "Unavailable For Legal Reasons";
	default: return NULL;
	}
}

/*
 * evhttp leaves an answer in the connection's buffer until the next loop
 * turn reports the socket writable: an epoll_ctl to watch for EPOLLOUT,
 * a wakeup, the write, an epoll_ctl to stop watching. Writing it here
 * instead, and telling the bufferevent its output has drained, lets evhttp
 * finish the request in this turn; the watch it asked for is then dropped
 * from the changelist before it ever reaches the kernel. Whatever the
 * socket does not take now goes out the usual way.
 */
static void
reply_flush(struct bufferevent *bev)
{
	struct evbuffer *out = bufferevent_get_output(bev);
	evutil_socket_t fd = bufferevent_getfd(bev);

	if (fd < 0)
		return;
	/* Headers go by writev, a memfd body by sendfile: one call each. */
	while (evbuffer_get_length(out) > 0)
		if (evbuffer_write(out, fd) <= 0)
			return;
	bufferevent_trigger(bev, EV_WRITE, 0);
}

static enum metrics_method
reply_metrics_method(enum evhttp_cmd_type cmd)
{
	switch (cmd) {
	case EVHTTP_REQ_GET: return METRICS_METHOD_GET;
	case EVHTTP_REQ_HEAD: return METRICS_METHOD_HEAD;
	case EVHTTP_REQ_POST: return METRICS_METHOD_POST;
	case EVHTTP_REQ_PUT: return METRICS_METHOD_PUT;
	case EVHTTP_REQ_PATCH: return METRICS_METHOD_PATCH;
	case EVHTTP_REQ_DELETE: return METRICS_METHOD_DELETE;
	default: return METRICS_METHOD_OTHER;
	}
}

void
reply_send(struct evhttp_request *req, int status, struct evbuffer *body,
    const struct reply_log *lg)
{
	struct evhttp_connection *evcon = evhttp_request_get_connection(req);
	enum evhttp_cmd_type cmd = evhttp_request_get_command(req);
	int64_t us = util_mono_us() - lg->start_us;
	struct log_access a = {
		.method = lg->method,
		.path = lg->path,
		.status = status,
		.bytes = body ? evbuffer_get_length(body) : 0,
		.duration_ms = us / 1000,
		.identity = lg->identity ? lg->identity : "-",
		.outcome = lg->outcome ? lg->outcome : "-",
		.login = lg->login,
		.operation = lg->operation,
		.client = lg->client,
	};

	log_access(&a);
	metrics_request(lg->route, reply_metrics_method(cmd), status, lg->outcome, us);
	/*
	 * libevent writes a HEAD answer's body if given one, which corrupts
	 * the next response on a kept-alive connection: announce the length,
	 * send none.
	 */
	if (cmd == EVHTTP_REQ_HEAD) {
		struct evkeyvalq *h = evhttp_request_get_output_headers(req);
		char len[24];

		if (evhttp_find_header(h, "Content-Length") == NULL) {
			snprintf(len, sizeof(len), "%zu", a.bytes);
			evhttp_add_header(h, "Content-Length", len);
		}
		body = NULL;
	}
	evhttp_send_reply(req, status, reply_reason(status), body);
	/* req may be freed from here on. */
	if (evcon != NULL)
		reply_flush(evhttp_connection_get_bufferevent(evcon));
	if (reply_open > 0 && --reply_open == 0 && reply_idle != NULL)
		reply_idle(reply_idle_arg);
}

void
reply_json(struct evhttp_request *req, int status, json_t *doc,
    const struct reply_log *lg)
{
	struct evbuffer *out = evbuffer_new();
	/* NULL doc: json_pack refused its input (say, invalid UTF-8). */
	char *text = doc ? json_dumps(doc, JSON_COMPACT) : NULL;

	if (out == NULL)
		abort();
	if (text == NULL) {
		status = 500;
		text = util_strdup("{\"message\":\"ghpool could not encode its answer\"}");
	}
	evbuffer_add(out, text, strlen(text));
	evbuffer_add(out, "\n", 1);
	evhttp_add_header(evhttp_request_get_output_headers(req), "Content-Type",
	    "application/json; charset=utf-8");
	reply_send(req, status, out, lg);
	free(text);
	json_decref(doc);
	evbuffer_free(out);
}

void
reply_error(struct evhttp_request *req, int status, const char *message,
    const struct reply_log *lg)
{
	reply_json(req, status, json_pack("{s:s}", "message", message), lg);
}

const char *
reply_method_name(enum evhttp_cmd_type cmd)
{
	switch (cmd) {
	case EVHTTP_REQ_GET: return "GET";
	case EVHTTP_REQ_HEAD: return "HEAD";
	case EVHTTP_REQ_POST: return "POST";
	case EVHTTP_REQ_PUT: return "PUT";
	case EVHTTP_REQ_PATCH: return "PATCH";
	case EVHTTP_REQ_DELETE: return "DELETE";
	case EVHTTP_REQ_OPTIONS: return "OPTIONS";
	case EVHTTP_REQ_TRACE: return "TRACE";
	case EVHTTP_REQ_CONNECT: return "CONNECT";
	default: return "OTHER";
	}
}
