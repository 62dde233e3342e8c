/*
 * contacts.c - the contacts file parser, its indexes and the e-mail
 * address syntax check (format in contacts.h and mamori-contacts(5)).
 *
 * Parsing. A file is read whole (CONTACTS_MAX_FILE) and walked line by
 * line through a core/cursor.h cursor; a line longer than CONTACTS_MAX_LINE
 * or holding a NUL byte is an error and skipped. A header line opens a
 * stanza; field lines fill it; the stanza is closed (default id, status,
 * id index) at the next header or at the end of the file. Values may be
 * double-quoted ("...", with \" and \\) so that they can hold '#' or
 * leading blanks; unquoted values end at a '#' that follows a blank. Every
 * value must be valid UTF-8 (RFC 3629: no overlong forms, surrogates or
 * code points above U+10FFFF) without C0/C1 controls or DEL.
 *
 * Indexes. AS keys (ranges expanded, CONTACTS_MAX_AS_RANGE each) live in an
 * open-addressing hash of 64-bit slots (stanza index + 1 in the high half,
 * the ASN in the low half; AS 0 is reserved and never a key); customer keys
 * and stanza ids in two string hashes over interned copies (FNV-1a, linear
 * probing, load factor <= 1/2); prefixes in a core/lpm.h trie whose values
 * are stanza index + 1. Memory: about 1.4 KiB per stanza (fixed-size
 * strings), 16-32 bytes per AS key, one string per customer key and id.
 * Every lookup is one probe sequence or one trie walk.
 */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "attrib/attrib_int.h"
#include "attrib/contacts.h"
#include "core/addr.h"
#include "core/cursor.h"
#include "core/err.h"
#include "core/lpm.h"

#define NONE		SIZE_MAX
#define KEY_TEXT_MAX	96	/* bytes of one header token */

/* interned string -> stanza index */
struct sname {
	char		*s;
	size_t		 entry;
};

struct shash {
	uint32_t	*slot;	/* index into the names + 1, 0 = empty */
	size_t		 mask;	/* size - 1 (power of two), 0 = no table */
	size_t		 used;
	struct sname	*names;
	size_t		 nnames, capnames;
};

struct contacts {
	struct contact	*ents;
	size_t		 nents, capents;
	struct attrib_ashash as;
	struct shash	 cust;
	struct shash	 ids;
	struct lpm	*pfx;
	struct contacts_stats st;
	struct attrib_errs errs;
};

enum field {
	F_ID, F_ORG, F_ISP, F_EMAIL, F_LANG, F_FORMAT, F_N
};

static const char *const field_names[F_N] = {
	"id", "org", "isp", "email", "lang", "format"
};

/* parser state of one load */
struct parse {
	struct contacts	*ct;
	const char	*file;		/* base name */
	unsigned long	 lineno;
	size_t		 cur;		/* open stanza or NONE */
	int		 dead;		/* fields after a bad header: skip */
	int		 bad_email, bad_entry;
	unsigned long	 fline[F_N];	/* line a single field was given on */
	char		 firstkey[KEY_TEXT_MAX + 1];
	struct mm_diag	*diag;
	int		 noted;		/* first error copied to diag */
};

static const struct contacts_stats zero_stats;

/* ------------------------------------------------------------------ */
/* hashes */

static uint64_t
fnv1a(const char *s)
{
	uint64_t h = 0xcbf29ce484222325ULL;

	for (; *s != '\0'; s++) {
		h ^= (unsigned char)*s;
		h *= 0x100000001b3ULL;
	}
	return h;
}

static int
shash_grow(struct shash *h)
{
	uint32_t *ns;
	size_t nsize, i, j;

	nsize = h->mask == 0 ? 64 : (h->mask + 1) * 2;
	if ((ns = calloc(nsize, sizeof(*ns))) == NULL)
		return MM_ENOMEM;
	for (i = 0; h->mask != 0 && i <= h->mask; i++) {
		if (h->slot[i] == 0)
			continue;
		j = (size_t)fnv1a(h->names[h->slot[i] - 1].s) & (nsize - 1);
		while (ns[j] != 0)
			j = (j + 1) & (nsize - 1);
		ns[j] = h->slot[i];
	}
	free(h->slot);
	h->slot = ns;
	h->mask = nsize - 1;
	return 0;
}

static const struct sname *
shash_get(const struct shash *h, const char *s)
{
	size_t j;

	if (h->mask == 0 || s == NULL)
		return NULL;
	j = (size_t)fnv1a(s) & h->mask;
	while (h->slot[j] != 0) {
		if (strcmp(h->names[h->slot[j] - 1].s, s) == 0)
			return &h->names[h->slot[j] - 1];
		j = (j + 1) & h->mask;
	}
	return NULL;
}

