/*
 * run.c - `ghp run list` and `ghp run view`: GitHub Actions runs and their
 * jobs from ghpool's REST endpoints, printed as gh prints them (spec §15,
 * §16). Everything else about runs (rerun, cancel, watch, download,
 * delete), `run view --log/--log-failed/--web`, interactive selection and
 * flags ghp does not know go to the real gh.
 */
#include "args.h"
#include "cmdutil.h"
#include "export.h"
#include "ghp.h"
#include "ghtime.h"
#include "gitrepo.h"
#include "table.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#define RUN_PATH_MAX 4096
#define RUN_ZERO_TIME "0001-01-01T00:00:00Z"

/* mgutz/ansi codes gh uses; RUN_GRAY is resolved at print time. */
#define RUN_GREEN "0;32"
#define RUN_RED "0;31"
#define RUN_YELLOW "0;33"
#define RUN_CYAN "0;36"
#define RUN_BOLD "0;1;39"
#define RUN_GRAY "gray"

static const char *const run_fields[] = {
	"attempt", "conclusion", "createdAt", "databaseId", "displayTitle", "event",
	"headBranch", "headSha", "name", "number", "startedAt", "status", "updatedAt", "url",
	"workflowDatabaseId", "workflowName", NULL,
};

static const char *const run_view_fields[] = {
	"attempt", "conclusion", "createdAt", "databaseId", "displayTitle", "event",
	"headBranch", "headSha", "jobs", "name", "number", "startedAt", "status", "updatedAt",
	"url", "workflowDatabaseId", "workflowName", NULL,
};

/* -s values gh accepts; anything else is gh's flag error to print. */
static const char *const run_statuses[] = {
	"queued", "completed", "in_progress", "requested", "waiting", "pending",
	"action_required", "cancelled", "failure", "neutral", "skipped", "stale",
	"startup_failure", "success", "timed_out", NULL,
};

enum {
	RUN_F_LIMIT, RUN_F_WORKFLOW, RUN_F_BRANCH, RUN_F_USER, RUN_F_EVENT, RUN_F_CREATED,
	RUN_F_COMMIT, RUN_F_STATUS, RUN_F_ALL, RUN_F_VERBOSE, RUN_F_EXIT_STATUS, RUN_F_JOB, RUN_F_LOG, RUN_F_LOG_FAILED, RUN_F_WEB,
	RUN_F_ATTEMPT,
};

static const struct args_flag run_list_flags[] = {
	{ "limit", 'L', true, RUN_F_LIMIT },
	{ "workflow", 'w', true, RUN_F_WORKFLOW },
	{ "branch", 'b', true, RUN_F_BRANCH },
	{ "user", 'u', true, RUN_F_USER },
	{ "event", 'e', true, RUN_F_EVENT },
	{ "created", 0, true, RUN_F_CREATED },
	{ "commit", 'c', true, RUN_F_COMMIT },
	{ "status", 's', true, RUN_F_STATUS },
	{ "all", 'a', false, RUN_F_ALL },
	CMDUTIL_FLAGS_EXPORT,
	CMDUTIL_FLAG_REPO,
	{ NULL, 0, false, 0 },
};

static const struct args_flag run_view_flags[] = {
	{ "verbose", 'v', false, RUN_F_VERBOSE },
	{ "exit-status", 0, false, RUN_F_EXIT_STATUS },
	{ "job", 'j', true, RUN_F_JOB },
	{ "log", 0, false, RUN_F_LOG },
	{ "log-failed", 0, false, RUN_F_LOG_FAILED },
	{ "web", 'w', false, RUN_F_WEB },
	{ "attempt", 'a', true, RUN_F_ATTEMPT },
	CMDUTIL_FLAGS_EXPORT,
	CMDUTIL_FLAG_REPO,
	{ NULL, 0, false, 0 },
};

/* ---- small readers of GitHub's JSON -------------------------------------- */

/* A string member, "" when absent or null (Go's zero string). */
static const char *
run_str(const json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));

	return s != NULL ? s : "";
}

/* A non-negative integer member; 0 when absent or out of range. */
static long long
run_uint(const json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);

	if (!json_is_integer(v) || json_integer_value(v) < 0)
		return 0;
	return (long long)json_integer_value(v);
}

/* A timestamp member as epoch seconds; false when absent or unparsable. */
static bool
run_time(const json_t *o, const char *key, time_t *out)
{
	const char *s = json_string_value(json_object_get(o, key));

	if (s == NULL || *s == '\0')
		return false;
	*out = ghtime_parse(s);
	return *out != (time_t)-1;
}

/* gh's time.Time in JSON: RFC 3339, Go's zero time when GitHub sent none. */
static json_t *
run_time_json(const json_t *o, const char *key, bool nullable)
{
	char buf[64];
	time_t t;

	if (!run_time(o, key, &t))
		return nullable ? json_null() : json_string(RUN_ZERO_TIME);
	ghtime_rfc3339(t, buf, sizeof(buf));
	return json_string(buf);
}

/* A decimal id from the command line: digits only, no overflow. */
static bool
run_parse_id(const char *s, unsigned long long *out)
{
	char *end;

	if (s == NULL || *s < '0' || *s > '9')
		return false;
	*out = strtoull(s, &end, 10);
	return *end == '\0' && *out < (1ULL << 62);
}

/* Go's Duration.String() for whole seconds: 0s, 45s, 1m2s, 1h0m5s. */
static void
run_duration(long long secs, char *out, size_t len)
{
	if (secs < 60)
		snprintf(out, len, "%llds", secs);
	else if (secs < 3600)
		snprintf(out, len, "%lldm%llds", secs / 60, secs % 60);
	else
		snprintf(out, len, "%lldh%lldm%llds", secs / 3600, secs / 60 % 60, secs % 60);
}

