/*
 * cachekey.c - canonical cache keys.
 *
 * Parameters are sorted by name with a stable sort, so "b=1&a=2" and
 * "a=2&b=1" share an entry while "a=1&a=2" and "a=2&a=1" (an ordered list
 * to GitHub) do not. Bytes are compared raw: no decoding, because a
 * different encoding is a different request as far as we can prove.
 */
#include "cachekey.h"
#include "util.h"

#include <stdlib.h>
#include <string.h>

struct param {
	const char *s;
	size_t len, name_len;
};

static int
cachekey_param_cmp(const struct param *a, const struct param *b)
{
	size_t n = a->name_len < b->name_len ? a->name_len : b->name_len;
	int c = memcmp(a->s, b->s, n);

	if (c != 0)
		return c;
	return (a->name_len > b->name_len) - (a->name_len < b->name_len);
}

/* Insertion sort: stable, and queries have a handful of parameters. */
static void
cachekey_sort(struct param *p, size_t n)
{
	for (size_t i = 1; i < n; i++) {
		struct param x = p[i];
		size_t j = i;

		while (j > 0 && cachekey_param_cmp(&p[j - 1], &x) > 0) {
			p[j] = p[j - 1];
			j--;
		}
		p[j] = x;
	}
}

/*
 * The key holds Accept as it goes upstream, only trimmed: normalising more
 * (case, inner spaces) would let an answer to one spelling be served for
 * another that GitHub may read differently. The spellings of GitHub's
 * default JSON type (and none at all) do share one key: they get one
 * answer. Returns a malloc'd string.
 */
static char *
cachekey_accept(const char *in)
{
	static const char *const defaults[] = {
		"*/*", "application/json", "application/vnd.github+json",
		"application/vnd.github.v3+json", NULL,
	};
	size_t n;

	if (in == NULL)
		return util_strdup("");
	while (*in == ' ' || *in == '\t')
		in++;
	n = strlen(in);
	while (n > 0 && (in[n - 1] == ' ' || in[n - 1] == '\t'))
		n--;
	for (size_t i = 0; defaults[i] != NULL; i++)
		if (util_slice_ieq(in, n, defaults[i]))
			return util_strdup("");
	return util_strndup(in, n);
}

char *
cachekey_build(const char *path, size_t plen, const char *query, size_t qlen,
    const char *accept, const char *api_version, size_t *len)
{
	struct param *params = util_calloc(qlen / 2 + 2, sizeof(*params));
	const char *q = query, *end = query + qlen;
	char *acc, *key, *k;
	size_t n = 0, ver_len = api_version ? strlen(api_version) : 0;

	while (q < end) {
		const char *amp = memchr(q, '&', (size_t)(end - q));
		size_t l = amp ? (size_t)(amp - q) : (size_t)(end - q);
		const char *eq = memchr(q, '=', l);

		/* "a=1&&b=2" and "a=1&b=2" are one request. */
		if (l > 0) {
			params[n].s = q;
			params[n].len = l;
			params[n].name_len = eq ? (size_t)(eq - q) : l;
			n++;
		}
		q += l + 1;
	}
	cachekey_sort(params, n);
	acc = cachekey_accept(accept);

	key = k = malloc(plen + qlen + 2 + strlen(acc) + ver_len + 3);
	if (key == NULL)
		abort();
	memcpy(k, path, plen);
	k += plen;
	for (size_t i = 0; i < n; i++) {
		*k++ = i == 0 ? '?' : '&';
		memcpy(k, params[i].s, params[i].len);
		k += params[i].len;
	}
	*k++ = '\n';
	memcpy(k, acc, strlen(acc));
	k += strlen(acc);
	*k++ = '\n';
	memcpy(k, api_version ? api_version : "", ver_len);
	k += ver_len;
	*k = '\0';
	*len = (size_t)(k - key);
	free(params);
	free(acc);
	return key;
}
