/*
 * gotmpl.c - Go's text/template and gh's template helpers, over JSON.
 *
 * The shape follows Go's own: a lexer that turns the text into tokens, a
 * parser with the same grammar (and so the same error messages), and an
 * executor that walks the tree. Values model what Go sees when gh decodes
 * JSON into interface{}: a value read out of an object or array is still
 * "interface {}" (which shows in error messages, and is how a JSON null
 * differs from a missing key), and is unwrapped when a pipeline ends.
 *
 * Errors inside the parser and executor unwind with longjmp; everything
 * they allocate comes from an arena that is freed in one go, so unwinding
 * leaks nothing.
 */
#include "gotmpl.h"

#include <errno.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define GOTMPL_MAX_TEXT  (1u << 20)          /* template size */
#define GOTMPL_MAX_DEPTH 100                 /* nested controls and parentheses */
#define GOTMPL_MAX_MEM   ((size_t)512 << 20) /* arena, per parse or execution */
#define GOTMPL_MAX_PRINT 1000                /* nesting of a value being printed */

/* ---------------------------------------------------------------- arena */

struct ablock {
	struct ablock *next;
	size_t used, cap, pad; /* 32 bytes keep data 16-aligned */
	unsigned char data[];
};

struct arena {
	struct ablock *head;
	size_t total;
	void (*fail)(void *ctx, const char *why);
	void *ctx;
};

static void *
arena_alloc(struct arena *a, size_t n)
{
	struct ablock *b;
	size_t cap;

	n = (n + 15) & ~(size_t)15;
	if (n == 0)
		n = 16;
	if (a->head != NULL && a->head->cap - a->head->used >= n) {
		void *p = a->head->data + a->head->used;

		a->head->used += n;
		return p;
	}
	cap = n > 16384 ? n : 65536;
	if (n > GOTMPL_MAX_MEM || a->total + cap > GOTMPL_MAX_MEM)
		a->fail(a->ctx, "out of memory");
	b = malloc(sizeof(*b) + cap);
	if (b == NULL) {
		a->fail(a->ctx, "out of memory");
		abort(); /* fail does not return */
	}
	b->cap = cap;
	b->used = n;
	a->total += cap;
	b->next = a->head;
	a->head = b;
	return b->data;
}

struct amark {
	struct ablock *block;
	size_t used;
};

static struct amark
arena_mark(const struct arena *a)
{
	struct amark m = { a->head, a->head != NULL ? a->head->used : 0 };

	return m;
}

/* Frees everything allocated since the mark. */
static void
arena_release(struct arena *a, struct amark m)
{
	while (a->head != NULL && a->head != m.block) {
		struct ablock *b = a->head;

		a->head = b->next;
		a->total -= b->cap;
		free(b);
	}
	if (a->head != NULL)
		a->head->used = m.used;
}

static void
arena_free(struct arena *a)
{
	struct ablock *b, *next;

	for (b = a->head; b != NULL; b = next) {
		next = b->next;
		free(b);
	}
	a->head = NULL;
	a->total = 0;
}

static char *
arena_strndup(struct arena *a, const char *s, size_t n)
{
	char *p = arena_alloc(a, n + 1);

	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

/* Grows an array of elem-sized items held in the arena to hold n + 1. */
static void *
arena_grow(struct arena *a, void *p, size_t n, size_t *cap, size_t elem)
{
	void *q;

	if (n < *cap)
		return p;
	*cap = *cap ? *cap * 2 : 8;
	q = arena_alloc(a, *cap * elem);
	if (n > 0)
		memcpy(q, p, n * elem);
	return q;
}

/* ---------------------------------------------------------- string buffer */

struct sbuf {
	struct arena *a;
	char *p;
	size_t n, cap;
};

static void
sb_init(struct sbuf *b, struct arena *a)
{
	b->a = a;
	b->p = NULL;
	b->n = b->cap = 0;
}

static void
sb_reserve(struct sbuf *b, size_t need)
{
	size_t cap;
	char *p;

	if (b->n + need + 1 <= b->cap)
		return;
	cap = b->cap ? b->cap * 2 : 64;
	while (cap < b->n + need + 1)
		cap *= 2;
	p = arena_alloc(b->a, cap);
	if (b->n > 0)
		memcpy(p, b->p, b->n);
	b->p = p;
	b->cap = cap;
}

static void
sb_put(struct sbuf *b, const char *s, size_t n)
{
	sb_reserve(b, n);
	if (n > 0)
		memcpy(b->p + b->n, s, n);
	b->n += n;
	b->p[b->n] = '\0';
}

static void
sb_puts(struct sbuf *b, const char *s)
{
	sb_put(b, s, strlen(s));
}

static void
sb_putc(struct sbuf *b, char c)
{
	sb_put(b, &c, 1);
}

static void
sb_repeat(struct sbuf *b, char c, size_t n)
{
	sb_reserve(b, n);
	memset(b->p + b->n, c, n);
	b->n += n;
	b->p[b->n] = '\0';
}

__attribute__((format(printf, 2, 3)))
static void
sb_printf(struct sbuf *b, const char *fmt, ...)
{
	va_list ap;
	char small[128];
	int n;

	va_start(ap, fmt);
	n = vsnprintf(small, sizeof(small), fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n < sizeof(small)) {
		sb_put(b, small, (size_t)n);
		return;
	}
	sb_reserve(b, (size_t)n);
	va_start(ap, fmt);
	vsnprintf(b->p + b->n, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->n += (size_t)n;
}

static const char *
sb_str(struct sbuf *b)
{
	if (b->p == NULL)
		return "";
	return b->p;
}

/* ------------------------------------------------------------------ UTF-8 */

/* Decodes one rune; an invalid byte is U+FFFD of width 1. */
static size_t
utf8_decode(const char *s, size_t n, long *r)
{
	const unsigned char *u = (const unsigned char *)s;
	long c;
	size_t len, i;

	if (n == 0) {
		*r = -1;
		return 0;
	}
	if (u[0] < 0x80) {
		*r = u[0];
		return 1;
	}
	if (u[0] >= 0xc2 && u[0] <= 0xdf) {
		len = 2;
		c = u[0] & 0x1f;
	} else if (u[0] >= 0xe0 && u[0] <= 0xef) {
		len = 3;
		c = u[0] & 0x0f;
	} else if (u[0] >= 0xf0 && u[0] <= 0xf4) {
		len = 4;
		c = u[0] & 0x07;
	} else {
		*r = 0xfffd;
		return 1;
	}
	if (n < len) {
		*r = 0xfffd;
		return 1;
	}
	for (i = 1; i < len; i++) {
		if ((u[i] & 0xc0) != 0x80) {
			*r = 0xfffd;
			return 1;
		}
		c = (c << 6) | (u[i] & 0x3f);
	}
	if ((len == 3 && (c < 0x800 || (c >= 0xd800 && c <= 0xdfff))) ||
	    (len == 4 && (c < 0x10000 || c > 0x10ffff))) {
		*r = 0xfffd;
		return 1;
	}
	*r = c;
	return len;
}

static size_t
utf8_encode(long r, char *out)
{
	if (r < 0 || r > 0x10ffff || (r >= 0xd800 && r <= 0xdfff))
		r = 0xfffd;
	if (r < 0x80) {
		out[0] = (char)r;
		return 1;
	}
	if (r < 0x800) {
		out[0] = (char)(0xc0 | (r >> 6));
		out[1] = (char)(0x80 | (r & 0x3f));
		return 2;
	}
	if (r < 0x10000) {
		out[0] = (char)(0xe0 | (r >> 12));
		out[1] = (char)(0x80 | ((r >> 6) & 0x3f));
		out[2] = (char)(0x80 | (r & 0x3f));
		return 3;
	}
	out[0] = (char)(0xf0 | (r >> 18));
	out[1] = (char)(0x80 | ((r >> 12) & 0x3f));
	out[2] = (char)(0x80 | ((r >> 6) & 0x3f));
	out[3] = (char)(0x80 | (r & 0x3f));
	return 4;
}

static size_t
utf8_count(const char *s, size_t n)
{
	size_t count = 0, i = 0;
	long r;

	while (i < n) {
		i += utf8_decode(s + i, n - i, &r);
		count++;
	}
	return count;
}

/* Roughly unicode.IsPrint. */
static bool
rune_printable(long r)
{
	if (r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) || r == 0xad)
		return false;
	if (r == 0x2028 || r == 0x2029 || r == 0xfeff || (r >= 0xfff9 && r <= 0xfffb))
		return false;
	if ((r >= 0xd800 && r <= 0xdfff) || r > 0x10ffff || (r >= 0xe000 && r <= 0xf8ff))
		return false;
	return true;
}

/* Roughly unicode.IsLetter || unicode.IsDigit, plus '_'. */
static bool
rune_alnum(long r)
{
	if (r < 0x80)
		return r == '_' || (r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z') ||
		    (r >= '0' && r <= '9');
	if ((r >= 0xa0 && r <= 0xbf) || r == 0xd7 || r == 0xf7)
		return false;
	if ((r >= 0x2000 && r <= 0x2bff) || (r >= 0x3000 && r <= 0x303f) ||
	    (r >= 0xfe30 && r <= 0xfe4f) || (r >= 0x1f000 && r <= 0x1faff))
		return false;
	return rune_printable(r);
}

struct range { long lo, hi; };

static const struct range wide_runes[] = {
	{ 0x1100, 0x115f }, { 0x231a, 0x231b }, { 0x2329, 0x232a }, { 0x23e9, 0x23ec },
	{ 0x23f0, 0x23f0 }, { 0x23f3, 0x23f3 }, { 0x25fd, 0x25fe }, { 0x2614, 0x2615 },
	{ 0x2648, 0x2653 }, { 0x267f, 0x267f }, { 0x2693, 0x2693 }, { 0x26a1, 0x26a1 },
	{ 0x26aa, 0x26ab }, { 0x26bd, 0x26be }, { 0x26c4, 0x26c5 }, { 0x26ce, 0x26ce },
	{ 0x26d4, 0x26d4 }, { 0x26ea, 0x26ea }, { 0x26f2, 0x26f3 }, { 0x26f5, 0x26f5 },
	{ 0x26fa, 0x26fa }, { 0x26fd, 0x26fd }, { 0x2705, 0x2705 }, { 0x270a, 0x270b },
	{ 0x2728, 0x2728 }, { 0x274c, 0x274c }, { 0x274e, 0x274e }, { 0x2753, 0x2755 },
	{ 0x2757, 0x2757 }, { 0x2795, 0x2797 }, { 0x27b0, 0x27b0 }, { 0x27bf, 0x27bf },
	{ 0x2b1b, 0x2b1c }, { 0x2b50, 0x2b50 }, { 0x2b55, 0x2b55 }, { 0x2e80, 0x303e },
	{ 0x3041, 0x33ff }, { 0x3400, 0x4dbf }, { 0x4e00, 0x9fff }, { 0xa000, 0xa4cf },
	{ 0xa960, 0xa97f }, { 0xac00, 0xd7a3 }, { 0xf900, 0xfaff }, { 0xfe10, 0xfe19 },
	{ 0xfe30, 0xfe6f }, { 0xff00, 0xff60 }, { 0xffe0, 0xffe6 }, { 0x16fe0, 0x16fe4 },
	{ 0x17000, 0x18aff }, { 0x1b000, 0x1b2ff }, { 0x1f004, 0x1f004 }, { 0x1f0cf, 0x1f0cf },
	{ 0x1f18e, 0x1f18e }, { 0x1f191, 0x1f19a }, { 0x1f200, 0x1f202 }, { 0x1f210, 0x1f23b },
	{ 0x1f240, 0x1f248 }, { 0x1f250, 0x1f251 }, { 0x1f260, 0x1f265 }, { 0x1f300, 0x1f320 },
	{ 0x1f32d, 0x1f335 }, { 0x1f337, 0x1f37c }, { 0x1f37e, 0x1f393 }, { 0x1f3a0, 0x1f3ca },
	{ 0x1f3cf, 0x1f3d3 }, { 0x1f3e0, 0x1f3f0 }, { 0x1f3f4, 0x1f3f4 }, { 0x1f3f8, 0x1f43e },
	{ 0x1f440, 0x1f440 }, { 0x1f442, 0x1f4fc }, { 0x1f4ff, 0x1f53d }, { 0x1f54b, 0x1f54e },
	{ 0x1f550, 0x1f567 }, { 0x1f57a, 0x1f57a }, { 0x1f595, 0x1f596 }, { 0x1f5a4, 0x1f5a4 },
	{ 0x1f5fb, 0x1f64f }, { 0x1f680, 0x1f6c5 }, { 0x1f6cc, 0x1f6cc }, { 0x1f6d0, 0x1f6d2 },
	{ 0x1f6d5, 0x1f6d7 }, { 0x1f6eb, 0x1f6ec }, { 0x1f6f4, 0x1f6fc }, { 0x1f7e0, 0x1f7eb },
	{ 0x1f90c, 0x1f93a }, { 0x1f93c, 0x1f945 }, { 0x1f947, 0x1f9ff }, { 0x1fa70, 0x1faff },
	{ 0x20000, 0x2fffd }, { 0x30000, 0x3fffd },
};

static const struct range zero_runes[] = {
	{ 0x0300, 0x036f }, { 0x0483, 0x0489 }, { 0x0591, 0x05bd }, { 0x0610, 0x061a },
	{ 0x064b, 0x065f }, { 0x0e31, 0x0e31 }, { 0x0e34, 0x0e3a }, { 0x1ab0, 0x1aff },
	{ 0x1dc0, 0x1dff }, { 0x200b, 0x200f }, { 0x20d0, 0x20ff }, { 0xfe00, 0xfe0f },
	{ 0xfe20, 0xfe2f },
};

static bool
in_ranges(long r, const struct range *t, size_t n)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;

		if (r < t[mid].lo)
			hi = mid;
		else if (r > t[mid].hi)
			lo = mid + 1;
		else
			return true;
	}
	return false;
}

/* go-runewidth's RuneWidth, East Asian ambiguous counted narrow. */
static int
rune_width(long r)
{
	if (r < 0x20 || (r >= 0x7f && r < 0xa0))
		return 0;
	if (r < 0x300)
		return 1;
	if (in_ranges(r, zero_runes, sizeof(zero_runes) / sizeof(zero_runes[0])))
		return 0;
	if (in_ranges(r, wide_runes, sizeof(wide_runes) / sizeof(wide_runes[0])))
		return 2;
	return 1;
}

static bool
ansi_terminator(long c)
{
	return (c >= 0x40 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a);
}

/* reflow's ansi.PrintableRuneWidth: cells, not counting escape sequences. */
static size_t
display_width(const char *s, size_t n)
{
	size_t w = 0, i = 0;
	bool esc = false;
	long r;

	while (i < n) {
		i += utf8_decode(s + i, n - i, &r);
		if (r == 0x1b)
			esc = true;
		else if (esc) {
			if (ansi_terminator(r))
				esc = false;
		} else
			w += (size_t)rune_width(r);
	}
	return w;
}

/* ------------------------------------------------------------------ nodes */

struct str {
	const char *p;
	size_t n;
};

enum ntype {
	N_LIST, N_TEXT, N_ACTION, N_IF, N_RANGE, N_WITH, N_BREAK, N_CONTINUE, N_END, N_ELSE,
	N_PIPE, N_CMD, N_FIELD, N_VAR, N_CHAIN, N_IDENT, N_DOT, N_NIL, N_BOOL, N_NUMBER, N_STRING,
};

struct node {
	enum ntype type;
	size_t pos;
	struct node **kids;  /* LIST: nodes; PIPE: commands; CMD: arguments */
	size_t nkids, capkids;
	struct node **decl;  /* PIPE: variables declared or assigned */
	size_t ndecl, capdecl;
	bool is_assign;      /* PIPE */
	struct node *pipe;   /* ACTION, IF, RANGE, WITH; CHAIN: the term */
	struct node *list, *elselist;
	struct str text;     /* TEXT; STRING (unquoted); NUMBER; IDENT */
	struct str src;      /* STRING: as written */
	struct str *ident;   /* FIELD: names; VAR: "$x" then names; CHAIN: names */
	size_t nident;
	bool b;              /* BOOL; ACTION: its memory is scratch (p_scratch_only) */
	int fn;              /* IDENT: index in builtins[] */
	bool is_int, is_uint, is_float, is_char;
	long long i;
	unsigned long long u;
	double f;
};

struct gotmpl {
	struct arena arena;
	char *text;
	size_t len;
	struct node *root;
};

/* Go's strconv.Quote, or QuoteRune with q == '\''. */
static void
go_quote(struct sbuf *b, const char *s, size_t n, char q, bool ascii)
{
	size_t i = 0;

	sb_putc(b, q);
	while (i < n) {
		long r;
		size_t w = utf8_decode(s + i, n - i, &r);

		if (r == 0xfffd && w == 1 && !(n - i >= 3 && memcmp(s + i, "\xef\xbf\xbd", 3) == 0)) {
			sb_printf(b, "\\x%02x", (unsigned char)s[i]);
		} else if (r == q || r == '\\') {
			sb_putc(b, '\\');
			sb_putc(b, (char)r);
		} else if (r < 0x80 ? (r >= 0x20 && r < 0x7f) : (!ascii && rune_printable(r))) {
			sb_put(b, s + i, w);
		} else {
			switch (r) {
			case '\a': sb_puts(b, "\\a"); break;
			case '\b': sb_puts(b, "\\b"); break;
			case '\f': sb_puts(b, "\\f"); break;
			case '\n': sb_puts(b, "\\n"); break;
			case '\r': sb_puts(b, "\\r"); break;
			case '\t': sb_puts(b, "\\t"); break;
			case '\v': sb_puts(b, "\\v"); break;
			default:
				if (r < 0x20 || r == 0x7f)
					sb_printf(b, "\\x%02x", (unsigned)r);
				else if (r < 0x10000)
					sb_printf(b, "\\u%04lx", r);
				else
					sb_printf(b, "\\U%08lx", r);
			}
		}
		i += w;
	}
	sb_putc(b, q);
}

/* Go's %#U: "U+00E9 'é'", or just "U+0007" when not printable. */
static void
go_rune_desc(struct sbuf *b, long r)
{
	char enc[4];

	if (r < 0)
		r = 0xfffd;
	sb_printf(b, "U+%04lX", r);
	if (rune_printable(r)) {
		sb_puts(b, " '");
		sb_put(b, enc, utf8_encode(r, enc));
		sb_putc(b, '\'');
	}
}

static void node_write(struct sbuf *b, const struct node *n);

static void
node_write_list(struct sbuf *b, const struct node *l)
{
	for (size_t i = 0; l != NULL && i < l->nkids; i++)
		node_write(b, l->kids[i]);
}

/* Node.String(), as Go writes nodes in error messages. */
static void
node_write(struct sbuf *b, const struct node *n)
{
	size_t i;

	switch (n->type) {
	case N_LIST:
		node_write_list(b, n);
		break;
	case N_TEXT:
		sb_put(b, n->text.p, n->text.n);
		break;
	case N_ACTION:
		sb_puts(b, "{{");
		node_write(b, n->pipe);
		sb_puts(b, "}}");
		break;
	case N_IF:
	case N_RANGE:
	case N_WITH:
		sb_puts(b, n->type == N_IF ? "{{if " : n->type == N_RANGE ? "{{range " : "{{with ");
		node_write(b, n->pipe);
		sb_puts(b, "}}");
		node_write_list(b, n->list);
		if (n->elselist != NULL) {
			sb_puts(b, "{{else}}");
			node_write_list(b, n->elselist);
		}
		sb_puts(b, "{{end}}");
		break;
	case N_BREAK:
		sb_puts(b, "{{break}}");
		break;
	case N_CONTINUE:
		sb_puts(b, "{{continue}}");
		break;
	case N_END:
		sb_puts(b, "{{end}}");
		break;
	case N_ELSE:
		sb_puts(b, "{{else}}");
		break;
	case N_PIPE:
		for (i = 0; i < n->ndecl; i++) {
			if (i > 0)
				sb_puts(b, ", ");
			node_write(b, n->decl[i]);
		}
		if (n->ndecl > 0)
			sb_puts(b, " := ");
		for (i = 0; i < n->nkids; i++) {
			if (i > 0)
				sb_puts(b, " | ");
			node_write(b, n->kids[i]);
		}
		break;
	case N_CMD:
		for (i = 0; i < n->nkids; i++) {
			if (i > 0)
				sb_putc(b, ' ');
			if (n->kids[i]->type == N_PIPE) {
				sb_putc(b, '(');
				node_write(b, n->kids[i]);
				sb_putc(b, ')');
			} else
				node_write(b, n->kids[i]);
		}
		break;
	case N_FIELD:
		for (i = 0; i < n->nident; i++) {
			sb_putc(b, '.');
			sb_put(b, n->ident[i].p, n->ident[i].n);
		}
		break;
	case N_VAR:
		for (i = 0; i < n->nident; i++) {
			if (i > 0)
				sb_putc(b, '.');
			sb_put(b, n->ident[i].p, n->ident[i].n);
		}
		break;
	case N_CHAIN:
		if (n->pipe->type == N_PIPE) {
			sb_putc(b, '(');
			node_write(b, n->pipe);
			sb_putc(b, ')');
		} else
			node_write(b, n->pipe);
		for (i = 0; i < n->nident; i++) {
			sb_putc(b, '.');
			sb_put(b, n->ident[i].p, n->ident[i].n);
		}
		break;
	case N_IDENT:
	case N_NUMBER:
		sb_put(b, n->text.p, n->text.n);
		break;
	case N_DOT:
		sb_putc(b, '.');
		break;
	case N_NIL:
		sb_puts(b, "nil");
		break;
	case N_BOOL:
		sb_puts(b, n->b ? "true" : "false");
		break;
	case N_STRING:
		sb_put(b, n->src.p, n->src.n);
		break;
	}
}

