/*
 * fetch.c - a blocking libcurl exchange with a bounded, wipeable answer.
 */
#include "fetch.h"
#include "util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Where the write callback puts the answer, and how much it may take. */
struct fetch_sink {
	struct fetch_answer *a;
	size_t max;
	bool too_big;
};

static size_t
fetch_on_body(char *data, size_t size, size_t n, void *arg)
{
	struct fetch_sink *s = arg;
	struct fetch_answer *a = s->a;
	size_t len = size * n;
	char *grown;

	if (len > s->max - a->len) {
		s->too_big = true;
		return 0;   /* curl fails the transfer: CURLE_WRITE_ERROR */
	}
	/* Copy, then wipe the old buffer: answers may carry tokens. */
	grown = malloc(a->len + len + 1);
	if (grown == NULL)
		return 0;
	if (a->body != NULL) {
		memcpy(grown, a->body, a->len);
		explicit_bzero(a->body, a->len);
		free(a->body);
	}
	memcpy(grown + a->len, data, len);
	a->len += len;
	grown[a->len] = '\0';
	a->body = grown;
	return len;
}

int
fetch_perform_with(const struct fetch_request *r, const struct fetch_options *o,
    struct fetch_answer *a, char *why, size_t whylen)
{
	static const struct fetch_options defaults;
	char ebuf[CURL_ERROR_SIZE] = "";
	CURL *e = curl_easy_init();
	struct fetch_sink sink = { .a = a };
	CURLcode rc;
	int ret = -1;

	if (o == NULL)
		o = &defaults;
	sink.max = o->max_body > 0 ? o->max_body : FETCH_MAX_BODY;
	memset(a, 0, sizeof(*a));
	if (e == NULL) {
		a->result = CURLE_FAILED_INIT;
		snprintf(why, whylen, "cannot start curl");
		goto done;
	}
	curl_easy_setopt(e, CURLOPT_URL, r->url);
	curl_easy_setopt(e, CURLOPT_USERAGENT, GHPOOL_USER_AGENT);
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(e, CURLOPT_TIMEOUT, r->timeout_secs > 0 ? r->timeout_secs : 30L);
	curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT,
	    o->connect_timeout_secs > 0 ? o->connect_timeout_secs : 5L);
	curl_easy_setopt(e, CURLOPT_ERRORBUFFER, ebuf);
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, fetch_on_body);
	curl_easy_setopt(e, CURLOPT_WRITEDATA, &sink);
	if (r->headers != NULL)
		curl_easy_setopt(e, CURLOPT_HTTPHEADER, r->headers);
	if (r->body != NULL)
		curl_easy_setopt(e, CURLOPT_POSTFIELDS, r->body);
	if (r->method != NULL)
		curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, r->method);
	if (o->no_proxy)
		curl_easy_setopt(e, CURLOPT_NOPROXY, "*");
	if (o->aws_sigv4 != NULL)
		curl_easy_setopt(e, CURLOPT_AWS_SIGV4, o->aws_sigv4);
	if (o->username != NULL)
		curl_easy_setopt(e, CURLOPT_USERNAME, o->username);
	if (o->password != NULL)
		curl_easy_setopt(e, CURLOPT_PASSWORD, o->password);
	rc = curl_easy_perform(e);
	if (rc != CURLE_OK) {
		if (rc == CURLE_WRITE_ERROR && sink.too_big && o->say_limit)
			snprintf(why, whylen, "the answer is larger than %zu bytes", sink.max);
		else if (o->generic_errors)
			snprintf(why, whylen, "%s", curl_easy_strerror(rc));
		else if (rc == CURLE_WRITE_ERROR && !o->say_limit)
			snprintf(why, whylen, "the answer is too large");
		else
			snprintf(why, whylen, "%s", ebuf[0] ? ebuf : curl_easy_strerror(rc));
		fetch_answer_clear(a);
		a->result = rc;
		goto done;
	}
	curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &a->status);
	if (a->body == NULL)
		a->body = util_strdup("");
	ret = 0;
done:
	curl_easy_cleanup(e);
	return ret;
}

int
fetch_perform(const struct fetch_request *r, struct fetch_answer *a, char *why, size_t whylen)
{
	return fetch_perform_with(r, NULL, a, why, whylen);
}

void
fetch_answer_clear(struct fetch_answer *a)
{
	if (a->body != NULL) {
		explicit_bzero(a->body, a->len);
		free(a->body);
	}
	a->body = NULL;
	a->len = 0;
}
