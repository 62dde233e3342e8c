/*
 * test_decode.c - unit tests of the flow-export decoder, packet parser and
 * capture reader on hand-built input: valid records of every version,
 * truncations, absurd counts and lengths, IPFIX template withdrawal,
 * variable-length and enterprise fields, reduced-size encoding, all time
 * forms, options-data sampling, template flood and TTL, sequence gaps,
 * exporter cap and unknown versions. Captures are in test_decode_captures.c.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/addr.h"
#include "flow/decode.h"
#include "flow/packet.h"
#include "flow/pcapfile.h"

/* --- datagram builder ---------------------------------------------------- */

struct buf {
	uint8_t	b[9000];
	size_t	n;
};

static void
p8(struct buf *b, unsigned v)
{
	assert_true(b->n < sizeof(b->b));
	b->b[b->n++] = (uint8_t)v;
}

static void
p16(struct buf *b, unsigned v)
{
	p8(b, v >> 8);
	p8(b, v);
}

static void
p32(struct buf *b, uint32_t v)
{
	p16(b, v >> 16);
	p16(b, v & 0xffff);
}

static void
p64(struct buf *b, uint64_t v)
{
	p32(b, (uint32_t)(v >> 32));
	p32(b, (uint32_t)v);
}

static void
pset16(struct buf *b, size_t off, unsigned v)
{
	b->b[off] = (uint8_t)(v >> 8);
	b->b[off + 1] = (uint8_t)v;
}

/* IPFIX header; returns nothing, length patched by ipfix_end. */
static void
ipfix_begin(struct buf *b, uint32_t etime, uint32_t seq, uint32_t domain)
{
	b->n = 0;
	p16(b, 10);
	p16(b, 0);
	p32(b, etime);
	p32(b, seq);
	p32(b, domain);
}

static void
ipfix_end(struct buf *b)
{
	pset16(b, 2, (unsigned)b->n);
}

static size_t
set_begin(struct buf *b, unsigned id)
{
	size_t off = b->n;

	p16(b, id);
	p16(b, 0);
	return off;
}

static void
set_end(struct buf *b, size_t off)
{
	pset16(b, off + 2, (unsigned)(b->n - off));
}

/* --- emit capture -------------------------------------------------------- */

struct sink {
	struct flow	f[64];
	size_t		n;
	int		stop_after;
};

static int
sink_emit(void *arg, const struct flow *f)
{
	struct sink *s = arg;

	if (s->n < 64)
		s->f[s->n] = *f;
	s->n++;
	if (s->stop_after != 0 && (int)s->n >= s->stop_after)
		return 7;
	return 0;
}

static struct mm_addr exp_a;

static int
feed(struct decoder *dec, struct buf *b, mtime_t now, struct sink *s,
    struct mm_diag *d)
{
	return decoder_datagram(dec, &exp_a, 2055, now, b->b, b->n,
	    sink_emit, s, d);
}

static struct exporter_stats
stats_of(struct decoder *dec)
{
	struct exporter_stats st[4];

	memset(st, 0, sizeof(st));
	assert_true(decoder_stats(dec, st, 4) >= 1);
	return st[0];
}

static int
setup(void **state)
{
	(void)state;
	assert_int_equal(addr_parse("192.0.2.1", &exp_a), 0);
	return 0;
}

static void
assert_addr(const struct mm_addr *a, const char *s)
{
	struct mm_addr x;

	assert_int_equal(addr_parse(s, &x), 0);
	assert_memory_equal(a->b, x.b, 16);
}

/* --- version sniffing ---------------------------------------------------- */

static void
test_unknown_version(void **state)
{
	struct decoder *dec = decoder_new(NULL);
	struct sink s = { .n = 0 };
	struct mm_diag d;
	struct buf b = { .n = 0 };
	struct exporter_stats st;

	(void)state;
	p16(&b, 7);
	p16(&b, 1);
	assert_int_equal(feed(dec, &b, 1000, &s, &d), MM_EUNSUP);
	assert_non_null(strstr(d.msg, "192.0.2.1:2055"));
	assert_non_null(strstr(d.msg, "version 7"));
	b.n = 1;
	assert_int_equal(feed(dec, &b, 1000, &s, &d), MM_ETRUNC);
	b.n = 0;
	assert_int_equal(feed(dec, &b, 1000, &s, &d), MM_ETRUNC);
	/* sFlow-like but version 4 */
	b.n = 0;
	p32(&b, 4);
	assert_int_equal(feed(dec, &b, 1000, &s, &d), MM_EUNSUP);
	st = stats_of(dec);
	assert_int_equal(st.malformed, 4);
	assert_int_equal(st.datagrams, 4);
	assert_int_equal(s.n, 0);
	decoder_free(dec);
	decoder_free(NULL);
}

/* --- NetFlow v5 ---------------------------------------------------------- */

static void
v5_build(struct buf *b, unsigned count, unsigned nrec, uint32_t seq)
{
	unsigned i;

	b->n = 0;
	p16(b, 5);
	p16(b, count);
	p32(b, 100000);		/* uptime ms */
	p32(b, 1700000000);	/* unix secs */
	p32(b, 500000000);	/* nsecs: .5 s */
	p32(b, seq);
	p8(b, 1);
	p8(b, 2);
	p16(b, 0x4000 | 100);	/* mode 1, 1-in-100 */
	for (i = 0; i < nrec; i++) {
		p32(b, 0x0a000001 + i);
		p32(b, 0xc0000202);
		p32(b, 0x0a0000fe);
		p16(b, 3);
		p16(b, 4);
		p32(b, 10);
		p32(b, 1500);
		p32(b, 90000);	/* first: 10 s before export */
		p32(b, 99000);
		p16(b, 1234);
		p16(b, 80);
		p8(b, 0);
		p8(b, 0x12);
		p8(b, 6);
		p8(b, 0x20);
		p16(b, 64500);
		p16(b, 64501);
		p8(b, 24);
		p8(b, 16);
		p16(b, 0);
	}
}

