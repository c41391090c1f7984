/*
 * test_policy.c - owner checks for pooled reads.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "config.h"
#include "policy.h"
#include "route.h"

/* The policy judges what route_parse() made of a path. */
static const char *
check(struct policy *p, const char *path, size_t len, char *buf, size_t buflen)
{
	struct route_info ri;

	route_parse(path, len, &ri);
	return policy_check_read(p, &ri, buf, buflen);
}

static struct policy *
make_policy(bool all)
{
	static char *owners[] = { "octo-org", "Alice" };
	struct config cfg;

	memset(&cfg, 0, sizeof(cfg));
	cfg.allowed_owners = owners;
	cfg.n_allowed_owners = all ? 0 : 2;
	cfg.owners_all = all;
	return policy_new(&cfg);
}

static const struct {
	const char *path;
	bool allowed;
} cases[] = {
	{ "/repos/octo-org/hello", true },
	{ "/repos/OCTO-ORG/hello/issues", true },
	{ "/repos/alice/tools", true },
	{ "/repos/evil-corp/secret", false },
	{ "/repos/octo-org-x/hello", false },
	{ "/repos/octo%2Dorg/hello", false },
	{ "/orgs/octo-org/repos", true },
	{ "/orgs/evil-corp", false },
	{ "/users/alice/repos", true },
	{ "/users/mallory", false },
	{ "/networks/evil-corp/x/events", false },
	{ "/repositories/1001", false },
	{ "/organizations/9/repos", false },
	{ "/user/77", false },
	{ "/REPOS/evil-corp/secret", false },
	{ "/Repos/octo-org/hello", true },
	{ "/rate_limit", true },
	{ "/meta", true },
};

Test(policy, owners)
{
	struct policy *p = make_policy(false);
	char buf[200];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *why = check(p, cases[i].path, strlen(cases[i].path), buf, sizeof(buf));
		cr_expect_eq(why == NULL, cases[i].allowed, "%s: %s", cases[i].path, why ? why : "allowed");
	}
	cr_expect_not(policy_allows_none(p));
	policy_free(p);
}

Test(policy, denial_names_owner)
{
	struct policy *p = make_policy(false);
	char buf[200];
	const char *why = check(p, "/repos/evil-corp/x", 18, buf, sizeof(buf));

	cr_assert_not_null(why);
	cr_expect(strstr(why, "evil-corp") != NULL, "%s", why);
	policy_free(p);
}

Test(policy, denial_quotes_odd_owner_bytes)
{
	struct policy *p = make_policy(false);
	char buf[200];
	const char *why = check(p, "/repos/\xff\"x/r", 13, buf, sizeof(buf));

	cr_assert_not_null(why);
	cr_expect(strstr(why, "'%FF%22x'") != NULL, "%s", why);
	policy_free(p);
}

Test(policy, star_allows_everything_and_empty_allows_nothing)
{
	struct policy *all = make_policy(true);
	struct config cfg;
	struct policy *none;
	char buf[200];

	cr_expect_null(check(all, "/repos/evil-corp/x", 18, buf, sizeof(buf)));
	cr_expect_null(check(all, "/repositories/1", 15, buf, sizeof(buf)));
	memset(&cfg, 0, sizeof(cfg));
	none = policy_new(&cfg);
	cr_expect(policy_allows_none(none));
	cr_expect_not_null(check(none, "/repos/octo-org/x", 17, buf, sizeof(buf)));
	policy_free(all);
	policy_free(none);
}

/* A reload replaces the owners whole: the new list judges the next check. */
Test(policy, update_replaces_the_rules)
{
	static char *others[] = { "evil-corp" };
	struct policy *p = make_policy(false);
	struct config cfg;
	char buf[200];

	cr_expect_null(check(p, "/repos/octo-org/hello", 21, buf, sizeof(buf)));
	cr_expect_not_null(check(p, "/repos/evil-corp/x", 18, buf, sizeof(buf)));
	memset(&cfg, 0, sizeof(cfg));
	cfg.allowed_owners = others;
	cfg.n_allowed_owners = 1;
	policy_update(p, &cfg);
	cr_expect_not_null(check(p, "/repos/octo-org/hello", 21, buf, sizeof(buf)));
	cr_expect_null(check(p, "/repos/evil-corp/x", 18, buf, sizeof(buf)));
	cr_expect_not_null(policy_check_graphql(p));
	cfg.owners_all = true;
	policy_update(p, &cfg);
	cr_expect_null(policy_check_graphql(p));
	policy_free(p);
}
