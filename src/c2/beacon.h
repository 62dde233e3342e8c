/*
 * beacon.h - RITA v5 beacon scoring, re-implemented from its published
 * formulas (activecm/rita, analysis/beacons.go, default_config.hjson) so that
 * mamori's scores can be compared with RITA's on the same connection series.
 * docs/c2-scoring.md gives every formula with its source.
 *
 * All functions are pure: they take arrays the caller owns, never allocate
 * (except where noted), and are O(n log n) at worst (a sort). Times are in
 * whole seconds as RITA keeps them; sizes in bytes.
 */
#ifndef MAMORI_C2_BEACON_H
#define MAMORI_C2_BEACON_H

#include <stddef.h>
#include <stdint.h>

#define C2_HIST_BINS	24	/* RITA: 24 bins over the data set span */

/* RITA's scoring knobs; c2_beacon_conf_default() sets RITA v5's defaults. */
struct c2_beacon_conf {
	double	ts_weight;		/* 0.25 */
	double	ds_weight;		/* 0.25 */
	double	dur_weight;		/* 0.25 */
	double	hist_weight;		/* 0.25 */
	double	hist_mode_sensitivity;	/* 0.05 */
	int	hist_bimodal_outlier_removal;	/* 1 */
	int	hist_bimodal_min_hours;	/* 11 */
	int	dur_min_hours;		/* 6 */
	int	dur_ideal_hours;	/* 12 */
};

/* A statistical (Bowley + MAD) score of one series. */
struct c2_stat {
	double	score;		/* round3((bowley_score + mad_score) / 2) */
	double	skew;		/* Bowley skewness (0 when degenerate) */
	double	mad;		/* median absolute deviation */
	double	median;
	double	q1, q3;
};

/* The four sub-scores and the weighted total of one pair. */
struct c2_beacon_score {
	double		score;		/* weighted total, round3 */
	struct c2_stat	ts;		/* intervals between connections */
	struct c2_stat	ds;		/* bytes per connection */
	double		hist;		/* max(cv score, bimodal fit) */
	double		hist_cv;
	double		hist_bimodal;
	double		dur;		/* max(coverage, consistency) */
	double		dur_coverage;
	double		dur_consistency;
	int		total_bars;	/* non-empty histogram bins */
	int		longest_run;	/* consecutive non-empty bins, wrapping */
	int		ok_ts;		/* 1 if the ts score could be computed */
	int		ok_ds;
};

/* Fills `c` with RITA v5's defaults. */
void	c2_beacon_conf_default(struct c2_beacon_conf *c);

/* Rounds to 3 decimals as RITA does (math.Round(x * 1000) / 1000). */
double	c2_round3(double x);

/* Median of v[0..n) which must be sorted; n >= 1 (0 returns 0). */
double	c2_median_sorted(const double *v, size_t n);

/*
 * Quartiles as montanaflynn/stats Quartile() (used by RITA): Q2 the median,
 * Q1/Q3 the medians of the lower/upper halves, the middle element excluded
 * for odd n. v sorted, n >= 2. Returns 0 or -1 when n < 2.
 */
int	c2_quartiles(const double *v, size_t n, double *q1, double *q2,
	    double *q3);

/*
 * Bowley skewness of sorted v[0..n) (n >= 3): (Q1 + Q3 - 2 Q2) / (Q3 - Q1),
 * taken as 0 when Q3 - Q1 < 10 or Q2 equals Q1 or Q3 (RITA). Returns the
 * score 1 - |skew| and sets *skew; -1 when n < 3.
 */
double	c2_bowley(const double *v, size_t n, double *skew);

/*
 * MAD score of sorted v[0..n) (n >= 1): (median - MAD) / median when
 * median >= 1, else `def`; negative or NaN becomes 0. Sets *mad and
 * *median (may be NULL).
 */
double	c2_mad_score(const double *v, size_t n, double def, double *mad,
	    double *median);

/*
 * RITA's calculateStatisticalScore over v[0..n), n >= 3: sorts v in place
 * and fills `st`. `mad_default` is 1 for intervals, 0 for sizes. Returns 0 or
 * -1 when n < 3.
 */
int	c2_stat_score(double *v, size_t n, double mad_default,
	    struct c2_stat *st);

/*
 * Timestamp score from connection times t[0..n) (seconds, any order; sorted
 * in place). Needs n >= 4 and at least 3 non-zero intervals. Intervals i
 * (between sorted t[i] and t[i+1]) whose valid[i] is 0 are skipped (valid may
 * be NULL = all valid): used when the times are a stratified sample.
 * `work` must hold n doubles. Returns 0 or -1 (not enough intervals).
 */
int	c2_ts_score(uint32_t *t, size_t n, const uint8_t *valid,
	    double *work, struct c2_stat *st);

/*
 * Histogram score from nbins connection counts over the window: RITA's
 * coefficient-of-variation score and bimodal fit, the larger of the two.
 * Also returns the number of non-empty bins and the longest run of non-empty
 * bins (wrapping from the end to the start). Returns -1 when all bins are 0.
 */
int	c2_hist_score(const uint32_t *bins, size_t nbins,
	    const struct c2_beacon_conf *c, double *score, double *cv_score,
	    double *bimodal, int *total_bars, int *longest_run);

/*
 * Duration score: coverage (last - first) / (window_end - window_start) and
 * consistency longest_run / dur_ideal_hours, both ceil'd to 3 decimals and
 * capped at 1; the larger, or 0 when total_bars < dur_min_hours or the span
 * is empty. Times in seconds.
 */
double	c2_dur_score(int64_t win_start, int64_t win_end, int64_t first,
	    int64_t last, int total_bars, int longest_run,
	    const struct c2_beacon_conf *c, double *coverage,
	    double *consistency);

/* Weighted total, round3; sub-scores outside [0,1] are clamped. */
double	c2_beacon_total(const struct c2_beacon_conf *c, double ts, double ds,
	    double dur, double hist);

#endif
