/*
 * toml.c - ghpool's TOML parser (owned by the TOML module).
 *
 * Owns the TOML 1.0 subset parser, its value tree and the accessors declared
 * in toml.h. Written from the TOML 1.0 specification; no third-party code.
 */
#include "toml.h"
#include "util.h"

#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#if defined(__GNUC__)
#define TOML_PRINTF(fmt, args) __attribute__((format(printf, fmt, args)))
#else
#define TOML_PRINTF(fmt, args)
#endif

/*
 * Nesting only gets deep on hostile input; the cap bounds the recursion of both
 * the parser and toml_free so a crafted file cannot exhaust the stack.
 */
#define TOML_MAX_DEPTH 128

/*
 * Longest key rendering inside an error message; longer keys are cut with
 * "...".
 */
#define TOML_KEY_TEXT 128

/*
 * Node flags implement TOML's "define once" rules without a second bookkeeping
 * tree: because every [[array]] element is a fresh node, its flags start clean,
 * which is exactly the scoping the specification asks for.
 */
enum {
	/* Table named by [header] or [[header]]: closed to dotted keys. */
	TOML_F_HEADER = 1u << 0,
	/* Table created or extended by dotted keys: closed to [header]. */
	TOML_F_DOTTED = 1u << 1,
	/* Inline table or literal array: closed to everything. */
	TOML_F_FROZEN = 1u << 2,
	/* Array built by [[header]]: open to further [[header]]. */
	TOML_F_AOT = 1u << 3,
};

typedef struct {
	char *key;
	toml_value *value;
} toml_entry;

struct toml_value {
	toml_type type;
	int line;
	unsigned flags;
	union {
		struct {
			toml_entry *items;
			size_t len, cap;
		} table;
		struct {
			toml_value **items;
			size_t len, cap;
		} array;
		char *string;
		int64_t integer;
		bool boolean;
	} as;
};

/*
 * A possibly dotted key as written in the document, split into its unescaped
 * parts.
 */
typedef struct {
	char **parts;
	size_t len, cap;
	int line;
} toml_key;

typedef struct {
	char *data;
	size_t len, cap;
} toml_buf;

typedef struct {
	/* Normalised input: no BOM, CRLF folded to LF, valid UTF-8. */
	const char *src;
	size_t len;
	size_t pos;
	int line;
	/* Key whose value is being parsed; value errors name it. */
	const toml_key *ctx;
	char *err;
	size_t errlen;
	bool failed;
} toml_parser;

static toml_value *toml_parse_value(toml_parser *p, int depth);
static bool toml_parse_keyval(toml_parser *p, toml_value *table, bool in_inline,
    int depth, char *name, size_t namelen);

/* ------------------------------------------------------------------------
 * Small helpers
 * ---------------------------------------------------------------------- */

static bool
toml_is_bare(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || c == '_' || c == '-';
}

static bool
toml_is_digit(int c)
{
	return c >= '0' && c <= '9';
}

/* TOML allows tab in strings and comments but no other C0 control or DEL. */
static bool
toml_is_control(int c)
{
	return (c >= 0 && c < 0x20 && c != '\t') || c == 0x7f;
}

static int
toml_peek_at(const toml_parser *p, size_t off)
{
	return p->len - p->pos > off ? (unsigned char)p->src[p->pos + off] : -1;
}

static int
toml_peek(const toml_parser *p)
{
	return toml_peek_at(p, 0);
}

static bool
toml_starts_with(const toml_parser *p, const char *s)
{
	size_t n = strlen(s);

	return p->len - p->pos >= n && memcmp(p->src + p->pos, s, n) == 0;
}

/* Every consumer of newlines goes through here so line numbers cannot drift. */
static void
toml_advance(toml_parser *p)
{
	if (p->src[p->pos] == '\n')
		p->line++;
	p->pos++;
}

static void
toml_skip_ws(toml_parser *p)
{
	while (toml_peek(p) == ' ' || toml_peek(p) == '\t')
		p->pos++;
}

static char *
toml_copy_string(const char *s)
{
	size_t n = strlen(s) + 1;
	char *copy = malloc(n);

	if (copy)
		memcpy(copy, s, n);
	return copy;
}

static size_t
toml_measure_utf8(unsigned char lead)
{
	return lead < 0x80 ? 1 : lead < 0xE0 ? 2 : lead < 0xF0 ? 3 : 4;
}

/*
 * Renders the character at src[at] for messages; the source is valid UTF-8 by
 * now, so multi-byte characters are copied whole rather than shown as mojibake
 * bytes.
 */
static const char *
toml_describe_char_at(const toml_parser *p, size_t at, char *buf, size_t n)
{
	int c = at < p->len ? (unsigned char)p->src[at] : -1;

	if (c < 0)
		return "end of input";
	if (c == '\n')
		return "end of line";
	if (toml_is_control(c) || c == '\t')
		snprintf(buf, n, "control character 0x%02X", (unsigned)c);
	else
		snprintf(buf, n, "'%.*s'",
		    (int)toml_measure_utf8((unsigned char)c), p->src + at);
	return buf;
}

static const char *
toml_describe_char(const toml_parser *p, char *buf, size_t n)
{
	return toml_describe_char_at(p, p->pos, buf, n);
}

static void
toml_put_key_char(char *buf, size_t n, size_t *out, bool *cut, char c)
{
	if (*out + 1 < n)
		buf[(*out)++] = c;
	else
		*cut = true;
}

/*
 * Joins the first `upto` parts with dots; parts that are not valid bare keys
 * are quoted so 'a."b.c"' stays distinguishable from 'a.b.c'. Over-long keys
 * end in "...".
 */
