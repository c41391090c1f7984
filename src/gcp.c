/*
 * gcp.c - owns Google Secret Manager access: the resource reference and
 * its short forms, Application Default Credentials (a service-account key
 * file, else the metadata server), the cached access token, and the
 * AccessSecretVersion call with its base64 payload and CRC32C check.
 *
 * Environment (read from the envp the caller passes):
 *   GOOGLE_APPLICATION_CREDENTIALS  a service-account JSON key file
 *   GCE_METADATA_HOST               host[:port] of the metadata server
 *                                   (default metadata.google.internal)
 *   GHPOOL_GCP_SECRETMANAGER_URL    Secret Manager's base URL, for tests
 *                                   (default https://secretmanager.googleapis.com)
 *
 * Everything here is blocking and runs on the main thread (start-up,
 * reload), so the token cache is plain static state. Buffers that held a
 * key, an assertion, a token or a payload are wiped before they are
 * freed; jansson offers no such hook, so strings it parsed are scrubbed in
 * place (its lexer's scratch buffer is beyond reach).
 */
#include "fetch.h"
#include "gcp.h"
#include "jwt.h"
#include "util.h"

#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define GCP_ENV_CREDENTIALS   "GOOGLE_APPLICATION_CREDENTIALS"
#define GCP_ENV_METADATA_HOST "GCE_METADATA_HOST"
#define GCP_ENV_SM_URL        "GHPOOL_GCP_SECRETMANAGER_URL"
#define GCP_DEFAULT_TOKEN_URI "https://oauth2.googleapis.com/token"
#define GCP_DEFAULT_SM_URL    "https://secretmanager.googleapis.com"
#define GCP_DEFAULT_METADATA  "metadata.google.internal"
#define GCP_SCOPE             "https://www.googleapis.com/auth/cloud-platform"
#define GCP_JWT_GRANT         "urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Ajwt-bearer"

/* Google's assertions may live an hour at most. */
#define GCP_ASSERTION_SECS    3600
/* Renew this long before expiry, so a token never dies mid-request. */
#define GCP_RENEW_MARGIN_SECS 60
/* Off GCP the metadata server is absent: fail fast instead of waiting. */
#define GCP_METADATA_CONNECT_SECS 2L
#define GCP_DEFAULT_TIMEOUT_SECS  10L
#define GCP_MAX_KEY_FILE      (64 * 1024)
#define GCP_MAX_TOKEN         8192
/* Longer than any real token lifetime; bounds the arithmetic. */
#define GCP_MAX_EXPIRES_IN    (7 * 24 * 3600)

/* The access token and the credentials it came from, reused across calls. */
static struct {
	char *token;
	char *source;       /* "key file <path>" or "metadata server <host>" */
	int64_t renew_at_ms;
} gcp_cache;

/* ------------------------------------------------------------------------
 * Small helpers
 * ---------------------------------------------------------------------- */

static void
gcp_wipe_free(char *s)
{
	if (s != NULL) {
		explicit_bzero(s, strlen(s));
		free(s);
	}
}

/* jansson frees without wiping: scrub a secret member in place first. */
static void
gcp_json_scrub(json_t *obj, const char *key)
{
	json_t *v = json_object_get(obj, key);

	if (json_is_string(v))
		explicit_bzero((char *)json_string_value(v), json_string_length(v));
}

/*
 * A server's or a file's text made safe to put in an error line: printable
 * ASCII only, bounded. Only used on texts that name no secret (error
 * descriptions, credential types).
 */
static const char *
gcp_printable(const char *s, char *out, size_t outlen)
{
	size_t o = 0;

	for (; s != NULL && *s != '\0' && o + 1 < outlen; s++)
		out[o++] = (*s >= 0x20 && *s < 0x7f) ? *s : '?';
	/* Cut short: say so rather than end mid-word. */
	if (s != NULL && *s != '\0' && o >= 3)
		memcpy(out + o - 3, "...", 3);
	out[o] = '\0';
	return out;
}

