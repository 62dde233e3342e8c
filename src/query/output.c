/*
 * output.c - table, CSV and JSON-lines printers; see output.h.
 *
 * The table mimics nfdump's default "line" format and its statistics
 * layout so that existing eyes and scripts find the columns they expect;
 * CSV and JSON always carry plain integers and RFC 3339 UTC times with
 * milliseconds. Every value printed into JSON is either a number or a
 * string we produced (addresses, times, names); strings still go through
 * json_str() so the output stays valid whatever a name contains.
 * Cost: O(1) per row, no allocation.
 */
#include <stdio.h>
#include <string.h>

#include "core/addr.h"
#include "core/mtime.h"
#include "query/output.h"

char *
out_num(uint64_t v, int plain, char *buf, size_t len)
{
	double f = (double)v;

	if (plain || v < 1000000ULL)
		snprintf(buf, len, "%llu", (unsigned long long)v);
	else if (f >= 1e12)
		snprintf(buf, len, "%.1f T", f / 1e12);
	else if (f >= 1e9)
		snprintf(buf, len, "%.1f G", f / 1e9);
	else
		snprintf(buf, len, "%.1f M", f / 1e6);
	return buf;
}

const char *
out_proto(uint8_t proto, char *buf, size_t len)
{
	switch (proto) {
	case 1: return "ICMP";
	case 2: return "IGMP";
	case 6: return "TCP";
	case 17: return "UDP";
	case 47: return "GRE";
	case 50: return "ESP";
	case 51: return "AH";
	case 58: return "ICMP6";
	case 89: return "OSPF";
	case 103: return "PIM";
	case 132: return "SCTP";
	default:
		snprintf(buf, len, "%u", proto);
		return buf;
	}
}

/* ---- fast formatting for bulk output (CSV / JSON of many flows) ---- */

