/*
 * scope.c - scope files, exclusions and the enumerable target space; see
 * scope.h for the rules.
 *
 * Approach. Every file line becomes an entry (prefix, kind, line, ports).
 * scope_finish() then builds three things from the entries:
 *   - an LPM table of the scope entries and one of every exclusion (user
 *     excludes, opt-outs and the special-purpose table), so the final check
 *     before a connect is two lookups, O(prefix depth) <= 128 steps;
 *   - the scope as sorted 128-bit intervals (IPv4 lives v4-mapped at
 *     ::ffff:0:0/96, so one arithmetic serves both families), overlapping
 *     scope entries merged (prefixes nest, so the merge is the outer one) and
 *     the merged exclusion intervals subtracted by one linear sweep:
 *     O(E log E) for E entries;
 *   - for each remaining range its port list and the index of its first
 *     target, so scope_target() is one binary search, O(log ranges).
 * A range never crosses its scope entry, and entries hold at most 2^32
 * addresses (IPv4) or 2^16 (IPv6, capped at /112), so address arithmetic
 * inside a range touches only the low 64 bits. Input is read line by line
 * through the bounds-checked cursor, each line capped at SCOPE_MAX_LINE.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/cursor.h"
#include "core/lpm.h"
#include "survey/scope.h"

/*
 * IANA special-purpose address registries (RFC 6890 as updated by RFC 8190
 * and the RFCs named per row). Every row is excluded from any survey, except
 * that lab mode lifts the two loopback rows (and allows nothing else).
 * ::ffff:0:0/96 (IPv4-mapped, RFC 4291) is listed in the registry but is
 * where mamori keeps IPv4 itself; the IPv4 rows cover it.
 */
static const struct scope_special specials[] = {
	{ "0.0.0.0/8",		"RFC 791, RFC 1122 s3.2.1.3",	"this network" },
	{ "10.0.0.0/8",		"RFC 1918",	"private-use" },
	{ "100.64.0.0/10",	"RFC 6598",	"shared address space" },
	{ "127.0.0.0/8",	"RFC 1122 s3.2.1.3",	"loopback" },
	{ "169.254.0.0/16",	"RFC 3927",	"link local" },
	{ "172.16.0.0/12",	"RFC 1918",	"private-use" },
	{ "192.0.0.0/24",	"RFC 6890 s2.1, RFC 8190",
	    "IETF protocol assignments" },
	{ "192.0.2.0/24",	"RFC 5737",	"documentation (TEST-NET-1)" },
	{ "192.31.196.0/24",	"RFC 7535",	"AS112-v4" },
	{ "192.52.193.0/24",	"RFC 7450",	"AMT" },
	{ "192.88.99.0/24",	"RFC 7526, RFC 3068",
	    "deprecated 6to4 relay anycast" },
	{ "192.168.0.0/16",	"RFC 1918",	"private-use" },
	{ "192.175.48.0/24",	"RFC 7534",	"direct delegation AS112" },
	{ "198.18.0.0/15",	"RFC 2544",	"benchmarking" },
	{ "198.51.100.0/24",	"RFC 5737",	"documentation (TEST-NET-2)" },
	{ "203.0.113.0/24",	"RFC 5737",	"documentation (TEST-NET-3)" },
	{ "224.0.0.0/4",	"RFC 5771",	"multicast" },
	{ "240.0.0.0/4",	"RFC 1112 s4",	"reserved" },
	{ "255.255.255.255/32",	"RFC 8190, RFC 919 s7",	"limited broadcast" },
	{ "::1/128",		"RFC 4291",	"loopback" },
	{ "::/128",		"RFC 4291",	"unspecified" },
	{ "64:ff9b::/96",	"RFC 6052",	"IPv4-IPv6 translation" },
	{ "64:ff9b:1::/48",	"RFC 8215",	"local-use IPv4/IPv6 translation" },
	{ "100::/64",		"RFC 6666",	"discard-only" },
	{ "2001::/23",		"RFC 2928, RFC 8190",
	    "IETF protocol assignments" },
	{ "2001:db8::/32",	"RFC 3849",	"documentation" },
	{ "2002::/16",		"RFC 3056",	"6to4" },
	{ "3fff::/20",		"RFC 9637",	"documentation" },
	{ "5f00::/16",		"RFC 9602",	"segment routing SIDs" },
	{ "fc00::/7",		"RFC 4193, RFC 8190",	"unique local" },
	{ "fe80::/10",		"RFC 4291",	"link-local unicast" },
	{ "ff00::/8",		"RFC 4291",	"multicast" },
};
#define NSPECIALS	(sizeof(specials) / sizeof(specials[0]))

