/*
 * rdap.c - the offline RDAP reader and its indexes (see rdap.h).
 *
 * Reading. A response file is read whole (RDAP_MAX_FILE bytes); a first
 * pass through a core/cursor.h cursor checks that arrays and objects nest at
 * most RDAP_MAX_NESTING deep (strings and escapes honoured), so jansson's
 * recursive parser is never handed a hostile depth; jansson then parses the
 * document (UTF-8 checked, \u0000 refused) and it is walked once. Problems
 * are of three weights: a file that is not a JSON object, or an object that
 * lacks a required member (startAutnum, startAddress, ...), is skipped and
 * counted as malformed; an entity or jCard property of the wrong shape is
 * skipped with a message while the object is still used; an unknown object
 * class or an RDAP error response is counted as unsupported. Every message
 * names the file and the JSON path ("$.entities[1].vcardArray[1][3]").
 *
 * Entities are searched depth-first with their depth recorded, so that the
 * shallowest abuse entity wins however the nesting is ordered (ARIN-style
 * responses put the abuse entity inside the registrant's); at most
 * RDAP_MAX_DEPTH levels and RDAP_MAX_ENTITIES entities per object, at most
 * RDAP_MAX_VCARD properties per jCard.
 *
 * Ranges. startAddress..endAddress is split into CIDR prefixes with 128-bit
 * arithmetic over the IPv4-mapped space (so an IPv4 range gives prefixes of
 * length >= 96 there): each step takes the largest aligned block that fits,
 * at most 2 * 128 steps for any range, capped at RDAP_MAX_CIDRS.
 *
 * Indexes. Single-AS records in an open-addressing hash of 64-bit slots
 * (record index + 1 high, ASN low; load factor <= 1/2); AS ranges in an
 * array scanned linearly (at most RDAP_MAX_AS_RANGES; the narrowest range
 * wins); prefixes in a core/lpm.h trie with record index + 1 as value.
 * Memory: about 1.6 KiB per record (fixed-size strings) plus the trie.
 */
#include <sys/stat.h>

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "attrib/attrib_int.h"
#include "attrib/contacts.h"
#include "attrib/rdap.h"
#include "core/addr.h"
#include "core/cursor.h"
#include "core/err.h"
#include "core/lpm.h"

#define PATH_TEXT	160	/* bytes of a JSON path in messages */
#define SEEN_EMAILS	16	/* e-mail properties examined per entity */

struct rdap_set {
	struct rdap_record *recs;
	size_t		 nrecs, caprecs;
	struct attrib_ashash as;	/* single-AS hash */
	size_t		*ranges;	/* record indexes of AS ranges */
	size_t		 nranges, capranges;
	struct lpm	*nets;
	struct rdap_stats st;
	struct attrib_errs errs;
};

/* one load call */
struct rctx {
	struct rdap_set	*rd;
	const char	*file;		/* base name */
	struct mm_diag	*diag;
	int		 noted;
	size_t		 nent;		/* entities visited in this object */
	int		 entcap;	/* entity cap reported */
};

/* the addresses one role gave */
struct found {
	int		 depth;		/* INT_MAX = none */
	char		 email[RDAP_MAX_EMAILS][ATTRIB_EMAIL_MAX + 1];
	size_t		 nemail;	/* valid ones */
	size_t		 given;		/* all email properties */
};

struct search {
	const char	*lang;		/* record language, for fn choice */
	struct found	 abuse, registrant, technical;
	char		 org[ATTRIB_ORG_MAX + 1];
	int		 org_depth;
};

/* one entity's jCard */
struct vcard {
	char		 email[SEEN_EMAILS][ATTRIB_EMAIL_MAX + 1];
	int		 valid[SEEN_EMAILS];
	size_t		 nemail;
	char		 fn[ATTRIB_ORG_MAX + 1];	/* chosen fn */
	int		 fn_lang;	/* fn matched the language */
};

struct u128 {
	uint64_t	hi, lo;
};

static const struct rdap_stats zero_stats;

/* ------------------------------------------------------------------ */
/* small helpers */

static int
ascii_caseeq(const char *a, const char *b)
{
	for (; *a != '\0' && *b != '\0'; a++, b++)
		if (tolower((unsigned char)*a) != tolower((unsigned char)*b))
			return 0;
	return *a == *b;
}

/* Copies UTF-8 `src` into dst[cap], controls (C0, DEL, C1) as blanks, cut
 * at a character boundary, without leading or trailing blanks. */
static void
copy_text(char *dst, size_t cap, const char *src)
{
	const unsigned char *s;
	size_t n, k, i;

	while (*src != '\0' && ((unsigned char)*src <= 0x20 || *src == 0x7f))
		src++;
	s = (const unsigned char *)src;
	n = strlen(src);
	while (n > 0 && (s[n - 1] <= 0x20 || s[n - 1] == 0x7f))
		n--;

	k = n < cap - 1 ? n : cap - 1;
	while (k > 0 && k < n && (s[k] & 0xc0) == 0x80)
		k--;
	for (i = 0; i < k; i++) {
		if (s[i] < 0x20 || s[i] == 0x7f)
			dst[i] = ' ';
		else if (s[i] == 0xc2 && i + 1 < k && s[i + 1] >= 0x80 &&
		    s[i + 1] <= 0x9f) {
			dst[i] = ' ';
			dst[++i] = ' ';
		} else
			dst[i] = (char)s[i];
	}
	dst[k] = '\0';
}

