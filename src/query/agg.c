/*
 * agg.c - group-by hash tables and top-N; see agg.h for the contract.
 *
 * Layout. A table is one array of fixed-size slots: the key bytes, padded to
 * 8, then five 64-bit counters (flows, packets, bytes, first, last). A slot
 * with flows == 0 is empty, so there is no separate occupancy map. Probing is
 * linear; the table doubles at 3/4 load. The slot index is the top bits of
 * (hash ^ seed) * golden-ratio with a seed per table: merging a table into
 * another walks the source in its slot order, and with a shared index
 * function that order would pile the entries into long runs of the target.
 * Tables of 4 MiB and more come from mmap with MADV_HUGEPAGE, since every
 * probe of a large table is a TLB miss in 4 KiB pages.
 *
 * Two key widths: address fields take 4 bytes when every address field of
 * the flow is IPv4, else 16; the two kinds live in separate tables (t[0],
 * t[1]) so each has its own fixed slot size.
 *
 * Inserting a block: keys are built column by column (one pass per key
 * field, no per-row dispatch on the field type) into packed entries (hash,
 * counters, key) in row order. A private aggregation inserts them into its
 * table, prefetching the slot AGG_AHEAD entries ahead so that cache misses
 * overlap instead of queueing.
 *
 * A shared aggregation is radix-partitioned instead (AGG_SHARDS = 256
 * partitions by the top hash bits, one lock each): the entries are
 * counting-sorted by partition and each partition's run is appended, as
 * slots, to the partition's packed array (struct part) under its lock,
 * taken once per block (trylock first; a busy partition waits to the
 * end). A partition that reaches 1.5 times the groups of its last
 * compaction is compacted in place (part_fold()): its distinct groups are
 * indexed in a per-thread table of 32-bit positions (~0.5..1 MiB at 10 M
 * groups, in cache), then each newer tuple is either added to its group or
 * moved down. Large-table inserts (one random DRAM access per row, ~100 ns
 * when the table is hundreds of MiB) thus become sequential appends and
 * sequential compaction passes over a few MiB. Compaction work per tuple
 * is amortised O(1): each pass reads the old groups once and at least half
 * as many new tuples, i.e. at most 3 entries per new tuple.
 *
 * Cost: O(1) expected per row. Memory: 48 bytes per slot or tuple for an
 * IPv4 single-address key (key 4 + pad 4 + counters 40), 56 for IPv6.
 * Private tables: 4/3..8/3 slots per group (load 3/4 down to 3/8 after a
 * doubling), 64..128 bytes per IPv4 group. Shared partitions: 1..1.5
 * entries per group, 48..72 bytes per IPv4 group (10 M sources: 480..720
 * MiB), plus at most PART_MIN (256) entries per used partition and
 * family; partitions of PART_MAPMIN (16 KiB) and more reserve address
 * space (MAP_NORESERVE) and grow in place, so their resident size is their
 * entries rounded up to a page, without copies or heap fragmentation.
 * Compaction index: 4 bytes * 2..4 per entry of the partition being
 * compacted, per thread.
 */
#include <sys/mman.h>

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/addr.h"
#include "core/err.h"
#include "query/agg.h"

#define AGG_BATCH	256
#define AGG_AHEAD	16		/* prefetch distance, entries */
#define AGG_HUGE_MIN	(4u << 20)	/* tables this big use mmap */
#define AGG_KMAX	(AGG_MAXKEYS * 16)
#define PART_WAHEAD	8		/* entries written ahead of appends */
#define AGG_CHUNK	8192		/* rows per append to a shared agg */
#define PART_MIN	256		/* entries before a first compaction */
#define PART_RING	64		/* hashes computed ahead in a compaction */
#define PART_MAPMIN	(16u << 10)	/* partitions this big are mapped */
#define PART_VMAX	((size_t)256 << 20)	/* address space per mapping */
#define AGG_FINISH_MAXTHREADS	64

#if defined(__GNUC__)
#define PREFETCH(p)	__builtin_prefetch(p)
#define PREFETCHW(p)	__builtin_prefetch((p), 1)
#else
#define PREFETCH(p)	((void)(p))
#define PREFETCHW(p)	((void)(p))
#endif

struct atab {
	uint8_t		*slots;
	size_t		 cap;		/* power of two, or 0 */
	unsigned	 shift;		/* 64 - log2(cap) */
	int		 mapped;	/* slots from mmap (huge pages) */
	size_t		 n;
	size_t		 klen;		/* key bytes */
	size_t		 soff;		/* counters offset (klen rounded to 8) */
	size_t		 es;		/* slot size */
	uint64_t	 seed;		/* per-table slot scramble */
};

/*
 * A partition of a shared aggregation: groups and not yet aggregated
 * tuples, both in slot format (key, pad, counters), packed. [0, done) are
 * distinct groups (the last compaction), [done, n) appended since; cap
 * entries allocated; the next append past lim compacts first.
 */
struct part {
	uint8_t		*e;
	size_t		 n, done, cap, lim;
	size_t		 vbytes;	/* reserved mapping, or 0: malloc'd */
	size_t		 peak;		/* most entries ever held */
};

struct agg {
	struct agg_spec	 spec;
	size_t		 nshards;	/* 1, or AGG_SHARDS when shared */
	struct atab	*t[2];		/* [0] IPv4 keys, [1] IPv6 keys;
					 * nshards tables each (shared: only
					 * the sizes are used) */
	struct part	*part[2];	/* shared: nshards partitions each */
	pthread_mutex_t	*mu;		/* one per shard when shared */
	size_t		 off[2][AGG_MAXKEYS];	/* key field offsets */
	size_t		 stride;	/* bytes per key in a key buffer */
	int		 has_addr;
};

struct cnt {
	uint64_t	flows, packets, bytes;
	int64_t		first, last;
};

static const struct {
	const char	*name;
	int		 key;
	int		 either;
	const char	*title;
	const char	*etitle;
} keytab[] = {
	{ "srcip", AK_SRCIP, 0, "Src IP Addr", "IP Addr" },
	{ "dstip", AK_DSTIP, 0, "Dst IP Addr", "IP Addr" },
	{ "ip", AK_SRCIP, 1, "IP Addr", "IP Addr" },
	{ "srcport", AK_SRCPORT, 0, "Src Port", "Port" },
	{ "dstport", AK_DSTPORT, 0, "Dst Port", "Port" },
	{ "port", AK_SRCPORT, 1, "Port", "Port" },
	{ "proto", AK_PROTO, 0, "Proto", "Proto" },
	{ "srcas", AK_SRCAS, 0, "Src AS", "AS" },
	{ "dstas", AK_DSTAS, 0, "Dst AS", "AS" },
	{ "as", AK_SRCAS, 1, "AS", "AS" },
	{ "inif", AK_INIF, 0, "Input If", "Interface" },
	{ "outif", AK_OUTIF, 0, "Output If", "Interface" },
	{ "if", AK_INIF, 1, "Interface", "Interface" },
	{ "exporter", AK_EXPORTER, 0, "Exporter", "Exporter" },
	{ "nexthop", AK_NEXTHOP, 0, "Next Hop", "Next Hop" },
	{ "tos", AK_TOS, 0, "Tos", "Tos" },
	{ "vlan", AK_VLAN, 0, "Vlan", "Vlan" }
};
#define NKEYTAB	(sizeof(keytab) / sizeof(keytab[0]))

