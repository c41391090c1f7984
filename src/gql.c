/*
 * gql.c - GraphQL operation classifier: lexer, parser, operation choice.
 *
 * A document is accepted only if both the October 2021 specification and
 * graphql-js v16 (the oracle of tests/graphql/) accept it; where they
 * differ we take the stricter reading, because refusing a document costs
 * a client one request while a wrong answer could let a mutation through:
 *
 *  - SourceCharacter is the 2021 set: tab, LF, CR and U+0020 upwards.
 *    Other control characters (NUL included) are refused everywhere,
 *    comments, strings and block strings too, where graphql-js v16, which
 *    follows the later "any Unicode scalar value" draft, lets them pass.
 *  - The 2021 range "U+0020-U+FFFF" is written in UTF-16 code units, so a
 *    supplementary character (an emoji in a comment or a string) is a
 *    pair of units inside it, as graphql-js has always read it; we accept
 *    those. Invalid UTF-8 (overlong forms, encoded surrogates, beyond
 *    U+10FFFF, truncated sequences) is refused.
 *  - String escapes are the 2021 ones: \" \\ \/ \b \f \n \r \t \uXXXX.
 *    The later draft's \u{...} is refused, although graphql-js v16 accepts
 *    it. A \uXXXX naming a surrogate must be a high one directly followed
 *    by an escaped low one, as graphql-js v16 requires (2021 allows any
 *    four hex digits).
 *  - Only type system definitions have descriptions. graphql-js 16.12 and
 *    later also take them on operations, fragments and variable
 *    definitions, as later drafts of the specification do.
 *  - Nesting of selection sets, list and object values and list types
 *    together is limited to GQL_MAX_DEPTH; graphql-js has no limit. This
 *    bounds the parser's recursion, the only recursion input can drive.
 *
 * Beyond the grammar, the document must hold only operations and
 * fragments, at least one operation, an anonymous operation only when it
 * is the only one, and unique operation names (graphql-js's
 * ExecutableDefinitions, LoneAnonymousOperation and UniqueOperationNames
 * rules): a server that reads a document with two operations of one name
 * may run either. The operation is then chosen as getOperationAST() does.
 *
 * Work is one pass over the bytes to check the text, one to lex and parse,
 * and, for documents with several named operations, a sort of their names.
 */
#include "gql.h"
#include "util.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

enum gql_tok {
	GQL_T_EOF,
	GQL_T_PUNCT,	/* ! $ & ( ) : = @ [ ] { | } and "..." (text starts '.') */
	GQL_T_NAME,
	GQL_T_INT,
	GQL_T_FLOAT,
	GQL_T_STRING,
	GQL_T_BLOCK,
};

struct gql_lexer {
	const unsigned char *p, *end;	/* next byte to read, end of input */
	enum gql_tok kind;		/* the current token */
	const unsigned char *tok;
	size_t len;
	const char *error;		/* first lexical or syntax error */
};

struct gql_slice {
	const char *s;
	size_t len;
};

#define GQL_INLINE_NAMES 16

_Static_assert(GQL_MAX_DEPTH == 64, "the depth error message names the limit");

struct gql_parser {
	struct gql_lexer lx;
	int depth;
	size_t n_ops, n_anon;
	struct gql_slice want;		/* operationName; want.s NULL if absent */
	bool chosen;
	enum gql_kind kind;		/* of the chosen operation */
	struct gql_slice name;		/* of the chosen operation */
	struct gql_slice *names;	/* every operation name, for uniqueness */
	size_t n_names, cap;
	struct gql_slice inline_names[GQL_INLINE_NAMES];
};

/* ------------------------------------------------------------------------
 * Source text
 * ---------------------------------------------------------------------- */

/*
 * Every byte in well-formed UTF-8 and every character a SourceCharacter,
 * checked once up front so the lexer may treat any byte of 0x80 and above
 * inside a string or comment as text.
 */
