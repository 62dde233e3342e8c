/*
 * packet.c - link/IP/transport header parsing for one packet. See packet.h.
 *
 * A single forward pass through a cursor: link layer (VLAN tags capped at
 * PKT_MAX_VLAN_TAGS, MPLS labels at PKT_MAX_MPLS_LABELS), IP (IPv4 options
 * skipped by IHL; IPv6 extension headers skipped up to PKT_MAX_V6_EXTHDRS),
 * then the transport header. Non-first fragments carry no transport header.
 * IPv4/IPv6 carried in IP (tunnels, SRv6) is opened once: the flow is the
 * inner packet, as the exporter's user expects.
 * O(header bytes), no allocation.
 */
#include <string.h>

#include "core/cursor.h"
#include "core/err.h"
#include "flow/packet.h"

#define ETH_IPV4	0x0800
#define ETH_IPV6	0x86dd
#define ETH_VLAN	0x8100
#define ETH_QINQ	0x88a8
#define ETH_QINQ_OLD	0x9100
#define ETH_MPLS	0x8847
#define ETH_MPLS_MC	0x8848

static int	ipv4_parse(struct cursor *, struct packet_info *);
static int	ipv6_parse(struct cursor *, struct packet_info *);

static void
l4_parse(struct cursor *c, struct packet_info *pi)
{
	uint16_t w;
	uint8_t t, code;

	pi->l4data = cur_ptr(c);
	pi->l4len = cur_left(c);
	if (pi->fragment)
		return;
	switch (pi->proto) {
	case 6:		/* TCP */
		get_u16(c, &pi->src_port);
		get_u16(c, &pi->dst_port);
		cur_skip(c, 8);
		get_u16(c, &w);
		if (c->err == 0) {
			pi->tcp_flags = (uint8_t)w;
			if (cur_skip(c, 6) == 0)
				pi->have_l4 = 1;
		}
		break;
	case 17:	/* UDP */
	case 132:	/* SCTP: ports only */
		get_u16(c, &pi->src_port);
		get_u16(c, &pi->dst_port);
		get_u16(c, &pi->udp_len);
		cur_skip(c, 2);
		if (c->err == 0)
			pi->have_l4 = 1;
		break;
	case 1:		/* ICMP */
	case 58:	/* ICMPv6 */
		get_u8(c, &t);
		get_u8(c, &code);
		if (c->err == 0) {
			pi->dst_port = (uint16_t)(t << 8 | code);
			if (cur_skip(c, 2) == 0)
				pi->have_l4 = 1;
		}
		break;
	case 4:		/* IP-in-IP, SRv6 with an IP payload: one level */
	case 41:
		if (pi->tunneled)
			return;
		pi->tunneled = 1;
		if (pi->proto == 4)
			ipv4_parse(c, pi);
		else
			ipv6_parse(c, pi);
		return;
	default:
		return;
	}
	if (pi->have_l4) {
		pi->l4data = cur_ptr(c);
		pi->l4len = cur_left(c);
	}
}

static int
ipv4_parse(struct cursor *c, struct packet_info *pi)
{
	struct cursor l4;
	uint32_t a;
	uint16_t tot, frag;
	uint8_t vihl, ihl;

	get_u8(c, &vihl);
	get_u8(c, &pi->tos);
	get_u16(c, &tot);
	cur_skip(c, 2);
	get_u16(c, &frag);
	cur_skip(c, 1);
	get_u8(c, &pi->proto);
	cur_skip(c, 2);
	get_u32(c, &a);
	addr_from_v4(&pi->src, a);
	get_u32(c, &a);
	addr_from_v4(&pi->dst, a);
	if (c->err != 0)
		return MM_ETRUNC;
	ihl = vihl & 0x0f;
	if ((vihl >> 4) != 4 || ihl < 5 || tot < ihl * 4)
		return MM_EFORMAT;
	pi->ipver = 4;
	pi->ip_len = tot;
	if ((frag & 0x1fff) != 0)
		pi->fragment = 1;
	if (cur_skip(c, (size_t)(ihl - 5) * 4) != 0)
		return 0;
	/* the transport window ends at the IP length when captured */
	cur_init(&l4, cur_ptr(c), cur_left(c) < (size_t)tot - ihl * 4 ?
	    cur_left(c) : (size_t)tot - ihl * 4);
	l4_parse(&l4, pi);
	return 0;
}

static int
ipv6_parse(struct cursor *c, struct packet_info *pi)
{
	struct cursor l4;
	uint32_t w;
	uint16_t plen, fo;
	uint8_t nh, hl, cur, b[16];
	size_t i, avail;

	get_u32(c, &w);
	get_u16(c, &plen);
	get_u8(c, &nh);
	cur_skip(c, 1);
	get_bytes(c, b, 16);
	addr_from_v6(&pi->src, b);
	get_bytes(c, b, 16);
	addr_from_v6(&pi->dst, b);
	if (c->err != 0)
		return MM_ETRUNC;
	if ((w >> 28) != 6)
		return MM_EFORMAT;
	pi->ipver = 6;
	pi->tos = (uint8_t)(w >> 20);
	pi->ip_len = 40u + plen;
	avail = cur_left(c) < plen ? cur_left(c) : plen;
	cur_init(&l4, cur_ptr(c), avail);
	for (i = 0; i < PKT_MAX_V6_EXTHDRS; i++) {
		cur = nh;
		if (cur != 0 && cur != 43 && cur != 60 && cur != 44 &&
		    cur != 51 && cur != 135)
			break;
		get_u8(&l4, &nh);
		get_u8(&l4, &hl);
		if (cur == 44) {
			get_u16(&l4, &fo);
			if ((fo & 0xfff8) != 0)
				pi->fragment = 1;
			cur_skip(&l4, 4);
		} else if (cur == 51)
			cur_skip(&l4, (size_t)hl * 4 + 2);
		else
			cur_skip(&l4, (size_t)hl * 8 + 6);
		if (l4.err != 0) {
			pi->proto = cur;	/* cut inside the chain */
			return 0;
		}
	}
	pi->proto = nh;
	l4_parse(&l4, pi);
	return 0;
}

