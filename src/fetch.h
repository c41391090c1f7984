/*
 * fetch: one blocking HTTP exchange, for the main thread's work that has
 * nothing to overlap with (minting GitHub App tokens at start-up, reload
 * and refresh). Bounded answer, no redirects (they would carry our
 * credentials elsewhere), http and https only. Workers never use it.
 */
#ifndef GHPOOL_FETCH_H
#define GHPOOL_FETCH_H

#include <curl/curl.h>
#include <stddef.h>

#define FETCH_MAX_BODY (1024 * 1024)

struct fetch_request {
	const char *method;           /* NULL: GET, or POST when body is set */
	const char *url;
	struct curl_slist *headers;   /* borrowed */
	const char *body;             /* NULL: none */
	long timeout_secs;
};

struct fetch_answer {
	long status;
	char *body;                   /* NUL-terminated; wipe with fetch_answer_clear */
	size_t len;
};

/* 0 with the answer, or -1 with curl's reason in why (never a header). */
int fetch_perform(const struct fetch_request *r, struct fetch_answer *a, char *why,
    size_t whylen);

/* Wipes and frees the answer's body (it may hold a token). */
void fetch_answer_clear(struct fetch_answer *a);

#endif