struct u128 {
	uint64_t	hi, lo;
};

struct entry {
	struct mm_prefix p;
	uint32_t	 line;
	uint32_t	 name;		/* index into names */
	uint8_t		 kind;
	size_t		 poff;		/* into pool */
	size_t		 nports;	/* 0: default ports */
};

struct ival {
	struct u128	 lo, hi;
	size_t		 ent;		/* entry index (scope intervals) */
};

struct scope {
	int		 lab;
	int		 finished;
	struct entry	*ent;
	size_t		 nent, capent;
	size_t		 nkind[3];
	uint16_t	*pool;
	size_t		 npool, cappool;
	char		**names;
	size_t		 nnames;
	uint16_t	*defports;
	size_t		 ndefports;
	struct lpm	*inc, *exc;
	struct scope_range *rng;
	size_t		 nrng;
	uint64_t	 ntargets;
};

static const char *kind_names[] = { "scope", "exclude", "opt-out" };
static const char exc_mark = 'x';	/* non-NULL LPM value for exclusions */

const struct scope_special *
scope_special_table(size_t *n)
{
	if (n != NULL)
		*n = NSPECIALS;
	return specials;
}

static struct u128
u128_of(const struct mm_addr *a)
{
	struct u128 v = { 0, 0 };
	int i;

	for (i = 0; i < 8; i++)
		v.hi = (v.hi << 8) | a->b[i];
	for (i = 8; i < 16; i++)
		v.lo = (v.lo << 8) | a->b[i];
	return v;
}

static void
u128_addr(struct u128 v, struct mm_addr *a)
{
	int i;

	for (i = 7; i >= 0; i--) {
		a->b[i] = (uint8_t)(v.hi & 0xff);
		v.hi >>= 8;
	}
	for (i = 15; i >= 8; i--) {
		a->b[i] = (uint8_t)(v.lo & 0xff);
		v.lo >>= 8;
	}
}

static int
u128_cmp(struct u128 a, struct u128 b)
{
	if (a.hi != b.hi)
		return a.hi < b.hi ? -1 : 1;
	if (a.lo != b.lo)
		return a.lo < b.lo ? -1 : 1;
	return 0;
}

static struct u128
u128_inc(struct u128 a)
{
	if (++a.lo == 0)
		a.hi++;
	return a;
}

static struct u128
u128_dec(struct u128 a)
{
	if (a.lo-- == 0)
		a.hi--;
	return a;
}

static int
u128_is_max(struct u128 a)
{
	return a.hi == UINT64_MAX && a.lo == UINT64_MAX;
}

/* [lo, hi] of a prefix (len in the 128-bit space). */
static void
prefix_ival(const struct mm_prefix *p, struct ival *iv)
{
	struct u128 m;
	unsigned l = p->len;

	if (l < 64) {
		m.hi = UINT64_MAX >> l;
		m.lo = UINT64_MAX;
	} else if (l < 128) {
		m.hi = 0;
		m.lo = l == 64 ? UINT64_MAX : UINT64_MAX >> (l - 64);
	} else {
		m.hi = m.lo = 0;
	}
	iv->lo = u128_of(&p->addr);
	iv->hi.hi = iv->lo.hi | m.hi;
	iv->hi.lo = iv->lo.lo | m.lo;
}

