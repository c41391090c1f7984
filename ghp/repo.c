/*
 * repo.c - `ghp repo view`: a repository's description and README, or its
 * --json fields, from ghpool's REST endpoints, printed as gh prints them
 * (spec §17). Every other repo subcommand (create, clone, edit, fork,
 * list, ...), --web, a bare REPO argument (it needs the user's own login)
 * and a terminal README gh would render as markdown go to the real gh.
 */
#include "args.h"
#include "cmdutil.h"
#include "export.h"
#include "ghp.h"
#include "ghtime.h"
#include "gitrepo.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define REPO_PATH_MAX 2048

static const char *const repo_fields[] = {
	"archivedAt", "assignableUsers", "codeOfConduct", "contactLinks", "createdAt",
	"defaultBranchRef", "deleteBranchOnMerge", "description", "diskUsage", "forkCount",
	"fundingLinks", "hasDiscussionsEnabled", "hasIssuesEnabled", "hasProjectsEnabled",
	"hasWikiEnabled", "homepageUrl", "id", "isArchived", "isBlankIssuesEnabled", "isEmpty",
	"isFork", "isInOrganization", "isMirror", "isPrivate", "isSecurityPolicyEnabled",
	"isTemplate", "isUserConfigurationRepository", "issueTemplates", "issues", "labels",
	"languages", "latestRelease", "licenseInfo", "mentionableUsers", "mergeCommitAllowed",
	"milestones", "mirrorUrl", "name", "nameWithOwner", "openGraphImageUrl", "owner",
	"parent", "primaryLanguage", "projects", "projectsV2", "pullRequestTemplates",
	"pullRequests", "pushedAt", "rebaseMergeAllowed", "repositoryTopics",
	"securityPolicyUrl", "squashMergeAllowed", "sshUrl", "stargazerCount",
	"templateRepository", "updatedAt", "url", "usesCustomOpenGraphImage",
	"viewerCanAdminister", "viewerDefaultCommitEmail", "viewerDefaultMergeMethod",
	"viewerHasStarred", "viewerPermission", "viewerPossibleCommitEmails",
	"viewerSubscription", "visibility", "watchers", NULL,
};

enum { REPO_F_WEB, REPO_F_BRANCH };

static const struct args_flag repo_view_flags[] = {
	{ "web", 'w', false, REPO_F_WEB },
	{ "branch", 'b', true, REPO_F_BRANCH },
	CMDUTIL_FLAGS_EXPORT,
	{ NULL, 0, false, 0 },
};

struct repo_view_opts {
	const char *arg, *branch;
	struct cmdutil_opts com;          /* no -R: the argument names the repository */
};

/* ---- small readers of GitHub's JSON -------------------------------------- */

static const char *
repo_str(const json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));

	return s != NULL ? s : "";
}

static bool
repo_bool(const json_t *o, const char *key)
{
	return json_is_true(json_object_get(o, key));
}

/* A count or size; 0 when absent or out of range. */
static json_int_t
repo_count(const json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);

	if (!json_is_integer(v) || json_integer_value(v) < 0)
		return 0;
	return json_integer_value(v);
}

/* RFC 3339 in UTC; null (or Go's zero time when not nullable) without one. */
static json_t *
repo_time(const json_t *o, const char *key, bool nullable)
{
	const char *s = json_string_value(json_object_get(o, key));
	char buf[64];
	time_t t;

	if (s == NULL || (t = ghtime_parse(s)) == (time_t)-1)
		return nullable ? json_null() : json_string("0001-01-01T00:00:00Z");
	ghtime_rfc3339(t, buf, sizeof(buf));
	return json_string(buf);
}

/* ---- output helpers ------------------------------------------------------ */

static void
repo_bold(FILE *out, const struct ghp_env *e, const char *text)
{
	fprintf(out, e->color ? "\x1b[0;1;39m%s\x1b[0m" : "%s", text);
}

static void
repo_gray(FILE *out, const struct ghp_env *e, const char *text)
{
	const char *term = getenv("TERM"), *ct = getenv("COLORTERM");

	if (!e->color)
		fputs(text, out);
	else if ((term != NULL && strstr(term, "256") != NULL) ||
	    (ct != NULL && (strstr(ct, "truecolor") != NULL || strstr(ct, "24bit") != NULL)))
		fprintf(out, "\x1b[38;5;242m%s\x1b[m", text);
	else
		fprintf(out, "\x1b[0;90m%s\x1b[0m", text);
}