static int	agg_settle(struct agg *);

static const char *const order_names[AO_COUNT] = {
	"flows", "packets", "bytes", "bps", "pps", "bpp"
};

static const size_t key_width[AK_COUNT] = {
	16, 16, 2, 2, 1, 4, 4, 4, 4, 16, 16, 1, 2
};

int
agg_order_parse(const char *s)
{
	int i;

	for (i = 0; i < AO_COUNT; i++)
		if (strcasecmp(s, order_names[i]) == 0)
			return i;
	return -1;
}

const char *
agg_order_name(int order)
{
	return order >= 0 && order < AO_COUNT ? order_names[order] : "?";
}

static int
keytab_find(const char *s, size_t len)
{
	size_t i;

	for (i = 0; i < NKEYTAB; i++)
		if (strlen(keytab[i].name) == len &&
		    strncasecmp(keytab[i].name, s, len) == 0)
			return (int)i;
	return -1;
}

const char *
agg_key_title(int key, int either)
{
	size_t i;

	for (i = 0; i < NKEYTAB; i++)
		if (keytab[i].key == key && !keytab[i].either)
			return either ? keytab[i].etitle : keytab[i].title;
	return "?";
}

const char *
agg_key_name(int key, int either)
{
	size_t i;

	for (i = 0; i < NKEYTAB; i++)
		if (keytab[i].key == key && keytab[i].either == either)
			return keytab[i].name;
	return "?";
}

int
agg_key_is_addr(int key)
{
	return key == AK_SRCIP || key == AK_DSTIP || key == AK_EXPORTER ||
	    key == AK_NEXTHOP;
}

int
agg_spec_stat(const char *s, struct agg_spec *sp, struct mm_diag *diag)
{
	const char *slash = strchr(s, '/');
	size_t klen = slash ? (size_t)(slash - s) : strlen(s);
	int k;

	memset(sp, 0, sizeof(*sp));
	if ((k = keytab_find(s, klen)) < 0)
		return mm_diag_set(diag, MM_ESYNTAX,
		    "-s %s: unknown statistic key '%.*s'", s, (int)klen, s);
	sp->nkeys = 1;
	sp->keys[0] = (uint8_t)keytab[k].key;
	sp->mask4[0] = 32;
	sp->mask6[0] = 128;
	sp->either = keytab[k].either;
	sp->order = AO_FLOWS;
	if (slash != NULL && (sp->order = agg_order_parse(slash + 1)) < 0)
		return mm_diag_set(diag, MM_ESYNTAX,
		    "-s %s: unknown order '%s' (flows, packets, bytes, bps, "
		    "pps, bpp)", s, slash + 1);
	if (sp->either && !keytab[k].either)
		return MM_ESYNTAX;
	snprintf(sp->name, sizeof(sp->name), "%s", keytab[k].name);
	return 0;
}

int
agg_spec_keys(const char *s, struct agg_spec *sp, struct mm_diag *diag)
{
	const char *p = s, *e;
	size_t len;
	int k;

	memset(sp, 0, sizeof(*sp));
	sp->order = AO_BYTES;
	while (*p != '\0') {
		unsigned m4 = 32, m6 = 128;
		char word[32];

		e = strchr(p, ',');
		len = e ? (size_t)(e - p) : strlen(p);
		if (len == 0 || len >= sizeof(word))
			return mm_diag_set(diag, MM_ESYNTAX,
			    "-A %s: empty or overlong key", s);
		memcpy(word, p, len);
		word[len] = '\0';
		if ((strncasecmp(word, "srcip4/", 7) == 0 ||
		    strncasecmp(word, "dstip4/", 7) == 0 ||
		    strncasecmp(word, "srcip6/", 7) == 0 ||
		    strncasecmp(word, "dstip6/", 7) == 0)) {
			char *end;
			unsigned long v = strtoul(word + 7, &end, 10);

			if (*end != '\0' || end == word + 7 ||
			    v > (word[5] == '4' ? 32u : 128u))
				return mm_diag_set(diag, MM_ESYNTAX,
				    "-A %s: bad prefix length in '%s'", s,
				    word);
			if (word[5] == '4')
				m4 = (unsigned)v;
			else
				m6 = (unsigned)v;
			word[5] = '\0';
		}
		if ((k = keytab_find(word, strlen(word))) < 0 ||
		    keytab[k].either)
			return mm_diag_set(diag, MM_ESYNTAX,
			    "-A %s: unknown key '%s'", s, word);
		if (sp->nkeys == AGG_MAXKEYS)
			return mm_diag_set(diag, MM_ESYNTAX,
			    "-A %s: too many keys", s);
		/* a repeated key refines its masks (srcip4/24,srcip6/64) */
		if (sp->nkeys > 0 && agg_key_is_addr(keytab[k].key)) {
			size_t j;

			for (j = 0; j < sp->nkeys; j++)
				if (sp->keys[j] == keytab[k].key)
					break;
			if (j < sp->nkeys) {
				if (m4 != 32)
					sp->mask4[j] = (uint8_t)m4;
				if (m6 != 128)
					sp->mask6[j] = (uint8_t)m6;
				goto next;
			}
		}
		sp->keys[sp->nkeys] = (uint8_t)keytab[k].key;
		sp->mask4[sp->nkeys] = (uint8_t)m4;
		sp->mask6[sp->nkeys] = (uint8_t)m6;
		sp->nkeys++;
next:
		p += len;
		if (*p == ',')
			p++;
	}
	if (sp->nkeys == 0)
		return mm_diag_set(diag, MM_ESYNTAX, "-A: no keys");
	snprintf(sp->name, sizeof(sp->name), "%s", s);
	return 0;
}

static uint32_t
key_col(int key)
{
	static const uint8_t cols[AK_COUNT] = {
		FCOL_SRC, FCOL_DST, FCOL_SRC_PORT, FCOL_DST_PORT, FCOL_PROTO,
		FCOL_SRC_AS, FCOL_DST_AS, FCOL_IN_IF, FCOL_OUT_IF,
		FCOL_EXPORTER, FCOL_NEXTHOP, FCOL_TOS, FCOL_VLAN
	};

	return FCOL_BIT(cols[key]);
}

/* The dst-side twin of a src-side key (for either statistics). */
static int
key_twin(int key)
{
	switch (key) {
	case AK_SRCIP: return AK_DSTIP;
	case AK_SRCPORT: return AK_DSTPORT;
	case AK_SRCAS: return AK_DSTAS;
	case AK_INIF: return AK_OUTIF;
	default: return key;
	}
}