/* Whether a token can go into an Authorization header as it is. */
static bool
gcp_token_ok(const char *t, size_t len)
{
	if (len == 0 || len > GCP_MAX_TOKEN)
		return false;
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)t[i] <= 0x20 || (unsigned char)t[i] >= 0x7f)
			return false;
	return true;
}

/*
 * A bounded integer from the wire: a JSON integer, or a decimal string as
 * proto3's JSON mapping writes 64-bit fields (dataCrc32c is one).
 */
static int
gcp_json_i64(json_t *v, int64_t min, int64_t max, int64_t *out)
{
	if (json_is_integer(v)) {
		json_int_t n = json_integer_value(v);
		if (n < min || n > max)
			return -1;
		*out = n;
		return 0;
	}
	if (json_is_string(v))
		return util_parse_i64(json_string_value(v), json_string_length(v), min, max, out);
	return -1;
}

/* ------------------------------------------------------------------------
 * CRC32C and base64
 * ---------------------------------------------------------------------- */

/* CRC-32C (Castagnoli, reflected polynomial 0x82F63B78), as Secret
 * Manager's dataCrc32c. Bitwise: payloads are 64 KiB at most. */
static uint32_t
gcp_crc32c(const unsigned char *p, size_t n)
{
	uint32_t crc = 0xFFFFFFFFu;

	for (size_t i = 0; i < n; i++) {
		crc ^= p[i];
		for (int k = 0; k < 8; k++)
			crc = (crc >> 1) ^ (0x82F63B78u & (0u - (crc & 1u)));
	}
	return crc ^ 0xFFFFFFFFu;
}

static int
gcp_b64_digit(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

/*
 * Standard base64 (RFC 4648 §4) into a fresh buffer of exactly the decoded
 * length plus a NUL. EVP_DecodeBlock would count padding as zero bytes, so
 * the length is worked out here. -1 on anything malformed.
 */
static int
gcp_b64_decode(const char *s, size_t n, unsigned char **out, size_t *outlen)
{
	unsigned char *buf = NULL;
	size_t pad = 0, o = 0, len = 0;
	uint32_t acc = 0;
	int bits = 0, d, ret = -1;

	if (n > 0 && s[n - 1] == '=')
		pad++;
	if (n > 1 && s[n - 2] == '=')
		pad++;
	if (pad > 0 && n % 4 != 0)
		goto done;
	n -= pad;
	if (n % 4 == 1)
		goto done;
	len = n / 4 * 3 + (n % 4 ? n % 4 - 1 : 0);
	if ((buf = malloc(len + 1)) == NULL)
		goto done;
	for (size_t i = 0; i < n; i++) {
		if ((d = gcp_b64_digit((unsigned char)s[i])) < 0)
			goto done;
		acc = (acc << 6) | (uint32_t)d;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			buf[o++] = (unsigned char)(acc >> bits);
		}
	}
	buf[o] = '\0';
	*out = buf;
	*outlen = o;
	buf = NULL;
	ret = 0;
done:
	explicit_bzero(&acc, sizeof(acc));
	if (buf != NULL) {
		explicit_bzero(buf, len + 1);
		free(buf);
	}
	return ret;
}

/* ------------------------------------------------------------------------
 * Access tokens
 * ---------------------------------------------------------------------- */

static void
gcp_token_drop(void)
{
	gcp_wipe_free(gcp_cache.token);
	free(gcp_cache.source);
	memset(&gcp_cache, 0, sizeof(gcp_cache));
}

/*
 * An OAuth token answer, {"access_token", "expires_in"} or
 * {"error", "error_description"}; who names the endpoint in errors.
 */
