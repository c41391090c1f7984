/*
 * upstream.c - curl multi driven by libevent (one per worker thread).
 *
 * curl tells us which sockets to watch (sock_cb) and when to wake it
 * (timer_cb); libevent tells curl when a socket is ready or the timer
 * fired. Completed transfers are collected in upstream_check_done() and
 * handed to their callbacks. Nothing here blocks the worker's loop.
 */
#include "upstream.h"
#include "metrics.h"
#include "util.h"

#include <event2/buffer.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>
#include <strings.h>

#define UPSTREAM_MAX_HEADER_BYTES (64 * 1024)

struct upstream {
	struct event_base *base;
	CURLM *multi;
	struct event *timer;
	struct upstream_options opt;
	size_t in_flight;
	bool closing;
	/* Live fetches and watched sockets, so upstream_free can drop them. */
	struct upstream_fetch *head;
	struct upstream_sock *socks;
};

struct upstream_fetch {
	struct upstream *u;
	CURL *easy;
	struct curl_slist *headers;
	char *body;
	struct evkeyvalq resp_headers;
	size_t header_bytes;
	struct evbuffer *resp_body;
	long status;
	bool too_large;
	int64_t started_us;
	bool isolated;             /* a passthrough: counted apart */
	upstream_cb cb;
	void *arg;
	struct upstream_fetch *prev, *next;
};

/* Per-socket state curl asks us to keep. */
struct upstream_sock {
	struct event *ev;
	struct upstream *u;
	struct upstream_sock *prev, *next;
};

static void
upstream_sock_free(struct upstream *u, struct upstream_sock *us)
{
	if (us->prev)
		us->prev->next = us->next;
	else
		u->socks = us->next;
	if (us->next)
		us->next->prev = us->prev;
	event_free(us->ev);
	free(us);
}

static void upstream_check_done(struct upstream *u);

/* ------------------------------------------------------------------------
 * Fetch lifetime
 * ---------------------------------------------------------------------- */

static void
upstream_fetch_free(struct upstream_fetch *f)
{
	struct upstream *u = f->u;

	if (f->prev)
		f->prev->next = f->next;
	else
		u->head = f->next;
	if (f->next)
		f->next->prev = f->prev;
	curl_multi_remove_handle(u->multi, f->easy);
	curl_easy_cleanup(f->easy);
	util_headers_free(f->headers);
	free(f->body);
	evhttp_clear_headers(&f->resp_headers);
	evbuffer_free(f->resp_body);
	u->in_flight--;
	metrics_add(METRICS_UPSTREAM_IN_FLIGHT, -1);
	free(f);
}


/* ------------------------------------------------------------------------
 * curl callbacks: response data
 * ---------------------------------------------------------------------- */

static size_t
upstream_on_header(char *buf, size_t size, size_t n, void *arg)
{
	struct upstream_fetch *f = arg;
	size_t len = size * n, nlen;
	char *colon, *name, *value;
	const char *v, *end;

	f->header_bytes += len;
	if (f->header_bytes > UPSTREAM_MAX_HEADER_BYTES)
		return 0;
	if (len >= 5 && memcmp(buf, "HTTP/", 5) == 0) {
		/* A new response (after 1xx or a proxy's): forget the last. */
		evhttp_clear_headers(&f->resp_headers);
		return len;
	}
	colon = memchr(buf, ':', len);
	if (colon == NULL || colon == buf)
		return len;
	nlen = (size_t)(colon - buf);
	v = colon + 1;
	end = buf + len;
	while (v < end && (*v == ' ' || *v == '\t'))
		v++;
	while (end > v && (end[-1] == '\r' || end[-1] == '\n' || end[-1] == ' ' || end[-1] == '\t'))
		end--;
	name = util_strndup(buf, nlen);
	value = util_strndup(v, (size_t)(end - v));
	evhttp_add_header(&f->resp_headers, name, value);
	free(name);
	free(value);
	return len;
}

static size_t
upstream_on_body(char *buf, size_t size, size_t n, void *arg)
{
	struct upstream_fetch *f = arg;
	size_t len = size * n;

	if (evbuffer_get_length(f->resp_body) + len > f->u->opt.max_body_bytes) {
		f->too_large = true;
		return 0;
	}
	if (evbuffer_add(f->resp_body, buf, len) < 0)
		return 0;
	return len;
}

/* ------------------------------------------------------------------------
 * curl callbacks: sockets and timers on the event loop
 * ---------------------------------------------------------------------- */

static void
upstream_on_event(evutil_socket_t fd, short what, void *arg)
{
	struct upstream *u = arg;
	int flags = 0, running;

	if (what & EV_READ)
		flags |= CURL_CSELECT_IN;
	if (what & EV_WRITE)
		flags |= CURL_CSELECT_OUT;
	curl_multi_socket_action(u->multi, fd, flags, &running);
	upstream_check_done(u);
}