static const char *
gql_check_source(const unsigned char *s, size_t len)
{
	size_t i = 0;

	while (i < len) {
		unsigned char c = s[i], lo = 0x80, hi = 0xBF;
		size_t n;

		if (c < 0x80) {
			if (c < 0x20 && c != '\t' && c != '\n' && c != '\r')
				return "document contains a control character";
			i++;
			continue;
		}
		if (c >= 0xC2 && c <= 0xDF)
			n = 1;
		else if (c == 0xE0) {
			n = 2;
			lo = 0xA0;		/* shorter forms are overlong */
		} else if (c == 0xED) {
			n = 2;
			hi = 0x9F;		/* U+D800-U+DFFF are not characters */
		} else if (c >= 0xE1 && c <= 0xEF)
			n = 2;
		else if (c == 0xF0) {
			n = 3;
			lo = 0x90;
		} else if (c >= 0xF1 && c <= 0xF3)
			n = 3;
		else if (c == 0xF4) {
			n = 3;
			hi = 0x8F;		/* nothing beyond U+10FFFF */
		} else
			return "document is not valid UTF-8";
		if (len - i - 1 < n || s[i + 1] < lo || s[i + 1] > hi)
			return "document is not valid UTF-8";
		for (size_t k = 2; k <= n; k++)
			if ((s[i + k] & 0xC0) != 0x80)
				return "document is not valid UTF-8";
		i += n + 1;
	}
	return NULL;
}

/* ------------------------------------------------------------------------
 * Lexer
 * ---------------------------------------------------------------------- */

static bool
gql_is_digit(unsigned char c)
{
	return c >= '0' && c <= '9';
}

static bool
gql_is_name_start(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_';
}

static bool
gql_is_name_continue(unsigned char c)
{
	return gql_is_name_start(c) || gql_is_digit(c);
}

/* The four hex digits at p as a number, or -1. */
static long
gql_hex4(const unsigned char *p, const unsigned char *end)
{
	long v = 0;

	if (end - p < 4)
		return -1;
	for (int i = 0; i < 4; i++) {
		int d = util_hex_digit(p[i]);

		if (d < 0)
			return -1;
		v = v * 16 + d;
	}
	return v;
}

static int
gql_lex_fail(struct gql_lexer *lx, const char *msg)
{
	if (lx->error == NULL)
		lx->error = msg;
	return -1;
}

/*
 * IntValue and FloatValue, with the lookahead the grammar puts after
 * both: no digit (after a leading zero), no '.', no NameStart. So "00",
 * "1.", "1.5.", "0x1", "1a" and "1_000" are errors, not two tokens.
 */
static int
gql_lex_number(struct gql_lexer *lx)
{
	const unsigned char *p = lx->p, *end = lx->end;
	bool is_float = false;

	if (*p == '-')
		p++;
	if (p == end || !gql_is_digit(*p))
		return gql_lex_fail(lx, "invalid number: expected a digit");
	if (*p == '0') {
		if (++p < end && gql_is_digit(*p))
			return gql_lex_fail(lx, "invalid number: a digit after a leading zero");
	} else
		while (p < end && gql_is_digit(*p))
			p++;
	if (p < end && *p == '.') {
		is_float = true;
		if (++p == end || !gql_is_digit(*p))
			return gql_lex_fail(lx, "invalid number: expected a digit after '.'");
		while (p < end && gql_is_digit(*p))
			p++;
	}
	if (p < end && (*p == 'e' || *p == 'E')) {
		is_float = true;
		if (++p < end && (*p == '+' || *p == '-'))
			p++;
		if (p == end || !gql_is_digit(*p))
			return gql_lex_fail(lx, "invalid number: expected a digit in the exponent");
		while (p < end && gql_is_digit(*p))
			p++;
	}
	if (p < end && (*p == '.' || gql_is_name_start(*p)))
		return gql_lex_fail(lx, "invalid number: followed by '.' or a letter");
	lx->kind = is_float ? GQL_T_FLOAT : GQL_T_INT;
	lx->p = p;
	return 0;
}