static int
shash_put(struct shash *h, const char *s, size_t entry)
{
	struct sname *nn;
	size_t j, ncap;
	char *dup;
	int rc;

	if ((h->used + 1) * 2 > h->mask + 1 && (rc = shash_grow(h)) != 0)
		return rc;
	if (h->nnames == h->capnames) {
		ncap = h->capnames == 0 ? 32 : h->capnames * 2;
		if ((nn = realloc(h->names, ncap * sizeof(*nn))) == NULL)
			return MM_ENOMEM;
		h->names = nn;
		h->capnames = ncap;
	}
	if ((dup = strdup(s)) == NULL)
		return MM_ENOMEM;
	h->names[h->nnames].s = dup;
	h->names[h->nnames].entry = entry;
	h->nnames++;
	j = (size_t)fnv1a(s) & h->mask;
	while (h->slot[j] != 0)
		j = (j + 1) & h->mask;
	h->slot[j] = (uint32_t)h->nnames;
	h->used++;
	return 0;
}

static void
shash_free(struct shash *h)
{
	size_t i;

	for (i = 0; i < h->nnames; i++)
		free(h->names[i].s);
	free(h->names);
	free(h->slot);
}

/* ------------------------------------------------------------------ */
/* public lifetime and lookups */

struct contacts *
contacts_new(void)
{
	struct contacts *ct;

	if ((ct = calloc(1, sizeof(*ct))) == NULL)
		return NULL;
	if ((ct->pfx = lpm_new()) == NULL) {
		free(ct);
		return NULL;
	}
	return ct;
}

void
contacts_free(struct contacts *ct)
{
	if (ct == NULL)
		return;
	free(ct->ents);
	attrib_ashash_free(&ct->as);
	shash_free(&ct->cust);
	shash_free(&ct->ids);
	lpm_free(ct->pfx);
	attrib_errs_free(&ct->errs);
	free(ct);
}

const struct contact *
contacts_by_customer(const struct contacts *ct, const char *customer)
{
	const struct sname *n;

	if (ct == NULL || customer == NULL || customer[0] == '\0')
		return NULL;
	if ((n = shash_get(&ct->cust, customer)) == NULL)
		return NULL;
	return &ct->ents[n->entry];
}

const struct contact *
contacts_by_as(const struct contacts *ct, uint32_t asn)
{
	size_t e;

	if (ct == NULL || (e = attrib_ashash_get(&ct->as, asn)) == 0)
		return NULL;
	return &ct->ents[e - 1];
}

const struct contact *
contacts_by_addr(const struct contacts *ct, const struct mm_addr *a,
    struct mm_prefix *matched)
{
	size_t e;

	if (ct == NULL || a == NULL ||
	    (e = attrib_lpm_find(ct->pfx, a, matched)) == 0)
		return NULL;
	return &ct->ents[e - 1];
}

const struct contact *
contacts_by_id(const struct contacts *ct, const char *id)
{
	const struct sname *n;

	if (ct == NULL || (n = shash_get(&ct->ids, id)) == NULL)
		return NULL;
	return &ct->ents[n->entry];
}

size_t
contacts_count(const struct contacts *ct)
{
	return ct == NULL ? 0 : ct->nents;
}

const struct contact *
contacts_get(const struct contacts *ct, size_t i)
{
	if (ct == NULL || i >= ct->nents)
		return NULL;
	return &ct->ents[i];
}

const struct contacts_stats *
contacts_stats(const struct contacts *ct)
{
	return ct == NULL ? &zero_stats : &ct->st;
}

size_t
contacts_nerrors(const struct contacts *ct)
{
	return ct == NULL ? 0 : ct->errs.n;
}

const char *
contacts_error(const struct contacts *ct, size_t i)
{
	if (ct == NULL || i >= ct->errs.n)
		return NULL;
	return ct->errs.v[i];
}

const char *
contact_status_name(enum contact_status st)
{
	switch (st) {
	case CONTACT_OK:
		return "ok";
	case CONTACT_NO_EMAIL:
		return "no e-mail";
	case CONTACT_BAD_EMAIL:
		return "invalid e-mail";
	case CONTACT_BAD_ENTRY:
		return "invalid entry";
	}
	return "?";
}

/* ------------------------------------------------------------------ */
/* e-mail syntax */

static int
atext(int ch)
{
	return isalnum(ch) || (ch != '\0' && strchr("!#$%&'*+-/=?^_`{|}~",
	    ch) != NULL);
}

static int
ldh(int ch)
{
	return isalnum(ch) || ch == '-';
}

