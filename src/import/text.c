/*
 * text.c - the length-checked tokeniser and field parsers of the text
 * importers, and the driver that runs one format over a line reader.
 *
 * Fields are (pointer, length) pairs into the current line; nothing is
 * parsed through an unbounded C string function. Numbers are parsed by
 * hand with overflow checks (seconds with fractions exactly, without
 * floating point), addresses and times by copying into a small bounded
 * buffer first. Costs: O(line length) per line, no allocation besides the
 * format's state and the reader's buffers.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "import/import_int.h"

size_t
tok_split(const char *s, size_t n, const char *sep, size_t seplen,
    struct tok *f, size_t maxf)
{
	size_t	 nf = 0, i = 0, start = 0;

	if (seplen == 0 || maxf == 0)
		return 0;
	while (i + seplen <= n) {
		if (s[i] == sep[0] && memcmp(s + i, sep, seplen) == 0) {
			if (nf == maxf)
				return maxf + 1;
			f[nf].p = s + start;
			f[nf].n = i - start;
			nf++;
			i += seplen;
			start = i;
		} else
			i++;
	}
	if (nf == maxf)
		return maxf + 1;
	f[nf].p = s + start;
	f[nf].n = n - start;
	return nf + 1;
}

void
tok_trim(struct tok *t)
{
	while (t->n > 0 && (t->p[0] == ' ' || t->p[0] == '\t')) {
		t->p++;
		t->n--;
	}
	while (t->n > 0 && (t->p[t->n - 1] == ' ' || t->p[t->n - 1] == '\t'))
		t->n--;
}

int
tok_eq(const struct tok *t, const char *s)
{
	size_t n = strlen(s);

	return t->n == n && memcmp(t->p, s, n) == 0;
}

static int
lower(int c)
{
	return c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c;
}

int
tok_eqi(const struct tok *t, const char *s)
{
	size_t i, n = strlen(s);

	if (t->n != n)
		return 0;
	for (i = 0; i < n; i++)
		if (lower((unsigned char)t->p[i]) != lower((unsigned char)s[i]))
			return 0;
	return 1;
}

int
tok_str(const struct tok *t, char *buf, size_t len)
{
	if (len == 0 || t->n >= len || memchr(t->p, '\0', t->n) != NULL)
		return MM_ERANGE;
	memcpy(buf, t->p, t->n);
	buf[t->n] = '\0';
	return 0;
}

int
tok_u64(const struct tok *t0, uint64_t *v)
{
	struct tok	 t = *t0;
	uint64_t	 x = 0;
	size_t		 i;
	unsigned	 d;

	tok_trim(&t);
	if (t.n == 0)
		return MM_ESYNTAX;
	for (i = 0; i < t.n; i++) {
		if (t.p[i] < '0' || t.p[i] > '9')
			return MM_ESYNTAX;
		d = (unsigned)(t.p[i] - '0');
		if (x > (UINT64_MAX - d) / 10)
			return MM_ERANGE;
		x = x * 10 + d;
	}
	*v = x;
	return 0;
}

static int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = lower(c);
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

int
tok_uint_max(const struct tok *t0, uint64_t max, uint64_t *v)
{
	struct tok	 t = *t0;
	uint64_t	 x = 0;
	size_t		 i;
	int		 h, rc;

	tok_trim(&t);
	if (t.n > 2 && t.p[0] == '0' && (t.p[1] == 'x' || t.p[1] == 'X')) {
		for (i = 2; i < t.n; i++) {
			if ((h = hexval((unsigned char)t.p[i])) < 0)
				return MM_ESYNTAX;
			if (x > (UINT64_MAX >> 4))
				return MM_ERANGE;
			x = x << 4 | (uint64_t)h;
		}
	} else if ((rc = tok_u64(&t, &x)) != 0)
		return rc;
	if (x > max)
		return MM_ERANGE;
	*v = x;
	return 0;
}

int
tok_secs_ms(const struct tok *t0, mtime_t *ms)
{
	struct tok	 t = *t0;
	uint64_t	 ip = 0, frac = 0;
	size_t		 i = 0;
	int		 nd = 0, nint = 0, exp = 0, esign = 1, ne = 0;

	tok_trim(&t);
	if (t.n > 0 && t.p[0] == '+')
		i++;
	for (; i < t.n && t.p[i] >= '0' && t.p[i] <= '9'; i++, nint++) {
		if (ip > (uint64_t)IMPORT_MAX_TIME_S * 1000)
			return MM_ERANGE;
		ip = ip * 10 + (uint64_t)(t.p[i] - '0');
	}
	if (i < t.n && t.p[i] == '.') {
		for (i++; i < t.n && t.p[i] >= '0' && t.p[i] <= '9'; i++, nd++)
			if (nd < 3)
				frac = frac * 10 + (uint64_t)(t.p[i] - '0');
	}
	if (nint == 0 && nd == 0)
		return MM_ESYNTAX;
	for (; nd < 3; nd++)
		frac *= 10;
	if (i < t.n && (t.p[i] == 'e' || t.p[i] == 'E')) {
		i++;
		if (i < t.n && (t.p[i] == '+' || t.p[i] == '-'))
			esign = t.p[i++] == '-' ? -1 : 1;
		for (; i < t.n && t.p[i] >= '0' && t.p[i] <= '9'; i++, ne++)
			if (exp < 100)
				exp = exp * 10 + (t.p[i] - '0');
		if (ne == 0)
			return MM_ESYNTAX;
	}
	if (i != t.n)
		return MM_ESYNTAX;
	if (ip > (uint64_t)IMPORT_MAX_TIME_S)
		return MM_ERANGE;
	ip = ip * 1000 + frac;	/* ms */
	/* exponent: exact enough for the "1.5e+09" seconds JSON may hold;
	 * digits beyond ms precision were already dropped */
	for (; exp > 0; exp--) {
		if (esign > 0) {
			if (ip > (uint64_t)IMPORT_MAX_TIME_S * 1000)
				return MM_ERANGE;
			ip *= 10;
		} else
			ip /= 10;
	}
	if (ip > (uint64_t)IMPORT_MAX_TIME_S * 1000)
		return MM_ERANGE;
	*ms = (mtime_t)ip;
	return 0;
}

