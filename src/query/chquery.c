/*
 * chquery.c - query pushdown to ClickHouse; see chquery.h for the contract.
 *
 * SQL. Statements are built into one growable buffer (capped at
 * CHQUERY_MAXSQL). The filter AST (filter_root()/filter_node()) maps node
 * for node: AND/OR/NOT as such; an address prefix as a comparison of the
 * whole bytes (substring(col, 1, k) = unhex(..)) plus a bitAnd() on the one
 * partial byte; sets as IN lists; numeric fields as columns and the derived
 * ones (duration, bps, pps, bpp) as the expressions filter.c evaluates,
 * with its conventions: duration 0 when last <= first, rates 0 for zero
 * duration, computed in double as (bytes * 8) * 1000.0 / duration and
 * truncated, bpp 0 without packets. "Either" pairs become OR (AND for
 * "src and dst"). The time window is first_ms >= start AND first_ms < end as
 * query.c applies it, plus the equivalent bounds on the `date` partition
 * column so that ClickHouse prunes whole months.
 *
 * Groups. An address key is fetched as two UInt64 words (the 16 bytes read
 * big-endian) masked the way agg.c masks: an IPv4 address to 96 + the v4
 * prefix (srcip4/N), any other to the v6 prefix (srcip6/N).
 * The flag "some address key is IPv6" is grouped on too (agg.c keeps the two
 * kinds in separate tables). ORDER BY ranks like agg_top(): order value
 * descending, IPv4 rows first, then the key bytes in the local table's
 * layout (host-order integers, so on little-endian hosts the byte-swapped
 * values), which makes LIMIT keep exactly the rows agg_top() would keep.
 * The returned groups are turned into a one-row-per-group flow_block and
 * added to a private struct agg (the row index travels in `first`, the only
 * per-row value agg keeps untouched for a fresh key), whose agg_top() rows
 * then get their counters from ClickHouse; the rows are re-ranked locally
 * with the same comparison and printed with out_groups().
 *
 * Raw flows are read in pages ordered by (first_ms, last_ms, ...): each page
 * asks for a first_ms range sized to hold about one page and, when a page
 * fills up, the next one starts at the last time seen and skips the rows
 * with that time already printed: no OFFSET scans, memory about one page.
 *
 * Responses are untrusted: they are read field by field through the cursor,
 * every number is range-checked for its column and every row count capped.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "collect/chhttp.h"
#include "core/addr.h"
#include "core/cursor.h"
#include "core/err.h"
#include "core/mtime.h"
#include "query/agg.h"
#include "query/chquery.h"
#include "query/filter.h"
#include "query/output.h"
#include "query/query.h"
#include "core/sbuf.h"
#include "store/block.h"

#define V4PREFIX	"00000000000000000000FFFF"
#define MAXDATEDAY	40000		/* date bounds only below 2079 */

/* ---- string builder: core/sbuf's strbuf, capped at CHQUERY_MAXSQL ---- */

/* An empty SQL buffer (content at most CHQUERY_MAXSQL - 1 bytes). */
static void
sb_init(struct strbuf *s)
{
	strbuf_init_cap(s, CHQUERY_MAXSQL - 1);
}

static int
sb_fail(struct strbuf *s, struct mm_diag *diag)
{
	int err = s->err;

	strbuf_free(s);
	if (err == MM_ELIMIT)
		return mm_diag_set(diag, MM_ELIMIT, "clickhouse: SQL statement "
		    "longer than %u bytes", CHQUERY_MAXSQL);
	if (err == MM_ENOMEM)
		return mm_diag_set(diag, MM_ENOMEM, "out of memory");
	return mm_diag_set(diag, err, "clickhouse: cannot build SQL");
}

static int
host_le(void)
{
	const uint16_t one = 1;
	uint8_t b;

	memcpy(&b, &one, 1);
	return b == 1;
}

/* ---- WHERE ---- */

static const char *const fa_cols[] = { "src", "dst", "nexthop", "exporter" };

static void
sb_hex(struct strbuf *s, const uint8_t *b, size_t n)
{
	static const char hx[] = "0123456789ABCDEF";
	char buf[2 * 16 + 1];
	size_t i;

	for (i = 0; i < n && i < 16; i++) {
		buf[2 * i] = hx[b[i] >> 4];
		buf[2 * i + 1] = hx[b[i] & 15];
	}
	buf[2 * i] = '\0';
	strbuf_printf(s, "unhex('%s')", buf);
}

/* (col & mask(plen)) == addr, addr already masked. */
static void
sql_prefix(struct strbuf *s, const char *col, const struct mm_addr *a,
    unsigned plen)
{
	unsigned whole = plen / 8, rest = plen % 8;

	if (plen == 0) {
		strbuf_printf(s, "1");
		return;
	}
	if (plen >= 128) {
		strbuf_printf(s, "%s = ", col);
		sb_hex(s, a->b, 16);
		return;
	}
	strbuf_printf(s, "(");
	if (whole > 0) {
		strbuf_printf(s, "substring(%s, 1, %u) = ", col, whole);
		sb_hex(s, a->b, whole);
	}
	if (rest > 0) {
		unsigned m = (0xff00u >> rest) & 0xff;

		strbuf_printf(s, "%sbitAnd(reinterpretAsUInt8(substring(%s, %u, 1)), "
		    "%u) = %u", whole > 0 ? " AND " : "", col, whole + 1, m,
		    a->b[whole] & m);
	}
	strbuf_printf(s, ")");
}

static void
sql_addr1(struct strbuf *s, const struct filter *f, const struct fnode *nd,
    int field)
{
	const char *col = fa_cols[field & 3];
	size_t i;

	if (nd->type == FN_ADDRSET) {
		const struct mm_addr *set = filter_addrset(f, nd->set_off);

		strbuf_printf(s, "%s IN (", col);
		for (i = 0; i < nd->set_n; i++) {
			if (i > 0)
				strbuf_printf(s, ", ");
			sb_hex(s, set[i].b, 16);
		}
		strbuf_printf(s, ")");
		return;
	}
	sql_prefix(s, col, &nd->addr, nd->plen);
}

