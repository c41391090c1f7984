/*
 * util: small helpers shared by every module and owned by none of them:
 * bounded number parsing for values that come off the wire or out of a
 * config file, token fingerprints for logs, and wall/monotonic clocks.
 */
#ifndef GHPOOL_UTIL_H
#define GHPOOL_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#define GHPOOL_USER_AGENT "ghpool/" GHPOOL_VERSION

/* Parses a whole decimal string (no sign, no spaces) into [min, max].
 * Returns 0 on success, -1 on anything else; *out is untouched on error. */
int util_parse_i64(const char *s, size_t len, int64_t min, int64_t max, int64_t *out);

/* First 8 hex digits of SHA-256(token): safe to log, stable across runs. */
void util_token_fingerprint(const char *token, char out[9]);

/*
 * FNV-1a over n bytes, started from a per-process random seed so clients
 * cannot aim many paths at one hash chain from outside. util_hash_seed()
 * runs once in main() before any thread.
 */
void util_hash_seed(void);
uint64_t util_hash(const char *s, size_t n);

/* NAME's value in an environment block (NULL-terminated "NAME=value"
 * strings, as environ), or NULL. Modules take envp so tests can pass their own. */
const char *util_getenv(char *const *envp, const char *name);

/* The value of one hexadecimal digit, or -1. */
int util_hex_digit(int c);

/* n bytes as 2n lower-case hex digits and a NUL into out. */
void util_hex_encode(const void *in, size_t n, char *out);

/* Whether s may be sent as a header's value: no control byte but tab, so
 * no CR or LF that would start another header. */
bool util_header_value_ok(const char *s);

/* Case-insensitive equality of a (ptr,len) slice and a C string. */
bool util_slice_ieq(const char *s, size_t len, const char *cstr);

/* Duplicates len bytes into a fresh NUL-terminated string; aborts on OOM. */
char *util_strndup(const char *s, size_t len);
char *util_strdup(const char *s);
void *util_calloc(size_t n, size_t size);
/* sprintf into a fresh string; aborts on OOM. */
char *util_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Seconds since the epoch, and a monotonic clock in milliseconds. */
int64_t util_now(void);
int64_t util_mono_ms(void);
int64_t util_mono_us(void);

/*
 * "2026-11-29T15:04:05Z" to epoch seconds: fractional seconds and "+00:00"
 * allowed (credential answers use both), impossible dates refused; -1 for
 * anything else, NULL included.
 */
int64_t util_parse_utc_time(const char *s);

/* Frees a curl header list, wiping each line first: lines may hold
 * "Authorization: ..." with a token, a JWT or a signature. */
struct curl_slist;
void util_headers_free(struct curl_slist *h);

/* RFC 3339 UTC timestamp with milliseconds, e.g. 2026-11-29T11:30:00.123Z. */
void util_rfc3339(char out[32]);

#endif
