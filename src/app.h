/*
 * app: GitHub App installation identities. Signs the App's JWT, finds the
 * installation of an owner when only the owner is configured, and mints
 * installation tokens (one hour; ghpool mints again 5 minutes before they
 * expire). Blocking: main thread only, at start-up, reload and refresh.
 */
#ifndef GHPOOL_APP_H
#define GHPOOL_APP_H

#include <stddef.h>
#include <stdint.h>

/* Mint again this long before a token expires. */
#define APP_REFRESH_MARGIN_SECS 300

struct app_params {
	const char *upstream_url;
	int64_t app_id;
	const char *private_key;      /* PEM */
	int64_t installation_id;      /* 0: discover it from owner */
	const char *owner;
	long timeout_secs;
};

struct app_token {
	char *token;                  /* wipe with app_token_clear */
	int64_t expires_at;           /* epoch seconds */
	int64_t installation_id;      /* as configured or discovered */
};

/* 0 with a fresh token, or -1 with the reason (never key or token). */
int app_mint(const struct app_params *p, struct app_token *out, char *err, size_t errlen);
void app_token_clear(struct app_token *t);

#endif
