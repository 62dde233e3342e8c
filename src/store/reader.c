/*
 * reader.c - reads store files block by block (see store.h and
 * docs/store-format.md).
 *
 * A file is mapped read-only (or given as a memory image) and never copied.
 * store_reader_next() parses one block header through the bounds-checked
 * cursor: every length and count is capped (rows <= STORE_MAX_ROWS, block
 * length <= STORE_MAX_BLOCK and <= what is left of the file, each column's
 * raw length <= what its transform can produce for that many rows) and the
 * header CRC is verified, so the time range, the address index and the
 * column directory may be trusted without reading the column sections. A
 * block whose header is bad is reported (file, offset, reason) and the reader
 * resynchronises by scanning forward for the next block magic whose header
 * checks out; everything after a torn or corrupt block stays readable.
 *
 * store_reader_load() verifies the CRC of each requested column's section
 * (once per block; the CRC over the whole block is left to
 * store_reader_check(), used by the writer's crash recovery, so a scan pays
 * only for the bytes it reads), then decompresses only those columns, each
 * into its own buffer reused across blocks (so a column read twice in one
 * block, by store_reader_match_addr() and then a load, is decompressed
 * once), and decodes them with column_decode() (array loops, no per-row
 * calls), or only the selected rows with column_gather(). Cost per loaded column: one decompression plus O(rows *
 * width). Skipping a block costs only its header.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <lz4.h>
#include <zstd.h>

#include "core/cursor.h"
#include "core/err.h"
#include "store/column.h"
#include "store/store.h"

struct col_ent {
	int		present;
	uint8_t		transform;
	uint16_t	flags;
	uint32_t	rawlen;
	uint32_t	stored;
	uint32_t	crc;		/* CRC32C of the stored section */
	int		checked;	/* 0 unknown, 1 good, -1 bad */
	int		cached;		/* craw[] holds this block's section */
	size_t		off;		/* from block start */
};

struct store_reader {
	char		 name[256];
	const uint8_t	*base;
	size_t		 len;
	void		*map;		/* non-NULL when mmap'd */
	mtime_t		 start;
	mtime_t		 rotate;
	size_t		 pos;		/* where the next block is sought */
	size_t		 released;	/* map bytes handed back (page aligned) */

	/* current block */
	int		 have;
	int		 checked;	/* 0 unknown, 1 good, -1 bad */
	size_t		 off;
	uint32_t	 blen;
	uint32_t	 rows;
	uint8_t		 codec;
	uint8_t		 k;
	uint32_t	 mbits;
	const uint8_t	*bloom;
	struct mm_addr	 amin, amax;
	struct col_ent	 cols[FCOL_COUNT];

	ZSTD_DCtx	*dz;
	struct sbuf	 craw[FCOL_COUNT];	/* decompressed sections of the
					 * current block, one per column, so
					 * a column read twice (pre-test, then
					 * load) is decompressed once */
	struct sbuf	 work;		/* column_decode() working memory */
};

/* ---- file header ---- */

void
store_file_header_make(uint8_t *p, mtime_t start, uint32_t rotate_ms)
{
	le_put32(p, STORE_FILE_MAGIC);
	le_put16(p + 4, STORE_FILE_VERSION);
	le_put16(p + 6, STORE_FILE_HDRLEN);
	le_put64(p + 8, (uint64_t)start);
	le_put32(p + 16, rotate_ms);
	le_put32(p + 20, crc32c(0, p, 20));
}

int
store_file_header_parse(const uint8_t *p, size_t len, mtime_t *start,
    uint32_t *rotate_ms)
{
	struct cursor c;
	uint32_t magic, rot, crc;
	uint16_t ver, hlen;
	uint64_t st;

	cur_init(&c, p, len);
	get_u32_le(&c, &magic);
	get_u16_le(&c, &ver);
	get_u16_le(&c, &hlen);
	get_u64_le(&c, &st);
	get_u32_le(&c, &rot);
	get_u32_le(&c, &crc);
	if (c.err)
		return MM_ETRUNC;
	if (magic != STORE_FILE_MAGIC)
		return MM_EFORMAT;
	if (ver != STORE_FILE_VERSION)
		return MM_EUNSUP;
	if (hlen != STORE_FILE_HDRLEN || crc != crc32c(0, p, 20))
		return MM_ECORRUPT;
	*start = (mtime_t)st;
	*rotate_ms = rot;
	return 0;
}

