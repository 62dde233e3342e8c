/*
 * http.c - HTTP/1.x response parser and request builder for the survey.
 *
 * Approach: a byte-driven state machine over a bounds-checked cursor. Head
 * lines are assembled in place in one growable header buffer (hbuf); at
 * each LF the raw "Name: value" line is rewritten in place to "name\0value\0"
 * and indexed, so headers cost their own bytes plus one struct http_hdr.
 * Body bytes are taken in bulk (min of what is left in the input and in the
 * current length/chunk), copied while under the keep cap and counted always.
 * Cost: O(n) per feed; memory at most hdr_bytes + 2, hdr_count index
 * entries and body_keep bytes, grown by doubling from 1 KiB so that small
 * responses stay small. Nothing here decodes a Content-Encoding.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/evp.h>

#include "core/cursor.h"
#include "core/err.h"
#include "survey/http.h"

enum {
	ST_STATUS,
	ST_HEADERS,
	ST_BODY_LEN,
	ST_BODY_CLOSE,
	ST_CHUNK_SIZE,
	ST_CHUNK_DATA,
	ST_CHUNK_CRLF,
	ST_TRAILERS,
	ST_DONE
};

#define CL_MAX	((int64_t)1 << 60)

void
http_resp_init(struct http_resp *r, const struct http_caps *caps, int head)
{
	memset(r, 0, sizeof(*r));
	r->caps.line_max = HTTP_DEF_LINE_MAX;
	r->caps.hdr_count = HTTP_DEF_HDR_COUNT;
	r->caps.hdr_bytes = HTTP_DEF_HDR_BYTES;
	r->caps.body_keep = HTTP_DEF_BODY_KEEP;
	if (caps != NULL) {
		if (caps->line_max)
			r->caps.line_max = caps->line_max;
		if (caps->hdr_count)
			r->caps.hdr_count = caps->hdr_count;
		if (caps->hdr_bytes)
			r->caps.hdr_bytes = caps->hdr_bytes;
		if (caps->body_keep)
			r->caps.body_keep = caps->body_keep;
	}
	r->head = head;
	r->content_length = -1;
	r->state = ST_STATUS;
}

void
http_resp_free(struct http_resp *r)
{
	if (r == NULL)
		return;
	free(r->hbuf);
	free(r->hdrs);
	free(r->body);
	r->hbuf = NULL;
	r->hdrs = NULL;
	r->body = NULL;
	r->hbuf_len = r->hbuf_cap = r->hdrs_cap = r->body_cap = 0;
	r->nhdrs = r->body_len = 0;
}

int
http_resp_headers_done(const struct http_resp *r)
{
	return r->state > ST_HEADERS;
}

static int
hbuf_push(struct http_resp *r, uint8_t ch, struct mm_diag *d)
{
	size_t ncap;
	char *p;

	if (++r->hdr_bytes > r->caps.hdr_bytes)
		return mm_diag_set(d, MM_ELIMIT, "http: RFC 9112 5: header "
		    "section exceeds %zu bytes", r->caps.hdr_bytes);
	if (r->hbuf_len - r->line_start >= r->caps.line_max)
		return mm_diag_set(d, MM_ELIMIT, "http: RFC 9112 2.2: %s line "
		    "exceeds %zu bytes", r->state == ST_STATUS ? "status" :
		    "header", r->caps.line_max);
	if (r->hbuf_len + 2 > r->hbuf_cap) {
		ncap = r->hbuf_cap ? r->hbuf_cap * 2 : 1024;
		if (ncap > r->caps.hdr_bytes + 2)
			ncap = r->caps.hdr_bytes + 2;
		if (ncap < r->hbuf_len + 2)
			ncap = r->hbuf_len + 2;
		if ((p = realloc(r->hbuf, ncap)) == NULL)
			return mm_diag_set(d, MM_ENOMEM, "http: out of memory");
		r->hbuf = p;
		r->hbuf_cap = ncap;
	}
	r->hbuf[r->hbuf_len++] = (char)ch;
	return 0;
}

static int
is_tchar(int c)
{
	return isalnum((unsigned char)c) || (c != '\0' &&
	    strchr("!#$%&'*+-.^_`|~", c) != NULL);
}

static int
parse_status(struct http_resp *r, const char *s, size_t len,
    struct mm_diag *d)
{
	size_t i;

	if (len < 12 || memcmp(s, "HTTP/1.", 7) != 0 ||
	    (s[7] != '0' && s[7] != '1') || s[8] != ' ')
		return mm_diag_set(d, MM_EFORMAT, "http: RFC 9112 4: bad "
		    "HTTP-version in status line");
	for (i = 9; i < 12; i++)
		if (s[i] < '0' || s[i] > '9')
			return mm_diag_set(d, MM_EFORMAT, "http: RFC 9112 4: "
			    "bad status-code");
	if (len > 12 && s[12] != ' ')
		return mm_diag_set(d, MM_EFORMAT, "http: RFC 9112 4: no SP "
		    "after status-code");
	r->version_minor = s[7] - '0';
	r->status = (s[9] - '0') * 100 + (s[10] - '0') * 10 + (s[11] - '0');
	if (r->status < 100)
		return mm_diag_set(d, MM_EFORMAT, "http: RFC 9110 15: "
		    "status-code %d below 100", r->status);
	i = len > 13 ? len - 13 : 0;
	if (i >= sizeof(r->reason))
		i = sizeof(r->reason) - 1;
	if (i)
		memcpy(r->reason, s + 13, i);
	r->reason[i] = '\0';
	return 0;
}

static int
parse_content_length(const char *v, int64_t *out, struct mm_diag *d)
{
	int64_t val = -1, cur;
	const char *p = v;

	/* "N" or a list "N, N" of identical values (RFC 9110 8.6) */
	for (;;) {
		while (*p == ' ' || *p == '\t')
			p++;
		if (*p < '0' || *p > '9')
			return mm_diag_set(d, MM_EFORMAT, "http: RFC 9110 8.6: "
			    "Content-Length is not a number");
		for (cur = 0; *p >= '0' && *p <= '9'; p++) {
			if (cur > (CL_MAX - (*p - '0')) / 10)
				return mm_diag_set(d, MM_ERANGE, "http: "
				    "RFC 9110 8.6: Content-Length overflows");
			cur = cur * 10 + (*p - '0');
		}
		if (val >= 0 && val != cur)
			return mm_diag_set(d, MM_EFORMAT, "http: RFC 9110 8.6: "
			    "conflicting Content-Length values");
		val = cur;
		while (*p == ' ' || *p == '\t')
			p++;
		if (*p == '\0')
			break;
		if (*p++ != ',')
			return mm_diag_set(d, MM_EFORMAT, "http: RFC 9110 8.6: "
			    "junk in Content-Length");
	}
	*out = val;
	return 0;
}