static const char *
toml_format_key(const toml_key *k, size_t upto, char *buf, size_t n)
{
	size_t out = 0;
	bool cut = false;

	for (size_t i = 0; i < upto && i < k->len; i++) {
		const char *s = k->parts[i];
		bool bare = *s != '\0';

		for (const char *c = s; *c; c++)
			bare = bare && toml_is_bare((unsigned char)*c);
		if (i > 0)
			toml_put_key_char(buf, n, &out, &cut, '.');
		if (!bare)
			toml_put_key_char(buf, n, &out, &cut, '"');
		for (const char *c = s; *c; c++)
			toml_put_key_char(buf, n, &out, &cut,
			    toml_is_control((unsigned char)*c) ? '?' : *c);
		if (!bare)
			toml_put_key_char(buf, n, &out, &cut, '"');
	}
	if (cut && out >= 3) {
		out -= 3;
		/* Never leave half a UTF-8 sequence before the "...". */
		while (out > 0 && ((unsigned char)buf[out] & 0xC0) == 0x80)
			out--;
		memcpy(buf + out, "...", 3);
		out += 3;
	}
	buf[out] = '\0';
	return buf;
}

static const char *
toml_describe_value(const toml_value *v)
{
	switch (v->type) {
	case TOML_TABLE:
		if (v->flags & TOML_F_FROZEN)
			return "an inline table";
		return "a table";
	case TOML_ARRAY:
		if (v->flags & TOML_F_AOT)
			return "an array of tables";
		return "an array";
	case TOML_STRING: return "a string";
	case TOML_INTEGER: return "an integer";
	case TOML_BOOLEAN: return "a boolean";
	}
	return "a value";
}

/* Keeps the first error only: later failures are its consequences. */
TOML_PRINTF(3, 4)
static bool
toml_fail(toml_parser *p, int line, const char *fmt, ...)
{
	char msg[384];
	char key[TOML_KEY_TEXT];
	va_list ap;

	if (p->failed)
		return false;
	p->failed = true;
	if (!p->err || p->errlen == 0)
		return false;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	if (p->ctx)
		snprintf(p->err, p->errlen, "line %d: %s (key '%s')", line, msg,
		    toml_format_key(p->ctx, p->ctx->len, key, sizeof key));
	else
		snprintf(p->err, p->errlen, "line %d: %s", line, msg);
	return false;
}

/* ------------------------------------------------------------------------
 * Growable storage
 * ---------------------------------------------------------------------- */

/*
 * Returns the (possibly moved) storage with room for one more element, or NULL
 * with the old storage untouched; returning the pointer avoids type-punning
 * through void **.
 */
static void *
toml_grow(void *items, size_t *cap, size_t len, size_t size)
{
	size_t ncap = *cap ? *cap * 2 : 8;
	void *grown = NULL;

	if (len < *cap)
		return items;
	if (ncap <= SIZE_MAX / size)
		grown = realloc(items, ncap * size);
	if (grown)
		*cap = ncap;
	return grown;
}

static bool
toml_append(toml_parser *p, toml_buf *b, const char *s, size_t n)
{
	size_t need = b->len + n + 1;
	size_t ncap = b->cap ? b->cap : 32;
	char *grown;

	if (need > b->cap) {
		while (ncap < need)
			ncap *= 2;
		grown = realloc(b->data, ncap);
		if (!grown)
			return toml_fail(p, p->line, "out of memory");
		b->data = grown;
		b->cap = ncap;
	}
	memcpy(b->data + b->len, s, n);
	b->len += n;
	b->data[b->len] = '\0';
	return true;
}

/* Hands the buffer's string to the caller (an empty buffer still yields ""). */
static char *
toml_take_string(toml_parser *p, toml_buf *b)
{
	char *s;

	if (!b->data && !toml_append(p, b, "", 0))
		return NULL;
	s = b->data;
	*b = (toml_buf){ 0 };
	return s;
}

static void
toml_free_key(toml_key *k)
{
	for (size_t i = 0; i < k->len; i++)
		free(k->parts[i]);
	free(k->parts);
	*k = (toml_key){ 0 };
}

static toml_value *
toml_alloc_value(toml_parser *p, toml_type type, int line, unsigned flags)
{
	toml_value *v = calloc(1, sizeof *v);

	if (!v) {
		toml_fail(p, line, "out of memory");
		return NULL;
	}
	v->type = type;
	v->line = line;
	v->flags = flags;
	return v;
}

void
toml_free(toml_value *v)
{
	if (!v)
		return;
	if (v->type == TOML_TABLE) {
		for (size_t i = 0; i < v->as.table.len; i++) {
			free(v->as.table.items[i].key);
			toml_free(v->as.table.items[i].value);
		}
		free(v->as.table.items);
	} else if (v->type == TOML_ARRAY) {
		for (size_t i = 0; i < v->as.array.len; i++)
			toml_free(v->as.array.items[i]);
		free(v->as.array.items);
	} else if (v->type == TOML_STRING) {
		free(v->as.string);
	}
	free(v);
}

static toml_value *
toml_find(const toml_value *t, const char *key)
{
	for (size_t i = 0; i < t->as.table.len; i++)
		if (strcmp(t->as.table.items[i].key, key) == 0)
			return t->as.table.items[i].value;
	return NULL;
}

/* Takes ownership of v even on failure, so no caller can free it twice. */
static bool
toml_add_entry(toml_parser *p, toml_value *t, const char *key, toml_value *v)
{
	char *copy = toml_copy_string(key);
	toml_entry *items = NULL;
	bool ok;

	if (copy)
		items = toml_grow(t->as.table.items, &t->as.table.cap,
		    t->as.table.len, sizeof *items);
	ok = items != NULL;

	if (ok) {
		t->as.table.items = items;
		t->as.table.items[t->as.table.len++] = (toml_entry){ copy, v };
	} else {
		free(copy);
		toml_free(v);
		toml_fail(p, p->line, "out of memory");
	}
	return ok;
}

