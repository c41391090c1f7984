/*
 * test_graphql.c - unit tests of src/graphql.c: the JSON envelope of a
 * POST /graphql request (status, kind, cache key) and what an answer says
 * (data, errors, RATE_LIMITED).
 *
 * Request bodies are copied into buffers of exactly their length, so ASan
 * sees any read past the end.
 */
#include <criterion/criterion.h>
#include <event2/buffer.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "graphql.h"
#include "leakcheck.h"

/* ------------------------------------------------------------------------
 * Helpers
 * ---------------------------------------------------------------------- */

static char *
exact_copy(const char *s, size_t len)
{
	char *b = malloc(len > 0 ? len : 1);

	cr_assert_not_null(b);
	memcpy(b, s, len);
	return b;
}

/* Parses body (len bytes), checking what holds for every outcome. */
static int
parse_n(const char *body, size_t len, struct graphql_request *r, char *err, size_t errlen)
{
	char *b = exact_copy(body, len);
	int status;

	memset(r, 0x5a, sizeof(*r));
	memset(err, 0, errlen);
	status = graphql_request_parse(b, len, r, err, errlen);
	free(b);
	cr_assert(status == 0 || status == 400 || status == 413, "status %d", status);
	if (status != 0) {
		cr_assert_neq(err[0], '\0', "a refusal says why");
		cr_assert_null(r->key_query);
	} else {
		/* a key for exactly the queries */
		cr_assert_eq(r->key_query != NULL, r->op.kind == GQL_QUERY,
		    "kind %s, key %s", gql_kind_name(r->op.kind),
		    r->key_query ? r->key_query : "(null)");
		cr_assert_eq(r->op.kind == GQL_INVALID, r->op.error != NULL);
	}
	return status;
}

static int
parse(const char *body, struct graphql_request *r, char *err, size_t errlen)
{
	return parse_n(body, strlen(body), r, err, errlen);
}

/* The key of a body that must parse as a query; caller frees. */
static char *
key_of(const char *body)
{
	struct graphql_request r;
	char err[256];
	int status = parse(body, &r, err, sizeof(err));
	char *k;

	cr_assert_eq(status, 0, "%s: %d %s", body, status, err);
	cr_assert_eq(r.op.kind, GQL_QUERY, "%s: %s (%s)", body, gql_kind_name(r.op.kind),
	    r.op.error ? r.op.error : "");
	cr_assert_not_null(r.key_query);
	k = strdup(r.key_query);
	graphql_request_clear(&r);
	return k;
}

/* ------------------------------------------------------------------------
 * The envelope
 * ---------------------------------------------------------------------- */

#define NO_KIND (-1)

