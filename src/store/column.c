/*
 * column.c - the column codec of the flow store, plus the small helpers the
 * writer and reader share (byte buffer, CRC32C, Bloom hash).
 *
 * Approach. Before a column is handed to zstd/lz4 it is rewritten so that the
 * compressor sees long runs of similar bytes:
 *
 *   CT_CONST   every row holds the same value: the value is stored once
 *              (8 bytes for integers and times, 16 for addresses).
 *   CT_PLANES  integers and times: frame of reference. The block minimum is
 *              the base; each row stores (v - base) in the smallest width w
 *              that fits the largest difference, as w byte planes (all low
 *              bytes, then all second bytes, ...). Times are signed (the
 *              minimum is taken as int64); `last` is first stored as
 *              last - first, so a typical duration takes one or two bytes.
 *              Byte planes turn the slowly varying high bytes into runs that
 *              the entropy coder squeezes to almost nothing.
 *   CT_DELTA   integers and times whose row-to-row differences are
 *              narrower than their range (sorted or slowly drifting
 *              columns, e.g. `first` in a block sorted by time): the first
 *              value, the smallest difference dmin, then planes of
 *              (v[i] - v[i-1] - dmin). Chosen when its width is smaller.
 *   CT_ADDR    addresses: a class per row (0 none, 1 IPv4, 2 IPv6), stored
 *              once when all rows share it; then the 4-byte IPv4 values as
 *              4 byte planes and the IPv6 values as 16 byte planes.
 *
 * Raw layouts (all little-endian):
 *   CONST  u64 value | 16 address bytes
 *   PLANES u64 base, u8 width, width * n plane bytes
 *   DELTA  u64 v[0], u64 dmin, u8 width, width * n plane bytes (row 0: 0)
 *   ADDR   u8 mode (0 one class, 1 per row), u8 class | n class bytes,
 *          4 * n4 plane bytes (address byte 12..15), 16 * n6 plane bytes
 *
 * Cost: encoding is O(n) with one temporary array; decoding is O(n * width)
 * in straight loops over arrays (no per-row calls) and verifies every length
 * against n before touching memory, so a corrupt section can only produce an
 * error, never an out-of-bounds access.
 *
 * CRC32C is the byte-wise table-driven algorithm (reflected polynomial
 * 0x82F63B78) processed eight bytes per step ("slicing by 8").
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "store/column.h"

/* ---- byte buffer ---- */

int
sbuf_reserve(struct sbuf *s, size_t n)
{
	size_t cap;
	uint8_t *p;

	if (n <= s->cap - s->len)
		return 0;
	if (n > SIZE_MAX / 2 - s->len)
		return MM_ENOMEM;
	cap = s->cap < 4096 ? 4096 : s->cap;
	while (cap - s->len < n)
		cap *= 2;
	if ((p = realloc(s->p, cap)) == NULL)
		return MM_ENOMEM;
	s->p = p;
	s->cap = cap;
	return 0;
}

int
sbuf_put(struct sbuf *s, const void *p, size_t n)
{
	if (sbuf_reserve(s, n))
		return MM_ENOMEM;
	if (n > 0)
		memcpy(s->p + s->len, p, n);
	s->len += n;
	return 0;
}

void
le_put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

void
le_put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}

void
le_put64(uint8_t *p, uint64_t v)
{
	le_put32(p, (uint32_t)v);
	le_put32(p + 4, (uint32_t)(v >> 32));
}

int
sbuf_put_u8(struct sbuf *s, uint8_t v)
{
	return sbuf_put(s, &v, 1);
}

int
sbuf_put_u16(struct sbuf *s, uint16_t v)
{
	uint8_t b[2];

	le_put16(b, v);
	return sbuf_put(s, b, 2);
}

int
sbuf_put_u32(struct sbuf *s, uint32_t v)
{
	uint8_t b[4];

	le_put32(b, v);
	return sbuf_put(s, b, 4);
}

int
sbuf_put_u64(struct sbuf *s, uint64_t v)
{
	uint8_t b[8];

	le_put64(b, v);
	return sbuf_put(s, b, 8);
}

void
sbuf_free(struct sbuf *s)
{
	free(s->p);
	s->p = NULL;
	s->len = s->cap = 0;
}

/* ---- CRC32C ---- */

/*
 * The slicing-by-8 tables are built once per process. pthread_once() makes
 * the first use safe from several query threads at once (a plain "ready"
 * flag would be a data race in C11 even though the tables written are
 * equal); afterwards the tables are read-only.
 */
static uint32_t crc_tab[8][256];
static pthread_once_t crc_once = PTHREAD_ONCE_INIT;

static void
crc_init(void)
{
	uint32_t c;
	unsigned i, j;

	for (i = 0; i < 256; i++) {
		c = i;
		for (j = 0; j < 8; j++)
			c = (c & 1) ? (c >> 1) ^ 0x82f63b78u : c >> 1;
		crc_tab[0][i] = c;
	}
	for (i = 0; i < 256; i++) {
		c = crc_tab[0][i];
		for (j = 1; j < 8; j++) {
			c = crc_tab[0][c & 0xff] ^ (c >> 8);
			crc_tab[j][i] = c;
		}
	}
}

