/*
 * main.c - ghpool's command line and process lifecycle.
 *
 * Order matters: load and validate config, build the pool and probe every
 * identity, bind the sockets, then start workers. Signals are blocked in
 * every thread and taken synchronously here with sigwait(), so no handler
 * ever runs inside a worker's event loop.
 */
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
 * with the token they were sent with.
 */
static void
reload(struct pool *pool, const char *path, const struct config *running)
{
	struct config fresh;
	char err[1024];
	int changed[256];
	size_t n, dropped;

	if (config_load(&fresh, path, environ, err, sizeof(err)) < 0) {
		log_error("reload failed, the running configuration stays: %s", err);
		return;
	}
	n = pool_reconcile(pool, &fresh, changed, sizeof(changed) / sizeof(changed[0]), &dropped);
	for (size_t k = 0; k < n; k++) {
		log_info("identity %s: new or rotated token, probing", pool_id(pool, changed[k]));
		probe_identity(pool, changed[k], running->upstream_url, running->upstream_timeout_secs);
	}
	if (dropped > 0)
		log_error("reload: %zu new identities did not fit; restart ghpool to add them", dropped);
	log_info("reloaded %s: %zu identities, %zu new or rotated tokens (settings other than "
	    "identities and their secrets apply on restart)", fresh.source, fresh.n_identities, n);
	config_free(&fresh);
}

/* Waits for a signal; a refresh interval turns into a SIGHUP. */
static int
wait_signal(const sigset_t *sigs, int64_t refresh_secs)
{
	struct timespec ts = { (time_t)refresh_secs, 0 };
	int sig;

	if (refresh_secs <= 0) {
		if (sigwait(sigs, &sig) != 0)
			return SIGTERM;
		return sig;
	}
	sig = sigtimedwait(sigs, NULL, &ts);
	return sig < 0 ? SIGHUP : sig;
}

static void
warn_literals(const struct config *cfg)
{
	for (size_t i = 0; i < cfg->n_identities; i++)
		if (strcmp(cfg->identities[i].token_ref, "(literal)") == 0)
			log_warn("identity %s: its token is written in the configuration; literals are for "
			    "local development (use env:, k8s:, aws: or gcp: references)",
			    cfg->identities[i].id);
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
	m = mgmt_new(pool, px);
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
	while ((sig = wait_signal(&sigs, cfg->secrets_refresh_secs)) == SIGHUP)
		reload(pool, path, cfg);
	log_info("received %s: shutting down", sig == SIGINT ? "SIGINT" : "SIGTERM");
	rc = 0;
out:
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
