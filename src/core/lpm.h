/*
 * lpm.h - longest-prefix-match table over struct mm_prefix.
 *
 * A path-compressed binary trie (one node per distinct prefix plus at most one
 * branch node per prefix, so at most 2N nodes for N prefixes). Lookup walks at
 * most 128 levels: O(128) worst case, O(depth of the table) in practice; insert
 * the same. Values are opaque pointers the caller owns; the table never frees
 * them. Not thread-safe for writers; concurrent lookups on a table that is no
 * longer modified are safe.
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
/* Inserts or replaces `p` -> `val` (val must not be NULL). Returns 0 or
 * MM_ENOMEM / MM_EINVAL. */
int		 lpm_insert(struct lpm *t, const struct mm_prefix *p, void *val);
/* Longest match for `a`: returns its value and, when `matched` is not NULL,
 * the matching prefix; NULL when nothing covers `a`. */
void		*lpm_lookup(const struct lpm *t, const struct mm_addr *a,
		    struct mm_prefix *matched);
/* Exact-prefix lookup; NULL when absent. */
void		*lpm_get(const struct lpm *t, const struct mm_prefix *p);
/* Number of prefixes stored. */
size_t		 lpm_count(const struct lpm *t);

#endif
