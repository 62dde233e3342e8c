/*
 * intel.c - the intel store: interned strings, feed indicators and allowlist
 * entries, their indexes, lookups and the load dispatcher.
 *
 * Layout. Every distinct address/prefix is a key (struct ikey); the feed
 * indicators for a key form a singly linked list of struct ient through
 * array indexes (capped at INTEL_MAX_PER_KEY per key, so a lookup walks a
 * bounded list). Host keys (/32, /128: most feed entries) are found through
 * an open-addressing hash of uint32 key indexes (linear probing, load factor
 * <= 1/2, seeded per instance); prefix keys sit in a core/lpm.h trie whose
 * values are key indexes + 1. Each prefix key also records its parent, the
 * longest strictly shorter prefix key covering it, so that after one LPM walk
 * all covering prefixes are reached without further searches. Parents are
 * recomputed at the end of each load: O(P * L) for P prefix keys and L
 * distinct prefix lengths in use (both small in practice).
 *
 * Negative filters sit in front of the hash and the trie once an index holds
 * FILTER_MIN keys: one bitmap bit per IPv4 /24 (2 MiB) and per hashed IPv6
 * /32 (128 KiB), for hosts and prefixes apart. Most looked-up servers are in
 * no feed, and such a miss then costs one or two bitmap loads instead of a
 * probe chain and a trie walk. Measured (gcc -O2, one core, CPU time): 1.02 M
 * entries load at ~2.2 M lines/s; random IPv4 misses ~120 ns (bitmaps out of
 * cache), listed hosts ~400 ns; with 21 k entries 15 ns and 46 ns.
 *
 * The allowlist is the same structure with a category per key and no list,
 * plus a hash of AS numbers.
 *
 * Strings (tags, source names, categories) are interned in one pool and
 * referred to by offset; the pool only grows, so pointers handed out by
 * lookups are computed at lookup time from the final pool and stay valid
 * while the object lives and no load runs.
 *
 * Memory: about 24 bytes per indicator, 32 per distinct key plus 16 per host
 * key in hash slots (load factor 1/4..1/2), the tag pool, and 4.25 MiB of
 * filters per index once built.
 */
#include <sys/stat.h>

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/addr.h"
#include "core/err.h"
#include "core/lpm.h"
#include "core/mtime.h"
#include "c2/intel.h"
#include "c2/intel_int.h"

#define NONE	UINT32_MAX

struct ient {
	uint32_t	next;	/* next entry of the same key, or NONE */
	uint32_t	tag;	/* pool offset */
	uint32_t	src;	/* pool offset */
	uint16_t	port;
	uint8_t		conf;
	int64_t		until;
};

struct ikey {
	struct mm_prefix p;
	uint16_t	n;	/* entries in the list (feed) */
	uint32_t	head;	/* first entry (feed) or category (allowlist) */
	uint32_t	parent;	/* covering shorter prefix key, or NONE */
};

/*
 * Open-addressing set of item indexes. A slot holds a 32-bit hash tag in its
 * high half and item index + 1 in its low half (0 = empty): the tag both
 * places the slot (tag & mask; tables stay below 2^31 slots) and rejects most
 * mismatches without touching the item, so growing needs no rehash and a
 * probe costs one cache line until the tag matches.
 */
struct khash {
	uint64_t	*slot;
	size_t		 mask;	/* size - 1; size is a power of two */
	size_t		 used;
};

#define F4_BITS	(1u << 24)	/* one bit per IPv4 /24 */
#define F6_BITS	(1u << 20)	/* one bit per hash of an IPv6 /32 */
#define FILTER_MIN 256		/* keys before the filters pay off */

/* One index: keys, host hash, prefix trie. */
struct kindex {
	struct ikey	*keys;
	size_t		 nkeys, capkeys;
	struct khash	 hosts;
	struct lpm	*lpm;
	uint8_t		 lens[129];	/* prefix lengths in use */
	/* negative filters in front of the host hash ([0]) and the trie
	 * ([1]): a clear bit means no such key covers any address of that
	 * /24 (IPv4) or hashed /32 (IPv6) */
	uint8_t		*f4[2], *f6[2];
	int		 f6_all;	/* an IPv6 prefix shorter than /32 */
	int		 filtered;	/* filters built (FILTER_MIN keys) */
	int		 dirty;		/* prefix keys added since parents */
};

struct asent {
	uint32_t	asn;	/* 0 = empty */
	uint32_t	cat;
};

struct intel {
	struct intel_opts opts;
	uint64_t	 seed;

	char		*pool;
	size_t		 npool, cappool;
	struct khash	 strs;	/* pool offsets + 1 of interned strings */

	struct kindex	 feed;
	struct ient	*ents;
	size_t		 nents, capents;

	struct kindex	 allow;
	struct asent	*as;
	size_t		 asmask, asused;
};

/* ------------------------------------------------------------------ */
/* hashing */

static uint64_t
mix64(uint64_t x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdULL;
	x ^= x >> 33;
	x *= 0xc4ceb9fe1a85ec53ULL;
	x ^= x >> 33;
	return x;
}

static uint64_t
addr_hash(const struct intel *in, const struct mm_addr *a)
{
	uint64_t h, l;

	memcpy(&h, a->b, 8);
	memcpy(&l, a->b + 8, 8);
	return mix64(h ^ in->seed) ^ mix64(l + in->seed * 3);
}

static uint64_t
str_hash(const struct intel *in, const char *s, size_t n)
{
	uint64_t h = 1469598103934665603ULL ^ in->seed;
	size_t i;

	for (i = 0; i < n; i++) {
		h ^= (uint8_t)s[i];
		h *= 1099511628211ULL;
	}
	return mix64(h);
}

