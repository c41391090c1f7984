/*
 * ghtime: GitHub's timestamps, and how gh shows them: RFC 3339 off a
 * terminal, "about 2 days ago" on one.
 */
#ifndef GHP_GHTIME_H
#define GHP_GHTIME_H

#include <stddef.h>
#include <time.h>

/* "2024-01-02T03:04:05Z" (or with an offset) to epoch seconds; -1 if not. */
time_t ghtime_parse(const char *s);

/* gh's fuzzy age of t at now: "less than a minute ago", "about 1 hour ago",
 * "about 3 days ago", ... */
void ghtime_ago(time_t now, time_t t, char *out, size_t outlen);

/* t as RFC 3339 in UTC: "2024-01-02T03:04:05Z". */
void ghtime_rfc3339(time_t t, char *out, size_t outlen);

/* "now" for ages: GHP_NOW (epoch seconds, for reproducible output) or the clock. */
time_t ghtime_now(void);

#endif
