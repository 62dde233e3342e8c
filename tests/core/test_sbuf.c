/*
 * test_sbuf.c - the growable string buffer: appends across growth,
 * zero-length appends, printf (short and longer than the first block), the
 * hard cap and its sticky MM_ELIMIT, take/free hand-over.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/err.h"
#include "core/sbuf.h"

static void
test_add_grow(void **state)
{
	struct strbuf b = STRBUF_INIT;
	char want[1001];
	size_t i;

	(void)state;
	for (i = 0; i < 1000; i++) {
		want[i] = (char)('a' + i % 26);
		assert_int_equal(strbuf_add(&b, &want[i], 1), 0);
	}
	want[1000] = '\0';
	assert_int_equal(b.len, 1000);
	assert_true(b.cap > 1000);
	assert_string_equal(b.p, want);
	assert_int_equal(strbuf_str(&b, "!"), 0);
	assert_int_equal(b.len, 1001);
	assert_int_equal(b.p[1000], '!');
	strbuf_free(&b);
	assert_null(b.p);
	assert_int_equal(b.len, 0);
	strbuf_free(NULL);
}

static void
test_empty(void **state)
{
	struct strbuf b;
	size_t len = 99;
	char *s;

	(void)state;
	strbuf_init(&b);
	assert_int_equal(strbuf_add(&b, NULL, 0), 0);
	assert_non_null(b.p);
	assert_string_equal(b.p, "");
	strbuf_free(&b);

	assert_int_equal(strbuf_take(&b, &s, &len), 0);
	assert_non_null(s);
	assert_string_equal(s, "");
	assert_int_equal(len, 0);
	free(s);
}

static void
test_printf(void **state)
{
	struct strbuf b = STRBUF_INIT;
	char big[600];
	size_t len;
	char *s;

	(void)state;
	assert_int_equal(strbuf_printf(&b, "%s=%d;", "a", 42), 0);
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	assert_int_equal(strbuf_printf(&b, "[%s]%u", big, 7u), 0);
	assert_int_equal(b.len, 5 + 1 + 599 + 1 + 1);
	assert_int_equal(strncmp(b.p, "a=42;[xxx", 9), 0);
	assert_string_equal(b.p + b.len - 2, "]7");
	assert_int_equal(strbuf_take(&b, &s, &len), 0);
	assert_non_null(s);
	assert_int_equal(len, strlen(s));
	assert_null(b.p);
	free(s);
}

static void
test_cap(void **state)
{
	struct strbuf b;
	size_t len = 5;
	char *s;

	(void)state;
	strbuf_init_cap(&b, 8);
	assert_int_equal(strbuf_str(&b, "12345"), 0);
	assert_int_equal(strbuf_str(&b, "678"), 0);
	assert_int_equal(b.len, 8);
	assert_int_equal(strbuf_add(&b, "9", 1), MM_ELIMIT);
	assert_string_equal(b.p, "12345678");
	/* sticky: even an empty append now fails */
	assert_int_equal(strbuf_add(&b, "", 0), MM_ELIMIT);
	assert_int_equal(strbuf_printf(&b, "%d", 1), MM_ELIMIT);
	assert_int_equal(strbuf_take(&b, &s, &len), MM_ELIMIT);
	assert_null(s);
	assert_int_equal(len, 0);
	assert_null(b.p);
	assert_int_equal(b.err, 0);
	assert_int_equal(b.max, 8);
	/* a single huge append fails without wrapping */
	assert_int_equal(strbuf_add(&b, "x", (size_t)-1), MM_ELIMIT);
	strbuf_free(&b);
	assert_int_equal(strbuf_printf(&b, "%s", "123456789"), MM_ELIMIT);
	assert_null(b.p);
	strbuf_free(&b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_add_grow),
		cmocka_unit_test(test_empty),
		cmocka_unit_test(test_printf),
		cmocka_unit_test(test_cap),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