/* ---- open / close ---- */

static int
reader_new(const char *name, struct store_reader **rp)
{
	struct store_reader *r;

	if ((r = calloc(1, sizeof(*r))) == NULL)
		return MM_ENOMEM;
	snprintf(r->name, sizeof(r->name), "%s", name ? name : "(memory)");
	*rp = r;
	return 0;
}

static int
reader_start(struct store_reader *r, struct mm_diag *diag)
{
	uint32_t rot;
	int rc;

	if (r->len == 0) {
		/* Created but header not yet written: an empty file. */
		r->pos = 0;
		return 0;
	}
	rc = store_file_header_parse(r->base, r->len, &r->start, &rot);
	if (rc != 0)
		return mm_diag_set(diag, rc, "%s: bad store file header (%s)",
		    r->name, rc == MM_EFORMAT ? "no MMF1 magic" :
		    rc == MM_EUNSUP ? "unsupported version" :
		    rc == MM_ETRUNC ? "file shorter than its header" :
		    "header checksum mismatch");
	r->rotate = rot;
	r->pos = STORE_FILE_HDRLEN;
	return 0;
}

int
store_reader_open_mem(const void *buf, size_t len, const char *name,
    struct store_reader **rp, struct mm_diag *diag)
{
	struct store_reader *r;
	int rc;

	*rp = NULL;
	if ((rc = reader_new(name, &r)) != 0)
		return rc;
	r->base = buf;
	r->len = buf == NULL ? 0 : len;
	if ((rc = reader_start(r, diag)) != 0) {
		store_reader_close(r);
		return rc;
	}
	*rp = r;
	return 0;
}

int
store_reader_open(const char *path, struct store_reader **rp,
    struct mm_diag *diag)
{
	struct store_reader *r;
	struct stat st;
	int fd, rc;

	*rp = NULL;
	if ((rc = reader_new(path, &r)) != 0)
		return rc;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0) {
		rc = errno == ENOENT ? MM_ENOENT : MM_EIO;
		mm_diag_set(diag, rc, "%s: %s", path, strerror(errno));
		goto fail;
	}
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		rc = mm_diag_set(diag, MM_EIO, "%s: not a regular file", path);
		close(fd);
		goto fail;
	}
	if (st.st_size > 0) {
		if ((uint64_t)st.st_size > SIZE_MAX) {
			close(fd);
			rc = mm_diag_set(diag, MM_ELIMIT, "%s: too large", path);
			goto fail;
		}
		r->map = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE,
		    fd, 0);
		if (r->map == MAP_FAILED) {
			r->map = NULL;
			rc = mm_diag_set(diag, MM_EIO, "%s: mmap: %s", path,
			    strerror(errno));
			close(fd);
			goto fail;
		}
		r->base = r->map;
		r->len = (size_t)st.st_size;
		(void)posix_madvise(r->map, r->len, POSIX_MADV_SEQUENTIAL);
	}
	close(fd);
	if ((rc = reader_start(r, diag)) != 0)
		goto fail;
	*rp = r;
	return 0;
fail:
	store_reader_close(r);
	return rc;
}

void
store_reader_close(struct store_reader *r)
{
	int i;

	if (r == NULL)
		return;
	if (r->map != NULL)
		munmap(r->map, r->len);
	ZSTD_freeDCtx(r->dz);
	sbuf_free(&r->work);
	for (i = 0; i < FCOL_COUNT; i++)
		sbuf_free(&r->craw[i]);
	free(r);
}

void
store_reader_interval(const struct store_reader *r, mtime_t *start,
    mtime_t *rotate_ms)
{
	if (start != NULL)
		*start = r->start;
	if (rotate_ms != NULL)
		*rotate_ms = r->rotate;
}

/* ---- block headers ---- */

/*
 * Parses the block header at `off` into r's current block. Returns 0, or an
 * error with *why set to a static reason.
 */