static void
upstream_on_timer(evutil_socket_t fd, short what, void *arg)
{
	struct upstream *u = arg;
	int running;

	(void)fd;
	(void)what;
	curl_multi_socket_action(u->multi, CURL_SOCKET_TIMEOUT, 0, &running);
	upstream_check_done(u);
}

static int
upstream_sock_cb(CURL *easy, curl_socket_t s, int what, void *userp, void *socketp)
{
	struct upstream *u = userp;
	struct upstream_sock *us = socketp;
	short kind;

	(void)easy;
	if (what == CURL_POLL_REMOVE) {
		if (us != NULL) {
			upstream_sock_free(u, us);
			curl_multi_assign(u->multi, s, NULL);
		}
		return 0;
	}
	kind = EV_PERSIST | ((what & CURL_POLL_IN) ? EV_READ : 0) |
	    ((what & CURL_POLL_OUT) ? EV_WRITE : 0);
	if (us == NULL) {
		us = util_calloc(1, sizeof(*us));
		us->u = u;
		us->ev = event_new(u->base, s, kind, upstream_on_event, u);
		if (us->ev == NULL)
			abort();
		us->next = u->socks;
		if (u->socks)
			u->socks->prev = us;
		u->socks = us;
		curl_multi_assign(u->multi, s, us);
	} else {
		/* Same socket, new interest: re-arm the event in place. */
		event_del(us->ev);
		event_assign(us->ev, u->base, s, kind, upstream_on_event, u);
	}
	event_add(us->ev, NULL);
	return 0;
}

static int
upstream_timer_cb(CURLM *multi, long timeout_ms, void *userp)
{
	struct upstream *u = userp;
	struct timeval tv;

	(void)multi;
	if (timeout_ms < 0) {
		evtimer_del(u->timer);
		return 0;
	}
	/* curl forbids calling socket_action from here: defer to the loop. */
	tv.tv_sec = timeout_ms / 1000;
	tv.tv_usec = (timeout_ms % 1000) * 1000;
	evtimer_add(u->timer, &tv);
	return 0;
}

/* ------------------------------------------------------------------------
 * Completion
 * ---------------------------------------------------------------------- */

static void
upstream_classify(struct upstream_fetch *f, CURLcode rc, struct upstream_result *res)
{
	res->error = UPSTREAM_OK;
	res->error_text = NULL;
	if (rc == CURLE_OK)
		return;
	res->error_text = curl_easy_strerror(rc);
	switch (rc) {
	case CURLE_OPERATION_TIMEDOUT: {
		curl_off_t connected = 0;

		/* A connect that timed out is unreachable (502), not slow (504). */
		curl_easy_getinfo(f->easy, CURLINFO_CONNECT_TIME_T, &connected);
		res->error = connected > 0 ? UPSTREAM_TIMEOUT : UPSTREAM_CONNECT;
		break;
	}
	case CURLE_WRITE_ERROR:
		res->error = UPSTREAM_FAILED;
		if (f->too_large)
			res->error_text = "upstream answer larger than the proxy's limit";
		break;
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_CONNECT:
	case CURLE_GOT_NOTHING:
	case CURLE_RECV_ERROR:
	case CURLE_SEND_ERROR:
	case CURLE_PARTIAL_FILE:
	case CURLE_HTTP2:
	case CURLE_HTTP2_STREAM:
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_WEIRD_SERVER_REPLY:
		res->error = UPSTREAM_CONNECT;
		break;
	default:
		res->error = UPSTREAM_FAILED;
		break;
	}
}

static void
upstream_check_done(struct upstream *u)
{
	CURLMsg *msg;
	int left;

	while ((msg = curl_multi_info_read(u->multi, &left)) != NULL) {
		struct upstream_fetch *f = NULL;
		struct upstream_result res;
		int64_t us;

		if (msg->msg != CURLMSG_DONE)
			continue;
		curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&f);
		upstream_classify(f, msg->data.result, &res);
		curl_easy_getinfo(f->easy, CURLINFO_RESPONSE_CODE, &res.status);
		res.headers = &f->resp_headers;
		res.body = f->resp_body;
		us = util_mono_us() - f->started_us;
		res.duration_ms = (long)(us / 1000);
		metrics_upstream(f->isolated, res.error == UPSTREAM_OK ? res.status : 0, us);
		/* The callback must not cancel f: it is done and freed below. */
		f->cb(&res, f->arg);
		upstream_fetch_free(f);
	}
}

/* ------------------------------------------------------------------------
 * Public API
 * ---------------------------------------------------------------------- */

struct upstream *
upstream_new(struct event_base *base, const struct upstream_options *opt)
{
	struct upstream *u = util_calloc(1, sizeof(*u));

	u->base = base;
	u->opt = *opt;
	u->multi = curl_multi_init();
	u->timer = evtimer_new(base, upstream_on_timer, u);
	if (u->multi == NULL || u->timer == NULL)
		abort();
	curl_multi_setopt(u->multi, CURLMOPT_SOCKETFUNCTION, upstream_sock_cb);
	curl_multi_setopt(u->multi, CURLMOPT_SOCKETDATA, u);
	curl_multi_setopt(u->multi, CURLMOPT_TIMERFUNCTION, upstream_timer_cb);
	curl_multi_setopt(u->multi, CURLMOPT_TIMERDATA, u);
	curl_multi_setopt(u->multi, CURLMOPT_PIPELINING, (long)CURLPIPE_MULTIPLEX);
	return u;
}

