/*
 * redis.c - hiredis 0.14 async contexts on a worker's event_base, with the
 * deadlines, reconnects and teardown rules hiredis 0.14 leaves to us.
 *
 * Two links per struct redis, each a small state machine with one timer:
 *
 *   IDLE ──(first use)──► CONNECTING ──(handshake answered)──► UP
 *                           ▲    │ deadline, refusal, error      │ timeout, error, EOF
 *                           │    ▼                               ▼
 *                           └── WAIT (backoff timer) ◄───────────┘
 *
 * CONNECTING covers the name's resolution (evdns, never a blocking
 * getaddrinfo: hiredis 0.14 resolves inside redisAsyncConnect, so it only
 * ever gets a numeric address), the TCP connect and the handshake (AUTH,
 * SELECT, or a PING; on the pub/sub link AUTH or a PING, then the
 * SUBSCRIBEs once that is answered), all under one connect deadline. In UP
 * the timer holds the deadline of the oldest command: Redis answers in
 * order, so deadlines expire in sending order.
 *
 * hiredis 0.14's rules, and how they are kept:
 *  - Every registered reply callback is called exactly once: with the
 *    reply, or with NULL when the context is freed (by us, or by hiredis
 *    after an error or EOF, where onDisconnect follows the NULLs, and only
 *    for contexts that had connected). So a command's record is freed in
 *    its callback, always; a record whose caller was already answered (its
 *    deadline passed) is marked done and only freed there.
 *  - redisAsyncFree inside a reply callback is deferred by hiredis until
 *    the callback returns; outside callbacks it runs at once, calling the
 *    NULLs synchronously. It must never be called inside the connect or
 *    disconnect callbacks (hiredis frees the context right after them), nor
 *    on a context hiredis is already tearing down. Hence l->ac: non-NULL
 *    only while the context is alive and ours to free. The first sign of a
 *    teardown (a NULL reply, a failed connect, a disconnect) clears it, and
 *    we clear it before freeing one ourselves; callbacks from any other
 *    context are stale and ignored (their commands' callers still get NULL).
 *  - Nothing new starts inside hiredis's callbacks: a reconnect always
 *    waits for the backoff timer, so a stale context is gone by then.
 *  - No PING on the subscribed connection (0.14 misroutes its reply);
 *    TCP keepalive notices a silent peer there. The one PING before its
 *    SUBSCRIBEs is answered before any message can come.
 *  - An error reply with no callback waiting (0.14 queues none for
 *    SUBSCRIBE) makes hiredis drop the connection, with REDIS_ERR_OTHER and
 *    the server's text in errstr. On the pub/sub link, once its handshake
 *    was answered and while SUBSCRIBEs await confirmation, that is the
 *    server refusing the oldest unconfirmed SUBSCRIBE (Redis answers in
 *    order). The handshake is what makes this sure: a server over its
 *    maxclients greets a new connection with an error, which the AUTH or
 *    PING gets as its answer.
 * User callbacks run with r->depth raised, so redis_free from inside one
 * (which would free what hiredis is still walking) is caught and aborts.
 *
 * Logs: an outage is logged once per process and name, not once per worker,
 * per link nor per attempt (the groups below): the command links of every
 * worker of a name make one group, which says "unreachable" when the first
 * of them goes down and "reconnected" when the last is back. Pub/sub links
 * do not count (see the groups for why); their losses and resubscriptions,
 * like each link's attempts, are debug lines. A SUBSCRIBE the server
 * refuses is no outage but a configuration problem: one ERROR per name,
 * retried with the backoff meanwhile, and one INFO should it be accepted
 * later. Host, port and db only: never the password.
 */
#include "redis.h"
#include "log.h"
#include "util.h"

#include <hiredis/async.h>
#include <hiredis/adapters/libevent.h>

#include <arpa/inet.h>
#include <errno.h>
#include <event2/dns.h>
#include <event2/util.h>
#include <limits.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/queue.h>
#include <sys/random.h>

#define REDIS_DEFAULT_TIMEOUT_MS          50
#define REDIS_DEFAULT_CONNECT_TIMEOUT_MS  200
#define REDIS_DEFAULT_BACKOFF_MIN_MS      100
#define REDIS_DEFAULT_BACKOFF_MAX_MS      5000
#define REDIS_MAX_MS                      (24LL * 3600 * 1000)

/* ------------------------------------------------------------------------
 * Types
 * ---------------------------------------------------------------------- */

enum link_state {
	LINK_IDLE,          /* never started (pub/sub before a subscription), or closed */
	LINK_WAIT,          /* down; the timer is the next attempt */
	LINK_CONNECTING,    /* resolving, connecting, handshaking; the timer is the deadline */
	LINK_UP,            /* the timer is the oldest command's deadline */
};

struct rlink;

/* A command whose caller waits for an answer. */
struct rcmd {
	TAILQ_ENTRY(rcmd) q;          /* in l->pending while not done */
	struct rlink *link;
	redis_reply_cb cb;
	void *arg;
	int64_t deadline_us;
	bool done;                    /* the caller was answered: hiredis's callback only frees */
};
TAILQ_HEAD(rcmd_list, rcmd);

struct rsub {
	struct rsub *next;
	char *channel;
	size_t len;
	redis_message_cb cb;
	void *arg;
	bool confirmed;               /* on the current connection */
	bool ever;                    /* on an earlier one: a later confirmation follows a gap */
};

/* The resolver outlives r while a cancelled resolution has yet to call back. */
struct rdns {
	struct evdns_base *base;
	int refs;
};

/* One resolution; link is NULL once abandoned. */
struct rticket {
	struct rlink *link;
	struct rdns *dns;
	struct evdns_getaddrinfo_request *req;
};

/* Process-wide, per name: how many of its command links (every
 * worker's) are down, and how many of its pub/sub links have their
 * SUBSCRIBEs refused. */
struct rgroup {
	char name[80];
	int down;
	bool announced;
	int64_t since_ms;
	int refused;
	bool refusal_logged;          /* the ERROR is out, the INFO not yet */
};

