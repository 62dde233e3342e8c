/*
 * column.h - private to src/store: the on-disk block layout constants, the
 * growable byte buffer the writer builds blocks in, CRC32C, the address
 * Bloom filter hash, and the per-column transforms (see column.c).
 *
 * Nothing here is part of the public store API; only writer.c, reader.c,
 * files.c and the store tests include it.
 */
#ifndef MAMORI_STORE_COLUMN_H
#define MAMORI_STORE_COLUMN_H

#include <stddef.h>
#include <stdint.h>

#include "core/addr.h"
#include "core/mtime.h"
#include "store/block.h"

/* File header: magic, version, header length, interval start, rotation. */
#define STORE_FILE_MAGIC	0x31464d4du	/* "MMF1" */
#define STORE_FILE_VERSION	1
#define STORE_FILE_HDRLEN	24

/* Block header; see docs/store-format.md. */
#define STORE_BLOCK_MAGIC	0x4b424d4du	/* "MMBK" */
#define STORE_BLOCK_FIXED	72	/* bytes before the column directory */
#define STORE_COLDIR_LEN	16	/* bytes per directory entry */
#define STORE_MAX_ROWS		(1u << 20)	/* cap on rows per block */
#define STORE_MAX_BLOCK		(1u << 30)	/* cap on one block's length */
#define STORE_BLOOM_BITS_PER	10	/* bits per distinct address */
#define STORE_BLOOM_K		7

/* Column transforms (the directory's transform byte). */
enum col_transform {
	CT_CONST = 1,	/* one value for every row */
	CT_PLANES = 2,	/* base + n * width byte planes of (v - base) */
	CT_ADDR = 3,	/* family classes + v4 planes + v6 planes */
	CT_DELTA = 4	/* first value + planes of (v[i] - v[i-1] - dmin) */
};
/* Directory flag: the section holds the raw transform output, uncompressed. */
#define COLF_RAW	0x0001

/* A growable byte buffer; callers own `p` and free it. */
struct sbuf {
	uint8_t	*p;
	size_t	 len;
	size_t	 cap;
};

/* Makes room for `n` more bytes. Returns 0 or MM_ENOMEM. */
int	sbuf_reserve(struct sbuf *s, size_t n);
/* Appenders; each reserves. Return 0 or MM_ENOMEM. */
int	sbuf_put(struct sbuf *s, const void *p, size_t n);
int	sbuf_put_u8(struct sbuf *s, uint8_t v);
int	sbuf_put_u16(struct sbuf *s, uint16_t v);
int	sbuf_put_u32(struct sbuf *s, uint32_t v);
int	sbuf_put_u64(struct sbuf *s, uint64_t v);
/* Little-endian stores into already reserved memory. */
void	le_put16(uint8_t *p, uint16_t v);
void	le_put32(uint8_t *p, uint32_t v);
void	le_put64(uint8_t *p, uint64_t v);
/* Frees s->p and zeroes the buffer (reusable after); `s` must not be NULL. */
void	sbuf_free(struct sbuf *s);

/* CRC32C (Castagnoli), continuing from `crc` (start with 0). Thread-safe
 * (the tables are built once, under pthread_once). */
uint32_t crc32c(uint32_t crc, const void *p, size_t n);

/* 64-bit hash of an address for the Bloom filter; host independent. */
uint64_t bloom_hash(const struct mm_addr *a);
/* Sets / tests the k bits of hash `h` in a filter of `m` bits at `bits`. */
void	bloom_add(uint8_t *bits, uint32_t m, unsigned k, uint64_t h);
int	bloom_test(const uint8_t *bits, uint32_t m, unsigned k, uint64_t h);

/*
 * Encodes rows [0, b->n) of column `c` into `raw` (appended) and sets
 * `*transform`. FCOL_LAST is encoded relative to FCOL_FIRST. Returns 0 or
 * MM_ENOMEM.
 */
int	column_encode(const struct flow_block *b, enum flow_col c,
	    struct sbuf *raw, uint8_t *transform);
/*
 * Decodes `rawlen` bytes at `raw` (untrusted, fully checked) into rows
 * [0, n) of column `c` of `b`, which must have room for n rows. FCOL_LAST
 * needs b->first decoded first. `scratch` is working memory (reused, may
 * grow). Returns 0, MM_ECORRUPT or MM_ENOMEM.
 */
int	column_decode(struct flow_block *b, enum flow_col c, uint8_t transform,
	    const uint8_t *raw, size_t rawlen, size_t n, struct sbuf *scratch);
/*
 * Evaluates "address in any of the prefixes set[0..nset)" (prefix_contains()
 * semantics, v6 space; an absent address is all zero) on the encoded form
 * of an address column (`transform`, `rawlen` bytes at `raw`, untrusted,
 * checked as column_decode() does) without building 16-byte addresses:
 * IPv4 rows are tested on their 4-byte values, the answer for empty rows is
 * computed once. Writes sel[i] = 0/1 for rows [0, n) and sets *hits to the
 * number of 1s. `scratch` is working memory. Returns 0, MM_ECORRUPT or
 * MM_ENOMEM.
 */
int	column_match_addr(uint8_t transform, const uint8_t *raw, size_t rawlen,
	    size_t n, const struct mm_prefix *set, size_t nset, uint8_t *sel,
	    size_t *hits, struct sbuf *scratch);
/*
 * Like column_decode(), but decodes only rows idx[0..m) (ascending, each
 * < n) into rows [0, m) of column `c` of `b` (room for m rows): a scan that
 * keeps few rows of a block pays O(m * width) for plane columns instead of
 * O(n * width) (delta columns still sum up to the last row). FCOL_LAST needs
 * b->first gathered first. Returns 0, MM_ECORRUPT, MM_EINVAL (bad idx) or
 * MM_ENOMEM.
 */
int	column_gather(struct flow_block *b, enum flow_col c, uint8_t transform,
	    const uint8_t *raw, size_t rawlen, size_t n, const uint32_t *idx,
	    size_t m);
/* Zeroes rows [0, n) of column `c` (a column absent from a block). */
void	column_zero(struct flow_block *b, enum flow_col c, size_t n);
/* Upper bound of the raw (transformed) length of a column of n rows. */
size_t	column_raw_max(enum flow_col c, size_t n);

/* Parses a file header at `p` (untrusted). Returns 0 or MM_ETRUNC /
 * MM_EFORMAT / MM_EUNSUP / MM_ECORRUPT. */
int	store_file_header_parse(const uint8_t *p, size_t len, mtime_t *start,
	    uint32_t *rotate_ms);
/* Builds the 24-byte header. */
void	store_file_header_make(uint8_t *p, mtime_t start, uint32_t rotate_ms);
/* Creates `dir` and its parents (mode 0755). Returns 0 or MM_EIO. */
int	store_mkdirs(const char *dir);

#endif
