/*
 * nfcsv.c - nfdump's CSV output (`nfdump -o csv`, nfdump 1.7):
 *   ts,te,td,sa,da,sp,dp,pr,flg,fwd,stos,ipkt,ibyt,opkt,obyt,in,out,sas,
 *   das,smk,dmk,dtos,dir,nh,nhb,svln,dvln,...,ra,eng,exid,tr
 * followed by a summary trailer ("Summary", its header, one line of
 * totals) that is skipped, as is everything after it.
 *
 * Columns are found by name in the header line, so older or newer nfdump
 * column sets work as long as ts, sa and da are there. Times are printed by
 * nfdump in the local time zone and are read as UTC (run nfdump with
 * TZ=UTC); ts has whole seconds, so first = ts and last = ts + td (td has
 * ms). dp already holds ICMP type*256+code as mamori stores it. flg is
 * nfdump's "CEUAPRSF" string ('.' = clear; shorter strings align right) or
 * a 0x value. Counters ipkt/ibyt make the flow; a biflow's opkt/obyt (NSEL)
 * make a second, reversed flow. stos -> tos, in/out -> interfaces,
 * sas/das -> AS, smk/dmk -> masks, nh -> nexthop, svln -> vlan, ra ->
 * exporter, dir 1 -> egress. Cost: O(line) per line.
 */
#include <string.h>

#include "import/import_int.h"

enum nc {
	NC_TS, NC_TD, NC_SA, NC_DA, NC_SP, NC_DP, NC_PR, NC_FLG, NC_STOS,
	NC_IPKT, NC_IBYT, NC_OPKT, NC_OBYT, NC_IN, NC_OUT, NC_SAS, NC_DAS,
	NC_SMK, NC_DMK, NC_DIR, NC_NH, NC_SVLN, NC_RA, NC_N
};

static const char *const nc_names[NC_N] = {
	"ts", "td", "sa", "da", "sp", "dp", "pr", "flg", "stos", "ipkt",
	"ibyt", "opkt", "obyt", "in", "out", "sas", "das", "smk", "dmk",
	"dir", "nh", "svln", "ra"
};

struct nc_state {
	int		 col[NC_N];
	size_t		 ncols;
	int		 have_header;
	int		 trailer;	/* "Summary" seen: skip the rest */
	struct tok	 f[IMPORT_MAX_FIELDS];
};

static const struct tok *
col(const struct nc_state *c, int k)
{
	static const struct tok none = { "", 0 };

	if (c->col[k] < 0)
		return &none;
	return &c->f[c->col[k]];
}

static int
flags_parse(const struct tok *t0, uint8_t *fl)
{
	struct tok	t = *t0;
	uint64_t	v;
	size_t		i;

	tok_trim(&t);
	if (t.n > 2 && t.p[0] == '0' && (t.p[1] == 'x' || t.p[1] == 'X')) {
		if (tok_uint_max(&t, 255, &v) != 0)
			return MM_ESYNTAX;
		*fl = (uint8_t)v;
		return 0;
	}
	if (t.n > 8)
		return MM_ESYNTAX;
	*fl = 0;
	for (i = 0; i < t.n; i++)
		if (t.p[i] != '.')
			*fl |= (uint8_t)(1u << (t.n - 1 - i));
	return 0;
}

/* Optional unsigned column (empty = 0). */
static int
opt_uint(struct import_ctx *ctx, const struct nc_state *c, int k,
    uint64_t max, uint64_t *v)
{
	const struct tok *t = col(c, k);
	struct tok	 tt = *t;
	int		 rc;

	*v = 0;
	tok_trim(&tt);
	if (tt.n == 0)
		return 0;
	if ((rc = tok_uint_max(&tt, max, v)) != 0) {
		import_bad(ctx, "%s: %s '%.*s'", nc_names[k], rc == MM_ERANGE ?
		    "out of range" : "bad number", (int)(tt.n > 40 ? 40 : tt.n),
		    tt.p);
		return rc;
	}
	return 0;
}

static int
nc_line(void *state, struct import_ctx *ctx, const char *s, size_t n,
    struct mm_diag *diag)
{
	struct nc_state	*c = state;
	struct flow	 f, r;
	struct tok	 t;
	uint64_t	 v, opkt, obyt;
	mtime_t		 td = 0;
	size_t		 nf, i;
	int		 k, rc;

