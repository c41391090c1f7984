/*
 * secret.c - token references: their syntax, and resolution by kind.
 *
 * Kubernetes mounts a secret as a directory with one file per key, written
 * by the kubelet through a "..data" symlink that it swaps atomically on
 * update; opening <dir>/<secret>/<key> follows it, so a rotated secret is
 * read whole, old or new. The namespace in the reference documents intent:
 * the mount decides which namespace's secret is there.
 */
#include "secret.h"
#include "aws.h"
#include "gcp.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define SECRET_MAX_FILE (64 * 1024)

static bool
secret_has_prefix(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

const char *
secret_kind(const char *ref)
{
	if (secret_has_prefix(ref, "env:"))
		return "env";
	if (secret_has_prefix(ref, "k8s:"))
		return "k8s";
	if (secret_has_prefix(ref, "aws:"))
		return "aws";
	if (secret_has_prefix(ref, "gcp:"))
		return "gcp";
	return "literal";
}

/* A Kubernetes object name or key: DNS-1123-ish, never a path trick. */
static bool
secret_k8s_name_ok(const char *s, size_t n)
{
	if (n == 0 || n > 253 || (n <= 2 && s[0] == '.'))
		return false;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') ||
		    (s[i] >= '0' && s[i] <= '9') || s[i] == '-' || s[i] == '_' || s[i] == '.'))
			return false;
	return true;
}

/* k8s:<namespace>/<secret>:<key> -> the three slices. */
static bool
secret_k8s_split(const char *ref, const char **ns, size_t *ns_len, const char **name,
    size_t *name_len, const char **key)
{
	const char *p = ref + 4, *slash = strchr(p, '/'), *colon;

	if (slash == NULL || (colon = strchr(slash, ':')) == NULL)
		return false;
	*ns = p;
	*ns_len = (size_t)(slash - p);
	*name = slash + 1;
	*name_len = (size_t)(colon - slash - 1);
	*key = colon + 1;
	return secret_k8s_name_ok(*ns, *ns_len) && secret_k8s_name_ok(*name, *name_len) &&
	    secret_k8s_name_ok(*key, strlen(*key));
}

const char *
secret_ref_invalid(const char *ref)
{
	const char *ns, *name, *key, *last;
	size_t ns_len, name_len;

	if (secret_has_prefix(ref, "env:"))
		return ref[4] == '\0' ? "'env:' needs a variable name" : NULL;
	if (secret_has_prefix(ref, "k8s:"))
		return secret_k8s_split(ref, &ns, &ns_len, &name, &name_len, &key) ? NULL :
		    "expected k8s:<namespace>/<secret-name>:<key> (letters, digits, '-', '_', '.')";
	if (secret_has_prefix(ref, "aws:")) {
		if (!secret_has_prefix(ref, "aws:secretsmanager:"))
			return "the only AWS source is aws:secretsmanager:<secret-id>:<json-key>";
		last = strrchr(ref, ':');
		if (last <= ref + 19 || last[1] == '\0')
			return "expected aws:secretsmanager:<secret-id>:<json-key>";
		return NULL;
	}
	if (secret_has_prefix(ref, "gcp:")) {
		if (!secret_has_prefix(ref, "gcp:secretmanager:projects/"))
			return "expected gcp:secretmanager:projects/<project>/secrets/<secret>/versions/<version>";
		return NULL;
	}
	return NULL;
}

bool
secret_clean(const char *t)
{
	for (; *t; t++)
		if ((unsigned char)*t <= ' ' || *t == 0x7f)
			return false;
	return true;
}

