/*
 * cred.c - credential list and the telnet / HTTP check machines (see
 * cred.h for the contract and the safety rules).
 *
 * Approach: the file is read through the bounds-checked cursor one byte at
 * a time into a line buffer of CRED_LINE_MAX bytes; each line is split into
 * at most three fields by a small tokenizer (bare or double-quoted). Every
 * diagnostic names the file, the line and the field number, never the
 * field's bytes, so a password cannot leak through an error message.
 *
 * The telnet machine wraps the survey's telnet client (telnet.c): prompts
 * and failure phrases come from it, this file only decides what to send.
 * The HTTP machine keeps the latest challenge and judges each response by
 * its status. Neither does I/O.
 *
 * Costs: parsing is O(bytes) plus O(pairs^2 / 2) id comparisons (at most
 * CRED_MAX_PAIRS = 1000, half a million strcmp at worst); the machines are
 * O(input) per feed with fixed memory.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/cursor.h"
#include "survey/cred.h"

/* ---- the list ---- */

void
cred_list_free(struct cred_list *l)
{
	if (l == NULL)
		return;
	free(l->v);
	free(l);
}

int
cred_list_find(const struct cred_list *l, const char *id)
{
	size_t i;

	if (l == NULL || id == NULL)
		return -1;
	for (i = 0; i < l->n; i++)
		if (strcmp(l->v[i].id, id) == 0)
			return (int)i;
	return -1;
}

static const char *const field_name[3] = { "id", "user", "password" };

static int
id_char(int ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
	    (ch >= '0' && ch <= '9') || ch == '-' || ch == '_' || ch == '.';
}

/*
 * Splits line[0..len) into fields. Returns the number of fields (0..3) or
 * a negative MM_* code with `d` set.
 */
static int
line_split(const char *name, size_t lineno, const char *line, size_t len,
    char f[3][CRED_FIELD_MAX], size_t flen[3], struct mm_diag *d)
{
	size_t i = 0, nf = 0;

	for (;;) {
		size_t o = 0;
		size_t cap;
		int quoted = 0;

		while (i < len && (line[i] == ' ' || line[i] == '\t'))
			i++;
		if (i >= len)
			break;
		if (nf == 0 && line[i] == '#')
			break;
		if (nf == 3)
			return mm_diag_set(d, MM_ESYNTAX, "%s:%zu: more than "
			    "three fields (id, user, password)", name, lineno);
		cap = nf == 0 ? CRED_ID_MAX : CRED_FIELD_MAX;
		if (line[i] == '"') {
			quoted = 1;
			i++;
		}
		for (;;) {
			unsigned char ch;

			if (i >= len) {
				if (quoted)
					return mm_diag_set(d, MM_ESYNTAX,
					    "%s:%zu: field %zu (%s): "
					    "unterminated quote", name,
					    lineno, nf + 1, field_name[nf]);
				break;
			}
			ch = (unsigned char)line[i];
			if (!quoted && (ch == ' ' || ch == '\t'))
				break;
			i++;
			if (quoted && ch == '"')
				break;
			if (!quoted && ch == '"')
				return mm_diag_set(d, MM_ESYNTAX,
				    "%s:%zu: field %zu (%s): '\"' inside an "
				    "unquoted field", name, lineno, nf + 1,
				    field_name[nf]);
			if (quoted && ch == '\\') {
				if (i >= len || (line[i] != '"' &&
				    line[i] != '\\'))
					return mm_diag_set(d, MM_ESYNTAX,
					    "%s:%zu: field %zu (%s): bad "
					    "escape (only \\\" and \\\\)",
					    name, lineno, nf + 1,
					    field_name[nf]);
				ch = (unsigned char)line[i++];
			}
			if (ch < 0x20 || ch >= 0x7f)
				return mm_diag_set(d, MM_ESYNTAX,
				    "%s:%zu: field %zu (%s): byte outside "
				    "printable ASCII", name, lineno, nf + 1,
				    field_name[nf]);
			if (o + 1 >= cap)
				return mm_diag_set(d, MM_ELIMIT,
				    "%s:%zu: field %zu (%s): longer than %zu "
				    "bytes", name, lineno, nf + 1,
				    field_name[nf], cap - 1);
			f[nf][o++] = (char)ch;
		}
		if (quoted && i < len && line[i] != ' ' && line[i] != '\t')
			return mm_diag_set(d, MM_ESYNTAX, "%s:%zu: field %zu "
			    "(%s): text after the closing quote", name,
			    lineno, nf + 1, field_name[nf]);
		f[nf][o] = '\0';
		flen[nf] = o;
		nf++;
	}
	return (int)nf;
}

