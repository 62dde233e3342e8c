/*
 * test_mtime.c - millisecond timestamps: RFC 3339 forms (Z, offsets,
 * fractions), nfdump "2024/05/01.12:00:00", bare dates, range and syntax
 * errors, leap years, printing and parse/print round trips over a wide span,
 * durations and windows ("A-B", "A..B", "A", "-1h", "+1h").
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "core/err.h"
#include "core/mtime.h"

#define T0	1714564800000LL		/* 2024-05-01T12:00:00Z */

static void
parses(const char *s, mtime_t want)
{
	mtime_t t = -42;
	int rc = mtime_parse(s, &t);

	if (rc != 0)
		fail_msg("mtime_parse(\"%s\") = %d", s, rc);
	if (t != want)
		fail_msg("mtime_parse(\"%s\") = %lld, want %lld", s,
		    (long long)t, (long long)want);
}

static void
rejects(const char *s, int want)
{
	mtime_t t = -42;
	int rc = mtime_parse(s, &t);

	if (rc != want)
		fail_msg("mtime_parse(\"%s\") = %d, want %d", s, rc, want);
	if (t != -42)
		fail_msg("mtime_parse(\"%s\") wrote its output on error", s);
}

static void
test_rfc3339(void **state)
{
	(void)state;
	parses("2024-05-01T12:00:00Z", T0);
	parses("2024-05-01t12:00:00z", T0);
	parses("2024-05-01T12:00:00+00:00", T0);
	parses("2024-05-01T12:00:00-00:00", T0);
	parses("2024-05-01T21:00:00+09:00", T0);
	parses("2024-05-01T07:30:00-04:30", T0);
	parses("2024-05-01T21:00:00+0900", T0);
	parses("2024-05-02T02:00:00+14:00", T0);
	parses("2024-05-01T12:00:00.250Z", T0 + 250);
	parses("2024-05-01T12:00:00.5Z", T0 + 500);
	parses("2024-05-01T12:00:00.05Z", T0 + 50);
	parses("2024-05-01T12:00:00.123456789Z", T0 + 123);	/* truncated */
	parses("2024-05-01T12:00:00,750Z", T0 + 750);
	parses("2024-05-01T21:00:00.250+09:00", T0 + 250);
	parses("2024-05-01T12:00Z", T0);			/* no seconds */
	parses("2024-05-01 12:00:00", T0);			/* no zone: UTC */
	parses("2024-05-01 12:00", T0);
	parses("2024-05-01", T0 - 12 * 3600000LL);
	parses("1970-01-01T00:00:00Z", 0);
	parses("1969-12-31T23:59:59Z", -1000);
	parses("1969-12-31T23:59:59.999Z", -1);
	parses("1900-01-01T00:00:00Z", -2208988800000LL);
	parses("0001-01-01T00:00:00Z", -62135596800000LL);
	parses("9999-12-31T23:59:59Z", 253402300799000LL);
	parses("2016-12-31T23:59:60Z", 1483228800000LL);	/* leap second */
}

static void
test_nfdump(void **state)
{
	(void)state;
	parses("2024/05/01.12:00:00", T0);
	parses("2024/05/01.12:00", T0);
	parses("2024/05/01 12:00:00", T0);
	parses("2024/05/01", T0 - 12 * 3600000LL);
	parses("2024/05/01.21:00:00+09:00", T0);
	/* the separators must agree */
	rejects("2024/05-01.12:00:00", MM_ESYNTAX);
	rejects("2024-05/01", MM_ESYNTAX);
}

