/*
 * issue.c - `ghp issue list` and `ghp issue view`, answered from ghpool's
 * REST API and printed as gh prints them (docs/ghp-formats.md §9, §10).
 * Writes, --web, @me (the token's login is not ghpool's to tell), flags
 * not handled here and gh's flag errors (they carry usage text) go to the
 * real gh.
 */
#include "args.h"
#include "cmdutil.h"
#include "export.h"
#include "ghitem.h"
#include "ghp.h"
#include "ghtime.h"
#include "gitrepo.h"
#include "table.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The REST issues endpoint pages; a runaway Link chain must still end. */
#define ISSUE_MAX_PAGES 1000

static const char *const issue_fields[] = {
	"assignees", "author", "body", "closed", "closedAt", "closedByPullRequestsReferences",
	"comments", "createdAt", "id", "isPinned", "labels", "milestone", "number",
	"projectCards", "projectItems", "reactionGroups", "state", "stateReason", "title",
	"updatedAt", "url", NULL,
};

/* Flags both subcommands read the same way. */
enum {
	ISSUE_F_STATE, ISSUE_F_LIMIT, ISSUE_F_LABEL, ISSUE_F_AUTHOR, ISSUE_F_APP,
	ISSUE_F_ASSIGNEE, ISSUE_F_MENTION, ISSUE_F_MILESTONE, ISSUE_F_SEARCH,
	ISSUE_F_COMMENTS,
};

struct issue_list_opts {
	const char *state;
	long limit;
	json_t *labels;             /* label names, in the order given */
	const char *author, *app, *assignee, *mention, *milestone, *search;
	struct cmdutil_opts com;
};

/* An issue's JSON object, the requested fields of spec §9. */
static int
issue_json(struct ghitem_ctx *c, const json_t *item, const json_t *comments,
    const struct export_opts *ex, json_t **out, struct client_error *err)
{
	json_t *obj = json_object();
	char reason[64];
	int rc;

	*out = NULL;
	if ((rc = ghitem_common_fields(c, item, comments, ex, obj, err)) != 0) {
		json_decref(obj);
		return rc;
	}
	ghitem_upper(reason, sizeof(reason), ghitem_str(item, "state_reason"));
	json_object_set_new(obj, "stateReason", json_string(reason));
	/* No REST source for either (spec §9). */
	json_object_set_new(obj, "isPinned", json_false());
	json_object_set_new(obj, "closedByPullRequestsReferences", json_array());
	*out = obj;
	return 0;
}

/* Repository access trouble the issue commands explain themselves. */
static int
issue_fail(struct ghitem_ctx *c, int rc, const struct client_error *err, const char *path,
    const char *notfound)
{
	if (rc == -1 && err->status == 410) {
		fprintf(stderr, "the '%s/%s' repository has disabled issues\n", c->owner, c->repo);
		return 1;
	}
	return ghitem_fail(c, rc, err, path, notfound);
}

/* --- issue list ------------------------------------------------------------------- */

static const struct args_flag issue_list_flags[] = {
	CMDUTIL_FLAG_REPO,
	CMDUTIL_FLAGS_EXPORT,
	{ "state", 's', true, ISSUE_F_STATE },
	{ "limit", 'L', true, ISSUE_F_LIMIT },
	{ "label", 'l', true, ISSUE_F_LABEL },
	{ "author", 'A', true, ISSUE_F_AUTHOR },
	{ "app", 0, true, ISSUE_F_APP },
	{ "assignee", 'a', true, ISSUE_F_ASSIGNEE },
	{ "mention", 0, true, ISSUE_F_MENTION },
	{ "milestone", 'm', true, ISSUE_F_MILESTONE },
	{ "search", 'S', true, ISSUE_F_SEARCH },
	{ NULL, 0, false, 0 },
};

