/*
 * util.c - bounded parsing, token fingerprints, clocks.
 *
 * Everything here is pure or reads only process-wide clocks, so it is safe
 * from any worker thread.
 */
#include "util.h"

#include <curl/curl.h>

#include <openssl/sha.h>
#include <sys/random.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

int
util_parse_i64(const char *s, size_t len, int64_t min, int64_t max, int64_t *out)
{
	int64_t v = 0;

	if (s == NULL || len == 0 || len > 19)
		return -1;
	for (size_t i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		/* 19 digits can still overflow int64: check before multiplying. */
		if (v > (INT64_MAX - (s[i] - '0')) / 10)
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	if (v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

void
util_token_fingerprint(const char *token, char out[9])
{
	unsigned char md[SHA256_DIGEST_LENGTH];

	SHA256((const unsigned char *)token, strlen(token), md);
	snprintf(out, 9, "%02x%02x%02x%02x", md[0], md[1], md[2], md[3]);
}

static uint64_t util_seed = 1469598103934665603ULL;

void
util_hash_seed(void)
{
	uint64_t r;

	if (getrandom(&r, sizeof(r), 0) == (ssize_t)sizeof(r))
		util_seed ^= r;
}

uint64_t
util_hash(const char *s, size_t n)
{
	uint64_t h = util_seed;

	for (size_t i = 0; i < n; i++) {
		h ^= (unsigned char)s[i];
		h *= 1099511628211ULL;
	}
	return h;
}

bool
util_slice_ieq(const char *s, size_t len, const char *cstr)
{
	return strlen(cstr) == len && strncasecmp(s, cstr, len) == 0;
}

char *
util_strndup(const char *s, size_t len)
{
	char *p = malloc(len + 1);

	if (p == NULL)
		abort();
	memcpy(p, s, len);
	p[len] = '\0';
	return p;
}

char *
util_strdup(const char *s)
{
	return util_strndup(s, strlen(s));
}

void *
util_calloc(size_t n, size_t size)
{
	void *p = calloc(n, size);

	if (p == NULL)
		abort();
	return p;
}

char *
util_printf(const char *fmt, ...)
{
	va_list ap;
	char *p;
	int n;

	va_start(ap, fmt);
	n = vasprintf(&p, fmt, ap);
	va_end(ap);
	if (n < 0)
		abort();
	return p;
}

int64_t
util_now(void)
{
	return (int64_t)time(NULL);
}

int64_t
util_mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t
util_mono_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

void
util_rfc3339(char out[32])
{
	struct timespec ts;
	struct tm tm;
	size_t n;

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	n = strftime(out, 32, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(out + n, 32 - n, ".%03dZ", (int)(ts.tv_nsec / 1000000) % 1000);
}

int
util_hex_digit(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

void
util_hex_encode(const void *in, size_t n, char *out)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *p = in;

	for (size_t i = 0; i < n; i++) {
		out[2 * i] = hex[p[i] >> 4];
		out[2 * i + 1] = hex[p[i] & 15];
	}
	out[2 * n] = '\0';
}

bool
util_header_value_ok(const char *s)
{
	for (; *s != '\0'; s++)
		if (((unsigned char)*s < 0x20 && *s != '\t') || *s == 0x7f)
			return false;
	return true;
}

const char *
util_getenv(char *const *envp, const char *name)
{
	size_t n = strlen(name);

	for (char *const *e = envp; e != NULL && *e != NULL; e++)
		if (strncmp(*e, name, n) == 0 && (*e)[n] == '=')
			return *e + n + 1;
	return NULL;
}

/*
 * "2026-11-29T15:04:05Z" (fractional seconds and "+00:00" allowed: both
 * occur in credential answers) to epoch seconds; -1 for anything else.
 */
int64_t
util_parse_utc_time(const char *s)
{
	int64_t y, mo, d, h, mi, sec;
	struct tm tm = { 0 }, back;
	size_t i = 19, digits;
	time_t t;

	if (s == NULL || strlen(s) < 20 || s[4] != '-' || s[7] != '-' || (s[10] != 'T' && s[10] != 't') ||
	    s[13] != ':' || s[16] != ':')
		return -1;
	if (util_parse_i64(s, 4, 1970, 9999, &y) < 0 ||
	    util_parse_i64(s + 5, 2, 1, 12, &mo) < 0 ||
	    util_parse_i64(s + 8, 2, 1, 31, &d) < 0 ||
	    util_parse_i64(s + 11, 2, 0, 23, &h) < 0 ||
	    util_parse_i64(s + 14, 2, 0, 59, &mi) < 0 ||
	    util_parse_i64(s + 17, 2, 0, 59, &sec) < 0)
		return -1;
	if (s[i] == '.') {
		for (digits = 0, i++; s[i] >= '0' && s[i] <= '9' && digits < 9; i++)
			digits++;
		if (digits == 0)
			return -1;
	}
	if (strcmp(s + i, "Z") != 0 && strcmp(s + i, "z") != 0 && strcmp(s + i, "+00:00") != 0)
		return -1;
	tm.tm_year = (int)(y - 1900);
	tm.tm_mon = (int)(mo - 1);
	tm.tm_mday = (int)d;
	tm.tm_hour = (int)h;
	tm.tm_min = (int)mi;
	tm.tm_sec = (int)sec;
	t = timegm(&tm);
	/* timegm quietly turns February 31st into March: refuse what moved. */
	if (t == (time_t)-1 || gmtime_r(&t, &back) == NULL || back.tm_mday != (int)d ||
	    back.tm_mon != (int)(mo - 1))
		return -1;
	return (int64_t)t;
}

void
util_headers_free(struct curl_slist *h)
{
	for (struct curl_slist *l = h; l != NULL; l = l->next)
		explicit_bzero(l->data, strlen(l->data));
	curl_slist_free_all(h);
}
