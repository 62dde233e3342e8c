/*
 * test_export.c - the flow-export encoder (flow/export.h), its byte writer
 * (flow/wbuf.h) and the ISP generator (lab/isp.h).
 *
 * Structure tests take datagrams apart by hand (through the cursor) and
 * check header fields, template ids, set lengths and sequence numbers
 * against RFC 3954 / RFC 7011 and the Cisco v5 layout. Round-trip tests
 * feed the encoder's datagrams to decoder_datagram() and require the very
 * flows that went in (v5: the fields v5 has).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/addr.h"
#include "core/cursor.h"
#include "flow/decode.h"
#include "flow/export.h"
#include "flow/wbuf.h"
#include "lab/isp.h"

#define T0	1767225600000LL		/* 2026-01-01T00:00:00Z */
#define MAXDG	4096

/* Datagrams captured from an exporter. */
struct cap {
	uint8_t		*buf[MAXDG];
	size_t		 len[MAXDG];
	mtime_t		 now[MAXDG];
	size_t		 n;
};

static int
cap_emit(void *arg, const uint8_t *buf, size_t len, mtime_t now)
{
	struct cap *c = arg;

	assert_true(c->n < MAXDG);
	c->buf[c->n] = malloc(len);
	assert_non_null(c->buf[c->n]);
	memcpy(c->buf[c->n], buf, len);
	c->len[c->n] = len;
	c->now[c->n] = now;
	c->n++;
	return 0;
}

static void
cap_free(struct cap *c)
{
	size_t i;

	for (i = 0; i < c->n; i++)
		free(c->buf[i]);
	c->n = 0;
}

static uint16_t
be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t
be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | p[3];
}

static void
mkflow4(struct flow *f, uint32_t src, uint32_t dst, mtime_t first,
    mtime_t last)
{
	memset(f, 0, sizeof(*f));
	addr_from_v4(&f->src, src);
	addr_from_v4(&f->dst, dst);
	addr_from_v4(&f->nexthop, 0xc0000201U);
	f->first = first;
	f->last = last;
	f->packets = 10;
	f->bytes = 1500;
	f->src_port = 40000;
	f->dst_port = 443;
	f->proto = 6;
	f->tcp_flags = 0x1b;
	f->src_as = 64500;
	f->dst_as = 64512;
	f->in_if = 3;
	f->out_if = 4;
	f->src_mask = 16;
	f->dst_mask = 24;
	f->vlan = 100;
	f->direction = FLOW_DIR_INGRESS;
	f->sampling = 1;
}

static void
mkflow6(struct flow *f, mtime_t first, mtime_t last)
{
	uint8_t b[16] = { 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0,
	    0, 0, 0, 0, 0, 0, 0, 1 };

	mkflow4(f, 0, 0, first, last);
	addr_from_v6(&f->src, b);
	b[15] = 2;
	addr_from_v6(&f->dst, b);
	b[15] = 3;
	addr_from_v6(&f->nexthop, b);
	f->src_mask = 48;
	f->dst_mask = 32;
}

static void
test_wbuf(void **state)
{
	uint8_t b[8];
	struct wbuf w;

	(void)state;
	wbuf_init(&w, b, sizeof(b));
	assert_int_equal(put_u16(&w, 0x0102), 0);
	assert_int_equal(put_u32(&w, 0x03040506), 0);
	assert_int_equal(put_u32(&w, 1), MM_ELIMIT);	/* 2 bytes left */
	assert_int_equal(w.len, 6);
	assert_int_equal(w.err, MM_ELIMIT);
	assert_int_equal(put_u8(&w, 7), 0);
	assert_int_equal(put_u16_at(&w, 0, 0xaabb), 0);
	assert_int_equal(put_u16_at(&w, 6, 1), MM_ELIMIT);
	assert_int_equal(b[0], 0xaa);
	assert_int_equal(b[1], 0xbb);
	assert_int_equal(b[2], 3);
	assert_int_equal(b[5], 6);
	assert_int_equal(b[6], 7);
	wbuf_init(&w, b, sizeof(b));
	assert_int_equal(put_uint_n(&w, 3, 0x123456), 0);
	assert_int_equal(b[0], 0x12);
	assert_int_equal(b[2], 0x56);
	assert_int_equal(put_u32_le(&w, 0x01020304), 0);
	assert_int_equal(b[3], 0x04);
	assert_int_equal(b[6], 0x01);
}