static int
line_take(const char *name, size_t lineno, const char *line, size_t len,
    struct cred_list *l, size_t *cap, struct mm_diag *d)
{
	char f[3][CRED_FIELD_MAX];
	size_t flen[3] = { 0, 0, 0 }, i;
	struct cred *c;
	int nf;

	nf = line_split(name, lineno, line, len, f, flen, d);
	if (nf <= 0)
		return nf;
	if (nf != 3)
		return mm_diag_set(d, MM_ESYNTAX, "%s:%zu: %d field%s, want "
		    "three (id, user, password; \"\" for an empty one)",
		    name, lineno, nf, nf == 1 ? "" : "s");
	if (flen[0] == 0)
		return mm_diag_set(d, MM_ESYNTAX, "%s:%zu: field 1 (id): "
		    "empty", name, lineno);
	for (i = 0; i < flen[0]; i++)
		if (!id_char((unsigned char)f[0][i]))
			return mm_diag_set(d, MM_ESYNTAX, "%s:%zu: field 1 "
			    "(id): only letters, digits, '-', '_', '.'",
			    name, lineno);
	if (flen[1] == 0)
		return mm_diag_set(d, MM_ESYNTAX, "%s:%zu: field 2 (user): "
		    "empty", name, lineno);
	if (memchr(f[1], ':', flen[1]) != NULL)
		return mm_diag_set(d, MM_ESYNTAX, "%s:%zu: field 2 (user): "
		    "':' not allowed (RFC 7617 2)", name, lineno);
	if (cred_list_find(l, f[0]) >= 0)
		return mm_diag_set(d, MM_ESYNTAX, "%s:%zu: field 1 (id): "
		    "duplicate id %s", name, lineno, f[0]);
	if (l->n >= CRED_MAX_PAIRS)
		return mm_diag_set(d, MM_ELIMIT, "%s:%zu: more than %d pairs",
		    name, lineno, CRED_MAX_PAIRS);
	if (l->n == *cap) {
		size_t nc = *cap == 0 ? 16 : *cap * 2;
		struct cred *nv;

		if (nc > CRED_MAX_PAIRS)
			nc = CRED_MAX_PAIRS;
		if ((nv = realloc(l->v, nc * sizeof(*nv))) == NULL)
			return mm_diag_set(d, MM_ENOMEM, "%s:%zu: out of "
			    "memory", name, lineno);
		l->v = nv;
		*cap = nc;
	}
	c = &l->v[l->n++];
	memset(c, 0, sizeof(*c));
	memcpy(c->id, f[0], flen[0] + 1);
	memcpy(c->user, f[1], flen[1] + 1);
	memcpy(c->pass, f[2], flen[2] + 1);
	return 0;
}

int
cred_list_parse(const char *name, const uint8_t *buf, size_t len,
    struct cred_list **out, struct mm_diag *d)
{
	struct cursor cur;
	struct cred_list *l;
	char *line = NULL;
	size_t ll = 0, lineno = 1, cap = 0;
	uint8_t ch;
	int rc = 0, toolong = 0;

	*out = NULL;
	if (name == NULL)
		name = "credentials";
	if ((l = calloc(1, sizeof(*l))) == NULL ||
	    (line = malloc(CRED_LINE_MAX + 1)) == NULL) {
		rc = mm_diag_set(d, MM_ENOMEM, "%s: out of memory", name);
		goto out;
	}
	cur_init(&cur, buf, len);
	for (;;) {
		int eof = get_u8(&cur, &ch) != 0;

		if (eof || ch == '\n') {
			if (toolong) {
				rc = mm_diag_set(d, MM_ELIMIT, "%s:%zu: line "
				    "longer than %d bytes", name, lineno,
				    CRED_LINE_MAX);
				goto out;
			}
			if (ll > 0 && line[ll - 1] == '\r')
				ll--;
			if ((rc = line_take(name, lineno, line, ll, l, &cap,
			    d)) != 0)
				goto out;
			if (eof)
				break;
			ll = 0;
			lineno++;
			continue;
		}
		if (ch == '\0') {
			rc = mm_diag_set(d, MM_ESYNTAX, "%s:%zu: NUL byte",
			    name, lineno);
			goto out;
		}
		if (ll >= CRED_LINE_MAX)
			toolong = 1;
		else
			line[ll++] = (char)ch;
	}
	if (l->n == 0) {
		rc = mm_diag_set(d, MM_EFORMAT, "%s: no credential pair",
		    name);
		goto out;
	}
	*out = l;
	l = NULL;
out:
	free(line);
	cred_list_free(l);
	return rc;
}

