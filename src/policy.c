/*
 * policy.c - owner checks for pooled reads.
 *
 * Owners are compared case-insensitively, as GitHub compares logins. The
 * owner segment is compared raw: a percent-encoded owner never equals an
 * allowed login, so encoding tricks are denied rather than decoded.
 */
#include "policy.h"
#include "config.h"
#include "route.h"
#include "util.h"

#include <ctype.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

struct policy_rules {
	bool all;
	char **owners;
	size_t n_owners;
};

/* The rules are replaced whole on reload; a check reads one version. */
struct policy {
	pthread_rwlock_t lock;
	struct policy_rules *r;
};

static struct policy_rules *
policy_rules_new(const struct config *cfg)
{
	struct policy_rules *r = util_calloc(1, sizeof(*r));

	r->all = cfg->owners_all;
	r->n_owners = cfg->n_allowed_owners;
	r->owners = util_calloc(r->n_owners ? r->n_owners : 1, sizeof(char *));
	for (size_t i = 0; i < r->n_owners; i++)
		r->owners[i] = util_strdup(cfg->allowed_owners[i]);
	return r;
}

static void
policy_rules_free(struct policy_rules *r)
{
	if (r == NULL)
		return;
	for (size_t i = 0; i < r->n_owners; i++)
		free(r->owners[i]);
	free(r->owners);
	free(r);
}

struct policy *
policy_new(const struct config *cfg)
{
	struct policy *p = util_calloc(1, sizeof(*p));

	pthread_rwlock_init(&p->lock, NULL);
	p->r = policy_rules_new(cfg);
	return p;
}

void
policy_update(struct policy *p, const struct config *cfg)
{
	struct policy_rules *fresh = policy_rules_new(cfg), *old;

	pthread_rwlock_wrlock(&p->lock);
	old = p->r;
	p->r = fresh;
	pthread_rwlock_unlock(&p->lock);
	policy_rules_free(old);
}

void
policy_free(struct policy *p)
{
	if (p == NULL)
		return;
	policy_rules_free(p->r);
	pthread_rwlock_destroy(&p->lock);
	free(p);
}

bool
policy_allows_none(struct policy *p)
{
	bool none;

	pthread_rwlock_rdlock(&p->lock);
	none = !p->r->all && p->r->n_owners == 0;
	pthread_rwlock_unlock(&p->lock);
	return none;
}

static bool
policy_owner_allowed(const struct policy_rules *p, const char *owner, size_t len)
{
	if (p->all)
		return true;
	for (size_t i = 0; i < p->n_owners; i++)
		if (util_slice_ieq(owner, len, p->owners[i]))
			return true;
	return false;
}

/*
 * The owner goes back to the client in a JSON message: keep login
 * characters, show anything else as %XX, so the message is always valid
 * UTF-8 and never a vehicle for someone else's bytes.
 */
static void
policy_quote_owner(const char *s, size_t len, char *out, size_t outlen)
{
	size_t o = 0;

	for (size_t i = 0; i < len && o + 4 < outlen; i++) {
		unsigned char c = (unsigned char)s[i];

		if (isalnum(c) || c == '-' || c == '_' || c == '.')
			out[o++] = (char)c;
		else
			o += (size_t)snprintf(out + o, outlen - o, "%%%02X", c);
	}
	out[o] = '\0';
}

static const char *
policy_check_locked(const struct policy_rules *p, const struct route_info *ri,
    char *buf, size_t buflen)
{
	char owner[128];

	switch (ri->family) {
	case ROUTE_OTHER:
		return NULL;
	case ROUTE_BY_ID:
		/* Until ids are resolved to owners, only "*" can allow these. */
		return p->all ? NULL :
		    "paths by numeric id are not allowed: use /repos/{owner}/{repo}, /orgs/{org} or /users/{user}";
	default:
		break;
	}
	if (policy_owner_allowed(p, ri->owner, ri->owner_len))
		return NULL;
	policy_quote_owner(ri->owner, ri->owner_len, owner, sizeof(owner));
	snprintf(buf, buflen, "owner '%s' is not in allowed_owners", owner);
	return buf;
}

const char *
policy_check_read(struct policy *p, const struct route_info *ri, char *buf, size_t buflen)
{
	const char *why;

	pthread_rwlock_rdlock(&p->lock);
	why = policy_check_locked(p->r, ri, buf, buflen);
	pthread_rwlock_unlock(&p->lock);
	return why;
}

/*
 * A GraphQL query can reach any owner the pooled token can see, and until
 * GraphQL documents are checked owner by owner the only safe answer for a
 * restricted deployment is no: such queries run with the client's own
 * token or not at all.
 */
const char *
policy_check_graphql(struct policy *p)
{
	bool all;

	pthread_rwlock_rdlock(&p->lock);
	all = p->r->all;
	pthread_rwlock_unlock(&p->lock);
	if (all)
		return NULL;
	return "pooled GraphQL queries need allowed_owners = [\"*\"]: ghpool does not yet check "
	    "GraphQL documents owner by owner; send your own Authorization header to run this "
	    "query with your token";
}
