/*
 * flow.h - the one normalised flow record every decoder produces, the store
 * keeps column by column, and queries read.
 *
 * Fields follow nfdump's model so its users find what they expect: ICMP type
 * and code are carried in dst_port as type*256+code (src_port 0); counters are
 * as exported (unscaled) unless the collector was run with --scale, in which
 * case they were multiplied by `sampling` at ingest and `sampling` is kept so
 * the reader knows. Addresses are family-blind (see core/addr.h); a zero
 * address means "not exported".
 */
#ifndef MAMORI_FLOW_FLOW_H
#define MAMORI_FLOW_FLOW_H

#include <stdint.h>

#include "core/addr.h"
#include "core/mtime.h"

enum flow_dir {
	FLOW_DIR_UNKNOWN = 0,
	FLOW_DIR_INGRESS = 1,
	FLOW_DIR_EGRESS = 2
};

struct flow {
	mtime_t		first;		/* ms since epoch, UTC */
	mtime_t		last;
	struct mm_addr	src;
	struct mm_addr	dst;
	struct mm_addr	nexthop;
	struct mm_addr	exporter;	/* address the datagram came from */
	uint64_t	packets;
	uint64_t	bytes;
	uint32_t	src_as;
	uint32_t	dst_as;
	uint32_t	in_if;
	uint32_t	out_if;
	uint32_t	sampling;	/* 1-in-N; 1 when unsampled or unknown */
	uint16_t	src_port;
	uint16_t	dst_port;	/* ICMP: type*256+code */
	uint16_t	vlan;
	uint8_t		proto;
	uint8_t		tcp_flags;
	uint8_t		tos;
	uint8_t		direction;	/* enum flow_dir */
	uint8_t		src_mask;	/* prefix lengths, native to family */
	uint8_t		dst_mask;
};

/* Receives one decoded flow. Returns 0 to continue, non-zero to stop the
 * producer (which then returns that value). The record is only valid during
 * the call; copy it to keep it. */
typedef int (*flow_emit_fn)(void *arg, const struct flow *f);

/* Duration in ms (0 when last < first). */
static inline mtime_t
flow_duration(const struct flow *f)
{
	return f->last > f->first ? f->last - f->first : 0;
}

#endif
