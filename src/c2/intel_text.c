/*
 * intel_text.c - line-oriented intel formats: CSV feeds (mamori's simple
 * CSV, abuse.ch Feodo Tracker / ThreatFox CSV, plain address lists, MISP CSV
 * exports) and allowlists.
 *
 * Lines are cut from the buffer through the bounds-checked cursor into a
 * fixed INTEL_MAX_LINE buffer; a longer line, a NUL byte or a bad field skips
 * that line only (counted and reported by line number and field). CSV fields
 * follow RFC 4180 quoting ("a ""b""", commas inside quotes) and are unquoted
 * in place; at most CSV_MAX_FIELDS per line.
 *
 * Columns. A header names the columns; it is either the first non-comment
 * line or a commented line before any data (abuse.ch writes
 * `# "first_seen_utc","dst_ip","dst_port",...`). A header is recognised when
 * one field is a known address column name (ip, dst_ip, value, ioc_value,
 * indicator, ...). Without a header the columns are positional:
 * `address[,port[,tag[,confidence]]]`. A type column (MISP `type`, ThreatFox
 * `ioc_type`) restricts rows to address types; a `to_ids` column drops
 * attributes not meant for detection unless opts.include_non_ids.
 *
 * Cost: O(file size); per line O(line length + fields * column names).
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/cursor.h"
#include "core/err.h"
#include "core/mtime.h"
#include "c2/intel.h"
#include "c2/intel_int.h"

#define CSV_MAX_FIELDS	64

struct field {
	char	*s;
	size_t	 n;
};

struct lines {
	struct cursor	cur;
	size_t		lineno;
	char		buf[INTEL_MAX_LINE + 1];
};

/*
 * Next line into l->buf (NUL-terminated, CR stripped). Returns 1 with the
 * line, 0 at the end, -1 for a line that is too long or holds a NUL (skipped
 * already; l->lineno names it).
 */
static int
line_next(struct lines *l, char **line, size_t *len)
{
	const uint8_t *p, *nl;
	size_t left, n;

	if ((left = cur_left(&l->cur)) == 0)
		return 0;
	l->lineno++;
	p = cur_ptr(&l->cur);
	nl = memchr(p, '\n', left);
	n = nl != NULL ? (size_t)(nl - p) : left;
	if (n > INTEL_MAX_LINE) {
		cur_skip(&l->cur, nl != NULL ? n + 1 : n);
		return -1;
	}
	if (get_bytes(&l->cur, l->buf, n) != 0)
		return 0;
	if (nl != NULL)
		cur_skip(&l->cur, 1);
	if (memchr(l->buf, '\0', n) != NULL)
		return -1;
	while (n > 0 && (l->buf[n - 1] == '\r' || l->buf[n - 1] == ' ' ||
	    l->buf[n - 1] == '\t'))
		n--;
	l->buf[n] = '\0';
	*line = l->buf;
	while (**line == ' ' || **line == '\t') {
		(*line)++;
		n--;
	}
	/* a UTF-8 byte order mark on the first line */
	if (l->lineno == 1 && n >= 3 && (uint8_t)(*line)[0] == 0xef &&
	    (uint8_t)(*line)[1] == 0xbb && (uint8_t)(*line)[2] == 0xbf) {
		*line += 3;
		n -= 3;
	}
	*len = n;
	return 1;
}

/* Splits a CSV line in place. Returns 0, or MM_ESYNTAX (unterminated quote,
 * junk after a closing quote) or MM_ELIMIT (too many fields). */