/* The current line [line_start, hbuf_len) ends (LF not stored). */
static int
header_line(struct http_resp *r, struct mm_diag *d)
{
	char *s;
	size_t len = r->hbuf_len - r->line_start, i, colon, vs, ve;
	struct http_hdr *h;
	size_t ncap;
	int64_t cl = 0;
	int rc;

	if (r->hbuf == NULL) {	/* an empty line before any byte stored */
		if (r->state == ST_STATUS)
			return mm_diag_set(d, MM_EFORMAT, "http: RFC 9112 4: "
			    "empty status line");
		return 1;
	}
	s = r->hbuf + r->line_start;

	if (len > 0 && s[len - 1] == '\r')
		len--;
	for (i = 0; i < len; i++)
		if (s[i] == '\0')
			return mm_diag_set(d, MM_EFORMAT, "http: RFC 9110 5.5: "
			    "NUL in %s line", r->state == ST_STATUS ? "status" :
			    "header");
	if (r->state == ST_STATUS) {
		rc = parse_status(r, s, len, d);
		r->hbuf_len = r->line_start;
		if (rc == 0)
			r->state = ST_HEADERS;
		return rc;
	}
	if (len == 0)
		return 1;	/* end of header section */
	if ((s[0] == ' ' || s[0] == '\t') && r->nhdrs > 0) {
		/* obs-fold: join to the previous value with one SP */
		for (vs = 0; vs < len && (s[vs] == ' ' || s[vs] == '\t'); vs++)
			;
		ve = len;
		while (ve > vs && (s[ve - 1] == ' ' || s[ve - 1] == '\t'))
			ve--;
		h = &r->hdrs[r->nhdrs - 1];
		r->hbuf[r->line_start - 1] = ' ';
		memmove(s, s + vs, ve - vs);
		s[ve - vs] = '\0';
		h->value_len += 1 + (ve - vs);
		r->hbuf_len = r->line_start + (ve - vs) + 1;
		r->line_start = r->hbuf_len;
		return 0;
	}
	for (colon = 0; colon < len && s[colon] != ':'; colon++)
		if (!is_tchar(s[colon]))
			return mm_diag_set(d, MM_EFORMAT, "http: RFC 9110 5.1: "
			    "bad byte 0x%02x in field name",
			    (unsigned char)s[colon]);
	if (colon == len || colon == 0)
		return mm_diag_set(d, MM_EFORMAT, "http: RFC 9112 5: header "
		    "line without field name and ':'");
	if (r->nhdrs >= r->caps.hdr_count)
		return mm_diag_set(d, MM_ELIMIT, "http: more than %zu header "
		    "fields", r->caps.hdr_count);
	if (r->nhdrs == r->hdrs_cap) {
		ncap = r->hdrs_cap ? r->hdrs_cap * 2 : 16;
		if (ncap > r->caps.hdr_count)
			ncap = r->caps.hdr_count;
		h = realloc(r->hdrs, ncap * sizeof(*h));
		if (h == NULL)
			return mm_diag_set(d, MM_ENOMEM, "http: out of memory");
		r->hdrs = h;
		r->hdrs_cap = ncap;
	}
	for (vs = colon + 1; vs < len && (s[vs] == ' ' || s[vs] == '\t'); vs++)
		;
	ve = len;
	while (ve > vs && (s[ve - 1] == ' ' || s[ve - 1] == '\t'))
		ve--;
	s[colon] = '\0';
	memmove(s + colon + 1, s + vs, ve - vs);
	s[colon + 1 + (ve - vs)] = '\0';
	h = &r->hdrs[r->nhdrs++];
	h->name = r->line_start;
	h->value = r->line_start + colon + 1;
	h->value_len = ve - vs;
	r->hbuf_len = h->value + h->value_len + 1;
	r->line_start = r->hbuf_len;
	if (strcasecmp(s, "Content-Length") == 0) {
		if ((rc = parse_content_length(r->hbuf + h->value, &cl, d)) != 0)
			return rc;
		if (r->content_length >= 0 && r->content_length != cl)
			return mm_diag_set(d, MM_EFORMAT, "http: RFC 9110 8.6: "
			    "conflicting Content-Length headers");
		r->content_length = cl;
	} else if (strcasecmp(s, "Transfer-Encoding") == 0) {
		/* chunked only counts as the final coding (RFC 9112 6.3) */
		const char *v = r->hbuf + h->value;
		size_t vl = h->value_len;
		r->chunked = vl >= 7 && strcasecmp(v + vl - 7, "chunked") == 0;
		if (!r->chunked)
			r->close_delimited = 1;
	}
	return 0;
}

static int
headers_end(struct http_resp *r)
{
	if (r->status >= 100 && r->status < 200 && r->status != 101) {
		/* interim response: forget it, parse the next one */
		r->nhdrs = 0;
		r->hbuf_len = r->line_start = 0;
		r->content_length = -1;
		r->chunked = r->close_delimited = 0;
		r->state = ST_STATUS;
		return HTTP_MORE;
	}
	if (r->head || r->status == 101 || r->status == 204 ||
	    r->status == 304) {
		r->chunked = r->close_delimited = 0;
		r->state = ST_DONE;
		return HTTP_DONE;
	}
	if (r->chunked) {
		r->close_delimited = 0;
		r->state = ST_CHUNK_SIZE;
		r->clen = r->cseen = 0;
		return HTTP_MORE;
	}
	if (!r->close_delimited && r->content_length >= 0) {
		r->left = (uint64_t)r->content_length;
		r->state = r->left ? ST_BODY_LEN : ST_DONE;
		return r->left ? HTTP_MORE : HTTP_DONE;
	}
	r->close_delimited = 1;
	r->state = ST_BODY_CLOSE;
	return HTTP_MORE;
}

