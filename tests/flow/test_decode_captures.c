/*
 * test_decode_captures.c - the decoder over every capture in
 * MAMORI_TESTDATA/netflow and MAMORI_TESTDATA/sflow, compared field by
 * field with tshark's dissection of the same packets (never with our own
 * earlier output). Files whose templates live in another file are merged
 * (templates first) into one temporary pcap which both we and tshark read.
 *
 * tshark runs with -T pdml; a flow record is a "Flow N" / "pdu N/M" subtree
 * (NetFlow/IPFIX) or a "Flow sample" / "Expanded flow sample" subtree
 * (sFlow). Records without an address or sampled frame (options data) are
 * not flows and are skipped, as the decoder does. Compared, whenever tshark
 * shows the field in the record:
 *
 *   NetFlow v5/v9, IPFIX (all files under netflow/):
 *     cflow.srcaddr/srcaddrv6, cflow.dstaddr/dstaddrv6 (non-zero ones),
 *     cflow.packets, cflow.octets, cflow.protocol, cflow.srcport,
 *     cflow.dstport (non-ICMP), cflow.icmp_type_code_ipv4 (as dst_port),
 *     cflow.tcpflags, cflow.tos, cflow.inputint, cflow.outputint,
 *     cflow.vlanid or dot1q_vlan_id, cflow.direction, the first non-zero
 *     of cflow.nexthop(v6) / bgpnexthop(v6) as next hop,
 *     cflow.srcas, cflow.dstas, cflow.srcmask(v6), cflow.dstmask(v6),
 *     cflow.timestart/timeend (v5/v9, with the header's sysuptime and
 *     unix_secs), cflow.abstimestart/abstimeend (IPFIX), and
 *     cflow.sampling_interval in data records as the flow's sampling;
 *     for flows with cflow.sampler_id, the sampling_interval (or
 *     sampler_random_interval) of the options record of that sampler id
 *     (options-*, multiplesamplingrates-*).
 *     Records with a dataLinkFrameSection (datalink, juniper-cpid,
 *     ipfix-srv6, ethernet-over-mpls-...) compare inputint/outputint, and
 *     the innermost ip/ipv6 src/dst of the frame as dissected by tshark
 *     (IP-in-IP and SRv6 are opened, like the decoder does).
 *   sFlow v5 (all files under sflow/):
 *     sflow.flow_sample.sampling_rate (sampling), header.frame_length
 *     (bytes), input_interface / input_interface_value (format 0),
 *     output_interface_value (format 0), the outermost ip/ipv6 src and
 *     dst of the sampled header (VXLAN is not opened), ip.proto, the
 *     first tcp/udp src and dst ports, sflow_245.nexthop, nexthop masks,
 *     srcAS, sflow_245.ipv4_src/dst for sampled-IPv4 records, and the
 *     VLAN: sflow_245.vlan.in of the extended switch record when 1..4094,
 *     else the outermost vlan.id of the sampled header.
 *
 * The expected numbers of flows are also checked against tshark's record
 * count. Skipped (with a message) when tshark or the data is absent.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/addr.h"
#include "flow/decode.h"
#include "flow/pcapfile.h"

#define MAXFLOWS	1024
#define MAXF		96

struct got {
	struct flow	 f[MAXFLOWS];
	size_t		 n;
	struct decoder	*dec;
	int		 errors;
};

struct kv {
	char	name[64];
	char	show[128];
};

struct trec {
	struct kv	kv[MAXF];
	size_t		n;
	double		sysuptime, unix_secs;	/* packet header (v5/v9) */
	int		version;
};

static int
collect(void *arg, const struct flow *f)
{
	struct got *g = arg;

	if (g->n < MAXFLOWS)
		g->f[g->n++] = *f;
	return 0;
}

