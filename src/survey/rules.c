/*
 * rules.c - loader and matcher for service identification rules.
 *
 * Approach. Rule files are read whole (capped at RULES_MAX_FILE bytes) and
 * parsed line by line into probe and match stanzas; a stanza is validated
 * when the next one opens or the file ends, then appended. A file loads
 * all-or-nothing: on the first error everything it added is freed and the
 * message names "file:line: field: reason". Regular expressions are PCRE2,
 * compiled once with PCRE2_NEVER_UTF (banners are bytes, not text) and
 * PCRE2_NEVER_BACKSLASH_C, and run through one match context carrying
 * match, depth and heap limits, so a hostile banner against a careless
 * pattern costs at most RULES_MATCH_LIMIT backtracking steps per field.
 *
 * Probe payloads are checked at load time (rules_payload_check): one GET or
 * HEAD request, no body, no dot segments or encoded dots/slashes/NULs, no
 * absolute URIs, only the {host} and {ua} placeholders. Identification
 * only, never an exploit or a traversal, by construction of the loader.
 *
 * Matching is a linear pass over all rules: O(rules x conditions x fields)
 * regex calls, each bounded as above; the best rule (priority, then number
 * of conditions, then file order) is the one expanded into the output.
 * Memory: one struct per stanza plus PCRE2's compiled code; no allocation
 * while matching except one match-data block per rules_match() call.
 */
#define PCRE2_CODE_UNIT_WIDTH 8

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <pcre2.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/cursor.h"
#include "survey/rules.h"

#define RULES_MAX_FILE	(4u * 1024 * 1024)	/* bytes of one rule file */
#define RULES_FIELD_LEN	64

enum cond_kind { COND_RE = 1, COND_FAVICON, COND_GZIP };

struct cond {
	int		 kind;
	char		 field[RULES_FIELD_LEN];	/* lower case */
	pcre2_code	*re;
	uint32_t	 ncaps;
	int32_t		 favicon;
	char		 path[RULES_PATH_LEN];
	uint32_t	 tlo, thi;
};

struct rule {
	char		name[RULES_NAME_LEN];
	char		file[RULES_PATH_LEN];
	int		line;
	char		from[RULES_NAME_LEN];
	int		priority;
	struct cond	conds[RULES_MAX_CONDS];
	size_t		nconds;
	uint32_t	ncaps;
	char		vendor[RULES_TEXT_LEN];
	char		product[RULES_TEXT_LEN];
	char		version[RULES_TEXT_LEN];
	char		device[RULES_TEXT_LEN];
	char		cpe[RULES_CPE_LEN];
};

struct rules {
	struct rule		**rules;
	size_t			  nrules, caprules;
	struct rules_probe	**probes;
	size_t			  nprobes, capprobes;
	pcre2_match_context	 *mctx;
};

static const char *const known_fields[] = {
	"banner", "status", "body", "title", "cert.subject", "cert.issuer",
	"cert.not_before", "cert.not_after", "cert.sha256", "cert.key",
	"cert.self_signed", "ssh.banner", "ssh.hostkey", "ssh.hostkey_algs", "ssh.kex",
	"ssh.ciphers", "ssh.macs", "ssh.compression", "telnet.prompt"
};

/* ---- small helpers ---------------------------------------------------- */

static void
rule_free(struct rule *ru)
{
	size_t	i;

	if (ru == NULL)
		return;
	for (i = 0; i < ru->nconds; i++)
		pcre2_code_free(ru->conds[i].re);
	free(ru);
}

static int
copy_str(char *dst, size_t cap, const char *src)
{
	size_t	n = strlen(src);

	if (n >= cap)
		return -1;
	memcpy(dst, src, n + 1);
	return 0;
}

static int
valid_name(const char *s)
{
	size_t	n = 0;

	for (; *s != '\0'; s++, n++)
		if (!isalnum((unsigned char)*s) && *s != '-' && *s != '_' &&
		    *s != '.')
			return 0;
	return n > 0 && n < RULES_NAME_LEN;
}

static int
has_ci(const char *s, size_t n, const char *needle)
{
	size_t	i, k = strlen(needle);

	for (i = 0; i + k <= n; i++)
		if (strncasecmp(s + i, needle, k) == 0)
			return 1;
	return 0;
}

/* Forbidden anywhere in a payload or path: traversal and its encodings. */
static const char *
path_forbidden(const char *s, size_t n)
{
	static const char *const bad[] = {
		"..", "%2e", "%2f", "%5c", "%00", "%25", "%c0", "%c1", "%e0",
		"%u", "\\", "/./", "%09", "%0a", "%0d"
	};
	size_t	i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (has_ci(s, n, bad[i]))
			return bad[i];
	return NULL;
}

