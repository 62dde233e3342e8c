/*
 * fuzz_lpm.c - libFuzzer target for core/lpm: the input is a program of
 * inserts, lookups and exact gets, run against the table and against a
 * brute-force list of the prefixes inserted so far; any difference (value,
 * matched prefix, lpm_get result, count) aborts.
 *
 * Each operation takes 5 input bytes: kind (insert / lookup / get), which
 * of 6 base addresses (three IPv4-mapped, three IPv6, one of them just
 * beside the mapped space), a position and a mask to flip bits of the base
 * (within the IPv4 part for the mapped bases), and the length (IPv4 bases:
 * /96../128). Values come from a pool of 5 so that neighbouring prefixes
 * share values (merged leaf runs) and get replaced. At most 300 operations
 * per input. Corpus: fuzz/corpus/lpm/.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/addr.h"
#include "core/lpm.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_OPS		300

static const uint8_t bases[6][16] = {
	{ 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 10, 0, 0, 0 },
	{ 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 192, 0, 2, 0 },
	{ 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0, 0, 0, 0 },
	{ 0x20, 0x01, 0x0d, 0xb8, 0x12, 0x34, 0x56, 0x78, 0, 0, 0, 0, 0, 0,
	    0, 1 },
	{ 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xfe, 10, 0, 0, 0 },
	{ 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0 }
};

static int pool[5];

struct ref {
	struct mm_prefix	p[MAX_OPS];
	void			*v[MAX_OPS];
	size_t			 n;
};

static void *
ref_lookup(const struct ref *r, const struct mm_addr *a, long *idx)
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

static long
ref_find(const struct ref *r, const struct mm_prefix *q)
{
	size_t i;

	for (i = 0; i < r->n; i++)
		if (r->p[i].len == q->len &&
		    memcmp(r->p[i].addr.b, q->addr.b, 16) == 0)
			return (long)i;
	return -1;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct ref r;
	struct mm_prefix q, m, masked;
	struct lpm *t;
	size_t ops = 0;
	unsigned kind, b, pos, v4;
	long idx;
	void *want, *got;

	if ((t = lpm_new()) == NULL)
		return 0;
	r.n = 0;
	for (; size >= 5 && ops < MAX_OPS; data += 5, size -= 5, ops++) {
		kind = data[0] % 3;
		b = data[1] % 6;
		v4 = b < 3;
		memcpy(q.addr.b, bases[b], 16);
		pos = v4 ? 12u + data[2] % 4u : data[2] % 16u;
		q.addr.b[pos] ^= data[3];
		q.len = v4 ? (uint8_t)(96 + data[4] % 33) :
		    (uint8_t)(data[4] % 129);
		masked = q;
		addr_mask(&masked.addr, masked.len);
		switch (kind) {
		case 0:
			got = &pool[data[0] / 3 % 5];
			if (lpm_insert(t, &q, got) != 0)
				abort();
			if ((idx = ref_find(&r, &masked)) < 0) {
				idx = (long)r.n++;
				r.p[idx] = masked;
			}
			r.v[idx] = got;
			if (lpm_count(t) != r.n)
				abort();
			break;
		case 1:
			want = ref_lookup(&r, &q.addr, &idx);
			memset(&m, 0, sizeof(m));
			if ((got = lpm_lookup(t, &q.addr, &m)) != want)
				abort();
			if (want != NULL && (m.len != r.p[idx].len ||
			    memcmp(m.addr.b, r.p[idx].addr.b, 16) != 0))
				abort();
			break;
		default:
			idx = ref_find(&r, &masked);
			want = idx < 0 ? NULL : r.v[idx];
			if (lpm_get(t, &q) != want)
				abort();
		}
	}
	lpm_free(t);
	return 0;
}
