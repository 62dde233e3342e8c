/*
 * mrt.c - RFC 6396 MRT reader; see mrt.h for what is understood.
 *
 * Design. The file is read one record at a time: a 12-byte common header
 * (RFC 6396 section 2) read into a small array, then the body (at most
 * MRT_RECORD_MAX bytes) into one reusable buffer, then parsed through a
 * cursor over exactly that body. Nothing inside a record can make the
 * reader touch bytes outside it: every nested length (RIB entry attribute
 * block, path attribute, BGP message, NLRI section) becomes a sub-cursor.
 *
 * A BGP4MP UPDATE is checked completely before any event is handed out
 * (attributes first, then every NLRI section in a dry run), so a record is
 * either passed on whole or skipped whole. A TABLE_DUMP_V2 RIB record is
 * different: its entries carry their own lengths, so one entry with bad
 * attributes is skipped and counted while its siblings are still used.
 *
 * State kept across records: the last PEER_INDEX_TABLE (RIB entries name
 * peers by index into it). Scratch arrays for AS paths and communities live
 * in the reader, so the callback sees pointers into them that are valid
 * only until it returns.
 *
 * Costs: O(record bytes) per record; memory the record buffer plus the peer
 * table (at most MRT_PEERS_MAX * sizeof(struct mrt_peer)) plus about
 * 20 KiB of fixed scratch.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "attrib/mrt.h"
#include "core/cursor.h"

#define MRT_HDR_LEN	12
#define AS_TRANS	23456	/* RFC 6793 */

struct mrt_peer {
	struct mm_addr	addr;
	int		v6;
	uint32_t	as;
};

/* One NLRI section to hand out after the record was checked. */
struct nlri_sec {
	struct cursor	c;
	int		present;
	int		v6;
	int		addpath;
};

struct mrt_rd {
	const char		*name;
	mrt_cb			 cb;
	void			*arg;
	struct mrt_stats	*st;
	struct mm_diag		*diag;
	int			 diag_set;
	int			 stop;		/* callback's nonzero value */

	/* current record */
	uint64_t		 off;
	uint16_t		 type;
	uint16_t		 subtype;
	uint32_t		 time;
	uint32_t		 usec;
	char			 why[160];

	struct mrt_peer		*peers;
	size_t			 npeers;
	int			 have_peers;

	struct mrt_attrs	 attrs;
	struct nlri_sec		 mp_reach;
	struct nlri_sec		 mp_unreach;
	uint32_t		 path[MRT_ASPATH_MAX];
	struct mrt_seg		 segs[MRT_SEGS_MAX];
	uint32_t		 path2[MRT_ASPATH_MAX];
	struct mrt_seg		 segs2[MRT_SEGS_MAX];
	uint32_t		 path4[MRT_ASPATH_MAX];
	struct mrt_seg		 segs4[MRT_SEGS_MAX];
	uint32_t		 comms[MRT_COMMS_MAX];
};

