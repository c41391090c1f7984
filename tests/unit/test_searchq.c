/*
 * test_searchq.c - the q parameter of searches and its scope, as tables.
 */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "searchq.h"
#include "leakcheck.h"

static const struct {
	const char *query;
	const char *q;        /* NULL: refused */
} query_cases[] = {
	{ "q=repo:octo-org/hello", "repo:octo-org/hello" },
	{ "q=repo%3Aocto-org%2Fhello+is%3Aopen&per_page=5", "repo:octo-org/hello is:open" },
	{ "per_page=5&q=a+b", "a b" },
	{ "q=", "" },
	{ "q", "" },
	{ "%71=org:x", "org:x" },                 /* an encoded key is still q */
	{ "q=a&q=b", NULL },
	{ "q=a&%71=b", NULL },
	{ "q[]=a", NULL },
	{ "q%5B%5D=a&q=b", NULL },
	{ "q=a;q=b", NULL },
	{ "per_page=5", NULL },
	{ "", NULL },
	{ "q=a%zz", NULL },
	{ "q=a%2", NULL },
	{ "q=a%00b", NULL },
	{ "q=a&sort=created&order=desc&per_page=100&page=3&advanced_search=true", "a" },
	{ "q=a&repository_id=1004", NULL },          /* /search/labels: scoped by id */
	{ "q=a&q]=b", NULL },
	{ "q=a&[q]=b", NULL },
	{ "q=a&%5Bq%5D=b", NULL },
	{ "q=a&Q=b", NULL },
};

Test(searchq, from_query)
{
	for (size_t i = 0; i < sizeof(query_cases) / sizeof(query_cases[0]); i++) {
		const char *why = NULL;
		char *q = searchq_from_query(query_cases[i].query, strlen(query_cases[i].query), &why);

		if (query_cases[i].q == NULL) {
			cr_expect_null(q, "%s: expected refusal, got '%s'", query_cases[i].query, q);
			cr_expect_not_null(why, "%s: no reason", query_cases[i].query);
		} else {
			cr_expect_not_null(q, "%s: refused: %s", query_cases[i].query, why);
			if (q != NULL)
				cr_expect_str_eq(q, query_cases[i].q, "%s", query_cases[i].query);
		}
		free(q);
	}
}

static bool
allow_two(void *ctx, const char *owner, size_t len)
{
	(void)ctx;
	return (len == 8 && strncasecmp(owner, "octo-org", 8) == 0) ||
	    (len == 5 && strncasecmp(owner, "alice", 5) == 0);
}

static const struct {
	const char *q;
	bool scoped;
} scope_cases[] = {
	{ "repo:octo-org/hello", true },
	{ "repo:octo-org/hello is:open is:pr", true },
	{ "bug repo:octo-org/hello label:\"help wanted\"", true },
	{ "org:octo-org fix", true },
	{ "user:alice", true },
	{ "REPO:Octo-Org/hello", true },
	{ "repo:octo-org/hello repo:alice/tools", true },
	{ "repo:octo-org/hello -repo:alice/x", true },
	{ "repo:octo-org/hello\tstate:open", true },
	{ "repo:octo-org/hello.js_x-y", true },
	{ "", false },
	{ "bug", false },
	{ "is:open is:pr", false },
	{ "-repo:octo-org/hello", false },               /* negation only: everything else */
	{ "repo:evil/x", false },
	{ "repo:octo-org/hello repo:evil/x", false },
	{ "repo:octo-org/hello -repo:evil/x", false },   /* every qualifier is judged */
	{ "org:octo-org user:evil", false },
	{ "repo:octo-org/hello OR is:open", false },
	{ "repo:octo-org/hello or bug", false },
	{ "repo:octo-org/hello AND bug", false },
	{ "repo:octo-org/hello NOT bug", false },
	{ "(repo:octo-org/hello)", false },
	{ "repo:octo-org/hello (is:open)", false },
	{ "\"x repo:octo-org/hello y\"", false },        /* a qualifier inside quotes is text */
	{ "\"repo:octo-org/hello\"", false },
	{ "repo:\"octo-org/hello\"", false },
	{ "repo:octo-org/hello \"unbalanced", false },
	{ "x,repo:octo-org/hello", false },
	{ "repo:octo-org/hello,repo:evil/x", false },
	{ "repo:octo-org/hello/x", false },
	{ "repo:octo-org", false },
	{ "repo:octo-org/", false },
	{ "repo:/hello", false },
	{ "repo:", false },
	{ "org:octo-org/x", false },
	{ "org:", false },
	{ "--repo:octo-org/hello", false },
	{ "repo:octo-org/hello repo:\\evil/x", false },
	{ "xorg:octo-org", false },
	{ "repo:octo-org/hello\xc2\xa0repo:evil/x", false },   /* NBSP is no separator */
};

Test(searchq, scope)
{
	char buf[200];

	for (size_t i = 0; i < sizeof(scope_cases) / sizeof(scope_cases[0]); i++) {
		const char *q = scope_cases[i].q;
		const char *why = searchq_check(q, strlen(q), allow_two, NULL, buf, sizeof(buf));

		cr_expect_eq(why == NULL, scope_cases[i].scoped, "'%s': expected %s, got %s", q,
		    scope_cases[i].scoped ? "scoped" : "refused", why ? why : "scoped");
	}
}

Test(searchq, refusal_names_owner)
{
	char buf[200];
	const char *why = searchq_check("repo:evil-corp/x", 16, allow_two, NULL, buf, sizeof(buf));

	cr_assert_not_null(why);
	cr_expect(strstr(why, "evil-corp") != NULL, "%s", why);
}
