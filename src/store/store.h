/*
 * store.h - the embedded flow store: time-partitioned files of compressed
 * columnar blocks under DATADIR/flows/.
 *
 * Layout: DATADIR/flows/YYYY/MM/DD/flows-YYYYMMDDhhmm.mmf, one file per
 * rotation interval (default 300 s, as nfcapd), named after the interval's
 * start (UTC). A file is a header followed by self-describing blocks; each
 * block carries its row count, min/max first/last time, an address Bloom
 * filter over src and dst, one compressed section per column (zstd, or lz4 on
 * request) and a checksum. Everything on disk is little-endian. A torn or
 * corrupt block is reported and skipped; blocks after it stay readable.
 * See docs/store-format.md for the byte layout.
 */
#ifndef MAMORI_STORE_STORE_H
#define MAMORI_STORE_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "core/addr.h"
#include "core/err.h"
#include "core/mtime.h"
#include "store/block.h"

enum store_codec {
	STORE_ZSTD = 0,
	STORE_LZ4 = 1,
	STORE_NONE = 2
};

struct store_conf {
	enum store_codec codec;
	int		 level;		/* zstd level; 0 = default (3) */
	size_t		 block_rows;	/* rows per full block; 0 = 65536 */
	mtime_t		 rotate_ms;	/* 0 = 300000 */
	mtime_t		 flush_ms;	/* max age of an unflushed row; 0 = 1000 */
	int		 fsync;		/* fdatasync after each block */
	int		 sort_rows;	/* 1: stably sort each block by `first`
					 * (smaller on independent rows, slower
					 * to write); 0: keep arrival order */
};

/* ---- writing ---- */
struct store_writer;

/* Opens a writer under `datadir` (created if missing). Returns 0 or an error
 * with `diag` naming the path. */
int	store_writer_open(const char *datadir, const struct store_conf *conf,
	    struct store_writer **w, struct mm_diag *diag);
/* Adds one flow received at `now`; writes a block when full and rotates to a
 * new file when `now` enters a new interval. */
int	store_writer_add(struct store_writer *w, const struct flow *f,
	    mtime_t now, struct mm_diag *diag);
/* Called at least once a second: flushes a partial block older than
 * flush_ms and rotates on interval change. */
int	store_writer_tick(struct store_writer *w, mtime_t now,
	    struct mm_diag *diag);
/* Flushes everything now (partial block included). */
int	store_writer_flush(struct store_writer *w, struct mm_diag *diag);
/* Flushes, closes and frees; NULL-safe. Returns the flush result. */
int	store_writer_close(struct store_writer *w, struct mm_diag *diag);
/* Rows and blocks written so far. */
void	store_writer_counts(const struct store_writer *w, uint64_t *rows,
	    uint64_t *blocks, uint64_t *bytes);

/* ---- reading ---- */
struct store_reader;

struct store_block_info {
	uint32_t	rows;
	mtime_t		tmin;		/* min(first) */
	mtime_t		tmax;		/* max(last) */
	uint64_t	offset;		/* byte offset in file */
	uint32_t	stored_bytes;	/* compressed size of the block */
};

/* Opens a store file. Returns 0, or an error naming the file. */
int	store_reader_open(const char *path, struct store_reader **r,
	    struct mm_diag *diag);
/* Opens a store file image held in memory (`len` bytes at `buf`, which the
 * caller keeps alive and unchanged until store_reader_close()); `name` is
 * used in diagnostics (may be NULL). Returns 0 or an error. */
int	store_reader_open_mem(const void *buf, size_t len, const char *name,
	    struct store_reader **r, struct mm_diag *diag);
/* Closes and frees; NULL-safe. */
void	store_reader_close(struct store_reader *r);
/* Interval start and rotation length recorded in the file header. */
void	store_reader_interval(const struct store_reader *r, mtime_t *start,
	    mtime_t *rotate_ms);
/*
 * Moves to the next block and fills `info`. Returns 1 when a block is
 * available, 0 at end of file, or a negative error for a block that is torn
 * or corrupt (already skipped: call again to go on; `diag` names the file,
 * the offset and what was wrong).
 */
int	store_reader_next(struct store_reader *r, struct store_block_info *info,
	    struct mm_diag *diag);
/* 0 if the current block certainly holds no flow with `a` as src or dst
 * (Bloom filter / min-max says so), else 1. */
int	store_reader_may_contain(const struct store_reader *r,
	    const struct mm_addr *a);
/* Verifies the checksum over the whole current block (store_reader_load
 * does this itself). Returns 0, or MM_ECORRUPT with `diag` naming the file
 * and offset. */
int	store_reader_check(struct store_reader *r, struct mm_diag *diag);
/* Decompresses the columns in `colmask` (FCOL_BIT()s) of the current block
 * into `b` (which is cleared first). Returns 0 or MM_ECORRUPT etc. */
int	store_reader_load(struct store_reader *r, uint32_t colmask,
	    struct flow_block *b, struct mm_diag *diag);
/*
 * Evaluates "address column `c` (FCOL_SRC, FCOL_DST, FCOL_NEXTHOP or
 * FCOL_EXPORTER) lies in any of the prefixes set[0..nset)" for every row of
 * the current block, straight from the encoded column (no 16-byte addresses
 * are built; IPv4 rows compare 4-byte values). Writes sel[i] = 0/1 for rows
 * [0, rows) (`sel` has room for the block's row count) with the same result
 * as prefix_contains() on the decoded column (an absent column reads as
 * all-zero addresses); exact hosts are prefixes of length 128. Returns the
 * number of matching rows (>= 0), or a negative error (MM_EINVAL for a bad
 * column or no current block, MM_ECORRUPT, MM_ENOMEM) with `diag` set.
 */
long	store_reader_match_addr(struct store_reader *r, enum flow_col c,
	    const struct mm_prefix *set, size_t nset, uint8_t *sel,
	    struct mm_diag *diag);
/*
 * Like store_reader_load(), but only rows idx[0..m) of the current block
 * (ascending, each below its row count) are decoded, into rows [0, m) of
 * `b` (b->n = m): after a selective pre-test (store_reader_match_addr())
 * the other columns cost their decompression but no full decode. Returns 0,
 * MM_EINVAL (bad idx, no current block), MM_ECORRUPT or MM_ENOMEM.
 */
int	store_reader_load_rows(struct store_reader *r, uint32_t colmask,
	    const uint32_t *idx, size_t m, struct flow_block *b,
	    struct mm_diag *diag);

/* ---- files and retention ---- */

/* Lists store files under `datadir` (or under a directory, or a single
 * file) whose interval may overlap [w->start, w->end) (w may be NULL for all),
 * sorted by time. *paths is a malloc'd array of malloc'd strings; free with
 * store_paths_free(). */
int	store_list(const char *path, const struct mtime_window *w,
	    char ***paths, size_t *npaths, struct mm_diag *diag);
/* Frees what store_list() returned; NULL-safe. */
void	store_paths_free(char **paths, size_t npaths);

struct store_expire_result {
	size_t		files_removed;
	uint64_t	bytes_removed;
	size_t		files_kept;
	uint64_t	bytes_kept;
};
/* Removes files whose interval ended before `before` (0 = no age limit),
 * then oldest files until the total is at most `max_bytes` (0 = no limit).
 * With `dry_run`, only reports. */
int	store_expire(const char *datadir, mtime_t before, uint64_t max_bytes,
	    int dry_run, struct store_expire_result *res, struct mm_diag *diag);

#endif