static void
test_nfv5(void **state)
{
	struct decoder_conf conf = { .scale = 1 };
	struct decoder *dec = decoder_new(&conf);
	struct sink s = { .n = 0 };
	struct mm_diag d;
	struct buf b;
	struct exporter_stats st;
	const struct flow *f;

	(void)state;
	v5_build(&b, 2, 2, 1000);
	assert_int_equal(feed(dec, &b, 5, &s, &d), 0);
	assert_int_equal(s.n, 2);
	f = &s.f[0];
	assert_addr(&f->src, "10.0.0.1");
	assert_addr(&f->dst, "192.0.2.2");
	assert_addr(&f->nexthop, "10.0.0.254");
	assert_addr(&f->exporter, "192.0.2.1");
	assert_int_equal(f->in_if, 3);
	assert_int_equal(f->out_if, 4);
	assert_int_equal(f->sampling, 100);
	assert_int_equal(f->packets, 1000);	/* scaled */
	assert_int_equal(f->bytes, 150000);
	assert_int_equal(f->first, 1700000000500LL - 10000);
	assert_int_equal(f->last, 1700000000500LL - 1000);
	assert_int_equal(f->src_port, 1234);
	assert_int_equal(f->dst_port, 80);
	assert_int_equal(f->proto, 6);
	assert_int_equal(f->tcp_flags, 0x12);
	assert_int_equal(f->tos, 0x20);
	assert_int_equal(f->src_as, 64500);
	assert_int_equal(f->dst_as, 64501);
	assert_int_equal(f->src_mask, 24);
	assert_int_equal(f->dst_mask, 16);

	/* sequence: next expected 1002; 1010 means 8 flows lost */
	v5_build(&b, 1, 1, 1010);
	assert_int_equal(feed(dec, &b, 6, &s, &d), 0);
	st = stats_of(dec);
	assert_int_equal(st.seq_gaps, 8);
	assert_int_equal(st.version, DECODE_NFV5);
	/* a restart (sequence far behind) is not a gap */
	v5_build(&b, 1, 1, 3);
	assert_int_equal(feed(dec, &b, 7, &s, &d), 0);
	assert_int_equal(stats_of(dec).seq_gaps, 8);

	/* count says 3, room for 1: that one is still decoded */
	s.n = 0;
	v5_build(&b, 3, 1, 4);
	assert_int_equal(feed(dec, &b, 8, &s, &d), MM_ETRUNC);
	assert_int_equal(s.n, 1);
	assert_non_null(strstr(d.msg, "count 3"));
	/* absurd counts */
	v5_build(&b, 0, 0, 0);
	assert_int_equal(feed(dec, &b, 8, &s, &d), MM_EFORMAT);
	v5_build(&b, 65535, 2, 0);
	assert_int_equal(feed(dec, &b, 8, &s, &d), MM_EFORMAT);
	/* header cut */
	v5_build(&b, 1, 1, 0);
	b.n = 20;
	assert_int_equal(feed(dec, &b, 8, &s, &d), MM_ETRUNC);
	assert_int_equal(stats_of(dec).malformed, 4);
	decoder_free(dec);
}

static void
test_emit_stop(void **state)
{
	struct decoder *dec = decoder_new(NULL);
	struct sink s = { .n = 0, .stop_after = 1 };
	struct buf b;

	(void)state;
	v5_build(&b, 3, 3, 0);
	assert_int_equal(feed(dec, &b, 5, &s, NULL), 7);
	assert_int_equal(s.n, 1);
	decoder_free(dec);
}

static void
test_exporter_cap(void **state)
{
	struct decoder_conf conf = { .max_exporters = 2 };
	struct decoder *dec = decoder_new(&conf);
	struct sink s = { .n = 0 };
	struct mm_diag d;
	struct mm_addr a;
	struct buf b;
	unsigned i;

	(void)state;
	v5_build(&b, 1, 1, 0);
	for (i = 0; i < 3; i++) {
		addr_from_v4(&a, 0x7f000001 + i);
		assert_int_equal(decoder_datagram(dec, &a, 9, 1, b.b, b.n,
		    sink_emit, &s, &d), i < 2 ? 0 : MM_ELIMIT);
	}
	assert_int_equal(decoder_stats(dec, NULL, 0), 2);
	decoder_free(dec);
}

/* --- IPFIX --------------------------------------------------------------- */

/*
 * Template 256: src4, dst4, octets (4 bytes, reduced), packets (2 bytes,
 * reduced), proto, an enterprise element (4 bytes), a variable-length
 * element (interfaceName, 82), flowStartMilliseconds, flowEndMilliseconds,
 * srcport, dstport, ingressInterface, ICMP type code.
 */
static void
ipfix_tmpl256(struct buf *b)
{
	size_t s = set_begin(b, 2);

	p16(b, 256);
	p16(b, 13);
	p16(b, 8); p16(b, 4);
	p16(b, 12); p16(b, 4);
	p16(b, 1); p16(b, 4);
	p16(b, 2); p16(b, 2);
	p16(b, 4); p16(b, 1);
	p16(b, 0x8000 | 100); p16(b, 4); p32(b, 29305);
	p16(b, 82); p16(b, 65535);
	p16(b, 152); p16(b, 8);
	p16(b, 153); p16(b, 8);
	p16(b, 7); p16(b, 2);
	p16(b, 11); p16(b, 2);
	p16(b, 10); p16(b, 4);
	p16(b, 32); p16(b, 2);
	set_end(b, s);
}

static void
ipfix_rec256(struct buf *b, uint32_t src, unsigned namelen, unsigned proto)
{
	unsigned i;

	p32(b, src);
	p32(b, 0xc6336401);
	p32(b, 4000);
	p16(b, 3);
	p8(b, proto);
	p32(b, 0xdeadbeef);
	if (namelen < 255)
		p8(b, namelen);
	else {
		p8(b, 255);
		p16(b, namelen);
	}
	for (i = 0; i < namelen; i++)
		p8(b, 'x');
	p64(b, 1700000000123ULL);
	p64(b, 1700000005456ULL);
	p16(b, 5353);
	p16(b, 443);
	p32(b, 17);
	p16(b, 0x0303);
}

