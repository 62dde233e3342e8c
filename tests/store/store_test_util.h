/*
 * store_test_util.h - shared helpers for the store tests: a seeded PRNG,
 * flow generators (edge values, random, realistic ISP-like), field-wise
 * comparison and temporary directories. Header-only (static functions).
 */
#ifndef MAMORI_TESTS_STORE_UTIL_H
#define MAMORI_TESTS_STORE_UTIL_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "flow/flow.h"
#include "store/block.h"

static uint64_t tu_rng = 0x853c49e6748fea9bULL;

static inline uint64_t
tu_rand(void)
{
	uint64_t x = tu_rng;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	tu_rng = x;
	return x * 0x2545f4914f6cdd1dULL;
}

static inline void
tu_seed(uint64_t s)
{
	tu_rng = s ? s : 1;
}

static inline void
tu_addr_rand(struct mm_addr *a, int v6)
{
	uint64_t r = tu_rand(), q = tu_rand();
	int i;

	if (!v6) {
		addr_from_v4(a, (uint32_t)r);
		return;
	}
	for (i = 0; i < 8; i++) {
		a->b[i] = (uint8_t)(r >> (8 * i));
		a->b[8 + i] = (uint8_t)(q >> (8 * i));
	}
	a->b[0] = 0x20;
	a->b[1] = 0x01;
}

/* Uniformly random fields (the worst case for compression). */
static inline void
tu_flow_random(struct flow *f, mtime_t base)
{
	memset(f, 0, sizeof(*f));
	f->first = base + (mtime_t)(tu_rand() % 300000);
	f->last = f->first + (mtime_t)(tu_rand() % 60000);
	tu_addr_rand(&f->src, tu_rand() % 5 == 0);
	tu_addr_rand(&f->dst, tu_rand() % 5 == 0);
	tu_addr_rand(&f->nexthop, 0);
	tu_addr_rand(&f->exporter, 0);
	f->packets = tu_rand() % 100000;
	f->bytes = tu_rand() % 100000000;
	f->src_as = (uint32_t)tu_rand();
	f->dst_as = (uint32_t)tu_rand();
	f->in_if = (uint32_t)tu_rand() % 65536;
	f->out_if = (uint32_t)tu_rand() % 65536;
	f->sampling = 1;
	f->src_port = (uint16_t)tu_rand();
	f->dst_port = (uint16_t)tu_rand();
	f->vlan = (uint16_t)(tu_rand() % 4096);
	f->proto = (uint8_t)tu_rand();
	f->tcp_flags = (uint8_t)tu_rand();
	f->tos = (uint8_t)tu_rand();
	f->direction = (uint8_t)(tu_rand() % 3);
	f->src_mask = (uint8_t)(tu_rand() % 33);
	f->dst_mask = (uint8_t)(tu_rand() % 33);
}

/*
 * "Random synthetic" in the nfdump-benchmark sense: random hosts and ports,
 * random but plausible counters and times, a few exporters and interfaces.
 */
static inline void
tu_flow_synth(struct flow *f, mtime_t base)
{
	static const uint8_t protos[4] = { 6, 17, 1, 6 };

	memset(f, 0, sizeof(*f));
	f->first = base + (mtime_t)(tu_rand() % 300000);
	f->last = f->first + (mtime_t)(tu_rand() % 120000);
	tu_addr_rand(&f->src, 0);
	tu_addr_rand(&f->dst, 0);
	addr_from_v4(&f->nexthop, 0x0a000001u + (uint32_t)(tu_rand() % 16));
	addr_from_v4(&f->exporter, 0xc0000201u + (uint32_t)(tu_rand() % 4));
	f->packets = 1 + tu_rand() % 1000;
	f->bytes = f->packets * (40 + tu_rand() % 1461);
	f->src_as = (uint32_t)(tu_rand() % 65536);
	f->dst_as = (uint32_t)(tu_rand() % 65536);
	f->in_if = (uint32_t)(tu_rand() % 32);
	f->out_if = (uint32_t)(tu_rand() % 32);
	f->sampling = 1;
	f->src_port = (uint16_t)tu_rand();
	f->dst_port = (uint16_t)tu_rand();
	f->proto = protos[tu_rand() % 4];
	f->tcp_flags = f->proto == 6 ? (uint8_t)(tu_rand() % 64) : 0;
	f->tos = 0;
	f->direction = FLOW_DIR_INGRESS;
	f->src_mask = 24;
	f->dst_mask = 24;
}

