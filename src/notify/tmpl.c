/*
 * tmpl.c - the notification template language (see tmpl.h).
 *
 * Design: a template is parsed once into a flat array of nodes (text,
 * variable, section, inverted section); a section node records the index
 * just past its body, so rendering is a loop over [begin, end) that
 * recurses only into section bodies (depth capped at TMPL_MAX_DEPTH by the
 * parser). Text nodes point into the template's own copy of the source.
 * Variables are small scopes (arrays searched linearly: a notification
 * has tens of names, not thousands); a list row is a scope whose parent is
 * the scope holding the list, so outer names stay visible inside loops.
 *
 * Missing names are errors: an abuse report with a blank where the CVE or
 * the contact address should be is worse than no report.
 *
 * Costs: parse O(template bytes); render O(output bytes + tags * names in
 * scope chain). Output is bounded by TMPL_OUT_MAX; templates by
 * TMPL_MAX_SIZE and TMPL_MAX_NODES.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/sbuf.h"
#include "notify/tmpl.h"

enum node_type {
	N_TEXT,
	N_VAR,
	N_SEC,
	N_INV
};

struct node {
	enum node_type	 type;
	int		 line;
	const char	*text;		/* N_TEXT: into tmpl->src */
	size_t		 len;
	char		 name[TMPL_NAME_MAX + 1];
	unsigned	 pad;		/* N_VAR: 0 = none */
	int		 right;		/* N_VAR: right-aligned */
	size_t		 end;		/* N_SEC/N_INV: index past the body */
};

struct tmpl {
	char		*src;
	char		 name[64];
	struct node	*nodes;
	size_t		 n, cap;
};

struct ent {
	char		 name[TMPL_NAME_MAX + 1];
	char		*value;		/* string, or NULL for a list */
	struct tmpl_vars **rows;
	size_t		 nrows, caprows;
};

struct tmpl_vars {
	const struct tmpl_vars *parent;
	struct ent	*ents;
	size_t		 n, cap;
};

/* ---- UTF-8 ---- */

/* Decodes one code point at s[0..n); returns its length (1 for an invalid
 * byte, with *cp = 0xFFFD) and never 0 for n > 0. */
static size_t
utf8_next(const unsigned char *s, size_t n, uint32_t *cp)
{
	uint32_t c;
	size_t l, i;

	if (s[0] < 0x80) {
		*cp = s[0];
		return 1;
	}
	if (s[0] >= 0xC2 && s[0] <= 0xDF) {
		l = 2;
		c = s[0] & 0x1F;
	} else if (s[0] >= 0xE0 && s[0] <= 0xEF) {
		l = 3;
		c = s[0] & 0x0F;
	} else if (s[0] >= 0xF0 && s[0] <= 0xF4) {
		l = 4;
		c = s[0] & 0x07;
	} else
		goto bad;
	if (l > n)
		goto bad;
	for (i = 1; i < l; i++) {
		if ((s[i] & 0xC0) != 0x80)
			goto bad;
		c = (c << 6) | (s[i] & 0x3F);
	}
	if ((l == 3 && c < 0x800) || (l == 4 && (c < 0x10000 ||
	    c > 0x10FFFF)) || (c >= 0xD800 && c <= 0xDFFF))
		goto bad;
	*cp = c;
	return l;
bad:
	*cp = 0xFFFD;
	return 1;
}

static int
utf8_valid(const char *s, size_t n)
{
	size_t i = 0, l;
	uint32_t cp;

	while (i < n) {
		l = utf8_next((const unsigned char *)s + i, n - i, &cp);
		if (cp == 0xFFFD && l == 1 &&
		    (unsigned char)s[i] >= 0x80)
			return 0;
		i += l;
	}
	return 1;
}

static int
wide(uint32_t c)
{
	return (c >= 0x1100 && c <= 0x115F) ||
	    (c >= 0x2E80 && c <= 0x303E) ||
	    (c >= 0x3041 && c <= 0x33FF) ||
	    (c >= 0x3400 && c <= 0x4DBF) ||
	    (c >= 0x4E00 && c <= 0x9FFF) ||
	    (c >= 0xA000 && c <= 0xA4CF) ||
	    (c >= 0xAC00 && c <= 0xD7A3) ||
	    (c >= 0xF900 && c <= 0xFAFF) ||
	    (c >= 0xFE30 && c <= 0xFE4F) ||
	    (c >= 0xFF00 && c <= 0xFF60) ||
	    (c >= 0xFFE0 && c <= 0xFFE6) ||
	    (c >= 0x1F300 && c <= 0x1F64F) ||
	    (c >= 0x20000 && c <= 0x3FFFD);
}

