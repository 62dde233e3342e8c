/*
 * wbuf.h - a small bounds-checked byte writer, the mirror of core/cursor.h.
 *
 * A wbuf is a caller-owned window [p, p+cap) and a write offset. Every put
 * checks the room left first; on overflow it writes nothing, returns
 * MM_ELIMIT and marks the writer failed (`w->err`), so a run of puts may be
 * checked once at the end. Multi-byte puts write network (big-endian) order
 * by explicit shifts (never by casting structs onto the buffer); the _le
 * variants write little-endian. put_u16_at()/put_u32_at() patch a value
 * written earlier (set lengths, record counts) without moving the offset.
 * Every operation is O(1) except put_bytes/put_zero (O(n)).
 */
#ifndef MAMORI_FLOW_WBUF_H
#define MAMORI_FLOW_WBUF_H

#include <stddef.h>
#include <stdint.h>

struct wbuf {
	uint8_t	*p;
	size_t	 cap;
	size_t	 len;
	int	 err;	/* 0, or MM_ELIMIT once a put did not fit */
};

/* Initialises `w` over `cap` bytes at `p` (owned by the caller), empty. */
void	wbuf_init(struct wbuf *w, void *p, size_t cap);
/* Bytes that can still be written. */
size_t	wbuf_left(const struct wbuf *w);

/* Appends; each returns 0 or MM_ELIMIT (nothing written, w->err set). */
int	put_u8(struct wbuf *w, uint8_t v);
int	put_u16(struct wbuf *w, uint16_t v);
int	put_u32(struct wbuf *w, uint32_t v);
int	put_u64(struct wbuf *w, uint64_t v);
int	put_u16_le(struct wbuf *w, uint16_t v);
int	put_u32_le(struct wbuf *w, uint32_t v);
int	put_u64_le(struct wbuf *w, uint64_t v);
/* Big-endian unsigned of 1..8 bytes (the low `n` bytes of v). */
int	put_uint_n(struct wbuf *w, size_t n, uint64_t v);
/* Copies `n` bytes from `src`. */
int	put_bytes(struct wbuf *w, const void *src, size_t n);
/* Appends `n` zero bytes (padding). */
int	put_zero(struct wbuf *w, size_t n);

/* Reserves `n` bytes and returns where they start, for a caller that then
 * fills exactly those bytes (one bounds check for a whole fixed-size
 * record); NULL and MM_ELIMIT in w->err when they do not fit. */
uint8_t	*wbuf_reserve(struct wbuf *w, size_t n);

/* Overwrite at offset `off` (< w->len) without moving; 0 or MM_ELIMIT. */
int	put_u16_at(struct wbuf *w, size_t off, uint16_t v);
int	put_u32_at(struct wbuf *w, size_t off, uint32_t v);

#endif
