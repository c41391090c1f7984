/*
 * aws.c - AWS Secrets Manager for `aws:secretsmanager:<id>:<key>` references:
 * GetSecretValue signed with libcurl's SigV4, and the credential chain that
 * feeds it.
 *
 * Owns: the region and endpoints; the credential chain in the order the AWS
 * SDKs document (environment, web identity through STS, the shared
 * credentials/config files, container credentials, EC2 IMDSv2); the cache
 * of temporary credentials (static state: main thread only, start-up and
 * reload); and the small parsers all that needs (STS's XML, INI files,
 * ISO 8601 expirations).
 *
 * A source that is not configured is skipped. A configured one that fails
 * ends the search with its own error, as the SDKs do: a broken web-identity
 * set-up is reported, never papered over by whatever comes later. Instance
 * metadata counts as not configured when it does not answer or has no role
 * (off EC2), and is IMDSv2 only: no fallback to the unauthenticated v1.
 *
 * Test-only: GHPOOL_AWS_CONTAINER_HOST ("127.0.0.1:PORT") replaces the
 * 169.254.170.2 that AWS_CONTAINER_CREDENTIALS_RELATIVE_URI is relative to,
 * so end-to-end tests can serve ECS credentials from a fake.
 *
 * No secret value, secret access key, session token or web-identity token
 * goes into a log line or an error; buffers that held one are wiped.
 */
#include "aws.h"
#include "fetch.h"
#include "util.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#define AWS_MAX_FILE (1024 * 1024)
#define AWS_MAX_TOKEN_FILE (64 * 1024)
#define AWS_REFRESH_SECS 300            /* renew this long before Expiration */
#define AWS_CONTAINER_HOST "169.254.170.2"
#define AWS_IMDS_ENDPOINT "http://169.254.169.254"
#define AWS_TRIED "tried environment, web identity, shared files, container, EC2 instance metadata"

struct aws_creds {
	char *akid;
	char *secret;
	char *token;            /* session token; NULL for long-term keys */
	int64_t expires;        /* epoch seconds; 0 when none is known */
};

/* The credential and config files of the profile, read on first need. */
struct aws_shared {
	bool loaded;
	const char *profile;
	bool profile_set;       /* named by AWS_PROFILE, so it must exist */
	char *cred_path, *config_path;
	char *cred, *config;    /* contents; NULL when the file does not exist */
};

struct aws_ctx {
	char *const *envp;
	long timeout;
	const char *region;
	struct aws_shared sh;
	char note[192];         /* why IMDS found nothing, for the final error */
};

/* A source of temporary credentials, its settings, and how to fetch. */
struct aws_plan {
	int (*fetch)(struct aws_ctx *, const struct aws_plan *, struct aws_creds *,
	    char *, size_t);
	char *key;              /* the cache is good for this source only */
	char *url;
	const char *role_arn, *token_file;      /* web identity */
	const char *auth_file, *auth;           /* container */
};

static struct aws_creds aws_cached;
static char *aws_cached_key;

/*
 * Every exchange goes through fetch (bounded answer, no redirects, http and
 * https only, wiped buffers). Its failure text is curl's generic one only:
 * curl's error buffer could quote the request.
 */
static const struct fetch_options aws_fetch_opts = { .generic_errors = true };
/* Link-local credential endpoints: a proxy must never see their answers. */
static const struct fetch_options aws_local_opts = { .generic_errors = true, .no_proxy = true };

/* ------------------------------------------------------------------------
 * Small helpers
 * ---------------------------------------------------------------------- */

static void
aws_wipe_free(char *s)
{
	if (s == NULL)
		return;
	explicit_bzero(s, strlen(s));
	free(s);
}

static void
aws_creds_clear(struct aws_creds *c)
{
	aws_wipe_free(c->akid);
	aws_wipe_free(c->secret);
	aws_wipe_free(c->token);
	memset(c, 0, sizeof(*c));
}

static void
aws_creds_copy(struct aws_creds *dst, const struct aws_creds *src)
{
	dst->akid = util_strdup(src->akid);
	dst->secret = util_strdup(src->secret);
	dst->token = src->token ? util_strdup(src->token) : NULL;
	dst->expires = src->expires;
}

/* An empty variable counts as unset, as in the SDKs. */
static const char *
aws_env(char *const *envp, const char *name)
{
	const char *v = util_getenv(envp, name);

	return v != NULL && *v != '\0' ? v : NULL;
}

/* Trims ASCII whitespace in place; returns the first kept byte. */
static char *
aws_trim(char *s)
{
	size_t n;

	while (*s == ' ' || *s == '\t' || *s == '\r' || *s == '\n')
		s++;
	n = strlen(s);
	while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r' ||
	    s[n - 1] == '\n'))
		s[--n] = '\0';
	return s;
}

/*
 * Text an answer gave us, fit for one line of an error: control bytes become
 * spaces, it is cut short, and it is withheld outright if it repeats a
 * credential (a server echoing what we sent must not make us print it).
 */
static void
aws_clean(char *out, size_t outlen, const char *s, const char *const *secrets, size_t n)
{
	size_t i;

	for (size_t k = 0; k < n; k++)
		if (secrets[k] != NULL && *secrets[k] != '\0' && strstr(s, secrets[k]) != NULL) {
			snprintf(out, outlen, "(message withheld: it quotes a credential)");
			return;
		}
	for (i = 0; s[i] != '\0' && i + 1 < outlen && i < 240; i++)
		out[i] = (unsigned char)s[i] < 0x20 || s[i] == 0x7f ? ' ' : s[i];
	out[i] = '\0';
}

/* Appends "name: value"; the formatted copy is wiped (curl keeps its own). */
static void
aws_header(struct curl_slist **h, const char *name, const char *value)
{
	char *line = util_printf("%s: %s", name, value);
	struct curl_slist *n = curl_slist_append(*h, line);

	aws_wipe_free(line);
	if (n == NULL)
		abort();
	*h = n;
}


/*
 * The whole of a text file (NUL bytes refused), at most max bytes, in *out.
 * Returns 0, or an errno value (EFBIG: too large, EINVAL: not text).
 */
static int
aws_read_file(const char *path, size_t max, char **out)
{
	char *buf = NULL;
	size_t len = 0;
	ssize_t n;
	int fd, rc = 0;

	*out = NULL;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return errno;
	buf = malloc(max + 2);
	if (buf == NULL)
		abort();
	while ((n = read(fd, buf + len, max + 1 - len)) != 0) {
		if (n < 0) {
			if (errno == EINTR)
				continue;
			rc = errno;
			goto done;
		}
		len += (size_t)n;
		if (len > max) {
			rc = EFBIG;
			goto done;
		}
	}
	buf[len] = '\0';
	if (memchr(buf, '\0', len) != NULL) {
		rc = EINVAL;
		goto done;
	}
	*out = buf;
	buf = NULL;
done:
	if (buf != NULL) {
		explicit_bzero(buf, max + 2);
		free(buf);
	}
	close(fd);
	return rc;
}

