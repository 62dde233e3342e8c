/*
 * test_store_rw.c - writer/reader round trips and damage handling:
 * all columns with random and edge values under every codec, partial column
 * loads, the Bloom filter (no false negatives, false-positive rate),
 * rotation, flush-on-tick, truncation at every 97th byte, flipped bytes,
 * and restart appending to an existing file with a torn tail.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <fcntl.h>
#include <sys/stat.h>

#include <cmocka.h>

#include "core/err.h"
#include "store/store.h"
#include "store_test_util.h"

#define T0	1700000100000LL	/* 2023-11-14 22:15:00 UTC, interval start */

/* Generates row i of the standard test sequence. */
static void
gen_row(struct flow *f, unsigned i)
{
	if (i % 7 == 3)
		tu_flow_edge(f, i / 7);
	else
		tu_flow_random(f, T0);
}

/* Writes `n` rows (seeded) into a fresh data dir; returns the file path. */
static void
write_rows(const char *dir, const struct store_conf *conf, unsigned n,
    uint64_t seed, char *path, size_t plen)
{
	struct store_writer *w;
	struct mm_diag d;
	struct flow f;
	char **paths;
	size_t np;
	unsigned i;

	tu_seed(seed);
	assert_int_equal(store_writer_open(dir, conf, &w, &d), 0);
	for (i = 0; i < n; i++) {
		gen_row(&f, i);
		assert_int_equal(store_writer_add(w, &f, T0 + 10, &d), 0);
	}
	assert_int_equal(store_writer_close(w, &d), 0);
	assert_int_equal(store_list(dir, NULL, &paths, &np, &d), 0);
	assert_int_equal(np, 1);
	snprintf(path, plen, "%s", paths[0]);
	store_paths_free(paths, np);
}

/* Reads a whole file, checking rows against the seeded sequence. */
static unsigned
read_check(const char *path, uint64_t seed, uint32_t mask)
{
	struct store_reader *r;
	struct store_block_info bi;
	struct flow_block b;
	struct mm_diag d;
	struct flow want, got;
	unsigned row = 0;
	size_t i;
	int rc;

	flow_block_init(&b);
	tu_seed(seed);
	assert_int_equal(store_reader_open(path, &r, &d), 0);
	while ((rc = store_reader_next(r, &bi, &d)) == 1) {
		assert_int_equal(store_reader_load(r, mask, &b, &d), 0);
		assert_int_equal(b.n, bi.rows);
		for (i = 0; i < b.n; i++, row++) {
			gen_row(&want, row);
			flow_block_get(&b, i, &got);
			assert_true(want.first >= bi.tmin);
			assert_true(want.last <= bi.tmax);
			if (mask == FCOL_ALL) {
				assert_true(tu_flow_eq(&want, &got));
				continue;
			}
			if (mask & FCOL_BIT(FCOL_LAST))
				assert_true(want.last == got.last);
			if (mask & FCOL_BIT(FCOL_BYTES))
				assert_true(want.bytes == got.bytes);
			if (mask & FCOL_BIT(FCOL_DST))
				assert_memory_equal(&want.dst, &got.dst, 16);
		}
	}
	assert_int_equal(rc, 0);
	store_reader_close(r);
	flow_block_free(&b);
	return row;
}

static void
roundtrip(enum store_codec codec)
{
	struct store_conf conf;
	char dir[256], path[512];

	memset(&conf, 0, sizeof(conf));
	conf.codec = codec;
	conf.block_rows = 1000;
	assert_non_null(tu_tmpdir(dir, sizeof(dir)));
	write_rows(dir, &conf, 4321, 42, path, sizeof(path));
	assert_non_null(strstr(path, "/flows/2023/11/14/flows-202311142215.mmf"));
	assert_int_equal(read_check(path, 42, FCOL_ALL), 4321);
	assert_int_equal(read_check(path, 42, FCOL_BIT(FCOL_LAST) |
	    FCOL_BIT(FCOL_BYTES) | FCOL_BIT(FCOL_DST)), 4321);
	tu_rmtree(dir);
}