/* ---- output helpers ------------------------------------------------------ */

static bool
run_256_colors(void)
{
	const char *term = getenv("TERM"), *ct = getenv("COLORTERM");

	return (term != NULL && strstr(term, "256") != NULL) ||
	    (ct != NULL && (strstr(ct, "truecolor") != NULL || strstr(ct, "24bit") != NULL));
}

/* text in one of gh's colours, or plain when colour is off. */
static void
run_paint(FILE *out, const struct ghp_env *e, const char *sgr, const char *text)
{
	if (!e->color || sgr == NULL)
		fputs(text, out);
	else if (strcmp(sgr, RUN_GRAY) == 0 && run_256_colors())
		fprintf(out, "\x1b[38;5;242m%s\x1b[m", text);
	else
		fprintf(out, "\x1b[%sm%s\x1b[0m", strcmp(sgr, RUN_GRAY) == 0 ? "0;90" : sgr, text);
}

/* gh's Symbol(): the mark for a status/conclusion pair and its colour. */
static const char *
run_symbol(const char *status, const char *conclusion, const char **sgr)
{
	if (strcmp(status, "completed") != 0) {
		*sgr = RUN_YELLOW;
		return "*";
	}
	if (strcmp(conclusion, "success") == 0) {
		*sgr = RUN_GREEN;
		return "\u2713";
	}
	if (strcmp(conclusion, "skipped") == 0 || strcmp(conclusion, "neutral") == 0) {
		*sgr = RUN_GRAY;
		return "-";
	}
	*sgr = RUN_RED;
	return "X";
}

static bool
run_failed(const char *conclusion)
{
	return strcmp(conclusion, "failure") == 0 || strcmp(conclusion, "startup_failure") == 0 ||
	    strcmp(conclusion, "timed_out") == 0 || strcmp(conclusion, "action_required") == 0;
}

/*
 * gitrepo prints gh's own message, but run commands wrap it in "failed to
 * determine base repo: ", so its stderr is caught and printed again.
 */
static int
run_resolve_repo(const char *flag, char *slug, size_t len)
{
	char owner[128], name[128], msg[1024];
	FILE *tmp = tmpfile();
	int saved = -1, rc;
	size_t n = 0;

	fflush(stderr);
	if (tmp != NULL && (saved = dup(STDERR_FILENO)) >= 0)
		dup2(fileno(tmp), STDERR_FILENO);
	rc = gitrepo_resolve(flag, owner, sizeof(owner), name, sizeof(name));
	fflush(stderr);
	if (saved >= 0) {
		dup2(saved, STDERR_FILENO);
		close(saved);
		rewind(tmp);
		n = fread(msg, 1, sizeof(msg) - 1, tmp);
	}
	msg[n] = '\0';
	if (tmp != NULL)
		fclose(tmp);
	if (rc != 0) {
		/* Without a tmpfile gitrepo's message already went out bare. */
		if (saved >= 0)
			fprintf(stderr, "failed to determine base repo: %s%s", msg,
			    n > 0 && msg[n - 1] == '\n' ? "" : "\n");
		return -1;
	}
	if ((size_t)snprintf(slug, len, "%s/%s", owner, name) >= len)
		return -1;
	return 0;
}

/* Can gh ask questions? (stdin and stdout terminals, prompts not disabled) */
static bool
run_can_prompt(const struct ghp_env *e)
{
	const char *off = getenv("GH_PROMPT_DISABLED");

	return e->tty && isatty(STDIN_FILENO) && (off == NULL || *off == '\0');
}

/* ---- runs as gh exports them --------------------------------------------- */

/* gh's Run.Title(): the display title, else the commit's first line. */
static void
run_title(const json_t *run, char *out, size_t len)
{
	const char *t = run_str(run, "display_title");

	if (*t == '\0') {
		t = run_str(json_object_get(run, "head_commit"), "message");
		snprintf(out, len, "%.*s", (int)strcspn(t, "\n"), t);
		return;
	}
	snprintf(out, len, "%s", t);
}

/* gh's StartedTime(): run_started_at, else created_at. */
static time_t
run_started(const json_t *run)
{
	time_t t;

	if (run_time(run, "run_started_at", &t))
		return t;
	return run_time(run, "created_at", &t) ? t : 0;
}

/* gh's Run.Duration(): to updated_at once completed, else to now. */
static long long
run_elapsed(const json_t *run, time_t now)
{
	time_t end = now;
	long long d;

	if (strcmp(run_str(run, "status"), "completed") == 0 && !run_time(run, "updated_at", &end))
		end = 0;
	d = (long long)end - (long long)run_started(run);
	return d < 0 ? 0 : d;
}

