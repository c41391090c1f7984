/*
 * api.c - `ghp api`: requests, pages, and printing them as gh does.
 *
 * Every page is fetched before anything is printed: if ghpool fails
 * half-way, the real gh can still take the whole command over without the
 * user seeing output twice.
 */
#include "api.h"
#include "args.h"
#include "gitrepo.h"
#include "http.h"
#include "jqrun.h"

#include <ctype.h>
#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define API_MAX_PAGES 10000

enum api_flag {
	F_METHOD, F_HEADER, F_INCLUDE, F_JQ, F_PAGINATE, F_SLURP, F_SILENT, F_RAW_FIELD,
	F_FIELD, F_CACHE,
};

static const struct args_flag api_flags[] = {
	{ "method", 'X', true, F_METHOD },
	{ "header", 'H', true, F_HEADER },
	{ "include", 'i', false, F_INCLUDE },
	{ "jq", 'q', true, F_JQ },
	{ "paginate", 0, false, F_PAGINATE },
	{ "slurp", 0, false, F_SLURP },
	{ "silent", 0, false, F_SILENT },
	{ "raw-field", 'f', true, F_RAW_FIELD },
	{ "field", 'F', true, F_FIELD },
	{ "cache", 0, true, F_CACHE },        /* ghpool caches: accepted, not needed */
	{ NULL, 0, false, 0 },
};

struct api_opts {
	const char *endpoint;
	const char *method;
	bool method_given;
	const char **headers;
	size_t n_headers;
	const char **fields;      /* key=value, for the query string of a GET */
	size_t n_fields;
	bool include, paginate, slurp, silent;
	const char *jq;
};

/* ------------------------------------------------------------------------
 * Small text helpers
 * ---------------------------------------------------------------------- */

struct buf {
	char *s;
	size_t len, cap;
};

static void
buf_add(struct buf *b, const char *s, size_t n)
{
	if (b->len + n + 1 > b->cap) {
		while (b->len + n + 1 > b->cap)
			b->cap = b->cap ? b->cap * 2 : 256;
		if ((b->s = realloc(b->s, b->cap)) == NULL) {
			fprintf(stderr, "ghp: out of memory\n");
			exit(1);
		}
	}
	memcpy(b->s + b->len, s, n);
	b->len += n;
	b->s[b->len] = '\0';
}

static void
buf_str(struct buf *b, const char *s)
{
	buf_add(b, s, strlen(s));
}

/* url.QueryEscape: unreserved kept, space as '+', the rest %XX. */
static void
buf_query_escape(struct buf *b, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";

	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		char e[3] = { '%', hex[c >> 4], hex[c & 15] };

		if (isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~')
			buf_add(b, (const char *)&c, 1);
		else if (c == ' ')
			buf_add(b, "+", 1);
		else
			buf_add(b, e, 3);
	}
}

/* ------------------------------------------------------------------------
 * The request
 * ---------------------------------------------------------------------- */

/*
 * {owner}, {repo}, {branch} (and the older :owner, :repo, :branch) from
 * the current checkout. Returns -1 when one is needed but unknown: the
 * real gh explains that best.
 */
static int
api_fill_placeholders(const char *in, struct buf *out)
{
	char owner[128] = "", repo[128] = "", branch[256] = "";
	bool have_repo = false, have_branch = false;

	while (*in) {
		static const char *const names[] = { "owner", "repo", "branch" };
		size_t k, n = 0;
		const char *val = NULL;

		for (k = 0; k < 3; k++) {
			size_t len = strlen(names[k]);

			if (in[0] == '{' && strncmp(in + 1, names[k], len) == 0 && in[1 + len] == '}') {
				n = len + 2;
				break;
			}
			if (in[0] == ':' && strncmp(in + 1, names[k], len) == 0 &&
			    !isalnum((unsigned char)in[1 + len]) && in[1 + len] != '_') {
				n = len + 1;
				break;
			}
		}
		if (n == 0) {
			buf_add(out, in++, 1);
			continue;
		}
		if (k < 2 && !have_repo) {
			if (gitrepo_current(owner, sizeof(owner), repo, sizeof(repo)) != 0)
				return -1;
			have_repo = true;
		}
		if (k == 2 && !have_branch) {
			if (gitrepo_branch(branch, sizeof(branch)) != 0)
				return -1;
			have_branch = true;
		}
		val = k == 0 ? owner : k == 1 ? repo : branch;
		buf_str(out, val);
		in += n;
	}
	return 0;
}

