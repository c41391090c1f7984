/*
 * rewrite.c - header allow-lists and URL rewriting.
 *
 * Allow-lists rather than deny-lists: a header GitHub adds tomorrow (say,
 * one naming the token's scopes) must not leak through by default.
 */
#include "rewrite.h"
#include "util.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

static bool
rewrite_in(const char *name, const char *const *list)
{
	for (; *list != NULL; list++)
		if (strcasecmp(name, *list) == 0)
			return true;
	return false;
}

bool
rewrite_forward_request_header(const char *name)
{
	static const char *const fwd[] = {
		"Accept", "X-GitHub-Api-Version", "If-None-Match",
		"If-Modified-Since", "Accept-Language", "Time-Zone", NULL,
	};

	return rewrite_in(name, fwd);
}

bool
rewrite_forward_response_header(const char *name)
{
	static const char *const fwd[] = {
		"Content-Type", "ETag", "Last-Modified", "Link", "Location",
		"Retry-After", "X-GitHub-Request-Id", "X-GitHub-Media-Type",
		"Cache-Control", "Vary", "Content-Disposition", NULL,
	};

	return rewrite_in(name, fwd);
}

/*
 * A passthrough is the client's own request answered with its own token,
 * so both directions cross whole (the client's rate-limit and scope
 * headers are its own business), except what is per hop or reframed here.
 */
bool
rewrite_passthrough_request_header(const char *name)
{
	/* curl frames the body and negotiates its own compression. */
	static const char *const hop[] = {
		"Connection", "Keep-Alive", "Proxy-Authorization", "Proxy-Connection",
		"TE", "Trailer", "Transfer-Encoding", "Upgrade", "Host",
		"Content-Length", "Expect", "Accept-Encoding", NULL,
	};

	return !rewrite_in(name, hop) && strncasecmp(name, "X-Ghpool-", 9) != 0;
}

bool
rewrite_passthrough_response_header(const char *name)
{
	/* curl has decoded the body; evhttp frames it anew. */
	static const char *const hop[] = {
		"Connection", "Keep-Alive", "Proxy-Authenticate", "Proxy-Connection",
		"TE", "Trailer", "Transfer-Encoding", "Upgrade", "Content-Length",
		"Content-Encoding", NULL,
	};

	return !rewrite_in(name, hop) && strncasecmp(name, "X-Ghpool-", 9) != 0;
}

/* ------------------------------------------------------------------------
 * URL rewriting
 * ---------------------------------------------------------------------- */

struct sbuf {
	char *p;
	size_t len, cap;
};

static void
sbuf_add(struct sbuf *b, const char *s, size_t n)
{
	if (b->len + n + 1 > b->cap) {
		b->cap = (b->len + n + 1) * 2;
		b->p = realloc(b->p, b->cap);
		if (b->p == NULL)
			abort();
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

/* If url (n bytes) is under upstream, its remainder after the base. */
static const char *
rewrite_under(const char *url, size_t n, const char *upstream)
{
	size_t ulen = strlen(upstream);

	if (n < ulen || strncasecmp(url, upstream, ulen) != 0)
		return NULL;
	if (n > ulen && url[ulen] != '/' && url[ulen] != '?')
		return NULL;
	return url + ulen;
}

/* Length of a leading id_form + "{digits}" followed by / ? or end. */
static size_t
rewrite_id_form_len(const char *s, size_t n, const char *id_form)
{
	size_t i = strlen(id_form), digits = 0;

	if (n < i || memcmp(s, id_form, i) != 0)
		return 0;
	while (i < n && s[i] >= '0' && s[i] <= '9') {
		i++;
		digits++;
	}
	if (digits == 0 || (i < n && s[i] != '/' && s[i] != '?'))
		return 0;
	return i;
}

static void
rewrite_url(struct sbuf *out, const char *url, size_t n, const char *upstream,
    const char *public_base, const char *id_form, const char *prefix,
    size_t prefix_len)
{
	const char *rest = rewrite_under(url, n, upstream);
	size_t rlen, idlen;

	if (rest == NULL) {
		sbuf_add(out, url, n);
		return;
	}
	rlen = n - (size_t)(rest - url);
	sbuf_add(out, public_base, strlen(public_base));
	if (id_form != NULL && prefix != NULL &&
	    (idlen = rewrite_id_form_len(rest, rlen, id_form)) > 0) {
		sbuf_add(out, prefix, prefix_len);
		rest += idlen;
		rlen -= idlen;
	}
	sbuf_add(out, rest, rlen);
}

char *
rewrite_link(const char *value, const char *upstream, const char *public_base,
    const char *id_form, const char *prefix, size_t prefix_len)
{
	struct sbuf out = { 0 };
	const char *p = value;

	sbuf_add(&out, "", 0);
	while (*p) {
		const char *lt = strchr(p, '<'), *gt;

		if (lt == NULL || (gt = strchr(lt + 1, '>')) == NULL) {
			sbuf_add(&out, p, strlen(p));
			break;
		}
		sbuf_add(&out, p, (size_t)(lt + 1 - p));
		rewrite_url(&out, lt + 1, (size_t)(gt - lt - 1), upstream,
		    public_base, id_form, prefix, prefix_len);
		p = gt;
	}
	return out.p;
}

char *
rewrite_location(const char *value, const char *upstream, const char *public_base)
{
	struct sbuf out = { 0 };

	sbuf_add(&out, "", 0);
	rewrite_url(&out, value, strlen(value), upstream, public_base, NULL, NULL, 0);
	return out.p;
}
