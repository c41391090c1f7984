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
 * gql_root_fields() then reads the chosen operation and the fragments it
 * spreads at its root a second time, each once (see its section below).
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

/* A fragment definition, for gql_root_fields(). */
struct gql_frag {
	struct gql_slice name;		/* first, for gql_slice_cmp() */
	const unsigned char *body;	/* the '{' of its selection set */
	int state;			/* GQL_FRAG_* while walking */
	size_t first, last;		/* its root fields in the output, once done */
	size_t size;			/* of their argument values (see gql_walk) */
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
	const unsigned char *chosen_at;	/* its first token */
	struct gql_slice *names;	/* every operation name, for uniqueness */
	size_t n_names, cap;
	struct gql_slice inline_names[GQL_INLINE_NAMES];
	bool record_fragments;		/* for gql_root_fields(); classify needs none */
	bool id_alias;			/* some field other than id is aliased "id" */
	struct gql_frag *frags;
	size_t n_frags, frags_cap;
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
	bool id = gql_is_name(p, "id");

	if (gql_expect_name(p) == -1)
		return -1;
	if (gql_is(p, ':')) {
		if (gql_next(p) == -1)
			return -1;
		if (id && !gql_is_name(p, "id"))
			p->id_alias = true;
		if (gql_expect_name(p) == -1)
			return -1;
	}
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
    struct gql_slice name, const unsigned char *at)
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
		p->chosen_at = at;
	}
	return 0;
}

/* OperationType Name? VariableDefinitions? Directives? SelectionSet, or
 * the shorthand: a bare SelectionSet is an anonymous query. */
static int
gql_operation(struct gql_parser *p, enum gql_kind kind)
{
	struct gql_slice name = { NULL, 0 };
	const unsigned char *at = p->lx.tok;

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
	return gql_note_operation(p, kind, name, at);
}

