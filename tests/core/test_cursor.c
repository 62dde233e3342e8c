/*
 * test_cursor.c - the bounds-checked cursor: every getter at, below and past
 * its bound, byte order, sticky errors, get_sub nesting, NULL/empty input.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "core/cursor.h"
#include "core/err.h"

static const uint8_t buf[16] = {
	0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08,
	0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f, 0x10
};

static void
test_getters_be(void **state)
{
	struct cursor c;
	uint8_t v8;
	uint16_t v16;
	uint32_t v32;
	uint64_t v64;

	(void)state;
	cur_init(&c, buf, sizeof(buf));
	assert_int_equal(cur_left(&c), 16);
	assert_ptr_equal(cur_ptr(&c), buf);
	assert_int_equal(get_u8(&c, &v8), 0);
	assert_int_equal(v8, 0x01);
	assert_int_equal(get_u16(&c, &v16), 0);
	assert_int_equal(v16, 0x0203);
	assert_int_equal(get_u24(&c, &v32), 0);
	assert_int_equal(v32, 0x040506);
	assert_int_equal(get_u32(&c, &v32), 0);
	assert_int_equal(v32, 0x0708090a);
	assert_int_equal(cur_left(&c), 6);
	assert_ptr_equal(cur_ptr(&c), buf + 10);
	assert_int_equal(get_u64(&c, &v64), MM_ETRUNC);
	assert_int_equal(c.err, MM_ETRUNC);
	assert_int_equal(cur_left(&c), 6);	/* failed read consumes nothing */

	cur_init(&c, buf, sizeof(buf));
	assert_int_equal(get_u64(&c, &v64), 0);
	assert_true(v64 == 0x0102030405060708ULL);
	assert_int_equal(get_u64(&c, &v64), 0);
	assert_true(v64 == 0x090a0b0c0d0e0f10ULL);
	assert_int_equal(cur_left(&c), 0);
	assert_int_equal(get_u8(&c, &v8), MM_ETRUNC);
}

static void
test_getters_le(void **state)
{
	struct cursor c;
	uint16_t v16;
	uint32_t v32;
	uint64_t v64;

	(void)state;
	cur_init(&c, buf, sizeof(buf));
	assert_int_equal(get_u16_le(&c, &v16), 0);
	assert_int_equal(v16, 0x0201);
	assert_int_equal(get_u32_le(&c, &v32), 0);
	assert_int_equal(v32, 0x06050403);
	assert_int_equal(get_u64_le(&c, &v64), 0);
	assert_true(v64 == 0x0e0d0c0b0a090807ULL);
	assert_int_equal(get_u32_le(&c, &v32), MM_ETRUNC);
	assert_int_equal(v32, 0x06050403);	/* untouched on error */
}

/* Each getter of width w succeeds on exactly w bytes and fails on w-1. */
static void
test_exact_bounds(void **state)
{
	struct cursor c;
	uint8_t v8 = 0xaa;
	uint16_t v16 = 0xaaaa;
	uint32_t v32 = 0xaaaaaaaa;
	uint64_t v64 = 0xaa;
	size_t n;

	(void)state;
	cur_init(&c, buf, 1);
	assert_int_equal(get_u8(&c, &v8), 0);
	cur_init(&c, buf, 0);
	assert_int_equal(get_u8(&c, &v8), MM_ETRUNC);
	assert_int_equal(v8, 0x01);

	cur_init(&c, buf, 2);
	assert_int_equal(get_u16(&c, &v16), 0);
	cur_init(&c, buf, 1);
	assert_int_equal(get_u16(&c, &v16), MM_ETRUNC);
	cur_init(&c, buf, 1);
	assert_int_equal(get_u16_le(&c, &v16), MM_ETRUNC);

	cur_init(&c, buf, 3);
	assert_int_equal(get_u24(&c, &v32), 0);
	cur_init(&c, buf, 2);
	assert_int_equal(get_u24(&c, &v32), MM_ETRUNC);

	cur_init(&c, buf, 4);
	assert_int_equal(get_u32(&c, &v32), 0);
	cur_init(&c, buf, 3);
	assert_int_equal(get_u32(&c, &v32), MM_ETRUNC);
	cur_init(&c, buf, 3);
	assert_int_equal(get_u32_le(&c, &v32), MM_ETRUNC);

	cur_init(&c, buf, 8);
	assert_int_equal(get_u64(&c, &v64), 0);
	cur_init(&c, buf, 7);
	assert_int_equal(get_u64(&c, &v64), MM_ETRUNC);
	cur_init(&c, buf, 7);
	assert_int_equal(get_u64_le(&c, &v64), MM_ETRUNC);

	for (n = 1; n <= 8; n++) {
		cur_init(&c, buf, n);
		assert_int_equal(get_uint_n(&c, n, &v64), 0);
		assert_int_equal(cur_left(&c), 0);
		cur_init(&c, buf, n - 1);
		assert_int_equal(get_uint_n(&c, n, &v64), MM_ETRUNC);
	}
	cur_init(&c, buf, 3);
	assert_int_equal(get_uint_n(&c, 3, &v64), 0);
	assert_true(v64 == 0x010203);
	cur_init(&c, buf, 16);
	assert_int_equal(get_uint_n(&c, 0, &v64), MM_EINVAL);
	assert_int_equal(c.err, MM_EINVAL);
	cur_init(&c, buf, 16);
	assert_int_equal(get_uint_n(&c, 9, &v64), MM_EINVAL);
}

