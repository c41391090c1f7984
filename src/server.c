/*
 * server.c - listening sockets and worker threads.
 */
#include "server.h"
#include "config.h"
#include "log.h"
#include "l2.h"
#include "mailbox.h"
#include "metrics.h"
#include "mgmt.h"
#include "proxy.h"
#include "reply.h"
#include "redis.h"
#include "route.h"
#include "share.h"
#include "upstream.h"
#include "util.h"

#include <errno.h>
#include <event2/event.h>
#include <event2/http.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <event2/bufferevent.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <unistd.h>

/*
 * libevent's own cap. Ours (8 KiB URI, 16 KiB headers, in proxy) answer
 * 414/431 in JSON below it; past it libevent answers 400 itself.
 */
#define SERVER_MAX_HEADERS (256 * 1024)
/* How long a stopping worker keeps flushing answers to pending reads. */
#define SERVER_DRAIN_MSECS 500
#define SERVER_MAX_SINGLE_WRITE (256 * 1024)
/* Writes carry their bodies (GraphQL stops at 1 MiB with a JSON 413);
 * past this libevent itself answers 413. Each connection may hold one. */
#define SERVER_MAX_BODY (16 * 1024 * 1024)
#define SERVER_IDLE_TIMEOUT 120
#define SERVER_MAX_UPSTREAM_BODY ((size_t)64 * 1024 * 1024)

struct worker {
	struct server *s;
	int index;
	int fd;
	struct evhttp_bound_socket *listener;
	pthread_t thread;
	bool started;
	struct event_base *base;
	struct evhttp *http;
	struct proxy_worker pw;    /* up, mb, and with Redis l2 and share */
	int open;                  /* requests not yet fully written out */
	bool draining;             /* no longer accepting; leave when every
	                              request taken has its answer */
	bool flushing;             /* after the loop: writing the last answers */
	struct event *drain_ev;    /* made active by server_drain() */
	struct event *deadline_ev; /* the end of the grace period */
	atomic_bool done;          /* the worker's loop has ended */
};

struct server {
	struct proxy *px;
	struct mgmt *mgmt;
	struct upstream_options up_opt;
	int port;
	int n_workers;
	struct worker *workers;
	/* Shutdown: every worker ends its own fetches before any stops
	 * reading its mailbox, so no coalesced answer is posted to a
	 * worker that is gone. */
	pthread_barrier_t drained;
	int64_t grace_ms;          /* set before the drain events fire */
	atomic_int n_done;
	/* [cache] backend = "redis": every worker's link, and our name among
	 * the replicas sharing it. */
	struct pool *pool;
	bool redis;
	struct redis_url redis_url;
	int64_t redis_timeout_ms;
	char *redis_prefix;
	char *redis_namespace;     /* the upstream URL: see l2_options */
	char *share_prefix;        /* redis_prefix and a hash of it: budgets per GitHub */
	struct l2_marks *marks;    /* groups written here, unconfirmed: all workers' */
	char *replica;
	pthread_mutex_t links_mu;  /* workers' l2/share pointers vs /stats readers */
};

/* ------------------------------------------------------------------------
 * Sockets
 * ---------------------------------------------------------------------- */

static int
server_bind(const char *host, int port, char *err, size_t errlen)
{
	struct addrinfo hints = { 0 }, *res = NULL;
	char portstr[8];
	int fd = -1, one = 1, rc;

	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
	snprintf(portstr, sizeof(portstr), "%d", port);
	if ((rc = getaddrinfo(host, portstr, &hints, &res)) != 0) {
		snprintf(err, errlen, "listen address '%s': %s", host, gai_strerror(rc));
		return -1;
	}
	fd = socket(res->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one)) < 0 ||
	    /* Inherited by accepted sockets on Linux. Without it the last
	     * small segment of a large answer waits ~40 ms for the client's
	     * delayed ACK (Nagle). */
	    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)) < 0 ||
	    bind(fd, res->ai_addr, res->ai_addrlen) < 0 ||
	    listen(fd, 1024) < 0) {
		snprintf(err, errlen, "cannot listen on %s:%d: %s", host, port, strerror(errno));
		if (fd >= 0)
			close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	return fd;
}

static int
server_local_port(int fd)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);

	if (getsockname(fd, (struct sockaddr *)&ss, &len) < 0)
		return -1;
	if (ss.ss_family == AF_INET6)
		return ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
	return ntohs(((struct sockaddr_in *)&ss)->sin_port);
}

