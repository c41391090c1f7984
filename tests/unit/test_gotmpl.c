/*
 * test_gotmpl.c - ghp's Go-template engine, as tables of template, JSON
 * data and the output (or error) that Go's text/template with gh's
 * helpers gives.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gotmpl.h"
#include "leakcheck.h"

/* 2023-11-14T22:13:20Z */
#define NOW 1700000000LL

struct tcase {
	const char *tmpl;
	const char *json;
	const char *out;  /* expected output; NULL when an error is expected */
	const char *err;  /* expected error message, exactly */
	bool tty;
	int width;        /* 0: 80 */
};

#define N(a) (sizeof(a) / sizeof((a)[0]))

/* Runs one case: parse and execute, returning the output or the error. */
static char *
run(const struct tcase *c, bool *failed, char *err, size_t errlen)
{
	json_error_t je;
	json_t *data = json_loads(c->json, JSON_DECODE_ANY, &je);
	struct gotmpl *t;
	char *buf = NULL;
	size_t len = 0;
	FILE *out;

	cr_assert_not_null(data, "%s: bad test JSON: %s", c->tmpl, je.text);
	*failed = false;
	t = gotmpl_parse(c->tmpl, err, errlen);
	if (t == NULL) {
		*failed = true;
		json_decref(data);
		return NULL;
	}
	out = open_memstream(&buf, &len);
	cr_assert_not_null(out);
	if (gotmpl_execute(t, data, out, c->tty, c->width ? c->width : 80, NOW, err, errlen) != 0)
		*failed = true;
	fclose(out);
	gotmpl_free(t);
	json_decref(data);
	return buf;
}

static void
check(const struct tcase *cases, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		const struct tcase *c = &cases[i];
		char err[1024] = "";
		bool failed;
		char *out = run(c, &failed, err, sizeof(err));

		if (c->out != NULL) {
			cr_expect(!failed, "%s: unexpected error: %s", c->tmpl, err);
			if (!failed)
				cr_expect_str_eq(out, c->out, "template %s over %s", c->tmpl, c->json);
		} else {
			cr_expect(failed, "%s: expected error %s, got output '%s'", c->tmpl, c->err,
			    out ? out : "");
			if (failed)
				cr_expect_str_eq(err, c->err, "template %s over %s", c->tmpl, c->json);
		}
		free(out);
	}
}

/* Text, trim markers and comments. */
static const struct tcase text_cases[] = {
	{ "hello", "null", "hello", NULL, false, 0 },
	{ "", "null", "", NULL, false, 0 },
	{ "{{/* a comment */}}x", "null", "x", NULL, false, 0 },
	{ "a {{- /* c */ -}} b", "null", "ab", NULL, false, 0 },
	{ "a\n{{/* multi\nline */}}b", "null", "a\nb", NULL, false, 0 },
	{ "{{23 -}} < {{- 45}}", "null", "23<45", NULL, false, 0 },
	{ "{{-3}}", "null", "-3", NULL, false, 0 },
	{ "x\n \t {{- .a}}", "{\"a\":1}", "x1", NULL, false, 0 },
	{ "{{.a -}}\n\n  y", "{\"a\":1}", "1y", NULL, false, 0 },
	{ "{{- .a -}}", "{\"a\":\"v\"}", "v", NULL, false, 0 },
	{ "{{.a\n}}", "{\"a\":2}", "2", NULL, false, 0 },
	{ "{{ .a }}{{\t.b\t}}", "{\"a\":1,\"b\":2}", "12", NULL, false, 0 },
	{ "a{{\"{{\"}}b", "null", "a{{b", NULL, false, 0 },
};

Test(gotmpl, text_trim_comments)
{
	check(text_cases, N(text_cases));
}

/* Fields, $ and how values print. */
static const struct tcase field_cases[] = {
	{ "{{.title}}", "{\"title\":\"Hi\"}", "Hi", NULL, false, 0 },
	{ "{{.user.login}}", "{\"user\":{\"login\":\"octo\"}}", "octo", NULL, false, 0 },
	{ "{{.a.b.c}}", "{\"a\":{\"b\":{\"c\":true}}}", "true", NULL, false, 0 },
	{ "{{.missing}}", "{}", "<no value>", NULL, false, 0 },
	{ "{{.a.b}}", "{}", "<no value>", NULL, false, 0 },
	{ "{{.n}}", "{\"n\":null}", "<no value>", NULL, false, 0 },
	{ "{{.}}", "null", "<no value>", NULL, false, 0 },
	{ "{{.x}}", "null", "<no value>", NULL, false, 0 },
	{ "{{$.a}}", "{\"a\":\"top\"}", "top", NULL, false, 0 },
	{ "{{$}}", "\"s\"", "s", NULL, false, 0 },
	{ "{{.título}}", "{\"título\":\"x\"}", "x", NULL, false, 0 },
	{ "{{.a_b1}}", "{\"a_b1\":\"u\"}", "u", NULL, false, 0 },
	{ "{{.n}}", "{\"n\":3}", "3", NULL, false, 0 },
	{ "{{.n}}", "{\"n\":1.5}", "1.5", NULL, false, 0 },
	{ "{{.n}}", "{\"n\":-2.25}", "-2.25", NULL, false, 0 },
	{ "{{.n}}", "{\"n\":0}", "0", NULL, false, 0 },
	{ "{{.n}}", "{\"n\":1e21}", "1e+21", NULL, false, 0 },
	{ "{{.n}}", "{\"n\":100000}", "100000", NULL, false, 0 },
	{ "{{.n}}", "{\"n\":1000000}", "1e+06", NULL, false, 0 },
	{ "{{.n}}", "{\"n\":123456789}", "1.23456789e+08", NULL, false, 0 },
	{ "{{.n}}", "{\"n\":0.0001}", "0.0001", NULL, false, 0 },
	{ "{{.n}}", "{\"n\":0.00001}", "1e-05", NULL, false, 0 },
	{ "{{.n}}", "{\"n\":0.1}", "0.1", NULL, false, 0 },
	{ "{{.b}} {{.c}}", "{\"b\":true,\"c\":false}", "true false", NULL, false, 0 },
	{ "{{.a}}", "{\"a\":[\"a\",\"b\"]}", "[a b]", NULL, false, 0 },
	{ "{{.a}}", "{\"a\":[]}", "[]", NULL, false, 0 },
	{ "{{.a}}", "{\"a\":[1,null,\"x\",true]}", "[1 <nil> x true]", NULL, false, 0 },
	{ "{{.}}", "{\"b\":2,\"a\":1}", "map[a:1 b:2]", NULL, false, 0 },
	{ "{{.}}", "{}", "map[]", NULL, false, 0 },
	{ "{{.}}", "{\"a\":{\"c\":[1,{\"d\":null}]}}", "map[a:map[c:[1 map[d:<nil>]]]]", NULL, false, 0 },
	{ "{{.labels}}", "{\"labels\":[{\"name\":\"bug\"}]}", "[map[name:bug]]", NULL, false, 0 },
};