static int
body_take(struct http_resp *r, const uint8_t *p, size_t n, struct mm_diag *d)
{
	size_t keep, ncap;
	uint8_t *b;

	r->body_total += n;
	keep = r->caps.body_keep - r->body_len;
	if (keep > n)
		keep = n;
	if (keep == 0)
		return 0;
	if (r->body_len + keep > r->body_cap) {
		ncap = r->body_cap ? r->body_cap : 1024;
		while (ncap < r->body_len + keep)
			ncap *= 2;
		if (ncap > r->caps.body_keep)
			ncap = r->caps.body_keep;
		if ((b = realloc(r->body, ncap)) == NULL)
			return mm_diag_set(d, MM_ENOMEM, "http: out of memory");
		r->body = b;
		r->body_cap = ncap;
	}
	memcpy(r->body + r->body_len, p, keep);
	r->body_len += keep;
	return 0;
}

static int
chunk_size_line(struct http_resp *r, struct mm_diag *d)
{
	size_t i, len = r->clen, nd = 0;
	uint64_t v = 0;
	int x;

	if (len > 0 && r->cline[len - 1] == '\r')
		len--;
	for (i = 0; i < len; i++) {
		char c = r->cline[i];
		if (c >= '0' && c <= '9')
			x = c - '0';
		else if (c >= 'a' && c <= 'f')
			x = c - 'a' + 10;
		else if (c >= 'A' && c <= 'F')
			x = c - 'A' + 10;
		else
			break;
		if (++nd > 15)
			return mm_diag_set(d, MM_ERANGE, "http: RFC 9112 7.1: "
			    "chunk-size overflows");
		v = v * 16 + (uint64_t)x;
	}
	if (nd == 0)
		return mm_diag_set(d, MM_EFORMAT, "http: RFC 9112 7.1: bad "
		    "chunk-size");
	while (i < len && (r->cline[i] == ' ' || r->cline[i] == '\t'))
		i++;
	if (i < len && r->cline[i] != ';')
		return mm_diag_set(d, MM_EFORMAT, "http: RFC 9112 7.1: junk "
		    "after chunk-size");
	r->left = v;
	r->clen = r->cseen = 0;
	r->state = v ? ST_CHUNK_DATA : ST_TRAILERS;
	return 0;
}

int
http_resp_feed(struct http_resp *r, const uint8_t *in, size_t n,
    size_t *consumed, struct mm_diag *d)
{
	struct cursor c;
	uint8_t ch;
	size_t take;
	int rc = HTTP_MORE;

	if (consumed)
		*consumed = 0;
	if (r->error)
		return mm_diag_set(d, r->error, "http: response already failed");
	if (r->state == ST_DONE)
		return HTTP_DONE;
	cur_init(&c, in, n);
	while (rc == HTTP_MORE && cur_left(&c) > 0) {
		switch (r->state) {
		case ST_STATUS:
		case ST_HEADERS:
			(void)get_u8(&c, &ch);
			if (ch != '\n') {
				rc = hbuf_push(r, ch, d);
				break;
			}
			if ((rc = header_line(r, d)) == 1)
				rc = headers_end(r);
			break;
		case ST_BODY_LEN:
		case ST_CHUNK_DATA:
			take = cur_left(&c);
			if (take > r->left)
				take = (size_t)r->left;
			rc = body_take(r, cur_ptr(&c), take, d);
			(void)cur_skip(&c, take);
			r->left -= take;
			if (rc == 0 && r->left == 0) {
				if (r->state == ST_BODY_LEN) {
					r->state = ST_DONE;
					rc = HTTP_DONE;
				} else
					r->state = ST_CHUNK_CRLF;
			}
			break;
		case ST_BODY_CLOSE:
			take = cur_left(&c);
			rc = body_take(r, cur_ptr(&c), take, d);
			(void)cur_skip(&c, take);
			break;
		case ST_CHUNK_CRLF:
			(void)get_u8(&c, &ch);
			if (ch == '\n')
				r->state = ST_CHUNK_SIZE;
			else if (ch != '\r')
				rc = mm_diag_set(d, MM_EFORMAT, "http: RFC 9112 "
				    "7.1: no CRLF after chunk-data");
			break;
		case ST_CHUNK_SIZE:
			(void)get_u8(&c, &ch);
			if (ch == '\n')
				rc = chunk_size_line(r, d);
			else if (++r->cseen > HTTP_CHUNK_LINE_MAX)
				rc = mm_diag_set(d, MM_ELIMIT, "http: RFC 9112 "
				    "7.1: chunk-size line exceeds %d bytes",
				    HTTP_CHUNK_LINE_MAX);
			else if (r->clen < sizeof(r->cline))
				r->cline[r->clen++] = (char)ch;
			break;
		case ST_TRAILERS:
			/* discarded, but counted like header bytes */
			(void)get_u8(&c, &ch);
			if (++r->hdr_bytes > r->caps.hdr_bytes) {
				rc = mm_diag_set(d, MM_ELIMIT, "http: RFC 9112 "
				    "7.1.2: trailers exceed header cap");
				break;
			}
			if (ch == '\n') {
				if (r->clen == 0 || (r->clen == 1 &&
				    r->cline[0] == '\r')) {
					r->state = ST_DONE;
					rc = HTTP_DONE;
				}
				r->clen = 0;
			} else if (r->clen < 2)
				r->cline[r->clen++] = (char)ch;
			else
				r->clen = 2;
			break;
		default:
			rc = HTTP_DONE;
			break;
		}
	}
	if (consumed)
		*consumed = c.off;
	if (rc < 0)
		r->error = rc;
	return rc;
}