static void
test_bytes_skip(void **state)
{
	struct cursor c;
	uint8_t out[8];

	(void)state;
	cur_init(&c, buf, sizeof(buf));
	assert_int_equal(get_bytes(&c, out, 4), 0);
	assert_memory_equal(out, buf, 4);
	assert_int_equal(get_bytes(&c, NULL, 2), 0);	/* skip */
	assert_int_equal(cur_skip(&c, 2), 0);
	assert_int_equal(cur_left(&c), 8);
	assert_int_equal(get_bytes(&c, out, 0), 0);
	assert_int_equal(get_bytes(&c, out, 8), 0);
	assert_memory_equal(out, buf + 8, 8);
	assert_int_equal(cur_skip(&c, 1), MM_ETRUNC);

	/* huge lengths must not wrap */
	cur_init(&c, buf, sizeof(buf));
	assert_int_equal(cur_skip(&c, 1), 0);
	assert_int_equal(cur_skip(&c, SIZE_MAX), MM_ETRUNC);
	cur_init(&c, buf, sizeof(buf));
	assert_int_equal(get_bytes(&c, NULL, (size_t)-1), MM_ETRUNC);
}

static void
test_sticky(void **state)
{
	struct cursor c;
	uint8_t v8;
	uint16_t v16;
	uint32_t v32;
	uint64_t v64;
	struct cursor sub;

	(void)state;
	cur_init(&c, buf, 3);
	assert_int_equal(get_u32(&c, &v32), MM_ETRUNC);
	/* after a failure even reads that would fit fail */
	assert_int_equal(get_u8(&c, &v8), MM_ETRUNC);
	assert_int_equal(get_u16(&c, &v16), MM_ETRUNC);
	assert_int_equal(get_u16_le(&c, &v16), MM_ETRUNC);
	assert_int_equal(get_bytes(&c, NULL, 1), MM_ETRUNC);
	assert_int_equal(cur_skip(&c, 0), MM_ETRUNC);
	assert_int_equal(get_sub(&c, 1, &sub), MM_ETRUNC);
	assert_int_equal(cur_left(&sub), 0);
	assert_int_equal(sub.err, MM_ETRUNC);
	assert_int_equal(get_uint_n(&c, 1, &v64), MM_ETRUNC);
	/* the first error is kept, not overwritten by a later bad call */
	assert_int_equal(get_uint_n(&c, 0, &v64), MM_ETRUNC);
	assert_int_equal(c.err, MM_ETRUNC);
	assert_int_equal(cur_left(&c), 3);
}

static void
test_sub(void **state)
{
	struct cursor c, s1, s2, s3;
	uint8_t v8;
	uint16_t v16;

	(void)state;
	cur_init(&c, buf, sizeof(buf));
	assert_int_equal(get_u16(&c, &v16), 0);
	assert_int_equal(get_sub(&c, 6, &s1), 0);
	assert_int_equal(cur_left(&c), 8);
	assert_int_equal(cur_left(&s1), 6);
	assert_ptr_equal(cur_ptr(&s1), buf + 2);
	/* nested */
	assert_int_equal(get_u8(&s1, &v8), 0);
	assert_int_equal(v8, 0x03);
	assert_int_equal(get_sub(&s1, 4, &s2), 0);
	assert_int_equal(cur_left(&s1), 1);
	assert_int_equal(get_sub(&s2, 4, &s3), 0);
	assert_int_equal(cur_left(&s2), 0);
	assert_int_equal(get_u16(&s3, &v16), 0);
	assert_int_equal(v16, 0x0405);
	assert_int_equal(get_u16(&s3, &v16), 0);
	assert_int_equal(v16, 0x0607);
	/* a child never reads its parent's bytes */
	assert_int_equal(get_u8(&s3, &v8), MM_ETRUNC);
	assert_int_equal(s3.err, MM_ETRUNC);
	assert_int_equal(s2.err, 0);	/* errors do not propagate upward */
	assert_int_equal(get_u8(&s1, &v8), 0);
	assert_int_equal(v8, 0x08);
	/* a sub longer than what is left fails and consumes nothing */
	assert_int_equal(get_sub(&c, 9, &s1), MM_ETRUNC);
	assert_int_equal(cur_left(&s1), 0);
	assert_int_equal(cur_left(&c), 8);
	/* zero-length sub */
	cur_init(&c, buf, 4);
	assert_int_equal(get_sub(&c, 0, &s1), 0);
	assert_int_equal(cur_left(&s1), 0);
	assert_int_equal(get_u8(&s1, &v8), MM_ETRUNC);
	assert_int_equal(get_sub(&c, 4, &s1), 0);
	assert_int_equal(cur_left(&c), 0);
	assert_int_equal(get_sub(&c, 0, &s2), 0);
}

static void
test_null_empty(void **state)
{
	struct cursor c, s;
	uint8_t v8;

	(void)state;
	cur_init(&c, NULL, 100);	/* NULL buffer: length forced to 0 */
	assert_int_equal(cur_left(&c), 0);
	assert_int_equal(get_u8(&c, &v8), MM_ETRUNC);
	cur_init(&c, NULL, 0);
	assert_null(cur_ptr(&c));
	assert_int_equal(get_bytes(&c, NULL, 0), 0);
	assert_int_equal(get_sub(&c, 0, &s), 0);
	assert_int_equal(cur_left(&s), 0);
	cur_init(&c, buf, 0);
	assert_int_equal(cur_left(&c), 0);
	assert_int_equal(get_u8(&c, &v8), MM_ETRUNC);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_getters_be),
		cmocka_unit_test(test_getters_le),
		cmocka_unit_test(test_exact_bounds),
		cmocka_unit_test(test_bytes_skip),
		cmocka_unit_test(test_sticky),
		cmocka_unit_test(test_sub),
		cmocka_unit_test(test_null_empty),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