static int
is_loopback(const struct mm_addr *a)
{
	static const uint8_t one[16] = { [15] = 1 };

	if (addr_is_v4(a))
		return (addr_v4(a) >> 24) == 127;
	return memcmp(a->b, one, 16) == 0;
}

/* 1 if the whole prefix lies inside 127/8 or is ::1. */
static int
prefix_in_loopback(const struct mm_prefix *p)
{
	if (addr_is_v4(&p->addr))
		return p->len >= 96 + 8 && is_loopback(&p->addr);
	return p->len == 128 && is_loopback(&p->addr);
}

int
scope_new(struct scope **out, int lab)
{
	struct scope *s;

	*out = NULL;
	if ((s = calloc(1, sizeof(*s))) == NULL)
		return MM_ENOMEM;
	s->lab = lab != 0;
	*out = s;
	return 0;
}

void
scope_free(struct scope *s)
{
	size_t i;

	if (s == NULL)
		return;
	for (i = 0; i < s->nnames; i++)
		free(s->names[i]);
	free(s->names);
	free(s->ent);
	free(s->pool);
	free(s->defports);
	lpm_free(s->inc);
	lpm_free(s->exc);
	free(s->rng);
	free(s);
}

static int
cmp_u16(const void *a, const void *b)
{
	uint16_t x = *(const uint16_t *)a, y = *(const uint16_t *)b;

	return x < y ? -1 : x > y;
}

/* Sorts and de-duplicates n ports in place; returns the new count. */
static size_t
ports_uniq(uint16_t *p, size_t n)
{
	size_t i, o;

	if (n == 0)
		return 0;
	qsort(p, n, sizeof(*p), cmp_u16);
	for (i = 1, o = 1; i < n; i++)
		if (p[i] != p[o - 1])
			p[o++] = p[i];
	return o;
}

static int
pool_push(struct scope *s, uint16_t port)
{
	uint16_t *np;
	size_t nc;

	if (s->npool >= SCOPE_MAX_PORTS)
		return MM_ELIMIT;
	if (s->npool == s->cappool) {
		nc = s->cappool ? s->cappool * 2 : 64;
		if ((np = realloc(s->pool, nc * sizeof(*np))) == NULL)
			return MM_ENOMEM;
		s->pool = np;
		s->cappool = nc;
	}
	s->pool[s->npool++] = port;
	return 0;
}

/* Parses a decimal port 1..65535 from [p, end). */
static int
port_num(const char *p, const char *end, uint16_t *v)
{
	unsigned long n = 0;

	if (p == end || end - p > 5)
		return MM_ESYNTAX;
	for (; p < end; p++) {
		if (*p < '0' || *p > '9')
			return MM_ESYNTAX;
		n = n * 10 + (unsigned long)(*p - '0');
	}
	if (n == 0 || n > 65535)
		return MM_ERANGE;
	*v = (uint16_t)n;
	return 0;
}

/* Parses "22,23,80-81" into the pool; sets *off and *n. */
static int
ports_parse(struct scope *s, const char *tok, const char *name,
    unsigned line, size_t *off, size_t *n, struct mm_diag *d)
{
	const char *p = tok, *comma, *dash, *end;
	uint16_t a, b;
	uint32_t v;
	int rc;

	*off = s->npool;
	if (*p == '\0')
		return mm_diag_set(d, MM_ESYNTAX, "%s:%u: ports: empty list",
		    name, line);
	for (;;) {
		comma = strchr(p, ',');
		end = comma != NULL ? comma : p + strlen(p);
		dash = memchr(p, '-', (size_t)(end - p));
		if (dash == NULL) {
			if ((rc = port_num(p, end, &a)) != 0)
				goto bad;
			b = a;
		} else {
			if ((rc = port_num(p, dash, &a)) != 0 ||
			    (rc = port_num(dash + 1, end, &b)) != 0)
				goto bad;
			if (a > b) {
				rc = MM_ERANGE;
				goto bad;
			}
		}
		for (v = a; v <= b; v++)
			if ((rc = pool_push(s, (uint16_t)v)) != 0)
				return mm_diag_set(d, rc, "%s:%u: ports: %s "
				    "(at most %u port slots in all)", name,
				    line, mm_strerror(rc), SCOPE_MAX_PORTS);
		if (comma == NULL)
			break;
		p = comma + 1;
	}
	*n = ports_uniq(s->pool + *off, s->npool - *off);
	s->npool = *off + *n;
	return 0;
 bad:
	return mm_diag_set(d, rc, "%s:%u: ports: bad item '%.*s' (want "
	    "1..65535 or a-b, comma separated)", name, line,
	    (int)(end - p > 20 ? 20 : end - p), p);
}

