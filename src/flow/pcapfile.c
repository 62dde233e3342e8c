/*
 * pcapfile.c - UDP datagrams out of capture files. See pcapfile.h.
 *
 * libpcap does the file format (pcap, pcapng, either byte order); each
 * record's bytes are then parsed by packet.c through the bounds-checked
 * cursor. The UDP payload handed on is the captured part of the datagram,
 * bounded by the UDP length field. O(file), one record in memory at a time.
 */
#include <pcap/pcap.h>
#include <string.h>

#include "flow/packet.h"
#include "flow/pcapfile.h"

#ifndef DLT_LINUX_SLL2
#define DLT_LINUX_SLL2	276
#endif
#ifndef DLT_IPV4
#define DLT_IPV4	228
#endif
#ifndef DLT_IPV6
#define DLT_IPV6	229
#endif

static int
pcapfile_link(int dlt, enum packet_link *link)
{
	switch (dlt) {
	case DLT_EN10MB:	*link = PKT_LINK_ETHER; return 0;
	case DLT_RAW:		*link = PKT_LINK_IP; return 0;
	case DLT_IPV4:		*link = PKT_LINK_IPV4; return 0;
	case DLT_IPV6:		*link = PKT_LINK_IPV6; return 0;
	case DLT_LINUX_SLL:	*link = PKT_LINK_SLL; return 0;
	case DLT_LINUX_SLL2:	*link = PKT_LINK_SLL2; return 0;
	case DLT_NULL:		*link = PKT_LINK_NULL; return 0;
	case DLT_LOOP:		*link = PKT_LINK_LOOP; return 0;
	default:		return MM_EUNSUP;
	}
}

int
pcapfile_udp_foreach(const char *path, pcapfile_udp_fn fn, void *arg,
    struct pcapfile_stats *st, struct mm_diag *diag)
{
	char errbuf[PCAP_ERRBUF_SIZE];
	struct pcapfile_stats local;
	struct pcap_pkthdr *h;
	const u_char *data;
	struct packet_info pi;
	struct pcap_udp u;
	enum packet_link link;
	pcap_t *p;
	size_t plen;
	int rc = 0, r;

	if (st == NULL)
		st = &local;
	memset(st, 0, sizeof(*st));
	errbuf[0] = '\0';
	if ((p = pcap_open_offline(path, errbuf)) == NULL)
		return mm_diag_set(diag, MM_EIO, "%s: %s", path, errbuf);
	if (pcapfile_link(pcap_datalink(p), &link) != 0) {
		rc = mm_diag_set(diag, MM_EUNSUP, "%s: link type %d (%s) not "
		    "supported", path, pcap_datalink(p),
		    pcap_datalink_val_to_name(pcap_datalink(p)) ?
		    pcap_datalink_val_to_name(pcap_datalink(p)) : "?");
		goto out;
	}
	while ((r = pcap_next_ex(p, &h, &data)) == 1) {
		st->packets++;
		if (packet_parse(data, h->caplen, link, &pi) != 0 ||
		    pi.proto != 17 || pi.fragment || !pi.have_l4 ||
		    pi.udp_len < 8) {
			st->skipped++;
			continue;
		}
		memset(&u, 0, sizeof(u));
		u.src = pi.src;
		u.dst = pi.dst;
		u.sport = pi.src_port;
		u.dport = pi.dst_port;
		u.ts = (mtime_t)h->ts.tv_sec * 1000 + h->ts.tv_usec / 1000;
		plen = pi.udp_len - 8u;
		u.payload = pi.l4data;
		u.len = pi.l4len < plen ? pi.l4len : plen;
		st->udp++;
		if ((rc = fn(arg, &u)) != 0)
			goto out;
	}
	if (r == PCAP_ERROR)
		rc = mm_diag_set(diag, MM_EIO, "%s: %s", path, pcap_geterr(p));
out:
	pcap_close(p);
	return rc;
}
