/*
 * stats.h - the collector's counters: one snapshot struct, per-exporter
 * merging, and rendering as JSON (the stats file) or as text (SIGUSR1).
 *
 * A snapshot is plain data owned by the caller: global counters plus an
 * array of struct exporter_stats (from decoder_stats() of every receive
 * thread, merged by exporter address and port). Rendering allocates one
 * string; the stats file is replaced atomically (write a temporary file in
 * the same directory, then rename(2)), so readers never see a partial file.
 */
#ifndef MAMORI_COLLECT_STATS_H
#define MAMORI_COLLECT_STATS_H

#include <stddef.h>
#include <stdint.h>

#include "core/err.h"
#include "core/mtime.h"
#include "flow/decode.h"

struct collect_stats {
	mtime_t		 started;
	mtime_t		 now;
	unsigned	 threads;	/* receive threads in total */
	unsigned	 sockets;
	uint64_t	 rcvbuf;	/* bytes granted by the kernel (min) */
	uint64_t	 datagrams;	/* received */
	uint64_t	 dgram_bytes;	/* payload bytes received */
	uint64_t	 truncated;	/* datagrams larger than the buffer */
	uint64_t	 kernel_drops;	/* SO_RXQ_OVFL, all sockets */
	uint64_t	 decode_errors;	/* datagrams with a decode problem */
	uint64_t	 flows;		/* decoded */
	uint64_t	 queue_drops;	/* flows dropped: queue full */
	uint64_t	 queue_depth;	/* flows waiting now */
	uint64_t	 queue_hiwat;	/* most flows ever waiting */
	uint64_t	 queue_cap;	/* flows the queue can hold */
	uint64_t	 flows_written;	/* rows added to the store */
	uint64_t	 write_errors;
	uint64_t	 blocks;	/* store blocks written */
	uint64_t	 bytes;		/* store bytes written */
	uint64_t	 anon_errors;	/* flows dropped: anonymisation failed */
	int		 sink;		/* ClickHouse sink configured */
	int		 sink_up;	/* its last attempt succeeded */
	uint64_t	 sink_sent;	/* rows acknowledged by ClickHouse */
	uint64_t	 sink_dropped;	/* rows lost (backlog full, rejected) */
	uint64_t	 sink_backlog;	/* rows waiting */
	uint64_t	 sink_errors;	/* hook refusals */
	struct exporter_stats *exp;	/* malloc'd; free with stats_clear() */
	size_t		 nexp;
};

/* Frees the exporter array and zeroes `s`. NULL-safe. */
void	stats_clear(struct collect_stats *s);

/*
 * Sorts `v` by (addr, port) and folds duplicates into one entry (counters
 * summed, last_seen and version taken from the most recent). Returns the
 * new count. O(n log n).
 */
size_t	stats_merge_exporters(struct exporter_stats *v, size_t n);

/* Name of a DECODE_* version ("netflow-v5", "ipfix", ...; "unknown"). */
const char *stats_version_name(uint16_t version);

/*
 * Renders `s` as one JSON object (RFC 8259) into a malloc'd NUL-terminated
 * string. Returns 0 or MM_ENOMEM. The caller frees *out.
 */
int	stats_to_json(const struct collect_stats *s, char **out, size_t *len);
/* Renders a human-readable multi-line report; same contract. */
int	stats_to_text(const struct collect_stats *s, char **out, size_t *len);
/* Writes stats_to_json() to `path` atomically (tmp + rename). Returns 0 or
 * MM_EIO / MM_ENOMEM with `diag` naming the path. */
int	stats_write_file(const struct collect_stats *s, const char *path,
	    struct mm_diag *diag);

#endif