static uint32_t
hash_tag(uint64_t h)
{
	return (uint32_t)(h ^ (h >> 32));
}

/* Grows `h` so that one more item keeps the load factor <= 1/2. */
static int
khash_grow(struct khash *h)
{
	uint64_t *ns;
	size_t nsize, i, j;

	if (h->slot != NULL && (h->used + 1) * 2 <= h->mask + 1)
		return 0;
	nsize = h->slot == NULL ? 64 : (h->mask + 1) * 2;
	if (nsize > SIZE_MAX / sizeof(*ns) || nsize > (size_t)1 << 31)
		return MM_ENOMEM;
	if ((ns = calloc(nsize, sizeof(*ns))) == NULL)
		return MM_ENOMEM;
	if (h->slot != NULL) {
		for (i = 0; i <= h->mask; i++) {
			if (h->slot[i] == 0)
				continue;
			j = (h->slot[i] >> 32) & (nsize - 1);
			while (ns[j] != 0)
				j = (j + 1) & (nsize - 1);
			ns[j] = h->slot[i];
		}
	}
	free(h->slot);
	h->slot = ns;
	h->mask = nsize - 1;
	return 0;
}

/* Inserts item `idx` under `tag`; khash_grow() must have made room. */
static void
khash_put(struct khash *h, uint32_t tag, uint32_t idx)
{
	size_t i;

	for (i = tag & h->mask; h->slot[i] != 0; i = (i + 1) & h->mask)
		;
	h->slot[i] = ((uint64_t)tag << 32) | ((uint64_t)idx + 1);
	h->used++;
}

/* ------------------------------------------------------------------ */
/* string pool */

/* Interns s[0..n) (cut at INTEL_TAG_MAX, NULs replaced); *off receives the
 * pool offset. Returns 0 or MM_ENOMEM. */
static int
pool_intern(struct intel *in, const char *s, size_t n, uint32_t *off)
{
	uint32_t tag;
	size_t i, need, ncap;
	char *np;
	int rc;

	if (n > INTEL_TAG_MAX)
		n = INTEL_TAG_MAX;
	if (memchr(s, '\0', n) != NULL)
		n = strlen(s);
	tag = hash_tag(str_hash(in, s, n));
	if (in->strs.slot != NULL) {
		for (i = tag & in->strs.mask; in->strs.slot[i] != 0;
		    i = (i + 1) & in->strs.mask) {
			const char *t;

			if ((uint32_t)(in->strs.slot[i] >> 32) != tag)
				continue;
			t = in->pool + (uint32_t)in->strs.slot[i] - 1;
			if (strncmp(t, s, n) == 0 && t[n] == '\0') {
				*off = (uint32_t)in->strs.slot[i] - 1;
				return 0;
			}
		}
	}
	if ((rc = khash_grow(&in->strs)) != 0)
		return rc;
	need = in->npool + n + 1;
	if (need >= UINT32_MAX - 1)
		return MM_ENOMEM;
	if (need > in->cappool) {
		ncap = in->cappool ? in->cappool : 4096;
		while (ncap < need)
			ncap *= 2;
		if ((np = realloc(in->pool, ncap)) == NULL)
			return MM_ENOMEM;
		in->pool = np;
		in->cappool = ncap;
	}
	memcpy(in->pool + in->npool, s, n);
	in->pool[in->npool + n] = '\0';
	*off = (uint32_t)in->npool;
	in->npool = need;
	khash_put(&in->strs, tag, *off);
	return 0;
}

/* ------------------------------------------------------------------ */
/* key indexes */

static int
kindex_init(struct kindex *ix)
{
	memset(ix, 0, sizeof(*ix));
	if ((ix->lpm = lpm_new()) == NULL)
		return MM_ENOMEM;
	return 0;
}

static void
kindex_free(struct kindex *ix)
{
	free(ix->keys);
	free(ix->hosts.slot);
	lpm_free(ix->lpm);
	free(ix->f4[0]);
	free(ix->f4[1]);
	free(ix->f6[0]);
	free(ix->f6[1]);
	memset(ix, 0, sizeof(*ix));
}

static uint32_t
f6_index(const struct mm_addr *a)
{
	uint32_t v;

	memcpy(&v, a->b, 4);
	return (uint32_t)(mix64(v) & (F6_BITS - 1));
}

/* 0 when no host key (w 0) or prefix key (w 1) of `ix` can cover `a`: the
 * common miss costs one bitmap load. */
static int
filter_maybe(const struct kindex *ix, int w, const struct mm_addr *a)
{
	const uint8_t *f;
	uint32_t i;

	if (!ix->filtered)
		return w == 0 ? ix->hosts.used > 0 : ix->nkeys > ix->hosts.used;
	if (addr_is_v4(a)) {
		if ((f = ix->f4[w]) == NULL)
			return 0;
		i = addr_v4(a) >> 8;
		return (f[i >> 3] >> (i & 7)) & 1;
	}
	if (w == 1 && ix->f6_all)
		return 1;
	if ((f = ix->f6[w]) == NULL)
		return 0;
	i = f6_index(a);
	return (f[i >> 3] >> (i & 7)) & 1;
}

/* Marks the filter bits of key `p`. O(2^(24 - len)) bits, bytes at a time,
 * for IPv4 prefixes shorter than /24. */