static void
test_ipfix_basic(void **state)
{
	struct decoder *dec = decoder_new(NULL);
	struct sink s = { .n = 0 };
	struct mm_diag d;
	struct buf b;
	size_t set;
	const struct flow *f;

	(void)state;
	ipfix_begin(&b, 1700000010, 0, 42);
	ipfix_tmpl256(&b);
	set = set_begin(&b, 256);
	ipfix_rec256(&b, 0x0a000001, 5, 6);
	ipfix_rec256(&b, 0x0a000002, 300, 1);	/* 3-byte length form */
	ipfix_rec256(&b, 0x0a000003, 0, 17);
	p8(&b, 0);	/* padding */
	p8(&b, 0);
	set_end(&b, set);
	ipfix_end(&b);
	assert_int_equal(feed(dec, &b, 5, &s, &d), 0);
	assert_int_equal(s.n, 3);
	f = &s.f[0];
	assert_addr(&f->src, "10.0.0.1");
	assert_addr(&f->dst, "198.51.100.1");
	assert_int_equal(f->bytes, 4000);
	assert_int_equal(f->packets, 3);
	assert_int_equal(f->proto, 6);
	assert_int_equal(f->first, 1700000000123LL);
	assert_int_equal(f->last, 1700000005456LL);
	assert_int_equal(f->src_port, 5353);
	assert_int_equal(f->dst_port, 443);
	assert_int_equal(f->in_if, 17);
	assert_int_equal(f->sampling, 1);
	/* ICMP: type/code from IE 32, source port cleared */
	assert_int_equal(s.f[1].proto, 1);
	assert_int_equal(s.f[1].dst_port, 0x0303);
	assert_int_equal(s.f[1].src_port, 0);
	assert_addr(&s.f[2].src, "10.0.0.3");
	assert_int_equal(stats_of(dec).templates, 1);
	assert_int_equal(stats_of(dec).version, DECODE_IPFIX);

	/* IPFIX sequence counts records: 3 seen, 10 announced = 7 lost */
	ipfix_begin(&b, 1700000011, 10, 42);
	set = set_begin(&b, 256);
	ipfix_rec256(&b, 0x0a000004, 1, 6);
	set_end(&b, set);
	ipfix_end(&b);
	assert_int_equal(feed(dec, &b, 6, &s, &d), 0);
	assert_int_equal(stats_of(dec).seq_gaps, 7);

	/* a record cut inside its variable-length field */
	ipfix_begin(&b, 1700000011, 11, 42);
	set = set_begin(&b, 256);
	ipfix_rec256(&b, 0x0a000004, 200, 6);
	set_end(&b, set);
	pset16(&b, set + 2, 4 + 60);
	b.n = set + 4 + 60;
	ipfix_end(&b);
	s.n = 0;
	assert_int_equal(feed(dec, &b, 6, &s, &d), MM_ETRUNC);
	assert_int_equal(s.n, 0);
	decoder_free(dec);
}

static void
test_ipfix_withdrawal(void **state)
{
	struct decoder *dec = decoder_new(NULL);
	struct sink s = { .n = 0 };
	struct mm_diag d;
	struct buf b;
	size_t set;

	(void)state;
	ipfix_begin(&b, 1700000010, 0, 1);
	ipfix_tmpl256(&b);
	ipfix_end(&b);
	assert_int_equal(feed(dec, &b, 5, &s, &d), 0);
	assert_int_equal(stats_of(dec).templates, 1);
	/* withdraw 256 */
	ipfix_begin(&b, 1700000010, 0, 1);
	set = set_begin(&b, 2);
	p16(&b, 256);
	p16(&b, 0);
	set_end(&b, set);
	ipfix_end(&b);
	assert_int_equal(feed(dec, &b, 5, &s, &d), 0);
	assert_int_equal(stats_of(dec).templates, 0);
	ipfix_begin(&b, 1700000010, 0, 1);
	set = set_begin(&b, 256);
	ipfix_rec256(&b, 1, 1, 6);
	set_end(&b, set);
	ipfix_end(&b);
	assert_int_equal(feed(dec, &b, 5, &s, &d), MM_ENOTMPL);
	assert_non_null(strstr(d.msg, "no template 256"));
	assert_int_equal(stats_of(dec).missing_template, 1);
	assert_int_equal(s.n, 0);
	/* withdraw all data templates of the domain (id 2) */
	ipfix_begin(&b, 1700000010, 0, 1);
	ipfix_tmpl256(&b);
	set = set_begin(&b, 2);
	p16(&b, 2);
	p16(&b, 0);
	set_end(&b, set);
	ipfix_end(&b);
	assert_int_equal(feed(dec, &b, 5, &s, &d), 0);
	assert_int_equal(stats_of(dec).templates, 0);
	/* another domain's template is separate */
	ipfix_begin(&b, 1700000010, 0, 2);
	ipfix_tmpl256(&b);
	ipfix_end(&b);
	assert_int_equal(feed(dec, &b, 5, &s, &d), 0);
	ipfix_begin(&b, 1700000010, 0, 1);
	set = set_begin(&b, 256);
	ipfix_rec256(&b, 1, 1, 6);
	set_end(&b, set);
	ipfix_end(&b);
	assert_int_equal(feed(dec, &b, 5, &s, &d), MM_ENOTMPL);
	decoder_free(dec);
}

