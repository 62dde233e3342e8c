/*
 * lpm_bench.c - longest-prefix-match micro benchmark for src/core/lpm.c.
 *
 * Builds synthetic tables from a seeded generator (splitmix64, so every run
 * and every build of lpm.c sees the same prefixes and the same addresses),
 * then times lpm_insert over the whole table and lpm_lookup over a large
 * array of random addresses. Tables:
 *
 *   v4-500k   500,000 distinct IPv4 prefixes, random address, length
 *             uniform in /8../24, duplicates redrawn (the table the lpm
 *             rewrite was sized against);
 *   bgp-1m    1,000,000 prefixes shaped like a full BGP table: 800,000 IPv4
 *             (about 60 % /24, the rest /8../23) and 200,000 IPv6 in
 *             2000::/3 (/29../48, mostly /32, /40, /48); all distinct;
 *   sparse    200,000 prefixes that mostly sit alone on their path, the
 *             worst case for memory: half random IPv4 /32, half random
 *             IPv6 /64 in 2000::/3.
 *
 * Lookups use random IPv4 addresses (v4-500k), a 80/20 mix of random IPv4
 * and random 2000::/3 addresses (bgp-1m) or a 50/50 mix (sparse). Printed
 * per table: inserts/s, bytes per prefix (RSS growth while loading, from
 * /proc/self/statm, and the growth of what malloc has handed out, from
 * glibc's mallinfo2(), which leaves out the allocator's free lists), ns
 * per lookup (min and max over the rounds) and a checksum over the answers
 * (number of hits and sum of matched lengths) so that two builds of lpm.c
 * can be checked to agree.
 *
 * Not part of the mamori build: bench/lpm_bench.sh compiles it with cc
 * against src/core/lpm.c and src/core/addr.c.
 *
 * usage: lpm_bench [TABLE [LOOKUPS [ROUNDS [SEED]]]]
 *        TABLE is v4-500k (default), bgp-1m, sparse or all (all in one
 *        process: the memory figures of the later tables are then too low,
 *        as they reuse what the earlier ones freed).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#if defined(__GLIBC__) && (__GLIBC__ > 2 || __GLIBC_MINOR__ >= 33)
#include <malloc.h>
#define HAVE_MALLINFO2 1
#endif

#include "core/addr.h"
#include "core/lpm.h"

static uint64_t rs;

static uint64_t
rnd(void)
{
	uint64_t x;

	rs += 0x9e3779b97f4a7c15ULL;
	x = rs;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static long
rss_bytes(void)
{
	FILE *f = fopen("/proc/self/statm", "r");
	long size = 0, res = 0;

	if (f == NULL)
		return 0;
	if (fscanf(f, "%ld %ld", &size, &res) != 2)
		res = 0;
	fclose(f);
	return res * sysconf(_SC_PAGESIZE);
}

/* Bytes the allocator has handed out (heap and mmap), or 0 if unknown. */
static long
heap_bytes(void)
{
#ifdef HAVE_MALLINFO2
	struct mallinfo2 mi = mallinfo2();

	return (long)(mi.uordblks + mi.hblkhd);
#else
	return 0;
#endif
}

static void
rand_v6(struct mm_addr *a)
{
	uint64_t hi = rnd(), lo = rnd();
	int i;

	for (i = 0; i < 8; i++) {
		a->b[i] = (uint8_t)(hi >> (56 - 8 * i));
		a->b[8 + i] = (uint8_t)(lo >> (56 - 8 * i));
	}
	a->b[0] = (uint8_t)(0x20 | (a->b[0] & 0x1f));	/* 2000::/3 */
}

static void
gen_v4(struct mm_prefix *p, unsigned lo, unsigned hi)
{
	addr_from_v4(&p->addr, (uint32_t)rnd());
	p->len = (uint8_t)(96 + lo + rnd() % (hi - lo + 1));
	addr_mask(&p->addr, p->len);
}

static void
gen_bgp(struct mm_prefix *p)
{
	static const uint8_t v6len[] = { 29, 32, 32, 32, 32, 36, 40, 40, 44,
	    48, 48, 48, 48, 48 };
	uint64_t r = rnd() % 100;

	if (r < 80) {
		if (rnd() % 100 < 60) {
			addr_from_v4(&p->addr, (uint32_t)rnd());
			p->len = 120;
			addr_mask(&p->addr, p->len);
		} else
			gen_v4(p, 8, 23);
		return;
	}
	rand_v6(&p->addr);
	p->len = v6len[rnd() % sizeof(v6len)];
	addr_mask(&p->addr, p->len);
}

/* Open-addressing set of prefixes, to draw distinct ones. */
struct pset {
	struct mm_prefix	*slot;
	size_t			 mask;
};

static uint64_t
pfx_hash(const struct mm_prefix *p)
{
	uint64_t h = 0xcbf29ce484222325ULL;
	int i;

	for (i = 0; i < 16; i++)
		h = (h ^ p->addr.b[i]) * 0x100000001b3ULL;
	return (h ^ p->len) * 0x100000001b3ULL;
}

/* 1 if added, 0 if already there. */
static int
pset_add(struct pset *s, const struct mm_prefix *p)
{
	size_t i = (size_t)pfx_hash(p) & s->mask;

	for (;; i = (i + 1) & s->mask) {
		if (s->slot[i].len == 255) {
			s->slot[i] = *p;
			return 1;
		}
		if (s->slot[i].len == p->len &&
		    memcmp(s->slot[i].addr.b, p->addr.b, 16) == 0)
			return 0;
	}
}