static int
filter_add(struct kindex *ix, const struct mm_prefix *p)
{
	struct mm_addr m;
	uint32_t first, n, i;
	int w = p->len < 128;

	if (p->len < 96) {
		/* an IPv6 prefix can cover the IPv4-mapped space */
		addr_from_v4(&m, 0);
		if (prefix_contains(p, &m)) {
			if (ix->f4[1] == NULL &&
			    (ix->f4[1] = malloc(F4_BITS / 8)) == NULL)
				return MM_ENOMEM;
			memset(ix->f4[1], 0xff, F4_BITS / 8);
		}
	}
	if (addr_is_v4(&p->addr) && p->len >= 96) {
		if (ix->f4[w] == NULL &&
		    (ix->f4[w] = calloc(1, F4_BITS / 8)) == NULL)
			return MM_ENOMEM;
		first = addr_v4(&p->addr) >> 8;
		n = p->len >= 120 ? 1 : 1u << (120 - p->len);
		if (n >= 8)
			memset(ix->f4[w] + (first >> 3), 0xff, n / 8);
		else
			for (i = first; i < first + n; i++)
				ix->f4[w][i >> 3] |= (uint8_t)(1u << (i & 7));
		return 0;
	}
	if (p->len < 32) {
		ix->f6_all = 1;
		return 0;
	}
	if (ix->f6[w] == NULL && (ix->f6[w] = calloc(1, F6_BITS / 8)) == NULL)
		return MM_ENOMEM;
	i = f6_index(&p->addr);
	ix->f6[w][i >> 3] |= (uint8_t)(1u << (i & 7));
	return 0;
}

/* Builds the filters once an index reaches FILTER_MIN keys (small tables
 * stay in cache without them and save up to 4.25 MiB of bitmaps). On
 * allocation failure the index simply stays unfiltered. */
static void
filter_build(struct kindex *ix)
{
	size_t i;

	ix->filtered = 1;
	for (i = 0; i < ix->nkeys; i++) {
		if (filter_add(ix, &ix->keys[i].p) != 0) {
			for (i = 0; i < 2; i++) {
				free(ix->f4[i]);
				free(ix->f6[i]);
				ix->f4[i] = ix->f6[i] = NULL;
			}
			ix->f6_all = 0;
			ix->filtered = 0;
			return;
		}
	}
}

/* Host key index for `a`, or NONE. */
static uint32_t
kindex_host(const struct intel *in, const struct kindex *ix,
    const struct mm_addr *a)
{
	size_t i;
	uint32_t k, tag;

	if (ix->hosts.slot == NULL)
		return NONE;
	tag = hash_tag(addr_hash(in, a));
	for (i = tag & ix->hosts.mask; ix->hosts.slot[i] != 0;
	    i = (i + 1) & ix->hosts.mask) {
		if ((uint32_t)(ix->hosts.slot[i] >> 32) != tag)
			continue;
		k = (uint32_t)ix->hosts.slot[i] - 1;
		if (memcmp(ix->keys[k].p.addr.b, a->b, 16) == 0)
			return k;
	}
	return NONE;
}

/* Finds or creates the key for `p`; *created tells which. */
static int
kindex_key(struct intel *in, struct kindex *ix, const struct mm_prefix *p,
    uint32_t *key, int *created)
{
	struct ikey *nk;
	void *v;
	size_t ncap;
	uint32_t k;
	int rc;

	*created = 0;
	if (p->len == 128) {
		if ((k = kindex_host(in, ix, &p->addr)) != NONE) {
			*key = k;
			return 0;
		}
	} else if ((v = lpm_get(ix->lpm, p)) != NULL) {
		*key = (uint32_t)((uintptr_t)v - 1);
		return 0;
	}
	if (ix->nkeys >= NONE - 1)
		return MM_ENOMEM;
	if (ix->nkeys == ix->capkeys) {
		ncap = ix->capkeys ? ix->capkeys * 2 : 256;
		if (ncap > SIZE_MAX / sizeof(*nk))
			return MM_ENOMEM;
		if ((nk = realloc(ix->keys, ncap * sizeof(*nk))) == NULL)
			return MM_ENOMEM;
		ix->keys = nk;
		ix->capkeys = ncap;
	}
	k = (uint32_t)ix->nkeys;
	memset(&ix->keys[k], 0, sizeof(ix->keys[k]));
	ix->keys[k].p = *p;
	ix->keys[k].head = NONE;
	ix->keys[k].parent = NONE;
	if (ix->filtered && (rc = filter_add(ix, p)) != 0)
		return rc;
	if (p->len == 128) {
		if ((rc = khash_grow(&ix->hosts)) != 0)
			return rc;
		ix->nkeys++;
		khash_put(&ix->hosts, hash_tag(addr_hash(in, &p->addr)), k);
	} else {
		if ((rc = lpm_insert(ix->lpm, p, (void *)((uintptr_t)k + 1)))
		    != 0)
			return rc;
		ix->nkeys++;
		ix->lens[p->len] = 1;
		ix->dirty = 1;
	}
	if (!ix->filtered && ix->nkeys >= FILTER_MIN)
		filter_build(ix);
	*key = k;
	*created = 1;
	return 0;
}

/* Recomputes every prefix key's parent when prefix keys were added. */
static void
kindex_parents(struct kindex *ix)
{
	struct mm_prefix q;
	struct ikey *k;
	void *v;
	size_t i;
	int l;

	if (!ix->dirty)
		return;
	ix->dirty = 0;
	for (i = 0; i < ix->nkeys; i++) {
		k = &ix->keys[i];
		k->parent = NONE;
		if (k->p.len == 128)
			continue;
		for (l = (int)k->p.len - 1; l >= 0; l--) {
			if (!ix->lens[l])
				continue;
			q.addr = k->p.addr;
			q.len = (uint8_t)l;
			addr_mask(&q.addr, (unsigned)l);
			if ((v = lpm_get(ix->lpm, &q)) != NULL) {
				k->parent = (uint32_t)((uintptr_t)v - 1);
				break;
			}
		}
	}
}