/* --------------------------------------------------------------- builtins */

enum pty { P_ANY, P_VALUE, P_STRING, P_INT, P_SLICE };

enum fnid {
	F_AND, F_OR, F_NOT, F_LEN, F_INDEX, F_SLICE, F_PRINT, F_PRINTF, F_PRINTLN, F_EQ, F_NE,
	F_LT, F_LE, F_GT, F_GE, F_HTML, F_JS, F_URLQUERY, F_CALL, F_AUTOCOLOR, F_COLOR,
	F_HYPERLINK, F_JOIN, F_PLUCK, F_TABLERENDER, F_TABLEROW, F_TIMEAGO, F_TIMEFMT, F_TRUNCATE,
};

struct builtin {
	const char *name;
	enum fnid id;
	int nin;           /* parameters; for a variadic function, the last is the element type */
	bool variadic;
	enum pty in[2];
};

static const struct builtin builtins[] = {
	{ "and", F_AND, 2, true, { P_VALUE, P_VALUE } },
	{ "or", F_OR, 2, true, { P_VALUE, P_VALUE } },
	{ "not", F_NOT, 1, false, { P_VALUE } },
	{ "len", F_LEN, 1, false, { P_VALUE } },
	{ "index", F_INDEX, 2, true, { P_VALUE, P_VALUE } },
	{ "slice", F_SLICE, 2, true, { P_VALUE, P_VALUE } },
	{ "print", F_PRINT, 1, true, { P_ANY } },
	{ "printf", F_PRINTF, 2, true, { P_STRING, P_ANY } },
	{ "println", F_PRINTLN, 1, true, { P_ANY } },
	{ "eq", F_EQ, 2, true, { P_VALUE, P_VALUE } },
	{ "ne", F_NE, 2, false, { P_VALUE, P_VALUE } },
	{ "lt", F_LT, 2, false, { P_VALUE, P_VALUE } },
	{ "le", F_LE, 2, false, { P_VALUE, P_VALUE } },
	{ "gt", F_GT, 2, false, { P_VALUE, P_VALUE } },
	{ "ge", F_GE, 2, false, { P_VALUE, P_VALUE } },
	{ "html", F_HTML, 1, true, { P_ANY } },
	{ "js", F_JS, 1, true, { P_ANY } },
	{ "urlquery", F_URLQUERY, 1, true, { P_ANY } },
	{ "call", F_CALL, 2, true, { P_VALUE, P_VALUE } },
	{ "autocolor", F_AUTOCOLOR, 2, false, { P_STRING, P_ANY } },
	{ "color", F_COLOR, 2, false, { P_STRING, P_ANY } },
	{ "hyperlink", F_HYPERLINK, 2, false, { P_STRING, P_STRING } },
	{ "join", F_JOIN, 2, false, { P_STRING, P_SLICE } },
	{ "pluck", F_PLUCK, 2, false, { P_STRING, P_SLICE } },
	{ "tablerender", F_TABLERENDER, 0, false, { P_ANY } },
	{ "tablerow", F_TABLEROW, 1, true, { P_ANY } },
	{ "timeago", F_TIMEAGO, 1, false, { P_STRING } },
	{ "timefmt", F_TIMEFMT, 2, false, { P_STRING, P_STRING } },
	{ "truncate", F_TRUNCATE, 2, false, { P_INT, P_ANY } },
};

#define N_BUILTINS (sizeof(builtins) / sizeof(builtins[0]))

static int
builtin_find(const char *name, size_t n)
{
	for (size_t i = 0; i < N_BUILTINS; i++)
		if (strlen(builtins[i].name) == n && memcmp(builtins[i].name, name, n) == 0)
			return (int)i;
	return -1;
}

static const char *
pty_name(enum pty t)
{
	switch (t) {
	case P_STRING: return "string";
	case P_INT: return "int";
	case P_SLICE: return "[]interface {}";
	case P_VALUE: return "reflect.Value";
	default: return "interface {}";
	}
}

/* ------------------------------------------------------------------ lexer */

enum tk {
	TK_ERROR, TK_BOOL, TK_CHAR, TK_CHARCONST, TK_COMPLEX, TK_ASSIGN, TK_DECLARE, TK_EOF,
	TK_FIELD, TK_IDENT, TK_LDELIM, TK_LPAREN, TK_NUMBER, TK_PIPE, TK_RAWSTRING, TK_RDELIM,
	TK_RPAREN, TK_SPACE, TK_STRING, TK_TEXT, TK_VARIABLE,
	TK_KEYWORD, /* keywords follow */
	TK_BLOCK, TK_BREAK, TK_CONTINUE, TK_DOT, TK_DEFINE, TK_ELSE, TK_END, TK_IF, TK_NIL,
	TK_RANGE, TK_TEMPLATE, TK_WITH,
};

struct token {
	enum tk typ;
	size_t pos;
	const char *val;
	size_t len;
	int line;
};

enum lstate {
	LS_TEXT, LS_LEFT, LS_COMMENT, LS_RIGHT, LS_INSIDE, LS_SPACE, LS_IDENT, LS_FIELD,
	LS_VARIABLE, LS_CHAR, LS_NUMBER, LS_QUOTE, LS_RAW, LS_DONE,
};

struct lexer {
	struct arena *a;
	const char *in;
	size_t n, pos, start, width;
	int line, start_line, paren;
	struct token *toks;
	size_t ntoks, cap;
};

static bool
lx_space(long r)
{
	return r == ' ' || r == '\t' || r == '\r' || r == '\n';
}

static long
lx_next(struct lexer *l)
{
	long r;

	if (l->pos >= l->n) {
		l->width = 0;
		return -1;
	}
	l->width = utf8_decode(l->in + l->pos, l->n - l->pos, &r);
	l->pos += l->width;
	if (r == '\n')
		l->line++;
	return r;
}

static void
lx_backup(struct lexer *l)
{
	l->pos -= l->width;
	if (l->width == 1 && l->in[l->pos] == '\n')
		l->line--;
}

static long
lx_peek(struct lexer *l)
{
	long r = lx_next(l);

	lx_backup(l);
	return r;
}

static void
lx_push(struct lexer *l, enum tk typ, size_t pos, const char *val, size_t len, int line)
{
	l->toks = arena_grow(l->a, l->toks, l->ntoks, &l->cap, sizeof(*l->toks));
	l->toks[l->ntoks].typ = typ;
	l->toks[l->ntoks].pos = pos;
	l->toks[l->ntoks].val = val;
	l->toks[l->ntoks].len = len;
	l->toks[l->ntoks].line = line;
	l->ntoks++;
}

static void
lx_emit(struct lexer *l, enum tk typ)
{
	lx_push(l, typ, l->start, l->in + l->start, l->pos - l->start, l->start_line);
	l->start = l->pos;
	l->start_line = l->line;
}

static int
count_nl(const char *s, size_t n)
{
	int c = 0;

	for (size_t i = 0; i < n; i++)
		c += s[i] == '\n';
	return c;
}

static void
lx_ignore(struct lexer *l)
{
	l->line += count_nl(l->in + l->start, l->pos - l->start);
	l->start = l->pos;
	l->start_line = l->line;
}

static enum lstate
lx_error(struct lexer *l, struct sbuf *msg)
{
	lx_push(l, TK_ERROR, l->start, msg->p, msg->n, l->start_line);
	return LS_DONE;
}

static enum lstate
lx_errorf(struct lexer *l, const char *s)
{
	struct sbuf b;

	sb_init(&b, l->a);
	sb_puts(&b, s);
	return lx_error(l, &b);
}

/* A quoted constant ('c' or "s") up to its closing quote; a backslash
 * escapes the next character, and neither may cross a line. */
static enum lstate
lx_quoted(struct lexer *l, int quote, enum tk typ, const char *unterminated)
{
	int r;

	for (;;) {
		r = lx_next(l);
		if (r == '\\') {
			r = lx_next(l);
			if (r != -1 && r != '\n')
				continue;
		}
		if (r == -1 || r == '\n')
			return lx_errorf(l, unterminated);
		if (r == quote)
			break;
	}
	lx_emit(l, typ);
	return LS_INSIDE;
}

static bool
lx_prefix(const struct lexer *l, size_t at, const char *p)
{
	size_t n = strlen(p);

	return at <= l->n && l->n - at >= n && memcmp(l->in + at, p, n) == 0;
}

static bool
has_left_trim(const struct lexer *l, size_t at)
{
	return at + 2 <= l->n && l->in[at] == '-' && lx_space((unsigned char)l->in[at + 1]);
}

static bool
has_right_trim(const struct lexer *l, size_t at)
{
	return at + 2 <= l->n && lx_space((unsigned char)l->in[at]) && l->in[at + 1] == '-';
}

static bool
lx_at_right_delim(const struct lexer *l, bool *trim)
{
	if (has_right_trim(l, l->pos) && lx_prefix(l, l->pos + 2, "}}")) {
		*trim = true;
		return true;
	}
	*trim = false;
	return lx_prefix(l, l->pos, "}}");
}

static size_t
left_trim_len(const struct lexer *l, size_t at)
{
	size_t i = at;

	while (i < l->n && lx_space((unsigned char)l->in[i]))
		i++;
	return i - at;
}

static bool
lx_at_terminator(struct lexer *l)
{
	long r = lx_peek(l);

	if (lx_space(r))
		return true;
	switch (r) {
	case -1: case '.': case ',': case '|': case ':': case ')': case '(': case '}':
		return true;
	}
	return false;
}

static bool
lx_accept(struct lexer *l, const char *valid)
{
	long r = lx_next(l);

	if (r > 0 && r < 0x80 && strchr(valid, (int)r) != NULL)
		return true;
	lx_backup(l);
	return false;
}

static void
lx_accept_run(struct lexer *l, const char *valid)
{
	while (lx_accept(l, valid))
		;
}

static bool
lx_scan_number(struct lexer *l)
{
	const char *digits = "0123456789_";

	lx_accept(l, "+-");
	if (lx_accept(l, "0")) {
		if (lx_accept(l, "xX"))
			digits = "0123456789abcdefABCDEF_";
		else if (lx_accept(l, "oO"))
			digits = "01234567_";
		else if (lx_accept(l, "bB"))
			digits = "01_";
	}
	lx_accept_run(l, digits);
	if (lx_accept(l, "."))
		lx_accept_run(l, digits);
	if (strlen(digits) == 11 && lx_accept(l, "eE")) {
		lx_accept(l, "+-");
		lx_accept_run(l, "0123456789_");
	}
	if (strlen(digits) == 23 && lx_accept(l, "pP")) {
		lx_accept(l, "+-");
		lx_accept_run(l, "0123456789_");
	}
	lx_accept(l, "i");
	if (rune_alnum(lx_peek(l))) {
		lx_next(l);
		return false;
	}
	return true;
}

static enum lstate
lx_bad_char(struct lexer *l, long r)
{
	struct sbuf b;

	sb_init(&b, l->a);
	sb_puts(&b, "bad character ");
	go_rune_desc(&b, r);
	return lx_error(l, &b);
}

static const struct { const char *word; enum tk typ; } keywords[] = {
	{ "block", TK_BLOCK }, { "break", TK_BREAK }, { "continue", TK_CONTINUE },
	{ "define", TK_DEFINE }, { "else", TK_ELSE }, { "end", TK_END }, { "if", TK_IF },
	{ "range", TK_RANGE }, { "nil", TK_NIL }, { "template", TK_TEMPLATE }, { "with", TK_WITH },
};

static enum lstate
lx_field_or_var(struct lexer *l, enum tk typ)
{
	long r;

	if (lx_at_terminator(l)) {
		lx_emit(l, typ == TK_VARIABLE ? TK_VARIABLE : TK_DOT);
		return LS_INSIDE;
	}
	for (;;) {
		r = lx_next(l);
		if (!rune_alnum(r)) {
			lx_backup(l);
			break;
		}
	}
	if (!lx_at_terminator(l))
		return lx_bad_char(l, r);
	lx_emit(l, typ);
	return LS_INSIDE;
}

static enum lstate
lx_step(struct lexer *l, enum lstate st)
{
	long r;
	bool trim;
	size_t i;

	switch (st) {
	case LS_TEXT: {
		const char *x = memmem(l->in + l->pos, l->n - l->pos, "{{", 2);

		if (x != NULL) {
			size_t at = (size_t)(x - l->in), trimlen = 0;

			if (has_left_trim(l, at + 2))
				while (trimlen < at - l->start &&
				    lx_space((unsigned char)l->in[at - trimlen - 1]))
					trimlen++;
			l->pos = at - trimlen;
			if (l->pos > l->start) {
				l->line += count_nl(l->in + l->start, l->pos - l->start);
				lx_emit(l, TK_TEXT);
			}
			l->pos = at;
			lx_ignore(l);
			return LS_LEFT;
		}
		l->pos = l->n;
		if (l->pos > l->start) {
			l->line += count_nl(l->in + l->start, l->pos - l->start);
			lx_emit(l, TK_TEXT);
		}
		lx_emit(l, TK_EOF);
		return LS_DONE;
	}
	case LS_LEFT: {
		size_t after;

		l->pos += 2;
		after = has_left_trim(l, l->pos) ? 2 : 0;
		if (lx_prefix(l, l->pos + after, "/*")) {
			l->pos += after;
			lx_ignore(l);
			return LS_COMMENT;
		}
		lx_emit(l, TK_LDELIM);
		l->pos += after;
		lx_ignore(l);
		l->paren = 0;
		return LS_INSIDE;
	}
	case LS_COMMENT: {
		const char *end;

		l->pos += 2;
		end = memmem(l->in + l->pos, l->n - l->pos, "*/", 2);
		if (end == NULL)
			return lx_errorf(l, "unclosed comment");
		l->pos = (size_t)(end - l->in) + 2;
		if (!lx_at_right_delim(l, &trim))
			return lx_errorf(l, "comment ends before closing delimiter");
		if (trim)
			l->pos += 2;
		l->pos += 2;
		if (trim)
			l->pos += left_trim_len(l, l->pos);
		lx_ignore(l);
		return LS_TEXT;
	}
	case LS_RIGHT:
		trim = has_right_trim(l, l->pos);
		if (trim) {
			l->pos += 2;
			lx_ignore(l);
		}
		l->pos += 2;
		lx_emit(l, TK_RDELIM);
		if (trim) {
			l->pos += left_trim_len(l, l->pos);
			lx_ignore(l);
		}
		return LS_TEXT;
	case LS_INSIDE:
		if (lx_at_right_delim(l, &trim)) {
			if (l->paren == 0)
				return LS_RIGHT;
			return lx_errorf(l, "unclosed left paren");
		}
		r = lx_next(l);
		if (r == -1)
			return lx_errorf(l, "unclosed action");
		if (lx_space(r)) {
			lx_backup(l);
			return LS_SPACE;
		}
		switch (r) {
		case '=':
			lx_emit(l, TK_ASSIGN);
			return LS_INSIDE;
		case ':':
			if (lx_next(l) != '=')
				return lx_errorf(l, "expected :=");
			lx_emit(l, TK_DECLARE);
			return LS_INSIDE;
		case '|':
			lx_emit(l, TK_PIPE);
			return LS_INSIDE;
		case '"':
			return LS_QUOTE;
		case '`':
			return LS_RAW;
		case '$':
			return LS_VARIABLE;
		case '\'':
			return LS_CHAR;
		case '.':
			if (l->pos < l->n && (l->in[l->pos] < '0' || l->in[l->pos] > '9'))
				return LS_FIELD;
			lx_backup(l);
			return LS_NUMBER;
		case '(':
			lx_emit(l, TK_LPAREN);
			l->paren++;
			return LS_INSIDE;
		case ')':
			if (--l->paren < 0) {
				l->start = l->pos;
				return lx_errorf(l, "unexpected right paren U+0029 ')'");
			}
			lx_emit(l, TK_RPAREN);
			return LS_INSIDE;
		}
		if (r == '+' || r == '-' || (r >= '0' && r <= '9')) {
			lx_backup(l);
			return LS_NUMBER;
		}
		if (rune_alnum(r)) {
			lx_backup(l);
			return LS_IDENT;
		}
		if (r < 0x80 && r >= 0x20 && r < 0x7f) {
			lx_emit(l, TK_CHAR);
			return LS_INSIDE;
		} else {
			struct sbuf b;

			sb_init(&b, l->a);
			sb_puts(&b, "unrecognized character in action: ");
			go_rune_desc(&b, r);
			return lx_error(l, &b);
		}
	case LS_SPACE: {
		int spaces = 0;

		while (lx_space(lx_peek(l))) {
			lx_next(l);
			spaces++;
		}
		if (has_right_trim(l, l->pos - 1) && lx_prefix(l, l->pos + 1, "}}")) {
			l->pos--;
			if (l->in[l->pos] == '\n')
				l->line--;
			if (spaces == 1)
				return LS_RIGHT;
		}
		lx_emit(l, TK_SPACE);
		return LS_INSIDE;
	}
	case LS_IDENT: {
		struct str w;

		for (;;) {
			r = lx_next(l);
			if (!rune_alnum(r))
				break;
		}
		lx_backup(l);
		w.p = l->in + l->start;
		w.n = l->pos - l->start;
		if (!lx_at_terminator(l))
			return lx_bad_char(l, r);
		for (i = 0; i < sizeof(keywords) / sizeof(keywords[0]); i++)
			if (strlen(keywords[i].word) == w.n && memcmp(keywords[i].word, w.p, w.n) == 0) {
				lx_emit(l, keywords[i].typ);
				return LS_INSIDE;
			}
		if ((w.n == 4 && memcmp(w.p, "true", 4) == 0) || (w.n == 5 && memcmp(w.p, "false", 5) == 0))
			lx_emit(l, TK_BOOL);
		else
			lx_emit(l, TK_IDENT);
		return LS_INSIDE;
	}
	case LS_FIELD:
		return lx_field_or_var(l, TK_FIELD);
	case LS_VARIABLE:
		if (lx_at_terminator(l)) {
			lx_emit(l, TK_VARIABLE);
			return LS_INSIDE;
		}
		return lx_field_or_var(l, TK_VARIABLE);
	case LS_CHAR:
		return lx_quoted(l, '\'', TK_CHARCONST, "unterminated character constant");
	case LS_NUMBER:
		if (!lx_scan_number(l))
			goto bad_number;
		r = lx_peek(l);
		if (r == '+' || r == '-') {
			if (!lx_scan_number(l) || l->in[l->pos - 1] != 'i')
				goto bad_number;
			lx_emit(l, TK_COMPLEX);
		} else
			lx_emit(l, TK_NUMBER);
		return LS_INSIDE;
bad_number: {
		struct sbuf b;

		sb_init(&b, l->a);
		sb_puts(&b, "bad number syntax: ");
		go_quote(&b, l->in + l->start, l->pos - l->start, '"', false);
		return lx_error(l, &b);
	}
	case LS_QUOTE:
		return lx_quoted(l, '"', TK_STRING, "unterminated quoted string");
	case LS_RAW:
		for (;;) {
			r = lx_next(l);
			if (r == -1)
				return lx_errorf(l, "unterminated raw quoted string");
			if (r == '`')
				break;
		}
		lx_emit(l, TK_RAWSTRING);
		return LS_INSIDE;
	case LS_DONE:
		break;
	}
	return LS_DONE;
}

static void
lex_all(struct lexer *l)
{
	enum lstate st = LS_TEXT;

	while (st != LS_DONE)
		st = lx_step(l, st);
}

/* ------------------------------------------------------------------ parser */