/* The value filter.c compares for numeric field `ff`. */
static const char *
num_expr(int ff)
{
	switch (ff) {
	case FF_SRCPORT: return "src_port";
	case FF_DSTPORT: return "dst_port";
	case FF_PROTO: return "proto";
	case FF_SRCAS: return "src_as";
	case FF_DSTAS: return "dst_as";
	case FF_INIF: return "in_if";
	case FF_OUTIF: return "out_if";
	case FF_TOS: return "tos";
	case FF_VLAN: return "vlan";
	case FF_PACKETS: return "packets";
	case FF_BYTES: return "bytes";
	case FF_DURATION:
		return "toUInt64(if(last_ms > first_ms, last_ms - first_ms, 0))";
	case FF_BPS:
		return "if(last_ms > first_ms, toUInt64(bytes * 8 * 1000.0 / "
		    "greatest(last_ms - first_ms, 1)), 0)";
	case FF_PPS:
		return "if(last_ms > first_ms, toUInt64(packets * 1000.0 / "
		    "greatest(last_ms - first_ms, 1)), 0)";
	case FF_BPP:
		return "if(packets = 0, 0, intDiv(bytes, greatest(packets, 1)))";
	default:
		return "tcp_flags";
	}
}

static void
sql_num1(struct strbuf *s, const struct filter *f, const struct fnode *nd,
    int field)
{
	static const char *const ops[] = { "=", "!=", "<", "<=", ">", ">=" };
	const char *e = num_expr(field);
	size_t i;

	if (nd->type == FN_FLAGS) {
		strbuf_printf(s, "bitAnd(%s, %llu) = %llu", e,
		    (unsigned long long)nd->val, (unsigned long long)nd->val);
		return;
	}
	if (nd->type == FN_NUMSET) {
		const uint64_t *set = filter_numset(f, nd->set_off);

		strbuf_printf(s, "%s IN (", e);
		for (i = 0; i < nd->set_n; i++)
			strbuf_printf(s, "%s%llu", i > 0 ? ", " : "",
			    (unsigned long long)set[i]);
		strbuf_printf(s, ")");
		return;
	}
	strbuf_printf(s, "%s %s %llu", e, ops[nd->op < 6 ? nd->op : 0],
	    (unsigned long long)nd->val);
}

static int
sql_node(struct strbuf *s, const struct filter *f, int k, int depth)
{
	const struct fnode *nd = filter_node(f, k);
	const int *kids;
	size_t i;
	int rc;

	if (nd == NULL || depth > 4 * FILTER_MAXDEPTH)
		return MM_EINVAL;
	switch (nd->type) {
	case FN_ANY:
		strbuf_printf(s, "1");
		return 0;
	case FN_NONE:
		strbuf_printf(s, "0");
		return 0;
	case FN_NOT:
		strbuf_printf(s, "NOT (");
		if ((rc = sql_node(s, f, nd->l, depth + 1)) != 0)
			return rc;
		strbuf_printf(s, ")");
		return 0;
	case FN_AND: case FN_OR:
		kids = filter_kids(f, nd->set_off);
		strbuf_printf(s, "(");
		for (i = 0; i < nd->set_n; i++) {
			if (i > 0)
				strbuf_printf(s, nd->type == FN_AND ? " AND " : " OR ");
			if ((rc = sql_node(s, f, kids[i], depth + 1)) != 0)
				return rc;
		}
		strbuf_printf(s, ")");
		return 0;
	case FN_FAMILY:
		/* filter.c: the family of src, or of dst when src is zero */
		strbuf_printf(s, "%s(substring(if(src = ", nd->val == 4 ? "" : "NOT ");
		sb_hex(s, (const uint8_t *)"\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0",
		    16);
		strbuf_printf(s, ", dst, src), 1, 12) = unhex('" V4PREFIX "'))");
		return 0;
	case FN_ADDR: case FN_ADDRSET:
	case FN_NUM: case FN_NUMSET: case FN_FLAGS: {
		int is_addr = nd->type == FN_ADDR || nd->type == FN_ADDRSET;

		if (nd->pair != FPAIR_ONE)
			strbuf_printf(s, "(");
		if (is_addr)
			sql_addr1(s, f, nd, nd->field);
		else
			sql_num1(s, f, nd, nd->field);
		if (nd->pair != FPAIR_ONE) {
			strbuf_printf(s, nd->pair == FPAIR_ALL ? " AND " : " OR ");
			if (is_addr)
				sql_addr1(s, f, nd, nd->field2);
			else
				sql_num1(s, f, nd, nd->field2);
			strbuf_printf(s, ")");
		}
		return 0;
	}
	default:
		return MM_EINVAL;
	}
}

/* "YYYY-MM-DD" of day number `day`. */
static void
day_str(int64_t day, char *buf, size_t len)
{
	char t[MTIME_STRLEN];

	mtime_fmt((mtime_t)day * 86400000, 0, t, sizeof(t));
	snprintf(buf, len, "%.10s", t);
}

/* Appends the condition (window and filter); "1" when there is none. */
static int
sql_cond(struct strbuf *s, const struct query_opts *q)
{
	const struct filter *f = q->filter;
	int n = 0, rc;
	char d[16];

	if (q->has_window) {
		mtime_t a = q->window.start, b = q->window.end;

		if (b <= 0 || b <= a) {
			strbuf_printf(s, "0");
			return 0;
		}
		if (a > 0) {
			strbuf_printf(s, "first_ms >= %lld", (long long)a);
			if (a / 86400000 < MAXDATEDAY) {
				day_str(a / 86400000, d, sizeof(d));
				strbuf_printf(s, " AND date >= '%s'", d);
			}
			n++;
		}
		if (b != INT64_MAX) {
			strbuf_printf(s, "%sfirst_ms < %lld", n ? " AND " : "",
			    (long long)b);
			if ((b - 1) / 86400000 < MAXDATEDAY) {
				day_str((b - 1) / 86400000, d, sizeof(d));
				strbuf_printf(s, " AND date <= '%s'", d);
			}
			n++;
		}
	}
	if (f != NULL && !filter_is_any(f)) {
		if (n)
			strbuf_printf(s, " AND ");
		if ((rc = sql_node(s, f, filter_root(f), 0)) != 0)
			return rc;
		n++;
	}
	if (n == 0)
		strbuf_printf(s, "1");
	return 0;
}

static int
sql_where(struct strbuf *s, const struct query_opts *q)
{
	int rc;

	if (!q->has_window && (q->filter == NULL || filter_is_any(q->filter)))
		return 0;
	strbuf_printf(s, " WHERE ");
	if ((rc = sql_cond(s, q)) != 0)
		return rc;
	return 0;
}

/* ---- statements ---- */

