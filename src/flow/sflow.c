/*
 * sflow.c - sFlow version 5 (sflow.org sflow_version_5.txt). A datagram is
 * a header (agent address, sub-agent, sequence, uptime) and a list of
 * samples; each sample and each record inside it is a (format, length,
 * body) triple read through a sub-cursor, so unknown formats are skipped by
 * length. Flow samples (format 1) and expanded flow samples (format 3)
 * become one flow each: packets 1, bytes the sampled frame length,
 * sampling the sample's rate, time the receive time; addresses and ports
 * come from the raw packet header record (parsed by packet.c) or from the
 * sampled IPv4/IPv6 records, and the extended switch (VLAN), router (next
 * hop, masks) and gateway (AS) records refine them when present. Counter
 * samples are counted and ignored. Samples and records per datagram are
 * capped (SFLOW_MAX_SAMPLES, SFLOW_MAX_RECORDS). Cost: O(bytes).
 */
#include <string.h>

#include "core/addr.h"
#include "flow/decode_int.h"
#include "flow/packet.h"

#define SFLOW_MAX_SAMPLES	512
#define SFLOW_MAX_RECORDS	64
#define SFLOW_MAX_ASPATH	64	/* segments and ASNs per segment */

static int
sflow_addr(struct cursor *c, struct mm_addr *a)
{
	uint32_t type, v4;
	uint8_t b[16];

	if (get_u32(c, &type) != 0)
		return c->err;
	if (type == 1) {
		if (get_u32(c, &v4) == 0)
			addr_from_v4(a, v4);
	} else if (type == 2) {
		if (get_bytes(c, b, 16) == 0)
			addr_from_v6(a, b);
	} else if (type != 0)
		return MM_EFORMAT;
	return c->err;
}

static void
sflow_raw(struct cursor *r, struct flow *f)
{
	struct packet_info pi;
	uint32_t hproto, flen, stripped, hlen;
	enum packet_link link;

	get_u32(r, &hproto);
	get_u32(r, &flen);
	get_u32(r, &stripped);
	get_u32(r, &hlen);
	if (r->err != 0)
		return;
	f->bytes = flen;
	if (hlen > cur_left(r))
		hlen = (uint32_t)cur_left(r);
	switch (hproto) {
	case 1:  link = PKT_LINK_ETHER; break;
	case 11: link = PKT_LINK_IPV4; break;
	case 12: link = PKT_LINK_IPV6; break;
	default: return;
	}
	if (packet_parse(cur_ptr(r), hlen, link, &pi) == 0)
		packet_to_flow(&pi, f);
}

/* Sampled IPv4 (format 3) / IPv6 (format 4) data. */
static void
sflow_sampled_ip(struct cursor *r, int v6, struct flow *f)
{
	uint32_t len, proto, v4, sp, dp, flags, tos;
	uint8_t b[16];

	if (f->bytes != 0)	/* a raw header record came first: keep it */
		return;
	get_u32(r, &len);
	get_u32(r, &proto);
	if (v6) {
		get_bytes(r, b, 16);
		addr_from_v6(&f->src, b);
		get_bytes(r, b, 16);
		addr_from_v6(&f->dst, b);
	} else {
		get_u32(r, &v4);
		addr_from_v4(&f->src, v4);
		get_u32(r, &v4);
		addr_from_v4(&f->dst, v4);
	}
	get_u32(r, &sp);
	get_u32(r, &dp);
	get_u32(r, &flags);
	get_u32(r, &tos);
	if (r->err != 0)
		return;
	f->bytes = len;
	f->proto = (uint8_t)proto;
	f->src_port = (uint16_t)sp;
	f->dst_port = (uint16_t)dp;
	f->tcp_flags = (uint8_t)flags;
	f->tos = (uint8_t)tos;
}

static void
sflow_gateway(struct cursor *r, struct flow *f)
{
	struct mm_addr nh;
	uint32_t as, sas, peer, nseg, type, n, v, last = 0;
	size_t i, j;

	memset(&nh, 0, sizeof(nh));
	if (sflow_addr(r, &nh) != 0)
		return;
	get_u32(r, &as);
	get_u32(r, &sas);
	get_u32(r, &peer);
	get_u32(r, &nseg);
	if (r->err != 0)
		return;
	f->src_as = sas;
	for (i = 0; i < nseg && i < SFLOW_MAX_ASPATH; i++) {
		get_u32(r, &type);
		get_u32(r, &n);
		if (r->err != 0 || n > SFLOW_MAX_ASPATH)
			return;
		for (j = 0; j < n; j++)
			if (get_u32(r, &v) == 0)
				last = v;
	}
	if (r->err == 0)
		f->dst_as = last != 0 ? last : as;
	if (addr_is_zero(&f->nexthop))
		f->nexthop = nh;
}

