/*
 * main.c - ghpool's command line and process lifecycle.
 *
 * Order matters: load and validate config, build the pool and probe every
 * identity, bind the sockets, then start workers. Signals are blocked in
 * every thread and taken synchronously here with sigwait(), so no handler
 * ever runs inside a worker's event loop. SIGTERM and SIGINT drain: the
 * workers finish what they have within shutdown_grace_secs; a second one
 * stops at once.
 */
#include "app.h"
#include "audit.h"
#include "aws.h"
#include "config.h"
#include "gcp.h"
#include "health.h"
#include "log.h"
#include "metrics.h"
#include "mgmt.h"
#include "policy.h"
#include "pool.h"
#include "probe.h"
#include "proxy.h"
#include "server.h"
#include "util.h"

#include <curl/curl.h>
#include <event2/event.h>
#include <event2/thread.h>
#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

extern char **environ;

/* How long past the grace period main waits for a worker that has not left
 * its loop (the workers' own deadline plus their 500 ms of last answers
 * should have ended it). */
#define DRAIN_BACKSTOP_MS 5000

static void
usage(FILE *out)
{
	fprintf(out,
	    "usage: ghpool [--config PATH] [--check-config] [--version] [--help]\n"
	    "       ghpool --health-check [URL]\n"
	    "\n"
	    "  --config PATH       TOML config (default: $GHPOOL_CONFIG, else ./config.toml,\n"
	    "                      else environment only: GHPOOL_PAT_<ID>, GHPOOL_PORT, ...)\n"
	    "  --check-config      validate, print the effective config (tokens masked), exit\n"
	    "  --health-check [URL], --health-check=URL\n"
	    "                      GET URL (default http://127.0.0.1:$GHPOOL_PORT/healthz,\n"
	    "                      port 8080 without it; a URL without a path gets /healthz),\n"
	    "                      no proxy, 5 s; exit 0 on HTTP 200, else 1 with the reason\n"
	    "                      on stderr. Reads no configuration.\n"
	    "  --version           print the version and exit\n"
	    "  --help              this text\n");
}

/*
 * Keys a running ghpool cannot change: say so rather than ignore them.
 * log_format and log_level are not among them (a reload applies them), nor
 * is shutdown_grace_secs (shutdown reads the latest loaded configuration's).
 */
/* Equal strings, NULL equal only to NULL. */
static bool
str_eq_or_null(const char *a, const char *b)
{
	return a == b || (a != NULL && b != NULL && strcmp(a, b) == 0);
}

static void
warn_restart_only(const struct config *a, const struct config *b)
{
	static const char *const names[] = {
		"listen", "port", "workers", "upstream_url", "public_url", "upstream_timeout_secs",
		"audit_log", "audit_fsync", "cache.max_entries", "cache.max_bytes",
		"cache.max_entry_bytes", "cache.backend", "cache.redis_url", "cache.redis_password",
		"cache.redis_timeout_ms", "cache.redis_key_prefix",
	};
	bool changed[] = {
		strcmp(a->listen, b->listen) != 0, a->port != b->port, a->workers != b->workers,
		strcmp(a->upstream_url, b->upstream_url) != 0,
		(a->public_url == NULL) != (b->public_url == NULL) ||
		    (a->public_url && strcmp(a->public_url, b->public_url) != 0),
		a->upstream_timeout_secs != b->upstream_timeout_secs,
		(a->audit_log == NULL) != (b->audit_log == NULL) ||
		    (a->audit_log && strcmp(a->audit_log, b->audit_log) != 0),
		a->audit_fsync != b->audit_fsync,
		a->cache.max_entries != b->cache.max_entries, a->cache.max_bytes != b->cache.max_bytes,
		a->cache.max_entry_bytes != b->cache.max_entry_bytes,
		a->cache.redis != b->cache.redis, !str_eq_or_null(a->cache.redis_url, b->cache.redis_url),
		/* A reload copies the running password for a reference it does
		 * not resolve, so the reference tells a change; a literal's is
		 * "(literal)" either way, so its value does. */
		!str_eq_or_null(a->cache.redis_password_ref, b->cache.redis_password_ref) ||
		    !str_eq_or_null(a->cache.redis_password, b->cache.redis_password),
		a->cache.redis_timeout_ms != b->cache.redis_timeout_ms,
		!str_eq_or_null(a->cache.redis_key_prefix, b->cache.redis_key_prefix),
	};

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (changed[i])
			log_warn("reload: '%s' changed; it takes effect when ghpool restarts", names[i]);
}