static int
feed(void *arg, const struct pcap_udp *u)
{
	struct got *g = arg;
	struct mm_diag d;
	int rc;

	rc = decoder_datagram(g->dec, &u->src, u->sport, u->ts, u->payload,
	    u->len, collect, g, &d);
	if (rc != 0 && rc != MM_ENOTMPL) {
		print_message("decoder: %s (%s)\n", d.msg, mm_strerror(rc));
		g->errors++;
	}
	return 0;
}

static int
have_tshark(void)
{
	return system("tshark -v >/dev/null 2>&1") == 0;
}

/* Concatenates `files` (under dir) into `out` via libpcap. */
static int
merge(const char *dir, const char *const *files, const char *out)
{
	char errbuf[PCAP_ERRBUF_SIZE], path[1024];
	struct pcap_pkthdr *h;
	const u_char *data;
	pcap_t *in, *dead = NULL;
	pcap_dumper_t *d = NULL;
	size_t i;

	for (i = 0; files[i] != NULL; i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, files[i]);
		if ((in = pcap_open_offline(path, errbuf)) == NULL)
			goto fail;
		if (dead == NULL) {
			dead = pcap_open_dead(pcap_datalink(in), 262144);
			if ((d = pcap_dump_open(dead, out)) == NULL) {
				pcap_close(in);
				goto fail;
			}
		}
		while (pcap_next_ex(in, &h, &data) == 1)
			pcap_dump((u_char *)d, h, data);
		pcap_close(in);
	}
	pcap_dump_close(d);
	pcap_close(dead);
	return 0;
fail:
	if (d != NULL)
		pcap_dump_close(d);
	if (dead != NULL)
		pcap_close(dead);
	return -1;
}

static int
attr(const char *line, const char *key, char *out, size_t len)
{
	const char *p = strstr(line, key), *e;
	size_t n;

	if (p == NULL)
		return 0;
	p += strlen(key);
	if ((e = strchr(p, '"')) == NULL)
		return 0;
	n = (size_t)(e - p) < len - 1 ? (size_t)(e - p) : len - 1;
	memcpy(out, p, n);
	out[n] = '\0';
	return 1;
}

static const char *
rget(const struct trec *r, const char *name)
{
	size_t i;

	for (i = 0; i < r->n; i++)
		if (strcmp(r->kv[i].name, name) == 0)
			return r->kv[i].show;
	return NULL;
}

static void
rset(struct trec *r, const char *name, const char *show)
{
	size_t i;

	for (i = 0; i < r->n; i++)
		if (strcmp(r->kv[i].name, name) == 0)
			break;
	if (i == MAXF)
		return;
	if (i == r->n)
		r->n++;
	snprintf(r->kv[i].name, sizeof(r->kv[i].name), "%s", name);
	snprintf(r->kv[i].show, sizeof(r->kv[i].show), "%s", show);
}

static int
is_flow(const struct trec *r, int sflow)
{
	if (sflow)
		return 1;
	return rget(r, "cflow.srcaddr") || rget(r, "cflow.srcaddrv6") ||
	    rget(r, "cflow.dstaddr") || rget(r, "cflow.dstaddrv6") ||
	    rget(r, "cflow.data_link_frame_section");
}

