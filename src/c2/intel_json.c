/*
 * intel_json.c - JSON intel formats: STIX 2.1 (bundles, object arrays, lone
 * indicators, TAXII envelopes) and MISP (events, {"response": [...]} search
 * results, feed directories of manifest.json + <uuid>.json).
 *
 * Documents are parsed whole by jansson (size capped by INTEL_MAX_FILE,
 * nesting by jansson's own depth limit) and then walked; every skipped object
 * is reported with its JSON path and field.
 *
 * STIX patterns: a small recursive-descent parser over the subset that names
 * network addresses:
 *
 *   pattern     = observation *( "OR" observation )
 *   observation = "[" comparison *( ("AND" / "OR") comparison ) "]"
 *   comparison  = path ( "=" / "ISSUBSET" ) ( 'string' / integer )
 *
 * with paths ipv4-addr:value, ipv6-addr:value, network-traffic:dst_ref.value,
 * network-traffic:src_ref.value (address or CIDR) and network-traffic:dst_port
 * (integer). Inside one observation, OR-joined address comparisons each give
 * an indicator; an AND-joined observation gives one address with at most one
 * port (protocol comparisons are ignored: they only narrow). Anything else
 * (qualifiers, NOT, other operators, AND/FOLLOWEDBY between observations,
 * parentheses) makes the pattern "unsupported" (counted, not an error). At
 * most PAT_MAX_ITEMS indicators per pattern; patterns longer than
 * INTEL_MAX_PATTERN are malformed.
 *
 * Cost: O(document size) for jansson, then O(objects + pattern length).
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "core/addr.h"
#include "core/err.h"
#include "core/mtime.h"
#include "c2/intel.h"
#include "c2/intel_int.h"

#define PAT_MAX_ITEMS	64
#define PAT_STR_MAX	128

/* ------------------------------------------------------------------ */
/* STIX pattern lexer and parser */

enum ptok {
	PT_EOF, PT_LBRACK, PT_RBRACK, PT_LPAREN, PT_RPAREN, PT_STR, PT_NUM,
	PT_WORD, PT_OP, PT_BAD
};

struct plex {
	const char	*s;
	size_t		 len, i;
	enum ptok	 tok;
	const char	*w;		/* PT_WORD, PT_OP, PT_NUM text */
	size_t		 wn;
	char		 str[PAT_STR_MAX];	/* PT_STR, unescaped */
	size_t		 strn;
	int		 strlong;	/* string did not fit */
};

struct pitem {
	struct mm_prefix p;
	uint16_t	 port;
};

struct pres {
	struct pitem	 item[PAT_MAX_ITEMS];
	size_t		 n;
	int		 unsupported;
	char		 why[80];
};

static int
word_char(int ch)
{
	return isalnum(ch) || ch == '_' || ch == '-' || ch == ':' ||
	    ch == '.' || ch == '*';
}