uint32_t
crc32c(uint32_t crc, const void *buf, size_t n)
{
	const uint8_t *p = buf;
	uint32_t c = ~crc, lo, hi;

	(void)pthread_once(&crc_once, crc_init);
	while (n >= 8) {
		lo = c ^ ((uint32_t)p[0] | (uint32_t)p[1] << 8 |
		    (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24);
		hi = (uint32_t)p[4] | (uint32_t)p[5] << 8 |
		    (uint32_t)p[6] << 16 | (uint32_t)p[7] << 24;
		c = crc_tab[7][lo & 0xff] ^ crc_tab[6][(lo >> 8) & 0xff] ^
		    crc_tab[5][(lo >> 16) & 0xff] ^ crc_tab[4][lo >> 24] ^
		    crc_tab[3][hi & 0xff] ^ crc_tab[2][(hi >> 8) & 0xff] ^
		    crc_tab[1][(hi >> 16) & 0xff] ^ crc_tab[0][hi >> 24];
		p += 8;
		n -= 8;
	}
	while (n-- > 0)
		c = crc_tab[0][(c ^ *p++) & 0xff] ^ (c >> 8);
	return ~c;
}

/* ---- Bloom filter ---- */

static uint64_t
fmix64(uint64_t h)
{
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdULL;
	h ^= h >> 33;
	h *= 0xc4ceb9fe1a85ec53ULL;
	h ^= h >> 33;
	return h;
}

uint64_t
bloom_hash(const struct mm_addr *a)
{
	uint64_t x = 0, y = 0;
	int i;

	for (i = 7; i >= 0; i--) {
		x = (x << 8) | a->b[i];
		y = (y << 8) | a->b[8 + i];
	}
	return fmix64(x * 0x9e3779b97f4a7c15ULL ^ fmix64(y + 0x632be59bd9b4e019ULL));
}

void
bloom_add(uint8_t *bits, uint32_t m, unsigned k, uint64_t h)
{
	uint32_t h1 = (uint32_t)h, h2 = (uint32_t)(h >> 32) | 1, x, bit;
	unsigned i;

	for (i = 0; i < k; i++) {
		x = h1 + i * h2;
		bit = (uint32_t)(((uint64_t)x * m) >> 32);
		bits[bit >> 3] |= (uint8_t)(1u << (bit & 7));
	}
}

int
bloom_test(const uint8_t *bits, uint32_t m, unsigned k, uint64_t h)
{
	uint32_t h1 = (uint32_t)h, h2 = (uint32_t)(h >> 32) | 1, x, bit;
	unsigned i;

	for (i = 0; i < k; i++) {
		x = h1 + i * h2;
		bit = (uint32_t)(((uint64_t)x * m) >> 32);
		if ((bits[bit >> 3] & (1u << (bit & 7))) == 0)
			return 0;
	}
	return 1;
}

/* ---- column kinds ---- */

enum col_kind { CK_TIME, CK_ADDR, CK_U64, CK_U32, CK_U16, CK_U8 };

static enum col_kind
col_kind(enum flow_col c)
{
	switch (c) {
	case FCOL_FIRST:
	case FCOL_LAST:
		return CK_TIME;
	case FCOL_SRC:
	case FCOL_DST:
	case FCOL_NEXTHOP:
	case FCOL_EXPORTER:
		return CK_ADDR;
	case FCOL_PACKETS:
	case FCOL_BYTES:
		return CK_U64;
	case FCOL_SRC_AS:
	case FCOL_DST_AS:
	case FCOL_IN_IF:
	case FCOL_OUT_IF:
	case FCOL_SAMPLING:
		return CK_U32;
	case FCOL_SRC_PORT:
	case FCOL_DST_PORT:
	case FCOL_VLAN:
		return CK_U16;
	default:
		return CK_U8;
	}
}

static struct mm_addr *
col_addr(const struct flow_block *b, enum flow_col c)
{
	switch (c) {
	case FCOL_SRC:
		return b->src;
	case FCOL_DST:
		return b->dst;
	case FCOL_NEXTHOP:
		return b->nexthop;
	default:
		return b->exporter;
	}
}

static void *
col_array(const struct flow_block *b, enum flow_col c)
{
	switch (c) {
	case FCOL_FIRST:	return b->first;
	case FCOL_LAST:		return b->last;
	case FCOL_PACKETS:	return b->packets;
	case FCOL_BYTES:	return b->bytes;
	case FCOL_SRC_AS:	return b->src_as;
	case FCOL_DST_AS:	return b->dst_as;
	case FCOL_IN_IF:	return b->in_if;
	case FCOL_OUT_IF:	return b->out_if;
	case FCOL_SAMPLING:	return b->sampling;
	case FCOL_SRC_PORT:	return b->src_port;
	case FCOL_DST_PORT:	return b->dst_port;
	case FCOL_VLAN:		return b->vlan;
	case FCOL_PROTO:	return b->proto;
	case FCOL_TCP_FLAGS:	return b->tcp_flags;
	case FCOL_TOS:		return b->tos;
	case FCOL_DIRECTION:	return b->direction;
	case FCOL_SRC_MASK:	return b->src_mask;
	case FCOL_DST_MASK:	return b->dst_mask;
	default:		return col_addr(b, c);
	}
}

size_t
column_raw_max(enum flow_col c, size_t n)
{
	if (col_kind(c) == CK_ADDR)
		return 18 + 17 * n;
	return 24 + 8 * n;
}

/* Widens column `c` into `v` (times as their two's complement bits). */
static void
col_to_u64(const struct flow_block *b, enum flow_col c, uint64_t *v)
{
	size_t i, n = b->n;

	switch (col_kind(c)) {
	case CK_TIME:
		if (c == FCOL_LAST) {
			for (i = 0; i < n; i++)
				v[i] = (uint64_t)b->last[i] -
				    (uint64_t)b->first[i];
		} else {
			for (i = 0; i < n; i++)
				v[i] = (uint64_t)b->first[i];
		}
		break;
	case CK_U64: {
		const uint64_t *a = col_array(b, c);
		for (i = 0; i < n; i++)
			v[i] = a[i];
		break;
	}
	case CK_U32: {
		const uint32_t *a = col_array(b, c);
		for (i = 0; i < n; i++)
			v[i] = a[i];
		break;
	}
	case CK_U16: {
		const uint16_t *a = col_array(b, c);
		for (i = 0; i < n; i++)
			v[i] = a[i];
		break;
	}
	case CK_U8: {
		const uint8_t *a = col_array(b, c);
		for (i = 0; i < n; i++)
			v[i] = a[i];
		break;
	}
	case CK_ADDR:
		break;
	}
}

/*
 * Encodes v[0..n) as CT_DELTA when its width is below `wfor`. Returns 0
 * (done), 1 (not worth it: nothing appended) or MM_ENOMEM.
 */
static int
try_delta(const uint64_t *v, size_t n, unsigned wfor, struct sbuf *raw,
    uint8_t *transform)
{
	uint64_t dmin, d, maxd = 0;
	size_t i;
	unsigned w, j;
	uint8_t *p;

	dmin = v[1] - v[0];
	for (i = 2; i < n; i++) {
		d = v[i] - v[i - 1];
		if ((int64_t)d < (int64_t)dmin)
			dmin = d;
	}
	for (i = 1; i < n; i++) {
		d = v[i] - v[i - 1] - dmin;
		if (d > maxd)
			maxd = d;
	}
	for (w = 1; w < 8 && (maxd >> (8 * w)) != 0; w++)
		;
	if (w >= wfor)
		return 1;
	if (sbuf_reserve(raw, 17 + (size_t)w * n))
		return MM_ENOMEM;
	p = raw->p + raw->len;
	le_put64(p, v[0]);
	le_put64(p + 8, dmin);
	p[16] = (uint8_t)w;
	p += 17;
	for (j = 0; j < w; j++, p += n) {
		p[0] = 0;
		for (i = 1; i < n; i++)
			p[i] = (uint8_t)((v[i] - v[i - 1] - dmin) >> (8 * j));
	}
	raw->len += 17 + (size_t)w * n;
	*transform = CT_DELTA;
	return 0;
}

static int
encode_int(const struct flow_block *b, enum flow_col c, struct sbuf *raw,
    uint8_t *transform)
{
	uint64_t *v, base, d, maxd = 0;
	size_t i, n = b->n;
	unsigned w, j;
	uint8_t *p;
	int rc = MM_ENOMEM, sgn = col_kind(c) == CK_TIME;

	if ((v = malloc((n ? n : 1) * sizeof(*v))) == NULL)
		return MM_ENOMEM;
	col_to_u64(b, c, v);
	base = n ? v[0] : 0;
	for (i = 1; i < n; i++) {
		if (sgn ? (int64_t)v[i] < (int64_t)base : v[i] < base)
			base = v[i];
	}
	for (i = 0; i < n; i++) {
		d = v[i] - base;
		if (d > maxd)
			maxd = d;
	}
	if (maxd == 0) {
		*transform = CT_CONST;
		rc = sbuf_put_u64(raw, base);
		goto out;
	}
	for (w = 1; w < 8 && (maxd >> (8 * w)) != 0; w++)
		;
	if (n > 1 && (rc = try_delta(v, n, w, raw, transform)) != 1)
		goto out;
	rc = MM_ENOMEM;
	*transform = CT_PLANES;
	if (sbuf_reserve(raw, 9 + (size_t)w * n))
		goto out;
	p = raw->p + raw->len;
	le_put64(p, base);
	p[8] = (uint8_t)w;
	p += 9;
	for (j = 0; j < w; j++, p += n)
		for (i = 0; i < n; i++)
			p[i] = (uint8_t)((v[i] - base) >> (8 * j));
	raw->len += 9 + (size_t)w * n;
	rc = 0;
out:
	free(v);
	return rc;
}

static unsigned
addr_class(const struct mm_addr *a)
{
	if (addr_is_zero(a))
		return 0;
	return addr_is_v4(a) ? 1 : 2;
}

static int
encode_addr(const struct flow_block *b, enum flow_col c, struct sbuf *raw,
    uint8_t *transform)
{
	const struct mm_addr *a = col_addr(b, c);
	size_t i, n = b->n, n4 = 0, n6 = 0, k4, k6;
	unsigned cls0, j;
	int same = 1;
	uint8_t *p, *cl, *p4, *p6;

	for (i = 1; i < n && same; i++)
		if (memcmp(&a[i], &a[0], sizeof(a[0])) != 0)
			same = 0;
	if (same) {
		struct mm_addr z;

		*transform = CT_CONST;
		memset(&z, 0, sizeof(z));
		return sbuf_put(raw, n ? &a[0] : &z, 16);
	}
	*transform = CT_ADDR;
	cls0 = addr_class(&a[0]);
	same = 1;
	for (i = 0; i < n; i++) {
		j = addr_class(&a[i]);
		if (j != cls0)
			same = 0;
		if (j == 1)
			n4++;
		else if (j == 2)
			n6++;
	}
	if (sbuf_reserve(raw, 2 + n + 4 * n4 + 16 * n6))
		return MM_ENOMEM;
	p = raw->p + raw->len;
	if (same) {
		p[0] = 0;
		p[1] = (uint8_t)cls0;
		cl = NULL;
		p += 2;
	} else {
		p[0] = 1;
		cl = p + 1;
		p += 1 + n;
	}
	p4 = p;
	p6 = p + 4 * n4;
	for (i = k4 = k6 = 0; i < n; i++) {
		j = addr_class(&a[i]);
		if (cl != NULL)
			cl[i] = (uint8_t)j;
		if (j == 1) {
			for (j = 0; j < 4; j++)
				p4[j * n4 + k4] = a[i].b[12 + j];
			k4++;
		} else if (j == 2) {
			for (j = 0; j < 16; j++)
				p6[j * n6 + k6] = a[i].b[j];
			k6++;
		}
	}
	raw->len = (size_t)(p6 + 16 * n6 - raw->p);
	return 0;
}

int
column_encode(const struct flow_block *b, enum flow_col c, struct sbuf *raw,
    uint8_t *transform)
{
	if (col_kind(c) == CK_ADDR)
		return encode_addr(b, c, raw, transform);
	return encode_int(b, c, raw, transform);
}

/* ---- decoding ---- */

static uint64_t
le_get64(const uint8_t *p)
{
	uint64_t v = 0;
	int i;

	for (i = 7; i >= 0; i--)
		v = (v << 8) | p[i];
	return v;
}

/*
 * One decoder per element type: out[i] = base + sum(plane_j[i] << 8j).
 * The first plane initialises, the others accumulate: w passes of a tight
 * loop the compiler vectorises.
 */
#define PLANES_DECODER(name, T)						\
static void								\
name(T *out, uint64_t base, unsigned w, const uint8_t *p, size_t n)	\
{									\
	size_t i;							\
	unsigned j;							\
									\
	if (w == 0) {							\
		for (i = 0; i < n; i++)					\
			out[i] = (T)base;				\
		return;							\
	}								\
	for (i = 0; i < n; i++)						\
		out[i] = (T)(base + p[i]);				\
	for (j = 1; j < w; j++) {					\
		const uint8_t *q = p + (size_t)j * n;			\
		unsigned sh = 8 * j;					\
		for (i = 0; i < n; i++)					\
			out[i] = (T)(out[i] + ((uint64_t)q[i] << sh));	\
	}								\
}
PLANES_DECODER(planes_u64, uint64_t)
PLANES_DECODER(planes_u32, uint32_t)
PLANES_DECODER(planes_u16, uint16_t)
PLANES_DECODER(planes_u8, uint8_t)

/*
 * Delta decoder: gathers the planes into out[] as PLANES would (base 0),
 * then runs the prefix sum. Arithmetic is mod 2^64 and narrowed at the end,
 * which is exact because narrowing is a ring homomorphism.
 */
#define DELTA_DECODER(name, planes, T)					\
static void								\
name(T *out, uint64_t v0, uint64_t dmin, unsigned w, const uint8_t *p,	\
    size_t n)								\
{									\
	uint64_t acc = v0;						\
	size_t i;							\
									\
	planes(out, 0, w, p, n);					\
	if (n == 0)							\
		return;							\
	out[0] = (T)v0;							\
	for (i = 1; i < n; i++) {					\
		acc += dmin + (uint64_t)out[i];				\
		out[i] = (T)acc;					\
	}								\
}
DELTA_DECODER(delta_u64, planes_u64, uint64_t)
DELTA_DECODER(delta_u32, planes_u32, uint32_t)
DELTA_DECODER(delta_u16, planes_u16, uint16_t)
DELTA_DECODER(delta_u8, planes_u8, uint8_t)

static int
decode_int(struct flow_block *b, enum flow_col c, uint8_t transform,
    const uint8_t *raw, size_t rawlen, size_t n)
{
	uint64_t base, dmin = 0;
	unsigned w, maxw;
	size_t i;
	void *out = col_array(b, c);
	int delta = 0;

	if (transform == CT_CONST) {
		if (rawlen != 8)
			return MM_ECORRUPT;
		base = le_get64(raw);
		w = 0;
	} else if (transform == CT_PLANES) {
		if (rawlen < 9)
			return MM_ECORRUPT;
		base = le_get64(raw);
		w = raw[8];
		if (w < 1 || w > 8 || rawlen - 9 != (size_t)w * n)
			return MM_ECORRUPT;
		raw += 9;
	} else if (transform == CT_DELTA) {
		if (rawlen < 17)
			return MM_ECORRUPT;
		base = le_get64(raw);
		dmin = le_get64(raw + 8);
		w = raw[16];
		if (w < 1 || w > 8 || rawlen - 17 != (size_t)w * n)
			return MM_ECORRUPT;
		raw += 17;
		delta = 1;
	} else
		return MM_ECORRUPT;

	switch (col_kind(c)) {
	case CK_U32:
		maxw = 4;
		break;
	case CK_U16:
		maxw = 2;
		break;
	case CK_U8:
		maxw = 1;
		break;
	case CK_ADDR:
		return MM_ECORRUPT;
	default:
		maxw = 8;
		break;
	}
	if (w > maxw)
		return MM_ECORRUPT;
	switch (maxw) {
	case 8:
		/* int64_t and uint64_t may alias (C11 6.5p7). */
		if (delta)
			delta_u64(out, base, dmin, w, raw, n);
		else
			planes_u64(out, base, w, raw, n);
		if (c == FCOL_LAST) {
			uint64_t *l = (uint64_t *)b->last;
			const uint64_t *f = (const uint64_t *)b->first;

			for (i = 0; i < n; i++)
				l[i] += f[i];
		}
		break;
	case 4:
		if (delta)
			delta_u32(out, base, dmin, w, raw, n);
		else
			planes_u32(out, base, w, raw, n);
		break;
	case 2:
		if (delta)
			delta_u16(out, base, dmin, w, raw, n);
		else
			planes_u16(out, base, w, raw, n);
		break;
	default:
		if (delta)
			delta_u8(out, base, dmin, w, raw, n);
		else
			planes_u8(out, base, w, raw, n);
		break;
	}
	return 0;
}

/*
 * Layout of an encoded address column (CT_ADDR), shared by the decoders:
 * either one class for every row (raw[0] == 0, then the class: 0 none,
 * 1 IPv4, 2 IPv6) or one class byte per row (raw[0] == 1), then the IPv4
 * byte planes (4 * n4 bytes) and the IPv6 byte planes (16 * n6 bytes).
 */
struct addr_layout {
	const uint8_t	*cl;		/* per-row classes, or NULL */
	unsigned	 cls;		/* the class of every row when !cl */
	size_t		 n4, n6;
	const uint8_t	*p4, *p6;
};

/* Checks the layout of `rawlen` bytes for `n` rows; O(n). Returns 0 or
 * MM_ECORRUPT. */
static int
addr_layout_parse(const uint8_t *raw, size_t rawlen, size_t n,
    struct addr_layout *L)
{
	size_t i;
	unsigned x, bad = 0;

	memset(L, 0, sizeof(*L));
	if (rawlen < 2)
		return MM_ECORRUPT;
	if (raw[0] == 0) {
		L->cls = raw[1];
		if (L->cls > 2)
			return MM_ECORRUPT;
		if (L->cls == 1)
			L->n4 = n;
		else if (L->cls == 2)
			L->n6 = n;
		raw += 2;
		rawlen -= 2;
	} else if (raw[0] == 1) {
		if (rawlen - 1 < n)
			return MM_ECORRUPT;
		L->cl = raw + 1;
		for (i = 0; i < n; i++) {	/* branch-free count */
			x = L->cl[i];
			L->n4 += x == 1;
			L->n6 += x == 2;
			bad |= x > 2;
		}
		if (bad)
			return MM_ECORRUPT;
		raw += 1 + n;
		rawlen -= 1 + n;
	} else
		return MM_ECORRUPT;
	if (rawlen != 4 * L->n4 + 16 * L->n6)
		return MM_ECORRUPT;
	L->p4 = raw;
	L->p6 = raw + 4 * L->n4;
	return 0;
}

static int
decode_addr(struct flow_block *b, enum flow_col c, uint8_t transform,
    const uint8_t *raw, size_t rawlen, size_t n, struct sbuf *scratch)
{
	struct mm_addr *a = col_addr(b, c), *t4, *t6, zero;
	const struct mm_addr *src;
	const uint8_t *cl = NULL, *p4, *p6;
	size_t i, n4 = 0, n6 = 0, k4, k6;
	unsigned cls = 0, j, x;
	struct addr_layout L;
	int rc;

	if (transform == CT_CONST) {
		if (rawlen != 16)
			return MM_ECORRUPT;
		for (i = 0; i < n; i++)
			memcpy(a[i].b, raw, 16);
		return 0;
	}
	if (transform != CT_ADDR || rawlen < 2)
		return MM_ECORRUPT;
	if ((rc = addr_layout_parse(raw, rawlen, n, &L)) != 0)
		return rc;
	cl = L.cl;
	cls = L.cls;
	n4 = L.n4;
	n6 = L.n6;
	p4 = L.p4;
	p6 = L.p6;

	/*
	 * Rows of one class are rebuilt in place (all IPv4 is the common
	 * case); a mix is rebuilt per class into scratch, then merged by a
	 * loop that selects its source without branching on the class.
	 */
	if (cl == NULL) {
		t4 = t6 = a;
	} else {
		scratch->len = 0;
		if (sbuf_reserve(scratch, (n4 + n6 + 1) * sizeof(*a)))
			return MM_ENOMEM;
		t4 = (struct mm_addr *)(void *)scratch->p;
		t6 = t4 + n4;
	}
	for (i = 0; i < n4; i++) {
		memset(t4[i].b, 0, 10);
		t4[i].b[10] = 0xff;
		t4[i].b[11] = 0xff;
		t4[i].b[12] = p4[i];
		t4[i].b[13] = p4[n4 + i];
		t4[i].b[14] = p4[2 * n4 + i];
		t4[i].b[15] = p4[3 * n4 + i];
	}
	for (j = 0; j < 16; j++)
		for (i = 0; i < n6; i++)
			t6[i].b[j] = p6[j * n6 + i];
	if (cl == NULL) {
		if (cls == 0)
			memset(a, 0, n * sizeof(*a));
		return 0;
	}
	memset(&zero, 0, sizeof(zero));
	for (i = k4 = k6 = 0; i < n; i++) {
		x = cl[i];
		src = x == 1 ? &t4[k4] : x == 2 ? &t6[k6] : &zero;
		memcpy(&a[i], src, sizeof(*a));
		k4 += x == 1;
		k6 += x == 2;
	}
	return 0;
}

int
column_decode(struct flow_block *b, enum flow_col c, uint8_t transform,
    const uint8_t *raw, size_t rawlen, size_t n, struct sbuf *scratch)
{
	if ((unsigned)c >= FCOL_COUNT)
		return MM_ECORRUPT;
	if (col_kind(c) == CK_ADDR)
		return decode_addr(b, c, transform, raw, rawlen, n, scratch);
	return decode_int(b, c, transform, raw, rawlen, n);
}

void
column_zero(struct flow_block *b, enum flow_col c, size_t n)
{
	size_t sz;

	switch (col_kind(c)) {
	case CK_TIME:
	case CK_U64:
		sz = 8;
		break;
	case CK_ADDR:
		sz = sizeof(struct mm_addr);
		break;
	case CK_U32:
		sz = 4;
		break;
	case CK_U16:
		sz = 2;
		break;
	default:
		sz = 1;
		break;
	}
	if (n > 0)
		memset(col_array(b, c), 0, n * sz);
}

/* ---- predicates on the encoded address column ---- */

/*
 * IPv4 part of a prefix set: a v4 row matches when any (v & mask[i]) ==
 * val[i], or always when `all` (a prefix of length <= 96 covering the
 * IPv4-mapped space). Exact hosts (mask ~0) are kept apart, sorted, for a
 * binary search when there are many (host in [...]).
 */
struct v4set {
	int		 all;
	uint32_t	*mask, *val;	/* general prefixes */
	size_t		 n;
	uint32_t	*host;		/* exact addresses, sorted */
	size_t		 nhost;
};

static int
cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return (x > y) - (x < y);
}

