/*
 * test_mrt.c - the MRT reader: hand-built TABLE_DUMP, TABLE_DUMP_V2
 * (incl. ADD-PATH), BGP4MP / BGP4MP_ET records (withdrawals, NLRI,
 * MP_REACH/MP_UNREACH, AS4_PATH merge, state changes), then hostile input:
 * bad peer index, attribute length beyond its block, prefix length 33,
 * AS path over the cap, too many attributes, truncated and oversized
 * records, a non-MRT file, callback stop; every record of the shared MRT
 * files ($MAMORI_TESTDATA/mrt) read with known counts, every truncation and
 * many byte flips of them read without a crash.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "attrib/mrt.h"
#include "core/addr.h"
#include "core/err.h"

/* ---- byte builder ---- */

struct bb {
	uint8_t	b[1 << 16];
	size_t	n;
};

static void
put8(struct bb *b, unsigned v)
{
	assert_true(b->n < sizeof(b->b));
	b->b[b->n++] = (uint8_t)v;
}

static void
put16(struct bb *b, unsigned v)
{
	put8(b, v >> 8);
	put8(b, v);
}

static void
put32(struct bb *b, uint32_t v)
{
	put16(b, v >> 16);
	put16(b, v & 0xffff);
}

static void
putv4(struct bb *b, const char *s)
{
	struct mm_addr a;

	assert_int_equal(addr_parse(s, &a), 0);
	put32(b, addr_v4(&a));
}

static void
putv6(struct bb *b, const char *s)
{
	struct mm_addr a;
	int i;

	assert_int_equal(addr_parse(s, &a), 0);
	for (i = 0; i < 16; i++)
		put8(b, a.b[i]);
}

/* NLRI prefix "a.b.c.d/n" or "x::/n" (minimal bytes). */
static void
putpfx(struct bb *b, const char *s)
{
	struct mm_prefix p;
	unsigned len, i;
	int v4;

	assert_int_equal(prefix_parse(s, &p), 0);
	v4 = addr_is_v4(&p.addr);
	len = v4 ? p.len - 96u : p.len;
	put8(b, len);
	for (i = 0; i < (len + 7) / 8; i++)
		put8(b, p.addr.b[(v4 ? 12 : 0) + i]);
}

static size_t
patch_begin(struct bb *b, int width)
{
	size_t at = b->n;

	if (width == 4)
		put32(b, 0);
	else if (width == 2)
		put16(b, 0);
	else
		put8(b, 0);
	return at;
}

static void
patch_end(struct bb *b, size_t at, int width)
{
	size_t v = b->n - at - (size_t)width;

	if (width == 4) {
		b->b[at] = (uint8_t)(v >> 24);
		b->b[at + 1] = (uint8_t)(v >> 16);
		b->b[at + 2] = (uint8_t)(v >> 8);
		b->b[at + 3] = (uint8_t)v;
	} else if (width == 2) {
		b->b[at] = (uint8_t)(v >> 8);
		b->b[at + 1] = (uint8_t)v;
	} else
		b->b[at] = (uint8_t)v;
}

/* MRT common header; returns the length field's offset. */
static size_t
rec_begin(struct bb *b, uint32_t t, unsigned type, unsigned subtype)
{
	put32(b, t);
	put16(b, type);
	put16(b, subtype);
	return patch_begin(b, 4);
}

/* Path attribute header (1-byte length); returns its offset. */
static size_t
attr_begin(struct bb *b, unsigned flags, unsigned type)
{
	put8(b, flags);
	put8(b, type);
	return patch_begin(b, 1);
}

static void
attr_origin(struct bb *b, unsigned o)
{
	size_t a = attr_begin(b, 0x40, 1);

	put8(b, o);
	patch_end(b, a, 1);
}

/* AS_SEQUENCE of n 4-byte (as4) or 2-byte ASes. */
static void
attr_aspath(struct bb *b, int as4, unsigned type, int n, ...)
{
	size_t a = attr_begin(b, 0x40, type);
	va_list ap;
	int i;

	va_start(ap, n);
	put8(b, MRT_AS_SEQUENCE);
	put8(b, (unsigned)n);
	for (i = 0; i < n; i++) {
		uint32_t v = va_arg(ap, uint32_t);

		if (as4)
			put32(b, v);
		else
			put16(b, v);
	}
	va_end(ap);
	patch_end(b, a, 1);
}