/* Every field of one run; url_suffix is "/attempts/<n>" for --attempt. */
static json_t *
run_export(const json_t *run, const char *workflow, const char *url_suffix)
{
	char *url = NULL;
	json_t *o;

	if (asprintf(&url, "%s%s", run_str(run, "html_url"), url_suffix) < 0) {
		fprintf(stderr, "ghp: out of memory\n");
		exit(1);
	}
	o = json_pack("{s:I, s:s, s:o, s:I, s:s, s:s, s:s, s:s, s:s, s:I, s:o, s:s, s:o, s:s,"
	    " s:I, s:s}",
	    "attempt", (json_int_t)run_uint(run, "run_attempt"),
	    "conclusion", run_str(run, "conclusion"),
	    "createdAt", run_time_json(run, "created_at", false),
	    "databaseId", (json_int_t)run_uint(run, "id"),
	    "displayTitle", run_str(run, "display_title"),
	    "event", run_str(run, "event"),
	    "headBranch", run_str(run, "head_branch"),
	    "headSha", run_str(run, "head_sha"),
	    "name", run_str(run, "name"),
	    "number", (json_int_t)run_uint(run, "run_number"),
	    "startedAt", run_time_json(run, "run_started_at", false),
	    "status", run_str(run, "status"),
	    "updatedAt", run_time_json(run, "updated_at", false),
	    "url", url,
	    "workflowDatabaseId", (json_int_t)run_uint(run, "workflow_id"),
	    "workflowName", workflow);
	free(url);
	/* Only invalid UTF-8 from the wire can make packing fail. */
	if (o == NULL) {
		fprintf(stderr, "ghp: the run's data is not valid text\n");
		exit(1);
	}
	return o;
}

/* One job as `run view --json jobs` shows it (a Go map, so keys sorted). */
static json_t *
run_job_export(const json_t *job)
{
	json_t *steps = json_array(), *s;
	size_t i;

	json_array_foreach(json_object_get(job, "steps"), i, s)
		json_array_append_new(steps, json_pack("{s:s, s:s, s:I, s:s}",
		    "conclusion", run_str(s, "conclusion"), "name", run_str(s, "name"),
		    "number", (json_int_t)run_uint(s, "number"), "status", run_str(s, "status")));
	return json_pack("{s:o, s:s, s:I, s:s, s:o, s:s, s:o, s:s}",
	    "completedAt", run_time_json(job, "completed_at", true),
	    "conclusion", run_str(job, "conclusion"),
	    "databaseId", (json_int_t)run_uint(job, "id"),
	    "name", run_str(job, "name"),
	    "startedAt", run_time_json(job, "started_at", false),
	    "status", run_str(job, "status"),
	    "steps", steps,
	    "url", run_str(job, "html_url"));
}

/* ---- workflows ------------------------------------------------------------ */

/*
 * Names of the runs' workflows (id -> name) into *names: the repository's
 * workflow list, then one GET per workflow missing from it (deleted ones).
 */
static enum client_status
run_workflow_names(const struct ghp_env *e, const char *slug, const json_t *runs,
    json_t **names, struct client_error *err, char *url, size_t urllen)
{
	enum client_status st;
	json_t *list = NULL, *w, *r;
	char key[32], path[512];
	size_t i;

	*names = json_object();
	snprintf(path, sizeof(path), "/repos/%s/actions/workflows", slug);
	snprintf(url, urllen, "%s?per_page=100&page=1", path);
	st = client_list(&e->client, path, "workflows", 0, &list, NULL, err);
	json_array_foreach(list, i, w) {
		snprintf(key, sizeof(key), "%lld", run_uint(w, "id"));
		json_object_set_new(*names, key, json_string(run_str(w, "name")));
	}
	json_decref(list);
	json_array_foreach(runs, i, r) {
		json_t *one = NULL;

		if (st != CLIENT_OK)
			break;
		snprintf(key, sizeof(key), "%lld", run_uint(r, "workflow_id"));
		if (json_object_get(*names, key) != NULL)
			continue;
		snprintf(url, urllen, "/repos/%s/actions/workflows/%s", slug, key);
		st = client_get(&e->client, url, NULL, false, &one, err);
		if (st == CLIENT_OK)
			json_object_set_new(*names, key, json_string(run_str(one, "name")));
		json_decref(one);
	}
	return st;
}

static const char *
run_workflow_name(const json_t *names, const json_t *run)
{
	char key[32];

	const char *name;

	snprintf(key, sizeof(key), "%lld", run_uint(run, "workflow_id"));
	name = json_string_value(json_object_get(names, key));
	return name != NULL ? name : "";
}

static bool
run_workflow_state_ok(const json_t *w, bool all)
{
	const char *state = run_str(w, "state");

	return strcmp(state, "active") == 0 || (all && (strcmp(state, "disabled_manually") == 0 ||
	    strcmp(state, "disabled_inactivity") == 0));
}

/*
 * gh's ResolveWorkflow for -w: an id or a workflow file is looked up
 * directly, a name among the active workflows (disabled ones too with
 * -a). *id and name get the workflow; returns 0, an exit code, or
 * GHP_FALLTHROUGH (ghpool down, or several matches and gh would ask).
 */
