/*
 * policy: may this pooled read happen at all? Judges a validated path
 * against allowed_owners before anything is sent upstream. It fails
 * closed: a path whose owner cannot be established is denied unless every
 * owner is allowed.
 */
#ifndef GHPOOL_POLICY_H
#define GHPOOL_POLICY_H

#include <stdbool.h>
#include <stddef.h>

struct config;
struct policy;
struct route_info;

struct policy *policy_new(const struct config *cfg);
void policy_free(struct policy *p);

/* True when no owner at all is allowed (worth a start-up warning). */
bool policy_allows_none(struct policy *p);

/* Replaces the rules with cfg's (reload); checks under way finish on the
 * old ones. */
void policy_update(struct policy *p, const struct config *cfg);

/* NULL if a pooled read of the path route_parse() described as ri is
 * allowed; else a reason for the client, written into buf when it names
 * the owner. */
const char *policy_check_read(struct policy *p, const struct route_info *ri,
    char *buf, size_t buflen);

/* NULL if a pooled GraphQL query may run at all; else the reason. */
const char *policy_check_graphql(struct policy *p);

#endif