int
http_resp_eof(struct http_resp *r, struct mm_diag *d)
{
	if (r->error)
		return mm_diag_set(d, r->error, "http: response already failed");
	if (r->state == ST_DONE)
		return HTTP_DONE;
	if (r->state == ST_BODY_CLOSE) {
		r->state = ST_DONE;
		return HTTP_DONE;
	}
	return mm_diag_set(d, MM_ETRUNC, "http: connection closed in the %s",
	    r->state == ST_STATUS ? "status line" : r->state == ST_HEADERS ?
	    "header section" : r->state == ST_BODY_LEN ?
	    "body (Content-Length not reached)" : "chunked body");
}

const char *
http_resp_header(const struct http_resp *r, const char *name, size_t *len)
{
	size_t i;

	for (i = 0; i < r->nhdrs; i++)
		if (strcasecmp(r->hbuf + r->hdrs[i].name, name) == 0) {
			if (len)
				*len = r->hdrs[i].value_len;
			return r->hbuf + r->hdrs[i].value;
		}
	return NULL;
}

int
http_resp_header_at(const struct http_resp *r, size_t i, const char **name,
    const char **value)
{
	if (i >= r->nhdrs)
		return -1;
	*name = r->hbuf + r->hdrs[i].name;
	*value = r->hbuf + r->hdrs[i].value;
	return 0;
}

size_t
http_resp_cookie_names(const struct http_resp *r, char *out, size_t cap)
{
	size_t i, n = 0, o = 0, nl;
	const char *v, *eq;

	if (cap)
		out[0] = '\0';
	for (i = 0; i < r->nhdrs; i++) {
		if (strcasecmp(r->hbuf + r->hdrs[i].name, "Set-Cookie") != 0)
			continue;
		v = r->hbuf + r->hdrs[i].value;
		eq = strchr(v, '=');
		nl = eq ? (size_t)(eq - v) : strcspn(v, ";");
		while (nl > 0 && (v[nl - 1] == ' ' || v[nl - 1] == '\t'))
			nl--;
		n++;
		if (cap == 0 || o + (o ? 1 : 0) + nl >= cap)
			continue;
		if (o)
			out[o++] = ',';
		memcpy(out + o, v, nl);
		o += nl;
		out[o] = '\0';
	}
	return n;
}

/* ---- title ---- */

static int
ci_prefix(const uint8_t *p, size_t len, const char *w)
{
	size_t i, wl = strlen(w);

	if (len < wl)
		return 0;
	for (i = 0; i < wl; i++)
		if (tolower(p[i]) != w[i])
			return 0;
	return 1;
}

/* Decodes an entity at p (after '&'), at most `len` bytes. Returns the
 * bytes used (including ';') and *ch, or 0 if not an entity we know. */
static size_t
entity(const uint8_t *p, size_t len, int *ch)
{
	static const struct { const char *n; int c; } ents[] = {
		{ "amp;", '&' }, { "lt;", '<' }, { "gt;", '>' },
		{ "quot;", '"' }, { "apos;", '\'' }, { "nbsp;", ' ' }
	};
	size_t i, nd;
	long v = 0;
	int hex;

	for (i = 0; i < sizeof(ents) / sizeof(ents[0]); i++)
		if (ci_prefix(p, len, ents[i].n)) {
			*ch = ents[i].c;
			return strlen(ents[i].n);
		}
	if (len < 3 || p[0] != '#')
		return 0;
	hex = p[1] == 'x' || p[1] == 'X';
	for (i = hex ? 2 : 1, nd = 0; i < len && nd < 7; i++, nd++) {
		if (isdigit(p[i]))
			v = v * (hex ? 16 : 10) + (p[i] - '0');
		else if (hex && isxdigit(p[i]))
			v = v * 16 + (tolower(p[i]) - 'a' + 10);
		else
			break;
	}
	if (nd == 0 || i >= len || p[i] != ';' || v < 0x20 || v > 0x7e)
		return 0;
	*ch = (int)v;
	return i + 1;
}

int
http_title(const uint8_t *html, size_t len, char *out, size_t cap)
{
	size_t i, o = 0, used;
	int ch, sp = 0;

	if (cap == 0)
		return MM_ELIMIT;
	out[0] = '\0';
	for (i = 0; i < len; i++)
		if (html[i] == '<' && ci_prefix(html + i + 1, len - i - 1,
		    "title") && i + 6 < len && (html[i + 6] == '>' ||
		    html[i + 6] == ' ' || html[i + 6] == '\t' ||
		    html[i + 6] == '\n' || html[i + 6] == '\r'))
			break;
	if (i >= len)
		return MM_ENOENT;
	while (i < len && html[i] != '>')
		i++;
	if (i >= len)
		return MM_ENOENT;
	for (i++; i < len; i++) {
		if (html[i] == '<' && ci_prefix(html + i + 1, len - i - 1,
		    "/title"))
			break;
		ch = html[i];
		if (ch == '&' && (used = entity(html + i + 1, len - i - 1,
		    &ch)) > 0)
			i += used;
		if (ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r' ||
		    ch == '\f' || ch == '\0') {
			sp = o > 0;
			continue;
		}
		if (o + (sp ? 2 : 1) >= cap)
			break;
		if (sp)
			out[o++] = ' ';
		sp = 0;
		out[o++] = (char)ch;
	}
	out[o] = '\0';
	return 0;
}

/* ---- gzip ---- */

int
http_gzip_mtime(const uint8_t *body, size_t len, uint32_t *mtime,
    struct mm_diag *d)
{
	struct cursor c;
	uint8_t id1 = 0, id2 = 0, cm = 0, flg = 0;
	uint32_t t = 0;