static void
plex_next(struct plex *x)
{
	const char *s = x->s;
	size_t j;

	while (x->i < x->len && isspace((unsigned char)s[x->i]))
		x->i++;
	x->w = s + x->i;
	x->wn = 0;
	if (x->i >= x->len) {
		x->tok = PT_EOF;
		return;
	}
	switch (s[x->i]) {
	case '[':
		x->tok = PT_LBRACK;
		x->i++;
		return;
	case ']':
		x->tok = PT_RBRACK;
		x->i++;
		return;
	case '(':
		x->tok = PT_LPAREN;
		x->i++;
		return;
	case ')':
		x->tok = PT_RPAREN;
		x->i++;
		return;
	case '\'':
		x->i++;
		x->strn = 0;
		x->strlong = 0;
		for (;;) {
			char ch;

			if (x->i >= x->len) {
				x->tok = PT_BAD;
				return;
			}
			ch = s[x->i++];
			if (ch == '\'')
				break;
			if (ch == '\\') {
				if (x->i >= x->len) {
					x->tok = PT_BAD;
					return;
				}
				ch = s[x->i++];
				if (ch != '\'' && ch != '\\') {
					x->tok = PT_BAD;
					return;
				}
			}
			if (x->strn < sizeof(x->str) - 1)
				x->str[x->strn++] = ch;
			else
				x->strlong = 1;
		}
		x->str[x->strn] = '\0';
		x->tok = PT_STR;
		return;
	case '=': case '!': case '<': case '>':
		j = x->i + 1;
		if (j < x->len && s[j] == '=')
			j++;
		x->wn = j - x->i;
		x->i = j;
		x->tok = PT_OP;
		if (x->wn == 1 && x->w[0] == '!')
			x->tok = PT_BAD;
		return;
	}
	if (isdigit((unsigned char)s[x->i]) || (s[x->i] == '-' &&
	    x->i + 1 < x->len && isdigit((unsigned char)s[x->i + 1]))) {
		j = x->i + 1;
		while (j < x->len && (isdigit((unsigned char)s[j]) ||
		    s[j] == '.'))
			j++;
		x->wn = j - x->i;
		x->i = j;
		x->tok = PT_NUM;
		return;
	}
	if (!word_char((unsigned char)s[x->i])) {
		x->tok = PT_BAD;
		return;
	}
	j = x->i;
	for (;;) {
		while (j < x->len && word_char((unsigned char)s[j]))
			j++;
		/* list index inside a path: protocols[*], values[0] */
		if (j + 2 < x->len && s[j] == '[' && (s[j + 1] == '*' ||
		    isdigit((unsigned char)s[j + 1]))) {
			size_t k = j + 1;

			while (k < x->len && (s[k] == '*' ||
			    isdigit((unsigned char)s[k])))
				k++;
			if (k < x->len && s[k] == ']') {
				j = k + 1;
				continue;
			}
		}
		break;
	}
	x->wn = j - x->i;
	x->i = j;
	x->tok = PT_WORD;
}

static int
tok_is(const struct plex *x, const char *w)
{
	size_t n = strlen(w);

	return (x->tok == PT_WORD || x->tok == PT_OP) && x->wn == n &&
	    strncmp(x->w, w, n) == 0;
}

static int
pres_unsup(struct pres *r, const char *why)
{
	if (!r->unsupported)
		snprintf(r->why, sizeof(r->why), "%s", why);
	r->unsupported = 1;
	return 0;
}

enum pkind { PK_OTHER, PK_ADDR4, PK_ADDR6, PK_ADDR, PK_PORT, PK_PROTO };

static enum pkind
path_kind(const struct plex *x)
{
	if (tok_is(x, "ipv4-addr:value"))
		return PK_ADDR4;
	if (tok_is(x, "ipv6-addr:value"))
		return PK_ADDR6;
	if (tok_is(x, "network-traffic:dst_ref.value") ||
	    tok_is(x, "network-traffic:src_ref.value"))
		return PK_ADDR;
	if (tok_is(x, "network-traffic:dst_port"))
		return PK_PORT;
	if (x->wn > 26 && strncmp(x->w, "network-traffic:protocols[", 26) == 0)
		return PK_PROTO;
	return PK_OTHER;
}

/*
 * One observation, after its '['. Returns 0 (items appended, or marked
 * unsupported) or -1 for a syntax error (x->i names the place).
 */
