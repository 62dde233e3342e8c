/*
 * routeview.h - a routing view: address -> (prefix, origin AS, customer id)
 * by longest-prefix match over several sources.
 *
 * Sources, added in any order and any number:
 *  - an MRT RIB dump (RFC 6396 TABLE_DUMP and TABLE_DUMP_V2; the origin AS
 *    is the last AS of the AS_PATH, or of the AS4_PATH when present; an
 *    AS_SET at the end gives no single origin: the prefix is kept with
 *    origin 0, unless the set has one member); BGP4MP update records may
 *    also be read (announcements add, withdrawals remove);
 *  - a CAIDA-style prefix-to-AS file ("ADDR<TAB>LEN<TAB>ASN", MOAS "a_b",
 *    AS sets "a,b": the first AS is taken);
 *  - a MaxMind-format ASN database (libmaxminddb; autonomous_system_number,
 *    autonomous_system_organization), looked up at query time;
 *  - the operator's own customer-prefix file (prefix -> customer or ISP id,
 *    optional AS), see mamori-routes(5).
 * The most specific prefix over all sources wins; on a tie the customer file
 * wins over MRT/pfx2as, which win over the mmdb. When several MRT peers
 * announce one prefix with different origins, the origin seen most often
 * wins (ties: lowest AS), and the view records that the prefix is MOAS.
 *
 * The customer id of a match comes from the longest covering customer
 * prefix even when a more specific route wins; when the winner has no
 * origin AS (a customer line without AS), the origin is taken from the best
 * MRT/pfx2as route, then the mmdb. An mmdb answer (the leaf of its search
 * tree, often narrower than the announced prefix) that names the same AS
 * as the covering route does not displace the route. IPv6 prefixes shorter
 * than /96 (::/0) never answer for IPv4 addresses.
 *
 * Costs: two lpms (src/core/lpm.h) per view (routes, customer prefixes);
 * memory O(prefixes + MRT paths); a lookup is two lpm walks plus one mmdb
 * lookup per MaxMind database added. A view is read-only after loading,
 * so concurrent lookups are safe.
 */
#ifndef MAMORI_ATTRIB_ROUTEVIEW_H
#define MAMORI_ATTRIB_ROUTEVIEW_H

#include <stddef.h>
#include <stdint.h>

#include "core/addr.h"
#include "core/err.h"

#define ROUTEVIEW_ID_MAX	64	/* customer id bytes, without NUL */
#define ROUTEVIEW_NAME_MAX	128	/* AS/organisation name bytes */

enum route_source {
	ROUTE_SRC_NONE = 0,
	ROUTE_SRC_MRT,
	ROUTE_SRC_PFX2AS,
	ROUTE_SRC_MMDB,
	ROUTE_SRC_CUSTOMER
};

/* One lookup's answer; plain value, owns nothing. */
struct route_match {
	struct mm_prefix	prefix;		/* the matching prefix */
	uint32_t		origin_as;	/* 0 = unknown */
	int			moas;		/* several origins were seen */
	enum route_source	source;
	char			customer[ROUTEVIEW_ID_MAX + 1];	/* "" = none */
	char			as_name[ROUTEVIEW_NAME_MAX + 1]; /* mmdb org, or "" */
};

/* Load counters, per view (summed over the files added). */
struct routeview_stats {
	uint64_t	records;	/* MRT records / file lines read */
	uint64_t	prefixes;	/* distinct prefixes in the view */
	uint64_t	bad;		/* records or lines skipped as malformed */
	uint64_t	no_origin;	/* RIB entries without a usable origin */
};

struct routeview;

/* Returns a new empty view or NULL (out of memory). */
struct routeview *routeview_new(void);
/* Frees the view; NULL-safe. */
void	routeview_free(struct routeview *rv);

/*
 * Each loader returns 0 (malformed records/lines skipped and counted in the
 * stats, the first one described in *diag when diag is not NULL and the
 * return is still 0 only if at least the file itself was readable), or
 * MM_EIO / MM_ENOMEM / MM_EFORMAT (nothing usable: not that kind of file)
 * with diag naming the file, the record offset or line, the RFC section
 * and field.
 */
int	routeview_add_mrt(struct routeview *rv, const char *path,
	    struct mm_diag *diag);
int	routeview_add_pfx2as(struct routeview *rv, const char *path,
	    struct mm_diag *diag);
int	routeview_add_mmdb(struct routeview *rv, const char *path,
	    struct mm_diag *diag);
int	routeview_add_customers(struct routeview *rv, const char *path,
	    struct mm_diag *diag);

/* Longest match for `a` over all sources. Returns 1 with *m filled, or 0
 * when no source covers `a` (*m zeroed). */
int	routeview_lookup(const struct routeview *rv, const struct mm_addr *a,
	    struct route_match *m);

/* Counters so far; never NULL. */
const struct routeview_stats *routeview_stats(const struct routeview *rv);

/* Short name of a source: "mrt", "pfx2as", "mmdb", "customer", "none". */
const char *route_source_name(enum route_source s);

#endif