size_t
tmpl_text_width(const char *s, size_t len)
{
	size_t i = 0, w = 0;
	uint32_t cp;

	while (i < len) {
		i += utf8_next((const unsigned char *)s + i, len - i, &cp);
		w += wide(cp) ? 2 : 1;
	}
	return w;
}

/* ---- parsing ---- */

static int
name_ok(const char *s, size_t n)
{
	size_t i;

	if (n == 0 || n > TMPL_NAME_MAX)
		return 0;
	for (i = 0; i < n; i++) {
		char c = s[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '_' || c == '.' ||
		    c == '-'))
			return 0;
	}
	return 1;
}

static struct node *
node_add(struct tmpl *t, enum node_type type, int line)
{
	struct node *nd;

	if (t->n >= TMPL_MAX_NODES)
		return NULL;
	if (t->n == t->cap) {
		size_t nc = t->cap ? t->cap * 2 : 32;
		struct node *np = realloc(t->nodes, nc * sizeof(*np));

		if (np == NULL)
			return NULL;
		t->nodes = np;
		t->cap = nc;
	}
	nd = &t->nodes[t->n++];
	memset(nd, 0, sizeof(*nd));
	nd->type = type;
	nd->line = line;
	return nd;
}

static int
count_lines(const char *s, size_t a, size_t b)
{
	int n = 0;

	for (; a < b; a++)
		if (s[a] == '\n')
			n++;
	return n;
}

static int
text_add(struct tmpl *t, size_t a, size_t b, int line, struct mm_diag *d)
{
	struct node *nd;

	if (b <= a)
		return 0;
	if ((nd = node_add(t, N_TEXT, line)) == NULL)
		return mm_diag_set(d, t->n >= TMPL_MAX_NODES ? MM_ELIMIT :
		    MM_ENOMEM, "%s:%d: too many template parts", t->name,
		    line);
	nd->text = t->src + a;
	nd->len = b - a;
	return 0;
}

/* tmpl_parse() with the first line numbered `line0` in diagnostics. */
static int
parse_at(const char *text, size_t len, const char *name, int line0,
    struct tmpl **out, struct mm_diag *d)
{
	struct tmpl *t = NULL;
	size_t stack[TMPL_MAX_DEPTH];
	size_t depth = 0, pos = 0;
	int line = line0, rc = 0;

	*out = NULL;
	if (name == NULL)
		name = "template";
	if (text == NULL)
		return mm_diag_set(d, MM_EINVAL, "%s: no text", name);
	if (len > TMPL_MAX_SIZE)
		return mm_diag_set(d, MM_ELIMIT, "%s: template over %d bytes",
		    name, TMPL_MAX_SIZE);
	if (!utf8_valid(text, len) || memchr(text, '\0', len) != NULL)
		return mm_diag_set(d, MM_EFORMAT, "%s: not UTF-8 text", name);
	if ((t = calloc(1, sizeof(*t))) == NULL ||
	    (t->src = malloc(len + 1)) == NULL) {
		rc = mm_diag_set(d, MM_ENOMEM, "%s: out of memory", name);
		goto out;
	}
	memcpy(t->src, text, len);
	t->src[len] = '\0';
	snprintf(t->name, sizeof(t->name), "%s", name);