Test(gotmpl, fields_and_printing)
{
	check(field_cases, N(field_cases));
}

/* Literals. */
static const struct tcase literal_cases[] = {
	{ "{{1}} {{1.0}} {{-7}} {{1e3}} {{0x1F}} {{0o17}} {{017}} {{0b101}} {{1_000}}", "null",
	    "1 1 -7 1000 31 15 15 5 1000", NULL, false, 0 },
	{ "{{\"s\\tq\\\"\\u00e9\\x41\\101\"}}", "null", "s\tq\"\xc3\xa9" "AA", NULL, false, 0 },
	{ "{{`raw\\n{{x}}`}}", "null", "raw\\n{{x}}", NULL, false, 0 },
	{ "{{true}} {{false}}", "null", "true false", NULL, false, 0 },
	{ "{{'x'}} {{'\\n'}} {{'\\''}}", "null", "120 10 39", NULL, false, 0 },
	{ "{{printf \"%T %T %T %T\" 1 1.5 \"s\" true}}", "null", "int float64 string bool", NULL, false, 0 },
};

Test(gotmpl, literals)
{
	check(literal_cases, N(literal_cases));
}

/* Variables: declaration, assignment, scope. */
static const struct tcase var_cases[] = {
	{ "{{$x := .a}}{{$x}}", "{\"a\":1}", "1", NULL, false, 0 },
	{ "{{$x := 1}}{{$x = 2}}{{$x}}", "null", "2", NULL, false, 0 },
	{ "{{$x := 1}}{{if true}}{{$x = 2}}{{end}}{{$x}}", "null", "2", NULL, false, 0 },
	{ "{{$x := 1}}{{if true}}{{$x := 2}}{{$x}}{{end}}{{$x}}", "null", "21", NULL, false, 0 },
	{ "{{with $v := .a}}{{$v}}{{end}}", "{\"a\":\"w\"}", "w", NULL, false, 0 },
	{ "{{range .items}}{{$.p}}{{.}}{{end}}", "{\"p\":\"-\",\"items\":[1,2]}", "-1-2", NULL, false, 0 },
	{ "{{$m := .m}}{{$m.k}}", "{\"m\":{\"k\":\"v\"}}", "v", NULL, false, 0 },
	{ "{{$m := .m}}{{$m.k}}", "{\"m\":null}", "<no value>", NULL, false, 0 },
	{ "{{$x := .a | len}}{{$x}}", "{\"a\":[1,2]}", "2", NULL, false, 0 },
};

Test(gotmpl, variables)
{
	check(var_cases, N(var_cases));
}

/* range, if, with, else, break and continue. */
static const struct tcase control_cases[] = {
	{ "{{range .}}{{.}},{{end}}", "[1,2,3]", "1,2,3,", NULL, false, 0 },
	{ "{{range .}}{{.number}}{{\"\\t\"}}{{.title}}{{\"\\n\"}}{{end}}",
	    "[{\"number\":1,\"title\":\"one\"},{\"number\":22,\"title\":\"two\"}]",
	    "1\tone\n22\ttwo\n", NULL, false, 0 },
	{ "{{range $i, $e := .}}{{$i}}={{$e}};{{end}}", "[\"a\",\"b\"]", "0=a;1=b;", NULL, false, 0 },
	{ "{{range $k, $v := .}}{{$k}}:{{$v}} {{end}}", "{\"b\":2,\"a\":1,\"c\":3}", "a:1 b:2 c:3 ",
	    NULL, false, 0 },
	{ "{{range .}}{{.}}{{end}}", "{\"b\":2,\"a\":1}", "12", NULL, false, 0 },
	{ "{{range $e := .}}{{$e}}{{end}}", "[1,2]", "12", NULL, false, 0 },
	{ "{{range .}}{{.}}{{else}}empty{{end}}", "[]", "empty", NULL, false, 0 },
	{ "{{range .}}{{.}}{{else}}empty{{end}}", "{}", "empty", NULL, false, 0 },
	{ "{{range .}}{{.}}{{else}}empty{{end}}", "null", "empty", NULL, false, 0 },
	{ "{{range .x}}a{{else}}none{{end}}", "{}", "none", NULL, false, 0 },
	{ "{{range .}}{{range .}}{{.}}{{end}};{{end}}", "[[1,2],[3]]", "12;3;", NULL, false, 0 },
	{ "{{range .}}{{if eq . 3.0}}{{break}}{{end}}{{.}}{{end}}", "[1,2,3,4]", "12", NULL, false, 0 },
	{ "{{range .}}{{if eq . 2.0}}{{continue}}{{end}}{{.}}{{end}}", "[1,2,3,4]", "134", NULL, false, 0 },
	{ "{{range .}}{{.a}}{{end}}", "[{\"a\":1},{},{\"a\":null}]", "1<no value><no value>", NULL, false, 0 },
	{ "{{range $i, $e := .}}{{end}}{{$i}}", "[]", NULL, "template: :1: undefined variable \"$i\"",
	    false, 0 },
	{ "{{if .a}}yes{{else}}no{{end}}", "{\"a\":true}", "yes", NULL, false, 0 },
	{ "{{if .a}}yes{{else}}no{{end}}", "{\"a\":0}", "no", NULL, false, 0 },
	{ "{{if .a}}yes{{else}}no{{end}}", "{\"a\":\"\"}", "no", NULL, false, 0 },
	{ "{{if .a}}yes{{else}}no{{end}}", "{\"a\":[]}", "no", NULL, false, 0 },
	{ "{{if .a}}yes{{else}}no{{end}}", "{\"a\":{}}", "no", NULL, false, 0 },
	{ "{{if .a}}yes{{else}}no{{end}}", "{\"a\":\"x\"}", "yes", NULL, false, 0 },
	{ "{{if .a}}yes{{else}}no{{end}}", "{}", "no", NULL, false, 0 },
	{ "{{if .a}}yes{{else}}no{{end}}", "{\"a\":null}", "no", NULL, false, 0 },
	{ "{{if .a}}A{{else if .b}}B{{else}}C{{end}}", "{\"b\":1}", "B", NULL, false, 0 },
	{ "{{if .a}}A{{else if .b}}B{{else}}C{{end}}", "{}", "C", NULL, false, 0 },
	{ "{{with .a}}{{.}}{{else}}none{{end}}", "{\"a\":\"x\"}", "x", NULL, false, 0 },
	{ "{{with .a}}{{.}}{{else}}none{{end}}", "{}", "none", NULL, false, 0 },
	{ "{{with .a}}{{.b}}{{end}}", "{\"a\":{\"b\":2}}", "2", NULL, false, 0 },
	{ "{{with .a}}x{{else with .b}}{{.}}{{end}}", "{\"b\":\"B\"}", "B", NULL, false, 0 },
	{ "{{if and .a (not .b)}}ok{{end}}", "{\"a\":1,\"b\":false}", "ok", NULL, false, 0 },
};