static int
v4set_build(struct v4set *s, const struct mm_prefix *set, size_t nset,
    uint32_t *mem)
{
	struct mm_addr probe;
	const struct mm_prefix *p;
	uint32_t m;
	size_t i;

	memset(s, 0, sizeof(*s));
	s->mask = mem;
	s->val = mem + nset;
	s->host = mem + 2 * nset;
	addr_from_v4(&probe, 0);
	for (i = 0; i < nset; i++) {
		p = &set[i];
		if (p->len <= 96) {
			s->all |= prefix_contains(p, &probe);
			continue;
		}
		if (p->len > 128 || !addr_is_v4(&p->addr))
			continue;	/* can never hold an IPv4 row */
		m = p->len >= 128 ? 0xffffffffu :
		    ~(0xffffffffu >> (p->len - 96));
		if (m == 0xffffffffu)
			s->host[s->nhost++] = addr_v4(&p->addr);
		else {
			s->mask[s->n] = m;
			s->val[s->n++] = addr_v4(&p->addr) & m;
		}
	}
	if (s->nhost > 1)
		qsort(s->host, s->nhost, sizeof(*s->host), cmp_u32);
	return 0;
}

static int
host_in(const uint32_t *h, size_t n, uint32_t v)
{
	size_t lo = 0, hi = n, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (h[mid] == v)
			return 1;
		if (h[mid] < v)
			lo = mid + 1;
		else
			hi = mid;
	}
	return 0;
}