static int
ent_push(struct scope *s, const struct entry *e)
{
	struct entry *ne;
	size_t nc;

	if (s->nent >= SCOPE_MAX_ENTRIES)
		return MM_ELIMIT;
	if (s->nent == s->capent) {
		nc = s->capent ? s->capent * 2 : 64;
		if ((ne = realloc(s->ent, nc * sizeof(*ne))) == NULL)
			return MM_ENOMEM;
		s->ent = ne;
		s->capent = nc;
	}
	s->ent[s->nent++] = *e;
	s->nkind[e->kind]++;
	return 0;
}

static int
line_parse(struct scope *s, enum scope_kind kind, const char *name,
    uint32_t nameidx, unsigned line, char *buf, struct mm_diag *d)
{
	static const char ws[] = " \t\r\v\f";
	struct entry e;
	char *tok, *save = NULL, *hash;
	int rc;

	if ((hash = strchr(buf, '#')) != NULL)
		*hash = '\0';
	if ((tok = strtok_r(buf, ws, &save)) == NULL)
		return 0;
	memset(&e, 0, sizeof(e));
	e.line = line;
	e.name = nameidx;
	e.kind = (uint8_t)kind;
	if ((rc = prefix_parse(tok, &e.p)) != 0)
		return mm_diag_set(d, rc, "%s:%u: address: '%.50s' is not an "
		    "IPv4/IPv6 address or prefix", name, line, tok);
	if (kind == SCOPE_INCLUDE) {
		if (!addr_is_v4(&e.p.addr) &&
		    e.p.len < 128 - SCOPE_V6_MAX_HOSTBITS)
			return mm_diag_set(d, MM_ELIMIT, "%s:%u: address: IPv6 "
			    "scope entry '%.50s' is larger than /%d", name,
			    line, tok, 128 - SCOPE_V6_MAX_HOSTBITS);
		if (s->lab && !prefix_in_loopback(&e.p))
			return mm_diag_set(d, MM_EINVAL, "%s:%u: address: "
			    "'%.50s' refused: lab mode allows only 127.0.0.0/8 "
			    "and ::1", name, line, tok);
		if (!s->lab && prefix_in_loopback(&e.p))
			return mm_diag_set(d, MM_EINVAL, "%s:%u: address: "
			    "'%.50s' refused: loopback (127.0.0.0/8, ::1) "
			    "needs lab mode (--lab)", name, line, tok);
	}
	if ((tok = strtok_r(NULL, ws, &save)) != NULL) {
		if (kind != SCOPE_INCLUDE)
			return mm_diag_set(d, MM_ESYNTAX, "%s:%u: ports: an "
			    "%s file takes addresses and prefixes only", name,
			    line, kind_names[kind]);
		if (strncmp(tok, "ports=", 6) == 0)
			tok += 6;
		if ((rc = ports_parse(s, tok, name, line, &e.poff, &e.nports,
		    d)) != 0)
			return rc;
		if ((tok = strtok_r(NULL, ws, &save)) != NULL)
			return mm_diag_set(d, MM_ESYNTAX, "%s:%u: trailing "
			    "field '%.30s'", name, line, tok);
	}
	if ((rc = ent_push(s, &e)) != 0)
		return mm_diag_set(d, rc, "%s:%u: entries: %s (at most %u in "
		    "all files)", name, line, mm_strerror(rc),
		    SCOPE_MAX_ENTRIES);
	return 0;
}

