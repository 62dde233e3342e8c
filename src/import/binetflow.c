/*
 * binetflow.c - Argus bidirectional flow CSV as published with the CTU-13
 * botnet captures (.binetflow):
 *   StartTime,Dur,Proto,SrcAddr,Sport,Dir,DstAddr,Dport,State,sTos,dTos,
 *   TotPkts,TotBytes,SrcBytes,Label
 *
 * Columns are found by name in the header line (case-insensitive), so
 * other Argus field selections work as long as StartTime, SrcAddr and
 * DstAddr are there; lines before any header are read in the order above.
 * StartTime is "2011/08/10 09:46:59.607825" (UTC), Dur seconds. Ports are
 * decimal or hexadecimal ("0x0303"). An Argus record is bidirectional and
 * gives packets only as a total, so each line becomes ONE flow: src =
 * SrcAddr, packets = TotPkts, bytes = TotBytes, whatever Dir says ("->",
 * "<->", "<?>", "who" ...). ICMP: Argus puts type and code in Sport (e.g.
 * 0x0303 = type 3 code 3; a value below 256 is a bare type), stored as
 * dst_port = type*256+code; Dport (the ICMP id) is dropped. TCP State
 * ("FSPA_FSRPA") gives tcp_flags: the union of both sides' letters. tos =
 * sTos. The Label column is not stored; it goes to sink->label when set
 * (the CLI's --labels FILE), with any commas it held.
 * Cost: O(line) per line.
 */
#include <string.h>

#include "import/import_int.h"

enum bf {
	BF_START, BF_DUR, BF_PROTO, BF_SRC, BF_SPORT, BF_DIR, BF_DST,
	BF_DPORT, BF_STATE, BF_STOS, BF_PKTS, BF_BYTES, BF_LABEL, BF_N
};

static const char *const bf_names[BF_N] = {
	"StartTime", "Dur", "Proto", "SrcAddr", "Sport", "Dir", "DstAddr",
	"Dport", "State", "sTos", "TotPkts", "TotBytes", "Label"
};

/* CTU-13 order, for files without a header */
static const int bf_default[BF_N] = {
	0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 11, 12, 14
};

struct bf_state {
	int		 col[BF_N];
	size_t		 ncols;
	int		 inited;
	struct tok	 f[IMPORT_MAX_FIELDS];
};

static uint8_t
state_tcp_flags(const struct tok *t)
{
	uint8_t	fl = 0;
	size_t	i;

	if (memchr(t->p, '_', t->n) == NULL)
		return 0;
	for (i = 0; i < t->n; i++)
		switch (t->p[i]) {
		case 'F': fl |= TH_FIN; break;
		case 'S': fl |= TH_SYN; break;
		case 'R': fl |= TH_RST; break;
		case 'P': fl |= TH_PSH; break;
		case 'A': fl |= TH_ACK; break;
		case 'U': fl |= TH_URG; break;
		case 'E': fl |= TH_ECE; break;
		case 'C': fl |= TH_CWR; break;
		default: break;
		}
	return fl;
}

/* A line whose first field is not a number: a header when it names
 * StartTime, SrcAddr and DstAddr, else a malformed line (the column map
 * is then left alone). */
static int
bf_header(struct bf_state *b, struct import_ctx *ctx, size_t nf)
{
	struct tok	t;
	int		col[BF_N];
	size_t		i;
	int		k;

	for (k = 0; k < BF_N; k++)
		col[k] = -1;
	for (i = 0; i < nf; i++) {
		t = b->f[i];
		tok_trim(&t);
		for (k = 0; k < BF_N; k++)
			if (tok_eqi(&t, bf_names[k]) && col[k] < 0)
				col[k] = (int)i;
	}
	if (col[BF_START] < 0 || col[BF_SRC] < 0 || col[BF_DST] < 0) {
		import_bad(ctx, "StartTime: not a time, and not a header "
		    "naming StartTime, SrcAddr and DstAddr");
		return 0;
	}
	memcpy(b->col, col, sizeof(b->col));
	b->ncols = nf;
	ctx->st->skipped++;
	return 0;
}

static const struct tok *
col(const struct bf_state *b, int k, size_t nf)
{
	static const struct tok none = { "", 0 };

	if (b->col[k] < 0 || (size_t)b->col[k] >= nf)
		return &none;
	return &b->f[b->col[k]];
}

static int
bf_line(void *state, struct import_ctx *ctx, const char *s, size_t n,
    struct mm_diag *diag)
{
	struct bf_state	*b = state;
	const struct tok *t;
	struct flow	 f;
	struct tok	 tt;
	uint64_t	 v;
	mtime_t		 dur = 0;
	size_t		 nf;
	int		 rc;

