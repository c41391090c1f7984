/*
 * fetch: one blocking HTTP exchange, for the main thread's work that has
 * nothing to overlap with (minting GitHub App tokens at start-up, reload
 * and refresh; cloud credentials and secrets). Bounded answer, no redirects
 * (they would carry our credentials elsewhere), http and https only, the
 * answer wiped when cleared. Workers never use it.
 */
#ifndef GHPOOL_FETCH_H
#define GHPOOL_FETCH_H

#include <curl/curl.h>
#include <stdbool.h>
#include <stddef.h>

#define FETCH_MAX_BODY (1024 * 1024)

struct fetch_request {
	const char *method;           /* NULL: GET, or POST when body is set */
	const char *url;
	struct curl_slist *headers;   /* borrowed */
	const char *body;             /* NULL: none (a string: its length is strlen's) */
	long timeout_secs;            /* <= 0: 30 s */
};

/*
 * What some callers need beyond fetch_perform's defaults. Every field is
 * optional: zero (or a NULL options pointer) keeps the default. A separate
 * struct, not more fields in fetch_request, so that callers' positional
 * initializers of fetch_request stay complete.
 */
struct fetch_options {
	long connect_timeout_secs;    /* 0: 5 s */
	size_t max_body;              /* 0: FETCH_MAX_BODY; a larger answer fails */
	/* Never go through a proxy (CURLOPT_NOPROXY "*"): metadata servers. */
	bool no_proxy;
	/*
	 * Failure text: curl's generic text for the result code only
	 * (curl_easy_strerror), never curl's error buffer, which names hosts
	 * and could quote more of the request.
	 */
	bool generic_errors;
	/*
	 * An answer over max_body fails with "the answer is larger than N
	 * bytes" (N = the limit), whatever generic_errors says, instead of
	 * "the answer is too large" (or curl's generic text).
	 */
	bool say_limit;
	/*
	 * AWS Signature Version 4 by curl (CURLOPT_AWS_SIGV4, e.g.
	 * "aws:amz:REGION:SERVICE"), with the access key id as user name and
	 * the secret access key as password. All three borrowed; NULL: none.
	 */
	const char *aws_sigv4;
	const char *username;
	const char *password;
};

struct fetch_answer {
	long status;
	char *body;                   /* NUL-terminated; wipe with fetch_answer_clear */
	size_t len;
	CURLcode result;              /* CURLE_OK, or curl's reason for a failure */
};

/* 0 with the answer, or -1 with curl's reason in why (never a header). */
int fetch_perform(const struct fetch_request *r, struct fetch_answer *a, char *why,
    size_t whylen);

/* fetch_perform with options o (NULL: the defaults). */
int fetch_perform_with(const struct fetch_request *r, const struct fetch_options *o,
    struct fetch_answer *a, char *why, size_t whylen);

/* Wipes and frees the answer's body (it may hold a token). */
void fetch_answer_clear(struct fetch_answer *a);

#endif
