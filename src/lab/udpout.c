/*
 * udpout.c - batched loopback UDP sender (see udpout.h).
 *
 * Datagrams are copied into UDPOUT_BATCH fixed slots and sent with one
 * sendmmsg(2) per full batch on a connected socket: one syscall per 64
 * datagrams is what lets a single core push several million flows per
 * second over loopback. Transient per-datagram failures (no listener yet:
 * ECONNREFUSED; queue full: ENOBUFS/EAGAIN) are counted and the datagram is
 * dropped, as a router would; anything else is an error.
 *
 * Memory: UDPOUT_BATCH * maxlen bytes.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE	/* sendmmsg(2), struct mmsghdr */
#endif
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/udp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include "lab/udpout.h"

struct udpout {
	int		 fd;
	size_t		 maxlen;
	uint8_t		*slots;		/* UDPOUT_BATCH * maxlen */
	struct iovec	 iov[UDPOUT_BATCH];
	struct mmsghdr	 msg[UDPOUT_BATCH];
	size_t		 n;		/* queued */
	int		 nogso;		/* the kernel refused UDP_SEGMENT */
	int		 gso_ok;	/* ... or accepted it once */
	struct udpout_counters c;
};

static int
is_loopback(const struct sockaddr_storage *ss)
{
	const struct sockaddr_in *sin;
	const struct sockaddr_in6 *sin6;

	if (ss->ss_family == AF_INET) {
		sin = (const struct sockaddr_in *)ss;
		return (ntohl(sin->sin_addr.s_addr) >> 24) == 127;
	}
	if (ss->ss_family == AF_INET6) {
		sin6 = (const struct sockaddr_in6 *)ss;
		return memcmp(&sin6->sin6_addr, &in6addr_loopback,
		    sizeof(struct in6_addr)) == 0;
	}
	return 0;
}

int
udpout_parse_dest(const char *s, struct sockaddr_storage *ss,
    socklen_t *sslen, struct mm_diag *diag)
{
	char host[64];
	const char *colon, *h, *port;
	size_t hlen;
	char *end;
	unsigned long p;
	struct sockaddr_in *sin = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;

	memset(ss, 0, sizeof(*ss));
	if (s[0] == '[') {
		if ((colon = strstr(s, "]:")) == NULL)
			return mm_diag_set(diag, MM_ESYNTAX,
			    "'%s': expected [ADDR]:PORT", s);
		h = s + 1;
		hlen = (size_t)(colon - h);
		port = colon + 2;
	} else {
		if ((colon = strrchr(s, ':')) == NULL)
			return mm_diag_set(diag, MM_ESYNTAX,
			    "'%s': expected ADDR:PORT", s);
		h = s;
		hlen = (size_t)(colon - s);
		port = colon + 1;
	}
	if (hlen == 0 || hlen >= sizeof(host))
		return mm_diag_set(diag, MM_ESYNTAX, "'%s': bad address", s);
	memcpy(host, h, hlen);
	host[hlen] = '\0';
	errno = 0;
	p = strtoul(port, &end, 10);
	if (*port == '\0' || *end != '\0' || p == 0 || p > 65535 || errno != 0)
		return mm_diag_set(diag, MM_ESYNTAX, "'%s': bad port", s);
	if (strcmp(host, "localhost") == 0)
		strcpy(host, "127.0.0.1");
	if (inet_pton(AF_INET, host, &sin->sin_addr) == 1) {
		sin->sin_family = AF_INET;
		sin->sin_port = htons((uint16_t)p);
		*sslen = sizeof(*sin);
	} else if (inet_pton(AF_INET6, host, &sin6->sin6_addr) == 1) {
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons((uint16_t)p);
		*sslen = sizeof(*sin6);
	} else
		return mm_diag_set(diag, MM_ESYNTAX,
		    "'%s': not a numeric IPv4/IPv6 address", host);
	if (!is_loopback(ss))
		return mm_diag_set(diag, MM_EINVAL, "'%s': refusing to send "
		    "outside loopback (only 127.0.0.0/8 and ::1 allowed)",
		    host);
	return 0;
}