struct rlink {
	struct redis *r;
	bool pubsub;
	enum link_state state;
	redisAsyncContext *ac;        /* alive and ours to free, else NULL */
	struct rticket *dns;          /* resolution in flight */
	struct event *timer;
	struct rcmd_list pending;     /* oldest first */
	int handshake_left;           /* answers (or confirmations) still awaited */
	bool subs_sent;               /* SUBSCRIBEs went out on this connection */
	int64_t backoff_ms;
	int64_t attempt_us;
	struct rgroup *group;         /* its name's, or r->own_group when the table is full */
	bool counted_down;            /* command link: in group->down */
	bool refused;                 /* pub/sub link: in group->refused, until subscribed */
	bool ever_up;                 /* pub/sub link: for its debug lines */
	int64_t down_since_ms;        /* this link's own outage, 0 while up */
};

struct redis {
	struct event_base *base;
	char *name, *host, *user, *password;
	int port, db;
	bool host_numeric;
	int64_t timeout_ms, connect_timeout_ms, backoff_min_ms, backoff_max_ms;
	struct rlink cmd, sub;
	struct rgroup own_group;      /* the group when the table is full */
	struct rsub *subs, **subs_tail;
	struct rdns *dns;
	uint64_t rng;
	int depth;                    /* user callbacks running */
	bool closing;

	/* Written on the loop's thread only, read by redis_stats anywhere. */
	atomic_bool st_up, st_pubsub_up;
	_Atomic int64_t st_down_since_ms;
	_Atomic uint64_t st_commands, st_refused, st_timeouts, st_failures, st_connects,
	    st_connect_failures, st_reconnects, st_messages, st_subscribe_refusals;
};

static void link_connect(struct rlink *l);
static void link_subscribe_all(struct rlink *l);

static inline void
stat_inc(_Atomic uint64_t *c)
{
	atomic_fetch_add_explicit(c, 1, memory_order_relaxed);
}

static const char *
link_kind(const struct rlink *l)
{
	return l->pubsub ? " pub/sub" : "";
}

/* ------------------------------------------------------------------------
 * Log groups: one per name, counting the command links of that name on
 * every worker. "unreachable" once when the first of them goes down,
 * "reconnected" once when the last one is back, so one outage is two lines
 * however many workers saw it. A name the table has no room for gets a
 * group per struct redis.
 *
 * Only command links count: they are what "reachable" means (commands are
 * served or not), and a real outage takes the pub/sub links down with them,
 * so these say nothing the command links did not already say. Counting
 * them too would let one pub/sub link that never comes up (a SUBSCRIBE the
 * server refuses: an ACL user without the channel) keep its group from
 * ever getting back to zero: every later outage would be silent, and the
 * first WARN would call a server unreachable whose commands work.
 *
 * Refused SUBSCRIBEs have their own count in the group, per pub/sub link
 * until it subscribes: one ERROR when the first is refused, one INFO when
 * the last is accepted (an ACL fixed meanwhile), nothing per attempt.
 * ---------------------------------------------------------------------- */

#define REDIS_GROUPS 32

static pthread_mutex_t redis_groups_mu = PTHREAD_MUTEX_INITIALIZER;
static struct rgroup redis_groups[REDIS_GROUPS];
static size_t redis_ngroups;

/* The name's group, or NULL when the table is full. */
static struct rgroup *
group_join(const char *name)
{
	struct rgroup *g = NULL;

	pthread_mutex_lock(&redis_groups_mu);
	for (size_t i = 0; i < redis_ngroups; i++) {
		if (strcmp(redis_groups[i].name, name) == 0) {
			g = &redis_groups[i];
			break;
		}
	}
	if (g == NULL && redis_ngroups < REDIS_GROUPS && strlen(name) < sizeof(g->name)) {
		g = &redis_groups[redis_ngroups++];
		snprintf(g->name, sizeof(g->name), "%s", name);
	}
	pthread_mutex_unlock(&redis_groups_mu);
	return g;
}

/* Counts l down; true when it is the first of its group (log then). */
static bool
group_down(struct rlink *l)
{
	struct rgroup *g = l->group;
	bool first = true;

	l->counted_down = true;
	pthread_mutex_lock(&redis_groups_mu);
	if (g->down++ == 0)
		g->since_ms = util_mono_ms();
	else
		first = false;
	pthread_mutex_unlock(&redis_groups_mu);
	return first;
}

/* Counts l up again; returns how long its group was down when l was the
 * last one down, else -1 (nothing to log). */
static int64_t
group_up(struct rlink *l)
{
	struct rgroup *g = l->group;
	int64_t ms = -1;

	l->counted_down = false;
	pthread_mutex_lock(&redis_groups_mu);
	if (--g->down == 0)
		ms = util_mono_ms() - g->since_ms;
	pthread_mutex_unlock(&redis_groups_mu);
	return ms;
}

/* Whether l is the first of its group to come up at all. */
static bool
group_announce(struct rlink *l)
{
	struct rgroup *g = l->group;
	bool first;

	pthread_mutex_lock(&redis_groups_mu);
	first = !g->announced;
	g->announced = true;
	pthread_mutex_unlock(&redis_groups_mu);
	return first;
}

/* Counts l's subscriptions refused; true when the group has yet to say
 * so (log then). */
static bool
group_refused(struct rlink *l)
{
	struct rgroup *g = l->group;
	bool first = false;

	pthread_mutex_lock(&redis_groups_mu);
	if (!l->refused) {
		l->refused = true;
		g->refused++;
	}
	if (!g->refusal_logged) {
		g->refusal_logged = true;
		first = true;
	}
	pthread_mutex_unlock(&redis_groups_mu);
	return first;
}

/* l subscribed after a refusal; true when it was the last of its group
 * still refused, and the refusal had been logged (log then). */
static bool
group_accepted(struct rlink *l)
{
	struct rgroup *g = l->group;
	bool last = false;

	pthread_mutex_lock(&redis_groups_mu);
	l->refused = false;
	if (--g->refused == 0 && g->refusal_logged) {
		g->refusal_logged = false;
		last = true;
	}
	pthread_mutex_unlock(&redis_groups_mu);
	return last;
}

/* r is going away: l no longer counts, and says nothing. */
static void
group_leave(struct rlink *l)
{
	if (!l->counted_down && !l->refused)
		return;
	pthread_mutex_lock(&redis_groups_mu);
	if (l->counted_down)
		l->group->down--;
	if (l->refused)
		l->group->refused--;
	pthread_mutex_unlock(&redis_groups_mu);
	l->counted_down = false;
	l->refused = false;
}

/* ------------------------------------------------------------------------
 * Small helpers
 * ---------------------------------------------------------------------- */