/* out[i] = match of the i-th of n4 IPv4 values held as 4 byte planes. */
static void
match_v4(const struct v4set *s, const uint8_t *p4, size_t n4, uint8_t *out)
{
	const uint8_t *b0 = p4, *b1 = p4 + n4, *b2 = p4 + 2 * n4,
	    *b3 = p4 + 3 * n4;
	uint32_t v, m, a;
	size_t i, k;

	if (s->all) {
		memset(out, 1, n4);
		return;
	}
	if (s->n == 0 && s->nhost == 1) {	/* "host A": the hot loop */
		a = s->host[0];
		for (i = 0; i < n4; i++) {
			v = (uint32_t)b0[i] << 24 | (uint32_t)b1[i] << 16 |
			    (uint32_t)b2[i] << 8 | b3[i];
			out[i] = v == a;
		}
		return;
	}
	if (s->n == 1 && s->nhost == 0) {	/* "net P" */
		m = s->mask[0];
		a = s->val[0];
		for (i = 0; i < n4; i++) {
			v = (uint32_t)b0[i] << 24 | (uint32_t)b1[i] << 16 |
			    (uint32_t)b2[i] << 8 | b3[i];
			out[i] = (v & m) == a;
		}
		return;
	}
	for (i = 0; i < n4; i++) {
		unsigned r = 0;

		v = (uint32_t)b0[i] << 24 | (uint32_t)b1[i] << 16 |
		    (uint32_t)b2[i] << 8 | b3[i];
		for (k = 0; k < s->n && !r; k++)
			r = (v & s->mask[k]) == s->val[k];
		if (!r) {
			if (s->nhost <= 8) {
				for (k = 0; k < s->nhost && !r; k++)
					r = v == s->host[k];
			} else
				r = (unsigned)host_in(s->host, s->nhost, v);
		}
		out[i] = (uint8_t)r;
	}
}