static void
attr_nexthop(struct bb *b, const char *s)
{
	size_t a = attr_begin(b, 0x40, 3);

	putv4(b, s);
	patch_end(b, a, 1);
}

/* ---- collecting callback ---- */

#define MAXEV	64

struct ev {
	enum mrt_event	ev;
	char		pfx[PREFIX_STRLEN];
	char		peer[ADDR_STRLEN];
	char		path[256];
	char		nh[ADDR_STRLEN];
	uint32_t	peer_as;
	uint32_t	origin_as;
	uint32_t	path_id;
	int		has_path_id;
	uint32_t	usec;
	uint8_t		origin;
	uint16_t	type;
	uint16_t	subtype;
};

struct evs {
	struct ev	e[MAXEV];
	int		n;
	int		stop_at;	/* return 7 at this event (1-based) */
};

static int
collect(const struct mrt_route *r, void *arg)
{
	struct evs *s = arg;
	struct ev *e;

	if (s->n >= MAXEV)
		return 0;
	e = &s->e[s->n++];
	memset(e, 0, sizeof(*e));
	e->ev = r->ev;
	e->type = r->type;
	e->subtype = r->subtype;
	if (r->ev != MRT_EV_STATE)
		prefix_fmt(&r->prefix, e->pfx, sizeof(e->pfx));
	mrt_addr_fmt(&r->peer, r->peer_v6, e->peer, sizeof(e->peer));
	e->peer_as = r->peer_as;
	e->path_id = r->path_id;
	e->has_path_id = r->has_path_id;
	e->usec = r->usec;
	if (r->attr != NULL) {
		mrt_aspath_fmt(r->attr, e->path, sizeof(e->path));
		e->origin_as = r->attr->origin_as;
		e->origin = r->attr->origin;
		if (r->attr->has_mp_nexthop)
			mrt_addr_fmt(&r->attr->mp_nexthop,
			    r->attr->mp_nexthop_v6, e->nh, sizeof(e->nh));
		else if (r->attr->has_nexthop)
			mrt_addr_fmt(&r->attr->nexthop, 0, e->nh,
			    sizeof(e->nh));
	}
	return s->stop_at == s->n ? 7 : 0;
}

static int
read_buf(const struct bb *b, struct evs *s, struct mrt_stats *st,
    struct mm_diag *d)
{
	memset(s, 0, sizeof(*s));
	memset(st, 0, sizeof(*st));
	return mrt_read_buf(b->b, b->n, "test", collect, s, st, d);
}

/* ---- builders of whole records ---- */

static void
peer_index_table(struct bb *b)
{
	size_t r = rec_begin(b, 1000, MRT_TABLE_DUMP_V2, 1);

	put32(b, 0x01020304);		/* collector BGP ID */
	put16(b, 1);
	put8(b, 'v');			/* view name */
	put16(b, 2);			/* peer count */
	put8(b, 0x02);			/* IPv4, AS4 */
	put32(b, 1);
	putv4(b, "192.0.2.1");
	put32(b, 4200000000u);
	put8(b, 0x03);			/* IPv6, AS4 */
	put32(b, 2);
	putv6(b, "2001:db8::1");
	put32(b, 64496);
	patch_end(b, r, 4);
}

/* One RIB entry with ORIGIN, AS_PATH [64500 64501], NEXT_HOP. */
static void
rib_entry_simple(struct bb *b, unsigned peer, int addpath, uint32_t id)
{
	size_t al;

	put16(b, peer);
	put32(b, 900);
	if (addpath)
		put32(b, id);
	al = patch_begin(b, 2);
	attr_origin(b, 0);
	attr_aspath(b, 1, 2, 2, (uint32_t)64500, (uint32_t)64501);
	attr_nexthop(b, "192.0.2.1");
	patch_end(b, al, 2);
}