static char *
secret_k8s(const char *ref, const struct secret_opts *o, char *err, size_t errlen)
{
	const char *ns, *name, *key;
	size_t ns_len, name_len, len = 0;
	char *path = NULL, *buf = NULL, *out = NULL;
	ssize_t n;
	int fd = -1;

	if (!secret_k8s_split(ref, &ns, &ns_len, &name, &name_len, &key)) {
		snprintf(err, errlen, "%s", secret_ref_invalid(ref));
		goto done;
	}
	path = util_printf("%s/%.*s/%s", o->k8s_dir ? o->k8s_dir : SECRET_K8S_DIR,
	    (int)name_len, name, key);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0) {
		snprintf(err, errlen, "cannot read %s: %s (is the secret '%.*s' mounted there?)",
		    path, strerror(errno), (int)name_len, name);
		goto done;
	}
	buf = util_calloc(1, SECRET_MAX_FILE + 1);
	while (len < SECRET_MAX_FILE && (n = read(fd, buf + len, SECRET_MAX_FILE - len)) != 0) {
		if (n < 0) {
			if (errno == EINTR)
				continue;
			snprintf(err, errlen, "cannot read %s: %s", path, strerror(errno));
			goto done;
		}
		len += (size_t)n;
	}
	if (len == SECRET_MAX_FILE) {
		snprintf(err, errlen, "%s is larger than 64 KiB: not a token", path);
		goto done;
	}
	/* kubectl create secret --from-file keeps the file's last newline. */
	if (len > 0 && buf[len - 1] == '\n')
		len--;
	if (len > 0 && buf[len - 1] == '\r')
		len--;
	buf[len] = '\0';
	if (memchr(buf, '\0', len) != NULL) {
		snprintf(err, errlen, "%s holds a NUL byte: not a token", path);
		goto done;
	}
	out = util_strndup(buf, len);
done:
	if (fd >= 0)
		close(fd);
	if (buf != NULL) {
		explicit_bzero(buf, SECRET_MAX_FILE);
		free(buf);
	}
	free(path);
	return out;
}

static char *
secret_aws(const char *ref, const struct secret_opts *o, char *err, size_t errlen)
{
	const char *id = ref + strlen("aws:secretsmanager:"), *last = strrchr(ref, ':');
	char *secret_id = util_strndup(id, (size_t)(last - id));
	char *value = aws_secret_resolve(secret_id, last + 1, o->envp, o->timeout_secs,
	    err, errlen);

	free(secret_id);
	return value;
}

/* Accepts the original project's short forms: .../secrets/<s>:<v> and
 * .../secrets/<s> (the latest version). */
static char *
secret_gcp(const char *ref, const struct secret_opts *o, char *err, size_t errlen)
{
	const char *res = ref + strlen("gcp:secretmanager:");
	const char *secrets = strstr(res, "/secrets/");
	const char *colon = secrets ? strchr(secrets, ':') : NULL;
	char *full, *value;

	if (secrets != NULL && strstr(secrets, "/versions/") == NULL)
		full = colon ? util_printf("%.*s/versions/%s", (int)(colon - res), res, colon + 1) :
		    util_printf("%s/versions/latest", res);
	else
		full = util_strdup(res);
	value = gcp_secret_resolve(full, o->envp, o->timeout_secs, err, errlen);
	free(full);
	return value;
}

/* Any kind, any text but an empty one. */
static char *
secret_fetch(const char *ref, const struct secret_opts *o, char *err, size_t errlen)
{
	const char *bad = secret_ref_invalid(ref), *val;
	const char *kind = secret_kind(ref);
	char *value = NULL;

	if (bad != NULL) {
		snprintf(err, errlen, "%s", bad);
		return NULL;
	}
	if (strcmp(kind, "env") == 0) {
		if ((val = util_getenv(o->envp, ref + 4)) == NULL)
			snprintf(err, errlen, "environment variable %s is not set", ref + 4);
		else
			value = util_strdup(val);
	} else if (strcmp(kind, "k8s") == 0) {
		value = secret_k8s(ref, o, err, errlen);
	} else if (strcmp(kind, "aws") == 0) {
		value = secret_aws(ref, o, err, errlen);
	} else if (strcmp(kind, "gcp") == 0) {
		value = secret_gcp(ref, o, err, errlen);
	} else {
		value = util_strdup(ref);
	}
	if (value != NULL && *value == '\0') {
		snprintf(err, errlen, "the secret is empty");
		secret_free(value);
		value = NULL;
	}
	return value;
}

char *
secret_resolve(const char *ref, const struct secret_opts *o, char *err, size_t errlen)
{
	char *value = secret_fetch(ref, o, err, errlen);

	if (value != NULL && !secret_clean(value)) {
		snprintf(err, errlen, "the secret contains whitespace or control characters (a trailing newline?)");
		secret_free(value);
		value = NULL;
	}
	return value;
}

char *
secret_resolve_text(const char *ref, const struct secret_opts *o, char *err, size_t errlen)
{
	return secret_fetch(ref, o, err, errlen);
}

void
secret_free(char *value)
{
	if (value == NULL)
		return;
	explicit_bzero(value, strlen(value));
	free(value);
}