static uint64_t
redis_random(struct redis *r)
{
	/* xorshift64*: jitter only, nothing secret. */
	r->rng ^= r->rng >> 12;
	r->rng ^= r->rng << 25;
	r->rng ^= r->rng >> 27;
	return r->rng * 2685821657736338717ULL;
}

static void
timer_in_us(struct event *ev, int64_t us)
{
	struct timeval tv;

	if (us < 0)
		us = 0;
	tv.tv_sec = (time_t)(us / 1000000);
	tv.tv_usec = (suseconds_t)(us % 1000000);
	evtimer_add(ev, &tv);
}

/* Runs a caller's callback; redis_free inside it is caught. */
static void
deliver_reply(struct redis *r, struct rcmd *c, redisReply *reply)
{
	if (c->cb == NULL)
		return;
	r->depth++;
	c->cb(reply, c->arg);
	r->depth--;
}

static void
deliver_message(struct redis *r, struct rsub *s, const char *msg, size_t len)
{
	r->depth++;
	s->cb(msg, len, s->arg);
	r->depth--;
}

/* The oldest command's deadline, or no timer when none waits. */
static void
link_arm_deadline(struct rlink *l)
{
	struct rcmd *c = TAILQ_FIRST(&l->pending);

	if (c == NULL) {
		evtimer_del(l->timer);
		return;
	}
	timer_in_us(l->timer, c->deadline_us - util_mono_us());
}

/* ------------------------------------------------------------------------
 * Resolver
 * ---------------------------------------------------------------------- */

static struct rdns *
rdns_new(struct event_base *base, int64_t connect_timeout_ms)
{
	struct rdns *d;
	struct evdns_base *eb;
	char skew[32];

	/* Created idle: its socket is watched only while a query is out. */
	eb = evdns_base_new(base, EVDNS_BASE_INITIALIZE_NAMESERVERS |
	    EVDNS_BASE_DISABLE_WHEN_INACTIVE);
	if (eb == NULL) {
		/* No usable resolv.conf: /etc/hosts and numeric names still work. */
		eb = evdns_base_new(base, EVDNS_BASE_DISABLE_WHEN_INACTIVE);
		if (eb == NULL)
			return NULL;
		evdns_base_load_hosts(eb, NULL);
	}
	/*
	 * When A is answered and AAAA is not within this skew, evdns answers
	 * us and leaves a cancellation pending that still reads the base on
	 * a later turn, so redis_free could free it first. Past our connect
	 * deadline, that never happens: the deadline cancels before.
	 */
	snprintf(skew, sizeof(skew), "%lld", (long long)(connect_timeout_ms / 1000 + 2));
	evdns_base_set_option(eb, "getaddrinfo-allow-skew:", skew);
	d = util_calloc(1, sizeof(*d));
	d->base = eb;
	d->refs = 1;
	return d;
}

static void
rdns_unref(struct rdns *d)
{
	if (d == NULL || --d->refs > 0)
		return;
	/* Nothing is in flight once the last ticket called back. */
	evdns_base_free(d->base, 0);
	free(d);
}

static void link_connect_addr(struct rlink *l, const char *ip);
static void link_down(struct rlink *l, const char *reason);

static void
on_resolved(int err, struct evutil_addrinfo *res, void *arg)
{
	struct rticket *t = arg;
	struct rlink *l = t->link;
	const struct evutil_addrinfo *ai, *pick = NULL;
	char ip[INET6_ADDRSTRLEN], reason[160];

	if (l != NULL)
		l->dns = NULL;
	/* Safe inside evdns's callback: it touches its base no more. */
	rdns_unref(t->dns);
	free(t);
	if (l == NULL) {
		/* Abandoned: the deadline passed, or redis_free. */
		if (res != NULL)
			evutil_freeaddrinfo(res);
		return;
	}
	if (err != 0 || res == NULL) {
		snprintf(reason, sizeof(reason), "cannot resolve %s: %s", l->r->host,
		    err != 0 ? evutil_gai_strerror(err) : "no address");
		if (res != NULL)
			evutil_freeaddrinfo(res);
		link_down(l, reason);
		return;
	}
	/* IPv4 first, as hiredis itself prefers. */
	for (ai = res; ai != NULL && pick == NULL; ai = ai->ai_next)
		if (ai->ai_family == AF_INET)
			pick = ai;
	for (ai = res; ai != NULL && pick == NULL; ai = ai->ai_next)
		if (ai->ai_family == AF_INET6)
			pick = ai;
	ip[0] = '\0';
	if (pick != NULL && pick->ai_family == AF_INET)
		inet_ntop(AF_INET, &((const struct sockaddr_in *)(const void *)pick->ai_addr)->sin_addr,
		    ip, sizeof(ip));
	else if (pick != NULL)
		inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)(const void *)pick->ai_addr)->sin6_addr,
		    ip, sizeof(ip));
	evutil_freeaddrinfo(res);
	if (ip[0] == '\0') {
		snprintf(reason, sizeof(reason), "cannot resolve %s: no usable address", l->r->host);
		link_down(l, reason);
		return;
	}
	link_connect_addr(l, ip);
}

static void
link_resolve(struct rlink *l)
{
	struct redis *r = l->r;
	struct rticket *t;
	struct evutil_addrinfo hints;
	struct evdns_getaddrinfo_request *req;

	if (r->dns == NULL)
		r->dns = rdns_new(r->base, r->connect_timeout_ms);
	if (r->dns == NULL) {
		link_down(l, "cannot start a DNS resolver");
		return;
	}
	t = util_calloc(1, sizeof(*t));
	t->link = l;
	t->dns = r->dns;
	r->dns->refs++;
	l->dns = t;
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_protocol = IPPROTO_TCP;
	/* NULL: on_resolved already ran (numeric, /etc/hosts, or an
	 * immediate failure) and t is gone. */
	req = evdns_getaddrinfo(r->dns->base, r->host, NULL, &hints, on_resolved, t);
	if (req != NULL)
		t->req = req;
}

/* Abandons a resolution in flight; its callback comes on a later turn. */
static void
link_cancel_dns(struct rlink *l)
{
	struct rticket *t = l->dns;

	if (t == NULL)
		return;
	l->dns = NULL;
	t->link = NULL;
	evdns_getaddrinfo_cancel(t->req);
}

/* ------------------------------------------------------------------------
 * Link state changes
 * ---------------------------------------------------------------------- */

