/*
 * err.h - the one error-code convention of mamori.
 *
 * Library functions return 0 (MM_OK) on success and a negative mm_err on
 * failure; they never print and never exit. Where a caller needs to know
 * *what* was wrong (which file, field, RFC section), the function also takes
 * an optional `struct mm_diag *` that it fills with one human-readable line.
 * Only the command-line layer and daemons print that line.
 */
#ifndef MAMORI_CORE_ERR_H
#define MAMORI_CORE_ERR_H

#include <stdarg.h>

#include <stddef.h>

enum mm_err {
	MM_OK = 0,
	MM_ENOMEM = -1,		/* allocation failed */
	MM_ETRUNC = -2,		/* input ended before a field did */
	MM_EFORMAT = -3,	/* input is well-sized but malformed */
	MM_EIO = -4,		/* system call failed; errno is kept in diag */
	MM_ERANGE = -5,		/* value outside its allowed range */
	MM_EUNSUP = -6,		/* valid but not supported (e.g. version) */
	MM_ENOENT = -7,		/* no such item */
	MM_ECORRUPT = -8,	/* stored data failed a checksum or sanity check */
	MM_ELIMIT = -9,		/* a configured cap was hit */
	MM_ESYNTAX = -10,	/* syntax error in an expression or text file */
	MM_EINVAL = -11,	/* bad argument from the caller */
	MM_ENOTMPL = -12,	/* flow data for a template not (yet) known */
	MM_EAGAIN = -13		/* try again later (e.g. remote sink down) */
};

#define MM_DIAG_LEN 256

/* One line describing the last failure. `pos` is an offset into the input
 * (byte or character), or -1 when it does not apply. */
struct mm_diag {
	char	msg[MM_DIAG_LEN];
	long	pos;
};

/* Returns a static string naming `err`; never NULL. */
const char	*mm_strerror(int err);

/* Formats into `d` (printf style) and returns `err`, so that library code can
 * write `return mm_diag_set(d, MM_EFORMAT, "...", ...)`. NULL `d` is allowed. */
int		 mm_diag_set(struct mm_diag *d, int err, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

/* The diagnostic of a line of an input file: "FILE:LINE: FIELD: message"
 * ("FILE: ..." when line is 0, no "FIELD: " when field is NULL), the
 * message formatted from fmt/ap, truncated to fit. Returns `err`; NULL `d`
 * is allowed. */
int		 mm_diag_vat(struct mm_diag *d, int err, const char *file,
		    unsigned long line, const char *field, const char *fmt,
		    va_list ap);

/* Clears `d`; NULL-safe. */
void		 mm_diag_clear(struct mm_diag *d);

#endif