static const struct {
	const char *body;
	int status;
	int kind;              /* enum gql_kind when status is 0 */
	const char *name;      /* op.name when status is 0; NULL: not checked */
	const char *err_has;   /* a word the refusal names; NULL: not checked */
} parse_cases[] = {
	/* not a JSON object */
	{ "", 400, NO_KIND, NULL, "JSON" },
	{ "not json", 400, NO_KIND, NULL, "JSON" },
	{ "{", 400, NO_KIND, NULL, "JSON" },
	{ "{\"query\":\"{ a }\"", 400, NO_KIND, NULL, "JSON" },
	{ "{\"query\":\"{ a }\"} x", 400, NO_KIND, NULL, "JSON" },
	{ "{\"query\":\"{ a }\",}", 400, NO_KIND, NULL, "JSON" },
	{ "{'query':'{ a }'}", 400, NO_KIND, NULL, "JSON" },
	{ "[]", 400, NO_KIND, NULL, "JSON" },
	{ "[{\"query\":\"{ a }\"}]", 400, NO_KIND, NULL, "JSON" },
	{ "\"{ a }\"", 400, NO_KIND, NULL, "JSON" },
	{ "null", 400, NO_KIND, NULL, "JSON" },
	{ "42", 400, NO_KIND, NULL, "JSON" },
	{ "true", 400, NO_KIND, NULL, "JSON" },
	/* query */
	{ "{}", 400, NO_KIND, NULL, "query" },
	/* A repeated member could be read differently upstream: refused. */
	{ "{\"query\":\"mutation { a }\",\"query\":\"{ a }\"}", 400, NO_KIND, NULL, "JSON" },
	{ "{\"query\":\"{ a }\",\"operationName\":null,\"operationName\":\"X\"}", 400, NO_KIND,
	  NULL, "JSON" },
	{ "{\"variables\":{}}", 400, NO_KIND, NULL, "query" },
	{ "{\"Query\":\"{ a }\"}", 400, NO_KIND, NULL, "query" },
	{ "{\"query\":null}", 400, NO_KIND, NULL, "query" },
	{ "{\"query\":1}", 400, NO_KIND, NULL, "query" },
	{ "{\"query\":true}", 400, NO_KIND, NULL, "query" },
	{ "{\"query\":{}}", 400, NO_KIND, NULL, "query" },
	{ "{\"query\":[\"{ a }\"]}", 400, NO_KIND, NULL, "query" },
	/* variables */
	{ "{\"query\":\"{ a }\",\"variables\":[]}", 400, NO_KIND, NULL, "variables" },
	{ "{\"query\":\"{ a }\",\"variables\":[{\"x\":1}]}", 400, NO_KIND, NULL, "variables" },
	{ "{\"query\":\"{ a }\",\"variables\":\"{}\"}", 400, NO_KIND, NULL, "variables" },
	{ "{\"query\":\"{ a }\",\"variables\":\"\"}", 400, NO_KIND, NULL, "variables" },
	{ "{\"query\":\"{ a }\",\"variables\":0}", 400, NO_KIND, NULL, "variables" },
	{ "{\"query\":\"{ a }\",\"variables\":1.5}", 400, NO_KIND, NULL, "variables" },
	{ "{\"query\":\"{ a }\",\"variables\":false}", 400, NO_KIND, NULL, "variables" },
	{ "{\"query\":\"{ a }\",\"variables\":null}", 0, GQL_QUERY, "", NULL },
	{ "{\"query\":\"{ a }\",\"variables\":{}}", 0, GQL_QUERY, "", NULL },
	{ "{\"query\":\"{ a }\",\"variables\":{\"x\":[1,{\"y\":null}]}}", 0, GQL_QUERY, "", NULL },
	/* operationName */
	{ "{\"query\":\"{ a }\",\"operationName\":1}", 400, NO_KIND, NULL, "operationName" },
	{ "{\"query\":\"{ a }\",\"operationName\":true}", 400, NO_KIND, NULL, "operationName" },
	{ "{\"query\":\"{ a }\",\"operationName\":[]}", 400, NO_KIND, NULL, "operationName" },
	{ "{\"query\":\"{ a }\",\"operationName\":{}}", 400, NO_KIND, NULL, "operationName" },
	{ "{\"query\":\"{ a }\",\"operationName\":null}", 0, GQL_QUERY, "", NULL },
	{ "{\"query\":\"query Q { a }\",\"operationName\":\"Q\"}", 0, GQL_QUERY, "Q", NULL },
	/* kinds */
	{ "{\"query\":\"{ viewer { login } }\"}", 0, GQL_QUERY, "", NULL },
	{ "{\"query\":\"query { viewer { login } }\"}", 0, GQL_QUERY, "", NULL },
	{ "{\"query\":\"query Viewer { viewer { login } }\"}", 0, GQL_QUERY, "Viewer", NULL },
	{ "{\"query\":\"mutation AddStar { addStar(input: {}) { clientMutationId } }\"}",
	  0, GQL_MUTATION, "AddStar", NULL },
	{ "{\"query\":\"mutation { a }\"}", 0, GQL_MUTATION, "", NULL },
	{ "{\"query\":\"subscription S { a }\"}", 0, GQL_SUBSCRIPTION, "S", NULL },
	{ "{\"query\":\"query A { a } mutation B { b }\",\"operationName\":\"A\"}",
	  0, GQL_QUERY, "A", NULL },
	{ "{\"query\":\"query A { a } mutation B { b }\",\"operationName\":\"B\"}",
	  0, GQL_MUTATION, "B", NULL },
	{ "{\"query\":\"query A { a } query B { b }\",\"operationName\":\"B\"}",
	  0, GQL_QUERY, "B", NULL },
	/* valid envelopes, documents that cannot run: the caller decides */
	{ "{\"query\":\"query A { a } mutation B { b }\"}", 0, GQL_INVALID, "", NULL },
	{ "{\"query\":\"query A { a } mutation B { b }\",\"operationName\":\"C\"}",
	  0, GQL_INVALID, "", NULL },
	{ "{\"query\":\"{ a\"}", 0, GQL_INVALID, "", NULL },
	{ "{\"query\":\"\"}", 0, GQL_INVALID, "", NULL },
	{ "{\"query\":\"# just a comment\"}", 0, GQL_INVALID, "", NULL },
	{ "{\"query\":\"fragment F on T { a }\"}", 0, GQL_INVALID, "", NULL },
	/* JSON escapes in the document decode before gql sees it */
	{ "{\"query\":\"\\u006dutation { a }\"}", 0, GQL_MUTATION, "", NULL },
	{ "{\"query\":\"query Q {\\n  a\\n}\\n\"}", 0, GQL_QUERY, "Q", NULL },
};

