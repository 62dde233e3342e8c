/*
 * test_store_files.c - store_list() with and without windows, on a data
 * directory, a subtree and a single file; store_expire() by age and by size,
 * dry run, and removal of emptied day directories.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>

#include <cmocka.h>

#include "core/err.h"
#include "store/store.h"
#include "store_test_util.h"

#define T0	1700000100000LL		/* 2023-11-14 22:15:00 */
#define MIN	60000LL
#define DAY	86400000LL

static char dir[256];

/* 12 files of 5 minutes from T0 (k * 10 rows each) plus one a day later. */
static int
setup(void **state)
{
	struct store_writer *w;
	struct mm_diag d;
	struct flow f;
	int k, i;

	(void)state;
	if (tu_tmpdir(dir, sizeof(dir)) == NULL)
		return -1;
	if (store_writer_open(dir, NULL, &w, &d) != 0)
		return -1;
	tu_seed(3);
	for (k = 0; k < 12; k++) {
		for (i = 0; i < 10 * (k + 1); i++) {
			tu_flow_random(&f, T0 + k * 5 * MIN);
			if (store_writer_add(w, &f, T0 + k * 5 * MIN + i, &d))
				return -1;
		}
	}
	tu_flow_random(&f, T0 + DAY);
	if (store_writer_add(w, &f, T0 + DAY, &d) != 0)
		return -1;
	return store_writer_close(w, &d);
}

static int
teardown(void **state)
{
	(void)state;
	tu_rmtree(dir);
	return 0;
}

static void
test_list_all(void **state)
{
	struct mm_diag d;
	char **p, sub[300];
	size_t n;

	(void)state;
	assert_int_equal(store_list(dir, NULL, &p, &n, &d), 0);
	assert_int_equal(n, 13);
	assert_non_null(strstr(p[0], "/flows/2023/11/14/flows-202311142215.mmf"));
	assert_non_null(strstr(p[11], "/flows/2023/11/14/flows-202311142310.mmf"));
	assert_non_null(strstr(p[12], "/flows/2023/11/15/flows-202311152215.mmf"));
	/* a single file is listed as is */
	snprintf(sub, sizeof(sub), "%s", p[3]);
	store_paths_free(p, n);
	assert_int_equal(store_list(sub, NULL, &p, &n, &d), 0);
	assert_int_equal(n, 1);
	assert_string_equal(p[0], sub);
	store_paths_free(p, n);
	/* a subtree */
	snprintf(sub, sizeof(sub), "%s/flows/2023/11/15", dir);
	assert_int_equal(store_list(sub, NULL, &p, &n, &d), 0);
	assert_int_equal(n, 1);
	store_paths_free(p, n);
	assert_int_equal(store_list("/nonexistent-mamori", NULL, &p, &n, &d),
	    MM_ENOENT);
}

static void
test_list_window(void **state)
{
	struct mtime_window w;
	struct mm_diag d;
	char **p;
	size_t n;

	(void)state;
	/* [T0+30m, T0+35m): files starting after T0+20m (skew) up to the
	 * end of the hour (long flows), not the next day's. */
	w.start = T0 + 30 * MIN;
	w.end = T0 + 35 * MIN;
	assert_int_equal(store_list(dir, &w, &p, &n, &d), 0);
	assert_int_equal(n, 7);
	assert_non_null(strstr(p[0], "flows-202311142240.mmf"));
	assert_non_null(strstr(p[6], "flows-202311142310.mmf"));
	store_paths_free(p, n);
	/* open-ended window from the next day */
	w.start = T0 + DAY;
	w.end = INT64_MAX;
	assert_int_equal(store_list(dir, &w, &p, &n, &d), 0);
	assert_int_equal(n, 1);
	store_paths_free(p, n);
	/* a window long before everything */
	w.start = 0;
	w.end = 1000;
	assert_int_equal(store_list(dir, &w, &p, &n, &d), 0);
	assert_int_equal(n, 0);
	store_paths_free(p, n);
}

static int
exists(const char *rel)
{
	char p[512];
	struct stat st;

	snprintf(p, sizeof(p), "%s/%s", dir, rel);
	return stat(p, &st) == 0;
}

static void
test_expire(void **state)
{
	struct store_expire_result r;
	struct mm_diag d;
	char **p;
	size_t n;
	uint64_t total;

	(void)state;
	/* dry run: nothing removed */
	assert_int_equal(store_expire(dir, T0 + 30 * MIN, 0, 1, &r, &d), 0);
	assert_int_equal(r.files_removed, 6);
	assert_int_equal(r.files_kept, 7);
	assert_true(exists("flows/2023/11/14/flows-202311142215.mmf"));
	/* by age: intervals ending at or before T0+30m */
	assert_int_equal(store_expire(dir, T0 + 30 * MIN, 0, 0, &r, &d), 0);
	assert_int_equal(r.files_removed, 6);
	assert_false(exists("flows/2023/11/14/flows-202311142215.mmf"));
	assert_false(exists("flows/2023/11/14/flows-202311142240.mmf"));
	assert_true(exists("flows/2023/11/14/flows-202311142245.mmf"));
	/* by size: down to half, oldest first, newest kept */
	total = r.bytes_kept;
	assert_int_equal(store_expire(dir, 0, total / 2, 0, &r, &d), 0);
	assert_true(r.bytes_kept <= total / 2);
	assert_true(r.files_removed >= 1);
	assert_false(exists("flows/2023/11/14/flows-202311142245.mmf"));
	assert_true(exists("flows/2023/11/15/flows-202311152215.mmf"));
	/* tiny limit: everything but the newest file */
	assert_int_equal(store_expire(dir, 0, 1, 0, &r, &d), 0);
	assert_int_equal(r.files_kept, 1);
	assert_false(exists("flows/2023/11/14"));
	assert_true(exists("flows/2023/11"));
	/* by age, everything: the emptied directories go too */
	assert_int_equal(store_expire(dir, T0 + 2 * DAY, 0, 0, &r, &d), 0);
	assert_int_equal(r.files_kept, 0);
	assert_false(exists("flows/2023"));
	assert_true(exists("flows"));
	assert_int_equal(store_list(dir, NULL, &p, &n, &d), 0);
	assert_int_equal(n, 0);
	store_paths_free(p, n);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_list_all),
		cmocka_unit_test(test_list_window),
		cmocka_unit_test(test_expire),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