static int
month(const char *m)
{
	static const char *mn[] = { "Jan", "Feb", "Mar", "Apr", "May",
	    "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
	int i;

	for (i = 0; i < 12; i++)
		if (strncmp(m, mn[i], 3) == 0)
			return i + 1;
	return 0;
}

/* "Apr  4, 2023 16:44:39.123000000 UTC" -> ms */
static int64_t
abstime(const char *s)
{
	char mon[8];
	int d, y, hh, mm, m;
	double ss;
	int64_t days, yy;
	unsigned mp;

	if (sscanf(s, "%3s %d, %d %d:%d:%lf", mon, &d, &y, &hh, &mm, &ss)
	    != 6)
		return -1;
	m = month(mon);
	yy = y - (m <= 2);
	mp = (unsigned)(m + 9) % 12;
	days = (yy * 365 + yy / 4 - yy / 100 + yy / 400) +
	    (153 * mp + 2) / 5 + (d - 1) - 719468;
	return ((days * 86400 + hh * 3600 + mm * 60) * 1000) +
	    (int64_t)(ss * 1000 + 1e-6);	/* truncated to ms */
}

static void
check_addr(const char *file, size_t i, const char *what, const char *t,
    const struct mm_addr *a)
{
	struct mm_addr x;
	char buf[ADDR_STRLEN];

	if (t == NULL || addr_parse(t, &x) != 0 || addr_is_zero(&x))
		return;
	if (addr_is_v4(&x) && addr_v4(&x) == 0)
		return;
	if (addr_cmp(&x, a) != 0)
		fail_msg("%s flow %zu %s: tshark %s, decoder %s", file, i,
		    what, t, addr_fmt(a, buf, sizeof(buf)));
}

static void
check_num(const char *file, size_t i, const char *what, const char *t,
    uint64_t v)
{
	if (t == NULL)
		return;
	if (strtoull(t, NULL, 0) != v)
		fail_msg("%s flow %zu %s: tshark %s, decoder %llu", file, i,
		    what, t, (unsigned long long)v);
}

static void
check_time(const char *file, size_t i, const char *what, int64_t want,
    int64_t got)
{
	if (want < 0)
		return;
	if (want != got)
		fail_msg("%s flow %zu %s: tshark %lld, decoder %lld", file, i,
		    what, (long long)want, (long long)got);
}

static void
check_rate(const char *file, size_t i, uint64_t want, uint32_t got)
{
	if (want != got)
		fail_msg("%s flow %zu sampling (from options data of its "
		    "sampler id): tshark %llu, decoder %u", file, i,
		    (unsigned long long)want, got);
}

static void
compare_cflow(const char *file, size_t i, const struct trec *r,
    const struct flow *f)
{
	static const char *nh[] = { "cflow.nexthop", "cflow.nexthopv6",
	    "cflow.bgpnexthop", "cflow.bgpnexthopv6" };
	const char *s;
	int64_t boot;
	int icmp = f->proto == 1 || f->proto == 58;
	size_t k;

	check_addr(file, i, "srcaddr", rget(r, "cflow.srcaddr"), &f->src);
	check_addr(file, i, "srcaddrv6", rget(r, "cflow.srcaddrv6"), &f->src);
	check_addr(file, i, "dstaddr", rget(r, "cflow.dstaddr"), &f->dst);
	check_addr(file, i, "dstaddrv6", rget(r, "cflow.dstaddrv6"), &f->dst);
	if (rget(r, "cflow.data_link_frame_section") != NULL &&
	    rget(r, "cflow.srcaddr") == NULL) {
		/* tunnels are opened: the innermost IP header */
		check_addr(file, i, "frame inner src", rget(r, "last.src"),
		    &f->src);
		check_addr(file, i, "frame inner dst", rget(r, "last.dst"),
		    &f->dst);
	}
	check_num(file, i, "packets", rget(r, "cflow.packets"), f->packets);
	check_num(file, i, "octets", rget(r, "cflow.octets"), f->bytes);
	check_num(file, i, "protocol", rget(r, "cflow.protocol"), f->proto);
	if (!icmp) {
		check_num(file, i, "srcport", rget(r, "cflow.srcport"),
		    f->src_port);
		check_num(file, i, "dstport", rget(r, "cflow.dstport"),
		    f->dst_port);
	}
	if ((s = rget(r, "cflow.icmp_type_code_ipv4")) != NULL && icmp)
		check_num(file, i, "icmp_type_code", s, f->dst_port);
	if ((s = rget(r, "cflow.tcpflags")) != NULL &&
	    (strtoull(s, NULL, 0) & 0xff) != f->tcp_flags)
		fail_msg("%s flow %zu tcpflags: tshark %s, decoder %u", file,
		    i, s, f->tcp_flags);
	check_num(file, i, "tos", rget(r, "cflow.tos"), f->tos);
	check_num(file, i, "inputint", rget(r, "cflow.inputint"), f->in_if);
	check_num(file, i, "outputint", rget(r, "cflow.outputint"),
	    f->out_if);
	check_num(file, i, "srcas", rget(r, "cflow.srcas"), f->src_as);
	check_num(file, i, "dstas", rget(r, "cflow.dstas"), f->dst_as);
	check_num(file, i, "srcmask", rget(r, "cflow.srcmask"), f->src_mask);
	check_num(file, i, "dstmask", rget(r, "cflow.dstmask"), f->dst_mask);
	check_num(file, i, "srcmaskv6", rget(r, "cflow.srcmaskv6"),
	    f->src_mask);
	check_num(file, i, "dstmaskv6", rget(r, "cflow.dstmaskv6"),
	    f->dst_mask);
	check_num(file, i, "sampling_interval",
	    rget(r, "cflow.sampling_interval"), f->sampling);
	if ((s = rget(r, "cflow.vlanid")) != NULL ||
	    (s = rget(r, "cflow.dot1q_vlan_id")) != NULL)
		check_num(file, i, "vlan", s, f->vlan);
	if ((s = rget(r, "cflow.direction")) != NULL)
		check_num(file, i, "direction", s, f->direction - 1u);
	for (k = 0; k < 4; k++) {
		struct mm_addr x;

		s = rget(r, nh[k]);
		if (s != NULL && addr_parse(s, &x) == 0 &&
		    !addr_is_zero(&x) && !(addr_is_v4(&x) && addr_v4(&x) == 0)) {
			check_addr(file, i, nh[k], s, &f->nexthop);
			break;
		}
	}
	if (r->version == 5 || r->version == 9) {
		boot = (int64_t)(r->unix_secs * 1000 + 0.5) -
		    (int64_t)(r->sysuptime * 1000 + 0.5);
		if ((s = rget(r, "cflow.timestart")) != NULL)
			check_time(file, i, "timestart", boot +
			    (int64_t)(atof(s) * 1000 + 0.5), f->first);
		if ((s = rget(r, "cflow.timeend")) != NULL)
			check_time(file, i, "timeend", boot +
			    (int64_t)(atof(s) * 1000 + 0.5), f->last);
	}
	if ((s = rget(r, "cflow.abstimestart")) != NULL)
		check_time(file, i, "abstimestart", abstime(s), f->first);
	if ((s = rget(r, "cflow.abstimeend")) != NULL)
		check_time(file, i, "abstimeend", abstime(s), f->last);
}

static void
compare_sflow(const char *file, size_t i, const struct trec *r,
    const struct flow *f)
{
	const char *s, *fmt;

	check_num(file, i, "sampling_rate",
	    rget(r, "sflow.flow_sample.sampling_rate"), f->sampling);
	check_num(file, i, "frame_length",
	    rget(r, "sflow_245.header.frame_length"), f->bytes);
	if ((s = rget(r, "sflow.flow_sample.input_interface")) != NULL &&
	    strtoull(s, NULL, 0) != 0x3fffffff &&
	    strtoull(s, NULL, 0) < 0x40000000)
		check_num(file, i, "input_interface", s, f->in_if);
	fmt = rget(r, "sflow.flow_sample.input_interface_format");
	if (fmt != NULL && strcmp(fmt, "0") == 0 && (s = rget(r,
	    "sflow.flow_sample.input_interface_value")) != NULL &&
	    strtoull(s, NULL, 0) != 0x3fffffff)
		check_num(file, i, "input_interface_value", s, f->in_if);
	fmt = rget(r, "sflow.flow_sample.output_interface_format");
	if (fmt == NULL)
		fmt = rget(r, "sflow.flow_sample.output_interface.format");
	if (fmt != NULL && strcmp(fmt, "0") == 0 && (s = rget(r,
	    "sflow.flow_sample.output_interface_value")) != NULL &&
	    strtoull(s, NULL, 0) != 0x3fffffff)
		check_num(file, i, "output_interface_value", s, f->out_if);
	/* the outermost IP header (VXLAN is not opened) */
	check_addr(file, i, "ip src", rget(r, "first.src"), &f->src);
	check_addr(file, i, "ip dst", rget(r, "first.dst"), &f->dst);
	check_addr(file, i, "ipv4_src", rget(r, "sflow_245.ipv4_src"),
	    &f->src);
	check_addr(file, i, "ipv4_dst", rget(r, "sflow_245.ipv4_dst"),
	    &f->dst);
	if ((s = rget(r, "ip.proto")) != NULL)
		check_num(file, i, "ip.proto", s, f->proto);
	if ((s = rget(r, "tcp.srcport")) != NULL ||
	    (s = rget(r, "udp.srcport")) != NULL)
		check_num(file, i, "srcport", s, f->src_port);
	if ((s = rget(r, "tcp.dstport")) != NULL ||
	    (s = rget(r, "udp.dstport")) != NULL)
		check_num(file, i, "dstport", s, f->dst_port);
	check_addr(file, i, "nexthop", rget(r, "sflow_245.nexthop"),
	    &f->nexthop);
	check_num(file, i, "src_mask", rget(r, "sflow_245.nexthop.src_mask"),
	    f->src_mask);
	check_num(file, i, "dst_mask", rget(r, "sflow_245.nexthop.dst_mask"),
	    f->dst_mask);
	check_num(file, i, "srcAS", rget(r, "sflow_245.srcAS"), f->src_as);
	if ((s = rget(r, "sflow_245.vlan.in")) != NULL &&
	    strtoull(s, NULL, 0) != 0 && strtoull(s, NULL, 0) < 4095)
		check_num(file, i, "vlan.in", s, f->vlan);
	else if ((s = rget(r, "vlan.id")) != NULL)
		check_num(file, i, "vlan.id", s, f->vlan);
}

/*
 * Runs tshark over `path` and compares each flow record it shows with
 * got->f[] in order. Returns the number of tshark flow records.
 */
static size_t
tshark_compare(const char *name, const char *path, uint16_t port, int sflow,
    const struct got *g)
{
	char cmd[1024], line[4096], nm[64], show[128];
	uint64_t smap_id[16], smap_rate[16];
	size_t nsmap = 0, k;
	const char *sid, *srate;
	struct trec *r;
	double sysup = 0, usecs = 0;
	int version = 0, inrec = 0;
	size_t n = 0;
	FILE *p;

	r = calloc(1, sizeof(*r));
	assert_non_null(r);
	if (sflow)
		snprintf(cmd, sizeof(cmd), "tshark -n -r '%s' -T pdml "
		    "2>/dev/null", path);
	else
		snprintf(cmd, sizeof(cmd), "tshark -n -r '%s' -d "
		    "udp.port==%u,cflow -T pdml 2>/dev/null", path, port);
	p = popen(cmd, "r");
	assert_non_null(p);
	for (;;) {
		int eof = fgets(line, sizeof(line), p) == NULL;
		int start = 0, bound = eof || strstr(line, "<packet>") != NULL;

		if (!eof && strstr(line, "<field name=\"\"") != NULL &&
		    attr(line, "show=\"", show, sizeof(show))) {
			if (!sflow && (strncmp(show, "Flow ", 5) == 0 ||
			    strncmp(show, "pdu ", 4) == 0))
				start = bound = 1;
			if (sflow && strstr(show, "ample") != NULL &&
			    strstr(show, "seq") != NULL) {
				bound = 1;
				start = strstr(show, "low sample") != NULL;
			}
			if (!sflow && strncmp(show, "FlowSet", 7) == 0)
				bound = 1;
		}
		if (bound && inrec && !sflow && !is_flow(r, sflow) &&
		    (sid = rget(r, "cflow.sampler_id")) != NULL &&
		    ((srate = rget(r, "cflow.sampling_interval")) != NULL ||
		    (srate = rget(r, "cflow.sampler_random_interval")) !=
		    NULL) && nsmap < 16) {
			smap_id[nsmap] = strtoull(sid, NULL, 0);
			smap_rate[nsmap++] = strtoull(srate, NULL, 0);
		}
		if (bound && inrec && !sflow && is_flow(r, sflow) &&
		    n < g->n && (sid = rget(r, "cflow.sampler_id")) != NULL)
			for (k = 0; k < nsmap; k++)
				if (smap_id[k] == strtoull(sid, NULL, 0))
					check_rate(name, n, smap_rate[k],
					    g->f[n].sampling);
		if (bound && inrec) {
			if (is_flow(r, sflow)) {
				if (n < g->n) {
					if (sflow)
						compare_sflow(name, n, r,
						    &g->f[n]);
					else
						compare_cflow(name, n, r,
						    &g->f[n]);
				}
				n++;
			}
			inrec = 0;
		}
		if (eof)
			break;
		if (start) {
			memset(r, 0, sizeof(*r));
			r->sysuptime = sysup;
			r->unix_secs = usecs;
			r->version = version;
			inrec = 1;
			continue;
		}
		if (!attr(line, "<field name=\"", nm, sizeof(nm)) ||
		    !attr(line, "show=\"", show, sizeof(show)))
			continue;
		if (strcmp(nm, "cflow.version") == 0)
			version = atoi(show);
		else if (strcmp(nm, "cflow.sysuptime") == 0)
			sysup = atof(show);
		else if (strcmp(nm, "cflow.unix_secs") == 0)
			usecs = atof(show);
		if (inrec && (strcmp(nm, "ip.src") == 0 ||
		    strcmp(nm, "ipv6.src") == 0) && !rget(r, "first.src"))
			rset(r, "first.src", show);
		if (inrec && (strcmp(nm, "ip.dst") == 0 ||
		    strcmp(nm, "ipv6.dst") == 0) && !rget(r, "first.dst"))
			rset(r, "first.dst", show);
		if (inrec && (strcmp(nm, "ip.src") == 0 ||
		    strcmp(nm, "ipv6.src") == 0))
			rset(r, "last.src", show);
		if (inrec && (strcmp(nm, "ip.dst") == 0 ||
		    strcmp(nm, "ipv6.dst") == 0))
			rset(r, "last.dst", show);
		if (inrec && r->n < MAXF && rget(r, nm) == NULL) {
			snprintf(r->kv[r->n].name, sizeof(r->kv[0].name),
			    "%s", nm);
			snprintf(r->kv[r->n].show, sizeof(r->kv[0].show),
			    "%s", show);
			r->n++;
		}
	}
	pclose(p);
	free(r);
	return n;
}

struct capcase {
	const char	*dir;
	const char	*files[5];
	uint16_t	 port;
};

static const struct capcase cases[] = {
	{ "netflow", { "nfv5.pcap" }, 9990 },
	{ "netflow", { "template.pcap", "data.pcap" }, 2055 },
	{ "netflow", { "data+templates.pcap" }, 2055 },
	{ "netflow", { "datalink-template.pcap", "datalink-data.pcap" },
	    2055 },
	{ "netflow", { "ethernet-over-mpls-with-control-word-template.pcap",
	    "ethernet-over-mpls-with-control-word-data.pcap" }, 2055 },
	{ "netflow", { "icmp-template.pcap", "icmp-data.pcap" }, 2100 },
	{ "netflow", { "ipfix-srv6-template.pcap", "ipfix-srv6-data.pcap" },
	    2055 },
	{ "netflow", { "ipfixprobe-templates.pcap", "ipfixprobe-data.pcap" },
	    4739 },
	{ "netflow", { "juniper-cpid-template.pcap",
	    "juniper-cpid-data.pcap" }, 2055 },
	{ "netflow", { "mpls.pcap" }, 2055 },
	{ "netflow", { "multiplesamplingrates-options-template.pcap",
	    "multiplesamplingrates-options-data.pcap",
	    "multiplesamplingrates-template.pcap",
	    "multiplesamplingrates-data.pcap" }, 2055 },
	{ "netflow", { "nat.pcap" }, 2055 },
	{ "netflow", { "options-template.pcap", "options-data.pcap" }, 2055 },
	{ "netflow", { "physicalinterfaces.pcap" }, 2055 },
	{ "netflow", { "samplingrate-template.pcap",
	    "samplingrate-data.pcap" }, 8096 },
	{ "sflow", { "data-1140.pcap" }, 6343 },
	{ "sflow", { "data-discard-interface.pcap" }, 6343 },
	{ "sflow", { "data-encap-vxlan.pcap" }, 6343 },
	{ "sflow", { "data-icmpv4.pcap" }, 6343 },
	{ "sflow", { "data-icmpv6.pcap" }, 6343 },
	{ "sflow", { "data-local-interface.pcap" }, 6343 },
	{ "sflow", { "data-multiple-interfaces.pcap" }, 6343 },
	{ "sflow", { "data-qinq.pcap" }, 6343 },
	{ "sflow", { "data-sflow-expanded-sample.pcap" }, 6343 },
	{ "sflow", { "data-sflow-ipv4-data.pcap" }, 6343 },
	{ "sflow", { "data-sflow-raw-ipv4.pcap" }, 6343 },
};

/* Only datagrams to the exporter port reach the decoder. */
struct portfeed {
	struct got	*g;
	uint16_t	 port;
};

static int
feed_port(void *arg, const struct pcap_udp *u)
{
	struct portfeed *pf = arg;

	if (u->dport != pf->port)
		return 0;
	return feed(pf->g, u);
}

static void
test_captures(void **state)
{
	char dir[512], tmp[64], path[1024];
	struct decoder_conf conf;
	struct portfeed pf;
	struct mm_diag d;
	struct got *g;
	size_t i, j, nt, ncmp = 0;
	int fd;

	(void)state;
	if (!have_tshark()) {
		print_message("SKIP: tshark not installed\n");
		skip();
	}
	g = calloc(1, sizeof(*g));
	assert_non_null(g);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		snprintf(dir, sizeof(dir), "%s/%s", MAMORI_TESTDATA,
		    cases[i].dir);
		snprintf(path, sizeof(path), "%s/%s", dir, cases[i].files[0]);
		if (access(path, R_OK) != 0) {
			print_message("SKIP: %s absent\n", path);
			continue;
		}
		snprintf(tmp, sizeof(tmp), "/tmp/mamori-decode-XXXXXX");
		fd = mkstemp(tmp);
		assert_true(fd >= 0);
		close(fd);
		assert_int_equal(merge(dir, cases[i].files, tmp), 0);
		memset(&conf, 0, sizeof(conf));
		memset(g, 0, sizeof(*g));
		g->dec = decoder_new(&conf);
		assert_non_null(g->dec);
		pf.g = g;
		pf.port = cases[i].port;
		assert_int_equal(pcapfile_udp_foreach(tmp, feed_port, &pf,
		    NULL, &d), 0);
		nt = tshark_compare(cases[i].files[0], tmp, cases[i].port,
		    strcmp(cases[i].dir, "sflow") == 0, g);
		print_message("%-50s decoder %3zu flows, tshark %3zu\n",
		    cases[i].files[0], g->n, nt);
		assert_int_equal(g->errors, 0);
		if (nt != g->n)
			fail_msg("%s: decoder %zu flows, tshark %zu records",
			    cases[i].files[0], g->n, nt);
		for (j = 0; j < g->n; j++)
			assert_true(g->f[j].sampling >= 1);
		ncmp += nt;
		decoder_free(g->dec);
		unlink(tmp);
	}
	free(g);
	print_message("compared %zu flows with tshark\n", ncmp);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_captures),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