uint32_t
agg_colmask(const struct agg_spec *sp)
{
	uint32_t m = FCOL_BIT(FCOL_FIRST) | FCOL_BIT(FCOL_LAST) |
	    FCOL_BIT(FCOL_PACKETS) | FCOL_BIT(FCOL_BYTES);
	size_t j;

	for (j = 0; j < sp->nkeys; j++) {
		m |= key_col(sp->keys[j]);
		if (sp->either)
			m |= key_col(key_twin(sp->keys[j]));
	}
	return m;
}

static int
agg_create(const struct agg_spec *sp, size_t nshards, struct agg **out)
{
	struct agg *a;
	size_t j, o4 = 0, o16 = 0, w, v, k;

	*out = NULL;
	if (sp->nkeys == 0 || sp->nkeys > AGG_MAXKEYS)
		return MM_EINVAL;
	if ((a = calloc(1, sizeof(*a))) == NULL)
		return MM_ENOMEM;
	a->spec = *sp;
	a->nshards = nshards;
	for (j = 0; j < sp->nkeys; j++) {
		w = key_width[sp->keys[j]];
		a->off[0][j] = o4;
		a->off[1][j] = o16;
		if (w == 16) {
			a->has_addr = 1;
			o4 += 4;
		} else
			o4 += w;
		o16 += w;
	}
	a->stride = (o16 + 7) & ~(size_t)7;
	for (v = 0; v < 2; v++) {
		if ((a->t[v] = calloc(nshards, sizeof(*a->t[v]))) == NULL)
			goto fail;
		for (k = 0; k < nshards; k++) {
			struct atab *t = &a->t[v][k];

			t->klen = v ? o16 : o4;
			t->soff = (t->klen + 7) & ~(size_t)7;
			t->es = t->soff + sizeof(struct cnt);
			/* distinct per table, no shared state */
			t->seed = ((uint64_t)(uintptr_t)t *
			    0x9e3779b97f4a7c15ULL) | 1;
		}
	}
	if (nshards > 1) {
		for (v = 0; v < 2; v++)
			if ((a->part[v] = calloc(nshards,
			    sizeof(*a->part[v]))) == NULL)
				goto fail;
		if ((a->mu = calloc(nshards, sizeof(*a->mu))) == NULL)
			goto fail;
		for (k = 0; k < nshards; k++)
			pthread_mutex_init(&a->mu[k], NULL);
	}
	*out = a;
	return 0;
fail:
	free(a->part[0]);
	free(a->part[1]);
	free(a->t[0]);
	free(a->t[1]);
	free(a);
	return MM_ENOMEM;
}

int
agg_new(const struct agg_spec *sp, struct agg **out)
{
	return agg_create(sp, 1, out);
}

int
agg_new_shared(const struct agg_spec *sp, struct agg **out)
{
	return agg_create(sp, AGG_SHARDS, out);
}

static void
tab_release(struct atab *t)
{
	if (t->mapped)
		munmap(t->slots, t->cap * t->es);
	else
		free(t->slots);
	t->slots = NULL;
	t->cap = 0;
	t->n = 0;
}

/* Frees the entries of a partition (not p's other fields). */
static void
part_release(struct part *p)
{
	if (p->vbytes > 0)
		munmap(p->e, p->vbytes);
	else
		free(p->e);
	p->e = NULL;
	p->vbytes = 0;
	p->cap = 0;
}

void
agg_free(struct agg *a)
{
	size_t v, k;

	if (a == NULL)
		return;
	for (v = 0; v < 2; v++)
		for (k = 0; k < a->nshards && a->t[v] != NULL; k++)
			tab_release(&a->t[v][k]);
	for (v = 0; v < 2; v++) {
		for (k = 0; k < a->nshards && a->part[v] != NULL; k++)
			part_release(&a->part[v][k]);
		free(a->part[v]);
	}
	if (a->mu != NULL)
		for (k = 0; k < a->nshards; k++)
			pthread_mutex_destroy(&a->mu[k]);
	free(a->mu);
	free(a->t[0]);
	free(a->t[1]);
	free(a);
}

const struct agg_spec *
agg_get_spec(const struct agg *a)
{
	return &a->spec;
}

/* Groups in the tables, or entries (groups and pending tuples) in the
 * partitions of a shared aggregation. */
static size_t
agg_entries(const struct agg *a)
{
	size_t v, k, n = 0;

	for (v = 0; v < 2; v++)
		for (k = 0; k < a->nshards; k++)
			n += a->part[v] != NULL ? a->part[v][k].n :
			    a->t[v][k].n;
	return n;
}

size_t
agg_groups(const struct agg *a)
{
	/* logically const: settling only compacts pending tuples */
	(void)agg_settle((struct agg *)(uintptr_t)a);
	return agg_entries(a);
}

size_t
agg_memory(const struct agg *a)
{
	size_t v, k, n = 0;

	for (v = 0; v < 2; v++)
		for (k = 0; k < a->nshards; k++) {
			const struct part *p = a->part[v] != NULL ?
			    &a->part[v][k] : NULL;

			if (p == NULL)
				n += a->t[v][k].cap * a->t[v][k].es;
			else if (p->vbytes > 0)	/* touched, not reserved */
				n += (p->peak > p->n ? p->peak : p->n) *
				    a->t[v][k].es;
			else
				n += p->cap * a->t[v][k].es;
		}
	return n;
}

int
agg_spill_due(const struct agg *a)
{
	return a->part[0] == NULL && agg_entries(a) >= AGG_SPILL;
}

static inline uint64_t
hash_key(const uint8_t *k, size_t len)
{
	uint64_t h = 0x9e3779b97f4a7c15ULL ^ len, w;

	while (len >= 8) {
		memcpy(&w, k, 8);
		h = (h ^ w) * 0xbf58476d1ce4e5b9ULL;
		h ^= h >> 31;
		k += 8;
		len -= 8;
	}
	if (len > 0) {
		w = 0;
		memcpy(&w, k, len);
		h = (h ^ w) * 0x94d049bb133111ebULL;
		h ^= h >> 29;
	}
	h *= 0xbf58476d1ce4e5b9ULL;
	h ^= h >> 32;
	return h;
}

static inline struct cnt *
slot_cnt(const struct atab *t, uint8_t *slot)
{
	return (struct cnt *)(void *)(slot + t->soff);
}

static inline size_t
tab_slot(const struct atab *t, uint64_t h)
{
	return (size_t)(((h ^ t->seed) * 0x9e3779b97f4a7c15ULL) >> t->shift);
}

/* Zeroed slot memory; large tables come from mmap with a huge-page hint
 * (a 768 MiB table in 4 KiB pages would miss the TLB on every probe). */