int
cred_list_load(const char *path, struct cred_list **out, struct mm_diag *d)
{
	FILE *fp;
	uint8_t *buf = NULL;
	size_t n;
	int rc;

	*out = NULL;
	if ((fp = fopen(path, "rb")) == NULL)
		return mm_diag_set(d, MM_EIO, "%s: %s", path, strerror(errno));
	if ((buf = malloc(CRED_FILE_MAX + 1)) == NULL) {
		fclose(fp);
		return mm_diag_set(d, MM_ENOMEM, "%s: out of memory", path);
	}
	n = fread(buf, 1, CRED_FILE_MAX + 1, fp);
	if (ferror(fp)) {
		rc = mm_diag_set(d, MM_EIO, "%s: read error", path);
		goto out;
	}
	if (n > CRED_FILE_MAX) {
		rc = mm_diag_set(d, MM_ELIMIT, "%s: larger than %d bytes",
		    path, CRED_FILE_MAX);
		goto out;
	}
	rc = cred_list_parse(path, buf, n, out, d);
out:
	fclose(fp);
	free(buf);
	return rc;
}

/* ---- telnet ---- */

void
cred_tn_init(struct cred_tn *m, const struct telnet *tn, size_t next,
    unsigned used, unsigned max)
{
	memset(m, 0, sizeof(*m));
	if (tn != NULL)
		memcpy(&m->tn, tn, sizeof(m->tn));
	else
		telnet_init(&m->tn, 0, 0, 0);
	m->st = CTN_LOGIN;
	m->next = next;
	m->used = used;
	m->max = max;
}

/* Appends s and CR LF to out; returns 0 or -1 when it does not fit. */
static int
put_line(const char *s, uint8_t *out, size_t cap, size_t *olen)
{
	size_t n = strlen(s);

	if (*olen + n + 2 > cap)
		return -1;
	memcpy(out + *olen, s, n);
	out[*olen + n] = '\r';
	out[*olen + n + 1] = '\n';
	*olen += n + 2;
	return 0;
}

/* A prompt arrived in state CTN_LOGIN: begin the next attempt. */
static int
tn_attempt(struct cred_tn *m, const struct cred_list *l, int password,
    uint8_t *out, size_t cap, size_t *olen)
{
	if (m->used >= m->max || m->next >= l->n) {
		m->st = CTN_END;
		return CRED_DONE;
	}
	m->used++;
	if (password) {
		/* a password-only device: the pair's password is tried */
		if (put_line(l->v[m->next].pass, out, cap, olen) != 0)
			goto full;
		m->st = CTN_RESULT;
	} else {
		if (put_line(l->v[m->next].user, out, cap, olen) != 0)
			goto full;
		m->st = CTN_PASS;
	}
	telnet_mark_sent(&m->tn);
	return CRED_MORE;
full:
	m->st = CTN_END;
	return CRED_DONE;
}

int
cred_tn_begin(struct cred_tn *m, const struct cred_list *l, int ev,
    uint8_t *out, size_t cap, size_t *olen)
{
	*olen = 0;
	if (m->st != CTN_LOGIN)
		return CRED_MORE;
	if (ev & TELNET_EV_PASSWORD)
		return tn_attempt(m, l, 1, out, cap, olen);
	if (ev & TELNET_EV_LOGIN)
		return tn_attempt(m, l, 0, out, cap, olen);
	return CRED_MORE;
}

/* The attempt in flight failed: move to the next pair. */
static void
tn_failed(struct cred_tn *m)
{
	m->next++;
	m->st = CTN_LOGIN;
}

/* The attempt in flight failed (`ev` says how); a prompt in the same
 * input begins the next attempt at once. */
static int
tn_after_fail(struct cred_tn *m, const struct cred_list *l, int ev,
    uint8_t *out, size_t cap, size_t *olen)
{
	tn_failed(m);
	if (m->used >= m->max || m->next >= l->n) {
		m->st = CTN_END;
		return CRED_DONE;
	}
	if (ev & (TELNET_EV_LOGIN | TELNET_EV_PASSWORD)) {
		if (tn_attempt(m, l, (ev & TELNET_EV_LOGIN) == 0, out, cap,
		    olen) == CRED_DONE)
			return CRED_DONE;
	}
	return CRED_NEXT;
}

int
cred_tn_feed(struct cred_tn *m, const struct cred_list *l,
    const uint8_t *in, size_t n, uint8_t *out, size_t cap, size_t *olen,
    struct mm_diag *d)
{
	size_t rl = 0;
	int ev, rc = CRED_MORE;

