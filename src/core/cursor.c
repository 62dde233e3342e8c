/*
 * cursor.c - bounds-checked reads. See cursor.h. Every getter is O(1) but
 * get_bytes (O(n)); none allocates.
 */
#include <string.h>

#include "core/cursor.h"
#include "core/err.h"

void
cur_init(struct cursor *c, const void *p, size_t len)
{
	c->p = p;
	c->len = p == NULL ? 0 : len;
	c->off = 0;
	c->err = 0;
}

size_t
cur_left(const struct cursor *c)
{
	return c->len - c->off;
}

const uint8_t *
cur_ptr(const struct cursor *c)
{
	/* NULL + 0 is undefined behaviour in C; an empty cursor has no bytes */
	if (c->p == NULL)
		return NULL;
	return c->p + c->off;
}

static int
cur_need(struct cursor *c, size_t n)
{
	if (c->err != 0)
		return c->err;
	if (n > c->len - c->off) {
		c->err = MM_ETRUNC;
		return MM_ETRUNC;
	}
	return 0;
}

int
get_uint_n(struct cursor *c, size_t n, uint64_t *v)
{
	uint64_t x = 0;
	size_t i;

	if (c->err != 0)
		return c->err;
	if (n == 0 || n > 8)
		return c->err = MM_EINVAL;
	if (cur_need(c, n))
		return c->err;
	for (i = 0; i < n; i++)
		x = (x << 8) | c->p[c->off + i];
	c->off += n;
	*v = x;
	return 0;
}

int
get_u8(struct cursor *c, uint8_t *v)
{
	if (cur_need(c, 1))
		return c->err;
	*v = c->p[c->off++];
	return 0;
}

int
get_u16(struct cursor *c, uint16_t *v)
{
	uint64_t x = 0;
	int rc = get_uint_n(c, 2, &x);

	if (rc == 0)
		*v = (uint16_t)x;
	return rc;
}

int
get_u24(struct cursor *c, uint32_t *v)
{
	uint64_t x = 0;
	int rc = get_uint_n(c, 3, &x);

	if (rc == 0)
		*v = (uint32_t)x;
	return rc;
}

int
get_u32(struct cursor *c, uint32_t *v)
{
	uint64_t x = 0;
	int rc = get_uint_n(c, 4, &x);

	if (rc == 0)
		*v = (uint32_t)x;
	return rc;
}

int
get_u64(struct cursor *c, uint64_t *v)
{
	return get_uint_n(c, 8, v);
}

static int
get_le(struct cursor *c, size_t n, uint64_t *v)
{
	uint64_t x = 0;
	size_t i;

	if (cur_need(c, n))
		return c->err;
	for (i = n; i > 0; i--)
		x = (x << 8) | c->p[c->off + i - 1];
	c->off += n;
	*v = x;
	return 0;
}

int
get_u16_le(struct cursor *c, uint16_t *v)
{
	uint64_t x = 0;
	int rc = get_le(c, 2, &x);

	if (rc == 0)
		*v = (uint16_t)x;
	return rc;
}

int
get_u32_le(struct cursor *c, uint32_t *v)
{
	uint64_t x = 0;
	int rc = get_le(c, 4, &x);

	if (rc == 0)
		*v = (uint32_t)x;
	return rc;
}

int
get_u64_le(struct cursor *c, uint64_t *v)
{
	return get_le(c, 8, v);
}

int
get_bytes(struct cursor *c, void *dst, size_t n)
{
	if (cur_need(c, n))
		return c->err;
	if (dst != NULL && n > 0)
		memcpy(dst, cur_ptr(c), n);
	c->off += n;
	return 0;
}

int
cur_skip(struct cursor *c, size_t n)
{
	return get_bytes(c, NULL, n);
}

int
get_sub(struct cursor *c, size_t n, struct cursor *sub)
{
	if (cur_need(c, n)) {
		/* a failed carve yields an empty, failed child, never garbage */
		cur_init(sub, NULL, 0);
		sub->err = c->err;
		return c->err;
	}
	cur_init(sub, cur_ptr(c), n);
	c->off += n;
	return 0;
}
