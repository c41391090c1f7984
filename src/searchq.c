/*
 * searchq.c - the q parameter of /search requests and its scope.
 *
 * GitHub ANDs qualifiers of different kinds and ORs repeated ones, so a
 * query whose every repo:/org:/user: qualifier names an allowed owner, and
 * that has at least one positive qualifier, searches only allowed owners.
 * That reasoning holds only for the plain syntax; operators, groups and
 * odd tokens are refused rather than interpreted.
 */
#include "searchq.h"
#include "util.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* ------------------------------------------------------------------------
 * The q parameter
 * ---------------------------------------------------------------------- */

/* Form-decodes s[0, n) into out (room for n + 1); false if malformed. */
static bool
searchq_decode(const char *s, size_t n, char *out, size_t *outlen)
{
	size_t o = 0;

	for (size_t i = 0; i < n; i++) {
		int hi, lo;

		if (s[i] == '+') {
			out[o++] = ' ';
			continue;
		}
		if (s[i] != '%') {
			out[o++] = s[i];
			continue;
		}
		if (i + 2 >= n || (hi = util_hex_digit(s[i + 1])) < 0 ||
		    (lo = util_hex_digit(s[i + 2])) < 0 || (hi == 0 && lo == 0))
			return false;
		out[o++] = (char)(hi * 16 + lo);
		i += 2;
	}
	out[o] = '\0';
	*outlen = o;
	return true;
}

static bool
searchq_param_known(const char *key, size_t klen)
{
	static const char *const known[] = {
		"q", "sort", "order", "per_page", "page", "advanced_search",
	};

	for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++)
		if (klen == strlen(known[i]) && memcmp(key, known[i], klen) == 0)
			return true;
	return false;
}

char *
searchq_from_query(const char *query, size_t len, const char **why)
{
	const char *p = query, *end = query + len;
	char *q = NULL, *key = util_calloc(1, len + 1), *val = util_calloc(1, len + 1);
	size_t n_q = 0;

	/* Some frameworks also split parameters at ';': a second q could hide there. */
	if (memchr(query, ';', len) != NULL) {
		*why = "a search query string may not contain ';'";
		goto fail;
	}
	while (p < end) {
		const char *amp = memchr(p, '&', (size_t)(end - p)), *stop = amp ? amp : end;
		const char *eq = memchr(p, '=', (size_t)(stop - p));
		size_t klen, vlen;

		if (!searchq_decode(p, (size_t)((eq ? eq : stop) - p), key, &klen) ||
		    (eq && !searchq_decode(eq + 1, (size_t)(stop - eq - 1), val, &vlen))) {
			*why = "malformed percent-encoding in the search query string";
			goto fail;
		}
		/*
		 * Only parameters known to shape nothing but the page: another
		 * may scope the search itself (/search/labels' repository_id),
		 * and bracketed keys like "q]" are read as q by some frameworks.
		 */
		if (!searchq_param_known(key, klen)) {
			*why = "a pooled search takes only the parameters q, sort, order, per_page, page "
			    "and advanced_search";
			goto fail;
		}
		if (klen == 1 && key[0] == 'q') {
			n_q++;
			free(q);
			q = util_strdup(eq ? val : "");
		}
		p = stop + 1;
	}
	if (n_q != 1) {
		*why = n_q ? "the search query has more than one q parameter" :
		    "a search needs a q parameter";
		goto fail;
	}
	free(key);
	free(val);
	return q;
fail:
	free(q);
	free(key);
	free(val);
	return NULL;
}

/* ------------------------------------------------------------------------
 * Qualifiers
 * ---------------------------------------------------------------------- */

static const char *const searchq_scopes[] = { "repo:", "org:", "user:" };

static bool
searchq_login_char(int c)
{
	return isalnum(c) || c == '-';
}

static bool
searchq_repo_char(int c)
{
	return isalnum(c) || c == '-' || c == '.' || c == '_';
}

/* Where needle (lower case) occurs in s[0, n) ignoring case, or NULL. */
static const char *
searchq_find(const char *s, size_t n, const char *needle)
{
	size_t k = strlen(needle);

	for (size_t i = 0; i + k <= n; i++)
		if (strncasecmp(s + i, needle, k) == 0)
			return s + i;
	return NULL;
}

/*
 * One token (quotes included). Returns NULL or a reason; *positive is set
 * when the token is a scope qualifier that is not negated.
 */
static const char *
searchq_token(const char *t, size_t n, searchq_owner_fn allowed, void *ctx,
    bool *positive, char *buf, size_t buflen)
{
	static const char *const operators[] = { "OR", "AND", "NOT" };
	bool neg = n > 0 && t[0] == '-';
	const char *body = t + neg, *hit, *v;
	size_t blen = n - neg, vlen, olen;

	*positive = false;
	for (size_t i = 0; i < 3; i++)
		if (n == strlen(operators[i]) && strncasecmp(t, operators[i], n) == 0)
			return "boolean operators (OR, AND, NOT) are not allowed in a pooled search";
	for (size_t i = 0; i < 3; i++) {
		size_t k = strlen(searchq_scopes[i]);

		if ((hit = searchq_find(t, n, searchq_scopes[i])) == NULL)
			continue;
		if (hit != body)
			return "a repo:, org: or user: qualifier must start its own word";
		v = body + k;
		vlen = blen - k;
		/* The owner is the login before any '/'; repo: needs owner/name. */
		for (olen = 0; olen < vlen && searchq_login_char((unsigned char)v[olen]); olen++)
			;
		if (olen == 0)
			return "a repo:, org: or user: qualifier needs a plain owner login";
		if (i == 0) {
			size_t r = olen + 1;

			if (olen >= vlen || v[olen] != '/' || r >= vlen)
				return "a repo: qualifier needs owner/name";
			for (; r < vlen; r++)
				if (!searchq_repo_char((unsigned char)v[r]))
					return "a repo: qualifier needs a plain owner/name";
		} else if (olen != vlen) {
			return "an org: or user: qualifier needs a plain login";
		}
		if (!allowed(ctx, v, olen)) {
			snprintf(buf, buflen, "the search reaches owner '%.*s', which is not allowed",
			    (int)olen, v);
			return buf;
		}
		*positive = !neg;
		return NULL;
	}
	return NULL;
}

const char *
searchq_check(const char *q, size_t len, searchq_owner_fn allowed, void *ctx,
    char *buf, size_t buflen)
{
	size_t positives = 0, i = 0;

	for (size_t k = 0; k < len; k++)
		if (q[k] == '(' || q[k] == ')' || q[k] == '\\' || q[k] == '\0')
			return "parentheses and backslashes are not allowed in a pooled search";
	while (i < len) {
		size_t start, n;
		bool quoted = false, positive;
		const char *why;

		while (i < len && isspace((unsigned char)q[i]))
			i++;
		if (i == len)
			break;
		/* A word runs to white space outside quotes: label:"help wanted" is one. */
		for (start = i; i < len && (quoted || !isspace((unsigned char)q[i])); i++)
			if (q[i] == '"')
				quoted = !quoted;
		if (quoted)
			return "unbalanced quotes in the search query";
		n = i - start;
		if ((why = searchq_token(q + start, n, allowed, ctx, &positive, buf, buflen)) != NULL)
			return why;
		positives += positive;
	}
	if (positives == 0)
		return "a pooled search must be scoped with a repo:, org: or user: qualifier naming an allowed owner";
	return NULL;
}
