/*
 * test_route.c - path validation, buckets and owner extraction, as tables.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "route.h"
#include "leakcheck.h"

static const struct {
	const char *path;
	bool valid;
} path_cases[] = {
	{ "/", true },
	{ "/repos/octo-org/hello", true },
	{ "/repos/octo-org/hello/contents/dir%2Ffile.txt", true },
	{ "/repos/octo-org/hello/issues", true },
	{ "/repos/octo-org/hello/..", false },
	{ "/repos/octo-org/hello/..%2f..%2fother", false },
	{ "/repos/octo-org/hello/a%2F..%2Fb", false },
	{ "/repos/octo-org/hello/contents/a%2F.github%2Fx", true },
	{ "/%72epos/other/x", false },
	{ "/repos/%6Fcto-org/x", false },
	{ "/repos/octo-org/hello/a%20b", true },
	{ "/repos/octo-org/hello/a%25b", true },
	{ "/repos/octo-org/hello/a%zzb", false },
	{ "/repos/octo-org/hello/a%2", false },
	{ "/repos/octo-org/hello/a%1fb", false },
	{ "/repos/octo-org/hello/a%7Fb", false },
	{ "/repos/\xff/x", false },
	{ "/repos/octo-org/hello x", false },
	{ "/repos/octo-org/hello/../../evil/x", false },
	{ "/repos/octo-org/./hello", false },
	{ "/repos/octo-org/%2e%2e/x", false },
	{ "/repos/octo-org/%2E./x", false },
	{ "/repos/octo-org/.%2e", false },
	{ "/repos/octo-org/...", true },
	{ "/repos/octo-org/.github", true },
	{ "/repos//hello", false },
	{ "/repos/octo-org/hello/", false },
	{ "/repos\\octo-org", false },
	{ "/repos/octo%5corg", false },
	{ "/repos/octo%00org", false },
	{ "/repos/octo%0aorg", false },
	{ "repos/octo-org", false },
	/* The deciding segments carry no percent-encoding at all. */
	{ "/repos/octo-org/he%2Fllo", false },
	{ "/repos/octo%2Forg/hello", false },
	{ "/networks/octo-org/he%2Fllo/events", false },
	{ "/orgs/a%2Fb", false },
	{ "/users/a%40b/repos", false },
	{ "/repositories/1%2F2", false },
	{ "/search%2Fissues", false },
	{ "/orgs/octo-org/teams/a%2Fb", true },
	{ "/repos/octo-org/hello/git/ref/heads%2Fmain", true },
	{ "/gitignore/templates/C%2B%2B", true },
	{ "", false },
};

Test(route, path_validation)
{
	for (size_t i = 0; i < sizeof(path_cases) / sizeof(path_cases[0]); i++) {
		const char *why = route_path_invalid(path_cases[i].path, strlen(path_cases[i].path));
		cr_expect_eq(why == NULL, path_cases[i].valid, "%s: expected %s, got %s",
		    path_cases[i].path, path_cases[i].valid ? "valid" : "invalid",
		    why ? why : "valid");
	}
}

Test(route, control_character_rejected)
{
	const char p[] = "/repos/a\x01/b";
	cr_expect_not_null(route_path_invalid(p, strlen(p)));
}

static const struct {
	const char *path;
	const char *bucket;
} bucket_cases[] = {
	{ "/repos/o/r", "core" },
	{ "/search/code", "code_search" },
	{ "/search/issues", "search" },
	{ "/search/repositories", "search" },
	{ "/search", "core" },
	{ "/searching", "core" },
	{ "/user", "core" },
};

Test(route, buckets)
{
	for (size_t i = 0; i < sizeof(bucket_cases) / sizeof(bucket_cases[0]); i++)
		cr_expect_str_eq(route_bucket(bucket_cases[i].path, strlen(bucket_cases[i].path)),
		    bucket_cases[i].bucket, "%s", bucket_cases[i].path);
}