#if defined(__GNUC__)
__attribute__((format(printf, 2, 3)))
#endif
static void
rerr(struct rctx *c, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	attrib_errs_vadd(&c->rd->errs, RDAP_MAX_ERRORS, c->diag, &c->noted,
	    c->file, NULL, fmt, ap);
	va_end(ap);
}

/* ------------------------------------------------------------------ */
/* lifetime, lookups */

struct rdap_set *
rdap_new(void)
{
	struct rdap_set *rd;

	if ((rd = calloc(1, sizeof(*rd))) == NULL)
		return NULL;
	if ((rd->nets = lpm_new()) == NULL) {
		free(rd);
		return NULL;
	}
	return rd;
}

void
rdap_free(struct rdap_set *rd)
{
	if (rd == NULL)
		return;
	free(rd->recs);
	attrib_ashash_free(&rd->as);
	free(rd->ranges);
	lpm_free(rd->nets);
	attrib_errs_free(&rd->errs);
	free(rd);
}

const struct rdap_record *
rdap_by_as(const struct rdap_set *rd, uint32_t asn)
{
	const struct rdap_record *r, *best = NULL;
	size_t e, i;

	if (rd == NULL)
		return NULL;
	if ((e = attrib_ashash_get(&rd->as, asn)) != 0)
		return &rd->recs[e - 1];
	for (i = 0; i < rd->nranges; i++) {
		r = &rd->recs[rd->ranges[i]];
		if (asn < r->as_lo || asn > r->as_hi)
			continue;
		if (best == NULL || r->as_hi - r->as_lo <
		    best->as_hi - best->as_lo)
			best = r;
	}
	return best;
}

const struct rdap_record *
rdap_by_addr(const struct rdap_set *rd, const struct mm_addr *a,
    struct mm_prefix *matched)
{
	size_t e;

	if (rd == NULL || a == NULL ||
	    (e = attrib_lpm_find(rd->nets, a, matched)) == 0)
		return NULL;
	return &rd->recs[e - 1];
}

size_t
rdap_count(const struct rdap_set *rd)
{
	return rd == NULL ? 0 : rd->nrecs;
}

const struct rdap_record *
rdap_get(const struct rdap_set *rd, size_t i)
{
	if (rd == NULL || i >= rd->nrecs)
		return NULL;
	return &rd->recs[i];
}

const struct rdap_stats *
rdap_stats(const struct rdap_set *rd)
{
	return rd == NULL ? &zero_stats : &rd->st;
}

size_t
rdap_nerrors(const struct rdap_set *rd)
{
	return rd == NULL ? 0 : rd->errs.n;
}

const char *
rdap_error(const struct rdap_set *rd, size_t i)
{
	if (rd == NULL || i >= rd->errs.n)
		return NULL;
	return rd->errs.v[i];
}

const char *
rdap_role_name(enum rdap_role r)
{
	switch (r) {
	case RDAP_ROLE_NONE:
		return "none";
	case RDAP_ROLE_ABUSE:
		return "abuse";
	case RDAP_ROLE_REGISTRANT:
		return "registrant";
	case RDAP_ROLE_TECHNICAL:
		return "technical";
	}
	return "?";
}

/* ------------------------------------------------------------------ */
/* jCard and entities */

/* Reads one entity's jCard (RFC 7095): e-mail values and the fn. */
static void
vcard_read(struct rctx *c, json_t *ent, const char *path, const char *lang,
    struct vcard *vc)
{
	json_t *arr, *props, *p, *name, *params, *val, *l;
	const char *s, *why;
	char buf[ATTRIB_EMAIL_MAX + 16];
	size_t i, n, k, lead;
	int have_fn = 0;

	memset(vc, 0, sizeof(*vc));
	if ((arr = json_object_get(ent, "vcardArray")) == NULL)
		return;
	if (!json_is_array(arr) || json_array_size(arr) != 2 ||
	    !json_is_string(json_array_get(arr, 0)) ||
	    strcmp(json_string_value(json_array_get(arr, 0)), "vcard") != 0 ||
	    !json_is_array(json_array_get(arr, 1))) {
		rerr(c, "%s.vcardArray: not [\"vcard\", [properties]] "
		    "(RFC 7095 section 3.2; entity used without it)", path);
		return;
	}
	props = json_array_get(arr, 1);
	n = json_array_size(props);
	if (n > RDAP_MAX_VCARD) {
		rerr(c, "%s.vcardArray[1]: more than %d properties (rest "
		    "ignored)", path, RDAP_MAX_VCARD);
		n = RDAP_MAX_VCARD;
	}
	for (i = 0; i < n; i++) {
		p = json_array_get(props, i);
		if (!json_is_array(p) || json_array_size(p) < 4 ||
		    !json_is_string(name = json_array_get(p, 0)) ||
		    !json_is_object(params = json_array_get(p, 1)) ||
		    !json_is_string(json_array_get(p, 2))) {
			rerr(c, "%s.vcardArray[1][%zu]: not [name, {params}, "
			    "type, value] (RFC 7095 section 3.3; skipped)",
			    path, i);
			continue;
		}
		val = json_array_get(p, 3);
		s = json_string_value(name);
		if (ascii_caseeq(s, "email")) {
			if (!json_is_string(val)) {
				rerr(c, "%s.vcardArray[1][%zu][3]: field email: "
				    "value is not a string (skipped)", path, i);
				continue;
			}
			if (vc->nemail == SEEN_EMAILS)
				continue;
			s = json_string_value(val);
			lead = 0;
			if (strncmp(s, "mailto:", 7) == 0 ||
			    strncmp(s, "MAILTO:", 7) == 0)
				lead = 7;
			k = strlen(s + lead);
			while (k > 0 && s[lead + k - 1] == ' ')
				k--;
			while (k > 0 && s[lead] == ' ') {
				lead++;
				k--;
			}
			why = k >= sizeof(buf) ? "longer than 254 bytes" :
			    contacts_email_check(s + lead, k);
			if (why != NULL) {
				copy_text(buf, 64, s + lead);
				rerr(c, "%s.vcardArray[1][%zu][3]: field email: "
				    "\"%s\": %s", path, i, buf, why);
				vc->valid[vc->nemail] = 0;
				vc->email[vc->nemail][0] = '\0';
			} else {
				memcpy(vc->email[vc->nemail], s + lead, k);
				vc->email[vc->nemail][k] = '\0';
				vc->valid[vc->nemail] = 1;
			}
			vc->nemail++;
		} else if (ascii_caseeq(s, "fn")) {
			if (!json_is_string(val) ||
			    json_string_value(val)[0] == '\0')
				continue;
			l = json_object_get(params, "language");
			if (vc->fn_lang)
				continue;
			if (json_is_string(l) && lang != NULL &&
			    strncmp(json_string_value(l), lang, 2) == 0) {
				copy_text(vc->fn, sizeof(vc->fn),
				    json_string_value(val));
				vc->fn_lang = 1;
			} else if (!have_fn) {
				copy_text(vc->fn, sizeof(vc->fn),
				    json_string_value(val));
				have_fn = 1;
			}
		}
	}
}