const char *
contacts_email_check(const char *s, size_t len)
{
	size_t i, at, lab, nlab = 0, start;
	int ch, digits;

	if (s == NULL || len == 0)
		return "empty";
	if (len > ATTRIB_EMAIL_MAX)
		return "longer than 254 bytes";
	for (i = 0; i < len; i++) {
		ch = (unsigned char)s[i];
		if (ch >= 0x80)
			return "non-ASCII byte (SMTPUTF8 is not supported)";
		if (ch < 0x20 || ch == 0x7f)
			return "control byte";
	}
	/* local part */
	i = 0;
	if (s[0] == '"') {
		for (i = 1; i < len && s[i] != '"'; i++) {
			if (s[i] == '\\') {
				/* quoted-pairSMTP: backslash %d32-126 */
				if (++i >= len)
					return "unterminated quoted local part";
			}
		}
		if (i >= len)
			return "unterminated quoted local part";
		if (i == 1)
			return "empty local part";
		i++;
	} else {
		for (start = 0; i < len && s[i] != '@'; i++) {
			ch = (unsigned char)s[i];
			if (ch == '.') {
				if (i == start)
					return "empty atom in local part "
					    "(leading, trailing or double dot)";
				start = i + 1;
				continue;
			}
			if (ch == ' ' || ch == '<')
				return "space or '<' (display names are not "
				    "accepted)";
			if (!atext(ch))
				return "character not allowed in local part";
		}
		if (i == 0)
			return "empty local part";
		if (i < len && i == start)
			return "empty atom in local part "
			    "(leading, trailing or double dot)";
	}
	if (i >= len || s[i] != '@') {
		if (i >= len)
			return "no '@'";
		return s[i] == ' ' || s[i] == '<' ? "display name (only a bare "
		    "address is accepted)" : "text after quoted local part";
	}
	if (i > 64)
		return "local part longer than 64 bytes";
	at = i;
	/* domain */
	if (at + 1 >= len)
		return "empty domain";
	if (s[at + 1] == '[')
		return "address literals are not accepted";
	digits = 1;
	for (i = at + 1, lab = i; i <= len; i++) {
		if (i == len || s[i] == '.') {
			if (i == lab)
				return "empty domain label";
			if (i - lab > 63)
				return "domain label longer than 63 bytes";
			if (s[lab] == '-' || s[i - 1] == '-')
				return "domain label starts or ends with '-'";
			nlab++;
			if (i < len) {
				lab = i + 1;
				digits = 1;
			}
			continue;
		}
		ch = (unsigned char)s[i];
		if (ch == '@')
			return "more than one '@'";
		if (!ldh(ch))
			return "character not allowed in domain";
		if (!isdigit(ch))
			digits = 0;
	}
	if (nlab < 2)
		return "domain has a single label";
	if (digits)
		return "top-level domain is all digits";
	return NULL;
}

int
contacts_email_valid(const char *s)
{
	if (s == NULL)
		return 0;
	return contacts_email_check(s, strlen(s)) == NULL;
}

/* ------------------------------------------------------------------ */
/* text helpers */

/* Valid UTF-8 without C0/C1 controls and DEL. Returns the offset of the
 * first bad byte, or len. */
static size_t
utf8_bad(const char *s, size_t len)
{
	const unsigned char *u = (const unsigned char *)s;
	uint32_t cp;
	size_t i = 0, n, k;

	while (i < len) {
		if (u[i] < 0x80) {
			if (u[i] < 0x20 || u[i] == 0x7f)
				return i;
			i++;
			continue;
		}
		if (u[i] >= 0xc2 && u[i] <= 0xdf) {
			n = 1;
			cp = u[i] & 0x1f;
		} else if (u[i] >= 0xe0 && u[i] <= 0xef) {
			n = 2;
			cp = u[i] & 0x0f;
		} else if (u[i] >= 0xf0 && u[i] <= 0xf4) {
			n = 3;
			cp = u[i] & 0x07;
		} else
			return i;
		if (len - i <= n)
			return i;
		for (k = 1; k <= n; k++) {
			if ((u[i + k] & 0xc0) != 0x80)
				return i;
			cp = (cp << 6) | (u[i + k] & 0x3f);
		}
		if ((n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000) ||
		    cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff) ||
		    (cp >= 0x80 && cp <= 0x9f))
			return i;
		i += n + 1;
	}
	return len;
}

/* Printable excerpt of untrusted text for a message. */
static const char *
shown(const char *s, size_t n, char *buf, size_t cap)
{
	size_t i, k = 0;

	for (i = 0; i < n && k + 4 < cap; i++) {
		unsigned char ch = (unsigned char)s[i];

		buf[k++] = (ch >= 0x20 && ch < 0x7f) || ch >= 0x80 ? (char)ch :
		    '?';
	}
	if (i < n && k + 3 < cap) {
		buf[k++] = '.';
		buf[k++] = '.';
		buf[k++] = '.';
	}
	buf[k] = '\0';
	/* do not end inside a UTF-8 sequence */
	while (utf8_bad(buf, k) != k && k > 0)
		buf[--k] = '\0';
	return buf;
}

static int
blank(int ch)
{
	return ch == ' ' || ch == '\t';
}

static int
strcase_eq(const char *a, size_t n, const char *b)
{
	size_t i;

	if (strlen(b) != n)
		return 0;
	for (i = 0; i < n; i++)
		if (tolower((unsigned char)a[i]) != b[i])
			return 0;
	return 1;
}

/* ------------------------------------------------------------------ */
/* errors */

#if defined(__GNUC__)
__attribute__((format(printf, 2, 3)))
#endif
static void
perr(struct parse *p, const char *fmt, ...)
{
	va_list ap;

	p->ct->st.errors++;
	va_start(ap, fmt);
	attrib_errs_vadd(&p->ct->errs, CONTACTS_MAX_ERRORS, p->diag, &p->noted,
	    p->file, &p->lineno, fmt, ap);
	va_end(ap);
}

