/*
 * test_gql.c - unit tests of src/gql.c (owned by the gql module).
 *
 * Every entry of tests/graphql/corpus.jsonl (the corpus graphql-js checks
 * in tests/e2e/test_graphql_oracle.py), each document in a buffer of exactly
 * its length so ASan sees any read past it; every prefix and some damaged
 * copies of the smaller documents; normalisation; what JSON cannot carry
 * (invalid UTF-8); and the bounds: depth, size, long names.
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

		cr_expect_lt(now_s() - t0, 0.1, "case %zu took too long", i);
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
	cr_expect_lt(now_s() - t0, 0.5, "1 MiB took %.3f s", now_s() - t0);
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
	cr_expect_lt(now_s() - t0, 0.5, "took %.3f s", now_s() - t0);
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
