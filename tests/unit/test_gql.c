/*
 * test_gql.c - unit tests of src/gql.c (owned by the gql module).
 *
 * Every entry of tests/graphql/corpus.jsonl (the corpus graphql-js checks
 * in tests/e2e/test_graphql_oracle.py), each document in a buffer of exactly
 * its length so ASan sees any read past it; every prefix and some damaged
 * copies of the smaller documents; normalisation; what JSON cannot carry
 * (invalid UTF-8); the bounds: depth, size, long names; and the root
 * fields the access policy reads (gql_root_fields).
 */
#include <criterion/criterion.h>
#include <jansson.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "gql.h"
#include "util.h"
#include "leakcheck.h"

/*
 * Time bounds catch blow-ups (exponential fan-out, quadratic rescans), not
 * speed: a linear walk takes milliseconds, a blow-up minutes. The bound is
 * loose enough for a loaded two-core machine under ASan.
 */
#define BLOWUP_SECS 10.0

/* ------------------------------------------------------------------------
 * Helpers
 * ---------------------------------------------------------------------- */

/* doc in a heap buffer of exactly len bytes, no NUL after it. */
static char *
exact_copy(const char *doc, size_t len)
{
	char *b = malloc(len > 0 ? len : 1);

	cr_assert_not_null(b);
	memcpy(b, doc, len);
	return b;
}

static struct gql_op
classify_n(const char *doc, size_t len, const char *op_name)
{
	struct gql_op out;
	char *b = exact_copy(doc, len);

	memset(&out, 0x5a, sizeof(out));	/* no field may be left unset */
	gql_classify(b, len, op_name, &out);
	free(b);
	cr_assert_eq(out.kind == GQL_INVALID, out.error != NULL);
	if (out.kind == GQL_INVALID) {
		cr_assert_neq(out.error[0], '\0');
		cr_assert_str_eq(out.name, "");
	}
	cr_assert_lt(strlen(out.name), sizeof(out.name));
	return out;
}

static struct gql_op
classify(const char *doc, const char *op_name)
{
	return classify_n(doc, strlen(doc), op_name);
}

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/*
 * The corpus, found from this file's path: meson compiles from the build
 * directory, where the test binary also lives, so a relative __FILE__ is
 * relative to the binary's directory. GHPOOL_SOURCE_ROOT overrides.
 */
static char *
corpus_path(void)
{
	const char *root = getenv("GHPOOL_SOURCE_ROOT");
	char exe[PATH_MAX];
	const char *file = __FILE__, *slash = strrchr(file, '/');
	int dir_len = slash ? (int)(slash - file) : 0;
	ssize_t n;

	if (root != NULL)
		return util_printf("%s/tests/graphql/corpus.jsonl", root);
	if (file[0] == '/')
		return util_printf("%.*s/../graphql/corpus.jsonl", dir_len, file);
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	cr_assert_gt(n, 0, "cannot find the test binary to locate the corpus");
	exe[n] = '\0';
	*strrchr(exe, '/') = '\0';
	return util_printf("%s/%.*s/../graphql/corpus.jsonl", exe, dir_len, file);
}

struct entry {
	char *name, *query, *op_name, *expect, *selects;
	size_t len;
};

static struct entry *
load_corpus(size_t *n_out)
{
	char *path = corpus_path();
	FILE *f = fopen(path, "r");
	struct entry *v = NULL;
	size_t n = 0, cap = 0, line_no = 0;
	char *line = NULL;
	size_t line_cap = 0;

	cr_assert_not_null(f, "cannot open %s (set GHPOOL_SOURCE_ROOT)", path);
	while (getline(&line, &line_cap, f) != -1) {
		json_error_t err;
		json_t *j = json_loads(line, JSON_ALLOW_NUL, &err), *op, *sel;
		struct entry *e;

		line_no++;
		cr_assert_not_null(j, "%s:%zu: %s", path, line_no, err.text);
		if (n == cap) {
			cap = cap ? cap * 2 : 256;
			v = realloc(v, cap * sizeof(*v));
			cr_assert_not_null(v);
		}
		e = &v[n++];
		e->name = util_strdup(json_string_value(json_object_get(j, "name")));
		e->expect = util_strdup(json_string_value(json_object_get(j, "expect")));
		e->len = json_string_length(json_object_get(j, "query"));
		e->query = exact_copy(json_string_value(json_object_get(j, "query")), e->len);
		op = json_object_get(j, "operationName");
		e->op_name = json_is_string(op) ? util_strdup(json_string_value(op)) : NULL;
		sel = json_object_get(j, "selects");
		e->selects = json_is_string(sel) ? util_strdup(json_string_value(sel)) : NULL;
		json_decref(j);
	}
	free(line);
	fclose(f);
	free(path);
	*n_out = n;
	return v;
}

static void
free_corpus(struct entry *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(v[i].name);
		free(v[i].query);
		free(v[i].op_name);
		free(v[i].expect);
		free(v[i].selects);
	}
	free(v);
}

/* ------------------------------------------------------------------------
 * The corpus
 * ---------------------------------------------------------------------- */

Test(gql, corpus)
{
	size_t n, counts[4] = { 0 };
	struct entry *v = load_corpus(&n);

	cr_assert_geq(n, 220, "the corpus has %zu entries", n);
	for (size_t i = 0; i < n; i++) {
		struct entry *e = &v[i];
		struct gql_op out = classify_n(e->query, e->len, e->op_name);

		counts[out.kind]++;
		cr_expect_str_eq(gql_kind_name(out.kind), e->expect, "%s: %s (%s)",
		    e->name, gql_kind_name(out.kind), out.error ? out.error : "");
		if (out.kind != GQL_INVALID && e->selects != NULL) {
			char want[128];

			snprintf(want, sizeof(want), "%s", e->selects);
			cr_expect_str_eq(out.name, want, "%s: selected '%s'", e->name, out.name);
		}
	}
	cr_log_info("corpus: %zu query, %zu mutation, %zu subscription, %zu invalid",
	    counts[GQL_QUERY], counts[GQL_MUTATION], counts[GQL_SUBSCRIPTION],
	    counts[GQL_INVALID]);
	free_corpus(v, n);
}

/*
 * The normalised text is the same document: it must classify the same way
 * (a lexical error is the one thing normalisation reports, and the
 * classifier must then refuse too).
 */
