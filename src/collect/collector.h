/*
 * collector.h - the flow collector engine behind `mamori collect`.
 *
 * Shape: for every listen address, `threads` receive threads, each with its
 * own UDP socket (SO_REUSEPORT when threads > 1: the kernel hashes each
 * exporter to one socket, so a decoder's template cache sees all of that
 * exporter's datagrams) and its own struct decoder. A receive thread pulls
 * datagrams with recvmmsg, decodes them and appends the flows to a batch;
 * full (or 20 ms old) batches go through a bounded queue (flowq.h) to the
 * single writer thread, which owns the store writer, runs the per-flow hook
 * (anonymisation, ClickHouse sink) and ticks the store at least every 100 ms
 * so that no row stays unflushed for much more than the store's flush_ms.
 * The writer runs at a lower priority (nice +10 on Linux, where nice is per
 * thread) so that in a burst the receivers win the CPU: datagrams leave the
 * kernel buffer, where they cost skb overhead and are lost once it fills,
 * for the compact queue, and the writer catches up afterwards.
 * When the queue is full the receive threads drop flows and count them; they
 * never block. Optional stages: Crypto-PAn anonymisation of src/dst inside
 * configured ranges (cryptopan.h, in the receive threads so its AES cost is
 * spread over them; a flow that fails to anonymise is dropped, never stored
 * in the clear) and a ClickHouse sink (chsink.h, non-blocking, bounded
 * backlog) fed by the writer thread after the store. Memory: threads * rx_batch * rx_bufsize for receive slots,
 * queue_flows * sizeof(struct flow) for the queue (a quarter of it
 * allocated and touched at start so a first burst does not page-fault in
 * the receive threads), plus the decoder and store caps.
 *
 * The library never prints: messages go to conf->log (called from any
 * thread; decoder diagnostics are rate-limited per exporter: the first 10,
 * then one per 10 s with a count of those suppressed). Signals are the
 * caller's business: collector threads block all signals.
 */
#ifndef MAMORI_COLLECT_COLLECTOR_H
#define MAMORI_COLLECT_COLLECTOR_H

#include <stddef.h>
#include <stdint.h>

#include "core/err.h"
#include "flow/decode.h"
#include "store/store.h"
#include "collect/stats.h"
#include "collect/udp.h"

enum collector_loglevel {
	COLLECT_LOG_ERR = 0,
	COLLECT_LOG_INFO = 1,
	COLLECT_LOG_DEBUG = 2
};

/* Called in the writer thread. */
struct collector_hooks {
	void	*arg;
	/* Per flow before it is stored; may rewrite it (anonymisation). */
	void	(*flow)(void *arg, struct flow *f);
	/* Per batch after it was stored (sinks); returns flows refused. */
	size_t	(*batch)(void *arg, const struct flow *f, size_t n,
		    mtime_t now);
	/* At least every 100 ms. */
	void	(*tick)(void *arg, mtime_t now);
};

struct collector_conf {
	const struct udp_listen	*listen;	/* nlisten addresses */
	size_t			 nlisten;
	unsigned		 threads;	/* per address; 0 = 1 */
	size_t			 rcvbuf;	/* 0 = 128 MiB */
	unsigned		 rx_batch;	/* recvmmsg vlen; 0 = 64 */
	size_t			 rx_bufsize;	/* 0 = 65535 */
	size_t			 queue_flows;	/* 0 = 4 Mi flows */
	size_t			 queue_warm;	/* flows preallocated at start;
						   0 = queue_flows / 4 */
	size_t			 batch_flows;	/* 0 = 4096 */
	const char		*datadir;
	struct store_conf	 store;
	struct decoder_conf	 dec;
	struct collector_hooks	 hooks;
	/* Crypto-PAn: key file (NULL = off) and the ranges to anonymise
	 * (none = every address); applied in the receive threads, one
	 * anonymiser per thread. */
	const char		*anon_key;
	const struct mm_prefix	*anon;
	size_t			 nanon;
	/* ClickHouse HTTP URL (NULL = off); fed from the writer thread. */
	const char		*clickhouse_url;
	void			(*log)(void *arg, int level, const char *msg);
	void			*log_arg;
	int			 verbose;
};

#define COLLECT_DEF_RCVBUF	((size_t)128 << 20)
#define COLLECT_DEF_QUEUE	((size_t)4 << 20)
#define COLLECT_DEF_BATCH	4096

struct collector;

/*
 * Opens and binds every socket and reads the anonymisation key (do this
 * before dropping privileges).
 * `conf` is copied (the listen array too; datadir must outlive the
 * collector). Returns 0 or an error with `diag` naming the address.
 */
int	collector_open(const struct collector_conf *conf, struct collector **c,
	    struct mm_diag *diag);
/* Kernel receive buffer granted (the smallest over all sockets). */
size_t	collector_rcvbuf(const struct collector *c);
/*
 * Opens the store writer and starts the threads. Returns 0 or an error
 * (store open, thread creation) with `diag`.
 */
int	collector_start(struct collector *c, struct mm_diag *diag);
/* Fills `s` (caller frees with stats_clear()). Thread-safe. Returns 0 or
 * MM_ENOMEM. */
int	collector_snapshot(struct collector *c, struct collect_stats *s);
/*
 * Stops the receive threads (each first reads what its socket already
 * holds, for at most 1 s), lets the writer drain the queue, flushes and
 * closes the store; with a ClickHouse sink, gives it up to ~3.5 s to take
 * the tail. Returns 0 or the store's close error with `diag`.
 * Safe to call once; collector_free() calls it if needed.
 */
int	collector_stop(struct collector *c, struct mm_diag *diag);
/* Stops if running, closes the sockets, frees; NULL-safe. */
void	collector_free(struct collector *c);

#endif
