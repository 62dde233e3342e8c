/*
 * vulns.c - load vulnerable-version ranges and match product versions.
 *
 * Approach: the data is small (hundreds of entries), so entries live in one
 * array in file order and vulns_match() is a linear scan: O(entries x
 * ranges) string comparisons, no index. Each line is parsed into fixed-size
 * fields (caps in vulns.h); a file loads all-or-nothing with a
 * "file:line: field: reason" message on the first error. Version order is
 * version_cmp() (version.h), so "13.0-47.22" and "13.0.47.24" compare as
 * Citrix means them and "9.0R3.4" as Pulse Secure does.
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "survey/version.h"
#include "survey/vulns.h"

#define VULNS_MAX_FILE	(4u * 1024 * 1024)
#define VULNS_MAX_FILES	256

struct vrange {
	char	lo[VULNS_VER_LEN], hi[VULNS_VER_LEN];
	int	has_lo, has_hi, lo_incl, hi_incl;
};

struct ventry {
	char		cve[24];
	char		vp[VULNS_MAX_PRODUCTS][VULNS_VP_LEN];
	size_t		nvp;
	double		cvss;
	int		kev;
	struct vrange	r[VULNS_MAX_RANGES];
	size_t		nr;
	const char	*file;		/* interned in vulns.files */
	int		line;
};

struct vulns {
	struct ventry	*e;
	size_t		 n, cap;
	char		**files;
	size_t		 nfiles;
};

struct vstate {
	const char	*file;
	int		 line;
	struct mm_diag	*d;
};

static int
verr(struct vstate *vs, int err, const char *field, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 4, 5)))
#endif
    ;

static int
verr(struct vstate *vs, int err, const char *field, const char *fmt, ...)
{
	va_list	ap;
	int	rc;

	va_start(ap, fmt);
	rc = mm_diag_vat(vs->d, err, vs->file, (unsigned long)vs->line, field,
	    fmt, ap);
	va_end(ap);
	return rc;
}

static int
ver_ok(const char *s, size_t n)
{
	size_t	i;

	if (n == 0 || n >= VULNS_VER_LEN)
		return 0;
	for (i = 0; i < n; i++)
		if (!isalnum((unsigned char)s[i]) && strchr(".-_+~", s[i]) ==
		    NULL)
			return 0;
	return 1;
}

static int
parse_range(struct vstate *vs, const char *t, struct vrange *r)
{
	const char	*comma, *end;
	size_t		 n = strlen(t);

	memset(r, 0, sizeof(*r));
	if (t[0] == '=') {
		if (!ver_ok(t + 1, n - 1))
			return verr(vs, MM_ESYNTAX, "range", "bad version in "
			    "\"%s\"", t);
		memcpy(r->lo, t + 1, n - 1);
		memcpy(r->hi, t + 1, n - 1);
		r->has_lo = r->has_hi = r->lo_incl = r->hi_incl = 1;
		return 0;
	}
	if (n < 3 || (t[0] != '[' && t[0] != '(') ||
	    (t[n - 1] != ']' && t[n - 1] != ')') ||
	    (comma = strchr(t, ',')) == NULL || strchr(comma + 1, ',') != NULL)
		return verr(vs, MM_ESYNTAX, "range",
		    "expected [from,to], [from,to), (from,to] or =v, got \"%s\"",
		    t);
	end = t + n - 1;
	r->lo_incl = t[0] == '[';
	r->hi_incl = *end == ']';
	if (comma > t + 1) {
		if (!ver_ok(t + 1, (size_t)(comma - t - 1)))
			return verr(vs, MM_ESYNTAX, "range",
			    "bad lower version in \"%s\"", t);
		memcpy(r->lo, t + 1, (size_t)(comma - t - 1));
		r->has_lo = 1;
	}
	if (end > comma + 1) {
		if (!ver_ok(comma + 1, (size_t)(end - comma - 1)))
			return verr(vs, MM_ESYNTAX, "range",
			    "bad upper version in \"%s\"", t);
		memcpy(r->hi, comma + 1, (size_t)(end - comma - 1));
		r->has_hi = 1;
	}
	if (!r->has_lo && !r->has_hi)
		return verr(vs, MM_ESYNTAX, "range", "both ends open in \"%s\"",
		    t);
	if (r->has_lo && r->has_hi && version_cmp(r->lo, r->hi) > 0)
		return verr(vs, MM_ESYNTAX, "range", "from > to in \"%s\"", t);
	return 0;
}

