/*
 * mtime.h - time in mamori: milliseconds since the Unix epoch, UTC, as an
 * int64_t (mtime_t). Parsing and printing of RFC 3339 timestamps and of
 * nfdump-style time windows for -t.
 */
#ifndef MAMORI_CORE_MTIME_H
#define MAMORI_CORE_MTIME_H

#include <stddef.h>
#include <stdint.h>

typedef int64_t mtime_t;

#define MTIME_STRLEN	32

/* A half-open window [start, end) in ms; end == INT64_MAX means open. */
struct mtime_window {
	mtime_t	start;
	mtime_t	end;
};

/* Current wall-clock time. */
mtime_t	mtime_now(void);

/* Parses an RFC 3339 timestamp ("2024-05-01T12:00:00Z",
 * "2024-05-01T12:00:00.250+09:00"), a date-time without zone (taken as UTC,
 * "2024-05-01 12:00:00"), nfdump's "2024/05/01.12:00:00" (seconds optional),
 * or a bare date. Returns 0 or MM_ESYNTAX/MM_ERANGE. */
int	mtime_parse(const char *s, mtime_t *t);

/* Proleptic Gregorian date (m 1..12, d 1..31, not checked) to days since
 * 1970-01-01, and back. O(1), no state; no pointer may be NULL. */
int64_t	mtime_days_from_civil(int64_t y, unsigned m, unsigned d);
/* Days since 1970-01-01 to the proleptic Gregorian date: *y (any year),
 * *m 1..12, *d 1..31. O(1), no state; no pointer may be NULL. */
void	mtime_civil_from_days(int64_t days, int64_t *y, unsigned *m,
	    unsigned *d);

/* Writes "2024-05-01T12:00:00.250Z" (ms shown only when non-zero unless
 * `always_ms`). Returns buf. */
char	*mtime_fmt(mtime_t t, int always_ms, char *buf, size_t len);

/* Parses a duration "90", "90s", "15m", "2h", "7d", "1w" into ms. */
int	mtime_parse_duration(const char *s, mtime_t *ms);

/* Parses a window as nfdump's -t takes it, relative to `now`:
 *   T1-T2     between two times (either in any mtime_parse form; nfdump's
 *             '/' separated dates make '-' unambiguous; for RFC 3339 use "..")
 *   T1..T2    between two times
 *   T1        from T1 on
 *   -DUR      the last DUR before now (e.g. -1h)
 *   +DUR      alias of -DUR
 * Returns 0 or MM_ESYNTAX. */
int	mtime_parse_window(const char *s, mtime_t now, struct mtime_window *w);

#endif
