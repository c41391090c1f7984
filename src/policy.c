/*
 * policy.c - client keys, and owner checks for pooled reads.
 *
 * Owners are compared case-insensitively, as GitHub compares logins, and
 * raw: route refuses percent-encoding in the segments judged here, so an
 * encoded owner never reaches a comparison. Everything a rule cannot tie
 * to an allowed owner is denied.
 */
#include "policy.h"
#include "config.h"
#include "gql.h"
#include "idmap.h"
#include "route.h"
#include "searchq.h"
#include "util.h"

#include <ctype.h>
#include <stdarg.h>
#include <openssl/crypto.h>
#include <openssl/sha.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* What ghpool learns about ids: bounded, and forgotten after a while
 * (a repository can be transferred to another owner). */
#define POLICY_REPO_IDS 16384
#define POLICY_REPO_ID_TTL_MS (10 * 60 * 1000)
#define POLICY_NODE_IDS 65536
#define POLICY_NODE_ID_TTL_MS (60 * 60 * 1000)
/* Distinct owners one GraphQL answer may be about and still be learned. */
#define POLICY_MAX_ANSWER_OWNERS 16
#define POLICY_OWNERS_TEXT 256

struct policy_client {
	char *id;
	unsigned char digest[2][SHA256_DIGEST_LENGTH];
	int n_keys;
	bool owners_set, owners_all;
	char **owners;
	size_t n_owners;
	atomic_ulong requests, denied;
};

struct policy_rules {
	bool all;
	char **owners;
	size_t n_owners;
	char **allow_paths;
	size_t n_allow_paths;
	enum config_node_lookup node_lookup;
	bool passthrough_denied;
	struct policy_client *clients;
	size_t n_clients;
	struct policy_rules *older;   /* retired versions, freed with the policy */
};

/*
 * Every request checks the policy, so it takes no lock: a reload publishes
 * a new version with one atomic store and keeps the old ones until exit
 * (a check, or an authenticated client, may still point into one).
 * Versions pile up only when a reload really changes something, which is
 * rare and small.
 */
struct policy {
	pthread_mutex_t update;
	_Atomic(struct policy_rules *) r;
	struct idmap *repo_owner;     /* repository id -> owner login */
	/* The two spellings of a repository's paths, for writes made under
	 * one to invalidate reads cached under the other: */
	struct idmap *repo_name;      /* repository id -> "owner/name" */
	struct idmap *repo_id;        /* lower-case "owner/name" -> repository id */
	struct idmap *node_owners;    /* node id -> "a,b", owners of its answer */
};

/* ------------------------------------------------------------------------
 * Rules and their versions
 * ---------------------------------------------------------------------- */

static char **
policy_strv_dup(char *const *v, size_t n)
{
	char **out = util_calloc(n ? n : 1, sizeof(char *));

	for (size_t i = 0; i < n; i++)
		out[i] = util_strdup(v[i]);
	return out;
}