/*
 * SIGHUP, or every secrets_refresh_secs: read the configuration again and
 * resolve every secret. Only a configuration that loads whole replaces the
 * identities; otherwise the old ones keep serving. Reads in flight finish
 * with the token they were sent with. Returns the new configuration (its
 * App keys serve later refreshes), or NULL.
 */
static struct config *
reload(struct pool *pool, struct policy *policy, struct proxy *px, const char *path,
    const struct config *started, const struct config *running)
{
	struct config *fresh = util_calloc(1, sizeof(*fresh));
	char err[1024];
	int changed[256];
	size_t n, dropped;

	if (config_reload(fresh, path, environ, started, err, sizeof(err)) < 0) {
		log_error("reload failed, the running configuration stays: %s", err);
		free(fresh);
		return NULL;
	}
	warn_restart_only(running, fresh);
	/* Before the lines below, which then show the new format. */
	log_configure(fresh->log_format, fresh->log_level);
	if (fresh->log_format != running->log_format || fresh->log_level != running->log_level)
		log_info("reload: log_format %s, log_level %s", log_format_name(fresh->log_format),
		    log_level_name(fresh->log_level));
	policy_update(policy, fresh);
	proxy_update(px, fresh);
	pool_set_reserve(pool, fresh->pool_reserve);
	n = pool_reconcile(pool, fresh, changed, sizeof(changed) / sizeof(changed[0]), &dropped);
	config_drop_tokens(fresh);
	for (size_t k = 0; k < n; k++) {
		log_info("identity %s: new or rotated token, probing", pool_id(pool, changed[k]));
		probe_identity(pool, changed[k], started->upstream_url, started->upstream_timeout_secs);
	}
	if (dropped > 0)
		log_error("reload: %zu new identities did not fit; restart ghpool to add them", dropped);
	log_info("reloaded %s: %zu identities, %zu new or rotated tokens", fresh->source,
	    fresh->n_identities, n);
	return fresh;
}

/*
 * When an App token is due for a new one: APP_REFRESH_MARGIN_SECS before
 * it expires, or half way through its life if it lives no longer than
 * that margin (never a mint loop on short-lived tokens).
 */
static int64_t
app_due(struct pool *pool, int i)
{
	int64_t set_at, expires = pool_token_expires_at(pool, i, &set_at);
	int64_t due = expires - APP_REFRESH_MARGIN_SECS;

	if (due <= set_at)
		due = set_at + (expires - set_at) / 2;
	/* A broken upstream handing out instant expiries gets no mint storm. */
	if (due < set_at + 5)
		due = set_at + 5;
	return due;
}

/*
 * Mints new tokens for GitHub App identities whose token is within
 * APP_REFRESH_MARGIN_SECS of expiring. A failure is retried every 30 s
 * while the old token keeps serving until it expires.
 */
static void
refresh_apps(struct pool *pool, const struct config *cur, const struct config *started,
    int64_t *retry_at)
{
	int64_t now = util_now();

	/* Minted where the reads go: the upstream ghpool started with. */
	for (size_t k = 0; k < cur->n_identities; k++) {
		const struct config_identity *id = &cur->identities[k];
		struct app_params p = {
			.upstream_url = started->upstream_url, .app_id = id->app_id,
			.private_key = id->private_key, .installation_id = id->installation_id,
			.owner = id->owner, .timeout_secs = started->upstream_timeout_secs,
		};
		struct app_token t;
		int64_t set_at, left;
		char err[512];
		int i;

		if (!id->app || (i = pool_find(pool, id->id)) < 0 || now < retry_at[k] ||
		    now < app_due(pool, i))
			continue;
		if (app_mint(&p, &t, err, sizeof(err)) < 0) {
			retry_at[k] = now + 30;
			left = pool_token_expires_at(pool, i, &set_at) - now;
			log_warn("identity %s: App token refresh failed, retrying in 30 s (the current token "
			    "expires in %llds): %s", id->id, (long long)left, err);
			continue;
		}
		pool_set_token(pool, i, t.token, t.expires_at);
		log_info("identity %s: App token refreshed, valid for %llds", id->id,
		    (long long)(t.expires_at - now));
		app_token_clear(&t);
	}
}

/* The next moment something is due: a periodic reload or an App refresh. */
static int64_t
next_due(struct pool *pool, const struct config *cur, const int64_t *retry_at,
    int64_t next_reload)
{
	int64_t next = next_reload, t;
	int i;

	for (size_t k = 0; k < cur->n_identities; k++) {
		if (!cur->identities[k].app || (i = pool_find(pool, cur->identities[k].id)) < 0)
			continue;
		t = app_due(pool, i);
		if (retry_at[k] > t)
			t = retry_at[k];
		if (t < next)
			next = t;
	}
	return next;
}

