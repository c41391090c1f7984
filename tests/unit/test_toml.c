/*
 * test_toml.c - unit tests of src/toml.c (owned by the TOML module).
 *
 * Valid documents feature by feature, exact error messages (line numbers and
 * key names included), integer bounds, CRLF and BOM, and a prefix/mutation
 * robustness sweep that is most useful under ASan+UBSan.
 */
#include <criterion/criterion.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "toml.h"
#include "leakcheck.h"

/* ------------------------------------------------------------------------
 * Helpers
 * ---------------------------------------------------------------------- */

static toml_value *
parse_ok(const char *doc)
{
	char err[256] = "";
	toml_value *root = toml_parse(doc, strlen(doc), err, sizeof err);

	cr_assert_not_null(
	    root, "unexpected parse error: %s\n--- document ---\n%s", err, doc);
	cr_assert_eq(toml_type_of(root), TOML_TABLE);
	return root;
}

/* Walks "a/b/c" (slash-separated so test keys may contain dots). */
static const toml_value *
at(const toml_value *t, const char *path)
{
	char part[256];
	const toml_value *v = t;

	for (const char *s = path; v && *s;) {
		size_t n = strcspn(s, "/");

		cr_assert_lt(n, sizeof part);
		memcpy(part, s, n);
		part[n] = '\0';
		v = toml_table_get(v, part);
		s += n + (s[n] == '/');
	}
	cr_assert_not_null(v, "no value at '%s'", path);
	return v;
}

static void
expect_str(const toml_value *root, const char *path, const char *want)
{
	const toml_value *v = at(root, path);

	cr_assert_eq(toml_type_of(v), TOML_STRING, "'%s' is a %s", path,
	    toml_type_name(toml_type_of(v)));
	cr_assert_str_eq(toml_string(v), want, "'%s'", path);
}

static void
expect_int(const toml_value *root, const char *path, int64_t want)
{
	const toml_value *v = at(root, path);

	cr_assert_eq(toml_type_of(v), TOML_INTEGER, "'%s' is a %s", path,
	    toml_type_name(toml_type_of(v)));
	cr_assert_eq(toml_integer(v), want, "'%s': got %lld want %lld", path,
	    (long long)toml_integer(v), (long long)want);
}

static void
expect_bool(const toml_value *root, const char *path, bool want)
{
	const toml_value *v = at(root, path);

	cr_assert_eq(toml_type_of(v), TOML_BOOLEAN, "'%s' is a %s", path,
	    toml_type_name(toml_type_of(v)));
	cr_assert_eq(toml_boolean(v), want, "'%s'", path);
}

static void
expect_keys(const toml_value *t, const char *const *keys, size_t n)
{
	cr_assert_eq(toml_table_size(t), n, "table has %zu keys, want %zu",
	    toml_table_size(t), n);
	for (size_t i = 0; i < n; i++)
		cr_assert_str_eq(toml_table_key(t, i), keys[i], "key #%zu", i);
}

static void
expect_error(const char *doc, size_t len, const char *want)
{
	char err[512] = "unchanged";
	toml_value *root = toml_parse(doc, len, err, sizeof err);

	cr_assert_null(
	    root, "parsed but expected: %s\n--- document ---\n%s", want, doc);
	cr_assert_str_eq(err, want, "got:  %s\nwant: %s\n--- document ---\n%s",
	    err, want, doc);
}

/* ------------------------------------------------------------------------
 * Valid documents: one test per feature
 * ---------------------------------------------------------------------- */

Test(valid, empty_and_comment_only_documents)
{
	const char *docs[] = { "", "\n\n", "# only a comment",
		"  \t# c1\n\n   # c2\n", "\t\n" };

	for (size_t i = 0; i < sizeof docs / sizeof *docs; i++) {
		toml_value *root = parse_ok(docs[i]);

		cr_assert_eq(toml_table_size(root), 0, "doc %zu", i);
		cr_assert_eq(toml_line(root), 1);
		toml_free(root);
	}
}

Test(valid, bare_and_quoted_keys)
{
	toml_value *root = parse_ok("bare_key-1 = 1\n"
				    "1234 = 2\n"
				    "true = 3\n"
				    "\"quoted key\" = 4\n"
				    "'literal \\ key' = 5\n"
				    "\"\" = 6\n"
				    "\"esc\\u00e9\\t\" = 7\n"
				    "\"a.b\" = 8\n");
	const char *keys[] = { "bare_key-1", "1234", "true", "quoted key",
		"literal \\ key", "", "esc\xc3\xa9\t", "a.b" };

	expect_keys(root, keys, 8);
	for (size_t i = 0; i < 8; i++)
		cr_assert_eq(
		    toml_integer(toml_table_value(root, i)), (int64_t)i + 1);
	toml_free(root);
}

Test(valid, dotted_keys_create_nested_tables)
{
	toml_value *root = parse_ok("name.first = \"Ada\"\n"
				    "name . last = \"Lovelace\"\n"
				    "site.\"google.com\" = true\n"
				    "3.14159 = \"pi\"\n"
				    "a.b.c.d = 1\n");
	const toml_value *name = at(root, "name");
	const char *keys[] = { "first", "last" };

	expect_keys(name, keys, 2);
	expect_str(root, "name/first", "Ada");
	expect_str(root, "name/last", "Lovelace");
	expect_bool(root, "site/google.com", true);
	expect_str(root, "3/14159", "pi");
	expect_int(root, "a/b/c/d", 1);
	cr_assert_eq(toml_line(at(root, "a/b/c")), 5);
	toml_free(root);
}