static int
vp_ok(const char *s)
{
	const char	*c = strchr(s, ':');
	size_t		 i;

	if (c == NULL || c == s || c[1] == '\0' || strchr(c + 1, ':') != NULL)
		return 0;
	for (i = 0; s[i] != '\0'; i++)
		if (!isalnum((unsigned char)s[i]) && strchr("._-:", s[i]) ==
		    NULL)
			return 0;
	return i < VULNS_VP_LEN;
}

/* "CVE-" YYYY "-" at least four digits. */
static int
cve_ok(const char *s)
{
	size_t	n;

	if (strncmp(s, "CVE-", 4) != 0 || strspn(s + 4, "0123456789") != 4 ||
	    s[8] != '-')
		return 0;
	n = strspn(s + 9, "0123456789");
	return n >= 4 && s[9 + n] == '\0';
}

static int
parse_entry(struct vstate *vs, char *line, struct ventry *e)
{
	char	*tok[4 + VULNS_MAX_RANGES + 1], *save, *p, *s2;
	size_t	 nt = 0, i;
	double	 cv;
	char	*end;

	memset(e, 0, sizeof(*e));
	for (p = strtok_r(line, " \t", &save); p != NULL;
	    p = strtok_r(NULL, " \t", &save)) {
		if (nt >= sizeof(tok) / sizeof(tok[0]))
			return verr(vs, MM_ELIMIT, "range",
			    "more than %d ranges", VULNS_MAX_RANGES);
		tok[nt++] = p;
	}
	if (nt < 5)
		return verr(vs, MM_ESYNTAX, "entry", "expected CVE-ID "
		    "VENDOR:PRODUCT CVSS kev|- RANGE...");
	if (!cve_ok(tok[0]) || strlen(tok[0]) >= sizeof(e->cve))
		return verr(vs, MM_ESYNTAX, "cve", "bad id \"%s\"", tok[0]);
	memcpy(e->cve, tok[0], strlen(tok[0]) + 1);
	for (p = strtok_r(tok[1], ",", &save); p != NULL;
	    p = strtok_r(NULL, ",", &save)) {
		if (e->nvp >= VULNS_MAX_PRODUCTS)
			return verr(vs, MM_ELIMIT, "product",
			    "more than %d products", VULNS_MAX_PRODUCTS);
		if (!vp_ok(p))
			return verr(vs, MM_ESYNTAX, "product",
			    "expected vendor:product, got \"%s\"", p);
		memcpy(e->vp[e->nvp++], p, strlen(p) + 1);
	}
	if (e->nvp == 0)
		return verr(vs, MM_ESYNTAX, "product", "empty");
	errno = 0;
	cv = strtod(tok[2], &end);
	if (errno != 0 || end == tok[2] || *end != '\0' || !(cv >= 0.0) ||
	    cv > 10.0)
		return verr(vs, MM_ESYNTAX, "cvss", "expected 0.0..10.0, got "
		    "\"%s\"", tok[2]);
	e->cvss = cv;
	if (strcmp(tok[3], "kev") == 0)
		e->kev = 1;
	else if (strcmp(tok[3], "-") != 0)
		return verr(vs, MM_ESYNTAX, "kev", "expected kev or -, got "
		    "\"%s\"", tok[3]);
	for (i = 4; i < nt; i++) {
		s2 = tok[i];
		if (parse_range(vs, s2, &e->r[e->nr]) != 0)
			return MM_ESYNTAX;
		e->nr++;
	}
	return 0;
}

static void
vulns_free_partial(struct vulns *v)
{
	size_t	i;

	if (v == NULL)
		return;
	for (i = 0; i < v->nfiles; i++)
		free(v->files[i]);
	free(v->files);
	free(v->e);
	free(v);
}

void
vulns_free(struct vulns *v)
{
	vulns_free_partial(v);
}

size_t
vulns_count(const struct vulns *v)
{
	return v == NULL ? 0 : v->n;
}

static int
load_into(struct vulns *v, const char *name, const char *buf, size_t len,
    struct mm_diag *d)
{
	struct vstate	 vs;
	char		 line[VULNS_MAX_LINE + 1], *s, *h, **nf, *fname;
	const char	*nl;
	size_t		 pos = 0, n, n0 = v->n;
	int		 rc = 0;
	struct ventry	*ne;