	if (c->trailer || n == 0) {
		ctx->st->skipped++;
		return 0;
	}
	nf = tok_split(s, n, ",", 1, c->f, IMPORT_MAX_FIELDS);
	if (nf > IMPORT_MAX_FIELDS) {
		import_bad(ctx, "more than %d fields", IMPORT_MAX_FIELDS);
		return 0;
	}
	t = c->f[0];
	tok_trim(&t);
	if (tok_eq(&t, "Summary") && nf == 1) {
		c->trailer = 1;
		ctx->st->skipped++;
		return 0;
	}
	if (tok_eq(&t, "ts")) {
		for (k = 0; k < NC_N; k++)
			c->col[k] = -1;
		for (i = 0; i < nf; i++) {
			t = c->f[i];
			tok_trim(&t);
			for (k = 0; k < NC_N; k++)
				if (tok_eq(&t, nc_names[k]) && c->col[k] < 0)
					c->col[k] = (int)i;
		}
		c->ncols = nf;
		if (c->col[NC_TS] < 0 || c->col[NC_SA] < 0 ||
		    c->col[NC_DA] < 0)
			return mm_diag_set(diag, MM_EFORMAT, "%s:%llu: header "
			    "has no ts, sa or da column", ctx->name,
			    (unsigned long long)ctx->lineno);
		c->have_header = 1;
		ctx->st->skipped++;
		return 0;
	}
	if (!c->have_header)
		return mm_diag_set(diag, MM_EFORMAT, "%s:%llu: no nfdump CSV "
		    "header (ts,te,td,sa,da,...) before data", ctx->name,
		    (unsigned long long)ctx->lineno);
	if (nf != c->ncols) {
		import_bad(ctx, "%zu fields, header has %zu", nf, c->ncols);
		return 0;
	}
	memset(&f, 0, sizeof(f));
	f.sampling = 1;
	if (tok_time(col(c, NC_TS), &f.first) != 0) {
		import_bad(ctx, "ts: bad time");
		return 0;
	}
	if (f.first == 0) {
		import_bad(ctx, "ts: zero time");
		return 0;
	}
	t = *col(c, NC_TD);
	tok_trim(&t);
	if (t.n > 0 && (rc = tok_secs_ms(&t, &td)) != 0) {
		import_bad(ctx, "td: %s", rc == MM_ERANGE ? "out of range" :
		    "bad seconds (negative?)");
		return 0;
	}
	if (td > IMPORT_MAX_TIME_S * 1000 - f.first) {
		import_bad(ctx, "td: ends beyond year 3000");
		return 0;
	}
	f.last = f.first + td;
	if (tok_addr(col(c, NC_SA), &f.src) != 0) {
		import_bad(ctx, "sa: bad address");
		return 0;
	}
	if (tok_addr(col(c, NC_DA), &f.dst) != 0) {
		import_bad(ctx, "da: bad address");
		return 0;
	}
	if (col(c, NC_PR)->n > 0 && tok_proto(col(c, NC_PR), &f.proto) != 0) {
		import_bad(ctx, "pr: unknown protocol");
		return 0;
	}
	if (opt_uint(ctx, c, NC_SP, 65535, &v) != 0)
		return 0;
	f.src_port = (uint16_t)v;
	if (opt_uint(ctx, c, NC_DP, 65535, &v) != 0)
		return 0;
	f.dst_port = (uint16_t)v;
	if (col(c, NC_FLG)->n > 0 &&
	    flags_parse(col(c, NC_FLG), &f.tcp_flags) != 0) {
		import_bad(ctx, "flg: bad flags");
		return 0;
	}
	if (opt_uint(ctx, c, NC_STOS, 255, &v) != 0)
		return 0;
	f.tos = (uint8_t)v;
	if (opt_uint(ctx, c, NC_IPKT, UINT64_MAX, &f.packets) != 0 ||
	    opt_uint(ctx, c, NC_IBYT, UINT64_MAX, &f.bytes) != 0 ||
	    opt_uint(ctx, c, NC_OPKT, UINT64_MAX, &opkt) != 0 ||
	    opt_uint(ctx, c, NC_OBYT, UINT64_MAX, &obyt) != 0)
		return 0;
	if (opt_uint(ctx, c, NC_IN, UINT32_MAX, &v) != 0)
		return 0;
	f.in_if = (uint32_t)v;
	if (opt_uint(ctx, c, NC_OUT, UINT32_MAX, &v) != 0)
		return 0;
	f.out_if = (uint32_t)v;
	if (opt_uint(ctx, c, NC_SAS, UINT32_MAX, &v) != 0)
		return 0;
	f.src_as = (uint32_t)v;
	if (opt_uint(ctx, c, NC_DAS, UINT32_MAX, &v) != 0)
		return 0;
	f.dst_as = (uint32_t)v;
	if (opt_uint(ctx, c, NC_SMK, 128, &v) != 0)
		return 0;
	f.src_mask = (uint8_t)v;
	if (opt_uint(ctx, c, NC_DMK, 128, &v) != 0)
		return 0;
	f.dst_mask = (uint8_t)v;
	if (opt_uint(ctx, c, NC_DIR, 255, &v) != 0)
		return 0;
	f.direction = v == 1 ? FLOW_DIR_EGRESS : FLOW_DIR_UNKNOWN;
	if (opt_uint(ctx, c, NC_SVLN, 4095, &v) != 0)
		return 0;
	f.vlan = (uint16_t)v;
	if (col(c, NC_NH)->n > 0 && tok_addr(col(c, NC_NH), &f.nexthop) != 0) {
		import_bad(ctx, "nh: bad address");
		return 0;
	}
	if (col(c, NC_RA)->n > 0 && tok_addr(col(c, NC_RA), &f.exporter) != 0) {
		import_bad(ctx, "ra: bad address");
		return 0;
	}
	ctx->st->records++;
	if (import_emit(ctx, &f) != 0)
		return 0;
	if (opkt > 0) {
		r = f;
		r.src = f.dst;
		r.dst = f.src;
		r.src_mask = f.dst_mask;
		r.dst_mask = f.src_mask;
		r.src_as = f.dst_as;
		r.dst_as = f.src_as;
		if (f.proto != 1 && f.proto != 58) {
			r.src_port = f.dst_port;
			r.dst_port = f.src_port;
		}
		r.packets = opkt;
		r.bytes = obyt;
		(void)import_emit(ctx, &r);
	}
	return 0;
}

const struct import_text_ops import_nfcsv_ops = {
	"nfcsv", sizeof(struct nc_state), nc_line, NULL
};