static void
test_table_dump_v2(void **state)
{
	struct bb *b = calloc(1, sizeof(*b));
	struct evs s;
	struct mrt_stats st;
	struct mm_diag d;
	size_t r, al, a;

	(void)state;
	peer_index_table(b);
	/* RIB_IPV4_UNICAST 10.0.0.0/8, two entries */
	r = rec_begin(b, 1001, MRT_TABLE_DUMP_V2, 2);
	put32(b, 0);
	putpfx(b, "10.0.0.0/8");
	put16(b, 2);
	rib_entry_simple(b, 0, 0, 0);
	put16(b, 1);			/* peer 1 */
	put32(b, 901);
	al = patch_begin(b, 2);
	attr_origin(b, 1);
	a = attr_begin(b, 0x40, 2);	/* AS_PATH: seq [64502] set {3,4} */
	put8(b, MRT_AS_SEQUENCE);
	put8(b, 1);
	put32(b, 64502);
	put8(b, MRT_AS_SET);
	put8(b, 2);
	put32(b, 64503);
	put32(b, 64504);
	patch_end(b, a, 1);
	a = attr_begin(b, 0x80, 14);	/* abbreviated MP_REACH_NLRI */
	put8(b, 16);
	putv6(b, "2001:db8::fe");
	patch_end(b, a, 1);
	patch_end(b, al, 2);
	patch_end(b, r, 4);
	/* RIB_IPV6_UNICAST_ADDPATH 2001:db8::/32, path id 5 */
	r = rec_begin(b, 1002, MRT_TABLE_DUMP_V2, 10);
	put32(b, 1);
	putpfx(b, "2001:db8::/32");
	put16(b, 1);
	rib_entry_simple(b, 1, 1, 5);
	patch_end(b, r, 4);
	/* RIB_IPV4_MULTICAST: skipped as unsupported */
	r = rec_begin(b, 1003, MRT_TABLE_DUMP_V2, 3);
	put32(b, 2);
	patch_end(b, r, 4);

	assert_int_equal(read_buf(b, &s, &st, &d), 0);
	assert_int_equal(st.records, 4);
	assert_int_equal(st.ribs, 3);
	assert_int_equal(st.bad, 0);
	assert_int_equal(st.unsupported, 1);
	assert_int_equal(s.n, 3);
	assert_string_equal(s.e[0].pfx, "10.0.0.0/8");
	assert_string_equal(s.e[0].peer, "192.0.2.1");
	assert_int_equal(s.e[0].peer_as, 4200000000u);
	assert_string_equal(s.e[0].path, "64500 64501");
	assert_int_equal(s.e[0].origin_as, 64501);
	assert_int_equal(s.e[0].origin, 0);
	assert_string_equal(s.e[0].nh, "192.0.2.1");
	assert_string_equal(s.e[1].peer, "2001:db8::1");
	assert_string_equal(s.e[1].path, "64502 {64503,64504}");
	assert_int_equal(s.e[1].origin_as, 0);	/* AS_SET at the end */
	assert_int_equal(s.e[1].origin, 1);
	assert_string_equal(s.e[1].nh, "2001:db8::fe");
	assert_string_equal(s.e[2].pfx, "2001:db8::/32");
	assert_int_equal(s.e[2].has_path_id, 1);
	assert_int_equal(s.e[2].path_id, 5);
	free(b);
}

/* BGP4MP header up to the BGP message; returns the record offset. */
static size_t
bgp4mp_begin(struct bb *b, unsigned type, unsigned subtype, int as4,
    const char *peer, uint32_t peer_as, uint32_t usec)
{
	size_t r = rec_begin(b, 2000, type, subtype);
	int v6 = strchr(peer, ':') != NULL;

	if (type == MRT_BGP4MP_ET)
		put32(b, usec);
	if (as4) {
		put32(b, peer_as);
		put32(b, 65000);
	} else {
		put16(b, peer_as);
		put16(b, 65000);
	}
	put16(b, 0);
	put16(b, v6 ? 2 : 1);
	if (v6) {
		putv6(b, peer);
		putv6(b, "2001:db8::ff");
	} else {
		putv4(b, peer);
		putv4(b, "192.0.2.254");
	}
	return r;
}

