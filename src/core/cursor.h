/*
 * cursor.h - the bounds-checked byte cursor through which all untrusted input
 * (packets, files, HTTP bodies, imports) is read.
 *
 * A cursor is a window [p, p+len) and a read offset. Every getter checks the
 * remaining length first and, on short input, returns MM_ETRUNC, leaves the
 * output untouched and marks the cursor failed (`c->err`), so a sequence of
 * reads may be checked once at the end. Multi-byte getters read network
 * (big-endian) order; the _le variants read little-endian (used by the store).
 * get_sub() carves a child cursor of exactly `n` bytes and advances the parent
 * past it: nested structures (sets, records, samples) are parsed through
 * sub-cursors so a bad inner length can never read outside its parent.
 * All operations are O(1) except get_bytes (O(n)).
 */
#ifndef MAMORI_CORE_CURSOR_H
#define MAMORI_CORE_CURSOR_H

#include <stddef.h>
#include <stdint.h>

struct cursor {
	const uint8_t	*p;
	size_t		 len;
	size_t		 off;
	int		 err;	/* 0, or the first error met */
};

/* Initialises `c` over `len` bytes at `p` (which the caller keeps alive). */
void	cur_init(struct cursor *c, const void *p, size_t len);
/* Bytes not yet read. */
size_t	cur_left(const struct cursor *c);
/* Pointer to the next unread byte (valid for cur_left() bytes). */
const uint8_t *cur_ptr(const struct cursor *c);

int	get_u8(struct cursor *c, uint8_t *v);
int	get_u16(struct cursor *c, uint16_t *v);
int	get_u24(struct cursor *c, uint32_t *v);
int	get_u32(struct cursor *c, uint32_t *v);
int	get_u64(struct cursor *c, uint64_t *v);
int	get_u16_le(struct cursor *c, uint16_t *v);
int	get_u32_le(struct cursor *c, uint32_t *v);
int	get_u64_le(struct cursor *c, uint64_t *v);
/* Big-endian unsigned integer of 1..8 bytes (IPFIX reduced-size encoding). */
int	get_uint_n(struct cursor *c, size_t n, uint64_t *v);
/* Copies `n` bytes into `dst` (may be NULL to skip). */
int	get_bytes(struct cursor *c, void *dst, size_t n);
int	cur_skip(struct cursor *c, size_t n);
/* Child cursor over the next `n` bytes; the parent advances past them. On
 * failure `sub` is set to an empty cursor carrying the error. */
int	get_sub(struct cursor *c, size_t n, struct cursor *sub);

#endif