/*
 * l has no context any more (we detached it, or hiredis is freeing it):
 * refuse commands, log if first, and schedule the next attempt.
 */
static void
link_down(struct rlink *l, const char *reason)
{
	struct redis *r = l->r;
	bool was_up = l->state == LINK_UP;
	int64_t delay;

	l->state = r->closing ? LINK_IDLE : LINK_WAIT;
	l->subs_sent = false;
	l->handshake_left = 0;
	evtimer_del(l->timer);
	if (l->pubsub) {
		atomic_store_explicit(&r->st_pubsub_up, false, memory_order_relaxed);
		for (struct rsub *s = r->subs; s != NULL; s = s->next)
			s->confirmed = false;
	} else {
		atomic_store_explicit(&r->st_up, false, memory_order_relaxed);
		if (atomic_load_explicit(&r->st_down_since_ms, memory_order_relaxed) == 0)
			atomic_store_explicit(&r->st_down_since_ms, util_mono_ms(), memory_order_relaxed);
	}
	if (!was_up)
		stat_inc(&r->st_connect_failures);
	if (l->down_since_ms == 0)
		l->down_since_ms = util_mono_ms();
	if (r->closing)
		return;
	/* The first command link of the name to go down speaks for all of
	 * them; pub/sub links never do (see the log groups). */
	if (!l->pubsub && !l->counted_down && group_down(l))
		log_warn("redis %s: unreachable at %s:%d/%d (%s); serving without it, reconnecting",
		    r->name, r->host, r->port, r->db, reason);
	else
		log_debug("redis %s%s: %s (retrying in about %lld ms)", r->name, link_kind(l), reason,
		    (long long)l->backoff_ms);
	/* Equal jitter: between half the backoff and all of it. */
	delay = l->backoff_ms / 2 + (int64_t)(redis_random(r) % (uint64_t)(l->backoff_ms / 2 + 1));
	l->backoff_ms = l->backoff_ms * 2 > r->backoff_max_ms ? r->backoff_max_ms : l->backoff_ms * 2;
	timer_in_us(l->timer, delay * 1000);
}

static void
link_up(struct rlink *l)
{
	struct redis *r = l->r;
	int64_t since = l->down_since_ms;
	int64_t ms;

	l->state = LINK_UP;
	l->down_since_ms = 0;
	l->handshake_left = 0;
	l->backoff_ms = r->backoff_min_ms;
	evtimer_del(l->timer);
	if (l->pubsub) {
		atomic_store_explicit(&r->st_pubsub_up, true, memory_order_relaxed);
	} else {
		atomic_store_explicit(&r->st_down_since_ms, 0, memory_order_relaxed);
		atomic_store_explicit(&r->st_up, true, memory_order_relaxed);
	}
	if (l->pubsub) {
		if (l->refused && group_accepted(l))
			log_info("redis %s pub/sub: SUBSCRIBE accepted now; replicas hear each other's "
			    "fills again", r->name);
		else if (l->ever_up)
			log_debug("redis %s pub/sub: resubscribed after %lld ms", r->name,
			    (long long)(util_mono_ms() - since));
		else
			log_debug("redis %s pub/sub: subscribed", r->name);
		l->ever_up = true;
	} else if (l->counted_down) {
		stat_inc(&r->st_reconnects);
		/* The last command link of the name to come back speaks for all. */
		ms = group_up(l);
		if (ms >= 0)
			log_info("redis %s: reconnected after %lld ms", r->name, (long long)ms);
		else
			log_debug("redis %s: back after %lld ms; other workers' links still down",
			    r->name, (long long)(util_mono_ms() - since));
	} else if (group_announce(l)) {
		log_info("redis %s: connected to %s:%d/%d", r->name, r->host, r->port, r->db);
	}
}

/* Our decision to give up l's context (deadline, refusal, timeout). */
static redisAsyncContext *
link_detach(struct rlink *l, const char *reason)
{
	redisAsyncContext *ac = l->ac;

	l->ac = NULL;
	link_cancel_dns(l);
	link_down(l, reason);
	return ac;
}

/*
 * Frees a context link_detach returned. Inside one of its reply callbacks
 * hiredis defers this until the callback returns; elsewhere the waiting
 * commands get their NULLs now.
 */
static void
context_free(redisAsyncContext *ac)
{
	if (ac != NULL)
		redisAsyncFree(ac);
}

/* Errors a server may answer any command with for a while: no refusal. */
static bool
error_is_transient(const char *e)
{
	static const char *const codes[] = { "BUSY", "LOADING", "MASTERDOWN", "TRYAGAIN" };

	for (size_t i = 0; i < sizeof(codes) / sizeof(codes[0]); i++) {
		size_t n = strlen(codes[i]);

		if (strncmp(e, codes[i], n) == 0 && (e[n] == ' ' || e[n] == '\0'))
			return true;
	}
	return false;
}

/*
 * Whether ac, l's context, is being dropped because the server answered a
 * SUBSCRIBE with an error (see hiredis's rules above); the channel it
 * refused is then in *channel.
 */
static bool
link_sub_refused(const struct rlink *l, const redisAsyncContext *ac, const struct rsub **channel)
{
	if (!l->pubsub || !l->subs_sent || l->handshake_left <= 0 ||
	    ac->c.err != REDIS_ERR_OTHER || error_is_transient(ac->c.errstr))
		return false;
	/* Confirmations come in sending order, which is the list's. */
	for (const struct rsub *s = l->r->subs; s != NULL; s = s->next) {
		if (!s->confirmed) {
			*channel = s;
			return true;
		}
	}
	return false;
}

/* The server's text, for a log line: printable ASCII only, cut short. */
static void
server_text(char *out, size_t outlen, const char *s)
{
	size_t n = 0;

	for (; *s != '\0' && n + 1 < outlen && n < 160; s++)
		out[n++] = (*s >= 0x20 && *s < 0x7f) ? *s : '?';
	out[n] = '\0';
}