/* ------------------------------------------------------------------ */
/* public object */

struct intel *
intel_new(const struct intel_opts *opts)
{
	struct intel *in;

	if ((in = calloc(1, sizeof(*in))) == NULL)
		return NULL;
	if (opts != NULL)
		in->opts = *opts;
	if (in->opts.max_entries == 0)
		in->opts.max_entries = INTEL_MAX_ENTRIES;
	if (in->opts.default_confidence == 0)
		in->opts.default_confidence = 50;
	if (in->opts.default_confidence > 100)
		in->opts.default_confidence = 100;
	if (in->opts.max_warnings == 0)
		in->opts.max_warnings = 20;
	in->seed = mix64((uint64_t)(uintptr_t)in ^
	    (uint64_t)mtime_now() ^ ((uint64_t)getpid() << 32));
	if (kindex_init(&in->feed) != 0 || kindex_init(&in->allow) != 0) {
		intel_free(in);
		return NULL;
	}
	return in;
}

void
intel_free(struct intel *in)
{
	if (in == NULL)
		return;
	free(in->pool);
	free(in->strs.slot);
	kindex_free(&in->feed);
	free(in->ents);
	kindex_free(&in->allow);
	free(in->as);
	free(in);
}

size_t
intel_feed_count(const struct intel *in)
{
	return in == NULL ? 0 : in->nents;
}

size_t
intel_allow_count(const struct intel *in)
{
	return in == NULL ? 0 : in->allow.nkeys + in->asused;
}

/* ------------------------------------------------------------------ */
/* adding (parsers call these) */

int
intel_expired(const struct intel_ctx *c, int64_t until_ms)
{
	return until_ms != 0 && until_ms <= c->now;
}

void
intel_bad(struct intel_ctx *c, size_t *counter, const char *fmt, ...)
{
	char msg[MM_DIAG_LEN], line[MM_DIAG_LEN];
	va_list ap;

	if (counter != NULL)
		(*counter)++;
	if (c->st->first_error[0] != '\0' &&
	    (c->in->opts.warn == NULL || c->nwarn >= c->in->opts.max_warnings))
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (snprintf(line, sizeof(line), "%s: %s", c->file, msg) < 0)
		line[0] = '\0';
	if (c->st->first_error[0] == '\0')
		memcpy(c->st->first_error, line, sizeof(line));
	if (c->in->opts.warn != NULL &&
	    c->nwarn < c->in->opts.max_warnings) {
		c->nwarn++;
		c->in->opts.warn(c->in->opts.warn_arg, line);
	}
}

static int
intel_cap(struct intel_ctx *c)
{
	if (c->added >= c->in->opts.max_entries)
		return mm_diag_set(c->d, MM_ELIMIT,
		    "%s: more than %u entries (cap)", c->file,
		    c->in->opts.max_entries);
	return 0;
}

int
intel_add(struct intel_ctx *c, const struct mm_prefix *p, uint16_t port,
    const char *tag, size_t taglen, int conf, int64_t until_ms)
{
	struct intel *in = c->in;
	struct ikey *k;
	struct ient *e, *ne;
	uint32_t key, t, i;
	size_t ncap;
	int created, rc;

	if ((rc = intel_cap(c)) != 0)
		return rc;
	if (conf < 0)
		conf = c->defconf;
	if (conf > 100)
		conf = 100;
	if (tag == NULL || taglen == 0) {
		tag = "unknown";
		taglen = 7;
	}
	if ((rc = pool_intern(in, tag, taglen, &t)) != 0)
		return mm_diag_set(c->d, rc, "%s: out of memory", c->file);
	if ((rc = kindex_key(in, &in->feed, p, &key, &created))
	    != 0)
		return mm_diag_set(c->d, rc, "%s: out of memory", c->file);
	k = &in->feed.keys[key];
	for (i = k->head; i != NONE; i = in->ents[i].next) {
		e = &in->ents[i];
		if (e->src == c->src && e->tag == t && e->port == port) {
			if (conf > e->conf)
				e->conf = (uint8_t)conf;
			if (e->until != 0 && (until_ms == 0 ||
			    until_ms > e->until))
				e->until = until_ms;
			c->st->duplicates++;
			return 0;
		}
	}
	if (k->n >= INTEL_MAX_PER_KEY) {
		c->st->capped++;
		return 0;
	}
	if (in->nents >= NONE - 1)
		return mm_diag_set(c->d, MM_ENOMEM, "%s: too many entries",
		    c->file);
	if (in->nents == in->capents) {
		ncap = in->capents ? in->capents * 2 : 1024;
		if (ncap > SIZE_MAX / sizeof(*ne) ||
		    (ne = realloc(in->ents, ncap * sizeof(*ne))) == NULL)
			return mm_diag_set(c->d, MM_ENOMEM,
			    "%s: out of memory", c->file);
		in->ents = ne;
		in->capents = ncap;
	}
	e = &in->ents[in->nents];
	e->tag = t;
	e->src = c->src;
	e->port = port;
	e->conf = (uint8_t)conf;
	e->until = until_ms;
	e->next = k->head;
	k->head = (uint32_t)in->nents;
	k->n++;
	in->nents++;
	c->added++;
	c->st->loaded++;
	return 0;
}