Test(graphql, request_parse_cases)
{
	for (size_t i = 0; i < sizeof(parse_cases) / sizeof(parse_cases[0]); i++) {
		struct graphql_request r;
		char err[256];
		int status = parse(parse_cases[i].body, &r, err, sizeof(err));

		cr_expect_eq(status, parse_cases[i].status, "case %zu: %s -> %d (%s)", i,
		    parse_cases[i].body, status, err);
		if (status != parse_cases[i].status) {
			if (status == 0)
				graphql_request_clear(&r);
			continue;
		}
		if (status != 0) {
			if (parse_cases[i].err_has != NULL)
				cr_expect_not_null(strstr(err, parse_cases[i].err_has),
				    "case %zu: '%s' does not mention %s", i, err,
				    parse_cases[i].err_has);
			continue;
		}
		cr_expect_eq(r.op.kind, (enum gql_kind)parse_cases[i].kind,
		    "case %zu: %s: %s (%s)", i, parse_cases[i].body, gql_kind_name(r.op.kind),
		    r.op.error ? r.op.error : "");
		if (parse_cases[i].name != NULL)
			cr_expect_str_eq(r.op.name, parse_cases[i].name, "case %zu", i);
		graphql_request_clear(&r);
	}
}

Test(graphql, error_fits_a_small_buffer)
{
	struct graphql_request r;
	char err[8];

	cr_expect_eq(parse("[]", &r, err, sizeof(err)), 400);
	cr_expect_lt(strnlen(err, sizeof(err)), sizeof(err));
}

Test(graphql, clear_is_idempotent)
{
	struct graphql_request r;
	char err[256];

	cr_assert_eq(parse("{\"query\":\"{ a }\"}", &r, err, sizeof(err)), 0);
	cr_assert_not_null(r.key_query);
	graphql_request_clear(&r);
	cr_expect_null(r.key_query);
	graphql_request_clear(&r);
	cr_expect_null(r.key_query);

	/* a refused request holds nothing to free either */
	cr_assert_eq(parse("{}", &r, err, sizeof(err)), 400);
	graphql_request_clear(&r);
	cr_expect_null(r.key_query);
}

/* ------------------------------------------------------------------------
 * The size bound
 * ---------------------------------------------------------------------- */

/* {"query":"{ a } #xxxx"} of exactly size bytes: a comment pads the document. */
static char *
padded_comment(size_t size)
{
	static const char head[] = "{\"query\":\"{ a } #", tail[] = "\"}";
	size_t hl = sizeof(head) - 1, tl = sizeof(tail) - 1;
	char *b = malloc(size);

	cr_assert_not_null(b);
	cr_assert_gt(size, hl + tl);
	memcpy(b, head, hl);
	memset(b + hl, 'x', size - hl - tl);
	memcpy(b + size - tl, tail, tl);
	return b;
}

/* {"query":"{ a }"} and white space after it, exactly size bytes. */
static char *
padded_space(size_t size)
{
	static const char doc[] = "{\"query\":\"{ a }\"}";
	char *b = malloc(size);

	cr_assert_not_null(b);
	memset(b, ' ', size);
	memcpy(b, doc, sizeof(doc) - 1);
	for (size_t i = sizeof(doc) - 1; i < size; i += 64)
		b[i] = '\n';
	return b;
}