/* hiredis is tearing ac, l's own context, down: take note, never free it. */
static void
link_lost(struct rlink *l, const redisAsyncContext *ac)
{
	struct redis *r = l->r;
	const struct rsub *s = NULL;
	char reason[400], text[200];

	l->ac = NULL;
	if (link_sub_refused(l, ac, &s)) {
		/* No outage: a configuration problem, said once. Retried all
		 * the same with the backoff: an ACL may be fixed meanwhile. */
		server_text(text, sizeof(text), ac->c.errstr);
		snprintf(reason, sizeof(reason), "SUBSCRIBE %.*s refused (%s)",
		    (int)(s->len < 120 ? s->len : 120), s->channel, text);
		stat_inc(&r->st_subscribe_refusals);
		if (!r->closing && group_refused(l))
			log_error("redis %s pub/sub: %s; replicas will not hear each other's fills and "
			    "waits fall back to their timeout", r->name, reason);
		link_down(l, reason);
		return;
	}
	snprintf(reason, sizeof(reason), "%s",
	    ac->c.err != 0 && ac->c.errstr[0] != '\0' ? ac->c.errstr : "connection closed");
	link_down(l, reason);
}

/* ------------------------------------------------------------------------
 * hiredis callbacks
 * ---------------------------------------------------------------------- */

static void
on_connect(const redisAsyncContext *ac, int status)
{
	struct rlink *l = ac->data;

	if (ac != l->ac || status == REDIS_OK)
		return;  /* connected: the handshake's answers decide */
	/* hiredis frees ac when we return; the queued handshake gets NULLs. */
	link_lost(l, ac);
}

static void
on_disconnect(const redisAsyncContext *ac, int status)
{
	struct rlink *l = ac->data;

	(void)status;
	if (ac == l->ac)
		link_lost(l, ac);
}

static void
on_handshake(redisAsyncContext *ac, void *reply, void *privdata)
{
	struct rlink *l = privdata;
	redisReply *rep = reply;
	char reason[160];

	if (ac != l->ac)
		return;
	if (rep == NULL) {
		link_lost(l, ac);
		return;
	}
	if (rep->type == REDIS_REPLY_ERROR) {
		snprintf(reason, sizeof(reason), "refused: %.*s",
		    (int)(rep->len < 120 ? rep->len : 120), rep->str ? rep->str : "");
		context_free(link_detach(l, reason));
		return;
	}
	if (--l->handshake_left > 0)
		return;
	if (l->pubsub)
		link_subscribe_all(l);
	else
		link_up(l);
}

static void
on_command_reply(redisAsyncContext *ac, void *reply, void *privdata)
{
	struct rcmd *c = privdata;
	struct rlink *l = c->link;
	struct redis *r = l->r;

	if (c->done) {
		/* Its caller had NULL at the deadline: this is the late answer,
		 * or the NULL of the context's teardown. */
		free(c);
		return;
	}
	c->done = true;
	TAILQ_REMOVE(&l->pending, c, q);
	if (reply == NULL) {
		stat_inc(&r->st_failures);
		if (ac == l->ac)
			link_lost(l, ac);
	} else if (ac == l->ac) {
		link_arm_deadline(l);
	}
	deliver_reply(r, c, reply);
	free(c);
}

static bool
elem_is(const redisReply *e, const char *s)
{
	return e->type == REDIS_REPLY_STRING && util_slice_ieq(e->str, e->len, s);
}

static bool
sub_matches(const struct rsub *s, const redisReply *ch)
{
	return ch->type == REDIS_REPLY_STRING && s->len == ch->len &&
	    memcmp(s->channel, ch->str, ch->len) == 0;
}

static void
on_sub_message(redisAsyncContext *ac, void *reply, void *privdata)
{
	struct rlink *l = privdata;
	struct redis *r = l->r;
	redisReply *rep = reply, *ch, *payload;

	if (ac != l->ac)
		return;
	if (rep == NULL) {
		link_lost(l, ac);
		return;
	}
	if (rep->type != REDIS_REPLY_ARRAY || rep->elements < 3)
		return;
	ch = rep->element[1];
	if (elem_is(rep->element[0], "subscribe")) {
		/* Callbacks may subscribe: entries appended meanwhile are seen
		 * here too, and nothing is ever removed from the list. */
		for (struct rsub *s = r->subs; s != NULL; s = s->next) {
			bool gap;

			if (s->confirmed || !sub_matches(s, ch))
				continue;
			s->confirmed = true;
			gap = s->ever;
			s->ever = true;
			if (gap)
				deliver_message(r, s, NULL, 0);
			if (ac != l->ac)
				return;
		}
		if (l->handshake_left > 0 && --l->handshake_left == 0) {
			if (l->state == LINK_CONNECTING)
				link_up(l);
			else
				atomic_store_explicit(&r->st_pubsub_up, true, memory_order_relaxed);
		}
		return;
	}
	if (!elem_is(rep->element[0], "message"))
		return;
	payload = rep->element[2];
	if (payload->type != REDIS_REPLY_STRING)
		return;
	for (struct rsub *s = r->subs; s != NULL; s = s->next) {
		if (!sub_matches(s, ch))
			continue;
		stat_inc(&r->st_messages);
		deliver_message(r, s, payload->str, payload->len);
		if (ac != l->ac)
			return;
	}
}

/* ------------------------------------------------------------------------
 * Connecting
 * ---------------------------------------------------------------------- */

static void
handshake_send(struct rlink *l, int argc, const char **argv)
{
	if (redisAsyncCommandArgv(l->ac, on_handshake, l, argc, argv, NULL) == REDIS_OK)
		l->handshake_left++;
}

/* SUBSCRIBE s's channel, unless an earlier entry did on this connection. */
static void
link_subscribe_one(struct rlink *l, struct rsub *s)
{
	const char *argv[2] = { "SUBSCRIBE", s->channel };
	size_t lens[2] = { 9, s->len };

	for (struct rsub *e = l->r->subs; e != NULL && e != s; e = e->next) {
		if (e->len == s->len && memcmp(e->channel, s->channel, s->len) == 0) {
			s->confirmed = e->confirmed;
			s->ever = s->ever || e->confirmed;
			return;
		}
	}
	if (redisAsyncCommandArgv(l->ac, on_sub_message, l, 2, argv, lens) == REDIS_OK)
		l->handshake_left++;
}

static void
link_subscribe_all(struct rlink *l)
{
	l->subs_sent = true;
	for (struct rsub *s = l->r->subs; s != NULL; s = s->next)
		link_subscribe_one(l, s);
	if (l->handshake_left == 0)
		link_up(l);
}

