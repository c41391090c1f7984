/*
 * config.c - loading, validating and printing ghpool's configuration.
 *
 * Owns the mapping from TOML keys (and GHPOOL_* environment variables) to
 * struct config. Every error names where it came from: file and line for
 * the file, the variable for the environment, the identity for a token.
 */
#include "config.h"
#include "app.h"
#include "redis.h"
#include "secret.h"
#include "toml.h"
#include "util.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#define CONFIG_MAX_FILE (1024 * 1024)

/* ------------------------------------------------------------------------
 * Error reporting and small accessors
 * ---------------------------------------------------------------------- */

struct loader {
	struct config *cfg;
	const char *name;
	char *const *envp;
	char *err;
	size_t errlen;
	/* A reload: Apps mint where reads go, and the Redis password in use
	 * stays (Redis keys are restart-only). NULL on the first load. */
	const struct config *running;
};

static int __attribute__((format(printf, 3, 4)))
config_fail(struct loader *ld, const toml_value *at, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (at != NULL)
		snprintf(ld->err, ld->errlen, "%s: line %d: %s", ld->name,
		    toml_line(at), msg);
	else
		snprintf(ld->err, ld->errlen, "%s: %s", ld->name, msg);
	return -1;
}

static int
config_int(struct loader *ld, const toml_value *v, const char *key,
    int64_t min, int64_t max, int64_t *out)
{
	int64_t n;

	if (toml_type_of(v) != TOML_INTEGER)
		return config_fail(ld, v, "key '%s' must be an integer", key);
	n = toml_integer(v);
	if (n < min || n > max)
		return config_fail(ld, v, "key '%s' must be between %lld and %lld",
		    key, (long long)min, (long long)max);
	*out = n;
	return 0;
}

static int
config_str(struct loader *ld, const toml_value *v, const char *key, char **out)
{
	if (toml_type_of(v) != TOML_STRING)
		return config_fail(ld, v, "key '%s' must be a string", key);
	free(*out);
	*out = util_strdup(toml_string(v));
	return 0;
}

static int
config_bool(struct loader *ld, const toml_value *v, const char *key, bool *out)
{
	if (toml_type_of(v) != TOML_BOOLEAN)
		return config_fail(ld, v, "key '%s' must be true or false", key);
	*out = toml_boolean(v);
	return 0;
}

/* A string from a closed set of names: parse gives its index or -1;
 * names is the message's list of them. */
static int
config_name(struct loader *ld, const toml_value *v, const char *key,
    int (*parse)(const char *), const char *names, int *out)
{
	int i = toml_type_of(v) == TOML_STRING ? parse(toml_string(v)) : -1;

	if (i < 0)
		return config_fail(ld, v, "key '%s' must be %s", key, names);
	*out = i;
	return 0;
}

#define CONFIG_LOG_FORMATS "\"text\" or \"json\""
#define CONFIG_LOG_LEVELS "\"debug\", \"info\", \"warn\" or \"error\""
#define CONFIG_GRACE_MAX 3600

/* Base URLs are joined with paths that start with '/': drop trailing
 * slashes. False if the URL is not http(s). */
static bool
config_url_normalise(char *url)
{
	size_t n = strlen(url);

	if (strncmp(url, "http://", 7) != 0 && strncmp(url, "https://", 8) != 0)
		return false;
	while (n > 0 && url[n - 1] == '/')
		url[--n] = '\0';
	return true;
}

static int
config_url(struct loader *ld, const toml_value *v, const char *key, char **out)
{
	if (config_str(ld, v, key, out) < 0)
		return -1;
	if (!config_url_normalise(*out))
		return config_fail(ld, v, "key '%s' must start with http:// or https://", key);
	return 0;
}

/* ------------------------------------------------------------------------
 * Owners and identities
 * ---------------------------------------------------------------------- */

/* An allowed_owners list: the global one or a client's, which have the
 * same fields. */
struct owners {
	bool *all;
	char ***list;
	size_t *n;
};
#define OWNERS_OF(p) ((struct owners){ &(p)->owners_all, &(p)->allowed_owners, &(p)->n_allowed_owners })

static void
config_owners_clear(struct owners o)
{
	for (size_t i = 0; i < *o.n; i++)
		free((*o.list)[i]);
	free(*o.list);
	*o.list = NULL;
	*o.n = 0;
	*o.all = false;
}

static void
config_owner_add(struct owners o, const char *owner, size_t len)
{
	while (len > 0 && isspace((unsigned char)*owner)) {
		owner++;
		len--;
	}
	while (len > 0 && isspace((unsigned char)owner[len - 1]))
		len--;
	if (len == 0)
		return;
	if (len == 1 && owner[0] == '*') {
		*o.all = true;
		return;
	}
	*o.list = realloc(*o.list, (*o.n + 1) * sizeof(char *));
	if (*o.list == NULL)
		abort();
	(*o.list)[(*o.n)++] = util_strndup(owner, len);
}

/* allowed_owners, at the top level or in a [[clients]] entry (key names
 * which, for messages). */
static int
config_owners(struct loader *ld, const toml_value *v, const char *key, struct owners o)
{
	config_owners_clear(o);
	if (toml_type_of(v) == TOML_STRING) {
		const char *s = toml_string(v);
		config_owner_add(o, s, strlen(s));
		return 0;
	}
	if (toml_type_of(v) != TOML_ARRAY)
		return config_fail(ld, v, "key '%s' must be an array of strings", key);
	for (size_t i = 0; i < toml_array_size(v); i++) {
		const toml_value *e = toml_array_at(v, i);
		if (toml_type_of(e) != TOML_STRING)
			return config_fail(ld, e, "key '%s' must be an array of strings", key);
		config_owner_add(o, toml_string(e), strlen(toml_string(e)));
	}
	return 0;
}

static bool
config_id_valid(const char *id)
{
	if (*id == '\0' || strlen(id) > 64)
		return false;
	for (const char *p = id; *p; p++)
		if (!isalnum((unsigned char)*p) && *p != '-' && *p != '_' && *p != '.')
			return false;
	return true;
}

static struct config_identity *
config_identity_add(struct config *cfg)
{
	struct config_identity *ids;

	ids = realloc(cfg->identities, (cfg->n_identities + 1) * sizeof(*ids));
	if (ids == NULL)
		abort();
	cfg->identities = ids;
	memset(&ids[cfg->n_identities], 0, sizeof(*ids));
	return &ids[cfg->n_identities++];
}

/*
 * Records a token reference; secrets are resolved once the whole file has
 * been read (config_resolve_secrets), since where they live may be set
 * anywhere in it. Only the syntax is checked here, with its line.
 */
static int
config_token_ref(struct loader *ld, const toml_value *at,
    struct config_identity *ident, const char *ref)
{
	const char *bad = secret_ref_invalid(ref);

	if (bad != NULL)
		return config_fail(ld, at, "identity '%s': %s", ident->id, bad);
	ident->ref = util_strdup(ref);
	ident->token_ref = util_strdup(strcmp(secret_kind(ref), "literal") == 0 ?
	    "(literal)" : ref);
	ident->line = at ? toml_line(at) : 0;
	return 0;
}

static int
config_identity_check_dup(struct loader *ld, const toml_value *at, const char *id)
{
	for (size_t i = 0; i + 1 < ld->cfg->n_identities; i++)
		if (strcasecmp(ld->cfg->identities[i].id, id) == 0)
			return config_fail(ld, at, "duplicate identity id '%s'", id);
	return 0;
}

static const char *const identity_keys[] = {
	"id", "token", "app_id", "private_key", "installation_id", "owner", NULL,
};
static const char *const rule_keys[] = { "pattern", "ttl_secs", NULL };