/* BGP message header; returns the length field's offset. */
static size_t
msg_begin(struct bb *b, unsigned type)
{
	size_t at;
	int i;

	for (i = 0; i < 16; i++)
		put8(b, 0xff);
	at = b->n;
	put16(b, 0);
	put8(b, type);
	return at;
}

static void
msg_end(struct bb *b, size_t at)
{
	size_t v = b->n - at + 16;

	b->b[at] = (uint8_t)(v >> 8);
	b->b[at + 1] = (uint8_t)v;
}

static void
test_bgp4mp(void **state)
{
	struct bb *b = calloc(1, sizeof(*b));
	struct evs s;
	struct mrt_stats st;
	struct mm_diag d;
	size_t r, m, wl, al, a;

	(void)state;
	/* MESSAGE_AS4: withdraw + NLRI + MP_REACH (v6) + MP_UNREACH (v6) */
	r = bgp4mp_begin(b, MRT_BGP4MP, 4, 1, "192.0.2.9", 65001, 0);
	m = msg_begin(b, 2);
	wl = patch_begin(b, 2);
	putpfx(b, "10.9.0.0/16");
	patch_end(b, wl, 2);
	al = patch_begin(b, 2);
	attr_origin(b, 2);
	attr_aspath(b, 1, 2, 2, (uint32_t)65001, (uint32_t)64500);
	attr_nexthop(b, "192.0.2.9");
	a = attr_begin(b, 0x80, 14);
	put16(b, 2);
	put8(b, 1);
	put8(b, 32);
	putv6(b, "2001:db8::9");
	putv6(b, "fe80::9");
	put8(b, 0);
	putpfx(b, "2001:db8:5::/48");
	patch_end(b, a, 1);
	a = attr_begin(b, 0x80, 15);
	put16(b, 2);
	put8(b, 1);
	putpfx(b, "2001:db8:6::/48");
	patch_end(b, a, 1);
	patch_end(b, al, 2);
	putpfx(b, "10.10.0.0/16");
	putpfx(b, "10.11.0.0/24");
	msg_end(b, m);
	patch_end(b, r, 4);
	/* BGP4MP_ET MESSAGE (2-byte ASes) with AS4_PATH to merge */
	r = bgp4mp_begin(b, MRT_BGP4MP_ET, 1, 0, "192.0.2.10", 65010, 123456);
	m = msg_begin(b, 2);
	put16(b, 0);
	al = patch_begin(b, 2);
	attr_origin(b, 0);
	attr_aspath(b, 0, 2, 2, (uint32_t)65010, (uint32_t)23456);
	attr_aspath(b, 1, 17, 1, (uint32_t)4200000005u);
	attr_nexthop(b, "192.0.2.10");
	patch_end(b, al, 2);
	putpfx(b, "198.51.100.0/24");
	msg_end(b, m);
	patch_end(b, r, 4);
	/* STATE_CHANGE_AS4 */
	r = bgp4mp_begin(b, MRT_BGP4MP, 5, 1, "2001:db8::7", 4200000007u, 0);
	put16(b, 5);
	put16(b, 6);
	patch_end(b, r, 4);
	/* MESSAGE_AS4_ADDPATH: path id 3 */
	r = bgp4mp_begin(b, MRT_BGP4MP, 9, 1, "192.0.2.11", 65011, 0);
	m = msg_begin(b, 2);
	put16(b, 0);
	al = patch_begin(b, 2);
	attr_origin(b, 0);
	attr_aspath(b, 1, 2, 1, (uint32_t)65011);
	attr_nexthop(b, "192.0.2.11");
	patch_end(b, al, 2);
	put32(b, 3);
	putpfx(b, "203.0.113.0/24");
	msg_end(b, m);
	patch_end(b, r, 4);
	/* KEEPALIVE: nothing */
	r = bgp4mp_begin(b, MRT_BGP4MP, 4, 1, "192.0.2.9", 65001, 0);
	m = msg_begin(b, 4);
	msg_end(b, m);
	patch_end(b, r, 4);

	assert_int_equal(read_buf(b, &s, &st, &d), 0);
	assert_int_equal(st.bad, 0);
	assert_int_equal(st.records, 5);
	assert_int_equal(st.withdrawals, 2);
	assert_int_equal(st.announces, 5);
	assert_int_equal(st.states, 1);
	assert_int_equal(s.n, 8);
	assert_int_equal(s.e[0].ev, MRT_EV_WITHDRAW);
	assert_string_equal(s.e[0].pfx, "10.9.0.0/16");
	assert_int_equal(s.e[1].ev, MRT_EV_WITHDRAW);
	assert_string_equal(s.e[1].pfx, "2001:db8:6::/48");
	assert_int_equal(s.e[2].ev, MRT_EV_ANNOUNCE);
	assert_string_equal(s.e[2].pfx, "10.10.0.0/16");
	assert_string_equal(s.e[3].pfx, "10.11.0.0/24");
	assert_string_equal(s.e[4].pfx, "2001:db8:5::/48");
	assert_string_equal(s.e[4].nh, "2001:db8::9");
	assert_int_equal(s.e[4].origin_as, 64500);
	assert_int_equal(s.e[4].origin, 2);
	/* RFC 6793 merge: [65010 23456] + [4200000005] -> 65010 4200000005 */
	assert_string_equal(s.e[5].pfx, "198.51.100.0/24");
	assert_string_equal(s.e[5].path, "65010 4200000005");
	assert_int_equal(s.e[5].origin_as, 4200000005u);
	assert_int_equal(s.e[5].usec, 123456);
	assert_int_equal(s.e[5].type, MRT_BGP4MP_ET);
	assert_int_equal(s.e[6].ev, MRT_EV_STATE);
	assert_string_equal(s.e[6].peer, "2001:db8::7");
	assert_int_equal(s.e[6].peer_as, 4200000007u);
	assert_string_equal(s.e[7].pfx, "203.0.113.0/24");
	assert_int_equal(s.e[7].has_path_id, 1);
	assert_int_equal(s.e[7].path_id, 3);
	free(b);
}