static int
sflow_flow_sample(struct dgram *dg, struct cursor *s, int expanded)
{
	struct flow f;
	struct cursor r;
	uint32_t seq, srcid, idx, rate, pool, drops, infmt = 0, in, outfmt = 0;
	uint32_t out, nrec, fmt, len, v;
	size_t i;

	get_u32(s, &seq);
	get_u32(s, &srcid);
	if (expanded)
		get_u32(s, &idx);
	get_u32(s, &rate);
	get_u32(s, &pool);
	get_u32(s, &drops);
	if (expanded)
		get_u32(s, &infmt);
	get_u32(s, &in);
	if (expanded)
		get_u32(s, &outfmt);
	get_u32(s, &out);
	get_u32(s, &nrec);
	if (s->err != 0) {
		dg->exp->st.malformed++;
		return dg_error(dg, MM_ETRUNC, "sFlow %sflow sample truncated",
		    expanded ? "expanded " : "");
	}
	if (!expanded) {
		infmt = in >> 30;
		in &= 0x3fffffff;
		outfmt = out >> 30;
		out &= 0x3fffffff;
	}
	if (nrec > SFLOW_MAX_RECORDS) {
		dg->exp->st.malformed++;
		return dg_error(dg, MM_ELIMIT, "sFlow flow sample %u: %u "
		    "records (max %d)", seq, nrec, SFLOW_MAX_RECORDS);
	}
	memset(&f, 0, sizeof(f));
	f.packets = 1;
	f.sampling = rate;
	f.first = f.last = dg->now;
	f.in_if = infmt == 0 && in != 0x3fffffff ? in : 0;
	f.out_if = outfmt == 0 && out != 0x3fffffff ? out : 0;
	for (i = 0; i < nrec; i++) {
		get_u32(s, &fmt);
		get_u32(s, &len);
		if (s->err != 0 || get_sub(s, len, &r) != 0) {
			dg->exp->st.malformed++;
			return dg_error(dg, MM_ETRUNC, "sFlow flow sample %u: "
			    "record %zu (format %u) length %u, %zu bytes "
			    "left", seq, i, fmt, len, cur_left(s));
		}
		switch (fmt) {
		case 1:
			sflow_raw(&r, &f);
			break;
		case 3:
		case 4:
			sflow_sampled_ip(&r, fmt == 4, &f);
			break;
		case 1001:	/* extended switch */
			get_u32(&r, &v);
			/* 0 and 4095 and up: unknown */
			if (r.err == 0 && v != 0 && v < 4095)
				f.vlan = (uint16_t)v;
			break;
		case 1002:	/* extended router */
			if (sflow_addr(&r, &f.nexthop) != 0)
				break;
			get_u32(&r, &v);
			if (r.err == 0)
				f.src_mask = (uint8_t)v;
			get_u32(&r, &v);
			if (r.err == 0)
				f.dst_mask = (uint8_t)v;
			break;
		case 1003:	/* extended gateway */
			sflow_gateway(&r, &f);
			break;
		default:
			break;
		}
	}
	dg_emit(dg, &f);
	return 0;
}

int
sflow_decode(struct dgram *dg, struct cursor *c)
{
	struct mm_addr agent;
	struct cursor s;
	uint32_t subagent, seq, uptime, nsamples, fmt, len;
	size_t i;
	int rc = 0, err;

	memset(&agent, 0, sizeof(agent));
	err = sflow_addr(c, &agent);
	get_u32(c, &subagent);
	get_u32(c, &seq);
	get_u32(c, &uptime);
	get_u32(c, &nsamples);
	if (err != 0 || c->err != 0) {
		dg->exp->st.malformed++;
		return dg_error(dg, err == MM_EFORMAT ? err : MM_ETRUNC,
		    "sFlow v5 datagram header %s", err == MM_EFORMAT ?
		    "has a bad agent address type" : "truncated");
	}
	dg->domain = subagent;
	dg->export_ms = dg->now;
	dg_seq(dg, seq, 1);
	if (nsamples > SFLOW_MAX_SAMPLES) {
		dg->exp->st.malformed++;
		return dg_error(dg, MM_ELIMIT, "sFlow v5 datagram: %u samples "
		    "(max %d)", nsamples, SFLOW_MAX_SAMPLES);
	}
	for (i = 0; i < nsamples && dg->stop == 0; i++) {
		get_u32(c, &fmt);
		get_u32(c, &len);
		if (c->err != 0 || get_sub(c, len, &s) != 0) {
			dg->exp->st.malformed++;
			err = dg_error(dg, MM_ETRUNC, "sFlow v5 sample %zu "
			    "(format %u): length %u, %zu bytes left", i,
			    fmt, len, cur_left(c));
			return rc != 0 ? rc : err;
		}
		switch (fmt) {
		case 1:
		case 3:
			err = sflow_flow_sample(dg, &s, fmt == 3);
			break;
		default:	/* counter samples and others */
			dg->exp->st.ignored++;
			err = 0;
			break;
		}
		if (err != 0 && rc == 0)
			rc = err;
	}
	return rc;
}