static int
sql_totals(struct strbuf *s, const struct query_opts *q)
{
	int rc;

	strbuf_printf(s, "SELECT count(), sum(packets), sum(bytes), min(first_ms), "
	    "max(last_ms) FROM " CHQUERY_TABLE);
	if ((rc = sql_where(s, q)) != 0)
		return rc;
	strbuf_printf(s, " FORMAT TabSeparated");
	return 0;
}

static const char raw_cols[] = "first_ms, last_ms, hex(src), hex(dst), "
    "hex(nexthop), hex(exporter), packets, bytes, src_as, dst_as, in_if, "
    "out_if, sampling, src_port, dst_port, vlan, proto, tcp_flags, tos, "
    "direction, src_mask, dst_mask";
#define RAW_NCOLS	22

/* Count and first-seen range of the matching flows. */
static int
sql_raw_bounds(struct strbuf *s, const struct query_opts *q)
{
	int rc;

	strbuf_printf(s, "SELECT count(), min(first_ms), max(first_ms) FROM "
	    CHQUERY_TABLE);
	if ((rc = sql_where(s, q)) != 0)
		return rc;
	strbuf_printf(s, " FORMAT TabSeparated");
	return 0;
}

/* One page of raw flows: first_ms in [from, to] when `ranged`, `lim`
 * rows. */
static int
sql_raw(struct strbuf *s, const struct query_opts *q, int ranged, uint64_t from,
    uint64_t to, uint64_t lim)
{
	int rc;

	strbuf_printf(s, "SELECT %s FROM " CHQUERY_TABLE, raw_cols);
	if (ranged || q->has_window || (q->filter != NULL &&
	    !filter_is_any(q->filter))) {
		strbuf_printf(s, " WHERE ");
		if (ranged)
			strbuf_printf(s, "first_ms >= %llu AND first_ms <= %llu AND ",
			    (unsigned long long)from, (unsigned long long)to);
		if ((rc = sql_cond(s, q)) != 0)
			return rc;
	}
	strbuf_printf(s, " ORDER BY first_ms, last_ms, src, dst, src_port, dst_port, "
	    "proto, packets, bytes LIMIT %llu FORMAT TabSeparated",
	    (unsigned long long)lim);
	return 0;
}

static const char *
key_col(int key, int twin)
{
	switch (key) {
	case AK_SRCIP: return twin ? "dst" : "src";
	case AK_DSTIP: return "dst";
	case AK_SRCPORT: return twin ? "dst_port" : "src_port";
	case AK_DSTPORT: return "dst_port";
	case AK_PROTO: return "proto";
	case AK_SRCAS: return twin ? "dst_as" : "src_as";
	case AK_DSTAS: return "dst_as";
	case AK_INIF: return twin ? "out_if" : "in_if";
	case AK_OUTIF: return "out_if";
	case AK_EXPORTER: return "exporter";
	case AK_NEXTHOP: return "nexthop";
	case AK_TOS: return "tos";
	default: return "vlan";
	}
}

/* Bytes of key `key` in agg.c's 16-byte layout (addresses 16). */
static size_t
key_width(int key)
{
	switch (key) {
	case AK_PROTO: case AK_TOS:
		return 1;
	case AK_SRCPORT: case AK_DSTPORT: case AK_VLAN:
		return 2;
	case AK_SRCAS: case AK_DSTAS: case AK_INIF: case AK_OUTIF:
		return 4;
	default:
		return 16;
	}
}

static int
spec_has_addr(const struct agg_spec *sp)
{
	size_t j;

	for (j = 0; j < sp->nkeys; j++)
		if (agg_key_is_addr(sp->keys[j]))
			return 1;
	return 0;
}

/* Operand of key j: the column, or (either) the arrayJoin alias. */
static void
key_operand(struct strbuf *s, const struct agg_spec *sp, size_t j, int *defined)
{
	if (!sp->either) {
		strbuf_printf(s, "%s", key_col(sp->keys[j], 0));
		return;
	}
	if (*defined) {
		strbuf_printf(s, "a%zu", j);
		return;
	}
	strbuf_printf(s, "(arrayJoin([%s, %s]) AS a%zu)", key_col(sp->keys[j], 0),
	    key_col(sp->keys[j], 1), j);
	*defined = 1;
}

static void
sql_isv4(struct strbuf *s, const struct agg_spec *sp, size_t j, int *defined)
{
	strbuf_printf(s, "(substring(");
	key_operand(s, sp, j, defined);
	strbuf_printf(s, ", 1, 12) = unhex('" V4PREFIX "'))");
}

static void
sql_word(struct strbuf *s, const struct agg_spec *sp, size_t j, int *defined,
    int lo)
{
	strbuf_printf(s, "reinterpretAsUInt64(reverse(substring(");
	key_operand(s, sp, j, defined);
	strbuf_printf(s, ", %d, 8)))", lo ? 9 : 1);
}

/* Big-endian words of an all-ones-then-zeros mask of `len` bits. */
static void
mask_words(unsigned len, uint64_t *hi, uint64_t *lo)
{
	*hi = len >= 64 ? UINT64_MAX : len == 0 ? 0 :
	    UINT64_MAX << (64 - len);
	*lo = len >= 128 ? UINT64_MAX : len <= 64 ? 0 :
	    UINT64_MAX << (128 - len);
}

/* bitAnd(word(j), m), or the word alone when m is all ones. */
static void
sql_mword(struct strbuf *s, const struct agg_spec *sp, size_t j, int *defined,
    int lo, uint64_t m)
{
	if (m == UINT64_MAX) {
		sql_word(s, sp, j, defined, lo);
		return;
	}
	if (m == 0) {
		strbuf_printf(s, "toUInt64(0)");
		return;
	}
	strbuf_printf(s, "bitAnd(");
	sql_word(s, sp, j, defined, lo);
	strbuf_printf(s, ", %llu)", (unsigned long long)m);
}

/* Byte-swapped value of alias `a` of `w` bytes (the memcmp order of a
 * little-endian integer), or `a` itself on big-endian hosts. */
static void
sql_tie(struct strbuf *s, const char *a, size_t w)
{
	if (!host_le() || w == 1) {
		if (w == 4)
			strbuf_printf(s, "bitAnd(%s, 4294967295)", a);
		else
			strbuf_printf(s, "%s", a);
		return;
	}
	if (w == 2)
		strbuf_printf(s, "(bitAnd(%s, 255) * 256 + bitAnd(bitShiftRight(%s, "
		    "8), 255))", a, a);
	else
		strbuf_printf(s, "(bitAnd(%s, 255) * 16777216 + bitAnd(bitShiftRight("
		    "%s, 8), 255) * 65536 + bitAnd(bitShiftRight(%s, 16), 255) "
		    "* 256 + bitAnd(bitShiftRight(%s, 24), 255))", a, a, a, a);
}

