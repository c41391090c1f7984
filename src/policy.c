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
#include <stdatomic.h>
#include <string.h>
#include <stdio.h>
#include <stdlib.h>

struct policy_rules {
	bool all;
	char **owners;
	size_t n_owners;
	struct policy_rules *older;   /* retired versions, freed with the policy */
};

/*
 * Every read checks the policy, so it takes no lock: a reload publishes a
 * new version with one atomic store and keeps the old ones until exit (a
 * check may still be reading one). Versions pile up only when a reload
 * really changes allowed_owners, which is rare and small.
 */
struct policy {
	pthread_mutex_t update;
	_Atomic(struct policy_rules *) r;
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
	while (r != NULL) {
		struct policy_rules *older = r->older;

		for (size_t i = 0; i < r->n_owners; i++)
			free(r->owners[i]);
		free(r->owners);
		free(r);
		r = older;
	}
}

static bool
policy_rules_equal(const struct policy_rules *a, const struct policy_rules *b)
{
	if (a->all != b->all || a->n_owners != b->n_owners)
		return false;
	for (size_t i = 0; i < a->n_owners; i++)
		if (strcmp(a->owners[i], b->owners[i]) != 0)
			return false;
	return true;
}

struct policy *
policy_new(const struct config *cfg)
{
	struct policy *p = util_calloc(1, sizeof(*p));

	pthread_mutex_init(&p->update, NULL);
	atomic_init(&p->r, policy_rules_new(cfg));
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
	pthread_mutex_destroy(&p->update);
	free(p);
}

bool
policy_allows_none(struct policy *p)
{
	const struct policy_rules *r = atomic_load(&p->r);

	return !r->all && r->n_owners == 0;
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
policy_check_rules(const struct policy_rules *p, const struct route_info *ri,
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
	return policy_check_rules(atomic_load(&p->r), ri, buf, buflen);
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
	if (atomic_load(&p->r)->all)
		return NULL;
	return "pooled GraphQL queries need allowed_owners = [\"*\"]: ghpool does not yet check "
	    "GraphQL documents owner by owner; send your own Authorization header to run this "
	    "query with your token";
}
