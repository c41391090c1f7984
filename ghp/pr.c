/*
 * pr.c - `ghp pr list`, `view`, `diff` and `checks`, answered from ghpool's
 * REST API and printed as gh prints them (docs/ghp-formats.md §11-§14).
 * A pull request is gathered lazily (list item, single PR, its issue side,
 * reviews, checks) so each output costs only the requests it needs. Writes,
 * --web, --watch, --required (no REST source), @me, gh's flag errors and
 * flags not handled here go to the real gh.
 */
#include "args.h"
#include "cmdutil.h"
#include "export.h"
#include "ghitem.h"
#include "ghp.h"
#include "ghtime.h"
#include "gitrepo.h"
#include "table.h"

#include <ctype.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/wait.h>
#include <unistd.h>

#define PR_MAX_PAGES 1000

static const char *const pr_fields[] = {
	"additions", "assignees", "author", "autoMergeRequest", "baseRefName", "baseRefOid",
	"body", "changedFiles", "closed", "closedAt", "closingIssuesReferences", "comments",
	"commits", "createdAt", "deletions", "files", "fullDatabaseId", "headRefName",
	"headRefOid", "headRepository", "headRepositoryOwner", "id", "isCrossRepository",
	"isDraft", "labels", "latestReviews", "maintainerCanModify", "mergeCommit",
	"mergeStateStatus", "mergeable", "mergedAt", "mergedBy", "milestone", "number",
	"potentialMergeCommit", "projectCards", "projectItems", "reactionGroups",
	"reviewDecision", "reviewRequests", "reviews", "state", "statusCheckRollup", "title",
	"updatedAt", "url", NULL,
};

static const char *const pr_check_fields[] = {
	"bucket", "completedAt", "description", "event", "link", "name", "startedAt", "state",
	"workflow", NULL,
};

/* Fields a search result (issue-shaped) answers without the pull itself. */
static const char *const pr_issue_side[] = {
	"assignees", "author", "body", "closed", "closedAt", "closingIssuesReferences",
	"comments", "createdAt", "isDraft", "labels", "mergedAt", "milestone", "number",
	"projectCards", "projectItems", "reactionGroups", "state", "title", "updatedAt", "url",
	NULL,
};

/* Fields only the single-PR endpoint carries. */
static const char *const pr_full_side[] = {
	"additions", "changedFiles", "deletions", "maintainerCanModify", "mergeStateStatus",
	"mergeable", "mergedBy", NULL,
};

enum {
	PR_F_STATE, PR_F_LIMIT, PR_F_BASE, PR_F_HEAD, PR_F_LABEL, PR_F_AUTHOR, PR_F_APP,
	PR_F_ASSIGNEE, PR_F_DRAFT, PR_F_SEARCH, PR_F_COMMENTS, PR_F_COLOR, PR_F_PATCH,
	PR_F_NAME_ONLY,
};

/* One command's requests: the repository, and the last request that failed. */
struct pr_job {
	struct ghitem_ctx c;
	struct client_error err;
	char path[2048];
};

/* One pull request, as far as it has been fetched. */
struct pr_rec {
	long number;
	json_t *pull;          /* a /pulls list item or the single PR; NULL until needed */
	bool full;             /* pull came from /pulls/{n} */
	json_t *issue;         /* issue side: a search item or /issues/{n} */
};

/* A check run or commit status, as `pr checks` sees it. */
struct pr_check {
	const char *name, *link, *description, *workflow, *event, *bucket;
	char state[32];
	time_t started, completed;
};

/* A head commit's checks. */
struct pr_checks {
	json_t *runs, *statuses;
	json_t *workflows;     /* check suite id -> workflow run */
	struct pr_check *v;    /* deduplicated, newest first */
	size_t n;
};

static void
pr_rec_free(struct pr_rec *r)
{
	json_decref(r->pull);
	json_decref(r->issue);
	memset(r, 0, sizeof(*r));
}

static void
pr_checks_free(struct pr_checks *k)
{
	json_decref(k->runs);
	json_decref(k->statuses);
	json_decref(k->workflows);
	free(k->v);
	memset(k, 0, sizeof(*k));
}

static bool
pr_wants_any(const struct export_opts *ex, const char *const *fields)
{
	for (; *fields != NULL; fields++)
		if (export_wants(ex, *fields))
			return true;
	return false;
}

/* --- requests ------------------------------------------------------------------ */

static int __attribute__((format(printf, 5, 6)))
pr_get(struct pr_job *j, const char *accept, bool raw, json_t **out, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(j->path, sizeof(j->path), fmt, ap);
	va_end(ap);
	return ghitem_get(&j->c, j->path, accept, raw, out, &j->err);
}

static int __attribute__((format(printf, 5, 6)))
pr_list_get(struct pr_job *j, const char *items_key, long limit, json_t **out,
    const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(j->path, sizeof(j->path), fmt, ap);
	va_end(ap);
	return ghitem_list(&j->c, j->path, items_key, limit, out, NULL, &j->err);
}

static int
pr_fail(struct pr_job *j, int rc, const char *notfound)
{
	return ghitem_fail(&j->c, rc, &j->err, j->path, notfound);
}

/* The single PR (everything the list items lack). */
static int
pr_load_full(struct pr_job *j, struct pr_rec *r)
{
	json_t *doc;
	int rc;

	if (r->full)
		return 0;
	if ((rc = pr_get(j, NULL, false, &doc, "/repos/%s/%s/pulls/%ld", j->c.owner, j->c.repo,
	    r->number)) != 0)
		return rc;
	json_decref(r->pull);
	r->pull = doc;
	r->full = true;
	return 0;
}

/* The issue side, for reactions (pulls carry none). */
static int
pr_load_issue(struct pr_job *j, struct pr_rec *r)
{
	if (r->issue != NULL)
		return 0;
	return pr_get(j, NULL, false, &r->issue, "/repos/%s/%s/issues/%ld", j->c.owner, j->c.repo,
	    r->number);
}

/* The REST object most fields come from. */
static const json_t *
pr_base(const struct pr_rec *r)
{
	return r->pull ? r->pull : r->issue;
}

static const char *
pr_merged_at(const struct pr_rec *r)
{
	if (r->pull)
		return ghitem_str(r->pull, "merged_at");
	return ghitem_str(json_object_get(r->issue, "pull_request"), "merged_at");
}

/* OPEN, CLOSED or MERGED. */
static const char *
pr_state(const struct pr_rec *r)
{
	if (*pr_merged_at(r))
		return "MERGED";
	return strcmp(ghitem_str(pr_base(r), "state"), "open") == 0 ? "OPEN" : "CLOSED";
}

static bool
pr_is_draft(const struct pr_rec *r)
{
	return ghitem_bool(pr_base(r), "draft");
}

/* gh's state column: DRAFT for open drafts. */
static const char *
pr_state_draft(const struct pr_rec *r)
{
	return pr_is_draft(r) && strcmp(pr_state(r), "OPEN") == 0 ? "DRAFT" : pr_state(r);
}

/* The head branch's owner: its repository's, else the head's user (a
 * deleted fork leaves no repository), else the label's prefix. */
static void
pr_head_owner(const json_t *pull, char *out, size_t len)
{
	const json_t *head = json_object_get(pull, "head");
	const char *login = ghitem_str(json_object_get(json_object_get(head, "repo"), "owner"),
	    "login"), *label = ghitem_str(head, "label");

	if (*login == '\0')
		login = ghitem_str(json_object_get(head, "user"), "login");
	if (*login == '\0' && strchr(label, ':') != NULL)
		snprintf(out, len, "%.*s", (int)(strchr(label, ':') - label), label);
	else
		snprintf(out, len, "%s", login);
}

static bool
pr_is_cross(const json_t *pull)
{
	const json_t *head = json_object_get(json_object_get(pull, "head"), "repo");
	const json_t *base = json_object_get(json_object_get(pull, "base"), "repo");
	char owner[256];

	if (json_is_object(head))
		return strcmp(ghitem_str(head, "full_name"), ghitem_str(base, "full_name")) != 0;
	/* without the head repository, another owner means another repository */
	pr_head_owner(pull, owner, sizeof(owner));
	return *owner != '\0' &&
	    strcasecmp(owner, ghitem_str(json_object_get(base, "owner"), "login")) != 0;
}

/* headRefName, or owner:headRefName for a fork's branch. */
static void
pr_head_label(const json_t *pull, char *out, size_t len)
{
	const char *ref = ghitem_str(json_object_get(pull, "head"), "ref");
	char owner[256];

	if (pr_is_cross(pull)) {
		pr_head_owner(pull, owner, sizeof(owner));
		snprintf(out, len, "%s:%s", owner, ref);
	} else {
		snprintf(out, len, "%s", ref);
	}
}

/* --- checks -------------------------------------------------------------------- */

static const char *
pr_bucket(const char *state)
{
	if (strcmp(state, "SUCCESS") == 0)
		return "pass";
	if (strcmp(state, "SKIPPED") == 0 || strcmp(state, "NEUTRAL") == 0)
		return "skipping";
	if (strcmp(state, "ERROR") == 0 || strcmp(state, "FAILURE") == 0 ||
	    strcmp(state, "TIMED_OUT") == 0 || strcmp(state, "ACTION_REQUIRED") == 0)
		return "fail";
	if (strcmp(state, "CANCELLED") == 0)
		return "cancel";
	return "pending";
}

/* A check run's state: its conclusion once completed, else its status. */
static void
pr_run_state(const json_t *run, char *out, size_t len)
{
	const char *status = ghitem_str(run, "status");

	ghitem_upper(out, len, strcmp(status, "completed") == 0 ?
	    ghitem_str(run, "conclusion") : status);
}

static const json_t *
pr_run_workflow(const struct pr_checks *k, const json_t *run)
{
	char id[32];

	snprintf(id, sizeof(id), "%lld",
	    ghitem_num(json_object_get(run, "check_suite"), "id", INT64_MAX));
	return json_object_get(k->workflows, id);
}

static bool
pr_check_same(const struct pr_check *a, const struct pr_check *b, bool status)
{
	if (status)
		return strcmp(a->name, b->name) == 0;
	return strcmp(a->name, b->name) == 0 && strcmp(a->workflow, b->workflow) == 0 &&
	    strcmp(a->event, b->event) == 0;
}

/* gh keeps the newest of each check: statuses by context, check runs by
 * name, workflow and event. */
