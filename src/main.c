/*
 * main.c - ghpool's command line and process lifecycle.
 *
 * Order matters: load and validate config, build the pool and probe every
 * identity, bind the sockets, then start workers. Signals are blocked in
 * every thread and taken synchronously here with sigwait(), so no handler
 * ever runs inside a worker's event loop.
 */
#include "app.h"
#include "audit.h"
#include "aws.h"
#include "config.h"
#include "gcp.h"
#include "log.h"
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

static void
usage(FILE *out)
{
	fprintf(out,
	    "usage: ghpool [--config PATH] [--check-config] [--version] [--help]\n"
	    "\n"
	    "  --config PATH    TOML config (default: $GHPOOL_CONFIG, else ./config.toml,\n"
	    "                   else environment only: GHPOOL_PAT_<ID>, GHPOOL_PORT, ...)\n"
	    "  --check-config   validate, print the effective config (tokens masked), exit\n"
	    "  --version        print the version and exit\n"
	    "  --help           this text\n");
}

/*
 * SIGHUP, or every secrets_refresh_secs: read the configuration again and
 * resolve every secret. Only a configuration that loads whole replaces the
 * identities; otherwise the old ones keep serving. Reads in flight finish
 * with the token they were sent with. Returns the new configuration (its
 * App keys serve later refreshes), or NULL.
 */
/* Keys a running ghpool cannot change: say so rather than ignore them. */
static void
warn_restart_only(const struct config *a, const struct config *b)
{
	static const char *const names[] = {
		"listen", "port", "workers", "upstream_url", "public_url", "upstream_timeout_secs",
		"audit_log", "audit_fsync", "cache.max_entries", "cache.max_bytes",
		"cache.max_entry_bytes",
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
	};

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (changed[i])
			log_warn("reload: '%s' changed; it takes effect when ghpool restarts", names[i]);
}

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
	srv = server_new(cfg, px, m, err, sizeof(err));
	if (srv == NULL) {
		log_error("%s", err);
		goto out;
	}
	proxy_set_local_address(px, cfg->listen, server_port(srv));
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
	log_info("received %s: shutting down", sig == SIGINT ? "SIGINT" : "SIGTERM");
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
		{ "version", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *path = NULL;
	bool check = false;
	struct config cfg;
	char err[1024];
	sigset_t sigs;
	int c, rc;

	while ((c = getopt_long(argc, argv, "c:h", opts, NULL)) != -1) {
		switch (c) {
		case 'c': path = optarg; break;
		case 'k': check = true; break;
		case 'v': printf("ghpool %s\n", GHPOOL_VERSION); return 0;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (optind < argc) {
		usage(stderr);
		return 2;
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
	return rc;
}
