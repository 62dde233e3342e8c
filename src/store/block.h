/*
 * block.h - an in-memory columnar block of flows: one array per field of
 * struct flow, all of length `n`. This is what the store reads and writes and
 * what queries scan. Loading only some columns (see enum flow_col) leaves the
 * other arrays untouched, so a scan pays only for the fields it uses.
 * Appending is amortised O(1); a block owns its arrays.
 */
#ifndef MAMORI_STORE_BLOCK_H
#define MAMORI_STORE_BLOCK_H

#include <stddef.h>
#include <stdint.h>

#include "flow/flow.h"

enum flow_col {
	FCOL_FIRST, FCOL_LAST, FCOL_SRC, FCOL_DST, FCOL_NEXTHOP, FCOL_EXPORTER,
	FCOL_PACKETS, FCOL_BYTES, FCOL_SRC_AS, FCOL_DST_AS, FCOL_IN_IF,
	FCOL_OUT_IF, FCOL_SAMPLING, FCOL_SRC_PORT, FCOL_DST_PORT, FCOL_VLAN,
	FCOL_PROTO, FCOL_TCP_FLAGS, FCOL_TOS, FCOL_DIRECTION, FCOL_SRC_MASK,
	FCOL_DST_MASK,
	FCOL_COUNT
};
#define FCOL_BIT(c)	(1u << (c))
#define FCOL_ALL	((1u << FCOL_COUNT) - 1)

struct flow_block {
	size_t		 n;
	size_t		 cap;
	mtime_t		*first, *last;
	struct mm_addr	*src, *dst, *nexthop, *exporter;
	uint64_t	*packets, *bytes;
	uint32_t	*src_as, *dst_as, *in_if, *out_if, *sampling;
	uint16_t	*src_port, *dst_port, *vlan;
	uint8_t		*proto, *tcp_flags, *tos, *direction, *src_mask, *dst_mask;
};

/* Zeroes `b` (no allocation). */
void	flow_block_init(struct flow_block *b);
/* Frees every array; `b` may be reused after flow_block_init(). */
void	flow_block_free(struct flow_block *b);
/* Ensures room for `cap` rows in every column. Returns 0 or MM_ENOMEM. */
int	flow_block_reserve(struct flow_block *b, size_t cap);
/* Appends one flow (all columns). Returns 0 or MM_ENOMEM. */
int	flow_block_append(struct flow_block *b, const struct flow *f);
/* Copies row `i` into `f` (columns not loaded read as whatever they hold). */
void	flow_block_get(const struct flow_block *b, size_t i, struct flow *f);
/* Empties the block, keeping its memory. */
void	flow_block_clear(struct flow_block *b);
/* Name of a column ("first", "srcip", ...) for diagnostics. */
const char *flow_col_name(enum flow_col c);

#endif