static uint64_t
as_hash(const struct intel *in, uint32_t asn)
{
	return mix64((uint64_t)asn ^ in->seed);
}

int
intel_add_allow(struct intel_ctx *c, const struct mm_prefix *p, uint32_t asn,
    const char *cat, size_t catlen)
{
	struct intel *in = c->in;
	struct asent *na;
	uint32_t key, t;
	size_t i, nsize;
	int created, rc;

	if ((rc = intel_cap(c)) != 0)
		return rc;
	if (cat == NULL || catlen == 0) {
		cat = "allowlist";
		catlen = 9;
	}
	if ((rc = pool_intern(in, cat, catlen, &t)) != 0)
		return mm_diag_set(c->d, rc, "%s: out of memory", c->file);
	if (p != NULL) {
		if ((rc = kindex_key(in, &in->allow, p, &key, &created)) != 0)
			return mm_diag_set(c->d, rc, "%s: out of memory",
			    c->file);
		if (!created) {
			c->st->duplicates++;
			return 0;
		}
		in->allow.keys[key].head = t;
		c->added++;
		c->st->loaded++;
		return 0;
	}
	if (asn == 0)
		return MM_EINVAL;
	if (in->as == NULL || (in->asused + 1) * 2 > in->asmask + 1) {
		nsize = in->as == NULL ? 64 : (in->asmask + 1) * 2;
		if (nsize > ((size_t)1 << 30) ||
		    (na = calloc(nsize, sizeof(*na))) == NULL)
			return mm_diag_set(c->d, MM_ENOMEM,
			    "%s: out of memory", c->file);
		if (in->as != NULL) {
			for (i = 0; i <= in->asmask; i++) {
				size_t j;

				if (in->as[i].asn == 0)
					continue;
				j = as_hash(in, in->as[i].asn) & (nsize - 1);
				while (na[j].asn != 0)
					j = (j + 1) & (nsize - 1);
				na[j] = in->as[i];
			}
		}
		free(in->as);
		in->as = na;
		in->asmask = nsize - 1;
	}
	for (i = as_hash(in, asn) & in->asmask; in->as[i].asn != 0;
	    i = (i + 1) & in->asmask) {
		if (in->as[i].asn == asn) {
			c->st->duplicates++;
			return 0;
		}
	}
	in->as[i].asn = asn;
	in->as[i].cat = t;
	in->asused++;
	c->added++;
	c->st->loaded++;
	return 0;
}

/* ------------------------------------------------------------------ */
/* value parsing helpers shared by the parsers */

int
intel_parse_port(const char *s, size_t len, uint16_t *port)
{
	unsigned long v = 0;
	size_t i;

	*port = 0;
	if (len == 0 || (len == 1 && s[0] == '*') ||
	    (len == 3 && strncmp(s, "any", 3) == 0))
		return 0;
	if (len > 5)
		return MM_ESYNTAX;
	for (i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return MM_ESYNTAX;
		v = v * 10 + (unsigned long)(s[i] - '0');
	}
	if (v > 65535)
		return MM_ESYNTAX;
	*port = (uint16_t)v;
	return 0;
}

int
intel_parse_conf(const char *s, size_t len, int *conf)
{
	unsigned long v = 0, frac = 0, scale = 1;
	size_t i = 0;
	int dot = 0;

	*conf = -1;
	if (len == 0)
		return 0;
	if (len > 12)
		return MM_ESYNTAX;
	for (; i < len; i++) {
		if (s[i] == '.' && !dot && i > 0) {
			dot = 1;
			continue;
		}
		if (s[i] < '0' || s[i] > '9')
			return MM_ESYNTAX;
		if (dot) {
			if (scale < 1000000) {
				frac = frac * 10 + (unsigned long)(s[i] - '0');
				scale *= 10;
			}
		} else
			v = v * 10 + (unsigned long)(s[i] - '0');
	}
	if (dot && s[len - 1] == '.')
		return MM_ESYNTAX;
	if (dot) {
		/* decimal: a 0..1 score, or a 0..100 value with fraction */
		if (v == 0 || (v == 1 && frac == 0))
			*conf = (int)((v * scale + frac) * 100 / scale);
		else if (v < 100)
			*conf = (int)v;
		else if (v == 100 && frac == 0)
			*conf = 100;
		else
			return MM_ESYNTAX;
		return 0;
	}
	if (v > 100)
		return MM_ESYNTAX;
	*conf = (int)v;
	return 0;
}

int
intel_parse_value(const char *s, size_t len, struct mm_prefix *p,
    uint16_t *port)
{
	char buf[PREFIX_STRLEN + 1];
	const char *a = s, *pt = NULL, *q;
	size_t alen = len, plen = 0;
	int rc;

	*port = 0;
	while (alen > 0 && (*a == ' ' || *a == '\t')) {
		a++;
		alen--;
	}
	while (alen > 0 && (a[alen - 1] == ' ' || a[alen - 1] == '\t'))
		alen--;
	if (alen == 0)
		return MM_ESYNTAX;
	if ((q = memchr(a, '|', alen)) != NULL) {
		/* MISP "addr|port" */
		pt = q + 1;
		plen = alen - (size_t)(pt - a);
		alen = (size_t)(q - a);
	} else if (a[0] == '[') {
		/* "[v6]:port" or "[v6]" */
		if ((q = memchr(a, ']', alen)) == NULL)
			return MM_ESYNTAX;
		if ((size_t)(q - a) + 1 < alen) {
			if (q[1] != ':')
				return MM_ESYNTAX;
			pt = q + 2;
			plen = alen - (size_t)(pt - a);
		}
		alen = (size_t)(q - a) - 1;
		a++;
	} else if ((q = memchr(a, ':', alen)) != NULL &&
	    memchr(q + 1, ':', alen - (size_t)(q - a) - 1) == NULL) {
		/* exactly one ':' : "a.b.c.d:port" */
		pt = q + 1;
		plen = alen - (size_t)(pt - a);
		alen = (size_t)(q - a);
	}
	if (alen == 0 || alen >= sizeof(buf))
		return MM_ESYNTAX;
	memcpy(buf, a, alen);
	buf[alen] = '\0';
	if ((rc = prefix_parse(buf, p)) != 0)
		return rc;
	if (pt != NULL) {
		if (plen == 0 || intel_parse_port(pt, plen, port) != 0 ||
		    *port == 0)
			return MM_ESYNTAX;
	}
	if (addr_is_zero(&p->addr) ||
	    (addr_is_v4(&p->addr) && p->len >= 96 ? p->len < 104 :
	    p->len < 16))
		return MM_ERANGE;
	return 0;
}

