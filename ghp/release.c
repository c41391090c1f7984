/*
 * release.c - `ghp release list`: a repository's releases from ghpool's
 * REST endpoints, printed as gh prints them (spec §18). Every other
 * release subcommand (view, create, upload, download, delete, ...) and
 * flags ghp does not know go to the real gh.
 */
#include "args.h"
#include "cmdutil.h"
#include "export.h"
#include "ghp.h"
#include "ghtime.h"
#include "gitrepo.h"
#include "table.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const release_fields[] = {
	"createdAt", "isDraft", "isLatest", "isPrerelease", "name", "publishedAt", "tagName", NULL,
};

enum { RELEASE_F_LIMIT, RELEASE_F_NO_DRAFTS, RELEASE_F_NO_PRE, RELEASE_F_ORDER };

static const struct args_flag release_list_flags[] = {
	{ "limit", 'L', true, RELEASE_F_LIMIT },
	{ "exclude-drafts", 0, false, RELEASE_F_NO_DRAFTS },
	{ "exclude-pre-releases", 0, false, RELEASE_F_NO_PRE },
	{ "order", 'O', true, RELEASE_F_ORDER },
	CMDUTIL_FLAGS_EXPORT,
	CMDUTIL_FLAG_REPO,
	{ NULL, 0, false, 0 },
};

struct release_list_opts {
	const char *limit_flag;
	long limit;
	bool no_drafts, no_pre, ascending;
	struct cmdutil_opts com;
};

static const char *
release_str(const json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));

	return s != NULL ? s : "";
}

/* A timestamp, or (time_t)-1 when GitHub sent none (drafts' published_at). */
static time_t
release_time(const json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));

	return s != NULL ? ghtime_parse(s) : (time_t)-1;
}

/* gh's time.Time: RFC 3339, Go's zero time for a missing one. */
static json_t *
release_time_json(time_t t)
{
	char buf[64];

	if (t == (time_t)-1)
		return json_string("0001-01-01T00:00:00Z");
	ghtime_rfc3339(t, buf, sizeof(buf));
	return json_string(buf);
}

/* gh's RemoveExcessiveWhitespace: trimmed, inner runs of space as one. */
static void
release_collapse(const char *s, char *out, size_t len)
{
	size_t n = 0;
	bool gap = false;

	for (; *s && n + 2 < len; s++) {
		if (isspace((unsigned char)*s)) {
			gap = n > 0;
			continue;
		}
		if (gap)
			out[n++] = ' ';
		gap = false;
		out[n++] = *s;
	}
	out[n] = '\0';
}

static int
release_fail(enum client_status st, const struct client_error *err, const char *slug,
    const char *url)
{
	/* gh lists releases through GraphQL: a missing repository reads so. */
	if (st == CLIENT_HTTP_ERROR && err->status == 404) {
		fprintf(stderr, "GraphQL: Could not resolve to a Repository with the name '%s'. "
		    "(repository)\n", slug);
		return 1;
	}
	return cmdutil_fail(st, err, "", url);
}

static int
release_list_flag(void *opts, int id, const char *v)
{
	struct release_list_opts *o = opts;

	switch (id) {
	case RELEASE_F_LIMIT: o->limit_flag = v; break;
	case RELEASE_F_NO_DRAFTS: o->no_drafts = cmdutil_on(v); break;
	case RELEASE_F_NO_PRE: o->no_pre = cmdutil_on(v); break;
	case RELEASE_F_ORDER:
		if (strcmp(v, "asc") != 0 && strcmp(v, "desc") != 0)
			return GHP_FALLTHROUGH;   /* gh's flag error, with usage */
		o->ascending = strcmp(v, "asc") == 0;
		break;
	}
	return 0;
}

static int
release_list_parse(int argc, char **argv, struct release_list_opts *o)
{
	int rc;

	o->limit_flag = "30";
	if ((rc = cmdutil_parse(argc, argv, 2, release_list_flags, &o->com, NULL, NULL,
	    release_list_flag, o)) != 0)
		return rc;
	if (!cmdutil_parse_limit(o->limit_flag, &o->limit))
		return GHP_FALLTHROUGH;
	return cmdutil_apply_json(&o->com, release_fields);
}

/*
 * The releases to show, newest created first (or oldest with --order asc),
 * filtered then cut to the limit, as gh's paged GraphQL query gives them.
 */
static int
release_fetch(const struct ghp_env *e, const struct release_list_opts *o, const char *slug,
    json_t **out)
{
	struct client_error err;
	enum client_status st;
	char path[512], url[600];
	json_t *all = NULL, *rel;
	bool everything = o->no_drafts || o->no_pre || o->ascending;
	size_t i, n;

	/* Filters and the oldest-first order need every page; otherwise the limit is enough. */
	snprintf(path, sizeof(path), "/repos/%s/releases", slug);
	st = client_list(&e->client, path, NULL, everything ? 0 : o->limit, &all, NULL, &err);
	if (st != CLIENT_OK) {
		snprintf(url, sizeof(url), "%s?per_page=%ld", path, o->limit < 100 ? o->limit : 100);
		return release_fail(st, &err, slug, url);
	}
	*out = json_array();
	n = json_array_size(all);
	for (i = 0; i < n && (long)json_array_size(*out) < o->limit; i++) {
		rel = json_array_get(all, o->ascending ? n - 1 - i : i);
		if ((o->no_drafts && json_is_true(json_object_get(rel, "draft"))) ||
		    (o->no_pre && json_is_true(json_object_get(rel, "prerelease"))))
			continue;
		json_array_append(*out, rel);
	}
	json_decref(all);
	return 0;
}

