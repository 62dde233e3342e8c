/*
 * lpm.c - longest-prefix match: a multibit trie with a 16-bit direct root,
 * path-compressed 8-bit nodes (popcount over bitmaps), and a separate trie
 * for the IPv4-mapped space so that an IPv4 lookup reads about 3 nodes.
 *
 * Two tries. Prefixes inside ::ffff:0:0/96 of length >= 96 (every IPv4
 * prefix, IPv4 /0 included) live in the v4 trie, keyed by the 32 IPv4 bits
 * (bits 96..127); every other prefix lives in the v6 trie, keyed by all 128
 * bits. A lookup of an IPv4-mapped address asks the v4 trie first: any
 * prefix there is longer than every v6-trie prefix covering the address
 * (those are all shorter than /96), so a hit is final; on a miss it asks
 * the v6 trie (::/0, ::/80, ::ffff:0:0/95 and the like). Other addresses
 * ask the v6 trie only.
 *
 * Root. The trie's first 16 key bits are resolved by two direct-indexed
 * levels: 256 top entries by the first byte, each with a leaf (the value
 * and v6-space length of the longest prefix of 0..8 bits past the base
 * covering it) and, once something longer lies under it, a chunk of 256
 * slots by the second byte, each with a leaf (prefixes of 9..16 bits) and
 * a pointer to a child node. A prefix is written into all the entries it
 * covers wherever nothing longer is there ("controlled prefix
 * expansion"): an IPv4 /12 into 16 slots of one chunk, a /0 into the 256
 * top entries. The expanded entries cannot say which prefixes exist (a /15
 * under both of its /16s leaves no trace), so the top level and each chunk
 * also keep the values of their own prefixes by heap index (1 << l | byte
 * >> (8 - l)), for lpm_get, for counting and for replacing values. The
 * top level is 10 KB and stays in cache during a run of lookups; chunks
 * (10 KB each) only exist where prefixes longer than 8 bits do, so small
 * tables stay small.
 *
 * Nodes. Below the root a node at depth d (a multiple of 8) covers key bits
 * d..d+7 (256 slots) and owns the prefixes with length in (d, d+8],
 * expanded over its slots the same way. Leaves are not pushed down into
 * deeper nodes: a lookup remembers the last leaf it passed. Paths are
 * compressed: a child hangs at the depth where something is (a prefix or a
 * branch), not necessarily 8 bits below its parent; the node keeps the key
 * bits above its depth, and a lookup that skips bytes compares them (a
 * mismatch ends the walk with the best leaf so far, since the skipped
 * levels hold nothing). A node is one allocation: four 64-slot groups, each
 * with three bitmaps (cbm: slot has a child; hbm: slot is covered by one of
 * the node's prefixes; lbm: slot starts a run of equal leaves), the counts
 * of children and runs in the groups before, and the node's depth; then
 * the key, the leaf runs (value and length, 16 bytes), the child pointers
 * and the node's own prefixes (sorted heap indexes 2..511 and values). A
 * slot's child is kids[cbase + popcount(cbm & below)] and its leaf is
 * leaf[lbase + popcount(lbm & up-to-and-including) - 1]; neighbouring
 * slots with the same value and length share one run, so an IPv4 /17
 * expanded over 128 slots costs one entry. The popcount is SWAR (a
 * builtin is used only where the compiler announces a popcount
 * instruction, __POPCNT__).
 *
 * The matched prefix is not stored with the leaf: its length is, and its
 * key is the looked-up address masked to that length (stored keys have
 * their host bits cleared, see lpm_insert).
 *
 * Writers change a node by unpacking its own prefixes and children into a
 * scratch area (allocated once per table), editing, recomputing the leaf
 * runs from the own prefixes (shortest first, so that the longest covering
 * prefix stays in each slot) and packing it into a fresh allocation that
 * replaces the old one in its parent. Readers never write, so concurrent
 * lookups on a table no longer modified are safe; a lookup between two
 * inserts sees a consistent table.
 *
 * Costs (N prefixes):
 *   lookup   IPv4: top entry + chunk slot + at most 2 nodes (/17../24,
 *            /25../32), about 3-4 cache misses; after a miss in the v4
 *            trie, a v6 walk (usually one top entry). IPv6: top entry +
 *            chunk slot + at most 14 nodes, fewer where paths are
 *            compressed. Each node: one group read, two popcounts.
 *   insert   a walk like a lookup, then at most two node rebuilds (a split
 *            of a compressed path, and the node that gets the prefix or the
 *            new child), each O(256 + own prefixes + children) plus one
 *            malloc/free. A root-level prefix writes at most 256 entries.
 *   get      a walk like a lookup down to the node of the prefix's length,
 *            then a binary search over its own prefixes.
 *   memory   per family in use: a 10 KB top level and up to 256 chunks of
 *            10 KB (2.5 MB when every first byte has prefixes past 8
 *            bits); an 8 KB insert scratch per table. A node: 152 bytes +
 *            16 per leaf run + 8 per child + 10 per own prefix. An insert
 *            adds at most 2 nodes (path compression) and at most 2 runs, so
 *            memory is O(N): about 50 bytes per prefix for dense IPv4
 *            tables, about 85 for a BGP-like mix, about 250 (at most about
 *            400) for prefixes that each sit alone on their own path.
 *   free     O(chunks * 256 + nodes), recursion depth at most 14.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "core/lpm.h"

#define LPM_ROOT_BITS	16	/* key bits resolved by a trie's root */
#define LPM_V4_BASE	96	/* bits before the IPv4 part */