static int
run_resolve_workflow(const struct ghp_env *e, const char *slug, const char *sel, bool all,
    long long *id, char *name, size_t namelen)
{
	struct client_error err;
	enum client_status st;
	json_t *doc = NULL, *w, *hit = NULL;
	char path[RUN_PATH_MAX], esc[1024], found[2048] = "";
	size_t n = strlen(sel), i, matches = 0;
	int rc = 0;

	if (cmdutil_query_escape(sel, esc, sizeof(esc)) != 0)
		return GHP_FALLTHROUGH;
	if (strspn(sel, "0123456789") == n || (n > 4 && strcmp(sel + n - 4, ".yml") == 0) ||
	    (n > 5 && strcmp(sel + n - 5, ".yaml") == 0)) {
		snprintf(path, sizeof(path), "/repos/%s/actions/workflows/%s", slug, esc);
		st = client_get(&e->client, path, NULL, false, &doc, &err);
		if (st == CLIENT_HTTP_ERROR && err.status == 404) {
			fprintf(stderr, "could not find any workflows named %s\n", sel);
			rc = 1;
		} else if (st != CLIENT_OK) {
			rc = cmdutil_fail(st, &err, "", path);
		} else {
			*id = run_uint(doc, "id");
			snprintf(name, namelen, "%s", run_str(doc, "name"));
		}
		goto done;
	}
	snprintf(path, sizeof(path), "/repos/%s/actions/workflows", slug);
	st = client_list(&e->client, path, "workflows", 0, &doc, NULL, &err);
	if (st != CLIENT_OK) {
		char prefix[512];

		snprintf(prefix, sizeof(prefix), "couldn't fetch workflows for %s: ", slug);
		snprintf(path, sizeof(path), "/repos/%s/actions/workflows?per_page=100&page=1", slug);
		rc = cmdutil_fail(st, &err, prefix, path);
		goto done;
	}
	json_array_foreach(doc, i, w) {
		const char *base = strrchr(run_str(w, "path"), '/');
		size_t used = strlen(found);

		if (!run_workflow_state_ok(w, all) || strcasecmp(run_str(w, "name"), sel) != 0)
			continue;
		hit = w;
		matches++;
		snprintf(found + used, sizeof(found) - used, " %s",
		    base != NULL ? base + 1 : run_str(w, "path"));
	}
	if (matches == 0) {
		fprintf(stderr, "could not find any workflows named %s\n", sel);
		rc = 1;
	} else if (matches > 1 && run_can_prompt(e)) {
		rc = GHP_FALLTHROUGH;
	} else if (matches > 1) {
		fprintf(stderr, "could not resolve to a unique workflow; found:%s\n", found);
		rc = 1;
	} else {
		*id = run_uint(hit, "id");
		snprintf(name, namelen, "%s", run_str(hit, "name"));
	}
done:
	json_decref(doc);
	return rc;
}

/* ---- run list ------------------------------------------------------------- */

struct run_list_opts {
	long limit;
	const char *workflow;
	/* the flags as given, checked once all are read */
	const char *limit_flag, *branch, *user, *status, *event, *created, *commit;
	bool all;
	char query[2048];             /* "&branch=...&actor=..." in gh's order */
	struct cmdutil_opts com;
};

/* One filter as gh appends it to the runs URL. */
static int
run_list_filter(struct run_list_opts *o, const char *name, const char *value)
{
	char esc[1024];
	size_t used = strlen(o->query);

	if (value == NULL || *value == '\0')
		return 0;
	if (cmdutil_query_escape(value, esc, sizeof(esc)) != 0 ||
	    (size_t)snprintf(o->query + used, sizeof(o->query) - used, "&%s=%s", name, esc) >=
	    sizeof(o->query) - used)
		return -1;
	return 0;
}

static int
run_list_flag(void *opts, int id, const char *v)
{
	struct run_list_opts *o = opts;

	switch (id) {
	case RUN_F_LIMIT: o->limit_flag = v; break;
	case RUN_F_WORKFLOW: o->workflow = v; break;
	case RUN_F_BRANCH: o->branch = v; break;
	case RUN_F_USER: o->user = v; break;
	case RUN_F_EVENT: o->event = v; break;
	case RUN_F_CREATED: o->created = v; break;
	case RUN_F_COMMIT: o->commit = v; break;
	case RUN_F_STATUS: o->status = v; break;
	case RUN_F_ALL: o->all = cmdutil_on(v); break;
	}
	return 0;
}

/* Flags into o; 0, or GHP_FALLTHROUGH for what gh should say itself. */
static int
run_list_parse(int argc, char **argv, struct run_list_opts *o)
{
	int rc;

	o->limit_flag = "20";
	if ((rc = cmdutil_parse(argc, argv, 2, run_list_flags, &o->com, NULL, NULL, run_list_flag,
	    o)) != 0)
		return rc;
	/* "invalid limit" and bad -s values are flag errors with usage text. */
	if (!cmdutil_parse_limit(o->limit_flag, &o->limit))
		return GHP_FALLTHROUGH;
	if (o->status != NULL) {
		size_t i;

		for (i = 0; run_statuses[i] != NULL && strcmp(run_statuses[i], o->status) != 0; i++)
			;
		if (run_statuses[i] == NULL)
			return GHP_FALLTHROUGH;
	}
	if (run_list_filter(o, "branch", o->branch) != 0 ||
	    run_list_filter(o, "actor", o->user) != 0 ||
	    run_list_filter(o, "status", o->status) != 0 ||
	    run_list_filter(o, "event", o->event) != 0 ||
	    run_list_filter(o, "created", o->created) != 0 ||
	    run_list_filter(o, "head_sha", o->commit) != 0)
		return GHP_FALLTHROUGH;
	return cmdutil_apply_json(&o->com, run_fields);
}

static void
run_list_print(const struct ghp_env *e, const json_t *runs, const json_t *names)
{
	static const char *const headers[] = {
		"STATUS", "TITLE", "WORKFLOW", "BRANCH", "EVENT", "ID", "ELAPSED", "AGE", NULL,
	};
	struct table *t = table_new(e->tty, e->width, headers);
	const json_t *r;
	size_t i;

	/* The table prints no colour (table.h has none), so gh's symbol,
	 * bold and cyan cells come out plain even with colour on. */
	json_array_foreach(runs, i, r) {
		const char *status = run_str(r, "status"), *sgr;
		char title[1024], buf[64];

		if (e->tty) {
			table_add(t, run_symbol(status, run_str(r, "conclusion"), &sgr));
		} else {
			table_add(t, status);
			table_add(t, run_str(r, "conclusion"));
		}
		run_title(r, title, sizeof(title));
		table_add(t, title);
		table_add(t, run_workflow_name(names, r));
		table_add(t, run_str(r, "head_branch"));
		table_add(t, run_str(r, "event"));
		snprintf(buf, sizeof(buf), "%lld", run_uint(r, "id"));
		table_add(t, buf);
		run_duration(run_elapsed(r, e->now), buf, sizeof(buf));
		table_add(t, buf);
		if (e->tty)
			ghtime_ago(e->now, run_started(r), buf, sizeof(buf));
		else
			ghtime_rfc3339(run_started(r), buf, sizeof(buf));
		table_add(t, buf);
		table_end_row(t);
	}
	table_print(t, stdout);
	table_free(t);
}

