/*
 * wbuf.c - bounds-checked big/little-endian byte writer (see wbuf.h).
 *
 * The check is one comparison per put against the room left; values are
 * stored byte by byte with shifts so the code is endian-neutral and never
 * performs an unaligned access.
 */
#include <string.h>

#include "core/err.h"
#include "flow/wbuf.h"

void
wbuf_init(struct wbuf *w, void *p, size_t cap)
{
	w->p = p;
	w->cap = p != NULL ? cap : 0;
	w->len = 0;
	w->err = 0;
}

size_t
wbuf_left(const struct wbuf *w)
{
	return w->cap - w->len;
}

static int
wbuf_room(struct wbuf *w, size_t n)
{
	if (w->cap - w->len < n) {
		if (w->err == 0)
			w->err = MM_ELIMIT;
		return MM_ELIMIT;
	}
	return 0;
}

int
put_uint_n(struct wbuf *w, size_t n, uint64_t v)
{
	size_t i;

	if (n == 0 || n > 8) {
		if (w->err == 0)
			w->err = MM_EINVAL;
		return MM_EINVAL;
	}
	if (wbuf_room(w, n) != 0)
		return MM_ELIMIT;
	for (i = 0; i < n; i++)
		w->p[w->len + i] = (uint8_t)(v >> (8 * (n - 1 - i)));
	w->len += n;
	return 0;
}

int
put_u8(struct wbuf *w, uint8_t v)
{
	if (wbuf_room(w, 1) != 0)
		return MM_ELIMIT;
	w->p[w->len++] = v;
	return 0;
}

int
put_u16(struct wbuf *w, uint16_t v)
{
	if (wbuf_room(w, 2) != 0)
		return MM_ELIMIT;
	w->p[w->len] = (uint8_t)(v >> 8);
	w->p[w->len + 1] = (uint8_t)v;
	w->len += 2;
	return 0;
}

int
put_u32(struct wbuf *w, uint32_t v)
{
	if (wbuf_room(w, 4) != 0)
		return MM_ELIMIT;
	w->p[w->len] = (uint8_t)(v >> 24);
	w->p[w->len + 1] = (uint8_t)(v >> 16);
	w->p[w->len + 2] = (uint8_t)(v >> 8);
	w->p[w->len + 3] = (uint8_t)v;
	w->len += 4;
	return 0;
}

int
put_u64(struct wbuf *w, uint64_t v)
{
	return put_uint_n(w, 8, v);
}

int
put_u16_le(struct wbuf *w, uint16_t v)
{
	if (wbuf_room(w, 2) != 0)
		return MM_ELIMIT;
	w->p[w->len] = (uint8_t)v;
	w->p[w->len + 1] = (uint8_t)(v >> 8);
	w->len += 2;
	return 0;
}

int
put_u32_le(struct wbuf *w, uint32_t v)
{
	size_t i;

	if (wbuf_room(w, 4) != 0)
		return MM_ELIMIT;
	for (i = 0; i < 4; i++)
		w->p[w->len + i] = (uint8_t)(v >> (8 * i));
	w->len += 4;
	return 0;
}

int
put_u64_le(struct wbuf *w, uint64_t v)
{
	size_t i;

	if (wbuf_room(w, 8) != 0)
		return MM_ELIMIT;
	for (i = 0; i < 8; i++)
		w->p[w->len + i] = (uint8_t)(v >> (8 * i));
	w->len += 8;
	return 0;
}

int
put_bytes(struct wbuf *w, const void *src, size_t n)
{
	if (wbuf_room(w, n) != 0)
		return MM_ELIMIT;
	if (n > 0)
		memcpy(w->p + w->len, src, n);
	w->len += n;
	return 0;
}

int
put_zero(struct wbuf *w, size_t n)
{
	if (wbuf_room(w, n) != 0)
		return MM_ELIMIT;
	if (n > 0)
		memset(w->p + w->len, 0, n);
	w->len += n;
	return 0;
}

uint8_t *
wbuf_reserve(struct wbuf *w, size_t n)
{
	uint8_t *p;

	if (wbuf_room(w, n) != 0)
		return NULL;
	p = w->p + w->len;
	w->len += n;
	return p;
}

int
put_u16_at(struct wbuf *w, size_t off, uint16_t v)
{
	if (off > w->len || w->len - off < 2)
		return MM_ELIMIT;
	w->p[off] = (uint8_t)(v >> 8);
	w->p[off + 1] = (uint8_t)v;
	return 0;
}

int
put_u32_at(struct wbuf *w, size_t off, uint32_t v)
{
	if (off > w->len || w->len - off < 4)
		return MM_ELIMIT;
	w->p[off] = (uint8_t)(v >> 24);
	w->p[off + 1] = (uint8_t)(v >> 16);
	w->p[off + 2] = (uint8_t)(v >> 8);
	w->p[off + 3] = (uint8_t)v;
	return 0;
}
