/*
 * test_perm.c - the cyclic-group permutation: for every N in 1..5000 (and
 * N = 0) the union of all shards yields every index exactly once (shard
 * counts 1..4, several seeds on a subset, one seed and shard count per N on
 * the rest); the generator really is a primitive root (its powers visit the
 * whole group); seeking to a position equals stepping to it; resume through
 * the text state and through a state file continues exactly where the
 * uninterrupted run goes; the state parser refuses hostile text; large N
 * (2^40, 2^48) works and stays in range; struct perm is the same size
 * whatever N (O(1) memory).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "core/err.h"
#include "survey/perm.h"

static void
cover(uint64_t n, uint64_t seed, uint32_t shards, uint8_t *seen)
{
	struct perm p;
	uint64_t idx, total = 0, i;
	uint32_t s;

	memset(seen, 0, n + 1);
	for (s = 0; s < shards; s++) {
		assert_int_equal(perm_init(&p, n, seed, s, shards), 0);
		while (perm_next(&p, &idx)) {
			assert_true(idx < n);
			assert_int_equal(seen[idx], 0);
			seen[idx] = 1;
			total++;
		}
		assert_int_equal(perm_next(&p, &idx), 0);	/* stays done */
	}
	assert_int_equal(total, n);
	for (i = 0; i < n; i++)
		assert_int_equal(seen[i], 1);
}

static void
test_cover_all_small(void **state)
{
	uint8_t *seen = malloc(5001);
	uint64_t n;
	uint32_t sh;
	static const uint64_t seeds[] = { 0, 1, 42, 0xdeadbeefcafef00dULL };
	size_t si;

	(void)state;
	assert_non_null(seen);
	cover(0, 7, 1, seen);
	cover(0, 7, 3, seen);
	for (n = 1; n <= 5000; n++)
		cover(n, n * 2654435761u, (uint32_t)(1 + n % 4), seen);
	for (n = 1; n <= 200; n++)
		for (sh = 1; sh <= 4; sh++)
			for (si = 0; si < 4; si++)
				cover(n, seeds[si], sh, seen);
	for (sh = 1; sh <= 4; sh++)
		for (si = 0; si < 4; si++) {
			cover(4096, seeds[si], sh, seen);
			cover(4999, seeds[si], sh, seen);
			cover(5000, seeds[si], sh, seen);
		}
	free(seen);
}

static void
test_primitive_root(void **state)
{
	struct perm p;
	uint64_t n, x, k;

	(void)state;
	for (n = 1; n < 3000; n += 37) {
		assert_int_equal(perm_init(&p, n, n, 0, 1), 0);
		assert_true(p.p > n);
		x = 1;
		for (k = 1; k < p.p - 1; k++) {
			x = x * p.g % p.p;
			assert_true(x != 1);	/* order is exactly p - 1 */
		}
		assert_int_equal(x * p.g % p.p, 1);
	}
}

static void
test_seek_equals_step(void **state)
{
	struct perm a, b;
	uint64_t i, ia, ib;

	(void)state;
	assert_int_equal(perm_init(&a, 100000, 99, 1, 3), 0);
	for (i = 0; i < 5000; i++) {
		assert_int_equal(perm_next(&a, &ia), 1);
	}
	b = a;
	assert_int_equal(perm_seek(&b, a.pos, a.count), 0);
	assert_int_equal(a.cur, b.cur);
	for (i = 0; i < 1000; i++) {
		assert_int_equal(perm_next(&a, &ia), 1);
		assert_int_equal(perm_next(&b, &ib), 1);
		assert_int_equal(ia, ib);
	}
	assert_int_equal(perm_seek(&b, b.npos + 1, 0), MM_ERANGE);
	assert_int_equal(perm_seek(&b, 5, 6), MM_ERANGE);
}

static void
test_resume_text_and_file(void **state)
{
	struct perm a, b, c;
	struct mm_diag d;
	char buf[PERM_STATE_MAX], path[] = "/tmp/mamori-perm-XXXXXX";
	uint64_t i, ia, ib, ic;
	int fd, n;

	(void)state;
	assert_int_equal(perm_init(&a, 123457, 0xabcdef, 2, 4), 0);
	for (i = 0; i < 777; i++)
		assert_int_equal(perm_next(&a, &ia), 1);
	n = perm_state_fmt(&a, buf, sizeof(buf));
	assert_true(n > 0);
	assert_non_null(strstr(buf, "shard=2/4\n"));
	assert_int_equal(perm_state_parse(&b, "t", buf, (size_t)n, 123457, &d),
	    0);
	assert_int_equal(b.count, 777);
	fd = mkstemp(path);
	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(perm_state_save(&a, path, &d), 0);
	assert_int_equal(perm_state_load(&c, path, 123457, &d), 0);
	for (;;) {
		int ra = perm_next(&a, &ia), rb = perm_next(&b, &ib),
		    rc = perm_next(&c, &ic);

		assert_int_equal(ra, rb);
		assert_int_equal(ra, rc);
		if (!ra)
			break;
		assert_int_equal(ia, ib);
		assert_int_equal(ia, ic);
	}
	assert_int_equal(a.count, b.count);
	/* the scope changed: refused */
	assert_int_equal(perm_state_load(&c, path, 123458, &d), MM_EINVAL);
	assert_non_null(strstr(d.msg, "targets"));
	unlink(path);
	assert_int_equal(perm_state_load(&c, path, 123457, &d), MM_EIO);
}