/* ------------------------------------------------------------------ */
/* stanzas */

enum key_kind { K_AS, K_CUST, K_PFX };

struct key {
	enum key_kind	 kind;
	uint32_t	 lo, hi;		/* K_AS */
	struct mm_prefix p;			/* K_PFX */
	char		 text[KEY_TEXT_MAX + 1];	/* canonical */
	char		 cust[ROUTEVIEW_ID_MAX + 1];	/* K_CUST */
};

static int
parse_asn(const char *s, size_t n, uint32_t *v)
{
	uint64_t x = 0;
	size_t i;

	if (n < 3 || tolower((unsigned char)s[0]) != 'a' ||
	    tolower((unsigned char)s[1]) != 's')
		return -1;
	for (i = 2; i < n; i++) {
		if (!isdigit((unsigned char)s[i]))
			return -1;
		x = x * 10 + (uint64_t)(s[i] - '0');
		if (x > UINT32_MAX)
			return -1;
	}
	*v = (uint32_t)x;
	return 0;
}

/* Parses one header token; returns 0 or reports and returns -1. */
static int
key_parse(struct parse *p, const char *t, size_t n, struct key *k)
{
	struct mm_prefix q;
	struct mm_addr a;
	const char *dash, *slash;
	char tmp[KEY_TEXT_MAX + 1], sh[80];
	size_t i;

	memset(k, 0, sizeof(*k));
	if (n > KEY_TEXT_MAX) {
		perr(p, "header: key \"%s\" is longer than %d bytes",
		    shown(t, n, sh, sizeof(sh)), KEY_TEXT_MAX);
		return -1;
	}
	if (n > 2 && tolower((unsigned char)t[0]) == 'a' &&
	    tolower((unsigned char)t[1]) == 's' &&
	    isdigit((unsigned char)t[2])) {
		k->kind = K_AS;
		dash = memchr(t, '-', n);
		if (parse_asn(t, dash == NULL ? n : (size_t)(dash - t),
		    &k->lo) != 0) {
			perr(p, "header: key \"%s\": bad AS number",
			    shown(t, n, sh, sizeof(sh)));
			return -1;
		}
		k->hi = k->lo;
		if (dash != NULL) {
			size_t rest = n - (size_t)(dash - t) - 1;

			if (parse_asn(dash + 1, rest, &k->hi) != 0) {
				perr(p, "header: key \"%s\": bad AS range "
				    "(AS<n>-AS<m>)", shown(t, n, sh,
				    sizeof(sh)));
				return -1;
			}
		}
		if (k->lo == 0) {
			perr(p, "header: key \"%s\": AS 0 is reserved "
			    "(RFC 7607)", shown(t, n, sh, sizeof(sh)));
			return -1;
		}
		if (k->hi < k->lo || (uint64_t)k->hi - k->lo >=
		    CONTACTS_MAX_AS_RANGE) {
			perr(p, "header: key \"%s\": AS range must be "
			    "ascending and hold at most %d numbers",
			    shown(t, n, sh, sizeof(sh)),
			    CONTACTS_MAX_AS_RANGE);
			return -1;
		}
		if (k->hi == k->lo)
			snprintf(k->text, sizeof(k->text), "AS%lu",
			    (unsigned long)k->lo);
		else
			snprintf(k->text, sizeof(k->text), "AS%lu-AS%lu",
			    (unsigned long)k->lo, (unsigned long)k->hi);
		return 0;
	}
	if (n >= 9 && memcmp(t, "customer:", 9) == 0) {
		k->kind = K_CUST;
		if (n == 9 || n - 9 > ROUTEVIEW_ID_MAX) {
			perr(p, "header: key \"%s\": customer id must be 1 "
			    "to %d bytes", shown(t, n, sh, sizeof(sh)),
			    ROUTEVIEW_ID_MAX);
			return -1;
		}
		if (utf8_bad(t, n) != n) {
			perr(p, "header: key \"%s\": invalid UTF-8 or "
			    "control byte", shown(t, n, sh, sizeof(sh)));
			return -1;
		}
		memcpy(k->cust, t + 9, n - 9);
		memcpy(k->text, t, n);
		return 0;
	}
	if (memchr(t, '.', n) == NULL && memchr(t, ':', n) == NULL) {
		perr(p, "header: key \"%s\": not AS<n>, AS<n>-AS<m>, "
		    "customer:<id> or a prefix", shown(t, n, sh, sizeof(sh)));
		return -1;
	}
	k->kind = K_PFX;
	memcpy(tmp, t, n);
	tmp[n] = '\0';
	if (prefix_parse(tmp, &k->p) != 0) {
		perr(p, "header: key \"%s\": bad prefix",
		    shown(t, n, sh, sizeof(sh)));
		return -1;
	}
	/* host bits beyond the length are most likely a typo */
	if ((slash = strchr(tmp, '/')) != NULL) {
		i = (size_t)(slash - tmp);
		tmp[i] = '\0';
		if (addr_parse(tmp, &a) == 0) {
			q.addr = a;
			addr_mask(&q.addr, k->p.len);
			if (addr_cmp(&q.addr, &a) != 0) {
				perr(p, "header: key \"%s\": host bits set "
				    "beyond the prefix length",
				    shown(t, n, sh, sizeof(sh)));
				return -1;
			}
		}
	}
	prefix_fmt(&k->p, k->text, sizeof(k->text));
	return 0;
}