static void
policy_strv_free(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

static struct policy_rules *
policy_rules_new(const struct config *cfg)
{
	struct policy_rules *r = util_calloc(1, sizeof(*r));

	r->all = cfg->owners_all;
	r->n_owners = cfg->n_allowed_owners;
	r->owners = policy_strv_dup(cfg->allowed_owners, r->n_owners);
	r->n_allow_paths = cfg->policy.n_allow_paths;
	r->allow_paths = policy_strv_dup(cfg->policy.allow_paths, r->n_allow_paths);
	r->node_lookup = cfg->policy.node_lookup;
	r->passthrough_denied = cfg->policy.passthrough_denied_reads;
	r->n_clients = cfg->n_clients;
	r->clients = util_calloc(r->n_clients ? r->n_clients : 1, sizeof(*r->clients));
	for (size_t i = 0; i < r->n_clients; i++) {
		const struct config_client *cc = &cfg->clients[i];
		struct policy_client *pc = &r->clients[i];

		pc->id = util_strdup(cc->id);
		/* Only digests are kept: the config's copies of keys are wiped. */
		for (int k = 0; k < 2; k++)
			if (cc->keys[k] != NULL)
				SHA256((const unsigned char *)cc->keys[k], strlen(cc->keys[k]),
				    pc->digest[pc->n_keys++]);
		pc->owners_set = cc->owners_set;
		pc->owners_all = cc->owners_all;
		pc->n_owners = cc->n_allowed_owners;
		pc->owners = policy_strv_dup(cc->allowed_owners, pc->n_owners);
		atomic_init(&pc->requests, 0);
		atomic_init(&pc->denied, 0);
	}
	return r;
}

static void
policy_rules_free(struct policy_rules *r)
{
	while (r != NULL) {
		struct policy_rules *older = r->older;

		policy_strv_free(r->owners, r->n_owners);
		policy_strv_free(r->allow_paths, r->n_allow_paths);
		for (size_t i = 0; i < r->n_clients; i++) {
			free(r->clients[i].id);
			policy_strv_free(r->clients[i].owners, r->clients[i].n_owners);
		}
		OPENSSL_cleanse(r->clients, r->n_clients * sizeof(*r->clients));
		free(r->clients);
		free(r);
		r = older;
	}
}

static bool
policy_strv_equal(char **a, size_t na, char **b, size_t nb)
{
	if (na != nb)
		return false;
	for (size_t i = 0; i < na; i++)
		if (strcmp(a[i], b[i]) != 0)
			return false;
	return true;
}

static bool
policy_rules_equal(const struct policy_rules *a, const struct policy_rules *b)
{
	if (a->all != b->all || a->node_lookup != b->node_lookup ||
	    a->passthrough_denied != b->passthrough_denied || a->n_clients != b->n_clients ||
	    !policy_strv_equal(a->owners, a->n_owners, b->owners, b->n_owners) ||
	    !policy_strv_equal(a->allow_paths, a->n_allow_paths, b->allow_paths, b->n_allow_paths))
		return false;
	for (size_t i = 0; i < a->n_clients; i++) {
		const struct policy_client *x = &a->clients[i], *y = &b->clients[i];

		if (strcmp(x->id, y->id) != 0 || x->n_keys != y->n_keys ||
		    memcmp(x->digest, y->digest, sizeof(x->digest)) != 0 ||
		    x->owners_set != y->owners_set || x->owners_all != y->owners_all ||
		    !policy_strv_equal(x->owners, x->n_owners, y->owners, y->n_owners))
			return false;
	}
	return true;
}

struct policy *
policy_new(const struct config *cfg)
{
	struct policy *p = util_calloc(1, sizeof(*p));

	pthread_mutex_init(&p->update, NULL);
	atomic_init(&p->r, policy_rules_new(cfg));
	p->repo_owner = idmap_new(POLICY_REPO_IDS, POLICY_REPO_ID_TTL_MS);
	p->repo_name = idmap_new(POLICY_REPO_IDS, POLICY_REPO_ID_TTL_MS);
	p->repo_id = idmap_new(POLICY_REPO_IDS, POLICY_REPO_ID_TTL_MS);
	p->node_owners = idmap_new(POLICY_NODE_IDS, POLICY_NODE_ID_TTL_MS);
	return p;
}

void
policy_update(struct policy *p, const struct config *cfg)
{
	struct policy_rules *fresh = policy_rules_new(cfg), *cur;

	pthread_mutex_lock(&p->update);
	cur = atomic_load(&p->r);
	if (policy_rules_equal(cur, fresh)) {
		policy_rules_free(fresh);
	} else {
		/* A client that stays keeps its counters. */
		for (size_t i = 0; i < fresh->n_clients; i++)
			for (size_t j = 0; j < cur->n_clients; j++)
				if (strcmp(fresh->clients[i].id, cur->clients[j].id) == 0) {
					atomic_store(&fresh->clients[i].requests,
					    atomic_load(&cur->clients[j].requests));
					atomic_store(&fresh->clients[i].denied,
					    atomic_load(&cur->clients[j].denied));
				}
		fresh->older = cur;
		atomic_store(&p->r, fresh);
	}
	pthread_mutex_unlock(&p->update);
}

void
policy_free(struct policy *p)
{
	if (p == NULL)
		return;
	policy_rules_free(atomic_load(&p->r));
	idmap_free(p->repo_owner);
	idmap_free(p->repo_name);
	idmap_free(p->repo_id);
	idmap_free(p->node_owners);
	pthread_mutex_destroy(&p->update);
	free(p);
}

bool
policy_allows_none(struct policy *p)
{
	const struct policy_rules *r = atomic_load(&p->r);

	return !r->all && r->n_owners == 0;
}

bool
policy_passthrough_denied(struct policy *p)
{
	return atomic_load(&p->r)->passthrough_denied;
}

/* ------------------------------------------------------------------------
 * Clients
 * ---------------------------------------------------------------------- */

bool
policy_authenticate(struct policy *p, const char *key, const struct policy_client **client,
    const char **why)
{
	struct policy_rules *r = atomic_load(&p->r);
	unsigned char d[SHA256_DIGEST_LENGTH];
	struct policy_client *found = NULL;

	*client = NULL;
	if (r->n_clients == 0)
		return true;
	if (key == NULL || *key == '\0') {
		*why = "ghpool requires an X-Ghpool-Key header";
		return false;
	}
	SHA256((const unsigned char *)key, strlen(key), d);
	/* Every digest is compared, each in constant time: the time taken
	 * says nothing about which key came close. */
	for (size_t i = 0; i < r->n_clients; i++)
		for (int k = 0; k < r->clients[i].n_keys; k++)
			if (CRYPTO_memcmp(d, r->clients[i].digest[k], sizeof(d)) == 0)
				found = &r->clients[i];
	OPENSSL_cleanse(d, sizeof(d));
	if (found == NULL) {
		*why = "X-Ghpool-Key is not a key of any configured client";
		return false;
	}
	*client = found;
	return true;
}

const char *
policy_client_id(const struct policy_client *c)
{
	return c ? c->id : NULL;
}

void
policy_count(struct policy *p, const struct policy_client *c, bool denied)
{
	struct policy_client *mc = (struct policy_client *)c;

	(void)p;
	if (mc == NULL)
		return;
	atomic_fetch_add(&mc->requests, 1);
	if (denied)
		atomic_fetch_add(&mc->denied, 1);
}

json_t *
policy_stats(struct policy *p)
{
	struct policy_rules *r = atomic_load(&p->r);
	json_t *clients = json_object();

	for (size_t i = 0; i < r->n_clients; i++)
		json_object_set_new(clients, r->clients[i].id, json_pack("{s:I,s:I}",
		    "requests", (json_int_t)atomic_load(&r->clients[i].requests),
		    "denied", (json_int_t)atomic_load(&r->clients[i].denied)));
	return json_pack("{s:o,s:I,s:I}", "clients", clients,
	    "repository_ids_known", (json_int_t)idmap_count(p->repo_owner),
	    "node_ids_seen", (json_int_t)idmap_count(p->node_owners));
}

/* ------------------------------------------------------------------------
 * Owners
 * ---------------------------------------------------------------------- */

static bool
policy_in(char *const *v, size_t n, const char *owner, size_t len)
{
	for (size_t i = 0; i < n; i++)
		if (util_slice_ieq(owner, len, v[i]))
			return true;
	return false;
}

/* Every owner allowed for this client: the global list, then its own. */
static bool
policy_all(const struct policy_rules *r, const struct policy_client *c)
{
	return r->all && (c == NULL || !c->owners_set || c->owners_all);
}

/*
 * The owner goes back to the client in a JSON message: keep login
 * characters, show anything else as %XX, so the message is always valid
 * UTF-8 and never a vehicle for someone else's bytes.
 */
static void
policy_quote(const char *s, size_t len, char *out, size_t outlen)
{
	size_t o = 0;

	for (size_t i = 0; i < len && o + 4 < outlen; i++) {
		unsigned char ch = (unsigned char)s[i];

		if (isalnum(ch) || ch == '-' || ch == '_' || ch == '.')
			out[o++] = (char)ch;
		else
			o += (size_t)snprintf(out + o, outlen - o, "%%%02X", ch);
	}
	out[o] = '\0';
}

static bool
policy_deny(struct policy_denial *d, const char *rule, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static bool
policy_deny(struct policy_denial *d, const char *rule, const char *fmt, ...)
{
	va_list ap;

	d->rule = rule;
	va_start(ap, fmt);
	vsnprintf(d->message, sizeof(d->message), fmt, ap);
	va_end(ap);
	return false;
}

/* Is owner allowed for client c? If not, says so in d. */
static bool
policy_owner_ok(const struct policy_rules *r, const struct policy_client *c,
    const char *owner, size_t len, struct policy_denial *d)
{
	char q[128];

	if (!r->all && !policy_in(r->owners, r->n_owners, owner, len)) {
		policy_quote(owner, len, q, sizeof(q));
		return policy_deny(d, "owner", "owner '%s' is not in allowed_owners", q);
	}
	if (c != NULL && c->owners_set && !c->owners_all &&
	    !policy_in(c->owners, c->n_owners, owner, len)) {
		policy_quote(owner, len, q, sizeof(q));
		return policy_deny(d, "owner", "owner '%s' is not in the allowed_owners of client '%s'",
		    q, c->id);
	}
	return true;
}

/* ------------------------------------------------------------------------
 * REST
 * ---------------------------------------------------------------------- */

/*
 * allow_paths globs: '*' is any run within one segment, '**' any run at
 * all. An encoded slash ends a segment too, since some GitHub routes
 * decode it. Matched as an automaton over pattern positions, so the time
 * is len(pattern) x len(path) whatever the pattern.
 */
static bool
policy_glob_match(const char *pat, const char *s, size_t slen)
{
	size_t plen = strlen(pat), n = 0;
	char *tok = util_calloc(plen + 1, 1);    /* 'c', '*' (segment) or 'D' (any) */
	char *lit = util_calloc(plen + 1, 1);
	bool *cur, *next, ok;

	for (size_t i = 0; i < plen; i++) {
		if (pat[i] == '*' && i + 1 < plen && pat[i + 1] == '*') {
			tok[n++] = 'D';
			i++;
		} else if (pat[i] == '*') {
			tok[n++] = '*';
		} else {
			lit[n] = pat[i];
			tok[n++] = 'c';
		}
	}
	cur = util_calloc(n + 1, sizeof(bool));
	next = util_calloc(n + 1, sizeof(bool));
	cur[0] = true;
	for (size_t k = 0; ; k++) {
		/* Stars may match nothing. */
		for (size_t i = 0; i < n; i++)
			if (cur[i] && tok[i] != 'c')
				cur[i + 1] = true;
		if (k == slen)
			break;
		bool slash = s[k] == '/' || (s[k] == '%' && k + 2 < slen && s[k + 1] == '2' &&
		    (s[k + 2] == 'F' || s[k + 2] == 'f'));

		memset(next, 0, (n + 1) * sizeof(bool));
		for (size_t i = 0; i < n; i++) {
			if (!cur[i])
				continue;
			if (tok[i] == 'c' && lit[i] == s[k])
				next[i + 1] = true;
			else if (tok[i] == 'D' || (tok[i] == '*' && !slash))
				next[i] = true;
		}
		memcpy(cur, next, (n + 1) * sizeof(bool));
	}
	ok = cur[n];
	free(tok);
	free(lit);
	free(cur);
	free(next);
	return ok;
}

struct policy_search_ctx {
	const struct policy_rules *r;
	const struct policy_client *c;
	/* Owners the query is about, for GraphQL node learning. */
	char (*owners)[40];
	size_t *n_owners;
};

static void
policy_add_owner(char (*owners)[40], size_t *n, const char *o, size_t len)
{
	if (owners == NULL || len == 0 || len >= 40)
		return;
	for (size_t i = 0; i < *n && i < POLICY_MAX_ANSWER_OWNERS; i++)
		if (util_slice_ieq(o, len, owners[i]))
			return;
	if (*n < POLICY_MAX_ANSWER_OWNERS) {
		for (size_t i = 0; i < len; i++)
			owners[*n][i] = (char)tolower((unsigned char)o[i]);
		owners[*n][len] = '\0';
	}
	(*n)++;   /* past the maximum: too many to learn from */
}

static bool
policy_search_owner(void *arg, const char *owner, size_t len)
{
	struct policy_search_ctx *x = arg;
	struct policy_denial scratch;

	policy_add_owner(x->owners, x->n_owners, owner, len);
	return policy_owner_ok(x->r, x->c, owner, len, &scratch);
}

/* A search query (decoded) against the rules; false with d filled. */
static bool
policy_search_ok(const struct policy_rules *r, const struct policy_client *c,
    const char *q, size_t len, char (*owners)[40], size_t *n_owners,
    struct policy_denial *d)
{
	struct policy_search_ctx x = { r, c, owners, n_owners };
	char buf[200];
	const char *why = searchq_check(q, len, policy_search_owner, &x, buf, sizeof(buf));

	if (why == NULL || policy_all(r, c))
		return true;
	return policy_deny(d, "search", "%s", why);
}

static const char *const policy_identity_message =
    "this path shows the pooled identities' own data (/user, /notifications, /issues, "
    "/gists, /installation) and is never read with a pooled token";

/*
 * A repository id is judged on its owner ("" when GitHub did not show it),
 * but a refusal never says which case it was: that would tell a client
 * who owns a private repository, or that it exists at all.
 */
static bool
policy_repo_id_ok(const struct policy_rules *r, const struct policy_client *c,
    const char *id, size_t idlen, const char *owner, struct policy_denial *d)
{
	struct policy_denial scratch;

	if (owner[0] != '\0' && policy_owner_ok(r, c, owner, strlen(owner), &scratch))
		return true;
	return policy_deny(d, "repository_id",
	    "repository %.*s does not exist or does not belong to an allowed owner",
	    (int)(idlen > 32 ? 32 : idlen), id);
}

enum policy_verdict
policy_check_rest(struct policy *p, const struct policy_client *c, const char *path,
    size_t len, const struct route_info *ri, const char *query, size_t qlen, bool write,
    struct policy_denial *d)
{
	const struct policy_rules *r = atomic_load(&p->r);
	char owner[64], *q;
	const char *why;
	bool ok;

	switch (ri->family) {
	case ROUTE_REPOS:
	case ROUTE_ORGS:
	case ROUTE_USERS:
	case ROUTE_NETWORKS:
		return policy_owner_ok(r, c, ri->owner, ri->owner_len, d) ? POLICY_ALLOW : POLICY_DENY;
	case ROUTE_REPO_ID:
		if (policy_all(r, c))
			return POLICY_ALLOW;
		/* When no owner can pass, a lookup would only spend budget. */
		if ((!r->all && r->n_owners == 0) ||
		    (c != NULL && c->owners_set && !c->owners_all && c->n_owners == 0))
			return policy_repo_id_ok(r, c, ri->owner, ri->owner_len, "", d) ?
			    POLICY_ALLOW : POLICY_DENY;
		if (!idmap_get(p->repo_owner, ri->owner, ri->owner_len, owner, sizeof(owner)))
			return POLICY_RESOLVE;
		return policy_repo_id_ok(r, c, ri->owner, ri->owner_len, owner, d) ?
		    POLICY_ALLOW : POLICY_DENY;
	default:
		break;
	}
	/* Writes carry the client's own token: only owners are ghpool's business. */
	if (write)
		return POLICY_ALLOW;
	switch (ri->family) {
	case ROUTE_SEARCH:
		if (policy_all(r, c))
			return POLICY_ALLOW;
		if ((q = searchq_from_query(query, qlen, &why)) == NULL) {
			policy_deny(d, "search", "%s", why);
			return POLICY_DENY;
		}
		ok = policy_search_ok(r, c, q, strlen(q), NULL, NULL, d);
		free(q);
		return ok ? POLICY_ALLOW : POLICY_DENY;
	case ROUTE_IDENTITY:
		policy_deny(d, "identity", "%s", policy_identity_message);
		return POLICY_DENY;
	case ROUTE_RATE_LIMIT:
		return POLICY_RATE_LIMIT;
	case ROUTE_PUBLIC:
		return POLICY_ALLOW;
	default:
		break;
	}
	for (size_t i = 0; i < r->n_allow_paths; i++)
		if (policy_glob_match(r->allow_paths[i], path, len))
			return POLICY_ALLOW;
	policy_deny(d, "path", "ghpool serves only owner-scoped paths (/repos, /orgs, /users, "
	    "/networks, /repositories/{id}), scoped searches and GitHub's public metadata; "
	    "[policy] allow_paths may name others");
	return POLICY_DENY;
}

/* GitHub's repository names: letters, digits, '.', '_', '-'; not . or .. */
static bool
policy_repo_name_ok(const char *s)
{
	size_t n = s ? strlen(s) : 0;

	if (n == 0 || n > 100 || strcmp(s, ".") == 0 || strcmp(s, "..") == 0)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!isalnum((unsigned char)s[i]) && strchr("._-", s[i]) == NULL)
			return false;
	return true;
}

bool
policy_check_owner(struct policy *p, const struct policy_client *c, const char *repo_id,
    size_t idlen, const char *owner, const char *name, struct policy_denial *d)
{
	char full[160], lower[160];

	/* Unknown ids are remembered too: they must not cost a lookup each. */
	idmap_put(p->repo_owner, repo_id, idlen, owner ? owner : "");
	if (owner != NULL && policy_repo_name_ok(name) &&
	    (size_t)snprintf(full, sizeof(full), "%s/%s", owner, name) < sizeof(full)) {
		for (size_t i = 0, n = strlen(full); i <= n; i++)
			lower[i] = (char)tolower((unsigned char)full[i]);
		idmap_put(p->repo_name, repo_id, idlen, full);
		/* The id as a C string: idmap values are. */
		if (idlen < 32) {
			char id[32];

			memcpy(id, repo_id, idlen);
			id[idlen] = '\0';
			idmap_put(p->repo_id, lower, strlen(lower), id);
		}
	}
	return policy_repo_id_ok(atomic_load(&p->r), c, repo_id, idlen, owner ? owner : "", d);
}

bool
policy_repo_alias(struct policy *p, const char *group, size_t len, char *out, size_t outlen)
{
	static const char by_id[] = "/repositories/", by_name[] = "/repos/";
	char val[256], key[160];
	const char *rest, *slash;
	size_t n;

	if (len > sizeof(by_id) - 1 && strncmp(group, by_id, sizeof(by_id) - 1) == 0) {
		rest = group + sizeof(by_id) - 1;
		n = len - (sizeof(by_id) - 1);
		if (memchr(rest, '/', n) != NULL ||
		    !idmap_get(p->repo_name, rest, n, val, sizeof(val)))
			return false;
		return (size_t)snprintf(out, outlen, "/repos/%s", val) < outlen;
	}
	if (len > sizeof(by_name) - 1 && strncasecmp(group, by_name, sizeof(by_name) - 1) == 0) {
		rest = group + sizeof(by_name) - 1;
		n = len - (sizeof(by_name) - 1);
		slash = memchr(rest, '/', n);
		if (slash == NULL || slash == rest || slash == rest + n - 1 ||
		    memchr(slash + 1, '/', (size_t)(rest + n - slash - 1)) != NULL ||
		    n >= sizeof(key))
			return false;
		for (size_t i = 0; i < n; i++)
			key[i] = (char)tolower((unsigned char)rest[i]);
		if (!idmap_get(p->repo_id, key, n, val, sizeof(val)))
			return false;
		return (size_t)snprintf(out, outlen, "/repositories/%s", val) < outlen;
	}
	return false;
}

/* ------------------------------------------------------------------------
 * GraphQL
 * ---------------------------------------------------------------------- */

struct policy_gq {
	struct policy *p;
	const struct policy_rules *r;
	const struct policy_client *c;
	struct policy_denial *d;
	char owners[POLICY_MAX_ANSWER_OWNERS][40];
	size_t n_owners;
	/* Some allowed field is not tied to the owners above (a search, a
	 * node nobody saw): its answer's ids must teach nothing. */
	bool unbound;
};

/* Every argument called name must be a string naming an allowed owner,
 * and there must be one. */
static bool
policy_gq_owner_arg(struct policy_gq *g, const struct gql_field *f, const char *name)
{
	size_t seen = 0;

	for (size_t i = 0; i < f->n_args; i++) {
		const json_t *v = f->args[i].value;

		if (strcmp(f->args[i].name, name) != 0)
			continue;
		seen++;
		if (v == NULL || !json_is_string(v))
			return policy_deny(g->d, "graphql_field",
			    "%s(%s:) must be a string, or a variable holding one", f->name, name);
		if (!policy_owner_ok(g->r, g->c, json_string_value(v), json_string_length(v), g->d))
			return false;
		policy_add_owner(g->owners, &g->n_owners, json_string_value(v), json_string_length(v));
	}
	if (seen == 0)
		return policy_deny(g->d, "graphql_field", "%s needs its %s: argument", f->name, name);
	return true;
}

static bool
policy_gq_search(struct policy_gq *g, const struct gql_field *f)
{
	/*
	 * A search's answer teaches no node ids: its scope is only what we
	 * make of the query text, and GitHub ignores repo:, org: and user: in
	 * some search types (type: USER), returning objects from anywhere.
	 */
	g->unbound = true;
	size_t seen = 0;

	for (size_t i = 0; i < f->n_args; i++) {
		const json_t *v = f->args[i].value;

		if (strcmp(f->args[i].name, "query") != 0)
			continue;
		seen++;
		if (v == NULL || !json_is_string(v))
			return policy_deny(g->d, "search", "search(query:) must be a string");
		if (!policy_search_ok(g->r, g->c, json_string_value(v), json_string_length(v),
		    g->owners, &g->n_owners, g->d))
			return false;
	}
	if (seen == 0 && !policy_all(g->r, g->c))
		return policy_deny(g->d, "search", "search needs a query: argument");
	return true;
}

/* One node id: seen in an answer about owners this client may read. */
static bool
policy_gq_node_id(struct policy_gq *g, const json_t *v)
{
	char owners[POLICY_OWNERS_TEXT], *save = NULL, *o;
	const char *id;

	if (v == NULL || !json_is_string(v))
		return policy_deny(g->d, "graphql_node", "node ids must be strings");
	id = json_string_value(v);
	if (!idmap_get(g->p->node_owners, id, json_string_length(v), owners, sizeof(owners))) {
		if (policy_all(g->r, g->c)) {
			g->unbound = true;
			return true;
		}
		return policy_deny(g->d, "graphql_node",
		    "node lookups are allowed only for ids ghpool served in an answer about an allowed owner");
	}
	for (o = strtok_r(owners, ",", &save); o != NULL; o = strtok_r(NULL, ",", &save)) {
		if (!policy_owner_ok(g->r, g->c, o, strlen(o), g->d)) {
			g->d->rule = "graphql_node";
			return false;
		}
		policy_add_owner(g->owners, &g->n_owners, o, strlen(o));
	}
	return true;
}

static bool
policy_gq_node(struct policy_gq *g, const struct gql_field *f, const char *argname)
{
	size_t seen = 0, i, k;
	const json_t *item;

	if (g->r->node_lookup == CONFIG_NODE_DENY)
		return policy_deny(g->d, "graphql_node",
		    "node lookups by id are denied ([policy] graphql_node_lookup = \"deny\")");
	if (g->r->node_lookup == CONFIG_NODE_ALLOW) {
		g->unbound = true;
		return true;
	}
	for (i = 0; i < f->n_args; i++) {
		const json_t *v = f->args[i].value;

		if (strcmp(f->args[i].name, argname) != 0)
			continue;
		seen++;
		/* GraphQL coerces a single value to a list of one. */
		if (v != NULL && json_is_array(v)) {
			json_array_foreach(v, k, item)
				if (!policy_gq_node_id(g, item))
					return false;
		} else if (!policy_gq_node_id(g, v)) {
			return false;
		}
	}
	if (seen == 0)
		return policy_deny(g->d, "graphql_node", "%s needs its %s: argument", f->name, argname);
	return true;
}

static bool
policy_gq_field(struct policy_gq *g, const struct gql_field *f)
{
	static const char *const free_fields[] = { "__typename", "__type", "__schema", "rateLimit" };
	static const struct {
		const char *field, *arg;
	} owner_fields[] = {
		{ "repository", "owner" },
		{ "organization", "login" },
		{ "user", "login" },
		{ "repositoryOwner", "login" },
	};

	for (size_t i = 0; i < sizeof(free_fields) / sizeof(free_fields[0]); i++)
		if (strcmp(f->name, free_fields[i]) == 0)
			return true;
	for (size_t i = 0; i < sizeof(owner_fields) / sizeof(owner_fields[0]); i++)
		if (strcmp(f->name, owner_fields[i].field) == 0)
			return policy_gq_owner_arg(g, f, owner_fields[i].arg);
	if (strcmp(f->name, "search") == 0)
		return policy_gq_search(g, f);
	if (strcmp(f->name, "node") == 0)
		return policy_gq_node(g, f, "id");
	if (strcmp(f->name, "nodes") == 0)
		return policy_gq_node(g, f, "ids");
	if (strcmp(f->name, "viewer") == 0)
		return policy_deny(g->d, "identity",
		    "viewer is the pooled identity and is never queried with a pooled token");
	return policy_deny(g->d, "graphql_field",
	    "root field '%.64s' is not allowed in a pooled query: use repository, organization, "
	    "user, repositoryOwner, search, node(s), rateLimit or introspection", f->name);
}

bool
policy_check_graphql(struct policy *p, const struct policy_client *c,
    const struct gql_fields *f, char **owners, struct policy_denial *d)
{
	struct policy_gq *g = util_calloc(1, sizeof(*g));
	size_t o = 0;
	char *text;
	bool ok = true;

	g->p = p;
	g->r = atomic_load(&p->r);
	g->c = c;
	g->d = d;
	*owners = NULL;
	for (size_t i = 0; ok && i < f->n; i++)
		ok = policy_gq_field(g, &f->v[i]);
	/*
	 * Learn from the answer only when every "id" in it is one GitHub
	 * issued: anyone can title an issue "R_123", and `id: title` would
	 * make that a served id, a key to someone else's object.
	 */
	if (ok && !f->id_alias && !g->unbound && g->n_owners > 0 &&
	    g->n_owners <= POLICY_MAX_ANSWER_OWNERS) {
		text = util_calloc(1, POLICY_MAX_ANSWER_OWNERS * 41);
		for (size_t i = 0; i < g->n_owners; i++)
			o += (size_t)snprintf(text + o, POLICY_MAX_ANSWER_OWNERS * 41 - o, "%s%s",
			    i ? "," : "", g->owners[i]);
		*owners = text;
	}
	free(g);
	return ok;
}

static void
policy_learn_walk(struct idmap *m, const char *owners, const json_t *v, int depth)
{
	const char *k;
	json_t *item;
	size_t i;

	if (depth > 64)
		return;
	if (json_is_object(v)) {
		json_object_foreach((json_t *)v, k, item) {
			if (strcmp(k, "id") == 0 && json_is_string(item))
				idmap_put(m, json_string_value(item), json_string_length(item), owners);
			else
				policy_learn_walk(m, owners, item, depth + 1);
		}
	} else if (json_is_array(v)) {
		json_array_foreach(v, i, item)
			policy_learn_walk(m, owners, item, depth + 1);
	}
}

void
policy_learn_nodes(struct policy *p, const char *owners, const char *body, size_t len)
{
	json_t *doc;

	if (owners == NULL || atomic_load(&p->r)->node_lookup != CONFIG_NODE_SEEN)
		return;
	if ((doc = json_loadb(body, len, 0, NULL)) == NULL)
		return;
	policy_learn_walk(p->node_owners, owners, json_object_get(doc, "data"), 0);
	json_decref(doc);
}
