/*
 * app.c - GitHub App authentication: JWT, installation discovery, tokens.
 *
 * The JWT says iat = now - 60 (GitHub allows for clock drift that way) and
 * exp = now + 540, inside GitHub's ten-minute ceiling. It is used only on
 * the App endpoints here, never for a read.
 */
#include "app.h"
#include "fetch.h"
#include "jwt.h"
#include "secret.h"
#include "util.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static struct curl_slist *
app_headers(const char *jwt)
{
	struct curl_slist *h = NULL;
	char *line = util_printf("Authorization: Bearer %s", jwt);

	h = curl_slist_append(h, line);
	explicit_bzero(line, strlen(line));
	free(line);
	h = curl_slist_append(h, "Accept: application/vnd.github+json");
	return curl_slist_append(h, "X-GitHub-Api-Version: 2022-11-28");
}

/* GitHub's own words, when the answer has them. */
static const char *
app_message(const struct fetch_answer *a, char *buf, size_t len)
{
	json_t *doc = json_loadb(a->body, a->len, 0, NULL);
	const char *m = json_string_value(json_object_get(doc, "message"));
	size_t o = 0;

	buf[0] = '\0';
	for (; m != NULL && *m && o + 1 < len; m++)
		buf[o++] = (*m >= 0x20 && *m < 0x7f) ? *m : '?';
	buf[o] = '\0';
	json_decref(doc);
	return buf[0] ? buf : "no message";
}

static int
app_discover(const struct app_params *p, const char *jwt, int64_t *id, char *err, size_t errlen)
{
	static const char *const kinds[] = { "orgs", "users" };
	struct curl_slist *h = app_headers(jwt);
	struct fetch_answer a = { 0 };
	char why[256], msg[200], *url;
	int rc = -1;

	for (size_t k = 0; k < 2; k++) {
		struct fetch_request r = { NULL, NULL, h, NULL, p->timeout_secs };

		url = util_printf("%s/%s/%s/installation", p->upstream_url, kinds[k], p->owner);
		r.url = url;
		if (fetch_perform(&r, &a, why, sizeof(why)) < 0) {
			snprintf(err, errlen, "cannot reach GitHub to find the installation: %s", why);
			free(url);
			goto done;
		}
		free(url);
		if (a.status == 200) {
			json_t *doc = json_loadb(a.body, a.len, 0, NULL);
			json_int_t v = json_integer_value(json_object_get(doc, "id"));

			json_decref(doc);
			if (v <= 0) {
				snprintf(err, errlen, "GitHub's installation answer has no id");
				goto done;
			}
			*id = (int64_t)v;
			rc = 0;
			goto done;
		}
		if (a.status != 404) {
			snprintf(err, errlen, "finding the installation of %s: GitHub answered %ld (%s)",
			    p->owner, a.status, app_message(&a, msg, sizeof(msg)));
			goto done;
		}
		fetch_answer_clear(&a);
	}
	snprintf(err, errlen, "the App is not installed on %s (neither an organisation nor a user "
	    "installation was found)", p->owner);
done:
	fetch_answer_clear(&a);
	util_headers_free(h);
	return rc;
}

int
app_mint(const struct app_params *p, struct app_token *out, char *err, size_t errlen)
{
	int64_t now = util_now(), installation = p->installation_id;
	json_t *claims = json_pack("{s:I,s:I,s:I}", "iat", (json_int_t)(now - 60),
	    "exp", (json_int_t)(now + 540), "iss", (json_int_t)p->app_id);
	struct curl_slist *h = NULL;
	struct fetch_answer a = { 0 };
	char why[256], msg[200], *url = NULL, *jwt;
	json_t *doc = NULL;
	const char *token;
	int rc = -1;

	memset(out, 0, sizeof(*out));
	jwt = jwt_sign_rs256(p->private_key, NULL, claims, why, sizeof(why));
	json_decref(claims);
	if (jwt == NULL) {
		snprintf(err, errlen, "cannot sign the App's JWT: %s", why);
		goto done;
	}
	if (installation == 0 && app_discover(p, jwt, &installation, err, errlen) < 0)
		goto done;
	h = app_headers(jwt);
	url = util_printf("%s/app/installations/%lld/access_tokens", p->upstream_url,
	    (long long)installation);
	{
		struct fetch_request r = { "POST", url, h, "", p->timeout_secs };

		if (fetch_perform(&r, &a, why, sizeof(why)) < 0) {
			snprintf(err, errlen, "cannot reach GitHub to mint a token: %s", why);
			goto done;
		}
	}
	if (a.status != 201 && a.status != 200) {
		snprintf(err, errlen, "minting a token for installation %lld: GitHub answered %ld (%s)",
		    (long long)installation, a.status, app_message(&a, msg, sizeof(msg)));
		goto done;
	}
	doc = json_loadb(a.body, a.len, 0, NULL);
	token = json_string_value(json_object_get(doc, "token"));
	out->expires_at = util_parse_utc_time(json_string_value(json_object_get(doc, "expires_at")));
	if (token == NULL || *token == '\0' || strlen(token) > 255 || !secret_clean(token) ||
	    out->expires_at <= now) {
		snprintf(err, errlen, "GitHub's token answer for installation %lld has no usable "
		    "token or expires_at", (long long)installation);
		goto done;
	}
	out->token = util_strdup(token);
	out->installation_id = installation;
	rc = 0;
done:
	if (doc != NULL) {
		json_t *t = json_object_get(doc, "token");

		if (json_is_string(t))
			explicit_bzero((char *)json_string_value(t), json_string_length(t));
		json_decref(doc);
	}
	fetch_answer_clear(&a);
	util_headers_free(h);
	free(url);
	if (jwt != NULL) {
		explicit_bzero(jwt, strlen(jwt));
		free(jwt);
	}
	return rc;
}

void
app_token_clear(struct app_token *t)
{
	if (t->token != NULL) {
		explicit_bzero(t->token, strlen(t->token));
		free(t->token);
	}
	memset(t, 0, sizeof(*t));
}
