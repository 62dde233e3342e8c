/*
 * zeek.c - Zeek conn.log importer: TSV with its header lines, or JSON
 * lines (one object per line; a file may mix both), plain or gzip.
 *
 * TSV: "#separator \x09" (space-separated, \xHH escapes) sets the field
 * separator; "#set_separator", "#empty_field", "#unset_field", "#path",
 * "#fields" and "#types" use the declared separator. Columns are found by
 * name in #fields, so any column order and extra columns work; a file
 * without #fields is read with Zeek's default conn.log column order. A
 * #path other than "conn" rejects the file (MM_EFORMAT). JSON keys are
 * the same names, flat ("id.orig_h") or nested ({"id":{"orig_h":..}}); ts
 * may be epoch seconds or an ISO 8601 string.
 *
 * Mapping. A Zeek connection is bidirectional; by default it becomes two
 * unidirectional flows as a router's exporter would have reported them:
 * originator -> responder (orig_pkts, orig_ip_bytes) and responder ->
 * originator (resp_pkts, resp_ip_bytes; omitted when resp_pkts is 0).
 * Both get first = ts and last = ts + duration (Zeek does not time the
 * directions separately). Bytes are IP bytes (*_ip_bytes, what NetFlow
 * counts); when those columns are absent, payload bytes (orig_bytes,
 * resp_bytes) are used instead. TCP flags per direction come from history
 * (upper case = originator: S SYN, H SYN+ACK, A ACK, D ACK+PSH (data),
 * F FIN, R RST), else from conn_state (S0, REJ, SF, RSTO, ...). ICMP:
 * id.orig_p is the type and id.resp_p the code, so dst_port = type*256 +
 * code; the reverse flow carries the reply type (echo 8 -> 0, ...). Zeek
 * writes "icmp" for ICMPv6 too: with IPv6 addresses proto becomes 58.
 * With conf->bidir one flow per connection is written instead (src =
 * originator, counters summed, flags OR'ed).
 *
 * Every value is checked: a missing or unparsable ts/address/port/proto,
 * a negative or absurd duration, a counter beyond 64 bits, a wrong column
 * count: the line is counted malformed, named (line, field) and skipped.
 * Cost: O(line) per line, one jansson parse per JSON line.
 */
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "import/import_int.h"

enum zf {
	ZF_TS, ZF_OH, ZF_OP, ZF_RH, ZF_RP, ZF_PROTO, ZF_DUR, ZF_OB, ZF_RB,
	ZF_STATE, ZF_HIST, ZF_OPK, ZF_OIPB, ZF_RPK, ZF_RIPB, ZF_N
};

static const char *const zf_names[ZF_N] = {
	"ts", "id.orig_h", "id.orig_p", "id.resp_h", "id.resp_p", "proto",
	"duration", "orig_bytes", "resp_bytes", "conn_state", "history",
	"orig_pkts", "orig_ip_bytes", "resp_pkts", "resp_ip_bytes"
};

/* Zeek's default conn.log column order (for files without #fields) */
static const char *const zeek_default_fields[] = {
	"ts", "uid", "id.orig_h", "id.orig_p", "id.resp_h", "id.resp_p",
	"proto", "service", "duration", "orig_bytes", "resp_bytes",
	"conn_state", "local_orig", "local_resp", "missed_bytes", "history",
	"orig_pkts", "orig_ip_bytes", "resp_pkts", "resp_ip_bytes",
	"tunnel_parents"
};

#define ZEEK_MAX_SEP	8
#define ZEEK_MAX_MARK	32

struct zeek_state {
	char		 sep[ZEEK_MAX_SEP];
	size_t		 seplen;
	char		 unset[ZEEK_MAX_MARK];
	size_t		 unsetlen;
	char		 empty[ZEEK_MAX_MARK];
	size_t		 emptylen;
	int		 col[ZF_N];	/* column of each field, -1 absent */
	size_t		 nfields;	/* columns declared */
	int		 inited;
	struct tok	 f[IMPORT_MAX_FIELDS];
};

static void
zeek_set_fields(struct zeek_state *z, const struct tok *names, size_t n)
{
	size_t i;
	int k;

	for (k = 0; k < ZF_N; k++)
		z->col[k] = -1;
	for (i = 0; i < n; i++)
		for (k = 0; k < ZF_N; k++)
			if (tok_eq(&names[i], zf_names[k]) && z->col[k] < 0)
				z->col[k] = (int)i;
	z->nfields = n;
}

