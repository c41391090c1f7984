/*
 * test_whois.c - unit tests of src/whois.c: the credential -> login memory
 * behind the audit trail, and the GET /user answer it learns from.
 *
 * Times are passed explicitly (now_ms), so nothing here sleeps.
 */
#include <criterion/criterion.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "whois.h"
#include "leakcheck.h"

#define HOUR_MS (3600 * 1000)

/* ------------------------------------------------------------------------
 * Helpers
 * ---------------------------------------------------------------------- */

/* s in a heap buffer of exactly its length, no NUL after it. */
static char *
exact_copy(const char *s, size_t len)
{
	char *b = malloc(len > 0 ? len : 1);

	cr_assert_not_null(b);
	memcpy(b, s, len);
	return b;
}

/* whois_get, checking the answer is a NUL-terminated string in bounds. */
static bool
get(struct whois *w, const char *auth, int64_t now_ms, char login[WHOIS_LOGIN_MAX])
{
	bool found;

	memset(login, 0x5a, WHOIS_LOGIN_MAX);
	login[WHOIS_LOGIN_MAX - 1] = '\0';
	found = whois_get(w, auth, now_ms, login);
	if (found)
		cr_assert_lt(strlen(login), WHOIS_LOGIN_MAX);
	return found;
}

static void
expect_login(struct whois *w, const char *auth, int64_t now_ms, const char *want)
{
	char login[WHOIS_LOGIN_MAX];
	bool found = get(w, auth, now_ms, login);

	if (want == NULL) {
		cr_expect_not(found, "'%s' at %lld: found '%s', want none", auth,
		    (long long)now_ms, login);
		return;
	}
	cr_expect(found, "'%s' at %lld: not found, want '%s'", auth, (long long)now_ms, want);
	if (found)
		cr_expect_str_eq(login, want, "'%s' at %lld", auth, (long long)now_ms);
}

/* ------------------------------------------------------------------------
 * The memory
 * ---------------------------------------------------------------------- */

Test(whois, get_before_put_is_false)
{
	struct whois *w = whois_new(8, HOUR_MS);

	expect_login(w, "token ghp_nothing_here", 1000, NULL);
	expect_login(w, "Bearer ghp_nothing_here", 1000, NULL);
	expect_login(w, "", 1000, NULL);
	whois_put(w, "token ghp_known", "alice", 1000);
	expect_login(w, "token ghp_other", 1001, NULL);
	whois_free(w);
}

static const struct {
	const char *put, *get;
	bool same;
} spelling_cases[] = {
	{ "token ghp_X1", "token ghp_X1", true },
	{ "token ghp_X1", "Bearer ghp_X1", true },
	{ "token ghp_X1", "bearer ghp_X1", true },
	{ "token ghp_X1", "token  ghp_X1", true },
	{ "Bearer ghp_X1", "token ghp_X1", true },
	{ "bearer ghp_X1", "token  ghp_X1", true },
	{ "Bearer ghp_X1", "BEARER ghp_X1", true },
	{ "TOKEN ghp_X1", "token ghp_X1", true },
	{ "token  ghp_X1", "Bearer   ghp_X1", true },
	/* different credentials never share */
	{ "token ghp_X1", "token ghp_X2", false },
	{ "token ghp_X1", "token ghp_X1x", false },
	{ "token ghp_X1", "token ghp_X", false },
	{ "token ghp_X1", "token ghp_x1", false },       /* credentials are case-sensitive */
	{ "Bearer ghp_X1", "Bearer ghp_X2", false },
	{ "token ghp_X1", "Basic ghp_X1", false },       /* another scheme is another credential */
	{ "Basic dXNlcjpwdw==", "Basic dXNlcjpwdx==", false },
};