static int
ip_parse(struct cursor *c, uint16_t ethertype, struct packet_info *pi)
{
	uint8_t v;

	if (ethertype == 0) {	/* sniff */
		if (cur_left(c) < 1)
			return MM_ETRUNC;
		v = cur_ptr(c)[0] >> 4;
		ethertype = v == 4 ? ETH_IPV4 : v == 6 ? ETH_IPV6 : 1;
	}
	if (ethertype == ETH_IPV4)
		return ipv4_parse(c, pi);
	if (ethertype == ETH_IPV6)
		return ipv6_parse(c, pi);
	return MM_EUNSUP;
}

static int
ether_parse_at(struct cursor *c, struct packet_info *pi, int depth)
{
	uint32_t label;
	uint16_t type, tci;
	size_t i;

	cur_skip(c, 12);
	if (get_u16(c, &type) != 0)
		return MM_ETRUNC;
	for (i = 0; i < PKT_MAX_VLAN_TAGS && (type == ETH_VLAN ||
	    type == ETH_QINQ || type == ETH_QINQ_OLD); i++) {
		get_u16(c, &tci);
		if (get_u16(c, &type) != 0)
			return MM_ETRUNC;
		if (pi->vlan == 0)
			pi->vlan = tci & 0x0fff;
	}
	if (type == ETH_MPLS || type == ETH_MPLS_MC) {
		for (i = 0; i < PKT_MAX_MPLS_LABELS; i++) {
			if (get_u32(c, &label) != 0)
				return MM_ETRUNC;
			if (!(label & 0x100))
				continue;
			/* RFC 4385: a zero nibble starts a PW control word,
			 * then the customer's Ethernet frame */
			if (cur_left(c) > 0 && (cur_ptr(c)[0] >> 4) == 0 &&
			    depth == 0) {
				cur_skip(c, 4);
				return ether_parse_at(c, pi, 1);
			}
			return ip_parse(c, 0, pi);
		}
		return MM_EUNSUP;
	}
	return ip_parse(c, type, pi);
}

static int
ether_parse(struct cursor *c, struct packet_info *pi)
{
	return ether_parse_at(c, pi, 0);
}

int
packet_parse(const uint8_t *p, size_t len, enum packet_link link,
    struct packet_info *pi)
{
	struct cursor c;
	uint32_t af;
	uint16_t type;

	memset(pi, 0, sizeof(*pi));
	cur_init(&c, p, len);
	switch (link) {
	case PKT_LINK_ETHER:
		return ether_parse(&c, pi);
	case PKT_LINK_IP:
		return ip_parse(&c, 0, pi);
	case PKT_LINK_IPV4:
		return ip_parse(&c, ETH_IPV4, pi);
	case PKT_LINK_IPV6:
		return ip_parse(&c, ETH_IPV6, pi);
	case PKT_LINK_SLL:
		cur_skip(&c, 14);
		if (get_u16(&c, &type) != 0)
			return MM_ETRUNC;
		return ip_parse(&c, type, pi);
	case PKT_LINK_SLL2:
		if (get_u16(&c, &type) != 0 || cur_skip(&c, 18) != 0)
			return MM_ETRUNC;
		return ip_parse(&c, type, pi);
	case PKT_LINK_NULL:
	case PKT_LINK_LOOP:
		if ((link == PKT_LINK_NULL ? get_u32_le(&c, &af) :
		    get_u32(&c, &af)) != 0)
			return MM_ETRUNC;
		/* AF_INET is 2 everywhere; AF_INET6 is 10/24/28/30 */
		if (af == 2)
			return ip_parse(&c, ETH_IPV4, pi);
		if (af == 10 || af == 24 || af == 28 || af == 30)
			return ip_parse(&c, ETH_IPV6, pi);
		if (link == PKT_LINK_NULL && (af >> 24 == 2))
			return ip_parse(&c, ETH_IPV4, pi); /* swapped */
		return MM_EUNSUP;
	default:
		return MM_EINVAL;
	}
}

void
packet_to_flow(const struct packet_info *pi, struct flow *f)
{
	f->src = pi->src;
	f->dst = pi->dst;
	f->proto = pi->proto;
	f->tos = pi->tos;
	f->tcp_flags = pi->tcp_flags;
	f->src_port = pi->src_port;
	f->dst_port = pi->dst_port;
	if (pi->vlan != 0)
		f->vlan = pi->vlan;
}