/* Go's parsenum: digits from *i, giving up (at end) past a million. */
static bool
repo_go_num(const char *f, size_t *i, size_t end)
{
	long long num = 0;
	bool isnum = false;

	for (; *i < end && f[*i] >= '0' && f[*i] <= '9'; (*i)++) {
		if (num > 1000000) {
			*i = end;
			return false;
		}
		num = num * 10 + (f[*i] - '0');
		isnum = true;
	}
	return isnum;
}

/* Go's argNumber with no arguments: any "[n]" is a bad index. Returns
 * whether it was a well-formed index (Go's afterIndex). */
static bool
repo_go_index(const char *f, size_t *i, size_t end, bool *good)
{
	size_t k, n = end - *i, close;

	if (*i >= end || f[*i] != '[')
		return false;
	*good = false;
	for (close = 1; close < n && f[*i + close] != ']'; close++)
		;
	if (n < 3 || close >= n) {
		*i += 1;
		return false;
	}
	k = *i + 1;
	if (!repo_go_num(f, &k, *i + close) || k != *i + close) {
		*i += close + 1;
		return false;
	}
	*i += close + 1;
	return true;
}

/* Length of the UTF-8 rune at s (1..4), 0 when invalid (Go's RuneError). */
static size_t
repo_rune_len(const unsigned char *s, size_t n)
{
	unsigned char lo = 0x80, hi = 0xbf;
	size_t len, k;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		len = 2;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		len = 3;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		len = 4;
	else
		return 0;
	if (s[0] == 0xe0)
		lo = 0xa0;
	else if (s[0] == 0xed)
		hi = 0x9f;
	else if (s[0] == 0xf0)
		lo = 0x90;
	else if (s[0] == 0xf4)
		hi = 0x8f;
	if (n < len || s[1] < lo || s[1] > hi)
		return 0;
	for (k = 2; k < len; k++)
		if (s[k] < 0x80 || s[k] > 0xbf)
			return 0;
	return len;
}

/*
 * The README through Go's Fprintf with no arguments, as gh prints it off
 * a terminal: every verb becomes "%!v(MISSING)" (spec §17's quirk).
 */
static void
repo_print_go_format(FILE *out, const char *f, size_t end)
{
	size_t i = 0, last, rl;
	bool good, after;

	while (i < end) {
		for (last = i; i < end && f[i] != '%'; i++)
			;
		fwrite(f + last, 1, i - last, out);
		if (i++ >= end)
			break;
		good = true;
		while (i < end && (f[i] == '#' || f[i] == '0' || f[i] == '+' || f[i] == '-' ||
		    f[i] == ' '))
			i++;
		after = repo_go_index(f, &i, end, &good);
		if (i < end && f[i] == '*') {
			i++;
			fputs("%!(BADWIDTH)", out);
			after = false;
		} else if (repo_go_num(f, &i, end) && after) {
			good = false;
		}
		if (i + 1 < end && f[i] == '.') {
			i++;
			if (after)
				good = false;
			after = repo_go_index(f, &i, end, &good);
			if (i < end && f[i] == '*') {
				i++;
				fputs("%!(BADPREC)", out);
				after = false;
			} else {
				repo_go_num(f, &i, end);
			}
		}
		if (!after)
			repo_go_index(f, &i, end, &good);
		if (i >= end) {
			fputs("%!(NOVERB)", out);
			break;
		}
		rl = repo_rune_len((const unsigned char *)f + i, end - i);
		if (rl == 1 && f[i] == '%') {
			fputc('%', out);
		} else {
			fputs("%!", out);
			if (rl == 0)
				fputs("\xef\xbf\xbd", out);
			else
				fwrite(f + i, 1, rl, out);
			fputs(good ? "(MISSING)" : "(BADINDEX)", out);
		}
		i += rl == 0 ? 1 : rl;
	}
}