/* "..." with the escapes of the 2021 edition; see the top of the file. */
static int
gql_lex_string(struct gql_lexer *lx)
{
	const unsigned char *p = lx->p + 1, *end = lx->end;

	for (;;) {
		long hi, lo;

		if (p == end)
			return gql_lex_fail(lx, "unterminated string");
		if (*p == '"')
			break;
		if (*p == '\n' || *p == '\r')
			return gql_lex_fail(lx, "unterminated string: a line break in a string");
		if (*p != '\\') {
			p++;
			continue;
		}
		if (end - p < 2)
			return gql_lex_fail(lx, "unterminated string");
		switch (p[1]) {
		case '"': case '\\': case '/': case 'b': case 'f': case 'n':
		case 'r': case 't':
			p += 2;
			continue;
		case 'u':
			break;
		default:
			return gql_lex_fail(lx, "invalid escape sequence in a string");
		}
		if (end - p > 2 && p[2] == '{')
			return gql_lex_fail(lx, "\\u{...} escapes are not GraphQL (October 2021)");
		if ((hi = gql_hex4(p + 2, end)) < 0)
			return gql_lex_fail(lx, "invalid \\u escape in a string");
		if (hi >= 0xDC00 && hi <= 0xDFFF)
			return gql_lex_fail(lx, "\\u escape of a lone low surrogate");
		if (hi < 0xD800 || hi > 0xDBFF) {
			p += 6;
			continue;
		}
		/* A high surrogate counts only as the first half of a pair. */
		if (end - p < 12 || p[6] != '\\' || p[7] != 'u' ||
		    (lo = gql_hex4(p + 8, end)) < 0xDC00 || lo > 0xDFFF)
			return gql_lex_fail(lx, "\\u escape of a lone high surrogate");
		p += 12;
	}
	lx->kind = GQL_T_STRING;
	lx->p = p + 1;
	return 0;
}

/* """...""": raw text up to the first """ that is not \""". */
static int
gql_lex_block_string(struct gql_lexer *lx)
{
	const unsigned char *p = lx->p + 3, *end = lx->end;

	for (;;) {
		if (end - p < 3)
			return gql_lex_fail(lx, "unterminated block string");
		if (p[0] == '"' && p[1] == '"' && p[2] == '"')
			break;
		if (p[0] == '\\' && end - p >= 4 && p[1] == '"' && p[2] == '"' &&
		    p[3] == '"')
			p += 4;
		else
			p++;
	}
	lx->kind = GQL_T_BLOCK;
	lx->p = p + 3;
	return 0;
}