static void
zeek_init(struct zeek_state *z)
{
	struct tok	t[sizeof(zeek_default_fields) /
			    sizeof(zeek_default_fields[0])];
	size_t		i, n = sizeof(t) / sizeof(t[0]);

	z->sep[0] = '\t';
	z->seplen = 1;
	memcpy(z->unset, "-", 1);
	z->unsetlen = 1;
	memcpy(z->empty, "(empty)", 7);
	z->emptylen = 7;
	for (i = 0; i < n; i++) {
		t[i].p = zeek_default_fields[i];
		t[i].n = strlen(zeek_default_fields[i]);
	}
	zeek_set_fields(z, t, n);
	z->inited = 1;
}

/* Unescapes \xHH (and copies other bytes) into buf; returns length or -1. */
static long
unescape(const struct tok *t, char *buf, size_t cap)
{
	size_t	i, o = 0;
	int	hi, lo;

	for (i = 0; i < t->n; i++) {
		if (o == cap)
			return -1;
		if (t->p[i] == '\\' && i + 3 < t->n && t->p[i + 1] == 'x') {
			hi = t->p[i + 2];
			lo = t->p[i + 3];
			hi = hi >= '0' && hi <= '9' ? hi - '0' :
			    hi >= 'a' && hi <= 'f' ? hi - 'a' + 10 :
			    hi >= 'A' && hi <= 'F' ? hi - 'A' + 10 : -1;
			lo = lo >= '0' && lo <= '9' ? lo - '0' :
			    lo >= 'a' && lo <= 'f' ? lo - 'a' + 10 :
			    lo >= 'A' && lo <= 'F' ? lo - 'A' + 10 : -1;
			if (hi >= 0 && lo >= 0) {
				buf[o++] = (char)(hi << 4 | lo);
				i += 3;
				continue;
			}
		}
		buf[o++] = t->p[i];
	}
	return (long)o;
}

static uint8_t
history_flags(const struct tok *h, int orig)
{
	uint8_t	fl = 0;
	size_t	i;
	int	c, up;

	for (i = 0; i < h->n; i++) {
		c = (unsigned char)h->p[i];
		up = c >= 'A' && c <= 'Z';
		if (up != orig)
			continue;
		switch (up ? c - 'A' + 'a' : c) {
		case 's': fl |= TH_SYN; break;
		case 'h': fl |= TH_SYN | TH_ACK; break;
		case 'a': fl |= TH_ACK; break;
		case 'd': fl |= TH_ACK | TH_PSH; break;
		case 'f': fl |= TH_FIN; break;
		case 'r': fl |= TH_RST; break;
		default: break;
		}
	}
	return fl;
}

static void
state_flags(const struct tok *s, uint8_t *of, uint8_t *rf)
{
	static const struct {
		const char	*st;
		uint8_t		 o, r;
	} tab[] = {
		{ "S0", TH_SYN, 0 },
		{ "S1", TH_SYN | TH_ACK, TH_SYN | TH_ACK },
		{ "SF", TH_SYN | TH_ACK | TH_FIN, TH_SYN | TH_ACK | TH_FIN },
		{ "REJ", TH_SYN, TH_RST | TH_ACK },
		{ "S2", TH_SYN | TH_ACK | TH_FIN, TH_SYN | TH_ACK },
		{ "S3", TH_SYN | TH_ACK, TH_SYN | TH_ACK | TH_FIN },
		{ "RSTO", TH_SYN | TH_ACK | TH_RST, TH_SYN | TH_ACK },
		{ "RSTR", TH_SYN | TH_ACK, TH_SYN | TH_ACK | TH_RST },
		{ "RSTOS0", TH_SYN | TH_RST, 0 },
		{ "RSTRH", 0, TH_SYN | TH_ACK | TH_RST },
		{ "SH", TH_SYN | TH_FIN, 0 },
		{ "SHR", 0, TH_SYN | TH_ACK | TH_FIN },
	};
	size_t i;

	for (i = 0; i < sizeof(tab) / sizeof(tab[0]); i++)
		if (tok_eq(s, tab[i].st)) {
			*of = tab[i].o;
			*rf = tab[i].r;
			return;
		}
}

static uint8_t
icmp_reply(uint8_t type, int v6)
{
	if (v6) {
		switch (type) {
		case 128: return 129;
		case 130: return 131;
		case 133: return 134;
		case 135: return 136;
		default: return type;
		}
	}
	switch (type) {
	case 8: return 0;
	case 13: return 14;
	case 15: return 16;
	case 17: return 18;
	case 10: return 9;
	default: return type;
	}
}