/* Go's StdEncoding.DecodeString (which skips CR and LF); -1 when invalid. */
static int
repo_base64(const char *in, char **out, size_t *outlen)
{
	unsigned int acc = 0;
	size_t n = 0, bits = 0, pad = 0, chars = 0;
	char *buf = malloc(strlen(in) / 4 * 3 + 4);

	for (; *in; in++) {
		const char *alpha = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
		const char *p;

		if (*in == '\r' || *in == '\n')
			continue;
		chars++;
		if (*in == '=') {
			pad++;
			continue;
		}
		if (pad > 0 || (p = strchr(alpha, *in)) == NULL)
			goto bad;
		acc = (acc << 6) | (unsigned int)(p - alpha);
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			buf[n++] = (char)(acc >> bits);
			acc &= (1u << bits) - 1;
		}
	}
	if (chars % 4 != 0 || pad > 2)
		goto bad;
	buf[n] = '\0';
	*out = buf;
	*outlen = n;
	return 0;
bad:
	free(buf);
	return -1;
}

/* ---- which repository ---------------------------------------------------- */

static bool
repo_name_ok(const char *s, size_t n)
{
	if (n == 0 || n >= 128)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!isalnum((unsigned char)s[i]) && s[i] != '-' && s[i] != '_' && s[i] != '.')
			return false;
	return true;
}

/*
 * gh's FromFullName for the argument: OWNER/REPO, HOST/OWNER/REPO or a
 * URL. 0, 1 after gh's error, or GHP_FALLTHROUGH for what ghpool cannot
 * serve (another host) or what needs the user's login (a bare REPO).
 */
static int
repo_target(const char *arg, char *owner, char *name)
{
	const char *p = arg, *parts[4];
	size_t lens[4], n = 0;

	if (strstr(arg, "://") != NULL || strncmp(arg, "git@", 4) == 0) {
		/* gitrepo takes only the GitHub ghpool fronts; gh knows the rest. */
		return gitrepo_parse_url(arg, owner, 128, name, 128) == 0 ? 0 : GHP_FALLTHROUGH;
	}
	if (strchr(arg, '/') == NULL)
		return GHP_FALLTHROUGH;
	for (;;) {
		size_t len = strcspn(p, "/");

		if (n < 4) {
			parts[n] = p;
			lens[n] = len;
		}
		n++;
		if (p[len] == '\0')
			break;
		p += len + 1;
	}
	if (n == 3 && !gitrepo_host_ok(parts[0], lens[0]))
		return GHP_FALLTHROUGH;
	if ((n == 2 || n == 3) && lens[n - 2] > 0 && lens[n - 1] > 0) {
		if (!repo_name_ok(parts[n - 2], lens[n - 2]) ||
		    !repo_name_ok(parts[n - 1], lens[n - 1]))
			return GHP_FALLTHROUGH;
		snprintf(owner, 128, "%.*s", (int)lens[n - 2], parts[n - 2]);
		snprintf(name, 128, "%.*s", (int)lens[n - 1], parts[n - 1]);
		return 0;
	}
	fprintf(stderr, "argument error: expected the \"[HOST/]OWNER/REPO\" format, got \"%s\"\n",
	    arg);
	return 1;
}

/* The checkout's repository. `gh repo view` ignores GH_REPO, so it is
 * hidden from gitrepo for the call (and put back for the real gh). */
static int
repo_current(char *owner, char *name)
{
	char *saved = getenv("GH_REPO") ? strdup(getenv("GH_REPO")) : NULL;
	int rc;

	unsetenv("GH_REPO");
	rc = gitrepo_resolve(NULL, owner, 128, name, 128);
	if (saved != NULL)
		setenv("GH_REPO", saved, 1);
	free(saved);
	return rc == 0 ? 0 : 1;
}

/* ---- --json ----------------------------------------------------------------- */

/* gh's miniRepoExport: a Go map, so keys sorted; null without one. */
static json_t *
repo_mini(const json_t *r)
{
	const json_t *ow = json_object_get(r, "owner");

	if (!json_is_object(r))
		return json_null();
	return json_pack("{s:s, s:s, s:{s:s, s:s}}", "id", repo_str(r, "node_id"),
	    "name", repo_str(r, "name"), "owner", "id", repo_str(ow, "node_id"),
	    "login", repo_str(ow, "login"));
}