	while (pos < len) {
		const char *s = t->src;
		char *open = strstr(s + pos, "{{");
		size_t p, q, a, b, k, r;
		char sigil = 0;
		int tagline, standalone = 0;
		char *close;

		if (open == NULL || (size_t)(open - s) >= len) {
			rc = text_add(t, pos, len, line, d);
			goto out_check;
		}
		p = (size_t)(open - s);
		tagline = line + count_lines(s, pos, p);
		if ((close = strstr(s + p + 2, "}}")) == NULL) {
			rc = mm_diag_set(d, MM_ESYNTAX, "%s:%d: '{{' without "
			    "'}}'", name, tagline);
			goto out;
		}
		q = (size_t)(close - s);
		a = p + 2;
		b = q;
		if (count_lines(s, a, b) > 0) {
			rc = mm_diag_set(d, MM_ESYNTAX, "%s:%d: tag spans "
			    "lines", name, tagline);
			goto out;
		}
		while (a < b && (s[a] == ' ' || s[a] == '\t'))
			a++;
		if (a < b && strchr("#^/!", s[a]) != NULL)
			sigil = s[a++];
		while (a < b && (s[a] == ' ' || s[a] == '\t'))
			a++;
		while (b > a && (s[b - 1] == ' ' || s[b - 1] == '\t'))
			b--;
		/* standalone line: only this tag and blanks */
		k = p;
		r = q + 2;
		if (sigil != 0) {
			while (k > pos && (s[k - 1] == ' ' || s[k - 1] == '\t'))
				k--;
			while (r < len && (s[r] == ' ' || s[r] == '\t'))
				r++;
			if ((k == 0 || s[k - 1] == '\n') &&
			    (r == len || s[r] == '\n' ||
			    (s[r] == '\r' && r + 1 < len && s[r + 1] == '\n')))
				standalone = 1;
		}
		if ((rc = text_add(t, pos, standalone ? k : p, line, d)) != 0)
			goto out;
		if (standalone) {
			if (r < len && s[r] == '\r')
				r++;
			if (r < len)
				r++;	/* the '\n' */
			pos = r;
		} else
			pos = q + 2;
		line = tagline + count_lines(s, p, pos);

		if (sigil == '!')
			continue;
		if (sigil == '/') {
			struct node *o;

			if (depth == 0) {
				rc = mm_diag_set(d, MM_ESYNTAX, "%s:%d: "
				    "'{{/%.*s}}' closes nothing", name,
				    tagline, (int)(b - a), s + a);
				goto out;
			}
			o = &t->nodes[stack[depth - 1]];
			if (strlen(o->name) != b - a ||
			    memcmp(o->name, s + a, b - a) != 0) {
				rc = mm_diag_set(d, MM_ESYNTAX, "%s:%d: "
				    "'{{/%.*s}}' closes section '%s' of line "
				    "%d", name, tagline, (int)(b - a), s + a,
				    o->name, o->line);
				goto out;
			}
			o->end = t->n;
			depth--;
			continue;
		}
		{
			size_t nl = b - a, i;
			unsigned pad = 0;
			int right = 0;
			struct node *nd;
			const char *colon = memchr(s + a, ':', b - a);

			if (colon != NULL && sigil == 0) {
				const char *w = colon + 1;

				nl = (size_t)(colon - (s + a));
				if (w < s + b && *w == '>') {
					right = 1;
					w++;
				}
				if (w == s + b)
					goto badname;
				for (; w < s + b; w++) {
					if (*w < '0' || *w > '9')
						goto badname;
					pad = pad * 10 + (unsigned)(*w - '0');
					if (pad > TMPL_PAD_MAX) {
						rc = mm_diag_set(d, MM_ELIMIT,
						    "%s:%d: width over %d",
						    name, tagline,
						    TMPL_PAD_MAX);
						goto out;
					}
				}
			}
			if (!name_ok(s + a, nl))
				goto badname;
			nd = node_add(t, sigil == '#' ? N_SEC : sigil == '^' ?
			    N_INV : N_VAR, tagline);
			if (nd == NULL) {
				rc = mm_diag_set(d, t->n >= TMPL_MAX_NODES ?
				    MM_ELIMIT : MM_ENOMEM, "%s:%d: too many "
				    "tags", name, tagline);
				goto out;
			}
			for (i = 0; i < nl; i++)
				nd->name[i] = s[a + i];
			nd->name[nl] = '\0';
			nd->pad = pad;
			nd->right = right;
			if (sigil == '#' || sigil == '^') {
				if (depth == TMPL_MAX_DEPTH) {
					rc = mm_diag_set(d, MM_ELIMIT, "%s:%d: "
					    "sections nested over %d", name,
					    tagline, TMPL_MAX_DEPTH);
					goto out;
				}
				stack[depth++] = t->n - 1;
			}
			continue;
badname:
			rc = mm_diag_set(d, MM_ESYNTAX, "%s:%d: bad tag "
			    "'{{%.*s}}'", name, tagline, (int)(q - p - 2),
			    s + p + 2);
			goto out;
		}
	}
out_check:
	if (rc == 0 && depth > 0)
		rc = mm_diag_set(d, MM_ESYNTAX, "%s:%d: section '%s' is not "
		    "closed", name, t->nodes[stack[depth - 1]].line,
		    t->nodes[stack[depth - 1]].name);
out:
	if (rc != 0) {
		tmpl_free(t);
		return rc;
	}
	*out = t;
	return 0;
}

