/*
 * sbuf.h - the one growable string buffer of mamori.
 *
 * Mail messages, abuse reports, X-ARF parts and rendered templates are all
 * built by appending text to a heap buffer. struct strbuf is that buffer: a
 * pointer paired with its length and capacity, kept NUL-terminated once
 * anything (even zero bytes) was added, plus a sticky error. The first
 * failure (MM_ENOMEM, or MM_ELIMIT past an optional hard cap) is kept in
 * `err` and turns every later append into a no-op, so a writer may append
 * freely and check once at the end.
 *
 * The type is struct strbuf (functions strbuf_*), not "sbuf": that name is
 * taken by the binary column buffer of src/store/column.h, which is linked
 * into the same programs. This one is for text; sizes are content bytes.
 *
 * Cost: appends are amortised O(n) (capacity doubles from 256 bytes); the
 * buffer never holds more than twice its content plus one byte, and never
 * more than max content bytes when a cap is set.
 */
#ifndef MAMORI_CORE_SBUF_H
#define MAMORI_CORE_SBUF_H

#include <stddef.h>

struct strbuf {
	char	*p;		/* NUL-terminated content, or NULL (empty) */
	size_t	 len, cap;	/* content bytes (no NUL); bytes allocated */
	size_t	 max;		/* hard cap on len, or 0 for none */
	int	 err;		/* sticky: 0, MM_ENOMEM or MM_ELIMIT */
};

/* An empty buffer without a cap, or with cap `max`; same as the inits. */
#define STRBUF_INIT		{ NULL, 0, 0, 0, 0 }
#define STRBUF_INIT_CAP(max)	{ NULL, 0, 0, (max), 0 }

/* Makes `b` an empty buffer without a cap. Allocates nothing. */
void	strbuf_init(struct strbuf *b);

/*
 * Makes `b` an empty buffer whose content may not grow past `max` bytes
 * (0: no cap); an append that would sets MM_ELIMIT. Allocates nothing.
 */
void	strbuf_init_cap(struct strbuf *b, size_t max);

/*
 * Appends s[0..n) (any bytes, NUL included) and keeps the content
 * NUL-terminated; n == 0 still allocates the terminator. Does nothing once
 * b->err is set. Returns b->err: 0, MM_ENOMEM or MM_ELIMIT (the content is
 * then left as it was before the failing append). `s` may be NULL only
 * when n == 0.
 */
int	strbuf_add(struct strbuf *b, const void *s, size_t n);

/* strbuf_add() of a NUL-terminated string (not NULL). Returns b->err. */
int	strbuf_str(struct strbuf *b, const char *s);

/*
 * Appends printf-formatted text (C11 vsnprintf: measured first, then
 * written in place). Returns b->err; an encoding error of vsnprintf leaves
 * the buffer and b->err untouched and returns MM_EINVAL.
 */
int	strbuf_printf(struct strbuf *b, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

/* Frees the content and makes `b` empty again (keeps the cap, clears the
 * error). NULL-safe. */
void	strbuf_free(struct strbuf *b);

/*
 * Hands the content to the caller: stores in *out a NUL-terminated heap
 * string (an empty one if nothing was added) that the caller frees, and its
 * length in *len when len is not NULL; returns 0. If b->err is set, or the
 * empty string cannot be allocated, frees the content, stores NULL and 0
 * and returns that error (MM_ENOMEM or MM_ELIMIT). Either way `b` is left
 * empty, with its cap and without an error. `out` may not be NULL.
 */
int	strbuf_take(struct strbuf *b, char **out, size_t *len);

#endif