static int
run_list(int argc, char **argv, const struct ghp_env *e)
{
	struct run_list_opts o = { 0 };
	struct client_error err;
	enum client_status st;
	json_t *runs = NULL, *names = NULL, *out = NULL, *r;
	char slug[300], base[512], path[RUN_PATH_MAX], url[RUN_PATH_MAX];
	char wf_name[1024] = "";
	long long wf_id = 0;
	size_t i;
	int rc;

	if ((rc = run_list_parse(argc, argv, &o)) != 0)
		goto done;
	if (run_resolve_repo(o.com.repo, slug, sizeof(slug)) != 0) {
		rc = 1;
		goto done;
	}
	if (o.workflow != NULL && *o.workflow != '\0' &&
	    (rc = run_resolve_workflow(e, slug, o.workflow, o.all, &wf_id, wf_name,
	    sizeof(wf_name))) != 0)
		goto done;
	if (wf_id != 0)
		snprintf(base, sizeof(base), "/repos/%s/actions/workflows/%lld/runs", slug, wf_id);
	else
		snprintf(base, sizeof(base), "/repos/%s/actions/runs", slug);
	/* client_list adds per_page at the end; gh's URL (for errors) has it first. */
	snprintf(path, sizeof(path), "%s?exclude_pull_requests=true%s", base, o.query);
	snprintf(url, sizeof(url), "%s?per_page=%ld&exclude_pull_requests=true%s", base,
	    o.limit < 100 ? o.limit : 100, o.query);
	st = client_list(&e->client, path, "workflow_runs", o.limit, &runs, NULL, &err);
	if (st != CLIENT_OK) {
		rc = cmdutil_fail(st, &err, "failed to get runs: ", url);
		goto done;
	}
	if (wf_id != 0) {
		names = json_object();
		json_array_foreach(runs, i, r) {
			snprintf(path, sizeof(path), "%lld", run_uint(r, "workflow_id"));
			json_object_set_new(names, path, json_string(wf_name));
		}
	} else if (json_array_size(runs) > 0 &&
	    (!o.com.ex.json || export_wants(&o.com.ex, "workflowName"))) {
		st = run_workflow_names(e, slug, runs, &names, &err, url, sizeof(url));
		if (st != CLIENT_OK) {
			rc = cmdutil_fail(st, &err, "failed to get runs: ", url);
			goto done;
		}
	}
	if (o.com.ex.json) {
		out = json_array();
		json_array_foreach(runs, i, r)
			json_array_append_new(out, run_export(r, run_workflow_name(names, r), ""));
		rc = export_print(&o.com.ex, out, e);
	} else if (json_array_size(runs) == 0) {
		if (e->tty)
			fprintf(stderr, "no runs found\n");
	} else {
		run_list_print(e, runs, names);
	}
done:
	json_decref(runs);
	json_decref(names);
	json_decref(out);
	cmdutil_opts_free(&o.com);
	return rc;
}

/* ---- run view ------------------------------------------------------------- */

struct run_view_opts {
	const char *run_id, *job_id;
	unsigned long long attempt;
	bool verbose, exit_status;
	struct cmdutil_opts com;
};

/* Everything `run view` shows, fetched before a byte is printed. */
struct run_view_data {
	char slug[300];
	json_t *job;            /* --job's job, or NULL */
	json_t *run;
	char workflow[1024];
	char url_suffix[48];    /* "/attempts/<n>" */
	json_t *jobs;           /* array */
	long long pr;           /* -1: none found */
	json_t *artifacts;      /* array */
	json_t *annotations;    /* array of {job, annotation} pairs */
	bool annotations_denied;
};

static int
run_view_flag(void *opts, int id, const char *v)
{
	struct run_view_opts *o = opts;
	bool on = cmdutil_on(v);

	switch (id) {
	case RUN_F_VERBOSE: o->verbose = on; break;
	case RUN_F_EXIT_STATUS: o->exit_status = on; break;
	case RUN_F_JOB: o->job_id = v; break;
	case RUN_F_ATTEMPT:
		if (!run_parse_id(v, &o->attempt))
			return GHP_FALLTHROUGH;
		break;
	/* Logs come as a zip, and --web opens a browser: the real gh's. */
	case RUN_F_LOG:
	case RUN_F_LOG_FAILED:
	case RUN_F_WEB:
		if (on)
			return GHP_FALLTHROUGH;
		break;
	}
	return 0;
}

static int
run_view_parse(int argc, char **argv, struct run_view_opts *o)
{
	int rc;

	if ((rc = cmdutil_parse(argc, argv, 2, run_view_flags, &o->com, &o->run_id, NULL,
	    run_view_flag, o)) != 0)
		return rc;
	if (o->job_id != NULL && *o->job_id == '\0')
		o->job_id = NULL;
	/* No id: gh prompts, or (not interactive) prints a flag error with usage. */
	if (o->run_id == NULL && o->job_id == NULL)
		return GHP_FALLTHROUGH;
	return cmdutil_apply_json(&o->com, run_view_fields);
}