size_t
upstream_free(struct upstream *u)
{
	size_t pending;

	if (u == NULL)
		return 0;
	pending = u->in_flight;
	/* Callers free their per-request state in the callback: give every
	 * pending fetch one, and refuse new fetches while doing so. */
	u->closing = true;
	while (u->head != NULL) {
		struct upstream_fetch *f = u->head;
		struct upstream_result res = {
			.error = UPSTREAM_FAILED, .error_text = "ghpool is shutting down",
			.headers = &f->resp_headers, .body = f->resp_body,
		};

		f->cb(&res, f->arg);
		upstream_fetch_free(f);
	}
	/* Closing connections may or may not call sock_cb(REMOVE). */
	curl_multi_cleanup(u->multi);
	while (u->socks != NULL)
		upstream_sock_free(u, u->socks);
	event_free(u->timer);
	free(u);
	return pending;
}

struct upstream_fetch *
upstream_start(struct upstream *u, const struct upstream_request *req,
    upstream_cb cb, void *arg)
{
	struct upstream_fetch *f;
	CURL *e;

	if (u->closing) {
		util_headers_free(req->headers);
		return NULL;
	}
	f = util_calloc(1, sizeof(*f));
	f->u = u;
	f->headers = req->headers;
	f->cb = cb;
	f->arg = arg;
	f->started_us = util_mono_us();
	f->isolated = req->isolated;
	TAILQ_INIT(&f->resp_headers);
	f->resp_body = evbuffer_new();
	f->easy = e = curl_easy_init();
	if (e == NULL || f->resp_body == NULL)
		abort();
	/* Link first so one cleanup path (upstream_fetch_free) serves all. */
	f->next = u->head;
	if (u->head)
		u->head->prev = f;
	u->head = f;
	u->in_flight++;
	metrics_add(METRICS_UPSTREAM_IN_FLIGHT, 1);

	curl_easy_setopt(e, CURLOPT_URL, req->url);
	curl_easy_setopt(e, CURLOPT_PRIVATE, f);
	curl_easy_setopt(e, CURLOPT_HTTPHEADER, f->headers);
	curl_easy_setopt(e, CURLOPT_USERAGENT, GHPOOL_USER_AGENT);
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	/* The path must reach GitHub exactly as the policy judged it. */
	curl_easy_setopt(e, CURLOPT_PATH_AS_IS, 1L);
	curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT, u->opt.connect_timeout_secs);
	curl_easy_setopt(e, CURLOPT_TIMEOUT, u->opt.timeout_secs);
	curl_easy_setopt(e, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_2TLS);
	/* Waiting to learn whether a connection multiplexes pays off only
	 * where TLS tells us at connect time; over plain HTTP it would queue
	 * every cold-start request behind the first answer. */
	if (strncmp(req->url, "https:", 6) == 0)
		curl_easy_setopt(e, CURLOPT_PIPEWAIT, 1L);
	/* Compressed transfer, decoded here; not for HEAD, whose
	 * Content-Length would then be the compressed size. */
	if (strcmp(req->method, "HEAD") != 0)
		curl_easy_setopt(e, CURLOPT_ACCEPT_ENCODING, "");
	curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, upstream_on_header);
	curl_easy_setopt(e, CURLOPT_HEADERDATA, f);
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, upstream_on_body);
	curl_easy_setopt(e, CURLOPT_WRITEDATA, f);
	if (strcmp(req->method, "HEAD") == 0) {
		curl_easy_setopt(e, CURLOPT_NOBODY, 1L);
	} else if (strcmp(req->method, "GET") != 0) {
		curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, req->method);
		/* Always a body, if empty: GitHub wants Content-Length: 0 on
		 * bodiless PUTs (lock, star) and curl sends none otherwise. */
		f->body = req->body ? util_strndup(req->body, req->body_len) : util_strdup("");
		curl_easy_setopt(e, CURLOPT_POSTFIELDS, f->body);
		curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE,
		    (curl_off_t)(req->body ? req->body_len : 0));
	}
	/*
	 * A request whose headers and body a client wrote gets a connection of
	 * its own, used once: should anything in it ever desynchronise an
	 * HTTP/1.1 upstream, no pooled read shares that connection. It also
	 * keeps curl from silently resending a write on a reused connection
	 * that turned out dead.
	 */
	if (req->isolated) {
		curl_easy_setopt(e, CURLOPT_FRESH_CONNECT, 1L);
		curl_easy_setopt(e, CURLOPT_FORBID_REUSE, 1L);
	}
	if (curl_multi_add_handle(u->multi, e) != CURLM_OK) {
		upstream_fetch_free(f);
		return NULL;
	}
	return f;
}