	vs.file = name != NULL ? name : "(buffer)";
	vs.line = 0;
	vs.d = d;
	if ((nf = realloc(v->files, (v->nfiles + 1) * sizeof(*nf))) == NULL)
		return MM_ENOMEM;
	v->files = nf;
	if ((fname = strdup(vs.file)) == NULL)
		return MM_ENOMEM;
	v->files[v->nfiles++] = fname;
	if (len > 0 && memchr(buf, '\0', len) != NULL)
		return verr(&vs, MM_ESYNTAX, "file", "NUL byte");
	while (pos < len) {
		vs.line++;
		nl = memchr(buf + pos, '\n', len - pos);
		n = nl != NULL ? (size_t)(nl - (buf + pos)) : len - pos;
		if (n > VULNS_MAX_LINE) {
			rc = verr(&vs, MM_ELIMIT, "line", "longer than %d bytes",
			    VULNS_MAX_LINE);
			goto out;
		}
		memcpy(line, buf + pos, n);
		line[n] = '\0';
		pos += n + (nl != NULL);
		if ((h = strchr(line, '#')) != NULL)
			*h = '\0';
		for (s = line; *s == ' ' || *s == '\t' || *s == '\r'; s++)
			;
		n = strlen(s);
		while (n > 0 && isspace((unsigned char)s[n - 1]))
			s[--n] = '\0';
		if (*s == '\0')
			continue;
		if (v->n >= VULNS_MAX_ENTRIES) {
			rc = verr(&vs, MM_ELIMIT, "entry", "more than %d "
			    "entries", VULNS_MAX_ENTRIES);
			goto out;
		}
		if (v->n == v->cap) {
			size_t nc = v->cap == 0 ? 64 : v->cap * 2;

			if ((ne = realloc(v->e, nc * sizeof(*ne))) == NULL) {
				rc = MM_ENOMEM;
				goto out;
			}
			v->e = ne;
			v->cap = nc;
		}
		if ((rc = parse_entry(&vs, s, &v->e[v->n])) != 0)
			goto out;
		v->e[v->n].file = fname;
		v->e[v->n].line = vs.line;
		v->n++;
	}
 out:
	if (rc != 0)
		v->n = n0;
	return rc;
}

int
vulns_load_buf(struct vulns **out, const char *name, const char *buf,
    size_t len, struct mm_diag *d)
{
	struct vulns	*v;
	int		 rc;

	if (out == NULL || (buf == NULL && len > 0))
		return MM_EINVAL;
	*out = NULL;
	if ((v = calloc(1, sizeof(*v))) == NULL)
		return MM_ENOMEM;
	if ((rc = load_into(v, name, buf, len, d)) != 0) {
		vulns_free(v);
		return rc;
	}
	*out = v;
	return 0;
}

