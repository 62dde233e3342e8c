/*
 * test_units.c - byte sizes: bare numbers, K/M/G/T in either case with
 * B/iB/b/ib, the 64-bit edge, and malformed or NULL input leaving *v alone.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>

#include <cmocka.h>

#include "core/err.h"
#include "core/units.h"

static void
test_sizes(void **state)
{
	uint64_t v;

	(void)state;
	assert_int_equal(units_parse_size("0", &v), 0);
	assert_true(v == 0);
	assert_int_equal(units_parse_size("123", &v), 0);
	assert_true(v == 123);
	assert_int_equal(units_parse_size("64K", &v), 0);
	assert_true(v == 64 * 1024);
	assert_int_equal(units_parse_size("64k", &v), 0);
	assert_true(v == 64 * 1024);
	assert_int_equal(units_parse_size("32M", &v), 0);
	assert_true(v == 32ULL << 20);
	assert_int_equal(units_parse_size("2GiB", &v), 0);
	assert_true(v == 2ULL << 30);
	assert_int_equal(units_parse_size("1mb", &v), 0);
	assert_true(v == 1ULL << 20);
	assert_int_equal(units_parse_size("3KB", &v), 0);
	assert_true(v == 3 * 1024);
	assert_int_equal(units_parse_size("5tib", &v), 0);
	assert_true(v == 5ULL << 40);
	assert_int_equal(units_parse_size("16777215T", &v), 0);
	assert_true(v == 16777215ULL << 40);
	assert_int_equal(units_parse_size("18446744073709551615", &v), 0);
	assert_true(v == UINT64_MAX);
}

static void
test_bad(void **state)
{
	uint64_t v = 42;

	(void)state;
	assert_int_equal(units_parse_size(NULL, &v), MM_ESYNTAX);
	assert_int_equal(units_parse_size("", &v), MM_ESYNTAX);
	assert_int_equal(units_parse_size("M", &v), MM_ESYNTAX);
	assert_int_equal(units_parse_size("-1", &v), MM_ESYNTAX);
	assert_int_equal(units_parse_size("+1", &v), MM_ESYNTAX);
	assert_int_equal(units_parse_size(" 1", &v), MM_ESYNTAX);
	assert_int_equal(units_parse_size("12X", &v), MM_ESYNTAX);
	assert_int_equal(units_parse_size("12B", &v), MM_ESYNTAX);
	assert_int_equal(units_parse_size("1.5G", &v), MM_ESYNTAX);
	assert_int_equal(units_parse_size("12MiBs", &v), MM_ESYNTAX);
	assert_int_equal(units_parse_size("12M ", &v), MM_ESYNTAX);
	assert_int_equal(units_parse_size("99999999999999999999", &v),
	    MM_ERANGE);
	assert_int_equal(units_parse_size("99999999999999999999G", &v),
	    MM_ERANGE);
	assert_int_equal(units_parse_size("99999999999G", &v), MM_ERANGE);
	assert_int_equal(units_parse_size("16777216T", &v), MM_ERANGE);
	assert_true(v == 42);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sizes),
		cmocka_unit_test(test_bad),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