/* Word `lo` of address key j masked as agg.c masks it: IPv4 addresses to
 * 96 + the v4 prefix, others to the v6 prefix (m4, m6: the word masks). */
static void
sql_akey(struct strbuf *s, const struct agg_spec *sp, size_t j, int *defined,
    int lo, uint64_t m4, uint64_t m6)
{
	if (m4 == m6) {
		sql_mword(s, sp, j, defined, lo, m4);
		return;
	}
	strbuf_printf(s, "if(");
	sql_isv4(s, sp, j, defined);
	strbuf_printf(s, ", ");
	sql_mword(s, sp, j, defined, lo, m4);
	strbuf_printf(s, ", ");
	sql_mword(s, sp, j, defined, lo, m6);
	strbuf_printf(s, ")");
}

static const char *
order_expr(int order)
{
	switch (order) {
	case AO_PACKETS: return "c_pk";
	case AO_BYTES: return "c_by";
	case AO_BPS:
		return "if(c_t1 > c_t0, toUInt64(c_by * 8000.0 / "
		    "greatest(c_t1 - c_t0, 1)), 0)";
	case AO_PPS:
		return "if(c_t1 > c_t0, toUInt64(c_pk * 1000.0 / "
		    "greatest(c_t1 - c_t0, 1)), 0)";
	case AO_BPP:
		return "if(c_pk = 0, 0, intDiv(c_by, greatest(c_pk, 1)))";
	default:
		return "c_fl";
	}
}

/*
 * The group query of spec `sp`: columns [v6,] per key (k<j>h, k<j>l for
 * addresses, k<j> for numbers), then c_fl, c_pk, c_by, c_t0, c_t1.
 */
static int
sql_groups(struct strbuf *s, const struct query_opts *q, const struct agg_spec *sp,
    int order, uint64_t limit)
{
	int has_addr = spec_has_addr(sp), def = 0, rc;
	size_t j, i, nsel = 0;
	char al[32];

	if (sp->nkeys == 0 || sp->nkeys > AGG_MAXKEYS ||
	    (sp->either && sp->nkeys != 1))
		return MM_EINVAL;
	strbuf_printf(s, "SELECT ");
	if (has_addr) {
		/* agg.c: the 16-byte table when some address key is not v4 */
		strbuf_printf(s, "(");
		for (j = 0, i = 0; j < sp->nkeys; j++) {
			if (!agg_key_is_addr(sp->keys[j]))
				continue;
			strbuf_printf(s, "%sNOT ", i++ ? " OR " : "");
			sql_isv4(s, sp, j, &def);
		}
		strbuf_printf(s, ") AS v6");
		nsel++;
	}
	for (j = 0; j < sp->nkeys; j++) {
		unsigned m4 = sp->mask4[j], m6 = sp->mask6[j];
		uint64_t h4, l4, h6, l6;

		strbuf_printf(s, "%s", nsel++ ? ", " : "");
		if (!agg_key_is_addr(sp->keys[j])) {
			if (sp->either)
				strbuf_printf(s, "arrayJoin([%s, %s])",
				    key_col(sp->keys[j], 0),
				    key_col(sp->keys[j], 1));
			else
				strbuf_printf(s, "%s", key_col(sp->keys[j], 0));
			strbuf_printf(s, " AS k%zu", j);
			continue;
		}
		if (m4 > 32)
			m4 = 32;
		if (m6 > 128)
			m6 = 128;
		mask_words(96 + m4, &h4, &l4);
		mask_words(m6, &h6, &l6);
		sql_akey(s, sp, j, &def, 0, h4, h6);
		strbuf_printf(s, " AS k%zuh, ", j);
		sql_akey(s, sp, j, &def, 1, l4, l6);
		strbuf_printf(s, " AS k%zul", j);
	}
	strbuf_printf(s, ", count() AS c_fl, sum(packets) AS c_pk, sum(bytes) AS c_by, "
	    "min(first_ms) AS c_t0, max(last_ms) AS c_t1 FROM " CHQUERY_TABLE);
	if ((rc = sql_where(s, q)) != 0)
		return rc;
	strbuf_printf(s, " GROUP BY ");
	nsel = 0;
	if (has_addr) {
		strbuf_printf(s, "v6");
		nsel++;
	}
	for (j = 0; j < sp->nkeys; j++) {
		if (agg_key_is_addr(sp->keys[j]))
			strbuf_printf(s, "%sk%zuh, k%zul", nsel++ ? ", " : "", j, j);
		else
			strbuf_printf(s, "%sk%zu", nsel++ ? ", " : "", j);
	}
	strbuf_printf(s, " ORDER BY %s DESC", order_expr(order));
	if (has_addr)
		strbuf_printf(s, ", v6");
	for (j = 0; j < sp->nkeys; j++) {
		if (agg_key_is_addr(sp->keys[j])) {
			snprintf(al, sizeof(al), "k%zul", j);
			strbuf_printf(s, ", if(v6, k%zuh, ", j);
			sql_tie(s, al, 4);
			strbuf_printf(s, "), if(v6, k%zul, 0)", j);
		} else {
			snprintf(al, sizeof(al), "k%zu", j);
			strbuf_printf(s, ", ");
			sql_tie(s, al, key_width(sp->keys[j]));
		}
	}
	if (limit > 0)
		strbuf_printf(s, " LIMIT %llu", (unsigned long long)limit);
	strbuf_printf(s, " FORMAT TabSeparated");
	return 0;
}

static size_t
topn_of(const struct query_opts *q)
{
	return q->topn ? q->topn : 10;
}

static int
check_opts(const struct query_opts *q, struct mm_diag *diag)
{
	size_t k;

	if (q->nstats > QUERY_MAXSTATS)
		return mm_diag_set(diag, MM_ELIMIT, "at most %d -s statistics",
		    QUERY_MAXSTATS);
	if (q->nstats > 0 && q->stats == NULL)
		return mm_diag_set(diag, MM_EINVAL, "clickhouse: no stats");
	for (k = 0; k < q->nstats; k++)
		if (q->stats[k].nkeys == 0 || q->stats[k].nkeys > AGG_MAXKEYS)
			return mm_diag_set(diag, MM_EINVAL,
			    "clickhouse: bad statistic");
	if (q->aggr != NULL && (q->aggr->nkeys == 0 ||
	    q->aggr->nkeys > AGG_MAXKEYS))
		return mm_diag_set(diag, MM_EINVAL, "clickhouse: bad -A keys");
	return 0;
}

