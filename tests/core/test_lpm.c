/*
 * test_lpm.c - the LPM trie against a brute-force reference: thousands of
 * random, heavily overlapping v4 and v6 prefixes (clustered around a few
 * bases so that nesting and divergence at every depth happen), /0 and /128,
 * replacement of existing prefixes, insertion of a prefix where only a
 * branch node was; lookups of random and near-prefix addresses compare both
 * the value and the matched prefix; lpm_get is checked for present and
 * absent prefixes. Deterministic (fixed-seed xorshift).
 *
 * Aimed at the multibit trie of lpm.c: a randomized differential test with
 * inserts and lookups interleaved (every insert followed by lookups and
 * exact gets, so a table that is read between writes stays right), lengths
 * biased to the stride boundaries of both tries (/16, /17, /24, /25, ...,
 * /96, /97, /112, /113, /120, /121, /128), values shared between prefixes
 * (neighbouring expanded leaves merge into one run) and replaced; prefixes
 * completely hidden by longer ones (still found by lpm_get and counted
 * once); the v4-mapped space against covering IPv6 prefixes (::/0, ::/80,
 * ::ffff:0:0/95 and /96); host bits in inserted and queried prefixes.
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

/* Reference with values attached, for the interleaved test. */
struct iref {
	struct mm_prefix	*p;
	void			**v;
	size_t			 n;
};

static void *
iref_lookup(const struct iref *r, const struct mm_addr *a, long *idx)
{
	long best = -1;
	size_t i;

	for (i = 0; i < r->n; i++)
		if (prefix_contains(&r->p[i], a) &&
		    (best < 0 || r->p[i].len > r->p[best].len))
			best = (long)i;
	*idx = best;
	return best < 0 ? NULL : r->v[best];
}

static void *
iref_get(const struct iref *r, const struct mm_prefix *q)
{
	size_t i;

	for (i = 0; i < r->n; i++)
		if (pfx_eq(&r->p[i], q))
			return r->v[i];
	return NULL;
}

static void
iref_check(const struct lpm *t, const struct iref *r, const struct mm_addr *a)
{
	struct mm_prefix m;
	char buf[ADDR_STRLEN];
	long idx;
	void *want = iref_lookup(r, a, &idx), *got;

	memset(&m, 0xee, sizeof(m));
	got = lpm_lookup(t, a, &m);
	if (got != want || (want != NULL && !pfx_eq(&m, &r->p[idx])))
		fail_msg("lookup %s: got %p len %u, want %p len %d",
		    addr_fmt(a, buf, sizeof(buf)), got,
		    got != NULL ? m.len : 0u, want,
		    idx < 0 ? -1 : (int)r->p[idx].len);
	assert_ptr_equal(lpm_lookup(t, a, NULL), got);
}

/* A length biased to the stride boundaries of lpm.c; v4: >= 96. */
static uint8_t
boundary_len(int v4)
{
	static const uint8_t edge6[] = { 0, 1, 7, 8, 9, 15, 16, 17, 23, 24,
	    25, 32, 33, 48, 63, 64, 65, 88, 95, 96, 97, 104, 111, 112, 113,
	    119, 120, 121, 127, 128 };
	static const uint8_t edge4[] = { 96, 97, 103, 104, 105, 111, 112,
	    113, 119, 120, 121, 127, 128 };

	if (rng() % 2)
		return v4 ? (uint8_t)(96 + rng() % 33) : (uint8_t)(rng() % 129);
	if (v4)
		return edge4[rng() % sizeof(edge4)];
	return edge6[rng() % sizeof(edge6)];
}

/* Flips a random bit of `a` at or past bit `from`, sometimes. */
static void
jiggle(struct mm_addr *a, unsigned from)
{
	unsigned bit;

	if (from >= 128 || rng() % 3 == 0)
		return;
	bit = from + (unsigned)(rng() % (128 - from));
	a->b[bit / 8] ^= (uint8_t)(0x80 >> (bit % 8));
}

