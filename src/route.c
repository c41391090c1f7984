/*
 * route.c - path validation, bucket naming and owner extraction.
 */
#include "route.h"

#include <ctype.h>
#include <string.h>
#include <strings.h>

/* ------------------------------------------------------------------------
 * Validation
 * ---------------------------------------------------------------------- */

static int
route_hex(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = (char)tolower((unsigned char)c);
	return (c >= 'a' && c <= 'f') ? c - 'a' + 10 : -1;
}

/* Decodes the %XX at s (3 bytes available), or -1 if malformed. */
static int
route_pct(const char *s)
{
	int hi = route_hex(s[1]), lo = hi < 0 ? -1 : route_hex(s[2]);

	return lo < 0 ? -1 : hi * 16 + lo;
}

/* Length of the segment at p (up to '/' or end). */
static size_t
route_seg_len(const char *p, const char *end)
{
	const char *s = p;

	while (s < end && *s != '/')
		s++;
	return (size_t)(s - p);
}

/*
 * A segment is split again at encoded slashes ("%2F"), since some upstream
 * routes decode them; a piece that decodes to "." or ".." is a dot segment.
 */
static bool
route_seg_has_dots(const char *s, size_t len)
{
	size_t dots = 0, other = 0;

	for (size_t i = 0; i <= len; ) {
		int c = i == len ? '/' : (unsigned char)s[i];
		size_t step = 1;

		if (c == '%' && i + 2 < len) {
			c = route_pct(s + i);
			step = 3;
		}
		if (c == '/') {
			if (other == 0 && (dots == 1 || dots == 2))
				return true;
			dots = other = 0;
		} else if (c == '.') {
			dots++;
		} else {
			other++;
		}
		i += step;
	}
	return false;
}

/* Characters RFC 3986 calls unreserved: encoding them only disguises. */
static bool
route_unreserved(int c)
{
	return isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~';
}

static bool route_deciding_encoded(const char *path, size_t len);

const char *
route_path_invalid(const char *path, size_t len)
{
	const char *end = path + len, *p;

	if (len == 0 || path[0] != '/')
		return "path must start with '/'";
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)path[i];
		int d;

		if (c <= 0x20 || c >= 0x7f)
			return "control character, space or non-ASCII byte in path";
		if (c == '\\')
			return "backslash in path";
		if (c != '%')
			continue;
		if (i + 2 >= len || (d = route_pct(path + i)) < 0)
			return "malformed percent-encoding in path";
		if (d < 0x20 || d == 0x7f || d == '\\' || d == 0)
			return "encoded control character or backslash in path";
		if (route_unreserved(d))
			return "needlessly percent-encoded character in path";
		i += 2;
	}
	if (len == 1)
		return NULL;
	for (p = path + 1; p <= end; ) {
		size_t n = route_seg_len(p, end);
		if (n == 0)
			return "empty path segment";
		if (route_seg_has_dots(p, n))
			return "dot segment in path";
		p += n + 1;
	}
	return route_deciding_encoded(path, len) ?
	    "percent-encoding in a path segment that names the owner, repository or API family" : NULL;
}

bool
route_target_clean(const char *uri, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)uri[i] <= 0x20 || (unsigned char)uri[i] >= 0x7f)
			return false;
	return true;
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