struct parser {
	struct arena *a;
	const char *text;
	struct token *toks;
	size_t ntoks, cur, far;
	struct str *vars;
	size_t nvars, capvars;
	int range_depth, depth, action_line;
	jmp_buf jb;
	char *err;
	size_t errlen;
};

__attribute__((format(printf, 2, 3), noreturn))
static void
p_errorf(struct parser *p, const char *fmt, ...)
{
	va_list ap;
	int n = 0;

	if (p->errlen > 0) {
		n = snprintf(p->err, p->errlen, "template: :%d: ", p->toks[p->far].line);
		if (n >= 0 && (size_t)n < p->errlen) {
			va_start(ap, fmt);
			vsnprintf(p->err + n, p->errlen - (size_t)n, fmt, ap);
			va_end(ap);
		}
	}
	longjmp(p->jb, 1);
}

static void
p_fail(void *ctx, const char *why)
{
	struct parser *p = ctx;

	if (p->errlen > 0)
		snprintf(p->err, p->errlen, "template: %s", why);
	longjmp(p->jb, 1);
}

/* Reading past the end keeps returning the last token (EOF or an error). */
static struct token *
p_at(struct parser *p, size_t i)
{
	if (i >= p->ntoks)
		i = p->ntoks - 1;
	if (i > p->far)
		p->far = i;
	return &p->toks[i];
}

static struct token *
p_next(struct parser *p)
{
	return p_at(p, p->cur++);
}

static void
p_backup(struct parser *p)
{
	p->cur--;
}

static struct token *
p_peek(struct parser *p)
{
	return p_at(p, p->cur);
}

static struct token *
p_next_non_space(struct parser *p)
{
	struct token *t;

	do
		t = p_next(p);
	while (t->typ == TK_SPACE);
	return t;
}

static struct token *
p_peek_non_space(struct parser *p)
{
	struct token *t = p_next_non_space(p);

	p_backup(p);
	return t;
}

/* item.String(). */
static const char *
tok_string(struct parser *p, const struct token *t)
{
	struct sbuf b;

	sb_init(&b, p->a);
	if (t->typ == TK_EOF)
		return "EOF";
	if (t->typ == TK_ERROR) {
		sb_put(&b, t->val, t->len);
	} else if (t->typ > TK_KEYWORD) {
		sb_putc(&b, '<');
		sb_put(&b, t->val, t->len);
		sb_putc(&b, '>');
	} else if (utf8_count(t->val, t->len) > 10) {
		size_t n = 0;
		long r;

		for (int k = 0; k < 10; k++)
			n += utf8_decode(t->val + n, t->len - n, &r);
		go_quote(&b, t->val, n, '"', false);
		sb_puts(&b, "...");
	} else
		go_quote(&b, t->val, t->len, '"', false);
	return sb_str(&b);
}

__attribute__((noreturn))
static void
p_unexpected(struct parser *p, const struct token *t, const char *context)
{
	if (t->typ == TK_ERROR) {
		const char *msg = tok_string(p, t);
		size_t n = strlen(msg);

		if (p->action_line != 0 && p->action_line != t->line) {
			if (n >= 7 && strcmp(msg + n - 7, " action") == 0)
				p_errorf(p, "%s started at :%d", msg, p->action_line);
			p_errorf(p, "%s in action started at :%d", msg, p->action_line);
		}
		p_errorf(p, "%s", msg);
	}
	p_errorf(p, "unexpected %s in %s", tok_string(p, t), context);
}

static struct node *
p_new(struct parser *p, enum ntype type, size_t pos)
{
	struct node *n = arena_alloc(p->a, sizeof(*n));

	memset(n, 0, sizeof(*n));
	n->type = type;
	n->pos = pos;
	return n;
}

static void
p_append(struct parser *p, struct node *parent, struct node *kid)
{
	parent->kids = arena_grow(p->a, parent->kids, parent->nkids, &parent->capkids,
	    sizeof(*parent->kids));
	parent->kids[parent->nkids++] = kid;
}

static void
p_append_decl(struct parser *p, struct node *pipe, struct node *v)
{
	pipe->decl = arena_grow(p->a, pipe->decl, pipe->ndecl, &pipe->capdecl, sizeof(*pipe->decl));
	pipe->decl[pipe->ndecl++] = v;
}

/* Splits s at '.' into idents, skipping a leading dot. */
static void
split_idents(struct parser *p, struct node *n, const char *s, size_t len)
{
	size_t count = 1, i, start, k = 0;

	if (len > 0 && s[0] == '.') {
		s++;
		len--;
	}
	for (i = 0; i < len; i++)
		count += s[i] == '.';
	n->ident = arena_alloc(p->a, count * sizeof(*n->ident));
	for (start = 0, i = 0; i <= len; i++)
		if (i == len || s[i] == '.') {
			n->ident[k].p = s + start;
			n->ident[k].n = i - start;
			k++;
			start = i + 1;
		}
	n->nident = k;
}

static struct node *
p_new_variable(struct parser *p, size_t pos, const char *s, size_t len)
{
	struct node *n = p_new(p, N_VAR, pos);
	size_t count = 1, i, start, k = 0;

	for (i = 0; i < len; i++)
		count += s[i] == '.';
	n->ident = arena_alloc(p->a, count * sizeof(*n->ident));
	for (start = 0, i = 0; i <= len; i++)
		if (i == len || s[i] == '.') {
			n->ident[k].p = s + start;
			n->ident[k].n = i - start;
			k++;
			start = i + 1;
		}
	n->nident = k;
	return n;
}

static void
p_push_var(struct parser *p, const char *name, size_t len)
{
	p->vars = arena_grow(p->a, p->vars, p->nvars, &p->capvars, sizeof(*p->vars));
	p->vars[p->nvars].p = name;
	p->vars[p->nvars].n = len;
	p->nvars++;
}

static int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/*
 * strconv.UnquoteChar: one character or escape of a quote-delimited string
 * at *sp, appended to out. False on a syntax error.
 */
static bool
unquote_char(const char **sp, const char *end, char quote, struct sbuf *out, long *rune)
{
	const char *s = *sp;
	char enc[4];
	long r, v = 0;
	int digits = 0, k;

	if (s >= end)
		return false;
	if ((unsigned char)*s >= 0x80) {
		size_t w = utf8_decode(s, (size_t)(end - s), &r);

		*sp = s + w;
		*rune = r;
		sb_put(out, enc, utf8_encode(r, enc));
		return true;
	}
	if (*s == quote && (quote == '\'' || quote == '"'))
		return false;
	if (*s != '\\') {
		*rune = (unsigned char)*s;
		sb_putc(out, *s);
		*sp = s + 1;
		return true;
	}
	if (end - s < 2)
		return false;
	s++;
	switch (*s++) {
	case 'a': v = '\a'; break;
	case 'b': v = '\b'; break;
	case 'f': v = '\f'; break;
	case 'n': v = '\n'; break;
	case 'r': v = '\r'; break;
	case 't': v = '\t'; break;
	case 'v': v = '\v'; break;
	case '\\': v = '\\'; break;
	case '\'':
	case '"':
		if (s[-1] != quote)
			return false;
		v = s[-1];
		break;
	case 'x':
		digits = 2;
		goto hex;
	case 'u':
		digits = 4;
		goto hex;
	case 'U':
		digits = 8;
hex:
		if (end - s < digits)
			return false;
		for (k = 0; k < digits; k++) {
			int h = hexval((unsigned char)s[k]);

			if (h < 0)
				return false;
			v = (v << 4) | h;
		}
		s += digits;
		if (digits == 2) {
			sb_putc(out, (char)v);
			*rune = v;
			*sp = s;
			return true;
		}
		if (v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff))
			return false;
		break;
	case '0': case '1': case '2': case '3': case '4': case '5': case '6': case '7':
		v = s[-1] - '0';
		if (end - s < 2)
			return false;
		for (k = 0; k < 2; k++) {
			if (s[k] < '0' || s[k] > '7')
				return false;
			v = (v << 3) | (s[k] - '0');
		}
		if (v > 255)
			return false;
		s += 2;
		sb_putc(out, (char)v);
		*rune = v;
		*sp = s;
		return true;
	default:
		return false;
	}
	*rune = v;
	sb_put(out, enc, utf8_encode(v, enc));
	*sp = s;
	return true;
}

/* strconv.Unquote of a "..." or `...` token. */
static bool
go_unquote(struct arena *a, const char *s, size_t n, struct str *out)
{
	struct sbuf b;
	const char *p, *end;
	long r;

	sb_init(&b, a);
	sb_reserve(&b, n);
	if (n < 2)
		return false;
	if (s[0] == '`') {
		for (size_t i = 1; i + 1 < n; i++)
			if (s[i] != '\r')
				sb_putc(&b, s[i]);
		out->p = sb_str(&b);
		out->n = b.n;
		return true;
	}
	p = s + 1;
	end = s + n - 1;
	while (p < end)
		if (!unquote_char(&p, end, '"', &b, &r))
			return false;
	out->p = sb_str(&b);
	out->n = b.n;
	return true;
}

/* strconv.ParseUint(s, 0, 64). */
static bool
parse_go_uint(const char *s, size_t n, unsigned long long *out)
{
	unsigned base = 10;
	size_t i = 0;
	unsigned long long v = 0;
	bool any = false, prefixed = false;
	char prev = 0;

	if (n == 0)
		return false;
	if (s[0] == '0') {
		if (n >= 3 && (s[1] == 'b' || s[1] == 'B')) {
			base = 2;
			i = 2;
			prefixed = true;
		} else if (n >= 3 && (s[1] == 'o' || s[1] == 'O')) {
			base = 8;
			i = 2;
			prefixed = true;
		} else if (n >= 3 && (s[1] == 'x' || s[1] == 'X')) {
			base = 16;
			i = 2;
			prefixed = true;
		} else {
			base = 8;
			i = 1;
			any = true;
			prev = '0';
		}
	}
	for (; i < n; i++) {
		int d;

		if (s[i] == '_') {
			if (prev == '_' || (!any && !prefixed))
				return false;
			prev = '_';
			continue;
		}
		d = hexval((unsigned char)s[i]);
		if (d < 0 || (unsigned)d >= base)
			return false;
		if (v > (ULLONG_MAX - (unsigned)d) / base)
			return false;
		v = v * base + (unsigned)d;
		any = true;
		prev = s[i];
	}
	if (!any || prev == '_')
		return false;
	*out = v;
	return true;
}

/* The NumberNode of a number or character constant token. */
static void
p_number(struct parser *p, struct node *n, const struct token *t)
{
	const char *s = t->val;
	size_t len = t->len, i;
	unsigned long long u;
	char buf[128];
	size_t k = 0;
	bool hex, neg;

	n->text.p = s;
	n->text.n = len;
	if (t->typ == TK_CHARCONST) {
		struct sbuf b;
		const char *q = s + 1, *end = s + len;
		long r;

		sb_init(&b, p->a);
		if (!unquote_char(&q, end, '\'', &b, &r))
			p_errorf(p, "invalid syntax");
		if (end - q != 1 || *q != '\'')
			p_errorf(p, "malformed character constant: %.*s", (int)len, s);
		n->is_char = n->is_int = n->is_uint = n->is_float = true;
		n->i = r;
		n->u = (unsigned long long)r;
		n->f = (double)r;
		return;
	}
	if (t->typ == TK_COMPLEX || (len > 0 && s[len - 1] == 'i'))
		p_errorf(p, "unsupported: complex constant %.*s", (int)len, s);
	neg = len > 0 && s[0] == '-';
	i = len > 0 && (s[0] == '-' || s[0] == '+') ? 1 : 0;
	if (s[0] != '-' && s[0] != '+' && parse_go_uint(s, len, &u)) {
		n->is_uint = true;
		n->u = u;
	}
	if (parse_go_uint(s + i, len - i, &u) &&
	    (neg ? u <= (unsigned long long)LLONG_MAX + 1 : u <= (unsigned long long)LLONG_MAX)) {
		n->is_int = true;
		n->i = neg ? (u == (unsigned long long)LLONG_MAX + 1 ? LLONG_MIN : -(long long)u)
		    : (long long)u;
		if (n->i == 0) {
			n->is_uint = true;
			n->u = 0;
		}
	}
	if (n->is_int) {
		n->is_float = true;
		n->f = (double)n->i;
		return;
	}
	if (n->is_uint) {
		n->is_float = true;
		n->f = (double)n->u;
		return;
	}
	/* A float, in Go's syntax: underscores dropped, hex needs a p exponent. */
	hex = len > i + 1 && s[i] == '0' && (s[i + 1] == 'x' || s[i + 1] == 'X');
	for (size_t j = 0; j < len && k + 1 < sizeof(buf); j++)
		if (s[j] != '_')
			buf[k++] = s[j];
	buf[k] = '\0';
	if (len < sizeof(buf) && k > 0 && !(hex && strpbrk(buf, "pP") == NULL)) {
		char *end;
		double f;

		errno = 0;
		f = strtod(buf, &end);
		if (*end == '\0' && end != buf && errno != ERANGE) {
			if (strpbrk(buf, hex ? "pP" : ".eEpP") == NULL)
				p_errorf(p, "integer overflow: \"%.*s\"", (int)len, s);
			n->is_float = true;
			n->f = f;
			if (f >= -9223372036854775808.0 && f < 9223372036854775808.0 &&
			    (double)(long long)f == f) {
				n->is_int = true;
				n->i = (long long)f;
			}
			if (f >= 0 && f < 18446744073709551616.0 &&
			    (double)(unsigned long long)f == f) {
				n->is_uint = true;
				n->u = (unsigned long long)f;
			}
			return;
		}
	}
	{
		struct sbuf b;

		sb_init(&b, p->a);
		go_quote(&b, s, len, '"', false);
		p_errorf(p, "illegal number syntax: %s", sb_str(&b));
	}
}

static struct node *p_pipeline(struct parser *p, const char *context, enum tk end);
static struct node *p_item_list(struct parser *p, struct node **next);

static void
p_enter(struct parser *p)
{
	if (++p->depth > GOTMPL_MAX_DEPTH)
		p_errorf(p, "max nesting depth (%d) exceeded", GOTMPL_MAX_DEPTH);
}

static struct node *
p_term(struct parser *p)
{
	struct token *t = p_next_non_space(p);
	struct node *n;

	switch (t->typ) {
	case TK_IDENT: {
		int fn = builtin_find(t->val, t->len);

		if (fn < 0) {
			struct sbuf b;

			sb_init(&b, p->a);
			go_quote(&b, t->val, t->len, '"', false);
			p_errorf(p, "function %s not defined", sb_str(&b));
		}
		n = p_new(p, N_IDENT, t->pos);
		n->text.p = t->val;
		n->text.n = t->len;
		n->fn = fn;
		return n;
	}
	case TK_DOT:
		return p_new(p, N_DOT, t->pos);
	case TK_NIL:
		return p_new(p, N_NIL, t->pos);
	case TK_VARIABLE: {
		size_t k;

		n = p_new_variable(p, t->pos, t->val, t->len);
		for (k = 0; k < p->nvars; k++)
			if (p->vars[k].n == n->ident[0].n &&
			    memcmp(p->vars[k].p, n->ident[0].p, n->ident[0].n) == 0)
				return n;
		{
			struct sbuf b;

			sb_init(&b, p->a);
			go_quote(&b, n->ident[0].p, n->ident[0].n, '"', false);
			p_errorf(p, "undefined variable %s", sb_str(&b));
		}
	}
	case TK_FIELD:
		n = p_new(p, N_FIELD, t->pos);
		split_idents(p, n, t->val, t->len);
		return n;
	case TK_BOOL:
		n = p_new(p, N_BOOL, t->pos);
		n->b = t->len == 4;
		return n;
	case TK_CHARCONST:
	case TK_COMPLEX:
	case TK_NUMBER:
		n = p_new(p, N_NUMBER, t->pos);
		p_number(p, n, t);
		return n;
	case TK_LPAREN:
		p_enter(p);
		n = p_pipeline(p, "parenthesized pipeline", TK_RPAREN);
		p->depth--;
		return n;
	case TK_STRING:
	case TK_RAWSTRING:
		n = p_new(p, N_STRING, t->pos);
		n->src.p = t->val;
		n->src.n = t->len;
		if (!go_unquote(p->a, t->val, t->len, &n->text))
			p_errorf(p, "invalid syntax");
		return n;
	default:
		p_backup(p);
		return NULL;
	}
}

static struct node *
p_operand(struct parser *p)
{
	struct node *n = p_term(p), *chain;
	struct sbuf b;

	if (n == NULL)
		return NULL;
	if (p_peek(p)->typ != TK_FIELD)
		return n;
	chain = p_new(p, N_CHAIN, p_peek(p)->pos);
	chain->pipe = n;
	sb_init(&b, p->a);
	while (p_peek(p)->typ == TK_FIELD) {
		struct token *f = p_next(p);

		sb_put(&b, f->val, f->len);
	}
	switch (n->type) {
	case N_FIELD:
	case N_VAR: {
		struct sbuf all;
		struct node *m;

		sb_init(&all, p->a);
		node_write(&all, n);
		sb_put(&all, b.p, b.n);
		if (n->type == N_FIELD) {
			m = p_new(p, N_FIELD, chain->pos);
			split_idents(p, m, all.p, all.n);
		} else
			m = p_new_variable(p, chain->pos, all.p, all.n);
		return m;
	}
	case N_BOOL:
	case N_STRING:
	case N_NUMBER:
	case N_NIL:
	case N_DOT: {
		struct sbuf s, q;

		sb_init(&s, p->a);
		sb_init(&q, p->a);
		node_write(&s, n);
		go_quote(&q, s.p, s.n, '"', false);
		p_errorf(p, "unexpected . after term %s", sb_str(&q));
	}
	default:
		split_idents(p, chain, b.p, b.n);
		return chain;
	}
}

static struct node *
p_command(struct parser *p)
{
	struct node *cmd = p_new(p, N_CMD, p_peek_non_space(p)->pos);

	for (;;) {
		struct node *op;
		struct token *t;

		p_peek_non_space(p);
		op = p_operand(p);
		if (op != NULL)
			p_append(p, cmd, op);
		t = p_next(p);
		if (t->typ == TK_SPACE)
			continue;
		if (t->typ == TK_RDELIM || t->typ == TK_RPAREN)
			p_backup(p);
		else if (t->typ != TK_PIPE)
			p_unexpected(p, t, "operand");
		break;
	}
	if (cmd->nkids == 0)
		p_errorf(p, "empty command");
	return cmd;
}

static struct node *
p_pipeline(struct parser *p, const char *context, enum tk end)
{
	struct node *pipe = p_new(p, N_PIPE, p_peek_non_space(p)->pos);
	struct token *v;

decls:
	v = p_peek_non_space(p);
	if (v->typ == TK_VARIABLE) {
		size_t at = p->cur;
		struct token *next;

		p_next(p);
		p_peek(p); /* Go looks at the token after the variable, then past spaces */
		next = p_peek_non_space(p);
		if (next->typ == TK_ASSIGN || next->typ == TK_DECLARE) {
			pipe->is_assign = next->typ == TK_ASSIGN;
			p_next_non_space(p);
			p_append_decl(p, pipe, p_new_variable(p, v->pos, v->val, v->len));
			p_push_var(p, v->val, v->len);
		} else if (next->typ == TK_CHAR && next->len == 1 && next->val[0] == ',') {
			p_next_non_space(p);
			p_append_decl(p, pipe, p_new_variable(p, v->pos, v->val, v->len));
			p_push_var(p, v->val, v->len);
			if (strcmp(context, "range") == 0 && pipe->ndecl < 2) {
				enum tk k = p_peek_non_space(p)->typ;

				if (k == TK_VARIABLE || k == TK_RDELIM || k == TK_RPAREN)
					goto decls;
				p_errorf(p, "range can only initialize variables");
			}
			p_errorf(p, "too many declarations in %s", context);
		} else
			p->cur = at;
	}
	for (;;) {
		struct token *t = p_next_non_space(p);

		if (t->typ == end) {
			if (pipe->nkids == 0)
				p_errorf(p, "missing value for %s", context);
			for (size_t i = 1; i < pipe->nkids; i++)
				switch (pipe->kids[i]->kids[0]->type) {
				case N_BOOL: case N_DOT: case N_NIL: case N_NUMBER: case N_STRING:
					p_errorf(p, "non executable command in pipeline stage %zu", i + 1);
				default:
					break;
				}
			return pipe;
		}
		switch (t->typ) {
		case TK_BOOL: case TK_CHARCONST: case TK_COMPLEX: case TK_DOT: case TK_FIELD:
		case TK_IDENT: case TK_NUMBER: case TK_NIL: case TK_RAWSTRING: case TK_STRING:
		case TK_VARIABLE: case TK_LPAREN:
			p_backup(p);
			p_append(p, pipe, p_command(p));
			break;
		default:
			p_unexpected(p, t, context);
		}
	}
}