static int
parse_block(struct store_reader *r, size_t off, const char **why)
{
	struct cursor c, d;
	uint32_t magic, blen, hlen, rows, mbits, crc, rawlen, stored, scrc;
	uint64_t tmin, tmax;
	uint8_t codec, ncols, k, rsv, col, tr;
	uint16_t flags;
	size_t bloombytes, sum, i, secoff;
	int seen[FCOL_COUNT];

	r->have = 0;
	cur_init(&c, r->base + off, r->len - off);
	get_u32_le(&c, &magic);
	get_u32_le(&c, &blen);
	get_u32_le(&c, &hlen);
	get_u32_le(&c, &rows);
	get_u64_le(&c, &tmin);
	get_u64_le(&c, &tmax);
	get_u8(&c, &codec);
	get_u8(&c, &ncols);
	get_u8(&c, &k);
	get_u8(&c, &rsv);
	get_u32_le(&c, &mbits);
	get_bytes(&c, r->amin.b, 16);
	get_bytes(&c, r->amax.b, 16);
	if (c.err) {
		*why = "file ends inside a block header (torn write)";
		return MM_ETRUNC;
	}
	if (magic != STORE_BLOCK_MAGIC) {
		*why = "no block magic";
		return MM_EFORMAT;
	}
	if (blen > STORE_MAX_BLOCK || hlen < STORE_BLOCK_FIXED + 4 ||
	    (uint64_t)blen < (uint64_t)hlen + 4) {
		*why = "block or header length out of range";
		return MM_ECORRUPT;
	}
	if (blen > r->len - off) {
		*why = "block extends past end of file (torn write)";
		return MM_ETRUNC;
	}
	crc = (uint32_t)r->base[off + hlen - 4] |
	    (uint32_t)r->base[off + hlen - 3] << 8 |
	    (uint32_t)r->base[off + hlen - 2] << 16 |
	    (uint32_t)r->base[off + hlen - 1] << 24;
	if (crc != crc32c(0, r->base + off, hlen - 4)) {
		*why = "block header checksum mismatch";
		return MM_ECORRUPT;
	}
	if (rows == 0 || rows > STORE_MAX_ROWS) {
		*why = "row count out of range";
		return MM_ECORRUPT;
	}
	if (codec > STORE_NONE || ncols > FCOL_COUNT || k < 1 || k > 16) {
		*why = "codec, column count or Bloom k out of range";
		return MM_ECORRUPT;
	}
	bloombytes = ((size_t)mbits + 7) / 8;
	if ((size_t)hlen != STORE_BLOCK_FIXED + (size_t)ncols *
	    STORE_COLDIR_LEN + bloombytes + 4) {
		*why = "header length disagrees with directory and Bloom size";
		return MM_ECORRUPT;
	}
	memset(seen, 0, sizeof(seen));
	memset(r->cols, 0, sizeof(r->cols));
	if (get_sub(&c, (size_t)ncols * STORE_COLDIR_LEN, &d) != 0) {
		*why = "column directory truncated";
		return MM_ECORRUPT;
	}
	sum = 0;
	secoff = hlen;
	for (i = 0; i < ncols; i++) {
		get_u8(&d, &col);
		get_u8(&d, &tr);
		get_u16_le(&d, &flags);
		get_u32_le(&d, &rawlen);
		get_u32_le(&d, &stored);
		get_u32_le(&d, &scrc);
		if (d.err || col >= FCOL_COUNT || seen[col]) {
			*why = "bad or duplicate column id";
			return MM_ECORRUPT;
		}
		seen[col] = 1;
		if (rawlen > column_raw_max((enum flow_col)col, rows) ||
		    stored > blen || ((flags & COLF_RAW) && stored != rawlen) ||
		    (codec == STORE_NONE && !(flags & COLF_RAW))) {
			*why = "column length out of range";
			return MM_ECORRUPT;
		}
		r->cols[col].present = 1;
		r->cols[col].transform = tr;
		r->cols[col].flags = flags;
		r->cols[col].rawlen = rawlen;
		r->cols[col].stored = stored;
		r->cols[col].crc = scrc;
		r->cols[col].off = secoff;
		secoff += stored;
		sum += stored;
	}
	if (sum != (size_t)blen - hlen - 4) {
		*why = "column sections do not add up to the block length";
		return MM_ECORRUPT;
	}
	r->bloom = cur_ptr(&c);
	r->mbits = mbits;
	r->k = k;
	r->off = off;
	r->blen = blen;
	r->rows = rows;
	r->codec = codec;
	r->checked = 0;
	r->have = 1;
	(void)tmin;
	(void)tmax;
	return 0;
}

