/*
 * mail.h - building one complete RFC 5322 / MIME message in memory.
 *
 * The message mamori sends to an abuse desk:
 *
 *	From, To, Subject, Date, Message-ID, MIME-Version: 1.0,
 *	Auto-Submitted: auto-generated (RFC 3834: it is machine-made),
 *	caller's extra headers,
 *	Content-Type: multipart/mixed; boundary="..." (RFC 2046)
 *	  part 1: text/plain; charset=UTF-8, base64 or quoted-printable
 *	  part 2..: attachments (CSV: text/csv; charset=UTF-8, X-ARF:
 *	            application/json), base64, Content-Disposition:
 *	            attachment; filename=... (RFC 2231 for non-ASCII names)
 *
 * Rules kept (and checked by tests/notify/test_mail.c):
 *  - CRLF line endings everywhere; no line over 78 characters in the
 *    header (except where one address or the Message-ID alone is longer:
 *    those cannot be folded, and stay far below RFC 5322 2.1.1's 998) and
 *    none over 76 in encoded bodies;
 *  - non-ASCII header text becomes RFC 2047 "B" encoded words of at most
 *    75 characters, each holding whole UTF-8 characters (RFC 2047 5 (3)),
 *    folded onto continuation lines;
 *  - header injection is impossible: every value supplied by data is
 *    refused (MM_EINVAL) when it contains CR, LF, NUL or another control
 *    character; addresses must pass the built-in structural check (ASCII
 *    local@domain, no specials that would end the header) *and* the
 *    caller's check; the boundary is validated (RFC 2046 bchars, 1..70);
 *  - sizes are capped (MAIL_MAX_BYTES in total, MAIL_MAX_PARTS parts).
 * The text body is canonicalised to CRLF line breaks before encoding
 * (RFC 2049 section 4).
 *
 * Date, Message-ID and the boundary are inputs so that output is
 * byte-for-byte reproducible (golden tests); mail_boundary_make() and
 * mail_message_id_make() make random ones for real sends.
 *
 * Costs: O(message bytes); one output buffer grown geometrically. Nothing
 * here prints or touches the network.
 */
#ifndef MAMORI_NOTIFY_MAIL_H
#define MAMORI_NOTIFY_MAIL_H

#include <stddef.h>
#include <stdint.h>

#include "core/err.h"
#include "core/mtime.h"

#define MAIL_MAX_BYTES		(16 * 1024 * 1024)
#define MAIL_MAX_PART		(8 * 1024 * 1024)	/* one part, raw */
#define MAIL_MAX_PARTS		64
#define MAIL_MAX_RCPTS		16
#define MAIL_MAX_HEADERS	16	/* extra headers */
#define MAIL_MAX_HVALUE		2048	/* one header value, raw bytes */
#define MAIL_MAX_ADDR		254
#define MAIL_LINE_MAX		78	/* header lines we write */
#define MAIL_BODY_LINE		76	/* encoded body lines */
#define MAIL_BOUNDARY_MAX	70

enum mail_cte {
	MAIL_CTE_BASE64 = 0,
	MAIL_CTE_QP		/* quoted-printable (RFC 2045 6.7) */
};

/* An attachment. */
struct mail_part {
	const char	*content_type;	/* "text/csv", "application/json" */
	int		 text;		/* 1: add "; charset=UTF-8" */
	const char	*filename;	/* UTF-8; NULL = inline, no name */
	const void	*data;
	size_t		 len;
};

/* An extra header, e.g. { "X-Mamori-Report", "scan_telnet" }. */
struct mail_header {
	const char	*name;		/* RFC 5322 field name (ftext) */
	const char	*value;		/* unstructured; UTF-8 is encoded */
};

struct mail_msg {
	const char		*from;		/* addr-spec */
	const char		*from_name;	/* display name, UTF-8, or NULL */
	const char *const	*to;		/* addr-specs */
	size_t			 nto;
	const char		*reply_to;	/* addr-spec or NULL */
	const char		*subject;	/* UTF-8, one line */
	mtime_t			 date;
	int			 tz_min;	/* Date zone, minutes east of UTC */
	const char		*message_id;	/* "<left@right>" */
	const char		*boundary;	/* NULL = random */
	const char		*body;		/* UTF-8 text/plain */
	size_t			 body_len;
	enum mail_cte		 body_cte;
	const struct mail_part	*parts;
	size_t			 nparts;
	const struct mail_header *headers;
	size_t			 nheaders;
};

