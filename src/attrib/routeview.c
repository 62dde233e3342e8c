/*
 * routeview.c - the routing view of routeview.h.
 *
 * Design. Two longest-prefix tables (src/core/lpm.h): `routes` holds one
 * struct rv_entry per prefix seen in an MRT dump or a pfx2as file; `custs`
 * holds one struct rv_cust per prefix of the customer file. MaxMind
 * databases are not copied: they are looked up at query time.
 *
 * MRT routes are kept per path: an entry lists (peer, path id, origin) for
 * every peer that announced the prefix, so a later BGP4MP update from the
 * same peer replaces that peer's path and a withdrawal removes it. After
 * each loader call the entries touched are "finalised": the origin seen
 * most often wins (ties: the lowest AS; origin 0, no usable origin, counts
 * only when nothing else is known) and MOAS is noted. An entry left with no
 * path and no pfx2as origin is dead: lpm cannot delete, so a dead entry
 * carries a pointer to its nearest live covering entry (recomputed at each
 * finalisation) that lookups follow instead.
 *
 * Lookup. One walk in each table plus one lookup per MaxMind database; the
 * most specific candidate wins, ties customer > MRT/pfx2as > mmdb. A
 * MaxMind answer is the leaf of its search tree, often narrower than the
 * announced prefix; when it names the same AS as the covering route, the
 * route's prefix and source are reported instead. The
 * customer id is taken from the longest covering customer prefix even when
 * a more specific route wins (a customer's own more-specific announcement
 * stays the customer's); when the winner has no origin AS (a customer line
 * without AS), the origin comes from the best route, then the mmdb. IPv6
 * prefixes shorter than /96 (e.g. ::/0) never answer for IPv4 addresses.
 *
 * Costs: memory O(prefixes + MRT paths) (paths capped at RV_PATHS_MAX per
 * prefix); finalisation O(p log p) per touched prefix with p paths, plus at
 * most 128 exact lookups per dead entry; a lookup is two lpm walks and one
 * MMDB_lookup_sockaddr() per database. Read-only after loading.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <maxminddb.h>

#include "attrib/mrt.h"
#include "attrib/routeview.h"
#include "core/lpm.h"

#define RV_PATHS_MAX	256	/* peer paths kept per prefix */
#define RV_LINE_MAX	1024	/* bytes per text line */
#define RV_MMDB_MAX	16	/* MaxMind databases per view */

struct rv_path {
	uint32_t	peer;	/* index into the peer table */
	uint32_t	path_id;
	uint32_t	origin;
};

struct rv_entry {
	struct mm_prefix	 pfx;
	struct rv_path		*paths;
	uint32_t		 npaths;
	uint32_t		 cap;
	uint32_t		 mrt_origin;	/* finalised winner */
	uint32_t		 pfx2as_origin;
	uint8_t			 mrt_moas;
	uint8_t			 has_pfx2as;
	uint8_t			 pfx2as_moas;
	uint8_t			 dirty;
	struct rv_entry		*cover;		/* dead entries: nearest live */
};

struct rv_cust {
	char		id[ROUTEVIEW_ID_MAX + 1];
	uint32_t	as;
	unsigned long	line;
};

struct rv_peer {
	struct mm_addr	addr;
	uint32_t	as;
};

struct routeview {
	struct lpm		*routes;
	struct lpm		*custs;
	struct rv_entry		**ents;
	size_t			 nents;
	size_t			 entcap;
	struct rv_cust		**cv;
	size_t			 ncust;
	size_t			 custcap;
	MMDB_s			*mmdb[RV_MMDB_MAX];
	size_t			 nmmdb;
	struct rv_peer		*peers;
	size_t			 npeers;
	size_t			 peercap;
	uint32_t		*phash;		/* index + 1, 0 = empty */
	size_t			 phcap;		/* power of two */
	struct routeview_stats	 st;
};

struct routeview *
routeview_new(void)
{
	struct routeview *rv;

	if ((rv = calloc(1, sizeof(*rv))) == NULL)
		return NULL;
	if ((rv->routes = lpm_new()) == NULL ||
	    (rv->custs = lpm_new()) == NULL) {
		routeview_free(rv);
		return NULL;
	}
	return rv;
}