Test(gql, corpus_normalised_classifies_the_same)
{
	size_t n;
	struct entry *v = load_corpus(&n);

	for (size_t i = 0; i < n; i++) {
		struct entry *e = &v[i];
		struct gql_op a = classify_n(e->query, e->len, e->op_name), b;
		size_t len;
		char *norm = gql_normalise(e->query, e->len, &len);

		if (norm == NULL) {
			cr_expect_eq(a.kind, GQL_INVALID, "%s: normalise failed", e->name);
			continue;
		}
		cr_expect_eq(len, strlen(norm), "%s", e->name);
		b = classify_n(norm, len, e->op_name);
		cr_expect_eq(a.kind, b.kind, "%s: %s vs %s", e->name,
		    gql_kind_name(a.kind), gql_kind_name(b.kind));
		cr_expect_str_eq(a.name, b.name, "%s", e->name);
		free(norm);
	}
	free_corpus(v, n);
}

/* Most useful under ASan+UBSan: nothing may read outside the document. */
Test(gql, corpus_prefixes_and_damage)
{
	static const char damage[] = { '{', '}', '"', '\\', '#', '\n', '.', '\x80' };
	size_t n;
	struct entry *v = load_corpus(&n);

	for (size_t i = 0; i < n; i++) {
		struct entry *e = &v[i];

		if (e->len > 2048)
			continue;
		for (size_t k = 0; k < e->len; k++)
			(void)classify_n(e->query, k, e->op_name);
		if (e->len > 400)
			continue;
		for (size_t k = 0; k < e->len; k++)
			for (size_t d = 0; d < sizeof(damage); d++) {
				char *b = exact_copy(e->query, e->len);
				char *norm;

				b[k] = damage[d];
				(void)classify_n(b, e->len, e->op_name);
				norm = gql_normalise(b, e->len, NULL);
				free(norm);
				free(b);
			}
	}
	free_corpus(v, n);
}

/* ------------------------------------------------------------------------
 * Normalisation
 * ---------------------------------------------------------------------- */

static const struct {
	const char *in, *out;	/* out NULL: a lexical error */
} norm_cases[] = {
	{ "{ a, b } # hi", "{ a b }" },
	{ "{a b}", "{ a b }" },
	{ "\xEF\xBB\xBF{\r\n\ta,,\r\n}\n", "{ a }" },
	{ "query Q($a: Int = 1) { f(x: $a) @d }",
	  "query Q ( $ a : Int = 1 ) { f ( x : $ a ) @ d }" },
	{ "{ ...F ... on T { a } }", "{ ... F ... on T { a } }" },
	{ "{ a(s: \"x,  y # z\") }", "{ a ( s : \"x,  y # z\" ) }" },
	{ "{ a(s: \"\\u00e9\\n\") }", "{ a ( s : \"\\u00e9\\n\" ) }" },
	{ "{ a(s: \"\"\"\n  two,\r\n  lines # kept\n\"\"\") }",
	  "{ a ( s : \"\"\"\n  two,\r\n  lines # kept\n\"\"\" ) }" },
	{ "{ a(s: \"\"\" \\\"\"\" \"\"\") }", "{ a ( s : \"\"\" \\\"\"\" \"\"\" ) }" },
	{ "{ a(x: -1.5e3, y: [1,2]) }", "{ a ( x : -1.5e3 y : [ 1 2 ] ) }" },
	{ "", "" },
	{ " # only a comment\n,,", "" },
	{ "type T { a: Int }", "type T { a : Int }" },	/* lexing, not parsing */
	{ "{ a } }", "{ a } }" },
	{ "{ a(s: \"open) }", NULL },
	{ "{ a(s: \"\"\"open) }", NULL },
	{ "{ a(x: 1.) }", NULL },
	{ "{ a(x: 0x1) }", NULL },
	{ "{ a; }", NULL },
	{ "{ a(s: \"\\u{41}\") }", NULL },
	{ "{ a(s: \"\\q\") }", NULL },
	{ "# \x01\n{ a }", NULL },
	{ "{ a(s: \"\xC3\") }", NULL },
	{ "{ \xC3\xA9 }", NULL },
};

Test(gql, normalise_cases)
{
	for (size_t i = 0; i < sizeof(norm_cases) / sizeof(norm_cases[0]); i++) {
		const char *in = norm_cases[i].in, *want = norm_cases[i].out;
		char *b = exact_copy(in, strlen(in));
		size_t len = 12345;
		char *got = gql_normalise(b, strlen(in), &len);

		free(b);
		if (want == NULL) {
			cr_expect_null(got, "case %zu: '%s' gave '%s'", i, in, got ? got : "");
			free(got);
			continue;
		}
		cr_assert_not_null(got, "case %zu: '%s' failed", i, in);
		cr_expect_str_eq(got, want, "case %zu", i);
		cr_expect_eq(len, strlen(want), "case %zu", i);
		free(got);
	}
}

static const struct {
	const char *a, *b;
	bool same;
} norm_pairs[] = {
	{ "{ a, b } # hi", "{a b}", true },
	{ "query Q {\n  viewer {\n    login\n  }\n}\n", "query Q{viewer{login}}", true },
	{ "\xEF\xBB\xBF{a}", "{a}", true },
	{ "{ a(x: 1, y: 2) }", "{a(x:1 y:2)}", true },
	{ "{ a(s: \"x y\") }", "{ a(s: \"x  y\") }", false },
	{ "{ a(s: \"x,y\") }", "{ a(s: \"x y\") }", false },
	{ "{ a(s: \"\"\"x\ny\"\"\") }", "{ a(s: \"\"\"x\r\ny\"\"\") }", false },
	{ "{ a(s: \"\\u00e9\") }", "{ a(s: \"\xC3\xA9\") }", false },	/* verbatim */
	{ "{ a(x: 1.0) }", "{ a(x: 1) }", false },
	{ "{ a b }", "{ ab }", false },
	{ "{ a }", "{ A }", false },
};

Test(gql, normalise_equal_and_different)
{
	for (size_t i = 0; i < sizeof(norm_pairs) / sizeof(norm_pairs[0]); i++) {
		char *a = gql_normalise(norm_pairs[i].a, strlen(norm_pairs[i].a), NULL);
		char *b = gql_normalise(norm_pairs[i].b, strlen(norm_pairs[i].b), NULL);

		cr_assert_not_null(a);
		cr_assert_not_null(b);
		cr_expect_eq(strcmp(a, b) == 0, norm_pairs[i].same, "pair %zu: '%s' vs '%s'",
		    i, a, b);
		free(a);
		free(b);
	}
}

Test(gql, normalise_worst_case_growth)
{
	/* Every byte a token: the output is twice the input, less one. */
	char doc[4097];
	size_t len;
	char *got;

	for (size_t i = 0; i < 4096; i++)
		doc[i] = "{}"[i % 2];
	got = gql_normalise(doc, 4096, &len);
	cr_assert_not_null(got);
	cr_expect_eq(len, 2 * 4096 - 1);
	free(got);
}

/* ------------------------------------------------------------------------
 * Source text: what JSON cannot carry
 * ---------------------------------------------------------------------- */