/* ------------------------------------------------------------------ */
/* lookups */

static void
hit_fill(const struct intel *in, const struct ikey *k, const struct ient *e,
    uint16_t port, struct intel_hit *h)
{
	h->prefix = k->p;
	h->tag = in->pool + e->tag;
	h->source = in->pool + e->src;
	h->valid_until_ms = e->until;
	h->port = e->port;
	h->confidence = e->conf;
	h->port_match = e->port == 0 || e->port == port;
}

/* 1 if candidate (k, e) beats the current best `b`. */
static int
hit_better(const struct ikey *k, const struct ient *e, uint16_t port,
    const struct intel_hit *b)
{
	int pm = e->port == 0 || e->port == port;

	if (pm != b->port_match)
		return pm > b->port_match;
	if (e->conf != b->confidence)
		return e->conf > b->confidence;
	return k->p.len > b->prefix.len;
}

/*
 * Walks every indicator covering `a`: the host key, then the longest prefix
 * key and its parents. Fills hits[0..nhits) in walk order and/or `best`.
 * Returns the number of matches.
 */
static size_t
intel_walk(const struct intel *in, const struct mm_addr *a, uint16_t port,
    struct intel_hit *hits, size_t nhits, struct intel_hit *best)
{
	const struct ikey *k;
	const struct ient *e;
	uint32_t key, i;
	size_t n = 0;
	void *v;
	int pass;

	for (pass = 0; pass < 2; pass++) {
		if (!filter_maybe(&in->feed, pass, a))
			continue;
		if (pass == 0)
			key = kindex_host(in, &in->feed, a);
		else if ((v = lpm_lookup(in->feed.lpm, a, NULL)) == NULL)
			break;
		else
			key = (uint32_t)((uintptr_t)v - 1);
		for (; key != NONE; key = k->parent) {
			k = &in->feed.keys[key];
			for (i = k->head; i != NONE; i = e->next) {
				e = &in->ents[i];
				if (n < nhits)
					hit_fill(in, k, e, port, &hits[n]);
				if (best != NULL && (n == 0 ||
				    hit_better(k, e, port, best)))
					hit_fill(in, k, e, port, best);
				n++;
			}
		}
	}
	return n;
}

int
intel_lookup(const struct intel *in, const struct mm_addr *a, uint16_t port,
    struct intel_hit *hit)
{
	struct intel_hit best;
	size_t n;

	if (in == NULL || a == NULL || in->nents == 0)
		return 0;
	memset(&best, 0, sizeof(best));
	n = intel_walk(in, a, port, NULL, 0, &best);
	if (n == 0)
		return 0;
	best.nmatch = n > UINT32_MAX ? UINT32_MAX : (unsigned)n;
	if (hit != NULL)
		*hit = best;
	return 1;
}

size_t
intel_lookup_all(const struct intel *in, const struct mm_addr *a,
    uint16_t port, struct intel_hit *hits, size_t nhits)
{
	size_t n, i;

	if (in == NULL || a == NULL || in->nents == 0)
		return 0;
	if (hits == NULL)
		nhits = 0;
	n = intel_walk(in, a, port, hits, nhits, NULL);
	for (i = 0; i < n && i < nhits; i++)
		hits[i].nmatch = n > UINT32_MAX ? UINT32_MAX : (unsigned)n;
	return n;
}

int
intel_allowed(const struct intel *in, const struct mm_addr *a, uint32_t asn,
    const char **category)
{
	uint32_t k;
	size_t i;
	void *v;

	if (in == NULL)
		return 0;
	if (a != NULL && in->allow.nkeys > 0) {
		if (filter_maybe(&in->allow, 0, a) &&
		    (k = kindex_host(in, &in->allow, a)) != NONE) {
			if (category != NULL)
				*category = in->pool + in->allow.keys[k].head;
			return 1;
		}
		if (filter_maybe(&in->allow, 1, a) &&
		    (v = lpm_lookup(in->allow.lpm, a, NULL)) != NULL) {
			k = (uint32_t)((uintptr_t)v - 1);
			if (category != NULL)
				*category = in->pool + in->allow.keys[k].head;
			return 1;
		}
	}
	if (asn != 0 && in->as != NULL) {
		for (i = as_hash(in, asn) & in->asmask; in->as[i].asn != 0;
		    i = (i + 1) & in->asmask) {
			if (in->as[i].asn == asn) {
				if (category != NULL)
					*category = in->pool + in->as[i].cat;
				return 1;
			}
		}
	}
	return 0;
}