int
chquery_where(const struct query_opts *q, char **sql_out,
    struct mm_diag *diag)
{
	struct strbuf s;
	int rc;

	*sql_out = NULL;
	sb_init(&s);
	if ((rc = sql_cond(&s, q)) != 0)
		s.err = rc;
	if (s.err != 0)
		return sb_fail(&s, diag);
	return strbuf_take(&s, sql_out, NULL);
}

int
chquery_sql(const struct query_opts *q, char **sql_out, struct mm_diag *diag)
{
	struct strbuf s;
	size_t k;
	int rc = 0;

	*sql_out = NULL;
	sb_init(&s);
	if ((rc = check_opts(q, diag)) != 0)
		return rc;
	if (q->nstats > 0 || q->aggr != NULL) {
		rc = sql_totals(&s, q);
		strbuf_printf(&s, ";\n");
		for (k = 0; k < q->nstats && rc == 0; k++) {
			rc = sql_groups(&s, q, &q->stats[k], q->stats[k].order,
			    topn_of(q));
			strbuf_printf(&s, ";\n");
		}
		if (q->aggr != NULL && rc == 0) {
			rc = sql_groups(&s, q, q->aggr, q->order, q->limit);
			strbuf_printf(&s, ";\n");
		}
	} else {
		rc = sql_raw_bounds(&s, q);
		strbuf_printf(&s, ";\n");
		if (rc == 0)
			rc = sql_raw(&s, q, 0, 0, 0, q->limit != 0 &&
			    q->limit < CHQUERY_PAGE_ROWS ? q->limit :
			    CHQUERY_PAGE_ROWS);
		strbuf_printf(&s, ";\n");
	}
	if (rc != 0)
		s.err = rc;
	if (s.err != 0)
		return sb_fail(&s, diag);
	return strbuf_take(&s, sql_out, NULL);
}

/* ---- TabSeparated responses ---- */

struct tsv {
	struct cursor	 c;
	size_t		 line;		/* 1-based, for messages */
	int		 col;
};

/* Reads one field into buf (NUL-terminated); it must end in '\n' when
 * `last`, else in '\t'. */
static int
tsv_field(struct tsv *t, char *buf, size_t cap, int last, struct mm_diag *diag)
{
	size_t n = 0;
	uint8_t ch;

	for (;;) {
		if (get_u8(&t->c, &ch) != 0)
			return mm_diag_set(diag, MM_EFORMAT, "clickhouse "
			    "response: line %zu field %d: truncated", t->line,
			    t->col + 1);
		if (ch == '\t' || ch == '\n')
			break;
		if (n + 1 >= cap)
			return mm_diag_set(diag, MM_EFORMAT, "clickhouse "
			    "response: line %zu field %d: longer than %zu bytes",
			    t->line, t->col + 1, cap - 1);
		buf[n++] = (char)ch;
	}
	buf[n] = '\0';
	if ((ch == '\n') != (last != 0))
		return mm_diag_set(diag, MM_EFORMAT, "clickhouse response: "
		    "line %zu: %s columns than expected", t->line,
		    last ? "more" : "fewer");
	t->col++;
	if (last) {
		t->line++;
		t->col = 0;
	}
	return 0;
}

static int
tsv_u64(struct tsv *t, uint64_t max, int last, uint64_t *v,
    struct mm_diag *diag)
{
	char buf[24];
	uint64_t x = 0;
	size_t i;
	int rc, col = t->col + 1;
	size_t line = t->line;

	if ((rc = tsv_field(t, buf, sizeof(buf), last, diag)) != 0)
		return rc;
	if (buf[0] == '\0')
		goto bad;
	for (i = 0; buf[i] != '\0'; i++) {
		unsigned d;

		if (buf[i] < '0' || buf[i] > '9')
			goto bad;
		d = (unsigned)(buf[i] - '0');
		if (x > (UINT64_MAX - d) / 10)
			goto bad;
		x = x * 10 + d;
	}
	if (x > max)
		goto bad;
	*v = x;
	return 0;
bad:
	return mm_diag_set(diag, MM_EFORMAT, "clickhouse response: line %zu "
	    "field %d: not a number up to %llu", line, col,
	    (unsigned long long)max);
}

static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

static int
tsv_addr(struct tsv *t, int last, struct mm_addr *a, struct mm_diag *diag)
{
	char buf[40];
	size_t i, line = t->line;
	int rc, hi, lo, col = t->col + 1;

	if ((rc = tsv_field(t, buf, sizeof(buf), last, diag)) != 0)
		return rc;
	if (strlen(buf) != 32)
		goto bad;
	for (i = 0; i < 16; i++) {
		if ((hi = hexval(buf[2 * i])) < 0 ||
		    (lo = hexval(buf[2 * i + 1])) < 0)
			goto bad;
		a->b[i] = (uint8_t)(hi << 4 | lo);
	}
	return 0;
bad:
	return mm_diag_set(diag, MM_EFORMAT, "clickhouse response: line %zu "
	    "field %d: not 16 hex bytes", line, col);
}

static int
tsv_time(struct tsv *t, int last, mtime_t *v, struct mm_diag *diag)
{
	uint64_t x;
	int rc;

	if ((rc = tsv_u64(t, INT64_MAX, last, &x, diag)) != 0)
		return rc;
	*v = (mtime_t)x;
	return 0;
}

static void
tsv_init(struct tsv *t, const char *body, size_t len)
{
	cur_init(&t->c, body, len);
	t->line = 1;
	t->col = 0;
}

/* ---- running ---- */

struct chrun {
	const struct query_opts	*q;
	struct chhttp		*h;
	struct query_stats	 st;
	struct mm_diag		*diag;
};

/* Sends `s` (consumed) and returns the response in *body and *len. */
static int
run_sql(struct chrun *r, struct strbuf *s, char **body, size_t *len)
{
	int rc;

	*body = NULL;
	if (s->err != 0)
		return sb_fail(s, r->diag);
	rc = chhttp_post(r->h, s->p, NULL, 0, body, len, r->diag);
	strbuf_free(s);
	if (rc == MM_ELIMIT)
		mm_diag_set(r->diag, rc, "clickhouse: response too large; "
		    "narrow the filter or use -c / -n");
	return rc;
}