static void
pr_checks_build(struct pr_checks *k)
{
	size_t nr = json_array_size(k->runs), ns = json_array_size(k->statuses), i, j, kept = 0;
	struct pr_check *v = calloc(nr + ns + 1, sizeof(*v));
	bool *is_status = calloc(nr + ns + 1, sizeof(bool));

	for (i = 0; i < nr; i++) {
		const json_t *run = json_array_get(k->runs, i), *wf = pr_run_workflow(k, run);
		struct pr_check *c = &v[i];

		c->name = ghitem_str(run, "name");
		pr_run_state(run, c->state, sizeof(c->state));
		c->started = ghitem_when(run, "started_at");
		c->completed = ghitem_when(run, "completed_at");
		c->link = ghitem_str(run, "details_url");
		/* gh's check runs carry no description; the spec's choice is the
		 * output title (§14). */
		c->description = ghitem_str(json_object_get(run, "output"), "title");
		c->workflow = ghitem_str(wf, "name");
		c->event = ghitem_str(wf, "event");
	}
	for (i = 0; i < ns; i++) {
		const json_t *st = json_array_get(k->statuses, i);
		struct pr_check *c = &v[nr + i];

		c->name = ghitem_str(st, "context");
		ghitem_upper(c->state, sizeof(c->state), ghitem_str(st, "state"));
		c->started = ghitem_when(st, "created_at");
		c->completed = (time_t)-1;
		c->link = ghitem_str(st, "target_url");
		c->description = ghitem_str(st, "description");
		c->workflow = "";
		c->event = "";
		is_status[nr + i] = true;
	}
	/* newest first; insertion sort keeps GitHub's order among equals */
	for (i = 1; i < nr + ns; i++) {
		struct pr_check x = v[i];
		bool xs = is_status[i];

		for (j = i; j > 0 && v[j - 1].started < x.started; j--) {
			v[j] = v[j - 1];
			is_status[j] = is_status[j - 1];
		}
		v[j] = x;
		is_status[j] = xs;
	}
	for (i = 0; i < nr + ns; i++) {
		for (j = 0; j < kept; j++)
			if (is_status[j] == is_status[i] && pr_check_same(&v[j], &v[i], is_status[i]))
				break;
		if (j < kept)
			continue;
		v[kept] = v[i];
		is_status[kept] = is_status[i];
		v[kept].bucket = pr_bucket(v[kept].state);
		kept++;
	}
	free(is_status);
	k->v = v;
	k->n = kept;
}

/* The check runs and statuses of sha; with workflows, also the workflow
 * runs behind Actions check runs (their names and events name the checks
 * and tell duplicates apart; other apps' check runs have none). */
static int
pr_checks_fetch(struct pr_job *j, const char *sha, bool workflows, struct pr_checks *k)
{
	const struct ghitem_ctx *c = &j->c;
	json_t *doc = NULL, *run, *wf;
	bool actions = false;
	size_t i;
	int rc;

	memset(k, 0, sizeof(*k));
	k->workflows = json_object();
	if (*sha == '\0') {
		/* a pull request without commits has no checks to ask about */
		k->runs = json_array();
		k->statuses = json_array();
		return 0;
	}
	if ((rc = pr_list_get(j, "check_runs", 0, &k->runs, "/repos/%s/%s/commits/%s/check-runs",
	    c->owner, c->repo, sha)) != 0)
		return rc;
	if ((rc = pr_get(j, NULL, false, &doc, "/repos/%s/%s/commits/%s/status?per_page=100",
	    c->owner, c->repo, sha)) != 0)
		return rc;
	k->statuses = json_incref(json_object_get(doc, "statuses"));
	if (k->statuses == NULL)
		k->statuses = json_array();
	json_decref(doc);
	doc = NULL;
	json_array_foreach(k->runs, i, run)
		if (strcmp(ghitem_str(json_object_get(run, "app"), "slug"), "github-actions") == 0)
			actions = true;
	if (!workflows || !actions)
		return 0;
	if ((rc = pr_list_get(j, "workflow_runs", 0, &doc, "/repos/%s/%s/actions/runs?head_sha=%s",
	    c->owner, c->repo, sha)) != 0)
		return rc;
	json_array_foreach(doc, i, wf) {
		char id[32];

		snprintf(id, sizeof(id), "%lld", ghitem_num(wf, "check_suite_id", INT64_MAX));
		json_object_set(k->workflows, id, wf);
	}
	json_decref(doc);
	return 0;
}

/* statusCheckRollup (spec §14): every check run and status of the head. */
static json_t *
pr_rollup_json(const struct pr_checks *k)
{
	json_t *arr = json_array(), *x;
	size_t i;
	char up[32];

	json_array_foreach(k->runs, i, x) {
		json_t *o = json_object();

		json_object_set_new(o, "__typename", json_string("CheckRun"));
		json_object_set_new(o, "completedAt", ghitem_time(x, "completed_at", true));
		ghitem_upper(up, sizeof(up), ghitem_str(x, "conclusion"));
		json_object_set_new(o, "conclusion", json_string(up));
		json_object_set_new(o, "detailsUrl", json_string(ghitem_str(x, "details_url")));
		json_object_set_new(o, "name", json_string(ghitem_str(x, "name")));
		json_object_set_new(o, "startedAt", ghitem_time(x, "started_at", true));
		ghitem_upper(up, sizeof(up), ghitem_str(x, "status"));
		json_object_set_new(o, "status", json_string(up));
		json_object_set_new(o, "workflowName",
		    json_string(ghitem_str(pr_run_workflow(k, x), "name")));
		json_array_append_new(arr, o);
	}
	json_array_foreach(k->statuses, i, x) {
		json_t *o = json_object();

		json_object_set_new(o, "__typename", json_string("StatusContext"));
		json_object_set_new(o, "context", json_string(ghitem_str(x, "context")));
		json_object_set_new(o, "startedAt", ghitem_time(x, "created_at", true));
		ghitem_upper(up, sizeof(up), ghitem_str(x, "state"));
		json_object_set_new(o, "state", json_string(up));
		json_object_set_new(o, "targetUrl", json_string(ghitem_str(x, "target_url")));
		json_array_append_new(arr, o);
	}
	return arr;
}

/* The checks line of `pr view` (gh counts every context, no deduplication). */
static void
pr_checks_summary(FILE *f, const struct ghp_env *e, const struct pr_checks *k)
{
	size_t total = 0, pass = 0, fail = 0, pending = 0, i;
	char text[64];
	json_t *x;

	json_array_foreach(k->runs, i, x) {
		char st[32];

		pr_run_state(x, st, sizeof(st));
		if (strcmp(st, "SUCCESS") == 0 || strcmp(st, "NEUTRAL") == 0 || strcmp(st, "SKIPPED") == 0)
			pass++;
		else if (strcmp(pr_bucket(st), "fail") == 0 || strcmp(st, "CANCELLED") == 0)
			fail++;
		else
			pending++;
		total++;
	}
	json_array_foreach(k->statuses, i, x) {
		const char *st = ghitem_str(x, "state");

		if (strcmp(st, "success") == 0)
			pass++;
		else if (strcmp(st, "error") == 0 || strcmp(st, "failure") == 0)
			fail++;
		else
			pending++;
		total++;
	}
	if (total == 0) {
		ghitem_paint(f, e, "gray", "No checks");
	} else if (fail > 0) {
		if (fail == total)
			snprintf(text, sizeof(text), "\xc3\x97 All checks failing");
		else
			snprintf(text, sizeof(text), "\xc3\x97 %zu/%zu checks failing", fail, total);
		ghitem_paint(f, e, "red", text);
	} else if (pending > 0) {
		ghitem_paint(f, e, "yellow", "- Checks pending");
	} else if (pass == total) {
		ghitem_paint(f, e, "green", "\xe2\x9c\x93 Checks passing");
	} else {
		ghitem_paint(f, e, "gray", "No checks");
	}
}

/* --- JSON of a pull request ------------------------------------------------------ */

static json_t *
pr_review_json(const json_t *rv)
{
	json_t *o = json_object();
	char login[256];

	json_object_set_new(o, "id", json_string(ghitem_str(rv, "node_id")));
	json_object_set_new(o, "author", json_pack("{s:s}", "login",
	    ghitem_login(json_object_get(rv, "user"), login, sizeof(login))));
	json_object_set_new(o, "authorAssociation",
	    json_string(ghitem_str(rv, "author_association")));
	json_object_set_new(o, "body", json_string(ghitem_str(rv, "body")));
	json_object_set_new(o, "submittedAt", ghitem_time(rv, "submitted_at", false));
	json_object_set_new(o, "includesCreatedEdit", json_false());
	json_object_set_new(o, "reactionGroups", json_array());
	json_object_set_new(o, "state", json_string(ghitem_str(rv, "state")));
	json_object_set_new(o, "commit", json_pack("{s:s}", "oid", ghitem_str(rv, "commit_id")));
	return o;
}

/* reviews, or with latest the last submitted review of each author. */
static json_t *
pr_reviews_json(const json_t *reviews, bool latest)
{
	json_t *arr = json_array(), *rv, *last = json_object();
	size_t i;

	json_array_foreach(reviews, i, rv)
		if (strcmp(ghitem_str(rv, "state"), "PENDING") != 0)
			json_object_set_new(last, ghitem_str(json_object_get(rv, "user"), "login"),
			    json_integer((json_int_t)i));
	json_array_foreach(reviews, i, rv) {
		json_t *at = json_object_get(last, ghitem_str(json_object_get(rv, "user"), "login"));

		if (!latest || (at != NULL && json_integer_value(at) == (json_int_t)i))
			json_array_append_new(arr, pr_review_json(rv));
	}
	json_decref(last);
	return arr;
}

static json_t *
pr_review_requests_json(const struct ghitem_ctx *c, const json_t *pull)
{
	json_t *arr = json_array(), *x;
	size_t i;
	char login[256], slug[300];

	json_array_foreach(json_object_get(pull, "requested_reviewers"), i, x)
		json_array_append_new(arr, json_pack("{s:s,s:s}", "__typename", "User", "login",
		    ghitem_login(x, login, sizeof(login))));
	json_array_foreach(json_object_get(pull, "requested_teams"), i, x) {
		snprintf(slug, sizeof(slug), "%s/%s", c->owner, ghitem_str(x, "slug"));
		json_array_append_new(arr, json_pack("{s:s,s:s,s:s}", "__typename", "Team",
		    "name", ghitem_str(x, "name"), "slug", slug));
	}
	return arr;
}

