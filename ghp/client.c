/*
 * client.c - GETs and pages, as JSON.
 */
#include "client.h"
#include "http.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CLIENT_MAX_PAGES 1000

static char *
client_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* A formatted, malloc'd string; out of memory ends the program. */
static char *
client_printf(const char *fmt, ...)
{
	va_list ap;
	char *s = NULL;
	int n;

	va_start(ap, fmt);
	n = vasprintf(&s, fmt, ap);
	va_end(ap);
	if (n < 0) {
		fprintf(stderr, "ghp: out of memory\n");
		exit(1);
	}
	return s;
}

/* One GET of a full URL; the answer is kept in *a on CLIENT_OK. */
static enum client_status
client_fetch(const struct client *c, const char *url, const char *accept,
    struct http_answer *a, struct client_error *err)
{
	char *h[2], key[600], acc[200];
	size_t n = 0;
	char why[256];

	if (accept != NULL) {
		snprintf(acc, sizeof(acc), "Accept: %s", accept);
		h[n++] = acc;
	}
	if (c->key != NULL) {
		snprintf(key, sizeof(key), "X-Ghpool-Key: %s", c->key);
		h[n++] = key;
	}
	if (http_get(url, h, n, a, why, sizeof(why)) != 0)
		return CLIENT_UNAVAILABLE;
	if (a->status >= 500) {
		http_answer_free(a);
		return CLIENT_UNAVAILABLE;
	}
	if (a->status >= 300) {
		json_t *doc = json_loadb(a->body, a->len, 0, NULL);
		const char *msg = json_string_value(json_object_get(doc, "message"));

		err->status = a->status;
		if (msg != NULL)
			snprintf(err->message, sizeof(err->message), "%s", msg);
		else
			snprintf(err->message, sizeof(err->message), "HTTP %ld", a->status);
		json_decref(doc);
		http_answer_free(a);
		return CLIENT_HTTP_ERROR;
	}
	return CLIENT_OK;
}

enum client_status
client_get(const struct client *c, const char *path, const char *accept, bool raw,
    json_t **out, struct client_error *err)
{
	struct http_answer a;
	char *url = client_printf("%s%s", c->base, path);
	enum client_status st;

	st = client_fetch(c, url, accept, &a, err);
	free(url);
	if (st != CLIENT_OK)
		return st;
	*out = raw ? json_stringn_nocheck(a.body, a.len) : json_loadb(a.body, a.len, 0, NULL);
	http_answer_free(&a);
	if (*out == NULL) {
		err->status = 0;
		snprintf(err->message, sizeof(err->message), "the answer is not JSON");
		return CLIENT_HTTP_ERROR;
	}
	return CLIENT_OK;
}

enum client_status
client_list(const struct client *c, const char *path, const char *items_key, long limit,
    json_t **out, long *total, struct client_error *err)
{
	long per_page = limit > 0 && limit < 100 ? limit : 100;
	size_t pages = 0;
	char *url = client_printf("%s%s%cper_page=%ld", c->base, path,
	    strchr(path, '?') ? '&' : '?', per_page);

	*out = json_array();
	if (total != NULL)
		*total = -1;
	while (url != NULL && pages++ < CLIENT_MAX_PAGES) {
		struct http_answer a;
		enum client_status st = client_fetch(c, url, NULL, &a, err);
		json_t *doc, *items;
		size_t i;
		json_t *it;

		free(url);
		url = NULL;
		if (st != CLIENT_OK) {
			json_decref(*out);
			*out = NULL;
			return st;
		}
		doc = json_loadb(a.body, a.len, 0, NULL);
		items = items_key ? json_object_get(doc, items_key) : doc;
		/* A page that is not the list asked for is an error, never "none". */
		if (!json_is_array(items)) {
			json_decref(doc);
			http_answer_free(&a);
			json_decref(*out);
			*out = NULL;
			err->status = 0;
			snprintf(err->message, sizeof(err->message), "the answer is not JSON");
			return CLIENT_HTTP_ERROR;
		}
		if (total != NULL && json_is_integer(json_object_get(doc, "total_count")))
			*total = (long)json_integer_value(json_object_get(doc, "total_count"));
		json_array_foreach(items, i, it) {
			if (limit > 0 && (long)json_array_size(*out) >= limit)
				break;
			json_array_append(*out, it);
		}
		if (limit <= 0 || (long)json_array_size(*out) < limit)
			url = http_next_link(&a, c->base);
		json_decref(doc);
		http_answer_free(&a);
	}
	free(url);
	return CLIENT_OK;
}