static int
run_totals(struct chrun *r)
{
	struct strbuf s;
	struct tsv t;
	char *body = NULL;
	size_t len = 0;
	uint64_t n, p, b;
	mtime_t t0, t1;
	int rc;

	sb_init(&s);
	if ((rc = sql_totals(&s, r->q)) != 0)
		s.err = rc;
	if ((rc = run_sql(r, &s, &body, &len)) != 0)
		goto out;
	tsv_init(&t, body, len);
	if ((rc = tsv_u64(&t, UINT64_MAX, 0, &n, r->diag)) != 0 ||
	    (rc = tsv_u64(&t, UINT64_MAX, 0, &p, r->diag)) != 0 ||
	    (rc = tsv_u64(&t, UINT64_MAX, 0, &b, r->diag)) != 0 ||
	    (rc = tsv_time(&t, 0, &t0, r->diag)) != 0 ||
	    (rc = tsv_time(&t, 1, &t1, r->diag)) != 0)
		goto out;
	r->st.flows = n;
	r->st.packets = p;
	r->st.bytes = b;
	r->st.first = n ? t0 : 0;
	r->st.last = n ? t1 : 0;
	r->st.scanned = n;
out:
	free(body);
	return rc;
}

/* Sets field `key` (and its twin for either stats) of f. */
static void
flow_set_key(struct flow *f, int key, int either, const struct mm_addr *a,
    uint64_t v)
{
	switch (key) {
	case AK_SRCIP:
		f->src = *a;
		if (either)
			f->dst = *a;
		break;
	case AK_DSTIP: f->dst = *a; break;
	case AK_EXPORTER: f->exporter = *a; break;
	case AK_NEXTHOP: f->nexthop = *a; break;
	case AK_SRCPORT:
		f->src_port = (uint16_t)v;
		if (either)
			f->dst_port = (uint16_t)v;
		break;
	case AK_DSTPORT: f->dst_port = (uint16_t)v; break;
	case AK_PROTO: f->proto = (uint8_t)v; break;
	case AK_SRCAS:
		f->src_as = (uint32_t)v;
		if (either)
			f->dst_as = (uint32_t)v;
		break;
	case AK_DSTAS: f->dst_as = (uint32_t)v; break;
	case AK_INIF:
		f->in_if = (uint32_t)v;
		if (either)
			f->out_if = (uint32_t)v;
		break;
	case AK_OUTIF: f->out_if = (uint32_t)v; break;
	case AK_TOS: f->tos = (uint8_t)v; break;
	case AK_VLAN: f->vlan = (uint16_t)v; break;
	}
}

/* A ranked row and its key bytes in agg.c's layout. */
struct rank {
	struct agg_row	 r;
	uint64_t	 val;
	const uint8_t	*key;
	size_t		 klen;
};

static int
rank_cmp(const void *x, const void *y)
{
	const struct rank *a = x, *b = y;
	size_t n;
	int c;

	if (a->val != b->val)
		return a->val > b->val ? -1 : 1;
	if (a->r.v6 != b->r.v6)
		return a->r.v6 < b->r.v6 ? -1 : 1;
	n = a->klen < b->klen ? a->klen : b->klen;
	if ((c = memcmp(a->key, b->key, n)) != 0)
		return c;
	return (a->klen > b->klen) - (a->klen < b->klen);
}

/* Key bytes of row r as agg.c stores them: v4 addresses as host-order
 * uint32 when the row is v4, else 16 bytes; numbers in host order. */
static size_t
rank_key(const struct agg *a, const struct agg_row *r, uint8_t *out)
{
	const struct agg_spec *sp = agg_get_spec(a);
	struct mm_addr ad;
	uint64_t v;
	size_t j, o = 0, w;

	for (j = 0; j < sp->nkeys; j++) {
		if (agg_row_key(a, r, j, &ad, &v)) {
			if (r->v6) {
				memcpy(out + o, ad.b, 16);
				o += 16;
			} else {
				uint32_t x = addr_v4(&ad);

				memcpy(out + o, &x, 4);
				o += 4;
			}
			continue;
		}
		w = key_width(sp->keys[j]);
		if (w == 1) {
			out[o] = (uint8_t)v;
		} else if (w == 2) {
			uint16_t x = (uint16_t)v;

			memcpy(out + o, &x, 2);
		} else {
			uint32_t x = (uint32_t)v;

			memcpy(out + o, &x, 4);
		}
		o += w;
	}
	return o;
}

struct gcnt {
	uint64_t	flows, packets, bytes;
	mtime_t		first, last;
};

/* Parses group rows of spec sp into block b (one row per group, `first`
 * = the row index) and counters c. */
static int
parse_groups(struct chrun *r, const struct agg_spec *sp, const char *body,
    size_t len, struct flow_block *b, struct gcnt **cp, size_t *np)
{
	struct tsv t;
	struct gcnt *c = NULL, *nc;
	size_t n = 0, cap = 0, j;
	int has_addr = spec_has_addr(sp), rc = 0;
	uint64_t v6;

	*cp = NULL;
	*np = 0;
	tsv_init(&t, body, len);
	while (cur_left(&t.c) > 0) {
		struct flow f;
		struct gcnt g;

		if (n == CHQUERY_MAXGROUPS) {
			rc = mm_diag_set(r->diag, MM_ELIMIT, "clickhouse: more "
			    "than %u groups; use -c / -n", CHQUERY_MAXGROUPS);
			goto out;
		}
		memset(&f, 0, sizeof(f));
		v6 = 0;
		if (has_addr && (rc = tsv_u64(&t, 1, 0, &v6, r->diag)) != 0)
			goto out;
		for (j = 0; j < sp->nkeys; j++) {
			struct mm_addr a;
			uint64_t v = 0, hi, lo;

			memset(&a, 0, sizeof(a));
			if (agg_key_is_addr(sp->keys[j])) {
				if ((rc = tsv_u64(&t, UINT64_MAX, 0, &hi,
				    r->diag)) != 0 || (rc = tsv_u64(&t,
				    UINT64_MAX, 0, &lo, r->diag)) != 0)
					goto out;
				for (size_t k = 0; k < 8; k++) {
					a.b[k] = (uint8_t)(hi >> (56 - 8 * k));
					a.b[8 + k] = (uint8_t)(lo >> (56 -
					    8 * k));
				}
			} else {
				size_t w = key_width(sp->keys[j]);

				if ((rc = tsv_u64(&t, w == 1 ? 255 : w == 2 ?
				    65535 : UINT32_MAX, 0, &v, r->diag)) != 0)
					goto out;
			}
			flow_set_key(&f, sp->keys[j], sp->either, &a, v);
		}
		if ((rc = tsv_u64(&t, UINT64_MAX, 0, &g.flows, r->diag)) != 0 ||
		    (rc = tsv_u64(&t, UINT64_MAX, 0, &g.packets, r->diag)) != 0 ||
		    (rc = tsv_u64(&t, UINT64_MAX, 0, &g.bytes, r->diag)) != 0 ||
		    (rc = tsv_time(&t, 0, &g.first, r->diag)) != 0 ||
		    (rc = tsv_time(&t, 1, &g.last, r->diag)) != 0)
			goto out;
		if (g.flows == 0) {
			rc = mm_diag_set(r->diag, MM_EFORMAT, "clickhouse "
			    "response: line %zu: group without flows",
			    t.line - 1);
			goto out;
		}
		f.first = f.last = (mtime_t)n;
		if (n == cap) {
			cap = cap ? cap * 2 : 64;
			if ((nc = realloc(c, cap * sizeof(*c))) == NULL) {
				rc = mm_diag_set(r->diag, MM_ENOMEM,
				    "out of memory");
				goto out;
			}
			c = nc;
		}
		c[n++] = g;
		if ((rc = flow_block_append(b, &f)) != 0) {
			rc = mm_diag_set(r->diag, rc, "out of memory");
			goto out;
		}
	}
out:
	if (rc != 0) {
		free(c);
		return rc;
	}
	*cp = c;
	*np = n;
	return 0;
}