int
tok_addr(const struct tok *t0, struct mm_addr *a)
{
	struct tok	 t = *t0;
	char		 buf[ADDR_STRLEN + 1];
	char		*pct;

	tok_trim(&t);
	if (t.n == 0)
		return MM_ESYNTAX;
	if (tok_str(&t, buf, sizeof(buf)) != 0)
		return MM_ESYNTAX;
	if ((pct = strchr(buf, '%')) != NULL)
		*pct = '\0';
	return addr_parse(buf, a) == 0 ? 0 : MM_ESYNTAX;
}

static const struct {
	const char	*name;
	uint8_t		 num;
} protos[] = {
	{ "tcp", 6 }, { "udp", 17 }, { "icmp", 1 }, { "ipv6-icmp", 58 },
	{ "icmp6", 58 }, { "icmpv6", 58 }, { "ipv6icmp", 58 },
	{ "sctp", 132 }, { "gre", 47 }, { "esp", 50 }, { "ah", 51 },
	{ "igmp", 2 }, { "ipv4", 4 }, { "ipip", 4 }, { "ipv6", 41 },
	{ "ospf", 89 }, { "pim", 103 }, { "udt", 17 }, { "rtp", 17 },
	{ "rtcp", 17 }, { "udplite", 136 }, { "vrrp", 112 }, { "l2tp", 115 },
	{ "ipnip", 4 }, { "ggp", 3 }, { "egp", 8 }, { "rsvp", 46 },
	{ "ipx/spx", 111 }, { "isis", 124 },
};

int
tok_proto(const struct tok *t0, uint8_t *proto)
{
	struct tok	 t = *t0;
	uint64_t	 v;
	size_t		 i;

	tok_trim(&t);
	for (i = 0; i < sizeof(protos) / sizeof(protos[0]); i++)
		if (tok_eqi(&t, protos[i].name)) {
			*proto = protos[i].num;
			return 0;
		}
	if (tok_u64(&t, &v) != 0)
		return MM_ESYNTAX;
	if (v > 255)
		return MM_ERANGE;
	*proto = (uint8_t)v;
	return 0;
}

int
tok_time(const struct tok *t0, mtime_t *ms)
{
	struct tok	 t = *t0;
	char		 buf[64];
	mtime_t		 v;

	tok_trim(&t);
	if (tok_str(&t, buf, sizeof(buf)) != 0)
		return MM_ESYNTAX;
	if (mtime_parse(buf, &v) != 0)
		return MM_ESYNTAX;
	if (v < 0 || v > IMPORT_MAX_TIME_S * 1000)
		return MM_ERANGE;
	*ms = v;
	return 0;
}

/* ---- driver ---- */

void
import_bad(struct import_ctx *ctx, const char *fmt, ...)
{
	struct mm_diag	 d;
	va_list		 ap;
	int		 n;

	ctx->st->malformed++;
	if (ctx->sink->warn == NULL)
		return;
	n = snprintf(d.msg, sizeof(d.msg), "%s:%llu: ", ctx->name,
	    (unsigned long long)ctx->lineno);
	if (n < 0 || (size_t)n >= sizeof(d.msg))
		n = 0;
	va_start(ap, fmt);
	vsnprintf(d.msg + n, sizeof(d.msg) - (size_t)n, fmt, ap);
	va_end(ap);
	d.pos = (long)ctx->lineno;
	ctx->sink->warn(ctx->sink->arg, &d);
}