/* ------------------------------------------------------------------------
 * Workers
 * ---------------------------------------------------------------------- */

/* libevent calls this once an answer is written out. */
/*
 * libevent calls this once an answer is written out, but not for one whose
 * client went away first: w->open may stay high, and so only bounds the
 * final flush. The drain waits on reply_pending(), which is exact.
 */
static void
server_on_complete(struct evhttp_request *req, void *arg)
{
	struct worker *w = arg;

	(void)req;
	w->open--;
	if (w->flushing && w->open <= 0)
		event_base_loopbreak(w->base);
}

/* The worker's last pending request got its answer. */
static void
server_on_idle(void *arg)
{
	struct worker *w = arg;

	if (w->draining)
		event_base_loopbreak(w->base);
}

/* The grace period is over: what is still pending gets an error answer. */
static void
server_on_deadline(evutil_socket_t fd, short what, void *arg)
{
	struct worker *w = arg;

	(void)fd;
	(void)what;
	log_warn("worker %d: %d requests still unanswered after the shutdown grace period",
	    w->index, reply_pending());
	proxy_set_closing(w->s->px);
	event_base_loopbreak(w->base);
}

/*
 * Runs in the worker: closing the listener here, not from the signalled
 * thread, keeps evhttp's structures single-threaded. Idle kept-alive
 * connections simply close with evhttp_free() at the end.
 */
static void
server_on_drain(evutil_socket_t fd, short what, void *arg)
{
	struct worker *w = arg;
	struct timeval tv;

	(void)fd;
	(void)what;
	if (w->draining)
		return;
	w->draining = true;
	if (w->listener != NULL) {
		evhttp_del_accept_socket(w->http, w->listener);
		w->listener = NULL;
	}
	if (reply_pending() == 0) {
		event_base_loopbreak(w->base);
		return;
	}
	tv.tv_sec = (time_t)(w->s->grace_ms / 1000);
	tv.tv_usec = (suseconds_t)(w->s->grace_ms % 1000) * 1000;
	evtimer_add(w->deadline_ev, &tv);
}

static void
server_on_request(struct evhttp_request *req, void *arg)
{
	struct worker *w = arg;

	w->open++;
	reply_begin();
	evhttp_request_set_on_complete_cb(req, server_on_complete, w);
	/* Draining: answer, then close, so clients reconnect to a replica
	 * that stays. evhttp closes after a reply that says so. */
	if (w->draining)
		evhttp_add_header(evhttp_request_get_output_headers(req), "Connection", "close");
	const char *uri = evhttp_request_get_uri(req);
	size_t plen = uri ? strcspn(uri, "?") : 0;

	const struct policy_client *client = NULL;
	bool mgmt = uri != NULL && route_is_management(uri, plen) && uri[plen] == '\0';

	/* Probes carry no key; everything else, /stats and /metrics included,
	 * does. */
	if (!(mgmt && route_is_probe(uri, plen)) && !proxy_admit(w->s->px, req, mgmt, &client))
		return;
	if (mgmt) {
		char path[16];

		snprintf(path, sizeof(path), "%.*s", (int)plen, uri);
		mgmt_handle(w->s->mgmt, req, path, client);
		return;
	}
	proxy_handle(w->s->px, &w->pw, req, client);
}

/*
 * libevent writes at most 16 KiB per syscall by default; a cached 100 KiB
 * answer would take seven. Connections get a larger allowance.
 */
static struct bufferevent *
server_new_bufferevent(struct event_base *base, void *arg)
{
	struct bufferevent *bev = bufferevent_socket_new(base, -1, BEV_OPT_CLOSE_ON_FREE);

	(void)arg;
	if (bev != NULL)
		bufferevent_set_max_single_write(bev, SERVER_MAX_SINGLE_WRITE);
	return bev;
}

/*
 * Takes the worker's Redis objects out of reach of /stats (read on other
 * workers), then frees them: callbacks still pending run now, and the
 * reads they belong to go on without Redis.
 */
static void
server_redis_close(struct worker *w)
{
	struct l2 *l2;
	struct share *sh;

	pthread_mutex_lock(&w->s->links_mu);
	l2 = w->pw.l2;
	sh = w->pw.share;
	w->pw.l2 = NULL;
	w->pw.share = NULL;
	pthread_mutex_unlock(&w->s->links_mu);
	share_free(sh);
	l2_free(l2);
}

