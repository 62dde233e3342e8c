/*
 * lineio.c - the line reader of the text importers: plain or gzip input
 * from a file or memory, cut into lines with a length cap.
 *
 * Input is read in 64 KiB chunks; when the first two bytes are the gzip
 * magic (1f 8b) the chunks go through zlib's inflate (gzip wrapper, one
 * member after another, as gzip -c a b > c makes; bytes after a member
 * that do not start a new one end the input, as gzip does with trailing
 * garbage). A stream that ends inside a member is MM_ETRUNC, a corrupt one
 * MM_EFORMAT. Lines are assembled into one buffer of max_line + 1 bytes; a
 * longer line is consumed to its LF and returned empty with `overlong` set,
 * so memory stays bounded whatever the input. Cost: O(input), 2 x 64 KiB +
 * 256 KiB + max_line bytes of buffers.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <zlib.h>

#include "import/import_int.h"

#define IN_SZ	(64u * 1024)
#define OUT_SZ	(256u * 1024)

struct lineio {
	const char	*name;
	FILE		*fp;
	const uint8_t	*mem;
	size_t		 memlen, memoff;
	int		 gz;		/* input is gzip */
	int		 zinit;
	int		 zend;		/* last member ended */
	int		 ineof;		/* source exhausted */
	z_stream	 zs;
	uint8_t		*in;		/* IN_SZ bytes */
	size_t		 in_len, in_off;
	uint8_t		*out;		/* OUT_SZ bytes */
	size_t		 out_len, out_off;
	char		*line;
	size_t		 max_line;
	size_t		 line_len;
	int		 overlong;
	uint64_t	 lineno;
	uint64_t	 done, total;
};

/* Raw bytes from the source into buf; returns count, 0 at end, -1 error. */
static long
src_read(struct lineio *l, uint8_t *buf, size_t cap)
{
	size_t n;

	if (l->ineof)
		return 0;
	if (l->fp != NULL) {
		n = fread(buf, 1, cap, l->fp);
		if (n == 0) {
			if (ferror(l->fp))
				return -1;
			l->ineof = 1;
		}
	} else {
		n = l->memlen - l->memoff;
		if (n > cap)
			n = cap;
		memcpy(buf, l->mem + l->memoff, n);
		l->memoff += n;
		if (n == 0)
			l->ineof = 1;
	}
	l->done += n;
	return (long)n;
}

static int
open_common(struct lineio *l, size_t max_line, struct mm_diag *diag)
{
	long n;

	l->max_line = max_line != 0 ? max_line : IMPORT_MAX_LINE;
	l->in = malloc(IN_SZ);
	l->out = malloc(OUT_SZ);
	if ((l->line = malloc(l->max_line + 1)) == NULL || l->in == NULL ||
	    l->out == NULL)
		return mm_diag_set(diag, MM_ENOMEM, "%s: out of memory",
		    l->name);
	/* sniff: gzip magic? */
	if ((n = src_read(l, l->in, IN_SZ)) < 0)
		return mm_diag_set(diag, MM_EIO, "%s: read: %s", l->name,
		    strerror(errno));
	l->in_len = (size_t)n;
	if (l->in_len >= 2 && l->in[0] == 0x1f && l->in[1] == 0x8b) {
		l->gz = 1;
		if (inflateInit2(&l->zs, 15 + 16) != Z_OK)
			return mm_diag_set(diag, MM_ENOMEM, "%s: zlib init",
			    l->name);
		l->zinit = 1;
	} else {
		memcpy(l->out, l->in, l->in_len);
		l->out_len = l->in_len;
		l->in_len = 0;
	}
	return 0;
}

int
lineio_open_file(const char *path, size_t max_line, struct lineio **lp,
    struct mm_diag *diag)
{
	struct lineio	*l;
	struct stat	 sb;
	int		 rc;

	*lp = NULL;
	if ((l = calloc(1, sizeof(*l))) == NULL)
		return mm_diag_set(diag, MM_ENOMEM, "%s: out of memory", path);
	l->name = path;
	if ((l->fp = fopen(path, "rb")) == NULL) {
		rc = mm_diag_set(diag, MM_EIO, "%s: %s", path, strerror(errno));
		goto fail;
	}
	if (fstat(fileno(l->fp), &sb) == 0) {
		if (S_ISDIR(sb.st_mode)) {
			rc = mm_diag_set(diag, MM_EIO, "%s: is a directory",
			    path);
			goto fail;
		}
		if (S_ISREG(sb.st_mode))
			l->total = (uint64_t)sb.st_size;
	}
	if ((rc = open_common(l, max_line, diag)) != 0)
		goto fail;
	*lp = l;
	return 0;
 fail:
	lineio_close(l);
	return rc;
}

int
lineio_open_mem(const void *buf, size_t len, const char *name,
    size_t max_line, struct lineio **lp, struct mm_diag *diag)
{
	struct lineio	*l;
	int		 rc;

	*lp = NULL;
	if ((l = calloc(1, sizeof(*l))) == NULL)
		return mm_diag_set(diag, MM_ENOMEM, "%s: out of memory", name);
	l->name = name;
	l->mem = buf;
	l->memlen = len;
	l->total = len;
	if ((rc = open_common(l, max_line, diag)) != 0) {
		lineio_close(l);
		return rc;
	}
	*lp = l;
	return 0;
}