struct lpm_leaf {
	void		*val;	/* NULL: no prefix here */
	unsigned	 len;	/* length in the v6 space */
};

/* 64 slots of a node. */
struct lpm_grp {
	uint64_t	cbm;	/* slot has a child */
	uint64_t	hbm;	/* slot has a leaf */
	uint64_t	lbm;	/* slot starts a run of equal leaves */
	uint16_t	cbase;	/* children in the groups before */
	uint16_t	lbase;	/* leaf runs in the groups before */
	uint8_t		depth;	/* the node's depth, the same in all 4 groups */
};

/*
 * Covers the 8 key bits past its depth (bits before it: a multiple of 8,
 * kept in each group so that the group a lookup reads anyway tells it);
 * `key` holds the bits before the depth (the rest zero), which a lookup
 * compares only where a path was compressed. Followed in the same
 * allocation by nleaf leaf runs (leaf[]), nkid child pointers
 * (node_kids()), the values of the node's own prefixes (node_ownv()) and
 * their ascending heap indexes (node_ownk(): a prefix of l bits past the
 * node's depth, 1 <= l <= 8, starting at slot s has index
 * (1 << l) | s >> (8 - l), 2..511).
 */
struct lpm_node {
	struct lpm_grp	 g[4];
	uint16_t	 nleaf;
	uint16_t	 nkid;
	uint16_t	 nown;
	struct mm_addr	 key;
	struct lpm_leaf	 leaf[];
};

struct lpm_rslot {
	struct lpm_leaf	 leaf;
	struct lpm_node	*kid;
};

/* The second root level under one first key byte b0: the prefixes of
 * 9..16 bits past the trie's base expanded over the second byte, their
 * values by heap index (1 << l) | b1 >> (8 - l), l = 1..8, and the nodes. */
struct lpm_chunk {
	struct lpm_rslot	 slot[256];
	void			*own[512];
};

struct lpm_top {
	struct lpm_leaf		 leaf;	/* prefixes of 0..8 bits, expanded */
	struct lpm_chunk	*chunk;	/* NULL until something longer */
};

/* A trie's root: 256 first-byte entries, and the values of the prefixes
 * of 0..8 bits past the base by heap index (1 << l) | b0 >> (8 - l). */
struct lpm_root {
	struct lpm_top		 top[256];
	void			*own[512];
};

#define LPM_NOWN_MAX	510	/* own prefixes of a node: 2 + 4 + ... + 256 */
#define LPM_NONE	0xffff

/* A node being edited, the scratch space of inserts. */
struct lpm_wide {
	uint16_t	 ownk[LPM_NOWN_MAX];	/* ascending heap indexes */
	uint8_t		 ownl[LPM_NOWN_MAX];	/* their lengths past d */
	void		*ownv[LPM_NOWN_MAX];
	unsigned	 nown;
	struct lpm_node	*kid[256];		/* in slot order */
	unsigned	 nkid;
	uint64_t	 cbm[4];
	uint16_t	 slot[256];	/* own prefix covering it, LPM_NONE */
	struct mm_addr	 key;
};