static void
test_table_dump_v1(void **state)
{
	struct bb *b = calloc(1, sizeof(*b));
	struct evs s;
	struct mrt_stats st;
	struct mm_diag d;
	size_t r, al, a;

	(void)state;
	r = rec_begin(b, 3000, MRT_TABLE_DUMP, 1);
	put16(b, 0);
	put16(b, 7);
	putv4(b, "172.16.0.0");
	put8(b, 12);
	put8(b, 1);
	put32(b, 2999);
	putv4(b, "192.0.2.20");
	put16(b, 65020);
	al = patch_begin(b, 2);
	attr_origin(b, 0);
	attr_aspath(b, 0, 2, 3, (uint32_t)65020, (uint32_t)65021,
	    (uint32_t)65022);
	a = attr_begin(b, 0xc0, 7);	/* AGGREGATOR, 2-byte AS */
	put16(b, 65022);
	putv4(b, "192.0.2.22");
	patch_end(b, a, 1);
	patch_end(b, al, 2);
	patch_end(b, r, 4);
	assert_int_equal(read_buf(b, &s, &st, &d), 0);
	assert_int_equal(st.bad, 0);
	assert_int_equal(s.n, 1);
	assert_string_equal(s.e[0].pfx, "172.16.0.0/12");
	assert_string_equal(s.e[0].peer, "192.0.2.20");
	assert_int_equal(s.e[0].peer_as, 65020);
	assert_string_equal(s.e[0].path, "65020 65021 65022");
	assert_int_equal(s.e[0].origin_as, 65022);
	free(b);
}

/* ---- hostile input ---- */

