/*
 * http.h - HTTP/1.x for the survey: an incremental, bounded response parser,
 * request building with CR/LF injection refused, and the helpers the
 * identification rules and the credential check need (title, gzip MTIME,
 * Location resolution, WWW-Authenticate, Digest and Basic credentials,
 * Set-Cookie names).
 *
 * The response parser (struct http_resp) is fed bytes as they arrive. It
 * parses the status line and headers (RFC 9112 section 2-5; obs-fold joined
 * with one space), then the body delimited by Content-Length, chunked
 * transfer coding (RFC 9112 7.1) or connection close. 1xx interim responses
 * (but 101) are skipped. Bounds, all in struct http_caps: line length,
 * header count, total header bytes (status line, headers and trailers), body
 * bytes kept (the rest is counted in body_total and discarded). Storage grows
 * by doubling up to those caps, so a small response costs ~1 KiB. The parser
 * never decodes Content-Encoding: a gzip body is kept raw (see
 * http_gzip_mtime). The caller decides when to stop (body_total, time).
 */
#ifndef MAMORI_SURVEY_HTTP_H
#define MAMORI_SURVEY_HTTP_H

#include <stddef.h>
#include <stdint.h>

#include "core/err.h"

#define HTTP_MORE	0	/* need more input */
#define HTTP_DONE	1	/* response complete */

#define HTTP_DEF_LINE_MAX	8192
#define HTTP_DEF_HDR_COUNT	100
#define HTTP_DEF_HDR_BYTES	(32 * 1024)
#define HTTP_DEF_BODY_KEEP	(64 * 1024)
#define HTTP_CHUNK_LINE_MAX	1024	/* chunk-size line incl. extensions */

struct http_caps {
	size_t	line_max;	/* bytes per header / status line */
	size_t	hdr_count;	/* header fields */
	size_t	hdr_bytes;	/* status line + headers + trailers */
	size_t	body_keep;	/* body bytes kept; more are counted only */
};

struct http_hdr {
	size_t	name;		/* offset in hbuf of the NUL-terminated name */
	size_t	value;		/* offset of the NUL-terminated value */
	size_t	value_len;
};

struct http_resp {
	struct http_caps caps;
	/* results */
	int	 version_minor;		/* 0 or 1 */
	int	 status;		/* 100..999 */
	char	 reason[64];
	size_t	 nhdrs;
	uint8_t	*body;			/* first body_len bytes, owned */
	size_t	 body_len;
	uint64_t body_total;		/* body bytes seen (after dechunking) */
	int64_t	 content_length;	/* -1 when absent */
	int	 chunked;
	int	 close_delimited;
	/* private */
	int	 state;
	int	 head;			/* response to HEAD: no body */
	int	 error;
	char	*hbuf;			/* header storage */
	size_t	 hbuf_len, hbuf_cap;
	size_t	 hdr_bytes;		/* counted against caps.hdr_bytes */
	struct http_hdr *hdrs;
	size_t	 hdrs_cap;
	size_t	 line_start;		/* offset in hbuf of current line */
	size_t	 body_cap;
	uint64_t left;			/* Content-Length or chunk bytes left */
	char	 cline[48];		/* chunk-size line prefix; the
					   rest of an extension is dropped */
	size_t	 clen;
	size_t	 cseen;			/* bytes of the chunk-size line */
};

/* Initialises `r` with `caps` (NULL or zero fields take HTTP_DEF_*);
 * `head` != 0 when the request was HEAD (no body expected). Allocates
 * nothing yet. Pair with http_resp_free. */
void	http_resp_init(struct http_resp *r, const struct http_caps *caps,
	    int head);
/* Frees r's storage; NULL-safe; `r` may be re-initialised after. */
void	http_resp_free(struct http_resp *r);

/* Feeds `n` bytes. Returns HTTP_MORE, HTTP_DONE (*consumed bytes used, the
 * rest belong to whatever follows) or MM_EFORMAT / MM_ELIMIT / MM_ENOMEM
 * with `d` naming the field. After DONE or an error it consumes nothing and
 * returns the same. `consumed` and `d` may be NULL. */
int	http_resp_feed(struct http_resp *r, const uint8_t *in, size_t n,
	    size_t *consumed, struct mm_diag *d);
/* The peer closed the connection. Returns HTTP_DONE if the response is
 * complete (close-delimited body, or already done), else MM_ETRUNC naming
 * where it stopped. */
int	http_resp_eof(struct http_resp *r, struct mm_diag *d);
/* 1 once the status line and all headers are parsed. */
int	http_resp_headers_done(const struct http_resp *r);

/* First value of header `name` (case-insensitive), NUL-terminated and owned
 * by `r`, or NULL. *len (may be NULL) gets its length. */
const char *http_resp_header(const struct http_resp *r, const char *name,
	    size_t *len);
/* Header i (0..nhdrs-1): name and value, or -1 when out of range. */
int	http_resp_header_at(const struct http_resp *r, size_t i,
	    const char **name, const char **value);
/* Writes the names of all Set-Cookie headers to `out` as "a,b,c"
 * (truncated at cap, NUL-terminated). Returns the number of cookies. */
size_t	http_resp_cookie_names(const struct http_resp *r, char *out,
	    size_t cap);