static bool
route_all_digits(const char *s, size_t n)
{
	if (n == 0)
		return false;
	for (size_t i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return false;
	return true;
}

/*
 * The families, by first segment. Owner-scoped ones need a second
 * segment; "below" says whether deeper paths belong to the family too.
 */
static const struct route_family_def {
	const char *name;
	enum route_family family;
	bool has_repo;        /* /{name}/{owner}/{repo} */
	bool below;           /* /{name}/... belongs too, not just /{name} */
	const char *id_form;  /* GitHub's numeric-id form of the same paths */
} route_families[] = {
	{ "repos", ROUTE_REPOS, true, true, "/repositories/" },
	{ "orgs", ROUTE_ORGS, false, true, "/organizations/" },
	{ "users", ROUTE_USERS, false, true, "/user/" },
	{ "networks", ROUTE_NETWORKS, true, true, NULL },
	{ "repositories", ROUTE_REPO_ID, false, true, NULL },
	{ "search", ROUTE_SEARCH, false, true, NULL },
	{ "user", ROUTE_IDENTITY, false, true, NULL },
	{ "notifications", ROUTE_IDENTITY, false, true, NULL },
	{ "issues", ROUTE_IDENTITY, false, true, NULL },
	{ "gists", ROUTE_IDENTITY, false, true, NULL },
	{ "installation", ROUTE_IDENTITY, false, true, NULL },
	{ "rate_limit", ROUTE_RATE_LIMIT, false, false, NULL },
	{ "meta", ROUTE_PUBLIC, false, false, NULL },
	{ "zen", ROUTE_PUBLIC, false, false, NULL },
	{ "octocat", ROUTE_PUBLIC, false, false, NULL },
	{ "emojis", ROUTE_PUBLIC, false, false, NULL },
	{ "versions", ROUTE_PUBLIC, false, false, NULL },
	{ "licenses", ROUTE_PUBLIC, false, true, NULL },
	{ "codes_of_conduct", ROUTE_PUBLIC, false, true, NULL },
	{ "gitignore", ROUTE_PUBLIC, false, true, NULL },   /* /gitignore/templates[/...] */
};

static const struct route_family_def *
route_family_of(const char *seg, size_t n)
{
	for (size_t i = 0; i < sizeof(route_families) / sizeof(route_families[0]); i++)
		if (strlen(route_families[i].name) == n &&
		    strncasecmp(seg, route_families[i].name, n) == 0)
			return &route_families[i];
	return NULL;
}

/* Segments of path as (start, length), up to max of them; returns count. */
static size_t
route_segments(const char *path, size_t len, const char **seg, size_t *seglen, size_t max)
{
	const char *end = path + len, *p = path + 1;
	size_t n = 0;

	if (len < 2)
		return 0;
	while (n < max && p <= end) {
		seg[n] = p;
		seglen[n] = route_seg_len(p, end);
		p += seglen[n++] + 1;
	}
	return n;
}

void
route_parse(const char *path, size_t len, struct route_info *info)
{
	const struct route_family_def *f;
	const char *seg[3];
	size_t seglen[3], n = route_segments(path, len, seg, seglen, 3);

	memset(info, 0, sizeof(*info));
	if (n == 0 || (f = route_family_of(seg[0], seglen[0])) == NULL)
		return;
	if (n > 1 && !f->below)
		return;
	switch (f->family) {
	case ROUTE_REPOS:
	case ROUTE_ORGS:
	case ROUTE_USERS:
	case ROUTE_NETWORKS:
	case ROUTE_SEARCH:
		if (n < 2)
			return;
		break;
	case ROUTE_REPO_ID:
		/* One spelling per id (no leading zeros, at most 19 digits): the
		 * policy remembers ids, and must not be flooded with aliases. */
		if (n < 2 || !route_all_digits(seg[1], seglen[1]) || seg[1][0] == '0' ||
		    seglen[1] > 19)
			return;
		break;
	case ROUTE_PUBLIC:
		/* Of /gitignore, only the templates are GitHub-wide data. */
		if (f->below && strcmp(f->name, "gitignore") == 0 &&
		    (n < 2 || seglen[1] != 9 || strncasecmp(seg[1], "templates", 9) != 0))
			return;
		break;
	default:
		break;
	}
	info->family = f->family;
	if (f->family == ROUTE_SEARCH || f->family == ROUTE_IDENTITY ||
	    f->family == ROUTE_RATE_LIMIT || f->family == ROUTE_PUBLIC)
		return;
	info->owner = seg[1];
	info->owner_len = seglen[1];
	info->id_form = f->id_form;
	if (!f->has_repo) {
		info->prefix_len = f->id_form ? (size_t)(seg[1] + seglen[1] - path) : 0;
		return;
	}
	if (n > 2) {
		info->repo = seg[2];
		info->repo_len = seglen[2];
	}
	if (info->repo_len > 0 && info->id_form)
		info->prefix_len = (size_t)(info->repo + info->repo_len - path);
	else
		info->id_form = NULL;
}

/*
 * The segments the policy decides on are compared raw, never decoded: an
 * encoded one would be judged as one name and routed as another. So they
 * may carry no percent-encoding at all.
 */
static bool
route_deciding_encoded(const char *path, size_t len)
{
	const struct route_family_def *f;
	const char *seg[3];
	size_t seglen[3], n = route_segments(path, len, seg, seglen, 3), deciding = 1;

	if (n > 0 && (f = route_family_of(seg[0], seglen[0])) != NULL)
		switch (f->family) {
		case ROUTE_REPOS:
		case ROUTE_NETWORKS:
			deciding = 3;
			break;
		case ROUTE_ORGS:
		case ROUTE_USERS:
		case ROUTE_REPO_ID:
			deciding = 2;
			break;
		default:
			break;
		}
	for (size_t i = 0; i < n && i < deciding; i++)
		if (memchr(seg[i], '%', seglen[i]) != NULL)
			return true;
	return false;
}

/* ------------------------------------------------------------------------
 * Classes
 * ---------------------------------------------------------------------- */

static bool
route_is_sha(const char *s, size_t n)
{
	if (n != 40)
		return false;
	for (size_t i = 0; i < n; i++)
		if (route_hex(s[i]) < 0)
			return false;
	return true;
}

/* Does the query carry ref={40-hex sha}? */
static bool
route_query_has_sha_ref(const char *q, size_t qlen)
{
	const char *end = q + qlen;

	while (q < end) {
		const char *amp = memchr(q, '&', (size_t)(end - q));
		size_t n = amp ? (size_t)(amp - q) : (size_t)(end - q);

		if (n == 44 && memcmp(q, "ref=", 4) == 0 && route_is_sha(q + 4, 40))
			return true;
		q += n + 1;
	}
	return false;
}

enum route_class
route_class(const char *path, size_t len, const char *query, size_t qlen)
{
	struct route_info ri;
	const char *rest, *end = path + len;
	const char *seg[4];
	size_t seglen[4], n = 0;

	route_parse(path, len, &ri);
	if (ri.family != ROUTE_REPOS || ri.repo_len == 0)
		return ROUTE_CLASS_DEFAULT;
	rest = ri.repo + ri.repo_len;
	if (rest >= end)
		return ROUTE_CLASS_REPO_VIEW;
	/* Up to four segments after /repos/{o}/{r} decide the class. */
	for (const char *p = rest + 1; p <= end && n < 4; n++) {
		seg[n] = p;
		seglen[n] = route_seg_len(p, end);
		p += seglen[n] + 1;
	}
#define SEG(i, lit) (n > (i) && seglen[i] == sizeof(lit) - 1 && memcmp(seg[i], lit, seglen[i]) == 0)
	/* File contents at a commit never change; a list filtered by ref
	 * (deployments, check runs) still grows. */
	if ((SEG(0, "contents") || SEG(0, "readme")) && route_query_has_sha_ref(query, qlen))
		return ROUTE_CLASS_IMMUTABLE;
	/* Only the object itself: /commits/{sha}/status changes over time. */
	if (n == 2 && SEG(0, "commits") && route_is_sha(seg[1], seglen[1]))
		return ROUTE_CLASS_IMMUTABLE;
	if (n == 3 && SEG(0, "git") && (SEG(1, "blobs") || SEG(1, "trees") || SEG(1, "commits")) &&
	    route_is_sha(seg[2], seglen[2]))
		return ROUTE_CLASS_IMMUTABLE;
	if (SEG(0, "pulls"))
		return ROUTE_CLASS_PR;
	if (SEG(0, "issues"))
		return ROUTE_CLASS_ISSUE;
	if (SEG(0, "actions") && (SEG(1, "runs") || SEG(1, "jobs")))
		return ROUTE_CLASS_RUN;
	if (n == 1 && SEG(0, "commits"))
		return ROUTE_CLASS_COMMIT_LIST;
#undef SEG
	return ROUTE_CLASS_DEFAULT;
}

bool
route_is_management(const char *path, size_t len)
{
	return route_is_probe(path, len) ||
	    (len == 6 && memcmp(path, "/stats", 6) == 0) ||
	    (len == 8 && memcmp(path, "/metrics", 8) == 0);
}

size_t
route_group_len(const char *path, const struct route_info *info)
{
	const char *end;

	if (info->family == ROUTE_REPOS && info->prefix_len > 0)
		return info->prefix_len;
	end = path + (*path == '/' ? 1 : 0);
	end += strcspn(end, "/");
	if (*end == '/')
		end += 1 + strcspn(end + 1, "/");
	return end > path + 1 ? (size_t)(end - path) : 0;
}

bool
route_is_probe(const char *path, size_t len)
{
	return (len == 8 && memcmp(path, "/healthz", 8) == 0) ||
	    (len == 7 && memcmp(path, "/readyz", 7) == 0);
}