Test(gotmpl, control_structures)
{
	check(control_cases, N(control_cases));
}

/* Pipelines and Go's builtin functions. */
static const struct tcase builtin_cases[] = {
	{ "{{.a | printf \"%s!\"}}", "{\"a\":\"x\"}", "x!", NULL, false, 0 },
	{ "{{\"put\" | printf \"%s%s\" \"out\" | printf \"%q\"}}", "null", "\"output\"", NULL, false, 0 },
	{ "{{printf \"%q\" (print \"out\" \"put\")}}", "null", "\"output\"", NULL, false, 0 },
	{ "{{(index .a 0).b}}", "{\"a\":[{\"b\":\"c\"}]}", "c", NULL, false, 0 },
	{ "{{and 1 0}} {{and 1 2}} {{or 0 \"\" \"x\"}} {{or 0 false}}", "null", "0 2 x false", NULL, false, 0 },
	{ "{{and .missing .x}}|{{or .a \"default\"}}|{{not .a}}", "{\"a\":[]}", "<no value>|default|true",
	    NULL, false, 0 },
	{ "{{and false (index .a 5)}}", "{\"a\":[]}", "false", NULL, false, 0 },
	{ "{{1 | and 2}}", "null", "1", NULL, false, 0 },
	{ "{{len .a}} {{len .s}} {{len .m}}", "{\"a\":[1,2,3],\"s\":\"h\xc3\xa9llo\",\"m\":{\"a\":1}}",
	    "3 6 1", NULL, false, 0 },
	{ "{{index .a 1}} {{index .m \"k\"}} {{index .m \"nope\"}} {{index .n 1 0}} {{index \"ab\" 1}}",
	    "{\"a\":[\"x\",\"y\"],\"m\":{\"k\":\"v\"},\"n\":[[1],[2,3]]}", "y v <no value> 2 98", NULL,
	    false, 0 },
	{ "{{slice .a 1 2}} {{slice .s 1}} {{slice .a}} {{slice .s 1 3}}", "{\"a\":[\"x\",\"y\",\"z\"],\"s\":\"abcd\"}",
	    "[y] bcd [x y z] bc", NULL, false, 0 },
	{ "{{eq .a \"x\"}} {{eq .n 3.0}} {{eq .a \"y\" \"x\"}} {{ne .a \"x\"}}", "{\"a\":\"x\",\"n\":3}",
	    "true true true false", NULL, false, 0 },
	{ "{{lt 1 2}} {{le 2 2}} {{gt 1.5 .n}} {{ge \"b\" \"a\"}} {{lt \"a\" \"ab\"}}", "{\"n\":1}",
	    "true true true true true", NULL, false, 0 },
	{ "{{eq .missing \"x\"}} {{eq .missing nil}} {{eq .nul \"x\"}}", "{\"nul\":null}",
	    "false true false", NULL, false, 0 },
	{ "{{print 1 2 \"a\" \"b\" 3 nil}}", "null", "1 2ab3 <nil>", NULL, false, 0 },
	{ "{{println \"a\" 1}}", "null", "a 1\n", NULL, false, 0 },
	{ "{{print .missing}}", "{}", "<nil>", NULL, false, 0 },
	{ "{{.x | printf \"%s\" | }}", "null", "%!s(<nil>)", NULL, false, 0 },
	{ "{{html \"<a href='x'>&\"}}", "null", "&lt;a href=&#39;x&#39;&gt;&amp;", NULL, false, 0 },
	{ "{{html .missing}}", "{}", "&lt;no value&gt;", NULL, false, 0 },
	{ "{{js \"it's <b>\"}}", "null", "it\\'s \\u003Cb\\u003E", NULL, false, 0 },
	{ "{{urlquery \"a b&c=d/\xc3\xa9\"}}", "null", "a+b%26c%3Dd%2F%C3%A9", NULL, false, 0 },
};

Test(gotmpl, builtins)
{
	check(builtin_cases, N(builtin_cases));
}