static char *
gcp_token_answer(const struct fetch_answer *b, const char *who, int64_t *expires_in,
    char *err, size_t errlen)
{
	long status = b->status;
	json_t *doc = NULL, *tok, *life;
	const char *e, *d;
	char pe[80], pd[300];
	char *out = NULL;

	if (b->body != NULL)
		doc = json_loadb(b->body, b->len, 0, NULL);
	if (status != 200) {
		e = json_string_value(json_object_get(doc, "error"));
		d = json_string_value(json_object_get(doc, "error_description"));
		if (e != NULL)
			snprintf(err, errlen, "%s: HTTP %ld: %s%s%s", who, status,
			    gcp_printable(e, pe, sizeof(pe)), d ? ": " : "",
			    d ? gcp_printable(d, pd, sizeof(pd)) : "");
		else
			snprintf(err, errlen, "%s answered HTTP %ld", who, status);
		goto done;
	}
	tok = json_object_get(doc, "access_token");
	life = json_object_get(doc, "expires_in");
	if (!json_is_string(tok) ||
	    !gcp_token_ok(json_string_value(tok), json_string_length(tok))) {
		snprintf(err, errlen, "%s: the answer holds no usable access_token", who);
		goto done;
	}
	/* Absent: use it for this call only. */
	*expires_in = 0;
	if (life != NULL && gcp_json_i64(life, 0, GCP_MAX_EXPIRES_IN, expires_in) < 0) {
		snprintf(err, errlen, "%s: expires_in is not a number of seconds", who);
		goto done;
	}
	out = util_strndup(json_string_value(tok), json_string_length(tok));
done:
	gcp_json_scrub(doc, "access_token");
	json_decref(doc);
	return out;
}

/* Reads the key file whole (it holds a private key: wiped by the caller). */
static char *
gcp_read_key_file(const char *path, size_t *len, char *err, size_t errlen)
{
	char *buf = util_calloc(1, GCP_MAX_KEY_FILE + 1), *out = NULL;
	size_t n = 0;
	ssize_t got;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0) {
		snprintf(err, errlen, "cannot open: %s", strerror(errno));
		goto done;
	}
	while ((got = read(fd, buf + n, GCP_MAX_KEY_FILE + 1 - n)) != 0) {
		if (got < 0) {
			if (errno == EINTR)
				continue;
			snprintf(err, errlen, "cannot read: %s", strerror(errno));
			goto done;
		}
		n += (size_t)got;
		if (n > GCP_MAX_KEY_FILE) {
			snprintf(err, errlen, "larger than %d bytes: not a key file",
			    GCP_MAX_KEY_FILE);
			goto done;
		}
	}
	*len = n;
	out = buf;
	buf = NULL;
done:
	if (fd >= 0)
		close(fd);
	if (buf != NULL) {
		explicit_bzero(buf, GCP_MAX_KEY_FILE + 1);
		free(buf);
	}
	return out;
}

/* The type name of a credentials file, if it looks like one, for errors. */
static const char *
gcp_type_label(const char *type, char *out, size_t outlen)
{
	size_t n = strlen(type);

	for (size_t i = 0; i < n; i++)
		if (!((type[i] >= 'a' && type[i] <= 'z') || (type[i] >= 'A' && type[i] <= 'Z') ||
		    (type[i] >= '0' && type[i] <= '9') || type[i] == '_' || type[i] == '-'))
			return "(unrecognised)";
	return n == 0 || n >= outlen ? "(unrecognised)" : gcp_printable(type, out, outlen);
}

/*
 * A service-account key file: an RS256 assertion traded for a token
 * (RFC 7523). What is wrong with the file is reported under its variable
 * and path; what the token endpoint says, under the endpoint.
 */