static const struct {
	const char *doc;
	size_t len;	/* 0: strlen */
	enum gql_kind kind;
} text_cases[] = {
	/* valid UTF-8 of every length, in strings and comments */
	{ "{ a(s: \"\xC2\xA2 \xE2\x82\xAC \xF0\x9F\x9A\x80 \xF4\x8F\xBF\xBF\") }", 0, GQL_QUERY },
	{ "# \xED\x9F\xBF \xEE\x80\x80 \xEF\xBF\xBE \xEF\xBF\xBF\nmutation { a }", 0, GQL_MUTATION },
	{ "{ a(s: \"\"\"\xE4\xB8\xAD\xE6\x96\x87\"\"\") }", 0, GQL_QUERY },
	/* invalid UTF-8 */
	{ "{ a(s: \"\x80\") }", 0, GQL_INVALID },		/* stray continuation */
	{ "{ a(s: \"\xC3\") }", 0, GQL_INVALID },		/* truncated */
	{ "{ a(s: \"\xE2\x82\") }", 0, GQL_INVALID },
	{ "{ a(s: \"\xF0\x9F\x9A\") }", 0, GQL_INVALID },
	{ "{ a(s: \"\xC0\xAF\") }", 0, GQL_INVALID },		/* overlong '/' */
	{ "{ a(s: \"\xC1\xBF\") }", 0, GQL_INVALID },
	{ "{ a(s: \"\xE0\x80\xAF\") }", 0, GQL_INVALID },	/* overlong, 3 bytes */
	{ "{ a(s: \"\xF0\x80\x80\xAF\") }", 0, GQL_INVALID },	/* overlong, 4 bytes */
	{ "{ a(s: \"\xED\xA0\x80\") }", 0, GQL_INVALID },	/* U+D800 */
	{ "{ a(s: \"\xED\xBF\xBF\") }", 0, GQL_INVALID },	/* U+DFFF */
	{ "{ a(s: \"\xF4\x90\x80\x80\") }", 0, GQL_INVALID },	/* U+110000 */
	{ "{ a(s: \"\xF5\x80\x80\x80\") }", 0, GQL_INVALID },
	{ "{ a(s: \"\xFF\") }", 0, GQL_INVALID },
	{ "# \xFE\nmutation { a }", 0, GQL_INVALID },		/* in a comment */
	{ "{ a(s: \"\"\"\xC3\"\"\") }", 0, GQL_INVALID },	/* in a block string */
	{ "{ a }\xC3", 0, GQL_INVALID },			/* truncated at the end */
	{ "{ a(s: \"\xC3\x28\") }", 0, GQL_INVALID },		/* bad continuation */
	/* NUL: the length says where the document ends, not a terminator */
	{ "{ a }\0", 6, GQL_INVALID },
	{ "{ a(s: \"\0\") }", 13, GQL_INVALID },
	{ "#\0\n{ a }", 8, GQL_INVALID },
	{ "{ a }\0mutation { b }", 5, GQL_QUERY },
	{ "mutation { b }\0{ a }", 14, GQL_MUTATION },
	/* a BOM is ignored between any tokens, and only a whole one */
	{ "\xEF\xBB\xBF\xEF\xBB\xBF{ a }", 0, GQL_QUERY },
	{ "\xEF\xBB{ a }", 0, GQL_INVALID },
};

Test(gql, source_text)
{
	for (size_t i = 0; i < sizeof(text_cases) / sizeof(text_cases[0]); i++) {
		size_t len = text_cases[i].len ? text_cases[i].len : strlen(text_cases[i].doc);
		struct gql_op out = classify_n(text_cases[i].doc, len, NULL);

		cr_expect_eq(out.kind, text_cases[i].kind, "case %zu: %s (%s)", i,
		    gql_kind_name(out.kind), out.error ? out.error : "");
	}
}

Test(gql, empty_and_null)
{
	struct gql_op out;
	char *norm;

	gql_classify(NULL, 0, NULL, &out);
	cr_expect_eq(out.kind, GQL_INVALID);
	cr_expect_str_eq(out.error, "document is empty");
	norm = gql_normalise(NULL, 0, NULL);
	cr_expect_str_eq(norm, "");
	free(norm);
}

/* ------------------------------------------------------------------------
 * Errors say why
 * ---------------------------------------------------------------------- */

static const struct {
	const char *doc, *op_name, *error;
} error_cases[] = {
	{ "query A { a } mutation B { b }", NULL,
	  "operationName is required when the document has several operations" },
	{ "query A { a }", "B", "no operation has the requested operationName" },
	{ "{ a }", "A", "no operation has the requested operationName" },
	{ "{ a } query B { b }", "B", "an anonymous operation must be the only operation" },
	{ "query A { a } mutation A { b }", "A", "operation names must be unique" },
	{ "fragment F on T { a }", NULL, "document has no operation" },
	{ "type T { a: Int }", NULL, "type system definitions are not executable" },
	{ "", NULL, "document is empty" },
	{ "# nothing\n", NULL, "document is empty" },
	{ "{ a(s: \"x) }", NULL, "unterminated string" },
	{ "{ a(s: \"\\u{41}\") }", NULL, "\\u{...} escapes are not GraphQL (October 2021)" },
	{ "{ a(x: 1.) }", NULL, "invalid number: expected a digit after '.'" },
	{ "# \x01\n{ a }", NULL, "document contains a control character" },
	{ "{ a(s: \"\xC3\") }", NULL, "document is not valid UTF-8" },
	{ "fragment on on T { a }", NULL, "syntax error: a fragment cannot be named \"on\"" },
	{ "query Q($a: Int = $b) { a }", NULL, "syntax error: a variable in a constant value" },
};

Test(gql, error_messages)
{
	for (size_t i = 0; i < sizeof(error_cases) / sizeof(error_cases[0]); i++) {
		struct gql_op out = classify(error_cases[i].doc, error_cases[i].op_name);

		cr_expect_eq(out.kind, GQL_INVALID, "case %zu", i);
		cr_expect_str_eq(out.error, error_cases[i].error, "case %zu", i);
	}
}

/* ------------------------------------------------------------------------
 * Bounds
 * ---------------------------------------------------------------------- */

static char *
repeat(const char *head, const char *unit, size_t times, const char *tail, size_t *len)
{
	size_t hl = strlen(head), ul = strlen(unit), tl = strlen(tail);
	char *s = malloc(hl + ul * times + tl + 1), *p = s;

	cr_assert_not_null(s);
	memcpy(p, head, hl);
	p += hl;
	for (size_t i = 0; i < times; i++, p += ul)
		memcpy(p, unit, ul);
	memcpy(p, tail, tl);
	p += tl;
	*p = '\0';
	*len = (size_t)(p - s);
	return s;
}

