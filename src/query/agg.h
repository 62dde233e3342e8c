/*
 * agg.h - aggregation of flows by a key list (-A) and top-N statistics (-s).
 *
 * An aggregation groups selected rows of flow blocks by the values of up to
 * AGG_MAXKEYS fields and sums flows, packets and bytes, keeping the earliest
 * first and the latest last time per group. Groups live in open-addressing
 * hash tables (private aggregations) or packed partitions (shared ones,
 * below) with the key bytes inline in each entry. Keys are compact: a
 * flow whose address key fields are all IPv4 goes to a table with 4-byte
 * addresses, others to a table with 16-byte addresses, so "-s srcip" on IPv4
 * costs 48 bytes per slot (8 key+pad, 40 counters) and, in a private table
 * with the load kept between 3/8 and 3/4, 64 to 128 bytes per distinct key
 * including empty slots. Cost per flow: one hash of the key bytes and one
 * probe sequence (private) or one append (shared).
 *
 * Threads: the result is one shared aggregation (agg_new_shared()),
 * radix-partitioned into AGG_SHARDS (256) partitions by the top hash bits,
 * each with its own lock. A worker first aggregates into a private table
 * (cheap for few groups, e.g. -s proto) and merges it into the shared one
 * at the end; once its private table passes AGG_SPILL groups (high
 * cardinality: pre-aggregation would not pay), it merges and from then on
 * adds its blocks straight to the shared one: a block's rows are hashed
 * once, counting-sorted by partition, and each partition's run is appended
 * (one lock per partition per block) as packed tuples in slot format.
 *
 * A partition is a packed array: distinct groups, then tuples appended
 * since. When it reaches 1.5 times the groups of its last compaction it is
 * compacted in place through a per-thread index of 32-bit positions sized
 * to the partition (~40 K groups at 10 M groups: under 1 MiB, in cache).
 * Memory traffic is therefore sequential (append, compaction passes)
 * instead of one random DRAM access per row into a table of hundreds of
 * MiB; the work per tuple is amortised O(1) (a compaction reads at most 3
 * entries per new tuple). agg_finish() (or lazily agg_groups()/agg_top())
 * compacts what is pending.
 *
 * Memory: a tuple and a group both take the slot size: 48 bytes for an
 * IPv4 single-address key (key 4 + pad 4 + counters 40), 56 for IPv6; a
 * partition holds at most 1.5 times its groups (at least PART_MIN = 256
 * entries once used), so the shared aggregation takes 48..72 bytes per
 * distinct IPv4 key (10 M sources: 480..720 MiB; measured peak anonymous
 * memory of a 50 M-flow top-N with 10 M distinct sources: ~700 MiB, was
 * ~910 MiB with one big hash table), plus at most 256 * 2 * 256 * 56 =
 * 7 MiB of minimum partitions; the compaction index is 8..16 bytes per
 * entry of the partition being compacted, per thread. Private tables: at
 * most AGG_SPILL groups per thread, 64..128 bytes per group.
 */
#ifndef MAMORI_QUERY_AGG_H
#define MAMORI_QUERY_AGG_H

#include <stddef.h>
#include <stdint.h>

#include "core/addr.h"
#include "core/err.h"
#include "store/block.h"

#define AGG_MAXKEYS	16
#define AGG_SPILL	(1u << 16)	/* partial groups before going direct */
#define AGG_SHARD_BITS	8
#define AGG_SHARDS	(1u << AGG_SHARD_BITS)	/* partitions of a shared agg */

enum agg_key {
	AK_SRCIP, AK_DSTIP, AK_SRCPORT, AK_DSTPORT, AK_PROTO, AK_SRCAS,
	AK_DSTAS, AK_INIF, AK_OUTIF, AK_EXPORTER, AK_NEXTHOP, AK_TOS, AK_VLAN,
	AK_COUNT
};

enum agg_order {
	AO_FLOWS, AO_PACKETS, AO_BYTES, AO_BPS, AO_PPS, AO_BPP,
	AO_COUNT
};

struct agg_spec {
	size_t		nkeys;
	uint8_t		keys[AGG_MAXKEYS];	/* enum agg_key */
	uint8_t		mask4[AGG_MAXKEYS];	/* address keys: v4 prefix */
	uint8_t		mask6[AGG_MAXKEYS];	/* and v6 prefix length */
	int		either;		/* -s ip/port/as/if: count each flow
					 * for its src and its dst value */
	int		order;		/* enum agg_order */
	char		name[32];	/* "srcip", "ip", "srcip,dstport" */
};

