/*
 * export.h - flow-export ENCODING: struct flow records into NetFlow v5,
 * NetFlow v9 (RFC 3954) and IPFIX (RFC 7011) datagrams, the inverse of
 * decode.h. Used by the lab generators and by anything that re-exports flows.
 *
 * An exporter packs records into one datagram of at most `mtu` bytes and
 * hands every finished datagram to an emit callback; nothing is sent or
 * printed here. v5 carries IPv4 only (at most 30 records, 32-bit counters,
 * 16-bit AS numbers and interfaces, times relative to sysUptime). v9 and
 * IPFIX use two fixed templates, one for IPv4 and one for IPv6 flows, sent
 * in the first datagram and again every `tmpl_every_pkts` datagrams and
 * every `tmpl_every_ms` of export time. Sequence numbers follow each RFC:
 * v5 counts flows, v9 counts datagrams, IPFIX counts data records.
 */
#ifndef MAMORI_FLOW_EXPORT_H
#define MAMORI_FLOW_EXPORT_H

#include <stddef.h>
#include <stdint.h>

#include "core/err.h"
#include "flow/flow.h"

enum export_format {
	EXPORT_NFV5 = 5,
	EXPORT_NFV9 = 9,
	EXPORT_IPFIX = 10
};

#define EXPORT_DEF_MTU		1400
#define EXPORT_MAX_MTU		65507	/* largest UDP payload over IPv4 */
#define EXPORT_MIN_MTU		512
#define EXPORT_DEF_TMPL_PKTS	20
#define EXPORT_DEF_TMPL_MS	(30 * 1000)
#define EXPORT_TMPL_V4		256	/* template ids (v9 and IPFIX) */
#define EXPORT_TMPL_V6		257
#define EXPORT_V5_MAXREC	30

struct export_conf {
	size_t		mtu;		/* datagram bytes; 0 = 1400 */
	uint32_t	domain;		/* v9 source id / IPFIX obs. domain */
	unsigned	tmpl_every_pkts; /* 0 = 20 */
	mtime_t		tmpl_every_ms;	/* 0 = 30 s; < 0 = never by time */
	mtime_t		boot;		/* v5/v9 sysUptime 0, ms since epoch;
					   0 = one day before the first `now` */
	uint8_t		engine_type;	/* v5 header */
	uint8_t		engine_id;
	uint16_t	sampling;	/* v5 header sampling interval field */
	int		sampling_fields; /* v9/IPFIX: every data record carries
					   its flow's 1-in-N rate (f->sampling,
					   0 read as 1): v9 SAMPLING_INTERVAL
					   (34); IPFIX samplingPacketInterval
					   (305) = 1 and samplingPacketSpace
					   (306) = N - 1 (RFC 5477) */
};

/* Totals since exporter_new(). */
struct export_counters {
	uint64_t	flows;		/* records encoded */
	uint64_t	packets;	/* sum of their packet counters */
	uint64_t	bytes;		/* sum of their byte counters */
	uint64_t	datagrams;	/* datagrams emitted */
	uint64_t	octets;		/* sum of datagram lengths */
	uint64_t	templates;	/* template sets sent */
	uint64_t	skipped;	/* flows not encodable (v6 in v5) */
	uint64_t	clamped;	/* flows whose values did not fit v5 */
};

/* Receives one finished datagram (valid only during the call). Returns 0 to
 * continue; non-zero is handed back by the exporter call that emitted. */
typedef int (*export_emit_fn)(void *arg, const uint8_t *buf, size_t len,
    mtime_t now);

struct flow_exporter;

/* Returns a new exporter for `fmt` (conf may be NULL for defaults), or NULL
 * on a bad format/mtu or out of memory. The caller frees it. */
struct flow_exporter	*exporter_new(enum export_format fmt,
			    const struct export_conf *conf);

/*
 * Adds one flow at export time `now` (ms since epoch; never decreasing).
 * When the pending datagram is full it is finished and emit(arg, ...) is
 * called before `f` is placed in a new one (`f` is placed even when emit
 * fails). Returns 0, emit's non-zero value, or MM_EUNSUP (IPv6 flow in v5; counted in `skipped`, nothing
 * emitted). v5 values too large for their fields are saturated (AS numbers
 * become AS_TRANS 23456) and counted in `clamped`.
 */
int	exporter_add(struct flow_exporter *e, const struct flow *f, mtime_t now,
	    export_emit_fn emit, void *arg);

/* Finishes and emits the pending datagram, if any. Returns 0 or emit's
 * non-zero value. */
int	exporter_flush(struct flow_exporter *e, mtime_t now,
	    export_emit_fn emit, void *arg);

/* Copies the totals into `out`. */
void	exporter_counters(const struct flow_exporter *e,
	    struct export_counters *out);

/* Frees `e` (pending records are dropped: flush first); NULL-safe. */
void	exporter_free(struct flow_exporter *e);

/* Parses "v5", "v9", "ipfix" (also "5", "9", "10"). Returns 0 or -1. */
int	export_format_parse(const char *s, enum export_format *fmt);
/* Returns "v5", "v9" or "ipfix". */
const char *export_format_name(enum export_format fmt);

#endif