static int
pat_observation(struct plex *x, struct pres *r, const char **err)
{
	struct pitem addrs[PAT_MAX_ITEMS];
	size_t naddr = 0, i;
	uint16_t port = 0;
	int nport = 0, nother = 0, conn = 0;	/* 1 AND, 2 OR, 3 mixed */
	enum pkind k;
	int subset;

	for (;;) {
		plex_next(x);
		if (x->tok == PT_LPAREN)
			return pres_unsup(r, "parentheses");
		if (x->tok != PT_WORD || strchr("0123456789", x->w[0]) ||
		    memchr(x->w, ':', x->wn) == NULL) {
			*err = "object path expected";
			return -1;
		}
		k = path_kind(x);
		plex_next(x);
		if (tok_is(x, "NOT"))
			return pres_unsup(r, "NOT");
		subset = tok_is(x, "ISSUBSET");
		if (!subset && !(x->tok == PT_OP && x->wn == 1 &&
		    x->w[0] == '=')) {
			if (x->tok != PT_OP && x->tok != PT_WORD) {
				*err = "comparison operator expected";
				return -1;
			}
			/* another operator: skip its operand, then give up */
			return pres_unsup(r, "operator other than = or "
			    "ISSUBSET");
		}
		plex_next(x);
		if (x->tok == PT_BAD) {
			*err = "bad string literal";
			return -1;
		}
		if (x->tok == PT_LPAREN)
			return pres_unsup(r, "set operand");
		if (x->tok != PT_STR && x->tok != PT_NUM) {
			*err = "value expected";
			return -1;
		}
		if (k == PK_ADDR4 || k == PK_ADDR6 || k == PK_ADDR) {
			struct mm_prefix p;
			uint16_t pp;
			int v4;

			if (x->tok != PT_STR || x->strlong ||
			    intel_parse_value(x->str, x->strn, &p, &pp) != 0 ||
			    pp != 0 || memchr(x->str, '|', x->strn) != NULL) {
				*err = "bad address value";
				return -1;
			}
			v4 = addr_is_v4(&p.addr) && p.len >= 96;
			if ((k == PK_ADDR4 && !v4) || (k == PK_ADDR6 && v4)) {
				*err = "address family does not match the "
				    "object type";
				return -1;
			}
			if (subset && memchr(x->str, '/', x->strn) == NULL) {
				*err = "ISSUBSET needs a CIDR value";
				return -1;
			}
			if (naddr < PAT_MAX_ITEMS) {
				addrs[naddr].p = p;
				addrs[naddr].port = 0;
				naddr++;
			}
		} else if (k == PK_PORT) {
			unsigned long v = 0;

			if (x->tok != PT_NUM || subset || x->wn > 5) {
				*err = "bad port value";
				return -1;
			}
			for (i = 0; i < x->wn; i++) {
				if (!isdigit((unsigned char)x->w[i])) {
					*err = "bad port value";
					return -1;
				}
				v = v * 10 + (unsigned long)(x->w[i] - '0');
			}
			if (v == 0 || v > 65535) {
				*err = "port out of range";
				return -1;
			}
			port = (uint16_t)v;
			nport++;
		} else if (k != PK_PROTO)
			nother++;
		plex_next(x);
		if (x->tok == PT_RBRACK)
			break;
		if (tok_is(x, "AND"))
			conn |= 1;
		else if (tok_is(x, "OR"))
			conn |= 2;
		else {
			*err = "AND, OR or ']' expected";
			return -1;
		}
	}
	if (conn == 3)
		return pres_unsup(r, "AND mixed with OR");
	if (conn == 1) {
		if (naddr != 1 || nport > 1 || nother > 0)
			return pres_unsup(r, "AND of other than one address "
			    "and one port");
		addrs[0].port = port;
	} else if (nport > 0 && naddr == 0)
		return pres_unsup(r, "port without address");
	for (i = 0; i < naddr && r->n < PAT_MAX_ITEMS; i++)
		r->item[r->n++] = addrs[i];
	if (naddr == 0)
		return pres_unsup(r, "no network address comparison");
	return 0;
}

/*
 * Parses `s`; fills r. Returns 0 (r->n items; r->unsupported may be set) or
 * -1 on a syntax error with *err and *pos set.
 */