static char *
gcp_token_from_key_file(const char *path, long timeout, int64_t *expires_in,
    char *err, size_t errlen)
{
	char *file = NULL, *jwt = NULL, *form = NULL, *out = NULL, *who = NULL;
	const char *type, *email, *key, *kid, *uri;
	char label[64], why[CURL_ERROR_SIZE + 64], bad[300] = "";
	struct fetch_answer b = { 0 };
	json_t *doc = NULL, *claims = NULL;
	json_error_t jsonerr;
	int64_t now;
	size_t len = 0;

	if ((file = gcp_read_key_file(path, &len, bad, sizeof(bad))) == NULL)
		goto done;
	/* jansson's error text quotes the text near the fault: only the line is safe. */
	if ((doc = json_loadb(file, len, 0, &jsonerr)) == NULL || !json_is_object(doc)) {
		snprintf(bad, sizeof(bad), "not a JSON key file (line %d)",
		    doc == NULL ? jsonerr.line : 1);
		goto done;
	}
	if ((type = json_string_value(json_object_get(doc, "type"))) == NULL) {
		snprintf(bad, sizeof(bad), "no \"type\": not a Google credentials file");
		goto done;
	}
	if (strcmp(type, "service_account") != 0) {
		snprintf(bad, sizeof(bad), "credential type '%s' is not supported (only "
		    "service_account key files; unset " GCP_ENV_CREDENTIALS " to use the "
		    "metadata server)", gcp_type_label(type, label, sizeof(label)));
		goto done;
	}
	email = json_string_value(json_object_get(doc, "client_email"));
	key = json_string_value(json_object_get(doc, "private_key"));
	kid = json_string_value(json_object_get(doc, "private_key_id"));
	uri = json_string_value(json_object_get(doc, "token_uri"));
	if (email == NULL || *email == '\0' || key == NULL || *key == '\0') {
		snprintf(bad, sizeof(bad), "the service-account key lacks %s",
		    email == NULL || *email == '\0' ? "client_email" : "private_key");
		goto done;
	}
	if (uri == NULL || *uri == '\0')
		uri = GCP_DEFAULT_TOKEN_URI;
	if (strncmp(uri, "https://", 8) != 0 && strncmp(uri, "http://", 7) != 0) {
		snprintf(bad, sizeof(bad), "token_uri is not an http(s) URL");
		goto done;
	}
	now = util_now();
	claims = json_pack("{s:s, s:s, s:s, s:I, s:I}", "iss", email, "scope", GCP_SCOPE,
	    "aud", uri, "iat", (json_int_t)now, "exp", (json_int_t)(now + GCP_ASSERTION_SECS));
	if (claims == NULL) {
		snprintf(bad, sizeof(bad), "client_email or token_uri is not UTF-8");
		goto done;
	}
	if (kid != NULL && *kid == '\0')
		kid = NULL;
	if ((jwt = jwt_sign_rs256(key, kid, claims, bad, sizeof(bad))) == NULL)
		goto done;
	/* The assertion is base64url and dots: nothing to escape in a form. */
	form = util_printf("grant_type=%s&assertion=%s", GCP_JWT_GRANT, jwt);
	who = util_printf("token endpoint %s", uri);
	if (fetch_perform_with(&(struct fetch_request){ .url = uri, .body = form,
	    .timeout_secs = timeout }, &(struct fetch_options){ .connect_timeout_secs = timeout,
	    .say_limit = true }, &b, why, sizeof(why)) < 0) {
		snprintf(err, errlen, "%s: %s", who, why);
		goto done;
	}
	out = gcp_token_answer(&b, who, expires_in, err, errlen);
done:
	if (bad[0] != '\0')
		snprintf(err, errlen, GCP_ENV_CREDENTIALS "=%s: %s", path, bad);
	fetch_answer_clear(&b);
	gcp_wipe_free(form);
	gcp_wipe_free(jwt);
	free(who);
	json_decref(claims);
	gcp_json_scrub(doc, "private_key");
	json_decref(doc);
	if (file != NULL) {
		explicit_bzero(file, GCP_MAX_KEY_FILE + 1);
		free(file);
	}
	return out;
}

/* host[:port] or [v6]:port: nothing that could reshape the URL. */
static bool
gcp_host_ok(const char *h)
{
	size_t n = strlen(h);

	if (n == 0 || n > 255)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!((h[i] >= 'a' && h[i] <= 'z') || (h[i] >= 'A' && h[i] <= 'Z') ||
		    (h[i] >= '0' && h[i] <= '9') || strchr(".-:[]", h[i]) != NULL))
			return false;
	return true;
}