static int
issue_list_flag(void *opts, int id, const char *v)
{
	struct issue_list_opts *o = opts;

	switch (id) {
	case ISSUE_F_STATE: o->state = v; break;
	case ISSUE_F_LIMIT:
		if (!ghitem_parse_limit(v, &o->limit))
			return GHP_FALLTHROUGH;
		break;
	case ISSUE_F_LABEL: ghitem_add_csv(o->labels, v); break;
	case ISSUE_F_AUTHOR: o->author = v; break;
	case ISSUE_F_APP: o->app = v; break;
	case ISSUE_F_ASSIGNEE: o->assignee = v; break;
	case ISSUE_F_MENTION: o->mention = v; break;
	case ISSUE_F_MILESTONE: o->milestone = v; break;
	case ISSUE_F_SEARCH: o->search = v; break;
	}
	return 0;
}

/* 0, 1 after gh's message, or GHP_FALLTHROUGH. */
static int
issue_list_parse(int argc, char **argv, struct issue_list_opts *o)
{
	int rc;

	o->state = "open";
	o->limit = 30;
	/* a positional argument is gh's unknown command, with usage */
	if ((rc = cmdutil_parse(argc, argv, 1, issue_list_flags, &o->com, NULL, issue_fields,
	    issue_list_flag, o)) != 0)
		return rc;
	if (strcmp(o->state, "open") != 0 && strcmp(o->state, "closed") != 0 &&
	    strcmp(o->state, "all") != 0)
		return GHP_FALLTHROUGH;
	if (o->app != NULL && o->author != NULL)
		return GHP_FALLTHROUGH;
	/* @me is the token's login, which only the real gh knows. */
	if ((o->author && strcmp(o->author, "@me") == 0) ||
	    (o->assignee && strcmp(o->assignee, "@me") == 0) ||
	    (o->mention && strcmp(o->mention, "@me") == 0))
		return GHP_FALLTHROUGH;
	return cmdutil_apply_json(&o->com, issue_fields);
}

static bool
issue_list_filtered(const struct issue_list_opts *o)
{
	return strcmp(o->state, "open") != 0 || json_array_size(o->labels) > 0 || o->author ||
	    o->app || o->assignee || o->mention || o->milestone || o->search;
}

/* The Search API query for these filters: the listing itself with --search,
 * else the count the terminal header shows. */
static char *
issue_list_query(const struct issue_list_opts *o, const struct ghitem_ctx *c)
{
	char *q = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&q, &len);
	json_t *l;
	size_t i;

	ghitem_query_start(f, c, "issue", o->state, o->search);
	ghitem_qualifier(f, "author", o->author);
	if (o->app != NULL)
		fprintf(f, " author:app/%s", o->app);
	ghitem_qualifier(f, "assignee", o->assignee);
	ghitem_qualifier(f, "mentions", o->mention);
	json_array_foreach(o->labels, i, l)
		ghitem_qualifier(f, "label", json_string_value(l));
	ghitem_qualifier(f, "milestone", o->milestone);
	if (o->search != NULL)
		fprintf(f, " %s", o->search);
	fclose(f);
	return q;
}

/* A milestone given by title becomes its number for the REST filter; *found
 * is false when the repository has none by that title. */
static int
issue_milestone_number(struct ghitem_ctx *c, const char *value, char *out, size_t len,
    bool *found, struct client_error *err, char *path, size_t plen)
{
	json_t *all = NULL, *m;
	long n;
	size_t i;
	int rc;

	*found = true;
	if (ghitem_parse_number(value, &n) && *value != '#') {
		snprintf(out, len, "%ld", n);
		return 0;
	}
	snprintf(path, plen, "/repos/%s/%s/milestones?state=all", c->owner, c->repo);
	if ((rc = ghitem_list(c, path, NULL, 0, &all, NULL, err)) != 0)
		return rc;
	*found = false;
	json_array_foreach(all, i, m) {
		if (strcmp(ghitem_str(m, "title"), value) == 0) {
			snprintf(out, len, "%lld", ghitem_num(m, "number", INT32_MAX));
			*found = true;
			break;
		}
	}
	json_decref(all);
	return 0;
}