/*
 * Element i of the array of tables `name` ([[name]]), which may hold no
 * keys but those listed. NULL, with the error written, if it is anything else.
 */
static const toml_value *
config_entry(struct loader *ld, const toml_value *arr, size_t i, const char *name,
    const char *const *keys)
{
	const toml_value *t = toml_type_of(arr) == TOML_ARRAY ? toml_array_at(arr, i) : arr;

	if (toml_type_of(arr) != TOML_ARRAY || toml_type_of(t) != TOML_TABLE) {
		config_fail(ld, t, "key '%s' must be an array of tables ([[%s]])", name, name);
		return NULL;
	}
	for (size_t k = 0; k < toml_table_size(t); k++) {
		const char *key = toml_table_key(t, k);

		size_t k2 = 0;

		while (keys[k2] != NULL && strcmp(key, keys[k2]) != 0)
			k2++;
		if (keys[k2] == NULL) {
			config_fail(ld, toml_table_value(t, k), "unknown key '%s.%s'", name, key);
			return NULL;
		}
	}
	return t;
}

/* A GitHub login: it goes into a URL path, so nothing but its alphabet. */
static bool
config_login_valid(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > 39 || s[0] == '-')
		return false;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		    (*s >= '0' && *s <= '9') || *s == '-'))
			return false;
	return true;
}

/* A GitHub App installation: app_id, private_key, installation_id | owner. */
static int
config_app(struct loader *ld, const toml_value *t, struct config_identity *ident)
{
	const toml_value *app = toml_table_get(t, "app_id"), *key = toml_table_get(t, "private_key");
	const toml_value *inst = toml_table_get(t, "installation_id"), *owner = toml_table_get(t, "owner");
	const char *bad;

	if (app == NULL || key == NULL)
		return config_fail(ld, t, "identity '%s': a GitHub App needs 'app_id' and 'private_key'",
		    ident->id);
	if ((inst == NULL) == (owner == NULL))
		return config_fail(ld, t, "identity '%s': a GitHub App needs exactly one of 'installation_id' and 'owner'",
		    ident->id);
	if (config_int(ld, app, "identities.app_id", 1, INT64_C(1) << 53, &ident->app_id) < 0 ||
	    (inst != NULL && config_int(ld, inst, "identities.installation_id", 1, INT64_C(1) << 53,
	    &ident->installation_id) < 0))
		return -1;
	if (owner != NULL) {
		if (toml_type_of(owner) != TOML_STRING || !config_login_valid(toml_string(owner)))
			return config_fail(ld, owner, "key 'identities.owner' must be a GitHub login (letters, digits and '-', at most 39)");
		ident->owner = util_strdup(toml_string(owner));
	}
	if (toml_type_of(key) != TOML_STRING || *toml_string(key) == '\0')
		return config_fail(ld, key, "key 'identities.private_key' must be a non-empty string");
	if ((bad = secret_ref_invalid(toml_string(key))) != NULL)
		return config_fail(ld, key, "identity '%s': private_key: %s", ident->id, bad);
	ident->ref = util_strdup(toml_string(key));
	ident->token_ref = util_strdup(strcmp(secret_kind(ident->ref), "literal") == 0 ?
	    "(literal)" : ident->ref);
	ident->line = toml_line(key);
	ident->app = true;
	return 0;
}

static int
config_identities(struct loader *ld, const toml_value *v)
{
	/* Not an array at all: config_entry says so. */
	if (toml_type_of(v) != TOML_ARRAY)
		return config_entry(ld, v, 0, "identities", identity_keys) ? 0 : -1;
	for (size_t i = 0; i < toml_array_size(v); i++) {
		const toml_value *t, *idv, *tokv;
		struct config_identity *ident;

		if ((t = config_entry(ld, v, i, "identities", identity_keys)) == NULL)
			return -1;
		idv = toml_table_get(t, "id");
		tokv = toml_table_get(t, "token");
		if (idv == NULL)
			return config_fail(ld, t, "[[identities]] entry needs key 'id'");
		if (toml_type_of(idv) != TOML_STRING || !config_id_valid(toml_string(idv)))
			return config_fail(ld, idv, "key 'identities.id' must be 1-64 characters of letters, digits, '-', '_' or '.'");
		ident = config_identity_add(ld->cfg);
		ident->id = util_strdup(toml_string(idv));
		if (config_identity_check_dup(ld, idv, ident->id) < 0)
			return -1;
		if (toml_table_get(t, "app_id") != NULL || toml_table_get(t, "private_key") != NULL ||
		    toml_table_get(t, "installation_id") != NULL || toml_table_get(t, "owner") != NULL) {
			if (tokv != NULL)
				return config_fail(ld, tokv, "identity '%s': give 'token', or 'app_id' and 'private_key' for a GitHub App, not both",
				    ident->id);
			if (config_app(ld, t, ident) < 0)
				return -1;
			continue;
		}
		if (tokv == NULL)
			return config_fail(ld, t, "identity '%s' needs key 'token' (or 'app_id', 'private_key' and 'installation_id' or 'owner' for a GitHub App)",
			    ident->id);
		if (toml_type_of(tokv) != TOML_STRING)
			return config_fail(ld, tokv, "key 'identities.token' must be a string");
		if (*toml_string(tokv) == '\0')
			return config_fail(ld, tokv, "identity '%s': key 'token' is empty", ident->id);
		if (config_token_ref(ld, tokv, ident, toml_string(tokv)) < 0)
			return -1;
	}
	return 0;
}

/* ------------------------------------------------------------------------
 * Tables
 * ---------------------------------------------------------------------- */

struct int_key {
	const char *name;
	size_t offset;
	int64_t min, max;
};

#define CACHE_KEY(f, lo, hi) { #f, offsetof(struct config_cache, f), lo, hi }
static const struct int_key cache_keys[] = {
	CACHE_KEY(max_entries, 0, 100000000),
	CACHE_KEY(max_bytes, 0, INT64_C(1) << 40),
	CACHE_KEY(max_entry_bytes, 0, INT64_C(1) << 32),
	CACHE_KEY(immutable_ttl_secs, 0, 31536000),
	CACHE_KEY(stale_if_error_secs, 0, 31536000),
	CACHE_KEY(pr_view_ttl_secs, 0, 31536000),
	CACHE_KEY(issue_list_ttl_secs, 0, 31536000),
	CACHE_KEY(run_list_ttl_secs, 0, 31536000),
	CACHE_KEY(commit_list_ttl_secs, 0, 31536000),
	CACHE_KEY(repo_view_ttl_secs, 0, 31536000),
	CACHE_KEY(default_ttl_secs, 0, 31536000),
	CACHE_KEY(graphql_ttl_secs, 0, 31536000),
	CACHE_KEY(redis_timeout_ms, 1, 1000),
};

static int
config_backend_parse(const char *name)
{
	return strcmp(name, "memory") == 0 ? 0 : strcmp(name, "redis") == 0 ? 1 : -1;
}

/* Key prefixes separate deployments sharing one Redis; printable and
 * short, as they are in every key and channel name. */
static bool
config_prefix_ok(const char *s)
{
	size_t n = strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789:_.-{}");

	return n > 0 && n <= 64 && s[n] == '\0';
}