	cur_init(&c, body, len);
	(void)get_u8(&c, &id1);
	(void)get_u8(&c, &id2);
	(void)get_u8(&c, &cm);
	(void)get_u8(&c, &flg);
	(void)get_u32_le(&c, &t);
	(void)cur_skip(&c, 2);	/* XFL, OS */
	if (c.err)
		return mm_diag_set(d, MM_ETRUNC, "gzip: RFC 1952 2.3: member "
		    "header shorter than 10 bytes");
	if (id1 != 0x1f || id2 != 0x8b)
		return mm_diag_set(d, MM_EFORMAT, "gzip: RFC 1952 2.3.1: bad "
		    "ID1/ID2");
	if (cm != 8)
		return mm_diag_set(d, MM_EFORMAT, "gzip: RFC 1952 2.3.1: CM %u "
		    "is not deflate", cm);
	*mtime = t;
	return 0;
}

/* ---- URLs ---- */

static int
url_clean(const char *s, struct mm_diag *d, const char *what)
{
	for (; *s; s++)
		if ((unsigned char)*s <= 0x20 || *s == 0x7f)
			return mm_diag_set(d, MM_EFORMAT, "http: control byte "
			    "or space in %s", what);
	return 0;
}

/* Length of "scheme://authority" in an absolute URL, or 0. */
static size_t
url_origin_len(const char *u)
{
	const char *p = strstr(u, "://");

	if (p == NULL || p == u)
		return 0;
	p += 3;
	return (size_t)(p - u) + strcspn(p, "/?#");
}

/* RFC 3986 5.2.4, in place on a NUL-terminated path. */
static void
remove_dots(char *path)
{
	char *in = path, *out = path, *s;

	while (*in) {
		if (strncmp(in, "../", 3) == 0)
			in += 3;
		else if (strncmp(in, "./", 2) == 0)
			in += 2;
		else if (strncmp(in, "/./", 3) == 0)
			in += 2;
		else if (strcmp(in, "/.") == 0)
			in[1] = '\0';
		else if (strncmp(in, "/../", 4) == 0 || strcmp(in, "/..") == 0) {
			if (in[3] == '\0') {
				in += 1;
				in[0] = '/';
				in[1] = '\0';
			} else
				in += 3;
			while (out > path && *(out - 1) != '/')
				out--;
			if (out > path)
				out--;
		} else if (strcmp(in, ".") == 0 || strcmp(in, "..") == 0)
			in += strlen(in);
		else {
			s = in;
			if (*s == '/')
				s++;
			s += strcspn(s, "/");
			memmove(out, in, (size_t)(s - in));
			out += s - in;
			in = s;
		}
	}
	*out = '\0';
}

static int
put(char *out, size_t cap, size_t *o, const char *s, size_t n)
{
	if (*o + n >= cap)
		return MM_ELIMIT;
	memcpy(out + *o, s, n);
	*o += n;
	out[*o] = '\0';
	return 0;
}

int
http_location_resolve(const char *base, const char *loc, char *out,
    size_t cap, struct mm_diag *d)
{
	size_t ol, o = 0, bl, pl, i, path_at;
	const char *bp, *slash, *q;
	int rc;

	if (cap == 0)
		return MM_ELIMIT;
	out[0] = '\0';
	if ((rc = url_clean(base, d, "base URL")) != 0 ||
	    (rc = url_clean(loc, d, "Location")) != 0)
		return rc;
	if ((ol = url_origin_len(base)) == 0)
		return mm_diag_set(d, MM_EFORMAT, "http: base URL is not "
		    "absolute");
	bl = strcspn(loc, "#");
	/* absolute: scheme ":" */
	for (i = 0; i < bl && (isalnum((unsigned char)loc[i]) ||
	    loc[i] == '+' || loc[i] == '-' || loc[i] == '.'); i++)
		;
	if (i > 0 && i < bl && loc[i] == ':' && isalpha((unsigned char)loc[0])) {
		rc = put(out, cap, &o, loc, bl);
		path_at = url_origin_len(out);
		if (path_at == 0)
			path_at = o;
		goto dots;
	}
	if (bl >= 2 && loc[0] == '/' && loc[1] == '/') {
		q = strstr(base, "://");
		if ((rc = put(out, cap, &o, base, (size_t)(q - base) + 1)) != 0)
			goto out;
		rc = put(out, cap, &o, loc, bl);
		path_at = url_origin_len(out);
		if (path_at == 0)
			path_at = o;
		goto dots;
	}
	if ((rc = put(out, cap, &o, base, ol)) != 0)
		goto out;
	path_at = o;
	bp = base + ol;
	pl = strcspn(bp, "?#");
	if (bl == 0) {				/* same document */
		rc = put(out, cap, &o, bp, strcspn(bp, "#"));
	} else if (loc[0] == '/') {
		rc = put(out, cap, &o, loc, bl);
	} else if (loc[0] == '?') {
		if ((rc = put(out, cap, &o, pl ? bp : "/", pl ? pl : 1)) == 0)
			rc = put(out, cap, &o, loc, bl);
	} else {
		/* merge: base path up to its last '/' */
		slash = NULL;
		for (i = 0; i < pl; i++)
			if (bp[i] == '/')
				slash = bp + i;
		if (slash == NULL)
			rc = put(out, cap, &o, "/", 1);
		else
			rc = put(out, cap, &o, bp, (size_t)(slash - bp) + 1);
		if (rc == 0)
			rc = put(out, cap, &o, loc, bl);
	}
 dots:
	if (rc != 0)
		goto out;
	{
		/* dot segments in the path only, not in the query */
		char *path = out + path_at;
		size_t qoff = strcspn(path, "?"), ql = 0, np;
		int hasq = path[qoff] == '?';

		if (hasq)
			ql = strlen(path + qoff + 1);
		path[qoff] = '\0';
		remove_dots(path);
		np = strlen(path);
		if (hasq) {
			/* the query moves left by the bytes removed */
			path[np] = '?';
			memmove(path + np + 1, path + qoff + 1, ql + 1);
		}
	}
 out:
	if (rc == MM_ELIMIT)
		return mm_diag_set(d, MM_ELIMIT, "http: resolved Location "
		    "longer than %zu bytes", cap - 1);
	return rc;
}

