/*
 * udp.h - the collector's UDP receive path: listen-address parsing, socket
 * setup (large receive buffer, SO_REUSEPORT, kernel drop reporting) and
 * batched reception with recvmmsg(2).
 *
 * A struct udp_rx owns `vlen` receive slots of `bufsize` bytes each, their
 * iovecs, source-address storage and control buffers; one udp_rx_recv() call
 * fills up to `vlen` slots with one system call on Linux (a recvmsg(2) loop
 * elsewhere). Memory is vlen * (bufsize + ~200) bytes, allocated once. Each
 * received slot reports its payload, the sender (as struct mm_addr + port),
 * whether the datagram was truncated (MSG_TRUNC), and, when the kernel
 * supports SO_RXQ_OVFL, the socket's cumulative drop counter at the time the
 * datagram was queued; udp_socket_drops() reads the same counter at any
 * time (SO_MEMINFO), so drops after the last datagram are seen too (the kernel attaches it only once the count is
 * non-zero).
 */
#ifndef MAMORI_COLLECT_UDP_H
#define MAMORI_COLLECT_UDP_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "core/addr.h"
#include "core/err.h"

#define UDP_LISTEN_STRLEN	(ADDR_STRLEN + 10)

/* One -l ADDR:PORT. */
struct udp_listen {
	struct sockaddr_storage	ss;
	socklen_t		sslen;
	int			family;		/* AF_INET or AF_INET6 */
	uint16_t		port;		/* host order */
	char			text[UDP_LISTEN_STRLEN];	/* canonical */
};

/*
 * Parses "A.B.C.D:PORT", "[V6]:PORT" or "PORT" (meaning 0.0.0.0:PORT).
 * Addresses are numeric only; PORT is 1..65535. Returns 0, or MM_ESYNTAX /
 * MM_ERANGE with `diag` naming the problem. `l` is untouched on error.
 */
int	udp_listen_parse(const char *s, struct udp_listen *l,
	    struct mm_diag *diag);

struct udp_sockopt {
	size_t		rcvbuf;		/* bytes wanted; 0 = leave the default */
	int		reuseport;	/* set SO_REUSEPORT (several threads) */
};

/*
 * Opens a non-blocking UDP socket bound to `l` (IPv6 sockets are
 * V6ONLY so that 0.0.0.0 and :: can both be bound), with the receive buffer
 * raised to `o->rcvbuf` (SO_RCVBUFFORCE when permitted, else SO_RCVBUF,
 * which the kernel caps at net.core.rmem_max) and SO_RXQ_OVFL enabled where
 * available. On success *fd is the socket and *rcvbuf_got the buffer the
 * kernel reports (may be NULL). Returns 0 or MM_EIO with `diag`.
 */
int	udp_open(const struct udp_listen *l, const struct udp_sockopt *o,
	    int *fd, size_t *rcvbuf_got, struct mm_diag *diag);

struct udp_rx;

/* Allocates `vlen` slots of `bufsize` bytes. Returns 0 or MM_ENOMEM. */
int	udp_rx_new(unsigned vlen, size_t bufsize, struct udp_rx **rx);
/* Frees; NULL-safe. */
void	udp_rx_free(struct udp_rx *rx);

/*
 * Receives up to vlen datagrams from non-blocking `fd` without waiting.
 * Returns the number received (0 when none was pending) or MM_EIO (errno
 * kept) on a socket error other than EAGAIN/EINTR.
 */
int	udp_rx_recv(struct udp_rx *rx, int fd);

struct udp_dgram {
	const uint8_t	*buf;
	size_t		 len;		/* bytes in buf */
	struct mm_addr	 from;
	uint16_t	 port;
	int		 truncated;	/* datagram exceeded bufsize */
	int		 has_drops;	/* `drops` is valid */
	uint32_t	 drops;		/* socket's cumulative kernel drops */
};

/* Describes slot `i` (< the last udp_rx_recv() result). */
void	udp_rx_get(const struct udp_rx *rx, unsigned i, struct udp_dgram *d);

/*
 * Reads the socket's cumulative kernel drop counter directly (Linux
 * SO_MEMINFO), which also covers drops after the last datagram received.
 * Returns 0 or MM_EUNSUP where not available.
 */
int	udp_socket_drops(int fd, uint32_t *drops);

/* Converts a sockaddr to mm_addr + host-order port. Returns 0 or MM_EUNSUP
 * for a family other than AF_INET/AF_INET6. */
int	udp_sockaddr_to_addr(const struct sockaddr *sa, struct mm_addr *a,
	    uint16_t *port);

#endif