int
tmpl_parse(const char *text, size_t len, const char *name,
    struct tmpl **out, struct mm_diag *d)
{
	return parse_at(text, len, name, 1, out, d);
}

void
tmpl_free(struct tmpl *t)
{
	if (t == NULL)
		return;
	free(t->src);
	free(t->nodes);
	free(t);
}

/* ---- variables ---- */

struct tmpl_vars *
tmpl_vars_new(void)
{
	return calloc(1, sizeof(struct tmpl_vars));
}

void
tmpl_vars_free(struct tmpl_vars *v)
{
	size_t i, j;

	if (v == NULL)
		return;
	for (i = 0; i < v->n; i++) {
		free(v->ents[i].value);
		for (j = 0; j < v->ents[i].nrows; j++)
			tmpl_vars_free(v->ents[i].rows[j]);
		free(v->ents[i].rows);
	}
	free(v->ents);
	free(v);
}

static struct ent *
ent_find(const struct tmpl_vars *v, const char *name)
{
	size_t i;

	for (i = 0; i < v->n; i++)
		if (strcmp(v->ents[i].name, name) == 0)
			return &v->ents[i];
	return NULL;
}

static struct ent *
ent_get(struct tmpl_vars *v, const char *name, int *rc)
{
	struct ent *e;

	*rc = 0;
	if (!name_ok(name, strlen(name))) {
		*rc = MM_EINVAL;
		return NULL;
	}
	if ((e = ent_find(v, name)) != NULL)
		return e;
	if (v->n == v->cap) {
		size_t nc = v->cap ? v->cap * 2 : 16;
		struct ent *ne = realloc(v->ents, nc * sizeof(*ne));

		if (ne == NULL) {
			*rc = MM_ENOMEM;
			return NULL;
		}
		v->ents = ne;
		v->cap = nc;
	}
	e = &v->ents[v->n++];
	memset(e, 0, sizeof(*e));
	memcpy(e->name, name, strlen(name) + 1);
	return e;
}

int
tmpl_vars_set(struct tmpl_vars *v, const char *name, const char *value)
{
	struct ent *e;
	char *c;
	size_t n;
	int rc;

	if (v == NULL || name == NULL || value == NULL)
		return MM_EINVAL;
	if ((n = strlen(value)) > TMPL_VALUE_MAX)
		return MM_EINVAL;
	if ((e = ent_get(v, name, &rc)) == NULL)
		return rc;
	if (e->value == NULL && e->caprows > 0)
		return MM_EINVAL;		/* a list */
	if ((c = malloc(n + 1)) == NULL)
		return MM_ENOMEM;
	memcpy(c, value, n + 1);
	free(e->value);
	e->value = c;
	return 0;
}

int
tmpl_vars_setf(struct tmpl_vars *v, const char *name, const char *fmt, ...)
{
	char buf[1024], *big = NULL;
	va_list ap;
	int n, rc;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (n < 0)
		return MM_EINVAL;
	if ((size_t)n < sizeof(buf))
		return tmpl_vars_set(v, name, buf);
	if ((size_t)n > TMPL_VALUE_MAX || (big = malloc((size_t)n + 1)) ==
	    NULL)
		return (size_t)n > TMPL_VALUE_MAX ? MM_EINVAL : MM_ENOMEM;
	va_start(ap, fmt);
	vsnprintf(big, (size_t)n + 1, fmt, ap);
	va_end(ap);
	rc = tmpl_vars_set(v, name, big);
	free(big);
	return rc;
}

static int
list_declare(struct tmpl_vars *v, const char *name, struct ent **out)
{
	struct ent *e;
	int rc;

	if (v == NULL || name == NULL)
		return MM_EINVAL;
	if ((e = ent_get(v, name, &rc)) == NULL)
		return rc;
	if (e->value != NULL)
		return MM_EINVAL;
	if (e->caprows == 0) {
		if ((e->rows = calloc(4, sizeof(*e->rows))) == NULL)
			return MM_ENOMEM;
		e->caprows = 4;
	}
	*out = e;
	return 0;
}

