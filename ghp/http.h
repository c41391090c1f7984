/*
 * http: one GET to ghpool with libcurl, kept whole in memory: the status
 * line, the headers in order, the body (a JSON body with its control
 * characters made inert, as gh does). A transport failure (ghpool
 * unreachable, timed out) is an error of its own, which sends the command
 * to the real gh.
 */
#ifndef GHP_HTTP_H
#define GHP_HTTP_H

#include <stddef.h>

struct http_header {
	char *name;
	char *value;
};

struct http_answer {
	long status;
	char *status_line;           /* "HTTP/1.1 200 OK", without CRLF */
	struct http_header *headers;
	size_t n_headers;
	char *body;                  /* NUL-terminated for convenience */
	size_t len;
};

/* GETs url with extra request headers ("Name: value"). Returns 0, or -1
 * with a reason in err when no HTTP answer came back. */
int http_get(const char *url, char *const *headers, size_t n_headers,
    struct http_answer *out, char *err, size_t errlen);

/* The first header called name (case-insensitive), or NULL. */
const char *http_find(const struct http_answer *a, const char *name);

/* The rel="next" URL of the answer's Link header (malloc'd), or NULL;
 * NULL too when it does not start with base (ghpool's URL) and a '/'. */
char *http_next_link(const struct http_answer *a, const char *base);

void http_answer_free(struct http_answer *a);

#endif