/*
 * Same for n6 IPv6 values as 16 byte planes, rebuilt row by row. Only the
 * prefixes that can hold a non-mapped IPv6 address are tried (a length >= 96
 * prefix inside ::ffff:0:0/96 never can), so "host 192.0.2.1" costs nothing
 * on IPv6 rows.
 */
static void
match_v6(const struct mm_prefix *set, size_t nset, const uint8_t *p6,
    size_t n6, uint8_t *out)
{
	struct mm_addr a;
	size_t i, k, nv6 = 0;
	unsigned j, r;

	for (k = 0; k < nset; k++)
		nv6 += !(set[k].len >= 96 && addr_is_v4(&set[k].addr));
	if (nv6 == 0) {
		memset(out, 0, n6);
		return;
	}
	for (i = 0; i < n6; i++) {
		for (j = 0; j < 16; j++)
			a.b[j] = p6[j * n6 + i];
		for (k = 0, r = 0; k < nset && !r; k++)
			r = (unsigned)prefix_contains(&set[k], &a);
		out[i] = (uint8_t)r;
	}
}

static unsigned
match_one(const struct mm_prefix *set, size_t nset, const struct mm_addr *a)
{
	size_t k;

	for (k = 0; k < nset; k++)
		if (prefix_contains(&set[k], a))
			return 1;
	return 0;
}