static json_t *
pr_commits_json(const json_t *commits)
{
	json_t *arr = json_array(), *x;
	size_t i;

	json_array_foreach(commits, i, x) {
		const json_t *cm = json_object_get(x, "commit"), *who = json_object_get(cm, "author");
		const json_t *user = json_object_get(x, "author");
		const char *msg = ghitem_str(cm, "message");
		size_t head = strcspn(msg, "\n");
		const char *body = msg + head;
		json_t *o = json_object(), *author = json_object();

		while (*body == '\n' || *body == '\r')
			body++;
		json_object_set_new(o, "authoredDate", ghitem_time(who, "date", true));
		json_object_set_new(author, "email", json_string(ghitem_str(who, "email")));
		json_object_set_new(author, "id", json_string(ghitem_str(user, "node_id")));
		json_object_set_new(author, "login", json_string(ghitem_str(user, "login")));
		json_object_set_new(author, "name", json_string(ghitem_str(who, "name")));
		json_object_set_new(o, "authors", json_pack("[o]", author));
		json_object_set_new(o, "committedDate",
		    ghitem_time(json_object_get(cm, "committer"), "date", true));
		json_object_set_new(o, "messageBody", json_string(body));
		json_object_set_new(o, "messageHeadline", json_stringn(msg, head));
		json_object_set_new(o, "oid", json_string(ghitem_str(x, "sha")));
		json_array_append_new(arr, o);
	}
	return arr;
}

static json_t *
pr_files_json(const json_t *files)
{
	json_t *arr = json_array(), *x;
	size_t i;

	json_array_foreach(files, i, x)
		json_array_append_new(arr, json_pack("{s:s,s:I,s:I}", "path", ghitem_str(x, "filename"),
		    "additions", (json_int_t)ghitem_num(x, "additions", INT32_MAX),
		    "deletions", (json_int_t)ghitem_num(x, "deletions", INT32_MAX)));
	return arr;
}

/* autoMergeRequest: REST's auto_merge in gh's member order (spec §11 leaves
 * the shape unverified). */
static int
pr_auto_merge_json(struct pr_job *j, const json_t *am, json_t **out)
{
	json_t *o, *actor;
	char method[32];
	int rc;

	*out = NULL;
	if (!json_is_object(am)) {
		*out = json_null();
		return 0;
	}
	if ((rc = ghitem_actor(&j->c, json_object_get(am, "enabled_by"), true, &actor, &j->err)) != 0)
		return rc;
	o = json_object();
	json_object_set_new(o, "authorEmail", json_null());
	json_object_set_new(o, "commitBody", json_is_string(json_object_get(am, "commit_message")) ?
	    json_string(ghitem_str(am, "commit_message")) : json_null());
	json_object_set_new(o, "commitHeadline", json_is_string(json_object_get(am, "commit_title")) ?
	    json_string(ghitem_str(am, "commit_title")) : json_null());
	ghitem_upper(method, sizeof(method), ghitem_str(am, "merge_method"));
	json_object_set_new(o, "mergeMethod", json_string(method));
	json_object_set_new(o, "enabledAt", json_string("0001-01-01T00:00:00Z"));
	json_object_set_new(o, "enabledBy", actor);
	*out = o;
	return 0;
}

static int
pr_head_owner_json(struct pr_job *j, const json_t *pull, json_t **out)
{
	const json_t *owner = json_object_get(json_object_get(json_object_get(pull, "head"), "repo"),
	    "owner");
	const char *name = "";
	char login[256];
	json_t *o;
	int rc;

	*out = NULL;
	if (!json_is_object(owner)) {
		*out = json_null();
		return 0;
	}
	ghitem_login(owner, login, sizeof(login));
	if ((rc = ghitem_user_name(&j->c, login, &name, &j->err)) != 0) {
		snprintf(j->path, sizeof(j->path), "/users/%s", login);
		return rc;
	}
	o = json_object();
	if (*ghitem_str(owner, "node_id"))
		json_object_set_new(o, "id", json_string(ghitem_str(owner, "node_id")));
	if (*name)
		json_object_set_new(o, "name", json_string(name));
	json_object_set_new(o, "login", json_string(login));
	*out = o;
	return 0;
}

/* Sub-resources fetched for the requested fields of r. */
struct pr_extras {
	json_t *comments, *reviews, *commits, *files;
	struct pr_checks checks;
	bool have_checks;
};

static void
pr_extras_free(struct pr_extras *x)
{
	json_decref(x->comments);
	json_decref(x->reviews);
	json_decref(x->commits);
	json_decref(x->files);
	pr_checks_free(&x->checks);
	memset(x, 0, sizeof(*x));
}

/* Fetches what the requested fields need: the pull, its issue side, and
 * the sub-resources. comments_limit: 100 in lists, all (0) in views. */
static int
pr_load_for(struct pr_job *j, struct pr_rec *r, const struct export_opts *ex,
    long comments_limit, struct pr_extras *x)
{
	const struct ghitem_ctx *c = &j->c;
	int rc;

	if (pr_wants_any(ex, pr_full_side) && (rc = pr_load_full(j, r)) != 0)
		return rc;
	if (r->pull == NULL) {
		for (const char *const *f = (const char *const *)ex->fields;
		    f < (const char *const *)ex->fields + ex->n_fields; f++) {
			bool issue_side = false;

			for (const char *const *s = pr_issue_side; *s; s++)
				issue_side = issue_side || strcmp(*s, *f) == 0;
			if (!issue_side && (rc = pr_load_full(j, r)) != 0)
				return rc;
		}
	}
	if (export_wants(ex, "reactionGroups") &&
	    json_object_get(pr_base(r), "reactions") == NULL && (rc = pr_load_issue(j, r)) != 0)
		return rc;
	/* A count says when no comments request is needed; list items have none. */
	if (export_wants(ex, "comments") && (json_object_get(pr_base(r), "comments") == NULL ||
	    ghitem_num(pr_base(r), "comments", INT32_MAX) > 0)) {
		snprintf(j->path, sizeof(j->path), "/repos/%s/%s/issues/%ld/comments", c->owner,
		    c->repo, r->number);
		if ((rc = ghitem_comments(&j->c, r->number, comments_limit, &x->comments,
		    &j->err)) != 0)
			return rc;
	}
	if ((export_wants(ex, "reviews") || export_wants(ex, "latestReviews")) &&
	    (rc = pr_list_get(j, NULL, 0, &x->reviews, "/repos/%s/%s/pulls/%ld/reviews", c->owner,
	    c->repo, r->number)) != 0)
		return rc;
	if (export_wants(ex, "commits") && (rc = pr_list_get(j, NULL, 0, &x->commits,
	    "/repos/%s/%s/pulls/%ld/commits", c->owner, c->repo, r->number)) != 0)
		return rc;
	if (export_wants(ex, "files") && (rc = pr_list_get(j, NULL, 0, &x->files,
	    "/repos/%s/%s/pulls/%ld/files", c->owner, c->repo, r->number)) != 0)
		return rc;
	if (export_wants(ex, "statusCheckRollup")) {
		if ((rc = pr_checks_fetch(j, ghitem_str(json_object_get(r->pull, "head"), "sha"), true,
		    &x->checks)) != 0)
			return rc;
		x->have_checks = true;
	}
	return 0;
}

/* The fields only a pull carries. */
static int
pr_pull_fields(struct pr_job *j, const struct pr_rec *r, const struct export_opts *ex,
    const struct pr_extras *x, json_t *obj)
{
	const json_t *p = r->pull, *head = json_object_get(p, "head");
	const json_t *base = json_object_get(p, "base"), *hrepo = json_object_get(head, "repo");
	const json_t *mergeable = json_object_get(p, "mergeable");
	bool merged = *ghitem_str(p, "merged_at") != '\0';
	const char *sha = ghitem_str(p, "merge_commit_sha");
	char buf[64];
	json_t *v;
	int rc;

	json_object_set_new(obj, "additions", json_integer(ghitem_num(p, "additions", INT32_MAX)));
	if (export_wants(ex, "autoMergeRequest")) {
		if ((rc = pr_auto_merge_json(j, json_object_get(p, "auto_merge"), &v)) != 0)
			return rc;
		json_object_set_new(obj, "autoMergeRequest", v);
	}
	json_object_set_new(obj, "baseRefName", json_string(ghitem_str(base, "ref")));
	json_object_set_new(obj, "baseRefOid", json_string(ghitem_str(base, "sha")));
	json_object_set_new(obj, "changedFiles",
	    json_integer(ghitem_num(p, "changed_files", INT32_MAX)));
	json_object_set_new(obj, "deletions", json_integer(ghitem_num(p, "deletions", INT32_MAX)));
	snprintf(buf, sizeof(buf), "%lld", ghitem_num(p, "id", INT64_MAX));
	json_object_set_new(obj, "fullDatabaseId", json_string(buf));
	json_object_set_new(obj, "headRefName", json_string(ghitem_str(head, "ref")));
	json_object_set_new(obj, "headRefOid", json_string(ghitem_str(head, "sha")));
	json_object_set_new(obj, "headRepository", !json_is_object(hrepo) ? json_null() :
	    json_pack("{s:s,s:s}", "id", ghitem_str(hrepo, "node_id"), "name",
	    ghitem_str(hrepo, "name")));
	if (export_wants(ex, "headRepositoryOwner")) {
		if ((rc = pr_head_owner_json(j, p, &v)) != 0)
			return rc;
		json_object_set_new(obj, "headRepositoryOwner", v);
	}
	json_object_set_new(obj, "id", json_string(ghitem_str(p, "node_id")));
	json_object_set_new(obj, "isCrossRepository", json_boolean(pr_is_cross(p)));
	json_object_set_new(obj, "maintainerCanModify",
	    json_boolean(ghitem_bool(p, "maintainer_can_modify")));
	json_object_set_new(obj, "mergeCommit", merged && *sha ?
	    json_pack("{s:s}", "oid", sha) : json_null());
	json_object_set_new(obj, "potentialMergeCommit", !merged && *sha ?
	    json_pack("{s:s}", "oid", sha) : json_null());
	ghitem_upper(buf, sizeof(buf), *ghitem_str(p, "mergeable_state") ?
	    ghitem_str(p, "mergeable_state") : "unknown");
	json_object_set_new(obj, "mergeStateStatus", json_string(buf));
	json_object_set_new(obj, "mergeable", json_string(json_is_true(mergeable) ? "MERGEABLE" :
	    json_is_false(mergeable) ? "CONFLICTING" : "UNKNOWN"));
	if (export_wants(ex, "mergedBy")) {
		if ((rc = ghitem_actor(&j->c, json_object_get(p, "merged_by"), true, &v, &j->err)) != 0)
			return rc;
		json_object_set_new(obj, "mergedBy", v);
	}
	json_object_set_new(obj, "reviewRequests", pr_review_requests_json(&j->c, p));
	if (x->have_checks)
		json_object_set_new(obj, "statusCheckRollup", pr_rollup_json(&x->checks));
	return 0;
}