static void
test_roundtrip_zstd(void **state)
{
	(void)state;
	roundtrip(STORE_ZSTD);
}

static void
test_roundtrip_lz4(void **state)
{
	(void)state;
	roundtrip(STORE_LZ4);
}

static void
test_roundtrip_none(void **state)
{
	(void)state;
	roundtrip(STORE_NONE);
}

/* Constant columns and a one-row block. */
static void
test_roundtrip_const(void **state)
{
	struct store_writer *w;
	struct store_reader *r;
	struct store_block_info bi;
	struct flow_block b;
	struct mm_diag d;
	struct flow f, g;
	char dir[256], **paths;
	size_t np, i;
	int k;

	(void)state;
	assert_non_null(tu_tmpdir(dir, sizeof(dir)));
	flow_block_init(&b);
	tu_seed(7);
	tu_flow_random(&f, T0);
	assert_int_equal(store_writer_open(dir, NULL, &w, &d), 0);
	for (k = 0; k < 300; k++)
		assert_int_equal(store_writer_add(w, &f, T0, &d), 0);
	assert_int_equal(store_writer_flush(w, &d), 0);
	assert_int_equal(store_writer_add(w, &f, T0, &d), 0);
	assert_int_equal(store_writer_close(w, &d), 0);
	assert_int_equal(store_list(dir, NULL, &paths, &np, &d), 0);
	assert_int_equal(np, 1);
	assert_int_equal(store_reader_open(paths[0], &r, &d), 0);
	k = 0;
	while (store_reader_next(r, &bi, &d) == 1) {
		assert_int_equal(store_reader_load(r, FCOL_ALL, &b, &d), 0);
		for (i = 0; i < b.n; i++) {
			flow_block_get(&b, i, &g);
			assert_true(tu_flow_eq(&f, &g));
		}
		k += (int)b.n;
	}
	assert_int_equal(k, 301);
	store_reader_close(r);
	store_paths_free(paths, np);
	flow_block_free(&b);
	tu_rmtree(dir);
}

static int
first_cmp(const void *a, const void *b)
{
	const struct flow *x = a, *y = b;

	return x->first < y->first ? -1 : x->first > y->first;
}

/* sort_rows: each block comes back stably sorted by first. */
static void
test_roundtrip_sorted(void **state)
{
	struct store_conf conf;
	struct store_reader *r;
	struct store_block_info bi;
	struct flow_block b;
	struct mm_diag d;
	struct flow *want, got;
	char dir[256], path[512];
	unsigned i, j, n = 2500, row = 0;

	(void)state;
	memset(&conf, 0, sizeof(conf));
	conf.block_rows = 1000;
	conf.sort_rows = 1;
	assert_non_null(tu_tmpdir(dir, sizeof(dir)));
	write_rows(dir, &conf, n, 31, path, sizeof(path));
	want = calloc(n, sizeof(*want));
	assert_non_null(want);
	tu_seed(31);
	for (i = 0; i < n; i++)
		gen_row(&want[i], i);
	flow_block_init(&b);
	assert_int_equal(store_reader_open(path, &r, &d), 0);
	while (store_reader_next(r, &bi, &d) == 1) {
		assert_int_equal(store_reader_load(r, FCOL_ALL, &b, &d), 0);
		/* stable sort of the same arrival rows: insertion sort */
		for (i = row + 1; i < row + b.n; i++)
			for (j = i; j > row && first_cmp(&want[j - 1],
			    &want[j]) > 0; j--) {
				struct flow t = want[j];

				want[j] = want[j - 1];
				want[j - 1] = t;
			}
		for (i = 0; i < b.n; i++) {
			flow_block_get(&b, i, &got);
			assert_true(tu_flow_eq(&want[row + i], &got));
		}
		row += (unsigned)b.n;
	}
	assert_int_equal(row, n);
	store_reader_close(r);
	flow_block_free(&b);
	free(want);
	tu_rmtree(dir);
}