static void
link_connect_addr(struct rlink *l, const char *ip)
{
	struct redis *r = l->r;
	redisAsyncContext *ac;
	char reason[160], db[16];

	/* Numeric: hiredis's getaddrinfo answers without a lookup. */
	ac = redisAsyncConnect(ip, r->port);
	if (ac == NULL) {
		link_down(l, "cannot allocate a connection");
		return;
	}
	if (ac->err != 0 || redisLibeventAttach(ac, r->base) != REDIS_OK) {
		snprintf(reason, sizeof(reason), "%s", ac->err != 0 ? ac->errstr : "cannot attach to the loop");
		redisAsyncFree(ac);
		link_down(l, reason);
		return;
	}
	ac->data = l;
	l->ac = ac;
	l->handshake_left = 0;
	redisAsyncSetConnectCallback(ac, on_connect);
	redisAsyncSetDisconnectCallback(ac, on_disconnect);
	(void)redisEnableKeepAlive(&ac->c);
	/* Queued now, written once the connect completes. */
	if (r->password != NULL) {
		const char *auth[3] = { "AUTH", r->user ? r->user : r->password, r->password };

		handshake_send(l, r->user ? 3 : 2, auth);
	}
	if (l->pubsub) {
		/* The SUBSCRIBEs wait for an answer, so that an error the server
		 * greets us with is never taken for their refusal. */
		if (l->handshake_left == 0) {
			const char *ping[1] = { "PING" };

			handshake_send(l, 1, ping);
		}
		return;
	}
	if (r->db != 0) {
		const char *sel[2] = { "SELECT", db };

		snprintf(db, sizeof(db), "%d", r->db);
		handshake_send(l, 2, sel);
	}
	if (l->handshake_left == 0) {
		const char *ping[1] = { "PING" };

		handshake_send(l, 1, ping);
	}
}

static void
link_connect(struct rlink *l)
{
	struct redis *r = l->r;

	l->state = LINK_CONNECTING;
	l->attempt_us = util_mono_us();
	stat_inc(&r->st_connects);
	timer_in_us(l->timer, r->connect_timeout_ms * 1000);
	if (r->host_numeric)
		link_connect_addr(l, r->host);
	else
		link_resolve(l);
}

/* ------------------------------------------------------------------------
 * The timer: retry, connect deadline, command deadline
 * ---------------------------------------------------------------------- */

static void
link_check_deadline(struct rlink *l)
{
	struct redis *r = l->r;
	struct rcmd *c = TAILQ_FIRST(&l->pending);
	redisAsyncContext *ac;
	int64_t now = util_mono_us();
	char reason[96];

	if (c == NULL)
		return;
	if (c->deadline_us > now) {
		link_arm_deadline(l);
		return;
	}
	/* An answer already in the socket is not late, however busy the
	 * loop was: read before judging. May lose the link (EOF). */
	redisAsyncHandleRead(l->ac);
	if (l->state != LINK_UP)
		return;
	c = TAILQ_FIRST(&l->pending);
	if (c == NULL || c->deadline_us > now) {
		link_arm_deadline(l);
		return;
	}
	c->done = true;
	TAILQ_REMOVE(&l->pending, c, q);
	stat_inc(&r->st_timeouts);
	snprintf(reason, sizeof(reason), "no answer within %lld ms", (long long)r->timeout_ms);
	ac = link_detach(l, reason);
	/* In order: this caller first, then those queued behind it get
	 * their NULLs from the teardown. c itself is freed there. */
	deliver_reply(r, c, NULL);
	context_free(ac);
}

static void
on_timer(evutil_socket_t fd, short what, void *arg)
{
	struct rlink *l = arg;
	struct redis *r = l->r;
	char reason[160];

	(void)fd;
	(void)what;
	switch (l->state) {
	case LINK_WAIT:
		link_connect(l);
		break;
	case LINK_CONNECTING:
		if (l->dns != NULL)
			snprintf(reason, sizeof(reason), "cannot resolve %s within %lld ms", r->host,
			    (long long)r->connect_timeout_ms);
		else
			snprintf(reason, sizeof(reason), "no answer within %lld ms of connecting",
			    (long long)r->connect_timeout_ms);
		context_free(link_detach(l, reason));
		break;
	case LINK_UP:
		link_check_deadline(l);
		break;
	case LINK_IDLE:
		break;
	}
}

/* ------------------------------------------------------------------------
 * Public API
 * ---------------------------------------------------------------------- */

static bool
redis_host_numeric(const char *host)
{
	unsigned char buf[sizeof(struct in6_addr)];

	return inet_pton(AF_INET, host, buf) == 1 || inet_pton(AF_INET6, host, buf) == 1;
}

static int64_t
option_ms(int64_t v, int64_t dflt)
{
	if (v <= 0)
		return dflt;
	return v > REDIS_MAX_MS ? REDIS_MAX_MS : v;
}

static void
link_init(struct redis *r, struct rlink *l, bool pubsub)
{
	l->r = r;
	l->pubsub = pubsub;
	l->state = LINK_IDLE;
	TAILQ_INIT(&l->pending);
	l->backoff_ms = r->backoff_min_ms;
	l->timer = evtimer_new(r->base, on_timer, l);
	if (l->timer == NULL)
		abort();
	l->group = group_join(r->name);
	if (l->group == NULL)
		l->group = &r->own_group;
}

struct redis *
redis_new(struct event_base *base, const struct redis_options *o)
{
	struct redis *r;
	uint64_t seed = 0;

	if (o == NULL || o->url == NULL || o->url->host == NULL || base == NULL)
		return NULL;
	r = util_calloc(1, sizeof(*r));
	r->base = base;
	r->name = util_strdup(o->name ? o->name : "redis");
	r->host = util_strdup(o->url->host);
	r->user = o->url->user ? util_strdup(o->url->user) : NULL;
	r->password = o->url->password ? util_strdup(o->url->password) : NULL;
	r->port = o->url->port > 0 ? o->url->port : 6379;
	r->db = o->url->db;
	r->host_numeric = redis_host_numeric(r->host);
	r->timeout_ms = option_ms(o->timeout_ms, REDIS_DEFAULT_TIMEOUT_MS);
	r->connect_timeout_ms = option_ms(o->connect_timeout_ms, REDIS_DEFAULT_CONNECT_TIMEOUT_MS);
	r->backoff_min_ms = option_ms(o->backoff_min_ms, REDIS_DEFAULT_BACKOFF_MIN_MS);
	r->backoff_max_ms = option_ms(o->backoff_max_ms, REDIS_DEFAULT_BACKOFF_MAX_MS);
	if (r->backoff_max_ms < r->backoff_min_ms)
		r->backoff_max_ms = r->backoff_min_ms;
	if (getrandom(&seed, sizeof(seed), GRND_NONBLOCK) != (ssize_t)sizeof(seed))
		seed = (uint64_t)util_mono_us() ^ (uint64_t)(uintptr_t)r;
	r->rng = seed | 1;
	r->subs_tail = &r->subs;
	atomic_init(&r->st_up, false);
	atomic_init(&r->st_pubsub_up, false);
	atomic_init(&r->st_down_since_ms, util_mono_ms());
	link_init(r, &r->cmd, false);
	link_init(r, &r->sub, true);
	link_connect(&r->cmd);
	return r;
}