Test(graphql, body_exactly_at_the_limit)
{
	char *want = key_of("{\"query\":\"{ a }\"}");
	char *(*pad[])(size_t) = { padded_comment, padded_space };

	for (size_t i = 0; i < 2; i++) {
		for (size_t size = GRAPHQL_MAX_BODY - 1; size <= GRAPHQL_MAX_BODY; size++) {
			char *b = pad[i](size), err[256];
			struct graphql_request r;
			int status = parse_n(b, size, &r, err, sizeof(err));

			free(b);
			cr_expect_eq(status, 0, "pad %zu, %zu bytes: %d %s", i, size, status, err);
			if (status != 0)
				continue;
			cr_expect_eq(r.op.kind, GQL_QUERY, "pad %zu, %zu bytes", i, size);
			if (r.key_query != NULL)
				cr_expect_str_eq(r.key_query, want, "pad %zu: layout changed the key", i);
			graphql_request_clear(&r);
		}
	}
	free(want);
}

Test(graphql, body_over_the_limit)
{
	char *(*pad[])(size_t) = { padded_comment, padded_space };
	struct graphql_request r;
	char err[256], *b;

	for (size_t i = 0; i < 2; i++) {
		b = pad[i](GRAPHQL_MAX_BODY + 1);
		cr_expect_eq(parse_n(b, GRAPHQL_MAX_BODY + 1, &r, err, sizeof(err)), 413, "pad %zu", i);
		cr_expect_neq(err[0], '\0');
		free(b);
	}
	/* refused on size alone, before it is read */
	b = malloc(4 * GRAPHQL_MAX_BODY);
	cr_assert_not_null(b);
	memset(b, '[', 4 * GRAPHQL_MAX_BODY);
	cr_expect_eq(parse_n(b, 4 * GRAPHQL_MAX_BODY, &r, err, sizeof(err)), 413);
	free(b);
}

/* ------------------------------------------------------------------------
 * The key
 * ---------------------------------------------------------------------- */

Test(graphql, key_format)
{
	static const char *bodies[] = {
		"{\"query\":\"{ a }\"}",
		"{\"query\":\"query Q($x: Int) { a(x: $x) }\",\"variables\":{\"x\":1},"
		    "\"operationName\":\"Q\"}",
		"{\"query\":\"{ a(s: \\\"\\u00e9\\\") }\"}",
	};

	for (size_t i = 0; i < sizeof(bodies) / sizeof(bodies[0]); i++) {
		char *k = key_of(bodies[i]);

		cr_expect_eq(strlen(k), 4 + 64, "%s", k);
		cr_expect_eq(strncmp(k, "#op=", 4), 0, "%s", k);
		for (size_t j = 4; j < strlen(k); j++)
			cr_expect((k[j] >= '0' && k[j] <= '9') || (k[j] >= 'a' && k[j] <= 'f'),
			    "%s: byte %zu is not lowercase hex", k, j);
		free(k);
	}
}

Test(graphql, key_is_stable)
{
	char *a = key_of("{\"query\":\"{ a }\",\"variables\":{\"b\":[1,2],\"a\":\"x\"}}");
	char *b = key_of("{\"query\":\"{ a }\",\"variables\":{\"b\":[1,2],\"a\":\"x\"}}");

	cr_expect_str_eq(a, b);
	free(a);
	free(b);
}

#define Q(doc) "{\"query\":\"" doc "\"}"
#define QV(doc, vars) "{\"query\":\"" doc "\",\"variables\":" vars "}"
#define QN(doc, name) "{\"query\":\"" doc "\",\"operationName\":" name "}"
#define QVAR "query V($x: Int) { a(x: $x) }"