int
tmpl_vars_list(struct tmpl_vars *v, const char *name)
{
	struct ent *e = NULL;

	return list_declare(v, name, &e);
}

struct tmpl_vars *
tmpl_vars_row(struct tmpl_vars *v, const char *name)
{
	struct ent *e = NULL;
	struct tmpl_vars *r;

	if (list_declare(v, name, &e) != 0)
		return NULL;
	if (e->nrows == e->caprows) {
		size_t nc = e->caprows * 2;
		struct tmpl_vars **nr = realloc(e->rows, nc * sizeof(*nr));

		if (nr == NULL)
			return NULL;
		e->rows = nr;
		e->caprows = nc;
	}
	if ((r = tmpl_vars_new()) == NULL)
		return NULL;
	r->parent = v;
	e->rows[e->nrows++] = r;
	return r;
}

static const struct ent *
lookup(const struct tmpl_vars *v, const char *name)
{
	const struct ent *e;

	for (; v != NULL; v = v->parent)
		if ((e = ent_find(v, name)) != NULL)
			return e;
	return NULL;
}

const char *
tmpl_vars_get(const struct tmpl_vars *v, const char *name)
{
	const struct ent *e = lookup(v, name);

	return e != NULL ? e->value : NULL;
}

/* ---- rendering ---- */

static int
pad_add(struct strbuf *b, size_t n)
{
	static const char sp[] = "                                ";
	int rc;

	while (n > 0) {
		size_t k = n < sizeof(sp) - 1 ? n : sizeof(sp) - 1;

		if ((rc = strbuf_add(b, sp, k)) != 0)
			return rc;
		n -= k;
	}
	return 0;
}

static int
render_range(const struct tmpl *t, size_t begin, size_t end,
    const struct tmpl_vars *v, struct strbuf *b, struct mm_diag *d)
{
	size_t i = begin, j;
	int rc;

	while (i < end) {
		const struct node *nd = &t->nodes[i];
		const struct ent *e;

		if (nd->type == N_TEXT) {
			if ((rc = strbuf_add(b, nd->text, nd->len)) != 0)
				goto lim;
			i++;
			continue;
		}
		if ((e = lookup(v, nd->name)) == NULL)
			return mm_diag_set(d, MM_ENOENT, "%s:%d: variable "
			    "'%s' is not set", t->name, nd->line, nd->name);
		if (nd->type == N_VAR) {
			size_t n, w;

			if (e->value == NULL)
				return mm_diag_set(d, MM_EINVAL, "%s:%d: '%s' "
				    "is a list, not a value", t->name,
				    nd->line, nd->name);
			n = strlen(e->value);
			w = nd->pad > 0 ? tmpl_text_width(e->value, n) : 0;
			if (nd->right && w < nd->pad &&
			    (rc = pad_add(b, nd->pad - w)) != 0)
				goto lim;
			if ((rc = strbuf_add(b, e->value, n)) != 0)
				goto lim;
			if (!nd->right && w < nd->pad &&
			    (rc = pad_add(b, nd->pad - w)) != 0)
				goto lim;
			i++;
			continue;
		}
		if (e->value != NULL) {
			int on = e->value[0] != '\0';

			if (on == (nd->type == N_SEC) &&
			    (rc = render_range(t, i + 1, nd->end, v, b, d)) != 0)
				return rc;
		} else if (nd->type == N_SEC) {
			for (j = 0; j < e->nrows; j++)
				if ((rc = render_range(t, i + 1, nd->end,
				    e->rows[j], b, d)) != 0)
					return rc;
		} else if (e->nrows == 0 &&
		    (rc = render_range(t, i + 1, nd->end, v, b, d)) != 0)
			return rc;
		i = nd->end;
	}
	return 0;
lim:
	return mm_diag_set(d, rc, "%s:%d: %s", t->name, t->nodes[i].line,
	    rc == MM_ELIMIT ? "output over the size cap" : "out of memory");
}