static void
link_close(struct rlink *l)
{
	redisAsyncContext *ac = l->ac;

	evtimer_del(l->timer);
	link_cancel_dns(l);
	l->ac = NULL;
	l->state = LINK_IDLE;
	/* Not in a callback of ours (r->depth is 0), so at once: every
	 * command still waiting gets its NULL now. */
	context_free(ac);
	group_leave(l);
	event_free(l->timer);
	l->timer = NULL;
}

void
redis_free(struct redis *r)
{
	struct rsub *s, *next;

	if (r == NULL)
		return;
	if (r->depth > 0) {
		log_error("redis %s: redis_free called from one of its own callbacks", r->name);
		abort();
	}
	r->closing = true;
	atomic_store_explicit(&r->st_up, false, memory_order_relaxed);
	atomic_store_explicit(&r->st_pubsub_up, false, memory_order_relaxed);
	link_close(&r->cmd);
	link_close(&r->sub);
	for (s = r->subs; s != NULL; s = next) {
		next = s->next;
		free(s->channel);
		free(s);
	}
	rdns_unref(r->dns);
	if (r->password != NULL)
		explicit_bzero(r->password, strlen(r->password));
	free(r->password);
	free(r->user);
	free(r->host);
	free(r->name);
	free(r);
}

/* Commands that would change what the link is (its mode, db, identity). */
static bool
redis_command_allowed(const char *name, size_t len)
{
	static const char *const denied[] = {
		"SUBSCRIBE", "PSUBSCRIBE", "SSUBSCRIBE", "UNSUBSCRIBE", "PUNSUBSCRIBE",
		"SUNSUBSCRIBE", "MONITOR", "SELECT", "AUTH", "HELLO", "RESET",
	};

	for (size_t i = 0; i < sizeof(denied) / sizeof(denied[0]); i++)
		if (util_slice_ieq(name, len, denied[i]))
			return false;
	return true;
}

bool
redis_command(struct redis *r, redis_reply_cb cb, void *arg,
    int argc, const char **argv, const size_t *argvlen)
{
	struct rlink *l = &r->cmd;
	struct rcmd *c;
	bool first;

	if (r->closing || l->state != LINK_UP || l->ac == NULL || argc <= 0 || argv == NULL ||
	    argv[0] == NULL ||
	    !redis_command_allowed(argv[0], argvlen ? argvlen[0] : strlen(argv[0]))) {
		stat_inc(&r->st_refused);
		return false;
	}
	c = util_calloc(1, sizeof(*c));
	c->link = l;
	c->cb = cb;
	c->arg = arg;
	c->deadline_us = util_mono_us() + r->timeout_ms * 1000;
	if (redisAsyncCommandArgv(l->ac, on_command_reply, c, argc, argv, argvlen) != REDIS_OK) {
		free(c);
		stat_inc(&r->st_refused);
		return false;
	}
	first = TAILQ_EMPTY(&l->pending);
	TAILQ_INSERT_TAIL(&l->pending, c, q);
	if (first)
		link_arm_deadline(l);
	stat_inc(&r->st_commands);
	return true;
}

bool
redis_up(const struct redis *r)
{
	return atomic_load_explicit(&r->st_up, memory_order_relaxed);
}

void
redis_flush(struct redis *r, int64_t timeout_ms)
{
	struct rlink *l;
	redisContext *c;
	int64_t end;
	int done = 0;

	if (r == NULL || r->closing)
		return;
	l = &r->cmd;
	if (l->state != LINK_UP || l->ac == NULL)
		return;
	/* The async context's own: connected, non-blocking. Its write event
	 * may still fire later and find nothing left to write. */
	c = &l->ac->c;
	end = util_mono_ms() + (timeout_ms > 0 ? timeout_ms : 0);
	for (;;) {
		struct pollfd pfd = { .fd = c->fd, .events = POLLOUT };
		int64_t left;
		int n;

		/* A failed write leaves c->err set and the socket readable (EOF
		 * or an error): hiredis tears the link down on the loop's next
		 * read, as for any loss, if redis_free does not come first. */
		if (redisBufferWrite(c, &done) != REDIS_OK)
			return;
		if (done || (left = end - util_mono_ms()) <= 0)
			return;
		n = poll(&pfd, 1, left > INT_MAX ? INT_MAX : (int)left);
		if (n < 0 && errno != EINTR)
			return;
		if (n == 0)
			return;   /* timed out */
	}
}

int
redis_subscribe(struct redis *r, const char *channel, redis_message_cb cb, void *arg)
{
	struct rlink *l = &r->sub;
	struct rsub *s;

	if (r->closing || channel == NULL || *channel == '\0' || cb == NULL)
		return -1;
	s = util_calloc(1, sizeof(*s));
	s->channel = util_strdup(channel);
	s->len = strlen(channel);
	s->cb = cb;
	s->arg = arg;
	*r->subs_tail = s;
	r->subs_tail = &s->next;
	if (l->state == LINK_IDLE) {
		link_connect(l);
	} else if (l->ac != NULL && l->subs_sent) {
		link_subscribe_one(l, s);
		if (l->state == LINK_UP && l->handshake_left > 0)
			atomic_store_explicit(&r->st_pubsub_up, false, memory_order_relaxed);
	}
	return 0;
}