static void
test_leap(void **state)
{
	(void)state;
	parses("2024-02-29T00:00:00Z", 1709164800000LL);
	parses("2000-02-29T23:59:59Z", 951868799000LL);
	parses("2100-03-01T00:00:00Z", 4107542400000LL);
	rejects("2023-02-29", MM_ERANGE);
	rejects("2100-02-29", MM_ERANGE);	/* century, not leap */
	rejects("1900-02-29", MM_ERANGE);
	rejects("2024-02-30", MM_ERANGE);
	rejects("2024-04-31", MM_ERANGE);
	rejects("2024-06-31", MM_ERANGE);
	rejects("2024-09-31", MM_ERANGE);
	rejects("2024-11-31", MM_ERANGE);
	parses("2024-12-31", 1735603200000LL);
	/* day after Feb 28 in a common year is Mar 1 */
	{
		mtime_t a, b;

		assert_int_equal(mtime_parse("2023-02-28", &a), 0);
		assert_int_equal(mtime_parse("2023-03-01", &b), 0);
		assert_int_equal(b - a, 86400000LL);
		assert_int_equal(mtime_parse("2024-02-28", &a), 0);
		assert_int_equal(mtime_parse("2024-03-01", &b), 0);
		assert_int_equal(b - a, 2 * 86400000LL);
	}
}

static void
test_errors(void **state)
{
	static const char *const syntax[] = {
		"", "2024", "2024-05", "2024-5-01", "24-05-01", "2024-05-1",
		"2024-05-01T", "2024-05-01T12", "2024-05-01T12:", "2024-05-01T1:00",
		"2024-05-01T12:00:0", "2024-05-01T12:00:00.", "2024-05-01T12:00:00.Z",
		"2024-05-01T12:00:00+9", "2024-05-01T12:00:00+09:0",
		"2024-05-01T12:00:00 Z", "2024-05-01T12:00:00Zjunk",
		"2024-05-01x", "2024.05.01", "abcd-05-01", "2024-05-01T12.00",
		"-2024-05-01", " 2024-05-01", "2024-05-01 ", "2024-05-01T12:00:00ZZ",
	};
	static const char *const range[] = {
		"2024-00-01", "2024-13-01", "2024-05-00", "2024-05-32",
		"2024-05-01T24:00:00Z", "2024-05-01T12:60:00Z",
		"2024-05-01T12:00:61Z", "2024-05-01T12:00:00+24:00",
		"2024-05-01T12:00:00+01:60",
	};
	size_t i;
	mtime_t t;

	(void)state;
	for (i = 0; i < sizeof(syntax) / sizeof(syntax[0]); i++)
		rejects(syntax[i], MM_ESYNTAX);
	for (i = 0; i < sizeof(range) / sizeof(range[0]); i++)
		rejects(range[i], MM_ERANGE);
	assert_int_equal(mtime_parse(NULL, &t), MM_ESYNTAX);
}

static void
test_fmt(void **state)
{
	char buf[MTIME_STRLEN];

	(void)state;
	assert_string_equal(mtime_fmt(T0, 0, buf, sizeof(buf)),
	    "2024-05-01T12:00:00Z");
	assert_string_equal(mtime_fmt(T0, 1, buf, sizeof(buf)),
	    "2024-05-01T12:00:00.000Z");
	assert_string_equal(mtime_fmt(T0 + 250, 0, buf, sizeof(buf)),
	    "2024-05-01T12:00:00.250Z");
	assert_string_equal(mtime_fmt(0, 0, buf, sizeof(buf)),
	    "1970-01-01T00:00:00Z");
	assert_string_equal(mtime_fmt(-1, 0, buf, sizeof(buf)),
	    "1969-12-31T23:59:59.999Z");
	assert_string_equal(mtime_fmt(-86400000LL, 0, buf, sizeof(buf)),
	    "1969-12-31T00:00:00Z");
	assert_string_equal(mtime_fmt(951868799000LL, 0, buf, sizeof(buf)),
	    "2000-02-29T23:59:59Z");
	assert_string_equal(mtime_fmt(253402300799999LL, 0, buf, sizeof(buf)),
	    "9999-12-31T23:59:59.999Z");
	/* extremes must not overflow (output is whatever fits) */
	mtime_fmt(INT64_MAX, 1, buf, sizeof(buf));
	mtime_fmt(INT64_MIN, 1, buf, sizeof(buf));
	mtime_fmt(INT64_MIN + 1, 0, buf, sizeof(buf));
	/* short buffer is truncated, not overrun */
	mtime_fmt(T0, 0, buf, 5);
	assert_string_equal(buf, "2024");
}