	*olen = 0;
	if (m->st == CTN_END)
		return m->ok ? CRED_OK : CRED_DONE;
	ev = telnet_feed(&m->tn, in, n, out, cap, &rl, d);
	if (ev < 0)
		return ev;
	*olen = rl;
	switch (m->st) {
	case CTN_PASS:
		if (ev & TELNET_EV_PASSWORD) {
			if (put_line(l->v[m->next].pass, out, cap, olen)
			    != 0) {
				m->st = CTN_END;
				return CRED_DONE;
			}
			telnet_mark_sent(&m->tn);
			m->st = CTN_RESULT;
			return CRED_MORE;
		}
		if (ev & TELNET_EV_SHELL) {	/* no password asked */
			m->ok = 1;
			m->st = CTN_END;
			return CRED_OK;
		}
		if (ev & (TELNET_EV_FAIL | TELNET_EV_LOGIN))
			return tn_after_fail(m, l, ev, out, cap, olen);
		return rc;
	case CTN_RESULT:
		if (ev & TELNET_EV_SHELL) {
			m->ok = 1;
			m->st = CTN_END;
			return CRED_OK;
		}
		if (ev & (TELNET_EV_FAIL | TELNET_EV_LOGIN |
		    TELNET_EV_PASSWORD))
			return tn_after_fail(m, l, ev, out, cap, olen);
		return CRED_MORE;
	case CTN_LOGIN:
		if (ev & (TELNET_EV_LOGIN | TELNET_EV_PASSWORD))
			return tn_attempt(m, l, (ev & TELNET_EV_PASSWORD) != 0,
			    out, cap, olen);
		return CRED_MORE;
	default:
		return CRED_DONE;
	}
}

int
cred_tn_eof(struct cred_tn *m, const struct cred_list *l)
{
	if (m->ok)
		return CRED_OK;
	if (m->st == CTN_PASS || m->st == CTN_RESULT)
		tn_failed(m);
	m->st = CTN_END;
	if (m->used >= m->max || m->next >= l->n)
		return CRED_DONE;
	return CRED_NEXT;
}

/* ---- HTTP ---- */

static int
auth_usable(const struct http_auth *a)
{
	if (a->scheme == HTTP_AUTH_BASIC)
		return 1;
	return a->scheme == HTTP_AUTH_DIGEST && a->alg != HTTP_DIGEST_UNKNOWN;
}

int
cred_http_start(struct cred_http *m, const struct http_resp *r,
    unsigned max, uint32_t seed)
{
	memset(m, 0, sizeof(*m));
	if (r == NULL || r->status != 401 ||
	    http_resp_auth(r, &m->auth, NULL) != 0 || !auth_usable(&m->auth))
		return 0;
	m->max = max;
	m->cnonce_seed = seed;
	return 1;
}

int
cred_http_request(struct cred_http *m, const struct cred_list *l,
    const char *host, const char *path, const char *ua, char *out,
    size_t cap, size_t *len)
{
	char auth[1024], hdr[1100], cnonce[24];
	const char *extra[1];
	int rc;

	for (;;) {
		if (m->used >= m->max || m->next >= l->n)
			return MM_ENOENT;
		if (m->auth.scheme == HTTP_AUTH_BASIC)
			rc = http_basic_authorization(l->v[m->next].user,
			    l->v[m->next].pass, auth, sizeof(auth));
		else {
			snprintf(cnonce, sizeof(cnonce), "%08x%08x",
			    (unsigned)m->cnonce_seed,
			    (unsigned)(m->used * 2654435761u));
			rc = http_digest_authorization(&m->auth,
			    l->v[m->next].user, l->v[m->next].pass, "GET",
			    path, cnonce, "00000001", auth, sizeof(auth));
		}
		if (rc == MM_EINVAL) {
			/* the scheme cannot carry this pair: skip it */
			m->next++;
			continue;
		}
		if (rc != 0)
			return rc;
		break;
	}
	snprintf(hdr, sizeof(hdr), "Authorization: %s", auth);
	extra[0] = hdr;
	rc = http_request_build("GET", host, path, ua, extra, 1, out, cap,
	    len, NULL);
	explicit_bzero(auth, sizeof(auth));
	explicit_bzero(hdr, sizeof(hdr));
	if (rc != 0)
		return rc;
	m->used++;
	return 0;
}

int
cred_http_result(struct cred_http *m, const struct cred_list *l,
    const struct http_resp *r)
{
	struct http_auth a;

	if (r != NULL && r->status >= 200 && r->status < 400) {
		m->ok = 1;
		return CRED_OK;
	}
	if (r == NULL || r->status != 401)
		return CRED_DONE;
	m->next++;
	if (http_resp_auth(r, &a, NULL) == 0 && auth_usable(&a))
		m->auth = a;
	if (m->used >= m->max || m->next >= l->n)
		return CRED_DONE;
	return CRED_NEXT;
}