Test(valid, tables_and_document_order)
{
	toml_value *root = parse_ok("top = 0\n"
				    "[zeta]\n"
				    "z = 1\n"
				    "[alpha]\n"
				    "m = 2\n"
				    "b = 3\n"
				    "[ dog . \"tater.man\" ]\n"
				    "type.name = \"pug\"\n"
				    "['lit'.x]\n");
	const char *top[] = { "top", "zeta", "alpha", "dog", "lit" };
	const char *alpha[] = { "m", "b" };

	expect_keys(root, top, 5);
	expect_keys(at(root, "alpha"), alpha, 2);
	expect_str(root, "dog/tater.man/type/name", "pug");
	cr_assert_eq(toml_table_size(at(root, "lit/x")), 0);
	cr_assert_eq(toml_line(at(root, "zeta")), 2);
	cr_assert_eq(toml_line(at(root, "dog/tater.man")), 7);
	toml_free(root);
}

Test(valid, implicit_super_table_defined_later)
{
	toml_value *root = parse_ok("[x.y.z]\n"
				    "a = 1\n"
				    "[x]\n"
				    "b = 2\n"
				    "[x.w]\n");
	const char *keys[] = { "y", "b", "w" };

	expect_keys(at(root, "x"), keys, 3);
	expect_int(root, "x/y/z/a", 1);
	expect_int(root, "x/b", 2);
	/* x was implicit on line 1 and got defined by the header on line 3. */
	cr_assert_eq(toml_line(at(root, "x")), 3);
	cr_assert_eq(toml_line(at(root, "x/y")), 1);
	toml_free(root);
}

Test(valid, subtables_under_dotted_tables)
{
	toml_value *root = parse_ok("[fruit]\n"
				    "apple.color = \"red\"\n"
				    "apple.taste.sweet = true\n"
				    "[fruit.apple.texture]\n"
				    "smooth = true\n");

	expect_str(root, "fruit/apple/color", "red");
	expect_bool(root, "fruit/apple/taste/sweet", true);
	expect_bool(root, "fruit/apple/texture/smooth", true);
	toml_free(root);
}

Test(valid, arrays_of_tables)
{
	toml_value *root = parse_ok("[[pool]]\n"
				    "name = \"a\"\n"
				    "[pool.limits]\n"
				    "rps = 10\n"
				    "[[pool.token]]\n"
				    "id = 1\n"
				    "[[pool.token]]\n"
				    "id = 2\n"
				    "\n"
				    "[[pool]]\n"
				    "name = \"b\"\n"
				    "[pool.limits]\n"
				    "rps = 20\n"
				    "[[pool]]\n");
	const toml_value *pools = at(root, "pool");
	const toml_value *first, *second, *tokens;

	cr_assert_eq(toml_type_of(pools), TOML_ARRAY);
	cr_assert_eq(toml_array_size(pools), 3);
	cr_assert_eq(toml_line(pools), 1);
	first = toml_array_at(pools, 0);
	second = toml_array_at(pools, 1);
	cr_assert_eq(toml_type_of(first), TOML_TABLE);
	expect_str(first, "name", "a");
	expect_int(first, "limits/rps", 10);
	tokens = at(first, "token");
	cr_assert_eq(toml_array_size(tokens), 2);
	expect_int(toml_array_at(tokens, 0), "id", 1);
	expect_int(toml_array_at(tokens, 1), "id", 2);
	cr_assert_eq(toml_line(toml_array_at(tokens, 1)), 7);
	expect_str(second, "name", "b");
	expect_int(second, "limits/rps", 20);
	cr_assert_eq(toml_line(second), 10);
	cr_assert_eq(toml_table_size(toml_array_at(pools, 2)), 0);
	cr_assert_null(toml_array_at(pools, 3));
	toml_free(root);
}

Test(valid, basic_string_escapes)
{
	toml_value *root = parse_ok(
	    "s = \"\\b\\t\\n\\f\\r\\\"\\\\ \\u00E9 \\u20AC \\U0001F600 \\U0010FFFF\"\n"
	    "tab = \"a\tb\"\n"
	    "hash = \"not # a comment\"\n"
	    "utf8 = \"\xe4\xb8\xad\xe6\x96\x87\"\n");

	expect_str(root, "s",
	    "\b\t\n\f\r\"\\ \xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80 \xf4\x8f\xbf\xbf");
	expect_str(root, "tab", "a\tb");
	expect_str(root, "hash", "not # a comment");
	expect_str(root, "utf8", "\xe4\xb8\xad\xe6\x96\x87");
	toml_free(root);
}

Test(valid, literal_strings)
{
	toml_value *root = parse_ok("path = 'C:\\Users\\nodejs\\templates'\n"
				    "quoted = 'Tom \"Dubs\" Preston'\n"
				    "regex = '<\\i\\c*\\s*>'\n"
				    "empty = ''\n");

	expect_str(root, "path", "C:\\Users\\nodejs\\templates");
	expect_str(root, "quoted", "Tom \"Dubs\" Preston");
	expect_str(root, "regex", "<\\i\\c*\\s*>");
	expect_str(root, "empty", "");
	toml_free(root);
}