/* printf, as Go's fmt.Sprintf. */
static const struct tcase printf_cases[] = {
	{ "{{printf \"%d|%5d|%-5d|%05d|%x|%X|%o|%b|%+d|%x\" 42 42 42 42 255 255 8 5 3 -255}}", "null",
	    "42|   42|42   |00042|ff|FF|10|101|+3|-ff", NULL, false, 0 },
	{ "{{printf \"%.2f|%e|%g|%v|%8.3f|%.3g|%G\" 3.14159 1234.5678 0.000012 2.5 3.14159 1234.5678 1e21}}",
	    "null", "3.14|1.234568e+03|1.2e-05|2.5|   3.142|1.23e+03|1E+21", NULL, false, 0 },
	{ "{{printf \"%s|%q|%v|%10s|%-10s|%.2s|%x\" \"hi\" \"hi\" \"hi\" \"hi\" \"hi\" \"hello\" \"hi\"}}",
	    "null", "hi|\"hi\"|hi|        hi|hi        |he|6869", NULL, false, 0 },
	{ "{{printf \"%t %v\" true false}}", "null", "true false", NULL, false, 0 },
	{ "{{printf \"%d\" .n}}", "{\"n\":3}", "%!d(float64=3)", NULL, false, 0 },
	{ "{{printf \"%s\" .n}}", "{\"n\":3}", "%!s(float64=3)", NULL, false, 0 },
	{ "{{printf \"%.0f\" .n}}", "{\"n\":123456789}", "123456789", NULL, false, 0 },
	{ "{{printf \"%s %s\" \"a\"}}", "null", "a %!s(MISSING)", NULL, false, 0 },
	{ "{{printf \"%s\" \"a\" \"b\" 1}}", "null", "a%!(EXTRA string=b, int=1)", NULL, false, 0 },
	{ "{{printf \"%v %T %T\" .a .a .m}}", "{\"a\":[1],\"m\":{}}", "[1] []interface {} map[string]interface {}",
	    NULL, false, 0 },
	{ "{{printf \"%d\" .a}}", "{\"a\":[1,2]}", "[%!d(float64=1) %!d(float64=2)]", NULL, false, 0 },
	{ "{{printf \"%s %v %d\" nil .missing .missing}}", "{}", "%!s(<nil>) <nil> %!d(<nil>)", NULL, false, 0 },
	{ "{{printf \"%%|%c|%U|%q\" 65 65 65}}", "null", "%|A|U+0041|'A'", NULL, false, 0 },
	{ "{{printf \"%6.2f%%\" 12.3456}}", "null", " 12.35%", NULL, false, 0 },
	{ "{{printf \"%[2]s %[1]s\" \"a\" \"b\"}}", "null", "b a", NULL, false, 0 },
	{ "{{printf \"%*d|%-*d|\" 5 1 3 2}}", "null", "    1|2  |", NULL, false, 0 },
	{ "{{printf \"%z %!\" 1}}", "null", "%!z(int=1) %!!(MISSING)", NULL, false, 0 },
	{ "{{printf \"a%\"}}", "null", "a%!(NOVERB)", NULL, false, 0 },
	{ "{{printf \"%#v %#v\" .s .a}}", "{\"s\":\"x\",\"a\":[\"y\",null]}",
	    "\"x\" []interface {}{\"y\", interface {}(nil)}", NULL, false, 0 },
	{ "{{printf \"%5t|%-6v|%08.3f|%+.1e\" true 1.5 -3.14159 12345.678}}", "null",
	    " true|1.5   |-003.142|+1.2e+04", NULL, false, 0 },
};

Test(gotmpl, printf)
{
	check(printf_cases, N(printf_cases));
}

/* gh's helpers: truncate, join, pluck, color, autocolor, hyperlink. */
static const struct tcase gh_cases[] = {
	{ "{{.title | truncate 5}}", "{\"title\":\"hello world\"}", "he...", NULL, false, 0 },
	{ "{{truncate 20 .title}}", "{\"title\":\"hello world\"}", "hello world", NULL, false, 0 },
	{ "{{truncate 3 .title}}", "{\"title\":\"hello world\"}", "hel", NULL, false, 0 },
	{ "{{truncate 5 .missing}}|{{truncate 5 .nul}}", "{\"nul\":null}", "|", NULL, false, 0 },
	{ "{{truncate 4 \"\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e\"}}", "null", "\xe6\x97\xa5\xe6\x9c\xac",
	    NULL, false, 0 },
	{ "{{truncate 5 \"\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e\"}}", "null", "\xe6\x97\xa5...", NULL, false, 0 },
	{ "{{truncate 6 \"\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e\xe6\x97\xa5\"}}", "null", "\xe6\x97\xa5... ",
	    NULL, false, 0 },
	{ "{{truncate -1 \"abc\"}}", "null", "abc", NULL, false, 0 },
	{ "{{join \", \" (pluck \"name\" .labels)}}", "{\"labels\":[{\"name\":\"bug\"},{\"name\":\"p1\"}]}",
	    "bug, p1", NULL, false, 0 },
	{ "{{join \"-\" .a}}", "{\"a\":[1,2.5,true,null,\"x\"]}", "1-2.50-true--x", NULL, false, 0 },
	{ "{{join \",\" .missing}}", "{}", "", NULL, false, 0 },
	{ "{{pluck \"n\" .}}", "[{\"n\":1},{\"m\":2}]", "[1 <nil>]", NULL, false, 0 },
	{ "{{color \"green\" .s}}", "{\"s\":\"ok\"}", "\033[32mok\033[0m", NULL, true, 0 },
	{ "{{color \"green\" .s}}", "{\"s\":\"ok\"}", "\033[32mok\033[0m", NULL, false, 0 },
	{ "{{color \"red+b\" .s}}", "{\"s\":\"ok\"}", "\033[1;31mok\033[0m", NULL, true, 0 },
	{ "{{color \"yellow+u\" .s}}", "{\"s\":\"ok\"}", "\033[4;33mok\033[0m", NULL, true, 0 },
	{ "{{color \"white+h:blue\" .s}}", "{\"s\":\"ok\"}", "\033[97;44mok\033[0m", NULL, true, 0 },
	{ "{{color \"208\" .s}}", "{\"s\":\"ok\"}", "\033[38;5;208mok\033[0m", NULL, true, 0 },
	{ "{{color \"\" .s}}", "{\"s\":\"ok\"}", "ok", NULL, true, 0 },
	{ "{{color \"red\" .n}} {{color \"red\" .f}}", "{\"n\":3,\"f\":1.5}",
	    "\033[31m3\033[0m \033[31m1.50\033[0m", NULL, true, 0 },
	{ "{{autocolor \"green\" .s}}", "{\"s\":\"ok\"}", "ok", NULL, false, 0 },
	{ "{{autocolor \"green\" .s}}", "{\"s\":\"ok\"}", "\033[32mok\033[0m", NULL, true, 0 },
	{ "{{hyperlink .url .t}}", "{\"url\":\"https://x\",\"t\":\"T\"}",
	    "\033]8;;https://x\033\\T\033]8;;\033\\", NULL, false, 0 },
	{ "{{hyperlink .url \"\"}}", "{\"url\":\"https://x\"}",
	    "\033]8;;https://x\033\\https://x\033]8;;\033\\", NULL, true, 0 },
};