/*
 * Whether evaluating the pipeline leaves nothing behind that outlives it:
 * no variable is declared or assigned and no table row is kept. The
 * memory such an action allocates is freed once it is printed.
 */
static bool
p_scratch_only(const struct node *n)
{
	size_t i;

	switch (n->type) {
	case N_PIPE:
		if (n->ndecl > 0)
			return false;
		/* fallthrough */
	case N_CMD:
		for (i = 0; i < n->nkids; i++)
			if (!p_scratch_only(n->kids[i]))
				return false;
		return true;
	case N_CHAIN:
		return p_scratch_only(n->pipe);
	case N_IDENT:
		return builtins[n->fn].id != F_TABLEROW;
	default:
		return true;
	}
}

static struct node *p_if(struct parser *p);
static struct node *p_with(struct parser *p);

static struct node *
p_control(struct parser *p, enum ntype type, const char *context)
{
	size_t saved = p->nvars;
	struct node *n, *next;

	p_enter(p);
	n = p_new(p, type, 0);
	n->pipe = p_pipeline(p, context, TK_RDELIM);
	n->pos = n->pipe->pos;
	if (type == N_RANGE)
		p->range_depth++;
	n->list = p_item_list(p, &next);
	if (type == N_RANGE)
		p->range_depth--;
	if (next->type == N_ELSE) {
		if (type == N_IF && p_peek(p)->typ == TK_IF) {
			p_next(p);
			n->elselist = p_new(p, N_LIST, next->pos);
			p_append(p, n->elselist, p_if(p));
		} else if (type == N_WITH && p_peek(p)->typ == TK_WITH) {
			p_next(p);
			n->elselist = p_new(p, N_LIST, next->pos);
			p_append(p, n->elselist, p_with(p));
		} else {
			n->elselist = p_item_list(p, &next);
			if (next->type != N_END) {
				struct sbuf b;

				sb_init(&b, p->a);
				node_write(&b, next);
				p_errorf(p, "expected end; found %s", sb_str(&b));
			}
		}
	}
	p->nvars = saved;
	p->depth--;
	return n;
}

static struct node *
p_if(struct parser *p)
{
	return p_control(p, N_IF, "if");
}

static struct node *
p_with(struct parser *p)
{
	return p_control(p, N_WITH, "with");
}

static struct node *
p_action(struct parser *p)
{
	struct token *t = p_next_non_space(p);
	struct node *n;

	switch (t->typ) {
	case TK_BLOCK:
	case TK_DEFINE:
	case TK_TEMPLATE:
		p_errorf(p, "unsupported: {{%.*s}}", (int)t->len, t->val);
	case TK_BREAK:
	case TK_CONTINUE: {
		const char *what = t->typ == TK_BREAK ? "{{break}}" : "{{continue}}";
		struct token *k = p_next_non_space(p);

		if (k->typ != TK_RDELIM)
			p_unexpected(p, k, what);
		if (p->range_depth == 0)
			p_errorf(p, "%s outside {{range}}", what);
		return p_new(p, t->typ == TK_BREAK ? N_BREAK : N_CONTINUE, t->pos);
	}
	case TK_ELSE: {
		struct token *k = p_peek_non_space(p);

		if (k->typ == TK_IF || k->typ == TK_WITH)
			return p_new(p, N_ELSE, k->pos);
		k = p_next_non_space(p);
		if (k->typ != TK_RDELIM)
			p_unexpected(p, k, "else");
		return p_new(p, N_ELSE, k->pos);
	}
	case TK_END: {
		struct token *k = p_next_non_space(p);

		if (k->typ != TK_RDELIM)
			p_unexpected(p, k, "end");
		return p_new(p, N_END, k->pos);
	}
	case TK_IF:
		return p_if(p);
	case TK_RANGE:
		return p_control(p, N_RANGE, "range");
	case TK_WITH:
		return p_with(p);
	default:
		break;
	}
	p_backup(p);
	n = p_new(p, N_ACTION, p_peek(p)->pos);
	n->pipe = p_pipeline(p, "command", TK_RDELIM);
	n->b = p_scratch_only(n->pipe);
	return n;
}

static struct node *
p_text_or_action(struct parser *p)
{
	struct token *t = p_next_non_space(p);
	struct node *n;

	switch (t->typ) {
	case TK_TEXT:
		n = p_new(p, N_TEXT, t->pos);
		n->text.p = t->val;
		n->text.n = t->len;
		return n;
	case TK_LDELIM:
		p->action_line = t->line;
		n = p_action(p);
		p->action_line = 0;
		return n;
	default:
		p_unexpected(p, t, "input");
	}
}

static struct node *
p_item_list(struct parser *p, struct node **next)
{
	struct node *list = p_new(p, N_LIST, p_peek_non_space(p)->pos);

	while (p_peek_non_space(p)->typ != TK_EOF) {
		struct node *n = p_text_or_action(p);

		if (n->type == N_END || n->type == N_ELSE) {
			*next = n;
			return list;
		}
		p_append(p, list, n);
	}
	p_errorf(p, "unexpected EOF");
}

static struct node *
p_parse(struct parser *p)
{
	struct node *root = p_new(p, N_LIST, p_peek(p)->pos);

	while (p_peek(p)->typ != TK_EOF) {
		struct node *n;

		if (p_peek(p)->typ == TK_LDELIM) {
			size_t at = p->cur;
			struct token *t;

			p_next(p);
			t = p_next_non_space(p);
			if (t->typ == TK_DEFINE)
				p_errorf(p, "unsupported: {{define}}");
			p->cur = at;
		}
		n = p_text_or_action(p);
		if (n->type == N_END || n->type == N_ELSE)
			p_errorf(p, "unexpected %s", n->type == N_END ? "{{end}}" : "{{else}}");
		p_append(p, root, n);
	}
	return root;
}

static int
parse_run(struct parser *p, struct gotmpl *t)
{
	struct lexer l;

	if (setjmp(p->jb) != 0)
		return -1;
	memset(&l, 0, sizeof(l));
	l.a = p->a;
	l.in = t->text;
	l.n = t->len;
	l.line = l.start_line = 1;
	lex_all(&l);
	p->toks = l.toks;
	p->ntoks = l.ntoks;
	p_push_var(p, "$", 1);
	t->root = p_parse(p);
	return 0;
}

struct gotmpl *
gotmpl_parse(const char *text, char *err, size_t errlen)
{
	struct gotmpl *t;
	struct parser *p;
	size_t len;

	if (errlen > 0)
		err[0] = '\0';
	if (text == NULL)
		text = "";
	len = strlen(text);
	if (len > GOTMPL_MAX_TEXT) {
		if (errlen > 0)
			snprintf(err, errlen, "template: too large (%zu bytes; at most %u)", len,
			    GOTMPL_MAX_TEXT);
		return NULL;
	}
	t = calloc(1, sizeof(*t));
	p = calloc(1, sizeof(*p));
	if (t == NULL || p == NULL) {
		free(t);
		free(p);
		if (errlen > 0)
			snprintf(err, errlen, "template: out of memory");
		return NULL;
	}
	t->text = malloc(len + 1);
	if (t->text == NULL) {
		free(p);
		gotmpl_free(t);
		if (errlen > 0)
			snprintf(err, errlen, "template: out of memory");
		return NULL;
	}
	memcpy(t->text, text, len + 1);
	t->len = len;
	p->a = &t->arena;
	p->text = t->text;
	p->err = err;
	p->errlen = errlen;
	t->arena.fail = p_fail;
	t->arena.ctx = p;
	if (parse_run(p, t) != 0) {
		free(p);
		gotmpl_free(t);
		return NULL;
	}
	free(p);
	t->arena.fail = NULL;
	t->arena.ctx = NULL;
	return t;
}

/* The text has to outlive parsing, so it is copied first. */
void
gotmpl_free(struct gotmpl *t)
{
	if (t == NULL)
		return;
	arena_free(&t->arena);
	free(t->text);
	free(t);
}

/* ------------------------------------------------------------------ values */

enum vt { VT_MISSING, VT_INVALID, VT_NIL, VT_BOOL, VT_INT, VT_FLOAT, VT_STRING, VT_MAP, VT_SLICE };

/*
 * A Go value. iface marks one still typed interface{} (read out of an
 * object or array); VT_NIL exists only so, as a JSON null. VT_INVALID is
 * Go's zero reflect.Value: a missing key, or nil. VT_MISSING marks "no
 * value piped in" between the commands of a pipeline.
 */
struct val {
	enum vt t;
	bool iface;
	union {
		bool b;
		long long i;
		double f;
		struct str s;
		const json_t *m;
		struct {
			const json_t *arr;       /* a JSON array, or */
			const struct val *items; /* computed elements (still interface{}) */
			size_t off, n;
		} a;
	} u;
};

static struct val
v_make(enum vt t)
{
	struct val v;

	memset(&v, 0, sizeof(v));
	v.t = t;
	return v;
}

static struct val
v_bool(bool b)
{
	struct val v = v_make(VT_BOOL);

	v.u.b = b;
	return v;
}

static struct val
v_int(long long i)
{
	struct val v = v_make(VT_INT);

	v.u.i = i;
	return v;
}

static struct val
v_float(double f)
{
	struct val v = v_make(VT_FLOAT);

	v.u.f = f;
	return v;
}

static struct val
v_str(const char *p, size_t n)
{
	struct val v = v_make(VT_STRING);

	v.u.s.p = p;
	v.u.s.n = n;
	return v;
}

static struct val
v_json(const json_t *j, bool iface)
{
	struct val v = v_make(VT_INVALID);

	if (j == NULL)
		return v;
	v.iface = iface;
	switch (json_typeof(j)) {
	case JSON_OBJECT:
		v.t = VT_MAP;
		v.u.m = j;
		break;
	case JSON_ARRAY:
		v.t = VT_SLICE;
		v.u.a.arr = j;
		v.u.a.n = json_array_size(j);
		break;
	case JSON_STRING:
		v.t = VT_STRING;
		v.u.s.p = json_string_value(j);
		v.u.s.n = json_string_length(j);
		break;
	case JSON_INTEGER:
		v.t = VT_FLOAT;
		v.u.f = (double)json_integer_value(j);
		break;
	case JSON_REAL:
		v.t = VT_FLOAT;
		v.u.f = json_real_value(j);
		break;
	case JSON_TRUE:
	case JSON_FALSE:
		v.t = VT_BOOL;
		v.u.b = json_is_true(j);
		break;
	case JSON_NULL:
		v.t = iface ? VT_NIL : VT_INVALID;
		if (!iface)
			v.iface = false;
		break;
	}
	return v;
}

/* The concrete value inside an interface{}: Go's indirectInterface. */
static struct val
v_unwrap(struct val v)
{
	if (v.iface) {
		v.iface = false;
		if (v.t == VT_NIL)
			v.t = VT_INVALID;
	}
	return v;
}

static size_t
v_len(const struct val *v)
{
	switch (v->t) {
	case VT_STRING: return v->u.s.n;
	case VT_MAP: return json_object_size(v->u.m);
	case VT_SLICE: return v->u.a.n;
	default: return 0;
	}
}

/* Element i of a slice, still interface{}. */
static struct val
v_index(const struct val *v, size_t i)
{
	if (v->u.a.arr != NULL)
		return v_json(json_array_get(v->u.a.arr, v->u.a.off + i), true);
	return v->u.a.items[v->u.a.off + i];
}

/* The Go type of the value, as reflect names it. */
static const char *
v_type(const struct val *v)
{
	if (v->iface)
		return "interface {}";
	switch (v->t) {
	case VT_BOOL: return "bool";
	case VT_INT: return "int";
	case VT_FLOAT: return "float64";
	case VT_STRING: return "string";
	case VT_MAP: return "map[string]interface {}";
	case VT_SLICE: return "[]interface {}";
	default: return "<nil>";
	}
}

/* Go's isTrue. */
static bool
v_truth(struct val v)
{
	v = v_unwrap(v);
	switch (v.t) {
	case VT_BOOL: return v.u.b;
	case VT_INT: return v.u.i != 0;
	case VT_FLOAT: return v.u.f != 0;
	case VT_STRING: case VT_MAP: case VT_SLICE: return v_len(&v) > 0;
	default: return false;
	}
}

/* ------------------------------------------------------------------ state */

struct var {
	struct str name;
	struct val v;
};

struct tfield {
	const char *p;
	size_t n;
};

struct trow {
	struct tfield *f;
	size_t n, cap;
};

struct state {
	struct gotmpl *t;
	struct arena a;
	FILE *out;
	bool tty;
	int width;
	long long now;
	const struct node *node; /* for error messages */
	struct var *vars;
	size_t nvars, capvars;
	struct trow *rows;       /* tablerow's table, NULL when there is none */
	size_t nrows, caprows;
	jmp_buf jb;
	char *err;
	size_t errlen;
	char ferr[1024];         /* why a function failed */
};

static void
x_fail(void *ctx, const char *why)
{
	struct state *s = ctx;

	if (s->errlen > 0)
		snprintf(s->err, s->errlen, "template: %s", why);
	longjmp(s->jb, 1);
}

/* Go's state.errorf: the location and the node being evaluated, then msg. */
__attribute__((format(printf, 2, 3), noreturn))
static void
x_errorf(struct state *s, const char *fmt, ...)
{
	char msg[2048];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (s->errlen > 0) {
		if (s->node == NULL) {
			snprintf(s->err, s->errlen, "template: : %s", msg);
		} else {
			const char *text = s->t->text;
			size_t pos = s->node->pos, col = pos, k;
			int line = 1;
			struct sbuf ctx;

			for (k = 0; k < pos; k++)
				if (text[k] == '\n') {
					line++;
					col = pos - k - 1;
				}
			sb_init(&ctx, &s->a);
			node_write(&ctx, s->node);
			snprintf(s->err, s->errlen, "template: :%d:%zu: executing \"\" at <%s>: %s", line,
			    col, sb_str(&ctx), msg);
		}
	}
	longjmp(s->jb, 1);
}

static void
x_at(struct state *s, const struct node *n)
{
	s->node = n;
}

static void
x_write(struct state *s, const char *p, size_t n)
{
	if (n > 0 && fwrite(p, 1, n, s->out) != n) {
		if (s->errlen > 0)
			snprintf(s->err, s->errlen, "write error: %s", strerror(errno));
		longjmp(s->jb, 1);
	}
}

/* --------------------------------------------------------------------- fmt */

struct fmtf {
	bool minus, plus, sharp, space, zero, sharpv, plusv, wid_present, prec_present;
	int wid, prec;
};

static void fmt_arg(struct state *s, struct sbuf *b, struct fmtf *f, struct val v, long verb);
static void fmt_value(struct state *s, struct sbuf *b, struct fmtf *f, struct val v, long verb,
    int depth);

static void
fmt_padding(struct sbuf *b, const struct fmtf *f, size_t n)
{
	sb_repeat(b, f->zero ? '0' : ' ', n);
}

static void
fmt_pad(struct sbuf *b, const struct fmtf *f, const char *s, size_t n)
{
	size_t w;

	if (!f->wid_present || f->wid == 0) {
		sb_put(b, s, n);
		return;
	}
	w = utf8_count(s, n);
	if ((size_t)f->wid <= w) {
		sb_put(b, s, n);
		return;
	}
	if (!f->minus) {
		fmt_padding(b, f, (size_t)f->wid - w);
		sb_put(b, s, n);
	} else {
		sb_put(b, s, n);
		sb_repeat(b, ' ', (size_t)f->wid - w);
	}
}

static void
fmt_pads(struct sbuf *b, const struct fmtf *f, const char *s)
{
	fmt_pad(b, f, s, strlen(s));
}

/* "%!d(string=x)". */
static void
fmt_bad_verb(struct state *s, struct sbuf *b, struct fmtf *f, struct val v, long verb)
{
	char enc[4];

	v = v_unwrap(v);
	sb_puts(b, "%!");
	sb_put(b, enc, utf8_encode(verb, enc));
	sb_putc(b, '(');
	if (v.t == VT_INVALID) {
		sb_puts(b, "<nil>");
	} else {
		sb_puts(b, v_type(&v));
		sb_putc(b, '=');
		fmt_arg(s, b, f, v, 'v');
	}
	sb_putc(b, ')');
}

/* Go's fmt.fmtInteger. */
static void
fmt_integer(struct sbuf *b, struct fmtf *f, long long sv, unsigned base, long verb, bool upper)
{
	const char *digits = upper ? "0123456789ABCDEFX" : "0123456789abcdefx";
	char buf[200];
	size_t i = sizeof(buf);
	bool neg = sv < 0;
	unsigned long long u = neg ? 0 - (unsigned long long)sv : (unsigned long long)sv;
	int prec = 0;
	struct fmtf g;

	if (f->prec_present) {
		prec = f->prec;
		if (prec == 0 && u == 0) {
			g = *f;
			g.zero = false;
			if (g.wid_present)
				fmt_padding(b, &g, (size_t)g.wid);
			return;
		}
	} else if (f->zero && !f->minus && f->wid_present) {
		prec = f->wid;
		if (neg || f->plus || f->space)
			prec--;
	}
	if (prec > 150)
		prec = 150;
	do {
		buf[--i] = digits[u % base];
		u /= base;
	} while (u > 0);
	while (i > 0 && (int)(sizeof(buf) - i) < prec)
		buf[--i] = '0';
	if (f->sharp) {
		if (base == 2) {
			buf[--i] = 'b';
			buf[--i] = '0';
		} else if (base == 8 && buf[i] != '0') {
			buf[--i] = '0';
		} else if (base == 16) {
			buf[--i] = digits[16];
			buf[--i] = '0';
		}
	}
	if (verb == 'O') {
		buf[--i] = 'o';
		buf[--i] = '0';
	}
	if (neg)
		buf[--i] = '-';
	else if (f->plus)
		buf[--i] = '+';
	else if (f->space)
		buf[--i] = ' ';
	g = *f;
	g.zero = false;
	fmt_pad(b, &g, buf + i, sizeof(buf) - i);
}

static void
fmt_int_verb(struct state *s, struct sbuf *b, struct fmtf *f, struct val v, long verb)
{
	long long x = v.u.i;
	char enc[4];
	struct sbuf t;

	switch (verb) {
	case 'v':
	case 'd':
		fmt_integer(b, f, x, 10, verb, false);
		return;
	case 'b':
		fmt_integer(b, f, x, 2, verb, false);
		return;
	case 'o':
	case 'O':
		fmt_integer(b, f, x, 8, verb, false);
		return;
	case 'x':
	case 'X':
		fmt_integer(b, f, x, 16, verb, verb == 'X');
		return;
	case 'c':
		fmt_pad(b, f, enc, utf8_encode(x < 0 || x > 0x10ffff ? 0xfffd : (long)x, enc));
		return;
	case 'q':
		sb_init(&t, b->a);
		sb_put(&t, enc, utf8_encode(x < 0 || x > 0x10ffff ? 0xfffd : (long)x, enc));
		{
			struct sbuf q;

			sb_init(&q, b->a);
			go_quote(&q, t.p, t.n, '\'', f->plus);
			fmt_pad(b, f, q.p, q.n);
		}
		return;
	case 'U':
		sb_init(&t, b->a);
		sb_printf(&t, "U+%04llX", (unsigned long long)x);
		if (f->sharp && x >= 0 && x <= 0x10ffff && rune_printable((long)x)) {
			sb_puts(&t, " '");
			sb_put(&t, enc, utf8_encode((long)x, enc));
			sb_putc(&t, '\'');
		}
		fmt_pad(b, f, t.p, t.n);
		return;
	default:
		fmt_bad_verb(s, b, f, v, verb);
	}
}

/* Shortest decimal digits that read back as v (> 0): nd digits, v = 0.d * 10^(exp+1). */
static int
shortest_digits(double v, char *digs, int *exp10)
{
	char tmp[64], *c;
	int nd = 0;

	if (v < 9007199254740992.0 && (double)(long long)v == v) {
		/* An integer below 2^53 is exact: its digits are the shortest. */
		nd = snprintf(digs, 24, "%lld", (long long)v);
		*exp10 = nd - 1;
		while (nd > 1 && digs[nd - 1] == '0')
			nd--;
		return nd;
	}
	for (int p = 1; p <= 17; p++) {
		snprintf(tmp, sizeof(tmp), "%.*e", p - 1, v);
		if (strtod(tmp, NULL) == v)
			break;
	}
	for (c = tmp; *c != '\0' && *c != 'e'; c++)
		if (*c >= '0' && *c <= '9')
			digs[nd++] = *c;
	*exp10 = *c == 'e' ? atoi(c + 1) : 0;
	while (nd > 1 && digs[nd - 1] == '0')
		nd--;
	return nd;
}