static int
api_cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* The first page's URL: base + path, per_page=100 when paginating, then
 * the fields as gh's url.Values.Encode() writes them (sorted by key). */
static int
api_first_url(const struct api_opts *o, const char *base, struct buf *url)
{
	struct buf path = { 0 };
	const char *p;
	bool has_query;

	if (api_fill_placeholders(o->endpoint, &path) != 0) {
		free(path.s);
		return -1;
	}
	p = path.s ? path.s : "";
	while (*p == '/')
		p++;
	buf_str(url, base);
	buf_str(url, "/");
	buf_str(url, p);
	has_query = strchr(p, '?') != NULL;
	if (o->paginate && strstr(p, "per_page=") == NULL) {
		bool field_has = false;

		for (size_t i = 0; i < o->n_fields; i++)
			field_has |= strncmp(o->fields[i], "per_page=", 9) == 0;
		if (!field_has) {
			buf_str(url, has_query ? "&per_page=100" : "?per_page=100");
			has_query = true;
		}
	}
	if (o->n_fields > 0) {
		const char **sorted = malloc(o->n_fields * sizeof(*sorted));

		memcpy(sorted, o->fields, o->n_fields * sizeof(*sorted));
		qsort(sorted, o->n_fields, sizeof(*sorted), api_cmp_str);
		for (size_t i = 0; i < o->n_fields; i++) {
			const char *eq = strchr(sorted[i], '=');
			char *key = strndup(sorted[i], (size_t)(eq - sorted[i]));

			buf_str(url, has_query || i > 0 ? "&" : "?");
			buf_query_escape(url, key);
			buf_str(url, "=");
			buf_query_escape(url, eq + 1);
			free(key);
		}
		free(sorted);
	}
	free(path.s);
	return 0;
}

/* ------------------------------------------------------------------------
 * Printing
 * ---------------------------------------------------------------------- */

static bool
api_is_json(const struct http_answer *a)
{
	const char *ct = http_find(a, "Content-Type");
	const char *p;

	/* gh: [/+]json(;|$) */
	for (p = ct; p != NULL && (p = strstr(p, "json")) != NULL; p += 4)
		if (p > ct && (p[-1] == '/' || p[-1] == '+') && (p[4] == ';' || p[4] == '\0'))
			return true;
	return false;
}

/* Go's textproto canonical form: "x-ratelimit-limit" -> "X-Ratelimit-Limit". */
static char *
api_canonical(const char *name)
{
	char *c = strdup(name);
	bool up = true;

	for (char *p = c; *p; p++) {
		*p = (char)(up ? toupper((unsigned char)*p) : tolower((unsigned char)*p));
		up = *p == '-';
	}
	return c;
}

static int
api_cmp_header(const void *a, const void *b)
{
	return strcmp(((const struct http_header *)a)->name, ((const struct http_header *)b)->name);
}

/* "HTTP/1.1 200 OK", then the headers sorted by canonical name with
 * repeated ones joined by ", ", each ending in CRLF, then CRLF. */
static void
api_print_headers(const struct http_answer *a, FILE *out)
{
	struct http_header *hs = calloc(a->n_headers + 1, sizeof(*hs));
	size_t n = 0;

	fprintf(out, "%s\n", a->status_line ? a->status_line : "HTTP/1.1");
	for (size_t i = 0; i < a->n_headers; i++) {
		char *name = api_canonical(a->headers[i].name);
		size_t k;

		for (k = 0; k < n && strcmp(hs[k].name, name) != 0; k++)
			;
		if (k < n) {
			char *joined = malloc(strlen(hs[k].value) + strlen(a->headers[i].value) + 3);

			sprintf(joined, "%s, %s", hs[k].value, a->headers[i].value);
			free(hs[k].value);
			hs[k].value = joined;
			free(name);
			continue;
		}
		if (strcmp(name, "Status") == 0) {
			free(name);
			continue;
		}
		hs[n].name = name;
		hs[n++].value = strdup(a->headers[i].value);
	}
	qsort(hs, n, sizeof(*hs), api_cmp_header);
	for (size_t i = 0; i < n; i++) {
		fprintf(out, "%s: %s\r\n", hs[i].name, hs[i].value);
		free(hs[i].name);
		free(hs[i].value);
	}
	fputs("\r\n", out);
	free(hs);
}