Test(gql, depth_limit)
{
	static const char too_deep[] = "document nests deeper than 64 levels";
	static const struct {
		const char *head, *unit, *tail;
		size_t times;
		const char *error;
	} deep[] = {
		/* "{{" is not nesting: a selection set holds fields */
		{ "", "{", "", 10000, "syntax error: expected a name" },
		{ "", "{ a ", "", 10000, too_deep },
		{ "", "{ a ", "}", 10000, too_deep },
		{ "{ a(x: ", "[", "", 10000, too_deep },
		{ "{ a(x: ", "{b: ", "", 10000, too_deep },
		{ "query Q($v: ", "[", "", 10000, too_deep },
		{ "mutation M ", "{ a ", "", 10000, too_deep },
		{ "{ a(x: ", "[{b: ", "", 5000, too_deep },
		{ "{ ", "... on T { ", "", 10000, too_deep },
	};

	for (size_t i = 0; i < sizeof(deep) / sizeof(deep[0]); i++) {
		size_t len;
		char *doc = repeat(deep[i].head, deep[i].unit, deep[i].times, deep[i].tail, &len);
		double t0 = now_s();
		struct gql_op out = classify_n(doc, len, NULL);

		cr_expect_lt(now_s() - t0, BLOWUP_SECS, "case %zu took too long", i);
		cr_expect_eq(out.kind, GQL_INVALID, "case %zu", i);
		cr_expect_str_eq(out.error, deep[i].error, "case %zu", i);
		free(doc);
	}
}

Test(gql, depth_exactly_at_the_limit)
{
	char doc[4 * GQL_MAX_DEPTH + 8], *p = doc;

	for (int i = 0; i < GQL_MAX_DEPTH; i++)
		p += sprintf(p, "{a");
	for (int i = 0; i < GQL_MAX_DEPTH; i++)
		*p++ = '}';
	*p = '\0';
	cr_expect_eq(classify(doc, NULL).kind, GQL_QUERY);
}

Test(gql, one_mebibyte_of_fields)
{
	size_t len;
	char *doc = repeat("query Big {", " field_with_a_name(x: 1)", 1 << 20 >> 4, " }", &len);
	double t0 = now_s();
	struct gql_op out;

	cr_assert_gt(len, 1 << 20);
	out = classify_n(doc, len, NULL);
	cr_expect_lt(now_s() - t0, BLOWUP_SECS, "1 MiB took %.3f s", now_s() - t0);
	cr_expect_eq(out.kind, GQL_QUERY);
	cr_expect_str_eq(out.name, "Big");
	free(doc);
}

Test(gql, one_mebibyte_of_operations)
{
	/* ~90,000 named operations: the uniqueness check must stay fast. */
	size_t cap = (1 << 20) + 64, len = 0, n = 0;
	char *doc = malloc(cap);
	double t0;
	struct gql_op out;

	cr_assert_not_null(doc);
	while (len < (1 << 20))
		len += (size_t)sprintf(doc + len, "query Q%zu{a}", n++);
	len += (size_t)sprintf(doc + len, "mutation W{b}");
	t0 = now_s();
	out = classify_n(doc, len, "W");
	cr_expect_lt(now_s() - t0, BLOWUP_SECS, "took %.3f s", now_s() - t0);
	cr_expect_eq(out.kind, GQL_MUTATION);
	cr_expect_str_eq(out.name, "W");
	out = classify_n(doc, len, "Q4711");
	cr_expect_eq(out.kind, GQL_QUERY);
	cr_expect_str_eq(out.name, "Q4711");
	/* a duplicate at the very end spoils the whole document */
	len += (size_t)sprintf(doc + len, "query Q1{c}");
	out = classify_n(doc, len, "W");
	cr_expect_eq(out.kind, GQL_INVALID);
	cr_expect_str_eq(out.error, "operation names must be unique");
	free(doc);
}

Test(gql, long_names)
{
	char name[301], doc[700], cut[128];
	struct gql_op out;

	memset(name, 'n', 300);
	name[0] = 'N';
	name[299] = 'z';
	name[300] = '\0';
	memcpy(cut, name, 127);
	cut[127] = '\0';

	snprintf(doc, sizeof(doc), "mutation %s { a }", name);
	out = classify(doc, name);
	cr_expect_eq(out.kind, GQL_MUTATION);
	cr_expect_str_eq(out.name, cut);
	cr_expect_eq(strlen(out.name), 127);
	out = classify(doc, NULL);
	cr_expect_eq(out.kind, GQL_MUTATION);
	cr_expect_str_eq(out.name, cut);
	/* the cut name is not the name */
	cr_expect_eq(classify(doc, cut).kind, GQL_INVALID);

	/* two names alike in their first 127 bytes are still two names */
	snprintf(doc, sizeof(doc), "query %sA { a } mutation %sB { b }", cut, cut);
	out = classify(doc, NULL);
	cr_expect_eq(out.kind, GQL_INVALID);
	snprintf(name, sizeof(name), "%sB", cut);
	out = classify(doc, name);
	cr_expect_eq(out.kind, GQL_MUTATION);
	cr_expect_str_eq(out.name, cut);
	snprintf(name, sizeof(name), "%sA", cut);
	cr_expect_eq(classify(doc, name).kind, GQL_QUERY);

	/* exactly 127 bytes fit whole */
	snprintf(doc, sizeof(doc), "subscription %s { a }", cut);
	out = classify(doc, cut);
	cr_expect_eq(out.kind, GQL_SUBSCRIPTION);
	cr_expect_str_eq(out.name, cut);
}

Test(gql, kind_names)
{
	cr_expect_str_eq(gql_kind_name(GQL_QUERY), "query");
	cr_expect_str_eq(gql_kind_name(GQL_MUTATION), "mutation");
	cr_expect_str_eq(gql_kind_name(GQL_SUBSCRIPTION), "subscription");
	cr_expect_str_eq(gql_kind_name(GQL_INVALID), "invalid");
}

/* ------------------------------------------------------------------------
 * Root fields
 * ---------------------------------------------------------------------- */

/*
 * Root fields as text: `name(arg=json,...)` separated by spaces, a value
 * that cannot be known as `?`; or "error: <message>". The document is in a
 * buffer of exactly its length; variables is JSON text or NULL.
 */
