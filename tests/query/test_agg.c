/*
 * test_agg.c - aggregation and top-N against a brute-force reference on
 * random blocks (IPv4/IPv6 mix, few and many groups), -s/-A parsing,
 * either-direction statistics, prefix keys, shared tables and merges;
 * high cardinality (shared partitions with compactions, agg_finish() on
 * several threads) against a sort-based reference.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "core/addr.h"
#include "query/agg.h"
#include "store/block.h"

static uint64_t rs = 0x243f6a8885a308d3ULL;

static uint64_t
rnd(void)
{
	rs ^= rs << 13;
	rs ^= rs >> 7;
	rs ^= rs << 17;
	return rs;
}

static void
make_block(struct flow_block *b, size_t n, unsigned spread)
{
	struct flow f;
	size_t i;

	flow_block_init(b);
	for (i = 0; i < n; i++) {
		memset(&f, 0, sizeof(f));
		if (rnd() % 5 == 0) {
			uint8_t v6[16] = { 0x20, 0x01, 0x0d, 0xb8 };

			v6[15] = (uint8_t)(rnd() % spread);
			v6[9] = (uint8_t)(rnd() % 3);
			addr_from_v6(&f.src, v6);
		} else
			addr_from_v4(&f.src, 0x0a000000u +
			    (uint32_t)(rnd() % spread) * 7);
		addr_from_v4(&f.dst, 0xc0a80000u + (uint32_t)(rnd() % spread));
		addr_from_v4(&f.exporter, 0x7f000001u + (uint32_t)(rnd() % 2));
		f.first = 1700000000000LL + (mtime_t)(rnd() % 100000);
		f.last = f.first + (mtime_t)(rnd() % 5000);
		f.packets = 1 + rnd() % 50;
		f.bytes = f.packets * (40 + rnd() % 1000);
		f.proto = rnd() % 3 ? 6 : 17;
		f.src_port = (uint16_t)(rnd() % spread);
		f.dst_port = (uint16_t)(rnd() % 4 ? 443 : 80);
		f.src_as = (uint32_t)(rnd() % 10);
		f.dst_as = (uint32_t)(rnd() % 10);
		f.in_if = (uint32_t)(rnd() % 4);
		f.out_if = (uint32_t)(rnd() % 4);
		f.tos = (uint8_t)(rnd() % 2);
		f.vlan = (uint16_t)(rnd() % 3);
		assert_int_equal(flow_block_append(b, &f), 0);
	}
}

/* ---- brute-force reference ---- */

struct ref {
	struct mm_addr	a[AGG_MAXKEYS];
	uint64_t	v[AGG_MAXKEYS];
	uint64_t	flows, packets, bytes;
	mtime_t		first, last;
};

static void
ref_key(const struct agg_spec *sp, const struct flow_block *b, size_t r,
    int twin, struct ref *k)
{
	size_t j;

	memset(k, 0, sizeof(*k));
	for (j = 0; j < sp->nkeys; j++) {
		int key = sp->keys[j];

		if (twin) {
			if (key == AK_SRCIP) key = AK_DSTIP;
			else if (key == AK_SRCPORT) key = AK_DSTPORT;
			else if (key == AK_SRCAS) key = AK_DSTAS;
			else if (key == AK_INIF) key = AK_OUTIF;
		}
		switch (key) {
		case AK_SRCIP: k->a[j] = b->src[r]; break;
		case AK_DSTIP: k->a[j] = b->dst[r]; break;
		case AK_EXPORTER: k->a[j] = b->exporter[r]; break;
		case AK_NEXTHOP: k->a[j] = b->nexthop[r]; break;
		case AK_SRCPORT: k->v[j] = b->src_port[r]; break;
		case AK_DSTPORT: k->v[j] = b->dst_port[r]; break;
		case AK_PROTO: k->v[j] = b->proto[r]; break;
		case AK_SRCAS: k->v[j] = b->src_as[r]; break;
		case AK_DSTAS: k->v[j] = b->dst_as[r]; break;
		case AK_INIF: k->v[j] = b->in_if[r]; break;
		case AK_OUTIF: k->v[j] = b->out_if[r]; break;
		case AK_TOS: k->v[j] = b->tos[r]; break;
		case AK_VLAN: k->v[j] = b->vlan[r]; break;
		}
		if (agg_key_is_addr(key))
			addr_mask(&k->a[j], addr_is_v4(&k->a[j]) ?
			    96u + sp->mask4[j] : sp->mask6[j]);
	}
}