/* Same ownership rule as toml_add_entry. */
static bool
toml_push_item(toml_parser *p, toml_value *a, toml_value *v)
{
	toml_value **items = toml_grow(a->as.array.items, &a->as.array.cap,
	    a->as.array.len, sizeof *items);
	bool ok = items != NULL;

	if (ok) {
		a->as.array.items = items;
		a->as.array.items[a->as.array.len++] = v;
	} else {
		toml_free(v);
		toml_fail(p, p->line, "out of memory");
	}
	return ok;
}

/* ------------------------------------------------------------------------
 * Input normalisation
 * ---------------------------------------------------------------------- */

/*
 * Validates UTF-8 up front so every later stage can copy bytes into strings
 * blindly. Rejects overlong forms, surrogates and code points above U+10FFFF.
 */
static size_t
toml_check_utf8(const unsigned char *s, size_t n)
{
	size_t need;
	unsigned char lo = 0x80, hi = 0xBF;

	if (s[0] >= 0xC2 && s[0] <= 0xDF)
		need = 2;
	else if (s[0] >= 0xE0 && s[0] <= 0xEF)
		need = 3;
	else if (s[0] >= 0xF0 && s[0] <= 0xF4)
		need = 4;
	else
		return 0;
	if (s[0] == 0xE0)
		lo = 0xA0;
	else if (s[0] == 0xED)
		hi = 0x9F;
	else if (s[0] == 0xF0)
		lo = 0x90;
	else if (s[0] == 0xF4)
		hi = 0x8F;
	if (n < need || s[1] < lo || s[1] > hi)
		return 0;
	for (size_t i = 2; i < need; i++)
		if (s[i] < 0x80 || s[i] > 0xBF)
			return 0;
	return need;
}

/*
 * TOML lets parsers fold CRLF to LF everywhere (even inside multi-line
 * strings), which lets the grammar below see a single newline byte. A lone CR
 * is left in place and is later rejected as a control character.
 */
static char *
toml_normalise(toml_parser *p, const char *text, size_t len)
{
	const unsigned char *s = (const unsigned char *)text;
	char *out = malloc(len + 1);
	size_t i = 0, o = 0;
	int line = 1;
	bool ok = out != NULL;

	if (!ok)
		toml_fail(p, 1, "out of memory");
	if (ok && len >= 3 && s[0] == 0xEF && s[1] == 0xBB && s[2] == 0xBF)
		i = 3;
	while (ok && i < len) {
		size_t n = 1;

		if (s[i] == '\r' && i + 1 < len && s[i + 1] == '\n') {
			i++;
		} else if (s[i] >= 0x80) {
			n = toml_check_utf8(s + i, len - i);
			if (n == 0)
				ok = toml_fail(
				    p, line, "invalid UTF-8 byte 0x%02X", s[i]);
		}
		if (ok && s[i] == '\n')
			line++;
		for (size_t k = 0; ok && k < n; k++)
			out[o++] = (char)s[i++];
	}
	if (ok) {
		out[o] = '\0';
		p->src = out;
		p->len = o;
	} else {
		free(out);
		out = NULL;
	}
	return out;
}

/* ------------------------------------------------------------------------
 * Comments and whitespace
 * ---------------------------------------------------------------------- */

static bool
toml_skip_comment(toml_parser *p)
{
	if (toml_peek(p) != '#')
		return true;
	while (p->pos < p->len && p->src[p->pos] != '\n') {
		int c = (unsigned char)p->src[p->pos];

		if (toml_is_control(c))
			return toml_fail(p, p->line,
			    "control character 0x%02X is not allowed in comments",
			    (unsigned)c);
		p->pos++;
	}
	return true;
}

/* Arrays are the one place where values may be split by newlines/comments. */
static bool
toml_skip_array_space(toml_parser *p)
{
	bool ok = true;

	while (ok) {
		toml_skip_ws(p);
		if (toml_peek(p) == '\n')
			toml_advance(p);
		else if (toml_peek(p) == '#')
			ok = toml_skip_comment(p);
		else
			break;
	}
	return ok;
}

/* ------------------------------------------------------------------------
 * Strings
 * ---------------------------------------------------------------------- */

