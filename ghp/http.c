/*
 * http.c - the GET, with curl.
 */
#include "http.h"

#include <curl/curl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define HTTP_MAX_BODY (256u * 1024 * 1024)

struct http_sink {
	struct http_answer *a;
	size_t cap;
	bool too_big;
};

static void *
http_xrealloc(void *p, size_t n)
{
	void *q = realloc(p, n);

	if (q == NULL) {
		fprintf(stderr, "ghp: out of memory\n");
		exit(1);
	}
	return q;
}

static char *
http_strndup(const char *s, size_t n)
{
	char *d = http_xrealloc(NULL, n + 1);

	memcpy(d, s, n);
	d[n] = '\0';
	return d;
}

static size_t
http_on_body(char *data, size_t size, size_t n, void *arg)
{
	struct http_sink *s = arg;
	size_t len = size * n;

	if (s->a->len + len + 1 > HTTP_MAX_BODY) {
		s->too_big = true;
		return 0;
	}
	if (s->a->len + len + 1 > s->cap) {
		while (s->a->len + len + 1 > s->cap)
			s->cap = s->cap ? s->cap * 2 : 16384;
		s->a->body = http_xrealloc(s->a->body, s->cap);
	}
	memcpy(s->a->body + s->a->len, data, len);
	s->a->len += len;
	s->a->body[s->a->len] = '\0';
	return len;
}

/* Header lines arrive one by one; a new status line (after a 100
 * Continue, say) starts the list again. */
static size_t
http_on_header(char *data, size_t size, size_t n, void *arg)
{
	struct http_answer *a = ((struct http_sink *)arg)->a;
	size_t len = size * n, k;
	char *colon;

	while (len > 0 && (data[len - 1] == '\r' || data[len - 1] == '\n'))
		len--;
	if (len == 0)
		return size * n;
	if (len >= 5 && strncmp(data, "HTTP/", 5) == 0) {
		for (size_t i = 0; i < a->n_headers; i++) {
			free(a->headers[i].name);
			free(a->headers[i].value);
		}
		a->n_headers = 0;
		free(a->status_line);
		a->status_line = http_strndup(data, len);
		return size * n;
	}
	if ((colon = memchr(data, ':', len)) == NULL)
		return size * n;
	a->headers = http_xrealloc(a->headers, (a->n_headers + 1) * sizeof(*a->headers));
	a->headers[a->n_headers].name = http_strndup(data, (size_t)(colon - data));
	k = (size_t)(colon - data) + 1;
	while (k < len && (data[k] == ' ' || data[k] == '\t'))
		k++;
	a->headers[a->n_headers].value = http_strndup(data + k, len - k);
	a->n_headers++;
	return size * n;
}

/* ------------------------------------------------------------------------
 * Control characters
 * ---------------------------------------------------------------------- */

/* "^X" for a C0 control character (and "^?" for DEL). */
static size_t
http_caret(int c, char *out)
{
	out[0] = '^';
	out[1] = (char)(c == 0x7f ? '?' : c + 0x40);
	return 2;
}

/*
 * What gh does to every JSON answer (go-gh's ASCII sanitizer): control
 * characters inside strings become inert caret text, so a title cannot
 * move the cursor, retitle the terminal or plant a hyperlink. C0 escapes
 * (\u0000-\u001f but tab, newline and CR; \b, \f; \u007f) become ^X;
 * C1 characters (U+0080-U+009F), escaped or raw, become ^[ and the 7-bit
 * form ("^[[" for CSI). Works on the JSON text, so the raw body printed by
 * `ghp api` is sanitized too.
 */