/* The REST listing's filter parameters ("&creator=x..."). */
static char *
issue_list_params(const struct issue_list_opts *o, const char *milestone)
{
	char *q = NULL, *enc;
	size_t len = 0, i;
	FILE *f = open_memstream(&q, &len);
	json_t *l;

	if (o->author || o->app) {
		char bot[256];

		snprintf(bot, sizeof(bot), "%s[bot]", o->app ? o->app : "");
		enc = ghitem_urlencode(o->author ? o->author : bot);
		fprintf(f, "&creator=%s", enc);
		free(enc);
	}
	if (o->assignee) {
		enc = ghitem_urlencode(o->assignee);
		fprintf(f, "&assignee=%s", enc);
		free(enc);
	}
	if (o->mention) {
		enc = ghitem_urlencode(o->mention);
		fprintf(f, "&mentioned=%s", enc);
		free(enc);
	}
	json_array_foreach(o->labels, i, l) {
		enc = ghitem_urlencode(json_string_value(l));
		fprintf(f, "%s%s", i ? "%2C" : "&labels=", enc);
		free(enc);
	}
	if (milestone)
		fprintf(f, "&milestone=%s", milestone);
	fclose(f);
	return q;
}

/* The issues (pull requests dropped) of the REST listing, newest first. */
static int
issue_list_rest(struct ghitem_ctx *c, const struct issue_list_opts *o, json_t **out,
    struct client_error *err, char *path, size_t plen)
{
	long per_page = o->limit < 100 ? o->limit : 100;
	char milestone[32], *params = NULL;
	bool found = true;
	int rc = 0;

	*out = json_array();
	if (o->milestone && (rc = issue_milestone_number(c, o->milestone, milestone,
	    sizeof(milestone), &found, err, path, plen)) != 0)
		goto done;
	if (!found)
		goto done;
	params = issue_list_params(o, o->milestone ? milestone : NULL);
	for (long page = 1; page <= ISSUE_MAX_PAGES && (long)json_array_size(*out) < o->limit;
	    page++) {
		json_t *doc = NULL, *it;
		size_t i, n;

		snprintf(path, plen, "/repos/%s/%s/issues?state=%s&sort=created&direction=desc%s"
		    "&per_page=%ld&page=%ld", c->owner, c->repo, o->state, params, per_page, page);
		if ((rc = ghitem_get(c, path, NULL, false, &doc, err)) != 0)
			goto done;
		n = json_array_size(doc);
		json_array_foreach(doc, i, it)
			if (json_object_get(it, "pull_request") == NULL &&
			    (long)json_array_size(*out) < o->limit)
				json_array_append(*out, it);
		json_decref(doc);
		if ((long)n < per_page)
			break;
	}
done:
	free(params);
	if (rc != 0) {
		json_decref(*out);
		*out = NULL;
	}
	return rc;
}

static void
issue_list_table(const struct ghitem_ctx *c, const json_t *items)
{
	static const char *const headers[] = { "ID", "TITLE", "LABELS", "UPDATED", NULL };
	const struct ghp_env *e = c->e;
	struct table *t = table_new(e->tty, e->width, headers);
	json_t *it;
	size_t i;

	json_array_foreach(items, i, it) {
		char num[32], state[16], when[64], *title, *labels = NULL;
		size_t len = 0;
		FILE *f = open_memstream(&labels, &len);
		time_t updated = ghitem_when(it, "updated_at");

		snprintf(num, sizeof(num), "%s%lld", e->tty ? "#" : "",
		    ghitem_num(it, "number", INT32_MAX));
		table_add(t, num);
		if (!e->tty) {
			ghitem_upper(state, sizeof(state), ghitem_str(it, "state"));
			table_add(t, state);
		}
		title = ghitem_collapse(ghitem_str(it, "title"));
		table_add(t, title);
		free(title);
		ghitem_label_list(f, e, json_object_get(it, "labels"), false, false);
		fclose(f);
		table_add(t, labels);
		free(labels);
		if (updated == (time_t)-1)
			when[0] = '\0';
		else if (e->tty)
			ghtime_ago(e->now, updated, when, sizeof(when));
		else
			ghtime_rfc3339(updated, when, sizeof(when));
		table_add(t, when);
		table_end_row(t);
	}
	table_print(t, stdout);
	table_free(t);
}

