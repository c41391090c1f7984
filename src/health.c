/*
 * health.c - the --health-check client.
 *
 * It runs every few seconds in a container, so it does as little as it
 * can: no configuration, no secrets, one bounded GET through fetch (5 s in
 * all, 2 s to connect), with CURLOPT_NOPROXY "*": an http_proxy meant for
 * GitHub must not answer for the ghpool next to it.
 */
#include "health.h"
#include "fetch.h"
#include "util.h"

#include <curl/curl.h>
#include <stdlib.h>
#include <string.h>

#define HEALTH_DEFAULT_PORT 8080
#define HEALTH_TIMEOUT_SECS 5
#define HEALTH_CONNECT_TIMEOUT_SECS 2

char *
health_url(const char *arg, char *const *envp, char *err, size_t errlen)
{
	CURLU *u = NULL;
	char *scheme = NULL, *path = NULL, *part = NULL, *url = NULL;
	const char *v;
	int64_t port = HEALTH_DEFAULT_PORT;

	if (arg == NULL) {
		v = util_getenv(envp, "GHPOOL_PORT");
		/* 0 means "any free port" to the server: nothing to probe. */
		if (v == NULL || util_parse_i64(v, strlen(v), 1, 65535, &port) < 0)
			port = HEALTH_DEFAULT_PORT;
		return util_printf("http://127.0.0.1:%lld/healthz", (long long)port);
	}
	/* Without CURLU_GUESS_SCHEME a URL must name its scheme. */
	if ((u = curl_url()) == NULL || curl_url_set(u, CURLUPART_URL, arg, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
	    (strcmp(scheme, "http") != 0 && strcmp(scheme, "https") != 0)) {
		snprintf(err, errlen, "not an http:// or https:// URL");
		goto out;
	}
	if (curl_url_get(u, CURLUPART_PATH, &path, 0) != CURLUE_OK || path[0] == '\0' ||
	    strcmp(path, "/") == 0) {
		if (curl_url_set(u, CURLUPART_PATH, "/healthz", 0) != CURLUE_OK) {
			snprintf(err, errlen, "cannot set the path");
			goto out;
		}
	}
	if (curl_url_get(u, CURLUPART_URL, &part, 0) != CURLUE_OK) {
		snprintf(err, errlen, "not an http:// or https:// URL");
		goto out;
	}
	url = util_strdup(part);
out:
	curl_free(part);
	curl_free(path);
	curl_free(scheme);
	curl_url_cleanup(u);
	return url;
}

/* url for the message: without a password, and with nothing unprintable
 * (a URL that did not parse is printed as given). */
static void
health_display(const char *url, char *out, size_t len)
{
	CURLU *u = curl_url();
	char *clean = NULL;
	size_t i = 0;

	if (u != NULL && curl_url_set(u, CURLUPART_URL, url, 0) == CURLUE_OK &&
	    curl_url_set(u, CURLUPART_PASSWORD, NULL, 0) == CURLUE_OK &&
	    curl_url_get(u, CURLUPART_URL, &clean, 0) == CURLUE_OK)
		url = clean;
	for (; url[i] != '\0' && i + 1 < len; i++)
		out[i] = (unsigned char)url[i] < 0x20 || (unsigned char)url[i] >= 0x7f ? '?' : url[i];
	out[i] = '\0';
	curl_free(clean);
	curl_url_cleanup(u);
}

int
health_check(const char *arg, char *const *envp, FILE *out)
{
	static const struct fetch_options opts = {
		.connect_timeout_secs = HEALTH_CONNECT_TIMEOUT_SECS,
		.no_proxy = true,
		.say_limit = true,
	};
	struct fetch_request r = { .method = "GET", .timeout_secs = HEALTH_TIMEOUT_SECS };
	struct fetch_answer a = { 0 };
	char why[CURL_ERROR_SIZE + 64] = "", shown[512];
	char *url = health_url(arg, envp, why, sizeof(why));
	int rc = 1;

	if (url == NULL) {
		health_display(arg, shown, sizeof(shown));
		goto out;
	}
	health_display(url, shown, sizeof(shown));
	r.url = url;
	if (fetch_perform_with(&r, &opts, &a, why, sizeof(why)) < 0)
		goto out;
	if (a.status != 200) {
		snprintf(why, sizeof(why), "HTTP %ld", a.status);
		goto out;
	}
	rc = 0;
out:
	if (rc != 0)
		fprintf(out, "ghpool: health check of %s: %s\n", shown, why);
	fetch_answer_clear(&a);
	free(url);
	return rc;
}