static void
fill_info(const struct store_reader *r, struct store_block_info *info)
{
	struct cursor c;
	uint64_t t;

	memset(info, 0, sizeof(*info));
	info->rows = r->rows;
	info->offset = r->off;
	info->stored_bytes = r->blen;
	cur_init(&c, r->base + r->off + 16, 16);
	get_u64_le(&c, &t);
	info->tmin = (mtime_t)t;
	get_u64_le(&c, &t);
	info->tmax = (mtime_t)t;
}

/* Finds the next offset after `from` where a valid block header starts. */
static size_t
resync(struct store_reader *r, size_t from)
{
	const char *why;
	const uint8_t *p;
	size_t off = from;

	while (off + 4 <= r->len) {
		p = memchr(r->base + off, 'M', r->len - off - 3);
		if (p == NULL)
			break;
		off = (size_t)(p - r->base);
		if (p[1] == 'M' && p[2] == 'B' && p[3] == 'K' &&
		    parse_block(r, off, &why) == 0) {
			r->have = 0;
			return off;
		}
		off++;
	}
	r->have = 0;
	return r->len;
}

/*
 * Hands the mapped pages before `upto` back to the kernel: a scan reads a
 * file once, front to back, so without this a large file would stay
 * resident in the process (RSS) until the reader is closed. The pages stay
 * in the page cache and fault in again if touched; O(pages released).
 */
static void
reader_release(struct store_reader *r, size_t upto)
{
#ifdef MADV_DONTNEED
	long pg = sysconf(_SC_PAGESIZE);
	size_t end;

	if (r->map == NULL || pg <= 0)
		return;
	end = upto - upto % (size_t)pg;
	if (end <= r->released)
		return;
	(void)madvise((uint8_t *)r->map + r->released, end - r->released,
	    MADV_DONTNEED);
	r->released = end;
#else
	(void)r;
	(void)upto;
#endif
}

int
store_reader_next(struct store_reader *r, struct store_block_info *info,
    struct mm_diag *diag)
{
	const char *why = "?";
	size_t off = r->pos;
	int rc;

	r->have = 0;
	reader_release(r, off);
	if (r->pos >= r->len)
		return 0;
	if ((rc = parse_block(r, off, &why)) == 0) {
		r->pos = off + r->blen;
		fill_info(r, info);
		return 1;
	}
	r->pos = resync(r, off + 1);
	if (r->pos >= r->len && rc == MM_ETRUNC)
		return mm_diag_set(diag, MM_ETRUNC, "%s: block at offset %zu: "
		    "%s; rest of file ignored", r->name, off, why);
	return mm_diag_set(diag, rc == MM_ETRUNC ? MM_ECORRUPT : rc,
	    "%s: block at offset %zu: %s; skipped %zu bytes", r->name, off,
	    why, r->pos - off);
}

int
store_reader_may_contain(const struct store_reader *r, const struct mm_addr *a)
{
	if (!r->have)
		return 1;
	if (addr_cmp(a, &r->amin) < 0 || addr_cmp(a, &r->amax) > 0)
		return 0;
	if (r->mbits == 0)
		return 1;
	return bloom_test(r->bloom, r->mbits, r->k, bloom_hash(a));
}