Test(valid, multiline_basic_strings)
{
	toml_value *root = parse_ok(
	    "a = \"\"\"\nRoses are red\nViolets are blue\"\"\"\n"
	    "b = \"\"\"The quick \\\n\n\n   brown \\\n   fox.\"\"\"\n"
	    "c = \"\"\"\\\n    trimmed \\   \n  \"\"\"\n"
	    "d = \"\"\"Here are two quotes: \"\". Three: \"\"\\\".\"\"\"\n"
	    "e = \"\"\"\"quoted\"\"\"\"\n"
	    "f = \"\"\"x\"\"\"\"\"\n"
	    "g = \"\"\"\"\"\"\n"
	    "h = \"\"\"\n\nkeeps second newline\"\"\"\n"
	    "i = \"\"\"tab\there \\u0041\"\"\"\n");

	expect_str(root, "a", "Roses are red\nViolets are blue");
	expect_str(root, "b", "The quick brown fox.");
	expect_str(root, "c", "trimmed ");
	expect_str(root, "d", "Here are two quotes: \"\". Three: \"\"\".");
	expect_str(root, "e", "\"quoted\"");
	expect_str(root, "f", "x\"\"");
	expect_str(root, "g", "");
	expect_str(root, "h", "\nkeeps second newline");
	expect_str(root, "i", "tab\there A");
	cr_assert_eq(toml_line(at(root, "b")), 4);
	cr_assert_eq(toml_line(at(root, "c")), 9);
	toml_free(root);
}

Test(valid, multiline_literal_strings)
{
	toml_value *root = parse_ok(
	    "re = '''I [dw]on't need \\d{2} apples'''\n"
	    "lines = '''\nThe first newline is\ntrimmed in raw strings.\n'''\n"
	    "q = ''''That,' she said'''\n"
	    "two = '''x'''''\n"
	    "after = 1\n");

	expect_str(root, "re", "I [dw]on't need \\d{2} apples");
	expect_str(
	    root, "lines", "The first newline is\ntrimmed in raw strings.\n");
	expect_str(root, "q", "'That,' she said");
	expect_str(root, "two", "x''");
	cr_assert_eq(toml_line(at(root, "after")), 8);
	toml_free(root);
}

Test(valid, integers_in_every_notation)
{
	toml_value *root = parse_ok(
	    "a = +99\nb = 42\nc = 0\nd = -17\ne = 1_000\nf = 5_349_221\n"
	    "g = 53_49_221\nh = 1_2_3_4_5\ni = -0\nj = +0\n"
	    "k = 0xDEADBEEF\nl = 0xdead_beef\nm = 0o01234567\nn = 0o755\n"
	    "o = 0b11010110\np = 0b0000_0001\n");

	expect_int(root, "a", 99);
	expect_int(root, "b", 42);
	expect_int(root, "c", 0);
	expect_int(root, "d", -17);
	expect_int(root, "e", 1000);
	expect_int(root, "f", 5349221);
	expect_int(root, "g", 5349221);
	expect_int(root, "h", 12345);
	expect_int(root, "i", 0);
	expect_int(root, "j", 0);
	expect_int(root, "k", 0xDEADBEEF);
	expect_int(root, "l", 0xDEADBEEF);
	expect_int(root, "m", 01234567);
	expect_int(root, "n", 0755);
	expect_int(root, "o", 0xD6);
	expect_int(root, "p", 1);
	toml_free(root);
}

Test(valid, integer_bounds)
{
	toml_value *root = parse_ok(
	    "max = 9223372036854775807\n"
	    "min = -9223372036854775808\n"
	    "max_us = 9_223_372_036_854_775_807\n"
	    "hex = 0x7FFFFFFFFFFFFFFF\n"
	    "oct = 0o777777777777777777777\n"
	    "bin = 0b111111111111111111111111111111111111111111111111111111111111111\n"
	    "zeros = 0x0000000000000000000000001\n");

	expect_int(root, "max", INT64_MAX);
	expect_int(root, "min", INT64_MIN);
	expect_int(root, "max_us", INT64_MAX);
	expect_int(root, "hex", INT64_MAX);
	expect_int(root, "oct", INT64_MAX);
	expect_int(root, "bin", INT64_MAX);
	expect_int(root, "zeros", 1);
	toml_free(root);
}

Test(valid, booleans)
{
	toml_value *root =
	    parse_ok("t = true\nf = false\narr = [true,false]\n");

	expect_bool(root, "t", true);
	expect_bool(root, "f", false);
	cr_assert_eq(toml_boolean(toml_array_at(at(root, "arr"), 0)), true);
	cr_assert_eq(toml_boolean(toml_array_at(at(root, "arr"), 1)), false);
	toml_free(root);
}

Test(valid, arrays_mixed_nested_multiline)
{
	toml_value *root =
	    parse_ok("mixed = [ 1, \"two\", true, [3, [4]], { five = 5 } ]\n"
		     "empty = []\n"
		     "empty2 = [ # nothing here\n]\n"
		     "multi = [\n"
		     "  1, # one\n"
		     "  # a full-line comment\n"
		     "  2\n"
		     "  ,\n"
		     "  3,\n"
		     "]\n"
		     "after = 1\n");
	const toml_value *mixed = at(root, "mixed");
	const toml_value *nested, *multi;

	cr_assert_eq(toml_array_size(mixed), 5);
	cr_assert_eq(toml_integer(toml_array_at(mixed, 0)), 1);
	cr_assert_str_eq(toml_string(toml_array_at(mixed, 1)), "two");
	cr_assert_eq(toml_boolean(toml_array_at(mixed, 2)), true);
	nested = toml_array_at(mixed, 3);
	cr_assert_eq(toml_type_of(nested), TOML_ARRAY);
	cr_assert_eq(
	    toml_integer(toml_array_at(toml_array_at(nested, 1), 0)), 4);
	expect_int(toml_array_at(mixed, 4), "five", 5);
	cr_assert_eq(toml_array_size(at(root, "empty")), 0);
	cr_assert_eq(toml_array_size(at(root, "empty2")), 0);
	multi = at(root, "multi");
	cr_assert_eq(toml_array_size(multi), 3);
	for (size_t i = 0; i < 3; i++)
		cr_assert_eq(
		    toml_integer(toml_array_at(multi, i)), (int64_t)i + 1);
	cr_assert_eq(toml_line(multi), 5);
	cr_assert_eq(toml_line(toml_array_at(multi, 2)), 10);
	cr_assert_eq(toml_line(at(root, "after")), 12);
	toml_free(root);
}

