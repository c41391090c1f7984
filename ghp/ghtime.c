/*
 * ghtime.c - parsing and fuzzy ages.
 */
#include "ghtime.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* n digits at s as a number, or -1. */
static int
ghtime_digits(const char *s, int n)
{
	int v = 0;

	for (int i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	return v;
}

static bool
ghtime_leap(int y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

/*
 * Exactly YYYY-MM-DDTHH:MM:SS[.fraction](Z|+HH:MM|-HH:MM): fixed-width
 * digits, so nothing reads past the string and no field is negative.
 */
time_t
ghtime_parse(const char *s)
{
	static const int mdays[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	struct tm tm;
	int y, mo, d, h, mi, sec, oh = 0, om = 0, sign = 0;
	const char *p;
	time_t t;

	if (s == NULL || strnlen(s, 20) < 20 || s[4] != '-' || s[7] != '-' || s[10] != 'T' ||
	    s[13] != ':' || s[16] != ':')
		return -1;
	y = ghtime_digits(s, 4);
	mo = ghtime_digits(s + 5, 2);
	d = ghtime_digits(s + 8, 2);
	h = ghtime_digits(s + 11, 2);
	mi = ghtime_digits(s + 14, 2);
	sec = ghtime_digits(s + 17, 2);
	if (y < 0 || mo < 1 || mo > 12 || d < 1 || h < 0 || h > 23 || mi < 0 || mi > 59 ||
	    sec < 0 || sec > 60 || d > mdays[mo - 1] + (mo == 2 && ghtime_leap(y)))
		return -1;
	p = s + 19;
	if (*p == '.')
		for (p++; *p >= '0' && *p <= '9'; p++)
			;
	if (*p == 'Z') {
		p++;
	} else if ((*p == '+' || *p == '-') && strnlen(p, 6) == 6 && p[3] == ':' &&
	    (oh = ghtime_digits(p + 1, 2)) >= 0 && oh <= 23 &&
	    (om = ghtime_digits(p + 4, 2)) >= 0 && om <= 59) {
		sign = *p;
		p += 6;
	} else {
		return -1;
	}
	if (*p != '\0')
		return -1;
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = sec;
	t = timegm(&tm);
	if (sign == '+')
		t -= oh * 3600 + om * 60;
	else if (sign == '-')
		t += oh * 3600 + om * 60;
	return t;
}

static void
ghtime_about(long n, const char *unit, char *out, size_t outlen)
{
	snprintf(out, outlen, "about %ld %s%s ago", n, unit, n == 1 ? "" : "s");
}

void
ghtime_ago(time_t now, time_t t, char *out, size_t outlen)
{
	long ago = (long)(now - t);

	if (ago < 60)
		snprintf(out, outlen, "less than a minute ago");
	else if (ago < 3600)
		ghtime_about(ago / 60, "minute", out, outlen);
	else if (ago < 86400)
		ghtime_about(ago / 3600, "hour", out, outlen);
	else if (ago < 30L * 86400)
		ghtime_about(ago / 86400, "day", out, outlen);
	else if (ago < 365L * 86400)
		ghtime_about(ago / 86400 / 30, "month", out, outlen);
	else
		ghtime_about(ago / 86400 / 365, "year", out, outlen);
}

void
ghtime_rfc3339(time_t t, char *out, size_t outlen)
{
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(out, outlen, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

time_t
ghtime_now(void)
{
	const char *env = getenv("GHP_NOW");

	if (env != NULL && *env != '\0')
		return (time_t)strtoll(env, NULL, 10);
	return time(NULL);
}