static void
test_v5_structure(void **state)
{
	struct export_conf conf;
	struct flow_exporter *e;
	struct export_counters c;
	struct flow f;
	struct cap cap;
	const uint8_t *d, *r;
	mtime_t now = T0 + 1234;
	int i;

	(void)state;
	memset(&cap, 0, sizeof(cap));
	memset(&conf, 0, sizeof(conf));
	conf.mtu = 1500;
	conf.boot = T0 - 60000;
	conf.engine_id = 7;
	assert_non_null(e = exporter_new(EXPORT_NFV5, &conf));
	for (i = 0; i < 31; i++) {
		mkflow4(&f, 0x64400001U + (uint32_t)i, 0xc6120001U,
		    T0 - 1000, T0);
		assert_int_equal(exporter_add(e, &f, now, cap_emit, &cap), 0);
	}
	assert_int_equal(cap.n, 1);		/* 30 records max */
	mkflow6(&f, T0, T0);
	assert_int_equal(exporter_add(e, &f, now, cap_emit, &cap), MM_EUNSUP);
	assert_int_equal(exporter_flush(e, now, cap_emit, &cap), 0);
	assert_int_equal(cap.n, 2);
	assert_int_equal(exporter_flush(e, now, cap_emit, &cap), 0);
	assert_int_equal(cap.n, 2);		/* nothing pending */

	d = cap.buf[0];
	assert_int_equal(cap.len[0], 24 + 30 * 48);
	assert_int_equal(be16(d), 5);
	assert_int_equal(be16(d + 2), 30);
	assert_int_equal(be32(d + 4), 61234);		/* sysUptime */
	assert_int_equal(be32(d + 8), T0 / 1000 + 1);
	assert_int_equal(be32(d + 12), 234000000);	/* nsecs */
	assert_int_equal(be32(d + 16), 0);		/* flows before */
	assert_int_equal(d[21], 7);
	r = d + 24;
	assert_int_equal(be32(r), 0x64400001U);
	assert_int_equal(be32(r + 4), 0xc6120001U);
	assert_int_equal(be32(r + 8), 0xc0000201U);
	assert_int_equal(be16(r + 12), 3);
	assert_int_equal(be16(r + 14), 4);
	assert_int_equal(be32(r + 16), 10);
	assert_int_equal(be32(r + 20), 1500);
	assert_int_equal(be32(r + 24), 59000);		/* First */
	assert_int_equal(be32(r + 28), 60000);		/* Last */
	assert_int_equal(be16(r + 32), 40000);
	assert_int_equal(be16(r + 34), 443);
	assert_int_equal(r[37], 0x1b);
	assert_int_equal(r[38], 6);
	assert_int_equal(be16(r + 40), 64500);
	assert_int_equal(be16(r + 42), 64512);
	assert_int_equal(r[44], 16);
	assert_int_equal(r[45], 24);

	d = cap.buf[1];
	assert_int_equal(cap.len[1], 24 + 48);
	assert_int_equal(be16(d + 2), 1);
	assert_int_equal(be32(d + 16), 30);		/* flow sequence */

	exporter_counters(e, &c);
	assert_int_equal(c.flows, 31);
	assert_int_equal(c.skipped, 1);
	assert_int_equal(c.datagrams, 2);
	assert_int_equal(c.packets, 310);
	exporter_free(e);
	cap_free(&cap);

	/* the default mtu of 1400 holds 28 records */
	assert_non_null(e = exporter_new(EXPORT_NFV5, NULL));
	for (i = 0; i < 29; i++) {
		mkflow4(&f, 1, 2, T0, T0);
		assert_int_equal(exporter_add(e, &f, now, cap_emit, &cap), 0);
	}
	assert_int_equal(cap.n, 1);
	assert_int_equal(be16(cap.buf[0] + 2), 28);
	exporter_free(e);
	cap_free(&cap);
}

/* Walks one v9/IPFIX datagram; returns data records, checks set lengths,
 * records template ids seen in *tmpl (bitmask: 1 = 256, 2 = 257). */