static void
test_bad_entries(void **state)
{
	struct bb *b = calloc(1, sizeof(*b));
	struct evs s;
	struct mrt_stats st;
	struct mm_diag d;
	size_t r, al, a, m;
	int i;

	(void)state;
	peer_index_table(b);
	/* entry 0: peer index 7 (no such peer); entry 1: fine */
	r = rec_begin(b, 1001, MRT_TABLE_DUMP_V2, 2);
	put32(b, 0);
	putpfx(b, "10.0.0.0/8");
	put16(b, 2);
	rib_entry_simple(b, 7, 0, 0);
	rib_entry_simple(b, 0, 0, 0);
	patch_end(b, r, 4);
	/* attribute length beyond the attribute block */
	r = rec_begin(b, 1002, MRT_TABLE_DUMP_V2, 2);
	put32(b, 1);
	putpfx(b, "10.1.0.0/16");
	put16(b, 1);
	put16(b, 0);
	put32(b, 1);
	al = patch_begin(b, 2);
	put8(b, 0x40);
	put8(b, 2);
	put8(b, 200);			/* AS_PATH claims 200 bytes */
	put8(b, 2);
	patch_end(b, al, 2);
	patch_end(b, r, 4);
	/* BGP4MP NLRI with prefix length 33 (and not ADD-PATH either) */
	r = bgp4mp_begin(b, MRT_BGP4MP, 4, 1, "192.0.2.9", 65001, 0);
	m = msg_begin(b, 2);
	put16(b, 0);
	al = patch_begin(b, 2);
	attr_origin(b, 0);
	patch_end(b, al, 2);
	put8(b, 33);
	for (i = 0; i < 5; i++)
		put8(b, 0xff);
	msg_end(b, m);
	patch_end(b, r, 4);
	/* AS path over the cap: 5 segments of 255 ASes */
	r = rec_begin(b, 1003, MRT_TABLE_DUMP_V2, 2);
	put32(b, 2);
	putpfx(b, "10.2.0.0/16");
	put16(b, 1);
	put16(b, 0);
	put32(b, 1);
	al = patch_begin(b, 2);
	put8(b, 0x50);			/* extended length */
	put8(b, 2);
	a = patch_begin(b, 2);
	for (i = 0; i < 5; i++) {
		int j;

		put8(b, MRT_AS_SEQUENCE);
		put8(b, 255);
		for (j = 0; j < 255; j++)
			put32(b, 64512u + (unsigned)j);
	}
	patch_end(b, a, 2);
	patch_end(b, al, 2);
	patch_end(b, r, 4);
	/* too many attributes: 300 empty unknown ones */
	r = rec_begin(b, 1004, MRT_TABLE_DUMP_V2, 2);
	put32(b, 3);
	putpfx(b, "10.3.0.0/16");
	put16(b, 1);
	put16(b, 0);
	put32(b, 1);
	al = patch_begin(b, 2);
	for (i = 0; i < 300; i++) {
		put8(b, 0xc0);
		put8(b, 99);
		put8(b, 0);
	}
	patch_end(b, al, 2);
	patch_end(b, r, 4);
	/* ET record without the microsecond field */
	r = rec_begin(b, 1005, MRT_BGP4MP_ET, 4);
	put16(b, 1);
	patch_end(b, r, 4);
	/* unknown type: unsupported, not bad */
	r = rec_begin(b, 1006, 99, 0);
	put32(b, 0);
	patch_end(b, r, 4);
	/* a good record after all that */
	r = rec_begin(b, 1007, MRT_TABLE_DUMP_V2, 2);
	put32(b, 4);
	putpfx(b, "10.4.0.0/16");
	put16(b, 1);
	rib_entry_simple(b, 1, 0, 0);
	patch_end(b, r, 4);

	assert_int_equal(read_buf(b, &s, &st, &d), 0);
	assert_int_equal(st.records, 9);
	assert_int_equal(st.bad, 6);
	assert_int_equal(st.unsupported, 1);
	assert_int_equal(st.ribs, 2);
	assert_int_equal(s.n, 2);
	assert_string_equal(s.e[0].pfx, "10.0.0.0/8");
	assert_string_equal(s.e[1].pfx, "10.4.0.0/16");
	/* the first bad one is described: file, offset, RFC section */
	assert_non_null(strstr(d.msg, "test: record at byte"));
	assert_non_null(strstr(d.msg, "RFC 6396 section 4.3.4"));
	assert_non_null(strstr(d.msg, "peer index 7"));
	assert_true(d.pos > 0);
	free(b);
}