int
rules_payload_check(const char *p, size_t n, struct mm_diag *d)
{
	const char	*sp, *tgt, *bad, *eol;
	size_t		 i, tlen;

	if (p == NULL || n == 0)
		return mm_diag_set(d, MM_EINVAL, "empty payload");
	if (n > RULES_MAX_PAYLOAD)
		return mm_diag_set(d, MM_EINVAL, "payload longer than %u",
		    (unsigned)RULES_MAX_PAYLOAD);
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)p[i];

		if (c == '\r' && (i + 1 >= n || p[i + 1] != '\n'))
			return mm_diag_set(d, MM_EINVAL, "bare CR at byte %zu",
			    i);
		if (c == '\n' && (i == 0 || p[i - 1] != '\r'))
			return mm_diag_set(d, MM_EINVAL, "bare LF at byte %zu",
			    i);
		if ((c < 0x20 && c != '\r' && c != '\n') || c >= 0x7f)
			return mm_diag_set(d, MM_EINVAL,
			    "control or non-ASCII byte 0x%02x at byte %zu", c, i);
		if (c == '{' && strncmp(p + i, "{host}", 6) != 0 &&
		    strncmp(p + i, "{ua}", 4) != 0)
			return mm_diag_set(d, MM_EINVAL,
			    "unknown placeholder at byte %zu", i);
	}
	if (strncmp(p, "GET /", 5) == 0)
		tgt = p + 4;
	else if (strncmp(p, "HEAD /", 6) == 0)
		tgt = p + 5;
	else
		return mm_diag_set(d, MM_EINVAL,
		    "only \"GET /...\" or \"HEAD /...\" requests are allowed");
	eol = strstr(p, "\r\n");
	sp = memchr(tgt, ' ', (size_t)(p + n - tgt));
	if (sp == NULL || eol == NULL || sp > eol)
		return mm_diag_set(d, MM_EINVAL, "malformed request line");
	tlen = (size_t)(sp - tgt);
	if (tlen >= RULES_PATH_LEN)
		return mm_diag_set(d, MM_EINVAL, "request target too long");
	if (memchr(tgt, '{', tlen) != NULL || has_ci(tgt, tlen, "://") ||
	    tgt[1] == '/')
		return mm_diag_set(d, MM_EINVAL,
		    "request target must be a plain origin-form path");
	if (strncmp(sp, " HTTP/1.1\r\n", 11) != 0 &&
	    strncmp(sp, " HTTP/1.0\r\n", 11) != 0)
		return mm_diag_set(d, MM_EINVAL, "request line must end in "
		    "HTTP/1.0 or HTTP/1.1");
	if ((bad = path_forbidden(p, n)) != NULL)
		return mm_diag_set(d, MM_EINVAL,
		    "forbidden sequence \"%s\" (traversal or encoding)", bad);
	if (n < 4 || memcmp(p + n - 4, "\r\n\r\n", 4) != 0 ||
	    strstr(p, "\r\n\r\n") != p + n - 4)
		return mm_diag_set(d, MM_EINVAL,
		    "payload must be one request ending in an empty line, "
		    "without a body");
	if (has_ci(p, n, "\r\ncontent-length:") ||
	    has_ci(p, n, "\r\ntransfer-encoding:"))
		return mm_diag_set(d, MM_EINVAL, "request bodies not allowed");
	return 0;
}

/* ---- creation and lifetime ------------------------------------------- */

int
rules_new(struct rules **out)
{
	struct rules	*r;

	*out = NULL;
	if ((r = calloc(1, sizeof(*r))) == NULL)
		return MM_ENOMEM;
	if ((r->mctx = pcre2_match_context_create(NULL)) == NULL) {
		free(r);
		return MM_ENOMEM;
	}
	pcre2_set_match_limit(r->mctx, RULES_MATCH_LIMIT);
	pcre2_set_depth_limit(r->mctx, RULES_DEPTH_LIMIT);
	pcre2_set_heap_limit(r->mctx, RULES_HEAP_LIMIT_KIB);
	*out = r;
	return 0;
}

static void
truncate_to(struct rules *r, size_t nrules, size_t nprobes)
{
	while (r->nrules > nrules)
		rule_free(r->rules[--r->nrules]);
	while (r->nprobes > nprobes)
		free(r->probes[--r->nprobes]);
}

void
rules_free(struct rules *r)
{
	if (r == NULL)
		return;
	truncate_to(r, 0, 0);
	free(r->rules);
	free(r->probes);
	pcre2_match_context_free(r->mctx);
	free(r);
}

size_t
rules_count(const struct rules *r)
{
	return r == NULL ? 0 : r->nrules;
}

size_t
rules_probe_count(const struct rules *r)
{
	return r == NULL ? 0 : r->nprobes;
}

const struct rules_probe *
rules_probe_find(const struct rules *r, const char *name)
{
	size_t	i;

	if (r == NULL || name == NULL)
		return NULL;
	for (i = 0; i < r->nprobes; i++)
		if (strcmp(r->probes[i]->name, name) == 0)
			return r->probes[i];
	return NULL;
}

/* ---- parser ---------------------------------------------------------- */

struct pstate {
	struct rules		*r;
	const char		*file;
	int			 line;
	struct mm_diag		*d;
	struct rules_probe	*probe;		/* open probe stanza */
	int			 probe_has_send, probe_has_ports;
	struct rule		*rule;		/* open match stanza */
};

static int
perr(struct pstate *ps, int err, const char *field, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 4, 5)))
#endif
    ;

static int
perr(struct pstate *ps, int err, const char *field, const char *fmt, ...)
{
	va_list	ap;
	int	rc;

	va_start(ap, fmt);
	rc = mm_diag_vat(ps->d, err, ps->file, (unsigned long)ps->line, field,
	    fmt, ap);
	va_end(ap);
	return rc;
}

static int
parse_uint(const char *s, unsigned long max, unsigned long *v)
{
	char		*end;
	unsigned long	 x;

	if (!isdigit((unsigned char)*s))
		return -1;
	errno = 0;
	x = strtoul(s, &end, 10);
	if (errno != 0 || *end != '\0' || x > max)
		return -1;
	*v = x;
	return 0;
}

