/*
 * test_lpm.c - the LPM trie against a brute-force reference: thousands of
 * random, heavily overlapping v4 and v6 prefixes (clustered around a few
 * bases so that nesting and divergence at every depth happen), /0 and /128,
 * replacement of existing prefixes, insertion of a prefix where only a
 * branch node was; lookups of random and near-prefix addresses compare both
 * the value and the matched prefix; lpm_get is checked for present and
 * absent prefixes. Deterministic (fixed-seed xorshift).
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
#include "core/lpm.h"

static uint64_t rng_state;

static uint64_t
rng(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

/* Reference: the distinct prefixes inserted, and for each the value the
 * last insert of it gave (a pointer into vals[], whose slot i records the
 * reference index that insert i hit). */
struct ref {
	struct mm_prefix	*p;
	int			**cur;
	size_t			 n;
};

static int vals[20000];

static int
pfx_eq(const struct mm_prefix *a, const struct mm_prefix *b)
{
	return a->len == b->len && memcmp(a->addr.b, b->addr.b, 16) == 0;
}

/* Brute force: longest reference prefix containing `a`, or -1. */
static long
ref_lookup(const struct ref *r, const struct mm_addr *a)
{
	long best = -1;
	size_t i;

	for (i = 0; i < r->n; i++)
		if (prefix_contains(&r->p[i], a) &&
		    (best < 0 || r->p[i].len > r->p[best].len))
			best = (long)i;
	return best;
}

static void
random_addr(struct mm_addr *a, const struct mm_addr *bases, size_t nbases,
    int v4)
{
	const struct mm_addr *b = &bases[rng() % nbases];
	unsigned flip, i, bit;

	*a = *b;
	/* flip a few bits so prefixes share long common parts */
	flip = (unsigned)(rng() % 4);
	for (i = 0; i < flip; i++) {
		bit = v4 ? 96 + (unsigned)(rng() % 32) :
		    (unsigned)(rng() % 128);
		a->b[bit / 8] ^= (uint8_t)(0x80 >> (bit % 8));
	}
}

static void
make_prefix(struct mm_prefix *p, const struct mm_addr *bases4,
    const struct mm_addr *bases6, size_t nb)
{
	int v4 = rng() % 2;
	uint64_t r = rng() % 100;

	random_addr(&p->addr, v4 ? bases4 : bases6, nb, v4);
	if (r < 3)
		p->len = 0;
	else if (r < 8)
		p->len = 128;
	else if (v4)
		p->len = (uint8_t)(96 + rng() % 33);
	else
		p->len = (uint8_t)(rng() % 129);
	addr_mask(&p->addr, p->len);
}

static void
check_lookup(const struct lpm *t, const struct ref *r, const struct mm_addr *a)
{
	struct mm_prefix m;
	char buf[ADDR_STRLEN];
	long want = ref_lookup(r, a);
	void *got;

	memset(&m, 0xee, sizeof(m));
	got = lpm_lookup(t, a, &m);
	assert_ptr_equal(lpm_lookup(t, a, NULL), got);	/* matched optional */
	if (want < 0) {
		if (got != NULL)
			fail_msg("lookup %s: got a match, want none",
			    addr_fmt(a, buf, sizeof(buf)));
		return;
	}
	if (got != (void *)r->cur[want] || !pfx_eq(&m, &r->p[want]))
		fail_msg("lookup %s: got %p len %u, want %p len %u",
		    addr_fmt(a, buf, sizeof(buf)), got, m.len,
		    (void *)r->cur[want], r->p[want].len);
}

static void
run_random(uint64_t seed, size_t nprefix, size_t nlookup)
{
	struct mm_addr bases4[8], bases6[8], a;
	struct mm_prefix q;
	struct ref r;
	struct lpm *t;
	size_t i, j, nrep = 0;

	assert_true(nprefix <= sizeof(vals) / sizeof(vals[0]));
	rng_state = seed;
	for (i = 0; i < 8; i++) {
		addr_from_v4(&bases4[i], (uint32_t)rng());
		for (j = 0; j < 16; j++)
			bases6[i].b[j] = (uint8_t)rng();
	}
	memset(&r, 0, sizeof(r));
	r.p = calloc(nprefix, sizeof(*r.p));
	r.cur = calloc(nprefix, sizeof(*r.cur));
	assert_non_null(r.p);
	assert_non_null(r.cur);
	assert_non_null(t = lpm_new());

	for (i = 0; i < nprefix; i++) {
		make_prefix(&q, bases4, bases6, 8);
		assert_int_equal(lpm_insert(t, &q, &vals[i]), 0);
		for (j = 0; j < r.n; j++)
			if (pfx_eq(&r.p[j], &q))
				break;
		if (j == r.n)
			r.p[r.n++] = q;
		else
			nrep++;
		r.cur[j] = &vals[i];	/* the last insert wins */
		assert_int_equal(lpm_count(t), r.n);
	}
	assert_true(nrep > 0);		/* replacement was exercised */

	for (i = 0; i < r.n; i++)
		if (lpm_get(t, &r.p[i]) != (void *)r.cur[i])
			fail_msg("lpm_get prefix %zu (len %u) wrong", i,
			    r.p[i].len);
	for (i = 0; i < nlookup; i++) {
		switch (i % 3) {
		case 0:	/* inside or just beside a stored prefix */
			a = r.p[rng() % r.n].addr;
			if (rng() % 2)
				a.b[15] ^= (uint8_t)rng();
			break;
		case 1:	/* near the bases */
			if (rng() % 2)
				random_addr(&a, bases4, 8, 1);
			else
				random_addr(&a, bases6, 8, 0);
			break;
		default:
			for (j = 0; j < 16; j++)
				a.b[j] = (uint8_t)rng();
		}
		check_lookup(t, &r, &a);
	}
	/* exact lookups of absent prefixes: one bit longer than present ones */
	for (i = 0; i < r.n; i++) {
		q = r.p[i];
		if (q.len == 128)
			continue;
		q.len++;
		q.addr.b[(q.len - 1) / 8] |= (uint8_t)(0x80 >> ((q.len - 1) % 8));
		for (j = 0; j < r.n; j++)
			if (pfx_eq(&r.p[j], &q))
				break;
		if (j == r.n)
			assert_null(lpm_get(t, &q));
		else
			assert_ptr_equal(lpm_get(t, &q), r.cur[j]);
	}
	lpm_free(t);
	free(r.p);
	free(r.cur);
}

