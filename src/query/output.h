/*
 * output.h - printing flows, aggregates and top-N statistics as an aligned
 * nfdump-like table, CSV (header line, plain numbers, RFC 3339 times) or
 * JSON lines (one object per flow or group).
 *
 * All functions write to a caller's FILE (tests use open_memstream) and
 * never fail loudly: a short write shows up in ferror(fp).
 */
#ifndef MAMORI_QUERY_OUTPUT_H
#define MAMORI_QUERY_OUTPUT_H

#include <stdint.h>
#include <stdio.h>

#include "flow/flow.h"
#include "query/agg.h"

enum qout_fmt { QOUT_TABLE = 0, QOUT_CSV, QOUT_JSON };

struct out_opts {
	int	fmt;		/* enum qout_fmt */
	int	plain;		/* -N: no K/M/G scaling in tables */
};

/* Totals a query gathered, for the summary and the top-N percentages. */
struct query_stats {
	uint64_t	flows, packets, bytes;	/* matched */
	mtime_t		first, last;		/* of matched flows */
	uint64_t	scanned;		/* rows filtered */
	uint64_t	blocks, skipped;	/* blocks read / skipped */
	uint64_t	files, errors;		/* files opened, bad blocks */
	double		elapsed;		/* seconds */
};

/* Column header for raw flows (table and CSV; nothing for JSON). */
void	out_flow_header(FILE *fp, const struct out_opts *o);
/* One flow. */
void	out_flow(FILE *fp, const struct out_opts *o, const struct flow *f);

/*
 * A top-N statistic (spec->either etc. from agg_get_spec(a)) or an -A
 * aggregation (`is_stat` 0): title line, header and rows. `tot` gives
 * the totals for percentages.
 */
void	out_groups(FILE *fp, const struct out_opts *o, const struct agg *a,
	    int is_stat, int order, const struct agg_row *rows, size_t n,
	    const struct query_stats *tot);

/* The closing summary (table format only; no-op otherwise). */
void	out_summary(FILE *fp, const struct out_opts *o,
	    const struct query_stats *st);

/* nfdump-style scaled number ("1.2 M") or plain when `plain`. */
char	*out_num(uint64_t v, int plain, char *buf, size_t len);
/* Protocol name ("TCP") or number. */
const char *out_proto(uint8_t proto, char *buf, size_t len);

#endif