static int
parse_ports(struct pstate *ps, const char *v)
{
	struct rules_probe	*p = ps->probe;
	char			 buf[RULES_MAX_LINE], *tok, *save, *dash;
	unsigned long		 lo, hi;

	if (strcmp(v, "*") == 0) {
		p->any_port = 1;
		return 0;
	}
	if (copy_str(buf, sizeof(buf), v) != 0)
		return perr(ps, MM_ESYNTAX, "ports", "too long");
	for (tok = strtok_r(buf, ",", &save); tok != NULL;
	    tok = strtok_r(NULL, ",", &save)) {
		if (p->nports >= RULES_MAX_PORTS)
			return perr(ps, MM_ELIMIT, "ports",
			    "more than %d ranges", RULES_MAX_PORTS);
		if ((dash = strchr(tok, '-')) != NULL)
			*dash++ = '\0';
		if (parse_uint(tok, 65535, &lo) != 0 || lo == 0)
			return perr(ps, MM_ESYNTAX, "ports",
			    "bad port \"%s\"", tok);
		hi = lo;
		if (dash != NULL && (parse_uint(dash, 65535, &hi) != 0 ||
		    hi < lo))
			return perr(ps, MM_ESYNTAX, "ports",
			    "bad range end \"%s\"", dash);
		p->ports[p->nports].lo = (uint16_t)lo;
		p->ports[p->nports].hi = (uint16_t)hi;
		p->nports++;
	}
	if (p->nports == 0)
		return perr(ps, MM_ESYNTAX, "ports", "empty list");
	return 0;
}

static int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = tolower(c);
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

static int
parse_send(struct pstate *ps, const char *v)
{
	struct rules_probe	*p = ps->probe;
	struct mm_diag		 d2;
	const char		*s, *sp;
	size_t			 n = 0;
	int			 h1, h2;

	if (strcmp(v, "banner") == 0) {
		p->banner = 1;
		p->payload[0] = '\0';
		p->payload_len = 0;
		return 0;
	}
	if (*v != '"')
		return perr(ps, MM_ESYNTAX, "send",
		    "expected \"banner\" or a quoted string");
	for (s = v + 1; *s != '"'; s++) {
		char c = *s;

		if (*s == '\0')
			return perr(ps, MM_ESYNTAX, "send",
			    "unterminated string");
		if (c == '\\') {
			s++;
			switch (*s) {
			case 'r': c = '\r'; break;
			case 'n': c = '\n'; break;
			case 't': c = '\t'; break;
			case '\\': c = '\\'; break;
			case '"': c = '"'; break;
			case 'x':
				h1 = hexval((unsigned char)s[1]);
				h2 = h1 < 0 ? -1 : hexval((unsigned char)s[2]);
				if (h2 < 0)
					return perr(ps, MM_ESYNTAX, "send",
					    "bad \\x escape");
				c = (char)(h1 * 16 + h2);
				s += 2;
				break;
			default:
				return perr(ps, MM_ESYNTAX, "send",
				    "unknown escape \\%c", *s ? *s : '0');
			}
		}
		if (n >= RULES_MAX_PAYLOAD)
			return perr(ps, MM_ELIMIT, "send",
			    "payload longer than %d bytes", RULES_MAX_PAYLOAD);
		p->payload[n++] = c;
	}
	if (s[1] != '\0')
		return perr(ps, MM_ESYNTAX, "send",
		    "text after the closing quote");
	p->payload[n] = '\0';
	if (memchr(p->payload, '\0', n) != NULL)
		return perr(ps, MM_EINVAL, "send", "NUL byte in payload");
	mm_diag_clear(&d2);
	if (rules_payload_check(p->payload, n, &d2) != 0)
		return perr(ps, MM_EINVAL, "send", "unsafe payload rejected: %s",
		    d2.msg);
	p->payload_len = n;
	p->banner = 0;
	s = strchr(p->payload, ' ') + 1;
	sp = strchr(s, ' ');
	memcpy(p->path, s, (size_t)(sp - s));
	p->path[sp - s] = '\0';
	return 0;
}

static int
field_ok(const char *f)
{
	size_t	i;

	for (i = 0; i < sizeof(known_fields) / sizeof(known_fields[0]); i++)
		if (strcmp(f, known_fields[i]) == 0)
			return 1;
	if (strncmp(f, "header:", 7) == 0 && f[7] != '\0') {
		for (f += 7; *f != '\0'; f++)
			if (!isalnum((unsigned char)*f) && *f != '-' &&
			    *f != '_')
				return 0;
		return 1;
	}
	return 0;
}

