/*
 * test_store_scan.c - the scan shortcuts of the store reader:
 * store_reader_match_addr() (address predicates on the encoded column) and
 * store_reader_load_rows() (decoding only selected rows) must give exactly
 * what the generic path gives (store_reader_load() + prefix_contains() /
 * flow_block_get()) on random blocks: IPv4 only, IPv6 only, mixed families
 * with empty addresses, one constant address, all empty; zstd, lz4 and
 * uncompressed; hosts, nets, sets, ::/0 and the IPv4-mapped space.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "core/err.h"
#include "store/column.h"
#include "store/store.h"
#include "store_test_util.h"

#define T0	1700000000000LL
#define NPOOL	24

enum amode { AM_V4, AM_V6, AM_MIXED, AM_CONST, AM_ZERO, AM_COUNT };

static struct mm_addr pool[NPOOL];
static uint64_t tot_hits, tot_rows, tot_sel;	/* the test tests something */

static void
pool_make(enum amode m)
{
	size_t i;

	for (i = 0; i < NPOOL; i++) {
		switch (m) {
		case AM_V4:
			tu_addr_rand(&pool[i], 0);
			if (i % 3 == 0)	/* some share a /24 */
				pool[i].b[15] = (uint8_t)i;
			break;
		case AM_V6:
			tu_addr_rand(&pool[i], 1);
			break;
		case AM_MIXED:
			if (i % 5 == 4)
				memset(&pool[i], 0, sizeof(pool[i]));
			else
				tu_addr_rand(&pool[i], i % 2 == 1);
			break;
		case AM_CONST:
			tu_addr_rand(&pool[i], 0);
			pool[i] = pool[0];
			break;
		default:
			memset(&pool[i], 0, sizeof(pool[i]));
			break;
		}
	}
}

static void
write_file(const char *dir, enum store_codec codec, unsigned n, char *path,
    size_t plen)
{
	struct store_conf conf;
	struct store_writer *w;
	struct mm_diag d;
	struct flow f;
	char **paths;
	size_t np;
	unsigned i;

	memset(&conf, 0, sizeof(conf));
	conf.codec = codec;
	conf.block_rows = 700;
	assert_int_equal(store_writer_open(dir, &conf, &w, &d), 0);
	for (i = 0; i < n; i++) {
		tu_flow_random(&f, T0);
		if (codec != STORE_ZSTD) {	/* sorted: delta columns */
			f.first = T0 + 3 * (mtime_t)i;
			f.last = f.first + (mtime_t)(tu_rand() % 40);
		}
		f.src = pool[tu_rand() % NPOOL];
		f.dst = pool[tu_rand() % NPOOL];
		assert_int_equal(store_writer_add(w, &f, T0 + 10, &d), 0);
	}
	assert_int_equal(store_writer_close(w, &d), 0);
	assert_int_equal(store_list(dir, NULL, &paths, &np, &d), 0);
	assert_int_equal(np, 1);
	snprintf(path, plen, "%s", paths[0]);
	store_paths_free(paths, np);
}

/* A few prefix sets built from the pool and fixed corner cases. */
static size_t
make_set(unsigned which, struct mm_prefix *set)
{
	size_t i, n = 0;

	switch (which) {
	case 0:		/* one host from the pool */
		set[n].addr = pool[tu_rand() % NPOOL];
		set[n++].len = 128;
		break;
	case 1:		/* a /120 (IPv4 /24) around a pool address */
	case 2:		/* a /104 (IPv4 /8) */
	case 3:		/* an IPv6 /64 */
		set[n].addr = pool[tu_rand() % NPOOL];
		set[n].len = which == 1 ? 120 : which == 2 ? 104 : 64;
		addr_mask(&set[n].addr, set[n].len);
		n++;
		break;
	case 4:		/* many hosts (binary search) plus one absent */
		for (i = 0; i < 12; i++) {
			set[n].addr = pool[(i * 7) % NPOOL];
			set[n++].len = 128;
		}
		tu_addr_rand(&set[n].addr, 0);
		set[n++].len = 128;
		break;
	case 5:		/* ::/0: everything, empty addresses too */
		memset(&set[n], 0, sizeof(set[n]));
		n++;
		break;
	case 6:		/* ::ffff:0:0/96: every IPv4 address */
		addr_from_v4(&set[n].addr, 0);
		set[n++].len = 96;
		break;
	case 7:		/* ::/8 and an IPv4 /17 and a host */
		memset(&set[n], 0, sizeof(set[n]));
		set[n++].len = 8;
		set[n].addr = pool[tu_rand() % NPOOL];
		set[n].len = 113;
		addr_mask(&set[n].addr, 113);
		n++;
		set[n].addr = pool[tu_rand() % NPOOL];
		set[n++].len = 128;
		break;
	default:	/* the empty address as a host */
		memset(&set[n], 0, sizeof(set[n]));
		set[n++].len = 128;
		break;
	}
	return n;
}

