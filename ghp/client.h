/*
 * client: JSON reads from ghpool for the porcelain commands (issue, pr,
 * run, repo, release). One object, or a list paged through Link headers up
 * to a limit. A transport failure or a 5xx is CLIENT_UNAVAILABLE: the
 * command then belongs to the real gh.
 */
#ifndef GHP_CLIENT_H
#define GHP_CLIENT_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

struct client {
	const char *base;        /* GHPOOL_URL without a trailing slash */
	const char *key;         /* GHPOOL_KEY, or NULL */
};

enum client_status {
	CLIENT_OK,
	CLIENT_HTTP_ERROR,       /* GitHub (or ghpool) said no: *status, *message */
	CLIENT_UNAVAILABLE,      /* no answer, or a 5xx: hand over to the real gh */
};

struct client_error {
	long status;
	char message[512];       /* GitHub's "message", else "HTTP <status>" */
};

/* GET base + path (path starts with '/'); *out is the parsed JSON body
 * (or, with raw, a JSON string holding the body as text). */
enum client_status client_get(const struct client *c, const char *path, const char *accept,
    bool raw, json_t **out, struct client_error *err);

/*
 * A list, following rel="next" until limit items (limit <= 0: all).
 * items_key names the array inside an object body ("workflow_runs"), or
 * NULL when the body is the array. per_page is set from the limit. *out is
 * a new array; *total, when not NULL, gets total_count if the body has one.
 */
enum client_status client_list(const struct client *c, const char *path, const char *items_key,
    long limit, json_t **out, long *total, struct client_error *err);

#endif