/* The [cache] keys that are not numbers; 1 if key is none of them. */
static int
config_cache_redis_key(struct loader *ld, const char *key, const toml_value *v)
{
	struct config_cache *cc = &ld->cfg->cache;
	struct redis_url u;
	const char *bad;
	char why[256];
	int b = 0;

	if (strcmp(key, "backend") == 0) {
		if (config_name(ld, v, "cache.backend", config_backend_parse,
		    "\"memory\" or \"redis\"", &b) < 0)
			return -1;
		cc->redis = b == 1;
	} else if (strcmp(key, "redis_url") == 0) {
		if (config_str(ld, v, "cache.redis_url", &cc->redis_url) < 0)
			return -1;
		if (redis_url_parse(cc->redis_url, &u, why, sizeof(why)) < 0)
			return config_fail(ld, v, "key 'cache.redis_url': %s", why);
		redis_url_free(&u);
	} else if (strcmp(key, "redis_password") == 0) {
		if (config_str(ld, v, "cache.redis_password", &cc->redis_password_ref) < 0)
			return -1;
		if ((bad = secret_ref_invalid(cc->redis_password_ref)) != NULL)
			return config_fail(ld, v, "key 'cache.redis_password': %s", bad);
		cc->redis_password_line = toml_line(v);
	} else if (strcmp(key, "redis_key_prefix") == 0) {
		if (config_str(ld, v, "cache.redis_key_prefix", &cc->redis_key_prefix) < 0)
			return -1;
		if (!config_prefix_ok(cc->redis_key_prefix))
			return config_fail(ld, v, "key 'cache.redis_key_prefix' must be 1-64 letters, "
			    "digits or ':_.-{}'");
	} else {
		return 1;
	}
	return 0;
}

static int
config_cache_rules(struct loader *ld, const toml_value *v)
{
	struct config_cache *cc = &ld->cfg->cache;

	if (toml_type_of(v) != TOML_ARRAY)
		return config_entry(ld, v, 0, "cache.rules", rule_keys) ? 0 : -1;
	for (size_t i = 0; i < toml_array_size(v); i++) {
		const toml_value *t, *pat, *ttl;
		struct config_cache_rule *r;

		if ((t = config_entry(ld, v, i, "cache.rules", rule_keys)) == NULL)
			return -1;
		pat = toml_table_get(t, "pattern");
		ttl = toml_table_get(t, "ttl_secs");
		if (pat == NULL || ttl == NULL)
			return config_fail(ld, t, "[[cache.rules]] entry needs keys 'pattern' and 'ttl_secs'");
		if (toml_type_of(pat) != TOML_STRING || toml_string(pat)[0] != '/')
			return config_fail(ld, pat, "key 'cache.rules.pattern' must be a path glob starting with '/'");
		cc->rules = realloc(cc->rules, (cc->n_rules + 1) * sizeof(*cc->rules));
		if (cc->rules == NULL)
			abort();
		r = &cc->rules[cc->n_rules++];
		r->pattern = util_strdup(toml_string(pat));
		r->ttl_secs = 0;
		if (config_int(ld, ttl, "cache.rules.ttl_secs", 0, 31536000, &r->ttl_secs) < 0)
			return -1;
	}
	return 0;
}

static int
config_cache_table(struct loader *ld, const toml_value *t)
{
	if (toml_type_of(t) != TOML_TABLE)
		return config_fail(ld, t, "key 'cache' must be a table");
	for (size_t i = 0; i < toml_table_size(t); i++) {
		const char *key = toml_table_key(t, i);
		const toml_value *v = toml_table_value(t, i);
		const struct int_key *k = NULL;
		char full[96];
		int rc;

		if (strcmp(key, "rules") == 0) {
			if (config_cache_rules(ld, v) < 0)
				return -1;
			continue;
		}
		if ((rc = config_cache_redis_key(ld, key, v)) <= 0) {
			if (rc < 0)
				return -1;
			continue;
		}

		for (size_t j = 0; j < sizeof(cache_keys) / sizeof(cache_keys[0]); j++)
			if (strcmp(cache_keys[j].name, key) == 0)
				k = &cache_keys[j];
		if (k == NULL)
			return config_fail(ld, v, "unknown key 'cache.%s'", key);
		snprintf(full, sizeof(full), "cache.%s", key);
		if (config_int(ld, v, full, k->min, k->max,
		    (int64_t *)((char *)&ld->cfg->cache + k->offset)) < 0)
			return -1;
	}
	return 0;
}

static int
config_pool_table(struct loader *ld, const toml_value *t)
{
	if (toml_type_of(t) != TOML_TABLE)
		return config_fail(ld, t, "key 'pool' must be a table");
	for (size_t i = 0; i < toml_table_size(t); i++) {
		const char *key = toml_table_key(t, i);
		const toml_value *v = toml_table_value(t, i);

		if (strcmp(key, "reserve") != 0)
			return config_fail(ld, v, "unknown key 'pool.%s'", key);
		if (config_int(ld, v, "pool.reserve", 0, 1000000, &ld->cfg->pool_reserve) < 0)
			return -1;
	}
	return 0;
}

/* ------------------------------------------------------------------------
 * Access policy and clients
 * ---------------------------------------------------------------------- */

#define CONFIG_GLOB_MAX 512

/* What is wrong with an allow_paths glob, or NULL. The syntax is '*' (any
 * run within one segment) and '**' (any run across segments); anything
 * else matches itself, so '?' and '#' (never part of a path) are refused
 * rather than left to mean something else. */
static const char *
config_glob_invalid(const char *g)
{
	int stars = 0;

	if (*g != '/')
		return "must start with '/'";
	if (strlen(g) > CONFIG_GLOB_MAX)
		return "is longer than 512 bytes";
	for (const char *p = g; *p; p++) {
		unsigned char c = (unsigned char)*p;

		if (c <= ' ' || c >= 0x7f || c == '?' || c == '#')
			return "may hold only printable ASCII without spaces, '?' or '#'";
		stars = c == '*' ? stars + 1 : 0;
		if (stars == 3)
			return "has a '***' run ('*' matches within a segment, '**' across segments)";
	}
	return NULL;
}

/* s, cut short and with unprintable bytes as '?', for a message. */
static const char *
config_quote(const char *s, char *buf, size_t len)
{
	size_t i = 0;

	for (; s[i] != '\0' && i + 4 < len; i++)
		buf[i] = (unsigned char)s[i] < ' ' || (unsigned char)s[i] >= 0x7f ? '?' : s[i];
	if (s[i] != '\0') {
		memcpy(buf + i, "...", 3);
		i += 3;
	}
	buf[i] = '\0';
	return buf;
}

static void
config_paths_clear(struct config_policy *p)
{
	for (size_t i = 0; i < p->n_allow_paths; i++)
		free(p->allow_paths[i]);
	free(p->allow_paths);
	p->allow_paths = NULL;
	p->n_allow_paths = 0;
}

static int
config_allow_paths(struct loader *ld, const toml_value *v)
{
	struct config_policy *p = &ld->cfg->policy;

	config_paths_clear(p);
	if (toml_type_of(v) != TOML_ARRAY)
		return config_fail(ld, v, "key 'policy.allow_paths' must be an array of strings");
	p->allow_paths = util_calloc(toml_array_size(v) + 1, sizeof(char *));
	for (size_t i = 0; i < toml_array_size(v); i++) {
		const toml_value *e = toml_array_at(v, i);
		const char *bad;
		char q[72];

		if (toml_type_of(e) != TOML_STRING)
			return config_fail(ld, e, "key 'policy.allow_paths' must be an array of strings");
		if ((bad = config_glob_invalid(toml_string(e))) != NULL)
			return config_fail(ld, e, "key 'policy.allow_paths': \"%s\" %s",
			    config_quote(toml_string(e), q, sizeof(q)), bad);
		p->allow_paths[p->n_allow_paths++] = util_strdup(toml_string(e));
	}
	return 0;
}

static const char *const node_lookup_names[] = {
	[CONFIG_NODE_SEEN] = "seen", [CONFIG_NODE_DENY] = "deny", [CONFIG_NODE_ALLOW] = "allow",
};

