/*
 * writer.c - appends flows to the store (see store.h, docs/store-format.md).
 *
 * Rows are buffered in one struct flow_block. A block is encoded and
 * written when it holds block_rows rows, when the oldest buffered row is
 * older than flush_ms (store_writer_tick), when the receive time enters a new
 * rotation interval, and on flush/close. Encoding builds the whole block in
 * memory (header, column directory, Bloom filter, header CRC, compressed
 * column sections, block CRC) and hands it to the kernel with a single
 * pwrite() at the end of the file, so a crash leaves at most one torn block
 * at the tail; with conf.fsync the block is fdatasync'd before the call
 * returns. After a failed write the file is truncated back to the last good
 * block and the buffered rows are dropped (counted by the caller's error).
 *
 * Rows keep their arrival order unless conf.sort_rows asks for each block
 * to be stably sorted by `first` (then `first` delta-codes in under a byte:
 * about -1.8 bytes/flow on independent rows, but +0.25 on the lab ISP
 * stream whose adjacent request/response rows compress together, and
 * roughly 2.5x the encoding time).
 *
 * Restart policy: if the interval's file already exists we do not overwrite
 * it. Its header is checked, every block is validated (header CRC and block
 * CRC), the file is truncated right after the last good block (cutting a
 * torn tail) and new blocks are appended. A file whose header is not ours is
 * never touched: the writer then fails with MM_EFORMAT naming it.
 *
 * Cost: per block O(rows * columns) for the transforms plus the codec; the
 * Bloom filter is sized from the number of distinct src/dst addresses
 * (STORE_BLOOM_BITS_PER bits each), counted with a transient hash set.
 * Memory: one block of rows (~170 B/row) and the encode buffers.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <lz4.h>
#include <zstd.h>

#include "core/err.h"
#include "store/column.h"
#include "store/store.h"

struct sort_key {
	mtime_t		first;
	uint32_t	row;
};

struct store_writer {
	char			*datadir;
	struct store_conf	 conf;
	struct flow_block	 blk;
	struct flow_block	 tmp;		/* sorting scratch */
	struct sort_key		*keys;
	size_t			 nkeys;
	mtime_t			 since;		/* receive time of oldest row */
	mtime_t			 iv;		/* current interval start */
	int			 have_iv;
	int			 fd;
	mtime_t			 fd_iv;		/* interval of the open file */
	uint64_t		 off;		/* end of the last good block */
	char			 path[PATH_MAX];
	struct sbuf		 out, raw, body;
	uint64_t		*hset;		/* distinct-address hash set */
	size_t			 hcap;
	ZSTD_CCtx		*zc;
	uint64_t		 rows, blocks, bytes;
};

static mtime_t
interval_of(mtime_t t, mtime_t r)
{
	mtime_t q;

	if (t < INT64_MIN + r)
		t = INT64_MIN + r;	/* keep q * r representable */
	q = t / r;

	if (t % r != 0 && t < 0)
		q--;
	return q * r;
}

int
store_writer_open(const char *datadir, const struct store_conf *conf,
    struct store_writer **wp, struct mm_diag *diag)
{
	struct store_writer *w;
	char dir[PATH_MAX];

	*wp = NULL;
	if (datadir == NULL || *datadir == '\0')
		return mm_diag_set(diag, MM_EINVAL, "store: empty data directory");
	if ((w = calloc(1, sizeof(*w))) == NULL)
		return MM_ENOMEM;
	w->fd = -1;
	if (conf != NULL)
		w->conf = *conf;
	if (w->conf.level == 0)
		w->conf.level = 3;
	if (w->conf.block_rows == 0)
		w->conf.block_rows = 65536;
	if (w->conf.block_rows > STORE_MAX_ROWS)
		w->conf.block_rows = STORE_MAX_ROWS;
	if (w->conf.rotate_ms <= 0)
		w->conf.rotate_ms = 300000;
	if (w->conf.rotate_ms > 86400000)
		w->conf.rotate_ms = 86400000;
	if (w->conf.flush_ms <= 0)
		w->conf.flush_ms = 1000;
	if ((unsigned)w->conf.codec > STORE_NONE) {
		int codec = (int)w->conf.codec;

		free(w);
		return mm_diag_set(diag, MM_EINVAL, "store: unknown codec %d",
		    codec);
	}
	flow_block_init(&w->blk);
	flow_block_init(&w->tmp);
	if ((w->datadir = strdup(datadir)) == NULL)
		goto nomem;
	if ((w->zc = ZSTD_createCCtx()) == NULL)
		goto nomem;
	if ((size_t)snprintf(dir, sizeof(dir), "%s/flows", datadir) >=
	    sizeof(dir) || store_mkdirs(dir) != 0) {
		int e = errno;

		store_writer_close(w, NULL);
		return mm_diag_set(diag, MM_EIO, "store: cannot create %s: %s",
		    dir, strerror(e));
	}
	*wp = w;
	return 0;
nomem:
	store_writer_close(w, NULL);
	return MM_ENOMEM;
}