static int
parse_if(struct pstate *ps, char *v)
{
	struct rule	*ru = ps->rule;
	struct cond	*c;
	char		*sp, *first, *last, *f;
	unsigned long	 lo, hi;
	uint32_t	 opts = PCRE2_NEVER_UTF | PCRE2_NEVER_BACKSLASH_C;
	int		 ec;
	PCRE2_SIZE	 eo;
	long		 fav;
	char		*end;
	size_t		 i, plen;

	if (ru->nconds >= RULES_MAX_CONDS)
		return perr(ps, MM_ELIMIT, "if", "more than %d conditions",
		    RULES_MAX_CONDS);
	c = &ru->conds[ru->nconds];
	memset(c, 0, sizeof(*c));
	if ((sp = strpbrk(v, " \t")) == NULL)
		return perr(ps, MM_ESYNTAX, "if", "expected FIELD /regex/");
	*sp++ = '\0';
	while (*sp == ' ' || *sp == '\t')
		sp++;
	for (i = 0; v[i] != '\0'; i++)
		v[i] = (char)tolower((unsigned char)v[i]);
	if (strcmp(v, "favicon") == 0) {
		errno = 0;
		fav = strtol(sp, &end, 10);
		if (errno != 0 || end == sp || *end != '\0' ||
		    fav < INT32_MIN || fav > INT32_MAX)
			return perr(ps, MM_ESYNTAX, "if favicon",
			    "expected a signed 32-bit integer");
		c->kind = COND_FAVICON;
		c->favicon = (int32_t)fav;
		ru->nconds++;
		return 0;
	}
	if (strcmp(v, "gzip-mtime") == 0) {
		char *rng = strpbrk(sp, " \t"), *dash;

		if (rng == NULL)
			return perr(ps, MM_ESYNTAX, "if gzip-mtime",
			    "expected PATH FROM-TO");
		*rng++ = '\0';
		while (*rng == ' ' || *rng == '\t')
			rng++;
		if (*sp != '/' || strlen(sp) >= RULES_PATH_LEN ||
		    path_forbidden(sp, strlen(sp)) != NULL)
			return perr(ps, MM_EINVAL, "if gzip-mtime",
			    "path must be a plain absolute path");
		if ((dash = strchr(rng, '-')) == NULL)
			return perr(ps, MM_ESYNTAX, "if gzip-mtime",
			    "expected FROM-TO (Unix seconds)");
		*dash++ = '\0';
		if (parse_uint(rng, UINT32_MAX, &lo) != 0 ||
		    parse_uint(dash, UINT32_MAX, &hi) != 0 || hi < lo)
			return perr(ps, MM_ESYNTAX, "if gzip-mtime",
			    "bad time range");
		c->kind = COND_GZIP;
		(void)copy_str(c->path, sizeof(c->path), sp);
		c->tlo = (uint32_t)lo;
		c->thi = (uint32_t)hi;
		ru->nconds++;
		return 0;
	}
	if (!field_ok(v) || strlen(v) >= RULES_FIELD_LEN)
		return perr(ps, MM_ESYNTAX, "if", "unknown field \"%s\"", v);
	f = v;
	first = sp;
	last = strrchr(sp, '/');
	if (*first != '/' || last == first)
		return perr(ps, MM_ESYNTAX, f, "expected /regex/flags");
	for (end = last + 1; *end != '\0'; end++) {
		switch (*end) {
		case 'i': opts |= PCRE2_CASELESS; break;
		case 's': opts |= PCRE2_DOTALL; break;
		case 'm': opts |= PCRE2_MULTILINE; break;
		case 'x': opts |= PCRE2_EXTENDED; break;
		default:
			return perr(ps, MM_ESYNTAX, f, "unknown flag '%c'",
			    *end);
		}
	}
	plen = (size_t)(last - first - 1);
	if (plen == 0)
		return perr(ps, MM_ESYNTAX, f, "empty regex");
	if (plen > RULES_MAX_PATTERN)
		return perr(ps, MM_ELIMIT, f, "regex longer than %d bytes",
		    RULES_MAX_PATTERN);
	c->re = pcre2_compile((PCRE2_SPTR)(first + 1), plen, opts, &ec, &eo,
	    NULL);
	if (c->re == NULL) {
		PCRE2_UCHAR	emsg[120];

		if (ec == PCRE2_ERROR_NOMEMORY)
			return perr(ps, MM_ENOMEM, f, "out of memory");
		pcre2_get_error_message(ec, emsg, sizeof(emsg));
		return perr(ps, MM_ESYNTAX, f, "regex error at offset %zu: %s",
		    (size_t)eo, (const char *)emsg);
	}
	(void)pcre2_pattern_info(c->re, PCRE2_INFO_CAPTURECOUNT, &c->ncaps);
	c->kind = COND_RE;
	(void)copy_str(c->field, sizeof(c->field), f);
	ru->nconds++;
	if (ru->ncaps + c->ncaps > RULES_MAX_CAPS)
		return perr(ps, MM_ELIMIT, f, "more than %d capture groups "
		    "in one rule", RULES_MAX_CAPS);
	ru->ncaps += c->ncaps;
	return 0;
}

static int
check_template(struct pstate *ps, const char *field, const char *t)
{
	for (; *t != '\0'; t++) {
		if (*t != '$')
			continue;
		if (t[1] < '1' || t[1] > '9')
			return perr(ps, MM_ESYNTAX, field,
			    "'$' must be followed by 1-9");
		if ((uint32_t)(t[1] - '0') > ps->rule->ncaps)
			return perr(ps, MM_ESYNTAX, field,
			    "$%c but the rule has %u capture groups", t[1],
			    ps->rule->ncaps);
	}
	return 0;
}

static int
grow(void *pp, size_t *cap, size_t n, size_t elem)
{
	void	**arr = pp, *nu;
	size_t	  nc;

	if (n < *cap)
		return 0;
	nc = *cap == 0 ? 16 : *cap * 2;
	if ((nu = realloc(*arr, nc * elem)) == NULL)
		return MM_ENOMEM;
	*arr = nu;
	*cap = nc;
	return 0;
}

