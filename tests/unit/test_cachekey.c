/*
 * test_cachekey.c - key canonicalisation and TTL selection.
 */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "cachekey.h"
#include "config.h"
#include "freshness.h"
#include "leakcheck.h"

static char *
key(const char *path, const char *query, const char *accept, const char *ver)
{
	size_t len;
	char *k = cachekey_build(path, strlen(path), query, strlen(query), accept, ver, &len);

	cr_assert_eq(len, strlen(k));
	return k;
}

static const struct {
	const char *q1, *a1, *q2, *a2;
	bool same;
} cases[] = {
	{ "a=1&b=2", NULL, "b=2&a=1", NULL, true },
	{ "a=1&a=2", NULL, "a=2&a=1", NULL, false },          /* repeated keys keep order */
	{ "x=1&a=1&x=2", NULL, "a=1&x=1&x=2", NULL, true },
	{ "a=1&&b=2", NULL, "a=1&b=2", NULL, true },
	{ "a=b%20c", NULL, "a=b+c", NULL, false },            /* raw bytes, no decoding */
	{ "ab=1&a=2", NULL, "a=2&ab=1", NULL, true },
	{ "", NULL, "", "application/vnd.github+json", true },
	{ "", "*/*", "", " Application/JSON", true },
	{ "", "application/vnd.github.diff", "", "application/vnd.github+json", false },
	{ "", "application/vnd.github.diff", "", "application/vnd.github.diff ", true },
	/* what GitHub might read differently must not share an answer */
	{ "", "application/vnd.github.diff", "", "application/vnd.github.DIFF", false },
	{ "", "application/vnd.github.diff", "", "application/vnd.github .diff", false },
	{ "", "application/vnd.github.raw", "", "application/vnd.github.diff", false },
};

Test(cachekey, canonical_forms)
{
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *k1 = key("/repos/o/r/issues", cases[i].q1, cases[i].a1, NULL);
		char *k2 = key("/repos/o/r/issues", cases[i].q2, cases[i].a2, NULL);

		cr_expect_eq(strcmp(k1, k2) == 0, cases[i].same, "case %zu: '%s' vs '%s'", i, k1, k2);
		free(k1);
		free(k2);
	}
}

Test(cachekey, path_first_and_version_counts)
{
	char *k1 = key("/repos/o/r", "b=1&a=2", NULL, "2022-11-28");
	char *k2 = key("/repos/o/r", "a=2&b=1", NULL, NULL);

	cr_expect_str_eq(k1, "/repos/o/r?a=2&b=1\n\n2022-11-28");
	cr_expect_str_neq(k1, k2);
	cr_expect_eq(strncmp(k2, "/repos/o/r?", 11), 0);
	free(k1);
	free(k2);
}

static struct freshness *
make_freshness(void)
{
	static struct config_cache_rule rules[] = {
		{ "/repos/*/*/pulls/*/files", 7 },
		{ "/meta", 3600 },
	};
	struct config cfg;

	memset(&cfg, 0, sizeof(cfg));
	cfg.cache.default_ttl_secs = 1;
	cfg.cache.repo_view_ttl_secs = 2;
	cfg.cache.pr_view_ttl_secs = 3;
	cfg.cache.issue_list_ttl_secs = 4;
	cfg.cache.run_list_ttl_secs = 5;
	cfg.cache.commit_list_ttl_secs = 6;
	cfg.cache.immutable_ttl_secs = 86400;
	cfg.cache.rules = rules;
	cfg.cache.n_rules = 2;
	return freshness_new(&cfg);
}

#define SHA "0123456789abcdef0123456789abcdef01234567"

static const struct {
	const char *path, *query;
	int64_t ttl;
} ttl_cases[] = {
	{ "/repos/o/r", "", 2 },
	{ "/repos/o/r/pulls", "state=open", 3 },
	{ "/repos/o/r/pulls/5", "", 3 },
	{ "/repos/o/r/pulls/5/files", "", 7 },           /* rule wins */
	{ "/repos/o/r/pulls/5/files/x", "", 3 },         /* '*' stays in a segment */
	{ "/repos/o/r/issues", "", 4 },
	{ "/repos/o/r/issues/5/comments", "", 4 },
	{ "/repos/o/r/actions/runs", "", 5 },
	{ "/repos/o/r/actions/jobs/9", "", 5 },
	{ "/repos/o/r/actions/workflows", "", 1 },
	{ "/repos/o/r/commits", "per_page=5", 6 },
	{ "/repos/o/r/commits/" SHA, "", 86400 },
	{ "/repos/o/r/commits/" SHA "/status", "", 1 },   /* changes over time */
	{ "/repos/o/r/commits/main", "", 1 },
	{ "/repos/o/r/git/trees/" SHA, "recursive=1", 86400 },
	{ "/repos/o/r/git/blobs/" SHA, "", 86400 },
	{ "/repos/o/r/contents/README.md", "ref=" SHA, 86400 },
	{ "/repos/o/r/contents/README.md", "ref=main", 1 },
	{ "/repos/o/r/readme", "ref=" SHA, 86400 },
	{ "/repos/o/r/deployments", "ref=" SHA, 1 },          /* a growing list */
	{ "/meta", "", 3600 },
	{ "/users/alice", "", 1 },
};

Test(freshness, ttl_by_rule_and_class)
{
	struct freshness *f = make_freshness();

	for (size_t i = 0; i < sizeof(ttl_cases) / sizeof(ttl_cases[0]); i++)
		cr_expect_eq(freshness_ttl(f, ttl_cases[i].path, ttl_cases[i].query,
		    strlen(ttl_cases[i].query)), ttl_cases[i].ttl, "%s?%s",
		    ttl_cases[i].path, ttl_cases[i].query);
	freshness_free(f);
}