static void
test_ipfix_bad_templates(void **state)
{
	struct decoder_conf conf = { .max_templates = 8 };
	struct decoder *dec = decoder_new(&conf);
	struct sink s = { .n = 0 };
	struct mm_diag d;
	struct buf b;
	size_t set;
	unsigned i;

	(void)state;
	/* options template with scope count 0 */
	ipfix_begin(&b, 1700000010, 0, 0);
	set = set_begin(&b, 3);
	p16(&b, 257);
	p16(&b, 1);
	p16(&b, 0);
	p16(&b, 34); p16(&b, 4);
	set_end(&b, set);
	ipfix_end(&b);
	assert_int_equal(feed(dec, &b, 5, &s, &d), MM_EFORMAT);
	assert_string_equal(d.msg, "exporter 192.0.2.1:2055 domain 0: IPFIX "
	    "set 3 (RFC 7011 §3.4.2.2): options template 257 scope field "
	    "count 0");
	/* template flood: 20 templates, only 8 kept */
	ipfix_begin(&b, 1700000010, 0, 0);
	set = set_begin(&b, 2);
	for (i = 0; i < 20; i++) {
		p16(&b, 300 + i);
		p16(&b, 1);
		p16(&b, 8); p16(&b, 4);
	}
	set_end(&b, set);
	ipfix_end(&b);
	assert_int_equal(feed(dec, &b, 5, &s, &d), MM_ELIMIT);
	assert_int_equal(stats_of(dec).templates, 8);
	/* refreshing a cached one is still fine at the cap */
	ipfix_begin(&b, 1700000010, 0, 0);
	set = set_begin(&b, 2);
	p16(&b, 300);
	p16(&b, 1);
	p16(&b, 12); p16(&b, 4);
	set_end(&b, set);
	ipfix_end(&b);
	assert_int_equal(feed(dec, &b, 5, &s, &d), 0);
	/* absurd field count: 60000 fields in a tiny set */
	ipfix_begin(&b, 1700000010, 0, 0);
	set = set_begin(&b, 2);
	p16(&b, 400);
	p16(&b, 60000);
	p16(&b, 8); p16(&b, 4);
	set_end(&b, set);
	ipfix_end(&b);
	assert_int_equal(feed(dec, &b, 5, &s, &d), MM_ELIMIT);
	/* 513 fields: over the per-template cap */
	ipfix_begin(&b, 1700000010, 0, 0);
	set = set_begin(&b, 2);
	p16(&b, 401);
	p16(&b, 513);
	for (i = 0; i < 513; i++) {
		p16(&b, 210); p16(&b, 1);
	}
	set_end(&b, set);
	ipfix_end(&b);
	assert_int_equal(feed(dec, &b, 5, &s, &d), MM_ELIMIT);
	/* all-zero-length template: records would never advance */
	ipfix_begin(&b, 1700000010, 0, 0);
	set = set_begin(&b, 2);
	p16(&b, 300);
	p16(&b, 1);
	p16(&b, 8); p16(&b, 0);
	set_end(&b, set);
	ipfix_end(&b);
	assert_int_equal(feed(dec, &b, 5, &s, &d), MM_EFORMAT);
	/* set length past the message, message length past the datagram */
	ipfix_begin(&b, 1700000010, 0, 0);
	set = set_begin(&b, 256);
	p32(&b, 0);
	pset16(&b, set + 2, 4000);
	ipfix_end(&b);
	assert_int_equal(feed(dec, &b, 5, &s, &d), MM_ETRUNC);
	ipfix_begin(&b, 1700000010, 0, 0);
	ipfix_end(&b);
	pset16(&b, 2, 1000);
	assert_int_equal(feed(dec, &b, 5, &s, &d), MM_ETRUNC);
	pset16(&b, 2, 3);
	assert_int_equal(feed(dec, &b, 5, &s, &d), MM_ETRUNC);
	/* set length < 4 */
	ipfix_begin(&b, 1700000010, 0, 0);
	p16(&b, 2);
	p16(&b, 2);
	ipfix_end(&b);
	assert_int_equal(feed(dec, &b, 5, &s, &d), MM_ETRUNC);
	assert_int_equal(s.n, 0);
	decoder_free(dec);
}

/* Each time form of RFC 7012 for start/end. */
static void
test_ipfix_times(void **state)
{
	struct decoder *dec = decoder_new(NULL);
	struct sink s = { .n = 0 };
	struct mm_diag d;
	struct buf b;
	size_t set;
	const uint64_t ntp = 2208988800ULL + 1700000000ULL;

	(void)state;
	ipfix_begin(&b, 1700000100, 0, 0);
	set = set_begin(&b, 2);
	p16(&b, 260); p16(&b, 3);		/* seconds */
	p16(&b, 8); p16(&b, 4);
	p16(&b, 150); p16(&b, 4);
	p16(&b, 151); p16(&b, 4);
	p16(&b, 261); p16(&b, 3);		/* micro/nano (NTP) */
	p16(&b, 8); p16(&b, 4);
	p16(&b, 154); p16(&b, 8);
	p16(&b, 157); p16(&b, 8);
	p16(&b, 262); p16(&b, 3);		/* delta microseconds */
	p16(&b, 8); p16(&b, 4);
	p16(&b, 158); p16(&b, 4);
	p16(&b, 159); p16(&b, 4);
	p16(&b, 263); p16(&b, 4);		/* sysUpTime + init */
	p16(&b, 8); p16(&b, 4);
	p16(&b, 160); p16(&b, 8);
	p16(&b, 22); p16(&b, 4);
	p16(&b, 21); p16(&b, 4);
	set_end(&b, set);
	set = set_begin(&b, 260);
	p32(&b, 1); p32(&b, 1700000000); p32(&b, 1700000002);
	set_end(&b, set);
	set = set_begin(&b, 261);
	p32(&b, 2); p64(&b, ntp << 32 | 0x80000000u);
	p64(&b, (ntp + 1) << 32 | 0x40000000u);
	set_end(&b, set);
	set = set_begin(&b, 262);
	p32(&b, 3); p32(&b, 5000000); p32(&b, 1500);
	set_end(&b, set);
	set = set_begin(&b, 263);
	p32(&b, 4); p64(&b, 1690000000000ULL); p32(&b, 1000); p32(&b, 2500);
	set_end(&b, set);
	ipfix_end(&b);
	assert_int_equal(feed(dec, &b, 5, &s, &d), 0);
	assert_int_equal(s.n, 4);
	assert_int_equal(s.f[0].first, 1700000000000LL);
	assert_int_equal(s.f[0].last, 1700000002000LL);
	assert_int_equal(s.f[1].first, 1700000000500LL);
	assert_int_equal(s.f[1].last, 1700000001250LL);
	assert_int_equal(s.f[2].first, 1700000100000LL - 5000);
	assert_int_equal(s.f[2].last, 1700000100000LL - 1);
	assert_int_equal(s.f[3].first, 1690000001000LL);
	assert_int_equal(s.f[3].last, 1690000002500LL);

	/* sysUpTime anchored by systemInitTimeMilliseconds from options
	 * data (scope observationDomainId) */
	ipfix_begin(&b, 1700000100, 5, 0);
	set = set_begin(&b, 3);
	p16(&b, 270); p16(&b, 2); p16(&b, 1);
	p16(&b, 149); p16(&b, 4);
	p16(&b, 160); p16(&b, 8);
	p16(&b, 0);
	set_end(&b, set);
	set = set_begin(&b, 2);
	p16(&b, 271); p16(&b, 3);
	p16(&b, 8); p16(&b, 4);
	p16(&b, 22); p16(&b, 4);
	p16(&b, 21); p16(&b, 4);
	set_end(&b, set);
	set = set_begin(&b, 270);
	p32(&b, 0); p64(&b, 1680000000000ULL);
	set_end(&b, set);
	set = set_begin(&b, 271);
	p32(&b, 5); p32(&b, 7000); p32(&b, 9000);
	set_end(&b, set);
	ipfix_end(&b);
	s.n = 0;
	assert_int_equal(feed(dec, &b, 6, &s, &d), 0);
	assert_int_equal(s.n, 1);
	assert_int_equal(s.f[0].first, 1680000007000LL);
	assert_int_equal(s.f[0].last, 1680000009000LL);
	decoder_free(dec);
}