static char *
walk_n(const char *doc, size_t len, const char *op_name, const char *variables)
{
	struct gql_fields f;
	const char *err = "unset";
	json_t *vars = NULL;
	char *b = exact_copy(doc, len), *s = NULL;
	size_t n = 0;
	FILE *m = open_memstream(&s, &n);
	int rc;

	cr_assert_not_null(m);
	if (variables != NULL) {
		vars = json_loads(variables, JSON_DECODE_ANY, NULL);
		cr_assert_not_null(vars, "bad test variables %s", variables);
	}
	memset(&f, 0x5a, sizeof(f));
	rc = gql_root_fields(b, len, op_name, vars, &f, &err);
	free(b);
	json_decref(vars);
	if (rc == -1) {
		cr_assert_not_null(err);
		cr_assert_null(f.v);
		cr_assert_eq(f.n, 0);
		fprintf(m, "error: %s", err);
	} else {
		cr_assert_eq(rc, 0);
		cr_assert_null(err);
		cr_assert_leq(f.n, GQL_MAX_ROOT_FIELDS);
		for (size_t i = 0; i < f.n; i++) {
			fprintf(m, "%s%s", i ? " " : "", f.v[i].name);
			for (size_t k = 0; k < f.v[i].n_args; k++) {
				const json_t *v = f.v[i].args[k].value;
				char *j = v ? json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT) : NULL;

				fprintf(m, "%s%s=%s", k ? "," : "(", f.v[i].args[k].name,
				    v ? j : "?");
				free(j);
			}
			if (f.v[i].n_args > 0)
				fputc(')', m);
		}
	}
	gql_fields_clear(&f);
	cr_assert_null(f.v);
	cr_assert_eq(f.n, 0);
	fclose(m);
	return s;
}

static char *
walk(const char *doc, const char *op_name, const char *variables)
{
	return walk_n(doc, strlen(doc), op_name, variables);
}

static const struct {
	const char *name, *doc, *op_name, *variables, *want;
} walk_cases[] = {
	/* fields, aliases, nested selections not reported */
	{ "alias", "{ a: repository(owner: \"o\", name: \"n\") { id } b: viewer { login } }",
	  NULL, NULL, "repository(owner=\"o\",name=\"n\") viewer" },
	{ "one_field_with_nested_selection",
	  "{ repository(owner:\"a\",name:\"b\"){ owner { login } issues(first: 1) { nodes { id } } } }",
	  NULL, NULL, "repository(owner=\"a\",name=\"b\")" },
	{ "nested_fragments_not_reported",
	  "{ viewer { ...U } } fragment U on User { login repository(owner: $x) { id } }",
	  NULL, NULL, "viewer" },
	{ "typename", "{ __typename }", NULL, NULL, "__typename" },
	{ "duplicate_args",
	  "{ repository(owner: \"a\", owner: \"b\", name: \"c\") { id } }",
	  NULL, NULL, "repository(owner=\"a\",owner=\"b\",name=\"c\")" },
	{ "directives_ignored",
	  "query($no: Boolean = false) { a @skip(if: true) b @include(if: $no) c @x }",
	  NULL, NULL, "a b c" },

	/* fragments */
	{ "fragment", "query Q { ...F z } fragment F on Query { a(x: 1) b }",
	  NULL, NULL, "a(x=1) b z" },
	{ "fragment_before_operation", "fragment F on Query { a } { ...F }",
	  NULL, NULL, "a" },
	{ "nested_fragments",
	  "{ ...A } fragment A on Query { a ...B } fragment B on Query { b ...C c } "
	  "fragment C on Query { x: c1 }",
	  NULL, NULL, "a b c1 c" },
	{ "inline_fragments",
	  "{ ... on Query { a ... { b ... on Query @skip(if: true) { c } } } ... @include(if: false) { d } }",
	  NULL, NULL, "a b c d" },
	{ "inline_in_fragment_and_back",
	  "{ ... { ...F } } fragment F on Query { ... on Query { f } }",
	  NULL, NULL, "f" },
	{ "fragment_spread_twice", "{ ...F ...F } fragment F on Query { a(x: [1, \"s\"]) }",
	  NULL, NULL, "a(x=[1,\"s\"]) a(x=[1,\"s\"])" },
	{ "fragment_diamond",
	  "{ ...A ...B } fragment A on Query { ...C a } fragment B on Query { ...C b } "
	  "fragment C on Query { c }",
	  NULL, NULL, "c a c b" },
	{ "fragment_named_like_keyword", "{ ...query ...fragment } fragment query on Q { a } "
	  "fragment fragment on Q { b }", NULL, NULL, "a b" },
	{ "fragment_unknown", "{ ...F }", NULL, NULL,
	  "error: a fragment spread names no fragment of the document" },
	{ "fragment_unknown_unused", "{ a } fragment F on Q { ...G }", NULL, NULL, "a" },
	{ "fragment_duplicate_names",
	  "{ ...F } fragment F on Q { a } fragment F on Q { b }", NULL, NULL,
	  "error: fragment names must be unique" },
	{ "fragment_cycle_self", "{ ...F } fragment F on Query { a ...F }", NULL, NULL,
	  "error: a fragment spreads itself" },
	{ "fragment_cycle_indirect",
	  "{ ...A } fragment A on Q { ...B } fragment B on Q { ... { ...C } } fragment C on Q { ...A }",
	  NULL, NULL, "error: a fragment spreads itself" },
	{ "fragment_cycle_not_at_root",
	  "{ a { ...F } } fragment F on T { b { ...F } }", NULL, NULL, "a" },

	/* choosing the operation */
	{ "operation_name", "query A { a } query B { b(x: 1) } mutation C { c }", "B", NULL,
	  "b(x=1)" },
	{ "operation_name_mutation", "query A { a } mutation C { c(id: \"x\") d }", "C", NULL,
	  "c(id=\"x\") d" },
	{ "operation_name_required", "query A { a } query B { b }", NULL, NULL,
	  "error: operationName is required when the document has several operations" },
	{ "operation_name_unknown", "query A { a }", "B", NULL,
	  "error: no operation has the requested operationName" },
	{ "operation_single_named", "query A { a }", NULL, NULL, "a" },
	{ "mutation", "mutation { createIssue(input: {repositoryId: \"R\", title: \"t\"}) { issue { id } } }",
	  NULL, NULL, "createIssue(input={\"repositoryId\":\"R\",\"title\":\"t\"})" },
	{ "subscription", "subscription S { s }", NULL, NULL, "s" },

	/* variables */
	{ "variable_present", "query($o: String!) { repository(owner: $o) { id } }",
	  NULL, "{\"o\": \"octo\"}", "repository(owner=\"octo\")" },
	{ "variable_present_null", "query($o: String = \"d\") { r(owner: $o) }",
	  NULL, "{\"o\": null}", "r(owner=null)" },
	{ "variable_default", "query($o: String = \"dflt\") { r(owner: $o) }",
	  NULL, "{\"other\": 1}", "r(owner=\"dflt\")" },
	{ "variable_default_no_variables", "query($o: [Int] = [1, 2]) { r(a: $o, b: $o) }",
	  NULL, NULL, "r(a=[1,2],b=[1,2])" },
	{ "variable_default_enum", "query($o: E = RED) { r(a: $o) }", NULL, NULL, "r(a=?)" },
	{ "variable_absent", "query($o: String) { r(owner: $o) }", NULL, "{}",
	  "r(owner=null)" },
	{ "variable_absent_json_null", "query($o: String) { r(owner: $o) }", NULL, "null",
	  "r(owner=null)" },
	{ "variable_undeclared", "query($o: String) { r(owner: $p) }", NULL, "{\"p\": \"x\"}",
	  "error: a variable the operation does not declare" },
	{ "variable_undeclared_shorthand", "{ r(owner: $p) }", NULL, "{\"p\": \"x\"}",
	  "error: a variable the operation does not declare" },
	{ "variable_of_other_operation", "query A($p: String) { a } query B { r(owner: $p) }",
	  "B", "{\"p\": \"x\"}", "error: a variable the operation does not declare" },
	{ "variable_undeclared_nested", "query($a: ID) { nodes(ids: [$a, [{x: $b}]]) }",
	  NULL, NULL, "error: a variable the operation does not declare" },
	{ "variable_undeclared_after_unknown", "query { nodes(ids: [E, $b]) }",
	  NULL, NULL, "error: a variable the operation does not declare" },
	{ "variable_in_list", "query($a: ID!) { nodes(ids: [$a, \"x\"]) { id } }",
	  NULL, "{\"a\": \"A\"}", "nodes(ids=[\"A\",\"x\"])" },
	{ "variable_in_object", "query($a: ID!, $b: Int = 3) { f(in: {x: $a, y: [$b]}) }",
	  NULL, "{\"a\": {\"deep\": [true]}}", "f(in={\"x\":{\"deep\":[true]},\"y\":[3]})" },
	{ "variable_in_fragment", "query($o: String) { ...F } fragment F on Q { r(owner: $o) }",
	  NULL, "{\"o\": \"x\"}", "r(owner=\"x\")" },
	{ "variable_undeclared_in_fragment", "query { ...F } fragment F on Q { r(owner: $o) }",
	  NULL, "{\"o\": \"x\"}", "error: a variable the operation does not declare" },
	{ "variable_duplicate", "query($o: String, $o: String) { r(owner: $o) }",
	  NULL, NULL, "error: variable names must be unique" },
	{ "variables_not_object", "{ a }", NULL, "[1]", "error: variables is not an object" },
	{ "variables_string", "{ a }", NULL, "\"x\"", "error: variables is not an object" },

	/* values */
	{ "scalars", "{ f(a: 1, b: -0, c: 1.5, d: -2e3, e: true, f: false, g: null) }",
	  NULL, NULL, "f(a=1,b=0,c=1.5,d=-2000.0,e=true,f=false,g=null)" },
	{ "int64_bounds", "{ f(a: 9223372036854775807, b: -9223372036854775808) }",
	  NULL, NULL, "f(a=9223372036854775807,b=-9223372036854775808)" },
	{ "int_too_big", "{ f(a: 9223372036854775808, b: -9223372036854775809, c: [1, 99999999999999999999]) }",
	  NULL, NULL, "f(a=?,b=?,c=?)" },
	{ "float_overflow", "{ f(a: 1e999, b: 1e-999) }", NULL, NULL, "f(a=?,b=0.0)" },
	{ "enum", "{ f(a: RED, b: [\"x\", RED], c: {k: RED}, d: {k: \"v\"}) }",
	  NULL, NULL, "f(a=?,b=?,c=?,d={\"k\":\"v\"})" },
	{ "enum_named_like_keywords", "{ f(a: on, b: query, c: True, d: NULL) }",
	  NULL, NULL, "f(a=?,b=?,c=?,d=?)" },
	{ "object_duplicate_member", "{ f(a: {k: \"x\", k: \"y\"}) }", NULL, NULL, "f(a=?)" },
	{ "empty_list_and_object", "{ f(a: [], b: {}) }", NULL, NULL, "f(a=[],b={})" },
	{ "nested_lists", "{ f(a: [[1], [[\"x\"]], []]) }", NULL, NULL, "f(a=[[1],[[\"x\"]],[]])" },
	{ "string_escapes", "{ f(a: \"q\\\" b\\\\ s\\/ \\b\\f\\n\\r\\t end\") }", NULL, NULL,
	  "f(a=\"q\\\" b\\\\ s/ \\b\\f\\n\\r\\t end\")" },
	{ "string_nul_unknown", "{ f(a: \"oct\\u0000o\", b: [\"\\u0000\"]) }", NULL, NULL,
	  "f(a=?,b=?)" },
	{ "string_invalid_escape", "{ f(a: \"\\x\") }", NULL, NULL,
	  "error: invalid escape sequence in a string" },
	{ "string_lone_surrogate", "{ f(a: \"\\ud83d x\") }", NULL, NULL,
	  "error: \\u escape of a lone high surrogate" },
	{ "string_lone_low_surrogate", "{ f(a: \"\\ude80\") }", NULL, NULL,
	  "error: \\u escape of a lone low surrogate" },

	/* invalid documents */
	{ "syntax_error", "{ a(x: ) }", NULL, NULL, "error: syntax error: expected a value" },
	{ "empty", "", NULL, NULL, "error: document is empty" },
	{ "no_operation", "fragment F on Q { a }", NULL, NULL, "error: document has no operation" },
	{ "error_after_operation", "{ a } fragment F on Q { b", NULL, NULL,
	  "error: syntax error: expected a name" },
};