static int
name_push(struct scope *s, const char *name, uint32_t *idx)
{
	char **nn, *c;

	if ((c = strdup(name)) == NULL)
		return MM_ENOMEM;
	if ((nn = realloc(s->names, (s->nnames + 1) * sizeof(*nn))) == NULL) {
		free(c);
		return MM_ENOMEM;
	}
	s->names = nn;
	s->names[s->nnames] = c;
	*idx = (uint32_t)s->nnames++;
	return 0;
}

int
scope_add_buf(struct scope *s, enum scope_kind kind, const char *name,
    const char *buf, size_t len, struct mm_diag *d)
{
	struct cursor c;
	char line[SCOPE_MAX_LINE + 1];
	const uint8_t *p, *nl;
	size_t ll;
	unsigned lineno = 0;
	uint32_t nameidx;
	int rc;

	if (s == NULL || s->finished || (unsigned)kind > SCOPE_OPTOUT ||
	    (buf == NULL && len > 0))
		return mm_diag_set(d, MM_EINVAL, "scope: bad call");
	if (name == NULL)
		name = kind_names[kind];
	if (len > SCOPE_MAX_FILE)
		return mm_diag_set(d, MM_ELIMIT, "%s: larger than %u bytes",
		    name, SCOPE_MAX_FILE);
	if ((rc = name_push(s, name, &nameidx)) != 0)
		return mm_diag_set(d, rc, "%s: %s", name, mm_strerror(rc));
	cur_init(&c, buf, len);
	while (cur_left(&c) > 0) {
		if (++lineno > SCOPE_MAX_LINES)
			return mm_diag_set(d, MM_ELIMIT, "%s:%u: more than %u "
			    "lines", name, lineno, SCOPE_MAX_LINES);
		p = cur_ptr(&c);
		nl = memchr(p, '\n', cur_left(&c));
		ll = nl != NULL ? (size_t)(nl - p) : cur_left(&c);
		if (ll > SCOPE_MAX_LINE)
			return mm_diag_set(d, MM_ELIMIT, "%s:%u: line longer "
			    "than %d bytes", name, lineno, SCOPE_MAX_LINE);
		if (get_bytes(&c, line, ll) != 0)
			return mm_diag_set(d, MM_ETRUNC, "%s:%u: truncated",
			    name, lineno);
		if (nl != NULL)
			(void)cur_skip(&c, 1);
		line[ll] = '\0';
		if (memchr(line, '\0', ll) != NULL)
			return mm_diag_set(d, MM_ESYNTAX, "%s:%u: NUL byte in "
			    "line", name, lineno);
		if ((rc = line_parse(s, kind, name, nameidx, lineno, line,
		    d)) != 0)
			return rc;
	}
	return 0;
}

int
scope_add_file(struct scope *s, enum scope_kind kind, const char *path,
    struct mm_diag *d)
{
	FILE *f = NULL;
	char *buf = NULL;
	size_t len = 0, n;
	int rc = 0;

	if (s == NULL || path == NULL)
		return mm_diag_set(d, MM_EINVAL, "scope: bad call");
	if ((f = fopen(path, "r")) == NULL) {
		rc = mm_diag_set(d, MM_EIO, "%s: %s", path, strerror(errno));
		goto out;
	}
	if ((buf = malloc(SCOPE_MAX_FILE + 1)) == NULL) {
		rc = mm_diag_set(d, MM_ENOMEM, "%s: out of memory", path);
		goto out;
	}
	while ((n = fread(buf + len, 1, SCOPE_MAX_FILE + 1 - len, f)) > 0) {
		len += n;
		if (len > SCOPE_MAX_FILE)
			break;
	}
	if (ferror(f)) {
		rc = mm_diag_set(d, MM_EIO, "%s: read error", path);
		goto out;
	}
	rc = scope_add_buf(s, kind, path, buf, len, d);
 out:
	if (f != NULL)
		fclose(f);
	free(buf);
	return rc;
}