static void
test_truncated_oversized(void **state)
{
	struct bb *b = calloc(1, sizeof(*b));
	struct evs s;
	struct mrt_stats st;
	struct mm_diag d;
	size_t r, good;

	(void)state;
	peer_index_table(b);
	r = rec_begin(b, 1001, MRT_TABLE_DUMP_V2, 2);
	put32(b, 0);
	putpfx(b, "10.0.0.0/8");
	put16(b, 1);
	rib_entry_simple(b, 0, 0, 0);
	patch_end(b, r, 4);
	good = b->n;
	/* truncated: the same record cut in half */
	memcpy(b->b + b->n, b->b + r - 8, (good - (r - 8)) / 2);
	b->n += (good - (r - 8)) / 2;
	assert_int_equal(read_buf(b, &s, &st, &d), 0);
	assert_int_equal(st.ribs, 1);
	assert_int_equal(st.bad, 1);
	assert_non_null(strstr(d.msg, "file ends inside the record"));
	/* oversized length in the middle: counted, reading stops */
	b->n = good;
	rec_begin(b, 1002, MRT_TABLE_DUMP_V2, 2);
	b->b[b->n - 4] = 0x00;
	b->b[b->n - 3] = 0x20;		/* 2 MiB */
	memcpy(b->b + b->n, b->b, 64);
	b->n += 64;
	assert_int_equal(read_buf(b, &s, &st, &d), 0);
	assert_int_equal(st.ribs, 1);
	assert_int_equal(st.bad, 1);
	assert_non_null(strstr(d.msg, "over the"));
	/* callback stop */
	b->n = good;
	memset(&s, 0, sizeof(s));
	memset(&st, 0, sizeof(st));
	s.stop_at = 1;
	assert_int_equal(mrt_read_buf(b->b, b->n, "t", collect, &s, &st, &d),
	    7);
	/* not MRT at all; empty input */
	memset(&st, 0, sizeof(st));
	assert_int_equal(mrt_read_buf("hello, world, not MRT", 21, "txt",
	    NULL, NULL, &st, &d), MM_EFORMAT);
	assert_non_null(strstr(d.msg, "not an MRT file"));
	assert_int_equal(mrt_read_buf("", 0, "empty", NULL, NULL, &st, &d),
	    0);
	assert_int_equal(mrt_read_file("/nonexistent/mrt", NULL, NULL, &st,
	    &d), MM_EIO);
	free(b);
}

static void
test_aspath_fmt(void **state)
{
	static const uint32_t path[] = { 1, 2, 3, 4, 5, 6, 7 };
	static const struct mrt_seg segs[] = {
		{ MRT_AS_CONFED_SEQUENCE, 0, 2 },
		{ MRT_AS_SEQUENCE, 2, 2 },
		{ MRT_AS_CONFED_SET, 4, 1 },
		{ MRT_AS_SET, 5, 2 },
	};
	struct mrt_attrs a;
	char buf[64], small[12];

	(void)state;
	memset(&a, 0, sizeof(a));
	a.path = path;
	a.path_len = 7;
	a.segs = segs;
	a.nsegs = 4;
	assert_string_equal(mrt_aspath_fmt(&a, buf, sizeof(buf)),
	    "(1 2) 3 4 [5] {6,7}");
	mrt_aspath_fmt(&a, small, sizeof(small));
	assert_non_null(strstr(small, "..."));
	assert_true(strlen(small) < sizeof(small));
}

/* ---- shared files ---- */

struct known {
	const char	*name;
	uint64_t	 ribs, announces, states, unsupported, guessed;
};

static const struct known knowns[] = {
	{ "bird-mrtdump_bgp", 0, 12, 12, 0, 0 },
	{ "bird-mrtdump_rib", 18, 0, 0, 0, 0 },
	{ "bird6-mrtdump_bgp", 0, 12, 12, 0, 0 },
	{ "bird6-mrtdump_rib", 10, 0, 0, 0, 0 },
	{ "bird6_bgp", 0, 14, 12, 0, 6 },
	{ "bird_bgp", 0, 14, 12, 0, 6 },
	{ "openbgpd_bgp", 0, 93, 16, 0, 0 },
	{ "openbgpd_rib_table", 31, 0, 0, 0, 0 },
	{ "openbgpd_rib_table-mp", 0, 0, 0, 31, 0 },
	{ "openbgpd_rib_table-v2", 31, 0, 0, 2, 0 },
	{ "quagga_bgp", 0, 18, 20, 0, 0 },
	{ "quagga_rib", 9, 0, 0, 0, 0 },
};