Test(valid, inline_tables)
{
	toml_value *root =
	    parse_ok("name = { first = \"Tom\", last = \"Preston-Werner\" }\n"
		     "point = {x=1,y=2}\n"
		     "animal = { type.name = \"pug\", type.size = 3 }\n"
		     "nested = { a = { b = { c = [1, {d = true}] } } }\n"
		     "empty = {}\n"
		     "[t]\n"
		     "inl = { \"q.k\" = 'v' }\n");
	const char *name_keys[] = { "first", "last" };

	expect_keys(at(root, "name"), name_keys, 2);
	expect_str(root, "name/last", "Preston-Werner");
	expect_int(root, "point/y", 2);
	expect_str(root, "animal/type/name", "pug");
	expect_int(root, "animal/type/size", 3);
	expect_bool(toml_array_at(at(root, "nested/a/b/c"), 1), "d", true);
	cr_assert_eq(toml_type_of(at(root, "empty")), TOML_TABLE);
	cr_assert_eq(toml_table_size(at(root, "empty")), 0);
	expect_str(root, "t/inl/q.k", "v");
	toml_free(root);
}

Test(valid, whitespace_and_trailing_comments)
{
	toml_value *root = parse_ok("  \ta\t=\t1 # trailing\n"
				    "\t[ t ]  # header comment\n"
				    "  b =\"x\"#tight\n"
				    "  [[ arr ]]\t\n");

	expect_int(root, "a", 1);
	expect_str(root, "t/b", "x");
	cr_assert_eq(toml_array_size(at(root, "arr")), 1);
	toml_free(root);
}

Test(valid, crlf_line_endings)
{
	toml_value *root = parse_ok("# comment\r\n"
				    "a = 1\r\n"
				    "\r\n"
				    "[t]\r\n"
				    "s = \"\"\"\r\nline1\r\nline2\"\"\"\r\n"
				    "l = '''x\r\ny'''\r\n"
				    "arr = [\r\n  1,\r\n  2,\r\n]\r\n"
				    "c = \"\"\"a \\\r\n   b\"\"\"\r\n"
				    "last = true");

	expect_int(root, "a", 1);
	expect_str(root, "t/s", "line1\nline2");
	expect_str(root, "t/l", "x\ny");
	cr_assert_eq(toml_array_size(at(root, "t/arr")), 2);
	expect_str(root, "t/c", "a b");
	cr_assert_eq(toml_line(at(root, "t")), 4);
	cr_assert_eq(toml_line(at(root, "t/s")), 5);
	cr_assert_eq(toml_line(at(root, "t/l")), 8);
	cr_assert_eq(toml_line(at(root, "t/c")), 14);
	cr_assert_eq(toml_line(at(root, "t/last")), 16);
	toml_free(root);
}

Test(valid, utf8_bom_is_skipped)
{
	toml_value *root = parse_ok("\xef\xbb\xbf"
				    "a = 1\nb = \"\xef\xbb\xbf\"\n");

	expect_int(root, "a", 1);
	cr_assert_eq(toml_line(at(root, "a")), 1);
	/* Only a leading BOM is special; inside a string it is content. */
	expect_str(root, "b", "\xef\xbb\xbf");
	toml_free(root);
}

Test(valid, input_need_not_be_nul_terminated)
{
	const char doc[] = { 'a', ' ', '=', ' ', '4', '2', '\n', 'b', ' ', '=',
		' ', '1' };
	char err[128];
	toml_value *root = toml_parse(doc, 6, err, sizeof err);

	cr_assert_not_null(root, "%s", err);
	expect_int(root, "a", 42);
	cr_assert_null(toml_table_get(root, "b"));
	toml_free(root);
	root = toml_parse(doc, sizeof doc, err, sizeof err);
	cr_assert_not_null(root, "%s", err);
	expect_int(root, "b", 1);
	toml_free(root);
}

Test(valid, value_lines)
{
	toml_value *root =
	    parse_ok("a = 1\n\n# c\nb = [\n1,\n2]\n[t]\n\n[[u]]\nx.y = 3\n");

	cr_assert_eq(toml_line(at(root, "a")), 1);
	cr_assert_eq(toml_line(at(root, "b")), 4);
	cr_assert_eq(toml_line(toml_array_at(at(root, "b"), 1)), 6);
	cr_assert_eq(toml_line(at(root, "t")), 7);
	cr_assert_eq(toml_line(toml_array_at(at(root, "u"), 0)), 9);
	cr_assert_eq(toml_line(at(toml_array_at(at(root, "u"), 0), "x")), 10);
	toml_free(root);
}

