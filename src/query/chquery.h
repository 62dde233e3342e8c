/*
 * chquery.h - ClickHouse pushdown for `mamori flows --clickhouse URL`.
 *
 * The same struct query_opts that query_run() executes against the local
 * store is translated into SQL over mamori.flows (docs/clickhouse.md):
 * the filter AST becomes a WHERE clause, -s / -A become GROUP BY queries
 * whose ORDER BY ... LIMIT reproduces agg_top()'s ranking (order value
 * descending, then IPv4 keys before IPv6 keys, then the key bytes as the
 * local hash table lays them out), and raw flows are fetched ordered by
 * time. Results come back as TabSeparated (addresses as hex), are parsed
 * through the bounds-checked cursor and printed with the very functions of
 * query/output.h, so the output is byte for byte what query_run() prints
 * for the same flows (table summaries aside: ClickHouse reports no files or
 * blocks). Works with ClickHouse 18.16 and current releases: only plain
 * functions (substring, reinterpretAsUInt64, bitAnd, arrayJoin, intDiv).
 *
 * Cost: one totals query plus one query per -s / -A (server-side
 * aggregation; only the top rows travel), or raw flows in pages of about
 * CHQUERY_PAGE_ROWS rows (first_ms ranges sized to the data's density, so
 * memory on both sides stays bounded whatever the result size). Client
 * memory: one page, or the returned groups (at most CHQUERY_MAXGROUPS) in a
 * private struct agg.
 */
#ifndef MAMORI_QUERY_CHQUERY_H
#define MAMORI_QUERY_CHQUERY_H

#include "core/err.h"
#include "query/output.h"
#include "query/query.h"

#define CHQUERY_TABLE		"mamori.flows"
#define CHQUERY_PAGE_ROWS	65536		/* raw flows per request */
#define CHQUERY_MAXGROUPS	(4u << 20)	/* group rows accepted */
#define CHQUERY_MAXSQL		(16u << 20)	/* longest statement built */
#define CHQUERY_TIMEOUT_MS	600000L		/* per request */

/*
 * Runs `q` against the ClickHouse HTTP base URL `url` (user, password and
 * settings as URL parameters, see collect/chhttp.h) and writes the results
 * to q->fp exactly as query_run() would. q->paths, q->threads and
 * q->progress are ignored. Fills *st (scanned = matched flows; files,
 * blocks and skipped are 0). Returns 0, or MM_EAGAIN (server unreachable),
 * MM_EIO (server error, its message in diag), MM_EFORMAT (malformed
 * response), MM_ELIMIT (too many groups or too large a response),
 * MM_ENOMEM or MM_EINVAL, with `diag` (may be NULL). Output already
 * written stays written on a failure part way.
 */
int	chquery_run(const char *url, const struct query_opts *q,
	    struct query_stats *st, struct mm_diag *diag);

/*
 * Builds the SQL chquery_run() would send for `q` (totals, one statement per
 * -s, the -A statement, or the first page of raw flows), each statement
 * ending in ";\n". On success stores a malloc'ed string in *sql_out (caller
 * frees) and returns 0; else returns MM_ENOMEM, MM_ELIMIT or MM_EINVAL with
 * diag and sets *sql_out to NULL. For tests and `mamori flows --sql`.
 */
int	chquery_sql(const struct query_opts *q, char **sql_out,
	    struct mm_diag *diag);

/*
 * The condition for filter `f` and the optional time window alone, as a
 * malloc'ed string ("1" when everything matches). Same return contract as
 * chquery_sql().
 */
int	chquery_where(const struct query_opts *q, char **sql_out,
	    struct mm_diag *diag);

#endif
