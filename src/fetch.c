/*
 * fetch.c - a blocking libcurl exchange with a bounded, wipeable answer.
 */
#include "fetch.h"
#include "util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static size_t
fetch_on_body(char *data, size_t size, size_t n, void *arg)
{
	struct fetch_answer *a = arg;
	size_t len = size * n;
	char *grown;

	if (a->len + len > FETCH_MAX_BODY)
		return 0;   /* curl fails the transfer: CURLE_WRITE_ERROR */
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
fetch_perform(const struct fetch_request *r, struct fetch_answer *a, char *why, size_t whylen)
{
	char ebuf[CURL_ERROR_SIZE] = "";
	CURL *e = curl_easy_init();
	CURLcode rc;
	int ret = -1;

	memset(a, 0, sizeof(*a));
	if (e == NULL) {
		snprintf(why, whylen, "cannot start curl");
		goto done;
	}
	curl_easy_setopt(e, CURLOPT_URL, r->url);
	curl_easy_setopt(e, CURLOPT_USERAGENT, GHPOOL_USER_AGENT);
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(e, CURLOPT_TIMEOUT, r->timeout_secs > 0 ? r->timeout_secs : 30L);
	curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT, 5L);
	curl_easy_setopt(e, CURLOPT_ERRORBUFFER, ebuf);
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, fetch_on_body);
	curl_easy_setopt(e, CURLOPT_WRITEDATA, a);
	if (r->headers != NULL)
		curl_easy_setopt(e, CURLOPT_HTTPHEADER, r->headers);
	if (r->body != NULL)
		curl_easy_setopt(e, CURLOPT_POSTFIELDS, r->body);
	if (r->method != NULL)
		curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, r->method);
	rc = curl_easy_perform(e);
	if (rc != CURLE_OK) {
		snprintf(why, whylen, "%s", rc == CURLE_WRITE_ERROR ? "the answer is too large" :
		    ebuf[0] ? ebuf : curl_easy_strerror(rc));
		fetch_answer_clear(a);
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