/* Indexes `k` for stanza `e`; duplicates are reported. Returns 0 or an
 * MM_E* for a hard failure; *added counts the keys indexed. */
static int
key_index(struct parse *p, const struct key *k, size_t e, size_t *added)
{
	struct contacts *ct = p->ct;
	const struct contact *o;
	const struct sname *sn;
	void *v;
	uint64_t x;
	size_t have;
	int rc;

	switch (k->kind) {
	case K_AS:
		for (x = k->lo; x <= k->hi; x++) {
			have = attrib_ashash_get(&ct->as, (uint32_t)x);
			if (have != 0) {
				o = &ct->ents[have - 1];
				perr(p, "header: key AS%lu is already listed "
				    "in the stanza at %s:%lu",
				    (unsigned long)x, o->file, o->line);
				continue;
			}
			if (ct->st.keys >= CONTACTS_MAX_KEYS)
				return MM_ELIMIT;
			if ((rc = attrib_ashash_put(&ct->as, (uint32_t)x,
			    e)) != 0)
				return rc;
			ct->st.keys++;
			(*added)++;
		}
		return 0;
	case K_CUST:
		if ((sn = shash_get(&ct->cust, k->cust)) != NULL) {
			o = &ct->ents[sn->entry];
			perr(p, "header: key %s is already listed in the "
			    "stanza at %s:%lu", k->text, o->file, o->line);
			return 0;
		}
		if (ct->st.keys >= CONTACTS_MAX_KEYS)
			return MM_ELIMIT;
		if ((rc = shash_put(&ct->cust, k->cust, e)) != 0)
			return rc;
		ct->st.keys++;
		(*added)++;
		return 0;
	case K_PFX:
		if ((v = lpm_get(ct->pfx, &k->p)) != NULL) {
			o = &ct->ents[(uintptr_t)v - 1];
			perr(p, "header: key %s is already listed in the "
			    "stanza at %s:%lu", k->text, o->file, o->line);
			return 0;
		}
		if (ct->st.keys >= CONTACTS_MAX_KEYS)
			return MM_ELIMIT;
		if ((rc = lpm_insert(ct->pfx, &k->p,
		    (void *)(uintptr_t)(e + 1))) != 0)
			return rc;
		ct->st.keys++;
		(*added)++;
		return 0;
	}
	return 0;
}

/* Closes the open stanza: default id, id index, status, counters. */
static int
stanza_close(struct parse *p)
{
	struct contacts *ct = p->ct;
	struct contact *e;
	const struct sname *sn;
	unsigned long saved;
	size_t n;
	int rc;

	if (p->cur == NONE)
		return 0;
	e = &ct->ents[p->cur];
	saved = p->lineno;
	p->lineno = e->line;
	if (e->id[0] == '\0') {
		n = strlen(p->firstkey);
		if (n > ATTRIB_ID_MAX) {
			/* flagged, and named by the key cut to size */
			perr(p, "header: first key is longer than %d bytes "
			    "and cannot serve as the id: add an id field",
			    ATTRIB_ID_MAX);
			p->bad_entry = 1;
			n = ATTRIB_ID_MAX;
			while (n > 0 && ((unsigned char)p->firstkey[n] &
			    0xc0) == 0x80)
				n--;
		}
		memcpy(e->id, p->firstkey, n);
		e->id[n] = '\0';
	}
	if (e->id[0] != '\0') {
		if ((sn = shash_get(&ct->ids, e->id)) != NULL) {
			const struct contact *o = &ct->ents[sn->entry];

			perr(p, "field id: \"%s\" is already the id of the "
			    "stanza at %s:%lu", e->id, o->file, o->line);
			p->bad_entry = 1;
		} else if ((rc = shash_put(&ct->ids, e->id, p->cur)) != 0) {
			p->lineno = saved;
			return rc;
		}
	}
	p->lineno = saved;
	if (p->bad_email) {
		e->status = CONTACT_BAD_EMAIL;
		ct->st.bad_email++;
	} else if (p->bad_entry) {
		e->status = CONTACT_BAD_ENTRY;
		ct->st.bad_entry++;
	} else if (e->nemail == 0) {
		e->status = CONTACT_NO_EMAIL;
		ct->st.no_email++;
	} else
		e->status = CONTACT_OK;
	p->cur = NONE;
	return 0;
}