Test(gql, root_fields_cases)
{
	for (size_t i = 0; i < sizeof(walk_cases) / sizeof(walk_cases[0]); i++) {
		char *got = walk(walk_cases[i].doc, walk_cases[i].op_name,
		    walk_cases[i].variables);

		cr_expect_str_eq(got, walk_cases[i].want, "%s: got '%s'", walk_cases[i].name, got);
		free(got);
	}
}

/* Decoded bytes, checked without a JSON encoder in between. */
static const struct {
	const char *literal, *want;
} string_cases[] = {
	{ "\"plain\"", "plain" },
	{ "\"\"", "" },
	{ "\"\\u0041\\u00e9\\u20AC\"", "A\xC3\xA9\xE2\x82\xAC" },
	{ "\"\\ud83d\\ude80\"", "\xF0\x9F\x9A\x80" },		/* surrogate pair */
	{ "\"\\uD800\\uDC00|\\uDBFF\\uDFFF\"", "\xF0\x90\x80\x80|\xF4\x8F\xBF\xBF" },
	{ "\"\xF0\x9F\x9A\x80 raw\"", "\xF0\x9F\x9A\x80 raw" },
	{ "\"tab\there\"", "tab\there" },
	{ "\"\\\"\\\\\\/\"", "\"\\/" },
	/* block strings: the specification's BlockStringValue() */
	{ "\"\"\"plain\"\"\"", "plain" },
	{ "\"\"\"\"\"\"", "" },
	{ "\"\"\"\n    hello\n      world\n    \"\"\"", "hello\n  world" },
	{ "\"\"\"  first\n    second\n    third\"\"\"", "  first\nsecond\nthird" },
	{ "\"\"\"\r\n\t\ta\r\n\t\t\tb\r\t\tc\r\n\r\n  \n\"\"\"", "a\n\tb\nc" },
	{ "\"\"\"\n\n  x\n \n  y\n\n\"\"\"", "x\n\ny" },	/* blank inner line kept, shortened */
	{ "\"\"\"a \\\"\"\" b \\n \\u0041\"\"\"", "a \"\"\" b \\n \\u0041" },
	{ "\"\"\"\n  \\\"\"\"\n    \\\"\"\"\"\"\"", "\"\"\"\n  \"\"\"" },
	{ "\"\"\"   \"\"\"", "" },
	{ "\"\"\"\\\\\"\"\"x\"\"\"", "\\\"\"\"x" },
};