static int
issue_list_print(struct ghitem_ctx *c, const struct issue_list_opts *o, const json_t *items,
    long total)
{
	const struct ghp_env *e = c->e;

	if (json_array_size(items) == 0)
		return ghitem_no_results(c, issue_list_filtered(o) ?
		    "no issues match your search" : "no open issues");
	if (o->limit > 1000 && (o->search || json_array_size(o->labels) > 0 || o->milestone))
		fprintf(stderr, "warning: this query uses the Search API which is capped at "
		    "1000 results maximum\n");
	if (e->tty)
		ghitem_list_header(stdout, c, "issue", json_array_size(items), total,
		    issue_list_filtered(o));
	issue_list_table(c, items);
	return 0;
}

static int
issue_list_export(struct ghitem_ctx *c, const struct issue_list_opts *o, const json_t *items)
{
	json_t *arr = json_array(), *it;
	struct client_error err;
	char path[512] = "";
	size_t i;
	int rc = 0;

	json_array_foreach(items, i, it) {
		json_t *comments = NULL, *obj = NULL;
		long n = (long)ghitem_num(it, "number", INT32_MAX);

		/* gh shows an issue's first 100 comments; none means no request. */
		if (export_wants(&o->com.ex, "comments") && ghitem_num(it, "comments", INT32_MAX) > 0) {
			snprintf(path, sizeof(path), "/repos/%s/%s/issues/%ld/comments", c->owner,
			    c->repo, n);
			rc = ghitem_comments(c, n, 100, &comments, &err);
		}
		if (rc == 0 && (rc = issue_json(c, it, comments, &o->com.ex, &obj, &err)) != 0)
			snprintf(path, sizeof(path), "/users");
		json_decref(comments);
		if (rc != 0)
			break;
		json_array_append_new(arr, obj);
	}
	if (rc != 0)
		rc = ghitem_fail(c, rc, &err, path, NULL);
	else
		rc = export_print(&o->com.ex, arr, c->e);
	json_decref(arr);
	return rc;
}

static int
issue_list(int argc, char **argv, const struct ghp_env *e)
{
	struct issue_list_opts o = { 0 };
	struct ghitem_ctx c;
	struct client_error err = { 0 };
	json_t *items = NULL;
	char path[4096] = "", *q = NULL, repo_msg[400];
	long total = -1;
	int rc;

	ghitem_ctx_init(&c, e);
	o.labels = json_array();
	if ((rc = issue_list_parse(argc, argv, &o)) != 0)
		goto done;
	if (gitrepo_resolve(o.com.repo, c.owner, sizeof(c.owner), c.repo, sizeof(c.repo)) != 0) {
		rc = 1;
		goto done;
	}
	snprintf(repo_msg, sizeof(repo_msg), "GraphQL: Could not resolve to a Repository with "
	    "the name '%s/%s'. (repository)", c.owner, c.repo);
	q = issue_list_query(&o, &c);
	if (o.search != NULL) {
		char *enc = ghitem_urlencode(q);

		snprintf(path, sizeof(path), "/search/issues?q=%s", enc);
		free(enc);
		rc = ghitem_list(&c, path, "items", o.limit, &items, &total, &err);
	} else {
		rc = issue_list_rest(&c, &o, &items, &err, path, sizeof(path));
	}
	if (rc != 0) {
		rc = issue_fail(&c, rc, &err, path, repo_msg);
		goto done;
	}
	if (o.com.ex.json) {
		rc = issue_list_export(&c, &o, items);
		goto done;
	}
	/* The header's total: only a full page can hide more. */
	if (o.search == NULL) {
		total = (long)json_array_size(items);
		if (e->tty && total >= o.limit &&
		    (rc = ghitem_search_count(&c, q, &total, &err)) != 0) {
			rc = issue_fail(&c, rc, &err, "/search/issues", NULL);
			goto done;
		}
	}
	rc = issue_list_print(&c, &o, items, total);
done:
	free(q);
	json_decref(items);
	json_decref(o.labels);
	cmdutil_opts_free(&o.com);
	ghitem_ctx_free(&c);
	return rc;
}

/* --- issue view ------------------------------------------------------------------- */