static void
found_take(struct found *f, const struct vcard *vc, int depth)
{
	size_t i, j;

	if (vc->nemail == 0 || f->depth <= depth)
		return;
	memset(f, 0, sizeof(*f));
	f->depth = depth;
	f->given = vc->nemail;
	for (i = 0; i < vc->nemail; i++) {
		if (!vc->valid[i] || f->nemail == RDAP_MAX_EMAILS)
			continue;
		for (j = 0; j < f->nemail; j++)
			if (ascii_caseeq(f->email[j], vc->email[i]))
				break;
		if (j < f->nemail)
			continue;	/* the same address twice */
		memcpy(f->email[f->nemail++], vc->email[i],
		    strlen(vc->email[i]) + 1);
	}
}

/* Walks the "entities" array of `obj` at nesting level `depth` (1 for the
 * object's own entities). */
static void
entities_walk(struct rctx *c, json_t *obj, const char *path, int depth,
    struct search *s)
{
	json_t *ents, *ent, *roles, *r;
	struct vcard *vc;
	char sub[PATH_TEXT];
	size_t i, j, n;
	int abuse, registrant, technical;

	if (depth > RDAP_MAX_DEPTH ||
	    (ents = json_object_get(obj, "entities")) == NULL)
		return;
	if (!json_is_array(ents)) {
		rerr(c, "%s.entities: not an array (ignored)", path);
		return;
	}
	if ((vc = malloc(sizeof(*vc))) == NULL)
		return;
	n = json_array_size(ents);
	for (i = 0; i < n; i++) {
		if (c->nent >= RDAP_MAX_ENTITIES) {
			if (!c->entcap)
				rerr(c, "%s.entities: more than %d entities in "
				    "one object (rest ignored)", path,
				    RDAP_MAX_ENTITIES);
			c->entcap = 1;
			break;
		}
		c->nent++;
		snprintf(sub, sizeof(sub), "%s.entities[%zu]", path, i);
		ent = json_array_get(ents, i);
		if (!json_is_object(ent)) {
			rerr(c, "%s: not an object (ignored)", sub);
			continue;
		}
		abuse = registrant = technical = 0;
		roles = json_object_get(ent, "roles");
		if (roles != NULL && !json_is_array(roles))
			rerr(c, "%s.roles: not an array (ignored)", sub);
		for (j = 0; json_is_array(roles) &&
		    j < json_array_size(roles); j++) {
			r = json_array_get(roles, j);
			if (!json_is_string(r))
				continue;
			if (strcmp(json_string_value(r), "abuse") == 0)
				abuse = 1;
			else if (strcmp(json_string_value(r),
			    "registrant") == 0)
				registrant = 1;
			else if (strcmp(json_string_value(r),
			    "technical") == 0)
				technical = 1;
		}
		if (abuse || registrant || technical) {
			vcard_read(c, ent, sub, s->lang, vc);
			if (abuse)
				found_take(&s->abuse, vc, depth);
			if (registrant)
				found_take(&s->registrant, vc, depth);
			if (technical)
				found_take(&s->technical, vc, depth);
			if (registrant && vc->fn[0] != '\0' &&
			    depth < s->org_depth) {
				memcpy(s->org, vc->fn, sizeof(s->org));
				s->org_depth = depth;
			}
		}
		entities_walk(c, ent, sub, depth + 1, s);
	}
	free(vc);
}

/* ------------------------------------------------------------------ */
/* ranges */

static struct u128
u128_of(const struct mm_addr *a)
{
	struct u128 v = { 0, 0 };
	int i;

	for (i = 0; i < 8; i++) {
		v.hi = (v.hi << 8) | a->b[i];
		v.lo = (v.lo << 8) | a->b[8 + i];
	}
	return v;
}

