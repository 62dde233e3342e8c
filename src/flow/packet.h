/*
 * packet.h - parse the headers of one captured packet (link layer, IPv4 or
 * IPv6, TCP/UDP/SCTP/ICMP/ICMPv6) into flow fields. Used for sFlow raw
 * packet header samples, for reading UDP datagrams out of capture files
 * (pcapfile.c) and by the pcap flow meter.
 *
 * Everything is read through the bounds-checked cursor. Truncated headers
 * (sFlow typically keeps the first 128 bytes) are fine: what was captured is
 * parsed, and `have_l4` tells whether the transport header was complete.
 */
#ifndef MAMORI_FLOW_PACKET_H
#define MAMORI_FLOW_PACKET_H

#include <stddef.h>
#include <stdint.h>

#include "core/addr.h"
#include "flow/flow.h"

enum packet_link {
	PKT_LINK_ETHER = 1,	/* Ethernet II, 802.1Q/802.1ad tags, MPLS */
	PKT_LINK_IP,		/* raw IP, version from the first nibble */
	PKT_LINK_IPV4,
	PKT_LINK_IPV6,
	PKT_LINK_SLL,		/* Linux cooked v1 (16-byte header) */
	PKT_LINK_SLL2,		/* Linux cooked v2 (20-byte header) */
	PKT_LINK_NULL,		/* BSD loopback, host-order AF */
	PKT_LINK_LOOP		/* OpenBSD loopback, network-order AF */
};

#define PKT_MAX_VLAN_TAGS	4
#define PKT_MAX_MPLS_LABELS	8
#define PKT_MAX_V6_EXTHDRS	8

struct packet_info {
	struct mm_addr	 src;
	struct mm_addr	 dst;
	const uint8_t	*l4data;	/* transport payload as captured */
	size_t		 l4len;		/* captured bytes of it */
	uint32_t	 ip_len;	/* IP total length from the header */
	uint16_t	 src_port;
	uint16_t	 dst_port;	/* ICMP: type*256+code */
	uint16_t	 vlan;		/* outermost 802.1Q id, 0 if none */
	uint16_t	 udp_len;	/* UDP length field */
	uint8_t		 ipver;		/* 4 or 6 */
	uint8_t		 proto;
	uint8_t		 tos;
	uint8_t		 tcp_flags;
	uint8_t		 fragment;	/* 1: not the first fragment */
	uint8_t		 have_l4;	/* transport header complete */
	uint8_t		 tunneled;	/* fields are of the inner packet of
					   IPv4/IPv6-in-IP (incl. SRv6) */
};

/*
 * Parses `len` bytes at `p` starting with link layer `link` into `pi`
 * (cleared first). Returns 0 once an IP header was parsed, MM_ETRUNC when
 * the IP header is cut short, MM_EUNSUP for non-IP payloads (ARP, ...),
 * MM_EFORMAT for a malformed IP header, MM_EINVAL for a bad `link`.
 * pi->l4data points into `p`.
 */
int	packet_parse(const uint8_t *p, size_t len, enum packet_link link,
	    struct packet_info *pi);

/* Copies addresses, ports, proto, tos, flags and vlan into `f`. */
void	packet_to_flow(const struct packet_info *pi, struct flow *f);

#endif