static uint64_t
sat_add(uint64_t a, uint64_t b)
{
	return a > UINT64_MAX - b ? UINT64_MAX : a + b;
}

/* Numbers: an unset value is "absent" (have = 0). */
static int
opt_u64(struct import_ctx *ctx, const struct tok *v, int have, int k,
    uint64_t *out, int *present)
{
	int rc;

	*present = 0;
	*out = 0;
	if (!have)
		return 0;
	if ((rc = tok_u64(v, out)) != 0) {
		import_bad(ctx, "%s: %s '%.*s'", zf_names[k],
		    rc == MM_ERANGE ? "out of range" : "not a count",
		    (int)(v->n > 40 ? 40 : v->n), v->p);
		return rc;
	}
	*present = 1;
	return 0;
}

/*
 * One connection: v[k]/have[k] per field (have 0 = unset, empty or
 * missing). Emits its flows; a bad value is reported and skips the record.
 */
static void
zeek_conn(struct import_ctx *ctx, const struct tok *v, const int *have)
{
	struct flow	 f, r;
	mtime_t		 ts, dur = 0;
	uint64_t	 op = 0, rp = 0, opk, rpk, ob, rb, oipb, ripb, x;
	int		 popk, prpk, pob, prb, poipb, pripb, rc, v6;
	uint8_t		 proto, of = 0, rf = 0, type, code;

	memset(&f, 0, sizeof(f));
	if (!have[ZF_TS]) {
		import_bad(ctx, "ts: missing");
		return;
	}
	if (memchr(v[ZF_TS].p, '-', v[ZF_TS].n) != NULL ||
	    memchr(v[ZF_TS].p, ':', v[ZF_TS].n) != NULL)
		rc = tok_time(&v[ZF_TS], &ts);
	else
		rc = tok_secs_ms(&v[ZF_TS], &ts);
	if (rc != 0) {
		import_bad(ctx, "ts: bad time '%.*s'",
		    (int)(v[ZF_TS].n > 40 ? 40 : v[ZF_TS].n), v[ZF_TS].p);
		return;
	}
	if (ts == 0) {
		import_bad(ctx, "ts: zero time");
		return;
	}
	if (!have[ZF_OH] || tok_addr(&v[ZF_OH], &f.src) != 0) {
		import_bad(ctx, "id.orig_h: bad or missing address");
		return;
	}
	if (!have[ZF_RH] || tok_addr(&v[ZF_RH], &f.dst) != 0) {
		import_bad(ctx, "id.resp_h: bad or missing address");
		return;
	}
	if (addr_is_v4(&f.src) != addr_is_v4(&f.dst)) {
		import_bad(ctx, "id.resp_h: address family differs from "
		    "id.orig_h");
		return;
	}
	if (!have[ZF_PROTO] || tok_proto(&v[ZF_PROTO], &proto) != 0) {
		import_bad(ctx, "proto: bad or missing");
		return;
	}
	v6 = !addr_is_v4(&f.src);
	if (proto == 1 && v6)
		proto = 58;
	if ((have[ZF_OP] && tok_u64(&v[ZF_OP], &op) != 0) || op > 65535) {
		import_bad(ctx, "id.orig_p: bad port");
		return;
	}
	if ((have[ZF_RP] && tok_u64(&v[ZF_RP], &rp) != 0) || rp > 65535) {
		import_bad(ctx, "id.resp_p: bad port");
		return;
	}
	if (have[ZF_DUR] && (rc = tok_secs_ms(&v[ZF_DUR], &dur)) != 0) {
		import_bad(ctx, "duration: %s '%.*s'", rc == MM_ERANGE ?
		    "out of range" : "bad seconds",
		    (int)(v[ZF_DUR].n > 40 ? 40 : v[ZF_DUR].n), v[ZF_DUR].p);
		return;
	}
	if (dur > IMPORT_MAX_TIME_S * 1000 - ts) {
		import_bad(ctx, "duration: ends beyond year 3000");
		return;
	}
	if (opt_u64(ctx, &v[ZF_OPK], have[ZF_OPK], ZF_OPK, &opk, &popk) ||
	    opt_u64(ctx, &v[ZF_RPK], have[ZF_RPK], ZF_RPK, &rpk, &prpk) ||
	    opt_u64(ctx, &v[ZF_OB], have[ZF_OB], ZF_OB, &ob, &pob) ||
	    opt_u64(ctx, &v[ZF_RB], have[ZF_RB], ZF_RB, &rb, &prb) ||
	    opt_u64(ctx, &v[ZF_OIPB], have[ZF_OIPB], ZF_OIPB, &oipb, &poipb) ||
	    opt_u64(ctx, &v[ZF_RIPB], have[ZF_RIPB], ZF_RIPB, &ripb, &pripb))
		return;
	if (poipb)
		ob = oipb;
	if (pripb)
		rb = ripb;
	(void)pob;
	if (proto == 6) {
		if (have[ZF_HIST]) {
			of = history_flags(&v[ZF_HIST], 1);
			rf = history_flags(&v[ZF_HIST], 0);
		} else if (have[ZF_STATE])
			state_flags(&v[ZF_STATE], &of, &rf);
	}
	ctx->st->records++;

	f.first = ts;
	f.last = ts + dur;
	f.proto = proto;
	f.sampling = 1;
	f.packets = opk;
	f.bytes = ob;
	f.tcp_flags = of;
	if (proto == 1 || proto == 58) {
		if (op > 255 || rp > 255) {
			ctx->st->records--;
			import_bad(ctx, "id.orig_p/id.resp_p: ICMP type/code "
			    "above 255");
			return;
		}
		type = (uint8_t)op;
		code = (uint8_t)rp;
		f.src_port = 0;
		f.dst_port = (uint16_t)(type << 8 | code);
	} else {
		type = code = 0;
		f.src_port = (uint16_t)op;
		f.dst_port = (uint16_t)rp;
	}
	r = f;
	r.src = f.dst;
	r.dst = f.src;
	r.packets = rpk;
	r.bytes = rb;
	r.tcp_flags = rf;
	if (proto == 1 || proto == 58)
		r.dst_port = (uint16_t)(icmp_reply(type, v6) << 8 | code);
	else {
		r.src_port = f.dst_port;
		r.dst_port = f.src_port;
	}
	if (ctx->conf->bidir) {
		f.packets = sat_add(opk, rpk);
		f.bytes = sat_add(ob, rb);
		f.tcp_flags = of | rf;
		(void)import_emit(ctx, &f);
		return;
	}
	/* forward unless it certainly carried nothing while the reply did */
	x = popk ? opk : 1;
	if (x > 0 || !(prpk ? rpk > 0 : prb && rb > 0))
		if (import_emit(ctx, &f) != 0)
			return;
	if (prpk ? rpk > 0 : (prb && rb > 0))
		(void)import_emit(ctx, &r);
}