Test(gql, root_fields_string_values)
{
	for (size_t i = 0; i < sizeof(string_cases) / sizeof(string_cases[0]); i++) {
		char *doc = util_printf("{ f(s: %s) }", string_cases[i].literal);
		struct gql_fields f;
		const char *err;
		const json_t *v;
		char *b = exact_copy(doc, strlen(doc));
		int rc = gql_root_fields(b, strlen(doc), NULL, NULL, &f, &err);

		cr_assert_eq(rc, 0, "case %zu: %s", i, rc ? err : "");
		cr_assert_eq(f.n, 1);
		cr_assert_eq(f.v[0].n_args, 1);
		v = f.v[0].args[0].value;
		cr_assert(json_is_string(v), "case %zu: not a string", i);
		cr_expect_eq(json_string_length(v), strlen(string_cases[i].want), "case %zu", i);
		cr_expect_str_eq(json_string_value(v), string_cases[i].want, "case %zu", i);
		gql_fields_clear(&f);
		free(b);
		free(doc);
	}
}

/* The values are the request's own, and repeated spreads share them. */
Test(gql, root_fields_values_types)
{
	static const char doc[] = "query($v: Boolean) { ...F ...F } fragment F on Q { f(a: $v, b: 2) }";
	json_t *vars = json_pack("{s:b}", "v", 1);
	struct gql_fields f;
	const char *err;

	cr_assert_eq(gql_root_fields(doc, strlen(doc), NULL, vars, &f, &err), 0);
	json_decref(vars);
	cr_assert_eq(f.n, 2);
	cr_expect_str_eq(f.v[0].name, "f");
	cr_expect_str_eq(f.v[0].args[0].name, "a");
	cr_expect(json_is_true(f.v[0].args[0].value));
	cr_expect(json_is_integer(f.v[1].args[1].value));
	cr_expect_eq(json_integer_value(f.v[1].args[1].value), 2);
	gql_fields_clear(&f);
	gql_fields_clear(&f);		/* twice is harmless */
}

Test(gql, root_fields_null_document)
{
	struct gql_fields f;
	const char *err;

	cr_expect_eq(gql_root_fields(NULL, 0, NULL, NULL, &f, &err), -1);
	cr_expect_str_eq(err, "document is empty");
}

Test(gql, root_fields_cap)
{
	char *doc, *got;
	size_t len;

	doc = repeat("{", " a(x: 1)", GQL_MAX_ROOT_FIELDS, " }", &len);
	got = walk_n(doc, len, NULL, NULL);
	cr_expect_eq(strlen(got), GQL_MAX_ROOT_FIELDS * 7 - 1, "%.40s", got);
	free(got);
	free(doc);

	doc = repeat("{", " a", GQL_MAX_ROOT_FIELDS + 1, " }", &len);
	got = walk_n(doc, len, NULL, NULL);
	cr_expect_str_eq(got, "error: more than 256 root fields");
	free(got);
	free(doc);

	/* the cap counts fields after expansion */
	doc = repeat("{ ...F ...F } fragment F on Q {", " a", GQL_MAX_ROOT_FIELDS / 2 + 1, " }", &len);
	got = walk_n(doc, len, NULL, NULL);
	cr_expect_str_eq(got, "error: more than 256 root fields");
	free(got);
	free(doc);

	/* nested fields do not count */
	doc = repeat("{ a {", " b", 10000, " } }", &len);
	got = walk_n(doc, len, NULL, NULL);
	cr_expect_str_eq(got, "a");
	free(got);
	free(doc);
}

/* F0 spreads F1 twice, F1 spreads F2 twice, ...: 2^levels fields. */
static char *
fan_out(int levels, int spreads)
{
	size_t cap = 64 + (size_t)levels * (size_t)(40 + 12 * spreads), len = 0;
	char *doc = malloc(cap);

	cr_assert_not_null(doc);
	len += (size_t)sprintf(doc + len, "{ ...F0 }");
	for (int i = 0; i < levels; i++) {
		len += (size_t)sprintf(doc + len, " fragment F%d on Q {", i);
		for (int k = 0; k < spreads; k++)
			len += (size_t)sprintf(doc + len, " ...F%d", i + 1);
		len += (size_t)sprintf(doc + len, " }");
	}
	sprintf(doc + len, " fragment F%d on Q { leaf(x: \"v\") }", levels);
	return doc;
}