/* ------------------------------------------------------------------------
 * API edge cases
 * ---------------------------------------------------------------------- */

Test(api, accessors_on_wrong_types_return_defaults)
{
	toml_value *root = parse_ok("s = \"x\"\ni = 7\nb = true\na = [1]\n");
	const toml_value *s = at(root, "s"), *i = at(root, "i"),
			 *a = at(root, "a");

	cr_assert_null(toml_string(i));
	cr_assert_eq(toml_integer(s), 0);
	cr_assert_eq(toml_boolean(i), false);
	cr_assert_eq(toml_table_size(a), 0);
	cr_assert_null(toml_table_key(a, 0));
	cr_assert_null(toml_table_value(s, 0));
	cr_assert_null(toml_table_get(a, "x"));
	cr_assert_null(toml_table_get(root, "missing"));
	cr_assert_null(toml_table_get(root, NULL));
	cr_assert_eq(toml_array_size(root), 0);
	cr_assert_null(toml_array_at(s, 0));
	cr_assert_null(toml_array_at(a, 1));
	cr_assert_null(toml_table_key(root, 4));
	cr_assert_eq(toml_line(NULL), 0);
	cr_assert_null(toml_string(NULL));
	cr_assert_eq(toml_integer(NULL), 0);
	cr_assert_str_eq(toml_type_name(TOML_ARRAY), "array");
	cr_assert_str_eq(toml_type_name(TOML_BOOLEAN), "boolean");
	toml_free(root);
	toml_free(NULL);
}

Test(api, error_buffer_is_truncated_and_terminated)
{
	char small[8];
	char one[1] = { 'x' };
	const char *doc = "a = 1\na = 2\n";

	memset(small, 'x', sizeof small);
	cr_assert_null(toml_parse(doc, strlen(doc), small, sizeof small));
	cr_assert_str_eq(small, "line 2:");
	cr_assert_null(toml_parse(doc, strlen(doc), one, sizeof one));
	cr_assert_eq(one[0], '\0');
	cr_assert_null(toml_parse(doc, strlen(doc), NULL, 0));
}

Test(api, null_text_with_zero_length_is_empty)
{
	char err[64];
	toml_value *root = toml_parse(NULL, 0, err, sizeof err);

	cr_assert_not_null(root, "%s", err);
	cr_assert_eq(toml_table_size(root), 0);
	toml_free(root);
	cr_assert_null(toml_parse(NULL, 5, err, sizeof err));
	cr_assert_str_eq(err, "line 1: no input");
}

/* ------------------------------------------------------------------------
 * Invalid documents: exact messages (line number and key name included)
 * ---------------------------------------------------------------------- */

typedef struct {
	const char *doc;
	const char *error;
} bad_doc;