static int
ref_same(const struct agg_spec *sp, const struct ref *x, const struct ref *y)
{
	size_t j;

	for (j = 0; j < sp->nkeys; j++)
		if (memcmp(&x->a[j], &y->a[j], 16) != 0 || x->v[j] != y->v[j])
			return 0;
	return 1;
}

static size_t
ref_build(const struct agg_spec *sp, const struct flow_block *b,
    struct ref *g)
{
	size_t r, i, n = 0;
	int tw;
	struct ref k;

	for (r = 0; r < b->n; r++)
		for (tw = 0; tw < (sp->either ? 2 : 1); tw++) {
			ref_key(sp, b, r, tw, &k);
			for (i = 0; i < n; i++)
				if (ref_same(sp, &g[i], &k))
					break;
			if (i == n) {
				g[n] = k;
				g[n].first = b->first[r];
				g[n].last = b->last[r];
				n++;
			}
			g[i].flows++;
			g[i].packets += b->packets[r];
			g[i].bytes += b->bytes[r];
			if (b->first[r] < g[i].first)
				g[i].first = b->first[r];
			if (b->last[r] > g[i].last)
				g[i].last = b->last[r];
		}
	return n;
}

static uint64_t
ref_value(const struct ref *g, int order)
{
	struct agg_row r;

	memset(&r, 0, sizeof(r));
	r.flows = g->flows;
	r.packets = g->packets;
	r.bytes = g->bytes;
	r.first = g->first;
	r.last = g->last;
	return agg_row_value(&r, order);
}

static int
cmp_desc(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? 1 : x > y ? -1 : 0;
}

static void
check_spec(const struct agg_spec *sp, const struct flow_block *b,
    int shared, int split)
{
	struct agg *a, *part;
	struct agg_row *rows;
	struct ref *g, k;
	uint32_t *idx;
	uint64_t *vals;
	size_t ng, nrows, i, j, half;
	int order;

	g = calloc(2 * b->n, sizeof(*g));
	idx = calloc(b->n, sizeof(*idx));
	vals = calloc(2 * b->n, sizeof(*vals));
	assert_non_null(g);
	assert_non_null(idx);
	assert_non_null(vals);
	for (i = 0; i < b->n; i++)
		idx[i] = (uint32_t)i;
	ng = ref_build(sp, b, g);

	assert_int_equal(shared ? agg_new_shared(sp, &a) : agg_new(sp, &a), 0);
	half = split ? b->n / 2 : b->n;
	if (split) {
		/* first half through a private table merged in */
		assert_int_equal(agg_new(sp, &part), 0);
		assert_int_equal(agg_add(part, b, idx, half), 0);
		assert_int_equal(agg_merge(a, part), 0);
		assert_int_equal(agg_groups(part), 0);
		agg_free(part);
	}
	assert_int_equal(agg_add(a, b, idx + (split ? half : 0),
	    b->n - (split ? half : 0)), 0);
	assert_int_equal(agg_groups(a), ng);

	/* every group matches the reference */
	assert_int_equal(agg_top(a, AO_FLOWS, 0, &rows, &nrows), 0);
	assert_int_equal(nrows, ng);
	for (i = 0; i < nrows; i++) {
		memset(&k, 0, sizeof(k));
		for (j = 0; j < sp->nkeys; j++)
			agg_row_key(a, &rows[i], j, &k.a[j], &k.v[j]);
		for (j = 0; j < ng; j++)
			if (ref_same(sp, &g[j], &k))
				break;
		assert_true(j < ng);
		assert_int_equal(rows[i].flows, g[j].flows);
		assert_int_equal(rows[i].packets, g[j].packets);
		assert_int_equal(rows[i].bytes, g[j].bytes);
		assert_int_equal(rows[i].first, g[j].first);
		assert_int_equal(rows[i].last, g[j].last);
		if (i > 0)
			assert_true(rows[i - 1].flows >= rows[i].flows);
	}
	free(rows);

	/* top-N per order equals the N largest reference values */
	for (order = 0; order < AO_COUNT; order++) {
		size_t n = 7;

		for (i = 0; i < ng; i++)
			vals[i] = ref_value(&g[i], order);
		qsort(vals, ng, sizeof(*vals), cmp_desc);
		assert_int_equal(agg_top(a, order, n, &rows, &nrows), 0);
		assert_int_equal(nrows, ng < n ? ng : n);
		for (i = 0; i < nrows; i++)
			assert_int_equal(agg_row_value(&rows[i], order),
			    vals[i]);
		free(rows);
	}
	agg_free(a);
	free(g);
	free(idx);
	free(vals);
}