static void
test_bloom(void **state)
{
	struct store_conf conf;
	struct store_reader *r;
	struct store_block_info bi;
	struct flow_block b;
	struct mm_diag d;
	struct mm_addr probe;
	char dir[256], path[512];
	size_t i;
	unsigned fp = 0, probes = 0, j;

	(void)state;
	memset(&conf, 0, sizeof(conf));
	conf.block_rows = 4096;
	assert_non_null(tu_tmpdir(dir, sizeof(dir)));
	write_rows(dir, &conf, 40000, 99, path, sizeof(path));
	flow_block_init(&b);
	assert_int_equal(store_reader_open(path, &r, &d), 0);
	tu_seed(12345);
	while (store_reader_next(r, &bi, &d) == 1) {
		assert_int_equal(store_reader_load(r, FCOL_BIT(FCOL_SRC) |
		    FCOL_BIT(FCOL_DST), &b, &d), 0);
		for (i = 0; i < b.n; i++) {
			assert_true(store_reader_may_contain(r, &b.src[i]));
			assert_true(store_reader_may_contain(r, &b.dst[i]));
		}
		for (j = 0; j < 20000; j++) {
			/* random v4 addresses: almost surely absent */
			addr_from_v4(&probe, (uint32_t)tu_rand());
			probes++;
			fp += (unsigned)store_reader_may_contain(r, &probe);
		}
	}
	print_message("bloom: %u/%u false positives (%.3f%%)\n", fp, probes,
	    100.0 * fp / probes);
	assert_true(fp * 100 < probes * 3);	/* < 3% */
	store_reader_close(r);
	flow_block_free(&b);
	tu_rmtree(dir);
}

static void
test_rotation(void **state)
{
	struct store_writer *w;
	struct store_conf conf;
	struct mm_diag d;
	struct flow f;
	char dir[256], **paths;
	size_t np;
	int i;
	uint64_t rows;

	(void)state;
	memset(&conf, 0, sizeof(conf));
	conf.rotate_ms = 60000;
	assert_non_null(tu_tmpdir(dir, sizeof(dir)));
	assert_int_equal(store_writer_open(dir, &conf, &w, &d), 0);
	tu_seed(5);
	for (i = 0; i < 300; i++) {
		tu_flow_random(&f, T0);
		/* 100 rows per minute: 3 intervals */
		assert_int_equal(store_writer_add(w, &f, T0 + i * 600, &d), 0);
		assert_int_equal(store_writer_tick(w, T0 + i * 600, &d), 0);
	}
	assert_int_equal(store_writer_close(w, &d), 0);
	assert_int_equal(store_list(dir, NULL, &paths, &np, &d), 0);
	assert_int_equal(np, 3);
	assert_non_null(strstr(paths[0], "flows-202311142215.mmf"));
	assert_non_null(strstr(paths[1], "flows-202311142216.mmf"));
	assert_non_null(strstr(paths[2], "flows-202311142217.mmf"));
	rows = 0;
	for (i = 0; i < 3; i++) {
		struct store_reader *r;
		struct store_block_info bi;
		mtime_t st, rot;
		uint64_t n = 0;

		assert_int_equal(store_reader_open(paths[i], &r, &d), 0);
		store_reader_interval(r, &st, &rot);
		assert_int_equal(st, T0 + i * 60000);
		assert_int_equal(rot, 60000);
		while (store_reader_next(r, &bi, &d) == 1)
			n += bi.rows;
		assert_int_equal(n, 100);
		rows += n;
		store_reader_close(r);
	}
	assert_int_equal(rows, 300);
	store_paths_free(paths, np);
	tu_rmtree(dir);
}

static uint64_t
count_rows(const char *dir)
{
	struct store_reader *r;
	struct store_block_info bi;
	struct mm_diag d;
	char **paths;
	size_t np, i;
	uint64_t n = 0;

	if (store_list(dir, NULL, &paths, &np, &d) != 0)
		return 0;
	for (i = 0; i < np; i++) {
		if (store_reader_open(paths[i], &r, &d) != 0)
			continue;
		while (store_reader_next(r, &bi, &d) == 1)
			n += bi.rows;
		store_reader_close(r);
	}
	store_paths_free(paths, np);
	return n;
}