/* A pull request's JSON object: the requested fields of spec §11. */
static int
pr_json(struct pr_job *j, struct pr_rec *r, const struct export_opts *ex, long comments_limit,
    json_t **out)
{
	struct pr_extras x = { 0 };
	json_t *obj = json_object();
	int rc;

	*out = NULL;
	if ((rc = pr_load_for(j, r, ex, comments_limit, &x)) != 0)
		goto done;
	snprintf(j->path, sizeof(j->path), "/users");
	if ((rc = ghitem_common_fields(&j->c, pr_base(r), x.comments, ex, obj, &j->err)) != 0)
		goto done;
	if (r->pull != NULL && (rc = pr_pull_fields(j, r, ex, &x, obj)) != 0)
		goto done;
	if (json_object_get(pr_base(r), "reactions") == NULL && r->issue != NULL)
		json_object_set_new(obj, "reactionGroups",
		    ghitem_reactions(json_object_get(r->issue, "reactions")));
	json_object_set_new(obj, "state", json_string(pr_state(r)));
	json_object_set_new(obj, "isDraft", json_boolean(pr_is_draft(r)));
	json_object_set_new(obj, "mergedAt", *pr_merged_at(r) ?
	    ghitem_time(r->pull ? r->pull : json_object_get(r->issue, "pull_request"), "merged_at",
	    false) : json_null());
	/* No REST source (spec §11). */
	json_object_set_new(obj, "closingIssuesReferences", json_array());
	json_object_set_new(obj, "reviewDecision", json_string(""));
	if (x.reviews != NULL) {
		json_object_set_new(obj, "reviews", pr_reviews_json(x.reviews, false));
		json_object_set_new(obj, "latestReviews", pr_reviews_json(x.reviews, true));
	}
	if (x.commits != NULL)
		json_object_set_new(obj, "commits", pr_commits_json(x.commits));
	if (x.files != NULL)
		json_object_set_new(obj, "files", pr_files_json(x.files));
	*out = obj;
	obj = NULL;
done:
	json_decref(obj);
	pr_extras_free(&x);
	return rc;
}

/* --- finding the pull request ------------------------------------------------------ */

/* One line of git's output for argv (no shell: branch names are data). */
static int
pr_git(char *const argv[], char *out, size_t len)
{
	int fd[2], st;
	pid_t pid;
	ssize_t n;
	size_t got = 0;

	out[0] = '\0';
	if (pipe(fd) != 0)
		return -1;
	if ((pid = fork()) < 0) {
		close(fd[0]);
		close(fd[1]);
		return -1;
	}
	if (pid == 0) {
		int null = open("/dev/null", O_WRONLY);

		dup2(fd[1], STDOUT_FILENO);
		if (null >= 0)
			dup2(null, STDERR_FILENO);
		close(fd[0]);
		close(fd[1]);
		execvp(argv[0], argv);
		_exit(127);
	}
	close(fd[1]);
	while (got + 1 < len && (n = read(fd[0], out + got, len - 1 - got)) > 0)
		got += (size_t)n;
	out[got] = '\0';
	close(fd[0]);
	while (waitpid(pid, &st, 0) < 0)
		;
	out[strcspn(out, "\r\n")] = '\0';
	return WIFEXITED(st) && WEXITSTATUS(st) == 0 && out[0] ? 0 : -1;
}

/* gh's head for the current branch: "branch", "owner:branch" when it is
 * pushed to a fork, or the PR number a refs/pull/N/head merge names. */
static void
pr_current_head(const struct ghitem_ctx *c, const char *branch, char *head, size_t hlen,
    long *number)
{
	char key[600], merge[1024] = "", remote[1024] = "", url[1024] = "";
	char owner[GHITEM_NAME_MAX] = "", repo[GHITEM_NAME_MAX];
	char *get_merge[] = { "git", "config", "--get", key, NULL };
	char *get_url[] = { "git", "remote", "get-url", remote, NULL };
	long n;

	*number = 0;
	snprintf(head, hlen, "%s", branch);
	snprintf(key, sizeof(key), "branch.%s.merge", branch);
	pr_git(get_merge, merge, sizeof(merge));
	if (strncmp(merge, "refs/pull/", 10) == 0) {
		char num[32];
		size_t len = strcspn(merge + 10, "/");

		snprintf(num, sizeof(num), "%.*s", (int)(len < sizeof(num) ? len : 0), merge + 10);
		if (strcmp(merge + 10 + len, "/head") == 0 && ghitem_parse_number(num, &n) &&
		    *num != '#' && n > 0) {
			*number = n;
			return;
		}
	}
	snprintf(key, sizeof(key), "branch.%s.remote", branch);
	if (pr_git(get_merge, remote, sizeof(remote)) != 0)
		return;
	if (strstr(remote, "://") != NULL || strchr(remote, ':') != NULL)
		snprintf(url, sizeof(url), "%s", remote);
	else if (pr_git(get_url, url, sizeof(url)) != 0)
		return;
	if (gitrepo_parse_url(url, owner, sizeof(owner), repo, sizeof(repo)) != 0)
		return;
	if (strncmp(merge, "refs/heads/", 11) == 0)
		snprintf(head, hlen, "%s", merge + 11);
	if (strcasecmp(owner, c->owner) != 0) {
		char *b = strdup(head);

		snprintf(head, hlen, "%s:%s", owner, b);
		free(b);
	}
}

/* The pull request whose head is head ("branch" or "owner:branch"), open
 * ones first; 1 after gh's not-found message. */
static int
pr_find_branch(struct pr_job *j, const char *head, struct pr_rec *r)
{
	const struct ghitem_ctx *c = &j->c;
	const char *colon = strchr(head, ':'), *branch = colon ? colon + 1 : head;
	char owner[GHITEM_NAME_MAX], *enc_head = NULL, *q = NULL;
	json_t *prs = NULL, *p, *best = NULL;
	size_t i;
	int rc, pass;

	snprintf(owner, sizeof(owner), "%.*s", colon ? (int)(colon - head) : (int)strlen(c->owner),
	    colon ? head : c->owner);
	if (asprintf(&q, "%s:%s", owner, branch) < 0)
		q = NULL;
	enc_head = ghitem_urlencode(q ? q : "");
	rc = pr_list_get(j, NULL, 30, &prs, "/repos/%s/%s/pulls?head=%s&state=all&sort=created"
	    "&direction=desc", c->owner, c->repo, enc_head);
	if (rc != 0) {
		rc = pr_fail(j, rc, NULL);
		goto done;
	}
	for (pass = 0; pass < 2 && best == NULL; pass++) {
		json_array_foreach(prs, i, p) {
			char label[512];
			bool open = strcmp(ghitem_str(p, "state"), "open") == 0;
			const char *dflt = ghitem_str(json_object_get(json_object_get(p, "base"), "repo"),
			    "default_branch");

			/* open ones first, as gh's stable sort puts them */
			if (open != (pass == 0))
				continue;
			pr_head_label(p, label, sizeof(label));
			/* a closed PR of the default branch is never the branch's PR */
			if (strcmp(label, head) == 0 && (open || strcmp(dflt, head) != 0)) {
				best = p;
				break;
			}
		}
	}
	if (best == NULL) {
		fputs("no pull requests found for branch ", stderr);
		ghitem_goquote(stderr, head);
		fputc('\n', stderr);
		rc = 1;
		goto done;
	}
	r->number = (long)ghitem_num(best, "number", INT32_MAX);
	r->pull = json_incref(best);
done:
	json_decref(prs);
	free(enc_head);
	free(q);
	return rc;
}

/* The pull request selector names (a number, "#N", a URL, a branch, or
 * none: the current branch's). The repository lands in j->c. */
static int
pr_find(struct pr_job *j, const char *repo_flag, const char *selector, struct pr_rec *r)
{
	static const char *const kinds[] = { "pull", NULL };
	char branch[512], head[1100];
	long n;

	memset(r, 0, sizeof(*r));
	if (selector == NULL && repo_flag != NULL && *repo_flag != '\0')
		return GHP_FALLTHROUGH;   /* gh's flag error, with usage */
	if (selector != NULL && ghitem_parse_url(selector, kinds, j->c.owner, sizeof(j->c.owner),
	    j->c.repo, sizeof(j->c.repo), &r->number))
		return 0;
	if (gitrepo_resolve(repo_flag, j->c.owner, sizeof(j->c.owner), j->c.repo,
	    sizeof(j->c.repo)) != 0)
		return 1;
	if (selector != NULL && ghitem_parse_number(selector, &r->number))
		return 0;
	if (selector != NULL)
		return pr_find_branch(j, selector, r);
	if (gitrepo_branch(branch, sizeof(branch)) != 0)
		return GHP_FALLTHROUGH;   /* detached or no checkout: gh explains */
	pr_current_head(&j->c, branch, head, sizeof(head), &n);
	if (n > 0) {
		r->number = n;
		return 0;
	}
	return pr_find_branch(j, head, r);
}

static int
pr_not_found(struct pr_job *j, int rc, long n)
{
	char msg[160];

	snprintf(msg, sizeof(msg), "GraphQL: Could not resolve to a PullRequest with the number "
	    "of %ld. (repository.pullRequest)", n);
	return pr_fail(j, rc, msg);
}

/* --- pr list -------------------------------------------------------------------------- */

static const struct args_flag pr_list_flags[] = {
	CMDUTIL_FLAG_REPO,
	CMDUTIL_FLAGS_EXPORT,
	{ "state", 's', true, PR_F_STATE },
	{ "limit", 'L', true, PR_F_LIMIT },
	{ "base", 'B', true, PR_F_BASE },
	{ "head", 'H', true, PR_F_HEAD },
	{ "label", 'l', true, PR_F_LABEL },
	{ "author", 'A', true, PR_F_AUTHOR },
	{ "app", 0, true, PR_F_APP },
	{ "assignee", 'a', true, PR_F_ASSIGNEE },
	{ "draft", 'd', false, PR_F_DRAFT },
	{ "search", 'S', true, PR_F_SEARCH },
	{ NULL, 0, false, 0 },
};

