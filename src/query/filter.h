/*
 * filter.h - nfdump-style flow filters: parse once, evaluate column-wise.
 *
 * An expression such as "src net 10.0.0.0/8 and (port 80 or port 443)" is
 * lexed with character positions, parsed by recursive descent into a small
 * AST held in one array, and evaluated over a struct flow_block chunk by
 * chunk: every node computes a 0/1 byte per row for up to FILTER_CHUNK rows
 * at once, so the per-row work is a tight loop over one column and the
 * node dispatch happens once per chunk, not once per row.
 *
 * The grammar, keywords case-insensitive:
 *   expr    := term { ("or" | "||") term }
 *   term    := factor { ("and" | "&&") factor }
 *   factor  := ("not" | "!") factor | "(" expr ")" | prim
 *   prim    := any | inet | ipv4 | inet6 | ipv6
 *            | [dir] (host | ip) ADDR | [dir] (host | ip) in "[" ADDR... "]"
 *            | [dir] net PREFIX | [dir] net ADDR MASK
 *            | [dir] port [cmp] N | [dir] port in "[" N... "]"
 *            | [dir] as [cmp] N | [dir] as in "[" N... "]"
 *            | [in | out] if N | (next | nexthop) [ip | hop] ADDR
 *            | router ip ADDR | exporter [ip] ADDR
 *            | proto (tcp|udp|icmp|icmp6|gre|esp|sctp|N) | tcp | udp | ...
 *            | flags LETTERS (nfdump letters UAPRSFEC, X = all)
 *            | (tos | vlan | packets | bytes | duration | bps | pps | bpp)
 *                [cmp] N[k|m|g]
 *   dir     := src | dst | src or dst | src and dst
 *   cmp     := = == != > < >= <= eq ne gt lt ge le
 * No direction means "either" (src or dst). Numbers take k/m/g suffixes
 * (x1000, as nfdump). Durations are in milliseconds.
 *
 * Cost: parsing is O(length); evaluation O(rows x nodes) with set lookups
 * (host in / port in) by binary search, O(log set) per row.
 */
#ifndef MAMORI_QUERY_FILTER_H
#define MAMORI_QUERY_FILTER_H

#include <stddef.h>
#include <stdint.h>

#include "core/addr.h"
#include "core/err.h"
#include "store/block.h"

#define FILTER_CHUNK	1024	/* rows evaluated per node visit */
#define FILTER_MAXLEN	65536	/* longest accepted expression */
#define FILTER_MAXDEPTH	64	/* nesting of parentheses / not */
#define FILTER_MAXHINTS	16	/* addresses returned by filter_hosts() */

/* AST node types; exposed so the ClickHouse translation can walk the tree. */
enum fnode_type {
	FN_ANY, FN_NONE, FN_AND, FN_OR, FN_NOT,
	FN_ADDR,	/* (addr & mask) == value on an address column */
	FN_ADDRSET,	/* address in a sorted set */
	FN_NUM,		/* numeric comparison */
	FN_NUMSET,	/* numeric value in a sorted set */
	FN_FAMILY,	/* val 4 or 6 */
	FN_FLAGS	/* (tcp_flags & val) == val */
};

/* Address columns. */
enum faddr_field { FA_SRC, FA_DST, FA_NEXTHOP, FA_EXPORTER };

/* Numeric fields; derived ones (duration, bps, pps, bpp) read two columns. */
enum fnum_field {
	FF_SRCPORT, FF_DSTPORT, FF_PROTO, FF_SRCAS, FF_DSTAS, FF_INIF,
	FF_OUTIF, FF_TOS, FF_VLAN, FF_PACKETS, FF_BYTES, FF_DURATION, FF_BPS,
	FF_PPS, FF_BPP, FF_FLAGS,
	FF_COUNT
};

enum fop { FOP_EQ, FOP_NE, FOP_LT, FOP_LE, FOP_GT, FOP_GE };

/* How a node with two fields (src and dst) combines them. */
enum fpair { FPAIR_ONE, FPAIR_ANY, FPAIR_ALL };

struct fnode {
	uint8_t		 type;		/* enum fnode_type */
	uint8_t		 op;		/* enum fop (FN_NUM) */
	uint8_t		 pair;		/* enum fpair */
	uint8_t		 field;		/* enum faddr_field / fnum_field */
	uint8_t		 field2;	/* second field when pair != ONE */
	uint8_t		 plen;		/* FN_ADDR prefix length, v6 space */
	int		 l, r;		/* FN_NOT child (l); -1 if none */
	uint64_t	 val;
	struct mm_addr	 addr;		/* FN_ADDR: masked address */
	uint64_t	 ahi, alo, mhi, mlo;	/* same, as two words + mask */
	size_t		 set_off, set_n;	/* into the filter's set arrays;
					 * AND/OR: children via filter_kids() */
	long		 pos;		/* character offset in the source */
};

struct filter;

/*
 * Parses `expr`. On success returns 0 and a new filter in *out (free with
 * filter_free()). On a syntax error returns MM_ESYNTAX with diag->msg set and
 * diag->pos the character offset of the offending token (the length of the
 * expression when it ended too early). An empty or all-blank expression is
 * "any". Other errors: MM_ENOMEM, MM_ELIMIT (too long / too deep).
 */
int	filter_parse(const char *expr, struct filter **out,
	    struct mm_diag *diag);
/* Frees; NULL-safe. */
void	filter_free(struct filter *f);

/* FCOL_BIT()s of the columns evaluation reads (0 for "any"). */
uint32_t filter_colmask(const struct filter *f);
/* 1 if the filter accepts every flow. */
int	filter_is_any(const struct filter *f);

/*
 * Addresses that a matching flow must have as src or dst: either one host
 * required through top-level ANDs, or a disjunction of hosts (host in [..],
 * host A or host B). Writes at most `max` into `a` and returns the count, or
 * 0 when no such set exists. A block for which store_reader_may_contain()
 * is 0 for every returned address cannot match and may be skipped.
 */
size_t	filter_hosts(const struct filter *f, struct mm_addr *a, size_t max);

/*
 * Evaluates rows [from, from + n) of `b` into sel[0..n): 1 = match. Only the
 * columns of filter_colmask() are read and must be loaded. Returns the number
 * of matches. Thread-safe for concurrent calls on the same filter.
 */
size_t	filter_eval(const struct filter *f, const struct flow_block *b,
	    size_t from, size_t n, uint8_t *sel);
/*
 * Same, producing the indices (absolute row numbers) of matching rows of the
 * whole block into idx (room for b->n). Returns the count.
 */
size_t	filter_select(const struct filter *f, const struct flow_block *b,
	    uint32_t *idx);

/* Canonical prefix form of the AST ("(and (port any = 80) (proto = 6))"),
 * for tests and debugging. Returns buf (truncated to len). */
char	*filter_fmt(const struct filter *f, char *buf, size_t len);

/* The AST for translators: the root index and node array; sets by offset.
 * Pointers are into `f` (owned by it, valid until filter_free());
 * filter_node() returns NULL for an index out of range, the set offsets
 * must come from the AST's own nodes (not checked). */
int	filter_root(const struct filter *f);
const struct fnode *filter_node(const struct filter *f, int i);
const struct mm_addr *filter_addrset(const struct filter *f, size_t off);
const uint64_t *filter_numset(const struct filter *f, size_t off);
const int *filter_kids(const struct filter *f, size_t off);

#endif