static int
config_policy_table(struct loader *ld, const toml_value *t)
{
	struct config_policy *p = &ld->cfg->policy;

	if (toml_type_of(t) != TOML_TABLE)
		return config_fail(ld, t, "key 'policy' must be a table");
	for (size_t i = 0; i < toml_table_size(t); i++) {
		const char *key = toml_table_key(t, i);
		const toml_value *v = toml_table_value(t, i);
		int rc;

		if (strcmp(key, "allow_paths") == 0) {
			rc = config_allow_paths(ld, v);
		} else if (strcmp(key, "graphql_node_lookup") == 0) {
			size_t m = 0;

			while (m < sizeof(node_lookup_names) / sizeof(node_lookup_names[0]) &&
			    (toml_type_of(v) != TOML_STRING ||
			    strcmp(toml_string(v), node_lookup_names[m]) != 0))
				m++;
			if (m == sizeof(node_lookup_names) / sizeof(node_lookup_names[0]))
				return config_fail(ld, v, "key 'policy.graphql_node_lookup' must be \"seen\", \"deny\" or \"allow\"");
			p->node_lookup = (enum config_node_lookup)m;
			rc = 0;
		} else if (strcmp(key, "passthrough_denied_reads") == 0) {
			rc = config_bool(ld, v, "policy.passthrough_denied_reads", &p->passthrough_denied_reads);
		} else {
			rc = config_fail(ld, v, "unknown key 'policy.%s'", key);
		}
		if (rc < 0)
			return -1;
	}
	return 0;
}

static const char *const client_keys[] = { "id", "key", "keys", "allowed_owners", NULL };

#define CONFIG_CLIENT_KEY_MIN 16

static struct config_client *
config_client_add(struct config *cfg)
{
	struct config_client *cs;

	cs = realloc(cfg->clients, (cfg->n_clients + 1) * sizeof(*cs));
	if (cs == NULL)
		abort();
	cfg->clients = cs;
	memset(&cs[cfg->n_clients], 0, sizeof(*cs));
	return &cs[cfg->n_clients++];
}

/*
 * Records key reference j of a client. Until config_resolve_secrets
 * replaces it with the value, keys[j] holds the reference itself (for a
 * literal, the secret), so it is wiped like one.
 */
static int
config_client_ref(struct loader *ld, const toml_value *at, struct config_client *c,
    int j, const char *key)
{
	const char *ref = toml_string(at), *bad;

	if (*ref == '\0')
		return config_fail(ld, at, "client '%s': key '%s' is empty", c->id, key);
	if ((bad = secret_ref_invalid(ref)) != NULL)
		return config_fail(ld, at, "client '%s': %s", c->id, bad);
	c->keys[j] = util_strdup(ref);
	c->key_refs[j] = util_strdup(strcmp(secret_kind(ref), "literal") == 0 ? "(literal)" : ref);
	return 0;
}

static int
config_clients(struct loader *ld, const toml_value *v)
{
	if (toml_type_of(v) != TOML_ARRAY)
		return config_entry(ld, v, 0, "clients", client_keys) ? 0 : -1;
	for (size_t i = 0; i < toml_array_size(v); i++) {
		const toml_value *t, *idv, *keyv, *keysv, *ownv;
		struct config_client *c;

		if ((t = config_entry(ld, v, i, "clients", client_keys)) == NULL)
			return -1;
		idv = toml_table_get(t, "id");
		keyv = toml_table_get(t, "key");
		keysv = toml_table_get(t, "keys");
		if (idv == NULL)
			return config_fail(ld, t, "[[clients]] entry needs key 'id'");
		if (toml_type_of(idv) != TOML_STRING || !config_id_valid(toml_string(idv)))
			return config_fail(ld, idv, "key 'clients.id' must be 1-64 characters of letters, digits, '-', '_' or '.'");
		for (size_t k = 0; k < ld->cfg->n_clients; k++)
			if (strcasecmp(ld->cfg->clients[k].id, toml_string(idv)) == 0)
				return config_fail(ld, idv, "duplicate client id '%s'", toml_string(idv));
		c = config_client_add(ld->cfg);
		c->id = util_strdup(toml_string(idv));
		if (keyv != NULL && keysv != NULL)
			return config_fail(ld, keysv, "client '%s': give 'key', or 'keys' while rotating, not both",
			    c->id);
		if (keyv == NULL && keysv == NULL)
			return config_fail(ld, t, "client '%s' needs key 'key' (or 'keys' while rotating)", c->id);
		if (keyv != NULL) {
			if (toml_type_of(keyv) != TOML_STRING)
				return config_fail(ld, keyv, "key 'clients.key' must be a string");
			if (config_client_ref(ld, keyv, c, 0, "key") < 0)
				return -1;
			c->line = toml_line(keyv);
		} else {
			size_t n = toml_array_size(keysv);

			if (toml_type_of(keysv) != TOML_ARRAY || n < 1 || n > 2)
				return config_fail(ld, keysv, "key 'clients.keys' must be an array of 1 or 2 strings");
			for (size_t j = 0; j < n; j++) {
				const toml_value *e = toml_array_at(keysv, j);

				if (toml_type_of(e) != TOML_STRING)
					return config_fail(ld, e, "key 'clients.keys' must be an array of 1 or 2 strings");
				if (config_client_ref(ld, e, c, (int)j, "keys") < 0)
					return -1;
			}
			c->line = toml_line(keysv);
		}
		if ((ownv = toml_table_get(t, "allowed_owners")) != NULL) {
			c->owners_set = true;
			if (config_owners(ld, ownv, "clients.allowed_owners", OWNERS_OF(c)) < 0)
				return -1;
		}
	}
	return 0;
}

static int
config_root(struct loader *ld, const toml_value *root)
{
	struct config *cfg = ld->cfg;
	int64_t n;
	int m = 0;

	for (size_t i = 0; i < toml_table_size(root); i++) {
		const char *key = toml_table_key(root, i);
		const toml_value *v = toml_table_value(root, i);
		int rc;

		if (strcmp(key, "port") == 0) {
			rc = config_int(ld, v, key, 0, 65535, &n);
			cfg->port = (int)n;
		} else if (strcmp(key, "listen") == 0) {
			rc = config_str(ld, v, key, &cfg->listen);
		} else if (strcmp(key, "upstream_url") == 0) {
			rc = config_url(ld, v, key, &cfg->upstream_url);
		} else if (strcmp(key, "public_url") == 0) {
			rc = config_url(ld, v, key, &cfg->public_url);
		} else if (strcmp(key, "workers") == 0) {
			rc = config_int(ld, v, key, 1, 256, &n);
			cfg->workers = (int)n;
		} else if (strcmp(key, "upstream_timeout_secs") == 0) {
			rc = config_int(ld, v, key, 1, 3600, &n);
			cfg->upstream_timeout_secs = (int)n;
		} else if (strcmp(key, "allowed_owners") == 0) {
			rc = config_owners(ld, v, key, OWNERS_OF(cfg));
		} else if (strcmp(key, "audit_log") == 0) {
			if ((rc = config_str(ld, v, key, &cfg->audit_log)) == 0 &&
			    *cfg->audit_log == '\0')
				rc = config_fail(ld, v, "key 'audit_log' must name a file");
		} else if (strcmp(key, "audit_fsync") == 0) {
			rc = config_bool(ld, v, key, &cfg->audit_fsync);
		} else if (strcmp(key, "k8s_secrets_dir") == 0) {
			if ((rc = config_str(ld, v, key, &cfg->k8s_secrets_dir)) == 0 &&
			    *cfg->k8s_secrets_dir != '/')
				rc = config_fail(ld, v, "key 'k8s_secrets_dir' must be an absolute path");
		} else if (strcmp(key, "secrets_refresh_secs") == 0) {
			rc = config_int(ld, v, key, 0, 604800, &cfg->secrets_refresh_secs);
		} else if (strcmp(key, "log_format") == 0) {
			if ((rc = config_name(ld, v, key, log_format_parse, CONFIG_LOG_FORMATS, &m)) == 0)
				cfg->log_format = (enum log_format)m;
		} else if (strcmp(key, "log_level") == 0) {
			if ((rc = config_name(ld, v, key, log_level_parse, CONFIG_LOG_LEVELS, &m)) == 0)
				cfg->log_level = (enum log_level)m;
		} else if (strcmp(key, "shutdown_grace_secs") == 0) {
			rc = config_int(ld, v, key, 0, CONFIG_GRACE_MAX, &cfg->shutdown_grace_secs);
		} else if (strcmp(key, "identities") == 0) {
			rc = config_identities(ld, v);
		} else if (strcmp(key, "cache") == 0) {
			rc = config_cache_table(ld, v);
		} else if (strcmp(key, "pool") == 0) {
			rc = config_pool_table(ld, v);
		} else if (strcmp(key, "policy") == 0) {
			rc = config_policy_table(ld, v);
		} else if (strcmp(key, "clients") == 0) {
			rc = config_clients(ld, v);
		} else {
			rc = config_fail(ld, v, "unknown key '%s'", key);
		}
		if (rc < 0)
			return -1;
	}
	return 0;
}