/* strconv.FormatFloat(v, fmt, prec, 64). */
static void
go_ftoa(struct sbuf *b, double v, char fmt, int prec)
{
	char digs[32];
	int nd, exp10;
	bool neg;

	if (v != v) {
		sb_puts(b, "NaN");
		return;
	}
	if (v > 1.7976931348623157e308 || v < -1.7976931348623157e308) {
		sb_puts(b, v > 0 ? "+Inf" : "-Inf");
		return;
	}
	if (fmt == 'b') {
		uint64_t bits;
		int e;
		unsigned long long mant;

		memcpy(&bits, &v, sizeof(bits));
		mant = bits & ((1ULL << 52) - 1);
		e = (int)((bits >> 52) & 0x7ff);
		if (e == 0)
			e++;
		else
			mant |= 1ULL << 52;
		if (bits >> 63)
			sb_putc(b, '-');
		sb_printf(b, "%llup%+d", mant, e - 1075);
		return;
	}
	if (fmt == 'x' || fmt == 'X') {
		char tmp[128], *p;
		size_t at;

		if (prec >= 0)
			snprintf(tmp, sizeof(tmp), fmt == 'x' ? "%.*a" : "%.*A", prec > 60 ? 60 : prec, v);
		else
			snprintf(tmp, sizeof(tmp), fmt == 'x' ? "%a" : "%A", v);
		p = strpbrk(tmp, "pP");
		if (p == NULL) {
			sb_puts(b, tmp);
			return;
		}
		at = (size_t)(p - tmp) + 2;
		sb_put(b, tmp, at);
		if (strlen(tmp + at) < 2)
			sb_putc(b, '0');
		sb_puts(b, tmp + at);
		return;
	}
	if (prec >= 0) {
		char f[8];

		if (prec > 1000)
			prec = 1000;
		snprintf(f, sizeof(f), "%%.*%c", fmt);
		sb_printf(b, f, prec, v);
		return;
	}
	/* Shortest. */
	neg = v < 0 || (v == 0 && 1 / v < 0);
	if (neg)
		sb_putc(b, '-');
	if (v == 0) {
		digs[0] = '0';
		nd = 1;
		exp10 = 0;
	} else
		nd = shortest_digits(neg ? -v : v, digs, &exp10);
	if (fmt == 'g' || fmt == 'G')
		fmt = (exp10 < -4 || exp10 >= 6) ? (fmt == 'g' ? 'e' : 'E') : 'f';
	if (fmt == 'e' || fmt == 'E') {
		sb_putc(b, digs[0]);
		if (nd > 1) {
			sb_putc(b, '.');
			sb_put(b, digs + 1, (size_t)nd - 1);
		}
		sb_printf(b, "%c%c%02d", fmt, exp10 < 0 ? '-' : '+', exp10 < 0 ? -exp10 : exp10);
		return;
	}
	{
		int dp = exp10 + 1;

		if (dp <= 0) {
			sb_puts(b, "0.");
			sb_repeat(b, '0', (size_t)-dp);
			sb_put(b, digs, (size_t)nd);
		} else if (dp >= nd) {
			sb_put(b, digs, (size_t)nd);
			sb_repeat(b, '0', (size_t)(dp - nd));
		} else {
			sb_put(b, digs, (size_t)dp);
			sb_putc(b, '.');
			sb_put(b, digs + dp, (size_t)(nd - dp));
		}
	}
}

/* Go's fmt.fmtFloat. */
static void
fmt_float(struct sbuf *b, struct fmtf *f, double v, char verb, int prec)
{
	struct sbuf t;
	char *num;
	size_t n;
	struct fmtf g;

	if (f->prec_present)
		prec = f->prec;
	sb_init(&t, b->a);
	sb_putc(&t, '+');
	go_ftoa(&t, v, verb, prec);
	num = t.p;
	n = t.n;
	if (num[1] == '-' || num[1] == '+') {
		num++;
		n--;
	}
	if (f->space && num[0] == '+' && !f->plus)
		num[0] = ' ';
	if (v != v || v > 1.7976931348623157e308 || v < -1.7976931348623157e308) {
		g = *f;
		g.zero = false;
		if (num[1] == 'N' && !f->space && !f->plus) {
			num++;
			n--;
		}
		fmt_pad(b, &g, num, n);
		return;
	}
	if (f->plus || num[0] != '+') {
		if (f->zero && !f->minus && f->wid_present && (size_t)f->wid > n) {
			sb_putc(b, num[0]);
			fmt_padding(b, f, (size_t)f->wid - n);
			sb_put(b, num + 1, n - 1);
			return;
		}
		fmt_pad(b, f, num, n);
		return;
	}
	fmt_pad(b, f, num + 1, n - 1);
}

static void
fmt_float_verb(struct state *s, struct sbuf *b, struct fmtf *f, struct val v, long verb)
{
	switch (verb) {
	case 'v':
		fmt_float(b, f, v.u.f, 'g', -1);
		return;
	case 'b': case 'g': case 'G': case 'x': case 'X':
		fmt_float(b, f, v.u.f, (char)verb, -1);
		return;
	case 'f': case 'e': case 'E':
		fmt_float(b, f, v.u.f, (char)verb, 6);
		return;
	case 'F':
		fmt_float(b, f, v.u.f, 'f', 6);
		return;
	default:
		fmt_bad_verb(s, b, f, v, verb);
	}
}

/* The first prec runes of s, when a precision is given. */
static size_t
fmt_truncate(const struct fmtf *f, const char *s, size_t n)
{
	size_t i = 0;
	long r;

	if (!f->prec_present)
		return n;
	for (int k = 0; k < f->prec && i < n; k++)
		i += utf8_decode(s + i, n - i, &r);
	return i;
}

static void
fmt_string_verb(struct state *s, struct sbuf *b, struct fmtf *f, struct val v, long verb)
{
	const char *p = v.u.s.p;
	size_t n = v.u.s.n;
	struct sbuf t;

	sb_init(&t, b->a);
	switch (verb) {
	case 'v':
		if (!f->sharpv) {
			fmt_pad(b, f, p, fmt_truncate(f, p, n));
			return;
		}
		/* fallthrough */
	case 'q':
		n = fmt_truncate(f, p, n);
		if (f->sharp && memchr(p, '`', n) == NULL && memchr(p, '\n', n) == NULL) {
			sb_putc(&t, '`');
			sb_put(&t, p, n);
			sb_putc(&t, '`');
		} else
			go_quote(&t, p, n, '"', f->plus);
		fmt_pad(b, f, t.p, t.n);
		return;
	case 's':
		fmt_pad(b, f, p, fmt_truncate(f, p, n));
		return;
	case 'x':
	case 'X': {
		const char *hex = verb == 'x' ? "0123456789abcdef" : "0123456789ABCDEF";
		size_t len = n;

		if (f->prec_present && (size_t)f->prec < len)
			len = (size_t)f->prec;
		for (size_t i = 0; i < len; i++) {
			unsigned char c = (unsigned char)p[i];

			if (f->space && i > 0)
				sb_putc(&t, ' ');
			if (f->sharp && (f->space || i == 0)) {
				sb_putc(&t, '0');
				sb_putc(&t, (char)verb);
			}
			sb_putc(&t, hex[c >> 4]);
			sb_putc(&t, hex[c & 15]);
		}
		fmt_pad(b, f, t.p ? t.p : "", t.n);
		return;
	}
	default:
		fmt_bad_verb(s, b, f, v, verb);
	}
}

static int
key_cmp(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* The keys of an object in Go's map order (sorted). */
static const char **
sorted_keys(struct state *s, const json_t *m, size_t *n)
{
	const char **keys;
	size_t i = 0;
	void *it;

	*n = json_object_size(m);
	keys = arena_alloc(&s->a, (*n ? *n : 1) * sizeof(*keys));
	for (it = json_object_iter((json_t *)m); it != NULL && i < *n;
	    it = json_object_iter_next((json_t *)m, it))
		keys[i++] = json_object_iter_key(it);
	*n = i;
	qsort(keys, *n, sizeof(*keys), key_cmp);
	return keys;
}

/* Go's printValue: a value inside a container (or the container itself). */
static void
fmt_value(struct state *s, struct sbuf *b, struct fmtf *f, struct val v, long verb, int depth)
{
	size_t i, n;

	if (depth > GOTMPL_MAX_PRINT)
		x_errorf(s, "value nested too deeply to print");
	if (depth > 0 && v.iface && v.t == VT_NIL) {
		sb_puts(b, f->sharpv ? "interface {}(nil)" : "<nil>");
		return;
	}
	v = v_unwrap(v);
	switch (v.t) {
	case VT_MAP: {
		const char **keys = sorted_keys(s, v.u.m, &n);

		sb_puts(b, f->sharpv ? "map[string]interface {}{" : "map[");
		for (i = 0; i < n; i++) {
			if (i > 0)
				sb_puts(b, f->sharpv ? ", " : " ");
			fmt_value(s, b, f, v_str(keys[i], strlen(keys[i])), verb, depth + 1);
			sb_putc(b, ':');
			fmt_value(s, b, f, v_json(json_object_get(v.u.m, keys[i]), true), verb, depth + 1);
		}
		sb_putc(b, f->sharpv ? '}' : ']');
		return;
	}
	case VT_SLICE:
		sb_puts(b, f->sharpv ? "[]interface {}{" : "[");
		for (i = 0; i < v.u.a.n; i++) {
			if (i > 0)
				sb_puts(b, f->sharpv ? ", " : " ");
			fmt_value(s, b, f, v_index(&v, i), verb, depth + 1);
		}
		sb_putc(b, f->sharpv ? '}' : ']');
		return;
	case VT_BOOL:
		if (verb == 't' || verb == 'v')
			fmt_pads(b, f, v.u.b ? "true" : "false");
		else
			fmt_bad_verb(s, b, f, v, verb);
		return;
	case VT_INT:
		fmt_int_verb(s, b, f, v, verb);
		return;
	case VT_FLOAT:
		fmt_float_verb(s, b, f, v, verb);
		return;
	case VT_STRING:
		fmt_string_verb(s, b, f, v, verb);
		return;
	default:
		sb_puts(b, "<nil>");
	}
}

/* Go's printArg. */
static void
fmt_arg(struct state *s, struct sbuf *b, struct fmtf *f, struct val v, long verb)
{
	v = v_unwrap(v);
	if (v.t == VT_INVALID || v.t == VT_MISSING) {
		if (verb == 'T' || verb == 'v')
			fmt_pads(b, f, "<nil>");
		else
			fmt_bad_verb(s, b, f, v, verb);
		return;
	}
	if (verb == 'T') {
		const char *t = v_type(&v);

		fmt_pad(b, f, t, fmt_truncate(f, t, strlen(t)));
		return;
	}
	if (verb == 'p') {
		fmt_bad_verb(s, b, f, v, verb);
		return;
	}
	fmt_value(s, b, f, v, verb, 0);
}

/* fmt.Sprint (ln false) or fmt.Sprintln. */
static void
go_sprint(struct state *s, struct sbuf *b, const struct val *args, size_t n, bool ln)
{
	struct fmtf f;
	bool prev_string = false;

	memset(&f, 0, sizeof(f));
	for (size_t i = 0; i < n; i++) {
		struct val v = v_unwrap(args[i]);
		bool is_string = v.t == VT_STRING;

		if (i > 0 && (ln || (!is_string && !prev_string)))
			sb_putc(b, ' ');
		fmt_arg(s, b, &f, v, 'v');
		prev_string = is_string;
	}
	if (ln)
		sb_putc(b, '\n');
}

static bool
fmt_parsenum(const char *s, size_t end, size_t *i, int *num)
{
	bool ok = false;

	*num = 0;
	while (*i < end && s[*i] >= '0' && s[*i] <= '9') {
		if (*num > 1000000)
			return false;
		*num = *num * 10 + (s[*i] - '0');
		(*i)++;
		ok = true;
	}
	return ok;
}

struct printf_state {
	size_t argnum;
	bool reordered, good_argnum;
};

static bool
fmt_argnumber(struct printf_state *ps, const char *s, size_t end, size_t *i, size_t nargs)
{
	size_t j, k;
	int idx;

	if (*i >= end || s[*i] != '[')
		return false;
	ps->reordered = true;
	for (j = *i + 1; j < end; j++)
		if (s[j] == ']') {
			k = *i + 1;
			if (fmt_parsenum(s, j, &k, &idx) && k == j) {
				*i = j + 1;
				if (idx >= 1 && (size_t)idx <= nargs) {
					ps->argnum = (size_t)idx - 1;
					return true;
				}
				ps->good_argnum = false;
				return true;
			}
			*i = j + 1;
			ps->good_argnum = false;
			return false;
		}
	(*i)++;
	ps->good_argnum = false;
	return false;
}

/* A width or precision taken from an argument: it must be an int. */
static bool
fmt_int_arg(const struct val *args, size_t nargs, struct printf_state *ps, int *num)
{
	bool ok = false;

	*num = 0;
	if (ps->argnum < nargs) {
		struct val v = v_unwrap(args[ps->argnum]);

		if (v.t == VT_INT && v.u.i >= -1000000 && v.u.i <= 1000000) {
			*num = (int)v.u.i;
			ok = true;
		}
		ps->argnum++;
	}
	return ok;
}

/* fmt.Sprintf. */
static void
go_sprintf(struct state *s, struct sbuf *b, const char *fs, size_t end, const struct val *args,
    size_t nargs)
{
	struct printf_state ps = { 0, false, true };
	size_t i = 0;
	bool after_index;

	while (i < end) {
		struct fmtf f;
		size_t lasti = i;
		long verb;

		ps.good_argnum = true;
		while (i < end && fs[i] != '%')
			i++;
		sb_put(b, fs + lasti, i - lasti);
		if (i >= end)
			break;
		i++;
		memset(&f, 0, sizeof(f));
		for (; i < end; i++) {
			char c = fs[i];

			if (c == '#')
				f.sharp = true;
			else if (c == '0')
				f.zero = !f.minus;
			else if (c == '+')
				f.plus = true;
			else if (c == '-') {
				f.minus = true;
				f.zero = false;
			} else if (c == ' ')
				f.space = true;
			else
				break;
		}
		after_index = fmt_argnumber(&ps, fs, end, &i, nargs);
		if (i < end && fs[i] == '*') {
			i++;
			f.wid_present = fmt_int_arg(args, nargs, &ps, &f.wid);
			if (!f.wid_present)
				sb_puts(b, "%!(BADWIDTH)");
			if (f.wid < 0) {
				f.wid = -f.wid;
				f.minus = true;
				f.zero = false;
			}
			after_index = false;
		} else {
			f.wid_present = fmt_parsenum(fs, end, &i, &f.wid);
			if (after_index && f.wid_present)
				ps.good_argnum = false;
		}
		if (i + 1 < end && fs[i] == '.') {
			i++;
			if (after_index)
				ps.good_argnum = false;
			after_index = fmt_argnumber(&ps, fs, end, &i, nargs);
			if (i < end && fs[i] == '*') {
				i++;
				f.prec_present = fmt_int_arg(args, nargs, &ps, &f.prec);
				if (f.prec < 0) {
					f.prec = 0;
					f.prec_present = false;
				}
				if (!f.prec_present)
					sb_puts(b, "%!(BADPREC)");
				after_index = false;
			} else {
				f.prec_present = fmt_parsenum(fs, end, &i, &f.prec);
				if (!f.prec_present) {
					f.prec = 0;
					f.prec_present = true;
				}
			}
		}
		if (!after_index)
			after_index = fmt_argnumber(&ps, fs, end, &i, nargs);
		if (i >= end) {
			sb_puts(b, "%!(NOVERB)");
			break;
		}
		i += utf8_decode(fs + i, end - i, &verb);
		if (verb == '%') {
			sb_putc(b, '%');
		} else if (!ps.good_argnum) {
			char enc[4];

			sb_puts(b, "%!");
			sb_put(b, enc, utf8_encode(verb, enc));
			sb_puts(b, "(BADINDEX)");
		} else if (ps.argnum >= nargs) {
			char enc[4];

			sb_puts(b, "%!");
			sb_put(b, enc, utf8_encode(verb, enc));
			sb_puts(b, "(MISSING)");
		} else {
			if (verb == 'v') {
				f.sharpv = f.sharp;
				f.sharp = false;
				f.plusv = f.plus;
				f.plus = false;
			}
			fmt_arg(s, b, &f, args[ps.argnum], verb);
			ps.argnum++;
		}
	}
	if (!ps.reordered && ps.argnum < nargs) {
		struct fmtf f;

		memset(&f, 0, sizeof(f));
		sb_puts(b, "%!(EXTRA ");
		for (size_t k = ps.argnum; k < nargs; k++) {
			struct val v = v_unwrap(args[k]);

			if (k > ps.argnum)
				sb_puts(b, ", ");
			if (v.t == VT_INVALID) {
				sb_puts(b, "<nil>");
			} else {
				sb_puts(b, v_type(&v));
				sb_putc(b, '=');
				fmt_arg(s, b, &f, v, 'v');
			}
		}
		sb_putc(b, ')');
	}
}

/* The value as fmt's %v prints it, in the arena. */
static const char *
v_sprint(struct state *s, struct val v)
{
	struct sbuf b;
	struct fmtf f;

	memset(&f, 0, sizeof(f));
	sb_init(&b, &s->a);
	fmt_arg(s, &b, &f, v, 'v');
	return sb_str(&b);
}

/* ------------------------------------------------------------ gh's helpers */

__attribute__((format(printf, 2, 3)))
static bool
fn_fail(struct state *s, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(s->ferr, sizeof(s->ferr), fmt, ap);
	va_end(ap);
	return false;
}

/* gh's jsonScalarToString. */
static bool
json_scalar(struct state *s, struct val v, struct str *out)
{
	struct sbuf b;

	v = v_unwrap(v);
	sb_init(&b, &s->a);
	switch (v.t) {
	case VT_STRING:
		*out = v.u.s;
		return true;
	case VT_FLOAT: {
		double x = v.u.f, ax = x < 0 ? -x : x;
		bool integral = ax >= 4503599627370496.0 || x != x ||
		    (double)(long long)x == x;

		if (x != x || ax > 1.7976931348623157e308)
			go_ftoa(&b, x, 'f', 0);
		else
			sb_printf(&b, integral ? "%.0f" : "%.2f", x);
		out->p = sb_str(&b);
		out->n = b.n;
		return true;
	}
	case VT_INVALID:
		out->p = "";
		out->n = 0;
		return true;
	case VT_BOOL:
		out->p = v.u.b ? "true" : "false";
		out->n = strlen(out->p);
		return true;
	default:
		return fn_fail(s, "cannot convert type to string: %s", v_sprint(s, v));
	}
}

/* The part of s before the first sep, and what follows it (up to a second sep). */
static void
split2(struct str s, char sep, struct str *first, struct str *second)
{
	const char *a = memchr(s.p, sep, s.n), *b;

	*first = s;
	second->p = "";
	second->n = 0;
	if (a == NULL)
		return;
	first->n = (size_t)(a - s.p);
	second->p = a + 1;
	b = memchr(second->p, sep, s.n - first->n - 1);
	second->n = b != NULL ? (size_t)(b - second->p) : s.n - first->n - 1;
}

/* strconv.Atoi. */
static bool
go_atoi(struct str s, long *out)
{
	char tmp[24], *end;
	size_t i = s.n > 0 && (s.p[0] == '+' || s.p[0] == '-') ? 1 : 0;

	if (s.n == i || s.n >= sizeof(tmp))
		return false;
	for (size_t k = i; k < s.n; k++)
		if (s.p[k] < '0' || s.p[k] > '9')
			return false;
	memcpy(tmp, s.p, s.n);
	tmp[s.n] = '\0';
	errno = 0;
	*out = strtol(tmp, &end, 10);
	return errno == 0;
}

/* The ANSI code of a colour name (mgutz/ansi's Colors; unknown names are black). */
static int
color_index(struct str name)
{
	static const char *const names[] = {
		"black", "red", "green", "yellow", "blue", "magenta", "cyan", "white", "", "default",
	};

	for (int k = 0; k < 10; k++)
		if (k != 8 && strlen(names[k]) == name.n && memcmp(names[k], name.p, name.n) == 0)
			return k;
	return 0;
}

static bool
has_attr(struct str attrs, char c)
{
	return memchr(attrs.p, c, attrs.n) != NULL;
}

/* mgutz/ansi's Color(s, style): style is "fg+attrs:bg+attrs". */
static void
ansi_color(struct sbuf *b, const char *style, size_t slen, const char *s, size_t n)
{
	struct str st = { style, slen }, fgpart, bgpart, fg, fgattr, bg, bgattr;
	long num;

	if (slen == 0) {
		sb_put(b, s, n);
		return;
	}
	if (slen == 5 && memcmp(style, "reset", 5) == 0) {
		sb_puts(b, "\033[0m");
	} else if (!(slen == 3 && memcmp(style, "off", 3) == 0)) {
		split2(st, ':', &fgpart, &bgpart);
		split2(fgpart, '+', &fg, &fgattr);
		split2(bgpart, '+', &bg, &bgattr);
		sb_puts(b, "\033[");
		if (has_attr(fgattr, 'b'))
			sb_puts(b, "1;");
		if (has_attr(fgattr, 'B'))
			sb_puts(b, "5;");
		if (has_attr(fgattr, 'u'))
			sb_puts(b, "4;");
		if (has_attr(fgattr, 'i'))
			sb_puts(b, "7;");
		if (has_attr(fgattr, 's'))
			sb_puts(b, "9;");
		if (go_atoi(fg, &num))
			sb_printf(b, "38;5;%ld;", num);
		else
			sb_printf(b, "%d;", (has_attr(fgattr, 'h') ? 90 : 30) + color_index(fg));
		if (bg.n > 0) {
			if (go_atoi(bg, &num))
				sb_printf(b, "48;5;%ld;", num);
			else
				sb_printf(b, "%d;", (has_attr(bgattr, 'h') ? 100 : 40) + color_index(bg));
		}
		b->p[b->n - 1] = 'm'; /* the last ';' */
	}
	sb_put(b, s, n);
	sb_puts(b, "\033[0m");
}

/* reflow's truncate.StringWithTail, keeping escape sequences whole. */
static void
cut_with_tail(struct sbuf *b, const char *s, size_t n, size_t width, const char *tail)
{
	size_t tw = display_width(tail, strlen(tail)), cur = 0, i = 0, seq = 0;
	bool esc = false, open = false;

	if (width < tw) {
		sb_puts(b, tail);
		return;
	}
	width -= tw;
	while (i < n) {
		long r;
		size_t w = utf8_decode(s + i, n - i, &r);

		if (r == 0x1b) {
			esc = true;
			seq = i;
		} else if (esc) {
			if (ansi_terminator(r)) {
				esc = false;
				if (i + w - seq >= 3 && memcmp(s + i + w - 3, "[0m", 3) == 0)
					open = false;
				else if (r == 'm')
					open = true;
				sb_put(b, s + seq, i + w - seq);
			}
		} else {
			cur += (size_t)rune_width(r);
			if (cur > width) {
				sb_puts(b, tail);
				if (open)
					sb_puts(b, "\033[0m");
				return;
			}
			sb_put(b, s + i, w);
		}
		i += w;
	}
}

/* gh's text.Truncate. */
static void
text_truncate(struct sbuf *b, long long maxw, const char *s, size_t n)
{
	size_t start = b->n;

	if (maxw >= 0 && display_width(s, n) <= (size_t)maxw) {
		sb_put(b, s, n);
		return;
	}
	if (maxw < 0) {
		sb_put(b, s, n);
		return;
	}
	cut_with_tail(b, s, n, (size_t)maxw, maxw >= 5 ? "..." : "");
	if (display_width(b->p + start, b->n - start) < (size_t)maxw)
		sb_putc(b, ' ');
}

/* gh's truncateMultiline: the first line only, then text.Truncate. */
static void
truncate_multiline(struct state *s, struct sbuf *b, long long maxw, const char *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i] == '\r' || p[i] == '\n') {
			struct sbuf t;

			sb_init(&t, &s->a);
			sb_put(&t, p, i);
			sb_puts(&t, "...");
			text_truncate(b, maxw, t.p, t.n);
			return;
		}
	text_truncate(b, maxw, p, n);
}