static unsigned
walk_sets(const uint8_t *d, size_t len, int ipfix, unsigned *tmpl,
    unsigned *tmplrec, size_t rl4, size_t rl6)
{
	struct cursor c, set, t;
	uint16_t id, slen, tid, nf, ie, flen;
	unsigned n = 0, i;
	size_t rl, sum;

	cur_init(&c, d, len);
	assert_int_equal(cur_skip(&c, ipfix ? 16 : 20), 0);
	*tmpl = 0;
	*tmplrec = 0;
	while (cur_left(&c) > 0) {
		assert_int_equal(get_u16(&c, &id), 0);
		assert_int_equal(get_u16(&c, &slen), 0);
		assert_true(slen >= 4);
		assert_int_equal(get_sub(&c, slen - 4u, &set), 0);
		if (id == (ipfix ? 2 : 0)) {
			while (cur_left(&set) >= 4) {
				assert_int_equal(get_u16(&set, &tid), 0);
				assert_int_equal(get_u16(&set, &nf), 0);
				assert_true(tid == 256 || tid == 257);
				*tmpl |= tid == 256 ? 1 : 2;
				(*tmplrec)++;
				sum = 0;
				for (i = 0; i < nf; i++) {
					assert_int_equal(get_sub(&set, 4, &t),
					    0);
					get_u16(&t, &ie);
					get_u16(&t, &flen);
					assert_true(ie < 0x8000);
					sum += flen;
				}
				assert_int_equal(sum, tid == 256 ? rl4 : rl6);
			}
			assert_int_equal(cur_left(&set), 0);
			continue;
		}
		assert_true(id == 256 || id == 257);
		rl = id == 256 ? rl4 : rl6;
		/* records, then (v9 only) < 4 bytes of padding */
		assert_true(cur_left(&set) >= rl);
		if (ipfix)
			assert_int_equal(cur_left(&set) % rl, 0);
		else {
			assert_int_equal(slen % 4, 0);
			assert_true(cur_left(&set) % rl < 4);
		}
		n += (unsigned)(cur_left(&set) / rl);
	}
	return n;
}

static void
test_v9_structure(void **state)
{
	struct export_conf conf;
	struct flow_exporter *e;
	struct flow f;
	struct cap cap;
	unsigned tmpl, tmplrec, n, total = 0;
	size_t i;
	int k;

	(void)state;
	memset(&cap, 0, sizeof(cap));
	memset(&conf, 0, sizeof(conf));
	conf.domain = 0x01020304;
	conf.tmpl_every_pkts = 3;
	conf.tmpl_every_ms = -1;
	assert_non_null(e = exporter_new(EXPORT_NFV9, &conf));
	for (k = 0; k < 200; k++) {
		if (k % 3 == 0)
			mkflow6(&f, T0, T0 + 500);
		else
			mkflow4(&f, 1, 2, T0, T0 + 500);
		assert_int_equal(exporter_add(e, &f, T0 + 5500, cap_emit,
		    &cap), 0);
	}
	exporter_flush(e, T0 + 5500, cap_emit, &cap);
	assert_true(cap.n > 5);
	for (i = 0; i < cap.n; i++) {
		const uint8_t *d = cap.buf[i];

		assert_true(cap.len[i] <= EXPORT_DEF_MTU);
		assert_int_equal(be16(d), 9);
		assert_int_equal(be32(d + 8), (T0 + 5500) / 1000);
		/* whole-second header: secs*1000 - uptime == boot */
		assert_int_equal(be32(d + 4), 86400000 - 500);
		assert_int_equal(be32(d + 12), i);	/* datagram count */
		assert_int_equal(be32(d + 16), 0x01020304);
		n = walk_sets(d, cap.len[i], 0, &tmpl, &tmplrec,
		    4 + 4 + 4 + 2 + 2 + 1 + 1 + 1 + 1 + 1 + 4 + 4 + 4 + 4 +
		    8 + 8 + 4 + 4 + 2 + 1 + 2,
		    16 * 3 + 2 + 2 + 1 + 1 + 1 + 1 + 1 + 4 + 4 + 4 + 4 +
		    8 + 8 + 4 + 4 + 2 + 1 + 2);
		/* count = template records + data records */
		assert_int_equal(be16(d + 2), n + tmplrec);
		if (i % 3 == 0)
			assert_int_equal(tmpl, 3);
		else
			assert_int_equal(tmpl, 0);
		total += n;
	}
	assert_int_equal(total, 200);
	exporter_free(e);
	cap_free(&cap);
}