static const bad_doc bad_docs[] = {
	/* duplicates and redefinitions */
	{ "a = 1\na = 2\n",
	    "line 2: duplicate key 'a' (already defined as an integer on line 1)" },
	{ "[server]\nport = 1\nport = 2\n",
	    "line 3: duplicate key 'port' (already defined as an integer on line 2)" },
	{ "\"quoted.key\" = 1\n'quoted.key' = 2\n",
	    "line 2: duplicate key '\"quoted.key\"' (already defined as an integer on line 1)" },
	{ "a.b.c = 1\na.b = 2\n",
	    "line 2: duplicate key 'a.b' (already defined as a table on line 1)" },
	{ "[a]\n[a]\n", "line 2: table 'a' is already defined on line 1" },
	{ "[a]\nb = 1\n\n[a]\n",
	    "line 4: table 'a' is already defined on line 1" },
	{ "[a.b]\n[a.b]\n",
	    "line 2: table 'a.b' is already defined on line 1" },
	{ "[[x]]\n[x.y]\n[x.y]\n",
	    "line 3: table 'x.y' is already defined on line 2" },
	{ "a = 1\n[a]\n",
	    "line 2: duplicate key 'a' (already defined as an integer on line 1)" },
	{ "[a]\nb = 1\n[a.b]\n",
	    "line 3: duplicate key 'a.b' (already defined as an integer on line 2)" },
	{ "a = 1\n[a.b]\n",
	    "line 2: cannot define table 'a.b': 'a' is an integer defined on line 1" },
	{ "a.b = 1\n[a]\n",
	    "line 2: table 'a' is already defined by dotted keys on line 1" },
	{ "[[a]]\nb.c = 1\n[a.b]\n",
	    "line 3: table 'a.b' is already defined by dotted keys on line 2" },
	{ "a = {}\n[a]\n",
	    "line 2: table 'a' is already defined as an inline table on line 1" },
	{ "a = {b = 1}\na.c = 2\n",
	    "line 2: cannot add key 'a.c': 'a' is an inline table defined on line 1" },
	{ "a = {b = 1}\n[a.c]\n",
	    "line 2: cannot define table 'a.c': 'a' is an inline table defined on line 1" },
	{ "a = [{b = 1}]\n[a.c]\n",
	    "line 2: cannot define table 'a.c': 'a' is an array defined on line 1" },
	{ "a = [1]\n[[a]]\n",
	    "line 2: cannot define array of tables 'a': already defined as an array on line 1" },
	{ "[a]\n[[a]]\n",
	    "line 2: cannot define array of tables 'a': already defined as a table on line 1" },
	{ "[[a]]\n[a]\n",
	    "line 2: table 'a' is already defined as an array of tables on line 1" },
	{ "[a.b]\nx = 1\n[a]\nb.y = 2\n",
	    "line 4: cannot add key 'b.y': 'b' is a table defined by a [header] on line 1" },
	{ "a.b = 1\na.b.c = 2\n",
	    "line 2: cannot add key 'a.b.c': 'a.b' is an integer defined on line 1" },
	{ "a = {b = {c = 1}, b.d = 2}\n",
	    "line 1: cannot add key 'b.d': 'b' is an inline table defined on line 1 (key 'a')" },
	{ "a = {b = 1, b = 2}\n",
	    "line 1: duplicate key 'b' (already defined as an integer on line 1) (key 'a')" },
	/* statement syntax */
	{ "a = 1\nb\n",
	    "line 2: expected '=' after key 'b', found end of line" },
	{ "a = 1\nb 2\n", "line 2: expected '=' after key 'b', found '2'" },
	{ "a = \n", "line 1: missing value (key 'a')" },
	{ "a =", "line 1: missing value (key 'a')" },
	{ "= 1\n", "line 1: expected a key or table header, found '='" },
	{ "a = true false\n",
	    "line 1: expected end of line after value of key 'a', found 'f'" },
	{ "a = 1 b = 2\n",
	    "line 1: expected end of line after value of key 'a', found 'b'" },
	{ "a = 'x'y'\n",
	    "line 1: expected end of line after value of key 'a', found 'y'" },
	{ "[a] b = 1\n",
	    "line 1: expected end of line after table header 'a', found 'b'" },
	{ "[a\n",
	    "line 1: expected ']' to close header 'a', found end of line" },
	{ "[[a]\n",
	    "line 1: expected ']]' to close header 'a', found end of line" },
	{ "[]\n", "line 1: expected a key, found ']'" },
	{ "\"\"\"k\"\"\" = 1\n",
	    "line 1: expected '=' after key '\"\"', found '\"'" },
	/* invalid characters */
	{ "a = 1\n\x01\n",
	    "line 2: expected a key or table header, found control character 0x01" },
	{ "a = 1 # bad \x01\n",
	    "line 1: control character 0x01 is not allowed in comments" },
	{ "a = \"del\x7f\"\n",
	    "line 1: control character 0x7F must be escaped in strings (key 'a')" },
	{ "a = 'x\x02'\n",
	    "line 1: control character 0x02 is not allowed in literal strings (key 'a')" },
	{ "a = 1\r\nb = \"x\ry\"\r\n",
	    "line 2: control character 0x0D must be escaped in strings (key 'b')" },
	{ "a = 1\rb = 2\n",
	    "line 1: expected end of line after value of key 'a', found control character 0x0D" },
	{ "a = 1\nb = \"\xff\"\n", "line 2: invalid UTF-8 byte 0xFF" },
	{ "a = \"\xc0\xaf\"\n", "line 1: invalid UTF-8 byte 0xC0" },
	{ "\n\na = \"\xed\xa0\x80\"\n", "line 3: invalid UTF-8 byte 0xED" },
	{ "a = \"\xf4\x90\x80\x80\"\n", "line 1: invalid UTF-8 byte 0xF4" },
	/* strings */
	{ "a = \"abc\n", "line 1: unterminated string (key 'a')" },
	{ "x = 1\na = \"\"\"abc\n\nb = 2\n",
	    "line 2: unterminated string (key 'a')" },
	{ "a = '''abc\n", "line 1: unterminated string (key 'a')" },
	{ "a = 'abc\n", "line 1: unterminated string (key 'a')" },
	{ "\"key\n", "line 1: unterminated string" },
	{ "a = \"\\q\"\n", "line 1: invalid escape sequence '\\q' (key 'a')" },
	{ "a = \"\\e\"\n", "line 1: invalid escape sequence '\\e' (key 'a')" },
	{ "a = \"x\\\ny\"\n",
	    "line 1: invalid escape sequence: '\\' followed by end of line (key 'a')" },
	{ "a = \"\\u00\"\n",
	    "line 1: invalid escape '\\u': expected 4 hex digits (key 'a')" },
	{ "a = \"\\U0001F60\"\n",
	    "line 1: invalid escape '\\U': expected 8 hex digits (key 'a')" },
	{ "a = \"\\uD800\"\n",
	    "line 1: escape '\\uD800' is a surrogate, not a Unicode scalar value (key 'a')" },
	{ "a = \"\\U0000DFFF\"\n",
	    "line 1: escape '\\U0000DFFF' is a surrogate, not a Unicode scalar value (key 'a')" },
	{ "a = \"\\U00110000\"\n",
	    "line 1: escape '\\U00110000' is beyond U+10FFFF (key 'a')" },
	{ "\n\nname = \"\\u0000\"\n",
	    "line 3: escape '\\u0000' (NUL) is not allowed: strings are NUL-terminated (key 'name')" },
	{ "a = \"\"\"\nfoo \\  x\n\"\"\"\n",
	    "line 2: a line-ending backslash must be followed by a newline (key 'a')" },
	/* unsupported types */
	{ "ratio = 1.5\n", "line 1: floats are not supported (key 'ratio')" },
	{ "a = 0.5\n", "line 1: floats are not supported (key 'a')" },
	{ "a = 1e3\n", "line 1: floats are not supported (key 'a')" },
	{ "a = -2E-2\n", "line 1: floats are not supported (key 'a')" },
	{ "a = -inf\n", "line 1: floats are not supported (key 'a')" },
	{ "a = nan\n", "line 1: floats are not supported (key 'a')" },
	{ "\nwhen = 1979-05-27\n",
	    "line 2: date-times are not supported (key 'when')" },
	{ "a = 1979-05-27T07:32:00Z\n",
	    "line 1: date-times are not supported (key 'a')" },
	{ "a = 07:32:00\n", "line 1: date-times are not supported (key 'a')" },
	/* integers */
	{ "a = 9223372036854775808\n",
	    "line 1: integer out of range (must fit in 64 bits, signed) (key 'a')" },
	{ "a = -9223372036854775809\n",
	    "line 1: integer out of range (must fit in 64 bits, signed) (key 'a')" },
	{ "a = 99999999999999999999999\n",
	    "line 1: integer out of range (must fit in 64 bits, signed) (key 'a')" },
	{ "a = 0x8000000000000000\n",
	    "line 1: integer out of range (must fit in 64 bits, signed) (key 'a')" },
	{ "a = 0o1000000000000000000000\n",
	    "line 1: integer out of range (must fit in 64 bits, signed) (key 'a')" },
	{ "a = 0b1000000000000000000000000000000000000000000000000000000000000000\n",
	    "line 1: integer out of range (must fit in 64 bits, signed) (key 'a')" },
	{ "a = 0123\n",
	    "line 1: leading zeros are not allowed in integers (key 'a')" },
	{ "a = -01\n",
	    "line 1: leading zeros are not allowed in integers (key 'a')" },
	{ "a = 1__2\n",
	    "line 1: underscores in integers must sit between digits (key 'a')" },
	{ "a = 1_\n",
	    "line 1: underscores in integers must sit between digits (key 'a')" },
	{ "a = _1\n", "line 1: invalid value: unexpected '_' (key 'a')" },
	{ "a = +0x1\n",
	    "line 1: invalid decimal integer: unexpected 'x' (key 'a')" },
	{ "a = 0b102\n",
	    "line 1: invalid binary integer: unexpected '2' (key 'a')" },
	{ "a = 0o8\n", "line 1: missing digits in integer (key 'a')" },
	{ "a = 0x\n", "line 1: missing digits in integer (key 'a')" },
	{ "a = 0X1F\n",
	    "line 1: invalid decimal integer: unexpected 'X' (key 'a')" },
	{ "a = 12abc\n",
	    "line 1: invalid decimal integer: unexpected 'a' (key 'a')" },
	{ "a = +\n",
	    "line 1: invalid value: unexpected end of line (key 'a')" },
	/* arrays and inline tables */
	{ "a = [1, 2\nb = 3\n",
	    "line 2: expected ',' or ']' in array, found 'b' (key 'a')" },
	{ "a = [1 2]\n",
	    "line 1: expected ',' or ']' in array, found '2' (key 'a')" },
	{ "a = [1,,2]\n", "line 1: invalid value: unexpected ',' (key 'a')" },
	{ "a = [,]\n", "line 1: invalid value: unexpected ',' (key 'a')" },
	{ "x = 0\na = [\n1,\n2\n", "line 2: unterminated array (key 'a')" },
	{ "a = {b = 1,}\n",
	    "line 1: trailing comma is not allowed in inline tables (key 'a')" },
	{ "a = {b = 1\n}\n",
	    "line 1: unterminated inline table (inline tables must be on one line) (key 'a')" },
	{ "a = {b = 1 c = 2}\n",
	    "line 1: expected ',' or '}' in inline table, found 'c' (key 'a')" },
	{ "a = {b}\n",
	    "line 1: expected '=' after key 'b', found '}' (key 'a')" },
	/* CRLF keeps line numbers exact */
	{ "a = 1\r\n\r\na = 2\r\n",
	    "line 3: duplicate key 'a' (already defined as an integer on line 1)" },
	{ "\xef\xbb\xbf\n[a]\n[a]\n",
	    "line 3: table 'a' is already defined on line 2" },
};

