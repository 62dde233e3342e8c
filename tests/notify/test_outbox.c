/*
 * test_outbox.c - the outbox directory: a write leaves exactly one complete
 * file under a valid, time-sortable name and no temporary file; names are
 * unique across many writes in one millisecond; listing is sorted, skips
 * temporary and foreign files; read round-trips and enforces its cap and
 * name check; remove; errors for a missing directory.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "notify/outbox.h"

#define T0	1795680000000LL	/* 2026-11-26T08:00:00Z */

struct fx {
	char	dir[64];
};

static int
setup(void **state)
{
	struct fx *fx = calloc(1, sizeof(*fx));

	if (fx == NULL)
		return -1;
	snprintf(fx->dir, sizeof(fx->dir), "/tmp/mamori-outbox-XXXXXX");
	if (mkdtemp(fx->dir) == NULL)
		return -1;
	*state = fx;
	return 0;
}

static int
teardown(void **state)
{
	struct fx *fx = *state;
	struct dirent *de;
	char p[512];
	DIR *d;

	if ((d = opendir(fx->dir)) != NULL) {
		while ((de = readdir(d)) != NULL) {
			if (strcmp(de->d_name, ".") == 0 ||
			    strcmp(de->d_name, "..") == 0)
				continue;
			snprintf(p, sizeof(p), "%s/%s", fx->dir, de->d_name);
			unlink(p);
		}
		closedir(d);
	}
	rmdir(fx->dir);
	free(fx);
	return 0;
}

static size_t
count_entries(const char *dir)
{
	struct dirent *de;
	size_t n = 0;
	DIR *d = opendir(dir);

	if (d == NULL)
		return 0;
	while ((de = readdir(d)) != NULL)
		if (de->d_name[0] != '.')
			n++;
		else if (strcmp(de->d_name, ".") != 0 &&
		    strcmp(de->d_name, "..") != 0)
			n += 1000;	/* a hidden (temporary) file */
	closedir(d);
	return n;
}

static void
write_read(void **state)
{
	struct fx *fx = *state;
	static const char m[] = "Subject: x\r\n\r\nbody\r\n";
	char name[OUTBOX_NAME_MAX + 1];
	struct mm_diag d;
	uint8_t *buf;
	size_t len;

	assert_int_equal(outbox_write(fx->dir, (const uint8_t *)m,
	    sizeof(m) - 1, T0, name, sizeof(name), &d), 0);
	assert_true(outbox_name_valid(name));
	/* time first, UTC, fixed width */
	assert_memory_equal(name, "20261126T080000.000Z-", 21);
	assert_int_equal(count_entries(fx->dir), 1);	/* no .tmp- left */
	assert_int_equal(outbox_read(fx->dir, name, 0, &buf, &len, &d), 0);
	assert_int_equal(len, sizeof(m) - 1);
	assert_memory_equal(buf, m, len);
	free(buf);
	/* cap */
	assert_int_equal(outbox_read(fx->dir, name, 4, &buf, &len, &d),
	    MM_ELIMIT);
	assert_null(buf);
	/* empty message is allowed */
	assert_int_equal(outbox_write(fx->dir, NULL, 0, T0, name,
	    sizeof(name), &d), 0);
	assert_int_equal(outbox_read(fx->dir, name, 0, &buf, &len, &d), 0);
	assert_int_equal(len, 0);
	free(buf);
	assert_int_equal(outbox_remove(fx->dir, name, &d), 0);
	assert_int_equal(outbox_remove(fx->dir, name, &d), MM_ENOENT);
	assert_int_equal(outbox_read(fx->dir, name, 0, &buf, &len, &d),
	    MM_ENOENT);
}

static void
names_unique_sorted(void **state)
{
	struct fx *fx = *state;
	char name[OUTBOX_NAME_MAX + 1], prev[OUTBOX_NAME_MAX + 1] = "";
	char **names;
	struct mm_diag d;
	size_t n, i;
	FILE *f;
	char p[512];

	/* 50 writes in the same millisecond, then 5 at a later time */
	for (i = 0; i < 55; i++) {
		assert_int_equal(outbox_write(fx->dir, (const uint8_t *)"m", 1,
		    i < 50 ? T0 + 1000 : T0 + 86400000, name, sizeof(name),
		    &d), 0);
		assert_true(strcmp(name, prev) > 0);	/* sortable */
		memcpy(prev, name, sizeof(prev));
	}
	assert_memory_equal(prev, "20261127T080000.000Z-", 21);
	/* clutter the listing must skip */
	snprintf(p, sizeof(p), "%s/.tmp-20261126T000000.000Z-1-1.eml",
	    fx->dir);
	assert_non_null(f = fopen(p, "w"));
	fclose(f);
	snprintf(p, sizeof(p), "%s/README.txt", fx->dir);
	assert_non_null(f = fopen(p, "w"));
	fclose(f);
	/* an early name written by hand sorts first */
	snprintf(p, sizeof(p), "%s/20000101T000000.000Z-0000001-00000000.eml",
	    fx->dir);
	assert_non_null(f = fopen(p, "w"));
	fclose(f);

	assert_int_equal(outbox_list(fx->dir, &names, &n, &d), 0);
	assert_int_equal(n, 56);
	assert_string_equal(names[0],
	    "20000101T000000.000Z-0000001-00000000.eml");
	for (i = 1; i < n; i++)
		assert_true(strcmp(names[i - 1], names[i]) < 0);
	assert_string_equal(names[n - 1], prev);
	outbox_list_free(names, n);
}

static void
bad_input(void **state)
{
	struct fx *fx = *state;
	char name[OUTBOX_NAME_MAX + 1], **names;
	struct mm_diag d;
	uint8_t *buf;
	size_t len, n;

	assert_false(outbox_name_valid(NULL));
	assert_false(outbox_name_valid(".eml"));
	assert_false(outbox_name_valid(".hidden.eml"));
	assert_false(outbox_name_valid("../x.eml"));
	assert_false(outbox_name_valid("a/b.eml"));
	assert_false(outbox_name_valid("a.txt"));
	assert_false(outbox_name_valid("a b.eml"));
	assert_true(outbox_name_valid("a.eml"));
	assert_int_equal(outbox_read(fx->dir, "../../etc/passwd", 0, &buf,
	    &len, &d), MM_EINVAL);
	assert_int_equal(outbox_remove(fx->dir, "../x.eml", &d), MM_EINVAL);
	assert_int_equal(outbox_write("/nonexistent/mamori-outbox",
	    (const uint8_t *)"m", 1, T0, name, sizeof(name), &d), MM_EIO);
	assert_non_null(strstr(d.msg, "/nonexistent/mamori-outbox"));
	assert_int_equal(outbox_write(fx->dir, (const uint8_t *)"m", 1, T0,
	    name, 8, &d), MM_EINVAL);
	assert_int_equal(outbox_list("/nonexistent/mamori-outbox", &names, &n,
	    &d), MM_EIO);
	assert_int_equal(outbox_list(fx->dir, &names, &n, &d), 0);
	assert_int_equal(n, 0);
	assert_null(names);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(write_read, setup, teardown),
		cmocka_unit_test_setup_teardown(names_unique_sorted, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(bad_input, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