static int
csv_split(char *s, size_t len, struct field *f, size_t maxf, size_t *nf)
{
	size_t i = 0, n = 0;
	char *w;

	*nf = 0;
	for (;;) {
		if (n == maxf)
			return MM_ELIMIT;
		while (i < len && (s[i] == ' ' || s[i] == '\t'))
			i++;
		if (i < len && s[i] == '"') {
			f[n].s = w = s + i;
			i++;
			for (;;) {
				if (i >= len)
					return MM_ESYNTAX;
				if (s[i] == '"') {
					if (i + 1 < len && s[i + 1] == '"') {
						*w++ = '"';
						i += 2;
						continue;
					}
					i++;
					break;
				}
				*w++ = s[i++];
			}
			f[n].n = (size_t)(w - f[n].s);
			while (i < len && (s[i] == ' ' || s[i] == '\t'))
				i++;
			if (i < len && s[i] != ',')
				return MM_ESYNTAX;
		} else {
			f[n].s = s + i;
			while (i < len && s[i] != ',')
				i++;
			f[n].n = (size_t)(s + i - f[n].s);
			while (f[n].n > 0 && (f[n].s[f[n].n - 1] == ' ' ||
			    f[n].s[f[n].n - 1] == '\t'))
				f[n].n--;
		}
		n++;
		if (i >= len)
			break;
		i++;	/* the comma */
	}
	*nf = n;
	return 0;
}

enum col {
	COL_ADDR, COL_PORT, COL_TAG, COL_CONF, COL_TYPE, COL_IDS, COL_UNTIL,
	COL_COMMENT, NCOL
};

struct colname {
	const char	*name;
	enum col	 col;
	int		 prio;	/* lower wins when several map to one column */
};

static const struct colname colnames[] = {
	{ "indicator", COL_ADDR, 0 }, { "ip", COL_ADDR, 1 },
	{ "dst_ip", COL_ADDR, 2 }, { "dstip", COL_ADDR, 3 },
	{ "ip_address", COL_ADDR, 4 }, { "ipaddress", COL_ADDR, 5 },
	{ "address", COL_ADDR, 6 }, { "prefix", COL_ADDR, 7 },
	{ "ioc_value", COL_ADDR, 8 }, { "ioc", COL_ADDR, 9 },
	{ "value", COL_ADDR, 10 },
	{ "port", COL_PORT, 0 }, { "dst_port", COL_PORT, 1 },
	{ "dstport", COL_PORT, 2 },
	{ "tag", COL_TAG, 0 }, { "malware_printable", COL_TAG, 1 },
	{ "malware", COL_TAG, 2 }, { "malware_family", COL_TAG, 3 },
	{ "family", COL_TAG, 4 }, { "tags", COL_TAG, 5 },
	{ "threat", COL_TAG, 6 }, { "threat_type", COL_TAG, 7 },
	{ "category", COL_TAG, 9 }, { "attribute_tag", COL_TAG, 10 },
	{ "comment", COL_COMMENT, 0 },
	{ "confidence", COL_CONF, 0 }, { "confidence_level", COL_CONF, 1 },
	{ "score", COL_CONF, 2 },
	{ "type", COL_TYPE, 0 }, { "ioc_type", COL_TYPE, 1 },
	{ "to_ids", COL_IDS, 0 },
	{ "valid_until", COL_UNTIL, 0 }, { "expires", COL_UNTIL, 1 },
	{ "expiry", COL_UNTIL, 2 }
};

struct cols {
	int	idx[NCOL];	/* field index, or -1 */
	int	prio[NCOL];
	int	header;		/* 1 once a header was seen */
};

static int
field_is(const struct field *f, const char *name)
{
	size_t n = strlen(name), i;

	if (f->n != n)
		return 0;
	for (i = 0; i < n; i++)
		if (tolower((unsigned char)f->s[i]) != name[i])
			return 0;
	return 1;
}

/* Tries `f` as a header; returns 1 and fills `c` when it is one. */
static int
cols_header(struct cols *c, const struct field *f, size_t nf)
{
	struct cols t;
	size_t i, j;

	for (j = 0; j < NCOL; j++) {
		t.idx[j] = -1;
		t.prio[j] = 1000;
	}
	for (i = 0; i < nf && i < CSV_MAX_FIELDS; i++) {
		for (j = 0; j < sizeof(colnames) / sizeof(colnames[0]); j++) {
			const struct colname *cn = &colnames[j];

			if (field_is(&f[i], cn->name) &&
			    cn->prio < t.prio[cn->col]) {
				t.idx[cn->col] = (int)i;
				t.prio[cn->col] = cn->prio;
			}
		}
	}
	if (t.idx[COL_ADDR] < 0)
		return 0;
	t.header = 1;
	*c = t;
	return 1;
}