/* Realistic: skewed hosts (Zipf-ish), well-known server ports, short flows. */
static inline void
tu_flow_real(struct flow *f, mtime_t base)
{
	static const uint16_t sports[8] = { 443, 80, 53, 443, 123, 993, 22,
	    8080 };
	uint64_t r = tu_rand();
	uint32_t cust = 0x64400000u + (uint32_t)((r % 4096) * (r % 4096) /
	    4096 * 16 + (r >> 40) % 16);
	uint32_t srv = 0x8efa0000u + (uint32_t)((tu_rand() % 512) *
	    (tu_rand() % 512) / 64);

	memset(f, 0, sizeof(*f));
	f->first = base + (mtime_t)(tu_rand() % 60000);
	f->last = f->first + (tu_rand() % 4 == 0 ? 0 :
	    (mtime_t)(tu_rand() % 30000));
	if (r & 1) {
		addr_from_v4(&f->src, cust);
		addr_from_v4(&f->dst, srv);
		f->src_port = (uint16_t)(32768 + tu_rand() % 28000);
		f->dst_port = sports[tu_rand() % 8];
		f->direction = FLOW_DIR_EGRESS;
	} else {
		addr_from_v4(&f->src, srv);
		addr_from_v4(&f->dst, cust);
		f->src_port = sports[tu_rand() % 8];
		f->dst_port = (uint16_t)(32768 + tu_rand() % 28000);
		f->direction = FLOW_DIR_INGRESS;
	}
	addr_from_v4(&f->nexthop, 0x0a000001u + (uint32_t)(tu_rand() % 4));
	addr_from_v4(&f->exporter, 0xc0000201u);
	f->packets = 1 + (tu_rand() % 64) * (tu_rand() % 8);
	f->bytes = f->packets * (52 + tu_rand() % 1400);
	f->src_as = r & 1 ? 64500 : 15169 + (uint32_t)(tu_rand() % 4);
	f->dst_as = r & 1 ? 15169 + (uint32_t)(tu_rand() % 4) : 64500;
	f->in_if = 1 + (uint32_t)(tu_rand() % 4);
	f->out_if = 10 + (uint32_t)(tu_rand() % 4);
	f->sampling = 1;
	f->proto = tu_rand() % 10 == 0 ? 17 : 6;
	f->tcp_flags = f->proto == 6 ? 0x1b : 0;
	f->src_mask = 24;
	f->dst_mask = 16;
}

/* Edge values: i selects one of several extreme records. */
static inline void
tu_flow_edge(struct flow *f, unsigned i)
{
	memset(f, 0, sizeof(*f));
	switch (i % 6) {
	case 0:		/* all zero: zero addresses, zero times */
		break;
	case 1:		/* maxima */
		f->first = INT64_MAX;
		f->last = INT64_MAX;
		memset(&f->src, 0xff, sizeof(f->src));
		memset(&f->dst, 0xff, sizeof(f->dst));
		f->packets = UINT64_MAX;
		f->bytes = UINT64_MAX;
		f->src_as = f->dst_as = f->in_if = f->out_if = UINT32_MAX;
		f->sampling = UINT32_MAX;
		f->src_port = f->dst_port = f->vlan = UINT16_MAX;
		f->proto = f->tcp_flags = f->tos = f->direction = 255;
		f->src_mask = f->dst_mask = 255;
		break;
	case 2:		/* minima of signed times, last before first */
		f->first = -1;
		f->last = INT64_MIN;
		addr_from_v4(&f->src, 0);
		addr_from_v4(&f->dst, 0xffffffffu);
		f->packets = 1;
		break;
	case 3:		/* v6 with v4-looking tail */
		f->first = 1700000000000LL;
		f->last = 1700000000000LL;
		addr_parse("::ffff:0:1", &f->src);
		addr_parse("2001:db8::1", &f->dst);
		addr_parse("fe80::1", &f->nexthop);
		addr_parse("::1", &f->exporter);
		f->bytes = 1ULL << 63;
		break;
	case 4:
		f->first = INT64_MIN;
		f->last = INT64_MAX;
		addr_parse("::", &f->src);
		addr_parse("10.1.2.3", &f->dst);
		f->packets = 0;
		f->bytes = 1;
		break;
	default:
		tu_flow_random(f, 1700000000000LL);
		break;
	}
}

static inline int
tu_flow_eq(const struct flow *a, const struct flow *b)
{
	return a->first == b->first && a->last == b->last &&
	    memcmp(&a->src, &b->src, 16) == 0 &&
	    memcmp(&a->dst, &b->dst, 16) == 0 &&
	    memcmp(&a->nexthop, &b->nexthop, 16) == 0 &&
	    memcmp(&a->exporter, &b->exporter, 16) == 0 &&
	    a->packets == b->packets && a->bytes == b->bytes &&
	    a->src_as == b->src_as && a->dst_as == b->dst_as &&
	    a->in_if == b->in_if && a->out_if == b->out_if &&
	    a->sampling == b->sampling && a->src_port == b->src_port &&
	    a->dst_port == b->dst_port && a->vlan == b->vlan &&
	    a->proto == b->proto && a->tcp_flags == b->tcp_flags &&
	    a->tos == b->tos && a->direction == b->direction &&
	    a->src_mask == b->src_mask && a->dst_mask == b->dst_mask;
}

/* Removes a test directory tree (paths come from mkdtemp: no quoting issue). */
static inline void
tu_rmtree(const char *dir)
{
	char cmd[600];

	if (strncmp(dir, "/tmp/", 5) != 0 && getenv("TMPDIR") == NULL)
		return;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "cannot remove %s\n", dir);
}

static inline char *
tu_tmpdir(char *buf, size_t len)
{
	const char *t = getenv("TMPDIR");

	snprintf(buf, len, "%s/mamori-store-XXXXXX", t ? t : "/tmp");
	return mkdtemp(buf);
}

#endif
