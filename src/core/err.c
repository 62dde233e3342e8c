/*
 * err.c - error names and diagnostic lines. See err.h for the convention.
 *
 * No state: mm_strerror() is a switch over constant strings and
 * mm_diag_set() formats one bounded line into the caller's struct; both are
 * O(1) (O(line) for the format) and thread-safe.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "core/err.h"

const char *
mm_strerror(int err)
{
	switch (err) {
	case MM_OK:		return "success";
	case MM_ENOMEM:		return "out of memory";
	case MM_ETRUNC:		return "truncated input";
	case MM_EFORMAT:	return "malformed input";
	case MM_EIO:		return "I/O error";
	case MM_ERANGE:		return "value out of range";
	case MM_EUNSUP:		return "unsupported";
	case MM_ENOENT:		return "not found";
	case MM_ECORRUPT:	return "corrupt data";
	case MM_ELIMIT:		return "limit reached";
	case MM_ESYNTAX:	return "syntax error";
	case MM_EINVAL:		return "invalid argument";
	case MM_ENOTMPL:	return "unknown template";
	case MM_EAGAIN:		return "temporarily unavailable";
	default:		return "unknown error";
	}
}

int
mm_diag_set(struct mm_diag *d, int err, const char *fmt, ...)
{
	va_list ap;

	if (d == NULL)
		return err;
	va_start(ap, fmt);
	vsnprintf(d->msg, sizeof(d->msg), fmt, ap);
	va_end(ap);
	return err;
}

int
mm_diag_vat(struct mm_diag *d, int err, const char *file, unsigned long line,
    const char *field, const char *fmt, va_list ap)
{
	char msg[MM_DIAG_LEN];

	if (d == NULL)
		return err;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	if (line > 0)
		return mm_diag_set(d, err, "%s:%lu: %s%s%s", file, line,
		    field != NULL ? field : "", field != NULL ? ": " : "", msg);
	return mm_diag_set(d, err, "%s: %s%s%s", file,
	    field != NULL ? field : "", field != NULL ? ": " : "", msg);
}

void
mm_diag_clear(struct mm_diag *d)
{
	if (d == NULL)
		return;
	d->msg[0] = '\0';
	d->pos = -1;
}