struct udpout *
udpout_open(const struct sockaddr_storage *ss, socklen_t sslen, size_t maxlen,
    int sndbuf, struct mm_diag *diag)
{
	struct udpout *u;
	size_t i;

	if (!is_loopback(ss)) {
		mm_diag_set(diag, MM_EINVAL, "refusing non-loopback destination");
		return NULL;
	}
	if ((u = calloc(1, sizeof(*u))) == NULL ||
	    (u->slots = malloc(UDPOUT_BATCH * maxlen)) == NULL) {
		free(u);
		mm_diag_set(diag, MM_ENOMEM, "out of memory");
		return NULL;
	}
	u->maxlen = maxlen;
	if ((u->fd = socket(ss->ss_family, SOCK_DGRAM, 0)) == -1) {
		mm_diag_set(diag, MM_EIO, "socket: %s", strerror(errno));
		goto fail;
	}
	if (sndbuf > 0)
		(void)setsockopt(u->fd, SOL_SOCKET, SO_SNDBUF, &sndbuf,
		    sizeof(sndbuf));
	if (connect(u->fd, (const struct sockaddr *)ss, sslen) == -1) {
		mm_diag_set(diag, MM_EIO, "connect: %s", strerror(errno));
		goto fail;
	}
	for (i = 0; i < UDPOUT_BATCH; i++) {
		u->iov[i].iov_base = u->slots + i * maxlen;
		u->msg[i].msg_hdr.msg_iov = &u->iov[i];
		u->msg[i].msg_hdr.msg_iovlen = 1;
	}
	return u;
fail:
	if (u->fd >= 0)
		close(u->fd);
	free(u->slots);
	free(u);
	return NULL;
}

/* Sends msg[0..n) whose iovecs are set; retries partial batches. */
static int
send_batch(struct udpout *u, struct mmsghdr *msg, size_t n)
{
	size_t done = 0, i;
	int r;

	while (done < n) {
		r = sendmmsg(u->fd, msg + done, (unsigned)(n - done), 0);
		u->c.syscalls++;
		if (r > 0) {
			for (i = done; i < done + (size_t)r; i++)
				u->c.octets += msg[i].msg_len;
			u->c.datagrams += (uint64_t)r;
			done += (size_t)r;
			continue;
		}
		if (r == -1 && errno == EINTR)
			continue;
		if (r == -1 && (errno == ECONNREFUSED || errno == ENOBUFS ||
		    errno == EAGAIN || errno == EWOULDBLOCK)) {
			u->c.errors++;
			done++;		/* drop the head datagram */
			continue;
		}
		return MM_EIO;
	}
	return 0;
}

int
udpout_flush(struct udpout *u)
{
	size_t n = u->n;

	u->n = 0;
	if (n == 0)
		return 0;
	return send_batch(u, u->msg, n);
}

int
udpout_queue(struct udpout *u, const uint8_t *buf, size_t len)
{
	if (len > u->maxlen)
		return MM_EINVAL;
	memcpy(u->iov[u->n].iov_base, buf, len);
	u->iov[u->n].iov_len = len;
	u->n++;
	if (u->n == UDPOUT_BATCH)
		return udpout_flush(u);
	return 0;
}

int
udpout_sendv(struct udpout *u, struct iovec *iov, size_t n)
{
	struct mmsghdr msg[UDPOUT_BATCH];
	size_t i, k;
	int rc;

	if ((rc = udpout_flush(u)) != 0)
		return rc;
	while (n > 0) {
		k = n < UDPOUT_BATCH ? n : UDPOUT_BATCH;
		memset(msg, 0, sizeof(msg[0]) * k);
		for (i = 0; i < k; i++) {
			msg[i].msg_hdr.msg_iov = &iov[i];
			msg[i].msg_hdr.msg_iovlen = 1;
		}
		if ((rc = send_batch(u, msg, k)) != 0)
			return rc;
		iov += k;
		n -= k;
	}
	return 0;
}

#define GSO_MAXSEGS	64
#define GSO_MAXBYTES	65000