/* Waits for a signal until deadline (INT64_MAX: none); 0 when it passes. */
static int
wait_signal(const sigset_t *sigs, int64_t deadline)
{
	int64_t left = deadline - util_now();
	struct timespec ts;
	int sig;

	if (deadline == INT64_MAX) {
		if (sigwait(sigs, &sig) != 0)
			return SIGTERM;
		return sig;
	}
	ts.tv_sec = (time_t)(left > 0 ? left : 0);
	ts.tv_nsec = 0;
	sig = sigtimedwait(sigs, NULL, &ts);
	return sig < 0 ? 0 : sig;
}

static const char *
signal_name(int sig)
{
	return sig == SIGINT ? "SIGINT" : sig == SIGHUP ? "SIGHUP" : "SIGTERM";
}

/*
 * SIGTERM or SIGINT: the workers stop accepting and finish what they have
 * (server_drain), while this thread waits in 100 ms steps, so that a second
 * SIGTERM or SIGINT is taken at once and stops everything (an operator who
 * insists, or an orchestrator that gave up). Returns once every worker has
 * left its loop.
 */
static void
drain(struct server *srv, const sigset_t *sigs, int first, int64_t grace_secs)
{
	int64_t start = util_mono_ms();
	/* The workers end their own loops at the grace period; this is only
	 * the backstop should one of them not. */
	int64_t backstop = start + grace_secs * 1000 + DRAIN_BACKSTOP_MS;
	struct timespec step = { 0, 100 * 1000 * 1000 };
	int sig;

	/* Drain first: once the line is out, /readyz says 503. */
	server_drain(srv, grace_secs * 1000);
	log_info("received %s: draining for up to %lld s", signal_name(first), (long long)grace_secs);
	while (!server_drained(srv)) {
		sig = sigtimedwait(sigs, NULL, &step);
		if (sig == SIGINT || sig == SIGTERM) {
			log_warn("received %s while draining: stopping now; requests still open get an "
			    "error answer", signal_name(sig));
			break;
		}
		if (sig == SIGHUP)
			log_info("received SIGHUP while draining: no reload");
		if (util_mono_ms() >= backstop) {
			log_error("workers still running %lld ms after the grace period: stopping them",
			    (long long)DRAIN_BACKSTOP_MS);
			break;
		}
	}
	server_stop(srv);
	log_info("stopped after %lld ms", (long long)(util_mono_ms() - start));
}

static void
warn_literals(const struct config *cfg)
{
	for (size_t i = 0; i < cfg->n_identities; i++)
		if (strcmp(cfg->identities[i].token_ref, "(literal)") == 0)
			log_warn("identity %s: its %s is written in the configuration; literals are for "
			    "local development (use env:, k8s:, aws: or gcp: references)",
			    cfg->identities[i].id, cfg->identities[i].app ? "private key" : "token");
}