static const struct args_flag issue_view_flags[] = {
	CMDUTIL_FLAG_REPO,
	CMDUTIL_FLAGS_EXPORT,
	{ "comments", 'c', false, ISSUE_F_COMMENTS },
	{ NULL, 0, false, 0 },
};

struct issue_view_opts {
	const char *selector;
	bool comments;
	struct cmdutil_opts com;
};

/* --comments, the one flag of its own. */
static int
issue_view_flag(void *opts, int id, const char *v)
{
	struct issue_view_opts *o = opts;

	(void)id;
	o->comments = cmdutil_on(v);
	return 0;
}

static int
issue_view_parse(int argc, char **argv, struct issue_view_opts *o)
{
	int rc;

	if ((rc = cmdutil_parse(argc, argv, 1, issue_view_flags, &o->com, &o->selector,
	    issue_fields, issue_view_flag, o)) != 0)
		return rc;
	if (o->selector == NULL)
		return GHP_FALLTHROUGH;           /* gh: accepts 1 arg, with usage */
	return cmdutil_apply_json(&o->com, issue_fields);
}

static void
issue_view_raw(FILE *f, const json_t *it)
{
	const json_t *m = json_object_get(it, "milestone");
	char state[16], login[256];

	ghitem_upper(state, sizeof(state), ghitem_str(it, "state"));
	fprintf(f, "title:\t%s\nstate:\t%s\nauthor:\t%s\nlabels:\t", ghitem_str(it, "title"), state,
	    ghitem_login(json_object_get(it, "user"), login, sizeof(login)));
	ghitem_label_list(f, NULL, json_object_get(it, "labels"), true, false);
	fprintf(f, "\ncomments:\t%lld\nassignees:\t", ghitem_num(it, "comments", INT32_MAX));
	ghitem_assignee_list(f, json_object_get(it, "assignees"));
	fprintf(f, "\nprojects:\t\nmilestone:\t%s\nnumber:\t%lld\n--\n%s\n", ghitem_str(m, "title"),
	    ghitem_num(it, "number", INT32_MAX), ghitem_str(it, "body"));
}

static void
issue_view_tty(FILE *f, const struct ghitem_ctx *c, const json_t *it, json_t *comments,
    bool all)
{
	const struct ghp_env *e = c->e;
	const json_t *m = json_object_get(it, "milestone");
	bool closed = strcmp(ghitem_str(it, "state"), "closed") == 0;
	long count = (long)ghitem_num(it, "comments", INT32_MAX);
	char login[256], ago[64], plural[64], *footer = NULL;

	ghitem_paint(f, e, "bold", ghitem_str(it, "title"));
	fprintf(f, " %s/%s#%lld\n", c->owner, c->repo, ghitem_num(it, "number", INT32_MAX));
	ghitem_paint(f, e, !closed ? "green" :
	    strcmp(ghitem_str(it, "state_reason"), "not_planned") == 0 ? "gray" : "magenta",
	    closed ? "Closed" : "Open");
	ghtime_ago(e->now, ghitem_when(it, "created_at"), ago, sizeof(ago));
	ghitem_plural(plural, sizeof(plural), count, "comment");
	fprintf(f, " \xe2\x80\xa2 %s opened %s \xe2\x80\xa2 %s\n",
	    ghitem_login(json_object_get(it, "user"), login, sizeof(login)), ago, plural);
	if (ghitem_reaction_line(f, json_object_get(it, "reactions")))
		fputc('\n', f);
	if (json_array_size(json_object_get(it, "assignees")) > 0) {
		ghitem_paint(f, e, "bold", "Assignees: ");
		ghitem_assignee_list(f, json_object_get(it, "assignees"));
		fputc('\n', f);
	}
	if (json_array_size(json_object_get(it, "labels")) > 0) {
		ghitem_paint(f, e, "bold", "Labels: ");
		ghitem_label_list(f, e, json_object_get(it, "labels"), true, true);
		fputc('\n', f);
	}
	if (json_is_object(m)) {
		ghitem_paint(f, e, "bold", "Milestone: ");
		fprintf(f, "%s\n", ghitem_str(m, "title"));
	}
	ghitem_view_body(f, e, ghitem_str(it, "body"));
	if (count > 0) {
		struct ghitem_comment *v = NULL;
		size_t n = 0;

		ghitem_comments_add(&v, &n, comments);
		ghitem_comments_tty(f, e, v, n, count, !all);
		free(v);
	}
	/* gh colours the footer's newline too */
	if (asprintf(&footer, "View this issue on GitHub: %s\n", ghitem_str(it, "html_url")) >= 0) {
		ghitem_paint(f, e, "gray", footer);
		free(footer);
	}
}

