/*
 * test_store_expire_cli.c - end-to-end `mamori expire`: builds a small store
 * with the writer, then runs the binary named by $MAMORI_BIN (set by ctest)
 * with --dry-run, --older-than, --max-size and every output format, and
 * checks exit codes and effects. Skipped when $MAMORI_BIN is not set.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <cmocka.h>

#include "core/err.h"
#include "store/store.h"
#include "store_test_util.h"

static char dir[256];
static const char *bin;

static int
run(const char *args, char *out, size_t outlen)
{
	char cmd[1024];
	FILE *fp;
	size_t n;
	int st;

	snprintf(cmd, sizeof(cmd), "'%s' expire --data '%s' %s 2>&1", bin,
	    dir, args);
	fp = popen(cmd, "r");
	assert_non_null(fp);
	n = fread(out, 1, outlen - 1, fp);
	out[n] = '\0';
	st = pclose(fp);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static size_t
nfiles(void)
{
	struct mm_diag d;
	char **p;
	size_t n;

	if (store_list(dir, NULL, &p, &n, &d) != 0)
		return 0;
	store_paths_free(p, n);
	return n;
}

static void
test_expire_cli(void **state)
{
	struct store_writer *w;
	struct mm_diag d;
	struct flow f;
	char out[4096];
	mtime_t now = mtime_now(), t;
	int k, i;

	(void)state;
	if ((bin = getenv("MAMORI_BIN")) == NULL || access(bin, X_OK) != 0) {
		print_message("MAMORI_BIN not set: skipped\n");
		skip();
	}
	assert_non_null(tu_tmpdir(dir, sizeof(dir)));
	assert_int_equal(store_writer_open(dir, NULL, &w, &d), 0);
	tu_seed(11);
	/* 10 files, one per day for the last 10 days */
	for (k = 10; k >= 1; k--) {
		t = now - k * 86400000LL;
		for (i = 0; i < 100; i++) {
			tu_flow_random(&f, t);
			assert_int_equal(store_writer_add(w, &f, t, &d), 0);
		}
	}
	assert_int_equal(store_writer_close(w, &d), 0);
	assert_int_equal(nfiles(), 10);

	assert_int_equal(run("", out, sizeof(out)), 2);
	assert_int_equal(run("--older-than bogus", out, sizeof(out)), 2);
	assert_int_equal(run("--max-size 12Q", out, sizeof(out)), 2);
	assert_int_equal(run("--older-than 1d -o xml", out, sizeof(out)), 2);
	assert_int_equal(run("--help", out, sizeof(out)), 0);
	assert_non_null(strstr(out, "usage: mamori expire"));

	assert_int_equal(run("--older-than 5d --dry-run -o json", out,
	    sizeof(out)), 0);
	assert_non_null(strstr(out, "\"dry_run\":true"));
	assert_non_null(strstr(out, "\"files_removed\":5"));
	assert_int_equal(nfiles(), 10);

	assert_int_equal(run("--older-than 5d -o csv", out, sizeof(out)), 0);
	assert_non_null(strstr(out, "files_removed"));
	assert_int_equal(nfiles(), 5);

	assert_int_equal(run("--max-size 1K", out, sizeof(out)), 0);
	assert_non_null(strstr(out, "files removed"));
	assert_int_equal(nfiles(), 1);
	tu_rmtree(dir);
	assert_int_equal(run("--older-than 1d", out, sizeof(out)), 1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_expire_cli),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