/*
 * The pull request gh names in the header: the newest one from the run's
 * head branch, when its head repository is the run's. gh asks GraphQL;
 * the REST list of pulls with that head answers the same question.
 */
static enum client_status
run_view_pr(const struct ghp_env *e, struct run_view_data *d)
{
	const json_t *hr = json_object_get(d->run, "head_repository");
	const char *branch = run_str(d->run, "head_branch"), *owner;
	char path[RUN_PATH_MAX], head[1024], esc[2048];
	struct client_error err;
	enum client_status st;
	json_t *pulls = NULL, *p;
	size_t i;

	owner = run_str(json_object_get(hr, "owner"), "login");
	if (*branch == '\0' || *owner == '\0')
		return CLIENT_OK;
	snprintf(head, sizeof(head), "%s:%s", owner, branch);
	if (cmdutil_query_escape(head, esc, sizeof(esc)) != 0)
		return CLIENT_OK;
	snprintf(path, sizeof(path),
	    "/repos/%s/pulls?head=%s&state=all&sort=created&direction=desc&per_page=1", d->slug,
	    esc);
	st = client_get(&e->client, path, NULL, false, &pulls, &err);
	json_array_foreach(pulls, i, p) {
		const json_t *h = json_object_get(p, "head"), *repo = json_object_get(h, "repo");

		if (strcmp(run_str(h, "ref"), branch) != 0)
			continue;   /* a server that ignored ?head= */
		if (strcmp(run_str(json_object_get(repo, "owner"), "login"), owner) == 0 &&
		    strcmp(run_str(repo, "name"), run_str(hr, "name")) == 0)
			d->pr = run_uint(p, "number");
		break;
	}
	json_decref(pulls);
	return st == CLIENT_UNAVAILABLE ? st : CLIENT_OK;
}

/* Annotations of every job; 404 is "none", 403 gh's permissions note. */
static int
run_view_annotations(const struct ghp_env *e, struct run_view_data *d)
{
	struct client_error err;
	enum client_status st;
	char path[RUN_PATH_MAX];
	json_t *job, *list, *a;
	size_t i, j;

	d->annotations = json_array();
	json_array_foreach(d->jobs, i, job) {
		list = NULL;
		snprintf(path, sizeof(path), "/repos/%s/check-runs/%lld/annotations", d->slug,
		    run_uint(job, "id"));
		st = client_get(&e->client, path, NULL, false, &list, &err);
		if (st == CLIENT_HTTP_ERROR && err.status == 404)
			continue;
		if (st == CLIENT_HTTP_ERROR && err.status == 403) {
			d->annotations_denied = true;
			return 0;
		}
		if (st != CLIENT_OK)
			return cmdutil_fail(st, &err, "failed to get annotations: ", path);
		json_array_foreach(list, j, a)
			json_array_append_new(d->annotations, json_pack("{s:O, s:O}", "job", job,
			    "annotation", a));
		json_decref(list);
	}
	return 0;
}

/* The run's (or the attempt's) jobs, every page, into d->jobs. */
static int
run_view_jobs(const struct ghp_env *e, const struct run_view_opts *o, struct run_view_data *d,
    const char *prefix)
{
	struct client_error err;
	enum client_status st;
	char path[RUN_PATH_MAX];
	long long id = run_uint(d->run, "id");

	if (o->attempt > 0)
		snprintf(path, sizeof(path), "/repos/%s/actions/runs/%lld/attempts/%llu/jobs", d->slug,
		    id, o->attempt);
	else
		snprintf(path, sizeof(path), "/repos/%s/actions/runs/%lld/jobs", d->slug, id);
	st = client_list(&e->client, path, "jobs", 0, &d->jobs, NULL, &err);
	if (st == CLIENT_OK)
		return 0;
	strcat(path, "?per_page=100");
	return cmdutil_fail(st, &err, prefix, path);
}

/* The text view's requests after the run: jobs, PR, artifacts, annotations. */
static int
run_view_fetch_more(const struct ghp_env *e, const struct run_view_opts *o,
    struct run_view_data *d)
{
	struct client_error err;
	enum client_status st;
	char path[RUN_PATH_MAX];
	long long id = run_uint(d->run, "id");
	int rc;

	if (d->job != NULL)
		d->jobs = json_pack("[O]", d->job);
	else if ((rc = run_view_jobs(e, o, d, "failed to get jobs: ")) != 0)
		return rc;
	if (run_view_pr(e, d) != CLIENT_OK)
		return GHP_FALLTHROUGH;
	if (d->job == NULL) {
		snprintf(path, sizeof(path), "/repos/%s/actions/runs/%lld/artifacts", d->slug, id);
		st = client_list(&e->client, path, "artifacts", 0, &d->artifacts, NULL, &err);
		if (st != CLIENT_OK) {
			strcat(path, "?per_page=100");
			return cmdutil_fail(st, &err, "failed to get artifacts: ", path);
		}
	}
	return run_view_annotations(e, d);
}