int
http_url_split(const char *url, int *https, char *host, size_t hcap,
    uint16_t *port, char *path, size_t pcap)
{
	const char *p, *h, *he, *pe;
	size_t hl, pl;
	unsigned long v;
	char *end;

	if (strncasecmp(url, "http://", 7) == 0) {
		*https = 0;
		p = url + 7;
	} else if (strncasecmp(url, "https://", 8) == 0) {
		*https = 1;
		p = url + 8;
	} else
		return MM_EFORMAT;
	*port = *https ? 443 : 80;
	pe = p + strcspn(p, "/?#");
	if ((h = memchr(p, '@', (size_t)(pe - p))) != NULL)
		p = h + 1;	/* userinfo is dropped */
	if (*p == '[') {
		h = p + 1;
		if ((he = memchr(h, ']', (size_t)(pe - h))) == NULL)
			return MM_EFORMAT;
		p = he + 1;
	} else {
		h = p;
		for (he = h; he < pe && *he != ':'; he++)
			;
		p = he;
	}
	if (p < pe && *p == ':') {
		if (p + 1 == pe || !isdigit((unsigned char)p[1]))
			return MM_EFORMAT;
		v = strtoul(p + 1, &end, 10);
		if (end != pe || v == 0 || v > 65535)
			return MM_EFORMAT;
		*port = (uint16_t)v;
	} else if (p != pe)
		return MM_EFORMAT;
	hl = (size_t)(he - h);
	if (hl == 0)
		return MM_EFORMAT;
	if (hl >= hcap)
		return MM_ELIMIT;
	memcpy(host, h, hl);
	host[hl] = '\0';
	pl = strcspn(pe, "#");
	if (pl == 0) {
		if (pcap < 2)
			return MM_ELIMIT;
		strcpy(path, "/");
		return 0;
	}
	if (pl + (*pe == '?' ? 1 : 0) >= pcap)
		return MM_ELIMIT;
	if (*pe == '?') {
		path[0] = '/';
		memcpy(path + 1, pe, pl);
		path[pl + 1] = '\0';
	} else {
		memcpy(path, pe, pl);
		path[pl] = '\0';
	}
	return 0;
}

/* ---- WWW-Authenticate ---- */

static int
auth_rank(const struct http_auth *a)
{
	if (a->scheme == HTTP_AUTH_DIGEST)
		return a->alg == HTTP_DIGEST_SHA256 ||
		    a->alg == HTTP_DIGEST_SHA256_SESS ? 4 :
		    a->alg == HTTP_DIGEST_UNKNOWN ? 1 : 3;
	if (a->scheme == HTTP_AUTH_BASIC)
		return 2;
	return a->scheme == HTTP_AUTH_OTHER ? 1 : 0;
}

static void
set_alg(struct http_auth *a, const char *v)
{
	size_t n = strlen(v);

	if (n >= sizeof(a->algorithm))
		n = sizeof(a->algorithm) - 1;
	memcpy(a->algorithm, v, n);
	a->algorithm[n] = '\0';
	if (strcasecmp(v, "MD5") == 0)
		a->alg = HTTP_DIGEST_MD5;
	else if (strcasecmp(v, "MD5-sess") == 0)
		a->alg = HTTP_DIGEST_MD5_SESS;
	else if (strcasecmp(v, "SHA-256") == 0)
		a->alg = HTTP_DIGEST_SHA256;
	else if (strcasecmp(v, "SHA-256-sess") == 0)
		a->alg = HTTP_DIGEST_SHA256_SESS;
	else
		a->alg = HTTP_DIGEST_UNKNOWN;
}

static void
set_qop(struct http_auth *a, const char *v)
{
	const char *p = v;
	size_t n;

	a->qop_present = 1;
	while (*p) {
		while (*p == ' ' || *p == '\t' || *p == ',')
			p++;
		n = strcspn(p, " \t,");
		if (n == 4 && strncasecmp(p, "auth", 4) == 0)
			a->qop_auth = 1;
		p += n;
	}
}

int
http_auth_parse(const char *value, size_t len, struct http_auth *a,
    struct mm_diag *d)
{
	struct http_auth cur, best;
	char name[32], val[HTTP_AUTH_FIELD_MAX];
	size_t i = 0, s, nl, vl;
	int have = 0, esc;

	memset(&best, 0, sizeof(best));
	memset(&cur, 0, sizeof(cur));
	for (;;) {
		while (i < len && (value[i] == ' ' || value[i] == '\t' ||
		    value[i] == ','))
			i++;
		if (i >= len)
			break;
		s = i;
		while (i < len && is_tchar(value[i]))
			i++;
		nl = i - s;
		if (nl == 0)
			return mm_diag_set(d, MM_EFORMAT, "http: RFC 9110 11.6.1: "
			    "bad byte in WWW-Authenticate at %zu", i);
		while (i < len && (value[i] == ' ' || value[i] == '\t'))
			i++;
		if (i >= len || value[i] != '=' || (i + 1 < len &&
		    value[i + 1] == '=') || (i + 1 >= len)) {
			/* a new auth-scheme (or token68 trailer) */
			if (have && auth_rank(&cur) > auth_rank(&best))
				best = cur;
			memset(&cur, 0, sizeof(cur));
			have = 1;
			if (nl == 5 && strncasecmp(value + s, "Basic", 5) == 0)
				cur.scheme = HTTP_AUTH_BASIC;
			else if (nl == 6 && strncasecmp(value + s, "Digest",
			    6) == 0)
				cur.scheme = HTTP_AUTH_DIGEST;
			else
				cur.scheme = HTTP_AUTH_OTHER;
			continue;
		}
		if (!have)
			return mm_diag_set(d, MM_EFORMAT, "http: RFC 9110 11.6.1: "
			    "auth-param before auth-scheme");
		if (nl >= sizeof(name))
			nl = sizeof(name) - 1;
		memcpy(name, value + s, nl);
		name[nl] = '\0';
		i++;	/* '=' */
		while (i < len && (value[i] == ' ' || value[i] == '\t'))
			i++;
		vl = 0;
		if (i < len && value[i] == '"') {
			for (i++, esc = 0; i < len; i++) {
				if (!esc && value[i] == '\\') {
					esc = 1;
					continue;
				}
				if (!esc && value[i] == '"')
					break;
				esc = 0;
				if (vl + 1 >= sizeof(val))
					return mm_diag_set(d, MM_ELIMIT, "http: "
					    "WWW-Authenticate %s longer than "
					    "%zu bytes", name, sizeof(val) - 1);
				val[vl++] = value[i];
			}
			if (i >= len)
				return mm_diag_set(d, MM_EFORMAT, "http: RFC 9110 "
				    "5.6.4: unterminated quoted %s", name);
			i++;
		} else {
			while (i < len && is_tchar(value[i])) {
				if (vl + 1 >= sizeof(val))
					return mm_diag_set(d, MM_ELIMIT, "http: "
					    "WWW-Authenticate %s longer than "
					    "%zu bytes", name, sizeof(val) - 1);
				val[vl++] = value[i++];
			}
			/* token68 padding ('=' runs) */
			while (i < len && value[i] == '=')
				i++;
		}
		val[vl] = '\0';
		if (strcasecmp(name, "realm") == 0)
			memcpy(cur.realm, val, vl + 1);
		else if (strcasecmp(name, "nonce") == 0)
			memcpy(cur.nonce, val, vl + 1);
		else if (strcasecmp(name, "opaque") == 0)
			memcpy(cur.opaque, val, vl + 1);
		else if (strcasecmp(name, "algorithm") == 0)
			set_alg(&cur, val);
		else if (strcasecmp(name, "qop") == 0)
			set_qop(&cur, val);
		else if (strcasecmp(name, "stale") == 0)
			cur.stale = strcasecmp(val, "true") == 0;
	}
	if (have && auth_rank(&cur) > auth_rank(&best))
		best = cur;
	if (!have)
		return mm_diag_set(d, MM_ENOENT, "http: empty WWW-Authenticate");
	*a = best;
	return 0;
}