static void
test_roundtrip(void **state)
{
	char buf[MTIME_STRLEN];
	mtime_t t, back;
	int64_t step = 997 * 3600000LL + 12345;	/* odd step: all fields vary */

	(void)state;
	/* year 1 .. 9999, both printing styles */
	for (t = -62135596800000LL; t < 253402300799000LL;
	    t += step * 7 + 1) {
		mtime_fmt(t, t % 2 == 0, buf, sizeof(buf));
		if (mtime_parse(buf, &back) != 0 || back != t)
			fail_msg("%lld -> \"%s\" -> %lld", (long long)t, buf,
			    (long long)back);
	}
	/* every day for 5 years around the epoch and 2024 */
	for (t = -2 * 365 * 86400000LL; t < 3 * 365 * 86400000LL;
	    t += 86400000LL + 1001) {
		mtime_fmt(t, 0, buf, sizeof(buf));
		assert_int_equal(mtime_parse(buf, &back), 0);
		assert_int_equal(back, t);
	}
	for (t = T0 - 800 * 86400000LL; t < T0 + 800 * 86400000LL;
	    t += 86400000LL - 7) {
		mtime_fmt(t, 1, buf, sizeof(buf));
		assert_int_equal(mtime_parse(buf, &back), 0);
		assert_int_equal(back, t);
	}
}

static void
test_duration(void **state)
{
	mtime_t d;

	(void)state;
	assert_int_equal(mtime_parse_duration("90", &d), 0);
	assert_int_equal(d, 90000);
	assert_int_equal(mtime_parse_duration("90s", &d), 0);
	assert_int_equal(d, 90000);
	assert_int_equal(mtime_parse_duration("250ms", &d), 0);
	assert_int_equal(d, 250);
	assert_int_equal(mtime_parse_duration("15m", &d), 0);
	assert_int_equal(d, 900000);
	assert_int_equal(mtime_parse_duration("2h", &d), 0);
	assert_int_equal(d, 7200000);
	assert_int_equal(mtime_parse_duration("7d", &d), 0);
	assert_int_equal(d, 604800000);
	assert_int_equal(mtime_parse_duration("1w", &d), 0);
	assert_int_equal(d, 604800000);
	assert_int_equal(mtime_parse_duration("0", &d), 0);
	assert_int_equal(d, 0);
	assert_int_equal(mtime_parse_duration("", &d), MM_ESYNTAX);
	assert_int_equal(mtime_parse_duration("h", &d), MM_ESYNTAX);
	assert_int_equal(mtime_parse_duration("-1h", &d), MM_ESYNTAX);
	assert_int_equal(mtime_parse_duration("1y", &d), MM_ESYNTAX);
	assert_int_equal(mtime_parse_duration("1 h", &d), MM_ESYNTAX);
	assert_int_equal(mtime_parse_duration("1hh", &d), MM_ESYNTAX);
	assert_int_equal(mtime_parse_duration("99999999999w", &d), MM_ERANGE);
	assert_int_equal(mtime_parse_duration(
	    "99999999999999999999999999", &d), MM_ERANGE);
	assert_int_equal(mtime_parse_duration(NULL, &d), MM_ESYNTAX);
}