/* Skips what the grammar ignores and reads the next token. */
static int
gql_lex(struct gql_lexer *lx)
{
	const unsigned char *p = lx->p, *end = lx->end;
	int rc = 0;

	for (;;) {
		if (p == end)
			break;
		if (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r' || *p == ',')
			p++;
		else if (*p == '#')
			while (p < end && *p != '\n' && *p != '\r')
				p++;
		else if (end - p >= 3 && p[0] == 0xEF && p[1] == 0xBB && p[2] == 0xBF)
			p += 3;		/* U+FEFF may stand between any tokens */
		else
			break;
	}
	lx->tok = lx->p = p;
	if (p == end) {
		lx->kind = GQL_T_EOF;
		lx->len = 0;
		return 0;
	}
	switch (*p) {
	case '!': case '$': case '&': case '(': case ')': case ':': case '=':
	case '@': case '[': case ']': case '{': case '|': case '}':
		lx->kind = GQL_T_PUNCT;
		lx->p = p + 1;
		break;
	case '.':
		if (end - p < 3 || p[1] != '.' || p[2] != '.')
			return gql_lex_fail(lx, "unexpected '.' (only \"...\" is a token)");
		lx->kind = GQL_T_PUNCT;
		lx->p = p + 3;
		break;
	case '"':
		if (end - p >= 3 && p[1] == '"' && p[2] == '"')
			rc = gql_lex_block_string(lx);
		else
			rc = gql_lex_string(lx);
		break;
	default:
		if (*p == '-' || gql_is_digit(*p))
			rc = gql_lex_number(lx);
		else if (gql_is_name_start(*p)) {
			while (++p < end && gql_is_name_continue(*p))
				;
			lx->kind = GQL_T_NAME;
			lx->p = p;
		} else
			return gql_lex_fail(lx, "unexpected character");
	}
	if (rc == -1)
		return -1;
	lx->len = (size_t)(lx->p - lx->tok);
	return 0;
}

static void
gql_lex_init(struct gql_lexer *lx, const char *doc, size_t len)
{
	static const char empty[1];

	memset(lx, 0, sizeof(*lx));
	if (doc == NULL)
		doc = empty;
	lx->p = (const unsigned char *)doc;
	lx->end = lx->p + len;
}

/* ------------------------------------------------------------------------
 * Parser: recursive descent with one token of lookahead
 * ---------------------------------------------------------------------- */

static int
gql_fail(struct gql_parser *p, const char *msg)
{
	return gql_lex_fail(&p->lx, msg);
}

static int
gql_next(struct gql_parser *p)
{
	return gql_lex(&p->lx);
}

static bool
gql_is(const struct gql_parser *p, char c)
{
	return p->lx.kind == GQL_T_PUNCT && p->lx.tok[0] == (unsigned char)c;
}

static bool
gql_is_name(const struct gql_parser *p, const char *name)
{
	size_t n = strlen(name);

	return p->lx.kind == GQL_T_NAME && p->lx.len == n &&
	    memcmp(p->lx.tok, name, n) == 0;
}

static int
gql_expect(struct gql_parser *p, char c, const char *msg)
{
	if (!gql_is(p, c))
		return gql_fail(p, msg);
	return gql_next(p);
}

static int
gql_expect_name(struct gql_parser *p)
{
	if (p->lx.kind != GQL_T_NAME)
		return gql_fail(p, "syntax error: expected a name");
	return gql_next(p);
}

/* Consumes an opening '{' or '[' one level deeper. */
static int
gql_enter(struct gql_parser *p)
{
	if (++p->depth > GQL_MAX_DEPTH)
		return gql_fail(p, "document nests deeper than 64 levels");
	return gql_next(p);
}

/* Consumes the closing '}' or ']' of the current level. */
static int
gql_leave(struct gql_parser *p, char c, const char *msg)
{
	p->depth--;
	return gql_expect(p, c, msg);
}

/* Value[Const]: in a constant a variable is an error, not a value. */
static int
gql_value(struct gql_parser *p, bool is_const)
{
	switch (p->lx.kind) {
	case GQL_T_INT:
	case GQL_T_FLOAT:
	case GQL_T_STRING:
	case GQL_T_BLOCK:
	case GQL_T_NAME:		/* true, false, null or an enum value */
		return gql_next(p);
	default:
		break;
	}
	if (gql_is(p, '$')) {
		if (is_const)
			return gql_fail(p, "syntax error: a variable in a constant value");
		if (gql_next(p) == -1)
			return -1;
		return gql_expect_name(p);
	}
	if (gql_is(p, '[')) {
		if (gql_enter(p) == -1)
			return -1;
		while (!gql_is(p, ']'))
			if (gql_value(p, is_const) == -1)
				return -1;
		return gql_leave(p, ']', "syntax error: expected ']'");
	}
	if (gql_is(p, '{')) {
		if (gql_enter(p) == -1)
			return -1;
		while (!gql_is(p, '}'))
			if (gql_expect_name(p) == -1 ||
			    gql_expect(p, ':', "syntax error: expected ':'") == -1 ||
			    gql_value(p, is_const) == -1)
				return -1;
		return gql_leave(p, '}', "syntax error: expected '}'");
	}
	return gql_fail(p, "syntax error: expected a value");
}

/* ( Argument+ ), if present. */
static int
gql_arguments(struct gql_parser *p, bool is_const)
{
	if (!gql_is(p, '('))
		return 0;
	if (gql_next(p) == -1)
		return -1;
	do {
		if (gql_expect_name(p) == -1 ||
		    gql_expect(p, ':', "syntax error: expected ':'") == -1 ||
		    gql_value(p, is_const) == -1)
			return -1;
	} while (!gql_is(p, ')'));
	return gql_next(p);
}

static int
gql_directives(struct gql_parser *p, bool is_const)
{
	while (gql_is(p, '@'))
		if (gql_next(p) == -1 || gql_expect_name(p) == -1 ||
		    gql_arguments(p, is_const) == -1)
			return -1;
	return 0;
}

/* NamedType, ListType, and either followed by one '!'. */
static int
gql_type(struct gql_parser *p)
{
	if (gql_is(p, '[')) {
		if (gql_enter(p) == -1 || gql_type(p) == -1 ||
		    gql_leave(p, ']', "syntax error: expected ']'") == -1)
			return -1;
	} else if (gql_expect_name(p) == -1)
		return -1;
	if (gql_is(p, '!'))
		return gql_next(p);
	return 0;
}

/* ( $name: Type = default @directives ... ), if present. */
static int
gql_variable_definitions(struct gql_parser *p)
{
	if (!gql_is(p, '('))
		return 0;
	if (gql_next(p) == -1)
		return -1;
	do {
		if (gql_expect(p, '$', "syntax error: expected '$'") == -1 ||
		    gql_expect_name(p) == -1 ||
		    gql_expect(p, ':', "syntax error: expected ':'") == -1 ||
		    gql_type(p) == -1)
			return -1;
		if (gql_is(p, '=') &&
		    (gql_next(p) == -1 || gql_value(p, true) == -1))
			return -1;
		if (gql_directives(p, true) == -1)
			return -1;
	} while (!gql_is(p, ')'));
	return gql_next(p);
}

static int gql_selection_set(struct gql_parser *p);

/*
 * After "...": "on" starts a type condition (a fragment cannot be named
 * "on"), another name is a fragment spread, anything else an inline
 * fragment without a type condition.
 */
static int
gql_fragment_selection(struct gql_parser *p)
{
	if (gql_is_name(p, "on")) {
		if (gql_next(p) == -1 || gql_expect_name(p) == -1)
			return -1;
	} else if (p->lx.kind == GQL_T_NAME) {
		if (gql_next(p) == -1)
			return -1;
		return gql_directives(p, false);
	}
	if (gql_directives(p, false) == -1)
		return -1;
	return gql_selection_set(p);
}

/* Field: Alias? Name Arguments? Directives? SelectionSet? */
static int
gql_field(struct gql_parser *p)
{
	if (gql_expect_name(p) == -1)
		return -1;
	if (gql_is(p, ':') && (gql_next(p) == -1 || gql_expect_name(p) == -1))
		return -1;
	if (gql_arguments(p, false) == -1 || gql_directives(p, false) == -1)
		return -1;
	if (gql_is(p, '{'))
		return gql_selection_set(p);
	return 0;
}

static int
gql_selection_set(struct gql_parser *p)
{
	if (!gql_is(p, '{'))
		return gql_fail(p, "syntax error: expected '{'");
	if (gql_enter(p) == -1)
		return -1;
	do {
		int rc;

		if (gql_is(p, '.'))
			rc = gql_next(p) == -1 ? -1 : gql_fragment_selection(p);
		else
			rc = gql_field(p);
		if (rc == -1)
			return -1;
	} while (!gql_is(p, '}'));
	return gql_leave(p, '}', "syntax error: expected '}'");
}

/* Remembers an operation and whether it is the one the request runs. */
static int
gql_note_operation(struct gql_parser *p, enum gql_kind kind,
    struct gql_slice name)
{
	p->n_ops++;
	if (name.s == NULL)
		p->n_anon++;
	else {
		if (p->n_names == p->cap) {
			size_t cap = p->cap * 2;
			struct gql_slice *n;

			if (p->names == p->inline_names) {
				n = malloc(cap * sizeof(*n));
				if (n != NULL)
					memcpy(n, p->names, p->n_names * sizeof(*n));
			} else
				n = realloc(p->names, cap * sizeof(*n));
			if (n == NULL)
				return gql_fail(p, "out of memory");
			p->names = n;
			p->cap = cap;
		}
		p->names[p->n_names++] = name;
	}
	/* getOperationAST(): without a name the first (and only) one,
	 * with a name the first that has it; an anonymous one has none. */
	if (p->want.s == NULL ? p->n_ops == 1 :
	    !p->chosen && name.s != NULL && name.len == p->want.len &&
	    memcmp(name.s, p->want.s, name.len) == 0) {
		p->chosen = true;
		p->kind = kind;
		p->name = name;
	}
	return 0;
}

/* OperationType Name? VariableDefinitions? Directives? SelectionSet, or
 * the shorthand: a bare SelectionSet is an anonymous query. */
static int
gql_operation(struct gql_parser *p, enum gql_kind kind)
{
	struct gql_slice name = { NULL, 0 };

	if (p->lx.kind == GQL_T_NAME) {
		if (gql_next(p) == -1)
			return -1;
		if (p->lx.kind == GQL_T_NAME) {
			name.s = (const char *)p->lx.tok;
			name.len = p->lx.len;
			if (gql_next(p) == -1)
				return -1;
		}
		if (gql_variable_definitions(p) == -1 ||
		    gql_directives(p, false) == -1)
			return -1;
	}
	if (gql_selection_set(p) == -1)
		return -1;
	return gql_note_operation(p, kind, name);
}

/* fragment Name on Type Directives? SelectionSet */
static int
gql_fragment(struct gql_parser *p)
{
	if (gql_next(p) == -1)
		return -1;
	if (gql_is_name(p, "on"))
		return gql_fail(p, "syntax error: a fragment cannot be named \"on\"");
	if (gql_expect_name(p) == -1)
		return -1;
	if (!gql_is_name(p, "on"))
		return gql_fail(p, "syntax error: expected \"on\"");
	if (gql_next(p) == -1 || gql_expect_name(p) == -1 ||
	    gql_directives(p, false) == -1)
		return -1;
	return gql_selection_set(p);
}

static int
gql_definition(struct gql_parser *p)
{
	static const char *const type_system[] = {
		"schema", "scalar", "type", "interface", "union", "enum",
		"input", "directive", "extend", NULL,
	};

	if (gql_is(p, '{'))
		return gql_operation(p, GQL_QUERY);
	if (gql_is_name(p, "query"))
		return gql_operation(p, GQL_QUERY);
	if (gql_is_name(p, "mutation"))
		return gql_operation(p, GQL_MUTATION);
	if (gql_is_name(p, "subscription"))
		return gql_operation(p, GQL_SUBSCRIPTION);
	if (gql_is_name(p, "fragment"))
		return gql_fragment(p);
	/* In the 2021 edition only type system definitions have descriptions. */
	if (p->lx.kind == GQL_T_STRING || p->lx.kind == GQL_T_BLOCK)
		return gql_fail(p, "a description (a string before a definition) "
		    "belongs to type system definitions, which are not executable");
	for (size_t i = 0; type_system[i] != NULL; i++)
		if (gql_is_name(p, type_system[i]))
			return gql_fail(p, "type system definitions are not executable");
	return gql_fail(p, "syntax error: expected an operation or a fragment");
}

static int
gql_document(struct gql_parser *p)
{
	if (gql_next(p) == -1)
		return -1;
	if (p->lx.kind == GQL_T_EOF)
		return gql_fail(p, "document is empty");
	while (p->lx.kind != GQL_T_EOF)
		if (gql_definition(p) == -1)
			return -1;
	return 0;
}

static int
gql_slice_cmp(const void *a, const void *b)
{
	const struct gql_slice *x = a, *y = b;

	if (x->len != y->len)
		return x->len < y->len ? -1 : 1;
	return memcmp(x->s, y->s, x->len);
}

/* The rules graphql-js validates, then getOperationAST(). */
static const char *
gql_choose(struct gql_parser *p)
{
	if (p->n_ops == 0)
		return "document has no operation";
	if (p->n_anon > 0 && p->n_ops > 1)
		return "an anonymous operation must be the only operation";
	if (p->n_names > 1) {
		qsort(p->names, p->n_names, sizeof(*p->names), gql_slice_cmp);
		for (size_t i = 1; i < p->n_names; i++)
			if (gql_slice_cmp(&p->names[i - 1], &p->names[i]) == 0)
				return "operation names must be unique";
	}
	if (p->want.s == NULL && p->n_ops > 1)
		return "operationName is required when the document has several operations";
	if (!p->chosen)
		return "no operation has the requested operationName";
	return NULL;
}

void
gql_classify(const char *doc, size_t len, const char *operation_name,
    struct gql_op *out)
{
	struct gql_parser p;
	const char *error;

	memset(&p, 0, sizeof(p));
	gql_lex_init(&p.lx, doc, len);
	p.names = p.inline_names;
	p.cap = GQL_INLINE_NAMES;
	if (operation_name != NULL) {
		p.want.s = operation_name;
		p.want.len = strlen(operation_name);
	}

	out->kind = GQL_INVALID;
	out->name[0] = '\0';
	if ((error = gql_check_source(p.lx.p, len)) != NULL)
		goto done;
	if (gql_document(&p) == -1) {
		error = p.lx.error;
		goto done;
	}
	if ((error = gql_choose(&p)) != NULL)
		goto done;
	out->kind = p.kind;
	if (p.name.s != NULL) {
		/* Names are ASCII: cutting one never splits a character. */
		size_t n = p.name.len < sizeof(out->name) - 1 ?
		    p.name.len : sizeof(out->name) - 1;

		memcpy(out->name, p.name.s, n);
		out->name[n] = '\0';
	}
done:
	out->error = error;
	if (p.names != p.inline_names)
		free(p.names);
}

char *
gql_normalise(const char *doc, size_t len, size_t *out_len)
{
	struct gql_lexer lx;
	char *out, *o;

	gql_lex_init(&lx, doc, len);
	if (gql_check_source(lx.p, len) != NULL || len > (SIZE_MAX - 1) / 2)
		return NULL;
	/* Every token is at least one byte and gains at most one space. */
	out = o = util_calloc(2 * len + 1, 1);
	for (;;) {
		if (gql_lex(&lx) == -1) {
			free(out);
			return NULL;
		}
		if (lx.kind == GQL_T_EOF)
			break;
		if (o != out)
			*o++ = ' ';
		memcpy(o, lx.tok, lx.len);
		o += lx.len;
	}
	*o = '\0';
	if (out_len != NULL)
		*out_len = (size_t)(o - out);
	return out;
}

const char *
gql_kind_name(enum gql_kind k)
{
	switch (k) {
	case GQL_QUERY:
		return "query";
	case GQL_MUTATION:
		return "mutation";
	case GQL_SUBSCRIPTION:
		return "subscription";
	case GQL_INVALID:
		break;
	}
	return "invalid";
}