/* "[" key *( (blank / ",") key ) "]" [comment] */
static int
header_parse(struct parse *p, const char *l, size_t n)
{
	struct contacts *ct = p->ct;
	struct key keys[CONTACTS_MAX_HDR_KEYS];
	struct contact *ne, *e;
	const char *close, *t;
	size_t nk = 0, ntok = 0, added, i, j, ncap;
	int rc;

	if ((rc = stanza_close(p)) != 0)
		return rc;
	p->dead = 1;
	/* the last ']' closes; only a comment may follow */
	for (close = NULL, i = n; i > 0; i--)
		if (l[i - 1] == ']') {
			close = l + i - 1;
			break;
		}
	if (close == NULL) {
		perr(p, "header: no closing ']'");
		return 0;
	}
	for (t = close + 1; t < l + n && blank(*t); t++)
		;
	if (t < l + n && *t != '#') {
		perr(p, "header: text after ']'");
		return 0;
	}
	for (i = 1; l + i < close; i = j) {
		while (l + i < close && (blank(l[i]) || l[i] == ','))
			i++;
		if (l + i >= close)
			break;
		for (j = i; l + j < close && !blank(l[j]) && l[j] != ',';
		    j++)
			;
		if (nk == CONTACTS_MAX_HDR_KEYS) {
			perr(p, "header: more than %d keys (open another "
			    "stanza with the same id)", CONTACTS_MAX_HDR_KEYS);
			break;
		}
		ntok++;
		if (key_parse(p, l + i, j - i, &keys[nk]) == 0)
			nk++;
	}
	if (nk == 0) {
		if (ntok == 0)
			perr(p, "header: no key");
		return 0;
	}
	if (ct->nents == CONTACTS_MAX_ENTRIES)
		return MM_ELIMIT;
	if (ct->nents == ct->capents) {
		ncap = ct->capents == 0 ? 16 : ct->capents * 2;
		if ((ne = realloc(ct->ents, ncap * sizeof(*ne))) == NULL)
			return MM_ENOMEM;
		ct->ents = ne;
		ct->capents = ncap;
	}
	e = &ct->ents[ct->nents];
	memset(e, 0, sizeof(*e));
	memcpy(e->lang, "en", 3);
	memcpy(e->format, "csv", 4);
	snprintf(e->file, sizeof(e->file), "%s", p->file);
	e->line = p->lineno;
	p->cur = ct->nents++;
	ct->st.entries++;
	p->dead = 0;
	p->bad_email = p->bad_entry = 0;
	memset(p->fline, 0, sizeof(p->fline));
	memcpy(p->firstkey, keys[0].text, strlen(keys[0].text) + 1);
	for (i = 0, added = 0; i < nk; i++)
		if ((rc = key_index(p, &keys[i], p->cur, &added)) != 0)
			return rc;
	if (added == 0) {
		/* every key already names another stanza: nothing could
		 * reach this one */
		ct->nents--;
		ct->st.entries--;
		p->cur = NONE;
		p->dead = 1;
	}
	return 0;
}

/* Reads the value after '=' into v (NUL-terminated); 0 or -1 (reported).
 * A `raw` value (email: quotes belong to the addresses) is never unquoted. */
static int
value_parse(struct parse *p, const char *name, int raw, const char *s,
    size_t n, char *v, size_t *vn)
{
	size_t i = 0, k = 0;

	while (i < n && blank(s[i]))
		i++;
	if (!raw && i < n && s[i] == '"') {
		for (i++; i < n && s[i] != '"'; i++) {
			if (s[i] == '\\') {
				if (i + 1 >= n || (s[i + 1] != '"' &&
				    s[i + 1] != '\\')) {
					perr(p, "field %s: bad escape (only "
					    "\\\" and \\\\)", name);
					return -1;
				}
				i++;
			}
			v[k++] = s[i];
		}
		if (i >= n) {
			perr(p, "field %s: unterminated quoted value", name);
			return -1;
		}
		for (i++; i < n && blank(s[i]); i++)
			;
		if (i < n && s[i] != '#') {
			perr(p, "field %s: text after the quoted value", name);
			return -1;
		}
	} else {
		for (; i < n; i++) {
			if (s[i] == '#' && (k == 0 || blank(v[k - 1])))
				break;
			v[k++] = s[i];
		}
		while (k > 0 && blank(v[k - 1]))
			k--;
	}
	v[k] = '\0';
	*vn = k;
	return 0;
}

static int
id_ok(const char *s, size_t n)
{
	size_t i;

	if (n == 0 || n > ATTRIB_ID_MAX)
		return 0;
	for (i = 0; i < n; i++)
		if (!isalnum((unsigned char)s[i]) &&
		    strchr("._:-+@", s[i]) == NULL)
			return 0;
	return 1;
}

/* email = addr *( "," addr ); commas inside a quoted local part do not
 * separate. */