/* ------------------------------------------------------------------ */
/* formats and loading */

static const char *const fmt_names[] = {
	"auto", "csv", "stix", "misp", "misp-dir", "misp-csv", "allowlist"
};

const char *
intel_format_name(enum intel_format fmt)
{
	if ((unsigned)fmt >= sizeof(fmt_names) / sizeof(fmt_names[0]))
		return "?";
	return fmt_names[fmt];
}

int
intel_format_parse(const char *s, enum intel_format *fmt)
{
	size_t i;

	if (s == NULL)
		return MM_ESYNTAX;
	for (i = 0; i < sizeof(fmt_names) / sizeof(fmt_names[0]); i++) {
		if (strcmp(s, fmt_names[i]) == 0) {
			*fmt = (enum intel_format)i;
			return 0;
		}
	}
	if (strcmp(s, "misp-json") == 0) {
		*fmt = INTEL_FMT_MISP_JSON;
		return 0;
	}
	return MM_ESYNTAX;
}

int
intel_read_file(const char *path, uint8_t **buf, size_t *len,
    struct mm_diag *d)
{
	struct stat sb;
	uint8_t *b = NULL;
	size_t n = 0, cap;
	ssize_t r;
	int fd, rc = 0;

	*buf = NULL;
	*len = 0;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return mm_diag_set(d, MM_EIO, "%s: open: %s", path,
		    strerror(errno));
	if (fstat(fd, &sb) == -1) {
		rc = mm_diag_set(d, MM_EIO, "%s: stat: %s", path,
		    strerror(errno));
		goto out;
	}
	if (!S_ISREG(sb.st_mode)) {
		rc = mm_diag_set(d, MM_EIO, "%s: not a regular file", path);
		goto out;
	}
	if ((uint64_t)sb.st_size > INTEL_MAX_FILE) {
		rc = mm_diag_set(d, MM_ELIMIT, "%s: larger than %u bytes",
		    path, INTEL_MAX_FILE);
		goto out;
	}
	cap = (size_t)sb.st_size + 1;
	if ((b = malloc(cap)) == NULL) {
		rc = mm_diag_set(d, MM_ENOMEM, "%s: out of memory", path);
		goto out;
	}
	for (;;) {
		if (n == cap - 1) {
			/* file grew while reading: cap the total */
			uint8_t *nb;

			if (cap > INTEL_MAX_FILE) {
				rc = mm_diag_set(d, MM_ELIMIT,
				    "%s: larger than %u bytes", path,
				    INTEL_MAX_FILE);
				goto out;
			}
			if ((nb = realloc(b, cap * 2)) == NULL) {
				rc = mm_diag_set(d, MM_ENOMEM,
				    "%s: out of memory", path);
				goto out;
			}
			b = nb;
			cap *= 2;
		}
		r = read(fd, b + n, cap - 1 - n);
		if (r == -1 && errno == EINTR)
			continue;
		if (r == -1) {
			rc = mm_diag_set(d, MM_EIO, "%s: read: %s", path,
			    strerror(errno));
			goto out;
		}
		if (r == 0)
			break;
		n += (size_t)r;
	}
	b[n] = '\0';
	*buf = b;
	*len = n;
	b = NULL;
out:
	free(b);
	close(fd);
	return rc;
}

/* Base name of `path` without directory and extension into buf. */
static void
source_name(const char *path, char *buf, size_t len)
{
	const char *b = path, *dot = NULL;
	size_t n = strlen(path), i;

	while (n > 1 && path[n - 1] == '/')
		n--;
	for (i = 0; i < n; i++)
		if (path[i] == '/' && i + 1 < n)
			b = path + i + 1;
	n -= (size_t)(b - path);
	for (i = 1; i < n; i++)
		if (b[i] == '.')
			dot = b + i;
	if (dot != NULL)
		n = (size_t)(dot - b);
	if (n == 0 || (n == 1 && b[0] == '/')) {
		b = "feed";
		n = 4;
	}
	if (n >= len)
		n = len - 1;
	memcpy(buf, b, n);
	buf[n] = '\0';
}

static int
ctx_init(struct intel *in, struct intel_ctx *c, const char *file,
    const char *srcname, struct intel_load_stats *st, struct mm_diag *d)
{
	memset(c, 0, sizeof(*c));
	c->in = in;
	c->file = file;
	c->st = st;
	c->d = d;
	c->now = in->opts.now_ms != 0 ? in->opts.now_ms : mtime_now();
	c->defconf = in->opts.default_confidence;
	c->non_ids = in->opts.include_non_ids;
	if (pool_intern(in, srcname, strlen(srcname), &c->src) != 0)
		return mm_diag_set(d, MM_ENOMEM, "%s: out of memory", file);
	return 0;
}

/* First meaningful byte of a buffer: skips a UTF-8 BOM and white space. */
static size_t
skip_ws(const uint8_t *buf, size_t len)
{
	size_t i = 0;

	if (len >= 3 && buf[0] == 0xef && buf[1] == 0xbb && buf[2] == 0xbf)
		i = 3;
	while (i < len && (buf[i] == ' ' || buf[i] == '\t' ||
	    buf[i] == '\r' || buf[i] == '\n'))
		i++;
	return i;
}

/* 1 if the first non-comment line looks like a MISP CSV header. */
static int
looks_misp_csv(const uint8_t *buf, size_t len)
{
	size_t i = skip_ws(buf, len);

	return len - i >= 14 && (memcmp(buf + i, "uuid,event_id,", 14) == 0 ||
	    memcmp(buf + i, "\"uuid\",\"event_", 14) == 0);
}