Test(whois, spellings_of_one_credential_share_an_entry)
{
	for (size_t i = 0; i < sizeof(spelling_cases) / sizeof(spelling_cases[0]); i++) {
		struct whois *w = whois_new(8, HOUR_MS);
		char login[WHOIS_LOGIN_MAX];
		bool found;

		whois_put(w, spelling_cases[i].put, "alice", 5000);
		found = get(w, spelling_cases[i].get, 5001, login);
		cr_expect_eq(found, spelling_cases[i].same, "case %zu: put '%s', get '%s'",
		    i, spelling_cases[i].put, spelling_cases[i].get);
		if (found)
			cr_expect_str_eq(login, "alice", "case %zu", i);
		whois_free(w);
	}
}

Test(whois, spellings_share_one_slot)
{
	/* Room for two: four spellings of X must not push Y out. */
	struct whois *w = whois_new(2, HOUR_MS);

	whois_put(w, "token Y", "yvonne", 100);
	whois_put(w, "token X", "x1", 200);
	whois_put(w, "Bearer X", "x2", 300);
	whois_put(w, "bearer X", "x3", 400);
	whois_put(w, "token  X", "x4", 500);
	expect_login(w, "token Y", 600, "yvonne");
	expect_login(w, "token X", 600, "x4");
	expect_login(w, "Bearer X", 600, "x4");
	whois_free(w);
}

Test(whois, each_credential_keeps_its_login)
{
	struct whois *w = whois_new(16, HOUR_MS);
	char auth[64], want[32];

	for (int i = 0; i < 16; i++) {
		snprintf(auth, sizeof(auth), "token ghp_%02d", i);
		snprintf(want, sizeof(want), "user-%d", i);
		whois_put(w, auth, want, 1000 + i);
	}
	for (int i = 0; i < 16; i++) {
		snprintf(auth, sizeof(auth), "Bearer ghp_%02d", i);
		snprintf(want, sizeof(want), "user-%d", i);
		expect_login(w, auth, 2000, want);
	}
	whois_free(w);
}

Test(whois, ttl_expiry)
{
	struct whois *w = whois_new(4, 1000);

	whois_put(w, "token T", "tina", 5000);
	expect_login(w, "token T", 5000, "tina");
	expect_login(w, "token T", 5999, "tina");
	expect_login(w, "token T", 6000, NULL);     /* exactly the TTL old: expired */
	expect_login(w, "token T", 6001, NULL);
	expect_login(w, "token T", 1000000, NULL);
	/* learning it again starts a new hour */
	whois_put(w, "token T", "tina2", 7000);
	expect_login(w, "token T", 7999, "tina2");
	expect_login(w, "token T", 8000, NULL);
	whois_free(w);
}

Test(whois, ttl_counts_from_the_last_put)
{
	struct whois *w = whois_new(4, HOUR_MS);

	whois_put(w, "token A", "a", 1);
	whois_put(w, "token A", "a", HOUR_MS - 1);
	expect_login(w, "token A", HOUR_MS + 10, "a");
	expect_login(w, "token A", 2 * HOUR_MS - 2, "a");
	expect_login(w, "token A", 2 * HOUR_MS - 1, NULL);
	whois_free(w);
}

Test(whois, ttl_is_per_entry)
{
	struct whois *w = whois_new(4, 1000);

	whois_put(w, "token old", "old", 1000);
	whois_put(w, "token new", "new", 1800);
	expect_login(w, "token old", 2100, NULL);
	expect_login(w, "token new", 2100, "new");
	whois_free(w);
}

Test(whois, full_table_replaces_the_oldest)
{
	struct whois *w = whois_new(3, HOUR_MS);

	whois_put(w, "token A", "a", 100);
	whois_put(w, "token B", "b", 200);
	whois_put(w, "token C", "c", 300);
	whois_put(w, "token D", "d", 400);
	expect_login(w, "token A", 450, NULL);
	expect_login(w, "token B", 450, "b");
	expect_login(w, "token C", 450, "c");
	expect_login(w, "token D", 450, "d");
	whois_put(w, "token E", "e", 500);
	expect_login(w, "token B", 550, NULL);
	expect_login(w, "token C", 550, "c");
	expect_login(w, "token D", 550, "d");
	expect_login(w, "token E", 550, "e");
	whois_free(w);
}