static void
email_field(struct parse *p, struct contact *e, const char *v, size_t n)
{
	const char *why;
	char sh[80];
	size_t i = 0, j, a, b;
	int q;

	while (i <= n) {
		for (j = i, q = 0; j < n && (q || v[j] != ','); j++) {
			if (v[j] == '\\' && q && j + 1 < n)
				j++;
			else if (v[j] == '"')
				q = !q;
		}
		for (a = i; a < j && blank(v[a]); a++)
			;
		for (b = j; b > a && blank(v[b - 1]); b--)
			;
		if (b == a) {
			perr(p, "field email: empty address in the list");
			p->bad_email = 1;
		} else if ((why = contacts_email_check(v + a, b - a)) !=
		    NULL) {
			perr(p, "field email: \"%s\": %s", shown(v + a, b - a,
			    sh, sizeof(sh)), why);
			p->bad_email = 1;
		} else if (e->nemail == CONTACTS_MAX_EMAILS) {
			perr(p, "field email: more than %d addresses",
			    CONTACTS_MAX_EMAILS);
			p->bad_entry = 1;
		} else {
			memcpy(e->email[e->nemail], v + a, b - a);
			e->email[e->nemail][b - a] = '\0';
			e->nemail++;
		}
		i = j + 1;
	}
}

static int
field_parse(struct parse *p, const char *l, size_t n)
{
	struct contact *e;
	char v[CONTACTS_MAX_LINE + 1], sh[80];
	const char *name;
	size_t i = 0, nn, vn, bad;
	int f;

	while (i < n && (isalpha((unsigned char)l[i]) || l[i] == '-' ||
	    l[i] == '_'))
		i++;
	nn = i;
	while (i < n && blank(l[i]))
		i++;
	if (nn == 0 || i >= n || l[i] != '=') {
		if (p->cur != NONE)
			p->bad_entry = 1;
		perr(p, "expected \"[keys]\" or \"field = value\"");
		return 0;
	}
	if (p->cur == NONE) {
		if (!p->dead)
			perr(p, "field %s: outside a stanza (no [key] header "
			    "before it)", shown(l, nn, sh, sizeof(sh)));
		return 0;
	}
	e = &p->ct->ents[p->cur];
	for (f = 0; f < F_N; f++)
		if (strcase_eq(l, nn, field_names[f]))
			break;
	if (f == F_N && strcase_eq(l, nn, "e-mail"))
		f = F_EMAIL;
	if (f == F_N) {
		perr(p, "field %s: unknown field (ignored)",
		    shown(l, nn, sh, sizeof(sh)));
		return 0;
	}
	name = field_names[f];
	if (value_parse(p, name, f == F_EMAIL, l + i + 1, n - i - 1, v,
	    &vn) != 0) {
		if (f == F_EMAIL)
			p->bad_email = 1;
		else
			p->bad_entry = 1;
		return 0;
	}
	if (vn == 0) {
		perr(p, "field %s: empty value", name);
		if (f == F_EMAIL)
			p->bad_email = 1;
		else
			p->bad_entry = 1;
		return 0;
	}
	if ((bad = utf8_bad(v, vn)) != vn) {
		perr(p, "field %s: invalid UTF-8 or control byte at value "
		    "byte %zu", name, bad + 1);
		if (f == F_EMAIL)
			p->bad_email = 1;
		else
			p->bad_entry = 1;
		return 0;
	}
	if (f != F_EMAIL) {
		if (p->fline[f] != 0) {
			perr(p, "field %s: given twice (first on line %lu)",
			    name, p->fline[f]);
			p->bad_entry = 1;
			return 0;
		}
		p->fline[f] = p->lineno;
	}
	switch (f) {
	case F_ID:
		if (!id_ok(v, vn)) {
			perr(p, "field id: \"%s\": 1 to %d letters, digits "
			    "or ._:-+@", shown(v, vn, sh, sizeof(sh)),
			    ATTRIB_ID_MAX);
			p->bad_entry = 1;
		} else if (strcmp(v, ATTRIB_UNATTRIBUTED) == 0) {
			perr(p, "field id: \"%s\" is reserved", v);
			p->bad_entry = 1;
		} else
			memcpy(e->id, v, vn + 1);
		break;
	case F_ORG:
	case F_ISP:
		if (vn > (f == F_ORG ? (size_t)ATTRIB_ORG_MAX :
		    (size_t)ATTRIB_ID_MAX)) {
			perr(p, "field %s: longer than %d bytes", name,
			    f == F_ORG ? ATTRIB_ORG_MAX : ATTRIB_ID_MAX);
			p->bad_entry = 1;
		} else
			memcpy(f == F_ORG ? e->org : e->isp, v, vn + 1);
		break;
	case F_EMAIL:
		email_field(p, e, v, vn);
		break;
	case F_LANG:
		if (strcase_eq(v, vn, "ja") || strcase_eq(v, vn, "en")) {
			e->lang[0] = (char)tolower((unsigned char)v[0]);
			e->lang[1] = (char)tolower((unsigned char)v[1]);
			e->lang[2] = '\0';
		} else {
			perr(p, "field lang: \"%s\": not ja or en",
			    shown(v, vn, sh, sizeof(sh)));
			p->bad_entry = 1;
		}
		break;
	case F_FORMAT:
		if (strcase_eq(v, vn, "csv") || strcase_eq(v, vn, "xarf") ||
		    strcase_eq(v, vn, "both")) {
			for (i = 0; i < vn; i++)
				e->format[i] = (char)tolower((unsigned char)
				    v[i]);
			e->format[vn] = '\0';
		} else {
			perr(p, "field format: \"%s\": not csv, xarf or both",
			    shown(v, vn, sh, sizeof(sh)));
			p->bad_entry = 1;
		}
		break;
	default:
		break;
	}
	return 0;
}