/* Options data: selectorId-keyed samplingPacketInterval/Space. */
static void
test_ipfix_sampling(void **state)
{
	struct decoder_conf conf = { .scale = 1 };
	struct decoder *dec = decoder_new(&conf);
	struct sink s = { .n = 0 };
	struct mm_diag d;
	struct buf b;
	size_t set;

	(void)state;
	ipfix_begin(&b, 1700000100, 0, 0);
	set = set_begin(&b, 3);
	p16(&b, 300); p16(&b, 3); p16(&b, 1);
	p16(&b, 302); p16(&b, 2);
	p16(&b, 305); p16(&b, 4);
	p16(&b, 306); p16(&b, 4);
	p16(&b, 0);	/* padding */
	set_end(&b, set);
	set = set_begin(&b, 2);
	p16(&b, 301); p16(&b, 4);
	p16(&b, 27); p16(&b, 16);
	p16(&b, 2); p16(&b, 4);
	p16(&b, 1); p16(&b, 8);
	p16(&b, 302); p16(&b, 2);
	set_end(&b, set);
	set = set_begin(&b, 300);
	p16(&b, 5); p32(&b, 1); p32(&b, 999);	/* selector 5: 1 in 1000 */
	p16(&b, 6); p32(&b, 1); p32(&b, 9);	/* selector 6: 1 in 10 */
	set_end(&b, set);
	set = set_begin(&b, 301);
	p64(&b, 0x20010db800000000ULL); p64(&b, 1);
	p32(&b, 2); p64(&b, 100); p16(&b, 5);
	p64(&b, 0x20010db800000000ULL); p64(&b, 2);
	p32(&b, 3); p64(&b, 200); p16(&b, 6);
	p64(&b, 0x20010db800000000ULL); p64(&b, 3);
	p32(&b, 4); p64(&b, 300); p16(&b, 7);	/* unknown selector */
	set_end(&b, set);
	ipfix_end(&b);
	assert_int_equal(feed(dec, &b, 5, &s, &d), 0);
	assert_int_equal(s.n, 3);
	assert_addr(&s.f[0].src, "2001:db8::1");
	assert_int_equal(s.f[0].sampling, 1000);
	assert_int_equal(s.f[0].packets, 2000);
	assert_int_equal(s.f[0].bytes, 100000);
	assert_int_equal(s.f[1].sampling, 10);
	assert_int_equal(s.f[1].packets, 30);
	assert_int_equal(s.f[2].sampling, 1);
	decoder_free(dec);
}

static void
test_template_ttl(void **state)
{
	struct decoder_conf conf = { .template_ttl = 1000 };
	struct decoder *dec = decoder_new(&conf);
	struct sink s = { .n = 0 };
	struct mm_diag d;
	struct buf b;
	size_t set;

	(void)state;
	ipfix_begin(&b, 1700000010, 0, 0);
	ipfix_tmpl256(&b);
	ipfix_end(&b);
	assert_int_equal(feed(dec, &b, 10000, &s, &d), 0);
	ipfix_begin(&b, 1700000010, 0, 0);
	set = set_begin(&b, 256);
	ipfix_rec256(&b, 1, 1, 6);
	set_end(&b, set);
	ipfix_end(&b);
	assert_int_equal(feed(dec, &b, 10900, &s, &d), 0);
	assert_int_equal(s.n, 1);
	assert_int_equal(feed(dec, &b, 12000, &s, &d), MM_ENOTMPL);
	assert_int_equal(stats_of(dec).templates, 0);
	decoder_free(dec);
}

/* --- NetFlow v9 ---------------------------------------------------------- */

static void
v9_begin(struct buf *b, uint32_t seq, uint32_t srcid)
{
	b->n = 0;
	p16(b, 9);
	p16(b, 0);
	p32(b, 3600000);	/* uptime: 1 h */
	p32(b, 1700000000);
	p32(b, seq);
	p32(b, srcid);
}