static void
test_random_small(void **state)
{
	(void)state;
	run_random(0x9e3779b97f4a7c15ULL, 200, 5000);
}

static void
test_random_large(void **state)
{
	(void)state;
	run_random(0x1234567887654321ULL, 4000, 8000);
	run_random(0xdeadbeefcafef00dULL, 2000, 6000);
}

static void
test_basics(void **state)
{
	struct lpm *t;
	struct mm_prefix p, m;
	struct mm_addr a;
	int v1, v2, v3, v4;

	(void)state;
	assert_non_null(t = lpm_new());
	assert_int_equal(lpm_count(t), 0);
	assert_int_equal(addr_parse("10.1.2.3", &a), 0);
	assert_null(lpm_lookup(t, &a, &m));
	assert_int_equal(prefix_parse("10.0.0.0/8", &p), 0);
	assert_int_equal(lpm_insert(t, &p, NULL), MM_EINVAL);
	assert_int_equal(lpm_insert(NULL, &p, &v1), MM_EINVAL);
	p.len = 129;
	assert_int_equal(lpm_insert(t, &p, &v1), MM_EINVAL);

	assert_int_equal(prefix_parse("10.0.0.0/8", &p), 0);
	assert_int_equal(lpm_insert(t, &p, &v1), 0);
	assert_int_equal(prefix_parse("10.1.0.0/16", &p), 0);
	assert_int_equal(lpm_insert(t, &p, &v2), 0);
	assert_ptr_equal(lpm_lookup(t, &a, &m), &v2);
	assert_int_equal(m.len, 112);
	/* replace */
	assert_int_equal(lpm_insert(t, &p, &v3), 0);
	assert_int_equal(lpm_count(t), 2);
	assert_ptr_equal(lpm_lookup(t, &a, NULL), &v3);
	/* two siblings make a branch node at 10.0.0.0/15; inserting exactly
	 * there turns the branch into a value node */
	assert_int_equal(prefix_parse("10.0.0.0/16", &p), 0);
	assert_int_equal(lpm_insert(t, &p, &v2), 0);
	assert_int_equal(prefix_parse("10.0.0.0/15", &p), 0);
	assert_null(lpm_get(t, &p));
	assert_int_equal(lpm_insert(t, &p, &v4), 0);
	assert_int_equal(lpm_count(t), 4);
	assert_ptr_equal(lpm_get(t, &p), &v4);
	assert_int_equal(addr_parse("10.1.2.3", &a), 0);
	assert_ptr_equal(lpm_lookup(t, &a, NULL), &v3);
	/* /128 host and /0 default */
	assert_int_equal(prefix_parse("10.1.2.3/32", &p), 0);
	assert_int_equal(lpm_insert(t, &p, &v1), 0);
	assert_ptr_equal(lpm_lookup(t, &a, &m), &v1);
	assert_int_equal(m.len, 128);
	assert_int_equal(addr_parse("2001:db8::1", &a), 0);
	assert_null(lpm_lookup(t, &a, NULL));
	assert_int_equal(prefix_parse("::/0", &p), 0);
	assert_int_equal(lpm_insert(t, &p, &v4), 0);
	assert_ptr_equal(lpm_lookup(t, &a, &m), &v4);
	assert_int_equal(m.len, 0);
	assert_int_equal(lpm_count(t), 6);
	assert_null(lpm_lookup(NULL, &a, NULL));
	assert_null(lpm_get(NULL, &p));
	assert_int_equal(lpm_count(NULL), 0);
	lpm_free(t);
	lpm_free(NULL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_basics),
		cmocka_unit_test(test_random_small),
		cmocka_unit_test(test_random_large),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