void
routeview_free(struct routeview *rv)
{
	size_t i;

	if (rv == NULL)
		return;
	for (i = 0; i < rv->nents; i++) {
		free(rv->ents[i]->paths);
		free(rv->ents[i]);
	}
	free(rv->ents);
	for (i = 0; i < rv->ncust; i++)
		free(rv->cv[i]);
	free(rv->cv);
	for (i = 0; i < rv->nmmdb; i++) {
		MMDB_close(rv->mmdb[i]);
		free(rv->mmdb[i]);
	}
	free(rv->peers);
	free(rv->phash);
	lpm_free(rv->routes);
	lpm_free(rv->custs);
	free(rv);
}

const struct routeview_stats *
routeview_stats(const struct routeview *rv)
{
	static const struct routeview_stats zero;

	return rv == NULL ? &zero : &rv->st;
}

const char *
route_source_name(enum route_source s)
{
	switch (s) {
	case ROUTE_SRC_MRT:
		return "mrt";
	case ROUTE_SRC_PFX2AS:
		return "pfx2as";
	case ROUTE_SRC_MMDB:
		return "mmdb";
	case ROUTE_SRC_CUSTOMER:
		return "customer";
	default:
		return "none";
	}
}

/* ---- peers: (address, AS) -> small index ---- */

static uint32_t
peer_hash(const struct mm_addr *a, uint32_t as)
{
	uint32_t h = 2166136261u ^ as;
	size_t i;

	for (i = 0; i < 16; i++)
		h = (h ^ a->b[i]) * 16777619u;
	return h;
}

static int
peer_rehash(struct routeview *rv, size_t ncap)
{
	uint32_t *nh, h;
	size_t i;

	if ((nh = calloc(ncap, sizeof(*nh))) == NULL)
		return MM_ENOMEM;
	for (i = 0; i < rv->npeers; i++) {
		h = peer_hash(&rv->peers[i].addr, rv->peers[i].as) &
		    (uint32_t)(ncap - 1);
		while (nh[h] != 0)
			h = (h + 1) & (uint32_t)(ncap - 1);
		nh[h] = (uint32_t)i + 1;
	}
	free(rv->phash);
	rv->phash = nh;
	rv->phcap = ncap;
	return 0;
}

static int
peer_index(struct routeview *rv, const struct mm_addr *a, uint32_t as,
    uint32_t *idx)
{
	struct rv_peer *np;
	uint32_t h, v;
	size_t ncap;

	if (rv->phcap == 0 || (rv->npeers + 1) * 2 > rv->phcap)
		if (peer_rehash(rv, rv->phcap == 0 ? 64 : rv->phcap * 2) != 0)
			return MM_ENOMEM;
	h = peer_hash(a, as) & (uint32_t)(rv->phcap - 1);
	while ((v = rv->phash[h]) != 0) {
		if (rv->peers[v - 1].as == as &&
		    memcmp(&rv->peers[v - 1].addr, a, sizeof(*a)) == 0) {
			*idx = v - 1;
			return 0;
		}
		h = (h + 1) & (uint32_t)(rv->phcap - 1);
	}
	if (rv->npeers == rv->peercap) {
		ncap = rv->peercap == 0 ? 16 : rv->peercap * 2;
		if ((np = realloc(rv->peers, ncap * sizeof(*np))) == NULL)
			return MM_ENOMEM;
		rv->peers = np;
		rv->peercap = ncap;
	}
	rv->peers[rv->npeers].addr = *a;
	rv->peers[rv->npeers].as = as;
	rv->phash[h] = (uint32_t)rv->npeers + 1;
	*idx = (uint32_t)rv->npeers++;
	return 0;
}

/* ---- entries ---- */

static int
entry_live(const struct rv_entry *e)
{
	return e->npaths > 0 || e->has_pfx2as;
}

/* The entry for `p`, created when `create`; NULL when absent or on
 * allocation failure (*rc says which). */
