/*
 * test_score.c - RITA v5 beacon sub-scores on hand-computed series.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "c2/beacon.h"

#define EPS	1e-9

static void
test_quartiles(void **state)
{
	double odd[] = { 10, 20, 30, 45, 100, 200, 400 };
	double even[] = { 1, 2, 3, 4 };
	double q1, q2, q3;

	(void)state;
	assert_int_equal(c2_quartiles(odd, 7, &q1, &q2, &q3), 0);
	assert_true(fabs(q1 - 20) < EPS);
	assert_true(fabs(q2 - 45) < EPS);
	assert_true(fabs(q3 - 200) < EPS);
	assert_int_equal(c2_quartiles(even, 4, &q1, &q2, &q3), 0);
	assert_true(fabs(q1 - 1.5) < EPS);
	assert_true(fabs(q2 - 2.5) < EPS);
	assert_true(fabs(q3 - 3.5) < EPS);
	assert_int_equal(c2_quartiles(even, 1, &q1, &q2, &q3), -1);
}

static void
test_bowley_mad(void **state)
{
	double v[] = { 10, 20, 30, 45, 100, 200, 400 };
	double small[] = { 1, 2, 3, 4 };
	double skew, mad, med, s;
	struct c2_stat st;

	(void)state;
	/* (20 + 200 - 90) / 180 = 0.7222 */
	s = c2_bowley(v, 7, &skew);
	assert_true(fabs(skew - 130.0 / 180.0) < EPS);
	assert_true(fabs(s - (1 - 130.0 / 180.0)) < EPS);
	/* |x - 45| sorted 0 15 25 35 55 155 355: MAD 35 */
	s = c2_mad_score(v, 7, 1, &mad, &med);
	assert_true(fabs(mad - 35) < EPS);
	assert_true(fabs(med - 45) < EPS);
	assert_true(fabs(s - 10.0 / 45.0) < EPS);
	/* round3((0.27778 + 0.22222) / 2) = 0.25 */
	assert_int_equal(c2_stat_score(v, 7, 1, &st), 0);
	assert_true(fabs(st.score - 0.25) < EPS);
	/* IQR below 10: skew taken as 0 */
	s = c2_bowley(small, 4, &skew);
	assert_true(skew == 0 && s == 1);
	/* median below 1: the default MAD score */
	{
		double z[] = { 0, 0, 0.5 };

		assert_true(c2_mad_score(z, 3, 1, NULL, NULL) == 1);
		assert_true(c2_mad_score(z, 3, 0, NULL, NULL) == 0);
	}
	/* too short */
	assert_int_equal(c2_stat_score(v, 2, 1, &st), -1);
}

static void
test_perfect_beacon(void **state)
{
	struct c2_beacon_conf c;
	static uint32_t t[1440];
	static double work[1440], sz[1440];
	uint32_t hist[C2_HIST_BINS];
	struct c2_stat ts, ds;
	double h, cv, bi, dur;
	int bars, run;
	size_t i;

	(void)state;
	c2_beacon_conf_default(&c);
	memset(hist, 0, sizeof(hist));
	for (i = 0; i < 1440; i++) {
		t[1439 - i] = (uint32_t)(i * 60);	/* unsorted on purpose */
		sz[i] = 320;
		hist[i * 60 * C2_HIST_BINS / 86400]++;
	}
	assert_int_equal(c2_ts_score(t, 1440, NULL, work, &ts), 0);
	assert_true(ts.score == 1.0);
	assert_true(ts.median == 60 && ts.mad == 0 && ts.skew == 0);
	assert_int_equal(c2_stat_score(sz, 1440, 0, &ds), 0);
	assert_true(ds.score == 1.0);
	assert_int_equal(c2_hist_score(hist, C2_HIST_BINS, &c, &h, &cv, &bi,
	    &bars, &run), 0);
	assert_true(h == 1.0 && cv == 1.0);
	assert_int_equal(bars, 24);
	assert_int_equal(run, 24);
	dur = c2_dur_score(0, 86400, 0, 1439 * 60, bars, run, &c, NULL, NULL);
	assert_true(dur == 1.0);
	assert_true(c2_beacon_total(&c, ts.score, ds.score, dur, h) == 1.0);
}

static uint64_t rng = 88172645463325252ULL;