/* ------------------------------------------------------------------- table */

static void
table_new_row(struct state *s)
{
	s->rows = arena_grow(&s->a, s->rows, s->nrows, &s->caprows, sizeof(*s->rows));
	memset(&s->rows[s->nrows], 0, sizeof(s->rows[s->nrows]));
	s->nrows++;
}

static void
table_add(struct state *s, struct str f)
{
	struct trow *r;

	if (s->nrows == 0)
		table_new_row(s);
	r = &s->rows[s->nrows - 1];
	r->f = arena_grow(&s->a, r->f, r->n, &r->cap, sizeof(*r->f));
	r->f[r->n].p = f.p;
	r->f[r->n].n = f.n;
	r->n++;
}

/* go-gh's ttyTablePrinter.calculateColumnWidths. */
static bool
table_widths(struct state *s, long long *w, long long *maxw, size_t ncols)
{
	long long delim = 2, avail, per;
	size_t r, c, flex;

	for (c = 0; c < ncols; c++)
		w[c] = maxw[c] = 0;
	for (r = 0; r < s->nrows; r++)
		for (c = 0; c < s->rows[r].n; c++) {
			long long dw;

			if (c >= ncols)
				return fn_fail(s, "runtime error: index out of range [%zu] with length %zu",
				    c, ncols);
			dw = (long long)display_width(s->rows[r].f[c].p, s->rows[r].f[c].n);
			if (dw > maxw[c])
				maxw[c] = dw;
		}
#define AVAIL() ({ long long set_ = 0; for (size_t k_ = 0; k_ < ncols; k_++) set_ += w[k_]; \
	(long long)s->width - delim * ((long long)ncols - 1) - set_; })
#define FLEX() ({ size_t f_ = ncols; for (size_t k_ = 0; k_ < ncols; k_++) f_ -= w[k_] > 0; f_; })
	avail = AVAIL();
	if (avail > 0) {
		flex = FLEX();
		if (flex > 0) {
			per = avail / (long long)flex;
			for (c = 0; c < ncols; c++)
				if (maxw[c] < per)
					w[c] = maxw[c];
		}
	}
	flex = FLEX();
	if (flex > 0) {
		per = AVAIL() / (long long)flex;
		for (c = 0; c < ncols; c++)
			if (w[c] == 0) {
				if (maxw[c] < per)
					w[c] = maxw[c];
				else if (per > 0)
					w[c] = per;
			}
	}
	avail = AVAIL();
	if (avail > 0)
		for (c = 0; c < ncols; c++) {
			long long d = maxw[c] - w[c], add = avail < d ? avail : d;

			w[c] += add;
			avail -= add;
			if (avail <= 0)
				break;
		}
#undef AVAIL
#undef FLEX
	return true;
}

/* Renders the table (gh's always lays it out in columns) and starts a new one. */
static bool
table_render(struct state *s)
{
	size_t ncols, r, c;
	long long *w, *maxw;
	struct amark m;

	if (s->nrows == 0)
		return true;
	ncols = s->rows[0].n;
	w = arena_alloc(&s->a, (ncols + 1) * sizeof(*w));
	maxw = arena_alloc(&s->a, (ncols + 1) * sizeof(*maxw));
	if (!table_widths(s, w, maxw, ncols)) {
		s->rows = NULL;
		s->nrows = s->caprows = 0;
		return false;
	}
	for (r = 0; r < s->nrows; r++) {
		struct sbuf b;

		m = arena_mark(&s->a);
		sb_init(&b, &s->a);
		for (c = 0; c < s->rows[r].n; c++) {
			size_t start = b.n;

			if (c > 0)
				sb_puts(&b, "  ");
			start = b.n;
			truncate_multiline(s, &b, w[c], s->rows[r].f[c].p, s->rows[r].f[c].n);
			if (c + 1 < ncols) {
				long long dw = (long long)display_width(b.p + start, b.n - start);

				if (w[c] > dw)
					sb_repeat(&b, ' ', (size_t)(w[c] - dw));
			}
		}
		if (s->rows[r].n > 0)
			sb_putc(&b, '\n');
		x_write(s, b.p, b.n);
		arena_release(&s->a, m);
	}
	s->rows = NULL;
	s->nrows = s->caprows = 0;
	return true;
}

/* -------------------------------------------------------------------- time */

struct gtime {
	long long sec; /* Unix seconds */
	int nsec;
	int offset;    /* seconds east of UTC */
	bool utc;      /* parsed from "Z": the zone is called UTC */
};

static const char *const month_names[] = {
	"January", "February", "March", "April", "May", "June", "July", "August", "September",
	"October", "November", "December",
};

static const char *const day_names[] = {
	"Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday",
};

static long long
days_from_civil(long long y, unsigned m, unsigned d)
{
	long long era;
	unsigned yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = (unsigned)(y - era * 400);
	doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (long long)doe - 719468;
}

static void
civil_from_days(long long z, long long *y, unsigned *m, unsigned *d)
{
	long long era;
	unsigned doe, yoe, doy, mp;

	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = (unsigned)(z - era * 146097);
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d = doy - (153 * mp + 2) / 5 + 1;
	*m = mp < 10 ? mp + 3 : mp - 9;
	*y = (long long)yoe + era * 400 + (*m <= 2);
}

static int
days_in(int month, long long year)
{
	static const int days[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };

	if (month == 2 && year % 4 == 0 && (year % 100 != 0 || year % 400 == 0))
		return 29;
	return days[month - 1];
}

/* time's quote(). */
static void
time_quote(struct sbuf *b, const char *s, size_t n)
{
	sb_putc(b, '"');
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c >= 0x80 || c < ' ')
			sb_printf(b, "\\x%02x", c);
		else {
			if (c == '"' || c == '\\')
				sb_putc(b, '\\');
			sb_putc(b, (char)c);
		}
	}
	sb_putc(b, '"');
}

static bool
is_digit_at(const char *v, size_t n, size_t i)
{
	return i < n && v[i] >= '0' && v[i] <= '9';
}

/* time's getnum: one or two digits (two when fixed). */
static bool
getnum(const char *v, size_t n, size_t *i, bool fixed, int *out)
{
	if (!is_digit_at(v, n, *i))
		return false;
	if (!is_digit_at(v, n, *i + 1)) {
		if (fixed)
			return false;
		*out = v[*i] - '0';
		*i += 1;
		return true;
	}
	*out = (v[*i] - '0') * 10 + (v[*i + 1] - '0');
	*i += 2;
	return true;
}

static const char *
literal_str(char c)
{
	return c == '-' ? "-" : c == 'T' ? "T" : ":";
}

/* time.Parse(time.RFC3339, v), with Go's error messages. */
static bool
time_parse(struct state *s, const char *v, size_t n, struct gtime *t)
{
	static const char layout[] = "2006-01-02T15:04:05Z07:00";
	const char *elem = NULL, *range = NULL;
	size_t i = 0, hold = 0, k;
	int year = 0, month = 0, day = 0, hour = 0, min = 0, sec = 0, nsec = 0, offset = 0;
	bool utc = false;
	struct sbuf b;

	sb_init(&b, &s->a);
	/* 2006 */
	if (n < 4 || !is_digit_at(v, n, 0)) {
		elem = "2006";
		goto bad;
	}
	for (k = 0; k < 4; k++) {
		if (!is_digit_at(v, n, k)) {
			elem = "2006";
			goto bad;
		}
		year = year * 10 + (v[k] - '0');
	}
	i = 4;
#define LITERAL(c) do { \
	if (i >= n || v[i] != (c)) { hold = i; elem = literal_str(c); goto bad; } \
	i++; \
} while (0)
#define NUM(out, fixed, name) do { \
	hold = i; \
	if (!getnum(v, n, &i, (fixed), &(out))) { elem = (name); goto bad; } \
} while (0)
	LITERAL('-');
	NUM(month, true, "01");
	if (month < 1 || month > 12) {
		range = "month";
		goto out_of_range;
	}
	LITERAL('-');
	NUM(day, true, "02");
	LITERAL('T');
	NUM(hour, false, "15");
	if (hour >= 24) {
		range = "hour";
		goto out_of_range;
	}
	LITERAL(':');
	NUM(min, true, "04");
	if (min >= 60) {
		range = "minute";
		goto out_of_range;
	}
	LITERAL(':');
	NUM(sec, true, "05");
	if (sec >= 60) {
		range = "second";
		goto out_of_range;
	}
	if (n - i >= 2 && (v[i] == '.' || v[i] == ',') && is_digit_at(v, n, i + 1)) {
		size_t digits = 2, used;

		while (is_digit_at(v, n, i + digits))
			digits++;
		used = digits > 10 ? 10 : digits;
		for (k = 1; k < used; k++)
			nsec = nsec * 10 + (v[i + k] - '0');
		for (k = used; k < 10; k++)
			nsec *= 10;
		i += digits;
	}
	hold = i;
	if (i < n && v[i] == 'Z') {
		utc = true;
		i++;
	} else {
		int hh, mm;
		size_t j;

		if (n - i < 6 || v[i + 3] != ':') {
			elem = "Z07:00";
			goto bad;
		}
		j = i + 1;
		if (!getnum(v, n, &j, true, &hh)) {
			elem = "Z07:00";
			goto bad;
		}
		j = i + 4;
		if (!getnum(v, n, &j, true, &mm)) {
			elem = "Z07:00";
			goto bad;
		}
		if (hh > 24)
			range = "time zone offset hour";
		if (mm > 60)
			range = "time zone offset minute";
		if (range != NULL)
			goto out_of_range;
		offset = (hh * 60 + mm) * 60;
		if (v[i] == '-')
			offset = -offset;
		else if (v[i] != '+') {
			elem = "Z07:00";
			goto bad;
		}
		i += 6;
	}
#undef LITERAL
#undef NUM
	if (i < n) {
		sb_puts(&b, "parsing time ");
		time_quote(&b, v, n);
		sb_puts(&b, ": extra text: ");
		time_quote(&b, v + i, n - i);
		return fn_fail(s, "%s", sb_str(&b));
	}
	if (day < 1 || day > days_in(month, year)) {
		range = "day";
		goto out_of_range;
	}
	t->sec = days_from_civil(year, (unsigned)month, (unsigned)day) * 86400 + hour * 3600 +
	    min * 60 + sec - offset;
	t->nsec = nsec;
	t->offset = offset;
	t->utc = utc;
	return true;
bad:
	sb_puts(&b, "parsing time ");
	time_quote(&b, v, n);
	sb_puts(&b, " as ");
	time_quote(&b, layout, strlen(layout));
	sb_puts(&b, ": cannot parse ");
	time_quote(&b, v + hold, n - hold);
	sb_puts(&b, " as ");
	time_quote(&b, elem, strlen(elem));
	return fn_fail(s, "%s", sb_str(&b));
out_of_range:
	sb_puts(&b, "parsing time ");
	time_quote(&b, v, n);
	return fn_fail(s, "%s: %s out of range", sb_str(&b), range);
}

enum stdfmt {
	STD_NONE, STD_LONG_MONTH, STD_MONTH, STD_NUM_MONTH, STD_ZERO_MONTH, STD_LONG_WEEKDAY,
	STD_WEEKDAY, STD_DAY, STD_UNDER_DAY, STD_ZERO_DAY, STD_UNDER_YEARDAY, STD_ZERO_YEARDAY,
	STD_HOUR, STD_HOUR12, STD_ZERO_HOUR12, STD_MINUTE, STD_ZERO_MINUTE, STD_SECOND,
	STD_ZERO_SECOND, STD_LONG_YEAR, STD_YEAR, STD_PM, STD_PM_LOWER, STD_TZ, STD_ISO_TZ,
	STD_ISO_SECONDS_TZ, STD_ISO_SHORT_TZ, STD_ISO_COLON_TZ, STD_ISO_COLON_SECONDS_TZ,
	STD_NUM_TZ, STD_NUM_SECONDS_TZ, STD_NUM_SHORT_TZ, STD_NUM_COLON_TZ, STD_NUM_COLON_SECONDS_TZ,
	STD_FRAC0, STD_FRAC9,
};

struct chunk {
	size_t prefix;   /* literal bytes before the element */
	enum stdfmt std;
	size_t len;      /* the element's bytes */
	int digits;      /* fractional seconds */
	char sep;
};

static bool
lower_at(const char *l, size_t n, size_t i)
{
	return i < n && l[i] >= 'a' && l[i] <= 'z';
}

static bool
has_at(const char *l, size_t n, size_t i, const char *w)
{
	size_t k = strlen(w);

	return n - i >= k && memcmp(l + i, w, k) == 0;
}

/* time's nextStdChunk. */
static struct chunk
next_std(const char *l, size_t n)
{
	static const enum stdfmt std0x[] = {
		STD_ZERO_MONTH, STD_ZERO_DAY, STD_ZERO_HOUR12, STD_ZERO_MINUTE, STD_ZERO_SECOND, STD_YEAR,
	};
	struct chunk c = { n, STD_NONE, 0, 0, 0 };

	for (size_t i = 0; i < n; i++) {
		c.prefix = i;
		switch (l[i]) {
		case 'J':
			if (has_at(l, n, i, "Jan")) {
				if (has_at(l, n, i, "January")) {
					c.std = STD_LONG_MONTH;
					c.len = 7;
					return c;
				}
				if (!lower_at(l, n, i + 3)) {
					c.std = STD_MONTH;
					c.len = 3;
					return c;
				}
			}
			break;
		case 'M':
			if (has_at(l, n, i, "Mon")) {
				if (has_at(l, n, i, "Monday")) {
					c.std = STD_LONG_WEEKDAY;
					c.len = 6;
					return c;
				}
				if (!lower_at(l, n, i + 3)) {
					c.std = STD_WEEKDAY;
					c.len = 3;
					return c;
				}
			}
			if (has_at(l, n, i, "MST")) {
				c.std = STD_TZ;
				c.len = 3;
				return c;
			}
			break;
		case '0':
			if (i + 1 < n && l[i + 1] >= '1' && l[i + 1] <= '6') {
				c.std = std0x[l[i + 1] - '1'];
				c.len = 2;
				return c;
			}
			if (has_at(l, n, i, "002")) {
				c.std = STD_ZERO_YEARDAY;
				c.len = 3;
				return c;
			}
			break;
		case '1':
			c.std = i + 1 < n && l[i + 1] == '5' ? STD_HOUR : STD_NUM_MONTH;
			c.len = c.std == STD_HOUR ? 2 : 1;
			return c;
		case '2':
			if (has_at(l, n, i, "2006")) {
				c.std = STD_LONG_YEAR;
				c.len = 4;
				return c;
			}
			c.std = STD_DAY;
			c.len = 1;
			return c;
		case '_':
			if (i + 1 < n && l[i + 1] == '2') {
				if (has_at(l, n, i + 1, "2006")) {
					c.prefix = i + 1;
					c.std = STD_LONG_YEAR;
					c.len = 4;
					return c;
				}
				c.std = STD_UNDER_DAY;
				c.len = 2;
				return c;
			}
			if (has_at(l, n, i, "__2")) {
				c.std = STD_UNDER_YEARDAY;
				c.len = 3;
				return c;
			}
			break;
		case '3':
			c.std = STD_HOUR12;
			c.len = 1;
			return c;
		case '4':
			c.std = STD_MINUTE;
			c.len = 1;
			return c;
		case '5':
			c.std = STD_SECOND;
			c.len = 1;
			return c;
		case 'P':
			if (i + 1 < n && l[i + 1] == 'M') {
				c.std = STD_PM;
				c.len = 2;
				return c;
			}
			break;
		case 'p':
			if (i + 1 < n && l[i + 1] == 'm') {
				c.std = STD_PM_LOWER;
				c.len = 2;
				return c;
			}
			break;
		case '-':
		case 'Z': {
			static const struct { const char *w; enum stdfmt num, iso; } tz[] = {
				{ "070000", STD_NUM_SECONDS_TZ, STD_ISO_SECONDS_TZ },
				{ "07:00:00", STD_NUM_COLON_SECONDS_TZ, STD_ISO_COLON_SECONDS_TZ },
				{ "0700", STD_NUM_TZ, STD_ISO_TZ },
				{ "07:00", STD_NUM_COLON_TZ, STD_ISO_COLON_TZ },
				{ "07", STD_NUM_SHORT_TZ, STD_ISO_SHORT_TZ },
			};

			for (size_t k = 0; k < sizeof(tz) / sizeof(tz[0]); k++)
				if (has_at(l, n, i + 1, tz[k].w)) {
					c.std = l[i] == '-' ? tz[k].num : tz[k].iso;
					c.len = 1 + strlen(tz[k].w);
					return c;
				}
			break;
		}
		case '.':
		case ',':
			if (i + 1 < n && (l[i + 1] == '0' || l[i + 1] == '9')) {
				char ch = l[i + 1];
				size_t j = i + 1;

				while (j < n && l[j] == ch)
					j++;
				if (!is_digit_at(l, n, j)) {
					c.std = ch == '0' ? STD_FRAC0 : STD_FRAC9;
					c.len = j - i;
					c.digits = (int)(j - (i + 1));
					c.sep = l[i];
					return c;
				}
			}
			break;
		}
	}
	c.prefix = n;
	return c;
}