static void
run_interleaved(uint64_t seed, size_t nprefix)
{
	struct mm_addr bases4[6], bases6[6], a;
	struct mm_prefix q, g;
	struct iref r;
	struct lpm *t;
	static int pool[3];
	size_t i, j, k;
	int v4;
	void *v;

	rng_state = seed;
	for (i = 0; i < 6; i++) {
		addr_from_v4(&bases4[i], (uint32_t)rng());
		for (j = 0; j < 16; j++)
			bases6[i].b[j] = (uint8_t)rng();
	}
	/* one v6 base right beside the v4-mapped space */
	memset(bases6[5].b, 0, 16);
	bases6[5].b[10] = 0xff;
	bases6[5].b[11] = 0xfe;
	r.p = calloc(nprefix, sizeof(*r.p));
	r.v = calloc(nprefix, sizeof(*r.v));
	r.n = 0;
	assert_non_null(r.p);
	assert_non_null(r.v);
	assert_non_null(t = lpm_new());

	for (i = 0; i < nprefix; i++) {
		v4 = rng() % 3 != 0;
		random_addr(&q.addr, v4 ? bases4 : bases6, 6, v4);
		q.len = boundary_len(v4);
		g = q;		/* host bits left in: insert masks them */
		addr_mask(&q.addr, q.len);
		/* shared values make neighbouring leaves merge into runs */
		v = rng() % 2 ? (void *)&pool[rng() % 3] : (void *)&vals[i];
		assert_int_equal(lpm_insert(t, &g, v), 0);
		for (j = 0; j < r.n; j++)
			if (pfx_eq(&r.p[j], &q))
				break;
		if (j == r.n)
			r.p[r.n++] = q;
		r.v[j] = v;
		assert_int_equal(lpm_count(t), r.n);
		assert_ptr_equal(lpm_get(t, &q), v);
		assert_ptr_equal(lpm_get(t, &g), v);	/* host bits ignored */

		/* lookups right after the write */
		for (k = 0; k < 4; k++) {
			a = r.p[rng() % r.n].addr;
			jiggle(&a, q.len > 8 ? q.len - 8u : 0u);
			iref_check(t, &r, &a);
		}
		a = q.addr;
		iref_check(t, &r, &a);
		jiggle(&a, q.len);
		iref_check(t, &r, &a);
		/* exact gets of the parent and the sibling */
		if (q.len > 0) {
			g = q;
			g.len--;
			addr_mask(&g.addr, g.len);
			assert_ptr_equal(lpm_get(t, &g), iref_get(&r, &g));
			g = q;
			g.addr.b[(q.len - 1) / 8] ^=
			    (uint8_t)(0x80 >> ((q.len - 1) % 8));
			assert_ptr_equal(lpm_get(t, &g), iref_get(&r, &g));
			/* a prefix that leaves q's path anywhere above it */
			g = q;
			k = (size_t)(rng() % q.len);
			g.addr.b[k / 8] ^= (uint8_t)(0x80 >> (k % 8));
			assert_ptr_equal(lpm_get(t, &g), iref_get(&r, &g));
		}
		if (i % 128 == 127)
			for (j = 0; j < r.n; j++)
				assert_ptr_equal(lpm_get(t, &r.p[j]), r.v[j]);
	}
	for (j = 0; j < r.n; j++)
		assert_ptr_equal(lpm_get(t, &r.p[j]), r.v[j]);
	for (i = 0; i < 3000; i++) {
		if (rng() % 2)
			random_addr(&a, bases4, 6, 1);
		else
			random_addr(&a, bases6, 6, 0);
		iref_check(t, &r, &a);
	}
	lpm_free(t);
	free(r.p);
	free(r.v);
}

static void
test_interleaved(void **state)
{
	(void)state;
	run_interleaved(0x0123456789abcdefULL, 3000);
	run_interleaved(0x5555aaaa5555aaaaULL, 1500);
}

static void
insert_str(struct lpm *t, const char *s, void *v)
{
	struct mm_prefix p;

	assert_int_equal(prefix_parse(s, &p), 0);
	assert_int_equal(lpm_insert(t, &p, v), 0);
}

static void *
get_str(const struct lpm *t, const char *s)
{
	struct mm_prefix p;

	assert_int_equal(prefix_parse(s, &p), 0);
	return lpm_get(t, &p);
}

/* Looks `s` up; checks the value and, when `want` is not NULL, the
 * matched prefix text. */
static void
look_str(const struct lpm *t, const char *s, void *v, const char *want)
{
	struct mm_prefix m, w;
	struct mm_addr a;

	assert_int_equal(addr_parse(s, &a), 0);
	assert_ptr_equal(lpm_lookup(t, &a, &m), v);
	if (want != NULL) {
		assert_int_equal(prefix_parse(want, &w), 0);
		if (!pfx_eq(&m, &w))
			fail_msg("lookup %s: matched len %u, want %s", s,
			    m.len, want);
	}
}