static int
load_file(struct vulns *v, const char *path, struct mm_diag *d)
{
	FILE	*fp;
	char	*buf = NULL;
	size_t	 n;
	int	 rc;

	if ((fp = fopen(path, "r")) == NULL)
		return mm_diag_set(d, MM_EIO, "%s: %s", path, strerror(errno));
	if ((buf = malloc(VULNS_MAX_FILE + 1)) == NULL) {
		rc = MM_ENOMEM;
		goto out;
	}
	n = fread(buf, 1, VULNS_MAX_FILE + 1, fp);
	if (ferror(fp))
		rc = mm_diag_set(d, MM_EIO, "%s: read error", path);
	else if (n > VULNS_MAX_FILE)
		rc = mm_diag_set(d, MM_ELIMIT, "%s: larger than %u bytes",
		    path, VULNS_MAX_FILE);
	else
		rc = load_into(v, path, buf, n, d);
 out:
	free(buf);
	fclose(fp);
	return rc;
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int
vulns_load(struct vulns **out, const char *path, struct mm_diag *d)
{
	struct vulns	*v;
	DIR		*dp;
	struct dirent	*de;
	char		*names[VULNS_MAX_FILES], full[PATH_MAX];
	size_t		 nn = 0, i, l;
	int		 rc = 0;

	if (out == NULL || path == NULL)
		return MM_EINVAL;
	*out = NULL;
	if ((v = calloc(1, sizeof(*v))) == NULL)
		return MM_ENOMEM;
	if ((dp = opendir(path)) == NULL) {
		if (errno != ENOTDIR) {
			rc = mm_diag_set(d, MM_EIO, "%s: %s", path,
			    strerror(errno));
			goto out;
		}
		rc = load_file(v, path, d);
		goto out;
	}
	while ((de = readdir(dp)) != NULL) {
		l = strlen(de->d_name);
		if (l < 7 || de->d_name[0] == '.' ||
		    strcmp(de->d_name + l - 6, ".vulns") != 0)
			continue;
		if (nn >= VULNS_MAX_FILES) {
			rc = mm_diag_set(d, MM_ELIMIT, "%s: more than %d files",
			    path, VULNS_MAX_FILES);
			break;
		}
		if ((names[nn] = strdup(de->d_name)) == NULL) {
			rc = MM_ENOMEM;
			break;
		}
		nn++;
	}
	closedir(dp);
	if (rc == 0)
		qsort(names, nn, sizeof(names[0]), cmp_str);
	for (i = 0; rc == 0 && i < nn; i++) {
		if ((size_t)snprintf(full, sizeof(full), "%s/%s", path,
		    names[i]) >= sizeof(full))
			rc = mm_diag_set(d, MM_ELIMIT, "%s: path too long",
			    names[i]);
		else
			rc = load_file(v, full, d);
	}
	for (i = 0; i < nn; i++)
		free(names[i]);
 out:
	if (rc != 0) {
		vulns_free(v);
		return rc;
	}
	*out = v;
	return 0;
}

static int
in_range(const struct vrange *r, const char *ver)
{
	int	c;

	if (r->has_lo) {
		c = version_cmp(ver, r->lo);
		if (c < 0 || (c == 0 && !r->lo_incl))
			return 0;
	}
	if (r->has_hi) {
		c = version_cmp(ver, r->hi);
		if (c > 0 || (c == 0 && !r->hi_incl))
			return 0;
	}
	return 1;
}

int
vulns_match(const struct vulns *v, const char *product, const char *version,
    struct vulns_hit *hits, size_t max)
{
	char		 vp[VULNS_VP_LEN], ver[VULNS_VER_LEN];
	const char	*f[6], *p;
	size_t		 i, k, j, nf, vl, pl;
	int		 n = 0, hit;

	if (product == NULL)
		return MM_EINVAL;
	if (v == NULL)
		return 0;
	ver[0] = '\0';
	if (strncasecmp(product, "cpe:2.3:", 8) == 0) {
		/* cpe : 2.3 : part : vendor : product : version : ... */
		for (nf = 0, p = product; nf < 6 && p != NULL; nf++) {
			f[nf] = p;
			p = strchr(p, ':');
			if (p != NULL)
				p++;
		}
		if (nf < 5)
			return MM_EINVAL;
		vl = (size_t)((f[4] - 1) - f[3]);
		pl = strcspn(f[4], ":");
		if (vl + 1 + pl >= sizeof(vp))
			return MM_EINVAL;
		memcpy(vp, f[3], vl + 1 + pl);
		vp[vl + 1 + pl] = '\0';
		if (nf >= 6 && strcspn(f[5], ":") < sizeof(ver)) {
			memcpy(ver, f[5], strcspn(f[5], ":"));
			ver[strcspn(f[5], ":")] = '\0';
		}
	} else {
		if (strlen(product) >= sizeof(vp))
			return MM_EINVAL;
		memcpy(vp, product, strlen(product) + 1);
	}
	if (version != NULL && version[0] != '\0') {
		if (strlen(version) >= sizeof(ver))
			return 0;
		memcpy(ver, version, strlen(version) + 1);
	}
	if (ver[0] == '\0' || strcmp(ver, "*") == 0 || strcmp(ver, "-") == 0)
		return 0;
	for (i = 0; i < v->n; i++) {
		const struct ventry *e = &v->e[i];

		hit = 0;
		for (k = 0; !hit && k < e->nvp; k++)
			if (strcasecmp(e->vp[k], vp) == 0)
				hit = 1;
		if (!hit)
			continue;
		for (j = 0, hit = 0; !hit && j < e->nr; j++)
			hit = in_range(&e->r[j], ver);
		if (!hit)
			continue;
		if (hits != NULL && (size_t)n < max) {
			hits[n].cve = e->cve;
			hits[n].vp = e->vp[0];
			hits[n].cvss = e->cvss;
			hits[n].kev = e->kev;
			hits[n].file = e->file;
			hits[n].line = e->line;
		}
		n++;
	}
	return n;
}