int
import_emit(struct import_ctx *ctx, const struct flow *f)
{
	int rc;

	if ((rc = ctx->sink->emit(ctx->sink->arg, f)) != 0) {
		ctx->emit_rc = rc;
		return rc;
	}
	ctx->st->flows++;
	return 0;
}

static const struct import_text_ops *const text_ops[IMPORT_NFORMATS] = {
	&import_zeek_ops,
	&import_binetflow_ops,
	&import_nfcsv_ops,
};

const char *
import_fmt_name(enum import_text_fmt fmt)
{
	if ((unsigned)fmt >= IMPORT_NFORMATS)
		return NULL;
	return text_ops[fmt]->name;
}

#define PROGRESS_STEP	(1u << 20)

static int
text_run(enum import_text_fmt fmt, struct lineio *l, const char *name,
    const struct import_conf *conf, const struct import_sink *sink,
    struct import_stats *st, struct mm_diag *diag)
{
	const struct import_text_ops *ops = text_ops[fmt];
	struct import_ctx	 ctx;
	const char		*s;
	void			*state = NULL;
	uint64_t		 done, total, next_prog = PROGRESS_STEP;
	size_t			 n;
	int			 rc, overlong;

	memset(&ctx, 0, sizeof(ctx));
	ctx.name = name;
	ctx.conf = conf;
	ctx.sink = sink;
	ctx.st = st;
	if ((state = calloc(1, ops->state_size)) == NULL) {
		rc = mm_diag_set(diag, MM_ENOMEM, "%s: out of memory", name);
		goto out;
	}
	for (;;) {
		rc = lineio_next(l, &s, &n, &overlong, diag);
		lineio_progress(l, &done, &total);
		st->bytes_in = done;
		if (rc <= 0)
			break;
		st->lines++;
		ctx.lineno = lineio_lineno(l);
		if (overlong) {
			import_bad(&ctx, "line longer than %zu bytes",
			    conf->max_line != 0 ? conf->max_line :
			    (size_t)IMPORT_MAX_LINE);
			continue;
		}
		if ((rc = ops->line(state, &ctx, s, n, diag)) != 0)
			goto out;
		if (ctx.emit_rc != 0) {
			rc = ctx.emit_rc;
			goto out;
		}
		if (sink->progress != NULL && done >= next_prog) {
			sink->progress(sink->arg, done, total);
			next_prog = done + PROGRESS_STEP;
		}
	}
	if (sink->progress != NULL)
		sink->progress(sink->arg, done, total);
 out:
	if (state != NULL && ops->fini != NULL)
		ops->fini(state);
	free(state);
	return rc;
}

int
import_text_file(enum import_text_fmt fmt, const char *path,
    const struct import_conf *conf, const struct import_sink *sink,
    struct import_stats *st, struct mm_diag *diag)
{
	struct import_conf	 defconf;
	struct import_stats	 dummy;
	struct lineio		*l = NULL;
	int			 rc;

	if ((unsigned)fmt >= IMPORT_NFORMATS || path == NULL ||
	    sink == NULL || sink->emit == NULL)
		return mm_diag_set(diag, MM_EINVAL, "import: bad argument");
	if (conf == NULL) {
		memset(&defconf, 0, sizeof(defconf));
		conf = &defconf;
	}
	if (st == NULL)
		st = &dummy;
	memset(st, 0, sizeof(*st));
	if ((rc = lineio_open_file(path, conf->max_line, &l, diag)) != 0)
		return rc;
	rc = text_run(fmt, l, path, conf, sink, st, diag);
	lineio_close(l);
	return rc;
}

int
import_text_mem(enum import_text_fmt fmt, const void *buf, size_t len,
    const char *name, const struct import_conf *conf,
    const struct import_sink *sink, struct import_stats *st,
    struct mm_diag *diag)
{
	struct import_conf	 defconf;
	struct import_stats	 dummy;
	struct lineio		*l = NULL;
	int			 rc;

	if ((unsigned)fmt >= IMPORT_NFORMATS || (buf == NULL && len > 0) ||
	    sink == NULL || sink->emit == NULL)
		return mm_diag_set(diag, MM_EINVAL, "import: bad argument");
	if (name == NULL)
		name = "(memory)";
	if (conf == NULL) {
		memset(&defconf, 0, sizeof(defconf));
		conf = &defconf;
	}
	if (st == NULL)
		st = &dummy;
	memset(st, 0, sizeof(*st));
	if ((rc = lineio_open_mem(buf, len, name, conf->max_line, &l,
	    diag)) != 0)
		return rc;
	rc = text_run(fmt, l, name, conf, sink, st, diag);
	lineio_close(l);
	return rc;
}
