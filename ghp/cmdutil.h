/*
 * cmdutil: what every porcelain command (issue, pr, run, repo, release)
 * does alike around its own work: the flag loop with the shared flags -R,
 * --json, --jq and --template, --limit, query escaping, and gh's words
 * for a request GitHub refused.
 */
#ifndef GHP_CMDUTIL_H
#define GHP_CMDUTIL_H

#include "args.h"
#include "client.h"
#include "export.h"

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

/* The shared flags' ids, above any command's own (their enums start at 0). */
enum { CMDUTIL_F_REPO = 1000, CMDUTIL_F_JSON, CMDUTIL_F_JQ, CMDUTIL_F_TEMPLATE };

/* The entries of an args_flag table for the shared flags. */
#define CMDUTIL_FLAG_REPO { "repo", 'R', true, CMDUTIL_F_REPO }
#define CMDUTIL_FLAGS_EXPORT \
	{ "json", 0, true, CMDUTIL_F_JSON }, \
	{ "jq", 'q', true, CMDUTIL_F_JQ }, \
	{ "template", 't', true, CMDUTIL_F_TEMPLATE }

struct cmdutil_opts {
	const char *repo;            /* -R's value, or NULL */
	json_t *json_values;         /* --json values, checked by cmdutil_apply_json */
	struct export_opts ex;
};

/* A command's own flag into its options: 0, or GHP_FALLTHROUGH when the
 * value is for the real gh to judge. */
typedef int (*cmdutil_flag_fn)(void *opts, int id, const char *value);

/*
 * Reads argv from start against flags: the shared ones into com (--json
 * only collected, so that a flag read later may still send the command
 * to the real gh, which then answers itself), the command's own through
 * own(opts, ...), and with arg the one positional argument. An unknown
 * flag or another positional argument belongs to the real gh, except
 * that with list_fields a bare trailing --json prints gh's list of
 * fields. 0, 1 after gh's message, or GHP_FALLTHROUGH.
 */
int cmdutil_parse(int argc, char **argv, int start, const struct args_flag *flags,
    struct cmdutil_opts *com, const char **arg, const char *const *list_fields,
    cmdutil_flag_fn own, void *opts);

/* After all flags: the --json values against fields (NULL-terminated,
 * sorted), then --jq/--template without --json. 0, or 1 after gh's error. */
int cmdutil_apply_json(struct cmdutil_opts *o, const char *const *fields);

void cmdutil_opts_free(struct cmdutil_opts *o);

/* A boolean flag's value: on when bare (NULL) or "true". */
bool cmdutil_on(const char *value);

/* --limit of run and release: 1 to 1000000 in plain digits. */
bool cmdutil_parse_limit(const char *s, long *n);

/* Go's url.QueryEscape of s into out; -1 when it does not fit. */
int cmdutil_query_escape(const char *s, char *out, size_t len);

/*
 * A failed request as gh reports it: GHP_FALLTHROUGH when ghpool could not
 * answer (the real gh will), else "<prefix>HTTP 404: Not Found
 * (https://api.github.com<path>)" (or the bare message without a status),
 * gh's login hint after a 401, and exit code 1.
 */
int cmdutil_fail(enum client_status st, const struct client_error *err, const char *prefix,
    const char *path);

#endif
