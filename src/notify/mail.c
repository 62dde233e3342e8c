/*
 * mail.c - RFC 5322 / MIME message builder (see mail.h).
 *
 * Design: one output buffer, written top to bottom. Header fields go
 * through a small line writer that knows the current column, so folding
 * (RFC 5322 2.2.3) happens as words are added and no written header line
 * exceeds MAIL_LINE_MAX. Non-ASCII text becomes RFC 2047 encoded words;
 * each word's byte budget is computed from the room left on its line, and
 * words end on UTF-8 character boundaries so a decoder never sees half a
 * character. Parameters that may be non-ASCII (attachment file names) use
 * RFC 2231 percent-encoding with continuations. Bodies are base64 (76
 * character lines) or quoted-printable (RFC 2045 6.7).
 *
 * Injection: every string that came from data is checked for control
 * characters before anything is written; addresses must also pass a
 * structural check that rejects the characters that could end an address
 * or a header ("<>,;: \"" and controls), plus the caller's check.
 *
 * Costs: O(output); base64 grows data by 4/3 plus line breaks, QP by at
 * most 3x. The total is capped at MAIL_MAX_BYTES.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/sbuf.h"
#include "notify/mail.h"

/* The message text (capped at MAIL_MAX_BYTES) and the header column. */
struct mbuf {
	struct strbuf	 s;
	size_t		 col;		/* header writer: current line length */
};

#define MBUF_INIT	{ STRBUF_INIT_CAP(MAIL_MAX_BYTES), 0 }

static void
mb_add(struct mbuf *b, const char *s, size_t n)
{
	(void)strbuf_add(&b->s, s, n);
}

static void
mb_str(struct mbuf *b, const char *s)
{
	(void)strbuf_str(&b->s, s);
}

/* Header writer: text on the current line. */
static void
hw_put(struct mbuf *b, const char *s, size_t n)
{
	mb_add(b, s, n);
	b->col += n;
}

static void
hw_fold(struct mbuf *b)
{
	mb_add(b, "\r\n ", 3);
	b->col = 1;
}

static void
hw_end(struct mbuf *b)
{
	mb_add(b, "\r\n", 2);
	b->col = 0;
}

/* ---- character classes ---- */

static int
has_ctl(const char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7F)
			return 1;
	return 0;
}

static int
is_ascii_print(const char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 || (unsigned char)*s > 0x7E)
			return 0;
	return 1;
}

/* Length of the UTF-8 character at s (1..4), or 0 if invalid. */
static size_t
utf8_len(const unsigned char *s, size_t n)
{
	size_t l, i;
	unsigned c;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xC2 && s[0] <= 0xDF)
		l = 2;
	else if (s[0] >= 0xE0 && s[0] <= 0xEF)
		l = 3;
	else if (s[0] >= 0xF0 && s[0] <= 0xF4)
		l = 4;
	else
		return 0;
	if (l > n)
		return 0;
	for (i = 1; i < l; i++)
		if ((s[i] & 0xC0) != 0x80)
			return 0;
	c = s[1];
	if ((s[0] == 0xE0 && c < 0xA0) || (s[0] == 0xED && c > 0x9F) ||
	    (s[0] == 0xF0 && c < 0x90) || (s[0] == 0xF4 && c > 0x8F))
		return 0;
	return l;
}

static int
utf8_ok(const char *s, size_t n)
{
	size_t i = 0, l;

	while (i < n) {
		if ((l = utf8_len((const unsigned char *)s + i, n - i)) == 0)
			return 0;
		i += l;
	}
	return 1;
}

/* ---- base64 ---- */