static void
test_state_hostile(void **state)
{
	static const char *bad[] = {
		"",
		"mamori-perm 2\n",
		"mamori-perm 1\nseed=1\nshard=0/1\ntargets=10\nposition=0\n",
		"mamori-perm 1\nseed=1\nseed=1\nshard=0/1\ntargets=10\n"
		    "position=0\ncount=0\n",
		"mamori-perm 1\nseed=-1\nshard=0/1\ntargets=10\nposition=0\n"
		    "count=0\n",
		"mamori-perm 1\nseed=1\nshard=1/1\ntargets=10\nposition=0\n"
		    "count=0\n",
		"mamori-perm 1\nseed=1\nshard=0/0\ntargets=10\nposition=0\n"
		    "count=0\n",
		"mamori-perm 1\nseed=1\nshard=0/1\ntargets=10\n"
		    "position=99999\ncount=0\n",
		"mamori-perm 1\nseed=1\nshard=0/1\ntargets=10\nposition=3\n"
		    "count=4\n",
		"mamori-perm 1\nseed=99999999999999999999\nshard=0/1\n"
		    "targets=10\nposition=0\ncount=0\n",
		"mamori-perm 1\nbogus=1\n",
		"mamori-perm 1\nseed 1\n",
	};
	struct perm p;
	struct mm_diag d;
	size_t i;
	const char ok[] = "mamori-perm 1\r\nseed=1\nshard=0/1\ntargets=10\n"
	    "position=3\ncount=2\n";

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		d.msg[0] = '\0';
		assert_true(perm_state_parse(&p, "st", bad[i], strlen(bad[i]),
		    10, &d) < 0);
		assert_non_null(strstr(d.msg, "st"));
	}
	assert_int_equal(perm_state_parse(&p, "st", ok, sizeof(ok) - 1, 10,
	    &d), 0);
	assert_int_equal(perm_state_parse(&p, "st", "mamori-perm 1\0x", 16,
	    10, &d), MM_ESYNTAX);
}

static void
test_large_and_o1(void **state)
{
	struct perm p, q;
	uint64_t idx, prev = UINT64_MAX, i;
	size_t sz = sizeof(struct perm);

	(void)state;
	assert_int_equal(perm_init(&p, UINT64_C(1) << 40, 5, 0, 1), 0);
	for (i = 0; i < 10000; i++) {
		assert_int_equal(perm_next(&p, &idx), 1);
		assert_true(idx < (UINT64_C(1) << 40));
		assert_true(idx != prev);
		prev = idx;
	}
	assert_int_equal(perm_init(&q, PERM_MAX_N, 5, 3, 7), 0);
	for (i = 0; i < 1000; i++) {
		assert_int_equal(perm_next(&q, &idx), 1);
		assert_true(idx < PERM_MAX_N);
	}
	/* the seek of a deep position agrees with its own stepping */
	assert_int_equal(perm_seek(&q, q.npos - 10, 0), 0);
	for (i = 0; i < 10; i++)
		(void)perm_next(&q, &idx);
	assert_int_equal(perm_next(&q, &idx), 0);
	assert_int_equal(perm_init(&q, PERM_MAX_N + 1, 5, 0, 1), MM_ELIMIT);
	assert_int_equal(perm_init(&q, 10, 5, 4, 4), MM_EINVAL);
	assert_int_equal(perm_init(&q, 10, 5, 0, 0), MM_EINVAL);
	/* O(1): the whole state is the fixed-size struct */
	assert_int_equal(sz, sizeof(p));
	assert_true(sz <= 128);
}

static void
test_seeds_differ(void **state)
{
	struct perm a, b;
	uint64_t ia, ib, i, same = 0;

	(void)state;
	assert_int_equal(perm_init(&a, 1000000, 1, 0, 1), 0);
	assert_int_equal(perm_init(&b, 1000000, 2, 0, 1), 0);
	for (i = 0; i < 100; i++) {
		assert_int_equal(perm_next(&a, &ia), 1);
		assert_int_equal(perm_next(&b, &ib), 1);
		same += ia == ib;
	}
	assert_true(same < 10);
	assert_int_equal(perm_init(&b, 1000000, 1, 0, 1), 0);
	assert_int_equal(perm_init(&a, 1000000, 1, 0, 1), 0);
	for (i = 0; i < 100; i++) {
		assert_int_equal(perm_next(&a, &ia), 1);
		assert_int_equal(perm_next(&b, &ib), 1);
		assert_int_equal(ia, ib);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cover_all_small),
		cmocka_unit_test(test_primitive_root),
		cmocka_unit_test(test_seek_equals_step),
		cmocka_unit_test(test_resume_text_and_file),
		cmocka_unit_test(test_state_hostile),
		cmocka_unit_test(test_large_and_o1),
		cmocka_unit_test(test_seeds_differ),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