/* ---- TSV ---- */

static int
is_marker(const struct tok *t, const char *m, size_t mlen)
{
	return t->n == mlen && memcmp(t->p, m, mlen) == 0;
}

static int
zeek_header(struct zeek_state *z, struct import_ctx *ctx, const char *s,
    size_t n, struct mm_diag *diag)
{
	struct tok	 t, key, *f = z->f;
	char		 buf[ZEEK_MAX_MARK];
	size_t		 nf;
	long		 len;

	ctx->st->skipped++;
	if (n >= 11 && memcmp(s, "#separator ", 11) == 0) {
		t.p = s + 11;
		t.n = n - 11;
		len = unescape(&t, buf, sizeof(buf));
		if (len < 1 || len >= ZEEK_MAX_SEP) {
			ctx->st->skipped--;
			import_bad(ctx, "#separator: bad value");
			return 0;
		}
		memcpy(z->sep, buf, (size_t)len);
		z->seplen = (size_t)len;
		return 0;
	}
	nf = tok_split(s, n, z->sep, z->seplen, f, IMPORT_MAX_FIELDS);
	if (nf > IMPORT_MAX_FIELDS) {
		ctx->st->skipped--;
		import_bad(ctx, "header: more than %d fields",
		    IMPORT_MAX_FIELDS);
		return 0;
	}
	key = f[0];
	if (tok_eq(&key, "#fields")) {
		zeek_set_fields(z, f + 1, nf - 1);
		if (z->col[ZF_TS] < 0 || z->col[ZF_OH] < 0 ||
		    z->col[ZF_RH] < 0) {
			ctx->st->skipped--;
			import_bad(ctx, "#fields: no ts, id.orig_h or "
			    "id.resp_h column");
		}
	} else if (tok_eq(&key, "#path") && nf >= 2) {
		if (!tok_eq(&f[1], "conn"))
			return mm_diag_set(diag, MM_EFORMAT,
			    "%s:%llu: #path is '%.*s', not a conn log",
			    ctx->name, (unsigned long long)ctx->lineno,
			    (int)(f[1].n > 40 ? 40 : f[1].n), f[1].p);
	} else if ((tok_eq(&key, "#unset_field") ||
	    tok_eq(&key, "#empty_field")) && nf >= 2) {
		len = unescape(&f[1], buf, sizeof(buf));
		if (len < 0) {
			ctx->st->skipped--;
			import_bad(ctx, "%.*s: value too long", (int)key.n,
			    key.p);
		} else if (tok_eq(&key, "#unset_field")) {
			memcpy(z->unset, buf, (size_t)len);
			z->unsetlen = (size_t)len;
		} else {
			memcpy(z->empty, buf, (size_t)len);
			z->emptylen = (size_t)len;
		}
	}
	/* #set_separator, #types, #open, #close: nothing to keep */
	return 0;
}

