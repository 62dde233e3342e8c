/*
 * test_addr.c - addresses and prefixes: v4/v6 parse/print round trips,
 * rejects, v4-mapped representation, ordering, prefix parse with masking and
 * range errors, prefix printing, containment.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/addr.h"
#include "core/err.h"

static void
roundtrip(const char *in, const char *want)
{
	struct mm_addr a;
	char buf[ADDR_STRLEN];

	if (addr_parse(in, &a) != 0)
		fail_msg("addr_parse(\"%s\") failed", in);
	addr_fmt(&a, buf, sizeof(buf));
	if (strcmp(buf, want) != 0)
		fail_msg("\"%s\" printed \"%s\", want \"%s\"", in, buf, want);
}

static void
test_parse_print(void **state)
{
	struct mm_addr a;

	(void)state;
	roundtrip("0.0.0.0", "0.0.0.0");
	roundtrip("10.1.2.3", "10.1.2.3");
	roundtrip("255.255.255.255", "255.255.255.255");
	roundtrip("::", "::");
	roundtrip("::1", "::1");
	roundtrip("2001:db8::1", "2001:db8::1");
	roundtrip("2001:0DB8:0000:0000:0000:0000:0000:0001", "2001:db8::1");
	roundtrip("fe80::1:2:3:4", "fe80::1:2:3:4");
	roundtrip("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
	    "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff");
	/* a v4-mapped v6 text is the same address as the v4 text */
	roundtrip("::ffff:192.0.2.1", "192.0.2.1");
	roundtrip("::ffff:c000:201", "192.0.2.1");
	/* v4-compatible (deprecated) stays v6 */
	roundtrip("::192.0.2.1", "::192.0.2.1");
	assert_int_equal(addr_parse("::192.0.2.1", &a), 0);
	assert_false(addr_is_v4(&a));
}

static void
test_rejects(void **state)
{
	static const char *const bad[] = {
		"", " ", "1", "1.2.3", "1.2.3.4.5", "256.0.0.1", "1.2.3.-1",
		"1.2.3.4 ", " 1.2.3.4", "1.2.3.4/8", "a.b.c.d", "01.2.3.4x",
		":", ":::", "1::2::3", "12345::", "g::1", "1:2:3:4:5:6:7:8:9",
		"fe80::1%eth0", "::ffff:1.2.3", "[::1]", "0x1.2.3.4",
	};
	struct mm_addr a;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (addr_parse(bad[i], &a) != MM_ESYNTAX)
			fail_msg("accepted \"%s\"", bad[i]);
	assert_int_equal(addr_parse(NULL, &a), MM_ESYNTAX);
}

static void
test_v4_helpers(void **state)
{
	struct mm_addr a, b;
	uint8_t v6[16] = { 0x20, 0x01, 0x0d, 0xb8 };

	(void)state;
	addr_from_v4(&a, 0xc0000201);
	assert_true(addr_is_v4(&a));
	assert_int_equal(addr_v4(&a), 0xc0000201);
	assert_int_equal(addr_parse("192.0.2.1", &b), 0);
	assert_int_equal(addr_cmp(&a, &b), 0);
	assert_false(addr_is_zero(&a));
	addr_from_v6(&b, v6);
	assert_false(addr_is_v4(&b));
	assert_memory_equal(b.b, v6, 16);
	assert_true(addr_cmp(&a, &b) < 0);	/* ::ffff:... < 2001:... */
	memset(&b, 0, sizeof(b));
	assert_true(addr_is_zero(&b));
	assert_false(addr_is_v4(&b));
	/* 0.0.0.0 is v4 and not "no address" */
	assert_int_equal(addr_parse("0.0.0.0", &b), 0);
	assert_true(addr_is_v4(&b));
	assert_false(addr_is_zero(&b));
	addr_from_v4(&a, 0x0a000001);
	addr_from_v4(&b, 0x0a000002);
	assert_true(addr_cmp(&a, &b) < 0);
	assert_true(addr_cmp(&b, &a) > 0);
}

static void
test_fmt_small_buffer(void **state)
{
	struct mm_addr a;
	char buf[8];

	(void)state;
	assert_int_equal(addr_parse("2001:db8::1", &a), 0);
	memset(buf, 'x', sizeof(buf));
	addr_fmt(&a, buf, sizeof(buf));
	assert_true(memchr(buf, '\0', sizeof(buf)) != NULL);
	addr_fmt(&a, buf, 0);	/* must not write */
}

static void
prefix_rt(const char *in, const char *want, unsigned len6)
{
	struct mm_prefix p;
	char buf[PREFIX_STRLEN];
	int rc;

	if ((rc = prefix_parse(in, &p)) != 0)
		fail_msg("prefix_parse(\"%s\") = %d", in, rc);
	prefix_fmt(&p, buf, sizeof(buf));
	if (strcmp(buf, want) != 0)
		fail_msg("\"%s\" printed \"%s\", want \"%s\"", in, buf, want);
	if (p.len != len6)
		fail_msg("\"%s\": len %u, want %u", in, p.len, len6);
}