	(void)diag;
	if (!b->inited) {
		memcpy(b->col, bf_default, sizeof(b->col));
		b->ncols = 15;
		b->inited = 1;
	}
	if (n == 0 || s[0] == '#') {
		ctx->st->skipped++;
		return 0;
	}
	nf = tok_split(s, n, ",", 1, b->f, IMPORT_MAX_FIELDS);
	if (nf > IMPORT_MAX_FIELDS) {
		import_bad(ctx, "more than %d fields", IMPORT_MAX_FIELDS);
		return 0;
	}
	tt = b->f[0];
	tok_trim(&tt);
	if (tt.n > 0 && (tt.p[0] < '0' || tt.p[0] > '9'))
		return bf_header(b, ctx, nf);
	/* the Label column may be last and hold commas */
	if (nf != b->ncols && !(nf > b->ncols && b->col[BF_LABEL] >= 0 &&
	    (size_t)b->col[BF_LABEL] == b->ncols - 1)) {
		import_bad(ctx, "%zu fields, header has %zu", nf, b->ncols);
		return 0;
	}
	memset(&f, 0, sizeof(f));
	f.sampling = 1;
	if (tok_time(col(b, BF_START, nf), &f.first) != 0) {
		import_bad(ctx, "StartTime: bad time");
		return 0;
	}
	if (f.first == 0) {
		import_bad(ctx, "StartTime: zero time");
		return 0;
	}
	t = col(b, BF_DUR, nf);
	if (t->n > 0 && (rc = tok_secs_ms(t, &dur)) != 0) {
		import_bad(ctx, "Dur: %s", rc == MM_ERANGE ? "out of range" :
		    "bad seconds (negative?)");
		return 0;
	}
	if (dur > IMPORT_MAX_TIME_S * 1000 - f.first) {
		import_bad(ctx, "Dur: ends beyond year 3000");
		return 0;
	}
	f.last = f.first + dur;
	if (tok_proto(col(b, BF_PROTO, nf), &f.proto) != 0) {
		import_bad(ctx, "Proto: unknown protocol");
		return 0;
	}
	if (tok_addr(col(b, BF_SRC, nf), &f.src) != 0) {
		import_bad(ctx, "SrcAddr: bad address");
		return 0;
	}
	if (tok_addr(col(b, BF_DST, nf), &f.dst) != 0) {
		import_bad(ctx, "DstAddr: bad address");
		return 0;
	}
	if (addr_is_v4(&f.src) != addr_is_v4(&f.dst)) {
		import_bad(ctx, "DstAddr: address family differs from SrcAddr");
		return 0;
	}
	if (f.proto == 1 && !addr_is_v4(&f.src))
		f.proto = 58;
	t = col(b, BF_SPORT, nf);
	v = 0;
	if (t->n > 0 && tok_uint_max(t, 65535, &v) != 0) {
		import_bad(ctx, "Sport: bad port");
		return 0;
	}
	if (f.proto == 1 || f.proto == 58) {
		f.dst_port = (uint16_t)(v > 255 ? v : v << 8);
	} else {
		f.src_port = (uint16_t)v;
		t = col(b, BF_DPORT, nf);
		v = 0;
		if (t->n > 0 && tok_uint_max(t, 65535, &v) != 0) {
			import_bad(ctx, "Dport: bad port");
			return 0;
		}
		f.dst_port = (uint16_t)v;
	}
	t = col(b, BF_STOS, nf);
	v = 0;
	if (t->n > 0 && tok_uint_max(t, 255, &v) != 0) {
		import_bad(ctx, "sTos: bad value");
		return 0;
	}
	f.tos = (uint8_t)v;
	if ((rc = tok_u64(col(b, BF_PKTS, nf), &f.packets)) != 0) {
		import_bad(ctx, "TotPkts: %s", rc == MM_ERANGE ?
		    "out of range" : "not a count");
		return 0;
	}
	if ((rc = tok_u64(col(b, BF_BYTES, nf), &f.bytes)) != 0) {
		import_bad(ctx, "TotBytes: %s", rc == MM_ERANGE ?
		    "out of range" : "not a count");
		return 0;
	}
	if (f.proto == 6)
		f.tcp_flags = state_tcp_flags(col(b, BF_STATE, nf));
	ctx->st->records++;
	if (import_emit(ctx, &f) != 0)
		return 0;
	if (ctx->sink->label != NULL && b->col[BF_LABEL] >= 0 &&
	    (size_t)b->col[BF_LABEL] < nf) {
		/* a last Label column runs to the end of the line */
		tt = b->f[b->col[BF_LABEL]];
		if ((size_t)b->col[BF_LABEL] == b->ncols - 1)
			tt.n = (size_t)(s + n - tt.p);
		tok_trim(&tt);
		if (tt.n > 0)
			ctx->sink->label(ctx->sink->arg, &f, tt.p, tt.n);
	}
	return 0;
}

const struct import_text_ops import_binetflow_ops = {
	"binetflow", sizeof(struct bf_state), bf_line, NULL
};
