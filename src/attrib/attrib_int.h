/*
 * attrib_int.h - private helpers shared by the attribution loaders
 * (contacts.c, rdap.c); not part of the public attrib API.
 *
 * struct attrib_ashash maps a 32-bit AS number to an entry index: open
 * addressing with linear probing over a power-of-two table of 64-bit slots
 * ((entry + 1) << 32 | asn, 0 = empty), kept at most half full. AS 0 is
 * never found. Cost: O(1) expected per get/put; a put that grows the table
 * rehashes every slot once (amortised O(1)); memory 8 bytes x 2..4 per key.
 *
 * struct attrib_errs is a loader's list of error lines, allocated on the
 * first error and capped by the caller (at most max x MM_DIAG_LEN bytes);
 * later errors are still copied to the diag once but not listed.
 * attrib_lpm_find is the prefix lookup with the rule both loaders share.
 */
#ifndef MAMORI_ATTRIB_INT_H
#define MAMORI_ATTRIB_INT_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include "core/addr.h"
#include "core/err.h"
#include "core/lpm.h"

struct attrib_ashash {
	uint64_t	*slot;	/* (entry + 1) << 32 | asn, 0 = empty */
	size_t		 mask;	/* size - 1 (power of two), 0 = no table */
	size_t		 used;
};

/* Entry index + 1 stored for `asn`, or 0 if none (or asn is 0). NULL-safe
 * for an all-zero (never filled) table; `h` may not be NULL. */
size_t	attrib_ashash_get(const struct attrib_ashash *h, uint32_t asn);

/*
 * Stores `entry` for `asn` without looking for an earlier one (callers
 * check attrib_ashash_get() first). Returns 0 or MM_ENOMEM (table kept as
 * it was). `entry` must be below UINT32_MAX.
 */
int	attrib_ashash_put(struct attrib_ashash *h, uint32_t asn, size_t entry);

/* Frees the table and zeroes `h`. NULL-safe. */
void	attrib_ashash_free(struct attrib_ashash *h);

/* Error lines of one loaded set; `v` is NULL until the first error. */
struct attrib_errs {
	char		(*v)[MM_DIAG_LEN];
	size_t		 n;
};

/*
 * Formats "file: " (or "file:line: " when `line` is not NULL) and then
 * fmt/ap into one line of at most MM_DIAG_LEN - 1 bytes (the prefix is
 * dropped if it alone does not fit). Copies the line to `d` if *noted is
 * 0 and sets *noted; appends it to `e` while e->n < max (allocating the
 * max slots on the first call; if that fails the line is not listed).
 * `d` may be NULL; `e`, `noted`, `file` and `fmt` may not.
 */
void	attrib_errs_vadd(struct attrib_errs *e, size_t max, struct mm_diag *d,
	    int *noted, const char *file, const unsigned long *line,
	    const char *fmt, va_list ap);

/* Frees the lines and zeroes `e`. NULL-safe. */
void	attrib_errs_free(struct attrib_errs *e);

/*
 * Longest-prefix match of `a` in `t` whose values are entry index + 1:
 * returns that value, or 0 if nothing covers `a` or the match is an IPv6
 * prefix shorter than /96 (e.g. ::/0) answering for an IPv4 address. Sets
 * *matched (when not NULL) only on a hit. `t` and `a` may not be NULL.
 */
size_t	attrib_lpm_find(const struct lpm *t, const struct mm_addr *a,
	    struct mm_prefix *matched);

/* The last component of `path` (after the last '/'); points into `path`. */
const char *attrib_base_name(const char *path);

#endif