static const struct {
	const char *a, *b;
	bool same;
} key_pairs[] = {
	/* layout of the document */
	{ Q("{ a, b }"), Q("{a b}"), true },
	{ Q("{ a b } # trailing"), Q("{a b}"), true },
	{ Q("# leading\\n{ a }"), Q("{ a }"), true },
	{ Q("query Q {\\n  viewer {\\n    login\\n  }\\n}\\n"), Q("query Q{viewer{login}}"), true },
	{ Q("{\\r\\n\\ta,,,\\r\\n}"), Q("{ a }"), true },
	{ Q("{ a(x: 1, y: 2) }"), Q("{a(x:1 y:2)}"), true },
	{ Q("\\ufeff{ a }"), Q("{ a }"), true },                      /* BOM */
	/* layout of the envelope */
	{ "{ \"query\" : \"{ a }\" }", Q("{ a }"), true },
	{ "{\"variables\":{},\"query\":\"{ a }\"}", Q("{ a }"), true },
	{ "{\"query\":\"\\u007b a \\u007d\"}", Q("{ a }"), true },
	/* variables: key order, null, absent, {} */
	{ QV(QVAR, "{\"x\":1,\"y\":2}"), QV(QVAR, "{\"y\":2,\"x\":1}"), true },
	{ QV(QVAR, "{\"x\":{\"b\":1,\"a\":[{\"d\":1,\"c\":2}]}}"),
	  QV(QVAR, "{ \"x\" : { \"a\" : [ { \"c\" : 2 , \"d\" : 1 } ] , \"b\" : 1 } }"), true },
	{ QV(QVAR, "null"), Q(QVAR), true },
	{ QV(QVAR, "{}"), Q(QVAR), true },
	{ QV(QVAR, "null"), QV(QVAR, "{}"), true },
	{ QV(QVAR, "{\"s\":\"\\u00e9\"}"), QV(QVAR, "{\"s\":\"\xc3\xa9\"}"), true },
	{ QV(QVAR, "{\"x\":1.5}"), QV(QVAR, "{\"x\":1.50}"), true },
	/* operationName: null and absent */
	{ QN("{ a }", "null"), Q("{ a }"), true },
	{ "{\"query\":\"query A { a } query B { b }\",\"operationName\":\"A\",\"variables\":null}",
	  "{\"operationName\":\"A\",\"query\":\"query A { a } query B { b }\"}", true },

	/* different variables */
	{ QV(QVAR, "{\"x\":1}"), QV(QVAR, "{\"x\":2}"), false },
	{ QV(QVAR, "{\"x\":1}"), QV(QVAR, "{\"x\":1.0}"), false },     /* int vs float */
	{ QV(QVAR, "{\"x\":1}"), QV(QVAR, "{\"x\":\"1\"}"), false },
	{ QV(QVAR, "{\"x\":1}"), QV(QVAR, "{\"y\":1}"), false },
	{ QV(QVAR, "{\"x\":1}"), QV(QVAR, "{\"x\":1,\"y\":1}"), false },
	{ QV(QVAR, "{\"x\":null}"), QV(QVAR, "{}"), false },           /* explicit null */
	{ QV(QVAR, "{\"x\":[1,2]}"), QV(QVAR, "{\"x\":[2,1]}"), false },
	{ QV(QVAR, "{\"x\":true}"), QV(QVAR, "{\"x\":1}"), false },
	{ QV(QVAR, "{\"x\":\"a\"}"), QV(QVAR, "{\"x\":\"A\"}"), false },
	{ QV(QVAR, "{\"x\":{}}"), QV(QVAR, "{\"x\":[]}"), false },
	/* different operationName */
	{ QN("query A { a } query B { b }", "\"A\""), QN("query A { a } query B { b }", "\"B\""),
	  false },
	{ QN("query Q { a }", "\"Q\""), Q("query Q { a }"), false },
	/* different documents */
	{ Q("{ a }"), Q("{ b }"), false },
	{ Q("{ a b }"), Q("{ ab }"), false },
	{ Q("{ a }"), Q("{ A }"), false },
	{ Q("{ a(x: 1) }"), Q("{ a(x: 1.0) }"), false },                 /* int vs float */
	{ Q("{ a(s: \\\"x y\\\") }"), Q("{ a(s: \\\"x  y\\\") }"), false }, /* strings verbatim */
	{ Q("{ a(s: \\\"x,y\\\") }"), Q("{ a(s: \\\"x y\\\") }"), false },
	{ Q("{ a(s: \\\"x#y\\\") }"), Q("{ a(s: \\\"x\\\") }"), false },
	{ Q("query A { a }"), Q("query B { a }"), false },
};

Test(graphql, key_equal_and_different)
{
	for (size_t i = 0; i < sizeof(key_pairs) / sizeof(key_pairs[0]); i++) {
		char *a = key_of(key_pairs[i].a), *b = key_of(key_pairs[i].b);

		cr_expect_eq(strcmp(a, b) == 0, key_pairs[i].same, "pair %zu: %s vs %s (%s, %s)",
		    i, key_pairs[i].a, key_pairs[i].b, a, b);
		free(a);
		free(b);
	}
}

