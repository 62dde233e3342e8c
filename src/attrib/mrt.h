/*
 * mrt.h - a bounded reader of MRT routing dumps (RFC 6396) that hands each
 * RIB entry, announcement, withdrawal and state change to a callback.
 *
 * Understood records:
 *  - TABLE_DUMP (type 12, subtypes AFI_IPv4 = 1, AFI_IPv6 = 2; 2-byte ASes),
 *    RFC 6396 section 4.2;
 *  - TABLE_DUMP_V2 (type 13): PEER_INDEX_TABLE (1), RIB_IPV4_UNICAST (2),
 *    RIB_IPV6_UNICAST (4) and their RFC 8050 ADD-PATH forms (8, 10);
 *    RIB_GENERIC (6, 12) for AFI 1/2 SAFI 1; other subtypes (multicast,
 *    other SAFIs) are skipped and counted as unsupported;
 *  - BGP4MP / BGP4MP_ET (types 16 / 17, ET with the microsecond field of
 *    RFC 6396 section 3): STATE_CHANGE (0, 5), MESSAGE (1, 2-byte ASes),
 *    MESSAGE_AS4 (4), the _LOCAL forms (6, 7) and the RFC 8050 ADDPATH
 *    forms (8..11). UPDATE messages (RFC 4271 section 4.3) give withdrawals
 *    and announcements, including MP_REACH_NLRI / MP_UNREACH_NLRI (RFC 4760)
 *    for IPv4/IPv6 unicast; other BGP messages are skipped.
 * Attributes decoded: ORIGIN, AS_PATH (2- or 4-byte per context), NEXT_HOP,
 * MULTI_EXIT_DISC, LOCAL_PREF, ATOMIC_AGGREGATE, AGGREGATOR, COMMUNITIES,
 * MP_REACH_NLRI (also the abbreviated RIB form of RFC 6396 section 4.3.4),
 * MP_UNREACH_NLRI, AS4_PATH / AS4_AGGREGATOR (merged as RFC 6793 section
 * 4.2.3 says when the context has 2-byte ASes). Others are skipped.
 *
 * ADD-PATH guess: some writers (older BIRD) put RFC 7911 NLRI (with path
 * identifiers) into non-ADDPATH BGP4MP subtypes. When an NLRI section does
 * not parse as plain NLRI but parses completely as ADD-PATH NLRI, the
 * reader takes the ADD-PATH reading and counts it (addpath_guessed).
 *
 * Hostile input: every field is read through the bounds-checked cursor; a
 * record longer than MRT_RECORD_MAX, more than MRT_ASPATH_MAX ASes, more
 * than MRT_ATTRS_MAX attributes per entry or a peer index over the peer
 * table is an error for that record (or RIB entry): it is counted in
 * `bad`, described in the diag (file, byte offset, RFC section, field) if
 * it is the first, and skipped; reading goes on with the next record. Only
 * a record header whose length is over the cap, or a file cut inside a
 * record, stops the reader (there is no way to resynchronise).
 *
 * Costs: O(record) time per record, memory one record buffer (at most
 * MRT_RECORD_MAX) plus the peer table (at most MRT_PEERS_MAX entries) and
 * fixed scratch arrays; nothing grows with the file.
 */
#ifndef MAMORI_ATTRIB_MRT_H
#define MAMORI_ATTRIB_MRT_H

#include <stddef.h>
#include <stdint.h>

#include "core/addr.h"
#include "core/err.h"

#define MRT_RECORD_MAX	(1u << 20)	/* bytes of one record body */
#define MRT_ASPATH_MAX	1024		/* ASes in one (merged) AS path */
#define MRT_SEGS_MAX	128		/* AS path segments */
#define MRT_ATTRS_MAX	256		/* path attributes per entry */
#define MRT_COMMS_MAX	1024		/* communities kept per entry */
#define MRT_PEERS_MAX	65535		/* PEER_INDEX_TABLE entries */

/* MRT types and subtypes (RFC 6396, RFC 8050). */
#define MRT_TABLE_DUMP		12
#define MRT_TABLE_DUMP_V2	13
#define MRT_BGP4MP		16
#define MRT_BGP4MP_ET		17

#define MRT_ORIGIN_NONE		255	/* no ORIGIN attribute */

/* AS path segment types (RFC 4271 section 4.3, RFC 5065). */
#define MRT_AS_SET		1
#define MRT_AS_SEQUENCE		2
#define MRT_AS_CONFED_SEQUENCE	3
#define MRT_AS_CONFED_SET	4

enum mrt_event {
	MRT_EV_RIB = 1,		/* one RIB entry (TABLE_DUMP, TABLE_DUMP_V2) */
	MRT_EV_ANNOUNCE,	/* a prefix announced in a BGP4MP UPDATE */
	MRT_EV_WITHDRAW,	/* a prefix withdrawn in a BGP4MP UPDATE */
	MRT_EV_STATE		/* a BGP4MP STATE_CHANGE */
};