/* The highest permission the token holds, as GraphQL names it. */
static const char *
repo_permission(const json_t *perms)
{
	static const char *const order[][2] = {
		{ "admin", "ADMIN" }, { "maintain", "MAINTAIN" }, { "push", "WRITE" },
		{ "triage", "TRIAGE" }, { "pull", "READ" },
	};

	for (size_t i = 0; i < sizeof(order) / sizeof(order[0]); i++)
		if (repo_bool(perms, order[i][0]))
			return order[i][1];
	return "";
}

/* Every field that /repos/{o}/{r} alone answers (spec §17's table). */
static json_t *
repo_export_base(const json_t *r)
{
	const json_t *ow = json_object_get(r, "owner"), *lic = json_object_get(r, "license");
	const json_t *coc = json_object_get(r, "code_of_conduct"), *t;
	const char *lang = json_string_value(json_object_get(r, "language"));
	json_t *o = json_object(), *topics = json_array();
	char vis[32];
	size_t i;

	json_array_foreach(json_object_get(r, "topics"), i, t)
		if (json_is_string(t))
			json_array_append_new(topics, json_pack("{s:O}", "name", t));
	snprintf(vis, sizeof(vis), "%s", repo_str(r, "visibility"));
	for (i = 0; vis[i]; i++)
		vis[i] = (char)toupper((unsigned char)vis[i]);
	if (vis[0] == '\0')
		snprintf(vis, sizeof(vis), "%s", repo_bool(r, "private") ? "PRIVATE" : "PUBLIC");

	json_object_set_new(o, "archivedAt", json_null());
	json_object_set_new(o, "codeOfConduct", json_is_object(coc) ?
	    json_pack("{s:s, s:s, s:s}", "key", repo_str(coc, "key"), "name", repo_str(coc, "name"),
	    "url", repo_str(coc, "html_url")) : json_null());
	json_object_set_new(o, "contactLinks", json_array());
	json_object_set_new(o, "createdAt", repo_time(r, "created_at", false));
	json_object_set_new(o, "defaultBranchRef", json_pack("{s:s}", "name",
	    repo_str(r, "default_branch")));
	json_object_set_new(o, "deleteBranchOnMerge", json_boolean(repo_bool(r,
	    "delete_branch_on_merge")));
	json_object_set_new(o, "description", json_string(repo_str(r, "description")));
	json_object_set_new(o, "diskUsage", json_integer(repo_count(r, "size")));
	json_object_set_new(o, "forkCount", json_integer(repo_count(r, "forks_count")));
	json_object_set_new(o, "fundingLinks", json_array());
	json_object_set_new(o, "hasDiscussionsEnabled", json_boolean(repo_bool(r,
	    "has_discussions")));
	json_object_set_new(o, "hasIssuesEnabled", json_boolean(repo_bool(r, "has_issues")));
	json_object_set_new(o, "hasProjectsEnabled", json_boolean(repo_bool(r, "has_projects")));
	json_object_set_new(o, "hasWikiEnabled", json_boolean(repo_bool(r, "has_wiki")));
	json_object_set_new(o, "homepageUrl", json_string(repo_str(r, "homepage")));
	json_object_set_new(o, "id", json_string(repo_str(r, "node_id")));
	json_object_set_new(o, "isArchived", json_boolean(repo_bool(r, "archived")));
	/* GraphQL-only: GitHub's defaults stand in. */
	json_object_set_new(o, "isBlankIssuesEnabled", json_true());
	json_object_set_new(o, "isEmpty", json_boolean(repo_count(r, "size") == 0));
	json_object_set_new(o, "isFork", json_boolean(repo_bool(r, "fork")));
	json_object_set_new(o, "isInOrganization", json_boolean(strcmp(repo_str(ow, "type"),
	    "Organization") == 0));
	json_object_set_new(o, "isMirror", json_boolean(json_is_string(json_object_get(r,
	    "mirror_url"))));
	json_object_set_new(o, "isPrivate", json_boolean(repo_bool(r, "private")));
	json_object_set_new(o, "isSecurityPolicyEnabled", json_false());
	json_object_set_new(o, "isTemplate", json_boolean(repo_bool(r, "is_template")));
	json_object_set_new(o, "isUserConfigurationRepository", json_boolean(
	    strcmp(repo_str(ow, "type"), "User") == 0 &&
	    strcasecmp(repo_str(ow, "login"), repo_str(r, "name")) == 0));
	json_object_set_new(o, "issueTemplates", json_array());
	json_object_set_new(o, "licenseInfo", json_is_object(lic) ? json_pack("{s:s, s:s, s:s}",
	    "key", repo_str(lic, "key"), "name", repo_str(lic, "name"), "nickname", "") :
	    json_null());
	json_object_set_new(o, "mentionableUsers", json_array());
	json_object_set_new(o, "mergeCommitAllowed", json_boolean(repo_bool(r,
	    "allow_merge_commit")));
	json_object_set_new(o, "mirrorUrl", json_string(repo_str(r, "mirror_url")));
	json_object_set_new(o, "name", json_string(repo_str(r, "name")));
	json_object_set_new(o, "nameWithOwner", json_string(repo_str(r, "full_name")));
	json_object_set_new(o, "openGraphImageUrl", json_string(""));
	json_object_set_new(o, "owner", json_pack("{s:s, s:s}", "id", repo_str(ow, "node_id"),
	    "login", repo_str(ow, "login")));
	json_object_set_new(o, "parent", repo_mini(json_object_get(r, "parent")));
	json_object_set_new(o, "primaryLanguage", lang != NULL ? json_pack("{s:s}", "name", lang) :
	    json_null());
	json_object_set_new(o, "projects", json_array());
	json_object_set_new(o, "projectsV2", json_array());
	json_object_set_new(o, "pullRequestTemplates", json_array());
	json_object_set_new(o, "pushedAt", repo_time(r, "pushed_at", true));
	json_object_set_new(o, "rebaseMergeAllowed", json_boolean(repo_bool(r,
	    "allow_rebase_merge")));
	/* gh collects topics into a nil slice: null, not [], when there are none. */
	json_object_set_new(o, "repositoryTopics", json_array_size(topics) > 0 ? topics :
	    json_null());
	if (json_array_size(topics) == 0)
		json_decref(topics);
	json_object_set_new(o, "securityPolicyUrl", json_string(""));
	json_object_set_new(o, "squashMergeAllowed", json_boolean(repo_bool(r,
	    "allow_squash_merge")));
	json_object_set_new(o, "sshUrl", json_string(repo_str(r, "ssh_url")));
	json_object_set_new(o, "stargazerCount", json_integer(repo_count(r, "stargazers_count")));
	json_object_set_new(o, "templateRepository", repo_mini(json_object_get(r,
	    "template_repository")));
	json_object_set_new(o, "updatedAt", repo_time(r, "updated_at", false));
	json_object_set_new(o, "url", json_string(repo_str(r, "html_url")));
	json_object_set_new(o, "usesCustomOpenGraphImage", json_false());
	json_object_set_new(o, "viewerCanAdminister", json_boolean(repo_bool(json_object_get(r,
	    "permissions"), "admin")));
	json_object_set_new(o, "viewerDefaultCommitEmail", json_string(""));
	json_object_set_new(o, "viewerDefaultMergeMethod", json_string(
	    repo_bool(r, "allow_merge_commit") || !(repo_bool(r, "allow_squash_merge") ||
	    repo_bool(r, "allow_rebase_merge")) ? "MERGE" :
	    repo_bool(r, "allow_squash_merge") ? "SQUASH" : "REBASE"));
	json_object_set_new(o, "viewerPermission", json_string(repo_permission(json_object_get(r,
	    "permissions"))));
	json_object_set_new(o, "viewerPossibleCommitEmails", json_array());
	json_object_set_new(o, "viewerSubscription", json_string(""));
	json_object_set_new(o, "visibility", json_string(vis));
	json_object_set_new(o, "watchers", json_pack("{s:I}", "totalCount",
	    repo_count(r, "subscribers_count")));
	return o;
}