static struct rv_entry *
entry_get(struct routeview *rv, const struct mm_prefix *p, int create,
    int *rc)
{
	struct rv_entry *e, **ne;
	size_t ncap;

	*rc = 0;
	if ((e = lpm_get(rv->routes, p)) != NULL || !create)
		return e;
	if (rv->nents == rv->entcap) {
		ncap = rv->entcap == 0 ? 1024 : rv->entcap * 2;
		if ((ne = realloc(rv->ents, ncap * sizeof(*ne))) == NULL)
			goto nomem;
		rv->ents = ne;
		rv->entcap = ncap;
	}
	if ((e = calloc(1, sizeof(*e))) == NULL)
		goto nomem;
	e->pfx = *p;
	if (lpm_insert(rv->routes, p, e) != 0) {
		free(e);
		goto nomem;
	}
	rv->ents[rv->nents++] = e;
	if (lpm_get(rv->custs, p) == NULL)
		rv->st.prefixes++;
	return e;
nomem:
	*rc = MM_ENOMEM;
	return NULL;
}

static int
entry_set_path(struct rv_entry *e, uint32_t peer, uint32_t path_id,
    uint32_t origin)
{
	struct rv_path *np;
	uint32_t i, ncap;

	e->dirty = 1;
	for (i = 0; i < e->npaths; i++) {
		if (e->paths[i].peer == peer && e->paths[i].path_id ==
		    path_id) {
			e->paths[i].origin = origin;
			return 0;
		}
	}
	if (e->npaths >= RV_PATHS_MAX)
		return 0;	/* cap: further peers are not tallied */
	if (e->npaths == e->cap) {
		ncap = e->cap == 0 ? 1 : e->cap * 2;
		if ((np = realloc(e->paths, ncap * sizeof(*np))) == NULL)
			return MM_ENOMEM;
		e->paths = np;
		e->cap = ncap;
	}
	e->paths[e->npaths].peer = peer;
	e->paths[e->npaths].path_id = path_id;
	e->paths[e->npaths].origin = origin;
	e->npaths++;
	return 0;
}

static void
entry_del_path(struct rv_entry *e, uint32_t peer, uint32_t path_id)
{
	uint32_t i;

	for (i = 0; i < e->npaths; i++) {
		if (e->paths[i].peer == peer && e->paths[i].path_id ==
		    path_id) {
			e->paths[i] = e->paths[--e->npaths];
			e->dirty = 1;
			return;
		}
	}
}