Test(gql, root_fields_fan_out)
{
	static const struct {
		int levels, spreads;
		const char *want;	/* NULL: a result with 2^levels fields */
	} cases[] = {
		{ 8, 2, NULL },			/* exactly 256 */
		{ 9, 2, "error: more than 256 root fields" },
		{ 40, 2, "error: more than 256 root fields" },
		{ 2000, 2, "error: fragments at the root nest deeper than 64 levels" },
		{ 62, 1, NULL },		/* a chain: 64 levels with the root */
		{ 63, 1, "error: fragments at the root nest deeper than 64 levels" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *doc = fan_out(cases[i].levels, cases[i].spreads), *got;
		double t0 = now_s();

		got = walk(doc, NULL, NULL);
		cr_expect_lt(now_s() - t0, BLOWUP_SECS, "case %zu took %.3f s", i, now_s() - t0);
		if (cases[i].want != NULL)
			cr_expect_str_eq(got, cases[i].want, "case %zu", i);
		else {
			size_t n = strncmp(got, "error", 5) == 0 ? 0 : 1;

			for (const char *c = got; *c; c++)
				n += *c == ' ';
			cr_expect_eq(n, (size_t)1 << (cases[i].spreads == 2 ? cases[i].levels : 0),
			    "case %zu: %.60s", i, got);
		}
		free(got);
		free(doc);
	}
}

/* Each spread is work even when it adds no field, and so is each copy. */
Test(gql, root_fields_expansion_work)
{
	char *doc, *got;
	size_t len;
	double t0 = now_s();

	/* 5000 spreads of one fragment inside one inline fragment at the root */
	doc = repeat("{ x ", "...F ", 5000, "} fragment F on Q { a }", &len);
	got = walk_n(doc, len, NULL, NULL);
	cr_expect_str_eq(got, "error: more than 256 root fields");
	free(got);
	free(doc);

	/* copies of a field with 2000 arguments */
	doc = repeat("{ ...F ...F ...F } fragment F on Q { a(", "x: 1 ", 3000, ") }", &len);
	got = walk_n(doc, len, NULL, NULL);
	cr_expect_str_eq(got, "error: fragments expand to too much work");
	free(got);
	free(doc);
	cr_expect_lt(now_s() - t0, BLOWUP_SECS, "took %.3f s", now_s() - t0);
}

/*
 * A default or a variable used many times is shared, and its size as a
 * tree counts each time: refused past 4 MiB, quickly.
 */
Test(gql, root_fields_value_amplification)
{
	char *head = malloc(1 << 20), *h = head, *doc, *got, *vars;
	size_t len, n = 0;
	double t0 = now_s();
	json_t *big = json_array();

	cr_assert_not_null(head);
	h += sprintf(h, "query($v: [Int] = [");
	for (int i = 0; i < 50000; i++)
		h += sprintf(h, "%d ", i);
	sprintf(h, "]) { f(a: [");
	doc = repeat(head, "$v ", 50000, "]) }", &len);
	got = walk_n(doc, len, NULL, NULL);
	cr_expect_str_eq(got, "error: argument values expand to too much data");
	free(got);
	free(doc);

	/* used a few times it is fine, and converted once */
	doc = repeat(head, "$v ", 10, "]) }", &len);
	got = walk_n(doc, len, NULL, NULL);
	cr_expect_eq(strncmp(got, "f(a=[[0,1,2,", 12), 0, "%.40s", got);
	for (const char *c = got; *c; c++)
		n += *c == '[';
	cr_expect_eq(n, 1 + 10);
	free(got);
	free(doc);

	/* the request's variables, in arguments and through repeated spreads */
	for (int i = 0; i < 100000; i++)
		json_array_append_new(big, json_string("abcdefghij"));
	big = json_pack("{s:o}", "v", big);
	vars = json_dumps(big, JSON_COMPACT);
	json_decref(big);
	doc = repeat("query($v: [String]) { ...F ...F ...F ...F } fragment F on Q {",
	    " a(x: $v)", 1, " }", &len);
	got = walk_n(doc, len, NULL, vars);
	cr_expect_str_eq(got, "error: argument values expand to too much data");
	free(got);
	free(doc);
	doc = repeat("query($v: [String]) {", " a(x: $v)", 4, " }", &len);
	got = walk_n(doc, len, NULL, vars);
	cr_expect_str_eq(got, "error: argument values expand to too much data");
	free(got);
	free(doc);
	doc = repeat("query($v: [String]) {", " a(x: $v)", 2, " }", &len);
	got = walk_n(doc, len, NULL, vars);
	cr_expect_eq(strncmp(got, "a(x=[\"abcdefghij\",", 18), 0, "%.40s", got);
	free(got);
	free(doc);
	free(vars);
	free(head);
	cr_expect_lt(now_s() - t0, BLOWUP_SECS, "took %.3f s", now_s() - t0);
}

/* Whatever classify refuses, the walker refuses; nothing reads past the end. */
Test(gql, root_fields_corpus_and_prefixes)
{
	size_t n;
	struct entry *v = load_corpus(&n);
	size_t ok = 0;

	for (size_t i = 0; i < n; i++) {
		struct entry *e = &v[i];
		struct gql_op op = classify_n(e->query, e->len, e->op_name);
		char *got = walk_n(e->query, e->len, e->op_name, NULL);
		bool failed = strncmp(got, "error: ", 7) == 0;

		if (op.kind == GQL_INVALID) {
			cr_expect(failed, "%s: classify refused but the walker gave %s", e->name, got);
			cr_expect_str_eq(got + 7, op.error, "%s", e->name);
		} else
			ok += !failed;
		free(got);
		if (e->len > 2048)
			continue;
		for (size_t k = 0; k < e->len; k++) {
			op = classify_n(e->query, k, e->op_name);
			got = walk_n(e->query, k, e->op_name, "{\"a\": 1}");
			if (op.kind == GQL_INVALID)
				cr_expect_eq(strncmp(got, "error: ", 7), 0, "%s[:%zu]", e->name, k);
			free(got);
		}
	}
	cr_expect_gt(ok, 50, "only %zu corpus operations walked", ok);
	free_corpus(v, n);
}

Test(gql, root_fields_one_mebibyte)
{
	size_t len;
	char *doc = repeat("query Big { a(x: 1) b {", " field_with_a_name(x: \"s\")", 1 << 20 >> 4, " } }", &len);
	double t0 = now_s();
	char *got = walk_n(doc, len, NULL, NULL);

	cr_expect_lt(now_s() - t0, BLOWUP_SECS, "1 MiB took %.3f s", now_s() - t0);
	cr_expect_str_eq(got, "a(x=1) b");
	free(got);
	free(doc);
}

/* The policy learns node ids from answers only when no other field is
 * aliased "id" anywhere in the document. */
Test(gql, root_fields_id_alias)
{
	static const struct {
		const char *doc;
		bool id_alias;
	} cases[] = {
		{ "{ repository(owner: \"o\", name: \"r\") { id name } }", false },
		{ "{ repository(owner: \"o\", name: \"r\") { id: id } }", false },
		{ "{ repository(owner: \"o\", name: \"r\") { id: name } }", true },
		{ "{ repository(owner: \"o\", name: \"r\") { issues(first: 1) { nodes { id : title } } } }", true },
		{ "{ repository(owner: \"o\", name: \"r\") { ... on Repository { id: name } } }", true },
		{ "{ repository(owner: \"o\", name: \"r\") { ...F } } fragment F on Repository { id: name }", true },
		{ "query A { rateLimit { cost } } query B { x: repository(owner: \"o\", name: \"r\") { id: name } }", true },
		{ "{ node(id: \"x\") { id } }", false },
		{ "{ ident: repository(owner: \"o\", name: \"r\") { idx: name } }", false },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct gql_fields f;
		const char *err = NULL;
		const char *name = strstr(cases[i].doc, "query A") ? "A" : NULL;

		cr_assert_eq(gql_root_fields(cases[i].doc, strlen(cases[i].doc), name, NULL, &f, &err),
		    0, "%s: %s", cases[i].doc, err);
		cr_expect_eq(f.id_alias, cases[i].id_alias, "%s", cases[i].doc);
		gql_fields_clear(&f);
	}
}