static int
run(struct config *cfg, const char *path)
{
	struct pool *pool = pool_new(cfg);
	struct policy *policy = policy_new(cfg);
	struct proxy *px = NULL;
	struct audit *audit = NULL;
	struct mgmt *m = NULL;
	struct server *srv = NULL;
	char err[512];
	sigset_t sigs;
	int sig, rc = 1, usable;
	/* The latest configuration loaded: its App keys serve refreshes. */
	struct config *cur = cfg;
	int64_t *retry_at = util_calloc(cfg->n_identities + 1, sizeof(*retry_at));
	int64_t last_reload = util_now();

	config_drop_tokens(cfg);
	warn_literals(cfg);
	if (policy_allows_none(policy))
		log_warn("allowed_owners is empty: every owner-scoped read will be denied (use [\"*\"] to allow all)");
	if (cfg->n_identities == 0)
		log_warn("no identities configured: pooled reads will answer 503");
	usable = probe_identities(pool, cfg->upstream_url, cfg->upstream_timeout_secs);
	log_info("%d of %zu identities usable", usable, cfg->n_identities);

	if (cfg->audit_log != NULL &&
	    (audit = audit_open(cfg->audit_log, cfg->audit_fsync, err, sizeof(err))) == NULL) {
		log_error("%s", err);
		goto out;
	}
	px = proxy_new(cfg, pool, policy, audit);
	m = mgmt_new(pool, px, policy);
	srv = server_new(cfg, px, m, pool, err, sizeof(err));
	if (srv == NULL) {
		log_error("%s", err);
		goto out;
	}
	proxy_set_local_address(px, cfg->listen, server_port(srv));
	mgmt_set_server(m, srv);
	if (server_start(srv) < 0)
		goto out;
	log_info("ghpool %s listening on %s:%d with %d workers, upstream %s",
	    GHPOOL_VERSION, cfg->listen, server_port(srv), cfg->workers, cfg->upstream_url);

	sigemptyset(&sigs);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGHUP);
	for (;;) {
		int64_t next_reload = cur->secrets_refresh_secs > 0 ?
		    last_reload + cur->secrets_refresh_secs : INT64_MAX;
		struct config *fresh;

		sig = wait_signal(&sigs, next_due(pool, cur, retry_at, next_reload));
		if (sig == SIGINT || sig == SIGTERM)
			break;
		if (sig != 0)
			log_debug("received %s", signal_name(sig));
		if (sig == SIGHUP || util_now() >= next_reload) {
			last_reload = util_now();
			if ((fresh = reload(pool, policy, px, path, cfg, cur)) != NULL) {
				if (cur != cfg) {
					config_free(cur);
					free(cur);
				}
				cur = fresh;
				free(retry_at);
				retry_at = util_calloc(cur->n_identities + 1, sizeof(*retry_at));
			}
		}
		refresh_apps(pool, cur, cfg, retry_at);
	}
	/* The latest configuration's grace: a reload may have changed it. */
	drain(srv, &sigs, sig, cur->shutdown_grace_secs);
	rc = 0;
out:
	if (cur != cfg) {
		config_free(cur);
		free(cur);
	}
	free(retry_at);
	server_free(srv);
	mgmt_free(m);
	proxy_free(px);
	audit_close(audit);
	policy_free(policy);
	pool_free(pool);
	return rc;
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "check-config", no_argument, NULL, 'k' },
		{ "health-check", optional_argument, NULL, 'H' },
		{ "version", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *path = NULL, *health_arg = NULL;
	bool check = false, health = false;
	struct config cfg;
	char err[1024];
	sigset_t sigs;
	int c, rc;

	while ((c = getopt_long(argc, argv, "c:h", opts, NULL)) != -1) {
		switch (c) {
		case 'c': path = optarg; break;
		case 'k': check = true; break;
		case 'H':
			/* getopt takes only --health-check=URL; --health-check URL
			 * too, as long as the next word is no option. */
			health = true;
			if (optarg == NULL && optind < argc && argv[optind][0] != '-')
				optarg = argv[optind++];
			health_arg = optarg;
			break;
		case 'v': printf("ghpool %s\n", GHPOOL_VERSION); return 0;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (optind < argc) {
		usage(stderr);
		return 2;
	}
	if (health) {
		/* No configuration: a probe resolves no secrets. */
		if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
			fprintf(stderr, "ghpool: cannot initialise libcurl\n");
			return 1;
		}
		rc = health_check(health_arg, environ, stderr);
		curl_global_cleanup();
		return rc;
	}
	/* A SIGHUP during a slow start-up (secrets from the network) must not
	 * kill us; SIGINT and SIGTERM still do until the workers start. */
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &sigs, NULL);
	/* Resolving secrets may already use curl. */
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		fprintf(stderr, "ghpool: cannot initialise libcurl\n");
		return 1;
	}
	if (config_load(&cfg, path, environ, err, sizeof(err)) < 0) {
		fprintf(stderr, "ghpool: configuration error: %s\n", err);
		curl_global_cleanup();
		return 1;
	}
	if (check) {
		config_print(&cfg, stdout);
		config_free(&cfg);
		aws_cleanup();
		gcp_cleanup();
		curl_global_cleanup();
		return 0;
	}

	/* From here on lines are in the configured format; before, and for
	 * configuration errors, they are text. */
	log_configure(cfg.log_format, cfg.log_level);
	/* Before any thread exists, so every thread inherits the mask. */
	util_hash_seed();
	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &sigs, NULL);
	if (evthread_use_pthreads() != 0) {
		fprintf(stderr, "ghpool: cannot initialise libevent threads\n");
		config_free(&cfg);
		curl_global_cleanup();
		return 1;
	}
	rc = run(&cfg, path);
	config_free(&cfg);
	aws_cleanup();
	gcp_cleanup();
	curl_global_cleanup();
	libevent_global_shutdown();
	/* Every thread that counted is gone. */
	metrics_cleanup();
	return rc;
}