Test(gotmpl, gh_helpers)
{
	check(gh_cases, N(gh_cases));
}

/* tablerow and tablerender, laid out as gh's table printer does. */
static const struct tcase table_cases[] = {
	{ "{{range .}}{{tablerow .number .title}}{{end}}",
	    "[{\"number\":1,\"title\":\"a\"},{\"number\":12,\"title\":\"bbbbbb\"}]",
	    "1   a\n12  bbbbbb\n", NULL, false, 0 },
	{ "{{range .}}{{tablerow .number .title}}{{end}}",
	    "[{\"number\":1,\"title\":\"a\"},{\"number\":12,\"title\":\"bbbbbb\"}]",
	    "1   a\n12  bbbbbb\n", NULL, true, 0 },
	{ "{{tablerow \"NUM\" \"TITLE\"}}{{range .}}{{tablerow .n .t}}{{end}}",
	    "[{\"n\":1,\"t\":\"x\"}]", "NUM  TITLE\n1    x\n", NULL, false, 0 },
	{ "{{range .}}{{tablerow .number .title .state}}{{end}}",
	    "[{\"number\":1,\"title\":\"a very long title that will not fit in the terminal width at all\","
	    "\"state\":\"open\"},{\"number\":1234,\"title\":\"short\",\"state\":\"closed\"}]",
	    "1     a very long title that ...  open\n1234  short                       closed\n", NULL,
	    true, 40 },
	{ "{{range .}}{{tablerow .a}}{{end}}footer\n", "[{\"a\":\"x\"},{\"a\":\"y\"}]", "footer\nx\ny\n",
	    NULL, false, 0 },
	{ "{{range .}}{{tablerow .a .b}}{{end}}{{tablerender}}--\n{{tablerow \"long one\" \"1\"}}",
	    "[{\"a\":\"x\",\"b\":\"y\"}]", "x  y\n--\nlong one  1\n", NULL, false, 0 },
	{ "{{tablerow .n .t}}", "{\"n\":1.5,\"t\":\"a\\nb\"}", "1.50  a.\n", NULL, false, 0 },
	{ "{{tablerow .b .n}}", "{\"b\":true}", "true  \n", NULL, false, 0 },
	{ "{{tablerender}}", "null", "", NULL, false, 0 },
};

Test(gotmpl, tables)
{
	check(table_cases, N(table_cases));
}

/* timeago against NOW, and timefmt with Go layouts. */
static const struct tcase time_cases[] = {
	{ "{{timeago .}}", "\"2023-11-14T22:13:00Z\"", "just now", NULL, false, 0 },
	{ "{{timeago .}}", "\"2023-11-14T22:12:20.5Z\"", "just now", NULL, false, 0 },
	{ "{{timeago .}}", "\"2023-11-14T22:12:20Z\"", "1 minute ago", NULL, false, 0 },
	{ "{{timeago .}}", "\"2023-11-14T21:13:21Z\"", "59 minutes ago", NULL, false, 0 },
	{ "{{timeago .}}", "\"2023-11-14T21:13:20Z\"", "1 hour ago", NULL, false, 0 },
	{ "{{timeago .}}", "\"2023-11-14T22:13:20+01:00\"", "1 hour ago", NULL, false, 0 },
	{ "{{timeago .}}", "\"2023-11-12T22:13:20Z\"", "2 days ago", NULL, false, 0 },
	{ "{{timeago .}}", "\"2023-09-15T22:13:20Z\"", "2 months ago", NULL, false, 0 },
	{ "{{timeago .}}", "\"2020-11-14T22:13:20Z\"", "3 years ago", NULL, false, 0 },
	{ "{{timeago .}}", "\"2030-01-01T00:00:00Z\"", "just now", NULL, false, 0 },
	{ "{{timeago .createdAt}}", "{\"createdAt\":\"2023-11-13T22:13:20Z\"}", "1 day ago", NULL, false, 0 },
	{ "{{timefmt \"2006-01-02\" .}}", "\"2024-12-25T01:02:03Z\"", "2024-12-25", NULL, false, 0 },
	{ "{{timefmt \"Jan 2, 2006\" .}}", "\"2024-12-05T01:02:03Z\"", "Dec 5, 2024", NULL, false, 0 },
	{ "{{timefmt \"2006-01-02 15:04:05\" .}}", "\"2024-12-25T01:02:03Z\"", "2024-12-25 01:02:03", NULL,
	    false, 0 },
	{ "{{timefmt \"15:04\" .}}", "\"2024-12-25T21:02:03Z\"", "21:02", NULL, false, 0 },
	{ "{{timefmt \"Monday, 02-Jan-06 15:04:05 MST\" .}}", "\"2023-11-14T22:13:20Z\"",
	    "Tuesday, 14-Nov-23 22:13:20 UTC", NULL, false, 0 },
	{ "{{timefmt \"3:04PM pm\" .}}", "\"2023-11-14T00:13:20Z\"", "12:13AM am", NULL, false, 0 },
	{ "{{timefmt \"15:04 -0700 Z07:00 MST\" .}}", "\"2024-01-01T10:00:00-08:00\"",
	    "10:00 -0800 -08:00 -0800", NULL, false, 0 },
	{ "{{timefmt \"2006-01-02T15:04:05Z07:00\" .}}", "\"2024-03-05T15:04:05+05:30\"",
	    "2024-03-05T15:04:05+05:30", NULL, false, 0 },
	{ "{{timefmt \"Mon Jan _2 .000 .999 ,9 002 __2\" .}}", "\"2024-03-05T15:04:05.120Z\"",
	    "Tue Mar  5 .120 .12 ,1 065  65", NULL, false, 0 },
	{ "{{timefmt \"January 2006\" .}}", "\"2024-02-29T00:00:00Z\"", "February 2024", NULL, false, 0 },
};