static void
test_parse(void **state)
{
	struct agg_spec sp;
	struct mm_diag d;

	(void)state;
	assert_int_equal(agg_spec_stat("srcip/bytes", &sp, &d), 0);
	assert_int_equal(sp.keys[0], AK_SRCIP);
	assert_int_equal(sp.order, AO_BYTES);
	assert_false(sp.either);
	assert_int_equal(agg_spec_stat("ip", &sp, &d), 0);
	assert_true(sp.either);
	assert_int_equal(sp.order, AO_FLOWS);
	assert_int_equal(agg_spec_stat("port/bpp", &sp, &d), 0);
	assert_int_equal(sp.keys[0], AK_SRCPORT);
	assert_int_equal(sp.order, AO_BPP);
	assert_int_equal(agg_spec_stat("as/pps", &sp, &d), 0);
	assert_int_equal(agg_spec_stat("if/bps", &sp, &d), 0);
	assert_int_equal(agg_spec_stat("bogus/bytes", &sp, &d), MM_ESYNTAX);
	assert_int_equal(agg_spec_stat("srcip/bogus", &sp, &d), MM_ESYNTAX);
	assert_int_equal(agg_spec_keys("srcip,dstip,dstport,proto", &sp, &d),
	    0);
	assert_int_equal(sp.nkeys, 4);
	assert_int_equal(agg_spec_keys("srcip4/24,srcip6/64", &sp, &d), 0);
	assert_int_equal(sp.nkeys, 1);
	assert_int_equal(sp.mask4[0], 24);
	assert_int_equal(sp.mask6[0], 64);
	assert_int_equal(agg_spec_keys("srcip,,dstip", &sp, &d), MM_ESYNTAX);
	assert_int_equal(agg_spec_keys("ip", &sp, &d), MM_ESYNTAX);
	assert_int_equal(agg_spec_keys("srcip4/33", &sp, &d), MM_ESYNTAX);
	assert_int_equal(agg_order_parse("BYTES"), AO_BYTES);
	assert_int_equal(agg_order_parse("x"), -1);
}

static void
test_vs_reference(void **state)
{
	static const char *const stats[] = {
		"srcip/bytes", "dstip/packets", "ip/flows", "srcport/bps",
		"port/pps", "proto/bpp", "srcas", "as/bytes", "inif", "if",
		"outif", "exporter", "nexthop", "tos", "vlan", "dstport"
	};
	static const char *const keys[] = {
		"srcip,dstip", "srcip,dstport,proto", "srcip4/24,srcip6/48",
		"dstip4/16,srcport", "srcip,dstip4/24,srcip6/120", "exporter,inif,outif,tos,vlan,srcas,dstas",
		"proto"
	};
	struct flow_block b;
	struct agg_spec sp;
	struct mm_diag d;
	size_t i;
	unsigned spread;

	(void)state;
	for (spread = 3; spread <= 300; spread *= 10) {
		make_block(&b, 3000, spread);
		for (i = 0; i < sizeof(stats) / sizeof(stats[0]); i++) {
			assert_int_equal(agg_spec_stat(stats[i], &sp, &d), 0);
			check_spec(&sp, &b, (int)(i % 2), (int)(i % 3 == 0));
		}
		for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
			assert_int_equal(agg_spec_keys(keys[i], &sp, &d), 0);
			check_spec(&sp, &b, (int)(i % 2), (int)(i % 2));
		}
		flow_block_free(&b);
	}
}

