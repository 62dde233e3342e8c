/*
 * kmap.h - a small open-addressing hash table of fixed-size records keyed
 * by their first `klen` bytes, private to the C&C detector.
 *
 * Records live in chunks of KMAP_CHUNK records (never moved, so a pointer
 * stays valid until kmap_free(); no doubling waste). Slots are 4 bytes:
 * 8 bits of the hash as a tag and the record index + 1 in 24 bits, so a
 * probe touches a record only when the tag matches (1 in 256 otherwise).
 * Linear probing at a load factor of at most 3/4. Cost: O(1) expected per
 * lookup/insert; memory esz bytes per record (rounded up to whole chunks)
 * plus 5.3-10.7 bytes of slots. At most KMAP_MAX records. Not thread-safe.
 */
#ifndef MAMORI_C2_KMAP_H
#define MAMORI_C2_KMAP_H

#include <stddef.h>
#include <stdint.h>

#define KMAP_CHUNK_SHIFT	12
#define KMAP_CHUNK		(1u << KMAP_CHUNK_SHIFT)
#define KMAP_MAX		((1u << 24) - 2)

struct kmap {
	uint8_t		**chunk;	/* nchunk chunks of KMAP_CHUNK records */
	size_t		 nchunk;
	size_t		 esz, klen;
	size_t		 n;
	uint32_t	*slot;		/* tag << 24 | (index + 1); 0 = empty */
	size_t		 mask;		/* nslots - 1 */
};

/* 64-bit hash of `len` bytes. */
uint64_t kmap_hash(const void *key, size_t len);
/* Sets up an empty table for records of `esz` bytes keyed by the first
 * `klen`. No allocation. */
void	kmap_init(struct kmap *m, size_t esz, size_t klen);
/* Frees; NULL-safe. */
void	kmap_free(struct kmap *m);
/*
 * Finds the record whose key equals `rec`'s first klen bytes (hash `h` from
 * kmap_hash()). When absent and `create`, appends a copy of the whole `rec`
 * and sets *added. Returns the record index, -1 when absent (no create), or
 * -2 on allocation failure / more than KMAP_MAX records.
 */
int64_t	kmap_find(struct kmap *m, const void *rec, uint64_t h, int create,
	    int *added);
/* Pointer to record i (stable until kmap_free()). */
static inline void *
kmap_at(const struct kmap *m, size_t i)
{
	return m->chunk[i >> KMAP_CHUNK_SHIFT] +
	    (i & (KMAP_CHUNK - 1)) * m->esz;
}
/* Bytes allocated. */
size_t	kmap_bytes(const struct kmap *m);

#endif