static void
test_flush_tick(void **state)
{
	struct store_writer *w;
	struct mm_diag d;
	struct flow f;
	char dir[256];
	int i;

	(void)state;
	assert_non_null(tu_tmpdir(dir, sizeof(dir)));
	assert_int_equal(store_writer_open(dir, NULL, &w, &d), 0);
	tu_seed(6);
	for (i = 0; i < 10; i++) {
		tu_flow_random(&f, T0);
		assert_int_equal(store_writer_add(w, &f, T0 + 1000, &d), 0);
	}
	assert_int_equal(store_writer_tick(w, T0 + 1500, &d), 0);
	assert_int_equal(count_rows(dir), 0);
	assert_int_equal(store_writer_tick(w, T0 + 2000, &d), 0);
	/* visible to a reader while the writer is still open */
	assert_int_equal(count_rows(dir), 10);
	tu_flow_random(&f, T0);
	assert_int_equal(store_writer_add(w, &f, T0 + 2100, &d), 0);
	assert_int_equal(store_writer_tick(w, T0 + 2200, &d), 0);
	assert_int_equal(count_rows(dir), 10);
	assert_int_equal(store_writer_tick(w, T0 + 3100, &d), 0);
	assert_int_equal(count_rows(dir), 11);
	{
		uint64_t rows, blocks, bytes;

		store_writer_counts(w, &rows, &blocks, &bytes);
		assert_int_equal(rows, 11);
		assert_int_equal(blocks, 2);
		assert_true(bytes > 0);
	}
	assert_int_equal(store_writer_close(w, &d), 0);
	tu_rmtree(dir);
}

static uint8_t *
slurp(const char *path, size_t *len)
{
	FILE *fp = fopen(path, "rb");
	uint8_t *buf;
	long n;

	assert_non_null(fp);
	fseek(fp, 0, SEEK_END);
	n = ftell(fp);
	rewind(fp);
	buf = malloc((size_t)n + 1);
	assert_non_null(buf);
	assert_int_equal(fread(buf, 1, (size_t)n, fp), (size_t)n);
	fclose(fp);
	*len = (size_t)n;
	return buf;
}

/*
 * Reads an image: returns rows loaded (checked against the sequence by
 * position), counting errors; rows of good blocks must match exactly.
 */
static unsigned
read_image(const uint8_t *img, size_t len, const uint64_t *ends,
    size_t nblocks, unsigned rows_per, unsigned *errors, int *ok)
{
	struct store_reader *r;
	struct store_block_info bi;
	struct flow_block b;
	struct mm_diag d;
	struct flow want, got;
	unsigned loaded = 0, bi_idx, k;
	size_t i;
	int rc;

	*ok = 0;
	*errors = 0;
	if (store_reader_open_mem(img, len, "image", &r, &d) != 0)
		return 0;
	*ok = 1;
	flow_block_init(&b);
	while ((rc = store_reader_next(r, &bi, &d)) != 0) {
		if (rc < 0) {
			(*errors)++;
			assert_non_null(strstr(d.msg, "image: block at offset"));
			continue;
		}
		if (store_reader_load(r, FCOL_ALL, &b, &d) != 0) {
			(*errors)++;
			continue;
		}
		/* find which original block this is */
		for (bi_idx = 0; bi_idx < nblocks; bi_idx++)
			if (ends[bi_idx] == bi.offset + bi.stored_bytes)
				break;
		assert_true(bi_idx < nblocks);
		tu_seed(77);
		for (k = 0; k < bi_idx * rows_per; k++)
			gen_row(&want, k);
		for (i = 0; i < b.n; i++) {
			gen_row(&want, k++);
			flow_block_get(&b, i, &got);
			assert_true(tu_flow_eq(&want, &got));
		}
		loaded += (unsigned)b.n;
	}
	store_reader_close(r);
	flow_block_free(&b);
	return loaded;
}