/* Returns 1 if `addr` may be used, 0 if not. */
typedef int (*mail_addr_check)(const char *addr, void *arg);

/*
 * Builds the whole message into a new buffer *out (NUL-terminated, *len
 * bytes without the NUL; caller frees). `check` (may be NULL: the built-in
 * structural check only) is asked about every address (From, To,
 * Reply-To). Returns 0, MM_EINVAL (a missing field, a control character
 * in a header value, a refused address, a bad Message-ID, boundary or
 * header name, invalid UTF-8 in the subject or a filename), MM_ELIMIT
 * (over a cap), MM_ENOMEM; `d` names the field. *out is NULL on error.
 */
int	mail_build(const struct mail_msg *m, mail_addr_check check, void *arg,
	    char **out, size_t *len, struct mm_diag *d);

/* The built-in structural check: ASCII "local@domain", local part of
 * atext and dots (no leading/trailing/double dot), domain of letters,
 * digits, '-' and '.', or a bracketed literal; at most MAIL_MAX_ADDR
 * bytes. Returns 1 if it passes. `arg` is ignored (usable as a
 * mail_addr_check). */
int	mail_addr_valid(const char *addr, void *arg);

/*
 * Formats `t` as an RFC 5322 date-time in zone `tz_min` (minutes east of
 * UTC, -1439..1439): "Thu, 26 Nov 2026 15:39:30 +0900". Returns buf, or
 * NULL when len < 32.
 */
char	*mail_date_fmt(mtime_t t, int tz_min, char *buf, size_t len);

/* Writes a random boundary ("=_mamori_" + 32 hex digits) into buf (at
 * least 48 bytes). Returns 0 or MM_EIO (no randomness). */
int	mail_boundary_make(char *buf, size_t len);
/* Writes "<TIME.RANDOM@domain>" into buf (at least 40 + strlen(domain)
 * bytes). Returns 0, MM_EINVAL (bad domain, small buf) or MM_EIO. */
int	mail_message_id_make(const char *domain, mtime_t now, char *buf,
	    size_t len);

/*
 * Encodes `len` bytes as base64 with CRLF after every `linelen` (a
 * multiple of 4, or 0 for one unbroken line) characters and after the
 * last line when linelen > 0. Returns 0 with *out malloc'd
 * (NUL-terminated), or MM_ENOMEM / MM_ELIMIT.
 */
int	mail_b64_encode(const void *in, size_t len, size_t linelen,
	    char **out, size_t *outlen);
/* Decodes base64, skipping CR, LF, space and tab. Returns 0 with *out
 * malloc'd (NUL-terminated for convenience), or MM_EFORMAT. */
int	mail_b64_decode(const char *in, size_t len, unsigned char **out,
	    size_t *outlen);
/*
 * Quoted-printable (RFC 2045 6.7) of text whose line breaks are CRLF:
 * hard breaks stay CRLF, lines are soft-broken to at most 76 characters,
 * '=' and bytes outside 33..126 (except inner space/tab) are =XX, as is
 * whitespace before a break. Returns 0 with *out malloc'd, or MM_ENOMEM.
 */
int	mail_qp_encode(const void *in, size_t len, char **out,
	    size_t *outlen);
/* Decodes quoted-printable (soft breaks removed). Returns 0 or
 * MM_EFORMAT / MM_ENOMEM. */
int	mail_qp_decode(const char *in, size_t len, unsigned char **out,
	    size_t *outlen);

/*
 * Writes header field "Name: value" for unstructured UTF-8 `value`:
 * printable ASCII is folded at blanks, anything else becomes "B" encoded
 * words (<= 75 chars, whole UTF-8 characters) folded so that no line
 * exceeds MAIL_LINE_MAX; ends with CRLF. Returns 0 with *out malloc'd, or
 * MM_EINVAL (control characters, invalid UTF-8, value over
 * MAIL_MAX_HVALUE) / MM_ENOMEM.
 */
int	mail_header_encode(const char *name, const char *value, char **out,
	    struct mm_diag *d);
/*
 * Decodes an unfolded header value with RFC 2047 encoded words (B and Q,
 * charset UTF-8 or US-ASCII); blanks between adjacent encoded words are
 * dropped. For tests and bounce parsing. Returns 0 with *out malloc'd, or
 * MM_EFORMAT / MM_EUNSUP (other charset) / MM_ENOMEM.
 */
int	mail_header_decode(const char *value, char **out);

#endif