/* ---- block encoding ---- */

static int
key_cmp(const void *a, const void *b)
{
	const struct sort_key *x = a, *y = b;

	if (x->first != y->first)
		return x->first < y->first ? -1 : 1;
	return x->row < y->row ? -1 : x->row > y->row;
}

/*
 * With conf.sort_rows, stably sorts the buffered rows by `first`:
 * a time-ordered block lets `first` be delta-coded in about a byte per row
 * instead of two or three. O(n log n), skipped for already sorted input.
 */
static int
sort_block(struct store_writer *w)
{
	struct flow_block *b = &w->blk, t;
	struct flow f;
	size_t i, n = b->n;

	if (!w->conf.sort_rows)
		return 0;
	for (i = 1; i < n && b->first[i - 1] <= b->first[i]; i++)
		;
	if (i >= n)
		return 0;
	if (n > w->nkeys) {
		free(w->keys);
		if ((w->keys = malloc(n * sizeof(*w->keys))) == NULL) {
			w->nkeys = 0;
			return MM_ENOMEM;
		}
		w->nkeys = n;
	}
	for (i = 0; i < n; i++) {
		w->keys[i].first = b->first[i];
		w->keys[i].row = (uint32_t)i;
	}
	qsort(w->keys, n, sizeof(*w->keys), key_cmp);
	if (flow_block_reserve(&w->tmp, n) != 0)
		return MM_ENOMEM;
	flow_block_clear(&w->tmp);
	for (i = 0; i < n; i++) {
		flow_block_get(b, w->keys[i].row, &f);
		(void)flow_block_append(&w->tmp, &f);	/* reserved */
	}
	t = *b;
	*b = w->tmp;
	w->tmp = t;
	return 0;
}

static int
hset_insert(struct store_writer *w, uint64_t h)
{
	size_t i, mask = w->hcap - 1;

	if (h == 0)
		h = 1;	/* 0 marks an empty slot */
	for (i = (size_t)(h ^ (h >> 29)) & mask; w->hset[i] != 0;
	    i = (i + 1) & mask)
		if (w->hset[i] == h)
			return 0;
	w->hset[i] = h;
	return 1;
}

/* Computes the address index: min/max and a Bloom filter appended to out. */
static int
encode_index(struct store_writer *w, struct mm_addr *amin,
    struct mm_addr *amax, uint32_t *mbits)
{
	const struct flow_block *b = &w->blk;
	size_t i, need, distinct = 0, bytes;
	uint64_t m;
	uint8_t *bits;
	const struct mm_addr *a;
	int pass;

	*amin = b->src[0];
	*amax = b->src[0];
	for (need = 16; need < 4 * b->n; need *= 2)
		;
	if (need > w->hcap) {
		free(w->hset);
		if ((w->hset = malloc(need * sizeof(*w->hset))) == NULL) {
			w->hcap = 0;
			return MM_ENOMEM;
		}
		w->hcap = need;
	}
	memset(w->hset, 0, w->hcap * sizeof(*w->hset));
	for (pass = 0; pass < 2; pass++) {
		a = pass == 0 ? b->src : b->dst;
		for (i = 0; i < b->n; i++) {
			if (addr_cmp(&a[i], amin) < 0)
				*amin = a[i];
			if (addr_cmp(&a[i], amax) > 0)
				*amax = a[i];
			distinct += hset_insert(w, bloom_hash(&a[i]));
		}
	}
	m = (uint64_t)distinct * STORE_BLOOM_BITS_PER;
	if (m < 64)
		m = 64;
	m = (m + 63) & ~(uint64_t)63;
	bytes = (size_t)(m / 8);
	if (sbuf_reserve(&w->out, bytes))
		return MM_ENOMEM;
	bits = w->out.p + w->out.len;
	memset(bits, 0, bytes);
	for (i = 0; i < w->hcap; i++)
		if (w->hset[i] != 0)
			bloom_add(bits, (uint32_t)m, STORE_BLOOM_K, w->hset[i]);
	/*
	 * The set stores hash 0 as 1; bloom_test() on an address whose hash
	 * is 0 would then miss. Add it explicitly (a 2^-64 event, but exact).
	 */
	for (pass = 0; pass < 2; pass++) {
		a = pass == 0 ? b->src : b->dst;
		for (i = 0; i < b->n; i++)
			if (bloom_hash(&a[i]) == 0)
				bloom_add(bits, (uint32_t)m, STORE_BLOOM_K, 0);
	}
	w->out.len += bytes;
	*mbits = (uint32_t)m;
	return 0;
}