/* 1 if every field is an identifier (a commented header, not prose). */
static int
fields_ident(const struct field *f, size_t nf)
{
	size_t i, j;

	for (i = 0; i < nf; i++) {
		if (f[i].n == 0 || isdigit((unsigned char)f[i].s[0]))
			return 0;
		for (j = 0; j < f[i].n; j++)
			if (!isalnum((unsigned char)f[i].s[j]) &&
			    f[i].s[j] != '_' && f[i].s[j] != '-')
				return 0;
	}
	return 1;
}

static void
cols_positional(struct cols *c)
{
	size_t j;

	for (j = 0; j < NCOL; j++) {
		c->idx[j] = -1;
		c->prio[j] = 0;
	}
	c->idx[COL_ADDR] = 0;
	c->idx[COL_PORT] = 1;
	c->idx[COL_TAG] = 2;
	c->idx[COL_CONF] = 3;
	c->header = 0;
}

static const struct field *
col_get(const struct cols *c, enum col col, const struct field *f, size_t nf)
{
	int i = c->idx[col];

	if (i < 0 || (size_t)i >= nf)
		return NULL;
	return &f[i];
}

static const char *const addr_types[] = {
	"ip", "ip:port", "ipv4", "ipv6", "ipv4-addr", "ipv6-addr", "ip-dst",
	"ip-src", "ip-dst|port", "ip-src|port", "domain|ip", "cidr",
	"netblock", "ip_address"
};

static int
type_ok(const struct field *t)
{
	size_t i;

	for (i = 0; i < sizeof(addr_types) / sizeof(addr_types[0]); i++)
		if (field_is(t, addr_types[i]))
			return 1;
	return 0;
}

/* Copies a field into a NUL-terminated scratch buffer (cut to fit). */
static const char *
field_str(const struct field *f, char *buf, size_t len)
{
	size_t n = f->n < len - 1 ? f->n : len - 1;

	memcpy(buf, f->s, n);
	buf[n] = '\0';
	return buf;
}

static int
text_feed_line(struct intel_ctx *c, struct lines *l, const struct cols *cols,
    struct field *f, size_t nf, int misp)
{
	const struct field *fa, *fp, *ft, *fc, *fty, *fi, *fu, *fm;
	struct field v;
	struct mm_prefix p;
	char tmp[80];
	int64_t until = 0;
	uint16_t port = 0, cport;
	int conf, rc;
	const char *q;