static int
line_parse(struct parse *p, const char *l, size_t n)
{
	size_t i = 0;

	while (i < n && blank(l[i]))
		i++;
	while (n > i && blank(l[n - 1]))
		n--;
	if (i == n || l[i] == '#')
		return 0;
	if (l[i] == '[')
		return header_parse(p, l + i, n - i);
	return field_parse(p, l + i, n - i);
}

int
contacts_load_mem(struct contacts *ct, const char *name, const void *buf,
    size_t len, struct mm_diag *diag)
{
	struct parse p;
	struct cursor c;
	const uint8_t *line, *nl;
	char l[CONTACTS_MAX_LINE + 1];
	size_t n, left;
	int rc = 0;

	mm_diag_clear(diag);
	if (ct == NULL || (buf == NULL && len > 0))
		return mm_diag_set(diag, MM_EINVAL, "contacts: no set or "
		    "buffer");
	if (name == NULL)
		name = "contacts";
	memset(&p, 0, sizeof(p));
	p.ct = ct;
	p.file = attrib_base_name(name);
	p.cur = NONE;
	p.diag = diag;
	if (len > CONTACTS_MAX_FILE)
		return mm_diag_set(diag, MM_ELIMIT, "%s: larger than %u bytes",
		    p.file, CONTACTS_MAX_FILE);
	cur_init(&c, buf, len);
	/* UTF-8 byte order mark */
	if (len >= 3 && memcmp(buf, "\xef\xbb\xbf", 3) == 0)
		cur_skip(&c, 3);
	while ((left = cur_left(&c)) > 0) {
		line = cur_ptr(&c);
		nl = memchr(line, '\n', left);
		n = nl == NULL ? left : (size_t)(nl - line);
		cur_skip(&c, nl == NULL ? n : n + 1);
		p.lineno++;
		ct->st.lines++;
		if (n > 0 && line[n - 1] == '\r')
			n--;
		if (n > CONTACTS_MAX_LINE) {
			perr(&p, "line longer than %d bytes (skipped)",
			    CONTACTS_MAX_LINE);
			if (p.cur != NONE)
				p.bad_entry = 1;
			continue;
		}
		if (memchr(line, '\0', n) != NULL) {
			perr(&p, "NUL byte in line (skipped)");
			if (p.cur != NONE)
				p.bad_entry = 1;
			continue;
		}
		memcpy(l, line, n);
		l[n] = '\0';
		if ((rc = line_parse(&p, l, n)) != 0)
			break;
	}
	if (rc == 0)
		rc = stanza_close(&p);
	else
		(void)stanza_close(&p);
	if (rc == MM_ELIMIT)
		return mm_diag_set(diag, rc, "%s:%lu: more than %u stanzas "
		    "or %u keys", p.file, p.lineno, CONTACTS_MAX_ENTRIES,
		    CONTACTS_MAX_KEYS);
	if (rc != 0)
		return mm_diag_set(diag, rc, "%s:%lu: %s", p.file, p.lineno,
		    mm_strerror(rc));
	return 0;
}

/* Reads `path` whole into a malloc'd buffer of at most `cap` bytes. */
static int
file_read(const char *path, size_t cap, char **bufp, size_t *lenp,
    struct mm_diag *diag)
{
	FILE *fp;
	char *buf = NULL, *nb;
	size_t n = 0, size = 0, r;
	int rc = 0;

	*bufp = NULL;
	*lenp = 0;
	if ((fp = fopen(path, "rb")) == NULL)
		return mm_diag_set(diag, MM_EIO, "%s: %s", path,
		    strerror(errno));
	for (;;) {
		if (n == size) {
			if (size > cap) {
				rc = mm_diag_set(diag, MM_ELIMIT, "%s: larger "
				    "than %zu bytes", path, cap);
				goto out;
			}
			size = size == 0 ? 65536 : size * 2;
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
		rc = mm_diag_set(diag, MM_ELIMIT, "%s: larger than %zu bytes",
		    path, cap);
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

int
contacts_load(struct contacts *ct, const char *path, struct mm_diag *diag)
{
	char *buf = NULL;
	size_t n;
	int rc;

	mm_diag_clear(diag);
	if (ct == NULL || path == NULL)
		return mm_diag_set(diag, MM_EINVAL, "contacts: no set or path");
	if ((rc = file_read(path, CONTACTS_MAX_FILE, &buf, &n, diag)) != 0)
		return rc;
	rc = contacts_load_mem(ct, path, buf, n, diag);
	free(buf);
	return rc;
}