int
http_resp_auth(const struct http_resp *r, struct http_auth *a,
    struct mm_diag *d)
{
	struct http_auth cur, best;
	size_t i;
	int have = 0;

	memset(&best, 0, sizeof(best));
	for (i = 0; i < r->nhdrs; i++) {
		if (strcasecmp(r->hbuf + r->hdrs[i].name,
		    "WWW-Authenticate") != 0)
			continue;
		if (http_auth_parse(r->hbuf + r->hdrs[i].value,
		    r->hdrs[i].value_len, &cur, d) != 0)
			continue;
		if (!have || auth_rank(&cur) > auth_rank(&best))
			best = cur;
		have = 1;
	}
	if (!have)
		return mm_diag_set(d, MM_ENOENT, "http: no usable "
		    "WWW-Authenticate");
	*a = best;
	return 0;
}

/* ---- Digest and Basic ---- */

/* hex(H(a ":" b ":" ...)) of `n` parts into out (>= 65 bytes). */
static int
hash_hex(const EVP_MD *md, const char *const *parts, size_t n, char *out)
{
	static const char hx[] = "0123456789abcdef";
	unsigned char h[EVP_MAX_MD_SIZE];
	unsigned int hl = 0, i;
	EVP_MD_CTX *ctx;
	size_t k;
	int ok;

	if ((ctx = EVP_MD_CTX_new()) == NULL)
		return MM_ENOMEM;
	ok = EVP_DigestInit_ex(ctx, md, NULL);
	for (k = 0; ok && k < n; k++) {
		if (k > 0)
			ok = EVP_DigestUpdate(ctx, ":", 1);
		if (ok)
			ok = EVP_DigestUpdate(ctx, parts[k], strlen(parts[k]));
	}
	if (ok)
		ok = EVP_DigestFinal_ex(ctx, h, &hl);
	EVP_MD_CTX_free(ctx);
	if (!ok || hl > 32)
		return MM_EUNSUP;
	for (i = 0; i < hl; i++) {
		out[2 * i] = hx[h[i] >> 4];
		out[2 * i + 1] = hx[h[i] & 15];
	}
	out[2 * hl] = '\0';
	return 0;
}

int
http_digest_response(const struct http_auth *a, const char *user,
    const char *pass, const char *method, const char *uri,
    const char *cnonce, const char *nc, char *out, size_t cap)
{
	char ha1[65], ha2[65], tmp[65];
	const char *p[6];
	const EVP_MD *md;
	int rc, sess;

	if (a == NULL || user == NULL || pass == NULL || method == NULL ||
	    uri == NULL || a->scheme != HTTP_AUTH_DIGEST)
		return MM_EINVAL;
	if (cap < 65)
		return MM_ELIMIT;
	switch (a->alg) {
	case HTTP_DIGEST_MD5:
	case HTTP_DIGEST_MD5_SESS:
		md = EVP_md5();
		break;
	case HTTP_DIGEST_SHA256:
	case HTTP_DIGEST_SHA256_SESS:
		md = EVP_sha256();
		break;
	default:
		return MM_EUNSUP;
	}
	sess = a->alg == HTTP_DIGEST_MD5_SESS ||
	    a->alg == HTTP_DIGEST_SHA256_SESS;
	if ((a->qop_auth || sess) && (cnonce == NULL || nc == NULL))
		return MM_EINVAL;
	if (a->qop_present && !a->qop_auth)
		return MM_EUNSUP;	/* auth-int only */
	p[0] = user; p[1] = a->realm; p[2] = pass;
	if ((rc = hash_hex(md, p, 3, ha1)) != 0)
		return rc;
	if (sess) {
		memcpy(tmp, ha1, sizeof(tmp));
		p[0] = tmp; p[1] = a->nonce; p[2] = cnonce;
		if ((rc = hash_hex(md, p, 3, ha1)) != 0)
			return rc;
	}
	p[0] = method; p[1] = uri;
	if ((rc = hash_hex(md, p, 2, ha2)) != 0)
		return rc;
	p[0] = ha1; p[1] = a->nonce;
	if (a->qop_auth) {
		p[2] = nc; p[3] = cnonce; p[4] = "auth"; p[5] = ha2;
		return hash_hex(md, p, 6, out);
	}
	p[2] = ha2;
	return hash_hex(md, p, 3, out);
}