/* The job (with --job), the run and its workflow's name. */
static int
run_view_fetch(const struct ghp_env *e, const struct run_view_opts *o, struct run_view_data *d)
{
	struct client_error err;
	enum client_status st;
	char path[RUN_PATH_MAX];
	unsigned long long job_id, run_id;
	json_t *wf = NULL;

	if (o->job_id != NULL) {
		if (!run_parse_id(o->job_id, &job_id))
			return GHP_FALLTHROUGH;
		snprintf(path, sizeof(path), "/repos/%s/actions/jobs/%llu", d->slug, job_id);
		if ((st = client_get(&e->client, path, NULL, false, &d->job, &err)) != CLIENT_OK)
			return cmdutil_fail(st, &err, "failed to get job: ", path);
		run_id = (unsigned long long)run_uint(d->job, "run_id");
	} else if (!run_parse_id(o->run_id, &run_id)) {
		return GHP_FALLTHROUGH;
	}
	if (o->attempt > 0) {
		snprintf(path, sizeof(path),
		    "/repos/%s/actions/runs/%llu/attempts/%llu?exclude_pull_requests=true", d->slug,
		    run_id, o->attempt);
		snprintf(d->url_suffix, sizeof(d->url_suffix), "/attempts/%llu", o->attempt);
	} else {
		snprintf(path, sizeof(path), "/repos/%s/actions/runs/%llu?exclude_pull_requests=true",
		    d->slug, run_id);
	}
	if ((st = client_get(&e->client, path, NULL, false, &d->run, &err)) != CLIENT_OK)
		return cmdutil_fail(st, &err, "failed to get run: ", path);
	if (o->com.ex.json && !export_wants(&o->com.ex, "workflowName"))
		return 0;
	snprintf(path, sizeof(path), "/repos/%s/actions/workflows/%lld", d->slug,
	    run_uint(d->run, "workflow_id"));
	if ((st = client_get(&e->client, path, NULL, false, &wf, &err)) != CLIENT_OK)
		return cmdutil_fail(st, &err, "failed to get run: ", path);
	snprintf(d->workflow, sizeof(d->workflow), "%s", run_str(wf, "name"));
	json_decref(wf);
	return 0;
}

/* --json: the run's fields, with its jobs only when asked for. */
static int
run_view_json(const struct ghp_env *e, const struct run_view_opts *o, struct run_view_data *d)
{
	json_t *obj, *jobs = json_array(), *j;
	size_t i;
	int rc = 0;

	/* gh's own error here is unwrapped. */
	if (export_wants(&o->com.ex, "jobs") && (rc = run_view_jobs(e, o, d, "")) != 0)
		goto done;
	json_array_foreach(d->jobs, i, j)
		json_array_append_new(jobs, run_job_export(j));
	obj = run_export(d->run, d->workflow, d->url_suffix);
	json_object_set_new(obj, "jobs", json_incref(jobs));
	rc = export_print(&o->com.ex, obj, e);
	json_decref(obj);
done:
	json_decref(jobs);
	return rc;
}

/* gh's RenderJobs: one line per job, its steps when failed or verbose. */
static void
run_view_print_jobs(const struct ghp_env *e, const json_t *jobs, bool verbose)
{
	const json_t *j, *s;
	size_t i, k;

	json_array_foreach(jobs, i, j) {
		const char *sym, *sgr, *concl = run_str(j, "conclusion");
		time_t started = 0, completed = 0;
		bool has_start = run_time(j, "started_at", &started);
		bool has_end = run_time(j, "completed_at", &completed);
		char buf[64];

		sym = run_symbol(run_str(j, "status"), concl, &sgr);
		run_paint(stdout, e, sgr, sym);
		fputc(' ', stdout);
		run_paint(stdout, e, RUN_BOLD, run_str(j, "name"));
		/* Go subtracts zero times too: both missing is "0s", only the
		 * end missing is negative and leaves the duration out. */
		if (has_start == has_end && (!has_end || completed >= started)) {
			run_duration(has_end ? (long long)(completed - started) : 0, buf,
			    sizeof(buf));
			printf(" in %s", buf);
		}
		fputs(" (ID ", stdout);
		snprintf(buf, sizeof(buf), "%lld", run_uint(j, "id"));
		run_paint(stdout, e, RUN_CYAN, buf);
		fputs(")\n", stdout);
		if (!verbose && !run_failed(concl))
			continue;
		json_array_foreach(json_object_get(j, "steps"), k, s) {
			sym = run_symbol(run_str(s, "status"), run_str(s, "conclusion"), &sgr);
			fputs("  ", stdout);
			run_paint(stdout, e, sgr, sym);
			printf(" %s\n", run_str(s, "name"));
		}
	}
	if (json_array_size(jobs) == 0)
		fputc('\n', stdout);
}

/* gh's RenderAnnotations: the gray location line carries its own newline. */
static void
run_view_print_annotations(const struct ghp_env *e, const json_t *list)
{
	const json_t *pair;
	size_t i;

	json_array_foreach(list, i, pair) {
		const json_t *a = json_object_get(pair, "annotation");
		const char *level = run_str(a, "annotation_level");
		char where[2048];

		if (i > 0)
			fputc('\n', stdout);
		if (strcmp(level, "failure") == 0)
			run_paint(stdout, e, RUN_RED, "X");
		else if (strcmp(level, "warning") == 0)
			run_paint(stdout, e, RUN_YELLOW, "!");
		else
			fputs("-", stdout);
		printf(" %s\n", run_str(a, "message"));
		snprintf(where, sizeof(where), "%s: %s#%lld\n",
		    run_str(json_object_get(pair, "job"), "name"), run_str(a, "path"),
		    run_uint(a, "start_line"));
		run_paint(stdout, e, RUN_GRAY, where);
	}
	fputc('\n', stdout);
}