/* The tag GitHub calls latest into tag ("" when there is none). */
static int
release_latest(const struct ghp_env *e, const char *slug, char *tag, size_t len)
{
	struct client_error err;
	enum client_status st;
	char path[512];
	json_t *doc = NULL;

	snprintf(path, sizeof(path), "/repos/%s/releases/latest", slug);
	st = client_get(&e->client, path, NULL, false, &doc, &err);
	tag[0] = '\0';
	if (st == CLIENT_HTTP_ERROR && err.status == 404)
		return 0;
	if (st != CLIENT_OK)
		return release_fail(st, &err, slug, path);
	snprintf(tag, len, "%s", release_str(doc, "tag_name"));
	json_decref(doc);
	return 0;
}

static json_t *
release_export(const json_t *rel, const char *latest)
{
	const char *tag = release_str(rel, "tag_name");

	return json_pack("{s:o, s:b, s:b, s:b, s:s, s:o, s:s}",
	    "createdAt", release_time_json(release_time(rel, "created_at")),
	    "isDraft", json_is_true(json_object_get(rel, "draft")),
	    "isLatest", *latest != '\0' && strcmp(tag, latest) == 0,
	    "isPrerelease", json_is_true(json_object_get(rel, "prerelease")),
	    "name", release_str(rel, "name"),
	    "publishedAt", release_time_json(release_time(rel, "published_at")),
	    "tagName", tag);
}

static void
release_list_print(const struct ghp_env *e, const json_t *rels, const char *latest)
{
	static const char *const headers[] = { "TITLE", "TYPE", "TAG NAME", "PUBLISHED", NULL };
	struct table *t = table_new(e->tty, e->width, headers);
	const json_t *rel;
	size_t i;

	/* table.h has neither colour nor untruncated columns: the type's
	 * colour is lost, and a long tag may be cut where gh keeps it. */
	json_array_foreach(rels, i, rel) {
		const char *tag = release_str(rel, "tag_name");
		char title[1024], when[64];
		time_t pub = release_time(rel, "published_at");

		release_collapse(release_str(rel, "name"), title, sizeof(title));
		table_add(t, title[0] != '\0' ? title : tag);
		if (*latest != '\0' && strcmp(tag, latest) == 0)
			table_add(t, "Latest");
		else if (json_is_true(json_object_get(rel, "draft")))
			table_add(t, "Draft");
		else if (json_is_true(json_object_get(rel, "prerelease")))
			table_add(t, "Pre-release");
		else
			table_add(t, "");
		table_add(t, tag);
		if (pub == (time_t)-1)
			pub = release_time(rel, "created_at");
		if (e->tty)
			ghtime_ago(e->now, pub, when, sizeof(when));
		else
			ghtime_rfc3339(pub, when, sizeof(when));
		table_add(t, when);
		table_end_row(t);
	}
	table_print(t, stdout);
	table_free(t);
}

static int
release_list(int argc, char **argv, const struct ghp_env *e)
{
	struct release_list_opts o = { 0 };
	json_t *rels = NULL, *out = NULL, *rel;
	char owner[128], name[128], slug[260], latest[512] = "";
	size_t i;
	int rc;

	if ((rc = release_list_parse(argc, argv, &o)) != 0)
		goto done;
	if (gitrepo_resolve(o.com.repo, owner, sizeof(owner), name, sizeof(name)) != 0) {
		rc = 1;
		goto done;
	}
	snprintf(slug, sizeof(slug), "%s/%s", owner, name);
	if ((rc = release_fetch(e, &o, slug, &rels)) != 0)
		goto done;
	if (json_array_size(rels) > 0 && (!o.com.ex.json || export_wants(&o.com.ex, "isLatest")) &&
	    (rc = release_latest(e, slug, latest, sizeof(latest))) != 0)
		goto done;
	if (o.com.ex.json) {
		out = json_array();
		json_array_foreach(rels, i, rel)
			json_array_append_new(out, release_export(rel, latest));
		rc = export_print(&o.com.ex, out, e);
	} else if (json_array_size(rels) == 0) {
		if (e->tty)
			fprintf(stderr, "no releases found\n");
	} else {
		release_list_print(e, rels, latest);
	}
done:
	json_decref(rels);
	json_decref(out);
	cmdutil_opts_free(&o.com);
	return rc;
}

int
release_main(int argc, char **argv, const struct ghp_env *e)
{
	if (argc >= 2 && (strcmp(argv[1], "list") == 0 || strcmp(argv[1], "ls") == 0))
		return release_list(argc, argv, e);
	return GHP_FALLTHROUGH;
}