static void
test_hidden_and_shared(void **state)
{
	struct lpm *t;
	int a, b, c, d;

	(void)state;
	assert_non_null(t = lpm_new());
	/* a root-level /15 hidden by both /16 halves */
	insert_str(t, "10.0.0.0/16", &a);
	insert_str(t, "10.1.0.0/16", &a);
	insert_str(t, "10.0.0.0/15", &b);
	assert_int_equal(lpm_count(t), 3);
	assert_ptr_equal(get_str(t, "10.0.0.0/15"), &b);
	look_str(t, "10.1.2.3", &a, "10.1.0.0/16");
	insert_str(t, "10.0.0.0/15", &c);		/* replace the hidden one */
	assert_int_equal(lpm_count(t), 3);
	assert_ptr_equal(get_str(t, "10.0.0.0/15"), &c);
	/* a node-level /23 hidden by both /24 halves, same value for both:
	 * one run of leaves; replacing one half must not touch the other */
	insert_str(t, "192.0.2.0/24", &a);
	insert_str(t, "192.0.3.0/24", &a);
	insert_str(t, "192.0.2.0/23", &b);
	assert_ptr_equal(get_str(t, "192.0.2.0/23"), &b);
	look_str(t, "192.0.3.9", &a, "192.0.3.0/24");
	insert_str(t, "192.0.2.0/24", &c);
	look_str(t, "192.0.2.9", &c, "192.0.2.0/24");
	look_str(t, "192.0.3.9", &a, "192.0.3.0/24");
	assert_ptr_equal(get_str(t, "192.0.3.0/24"), &a);
	assert_int_equal(lpm_count(t), 6);
	/* deeper: /25 and /32 under a /24, /31 hidden */
	insert_str(t, "192.0.2.128/25", &d);
	insert_str(t, "192.0.2.200/32", &b);
	insert_str(t, "192.0.2.200/31", &a);
	insert_str(t, "192.0.2.201/32", &c);
	look_str(t, "192.0.2.200", &b, "192.0.2.200/32");
	look_str(t, "192.0.2.201", &c, "192.0.2.201/32");
	look_str(t, "192.0.2.202", &d, "192.0.2.128/25");
	look_str(t, "192.0.2.127", &c, "192.0.2.0/24");
	assert_ptr_equal(get_str(t, "192.0.2.200/31"), &a);
	assert_null(get_str(t, "192.0.2.200/30"));
	assert_null(get_str(t, "192.0.2.0/25"));
	assert_int_equal(lpm_count(t), 10);
	/* IPv6: a /40 hidden by its two /41 halves, on a stride boundary */
	insert_str(t, "2001:db8::/41", &a);
	insert_str(t, "2001:db8:80::/41", &a);
	insert_str(t, "2001:db8::/40", &b);
	insert_str(t, "2001:db8::/32", &c);
	look_str(t, "2001:db8:ff::1", &a, "2001:db8:80::/41");
	look_str(t, "2001:db8:100::1", &c, "2001:db8::/32");
	assert_ptr_equal(get_str(t, "2001:db8::/40"), &b);
	assert_null(get_str(t, "2001:db8::/39"));
	assert_int_equal(lpm_count(t), 14);
	/* lone deep prefixes: paths that skip empty levels, then split
	 * below, above and beside them */
	insert_str(t, "2001:db8:1234:5678::/64", &d);
	assert_null(get_str(t, "2001:db9:1234:5678::/64"));
	assert_null(get_str(t, "2001:db8:1234:5679::/64"));
	assert_null(get_str(t, "2001:db8:1234:5678::/63"));
	look_str(t, "2001:db8:1234:5678::1", &d, "2001:db8:1234:5678::/64");
	look_str(t, "2001:db8:1234:5679::1", &c, "2001:db8::/32");
	look_str(t, "2001:db9:1234:5678::1", NULL, NULL);
	insert_str(t, "2001:db8:1234:5678:9abc::/80", &a);	/* below */
	insert_str(t, "2001:db8:1234::/48", &b);			/* above */
	insert_str(t, "2001:db8:1234:5600::/56", &c);		/* between */
	insert_str(t, "2001:db8:1234:5700::/56", &a);		/* beside */
	look_str(t, "2001:db8:1234:5678:9abc::1", &a,
	    "2001:db8:1234:5678:9abc::/80");
	look_str(t, "2001:db8:1234:5678:9abd::1", &d,
	    "2001:db8:1234:5678::/64");
	look_str(t, "2001:db8:1234:5679::1", &c, "2001:db8:1234:5600::/56");
	look_str(t, "2001:db8:1234:5779::1", &a, "2001:db8:1234:5700::/56");
	look_str(t, "2001:db8:1234:5879::1", &b, "2001:db8:1234::/48");
	assert_ptr_equal(get_str(t, "2001:db8:1234:5678::/64"), &d);
	assert_null(get_str(t, "2001:db8:1234:5678:9abc::/81"));
	assert_int_equal(lpm_count(t), 19);
	lpm_free(t);
}