Test(gotmpl, time_functions)
{
	check(time_cases, N(time_cases));
}

/* Parse errors, worded as Go's. */
static const struct tcase parse_error_cases[] = {
	{ "{{.x", "null", NULL, "template: :1: unclosed action", false, 0 },
	{ "a\n\n{{.x", "null", NULL, "template: :3: unclosed action", false, 0 },
	{ "{{foo}}", "null", NULL, "template: :1: function \"foo\" not defined", false, 0 },
	{ "{{end}}", "null", NULL, "template: :1: unexpected {{end}}", false, 0 },
	{ "{{else}}", "null", NULL, "template: :1: unexpected {{else}}", false, 0 },
	{ "{{if .}}x", "null", NULL, "template: :1: unexpected EOF", false, 0 },
	{ "{{\"abc}}", "null", NULL, "template: :1: unterminated quoted string", false, 0 },
	{ "{{`abc}}", "null", NULL, "template: :1: unterminated raw quoted string", false, 0 },
	{ "{{$x}}", "null", NULL, "template: :1: undefined variable \"$x\"", false, 0 },
	{ "{{}}", "null", NULL, "template: :1: missing value for command", false, 0 },
	{ "{{if}}{{end}}", "null", NULL, "template: :1: missing value for if", false, 0 },
	{ "{{.a | 3}}", "null", NULL, "template: :1: non executable command in pipeline stage 2", false, 0 },
	{ "{{3x}}", "null", NULL, "template: :1: bad number syntax: \"3x\"", false, 0 },
	{ "{{(1}}", "null", NULL, "template: :1: unclosed left paren", false, 0 },
	{ "{{1)}}", "null", NULL, "template: :1: unexpected right paren U+0029 ')'", false, 0 },
	{ "a\n\n{{.x}\n", "null", NULL, "template: :3: unexpected \"}\" in operand", false, 0 },
	{ "{{.a @}}", "null", NULL, "template: :1: unexpected \"@\" in operand", false, 0 },
	{ "{{break}}", "null", NULL, "template: :1: {{break}} outside {{range}}", false, 0 },
	{ "{{range .}}{{else}}{{continue}}{{end}}", "null", NULL,
	    "template: :1: {{continue}} outside {{range}}", false, 0 },
	{ "{{if 1}}{{else}}{{else}}{{end}}", "null", NULL, "template: :1: expected end; found {{else}}",
	    false, 0 },
	{ "{{printf \"%s\" \"\\q\"}}", "null", NULL, "template: :1: invalid syntax", false, 0 },
	{ "{{\"a\".b}}", "null", NULL, "template: :1: unexpected . after term \"\\\"a\\\"\"", false, 0 },
	{ "{{/* abc", "null", NULL, "template: :1: unclosed comment", false, 0 },
	{ "{{/* abc */ .}}", "null", NULL, "template: :1: comment ends before closing delimiter",
	    false, 0 },
	{ "{{range $i, $e, $f := .}}{{end}}", "null", NULL, "template: :1: too many declarations in range",
	    false, 0 },
	{ "{{99999999999999999999}}", "null", NULL, "template: :1: integer overflow: \"99999999999999999999\"",
	    false, 0 },
	{ "{{a.b}}", "null", NULL, "template: :1: function \"a\" not defined", false, 0 },
	{ "{{define \"x\"}}{{end}}", "null", NULL, "template: :1: unsupported: {{define}}", false, 0 },
	{ "{{template \"x\"}}", "null", NULL, "template: :1: unsupported: {{template}}", false, 0 },
	{ "{{block \"x\" .}}{{end}}", "null", NULL, "template: :1: unsupported: {{block}}", false, 0 },
	{ "{{1i}}", "null", NULL, "template: :1: unsupported: complex constant 1i", false, 0 },
};

Test(gotmpl, parse_errors)
{
	check(parse_error_cases, N(parse_error_cases));
}

