/*
 * sbuf.c - the growable string buffer (see sbuf.h).
 *
 * Growth doubles the capacity from 256 bytes until content, the new bytes
 * and the terminator fit, so n appended bytes cost O(n) amortised copies.
 * The size arithmetic is checked: a request whose length would wrap size_t
 * fails with MM_ENOMEM before anything is allocated. strbuf_printf uses the
 * portable two-pass vsnprintf (measure with a NULL buffer, then write into
 * room made by growing), so it needs nothing past C11.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "core/sbuf.h"

#define STRBUF_MIN	256

void
strbuf_init(struct strbuf *b)
{
	strbuf_init_cap(b, 0);
}

void
strbuf_init_cap(struct strbuf *b, size_t max)
{
	b->p = NULL;
	b->len = b->cap = 0;
	b->max = max;
	b->err = 0;
}

/* Makes room for n more bytes plus the terminator; sets b->err on failure. */
static int
strbuf_grow(struct strbuf *b, size_t n)
{
	size_t need, nc;
	char *np;

	if (b->err != 0)
		return b->err;
	if (b->max != 0 && (n > b->max || b->len + n > b->max))
		return (b->err = MM_ELIMIT);
	if (n > (size_t)-1 - 1 - b->len)
		return (b->err = MM_ENOMEM);
	need = b->len + n + 1;
	if (need <= b->cap)
		return 0;
	nc = b->cap ? b->cap : STRBUF_MIN;
	while (nc < need) {
		if (nc > (size_t)-1 / 2) {
			nc = need;
			break;
		}
		nc *= 2;
	}
	if ((np = realloc(b->p, nc)) == NULL)
		return (b->err = MM_ENOMEM);
	b->p = np;
	b->cap = nc;
	return 0;
}

int
strbuf_add(struct strbuf *b, const void *s, size_t n)
{
	if (strbuf_grow(b, n) != 0)
		return b->err;
	if (n > 0)
		memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
	return 0;
}

int
strbuf_str(struct strbuf *b, const char *s)
{
	return strbuf_add(b, s, strlen(s));
}

int
strbuf_printf(struct strbuf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (b->err != 0)
		return b->err;
	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		return MM_EINVAL;
	if (strbuf_grow(b, (size_t)n) != 0)
		return b->err;
	va_start(ap, fmt);
	n = vsnprintf(b->p + b->len, b->cap - b->len, fmt, ap);
	va_end(ap);
	if (n < 0) {
		b->p[b->len] = '\0';
		return MM_EINVAL;
	}
	b->len += (size_t)n;
	return 0;
}

void
strbuf_free(struct strbuf *b)
{
	if (b == NULL)
		return;
	free(b->p);
	strbuf_init_cap(b, b->max);
}

int
strbuf_take(struct strbuf *b, char **out, size_t *len)
{
	int rc;

	*out = NULL;
	if (len != NULL)
		*len = 0;
	if ((rc = b->err) != 0)
		goto out;
	if (b->p == NULL && (rc = strbuf_add(b, "", 0)) != 0)
		goto out;
	*out = b->p;
	b->p = NULL;
	if (len != NULL)
		*len = b->len;
out:
	strbuf_free(b);
	return rc;
}
