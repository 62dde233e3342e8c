/*
 * chsink.h - ClickHouse sink: flows into mamori.flows (docs/clickhouse.md).
 *
 * The collector's writer thread calls chsink_push() for each flow; it never
 * waits on the network. Rows are encoded at once as RowBinary (CHSINK_ROW_SIZE
 * bytes each) into an open batch; a full batch (or one older than flush_ms)
 * joins a bounded backlog of batches. A background thread owned by the sink
 * creates the database and table on first contact (CREATE ... IF NOT EXISTS,
 * again after any server error in case the table was dropped), then POSTs
 * the batches oldest first as `INSERT INTO mamori.flows FORMAT RowBinary`.
 * While ClickHouse is down or slow, the failed batch is kept and retried with
 * exponential backoff (backoff_min_ms doubling to backoff_max_ms), and the
 * backlog fills; when it is full the OLDEST queued batch is dropped and its
 * rows counted, so memory stays bounded and the newest data wins. A batch the
 * server answers with an error (HTTP status, not a transport failure) is
 * retried max_rejects times and then dropped and counted as rejected, so one
 * poisoned batch cannot wedge the pipeline.
 *
 * Memory bound: (backlog_batches + 2) * batch_rows * CHSINK_ROW_SIZE bytes
 * (queued batches, one in flight, one open); with the defaults 66 * 8192 *
 * 130 B = 70 MB. Cost per push: one mutex acquire (never held across I/O)
 * and a 130-byte encode. Delivery is at-least-once only in the sense that
 * a batch whose reply was lost may be inserted twice; it is never split.
 */
#ifndef MAMORI_COLLECT_CHSINK_H
#define MAMORI_COLLECT_CHSINK_H

#include <stddef.h>
#include <stdint.h>

#include "core/err.h"
#include "flow/flow.h"

#define CHSINK_DATABASE	"mamori"
#define CHSINK_TABLE	"mamori.flows"
#define CHSINK_ROW_SIZE	130	/* RowBinary bytes per flow */

struct chsink_conf {
	size_t		batch_rows;	/* rows per INSERT; 0: 8192 */
	size_t		backlog_batches; /* queued batches kept; 0: 64 */
	unsigned	flush_ms;	/* max age of a partial batch; 0: 1000 */
	long		connect_timeout_ms; /* 0: 3000 */
	long		timeout_ms;	/* per HTTP request; 0: 30000 */
	unsigned	backoff_min_ms;	/* first retry delay; 0: 250 */
	unsigned	backoff_max_ms;	/* retry delay cap; 0: 30000 */
	unsigned	drain_ms;	/* chsink_free() delivery budget; 0: 5000 */
	unsigned	max_rejects;	/* server errors before a batch is
					 * dropped; 0: 10 */
};

struct chsink_stats {
	uint64_t	rows_pushed;	/* accepted by chsink_push() */
	uint64_t	rows_sent;	/* acknowledged by ClickHouse */
	uint64_t	batches_sent;
	uint64_t	retries;	/* failed attempts (each is retried) */
	uint64_t	rows_dropped;	/* lost: backlog full, rejected, ENOMEM */
	uint64_t	batches_dropped; /* batches lost, any reason */
	uint64_t	batches_rejected; /* of which: server refused them */
	size_t		backlog_batches; /* queued + in flight */
	size_t		backlog_rows;	/* rows pushed, not yet sent or lost */
	int		up;		/* 1 if the last attempt succeeded */
	char		last_error[MM_DIAG_LEN]; /* "" if none yet */
};

struct chsink;

/* Fills `c` with the defaults above. */
void	chsink_conf_default(struct chsink_conf *c);

/* Starts a sink sending to the ClickHouse HTTP base URL `url` (e.g.
 * "http://127.0.0.1:8123/", user/password as URL parameters). `conf` may be
 * NULL for the defaults; zero fields take their default. Does not contact
 * the server (the background thread does, so a down ClickHouse never delays
 * the collector's start). Stores the sink in *s and returns 0, or returns
 * MM_EINVAL (bad URL or conf), MM_ENOMEM, MM_EIO (thread start) with `diag`
 * (may be NULL). */
int	chsink_new(const char *url, const struct chsink_conf *conf,
	    struct chsink **s, struct mm_diag *diag);

/* Queues one flow (copied). Never blocks on I/O (takes a mutex that no
 * one holds across I/O); safe from any thread, concurrently with the sink's
 * thread and chsink_stats(). Returns 0, or MM_ENOMEM when no batch buffer
 * could be allocated (the row is counted as dropped). */
int	chsink_push(struct chsink *s, const struct flow *f);

/* Hands the open partial batch to the sender now (non-blocking). */
void	chsink_flush(struct chsink *s);

/* Flushes and waits up to `timeout_ms` for every pushed row to be sent or
 * dropped. Returns 0 when the backlog is empty, MM_EAGAIN on timeout. For
 * tests and orderly shutdown; never call it from the collector's hot path. */
int	chsink_wait(struct chsink *s, unsigned timeout_ms);

/* Copies a consistent snapshot of the counters into *st. */
void	chsink_stats(struct chsink *s, struct chsink_stats *st);

/* Flushes, lets the sender deliver for up to conf.drain_ms, stops and
 * joins it, and frees everything. Worst case it returns after drain_ms plus
 * one request's timeout_ms (a POST already in flight is not cut short). Rows still undelivered are lost (the
 * caller may read chsink_stats() first). NULL-safe. */
void	chsink_free(struct chsink *s);

/* Encodes `f` as one RowBinary row of mamori.flows (columns in schema
 * order, little-endian, Date as UInt16 days since 1970-01-01 clamped to
 * 0..65535, addresses as FixedString(16)). Exposed for tests. */
void	chsink_encode_row(const struct flow *f, uint8_t out[CHSINK_ROW_SIZE]);

/* The schema statements run on first contact, in order; `i` from 0 until
 * NULL is returned. */
const char *chsink_schema_sql(size_t i);

#endif
