/*
 * test_err.c - error names and diagnostic lines: every code has a distinct
 * name, unknown codes are named, mm_diag_set formats, truncates, returns its
 * code and accepts NULL, mm_diag_clear resets.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "core/err.h"

static void
test_strerror(void **state)
{
	int a, b;

	(void)state;
	assert_string_equal(mm_strerror(MM_OK), "success");
	assert_string_equal(mm_strerror(MM_ETRUNC), "truncated input");
	for (a = MM_EAGAIN; a <= MM_OK; a++) {
		assert_non_null(mm_strerror(a));
		assert_string_not_equal(mm_strerror(a), "unknown error");
		for (b = MM_EAGAIN; b < a; b++)
			assert_string_not_equal(mm_strerror(a),
			    mm_strerror(b));
	}
	assert_string_equal(mm_strerror(MM_EAGAIN - 1), "unknown error");
	assert_string_equal(mm_strerror(1), "unknown error");
	assert_string_equal(mm_strerror(-1000000), "unknown error");
}

static void
test_diag(void **state)
{
	struct mm_diag d;
	char big[600];

	(void)state;
	mm_diag_clear(&d);
	assert_string_equal(d.msg, "");
	assert_int_equal(d.pos, -1);
	assert_int_equal(mm_diag_set(&d, MM_EFORMAT, "%s: field %s = %d",
	    "rfc7011 3.1", "version", 9), MM_EFORMAT);
	assert_string_equal(d.msg, "rfc7011 3.1: field version = 9");
	assert_int_equal(mm_diag_set(NULL, MM_EIO, "x %d", 1), MM_EIO);
	mm_diag_clear(NULL);
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	assert_int_equal(mm_diag_set(&d, MM_ELIMIT, "%s", big), MM_ELIMIT);
	assert_int_equal(strlen(d.msg), MM_DIAG_LEN - 1);
	mm_diag_clear(&d);
	assert_string_equal(d.msg, "");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_strerror),
		cmocka_unit_test(test_diag),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