static void
append_int(struct sbuf *b, long long x, int width)
{
	if (x < 0) {
		sb_putc(b, '-');
		x = -x;
	}
	sb_printf(b, "%0*lld", width, x);
}

/* t.Format(layout). */
static void
time_format(struct sbuf *b, const char *l, size_t n, const struct gtime *t)
{
	long long local = t->sec + t->offset, days, year;
	long long sod;
	unsigned month, day;
	int hour, min, sec, wday, yday;

	days = local >= 0 ? local / 86400 : -((-local + 86399) / 86400);
	sod = local - days * 86400;
	civil_from_days(days, &year, &month, &day);
	hour = (int)(sod / 3600);
	min = (int)(sod / 60 % 60);
	sec = (int)(sod % 60);
	wday = (int)(((days % 7) + 11) % 7); /* 1970-01-01 was a Thursday */
	yday = (int)(days - days_from_civil(year, 1, 1)) + 1;
	while (n > 0) {
		struct chunk c = next_std(l, n);

		sb_put(b, l, c.prefix);
		if (c.std == STD_NONE)
			break;
		switch (c.std) {
		case STD_YEAR: append_int(b, (year < 0 ? -year : year) % 100, 2); break;
		case STD_LONG_YEAR: append_int(b, year, 4); break;
		case STD_MONTH: sb_put(b, month_names[month - 1], 3); break;
		case STD_LONG_MONTH: sb_puts(b, month_names[month - 1]); break;
		case STD_NUM_MONTH: append_int(b, month, 0); break;
		case STD_ZERO_MONTH: append_int(b, month, 2); break;
		case STD_WEEKDAY: sb_put(b, day_names[wday], 3); break;
		case STD_LONG_WEEKDAY: sb_puts(b, day_names[wday]); break;
		case STD_DAY: append_int(b, day, 0); break;
		case STD_UNDER_DAY:
			if (day < 10)
				sb_putc(b, ' ');
			append_int(b, day, 0);
			break;
		case STD_ZERO_DAY: append_int(b, day, 2); break;
		case STD_UNDER_YEARDAY:
			if (yday < 100) {
				sb_putc(b, ' ');
				if (yday < 10)
					sb_putc(b, ' ');
			}
			append_int(b, yday, 0);
			break;
		case STD_ZERO_YEARDAY: append_int(b, yday, 3); break;
		case STD_HOUR: append_int(b, hour, 2); break;
		case STD_HOUR12: append_int(b, hour % 12 == 0 ? 12 : hour % 12, 0); break;
		case STD_ZERO_HOUR12: append_int(b, hour % 12 == 0 ? 12 : hour % 12, 2); break;
		case STD_MINUTE: append_int(b, min, 0); break;
		case STD_ZERO_MINUTE: append_int(b, min, 2); break;
		case STD_SECOND: append_int(b, sec, 0); break;
		case STD_ZERO_SECOND: append_int(b, sec, 2); break;
		case STD_PM: sb_puts(b, hour >= 12 ? "PM" : "AM"); break;
		case STD_PM_LOWER: sb_puts(b, hour >= 12 ? "pm" : "am"); break;
		case STD_TZ:
			if (t->utc) {
				sb_puts(b, "UTC");
			} else {
				int zone = t->offset / 60;

				sb_putc(b, zone < 0 ? '-' : '+');
				if (zone < 0)
					zone = -zone;
				append_int(b, zone / 60, 2);
				append_int(b, zone % 60, 2);
			}
			break;
		case STD_FRAC0:
		case STD_FRAC9: {
			char digs[16];
			int nd = c.digits > 9 ? 9 : c.digits;

			if (c.std == STD_FRAC9 && (nd == 0 || t->nsec == 0))
				break;
			snprintf(digs, sizeof(digs), "%09d", t->nsec);
			if (c.std == STD_FRAC9)
				while (nd > 0 && digs[nd - 1] == '0')
					nd--;
			if (c.std == STD_FRAC9 && nd == 0)
				break;
			sb_putc(b, c.sep);
			sb_put(b, digs, (size_t)nd);
			break;
		}
		default: {
			/* The numeric zones; the ISO 8601 ones write Z for UTC. */
			bool iso = c.std >= STD_ISO_TZ && c.std <= STD_ISO_COLON_SECONDS_TZ;
			bool colon = c.std == STD_ISO_COLON_TZ || c.std == STD_NUM_COLON_TZ ||
			    c.std == STD_ISO_COLON_SECONDS_TZ || c.std == STD_NUM_COLON_SECONDS_TZ;
			bool secs = c.std == STD_ISO_SECONDS_TZ || c.std == STD_NUM_SECONDS_TZ ||
			    c.std == STD_ISO_COLON_SECONDS_TZ || c.std == STD_NUM_COLON_SECONDS_TZ;
			bool shrt = c.std == STD_ISO_SHORT_TZ || c.std == STD_NUM_SHORT_TZ;
			int zone = t->offset / 60, abs = t->offset;

			if (iso && t->offset == 0) {
				sb_putc(b, 'Z');
				break;
			}
			if (zone < 0) {
				sb_putc(b, '-');
				zone = -zone;
				abs = -abs;
			} else
				sb_putc(b, '+');
			append_int(b, zone / 60, 2);
			if (colon)
				sb_putc(b, ':');
			if (!shrt)
				append_int(b, zone % 60, 2);
			if (secs) {
				if (colon)
					sb_putc(b, ':');
				append_int(b, abs % 60, 2);
			}
			break;
		}
		}
		l += c.prefix + c.len;
		n -= c.prefix + c.len;
	}
}

/* gh's timeAgo of now - t. */
static void
time_ago(struct sbuf *b, long long now, const struct gtime *t)
{
	const long long minute = 60000000000LL, hour = 60 * minute;
	long long dsec = now - t->sec, ns, n;
	const char *unit;

	if (dsec > 9223372035LL)
		ns = LLONG_MAX;
	else if (dsec < -9223372035LL)
		ns = LLONG_MIN;
	else
		ns = dsec * 1000000000LL - t->nsec;
	if (ns < minute) {
		sb_puts(b, "just now");
		return;
	}
	if (ns < hour) {
		n = ns / minute;
		unit = "minute";
	} else if (ns < 24 * hour) {
		n = ns / hour;
		unit = "hour";
	} else if (ns < 30 * 24 * hour) {
		n = ns / hour / 24;
		unit = "day";
	} else if (ns < 365 * 24 * hour) {
		n = ns / hour / 24 / 30;
		unit = "month";
	} else {
		double hours = (double)(ns / hour) + (double)(ns % hour) / 3.6e12;

		n = (long long)(hours / 24 / 365);
		unit = "year";
	}
	sb_printf(b, "%lld %s%s ago", n, unit, n == 1 ? "" : "s");
}

/* -------------------------------------------------------------- evaluation */

static struct val eval_pipeline(struct state *s, struct val dot, const struct node *pipe);
static struct val eval_arg(struct state *s, struct val dot, int typ, const struct node *n);

static const char *
node_str(struct state *s, const struct node *n)
{
	struct sbuf b;

	sb_init(&b, &s->a);
	node_write(&b, n);
	return sb_str(&b);
}

static void
push_var(struct state *s, struct str name, struct val v)
{
	s->vars = arena_grow(&s->a, s->vars, s->nvars, &s->capvars, sizeof(*s->vars));
	s->vars[s->nvars].name = name;
	s->vars[s->nvars].v = v;
	s->nvars++;
}

static struct var *
find_var(struct state *s, struct str name)
{
	for (size_t i = s->nvars; i-- > 0;)
		if (s->vars[i].name.n == name.n && memcmp(s->vars[i].name.p, name.p, name.n) == 0)
			return &s->vars[i];
	x_errorf(s, "undefined variable: %.*s", (int)name.n, name.p);
}

static void
not_a_function(struct state *s, struct node *const *args, size_t nargs, struct val final)
{
	if (nargs > 1 || final.t != VT_MISSING)
		x_errorf(s, "can't give argument to non-function %s", node_str(s, args[0]));
}

/* Go's idealConstant: a number where no type is known is an int, or a float64 when written as one. */
static struct val
ideal_constant(struct state *s, const struct node *n)
{
	const char *t = n->text.p;
	size_t len = n->text.n;
	bool hex_int = len > 2 && t[0] == '0' && (t[1] == 'x' || t[1] == 'X') &&
	    memchr(t, 'p', len) == NULL && memchr(t, 'P', len) == NULL;
	bool floaty = false;

	x_at(s, n);
	for (size_t i = 0; i < len; i++)
		if (strchr(".eEpP", t[i]) != NULL)
			floaty = true;
	if (n->is_float && !hex_int && !n->is_char && floaty)
		return v_float(n->f);
	if (n->is_int)
		return v_int(n->i);
	if (n->is_uint)
		x_errorf(s, "%.*s overflows int", (int)len, t);
	return v_make(VT_INVALID);
}

static bool
pty_match(const struct val *v, int typ)
{
	switch (typ) {
	case P_STRING: return v->t == VT_STRING;
	case P_INT: return v->t == VT_INT;
	case P_SLICE: return v->t == VT_SLICE;
	default: return true;
	}
}

/* Go's validateType: the value as an argument of the parameter type. */
static struct val
validate_type(struct state *s, struct val v, int typ)
{
	if (typ < 0 || typ == P_VALUE)
		return v;
	if (v.t == VT_INVALID) {
		if (typ == P_ANY)
			return v;
		if (typ == P_SLICE) {
			struct val e = v_make(VT_SLICE);

			return e;
		}
		x_errorf(s, "invalid value; expected %s", pty_name((enum pty)typ));
	}
	if (typ == P_ANY)
		return v;
	if (v.iface || !pty_match(&v, typ)) {
		if (v.iface && v.t != VT_NIL) {
			v = v_unwrap(v);
			if (pty_match(&v, typ))
				return v;
		}
		x_errorf(s, "wrong type for value; expected %s; got %s", pty_name((enum pty)typ),
		    v_type(&v));
	}
	return v;
}

/* Go's evalField: .name of the receiver. */
static struct val
eval_field(struct state *s, struct str name, size_t nargs, struct val final, struct val recv)
{
	const json_t *j;
	const char *typ;

	if (recv.t == VT_INVALID)
		return recv;
	typ = v_type(&recv);
	if (recv.iface && recv.t == VT_NIL)
		x_errorf(s, "nil pointer evaluating %s.%.*s", typ, (int)name.n, name.p);
	if (recv.t == VT_MAP) {
		if (nargs > 1 || final.t != VT_MISSING)
			x_errorf(s, "%.*s is not a method but has arguments", (int)name.n, name.p);
		j = json_object_getn(recv.u.m, name.p, name.n);
		return j == NULL ? v_make(VT_INVALID) : v_json(j, true);
	}
	x_errorf(s, "can't evaluate field %.*s in type %s", (int)name.n, name.p, typ);
}

static struct val
eval_field_chain(struct state *s, struct val recv, const struct str *ident, size_t nident,
    size_t nargs, struct val final)
{
	for (size_t i = 0; i + 1 < nident; i++)
		recv = eval_field(s, ident[i], 0, v_make(VT_MISSING), recv);
	return eval_field(s, ident[nident - 1], nargs, final, recv);
}

static struct val
eval_field_node(struct state *s, struct val dot, const struct node *n, size_t nargs,
    struct val final)
{
	x_at(s, n);
	return eval_field_chain(s, dot, n->ident, n->nident, nargs, final);
}

static struct val
eval_chain_node(struct state *s, struct val dot, const struct node *n, size_t nargs,
    struct val final)
{
	struct val recv;

	x_at(s, n);
	if (n->pipe->type == N_NIL)
		x_errorf(s, "indirection through explicit nil in %s", node_str(s, n));
	recv = eval_arg(s, dot, -1, n->pipe);
	return eval_field_chain(s, recv, n->ident, n->nident, nargs, final);
}

static struct val
eval_variable_node(struct state *s, const struct node *n, struct node *const *args, size_t nargs,
    struct val final)
{
	struct val v;

	x_at(s, n);
	v = find_var(s, n->ident[0])->v;
	if (n->nident == 1) {
		not_a_function(s, args, nargs, final);
		return v;
	}
	return eval_field_chain(s, v, n->ident + 1, n->nident - 1, nargs, final);
}

static bool call_builtin(struct state *s, const struct builtin *fn, struct node *const *args,
    size_t nargs, struct val *argv, size_t argc, struct val *res);

static struct val
eval_call(struct state *s, struct val dot, const struct builtin *fn, const struct node *node,
    struct node *const *args, size_t nargs, struct val final)
{
	struct node *const *a = args != NULL ? args + 1 : NULL;
	size_t na = args != NULL ? nargs - 1 : 0;
	size_t numin = na + (final.t != VT_MISSING), numfixed = na, i;
	struct val *argv, res;

	if (fn->variadic) {
		numfixed = (size_t)fn->nin - 1;
		if (numin < numfixed)
			x_errorf(s, "wrong number of args for %s: want at least %d got %zu", fn->name,
			    fn->nin - 1, na);
	} else if (numin != (size_t)fn->nin)
		x_errorf(s, "wrong number of args for %s: want %d got %zu", fn->name, fn->nin, numin);
	if (fn->id == F_AND || fn->id == F_OR) {
		struct val v = v_make(VT_INVALID);

		for (i = 0; i < na; i++) {
			v = eval_arg(s, dot, P_VALUE, a[i]);
			if (v_truth(v) == (fn->id == F_OR))
				return v;
		}
		if (final.t != VT_MISSING)
			v = final;
		return v;
	}
	argv = arena_alloc(&s->a, (numin + 1) * sizeof(*argv));
	for (i = 0; i < numfixed && i < na; i++)
		argv[i] = eval_arg(s, dot, fn->in[i], a[i]);
	for (; fn->variadic && i < na; i++)
		argv[i] = eval_arg(s, dot, fn->in[fn->nin - 1], a[i]);
	if (final.t != VT_MISSING) {
		enum pty t = fn->in[fn->nin - 1];

		if (fn->variadic && numin - 1 < numfixed)
			t = fn->in[numin - 1];
		argv[i] = validate_type(s, final, t);
	}
	s->ferr[0] = '\0';
	if (!call_builtin(s, fn, a, na, argv, numin, &res)) {
		x_at(s, node);
		x_errorf(s, "error calling %s: %s", fn->name, s->ferr);
	}
	return res;
}

static struct val
eval_function(struct state *s, struct val dot, const struct node *ident, const struct node *cmd,
    struct node *const *args, size_t nargs, struct val final)
{
	x_at(s, ident);
	return eval_call(s, dot, &builtins[ident->fn], cmd, args, nargs, final);
}

static struct val
eval_arg(struct state *s, struct val dot, int typ, const struct node *n)
{
	x_at(s, n);
	switch (n->type) {
	case N_DOT:
		return validate_type(s, dot, typ);
	case N_NIL:
		if (typ == P_ANY || typ == P_VALUE)
			return v_make(VT_INVALID);
		if (typ == P_SLICE)
			return v_make(VT_SLICE);
		x_errorf(s, "cannot assign nil to %s", pty_name((enum pty)typ));
	case N_FIELD:
		return validate_type(s, eval_field_node(s, dot, n, 1, v_make(VT_MISSING)), typ);
	case N_VAR:
		return validate_type(s, eval_variable_node(s, n, NULL, 0, v_make(VT_MISSING)), typ);
	case N_PIPE:
		return validate_type(s, eval_pipeline(s, dot, n), typ);
	case N_IDENT:
		return validate_type(s, eval_function(s, dot, n, n, NULL, 0, v_make(VT_MISSING)), typ);
	case N_CHAIN:
		return validate_type(s, eval_chain_node(s, dot, n, 0, v_make(VT_MISSING)), typ);
	default:
		break;
	}
	switch (typ) {
	case P_STRING:
		if (n->type == N_STRING)
			return v_str(n->text.p, n->text.n);
		x_errorf(s, "expected string; found %s", node_str(s, n));
	case P_INT:
		if (n->type == N_NUMBER && n->is_int)
			return v_int(n->i);
		x_errorf(s, "expected integer; found %s", node_str(s, n));
	case P_ANY:
	case P_VALUE:
		if (n->type == N_BOOL)
			return v_bool(n->b);
		if (n->type == N_NUMBER)
			return ideal_constant(s, n);
		if (n->type == N_STRING)
			return v_str(n->text.p, n->text.n);
		break;
	default:
		break;
	}
	x_errorf(s, "can't handle %s for arg of type %s", node_str(s, n),
	    typ < 0 ? "<nil>" : pty_name((enum pty)typ));
}

static struct val
eval_command(struct state *s, struct val dot, const struct node *cmd, struct val final)
{
	const struct node *first = cmd->kids[0];

	switch (first->type) {
	case N_FIELD:
		return eval_field_node(s, dot, first, cmd->nkids, final);
	case N_CHAIN:
		return eval_chain_node(s, dot, first, cmd->nkids, final);
	case N_IDENT:
		return eval_function(s, dot, first, cmd, cmd->kids, cmd->nkids, final);
	case N_PIPE:
		not_a_function(s, cmd->kids, cmd->nkids, final);
		return eval_pipeline(s, dot, first);
	case N_VAR:
		return eval_variable_node(s, first, cmd->kids, cmd->nkids, final);
	default:
		break;
	}
	x_at(s, first);
	not_a_function(s, cmd->kids, cmd->nkids, final);
	switch (first->type) {
	case N_BOOL:
		return v_bool(first->b);
	case N_DOT:
		return dot;
	case N_NIL:
		x_errorf(s, "nil is not a command");
	case N_NUMBER:
		return ideal_constant(s, first);
	case N_STRING:
		return v_str(first->text.p, first->text.n);
	default:
		x_errorf(s, "can't evaluate command %s", node_str(s, first));
	}
}

static struct val
eval_pipeline(struct state *s, struct val dot, const struct node *pipe)
{
	struct val v = v_make(VT_MISSING);
	size_t i;

	if (pipe == NULL)
		return v_make(VT_INVALID);
	x_at(s, pipe);
	for (i = 0; i < pipe->nkids; i++)
		v = v_unwrap(eval_command(s, dot, pipe->kids[i], v));
	for (i = 0; i < pipe->ndecl; i++) {
		if (pipe->is_assign)
			find_var(s, pipe->decl[i]->ident[0])->v = v;
		else
			push_var(s, pipe->decl[i]->ident[0], v);
	}
	return v;
}

/* ---------------------------------------------------------------- builtins */

enum { K_INVALID, K_BOOL, K_INT, K_FLOAT, K_STRING };

static int
basic_kind(const struct val *v)
{
	switch (v->t) {
	case VT_BOOL: return K_BOOL;
	case VT_INT: return K_INT;
	case VT_FLOAT: return K_FLOAT;
	case VT_STRING: return K_STRING;
	default: return K_INVALID;
	}
}

static int
str_cmp(struct str a, struct str b)
{
	int c = memcmp(a.p, b.p, a.n < b.n ? a.n : b.n);

	if (c != 0)
		return c;
	return a.n < b.n ? -1 : a.n > b.n;
}

static const char *
v_sprint_verb(struct state *s, struct val v, long verb)
{
	struct sbuf b;
	struct fmtf f;

	memset(&f, 0, sizeof(f));
	sb_init(&b, &s->a);
	fmt_arg(s, &b, &f, v, verb);
	return sb_str(&b);
}

static bool
fn_eq(struct state *s, const struct val *argv, size_t argc, bool *res)
{
	struct val a1 = v_unwrap(argv[0]);
	int k1 = basic_kind(&a1);

	*res = false;
	if (argc < 2)
		return fn_fail(s, "missing argument for comparison");
	for (size_t k = 1; k < argc; k++) {
		struct val a = v_unwrap(argv[k]);
		int k2 = basic_kind(&a);
		bool truth = false;

		if (k1 != k2) {
			if (a1.t != VT_INVALID && a.t != VT_INVALID)
				return fn_fail(s, "incompatible types for comparison: %s and %s", v_type(&a1),
				    v_type(&a));
		} else {
			switch (k1) {
			case K_BOOL: truth = a1.u.b == a.u.b; break;
			case K_INT: truth = a1.u.i == a.u.i; break;
			case K_FLOAT: truth = a1.u.f == a.u.f; break;
			case K_STRING: truth = str_cmp(a1.u.s, a.u.s) == 0; break;
			default:
				if (a1.t != a.t && a1.t != VT_INVALID && a.t != VT_INVALID)
					return fn_fail(s, "non-comparable types %s: %s, %s: %s",
					    v_sprint_verb(s, a1, 's'), v_type(&a1), v_type(&a), v_sprint(s, a));
				if (a1.t == VT_INVALID || a.t == VT_INVALID)
					truth = (a1.t == VT_INVALID) == (a.t == VT_INVALID);
				else
					return fn_fail(s, "non-comparable type %s: %s", v_sprint_verb(s, a, 's'),
					    v_type(&a));
			}
		}
		if (truth) {
			*res = true;
			return true;
		}
	}
	return true;
}