int
column_match_addr(uint8_t transform, const uint8_t *raw, size_t rawlen,
    size_t n, const struct mm_prefix *set, size_t nset, uint8_t *sel,
    size_t *hits, struct sbuf *scratch)
{
	struct mm_addr zero, one;
	struct v4set s4;
	const uint8_t *cl = NULL, *p4, *p6;
	uint8_t *m4, *m6, zres;
	uint32_t *mem;
	size_t i, n4 = 0, n6 = 0, k4, k6, cnt = 0, need;
	unsigned cls = 0, x;
	struct addr_layout L;
	int rc;

	*hits = 0;
	if (transform == CT_CONST) {
		if (rawlen != 16)
			return MM_ECORRUPT;
		memcpy(one.b, raw, 16);
		x = match_one(set, nset, &one);
		memset(sel, (int)x, n);
		*hits = x ? n : 0;
		return 0;
	}
	if (transform != CT_ADDR || rawlen < 2)
		return MM_ECORRUPT;
	if ((rc = addr_layout_parse(raw, rawlen, n, &L)) != 0)
		return rc;
	cl = L.cl;
	cls = L.cls;
	n4 = L.n4;
	n6 = L.n6;
	p4 = L.p4;
	p6 = L.p6;

	/* scratch: 3 * nset u32 for the v4 set, then n4 + n6 result bytes */
	need = 3 * (nset + 1) * sizeof(uint32_t) + n4 + n6 + 1;
	scratch->len = 0;
	if (sbuf_reserve(scratch, need))
		return MM_ENOMEM;
	mem = (uint32_t *)(void *)scratch->p;
	(void)v4set_build(&s4, set, nset, mem);
	memset(&zero, 0, sizeof(zero));
	zres = (uint8_t)match_one(set, nset, &zero);
	if (cl == NULL) {
		if (cls == 0)
			memset(sel, zres, n);
		else if (cls == 1)
			match_v4(&s4, p4, n, sel);
		else
			match_v6(set, nset, p6, n, sel);
	} else {
		m4 = scratch->p + 3 * (nset + 1) * sizeof(uint32_t);
		m6 = m4 + n4;
		match_v4(&s4, p4, n4, m4);
		match_v6(set, nset, p6, n6, m6);
		for (i = k4 = k6 = 0; i < n; i++) {
			x = cl[i];
			sel[i] = x == 1 ? m4[k4] : x == 2 ? m6[k6] : zres;
			k4 += x == 1;
			k6 += x == 2;
		}
	}
	for (i = 0; i < n; i++)
		cnt += sel[i];
	*hits = cnt;
	return 0;
}