static void
gen_sparse(struct mm_prefix *p)
{
	if (rnd() % 2) {
		addr_from_v4(&p->addr, (uint32_t)rnd());
		p->len = 128;
	} else {
		rand_v6(&p->addr);
		p->len = 64;
	}
	addr_mask(&p->addr, p->len);
}

static int
run(const char *name, size_t nprefix, size_t nlookup, int rounds,
    uint64_t seed)
{
	struct mm_prefix *pfx = NULL, m;
	struct mm_addr *addrs = NULL;
	struct lpm *t = NULL;
	struct pset set = { NULL, 0 };
	double t0, t1, best = 1e30, worst = 0, ins;
	uint64_t hits = 0, lensum = 0;
	long rss0, rss1, heap0, heap1;
	size_t i;
	int bgp = strcmp(name, "bgp-1m") == 0, r, rc = 1;
	int sparse = strcmp(name, "sparse") == 0;
	static int dummy;

	rs = seed;
	if ((pfx = calloc(nprefix, sizeof(*pfx))) == NULL ||
	    (addrs = calloc(nlookup, sizeof(*addrs))) == NULL)
		goto out;
	set.mask = 1;
	while (set.mask < 2 * nprefix)
		set.mask <<= 1;
	if ((set.slot = malloc(set.mask * sizeof(*set.slot))) == NULL)
		goto out;
	for (i = 0; i < set.mask; i++)
		set.slot[i].len = 255;
	set.mask--;
	for (i = 0; i < nprefix; i++) {
		do {
			if (bgp)
				gen_bgp(&pfx[i]);
			else if (sparse)
				gen_sparse(&pfx[i]);
			else
				gen_v4(&pfx[i], 8, 24);
		} while (!pset_add(&set, &pfx[i]));
	}
	free(set.slot);
	set.slot = NULL;
	for (i = 0; i < nlookup; i++) {
		if ((bgp && rnd() % 100 >= 80) || (sparse && rnd() % 2))
			rand_v6(&addrs[i]);
		else
			addr_from_v4(&addrs[i], (uint32_t)rnd());
	}

	rss0 = rss_bytes();
	heap0 = heap_bytes();
	t0 = now();
	if ((t = lpm_new()) == NULL)
		goto out;
	for (i = 0; i < nprefix; i++)
		if (lpm_insert(t, &pfx[i], &dummy) != 0)
			goto out;
	t1 = now();
	rss1 = rss_bytes();
	heap1 = heap_bytes();
	ins = t1 - t0;

	for (r = 0; r < rounds; r++) {
		uint64_t h = 0, ls = 0;

		t0 = now();
		for (i = 0; i < nlookup; i++) {
			if (lpm_lookup(t, &addrs[i], &m) != NULL) {
				h++;
				ls += m.len;
			}
		}
		t1 = now();
		if ((t1 - t0) < best)
			best = t1 - t0;
		if ((t1 - t0) > worst)
			worst = t1 - t0;
		hits = h;
		lensum = ls;
	}
	printf("%-8s prefixes %zu (distinct %zu)  insert %.2f s = %.0f k/s\n",
	    name, nprefix, lpm_count(t), ins, (double)nprefix / ins / 1e3);
	printf("%-8s memory: rss +%.1f MB = %.0f B/prefix, allocated +%.1f MB "
	    "= %.0f B/prefix\n", name, (double)(rss1 - rss0) / 1048576.0,
	    (double)(rss1 - rss0) / (double)lpm_count(t),
	    (double)(heap1 - heap0) / 1048576.0,
	    (double)(heap1 - heap0) / (double)lpm_count(t));
	printf("%-8s lookups %zu x %d  ns/lookup min %.0f max %.0f  "
	    "check hits %llu lensum %llu\n", name, nlookup, rounds,
	    best * 1e9 / (double)nlookup, worst * 1e9 / (double)nlookup,
	    (unsigned long long)hits, (unsigned long long)lensum);
	rc = 0;
out:
	if (rc != 0)
		fprintf(stderr, "lpm_bench: %s: setup failed\n", name);
	lpm_free(t);
	free(set.slot);
	free(pfx);
	free(addrs);
	return rc;
}

int
main(int argc, char *argv[])
{
	const char *table = argc > 1 ? argv[1] : "v4-500k";
	size_t nlookup = argc > 2 ? strtoul(argv[2], NULL, 10) : 2000000;
	int rounds = argc > 3 ? atoi(argv[3]) : 3;
	uint64_t seed = argc > 4 ? strtoull(argv[4], NULL, 10) : 1;
	int rc = 0;

	if (rounds < 1)
		rounds = 1;
	if (strcmp(table, "v4-500k") == 0 || strcmp(table, "all") == 0)
		rc |= run("v4-500k", 500000, nlookup, rounds, seed);
	if (strcmp(table, "bgp-1m") == 0 || strcmp(table, "all") == 0)
		rc |= run("bgp-1m", 1000000, nlookup, rounds, seed);
	if (strcmp(table, "sparse") == 0 || strcmp(table, "all") == 0)
		rc |= run("sparse", 200000, nlookup, rounds, seed);
	return rc;
}
