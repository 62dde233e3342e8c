/*
 * udpout.h - the lab's UDP sender: batches datagrams and sends them with
 * sendmmsg(2) on a connected socket, to LOOPBACK ONLY.
 *
 * Network rule: lab traffic must never leave the host, so the destination
 * parser refuses every address outside 127.0.0.0/8 and ::1; there is no
 * override.
 */
#ifndef MAMORI_LAB_UDPOUT_H
#define MAMORI_LAB_UDPOUT_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "core/err.h"

#define UDPOUT_BATCH	64

struct udpout;

struct udpout_counters {
	uint64_t	datagrams;	/* accepted by the kernel */
	uint64_t	octets;
	uint64_t	errors;		/* datagrams the kernel refused */
	uint64_t	syscalls;
};

/* Parses "127.0.0.1:2055", "[::1]:4739" or "localhost:2055" into `ss`.
 * Returns 0, MM_ESYNTAX, or MM_EINVAL when the address is not loopback
 * (127.0.0.0/8 or ::1); `diag` says which. */
int	udpout_parse_dest(const char *s, struct sockaddr_storage *ss,
	    socklen_t *sslen, struct mm_diag *diag);

/* Opens a socket connected to `ss` (checked again for loopback) that
 * sends datagrams of at most `maxlen` bytes, with a send buffer of `sndbuf`
 * bytes (0 = system default). Returns NULL with `diag` set on failure. */
struct udpout	*udpout_open(const struct sockaddr_storage *ss, socklen_t sslen,
		    size_t maxlen, int sndbuf, struct mm_diag *diag);

/* Queues a copy of one datagram (len <= maxlen); sends the batch when full.
 * Returns 0, MM_EINVAL (too long) or MM_EIO (socket error other than the
 * transient ECONNREFUSED/ENOBUFS/EAGAIN, which are counted and skipped). */
int	udpout_queue(struct udpout *u, const uint8_t *buf, size_t len);

/* Sends `n` datagrams given by `iov` without copying (for pre-encoded
 * streams); same returns as udpout_queue(). Queued datagrams go first. */
int	udpout_sendv(struct udpout *u, struct iovec *iov, size_t n);

/* Sends `nseg` datagrams of exactly `seglen` bytes stored back to back at
 * `buf` using UDP generic segmentation offload (UDP_SEGMENT, Linux 4.18+):
 * one super-datagram of up to 64 segments per message, up to UDPOUT_BATCH
 * messages per sendmmsg(2), which the kernel splits into ordinary
 * datagrams. Falls back to udpout_sendv() when the kernel refuses GSO.
 * Queued datagrams go first. Same returns as udpout_queue(). */
int	udpout_send_gso(struct udpout *u, const uint8_t *buf, size_t seglen,
	    size_t nseg);

/* Sends what is queued. Returns 0 or MM_EIO. */
int	udpout_flush(struct udpout *u);

/* Copies the send counters into *out; neither may be NULL. */
void	udpout_counters(const struct udpout *u, struct udpout_counters *out);

/* Flushes nothing; closes and frees. NULL-safe. */
void	udpout_close(struct udpout *u);

#endif
