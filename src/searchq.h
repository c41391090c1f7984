/*
 * searchq: the scope of a GitHub search query. Finds the one q parameter
 * of a /search request and the repo:, org: and user: qualifiers in it, so
 * the policy can judge which owners a search reaches. Whatever could widen
 * the scope in a way we cannot prove (boolean operators, parentheses,
 * qualifiers hidden inside other tokens or quotes) is refused, not parsed.
 */
#ifndef GHPOOL_SEARCHQ_H
#define GHPOOL_SEARCHQ_H

#include <stdbool.h>
#include <stddef.h>

/*
 * The decoded value of the query string's single q parameter (malloc'd,
 * NUL-terminated), or NULL with a reason in *why: no q, several, any
 * parameter but q, sort, order, per_page, page and advanced_search, a raw
 * ';', or malformed percent-encoding.
 */
char *searchq_from_query(const char *query, size_t len, const char **why);

/* Says whether an owner (a login, not NUL-terminated) may be searched. */
typedef bool (*searchq_owner_fn)(void *ctx, const char *owner, size_t len);

/*
 * NULL when q is scoped: at least one repo:, org: or user: qualifier that
 * is not negated, and allowed(ctx, owner) true for every qualifier's owner
 * (negated ones too). Else a reason for the client; a refused owner is
 * named in buf.
 */
const char *searchq_check(const char *q, size_t len, searchq_owner_fn allowed, void *ctx,
    char *buf, size_t buflen);

#endif