/* Execution errors, worded as Go's: position, context and cause. */
static const struct tcase exec_error_cases[] = {
	{ "{{.title.x}}", "{\"title\":\"s\"}", NULL,
	    "template: :1:8: executing \"\" at <.title.x>: can't evaluate field x in type interface {}",
	    false, 0 },
	{ "{{.x}}", "\"str\"", NULL,
	    "template: :1:2: executing \"\" at <.x>: can't evaluate field x in type string", false, 0 },
	{ "{{range .}}{{.x}}{{end}}", "[1]", NULL,
	    "template: :1:13: executing \"\" at <.x>: can't evaluate field x in type interface {}", false, 0 },
	{ "{{.a.b}}", "{\"a\":null}", NULL,
	    "template: :1:4: executing \"\" at <.a.b>: nil pointer evaluating interface {}.b", false, 0 },
	{ "{{range .n}}{{end}}", "{\"n\":5}", NULL,
	    "template: :1:8: executing \"\" at <.n>: range can't iterate over 5", false, 0 },
	{ "x\n{{timeago .x}}", "{\"x\":\"bad\"}", NULL,
	    "template: :2:2: executing \"\" at <timeago .x>: error calling timeago: parsing time \"bad\" as "
	    "\"2006-01-02T15:04:05Z07:00\": cannot parse \"bad\" as \"2006\"", false, 0 },
	{ "{{timeago .x}}", "{\"x\":\"2024-13-01T00:00:00Z\"}", NULL,
	    "template: :1:2: executing \"\" at <timeago .x>: error calling timeago: parsing time "
	    "\"2024-13-01T00:00:00Z\": month out of range", false, 0 },
	{ "{{timeago .x}}", "{\"x\":\"2024-02-03 00:00:00Z\"}", NULL,
	    "template: :1:2: executing \"\" at <timeago .x>: error calling timeago: parsing time "
	    "\"2024-02-03 00:00:00Z\" as \"2006-01-02T15:04:05Z07:00\": cannot parse \" 00:00:00Z\" as \"T\"",
	    false, 0 },
	{ "{{timefmt \"2006\" .x}}", "{\"x\":\"2024-02-03T00:00:00Zjunk\"}", NULL,
	    "template: :1:2: executing \"\" at <timefmt \"2006\" .x>: error calling timefmt: parsing time "
	    "\"2024-02-03T00:00:00Zjunk\": extra text: \"junk\"", false, 0 },
	{ "{{timeago .x}}", "{}", NULL,
	    "template: :1:10: executing \"\" at <.x>: invalid value; expected string", false, 0 },
	{ "{{timeago .n}}", "{\"n\":1}", NULL,
	    "template: :1:10: executing \"\" at <.n>: wrong type for value; expected string; got float64",
	    false, 0 },
	{ "{{timeago .n}}", "{\"n\":null}", NULL,
	    "template: :1:10: executing \"\" at <.n>: wrong type for value; expected string; got interface {}",
	    false, 0 },
	{ "{{if eq .n 1}}y{{end}}", "{\"n\":1}", NULL,
	    "template: :1:5: executing \"\" at <eq .n 1>: error calling eq: incompatible types for comparison: "
	    "float64 and int", false, 0 },
	{ "{{index .a 5}}", "{\"a\":[1]}", NULL,
	    "template: :1:2: executing \"\" at <index .a 5>: error calling index: index out of range: 5",
	    false, 0 },
	{ "{{index .a .i}}", "{\"a\":[1],\"i\":0}", NULL,
	    "template: :1:2: executing \"\" at <index .a .i>: error calling index: cannot index slice/array "
	    "with type float64", false, 0 },
	{ "{{len .n}}", "{\"n\":1}", NULL,
	    "template: :1:2: executing \"\" at <len .n>: error calling len: len of type float64", false, 0 },
	{ "{{nil}}", "null", NULL, "template: :1:2: executing \"\" at <nil>: nil is not a command", false, 0 },
	{ "{{.a 1}}", "{\"a\":{}}", NULL,
	    "template: :1:2: executing \"\" at <.a>: a is not a method but has arguments", false, 0 },
	{ "{{1 2}}", "null", NULL,
	    "template: :1:2: executing \"\" at <1>: can't give argument to non-function 1", false, 0 },
	{ "{{truncate \"x\" .a}}", "null", NULL,
	    "template: :1:11: executing \"\" at <\"x\">: expected integer; found \"x\"", false, 0 },
	{ "{{truncate 3 .a}}", "{\"a\":5}", NULL,
	    "template: :1:2: executing \"\" at <truncate 3 .a>: error calling truncate: invalid value; "
	    "expected string, got float64", false, 0 },
	{ "{{not}}", "null", NULL,
	    "template: :1:2: executing \"\" at <not>: wrong number of args for not: want 1 got 0", false, 0 },
	{ "{{tablerow .m}}", "{\"m\":{\"a\":1}}", NULL,
	    "template: :1:2: executing \"\" at <tablerow .m>: error calling tablerow: failed to write table "
	    "row: cannot convert type to string: map[a:1]", false, 0 },
	{ "{{join \",\" .a}}", "{\"a\":[{\"x\":1}]}", NULL,
	    "template: :1:2: executing \"\" at <join \",\" .a>: error calling join: cannot convert type to "
	    "string: map[x:1]", false, 0 },
	{ "{{join \",\" .s}}", "{\"s\":\"x\"}", NULL,
	    "template: :1:11: executing \"\" at <.s>: wrong type for value; expected []interface {}; got string",
	    false, 0 },
	{ "{{pluck \"a\" .}}", "[1]", NULL,
	    "template: :1:2: executing \"\" at <pluck \"a\" .>: error calling pluck: interface conversion: "
	    "interface {} is float64, not map[string]interface {}", false, 0 },
	{ "{{slice .a 2 1}}", "{\"a\":[1,2,3]}", NULL,
	    "template: :1:2: executing \"\" at <slice .a 2 1>: error calling slice: invalid slice index: 2 > 1",
	    false, 0 },
	{ "{{$x := 1}}{{$x.y}}", "null", NULL,
	    "template: :1:15: executing \"\" at <$x.y>: can't evaluate field y in type int", false, 0 },
	{ "{{call .f}}", "{\"f\":1}", NULL,
	    "template: :1:2: executing \"\" at <call .f>: error calling call: non-function .f of type float64",
	    false, 0 },
	{ "{{lt .a 1}}", "{\"a\":[]}", NULL,
	    "template: :1:2: executing \"\" at <lt .a 1>: error calling lt: invalid type for comparison",
	    false, 0 },
	{ "{{color \"red\" 3}}", "null", NULL,
	    "template: :1:2: executing \"\" at <color \"red\" 3>: error calling color: cannot convert type to "
	    "string: 3", false, 0 },
};

Test(gotmpl, exec_errors)
{
	check(exec_error_cases, N(exec_error_cases));
}

/* Output written before an error stays written, as with Go. */
Test(gotmpl, partial_output_before_error)
{
	struct tcase c = { "ok {{.a.b}} never", "{\"a\":\"s\"}", NULL, NULL, false, 0 };
	json_t *data = json_loads(c.json, 0, NULL);
	struct gotmpl *t = gotmpl_parse(c.tmpl, NULL, 0);
	char *buf = NULL, err[256];
	size_t len = 0;
	FILE *out = open_memstream(&buf, &len);

	cr_assert_not_null(t);
	cr_expect_eq(gotmpl_execute(t, data, out, false, 80, NOW, err, sizeof(err)), -1);
	fclose(out);
	cr_expect_str_eq(buf, "ok ");
	/* No error buffer at all is fine too. */
	out = fopen("/dev/null", "w");
	cr_expect_eq(gotmpl_execute(t, data, out, false, 80, NOW, NULL, 0), -1);
	fclose(out);
	cr_expect_null(gotmpl_parse("{{", NULL, 0));
	free(buf);
	gotmpl_free(t);
	json_decref(data);
}