static int
close_stanza(struct pstate *ps)
{
	struct rules	*r = ps->r;
	struct rule	*ru = ps->rule;
	int		 rc, line = ps->line;

	if (ps->probe != NULL) {
		ps->line = ps->probe->line;
		if (!ps->probe_has_send)
			return perr(ps, MM_ESYNTAX, "send",
			    "probe \"%s\" has no send line", ps->probe->name);
		if (!ps->probe_has_ports)
			return perr(ps, MM_ESYNTAX, "ports",
			    "probe \"%s\" has no ports line", ps->probe->name);
		ps->line = line;
		if ((rc = grow(&r->probes, &r->capprobes, r->nprobes,
		    sizeof(*r->probes))) != 0)
			return rc;
		r->probes[r->nprobes++] = ps->probe;
		ps->probe = NULL;
	}
	if (ru != NULL) {
		ps->line = ru->line;
		if (ru->nconds == 0)
			return perr(ps, MM_ESYNTAX, "if",
			    "match \"%s\" has no condition", ru->name);
		if (ru->product[0] == '\0')
			return perr(ps, MM_ESYNTAX, "product",
			    "match \"%s\" has no product", ru->name);
		if ((rc = check_template(ps, "vendor", ru->vendor)) != 0 ||
		    (rc = check_template(ps, "product", ru->product)) != 0 ||
		    (rc = check_template(ps, "version", ru->version)) != 0 ||
		    (rc = check_template(ps, "device", ru->device)) != 0 ||
		    (rc = check_template(ps, "cpe", ru->cpe)) != 0)
			return rc;
		if (ru->cpe[0] != '\0' && strncmp(ru->cpe, "cpe:2.3:", 8) != 0)
			return perr(ps, MM_ESYNTAX, "cpe",
			    "must start with cpe:2.3:");
		ps->line = line;
		if (r->nrules >= RULES_MAX_RULES)
			return perr(ps, MM_ELIMIT, "match",
			    "more than %d rules", RULES_MAX_RULES);
		if ((rc = grow(&r->rules, &r->caprules, r->nrules,
		    sizeof(*r->rules))) != 0)
			return rc;
		r->rules[r->nrules++] = ru;
		ps->rule = NULL;
	}
	return 0;
}

static int
set_text(struct pstate *ps, const char *field, char *dst, size_t cap,
    const char *v)
{
	const char	*s;

	if (ps->rule == NULL)
		return perr(ps, MM_ESYNTAX, field, "outside a match stanza");
	for (s = v; *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 || (unsigned char)*s >= 0x7f)
			return perr(ps, MM_ESYNTAX, field,
			    "non-printable byte");
	if (copy_str(dst, cap, v) != 0)
		return perr(ps, MM_ELIMIT, field, "longer than %zu bytes",
		    cap - 1);
	return 0;
}

static int
parse_line(struct pstate *ps, char *kw, char *v)
{
	struct rules	*r = ps->r;
	unsigned long	 u;
	int		 rc;

	if (strcmp(kw, "probe") == 0 || strcmp(kw, "match") == 0) {
		if ((rc = close_stanza(ps)) != 0)
			return rc;
		if (!valid_name(v))
			return perr(ps, MM_ESYNTAX, kw, "bad name \"%s\"", v);
		if (kw[0] == 'p') {
			if (rules_probe_find(r, v) != NULL)
				return perr(ps, MM_ESYNTAX, kw,
				    "duplicate probe \"%s\"", v);
			if (r->nprobes >= RULES_MAX_PROBES)
				return perr(ps, MM_ELIMIT, kw,
				    "more than %d probes", RULES_MAX_PROBES);
			if ((ps->probe = calloc(1, sizeof(*ps->probe))) == NULL)
				return MM_ENOMEM;
			(void)copy_str(ps->probe->name,
			    sizeof(ps->probe->name), v);
			(void)copy_str(ps->probe->file,
			    sizeof(ps->probe->file), ps->file);
			ps->probe->line = ps->line;
			ps->probe->proto = RULES_TCP;
			ps->probe_has_send = ps->probe_has_ports = 0;
		} else {
			if ((ps->rule = calloc(1, sizeof(*ps->rule))) == NULL)
				return MM_ENOMEM;
			(void)copy_str(ps->rule->name, sizeof(ps->rule->name),
			    v);
			(void)copy_str(ps->rule->file, sizeof(ps->rule->file),
			    ps->file);
			ps->rule->line = ps->line;
		}
		return 0;
	}
	if (ps->probe != NULL) {
		if (strcmp(kw, "proto") == 0) {
			if (strcmp(v, "tcp") == 0)
				ps->probe->proto = RULES_TCP;
			else if (strcmp(v, "tls") == 0)
				ps->probe->proto = RULES_TLS;
			else
				return perr(ps, MM_ESYNTAX, kw,
				    "expected tcp or tls");
			return 0;
		}
		if (strcmp(kw, "ports") == 0) {
			ps->probe_has_ports = 1;
			return parse_ports(ps, v);
		}
		if (strcmp(kw, "send") == 0) {
			ps->probe_has_send = 1;
			return parse_send(ps, v);
		}
		return perr(ps, MM_ESYNTAX, kw, "unknown keyword in probe");
	}
	if (ps->rule == NULL)
		return perr(ps, MM_ESYNTAX, kw,
		    "expected \"probe NAME\" or \"match NAME\"");
	if (strcmp(kw, "if") == 0)
		return parse_if(ps, v);
	if (strcmp(kw, "from") == 0) {
		if (rules_probe_find(r, v) == NULL)
			return perr(ps, MM_ENOENT, kw,
			    "no probe \"%s\" defined before this line", v);
		(void)copy_str(ps->rule->from, sizeof(ps->rule->from), v);
		return 0;
	}
	if (strcmp(kw, "priority") == 0) {
		if (parse_uint(v, 1000, &u) != 0)
			return perr(ps, MM_ESYNTAX, kw, "expected 0..1000");
		ps->rule->priority = (int)u;
		return 0;
	}
	if (strcmp(kw, "vendor") == 0)
		return set_text(ps, kw, ps->rule->vendor,
		    sizeof(ps->rule->vendor), v);
	if (strcmp(kw, "product") == 0)
		return set_text(ps, kw, ps->rule->product,
		    sizeof(ps->rule->product), v);
	if (strcmp(kw, "version") == 0)
		return set_text(ps, kw, ps->rule->version,
		    sizeof(ps->rule->version), v);
	if (strcmp(kw, "device") == 0)
		return set_text(ps, kw, ps->rule->device,
		    sizeof(ps->rule->device), v);
	if (strcmp(kw, "cpe") == 0)
		return set_text(ps, kw, ps->rule->cpe, sizeof(ps->rule->cpe),
		    v);
	return perr(ps, MM_ESYNTAX, kw, "unknown keyword in match");
}