static uint8_t *
tab_alloc(size_t bytes, int *mapped)
{
	void *p;

	*mapped = 0;
	if (bytes < AGG_HUGE_MIN)
		return calloc(1, bytes);
	p = mmap(NULL, bytes, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return NULL;
#ifdef MADV_HUGEPAGE
	(void)madvise(p, bytes, MADV_HUGEPAGE);
#endif
	*mapped = 1;
	return p;
}

static int
tab_grow(struct atab *t)
{
	size_t ncap = t->cap ? t->cap * 2 : 256, i, j;
	unsigned nshift = t->cap ? t->shift - 1 : 64 - 8;
	uint8_t *ns, *s, *d;
	struct atab nt;
	int mapped;

	if (ncap > SIZE_MAX / t->es)
		return MM_ENOMEM;
	if ((ns = tab_alloc(ncap * t->es, &mapped)) == NULL)
		return MM_ENOMEM;
	nt = *t;
	nt.slots = ns;
	nt.cap = ncap;
	nt.shift = nshift;
	nt.mapped = mapped;
	for (i = 0; i < t->cap; i++) {
		s = t->slots + i * t->es;
		if (slot_cnt(t, s)->flows == 0)
			continue;
		j = tab_slot(&nt, hash_key(s, t->klen));
		for (;;) {
			d = ns + j * t->es;
			if (slot_cnt(t, d)->flows == 0)
				break;
			j = (j + 1) & (ncap - 1);
		}
		memcpy(d, s, t->es);
	}
	tab_release(t);
	*t = nt;
	return 0;
}

static inline int
key_eq(const uint8_t *a, const uint8_t *b, size_t len)
{
	uint32_t x4, y4;
	uint64_t x8, y8, x9, y9;

	switch (len) {
	case 4:
		memcpy(&x4, a, 4);
		memcpy(&y4, b, 4);
		return x4 == y4;
	case 8:
		memcpy(&x8, a, 8);
		memcpy(&y8, b, 8);
		return x8 == y8;
	case 16:
		memcpy(&x8, a, 8);
		memcpy(&y8, b, 8);
		memcpy(&x9, a + 8, 8);
		memcpy(&y9, b + 8, 8);
		return ((x8 ^ y8) | (x9 ^ y9)) == 0;
	default:
		return memcmp(a, b, len) == 0;
	}
}

/* Adds counters v to the group `key` of a table with room for it. */
static inline void
tab_put(struct atab *t, const uint8_t *key, uint64_t h, const struct cnt *v)
{
	size_t j;
	uint8_t *s;
	struct cnt *c;

	j = tab_slot(t, h);
	for (;;) {
		s = t->slots + j * t->es;
		c = slot_cnt(t, s);
		if (c->flows == 0) {
			memcpy(s, key, t->klen);
			*c = *v;
			t->n++;
			return;
		}
		if (key_eq(s, key, t->klen))
			break;
		j = (j + 1) & (t->cap - 1);
	}
	c->flows += v->flows;
	c->packets += v->packets;
	c->bytes += v->bytes;
	if (v->first < c->first)
		c->first = v->first;
	if (v->last > c->last)
		c->last = v->last;
}

static inline int
tab_add(struct atab *t, const uint8_t *key, uint64_t h, const struct cnt *v)
{
	if ((t->n + 1) * 4 > t->cap * 3 && tab_grow(t) != 0)
		return MM_ENOMEM;
	tab_put(t, key, h, v);
	return 0;
}

/*
 * Prefetches the slot of hash h (a slot may straddle two cache lines).
 * A macro, not a function: GCC's IPA pass takes a function whose only
 * effect is __builtin_prefetch for pure and deletes the calls.
 */
#define TAB_PREFETCH(t, h) do { \
	const struct atab *t_ = (t); \
	if (t_->cap != 0) { \
		const uint8_t *p_ = t_->slots + tab_slot(t_, (h)) * t_->es; \
		PREFETCH(p_); \
		PREFETCH(p_ + t_->es - 1); \
	} \
} while (0)

static const struct mm_addr *
addr_colp(const struct flow_block *b, int key)
{
	switch (key) {
	case AK_SRCIP: return b->src;
	case AK_DSTIP: return b->dst;
	case AK_EXPORTER: return b->exporter;
	default: return b->nexthop;
	}
}

/* Builds keys of rows idx[0..n) into kb (stride AGG_KMAX); v6[i] set when
 * row i needs the 16-byte form. `twin` uses the dst-side fields. */
static void
build_keys(const struct agg *a, const struct flow_block *b,
    const uint32_t *idx, size_t n, int twin, uint8_t *kb, uint8_t *v6)
{
	const struct agg_spec *sp = &a->spec;
	size_t i, j;

	memset(v6, 0, n);
	if (a->has_addr)
		for (j = 0; j < sp->nkeys; j++) {
			int key = twin ? key_twin(sp->keys[j]) : sp->keys[j];
			const struct mm_addr *col;

			if (!agg_key_is_addr(key))
				continue;
			col = addr_colp(b, key);
			for (i = 0; i < n; i++)
				v6[i] |= !addr_is_v4(&col[idx[i]]);
		}
	for (j = 0; j < sp->nkeys; j++) {
		int key = twin ? key_twin(sp->keys[j]) : sp->keys[j];
		size_t o4 = a->off[0][j], o16 = a->off[1][j];

		switch (key) {
		case AK_SRCIP: case AK_DSTIP: case AK_EXPORTER:
		case AK_NEXTHOP: {
			const struct mm_addr *col = addr_colp(b, key);
			unsigned m4 = sp->mask4[j], m6 = sp->mask6[j];
			uint32_t mask = m4 == 0 ? 0 :
			    (uint32_t)(0xffffffffu << (32 - m4));

			for (i = 0; i < n; i++) {
				uint8_t *d = kb + i * AGG_KMAX;

				if (!v6[i]) {
					uint32_t x = addr_v4(&col[idx[i]]) &
					    mask;

					memcpy(d + o4, &x, 4);
				} else {
					struct mm_addr t = col[idx[i]];

					if (addr_is_v4(&t) ? m4 < 32 :
					    m6 < 128)
						addr_mask(&t, addr_is_v4(&t) ?
						    96 + m4 : m6);
					memcpy(d + o16, t.b, 16);
				}
			}
			break;
		}
#define PUT(col, type) \
		for (i = 0; i < n; i++) { \
			type x = (col)[idx[i]]; \
			memcpy(kb + i * AGG_KMAX + (v6[i] ? o16 : o4), &x, \
			    sizeof(x)); \
		}
		case AK_SRCPORT: PUT(b->src_port, uint16_t); break;
		case AK_DSTPORT: PUT(b->dst_port, uint16_t); break;
		case AK_VLAN: PUT(b->vlan, uint16_t); break;
		case AK_PROTO: PUT(b->proto, uint8_t); break;
		case AK_TOS: PUT(b->tos, uint8_t); break;
		case AK_SRCAS: PUT(b->src_as, uint32_t); break;
		case AK_DSTAS: PUT(b->dst_as, uint32_t); break;
		case AK_INIF: PUT(b->in_if, uint32_t); break;
		case AK_OUTIF: PUT(b->out_if, uint32_t); break;
#undef PUT
		}
	}
}