void
redis_stats(const struct redis *r, struct redis_stats *out)
{
	int64_t since = atomic_load_explicit(&r->st_down_since_ms, memory_order_relaxed);

	memset(out, 0, sizeof(*out));
	out->up = atomic_load_explicit(&r->st_up, memory_order_relaxed);
	out->pubsub_up = atomic_load_explicit(&r->st_pubsub_up, memory_order_relaxed);
	out->commands = atomic_load_explicit(&r->st_commands, memory_order_relaxed);
	out->refused = atomic_load_explicit(&r->st_refused, memory_order_relaxed);
	out->timeouts = atomic_load_explicit(&r->st_timeouts, memory_order_relaxed);
	out->failures = atomic_load_explicit(&r->st_failures, memory_order_relaxed);
	out->connects = atomic_load_explicit(&r->st_connects, memory_order_relaxed);
	out->connect_failures = atomic_load_explicit(&r->st_connect_failures, memory_order_relaxed);
	out->reconnects = atomic_load_explicit(&r->st_reconnects, memory_order_relaxed);
	out->messages = atomic_load_explicit(&r->st_messages, memory_order_relaxed);
	out->subscribe_refusals = atomic_load_explicit(&r->st_subscribe_refusals,
	    memory_order_relaxed);
	out->down_ms = since != 0 ? util_mono_ms() - since : 0;
	if (out->down_ms < 0)
		out->down_ms = 0;
}

/* ------------------------------------------------------------------------
 * URLs
 * ---------------------------------------------------------------------- */

/* Percent-decodes [s, s+len) into a fresh string; NULL on a bad escape or
 * an encoded NUL. */
static char *
url_decode(const char *s, size_t len)
{
	char *out = util_calloc(1, len + 1);
	size_t n = 0;

	for (size_t i = 0; i < len; i++) {
		if (s[i] != '%') {
			out[n++] = s[i];
			continue;
		}
		if (len - i < 3 || util_hex_digit(s[i + 1]) < 0 || util_hex_digit(s[i + 2]) < 0 ||
		    (s[i + 1] == '0' && s[i + 2] == '0')) {
			explicit_bzero(out, len + 1);
			free(out);
			return NULL;
		}
		out[n++] = (char)(util_hex_digit(s[i + 1]) * 16 + util_hex_digit(s[i + 2]));
		i += 2;
	}
	out[n] = '\0';
	return out;
}

static bool
host_char_ok(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	    c == '.' || c == '-' || c == '_';
}

#define URL_FAIL(...) do { snprintf(err, errlen, __VA_ARGS__); goto fail; } while (0)

int
redis_url_parse(const char *url, struct redis_url *out, char *err, size_t errlen)
{
	const char *p, *end, *at = NULL, *host, *host_end, *after;
	int64_t v;

	memset(out, 0, sizeof(*out));
	out->port = 6379;
	if (url == NULL || *url == '\0')
		URL_FAIL("empty Redis URL");
	for (p = url; *p != '\0'; p++)
		if ((unsigned char)*p <= ' ' || *p == 0x7f)
			URL_FAIL("Redis URL contains a space or a control character (percent-encode it)");
	if (strncasecmp(url, "rediss://", 9) == 0)
		URL_FAIL("rediss:// (TLS) is not supported: hiredis 0.14 has no TLS; use redis:// "
		    "over a trusted network or through a TLS proxy");
	if (strncasecmp(url, "redis://", 8) != 0)
		URL_FAIL("Redis URL must start with redis://");
	p = url + 8;
	end = p + strcspn(p, "/?#");
	/* Credentials end at the authority's last '@'. */
	for (const char *q = p; q < end; q++)
		if (*q == '@')
			at = q;
	if (at != NULL) {
		const char *colon = memchr(p, ':', (size_t)(at - p));

		if (colon == NULL)
			URL_FAIL("Redis URL credentials must be :password or user:password");
		if (colon + 1 == at)
			URL_FAIL("Redis URL has an empty password");
		if (colon > p && (out->user = url_decode(p, (size_t)(colon - p))) == NULL)
			URL_FAIL("Redis URL user has a bad percent-escape");
		if ((out->password = url_decode(colon + 1, (size_t)(at - colon - 1))) == NULL)
			URL_FAIL("Redis URL password has a bad percent-escape");
		if (out->password[0] == '\0')
			URL_FAIL("Redis URL has an empty password");
		host = at + 1;
	} else {
		host = p;
	}
	if (host < end && *host == '[') {
		const char *close = memchr(host, ']', (size_t)(end - host));
		unsigned char a6[sizeof(struct in6_addr)];

		if (close == NULL)
			URL_FAIL("Redis URL has an unclosed '[' in its host");
		out->host = util_strndup(host + 1, (size_t)(close - host - 1));
		if (inet_pton(AF_INET6, out->host, a6) != 1)
			URL_FAIL("Redis URL host in brackets is not an IPv6 address");
		after = close + 1;
	} else {
		host_end = memchr(host, ':', (size_t)(end - host));
		if (host_end == NULL)
			host_end = end;
		if (host_end == host)
			URL_FAIL("Redis URL has no host");
		if (host_end - host > 253)
			URL_FAIL("Redis URL host is longer than 253 characters");
		for (const char *q = host; q < host_end; q++)
			if (!host_char_ok(*q))
				URL_FAIL("Redis URL host may hold only letters, digits, '.', '-' and '_'");
		out->host = util_strndup(host, (size_t)(host_end - host));
		after = host_end;
	}
	if (after < end) {
		if (*after != ':' ||
		    util_parse_i64(after + 1, (size_t)(end - after - 1), 1, 65535, &v) != 0)
			URL_FAIL("Redis URL port must be a number from 1 to 65535");
		out->port = (int)v;
	}
	if (*end == '?' || *end == '#')
		URL_FAIL("Redis URL query strings and fragments are not supported");
	if (*end == '/' && end[1] != '\0') {
		const char *db = end + 1;
		size_t n = strlen(db);

		if (db[strcspn(db, "?#")] != '\0')
			URL_FAIL("Redis URL query strings and fragments are not supported");
		if (util_parse_i64(db, n, 0, INT_MAX, &v) != 0)
			URL_FAIL("Redis URL database must be a number from 0 to %d", INT_MAX);
		out->db = (int)v;
	}
	return 0;
fail:
	redis_url_free(out);
	return -1;
}

void
redis_url_free(struct redis_url *u)
{
	if (u == NULL)
		return;
	if (u->password != NULL)
		explicit_bzero(u->password, strlen(u->password));
	free(u->password);
	free(u->user);
	free(u->host);
	memset(u, 0, sizeof(*u));
}