static void
block_ends(const uint8_t *img, size_t len, uint64_t *ends, size_t *n)
{
	struct store_reader *r;
	struct store_block_info bi;
	struct mm_diag d;

	*n = 0;
	assert_int_equal(store_reader_open_mem(img, len, "x", &r, &d), 0);
	while (store_reader_next(r, &bi, &d) == 1)
		ends[(*n)++] = bi.offset + bi.stored_bytes;
	store_reader_close(r);
}

static void
test_truncated(void **state)
{
	struct store_conf conf;
	char dir[256], path[512];
	uint8_t *img;
	uint64_t ends[16];
	size_t len, nb, cut, k, complete;
	unsigned errors, got;
	int ok;

	(void)state;
	memset(&conf, 0, sizeof(conf));
	conf.block_rows = 100;
	assert_non_null(tu_tmpdir(dir, sizeof(dir)));
	write_rows(dir, &conf, 500, 77, path, sizeof(path));
	img = slurp(path, &len);
	block_ends(img, len, ends, &nb);
	assert_int_equal(nb, 5);
	for (cut = 0; cut <= len; cut += 97) {
		uint8_t *copy = malloc(cut + 1);

		memcpy(copy, img, cut);
		got = read_image(copy, cut, ends, nb, 100, &errors, &ok);
		for (complete = k = 0; k < nb; k++)
			if (ends[k] <= cut)
				complete++;
		if (cut >= 24)
			assert_true(ok);
		assert_int_equal(got, complete * 100);
		assert_true(errors <= 1);
		free(copy);
	}
	free(img);
	tu_rmtree(dir);
}

static void
test_flipped(void **state)
{
	struct store_conf conf;
	char dir[256], path[512];
	uint8_t *img;
	uint64_t ends[16];
	size_t len, nb, pos, k;
	unsigned errors, got;
	int ok;

	(void)state;
	memset(&conf, 0, sizeof(conf));
	conf.block_rows = 100;
	assert_non_null(tu_tmpdir(dir, sizeof(dir)));
	write_rows(dir, &conf, 500, 77, path, sizeof(path));
	img = slurp(path, &len);
	block_ends(img, len, ends, &nb);
	for (pos = 24; pos < len; pos += 53) {
		if (pos + 53 >= len)
			pos = len - 2;	/* also hit a block CRC */
		img[pos] ^= 0x5a;
		got = read_image(img, len, ends, nb, 100, &errors, &ok);
		assert_true(ok);
		/* exactly the block holding pos is lost, unless only its
		 * trailing whole-block CRC was hit: loads check the header
		 * and section CRCs, so its data still reads */
		for (k = 0; k < nb && ends[k] <= pos; k++)
			;
		if (k < nb && pos >= ends[k] - 4) {
			struct store_reader *r;
			struct store_block_info bi;
			struct mm_diag d;
			size_t m = 0;

			assert_int_equal(got, 500);
			assert_int_equal(errors, 0);
			/* ... but the whole-block check reports it */
			assert_int_equal(store_reader_open_mem(img, len, "img",
			    &r, &d), 0);
			while (store_reader_next(r, &bi, &d) == 1)
				if (store_reader_check(r, &d) != 0) {
					m++;
					assert_int_equal(bi.offset +
					    bi.stored_bytes, ends[k]);
					assert_non_null(strstr(d.msg,
					    "block checksum mismatch"));
				}
			assert_int_equal(m, 1);
			store_reader_close(r);
		} else {
			assert_int_equal(got, 400);
			assert_true(errors >= 1);
		}
		img[pos] ^= 0x5a;
	}
	got = read_image(img, len, ends, nb, 100, &errors, &ok);
	assert_int_equal(got, 500);
	assert_int_equal(errors, 0);
	free(img);
	tu_rmtree(dir);
}

