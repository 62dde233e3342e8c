/*
 * pcapfile.h - iterate the UDP datagrams of a pcap or pcapng capture file
 * (through libpcap's pcap_open_offline, which reads both). Used to feed
 * captured NetFlow/IPFIX/sFlow into the decoder (import, tests, replay).
 */
#ifndef MAMORI_FLOW_PCAPFILE_H
#define MAMORI_FLOW_PCAPFILE_H

#include <stddef.h>
#include <stdint.h>

#include "core/addr.h"
#include "core/err.h"
#include "core/mtime.h"

struct pcap_udp {
	struct mm_addr	 src;
	struct mm_addr	 dst;
	uint16_t	 sport;
	uint16_t	 dport;
	mtime_t		 ts;		/* capture time, ms */
	const uint8_t	*payload;	/* valid during the callback only */
	size_t		 len;		/* captured payload bytes */
};

struct pcapfile_stats {
	uint64_t	packets;	/* records read */
	uint64_t	udp;		/* datagrams delivered */
	uint64_t	skipped;	/* non-UDP, fragments, truncated */
};

/* Returns 0 to continue, non-zero to stop the iteration. */
typedef int (*pcapfile_udp_fn)(void *arg, const struct pcap_udp *u);

/*
 * Calls fn(arg, u) for every UDP datagram in `path` (Ethernet with
 * 802.1Q/QinQ tags, Linux SLL/SLL2, raw IP, null/loopback link types;
 * IPv4 non-first fragments are skipped). `st` (may be NULL) receives
 * counts. Returns 0, fn's non-zero value, MM_EIO when the file cannot be
 * read or MM_EUNSUP for an unknown link type, with a line in `diag`.
 */
int	pcapfile_udp_foreach(const char *path, pcapfile_udp_fn fn, void *arg,
	    struct pcapfile_stats *st, struct mm_diag *diag);

#endif