static void
test_ipfix_structure(void **state)
{
	struct export_conf conf;
	struct flow_exporter *e;
	struct flow f;
	struct cap cap;
	unsigned tmpl, tmplrec, n, total = 0;
	size_t i;
	int k;

	(void)state;
	memset(&cap, 0, sizeof(cap));
	memset(&conf, 0, sizeof(conf));
	conf.domain = 42;
	conf.mtu = 600;
	conf.tmpl_every_pkts = 1000;
	conf.tmpl_every_ms = 10000;
	assert_non_null(e = exporter_new(EXPORT_IPFIX, &conf));
	for (k = 0; k < 300; k++) {
		if (k % 4 == 0)
			mkflow6(&f, T0, T0 + 500);
		else
			mkflow4(&f, 1, 2, T0, T0 + 500);
		/* export time advances 100 ms per flow */
		assert_int_equal(exporter_add(e, &f, T0 + 100 * k, cap_emit,
		    &cap), 0);
	}
	exporter_flush(e, T0 + 30000, cap_emit, &cap);
	for (i = 0; i < cap.n; i++) {
		const uint8_t *d = cap.buf[i];

		assert_true(cap.len[i] <= 600);
		assert_int_equal(be16(d), 10);
		assert_int_equal(be16(d + 2), cap.len[i]);	/* length */
		assert_int_equal(be32(d + 4), cap.now[i] / 1000);
		assert_int_equal(be32(d + 8), total);	/* records before */
		assert_int_equal(be32(d + 12), 42);
		n = walk_sets(d, cap.len[i], 1, &tmpl, &tmplrec,
		    4 + 4 + 4 + 2 + 2 + 1 + 1 + 2 + 1 + 1 + 4 + 4 + 4 + 4 +
		    8 + 8 + 8 + 8 + 2 + 1 + 2,
		    16 * 3 + 2 + 2 + 1 + 1 + 2 + 1 + 1 + 4 + 4 + 4 + 4 +
		    8 + 8 + 8 + 8 + 2 + 1 + 2);
		if (i == 0)
			assert_int_equal(tmpl, 3);
		total += n;
	}
	assert_int_equal(total, 300);
	/* 30 s of export time, refresh every 10 s: 3 or 4 template sets */
	for (i = 0, n = 0; i < cap.n; i++)
		if (be16(cap.buf[i] + 16) == 2)
			n++;
	assert_true(n >= 3 && n <= 4);
	exporter_free(e);
	cap_free(&cap);
}

static int
flow_eq(const struct flow *a, const struct flow *b, int v5)
{
	if (a->first != b->first || a->last != b->last ||
	    addr_cmp(&a->src, &b->src) != 0 ||
	    addr_cmp(&a->dst, &b->dst) != 0 ||
	    addr_cmp(&a->nexthop, &b->nexthop) != 0 ||
	    a->packets != b->packets || a->bytes != b->bytes ||
	    a->src_as != b->src_as || a->dst_as != b->dst_as ||
	    a->in_if != b->in_if || a->out_if != b->out_if ||
	    a->src_port != b->src_port || a->dst_port != b->dst_port ||
	    a->proto != b->proto || a->tcp_flags != b->tcp_flags ||
	    a->tos != b->tos || a->src_mask != b->src_mask ||
	    a->dst_mask != b->dst_mask)
		return 0;
	if (!v5 && (a->vlan != b->vlan || a->direction != b->direction))
		return 0;
	return 1;
}