int
rules_load_buf(struct rules *r, const char *name, const char *buf,
    size_t len, struct mm_diag *d)
{
	struct pstate	 ps;
	char		 line[RULES_MAX_LINE + 1], *kw, *v, *e;
	size_t		 nr0, np0, pos = 0, n;
	const char	*nl;
	int		 rc = 0;

	if (r == NULL || (buf == NULL && len > 0))
		return mm_diag_set(d, MM_EINVAL, "rules_load_buf: NULL");
	memset(&ps, 0, sizeof(ps));
	ps.r = r;
	ps.file = name != NULL ? name : "(buffer)";
	ps.d = d;
	nr0 = r->nrules;
	np0 = r->nprobes;
	if (len > 0 && memchr(buf, '\0', len) != NULL) {
		rc = perr(&ps, MM_ESYNTAX, "file", "NUL byte in rule file");
		goto out;
	}
	while (pos < len) {
		ps.line++;
		nl = memchr(buf + pos, '\n', len - pos);
		n = nl != NULL ? (size_t)(nl - (buf + pos)) : len - pos;
		if (n > RULES_MAX_LINE) {
			rc = perr(&ps, MM_ELIMIT, "line",
			    "longer than %d bytes", RULES_MAX_LINE);
			goto out;
		}
		memcpy(line, buf + pos, n);
		line[n] = '\0';
		pos += n + (nl != NULL);
		while (n > 0 && isspace((unsigned char)line[n - 1]))
			line[--n] = '\0';
		for (kw = line; *kw == ' ' || *kw == '\t'; kw++)
			;
		if (*kw == '\0' || *kw == '#')
			continue;
		if ((e = strpbrk(kw, " \t")) != NULL) {
			*e++ = '\0';
			for (v = e; *v == ' ' || *v == '\t'; v++)
				;
		} else
			v = kw + strlen(kw);
		if (*v == '\0' && strcmp(kw, "end") != 0) {
			rc = perr(&ps, MM_ESYNTAX, kw, "missing value");
			goto out;
		}
		if (strcmp(kw, "end") == 0) {
			if ((rc = close_stanza(&ps)) != 0)
				goto out;
			continue;
		}
		if ((rc = parse_line(&ps, kw, v)) != 0)
			goto out;
	}
	rc = close_stanza(&ps);
 out:
	if (rc != 0) {
		free(ps.probe);
		rule_free(ps.rule);
		truncate_to(r, nr0, np0);
	}
	return rc;
}

int
rules_load_file(struct rules *r, const char *path, struct mm_diag *d)
{
	FILE	*fp = NULL;
	char	*buf = NULL;
	size_t	 n;
	int	 rc;

	if (r == NULL || path == NULL)
		return mm_diag_set(d, MM_EINVAL, "rules_load_file: NULL");
	if ((fp = fopen(path, "r")) == NULL) {
		rc = mm_diag_set(d, MM_EIO, "%s: %s", path, strerror(errno));
		goto out;
	}
	if ((buf = malloc(RULES_MAX_FILE + 1)) == NULL) {
		rc = MM_ENOMEM;
		goto out;
	}
	n = fread(buf, 1, RULES_MAX_FILE + 1, fp);
	if (ferror(fp)) {
		rc = mm_diag_set(d, MM_EIO, "%s: read error", path);
		goto out;
	}
	if (n > RULES_MAX_FILE) {
		rc = mm_diag_set(d, MM_ELIMIT, "%s: larger than %u bytes",
		    path, RULES_MAX_FILE);
		goto out;
	}
	rc = rules_load_buf(r, path, buf, n, d);
 out:
	free(buf);
	if (fp != NULL)
		fclose(fp);
	return rc;
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int
rules_load_dir(struct rules *r, const char *dir, struct mm_diag *d)
{
	DIR		*dp;
	struct dirent	*de;
	char		*names[RULES_MAX_FILES], path[PATH_MAX];
	size_t		 nn = 0, i, l;
	int		 rc = 0;

	if (r == NULL || dir == NULL)
		return mm_diag_set(d, MM_EINVAL, "rules_load_dir: NULL");
	if ((dp = opendir(dir)) == NULL)
		return mm_diag_set(d, MM_EIO, "%s: %s", dir, strerror(errno));
	while ((de = readdir(dp)) != NULL) {
		l = strlen(de->d_name);
		if (l < 7 || de->d_name[0] == '.' ||
		    strcmp(de->d_name + l - 6, ".rules") != 0)
			continue;
		if (nn >= RULES_MAX_FILES) {
			rc = mm_diag_set(d, MM_ELIMIT,
			    "%s: more than %d rule files", dir,
			    RULES_MAX_FILES);
			goto out;
		}
		if ((names[nn] = strdup(de->d_name)) == NULL) {
			rc = MM_ENOMEM;
			goto out;
		}
		nn++;
	}
	qsort(names, nn, sizeof(names[0]), cmp_str);
	for (i = 0; i < nn; i++) {
		if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir,
		    names[i]) >= sizeof(path)) {
			rc = mm_diag_set(d, MM_ELIMIT, "%s/%s: path too long",
			    dir, names[i]);
			goto out;
		}
		if ((rc = rules_load_file(r, path, d)) != 0)
			goto out;
	}
 out:
	for (i = 0; i < nn; i++)
		free(names[i]);
	closedir(dp);
	return rc;
}

/* ---- probes ---------------------------------------------------------- */