/* GET path into *doc; a 404 leaves *doc NULL and is not an error. */
static int
repo_get_optional(const struct ghp_env *e, const char *path, json_t **doc)
{
	struct client_error err;
	enum client_status st = client_get(&e->client, path, NULL, false, doc, &err);

	if (st == CLIENT_HTTP_ERROR && err.status == 404) {
		*doc = NULL;
		return 0;
	}
	return st == CLIENT_OK ? 0 : cmdutil_fail(st, &err, "", path);
}

/* A list (up to 100 items, as gh's GraphQL asks) mapped through fn. */
static int
repo_get_list(const struct ghp_env *e, const char *path, json_t *(*fn)(const json_t *),
    json_t **out)
{
	struct client_error err;
	enum client_status st;
	json_t *list = NULL, *it;
	size_t i;

	st = client_list(&e->client, path, NULL, 100, &list, NULL, &err);
	if (st != CLIENT_OK)
		return cmdutil_fail(st, &err, "", path);
	*out = json_array();
	json_array_foreach(list, i, it)
		json_array_append_new(*out, fn(it));
	json_decref(list);
	return 0;
}

static json_t *
repo_label(const json_t *l)
{
	return json_pack("{s:s, s:s, s:s, s:s}", "id", repo_str(l, "node_id"),
	    "name", repo_str(l, "name"), "description", repo_str(l, "description"),
	    "color", repo_str(l, "color"));
}