static void
test_grow_many(void **state)
{
	struct flow_block b;
	struct agg_spec sp;
	struct mm_diag d;
	struct agg *a;
	uint32_t *idx;
	struct flow f;
	size_t i, n = 200000;

	(void)state;
	/* many distinct keys: growth of every shard, v4 and v6 */
	flow_block_init(&b);
	memset(&f, 0, sizeof(f));
	for (i = 0; i < n; i++) {
		if (i % 2)
			addr_from_v4(&f.src, (uint32_t)i);
		else {
			uint8_t v6[16] = { 0x20, 0x01 };

			memcpy(v6 + 8, &i, sizeof(i) < 8 ? sizeof(i) : 8);
			addr_from_v6(&f.src, v6);
		}
		f.packets = 1;
		f.bytes = i;
		assert_int_equal(flow_block_append(&b, &f), 0);
	}
	idx = malloc(n * sizeof(*idx));
	assert_non_null(idx);
	for (i = 0; i < n; i++)
		idx[i] = (uint32_t)i;
	assert_int_equal(agg_spec_stat("srcip/bytes", &sp, &d), 0);
	assert_int_equal(agg_new_shared(&sp, &a), 0);
	assert_int_equal(agg_add(a, &b, idx, n), 0);
	assert_int_equal(agg_add(a, &b, idx, n), 0);
	assert_int_equal(agg_groups(a), n);
	assert_true(agg_memory(a) >= n * 48);
	{
		struct agg_row *rows;
		size_t nr;
		struct mm_addr ad;
		uint64_t v;

		assert_int_equal(agg_top(a, AO_BYTES, 1, &rows, &nr), 0);
		assert_int_equal(nr, 1);
		assert_int_equal(rows[0].bytes, 2 * (n - 1));
		assert_int_equal(rows[0].flows, 2);
		assert_int_equal(agg_row_key(a, &rows[0], 0, &ad, &v), 1);
		assert_true(addr_is_v4(&ad));
		assert_int_equal(addr_v4(&ad), n - 1);
		free(rows);
	}
	agg_free(a);
	free(idx);
	flow_block_free(&b);
}

/* ---- high cardinality: shared partitions, compaction, finish ---- */

static int
cmp_ref(const void *x, const void *y)
{
	const struct ref *a = x, *b = y;
	size_t j;
	int c;

	for (j = 0; j < AGG_MAXKEYS; j++) {
		if ((c = memcmp(&a->a[j], &b->a[j], sizeof(a->a[j]))) != 0)
			return c;
		if (a->v[j] != b->v[j])
			return a->v[j] < b->v[j] ? -1 : 1;
	}
	return 0;
}

/* Sort-based reference (O(n log n)): one entry per (row, side). */
static size_t
ref_sorted(const struct agg_spec *sp, const struct flow_block *b,
    struct ref *g)
{
	size_t r, n = 0, m = 0, i;
	int tw;

	for (r = 0; r < b->n; r++)
		for (tw = 0; tw < (sp->either ? 2 : 1); tw++) {
			ref_key(sp, b, r, tw, &g[n]);
			g[n].flows = 1;
			g[n].packets = b->packets[r];
			g[n].bytes = b->bytes[r];
			g[n].first = b->first[r];
			g[n].last = b->last[r];
			n++;
		}
	qsort(g, n, sizeof(*g), cmp_ref);
	for (i = 0; i < n; i++) {
		if (m > 0 && cmp_ref(&g[m - 1], &g[i]) == 0) {
			g[m - 1].flows += g[i].flows;
			g[m - 1].packets += g[i].packets;
			g[m - 1].bytes += g[i].bytes;
			if (g[i].first < g[m - 1].first)
				g[m - 1].first = g[i].first;
			if (g[i].last > g[m - 1].last)
				g[m - 1].last = g[i].last;
			continue;
		}
		g[m++] = g[i];
	}
	return m;
}

/* Rows with `keys` distinct sources (v4 and v6), each seen ~n/keys times. */
static void
make_many(struct flow_block *b, size_t n, size_t keys)
{
	struct flow f;
	size_t i;

	flow_block_init(b);
	for (i = 0; i < n; i++) {
		uint64_t x = rnd() % keys;

		memset(&f, 0, sizeof(f));
		if (x % 7 == 0) {
			uint8_t v6[16] = { 0x20, 0x01, 0x0d, 0xb8 };

			memcpy(v6 + 8, &x, sizeof(x));
			addr_from_v6(&f.src, v6);
		} else
			addr_from_v4(&f.src, 0x0a000000u + (uint32_t)x * 3);
		addr_from_v4(&f.dst, 0xc6120000u + (uint32_t)(rnd() % keys));
		f.first = 1700000000000LL + (mtime_t)(rnd() % 1000000);
		f.last = f.first + (mtime_t)(rnd() % 60000);
		f.packets = 1 + rnd() % 100;
		f.bytes = f.packets * (40 + rnd() % 1400);
		f.proto = 6;
		f.src_port = (uint16_t)(rnd() % 65536);
		f.dst_port = 443;
		assert_int_equal(flow_block_append(b, &f), 0);
	}
}