/* Runs one -s (is_stat) or -A query and prints it. */
static int
run_groups(struct chrun *r, const struct agg_spec *sp, int is_stat,
    int order, uint64_t limit)
{
	struct strbuf s;
	struct flow_block b;
	struct agg *a = NULL;
	struct agg_row *rows = NULL, *out = NULL;
	struct rank *rk = NULL;
	struct gcnt *c = NULL;
	uint32_t *idx = NULL;
	uint8_t *kb = NULL;
	char *body = NULL;
	size_t len = 0, n = 0, nrows = 0, i, kmax = 0, j;
	int rc;

	flow_block_init(&b);
	sb_init(&s);
	if ((rc = sql_groups(&s, r->q, sp, order, limit)) != 0)
		s.err = rc;
	if ((rc = run_sql(r, &s, &body, &len)) != 0)
		goto out;
	if ((rc = parse_groups(r, sp, body, len, &b, &c, &n)) != 0)
		goto out;
	free(body);
	body = NULL;
	if ((rc = agg_new(sp, &a)) != 0)
		goto nomem;
	if (n > 0) {
		if ((idx = malloc(n * sizeof(*idx))) == NULL)
			goto nomem;
		for (i = 0; i < n; i++)
			idx[i] = (uint32_t)i;
		if ((rc = agg_add(a, &b, idx, n)) != 0)
			goto nomem;
		if ((rc = agg_top(a, AO_FLOWS, 0, &rows, &nrows)) != 0)
			goto nomem;
	}
	if (nrows != n) {
		rc = mm_diag_set(r->diag, MM_EFORMAT, "clickhouse response: "
		    "%zu groups make %zu local keys", n, nrows);
		goto out;
	}
	for (j = 0; j < sp->nkeys; j++)
		kmax += key_width(sp->keys[j]);
	if (n > 0 && ((out = calloc(n, sizeof(*out))) == NULL ||
	    (rk = calloc(n, sizeof(*rk))) == NULL ||
	    (kb = malloc(n * kmax + 1)) == NULL))
		goto nomem;
	for (i = 0; i < nrows; i++) {
		mtime_t k = rows[i].first;

		if (k < 0 || (uint64_t)k >= n || out[k].ent != NULL) {
			rc = mm_diag_set(r->diag, MM_EFORMAT, "clickhouse "
			    "response: duplicate group");
			goto out;
		}
		out[k] = rows[i];
		out[k].flows = c[k].flows;
		out[k].packets = c[k].packets;
		out[k].bytes = c[k].bytes;
		out[k].first = c[k].first;
		out[k].last = c[k].last;
	}
	for (i = 0; i < n; i++) {
		rk[i].r = out[i];
		rk[i].val = agg_row_value(&out[i], order);
		rk[i].key = kb + i * kmax;
		rk[i].klen = rank_key(a, &out[i], kb + i * kmax);
	}
	if (n > 0)
		qsort(rk, n, sizeof(*rk), rank_cmp);
	for (i = 0; i < n; i++)
		out[i] = rk[i].r;
	out_groups(r->q->fp, &r->q->out, a, is_stat, order, out, n, &r->st);
	rc = 0;
	goto out;
nomem:
	rc = mm_diag_set(r->diag, MM_ENOMEM, "out of memory");
out:
	free(body);
	free(c);
	free(idx);
	free(rows);
	free(out);
	free(rk);
	free(kb);
	agg_free(a);
	flow_block_free(&b);
	return rc;
}

static int
parse_flow(struct tsv *t, struct flow *f, struct mm_diag *d)
{
	uint64_t v[16];
	size_t i;
	int rc;
	static const uint64_t max[16] = {
		UINT64_MAX, UINT64_MAX, UINT32_MAX, UINT32_MAX, UINT32_MAX,
		UINT32_MAX, UINT32_MAX, 65535, 65535, 65535, 255, 255, 255, 255,
		255, 255
	};

	memset(f, 0, sizeof(*f));
	if ((rc = tsv_time(t, 0, &f->first, d)) != 0 ||
	    (rc = tsv_time(t, 0, &f->last, d)) != 0 ||
	    (rc = tsv_addr(t, 0, &f->src, d)) != 0 ||
	    (rc = tsv_addr(t, 0, &f->dst, d)) != 0 ||
	    (rc = tsv_addr(t, 0, &f->nexthop, d)) != 0 ||
	    (rc = tsv_addr(t, 0, &f->exporter, d)) != 0)
		return rc;
	for (i = 0; i < 16; i++)
		if ((rc = tsv_u64(t, max[i], i == 15, &v[i], d)) != 0)
			return rc;
	f->packets = v[0];
	f->bytes = v[1];
	f->src_as = (uint32_t)v[2];
	f->dst_as = (uint32_t)v[3];
	f->in_if = (uint32_t)v[4];
	f->out_if = (uint32_t)v[5];
	f->sampling = (uint32_t)v[6];
	f->src_port = (uint16_t)v[7];
	f->dst_port = (uint16_t)v[8];
	f->vlan = (uint16_t)v[9];
	f->proto = (uint8_t)v[10];
	f->tcp_flags = (uint8_t)v[11];
	f->tos = (uint8_t)v[12];
	f->direction = (uint8_t)v[13];
	f->src_mask = (uint8_t)v[14];
	f->dst_mask = (uint8_t)v[15];
	return 0;
}