static int
quotable(const char *s)
{
	for (; *s; s++)
		if (*s == '"' || *s == '\\' || (unsigned char)*s < 0x20 ||
		    *s == 0x7f)
			return 0;
	return 1;
}

int
http_digest_authorization(const struct http_auth *a, const char *user,
    const char *pass, const char *method, const char *uri,
    const char *cnonce, const char *nc, char *out, size_t cap)
{
	char resp[65];
	int rc, n;

	if (user == NULL || uri == NULL || !quotable(user) || !quotable(uri) ||
	    (cnonce != NULL && !quotable(cnonce)) || (nc != NULL &&
	    !quotable(nc)) || !quotable(a->realm) || !quotable(a->nonce) ||
	    !quotable(a->opaque) || !quotable(a->algorithm))
		return MM_EINVAL;
	if ((rc = http_digest_response(a, user, pass, method, uri, cnonce, nc,
	    resp, sizeof(resp))) != 0)
		return rc;
	n = snprintf(out, cap, "Digest username=\"%s\", realm=\"%s\", "
	    "nonce=\"%s\", uri=\"%s\", response=\"%s\"%s%s%s%s%s%s%s%s%s",
	    user, a->realm, a->nonce, uri, resp,
	    a->algorithm[0] ? ", algorithm=" : "", a->algorithm,
	    a->qop_auth ? ", qop=auth, nc=" : "", a->qop_auth ? nc : "",
	    a->qop_auth ? ", cnonce=\"" : "", a->qop_auth ? cnonce : "",
	    a->qop_auth ? "\"" : "",
	    a->opaque[0] ? ", opaque=\"" : "", a->opaque[0] ? a->opaque : "");
	if (n < 0 || (size_t)n + 1 >= cap)
		return MM_ELIMIT;
	if (a->opaque[0]) {
		out[n] = '"';
		out[n + 1] = '\0';
	}
	return 0;
}

int
http_basic_authorization(const char *user, const char *pass, char *out,
    size_t cap)
{
	unsigned char raw[512];
	size_t ul, pl, need;
	const char *s;

	if (user == NULL || pass == NULL || strchr(user, ':') != NULL)
		return MM_EINVAL;
	for (s = user; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return MM_EINVAL;
	for (s = pass; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return MM_EINVAL;
	ul = strlen(user);
	pl = strlen(pass);
	if (ul + pl + 1 > sizeof(raw))
		return MM_ELIMIT;
	need = 6 + 4 * ((ul + pl + 1 + 2) / 3) + 1;
	if (need > cap)
		return MM_ELIMIT;
	memcpy(raw, user, ul);
	raw[ul] = ':';
	memcpy(raw + ul + 1, pass, pl);
	memcpy(out, "Basic ", 6);
	EVP_EncodeBlock((unsigned char *)out + 6, raw, (int)(ul + pl + 1));
	return 0;
}

/* ---- requests ---- */

static int
has_ctl(const char *s)
{
	for (; *s; s++)
		if (*s == '\r' || *s == '\n' || ((unsigned char)*s < 0x20 &&
		    *s != '\t') || *s == 0x7f)
			return 1;
	return 0;
}

int
http_request_build(const char *method, const char *host, const char *path,
    const char *user_agent, const char *const *extra, size_t nextra,
    char *out, size_t cap, size_t *len, struct mm_diag *d)
{
	size_t i, o = 0, k;
	const char *s;
	int n;

	if (len)
		*len = 0;
	if (cap)
		out[0] = '\0';
	if (method == NULL || *method == '\0' || host == NULL ||
	    path == NULL || user_agent == NULL)
		return mm_diag_set(d, MM_EINVAL, "http request: NULL or empty "
		    "argument");
	for (s = method; *s; s++)
		if (!is_tchar(*s))
			return mm_diag_set(d, MM_EINVAL, "http request: method "
			    "is not a token");
	if ((path[0] != '/' && strcmp(path, "*") != 0) || has_ctl(path) ||
	    strchr(path, ' ') || strchr(path, '\t'))
		return mm_diag_set(d, MM_EINVAL, "http request: bad path "
		    "(must start with '/', no space or control byte)");
	if (*host == '\0' || has_ctl(host) || strchr(host, ' ') ||
	    strchr(host, '\t') || strchr(host, '/'))
		return mm_diag_set(d, MM_EINVAL, "http request: bad Host");
	if (has_ctl(user_agent))
		return mm_diag_set(d, MM_EINVAL, "http request: control byte "
		    "in User-Agent");
	for (i = 0; i < nextra; i++) {
		if (extra[i] == NULL || has_ctl(extra[i]))
			return mm_diag_set(d, MM_EINVAL, "http request: control "
			    "byte or NULL in extra header %zu", i);
		for (k = 0; extra[i][k] != ':'; k++)
			if (!is_tchar(extra[i][k]))
				return mm_diag_set(d, MM_EINVAL, "http request: "
				    "extra header %zu has no token name", i);
		if (k == 0)
			return mm_diag_set(d, MM_EINVAL, "http request: extra "
			    "header %zu has an empty name", i);
	}
	n = snprintf(out, cap, "%s %s HTTP/1.1\r\nHost: %s\r\n%s%s%s"
	    "Accept: */*\r\nConnection: close\r\n", method, path, host,
	    *user_agent ? "User-Agent: " : "", user_agent,
	    *user_agent ? "\r\n" : "");
	if (n < 0 || (size_t)n >= cap)
		goto limit;
	o = (size_t)n;
	for (i = 0; i < nextra; i++) {
		n = snprintf(out + o, cap - o, "%s\r\n", extra[i]);
		if (n < 0 || (size_t)n >= cap - o)
			goto limit;
		o += (size_t)n;
	}
	if (cap - o < 3)
		goto limit;
	memcpy(out + o, "\r\n", 3);
	o += 2;
	if (len)
		*len = o;
	return 0;
 limit:
	if (cap)
		out[0] = '\0';
	return mm_diag_set(d, MM_ELIMIT, "http request: longer than %zu "
	    "bytes", cap);
}