/* Compresses raw into body; sets *stored and *flags. */
static int
compress_col(struct store_writer *w, uint32_t *stored, uint16_t *flags)
{
	size_t bound, r;
	int lr;

	*flags = 0;
	if (w->conf.codec == STORE_ZSTD && w->raw.len >= 32) {
		bound = ZSTD_compressBound(w->raw.len);
		if (sbuf_reserve(&w->body, bound))
			return MM_ENOMEM;
		r = ZSTD_compressCCtx(w->zc, w->body.p + w->body.len, bound,
		    w->raw.p, w->raw.len, w->conf.level);
		if (!ZSTD_isError(r) && r < w->raw.len) {
			w->body.len += r;
			*stored = (uint32_t)r;
			return 0;
		}
	} else if (w->conf.codec == STORE_LZ4 && w->raw.len >= 32 &&
	    w->raw.len < (size_t)LZ4_MAX_INPUT_SIZE) {
		bound = (size_t)LZ4_compressBound((int)w->raw.len);
		if (sbuf_reserve(&w->body, bound))
			return MM_ENOMEM;
		lr = LZ4_compress_default((const char *)w->raw.p,
		    (char *)w->body.p + w->body.len, (int)w->raw.len,
		    (int)bound);
		if (lr > 0 && (size_t)lr < w->raw.len) {
			w->body.len += (size_t)lr;
			*stored = (uint32_t)lr;
			return 0;
		}
	}
	*flags = COLF_RAW;
	*stored = (uint32_t)w->raw.len;
	return sbuf_put(&w->body, w->raw.p, w->raw.len);
}

/*
 * Encodes w->blk into w->out. Layout (docs/store-format.md):
 *   0 magic, 4 block_len, 8 header_len, 12 rows, 16 tmin, 24 tmax,
 *   32 codec, 33 ncols, 34 bloom_k, 35 reserved, 36 bloom_bits,
 *   40 addr_min[16], 56 addr_max[16], 72 directory (16 bytes per column:
 *   id, transform, flags, raw length, stored length, section CRC), bloom,
 *   header CRC, column sections, block CRC.
 */
static int
encode_block(struct store_writer *w)
{
	const struct flow_block *b = &w->blk;
	struct mm_addr amin, amax;
	mtime_t tmin, tmax;
	uint32_t mbits, stored, crc;
	uint16_t flags;
	uint8_t tr, *h, *dir;
	size_t i, hlen, blen, secoff;
	int c, rc;

	w->out.len = 0;
	w->body.len = 0;
	if ((rc = sort_block(w)) != 0)
		return rc;
	tmin = tmax = b->first[0];
	for (i = 0; i < b->n; i++) {
		if (b->first[i] < tmin)
			tmin = b->first[i];
		if (b->first[i] > tmax)
			tmax = b->first[i];
		if (b->last[i] < tmin)
			tmin = b->last[i];
		if (b->last[i] > tmax)
			tmax = b->last[i];
	}
	if (sbuf_reserve(&w->out, STORE_BLOCK_FIXED +
	    FCOL_COUNT * STORE_COLDIR_LEN))
		return MM_ENOMEM;
	w->out.len = STORE_BLOCK_FIXED + FCOL_COUNT * STORE_COLDIR_LEN;
	memset(w->out.p, 0, w->out.len);
	dir = w->out.p + STORE_BLOCK_FIXED;
	for (c = 0; c < FCOL_COUNT; c++) {
		w->raw.len = 0;
		if ((rc = column_encode(b, (enum flow_col)c, &w->raw, &tr)) != 0)
			return rc;
		secoff = w->body.len;
		if ((rc = compress_col(w, &stored, &flags)) != 0)
			return rc;
		dir = w->out.p + STORE_BLOCK_FIXED + c * STORE_COLDIR_LEN;
		dir[0] = (uint8_t)c;
		dir[1] = tr;
		le_put16(dir + 2, flags);
		le_put32(dir + 4, (uint32_t)w->raw.len);
		le_put32(dir + 8, stored);
		le_put32(dir + 12, crc32c(0, w->body.p + secoff, stored));
	}
	if ((rc = encode_index(w, &amin, &amax, &mbits)) != 0)
		return rc;
	hlen = w->out.len + 4;
	blen = hlen + w->body.len + 4;
	if (blen > STORE_MAX_BLOCK)
		return MM_ELIMIT;
	h = w->out.p;
	le_put32(h, STORE_BLOCK_MAGIC);
	le_put32(h + 4, (uint32_t)blen);
	le_put32(h + 8, (uint32_t)hlen);
	le_put32(h + 12, (uint32_t)b->n);
	le_put64(h + 16, (uint64_t)tmin);
	le_put64(h + 24, (uint64_t)tmax);
	h[32] = (uint8_t)w->conf.codec;
	h[33] = FCOL_COUNT;
	h[34] = STORE_BLOOM_K;
	h[35] = 0;
	le_put32(h + 36, mbits);
	memcpy(h + 40, amin.b, 16);
	memcpy(h + 56, amax.b, 16);
	crc = crc32c(0, w->out.p, w->out.len);
	if ((rc = sbuf_put_u32(&w->out, crc)) != 0 ||
	    (rc = sbuf_put(&w->out, w->body.p, w->body.len)) != 0)
		return rc;
	crc = crc32c(0, w->out.p, w->out.len);
	return sbuf_put_u32(&w->out, crc);
}