	fa = col_get(cols, COL_ADDR, f, nf);
	fp = col_get(cols, COL_PORT, f, nf);
	ft = col_get(cols, COL_TAG, f, nf);
	fc = col_get(cols, COL_CONF, f, nf);
	fty = col_get(cols, COL_TYPE, f, nf);
	fi = col_get(cols, COL_IDS, f, nf);
	fu = col_get(cols, COL_UNTIL, f, nf);
	fm = col_get(cols, COL_COMMENT, f, nf);
	if (fa == NULL || fa->n == 0) {
		intel_bad(c, &c->st->malformed, "line %zu: field %s: missing",
		    l->lineno, cols->header ? "address" : "1 (address)");
		return 0;
	}
	if (fty != NULL && !type_ok(fty)) {
		c->st->unsupported++;
		return 0;
	}
	if (fi != NULL && !c->non_ids && (field_is(fi, "0") ||
	    field_is(fi, "false") || field_is(fi, "no"))) {
		c->st->not_ids++;
		return 0;
	}
	v = *fa;
	if (fty != NULL && field_is(fty, "domain|ip")) {
		if ((q = memchr(v.s, '|', v.n)) == NULL) {
			intel_bad(c, &c->st->malformed, "line %zu: field "
			    "value: domain|ip without '|'", l->lineno);
			return 0;
		}
		v.n -= (size_t)(q + 1 - v.s);
		v.s = (char *)q + 1;
	}
	if ((rc = intel_parse_value(v.s, v.n, &p, &port)) != 0) {
		intel_bad(c, &c->st->malformed, "line %zu: field address: "
		    "\"%s\" is not an address or prefix%s", l->lineno,
		    field_str(&v, tmp, sizeof(tmp)),
		    rc == MM_ERANGE ? " (or broader than /8, /16)" : "");
		return 0;
	}
	if (fp != NULL) {
		if (intel_parse_port(fp->s, fp->n, &cport) != 0) {
			intel_bad(c, &c->st->malformed, "line %zu: field "
			    "port: \"%s\"", l->lineno,
			    field_str(fp, tmp, sizeof(tmp)));
			return 0;
		}
		if (cport != 0)
			port = cport;
	}
	if (fc != NULL && intel_parse_conf(fc->s, fc->n, &conf) != 0) {
		intel_bad(c, &c->st->malformed, "line %zu: field confidence: "
		    "\"%s\" (0..100 or 0..1)", l->lineno,
		    field_str(fc, tmp, sizeof(tmp)));
		return 0;
	} else if (fc == NULL)
		conf = -1;
	if (fu != NULL && fu->n > 0) {
		if (mtime_parse(field_str(fu, tmp, sizeof(tmp)), &until) !=
		    0 || until == 0) {
			intel_bad(c, &c->st->malformed, "line %zu: field "
			    "valid_until: \"%s\"", l->lineno, tmp);
			return 0;
		}
		if (intel_expired(c, until)) {
			c->st->expired++;
			return 0;
		}
	}
	/* MISP: the attribute comment says more than its category */
	if (ft == NULL || ft->n == 0 || (misp && fm != NULL && fm->n > 0))
		ft = fm;
	if (ft != NULL && ft->n > 0)
		return intel_add(c, &p, port, ft->s, ft->n, conf, until);
	return intel_add(c, &p, port, NULL, 0, conf, until);
}

int
intel_text_feed(struct intel_ctx *c, const uint8_t *buf, size_t len, int misp)
{
	struct lines *l;
	struct field f[CSV_MAX_FIELDS];
	struct cols cols;
	char *line, *h;
	size_t n, nf;
	int r, rc = 0, data = 0;

	if ((l = malloc(sizeof(*l))) == NULL)
		return mm_diag_set(c->d, MM_ENOMEM, "out of memory");
	cur_init(&l->cur, buf, len);
	l->lineno = 0;
	cols_positional(&cols);
	while ((r = line_next(l, &line, &n)) != 0) {
		if (r < 0) {
			c->st->records++;
			intel_bad(c, &c->st->malformed, "line %zu: longer than "
			    "%d bytes or holds a NUL", l->lineno,
			    INTEL_MAX_LINE);
			continue;
		}
		if (n == 0)
			continue;
		if (line[0] == '#' || line[0] == ';' ||
		    (line[0] == '/' && line[1] == '/')) {
			if (data || cols.header)
				continue;
			h = line;
			while (*h == '#' || *h == ';' || *h == '/' ||
			    *h == ' ' || *h == '\t')
				h++;
			if (csv_split(h, strlen(h), f, CSV_MAX_FIELDS,
			    &nf) == 0 && nf >= 2 && fields_ident(f, nf))
				cols_header(&cols, f, nf);
			continue;
		}
		if (csv_split(line, n, f, CSV_MAX_FIELDS, &nf) != 0) {
			c->st->records++;
			intel_bad(c, &c->st->malformed, "line %zu: bad CSV "
			    "quoting or more than %d fields", l->lineno,
			    CSV_MAX_FIELDS);
			continue;
		}
		if (!data && cols_header(&cols, f, nf))
			continue;
		if (misp && !cols.header) {
			rc = mm_diag_set(c->d, MM_EFORMAT, "%s: line %zu: "
			    "MISP CSV without a header", c->file, l->lineno);
			goto out;
		}
		data = 1;
		c->st->records++;
		if ((rc = text_feed_line(c, l, &cols, f, nf, misp)) != 0)
			goto out;
	}
out:
	free(l);
	return rc;
}

/* ------------------------------------------------------------------ */
/* allowlists: ENTRY [CATEGORY] [# comment] */