/* Extracts the text of the first <title> in `html` (case-insensitive tag,
 * attributes allowed), whitespace collapsed and trimmed, the entities
 * &amp; &lt; &gt; &quot; &apos; &#39; &nbsp; &#N; &#xH; (ASCII only)
 * decoded, other bytes kept. Looks at most at `len` bytes; writes at most
 * cap-1 bytes plus NUL. Returns 0 or MM_ENOENT (no title, out = ""). */
int	http_title(const uint8_t *html, size_t len, char *out, size_t cap);

/* Reads the MTIME field (RFC 1952 2.3.1, Unix seconds, little-endian) of
 * the gzip member header at the start of `body`. Returns 0, MM_ETRUNC (under
 * 10 bytes) or MM_EFORMAT (not gzip/deflate). *mtime 0 means "not set". */
int	http_gzip_mtime(const uint8_t *body, size_t len, uint32_t *mtime,
	    struct mm_diag *d);

/* Resolves a Location value against the absolute request URL `base`
 * ("http://host[:port]/path[?q]") per RFC 3986 5.2 (dot segments removed,
 * fragment dropped). Rejects control bytes, spaces and NUL. Returns 0,
 * MM_EFORMAT or MM_ELIMIT (out too small); `out` is NUL-terminated. */
int	http_location_resolve(const char *base, const char *loc, char *out,
	    size_t cap, struct mm_diag *d);

/* Splits an absolute http/https URL. host gets "host" (IPv6 without
 * brackets), *port the port (default 80/443), path "/..." with query.
 * Returns 0, MM_EFORMAT or MM_ELIMIT. */
int	http_url_split(const char *url, int *https, char *host, size_t hcap,
	    uint16_t *port, char *path, size_t pcap);

enum http_auth_scheme {
	HTTP_AUTH_NONE = 0,
	HTTP_AUTH_BASIC,
	HTTP_AUTH_DIGEST,
	HTTP_AUTH_OTHER
};

enum http_digest_alg {
	HTTP_DIGEST_MD5 = 0,
	HTTP_DIGEST_MD5_SESS,
	HTTP_DIGEST_SHA256,
	HTTP_DIGEST_SHA256_SESS,
	HTTP_DIGEST_UNKNOWN
};

#define HTTP_AUTH_FIELD_MAX	256

struct http_auth {
	enum http_auth_scheme	scheme;
	enum http_digest_alg	alg;
	int	qop_auth;	/* qop list offers "auth" */
	int	qop_present;	/* a qop parameter was given */
	int	stale;
	char	realm[HTTP_AUTH_FIELD_MAX];
	char	nonce[HTTP_AUTH_FIELD_MAX];
	char	opaque[HTTP_AUTH_FIELD_MAX];
	char	algorithm[32];	/* as sent, "" if absent */
};

/* Parses one WWW-Authenticate value (RFC 9110 11.6.1; several challenges
 * allowed). Picks the strongest usable challenge: Digest SHA-256, then
 * Digest MD5, then Basic, then anything else. Parameter values longer than
 * HTTP_AUTH_FIELD_MAX-1 are MM_ELIMIT. Returns 0, MM_ENOENT (empty) or
 * MM_EFORMAT with `d` naming the parameter. */
int	http_auth_parse(const char *value, size_t len, struct http_auth *a,
	    struct mm_diag *d);
/* Runs http_auth_parse over every WWW-Authenticate header of `r` and keeps
 * the strongest. Returns 0 or MM_ENOENT. */
int	http_resp_auth(const struct http_resp *r, struct http_auth *a,
	    struct mm_diag *d);

/* Computes the RFC 7616 Digest "response" (lowercase hex, 32 or 64 chars +
 * NUL into out, cap >= 65) for qop=auth when the challenge offered it, else
 * the RFC 2069 form. `nc` is the nonce count ("00000001"). Returns 0,
 * MM_EUNSUP (algorithm), MM_EINVAL or MM_ELIMIT. */
int	http_digest_response(const struct http_auth *a, const char *user,
	    const char *pass, const char *method, const char *uri,
	    const char *cnonce, const char *nc, char *out, size_t cap);
/* Builds the full Authorization value for `a` ("Digest username=..., ...").
 * Refuses '"', '\\', CR, LF and NUL in user, uri and cnonce (MM_EINVAL).
 * Returns 0 or an error. */
int	http_digest_authorization(const struct http_auth *a, const char *user,
	    const char *pass, const char *method, const char *uri,
	    const char *cnonce, const char *nc, char *out, size_t cap);
/* "Basic base64(user:pass)" into out. Refuses ':' in user and control
 * bytes. Returns 0, MM_EINVAL or MM_ELIMIT. */
int	http_basic_authorization(const char *user, const char *pass,
	    char *out, size_t cap);

/* Builds an HTTP/1.1 request:
 *   METHOD path HTTP/1.1 / Host / User-Agent / Accept: * / * /
 *   Connection: close / extra[0..nextra) / CR LF
 * `extra` entries are complete "Name: value" lines without CR LF. Any CR,
 * LF or NUL in any argument, a method that is not a token, a path not
 * starting with '/' or containing a space or control byte, or a header name
 * that is not a token is refused with MM_EINVAL and a diag naming it;
 * MM_ELIMIT if it does not fit. *len gets the length (out NUL-terminated). */
int	http_request_build(const char *method, const char *host,
	    const char *path, const char *user_agent,
	    const char *const *extra, size_t nextra, char *out, size_t cap,
	    size_t *len, struct mm_diag *d);

#endif