/*
 * One test walks the whole table with non-fatal expectations, so every wrong
 * message is reported in one run; a Criterion test per row would re-exec the
 * binary ~100 times.
 */
Test(invalid, exact_errors)
{
	for (size_t i = 0; i < sizeof bad_docs / sizeof *bad_docs; i++) {
		char err[512] = "unchanged";
		toml_value *root = toml_parse(
		    bad_docs[i].doc, strlen(bad_docs[i].doc), err, sizeof err);

		cr_expect_null(root, "case %zu parsed but expected: %s", i,
		    bad_docs[i].error);
		cr_expect_str_eq(err, bad_docs[i].error,
		    "case %zu\ngot:  %s\nwant: %s\n--- document ---\n%s", i,
		    err, bad_docs[i].error, bad_docs[i].doc);
		toml_free(root);
	}
}

Test(invalid, nul_byte_in_input)
{
	expect_error("a = \"x\0y\"\n", 10,
	    "line 1: control character 0x00 must be escaped in strings (key 'a')");
	expect_error("a = 1\n\0", 7,
	    "line 2: expected a key or table header, found control character 0x00");
}

Test(invalid, deep_nesting_is_rejected_not_crashing)
{
	size_t depth = 10000;
	char *doc = malloc(depth * 2 + 8);
	size_t n = 0;

	cr_assert_not_null(doc);
	n += (size_t)sprintf(doc, "a = ");
	for (size_t i = 0; i < depth; i++)
		doc[n++] = '[';
	for (size_t i = 0; i < depth; i++)
		doc[n++] = ']';
	expect_error(doc, n,
	    "line 1: values nested more than 128 levels deep (key 'a')");
	free(doc);
}