/* One AS path segment: path[off .. off+count) of struct mrt_attrs. */
struct mrt_seg {
	uint8_t		type;	/* MRT_AS_SET ... MRT_AS_CONFED_SET */
	uint16_t	off;
	uint16_t	count;
};

/* Decoded path attributes; arrays point into the reader's scratch space and
 * are valid only during the callback. */
struct mrt_attrs {
	uint8_t			 origin;	/* 0 IGP, 1 EGP, 2 INCOMPLETE, or
						   MRT_ORIGIN_NONE */
	int			 has_aspath;
	const uint32_t		*path;		/* all ASes, segment by segment */
	size_t			 path_len;
	const struct mrt_seg	*segs;
	size_t			 nsegs;
	uint32_t		 origin_as;	/* last AS of a final AS_SEQUENCE,
						   the member of a final one-AS
						   AS_SET; else 0 */
	int			 has_nexthop;	/* NEXT_HOP (IPv4) */
	struct mm_addr		 nexthop;
	int			 has_mp_nexthop;	/* MP_REACH_NLRI next hop */
	int			 mp_nexthop_v6;
	struct mm_addr		 mp_nexthop;
	int			 has_med;
	uint32_t		 med;
	int			 has_local_pref;
	uint32_t		 local_pref;
	int			 atomic_aggregate;
	int			 has_aggregator;
	uint32_t		 aggregator_as;
	struct mm_addr		 aggregator_addr;	/* IPv4 */
	const uint32_t		*communities;	/* RFC 1997, as 32-bit values */
	size_t			 ncommunities;
};

/* One event. Plain value valid only during the callback. */
struct mrt_route {
	enum mrt_event		 ev;
	uint16_t		 type;		/* MRT type and subtype */
	uint16_t		 subtype;
	uint32_t		 time;		/* header timestamp (s) */
	uint32_t		 usec;		/* ET microseconds, else 0 */
	uint64_t		 offset;	/* record's byte offset */
	uint32_t		 originated;	/* RIB: originated time; else 0 */
	struct mm_prefix	 prefix;	/* not for MRT_EV_STATE */
	int			 prefix_v6;	/* AFI of the prefix is IPv6 */
	int			 has_path_id;	/* RFC 7911 path identifier */
	uint32_t		 path_id;
	struct mm_addr		 peer;
	int			 peer_v6;	/* peer address family on the wire */
	uint32_t		 peer_as;
	uint16_t		 old_state;	/* MRT_EV_STATE only */
	uint16_t		 new_state;
	const struct mrt_attrs	*attr;		/* RIB/ANNOUNCE; NULL otherwise */
};

/* Counters for one read (added to, never reset, by the reader). */
struct mrt_stats {
	uint64_t	records;	/* MRT records seen */
	uint64_t	ribs;		/* RIB entries passed on */
	uint64_t	announces;
	uint64_t	withdrawals;
	uint64_t	states;
	uint64_t	unsupported;	/* records/messages of kinds skipped */
	uint64_t	bad;		/* records or RIB entries skipped */
	uint64_t	addpath_guessed;/* NLRI sections read as ADD-PATH */
};

/* Called once per event; a nonzero return stops the reader, which then
 * returns that value. */
typedef int (*mrt_cb)(const struct mrt_route *r, void *arg);

/*
 * Reads the MRT file `path` ("-" = standard input) record by record and
 * calls cb for each event. Returns 0 when the file was read to its end (bad
 * records skipped and counted in *st; the first described in *diag), the
 * callback's nonzero value, MM_EIO (open/read failed), MM_ENOMEM, or
 * MM_EFORMAT when the very first record header is not plausible MRT (not
 * that kind of file). `st` and `diag` may be NULL.
 */
int	mrt_read_file(const char *path, mrt_cb cb, void *arg,
	    struct mrt_stats *st, struct mm_diag *diag);

/* The same over a buffer in memory; `name` names it in diagnostics. */
int	mrt_read_buf(const void *buf, size_t len, const char *name,
	    mrt_cb cb, void *arg, struct mrt_stats *st, struct mm_diag *diag);

/*
 * Formats the AS path of `a` the way bgpdump -m does: AS_SEQUENCE members
 * separated by spaces, AS_SET as "{a,b}", confederation segments as "(a b)"
 * and "[a,b]". Returns buf; an overlong path ends in "...". buf may not be
 * NULL; len >= 4.
 */
char	*mrt_aspath_fmt(const struct mrt_attrs *a, char *buf, size_t len);

/* Formats an address as its wire family: IPv4 dotted quad, or RFC 5952
 * IPv6 text even for IPv4-mapped values when v6 is set. Returns buf (at
 * least ADDR_STRLEN bytes). */
char	*mrt_addr_fmt(const struct mm_addr *a, int v6, char *buf, size_t len);

#endif