static void
zeek_tsv(struct zeek_state *z, struct import_ctx *ctx, const char *s,
    size_t n)
{
	struct tok	 v[ZF_N];
	int		 have[ZF_N], k;
	size_t		 nf;

	nf = tok_split(s, n, z->sep, z->seplen, z->f, IMPORT_MAX_FIELDS);
	if (nf > IMPORT_MAX_FIELDS) {
		import_bad(ctx, "more than %d fields", IMPORT_MAX_FIELDS);
		return;
	}
	if (nf != z->nfields) {
		import_bad(ctx, "%zu fields, #fields declares %zu", nf,
		    z->nfields);
		return;
	}
	for (k = 0; k < ZF_N; k++) {
		have[k] = 0;
		v[k].p = "";
		v[k].n = 0;
		if (z->col[k] < 0)
			continue;
		v[k] = z->f[z->col[k]];
		have[k] = v[k].n > 0 && !is_marker(&v[k], z->unset,
		    z->unsetlen) && !is_marker(&v[k], z->empty, z->emptylen);
	}
	zeek_conn(ctx, v, have);
}

/* ---- JSON ---- */

static void
zeek_json(struct import_ctx *ctx, const char *s, size_t n)
{
	json_error_t	 err;
	json_t		*o, *val, *id;
	struct tok	 v[ZF_N];
	char		 num[ZF_N][40];
	int		 have[ZF_N], k;
	double		 d;

	o = json_loadb(s, n, JSON_REJECT_DUPLICATES, &err);
	if (o == NULL || !json_is_object(o)) {
		if (o == NULL)
			import_bad(ctx, "JSON: %s (column %d)", err.text,
			    err.column);
		else
			import_bad(ctx, "JSON: not an object");
		json_decref(o);
		return;
	}
	id = json_object_get(o, "id");
	for (k = 0; k < ZF_N; k++) {
		have[k] = 0;
		v[k].p = "";
		v[k].n = 0;
		val = json_object_get(o, zf_names[k]);
		if (val == NULL && json_is_object(id) &&
		    strncmp(zf_names[k], "id.", 3) == 0)
			val = json_object_get(id, zf_names[k] + 3);
		if (val == NULL || json_is_null(val))
			continue;
		have[k] = 1;
		if (json_is_string(val)) {
			v[k].p = json_string_value(val);
			v[k].n = json_string_length(val);
		} else if (json_is_integer(val)) {
			snprintf(num[k], sizeof(num[k]), "%lld",
			    (long long)json_integer_value(val));
			v[k].p = num[k];
			v[k].n = strlen(num[k]);
		} else if (json_is_real(val)) {
			d = json_real_value(val);
			if (d >= 0 && d < 1e15)
				snprintf(num[k], sizeof(num[k]), "%.6f", d);
			else
				snprintf(num[k], sizeof(num[k]), "%s",
				    d < 0 ? "negative" : "huge");
			v[k].p = num[k];
			v[k].n = strlen(num[k]);
		} else {
			v[k].p = "(not a scalar)";
			v[k].n = strlen(v[k].p);
		}
		if (v[k].n == 0)
			have[k] = 0;
	}
	zeek_conn(ctx, v, have);
	json_decref(o);
}

static int
zeek_line(void *state, struct import_ctx *ctx, const char *s, size_t n,
    struct mm_diag *diag)
{
	struct zeek_state	*z = state;
	size_t			 i = 0;

	if (!z->inited)
		zeek_init(z);
	while (i < n && (s[i] == ' ' || s[i] == '\t'))
		i++;
	if (i == n) {
		ctx->st->skipped++;
		return 0;
	}
	if (s[0] == '#')
		return zeek_header(z, ctx, s, n, diag);
	if (s[i] == '{')
		zeek_json(ctx, s + i, n - i);
	else
		zeek_tsv(z, ctx, s, n);
	return 0;
}

const struct import_text_ops import_zeek_ops = {
	"zeek", sizeof(struct zeek_state), zeek_line, NULL
};