static void
test_nfv9(void **state)
{
	struct decoder *dec = decoder_new(NULL);
	struct sink s = { .n = 0 };
	struct mm_diag d;
	struct buf b;
	size_t set;
	const struct flow *f;

	(void)state;
	v9_begin(&b, 100, 7);
	/* options template: scope system (1, 4 bytes); 48 sampler id,
	 * 34 interval */
	set = set_begin(&b, 1);
	p16(&b, 257);
	p16(&b, 4);
	p16(&b, 8);
	p16(&b, 1); p16(&b, 4);
	p16(&b, 48); p16(&b, 1);
	p16(&b, 34); p16(&b, 4);
	p16(&b, 0);	/* pad */
	set_end(&b, set);
	set = set_begin(&b, 0);
	p16(&b, 300); p16(&b, 9);
	p16(&b, 8); p16(&b, 4);
	p16(&b, 12); p16(&b, 4);
	p16(&b, 4); p16(&b, 1);
	p16(&b, 7); p16(&b, 2);
	p16(&b, 11); p16(&b, 2);
	p16(&b, 22); p16(&b, 4);
	p16(&b, 21); p16(&b, 4);
	p16(&b, 48); p16(&b, 1);
	p16(&b, 2); p16(&b, 4);
	set_end(&b, set);
	set = set_begin(&b, 257);
	p32(&b, 0x0a000001); p8(&b, 3); p32(&b, 512);
	p8(&b, 0); p8(&b, 0); p8(&b, 0);	/* pad */
	set_end(&b, set);
	set = set_begin(&b, 300);
	p32(&b, 0x0a000001); p32(&b, 0x0a000002); p8(&b, 17);
	p16(&b, 53); p16(&b, 5353);
	p32(&b, 3590000); p32(&b, 3599000); p8(&b, 3); p32(&b, 9);
	/* ICMP with the type/code in the destination port (nfdump) */
	p32(&b, 0x0a000003); p32(&b, 0x0a000004); p8(&b, 1);
	p16(&b, 0); p16(&b, 0x0800);
	p32(&b, 3600000); p32(&b, 3600000); p8(&b, 9); p32(&b, 1);
	set_end(&b, set);
	assert_int_equal(feed(dec, &b, 5, &s, &d), 0);
	assert_int_equal(s.n, 2);
	f = &s.f[0];
	assert_addr(&f->src, "10.0.0.1");
	assert_int_equal(f->proto, 17);
	assert_int_equal(f->dst_port, 5353);
	assert_int_equal(f->first, 1700000000000LL - 10000);
	assert_int_equal(f->last, 1700000000000LL - 1000);
	assert_int_equal(f->sampling, 512);
	assert_int_equal(f->packets, 9);	/* not scaled */
	assert_int_equal(s.f[1].dst_port, 0x0800);
	assert_int_equal(s.f[1].sampling, 1);	/* sampler 9 is unknown */

	/* v9 sequence counts packets per source id: 101 expected */
	v9_begin(&b, 104, 7);
	assert_int_equal(feed(dec, &b, 6, &s, &d), 0);
	assert_int_equal(stats_of(dec).seq_gaps, 3);
	/* a different source id has its own sequence and templates */
	v9_begin(&b, 9, 8);
	set = set_begin(&b, 300);
	p32(&b, 1);
	set_end(&b, set);
	assert_int_equal(feed(dec, &b, 6, &s, &d), MM_ENOTMPL);
	assert_int_equal(stats_of(dec).seq_gaps, 3);
	/* bad options template lengths */
	v9_begin(&b, 10, 8);
	set = set_begin(&b, 1);
	p16(&b, 258); p16(&b, 3); p16(&b, 4);
	p16(&b, 1); p16(&b, 4);
	set_end(&b, set);
	assert_int_equal(feed(dec, &b, 6, &s, &d), MM_EFORMAT);
	/* template id < 256 */
	v9_begin(&b, 11, 8);
	set = set_begin(&b, 0);
	p16(&b, 5); p16(&b, 1);
	p16(&b, 1); p16(&b, 4);
	set_end(&b, set);
	assert_int_equal(feed(dec, &b, 6, &s, &d), MM_EFORMAT);
	/* flowset length cuts a template */
	v9_begin(&b, 12, 8);
	set = set_begin(&b, 0);
	p16(&b, 310); p16(&b, 40);
	p16(&b, 1); p16(&b, 4);
	set_end(&b, set);
	assert_int_equal(feed(dec, &b, 6, &s, &d), MM_ETRUNC);
	decoder_free(dec);
}

/* --- sFlow --------------------------------------------------------------- */

static void
sflow_hdr(struct buf *b, uint32_t seq, unsigned nsamples)
{
	b->n = 0;
	p32(b, 5);
	p32(b, 1);
	p32(b, 0xc0000201);
	p32(b, 0);
	p32(b, seq);
	p32(b, 1000);
	p32(b, nsamples);
}

/* Ethernet + 802.1Q 42 + QinQ inner 7 + IPv4 + TCP SYN. */
static void
eth_tcp(struct buf *b)
{
	unsigned i;

	for (i = 0; i < 12; i++)
		p8(b, i);
	p16(b, 0x88a8); p16(b, 42);
	p16(b, 0x8100); p16(b, 7);
	p16(b, 0x0800);
	p8(b, 0x45); p8(b, 0x10); p16(b, 60); p16(b, 1); p16(b, 0x4000);
	p8(b, 64); p8(b, 6); p16(b, 0);
	p32(b, 0xcb007101); p32(b, 0xcb007102);
	p16(b, 40000); p16(b, 22); p32(b, 1); p32(b, 0);
	p16(b, 0x5002); p16(b, 1024); p16(b, 0); p16(b, 0);
}