/*
 * Raw flows in pages; totals from the flows printed. A page is the rows
 * with first_ms in [from, from + span) after `skip` rows already printed,
 * at most `want` more. ClickHouse 18.16 sorts (it has no read-in-order)
 * everything a page's WHERE selects, so the span is adapted to hold about
 * CHQUERY_PAGE_ROWS rows: it starts at the average density, halves when a
 * page fills up (the next page continues after the last row printed) and
 * doubles when a span is exhausted. Memory on both sides is about one page.
 */
static int
run_raw(struct chrun *r)
{
	const struct query_opts *q = r->q;
	struct strbuf s;
	struct tsv t;
	struct flow f;
	char *body = NULL;
	size_t len = 0;
	uint64_t printed = 0, skip = 0, from, to, last, span, got, want, same;
	uint64_t cnt;
	int rc = 0;
	mtime_t lastfirst = 0, lo, hi;

	out_flow_header(q->fp, &q->out);
	r->st.first = INT64_MAX;
	r->st.last = INT64_MIN;
	sb_init(&s);
	if ((rc = sql_raw_bounds(&s, q)) != 0)
		s.err = rc;
	if ((rc = run_sql(r, &s, &body, &len)) != 0)
		goto out;
	tsv_init(&t, body, len);
	if ((rc = tsv_u64(&t, UINT64_MAX, 0, &cnt, r->diag)) != 0 ||
	    (rc = tsv_time(&t, 0, &lo, r->diag)) != 0 ||
	    (rc = tsv_time(&t, 1, &hi, r->diag)) != 0)
		goto out;
	free(body);
	body = NULL;
	if (cnt == 0 || hi < lo)
		goto out;
	from = (uint64_t)lo;
	last = (uint64_t)hi;
	span = (uint64_t)((double)(last - from + 1) * CHQUERY_PAGE_ROWS /
	    (double)cnt);
	if (span < 1)
		span = 1;
	while (from <= last) {
		want = CHQUERY_PAGE_ROWS;
		if (q->limit != 0 && q->limit - printed < want)
			want = q->limit - printed;
		if (want == 0)
			break;
		to = span - 1 > last - from ? last : from + (span - 1);
		sb_init(&s);
		if ((rc = sql_raw(&s, q, 1, from, to, skip + want)) != 0)
			s.err = rc;
		if ((rc = run_sql(r, &s, &body, &len)) != 0)
			goto out;
		tsv_init(&t, body, len);
		got = 0;
		same = 0;
		while (cur_left(&t.c) > 0) {
			if (got == skip + want) {
				rc = mm_diag_set(r->diag, MM_EFORMAT,
				    "clickhouse response: more rows than the "
				    "LIMIT of %llu", (unsigned long long)
				    (skip + want));
				goto out;
			}
			if ((rc = parse_flow(&t, &f, r->diag)) != 0)
				goto out;
			if (f.first < 0 || (uint64_t)f.first < from ||
			    (uint64_t)f.first > to ||
			    (got > 0 && f.first < lastfirst)) {
				rc = mm_diag_set(r->diag, MM_EFORMAT,
				    "clickhouse response: row outside the "
				    "requested time range or out of order");
				goto out;
			}
			if (got == 0 || f.first != lastfirst)
				same = 0;
			same++;
			lastfirst = f.first;
			if (got++ < skip)
				continue;
			out_flow(q->fp, &q->out, &f);
			printed++;
			r->st.flows++;
			r->st.packets += f.packets;
			r->st.bytes += f.bytes;
			if (f.first < r->st.first)
				r->st.first = f.first;
			if (f.last > r->st.last)
				r->st.last = f.last;
		}
		free(body);
		body = NULL;
		if (got < skip + want) {
			/* the span is exhausted: on to the next one */
			if (to == last)
				break;
			from = to + 1;
			skip = 0;
			if (span < (UINT64_MAX >> 1))
				span *= 2;
		} else {
			/* full page: continue after the last row printed,
			 * skipping the rows with its time already seen */
			from = (uint64_t)lastfirst;
			skip = same;
			if (span > 1)
				span /= 2;
		}
	}
out:
	free(body);
	if (r->st.flows == 0) {
		r->st.first = 0;
		r->st.last = 0;
	}
	r->st.scanned = r->st.flows;
	return rc;
}

static double
now_sec(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int
chquery_run(const char *url, const struct query_opts *q,
    struct query_stats *st, struct mm_diag *diag)
{
	struct chhttp_opts ho;
	struct chrun r;
	size_t k;
	double t0 = now_sec();
	int rc;

	memset(st, 0, sizeof(*st));
	memset(&r, 0, sizeof(r));
	mm_diag_clear(diag);
	r.q = q;
	r.diag = diag;
	if (url == NULL || q == NULL || q->fp == NULL)
		return mm_diag_set(diag, MM_EINVAL, "clickhouse: no URL");
	if ((rc = check_opts(q, diag)) != 0)
		return rc;
	memset(&ho, 0, sizeof(ho));
	ho.timeout_ms = CHQUERY_TIMEOUT_MS;
	if ((rc = chhttp_new(url, &ho, &r.h, diag)) != 0)
		return rc;
	if (q->nstats > 0 || q->aggr != NULL) {
		if ((rc = run_totals(&r)) != 0)
			goto out;
		for (k = 0; k < q->nstats; k++)
			if ((rc = run_groups(&r, &q->stats[k], 1,
			    q->stats[k].order, topn_of(q))) != 0)
				goto out;
		if (q->aggr != NULL && (rc = run_groups(&r, q->aggr, 0,
		    q->order, q->limit)) != 0)
			goto out;
	} else if ((rc = run_raw(&r)) != 0)
		goto out;
	r.st.elapsed = now_sec() - t0;
	*st = r.st;
	if (!q->no_summary)
		out_summary(q->fp, &q->out, st);
out:
	chhttp_free(r.h);
	return rc;
}