static char *
put_u64(char *p, uint64_t v)
{
	char t[20];
	int n = 0;

	do {
		t[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v != 0);
	while (n > 0)
		*p++ = t[--n];
	return p;
}

static char *
put_str(char *p, const char *s)
{
	while (*s != '\0')
		*p++ = *s++;
	return p;
}

/* Address text; IPv4 without inet_ntop. At most ADDR_STRLEN - 1 bytes. */
static char *
put_addr(char *p, const struct mm_addr *a)
{
	char buf[ADDR_STRLEN];
	int i;

	if (!addr_is_v4(a))
		return put_str(p, addr_fmt(a, buf, sizeof(buf)));
	for (i = 12; i < 16; i++) {
		p = put_u64(p, a->b[i]);
		if (i < 15)
			*p++ = '.';
	}
	return p;
}

static char *
put_2(char *p, unsigned v)
{
	*p++ = (char)('0' + v / 10 % 10);
	*p++ = (char)('0' + v % 10);
	return p;
}

/* RFC 3339 with milliseconds, as mtime_fmt(t, 1, ...): exactly 24 bytes
 * for years 0..9999, else whatever mtime_fmt writes. */
static char *
put_time(char *p, mtime_t t, char sep, int zone)
{
	int64_t days, rem, y;
	unsigned m, d, secs, ms;
	char buf[MTIME_STRLEN];

	rem = t % 86400000;
	days = t / 86400000;
	if (rem < 0) {
		rem += 86400000;
		days--;
	}
	mtime_civil_from_days(days, &y, &m, &d);
	if (y < 0 || y > 9999) {
		mtime_fmt(t, 1, buf, sizeof(buf));
		if (!zone)
			buf[strlen(buf) - 1] = '\0';
		buf[10] = sep;
		return put_str(p, buf);
	}
	secs = (unsigned)(rem / 1000);
	ms = (unsigned)(rem % 1000);
	p = put_2(p, (unsigned)(y / 100));
	p = put_2(p, (unsigned)(y % 100));
	*p++ = '-';
	p = put_2(p, m);
	*p++ = '-';
	p = put_2(p, d);
	*p++ = sep;
	p = put_2(p, secs / 3600);
	*p++ = ':';
	p = put_2(p, secs / 60 % 60);
	*p++ = ':';
	p = put_2(p, secs % 60);
	*p++ = '.';
	*p++ = (char)('0' + ms / 100);
	p = put_2(p, ms % 100);
	if (zone)
		*p++ = 'Z';
	return p;
}

/* "2024-05-01 12:00:00.250" (table) */
static char *
fmt_tstable(mtime_t t, char *buf, size_t len)
{
	char tmp[MTIME_STRLEN + 8], *e;
	size_t n;

	e = put_time(tmp, t, ' ', 0);
	n = (size_t)(e - tmp);
	if (n >= len)
		n = len - 1;
	memcpy(buf, tmp, n);
	buf[n] = '\0';
	return buf;
}
static void
json_str(FILE *fp, const char *s)
{
	fputc('"', fp);
	for (; *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			fprintf(fp, "\\%c", c);
		else if (c < 0x20)
			fprintf(fp, "\\u%04x", c);
		else
			fputc(c, fp);
	}
	fputc('"', fp);
}

static int
is_icmp(uint8_t proto)
{
	return proto == 1 || proto == 58;
}

static void
fmt_port(uint8_t proto, uint16_t port, int is_dst, char *buf, size_t len)
{
	if (is_icmp(proto) && is_dst)
		snprintf(buf, len, "%u.%u", (unsigned)(port >> 8),
		    (unsigned)(port & 0xff));
	else
		snprintf(buf, len, "%u", (unsigned)port);
}

static void
fmt_ap(const struct mm_addr *a, uint8_t proto, uint16_t port, int is_dst,
    char *buf, size_t len)
{
	char ab[ADDR_STRLEN], pb[16];

	addr_fmt(a, ab, sizeof(ab));
	fmt_port(proto, port, is_dst, pb, sizeof(pb));
	if (addr_is_v4(a))
		snprintf(buf, len, "%s:%s", ab, pb);
	else
		snprintf(buf, len, "[%s]:%s", ab, pb);
}

static const char flow_csv_header[] =
    "first,last,duration,proto,src,src_port,dst,dst_port,packets,bytes,"
    "tcp_flags,tos,src_as,dst_as,in_if,out_if,nexthop,exporter,vlan,"
    "sampling,direction\n";

void
out_flow_header(FILE *fp, const struct out_opts *o)
{
	if (o->fmt == QOUT_TABLE)
		fprintf(fp, "%-23s %9s %-5s %25s    %-25s %8s %8s %5s\n",
		    "Date first seen", "Duration", "Proto",
		    "Src IP Addr:Port", "Dst IP Addr:Port", "Packets", "Bytes",
		    "Flows");
	else if (o->fmt == QOUT_CSV)
		fputs(flow_csv_header, fp);
}

void
out_flow(FILE *fp, const struct out_opts *o, const struct flow *f)
{
	char ts[MTIME_STRLEN], pb[8], sa[72], da[72], n1[32], n2[32];
	mtime_t d = flow_duration(f);

	if (o->fmt == QOUT_TABLE) {
		fmt_ap(&f->src, f->proto, f->src_port, 0, sa, sizeof(sa));
		fmt_ap(&f->dst, f->proto, f->dst_port, 1, da, sizeof(da));
		fprintf(fp, "%-23s %9.3f %-5s %25s -> %-25s %8s %8s %5u\n",
		    fmt_tstable(f->first, ts, sizeof(ts)), (double)d / 1000.0,
		    out_proto(f->proto, pb, sizeof(pb)), sa, da,
		    out_num(f->packets, o->plain, n1, sizeof(n1)),
		    out_num(f->bytes, o->plain, n2, sizeof(n2)), 1u);
		return;
	}
	/* bulk formats: one line built by hand, one fwrite; the line is
	 * bounded: 4 addresses, 2 times, ~20 numbers, the JSON names */
	{
		char line[1024], *p = line;
		int js = o->fmt == QOUT_JSON;

#define NUM(name, v) do { \
		if (js) p = put_str(p, ",\"" name "\":"); \
		else *p++ = ','; \
		p = put_u64(p, (uint64_t)(v)); } while (0)
#define ADR(name, a) do { \
		if (js) p = put_str(p, ",\"" name "\":\""); \
		else *p++ = ','; \
		p = put_addr(p, (a)); \
		if (js) *p++ = '"'; } while (0)
		if (js)
			p = put_str(p, "{\"first\":\"");
		p = put_time(p, f->first, 'T', 1);
		p = put_str(p, js ? "\",\"last\":\"" : ",");
		p = put_time(p, f->last, 'T', 1);
		if (js)
			*p++ = '"';
		NUM("duration", d);
		NUM("proto", f->proto);
		ADR("src", &f->src);
		NUM("src_port", f->src_port);
		ADR("dst", &f->dst);
		NUM("dst_port", f->dst_port);
		NUM("packets", f->packets);
		NUM("bytes", f->bytes);
		NUM("tcp_flags", f->tcp_flags);
		NUM("tos", f->tos);
		NUM("src_as", f->src_as);
		NUM("dst_as", f->dst_as);
		NUM("in_if", f->in_if);
		NUM("out_if", f->out_if);
		ADR("nexthop", &f->nexthop);
		ADR("exporter", &f->exporter);
		NUM("vlan", f->vlan);
		NUM("sampling", f->sampling);
		NUM("direction", f->direction);
#undef NUM
#undef ADR
		if (js)
			*p++ = '}';
		*p++ = '\n';
		fwrite(line, 1, (size_t)(p - line), fp);
	}
}