static const struct {
	const char *path;
	enum route_family family;
	const char *owner;
	const char *repo;
	size_t prefix_len;
} family_cases[] = {
	{ "/repos/octo-org/hello/issues", ROUTE_REPOS, "octo-org", "hello", 21 },
	{ "/repos/octo-org/hello", ROUTE_REPOS, "octo-org", "hello", 21 },
	{ "/repos/octo-org", ROUTE_REPOS, "octo-org", NULL, 0 },
	{ "/orgs/octo-org/repos", ROUTE_ORGS, "octo-org", NULL, 14 },
	{ "/users/alice", ROUTE_USERS, "alice", NULL, 12 },
	{ "/networks/o/r/events", ROUTE_NETWORKS, "o", "r", 0 },
	{ "/repositories/1001/issues", ROUTE_REPO_ID, "1001", NULL, 0 },
	{ "/repositories/1001", ROUTE_REPO_ID, "1001", NULL, 0 },
	{ "/repositories", ROUTE_OTHER, NULL, NULL, 0 },
	{ "/repositories/abc", ROUTE_OTHER, NULL, NULL, 0 },
	{ "/repositories/01001", ROUTE_OTHER, NULL, NULL, 0 },
	{ "/repositories/0", ROUTE_OTHER, NULL, NULL, 0 },
	{ "/repositories/9223372036854775807", ROUTE_REPO_ID, "9223372036854775807", NULL, 0 },
	{ "/repositories/12345678901234567890", ROUTE_OTHER, NULL, NULL, 0 },
	{ "/organizations/9/repos", ROUTE_OTHER, NULL, NULL, 0 },
	{ "/user/77", ROUTE_IDENTITY, NULL, NULL, 0 },
	{ "/user/repos", ROUTE_IDENTITY, NULL, NULL, 0 },
	{ "/user", ROUTE_IDENTITY, NULL, NULL, 0 },
	{ "/Notifications", ROUTE_IDENTITY, NULL, NULL, 0 },
	{ "/issues", ROUTE_IDENTITY, NULL, NULL, 0 },
	{ "/gists/1/comments", ROUTE_IDENTITY, NULL, NULL, 0 },
	{ "/installation/repositories", ROUTE_IDENTITY, NULL, NULL, 0 },
	{ "/search/issues", ROUTE_SEARCH, NULL, NULL, 0 },
	{ "/search", ROUTE_OTHER, NULL, NULL, 0 },
	{ "/meta", ROUTE_PUBLIC, NULL, NULL, 0 },
	{ "/meta/x", ROUTE_OTHER, NULL, NULL, 0 },
	{ "/licenses/mit", ROUTE_PUBLIC, NULL, NULL, 0 },
	{ "/gitignore/templates/C", ROUTE_PUBLIC, NULL, NULL, 0 },
	{ "/gitignore", ROUTE_OTHER, NULL, NULL, 0 },
	{ "/gitignore/other", ROUTE_OTHER, NULL, NULL, 0 },
	{ "/repos", ROUTE_OTHER, NULL, NULL, 0 },
	{ "/users", ROUTE_OTHER, NULL, NULL, 0 },
	{ "/rate_limit/x", ROUTE_OTHER, NULL, NULL, 0 },
	{ "/advisories", ROUTE_OTHER, NULL, NULL, 0 },
	{ "/REPOS/Evil/x", ROUTE_REPOS, "Evil", "x", 13 },
	{ "/Orgs/evil", ROUTE_ORGS, "evil", NULL, 10 },
	{ "/rate_limit", ROUTE_RATE_LIMIT, NULL, NULL, 0 },
	{ "/reposx/o/r", ROUTE_OTHER, NULL, NULL, 0 },
};

Test(route, families)
{
	for (size_t i = 0; i < sizeof(family_cases) / sizeof(family_cases[0]); i++) {
		struct route_info ri;
		const char *p = family_cases[i].path;

		route_parse(p, strlen(p), &ri);
		cr_expect_eq(ri.family, family_cases[i].family, "%s family", p);
		if (family_cases[i].owner) {
			cr_expect_eq(ri.owner_len, strlen(family_cases[i].owner), "%s owner", p);
			cr_expect(strncmp(ri.owner, family_cases[i].owner, ri.owner_len) == 0, "%s owner", p);
		} else {
			cr_expect_null(ri.owner, "%s owner", p);
		}
		if (family_cases[i].repo) {
			cr_expect_eq(ri.repo_len, strlen(family_cases[i].repo), "%s repo", p);
			cr_expect(strncmp(ri.repo, family_cases[i].repo, ri.repo_len) == 0, "%s repo", p);
		}
		cr_expect_eq(ri.prefix_len, family_cases[i].prefix_len, "%s prefix", p);
	}
}

Test(route, target_clean)
{
	cr_expect(route_target_clean("/a?q=a%20b&x=1", 14));
	cr_expect_not(route_target_clean("/a?q=a b", 8));
	cr_expect_not(route_target_clean("/a?q=\x01", 6));
	cr_expect_not(route_target_clean("/a?q=\xc3\xa9", 7));
}

Test(route, management)
{
	cr_expect(route_is_management("/healthz", 8));
	cr_expect(route_is_management("/stats", 6));
	cr_expect_not(route_is_management("/stats/x", 8));
	cr_expect_not(route_is_management("/health", 7));
}
