/*
 * test_rewrite.c - header allow-lists and Link/Location rewriting.
 */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "rewrite.h"
#include "leakcheck.h"

#define UP "https://api.github.com"
#define PUB "http://ghpool:8080"

static const struct {
	const char *in;
	const char *prefix;   /* request's /repos/{o}/{r}, or NULL */
	const char *out;
	const char *id_form;  /* NULL: "/repositories/" */
} link_cases[] = {
	{ "<" UP "/repositories/1001/issues?page=2>; rel=\"next\", <" UP "/repositories/1001/issues?page=4>; rel=\"last\"",
	  "/repos/octo-org/hello",
	  "<" PUB "/repos/octo-org/hello/issues?page=2>; rel=\"next\", <" PUB "/repos/octo-org/hello/issues?page=4>; rel=\"last\"", NULL },
	{ "<" UP "/repositories/1001/issues?page=2>; rel=\"next\"", NULL,
	  "<" PUB "/repositories/1001/issues?page=2>; rel=\"next\"", NULL },
	{ "<" UP "/repos/octo-org/hello/pulls?page=2&per_page=1>; rel=\"next\"", "/repos/octo-org/hello",
	  "<" PUB "/repos/octo-org/hello/pulls?page=2&per_page=1>; rel=\"next\"", NULL },
	{ "<" UP "/repositories/1001?page=2>; rel=\"next\"", "/repos/o/r",
	  "<" PUB "/repos/o/r?page=2>; rel=\"next\"", NULL },
	/* not ours: untouched */
	{ "<https://example.com/x?page=2>; rel=\"next\"", "/repos/o/r",
	  "<https://example.com/x?page=2>; rel=\"next\"", NULL },
	/* a longer host that merely starts with the upstream's name */
	{ "<https://api.github.com.evil/x>; rel=\"next\"", NULL,
	  "<https://api.github.com.evil/x>; rel=\"next\"", NULL },
	{ "<" UP "/repositories/12ab/x>; rel=\"next\"", "/repos/o/r",
	  "<" PUB "/repositories/12ab/x>; rel=\"next\"", NULL },
	{ "garbage without brackets", NULL, "garbage without brackets", NULL },
	{ "<" UP "/unterminated", NULL, "<" UP "/unterminated", NULL },
	/* /orgs/{o}/repos paginates as /organizations/{id}/repos */
	{ "<" UP "/organizations/9/repos?page=2>; rel=\"next\"", "/orgs/octo-org",
	  "<" PUB "/orgs/octo-org/repos?page=2>; rel=\"next\"", "/organizations/" },
	{ "<" UP "/user/77/repos?page=3>; rel=\"next\"", "/users/alice",
	  "<" PUB "/users/alice/repos?page=3>; rel=\"next\"", "/user/" },
	/* /user/repos (no id) is not the id form */
	{ "<" UP "/user/repos?page=3>; rel=\"next\"", "/users/alice",
	  "<" PUB "/user/repos?page=3>; rel=\"next\"", "/user/" },
};

Test(rewrite, link)
{
	for (size_t i = 0; i < sizeof(link_cases) / sizeof(link_cases[0]); i++) {
		const char *pre = link_cases[i].prefix;
		const char *form = link_cases[i].id_form ? link_cases[i].id_form : "/repositories/";
		char *got = rewrite_link(link_cases[i].in, UP, PUB, pre ? form : NULL, pre,
		    pre ? strlen(pre) : 0);
		cr_expect_str_eq(got, link_cases[i].out, "case %zu", i);
		free(got);
	}
}

Test(rewrite, location)
{
	char *got = rewrite_location(UP "/repositories/1001", UP, PUB);
	cr_expect_str_eq(got, PUB "/repositories/1001");
	free(got);
	got = rewrite_location("https://codeload.github.com/o/r/zip/main", UP, PUB);
	cr_expect_str_eq(got, "https://codeload.github.com/o/r/zip/main");
	free(got);
}

Test(rewrite, request_headers)
{
	static const char *yes[] = { "Accept", "accept", "X-GitHub-Api-Version", "If-None-Match", "If-Modified-Since" };
	static const char *no[] = { "Authorization", "Cookie", "Connection", "Keep-Alive", "Transfer-Encoding",
		"Host", "Proxy-Authorization", "Upgrade", "TE", "Content-Length", "X-Forwarded-For", "User-Agent" };

	for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++)
		cr_expect(rewrite_forward_request_header(yes[i]), "%s", yes[i]);
	for (size_t i = 0; i < sizeof(no) / sizeof(no[0]); i++)
		cr_expect_not(rewrite_forward_request_header(no[i]), "%s", no[i]);
}

Test(rewrite, response_headers)
{
	static const char *yes[] = { "Content-Type", "ETag", "Last-Modified", "Link", "Location", "Retry-After",
		"X-GitHub-Request-Id", "X-GitHub-Media-Type" };
	static const char *no[] = { "X-OAuth-Scopes", "X-Accepted-OAuth-Scopes", "Set-Cookie", "Connection",
		"Transfer-Encoding", "Content-Length", "Content-Encoding", "X-RateLimit-Remaining",
		"github-authentication-token-expiration" };

	for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++)
		cr_expect(rewrite_forward_response_header(yes[i]), "%s", yes[i]);
	for (size_t i = 0; i < sizeof(no) / sizeof(no[0]); i++)
		cr_expect_not(rewrite_forward_response_header(no[i]), "%s", no[i]);
}