static int
u32_cmp(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

/* Most frequent nonzero origin (ties: lowest); MOAS if several. */
static int
entry_tally(struct rv_entry *e)
{
	uint32_t *o, best = 0, bestn = 0, run, distinct = 0, i, j;

	e->mrt_origin = 0;
	e->mrt_moas = 0;
	if (e->npaths == 0)
		return 0;
	if (e->npaths == 1) {
		e->mrt_origin = e->paths[0].origin;
		return 0;
	}
	if ((o = malloc(e->npaths * sizeof(*o))) == NULL)
		return MM_ENOMEM;
	for (i = 0; i < e->npaths; i++)
		o[i] = e->paths[i].origin;
	qsort(o, e->npaths, sizeof(*o), u32_cmp);
	for (i = 0; i < e->npaths; i = j) {
		for (j = i; j < e->npaths && o[j] == o[i]; j++)
			;
		if (o[i] == 0)
			continue;
		distinct++;
		run = j - i;
		if (run > bestn) {	/* ascending: first max is lowest AS */
			bestn = run;
			best = o[i];
		}
	}
	free(o);
	e->mrt_origin = best;
	e->mrt_moas = distinct > 1;
	return 0;
}

/* Re-tallies touched entries; re-links dead entries to live covers. */
static int
view_finalise(struct routeview *rv)
{
	struct rv_entry *e, *c;
	struct mm_prefix p;
	size_t i;
	int len;

	for (i = 0; i < rv->nents; i++) {
		e = rv->ents[i];
		if (e->dirty) {
			if (entry_tally(e) != 0)
				return MM_ENOMEM;
			e->dirty = 0;
		}
	}
	for (i = 0; i < rv->nents; i++) {
		e = rv->ents[i];
		e->cover = NULL;
		if (entry_live(e))
			continue;
		p = e->pfx;
		for (len = (int)e->pfx.len - 1; len >= 0; len--) {
			p.len = (uint8_t)len;
			addr_mask(&p.addr, p.len);
			if ((c = lpm_get(rv->routes, &p)) != NULL &&
			    entry_live(c)) {
				e->cover = c;
				break;
			}
		}
	}
	return 0;
}

/* ---- MRT ---- */

struct mrt_load {
	struct routeview	*rv;
	int			 rc;
};

static int
mrt_load_cb(const struct mrt_route *r, void *arg)
{
	struct mrt_load *ld = arg;
	struct routeview *rv = ld->rv;
	struct rv_entry *e;
	uint32_t peer, origin;
	int rc;

	if (r->ev == MRT_EV_STATE)
		return 0;
	if ((rc = peer_index(rv, &r->peer, r->peer_as, &peer)) != 0)
		goto fail;
	if (r->ev == MRT_EV_WITHDRAW) {
		if ((e = entry_get(rv, &r->prefix, 0, &rc)) != NULL)
			entry_del_path(e, peer, r->path_id);
		return 0;
	}
	origin = r->attr != NULL ? r->attr->origin_as : 0;
	if (origin == 0)
		rv->st.no_origin++;
	if ((e = entry_get(rv, &r->prefix, 1, &rc)) == NULL)
		goto fail;
	if ((rc = entry_set_path(e, peer, r->path_id, origin)) != 0)
		goto fail;
	return 0;
fail:
	ld->rc = rc;
	return 1;
}

int
routeview_add_mrt(struct routeview *rv, const char *path,
    struct mm_diag *diag)
{
	struct mrt_load ld;
	struct mrt_stats st;
	int rc, frc;

	if (rv == NULL || path == NULL)
		return mm_diag_set(diag, MM_EINVAL, "routeview: no view or "
		    "file");
	memset(&st, 0, sizeof(st));
	ld.rv = rv;
	ld.rc = 0;
	rc = mrt_read_file(path, mrt_load_cb, &ld, &st, diag);
	rv->st.records += st.records;
	rv->st.bad += st.bad;
	if (rc == 1)
		rc = mm_diag_set(diag, ld.rc, "%s: out of memory", path);
	frc = view_finalise(rv);
	if (rc == 0 && frc != 0)
		rc = mm_diag_set(diag, frc, "%s: out of memory", path);
	return rc;
}

/* ---- text files ---- */

typedef int (*line_fn)(struct routeview *rv, char *line, const char *path,
    unsigned long lineno, struct mm_diag *d);

/* Splits `s` on blanks into at most `max` fields; a field starting with '#'
 * ends the line. Returns the number of fields, or max + 1 if more. */
static int
split_fields(char *s, char **f, int max)
{
	int n = 0;

	for (;;) {
		while (*s == ' ' || *s == '\t' || *s == '\r' || *s == '\n')
			*s++ = '\0';
		if (*s == '\0' || *s == '#')
			return n;
		if (n == max)
			return max + 1;
		f[n++] = s;
		while (*s != '\0' && *s != ' ' && *s != '\t' && *s != '\r' &&
		    *s != '\n')
			s++;
	}
}

static int
read_lines(struct routeview *rv, const char *path, line_fn fn,
    const char *what, struct mm_diag *diag)
{
	struct mm_diag ld;
	char buf[RV_LINE_MAX + 2];
	unsigned long lineno = 0, good = 0, bad = 0;
	size_t n;
	FILE *fp;
	int rc = 0, skipping = 0, first = 1, lrc;

	mm_diag_clear(diag);
	if (rv == NULL || path == NULL)
		return mm_diag_set(diag, MM_EINVAL, "routeview: no view or "
		    "file");
	if ((fp = fopen(path, "r")) == NULL)
		return mm_diag_set(diag, MM_EIO, "%s: %s", path,
		    strerror(errno));
	while (fgets(buf, sizeof(buf), fp) != NULL) {
		n = strlen(buf);
		if (skipping) {		/* rest of an overlong line */
			if (n > 0 && buf[n - 1] == '\n')
				skipping = 0;
			continue;
		}
		lineno++;
		rv->st.records++;
		if (n > RV_LINE_MAX && buf[n - 1] != '\n') {
			skipping = 1;
			mm_diag_clear(&ld);
			mm_diag_set(&ld, MM_ELIMIT, "%s:%lu: line longer than "
			    "%d bytes", path, lineno, RV_LINE_MAX);
			lrc = MM_ELIMIT;
		} else {
			mm_diag_clear(&ld);
			lrc = fn(rv, buf, path, lineno, &ld);
		}
		if (lrc == MM_ENOMEM) {
			rc = mm_diag_set(diag, MM_ENOMEM, "%s:%lu: out of "
			    "memory", path, lineno);
			goto out;
		}
		if (lrc > 0)
			good++;
		else if (lrc < 0) {
			bad++;
			rv->st.bad++;
			if (first && diag != NULL) {
				*diag = ld;
				diag->pos = (long)lineno;
			}
			first = 0;
		}
	}
	if (ferror(fp)) {
		rc = mm_diag_set(diag, MM_EIO, "%s: read: %s", path,
		    strerror(errno));
		goto out;
	}
	if (good == 0 && bad > 0) {
		if (diag != NULL && diag->msg[0] != '\0') {
			char first_msg[MM_DIAG_LEN];

			snprintf(first_msg, sizeof(first_msg), "%s", diag->msg);
			mm_diag_set(diag, MM_EFORMAT, "not a %s file: %s", what,
			    first_msg);
		}
		rc = MM_EFORMAT;
	}
out:
	fclose(fp);
	return rc;
}

/* Parses a decimal AS number (optionally "AS"-prefixed when as_ok) ending
 * at one of `ends` or NUL. Returns the end pointer or NULL. */
static const char *
parse_asn(const char *s, int as_ok, const char *ends, uint32_t *as)
{
	unsigned long long v = 0;
	const char *p = s;

	if (as_ok && (p[0] == 'A' || p[0] == 'a') && (p[1] == 'S' ||
	    p[1] == 's'))
		p += 2;
	if (!isdigit((unsigned char)*p))
		return NULL;
	while (isdigit((unsigned char)*p)) {
		v = v * 10 + (unsigned)(*p - '0');
		if (v > 0xffffffffull)
			return NULL;
		p++;
	}
	if (*p != '\0' && strchr(ends, *p) == NULL)
		return NULL;
	*as = (uint32_t)v;
	return p;
}

static int
pfx2as_line(struct routeview *rv, char *line, const char *path,
    unsigned long lineno, struct mm_diag *d)
{
	struct mm_prefix p;
	struct rv_entry *e;
	char *f[4];
	const char *q;
	uint32_t as, first;
	unsigned long len;
	char *end;
	int nf, rc, v4, moas = 0;

	nf = split_fields(line, f, 3);
	if (nf == 0)
		return 0;
	if (nf != 3)
		return mm_diag_set(d, MM_ESYNTAX, "%s:%lu: want "
		    "ADDR<TAB>LEN<TAB>ASN, got %d fields", path, lineno, nf);
	memset(&p, 0, sizeof(p));
	if (addr_parse(f[0], &p.addr) != 0)
		return mm_diag_set(d, MM_ESYNTAX, "%s:%lu: field 1: bad "
		    "address '%.60s'", path, lineno, f[0]);
	v4 = addr_is_v4(&p.addr);
	errno = 0;
	len = strtoul(f[1], &end, 10);
	if (!isdigit((unsigned char)f[1][0]) || *end != '\0' ||
	    len > (v4 ? 32ul : 128ul))
		return mm_diag_set(d, MM_ESYNTAX, "%s:%lu: field 2: bad prefix "
		    "length '%.20s'", path, lineno, f[1]);
	p.len = (uint8_t)(v4 ? len + 96 : len);
	addr_mask(&p.addr, p.len);
	/* ASN field: "a", MOAS "a_b", AS set "a,b", combinations */
	q = f[2];
	if ((q = parse_asn(q, 0, "_,", &first)) == NULL)
		goto badas;
	while (*q != '\0') {
		if (*q == '_')
			moas = 1;
		if ((q = parse_asn(q + 1, 0, "_,", &as)) == NULL)
			goto badas;
	}
	if ((e = entry_get(rv, &p, 1, &rc)) == NULL)
		return MM_ENOMEM;
	if (e->has_pfx2as && e->pfx2as_origin != first)
		moas = 1;
	e->has_pfx2as = 1;
	e->pfx2as_origin = first;
	e->pfx2as_moas = (uint8_t)(e->pfx2as_moas | moas);
	if (first == 0)
		rv->st.no_origin++;
	return 1;
badas:
	return mm_diag_set(d, MM_ESYNTAX, "%s:%lu: field 3: bad AS '%.40s' "
	    "(want N, N_N or N,N)", path, lineno, f[2]);
}

int
routeview_add_pfx2as(struct routeview *rv, const char *path,
    struct mm_diag *diag)
{
	int rc, frc;

	rc = read_lines(rv, path, pfx2as_line, "prefix-to-AS", diag);
	if (rv == NULL)
		return rc;
	frc = view_finalise(rv);
	if (rc == 0 && frc != 0)
		rc = mm_diag_set(diag, frc, "%s: out of memory", path);
	return rc;
}

static int
cust_line(struct routeview *rv, char *line, const char *path,
    unsigned long lineno, struct mm_diag *d)
{
	struct mm_prefix p;
	struct rv_cust *c, *old, **nv;
	char *f[4];
	const char *s;
	uint32_t as = 0;
	size_t n, ncap;
	int nf;

	nf = split_fields(line, f, 3);
	if (nf == 0)
		return 0;
	if (nf < 2 || nf > 3)
		return mm_diag_set(d, MM_ESYNTAX, "%s:%lu: want PREFIX "
		    "CUSTOMER-ID [AS], got %d fields", path, lineno, nf);
	if (prefix_parse(f[0], &p) != 0)
		return mm_diag_set(d, MM_ESYNTAX, "%s:%lu: field 1: bad prefix "
		    "'%.60s'", path, lineno, f[0]);
	n = strlen(f[1]);
	if (n > ROUTEVIEW_ID_MAX)
		return mm_diag_set(d, MM_ESYNTAX, "%s:%lu: field 2: customer "
		    "id longer than %d bytes", path, lineno, ROUTEVIEW_ID_MAX);
	for (s = f[1]; *s != '\0'; s++)
		if ((unsigned char)*s < 0x21 || *s == 0x7f)
			return mm_diag_set(d, MM_ESYNTAX, "%s:%lu: field 2: "
			    "control character in customer id", path, lineno);
	if (nf == 3 && parse_asn(f[2], 1, "", &as) == NULL)
		return mm_diag_set(d, MM_ESYNTAX, "%s:%lu: field 3: bad AS "
		    "'%.40s' (want AS64500 or 64500)", path, lineno, f[2]);
	if ((old = lpm_get(rv->custs, &p)) != NULL)
		return mm_diag_set(d, MM_ESYNTAX, "%s:%lu: prefix %s repeats "
		    "line %lu", path, lineno, f[0], old->line);
	if (rv->ncust == rv->custcap) {
		ncap = rv->custcap == 0 ? 64 : rv->custcap * 2;
		if ((nv = realloc(rv->cv, ncap * sizeof(*nv))) == NULL)
			return MM_ENOMEM;
		rv->cv = nv;
		rv->custcap = ncap;
	}
	if ((c = calloc(1, sizeof(*c))) == NULL)
		return MM_ENOMEM;
	memcpy(c->id, f[1], n + 1);
	c->as = as;
	c->line = lineno;
	if (lpm_insert(rv->custs, &p, c) != 0) {
		free(c);
		return MM_ENOMEM;
	}
	rv->cv[rv->ncust++] = c;
	if (lpm_get(rv->routes, &p) == NULL)
		rv->st.prefixes++;
	return 1;
}

int
routeview_add_customers(struct routeview *rv, const char *path,
    struct mm_diag *diag)
{
	return read_lines(rv, path, cust_line, "customer-prefix", diag);
}

/* ---- MaxMind DB ---- */

int
routeview_add_mmdb(struct routeview *rv, const char *path,
    struct mm_diag *diag)
{
	MMDB_s *db;
	int st;

	mm_diag_clear(diag);
	if (rv == NULL || path == NULL)
		return mm_diag_set(diag, MM_EINVAL, "routeview: no view or "
		    "file");
	if (rv->nmmdb >= RV_MMDB_MAX)
		return mm_diag_set(diag, MM_ELIMIT, "%s: more than %d MaxMind "
		    "databases", path, RV_MMDB_MAX);
	if ((db = calloc(1, sizeof(*db))) == NULL)
		return MM_ENOMEM;
	st = MMDB_open(path, MMDB_MODE_MMAP, db);
	if (st != MMDB_SUCCESS) {
		free(db);
		if (st == MMDB_FILE_OPEN_ERROR || st == MMDB_IO_ERROR)
			return mm_diag_set(diag, MM_EIO, "%s: %s", path,
			    MMDB_strerror(st));
		if (st == MMDB_OUT_OF_MEMORY_ERROR)
			return mm_diag_set(diag, MM_ENOMEM, "%s: %s", path,
			    MMDB_strerror(st));
		return mm_diag_set(diag, MM_EFORMAT, "%s: not a MaxMind DB "
		    "(MaxMind DB format spec: %s)", path, MMDB_strerror(st));
	}
	rv->mmdb[rv->nmmdb++] = db;
	return 0;
}

/* Copies an untrusted UTF-8 name, control bytes replaced by '?'. */
static void
name_copy(char *dst, size_t cap, const char *src, size_t n)
{
	size_t i;

	if (n > cap - 1)
		n = cap - 1;
	for (i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)src[i];

		dst[i] = (ch < 0x20 || ch == 0x7f) ? '?' : (char)ch;
	}
	dst[n] = '\0';
}

