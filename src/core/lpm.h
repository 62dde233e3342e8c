/*
 * lpm.h - longest-prefix-match table over struct mm_prefix.
 *
 * One table serves both families (IPv4 held v4-mapped, lengths in the v6
 * space). Inside: a multibit trie with a 16-bit direct-indexed root (two
 * 8-bit levels) and path-compressed 8-bit nodes, plus a separate trie for
 * the IPv4-mapped space (design and cost bounds in lpm.c). An IPv4 lookup
 * reads the root and at most 2 nodes; an IPv6 lookup the root and at most
 * 14 nodes. Insert is a walk plus at most two O(256) node rebuilds. Memory
 * is O(N): about 50 bytes per prefix for dense IPv4 tables, at most about
 * 400 per prefix for isolated ones, plus a root of 10 KB to 2.5 MB per
 * family in use. Values are opaque non-NULL pointers the caller owns; the
 * table never frees them. Not thread-safe for writers; lookups and gets
 * never write, so concurrent lookups on a table that is no longer modified
 * are safe, and lookups interleaved with inserts (one thread) always see
 * every prefix inserted so far.
 */
#ifndef MAMORI_CORE_LPM_H
#define MAMORI_CORE_LPM_H

#include <stddef.h>

#include "core/addr.h"

struct lpm;

/* Returns a new empty table, or NULL on allocation failure. */
struct lpm	*lpm_new(void);
/* Frees the table (not the values); NULL-safe. */
void		 lpm_free(struct lpm *t);
/* Inserts or replaces `p` -> `val` (val must not be NULL; host bits of
 * p->addr past p->len are cleared). Returns 0 or MM_ENOMEM / MM_EINVAL;
 * on MM_ENOMEM the table is unchanged as far as lookups, gets and the
 * count can tell. */
int		 lpm_insert(struct lpm *t, const struct mm_prefix *p, void *val);
/* Longest match for `a`: returns its value and, when `matched` is not NULL,
 * the matching prefix (host bits cleared); NULL when nothing covers `a`
 * (then `matched` is left alone). */
void		*lpm_lookup(const struct lpm *t, const struct mm_addr *a,
		    struct mm_prefix *matched);
/* Exact-prefix lookup (host bits of p->addr past p->len are ignored);
 * NULL when absent or when p->len > 128. */
void		*lpm_get(const struct lpm *t, const struct mm_prefix *p);
/* Number of prefixes stored. */
size_t		 lpm_count(const struct lpm *t);

#endif