int
tmpl_render(const struct tmpl *t, const struct tmpl_vars *v, char **out,
    size_t *len, struct mm_diag *d)
{
	struct strbuf b = STRBUF_INIT_CAP(TMPL_OUT_MAX);
	int rc;

	*out = NULL;
	if (len != NULL)
		*len = 0;
	if (t == NULL || v == NULL)
		return mm_diag_set(d, MM_EINVAL, "template: nothing to "
		    "render");
	if ((rc = render_range(t, 0, t->n, v, &b, d)) == 0 &&
	    (rc = strbuf_add(&b, "", 0)) != 0)
		rc = mm_diag_set(d, rc, "%s: out of memory", t->name);
	if (rc != 0) {
		strbuf_free(&b);
		return rc;
	}
	return strbuf_take(&b, out, len);
}

/* ---- mail templates ---- */

int
tmpl_mail_parse(const char *text, size_t len, const char *name,
    struct tmpl_mail *m, struct mm_diag *d)
{
	const char *nl;
	size_t sl, off;
	char sub[80];
	int rc;

	memset(m, 0, sizeof(*m));
	if (name == NULL)
		name = "template";
	if (text == NULL || len < 9 || strncmp(text, "Subject:", 8) != 0)
		return mm_diag_set(d, MM_ESYNTAX, "%s:1: the first line must "
		    "be 'Subject: ...'", name);
	if ((nl = memchr(text, '\n', len)) == NULL)
		return mm_diag_set(d, MM_ESYNTAX, "%s:1: no body", name);
	sl = (size_t)(nl - text);
	off = sl + 1;
	if (off < len && text[off] == '\r')
		off++;
	if (off >= len || text[off] != '\n')
		return mm_diag_set(d, MM_ESYNTAX, "%s:2: the subject line must "
		    "be followed by an empty line", name);
	off++;
	if (sl > 0 && text[sl - 1] == '\r')
		sl--;
	snprintf(sub, sizeof(sub), "%s(subject)", name);
	if ((rc = tmpl_parse(text + 8 + (text[8] == ' ' ? 1 : 0),
	    sl - 8 - (text[8] == ' ' ? 1 : 0), sub, &m->subject, d)) != 0)
		return rc;
	/* the body starts on line 3 of the file */
	if ((rc = parse_at(text + off, len - off, name, 3, &m->body, d)) != 0) {
		tmpl_mail_free(m);
		return rc;
	}
	return 0;
}

int
tmpl_mail_load(const char *path, struct tmpl_mail *m, struct mm_diag *d)
{
	FILE *fp;
	char *buf = NULL;
	size_t n;
	int rc;

	memset(m, 0, sizeof(*m));
	if ((fp = fopen(path, "rb")) == NULL)
		return mm_diag_set(d, MM_EIO, "%s: %s", path, strerror(errno));
	if ((buf = malloc(TMPL_MAX_SIZE + 1)) == NULL) {
		fclose(fp);
		return mm_diag_set(d, MM_ENOMEM, "%s: out of memory", path);
	}
	n = fread(buf, 1, TMPL_MAX_SIZE + 1, fp);
	if (ferror(fp))
		rc = mm_diag_set(d, MM_EIO, "%s: read error", path);
	else if (n > TMPL_MAX_SIZE)
		rc = mm_diag_set(d, MM_ELIMIT, "%s: over %d bytes", path,
		    TMPL_MAX_SIZE);
	else
		rc = tmpl_mail_parse(buf, n, path, m, d);
	fclose(fp);
	free(buf);
	return rc;
}

void
tmpl_mail_free(struct tmpl_mail *m)
{
	if (m == NULL)
		return;
	tmpl_free(m->subject);
	tmpl_free(m->body);
	m->subject = m->body = NULL;
}

int
tmpl_mail_render(const struct tmpl_mail *m, const struct tmpl_vars *v,
    char **subject, char **body, size_t *body_len, struct mm_diag *d)
{
	size_t sl;
	int rc;

	*subject = *body = NULL;
	if (m == NULL || m->subject == NULL || m->body == NULL)
		return mm_diag_set(d, MM_EINVAL, "template: not loaded");
	if ((rc = tmpl_render(m->subject, v, subject, &sl, d)) != 0)
		return rc;
	if (strpbrk(*subject, "\r\n") != NULL) {
		rc = mm_diag_set(d, MM_EINVAL, "%s: the subject renders to "
		    "more than one line", m->subject->name);
		goto fail;
	}
	if ((rc = tmpl_render(m->body, v, body, body_len, d)) != 0)
		goto fail;
	return 0;
fail:
	free(*subject);
	*subject = NULL;
	return rc;
}