static void
test_prefix_parse(void **state)
{
	static const char *const bad[] = {
		"", "/8", "10.0.0.0/", "10.0.0.0/a", "10.0.0.0/8x",
		"10.0.0.0/ 8", "10.0.0.0/+8", "10.0.0.0/-1", "10.0.0.0/8/8",
		"10.0.0/8", "::/x", "2001:db8::/", "10.0.0.0//8",
		"10.0.0.0/00008",
	};
	struct mm_prefix p;
	char longs[200];
	size_t i;

	(void)state;
	prefix_rt("10.0.0.0/8", "10.0.0.0/8", 104);
	prefix_rt("10.1.2.3/8", "10.0.0.0/8", 104);	/* host bits cleared */
	prefix_rt("10.1.2.3/31", "10.1.2.2/31", 127);
	prefix_rt("10.1.2.3", "10.1.2.3/32", 128);
	prefix_rt("10.1.2.3/32", "10.1.2.3/32", 128);
	prefix_rt("0.0.0.0/0", "0.0.0.0/0", 96);
	prefix_rt("255.255.255.255/1", "128.0.0.0/1", 97);
	prefix_rt("192.168.255.255/20", "192.168.240.0/20", 116);
	prefix_rt("2001:db8::/32", "2001:db8::/32", 32);
	prefix_rt("2001:db8:ffff::1/33", "2001:db8:8000::/33", 33);
	prefix_rt("::/0", "::/0", 0);
	prefix_rt("::1", "::1/128", 128);
	prefix_rt("ffff::/1", "8000::/1", 1);
	prefix_rt("2001:db8::1/127", "2001:db8::/127", 127);

	assert_int_equal(prefix_parse("10.0.0.0/33", &p), MM_ERANGE);
	assert_int_equal(prefix_parse("::/129", &p), MM_ERANGE);
	assert_int_equal(prefix_parse("::/999", &p), MM_ERANGE);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (prefix_parse(bad[i], &p) == 0)
			fail_msg("accepted \"%s\"", bad[i]);
	assert_int_equal(prefix_parse(NULL, &p), MM_ESYNTAX);
	memset(longs, '1', sizeof(longs) - 1);
	longs[sizeof(longs) - 1] = '\0';
	assert_int_equal(prefix_parse(longs, &p), MM_ESYNTAX);
}

static void
test_mask(void **state)
{
	struct mm_addr a;
	unsigned len, i;

	(void)state;
	for (len = 0; len <= 128; len++) {
		memset(a.b, 0xff, 16);
		addr_mask(&a, len);
		for (i = 0; i < 128; i++) {
			int bit = (a.b[i / 8] >> (7 - i % 8)) & 1;

			if (bit != (i < len))
				fail_msg("mask %u: bit %u is %d", len, i, bit);
		}
	}
}

static void
test_contains(void **state)
{
	struct mm_prefix p;
	struct mm_addr a;

	(void)state;
	assert_int_equal(prefix_parse("10.0.0.0/8", &p), 0);
	assert_int_equal(addr_parse("10.255.1.1", &a), 0);
	assert_true(prefix_contains(&p, &a));
	assert_int_equal(addr_parse("11.0.0.0", &a), 0);
	assert_false(prefix_contains(&p, &a));
	assert_int_equal(addr_parse("9.255.255.255", &a), 0);
	assert_false(prefix_contains(&p, &a));
	/* v4 /0 holds all of v4 and none of v6 */
	assert_int_equal(prefix_parse("0.0.0.0/0", &p), 0);
	assert_int_equal(addr_parse("203.0.113.9", &a), 0);
	assert_true(prefix_contains(&p, &a));
	assert_int_equal(addr_parse("2001:db8::1", &a), 0);
	assert_false(prefix_contains(&p, &a));
	/* ::/0 holds everything */
	assert_int_equal(prefix_parse("::/0", &p), 0);
	assert_true(prefix_contains(&p, &a));
	assert_int_equal(addr_parse("203.0.113.9", &a), 0);
	assert_true(prefix_contains(&p, &a));
	/* /32 and /128 hold exactly one address */
	assert_int_equal(prefix_parse("203.0.113.9/32", &p), 0);
	assert_true(prefix_contains(&p, &a));
	assert_int_equal(addr_parse("203.0.113.8", &a), 0);
	assert_false(prefix_contains(&p, &a));
	assert_int_equal(prefix_parse("2001:db8::1/128", &p), 0);
	assert_int_equal(addr_parse("2001:db8::1", &a), 0);
	assert_true(prefix_contains(&p, &a));
	assert_int_equal(addr_parse("2001:db8::", &a), 0);
	assert_false(prefix_contains(&p, &a));
	assert_int_equal(prefix_parse("2001:db8::/127", &p), 0);
	assert_true(prefix_contains(&p, &a));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_print),
		cmocka_unit_test(test_rejects),
		cmocka_unit_test(test_v4_helpers),
		cmocka_unit_test(test_fmt_small_buffer),
		cmocka_unit_test(test_prefix_parse),
		cmocka_unit_test(test_mask),
		cmocka_unit_test(test_contains),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