/* ------------------------------------------------------------------------
 * Environment
 * ---------------------------------------------------------------------- */

static int
config_env_pats(struct loader *ld)
{
	static const char prefix[] = "GHPOOL_PAT_";

	for (char *const *e = ld->envp; e != NULL && *e != NULL; e++) {
		const char *eq = strchr(*e, '=');
		struct config_identity *ident;
		char *id;

		if (strncmp(*e, prefix, sizeof(prefix) - 1) != 0 || eq == NULL)
			continue;
		id = util_strndup(*e + sizeof(prefix) - 1, (size_t)(eq - *e) - (sizeof(prefix) - 1));
		for (char *p = id; *p; p++)
			*p = (char)tolower((unsigned char)*p);
		if (!config_id_valid(id)) {
			snprintf(ld->err, ld->errlen, "environment: %.*s: identity id must be letters, digits, '-', '_' or '.'",
			    (int)(eq - *e), *e);
			free(id);
			return -1;
		}
		ident = config_identity_add(ld->cfg);
		ident->id = id;
		if (eq[1] == '\0') {
			snprintf(ld->err, ld->errlen, "environment: %.*s is empty", (int)(eq - *e), *e);
			return -1;
		}
		if (!secret_clean(eq + 1)) {
			snprintf(ld->err, ld->errlen, "environment: %.*s contains whitespace or control characters (a trailing newline?)",
			    (int)(eq - *e), *e);
			return -1;
		}
		for (size_t i = 0; i + 1 < ld->cfg->n_identities; i++)
			if (strcmp(ld->cfg->identities[i].id, id) == 0) {
				snprintf(ld->err, ld->errlen, "environment: duplicate identity id '%s'", id);
				return -1;
			}
		/* The value may itself be a reference (k8s:, aws:, ...). */
		if (strcmp(secret_kind(eq + 1), "literal") == 0) {
			ident->token_ref = util_strndup(*e, (size_t)(eq - *e));
			ident->ref = util_strdup(eq + 1);
		} else if (config_token_ref(ld, NULL, ident, eq + 1) < 0) {
			snprintf(ld->err, ld->errlen, "environment: %.*s: %s", (int)(eq - *e), *e,
			    secret_ref_invalid(eq + 1));
			return -1;
		}
	}
	return 0;
}

/* A GitHub App identity's first installation token. */
static int
config_mint(struct loader *ld, struct config_identity *id, char *why, size_t whylen)
{
	/* On reload the upstream ghpool runs with, not a changed one that
	 * only applies on restart. */
	const struct config *up = ld->running ? ld->running : ld->cfg;
	struct app_params p = {
		.upstream_url = up->upstream_url, .app_id = id->app_id,
		.private_key = id->private_key, .installation_id = id->installation_id,
		.owner = id->owner, .timeout_secs = up->upstream_timeout_secs,
	};
	struct app_token t;

	if (app_mint(&p, &t, why, whylen) < 0)
		return -1;
	id->token = t.token;             /* moved, not copied */
	id->token_expires_at = t.expires_at;
	id->installation_id = t.installation_id;
	return 0;
}

/*
 * Resolves the [[clients]] keys (keys[j] holds the reference until now) and
 * checks them: long enough to resist guessing, and each one naming a single
 * client. Errors name the client, its line and the reference, never a value.
 */
static int
config_resolve_client_keys(struct loader *ld, const struct secret_opts *o)
{
	struct config *cfg = ld->cfg;
	char why[400];

	for (size_t i = 0; i < cfg->n_clients; i++) {
		struct config_client *c = &cfg->clients[i];

		for (int j = 0; j < 2 && c->keys[j] != NULL; j++) {
			char *ref = c->keys[j];
			bool literal = strcmp(secret_kind(ref), "literal") == 0;

			c->keys[j] = secret_resolve(ref, o, why, sizeof(why));
			secret_free(ref);   /* a literal's reference is the key */
			if (c->keys[j] == NULL) {
				if (literal)
					snprintf(ld->err, ld->errlen, "%s: line %d: client '%s': %s",
					    ld->name, c->line, c->id, why);
				else
					snprintf(ld->err, ld->errlen, "%s: line %d: client '%s': %s: %s",
					    ld->name, c->line, c->id, c->key_refs[j], why);
				return -1;
			}
			if (strlen(c->keys[j]) < CONFIG_CLIENT_KEY_MIN) {
				snprintf(ld->err, ld->errlen, "%s: line %d: key of client '%s' is shorter than %d characters (%s)",
				    ld->name, c->line, c->id, CONFIG_CLIENT_KEY_MIN, c->key_refs[j]);
				return -1;
			}
		}
	}
	/* A key names one client: shared, it could not tell them apart. */
	for (size_t i = 0; i < cfg->n_clients; i++)
		for (int j = 0; j < 2 && cfg->clients[i].keys[j] != NULL; j++)
			for (size_t k = i; k < cfg->n_clients; k++)
				for (int l = k == i ? j + 1 : 0; l < 2 && cfg->clients[k].keys[l] != NULL; l++) {
					const struct config_client *a = &cfg->clients[i], *b = &cfg->clients[k];

					if (strcmp(a->keys[j], b->keys[l]) != 0)
						continue;
					if (a == b)
						snprintf(ld->err, ld->errlen, "%s: line %d: client '%s' lists the same key twice (%s and %s)",
						    ld->name, b->line, b->id, a->key_refs[j], b->key_refs[l]);
					else
						snprintf(ld->err, ld->errlen, "%s: line %d: clients '%s' and '%s' share a key (%s and %s)",
						    ld->name, b->line, a->id, b->id, a->key_refs[j], b->key_refs[l]);
					return -1;
				}
	return 0;
}

/*
 * The Redis settings hang together: backend = "redis" needs a URL, and a
 * URL or password without it would be silently unused. The password is
 * resolved like a token; errors name the reference, never the value.
 *
 * On a reload a reference is not resolved: the Redis keys take effect only
 * on restart, so the password in use is the running configuration's, which
 * is copied instead (NULL without one). A reference that cannot be
 * resolved now (a variable gone, a secret manager briefly down) must not
 * fail the reload and hold back the identities' new tokens. main.c's
 * warn_restart_only tells a changed reference from the running one. A
 * literal costs nothing to take as it is written.
 */
