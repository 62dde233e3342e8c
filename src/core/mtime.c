/*
 * mtime.c - millisecond UTC timestamps: parse, print, windows. Civil-date
 * conversion uses the days-from-civil algorithm (proleptic Gregorian), so no
 * timezone database or timegm() is needed. All functions are O(length).
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/err.h"
#include "core/mtime.h"

mtime_t
mtime_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (mtime_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t
mtime_days_from_civil(int64_t y, unsigned m, unsigned d)
{
	int64_t era;
	unsigned yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = (unsigned)(y - era * 400);
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int64_t)doe - 719468;
}

void
mtime_civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
	int64_t era;
	unsigned doe, yoe, doy, mp;

	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = (unsigned)(z - era * 146097);
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	*y = (int64_t)yoe + era * 400;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d = doy - (153 * mp + 2) / 5 + 1;
	*m = mp < 10 ? mp + 3 : mp - 9;
	*y += *m <= 2;
}

static int
days_in_month(int y, int m)
{
	static const int dm[12] = { 31,28,31,30,31,30,31,31,30,31,30,31 };

	if (m == 2 && (y % 4 == 0 && (y % 100 != 0 || y % 400 == 0)))
		return 29;
	return dm[m - 1];
}

/* Reads exactly `n` digits. */
static int
digits(const char **sp, int n, int *out)
{
	int v = 0, i;

	for (i = 0; i < n; i++) {
		if (!isdigit((unsigned char)(*sp)[i]))
			return -1;
		v = v * 10 + ((*sp)[i] - '0');
	}
	*sp += n;
	*out = v;
	return 0;
}

int
mtime_parse(const char *s, mtime_t *t)
{
	int Y, M, D, h = 0, mi = 0, sec = 0, ms = 0, tzh, tzm, sign, nd;
	char dsep;
	int64_t days, off = 0;

	if (s == NULL || digits(&s, 4, &Y) != 0)
		return MM_ESYNTAX;
	dsep = *s;
	if (dsep != '-' && dsep != '/')
		return MM_ESYNTAX;
	s++;
	if (digits(&s, 2, &M) != 0 || *s++ != dsep || digits(&s, 2, &D) != 0)
		return MM_ESYNTAX;
	if (*s == 'T' || *s == 't' || *s == ' ' || *s == '.') {
		s++;
		if (digits(&s, 2, &h) != 0 || *s++ != ':' ||
		    digits(&s, 2, &mi) != 0)
			return MM_ESYNTAX;
		if (*s == ':') {
			s++;
			if (digits(&s, 2, &sec) != 0)
				return MM_ESYNTAX;
			if (*s == '.' || *s == ',') {
				s++;
				for (nd = 0; isdigit((unsigned char)*s); nd++, s++)
					if (nd < 3)
						ms = ms * 10 + (*s - '0');
				if (nd == 0)
					return MM_ESYNTAX;
				for (; nd < 3; nd++)
					ms *= 10;
			}
		}
		if (*s == 'Z' || *s == 'z')
			s++;
		else if (*s == '+' || *s == '-') {
			sign = *s++ == '-' ? -1 : 1;
			if (digits(&s, 2, &tzh) != 0)
				return MM_ESYNTAX;
			if (*s == ':')
				s++;
			if (digits(&s, 2, &tzm) != 0)
				return MM_ESYNTAX;
			if (tzh > 23 || tzm > 59)
				return MM_ERANGE;
			off = sign * ((int64_t)tzh * 3600 + tzm * 60);
		}
	}
	if (*s != '\0')
		return MM_ESYNTAX;
	if (M < 1 || M > 12 || D < 1 || D > days_in_month(Y, M) || h > 23 ||
	    mi > 59 || sec > 60)
		return MM_ERANGE;
	days = mtime_days_from_civil(Y, (unsigned)M, (unsigned)D);
	*t = ((days * 86400 + h * 3600 + mi * 60 + sec) - off) * 1000 + ms;
	return 0;
}

char *
mtime_fmt(mtime_t t, int always_ms, char *buf, size_t len)
{
	int64_t days, secs, y, rem;
	unsigned m, d;
	int ms;

	/* floor division without forming days * 86400000, which can
	 * overflow near INT64_MIN */
	rem = t % 86400000;
	days = t / 86400000;
	if (rem < 0) {
		rem += 86400000;
		days--;
	}
	secs = rem / 1000;
	ms = (int)(rem % 1000);
	mtime_civil_from_days(days, &y, &m, &d);
	if (ms != 0 || always_ms)
		snprintf(buf, len, "%04lld-%02u-%02uT%02d:%02d:%02d.%03dZ",
		    (long long)y, m, d, (int)(secs / 3600),
		    (int)(secs / 60 % 60), (int)(secs % 60), ms);
	else
		snprintf(buf, len, "%04lld-%02u-%02uT%02d:%02d:%02dZ",
		    (long long)y, m, d, (int)(secs / 3600),
		    (int)(secs / 60 % 60), (int)(secs % 60));
	return buf;
}

int
mtime_parse_duration(const char *s, mtime_t *ms)
{
	char *end;
	long long v;
	int64_t unit = 1000;

	if (s == NULL || !isdigit((unsigned char)*s))
		return MM_ESYNTAX;
	v = strtoll(s, &end, 10);
	if (v < 0 || v > 1000000000LL)
		return MM_ERANGE;
	if (strcmp(end, "") == 0 || strcmp(end, "s") == 0)
		unit = 1000;
	else if (strcmp(end, "ms") == 0)
		unit = 1;
	else if (strcmp(end, "m") == 0)
		unit = 60000;
	else if (strcmp(end, "h") == 0)
		unit = 3600000;
	else if (strcmp(end, "d") == 0)
		unit = 86400000;
	else if (strcmp(end, "w") == 0)
		unit = 7 * 86400000LL;
	else
		return MM_ESYNTAX;
	*ms = v * unit;
	return 0;
}

int
mtime_parse_window(const char *s, mtime_t now, struct mtime_window *w)
{
	char buf[128], *sep;
	mtime_t d;

	if (s == NULL || strlen(s) >= sizeof(buf) || *s == '\0')
		return MM_ESYNTAX;
	if (*s == '-' || *s == '+') {
		if (mtime_parse_duration(s + 1, &d) != 0)
			return MM_ESYNTAX;
		w->start = now - d;
		w->end = INT64_MAX;
		return 0;
	}
	strcpy(buf, s);
	sep = strstr(buf, "..");
	if (sep != NULL) {
		*sep = '\0';
		sep += 2;
	} else if (strchr(buf, '/') != NULL && (sep = strchr(buf, '-')) != NULL)
		*sep++ = '\0';
	if (mtime_parse(buf, &w->start) != 0)
		return MM_ESYNTAX;
	w->end = INT64_MAX;
	if (sep != NULL && *sep != '\0' && mtime_parse(sep, &w->end) != 0)
		return MM_ESYNTAX;
	if (w->end < w->start)
		return MM_ERANGE;
	return 0;
}