/*
 * Adds b to a shared aggregation like query.c does: a private table per
 * "thread" until it spills, then straight to the shared one; the second
 * half of the rows goes in small blocks. Compares every group with the
 * sorted reference, and the top 10 by bytes.
 */
static void
check_many(const struct agg_spec *sp, const struct flow_block *b,
    int threads)
{
	struct agg *a, *priv;
	struct agg_scratch *sc;
	struct agg_row *rows;
	struct ref *g, k;
	uint32_t *idx;
	size_t ng, nrows, i, j, step = 3000, half = b->n / 2;
	int direct = 0;

	g = calloc(2 * b->n, sizeof(*g));
	idx = calloc(b->n, sizeof(*idx));
	assert_non_null(g);
	assert_non_null(idx);
	for (i = 0; i < b->n; i++)
		idx[i] = (uint32_t)i;
	ng = ref_sorted(sp, b, g);

	assert_int_equal(agg_new_shared(sp, &a), 0);
	assert_int_equal(agg_new(sp, &priv), 0);
	assert_non_null(sc = agg_scratch_new());
	for (i = 0; i < half; i += step) {
		size_t c = half - i < step ? half - i : step;

		if (direct) {
			assert_int_equal(agg_add_with(a, sc, b, idx + i, c), 0);
			continue;
		}
		assert_int_equal(agg_add_with(priv, sc, b, idx + i, c), 0);
		if (agg_spill_due(priv)) {
			assert_int_equal(agg_merge(a, priv), 0);
			direct = 1;
		}
	}
	assert_int_equal(agg_merge(a, priv), 0);
	assert_false(agg_spill_due(a));
	/* the rest in one large call (one block), without a scratch */
	assert_int_equal(agg_add(a, b, idx + half, b->n - half), 0);
	assert_int_equal(agg_finish(a, threads), 0);
	assert_int_equal(agg_groups(a), ng);
	assert_true(agg_memory(a) >= ng * 48);

	assert_int_equal(agg_top(a, AO_FLOWS, 0, &rows, &nrows), 0);
	assert_int_equal(nrows, ng);
	for (i = 0; i < nrows; i++) {
		struct ref *m;

		memset(&k, 0, sizeof(k));
		for (j = 0; j < sp->nkeys; j++)
			agg_row_key(a, &rows[i], j, &k.a[j], &k.v[j]);
		m = bsearch(&k, g, ng, sizeof(*g), cmp_ref);
		assert_non_null(m);
		assert_int_equal(rows[i].flows, m->flows);
		assert_int_equal(rows[i].packets, m->packets);
		assert_int_equal(rows[i].bytes, m->bytes);
		assert_int_equal(rows[i].first, m->first);
		assert_int_equal(rows[i].last, m->last);
		m->flows = 0;		/* each group once */
	}
	free(rows);
	assert_int_equal(agg_top(a, AO_BYTES, 10, &rows, &nrows), 0);
	assert_int_equal(nrows, ng < 10 ? ng : 10);
	for (i = 1; i < nrows; i++)
		assert_true(rows[i - 1].bytes >= rows[i].bytes);
	free(rows);
	agg_scratch_free(sc);
	agg_free(priv);
	agg_free(a);
	free(g);
	free(idx);
}

static void
test_high_cardinality(void **state)
{
	static const char *const stats[] = {
		"srcip/bytes", "ip/flows", "dstip/packets"
	};
	static const char *const keys[] = {
		"srcip4/24,srcip6/48", "srcip,srcport", "srcip4/20,dstip"
	};
	struct flow_block b;
	struct agg_spec sp;
	struct mm_diag d;
	size_t i, kc;
	/* few groups per partition (no compaction before finish), and
	 * many (several compactions per partition) */
	static const size_t keyc[] = { 1500, 80000 };

	(void)state;
	for (kc = 0; kc < 2; kc++) {
		make_many(&b, 160000, keyc[kc]);
		for (i = 0; i < sizeof(stats) / sizeof(stats[0]); i++) {
			assert_int_equal(agg_spec_stat(stats[i], &sp, &d), 0);
			check_many(&sp, &b, 1 + (int)i);
		}
		for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
			assert_int_equal(agg_spec_keys(keys[i], &sp, &d), 0);
			check_many(&sp, &b, 2);
		}
		flow_block_free(&b);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse),
		cmocka_unit_test(test_vs_reference),
		cmocka_unit_test(test_grow_many),
		cmocka_unit_test(test_high_cardinality),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