static bool
toml_put_utf8(toml_parser *p, toml_buf *out, uint32_t cp)
{
	char b[4];
	size_t n;

	if (cp < 0x80) {
		b[0] = (char)cp;
		n = 1;
	} else if (cp < 0x800) {
		b[0] = (char)(0xC0 | (cp >> 6));
		b[1] = (char)(0x80 | (cp & 0x3F));
		n = 2;
	} else if (cp < 0x10000) {
		b[0] = (char)(0xE0 | (cp >> 12));
		b[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
		b[2] = (char)(0x80 | (cp & 0x3F));
		n = 3;
	} else {
		b[0] = (char)(0xF0 | (cp >> 18));
		b[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
		b[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
		b[3] = (char)(0x80 | (cp & 0x3F));
		n = 4;
	}
	return toml_append(p, out, b, n);
}

/* Called just past "\u" or "\U"; `digits` is 4 or 8. */
static bool
toml_parse_unicode(toml_parser *p, toml_buf *out, char kind, int digits)
{
	uint32_t cp = 0;

	for (int i = 0; i < digits; i++) {
		int d = util_hex_digit(toml_peek(p));

		if (d < 0)
			return toml_fail(p, p->line,
			    "invalid escape '\\%c': expected %d hex digits",
			    kind, digits);
		cp = cp * 16 + (uint32_t)d;
		p->pos++;
	}
	if (cp == 0)
		return toml_fail(p, p->line,
		    "escape '\\%c%0*X' (NUL) is not allowed: strings are NUL-terminated",
		    kind, digits, 0u);
	if (cp >= 0xD800 && cp <= 0xDFFF)
		return toml_fail(p, p->line,
		    "escape '\\%c%0*X' is a surrogate, not a Unicode scalar value",
		    kind, digits, (unsigned)cp);
	if (cp > 0x10FFFF)
		return toml_fail(p, p->line,
		    "escape '\\%c%0*X' is beyond U+10FFFF", kind, digits,
		    (unsigned)cp);
	return toml_put_utf8(p, out, cp);
}

/* Called at a backslash inside a basic string. */
static bool
toml_parse_escape(toml_parser *p, toml_buf *out, bool multiline)
{
	int c = toml_peek_at(p, 1);
	char what[32];
	char ch;

	if (multiline && (c == ' ' || c == '\t' || c == '\n')) {
		/*
		 * Line-ending backslash: it and all following whitespace and
		 * newlines vanish, but only if nothing but whitespace sits
		 * between it and the end of the line.
		 */
		p->pos++;
		toml_skip_ws(p);
		if (toml_peek(p) >= 0 && toml_peek(p) != '\n')
			return toml_fail(p, p->line,
			    "a line-ending backslash must be followed by a newline");
		while (toml_peek(p) == ' ' || toml_peek(p) == '\t' ||
		    toml_peek(p) == '\n')
			toml_advance(p);
		return true;
	}
	switch (c) {
	case 'b': ch = '\b'; break;
	case 't': ch = '\t'; break;
	case 'n': ch = '\n'; break;
	case 'f': ch = '\f'; break;
	case 'r': ch = '\r'; break;
	case '"': ch = '"'; break;
	case '\\': ch = '\\'; break;
	case 'u':
	case 'U':
		p->pos += 2;
		return toml_parse_unicode(p, out, (char)c, c == 'u' ? 4 : 8);
	default:
		if (c > 0x20 && c < 0x7f)
			return toml_fail(
			    p, p->line, "invalid escape sequence '\\%c'", c);
		return toml_fail(p, p->line,
		    "invalid escape sequence: '\\' followed by %s",
		    toml_describe_char_at(p, p->pos + 1, what, sizeof what));
	}
	p->pos += 2;
	return toml_append(p, out, &ch, 1);
}

/*
 * A multi-line string may end with up to two extra delimiter characters that
 * belong to the content ("""a"""" is 'a"').
 */
static bool
toml_take_extra_quotes(toml_parser *p, toml_buf *out, char quote)
{
	bool ok = true;

	for (int i = 0; ok && i < 2 && toml_peek(p) == quote; i++) {
		ok = toml_append(p, out, &quote, 1);
		p->pos++;
	}
	return ok;
}

/*
 * Parses a string, p at the opening quote: basic (" or """, with escapes)
 * when quote is '"', literal (' or ''', verbatim) when it is '\''.
 */
static bool
toml_parse_quoted(toml_parser *p, toml_buf *out, char quote, bool multiline)
{
	const char delim[4] = { quote, quote, quote, '\0' };
	bool ok = true, done = false, basic = quote == '"';
	int start = p->line;

	p->pos += multiline ? 3 : 1;
	/* The spec trims a newline right after the opening delimiter. */
	if (multiline && toml_peek(p) == '\n')
		toml_advance(p);
	while (ok && !done) {
		int c = toml_peek(p);

		if (c < 0 || (c == '\n' && !multiline)) {
			ok = toml_fail(p, start, "unterminated string");
		} else if (c == quote && (!multiline || toml_starts_with(p, delim))) {
			p->pos += multiline ? 3 : 1;
			done = true;
		} else if (basic && c == '\\') {
			ok = toml_parse_escape(p, out, multiline);
		} else if (toml_is_control(c) && c != '\n') {
			ok = toml_fail(p, p->line, basic ?
			    "control character 0x%02X must be escaped in strings" :
			    "control character 0x%02X is not allowed in literal strings",
			    (unsigned)c);
		} else {
			ok = toml_append(p, out, p->src + p->pos, 1);
			toml_advance(p);
		}
	}
	if (ok && multiline)
		ok = toml_take_extra_quotes(p, out, quote);
	return ok;
}

static toml_value *
toml_parse_string(toml_parser *p)
{
	int line = p->line;
	toml_buf buf = { 0 };
	toml_value *v = NULL;
	char *s = NULL;
	bool ok;

	if (toml_peek(p) == '"')
		ok = toml_parse_quoted(p, &buf, '"', toml_starts_with(p, "\"\"\""));
	else
		ok = toml_parse_quoted(p, &buf, '\'', toml_starts_with(p, "'''"));
	if (ok)
		s = toml_take_string(p, &buf);
	if (s && (v = toml_alloc_value(p, TOML_STRING, line, 0))) {
		v->as.string = s;
		s = NULL;
	}
	free(s);
	free(buf.data);
	return v;
}

/* ------------------------------------------------------------------------
 * Keys
 * ---------------------------------------------------------------------- */

/*
 * Parses `part ( ws '.' ws part )* ws`; quoted parts may not be multi-line
 * strings.
 */
static bool
toml_parse_key(toml_parser *p, toml_key *key)
{
	toml_buf part = { 0 };
	char what[32];
	bool ok = true;

	key->line = p->line;
	while (ok) {
		int c = toml_peek(p);

		if (c == '"') {
			ok = toml_parse_quoted(p, &part, '"', false);
		} else if (c == '\'') {
			ok = toml_parse_quoted(p, &part, '\'', false);
		} else if (toml_is_bare(c)) {
			size_t start = p->pos;

			while (toml_is_bare(toml_peek(p)))
				p->pos++;
			ok = toml_append(
			    p, &part, p->src + start, p->pos - start);
		} else {
			ok = toml_fail(p, p->line, "expected a key, found %s",
			    toml_describe_char(p, what, sizeof what));
		}
		if (ok && key->len >= TOML_MAX_DEPTH)
			ok = toml_fail(p, p->line,
			    "key has more than %d dotted parts",
			    TOML_MAX_DEPTH);
		if (ok) {
			char **parts = toml_grow(
			    key->parts, &key->cap, key->len, sizeof *parts);

			ok = parts != NULL ||
			    toml_fail(p, p->line, "out of memory");
			key->parts = ok ? parts : key->parts;
		}
		if (ok)
			ok = (key->parts[key->len] =
				     toml_take_string(p, &part)) != NULL;
		if (ok)
			key->len++;
		toml_skip_ws(p);
		if (!ok || toml_peek(p) != '.')
			break;
		p->pos++;
		toml_skip_ws(p);
	}
	free(part.data);
	return ok;
}

/* ------------------------------------------------------------------------
 * Integers
 * ---------------------------------------------------------------------- */

static int
toml_decode_digit(int c, int base)
{
	int d = util_hex_digit(c);

	return d >= 0 && d < base ? d : -1;
}

/*
 * Scans digits in `base` allowing single underscores between digits. The
 * magnitude is bounded by `limit` while accumulating, so overflow is detected
 * before it happens.
 */
static bool
toml_scan_digits(toml_parser *p, int base, uint64_t limit, uint64_t *out)
{
	uint64_t v = 0;
	bool need_digit = true, any = false;
	bool ok = true;

	for (;;) {
		int c = toml_peek(p);
		int d = toml_decode_digit(c, base);

		if (d >= 0) {
			if (v > (limit - (uint64_t)d) / (uint64_t)base) {
				ok = toml_fail(p, p->line,
				    "integer out of range (must fit in 64 bits, signed)");
				break;
			}
			v = v * (uint64_t)base + (uint64_t)d;
			need_digit = false;
			any = true;
		} else if (c == '_' && !need_digit) {
			need_digit = true;
		} else {
			break;
		}
		p->pos++;
	}
	if (ok && !any)
		ok = toml_fail(p, p->line, "missing digits in integer");
	else if (ok && need_digit)
		ok = toml_fail(p, p->line,
		    "underscores in integers must sit between digits");
	*out = v;
	return ok;
}

/*
 * Rejects trailing junk glued to a number so "12abc" or "0123" fail with a
 * number-specific message instead of a generic "expected end of line".
 */
static bool
toml_check_number_end(toml_parser *p, const char *kind)
{
	int c = toml_peek(p);
	char what[32];

	if (c == '.' || c == 'e' || c == 'E')
		return toml_fail(p, p->line, "floats are not supported");
	if (toml_is_bare(c))
		return toml_fail(p, p->line,
		    "invalid %s integer: unexpected %s", kind,
		    toml_describe_char(p, what, sizeof what));
	return true;
}

static bool
toml_looks_like_datetime(const toml_parser *p)
{
	bool ymd = true, hm = true;

	for (size_t i = 0; i < 4; i++)
		ymd = ymd && toml_is_digit(toml_peek_at(p, i));
	for (size_t i = 0; i < 2; i++)
		hm = hm && toml_is_digit(toml_peek_at(p, i));
	return (ymd && toml_peek_at(p, 4) == '-') ||
	    (hm && toml_peek_at(p, 2) == ':');
}

static toml_value *
toml_parse_integer(toml_parser *p)
{
	int line = p->line;
	int c = toml_peek(p);
	int n = toml_peek_at(p, 1);
	uint64_t mag = 0;
	int64_t value = 0;
	toml_value *v = NULL;
	char what[32];
	bool ok;

	if (toml_looks_like_datetime(p)) {
		ok = toml_fail(p, line, "date-times are not supported");
	} else if (c == '0' && (n == 'x' || n == 'o' || n == 'b')) {
		int base = 2;
		const char *kind = "binary";

		if (n == 'x') {
			base = 16;
			kind = "hexadecimal";
		} else if (n == 'o') {
			base = 8;
			kind = "octal";
		}

		p->pos += 2;
		ok = toml_scan_digits(p, base, INT64_MAX, &mag) &&
		    toml_check_number_end(p, kind);
		value = (int64_t)mag;
	} else {
		bool neg = c == '-';
		/* |INT64_MIN| is INT64_MAX + 1: negatives get one more. */
		uint64_t limit = (uint64_t)INT64_MAX + (neg ? 1 : 0);

		if (c == '+' || c == '-')
			p->pos++;
		c = toml_peek(p);
		if (!toml_is_digit(c)) {
			ok = toml_fail(p, line, "invalid value: unexpected %s",
			    toml_describe_char(p, what, sizeof what));
		} else if (c == '0') {
			p->pos++;
			c = toml_peek(p);
			ok = true;
			if (toml_is_digit(c) || c == '_')
				ok = toml_fail(p, line,
				    "leading zeros are not allowed in integers");
		} else {
			ok = toml_scan_digits(p, 10, limit, &mag);
		}
		ok = ok && toml_check_number_end(p, "decimal");
		if (ok && mag > (uint64_t)INT64_MAX)
			value = INT64_MIN; /* -(int64_t)mag would overflow */
		else if (ok)
			value = neg ? -(int64_t)mag : (int64_t)mag;
	}
	if (ok && (v = toml_alloc_value(p, TOML_INTEGER, line, 0)))
		v->as.integer = value;
	return v;
}

/* ------------------------------------------------------------------------
 * Arrays and inline tables
 * ---------------------------------------------------------------------- */

static toml_value *
toml_parse_array(toml_parser *p, int depth)
{
	int line = p->line;
	toml_value *arr = NULL;
	bool ok, done = false;
	char what[32];

	ok = depth < TOML_MAX_DEPTH ||
	    toml_fail(p, line, "values nested more than %d levels deep",
		TOML_MAX_DEPTH);
	/*
	 * Literal arrays are frozen: neither [[x]] nor [x.y] may extend them
	 * later.
	 */
	ok = ok &&
	    (arr = toml_alloc_value(p, TOML_ARRAY, line, TOML_F_FROZEN)) !=
		NULL;
	if (ok) {
		p->pos++;
		ok = toml_skip_array_space(p);
	}
	if (ok && toml_peek(p) == ']') {
		p->pos++;
		done = true;
	}
	while (ok && !done) {
		toml_value *item = toml_parse_value(p, depth + 1);
		int c;

		ok = item && toml_push_item(p, arr, item) &&
		    toml_skip_array_space(p);
		if (!ok)
			break;
		c = toml_peek(p);
		if (c == ']') {
			p->pos++;
			done = true;
		} else if (c == ',') {
			p->pos++;
			ok = toml_skip_array_space(p);
			if (ok && toml_peek(p) == ']') {
				p->pos++;
				done = true;
			}
		} else if (c < 0) {
			ok = toml_fail(p, line, "unterminated array");
		} else {
			ok = toml_fail(p, p->line,
			    "expected ',' or ']' in array, found %s",
			    toml_describe_char(p, what, sizeof what));
		}
	}
	if (!ok) {
		toml_free(arr);
		arr = NULL;
	}
	return arr;
}

/*
 * Seals an inline table and the tables its dotted keys created; nested inline
 * tables are already frozen, which stops the walk and keeps it linear.
 */
static void
toml_freeze(toml_value *t)
{
	t->flags |= TOML_F_FROZEN;
	for (size_t i = 0; i < t->as.table.len; i++) {
		toml_value *v = t->as.table.items[i].value;

		if (v->type == TOML_TABLE && !(v->flags & TOML_F_FROZEN))
			toml_freeze(v);
	}
}

static toml_value *
toml_parse_inline(toml_parser *p, int depth)
{
	int line = p->line;
	toml_value *t = NULL;
	bool ok, done = false;
	char what[32];

	ok = depth < TOML_MAX_DEPTH ||
	    toml_fail(p, line, "values nested more than %d levels deep",
		TOML_MAX_DEPTH);
	ok = ok && (t = toml_alloc_value(p, TOML_TABLE, line, 0)) != NULL;
	if (ok) {
		p->pos++;
		toml_skip_ws(p);
		if (toml_peek(p) == '}') {
			p->pos++;
			done = true;
		}
	}
	while (ok && !done) {
		int c;

		ok = toml_parse_keyval(p, t, true, depth + 1, NULL, 0);
		if (!ok)
			break;
		toml_skip_ws(p);
		c = toml_peek(p);
		if (c == '}') {
			p->pos++;
			done = true;
		} else if (c == ',') {
			p->pos++;
			toml_skip_ws(p);
			if (toml_peek(p) == '}')
				ok = toml_fail(p, p->line,
				    "trailing comma is not allowed in inline tables");
		} else if (c < 0 || c == '\n') {
			ok = toml_fail(p, p->line,
			    "unterminated inline table (inline tables must be on one line)");
		} else {
			ok = toml_fail(p, p->line,
			    "expected ',' or '}' in inline table, found %s",
			    toml_describe_char(p, what, sizeof what));
		}
	}
	if (ok) {
		toml_freeze(t);
	} else {
		toml_free(t);
		t = NULL;
	}
	return t;
}

/* ------------------------------------------------------------------------
 * Values
 * ---------------------------------------------------------------------- */

static toml_value *
toml_parse_value(toml_parser *p, int depth)
{
	int line = p->line;
	int c = toml_peek(p);
	toml_value *v = NULL;

	if (c == '"' || c == '\'') {
		v = toml_parse_string(p);
	} else if (toml_starts_with(p, "true") ||
	    toml_starts_with(p, "false")) {
		bool b = c == 't';

		p->pos += b ? 4 : 5;
		if ((v = toml_alloc_value(p, TOML_BOOLEAN, line, 0)))
			v->as.boolean = b;
	} else if (c == '[') {
		v = toml_parse_array(p, depth);
	} else if (c == '{') {
		v = toml_parse_inline(p, depth);
	} else if (toml_starts_with(p, "inf") || toml_starts_with(p, "nan") ||
	    toml_starts_with(p, "+inf") || toml_starts_with(p, "-inf") ||
	    toml_starts_with(p, "+nan") || toml_starts_with(p, "-nan")) {
		toml_fail(p, line, "floats are not supported");
	} else if (c < 0 || c == '\n') {
		toml_fail(p, line, "missing value");
	} else {
		v = toml_parse_integer(p);
	}
	return v;
}

/* ------------------------------------------------------------------------
 * Statements
 * ---------------------------------------------------------------------- */

/*
 * Resolves the table that receives `key`'s last part, creating intermediate
 * tables for dotted keys. Dotted keys may extend tables they (or [a.b.c]-style
 * headers) created implicitly, but never a table defined by a header, an inline
 * table or an array.
 */
static toml_value *
toml_walk_dotted(
    toml_parser *p, toml_value *t, const toml_key *key, bool in_inline)
{
	char name[TOML_KEY_TEXT], full[TOML_KEY_TEXT];

	for (size_t i = 0; t && i + 1 < key->len; i++) {
		toml_value *child = toml_find(t, key->parts[i]);

		if (!child) {
			child = toml_alloc_value(
			    p, TOML_TABLE, key->line, TOML_F_DOTTED);
			if (child &&
			    !toml_add_entry(p, t, key->parts[i], child))
				child = NULL;
		} else if (child->type != TOML_TABLE ||
		    (child->flags & TOML_F_FROZEN)) {
			toml_fail(p, key->line,
			    "cannot add key '%s': '%s' is %s defined on line %d",
			    toml_format_key(key, key->len, full, sizeof full),
			    toml_format_key(key, i + 1, name, sizeof name),
			    toml_describe_value(child), child->line);
			child = NULL;
		} else if (!in_inline && (child->flags & TOML_F_HEADER)) {
			toml_fail(p, key->line,
			    "cannot add key '%s': '%s' is a table defined by a [header] on line %d",
			    toml_format_key(key, key->len, full, sizeof full),
			    toml_format_key(key, i + 1, name, sizeof name),
			    child->line);
			child = NULL;
		} else {
			child->flags |= TOML_F_DOTTED;
		}
		t = child;
	}
	return t;
}

/*
 * Parses `key = value` into table. `name` (optional) receives the key's text so
 * the caller can name it when complaining about what follows the value.
 */
static bool
toml_parse_keyval(toml_parser *p, toml_value *table, bool in_inline, int depth,
    char *name, size_t namelen)
{
	toml_key key = { 0 };
	toml_value *value = NULL, *parent = NULL, *old = NULL;
	const toml_key *saved = p->ctx;
	char text[TOML_KEY_TEXT], what[32];
	bool ok = toml_parse_key(p, &key);

	if (ok && toml_peek(p) != '=')
		ok = toml_fail(p, p->line,
		    "expected '=' after key '%s', found %s",
		    toml_format_key(&key, key.len, text, sizeof text),
		    toml_describe_char(p, what, sizeof what));
	if (ok) {
		p->pos++;
		toml_skip_ws(p);
		p->ctx = &key;
		value = toml_parse_value(p, depth);
		p->ctx = saved;
		ok = value != NULL;
	}
	if (ok)
		ok = (parent = toml_walk_dotted(p, table, &key, in_inline)) !=
		    NULL;
	if (ok && (old = toml_find(parent, key.parts[key.len - 1])))
		ok = toml_fail(p, key.line,
		    "duplicate key '%s' (already defined as %s on line %d)",
		    toml_format_key(&key, key.len, text, sizeof text),
		    toml_describe_value(old), old->line);
	if (ok) {
		ok = toml_add_entry(p, parent, key.parts[key.len - 1], value);
		value = NULL;
	}
	if (ok && name)
		toml_format_key(&key, key.len, name, namelen);
	toml_free(value);
	toml_free_key(&key);
	return ok;
}

/*
 * One step of a [header] path: intermediate tables are created implicitly, and
 * an array of tables stands for its most recent element.
 */
static toml_value *
toml_descend_header(
    toml_parser *p, toml_value *t, const toml_key *key, size_t i, int line)
{
	toml_value *child = toml_find(t, key->parts[i]);
	char name[TOML_KEY_TEXT], full[TOML_KEY_TEXT];

	if (!child) {
		child = toml_alloc_value(p, TOML_TABLE, line, 0);
		if (child && !toml_add_entry(p, t, key->parts[i], child))
			child = NULL;
	} else if (child->type == TOML_ARRAY && (child->flags & TOML_F_AOT)) {
		child = child->as.array.items[child->as.array.len - 1];
	} else if (child->type != TOML_TABLE ||
	    (child->flags & TOML_F_FROZEN)) {
		toml_fail(p, line,
		    "cannot define table '%s': '%s' is %s defined on line %d",
		    toml_format_key(key, key->len, full, sizeof full),
		    toml_format_key(key, i + 1, name, sizeof name),
		    toml_describe_value(child), child->line);
		child = NULL;
	}
	return child;
}

static toml_value *
toml_open_table(toml_parser *p, toml_value *t, const toml_key *key, int line)
{
	const char *stem = key->parts[key->len - 1];
	toml_value *child = toml_find(t, stem);
	char name[TOML_KEY_TEXT];

	toml_format_key(key, key->len, name, sizeof name);
	if (!child) {
		child = toml_alloc_value(p, TOML_TABLE, line, 0);
		if (child && !toml_add_entry(p, t, stem, child))
			child = NULL;
	} else if (child->type == TOML_ARRAY && (child->flags & TOML_F_AOT)) {
		toml_fail(p, line,
		    "table '%s' is already defined as an array of tables on line %d",
		    name, child->line);
		child = NULL;
	} else if (child->type != TOML_TABLE) {
		toml_fail(p, line,
		    "duplicate key '%s' (already defined as %s on line %d)",
		    name, toml_describe_value(child), child->line);
		child = NULL;
	} else if (child->flags & TOML_F_FROZEN) {
		toml_fail(p, line,
		    "table '%s' is already defined as an inline table on line %d",
		    name, child->line);
		child = NULL;
	} else if (child->flags & TOML_F_DOTTED) {
		toml_fail(p, line,
		    "table '%s' is already defined by dotted keys on line %d",
		    name, child->line);
		child = NULL;
	} else if (child->flags & TOML_F_HEADER) {
		toml_fail(p, line, "table '%s' is already defined on line %d",
		    name, child->line);
		child = NULL;
	}
	if (child) {
		/* An implicit table becomes "defined" here: report this line. */
		child->flags |= TOML_F_HEADER;
		child->line = line;
	}
	return child;
}

static toml_value *
toml_open_aot(toml_parser *p, toml_value *t, const toml_key *key, int line)
{
	const char *stem = key->parts[key->len - 1];
	toml_value *arr = toml_find(t, stem);
	toml_value *elem = NULL;
	char name[TOML_KEY_TEXT];

	if (!arr) {
		arr = toml_alloc_value(p, TOML_ARRAY, line, TOML_F_AOT);
		if (arr && !toml_add_entry(p, t, stem, arr))
			arr = NULL;
	} else if (arr->type != TOML_ARRAY || !(arr->flags & TOML_F_AOT)) {
		toml_fail(p, line,
		    "cannot define array of tables '%s': already defined as %s on line %d",
		    toml_format_key(key, key->len, name, sizeof name),
		    toml_describe_value(arr), arr->line);
		arr = NULL;
	}
	if (arr &&
	    (elem = toml_alloc_value(p, TOML_TABLE, line, TOML_F_HEADER)) &&
	    !toml_push_item(p, arr, elem))
		elem = NULL;
	return elem;
}

/*
 * Parses "[a.b]" or "[[a.b]]" and makes the named table the target of later
 * key/values.
 */
static bool
toml_parse_header(toml_parser *p, toml_value *root, toml_value **current,
    char *name, size_t namelen)
{
	toml_key key = { 0 };
	int line = p->line;
	toml_value *t = root;
	bool aot, ok;
	char what[32];

	p->pos++;
	aot = toml_peek(p) == '[';
	if (aot)
		p->pos++;
	toml_skip_ws(p);
	ok = toml_parse_key(p, &key);
	if (ok && (toml_peek(p) != ']' || (aot && toml_peek_at(p, 1) != ']'))) {
		/* For "[[a]" the telling character is the one after ']'. */
		size_t at = p->pos + (toml_peek(p) == ']');

		ok = toml_fail(p, line,
		    "expected '%s' to close header '%s', found %s",
		    aot ? "]]" : "]",
		    toml_format_key(&key, key.len, name, namelen),
		    toml_describe_char_at(p, at, what, sizeof what));
	}
	if (ok)
		p->pos += aot ? 2 : 1;
	for (size_t i = 0; ok && i + 1 < key.len; i++)
		ok = (t = toml_descend_header(p, t, &key, i, line)) != NULL;
	if (ok)
		ok = (t = aot ? toml_open_aot(p, t, &key, line)
			      : toml_open_table(p, t, &key, line)) != NULL;
	if (ok) {
		*current = t;
		toml_format_key(&key, key.len, name, namelen);
	}
	toml_free_key(&key);
	return ok;
}

/*
 * One logical line: blank, comment, key/value or header, then an optional
 * comment.
 */
static bool
toml_parse_statement(toml_parser *p, toml_value *root, toml_value **current)
{
	char name[TOML_KEY_TEXT] = "";
	char what[32];
	const char *after = NULL;
	bool ok = true;
	int c;

	toml_skip_ws(p);
	c = toml_peek(p);
	if (c == '[') {
		ok = toml_parse_header(p, root, current, name, sizeof name);
		after = "table header";
	} else if (c == '"' || c == '\'' || toml_is_bare(c)) {
		ok = toml_parse_keyval(p, *current, false, 0, name,
		    sizeof name);
		after = "value of key";
	} else if (c >= 0 && c != '#' && c != '\n') {
		ok = toml_fail(p, p->line,
		    "expected a key or table header, found %s",
		    toml_describe_char(p, what, sizeof what));
	}
	if (ok) {
		toml_skip_ws(p);
		ok = toml_skip_comment(p);
	}
	if (ok) {
		c = toml_peek(p);
		if (c == '\n')
			toml_advance(p);
		else if (c >= 0 && after)
			ok = toml_fail(p, p->line,
			    "expected end of line after %s '%s', found %s",
			    after, name,
			    toml_describe_char(p, what, sizeof what));
		else if (c >= 0)
			ok = toml_fail(p, p->line,
			    "expected end of line, found %s",
			    toml_describe_char(p, what, sizeof what));
	}
	return ok;
}

toml_value *
toml_parse(const char *text, size_t len, char *err, size_t errlen)
{
	toml_parser p = { .line = 1, .err = err, .errlen = errlen };
	toml_value *root = NULL, *current = NULL;
	char *src = NULL;
	bool ok = true;

	if (err && errlen)
		err[0] = '\0';
	if (!text && len)
		ok = toml_fail(&p, 1, "no input");
	/* Line numbers are ints; refusing huge documents keeps them exact. */
	if (ok && len >= INT_MAX)
		ok = toml_fail(&p, 1, "document too large");
	ok = ok && (src = toml_normalise(&p, text ? text : "", len)) != NULL;
	ok = ok &&
	    (root = toml_alloc_value(&p, TOML_TABLE, 1, TOML_F_HEADER)) != NULL;
	current = root;
	while (ok && p.pos < p.len)
		ok = toml_parse_statement(&p, root, &current);
	if (!ok) {
		toml_free(root);
		root = NULL;
	}
	free(src);
	return root;
}

/* ------------------------------------------------------------------------
 * Accessors
 * ---------------------------------------------------------------------- */

toml_type
toml_type_of(const toml_value *v)
{
	return v->type;
}

const char *
toml_type_name(toml_type type)
{
	switch (type) {
	case TOML_TABLE: return "table";
	case TOML_ARRAY: return "array";
	case TOML_STRING: return "string";
	case TOML_INTEGER: return "integer";
	case TOML_BOOLEAN: return "boolean";
	}
	return "unknown";
}

int
toml_line(const toml_value *v)
{
	return v ? v->line : 0;
}

size_t
toml_table_size(const toml_value *t)
{
	return t && t->type == TOML_TABLE ? t->as.table.len : 0;
}

const char *
toml_table_key(const toml_value *t, size_t i)
{
	return i < toml_table_size(t) ? t->as.table.items[i].key : NULL;
}

const toml_value *
toml_table_value(const toml_value *t, size_t i)
{
	return i < toml_table_size(t) ? t->as.table.items[i].value : NULL;
}

const toml_value *
toml_table_get(const toml_value *t, const char *key)
{
	return t && key && t->type == TOML_TABLE ? toml_find(t, key) : NULL;
}

size_t
toml_array_size(const toml_value *a)
{
	return a && a->type == TOML_ARRAY ? a->as.array.len : 0;
}

const toml_value *
toml_array_at(const toml_value *a, size_t i)
{
	return i < toml_array_size(a) ? a->as.array.items[i] : NULL;
}

const char *
toml_string(const toml_value *v)
{
	return v && v->type == TOML_STRING ? v->as.string : NULL;
}

int64_t
toml_integer(const toml_value *v)
{
	return v && v->type == TOML_INTEGER ? v->as.integer : 0;
}

bool
toml_boolean(const toml_value *v)
{
	return v && v->type == TOML_BOOLEAN && v->as.boolean;
}