struct pr_list_opts {
	const char *state, *base, *head, *author, *app, *assignee, *search;
	const char *draft;          /* NULL, "true" or "false" */
	long limit;
	json_t *labels;
	struct cmdutil_opts com;
};

static int
pr_list_flag(void *opts, int id, const char *v)
{
	struct pr_list_opts *o = opts;

	switch (id) {
	case PR_F_STATE: o->state = v; break;
	case PR_F_LIMIT:
		if (!ghitem_parse_limit(v, &o->limit))
			return GHP_FALLTHROUGH;
		break;
	case PR_F_BASE: o->base = v; break;
	case PR_F_HEAD: o->head = v; break;
	case PR_F_LABEL: ghitem_add_csv(o->labels, v); break;
	case PR_F_AUTHOR: o->author = v; break;
	case PR_F_APP: o->app = v; break;
	case PR_F_ASSIGNEE: o->assignee = v; break;
	case PR_F_DRAFT: o->draft = v && strcmp(v, "false") == 0 ? "false" : "true"; break;
	case PR_F_SEARCH: o->search = v; break;
	}
	return 0;
}

static int
pr_list_parse(int argc, char **argv, struct pr_list_opts *o)
{
	int rc;

	o->state = "open";
	o->limit = 30;
	if ((rc = cmdutil_parse(argc, argv, 1, pr_list_flags, &o->com, NULL, pr_fields,
	    pr_list_flag, o)) != 0)
		return rc;
	if (strcmp(o->state, "open") != 0 && strcmp(o->state, "closed") != 0 &&
	    strcmp(o->state, "merged") != 0 && strcmp(o->state, "all") != 0)
		return GHP_FALLTHROUGH;
	if ((o->app && o->author) || (o->head && strchr(o->head, ':')))
		return GHP_FALLTHROUGH;
	if ((o->author && strcmp(o->author, "@me") == 0) ||
	    (o->assignee && strcmp(o->assignee, "@me") == 0))
		return GHP_FALLTHROUGH;
	return cmdutil_apply_json(&o->com, pr_fields);
}

static bool
pr_list_filtered(const struct pr_list_opts *o)
{
	return strcmp(o->state, "open") != 0 || o->base || o->head || o->author || o->app ||
	    o->assignee || o->draft || o->search || json_array_size(o->labels) > 0;
}

/* Filters only the Search API answers. */
static bool
pr_list_searches(const struct pr_list_opts *o)
{
	return o->author || o->app || o->assignee || o->draft || o->search ||
	    json_array_size(o->labels) > 0;
}

static char *
pr_list_query(const struct pr_list_opts *o, const struct ghitem_ctx *c)
{
	char *q = NULL;
	size_t len = 0, i;
	FILE *f = open_memstream(&q, &len);
	json_t *l;

	ghitem_query_start(f, c, "pr", o->state, o->search);
	ghitem_qualifier(f, "base", o->base);
	ghitem_qualifier(f, "head", o->head);
	ghitem_qualifier(f, "author", o->author);
	if (o->app)
		fprintf(f, " author:app/%s", o->app);
	ghitem_qualifier(f, "assignee", o->assignee);
	ghitem_qualifier(f, "draft", o->draft);
	json_array_foreach(o->labels, i, l)
		ghitem_qualifier(f, "label", json_string_value(l));
	if (o->search)
		fprintf(f, " %s", o->search);
	fclose(f);
	return q;
}

/* "&base=x&head=owner:y" for the REST listing. */
static char *
pr_list_params(const struct pr_list_opts *o, const struct ghitem_ctx *c)
{
	char *q = NULL, *enc, head[600];
	size_t len = 0;
	FILE *f = open_memstream(&q, &len);

	fprintf(f, "state=%s", strcmp(o->state, "merged") == 0 ? "closed" : o->state);
	if (o->base) {
		enc = ghitem_urlencode(o->base);
		fprintf(f, "&base=%s", enc);
		free(enc);
	}
	if (o->head) {
		snprintf(head, sizeof(head), "%s:%s", c->owner, o->head);
		enc = ghitem_urlencode(head);
		fprintf(f, "&head=%s", enc);
		free(enc);
	}
	fclose(f);
	return q;
}

/* The REST listing (merged: closed ones with a merge), newest first. */
static int
pr_list_rest(struct pr_job *j, const struct pr_list_opts *o, json_t **out)
{
	long per_page = o->limit < 100 ? o->limit : 100;
	char *params = pr_list_params(o, &j->c);
	bool merged = strcmp(o->state, "merged") == 0;
	int rc = 0;

	*out = json_array();
	for (long page = 1; page <= PR_MAX_PAGES && (long)json_array_size(*out) < o->limit; page++) {
		json_t *doc = NULL, *p;
		size_t i, n;

		if ((rc = pr_get(j, NULL, false, &doc, "/repos/%s/%s/pulls?%s&sort=created"
		    "&direction=desc&per_page=%ld&page=%ld", j->c.owner, j->c.repo, params, per_page,
		    page)) != 0)
			break;
		n = json_array_size(doc);
		json_array_foreach(doc, i, p)
			if ((!merged || *ghitem_str(p, "merged_at")) &&
			    (long)json_array_size(*out) < o->limit)
				json_array_append(*out, p);
		json_decref(doc);
		if ((long)n < per_page)
			break;
	}
	free(params);
	if (rc != 0) {
		json_decref(*out);
		*out = NULL;
	}
	return rc;
}

/* The listing as records: REST list items, or search results. */
static int
pr_list_fetch(struct pr_job *j, const struct pr_list_opts *o, struct pr_rec **recs, size_t *n,
    long *total)
{
	json_t *items = NULL, *it;
	char *q = pr_list_query(o, &j->c), *enc;
	size_t i;
	int rc;

	*total = -1;
	if (pr_list_searches(o)) {
		enc = ghitem_urlencode(q);
		snprintf(j->path, sizeof(j->path), "/search/issues?q=%s", enc);
		free(enc);
		rc = ghitem_list(&j->c, j->path, "items", o->limit, &items, total, &j->err);
	} else {
		rc = pr_list_rest(j, o, &items);
	}
	free(q);
	if (rc != 0)
		return rc;
	*n = json_array_size(items);
	*recs = calloc(*n + 1, sizeof(**recs));
	json_array_foreach(items, i, it) {
		(*recs)[i].number = (long)ghitem_num(it, "number", INT32_MAX);
		if (pr_list_searches(o))
			(*recs)[i].issue = json_incref(it);
		else
			(*recs)[i].pull = json_incref(it);
	}
	json_decref(items);
	return 0;
}

/* The terminal header's total: only a full listing can hide more. */
static int
pr_list_total(struct pr_job *j, const struct pr_list_opts *o, size_t shown, long *total)
{
	char *q, *params;
	int rc;

	if (*total >= 0 || (long)shown < o->limit) {
		if (*total < 0)
			*total = (long)shown;
		return 0;
	}
	if (strcmp(o->state, "merged") == 0) {
		q = pr_list_query(o, &j->c);
		snprintf(j->path, sizeof(j->path), "/search/issues");
		rc = ghitem_search_count(&j->c, q, total, &j->err);
		free(q);
		return rc;
	}
	params = pr_list_params(o, &j->c);
	snprintf(j->path, sizeof(j->path), "/repos/%s/%s/pulls?%s", j->c.owner, j->c.repo, params);
	free(params);
	return ghitem_count_pages(&j->c, j->path, total, &j->err);
}

static void
pr_list_table(const struct ghp_env *e, struct pr_rec *recs, size_t n)
{
	static const char *const headers[] = { "ID", "TITLE", "BRANCH", "CREATED AT", NULL };
	struct table *t = table_new(e->tty, e->width, headers);

	for (size_t i = 0; i < n; i++) {
		const json_t *p = recs[i].pull;
		char num[32], label[600], when[64], *title;
		time_t created = ghitem_when(p, "created_at");

		snprintf(num, sizeof(num), "%s%ld", e->tty ? "#" : "", recs[i].number);
		table_add(t, num);
		title = ghitem_collapse(ghitem_str(p, "title"));
		table_add(t, title);
		free(title);
		pr_head_label(p, label, sizeof(label));
		table_add(t, label);
		if (!e->tty)
			table_add(t, pr_state_draft(&recs[i]));
		if (created == (time_t)-1)
			when[0] = '\0';
		else if (e->tty)
			ghtime_ago(e->now, created, when, sizeof(when));
		else
			ghtime_rfc3339(created, when, sizeof(when));
		table_add(t, when);
		table_end_row(t);
	}
	table_print(t, stdout);
	table_free(t);
}

static int
pr_list(int argc, char **argv, const struct ghp_env *e)
{
	struct pr_list_opts o = { 0 };
	struct pr_job j = { 0 };
	struct pr_rec *recs = NULL;
	json_t *arr = NULL;
	char repo_msg[400];
	size_t n = 0, i;
	long total;
	int rc;

	ghitem_ctx_init(&j.c, e);
	o.labels = json_array();
	if ((rc = pr_list_parse(argc, argv, &o)) != 0)
		goto done;
	if (gitrepo_resolve(o.com.repo, j.c.owner, sizeof(j.c.owner), j.c.repo,
	    sizeof(j.c.repo)) != 0) {
		rc = 1;
		goto done;
	}
	snprintf(repo_msg, sizeof(repo_msg), "GraphQL: Could not resolve to a Repository with "
	    "the name '%s/%s'. (repository)", j.c.owner, j.c.repo);
	if ((rc = pr_list_fetch(&j, &o, &recs, &n, &total)) != 0) {
		rc = pr_fail(&j, rc, repo_msg);
		goto done;
	}
	if (o.com.ex.json) {
		arr = json_array();
		for (i = 0; i < n; i++) {
			json_t *obj;

			if ((rc = pr_json(&j, &recs[i], &o.com.ex, 100, &obj)) != 0) {
				rc = pr_fail(&j, rc, NULL);
				goto done;
			}
			json_array_append_new(arr, obj);
		}
		rc = export_print(&o.com.ex, arr, e);
		goto done;
	}
	/* Search results lack the head branch the table shows. */
	for (i = 0; i < n; i++) {
		if (recs[i].pull == NULL && (rc = pr_load_full(&j, &recs[i])) != 0) {
			rc = pr_fail(&j, rc, NULL);
			goto done;
		}
	}
	if (e->tty && n > 0 && (rc = pr_list_total(&j, &o, n, &total)) != 0) {
		rc = pr_fail(&j, rc, NULL);
		goto done;
	}
	if (n == 0) {
		rc = ghitem_no_results(&j.c, pr_list_filtered(&o) ?
		    "no pull requests match your search" : "no open pull requests");
		goto done;
	}
	if (e->tty)
		ghitem_list_header(stdout, &j.c, "pull request", n, total, pr_list_filtered(&o));
	pr_list_table(e, recs, n);
done:
	for (i = 0; i < n; i++)
		pr_rec_free(&recs[i]);
	free(recs);
	json_decref(arr);
	json_decref(o.labels);
	cmdutil_opts_free(&o.com);
	ghitem_ctx_free(&j.c);
	return rc;
}