static void
test_isp_determinism(void **state)
{
	struct isp_conf conf;
	struct isp *a, *b, *c;
	struct flow fa, fb, fc;
	int i, differ = 0, v6 = 0, bidir = 0;
	struct mm_prefix sub4, sub6, srv4, srv6;

	(void)state;
	prefix_parse("100.64.0.0/16", &sub4);
	prefix_parse("2001:db8:100::/48", &sub6);
	prefix_parse("198.18.0.0/15", &srv4);
	prefix_parse("2001:db8:f000::/36", &srv6);
	memset(&conf, 0, sizeof(conf));
	conf.seed = 12345;
	conf.v6_pct = -1;
	assert_non_null(a = isp_new(&conf));
	assert_non_null(b = isp_new(&conf));
	conf.seed = 12346;
	assert_non_null(c = isp_new(&conf));
	for (i = 0; i < 100000; i++) {
		isp_next(a, &fa);
		isp_next(b, &fb);
		isp_next(c, &fc);
		assert_true(flow_eq(&fa, &fb, 0));
		assert_int_equal(isp_clock(a), isp_clock(b));
		if (!flow_eq(&fa, &fc, 0))
			differ++;
		assert_true(fa.first >= ISP_DEF_START);
		assert_true(fa.first <= fa.last);
		assert_true(fa.last <= isp_clock(a));
		assert_true(fa.last - fa.first <= 300000);
		assert_true(fa.packets >= 1 && fa.bytes >= fa.packets);
		assert_true(fa.bytes <= UINT32_MAX);
		assert_true(fa.src_as <= 0xffff && fa.dst_as <= 0xffff);
		assert_true(fa.in_if <= 0xffff && fa.out_if <= 0xffff);
		/* every flow has one subscriber side and one remote side */
		if (addr_is_v4(&fa.src)) {
			assert_true((prefix_contains(&sub4, &fa.src) &&
			    prefix_contains(&srv4, &fa.dst)) ||
			    (prefix_contains(&srv4, &fa.src) &&
			    prefix_contains(&sub4, &fa.dst)));
		} else {
			v6++;
			assert_true((prefix_contains(&sub6, &fa.src) &&
			    prefix_contains(&srv6, &fa.dst)) ||
			    (prefix_contains(&srv6, &fa.src) &&
			    prefix_contains(&sub6, &fa.dst)));
		}
		if (fa.direction == FLOW_DIR_EGRESS)
			bidir++;
	}
	assert_true(differ > 99000);
	assert_true(v6 > 5000 && v6 < 50000);
	assert_true(bidir > 30000);
	/* 10000 flows/s by default */
	assert_int_equal(isp_clock(a), ISP_DEF_START + ISP_WARMUP_MS + 10000);
	isp_free(a);
	isp_free(b);
	isp_free(c);
	conf.subscribers = ISP_MAX_SUBSCRIBERS + 1;
	assert_null(isp_new(&conf));
}

static void
flow_print(const char *what, const struct flow *f)
{
	char a[ADDR_STRLEN], b[ADDR_STRLEN], n[ADDR_STRLEN];

	print_message("%s: %lld %lld %s %s nh %s %llu pkts %llu bytes "
	    "as %u %u if %u %u ports %u %u proto %u flags %u tos %u "
	    "mask %u %u vlan %u dir %u\n", what, (long long)f->first,
	    (long long)f->last, addr_fmt(&f->src, a, sizeof(a)),
	    addr_fmt(&f->dst, b, sizeof(b)),
	    addr_fmt(&f->nexthop, n, sizeof(n)),
	    (unsigned long long)f->packets, (unsigned long long)f->bytes,
	    f->src_as, f->dst_as, f->in_if, f->out_if, f->src_port,
	    f->dst_port, f->proto, f->tcp_flags, f->tos, f->src_mask,
	    f->dst_mask, f->vlan, f->direction);
}

static void
flow_diff(const struct flow *want, const struct flow *got, size_t i)
{
	print_message("mismatch at sorted flow %zu\n", i);
	flow_print("want", want);
	flow_print("got ", got);
}

/* Round trip: isp -> exporter -> decoder -> same flows (as a multiset:
 * v9/IPFIX datagrams group records by template, so the order changes). */
struct rt {
	struct flow	*out;
	size_t		 nout, cap;
};

/* Total order over every field the encoders carry. */
static int
flow_cmp(const void *pa, const void *pb)
{
	const struct flow *a = pa, *b = pb;
	int c;

#define CMPF(x) if (a->x != b->x) return a->x < b->x ? -1 : 1
	CMPF(first);
	CMPF(last);
	if ((c = addr_cmp(&a->src, &b->src)) != 0)
		return c;
	if ((c = addr_cmp(&a->dst, &b->dst)) != 0)
		return c;
	if ((c = addr_cmp(&a->nexthop, &b->nexthop)) != 0)
		return c;
	CMPF(packets);
	CMPF(bytes);
	CMPF(src_as);
	CMPF(dst_as);
	CMPF(in_if);
	CMPF(out_if);
	CMPF(src_port);
	CMPF(dst_port);
	CMPF(proto);
	CMPF(tcp_flags);
	CMPF(tos);
	CMPF(src_mask);
	CMPF(dst_mask);
	CMPF(vlan);
	CMPF(direction);
#undef CMPF
	return 0;
}

static int
rt_flow(void *arg, const struct flow *f)
{
	struct rt *rt = arg;

	if (rt->nout < rt->cap)
		rt->out[rt->nout] = *f;
	rt->nout++;
	return 0;
}