/* 1 if `buf` starts with "[v6-address]" (a CSV line "[2001:db8::1]:443"),
 * not a JSON array. */
static int
looks_v6_bracket(const uint8_t *buf, size_t len)
{
	size_t j;
	int colon = 0;

	for (j = 1; j < len && j < 48; j++) {
		if (buf[j] == ':')
			colon = 1;
		else if (!isxdigit(buf[j]) && buf[j] != '.')
			break;
	}
	return colon && j > 2 && j < len && buf[j] == ']';
}

static int
load_buf(struct intel_ctx *c, const uint8_t *buf, size_t len,
    enum intel_format fmt)
{
	size_t i;
	int rc;

	if (fmt == INTEL_FMT_AUTO) {
		i = skip_ws(buf, len);
		if (i < len && (buf[i] == '{' || (buf[i] == '[' &&
		    !looks_v6_bracket(buf + i, len - i))))
			fmt = INTEL_FMT_AUTO;	/* JSON, decided below */
		else if (looks_misp_csv(buf, len))
			fmt = INTEL_FMT_MISP_CSV;
		else
			fmt = INTEL_FMT_CSV;
	}
	c->st->format = fmt;
	switch (fmt) {
	case INTEL_FMT_AUTO:
	case INTEL_FMT_STIX:
	case INTEL_FMT_MISP_JSON:
		rc = intel_json_feed(c, buf, len, fmt, &c->st->format);
		break;
	case INTEL_FMT_CSV:
		rc = intel_text_feed(c, buf, len, 0);
		break;
	case INTEL_FMT_MISP_CSV:
		rc = intel_text_feed(c, buf, len, 1);
		break;
	case INTEL_FMT_ALLOWLIST:
		rc = intel_text_allow(c, buf, len);
		break;
	default:
		rc = mm_diag_set(c->d, MM_EINVAL, "%s: format %d not usable "
		    "on a buffer", c->file, (int)fmt);
		break;
	}
	return rc;
}

static void
finish(struct intel *in)
{
	kindex_parents(&in->feed);
	kindex_parents(&in->allow);
}

int
intel_load_mem(struct intel *in, const char *name, const void *buf,
    size_t len, enum intel_format fmt, struct intel_load_stats *st,
    struct mm_diag *d)
{
	struct intel_load_stats lst;
	struct intel_ctx c;
	int rc;

	if (st == NULL)
		st = &lst;
	memset(st, 0, sizeof(*st));
	if (in == NULL || (buf == NULL && len > 0) ||
	    fmt == INTEL_FMT_MISP_DIR || (unsigned)fmt > INTEL_FMT_ALLOWLIST)
		return mm_diag_set(d, MM_EINVAL, "intel_load_mem: bad "
		    "argument");
	if (name == NULL)
		name = "feed";
	if (len > INTEL_MAX_FILE)
		return mm_diag_set(d, MM_ELIMIT, "%s: larger than %u bytes",
		    name, INTEL_MAX_FILE);
	if ((rc = ctx_init(in, &c, name, name, st, d)) != 0)
		return rc;
	rc = load_buf(&c, buf == NULL ? (const uint8_t *)"" : buf, len, fmt);
	finish(in);
	return rc;
}

int
intel_load(struct intel *in, const char *path, enum intel_format fmt,
    struct intel_load_stats *st, struct mm_diag *d)
{
	struct intel_load_stats lst;
	struct intel_ctx c;
	struct stat sb;
	char name[128], *dir = NULL;
	uint8_t *buf = NULL;
	size_t len, n;
	int rc;

	if (st == NULL)
		st = &lst;
	memset(st, 0, sizeof(*st));
	if (in == NULL || path == NULL || (unsigned)fmt > INTEL_FMT_ALLOWLIST)
		return mm_diag_set(d, MM_EINVAL, "intel_load: bad argument");
	if (stat(path, &sb) == -1)
		return mm_diag_set(d, MM_EIO, "%s: %s", path, strerror(errno));
	n = strlen(path);
	if (S_ISDIR(sb.st_mode) || fmt == INTEL_FMT_MISP_DIR ||
	    (fmt == INTEL_FMT_AUTO && n >= 13 &&
	    strcmp(path + n - 13, "manifest.json") == 0 &&
	    (n == 13 || path[n - 14] == '/'))) {
		if (fmt != INTEL_FMT_AUTO && fmt != INTEL_FMT_MISP_DIR)
			return mm_diag_set(d, MM_EINVAL, "%s: a directory "
			    "needs format misp-dir or auto", path);
		if ((dir = strdup(path)) == NULL)
			return mm_diag_set(d, MM_ENOMEM, "out of memory");
		if (!S_ISDIR(sb.st_mode)) {
			/* ".../manifest.json" -> its directory */
			if (n == 13)
				strcpy(dir, ".");
			else
				dir[n - 14] = '\0';
			if (dir[0] == '\0')
				strcpy(dir, "/");
		}
		source_name(dir, name, sizeof(name));
		if ((rc = ctx_init(in, &c, path, name, st, d)) == 0) {
			st->format = INTEL_FMT_MISP_DIR;
			rc = intel_misp_dir(&c, dir);
		}
		free(dir);
		finish(in);
		return rc;
	}
	if ((rc = intel_read_file(path, &buf, &len, d)) != 0)
		return rc;
	source_name(path, name, sizeof(name));
	if ((rc = ctx_init(in, &c, path, name, st, d)) == 0)
		rc = load_buf(&c, buf, len, fmt);
	free(buf);
	finish(in);
	return rc;
}