/* --- pr view ---------------------------------------------------------------------------- */

static const struct args_flag pr_view_flags[] = {
	CMDUTIL_FLAG_REPO,
	CMDUTIL_FLAGS_EXPORT,
	{ "comments", 'c', false, PR_F_COMMENTS },
	{ NULL, 0, false, 0 },
};

/* The selector-taking subcommands' options. */
struct pr_one_opts {
	const char *selector, *color;
	bool comments, patch, name_only;
	struct cmdutil_opts com;
};

static int
pr_one_flag(void *opts, int id, const char *v)
{
	struct pr_one_opts *o = opts;

	switch (id) {
	case PR_F_COMMENTS: o->comments = cmdutil_on(v); break;
	case PR_F_COLOR: o->color = v; break;
	case PR_F_PATCH: o->patch = cmdutil_on(v); break;
	case PR_F_NAME_ONLY: o->name_only = cmdutil_on(v); break;
	}
	return 0;
}

/* fields: what --json offers; NULL for pr diff, which has no --json. */
static int
pr_one_parse(int argc, char **argv, const struct args_flag *flags, const char *const *fields,
    struct pr_one_opts *o)
{
	int rc;

	if ((rc = cmdutil_parse(argc, argv, 1, flags, &o->com, &o->selector, fields, pr_one_flag,
	    o)) != 0 || fields == NULL)
		return rc;
	return cmdutil_apply_json(&o->com, fields);
}

/* Reviews worth showing in a conversation: submitted, and not an empty comment. */
static bool
pr_review_shown(const json_t *rv)
{
	const char *st = ghitem_str(rv, "state");

	return strcmp(st, "PENDING") != 0 &&
	    !(strcmp(st, "COMMENTED") == 0 && *ghitem_str(rv, "body") == '\0');
}

static void
pr_reviews_add(struct ghitem_comment **v, size_t *n, const json_t *reviews, size_t *shown)
{
	json_t *rv;
	size_t i;

	*v = realloc(*v, (*n + json_array_size(reviews) + 1) * sizeof(**v));
	*shown = 0;
	json_array_foreach(reviews, i, rv) {
		struct ghitem_comment *c;

		if (!pr_review_shown(rv))
			continue;
		c = &(*v)[(*n)++];
		memset(c, 0, sizeof(*c));
		c->login = ghitem_str(json_object_get(rv, "user"), "login");
		c->association = ghitem_str(rv, "author_association");
		c->body = ghitem_str(rv, "body");
		c->status = ghitem_str(rv, "state");
		c->link = ghitem_str(rv, "html_url");
		c->created = ghitem_when(rv, "submitted_at");
		(*shown)++;
	}
}

struct pr_reviewer {
	const char *name;
	const char *state;       /* a review state, or "REQUESTED" */
};

static int
pr_reviewer_cmp(const void *pa, const void *pb)
{
	const struct pr_reviewer *a = pa, *b = pb;
	bool ra = strcmp(a->state, "REQUESTED") == 0, rb = strcmp(b->state, "REQUESTED") == 0;

	if (ra != rb)
		return ra ? 1 : -1;
	return strcmp(a->name, b->name);
}

/* "hubot (Approved), octocat (Requested)": each reviewer's last review (not
 * the author's), overwritten by a pending request; completed first. */
static void
pr_reviewer_list(FILE *f, const struct ghp_env *e, const struct ghitem_ctx *c,
    const json_t *pull, const json_t *reviews)
{
	size_t cap = json_array_size(reviews) + json_array_size(json_object_get(pull,
	    "requested_reviewers")) + json_array_size(json_object_get(pull, "requested_teams")) + 1;
	struct pr_reviewer *v = calloc(cap, sizeof(*v));
	char (*teams)[300] = calloc(cap, sizeof(*teams));
	const char *author = ghitem_str(json_object_get(pull, "user"), "login");
	size_t n = 0, i, k, shown = 0;
	json_t *x;

	for (int pass = 0; pass < 3; pass++) {
		const json_t *list = pass == 0 ? reviews : json_object_get(pull,
		    pass == 1 ? "requested_reviewers" : "requested_teams");

		json_array_foreach(list, i, x) {
			const char *name, *state = "REQUESTED";

			if (pass == 0) {
				name = ghitem_str(json_object_get(x, "user"), "login");
				if (strcmp(name, author) == 0)
					continue;
				if (*name == '\0')
					name = "ghost";
				state = ghitem_str(x, "state");
			} else if (pass == 1) {
				name = ghitem_str(x, "login");
			} else {
				/* gh names a team org/slug (LoginOrSlug) */
				snprintf(teams[i], sizeof(teams[i]), "%s/%s", c->owner,
				    ghitem_str(x, "slug"));
				name = teams[i];
			}
			for (k = 0; k < n && strcmp(v[k].name, name) != 0; k++)
				;
			v[k].name = name;
			v[k].state = state;
			if (k == n)
				n++;
		}
	}
	qsort(v, n, sizeof(*v), pr_reviewer_cmp);
	for (i = 0; i < n; i++) {
		const char *st = v[i].state, *text, *color = NULL;

		if (strcmp(st, "PENDING") == 0)
			continue;
		if (strcmp(st, "REQUESTED") == 0) {
			text = "Requested";
			color = "yellow";
		} else if (strcmp(st, "APPROVED") == 0) {
			text = "Approved";
			color = "green";
		} else if (strcmp(st, "CHANGES_REQUESTED") == 0) {
			text = "Changes requested";
			color = "red";
		} else {
			text = "Commented";   /* also for dismissed reviews */
		}
		fprintf(f, "%s%s (", shown++ ? ", " : "", v[i].name);
		if (color)
			ghitem_paint(f, e, color, text);
		else
			fputs(text, f);
		fputc(')', f);
	}
	free(teams);
	free(v);
}

static void
pr_view_raw(FILE *f, const struct ghp_env *e, const struct ghitem_ctx *c, const struct pr_rec *r,
    const json_t *reviews)
{
	const json_t *p = r->pull, *am = json_object_get(p, "auto_merge");
	char login[256], num[32];

	fprintf(f, "title:\t%s\nstate:\t%s\nauthor:\t%s\nlabels:\t", ghitem_str(p, "title"),
	    pr_state_draft(r), ghitem_login(json_object_get(p, "user"), login, sizeof(login)));
	ghitem_label_list(f, e, json_object_get(p, "labels"), true, true);
	fputs("\nassignees:\t", f);
	ghitem_assignee_list(f, json_object_get(p, "assignees"));
	fputs("\nreviewers:\t", f);
	pr_reviewer_list(f, e, c, p, reviews);
	fprintf(f, "\nprojects:\t\nmilestone:\t%s\nnumber:\t%ld\nurl:\t%s\nadditions:\t",
	    ghitem_str(json_object_get(p, "milestone"), "title"), r->number,
	    ghitem_str(p, "html_url"));
	snprintf(num, sizeof(num), "%lld", ghitem_num(p, "additions", INT32_MAX));
	ghitem_paint(f, e, "green", num);
	fputs("\ndeletions:\t", f);
	snprintf(num, sizeof(num), "%lld", ghitem_num(p, "deletions", INT32_MAX));
	ghitem_paint(f, e, "red", num);
	if (json_is_object(am)) {
		char method[32];

		snprintf(method, sizeof(method), "%s", ghitem_str(am, "merge_method"));
		for (char *m = method; *m; m++)
			*m = (char)tolower((unsigned char)*m);
		fprintf(f, "\nauto-merge:\tenabled\t%s\t%s\n", ghitem_login(json_object_get(am,
		    "enabled_by"), login, sizeof(login)), method);
	} else {
		fputs("\nauto-merge:\tdisabled\n", f);
	}
	fprintf(f, "--\n%s\n", ghitem_str(p, "body"));
}

/* What the terminal view shows besides the pull itself. */
struct pr_view_data {
	json_t *reviews, *comments, *issue;
	struct pr_checks checks;
};