static json_t *
repo_milestone(const json_t *m)
{
	return json_pack("{s:I, s:s, s:s, s:o}", "number", repo_count(m, "number"),
	    "title", repo_str(m, "title"), "description", repo_str(m, "description"),
	    "dueOn", repo_time(m, "due_on", true));
}

/* Names are not in the assignee list; one request per user would be too many. */
static json_t *
repo_user(const json_t *u)
{
	return json_pack("{s:s, s:s, s:s}", "id", repo_str(u, "node_id"),
	    "login", repo_str(u, "login"), "name", repo_str(u, "name"));
}

/* Open issues or pull requests: a search's total_count. */
static int
repo_open_count(const struct ghp_env *e, const char *slug, const char *kind, json_t **out)
{
	char q[600], esc[1200], path[REPO_PATH_MAX];
	struct client_error err;
	enum client_status st;
	json_t *doc = NULL;

	snprintf(q, sizeof(q), "repo:%s is:%s is:open", slug, kind);
	if (cmdutil_query_escape(q, esc, sizeof(esc)) != 0)
		return GHP_FALLTHROUGH;
	snprintf(path, sizeof(path), "/search/issues?q=%s&per_page=1", esc);
	if ((st = client_get(&e->client, path, NULL, false, &doc, &err)) != CLIENT_OK)
		return cmdutil_fail(st, &err, "", path);
	*out = json_pack("{s:I}", "totalCount", repo_count(doc, "total_count"));
	json_decref(doc);
	return 0;
}

static int
repo_get_issues(const struct ghp_env *e, const char *slug, json_t **out)
{
	return repo_open_count(e, slug, "issue", out);
}

static int
repo_get_pulls(const struct ghp_env *e, const char *slug, json_t **out)
{
	return repo_open_count(e, slug, "pr", out);
}

static int
repo_get_labels(const struct ghp_env *e, const char *slug, json_t **out)
{
	char path[REPO_PATH_MAX];

	snprintf(path, sizeof(path), "/repos/%s/labels", slug);
	return repo_get_list(e, path, repo_label, out);
}

static int
repo_get_milestones(const struct ghp_env *e, const char *slug, json_t **out)
{
	char path[REPO_PATH_MAX];

	snprintf(path, sizeof(path), "/repos/%s/milestones?state=open", slug);
	return repo_get_list(e, path, repo_milestone, out);
}

static int
repo_get_assignees(const struct ghp_env *e, const char *slug, json_t **out)
{
	char path[REPO_PATH_MAX];

	snprintf(path, sizeof(path), "/repos/%s/assignees", slug);
	return repo_get_list(e, path, repo_user, out);
}

/* {"C": 640, ...} (GitHub's order, largest first) as GraphQL's edges. */
static int
repo_get_languages(const struct ghp_env *e, const char *slug, json_t **out)
{
	char path[REPO_PATH_MAX];
	json_t *doc = NULL, *size;
	const char *name;
	int rc;

	snprintf(path, sizeof(path), "/repos/%s/languages", slug);
	if ((rc = repo_get_optional(e, path, &doc)) != 0)
		return rc;
	*out = json_array();
	json_object_foreach(doc, name, size)
		json_array_append_new(*out, json_pack("{s:I, s:{s:s}}", "size",
		    json_is_integer(size) ? json_integer_value(size) : 0, "node", "name", name));
	json_decref(doc);
	return 0;
}