Test(invalid, nesting_at_the_limit_is_accepted)
{
	char doc[600];
	size_t n = (size_t)sprintf(doc, "a = ");
	char err[128];
	toml_value *root;
	const toml_value *v;

	for (int i = 0; i < 129; i++)
		doc[n++] = '[';
	for (int i = 0; i < 129; i++)
		doc[n++] = ']';
	/* 129 levels is one too many... */
	cr_assert_null(toml_parse(doc, n, err, sizeof err));
	cr_assert_str_eq(
	    err, "line 1: values nested more than 128 levels deep (key 'a')");
	/* ...and 128 is fine: drop one bracket from each side. */
	memmove(doc + 4, doc + 5, n - 5);
	n -= 2;
	root = toml_parse(doc, n, err, sizeof err);
	cr_assert_not_null(root, "%s", err);
	v = at(root, "a");
	for (int i = 1; i < 128; i++)
		v = toml_array_at(v, 0);
	cr_assert_eq(toml_type_of(v), TOML_ARRAY);
	cr_assert_eq(toml_array_size(v), 0);
	toml_free(root);
}

Test(invalid, long_key_names_are_cut_in_messages)
{
	char doc[1200];
	char err[512];
	size_t n = 0;

	for (int i = 0; i < 2; i++) {
		memset(doc + n, 'k', 500);
		n += 500;
		n += (size_t)sprintf(doc + n, " = 1\n");
	}
	cr_assert_null(toml_parse(doc, n, err, sizeof err));
	cr_assert(
	    strncmp(err, "line 2: duplicate key 'kkkk", 27) == 0, "%s", err);
	cr_assert_not_null(strstr(err, "k...'"), "%s", err);
}

/* ------------------------------------------------------------------------
 * Robustness: truncated or mutated input yields a tree or a clean error
 * ---------------------------------------------------------------------- */

static const char *const corpus[] = {
	"# ghpool config\n"
	"listen = \"127.0.0.1:8080\"\n"
	"workers = 0x10\n"
	"[upstream]\n"
	"base = 'https://api.github.com'\n"
	"timeouts = { connect = 5, total = 30 }\n"
	"[[pool]]\n"
	"name = \"main\"\n"
	"tokens = [\n  \"a\", # first\n  \"b\",\n]\n"
	"[pool.limits]\n"
	"rps = -1_000\n"
	"[[pool]]\n"
	"name = \"\"\"multi\\\n   line \\u00e9\"\"\"\n",

	"\xef\xbb\xbf"
	"a.b.\"c d\" = true\r\n"
	"e = '''lit\r\neral'''\r\n"
	"f = [[1, 2], [\"x\", {g = 0b101}]]\r\n"
	"[h.i]\r\n"
	"j = \"\\U0001F600\\t\"\r\n",

	"[[a.b]]\n[a.b.c]\nd = 1\n[[a.b]]\n"
	"[a]\ne = 0o17\n[x]\n"
	"y.z = 9223372036854775807\nw = -9223372036854775808\n",
};

static void
check_outcome(const char *doc, size_t len)
{
	char err[512];
	toml_value *root = toml_parse(doc, len, err, sizeof err);
	int lines = 1;

	for (size_t i = 0; i < len; i++)
		lines += doc[i] == '\n';
	if (root) {
		cr_assert_eq(toml_type_of(root), TOML_TABLE);
		toml_free(root);
	} else {
		int line = 0, used = 0;

		cr_assert(
		    sscanf(err, "line %d: %n", &line, &used) == 1 && used > 0,
		    "malformed error '%s'", err);
		cr_assert(line >= 1 && line <= lines,
		    "error line %d outside 1..%d: %s", line, lines, err);
		cr_assert(err[used] != '\0', "empty message: %s", err);
	}
}

Test(robustness, every_prefix_parses_or_fails_cleanly)
{
	for (size_t d = 0; d < sizeof corpus / sizeof *corpus; d++) {
		size_t len = strlen(corpus[d]);

		for (size_t n = 0; n <= len; n++) {
			/* A heap copy lets ASan catch reads past the prefix. */
			char *copy = malloc(n ? n : 1);

			cr_assert_not_null(copy);
			memcpy(copy, corpus[d], n);
			check_outcome(copy, n);
			free(copy);
		}
	}
}

Test(robustness, every_single_byte_mutation_parses_or_fails_cleanly)
{
	static const char bytes[] = { '"', '\'', '=', '[', ']', '{', '}', ',',
		'.', '#', '\n', '\r', ' ', '\\', '0', '_', 'x', '\0', '\x80',
		'\xff' };

	for (size_t d = 0; d < sizeof corpus / sizeof *corpus; d++) {
		size_t len = strlen(corpus[d]);
		char *copy = malloc(len);

		cr_assert_not_null(copy);
		for (size_t i = 0; i < len; i++) {
			for (size_t b = 0; b < sizeof bytes; b++) {
				memcpy(copy, corpus[d], len);
				copy[i] = bytes[b];
				check_outcome(copy, len);
			}
			/* Deleting shifts the rest: another kind of damage. */
			memcpy(copy, corpus[d], i);
			memcpy(copy + i, corpus[d] + i + 1, len - i - 1);
			check_outcome(copy, len - 1);
		}
		free(copy);
	}
}

Test(robustness, corpus_documents_are_valid)
{
	for (size_t d = 0; d < sizeof corpus / sizeof *corpus; d++)
		toml_free(parse_ok(corpus[d]));
}