/*
 * Parses a -s argument "KEY[/ORDER]" (KEY: srcip dstip ip srcport dstport
 * port proto srcas dstas as inif outif if exporter nexthop tos vlan;
 * ORDER: flows packets bytes bps pps bpp, default flows). Returns 0 or
 * MM_ESYNTAX with diag.
 */
int	agg_spec_stat(const char *s, struct agg_spec *sp, struct mm_diag *diag);
/*
 * Parses a -A argument "KEY,KEY,..." (the directional keys above, plus
 * srcip4/N, dstip4/N, srcip6/N, dstip6/N for prefix aggregation).
 * Order is set to bytes. Returns 0 or MM_ESYNTAX.
 */
int	agg_spec_keys(const char *s, struct agg_spec *sp, struct mm_diag *diag);
/* Parses an ORDER word; returns the enum agg_order or -1. */
int	agg_order_parse(const char *s);
const char *agg_order_name(int order);
/* Column titles ("Src IP Addr", ...) and machine names ("srcip"). */
const char *agg_key_title(int key, int either);
const char *agg_key_name(int key, int either);
/* 1 if the key is an address. */
int	agg_key_is_addr(int key);
/* FCOL_BIT()s needed to aggregate with `sp`. */
uint32_t agg_colmask(const struct agg_spec *sp);

struct agg;

/* Creates an empty aggregation for `sp` (copied). Returns 0 or MM_ENOMEM.
 * agg_new() is for one thread; agg_new_shared() may be given to agg_add()
 * and agg_merge() (as dst) from several threads at once. */
int	agg_new(const struct agg_spec *sp, struct agg **out);
int	agg_new_shared(const struct agg_spec *sp, struct agg **out);
void	agg_free(struct agg *a);
/* Adds the rows idx[0..n) of `b`. Returns 0 or MM_ENOMEM. */
int	agg_add(struct agg *a, const struct flow_block *b, const uint32_t *idx,
	    size_t n);

/* Per-thread buffers that agg_add_with() reuses from call to call (saves
 * allocating and faulting in a few MiB per block). One per thread. */
struct agg_scratch;
struct agg_scratch *agg_scratch_new(void);	/* NULL on ENOMEM */
void	agg_scratch_free(struct agg_scratch *s);	/* NULL-safe */
/* agg_add() with the buffers of `s` (NULL: allocate per call). */
int	agg_add_with(struct agg *a, struct agg_scratch *s,
	    const struct flow_block *b, const uint32_t *idx, size_t n);
/* Adds every group of `src` (private) into `dst` (same spec) and empties
 * `src`, freeing its tables. Returns 0 or MM_ENOMEM. */
int	agg_merge(struct agg *dst, struct agg *src);
/* 1 when the private `a` has AGG_SPILL groups or more (0 for shared). */
int	agg_spill_due(const struct agg *a);
/*
 * Compacts the pending tuples of a shared aggregation with up to
 * `nthreads` threads (a no-op for private ones). Call it once no thread
 * adds any more; agg_groups() and agg_top() otherwise do it on one thread.
 * Returns 0 or MM_ENOMEM (the aggregation stays valid, just not compacted).
 */
int	agg_finish(struct agg *a, int nthreads);
/* Number of groups. A shared aggregation is compacted first (see
 * agg_finish(); not concurrently with adds). */
size_t	agg_groups(const struct agg *a);
/* Bytes of table and partition memory held (mapped partitions: the
 * bytes written, not the address space reserved). */
size_t	agg_memory(const struct agg *a);
const struct agg_spec *agg_get_spec(const struct agg *a);

/* One group as returned by agg_top(); `ent` points into the table, so rows
 * are valid until the aggregation changes or is freed. */
struct agg_row {
	const uint8_t	*ent;
	int		 v6;
	uint64_t	 flows, packets, bytes;
	mtime_t		 first, last;
};

/*
 * The `n` groups with the highest `order` value (all groups when n is 0),
 * sorted descending (ties by key). Uses a bounded heap: O(groups log n).
 * *rows is malloc'd (caller frees). Returns 0 or MM_ENOMEM.
 */
int	agg_top(const struct agg *a, int order, size_t n,
	    struct agg_row **rows, size_t *nrows);
/* The order value of a row (bps etc. computed from first/last). */
uint64_t agg_row_value(const struct agg_row *r, int order);
/* Key field j of a row: address into *addr (returns 1) or number into *v
 * (returns 0). */
int	agg_row_key(const struct agg *a, const struct agg_row *r, size_t j,
	    struct mm_addr *addr, uint64_t *v);

#endif
