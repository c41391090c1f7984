/*
 * rewrite: what crosses the proxy in each direction. Decides which client
 * headers reach GitHub and which of GitHub's reach the client, and rewrites
 * the URLs in Link and Location so that clients keep talking to ghpool.
 */
#ifndef GHPOOL_REWRITE_H
#define GHPOOL_REWRITE_H

#include <stdbool.h>
#include <stddef.h>

/* Client request headers forwarded on a pooled read (never Authorization). */
bool rewrite_forward_request_header(const char *name);

/* Upstream response headers passed back to the client. */
bool rewrite_forward_response_header(const char *name);

/* Headers a passthrough (write, mutation) carries to GitHub and back:
 * all but hop-by-hop ones, framing, and ghpool's own X-Ghpool-*. */
bool rewrite_passthrough_request_header(const char *name);
bool rewrite_passthrough_response_header(const char *name);

/*
 * Rewrites a Link header value: every URL under upstream becomes the same
 * URL under public_base. When id_form ("/repositories/") and prefix
 * ("/repos/{o}/{r}") are given, a following id_form + "{digits}" is
 * replaced by prefix, so pagination stays on the owner-checked form.
 * Returns a malloc'd string.
 */
char *rewrite_link(const char *value, const char *upstream,
    const char *public_base, const char *id_form, const char *prefix,
    size_t prefix_len);

/* Rewrites a Location URL under upstream to public_base (malloc'd). */
char *rewrite_location(const char *value, const char *upstream,
    const char *public_base);

#endif