/* The metadata server: GCE, GKE Workload Identity, Cloud Run. */
static char *
gcp_token_from_metadata(const char *host, long timeout, int64_t *expires_in,
    char *err, size_t errlen)
{
	char *url = NULL, *out = NULL, *who = NULL;
	char why[CURL_ERROR_SIZE + 64];
	struct curl_slist *h = NULL;
	struct fetch_answer b = { 0 };
	long connect = GCP_METADATA_CONNECT_SECS;

	if (!gcp_host_ok(host)) {
		snprintf(err, errlen, GCP_ENV_METADATA_HOST " must be host or host:port");
		goto done;
	}
	url = util_printf("http://%s/computeMetadata/v1/instance/service-accounts/default/token",
	    host);
	who = util_printf("the metadata server at %s", host);
	h = curl_slist_append(h, "Metadata-Flavor: Google");
	if (h == NULL) {
		snprintf(err, errlen, "out of memory");
		goto done;
	}
	if (timeout < connect)
		connect = timeout;
	/* Never through a proxy: the metadata server is link-local. */
	if (fetch_perform_with(&(struct fetch_request){ .url = url, .headers = h,
	    .timeout_secs = timeout }, &(struct fetch_options){ .connect_timeout_secs = connect,
	    .no_proxy = true, .say_limit = true }, &b, why, sizeof(why)) < 0) {
		snprintf(err, errlen, "no Google credentials found (" GCP_ENV_CREDENTIALS
		    " is unset and the metadata server at %s did not answer)", host);
		goto done;
	}
	out = gcp_token_answer(&b, who, expires_in, err, errlen);
done:
	fetch_answer_clear(&b);
	curl_slist_free_all(h);
	free(who);
	free(url);
	return out;
}

/*
 * An access token for the credentials envp names: the cached one while it
 * has more than a minute to live, else a fresh one (then cached). The
 * returned string belongs to the cache. *cached says which.
 */
static const char *
gcp_token_get(char *const *envp, long timeout, bool *cached, char *err, size_t errlen)
{
	const char *keyfile = util_getenv(envp, GCP_ENV_CREDENTIALS);
	const char *host = util_getenv(envp, GCP_ENV_METADATA_HOST);
	char *source = NULL, *tok = NULL;
	const char *out = NULL;
	int64_t expires_in = 0;

	/* Google's libraries treat an empty variable as unset. */
	if (keyfile != NULL && *keyfile == '\0')
		keyfile = NULL;
	if (host == NULL || *host == '\0')
		host = GCP_DEFAULT_METADATA;
	source = keyfile ? util_printf("key file %s", keyfile) :
	    util_printf("metadata server %s", host);
	if (gcp_cache.token != NULL && strcmp(gcp_cache.source, source) == 0 &&
	    util_mono_ms() < gcp_cache.renew_at_ms) {
		*cached = true;
		out = gcp_cache.token;
		goto done;
	}
	gcp_token_drop();
	tok = keyfile ? gcp_token_from_key_file(keyfile, timeout, &expires_in, err, errlen) :
	    gcp_token_from_metadata(host, timeout, &expires_in, err, errlen);
	if (tok == NULL)
		goto done;
	/* A token with a minute or less to live serves this call only. */
	gcp_cache.token = tok;
	gcp_cache.source = source;
	gcp_cache.renew_at_ms = util_mono_ms() +
	    (expires_in > GCP_RENEW_MARGIN_SECS ? expires_in - GCP_RENEW_MARGIN_SECS : 0) * 1000;
	source = NULL;
	*cached = false;
	out = tok;
done:
	free(source);
	return out;
}

/* ------------------------------------------------------------------------
 * Secret Manager
 * ---------------------------------------------------------------------- */

/*
 * One segment of a resource name: it goes into a URL path as it is, so
 * nothing that would end, escape or reshape the path (and "." and ".."
 * would be folded away by curl).
 */
static bool
gcp_segment_ok(const char *s, size_t n, bool colon_ok)
{
	if (n == 0 || (n == 1 && s[0] == '.') || (n == 2 && s[0] == '.' && s[1] == '.'))
		return false;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c <= 0x20 || c >= 0x7f || c == '/' || c == '?' || c == '#' || c == '%' ||
		    (c == ':' && !colon_ok))
			return false;
	}
	return true;
}