Test(whois, oldest_by_time_not_by_slot)
{
	/* A is refreshed, so B is the oldest although A came first. */
	struct whois *w = whois_new(3, HOUR_MS);

	whois_put(w, "token A", "a", 100);
	whois_put(w, "token B", "b", 200);
	whois_put(w, "token C", "c", 300);
	whois_put(w, "Bearer A", "a2", 400);
	whois_put(w, "token D", "d", 500);
	expect_login(w, "token A", 600, "a2");
	expect_login(w, "token B", 600, NULL);
	expect_login(w, "token C", 600, "c");
	expect_login(w, "token D", 600, "d");
	whois_free(w);
}

Test(whois, reput_updates_in_place)
{
	/* Room for two; re-putting A a hundred times must never evict B. */
	struct whois *w = whois_new(2, HOUR_MS);

	whois_put(w, "token A", "alice", 100);
	whois_put(w, "token B", "bob", 200);
	for (int i = 0; i < 100; i++)
		whois_put(w, i % 2 ? "token A" : "Bearer A", i == 99 ? "alice-renamed" : "alice",
		    300 + i);
	expect_login(w, "token A", 1000, "alice-renamed");
	expect_login(w, "token B", 1000, "bob");
	whois_free(w);
}

Test(whois, zero_entries_still_holds_one)
{
	struct whois *w = whois_new(0, HOUR_MS);

	whois_put(w, "token A", "a", 10);
	expect_login(w, "token A", 20, "a");
	whois_put(w, "token B", "b", 30);
	expect_login(w, "token A", 40, NULL);
	expect_login(w, "token B", 40, "b");
	whois_free(w);
}

Test(whois, put_at_time_zero_is_remembered)
{
	/* stored_ms 0 marks an empty slot; a put at 0 must not look empty. */
	struct whois *w = whois_new(2, HOUR_MS);

	whois_put(w, "token Z", "zed", 0);
	expect_login(w, "token Z", 0, "zed");
	expect_login(w, "token Z", 1000, "zed");
	whois_free(w);
}

Test(whois, long_login_is_cut_in_bounds)
{
	struct whois *w = whois_new(2, HOUR_MS);
	char longer[200], login[WHOIS_LOGIN_MAX];

	memset(longer, 'L', sizeof(longer) - 1);
	longer[sizeof(longer) - 1] = '\0';
	whois_put(w, "token L", longer, 10);
	cr_assert(get(w, "token L", 20, login));
	cr_expect_eq(strlen(login), WHOIS_LOGIN_MAX - 1);
	cr_expect_eq(strncmp(login, longer, WHOIS_LOGIN_MAX - 1), 0);
	whois_free(w);
}

Test(whois, free_null)
{
	whois_free(NULL);
	cr_expect(true, "whois_free(NULL) returned");
}

/*
 * Many threads, more credentials than slots: entries come and go, but a
 * lookup never answers another credential's login.
 */
#define THREADS 8
#define CREDS 40
#define ROUNDS 20000

static atomic_int wrong_answers, hits;

static void *
hammer(void *arg)
{
	struct whois *w = arg;
	static atomic_int next_id;
	int id = atomic_fetch_add(&next_id, 1);

	for (int i = 0; i < ROUNDS; i++) {
		int k = (id * 7 + i * 13) % CREDS;
		char auth[32], want[32], login[WHOIS_LOGIN_MAX];

		snprintf(auth, sizeof(auth), "%s cred%d", (i & 1) ? "token" : "Bearer", k);
		snprintf(want, sizeof(want), "user%d", k);
		if (i % 3 == 0)
			whois_put(w, auth, want, 1 + i);
		if (whois_get(w, auth, 1 + i, login)) {
			atomic_fetch_add(&hits, 1);
			if (strcmp(login, want) != 0)
				atomic_fetch_add(&wrong_answers, 1);
		}
	}
	return NULL;
}