/* Records the reason for the current failure; returns MM_EFORMAT. */
static int
rd_why(struct mrt_rd *rd, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

static int
rd_why(struct mrt_rd *rd, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(rd->why, sizeof(rd->why), fmt, ap);
	va_end(ap);
	return MM_EFORMAT;
}

/* Counts one bad record or entry; the first one goes into the diag. */
static void
rd_bad(struct mrt_rd *rd)
{
	rd->st->bad++;
	if (rd->diag_set || rd->diag == NULL)
		return;
	rd->diag_set = 1;
	mm_diag_set(rd->diag, MM_EFORMAT, "%s: record at byte %llu "
	    "(type %u subtype %u): %s", rd->name,
	    (unsigned long long)rd->off, rd->type, rd->subtype,
	    rd->why[0] ? rd->why : "malformed");
	rd->diag->pos = (long)rd->off;
}

static int
rd_emit(struct mrt_rd *rd, const struct mrt_route *r)
{
	int rc;

	switch (r->ev) {
	case MRT_EV_RIB:
		rd->st->ribs++;
		break;
	case MRT_EV_ANNOUNCE:
		rd->st->announces++;
		break;
	case MRT_EV_WITHDRAW:
		rd->st->withdrawals++;
		break;
	case MRT_EV_STATE:
		rd->st->states++;
		break;
	}
	if (rd->cb == NULL)
		return 0;
	if ((rc = rd->cb(r, rd->arg)) != 0)
		rd->stop = rc;
	return rc;
}

static void
route_init(const struct mrt_rd *rd, struct mrt_route *r, enum mrt_event ev)
{
	memset(r, 0, sizeof(*r));
	r->ev = ev;
	r->type = rd->type;
	r->subtype = rd->subtype;
	r->time = rd->time;
	r->usec = rd->usec;
	r->offset = rd->off;
}

/* Reads an address of the family `v6` (4 or 16 bytes). */
static int
get_addr(struct cursor *c, int v6, struct mm_addr *a)
{
	uint8_t b[16];
	uint32_t v;

	if (v6) {
		if (get_bytes(c, b, 16) != 0)
			return MM_ETRUNC;
		addr_from_v6(a, b);
		return 0;
	}
	if (get_u32(c, &v) != 0)
		return MM_ETRUNC;
	addr_from_v4(a, v);
	return 0;
}

/*
 * One NLRI prefix (RFC 4271 section 4.3, RFC 4760 section 5, with the
 * RFC 7911 path identifier first when addpath). Host bits are cleared.
 */
static int
nlri_next(struct cursor *c, int v6, int addpath, struct mm_prefix *p,
    uint32_t *path_id)
{
	uint8_t b[16], plen;
	unsigned nb;

	*path_id = 0;
	if (addpath && get_u32(c, path_id) != 0)
		return MM_ETRUNC;
	if (get_u8(c, &plen) != 0)
		return MM_ETRUNC;
	if (plen > (v6 ? 128 : 32))
		return MM_ERANGE;
	nb = (plen + 7u) / 8u;
	memset(b, 0, sizeof(b));
	if (get_bytes(c, b, nb) != 0)
		return MM_ETRUNC;
	memset(p, 0, sizeof(*p));
	if (v6) {
		addr_from_v6(&p->addr, b);
		p->len = plen;
	} else {
		addr_from_v4(&p->addr, (uint32_t)b[0] << 24 |
		    (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3]);
		p->len = (uint8_t)(plen + 96);
	}
	addr_mask(&p->addr, p->len);
	return 0;
}

/* 1 if all of `c` (a copy is walked) is NLRI of that kind. */
static int
nlri_ok(const struct cursor *c, int v6, int addpath)
{
	struct cursor w = *c;
	struct mm_prefix p;
	uint32_t id;

	while (cur_left(&w) > 0)
		if (nlri_next(&w, v6, addpath, &p, &id) != 0)
			return 0;
	return 1;
}

/*
 * Decides how to read one section of a non-ADDPATH or ADDPATH record (see
 * "ADD-PATH guess" in mrt.h). Returns 0 with s->addpath set, or an error
 * with rd->why filled.
 */
static int
nlri_decide(struct mrt_rd *rd, struct nlri_sec *s, int addpath,
    const char *what)
{
	if (!s->present || cur_left(&s->c) == 0)
		return 0;
	if (addpath) {
		s->addpath = 1;
		if (nlri_ok(&s->c, s->v6, 1))
			return 0;
		return rd_why(rd, "RFC 7911 section 3 / RFC 8050: %s: "
		    "ADD-PATH NLRI malformed", what);
	}
	s->addpath = 0;
	if (nlri_ok(&s->c, s->v6, 0))
		return 0;
	if (nlri_ok(&s->c, s->v6, 1)) {
		s->addpath = 1;
		rd->st->addpath_guessed++;
		return 0;
	}
	return rd_why(rd, "RFC 4271 section 4.3: %s: prefix length over %d "
	    "or prefix beyond the section", what, s->v6 ? 128 : 32);
}

/* Parses one AS_PATH / AS4_PATH value into path/segs. */
static int
aspath_parse(struct mrt_rd *rd, struct cursor *c, int as4, uint32_t *path,
    struct mrt_seg *segs, size_t *npath, size_t *nsegs, const char *what)
{
	uint8_t type, cnt;
	uint16_t v16;
	uint32_t v32;
	unsigned i;

	*npath = 0;
	*nsegs = 0;
	while (cur_left(c) > 0) {
		if (get_u8(c, &type) != 0 || get_u8(c, &cnt) != 0)
			return rd_why(rd, "RFC 4271 section 5.1.2: %s segment "
			    "header truncated", what);
		if (type < MRT_AS_SET || type > MRT_AS_CONFED_SET)
			return rd_why(rd, "RFC 4271 section 4.3: %s segment "
			    "type %u", what, type);
		if (*nsegs >= MRT_SEGS_MAX)
			return rd_why(rd, "%s: more than %d segments (cap)",
			    what, MRT_SEGS_MAX);
		if (*npath + cnt > MRT_ASPATH_MAX)
			return rd_why(rd, "%s: more than %d ASes (cap)", what,
			    MRT_ASPATH_MAX);
		segs[*nsegs].type = type;
		segs[*nsegs].off = (uint16_t)*npath;
		segs[*nsegs].count = cnt;
		for (i = 0; i < cnt; i++) {
			if (as4) {
				if (get_u32(c, &v32) != 0)
					goto trunc;
			} else {
				if (get_u16(c, &v16) != 0)
					goto trunc;
				v32 = v16;
			}
			path[(*npath)++] = v32;
		}
		(*nsegs)++;
	}
	return 0;
trunc:
	return rd_why(rd, "RFC 4271 section 4.3: %s segment value shorter than "
	    "its count (%s-byte ASes)", what, as4 ? "4" : "2");
}

/* RFC 6793 section 4.2.3 path length: a set counts 1, confed segments 0. */
static size_t
aspath_count(const struct mrt_seg *segs, size_t nsegs)
{
	size_t i, n = 0;

	for (i = 0; i < nsegs; i++) {
		if (segs[i].type == MRT_AS_SEQUENCE)
			n += segs[i].count;
		else if (segs[i].type == MRT_AS_SET)
			n++;
	}
	return n;
}

/*
 * Merges AS_PATH (path2/segs2) and AS4_PATH (path4/segs4) into path/segs
 * per RFC 6793 section 4.2.3: when AS_PATH is shorter, AS4_PATH is ignored;
 * else the leading ASes of AS_PATH are kept and AS4_PATH appended (its
 * confederation segments dropped).
 */
static void
aspath_merge(struct mrt_rd *rd, size_t n2, size_t s2, size_t s4,
    size_t *npath, size_t *nsegs)
{
	size_t c2 = aspath_count(rd->segs2, s2), c4 = aspath_count(rd->segs4,
	    s4), keep, i, take;
	const struct mrt_seg *sg;

	*npath = 0;
	*nsegs = 0;
	if (c2 < c4) {
		memcpy(rd->path, rd->path2, n2 * sizeof(uint32_t));
		memcpy(rd->segs, rd->segs2, s2 * sizeof(struct mrt_seg));
		*npath = n2;
		*nsegs = s2;
		return;
	}
	keep = c2 - c4;
	for (i = 0; i < s2 && keep > 0; i++) {
		sg = &rd->segs2[i];
		take = sg->count;
		if (sg->type == MRT_AS_SEQUENCE) {
			if (take > keep)
				take = keep;
			keep -= take;
		} else if (sg->type == MRT_AS_SET)
			keep--;
		rd->segs[*nsegs].type = sg->type;
		rd->segs[*nsegs].off = (uint16_t)*npath;
		rd->segs[*nsegs].count = (uint16_t)take;
		memcpy(rd->path + *npath, rd->path2 + sg->off,
		    take * sizeof(uint32_t));
		*npath += take;
		(*nsegs)++;
	}
	for (i = 0; i < s4; i++) {
		sg = &rd->segs4[i];
		if (sg->type == MRT_AS_CONFED_SEQUENCE ||
		    sg->type == MRT_AS_CONFED_SET)
			continue;
		/* both inputs are capped at MRT_ASPATH_MAX / MRT_SEGS_MAX;
		 * the kept part of AS_PATH is bounded by AS4_PATH's size */
		if (*nsegs >= MRT_SEGS_MAX ||
		    *npath + sg->count > MRT_ASPATH_MAX)
			break;
		rd->segs[*nsegs].type = sg->type;
		rd->segs[*nsegs].off = (uint16_t)*npath;
		rd->segs[*nsegs].count = sg->count;
		memcpy(rd->path + *npath, rd->path4 + sg->off,
		    sg->count * sizeof(uint32_t));
		*npath += sg->count;
		(*nsegs)++;
	}
}

static uint32_t
aspath_origin(const struct mrt_attrs *a)
{
	const struct mrt_seg *sg;
	size_t i;

	for (i = a->nsegs; i > 0; i--) {
		sg = &a->segs[i - 1];
		if (sg->type == MRT_AS_CONFED_SEQUENCE ||
		    sg->type == MRT_AS_CONFED_SET)
			continue;
		if (sg->count == 0)
			continue;
		if (sg->type == MRT_AS_SEQUENCE)
			return a->path[sg->off + sg->count - 1];
		return sg->count == 1 ? a->path[sg->off] : 0;
	}
	return 0;
}

/* MP_REACH_NLRI next hop: 4 (IPv4), 16 or 32 (IPv6 global [+ link-local]). */
static int
mp_nexthop(struct mrt_rd *rd, struct cursor *c, uint8_t nhlen)
{
	struct mrt_attrs *a = &rd->attrs;

	if (nhlen == 4) {
		if (get_addr(c, 0, &a->mp_nexthop) != 0)
			goto trunc;
		a->mp_nexthop_v6 = 0;
	} else if (nhlen == 16 || nhlen == 32) {
		if (get_addr(c, 1, &a->mp_nexthop) != 0 ||
		    cur_skip(c, nhlen - 16u) != 0)
			goto trunc;
		a->mp_nexthop_v6 = 1;
	} else
		return rd_why(rd, "RFC 4760 section 3: MP_REACH_NLRI next hop "
		    "length %u (want 4, 16 or 32)", nhlen);
	a->has_mp_nexthop = 1;
	return 0;
trunc:
	return rd_why(rd, "RFC 4760 section 3: MP_REACH_NLRI next hop "
	    "truncated");
}

/*
 * MP_REACH_NLRI (RFC 4760 section 3). In a RIB entry (rib set) the
 * abbreviated form of RFC 6396 section 4.3.4 (next hop length and next hop
 * only) is expected; the full form is accepted too.
 */
static int
mp_reach_parse(struct mrt_rd *rd, struct cursor *v, int rib)
{
	uint16_t afi;
	uint8_t safi, nhlen, rsv;
	const uint8_t *p = cur_ptr(v);
	size_t left = cur_left(v);

	if (rib && left >= 1 && (size_t)p[0] + 1 == left &&
	    (p[0] == 4 || p[0] == 16 || p[0] == 32)) {
		(void)get_u8(v, &nhlen);
		return mp_nexthop(rd, v, nhlen);
	}
	if (get_u16(v, &afi) != 0 || get_u8(v, &safi) != 0 ||
	    get_u8(v, &nhlen) != 0)
		return rd_why(rd, "RFC 4760 section 3: MP_REACH_NLRI header "
		    "truncated");
	if ((afi != 1 && afi != 2) || safi != 1) {
		/* another address family: not routes we keep */
		(void)cur_skip(v, cur_left(v));
		return 0;
	}
	if (mp_nexthop(rd, v, nhlen) != 0)
		return MM_EFORMAT;
	if (get_u8(v, &rsv) != 0)
		return rd_why(rd, "RFC 4760 section 3: MP_REACH_NLRI reserved "
		    "octet missing");
	rd->mp_reach.present = 1;
	rd->mp_reach.v6 = afi == 2;
	(void)get_sub(v, cur_left(v), &rd->mp_reach.c);
	return 0;
}

static int
mp_unreach_parse(struct mrt_rd *rd, struct cursor *v)
{
	uint16_t afi;
	uint8_t safi;

	if (get_u16(v, &afi) != 0 || get_u8(v, &safi) != 0)
		return rd_why(rd, "RFC 4760 section 4: MP_UNREACH_NLRI header "
		    "truncated");
	if ((afi != 1 && afi != 2) || safi != 1) {
		(void)cur_skip(v, cur_left(v));
		return 0;
	}
	rd->mp_unreach.present = 1;
	rd->mp_unreach.v6 = afi == 2;
	(void)get_sub(v, cur_left(v), &rd->mp_unreach.c);
	return 0;
}

static int
attr_len_is(struct mrt_rd *rd, const struct cursor *v, size_t want,
    const char *name, const char *sect)
{
	if (cur_left(v) == want)
		return 0;
	return rd_why(rd, "RFC 4271 section %s: %s length %zu (want %zu)",
	    sect, name, cur_left(v), want);
}

/*
 * Path attributes (RFC 4271 section 4.3) of one entry or UPDATE into
 * rd->attrs; MP_(UN)REACH NLRI sections into rd->mp_reach / mp_unreach.
 */
static int
attrs_parse(struct mrt_rd *rd, struct cursor *c, int as4, int rib)
{
	struct mrt_attrs *a = &rd->attrs;
	struct cursor v, asp, as4p;
	uint8_t flags, type, u8;
	uint16_t len16, u16;
	uint32_t u32, agg4_as = 0;
	struct mm_addr agg4_addr;
	size_t nattr = 0, n2 = 0, s2 = 0, n4 = 0, s4 = 0;
	int have_asp = 0, have_as4p = 0, have_agg4 = 0, have_reach = 0,
	    have_unreach = 0;

	memset(a, 0, sizeof(*a));
	memset(&rd->mp_reach, 0, sizeof(rd->mp_reach));
	memset(&rd->mp_unreach, 0, sizeof(rd->mp_unreach));
	memset(&asp, 0, sizeof(asp));
	memset(&as4p, 0, sizeof(as4p));
	memset(&agg4_addr, 0, sizeof(agg4_addr));
	a->origin = MRT_ORIGIN_NONE;
	a->path = rd->path;
	a->segs = rd->segs;
	a->communities = rd->comms;
	while (cur_left(c) > 0) {
		if (++nattr > MRT_ATTRS_MAX)
			return rd_why(rd, "RFC 4271 section 4.3: more than %d "
			    "path attributes (cap)", MRT_ATTRS_MAX);
		if (get_u8(c, &flags) != 0 || get_u8(c, &type) != 0)
			return rd_why(rd, "RFC 4271 section 4.3: path "
			    "attribute header truncated");
		if (flags & 0x10) {
			if (get_u16(c, &len16) != 0)
				return rd_why(rd, "RFC 4271 section 4.3: "
				    "attribute %u extended length truncated",
				    type);
		} else {
			if (get_u8(c, &u8) != 0)
				return rd_why(rd, "RFC 4271 section 4.3: "
				    "attribute %u length truncated", type);
			len16 = u8;
		}
		if (get_sub(c, len16, &v) != 0)
			return rd_why(rd, "RFC 4271 section 4.3: attribute %u "
			    "length %u beyond the attributes (%zu left)", type,
			    len16, cur_left(c));
		switch (type) {
		case 1:		/* ORIGIN */
			if (attr_len_is(rd, &v, 1, "ORIGIN", "5.1.1") != 0)
				return MM_EFORMAT;
			(void)get_u8(&v, &u8);
			if (u8 > 2)
				return rd_why(rd, "RFC 4271 section 5.1.1: ORIGIN "
				    "value %u", u8);
			a->origin = u8;
			break;
		case 2:		/* AS_PATH */
			if (have_asp)
				return rd_why(rd, "RFC 4271 section 4.3: "
				    "AS_PATH repeated");
			have_asp = 1;
			asp = v;
			break;
		case 3:		/* NEXT_HOP */
			if (attr_len_is(rd, &v, 4, "NEXT_HOP", "5.1.3") != 0)
				return MM_EFORMAT;
			(void)get_addr(&v, 0, &a->nexthop);
			a->has_nexthop = 1;
			break;
		case 4:		/* MULTI_EXIT_DISC */
			if (attr_len_is(rd, &v, 4, "MULTI_EXIT_DISC",
			    "5.1.4") != 0)
				return MM_EFORMAT;
			(void)get_u32(&v, &a->med);
			a->has_med = 1;
			break;
		case 5:		/* LOCAL_PREF */
			if (attr_len_is(rd, &v, 4, "LOCAL_PREF", "5.1.5") != 0)
				return MM_EFORMAT;
			(void)get_u32(&v, &a->local_pref);
			a->has_local_pref = 1;
			break;
		case 6:		/* ATOMIC_AGGREGATE */
			a->atomic_aggregate = 1;
			break;
		case 7:		/* AGGREGATOR: 2- or 4-byte AS by length */
			if (cur_left(&v) == 6) {
				(void)get_u16(&v, &u16);
				a->aggregator_as = u16;
			} else if (cur_left(&v) == 8) {
				(void)get_u32(&v, &a->aggregator_as);
			} else
				return rd_why(rd, "RFC 4271 section 5.1.7: "
				    "AGGREGATOR length %zu (want 6 or 8)",
				    cur_left(&v));
			(void)get_addr(&v, 0, &a->aggregator_addr);
			a->has_aggregator = 1;
			break;
		case 8:		/* COMMUNITIES (RFC 1997) */
			if (cur_left(&v) % 4 != 0)
				return rd_why(rd, "RFC 1997: COMMUNITIES length "
				    "%zu not a multiple of 4", cur_left(&v));
			while (get_u32(&v, &u32) == 0)
				if (a->ncommunities < MRT_COMMS_MAX)
					rd->comms[a->ncommunities++] = u32;
			break;
		case 14:	/* MP_REACH_NLRI */
			if (have_reach++)
				return rd_why(rd, "RFC 4760 section 3: "
				    "MP_REACH_NLRI repeated");
			if (mp_reach_parse(rd, &v, rib) != 0)
				return MM_EFORMAT;
			break;
		case 15:	/* MP_UNREACH_NLRI */
			if (have_unreach++)
				return rd_why(rd, "RFC 4760 section 4: "
				    "MP_UNREACH_NLRI repeated");
			if (mp_unreach_parse(rd, &v) != 0)
				return MM_EFORMAT;
			break;
		case 17:	/* AS4_PATH */
			if (have_as4p)
				return rd_why(rd, "RFC 6793 section 3: "
				    "AS4_PATH repeated");
			have_as4p = 1;
			as4p = v;
			break;
		case 18:	/* AS4_AGGREGATOR */
			if (attr_len_is(rd, &v, 8, "AS4_AGGREGATOR",
			    "5.1.7 / RFC 6793 section 3") != 0)
				return MM_EFORMAT;
			(void)get_u32(&v, &agg4_as);
			(void)get_addr(&v, 0, &agg4_addr);
			have_agg4 = 1;
			break;
		default:
			break;
		}
	}
	if (have_asp) {
		a->has_aspath = 1;
		if (as4 || !have_as4p) {
			if (aspath_parse(rd, &asp, as4, rd->path, rd->segs,
			    &a->path_len, &a->nsegs, "AS_PATH") != 0)
				return MM_EFORMAT;
		} else {
			if (aspath_parse(rd, &asp, 0, rd->path2, rd->segs2,
			    &n2, &s2, "AS_PATH") != 0)
				return MM_EFORMAT;
			if (aspath_parse(rd, &as4p, 1, rd->path4, rd->segs4,
			    &n4, &s4, "AS4_PATH") != 0) {
				/* RFC 6793 section 6: a malformed AS4_PATH is
				 * ignored, AS_PATH alone is used */
				n4 = s4 = 0;
			}
			aspath_merge(rd, n2, s2, s4, &a->path_len,
			    &a->nsegs);
		}
		a->origin_as = aspath_origin(a);
	}
	if (have_agg4 && !as4 && a->has_aggregator &&
	    a->aggregator_as == AS_TRANS) {
		a->aggregator_as = agg4_as;
		a->aggregator_addr = agg4_addr;
	}
	return 0;
}

/* Hands out every prefix of a checked NLRI section. */
static int
nlri_emit(struct mrt_rd *rd, struct nlri_sec *s, struct mrt_route *r)
{
	uint32_t id;

	if (!s->present)
		return 0;
	while (cur_left(&s->c) > 0) {
		if (nlri_next(&s->c, s->v6, s->addpath, &r->prefix, &id) != 0)
			return 0;	/* cannot happen: checked before */
		r->prefix_v6 = s->v6;
		r->has_path_id = s->addpath;
		r->path_id = id;
		if (rd_emit(rd, r) != 0)
			return rd->stop;
	}
	return 0;
}

/* ---- TABLE_DUMP (RFC 6396 section 4.2) ---- */

static int
rec_table_dump(struct mrt_rd *rd, struct cursor *c)
{
	struct mrt_route r;
	struct cursor ac;
	uint16_t view, seq, pas, alen;
	uint8_t plen, status;
	uint32_t orig;
	int v6;

	if (rd->subtype != 1 && rd->subtype != 2) {
		rd->st->unsupported++;
		return 0;
	}
	v6 = rd->subtype == 2;
	route_init(rd, &r, MRT_EV_RIB);
	if (get_u16(c, &view) != 0 || get_u16(c, &seq) != 0 ||
	    get_addr(c, v6, &r.prefix.addr) != 0 || get_u8(c, &plen) != 0 ||
	    get_u8(c, &status) != 0 || get_u32(c, &orig) != 0 ||
	    get_addr(c, v6, &r.peer) != 0 || get_u16(c, &pas) != 0 ||
	    get_u16(c, &alen) != 0) {
		rd_why(rd, "RFC 6396 section 4.2: TABLE_DUMP fixed fields "
		    "truncated");
		goto bad;
	}
	if (plen > (v6 ? 128 : 32)) {
		rd_why(rd, "RFC 6396 section 4.2: prefix length %u", plen);
		goto bad;
	}
	if (get_sub(c, alen, &ac) != 0) {
		rd_why(rd, "RFC 6396 section 4.2: attribute length %u beyond "
		    "the record", alen);
		goto bad;
	}
	if (attrs_parse(rd, &ac, 0, 1) != 0)
		goto bad;
	r.prefix.len = (uint8_t)(v6 ? plen : plen + 96);
	addr_mask(&r.prefix.addr, r.prefix.len);
	r.prefix_v6 = v6;
	r.peer_v6 = v6;
	r.peer_as = pas;
	r.originated = orig;
	r.attr = &rd->attrs;
	return rd_emit(rd, &r);
bad:
	rd_bad(rd);
	return 0;
}

/* ---- TABLE_DUMP_V2 (RFC 6396 section 4.3, RFC 8050) ---- */

static int
rec_peer_index(struct mrt_rd *rd, struct cursor *c)
{
	struct mrt_peer *np = NULL;
	uint32_t bgpid, as32;
	uint16_t nlen, count, as16, i;
	uint8_t ptype;

	free(rd->peers);
	rd->peers = NULL;
	rd->npeers = 0;
	rd->have_peers = 0;
	if (get_u32(c, &bgpid) != 0 || get_u16(c, &nlen) != 0 ||
	    cur_skip(c, nlen) != 0 || get_u16(c, &count) != 0) {
		rd_why(rd, "RFC 6396 section 4.3.1: PEER_INDEX_TABLE header "
		    "truncated (view name length)");
		goto bad;
	}
	/* the 16-bit count is the cap: at most MRT_PEERS_MAX peers */
	if (count > 0 && (np = calloc(count, sizeof(*np))) == NULL)
		return MM_ENOMEM;
	for (i = 0; i < count; i++) {
		if (get_u8(c, &ptype) != 0 || get_u32(c, &bgpid) != 0 ||
		    get_addr(c, ptype & 1, &np[i].addr) != 0)
			goto trunc;
		np[i].v6 = ptype & 1;
		if (ptype & 2) {
			if (get_u32(c, &as32) != 0)
				goto trunc;
			np[i].as = as32;
		} else {
			if (get_u16(c, &as16) != 0)
				goto trunc;
			np[i].as = as16;
		}
	}
	rd->peers = np;
	rd->npeers = count;
	rd->have_peers = 1;
	return 0;
trunc:
	free(np);
	rd_why(rd, "RFC 6396 section 4.3.1: peer entry %u of %u truncated",
	    i, count);
bad:
	rd_bad(rd);
	return 0;
}

static int
rec_rib(struct mrt_rd *rd, struct cursor *c, int v6, int generic,
    int addpath)
{
	struct mrt_route r;
	struct cursor ac;
	struct mm_prefix pfx;
	uint32_t seq, orig, id;
	uint16_t afi, count, pidx, alen, i;
	uint8_t safi;

	if (get_u32(c, &seq) != 0)
		goto trunc;
	if (generic) {
		if (get_u16(c, &afi) != 0 || get_u8(c, &safi) != 0)
			goto trunc;
		if ((afi != 1 && afi != 2) || safi != 1) {
			rd->st->unsupported++;
			return 0;
		}
		v6 = afi == 2;
	}
	if (nlri_next(c, v6, 0, &pfx, &id) != 0) {
		rd_why(rd, "RFC 6396 section 4.3.2: prefix length over %d or "
		    "prefix truncated", v6 ? 128 : 32);
		goto bad;
	}
	if (get_u16(c, &count) != 0)
		goto trunc;
	for (i = 0; i < count; i++) {
		route_init(rd, &r, MRT_EV_RIB);
		r.prefix = pfx;
		r.prefix_v6 = v6;
		if (get_u16(c, &pidx) != 0 || get_u32(c, &orig) != 0 ||
		    (addpath && get_u32(c, &r.path_id) != 0) ||
		    get_u16(c, &alen) != 0 || get_sub(c, alen, &ac) != 0) {
			rd_why(rd, "RFC 6396 section 4.3.4: RIB entry %u of %u "
			    "truncated (attribute length)", i, count);
			goto bad;	/* cannot resynchronise */
		}
		if (!rd->have_peers || pidx >= rd->npeers) {
			rd_why(rd, "RFC 6396 section 4.3.4: peer index %u with "
			    "%zu peers in the PEER_INDEX_TABLE", pidx,
			    rd->npeers);
			rd_bad(rd);
			continue;
		}
		if (attrs_parse(rd, &ac, 1, 1) != 0) {
			rd_bad(rd);
			continue;
		}
		r.has_path_id = addpath;
		r.originated = orig;
		r.peer = rd->peers[pidx].addr;
		r.peer_v6 = rd->peers[pidx].v6;
		r.peer_as = rd->peers[pidx].as;
		r.attr = &rd->attrs;
		if (rd_emit(rd, &r) != 0)
			return rd->stop;
	}
	return 0;
trunc:
	rd_why(rd, "RFC 6396 section 4.3.2: RIB header truncated");
bad:
	rd_bad(rd);
	return 0;
}

static int
rec_table_dump_v2(struct mrt_rd *rd, struct cursor *c)
{
	switch (rd->subtype) {
	case 1:
		return rec_peer_index(rd, c);
	case 2:
		return rec_rib(rd, c, 0, 0, 0);
	case 4:
		return rec_rib(rd, c, 1, 0, 0);
	case 6:
		return rec_rib(rd, c, 0, 1, 0);
	case 8:
		return rec_rib(rd, c, 0, 0, 1);
	case 10:
		return rec_rib(rd, c, 1, 0, 1);
	case 12:
		return rec_rib(rd, c, 0, 1, 1);
	default:	/* multicast RIBs, unknown subtypes */
		rd->st->unsupported++;
		return 0;
	}
}

/* ---- BGP4MP (RFC 6396 section 4.4, RFC 8050 section 4) ---- */

static int
bgp_update(struct mrt_rd *rd, struct cursor *m, struct mrt_route *base,
    int as4, int addpath)
{
	struct nlri_sec wd, nl;
	struct mrt_route r;
	struct cursor ac;
	uint16_t wlen, alen;
	int rc;

	memset(&wd, 0, sizeof(wd));
	memset(&nl, 0, sizeof(nl));
	if (get_u16(m, &wlen) != 0 || get_sub(m, wlen, &wd.c) != 0) {
		rd_why(rd, "RFC 4271 section 4.3: withdrawn routes length "
		    "beyond the UPDATE");
		goto bad;
	}
	if (get_u16(m, &alen) != 0 || get_sub(m, alen, &ac) != 0) {
		rd_why(rd, "RFC 4271 section 4.3: total path attribute length "
		    "beyond the UPDATE");
		goto bad;
	}
	(void)get_sub(m, cur_left(m), &nl.c);
	wd.present = nl.present = 1;
	if (attrs_parse(rd, &ac, as4, 0) != 0)
		goto bad;
	if (nlri_decide(rd, &wd, addpath, "withdrawn routes") != 0 ||
	    nlri_decide(rd, &rd->mp_unreach, addpath, "MP_UNREACH_NLRI") != 0 ||
	    nlri_decide(rd, &nl, addpath, "NLRI") != 0 ||
	    nlri_decide(rd, &rd->mp_reach, addpath, "MP_REACH_NLRI") != 0)
		goto bad;
	if (cur_left(&nl.c) > 0 && alen == 0) {
		rd_why(rd, "RFC 4271 section 4.3: NLRI without path "
		    "attributes");
		goto bad;
	}
	r = *base;
	r.ev = MRT_EV_WITHDRAW;
	if ((rc = nlri_emit(rd, &wd, &r)) != 0 ||
	    (rc = nlri_emit(rd, &rd->mp_unreach, &r)) != 0)
		return rc;
	r.ev = MRT_EV_ANNOUNCE;
	r.attr = &rd->attrs;
	if ((rc = nlri_emit(rd, &nl, &r)) != 0 ||
	    (rc = nlri_emit(rd, &rd->mp_reach, &r)) != 0)
		return rc;
	return 0;
bad:
	rd_bad(rd);
	return 0;
}

static int
rec_bgp4mp(struct mrt_rd *rd, struct cursor *c)
{
	struct mrt_route r;
	struct mm_addr local;
	struct cursor m;
	uint32_t pas32, las32;
	uint16_t pas16, las16, ifidx, afi, mlen, st_old, st_new;
	uint8_t mtype;
	int as4, addpath;

	switch (rd->subtype) {
	case 0: case 1: case 6: case 8: case 10:
		as4 = 0;
		break;
	case 4: case 5: case 7: case 9: case 11:
		as4 = 1;
		break;
	default:	/* 2 ENTRY, 3 SNAPSHOT (obsolete drafts), unknown */
		rd->st->unsupported++;
		return 0;
	}
	addpath = rd->subtype >= 8;
	route_init(rd, &r, MRT_EV_ANNOUNCE);
	if (as4) {
		if (get_u32(c, &pas32) != 0 || get_u32(c, &las32) != 0)
			goto trunc;
	} else {
		if (get_u16(c, &pas16) != 0 || get_u16(c, &las16) != 0)
			goto trunc;
		pas32 = pas16;
	}
	if (get_u16(c, &ifidx) != 0 || get_u16(c, &afi) != 0)
		goto trunc;
	if (afi != 1 && afi != 2) {
		rd_why(rd, "RFC 6396 section 4.4: BGP4MP address family %u",
		    afi);
		goto bad;
	}
	if (get_addr(c, afi == 2, &r.peer) != 0 ||
	    get_addr(c, afi == 2, &local) != 0)
		goto trunc;
	r.peer_v6 = afi == 2;
	r.peer_as = pas32;
	if (rd->subtype == 0 || rd->subtype == 5) {
		if (get_u16(c, &st_old) != 0 || get_u16(c, &st_new) != 0)
			goto trunc;
		r.ev = MRT_EV_STATE;
		r.old_state = st_old;
		r.new_state = st_new;
		return rd_emit(rd, &r);
	}
	/* BGP message: marker(16) length(2) type(1), RFC 4271 section 4.1 */
	if (cur_skip(c, 16) != 0 || get_u16(c, &mlen) != 0 ||
	    get_u8(c, &mtype) != 0)
		goto trunc;
	if (mlen < 19 || get_sub(c, mlen - 19u, &m) != 0) {
		rd_why(rd, "RFC 4271 section 4.1: BGP message length %u "
		    "(record holds %zu)", mlen, cur_left(c) + 19);
		goto bad;
	}
	if (mtype != 2)		/* OPEN, NOTIFICATION, KEEPALIVE, ... */
		return 0;
	return bgp_update(rd, &m, &r, as4, addpath);
trunc:
	rd_why(rd, "RFC 6396 section 4.4: BGP4MP fixed fields truncated");
bad:
	rd_bad(rd);
	return 0;
}

/* ---- records ---- */

static int
rd_record(struct mrt_rd *rd, const uint8_t *body, size_t len)
{
	struct cursor c;

	rd->why[0] = '\0';
	rd->usec = 0;
	cur_init(&c, body, len);
	if (rd->type == MRT_BGP4MP_ET) {
		if (get_u32(&c, &rd->usec) != 0) {
			rd_why(rd, "RFC 6396 section 3: ET microsecond field "
			    "missing");
			rd_bad(rd);
			return 0;
		}
	}
	switch (rd->type) {
	case MRT_TABLE_DUMP:
		return rec_table_dump(rd, &c);
	case MRT_TABLE_DUMP_V2:
		return rec_table_dump_v2(rd, &c);
	case MRT_BGP4MP:
	case MRT_BGP4MP_ET:
		return rec_bgp4mp(rd, &c);
	default:
		rd->st->unsupported++;
		return 0;
	}
}

/* Known MRT types (IANA registry); used to tell "not MRT" at the start. */
static int
mrt_type_known(uint16_t t)
{
	return (t >= 11 && t <= 13) || t == 16 || t == 17 || t == 32 ||
	    t == 33 || t == 48 || t == 49 || t < 11;
}

static void
hdr_parse(struct mrt_rd *rd, const uint8_t h[MRT_HDR_LEN], uint32_t *len)
{
	struct cursor c;

	cur_init(&c, h, MRT_HDR_LEN);
	(void)get_u32(&c, &rd->time);
	(void)get_u16(&c, &rd->type);
	(void)get_u16(&c, &rd->subtype);
	(void)get_u32(&c, len);
}

/* Checks a header; returns 0, or MM_EFORMAT (first record: not MRT) / 1
 * (stop: length over cap) with the reason recorded. */
static int
hdr_check(struct mrt_rd *rd, uint32_t len, int first)
{
	if (first && (!mrt_type_known(rd->type) || len > MRT_RECORD_MAX)) {
		mm_diag_set(rd->diag, MM_EFORMAT, "%s: not an MRT file "
		    "(RFC 6396 section 2: first record type %u, length %lu)",
		    rd->name, rd->type, (unsigned long)len);
		if (rd->diag != NULL)
			rd->diag->pos = 0;
		return MM_EFORMAT;
	}
	if (len > MRT_RECORD_MAX) {
		rd_why(rd, "RFC 6396 section 2: length %lu over the %u-byte "
		    "cap; stopped (no way to resynchronise)",
		    (unsigned long)len, MRT_RECORD_MAX);
		rd_bad(rd);
		return 1;
	}
	return 0;
}

static void
rd_truncated(struct mrt_rd *rd, size_t have, size_t want)
{
	rd_why(rd, "RFC 6396 section 2: file ends inside the record (%zu of "
	    "%zu bytes)", have, want);
	rd_bad(rd);
}

static int
rd_start(struct mrt_rd **rdp, const char *name, mrt_cb cb, void *arg,
    struct mrt_stats *st, struct mm_diag *diag)
{
	struct mrt_rd *rd;

	if ((rd = calloc(1, sizeof(*rd))) == NULL)
		return mm_diag_set(diag, MM_ENOMEM, "%s: out of memory", name);
	rd->name = name;
	rd->cb = cb;
	rd->arg = arg;
	rd->st = st;
	rd->diag = diag;
	*rdp = rd;
	return 0;
}

static void
rd_finish(struct mrt_rd *rd)
{
	if (rd == NULL)
		return;
	free(rd->peers);
	free(rd);
}

int
mrt_read_buf(const void *buf, size_t len, const char *name, mrt_cb cb,
    void *arg, struct mrt_stats *st, struct mm_diag *diag)
{
	struct mrt_stats dummy;
	struct mrt_rd *rd = NULL;
	const uint8_t *p = buf;
	size_t off = 0;
	uint32_t rlen;
	int rc;

	memset(&dummy, 0, sizeof(dummy));
	mm_diag_clear(diag);
	if (name == NULL)
		name = "(buffer)";
	if (buf == NULL && len > 0)
		return mm_diag_set(diag, MM_EINVAL, "%s: no buffer", name);
	if ((rc = rd_start(&rd, name, cb, arg, st != NULL ? st : &dummy,
	    diag)) != 0)
		return rc;
	while (off < len) {
		rd->off = off;
		if (len - off < MRT_HDR_LEN) {
			if (off == 0) {
				rc = mm_diag_set(diag, MM_EFORMAT, "%s: not an "
				    "MRT file (shorter than a header)", name);
				goto out;
			}
			rd->type = rd->subtype = 0;
			rd_truncated(rd, len - off, MRT_HDR_LEN);
			break;
		}
		hdr_parse(rd, p + off, &rlen);
		if ((rc = hdr_check(rd, rlen, off == 0)) != 0) {
			if (rc > 0)
				rc = 0;
			goto out;
		}
		rd->st->records++;
		if (len - off - MRT_HDR_LEN < rlen) {
			rd_truncated(rd, len - off - MRT_HDR_LEN, rlen);
			break;
		}
		if ((rc = rd_record(rd, p + off + MRT_HDR_LEN, rlen)) != 0)
			goto out;
		off += MRT_HDR_LEN + (size_t)rlen;
	}
	rc = 0;
out:
	rd_finish(rd);
	return rc;
}

int
mrt_read_file(const char *path, mrt_cb cb, void *arg, struct mrt_stats *st,
    struct mm_diag *diag)
{
	struct mrt_stats dummy;
	struct mrt_rd *rd = NULL;
	uint8_t hdr[MRT_HDR_LEN], *body = NULL, *nb;
	size_t n, cap = 0;
	uint64_t off = 0;
	uint32_t rlen;
	FILE *fp = NULL;
	int rc, is_stdin;

	memset(&dummy, 0, sizeof(dummy));
	mm_diag_clear(diag);
	if (path == NULL)
		return mm_diag_set(diag, MM_EINVAL, "no MRT file name");
	is_stdin = strcmp(path, "-") == 0;
	if (is_stdin)
		fp = stdin;
	else if ((fp = fopen(path, "rb")) == NULL)
		return mm_diag_set(diag, MM_EIO, "%s: %s", path,
		    strerror(errno));
	if ((rc = rd_start(&rd, is_stdin ? "(stdin)" : path, cb, arg,
	    st != NULL ? st : &dummy, diag)) != 0)
		goto out;
	for (;;) {
		rd->off = off;
		n = fread(hdr, 1, sizeof(hdr), fp);
		if (n == 0 && !ferror(fp))
			break;
		if (n < sizeof(hdr)) {
			if (ferror(fp)) {
				rc = mm_diag_set(diag, MM_EIO, "%s: read: %s",
				    rd->name, strerror(errno));
				goto out;
			}
			if (off == 0) {
				rc = mm_diag_set(diag, MM_EFORMAT, "%s: not an "
				    "MRT file (shorter than a header)",
				    rd->name);
				goto out;
			}
			rd->type = rd->subtype = 0;
			rd_truncated(rd, n, MRT_HDR_LEN);
			break;
		}
		hdr_parse(rd, hdr, &rlen);
		if ((rc = hdr_check(rd, rlen, off == 0)) != 0) {
			if (rc > 0)
				rc = 0;
			goto out;
		}
		rd->st->records++;
		if (rlen > cap) {
			if ((nb = realloc(body, rlen)) == NULL) {
				rc = mm_diag_set(diag, MM_ENOMEM, "%s: out of "
				    "memory", rd->name);
				goto out;
			}
			body = nb;
			cap = rlen;
		}
		n = rlen > 0 ? fread(body, 1, rlen, fp) : 0;
		if (n < rlen) {
			if (ferror(fp)) {
				rc = mm_diag_set(diag, MM_EIO, "%s: read: %s",
				    rd->name, strerror(errno));
				goto out;
			}
			rd_truncated(rd, n, rlen);
			break;
		}
		if ((rc = rd_record(rd, body, rlen)) != 0)
			goto out;
		off += MRT_HDR_LEN + (uint64_t)rlen;
	}
	rc = 0;
out:
	rd_finish(rd);
	free(body);
	if (fp != NULL && !is_stdin)
		fclose(fp);
	return rc;
}

char *
mrt_aspath_fmt(const struct mrt_attrs *a, char *buf, size_t len)
{
	const struct mrt_seg *sg;
	size_t i, j, o = 0;
	const char *open, *close, *sep;
	char tmp[16];
	int n;

	buf[0] = '\0';
	if (a == NULL)
		return buf;
	for (i = 0; i < a->nsegs; i++) {
		sg = &a->segs[i];
		switch (sg->type) {
		case MRT_AS_SET:
			open = "{", close = "}", sep = ",";
			break;
		case MRT_AS_CONFED_SEQUENCE:
			open = "(", close = ")", sep = " ";
			break;
		case MRT_AS_CONFED_SET:
			open = "[", close = "]", sep = ",";
			break;
		default:
			open = "", close = "", sep = " ";
			break;
		}
		for (j = 0; j <= sg->count + 1u; j++) {
			if (j == 0)
				n = snprintf(tmp, sizeof(tmp), "%s%s",
				    o > 0 ? " " : "", open);
			else if (j == sg->count + 1u)
				n = snprintf(tmp, sizeof(tmp), "%s", close);
			else
				n = snprintf(tmp, sizeof(tmp), "%s%lu",
				    j > 1 ? sep : "",
				    (unsigned long)a->path[sg->off + j - 1]);
			if (n < 0 || o + (size_t)n + 4 > len) {
				if (len >= 4)
					memcpy(buf + (o + 4 <= len ? o :
					    len - 4), "...", 4);
				return buf;
			}
			memcpy(buf + o, tmp, (size_t)n + 1);
			o += (size_t)n;
		}
	}
	return buf;
}

char *
mrt_addr_fmt(const struct mm_addr *a, int v6, char *buf, size_t len)
{
	if (!v6)
		return addr_fmt(a, buf, len);
	if (inet_ntop(AF_INET6, a->b, buf, (socklen_t)len) == NULL && len > 0)
		buf[0] = '\0';
	return buf;
}
