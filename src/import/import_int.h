/*
 * import_int.h - private to src/import/: the line reader shared by the text
 * importers, the length-checked tokeniser and field parsers, and the table
 * of text formats.
 */
#ifndef MAMORI_IMPORT_IMPORT_INT_H
#define MAMORI_IMPORT_IMPORT_INT_H

#include <stddef.h>
#include <stdint.h>

#include "core/addr.h"
#include "core/err.h"
#include "core/mtime.h"
#include "import/import.h"

#define IMPORT_MAX_TIME_S	32503680000LL	/* 3000-01-01, sanity cap */

/* A field: `n` bytes at `p` (not NUL-terminated). */
struct tok {
	const char	*p;
	size_t		 n;
};

/*
 * Splits `n` bytes at `s` on the separator `sep` (`seplen` bytes, >= 1)
 * into at most `maxf` fields. Returns the field count, or maxf + 1 when
 * the line holds more fields than that (f[] then holds the first maxf).
 */
size_t	tok_split(const char *s, size_t n, const char *sep, size_t seplen,
	    struct tok *f, size_t maxf);
/* Strips ASCII blanks at both ends (in place). */
void	tok_trim(struct tok *t);
/* 1 if `t` equals the NUL-terminated `s`. */
int	tok_eq(const struct tok *t, const char *s);
/* 1 if `t` equals `s` ignoring ASCII case. */
int	tok_eqi(const struct tok *t, const char *s);
/* Copies `t` into `buf` (size `len`) NUL-terminated. Returns 0, or
 * MM_ERANGE when it does not fit or holds a NUL byte. */
int	tok_str(const struct tok *t, char *buf, size_t len);

/* Decimal unsigned integer, no sign, overflow-checked. 0 or MM_ESYNTAX /
 * MM_ERANGE. */
int	tok_u64(const struct tok *t, uint64_t *v);
/* Decimal, or hexadecimal with 0x prefix, at most `max`. */
int	tok_uint_max(const struct tok *t, uint64_t max, uint64_t *v);
/* Non-negative decimal seconds with optional fraction ("1.25", "3550",
 * ".5") to milliseconds, truncated; exact (no floating point); at most
 * IMPORT_MAX_TIME_S. Also accepts the exponent form "1.5e+09" that JSON
 * writers may produce. */
int	tok_secs_ms(const struct tok *t, mtime_t *ms);
/* Address (dotted quad or IPv6 text, IPv6 zone "%eth0" dropped). */
int	tok_addr(const struct tok *t, struct mm_addr *a);
/* Protocol by name (tcp, udp, icmp, ipv6-icmp, icmp6, sctp, gre, esp,
 * ah, igmp ...) or number 0..255. */
int	tok_proto(const struct tok *t, uint8_t *proto);
/* Time with mtime_parse() (RFC 3339, "2011/08/10 09:46:59.607825", ...). */
int	tok_time(const struct tok *t, mtime_t *ms);

/* ---- line reader ---- */
struct lineio;

/* Opens a file (plain or gzip). Returns 0 or MM_EIO/MM_ENOMEM + diag. */
int	lineio_open_file(const char *path, size_t max_line,
	    struct lineio **l, struct mm_diag *diag);
/* Reader over memory (kept alive by the caller). */
int	lineio_open_mem(const void *buf, size_t len, const char *name,
	    size_t max_line, struct lineio **l, struct mm_diag *diag);
/*
 * Next line without its LF (and CR). Returns 1 with *line and *len set (the
 * line is NUL-terminated in the reader's buffer, valid until the next
 * call; *overlong set when the line exceeded max_line and was cut to
 * nothing), 0 at end of input, or MM_EIO/MM_ETRUNC/MM_EFORMAT + diag.
 */
int	lineio_next(struct lineio *l, const char **line, size_t *len,
	    int *overlong, struct mm_diag *diag);
/* 1-based number of the line last returned. */
uint64_t lineio_lineno(const struct lineio *l);
/* Input bytes consumed and total (0 when unknown). */
void	lineio_progress(const struct lineio *l, uint64_t *done,
	    uint64_t *total);
void	lineio_close(struct lineio *l);

/* ---- text formats ---- */

/* Per-line context handed to a format. */
struct import_ctx {
	const char		*name;		/* file name for messages */
	const struct import_conf *conf;
	const struct import_sink *sink;
	struct import_stats	*st;
	uint64_t		 lineno;
	int			 emit_rc;	/* emit's non-zero value */
};

struct import_text_ops {
	const char	*name;
	size_t		 state_size;
	/* Called once per line; returns 0 (line handled, counted by the
	 * format as record/skip/malformed), or a fatal error (MM_EFORMAT
	 * with diag: not this format) which ends the import. */
	int		(*line)(void *state, struct import_ctx *ctx,
			    const char *s, size_t n, struct mm_diag *diag);
	void		(*fini)(void *state);	/* may be NULL */
};

extern const struct import_text_ops import_zeek_ops;
extern const struct import_text_ops import_binetflow_ops;
extern const struct import_text_ops import_nfcsv_ops;

/* Counts a malformed line and reports it through sink->warn as
 * "NAME:LINE: FIELD: why" (printf style). */
void	import_bad(struct import_ctx *ctx, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;
/* Hands a flow to the sink; counts it. Returns emit's value (also kept
 * in ctx->emit_rc). */
int	import_emit(struct import_ctx *ctx, const struct flow *f);

/* TCP flag bits */
#define TH_FIN	0x01
#define TH_SYN	0x02
#define TH_RST	0x04
#define TH_PSH	0x08
#define TH_ACK	0x10
#define TH_URG	0x20
#define TH_ECE	0x40
#define TH_CWR	0x80

#endif