/* fragment Name on Type Directives? SelectionSet */
static int
gql_fragment(struct gql_parser *p)
{
	struct gql_slice name;

	if (gql_next(p) == -1)
		return -1;
	if (gql_is_name(p, "on"))
		return gql_fail(p, "syntax error: a fragment cannot be named \"on\"");
	name.s = (const char *)p->lx.tok;
	name.len = p->lx.len;
	if (gql_expect_name(p) == -1)
		return -1;
	if (!gql_is_name(p, "on"))
		return gql_fail(p, "syntax error: expected \"on\"");
	if (gql_next(p) == -1 || gql_expect_name(p) == -1 ||
	    gql_directives(p, false) == -1)
		return -1;
	if (p->record_fragments && gql_is(p, '{')) {
		struct gql_frag *f;

		if (p->n_frags == p->frags_cap) {
			size_t cap = p->frags_cap ? p->frags_cap * 2 : 8;

			if ((f = realloc(p->frags, cap * sizeof(*f))) == NULL)
				return gql_fail(p, "out of memory");
			p->frags = f;
			p->frags_cap = cap;
		}
		f = &p->frags[p->n_frags++];
		memset(f, 0, sizeof(*f));
		f->name = name;
		f->body = p->lx.tok;
	}
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

/*
 * Checks the whole document and chooses its operation: the one pass both
 * gql_classify() and gql_root_fields() make, so they cannot disagree on
 * which operation runs. Free p with gql_parser_free() whatever it returns.
 */
static const char *
gql_parse(struct gql_parser *p, const char *doc, size_t len,
    const char *operation_name, bool record_fragments)
{
	const char *error;

	memset(p, 0, sizeof(*p));
	gql_lex_init(&p->lx, doc, len);
	p->names = p->inline_names;
	p->cap = GQL_INLINE_NAMES;
	p->record_fragments = record_fragments;
	if (operation_name != NULL) {
		p->want.s = operation_name;
		p->want.len = strlen(operation_name);
	}
	if ((error = gql_check_source(p->lx.p, len)) != NULL)
		return error;
	if (gql_document(p) == -1)
		return p->lx.error;
	return gql_choose(p);
}

static void
gql_parser_free(struct gql_parser *p)
{
	if (p->names != p->inline_names)
		free(p->names);
	free(p->frags);
}

void
gql_classify(const char *doc, size_t len, const char *operation_name,
    struct gql_op *out)
{
	struct gql_parser p;
	const char *error;

	out->kind = GQL_INVALID;
	out->name[0] = '\0';
	if ((error = gql_parse(&p, doc, len, operation_name, false)) != NULL)
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
	gql_parser_free(&p);
}

/* ------------------------------------------------------------------------
 * Root fields: a second pass over the operation the first one chose
 *
 * The first pass (gql_parse) has checked the whole document, so the second
 * only ever moves the lexer to tokens the first has read, and nothing it
 * parses can fail for syntax. It reads the chosen operation's variable
 * definitions, then walks its root selection set, walking the body of a
 * fragment in place of a spread. A fragment's root fields depend only on
 * its text and the operation's variables, so each fragment is walked once
 * and later spreads copy what the first produced: the walk stays linear in
 * the document, and copies are bounded by GQL_MAX_EXPANSION_WORK.
 *
 * Values are shared, not copied: a variable used twice is one json_t with
 * two references. Whoever walks the values walks each reference, so their
 * size as trees (GQL_MAX_VALUE_SIZE) is bounded too: `[$v, $v, ...]` with
 * a large $v would otherwise turn a 1 MiB request into gigabytes to read.
 * ---------------------------------------------------------------------- */

/* Spreads expanded, plus fields and arguments copied for repeated spreads. */
#define GQL_MAX_EXPANSION_WORK 4096

/*
 * All argument values together, as trees: a node is 1, plus the bytes of
 * a string or a member's name. A request's body is at most 1 MiB
 * (GRAPHQL_MAX_BODY), so only repeated references come near this.
 */
#define GQL_MAX_VALUE_SIZE (4 * 1024 * 1024)

_Static_assert(GQL_MAX_ROOT_FIELDS == 256, "the field limit message names the limit");
_Static_assert(sizeof(json_int_t) >= sizeof(int64_t), "json_int_t holds an int64_t");

enum { GQL_FRAG_NEW, GQL_FRAG_ACTIVE, GQL_FRAG_DONE };

/* A variable the chosen operation declares. */
struct gql_var {
	struct gql_slice name;		/* first, for gql_slice_cmp() */
	const unsigned char *dflt;	/* first token of its default, or NULL */
	bool converted, sized;
	json_t *value;			/* the default, converted once when used */
	size_t default_size;		/* its size as a tree */
	size_t request_size;		/* of the request's value, once sized */
};

struct gql_walk {
	struct gql_parser p;		/* the first pass, then the second's lexer */
	const json_t *vars;		/* the request's variables, or NULL */
	struct gql_var *decl;		/* sorted by name */
	size_t n_decl, decl_cap;
	struct gql_fields *out;
	size_t out_cap;
	size_t work;			/* against GQL_MAX_EXPANSION_WORK */
	size_t size;			/* against GQL_MAX_VALUE_SIZE */
	int nest;			/* selection sets walked into, root included */
};

/* Moves the lexer to a token the first pass read at that depth. */
static int
gql_seek(struct gql_parser *p, const unsigned char *at, int depth)
{
	p->lx.p = at;
	p->depth = depth;
	return gql_next(p);
}

/* Back to where gql_seek() left, keeping the first error. */
static void
gql_restore(struct gql_parser *p, const struct gql_lexer *saved, int depth)
{
	const char *error = p->lx.error;

	p->lx = *saved;
	p->depth = depth;
	if (p->lx.error == NULL)
		p->lx.error = error;
}

static size_t
gql_add_size(size_t a, size_t b)
{
	return a > SIZE_MAX - b ? SIZE_MAX : a + b;
}

/* v's size as a tree, or anything above limit once it is known to be. */
static size_t
gql_json_size(const json_t *v, size_t limit)
{
	size_t n = 1, i;
	const char *key;
	json_t *item;

	switch (json_typeof(v)) {
	case JSON_STRING:
		n += json_string_length(v);
		break;
	case JSON_ARRAY:
		json_array_foreach(v, i, item)
			if ((n = gql_add_size(n, gql_json_size(item, limit))) > limit)
				break;
		break;
	case JSON_OBJECT:
		json_object_foreach((json_t *)v, key, item) {
			n = gql_add_size(n, strlen(key));
			if ((n = gql_add_size(n, gql_json_size(item, limit))) > limit)
				break;
		}
		break;
	default:
		break;
	}
	return n;
}

/* Text as a JSON string, NULL if it holds U+0000 (see gql.h). */
static json_t *
gql_json_text(const char *s, size_t n)
{
	if (memchr(s, '\0', n) != NULL)
		return NULL;
	return json_stringn(s, n);
}

/* An IntValue token as a JSON integer, NULL beyond 64 bits. */
static json_t *
gql_int_json(const unsigned char *s, size_t len)
{
	bool neg = len > 0 && s[0] == '-';
	uint64_t mag = 0, lim = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;

	for (size_t i = neg ? 1 : 0; i < len; i++) {
		unsigned d = (unsigned)(s[i] - '0');

		if (d > 9 || mag > (lim - d) / 10)
			return NULL;
		mag = mag * 10 + d;
	}
	if (!neg)
		return json_integer((json_int_t)mag);
	if (mag == (uint64_t)INT64_MAX + 1)
		return json_integer((json_int_t)INT64_MIN);
	return json_integer(-(json_int_t)mag);
}

/*
 * A FloatValue token as a JSON real. GraphQL's float grammar is JSON's
 * number grammar, so jansson reads it, independent of the C locale, and
 * refuses what overflows a double.
 */
static json_t *
gql_float_json(const unsigned char *s, size_t len)
{
	json_t *v = json_loadb((const char *)s, len, JSON_DECODE_ANY, NULL);

	if (v != NULL && !json_is_real(v)) {
		json_decref(v);
		v = NULL;
	}
	return v;
}

static char *
gql_put_utf8(char *o, long c)
{
	if (c < 0x80)
		*o++ = (char)c;
	else if (c < 0x800) {
		*o++ = (char)(0xC0 | (c >> 6));
		*o++ = (char)(0x80 | (c & 0x3F));
	} else if (c < 0x10000) {
		*o++ = (char)(0xE0 | (c >> 12));
		*o++ = (char)(0x80 | ((c >> 6) & 0x3F));
		*o++ = (char)(0x80 | (c & 0x3F));
	} else {
		*o++ = (char)(0xF0 | (c >> 18));
		*o++ = (char)(0x80 | ((c >> 12) & 0x3F));
		*o++ = (char)(0x80 | ((c >> 6) & 0x3F));
		*o++ = (char)(0x80 | (c & 0x3F));
	}
	return o;
}

/*
 * A StringValue token (quotes included) decoded. The lexer has checked
 * every escape and surrogate pair; decoding only shrinks the text.
 */
static json_t *
gql_string_json(const unsigned char *s, size_t len)
{
	const unsigned char *p = s + 1, *end = s + len - 1;
	char *buf = util_calloc(len, 1), *o = buf;
	json_t *v = NULL;

	while (p < end) {
		long c, lo;

		if (*p != '\\') {
			*o++ = (char)*p++;
			continue;
		}
		if (end - p < 2)
			goto out;
		switch (p[1]) {
		case '"': case '\\': case '/':
			*o++ = (char)p[1];
			p += 2;
			continue;
		case 'b': *o++ = '\b'; p += 2; continue;
		case 'f': *o++ = '\f'; p += 2; continue;
		case 'n': *o++ = '\n'; p += 2; continue;
		case 'r': *o++ = '\r'; p += 2; continue;
		case 't': *o++ = '\t'; p += 2; continue;
		case 'u':
			break;
		default:
			goto out;
		}
		if ((c = gql_hex4(p + 2, end)) < 0)
			goto out;
		p += 6;
		if (c >= 0xDC00 && c <= 0xDFFF)
			goto out;
		if (c >= 0xD800 && c <= 0xDBFF) {
			if (end - p < 6 || p[0] != '\\' || p[1] != 'u' ||
			    (lo = gql_hex4(p + 2, end)) < 0xDC00 || lo > 0xDFFF)
				goto out;
			c = 0x10000 + ((c - 0xD800) << 10) + (lo - 0xDC00);
			p += 6;
		}
		o = gql_put_utf8(o, c);
	}
	v = gql_json_text(buf, (size_t)(o - buf));
out:
	free(buf);
	return v;
}

static bool
gql_is_blank(const unsigned char *s, const unsigned char *e)
{
	while (s < e && (*s == ' ' || *s == '\t'))
		s++;
	return s == e;
}

/*
 * A BlockString token as the specification's BlockStringValue(): split
 * into lines at LF, CRLF or CR; the least indentation (spaces and tabs)
 * of the lines after the first that are not blank is cut from each of
 * them; blank lines at the start and the end go; the rest is joined with
 * LF. \""" stands for """, which holds neither white space nor line ends,
 * so it is replaced only when the lines are joined.
 */
static json_t *
gql_block_json(const unsigned char *s, size_t len)
{
	const unsigned char *raw = s + 3, *end = s + len - 3, *p;
	const unsigned char **start, **stop;
	size_t n = 1, i, first, last, common = SIZE_MAX;
	char *buf, *o;
	json_t *v;

	for (p = raw; p < end; p++)
		if (*p == '\n' || (*p == '\r' && (p + 1 == end || p[1] != '\n')))
			n++;
	start = util_calloc(n, sizeof(*start));
	stop = util_calloc(n, sizeof(*stop));
	start[0] = raw;
	for (p = raw, i = 0; p < end; p++)
		if (*p == '\n' || (*p == '\r' && (p + 1 == end || p[1] != '\n'))) {
			stop[i++] = (*p == '\n' && p > raw && p[-1] == '\r') ? p - 1 : p;
			start[i] = p + 1;
		}
	stop[i] = end;

	for (i = 1; i < n; i++) {
		size_t indent = 0, length = (size_t)(stop[i] - start[i]);

		while (indent < length && (start[i][indent] == ' ' || start[i][indent] == '\t'))
			indent++;
		if (indent < length && indent < common)
			common = indent;
	}
	if (common != SIZE_MAX)
		for (i = 1; i < n; i++) {
			size_t length = (size_t)(stop[i] - start[i]);

			start[i] += common < length ? common : length;
		}
	for (first = 0; first < n && gql_is_blank(start[first], stop[first]); first++)
		;
	for (last = n; last > first && gql_is_blank(start[last - 1], stop[last - 1]); last--)
		;

	o = buf = util_calloc(len > 0 ? len : 1, 1);
	for (i = first; i < last; i++) {
		if (i > first)
			*o++ = '\n';
		for (p = start[i]; p < stop[i]; ) {
			if (stop[i] - p >= 4 && p[0] == '\\' && p[1] == '"' &&
			    p[2] == '"' && p[3] == '"') {
				memcpy(o, "\"\"\"", 3);
				o += 3;
				p += 4;
			} else
				*o++ = (char)*p++;
		}
	}
	v = gql_json_text(buf, (size_t)(o - buf));
	free(buf);
	free(start);
	free(stop);
	return v;
}

static int gql_walk_value(struct gql_walk *w, bool is_const, json_t **out,
    size_t *size);

/* $name: the request's value, else the declared default, else null. */
static int
gql_walk_variable(struct gql_walk *w, struct gql_slice name, json_t **out,
    size_t *size)
{
	struct gql_parser *p = &w->p;
	struct gql_var key = { .name = name }, *d;
	json_t *v;

	d = w->n_decl == 0 ? NULL :
	    bsearch(&key, w->decl, w->n_decl, sizeof(*w->decl), gql_slice_cmp);
	if (d == NULL)
		return gql_fail(p, "a variable the operation does not declare");
	if (w->vars != NULL &&
	    (v = json_object_getn(w->vars, name.s, name.len)) != NULL) {
		if (!d->sized) {
			d->request_size = gql_json_size(v, GQL_MAX_VALUE_SIZE);
			d->sized = true;
		}
		*out = json_incref(v);
		*size = d->request_size;
		return 0;
	}
	if (d->dflt == NULL) {
		*out = json_null();
		*size = 1;
		return 0;
	}
	if (!d->converted) {
		struct gql_lexer saved = p->lx;
		int depth = p->depth, rc;

		/* Defaults are constants at the top level of the operation. */
		rc = gql_seek(p, d->dflt, 0);
		if (rc == 0)
			rc = gql_walk_value(w, true, &d->value, &d->default_size);
		gql_restore(p, &saved, depth);
		if (rc == -1)
			return -1;
		d->converted = true;
	}
	*out = d->value != NULL ? json_incref(d->value) : NULL;
	*size = d->default_size;
	return 0;
}

/*
 * The value at the current token as JSON in *out, NULL when it cannot be
 * known (see gql.h), and its size as a tree in *size. Parses all of it
 * even when unknown: an undeclared variable anywhere inside is an error.
 */
static int
gql_walk_value(struct gql_walk *w, bool is_const, json_t **out, size_t *size)
{
	struct gql_parser *p = &w->p;
	const unsigned char *tok = p->lx.tok;
	size_t len = p->lx.len;
	json_t *v = NULL;
	bool unknown = false;

	*out = NULL;
	*size = 1;
	switch (p->lx.kind) {
	case GQL_T_INT:
		v = gql_int_json(tok, len);
		break;
	case GQL_T_FLOAT:
		v = gql_float_json(tok, len);
		break;
	case GQL_T_STRING:
		v = gql_string_json(tok, len);
		break;
	case GQL_T_BLOCK:
		v = gql_block_json(tok, len);
		break;
	case GQL_T_NAME:
		if (gql_is_name(p, "true"))
			v = json_true();
		else if (gql_is_name(p, "false"))
			v = json_false();
		else if (gql_is_name(p, "null"))
			v = json_null();
		/* anything else is an enum value: never a string to us */
		break;
	default:
		goto compound;
	}
	if (gql_next(p) == -1) {
		json_decref(v);
		return -1;
	}
	if (json_is_string(v))
		*size += json_string_length(v);
	*out = v;
	return 0;

compound:
	if (gql_is(p, '$')) {
		struct gql_slice name;

		if (is_const)
			return gql_fail(p, "syntax error: a variable in a constant value");
		if (gql_next(p) == -1)
			return -1;
		name.s = (const char *)p->lx.tok;
		name.len = p->lx.len;
		if (gql_expect_name(p) == -1)
			return -1;
		return gql_walk_variable(w, name, out, size);
	}
	if (gql_is(p, '[')) {
		/* An allocation failure makes the value unknown, never wrong. */
		v = json_array();
		unknown = v == NULL;
		if (gql_enter(p) == -1)
			goto fail;
		while (!gql_is(p, ']')) {
			json_t *item;
			size_t item_size;

			if (gql_walk_value(w, is_const, &item, &item_size) == -1)
				goto fail;
			*size = gql_add_size(*size, item_size);
			if (item == NULL || unknown)
				unknown = true;
			else if (json_array_append(v, item) == -1)
				unknown = true;
			json_decref(item);
		}
		if (gql_leave(p, ']', "syntax error: expected ']'") == -1)
			goto fail;
	} else if (gql_is(p, '{')) {
		v = json_object();
		unknown = v == NULL;
		if (gql_enter(p) == -1)
			goto fail;
		while (!gql_is(p, '}')) {
			const char *key = (const char *)p->lx.tok;
			size_t key_len = p->lx.len;
			json_t *item;
			size_t item_size;

			if (gql_expect_name(p) == -1 ||
			    gql_expect(p, ':', "syntax error: expected ':'") == -1 ||
			    gql_walk_value(w, is_const, &item, &item_size) == -1)
				goto fail;
			*size = gql_add_size(*size, gql_add_size(key_len, item_size));
			/* A member named twice: which one counts is not ours to say. */
			if (item == NULL || unknown ||
			    json_object_getn(v, key, key_len) != NULL)
				unknown = true;
			else if (json_object_setn(v, key, key_len, item) == -1)
				unknown = true;
			json_decref(item);
		}
		if (gql_leave(p, '}', "syntax error: expected '}'") == -1)
			goto fail;
	} else
		return gql_fail(p, "syntax error: expected a value");
	if (unknown) {
		json_decref(v);
		v = NULL;
	}
	*out = v;
	return 0;
fail:
	json_decref(v);
	return -1;
}

/* A new, empty field at the end of the output. */
static struct gql_field *
gql_walk_add(struct gql_walk *w)
{
	struct gql_fields *out = w->out;
	struct gql_field *f;

	if (out->n == GQL_MAX_ROOT_FIELDS) {
		(void)gql_fail(&w->p, "more than 256 root fields");
		return NULL;
	}
	if (out->n == w->out_cap) {
		size_t cap = w->out_cap ? w->out_cap * 2 : 8;

		if ((f = realloc(out->v, cap * sizeof(*f))) == NULL) {
			(void)gql_fail(&w->p, "out of memory");
			return NULL;
		}
		out->v = f;
		w->out_cap = cap;
	}
	f = &out->v[out->n++];
	memset(f, 0, sizeof(*f));
	return f;
}

/* Field: Alias? Name Arguments? Directives? SelectionSet?, reported. */
static int
gql_walk_field(struct gql_walk *w)
{
	struct gql_parser *p = &w->p;
	struct gql_slice name = { (const char *)p->lx.tok, p->lx.len };
	struct gql_field *f;
	size_t cap = 0, size;

	if (gql_expect_name(p) == -1)
		return -1;
	if (gql_is(p, ':')) {
		if (gql_next(p) == -1)
			return -1;
		name.s = (const char *)p->lx.tok;
		name.len = p->lx.len;
		if (gql_expect_name(p) == -1)
			return -1;
	}
	if ((f = gql_walk_add(w)) == NULL)
		return -1;
	f->name = util_strndup(name.s, name.len);
	if (gql_is(p, '(')) {
		if (gql_next(p) == -1)
			return -1;
		do {
			struct gql_arg *a;
			const char *arg = (const char *)p->lx.tok;
			size_t arg_len = p->lx.len;

			if (gql_expect_name(p) == -1 ||
			    gql_expect(p, ':', "syntax error: expected ':'") == -1)
				return -1;
			if (f->n_args == cap) {
				cap = cap ? cap * 2 : 4;
				if ((a = realloc(f->args, cap * sizeof(*a))) == NULL)
					return gql_fail(p, "out of memory");
				f->args = a;
			}
			a = &f->args[f->n_args++];
			a->name = util_strndup(arg, arg_len);
			a->value = NULL;
			if (gql_walk_value(w, false, &a->value, &size) == -1)
				return -1;
			if ((w->size = gql_add_size(w->size, size)) > GQL_MAX_VALUE_SIZE)
				return gql_fail(p, "argument values expand to too much data");
		} while (!gql_is(p, ')'));
		if (gql_next(p) == -1)
			return -1;
	}
	if (gql_directives(p, false) == -1)
		return -1;
	/* Not a root field: parsed, not reported. */
	if (gql_is(p, '{'))
		return gql_selection_set(p);
	return 0;
}

/* The fields a fragment produced before, again. */
static int
gql_walk_copy(struct gql_walk *w, const struct gql_frag *f)
{
	if ((w->size = gql_add_size(w->size, f->size)) > GQL_MAX_VALUE_SIZE)
		return gql_fail(&w->p, "argument values expand to too much data");
	for (size_t i = f->first; i < f->last; i++) {
		struct gql_field *dst, *src;

		if ((dst = gql_walk_add(w)) == NULL)
			return -1;
		src = &w->out->v[i];		/* after gql_walk_add() moved it */
		w->work += 1 + src->n_args;
		if (w->work > GQL_MAX_EXPANSION_WORK)
			return gql_fail(&w->p, "fragments expand to too much work");
		dst->name = util_strdup(src->name);
		if (src->n_args == 0)
			continue;
		dst->args = util_calloc(src->n_args, sizeof(*dst->args));
		for (size_t k = 0; k < src->n_args; k++) {
			dst->args[k].name = util_strdup(src->args[k].name);
			if (src->args[k].value != NULL)
				dst->args[k].value = json_incref(src->args[k].value);
			dst->n_args++;
		}
	}
	return 0;
}

static int gql_walk_set(struct gql_walk *w);

/* ...Name at the root: the fragment's root fields, in its place. */
static int
gql_walk_spread(struct gql_walk *w, struct gql_slice name)
{
	struct gql_parser *p = &w->p;
	struct gql_frag key = { .name = name }, *f;
	struct gql_lexer saved;
	size_t size;
	int depth, rc;

	f = p->n_frags == 0 ? NULL :
	    bsearch(&key, p->frags, p->n_frags, sizeof(*p->frags), gql_slice_cmp);
	if (f == NULL)
		return gql_fail(p, "a fragment spread names no fragment of the document");
	if (++w->work > GQL_MAX_EXPANSION_WORK)
		return gql_fail(p, "fragments expand to too much work");
	if (f->state == GQL_FRAG_ACTIVE)
		return gql_fail(p, "a fragment spreads itself");
	if (f->state == GQL_FRAG_DONE)
		return gql_walk_copy(w, f);
	f->state = GQL_FRAG_ACTIVE;
	f->first = w->out->n;
	size = w->size;
	saved = p->lx;
	depth = p->depth;
	/* A fragment's selection set is at the top level of the document. */
	rc = gql_seek(p, f->body, 0);
	if (rc == 0)
		rc = gql_walk_set(w);
	gql_restore(p, &saved, depth);
	if (rc == -1)
		return -1;
	f->last = w->out->n;
	f->size = w->size - size;
	f->state = GQL_FRAG_DONE;
	return 0;
}

/*
 * A selection set at the root: fields reported, fragments walked into.
 * Nesting counts sets walked into through spreads too, which the parser's
 * depth does not see; that bounds the recursion here.
 */
static int
gql_walk_set(struct gql_walk *w)
{
	struct gql_parser *p = &w->p;

	if (++w->nest > GQL_MAX_DEPTH)
		return gql_fail(p, "fragments at the root nest deeper than 64 levels");
	if (!gql_is(p, '{'))
		return gql_fail(p, "syntax error: expected '{'");
	if (gql_enter(p) == -1)
		return -1;
	do {
		if (!gql_is(p, '.')) {
			if (gql_walk_field(w) == -1)
				return -1;
			continue;
		}
		if (gql_next(p) == -1)
			return -1;
		if (gql_is_name(p, "on")) {
			if (gql_next(p) == -1 || gql_expect_name(p) == -1)
				return -1;
		} else if (p->lx.kind == GQL_T_NAME) {
			struct gql_slice name = { (const char *)p->lx.tok, p->lx.len };

			if (gql_next(p) == -1 || gql_directives(p, false) == -1 ||
			    gql_walk_spread(w, name) == -1)
				return -1;
			continue;
		}
		if (gql_directives(p, false) == -1 || gql_walk_set(w) == -1)
			return -1;
	} while (!gql_is(p, '}'));
	w->nest--;
	return gql_leave(p, '}', "syntax error: expected '}'");
}

/* The chosen operation: its variable definitions, then its root fields. */
static int
gql_walk_operation(struct gql_walk *w)
{
	struct gql_parser *p = &w->p;

	if (gql_seek(p, p->chosen_at, 0) == -1)
		return -1;
	if (p->lx.kind == GQL_T_NAME) {
		if (gql_next(p) == -1)
			return -1;
		if (p->lx.kind == GQL_T_NAME && gql_next(p) == -1)
			return -1;
		if (gql_is(p, '(')) {
			if (gql_next(p) == -1)
				return -1;
			do {
				struct gql_var *d;
				struct gql_slice name;

				if (gql_expect(p, '$', "syntax error: expected '$'") == -1)
					return -1;
				name.s = (const char *)p->lx.tok;
				name.len = p->lx.len;
				if (gql_expect_name(p) == -1 ||
				    gql_expect(p, ':', "syntax error: expected ':'") == -1 ||
				    gql_type(p) == -1)
					return -1;
				if (w->n_decl == w->decl_cap) {
					size_t cap = w->decl_cap ? w->decl_cap * 2 : 8;

					if ((d = realloc(w->decl, cap * sizeof(*d))) == NULL)
						return gql_fail(p, "out of memory");
					w->decl = d;
					w->decl_cap = cap;
				}
				d = &w->decl[w->n_decl++];
				memset(d, 0, sizeof(*d));
				d->name = name;
				if (gql_is(p, '=')) {
					if (gql_next(p) == -1)
						return -1;
					d->dflt = p->lx.tok;
					if (gql_value(p, true) == -1)
						return -1;
				}
				if (gql_directives(p, true) == -1)
					return -1;
			} while (!gql_is(p, ')'));
			if (gql_next(p) == -1)
				return -1;
		}
		if (gql_directives(p, false) == -1)
			return -1;
	}
	/* graphql-js's UniqueVariableNames: which default counts is unclear. */
	if (w->n_decl > 1) {
		qsort(w->decl, w->n_decl, sizeof(*w->decl), gql_slice_cmp);
		for (size_t i = 1; i < w->n_decl; i++)
			if (gql_slice_cmp(&w->decl[i - 1], &w->decl[i]) == 0)
				return gql_fail(p, "variable names must be unique");
	}
	return gql_walk_set(w);
}

int
gql_root_fields(const char *doc, size_t len, const char *operation_name,
    const json_t *variables, struct gql_fields *out, const char **err)
{
	struct gql_walk w;
	const char *error;

	memset(&w, 0, sizeof(w));
	out->v = NULL;
	out->n = 0;
	out->id_alias = false;
	w.out = out;
	if (json_is_null(variables))
		variables = NULL;
	if (variables != NULL && !json_is_object(variables)) {
		*err = "variables is not an object";
		return -1;
	}
	w.vars = variables;
	error = gql_parse(&w.p, doc, len, operation_name, true);
	if (error == NULL && w.p.n_frags > 1) {
		/* graphql-js's UniqueFragmentNames: which one a spread means is unclear. */
		qsort(w.p.frags, w.p.n_frags, sizeof(*w.p.frags), gql_slice_cmp);
		for (size_t i = 1; i < w.p.n_frags && error == NULL; i++)
			if (gql_slice_cmp(&w.p.frags[i - 1], &w.p.frags[i]) == 0)
				error = "fragment names must be unique";
	}
	if (error == NULL && gql_walk_operation(&w) == -1)
		error = w.p.lx.error != NULL ? w.p.lx.error : "document cannot be read";
	for (size_t i = 0; i < w.n_decl; i++)
		json_decref(w.decl[i].value);
	free(w.decl);
	out->id_alias = w.p.id_alias;
	gql_parser_free(&w.p);
	if (error != NULL) {
		gql_fields_clear(out);
		*err = error;
		return -1;
	}
	*err = NULL;
	return 0;
}

void
gql_fields_clear(struct gql_fields *f)
{
	for (size_t i = 0; i < f->n; i++) {
		for (size_t k = 0; k < f->v[i].n_args; k++) {
			free(f->v[i].args[k].name);
			json_decref(f->v[i].args[k].value);
		}
		free(f->v[i].args);
		free(f->v[i].name);
	}
	free(f->v);
	f->v = NULL;
	f->n = 0;
	f->id_alias = false;
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