Test(graphql, no_key_for_what_is_not_a_query)
{
	static const char *bodies[] = {
		Q("mutation { a }"),
		Q("mutation M { a }"),
		Q("subscription { a }"),
		QN("query A { a } mutation B { b }", "\"B\""),
		Q("query A { a } mutation B { b }"),
		Q("{ a"),
		Q(""),
	};

	for (size_t i = 0; i < sizeof(bodies) / sizeof(bodies[0]); i++) {
		struct graphql_request r;
		char err[256];

		cr_assert_eq(parse(bodies[i], &r, err, sizeof(err)), 0, "%s: %s", bodies[i], err);
		cr_expect_neq(r.op.kind, GQL_QUERY, "%s", bodies[i]);
		cr_expect_null(r.key_query, "%s", bodies[i]);
		graphql_request_clear(&r);
	}
}

/* ------------------------------------------------------------------------
 * Answers
 * ---------------------------------------------------------------------- */

static const struct {
	const char *body;
	enum graphql_answer kind;
} answer_cases[] = {
	{ "{\"data\":{}}", GRAPHQL_DATA },
	{ "{\"data\":{\"viewer\":{\"login\":\"octocat\"}}}", GRAPHQL_DATA },
	{ "{\"data\":{},\"errors\":null}", GRAPHQL_DATA },
	{ "{\"errors\":null,\"data\":{\"a\":[1,2]}}", GRAPHQL_DATA },
	{ " \n{ \"data\" : { } }\n", GRAPHQL_DATA },
	{ "{\"data\":{\"errors\":[{\"type\":\"RATE_LIMITED\"}]}}", GRAPHQL_DATA }, /* not top-level */
	/* errors */
	{ "{\"errors\":[{\"message\":\"Something went wrong\"}]}", GRAPHQL_ERRORS },
	{ "{}", GRAPHQL_ERRORS },                           /* no data: nothing to keep */
	{ "{\"data\":null}", GRAPHQL_ERRORS },
	{ "{\"data\":[]}", GRAPHQL_ERRORS },
	{ "{\"data\":null,\"errors\":[{\"message\":\"x\"}]}", GRAPHQL_ERRORS },
	{ "{\"data\":{\"a\":null},\"errors\":[{\"type\":\"NOT_FOUND\",\"path\":[\"a\"]}]}",
	  GRAPHQL_ERRORS },
	{ "{\"errors\":[]}", GRAPHQL_ERRORS },
	{ "{\"errors\":\"boom\"}", GRAPHQL_ERRORS },
	{ "{\"errors\":{\"type\":\"RATE_LIMITED\"}}", GRAPHQL_ERRORS },  /* not an array */
	{ "{\"errors\":[{\"type\":\"rate_limited\"}]}", GRAPHQL_ERRORS },
	{ "{\"errors\":[{\"type\":\"RATE_LIMITED \"}]}", GRAPHQL_ERRORS },
	{ "{\"errors\":[{\"type\":[\"RATE_LIMITED\"]}]}", GRAPHQL_ERRORS },
	{ "{\"errors\":[\"RATE_LIMITED\"]}", GRAPHQL_ERRORS },
	{ "{\"errors\":[{\"message\":\"RATE_LIMITED\"}]}", GRAPHQL_ERRORS },
	{ "{\"errors\":[{\"extensions\":{\"type\":\"RATE_LIMITED\"}}]}", GRAPHQL_ERRORS },
	/* GitHub's spent budget */
	{ "{\"errors\":[{\"type\":\"RATE_LIMITED\",\"message\":\"API rate limit exceeded for user "
	  "ID 1.\"}]}", GRAPHQL_RATE_LIMITED },
	{ "{\"data\":null,\"errors\":[{\"type\":\"RATE_LIMITED\"}]}", GRAPHQL_RATE_LIMITED },
	{ "{\"errors\":[{\"type\":\"NOT_FOUND\"},{\"type\":\"RATE_LIMITED\"}]}",
	  GRAPHQL_RATE_LIMITED },
	{ "{\"errors\":[{\"message\":\"x\"},{\"message\":\"y\"},{\"type\":\"RATE_LIMITED\"}]}",
	  GRAPHQL_RATE_LIMITED },
	{ "{\"errors\":[\"junk\",{\"type\":\"RATE_LIMITED\"}]}", GRAPHQL_RATE_LIMITED },
	{ "{\"errors\":[{\"type\":\"RATE_LIMITED\"},{\"type\":\"NOT_FOUND\"}]}",
	  GRAPHQL_RATE_LIMITED },
	/* not a JSON object */
	{ "", GRAPHQL_ERRORS },
	{ "not json", GRAPHQL_ERRORS },
	{ "<html><body>502 Bad Gateway</body></html>", GRAPHQL_ERRORS },
	{ "[]", GRAPHQL_ERRORS },
	{ "[{\"data\":{}}]", GRAPHQL_ERRORS },
	{ "null", GRAPHQL_ERRORS },
	{ "\"data\"", GRAPHQL_ERRORS },
	{ "{\"data\":{}", GRAPHQL_ERRORS },
	{ "{\"data\":{}} trailing", GRAPHQL_ERRORS },
};