static void
test_v4_mapped_space(void **state)
{
	struct lpm *t;
	struct mm_prefix p;
	struct mm_addr x;
	int a, b, c, d, e, f;

	(void)state;
	assert_non_null(t = lpm_new());
	/* only IPv6 prefixes cover IPv4 addresses: the v6 trie answers */
	insert_str(t, "::/0", &a);
	look_str(t, "10.1.2.3", &a, "::/0");
	look_str(t, "2001:db8::1", &a, "::/0");
	insert_str(t, "::/80", &b);
	look_str(t, "10.1.2.3", &b, "::/80");
	look_str(t, "::fffe:a01:203", &b, "::/80");
	insert_str(t, "::ffff:0:0/95", &c);		/* covers ::fffe:0:0/96 too */
	look_str(t, "10.1.2.3", &c, "::ffff:0:0/95");
	look_str(t, "::fffe:a01:203", &c, "::ffff:0:0/95");
	/* IPv4 /0 is ::ffff:0:0/96 */
	insert_str(t, "0.0.0.0/0", &d);
	assert_int_equal(prefix_parse("::ffff:0:0/96", &p), 0);
	assert_ptr_equal(lpm_get(t, &p), &d);
	look_str(t, "10.1.2.3", &d, "0.0.0.0/0");
	look_str(t, "::fffe:a01:203", &c, "::ffff:0:0/95");
	insert_str(t, "10.0.0.0/8", &e);
	look_str(t, "10.1.2.3", &e, "10.0.0.0/8");
	look_str(t, "11.1.2.3", &d, "0.0.0.0/0");
	/* IPv6 /97 inside the mapped space is an IPv4 /1 */
	insert_str(t, "::ffff:8000:0/97", &f);
	look_str(t, "192.0.2.1", &f, "128.0.0.0/1");
	assert_ptr_equal(get_str(t, "128.0.0.0/1"), &f);
	/* host routes at both ends */
	insert_str(t, "255.255.255.255/32", &a);
	insert_str(t, "0.0.0.0/32", &b);
	insert_str(t, "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff/128", &c);
	insert_str(t, "::/128", &e);
	look_str(t, "255.255.255.255", &a, "255.255.255.255/32");
	look_str(t, "255.255.255.254", &f, "128.0.0.0/1");
	look_str(t, "0.0.0.0", &b, "0.0.0.0/32");
	look_str(t, "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", &c, NULL);
	look_str(t, "ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffe", &a, "::/0");
	look_str(t, "::", &e, "::/128");
	look_str(t, "::1", &b, "::/80");
	assert_int_equal(lpm_count(t), 10);
	/* host bits in a query for lpm_get are ignored; len > 128 is absent */
	assert_int_equal(prefix_parse("10.0.0.0/8", &p), 0);
	p.addr.b[15] = 7;
	assert_ptr_equal(lpm_get(t, &p), &e);
	p.len = 129;
	assert_null(lpm_get(t, &p));
	/* matched prefix has zero host bits */
	assert_int_equal(addr_parse("10.200.3.4", &x), 0);
	assert_ptr_equal(lpm_lookup(t, &x, &p), &e);
	assert_int_equal(p.len, 104);
	assert_int_equal(p.addr.b[13] | p.addr.b[14] | p.addr.b[15], 0);
	lpm_free(t);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_basics),
		cmocka_unit_test(test_random_small),
		cmocka_unit_test(test_random_large),
		cmocka_unit_test(test_interleaved),
		cmocka_unit_test(test_hidden_and_shared),
		cmocka_unit_test(test_v4_mapped_space),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
