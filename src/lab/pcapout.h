/*
 * pcapout.h - writes flow-export datagrams as a classic pcap file, each
 * wrapped in fake Ethernet / IPv4 / UDP headers (127.0.0.1 -> 127.0.0.1),
 * so that `mamori import pcap`, nfdump's tools and tshark read them as if
 * captured on loopback.
 */
#ifndef MAMORI_LAB_PCAPOUT_H
#define MAMORI_LAB_PCAPOUT_H

#include <stddef.h>
#include <stdint.h>

#include "core/err.h"
#include "core/mtime.h"

struct pcapout;

/* Creates (truncates) `path`; datagrams will go to UDP port `dport` from
 * port `sport`. Returns NULL with `diag` set on failure. */
struct pcapout	*pcapout_open(const char *path, uint16_t sport, uint16_t dport,
		    struct mm_diag *diag);
/* Appends one datagram (len <= 65507) stamped `ts`. Returns 0, MM_EINVAL
 * or MM_EIO. */
int		 pcapout_write(struct pcapout *p, const uint8_t *buf, size_t len,
		    mtime_t ts);
/* Flushes and closes. Returns 0 or MM_EIO (write error). NULL-safe. */
int		 pcapout_close(struct pcapout *p);

#endif