static void
pr_view_tty(FILE *f, const struct ghp_env *e, const struct ghitem_ctx *c, const struct pr_rec *r,
    const struct pr_view_data *d, bool all)
{
	const json_t *p = r->pull, *am = json_object_get(p, "auto_merge");
	const char *st = pr_state_draft(r);
	long ncomments = (long)ghitem_num(p, "comments", INT32_MAX);
	char login[256], commits[64], ago[64], num[32], *footer = NULL;
	const char *title = strcmp(st, "DRAFT") == 0 ? "Draft" : strcmp(st, "OPEN") == 0 ? "Open" :
	    strcmp(st, "MERGED") == 0 ? "Merged" : "Closed";
	const char *color = strcmp(st, "DRAFT") == 0 ? "gray" : strcmp(st, "OPEN") == 0 ? "green" :
	    strcmp(st, "MERGED") == 0 ? "magenta" : "red";

	ghitem_paint(f, e, "bold", ghitem_str(p, "title"));
	fprintf(f, " %s/%s#%ld\n", c->owner, c->repo, r->number);
	ghitem_paint(f, e, color, title);
	ghitem_plural(commits, sizeof(commits), (long)ghitem_num(p, "commits", INT32_MAX), "commit");
	ghtime_ago(e->now, ghitem_when(p, "created_at"), ago, sizeof(ago));
	fprintf(f, " \xe2\x80\xa2 %s wants to merge %s into %s from %s \xe2\x80\xa2 %s\n",
	    ghitem_login(json_object_get(p, "user"), login, sizeof(login)), commits,
	    ghitem_str(json_object_get(p, "base"), "ref"),
	    ghitem_str(json_object_get(p, "head"), "ref"), ago);
	snprintf(num, sizeof(num), "+%lld", ghitem_num(p, "additions", INT32_MAX));
	ghitem_paint(f, e, "green", num);
	fputc(' ', f);
	snprintf(num, sizeof(num), "-%lld", ghitem_num(p, "deletions", INT32_MAX));
	ghitem_paint(f, e, "red", num);
	fputs(" \xe2\x80\xa2 ", f);
	pr_checks_summary(f, e, &d->checks);
	fputc('\n', f);
	if (ghitem_reaction_line(f, json_object_get(d->issue, "reactions")))
		fputc('\n', f);
	{
		char *rl = NULL;
		size_t len = 0;
		FILE *m = open_memstream(&rl, &len);

		pr_reviewer_list(m, e, c, p, d->reviews);
		fclose(m);
		if (len > 0) {
			ghitem_paint(f, e, "bold", "Reviewers: ");
			fprintf(f, "%s\n", rl);
		}
		free(rl);
	}
	if (json_array_size(json_object_get(p, "assignees")) > 0) {
		ghitem_paint(f, e, "bold", "Assignees: ");
		ghitem_assignee_list(f, json_object_get(p, "assignees"));
		fputc('\n', f);
	}
	if (json_array_size(json_object_get(p, "labels")) > 0) {
		ghitem_paint(f, e, "bold", "Labels: ");
		ghitem_label_list(f, e, json_object_get(p, "labels"), true, true);
		fputc('\n', f);
	}
	if (json_is_object(json_object_get(p, "milestone"))) {
		ghitem_paint(f, e, "bold", "Milestone: ");
		fprintf(f, "%s\n", ghitem_str(json_object_get(p, "milestone"), "title"));
	}
	if (json_is_object(am)) {
		const char *m = ghitem_str(am, "merge_method");

		ghitem_paint(f, e, "bold", "Auto-merge:");
		fputc(' ', f);
		ghitem_paint(f, e, "green", "enabled");
		fprintf(f, " by %s, using ", ghitem_login(json_object_get(am, "enabled_by"), login,
		    sizeof(login)));
		if (strcmp(m, "merge") == 0)
			fputs("a merge commit\n", f);
		else if (strcmp(m, "rebase") == 0)
			fputs("rebase and merge\n", f);
		else if (strcmp(m, "squash") == 0)
			fputs("squash and merge\n", f);
		else
			fprintf(f, "an unknown merge method (%s)\n", m);
	}
	ghitem_view_body(f, e, ghitem_str(p, "body"));
	if (ncomments > 0 || json_array_size(d->reviews) > 0) {
		struct ghitem_comment *v = NULL;
		size_t n = 0, shown;

		ghitem_comments_add(&v, &n, d->comments);
		pr_reviews_add(&v, &n, d->reviews, &shown);
		ghitem_comments_tty(f, e, v, n, ncomments + (long)shown, !all);
		free(v);
	}
	if (asprintf(&footer, "View this pull request on GitHub: %s\n", ghitem_str(p, "html_url")) >= 0) {
		ghitem_paint(f, e, "gray", footer);
		free(footer);
	}
}

/* Everything a non-JSON view prints. */
static int
pr_view_load(struct pr_job *j, struct pr_rec *r, const struct pr_one_opts *o,
    struct pr_view_data *d)
{
	const struct ghitem_ctx *c = &j->c;
	const struct ghp_env *e = c->e;
	long count = (long)ghitem_num(r->pull, "comments", INT32_MAX);
	int rc;

	if ((rc = pr_list_get(j, NULL, 0, &d->reviews, "/repos/%s/%s/pulls/%ld/reviews", c->owner,
	    c->repo, r->number)) != 0)
		return rc;
	if ((e->tty || o->comments) && count > 0) {
		snprintf(j->path, sizeof(j->path), "/repos/%s/%s/issues/%ld/comments", c->owner,
		    c->repo, r->number);
		if ((rc = ghitem_view_comments(&j->c, r->number, count, o->comments, &d->comments,
		    &j->err)) != 0)
			return rc;
	}
	if (!e->tty)
		return 0;
	if ((rc = pr_checks_fetch(j, ghitem_str(json_object_get(r->pull, "head"), "sha"), false,
	    &d->checks)) != 0)
		return rc;
	return pr_get(j, NULL, false, &d->issue, "/repos/%s/%s/issues/%ld", c->owner, c->repo,
	    r->number);
}

static int
pr_view(int argc, char **argv, const struct ghp_env *e)
{
	struct pr_one_opts o = { 0 };
	struct pr_job j = { 0 };
	struct pr_rec r = { 0 };
	struct pr_view_data d = { 0 };
	json_t *obj = NULL;
	int rc;

	ghitem_ctx_init(&j.c, e);
	if ((rc = pr_one_parse(argc, argv, pr_view_flags, pr_fields, &o)) != 0)
		goto done;
	if ((rc = pr_find(&j, o.com.repo, o.selector, &r)) != 0)
		goto done;
	if ((rc = pr_load_full(&j, &r)) != 0) {
		rc = pr_not_found(&j, rc, r.number);
		goto done;
	}
	if (o.com.ex.json) {
		if ((rc = pr_json(&j, &r, &o.com.ex, 0, &obj)) != 0)
			rc = pr_fail(&j, rc, NULL);
		else
			rc = export_print(&o.com.ex, obj, e);
		goto done;
	}
	if ((rc = pr_view_load(&j, &r, &o, &d)) != 0) {
		rc = pr_fail(&j, rc, NULL);
		goto done;
	}
	if (e->tty) {
		pr_view_tty(stdout, e, &j.c, &r, &d, o.comments);
	} else if (o.comments) {
		struct ghitem_comment *v = NULL;
		size_t n = 0, shown;

		ghitem_comments_add(&v, &n, d.comments);
		pr_reviews_add(&v, &n, d.reviews, &shown);
		ghitem_comments_raw(stdout, v, n);
		free(v);
	} else {
		pr_view_raw(stdout, e, &j.c, &r, d.reviews);
	}
done:
	json_decref(d.reviews);
	json_decref(d.comments);
	json_decref(d.issue);
	pr_checks_free(&d.checks);
	json_decref(obj);
	pr_rec_free(&r);
	cmdutil_opts_free(&o.com);
	ghitem_ctx_free(&j.c);
	return rc;
}

/* --- pr diff ------------------------------------------------------------------------------ */

static const struct args_flag pr_diff_flags[] = {
	CMDUTIL_FLAG_REPO,
	{ "color", 0, true, PR_F_COLOR },
	{ "patch", 0, false, PR_F_PATCH },
	{ "name-only", 0, false, PR_F_NAME_ONLY },
	{ NULL, 0, false, 0 },
};

/* Printable as Go's unicode.IsPrint sees it, for the runes diffs carry. */
static bool
pr_printable(uint32_t cp)
{
	if (cp == '\n' || cp == '\r' || cp == '\t')
		return true;
	if (cp < 0x20 || (cp >= 0x7f && cp <= 0xa0) || cp == 0xad)
		return false;
	if ((cp >= 0x2000 && cp <= 0x200f) || (cp >= 0x2028 && cp <= 0x202f) ||
	    (cp >= 0x205f && cp <= 0x2064) || cp == 0x1680 || cp == 0x3000 || cp == 0xfeff ||
	    (cp >= 0xe000 && cp <= 0xf8ff))
		return false;
	return true;
}

/* A terminal gets no control characters from a diff: each becomes \u{XX}. */
static char *
pr_sanitize(const char *s, size_t len, size_t *outlen)
{
	char *out = NULL;
	FILE *f = open_memstream(&out, outlen);
	size_t i = 0;

	while (i < len) {
		const unsigned char *p = (const unsigned char *)s + i;
		uint32_t cp;
		size_t n = 1;

		if (p[0] < 0x80) {
			cp = p[0];
		} else {
			/* decode one sequence; a broken one passes through as is */
			int need = (p[0] & 0xe0) == 0xc0 ? 2 : (p[0] & 0xf0) == 0xe0 ? 3 :
			    (p[0] & 0xf8) == 0xf0 ? 4 : 0;

			cp = need == 2 ? p[0] & 0x1f : need == 3 ? p[0] & 0x0f : p[0] & 0x07;
			for (n = 1; need && (int)n < need && i + n < len && (p[n] & 0xc0) == 0x80; n++)
				cp = (cp << 6) | (p[n] & 0x3f);
			if (need == 0 || (int)n != need)
				cp = 0xfffd;
		}
		if (pr_printable(cp))
			fwrite(p, 1, n, f);
		else
			fprintf(f, "\\u{%02x}", (unsigned)cp);
		i += n;
	}
	fclose(f);
	return out;
}

/* gh's colours per line: headers bold, additions green, removals red. */
static void
pr_diff_color(FILE *f, const char *s, size_t len)
{
	size_t i = 0;

	while (i < len) {
		const char *line = s + i, *nl = memchr(line, '\n', len - i);
		size_t n = nl ? (size_t)(nl - line) : len - i;
		const char *color = NULL;

		i += n + (nl != NULL);
		if (n > 0 && line[n - 1] == '\r')
			n--;     /* bufio's ReadLine drops the CR too */
		if ((n >= 3 && (strncmp(line, "+++", 3) == 0 || strncmp(line, "---", 3) == 0)) ||
		    (n >= 4 && strncmp(line, "diff", 4) == 0) || (n >= 5 && strncmp(line, "index", 5) == 0))
			color = "\x1b[1;38m";
		else if (n >= 1 && line[0] == '+')
			color = "\x1b[32m";
		else if (n >= 1 && line[0] == '-')
			color = "\x1b[31m";
		if (color)
			fputs(color, f);
		fwrite(line, 1, n, f);
		if (color)
			fputs("\x1b[m", f);
		fputc('\n', f);
	}
}

static bool
pr_is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\f' || c == '\r';
}

