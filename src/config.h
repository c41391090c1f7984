/*
 * config: the effective settings, from a TOML file or from the environment
 * alone, validated once at start-up. Other modules read a loaded config but
 * never change it. Token and client key references (literal, env:VAR, ...)
 * are resolved here, so nothing downstream sees a reference it must interpret.
 */
#ifndef GHPOOL_CONFIG_H
#define GHPOOL_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "log.h"

struct config_identity {
	char *id;
	char *token_ref;    /* for people: the reference as written, or "(literal)" */
	char *ref;          /* while loading: the reference to resolve */
	char *token;        /* resolved secret; never printed */
	int line;           /* where it was configured; 0: the environment */
	int64_t resolved_at;   /* epoch seconds */
	/* A GitHub App installation instead of a token: token is minted. */
	bool app;
	int64_t app_id;
	int64_t installation_id;    /* configured, or discovered from owner */
	char *owner;
	char *private_key;          /* resolved PEM; kept for refreshes */
	int64_t token_expires_at;   /* of the minted token; 0 for tokens */
};

/* A [[cache.rules]] entry: paths matching the glob get this TTL. */
struct config_cache_rule {
	char *pattern;
	int64_t ttl_secs;
};

struct config_cache {
	int64_t max_entries;
	int64_t max_bytes;
	int64_t max_entry_bytes;
	int64_t immutable_ttl_secs;
	int64_t stale_if_error_secs;
	int64_t pr_view_ttl_secs;
	int64_t issue_list_ttl_secs;
	int64_t run_list_ttl_secs;
	int64_t commit_list_ttl_secs;
	int64_t repo_view_ttl_secs;
	int64_t default_ttl_secs;
	int64_t graphql_ttl_secs;          /* pooled GraphQL queries */
	struct config_cache_rule *rules;   /* first match wins */
	size_t n_rules;
	/* backend = "redis": Redis is the L2 tier every replica shares. */
	bool redis;
	char *redis_url;                   /* redis://[user:password@]host[:port][/db] */
	char *redis_password_ref;          /* a secret reference as written ("(literal)" once loaded), or NULL */
	char *redis_password;              /* resolved (reloads: see config_reload); never printed */
	int redis_password_line;
	int64_t redis_timeout_ms;          /* past it, Redis counts as down */
	char *redis_key_prefix;            /* every key and channel starts with it */
};

/* [policy] graphql_node_lookup = "seen" | "deny" | "allow": how the policy
 * treats GraphQL lookups by global node ID (policy.c gives the meaning). */
enum config_node_lookup { CONFIG_NODE_SEEN, CONFIG_NODE_DENY, CONFIG_NODE_ALLOW };

/* [policy]: what the access policy lets through beyond the owners' repos. */
struct config_policy {
	char **allow_paths;             /* globs over the raw request path */
	size_t n_allow_paths;
	enum config_node_lookup node_lookup;     /* default CONFIG_NODE_SEEN */
	bool passthrough_denied_reads;           /* default false */
};

/* A [[clients]] entry: an agent (or team) that must present a key. */
struct config_client {
	char *id;
	char *key_refs[2];     /* as written, for people ("(literal)" for literals), like identities' token_ref */
	char *keys[2];         /* resolved secrets; keys[1] NULL unless two; never printed */
	int line;              /* of its key or keys, for messages */
	bool owners_set;       /* allowed_owners given: narrows the global list */
	bool owners_all;       /* ... and contains "*" */
	char **allowed_owners;
	size_t n_allowed_owners;
};

struct config {
	char *source;               /* file path, or "environment" */
	char *listen;
	int port;
	char *upstream_url;         /* no trailing slash */
	char *public_url;           /* NULL: derive from the request's Host */
	int workers;
	int upstream_timeout_secs;
	bool owners_all;            /* allowed_owners contains "*" */
	char **allowed_owners;
	size_t n_allowed_owners;
	struct config_identity *identities;
	size_t n_identities;
	struct config_cache cache;
	int64_t pool_reserve;
	char *audit_log;            /* JSON lines, one per passthrough; NULL: none */
	bool audit_fsync;           /* sync the audit file after each record */
	char *k8s_secrets_dir;      /* where k8s: references are mounted */
	int64_t secrets_refresh_secs;   /* re-resolve every N s; 0: on SIGHUP only */
	struct config_policy policy;
	struct config_client *clients;  /* none: no client must present a key */
	size_t n_clients;
	enum log_format log_format;     /* default text */
	enum log_level log_level;       /* default info */
	int64_t shutdown_grace_secs;    /* SIGTERM/SIGINT: time in-flight requests get */
};

/*
 * Loads the configuration. path: an explicit --config (must exist), or NULL
 * to use $GHPOOL_CONFIG, else ./config.toml, else the environment alone.
 * envp is the environment to read (tests pass their own). On error returns
 * -1 and writes a message naming the file, line and key to err.
 */
int config_load(struct config *cfg, const char *path, char *const *envp,
    char *err, size_t errlen);

/* The same on reload: GitHub App tokens are minted against running's
 * upstream, since a changed upstream_url applies only on restart. For the
 * same reason a [cache] redis_password reference is not resolved (so it
 * can never fail a reload): cfg gets a copy of running's resolved password,
 * NULL if it had none. A literal password is taken as written. */
int config_reload(struct config *cfg, const char *path, char *const *envp,
    const struct config *running, char *err, size_t errlen);

/* Same, from text already in memory; name is used in messages. */
int config_load_text(struct config *cfg, const char *text, size_t len,
    const char *name, char *const *envp, char *err, size_t errlen);

/* The Redis URL with [cache] redis_password, if set, in place of the URL's
 * own; -1 without a URL. Free with redis_url_free(). */
struct redis_url;
int config_redis_url(const struct config *cfg, struct redis_url *out, char *err, size_t errlen);

/* Prints the effective config as TOML, every token masked. */
void config_print(const struct config *cfg, FILE *out);

/* Wipes and frees the resolved tokens and client keys once the pool and
 * the policy hold their copies, so one copy of each secret lives in the
 * process, not two. */
void config_drop_tokens(struct config *cfg);

void config_free(struct config *cfg);

#endif
