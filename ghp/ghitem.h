/*
 * ghitem: what `issue` and `pr` share. Issues and pull requests are the
 * same GitHub item seen twice, so both commands print the same shapes
 * (actors, labels, milestones, reactions, comments), the same metadata
 * lines and comment blocks, and fail the same way. This module owns those
 * shapes and texts, the requests behind them (with a per-command cache of
 * user names), and the argument forms both commands accept.
 */
#ifndef GHP_GHITEM_H
#define GHP_GHITEM_H

#include "client.h"
#include "ghp.h"

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <time.h>

#define GHITEM_NAME_MAX 128

/* One command's repository, and what it learnt about users on the way. */
struct ghitem_ctx {
	const struct ghp_env *e;
	char owner[GHITEM_NAME_MAX];
	char repo[GHITEM_NAME_MAX];
	json_t *names;               /* login -> display name, each user asked once */
};

void ghitem_ctx_init(struct ghitem_ctx *c, const struct ghp_env *e);
void ghitem_ctx_free(struct ghitem_ctx *c);

/* --- requests ---------------------------------------------------------------
 * Each returns 0, GHP_FALLTHROUGH (ghpool cannot answer: nothing may have
 * been printed), or -1 for an HTTP error kept in *err (nothing printed). */

int ghitem_get(struct ghitem_ctx *c, const char *path, const char *accept, bool raw,
    json_t **out, struct client_error *err);
int ghitem_list(struct ghitem_ctx *c, const char *path, const char *items_key, long limit,
    json_t **out, long *total, struct client_error *err);

/* total_count of a search (q unencoded) without fetching its items. */
int ghitem_search_count(struct ghitem_ctx *c, const char *q, long *total,
    struct client_error *err);

/* How many items a list endpoint holds: per_page=1 and the page number of
 * its rel="last" link (1 without one, 0 when the page is empty). */
int ghitem_count_pages(struct ghitem_ctx *c, const char *path, long *total,
    struct client_error *err);

/* Turns a failed request into gh's message on stderr and the exit code (1),
 * or passes GHP_FALLTHROUGH on. With notfound, a 404 prints gh's GraphQL
 * not-found message for the repository when that is what is missing (one
 * more request), else notfound. */
int ghitem_fail(struct ghitem_ctx *c, int rc, const struct client_error *err, const char *path,
    const char *notfound);

/* --- values from the wire --------------------------------------------------- */

const char *ghitem_str(const json_t *o, const char *key);          /* "" unless a string */
bool ghitem_bool(const json_t *o, const char *key);
long long ghitem_num(const json_t *o, const char *key, long long max);  /* 0..max, else 0 */
time_t ghitem_when(const json_t *o, const char *key);              /* -1 when absent */
/* A timestamp as gh prints it: RFC 3339 in UTC, null (or the zero time). */
json_t *ghitem_time(const json_t *o, const char *key, bool zero);
/* The login gh shows: a bot's without its "[bot]" suffix. */
const char *ghitem_login(const json_t *user, char *buf, size_t len);
bool ghitem_is_bot(const json_t *user);

/* --- JSON shapes (spec §5) ------------------------------------------------- */

/* Actor: {"id","is_bot","login","name"} or a bot's {"is_bot","login"}; null
 * without a user. Asks /users/{login} for the name when with_name. */
int ghitem_actor(struct ghitem_ctx *c, const json_t *user, bool with_name, json_t **out,
    struct client_error *err);
/* [{"id","login","name"}] */
int ghitem_users(struct ghitem_ctx *c, const json_t *users, json_t **out,
    struct client_error *err);
int ghitem_user_name(struct ghitem_ctx *c, const char *login, const char **name,
    struct client_error *err);
json_t *ghitem_labels(const json_t *labels);
json_t *ghitem_milestone(const json_t *m);
json_t *ghitem_reactions(const json_t *reactions);
json_t *ghitem_comments_json(const json_t *raw);

/* The comments of issue or pull request n, oldest first: up to limit, or
 * all of them (limit 0). */
int ghitem_comments(struct ghitem_ctx *c, long n, long limit, json_t **out,
    struct client_error *err);

/* The comments a view shows: all of them, or for a terminal's preview
 * (!all) just the newest, one request for its page of one. count is the
 * item's comment count. */
int ghitem_view_comments(struct ghitem_ctx *c, long n, long count, bool all, json_t **out,
    struct client_error *err);

