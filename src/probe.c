/*
 * probe.c - blocking start-up probes with curl's easy interface.
 *
 * Blocking is fine here: nothing listens yet, and each probe is bounded
 * by the connect and total timeouts.
 */
#include "probe.h"
#include "log.h"
#include "pool.h"
#include "util.h"

#include <curl/curl.h>
#include <curl/header.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#define PROBE_MAX_BODY (1024 * 1024)

struct probe_buf {
	char *p;
	size_t len;
};

static size_t
probe_on_body(char *data, size_t size, size_t n, void *arg)
{
	struct probe_buf *b = arg;
	size_t len = size * n;
	char *np;

	if (b->len + len > PROBE_MAX_BODY)
		return 0;
	np = realloc(b->p, b->len + len + 1);
	if (np == NULL)
		return 0;
	b->p = np;
	memcpy(b->p + b->len, data, len);
	b->len += len;
	b->p[b->len] = '\0';
	return len;
}

static const char *
probe_header(CURL *e, const char *name)
{
	struct curl_header *h;

	return curl_easy_header(e, name, 0, CURLH_HEADER, -1, &h) == CURLHE_OK ? h->value : NULL;
}

/* /user costs a point: its x-ratelimit-* headers are the freshest news.
 * (curl_easy_header's values stay valid until the next call: copy them.) */
static void
probe_learn_headers(struct pool *pool, int i, CURL *e)
{
	static const char *const names[] = { "X-RateLimit-Limit", "X-RateLimit-Remaining",
		"X-RateLimit-Used", "X-RateLimit-Reset", "X-RateLimit-Resource" };
	char *v[5];

	for (size_t k = 0; k < 5; k++) {
		const char *h = probe_header(e, names[k]);
		v[k] = h ? util_strdup(h) : NULL;
	}
	(void)pool_observe_headers(pool, i, "core", v[0], v[1], v[2], v[3], v[4], NULL);
	for (size_t k = 0; k < 5; k++)
		free(v[k]);
}

/* GETs path with identity i's token. Returns the HTTP status, or -1. */
static long
probe_get(struct pool *pool, int i, const char *base, const char *path,
    long timeout, json_t **doc)
{
	struct probe_buf b = { 0 };
	struct curl_slist *h = NULL;
	char url[2048], *auth;
	uint64_t gen;
	long status = -1;
	CURL *e = curl_easy_init();
	CURLcode rc;

	*doc = NULL;
	if (e == NULL)
		return -1;
	snprintf(url, sizeof(url), "%s%s", base, path);
	auth = pool_authorization(pool, i, &gen);
	h = curl_slist_append(h, auth);
	h = curl_slist_append(h, "Accept: application/vnd.github+json");
	explicit_bzero(auth, strlen(auth));
	free(auth);
	curl_easy_setopt(e, CURLOPT_URL, url);
	curl_easy_setopt(e, CURLOPT_HTTPHEADER, h);
	curl_easy_setopt(e, CURLOPT_USERAGENT, GHPOOL_USER_AGENT);
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT, 5L);
	curl_easy_setopt(e, CURLOPT_TIMEOUT, timeout);
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, probe_on_body);
	curl_easy_setopt(e, CURLOPT_WRITEDATA, &b);
	rc = curl_easy_perform(e);
	if (rc != CURLE_OK) {
		log_warn("identity %s: probe %s failed: %s", pool_id(pool, i), path,
		    curl_easy_strerror(rc));
		goto out;
	}
	curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &status);
	/* Error answers (a 401 above all) carry someone else's budget. */
	if (status >= 200 && status < 300)
		probe_learn_headers(pool, i, e);
	if (b.p != NULL)
		*doc = json_loadb(b.p, b.len, 0, NULL);
out:
	util_headers_free(h);
	curl_easy_cleanup(e);
	free(b.p);
	return status;
}

static bool
probe_int(json_t *v, int64_t max, int64_t *out)
{
	if (!json_is_integer(v) || json_integer_value(v) < 0 || json_integer_value(v) > max)
		return false;
	*out = json_integer_value(v);
	return true;
}

static void
probe_learn_buckets(struct pool *pool, int i, json_t *doc)
{
	json_t *resources = json_object_get(doc, "resources"), *v;
	const char *name;

	json_object_foreach(resources, name, v) {
		struct pool_limits l;
		json_t *lim = json_object_get(v, "limit"), *rem = json_object_get(v, "remaining"),
		    *used = json_object_get(v, "used"), *reset = json_object_get(v, "reset");

		/* Same bounds as the headers: arithmetic on them cannot overflow. */
		if (!probe_int(lim, INT32_MAX, &l.limit) || !probe_int(rem, INT32_MAX, &l.remaining) ||
		    !probe_int(reset, INT64_C(1) << 40, &l.reset) || strlen(name) >= 32)
			continue;
		if (!probe_int(used, INT32_MAX, &l.used))
			l.used = l.limit >= l.remaining ? l.limit - l.remaining : 0;
		pool_observe(pool, i, name, &l);
	}
}

bool
probe_identity(struct pool *pool, int i, const char *upstream_url, long timeout_secs)
{
	json_t *doc = NULL;
	const char *login, *shared;
	bool usable = false;
	/* Main thread: nobody rotates this token while we probe it. */
	uint64_t gen = pool_token_gen(pool, i);
	long st;

	st = probe_get(pool, i, upstream_url, "/rate_limit", timeout_secs, &doc);
	if (st == 401) {
		log_error("identity %s disabled: GitHub rejected its token (401)", pool_id(pool, i));
		pool_disable(pool, i, gen);
		json_decref(doc);
		return false;
	}
	if (st == 200)
		probe_learn_buckets(pool, i, doc);
	else
		log_warn("identity %s: GET /rate_limit answered %ld; budget unknown until its first read",
		    pool_id(pool, i), st);
	json_decref(doc);
	doc = NULL;

	/*
	 * An installation token cannot read /user (403, and a point spent).
	 * GitHub meters the installation: identities of one installation
	 * share its budget, as tokens of one user share theirs.
	 */
	if (pool_installation(pool, i) > 0) {
		char label[64];

		snprintf(label, sizeof(label), "installation:%lld", (long long)pool_installation(pool, i));
		shared = pool_set_login(pool, i, label);
		log_info("identity %s is GitHub App %s", pool_id(pool, i), label);
		if (shared != NULL)
			log_warn("identities %s and %s are the same App %s: they share one rate-limit budget",
			    shared, pool_id(pool, i), label);
		return true;
	}
	st = probe_get(pool, i, upstream_url, "/user", timeout_secs, &doc);
	login = json_string_value(json_object_get(doc, "login"));
	if (st == 401) {
		log_error("identity %s disabled: GitHub rejected its token (401)", pool_id(pool, i));
		pool_disable(pool, i, gen);
	} else if (st == 200 && login != NULL) {
		shared = pool_set_login(pool, i, login);
		log_info("identity %s is GitHub user %s", pool_id(pool, i), login);
		if (shared != NULL)
			log_warn("identities %s and %s are the same GitHub user %s: they share one rate-limit budget",
			    shared, pool_id(pool, i), login);
		usable = true;
	} else {
		/* App installation tokens cannot read /user; keep them. */
		log_warn("identity %s: GET /user answered %ld; login unknown", pool_id(pool, i), st);
		usable = true;
	}
	json_decref(doc);
	return usable;
}

int
probe_identities(struct pool *pool, const char *upstream_url, long timeout_secs)
{
	int usable = 0;

	for (int i = 0; i < (int)pool_size(pool); i++)
		usable += probe_identity(pool, i, upstream_url, timeout_secs);
	return usable;
}
