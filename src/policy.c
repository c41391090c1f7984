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

#include <stdio.h>
#include <stdlib.h>

struct policy {
	bool all;
	char **owners;
	size_t n_owners;
};

struct policy *
policy_new(const struct config *cfg)
{
	struct policy *p = util_calloc(1, sizeof(*p));

	p->all = cfg->owners_all;
	p->n_owners = cfg->n_allowed_owners;
	p->owners = util_calloc(p->n_owners ? p->n_owners : 1, sizeof(char *));
	for (size_t i = 0; i < p->n_owners; i++)
		p->owners[i] = util_strdup(cfg->allowed_owners[i]);
	return p;
}

void
policy_free(struct policy *p)
{
	if (p == NULL)
		return;
	for (size_t i = 0; i < p->n_owners; i++)
		free(p->owners[i]);
	free(p->owners);
	free(p);
}

bool
policy_allows_none(const struct policy *p)
{
	return !p->all && p->n_owners == 0;
}

static bool
policy_owner_allowed(const struct policy *p, const char *owner, size_t len)
{
	if (p->all)
		return true;
	for (size_t i = 0; i < p->n_owners; i++)
		if (util_slice_ieq(owner, len, p->owners[i]))
			return true;
	return false;
}

const char *
policy_check_read(const struct policy *p, const char *path, size_t len,
    char *buf, size_t buflen)
{
	struct route_info ri;

	route_parse(path, len, &ri);
	switch (ri.family) {
	case ROUTE_OTHER:
		return NULL;
	case ROUTE_REPOSITORIES:
		/* Until ids are resolved to owners, only "*" can allow these. */
		return p->all ? NULL :
		    "paths by repository id are not allowed: use /repos/{owner}/{repo}";
	default:
		break;
	}
	if (policy_owner_allowed(p, ri.owner, ri.owner_len))
		return NULL;
	snprintf(buf, buflen, "owner '%.*s' is not in allowed_owners",
	    (int)(ri.owner_len > 100 ? 100 : ri.owner_len), ri.owner);
	return buf;
}