/* ---- files ---- */

static int
make_path(struct store_writer *w, mtime_t iv, char *dir, size_t dlen)
{
	struct tm tm;
	time_t t = (time_t)(iv / 1000);
	int n;

	if (gmtime_r(&t, &tm) == NULL)
		return MM_ERANGE;
	n = snprintf(dir, dlen, "%s/flows/%04d/%02d/%02d", w->datadir,
	    tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday);
	if (n < 0 || (size_t)n >= dlen)
		return MM_ERANGE;
	n = snprintf(w->path, sizeof(w->path),
	    "%s/flows-%04d%02d%02d%02d%02d.mmf", dir, tm.tm_year + 1900,
	    tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min);
	if (n < 0 || (size_t)n >= sizeof(w->path))
		return MM_ERANGE;
	return 0;
}

/*
 * Validates an existing file and finds the end of its last good block.
 * Returns 0 with *end set, or MM_EFORMAT when the file is not ours.
 */
static int
recover_file(struct store_writer *w, uint64_t *end, struct mm_diag *diag)
{
	struct store_reader *r;
	struct store_block_info info;
	int rc;

	*end = STORE_FILE_HDRLEN;
	rc = store_reader_open(w->path, &r, diag);
	if (rc != 0)
		return rc;
	while ((rc = store_reader_next(r, &info, NULL)) != 0) {
		if (rc < 0)
			continue;
		if (store_reader_check(r, NULL) == 0 &&
		    info.offset + info.stored_bytes > *end)
			*end = info.offset + info.stored_bytes;
	}
	store_reader_close(r);
	return 0;
}