/*
 * A batch of rows ready to insert: one packed entry per row (hash,
 * counters, family, key bytes), so that the insert loop, which visits the
 * entries grouped by shard and hence out of row order, touches one or two
 * cache lines per entry instead of one per column.
 */
struct kent {
	uint64_t	h;
	struct cnt	c;
	uint64_t	v6;
	/* key bytes follow (agg->stride) */
};

struct kbatch {
	uint8_t		*e;		/* n entries of kstride bytes */
	size_t		 kstride;
	size_t		 n;
};

#define KENT(kb, i)	((struct kent *)(void *)((kb)->e + (i) * (kb)->kstride))

struct agg_scratch {
	uint8_t		*e;
	size_t		 ecap;		/* bytes */
	uint32_t	*order;
	size_t		 ocap;		/* entries */
	uint32_t	*it;		/* compaction index table */
	size_t		 itcap;
};

static void
scratch_tt_release(struct agg_scratch *s)
{
	free(s->it);
	s->it = NULL;
	s->itcap = 0;
}

struct agg_scratch *
agg_scratch_new(void)
{
	return calloc(1, sizeof(struct agg_scratch));
}

void
agg_scratch_free(struct agg_scratch *s)
{
	if (s == NULL)
		return;
	free(s->e);
	free(s->order);
	scratch_tt_release(s);
	free(s);
}

/* Grows the scratch to `n` entries of `stride` bytes. */
static int
scratch_reserve(struct agg_scratch *s, size_t n, size_t stride)
{
	void *p;

	if (n * stride > s->ecap) {
		if ((p = realloc(s->e, n * stride)) == NULL)
			return MM_ENOMEM;
		s->e = p;
		s->ecap = n * stride;
	}
	if (n > s->ocap) {
		if ((p = realloc(s->order, n * sizeof(*s->order))) == NULL)
			return MM_ENOMEM;
		s->order = p;
		s->ocap = n;
	}
	return 0;
}


/*
 * Compacts entries [0, n) of a packed partition array in place: entry i
 * either joins an earlier group (counters added) or moves down to the next
 * output position (out <= i, so nothing unread is overwritten). Groups are
 * found through an index table of 32-bit positions (load <= 1/2, 8 bytes
 * per entry, in cache) instead of a table of slots, so the only large
 * memory traffic is the sequential pass over the array; the groups touched
 * are the first `out` entries, written just before. Returns the groups.
 * Inline with constant klen/es at the call sites below.
 */
static inline size_t
part_fold(uint8_t *e, size_t done, size_t n, size_t klen, size_t soff,
    size_t es, uint32_t *it, size_t cap)
{
	size_t mask = cap - 1, i, j, out;
	uint64_t hb[PART_RING];
	size_t c, r;

	/* [0, done) are distinct groups already: index them, no compare */
	for (i = 0; i < done; i += c) {
		c = done - i < PART_RING ? done - i : PART_RING;
		for (r = 0; r < c; r++) {
			if (i + r + PART_RING < n)
				PREFETCH(e + (i + r + PART_RING) * es);
			hb[r] = hash_key(e + (i + r) * es, klen);
		}
		for (r = 0; r < c; r++) {
			if (r + 8 < c)
				PREFETCH(&it[hb[r + 8] & mask]);
			j = (size_t)hb[r] & mask;
			while (it[j] != 0)
				j = (j + 1) & mask;
			it[j] = (uint32_t)(i + r + 1);
		}
	}
	out = done;
	for (i = done; i < n; i += c) {
		c = n - i < PART_RING ? n - i : PART_RING;
		for (r = 0; r < c; r++) {
			if (i + r + PART_RING < n)
				PREFETCH(e + (i + r + PART_RING) * es);
			hb[r] = hash_key(e + (i + r) * es, klen);
		}
		for (r = 0; r < c; r++) {
			uint8_t *x = e + (i + r) * es, *g;
			struct cnt *gc, xc;
			uint32_t pos;

			if (r + 8 < c)
				PREFETCH(&it[hb[r + 8] & mask]);
			/* the group of the tuple 4 ahead (its index slot
			 * was fetched 4 tuples ago); a guess, read-only */
			if (r + 4 < c && (pos = it[hb[r + 4] & mask]) != 0)
				PREFETCH(e + (size_t)(pos - 1) * es);
			j = (size_t)hb[r] & mask;
			for (;;) {
				if ((pos = it[j]) == 0) {
					if (out != i + r)
						memcpy(e + out * es, x, es);
					it[j] = (uint32_t)++out;
					break;
				}
				g = e + (size_t)(pos - 1) * es;
				if (key_eq(g, x, klen)) {
					gc = (struct cnt *)(void *)(g + soff);
					memcpy(&xc, x + soff, sizeof(xc));
					gc->flows += xc.flows;
					gc->packets += xc.packets;
					gc->bytes += xc.bytes;
					if (xc.first < gc->first)
						gc->first = xc.first;
					if (xc.last > gc->last)
						gc->last = xc.last;
					break;
				}
				j = (j + 1) & mask;
			}
		}
	}
	return out;
}

/*
 * Compacts partition p of family v (part_fold() with the scratch's index
 * table, 4 * 2..4 bytes per entry) and sets the next compaction point:
 * twice the groups, at least PART_MIN entries.
 */
static int
part_compact(const struct agg *a, struct agg_scratch *sc, int v,
    struct part *p)
{
	const struct atab *ft = &a->t[v][0];
	size_t cap = 64, out;
	uint32_t *it;

	if (p->n > p->peak)
		p->peak = p->n;
	if (p->n != p->done) {
		/* positions are 32-bit (2^32 entries: 192 GiB of IPv4 slots) */
		if (p->n >= UINT32_MAX)
			return MM_ENOMEM;
		while (cap < 2 * p->n)
			cap *= 2;
		if (cap > sc->itcap) {
			if ((it = realloc(sc->it, cap * sizeof(*it))) == NULL)
				return MM_ENOMEM;
			sc->it = it;
			sc->itcap = cap;
		}
		memset(sc->it, 0, cap * sizeof(*sc->it));
		if (ft->klen == 4 && ft->es == 48)
			out = part_fold(p->e, p->done, p->n, 4, 8, 48, sc->it,
			    cap);
		else if (ft->klen == 16 && ft->es == 56)
			out = part_fold(p->e, p->done, p->n, 16, 16, 56,
			    sc->it, cap);
		else
			out = part_fold(p->e, p->done, p->n, ft->klen,
			    ft->soff, ft->es, sc->it, cap);
		p->n = out;
		p->done = out;
	}
	p->lim = p->n + p->n / 2 > PART_MIN ? p->n + p->n / 2 : PART_MIN;
	return 0;
}

