/*
 * route.c - path validation, bucket naming and owner extraction.
 */
#include "route.h"

#include <string.h>
#include <strings.h>

/* ------------------------------------------------------------------------
 * Segments
 * ---------------------------------------------------------------------- */

/* Length of the segment at p (up to '/' or end). */
static size_t
route_seg_len(const char *p, const char *end)
{
	const char *s = p;

	while (s < end && *s != '/')
		s++;
	return (size_t)(s - p);
}

/* A segment that decodes to "." or "..": "." "%2e" ".%2E" "%2e%2e" ... */
static bool
route_seg_is_dots(const char *s, size_t len)
{
	size_t dots = 0;

	for (size_t i = 0; i < len; ) {
		if (s[i] == '.') {
			i++;
		} else if (i + 2 < len && s[i] == '%' && s[i + 1] == '2' &&
		    (s[i + 2] == 'e' || s[i + 2] == 'E')) {
			i += 3;
		} else {
			return false;
		}
		dots++;
	}
	return dots == 1 || dots == 2;
}

const char *
route_path_invalid(const char *path, size_t len)
{
	const char *end = path + len, *p;

	if (len == 0 || path[0] != '/')
		return "path must start with '/'";
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)path[i];
		if (c < 0x20 || c == 0x7f)
			return "control character in path";
		if (c == '\\')
			return "backslash in path";
		/* Encoded NUL, CR, LF or backslash would decode into the above. */
		if (c == '%' && i + 2 < len && path[i + 1] == '0')
			return "encoded control character in path";
		if (c == '%' && i + 2 < len && path[i + 1] == '5' &&
		    (path[i + 2] == 'c' || path[i + 2] == 'C'))
			return "encoded backslash in path";
	}
	if (len == 1)
		return NULL;
	for (p = path + 1; p <= end; ) {
		size_t n = route_seg_len(p, end);
		if (n == 0)
			return "empty path segment";
		if (route_seg_is_dots(p, n))
			return "dot segment in path";
		p += n + 1;
	}
	return NULL;
}

/* ------------------------------------------------------------------------
 * Buckets and families
 * ---------------------------------------------------------------------- */

static bool
route_has_prefix(const char *path, size_t len, const char *prefix)
{
	size_t n = strlen(prefix);

	return len >= n && memcmp(path, prefix, n) == 0 &&
	    (len == n || path[n] == '/' || prefix[n - 1] == '/');
}

const char *
route_bucket(const char *path, size_t len)
{
	if (route_has_prefix(path, len, "/search/code"))
		return "code_search";
	if (route_has_prefix(path, len, "/search/"))
		return "search";
	return "core";
}

void
route_parse(const char *path, size_t len, struct route_info *info)
{
	static const struct {
		const char *prefix;
		enum route_family family;
		bool has_repo;
	} families[] = {
		{ "/repos/", ROUTE_REPOS, true },
		{ "/orgs/", ROUTE_ORGS, false },
		{ "/users/", ROUTE_USERS, false },
		{ "/networks/", ROUTE_NETWORKS, true },
		{ "/repositories/", ROUTE_REPOSITORIES, false },
	};
	const char *end = path + len;

	memset(info, 0, sizeof(*info));
	for (size_t i = 0; i < sizeof(families) / sizeof(families[0]); i++) {
		size_t plen = strlen(families[i].prefix);
		const char *p;

		if (len <= plen || memcmp(path, families[i].prefix, plen) != 0)
			continue;
		info->family = families[i].family;
		p = path + plen;
		info->owner = p;
		info->owner_len = route_seg_len(p, end);
		if (families[i].has_repo && p + info->owner_len < end) {
			info->repo = p + info->owner_len + 1;
			info->repo_len = route_seg_len(info->repo, end);
			if (info->family == ROUTE_REPOS && info->repo_len > 0)
				info->prefix_len = (size_t)(info->repo + info->repo_len - path);
		}
		return;
	}
}

bool
route_is_management(const char *path, size_t len)
{
	return (len == 8 && memcmp(path, "/healthz", 8) == 0) ||
	    (len == 6 && memcmp(path, "/stats", 6) == 0);
}