size_t
rules_probes(const struct rules *r, int proto, uint16_t port,
    const struct rules_probe **out, size_t max)
{
	const struct rules_probe	*p;
	size_t				 i, k, n = 0;
	int				 hit;

	if (r == NULL)
		return 0;
	for (i = 0; i < r->nprobes; i++) {
		p = r->probes[i];
		if (p->proto != proto)
			continue;
		hit = p->any_port;
		for (k = 0; !hit && k < p->nports; k++)
			hit = port >= p->ports[k].lo && port <= p->ports[k].hi;
		if (!hit)
			continue;
		if (out != NULL && n < max)
			out[n] = p;
		n++;
	}
	return n;
}

static int
arg_ok(const char *s)
{
	size_t	n = 0;

	for (; *s != '\0'; s++, n++)
		if ((unsigned char)*s < 0x20 || (unsigned char)*s == 0x7f)
			return 0;
	return n <= 255;
}

int
rules_probe_render(const struct rules_probe *p, const char *host,
    const char *ua, char *buf, size_t cap, size_t *len)
{
	const char	*s, *sub;
	size_t		 n = 0, k;

	*len = 0;
	if (p == NULL || buf == NULL || cap == 0)
		return MM_EINVAL;
	if (host == NULL)
		host = "";
	if (ua == NULL)
		ua = "mamori-survey";
	if (!arg_ok(host) || !arg_ok(ua))
		return MM_EINVAL;
	for (s = p->payload; *s != '\0'; ) {
		sub = NULL;
		if (strncmp(s, "{host}", 6) == 0) {
			sub = host;
			s += 6;
		} else if (strncmp(s, "{ua}", 4) == 0) {
			sub = ua;
			s += 4;
		}
		k = sub != NULL ? strlen(sub) : 1;
		if (n + k + 1 > cap)
			return MM_ELIMIT;
		if (sub != NULL)
			memcpy(buf + n, sub, k);
		else
			buf[n] = *s++;
		n += k;
	}
	buf[n] = '\0';
	*len = n;
	return 0;
}

/* ---- matching -------------------------------------------------------- */

struct capture {
	const char	*p;
	size_t		 n;
};

static int
cond_eval(const struct rules *r, const struct cond *c,
    const struct rules_obs *obs, pcre2_match_data *md, struct capture *caps,
    unsigned *limit_hits)
{
	PCRE2_SIZE	*ov;
	size_t		 i, len;
	uint32_t	 g;
	int		 rc;

	switch (c->kind) {
	case COND_FAVICON:
		return obs->have_favicon && obs->favicon == c->favicon;
	case COND_GZIP:
		return obs->have_gzip && obs->gzip_path != NULL &&
		    strcmp(obs->gzip_path, c->path) == 0 &&
		    obs->gzip_mtime >= c->tlo && obs->gzip_mtime <= c->thi;
	default:
		break;
	}
	for (i = 0; i < obs->nfields; i++) {
		const struct rules_field *f = &obs->fields[i];

		if (f->name == NULL || strcasecmp(f->name, c->field) != 0 ||
		    (f->val == NULL && f->len > 0))
			continue;
		len = f->len < RULES_SUBJECT_MAX ? f->len : RULES_SUBJECT_MAX;
		rc = pcre2_match(c->re, (PCRE2_SPTR)(f->val != NULL ? f->val :
		    ""), len, 0, 0, md, r->mctx);
		if (rc == PCRE2_ERROR_MATCHLIMIT ||
		    rc == PCRE2_ERROR_DEPTHLIMIT ||
		    rc == PCRE2_ERROR_HEAPLIMIT) {
			(*limit_hits)++;
			continue;
		}
		if (rc < 0)
			continue;
		ov = pcre2_get_ovector_pointer(md);
		for (g = 1; g <= c->ncaps; g++) {
			caps[g - 1].p = NULL;
			caps[g - 1].n = 0;
			if ((int)g < rc && ov[2 * g] != PCRE2_UNSET) {
				caps[g - 1].p = f->val + ov[2 * g];
				caps[g - 1].n = ov[2 * g + 1] - ov[2 * g];
			}
		}
		return 1;
	}
	return 0;
}

static void
expand(char *dst, size_t cap, const char *t, const struct capture *caps,
    int cpe)
{
	size_t	n = 0, i;
	int	c;

	for (; *t != '\0' && n + 1 < cap; t++) {
		if (*t != '$' || t[1] < '1' || t[1] > '9') {
			dst[n++] = *t;
			continue;
		}
		i = (size_t)(*++t - '1');
		if (cpe && caps[i].n == 0) {
			dst[n++] = '*';
			continue;
		}
		for (size_t k = 0; k < caps[i].n && n + 1 < cap; k++) {
			c = (unsigned char)caps[i].p[k];
			if (cpe ? (isalnum(c) || c == '.' || c == '-' ||
			    c == '_') : (c >= 0x20 && c < 0x7f))
				dst[n++] = (char)c;
		}
	}
	dst[n] = '\0';
}

static int
better(const struct rule *a, const struct rule *best)
{
	if (best == NULL)
		return 1;
	if (a->priority != best->priority)
		return a->priority > best->priority;
	return a->nconds > best->nconds;
}

int
rules_match(const struct rules *r, const struct rules_obs *obs,
    struct rules_ident *out)
{
	pcre2_match_data	*md;
	struct capture		 caps[RULES_MAX_CAPS], bcaps[RULES_MAX_CAPS];
	const struct rule	*ru, *best = NULL;
	size_t			 i, k;
	uint32_t		 base;
	int			 ok;