/* gh's one-line summary of an error answer, or "" when there is none. */
static void
api_server_error(const struct http_answer *a, char *out, size_t outlen)
{
	json_t *doc = json_loadb(a->body, a->len, 0, NULL), *errs, *e;
	const char *msg = json_string_value(json_object_get(doc, "message"));
	size_t i, o = 0;

	out[0] = '\0';
	if (msg != NULL && *msg != '\0') {
		snprintf(out, outlen, "%s (HTTP %ld)", msg, a->status);
	} else if (json_is_array(errs = json_object_get(doc, "errors"))) {
		json_array_foreach(errs, i, e) {
			const char *m = json_is_string(e) ? json_string_value(e) :
			    json_string_value(json_object_get(e, "message"));

			if (m != NULL && o < outlen)
				o += (size_t)snprintf(out + o, outlen - o, "%s%s", o ? "\n" : "", m);
		}
	}
	json_decref(doc);
}

static void
api_print_pretty(const char *body, size_t len, FILE *out)
{
	json_t *doc = json_loadb(body, len, JSON_DECODE_ANY, NULL);
	char *text = doc ? json_dumps(doc, JSON_INDENT(2) | JSON_PRESERVE_ORDER |
	    JSON_ENCODE_ANY) : NULL;

	if (text != NULL) {
		fputs(text, out);
		fputc('\n', out);
	} else {
		fwrite(body, 1, len, out);
	}
	free(text);
	json_decref(doc);
}

/*
 * --paginate joins JSON array pages into one array, as gh does: every
 * page but the first has its '[' turned into ',' (into ' ' when empty),
 * every page but the last loses its final ']'. White space around a page
 * is left where it is, so a pretty-printed page joins just as well.
 */
static void
api_print_array_page(const struct http_answer *a, bool first, bool last, FILE *out)
{
	const char *b = a->body;
	size_t n = a->len, lead = 0, end = n;

	while (lead < n && isspace((unsigned char)b[lead]))
		lead++;
	while (end > lead && isspace((unsigned char)b[end - 1]))
		end--;
	if (lead == end || b[lead] != '[' || b[end - 1] != ']') {
		fwrite(b, 1, n, out);
		return;
	}
	fwrite(b, 1, lead, out);
	if (!first) {
		bool empty = lead + 1 < end && b[lead + 1 + strspn(b + lead + 1, " \t\r\n")] == ']';

		fputc(empty ? ' ' : ',', out);
		lead++;
	}
	if (!last) {
		fwrite(b + lead, 1, end - 1 - lead, out);
		fwrite(b + end, 1, n - end, out);
	} else {
		fwrite(b + lead, 1, n - lead, out);
	}
}

/* ------------------------------------------------------------------------
 * Entry point
 * ---------------------------------------------------------------------- */

static int
api_parse(int argc, char **argv, struct api_opts *o)
{
	struct args a;
	const char *v;
	int id;

	memset(o, 0, sizeof(*o));
	o->headers = calloc((size_t)argc, sizeof(char *));
	o->fields = calloc((size_t)argc, sizeof(char *));
	args_init(&a, argc, argv, 1);
	for (;;) {
		enum args_result r = args_next(&a, api_flags, &id, &v);
		bool on = v == NULL || strcmp(v, "false") != 0;

		if (r == ARGS_END)
			break;
		if (r == ARGS_UNKNOWN)
			return -1;
		if (r == ARGS_POSITIONAL) {
			if (o->endpoint != NULL)
				return -1;
			o->endpoint = v;
			continue;
		}
		switch (id) {
		case F_METHOD:
			o->method = v;
			o->method_given = true;
			break;
		case F_HEADER:
			o->headers[o->n_headers++] = v;
			break;
		case F_RAW_FIELD:
		case F_FIELD:
			/* -F's @file and typed values are the real gh's business. */
			if (strchr(v, '=') == NULL || (id == F_FIELD && strchr(v, '=')[1] == '@'))
				return -1;
			o->fields[o->n_fields++] = v;
			break;
		case F_INCLUDE:
			o->include = on;
			break;
		case F_PAGINATE:
			o->paginate = on;
			break;
		case F_SLURP:
			o->slurp = on;
			break;
		case F_SILENT:
			o->silent = on;
			break;
		case F_JQ:
			o->jq = v;
			break;
		case F_CACHE:
			break;
		}
	}
	if (o->endpoint == NULL || strcmp(o->endpoint, "graphql") == 0 ||
	    strstr(o->endpoint, "://") != NULL)
		return -1;
	/* Fields without -X GET make gh POST them. */
	if (o->n_fields > 0 && !o->method_given)
		return -1;
	if (o->method != NULL && strcasecmp(o->method, "GET") != 0)
		return -1;
	if (o->slurp && (!o->paginate || o->jq != NULL))
		return -1;   /* gh refuses these combinations: let it say so */
	return 0;
}

