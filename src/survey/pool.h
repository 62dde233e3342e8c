/*
 * pool.h - one survey split over worker processes.
 *
 * Why: a connection in flight is a socket, and a process may hold at most
 * RLIMIT_NOFILE descriptors; where the hard limit cannot be raised (no
 * CAP_SYS_RESOURCE, a container's limit) one engine holds at most that
 * many targets in flight. Worker processes each own a descriptor table,
 * an epoll loop, a slot table and an OpenSSL context, so W workers hold up
 * to W times the limit in flight and spread TLS handshakes over the cores.
 *
 * Split: for the survey's shard I of N, worker w of W runs sub-shard
 * I + N*w of N*W of the same permutation (perm.h): its cycle positions are
 * those = I (mod N), so the W workers together visit exactly shard I/N,
 * each target once, and surveys split with --shard stay disjoint. The rate
 * and max_concurrent are divided evenly (the remainder to the first
 * workers); each worker keeps its own token bucket.
 *
 * Relay: a worker sends frames over a socketpair to the parent; the parent
 * decodes them with a bounds-checked cursor and calls the caller's result
 * and progress callbacks, so rows and findings are still written by one
 * process (one findings transaction). Frame: u32 length of what follows
 * (big-endian, at most POOL_FRAME_MAX), u8 type, payload:
 *   POOL_F_RESULT  one struct scan_result (strings u16 length + bytes + NUL,
 *                  the observed fields as name/value pairs)
 *   POOL_F_STATS   the worker's counters (every cfg->progress_ms)
 *   POOL_F_END     rc, diag text, final counters, permutation position and
 *                  count (for --resume); the last frame of a worker
 * A worker blocks on a full socket (back-pressure; the parent only decodes
 * and calls back).
 *
 * Counters: the parent sums the workers' counters; inflight_max is the
 * largest sum of the workers' in-flight counts sampled together (every
 * POOL_SAMPLE_MS), at least the largest single worker's peak: a lower
 * bound of the true simultaneous peak.
 *
 * Stop: when *stop becomes non-zero the parent sends SIGTERM to the
 * workers (they inherit the caller's handler and stop feeding new targets,
 * as one engine does); a worker also stops when the parent goes away
 * (PR_SET_PDEATHSIG, EPIPE). Nothing here prints or exits, except that a
 * worker ends with _exit() after its END frame.
 */
#ifndef MAMORI_SURVEY_POOL_H
#define MAMORI_SURVEY_POOL_H

#include <stddef.h>
#include <stdint.h>

#include "core/err.h"
#include "survey/perm.h"
#include "survey/rules.h"
#include "survey/scan.h"
#include "survey/scope.h"

#define POOL_MAX_WORKERS	64
#define POOL_FRAME_MAX		(1024 * 1024)	/* bytes after the length */
#define POOL_SAMPLE_MS		100		/* workers' counter period */

enum pool_frame {
	POOL_F_RESULT = 1,
	POOL_F_STATS = 2,
	POOL_F_END = 3
};

/* Inits perms[0..nworkers-1] for worker w as sub-shard shard_i +
 * shard_n*w of shard_n*nworkers (see above). Returns 0, or MM_EINVAL /
 * MM_ELIMIT (too many shards) as perm_init(). */
int	pool_perms_init(struct perm *perms, unsigned nworkers,
	    uint64_t n_targets, uint64_t seed, uint32_t shard_i,
	    uint32_t shard_n);

/* Runs the survey over nworkers (1..POOL_MAX_WORKERS) processes, worker w
 * taking perms[w] (see pool_perms_init); same contract as scan_run()
 * otherwise. The callbacks run in the calling process only. perms[w] is
 * moved to where worker w stopped (for --resume). Returns 0, MM_ENOMEM,
 * MM_EIO (fork, socketpair, a worker's own error, a worker that ended
 * without its END frame or sent a bad frame) with `d` set; results of the
 * other workers are still delivered. nworkers == 1 runs scan_run() in this
 * process. The caller must have no other threads (fork). */
int	pool_run(const struct scan_cfg *cfg, const struct scope *scope,
	    struct perm *perms, unsigned nworkers, const struct rules *rules,
	    scan_result_cb cb, scan_progress_cb progress, void *arg,
	    volatile int *stop, struct scan_stats *st, struct mm_diag *d);

/* The frame codec, public for tests and the fuzz target. */

/* Appends one complete frame (length, type POOL_F_RESULT, payload) for
 * `r` to *buf (a malloc'd buffer of *len bytes, capacity *cap; grown).
 * Returns 0, MM_ENOMEM or MM_ELIMIT (over POOL_FRAME_MAX). */
int	pool_result_encode(const struct scan_result *r, uint8_t **buf,
	    size_t *len, size_t *cap);

/* Decoded result: res points into the payload given to
 * pool_result_decode() and into this struct; valid while both live. */
struct pool_result {
	struct scan_result	res;
	struct rules_field	fields[SCAN_MAX_FIELDS];
};

/* Decodes a POOL_F_RESULT payload (after the type byte) of n bytes.
 * Returns 0 or MM_ESYNTAX / MM_ELIMIT with `d` naming the field. */
int	pool_result_decode(const uint8_t *p, size_t n, struct pool_result *out,
	    struct mm_diag *d);

/* Encodes/decodes the counters of a POOL_F_STATS payload (fixed size). */
#define POOL_STATS_LEN	(17 * 8)
void	pool_stats_encode(const struct scan_stats *st,
	    uint8_t out[POOL_STATS_LEN]);
int	pool_stats_decode(const uint8_t *p, size_t n, struct scan_stats *st,
	    struct mm_diag *d);

#endif
