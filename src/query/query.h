/*
 * query.h - the `mamori flows` engine: find store files, scan their blocks
 * on all cores, filter, and print flows or aggregate them.
 *
 * Files come from store_list() over each input path (a data directory, a
 * sub-directory or one file) restricted to the time window. Work units are
 * files; when there are fewer than 4 files per thread, each file is cut into
 * stripes (block k goes to stripe k mod threads) so that one big file still
 * uses every core. For every block the scan first tries to skip it: by its
 * min/max time against the window and by the address Bloom filter when the
 * filter requires one of a few hosts (filter_hosts()). It then loads only
 * the columns the filter, the aggregation and the output need, in two
 * phases when the filter reads fewer columns than the rest: the filter's
 * columns first, the others only if some row matched (a worker falls back
 * to one phase once most of its blocks match). When the filter is, or is an
 * AND containing, a host/net/host-in test on src or dst, that test runs
 * first on the encoded address columns (store_reader_match_addr()): a block
 * without a candidate row costs only those two columns, and otherwise only
 * the candidate rows are decoded (store_reader_load_rows()).
 *
 * Raw flows are printed as blocks finish, one block at a time under a lock:
 * rows of one block stay in order, blocks of different workers interleave
 * (with -j 1 the output is in file and block order). -O tstart collects the
 * matches and sorts them by first-seen time before printing (memory: one
 * struct flow, ~120 bytes, per match). -c N stops the scan once N flows are
 * printed; the summary then covers the flows scanned so far.
 */
#ifndef MAMORI_QUERY_QUERY_H
#define MAMORI_QUERY_QUERY_H

#include <stdint.h>
#include <stdio.h>

#include "core/err.h"
#include "core/mtime.h"
#include "query/agg.h"
#include "query/filter.h"
#include "query/output.h"

#define QUERY_MAXTHREADS	256
#define QUERY_MAXSTATS		16

struct query_opts {
	const char * const	*paths;		/* data dirs / dirs / files */
	size_t			 npaths;
	int			 has_window;
	struct mtime_window	 window;	/* flows whose first is inside */
	const struct filter	*filter;	/* NULL = any */
	const struct agg_spec	*stats;		/* -s, nstats of them */
	size_t			 nstats;
	const struct agg_spec	*aggr;		/* -A or NULL */
	int			 order;		/* -A order (enum agg_order) */
	int			 sort_tstart;	/* -O tstart on raw flows */
	size_t			 topn;		/* -n; 0 = 10 */
	uint64_t		 limit;		/* -c; 0 = no limit */
	int			 threads;	/* -j; 0 = online CPUs */
	int			 no_summary;	/* suppress the summary */
	struct out_opts		 out;
	FILE			*fp;		/* results */
	/* Called about 4 times a second from the calling thread with totals
	 * so far (NULL for none). */
	void			(*progress)(void *arg,
				    const struct query_stats *st);
	void			*progress_arg;
};

/*
 * Runs the query and writes its results to q->fp. Fills *st with totals.
 * Returns 0, or an error with `diag` (no input files, cannot start threads,
 * out of memory). Unreadable files and corrupt blocks are counted in
 * st->errors and skipped; the first such message is kept in diag even when
 * 0 is returned (diag->msg non-empty).
 */
int	query_run(const struct query_opts *q, struct query_stats *st,
	    struct mm_diag *diag);

#endif