static const char b64a[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

int
mail_b64_encode(const void *in, size_t len, size_t linelen, char **out,
    size_t *outlen)
{
	const unsigned char *s = in;
	size_t n4, cap, i, o = 0, col = 0;
	char *p;

	*out = NULL;
	if (linelen % 4 != 0 || len > MAIL_MAX_BYTES)
		return MM_ELIMIT;
	n4 = (len + 2) / 3 * 4;
	cap = n4 + (linelen ? (n4 / linelen + 1) * 2 : 0) + 1;
	if ((p = malloc(cap)) == NULL)
		return MM_ENOMEM;
	for (i = 0; i < len; i += 3) {
		unsigned v = (unsigned)s[i] << 16;
		size_t k = len - i;

		if (k > 1)
			v |= (unsigned)s[i + 1] << 8;
		if (k > 2)
			v |= s[i + 2];
		p[o++] = b64a[(v >> 18) & 63];
		p[o++] = b64a[(v >> 12) & 63];
		p[o++] = k > 1 ? b64a[(v >> 6) & 63] : '=';
		p[o++] = k > 2 ? b64a[v & 63] : '=';
		col += 4;
		if (linelen && col == linelen) {
			p[o++] = '\r';
			p[o++] = '\n';
			col = 0;
		}
	}
	if (linelen && col > 0) {
		p[o++] = '\r';
		p[o++] = '\n';
	}
	p[o] = '\0';
	*out = p;
	if (outlen != NULL)
		*outlen = o;
	return 0;
}

static int
b64v(int c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

int
mail_b64_decode(const char *in, size_t len, unsigned char **out,
    size_t *outlen)
{
	unsigned char *p;
	unsigned v = 0;
	size_t i, o = 0, nq = 0, pad = 0;

	*out = NULL;
	if ((p = malloc(len / 4 * 3 + 4)) == NULL)
		return MM_ENOMEM;
	for (i = 0; i < len; i++) {
		int c = (unsigned char)in[i], x;

		if (c == '\r' || c == '\n' || c == ' ' || c == '\t')
			continue;
		if (c == '=') {
			pad++;
			x = 0;
		} else if (pad > 0 || (x = b64v(c)) < 0)
			goto bad;
		v = (v << 6) | (unsigned)x;
		if (++nq == 4) {
			if (pad > 2)
				goto bad;
			p[o++] = (unsigned char)(v >> 16);
			if (pad < 2)
				p[o++] = (unsigned char)(v >> 8);
			if (pad < 1)
				p[o++] = (unsigned char)v;
			nq = 0;
			v = 0;
			if (pad > 0)
				pad = 3;	/* nothing may follow */
		}
	}
	if (nq != 0 || pad > 3)
		goto bad;
	p[o] = '\0';
	*out = p;
	if (outlen != NULL)
		*outlen = o;
	return 0;
bad:
	free(p);
	return MM_EFORMAT;
}

/* ---- quoted-printable ---- */

int
mail_qp_encode(const void *in, size_t len, char **out, size_t *outlen)
{
	static const char hx[] = "0123456789ABCDEF";
	const unsigned char *s = in;
	struct mbuf b = MBUF_INIT;
	size_t i = 0, col = 0;

	*out = NULL;
	while (i < len) {
		unsigned char c = s[i];
		char enc[3];
		size_t el;
		int at_eol;

		if (c == '\r' && i + 1 < len && s[i + 1] == '\n') {
			mb_add(&b, "\r\n", 2);
			col = 0;
			i += 2;
			continue;
		}
		at_eol = i + 1 == len || (s[i + 1] == '\r' && i + 2 < len &&
		    s[i + 2] == '\n');
		if ((c >= 33 && c <= 126 && c != '=') ||
		    ((c == ' ' || c == '\t') && !at_eol)) {
			enc[0] = (char)c;
			el = 1;
		} else {
			enc[0] = '=';
			enc[1] = hx[c >> 4];
			enc[2] = hx[c & 15];
			el = 3;
		}
		/* keep room for a soft break "=" unless this ends the line */
		if (col + el > (at_eol ? MAIL_BODY_LINE : MAIL_BODY_LINE - 1)) {
			mb_add(&b, "=\r\n", 3);
			col = 0;
		}
		mb_add(&b, enc, el);
		col += el;
		i++;
	}
	return strbuf_take(&b.s, out, outlen);
}

static int
hexv(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

int
mail_qp_decode(const char *in, size_t len, unsigned char **out,
    size_t *outlen)
{
	unsigned char *p;
	size_t i, o = 0;

	*out = NULL;
	if ((p = malloc(len + 1)) == NULL)
		return MM_ENOMEM;
	for (i = 0; i < len; i++) {
		if (in[i] != '=') {
			p[o++] = (unsigned char)in[i];
			continue;
		}
		if (i + 2 < len && in[i + 1] == '\r' && in[i + 2] == '\n') {
			i += 2;
			continue;
		}
		if (i + 1 < len && in[i + 1] == '\n') {
			i += 1;
			continue;
		}
		if (i + 2 >= len || hexv(in[i + 1]) < 0 || hexv(in[i + 2]) < 0) {
			free(p);
			return MM_EFORMAT;
		}
		p[o++] = (unsigned char)(hexv(in[i + 1]) * 16 +
		    hexv(in[i + 2]));
		i += 2;
	}
	p[o] = '\0';
	*out = p;
	if (outlen != NULL)
		*outlen = o;
	return 0;
}

/* ---- header encoding ---- */

/*
 * Writes `s` as RFC 2047 B encoded words starting at the current column,
 * one word per line after the first, each <= 75 characters and ending on
 * a UTF-8 character boundary.
 */
static void
hw_encoded(struct mbuf *b, const char *s, size_t n)
{
	size_t i = 0;

	while (i < n) {
		size_t room, maxw, maxbytes, take = 0, l, el;
		char *e64;

		/* a word needs room for 12 + 8 characters (one 4-byte
		 * character); otherwise start it on a new line */
		if (i > 0 || b->col + 20 > MAIL_LINE_MAX)
			hw_fold(b);
		room = MAIL_LINE_MAX - b->col;
		maxw = room < 75 ? room : 75;
		maxbytes = (maxw - 12) / 4 * 3;
		while (i + take < n) {
			l = utf8_len((const unsigned char *)s + i + take,
			    n - i - take);
			if (l == 0)
				l = 1;	/* checked by the caller */
			if (take + l > maxbytes)
				break;
			take += l;
		}
		if (take == 0) {	/* cannot happen with maxbytes >= 3 */
			b->s.err = MM_EINVAL;
			return;
		}
		if (mail_b64_encode(s + i, take, 0, &e64, &el) != 0) {
			b->s.err = MM_ENOMEM;
			return;
		}
		hw_put(b, "=?UTF-8?B?", 10);
		hw_put(b, e64, el);
		hw_put(b, "?=", 2);
		free(e64);
		i += take;
	}
}

/* Printable ASCII words folded at blanks; returns 0 if some word cannot
 * fit on a line (the caller then encodes). */
static int
ascii_fits(const char *v, size_t col0)
{
	size_t col = col0;
	const char *w = v;

	for (;;) {
		const char *sp = strchr(w, ' ');
		size_t wl = sp ? (size_t)(sp - w) : strlen(w);

		if (w == v) {
			if (col + wl > MAIL_LINE_MAX)
				return 0;
			col += wl;
		} else if (col + 1 + wl <= MAIL_LINE_MAX)
			col += 1 + wl;
		else if (1 + wl <= MAIL_LINE_MAX)
			col = 1 + wl;
		else
			return 0;
		if (sp == NULL)
			return 1;
		w = sp + 1;
	}
}

static void
hw_ascii(struct mbuf *b, const char *v)
{
	const char *w = v;

	for (;;) {
		const char *sp = strchr(w, ' ');
		size_t wl = sp ? (size_t)(sp - w) : strlen(w);

		if (w != v) {
			if (b->col + 1 + wl > MAIL_LINE_MAX)
				hw_fold(b);
			else
				hw_put(b, " ", 1);
		}
		hw_put(b, w, wl);
		if (sp == NULL)
			return;
		w = sp + 1;
	}
}

static int
value_check(const char *what, const char *v, struct mm_diag *d)
{
	if (v == NULL)
		return mm_diag_set(d, MM_EINVAL, "mail: %s missing", what);
	if (strlen(v) > MAIL_MAX_HVALUE)
		return mm_diag_set(d, MM_ELIMIT, "mail: %s over %d bytes",
		    what, MAIL_MAX_HVALUE);
	if (has_ctl(v))
		return mm_diag_set(d, MM_EINVAL, "mail: %s holds a control "
		    "character (CR/LF injection refused, RFC 5322 2.2)", what);
	if (!utf8_ok(v, strlen(v)))
		return mm_diag_set(d, MM_EINVAL, "mail: %s is not UTF-8",
		    what);
	return 0;
}

/* Writes an unstructured field value at the current column. */
static void
hw_unstructured(struct mbuf *b, const char *v)
{
	if (is_ascii_print(v) && strstr(v, "=?") == NULL &&
	    ascii_fits(v, b->col))
		hw_ascii(b, v);
	else
		hw_encoded(b, v, strlen(v));
}

static int
hname_ok(const char *n)
{
	size_t l = strlen(n), i;

	if (l == 0 || l > 64)
		return 0;
	for (i = 0; i < l; i++)
		if (n[i] < 33 || n[i] > 126 || n[i] == ':')
			return 0;
	return 1;
}

int
mail_header_encode(const char *name, const char *value, char **out,
    struct mm_diag *d)
{
	struct mbuf b = MBUF_INIT;
	int rc;

	*out = NULL;
	if (name == NULL || !hname_ok(name))
		return mm_diag_set(d, MM_EINVAL, "mail: bad header name");
	if ((rc = value_check(name, value, d)) != 0)
		return rc;
	hw_put(&b, name, strlen(name));
	hw_put(&b, ": ", 2);
	hw_unstructured(&b, value);
	hw_end(&b);
	if ((rc = strbuf_take(&b.s, out, NULL)) != 0)
		return mm_diag_set(d, rc, "mail: %s: cannot encode", name);
	return 0;
}

/* Decodes one encoded word body (charset?enc?text) into `o`; 0 or error. */
static int
ew_decode(const char *cs, size_t csl, char enc, const char *t, size_t tl,
    struct mbuf *o)
{
	unsigned char *dec = NULL;
	size_t dl = 0, i;
	int rc;

	if (!((csl == 5 && strncasecmp(cs, "UTF-8", 5) == 0) ||
	    (csl == 8 && strncasecmp(cs, "US-ASCII", 8) == 0)))
		return MM_EUNSUP;
	if (enc == 'B' || enc == 'b') {
		if ((rc = mail_b64_decode(t, tl, &dec, &dl)) != 0)
			return rc;
		mb_add(o, (const char *)dec, dl);
		free(dec);
		return 0;
	}
	if (enc != 'Q' && enc != 'q')
		return MM_EFORMAT;
	for (i = 0; i < tl; i++) {
		char c = t[i];

		if (c == '_')
			c = ' ';
		else if (c == '=') {
			if (i + 2 >= tl || hexv(t[i + 1]) < 0 ||
			    hexv(t[i + 2]) < 0)
				return MM_EFORMAT;
			c = (char)(hexv(t[i + 1]) * 16 + hexv(t[i + 2]));
			i += 2;
		}
		mb_add(o, &c, 1);
	}
	return 0;
}

int
mail_header_decode(const char *value, char **out)
{
	struct mbuf o = MBUF_INIT;
	const char *p = value;
	int prev_ew = 0, rc;

	*out = NULL;
	while (*p != '\0') {
		const char *q, *cs, *e1, *e2, *end;

		if (p[0] == '=' && p[1] == '?' &&
		    (e1 = strchr(p + 2, '?')) != NULL && e1[1] != '\0' &&
		    e1[2] == '?' && (end = strstr(e1 + 3, "?=")) != NULL) {
			cs = p + 2;
			e2 = e1 + 2;
			if ((rc = ew_decode(cs, (size_t)(e1 - cs), e1[1],
			    e2 + 1, (size_t)(end - e2 - 1), &o)) != 0) {
				free(o.s.p);
				return rc;
			}
			p = end + 2;
			prev_ew = 1;
			continue;
		}
		/* blanks between two encoded words are dropped */
		q = p;
		while (*q == ' ' || *q == '\t' || *q == '\r' || *q == '\n')
			q++;
		if (prev_ew && q > p && q[0] == '=' && q[1] == '?') {
			p = q;
			continue;
		}
		if (*p == '\r' || *p == '\n') {		/* unfold */
			p++;
			continue;
		}
		mb_add(&o, p, 1);
		p++;
		prev_ew = 0;
	}
	return strbuf_take(&o.s, out, NULL);
}

/* ---- addresses, dates, ids ---- */

static int
atext(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || (c != '\0' &&
	    strchr("!#$%&'*+-/=?^_`{|}~", c) != NULL);
}

int
mail_addr_valid(const char *addr, void *arg)
{
	const char *at, *p;
	size_t n;

	(void)arg;
	if (addr == NULL || (n = strlen(addr)) == 0 || n > MAIL_MAX_ADDR)
		return 0;
	if ((at = strrchr(addr, '@')) == NULL || at == addr ||
	    at[1] == '\0' || at - addr > 64)
		return 0;
	for (p = addr; p < at; p++) {
		if (*p == '.') {
			if (p == addr || p + 1 == at || p[1] == '.')
				return 0;
		} else if (!atext((unsigned char)*p))
			return 0;
	}
	p = at + 1;
	if (*p == '[') {
		const char *e = addr + n - 1;

		if (*e != ']' || e - p < 2)
			return 0;
		p++;
		if (strncmp(p, "IPv6:", 5) == 0) {
			for (p += 5; p < e; p++)
				if (hexv((unsigned char)*p) < 0 && *p != ':' &&
				    *p != '.')
					return 0;
			return 1;
		}
		for (; p < e; p++)
			if (!((*p >= '0' && *p <= '9') || *p == '.'))
				return 0;
		return 1;
	}
	if (*p == '.' || addr[n - 1] == '.' || addr[n - 1] == '-')
		return 0;
	for (; *p != '\0'; p++) {
		if (*p == '.') {
			if (p[1] == '.' || p[1] == '-' || p[-1] == '-')
				return 0;
		} else if (!((*p >= 'a' && *p <= 'z') ||
		    (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
		    *p == '-'))
			return 0;
	}
	return 1;
}

static int
addr_check(const char *what, const char *a, mail_addr_check check,
    void *arg, struct mm_diag *d)
{
	if (a == NULL)
		return mm_diag_set(d, MM_EINVAL, "mail: %s missing", what);
	if (has_ctl(a) || !mail_addr_valid(a, NULL))
		return mm_diag_set(d, MM_EINVAL, "mail: %s: not a valid "
		    "address (RFC 5322 3.4.1 addr-spec)", what);
	if (check != NULL && !check(a, arg))
		return mm_diag_set(d, MM_EINVAL, "mail: %s: address refused",
		    what);
	return 0;
}

char *
mail_date_fmt(mtime_t t, int tz_min, char *buf, size_t len)
{
	static const char *wd[] = { "Thu", "Fri", "Sat", "Sun", "Mon", "Tue",
	    "Wed" };
	static const char *mo[] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun",
	    "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
	int64_t s, days, sod, y;
	unsigned m, dd;
	int az;

	if (buf == NULL || len < 32)
		return NULL;
	if (tz_min < -1439 || tz_min > 1439)
		tz_min = 0;
	s = (t >= 0 ? t / 1000 : -((-t + 999) / 1000)) + (int64_t)tz_min * 60;
	days = s >= 0 ? s / 86400 : -((-s + 86399) / 86400);
	sod = s - days * 86400;
	mtime_civil_from_days(days, &y, &m, &dd);
	az = tz_min < 0 ? -tz_min : tz_min;
	snprintf(buf, len, "%s, %u %s %04lld %02d:%02d:%02d %c%02d%02d",
	    wd[((days % 7) + 7) % 7], dd, mo[m - 1], (long long)y,
	    (int)(sod / 3600), (int)(sod / 60 % 60), (int)(sod % 60),
	    tz_min < 0 ? '-' : '+', az / 60, az % 60);
	return buf;
}

static int
rand_bytes(unsigned char *p, size_t n)
{
	FILE *fp = fopen("/dev/urandom", "rb");
	size_t got;

	if (fp == NULL)
		return MM_EIO;
	got = fread(p, 1, n, fp);
	fclose(fp);
	return got == n ? 0 : MM_EIO;
}

int
mail_boundary_make(char *buf, size_t len)
{
	unsigned char r[16];
	size_t i;
	int rc;

	if (len < 48)
		return MM_EINVAL;
	if ((rc = rand_bytes(r, sizeof(r))) != 0)
		return rc;
	memcpy(buf, "=_mamori_", 9);
	for (i = 0; i < sizeof(r); i++)
		snprintf(buf + 9 + i * 2, 3, "%02x", r[i]);
	return 0;
}

int
mail_message_id_make(const char *domain, mtime_t now, char *buf, size_t len)
{
	unsigned char r[12];
	char hx[25];
	size_t i;
	int rc, n;

	if (domain == NULL || strlen(domain) > 200) {
		return MM_EINVAL;
	} else {
		char probe[260];

		snprintf(probe, sizeof(probe), "x@%s", domain);
		if (!mail_addr_valid(probe, NULL) || domain[0] == '[')
			return MM_EINVAL;
	}
	if ((rc = rand_bytes(r, sizeof(r))) != 0)
		return rc;
	for (i = 0; i < sizeof(r); i++)
		snprintf(hx + i * 2, 3, "%02x", r[i]);
	n = snprintf(buf, len, "<%lld.%s@%s>", (long long)now, hx, domain);
	return n > 0 && (size_t)n < len ? 0 : MM_EINVAL;
}

static int
msgid_ok(const char *id)
{
	size_t n = strlen(id), i;
	const char *at;

	if (n < 5 || n > 250 || id[0] != '<' || id[n - 1] != '>')
		return 0;
	if ((at = strchr(id, '@')) == NULL || at == id + 1 ||
	    at == id + n - 2 || strchr(at + 1, '@') != NULL)
		return 0;
	for (i = 1; i < n - 1; i++) {
		unsigned char c = (unsigned char)id[i];

		if (c == '@' || c == '.')
			continue;
		if (!atext(c) && !(c == '[' || c == ']'))
			return 0;
	}
	return 1;
}

static int
boundary_ok(const char *b)
{
	size_t n = strlen(b), i;

	if (n == 0 || n > MAIL_BOUNDARY_MAX || b[n - 1] == ' ')
		return 0;
	for (i = 0; i < n; i++) {
		char c = b[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || strchr("'()+_,-./:=? ", c) !=
		    NULL))
			return 0;
	}
	return 1;
}

static int
token_ok(const char *s, size_t n)
{
	size_t i;

	if (n == 0 || n > 64)
		return 0;
	for (i = 0; i < n; i++)
		if (s[i] <= 32 || s[i] >= 127 ||
		    strchr("()<>@,;:\\\"/[]?=", s[i]) != NULL)
			return 0;
	return 1;
}

static int
ctype_ok(const char *ct)
{
	const char *sl;

	if (ct == NULL || (sl = strchr(ct, '/')) == NULL)
		return 0;
	return token_ok(ct, (size_t)(sl - ct)) &&
	    token_ok(sl + 1, strlen(sl + 1));
}

/* ---- message ---- */

static const char *reserved_hdr[] = {
	"From", "To", "Cc", "Bcc", "Subject", "Date", "Message-ID",
	"MIME-Version", "Content-Type", "Content-Transfer-Encoding",
	"Content-Disposition", "Auto-Submitted", "Reply-To", "Sender",
	"Return-Path"
};

static void
write_from(struct mbuf *b, const char *name, const char *addr)
{
	size_t al = strlen(addr);

	hw_put(b, "From: ", 6);
	if (name != NULL && name[0] != '\0') {
		int plain = is_ascii_print(name) && strstr(name, "=?") == NULL;
		size_t i, q = 2;

		for (i = 0; plain && name[i] != '\0'; i++)
			q += (name[i] == '"' || name[i] == '\\') ? 2 : 1;
		if (plain && b->col + q <= MAIL_LINE_MAX) {
			hw_put(b, "\"", 1);
			for (i = 0; name[i] != '\0'; i++) {
				if (name[i] == '"' || name[i] == '\\')
					hw_put(b, "\\", 1);
				hw_put(b, name + i, 1);
			}
			hw_put(b, "\"", 1);
		} else
			hw_encoded(b, name, strlen(name));
		if (b->col + 3 + al > MAIL_LINE_MAX)
			hw_fold(b);
		else
			hw_put(b, " ", 1);
		hw_put(b, "<", 1);
		hw_put(b, addr, al);
		hw_put(b, ">", 1);
	} else
		hw_put(b, addr, al);
	hw_end(b);
}

static void
write_to(struct mbuf *b, const char *const *to, size_t n)
{
	size_t i;

	hw_put(b, "To: ", 4);
	for (i = 0; i < n; i++) {
		size_t al = strlen(to[i]);

		if (i > 0) {
			hw_put(b, ",", 1);
			if (b->col + 1 + al > MAIL_LINE_MAX)
				hw_fold(b);
			else
				hw_put(b, " ", 1);
		}
		hw_put(b, to[i], al);
	}
	hw_end(b);
}

/* RFC 2231 attr-char (RFC 5987 3.2.1). */
static int
attr_char(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || (c != '\0' &&
	    strchr("!#$&+-.^_`|~", c) != NULL);
}

static void
write_disposition(struct mbuf *b, const char *fn)
{
	size_t i, n = strlen(fn);
	int plain = is_ascii_print(fn) && strpbrk(fn, "\"\\") == NULL;

	hw_put(b, "Content-Disposition: attachment;", 32);
	if (plain && 1 + 10 + n + 1 <= MAIL_LINE_MAX) {
		hw_fold(b);
		hw_put(b, "filename=\"", 10);
		hw_put(b, fn, n);
		hw_put(b, "\"", 1);
		hw_end(b);
		return;
	}
	/* RFC 2231: filename*0*=UTF-8''..; filename*1*=..; segments end on
	 * character boundaries */
	{
		size_t seg = 0, col;
		char hdr[32];

		i = 0;
		while (i < n) {
			size_t l = utf8_len((const unsigned char *)fn + i,
			    n - i), k, need;

			if (l == 0)
				l = 1;
			need = 0;
			for (k = 0; k < l; k++)
				need += attr_char((unsigned char)fn[i + k]) ?
				    1 : 3;
			if (seg == 0 || b->col + need + 1 > MAIL_LINE_MAX) {
				if (seg > 0)
					hw_put(b, ";", 1);
				hw_fold(b);
				col = (size_t)snprintf(hdr, sizeof(hdr),
				    "filename*%zu*=%s", seg,
				    seg == 0 ? "UTF-8''" : "");
				hw_put(b, hdr, col);
				seg++;
			}
			for (k = 0; k < l; k++) {
				unsigned char c = (unsigned char)fn[i + k];
				char e[4];

				if (attr_char(c))
					hw_put(b, (const char *)&fn[i + k], 1);
				else {
					snprintf(e, sizeof(e), "%%%02X", c);
					hw_put(b, e, 3);
				}
			}
			i += l;
		}
		hw_end(b);
	}
}

static int
part_body(struct mbuf *b, const char *bnd, const void *data, size_t len,
    enum mail_cte cte, struct mm_diag *d)
{
	char *enc = NULL, dl[MAIL_BOUNDARY_MAX + 3];
	size_t el = 0;
	int rc;

	rc = cte == MAIL_CTE_QP ? mail_qp_encode(data, len, &enc, &el) :
	    mail_b64_encode(data, len, MAIL_BODY_LINE, &enc, &el);
	if (rc != 0)
		return mm_diag_set(d, rc, "mail: cannot encode a part");
	snprintf(dl, sizeof(dl), "--%s", bnd);
	if (strstr(enc, dl) != NULL) {
		free(enc);
		return mm_diag_set(d, MM_EINVAL, "mail: the boundary occurs "
		    "in a part (RFC 2046 5.1.1)");
	}
	mb_add(b, enc, el);
	if (cte == MAIL_CTE_QP || el == 0)
		mb_add(b, "\r\n", 2);	/* the last CRLF belongs to the
					 * delimiter that follows */
	free(enc);
	return 0;
}

/* Body text with every line break made CRLF. */
static char *
crlf_canon(const char *s, size_t n, size_t *outlen)
{
	struct mbuf b = MBUF_INIT;
	size_t i, start = 0;
	char *out;

	for (i = 0; i < n; i++) {
		if (s[i] != '\r' && s[i] != '\n')
			continue;
		mb_add(&b, s + start, i - start);
		mb_add(&b, "\r\n", 2);
		if (s[i] == '\r' && i + 1 < n && s[i + 1] == '\n')
			i++;
		start = i + 1;
	}
	mb_add(&b, s + start, n - start);
	(void)strbuf_take(&b.s, &out, outlen);
	return out;
}

int
mail_build(const struct mail_msg *m, mail_addr_check check, void *arg,
    char **out, size_t *len, struct mm_diag *d)
{
	struct mbuf b = MBUF_INIT;
	char date[40], bnd[MAIL_BOUNDARY_MAX + 1], *body = NULL;
	size_t i, j, blen = 0, total = 0;
	int rc = 0;

	*out = NULL;
	if (len != NULL)
		*len = 0;
	if (m == NULL)
		return mm_diag_set(d, MM_EINVAL, "mail: no message");
	/* validate everything before writing anything */
	if ((rc = addr_check("From", m->from, check, arg, d)) != 0)
		return rc;
	if (m->from_name != NULL &&
	    (rc = value_check("From display name", m->from_name, d)) != 0)
		return rc;
	if (m->nto == 0 || m->to == NULL)
		return mm_diag_set(d, MM_EINVAL, "mail: no recipient");
	if (m->nto > MAIL_MAX_RCPTS)
		return mm_diag_set(d, MM_ELIMIT, "mail: over %d recipients",
		    MAIL_MAX_RCPTS);
	for (i = 0; i < m->nto; i++)
		if ((rc = addr_check("To", m->to[i], check, arg, d)) != 0)
			return rc;
	if (m->reply_to != NULL &&
	    (rc = addr_check("Reply-To", m->reply_to, check, arg, d)) != 0)
		return rc;
	if ((rc = value_check("Subject", m->subject, d)) != 0)
		return rc;
	if (m->message_id == NULL || has_ctl(m->message_id) ||
	    !msgid_ok(m->message_id))
		return mm_diag_set(d, MM_EINVAL, "mail: Message-ID must be "
		    "\"<left@right>\" (RFC 5322 3.6.4)");
	if (m->boundary != NULL) {
		if (has_ctl(m->boundary) || !boundary_ok(m->boundary))
			return mm_diag_set(d, MM_EINVAL, "mail: bad boundary "
			    "(RFC 2046 5.1.1: 1..70 bchars)");
		snprintf(bnd, sizeof(bnd), "%s", m->boundary);
	} else if ((rc = mail_boundary_make(bnd, sizeof(bnd))) != 0)
		return mm_diag_set(d, rc, "mail: no randomness for the "
		    "boundary");
	if (m->nheaders > MAIL_MAX_HEADERS || m->nparts > MAIL_MAX_PARTS)
		return mm_diag_set(d, MM_ELIMIT, "mail: over %d headers or %d "
		    "parts", MAIL_MAX_HEADERS, MAIL_MAX_PARTS);
	for (i = 0; i < m->nheaders; i++) {
		const struct mail_header *h = &m->headers[i];

		if (h->name == NULL || !hname_ok(h->name))
			return mm_diag_set(d, MM_EINVAL, "mail: bad header "
			    "name");
		for (j = 0; j < sizeof(reserved_hdr) / sizeof(*reserved_hdr);
		    j++)
			if (strcasecmp(h->name, reserved_hdr[j]) == 0)
				return mm_diag_set(d, MM_EINVAL, "mail: "
				    "header %s is set by the builder",
				    h->name);
		if ((rc = value_check(h->name, h->value, d)) != 0)
			return rc;
	}
	if (m->body == NULL && m->body_len > 0)
		return mm_diag_set(d, MM_EINVAL, "mail: no body");
	if (m->body_len > MAIL_MAX_PART)
		return mm_diag_set(d, MM_ELIMIT, "mail: body over %d bytes",
		    MAIL_MAX_PART);
	if (m->body_len > 0 && !utf8_ok(m->body, m->body_len))
		return mm_diag_set(d, MM_EINVAL, "mail: body is not UTF-8");
	total = m->body_len;
	for (i = 0; i < m->nparts; i++) {
		const struct mail_part *p = &m->parts[i];

		if (!ctype_ok(p->content_type))
			return mm_diag_set(d, MM_EINVAL, "mail: part %zu: bad "
			    "content type", i + 1);
		if (p->filename != NULL && ((rc = value_check("attachment "
		    "file name", p->filename, d)) != 0))
			return rc;
		if (p->filename != NULL && (p->filename[0] == '\0' ||
		    strlen(p->filename) > 255))
			return mm_diag_set(d, MM_EINVAL, "mail: part %zu: "
			    "file name empty or over 255 bytes", i + 1);
		if (p->data == NULL && p->len > 0)
			return mm_diag_set(d, MM_EINVAL, "mail: part %zu: no "
			    "data", i + 1);
		if (p->len > MAIL_MAX_PART)
			return mm_diag_set(d, MM_ELIMIT, "mail: part %zu over "
			    "%d bytes", i + 1, MAIL_MAX_PART);
		total += p->len;
	}
	if (total > MAIL_MAX_BYTES / 2)
		return mm_diag_set(d, MM_ELIMIT, "mail: message over %d bytes",
		    MAIL_MAX_BYTES);

	/* header */
	write_from(&b, m->from_name, m->from);
	write_to(&b, m->to, m->nto);
	hw_put(&b, "Subject: ", 9);
	hw_unstructured(&b, m->subject);
	hw_end(&b);
	mail_date_fmt(m->date, m->tz_min, date, sizeof(date));
	mb_str(&b, "Date: ");
	mb_str(&b, date);
	mb_str(&b, "\r\nMessage-ID: ");
	mb_str(&b, m->message_id);
	mb_str(&b, "\r\nMIME-Version: 1.0\r\n"
	    "Auto-Submitted: auto-generated\r\n");
	if (m->reply_to != NULL) {
		mb_str(&b, "Reply-To: ");
		mb_str(&b, m->reply_to);
		mb_str(&b, "\r\n");
	}
	for (i = 0; i < m->nheaders; i++) {
		b.col = 0;
		hw_put(&b, m->headers[i].name, strlen(m->headers[i].name));
		hw_put(&b, ": ", 2);
		hw_unstructured(&b, m->headers[i].value);
		hw_end(&b);
	}
	mb_str(&b, "Content-Type: multipart/mixed;\r\n boundary=\"");
	mb_str(&b, bnd);
	mb_str(&b, "\"\r\n\r\nThis is a multi-part message in MIME format."
	    "\r\n");

	/* text part */
	if ((body = crlf_canon(m->body != NULL ? m->body : "", m->body_len,
	    &blen)) == NULL) {
		rc = mm_diag_set(d, MM_ENOMEM, "mail: out of memory");
		goto out;
	}
	mb_str(&b, "\r\n--");
	mb_str(&b, bnd);
	mb_str(&b, "\r\nContent-Type: text/plain; charset=UTF-8\r\n"
	    "Content-Transfer-Encoding: ");
	mb_str(&b, m->body_cte == MAIL_CTE_QP ? "quoted-printable" :
	    "base64");
	mb_str(&b, "\r\n\r\n");
	if ((rc = part_body(&b, bnd, body, blen, m->body_cte, d)) != 0)
		goto out;

	for (i = 0; i < m->nparts; i++) {
		const struct mail_part *p = &m->parts[i];

		mb_str(&b, "--");
		mb_str(&b, bnd);
		mb_str(&b, "\r\nContent-Type: ");
		mb_str(&b, p->content_type);
		if (p->text)
			mb_str(&b, "; charset=UTF-8");
		mb_str(&b, "\r\n");
		b.col = 0;
		if (p->filename != NULL)
			write_disposition(&b, p->filename);
		mb_str(&b, "Content-Transfer-Encoding: base64\r\n\r\n");
		if ((rc = part_body(&b, bnd, p->data, p->len, MAIL_CTE_BASE64,
		    d)) != 0)
			goto out;
	}
	mb_str(&b, "--");
	mb_str(&b, bnd);
	mb_str(&b, "--\r\n");
	if (b.s.err != 0)
		rc = mm_diag_set(d, b.s.err, "mail: %s", b.s.err == MM_ELIMIT ?
		    "message over the size cap" : "out of memory");
out:
	free(body);
	if (rc != 0) {
		strbuf_free(&b.s);
		return rc;
	}
	return strbuf_take(&b.s, out, len);
}