static void
u128_to(struct u128 v, struct mm_addr *a)
{
	int i;

	for (i = 7; i >= 0; i--) {
		a->b[i] = (uint8_t)v.hi;
		a->b[8 + i] = (uint8_t)v.lo;
		v.hi >>= 8;
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
u128_sub(struct u128 a, struct u128 b)
{
	struct u128 r;

	r.lo = a.lo - b.lo;
	r.hi = a.hi - b.hi - (a.lo < b.lo);
	return r;
}

/* Trailing zero bits (128 for zero). */
static unsigned
u128_tz(struct u128 v)
{
	unsigned n = 0;

	if (v.lo == 0 && v.hi == 0)
		return 128;
	if (v.lo == 0) {
		n = 64;
		v.lo = v.hi;
	}
	while ((v.lo & 1) == 0) {
		v.lo >>= 1;
		n++;
	}
	return n;
}

/* floor(log2(v + 1)) for v < 2^128 - 1: the largest k with 2^k - 1 <= v. */
static unsigned
u128_fit(struct u128 v)
{
	unsigned k;

	/* v + 1 cannot wrap: v is not all ones */
	v.lo++;
	if (v.lo == 0)
		v.hi++;
	if (v.hi != 0) {
		for (k = 64; v.hi > 1; v.hi >>= 1)
			k++;
		return k;
	}
	for (k = 0; v.lo > 1; v.lo >>= 1)
		k++;
	return k;
}

static struct u128
u128_addpow(struct u128 v, unsigned k, int *wrap)
{
	struct u128 r = v;

	*wrap = 0;
	if (k >= 128) {
		*wrap = 1;
		return r;
	}
	if (k >= 64) {
		r.hi = v.hi + (UINT64_C(1) << (k - 64));
		*wrap = r.hi < v.hi;
	} else {
		r.lo = v.lo + (UINT64_C(1) << k);
		r.hi = v.hi + (r.lo < v.lo);
		*wrap = r.lo < v.lo && r.hi == 0;
	}
	return r;
}

/* Splits [start, end] into prefixes; returns the count, or -1 when more
 * than `max` would be needed. */
static int
range_split(const struct mm_addr *start, const struct mm_addr *end,
    struct mm_prefix *out, size_t max)
{
	struct u128 s = u128_of(start), e = u128_of(end), d;
	unsigned k, tz, fit;
	size_t n = 0;
	int wrap;

	while (u128_cmp(s, e) <= 0) {
		if (n == max)
			return -1;
		d = u128_sub(e, s);
		tz = u128_tz(s);
		fit = (d.hi == UINT64_MAX && d.lo == UINT64_MAX) ? 128 :
		    u128_fit(d);
		k = tz < fit ? tz : fit;
		u128_to(s, &out[n].addr);
		out[n].len = (uint8_t)(128 - k);
		n++;
		s = u128_addpow(s, k, &wrap);
		if (wrap)
			break;
	}
	return (int)n;
}

/* ------------------------------------------------------------------ */
/* objects */

static int
get_str(json_t *o, const char *k, const char **v)
{
	json_t *x = json_object_get(o, k);

	*v = NULL;
	if (x == NULL)
		return 0;
	if (!json_is_string(x))
		return -1;
	*v = json_string_value(x);
	return 0;
}

static int
get_asn(json_t *o, const char *k, uint32_t *v, int *present)
{
	json_t *x = json_object_get(o, k);
	json_int_t i;

	*present = x != NULL;
	if (x == NULL)
		return 0;
	if (!json_is_integer(x))
		return -1;
	i = json_integer_value(x);
	if (i < 0 || i > (json_int_t)UINT32_MAX)
		return -1;
	*v = (uint32_t)i;
	return 0;
}

static int
rec_add(struct rdap_set *rd, size_t *idx)
{
	struct rdap_record *nr;
	size_t ncap;

	if (rd->nrecs >= RDAP_MAX_RECORDS)
		return MM_ELIMIT;
	if (rd->nrecs == rd->caprecs) {
		ncap = rd->caprecs == 0 ? 64 : rd->caprecs * 2;
		if ((nr = realloc(rd->recs, ncap * sizeof(*nr))) == NULL)
			return MM_ENOMEM;
		rd->recs = nr;
		rd->caprecs = ncap;
	}
	*idx = rd->nrecs++;
	memset(&rd->recs[*idx], 0, sizeof(rd->recs[*idx]));
	return 0;
}

/* Fills the contact part of `r` from the object's entities. */
static void
contact_fill(struct rctx *c, json_t *o, const char *path,
    struct rdap_record *r)
{
	struct search *s;
	const struct found *f = NULL;
	size_t i;

	if ((s = calloc(1, sizeof(*s))) == NULL)
		return;
	s->lang = r->lang;
	s->abuse.depth = s->registrant.depth = s->technical.depth = INT_MAX;
	s->org_depth = INT_MAX;
	c->nent = 0;
	c->entcap = 0;
	entities_walk(c, o, path, 1, s);
	if (s->abuse.given > 0) {
		f = &s->abuse;
		r->role = RDAP_ROLE_ABUSE;
	} else if (s->registrant.nemail > 0) {
		f = &s->registrant;
		r->role = RDAP_ROLE_REGISTRANT;
	} else if (s->technical.nemail > 0) {
		f = &s->technical;
		r->role = RDAP_ROLE_TECHNICAL;
	} else if (s->registrant.given > 0 || s->technical.given > 0)
		r->email_invalid = 1;
	if (f != NULL) {
		for (i = 0; i < f->nemail; i++)
			memcpy(r->email[i], f->email[i], sizeof(r->email[i]));
		r->nemail = f->nemail;
		if (r->nemail == 0) {
			r->email_invalid = 1;
			r->role = RDAP_ROLE_NONE;
		}
	}
	if (s->org[0] != '\0')
		memcpy(r->org, s->org, sizeof(r->org));
	else if (r->name[0] != '\0')
		memcpy(r->org, r->name, sizeof(r->org));
	else
		memcpy(r->org, r->handle, sizeof(r->handle));
	free(s);
}

static void
rec_count(struct rdap_set *rd, const struct rdap_record *r)
{
	if (r->kind == RDAP_AUTNUM)
		rd->st.autnums++;
	else
		rd->st.networks++;
	if (r->nemail == 0) {
		rd->st.no_email++;
		if (r->email_invalid)
			rd->st.invalid_email++;
	} else if (r->role != RDAP_ROLE_ABUSE)
		rd->st.fallback++;
}

/* Common members: handle, name, country; lang from country. Returns -1
 * (reported) when one has the wrong type. */
static int
common_read(struct rctx *c, json_t *o, const char *path,
    struct rdap_record *r)
{
	const char *h, *nm, *cc;

	if (get_str(o, "handle", &h) != 0 || get_str(o, "name", &nm) != 0 ||
	    get_str(o, "country", &cc) != 0) {
		rerr(c, "%s: field handle, name or country: not a string "
		    "(RFC 9083 section 5; object skipped)", path);
		return -1;
	}
	if (h != NULL)
		copy_text(r->handle, sizeof(r->handle), h);
	if (nm != NULL)
		copy_text(r->name, sizeof(r->name), nm);
	if (cc != NULL && strlen(cc) == 2 && isalpha((unsigned char)cc[0]) &&
	    isalpha((unsigned char)cc[1])) {
		r->country[0] = (char)toupper((unsigned char)cc[0]);
		r->country[1] = (char)toupper((unsigned char)cc[1]);
	}
	memcpy(r->lang, strcmp(r->country, "JP") == 0 ? "ja" : "en", 3);
	return 0;
}

static int
autnum_read(struct rctx *c, json_t *o, const char *path)
{
	struct rdap_set *rd = c->rd;
	struct rdap_record *r;
	uint32_t lo = 0, hi = 0;
	size_t idx, i;
	int have_lo, have_hi, rc;

	if (get_asn(o, "startAutnum", &lo, &have_lo) != 0 || !have_lo) {
		rd->st.malformed++;
		rerr(c, "%s: field startAutnum: %s (RFC 9083 section 5.5; "
		    "object skipped)", path, have_lo ? "not an AS number" :
		    "missing");
		return 0;
	}
	if (get_asn(o, "endAutnum", &hi, &have_hi) != 0) {
		rd->st.malformed++;
		rerr(c, "%s: field endAutnum: not an AS number (RFC 9083 "
		    "section 5.5; object skipped)", path);
		return 0;
	}
	if (!have_hi)
		hi = lo;
	if (hi < lo || (lo == 0 && hi == 0)) {
		rd->st.malformed++;
		rerr(c, "%s: field endAutnum: %s (object skipped)", path,
		    hi < lo ? "below startAutnum" : "AS 0 is reserved");
		return 0;
	}
	/* first answer wins */
	if (lo == hi && attrib_ashash_get(&rd->as, lo) != 0) {
		rd->st.duplicate++;
		return 0;
	}
	for (i = 0; lo != hi && i < rd->nranges; i++) {
		if (rd->recs[rd->ranges[i]].as_lo == lo &&
		    rd->recs[rd->ranges[i]].as_hi == hi) {
			rd->st.duplicate++;
			return 0;
		}
	}
	if (lo != hi && rd->nranges >= RDAP_MAX_AS_RANGES) {
		rerr(c, "%s: more than %d AS ranges (object skipped)", path,
		    RDAP_MAX_AS_RANGES);
		rd->st.malformed++;
		return 0;
	}
	if ((rc = rec_add(rd, &idx)) != 0)
		return rc;
	r = &rd->recs[idx];
	r->kind = RDAP_AUTNUM;
	r->as_lo = lo;
	r->as_hi = hi;
	snprintf(r->file, sizeof(r->file), "%s", c->file);
	if (common_read(c, o, path, r) != 0) {
		rd->nrecs--;
		rd->st.malformed++;
		return 0;
	}
	contact_fill(c, o, path, &rd->recs[idx]);
	if (lo == hi) {
		if ((rc = attrib_ashash_put(&rd->as, lo, idx)) != 0) {
			rd->nrecs--;
			return rc;
		}
	} else {
		if (rd->nranges == rd->capranges) {
			size_t ncap = rd->capranges == 0 ? 16 :
			    rd->capranges * 2, *nr;

			if ((nr = realloc(rd->ranges, ncap * sizeof(*nr))) ==
			    NULL) {
				rd->nrecs--;
				return MM_ENOMEM;
			}
			rd->ranges = nr;
			rd->capranges = ncap;
		}
		rd->ranges[rd->nranges++] = idx;
	}
	rec_count(rd, &rd->recs[idx]);
	return 0;
}

/* cidr0_cidrs (cidr0 extension): [{"v4prefix": "...", "length": n}] */
static int
cidr0_read(struct rctx *c, json_t *arr, const char *path,
    struct mm_prefix *out, size_t max)
{
	json_t *e, *len;
	const char *v4, *v6;
	size_t i, n;
	json_int_t l;

	n = json_array_size(arr);
	if (n == 0 || n > max) {
		rerr(c, "%s.cidr0_cidrs: %s (object skipped)", path, n == 0 ?
		    "empty" : "too many prefixes");
		return -1;
	}
	for (i = 0; i < n; i++) {
		e = json_array_get(arr, i);
		if (!json_is_object(e) || get_str(e, "v4prefix", &v4) != 0 ||
		    get_str(e, "v6prefix", &v6) != 0 || (v4 == NULL) ==
		    (v6 == NULL) || !json_is_integer(len =
		    json_object_get(e, "length"))) {
			rerr(c, "%s.cidr0_cidrs[%zu]: not {v4prefix or "
			    "v6prefix, length} (object skipped)", path, i);
			return -1;
		}
		l = json_integer_value(len);
		if (addr_parse(v4 != NULL ? v4 : v6, &out[i].addr) != 0 ||
		    addr_is_v4(&out[i].addr) != (v4 != NULL) || l < 0 ||
		    l > (v4 != NULL ? 32 : 128)) {
			rerr(c, "%s.cidr0_cidrs[%zu]: bad %s prefix (object "
			    "skipped)", path, i, v4 != NULL ? "v4" : "v6");
			return -1;
		}
		out[i].len = (uint8_t)(v4 != NULL ? l + 96 : l);
		addr_mask(&out[i].addr, out[i].len);
	}
	return (int)n;
}

static int
network_read(struct rctx *c, json_t *o, const char *path)
{
	struct rdap_set *rd = c->rd;
	struct mm_prefix pfx[RDAP_MAX_CIDRS];
	struct mm_addr a0, a1;
	struct rdap_record *r;
	json_t *cidrs;
	const char *s0, *s1, *ver;
	char txt[PREFIX_STRLEN];
	size_t idx, i, added = 0;
	int n, rc, v4;

	if (get_str(o, "startAddress", &s0) != 0 ||
	    get_str(o, "endAddress", &s1) != 0 ||
	    get_str(o, "ipVersion", &ver) != 0) {
		rd->st.malformed++;
		rerr(c, "%s: field startAddress, endAddress or ipVersion: "
		    "not a string (RFC 9083 section 5.4; object skipped)",
		    path);
		return 0;
	}
	if ((cidrs = json_object_get(o, "cidr0_cidrs")) != NULL &&
	    json_is_array(cidrs)) {
		if ((n = cidr0_read(c, cidrs, path, pfx, RDAP_MAX_CIDRS)) < 0) {
			rd->st.malformed++;
			return 0;
		}
	} else {
		if (s0 == NULL || s1 == NULL) {
			rd->st.malformed++;
			rerr(c, "%s: field %s: missing (RFC 9083 section 5.4; "
			    "object skipped)", path, s0 == NULL ?
			    "startAddress" : "endAddress");
			return 0;
		}
		if (addr_parse(s0, &a0) != 0 || addr_parse(s1, &a1) != 0 ||
		    addr_is_v4(&a0) != addr_is_v4(&a1) ||
		    addr_cmp(&a0, &a1) > 0) {
			rd->st.malformed++;
			rerr(c, "%s: field startAddress/endAddress: not an "
			    "ascending range of one family (object skipped)",
			    path);
			return 0;
		}
		if ((n = range_split(&a0, &a1, pfx, RDAP_MAX_CIDRS)) < 0) {
			rd->st.malformed++;
			rerr(c, "%s: field startAddress/endAddress: range "
			    "splits into more than %d prefixes (object "
			    "skipped)", path, RDAP_MAX_CIDRS);
			return 0;
		}
	}
	v4 = addr_is_v4(&pfx[0].addr);
	for (i = 0; i < (size_t)n; i++) {
		if (addr_is_v4(&pfx[i].addr) != v4 || (ver != NULL &&
		    strcmp(ver, v4 ? "v4" : "v6") != 0)) {
			rd->st.malformed++;
			rerr(c, "%s: field ipVersion: does not match the "
			    "addresses (object skipped)", path);
			return 0;
		}
		if (pfx[i].len < (v4 ? 96 + 8 : 16)) {
			rd->st.too_broad++;
			rerr(c, "%s: network %s is broader than /%d: a "
			    "registry block, not an ISP's (object skipped)",
			    path, prefix_fmt(&pfx[i], txt, sizeof(txt)),
			    v4 ? 8 : 16);
			return 0;
		}
	}
	for (i = 0; i < (size_t)n; i++)
		if (lpm_get(rd->nets, &pfx[i]) == NULL)
			break;
	if (i == (size_t)n) {
		rd->st.duplicate++;
		return 0;
	}
	if ((rc = rec_add(rd, &idx)) != 0)
		return rc;
	r = &rd->recs[idx];
	r->kind = RDAP_NETWORK;
	r->first = pfx[0];
	snprintf(r->file, sizeof(r->file), "%s", c->file);
	if (common_read(c, o, path, r) != 0) {
		rd->nrecs--;
		rd->st.malformed++;
		return 0;
	}
	contact_fill(c, o, path, &rd->recs[idx]);
	for (i = 0; i < (size_t)n; i++) {
		if (lpm_get(rd->nets, &pfx[i]) != NULL) {
			rd->st.duplicate++;
			continue;
		}
		if ((rc = lpm_insert(rd->nets, &pfx[i],
		    (void *)(uintptr_t)(idx + 1))) != 0)
			return rc;	/* record kept, partially indexed */
		added++;
	}
	rd->st.prefixes += added;
	rec_count(rd, &rd->recs[idx]);
	return 0;
}

static int
object_read(struct rctx *c, json_t *o, const char *path)
{
	const char *cls;
	json_t *ec;

	c->rd->st.objects++;
	if (!json_is_object(o)) {
		c->rd->st.malformed++;
		rerr(c, "%s: not an object (skipped)", path);
		return 0;
	}
	if (get_str(o, "objectClassName", &cls) != 0 || cls == NULL) {
		if ((ec = json_object_get(o, "errorCode")) != NULL) {
			c->rd->st.unsupported++;
			rerr(c, "%s: RDAP error response %lld (RFC 9083 "
			    "section 6; skipped)", path, json_is_integer(ec) ?
			    (long long)json_integer_value(ec) : -1LL);
			return 0;
		}
		c->rd->st.malformed++;
		rerr(c, "%s: field objectClassName: %s (RFC 9083 section 4.7;"
		    " skipped)", path, cls == NULL && json_object_get(o,
		    "objectClassName") == NULL ? "missing" : "not a string");
		return 0;
	}
	if (strcmp(cls, "autnum") == 0)
		return autnum_read(c, o, path);
	if (strcmp(cls, "ip network") == 0)
		return network_read(c, o, path);
	c->rd->st.unsupported++;
	{
		char sh[40];

		copy_text(sh, sizeof(sh), cls);
		rerr(c, "%s: objectClassName \"%s\" is not autnum or ip "
		    "network (skipped)", path, sh);
	}
	return 0;
}

/* ------------------------------------------------------------------ */
/* documents */

/* Nesting depth check; returns 0 or the offset where the cap is passed
 * plus one. */
static size_t
nesting_check(const void *buf, size_t len)
{
	struct cursor cu;
	uint8_t ch;
	int depth = 0, instr = 0, esc = 0;

	cur_init(&cu, buf, len);
	while (get_u8(&cu, &ch) == 0) {
		if (instr) {
			if (esc)
				esc = 0;
			else if (ch == '\\')
				esc = 1;
			else if (ch == '"')
				instr = 0;
			continue;
		}
		if (ch == '"')
			instr = 1;
		else if (ch == '[' || ch == '{') {
			if (++depth > RDAP_MAX_NESTING)
				return cu.off;
		} else if ((ch == ']' || ch == '}') && depth > 0)
			depth--;
	}
	return 0;
}

static int
doc_read(struct rctx *c, const void *buf, size_t len)
{
	static const char *const lists[] = {
		"autnumSearchResults", "ipSearchResults"
	};
	json_error_t jerr;
	json_t *root, *arr;
	char path[PATH_TEXT];
	size_t off, i, n;
	int rc = 0, found = 0;
	unsigned li;

	c->rd->st.files++;
	if (len > RDAP_MAX_FILE) {
		c->rd->st.malformed++;
		rerr(c, "larger than %u bytes (skipped)", RDAP_MAX_FILE);
		return 0;
	}
	if ((off = nesting_check(buf, len)) != 0) {
		c->rd->st.malformed++;
		rerr(c, "byte %zu: JSON nested deeper than %d levels "
		    "(skipped)", off, RDAP_MAX_NESTING);
		return 0;
	}
	if ((root = json_loadb(buf, len, 0, &jerr)) == NULL) {
		c->rd->st.malformed++;
		rerr(c, "not JSON: line %d column %d: %.80s (skipped)",
		    jerr.line, jerr.column, jerr.text);
		return 0;
	}
	if (!json_is_object(root)) {
		c->rd->st.malformed++;
		rerr(c, "$: not a JSON object (RFC 9083 section 4; skipped)");
		goto out;
	}
	if (json_object_get(root, "objectClassName") != NULL ||
	    json_object_get(root, "errorCode") != NULL) {
		rc = object_read(c, root, "$");
		goto out;
	}
	for (li = 0; li < sizeof(lists) / sizeof(lists[0]); li++) {
		if ((arr = json_object_get(root, lists[li])) == NULL)
			continue;
		found = 1;
		if (!json_is_array(arr)) {
			c->rd->st.malformed++;
			rerr(c, "$.%s: not an array (skipped)", lists[li]);
			continue;
		}
		n = json_array_size(arr);
		if (n > RDAP_MAX_OBJECTS) {
			rerr(c, "$.%s: more than %d objects (rest ignored)",
			    lists[li], RDAP_MAX_OBJECTS);
			n = RDAP_MAX_OBJECTS;
		}
		for (i = 0; i < n && rc == 0; i++) {
			snprintf(path, sizeof(path), "$.%s[%zu]", lists[li], i);
			rc = object_read(c, json_array_get(arr, i), path);
		}
	}
	if (!found) {
		c->rd->st.objects++;
		c->rd->st.malformed++;
		rerr(c, "$: field objectClassName: missing (RFC 9083 section "
		    "4.7; skipped)");
	}
out:
	json_decref(root);
	return rc;
}

static int
hard(struct rctx *c, int rc)
{
	if (rc == MM_ELIMIT)
		return mm_diag_set(c->diag, rc, "%s: more than %u RDAP "
		    "records", c->file, RDAP_MAX_RECORDS);
	return mm_diag_set(c->diag, rc, "%s: %s", c->file, mm_strerror(rc));
}

int
rdap_load_mem(struct rdap_set *rd, const char *name, const void *buf,
    size_t len, struct mm_diag *diag)
{
	struct rctx c;
	int rc;

	mm_diag_clear(diag);
	if (rd == NULL || (buf == NULL && len > 0))
		return mm_diag_set(diag, MM_EINVAL, "rdap: no set or buffer");
	memset(&c, 0, sizeof(c));
	c.rd = rd;
	c.file = attrib_base_name(name != NULL ? name : "rdap");
	c.diag = diag;
	if ((rc = doc_read(&c, buf != NULL ? buf : "", len)) != 0)
		return hard(&c, rc);
	return 0;
}

/* Reads `path` whole (at most `cap` bytes; *toobig set past that). */
static int
file_read(const char *path, size_t cap, char **bufp, size_t *lenp,
    int *toobig, struct mm_diag *diag)
{
	FILE *fp;
	char *buf = NULL, *nb;
	size_t n = 0, size = 0, r;
	int rc = 0;

	*bufp = NULL;
	*lenp = 0;
	*toobig = 0;
	if ((fp = fopen(path, "rb")) == NULL)
		return mm_diag_set(diag, MM_EIO, "%s: %s", path,
		    strerror(errno));
	for (;;) {
		if (n == size) {
			if (size > cap) {
				*toobig = 1;
				goto out;
			}
			size = size == 0 ? 16384 : size * 2;
			if (size > cap + 1)
				size = cap + 1;
			if ((nb = realloc(buf, size)) == NULL) {
				rc = mm_diag_set(diag, MM_ENOMEM, "%s: out of "
				    "memory", path);
				goto out;
			}
			buf = nb;
		}
		r = fread(buf + n, 1, size - n, fp);
		n += r;
		if (r == 0)
			break;
	}
	if (ferror(fp)) {
		rc = mm_diag_set(diag, MM_EIO, "%s: read error", path);
		goto out;
	}
	if (n > cap) {
		*toobig = 1;
		goto out;
	}
	*bufp = buf;
	*lenp = n;
	buf = NULL;
out:
	free(buf);
	fclose(fp);
	return rc;
}

static int
file_load(struct rctx *c, const char *path, int in_dir)
{
	struct mm_diag ld;
	char *buf = NULL;
	size_t len;
	int rc, toobig;

	c->file = attrib_base_name(path);
	mm_diag_clear(&ld);
	if ((rc = file_read(path, RDAP_MAX_FILE, &buf, &len, &toobig,
	    &ld)) != 0) {
		if (rc == MM_EIO && in_dir) {
			/* one unreadable file: counted, the rest still read */
			c->rd->st.files++;
			c->rd->st.malformed++;
			rerr(c, "unreadable (skipped): %s", ld.msg);
			return 0;
		}
		return mm_diag_set(c->diag, rc, "%s", ld.msg);
	}
	if (toobig) {
		c->rd->st.files++;
		c->rd->st.malformed++;
		rerr(c, "larger than %u bytes (skipped)", RDAP_MAX_FILE);
		return 0;
	}
	rc = doc_read(c, buf != NULL ? buf : "", len);
	free(buf);
	if (rc != 0)
		return hard(c, rc);
	return 0;
}

int
rdap_load_file(struct rdap_set *rd, const char *path, struct mm_diag *diag)
{
	struct rctx c;

	mm_diag_clear(diag);
	if (rd == NULL || path == NULL)
		return mm_diag_set(diag, MM_EINVAL, "rdap: no set or path");
	memset(&c, 0, sizeof(c));
	c.rd = rd;
	c.diag = diag;
	return file_load(&c, path, 0);
}

static int
name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int
rdap_load_dir(struct rdap_set *rd, const char *dir, struct mm_diag *diag)
{
	struct rctx c;
	struct dirent *de;
	struct stat sb;
	DIR *d = NULL;
	char **names = NULL, **nn, path[4096];
	size_t n = 0, cap = 0, i, l;
	int rc = 0;

	mm_diag_clear(diag);
	if (rd == NULL || dir == NULL)
		return mm_diag_set(diag, MM_EINVAL, "rdap: no set or directory");
	memset(&c, 0, sizeof(c));
	c.rd = rd;
	c.diag = diag;
	if ((d = opendir(dir)) == NULL)
		return mm_diag_set(diag, MM_EIO, "%s: %s", dir,
		    strerror(errno));
	while ((de = readdir(d)) != NULL) {
		l = strlen(de->d_name);
		if (de->d_name[0] == '.' || l < 6 ||
		    strcmp(de->d_name + l - 5, ".json") != 0)
			continue;
		if (n == RDAP_MAX_FILES) {
			rc = mm_diag_set(diag, MM_ELIMIT, "%s: more than %d "
			    "*.json files", dir, RDAP_MAX_FILES);
			goto out;
		}
		if (n == cap) {
			cap = cap == 0 ? 64 : cap * 2;
			if ((nn = realloc(names, cap * sizeof(*nn))) == NULL) {
				rc = mm_diag_set(diag, MM_ENOMEM, "%s: out of "
				    "memory", dir);
				goto out;
			}
			names = nn;
		}
		if ((names[n] = strdup(de->d_name)) == NULL) {
			rc = mm_diag_set(diag, MM_ENOMEM, "%s: out of memory",
			    dir);
			goto out;
		}
		n++;
	}
	if (n > 0)
		qsort(names, n, sizeof(*names), name_cmp);
	for (i = 0; i < n; i++) {
		if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir,
		    names[i]) >= sizeof(path))
			continue;
		if (stat(path, &sb) != 0 || !S_ISREG(sb.st_mode))
			continue;
		if ((rc = file_load(&c, path, 1)) != 0)
			goto out;
	}
out:
	for (i = 0; i < n; i++)
		free(names[i]);
	free(names);
	if (d != NULL)
		closedir(d);
	return rc;
}