static int
config_resolve_redis(struct loader *ld, const struct secret_opts *o)
{
	struct config_cache *cc = &ld->cfg->cache;
	char why[400];

	if (cc->redis && cc->redis_url == NULL) {
		snprintf(ld->err, ld->errlen, "%s: [cache] backend = \"redis\" needs 'cache.redis_url'",
		    ld->name);
		return -1;
	}
	if (!cc->redis && (cc->redis_url != NULL || cc->redis_password_ref != NULL)) {
		snprintf(ld->err, ld->errlen, "%s: 'cache.%s' is set but [cache] backend is not \"redis\"",
		    ld->name, cc->redis_url != NULL ? "redis_url" : "redis_password");
		return -1;
	}
	if (cc->redis_password_ref == NULL)
		return 0;
	if (ld->running != NULL && strcmp(secret_kind(cc->redis_password_ref), "literal") != 0) {
		const char *in_use = ld->running->cache.redis_password;

		cc->redis_password = in_use != NULL ? util_strdup(in_use) : NULL;
		return 0;
	}
	cc->redis_password = secret_resolve(cc->redis_password_ref, o, why, sizeof(why));
	if (cc->redis_password == NULL) {
		char where[300];

		if (cc->redis_password_line > 0)
			snprintf(where, sizeof(where), "%s: line %d: cache.redis_password", ld->name,
			    cc->redis_password_line);
		else
			snprintf(where, sizeof(where), "environment: GHPOOL_REDIS_PASSWORD");
		if (strcmp(secret_kind(cc->redis_password_ref), "literal") == 0)
			snprintf(ld->err, ld->errlen, "%s: %s", where, why);
		else
			snprintf(ld->err, ld->errlen, "%s: %s: %s", where, cc->redis_password_ref, why);
		return -1;
	}
	/* A literal's reference is the secret itself: keep one copy. */
	if (strcmp(secret_kind(cc->redis_password_ref), "literal") == 0) {
		explicit_bzero(cc->redis_password_ref, strlen(cc->redis_password_ref));
		free(cc->redis_password_ref);
		cc->redis_password_ref = util_strdup("(literal)");
	}
	return 0;
}

int
config_redis_url(const struct config *cfg, struct redis_url *out, char *err, size_t errlen)
{
	if (cfg->cache.redis_url == NULL ||
	    redis_url_parse(cfg->cache.redis_url, out, err, errlen) < 0)
		return -1;
	if (cfg->cache.redis_password != NULL) {
		if (out->password != NULL) {
			explicit_bzero(out->password, strlen(out->password));
			free(out->password);
		}
		out->password = util_strdup(cfg->cache.redis_password);
	}
	return 0;
}

/*
 * Resolves every identity's reference, after the whole configuration is
 * known. An error names the identity, where it was configured and the
 * reference, never the value.
 */
static int
config_resolve_secrets(struct loader *ld)
{
	struct config *cfg = ld->cfg;
	struct secret_opts o = { ld->envp, cfg->k8s_secrets_dir, cfg->upstream_timeout_secs };
	char why[400], where[600];

	for (size_t i = 0; i < cfg->n_identities; i++) {
		struct config_identity *id = &cfg->identities[i];
		const char *kind = secret_kind(id->ref);
		bool minted = true;

		if (id->app)
			id->private_key = secret_resolve_text(id->ref, &o, why, sizeof(why));
		else
			id->token = secret_resolve(id->ref, &o, why, sizeof(why));
		/* The reference of a literal is the secret: keep no copy. */
		explicit_bzero(id->ref, strlen(id->ref));
		free(id->ref);
		id->ref = NULL;
		if (id->line > 0)
			snprintf(where, sizeof(where), "%s: line %d: identity '%s'%s", ld->name,
			    id->line, id->id, id->app ? ": private_key" : "");
		else
			snprintf(where, sizeof(where), "environment: identity '%s'", id->id);
		if (id->app && id->private_key != NULL)
			minted = config_mint(ld, id, why, sizeof(why)) == 0;
		if (id->token == NULL || !minted) {
			/* The reference, never a literal: that is the secret. */
			if (!minted)
				snprintf(ld->err, ld->errlen, "%s: line %d: identity '%s': GitHub App %lld: %s",
				    ld->name, id->line, id->id, (long long)id->app_id, why);
			else if (strcmp(kind, "literal") == 0)
				snprintf(ld->err, ld->errlen, "%s: %s", where, why);
			else
				snprintf(ld->err, ld->errlen, "%s: %s: %s", where, id->token_ref, why);
			return -1;
		}
		id->resolved_at = util_now();
	}
	if (config_resolve_client_keys(ld, &o) < 0)
		return -1;
	return config_resolve_redis(ld, &o);
}

static int
config_env_overrides(struct loader *ld)
{
	struct config *cfg = ld->cfg;
	const char *v;
	int64_t n;
	int m;

	if ((v = util_getenv(ld->envp, "GHPOOL_PORT")) != NULL) {
		if (util_parse_i64(v, strlen(v), 0, 65535, &n) < 0) {
			snprintf(ld->err, ld->errlen, "environment: GHPOOL_PORT must be a port number (0-65535)");
			return -1;
		}
		cfg->port = (int)n;
	}
	if ((v = util_getenv(ld->envp, "GHPOOL_LISTEN")) != NULL && *v) {
		free(cfg->listen);
		cfg->listen = util_strdup(v);
	}
	if ((v = util_getenv(ld->envp, "GHPOOL_UPSTREAM_URL")) != NULL && *v) {
		free(cfg->upstream_url);
		cfg->upstream_url = util_strdup(v);
		if (!config_url_normalise(cfg->upstream_url)) {
			snprintf(ld->err, ld->errlen, "environment: GHPOOL_UPSTREAM_URL must start with http:// or https://");
			return -1;
		}
	}
	/* Names like GHPOOL_LISTEN's: empty is unset. Numbers like GHPOOL_PORT's. */
	if ((v = util_getenv(ld->envp, "GHPOOL_LOG_FORMAT")) != NULL && *v) {
		if ((m = log_format_parse(v)) < 0) {
			snprintf(ld->err, ld->errlen, "environment: GHPOOL_LOG_FORMAT must be %s",
			    CONFIG_LOG_FORMATS);
			return -1;
		}
		cfg->log_format = (enum log_format)m;
	}
	if ((v = util_getenv(ld->envp, "GHPOOL_LOG_LEVEL")) != NULL && *v) {
		if ((m = log_level_parse(v)) < 0) {
			snprintf(ld->err, ld->errlen, "environment: GHPOOL_LOG_LEVEL must be %s",
			    CONFIG_LOG_LEVELS);
			return -1;
		}
		cfg->log_level = (enum log_level)m;
	}
	if ((v = util_getenv(ld->envp, "GHPOOL_SHUTDOWN_GRACE_SECS")) != NULL) {
		if (util_parse_i64(v, strlen(v), 0, CONFIG_GRACE_MAX, &n) < 0) {
			snprintf(ld->err, ld->errlen, "environment: GHPOOL_SHUTDOWN_GRACE_SECS must be a number of seconds (0-%d)",
			    CONFIG_GRACE_MAX);
			return -1;
		}
		cfg->shutdown_grace_secs = n;
	}
	if ((v = util_getenv(ld->envp, "GHPOOL_CACHE_BACKEND")) != NULL && *v) {
		if ((m = config_backend_parse(v)) < 0) {
			snprintf(ld->err, ld->errlen, "environment: GHPOOL_CACHE_BACKEND must be \"memory\" or \"redis\"");
			return -1;
		}
		cfg->cache.redis = m == 1;
	}
	if ((v = util_getenv(ld->envp, "GHPOOL_REDIS_URL")) != NULL && *v) {
		struct redis_url u;
		char why[256];

		if (redis_url_parse(v, &u, why, sizeof(why)) < 0) {
			snprintf(ld->err, ld->errlen, "environment: GHPOOL_REDIS_URL: %s", why);
			return -1;
		}
		redis_url_free(&u);
		free(cfg->cache.redis_url);
		cfg->cache.redis_url = util_strdup(v);
	}
	if ((v = util_getenv(ld->envp, "GHPOOL_REDIS_PASSWORD")) != NULL && *v) {
		if (secret_ref_invalid(v) != NULL) {
			snprintf(ld->err, ld->errlen, "environment: GHPOOL_REDIS_PASSWORD: %s",
			    secret_ref_invalid(v));
			return -1;
		}
		free(cfg->cache.redis_password_ref);
		cfg->cache.redis_password_ref = util_strdup(v);
		cfg->cache.redis_password_line = 0;
	}
	if ((v = util_getenv(ld->envp, "GHPOOL_ALLOWED_OWNERS")) != NULL) {
		config_owners_clear(OWNERS_OF(cfg));
		for (const char *p = v; ; ) {
			const char *comma = strchr(p, ',');
			size_t len = comma ? (size_t)(comma - p) : strlen(p);
			config_owner_add(OWNERS_OF(cfg), p, len);
			if (comma == NULL)
				break;
			p = comma + 1;
		}
	}
	return 0;
}