static void
http_sanitize(struct http_answer *a)
{
	const char *ct = http_find(a, "Content-Type");
	char *out, *o;
	const char *s = a->body, *end = a->body + a->len;
	bool in_string = false;

	if (ct == NULL || strstr(ct, "json") == NULL)
		return;
	/* Each byte grows to at most two ("\xC2\x9B" to "^[["): 2x is room enough. */
	o = out = http_xrealloc(NULL, 2 * a->len + 1);
	while (s < end) {
		unsigned char c = (unsigned char)*s;

		if (c == '"') {
			in_string = !in_string;
			*o++ = *s++;
		} else if (in_string && c == '\\' && s + 1 < end) {
			char e = s[1];
			int v = -1;

			if (e == 'u' && s + 5 < end && strncmp(s + 2, "00", 2) == 0) {
				char hex[3] = { s[4], s[5], '\0' }, *stop;

				v = (int)strtol(hex, &stop, 16);
				if (*stop != '\0')
					v = -1;
			}
			if (e == 'b' || e == 'f') {
				o += http_caret(e == 'b' ? 0x08 : 0x0c, o);
				s += 2;
			} else if (v >= 0 && ((v < 0x20 && v != 0x09 && v != 0x0a && v != 0x0d) ||
			    v == 0x7f)) {
				o += http_caret(v, o);
				s += 6;
			} else if (v >= 0x80 && v <= 0x9f) {
				*o++ = '^';
				*o++ = '[';
				*o++ = (char)(v - 0x40);
				s += 6;
			} else {
				*o++ = *s++;
				*o++ = *s++;
			}
		} else if (in_string && c == 0xc2 && s + 1 < end && (unsigned char)s[1] >= 0x80 &&
		    (unsigned char)s[1] <= 0x9f) {
			*o++ = '^';
			*o++ = '[';
			*o++ = (char)((unsigned char)s[1] - 0x40);
			s += 2;
		} else if (in_string && (c < 0x20 || c == 0x7f) && c != '\t' && c != '\n' &&
		    c != '\r') {
			o += http_caret(c, o);
			s++;
		} else {
			*o++ = *s++;
		}
	}
	*o = '\0';
	free(a->body);
	a->body = out;
	a->len = (size_t)(o - out);
}

/* ------------------------------------------------------------------------
 * The GET
 * ---------------------------------------------------------------------- */

int
http_get(const char *url, char *const *headers, size_t n_headers, struct http_answer *out,
    char *err, size_t errlen)
{
	struct http_sink sink = { out, 0, false };
	struct curl_slist *h = NULL;
	CURL *e = curl_easy_init();
	CURLcode rc;
	int ret = -1;

	memset(out, 0, sizeof(*out));
	if (e == NULL) {
		snprintf(err, errlen, "cannot start libcurl");
		return -1;
	}
	for (size_t i = 0; i < n_headers; i++)
		h = curl_slist_append(h, headers[i]);
	curl_easy_setopt(e, CURLOPT_URL, url);
	curl_easy_setopt(e, CURLOPT_HTTPHEADER, h);
	curl_easy_setopt(e, CURLOPT_USERAGENT, "ghp/" GHPOOL_VERSION);
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, http_on_body);
	curl_easy_setopt(e, CURLOPT_WRITEDATA, &sink);
	curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, http_on_header);
	curl_easy_setopt(e, CURLOPT_HEADERDATA, &sink);
	curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT, 5L);
	curl_easy_setopt(e, CURLOPT_TIMEOUT, 120L);
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	/* Bodies as GitHub sent them: no transparent decoding games. */
	curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 0L);
	/* A Link header names the next URL: never a file or another scheme. */
	curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
	rc = curl_easy_perform(e);
	if (rc != CURLE_OK) {
		snprintf(err, errlen, "%s", sink.too_big ? "answer larger than 256 MiB" :
		    curl_easy_strerror(rc));
		http_answer_free(out);
	} else {
		curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &out->status);
		if (out->body == NULL)
			out->body = http_strndup("", 0);
		http_sanitize(out);
		ret = 0;
	}
	curl_slist_free_all(h);
	curl_easy_cleanup(e);
	return ret;
}

const char *
http_find(const struct http_answer *a, const char *name)
{
	for (size_t i = 0; i < a->n_headers; i++)
		if (strcasecmp(a->headers[i].name, name) == 0)
			return a->headers[i].value;
	return NULL;
}

char *
http_next_link(const struct http_answer *a, const char *base)
{
	const char *p = http_find(a, "Link");
	size_t blen = strlen(base);

	/* <url>; rel="next", <url>; rel="last" */
	while (p != NULL && (p = strchr(p, '<')) != NULL) {
		const char *end = strchr(p, '>'), *next, *rel;

		if (end == NULL)
			return NULL;
		next = strchr(end, '<');
		rel = strstr(end, "rel=\"next\"");
		/* Only pages of ghpool itself: the key goes with every request. */
		if (rel != NULL && (next == NULL || rel < next))
			return (size_t)(end - p - 1) > blen && strncmp(p + 1, base, blen) == 0 &&
			    p[1 + blen] == '/' ? http_strndup(p + 1, (size_t)(end - p - 1)) : NULL;
		p = end;
	}
	return NULL;
}

void
http_answer_free(struct http_answer *a)
{
	for (size_t i = 0; i < a->n_headers; i++) {
		free(a->headers[i].name);
		free(a->headers[i].value);
	}
	free(a->headers);
	free(a->status_line);
	free(a->body);
	memset(a, 0, sizeof(*a));
}
