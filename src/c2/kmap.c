/*
 * kmap.c - fixed-size-record hash table for the C&C detector (see kmap.h).
 *
 * Linear probing over a power-of-two slot array at load <= 3/4 with an
 * 8-bit hash tag per slot; the hash of a record is recomputed from its key
 * when the slot array doubles, so no hash is stored per record. Records
 * are appended to fixed-size chunks.
 */
#include <stdlib.h>
#include <string.h>

#include "c2/kmap.h"

static uint64_t
mix64(uint64_t x)
{
	x ^= x >> 30;
	x *= 0xbf58476d1ce4e5b9ULL;
	x ^= x >> 27;
	x *= 0x94d049bb133111ebULL;
	x ^= x >> 31;
	return x;
}

uint64_t
kmap_hash(const void *key, size_t len)
{
	const uint8_t *p = key;
	uint64_t h = 0x9e3779b97f4a7c15ULL ^ len, w;

	while (len >= 8) {
		memcpy(&w, p, 8);
		h = (h ^ w) * 0x9e3779b97f4a7c15ULL;
		h ^= h >> 29;
		p += 8;
		len -= 8;
	}
	if (len > 0) {
		w = 0;
		memcpy(&w, p, len);
		h = (h ^ w ^ 0xff) * 0x9e3779b97f4a7c15ULL;
	}
	return mix64(h);
}

void
kmap_init(struct kmap *m, size_t esz, size_t klen)
{
	memset(m, 0, sizeof(*m));
	m->esz = esz;
	m->klen = klen;
}

void
kmap_free(struct kmap *m)
{
	size_t i;

	if (m == NULL)
		return;
	for (i = 0; i < m->nchunk; i++)
		free(m->chunk[i]);
	free(m->chunk);
	free(m->slot);
	m->chunk = NULL;
	m->slot = NULL;
	m->n = m->nchunk = m->mask = 0;
}

size_t
kmap_bytes(const struct kmap *m)
{
	return m->nchunk * (KMAP_CHUNK * m->esz + sizeof(uint8_t *)) +
	    (m->slot != NULL ? (m->mask + 1) * 4 : 0);
}

static uint32_t
tag_of(uint64_t h)
{
	return (uint32_t)(h >> 56) << 24;
}

static int
kmap_rehash(struct kmap *m, size_t nslots)
{
	uint32_t *ns;
	size_t i, j, mask = nslots - 1;

	if ((ns = calloc(nslots, sizeof(*ns))) == NULL)
		return -1;
	for (i = 0; i < m->n; i++) {
		uint64_t h = kmap_hash(kmap_at(m, i), m->klen);

		j = h & mask;
		while (ns[j] != 0)
			j = (j + 1) & mask;
		ns[j] = tag_of(h) | (uint32_t)(i + 1);
	}
	free(m->slot);
	m->slot = ns;
	m->mask = mask;
	return 0;
}

int64_t
kmap_find(struct kmap *m, const void *rec, uint64_t h, int create,
    int *added)
{
	uint32_t s, tag = tag_of(h);
	size_t j;

	if (added != NULL)
		*added = 0;
	if (m->slot != NULL) {
		j = h & m->mask;
		while ((s = m->slot[j]) != 0) {
			if ((s & 0xff000000u) == tag) {
				size_t i = (s & 0xffffffu) - 1;

				if (memcmp(kmap_at(m, i), rec, m->klen) == 0)
					return (int64_t)i;
			}
			j = (j + 1) & m->mask;
		}
	}
	if (!create)
		return -1;
	if (m->n >= KMAP_MAX)
		return -2;
	if ((m->n >> KMAP_CHUNK_SHIFT) == m->nchunk) {
		uint8_t **nc = realloc(m->chunk,
		    (m->nchunk + 1) * sizeof(*nc));

		if (nc == NULL)
			return -2;
		m->chunk = nc;
		if ((nc[m->nchunk] = malloc(KMAP_CHUNK * m->esz)) == NULL)
			return -2;
		m->nchunk++;
	}
	if (m->slot == NULL || (m->n + 1) * 4 > (m->mask + 1) * 3) {
		if (kmap_rehash(m, m->slot == NULL ? 64 :
		    (m->mask + 1) * 2) != 0)
			return -2;
	}
	memcpy(kmap_at(m, m->n), rec, m->esz);
	j = h & m->mask;
	while (m->slot[j] != 0)
		j = (j + 1) & m->mask;
	m->slot[j] = tag | (uint32_t)(m->n + 1);
	if (added != NULL)
		*added = 1;
	return (int64_t)m->n++;
}