static int
cat_ok(const char *s, size_t n)
{
	size_t i;

	if (n == 0 || n > 64)
		return 0;
	for (i = 0; i < n; i++)
		if (!isalnum((unsigned char)s[i]) && s[i] != '-' &&
		    s[i] != '_' && s[i] != '.' && s[i] != ':' && s[i] != '/')
			return 0;
	return 1;
}

static size_t
tok(char *s, size_t len, struct field *f, size_t maxf)
{
	size_t i = 0, n = 0;

	while (n < maxf) {
		while (i < len && (s[i] == ' ' || s[i] == '\t'))
			i++;
		if (i >= len)
			break;
		f[n].s = s + i;
		while (i < len && s[i] != ' ' && s[i] != '\t')
			i++;
		f[n].n = (size_t)(s + i - f[n].s);
		n++;
	}
	return n;
}

int
intel_text_allow(struct intel_ctx *c, const uint8_t *buf, size_t len)
{
	struct lines *l;
	struct field f[4];
	struct mm_prefix p;
	char *line, *hash, tmp[80];
	unsigned long asn;
	size_t n, nf, i;
	uint16_t port;
	int r, rc = 0;

	if ((l = malloc(sizeof(*l))) == NULL)
		return mm_diag_set(c->d, MM_ENOMEM, "out of memory");
	cur_init(&l->cur, buf, len);
	l->lineno = 0;
	while ((r = line_next(l, &line, &n)) != 0) {
		if (r < 0) {
			c->st->records++;
			intel_bad(c, &c->st->malformed, "line %zu: longer than "
			    "%d bytes or holds a NUL", l->lineno,
			    INTEL_MAX_LINE);
			continue;
		}
		if ((hash = memchr(line, '#', n)) != NULL)
			n = (size_t)(hash - line);
		if ((nf = tok(line, n, f, 4)) == 0)
			continue;
		c->st->records++;
		if (nf > 2) {
			intel_bad(c, &c->st->malformed, "line %zu: field 3: "
			    "unexpected \"%s\" (comments start with '#')",
			    l->lineno, field_str(&f[2], tmp, sizeof(tmp)));
			continue;
		}
		if (nf == 2 && !cat_ok(f[1].s, f[1].n)) {
			intel_bad(c, &c->st->malformed, "line %zu: field "
			    "category: \"%s\" (1..64 of [A-Za-z0-9-_.:/])",
			    l->lineno, field_str(&f[1], tmp, sizeof(tmp)));
			continue;
		}
		if (f[0].n > 2 && (f[0].s[0] == 'A' || f[0].s[0] == 'a') &&
		    (f[0].s[1] == 'S' || f[0].s[1] == 's') &&
		    isdigit((unsigned char)f[0].s[2])) {
			asn = 0;
			for (i = 2; i < f[0].n && i < 13; i++) {
				if (!isdigit((unsigned char)f[0].s[i]))
					break;
				asn = asn * 10 +
				    (unsigned long)(f[0].s[i] - '0');
			}
			if (i != f[0].n || asn == 0 || asn > UINT32_MAX) {
				intel_bad(c, &c->st->malformed, "line %zu: "
				    "field entry: bad AS number \"%s\"",
				    l->lineno,
				    field_str(&f[0], tmp, sizeof(tmp)));
				continue;
			}
			rc = intel_add_allow(c, NULL, (uint32_t)asn,
			    nf == 2 ? f[1].s : NULL, nf == 2 ? f[1].n : 0);
		} else {
			if (intel_parse_value(f[0].s, f[0].n, &p, &port) != 0 ||
			    port != 0) {
				intel_bad(c, &c->st->malformed, "line %zu: "
				    "field entry: \"%s\" is not an address, "
				    "prefix (/8../32, /16../128) or AS<n>",
				    l->lineno,
				    field_str(&f[0], tmp, sizeof(tmp)));
				continue;
			}
			rc = intel_add_allow(c, &p, 0,
			    nf == 2 ? f[1].s : NULL, nf == 2 ? f[1].n : 0);
		}
		if (rc != 0)
			break;
	}
	free(l);
	return rc;
}