static int
open_file(struct store_writer *w, struct mm_diag *diag)
{
	char dir[PATH_MAX];
	uint8_t hdr[STORE_FILE_HDRLEN];
	struct stat st;
	uint64_t end;
	ssize_t n;
	int rc;

	if ((rc = make_path(w, w->iv, dir, sizeof(dir))) != 0)
		return mm_diag_set(diag, rc, "store: bad interval time %lld",
		    (long long)w->iv);
	if (store_mkdirs(dir) != 0)
		return mm_diag_set(diag, MM_EIO, "store: cannot create %s: %s",
		    dir, strerror(errno));
	w->fd = open(w->path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (w->fd < 0 || fstat(w->fd, &st) != 0)
		goto ioerr;
	if (st.st_size >= STORE_FILE_HDRLEN) {
		rc = recover_file(w, &end, diag);
		if (rc != 0) {
			close(w->fd);
			w->fd = -1;
			return mm_diag_set(diag, MM_EFORMAT, "store: %s exists "
			    "and is not a valid store file; not overwriting it",
			    w->path);
		}
		if ((uint64_t)st.st_size != end && ftruncate(w->fd,
		    (off_t)end) != 0)
			goto ioerr;
		w->off = end;
	} else {
		/* New, or torn before its header was complete. */
		store_file_header_make(hdr, w->iv, (uint32_t)w->conf.rotate_ms);
		if (ftruncate(w->fd, 0) != 0)
			goto ioerr;
		n = pwrite(w->fd, hdr, sizeof(hdr), 0);
		if (n != (ssize_t)sizeof(hdr))
			goto ioerr;
		w->off = sizeof(hdr);
		if (w->conf.fsync) {
			int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

			/* make the new name durable too */
			if (dfd >= 0) {
				(void)fsync(dfd);
				close(dfd);
			}
		}
	}
	w->fd_iv = w->iv;
	return 0;
ioerr:
	rc = errno;
	if (w->fd >= 0)
		close(w->fd);
	w->fd = -1;
	return mm_diag_set(diag, MM_EIO, "store: %s: %s", w->path,
	    strerror(rc ? rc : EIO));
}

static void
close_file(struct store_writer *w)
{
	if (w->fd >= 0)
		close(w->fd);
	w->fd = -1;
}

/* Writes the buffered rows as one block (no-op when empty). */
static int
write_block(struct store_writer *w, struct mm_diag *diag)
{
	size_t done = 0;
	ssize_t n;
	int rc, e;

	if (w->blk.n == 0)
		return 0;
	if (w->fd >= 0 && w->fd_iv != w->iv)
		close_file(w);
	if (w->fd < 0 && (rc = open_file(w, diag)) != 0)
		goto drop;
	if ((rc = encode_block(w)) != 0) {
		mm_diag_set(diag, rc, "store: cannot encode block for %s: %s",
		    w->path, mm_strerror(rc));
		goto drop;
	}
	while (done < w->out.len) {
		n = pwrite(w->fd, w->out.p + done, w->out.len - done,
		    (off_t)(w->off + done));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			e = n < 0 ? errno : EIO;
			if (ftruncate(w->fd, (off_t)w->off) != 0)
				close_file(w);	/* reopen will recover */
			rc = mm_diag_set(diag, MM_EIO, "store: write %s at "
			    "offset %llu: %s", w->path,
			    (unsigned long long)w->off, strerror(e));
			goto drop;
		}
		done += (size_t)n;
	}
	if (w->conf.fsync && fdatasync(w->fd) != 0) {
		rc = mm_diag_set(diag, MM_EIO, "store: fdatasync %s: %s",
		    w->path, strerror(errno));
		w->off += w->out.len;
		goto drop;
	}
	w->off += w->out.len;
	w->rows += w->blk.n;
	w->blocks++;
	w->bytes += w->out.len;
	flow_block_clear(&w->blk);
	return 0;
drop:
	flow_block_clear(&w->blk);
	return rc;
}

int
store_writer_add(struct store_writer *w, const struct flow *f, mtime_t now,
    struct mm_diag *diag)
{
	mtime_t iv = interval_of(now, w->conf.rotate_ms);
	int rc = 0;

	if (w->have_iv && iv != w->iv) {
		rc = write_block(w, diag);
		close_file(w);
	}
	w->iv = iv;
	w->have_iv = 1;
	if (w->blk.n == 0)
		w->since = now;
	if (flow_block_append(&w->blk, f) != 0)
		return mm_diag_set(diag, MM_ENOMEM, "store: out of memory");
	if (w->blk.n >= w->conf.block_rows) {
		int rc2 = write_block(w, diag);

		if (rc == 0)
			rc = rc2;
	}
	return rc;
}

int
store_writer_tick(struct store_writer *w, mtime_t now, struct mm_diag *diag)
{
	mtime_t iv = interval_of(now, w->conf.rotate_ms);
	int rc = 0;

	if (w->have_iv && iv != w->iv) {
		rc = write_block(w, diag);
		close_file(w);
		w->have_iv = 0;
	} else if (w->blk.n > 0 && now - w->since >= w->conf.flush_ms)
		rc = write_block(w, diag);
	return rc;
}

int
store_writer_flush(struct store_writer *w, struct mm_diag *diag)
{
	return write_block(w, diag);
}

int
store_writer_close(struct store_writer *w, struct mm_diag *diag)
{
	int rc;

	if (w == NULL)
		return 0;
	rc = w->zc != NULL ? write_block(w, diag) : 0;
	close_file(w);
	flow_block_free(&w->blk);
	flow_block_free(&w->tmp);
	free(w->keys);
	sbuf_free(&w->out);
	sbuf_free(&w->raw);
	sbuf_free(&w->body);
	free(w->hset);
	ZSTD_freeCCtx(w->zc);
	free(w->datadir);
	free(w);
	return rc;
}

void
store_writer_counts(const struct store_writer *w, uint64_t *rows,
    uint64_t *blocks, uint64_t *bytes)
{
	if (rows != NULL)
		*rows = w->rows;
	if (blocks != NULL)
		*blocks = w->blocks;
	if (bytes != NULL)
		*bytes = w->bytes;
}