static void
test_window(void **state)
{
	struct mtime_window w;
	mtime_t now = T0 + 3600000;

	(void)state;
	assert_int_equal(mtime_parse_window(
	    "2024/05/01.12:00:00-2024/05/01.13:00:00", now, &w), 0);
	assert_int_equal(w.start, T0);
	assert_int_equal(w.end, T0 + 3600000);
	assert_int_equal(mtime_parse_window(
	    "2024/05/01.12:00-2024/05/01.12:30", now, &w), 0);
	assert_int_equal(w.end, T0 + 1800000);
	assert_int_equal(mtime_parse_window(
	    "2024-05-01T12:00:00Z..2024-05-01T14:00:00+01:00", now, &w), 0);
	assert_int_equal(w.start, T0);
	assert_int_equal(w.end, T0 + 3600000);
	assert_int_equal(mtime_parse_window(
	    "2024-05-01T12:00:00.500Z..2024-05-01T12:00:01Z", now, &w), 0);
	assert_int_equal(w.start, T0 + 500);
	assert_int_equal(w.end, T0 + 1000);
	assert_int_equal(mtime_parse_window("2024-05-01T12:00:00Z", now, &w),
	    0);
	assert_int_equal(w.start, T0);
	assert_true(w.end == INT64_MAX);
	assert_int_equal(mtime_parse_window("2024/05/01.12:00:00", now, &w),
	    0);
	assert_int_equal(w.start, T0);
	assert_true(w.end == INT64_MAX);
	assert_int_equal(mtime_parse_window("2024-05-01T12:00:00Z..", now,
	    &w), 0);
	assert_true(w.end == INT64_MAX);
	assert_int_equal(mtime_parse_window("2024/05/01.12:00-", now, &w), 0);
	assert_true(w.end == INT64_MAX);
	assert_int_equal(mtime_parse_window("-1h", now, &w), 0);
	assert_int_equal(w.start, T0);
	assert_true(w.end == INT64_MAX);
	assert_int_equal(mtime_parse_window("+90m", now, &w), 0);
	assert_int_equal(w.start, T0 - 1800000);
	/* equal ends: empty window is allowed */
	assert_int_equal(mtime_parse_window(
	    "2024/05/01.12:00-2024/05/01.12:00", now, &w), 0);

	assert_int_equal(mtime_parse_window(
	    "2024/05/01.13:00-2024/05/01.12:00", now, &w), MM_ERANGE);
	assert_int_equal(mtime_parse_window("", now, &w), MM_ESYNTAX);
	assert_int_equal(mtime_parse_window(NULL, now, &w), MM_ESYNTAX);
	assert_int_equal(mtime_parse_window("-", now, &w), MM_ESYNTAX);
	assert_int_equal(mtime_parse_window("-1x", now, &w), MM_ESYNTAX);
	assert_int_equal(mtime_parse_window("..2024-05-01", now, &w),
	    MM_ESYNTAX);
	assert_int_equal(mtime_parse_window("2024-05-01..junk", now, &w),
	    MM_ESYNTAX);
	/* RFC 3339 with '-' as the separator is ambiguous: refused */
	assert_int_equal(mtime_parse_window("2024-05-01-2024-05-02", now, &w),
	    MM_ESYNTAX);
	{
		char big[200];

		memset(big, '1', sizeof(big) - 1);
		big[sizeof(big) - 1] = '\0';
		assert_int_equal(mtime_parse_window(big, now, &w),
		    MM_ESYNTAX);
	}
}

static void
test_civil(void **state)
{
	int64_t z, y;
	unsigned m, d;

	(void)state;
	assert_int_equal(mtime_days_from_civil(1970, 1, 1), 0);
	assert_int_equal(mtime_days_from_civil(2000, 3, 1), 11017);
	assert_int_equal(mtime_days_from_civil(1969, 12, 31), -1);
	mtime_civil_from_days(11016, &y, &m, &d);	/* leap day */
	assert_int_equal(y, 2000);
	assert_int_equal(m, 2);
	assert_int_equal(d, 29);
	/* every day from 1600 to 2400 goes there and back */
	for (z = -135140; z <= 157054; z++) {
		mtime_civil_from_days(z, &y, &m, &d);
		assert_true(m >= 1 && m <= 12 && d >= 1 && d <= 31);
		assert_int_equal(mtime_days_from_civil(y, m, d), z);
	}
}

static void
test_now(void **state)
{
	(void)state;
	/* after 2020 and before 2200: the clock is sane and in ms */
	assert_true(mtime_now() > 1577836800000LL);
	assert_true(mtime_now() < 7258118400000LL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rfc3339),
		cmocka_unit_test(test_nfdump),
		cmocka_unit_test(test_leap),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_fmt),
		cmocka_unit_test(test_roundtrip),
		cmocka_unit_test(test_duration),
		cmocka_unit_test(test_window),
		cmocka_unit_test(test_civil),
		cmocka_unit_test(test_now),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
