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
	rc = curl_easy_perform(e);
	if (rc != CURLE_OK) {
		snprintf(err, errlen, "%s", sink.too_big ? "answer larger than 256 MiB" :
		    curl_easy_strerror(rc));
		http_answer_free(out);
	} else {
		curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &out->status);
		if (out->body == NULL)
			out->body = http_strndup("", 0);
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
http_next_link(const struct http_answer *a)
{
	const char *p = http_find(a, "Link");

	/* <url>; rel="next", <url>; rel="last" */
	while (p != NULL && (p = strchr(p, '<')) != NULL) {
		const char *end = strchr(p, '>'), *next, *rel;

		if (end == NULL)
			return NULL;
		next = strchr(end, '<');
		rel = strstr(end, "rel=\"next\"");
		if (rel != NULL && (next == NULL || rel < next))
			return http_strndup(p + 1, (size_t)(end - p - 1));
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