/* One database: 1 with prefix, AS (nonzero) and name, else 0. */
static int
mmdb_lookup_one(const MMDB_s *db, const struct mm_addr *a,
    struct mm_prefix *p, uint32_t *as, char *name, size_t namecap)
{
	struct sockaddr_in s4;
	struct sockaddr_in6 s6;
	const struct sockaddr *sa;
	MMDB_lookup_result_s res;
	MMDB_entry_data_s ed;
	MMDB_entry_s ent;
	unsigned len;
	int err = 0, v4 = addr_is_v4(a);

	if (v4) {
		memset(&s4, 0, sizeof(s4));
		s4.sin_family = AF_INET;
		memcpy(&s4.sin_addr, a->b + 12, 4);
		sa = (const struct sockaddr *)&s4;
	} else {
		memset(&s6, 0, sizeof(s6));
		s6.sin6_family = AF_INET6;
		memcpy(&s6.sin6_addr, a->b, 16);
		sa = (const struct sockaddr *)&s6;
	}
	res = MMDB_lookup_sockaddr(db, sa, &err);
	if (err != MMDB_SUCCESS || !res.found_entry)
		return 0;
	ent = res.entry;
	if (MMDB_get_value(&ent, &ed, "autonomous_system_number", NULL) !=
	    MMDB_SUCCESS || !ed.has_data)
		return 0;
	switch (ed.type) {
	case MMDB_DATA_TYPE_UINT16:
		*as = ed.uint16;
		break;
	case MMDB_DATA_TYPE_UINT32:
		*as = ed.uint32;
		break;
	case MMDB_DATA_TYPE_INT32:
		if (ed.int32 < 0)
			return 0;
		*as = (uint32_t)ed.int32;
		break;
	case MMDB_DATA_TYPE_UINT64:
		if (ed.uint64 > 0xffffffffull)
			return 0;
		*as = (uint32_t)ed.uint64;
		break;
	default:
		return 0;
	}
	if (*as == 0)
		return 0;
	name[0] = '\0';
	ent = res.entry;
	if (MMDB_get_value(&ent, &ed, "autonomous_system_organization",
	    NULL) == MMDB_SUCCESS && ed.has_data &&
	    ed.type == MMDB_DATA_TYPE_UTF8_STRING)
		name_copy(name, namecap, ed.utf8_string, ed.data_size);
	/* netmask: IPv6-space bits in an IPv6 database (also for IPv4
	 * lookups, which start at the ::/96 subtree), IPv4 bits otherwise */
	len = res.netmask;
	if (db->metadata.ip_version == 4)
		len += 96;
	if (len > 128)
		len = 128;
	if (v4 && len < 96)
		len = 96;
	p->addr = *a;
	p->len = (uint8_t)len;
	addr_mask(&p->addr, p->len);
	return 1;
}

