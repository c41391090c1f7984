/*
 * whois: who is behind a client's own token. Writes pass through with the
 * client's Authorization, and the audit trail names the GitHub login that
 * made them. The login comes from GET /user with that token; this module
 * remembers the answer under the SHA-256 of the credential (never the
 * credential itself), bounded in size and for an hour. Thread-safe.
 */
#ifndef GHPOOL_WHOIS_H
#define GHPOOL_WHOIS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define WHOIS_LOGIN_MAX 64     /* GitHub logins are at most 39 characters */

struct whois;

struct whois *whois_new(size_t max_entries, int64_t ttl_ms);
void whois_free(struct whois *w);

/* The login remembered for an Authorization header value, copied into
 * login; false when unknown or older than the TTL. */
bool whois_get(struct whois *w, const char *authorization, int64_t now_ms,
    char login[WHOIS_LOGIN_MAX]);

/* Remembers login for the credential; the oldest entry makes room. */
void whois_put(struct whois *w, const char *authorization, const char *login,
    int64_t now_ms);

/* The login in a GET /user answer body: letters, digits, '-' and '_'
 * (enterprise managed users have "_shortcode"), optionally ending in
 * "[bot]", shorter than WHOIS_LOGIN_MAX; false if the body holds none. */
bool whois_parse_user(const char *body, size_t len, char login[WHOIS_LOGIN_MAX]);

#endif