/* Text of key j of a row: table (names, ICMP type.code) or machine form. */
static void
key_text(const struct agg *a, const struct agg_row *r, size_t j, int table,
    char *buf, size_t len)
{
	const struct agg_spec *sp = agg_get_spec(a);
	struct mm_addr ad;
	uint64_t v;
	char pb[8];

	if (agg_row_key(a, r, j, &ad, &v)) {
		addr_fmt(&ad, buf, len);
		return;
	}
	if (table && sp->keys[j] == AK_PROTO)
		snprintf(buf, len, "%s", out_proto((uint8_t)v, pb, sizeof(pb)));
	else
		snprintf(buf, len, "%llu", (unsigned long long)v);
}

static int
key_wide(const struct agg_spec *sp, size_t j)
{
	return agg_key_is_addr(sp->keys[j]);
}

static double
pct(uint64_t x, uint64_t tot)
{
	return tot ? 100.0 * (double)x / (double)tot : 0.0;
}

void
out_groups(FILE *fp, const struct out_opts *o, const struct agg *a,
    int is_stat, int order, const struct agg_row *rows, size_t n,
    const struct query_stats *tot)
{
	const struct agg_spec *sp = agg_get_spec(a);
	char ts[MTIME_STRLEN], te[MTIME_STRLEN], kb[ADDR_STRLEN], n1[32];
	char n2[32], n3[32], n4[32], n5[32], n6[32];
	size_t i, j;

	if (o->fmt == QOUT_TABLE) {
		if (is_stat)
			fprintf(fp, "Top %zu %s ordered by %s:\n", n,
			    agg_key_title(sp->keys[0], sp->either),
			    agg_order_name(order));
		else
			fprintf(fp, "Aggregated by %s, %zu groups, ordered by "
			    "%s:\n", sp->name, n, agg_order_name(order));
		fprintf(fp, "%-23s %9s", "Date first seen", "Duration");
		for (j = 0; j < sp->nkeys; j++)
			fprintf(fp, key_wide(sp, j) ? " %39s" : " %10s",
			    is_stat ? agg_key_title(sp->keys[j], sp->either) :
			    agg_key_title(sp->keys[j], 0));
		if (is_stat)
			fprintf(fp, " %16s %16s %16s %8s %8s %6s\n",
			    "Flows(%)", "Packets(%)", "Bytes(%)", "pps", "bps",
			    "bpp");
		else
			fprintf(fp, " %8s %8s %8s %8s %8s %6s\n", "Flows",
			    "Packets", "Bytes", "pps", "bps", "bpp");
	} else if (o->fmt == QOUT_CSV) {
		fputs("first,last,duration", fp);
		for (j = 0; j < sp->nkeys; j++)
			fprintf(fp, ",%s", is_stat ? agg_key_name(sp->keys[j],
			    sp->either) : agg_key_name(sp->keys[j], 0));
		fputs(",flows,packets,bytes,pps,bps,bpp\n", fp);
	}
	for (i = 0; i < n; i++) {
		const struct agg_row *r = &rows[i];
		mtime_t d = r->last > r->first ? r->last - r->first : 0;
		uint64_t pps = agg_row_value(r, AO_PPS);
		uint64_t bps = agg_row_value(r, AO_BPS);
		uint64_t bpp = agg_row_value(r, AO_BPP);

		if (o->fmt == QOUT_TABLE) {
			char c1[48], c2[48], c3[48];

			fprintf(fp, "%-23s %9.3f", fmt_tstable(r->first, ts,
			    sizeof(ts)), (double)d / 1000.0);
			for (j = 0; j < sp->nkeys; j++) {
				key_text(a, r, j, 1, kb, sizeof(kb));
				fprintf(fp, key_wide(sp, j) ? " %39s" : " %10s",
				    kb);
			}
			if (is_stat) {
				snprintf(c1, sizeof(c1), "%s(%4.1f)",
				    out_num(r->flows, o->plain, n1, sizeof(n1)),
				    pct(r->flows, tot->flows));
				snprintf(c2, sizeof(c2), "%s(%4.1f)",
				    out_num(r->packets, o->plain, n2,
				    sizeof(n2)), pct(r->packets, tot->packets));
				snprintf(c3, sizeof(c3), "%s(%4.1f)",
				    out_num(r->bytes, o->plain, n3, sizeof(n3)),
				    pct(r->bytes, tot->bytes));
				fprintf(fp, " %16s %16s %16s", c1, c2, c3);
			} else
				fprintf(fp, " %8s %8s %8s",
				    out_num(r->flows, o->plain, n1, sizeof(n1)),
				    out_num(r->packets, o->plain, n2,
				    sizeof(n2)),
				    out_num(r->bytes, o->plain, n3, sizeof(n3)));
			fprintf(fp, " %8s %8s %6s\n",
			    out_num(pps, o->plain, n4, sizeof(n4)),
			    out_num(bps, o->plain, n5, sizeof(n5)),
			    out_num(bpp, o->plain, n6, sizeof(n6)));
			continue;
		}
		mtime_fmt(r->first, 1, ts, sizeof(ts));
		mtime_fmt(r->last, 1, te, sizeof(te));
		if (o->fmt == QOUT_CSV) {
			fprintf(fp, "%s,%s,%lld", ts, te, (long long)d);
			for (j = 0; j < sp->nkeys; j++) {
				key_text(a, r, j, 0, kb, sizeof(kb));
				fprintf(fp, ",%s", kb);
			}
			fprintf(fp, ",%llu,%llu,%llu,%llu,%llu,%llu\n",
			    (unsigned long long)r->flows,
			    (unsigned long long)r->packets,
			    (unsigned long long)r->bytes,
			    (unsigned long long)pps, (unsigned long long)bps,
			    (unsigned long long)bpp);
			continue;
		}
		fputs("{", fp);
		if (is_stat) {
			fputs("\"stat\":", fp);
			json_str(fp, sp->name);
			fputs(",\"order\":", fp);
			json_str(fp, agg_order_name(order));
			fprintf(fp, ",\"rank\":%zu,", i + 1);
		}
		fputs("\"first\":", fp);
		json_str(fp, ts);
		fputs(",\"last\":", fp);
		json_str(fp, te);
		fprintf(fp, ",\"duration\":%lld", (long long)d);
		for (j = 0; j < sp->nkeys; j++) {
			struct mm_addr ad;
			uint64_t v;

			fputc(',', fp);
			json_str(fp, is_stat ? agg_key_name(sp->keys[j],
			    sp->either) : agg_key_name(sp->keys[j], 0));
			fputc(':', fp);
			if (agg_row_key(a, r, j, &ad, &v))
				json_str(fp, addr_fmt(&ad, kb, sizeof(kb)));
			else
				fprintf(fp, "%llu", (unsigned long long)v);
		}
		fprintf(fp, ",\"flows\":%llu,\"packets\":%llu,\"bytes\":%llu,"
		    "\"pps\":%llu,\"bps\":%llu,\"bpp\":%llu}\n",
		    (unsigned long long)r->flows,
		    (unsigned long long)r->packets,
		    (unsigned long long)r->bytes, (unsigned long long)pps,
		    (unsigned long long)bps, (unsigned long long)bpp);
	}
	if (o->fmt == QOUT_TABLE)
		fputc('\n', fp);
}