	if (out == NULL)
		return MM_EINVAL;
	memset(out, 0, sizeof(*out));
	if (r == NULL || obs == NULL)
		return 0;
	if ((md = pcre2_match_data_create(RULES_MAX_CAPS + 1, NULL)) == NULL)
		return MM_ENOMEM;
	memset(bcaps, 0, sizeof(bcaps));
	for (i = 0; i < r->nrules; i++) {
		ru = r->rules[i];
		if (ru->from[0] != '\0' && obs->probe != NULL &&
		    strcmp(ru->from, obs->probe) != 0)
			continue;
		if (!better(ru, best))
			continue;
		memset(caps, 0, sizeof(caps));
		ok = 1;
		base = 0;
		for (k = 0; ok && k < ru->nconds; k++) {
			ok = cond_eval(r, &ru->conds[k], obs, md, caps + base,
			    &out->limit_hits);
			base += ru->conds[k].ncaps;
		}
		if (ok) {
			best = ru;
			memcpy(bcaps, caps, sizeof(caps));
		}
	}
	pcre2_match_data_free(md);
	if (best == NULL)
		return 0;
	(void)copy_str(out->rule, sizeof(out->rule), best->name);
	(void)copy_str(out->file, sizeof(out->file), best->file);
	out->line = best->line;
	out->priority = best->priority;
	expand(out->vendor, sizeof(out->vendor), best->vendor, bcaps, 0);
	expand(out->product, sizeof(out->product), best->product, bcaps, 0);
	expand(out->version, sizeof(out->version), best->version, bcaps, 0);
	expand(out->device, sizeof(out->device), best->device, bcaps, 0);
	expand(out->cpe, sizeof(out->cpe), best->cpe, bcaps, 1);
	return 1;
}

/* ---- hashes and gzip ------------------------------------------------- */

static uint32_t
rotl32(uint32_t x, int r)
{
	return (x << r) | (x >> (32 - r));
}

struct mm3 {
	uint32_t	h;
	uint8_t		blk[4];
	size_t		nblk;
	size_t		total;
};

static void
mm3_byte(struct mm3 *m, uint8_t b)
{
	uint32_t	k;

	m->blk[m->nblk++] = b;
	m->total++;
	if (m->nblk < 4)
		return;
	k = (uint32_t)m->blk[0] | (uint32_t)m->blk[1] << 8 |
	    (uint32_t)m->blk[2] << 16 | (uint32_t)m->blk[3] << 24;
	k *= 0xcc9e2d51u;
	k = rotl32(k, 15);
	k *= 0x1b873593u;
	m->h ^= k;
	m->h = rotl32(m->h, 13);
	m->h = m->h * 5 + 0xe6546b64u;
	m->nblk = 0;
}

static uint32_t
mm3_final(struct mm3 *m)
{
	uint32_t	k = 0, h = m->h;

	switch (m->nblk) {
	case 3:
		k ^= (uint32_t)m->blk[2] << 16;
		/* FALLTHROUGH */
	case 2:
		k ^= (uint32_t)m->blk[1] << 8;
		/* FALLTHROUGH */
	case 1:
		k ^= m->blk[0];
		k *= 0xcc9e2d51u;
		k = rotl32(k, 15);
		k *= 0x1b873593u;
		h ^= k;
		break;
	default:
		break;
	}
	h ^= (uint32_t)m->total;
	h ^= h >> 16;
	h *= 0x85ebca6bu;
	h ^= h >> 13;
	h *= 0xc2b2ae35u;
	h ^= h >> 16;
	return h;
}

uint32_t
rules_murmur3_32(const void *data, size_t len, uint32_t seed)
{
	const uint8_t	*p = data;
	struct mm3	 m;
	size_t		 i;

	memset(&m, 0, sizeof(m));
	m.h = seed;
	for (i = 0; i < len; i++)
		mm3_byte(&m, p[i]);
	return mm3_final(&m);
}

int32_t
rules_favicon_hash(const void *data, size_t len)
{
	static const char b64[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	const uint8_t	*p = data;
	struct mm3	 m;
	size_t		 i, col = 0, j;
	uint32_t	 v, h;
	char		 q[4];

	memset(&m, 0, sizeof(m));
	for (i = 0; i < len; i += 3) {
		v = (uint32_t)p[i] << 16;
		if (i + 1 < len)
			v |= (uint32_t)p[i + 1] << 8;
		if (i + 2 < len)
			v |= p[i + 2];
		q[0] = b64[(v >> 18) & 63];
		q[1] = b64[(v >> 12) & 63];
		q[2] = i + 1 < len ? b64[(v >> 6) & 63] : '=';
		q[3] = i + 2 < len ? b64[v & 63] : '=';
		for (j = 0; j < 4; j++) {
			mm3_byte(&m, (uint8_t)q[j]);
			if (++col == 76) {
				mm3_byte(&m, '\n');
				col = 0;
			}
		}
	}
	if (col > 0)
		mm3_byte(&m, '\n');
	h = mm3_final(&m);
	return h <= INT32_MAX ? (int32_t)h : (int32_t)(h - 2147483648u) +
	    INT32_MIN;
}

int
rules_gzip_mtime(const void *body, size_t len, uint32_t *mtime)
{
	struct cursor	c;
	uint8_t		id1, id2, cm, flg;
	int		rc;

	cur_init(&c, body, len);
	if ((rc = get_u8(&c, &id1)) != 0 || (rc = get_u8(&c, &id2)) != 0 ||
	    (rc = get_u8(&c, &cm)) != 0 || (rc = get_u8(&c, &flg)) != 0)
		return MM_ETRUNC;
	if (id1 != 0x1f || id2 != 0x8b || cm != 8)
		return MM_EFORMAT;
	if (get_u32_le(&c, mtime) != 0)
		return MM_ETRUNC;
	return 0;
}