static int
cmp_ival(const void *a, const void *b)
{
	const struct ival *x = a, *y = b;
	int c;

	if ((c = u128_cmp(x->lo, y->lo)) != 0)
		return c;
	return u128_cmp(y->hi, x->hi);	/* wider first */
}

static void
ent_ports(const struct scope *s, const struct entry *e, const uint16_t **p,
    size_t *n)
{
	if (e->nports == 0) {
		*p = s->defports;
		*n = s->ndefports;
	} else {
		*p = s->pool + e->poff;
		*n = e->nports;
	}
}

static int
same_ports(const struct scope *s, const struct entry *a, const struct entry *b)
{
	const uint16_t *pa, *pb;
	size_t na, nb;

	ent_ports(s, a, &pa, &na);
	ent_ports(s, b, &pb, &nb);
	return na == nb && (na == 0 || memcmp(pa, pb, na * sizeof(*pa)) == 0);
}

/* Sorts and merges overlapping intervals in place; returns the new count. */
static size_t
ival_merge(struct ival *v, size_t n)
{
	size_t i, o;

	if (n == 0)
		return 0;
	qsort(v, n, sizeof(*v), cmp_ival);
	for (i = 1, o = 0; i < n; i++) {
		if (u128_is_max(v[o].hi) ||
		    u128_cmp(v[i].lo, u128_inc(v[o].hi)) <= 0) {
			if (u128_cmp(v[i].hi, v[o].hi) > 0)
				v[o].hi = v[i].hi;
		} else
			v[++o] = v[i];
	}
	return o + 1;
}

static int
range_push(struct scope *s, struct ival *iv, size_t *cap)
{
	struct scope_range *nr, *r;
	const struct entry *e = &s->ent[iv->ent];
	uint64_t naddr, nt;
	size_t nc;

	if (s->nrng == *cap) {
		nc = *cap ? *cap * 2 : 64;
		if ((nr = realloc(s->rng, nc * sizeof(*nr))) == NULL)
			return MM_ENOMEM;
		s->rng = nr;
		*cap = nc;
	}
	r = &s->rng[s->nrng];
	u128_addr(iv->lo, &r->start);
	naddr = iv->hi.lo - iv->lo.lo + 1;	/* same high half: see top */
	r->naddr = naddr;
	ent_ports(s, e, &r->ports, &r->nports);
	r->base = s->ntargets;
	nt = naddr * r->nports;
	if (naddr > UINT64_MAX / r->nports || nt > UINT64_MAX - s->ntargets)
		return MM_ELIMIT;
	s->ntargets += nt;
	s->nrng++;
	return 0;
}

int
scope_finish(struct scope *s, const uint16_t *ports, size_t nports,
    struct mm_diag *d)
{
	struct ival *inc = NULL, *exc = NULL, cur;
	struct mm_prefix sp;
	const struct entry *e, *o;
	size_t i, j, k, ninc = 0, nexc = 0, cap = 0;
	int rc = 0, done;