static void *
server_worker_main(void *arg)
{
	struct worker *w = arg;
	struct timeval drain = { 0, SERVER_DRAIN_MSECS * 1000 };

	/* Without a batch (out of memory) lines are simply written one by one. */
	(void)log_batch_start(w->base);
	metrics_thread_start();
	reply_on_idle(server_on_idle, w);
	event_base_dispatch(w->base);
	atomic_store(&w->done, true);
	atomic_fetch_add(&w->s->n_done, 1);
	/*
	 * Stop accepting, then give every pending read its (error) answer and
	 * run the loop briefly so those answers reach their clients before
	 * the connections are closed. After a graceful drain nothing is
	 * pending and this costs nothing.
	 */
	if (w->listener != NULL)
		evhttp_del_accept_socket(w->http, w->listener);
	w->listener = NULL;
	evtimer_del(w->deadline_ev);
	/*
	 * Redis first: reads waiting on it go on to GitHub, whose fetches the
	 * upstream then ends. Requests still open see NULL and skip Redis.
	 */
	server_redis_close(w);
	upstream_free(w->pw.up);
	w->pw.up = NULL;
	pthread_barrier_wait(&w->s->drained);
	mailbox_drain(w->pw.mb);
	/* Answers queued but not yet written (ours, or followers' delivered
	 * just before the loop stopped) get up to SERVER_DRAIN_MSECS. */
	if (w->open > 0) {
		w->flushing = true;
		event_base_loopexit(w->base, &drain);
		event_base_dispatch(w->base);
	}
	mailbox_free(w->pw.mb);
	w->pw.mb = NULL;
	evhttp_free(w->http);
	w->http = NULL;
	log_batch_stop();
	return NULL;
}

static int
server_worker_init(struct server *s, struct worker *w, char *err, size_t errlen)
{
	struct event_config *ec = event_config_new();

	/*
	 * evhttp turns reading off and on around every request; the changelist
	 * folds such pairs into one epoll_ctl (or none) per loop iteration.
	 * It is unsafe only for dup()ed descriptors, which we never watch.
	 */
	if (ec != NULL)
		event_config_set_flag(ec, EVENT_BASE_FLAG_EPOLL_USE_CHANGELIST);
	w->base = ec ? event_base_new_with_config(ec) : NULL;
	event_config_free(ec);
	w->http = w->base ? evhttp_new(w->base) : NULL;
	if (w->http == NULL) {
		snprintf(err, errlen, "worker %d: cannot create event loop", w->index);
		return -1;
	}
	/* Every method libevent parses reaches us, so each gets a JSON 405. */
	evhttp_set_allowed_methods(w->http, EVHTTP_REQ_GET | EVHTTP_REQ_HEAD |
	    EVHTTP_REQ_POST | EVHTTP_REQ_PUT | EVHTTP_REQ_PATCH |
	    EVHTTP_REQ_DELETE | EVHTTP_REQ_OPTIONS | EVHTTP_REQ_TRACE |
	    EVHTTP_REQ_CONNECT);
	evhttp_set_max_headers_size(w->http, SERVER_MAX_HEADERS);
	evhttp_set_max_body_size(w->http, SERVER_MAX_BODY);
	evhttp_set_timeout(w->http, SERVER_IDLE_TIMEOUT);
	/* Answers carry GitHub's Content-Type or none, never a made-up one. */
	evhttp_set_default_content_type(w->http, NULL);
	evhttp_set_gencb(w->http, server_on_request, w);
	evhttp_set_bevcb(w->http, server_new_bufferevent, NULL);
	if ((w->listener = evhttp_accept_socket_with_handle(w->http, w->fd)) == NULL) {
		snprintf(err, errlen, "worker %d: cannot accept on socket", w->index);
		return -1;
	}
	w->fd = -1;   /* the listener owns and closes it now */
	w->pw.up = upstream_new(w->base, &s->up_opt);
	w->pw.mb = mailbox_new(w->base);
	if (s->redis) {
		struct l2_options lo = {
			.url = &s->redis_url, .timeout_ms = s->redis_timeout_ms,
			.prefix = s->redis_prefix, .namespace = s->redis_namespace,
			.marks = s->marks,
		};

		w->pw.l2 = l2_new(w->base, &lo);
		/* One worker refreshes the shared budgets for the whole process. */
		w->pw.share = w->pw.l2 ? share_new(l2_redis(w->pw.l2), s->pool, s->share_prefix,
		    s->replica, w->index == 0 ? w->base : NULL) : NULL;
		if (w->pw.l2 == NULL) {
			snprintf(err, errlen, "worker %d: cannot set up the Redis link", w->index);
			return -1;
		}
	}
	w->drain_ev = event_new(w->base, -1, 0, server_on_drain, w);
	w->deadline_ev = evtimer_new(w->base, server_on_deadline, w);
	if (w->drain_ev == NULL || w->deadline_ev == NULL) {
		snprintf(err, errlen, "worker %d: cannot create events", w->index);
		return -1;
	}
	return 0;
}