static uint64_t
xr(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static void
test_random_low(void **state)
{
	static uint32_t t[2000];
	static double work[2000], sz[2000];
	struct c2_stat ts, ds;
	double now = 0;
	size_t i;

	(void)state;
	for (i = 0; i < 2000; i++) {
		double u = ((double)(xr() % 1000000) + 0.5) / 1e6;

		now += -log(u) * 40.0;	/* exponential, mean 40 s */
		t[i] = (uint32_t)now;
		u = ((double)(xr() % 1000000) + 0.5) / 1e6;
		sz[i] = 100 + -log(u) * 5000.0;	/* heavy-tailed sizes */
	}
	assert_int_equal(c2_ts_score(t, 2000, NULL, work, &ts), 0);
	/* exponential: Bowley score ~0.74, MAD score ~0.31 -> ~0.52 (RITA
	 * gives uniform sizes 0.75: symmetric, MAD half the median) */
	assert_true(ts.score < 0.65);
	assert_int_equal(c2_stat_score(sz, 2000, 0, &ds), 0);
	assert_true(ds.score < 0.7);
}

static void
test_ts_rules(void **state)
{
	uint32_t dup[] = { 10, 10, 10, 70, 130 };	/* 2 non-zero */
	uint32_t ok[] = { 0, 60, 120, 180, 900, 960, 1020, 1080 };
	uint8_t valid[] = { 1, 1, 1, 0, 1, 1, 1, 1 };
	double work[8];
	struct c2_stat st;

	(void)state;
	assert_int_equal(c2_ts_score(dup, 3, NULL, work, &st), -1);
	assert_int_equal(c2_ts_score(dup, 5, NULL, work, &st), -1);
	/* the 720 s gap is not a true interval (stratified sample) */
	assert_int_equal(c2_ts_score(ok, 8, valid, work, &st), 0);
	assert_true(st.score == 1.0 && st.median == 60);
	valid[3] = 1;
	assert_int_equal(c2_ts_score(ok, 8, valid, work, &st), 0);
	assert_true(st.mad == 0 && st.median == 60);
}

static void
test_histogram(void **state)
{
	struct c2_beacon_conf c;
	uint32_t half[C2_HIST_BINS], few[C2_HIST_BINS], zero[C2_HIST_BINS];
	double h, cv, bi;
	int bars, run;
	size_t i;

	(void)state;
	c2_beacon_conf_default(&c);
	memset(half, 0, sizeof(half));
	memset(few, 0, sizeof(few));
	memset(zero, 0, sizeof(zero));
	/* 12 active hours of 10 connections: cv = 1 -> 0; bimodal fit
	 * 12 / (12 - 1) capped at 1 */
	for (i = 0; i < 12; i++)
		half[i + 6] = 10;
	assert_int_equal(c2_hist_score(half, C2_HIST_BINS, &c, &h, &cv, &bi,
	    &bars, &run), 0);
	assert_true(cv == 0 && bi == 1 && h == 1);
	assert_int_equal(bars, 12);
	assert_int_equal(run, 12);
	/* 5 single connections: cv > 1, too few bars for bimodal */
	few[0] = few[5] = few[10] = few[22] = few[23] = 1;
	assert_int_equal(c2_hist_score(few, C2_HIST_BINS, &c, &h, &cv, &bi,
	    &bars, &run), 0);
	assert_true(h == 0);
	assert_int_equal(bars, 5);
	assert_int_equal(run, 3);	/* 22, 23 wrap to 0 */
	assert_int_equal(c2_hist_score(zero, C2_HIST_BINS, &c, &h, &cv, &bi,
	    &bars, &run), -1);
}

static void
test_duration(void **state)
{
	struct c2_beacon_conf c;
	double cov, con;

	(void)state;
	c2_beacon_conf_default(&c);
	assert_true(c2_dur_score(0, 86400, 0, 43200, 6, 6, &c, &cov, &con) ==
	    0.5);
	assert_true(cov == 0.5 && con == 0.5);
	assert_true(c2_dur_score(0, 86400, 0, 43200, 5, 5, &c, NULL, NULL) ==
	    0);
	/* 12 consecutive hours make consistency 1 even over a short span */
	assert_true(c2_dur_score(0, 86400, 0, 3600, 12, 12, &c, &cov, &con) ==
	    1.0);
	assert_true(fabs(cov - 0.042) < EPS);	/* ceil3(1/24) */
	assert_true(c2_dur_score(0, 86400, 100, 100, 12, 12, &c, NULL,
	    NULL) == 0);
}

static void
test_total(void **state)
{
	struct c2_beacon_conf c;

	(void)state;
	c2_beacon_conf_default(&c);
	assert_true(c2_beacon_total(&c, 1, 1, 1, 1) == 1);
	assert_true(c2_beacon_total(&c, 0.5, 0.25, 1, 0) == 0.438);
	assert_true(c2_beacon_total(&c, 2, -1, NAN, 1) == 0.5);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_quartiles),
		cmocka_unit_test(test_bowley_mad),
		cmocka_unit_test(test_perfect_beacon),
		cmocka_unit_test(test_random_low),
		cmocka_unit_test(test_ts_rules),
		cmocka_unit_test(test_histogram),
		cmocka_unit_test(test_duration),
		cmocka_unit_test(test_total),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