/*
 * projects/<p>/secrets/<s>/versions/<v>, or the original project's short
 * forms projects/<p>/secrets/<s>:<v> and projects/<p>/secrets/<s> (latest),
 * as the full name. Projects may hold ':' (legacy domain-scoped ids
 * "example.com:proj"); secrets and versions may not.
 */
static char *
gcp_resource_name(const char *res, char *err, size_t errlen)
{
	const char *p, *slash, *s, *end, *v;
	size_t plen, slen, vlen;
	const char *bad = NULL;
	char *out = NULL;

	if (strncmp(res, "projects/", 9) != 0 || (slash = strchr(res + 9, '/')) == NULL ||
	    strncmp(slash, "/secrets/", 9) != 0)
		goto done;
	p = res + 9;
	plen = (size_t)(slash - p);
	s = slash + 9;
	end = s + strcspn(s, "/:");
	slen = (size_t)(end - s);
	if (*end == '\0') {
		v = "latest";
		vlen = 6;
	} else if (*end == ':') {
		v = end + 1;
		vlen = strlen(v);
	} else if (strncmp(end, "/versions/", 10) == 0) {
		v = end + 10;
		vlen = strlen(v);
	} else {
		goto done;
	}
	if (!gcp_segment_ok(p, plen, true))
		bad = "project";
	else if (!gcp_segment_ok(s, slen, false))
		bad = "secret";
	else if (!gcp_segment_ok(v, vlen, false))
		bad = "version";
	else
		out = util_printf("projects/%.*s/secrets/%.*s/versions/%.*s",
		    (int)plen, p, (int)slen, s, (int)vlen, v);
done:
	if (out == NULL && bad != NULL)
		snprintf(err, errlen, "the %s segment of the name is empty, '.' or '..', or "
		    "holds a character that is not allowed ('/', ':', '?', '#', '%%', "
		    "whitespace, control characters)", bad);
	else if (out == NULL)
		snprintf(err, errlen, "not a Secret Manager secret version: expected "
		    "projects/<project>/secrets/<secret>[/versions/<version>]");
	return out;
}

/* Secret Manager's base URL, without a trailing '/'. */
static char *
gcp_sm_base(char *const *envp, char *err, size_t errlen)
{
	const char *base = util_getenv(envp, GCP_ENV_SM_URL);
	char *out = NULL;
	size_t n;

	if (base == NULL || *base == '\0')
		base = GCP_DEFAULT_SM_URL;
	n = strlen(base);
	if ((strncmp(base, "https://", 8) != 0 && strncmp(base, "http://", 7) != 0) ||
	    strcspn(base, "?# \t\r\n") != n) {
		snprintf(err, errlen, GCP_ENV_SM_URL " must be an http:// or https:// base URL");
		goto done;
	}
	while (n > 0 && base[n - 1] == '/')
		n--;
	out = util_strndup(base, n);
done:
	return out;
}

/* GET url with the bearer token; 0 with the answer, or -1 with err. */
static int
gcp_access(const char *url, const char *base, const char *token, long timeout,
    struct fetch_answer *b, char *err, size_t errlen)
{
	char why[CURL_ERROR_SIZE + 64];
	char *auth = util_printf("Authorization: Bearer %s", token);
	struct curl_slist *h = curl_slist_append(NULL, auth);
	int ret = -1;

	if (h == NULL) {
		snprintf(err, errlen, "out of memory");
		goto done;
	}
	if (fetch_perform_with(&(struct fetch_request){ .url = url, .headers = h,
	    .timeout_secs = timeout }, &(struct fetch_options){ .connect_timeout_secs = timeout,
	    .say_limit = true }, b, why, sizeof(why)) < 0) {
		snprintf(err, errlen, "GCP Secret Manager at %s: %s", base, why);
		goto done;
	}
	ret = 0;
done:
	util_headers_free(h);
	gcp_wipe_free(auth);
	return ret;
}