struct lpm {
	struct lpm_root		*root[2];	/* [0] v6 trie, [1] v4 trie */
	struct lpm_wide		*w;		/* insert scratch, lazily */
	size_t			 count;
};

static const uint8_t lpm_v4pfx[12] = {
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff
};

static unsigned
lpm_popc(uint64_t x)
{
#if defined(__POPCNT__) && (defined(__GNUC__) || defined(__clang__))
	return (unsigned)__builtin_popcountll(x);
#else
	x = x - ((x >> 1) & 0x5555555555555555ULL);
	x = (x & 0x3333333333333333ULL) + ((x >> 2) & 0x3333333333333333ULL);
	x = (x + (x >> 4)) & 0x0f0f0f0f0f0f0f0fULL;
	return (unsigned)((x * 0x0101010101010101ULL) >> 56);
#endif
}

static size_t
node_size(unsigned nleaf, unsigned nkid, unsigned nown)
{
	return offsetof(struct lpm_node, leaf) +
	    nleaf * sizeof(struct lpm_leaf) + nkid * sizeof(struct lpm_node *) +
	    nown * (sizeof(void *) + sizeof(uint16_t));
}

static struct lpm_node **
node_kids(const struct lpm_node *n)
{
	return (struct lpm_node **)(void *)((char *)(uintptr_t)n +
	    node_size(n->nleaf, 0, 0));
}

static void **
node_ownv(const struct lpm_node *n)
{
	return (void **)(void *)((char *)(uintptr_t)n +
	    node_size(n->nleaf, n->nkid, 0));
}

static uint16_t *
node_ownk(const struct lpm_node *n)
{
	return (uint16_t *)(void *)((char *)(uintptr_t)n +
	    node_size(n->nleaf, n->nkid, 0) + n->nown * sizeof(void *));
}

/* Index into node_kids() of slot i's child; the slot must have one. */
static unsigned
node_kid_idx(const struct lpm_node *n, unsigned i)
{
	const struct lpm_grp *g = &n->g[i >> 6];
	uint64_t bit = (uint64_t)1 << (i & 63);

	return g->cbase + lpm_popc(g->cbm & (bit - 1));
}

static int
node_has_kid(const struct lpm_node *n, unsigned i)
{
	return (n->g[i >> 6].cbm >> (i & 63)) & 1;
}

