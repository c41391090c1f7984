/*
 * table.c - rows kept until printed, so widths can be measured.
 *
 * Widths count UTF-8 code points, not bytes. gh counts East Asian wide
 * characters as two columns; we count one (a difference only for CJK
 * text in a terminal, never in piped output).
 */
#include "table.h"

#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

struct table {
	bool tty;
	int width;
	size_t n_cols;
	char ***rows;        /* rows[r][c], NULL past the row's end */
	size_t n_rows, cap_rows;
	size_t cur;          /* fields in the row being built */
	const char *const *headers;
	bool *fixed;         /* per column: never truncated (its first row said so) */
};

static void *
table_xrealloc(void *p, size_t n)
{
	if ((p = realloc(p, n)) == NULL) {
		fprintf(stderr, "ghp: out of memory\n");
		exit(1);
	}
	return p;
}

static size_t
table_len(const char *s)
{
	size_t n = 0;

	for (; *s; s++)
		n += ((unsigned char)*s & 0xc0) != 0x80;
	return n;
}

/* Byte length of the first cps code points of s. */
static size_t
table_prefix(const char *s, size_t cps)
{
	size_t i = 0;

	while (s[i] && cps > 0) {
		i++;
		while ((((unsigned char)s[i]) & 0xc0) == 0x80)
			i++;
		cps--;
	}
	return i;
}

struct table *
table_new(bool tty, int width, const char *const *headers)
{
	struct table *t = calloc(1, sizeof(*t));

	t->tty = tty;
	t->width = width;
	t->headers = headers;
	for (size_t i = 0; headers && headers[i]; i++)
		t->n_cols = i + 1;
	t->fixed = calloc(t->n_cols + 1, sizeof(bool));
	return t;
}

static void
table_add_cell(struct table *t, const char *field, bool fixed)
{
	char **row;

	if (t->cur == 0) {
		if (t->n_rows == t->cap_rows) {
			t->cap_rows = t->cap_rows ? t->cap_rows * 2 : 16;
			t->rows = table_xrealloc(t->rows, t->cap_rows * sizeof(*t->rows));
		}
		t->rows[t->n_rows++] = NULL;
	}
	row = t->rows[t->n_rows - 1];
	row = table_xrealloc(row, (t->cur + 2) * sizeof(*row));
	row[t->cur++] = strdup(field ? field : "");
	row[t->cur] = NULL;
	t->rows[t->n_rows - 1] = row;
	if (t->cur > t->n_cols) {
		t->fixed = table_xrealloc(t->fixed, t->cur * sizeof(bool));
		for (size_t c = t->n_cols; c < t->cur; c++)
			t->fixed[c] = false;
		t->n_cols = t->cur;
	}
	if (t->n_rows == 1)
		t->fixed[t->cur - 1] = fixed;
}

void
table_add(struct table *t, const char *field)
{
	table_add_cell(t, field, false);
}

void
table_add_fixed(struct table *t, const char *field)
{
	table_add_cell(t, field, true);
}

void
table_end_row(struct table *t)
{
	t->cur = 0;
}

/*
 * go-gh's widths: fixed columns keep their widest cell; the rest share
 * what is left of the width. A column narrower than its share keeps its
 * own width, the others get the share, and whatever remains goes back,
 * left to right, to the columns that were cut.
 */
static void
table_widths(struct table *t, size_t *w)
{
	size_t n = t->n_cols, *max = calloc(n + 1, sizeof(size_t)), c, r;
	bool *set = calloc(n + 1, sizeof(bool));
	long avail, per, fixed = 0, flex = 0;

	for (c = 0; t->headers && t->headers[c]; c++)
		max[c] = table_len(t->headers[c]);
	for (r = 0; r < t->n_rows; r++)
		for (c = 0; t->rows[r][c]; c++)
			if (table_len(t->rows[r][c]) > max[c])
				max[c] = table_len(t->rows[r][c]);
	for (c = 0; c < n; c++) {
		if (t->fixed[c]) {
			w[c] = max[c];
			set[c] = true;
			fixed += (long)max[c];
		} else {
			flex++;
		}
	}
	avail = (long)t->width - 2 * (long)(n ? n - 1 : 0) - fixed;
	if (avail > 0 && flex > 0) {
		per = avail / flex;
		for (c = 0; c < n; c++)
			if (!set[c] && (long)max[c] < per) {
				w[c] = max[c];
				set[c] = true;
				avail -= (long)max[c];
				flex--;
			}
	}
	if (flex > 0) {
		per = avail > 0 ? avail / flex : 0;
		for (c = 0; c < n; c++)
			if (!set[c]) {
				w[c] = (long)max[c] < per ? max[c] : (per > 0 ? (size_t)per : 0);
				set[c] = true;
			}
	}
	avail = (long)t->width - 2 * (long)(n ? n - 1 : 0);
	for (c = 0; c < n; c++)
		avail -= (long)w[c];
	for (c = 0; c < n && avail > 0; c++)
		if (w[c] < max[c]) {
			size_t give = max[c] - w[c] < (size_t)avail ? max[c] - w[c] : (size_t)avail;

			w[c] += give;
			avail -= (long)give;
		}
	free(max);
	free(set);
}

/* go-gh's Truncate: "..." as the tail once there is room for it. */
static size_t
table_put_cell(FILE *out, const char *s, size_t width)
{
	size_t len = table_len(s);

	if (len <= width) {
		fputs(s, out);
		return len;
	}
	if (width >= 5) {
		fwrite(s, 1, table_prefix(s, width - 3), out);
		fputs("...", out);
	} else {
		fwrite(s, 1, table_prefix(s, width), out);
	}
	return width;
}

static void
table_print_tty(struct table *t, FILE *out)
{
	size_t *w = calloc(t->n_cols + 1, sizeof(size_t)), c, r;

	table_widths(t, w);
	for (r = 0; r <= t->n_rows; r++) {
		char *const *cells = r == 0 ? (char *const *)t->headers : t->rows[r - 1];

		if (cells == NULL)
			continue;
		for (c = 0; cells[c]; c++) {
			size_t len;

			if (c > 0)
				fputs("  ", out);
			len = table_put_cell(out, cells[c], w[c]);
			if (cells[c + 1] != NULL)
				for (; len < w[c]; len++)
					fputc(' ', out);
		}
		fputc('\n', out);
	}
	free(w);
}

void
table_print(struct table *t, FILE *out)
{
	if (t->tty) {
		table_print_tty(t, out);
		return;
	}
	for (size_t r = 0; r < t->n_rows; r++) {
		for (size_t c = 0; t->rows[r][c]; c++) {
			if (c > 0)
				fputc('\t', out);
			fputs(t->rows[r][c], out);
		}
		fputc('\n', out);
	}
}

void
table_free(struct table *t)
{
	if (t == NULL)
		return;
	for (size_t r = 0; r < t->n_rows; r++) {
		for (size_t c = 0; t->rows[r][c]; c++)
			free(t->rows[r][c]);
		free(t->rows[r]);
	}
	free(t->rows);
	free(t->fixed);
	free(t);
}

int
table_terminal_width(void)
{
	const char *env = getenv("COLUMNS");
	struct winsize ws;

	if (env != NULL && atoi(env) > 0)
		return atoi(env);
	if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0)
		return ws.ws_col;
	return 80;
}