void
out_summary(FILE *fp, const struct out_opts *o, const struct query_stats *st)
{
	char ts[MTIME_STRLEN], te[MTIME_STRLEN], n1[32], n2[32], n3[32];
	char n4[32], n5[32];
	mtime_t d = st->last > st->first ? st->last - st->first : 0;
	uint64_t bps = 0, pps = 0, bpp = 0;

	if (o->fmt != QOUT_TABLE)
		return;
	if (d > 0) {
		bps = (uint64_t)((double)st->bytes * 8000.0 / (double)d);
		pps = (uint64_t)((double)st->packets * 1000.0 / (double)d);
	}
	if (st->packets)
		bpp = st->bytes / st->packets;
	fprintf(fp, "Summary: total flows: %llu, total bytes: %s, total "
	    "packets: %s, avg bps: %s, avg pps: %s, avg bpp: %llu\n",
	    (unsigned long long)st->flows,
	    out_num(st->bytes, o->plain, n1, sizeof(n1)),
	    out_num(st->packets, o->plain, n2, sizeof(n2)),
	    out_num(bps, o->plain, n3, sizeof(n3)),
	    out_num(pps, o->plain, n4, sizeof(n4)), (unsigned long long)bpp);
	if (st->flows > 0)
		fprintf(fp, "Time window: %s - %s\n",
		    mtime_fmt(st->first, 1, ts, sizeof(ts)),
		    mtime_fmt(st->last, 1, te, sizeof(te)));
	else
		fprintf(fp, "Time window: <no flows>\n");
	fprintf(fp, "Total flows processed: %llu, files: %llu, blocks "
	    "processed: %llu, blocks skipped: %llu",
	    (unsigned long long)st->scanned, (unsigned long long)st->files,
	    (unsigned long long)st->blocks, (unsigned long long)st->skipped);
	if (st->errors > 0)
		fprintf(fp, ", bad blocks: %llu",
		    (unsigned long long)st->errors);
	fputc('\n', fp);
	fprintf(fp, "Sys: %.3fs flows/second: %s\n", st->elapsed,
	    out_num(st->elapsed > 0 ? (uint64_t)((double)st->scanned /
	    st->elapsed) : 0, 1, n5, sizeof(n5)));
}