static void
api_opts_free(struct api_opts *o)
{
	free(o->headers);
	free(o->fields);
}

int
api_main(int argc, char **argv, const struct ghp_env *e)
{
	const char *base_url = e->client.base, *key = e->client.key;
	struct api_opts o;
	struct http_answer *pages = NULL;
	size_t n_pages = 0;
	struct buf url = { 0 };
	struct jqrun *jq = NULL;
	char **hdrs = NULL, *next = NULL, err[256], msg[2048];
	size_t n_hdrs = 0;
	bool tty = e->tty;
	FILE *out = stdout;
	int rc = GHP_FALLTHROUGH;

	if (api_parse(argc, argv, &o) != 0 || api_first_url(&o, base_url, &url) != 0)
		goto done;
	if (o.jq != NULL && (jq = jqrun_new(o.jq)) == NULL) {
		rc = 1;
		goto done;
	}
	hdrs = calloc(o.n_headers + 2, sizeof(char *));
	for (size_t i = 0; i < o.n_headers; i++)
		hdrs[n_hdrs++] = (char *)o.headers[i];
	if (key != NULL) {
		snprintf(msg, sizeof(msg), "X-Ghpool-Key: %s", key);
		hdrs[n_hdrs++] = strdup(msg);
	}
	next = strdup(url.s);
	while (next != NULL && n_pages < API_MAX_PAGES) {
		struct http_answer a;

		if (http_get(next, hdrs, n_hdrs, &a, err, sizeof(err)) != 0 || a.status >= 500) {
			/* ghpool cannot answer: the real gh (straight to GitHub) can. */
			if (a.status >= 500)
				http_answer_free(&a);
			goto done;
		}
		pages = realloc(pages, (n_pages + 1) * sizeof(*pages));
		pages[n_pages++] = a;
		free(next);
		next = NULL;
		if (o.paginate && a.status < 300)
			next = http_next_link(&a, base_url);
	}
	rc = 0;
	if (o.slurp) {
		struct buf all = { 0 };

		buf_str(&all, "[");
		for (size_t i = 0; i < n_pages; i++) {
			if (i > 0)
				buf_str(&all, ",");
			buf_add(&all, pages[i].body, pages[i].len);
		}
		buf_str(&all, "]");
		if (!o.silent)
			(tty ? api_print_pretty(all.s, all.len, out) : (void)fwrite(all.s, 1, all.len, out));
		free(all.s);
	}
	for (size_t i = 0; i < n_pages && rc == 0; i++) {
		struct http_answer *a = &pages[i];
		bool json = api_is_json(a);

		if (o.include)
			api_print_headers(a, out);
		msg[0] = '\0';
		if (json && a->status >= 400)
			api_server_error(a, msg, sizeof(msg));
		if (a->status != 204 && !o.silent && !o.slurp) {
			if (jq != NULL && msg[0] == '\0' && a->status < 300) {
				if (jqrun_eval(jq, a->body, a->len, out, tty) != 0)
					rc = 1;
			} else if (json && tty) {
				api_print_pretty(a->body, a->len, out);
			} else if (json && o.paginate) {
				api_print_array_page(a, i == 0, i + 1 == n_pages, out);
			} else {
				fwrite(a->body, 1, a->len, out);
			}
		}
		if (msg[0] == '\0' && a->status > 299)
			snprintf(msg, sizeof(msg), "HTTP %ld", a->status);
		if (msg[0] != '\0') {
			fflush(out);
			fprintf(stderr, "gh: %s\n", msg);
			/* ghpool's own 401: a client key is missing or wrong. */
			rc = a->status == 401 && http_find(a, "X-GitHub-Request-Id") == NULL ? 4 : 1;
		}
		if (o.include && i + 1 < n_pages)
			fputc('\n', out);
	}
done:
	if (key != NULL && hdrs != NULL && n_hdrs > 0)
		free(hdrs[n_hdrs - 1]);
	free(hdrs);
	free(next);
	for (size_t i = 0; i < n_pages; i++)
		http_answer_free(&pages[i]);
	free(pages);
	free(url.s);
	jqrun_free(jq);
	api_opts_free(&o);
	return rc;
}