static int
issue_view(int argc, char **argv, const struct ghp_env *e)
{
	static const char *const kinds[] = { "issues", "pull", NULL };
	struct issue_view_opts o = { 0 };
	struct ghitem_ctx c;
	struct client_error err = { 0 };
	json_t *it = NULL, *comments = NULL, *obj = NULL;
	char path[2 * GHITEM_NAME_MAX + 64], notfound[160];
	long n = 0, count;
	bool need_comments;
	int rc;

	ghitem_ctx_init(&c, e);
	if ((rc = issue_view_parse(argc, argv, &o)) != 0)
		goto done;
	if (!ghitem_parse_url(o.selector, kinds, c.owner, sizeof(c.owner), c.repo, sizeof(c.repo),
	    &n)) {
		if (!ghitem_parse_number(o.selector, &n)) {
			fputs("invalid issue format: ", stderr);
			ghitem_goquote(stderr, o.selector);
			fputc('\n', stderr);
			rc = 1;
			goto done;
		}
		if (gitrepo_resolve(o.com.repo, c.owner, sizeof(c.owner), c.repo,
		    sizeof(c.repo)) != 0) {
			rc = 1;
			goto done;
		}
	}
	snprintf(path, sizeof(path), "/repos/%s/%s/issues/%ld", c.owner, c.repo, n);
	snprintf(notfound, sizeof(notfound), "GraphQL: Could not resolve to an issue or pull "
	    "request with the number of %ld. (repository.issue)", n);
	if ((rc = ghitem_get(&c, path, NULL, false, &it, &err)) != 0) {
		rc = issue_fail(&c, rc, &err, path, notfound);
		goto done;
	}
	count = (long)ghitem_num(it, "comments", INT32_MAX);
	need_comments = o.com.ex.json ? export_wants(&o.com.ex, "comments") && count > 0 :
	    (e->tty && count > 0) || o.comments;
	if (need_comments &&
	    (rc = ghitem_view_comments(&c, n, count, o.com.ex.json || o.comments, &comments, &err)) != 0) {
		snprintf(path, sizeof(path), "/repos/%s/%s/issues/%ld/comments", c.owner, c.repo, n);
		rc = issue_fail(&c, rc, &err, path, NULL);
		goto done;
	}
	if (o.com.ex.json) {
		if ((rc = issue_json(&c, it, comments, &o.com.ex, &obj, &err)) != 0)
			rc = issue_fail(&c, rc, &err, "/users", NULL);
		else
			rc = export_print(&o.com.ex, obj, e);
	} else if (e->tty) {
		issue_view_tty(stdout, &c, it, comments, o.comments);
	} else if (o.comments) {
		struct ghitem_comment *v = NULL;
		size_t nv = 0;

		ghitem_comments_add(&v, &nv, comments);
		ghitem_comments_raw(stdout, v, nv);
		free(v);
	} else {
		issue_view_raw(stdout, it);
	}
done:
	json_decref(obj);
	json_decref(comments);
	json_decref(it);
	cmdutil_opts_free(&o.com);
	ghitem_ctx_free(&c);
	return rc;
}

int
issue_main(int argc, char **argv, const struct ghp_env *e)
{
	if (argc < 2)
		return GHP_FALLTHROUGH;
	if (strcmp(argv[1], "list") == 0 || strcmp(argv[1], "ls") == 0)
		return issue_list(argc - 1, argv + 1, e);
	if (strcmp(argv[1], "view") == 0)
		return issue_view(argc - 1, argv + 1, e);
	return GHP_FALLTHROUGH;
}