/* AccessSecretVersion's answer: the payload checked and trimmed, or an error. */
static char *
gcp_secret_answer(const struct fetch_answer *b, char *err, size_t errlen)
{
	json_t *doc = b->body ? json_loadb(b->body, b->len, 0, NULL) : NULL;
	long status = b->status;
	json_t *payload = json_object_get(doc, "payload"), *data, *e, *crc;
	const char *st, *msg;
	unsigned char *val = NULL;
	char ps[80], pm[400];
	char *out = NULL;
	size_t len = 0;
	int64_t want;

	if (status != 200) {
		e = json_object_get(doc, "error");
		st = json_string_value(json_object_get(e, "status"));
		msg = json_string_value(json_object_get(e, "message"));
		if (msg != NULL)
			snprintf(err, errlen, "GCP Secret Manager: %s: %s",
			    st ? gcp_printable(st, ps, sizeof(ps)) : "HTTP error",
			    gcp_printable(msg, pm, sizeof(pm)));
		else
			snprintf(err, errlen, "GCP Secret Manager: HTTP %ld", status);
		goto done;
	}
	data = json_object_get(payload, "data");
	if (!json_is_string(data)) {
		snprintf(err, errlen, "GCP Secret Manager: the answer holds no payload.data");
		goto done;
	}
	if (gcp_b64_decode(json_string_value(data), json_string_length(data), &val, &len) < 0) {
		snprintf(err, errlen, "GCP Secret Manager: payload.data is not base64");
		goto done;
	}
	crc = json_object_get(payload, "dataCrc32c");
	if (crc != NULL && !json_is_null(crc)) {
		if (gcp_json_i64(crc, 0, UINT32_MAX, &want) < 0) {
			snprintf(err, errlen, "GCP Secret Manager: dataCrc32c is not a CRC32C");
			goto done;
		}
		if ((uint32_t)want != gcp_crc32c(val, len)) {
			snprintf(err, errlen, "GCP Secret Manager: the payload failed its "
			    "CRC32C check (corrupted in transit?)");
			goto done;
		}
	}
	if (memchr(val, '\0', len) != NULL) {
		snprintf(err, errlen, "the secret holds a NUL byte: not a token (it is sent in an "
		    "HTTP header)");
		goto done;
	}
	/* `echo tok | gcloud secrets versions add` stores the newline too. */
	if (len > 0 && val[len - 1] == '\n') {
		val[--len] = '\0';
		if (len > 0 && val[len - 1] == '\r')
			val[--len] = '\0';
	}
	if (len == 0) {
		snprintf(err, errlen, "the secret is empty");
		goto done;
	}
	out = (char *)val;
	val = NULL;
done:
	if (val != NULL) {
		explicit_bzero(val, len);
		free(val);
	}
	gcp_json_scrub(payload, "data");
	json_decref(doc);
	return out;
}

char *
gcp_secret_resolve(const char *resource, char *const *envp,
    long timeout_secs, char *err, size_t errlen)
{
	char *name = NULL, *base = NULL, *url = NULL, *value = NULL;
	struct fetch_answer b = { 0 };
	const char *token;
	bool cached = false;

	if (timeout_secs <= 0)
		timeout_secs = GCP_DEFAULT_TIMEOUT_SECS;
	if ((name = gcp_resource_name(resource, err, errlen)) == NULL)
		goto done;
	if ((base = gcp_sm_base(envp, err, errlen)) == NULL)
		goto done;
	url = util_printf("%s/v1/%s:access", base, name);
	for (int attempt = 0;; attempt++) {
		if ((token = gcp_token_get(envp, timeout_secs, &cached, err, errlen)) == NULL)
			goto done;
		fetch_answer_clear(&b);
		if (gcp_access(url, base, token, timeout_secs, &b, err, errlen) < 0)
			goto done;
		/* A cached token may have been revoked since: one fresh try. */
		if (b.status == 401 && cached && attempt == 0) {
			gcp_token_drop();
			continue;
		}
		break;
	}
	value = gcp_secret_answer(&b, err, errlen);
done:
	fetch_answer_clear(&b);
	free(url);
	free(base);
	free(name);
	return value;
}

void
gcp_cleanup(void)
{
	gcp_token_drop();
}