	if (s == NULL || s->finished)
		return mm_diag_set(d, MM_EINVAL, "scope: bad call");
	if (nports > 65535 || (nports > 0 && ports == NULL))
		return mm_diag_set(d, MM_EINVAL, "scope: bad default ports");
	if (nports > 0) {
		if ((s->defports = malloc(nports * sizeof(*ports))) == NULL)
			return mm_diag_set(d, MM_ENOMEM, "scope: no memory");
		memcpy(s->defports, ports, nports * sizeof(*ports));
		s->ndefports = ports_uniq(s->defports, nports);
		if (s->defports[0] == 0)
			return mm_diag_set(d, MM_ERANGE, "ports: port 0");
	}
	if ((s->inc = lpm_new()) == NULL || (s->exc = lpm_new()) == NULL ||
	    (inc = calloc(s->nkind[0] + 1, sizeof(*inc))) == NULL ||
	    (exc = calloc(s->nent - s->nkind[0] + NSPECIALS + 1,
	    sizeof(*exc))) == NULL) {
		rc = mm_diag_set(d, MM_ENOMEM, "scope: no memory");
		goto out;
	}
	for (i = 0; i < NSPECIALS; i++) {
		if (prefix_parse(specials[i].prefix, &sp) != 0) {
			rc = mm_diag_set(d, MM_EINVAL, "scope: bad special "
			    "row %s", specials[i].prefix);
			goto out;
		}
		if (s->lab && prefix_in_loopback(&sp))
			continue;
		if ((rc = lpm_insert(s->exc, &sp, (void *)(uintptr_t)
		    &exc_mark)) != 0)
			goto nomem;
		prefix_ival(&sp, &exc[nexc++]);
	}
	for (i = 0; i < s->nent; i++) {
		e = &s->ent[i];
		if (e->kind == SCOPE_INCLUDE) {
			if (e->nports == 0 && s->ndefports == 0) {
				rc = mm_diag_set(d, MM_EINVAL, "%s:%u: ports: "
				    "none on the line and no default ports "
				    "(-p)", s->names[e->name], e->line);
				goto out;
			}
			if ((rc = lpm_insert(s->inc, &e->p, (void *)(uintptr_t)
			    e)) != 0)
				goto nomem;
			prefix_ival(&e->p, &inc[ninc]);
			inc[ninc++].ent = i;
		} else {
			if ((rc = lpm_insert(s->exc, &e->p, (void *)(uintptr_t)
			    &exc_mark)) != 0)
				goto nomem;
			prefix_ival(&e->p, &exc[nexc++]);
		}
	}
	/* scope: nested entries must agree on ports; keep the outer one */
	qsort(inc, ninc, sizeof(*inc), cmp_ival);
	for (i = 1, j = 0; i < ninc; i++) {
		if (ninc > 0 && u128_cmp(inc[i].lo, inc[j].hi) <= 0) {
			e = &s->ent[inc[i].ent];
			o = &s->ent[inc[j].ent];
			if (!same_ports(s, e, o)) {
				rc = mm_diag_set(d, MM_EINVAL, "%s:%u: ports: "
				    "entry overlaps %s:%u with a different "
				    "port list", s->names[e->name], e->line,
				    s->names[o->name], o->line);
				goto out;
			}
			continue;	/* nested inside inc[j] */
		}
		inc[++j] = inc[i];
	}
	if (ninc > 0)
		ninc = j + 1;
	nexc = ival_merge(exc, nexc);
	/* subtract: both lists sorted and disjoint */
	for (i = 0, k = 0; i < ninc; i++) {
		cur = inc[i];
		while (k < nexc && u128_cmp(exc[k].hi, cur.lo) < 0)
			k++;
		done = 0;
		for (j = k; j < nexc && u128_cmp(exc[j].lo, inc[i].hi) <= 0;
		    j++) {
			if (u128_cmp(exc[j].lo, cur.lo) > 0) {
				cur.hi = u128_dec(exc[j].lo);
				if ((rc = range_push(s, &cur, &cap)) != 0)
					goto lim;
			}
			if (u128_cmp(exc[j].hi, inc[i].hi) >= 0) {
				done = 1;
				break;
			}
			cur.lo = u128_inc(exc[j].hi);
		}
		if (!done) {
			cur.hi = inc[i].hi;
			if ((rc = range_push(s, &cur, &cap)) != 0)
				goto lim;
		}
	}
	s->finished = 1;
	goto out;
 lim:
	rc = mm_diag_set(d, rc, "scope: %s building target ranges",
	    mm_strerror(rc));
	goto out;
 nomem:
	rc = mm_diag_set(d, rc, "scope: %s building lookup tables",
	    mm_strerror(rc));
 out:
	free(inc);
	free(exc);
	return rc;
}

