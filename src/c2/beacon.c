/*
 * beacon.c - RITA v5 beacon sub-scores (see beacon.h, docs/c2-scoring.md).
 *
 * Written from the formulas, not from RITA's code: quartiles follow the
 * "median of halves" definition of montanaflynn/stats that RITA calls, MAD is
 * the unscaled median of absolute deviations, results are rounded to three
 * decimals where RITA rounds. Everything is O(n log n) for the sort of at
 * most a few dozen samples per pair, and allocation-free.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "c2/beacon.h"

void
c2_beacon_conf_default(struct c2_beacon_conf *c)
{
	c->ts_weight = 0.25;
	c->ds_weight = 0.25;
	c->dur_weight = 0.25;
	c->hist_weight = 0.25;
	c->hist_mode_sensitivity = 0.05;
	c->hist_bimodal_outlier_removal = 1;
	c->hist_bimodal_min_hours = 11;
	c->dur_min_hours = 6;
	c->dur_ideal_hours = 12;
}

double
c2_round3(double x)
{
	return round(x * 1000.0) / 1000.0;
}

static double
ceil3(double x)
{
	return ceil(x * 1000.0) / 1000.0;
}

static int
dcmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static int
ucmp(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

double
c2_median_sorted(const double *v, size_t n)
{
	if (n == 0)
		return 0;
	if (n % 2 == 1)
		return v[n / 2];
	return (v[n / 2 - 1] + v[n / 2]) / 2.0;
}

int
c2_quartiles(const double *v, size_t n, double *q1, double *q2, double *q3)
{
	size_t c1, c2;

	if (n < 2)
		return -1;
	if (n % 2 == 0)
		c1 = c2 = n / 2;
	else {
		c1 = (n - 1) / 2;
		c2 = c1 + 1;
	}
	*q1 = c2_median_sorted(v, c1);
	*q2 = c2_median_sorted(v, n);
	*q3 = c2_median_sorted(v + c2, n - c2);
	return 0;
}

double
c2_bowley(const double *v, size_t n, double *skew)
{
	double q1, q2, q3, num, den, s = 0;

	if (n < 3 || c2_quartiles(v, n, &q1, &q2, &q3) != 0) {
		if (skew != NULL)
			*skew = 0;
		return -1;
	}
	num = q1 + q3 - 2 * q2;
	den = q3 - q1;
	if (den >= 10 && q2 != q1 && q2 != q3)
		s = num / den;
	if (skew != NULL)
		*skew = s;
	return 1.0 - fabs(s);
}

double
c2_mad_score(const double *v, size_t n, double def, double *mad,
    double *median)
{
	double med, m, score, dev[64], *d = dev;
	size_t i;

	if (n == 0) {
		if (mad != NULL)
			*mad = 0;
		if (median != NULL)
			*median = 0;
		return 0;
	}
	med = c2_median_sorted(v, n);
	if (n > sizeof(dev) / sizeof(dev[0])) {
		if ((d = malloc(n * sizeof(*d))) == NULL) {
			/* Out of memory: fall back to the default score. */
			if (mad != NULL)
				*mad = 0;
			if (median != NULL)
				*median = med;
			return def;
		}
	}
	for (i = 0; i < n; i++)
		d[i] = fabs(v[i] - med);
	qsort(d, n, sizeof(*d), dcmp);
	m = c2_median_sorted(d, n);
	if (d != dev)
		free(d);
	score = def;
	if (med >= 1)
		score = (med - m) / med;
	if (score < 0 || isnan(score))
		score = 0;
	if (mad != NULL)
		*mad = m;
	if (median != NULL)
		*median = med;
	return score;
}

int
c2_stat_score(double *v, size_t n, double mad_default, struct c2_stat *st)
{
	double bs, ms, q2;

	memset(st, 0, sizeof(*st));
	if (n < 3)
		return -1;
	qsort(v, n, sizeof(*v), dcmp);
	bs = c2_bowley(v, n, &st->skew);
	ms = c2_mad_score(v, n, mad_default, &st->mad, &st->median);
	(void)c2_quartiles(v, n, &st->q1, &q2, &st->q3);
	st->score = c2_round3((bs + ms) / 2.0);
	return 0;
}

int
c2_ts_score(uint32_t *t, size_t n, const uint8_t *valid, double *work,
    struct c2_stat *st)
{
	size_t i, k = 0;

	memset(st, 0, sizeof(*st));
	if (n < 4)
		return -1;
	if (valid == NULL)
		qsort(t, n, sizeof(*t), ucmp);
	for (i = 0; i + 1 < n; i++) {
		if (valid != NULL && !valid[i])
			continue;
		if (t[i + 1] > t[i])
			work[k++] = (double)(t[i + 1] - t[i]);
	}
	if (k < 3)
		return -1;
	return c2_stat_score(work, k, 1.0, st);
}