/* A parsed template executes any number of times, over different data. */
Test(gotmpl, reuse)
{
	struct gotmpl *t = gotmpl_parse("{{range .}}{{tablerow .}}{{end}}", NULL, 0);
	const char *data[] = { "[\"a\",\"bb\"]", "[\"c\"]" };
	const char *want[] = { "a\nbb\n", "c\n" };

	cr_assert_not_null(t);
	for (int i = 0; i < 2; i++) {
		json_t *d = json_loads(data[i], 0, NULL);
		char *buf = NULL;
		size_t len = 0;
		FILE *out = open_memstream(&buf, &len);

		cr_expect_eq(gotmpl_execute(t, d, out, false, 80, NOW, NULL, 0), 0);
		fclose(out);
		cr_expect_str_eq(buf, want[i]);
		free(buf);
		json_decref(d);
	}
	gotmpl_free(t);
	gotmpl_free(NULL);
}

static char *
repeat(const char *a, int n, const char *mid, const char *b)
{
	size_t la = strlen(a), lb = strlen(b), lm = strlen(mid);
	char *s = malloc(la * (size_t)n + lm + lb * (size_t)n + 1), *p = s;

	for (int i = 0; i < n; i++, p += la)
		memcpy(p, a, la);
	memcpy(p, mid, lm);
	p += lm;
	for (int i = 0; i < n; i++, p += lb)
		memcpy(p, b, lb);
	*p = '\0';
	return s;
}

/* Nesting is capped at 100 controls or parentheses: no runaway recursion. */
Test(gotmpl, nesting_limits)
{
	char err[256];
	char *ok = repeat("{{if 1}}", 100, "x", "{{end}}");
	char *deep = repeat("{{if 1}}", 101, "x", "{{end}}");
	char *parens = repeat("(", 101, "1", ")");
	char *tmpl = malloc(strlen(parens) + 8);
	struct gotmpl *t = gotmpl_parse(ok, err, sizeof(err));

	cr_expect_not_null(t, "%s", err);
	gotmpl_free(t);
	cr_expect_null(gotmpl_parse(deep, err, sizeof(err)));
	cr_expect_str_eq(err, "template: :1: max nesting depth (100) exceeded");
	sprintf(tmpl, "{{%s}}", parens);
	cr_expect_null(gotmpl_parse(tmpl, err, sizeof(err)));
	cr_expect_str_eq(err, "template: :1: max nesting depth (100) exceeded");
	free(ok);
	free(deep);
	free(parens);
	free(tmpl);
}

/* Templates up to 1 MiB parse and run; larger ones are refused. */
Test(gotmpl, size_limit)
{
	size_t max = 1u << 20;
	char *big = malloc(max + 2), err[256];
	struct gotmpl *t;

	memset(big, 'a', max + 1);
	big[max + 1] = '\0';
	cr_expect_null(gotmpl_parse(big, err, sizeof(err)));
	cr_expect_str_eq(err, "template: too large (1048577 bytes; at most 1048576)");
	/* Exactly 1 MiB of actions. */
	for (size_t i = 0; i + 6 <= max; i += 6)
		memcpy(big + i, "{{.a}}", 6);
	memset(big + (max / 6) * 6, 'b', max % 6);
	big[max] = '\0';
	t = gotmpl_parse(big, err, sizeof(err));
	cr_assert_not_null(t, "%s", err);
	{
		json_t *d = json_loads("{\"a\":\"z\"}", 0, NULL);
		FILE *out = fopen("/dev/null", "w");

		cr_expect_eq(gotmpl_execute(t, d, out, false, 80, NOW, err, sizeof(err)), 0, "%s", err);
		fclose(out);
		json_decref(d);
	}
	gotmpl_free(t);
	free(big);
}

/* Deeply nested data: printing is bounded, other access is fine. */
Test(gotmpl, deep_data)
{
	json_t *root = json_array(), *cur = root;
	char err[512], *buf = NULL;
	size_t len = 0;
	struct gotmpl *t;
	FILE *out;

	for (int i = 0; i < 5000; i++) {
		json_t *next = json_array();

		json_array_append_new(cur, next);
		cur = next;
	}
	t = gotmpl_parse("{{len .}} {{range .}}{{len .}}{{end}} {{.}}", err, sizeof(err));
	cr_assert_not_null(t, "%s", err);
	out = open_memstream(&buf, &len);
	cr_expect_eq(gotmpl_execute(t, root, out, false, 80, NOW, err, sizeof(err)), -1);
	fclose(out);
	cr_expect_str_eq(buf, "1 1 ");
	cr_expect_str_eq(err, "template: :1:40: executing \"\" at <{{.}}>: value nested too deeply to print");
	free(buf);
	gotmpl_free(t);
	json_decref(root);
}

/* Large data runs in bounded memory and gives the whole output. */
Test(gotmpl, large_data)
{
	json_t *arr = json_array();
	char err[256], *buf = NULL;
	size_t len = 0;
	struct gotmpl *t = gotmpl_parse("{{range .}}{{.n}},{{printf \"%s\" .s}};{{tablerow .n .s}}{{end}}",
	    err, sizeof(err));
	FILE *out;

	cr_assert_not_null(t, "%s", err);
	for (int i = 0; i < 100000; i++)
		json_array_append_new(arr, json_pack("{s:i,s:s}", "n", i, "s", "xy"));
	out = open_memstream(&buf, &len);
	cr_expect_eq(gotmpl_execute(t, arr, out, false, 80, NOW, err, sizeof(err)), 0, "%s", err);
	fclose(out);
	cr_expect(len > 1000000);
	cr_expect_eq(strncmp(buf, "0,xy;1,xy;2,xy;", 15), 0);
	cr_expect_str_eq(buf + len - 20, "99998  xy\n99999  xy\n");
	free(buf);
	gotmpl_free(t);
	json_decref(arr);
}