static int
repo_get_latest(const struct ghp_env *e, const char *slug, json_t **out)
{
	char path[REPO_PATH_MAX];
	json_t *doc = NULL;
	int rc;

	snprintf(path, sizeof(path), "/repos/%s/releases/latest", slug);
	if ((rc = repo_get_optional(e, path, &doc)) != 0)
		return rc;
	*out = doc == NULL ? json_null() : json_pack("{s:s, s:s, s:s, s:o}",
	    "name", repo_str(doc, "name"), "tagName", repo_str(doc, "tag_name"),
	    "url", repo_str(doc, "html_url"), "publishedAt", repo_time(doc, "published_at", false));
	json_decref(doc);
	return 0;
}

/* The pooled token's star is not the user's: when ghpool will not say
 * (it refuses /user paths), the real gh answers. */
static int
repo_get_starred(const struct ghp_env *e, const char *slug, json_t **out)
{
	char path[REPO_PATH_MAX];
	struct client_error err;
	enum client_status st;
	json_t *doc = NULL;

	snprintf(path, sizeof(path), "/user/starred/%s", slug);
	st = client_get(&e->client, path, NULL, true, &doc, &err);
	json_decref(doc);
	if (st != CLIENT_OK && !(st == CLIENT_HTTP_ERROR && err.status == 404))
		return GHP_FALLTHROUGH;
	*out = json_boolean(st == CLIENT_OK);
	return 0;
}

/* The fields that need requests of their own, fetched only when asked for. */
static int
repo_export_more(const struct ghp_env *e, const struct export_opts *ex, const char *slug,
    json_t *o)
{
	static const struct {
		const char *field;
		int (*get)(const struct ghp_env *e, const char *slug, json_t **out);
	} extra[] = {
		{ "assignableUsers", repo_get_assignees }, { "issues", repo_get_issues },
		{ "labels", repo_get_labels }, { "languages", repo_get_languages },
		{ "latestRelease", repo_get_latest }, { "milestones", repo_get_milestones },
		{ "pullRequests", repo_get_pulls }, { "viewerHasStarred", repo_get_starred },
	};
	json_t *v;
	int rc;

	for (size_t i = 0; i < sizeof(extra) / sizeof(extra[0]); i++) {
		if (!export_wants(ex, extra[i].field))
			continue;
		if ((rc = extra[i].get(e, slug, &v)) != 0)
			return rc;
		json_object_set_new(o, extra[i].field, v);
	}
	return 0;
}

/* ---- the text view -------------------------------------------------------- */

static bool
repo_is_markdown(const char *name)
{
	static const char *const ext[] = { ".md", ".markdown", ".mdown", ".mkdown" };
	size_t n = strlen(name);

	for (size_t i = 0; i < sizeof(ext) / sizeof(ext[0]); i++)
		if (n >= strlen(ext[i]) && strcmp(name + n - strlen(ext[i]), ext[i]) == 0)
			return true;
	return false;
}

/* The README, decoded into *text (NULL when the repository has none). */
static int
repo_readme(const struct ghp_env *e, const char *slug, const char *branch, char **text,
    size_t *len, char *filename, size_t fnlen)
{
	char path[REPO_PATH_MAX], esc[1024];
	json_t *doc = NULL;
	int rc;

	*text = NULL;
	snprintf(path, sizeof(path), "/repos/%s/readme", slug);
	if (branch != NULL && *branch != '\0') {
		if (cmdutil_query_escape(branch, esc, sizeof(esc)) != 0)
			return GHP_FALLTHROUGH;
		strcat(path, "?ref=");
		strcat(path, esc);
	}
	if ((rc = repo_get_optional(e, path, &doc)) != 0 || doc == NULL)
		return rc;
	snprintf(filename, fnlen, "%s", repo_str(doc, "name"));
	/* Undecodable content is gh's "failed to decode readme": its words. */
	rc = repo_base64(repo_str(doc, "content"), text, len) == 0 ? 0 : GHP_FALLTHROUGH;
	json_decref(doc);
	return rc;
}