struct rt_dec {
	struct decoder	*dec;
	struct rt	*rt;
	int		 errors;
};

static int
rt_emit(void *arg, const uint8_t *buf, size_t len, mtime_t now)
{
	struct rt_dec *d = arg;
	struct mm_addr from;
	struct mm_diag diag;

	addr_from_v4(&from, 0x7f000001U);
	if (decoder_datagram(d->dec, &from, 50000, now, buf, len, rt_flow,
	    d->rt, &diag) != 0) {
		if (d->errors++ == 0)
			print_message("decoder: %s\n", diag.msg);
	}
	return 0;
}

static void
round_trip(enum export_format fmt)
{
	struct isp_conf ic;
	struct isp *g;
	struct flow_exporter *e;
	struct flow *in;
	struct rt rt;
	struct rt_dec d;
	size_t i, n = 20000, bad = 0;
	int v6 = 0;

	memset(&ic, 0, sizeof(ic));
	ic.seed = 7;
	ic.v6_pct = fmt == EXPORT_NFV5 ? 0 : 60;
	memset(&rt, 0, sizeof(rt));
	assert_non_null(in = calloc(n, sizeof(*in)));
	assert_non_null(rt.out = calloc(n, sizeof(*rt.out)));
	rt.cap = n;
	assert_non_null(g = isp_new(&ic));
	assert_non_null(e = exporter_new(fmt, NULL));
	assert_non_null(d.dec = decoder_new(NULL));
	d.rt = &rt;
	d.errors = 0;
	for (i = 0; i < n; i++) {
		isp_next(g, &in[i]);
		if (!addr_is_v4(&in[i].src))
			v6++;
		assert_int_equal(exporter_add(e, &in[i], isp_clock(g),
		    rt_emit, &d), 0);
	}
	assert_int_equal(exporter_flush(e, isp_clock(g), rt_emit, &d), 0);
	if (fmt != EXPORT_NFV5)
		assert_true(v6 > 1000);
	assert_int_equal(d.errors, 0);
	assert_int_equal(rt.nout, n);
	for (i = 0; i < n; i++) {
		if (fmt == EXPORT_NFV5) {
			in[i].vlan = 0;		/* not in v5 */
			in[i].direction = 0;
		}
		memset(&in[i].exporter, 0, sizeof(in[i].exporter));
		memset(&rt.out[i].exporter, 0, sizeof(rt.out[i].exporter));
	}
	qsort(in, n, sizeof(*in), flow_cmp);
	qsort(rt.out, n, sizeof(*rt.out), flow_cmp);
	for (i = 0; i < n; i++)
		if (flow_cmp(&in[i], &rt.out[i]) != 0 && bad++ == 0)
			flow_diff(&in[i], &rt.out[i], i);
	assert_int_equal(bad, 0);
	decoder_free(d.dec);
	exporter_free(e);
	isp_free(g);
	free(in);
	free(rt.out);
}

static void
test_roundtrip_v5(void **state)
{
	(void)state;
	round_trip(EXPORT_NFV5);
}

static void
test_roundtrip_v9(void **state)
{
	(void)state;
	round_trip(EXPORT_NFV9);
}

static void
test_roundtrip_ipfix(void **state)
{
	(void)state;
	round_trip(EXPORT_IPFIX);
}

static void
test_bad_conf(void **state)
{
	struct export_conf conf;
	enum export_format fmt;

	(void)state;
	memset(&conf, 0, sizeof(conf));
	conf.mtu = 100;
	assert_null(exporter_new(EXPORT_IPFIX, &conf));
	assert_null(exporter_new((enum export_format)7, NULL));
	assert_int_equal(export_format_parse("ipfix", &fmt), 0);
	assert_int_equal(fmt, EXPORT_IPFIX);
	assert_int_equal(export_format_parse("v7", &fmt), -1);
	exporter_free(NULL);
	isp_free(NULL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_wbuf),
		cmocka_unit_test(test_v5_structure),
		cmocka_unit_test(test_v9_structure),
		cmocka_unit_test(test_ipfix_structure),
		cmocka_unit_test(test_isp_determinism),
		cmocka_unit_test(test_roundtrip_v5),
		cmocka_unit_test(test_roundtrip_v9),
		cmocka_unit_test(test_roundtrip_ipfix),
		cmocka_unit_test(test_bad_conf),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