static int
pat_parse(const char *s, size_t len, struct pres *r, const char **err,
    size_t *pos)
{
	struct plex x;
	struct pres sub;
	size_t i;

	memset(&x, 0, sizeof(x));
	x.s = s;
	x.len = len;
	r->n = 0;
	r->unsupported = 0;
	r->why[0] = '\0';
	plex_next(&x);
	for (;;) {
		if (x.tok == PT_LPAREN) {
			pres_unsup(r, "parentheses");
			return 0;
		}
		if (x.tok != PT_LBRACK) {
			*err = "'[' expected";
			*pos = x.i;
			return -1;
		}
		memset(&sub, 0, sizeof(sub));
		if (pat_observation(&x, &sub, err) != 0) {
			*pos = x.i;
			return -1;
		}
		if (sub.unsupported) {
			/* rest of this observation is skipped wholesale */
			pres_unsup(r, sub.why);
			return 0;
		}
		for (i = 0; i < sub.n && r->n < PAT_MAX_ITEMS; i++)
			r->item[r->n++] = sub.item[i];
		plex_next(&x);
		if (x.tok == PT_EOF)
			return 0;
		if (!tok_is(&x, "OR")) {
			r->n = 0;
			pres_unsup(r, "qualifier or operator between "
			    "observations");
			return 0;
		}
		plex_next(&x);
	}
}

/* ------------------------------------------------------------------ */
/* STIX objects */