static int
run_view_print(const struct ghp_env *e, const struct run_view_opts *o,
    const struct run_view_data *d)
{
	const char *status = run_str(d->run, "status"), *concl = run_str(d->run, "conclusion");
	const char *sym, *sgr, *url = run_str(d->run, "html_url");
	char buf[RUN_PATH_MAX];
	const json_t *a;
	size_t i;

	if (d->job != NULL && o->run_id != NULL && run_can_prompt(e)) {
		run_paint(stderr, e, RUN_YELLOW, "!");
		fputs(" both run and job IDs specified; ignoring run ID\n", stderr);
	}
	sym = run_symbol(status, concl, &sgr);
	fputc('\n', stdout);
	run_paint(stdout, e, sgr, sym);
	fputc(' ', stdout);
	run_paint(stdout, e, RUN_BOLD, run_str(d->run, "head_branch"));
	printf(" %s", d->workflow);
	if (d->pr >= 0)
		printf(" #%lld", d->pr);
	fputs(" \u00b7 ", stdout);
	snprintf(buf, sizeof(buf), "%lld", run_uint(d->run, "id"));
	run_paint(stdout, e, RUN_CYAN, buf);
	if (o->attempt > 0)
		printf(" (Attempt #%llu)", o->attempt);
	ghtime_ago(e->now, run_started(d->run), buf, sizeof(buf));
	printf("\nTriggered via %s %s\n\n", run_str(d->run, "event"), buf);

	snprintf(buf, sizeof(buf), "%s%s", url, d->url_suffix);
	/* Go's precedence: (no jobs && failure) || startup_failure. */
	if ((json_array_size(d->jobs) == 0 && strcmp(concl, "failure") == 0) ||
	    strcmp(concl, "startup_failure") == 0) {
		run_paint(stdout, e, RUN_RED, "X");
		fputc(' ', stdout);
		run_paint(stdout, e, RUN_BOLD,
		    "This run likely failed because of a workflow file issue.");
		fputs("\n\nFor more information, see: ", stdout);
		run_paint(stdout, e, RUN_BOLD, buf);
		fputc('\n', stdout);
		return o->exit_status ? 1 : 0;
	}
	if (d->job == NULL) {
		run_paint(stdout, e, RUN_BOLD, "JOBS");
		fputc('\n', stdout);
	}
	run_view_print_jobs(e, d->jobs, d->job != NULL || o->verbose);
	if (d->annotations_denied || json_array_size(d->annotations) > 0) {
		fputc('\n', stdout);
		run_paint(stdout, e, RUN_BOLD, "ANNOTATIONS");
		fputc('\n', stdout);
		if (d->annotations_denied)
			puts("requesting annotations returned 403 Forbidden as the token does not have "
			    "sufficient permissions. Note that it is not currently possible to create a "
			    "fine-grained PAT with the `checks:read` permission.");
		else
			run_view_print_annotations(e, d->annotations);
	}
	if (d->job == NULL && json_array_size(d->artifacts) > 0) {
		fputc('\n', stdout);
		run_paint(stdout, e, RUN_BOLD, "ARTIFACTS");
		fputc('\n', stdout);
		json_array_foreach(d->artifacts, i, a) {
			fputs(run_str(a, "name"), stdout);
			if (json_is_true(json_object_get(a, "expired")))
				run_paint(stdout, e, RUN_GRAY, " (expired)");
			fputc('\n', stdout);
		}
	}
	fputc('\n', stdout);
	if (d->job == NULL) {
		if (run_failed(concl))
			printf("To see what failed, try: gh run view %lld --log-failed\n",
			    run_uint(d->run, "id"));
		else
			puts("For more information about a job, try: gh run view --job=<job-id>");
	} else {
		concl = run_str(d->job, "conclusion");
		if (run_failed(concl))
			printf("To see the logs for the failed steps, try: gh run view --log-failed "
			    "--job=%lld\n", run_uint(d->job, "id"));
		else
			printf("To see the full job log, try: gh run view --log --job=%lld\n",
			    run_uint(d->job, "id"));
	}
	snprintf(buf, sizeof(buf), "View this run on GitHub: %s%s", url, d->url_suffix);
	run_paint(stdout, e, RUN_GRAY, buf);
	fputc('\n', stdout);
	return o->exit_status && run_failed(concl) ? 1 : 0;
}

static int
run_view(int argc, char **argv, const struct ghp_env *e)
{
	struct run_view_opts o = { 0 };
	struct run_view_data d = { .pr = -1 };
	int rc;

	if ((rc = run_view_parse(argc, argv, &o)) != 0)
		goto done;
	if (run_resolve_repo(o.com.repo, d.slug, sizeof(d.slug)) != 0) {
		rc = 1;
		goto done;
	}
	if ((rc = run_view_fetch(e, &o, &d)) != 0)
		goto done;
	if (o.com.ex.json) {
		rc = run_view_json(e, &o, &d);
		goto done;
	}
	if ((rc = run_view_fetch_more(e, &o, &d)) != 0)
		goto done;
	rc = run_view_print(e, &o, &d);
done:
	json_decref(d.job);
	json_decref(d.run);
	json_decref(d.jobs);
	json_decref(d.artifacts);
	json_decref(d.annotations);
	cmdutil_opts_free(&o.com);
	return rc;
}

int
run_main(int argc, char **argv, const struct ghp_env *e)
{
	if (argc < 2)
		return GHP_FALLTHROUGH;
	if (strcmp(argv[1], "list") == 0 || strcmp(argv[1], "ls") == 0)
		return run_list(argc, argv, e);
	if (strcmp(argv[1], "view") == 0)
		return run_view(argc, argv, e);
	return GHP_FALLTHROUGH;
}
