/*
 * fuzz_store.c - libFuzzer target: the input is a store file image. It is
 * opened from memory, every block is walked, probed with the Bloom filter
 * and fully loaded (all columns), so header parsing, resynchronisation,
 * checksums, decompression and column decoding all see hostile bytes.
 * The checksums make random mutations fail early; to reach the decoders the
 * target also re-seals the image: with the first input byte odd, every
 * block's section CRCs, header CRC and block CRC are recomputed before
 * reading.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/addr.h"
#include "core/err.h"
#include "store/column.h"
#include "store/store.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint32_t
rd32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	    (uint32_t)p[3] << 24;
}

/* Recomputes the CRCs of the blocks that lie end to end from offset 24. */
static void
reseal(uint8_t *p, size_t len)
{
	size_t off = STORE_FILE_HDRLEN;
	uint32_t blen, hlen;

	if (len >= STORE_FILE_HDRLEN)
		le_put32(p + 20, crc32c(0, p, 20));
	while (off + 12 <= len) {
		blen = rd32(p + off + 4);
		hlen = rd32(p + off + 8);
		if (blen > len - off || hlen < 8 || (uint64_t)hlen + 4 > blen)
			break;
		if (hlen >= 72 && p[off + 33] <= 22 &&
		    72 + (size_t)p[off + 33] * STORE_COLDIR_LEN <= hlen) {
			size_t i, sec = off + hlen, e;
			uint32_t st;

			for (i = 0; i < p[off + 33]; i++) {
				e = off + 72 + i * STORE_COLDIR_LEN;
				st = rd32(p + e + 8);
				if (st > off + blen - sec)
					break;
				le_put32(p + e + 12, crc32c(0, p + sec, st));
				sec += st;
			}
		}
		le_put32(p + off + hlen - 4, crc32c(0, p + off, hlen - 4));
		le_put32(p + off + blen - 4, crc32c(0, p + off, blen - 4));
		off += blen;
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct store_reader *r;
	struct store_block_info bi;
	struct flow_block b;
	struct mm_addr a;
	uint8_t *img;
	int rc, guard = 0;

	if (size == 0)
		return 0;
	if ((img = malloc(size)) == NULL)
		return 0;
	memcpy(img, data + 1, size - 1);
	if (data[0] & 1)
		reseal(img, size - 1);
	flow_block_init(&b);
	if (store_reader_open_mem(img, size - 1, "fuzz", &r, NULL) == 0) {
		while ((rc = store_reader_next(r, &bi, NULL)) != 0 &&
		    guard++ < 10000) {
			if (rc < 0)
				continue;
			addr_from_v4(&a, 0x0a000001u);
			(void)store_reader_may_contain(r, &a);
			if (store_reader_load(r, FCOL_ALL, &b, NULL) == 0 &&
			    b.n != bi.rows)
				abort();
			(void)store_reader_load(r, FCOL_BIT(FCOL_LAST), &b,
			    NULL);
		}
		store_reader_close(r);
	}
	flow_block_free(&b);
	free(img);
	return 0;
}
