/*
 * lpm.c - path-compressed binary trie; see lpm.h for the costs.
 *
 * Every node holds a prefix (key, len). Children extend the parent's prefix by
 * at least one bit; the child taken is the bit of the key at position
 * parent->len. Nodes without a value are pure branch nodes created when two
 * prefixes diverge. Recursion depth in lpm_free is bounded by 129 levels.
 */
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "core/lpm.h"

struct lpm_node {
	struct mm_addr	 key;
	unsigned	 len;
	void		*val;
	struct lpm_node	*child[2];
};

struct lpm {
	struct lpm_node	*root;
	size_t		 count;
};

static int
lpm_bit(const struct mm_addr *a, unsigned pos)
{
	return (a->b[pos >> 3] >> (7 - (pos & 7))) & 1;
}

/* Number of leading bits `a` and `b` share (0..128). */
static unsigned
lpm_common(const struct mm_addr *a, const struct mm_addr *b)
{
	unsigned i, n = 0;
	uint8_t x;

	for (i = 0; i < 16; i++) {
		x = a->b[i] ^ b->b[i];
		if (x == 0) {
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

struct lpm *
lpm_new(void)
{
	return calloc(1, sizeof(struct lpm));
}

static void
lpm_node_free(struct lpm_node *n)
{
	if (n == NULL)
		return;
	lpm_node_free(n->child[0]);
	lpm_node_free(n->child[1]);
	free(n);
}

void
lpm_free(struct lpm *t)
{
	if (t == NULL)
		return;
	lpm_node_free(t->root);
	free(t);
}

static struct lpm_node *
lpm_node_new(const struct mm_addr *key, unsigned len, void *val)
{
	struct lpm_node *n = calloc(1, sizeof(*n));

	if (n == NULL)
		return NULL;
	n->key = *key;
	addr_mask(&n->key, len);
	n->len = len;
	n->val = val;
	return n;
}

int
lpm_insert(struct lpm *t, const struct mm_prefix *p, void *val)
{
	struct lpm_node **pp, *n, *nn, *br;
	unsigned common, plen;

	if (t == NULL || p == NULL || val == NULL || p->len > 128)
		return MM_EINVAL;
	plen = p->len;
	pp = &t->root;
	while ((n = *pp) != NULL) {
		common = lpm_common(&n->key, &p->addr);
		if (common > n->len)
			common = n->len;
		if (common > plen)
			common = plen;
		if (common < n->len) {
			if ((nn = lpm_node_new(&p->addr, plen, val)) == NULL)
				return MM_ENOMEM;
			if (common == plen) {
				/* new prefix sits above n */
				nn->child[lpm_bit(&n->key, plen)] = n;
				*pp = nn;
			} else {
				br = lpm_node_new(&p->addr, common, NULL);
				if (br == NULL) {
					free(nn);
					return MM_ENOMEM;
				}
				br->child[lpm_bit(&n->key, common)] = n;
				br->child[lpm_bit(&p->addr, common)] = nn;
				*pp = br;
			}
			t->count++;
			return 0;
		}
		if (n->len == plen) {
			if (n->val == NULL)
				t->count++;
			n->val = val;
			return 0;
		}
		pp = &n->child[lpm_bit(&p->addr, n->len)];
	}
	if ((*pp = lpm_node_new(&p->addr, plen, val)) == NULL)
		return MM_ENOMEM;
	t->count++;
	return 0;
}

void *
lpm_lookup(const struct lpm *t, const struct mm_addr *a,
    struct mm_prefix *matched)
{
	const struct lpm_node *n, *best = NULL;

	if (t == NULL || a == NULL)
		return NULL;
	for (n = t->root; n != NULL; n = n->child[lpm_bit(a, n->len)]) {
		if (lpm_common(&n->key, a) < n->len)
			break;
		if (n->val != NULL)
			best = n;
		if (n->len >= 128)
			break;
	}
	if (best == NULL)
		return NULL;
	if (matched != NULL) {
		matched->addr = best->key;
		matched->len = (uint8_t)best->len;
	}
	return best->val;
}

void *
lpm_get(const struct lpm *t, const struct mm_prefix *p)
{
	const struct lpm_node *n;

	if (t == NULL || p == NULL)
		return NULL;
	for (n = t->root; n != NULL; n = n->child[lpm_bit(&p->addr, n->len)]) {
		if (n->len > p->len || lpm_common(&n->key, &p->addr) < n->len)
			return NULL;
		if (n->len == p->len)
			return n->val;
	}
	return NULL;
}

size_t
lpm_count(const struct lpm *t)
{
	return t == NULL ? 0 : t->count;
}
