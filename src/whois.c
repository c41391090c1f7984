/*
 * whois.c - the client-token -> login memory behind the audit trail.
 *
 * A small open table keyed by SHA-256 of the credential. "token X",
 * "Bearer X" and "bearer X" name one credential, so they share an entry.
 * Entries are replaced oldest-first when the table is full; lookups are
 * rare (one per write), so one mutex is plenty.
 */
#include "whois.h"
#include "util.h"

#include <jansson.h>
#include <openssl/sha.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

struct whois_entry {
	unsigned char digest[SHA256_DIGEST_LENGTH];
	int64_t stored_ms;        /* 0: empty slot */
	char login[WHOIS_LOGIN_MAX];
};

struct whois {
	pthread_mutex_t lock;
	struct whois_entry *slots;
	size_t n;
	int64_t ttl_ms;
};

struct whois *
whois_new(size_t max_entries, int64_t ttl_ms)
{
	struct whois *w = util_calloc(1, sizeof(*w));

	w->n = max_entries > 0 ? max_entries : 1;
	w->slots = util_calloc(w->n, sizeof(*w->slots));
	w->ttl_ms = ttl_ms;
	pthread_mutex_init(&w->lock, NULL);
	return w;
}

void
whois_free(struct whois *w)
{
	if (w == NULL)
		return;
	pthread_mutex_destroy(&w->lock);
	free(w->slots);
	free(w);
}

/* The credential without its scheme, so both spellings share an entry. */
static void
whois_digest(const char *authorization, unsigned char out[SHA256_DIGEST_LENGTH])
{
	const char *cred = authorization;

	if (strncasecmp(cred, "token ", 6) == 0)
		cred += 6;
	else if (strncasecmp(cred, "bearer ", 7) == 0)
		cred += 7;
	while (*cred == ' ')
		cred++;
	SHA256((const unsigned char *)cred, strlen(cred), out);
}

bool
whois_get(struct whois *w, const char *authorization, int64_t now_ms,
    char login[WHOIS_LOGIN_MAX])
{
	unsigned char d[SHA256_DIGEST_LENGTH];
	bool found = false;

	whois_digest(authorization, d);
	pthread_mutex_lock(&w->lock);
	for (size_t i = 0; i < w->n; i++) {
		struct whois_entry *e = &w->slots[i];

		if (e->stored_ms == 0 || memcmp(e->digest, d, sizeof(d)) != 0)
			continue;
		if (now_ms - e->stored_ms < w->ttl_ms) {
			memcpy(login, e->login, WHOIS_LOGIN_MAX);
			found = true;
		}
		break;
	}
	pthread_mutex_unlock(&w->lock);
	return found;
}

void
whois_put(struct whois *w, const char *authorization, const char *login,
    int64_t now_ms)
{
	unsigned char d[SHA256_DIGEST_LENGTH];
	struct whois_entry *slot = NULL;

	whois_digest(authorization, d);
	pthread_mutex_lock(&w->lock);
	for (size_t i = 0; i < w->n; i++) {
		struct whois_entry *e = &w->slots[i];

		if (e->stored_ms != 0 && memcmp(e->digest, d, sizeof(d)) == 0) {
			slot = e;
			break;
		}
		if (slot == NULL || e->stored_ms < slot->stored_ms)
			slot = e;   /* an empty slot (0) wins, else the oldest */
	}
	memcpy(slot->digest, d, sizeof(d));
	slot->stored_ms = now_ms > 0 ? now_ms : 1;
	snprintf(slot->login, sizeof(slot->login), "%s", login);
	pthread_mutex_unlock(&w->lock);
}

bool
whois_parse_user(const char *body, size_t len, char login[WHOIS_LOGIN_MAX])
{
	json_t *doc = json_loadb(body, len, 0, NULL);
	const char *s = json_string_value(json_object_get(doc, "login"));
	size_t n = s ? strlen(s) : 0, core = n;
	bool ok = n > 0 && n < WHOIS_LOGIN_MAX;

	/* App bots are "name[bot]"; the rest is a login's alphabet. */
	if (ok && n > 5 && strcmp(s + n - 5, "[bot]") == 0)
		core = n - 5;
	for (size_t i = 0; ok && i < core; i++)
		ok = (s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') ||
		    (s[i] >= '0' && s[i] <= '9') || s[i] == '-' || s[i] == '_';
	if (ok)
		memcpy(login, s, n + 1);
	json_decref(doc);
	return ok;
}