static void
test_sflow(void **state)
{
	struct decoder *dec = decoder_new(NULL);
	struct sink s = { .n = 0 };
	struct mm_diag d;
	struct buf b, h;
	size_t smp, rec;
	const struct flow *f;

	(void)state;
	h.n = 0;
	eth_tcp(&h);
	sflow_hdr(&b, 10, 3);
	/* counter sample: ignored */
	p32(&b, 2); p32(&b, 8); p32(&b, 1); p32(&b, 0);
	/* flow sample */
	p32(&b, 1);
	smp = b.n;
	p32(&b, 0);
	p32(&b, 77); p32(&b, 5); p32(&b, 2048); p32(&b, 0); p32(&b, 0);
	p32(&b, 11); p32(&b, 12);
	p32(&b, 3);
	p32(&b, 1);		/* raw header */
	rec = b.n;
	p32(&b, 0);
	p32(&b, 1); p32(&b, 1518); p32(&b, 4); p32(&b, (uint32_t)h.n);
	memcpy(b.b + b.n, h.b, h.n);
	b.n += h.n;
	while (b.n % 4)
		p8(&b, 0);
	pset16(&b, rec + 2, (unsigned)(b.n - rec - 4));
	p32(&b, 1002);		/* extended router */
	p32(&b, 16); p32(&b, 1); p32(&b, 0xcb0071fe); p32(&b, 24);
	p32(&b, 28);
	p32(&b, 1003);		/* extended gateway */
	p32(&b, 40); p32(&b, 1); p32(&b, 0xcb0071fe); p32(&b, 64500);
	p32(&b, 64501); p32(&b, 64502); p32(&b, 1); p32(&b, 2); p32(&b, 2);
	p32(&b, 64502); p32(&b, 64503);
	pset16(&b, smp + 2, (unsigned)(b.n - smp - 4));
	/* expanded flow sample with a sampled IPv4 record */
	p32(&b, 3);
	smp = b.n;
	p32(&b, 0);
	p32(&b, 78); p32(&b, 0); p32(&b, 5); p32(&b, 100); p32(&b, 0);
	p32(&b, 0); p32(&b, 0); p32(&b, 21); p32(&b, 0); p32(&b, 22);
	p32(&b, 1);
	p32(&b, 3); p32(&b, 32);
	p32(&b, 400); p32(&b, 17); p32(&b, 0x0a000001); p32(&b, 0x0a000002);
	p32(&b, 53); p32(&b, 1053); p32(&b, 0); p32(&b, 0);
	pset16(&b, smp + 2, (unsigned)(b.n - smp - 4));
	assert_int_equal(feed(dec, &b, 123456, &s, &d), 0);
	assert_int_equal(s.n, 2);
	f = &s.f[0];
	assert_addr(&f->src, "203.0.113.1");
	assert_addr(&f->dst, "203.0.113.2");
	assert_int_equal(f->proto, 6);
	assert_int_equal(f->src_port, 40000);
	assert_int_equal(f->dst_port, 22);
	assert_int_equal(f->tcp_flags, 2);
	assert_int_equal(f->tos, 0x10);
	assert_int_equal(f->vlan, 42);
	assert_int_equal(f->packets, 1);
	assert_int_equal(f->bytes, 1518);
	assert_int_equal(f->sampling, 2048);
	assert_int_equal(f->in_if, 11);
	assert_int_equal(f->out_if, 12);
	assert_int_equal(f->first, 123456);
	assert_addr(&f->nexthop, "203.0.113.254");
	assert_int_equal(f->src_mask, 24);
	assert_int_equal(f->dst_mask, 28);
	assert_int_equal(f->src_as, 64501);
	assert_int_equal(f->dst_as, 64503);
	f = &s.f[1];
	assert_addr(&f->src, "10.0.0.1");
	assert_int_equal(f->bytes, 400);
	assert_int_equal(f->proto, 17);
	assert_int_equal(f->dst_port, 1053);
	assert_int_equal(f->in_if, 21);
	assert_int_equal(f->out_if, 22);
	assert_int_equal(f->sampling, 100);
	assert_int_equal(stats_of(dec).ignored, 1);
	assert_int_equal(stats_of(dec).version, DECODE_SFLOW5);

	/* sequence gap: 11 expected */
	b.n = 0;
	sflow_hdr(&b, 15, 0);
	assert_int_equal(feed(dec, &b, 1, &s, &d), 0);
	assert_int_equal(stats_of(dec).seq_gaps, 4);
	/* absurd sample count, sample length, record count */
	sflow_hdr(&b, 16, 100000);
	assert_int_equal(feed(dec, &b, 1, &s, &d), MM_ELIMIT);
	sflow_hdr(&b, 17, 1);
	p32(&b, 1); p32(&b, 0xfffffff0);
	assert_int_equal(feed(dec, &b, 1, &s, &d), MM_ETRUNC);
	sflow_hdr(&b, 18, 1);
	p32(&b, 1); p32(&b, 32);
	p32(&b, 0); p32(&b, 0); p32(&b, 1); p32(&b, 0); p32(&b, 0);
	p32(&b, 0); p32(&b, 0); p32(&b, 1000000);
	assert_int_equal(feed(dec, &b, 1, &s, &d), MM_ELIMIT);
	/* bad agent address type */
	b.n = 0;
	p32(&b, 5); p32(&b, 9);
	assert_int_equal(feed(dec, &b, 1, &s, &d), MM_EFORMAT);
	decoder_free(dec);
}

/* --- packet parser and capture reader ------------------------------------ */

static void
test_packet_ipv6(void **state)
{
	struct packet_info pi;
	struct buf b = { .n = 0 };
	unsigned i;

	(void)state;
	p32(&b, 0x60a00000);
	p16(&b, 8 + 8 + 8);
	p8(&b, 0);		/* hop-by-hop */
	p8(&b, 64);
	p64(&b, 0x20010db800000000ULL); p64(&b, 1);
	p64(&b, 0x20010db800000000ULL); p64(&b, 2);
	p8(&b, 60); p8(&b, 0); p32(&b, 0); p16(&b, 0);	/* HbH -> dst opts */
	p8(&b, 17); p8(&b, 0); p32(&b, 0); p16(&b, 0);	/* dst opts -> UDP */
	p16(&b, 500); p16(&b, 4500); p16(&b, 8); p16(&b, 0);
	assert_int_equal(packet_parse(b.b, b.n, PKT_LINK_IP, &pi), 0);
	assert_int_equal(pi.ipver, 6);
	assert_int_equal(pi.proto, 17);
	assert_int_equal(pi.src_port, 500);
	assert_int_equal(pi.dst_port, 4500);
	assert_int_equal(pi.tos, 0x0a);
	assert_true(pi.have_l4);
	/* every truncation is refused or partial, never read past */
	for (i = 0; i < b.n; i++)
		(void)packet_parse(b.b, i, PKT_LINK_IP, &pi);
	assert_int_equal(packet_parse(b.b, 10, PKT_LINK_IP, &pi), MM_ETRUNC);
	/* non-first IPv4 fragment: no ports */
	b.n = 0;
	p8(&b, 0x45); p8(&b, 0); p16(&b, 28); p16(&b, 1); p16(&b, 100);
	p8(&b, 64); p8(&b, 17); p16(&b, 0); p32(&b, 1); p32(&b, 2);
	p16(&b, 53); p16(&b, 53); p16(&b, 8); p16(&b, 0);
	assert_int_equal(packet_parse(b.b, b.n, PKT_LINK_IPV4, &pi), 0);
	assert_true(pi.fragment);
	assert_int_equal(pi.src_port, 0);
	/* ARP */
	b.n = 0;
	for (i = 0; i < 12; i++)
		p8(&b, 0);
	p16(&b, 0x0806);
	p32(&b, 0);
	assert_int_equal(packet_parse(b.b, b.n, PKT_LINK_ETHER, &pi),
	    MM_EUNSUP);
	assert_int_equal(packet_parse(b.b, b.n, 99, &pi), MM_EINVAL);
}