/* ---- decoding selected rows ---- */

static void
put_int(struct flow_block *b, enum flow_col c, size_t k, uint64_t v)
{
	switch (col_kind(c)) {
	case CK_TIME:
		if (c == FCOL_LAST)
			b->last[k] = (mtime_t)(v + (uint64_t)b->first[k]);
		else
			b->first[k] = (mtime_t)v;
		break;
	case CK_U64:
		((uint64_t *)col_array(b, c))[k] = v;
		break;
	case CK_U32:
		((uint32_t *)col_array(b, c))[k] = (uint32_t)v;
		break;
	case CK_U16:
		((uint16_t *)col_array(b, c))[k] = (uint16_t)v;
		break;
	case CK_U8:
		((uint8_t *)col_array(b, c))[k] = (uint8_t)v;
		break;
	case CK_ADDR:
		break;
	}
}

static uint64_t
plane_value(const uint8_t *p, unsigned w, size_t n, size_t i)
{
	uint64_t v = 0;
	unsigned j;

	for (j = 0; j < w; j++)
		v |= (uint64_t)p[(size_t)j * n + i] << (8 * j);
	return v;
}

static int
gather_int(struct flow_block *b, enum flow_col c, uint8_t transform,
    const uint8_t *raw, size_t rawlen, size_t n, const uint32_t *idx,
    size_t m)
{
	uint64_t base, dmin = 0, acc;
	unsigned w, maxw;
	size_t i, k;

	switch (col_kind(c)) {
	case CK_U32:
		maxw = 4;
		break;
	case CK_U16:
		maxw = 2;
		break;
	case CK_U8:
		maxw = 1;
		break;
	case CK_ADDR:
		return MM_ECORRUPT;
	default:
		maxw = 8;
		break;
	}
	if (transform == CT_CONST) {
		if (rawlen != 8)
			return MM_ECORRUPT;
		base = le_get64(raw);
		for (k = 0; k < m; k++)
			put_int(b, c, k, base);
		return 0;
	}
	if (transform == CT_PLANES) {
		if (rawlen < 9)
			return MM_ECORRUPT;
		base = le_get64(raw);
		w = raw[8];
		if (w < 1 || w > maxw || rawlen - 9 != (size_t)w * n)
			return MM_ECORRUPT;
		for (k = 0; k < m; k++)
			put_int(b, c, k, base + plane_value(raw + 9, w, n,
			    idx[k]));
		return 0;
	}
	if (transform != CT_DELTA || rawlen < 17)
		return MM_ECORRUPT;
	base = le_get64(raw);
	dmin = le_get64(raw + 8);
	w = raw[16];
	if (w < 1 || w > maxw || rawlen - 17 != (size_t)w * n)
		return MM_ECORRUPT;
	raw += 17;
	acc = base;
	for (i = 0, k = 0; k < m; i++) {
		if (i > 0)
			acc += dmin + plane_value(raw, w, n, i);
		if (i == idx[k])
			put_int(b, c, k++, acc);
	}
	return 0;
}

