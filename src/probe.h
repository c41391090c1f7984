/*
 * probe: start-up checks of every pooled identity, before ghpool listens.
 * GET /rate_limit (free) learns each bucket and validates the token;
 * GET /user learns the login, so tokens of one account share a budget.
 */
#ifndef GHPOOL_PROBE_H
#define GHPOOL_PROBE_H

struct pool;

#include <stdbool.h>

/* Probes one identity (after a reload gave it a new token). */
bool probe_identity(struct pool *pool, int i, const char *upstream_url, long timeout_secs);

/* Probes every identity in turn; returns the number left usable. */
int probe_identities(struct pool *pool, const char *upstream_url, long timeout_secs);

#endif