int
c2_hist_score(const uint32_t *bins, size_t nbins,
    const struct c2_beacon_conf *c, double *score, double *cv_score,
    double *bimodal, int *total_bars, int *longest_run)
{
	double mean, sd = 0, cv, cvs, bsize, fit = 0, adj;
	uint64_t total = 0;
	uint32_t largest = 0;
	/* frequency-of-height bins: at most nbins distinct keys */
	uint64_t keys[C2_HIST_BINS * 4];
	uint32_t cnt[C2_HIST_BINS * 4];
	size_t nkeys = 0, i, j;
	int bars = 0, run = 0, best = 0, minh;
	uint32_t top1 = 0, top2 = 0;

	if (nbins == 0 || nbins > C2_HIST_BINS * 4)
		return -1;
	for (i = 0; i < nbins; i++) {
		total += bins[i];
		if (bins[i] > 0)
			bars++;
		if (bins[i] > largest)
			largest = bins[i];
	}
	if (total == 0)
		return -1;

	/* coefficient of variation (population standard deviation) */
	mean = (double)total / (double)nbins;
	for (i = 0; i < nbins; i++)
		sd += ((double)bins[i] - mean) * ((double)bins[i] - mean);
	sd = sqrt(sd / (double)nbins);
	cv = sd / fabs(mean);
	cvs = cv > 1.0 ? 0.0 : c2_round3(1.0 - cv);
	if (cvs > 1.0)
		cvs = 1.0;

	/* longest run of non-empty bins, wrapping around once */
	for (i = 0; i < nbins * 2; i++) {
		if (bins[i % nbins] > 0)
			run++;
		else {
			if (run > best)
				best = run;
			run = 0;
		}
	}
	if (run > best)
		best = run;
	if (best > (int)nbins)
		best = (int)nbins;

	/* bimodal fit over the histogram of bar heights */
	bsize = ceil((double)largest * c->hist_mode_sensitivity);
	if (bsize < 1)
		bsize = 1;
	for (i = 0; i < nbins; i++) {
		uint64_t key;

		if (bins[i] == 0)
			continue;
		key = (uint64_t)(floor((double)bins[i] / bsize) * bsize);
		for (j = 0; j < nkeys; j++)
			if (keys[j] == key)
				break;
		if (j == nkeys) {
			keys[nkeys] = key;
			cnt[nkeys++] = 0;
		}
		cnt[j]++;
	}
	for (j = 0; j < nkeys; j++) {
		if (cnt[j] > top1) {
			top2 = top1;
			top1 = cnt[j];
		} else if (cnt[j] > top2)
			top2 = cnt[j];
	}
	minh = c->hist_bimodal_min_hours < 6 ? 11 : c->hist_bimodal_min_hours;
	if (bars >= minh) {
		adj = (double)(bars - c->hist_bimodal_outlier_removal);
		if (adj < 1)
			adj = 1;
		fit = (double)(top1 + top2) / adj;
	}
	fit = c2_round3(fit);
	if (fit > 1.0)
		fit = 1.0;

	if (score != NULL)
		*score = cvs > fit ? cvs : fit;
	if (cv_score != NULL)
		*cv_score = cvs;
	if (bimodal != NULL)
		*bimodal = fit;
	if (total_bars != NULL)
		*total_bars = bars;
	if (longest_run != NULL)
		*longest_run = best;
	return 0;
}

double
c2_dur_score(int64_t win_start, int64_t win_end, int64_t first, int64_t last,
    int total_bars, int longest_run, const struct c2_beacon_conf *c,
    double *coverage, double *consistency)
{
	double cov = 0, con = 0, s = 0;

	if (c->dur_min_hours >= 1 && c->dur_ideal_hours >= 1 &&
	    win_end > win_start && last > first &&
	    total_bars >= c->dur_min_hours) {
		cov = ceil3((double)(last - first) /
		    (double)(win_end - win_start));
		if (cov > 1.0)
			cov = 1.0;
		con = ceil3((double)longest_run / (double)c->dur_ideal_hours);
		if (con > 1.0)
			con = 1.0;
		s = cov > con ? cov : con;
	}
	if (coverage != NULL)
		*coverage = cov;
	if (consistency != NULL)
		*consistency = con;
	return s;
}

static double
clamp01(double x)
{
	if (!(x >= 0))
		return 0;
	return x > 1 ? 1 : x;
}

double
c2_beacon_total(const struct c2_beacon_conf *c, double ts, double ds,
    double dur, double hist)
{
	return c2_round3(clamp01(ts) * c->ts_weight +
	    clamp01(ds) * c->ds_weight + clamp01(dur) * c->dur_weight +
	    clamp01(hist) * c->hist_weight);
}
