/*
 * scope.h - the survey's scope: what may be contacted, and nothing else.
 *
 * Deny by default. A target (address, port) is contacted only when its address
 * lies inside an entry of the scope file, outside every --exclude entry,
 * outside every opt-out entry and outside the built-in IANA special-purpose
 * ranges (RFC 6890 and its updates; table in scope.c and
 * docs/survey-scope.md), and when the port is in that entry's port list (or in
 * the default ports when the line names none).
 *
 * Loopback: 127.0.0.0/8 and ::1 are refused with an error when a scope entry
 * lies inside them, unless lab mode is on (a larger entry such as 0.0.0.0/0
 * simply has them subtracted as special ranges). In lab mode the rule flips:
 * ONLY 127.0.0.0/8 and ::1 may be contacted at all; a scope entry outside
 * them is an error and scope_allows() answers 0 for any other address.
 *
 * File format (scope, --exclude and opt-out files alike):
 *	# comment (also after an entry)
 *	198.51.100.7
 *	192.0.2.0/24 22,23,80
 *	2001:db8::/120 ports=22,80-81
 * Ports are allowed only in the scope file. IPv6 scope entries are capped to
 * at most SCOPE_V6_MAX_HOSTBITS host bits (/112, 65,536 addresses) so that the
 * target space stays enumerable; exclusions have no such cap. Two scope
 * entries that overlap must carry the same port list (else an error naming
 * both lines). Errors name file:line and the field.
 *
 * Enumeration: scope_finish() turns the entries into a sorted list of disjoint
 * address ranges with every exclusion subtracted, each with its port list and
 * its first target index. The target count is the sum over ranges of
 * addresses x ports; scope_target() maps an index to (address, port) by binary
 * search over the ranges: O(log ranges). scope_allows() is two LPM lookups:
 * O(prefix depth), at most 128 steps. Memory is O(entries + ports).
 */
#ifndef MAMORI_SURVEY_SCOPE_H
#define MAMORI_SURVEY_SCOPE_H

#include <stddef.h>
#include <stdint.h>

#include "core/addr.h"
#include "core/err.h"

#define SCOPE_MAX_FILE		(64u * 1024 * 1024)	/* bytes per file */
#define SCOPE_MAX_LINES		(4u * 1024 * 1024)	/* lines per file */
#define SCOPE_MAX_LINE		1024	/* bytes per line, without newline */
#define SCOPE_MAX_ENTRIES	(1u << 20)	/* all files together */
#define SCOPE_MAX_PORTS		(1u << 22)	/* port slots, all lines */
#define SCOPE_V6_MAX_HOSTBITS	16	/* IPv6 scope entries: /112 or longer */

enum scope_kind {
	SCOPE_INCLUDE = 0,	/* the scope file: addresses, prefixes, ports */
	SCOPE_EXCLUDE = 1,	/* --exclude: addresses and prefixes only */
	SCOPE_OPTOUT = 2	/* opt-out list: addresses and prefixes only */
};

/* One disjoint range of the enumerable scope. */
struct scope_range {
	struct mm_addr	 start;		/* first address */
	uint64_t	 naddr;		/* addresses in the range (>= 1) */
	const uint16_t	*ports;		/* sorted, unique; owned by the scope */
	size_t		 nports;	/* >= 1 */
	uint64_t	 base;		/* index of its first target */
};

struct scope;

/* Special-purpose table row (exposed for tests and docs). */
struct scope_special {
	const char	*prefix;	/* text, family-native length */
	const char	*rfc;		/* defining RFC(s) */
	const char	*name;
};

/* The built-in table; *n gets its length. Never NULL. */
const struct scope_special *scope_special_table(size_t *n);

/* Returns a new empty scope in *out (lab: 1 for lab mode), or MM_ENOMEM. */
int	scope_new(struct scope **out, int lab);
/* Frees the scope and everything it owns; NULL-safe. */
void	scope_free(struct scope *s);

/* Parses `len` bytes at `buf` (need not be NUL-terminated) as a file of kind
 * `kind`; `name` names it in errors. Entries are added to `s`. Returns 0, or
 * MM_ESYNTAX / MM_ERANGE / MM_ELIMIT / MM_EINVAL (d: "name:line: field: why")
 * and then `s` must not be finished (free it). Only before scope_finish(). */
int	scope_add_buf(struct scope *s, enum scope_kind kind, const char *name,
	    const char *buf, size_t len, struct mm_diag *d);
/* As scope_add_buf() on the contents of `path` (capped at SCOPE_MAX_FILE);
 * also MM_EIO. */
int	scope_add_file(struct scope *s, enum scope_kind kind, const char *path,
	    struct mm_diag *d);
/* Ends loading: checks the loopback rule and overlapping port lists, builds
 * the lookup tables and the disjoint ranges. `ports`/`nports` are the default
 * ports for lines without ports (may be NULL/0 if every line names ports;
 * port 0 is refused). Returns 0 or MM_EINVAL / MM_ERANGE / MM_ELIMIT /
 * MM_ENOMEM with `d` set. Call once. */
int	scope_finish(struct scope *s, const uint16_t *ports, size_t nports,
	    struct mm_diag *d);

/* Convenience: new + scope file + optional exclude file + optional opt-out
 * file (NULL to skip) + finish. On success *out owns a finished scope; on
 * failure *out is NULL. */
int	scope_load(struct scope **out, const char *scope_path,
	    const char *exclude_path, const char *optout_path,
	    const uint16_t *ports, size_t nports, int lab, struct mm_diag *d);

/* Final check before every connect: 1 if `a` may be contacted, else 0 (also
 * 0 for a NULL or unfinished scope). O(prefix depth). */
int	scope_allows(const struct scope *s, const struct mm_addr *a);
/* As scope_allows(), and `port` is in the port list of `a`'s entry. */
int	scope_allows_port(const struct scope *s, const struct mm_addr *a,
	    uint16_t port);

/* Number of targets (addresses x ports) of a finished scope; 0 otherwise. */
uint64_t scope_ntargets(const struct scope *s);
/* Number of disjoint ranges, and range i (NULL when out of bounds). */
size_t	scope_nranges(const struct scope *s);
const struct scope_range *scope_range_at(const struct scope *s, size_t i);
/* Maps target `index` (< scope_ntargets()) to its address and port:
 * O(log ranges). Returns 0 or MM_ERANGE. */
int	scope_target(const struct scope *s, uint64_t index, struct mm_addr *a,
	    uint16_t *port);
/* Number of scope entries (lines) loaded of `kind`. */
size_t	scope_nentries(const struct scope *s, enum scope_kind kind);

#endif