/* The "b/" paths of `diff --git` lines (a quoted name keeps its quote). */
static void
pr_diff_names(FILE *f, const char *s, size_t len)
{
	size_t i = 0;

	while (i < len) {
		const char *line = s + i, *nl = memchr(line, '\n', len - i);
		size_t n = nl ? (size_t)(nl - line) : len - i, k, b, e;
		bool found = false;

		i += n + (nl != NULL);
		if (n < 10 || strncmp(line, "diff", 4) != 0 || !pr_is_space(line[4]) ||
		    strncmp(line + 5, "--git", 5) != 0)
			continue;
		/* the last whitespace followed by an optional quote and "b/" */
		for (k = n; k-- > 10;) {
			size_t q = k + 1 + (k + 1 < n && line[k + 1] == '"');

			if (pr_is_space(line[k]) && q + 1 < n + 1 && q + 2 <= n &&
			    strncmp(line + q, "b/", 2) == 0) {
				found = true;
				break;
			}
		}
		if (!found)
			continue;
		b = k + 1;
		e = n;
		/* strings.TrimSpace of quote + name */
		while (b < e && pr_is_space(line[b]))
			b++;
		while (e > b && pr_is_space(line[e - 1]))
			e--;
		if (line[b] == '"') {
			fputc('"', f);
			b++;
		}
		b += 2;
		fwrite(line + b, 1, e > b ? e - b : 0, f);
		fputc('\n', f);
	}
}

static int
pr_diff(int argc, char **argv, const struct ghp_env *e)
{
	struct pr_one_opts o = { 0 };
	struct pr_job j = { 0 };
	struct pr_rec r = { 0 };
	json_t *doc = NULL;
	const char *body;
	char *clean = NULL;
	size_t len;
	bool color;
	int rc;

	ghitem_ctx_init(&j.c, e);
	if ((rc = pr_one_parse(argc, argv, pr_diff_flags, NULL, &o)) != 0)
		goto done;
	if (o.color == NULL || strcmp(o.color, "auto") == 0)
		color = e->color;
	else if (strcmp(o.color, "always") == 0 || strcmp(o.color, "never") == 0)
		color = strcmp(o.color, "always") == 0;
	else {
		rc = GHP_FALLTHROUGH;         /* gh's flag error */
		goto done;
	}
	if ((rc = pr_find(&j, o.com.repo, o.selector, &r)) != 0)
		goto done;
	rc = pr_get(&j, o.patch ? "application/vnd.github.v3.patch" :
	    "application/vnd.github.v3.diff", true, &doc, "/repos/%s/%s/pulls/%ld", j.c.owner,
	    j.c.repo, r.number);
	if (rc == -1) {
		fprintf(stderr, "could not find pull request diff: HTTP %ld: %s "
		    "(https://api.github.com%s)\n", j.err.status, j.err.message, j.path);
		rc = 1;
		goto done;
	}
	if (rc != 0)
		goto done;
	body = json_string_value(doc);
	len = json_string_length(doc);
	if (e->tty) {
		clean = pr_sanitize(body, len, &len);
		body = clean;
	}
	if (o.name_only)
		pr_diff_names(stdout, body, len);
	else if (color)
		pr_diff_color(stdout, body, len);
	else
		fwrite(body, 1, len, stdout);
done:
	free(clean);
	json_decref(doc);
	pr_rec_free(&r);
	cmdutil_opts_free(&o.com);
	ghitem_ctx_free(&j.c);
	return rc;
}

/* --- pr checks ---------------------------------------------------------------------------- */

static const struct args_flag pr_checks_flags[] = {
	CMDUTIL_FLAG_REPO,
	CMDUTIL_FLAGS_EXPORT,
	{ NULL, 0, false, 0 },
};

/* Go's Duration.String() for whole seconds. */
static void
pr_duration(long s, char *out, size_t len)
{
	if (s < 60)
		snprintf(out, len, "%lds", s);
	else if (s < 3600)
		snprintf(out, len, "%ldm%lds", s / 60, s % 60);
	else
		snprintf(out, len, "%ldh%ldm%lds", s / 3600, s % 3600 / 60, s % 60);
}

static int
pr_bucket_rank(const char *b)
{
	static const char *const order[] = { "fail", "pending", "pass", "skipping", "cancel" };

	for (int i = 0; i < 5; i++)
		if (strcmp(order[i], b) == 0)
			return i;
	return 5;
}

static int
pr_check_cmp(const void *pa, const void *pb)
{
	const struct pr_check *a = pa, *b = pb;
	int d = pr_bucket_rank(a->bucket) - pr_bucket_rank(b->bucket);

	if (d != 0)
		return d;
	if ((d = strcmp(a->name, b->name)) != 0)
		return d;
	return strcmp(a->link, b->link);
}

static json_t *
pr_checks_json(const struct pr_checks *k)
{
	json_t *arr = json_array();
	char t[64];

	for (size_t i = 0; i < k->n; i++) {
		const struct pr_check *c = &k->v[i];
		json_t *o = json_object();

		json_object_set_new(o, "bucket", json_string(c->bucket));
		if (c->completed == (time_t)-1)
			snprintf(t, sizeof(t), "0001-01-01T00:00:00Z");
		else
			ghtime_rfc3339(c->completed, t, sizeof(t));
		json_object_set_new(o, "completedAt", json_string(t));
		json_object_set_new(o, "description", json_string(c->description));
		json_object_set_new(o, "event", json_string(c->event));
		json_object_set_new(o, "link", json_string(c->link));
		json_object_set_new(o, "name", json_string(c->name));
		if (c->started == (time_t)-1)
			snprintf(t, sizeof(t), "0001-01-01T00:00:00Z");
		else
			ghtime_rfc3339(c->started, t, sizeof(t));
		json_object_set_new(o, "startedAt", json_string(t));
		json_object_set_new(o, "state", json_string(c->state));
		json_object_set_new(o, "workflow", json_string(c->workflow));
		json_array_append_new(arr, o);
	}
	return arr;
}

static void
pr_checks_print(const struct ghp_env *e, struct pr_checks *k, const size_t counts[5])
{
	static const char *const tty_headers[] = { "", "NAME", "DESCRIPTION", "ELAPSED", "URL", NULL };
	struct table *t = table_new(e->tty, e->width, tty_headers);

	if (e->tty) {
		const char *summary = counts[0] ? "Some checks were not successful" :
		    counts[1] ? "Some checks are still pending" :
		    counts[4] ? "Some checks were cancelled" : "All checks were successful";

		/* gh leaves cancelled checks out of the "any checks" test */
		if (counts[0] + counts[1] + counts[2] + counts[3] > 0) {
			ghitem_paint(stdout, e, "bold", summary);
			printf("\n%zu cancelled, %zu failing, %zu successful, %zu skipped, and %zu "
			    "pending checks", counts[4], counts[0], counts[2], counts[3], counts[1]);
		}
		printf("\n\n");
	}
	qsort(k->v, k->n, sizeof(*k->v), pr_check_cmp);
	for (size_t i = 0; i < k->n; i++) {
		const struct pr_check *c = &k->v[i];
		char elapsed[64] = "";

		if (c->started != (time_t)-1 && c->completed != (time_t)-1 && c->completed > c->started)
			pr_duration((long)(c->completed - c->started), elapsed, sizeof(elapsed));
		if (e->tty) {
			char name[1024];
			const char *b = c->bucket;

			snprintf(name, sizeof(name), "%s%s%s%s%s%s", c->workflow, *c->workflow ? "/" : "",
			    c->name, *c->event ? " (" : "", c->event, *c->event ? ")" : "");
			table_add(t, strcmp(b, "fail") == 0 ? "X" : strcmp(b, "pending") == 0 ? "*" :
			    strcmp(b, "pass") == 0 ? "\xe2\x9c\x93" : "-");
			table_add(t, name);
			table_add(t, c->description);
			table_add(t, elapsed);
			table_add(t, c->link);
		} else {
			table_add(t, c->name);
			table_add(t, strcmp(c->bucket, "cancel") == 0 ? "fail" : c->bucket);
			table_add(t, *elapsed ? elapsed : "0");
			table_add(t, c->link);
			table_add(t, c->description);
		}
		table_end_row(t);
	}
	table_print(t, stdout);
	table_free(t);
}

static int
pr_checks(int argc, char **argv, const struct ghp_env *e)
{
	struct pr_one_opts o = { 0 };
	struct pr_job j = { 0 };
	struct pr_rec r = { 0 };
	struct pr_checks k = { 0 };
	size_t counts[5] = { 0 };     /* fail, pending, pass, skipping, cancel */
	json_t *arr = NULL;
	int rc;

	ghitem_ctx_init(&j.c, e);
	if ((rc = pr_one_parse(argc, argv, pr_checks_flags, pr_check_fields, &o)) != 0)
		goto done;
	if ((rc = pr_find(&j, o.com.repo, o.selector, &r)) != 0)
		goto done;
	if (r.pull == NULL && (rc = pr_load_full(&j, &r)) != 0) {
		rc = pr_not_found(&j, rc, r.number);
		goto done;
	}
	if ((rc = pr_checks_fetch(&j, ghitem_str(json_object_get(r.pull, "head"), "sha"), true,
	    &k)) != 0) {
		rc = pr_fail(&j, rc, NULL);
		goto done;
	}
	pr_checks_build(&k);
	if (k.n == 0) {
		fprintf(stderr, "no checks reported on the '%s' branch\n",
		    ghitem_str(json_object_get(r.pull, "head"), "ref"));
		rc = 1;
		goto done;
	}
	for (size_t i = 0; i < k.n; i++)
		counts[pr_bucket_rank(k.v[i].bucket)]++;
	if (o.com.ex.json) {
		arr = pr_checks_json(&k);
		if ((rc = export_print(&o.com.ex, arr, e)) != 0)
			goto done;
	} else {
		pr_checks_print(e, &k, counts);
	}
	rc = counts[0] ? 1 : counts[1] ? 8 : 0;
done:
	json_decref(arr);
	pr_checks_free(&k);
	pr_rec_free(&r);
	cmdutil_opts_free(&o.com);
	ghitem_ctx_free(&j.c);
	return rc;
}

int
pr_main(int argc, char **argv, const struct ghp_env *e)
{
	if (argc < 2)
		return GHP_FALLTHROUGH;
	if (strcmp(argv[1], "list") == 0 || strcmp(argv[1], "ls") == 0)
		return pr_list(argc - 1, argv + 1, e);
	if (strcmp(argv[1], "view") == 0)
		return pr_view(argc - 1, argv + 1, e);
	if (strcmp(argv[1], "diff") == 0)
		return pr_diff(argc - 1, argv + 1, e);
	if (strcmp(argv[1], "checks") == 0)
		return pr_checks(argc - 1, argv + 1, e);
	return GHP_FALLTHROUGH;
}