/* ------------------------------------------------------------------------
 * Public API
 * ---------------------------------------------------------------------- */

struct server *
server_new(const struct config *cfg, struct proxy *px, struct mgmt *m, struct pool *pool,
    char *err, size_t errlen)
{
	struct server *s = util_calloc(1, sizeof(*s));
	char host[64] = "ghpool", hex[65];
	uint32_t rnd;

	s->px = px;
	s->mgmt = m;
	s->pool = pool;
	pthread_barrier_init(&s->drained, NULL, (unsigned)(cfg->workers > 0 ? cfg->workers : 1));
	pthread_mutex_init(&s->links_mu, NULL);
	if (cfg->cache.redis) {
		if (config_redis_url(cfg, &s->redis_url, err, errlen) < 0)
			goto fail;
		s->redis = true;
		s->redis_timeout_ms = cfg->cache.redis_timeout_ms;
		s->redis_prefix = util_strdup(cfg->cache.redis_key_prefix);
		s->redis_namespace = util_strdup(cfg->upstream_url);
		/* Identity ids name budgets; two GitHubs may use the same ids. */
		l2_key_hash(cfg->upstream_url, strlen(cfg->upstream_url), hex);
		s->share_prefix = util_printf("%s%.8s:", s->redis_prefix, hex);
		s->marks = l2_marks_new();
		/* Unique among replicas: the host (a pod's name), the process and
		 * a random part, for restarts that reuse both. */
		(void)gethostname(host, sizeof(host) - 1);
		host[strcspn(host, " \t\r\n")] = '\0';
		if (getrandom(&rnd, sizeof(rnd), 0) != (ssize_t)sizeof(rnd))
			rnd = (uint32_t)util_mono_us();
		s->replica = util_printf("%s-%d-%08x", host, (int)getpid(), (unsigned)rnd);
	}
	s->up_opt.connect_timeout_secs = 5;
	s->up_opt.timeout_secs = cfg->upstream_timeout_secs;
	s->up_opt.max_body_bytes = SERVER_MAX_UPSTREAM_BODY;
	s->n_workers = cfg->workers;
	s->workers = util_calloc((size_t)s->n_workers, sizeof(*s->workers));
	s->port = cfg->port;
	for (int i = 0; i < s->n_workers; i++)
		s->workers[i].fd = -1;
	for (int i = 0; i < s->n_workers; i++) {
		struct worker *w = &s->workers[i];

		w->s = s;
		w->index = i;
		/* Port 0: the first socket picks one; the rest share it. */
		w->fd = server_bind(cfg->listen, s->port, err, errlen);
		if (w->fd < 0)
			goto fail;
		if (s->port == 0)
			s->port = server_local_port(w->fd);
		if (server_worker_init(s, w, err, errlen) < 0)
			goto fail;
	}
	return s;
fail:
	server_free(s);
	return NULL;
}

int
server_port(const struct server *s)
{
	return s->port;
}

int
server_start(struct server *s)
{
	for (int i = 0; i < s->n_workers; i++) {
		struct worker *w = &s->workers[i];

		/* The shutdown barrier counts every worker: running without one
		 * is not an option, so neither is carrying on. */
		if (pthread_create(&w->thread, NULL, server_worker_main, w) != 0) {
			log_error("cannot start worker %d: %s", i, strerror(errno));
			_exit(1);
		}
		w->started = true;
	}
	return 0;
}

void
server_drain(struct server *s, int64_t grace_ms)
{
	s->grace_ms = grace_ms > 0 ? grace_ms : 0;
	mgmt_set_draining(s->mgmt);
	for (int i = 0; i < s->n_workers; i++)
		if (s->workers[i].started)
			event_active(s->workers[i].drain_ev, EV_READ, 0);
}