int
scope_load(struct scope **out, const char *scope_path,
    const char *exclude_path, const char *optout_path,
    const uint16_t *ports, size_t nports, int lab, struct mm_diag *d)
{
	struct scope *s = NULL;
	int rc;

	*out = NULL;
	if (scope_path == NULL)
		return mm_diag_set(d, MM_EINVAL, "scope: a scope file is "
		    "required");
	if ((rc = scope_new(&s, lab)) != 0) {
		rc = mm_diag_set(d, rc, "scope: no memory");
		goto out;
	}
	if ((rc = scope_add_file(s, SCOPE_INCLUDE, scope_path, d)) != 0)
		goto out;
	if (exclude_path != NULL &&
	    (rc = scope_add_file(s, SCOPE_EXCLUDE, exclude_path, d)) != 0)
		goto out;
	if (optout_path != NULL &&
	    (rc = scope_add_file(s, SCOPE_OPTOUT, optout_path, d)) != 0)
		goto out;
	if ((rc = scope_finish(s, ports, nports, d)) != 0)
		goto out;
	*out = s;
	s = NULL;
 out:
	scope_free(s);
	return rc;
}

/* The scope entry covering `a` when `a` may be contacted, else NULL. */
static const struct entry *
allows_entry(const struct scope *s, const struct mm_addr *a)
{
	const struct entry *e;

	if (s == NULL || a == NULL || !s->finished)
		return NULL;
	if (s->lab != is_loopback(a))
		return NULL;	/* lab: loopback only; else: never loopback */
	if ((e = lpm_lookup(s->inc, a, NULL)) == NULL)
		return NULL;
	return lpm_lookup(s->exc, a, NULL) == NULL ? e : NULL;
}

int
scope_allows(const struct scope *s, const struct mm_addr *a)
{
	return allows_entry(s, a) != NULL;
}

int
scope_allows_port(const struct scope *s, const struct mm_addr *a,
    uint16_t port)
{
	const struct entry *e;
	const uint16_t *p;
	size_t n;

	if ((e = allows_entry(s, a)) == NULL)
		return 0;
	ent_ports(s, e, &p, &n);
	return bsearch(&port, p, n, sizeof(*p), cmp_u16) != NULL;
}

uint64_t
scope_ntargets(const struct scope *s)
{
	return s != NULL && s->finished ? s->ntargets : 0;
}

size_t
scope_nranges(const struct scope *s)
{
	return s != NULL && s->finished ? s->nrng : 0;
}

const struct scope_range *
scope_range_at(const struct scope *s, size_t i)
{
	if (s == NULL || !s->finished || i >= s->nrng)
		return NULL;
	return &s->rng[i];
}

int
scope_target(const struct scope *s, uint64_t index, struct mm_addr *a,
    uint16_t *port)
{
	const struct scope_range *r;
	struct u128 v;
	size_t lo, hi, mid;
	uint64_t off;

	if (s == NULL || !s->finished || index >= s->ntargets)
		return MM_ERANGE;
	lo = 0;
	hi = s->nrng - 1;
	while (lo < hi) {	/* last range with base <= index */
		mid = lo + (hi - lo + 1) / 2;
		if (s->rng[mid].base <= index)
			lo = mid;
		else
			hi = mid - 1;
	}
	r = &s->rng[lo];
	off = index - r->base;
	v = u128_of(&r->start);
	v.lo += off / r->nports;
	u128_addr(v, a);
	*port = r->ports[off % r->nports];
	return 0;
}

size_t
scope_nentries(const struct scope *s, enum scope_kind kind)
{
	if (s == NULL || (unsigned)kind > SCOPE_OPTOUT)
		return 0;
	return s->nkind[kind];
}