/* ---- lookup ---- */

int
routeview_lookup(const struct routeview *rv, const struct mm_addr *a,
    struct route_match *m)
{
	const struct rv_entry *e = NULL;
	const struct rv_cust *c = NULL;
	struct mm_prefix rp, cp, mp, tp;
	char name[ROUTEVIEW_NAME_MAX + 1], tname[ROUTEVIEW_NAME_MAX + 1];
	uint32_t mas = 0, tas, ras = 0;
	size_t i;
	int v4, have_m = 0, rlen = -1, clen = -1, mlen = -1;

	if (m == NULL)
		return 0;
	memset(m, 0, sizeof(*m));
	if (rv == NULL || a == NULL)
		return 0;
	v4 = addr_is_v4(a);
	if ((e = lpm_lookup(rv->routes, a, &rp)) != NULL && !entry_live(e)) {
		e = e->cover;
		if (e != NULL)
			rp = e->pfx;
	}
	if (e != NULL && v4 && rp.len < 96)
		e = NULL;
	if (e != NULL) {
		rlen = rp.len;
		ras = e->npaths > 0 ? e->mrt_origin : e->pfx2as_origin;
		if (ras == 0 && e->has_pfx2as)
			ras = e->pfx2as_origin;
	}
	if ((c = lpm_lookup(rv->custs, a, &cp)) != NULL && v4 && cp.len < 96)
		c = NULL;
	if (c != NULL)
		clen = cp.len;
	name[0] = '\0';
	for (i = 0; i < rv->nmmdb; i++) {
		if (!mmdb_lookup_one(rv->mmdb[i], a, &tp, &tas, tname,
		    sizeof(tname)))
			continue;
		if (!have_m || tp.len > mp.len) {
			mp = tp;
			mas = tas;
			memcpy(name, tname, sizeof(name));
			have_m = 1;
		}
	}
	if (have_m)
		mlen = mp.len;
	if (clen < 0 && rlen < 0 && mlen < 0)
		return 0;
	/* a MaxMind tree leaf is often narrower than the announced prefix
	 * it belongs to; when it names the route's own origin AS, the
	 * route's prefix and source are the better answer */
	if (have_m && e != NULL && mlen > rlen && ras != 0 && mas == ras)
		mlen = rlen - 1;
	if (clen >= rlen && clen >= mlen) {
		m->prefix = cp;
		m->source = ROUTE_SRC_CUSTOMER;
		m->origin_as = c->as;
		if (m->origin_as == 0 && e != NULL) {
			m->origin_as = ras;
			m->moas = e->npaths > 0 ? e->mrt_moas : e->pfx2as_moas;
		}
		if (m->origin_as == 0 && have_m)
			m->origin_as = mas;
	} else if (rlen >= mlen) {
		m->prefix = rp;
		m->source = e->npaths > 0 ? ROUTE_SRC_MRT : ROUTE_SRC_PFX2AS;
		m->origin_as = ras;
		m->moas = e->npaths > 0 ? e->mrt_moas : e->pfx2as_moas;
		if (m->origin_as == 0 && have_m)
			m->origin_as = mas;
	} else {
		m->prefix = mp;
		m->source = ROUTE_SRC_MMDB;
		m->origin_as = mas;
	}
	if (c != NULL)
		memcpy(m->customer, c->id, sizeof(m->customer));
	if (have_m && mas == m->origin_as)
		memcpy(m->as_name, name, sizeof(m->as_name));
	return 1;
}