/* The fields issues and pull requests share (spec §9), the requested ones
 * among them, added to obj. item is the REST issue (or pull request);
 * comments, when not NULL, are its fetched comments. */
struct export_opts;
int ghitem_common_fields(struct ghitem_ctx *c, const json_t *item, const json_t *comments,
    const struct export_opts *ex, json_t *obj, struct client_error *err);

/* --- text ------------------------------------------------------------------- */

/* Writes text in gh's colour for style ("green", "red", "yellow", "magenta",
 * "cyan", "bold", "cyanbold", "gray"), or plain when colour is off. */
void ghitem_paint(FILE *f, const struct ghp_env *e, const char *style, const char *text);
/* A label's name in its own colour when the terminal has true colour. */
void ghitem_paint_label(FILE *f, const struct ghp_env *e, const json_t *label);

char *ghitem_collapse(const char *s);                /* RemoveExcessiveWhitespace */
void ghitem_plural(char *out, size_t len, long n, const char *word);
void ghitem_ago_abbr(time_t now, time_t t, char *out, size_t len);
void ghitem_upper(char *out, size_t len, const char *s);
/* Go's %q of s. */
void ghitem_goquote(FILE *f, const char *s);
char *ghitem_urlencode(const char *s);

/* Labels joined ", " (sorted case-insensitively when sorted), coloured when
 * paint; assignees' logins joined ", " (", …" when GitHub holds more). */
void ghitem_label_list(FILE *f, const struct ghp_env *e, const json_t *labels, bool sorted,
    bool paint);
void ghitem_assignee_list(FILE *f, const json_t *assignees);
/* "2 👍 • 1 🎉"; false (nothing written) without reactions. */
bool ghitem_reaction_line(FILE *f, const json_t *reactions);

/* The body block of a terminal view: "\n" + rendered markdown + "\n". */
void ghitem_view_body(FILE *f, const struct ghp_env *e, const char *body);
/* gh's markdown renderer as far as plain paragraphs go. */
void ghitem_markdown(FILE *f, const char *text, int width);

/* One entry of a conversation: an issue comment or a review. */
struct ghitem_comment {
	const char *login;
	const char *association;     /* GitHub's upper-case author association */
	const char *body;
	const char *status;          /* review state; "" for comments */
	const char *link;            /* a review's URL; "" for comments */
	time_t created;
	const json_t *reactions;
	bool hidden;
};

/* Adds the REST comments in raw to *v (grown as needed). */
void ghitem_comments_add(struct ghitem_comment **v, size_t *n, const json_t *raw);
/* Both print the entries oldest first (v is sorted in place). */
void ghitem_comments_raw(FILE *f, struct ghitem_comment *v, size_t n);
void ghitem_comments_tty(FILE *f, const struct ghp_env *e, struct ghitem_comment *v, size_t n,
    long total, bool preview);

/* The start of a list's Search API query: "repo:o/r is:<kind>" and the
 * state, unless the --search text names one itself. */
void ghitem_query_start(FILE *f, const struct ghitem_ctx *c, const char *kind,
    const char *state, const char *search);
/* One search qualifier, " key:value" (quoted when the value has a space);
 * nothing without a value. */
void ghitem_qualifier(FILE *f, const char *key, const char *value);

/* "\nShowing 2 of 2 open issues in o/r\n\n" (the filtered form when filtered). */
void ghitem_list_header(FILE *f, const struct ghitem_ctx *c, const char *item, size_t shown,
    long total, bool filtered);
/* gh's no-results error: "<msg> in OWNER/REPO" on stderr, on a terminal
 * only; the exit code is 0 either way. */
int ghitem_no_results(const struct ghitem_ctx *c, const char *msg);

/* --- arguments -------------------------------------------------------------- */

/* pflag's string slices (--label): comma-separated, repeatable. */
void ghitem_add_csv(json_t *list, const char *value);
/* "12" or "#12". */
bool ghitem_parse_number(const char *s, long *n);
/* https://HOST/OWNER/REPO/<kind>/N[/...] for one of kinds (NULL-terminated). */
bool ghitem_parse_url(const char *s, const char *const *kinds, char *owner, size_t olen,
    char *repo, size_t rlen, long *n);
/* --limit: a whole number >= 1, else gh's flag error (left to the real gh). */
bool ghitem_parse_limit(const char *s, long *n);

#endif