/* ------------------------------------------------------------------------
 * Public API
 * ---------------------------------------------------------------------- */

static void
config_defaults(struct config *cfg, const char *source)
{
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);

	memset(cfg, 0, sizeof(*cfg));
	cfg->source = util_strdup(source);
	cfg->listen = util_strdup("0.0.0.0");
	cfg->port = 8080;
	cfg->upstream_url = util_strdup("https://api.github.com");
	cfg->workers = cpus < 1 ? 1 : cpus > 256 ? 256 : (int)cpus;
	cfg->upstream_timeout_secs = 30;
	cfg->pool_reserve = 50;
	cfg->cache.max_entries = 10000;
	cfg->cache.max_bytes = 256 * 1024 * 1024;
	cfg->cache.max_entry_bytes = 8 * 1024 * 1024;
	cfg->cache.immutable_ttl_secs = 86400;
	cfg->cache.stale_if_error_secs = 300;
	cfg->cache.pr_view_ttl_secs = 60;
	cfg->cache.issue_list_ttl_secs = 60;
	cfg->cache.run_list_ttl_secs = 30;
	cfg->cache.commit_list_ttl_secs = 120;
	cfg->cache.repo_view_ttl_secs = 300;
	cfg->cache.default_ttl_secs = 60;
	cfg->cache.graphql_ttl_secs = 60;
	cfg->cache.redis_timeout_ms = 50;
	cfg->cache.redis_key_prefix = util_strdup("ghpool:");
	cfg->k8s_secrets_dir = util_strdup(SECRET_K8S_DIR);
	cfg->policy.node_lookup = CONFIG_NODE_SEEN;
	cfg->policy.passthrough_denied_reads = false;
	cfg->log_format = LOG_FORMAT_TEXT;
	cfg->log_level = LOG_LEVEL_INFO;
	cfg->shutdown_grace_secs = 20;
}

static int
config_load_with(struct config *cfg, const char *text, size_t len, const char *name,
    char *const *envp, const struct config *running, char *err, size_t errlen)
{
	struct loader ld = { cfg, name, envp, err, errlen, running };
	char perr[400];
	toml_value *root = NULL;
	int rc = -1;

	config_defaults(cfg, name);
	if (text != NULL) {
		root = toml_parse(text, len, perr, sizeof(perr));
		if (root == NULL) {
			snprintf(err, errlen, "%s: %s", name, perr);
			goto out;
		}
		if (config_root(&ld, root) < 0)
			goto out;
	} else if (config_env_pats(&ld) < 0) {
		goto out;
	}
	if (config_env_overrides(&ld) < 0 || config_resolve_secrets(&ld) < 0)
		goto out;
	rc = 0;
out:
	toml_free(root);
	if (rc < 0)
		config_free(cfg);
	return rc;
}

int
config_load_text(struct config *cfg, const char *text, size_t len,
    const char *name, char *const *envp, char *err, size_t errlen)
{
	return config_load_with(cfg, text, len, name, envp, NULL, err, errlen);
}

static int
config_read_file(const char *path, char **text, size_t *len, char *err, size_t errlen)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	size_t n = 0;
	int rc = -1;

	if (f == NULL) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	buf = malloc(CONFIG_MAX_FILE + 1);
	if (buf == NULL)
		abort();
	n = fread(buf, 1, CONFIG_MAX_FILE + 1, f);
	if (ferror(f)) {
		snprintf(err, errlen, "%s: read error", path);
		goto out;
	}
	if (n > CONFIG_MAX_FILE) {
		snprintf(err, errlen, "%s: larger than 1 MiB", path);
		goto out;
	}
	*text = buf;
	*len = n;
	buf = NULL;
	rc = 0;
out:
	free(buf);
	fclose(f);
	return rc;
}

static int
config_load_path(struct config *cfg, const char *path, char *const *envp,
    const struct config *running, char *err, size_t errlen)
{
	char *text = NULL;
	size_t len = 0;
	int rc;

	if (path == NULL)
		path = util_getenv(envp, "GHPOOL_CONFIG");
	if (path == NULL || *path == '\0') {
		/* The default file is optional: without it we run from env. */
		if (access("config.toml", F_OK) != 0)
			return config_load_with(cfg, NULL, 0, "environment", envp, running, err, errlen);
		path = "config.toml";
	}
	if (config_read_file(path, &text, &len, err, errlen) < 0)
		return -1;
	rc = config_load_with(cfg, text, len, path, envp, running, err, errlen);
	explicit_bzero(text, len);   /* literal tokens and keys */
	free(text);
	return rc;
}

int
config_load(struct config *cfg, const char *path, char *const *envp, char *err, size_t errlen)
{
	return config_load_path(cfg, path, envp, NULL, err, errlen);
}

int
config_reload(struct config *cfg, const char *path, char *const *envp,
    const struct config *running, char *err, size_t errlen)
{
	return config_load_path(cfg, path, envp, running, err, errlen);
}

static void
config_print_quoted(FILE *out, const char *val)
{
	fputc('"', out);
	for (const char *p = val; *p; p++) {
		if (*p == '"' || *p == '\\')
			fprintf(out, "\\%c", *p);
		else if ((unsigned char)*p < 0x20 || *p == 0x7f)
			fprintf(out, "\\u%04x", (unsigned char)*p);
		else
			fputc(*p, out);
	}
	fputc('"', out);
}

static void
config_print_str(FILE *out, const char *key, const char *val)
{
	fprintf(out, "%s = ", key);
	config_print_quoted(out, val);
	fputc('\n', out);
}

/* The URL with any password in it masked: what follows the userinfo's
 * first ':' up to its end. */
static void
config_print_redis_url(FILE *out, const char *url)
{
	const char *auth = strstr(url, "://"), *at = NULL, *colon;
	size_t n;
	char *masked;

	/* The userinfo ends at the authority's last '@': a password may hold
	 * '@' itself (redis_url_parse reads it so). */
	auth = auth ? auth + 3 : url;
	n = strcspn(auth, "/");
	for (size_t i = 0; i < n; i++)
		if (auth[i] == '@')
			at = auth + i;
	colon = at ? memchr(auth, ':', (size_t)(at - auth)) : NULL;
	if (colon == NULL) {
		config_print_str(out, "redis_url", url);
		return;
	}
	masked = util_printf("%.*s:***%s", (int)(colon - url), url, at);
	config_print_str(out, "redis_url", masked);
	free(masked);
}