static void
check_file(const char *path)
{
	struct store_reader *r;
	struct store_block_info bi;
	struct flow_block b, g;
	struct mm_prefix set[16];
	struct mm_diag d;
	struct flow want, got;
	uint8_t sel[1024];
	uint32_t idx[1024];
	size_t i, k, m, nset = 0, want_n;
	unsigned which, col, trial;
	long h;
	int rc;

	flow_block_init(&b);
	flow_block_init(&g);
	assert_int_equal(store_reader_open(path, &r, &d), 0);
	while ((rc = store_reader_next(r, &bi, &d)) == 1) {
		assert_true(bi.rows <= sizeof(sel));
		/* the pre-test first: sections come from the cache after */
		for (which = 0; which < 9; which++) {
			nset = make_set(which, set);
			for (col = 0; col < 2; col++) {
				enum flow_col c = col ? FCOL_DST : FCOL_SRC;

				h = store_reader_match_addr(r, c, set, nset,
				    sel, &d);
				assert_true(h >= 0);
				assert_int_equal(store_reader_load(r,
				    FCOL_BIT(c), &b, &d), 0);
				for (i = 0, want_n = 0; i < b.n; i++) {
					const struct mm_addr *a = col ?
					    &b.dst[i] : &b.src[i];
					int x = 0;

					for (k = 0; k < nset && !x; k++)
						x = prefix_contains(&set[k], a);
					assert_int_equal(sel[i], x);
					want_n += (size_t)x;
				}
				assert_int_equal((size_t)h, want_n);
				tot_hits += want_n;
				tot_rows += b.n;
			}
		}
		/* selected rows against the full decode */
		assert_int_equal(store_reader_load(r, FCOL_ALL, &b, &d), 0);
		for (trial = 0; trial < 4; trial++) {
			for (i = 0, m = 0; i < b.n; i++)
				if (trial == 3 || tu_rand() % (trial * 8 + 2) == 0)
					idx[m++] = (uint32_t)i;
			assert_int_equal(store_reader_load_rows(r, FCOL_ALL,
			    idx, m, &g, &d), 0);
			assert_int_equal(g.n, m);
			tot_sel += m;
			for (k = 0; k < m; k++) {
				flow_block_get(&b, idx[k], &want);
				flow_block_get(&g, k, &got);
				assert_true(tu_flow_eq(&want, &got));
			}
		}
		/* `last` alone pulls in `first` */
		idx[0] = (uint32_t)(b.n - 1);
		assert_int_equal(store_reader_load_rows(r,
		    FCOL_BIT(FCOL_LAST), idx, 1, &g, &d), 0);
		assert_true(g.last[0] == b.last[b.n - 1]);
		/* errors */
		idx[0] = 1;
		idx[1] = 1;
		assert_int_equal(store_reader_load_rows(r, FCOL_ALL, idx, 2,
		    &g, &d), MM_EINVAL);
		idx[0] = bi.rows;
		assert_int_equal(store_reader_load_rows(r, FCOL_ALL, idx, 1,
		    &g, &d), MM_EINVAL);
		assert_int_equal(store_reader_match_addr(r, FCOL_BYTES, set,
		    nset, sel, &d), MM_EINVAL);
		assert_int_equal(store_reader_load_rows(r, FCOL_ALL, idx, 0,
		    &g, &d), 0);
		assert_int_equal(g.n, 0);
	}
	assert_int_equal(rc, 0);
	assert_int_equal(store_reader_match_addr(r, FCOL_SRC, set, nset, sel,
	    &d), MM_EINVAL);	/* no current block */
	store_reader_close(r);
	flow_block_free(&b);
	flow_block_free(&g);
}

static void
test_match_and_gather(void **state)
{
	static const enum store_codec codecs[] = {
		STORE_ZSTD, STORE_LZ4, STORE_NONE
	};
	char dir[256], path[512];
	unsigned m, c;

	(void)state;
	tu_seed(7);
	for (m = 0; m < AM_COUNT; m++) {
		for (c = 0; c < 3; c++) {
			pool_make((enum amode)m);
			assert_non_null(tu_tmpdir(dir, sizeof(dir)));
			write_file(dir, codecs[c], 2345, path, sizeof(path));
			check_file(path);
			tu_rmtree(dir);
		}
	}
	assert_true(tot_hits > 0 && tot_hits < tot_rows);
	assert_true(tot_sel > 0);
}

/* Corrupt or short encodings are errors, never reads out of bounds. */
static void
test_match_corrupt(void **state)
{
	struct flow_block b;
	struct flow f;
	struct sbuf raw, scratch;
	struct mm_prefix p;
	uint8_t tr, sel[64];
	size_t i, hits, cut;

	(void)state;
	tu_seed(11);
	pool_make(AM_MIXED);
	flow_block_init(&b);
	memset(&raw, 0, sizeof(raw));
	memset(&scratch, 0, sizeof(scratch));
	for (i = 0; i < 64; i++) {
		tu_flow_random(&f, T0);
		f.src = pool[i % NPOOL];
		assert_int_equal(flow_block_append(&b, &f), 0);
	}
	assert_int_equal(column_encode(&b, FCOL_SRC, &raw, &tr), 0);
	assert_int_equal(tr, CT_ADDR);
	p.addr = pool[1];
	p.len = 128;
	assert_int_equal(column_match_addr(tr, raw.p, raw.len, 64, &p, 1, sel,
	    &hits, &scratch), 0);
	assert_true(hits > 0);
	for (cut = 0; cut < raw.len; cut++)
		assert_int_equal(column_match_addr(tr, raw.p, cut, 64, &p, 1,
		    sel, &hits, &scratch), MM_ECORRUPT);
	raw.p[0] = 7;
	assert_int_equal(column_match_addr(tr, raw.p, raw.len, 64, &p, 1,
	    sel, &hits, &scratch), MM_ECORRUPT);
	assert_int_equal(column_match_addr(CT_PLANES, raw.p, raw.len, 64, &p,
	    1, sel, &hits, &scratch), MM_ECORRUPT);
	sbuf_free(&raw);
	sbuf_free(&scratch);
	flow_block_free(&b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_match_and_gather),
		cmocka_unit_test(test_match_corrupt),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