static uint8_t *
slurp(const char *path, size_t *len)
{
	FILE *fp = fopen(path, "rb");
	uint8_t *p;
	long n;

	if (fp == NULL)
		return NULL;
	fseek(fp, 0, SEEK_END);
	n = ftell(fp);
	fseek(fp, 0, SEEK_SET);
	p = malloc((size_t)n + 1);
	assert_non_null(p);
	assert_int_equal(fread(p, 1, (size_t)n, fp), (size_t)n);
	fclose(fp);
	*len = (size_t)n;
	return p;
}

static int
count_only(const struct mrt_route *r, void *arg)
{
	/* touch everything the callback may see */
	char buf[512];

	(void)arg;
	if (r->attr != NULL)
		mrt_aspath_fmt(r->attr, buf, sizeof(buf));
	return 0;
}

static void
test_shared_files(void **state)
{
	char path[1024];
	struct mrt_stats st, st2;
	struct mm_diag d;
	uint8_t *p, *q;
	uint32_t x = 2463534242u;
	size_t len = 0, n, i, k;
	int found = 0;

	(void)state;
	for (i = 0; i < sizeof(knowns) / sizeof(knowns[0]); i++) {
		snprintf(path, sizeof(path), "%s/mrt/%s", MAMORI_TESTDATA,
		    knowns[i].name);
		if (access(path, R_OK) != 0)
			continue;
		found++;
		memset(&st, 0, sizeof(st));
		assert_int_equal(mrt_read_file(path, count_only, NULL, &st,
		    &d), 0);
		if (st.bad != 0 || st.ribs != knowns[i].ribs ||
		    st.announces != knowns[i].announces ||
		    st.states != knowns[i].states ||
		    st.unsupported != knowns[i].unsupported ||
		    st.addpath_guessed != knowns[i].guessed)
			fail_msg("%s: ribs %llu ann %llu states %llu unsup %llu "
			    "guessed %llu bad %llu (%s)", knowns[i].name,
			    (unsigned long long)st.ribs,
			    (unsigned long long)st.announces,
			    (unsigned long long)st.states,
			    (unsigned long long)st.unsupported,
			    (unsigned long long)st.addpath_guessed,
			    (unsigned long long)st.bad, d.msg);
		p = slurp(path, &len);
		assert_non_null(p);
		/* the buffer reader agrees */
		memset(&st2, 0, sizeof(st2));
		assert_int_equal(mrt_read_buf(p, len, knowns[i].name,
		    count_only, NULL, &st2, &d), 0);
		assert_memory_equal(&st, &st2, sizeof(st));
		/* every truncation: no crash, at most one bad record */
		for (n = 1; n < len; n++) {
			memset(&st2, 0, sizeof(st2));
			(void)mrt_read_buf(p, n, "cut", count_only, NULL, &st2,
			    &d);
			assert_true(st2.bad <= 1);
		}
		/* byte flips: no crash (the sanitizers watch) */
		q = malloc(len);
		assert_non_null(q);
		for (k = 0; k < 300; k++) {
			memcpy(q, p, len);
			for (n = 0; n < 4; n++) {
				x ^= x << 13;
				x ^= x >> 17;
				x ^= x << 5;
				q[x % len] = (uint8_t)(x >> 8);
			}
			memset(&st2, 0, sizeof(st2));
			(void)mrt_read_buf(q, len, "flip", count_only, NULL,
			    &st2, &d);
		}
		free(q);
		free(p);
	}
	if (found == 0)
		skip();
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table_dump_v2),
		cmocka_unit_test(test_bgp4mp),
		cmocka_unit_test(test_table_dump_v1),
		cmocka_unit_test(test_bad_entries),
		cmocka_unit_test(test_truncated_oversized),
		cmocka_unit_test(test_aspath_fmt),
		cmocka_unit_test(test_shared_files),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