Test(whois, threads_never_mix_up_credentials)
{
	struct whois *w = whois_new(16, HOUR_MS);
	pthread_t t[THREADS];

	for (int i = 0; i < THREADS; i++)
		cr_assert_eq(pthread_create(&t[i], NULL, hammer, w), 0);
	for (int i = 0; i < THREADS; i++)
		pthread_join(t[i], NULL);
	cr_expect_eq(atomic_load(&wrong_answers), 0);
	cr_expect_gt(atomic_load(&hits), 0);
	whois_free(w);
}

/* ------------------------------------------------------------------------
 * GET /user answers
 * ---------------------------------------------------------------------- */

static const char login_63[] =
    "abcdefghij" "abcdefghij" "abcdefghij" "abcdefghij" "abcdefghij" "abcdefghij" "abc";
static const char login_64[] =
    "abcdefghij" "abcdefghij" "abcdefghij" "abcdefghij" "abcdefghij" "abcdefghij" "abcd";

#define USER(l) "{\"login\":\"" l "\",\"id\":1,\"type\":\"User\"}"

static const struct {
	const char *body;
	size_t len;         /* 0: strlen */
	const char *login;  /* NULL: refused */
} user_cases[] = {
	{ USER("octocat"), 0, "octocat" },
	{ USER("dependabot[bot]"), 0, "dependabot[bot]" },
	{ USER("github-actions[bot]"), 0, "github-actions[bot]" },
	{ USER("a-b"), 0, "a-b" },
	{ USER("user_emu"), 0, "user_emu" },
	{ USER("A"), 0, "A" },
	{ USER("Mona-Lisa-2024"), 0, "Mona-Lisa-2024" },
	{ "{\"id\":1,\"login\":\"last\"}", 0, "last" },
	{ " \n{ \"login\" : \"spaced\" }\n ", 0, "spaced" },
	{ "{\"login\":\"\\u0061bc\"}", 0, "abc" },          /* JSON escapes decode */
	/* missing or not a string */
	{ "{}", 0, NULL },
	{ "{\"id\":1,\"type\":\"User\"}", 0, NULL },
	{ "{\"Login\":\"octocat\"}", 0, NULL },
	{ "{\"user\":{\"login\":\"octocat\"}}", 0, NULL },
	{ "{\"login\":null}", 0, NULL },
	{ "{\"login\":42}", 0, NULL },
	{ "{\"login\":true}", 0, NULL },
	{ "{\"login\":[\"octocat\"]}", 0, NULL },
	{ "{\"login\":{\"name\":\"octocat\"}}", 0, NULL },
	/* empty or too long */
	{ USER(""), 0, NULL },
	{ USER("abcdefghijabcdefghijabcdefghijabcdefghij"
	       "abcdefghijabcdefghijabcdefghijabcdefghij"), 0, NULL },
	/* characters outside a login's alphabet */
	{ USER("a b"), 0, NULL },
	{ USER(" ab"), 0, NULL },
	{ USER("ab "), 0, NULL },
	{ USER("a/b"), 0, NULL },
	{ USER("../etc"), 0, NULL },
	{ USER("a\\\"b"), 0, NULL },
	{ USER("a'b"), 0, NULL },
	{ USER("a\\nb"), 0, NULL },
	{ USER("a\\rb"), 0, NULL },
	{ USER("a\\tb"), 0, NULL },
	{ USER("a\\\\b"), 0, NULL },
	{ USER("a.b"), 0, NULL },
	{ USER("a@b"), 0, NULL },
	{ USER("a;b"), 0, NULL },
	{ USER("a:b"), 0, NULL },
	{ USER("a=b"), 0, NULL },
	{ USER("a%20b"), 0, NULL },
	{ USER("\xc3\xa9t\xc3\xa9"), 0, NULL },              /* UTF-8 */
	{ USER("\\u00e9"), 0, NULL },
	{ USER("a\\u0000b"), 0, NULL },                     /* NUL: jansson refuses */
	{ USER("\\u001b[31m"), 0, NULL },                   /* terminal escape */
	/* "[bot]" only as a suffix of a real name */
	{ USER("[bot]"), 0, NULL },
	{ USER("a[bot]b"), 0, NULL },
	{ USER("a[bot"), 0, NULL },
	{ USER("a[bot] "), 0, NULL },
	{ USER("a[Bot]"), 0, NULL },
	{ USER("a[bot][bot]"), 0, NULL },
	/* not a JSON object */
	{ "", 0, NULL },
	{ "not json", 0, NULL },
	{ "<html>rate limited</html>", 0, NULL },
	{ "{\"login\":\"octocat\"", 0, NULL },
	{ "{\"login\":\"octocat\"} trailing", 0, NULL },
	{ "[{\"login\":\"octocat\"}]", 0, NULL },
	{ "[\"login\",\"octocat\"]", 0, NULL },
	{ "\"octocat\"", 0, NULL },
	{ "null", 0, NULL },
	/* the length says where the body ends */
	{ USER("octocat") "garbage", sizeof(USER("octocat")) - 1, "octocat" },
	{ USER("octocat"), 10, NULL },
};