int
store_reader_check(struct store_reader *r, struct mm_diag *diag)
{
	const uint8_t *p;
	uint32_t crc;

	if (!r->have)
		return mm_diag_set(diag, MM_EINVAL, "%s: no current block",
		    r->name);
	if (r->checked == 0) {
		p = r->base + r->off + r->blen - 4;
		crc = (uint32_t)p[0] | (uint32_t)p[1] << 8 |
		    (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
		r->checked = crc == crc32c(0, r->base + r->off, r->blen - 4) ?
		    1 : -1;
	}
	if (r->checked < 0)
		return mm_diag_set(diag, MM_ECORRUPT, "%s: block at offset "
		    "%zu: block checksum mismatch", r->name, r->off);
	return 0;
}

/* Makes column `e` of the current block available raw at *out. */
static int
col_raw(struct store_reader *r, struct col_ent *e, const uint8_t **out,
    const char **why)
{
	const uint8_t *src = r->base + r->off + e->off;
	struct sbuf *sb = &r->craw[e - r->cols];
	size_t n;
	int ln;

	if (e->flags & COLF_RAW) {
		*out = src;
		return 0;
	}
	if (e->cached) {
		*out = sb->p;
		return 0;
	}
	sb->len = 0;
	if (sbuf_reserve(sb, (size_t)e->rawlen + 1))
		return MM_ENOMEM;
	if (r->codec == STORE_ZSTD) {
		if (r->dz == NULL && (r->dz = ZSTD_createDCtx()) == NULL)
			return MM_ENOMEM;
		n = ZSTD_decompressDCtx(r->dz, sb->p, e->rawlen, src,
		    e->stored);
		if (ZSTD_isError(n) || n != e->rawlen) {
			*why = "zstd section does not decompress to its length";
			return MM_ECORRUPT;
		}
	} else if (r->codec == STORE_LZ4) {
		if (e->stored > (uint32_t)LZ4_MAX_INPUT_SIZE ||
		    e->rawlen > (uint32_t)LZ4_MAX_INPUT_SIZE) {
			*why = "lz4 section too large";
			return MM_ECORRUPT;
		}
		ln = LZ4_decompress_safe((const char *)src,
		    (char *)sb->p, (int)e->stored, (int)e->rawlen);
		if (ln < 0 || (uint32_t)ln != e->rawlen) {
			*why = "lz4 section does not decompress to its length";
			return MM_ECORRUPT;
		}
	} else {
		*why = "compressed section in an uncompressed block";
		return MM_ECORRUPT;
	}
	e->cached = 1;
	*out = sb->p;
	return 0;
}

/* Verifies the section CRC of column `c` once per block. */
static int
col_checked(struct store_reader *r, int c, struct mm_diag *diag)
{
	struct col_ent *e = &r->cols[c];

	if (e->checked == 0)
		e->checked = crc32c(0, r->base + r->off + e->off, e->stored) ==
		    e->crc ? 1 : -1;
	if (e->checked < 0)
		return mm_diag_set(diag, MM_ECORRUPT, "%s: block at offset "
		    "%zu, column %s: section checksum mismatch", r->name,
		    r->off, flow_col_name((enum flow_col)c));
	return 0;
}

/* The error of column c of the current block: rc with "NAME: block at
 * offset OFF, column COL: why" ("out of memory" for MM_ENOMEM). */
static int
col_err(struct store_reader *r, int c, int rc, const char *why,
    struct mm_diag *diag)
{
	return mm_diag_set(diag, rc, "%s: block at offset %zu, column %s: %s",
	    r->name, r->off, flow_col_name((enum flow_col)c),
	    rc == MM_ENOMEM ? "out of memory" : why);
}

/* Checks column c of the current block (once) and makes it available raw
 * at *raw (decompressed once). Returns 0 or an error with `diag`. */
static int
col_open(struct store_reader *r, int c, const uint8_t **raw,
    struct mm_diag *diag)
{
	const char *why = "column does not decode";
	int rc;

	if ((rc = col_checked(r, c, diag)) != 0)
		return rc;
	if ((rc = col_raw(r, &r->cols[c], raw, &why)) != 0)
		return col_err(r, c, rc, why, diag);
	return 0;
}

/* Common start of the loaders: clears `b` and checks that a good block
 * is current. Returns 0 or an error with `diag`. */
static int
load_begin(struct store_reader *r, struct flow_block *b, struct mm_diag *diag)
{
	flow_block_clear(b);
	if (!r->have)
		return mm_diag_set(diag, MM_EINVAL, "%s: no current block",
		    r->name);
	if (r->checked < 0)
		return mm_diag_set(diag, MM_ECORRUPT, "%s: block at offset "
		    "%zu: block checksum mismatch", r->name, r->off);
	return 0;
}

int
store_reader_load(struct store_reader *r, uint32_t colmask,
    struct flow_block *b, struct mm_diag *diag)
{
	struct col_ent *e;
	const uint8_t *raw;
	int c, rc;

	if ((rc = load_begin(r, b, diag)) != 0)
		return rc;
	if (flow_block_reserve(b, r->rows) != 0)
		return mm_diag_set(diag, MM_ENOMEM, "%s: out of memory",
		    r->name);
	if (colmask & FCOL_BIT(FCOL_LAST))
		colmask |= FCOL_BIT(FCOL_FIRST);
	for (c = 0; c < FCOL_COUNT; c++) {
		if (!(colmask & FCOL_BIT(c)))
			continue;
		e = &r->cols[c];
		if (!e->present) {
			column_zero(b, (enum flow_col)c, r->rows);
			continue;
		}
		if ((rc = col_open(r, c, &raw, diag)) == 0 &&
		    (rc = column_decode(b, (enum flow_col)c, e->transform,
		    raw, e->rawlen, r->rows, &r->work)) != 0)
			rc = col_err(r, c, rc, "column does not decode", diag);
		if (rc != 0) {
			flow_block_clear(b);
			return rc;
		}
	}
	b->n = r->rows;
	return 0;
}

long
store_reader_match_addr(struct store_reader *r, enum flow_col c,
    const struct mm_prefix *set, size_t nset, uint8_t *sel,
    struct mm_diag *diag)
{
	struct col_ent *e;
	struct mm_addr zero;
	const uint8_t *raw;
	size_t hits, k;
	int rc;

	if (!r->have)
		return mm_diag_set(diag, MM_EINVAL, "%s: no current block",
		    r->name);
	if (c != FCOL_SRC && c != FCOL_DST && c != FCOL_NEXTHOP &&
	    c != FCOL_EXPORTER)
		return mm_diag_set(diag, MM_EINVAL, "%s: not an address column",
		    r->name);
	if (r->checked < 0)
		return mm_diag_set(diag, MM_ECORRUPT, "%s: block at offset "
		    "%zu: block checksum mismatch", r->name, r->off);
	e = &r->cols[c];
	if (!e->present) {
		memset(&zero, 0, sizeof(zero));
		for (k = 0; k < nset; k++)
			if (prefix_contains(&set[k], &zero))
				break;
		memset(sel, k < nset, r->rows);
		return k < nset ? (long)r->rows : 0;
	}
	if ((rc = col_open(r, c, &raw, diag)) != 0)
		return rc;
	if ((rc = column_match_addr(e->transform, raw, e->rawlen, r->rows,
	    set, nset, sel, &hits, &r->work)) != 0)
		return col_err(r, c, rc, "column does not decode", diag);
	return (long)hits;
}

int
store_reader_load_rows(struct store_reader *r, uint32_t colmask,
    const uint32_t *idx, size_t m, struct flow_block *b, struct mm_diag *diag)
{
	struct col_ent *e;
	const uint8_t *raw;
	int c, rc;

	if ((rc = load_begin(r, b, diag)) != 0)
		return rc;
	if (m > r->rows)
		return mm_diag_set(diag, MM_EINVAL, "%s: more rows asked for "
		    "than the block holds", r->name);
	if (flow_block_reserve(b, m ? m : 1) != 0)
		return mm_diag_set(diag, MM_ENOMEM, "%s: out of memory",
		    r->name);
	if (colmask & FCOL_BIT(FCOL_LAST))
		colmask |= FCOL_BIT(FCOL_FIRST);
	for (c = 0; c < FCOL_COUNT; c++) {
		if (!(colmask & FCOL_BIT(c)))
			continue;
		e = &r->cols[c];
		if (!e->present) {
			column_zero(b, (enum flow_col)c, m);
			continue;
		}
		if (m == 0)
			continue;
		if ((rc = col_open(r, c, &raw, diag)) == 0 &&
		    (rc = column_gather(b, (enum flow_col)c, e->transform,
		    raw, e->rawlen, r->rows, idx, m)) != 0)
			rc = col_err(r, c, rc, rc == MM_EINVAL ?
			    "bad row index" : "column does not decode", diag);
		if (rc != 0) {
			flow_block_clear(b);
			return rc;
		}
	}
	b->n = m;
	return 0;
}