void
lineio_close(struct lineio *l)
{
	if (l == NULL)
		return;
	if (l->zinit)
		inflateEnd(&l->zs);
	if (l->fp != NULL)
		fclose(l->fp);
	free(l->line);
	free(l->in);
	free(l->out);
	free(l);
}

/* Refills out[]. Returns 1 with data, 0 at end of input, or an error. */
static int
fill(struct lineio *l, struct mm_diag *diag)
{
	long	n;
	int	zr;

	l->out_off = l->out_len = 0;
	if (!l->gz) {
		if ((n = src_read(l, l->out, OUT_SZ)) < 0)
			return mm_diag_set(diag, MM_EIO, "%s: read: %s",
			    l->name, strerror(errno));
		l->out_len = (size_t)n;
		return n > 0;
	}
	while (l->out_len == 0) {
		if (l->in_off == l->in_len) {
			if ((n = src_read(l, l->in, IN_SZ)) < 0)
				return mm_diag_set(diag, MM_EIO,
				    "%s: read: %s", l->name, strerror(errno));
			l->in_off = 0;
			l->in_len = (size_t)n;
			if (n == 0) {
				if (l->zend)
					return 0;
				return mm_diag_set(diag, MM_ETRUNC,
				    "%s: gzip stream truncated after %llu "
				    "lines", l->name,
				    (unsigned long long)l->lineno);
			}
		}
		if (l->zend) {
			/* another member, or trailing garbage: stop */
			if (l->in_len - l->in_off < 2 && !l->ineof) {
				/* keep the odd byte: move it to the front */
				memmove(l->in, l->in + l->in_off,
				    l->in_len - l->in_off);
				l->in_len -= l->in_off;
				l->in_off = 0;
				if ((n = src_read(l, l->in + l->in_len,
				    IN_SZ - l->in_len)) < 0)
					return mm_diag_set(diag, MM_EIO,
					    "%s: read: %s", l->name,
					    strerror(errno));
				l->in_len += (size_t)n;
			}
			if (l->in_len - l->in_off < 2 ||
			    l->in[l->in_off] != 0x1f ||
			    l->in[l->in_off + 1] != 0x8b) {
				l->in_off = l->in_len;
				l->ineof = 1;
				return 0;
			}
			if (inflateReset(&l->zs) != Z_OK)
				return mm_diag_set(diag, MM_EFORMAT,
				    "%s: gzip: reset failed", l->name);
			l->zend = 0;
		}
		l->zs.next_in = l->in + l->in_off;
		l->zs.avail_in = (uInt)(l->in_len - l->in_off);
		l->zs.next_out = l->out;
		l->zs.avail_out = OUT_SZ;
		zr = inflate(&l->zs, Z_NO_FLUSH);
		l->in_off = l->in_len - l->zs.avail_in;
		l->out_len = OUT_SZ - l->zs.avail_out;
		if (zr == Z_STREAM_END)
			l->zend = 1;
		else if (zr != Z_OK && zr != Z_BUF_ERROR)
			return mm_diag_set(diag, MM_EFORMAT,
			    "%s: gzip: %s after %llu lines", l->name,
			    l->zs.msg != NULL ? l->zs.msg : "corrupt data",
			    (unsigned long long)l->lineno);
		else if (zr == Z_BUF_ERROR && l->zs.avail_in != 0 &&
		    l->out_len == 0)
			return mm_diag_set(diag, MM_EFORMAT,
			    "%s: gzip: no progress", l->name);
	}
	return 1;
}

int
lineio_next(struct lineio *l, const char **line, size_t *len, int *overlong,
    struct mm_diag *diag)
{
	const uint8_t	*p, *nl;
	size_t		 n;
	int		 rc, got = 0;

	l->line_len = 0;
	l->overlong = 0;
	for (;;) {
		if (l->out_off == l->out_len) {
			if ((rc = fill(l, diag)) < 0)
				return rc;
			if (rc == 0) {
				if (!got)
					return 0;
				break;	/* last line without LF */
			}
		}
		got = 1;
		p = l->out + l->out_off;
		n = l->out_len - l->out_off;
		nl = memchr(p, '\n', n);
		if (nl != NULL)
			n = (size_t)(nl - p);
		if (!l->overlong) {
			if (n > l->max_line - l->line_len) {
				l->overlong = 1;
				l->line_len = 0;
			} else {
				memcpy(l->line + l->line_len, p, n);
				l->line_len += n;
			}
		}
		l->out_off += n + (nl != NULL);
		if (nl != NULL)
			break;
	}
	if (l->line_len > 0 && l->line[l->line_len - 1] == '\r')
		l->line_len--;
	l->line[l->line_len] = '\0';
	l->lineno++;
	*line = l->line;
	*len = l->line_len;
	*overlong = l->overlong;
	return 1;
}

uint64_t
lineio_lineno(const struct lineio *l)
{
	return l->lineno;
}

void
lineio_progress(const struct lineio *l, uint64_t *done, uint64_t *total)
{
	*done = l->done;
	*total = l->total;
}
