/*
 * decode.h - flow-export decoding: NetFlow v5, NetFlow v9 (RFC 3954),
 * IPFIX (RFC 7011) and sFlow v5, behind one entry point.
 *
 * A struct decoder holds everything that outlives a datagram: the template
 * cache (keyed by exporter address, port and source id / observation domain;
 * templates expire), sampling rates learned from options data, sequence
 * tracking and per-exporter counters. decoder_datagram() sniffs the version,
 * decodes every record it can and hands each flow to `emit`. A malformed set
 * or record is counted and skipped, the rest of the datagram is still used;
 * the return value then reports the first problem and `diag` names the
 * exporter, the RFC section and the field. Memory per exporter is capped
 * (templates per exporter, fields per template), as is the number of
 * exporters tracked. A decoder is not thread-safe: use one per thread, or one
 * per receive thread keyed by exporter.
 */
#ifndef MAMORI_FLOW_DECODE_H
#define MAMORI_FLOW_DECODE_H

#include <stddef.h>
#include <stdint.h>

#include "core/err.h"
#include "flow/flow.h"

struct decoder;

struct decoder_conf {
	mtime_t		template_ttl;		/* ms; 0 = default 1800 s */
	unsigned	max_exporters;		/* 0 = default 4096 */
	unsigned	max_templates;		/* per exporter; 0 = 1024 */
	int		scale;			/* multiply counters by sampling */
};

/* Per-exporter counters; one entry per (address, port). */
struct exporter_stats {
	struct mm_addr	addr;
	uint16_t	port;
	uint16_t	version;	/* last seen: DECODE_* */
	uint64_t	datagrams;
	uint64_t	flows;
	uint64_t	seq_gaps;	/* flows/datagrams lost upstream */
	uint64_t	malformed;	/* datagrams/sets/records rejected */
	uint64_t	missing_template;	/* data sets with no template */
	uint64_t	templates;	/* templates currently cached */
	uint64_t	ignored;	/* sFlow counter and unknown samples */
	mtime_t		last_seen;
};

/* Version codes reported in exporter_stats.version. */
#define DECODE_NFV5	5
#define DECODE_NFV9	9
#define DECODE_IPFIX	10
#define DECODE_SFLOW5	105

/* Returns a new decoder (conf may be NULL for defaults), or NULL. */
struct decoder	*decoder_new(const struct decoder_conf *conf);
/* Frees the decoder and all its state; NULL-safe. */
void		 decoder_free(struct decoder *dec);

/*
 * Decodes one UDP payload received from `from`:`port` at `now`.
 * Calls emit(arg, flow) for every flow record; stops early if emit returns
 * non-zero. Returns 0 when the whole datagram was understood, else the first
 * error (MM_ETRUNC, MM_EFORMAT, MM_EUNSUP, MM_ENOTMPL, MM_ELIMIT, ...) with a
 * message in `diag` (may be NULL); flows decoded before and after the problem
 * are still emitted.
 */
int		 decoder_datagram(struct decoder *dec, const struct mm_addr *from,
		    uint16_t port, mtime_t now, const uint8_t *buf, size_t len,
		    flow_emit_fn emit, void *arg, struct mm_diag *diag);

/* Copies up to `max` exporter counters into `out`; returns how many exist
 * (which may exceed `max`). */
size_t		 decoder_stats(const struct decoder *dec,
		    struct exporter_stats *out, size_t max);

#endif
