/*
 * ghtime.c - parsing and fuzzy ages.
 */
#include "ghtime.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

time_t
ghtime_parse(const char *s)
{
	struct tm tm;
	int y, mo, d, h, mi, sec, n = 0, oh = 0, om = 0;
	char sign = 0;
	const char *p;
	time_t t;

	if (s == NULL || sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d%n", &y, &mo, &d, &h, &mi, &sec, &n) != 6)
		return -1;
	p = s + n;
	if (*p == '.')
		for (p++; *p >= '0' && *p <= '9'; p++)
			;
	if (*p == 'Z')
		p++;
	else if ((*p == '+' || *p == '-') && sscanf(p + 1, "%2d:%2d", &oh, &om) == 2) {
		sign = *p;
		p += 6;
	} else
		return -1;
	if (*p != '\0' || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec > 60)
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