/* Value of the node's own prefix with heap index h, or NULL. */
static void *
node_own(const struct lpm_node *n, unsigned h)
{
	const uint16_t *k = node_ownk(n);
	unsigned lo = 0, hi = n->nown, mid;

	while (lo < hi) {
		mid = (lo + hi) / 2;
		if (k[mid] == h)
			return node_ownv(n)[mid];
		if (k[mid] < h)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

static void
node_free(struct lpm_node *n)
{
	struct lpm_node **kids;
	unsigned i;

	if (n == NULL)
		return;
	kids = node_kids(n);
	for (i = 0; i < n->nkid; i++)
		node_free(kids[i]);
	free(n);
}

/* Unpacks the children, own prefixes and key of `n` (NULL: an empty node,
 * the key is left alone). */
static void
node_expand(const struct lpm_node *n, struct lpm_wide *w)
{
	unsigned i;

	w->nown = w->nkid = 0;
	memset(w->cbm, 0, sizeof(w->cbm));
	if (n == NULL)
		return;
	w->key = n->key;
	w->nown = n->nown;
	w->nkid = n->nkid;
	memcpy(w->ownk, node_ownk(n), n->nown * sizeof(w->ownk[0]));
	memcpy(w->ownv, node_ownv(n), n->nown * sizeof(w->ownv[0]));
	memcpy(w->kid, node_kids(n), n->nkid * sizeof(w->kid[0]));
	for (i = 0; i < 4; i++)
		w->cbm[i] = n->g[i].cbm;
}

/* 1 if own prefixes x and y (indexes into w, not LPM_NONE) leave the same
 * leaf: same value and same length. */
static int
own_same(const struct lpm_wide *w, unsigned x, unsigned y)
{
	return x == y ||
	    (w->ownv[x] == w->ownv[y] && w->ownl[x] == w->ownl[y]);
}

/* Packs `w` into a new node at depth `d` (bits before it); NULL on
 * allocation failure. The leaves are recomputed from the own prefixes,
 * shortest first (the heap order), so that the longest covering one ends
 * up in each slot. O(256 + nown + nkid). */
static struct lpm_node *
node_pack(struct lpm_wide *w, unsigned d)
{
	struct lpm_node *n;
	struct lpm_grp *g;
	unsigned i, j, l, s, e, x, prev, nl = 0, nk = 0;
	uint64_t bit;

	memset(w->slot, 0xff, sizeof(w->slot));
	for (j = 0, l = 1; j < w->nown; j++) {
		while ((2u << l) <= w->ownk[j])
			l++;
		w->ownl[j] = (uint8_t)l;
		s = (w->ownk[j] - (1u << l)) << (8 - l);
		for (e = s + (1u << (8 - l)); s < e; s++)
			w->slot[s] = (uint16_t)j;
	}
	for (i = 0, prev = LPM_NONE; i < 256; prev = x, i++) {
		x = w->slot[i];
		if (x != LPM_NONE && (prev == LPM_NONE || !own_same(w, x, prev)))
			nl++;
	}
	if ((n = calloc(1, node_size(nl, w->nkid, w->nown))) == NULL)
		return NULL;
	n->nleaf = (uint16_t)nl;
	n->nkid = (uint16_t)w->nkid;
	n->nown = (uint16_t)w->nown;
	n->key = w->key;
	nl = 0;
	for (i = 0, prev = LPM_NONE; i < 256; prev = x, i++) {
		g = &n->g[i >> 6];
		bit = (uint64_t)1 << (i & 63);
		if ((i & 63) == 0) {
			g->cbm = w->cbm[i >> 6];
			g->depth = (uint8_t)d;
			g->cbase = (uint16_t)nk;
			g->lbase = (uint16_t)nl;
			nk += lpm_popc(g->cbm);
		}
		if ((x = w->slot[i]) == LPM_NONE)
			continue;
		g->hbm |= bit;
		if (prev == LPM_NONE || !own_same(w, x, prev)) {
			g->lbm |= bit;
			n->leaf[nl].val = w->ownv[x];
			n->leaf[nl++].len = d + w->ownl[x];
		}
	}
	memcpy(node_kids(n), w->kid, w->nkid * sizeof(w->kid[0]));
	memcpy(node_ownv(n), w->ownv, w->nown * sizeof(w->ownv[0]));
	memcpy(node_ownk(n), w->ownk, w->nown * sizeof(w->ownk[0]));
	return n;
}

/* The insert scratch of `t`, allocated on first use; NULL on failure. */
static struct lpm_wide *
lpm_scratch(struct lpm *t)
{
	if (t->w == NULL)
		t->w = malloc(sizeof(*t->w));
	return t->w;
}

static unsigned
node_depth(const struct lpm_node *n)
{
	return n->g[0].depth;
}

/* A new node at depth d on the path of `key`, holding only prefix h ->
 * val; NULL on allocation failure. */
static struct lpm_node *
node_new_own(struct lpm_wide *w, unsigned d, const struct mm_addr *key,
    unsigned h, void *val)
{
	node_expand(NULL, w);
	w->key = *key;
	addr_mask(&w->key, d);
	w->ownk[0] = (uint16_t)h;
	w->ownv[0] = val;
	w->nown = 1;
	return node_pack(w, d);
}

/* A new node at depth d on the path of `key`, holding only child `kid` at
 * slot i; NULL on allocation failure. */
static struct lpm_node *
node_new_kid(struct lpm_wide *w, unsigned d, const struct mm_addr *key,
    unsigned i, struct lpm_node *kid)
{
	node_expand(NULL, w);
	w->key = *key;
	addr_mask(&w->key, d);
	w->kid[0] = kid;
	w->nkid = 1;
	w->cbm[i >> 6] = (uint64_t)1 << (i & 63);
	return node_pack(w, d);
}

/* Replaces node *pp (at depth d, no child at slot i) by a copy with `kid`
 * at slot i. Returns 0 or MM_ENOMEM (then nothing changed). */
static int
node_add_kid(struct lpm_wide *w, struct lpm_node **pp, unsigned d,
    unsigned i, struct lpm_node *kid)
{
	struct lpm_node *n = *pp, *nn;
	unsigned r = node_kid_idx(n, i);

	node_expand(n, w);
	memmove(&w->kid[r + 1], &w->kid[r], (w->nkid - r) * sizeof(w->kid[0]));
	w->kid[r] = kid;
	w->nkid++;
	w->cbm[i >> 6] |= (uint64_t)1 << (i & 63);
	if ((nn = node_pack(w, d)) == NULL)
		return MM_ENOMEM;
	free(n);
	*pp = nn;
	return 0;
}

/*
 * Adds or replaces own prefix h -> val in node *pp at depth d. *isnew
 * tells whether h was absent. Returns 0 or MM_ENOMEM.
 */
static int
node_put(struct lpm_wide *w, struct lpm_node **pp, unsigned d, unsigned h,
    void *val, int *isnew)
{
	struct lpm_node *nn;
	unsigned lo, hi, mid;

	node_expand(*pp, w);
	for (lo = 0, hi = w->nown; lo < hi; ) {
		mid = (lo + hi) / 2;
		if (w->ownk[mid] < h)
			lo = mid + 1;
		else
			hi = mid;
	}
	*isnew = lo == w->nown || w->ownk[lo] != h;
	if (*isnew) {
		memmove(&w->ownk[lo + 1], &w->ownk[lo],
		    (w->nown - lo) * sizeof(w->ownk[0]));
		memmove(&w->ownv[lo + 1], &w->ownv[lo],
		    (w->nown - lo) * sizeof(w->ownv[0]));
		w->ownk[lo] = (uint16_t)h;
		w->nown++;
	}
	w->ownv[lo] = val;
	if ((nn = node_pack(w, d)) == NULL)
		return MM_ENOMEM;
	free(*pp);
	*pp = nn;
	return 0;
}

/* 1 if the first 96 bits are ::ffff:0:0. */
static int
lpm_is_v4(const struct mm_addr *a)
{
	return memcmp(a->b, lpm_v4pfx, sizeof(lpm_v4pfx)) == 0;
}

struct lpm *
lpm_new(void)
{
	return calloc(1, sizeof(struct lpm));
}

void
lpm_free(struct lpm *t)
{
	struct lpm_chunk *c;
	unsigned f, i, j;

	if (t == NULL)
		return;
	for (f = 0; f < 2; f++) {
		if (t->root[f] == NULL)
			continue;
		for (i = 0; i < 256; i++) {
			if ((c = t->root[f]->top[i].chunk) == NULL)
				continue;
			for (j = 0; j < 256; j++)
				node_free(c->slot[j].kid);
			free(c);
		}
		free(t->root[f]);
	}
	free(t->w);
	free(t);
}

/* Number of leading bits `a` and `b` share (0..128). */
static unsigned
lpm_common(const struct mm_addr *a, const struct mm_addr *b)
{
	unsigned i, n = 0;
	uint8_t x;

	for (i = 0; i < 16; i++) {
		if ((x = a->b[i] ^ b->b[i]) == 0) {
			n += 8;
			continue;
		}
		while ((x & 0x80) == 0) {
			n++;
			x <<= 1;
		}
		break;
	}
	return n;
}

/* Depth of the node (of a trie whose nodes start at `top`) that covers
 * bit `bit` (>= top). */
static unsigned
lpm_level(unsigned top, unsigned bit)
{
	return top + (bit - top) / 8 * 8;
}

/*
 * Inserts `key`/len -> val below root slot child *pp, whose nodes start at
 * depth `top` (len > top). Walks down like a lookup; where it leaves the
 * existing nodes it hangs one new node at the prefix's own depth (path
 * compression: no empty nodes in between), and where the key leaves a
 * compressed path it first splits it with a node at the depth where the
 * two diverge (or at the prefix's depth when that is shallower). *isnew
 * tells whether the prefix was absent. Returns 0 or MM_ENOMEM.
 */
static int
trie_put(struct lpm *t, struct lpm_node **pp, const struct mm_addr *key,
    unsigned len, unsigned top, void *val, int *isnew)
{
	struct lpm_node *n, *nn;
	struct lpm_wide *w;
	unsigned c, d = top, nd, sd, i, h, target = lpm_level(top, len - 1);

	if ((w = lpm_scratch(t)) == NULL)
		return MM_ENOMEM;
	h = (1u << (len - target)) | (key->b[target / 8] >>
	    (8 - (len - target)));
	*isnew = 1;
	for (;;) {
		if ((n = *pp) == NULL) {
			if ((nn = node_new_own(w, target, key, h, val)) == NULL)
				return MM_ENOMEM;
			*pp = nn;
			return 0;
		}
		if ((nd = node_depth(n)) > d) {
			c = lpm_common(key, &n->key);
			if (c < nd || target < nd) {
				/* split the compressed path at sd (d <= sd < nd) */
				sd = c < nd ? lpm_level(top, c) : nd;
				if (target < sd)
					sd = target;
				if ((nn = node_new_kid(w, sd, key,
				    n->key.b[sd / 8], n)) == NULL)
					return MM_ENOMEM;
				*pp = n = nn;
				nd = sd;
			}
		}
		d = nd;
		if (target == d)
			return node_put(w, pp, d, h, val, isnew);
		i = key->b[d / 8];
		if (node_has_kid(n, i)) {
			pp = &node_kids(n)[node_kid_idx(n, i)];
			d += 8;
			continue;
		}
		if ((nn = node_new_own(w, target, key, h, val)) == NULL)
			return MM_ENOMEM;
		if (node_add_kid(w, pp, d, i, nn) != 0) {
			free(nn);
			return MM_ENOMEM;
		}
		return 0;
	}
}

/* Writes (val, len) into an expanded root leaf unless a longer prefix is
 * there; equal length means the same prefix, whose value is replaced. */
static void
leaf_widen(struct lpm_leaf *l, void *val, unsigned len)
{
	if (l->val == NULL || l->len <= len) {
		l->val = val;
		l->len = len;
	}
}

int
lpm_insert(struct lpm *t, const struct mm_prefix *p, void *val)
{
	struct mm_addr key;
	struct lpm_root *root;
	struct lpm_chunk *c;
	unsigned len, base, b0, b1, h, i, l;
	int fam, isnew, rc;

	if (t == NULL || p == NULL || val == NULL || p->len > 128)
		return MM_EINVAL;
	len = p->len;
	key = p->addr;
	addr_mask(&key, len);
	fam = len >= LPM_V4_BASE && lpm_is_v4(&key);
	base = fam ? LPM_V4_BASE : 0;
	if (t->root[fam] == NULL &&
	    (t->root[fam] = calloc(1, sizeof(struct lpm_root))) == NULL)
		return MM_ENOMEM;
	root = t->root[fam];
	b0 = key.b[base / 8];
	b1 = key.b[base / 8 + 1];

	if (len <= base + 8) {
		l = len - base;
		h = (1u << l) | (b0 >> (8 - l));
		isnew = root->own[h] == NULL;
		root->own[h] = val;
		for (i = b0; i < b0 + (1u << (8 - l)); i++)
			leaf_widen(&root->top[i].leaf, val, len);
		goto out;
	}
	if ((c = root->top[b0].chunk) == NULL &&
	    (c = root->top[b0].chunk = calloc(1, sizeof(*c))) == NULL)
		return MM_ENOMEM;
	if (len <= base + LPM_ROOT_BITS) {
		l = len - base - 8;
		h = (1u << l) | (b1 >> (8 - l));
		isnew = c->own[h] == NULL;
		c->own[h] = val;
		for (i = b1; i < b1 + (1u << (8 - l)); i++)
			leaf_widen(&c->slot[i].leaf, val, len);
	} else if ((rc = trie_put(t, &c->slot[b1].kid, &key, len,
	    base + LPM_ROOT_BITS, val, &isnew)) != 0)
		return rc;
out:
	if (isnew)
		t->count++;
	return 0;
}

/* Longest leaf for `a` in one trie, or NULL. */
static const struct lpm_leaf *
trie_find(const struct lpm_root *root, const struct mm_addr *a,
    unsigned byte)
{
	const struct lpm_top *tp = &root->top[a->b[byte]];
	const struct lpm_rslot *rs;
	const struct lpm_leaf *best = NULL;
	const struct lpm_node *n;
	const struct lpm_grp *g;
	uint64_t bit;
	unsigned i;

	if (tp->leaf.val != NULL)
		best = &tp->leaf;
	if (tp->chunk == NULL)
		return best;
	rs = &tp->chunk->slot[a->b[byte + 1]];
	if (rs->leaf.val != NULL)
		best = &rs->leaf;
	n = rs->kid;
	for (byte += 2; n != NULL && byte < 16; byte++) {
		i = a->b[byte];
		g = &n->g[i >> 6];
		if (g->depth != byte * 8) {
			/* compressed path: the skipped bytes must match */
			if (memcmp(&a->b[byte], &n->key.b[byte],
			    g->depth / 8 - byte) != 0)
				break;
			byte = g->depth / 8;
			i = a->b[byte];
			g = &n->g[i >> 6];
		}
		bit = (uint64_t)1 << (i & 63);
		if (g->hbm & bit)
			best = &n->leaf[g->lbase +
			    lpm_popc(g->lbm & (bit | (bit - 1))) - 1];
		if ((g->cbm & bit) == 0)
			break;
		n = node_kids(n)[g->cbase + lpm_popc(g->cbm & (bit - 1))];
	}
	return best;
}

void *
lpm_lookup(const struct lpm *t, const struct mm_addr *a,
    struct mm_prefix *matched)
{
	const struct lpm_leaf *best = NULL;

	if (t == NULL || a == NULL)
		return NULL;
	if (t->root[1] != NULL && lpm_is_v4(a))
		best = trie_find(t->root[1], a, LPM_V4_BASE / 8);
	if (best == NULL && t->root[0] != NULL)
		best = trie_find(t->root[0], a, 0);
	if (best == NULL)
		return NULL;
	if (matched != NULL) {
		matched->addr = *a;
		addr_mask(&matched->addr, best->len);
		matched->len = (uint8_t)best->len;
	}
	return best->val;
}

void *
lpm_get(const struct lpm *t, const struct mm_prefix *p)
{
	const struct lpm_root *root;
	const struct lpm_chunk *c;
	const struct lpm_node *n;
	struct mm_addr key;
	unsigned len, base, b0, b1, d, l, nd, target;
	int fam;

	if (t == NULL || p == NULL || p->len > 128)
		return NULL;
	len = p->len;
	key = p->addr;
	addr_mask(&key, len);
	fam = len >= LPM_V4_BASE && lpm_is_v4(&key);
	base = fam ? LPM_V4_BASE : 0;
	if ((root = t->root[fam]) == NULL)
		return NULL;
	b0 = key.b[base / 8];
	b1 = key.b[base / 8 + 1];
	if (len <= base + 8) {
		l = len - base;
		return root->own[(1u << l) | (b0 >> (8 - l))];
	}
	if ((c = root->top[b0].chunk) == NULL)
		return NULL;
	if (len <= base + LPM_ROOT_BITS) {
		l = len - base - 8;
		return c->own[(1u << l) | (b1 >> (8 - l))];
	}
	target = lpm_level(base + LPM_ROOT_BITS, len - 1);
	n = c->slot[b1].kid;
	for (d = base + LPM_ROOT_BITS; n != NULL; d += 8) {
		if ((nd = node_depth(n)) > target)
			return NULL;
		if (nd > d && memcmp(&key.b[d / 8], &n->key.b[d / 8],
		    (nd - d) / 8) != 0)
			return NULL;
		if ((d = nd) == target) {
			l = len - d;
			return node_own(n, (1u << l) |
			    (key.b[d / 8] >> (8 - l)));
		}
		if (!node_has_kid(n, key.b[d / 8]))
			return NULL;
		n = node_kids(n)[node_kid_idx(n, key.b[d / 8])];
	}
	return NULL;
}

size_t
lpm_count(const struct lpm *t)
{
	return t == NULL ? 0 : t->count;
}