json_t *
server_redis_stats(struct server *s)
{
	struct l2_stats sum = { 0 }, one;
	struct share_stats sh = { 0 };
	int up = 0, started = 0;
	int64_t down_ms = 0;

	if (!s->redis)
		return json_pack("{s:s}", "backend", "memory");
	pthread_mutex_lock(&s->links_mu);
	for (int i = 0; i < s->n_workers; i++) {
		struct worker *w = &s->workers[i];

		if (w->pw.l2 == NULL)
			continue;
		started++;
		l2_stats(w->pw.l2, &one);
		up += one.link.up;
		if (one.link.down_ms > down_ms)
			down_ms = one.link.down_ms;
		sum.hits += one.hits;
		sum.misses += one.misses;
		sum.errors += one.errors;
		sum.lookup_errors += one.lookup_errors;
		sum.outdated += one.outdated;
		sum.marked += one.marked;
		sum.superseded += one.superseded;
		sum.versions_set += one.versions_set;
		sum.version_retries += one.version_retries;
		sum.versions_failed += one.versions_failed;
		sum.refused += one.refused;
		sum.decode_errors += one.decode_errors;
		sum.stores += one.stores;
		sum.locks_acquired += one.locks_acquired;
		sum.locks_held += one.locks_held;
		sum.waits_signalled += one.waits_signalled;
		sum.waits_timed_out += one.waits_timed_out;
		sum.link.timeouts += one.link.timeouts;
		sum.link.reconnects += one.link.reconnects;
		if (w->index == 0)
			share_stats(w->pw.share, &sh);
	}
	pthread_mutex_unlock(&s->links_mu);
	return json_pack("{s:s,s:b,s:i,s:i,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,"
	    "s:I,s:I,s:I,s:I,s:I,s:I,s:I}",
	    "backend", "redis", "up", started > 0 && up == started, "links_up", up,
	    "links", started, "down_ms", (json_int_t)down_ms,
	    "l2_hits", (json_int_t)sum.hits, "l2_misses", (json_int_t)sum.misses,
	    "errors", (json_int_t)sum.errors, "lookup_errors", (json_int_t)sum.lookup_errors,
	    "outdated", (json_int_t)sum.outdated, "skipped_written", (json_int_t)sum.marked,
	    "superseded", (json_int_t)sum.superseded,
	    "versions_set", (json_int_t)sum.versions_set,
	    "version_retries", (json_int_t)sum.version_retries,
	    "versions_failed", (json_int_t)sum.versions_failed,
	    "refused", (json_int_t)sum.refused,
	    "decode_errors", (json_int_t)sum.decode_errors, "stores", (json_int_t)sum.stores,
	    "locks_acquired", (json_int_t)sum.locks_acquired,
	    "locks_held", (json_int_t)sum.locks_held,
	    "waits_signalled", (json_int_t)sum.waits_signalled,
	    "waits_timed_out", (json_int_t)sum.waits_timed_out,
	    "timeouts", (json_int_t)sum.link.timeouts,
	    "reconnects", (json_int_t)sum.link.reconnects,
	    "budget_refreshes", (json_int_t)sh.refreshes,
	    "budget_refresh_failures", (json_int_t)sh.refresh_failures,
	    "replicas", (json_int_t)sh.replicas);
}

bool
server_drained(struct server *s)
{
	int started = 0;

	for (int i = 0; i < s->n_workers; i++)
		started += s->workers[i].started;
	return atomic_load(&s->n_done) >= started;
}

void
server_stop(struct server *s)
{
	proxy_set_closing(s->px);
	for (int i = 0; i < s->n_workers; i++)
		if (s->workers[i].started && !atomic_load(&s->workers[i].done))
			event_base_loopexit(s->workers[i].base, NULL);
	for (int i = 0; i < s->n_workers; i++) {
		if (s->workers[i].started)
			pthread_join(s->workers[i].thread, NULL);
		s->workers[i].started = false;
	}
}

void
server_free(struct server *s)
{
	if (s == NULL)
		return;
	server_stop(s);
	for (int i = 0; i < s->n_workers; i++) {
		struct worker *w = &s->workers[i];

		share_free(w->pw.share);
		l2_free(w->pw.l2);
		upstream_free(w->pw.up);
		mailbox_free(w->pw.mb);
		if (w->drain_ev)
			event_free(w->drain_ev);
		if (w->deadline_ev)
			event_free(w->deadline_ev);
		if (w->http)
			evhttp_free(w->http);
		if (w->base)
			event_base_free(w->base);
		if (w->fd >= 0)
			close(w->fd);
	}
	pthread_barrier_destroy(&s->drained);
	pthread_mutex_destroy(&s->links_mu);
	free(s->workers);
	redis_url_free(&s->redis_url);
	free(s->redis_prefix);
	free(s->redis_namespace);
	free(s->share_prefix);
	l2_marks_free(s->marks);
	free(s->replica);
	free(s);
}