static int
gather_addr(struct flow_block *b, enum flow_col c, uint8_t transform,
    const uint8_t *raw, size_t rawlen, size_t n, const uint32_t *idx,
    size_t m)
{
	struct mm_addr *a = col_addr(b, c);
	const uint8_t *cl = NULL, *p4, *p6;
	size_t i, k, n4 = 0, n6 = 0, k4, k6, rank;
	unsigned cls = 0, j, x;
	struct addr_layout L;
	int rc;

	if (transform == CT_CONST) {
		if (rawlen != 16)
			return MM_ECORRUPT;
		for (k = 0; k < m; k++)
			memcpy(a[k].b, raw, 16);
		return 0;
	}
	if (transform != CT_ADDR || rawlen < 2)
		return MM_ECORRUPT;
	if ((rc = addr_layout_parse(raw, rawlen, n, &L)) != 0)
		return rc;
	cl = L.cl;
	cls = L.cls;
	n4 = L.n4;
	n6 = L.n6;
	p4 = L.p4;
	p6 = L.p6;
	for (i = k = k4 = k6 = 0; k < m; i++) {
		x = cl != NULL ? cl[i] : cls;
		if (i == idx[k]) {
			rank = cl != NULL ? (x == 1 ? k4 : k6) : i;
			memset(a[k].b, 0, 16);
			if (x == 1) {
				a[k].b[10] = 0xff;
				a[k].b[11] = 0xff;
				for (j = 0; j < 4; j++)
					a[k].b[12 + j] = p4[j * n4 + rank];
			} else if (x == 2) {
				for (j = 0; j < 16; j++)
					a[k].b[j] = p6[j * n6 + rank];
			}
			k++;
		}
		if (cl == NULL && k < m)	/* one class: jump ahead */
			i = idx[k] - 1;
		k4 += x == 1;
		k6 += x == 2;
	}
	return 0;
}

int
column_gather(struct flow_block *b, enum flow_col c, uint8_t transform,
    const uint8_t *raw, size_t rawlen, size_t n, const uint32_t *idx,
    size_t m)
{
	size_t k;

	if ((unsigned)c >= FCOL_COUNT)
		return MM_ECORRUPT;
	for (k = 0; k < m; k++)
		if (idx[k] >= n || (k > 0 && idx[k] <= idx[k - 1]))
			return MM_EINVAL;
	if (m == 0)
		return 0;
	if (col_kind(c) == CK_ADDR)
		return gather_addr(b, c, transform, raw, rawlen, n, idx, m);
	return gather_int(b, c, transform, raw, rawlen, n, idx, m);
}