static bool
fn_lt(struct state *s, const struct val *argv, bool *res)
{
	struct val a = v_unwrap(argv[0]), b = v_unwrap(argv[1]);
	int k1 = basic_kind(&a), k2 = basic_kind(&b);

	*res = false;
	if (k1 == K_INVALID || k2 == K_INVALID)
		return fn_fail(s, "invalid type for comparison");
	if (k1 != k2)
		return fn_fail(s, "incompatible types for comparison: %s and %s", v_type(&a), v_type(&b));
	switch (k1) {
	case K_INT: *res = a.u.i < b.u.i; break;
	case K_FLOAT: *res = a.u.f < b.u.f; break;
	case K_STRING: *res = str_cmp(a.u.s, b.u.s) < 0; break;
	default: return fn_fail(s, "invalid type for comparison");
	}
	return true;
}

/* indexArg: an int index within cap. */
static bool
index_arg(struct state *s, struct val ix, size_t cap, size_t *out)
{
	ix = v_unwrap(ix);
	if (ix.t == VT_INVALID)
		return fn_fail(s, "cannot index slice/array with nil");
	if (ix.t != VT_INT)
		return fn_fail(s, "cannot index slice/array with type %s", v_type(&ix));
	if (ix.u.i < 0 || (unsigned long long)ix.u.i > cap)
		return fn_fail(s, "index out of range: %lld", ix.u.i);
	*out = (size_t)ix.u.i;
	return true;
}

static bool
fn_index(struct state *s, const struct val *argv, size_t argc, struct val *res)
{
	struct val item = v_unwrap(argv[0]);

	if (item.t == VT_INVALID)
		return fn_fail(s, "index of untyped nil");
	for (size_t k = 1; k < argc; k++) {
		struct val ix = v_unwrap(argv[k]);
		size_t x;

		if (item.iface && item.t == VT_NIL)
			return fn_fail(s, "index of nil pointer");
		item = v_unwrap(item);
		switch (item.t) {
		case VT_SLICE:
		case VT_STRING:
			if (!index_arg(s, ix, v_len(&item), &x))
				return false;
			if (x == v_len(&item))
				return fn_fail(s, "reflect: %s index out of range",
				    item.t == VT_SLICE ? "slice" : "string");
			item = item.t == VT_SLICE ? v_index(&item, x) : v_int((unsigned char)item.u.s.p[x]);
			break;
		case VT_MAP: {
			const json_t *j;

			if (ix.t == VT_INVALID)
				return fn_fail(s, "value is nil; should be of type string");
			if (ix.t != VT_STRING)
				return fn_fail(s, "value has type %s; should be string", v_type(&ix));
			j = json_object_getn(item.u.m, ix.u.s.p, ix.u.s.n);
			if (j != NULL)
				item = v_json(j, true);
			else {
				item = v_make(VT_NIL);
				item.iface = true;
			}
			break;
		}
		default:
			return fn_fail(s, "can't index item of type %s", v_type(&item));
		}
	}
	*res = item;
	return true;
}

static bool
fn_slice(struct state *s, const struct val *argv, size_t argc, struct val *res)
{
	struct val item = v_unwrap(argv[0]);
	size_t idx[3], len, k;

	if (item.t == VT_INVALID)
		return fn_fail(s, "slice of untyped nil");
	if (argc - 1 > 3)
		return fn_fail(s, "too many slice indexes: %zu", argc - 1);
	if (item.t == VT_STRING) {
		if (argc - 1 == 3)
			return fn_fail(s, "cannot 3-index slice a string");
	} else if (item.t != VT_SLICE)
		return fn_fail(s, "can't slice item of type %s", v_type(&item));
	len = v_len(&item);
	idx[0] = 0;
	idx[1] = len;
	idx[2] = len;
	for (k = 1; k < argc; k++)
		if (!index_arg(s, argv[k], len, &idx[k - 1]))
			return false;
	if (idx[0] > idx[1])
		return fn_fail(s, "invalid slice index: %zu > %zu", idx[0], idx[1]);
	if (argc - 1 == 3 && idx[1] > idx[2])
		return fn_fail(s, "invalid slice index: %zu > %zu", idx[1], idx[2]);
	*res = item;
	if (item.t == VT_STRING) {
		res->u.s.p = item.u.s.p + idx[0];
		res->u.s.n = idx[1] - idx[0];
	} else {
		res->u.a.off = item.u.a.off + idx[0];
		res->u.a.n = idx[1] - idx[0];
	}
	return true;
}

/* evalArgs: the textual form of the arguments, for html, js and urlquery. */
static struct str
eval_args(struct state *s, const struct val *argv, size_t argc)
{
	struct sbuf b;
	struct val *args;
	struct str out;

	if (argc == 1) {
		struct val v = v_unwrap(argv[0]);

		if (v.t == VT_STRING)
			return v.u.s;
	}
	args = arena_alloc(&s->a, (argc + 1) * sizeof(*args));
	for (size_t i = 0; i < argc; i++) {
		args[i] = v_unwrap(argv[i]);
		if (args[i].t == VT_INVALID)
			args[i] = v_str("<no value>", 10);
	}
	sb_init(&b, &s->a);
	go_sprint(s, &b, args, argc, false);
	out.p = sb_str(&b);
	out.n = b.n;
	return out;
}

static void
html_escape(struct sbuf *b, struct str in)
{
	for (size_t i = 0; i < in.n; i++)
		switch (in.p[i]) {
		case '\0': sb_puts(b, "\xef\xbf\xbd"); break;
		case '"': sb_puts(b, "&#34;"); break;
		case '\'': sb_puts(b, "&#39;"); break;
		case '&': sb_puts(b, "&amp;"); break;
		case '<': sb_puts(b, "&lt;"); break;
		case '>': sb_puts(b, "&gt;"); break;
		default: sb_putc(b, in.p[i]);
		}
}

static void
js_escape(struct sbuf *b, struct str in)
{
	size_t i = 0;

	while (i < in.n) {
		unsigned char c = (unsigned char)in.p[i];

		if (c < 0x80) {
			switch (c) {
			case '\\': sb_puts(b, "\\\\"); break;
			case '\'': sb_puts(b, "\\'"); break;
			case '"': sb_puts(b, "\\\""); break;
			case '<': sb_puts(b, "\\u003C"); break;
			case '>': sb_puts(b, "\\u003E"); break;
			case '&': sb_puts(b, "\\u0026"); break;
			case '=': sb_puts(b, "\\u003D"); break;
			default:
				if (c < ' ')
					sb_printf(b, "\\u00%02X", c);
				else
					sb_putc(b, (char)c);
			}
			i++;
		} else {
			long r;
			size_t w = utf8_decode(in.p + i, in.n - i, &r);

			if (rune_printable(r))
				sb_put(b, in.p + i, w);
			else
				sb_printf(b, "\\u%04lX", r);
			i += w;
		}
	}
}

static void
url_query_escape(struct sbuf *b, struct str in)
{
	for (size_t i = 0; i < in.n; i++) {
		unsigned char c = (unsigned char)in.p[i];

		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		    c == '-' || c == '_' || c == '.' || c == '~')
			sb_putc(b, (char)c);
		else if (c == ' ')
			sb_putc(b, '+');
		else
			sb_printf(b, "%%%02X", c);
	}
}

static struct val
v_sbuf(struct sbuf *b)
{
	return v_str(sb_str(b), b->n);
}

static bool
call_builtin(struct state *s, const struct builtin *fn, struct node *const *args,
    size_t nargs, struct val *argv, size_t argc, struct val *res)
{
	struct sbuf b;
	bool truth;
	struct str str;
	struct gtime t;
	size_t i;

	sb_init(&b, &s->a);
	*res = v_make(VT_INVALID);
	switch (fn->id) {
	case F_AND:
	case F_OR:
		break;
	case F_NOT:
		*res = v_bool(!v_truth(argv[0]));
		return true;
	case F_LEN: {
		struct val v = argv[0];

		if (v.iface && v.t == VT_NIL)
			return fn_fail(s, "len of nil pointer");
		if (v.t == VT_INVALID)
			return fn_fail(s, "reflect: call of reflect.Value.Type on zero Value");
		v = v_unwrap(v);
		if (v.t != VT_STRING && v.t != VT_MAP && v.t != VT_SLICE)
			return fn_fail(s, "len of type %s", v_type(&v));
		*res = v_int((long long)v_len(&v));
		return true;
	}
	case F_INDEX:
		return fn_index(s, argv, argc, res);
	case F_SLICE:
		return fn_slice(s, argv, argc, res);
	case F_PRINT:
	case F_PRINTLN:
		go_sprint(s, &b, argv, argc, fn->id == F_PRINTLN);
		*res = v_sbuf(&b);
		return true;
	case F_PRINTF:
		go_sprintf(s, &b, argv[0].u.s.p, argv[0].u.s.n, argv + 1, argc - 1);
		*res = v_sbuf(&b);
		return true;
	case F_EQ:
		if (!fn_eq(s, argv, argc, &truth))
			return false;
		*res = v_bool(truth);
		return true;
	case F_NE:
		if (!fn_eq(s, argv, 2, &truth))
			return false;
		*res = v_bool(!truth);
		return true;
	case F_LT:
	case F_GE:
		if (!fn_lt(s, argv, &truth))
			return false;
		*res = v_bool(fn->id == F_LT ? truth : !truth);
		return true;
	case F_LE:
	case F_GT:
		if (!fn_lt(s, argv, &truth))
			return false;
		if (!truth && !fn_eq(s, argv, 2, &truth))
			return false;
		*res = v_bool(fn->id == F_LE ? truth : !truth);
		return true;
	case F_HTML:
		html_escape(&b, eval_args(s, argv, argc));
		*res = v_sbuf(&b);
		return true;
	case F_JS:
		js_escape(&b, eval_args(s, argv, argc));
		*res = v_sbuf(&b);
		return true;
	case F_URLQUERY:
		url_query_escape(&b, eval_args(s, argv, argc));
		*res = v_sbuf(&b);
		return true;
	case F_CALL: {
		struct val f = v_unwrap(argv[0]);
		const char *name;

		/* The callee is named by its node, or by reflect.Value.String() when piped in. */
		if (nargs > 0)
			name = node_str(s, args[0]);
		else if (f.t == VT_STRING)
			name = arena_strndup(&s->a, f.u.s.p, f.u.s.n);
		else if (f.t == VT_INVALID)
			name = "<invalid Value>";
		else {
			sb_printf(&b, "<%s Value>", v_type(&f));
			name = sb_str(&b);
		}
		if (f.t == VT_INVALID)
			return fn_fail(s, "call of nil");
		return fn_fail(s, "non-function %s of type %s", name, v_type(&f));
	}
	case F_AUTOCOLOR:
	case F_COLOR:
		if (!json_scalar(s, argv[1], &str))
			return false;
		if (fn->id == F_AUTOCOLOR && !s->tty) {
			*res = v_str(str.p, str.n);
			return true;
		}
		ansi_color(&b, argv[0].u.s.p, argv[0].u.s.n, str.p, str.n);
		*res = v_sbuf(&b);
		return true;
	case F_HYPERLINK: {
		struct str text = argv[1].u.s.n > 0 ? argv[1].u.s : argv[0].u.s;

		sb_puts(&b, "\033]8;;");
		sb_put(&b, argv[0].u.s.p, argv[0].u.s.n);
		sb_puts(&b, "\033\\");
		sb_put(&b, text.p, text.n);
		sb_puts(&b, "\033]8;;\033\\");
		*res = v_sbuf(&b);
		return true;
	}
	case F_JOIN:
		sb_puts(&b, "");
		for (i = 0; i < argv[1].u.a.n; i++) {
			if (!json_scalar(s, v_index(&argv[1], i), &str))
				return false;
			if (i > 0)
				sb_put(&b, argv[0].u.s.p, argv[0].u.s.n);
			sb_put(&b, str.p, str.n);
		}
		*res = v_sbuf(&b);
		return true;
	case F_PLUCK: {
		size_t n = argv[1].u.a.n;
		struct val *items = arena_alloc(&s->a, (n + 1) * sizeof(*items));

		for (i = 0; i < n; i++) {
			struct val e = v_unwrap(v_index(&argv[1], i));
			const json_t *j;

			if (e.t != VT_MAP)
				return fn_fail(s, "interface conversion: interface {} is %s, not "
				    "map[string]interface {}", e.t == VT_INVALID ? "nil" : v_type(&e));
			j = json_object_getn(e.u.m, argv[0].u.s.p, argv[0].u.s.n);
			if (j != NULL)
				items[i] = v_json(j, true);
			else {
				items[i] = v_make(VT_NIL);
				items[i].iface = true;
			}
		}
		*res = v_make(VT_SLICE);
		res->u.a.items = items;
		res->u.a.n = n;
		return true;
	}
	case F_TABLERENDER:
		if (!table_render(s))
			return false;
		*res = v_str("", 0);
		return true;
	case F_TABLEROW:
		for (i = 0; i < argc; i++) {
			if (!json_scalar(s, argv[i], &str)) {
				char why[sizeof(s->ferr)];

				memcpy(why, s->ferr, sizeof(why));
				return fn_fail(s, "failed to write table row: %s", why);
			}
			table_add(s, str);
		}
		table_new_row(s);
		*res = v_str("", 0);
		return true;
	case F_TIMEAGO:
		if (!time_parse(s, argv[0].u.s.p, argv[0].u.s.n, &t))
			return false;
		time_ago(&b, s->now, &t);
		*res = v_sbuf(&b);
		return true;
	case F_TIMEFMT:
		if (!time_parse(s, argv[1].u.s.p, argv[1].u.s.n, &t))
			return false;
		sb_puts(&b, "");
		time_format(&b, argv[0].u.s.p, argv[0].u.s.n, &t);
		*res = v_sbuf(&b);
		return true;
	case F_TRUNCATE: {
		struct val v = v_unwrap(argv[1]);

		if (v.t == VT_INVALID) {
			*res = v_str("", 0);
			return true;
		}
		if (v.t != VT_STRING)
			return fn_fail(s, "invalid value; expected string, got %s", v_type(&v));
		sb_puts(&b, "");
		text_truncate(&b, argv[0].u.i, v.u.s.p, v.u.s.n);
		*res = v_sbuf(&b);
		return true;
	}
	}
	/* Every id in the function table has a case above. */
	return fn_fail(s, "internal error: function %d has no case", (int)fn->id);
}

/* ------------------------------------------------------------------- walk */

enum { WALK_NEXT, WALK_BREAK, WALK_CONTINUE };

static int walk(struct state *s, struct val dot, const struct node *n);

static void
print_value(struct state *s, const struct node *n, struct val v)
{
	struct amark m = arena_mark(&s->a);
	struct sbuf b;
	struct fmtf f;

	x_at(s, n);
	if (v.t == VT_INVALID || v.t == VT_MISSING) {
		x_write(s, "<no value>", 10);
		return;
	}
	memset(&f, 0, sizeof(f));
	sb_init(&b, &s->a);
	fmt_arg(s, &b, &f, v, 'v');
	x_write(s, b.p, b.n);
	arena_release(&s->a, m);
}

static int
walk_range_once(struct state *s, const struct node *r, struct val index, struct val elem,
    size_t mark)
{
	const struct node *pipe = r->pipe;
	int st;

	if (pipe->ndecl > 0) {
		if (pipe->is_assign)
			find_var(s, pipe->decl[0]->ident[0])->v = pipe->ndecl > 1 ? index : elem;
		else
			s->vars[s->nvars - 1].v = elem;
	}
	if (pipe->ndecl > 1) {
		if (pipe->is_assign)
			find_var(s, pipe->decl[1]->ident[0])->v = elem;
		else
			s->vars[s->nvars - 2].v = index;
	}
	st = walk(s, elem, r->list);
	s->nvars = mark;
	return st;
}

static int
walk_range(struct state *s, struct val dot, const struct node *r)
{
	size_t mark0 = s->nvars, mark, i, n;
	struct val v;
	int st = WALK_NEXT;

	x_at(s, r);
	v = eval_pipeline(s, dot, r->pipe);
	mark = s->nvars;
	switch (v.t) {
	case VT_SLICE:
		if (v.u.a.n == 0)
			break;
		for (i = 0; i < v.u.a.n; i++)
			if (walk_range_once(s, r, v_int((long long)i), v_index(&v, i), mark) == WALK_BREAK)
				break;
		s->nvars = mark0;
		return WALK_NEXT;
	case VT_MAP: {
		const char **keys;

		if (json_object_size(v.u.m) == 0)
			break;
		keys = sorted_keys(s, v.u.m, &n);
		for (i = 0; i < n; i++)
			if (walk_range_once(s, r, v_str(keys[i], strlen(keys[i])),
			    v_json(json_object_get(v.u.m, keys[i]), true), mark) == WALK_BREAK)
				break;
		s->nvars = mark0;
		return WALK_NEXT;
	}
	case VT_INVALID:
		break;
	default:
		x_errorf(s, "range can't iterate over %s", v_sprint(s, v));
	}
	if (r->elselist != NULL)
		st = walk(s, dot, r->elselist);
	s->nvars = mark0;
	return st;
}

static int
walk(struct state *s, struct val dot, const struct node *n)
{
	size_t mark, i;
	struct val v;
	int st;

	x_at(s, n);
	switch (n->type) {
	case N_ACTION:
		if (n->b) {
			struct amark m = arena_mark(&s->a);

			print_value(s, n, eval_pipeline(s, dot, n->pipe));
			arena_release(&s->a, m);
			return WALK_NEXT;
		}
		v = eval_pipeline(s, dot, n->pipe);
		if (n->pipe->ndecl == 0)
			print_value(s, n, v);
		return WALK_NEXT;
	case N_BREAK:
		return WALK_BREAK;
	case N_CONTINUE:
		return WALK_CONTINUE;
	case N_IF:
	case N_WITH:
		mark = s->nvars;
		v = eval_pipeline(s, dot, n->pipe);
		st = WALK_NEXT;
		if (v_truth(v))
			st = walk(s, n->type == N_WITH ? v : dot, n->list);
		else if (n->elselist != NULL)
			st = walk(s, dot, n->elselist);
		s->nvars = mark;
		return st;
	case N_LIST:
		for (i = 0; i < n->nkids; i++)
			if ((st = walk(s, dot, n->kids[i])) != WALK_NEXT)
				return st;
		return WALK_NEXT;
	case N_RANGE:
		return walk_range(s, dot, n);
	case N_TEXT:
		x_write(s, n->text.p, n->text.n);
		return WALK_NEXT;
	default:
		x_errorf(s, "unknown node: %s", node_str(s, n));
	}
}

static int
exec_run(struct state *s, const json_t *data)
{
	struct str dollar = { "$", 1 };

	if (setjmp(s->jb) != 0)
		return -1;
	push_var(s, dollar, v_json(data, false));
	walk(s, v_json(data, false), s->t->root);
	/* gh's Flush: a table still pending is printed at the end. */
	s->node = NULL;
	if (!table_render(s)) {
		if (s->errlen > 0)
			snprintf(s->err, s->errlen, "template: %s", s->ferr);
		return -1;
	}
	return 0;
}

int
gotmpl_execute(struct gotmpl *t, const json_t *data, FILE *out, bool tty, int width,
    long long now, char *err, size_t errlen)
{
	struct state *s;
	int rc;

	if (errlen > 0)
		err[0] = '\0';
	if (t == NULL || out == NULL) {
		if (errlen > 0)
			snprintf(err, errlen, "template: no template or no output");
		return -1;
	}
	s = calloc(1, sizeof(*s));
	if (s == NULL) {
		if (errlen > 0)
			snprintf(err, errlen, "template: out of memory");
		return -1;
	}
	s->t = t;
	s->out = out;
	s->tty = tty;
	s->width = width;
	s->now = now;
	s->err = err;
	s->errlen = errlen;
	s->a.fail = x_fail;
	s->a.ctx = s;
	rc = exec_run(s, data);
	arena_free(&s->a);
	free(s);
	return rc;
}