static int
repo_view_text(const struct ghp_env *e, const struct repo_view_opts *o, const char *slug,
    const json_t *r)
{
	char *readme = NULL, filename[256] = "", esc[1024], url[REPO_PATH_MAX];
	char line[REPO_PATH_MAX + 64];
	const char *desc = repo_str(r, "description");
	size_t len = 0;
	int rc;

	if ((rc = repo_readme(e, slug, o->branch, &readme, &len, filename, sizeof(filename))) != 0)
		return rc;
	if (!e->tty) {
		printf("name:\t%s\ndescription:\t%s\n", slug, desc);
		if (readme != NULL) {
			fputs("--\n", stdout);
			repo_print_go_format(stdout, readme, len);
			fputc('\n', stdout);
		}
		goto done;
	}
	/* gh renders markdown with glamour, which ghp does not reproduce. */
	if (readme != NULL && repo_is_markdown(filename)) {
		rc = GHP_FALLTHROUGH;
		goto done;
	}
	snprintf(url, sizeof(url), "https://github.com/%s", slug);
	if (o->branch != NULL && *o->branch != '\0' &&
	    cmdutil_query_escape(o->branch, esc, sizeof(esc)) == 0)
		snprintf(url, sizeof(url), "https://github.com/%s/tree/%s", slug, esc);
	repo_bold(stdout, e, slug);
	fputc('\n', stdout);
	if (*desc != '\0')
		fputs(desc, stdout);
	else
		repo_gray(stdout, e, "No description provided");
	fputs("\n\n", stdout);
	if (readme != NULL)
		fwrite(readme, 1, len, stdout);
	else
		repo_gray(stdout, e, "This repository does not have a README");
	fputs("\n\n", stdout);
	snprintf(line, sizeof(line), "View this repository on GitHub: %s", url);
	repo_gray(stdout, e, line);
	fputc('\n', stdout);
done:
	free(readme);
	return rc;
}

/* ---- repo view ------------------------------------------------------------ */

static int
repo_view_flag(void *opts, int id, const char *v)
{
	struct repo_view_opts *o = opts;

	switch (id) {
	case REPO_F_WEB:
		if (cmdutil_on(v))
			return GHP_FALLTHROUGH;   /* a browser, or gh's --web/--json error */
		break;
	case REPO_F_BRANCH: o->branch = v; break;
	}
	return 0;
}

static int
repo_view_parse(int argc, char **argv, struct repo_view_opts *o)
{
	int rc;

	if ((rc = cmdutil_parse(argc, argv, 2, repo_view_flags, &o->com, &o->arg, NULL,
	    repo_view_flag, o)) != 0)
		return rc;
	return cmdutil_apply_json(&o->com, repo_fields);
}

static int
repo_view(int argc, char **argv, const struct ghp_env *e)
{
	struct repo_view_opts o = { 0 };
	struct client_error err;
	enum client_status st;
	char owner[128], name[128], slug[260], path[REPO_PATH_MAX];
	json_t *r = NULL, *obj = NULL;
	int rc;

	if ((rc = repo_view_parse(argc, argv, &o)) != 0)
		goto done;
	rc = o.arg != NULL && *o.arg != '\0' ? repo_target(o.arg, owner, name) :
	    repo_current(owner, name);
	if (rc != 0)
		goto done;
	snprintf(slug, sizeof(slug), "%s/%s", owner, name);
	snprintf(path, sizeof(path), "/repos/%s", slug);
	st = client_get(&e->client, path, NULL, false, &r, &err);
	if (st == CLIENT_HTTP_ERROR && err.status == 404) {
		/* gh asks GraphQL, and prints GraphQL's words for a missing repository. */
		fprintf(stderr, "GraphQL: Could not resolve to a Repository with the name '%s'. "
		    "(repository)\n", slug);
		rc = 1;
		goto done;
	}
	if (st != CLIENT_OK) {
		rc = cmdutil_fail(st, &err, "", path);
		goto done;
	}
	if (!o.com.ex.json) {
		rc = repo_view_text(e, &o, slug, r);
		goto done;
	}
	obj = repo_export_base(r);
	if ((rc = repo_export_more(e, &o.com.ex, slug, obj)) == 0)
		rc = export_print(&o.com.ex, obj, e);
done:
	json_decref(r);
	json_decref(obj);
	cmdutil_opts_free(&o.com);
	return rc;
}

int
repo_main(int argc, char **argv, const struct ghp_env *e)
{
	if (argc >= 2 && strcmp(argv[1], "view") == 0)
		return repo_view(argc, argv, e);
	return GHP_FALLTHROUGH;
}