static void
test_restart_append(void **state)
{
	struct store_writer *w;
	struct store_conf conf;
	struct mm_diag d;
	struct flow f;
	char dir[256], path[512];
	uint8_t *img;
	size_t len;
	FILE *fp;
	int i;

	(void)state;
	memset(&conf, 0, sizeof(conf));
	conf.block_rows = 100;
	assert_non_null(tu_tmpdir(dir, sizeof(dir)));
	write_rows(dir, &conf, 300, 77, path, sizeof(path));
	/* simulate a torn write: half a block appended */
	img = slurp(path, &len);
	fp = fopen(path, "ab");
	assert_non_null(fp);
	assert_int_equal(fwrite(img + 24, 1, (len - 24) / 5, fp),
	    (len - 24) / 5);
	fclose(fp);
	free(img);
	/* restart: continue the sequence (durably, to run that path too) */
	conf.fsync = 1;
	tu_seed(77);
	for (i = 0; i < 300; i++)
		gen_row(&f, (unsigned)i);
	assert_int_equal(store_writer_open(dir, &conf, &w, &d), 0);
	for (i = 300; i < 450; i++) {
		gen_row(&f, (unsigned)i);
		assert_int_equal(store_writer_add(w, &f, T0 + 20, &d), 0);
	}
	assert_int_equal(store_writer_close(w, &d), 0);
	assert_int_equal(read_check(path, 77, FCOL_ALL), 450);
	tu_rmtree(dir);
}

static void
test_refuse_foreign(void **state)
{
	struct store_writer *w;
	struct mm_diag d;
	struct flow f;
	char dir[256], sub[512], path[600];
	FILE *fp;

	(void)state;
	assert_non_null(tu_tmpdir(dir, sizeof(dir)));
	snprintf(sub, sizeof(sub), "%s/flows/2023/11/14", dir);
	assert_int_equal(system(NULL) != 0, 1);
	{
		char cmd[700];

		snprintf(cmd, sizeof(cmd), "mkdir -p '%s'", sub);
		assert_int_equal(system(cmd), 0);
	}
	snprintf(path, sizeof(path), "%s/flows-202311142215.mmf", sub);
	fp = fopen(path, "wb");
	assert_non_null(fp);
	fputs("this is not a mamori store file at all\n", fp);
	fclose(fp);
	tu_seed(1);
	tu_flow_random(&f, T0);
	assert_int_equal(store_writer_open(dir, NULL, &w, &d), 0);
	assert_int_equal(store_writer_add(w, &f, T0, &d), 0);
	assert_int_equal(store_writer_flush(w, &d), MM_EFORMAT);
	assert_non_null(strstr(d.msg, "not overwriting"));
	store_writer_close(w, NULL);
	tu_rmtree(dir);
}

static void
test_reader_errors(void **state)
{
	struct store_reader *r;
	struct store_block_info bi;
	struct flow_block b;
	struct mm_diag d;
	uint8_t junk[100];

	(void)state;
	flow_block_init(&b);
	memset(junk, 'M', sizeof(junk));
	assert_int_equal(store_reader_open_mem(junk, sizeof(junk), "j", &r,
	    &d), MM_EFORMAT);
	assert_null(r);
	assert_int_equal(store_reader_open("/nonexistent/x.mmf", &r, &d),
	    MM_ENOENT);
	assert_int_equal(store_reader_open_mem(junk, 0, "empty", &r, &d), 0);
	assert_int_equal(store_reader_next(r, &bi, &d), 0);
	assert_int_equal(store_reader_load(r, FCOL_ALL, &b, &d), MM_EINVAL);
	store_reader_close(r);
	store_reader_close(NULL);
	flow_block_free(&b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_roundtrip_zstd),
		cmocka_unit_test(test_roundtrip_lz4),
		cmocka_unit_test(test_roundtrip_none),
		cmocka_unit_test(test_roundtrip_const),
		cmocka_unit_test(test_roundtrip_sorted),
		cmocka_unit_test(test_bloom),
		cmocka_unit_test(test_rotation),
		cmocka_unit_test(test_flush_tick),
		cmocka_unit_test(test_truncated),
		cmocka_unit_test(test_flipped),
		cmocka_unit_test(test_restart_append),
		cmocka_unit_test(test_refuse_foreign),
		cmocka_unit_test(test_reader_errors),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