/* key = ["*", "a", ...]; all: lead with "*". */
static void
config_print_list(FILE *out, const char *key, bool all, char *const *list, size_t n)
{
	fprintf(out, "%s = [", key);
	if (all)
		fputs("\"*\"", out);
	for (size_t i = 0; i < n; i++) {
		if (i > 0 || all)
			fputs(", ", out);
		config_print_quoted(out, list[i]);
	}
	fputs("]\n", out);
}

/* A client's key(s) as identities' tokens are shown: masked, with the
 * reference and, while resolved, a fingerprint. */
static void
config_print_client_keys(FILE *out, const struct config_client *c)
{
	int n = c->key_refs[1] != NULL ? 2 : 1;

	fputs(n == 2 ? "keys = [\"****\", \"****\"]  # from " : "key = \"****\"  # from ", out);
	for (int j = 0; j < n; j++) {
		char fp[9];

		fprintf(out, "%s%s", j ? "; " : "", c->key_refs[j]);
		if (c->keys[j] != NULL) {
			util_token_fingerprint(c->keys[j], fp);
			fprintf(out, ", sha256 %s", fp);
		}
	}
	fputc('\n', out);
}

void
config_print(const struct config *cfg, FILE *out)
{
	fprintf(out, "# effective configuration (source: %s); tokens and keys masked\n", cfg->source);
	config_print_str(out, "listen", cfg->listen);
	fprintf(out, "port = %d\n", cfg->port);
	config_print_str(out, "upstream_url", cfg->upstream_url);
	if (cfg->public_url)
		config_print_str(out, "public_url", cfg->public_url);
	fprintf(out, "workers = %d\nupstream_timeout_secs = %d\n", cfg->workers,
	    cfg->upstream_timeout_secs);
	config_print_list(out, "allowed_owners", cfg->owners_all, cfg->allowed_owners,
	    cfg->n_allowed_owners);
	if (cfg->audit_log)
		config_print_str(out, "audit_log", cfg->audit_log);
	fprintf(out, "audit_fsync = %s\n", cfg->audit_fsync ? "true" : "false");
	config_print_str(out, "k8s_secrets_dir", cfg->k8s_secrets_dir);
	fprintf(out, "secrets_refresh_secs = %lld\n", (long long)cfg->secrets_refresh_secs);
	config_print_str(out, "log_format", log_format_name(cfg->log_format));
	config_print_str(out, "log_level", log_level_name(cfg->log_level));
	fprintf(out, "shutdown_grace_secs = %lld\n\n[pool]\n", (long long)cfg->shutdown_grace_secs);
	fprintf(out, "reserve = %lld\n\n[cache]\n", (long long)cfg->pool_reserve);
	for (size_t j = 0; j < sizeof(cache_keys) / sizeof(cache_keys[0]); j++)
		fprintf(out, "%s = %lld\n", cache_keys[j].name,
		    (long long)*(const int64_t *)((const char *)&cfg->cache + cache_keys[j].offset));
	config_print_str(out, "backend", cfg->cache.redis ? "redis" : "memory");
	if (cfg->cache.redis_url != NULL)
		config_print_redis_url(out, cfg->cache.redis_url);
	if (cfg->cache.redis_password_ref != NULL)
		config_print_str(out, "redis_password", cfg->cache.redis_password_ref);
	config_print_str(out, "redis_key_prefix", cfg->cache.redis_key_prefix);
	for (size_t j = 0; j < cfg->cache.n_rules; j++) {
		fputs("\n[[cache.rules]]\n", out);
		config_print_str(out, "pattern", cfg->cache.rules[j].pattern);
		fprintf(out, "ttl_secs = %lld\n", (long long)cfg->cache.rules[j].ttl_secs);
	}
	fputs("\n[policy]\n", out);
	config_print_list(out, "allow_paths", false, cfg->policy.allow_paths,
	    cfg->policy.n_allow_paths);
	config_print_str(out, "graphql_node_lookup", node_lookup_names[cfg->policy.node_lookup]);
	fprintf(out, "passthrough_denied_reads = %s\n",
	    cfg->policy.passthrough_denied_reads ? "true" : "false");
	for (size_t i = 0; i < cfg->n_identities; i++) {
		char fp[9];

		const struct config_identity *id = &cfg->identities[i];

		fputs("\n[[identities]]\n", out);
		config_print_str(out, "id", id->id);
		if (id->app) {
			fprintf(out, "app_id = %lld\n", (long long)id->app_id);
			if (id->owner != NULL)
				config_print_str(out, "owner", id->owner);
			fprintf(out, "%sinstallation_id = %lld\n", id->owner ? "# " : "",
			    (long long)id->installation_id);
			fprintf(out, "private_key = \"****\"  # from %s; a token was minted\n",
			    id->token_ref);
			continue;
		}
		util_token_fingerprint(id->token, fp);
		fprintf(out, "token = \"****\"  # from %s, sha256 %s\n", id->token_ref, fp);
	}
	for (size_t i = 0; i < cfg->n_clients; i++) {
		const struct config_client *c = &cfg->clients[i];

		fputs("\n[[clients]]\n", out);
		config_print_str(out, "id", c->id);
		config_print_client_keys(out, c);
		if (c->owners_set)
			config_print_list(out, "allowed_owners", c->owners_all, c->allowed_owners,
			    c->n_allowed_owners);
	}
}

static void
config_token_wipe(struct config_identity *id)
{
	/* A literal's unresolved reference is the secret too. */
	secret_free(id->token);
	secret_free(id->ref);
	id->token = NULL;
	id->ref = NULL;
}

static void
config_client_keys_wipe(struct config_client *c)
{
	for (int j = 0; j < 2; j++) {
		secret_free(c->keys[j]);
		c->keys[j] = NULL;
	}
}

void
config_drop_tokens(struct config *cfg)
{
	for (size_t i = 0; i < cfg->n_identities; i++)
		config_token_wipe(&cfg->identities[i]);
	for (size_t i = 0; i < cfg->n_clients; i++)
		config_client_keys_wipe(&cfg->clients[i]);
}

void
config_free(struct config *cfg)
{
	if (cfg == NULL)
		return;
	free(cfg->source);
	free(cfg->listen);
	free(cfg->upstream_url);
	free(cfg->public_url);
	free(cfg->audit_log);
	free(cfg->k8s_secrets_dir);
	config_owners_clear(OWNERS_OF(cfg));
	for (size_t i = 0; i < cfg->cache.n_rules; i++)
		free(cfg->cache.rules[i].pattern);
	free(cfg->cache.rules);
	free(cfg->cache.redis_url);
	free(cfg->cache.redis_password_ref);
	if (cfg->cache.redis_password != NULL)
		explicit_bzero(cfg->cache.redis_password, strlen(cfg->cache.redis_password));
	free(cfg->cache.redis_password);
	free(cfg->cache.redis_key_prefix);
	for (size_t i = 0; i < cfg->n_identities; i++) {
		struct config_identity *id = &cfg->identities[i];
		free(id->id);
		free(id->token_ref);
		free(id->owner);
		secret_free(id->private_key);
		config_token_wipe(id);
	}
	free(cfg->identities);
	config_paths_clear(&cfg->policy);
	for (size_t i = 0; i < cfg->n_clients; i++) {
		struct config_client *c = &cfg->clients[i];
		free(c->id);
		free(c->key_refs[0]);
		free(c->key_refs[1]);
		config_client_keys_wipe(c);
		config_owners_clear(OWNERS_OF(c));
	}
	free(cfg->clients);
	memset(cfg, 0, sizeof(*cfg));
}