struct udpseen {
	size_t		n;
	uint16_t	sport[8];
	size_t		len[8];
};

static int
udp_cb(void *arg, const struct pcap_udp *u)
{
	struct udpseen *s = arg;

	if (s->n < 8) {
		s->sport[s->n] = u->sport;
		s->len[s->n] = u->len;
	}
	s->n++;
	return 0;
}

static void
ipv4_udp(struct buf *b, uint16_t sport, uint16_t frag, size_t plen)
{
	size_t i;

	p8(b, 0x46);	/* with 4 bytes of options */
	p8(b, 0); p16(b, (unsigned)(24 + 8 + plen)); p16(b, 1); p16(b, frag);
	p8(b, 64); p8(b, 17); p16(b, 0); p32(b, 0x7f000001);
	p32(b, 0x7f000002);
	p32(b, 0x01010101);
	p16(b, sport); p16(b, 2055); p16(b, (unsigned)(8 + plen)); p16(b, 0);
	for (i = 0; i < plen; i++)
		p8(b, (unsigned)i);
}

static void
write_pcap(const char *path, int dlt, const struct buf *pk, size_t n)
{
	pcap_t *dead = pcap_open_dead(dlt, 65535);
	pcap_dumper_t *d;
	struct pcap_pkthdr h;
	size_t i;

	assert_non_null(dead);
	d = pcap_dump_open(dead, path);
	assert_non_null(d);
	for (i = 0; i < n; i++) {
		memset(&h, 0, sizeof(h));
		h.ts.tv_sec = 1700000000;
		h.ts.tv_usec = 250000;
		h.caplen = h.len = (bpf_u_int32)pk[i].n;
		pcap_dump((u_char *)d, &h, pk[i].b);
	}
	pcap_dump_close(d);
	pcap_close(dead);
}

static void
test_pcapfile(void **state)
{
	static struct buf pk[4];
	struct udpseen seen;
	struct pcapfile_stats st;
	struct mm_diag d;
	char path[] = "/tmp/mamori-test-pcapfile-XXXXXX";
	int fd, i;

	(void)state;
	fd = mkstemp(path);
	assert_true(fd >= 0);
	close(fd);
	/* raw IP: a datagram, a non-first fragment, a truncated header */
	for (i = 0; i < 4; i++)
		pk[i].n = 0;
	ipv4_udp(&pk[0], 1111, 0, 10);
	ipv4_udp(&pk[1], 2222, 185, 10);
	ipv4_udp(&pk[2], 3333, 0, 10);
	pk[2].n = 30;
	write_pcap(path, DLT_RAW, pk, 3);
	memset(&seen, 0, sizeof(seen));
	assert_int_equal(pcapfile_udp_foreach(path, udp_cb, &seen, &st, &d),
	    0);
	assert_int_equal(seen.n, 1);
	assert_int_equal(seen.sport[0], 1111);
	assert_int_equal(seen.len[0], 10);
	assert_int_equal(st.packets, 3);
	assert_int_equal(st.skipped, 2);
	/* Linux SLL2 and SLL, BSD null */
	pk[0].n = 0;
	p16(&pk[0], 0x0800);
	for (i = 0; i < 18; i++)
		p8(&pk[0], 0);
	ipv4_udp(&pk[0], 4444, 0, 3);
	write_pcap(path, DLT_LINUX_SLL2, pk, 1);
	memset(&seen, 0, sizeof(seen));
	assert_int_equal(pcapfile_udp_foreach(path, udp_cb, &seen, NULL, &d),
	    0);
	assert_int_equal(seen.n, 1);
	assert_int_equal(seen.sport[0], 4444);
	pk[0].n = 0;
	for (i = 0; i < 14; i++)
		p8(&pk[0], 0);
	p16(&pk[0], 0x0800);
	ipv4_udp(&pk[0], 5555, 0, 3);
	write_pcap(path, DLT_LINUX_SLL, pk, 1);
	memset(&seen, 0, sizeof(seen));
	assert_int_equal(pcapfile_udp_foreach(path, udp_cb, &seen, NULL, &d),
	    0);
	assert_int_equal(seen.sport[0], 5555);
	pk[0].n = 0;
	p8(&pk[0], 2); p8(&pk[0], 0); p8(&pk[0], 0); p8(&pk[0], 0);
	ipv4_udp(&pk[0], 6666, 0, 3);
	write_pcap(path, DLT_NULL, pk, 1);
	memset(&seen, 0, sizeof(seen));
	assert_int_equal(pcapfile_udp_foreach(path, udp_cb, &seen, NULL, &d),
	    0);
	assert_int_equal(seen.sport[0], 6666);
	/* unsupported link type, missing file */
	write_pcap(path, DLT_IEEE802_11, pk, 1);
	assert_int_equal(pcapfile_udp_foreach(path, udp_cb, &seen, NULL, &d),
	    MM_EUNSUP);
	unlink(path);
	assert_int_equal(pcapfile_udp_foreach(path, udp_cb, &seen, NULL, &d),
	    MM_EIO);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_unknown_version),
		cmocka_unit_test(test_nfv5),
		cmocka_unit_test(test_emit_stop),
		cmocka_unit_test(test_exporter_cap),
		cmocka_unit_test(test_ipfix_basic),
		cmocka_unit_test(test_ipfix_withdrawal),
		cmocka_unit_test(test_ipfix_bad_templates),
		cmocka_unit_test(test_ipfix_times),
		cmocka_unit_test(test_ipfix_sampling),
		cmocka_unit_test(test_template_ttl),
		cmocka_unit_test(test_nfv9),
		cmocka_unit_test(test_sflow),
		cmocka_unit_test(test_packet_ipv6),
		cmocka_unit_test(test_pcapfile),
	};

	return cmocka_run_group_tests(tests, setup, NULL);
}