static const char *
aws_file_error(int e)
{
	return e == EFBIG ? "too large" : e == EINVAL ? "not a text file" : strerror(e);
}

/* ------------------------------------------------------------------------
 * Parsers: ISO 8601 times, XML element text, INI files
 * ---------------------------------------------------------------------- */


/* Appends code point cp as UTF-8; false for what XML cannot hold. */
static bool
aws_utf8(char **o, uint32_t cp)
{
	unsigned char *u = (unsigned char *)*o;

	if (cp == 0 || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return false;
	if (cp < 0x80) {
		*u++ = (unsigned char)cp;
	} else if (cp < 0x800) {
		*u++ = (unsigned char)(0xc0 | cp >> 6);
		*u++ = (unsigned char)(0x80 | (cp & 0x3f));
	} else if (cp < 0x10000) {
		*u++ = (unsigned char)(0xe0 | cp >> 12);
		*u++ = (unsigned char)(0x80 | ((cp >> 6) & 0x3f));
		*u++ = (unsigned char)(0x80 | (cp & 0x3f));
	} else {
		*u++ = (unsigned char)(0xf0 | cp >> 18);
		*u++ = (unsigned char)(0x80 | ((cp >> 12) & 0x3f));
		*u++ = (unsigned char)(0x80 | ((cp >> 6) & 0x3f));
		*u++ = (unsigned char)(0x80 | (cp & 0x3f));
	}
	*o = (char *)u;
	return true;
}

/*
 * n bytes of element text with the five predefined entities and character
 * references decoded; NULL for markup inside or an unknown entity. A
 * reference is never shorter than its UTF-8, so n + 1 bytes suffice.
 */
static char *
aws_xml_decode(const char *s, size_t n)
{
	char *out = util_calloc(1, n + 1), *o = out;
	static const struct { const char *name; char c; } ents[] = {
		{ "amp", '&' }, { "lt", '<' }, { "gt", '>' }, { "quot", '"' }, { "apos", '\'' },
	};

	for (size_t i = 0; i < n; ) {
		const char *ent, *semi;
		size_t elen, k;
		uint32_t cp = 0;

		if (s[i] == '<')
			goto fail;
		if (s[i] != '&') {
			*o++ = s[i++];
			continue;
		}
		ent = s + i + 1;
		if ((semi = memchr(ent, ';', n - i - 1 < 10 ? n - i - 1 : 10)) == NULL)
			goto fail;
		elen = (size_t)(semi - ent);
		for (k = 0; k < sizeof(ents) / sizeof(ents[0]); k++)
			if (strlen(ents[k].name) == elen && memcmp(ent, ents[k].name, elen) == 0)
				break;
		if (k < sizeof(ents) / sizeof(ents[0])) {
			*o++ = ents[k].c;
		} else if (elen >= 2 && ent[0] == '#' && ent[1] != 'x') {
			int64_t v;

			if (util_parse_i64(ent + 1, elen - 1, 1, 0x10ffff, &v) < 0 ||
			    !aws_utf8(&o, (uint32_t)v))
				goto fail;
		} else if (elen >= 3 && elen <= 8 && ent[0] == '#' && ent[1] == 'x') {
			for (k = 2; k < elen; k++) {
				int d = util_hex_digit((unsigned char)ent[k]);

				if (d < 0)
					goto fail;
				cp = cp * 16 + (uint32_t)d;
			}
			if (!aws_utf8(&o, cp))
				goto fail;
		} else {
			goto fail;
		}
		i += elen + 2;
	}
	*o = '\0';
	return out;
fail:
	explicit_bzero(out, n + 1);
	free(out);
	return NULL;
}

/*
 * The decoded text of the first <name> element in s[0, len) (no NUL needed),
 * or NULL when there is none or it is not a leaf of plain text.
 */
static char *
aws_xml_text(const char *s, size_t len, const char *name)
{
	size_t nl = strlen(name);
	const char *p = s, *end = s + len, *gt, *close;
	char closing[80];

	if (nl == 0 || nl + 4 > sizeof(closing))
		return NULL;
	snprintf(closing, sizeof(closing), "</%s>", name);
	while (p < end && (p = memchr(p, '<', (size_t)(end - p))) != NULL) {
		if ((size_t)(end - p) > nl + 1 && memcmp(p + 1, name, nl) == 0 &&
		    strchr("> \t\r\n/", p[nl + 1]) != NULL && p[nl + 1] != '\0') {
			if ((gt = memchr(p, '>', (size_t)(end - p))) == NULL)
				return NULL;
			if (gt[-1] == '/')
				return util_strdup("");
			close = memmem(gt + 1, (size_t)(end - gt - 1), closing, nl + 3);
			if (close == NULL)
				return NULL;
			return aws_xml_decode(gt + 1, (size_t)(close - gt - 1));
		}
		p++;
	}
	return NULL;
}

/* Whether the header line [s, e) opens the profile's section. */
static bool
aws_ini_header(const char *s, const char *e, const char *profile, bool config_file)
{
	const char *close = memchr(s, ']', (size_t)(e - s));
	size_t plen = strlen(profile);

	if (close == NULL)
		return false;
	for (s++; s < close && (*s == ' ' || *s == '\t'); s++)
		;
	while (close > s && (close[-1] == ' ' || close[-1] == '\t'))
		close--;
	if (!config_file || ((size_t)(close - s) == 7 && memcmp(s, "default", 7) == 0))
		return (size_t)(close - s) == plen && memcmp(s, profile, plen) == 0;
	/* The config file names every profile but default "profile NAME". */
	if (close - s < 8 || memcmp(s, "profile", 7) != 0 || (s[7] != ' ' && s[7] != '\t'))
		return false;
	for (s += 7; s < close && (*s == ' ' || *s == '\t'); s++)
		;
	return (size_t)(close - s) == plen && memcmp(s, profile, plen) == 0;
}

/*
 * key's value in profile's section of INI text (the last one wins when a
 * section repeats), or NULL. *found says whether the section exists at all.
 * Comments are lines starting with '#' or ';', or one of them after a blank
 * on a value line; indented lines under an empty value ("s3 =") belong to
 * that value and are skipped. Keys ignore case.
 */
static char *
aws_ini_get(const char *text, const char *profile, bool config_file, const char *key,
    bool *found)
{
	const char *p = text;
	bool in = false, nested = false;
	char *val = NULL;

	while (text != NULL && *p != '\0') {
		const char *line = p, *le = strchr(p, '\n'), *eq, *k, *ke, *v, *ve;
		bool indented;

		le = le ? le : p + strlen(p);
		p = *le ? le + 1 : le;
		indented = *line == ' ' || *line == '\t';
		while (line < le && isspace((unsigned char)*line))
			line++;
		while (le > line && isspace((unsigned char)le[-1]))
			le--;
		if (line == le || *line == '#' || *line == ';')
			continue;
		if (*line == '[') {
			in = aws_ini_header(line, le, profile, config_file);
			nested = false;
			if (in && found != NULL)
				*found = true;
			continue;
		}
		if (!in || (indented && nested) || (eq = memchr(line, '=', (size_t)(le - line))) == NULL)
			continue;
		for (k = line, ke = eq; ke > k && isspace((unsigned char)ke[-1]); ke--)
			;
		for (v = eq + 1; v < le && isspace((unsigned char)*v); v++)
			;
		for (ve = v; ve < le; ve++)
			if ((*ve == '#' || *ve == ';') && ve > v && isspace((unsigned char)ve[-1]))
				break;
		while (ve > v && isspace((unsigned char)ve[-1]))
			ve--;
		nested = ve == v;
		if (util_slice_ieq(k, (size_t)(ke - k), key)) {
			aws_wipe_free(val);
			val = util_strndup(v, (size_t)(ve - v));
		}
	}
	return val;
}

/* ------------------------------------------------------------------------
 * Region, endpoints, shared files
 * ---------------------------------------------------------------------- */

/* "~/x" in a path variable, as the SDKs expand it. */
static char *
aws_path(char *const *envp, const char *var, const char *dflt)
{
	const char *v = aws_env(envp, var), *home = aws_env(envp, "HOME");

	if (v != NULL && strncmp(v, "~/", 2) == 0)
		return home ? util_printf("%s/%s", home, v + 2) : NULL;
	if (v != NULL)
		return util_strdup(v);
	return home ? util_printf("%s/%s", home, dflt) : NULL;
}

static int
aws_shared_read(const char *path, char **out, char *err, size_t errlen)
{
	int e;

	if (path == NULL)
		return 0;
	e = aws_read_file(path, AWS_MAX_FILE, out);
	if (e == ENOENT || e == ENOTDIR)
		return 0;
	if (e != 0) {
		snprintf(err, errlen, "cannot read AWS file %s: %s", path, aws_file_error(e));
		return -1;
	}
	return 0;
}

static int
aws_shared_load(struct aws_ctx *cx, char *err, size_t errlen)
{
	struct aws_shared *sh = &cx->sh;

	if (sh->loaded)
		return 0;
	sh->loaded = true;
	sh->profile = aws_env(cx->envp, "AWS_PROFILE");
	sh->profile_set = sh->profile != NULL;
	if (sh->profile == NULL)
		sh->profile = "default";
	sh->cred_path = aws_path(cx->envp, "AWS_SHARED_CREDENTIALS_FILE", ".aws/credentials");
	sh->config_path = aws_path(cx->envp, "AWS_CONFIG_FILE", ".aws/config");
	if (aws_shared_read(sh->cred_path, &sh->cred, err, errlen) < 0 ||
	    aws_shared_read(sh->config_path, &sh->config, err, errlen) < 0)
		return -1;
	return 0;
}

static void
aws_shared_free(struct aws_shared *sh)
{
	aws_wipe_free(sh->cred);
	aws_wipe_free(sh->config);
	free(sh->cred_path);
	free(sh->config_path);
	memset(sh, 0, sizeof(*sh));
}

/* key in the profile: the credentials file first (it wins in the SDKs). */
static char *
aws_shared_get(struct aws_shared *sh, const char *key, bool config_only)
{
	char *v = NULL;

	if (!config_only)
		v = aws_ini_get(sh->cred, sh->profile, false, key, NULL);
	if (v == NULL)
		v = aws_ini_get(sh->config, sh->profile, true, key, NULL);
	return v;
}

/* AWS_REGION, AWS_DEFAULT_REGION, else the profile's region. */
static char *
aws_region(struct aws_ctx *cx, char *err, size_t errlen)
{
	const char *v = aws_env(cx->envp, "AWS_REGION");
	char *r;
	size_t n;

	if (v == NULL)
		v = aws_env(cx->envp, "AWS_DEFAULT_REGION");
	if (v != NULL) {
		r = util_strdup(v);
	} else {
		if (aws_shared_load(cx, err, errlen) < 0)
			return NULL;
		if ((r = aws_shared_get(&cx->sh, "region", true)) == NULL) {
			snprintf(err, errlen, "no AWS region: set AWS_REGION (or region in the "
			    "profile '%s' of the AWS config file)", cx->sh.profile);
			return NULL;
		}
	}
	/* It becomes part of a host name and of the signature's scope. */
	n = strspn(r, "abcdefghijklmnopqrstuvwxyz0123456789-");
	if (n == 0 || r[n] != '\0' || n > 64) {
		snprintf(err, errlen, "AWS region '%.64s' is not a region name", r);
		free(r);
		return NULL;
	}
	return r;
}

/*
 * A service's base URL ending in '/': AWS_ENDPOINT_URL_<SERVICE>, else
 * AWS_ENDPOINT_URL, else the regional endpoint.
 */
static char *
aws_endpoint(struct aws_ctx *cx, const char *var, const char *service, char *err,
    size_t errlen)
{
	const char *v = aws_env(cx->envp, var), *name = var;
	size_t n;

	if (v == NULL) {
		name = "AWS_ENDPOINT_URL";
		v = aws_env(cx->envp, name);
	}
	if (v == NULL)
		return util_printf("https://%s.%s.amazonaws.com/", service, cx->region);
	if (strncmp(v, "http://", 7) != 0 && strncmp(v, "https://", 8) != 0) {
		snprintf(err, errlen, "%s must be an http:// or https:// URL", name);
		return NULL;
	}
	for (n = strlen(v); n > 0 && v[n - 1] == '/'; n--)
		;
	return util_printf("%.*s/", (int)n, v);
}

/* ------------------------------------------------------------------------
 * Credential sources
 * ---------------------------------------------------------------------- */

static int
aws_src_env(struct aws_ctx *cx, struct aws_creds *c, char *err, size_t errlen)
{
	const char *ak = aws_env(cx->envp, "AWS_ACCESS_KEY_ID");
	const char *sk = aws_env(cx->envp, "AWS_SECRET_ACCESS_KEY");
	const char *tok = aws_env(cx->envp, "AWS_SESSION_TOKEN");

	if (ak == NULL && sk == NULL)
		return 0;
	if (ak == NULL || sk == NULL) {
		snprintf(err, errlen, "AWS credentials from the environment: %s is set but %s is not",
		    ak ? "AWS_ACCESS_KEY_ID" : "AWS_SECRET_ACCESS_KEY",
		    ak ? "AWS_SECRET_ACCESS_KEY" : "AWS_ACCESS_KEY_ID");
		return -1;
	}
	if (tok != NULL && !util_header_value_ok(tok)) {
		snprintf(err, errlen, "AWS credentials from the environment: AWS_SESSION_TOKEN "
		    "contains control characters");
		return -1;
	}
	c->akid = util_strdup(ak);
	c->secret = util_strdup(sk);
	c->token = tok ? util_strdup(tok) : NULL;
	return 1;
}

static int
aws_src_shared(struct aws_ctx *cx, struct aws_creds *c, char *err, size_t errlen)
{
	static const char *const unsupported[] = {
		"role_arn", "source_profile", "credential_source", "credential_process",
		"web_identity_token_file", "sso_session", "sso_start_url", "sso_account_id",
		"sso_role_name", "login_session",
	};
	struct aws_shared *sh = &cx->sh;
	bool found = false;
	char *ak = NULL, *sk = NULL, *tok = NULL, *v;
	int rc = -1;

	if (aws_shared_load(cx, err, errlen) < 0)
		return -1;
	aws_wipe_free(aws_ini_get(sh->cred, sh->profile, false, "", &found));
	aws_wipe_free(aws_ini_get(sh->config, sh->profile, true, "", &found));
	if (!found) {
		if (!sh->profile_set)
			return 0;
		snprintf(err, errlen, "AWS profile '%s' (AWS_PROFILE) is in neither %s nor %s",
		    sh->profile, sh->cred_path ? sh->cred_path : "(no credentials file)",
		    sh->config_path ? sh->config_path : "(no config file)");
		return -1;
	}
	for (size_t i = 0; i < sizeof(unsupported) / sizeof(unsupported[0]); i++)
		if ((v = aws_shared_get(sh, unsupported[i], false)) != NULL) {
			free(v);
			snprintf(err, errlen, "AWS profile '%s' uses %s, which ghpool does not support",
			    sh->profile, unsupported[i]);
			return -1;
		}
	ak = aws_shared_get(sh, "aws_access_key_id", false);
	sk = aws_shared_get(sh, "aws_secret_access_key", false);
	tok = aws_shared_get(sh, "aws_session_token", false);
	if (ak == NULL && sk == NULL) {
		/* A profile of settings only (region, ...): not a credential source. */
		rc = 0;
		goto done;
	}
	if (ak == NULL || sk == NULL || *ak == '\0' || *sk == '\0') {
		snprintf(err, errlen, "AWS profile '%s' has %s but no %s", sh->profile,
		    ak && *ak ? "aws_access_key_id" : "aws_secret_access_key",
		    ak && *ak ? "aws_secret_access_key" : "aws_access_key_id");
		goto done;
	}
	if (tok != NULL && !util_header_value_ok(tok)) {
		snprintf(err, errlen, "AWS profile '%s': aws_session_token contains control "
		    "characters", sh->profile);
		goto done;
	}
	c->akid = ak;
	c->secret = sk;
	c->token = tok != NULL && *tok != '\0' ? tok : NULL;
	if (c->token == NULL)
		aws_wipe_free(tok);
	ak = sk = tok = NULL;
	rc = 1;
done:
	aws_wipe_free(ak);
	aws_wipe_free(sk);
	aws_wipe_free(tok);
	return rc;
}

/* AccessKeyId, SecretAccessKey, Token, Expiration of a container or IMDS answer. */
static int
aws_json_creds(const struct fetch_answer *b, struct aws_creds *c, const char *what, char *err,
    size_t errlen)
{
	json_t *doc = b->body ? json_loadb(b->body, b->len, 0, NULL) : NULL;
	const char *ak = json_string_value(json_object_get(doc, "AccessKeyId"));
	const char *sk = json_string_value(json_object_get(doc, "SecretAccessKey"));
	const char *tok = json_string_value(json_object_get(doc, "Token"));
	const char *exp = json_string_value(json_object_get(doc, "Expiration"));
	const char *code = json_string_value(json_object_get(doc, "Code"));
	char text[128];
	int rc = -1;

	if (code != NULL && strcmp(code, "Success") != 0) {
		aws_clean(text, sizeof(text), code, (const char *const[]){ sk, tok }, 2);
		snprintf(err, errlen, "%s: the answer's Code is %s", what, text);
		goto done;
	}
	if (ak == NULL || sk == NULL || *ak == '\0' || *sk == '\0') {
		snprintf(err, errlen, "%s: the answer holds no AccessKeyId and SecretAccessKey", what);
		goto done;
	}
	if (tok != NULL && !util_header_value_ok(tok)) {
		snprintf(err, errlen, "%s: the answer's Token contains control characters", what);
		goto done;
	}
	c->expires = 0;
	if (exp != NULL && (c->expires = util_parse_utc_time(exp)) < 0) {
		aws_clean(text, sizeof(text), exp, NULL, 0);
		snprintf(err, errlen, "%s: cannot read Expiration '%s'", what, text);
		c->expires = 0;
		goto done;
	}
	c->akid = util_strdup(ak);
	c->secret = util_strdup(sk);
	c->token = tok != NULL && *tok != '\0' ? util_strdup(tok) : NULL;
	rc = 1;
done:
	json_decref(doc);
	return rc;
}

/* The code and message of a JSON error answer, for "what answered HTTP n: ...". */
static void
aws_json_error(const struct fetch_answer *b, long status, const char *what, const char *secret,
    char *err, size_t errlen)
{
	json_t *doc = b->body ? json_loadb(b->body, b->len, 0, NULL) : NULL;
	const char *code = json_string_value(json_object_get(doc, "code"));
	const char *msg = json_string_value(json_object_get(doc, "message"));
	char c[96], m[256];

	if (code == NULL)
		code = json_string_value(json_object_get(doc, "Code"));
	if (msg == NULL)
		msg = json_string_value(json_object_get(doc, "Message"));
	aws_clean(c, sizeof(c), code ? code : "", (const char *const[]){ secret }, 1);
	aws_clean(m, sizeof(m), msg ? msg : "", (const char *const[]){ secret }, 1);
	snprintf(err, errlen, "%s answered HTTP %ld%s%s%s%s", what, status, *c || *m ? ": " : "",
	    c, *c && *m ? ": " : "", m);
	json_decref(doc);
}

static int
aws_web_fetch(struct aws_ctx *cx, const struct aws_plan *pl, struct aws_creds *c, char *err,
    size_t errlen)
{
	const char *sess_env = aws_env(cx->envp, "AWS_ROLE_SESSION_NAME");
	char *file = NULL, *tok, *session = NULL, *body = NULL, *exp = NULL;
	char *e_role = NULL, *e_sess = NULL, *e_tok = NULL, *code = NULL, *msg = NULL;
	char why[160], cl[96], ml[256];
	struct curl_slist *h = NULL;
	struct fetch_answer b = { 0 };
	struct fetch_request rq = { 0 };
	int rc = -1, fe;

	if ((fe = aws_read_file(pl->token_file, AWS_MAX_TOKEN_FILE, &file)) != 0) {
		snprintf(err, errlen, "AWS web identity: cannot read AWS_WEB_IDENTITY_TOKEN_FILE %s: %s",
		    pl->token_file, aws_file_error(fe));
		goto done;
	}
	tok = aws_trim(file);
	if (*tok == '\0') {
		snprintf(err, errlen, "AWS web identity: AWS_WEB_IDENTITY_TOKEN_FILE %s is empty",
		    pl->token_file);
		goto done;
	}
	session = sess_env ? util_strdup(sess_env) : util_printf("ghpool-%ld", (long)getpid());
	e_role = curl_easy_escape(NULL, pl->role_arn, 0);
	e_sess = curl_easy_escape(NULL, session, 0);
	e_tok = curl_easy_escape(NULL, tok, 0);
	if (e_role == NULL || e_sess == NULL || e_tok == NULL)
		abort();
	body = util_printf("Action=AssumeRoleWithWebIdentity&Version=2011-06-15&RoleArn=%s"
	    "&RoleSessionName=%s&WebIdentityToken=%s", e_role, e_sess, e_tok);
	aws_header(&h, "Content-Type", "application/x-www-form-urlencoded");
	aws_header(&h, "Accept", "text/xml");
	/* A JWT makes the body large enough for curl to wait on 100-continue. */
	h = curl_slist_append(h, "Expect:");
	rq = (struct fetch_request){ .url = pl->url, .headers = h, .body = body,
	    .timeout_secs = cx->timeout };
	if (fetch_perform_with(&rq, &aws_fetch_opts, &b, why, sizeof(why)) < 0) {
		snprintf(err, errlen, "AWS web identity: cannot reach STS at %s: %s", pl->url, why);
		goto done;
	}
	if (b.status != 200) {
		code = b.body ? aws_xml_text(b.body, b.len, "Code") : NULL;
		msg = b.body ? aws_xml_text(b.body, b.len, "Message") : NULL;
		aws_clean(cl, sizeof(cl), code ? code : "", (const char *const[]){ tok }, 1);
		aws_clean(ml, sizeof(ml), msg ? msg : "", (const char *const[]){ tok }, 1);
		if (code != NULL)
			snprintf(err, errlen, "AWS web identity: STS AssumeRoleWithWebIdentity: %s%s%s",
			    cl, *ml ? ": " : "", ml);
		else
			snprintf(err, errlen, "AWS web identity: STS answered HTTP %ld", b.status);
		goto done;
	}
	c->akid = aws_xml_text(b.body ? b.body : "", b.len, "AccessKeyId");
	c->secret = aws_xml_text(b.body ? b.body : "", b.len, "SecretAccessKey");
	c->token = aws_xml_text(b.body ? b.body : "", b.len, "SessionToken");
	exp = aws_xml_text(b.body ? b.body : "", b.len, "Expiration");
	if (c->akid == NULL || c->secret == NULL || c->token == NULL || !*c->akid || !*c->secret) {
		snprintf(err, errlen, "AWS web identity: STS's answer holds no credentials");
		goto done;
	}
	if (!util_header_value_ok(c->token)) {
		snprintf(err, errlen, "AWS web identity: STS's SessionToken contains control characters");
		goto done;
	}
	if (exp == NULL || (c->expires = util_parse_utc_time(exp)) < 0) {
		aws_clean(ml, sizeof(ml), exp ? exp : "(none)", NULL, 0);
		snprintf(err, errlen, "AWS web identity: cannot read STS's Expiration '%s'", ml);
		goto done;
	}
	rc = 1;
done:
	if (rc != 1)
		aws_creds_clear(c);
	if (file != NULL)
		aws_wipe_free(file);
	aws_wipe_free(body);
	if (e_tok != NULL) {
		explicit_bzero(e_tok, strlen(e_tok));
		curl_free(e_tok);
	}
	curl_free(e_role);
	curl_free(e_sess);
	free(session);
	free(exp);
	free(code);
	free(msg);
	util_headers_free(h);
	fetch_answer_clear(&b);
	return rc;
}

static int
aws_container_fetch(struct aws_ctx *cx, const struct aws_plan *pl, struct aws_creds *c,
    char *err, size_t errlen)
{
	char *file = NULL, *auth = NULL, why[160];
	struct curl_slist *h = NULL;
	struct fetch_answer b = { 0 };
	struct fetch_request rq = { 0 };
	int rc = -1, fe;

	/* The file is re-read on each fetch: the agent rotates the token in it. */
	if (pl->auth_file != NULL) {
		if ((fe = aws_read_file(pl->auth_file, AWS_MAX_TOKEN_FILE, &file)) != 0) {
			snprintf(err, errlen, "AWS container credentials: cannot read "
			    "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE %s: %s", pl->auth_file,
			    aws_file_error(fe));
			goto done;
		}
		auth = aws_trim(file);
	} else if (pl->auth != NULL) {
		auth = (char *)pl->auth;
	}
	if (auth != NULL && !util_header_value_ok(auth)) {
		snprintf(err, errlen, "AWS container credentials: the authorization token contains "
		    "control characters");
		goto done;
	}
	if (auth != NULL && *auth != '\0')
		aws_header(&h, "Authorization", auth);
	aws_header(&h, "Accept", "application/json");
	rq = (struct fetch_request){ .url = pl->url, .headers = h, .timeout_secs = cx->timeout };
	if (fetch_perform_with(&rq, &aws_local_opts, &b, why, sizeof(why)) < 0) {
		snprintf(err, errlen, "AWS container credentials: cannot reach %s: %s", pl->url, why);
		goto done;
	}
	if (b.status != 200) {
		char what[320];

		snprintf(what, sizeof(what), "AWS container credentials: %s", pl->url);
		aws_json_error(&b, b.status, what, auth, err, errlen);
		goto done;
	}
	rc = aws_json_creds(&b, c, "AWS container credentials", err, errlen);
done:
	aws_wipe_free(file);
	util_headers_free(h);
	fetch_answer_clear(&b);
	return rc;
}

static int
aws_imds_fetch(struct aws_ctx *cx, const struct aws_plan *pl, struct aws_creds *c,
    char *err, size_t errlen)
{
	char *url = NULL, *role, why[160];
	struct curl_slist *h = NULL;
	struct fetch_answer tok = { 0 }, b = { 0 };
	/* Off EC2 nothing answers: a short connect timeout keeps start-up quick. */
	static const struct fetch_options imds_opts = { .connect_timeout_secs = 1,
	    .generic_errors = true, .no_proxy = true };
	struct fetch_request rq = { 0 };
	long st, t = cx->timeout < 2 ? cx->timeout : 2;
	int rc = -1;

	url = util_printf("%s/latest/api/token", pl->url);
	aws_header(&h, "X-aws-ec2-metadata-token-ttl-seconds", "21600");
	rq = (struct fetch_request){ .method = "PUT", .url = url, .headers = h,
	    .timeout_secs = t };
	if (fetch_perform_with(&rq, &imds_opts, &tok, why, sizeof(why)) < 0) {
		/* Nothing answered at all: not on EC2, so not configured. */
		if (tok.result == CURLE_COULDNT_CONNECT || tok.result == CURLE_COULDNT_RESOLVE_HOST ||
		    tok.result == CURLE_OPERATION_TIMEDOUT) {
			snprintf(cx->note, sizeof(cx->note), "not reachable at %s", pl->url);
			rc = 0;
		} else {
			snprintf(err, errlen, "AWS EC2 instance metadata: PUT %s: %s", url, why);
		}
		goto done;
	}
	st = tok.status;
	if (st != 200 || tok.body == NULL || !util_header_value_ok(aws_trim(tok.body)) ||
	    !*aws_trim(tok.body)) {
		snprintf(err, errlen, "AWS EC2 instance metadata: PUT %s answered HTTP %ld without a "
		    "session token (ghpool needs IMDSv2)", url, st);
		goto done;
	}
	util_headers_free(h);
	h = NULL;
	aws_header(&h, "X-aws-ec2-metadata-token", aws_trim(tok.body));
	free(url);
	url = util_printf("%s/latest/meta-data/iam/security-credentials/", pl->url);
	rq.method = NULL;
	rq.url = url;
	rq.headers = h;
	if (fetch_perform_with(&rq, &imds_opts, &b, why, sizeof(why)) < 0) {
		snprintf(err, errlen, "AWS EC2 instance metadata: GET %s: %s", url, why);
		goto done;
	}
	st = b.status;
	role = b.body ? aws_trim(b.body) : NULL;
	if (role != NULL)
		role[strcspn(role, "\r\n")] = '\0';
	if (st == 404 || (st == 200 && (role == NULL || *role == '\0'))) {
		snprintf(cx->note, sizeof(cx->note), "no IAM role at %s", pl->url);
		rc = 0;
		goto done;
	}
	if (st != 200) {
		snprintf(err, errlen, "AWS EC2 instance metadata: GET %s answered HTTP %ld", url, st);
		goto done;
	}
	/* IAM role names use these characters only; anything else is not a name. */
	if (strspn(role, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789+=,.@_-") !=
	    strlen(role) || strlen(role) > 128) {
		snprintf(err, errlen, "AWS EC2 instance metadata: the role name is not an IAM role name");
		goto done;
	}
	free(url);
	url = util_printf("%s/latest/meta-data/iam/security-credentials/%s", pl->url, role);
	fetch_answer_clear(&b);
	rq.url = url;
	if (fetch_perform_with(&rq, &imds_opts, &b, why, sizeof(why)) < 0) {
		snprintf(err, errlen, "AWS EC2 instance metadata: GET %s: %s", url, why);
		goto done;
	}
	st = b.status;
	if (st != 200) {
		snprintf(err, errlen, "AWS EC2 instance metadata: GET %s answered HTTP %ld", url, st);
		goto done;
	}
	rc = aws_json_creds(&b, c, "AWS EC2 instance metadata", err, errlen);
done:
	free(url);
	util_headers_free(h);
	fetch_answer_clear(&tok);
	fetch_answer_clear(&b);
	return rc;
}

/* Web identity: configured when AWS_WEB_IDENTITY_TOKEN_FILE is set. */
static int
aws_plan_web(struct aws_ctx *cx, struct aws_plan *pl, char *err, size_t errlen)
{
	const char *file = aws_env(cx->envp, "AWS_WEB_IDENTITY_TOKEN_FILE");
	const char *role = aws_env(cx->envp, "AWS_ROLE_ARN");

	if (file == NULL)
		return 0;
	if (role == NULL) {
		snprintf(err, errlen, "AWS web identity: AWS_WEB_IDENTITY_TOKEN_FILE is set but "
		    "AWS_ROLE_ARN is not");
		return -1;
	}
	if ((pl->url = aws_endpoint(cx, "AWS_ENDPOINT_URL_STS", "sts", err, errlen)) == NULL)
		return -1;
	pl->fetch = aws_web_fetch;
	pl->role_arn = role;
	pl->token_file = file;
	pl->key = util_printf("web\n%s\n%s\n%s", role, file, pl->url);
	return 1;
}

/*
 * Whether a FULL_URI may be used: https anywhere, http only to this host or
 * the ECS and EKS agents (what the SDKs allow), since the answer is
 * credentials. Hosts are literal addresses or "localhost": a name that
 * resolves elsewhere later is not a loopback address now.
 */
static bool
aws_container_host_ok(const char *uri)
{
	static const unsigned char eks6[16] = { 0xfd, 0x00, 0x0e, 0xc2, [15] = 0x23 };
	CURLU *u = curl_url();
	char *scheme = NULL, *host = NULL, *h;
	unsigned char a[16];
	bool ok = false;
	size_t n;

	if (u == NULL)
		abort();
	if (curl_url_set(u, CURLUPART_URL, uri, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK)
		goto done;
	if (strcasecmp(scheme, "https") == 0) {
		ok = true;
		goto done;
	}
	if (strcasecmp(scheme, "http") != 0)
		goto done;
	h = host;
	if (*h == '[' && (n = strlen(h)) > 2 && h[n - 1] == ']') {
		h[n - 1] = '\0';
		h++;
	}
	if (inet_pton(AF_INET, h, a) == 1)
		ok = a[0] == 127 || (a[0] == 169 && a[1] == 254 && a[2] == 170 &&
		    (a[3] == 2 || a[3] == 23));
	else if (inet_pton(AF_INET6, h, a) == 1)
		ok = memcmp(a, &in6addr_loopback, 16) == 0 || memcmp(a, eks6, 16) == 0;
	else
		ok = strcasecmp(h, "localhost") == 0;
done:
	curl_free(scheme);
	curl_free(host);
	curl_url_cleanup(u);
	return ok;
}

/* Container: AWS_CONTAINER_CREDENTIALS_RELATIVE_URI, else ..._FULL_URI. */
static int
aws_plan_container(struct aws_ctx *cx, struct aws_plan *pl, char *err, size_t errlen)
{
	const char *rel = aws_env(cx->envp, "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI");
	const char *full = aws_env(cx->envp, "AWS_CONTAINER_CREDENTIALS_FULL_URI");
	const char *host = aws_env(cx->envp, "GHPOOL_AWS_CONTAINER_HOST");

	if (rel != NULL) {
		if (*rel != '/') {
			snprintf(err, errlen, "AWS container credentials: "
			    "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI must start with '/'");
			return -1;
		}
		pl->url = util_printf("http://%s%s", host ? host : AWS_CONTAINER_HOST, rel);
	} else if (full != NULL) {
		if (!aws_container_host_ok(full)) {
			snprintf(err, errlen, "AWS container credentials: AWS_CONTAINER_CREDENTIALS_FULL_URI "
			    "must be https, or http to a loopback address or the ECS/EKS agent");
			return -1;
		}
		pl->url = util_strdup(full);
	} else {
		return 0;
	}
	pl->fetch = aws_container_fetch;
	pl->auth_file = aws_env(cx->envp, "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE");
	pl->auth = aws_env(cx->envp, "AWS_CONTAINER_AUTHORIZATION_TOKEN");
	pl->key = util_printf("container\n%s", pl->url);
	return 1;
}

static int
aws_plan_imds(struct aws_ctx *cx, struct aws_plan *pl)
{
	const char *off = aws_env(cx->envp, "AWS_EC2_METADATA_DISABLED");
	const char *ep = aws_env(cx->envp, "AWS_EC2_METADATA_SERVICE_ENDPOINT");
	size_t n;

	if (off != NULL && strcasecmp(off, "true") == 0) {
		snprintf(cx->note, sizeof(cx->note), "disabled by AWS_EC2_METADATA_DISABLED");
		return 0;
	}
	ep = ep ? ep : AWS_IMDS_ENDPOINT;
	for (n = strlen(ep); n > 0 && ep[n - 1] == '/'; n--)
		;
	pl->url = util_printf("%.*s", (int)n, ep);
	pl->fetch = aws_imds_fetch;
	pl->key = util_printf("imds\n%s", pl->url);
	return 1;
}

/* Whether the cache holds credentials of this source with time left. */
static bool
aws_cache_fresh(const char *key, int64_t now)
{
	return aws_cached_key != NULL && strcmp(aws_cached_key, key) == 0 &&
	    aws_cached.expires > 0 && now < aws_cached.expires - AWS_REFRESH_SECS;
}

static void
aws_cache_drop(void)
{
	aws_creds_clear(&aws_cached);
	free(aws_cached_key);
	aws_cached_key = NULL;
}

static void
aws_cache_store(const char *key, const struct aws_creds *c)
{
	aws_cache_drop();
	if (c->expires <= 0)
		return;
	aws_creds_copy(&aws_cached, c);
	aws_cached_key = util_strdup(key);
}

/*
 * Credentials from the first configured source, into c (the caller clears
 * it); *cached when they came from the cache. -1 with the reason in err.
 */
static int
aws_chain(struct aws_ctx *cx, struct aws_creds *c, bool *cached, char *err, size_t errlen)
{
	struct aws_plan pl = { 0 };
	int rc;

	*cached = false;
	cx->note[0] = '\0';
	if ((rc = aws_src_env(cx, c, err, errlen)) != 0)
		goto done;
	if ((rc = aws_plan_web(cx, &pl, err, errlen)) != 0)
		goto temporary;
	if ((rc = aws_src_shared(cx, c, err, errlen)) != 0)
		goto done;
	if ((rc = aws_plan_container(cx, &pl, err, errlen)) != 0)
		goto temporary;
	if ((rc = aws_plan_imds(cx, &pl)) != 0)
		goto temporary;
	goto none;
temporary:
	if (rc < 0)
		goto done;
	if (aws_cache_fresh(pl.key, util_now())) {
		aws_creds_copy(c, &aws_cached);
		*cached = true;
		goto done;
	}
	if ((rc = pl.fetch(cx, &pl, c, err, errlen)) > 0)
		aws_cache_store(pl.key, c);
	if (rc != 0)
		goto done;
none:
	snprintf(err, errlen, "no AWS credentials found (%s%s%s)", AWS_TRIED,
	    cx->note[0] ? ": " : "", cx->note);
	rc = -1;
done:
	/* The key id goes into the Authorization header that SigV4 writes. */
	if (rc > 0 && !util_header_value_ok(c->akid)) {
		snprintf(err, errlen, "the AWS access key id contains control characters");
		aws_creds_clear(c);
		rc = -1;
	}
	free(pl.key);
	free(pl.url);
	return rc;
}

/* ------------------------------------------------------------------------
 * Secrets Manager
 * ---------------------------------------------------------------------- */

/* An AWS JSON error answer: "AWS Secrets Manager: <type>: <message>". */
static void
aws_sm_error(const struct fetch_answer *b, long st, const struct aws_creds *c, bool *auth_failed,
    char *err, size_t errlen)
{
	json_t *doc = b->body ? json_loadb(b->body, b->len, 0, NULL) : NULL;
	const char *type = json_string_value(json_object_get(doc, "__type"));
	const char *msg = json_string_value(json_object_get(doc, "message"));
	const char *const secrets[] = { c->secret, c->token };
	char t[128], m[256];

	if (msg == NULL)
		msg = json_string_value(json_object_get(doc, "Message"));
	if (type == NULL) {
		snprintf(err, errlen, "AWS Secrets Manager answered HTTP %ld", st);
		goto done;
	}
	/* "com.amazon.coral.service#Code" and "Code:http://..." both name Code. */
	if (strrchr(type, '#') != NULL)
		type = strrchr(type, '#') + 1;
	aws_clean(t, sizeof(t), type, secrets, 2);
	t[strcspn(t, ":")] = '\0';
	aws_clean(m, sizeof(m), msg ? msg : "", secrets, 2);
	snprintf(err, errlen, "AWS Secrets Manager: %s%s%s", t, *m ? ": " : "", m);
	*auth_failed = strcmp(t, "ExpiredTokenException") == 0 ||
	    strcmp(t, "UnrecognizedClientException") == 0;
done:
	json_decref(doc);
}

/* The string under json_key in a GetSecretValue answer's SecretString. */
static char *
aws_sm_value(const struct fetch_answer *b, const char *json_key, char *err, size_t errlen)
{
	json_t *doc = b->body ? json_loadb(b->body, b->len, 0, NULL) : NULL, *inner = NULL, *v;
	json_t *ss = json_object_get(doc, "SecretString");
	char *value = NULL;

	if (!json_is_object(doc)) {
		snprintf(err, errlen, "AWS Secrets Manager: the answer is not a JSON object");
		goto done;
	}
	if (!json_is_string(ss)) {
		snprintf(err, errlen, json_object_get(doc, "SecretBinary") != NULL ?
		    "AWS Secrets Manager: the secret is binary (SecretBinary), which ghpool does not "
		    "support: store a JSON object in SecretString" :
		    "AWS Secrets Manager: the answer has no SecretString");
		goto done;
	}
	/* json_error_t is not used: its text quotes the input, i.e. the secret. */
	inner = json_loadb(json_string_value(ss), json_string_length(ss), JSON_ALLOW_NUL, NULL);
	if (!json_is_object(inner)) {
		snprintf(err, errlen, "AWS Secrets Manager: the SecretString is not a JSON object "
		    "(expected {\"%s\": \"...\"})", json_key);
		goto done;
	}
	if ((v = json_object_get(inner, json_key)) == NULL) {
		snprintf(err, errlen, "AWS Secrets Manager: the SecretString has no key '%s'", json_key);
		goto done;
	}
	if (!json_is_string(v) || json_string_length(v) == 0 ||
	    memchr(json_string_value(v), '\0', json_string_length(v)) != NULL) {
		snprintf(err, errlen, "AWS Secrets Manager: key '%s' of the SecretString is %s",
		    json_key, !json_is_string(v) ? "not a string" :
		    json_string_length(v) == 0 ? "empty" : "not text");
		goto done;
	}
	value = util_strndup(json_string_value(v), json_string_length(v));
done:
	json_decref(inner);
	json_decref(doc);
	return value;
}

/*
 * GetSecretValue with credentials c. NULL with err on failure; *auth_failed
 * when AWS refused the credentials themselves (fresh ones may do).
 */
static char *
aws_sm_get(struct aws_ctx *cx, const char *endpoint, const struct aws_creds *c,
    const char *secret_id, const char *json_key, bool *auth_failed, char *err, size_t errlen)
{
	json_t *req = json_pack("{s:s}", "SecretId", secret_id);
	char *body = req ? json_dumps(req, JSON_COMPACT) : NULL, *sigv4 = NULL, *value = NULL;
	char why[160];
	struct curl_slist *h = NULL;
	struct fetch_answer b = { 0 };
	struct fetch_request rq = { 0 };
	struct fetch_options opts = aws_fetch_opts;

	*auth_failed = false;
	if (body == NULL) {
		snprintf(err, errlen, "AWS Secrets Manager: the secret id is not valid UTF-8");
		goto done;
	}
	sigv4 = util_printf("aws:amz:%s:secretsmanager", cx->region);
	aws_header(&h, "X-Amz-Target", "secretsmanager.GetSecretValue");
	aws_header(&h, "Content-Type", "application/x-amz-json-1.1");
	/* A caller header, so curl signs it along with the rest. */
	if (c->token != NULL)
		aws_header(&h, "X-Amz-Security-Token", c->token);
	rq = (struct fetch_request){ .url = endpoint, .headers = h, .body = body,
	    .timeout_secs = cx->timeout };
	opts.aws_sigv4 = sigv4;
	opts.username = c->akid;
	opts.password = c->secret;
	if (fetch_perform_with(&rq, &opts, &b, why, sizeof(why)) < 0) {
		snprintf(err, errlen, "AWS Secrets Manager: cannot reach %s: %s", endpoint, why);
		goto done;
	}
	if (b.status != 200)
		aws_sm_error(&b, b.status, c, auth_failed, err, errlen);
	else
		value = aws_sm_value(&b, json_key, err, errlen);
done:
	util_headers_free(h);
	fetch_answer_clear(&b);
	free(sigv4);
	free(body);
	json_decref(req);
	return value;
}

char *
aws_secret_resolve(const char *secret_id, const char *json_key,
    char *const *envp, long timeout_secs, char *err, size_t errlen)
{
	struct aws_ctx cx = { .envp = envp, .timeout = timeout_secs > 0 ? timeout_secs : 10 };
	struct aws_creds c = { 0 };
	char *region = NULL, *endpoint = NULL, *value = NULL;
	bool cached, auth_failed;

	if (secret_id == NULL || *secret_id == '\0' || json_key == NULL || *json_key == '\0') {
		snprintf(err, errlen, "AWS Secrets Manager needs a secret id and a JSON key");
		goto done;
	}
	if ((region = aws_region(&cx, err, errlen)) == NULL)
		goto done;
	cx.region = region;
	endpoint = aws_endpoint(&cx, "AWS_ENDPOINT_URL_SECRETS_MANAGER", "secretsmanager", err,
	    errlen);
	if (endpoint == NULL || aws_chain(&cx, &c, &cached, err, errlen) < 0)
		goto done;
	value = aws_sm_get(&cx, endpoint, &c, secret_id, json_key, &auth_failed, err, errlen);
	if (value == NULL && auth_failed && cached) {
		/* Revoked or rotated before their Expiration: fetch afresh, once. */
		aws_cache_drop();
		aws_creds_clear(&c);
		if (aws_chain(&cx, &c, &cached, err, errlen) < 0)
			goto done;
		value = aws_sm_get(&cx, endpoint, &c, secret_id, json_key, &auth_failed, err, errlen);
	}
done:
	aws_creds_clear(&c);
	aws_shared_free(&cx.sh);
	free(region);
	free(endpoint);
	return value;
}

void
aws_cleanup(void)
{
	aws_cache_drop();
}