/*
 * Gives partition p room for ncap entries of es bytes. Small partitions
 * are malloc'd; from PART_MAPMIN bytes on, a partition reserves PART_VMAX
 * bytes of address space (MAP_NORESERVE) and grows in place, page by page
 * as it is written: no copy on growth and no heap fragmentation, so the
 * resident memory is the entries' bytes rounded up to a page. If the
 * reservation fails, or is outgrown, it falls back to copying.
 */
static int
part_grow(struct part *p, size_t ncap, size_t es)
{
	size_t bytes = ncap * es, vb;
	uint8_t *d;
	void *m;

	if (ncap > SIZE_MAX / es)
		return MM_ENOMEM;
	if (p->vbytes >= bytes) {
		p->cap = p->vbytes / es;
		return 0;
	}
	if (bytes >= PART_MAPMIN) {
		vb = bytes > PART_VMAX / 2 ? 2 * bytes : PART_VMAX;
		m = mmap(NULL, vb, PROT_READ | PROT_WRITE, MAP_PRIVATE |
		    MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
		if (m != MAP_FAILED) {
			if (p->n > 0)
				memcpy(m, p->e, p->n * es);
			part_release(p);
			p->e = m;
			p->vbytes = vb;
			p->cap = vb / es;
			return 0;
		}
	}
	if (p->vbytes > 0) {
		/* outgrown reservation and no new one: copy to the heap */
		if ((d = malloc(bytes)) == NULL)
			return MM_ENOMEM;
		memcpy(d, p->e, p->n * es);
		munmap(p->e, p->vbytes);
		p->vbytes = 0;
	} else if ((d = realloc(p->e, bytes)) == NULL)
		return MM_ENOMEM;
	p->e = d;
	p->cap = ncap;
	return 0;
}

/* Appends one tuple (key, counters) to partition p of family v, compacting
 * the partition first when it is due. */
static inline int
part_put(const struct agg *a, struct agg_scratch *sc, int v, struct part *p,
    const uint8_t *key, const struct cnt *c)
{
	const struct atab *ft = &a->t[v][0];
	uint8_t *d;
	size_t ncap;
	int rc;

	if (p->n >= p->lim && (rc = part_compact(a, sc, v, p)) != 0)
		return rc;
	if (p->n >= p->cap) {
		ncap = p->lim > p->n ? p->lim : 2 * p->n;
		if ((rc = part_grow(p, ncap, ft->es)) != 0)
			return rc;
	}
	d = p->e + p->n * ft->es;
	/* the appends of a run are sequential: fetch the lines to write a
	 * few entries ahead (the tail of a partition is not in cache) */
	if (p->n + PART_WAHEAD < p->cap)
		PREFETCHW(d + PART_WAHEAD * ft->es);
	if (ft->klen == 4 && ft->soff == 8) {
		memcpy(d, key, 4);
		memset(d + 4, 0, 4);
		memcpy(d + 8, c, sizeof(*c));
	} else if (ft->klen == 16 && ft->soff == 16) {
		memcpy(d, key, 16);
		memcpy(d + 16, c, sizeof(*c));
	} else {
		memcpy(d, key, ft->klen);
		if (ft->soff > ft->klen)
			memset(d + ft->klen, 0, ft->soff - ft->klen);
		memcpy(d + ft->soff, c, sizeof(*c));
	}
	p->n++;
	return 0;
}

/* Compacts every partition with pending tuples (a shared aggregation no
 * other thread is adding to). */
static int
agg_settle(struct agg *a)
{
	struct agg_scratch sc;
	size_t v, k;
	int rc = 0;

	if (a->part[0] == NULL)
		return 0;
	memset(&sc, 0, sizeof(sc));
	for (k = 0; k < a->nshards && rc == 0; k++)
		for (v = 0; v < 2 && rc == 0; v++)
			if (a->part[v][k].n != a->part[v][k].done)
				rc = part_compact(a, &sc, (int)v,
				    &a->part[v][k]);
	scratch_tt_release(&sc);
	return rc;
}

struct settle_job {
	struct agg	*a;
	atomic_size_t	 next;
	atomic_int	 rc;
};

static void *
settle_main(void *arg)
{
	struct settle_job *j = arg;
	struct agg *a = j->a;
	struct agg_scratch sc;
	size_t v, k;
	int rc = 0;

	memset(&sc, 0, sizeof(sc));
	while (rc == 0 && (k = atomic_fetch_add(&j->next, 1)) < a->nshards)
		for (v = 0; v < 2 && rc == 0; v++)
			if (a->part[v][k].n != a->part[v][k].done)
				rc = part_compact(a, &sc, (int)v,
				    &a->part[v][k]);
	scratch_tt_release(&sc);
	if (rc != 0)
		atomic_store(&j->rc, rc);
	return NULL;
}

int
agg_finish(struct agg *a, int nthreads)
{
	struct settle_job j;
	pthread_t tid[AGG_FINISH_MAXTHREADS];
	int i, started = 0;

	if (a == NULL || a->part[0] == NULL)
		return 0;
	if (nthreads > AGG_FINISH_MAXTHREADS)
		nthreads = AGG_FINISH_MAXTHREADS;
	j.a = a;
	atomic_init(&j.next, 0);
	atomic_init(&j.rc, 0);
	for (i = 1; i < nthreads; i++) {
		if (pthread_create(&tid[started], NULL, settle_main, &j) != 0)
			break;
		started++;
	}
	settle_main(&j);
	for (i = 0; i < started; i++)
		pthread_join(tid[i], NULL);
	return atomic_load(&j.rc);
}

/* Appends entries order[0..n) of the batch to the partitions k of both
 * families (locked by the caller). */
static int
part_insert(struct agg *a, struct agg_scratch *sc, const struct kbatch *kb,
    const uint32_t *order, size_t n, size_t k)
{
	const struct kent *x;
	size_t i;
	int rc;

	for (i = 0; i < n; i++) {
		if (i + AGG_AHEAD < n)
			PREFETCH(KENT(kb, order[i + AGG_AHEAD]));
		x = KENT(kb, order[i]);
		if ((rc = part_put(a, sc, (int)x->v6, &a->part[x->v6][k],
		    (const uint8_t *)(x + 1), &x->c)) != 0)
			return rc;
	}
	return 0;
}

static int
kbatch_fill(struct agg *a, struct kbatch *kb, struct agg_scratch *sc,
    const struct flow_block *b, const uint32_t *idx, size_t n)
{
	size_t need = a->spec.either ? 2 * n : n, i, c, done, pass;
	uint8_t tmp[AGG_BATCH * AGG_KMAX], v6[AGG_BATCH];

	kb->kstride = sizeof(struct kent) + a->stride;
	if (scratch_reserve(sc, need, kb->kstride) != 0)
		return MM_ENOMEM;
	kb->e = sc->e;
	kb->n = 0;
	for (pass = 0; pass < (a->spec.either ? 2u : 1u); pass++)
		for (done = 0; done < n; done += c) {
			c = n - done < AGG_BATCH ? n - done : AGG_BATCH;
			build_keys(a, b, idx + done, c, (int)pass, tmp, v6);
			for (i = 0; i < c; i++) {
				struct kent *k = KENT(kb, kb->n + i);
				uint8_t *key = (uint8_t *)(k + 1);
				size_t kl = a->t[v6[i]][0].klen;
				uint32_t r = idx[done + i];

				memcpy(key, tmp + i * AGG_KMAX, kl);
				k->h = hash_key(key, kl);
				k->v6 = v6[i];
				k->c.flows = 1;
				k->c.packets = b->packets[r];
				k->c.bytes = b->bytes[r];
				k->c.first = b->first[r];
				k->c.last = b->last[r];
			}
			kb->n += c;
		}
	return 0;
}

/* Inserts entries order[0..n) of the batch into shard k (locked by the
 * caller when shared), prefetching table slots a few entries ahead and the
 * entries themselves further ahead. */
static int
kbatch_insert(struct agg *a, const struct kbatch *kb, const uint32_t *order,
    size_t n, size_t k)
{
	const struct kent *x;
	size_t i;
	int rc;

	for (i = 0; i < n && i < 2 * AGG_AHEAD; i++)
		PREFETCH(KENT(kb, order[i]));
	for (i = 0; i < n && i < AGG_AHEAD; i++) {
		x = KENT(kb, order[i]);
		TAB_PREFETCH(&a->t[x->v6][k], x->h);
	}
	for (i = 0; i < n; i++) {
		if (i + 2 * AGG_AHEAD < n)
			PREFETCH(KENT(kb, order[i + 2 * AGG_AHEAD]));
		if (i + AGG_AHEAD < n) {
			x = KENT(kb, order[i + AGG_AHEAD]);
			TAB_PREFETCH(&a->t[x->v6][k], x->h);
		}
		x = KENT(kb, order[i]);
		if ((rc = tab_add(&a->t[x->v6][k], (const uint8_t *)(x + 1),
		    x->h, &x->c)) != 0)
			return rc;
	}
	return 0;
}

static inline size_t
shard_of(const struct agg *a, uint64_t h)
{
	return a->nshards > 1 ? (size_t)(h >> (64 - AGG_SHARD_BITS)) : 0;
}

/* Counting sort of entries by shard: order[] grouped, start[k]..start[k+1]
 * the entries of shard k. `h(i)` is read through `get`. */
static void
by_shard(const struct agg *a, const uint64_t *h, size_t hstride, size_t n,
    uint32_t *order, size_t *start)
{
	size_t k, i, pos[AGG_SHARDS + 1];

	memset(start, 0, (AGG_SHARDS + 1) * sizeof(*start));
	for (i = 0; i < n; i++)
		start[shard_of(a, h[i * hstride]) + 1]++;
	for (k = 0; k < AGG_SHARDS; k++)
		start[k + 1] += start[k];
	memcpy(pos, start, sizeof(pos));
	for (i = 0; i < n; i++)
		order[pos[shard_of(a, h[i * hstride])]++] = (uint32_t)i;
}

int
agg_add_with(struct agg *a, struct agg_scratch *sc,
    const struct flow_block *b, const uint32_t *idx, size_t n)
{
	struct agg_scratch tmp;
	struct kbatch kb;
	uint32_t *order, later[AGG_SHARDS];
	size_t start[AGG_SHARDS + 1], k, i, first, nlater = 0;
	int rc;

	if (n == 0)
		return 0;
	if (sc == NULL) {
		memset(&tmp, 0, sizeof(tmp));
		sc = &tmp;
	}
	/* shared: a block in chunks whose entries stay in cache between
	 * building and appending (a lock per partition per chunk) */
	if (a->nshards > 1 && n > AGG_CHUNK) {
		for (i = 0, rc = 0; i < n && rc == 0; i += AGG_CHUNK)
			rc = agg_add_with(a, sc, b, idx + i,
			    n - i < AGG_CHUNK ? n - i : AGG_CHUNK);
		goto out;
	}
	memset(&kb, 0, sizeof(kb));
	if ((rc = kbatch_fill(a, &kb, sc, b, idx, n)) != 0)
		goto out;
	order = sc->order;
	if (a->nshards == 1) {
		for (i = 0; i < kb.n; i++)
			order[i] = (uint32_t)i;
		rc = kbatch_insert(a, &kb, order, kb.n, 0);
		goto out;
	}
	by_shard(a, &KENT(&kb, 0)->h, kb.kstride / sizeof(uint64_t), kb.n,
	    order, start);
	/* start at a pseudo-random shard so that threads do not walk the
	 * shards in lock step, queueing on the same lock */
	first = (size_t)(KENT(&kb, 0)->h % a->nshards);
	for (i = 0; i < a->nshards && rc == 0; i++) {
		k = (first + i) % a->nshards;
		if (start[k] == start[k + 1])
			continue;
		/* a partition another thread holds (compacting) comes last */
		if (pthread_mutex_trylock(&a->mu[k]) != 0) {
			later[nlater++] = (uint32_t)k;
			continue;
		}
		rc = part_insert(a, sc, &kb, order + start[k],
		    start[k + 1] - start[k], k);
		pthread_mutex_unlock(&a->mu[k]);
	}
	for (i = 0; i < nlater && rc == 0; i++) {
		k = later[i];
		pthread_mutex_lock(&a->mu[k]);
		rc = part_insert(a, sc, &kb, order + start[k],
		    start[k + 1] - start[k], k);
		pthread_mutex_unlock(&a->mu[k]);
	}
out:
	if (sc == &tmp) {
		free(tmp.e);
		free(tmp.order);
		scratch_tt_release(&tmp);
	}
	return rc;
}

int
agg_add(struct agg *a, const struct flow_block *b, const uint32_t *idx,
    size_t n)
{
	return agg_add_with(a, NULL, b, idx, n);
}

int
agg_merge(struct agg *dst, struct agg *src)
{
	const uint8_t **ent = NULL;
	uint64_t *h = NULL;
	uint32_t *order = NULL;
	struct agg_scratch sc;
	size_t start[AGG_SHARDS + 1], n = agg_entries(src), m = 0, v, k, i, j;
	int rc = 0;

	memset(&sc, 0, sizeof(sc));
	if (n == 0)
		return 0;
	ent = malloc(n * sizeof(*ent));
	h = malloc(n * sizeof(*h));
	order = malloc(n * sizeof(*order));
	if (ent == NULL || h == NULL || order == NULL) {
		rc = MM_ENOMEM;
		goto out;
	}
	for (v = 0; v < 2; v++) {
		/* entries of one family, gathered from every shard of src */
		m = 0;
		for (k = 0; k < src->nshards; k++) {
			const struct atab *s = &src->t[v][k];

			/* a shared source: its entries (duplicates merge) */
			if (src->part[v] != NULL) {
				const struct part *p = &src->part[v][k];

				for (i = 0; i < p->n; i++) {
					ent[m] = p->e + i * s->es;
					h[m] = hash_key(ent[m], s->klen);
					m++;
				}
				continue;
			}
			for (i = 0; i < s->cap; i++) {
				const uint8_t *e = s->slots + i * s->es;

				if (slot_cnt(s, (uint8_t *)(uintptr_t)e)->flows
				    == 0)
					continue;
				ent[m] = e;
				h[m] = hash_key(e, s->klen);
				m++;
			}
		}
		if (dst->nshards > 1)
			by_shard(dst, h, 1, m, order, start);
		else {
			for (i = 0; i < m; i++)
				order[i] = (uint32_t)i;
			start[0] = 0;
			start[1] = m;
		}
		for (k = 0; k < dst->nshards && rc == 0; k++) {
			struct atab *d = &dst->t[v][k];

			if (start[k] == start[k + 1])
				continue;
			if (dst->mu != NULL)
				pthread_mutex_lock(&dst->mu[k]);
			for (j = start[k]; j < start[k + 1]; j++) {
				const uint8_t *e = ent[order[j]];
				struct cnt c;

				if (j + AGG_AHEAD < start[k + 1])
					TAB_PREFETCH(d,
					    h[order[j + AGG_AHEAD]]);
				memcpy(&c, e + d->soff, sizeof(c));
				if (dst->part[v] != NULL)
					rc = part_put(dst, &sc, (int)v,
					    &dst->part[v][k], e, &c);
				else
					rc = tab_add(d, e, h[order[j]], &c);
				if (rc != 0)
					break;
			}
			if (dst->mu != NULL)
				pthread_mutex_unlock(&dst->mu[k]);
		}
		if (rc != 0)
			goto out;
	}
	for (v = 0; v < 2; v++)
		for (k = 0; k < src->nshards; k++) {
			tab_release(&src->t[v][k]);
			if (src->part[v] != NULL) {
				part_release(&src->part[v][k]);
				memset(&src->part[v][k], 0,
				    sizeof(src->part[v][k]));
			}
		}
out:
	scratch_tt_release(&sc);
	free(ent);
	free(h);
	free(order);
	return rc;
}

uint64_t
agg_row_value(const struct agg_row *r, int order)
{
	mtime_t d = r->last > r->first ? r->last - r->first : 0;

	switch (order) {
	case AO_FLOWS: return r->flows;
	case AO_PACKETS: return r->packets;
	case AO_BYTES: return r->bytes;
	case AO_BPS:
		return d > 0 ? (uint64_t)((double)r->bytes * 8000.0 /
		    (double)d) : 0;
	case AO_PPS:
		return d > 0 ? (uint64_t)((double)r->packets * 1000.0 /
		    (double)d) : 0;
	case AO_BPP:
		return r->packets ? r->bytes / r->packets : 0;
	default: return 0;
	}
}

/* 1 if x ranks before (is better than) y. */
static int
row_better(const struct agg *a, int order, const struct agg_row *x,
    const struct agg_row *y)
{
	uint64_t vx = agg_row_value(x, order), vy = agg_row_value(y, order);
	int c;

	if (vx != vy)
		return vx > vy;
	if (x->v6 != y->v6)
		return x->v6 < y->v6;
	c = memcmp(x->ent, y->ent, a->t[x->v6][0].klen);
	return c < 0;
}

static void
heap_down(const struct agg *a, int order, struct agg_row *h, size_t n,
    size_t i)
{
	for (;;) {
		size_t l = 2 * i + 1, r = l + 1, m = i;
		struct agg_row t;

		/* min-heap: the worst row at the root */
		if (l < n && row_better(a, order, &h[m], &h[l]))
			m = l;
		if (r < n && row_better(a, order, &h[m], &h[r]))
			m = r;
		if (m == i)
			return;
		t = h[i];
		h[i] = h[m];
		h[m] = t;
		i = m;
	}
}

static void
heap_up(const struct agg *a, int order, struct agg_row *h, size_t i)
{
	while (i > 0) {
		size_t p = (i - 1) / 2;
		struct agg_row t;

		if (!row_better(a, order, &h[p], &h[i]))
			return;
		t = h[i];
		h[i] = h[p];
		h[p] = t;
		i = p;
	}
}

int
agg_top(const struct agg *a, int order, size_t n, struct agg_row **rows,
    size_t *nrows)
{
	struct agg_row *h, r, t;
	size_t cnt = 0, total, v, i, k, s, ns;
	int rc;

	*rows = NULL;
	*nrows = 0;
	/* logically const: settling only compacts pending tuples */
	if ((rc = agg_settle((struct agg *)(uintptr_t)a)) != 0)
		return rc;
	total = agg_entries(a);
	if (n == 0 || n > total)
		n = total;
	if (n == 0)
		return 0;
	if ((h = calloc(n, sizeof(*h))) == NULL)
		return MM_ENOMEM;
	for (v = 0; v < 2; v++)
	    for (s = 0; s < a->nshards; s++) {
		const struct atab *tb = &a->t[v][s];
		const struct part *p = a->part[v] != NULL ?
		    &a->part[v][s] : NULL;

		ns = p != NULL ? p->n : tb->cap;
		for (i = 0; i < ns; i++) {
			uint8_t *e = (p != NULL ? p->e : tb->slots) +
			    i * tb->es;
			const struct cnt *c = slot_cnt(tb, e);

			if (c->flows == 0)
				continue;
			r.ent = e;
			r.v6 = (int)v;
			r.flows = c->flows;
			r.packets = c->packets;
			r.bytes = c->bytes;
			r.first = c->first;
			r.last = c->last;
			if (cnt < n) {
				h[cnt] = r;
				heap_up(a, order, h, cnt);
				cnt++;
			} else if (row_better(a, order, &r, &h[0])) {
				h[0] = r;
				heap_down(a, order, h, n, 0);
			}
		}
	}
	/* heap sort: pop the worst to the end */
	for (k = cnt; k > 1; k--) {
		t = h[0];
		h[0] = h[k - 1];
		h[k - 1] = t;
		heap_down(a, order, h, k - 1, 0);
	}
	*rows = h;
	*nrows = cnt;
	return 0;
}

int
agg_row_key(const struct agg *a, const struct agg_row *r, size_t j,
    struct mm_addr *addr, uint64_t *v)
{
	const uint8_t *p = r->ent + a->off[r->v6][j];
	int key = a->spec.keys[j];
	uint16_t x16;
	uint32_t x32;

	*v = 0;
	if (agg_key_is_addr(key)) {
		if (r->v6)
			memcpy(addr->b, p, 16);
		else {
			memcpy(&x32, p, 4);
			addr_from_v4(addr, x32);
		}
		return 1;
	}
	switch (key_width[key]) {
	case 1:
		*v = p[0];
		break;
	case 2:
		memcpy(&x16, p, 2);
		*v = x16;
		break;
	default:
		memcpy(&x32, p, 4);
		*v = x32;
		break;
	}
	return 0;
}