Test(whois, parse_user_cases)
{
	for (size_t i = 0; i < sizeof(user_cases) / sizeof(user_cases[0]); i++) {
		size_t len = user_cases[i].len ? user_cases[i].len : strlen(user_cases[i].body);
		char *b = exact_copy(user_cases[i].body, len);
		char login[WHOIS_LOGIN_MAX];
		bool ok;

		memset(login, 0x5a, sizeof(login));
		ok = whois_parse_user(b, len, login);
		free(b);
		if (user_cases[i].login == NULL) {
			cr_expect_not(ok, "case %zu: '%s' accepted as '%.*s'", i,
			    user_cases[i].body, WHOIS_LOGIN_MAX, login);
			continue;
		}
		cr_expect(ok, "case %zu: '%s' refused", i, user_cases[i].body);
		if (ok) {
			cr_assert_lt(strnlen(login, sizeof(login)), sizeof(login), "case %zu", i);
			cr_expect_str_eq(login, user_cases[i].login, "case %zu", i);
		}
	}
}

Test(whois, parse_user_length_bounds)
{
	char body[256], login[WHOIS_LOGIN_MAX];

	cr_assert_eq(strlen(login_63), WHOIS_LOGIN_MAX - 1);
	cr_assert_eq(strlen(login_64), WHOIS_LOGIN_MAX);

	snprintf(body, sizeof(body), "{\"login\":\"%s\"}", login_63);
	cr_expect(whois_parse_user(body, strlen(body), login));
	cr_expect_str_eq(login, login_63);

	snprintf(body, sizeof(body), "{\"login\":\"%s\"}", login_64);
	cr_expect_not(whois_parse_user(body, strlen(body), login));

	/* a bot name of 64 characters in all is too long as well */
	snprintf(body, sizeof(body), "{\"login\":\"%.59s[bot]\"}", login_64);
	cr_expect_not(whois_parse_user(body, strlen(body), login));
	snprintf(body, sizeof(body), "{\"login\":\"%.58s[bot]\"}", login_64);
	cr_expect(whois_parse_user(body, strlen(body), login));
	cr_expect_eq(strlen(login), 63);
}

Test(whois, parse_user_then_remember)
{
	/* The flow passthrough.c runs: parse the answer, remember, look up. */
	static const char body[] = "{\"login\":\"dependabot[bot]\",\"id\":49699333}";
	struct whois *w = whois_new(4, HOUR_MS);
	char login[WHOIS_LOGIN_MAX];

	cr_assert(whois_parse_user(body, sizeof(body) - 1, login));
	whois_put(w, "token ghs_app", login, 42);
	expect_login(w, "Bearer ghs_app", 43, "dependabot[bot]");
	whois_free(w);
}