static const char *
answer_name(enum graphql_answer k)
{
	return k == GRAPHQL_DATA ? "DATA" : k == GRAPHQL_ERRORS ? "ERRORS" :
	    k == GRAPHQL_RATE_LIMITED ? "RATE_LIMITED" : "?";
}

/* The body in one evbuffer chain, or one chain per split piece. */
static struct evbuffer *
answer_buffer(const char *body, size_t piece)
{
	struct evbuffer *b = evbuffer_new();
	size_t len = strlen(body);

	cr_assert_not_null(b);
	if (piece == 0) {
		cr_assert_eq(evbuffer_add(b, body, len), 0);
		return b;
	}
	for (size_t off = 0; off < len; off += piece) {
		struct evbuffer *part = evbuffer_new();
		size_t n = len - off < piece ? len - off : piece;

		cr_assert_eq(evbuffer_add(part, body + off, n), 0);
		cr_assert_eq(evbuffer_add_buffer(b, part), 0);
		evbuffer_free(part);
	}
	return b;
}

Test(graphql, answer_kind_cases)
{
	static const size_t pieces[] = { 0, 1, 7 };

	for (size_t p = 0; p < sizeof(pieces) / sizeof(pieces[0]); p++)
		for (size_t i = 0; i < sizeof(answer_cases) / sizeof(answer_cases[0]); i++) {
			const char *body = answer_cases[i].body;
			struct evbuffer *b = answer_buffer(body, pieces[p]);
			enum graphql_answer got = graphql_answer_kind(b);
			size_t len = strlen(body);

			cr_expect_eq(got, answer_cases[i].kind, "case %zu (pieces of %zu): %s -> %s",
			    i, pieces[p], body, answer_name(got));
			/* the body is still there to send */
			cr_expect_eq(evbuffer_get_length(b), len, "case %zu", i);
			if (len > 0)
				cr_expect_eq(memcmp(evbuffer_pullup(b, -1), body, len), 0, "case %zu", i);
			evbuffer_free(b);
		}
}

Test(graphql, answer_kind_large_data)
{
	/* A big answer in many chains, RATE_LIMITED far down the errors. */
	struct evbuffer *b = evbuffer_new();

	cr_assert_not_null(b);
	evbuffer_add_printf(b, "{\"data\":{\"items\":[");
	for (int i = 0; i < 20000; i++)
		evbuffer_add_printf(b, "%s{\"n\":%d}", i ? "," : "", i);
	evbuffer_add_printf(b, "]}}");
	cr_expect_eq(graphql_answer_kind(b), GRAPHQL_DATA);
	evbuffer_free(b);

	b = evbuffer_new();
	evbuffer_add_printf(b, "{\"errors\":[");
	for (int i = 0; i < 1000; i++)
		evbuffer_add_printf(b, "{\"type\":\"NOT_FOUND\",\"message\":\"%d\"},", i);
	evbuffer_add_printf(b, "{\"type\":\"RATE_LIMITED\"}]}");
	cr_expect_eq(graphql_answer_kind(b), GRAPHQL_RATE_LIMITED);
	evbuffer_free(b);
}