static const char *
jstr(const json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

/* Builds indicator id -> malware name from "indicates" relationships. */
static json_t *
stix_families(const json_t *objs)
{
	json_t *mal, *fam, *o;
	const char *t, *id, *name, *src, *dst;
	size_t i;

	mal = json_object();
	fam = json_object();
	if (mal == NULL || fam == NULL)
		goto fail;
	json_array_foreach(objs, i, o) {
		t = jstr(o, "type");
		if (t != NULL && strcmp(t, "malware") == 0 &&
		    (id = jstr(o, "id")) != NULL &&
		    (name = jstr(o, "name")) != NULL)
			json_object_set_new(mal, id, json_string(name));
	}
	if (json_object_size(mal) == 0)
		goto done;
	json_array_foreach(objs, i, o) {
		t = jstr(o, "type");
		if (t == NULL || strcmp(t, "relationship") != 0)
			continue;
		if ((t = jstr(o, "relationship_type")) == NULL ||
		    strcmp(t, "indicates") != 0)
			continue;
		src = jstr(o, "source_ref");
		dst = jstr(o, "target_ref");
		if (src != NULL && dst != NULL &&
		    json_object_get(mal, dst) != NULL)
			json_object_set(fam, src, json_object_get(mal, dst));
	}
done:
	json_decref(mal);
	return fam;
fail:
	json_decref(mal);
	json_decref(fam);
	return NULL;
}

static int
stix_indicator(struct intel_ctx *c, const json_t *o, const char *where,
    const json_t *fam)
{
	const char *pat, *tag = NULL, *vu, *id, *err = NULL, *pt;
	const json_t *j;
	struct pres *r;
	json_int_t ci;
	int64_t until = 0;
	size_t i, plen, pos = 0;
	int conf = -1, rc = 0;

	id = jstr(o, "id");
	if (id == NULL)
		id = "?";
	c->st->records++;
	if ((pt = jstr(o, "pattern_type")) != NULL && strcmp(pt, "stix") != 0) {
		c->st->unsupported++;
		return 0;
	}
	if (json_is_true(json_object_get(o, "revoked"))) {
		c->st->expired++;
		return 0;
	}
	if ((j = json_object_get(o, "valid_until")) != NULL) {
		if ((vu = json_string_value(j)) == NULL ||
		    mtime_parse(vu, &until) != 0 || until == 0) {
			intel_bad(c, &c->st->malformed, "%s (%.60s): field "
			    "valid_until: not an RFC 3339 timestamp", where,
			    id);
			return 0;
		}
		if (intel_expired(c, until)) {
			c->st->expired++;
			return 0;
		}
	}
	if ((j = json_object_get(o, "confidence")) != NULL) {
		if (!json_is_integer(j) || (ci = json_integer_value(j)) < 0 ||
		    ci > 100) {
			intel_bad(c, &c->st->malformed, "%s (%.60s): field "
			    "confidence: not an integer 0..100", where, id);
			return 0;
		}
		conf = (int)ci;
	}
	if ((j = json_object_get(o, "pattern")) == NULL ||
	    (pat = json_string_value(j)) == NULL) {
		intel_bad(c, &c->st->malformed, "%s (%.60s): field pattern: "
		    "missing or not a string", where, id);
		return 0;
	}
	plen = json_string_length(j);
	if (plen > INTEL_MAX_PATTERN) {
		intel_bad(c, &c->st->malformed, "%s (%.60s): field pattern: "
		    "longer than %d bytes", where, id, INTEL_MAX_PATTERN);
		return 0;
	}
	if (fam != NULL)
		tag = jstr(fam, id);
	if (tag == NULL)
		tag = jstr(o, "name");
	if (tag == NULL)
		tag = json_string_value(json_array_get(json_object_get(o,
		    "labels"), 0));
	if (tag == NULL)
		tag = json_string_value(json_array_get(json_object_get(o,
		    "indicator_types"), 0));
	if (tag == NULL)
		tag = "stix";
	if ((r = malloc(sizeof(*r))) == NULL)
		return mm_diag_set(c->d, MM_ENOMEM, "out of memory");
	if (pat_parse(pat, plen, r, &err, &pos) != 0) {
		intel_bad(c, &c->st->malformed, "%s (%.60s): field pattern: "
		    "%s at offset %zu", where, id, err, pos);
		goto out;
	}
	if (r->n == 0) {
		c->st->unsupported++;
		goto out;
	}
	for (i = 0; i < r->n; i++)
		if ((rc = intel_add(c, &r->item[i].p, r->item[i].port, tag,
		    strlen(tag), conf, until)) != 0)
			break;
out:
	free(r);
	return rc;
}

static int
stix_objects(struct intel_ctx *c, const json_t *objs, const char *base)
{
	json_t *fam, *o;
	const char *t;
	char where[64];
	size_t i;
	int rc = 0;

	fam = stix_families(objs);
	json_array_foreach(objs, i, o) {
		if (!json_is_object(o)) {
			c->st->records++;
			intel_bad(c, &c->st->malformed, "%s[%zu]: not an "
			    "object", base, i);
			continue;
		}
		if ((t = jstr(o, "type")) == NULL ||
		    strcmp(t, "indicator") != 0)
			continue;
		snprintf(where, sizeof(where), "%s[%zu]", base, i);
		if ((rc = stix_indicator(c, o, where, fam)) != 0)
			break;
	}
	json_decref(fam);
	return rc;
}

static int
stix_root(struct intel_ctx *c, const json_t *root)
{
	const json_t *objs;
	const char *t;

	if (json_is_array(root))
		return stix_objects(c, root, "$");
	if ((objs = json_object_get(root, "objects")) != NULL) {
		if (!json_is_array(objs))
			return mm_diag_set(c->d, MM_EFORMAT, "%s: $.objects: "
			    "not an array", c->file);
		return stix_objects(c, objs, "objects");
	}
	if ((t = jstr(root, "type")) != NULL && strcmp(t, "indicator") == 0)
		return stix_indicator(c, root, "$", NULL);
	return mm_diag_set(c->d, MM_EFORMAT, "%s: not a STIX bundle, object "
	    "list or indicator", c->file);
}

/* ------------------------------------------------------------------ */
/* MISP */

struct mevent {
	const char	*tag;
	size_t		 taglen;
	int		 conf;
};

static int
jbool(const json_t *j, int dflt)
{
	const char *s;

	if (j == NULL)
		return dflt;
	if (json_is_boolean(j))
		return json_is_true(j);
	if (json_is_integer(j))
		return json_integer_value(j) != 0;
	if ((s = json_string_value(j)) != NULL)
		return strcmp(s, "1") == 0 || strcmp(s, "true") == 0 ||
		    strcmp(s, "True") == 0;
	return dflt;
}

static int
misp_attribute(struct intel_ctx *c, const struct mevent *ev, const json_t *a,
    const char *where)
{
	const char *type, *val, *q;
	struct mm_prefix p;
	uint16_t port;
	size_t vlen;
	int rc;

	if (!json_is_object(a)) {
		c->st->records++;
		intel_bad(c, &c->st->malformed, "%s: not an object", where);
		return 0;
	}
	if (jbool(json_object_get(a, "deleted"), 0))
		return 0;
	c->st->records++;
	if ((type = jstr(a, "type")) == NULL) {
		intel_bad(c, &c->st->malformed, "%s: field type: missing",
		    where);
		return 0;
	}
	if (strcmp(type, "ip-dst") != 0 && strcmp(type, "ip-src") != 0 &&
	    strcmp(type, "ip-dst|port") != 0 &&
	    strcmp(type, "ip-src|port") != 0 &&
	    strcmp(type, "domain|ip") != 0) {
		c->st->unsupported++;
		return 0;
	}
	if (!c->non_ids && !jbool(json_object_get(a, "to_ids"), 1)) {
		c->st->not_ids++;
		return 0;
	}
	if ((val = jstr(a, "value")) == NULL) {
		intel_bad(c, &c->st->malformed, "%s: field value: missing",
		    where);
		return 0;
	}
	vlen = json_string_length(json_object_get(a, "value"));
	if (strcmp(type, "domain|ip") == 0) {
		if ((q = memchr(val, '|', vlen)) == NULL) {
			intel_bad(c, &c->st->malformed, "%s: field value: "
			    "domain|ip without '|'", where);
			return 0;
		}
		vlen -= (size_t)(q + 1 - val);
		val = q + 1;
	} else if (strchr(type, '|') == NULL && memchr(val, '|', vlen)) {
		intel_bad(c, &c->st->malformed, "%s: field value: '|' in %s",
		    where, type);
		return 0;
	}
	if ((rc = intel_parse_value(val, vlen, &p, &port)) != 0 ||
	    (strchr(type, '|') != NULL && strcmp(type, "domain|ip") != 0 &&
	    port == 0)) {
		intel_bad(c, &c->st->malformed, "%s: field value: \"%.60s\" "
		    "is not a valid %s", where, val, type);
		return 0;
	}
	if (strcmp(type, "domain|ip") == 0)
		port = 0;
	return intel_add(c, &p, port, ev->tag, ev->taglen, ev->conf, 0);
}

static int
misp_attrs(struct intel_ctx *c, const struct mevent *ev, const json_t *arr,
    const char *base)
{
	const json_t *a;
	char where[160];
	size_t i;
	int rc;

	if (arr == NULL)
		return 0;
	if (!json_is_array(arr)) {
		intel_bad(c, &c->st->malformed, "%s: not an array", base);
		return 0;
	}
	json_array_foreach(arr, i, a) {
		snprintf(where, sizeof(where), "%s[%zu]", base, i);
		if ((rc = misp_attribute(c, ev, a, where)) != 0)
			return rc;
	}
	return 0;
}

/* The family from the first "misp-galaxy:...=\"Name\"" tag, if any. */
static const char *
misp_galaxy(const json_t *tags, size_t *len)
{
	const json_t *t;
	const char *n, *q, *e;
	size_t i;

	json_array_foreach(tags, i, t) {
		if ((n = jstr(t, "name")) == NULL ||
		    strncmp(n, "misp-galaxy:", 12) != 0)
			continue;
		if ((q = strstr(n, "=\"")) == NULL ||
		    (e = strchr(q + 2, '"')) == NULL || e == q + 2)
			continue;
		*len = (size_t)(e - q - 2);
		return q + 2;
	}
	return NULL;
}

static int
misp_event(struct intel_ctx *c, const json_t *e, const char *base)
{
	struct mevent ev;
	const json_t *tl, *objs, *o;
	const char *s;
	char where[128];
	size_t i;
	long lvl = 0;
	int rc;

	if (!json_is_object(e)) {
		intel_bad(c, &c->st->malformed, "%s: not an object", base);
		return 0;
	}
	ev.tag = misp_galaxy(json_object_get(e, "Tag"), &ev.taglen);
	if (ev.tag == NULL && (ev.tag = jstr(e, "info")) != NULL)
		ev.taglen = json_string_length(json_object_get(e, "info"));
	if (ev.tag == NULL) {
		ev.tag = "misp";
		ev.taglen = 4;
	}
	tl = json_object_get(e, "threat_level_id");
	if (json_is_integer(tl))
		lvl = (long)json_integer_value(tl);
	else if ((s = json_string_value(tl)) != NULL && s[0] >= '1' &&
	    s[0] <= '4' && s[1] == '\0')
		lvl = s[0] - '0';
	ev.conf = lvl == 1 ? 90 : lvl == 2 ? 70 : lvl == 3 ? 50 : -1;
	snprintf(where, sizeof(where), "%s.Attribute", base);
	if ((rc = misp_attrs(c, &ev, json_object_get(e, "Attribute"),
	    where)) != 0)
		return rc;
	objs = json_object_get(e, "Object");
	if (objs != NULL && json_is_array(objs)) {
		json_array_foreach(objs, i, o) {
			snprintf(where, sizeof(where), "%s.Object[%zu]"
			    ".Attribute", base, i);
			if ((rc = misp_attrs(c, &ev,
			    json_object_get(o, "Attribute"), where)) != 0)
				return rc;
		}
	}
	return 0;
}

static int
misp_root(struct intel_ctx *c, const json_t *root)
{
	const json_t *arr, *el;
	char where[64];
	size_t i;
	int rc;

	if (json_is_object(root) && json_object_get(root, "Event") != NULL)
		return misp_event(c, json_object_get(root, "Event"), "Event");
	if (json_is_object(root) && json_object_get(root, "Attribute") != NULL)
		return misp_event(c, root, "$");
	arr = json_is_array(root) ? root : json_object_get(root, "response");
	if (!json_is_array(arr))
		return mm_diag_set(c->d, MM_EFORMAT, "%s: not a MISP event "
		    "(no Event, Attribute or response)", c->file);
	json_array_foreach(arr, i, el) {
		snprintf(where, sizeof(where), "%s[%zu].Event",
		    arr == root ? "$" : "response", i);
		if (json_object_get(el, "Event") != NULL)
			el = json_object_get(el, "Event");
		if ((rc = misp_event(c, el, where)) != 0)
			return rc;
	}
	return 0;
}

/* ------------------------------------------------------------------ */
/* detection and entry points */

static int
json_parse(struct intel_ctx *c, const uint8_t *buf, size_t len, json_t **root)
{
	json_error_t je;

	*root = json_loadb((const char *)buf, len, 0, &je);
	if (*root == NULL)
		return mm_diag_set(c->d, MM_EFORMAT, "%s: JSON line %d column "
		    "%d: %s", c->file, je.line, je.column, je.text);
	return 0;
}

static enum intel_format
json_detect(const json_t *root)
{
	const json_t *first, *v;
	const char *t, *k;

	if (json_is_array(root)) {
		first = json_array_get(root, 0);
		if (json_object_get(first, "Event") != NULL)
			return INTEL_FMT_MISP_JSON;
		if (jstr(first, "type") != NULL || first == NULL)
			return INTEL_FMT_STIX;
		return INTEL_FMT_AUTO;
	}
	if (!json_is_object(root))
		return INTEL_FMT_AUTO;
	if (json_object_get(root, "Event") != NULL ||
	    json_object_get(root, "response") != NULL ||
	    (json_object_get(root, "Attribute") != NULL &&
	    json_object_get(root, "info") != NULL))
		return INTEL_FMT_MISP_JSON;
	t = jstr(root, "type");
	if (json_object_get(root, "objects") != NULL ||
	    (t != NULL && (strcmp(t, "bundle") == 0 ||
	    strcmp(t, "indicator") == 0)))
		return INTEL_FMT_STIX;
	json_object_foreach((json_t *)root, k, v) {
		if (json_object_get(v, "info") != NULL &&
		    json_object_get(v, "Orgc") != NULL)
			return INTEL_FMT_MISP_DIR;	/* a manifest */
		break;
	}
	return INTEL_FMT_AUTO;
}

int
intel_json_feed(struct intel_ctx *c, const uint8_t *buf, size_t len,
    enum intel_format fmt, enum intel_format *used)
{
	json_t *root;
	int rc;

	if ((rc = json_parse(c, buf, len, &root)) != 0)
		return rc;
	if (fmt == INTEL_FMT_AUTO) {
		fmt = json_detect(root);
		if (fmt == INTEL_FMT_MISP_DIR) {
			rc = mm_diag_set(c->d, MM_EFORMAT, "%s: a MISP feed "
			    "manifest: load its directory", c->file);
			goto out;
		}
		if (fmt == INTEL_FMT_AUTO) {
			rc = mm_diag_set(c->d, MM_EFORMAT, "%s: JSON that is "
			    "neither STIX 2.1 nor MISP", c->file);
			goto out;
		}
	}
	if (used != NULL)
		*used = fmt;
	if (fmt == INTEL_FMT_STIX)
		rc = stix_root(c, root);
	else
		rc = misp_root(c, root);
out:
	json_decref(root);
	return rc;
}

static int
uuid_ok(const char *s)
{
	size_t i;

	for (i = 0; s[i] != '\0'; i++)
		if (!isxdigit((unsigned char)s[i]) && s[i] != '-')
			return 0;
	return i > 0 && i <= 64;
}

int
intel_misp_dir(struct intel_ctx *c, const char *dir)
{
	json_t *man = NULL, *v, *root;
	struct mm_diag ed;
	const char *uuid, *file = c->file;
	char path[4096], name[96];
	uint8_t *buf = NULL;
	size_t len, nev = 0;
	int rc;

	if ((size_t)snprintf(path, sizeof(path), "%s/manifest.json", dir) >=
	    sizeof(path))
		return mm_diag_set(c->d, MM_EINVAL, "%s: path too long", dir);
	if ((rc = intel_read_file(path, &buf, &len, c->d)) != 0)
		return rc;
	c->file = path;
	rc = json_parse(c, buf, len, &man);
	free(buf);
	buf = NULL;
	if (rc != 0)
		goto out;
	if (!json_is_object(man)) {
		rc = mm_diag_set(c->d, MM_EFORMAT, "%s: not a JSON object of "
		    "event uuids", path);
		goto out;
	}
	json_object_foreach(man, uuid, v) {
		c->file = file;
		if (++nev > INTEL_MAX_EVENTS) {
			rc = mm_diag_set(c->d, MM_ELIMIT, "%s: more than %d "
			    "events", dir, INTEL_MAX_EVENTS);
			goto out;
		}
		if (!uuid_ok(uuid)) {
			c->st->records++;
			intel_bad(c, &c->st->malformed, "manifest.json: key "
			    "\"%.60s\" is not an event uuid", uuid);
			continue;
		}
		snprintf(name, sizeof(name), "%s.json", uuid);
		if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, name) >=
		    sizeof(path))
			continue;
		if (intel_read_file(path, &buf, &len, &ed) != 0) {
			c->st->records++;
			intel_bad(c, &c->st->malformed, "%s", ed.msg);
			continue;
		}
		c->file = name;
		if (json_parse(c, buf, len, &root) != 0) {
			free(buf);
			buf = NULL;
			c->st->records++;
			intel_bad(c, &c->st->malformed, "event file does not "
			    "parse as JSON");
			mm_diag_clear(c->d);
			continue;
		}
		free(buf);
		buf = NULL;
		rc = misp_root(c, root);
		json_decref(root);
		if (rc == MM_EFORMAT) {
			c->st->records++;
			intel_bad(c, &c->st->malformed, "not a MISP event");
			mm_diag_clear(c->d);
			rc = 0;
		}
		if (rc != 0)
			goto out;
	}
out:
	c->file = file;
	json_decref(man);
	free(buf);
	return rc;
}