/* Plain fallback: one iovec per datagram. */
static int
gso_fallback(struct udpout *u, const uint8_t *buf, size_t seglen, size_t nseg)
{
	struct iovec iov[UDPOUT_BATCH];
	size_t i, k;
	int rc;

	while (nseg > 0) {
		k = nseg < UDPOUT_BATCH ? nseg : UDPOUT_BATCH;
		for (i = 0; i < k; i++) {
			iov[i].iov_base = (void *)(uintptr_t)(buf + i * seglen);
			iov[i].iov_len = seglen;
		}
		if ((rc = udpout_sendv(u, iov, k)) != 0)
			return rc;
		buf += k * seglen;
		nseg -= k;
	}
	return 0;
}

int
udpout_send_gso(struct udpout *u, const uint8_t *buf, size_t seglen,
    size_t nseg)
{
	struct mmsghdr msg[UDPOUT_BATCH];
	struct iovec iov[UDPOUT_BATCH];
	union {
		char		buf[CMSG_SPACE(sizeof(uint16_t))];
		struct cmsghdr	align;
	} ctl[UDPOUT_BATCH];
	struct cmsghdr *cm;
	size_t per, k, i, segs[UDPOUT_BATCH];
	uint16_t gs;
	int r, rc;

	if ((rc = udpout_flush(u)) != 0)
		return rc;
	if (seglen == 0 || seglen > u->maxlen)
		return MM_EINVAL;
	per = GSO_MAXBYTES / seglen;
	if (per > GSO_MAXSEGS)
		per = GSO_MAXSEGS;
	if (u->nogso || per < 2)
		return gso_fallback(u, buf, seglen, nseg);
	gs = (uint16_t)seglen;
	while (nseg > 0) {
		memset(msg, 0, sizeof(msg));
		memset(ctl, 0, sizeof(ctl));
		for (k = 0; k < UDPOUT_BATCH && nseg > 0; k++) {
			segs[k] = nseg < per ? nseg : per;
			iov[k].iov_base = (void *)(uintptr_t)buf;
			iov[k].iov_len = segs[k] * seglen;
			msg[k].msg_hdr.msg_iov = &iov[k];
			msg[k].msg_hdr.msg_iovlen = 1;
			msg[k].msg_hdr.msg_control = ctl[k].buf;
			msg[k].msg_hdr.msg_controllen = sizeof(ctl[k].buf);
			cm = CMSG_FIRSTHDR(&msg[k].msg_hdr);
			cm->cmsg_level = SOL_UDP;
			cm->cmsg_type = UDP_SEGMENT;
			cm->cmsg_len = CMSG_LEN(sizeof(uint16_t));
			memcpy(CMSG_DATA(cm), &gs, sizeof(gs));
			buf += iov[k].iov_len;
			nseg -= segs[k];
		}
		for (i = 0; i < k; ) {
			r = sendmmsg(u->fd, msg + i, (unsigned)(k - i), 0);
			u->c.syscalls++;
			if (r > 0) {
				u->gso_ok = 1;
				for (; r > 0; r--, i++) {
					u->c.datagrams += segs[i];
					u->c.octets += iov[i].iov_len;
				}
				continue;
			}
			if (r == -1 && errno == EINTR)
				continue;
			if (r == -1 && (errno == EINVAL || errno == EOPNOTSUPP ||
			    errno == ENOPROTOOPT || errno == EIO) &&
			    !u->gso_ok) {
				/* no GSO here: resend this batch plainly */
				u->nogso = 1;
				for (; i < k; i++)
					if ((rc = gso_fallback(u,
					    iov[i].iov_base, seglen,
					    segs[i])) != 0)
						return rc;
				return gso_fallback(u, buf, seglen, nseg);
			}
			if (r == -1 && (errno == ECONNREFUSED ||
			    errno == ENOBUFS || errno == EAGAIN ||
			    errno == EWOULDBLOCK)) {
				u->c.errors += segs[i];
				i++;
				continue;
			}
			return MM_EIO;
		}
	}
	return 0;
}

void
udpout_counters(const struct udpout *u, struct udpout_counters *out)
{
	*out = u->c;
}

void
udpout_close(struct udpout *u)
{
	if (u == NULL)
		return;
	close(u->fd);
	free(u->slots);
	free(u);
}
