/*
 * udp.c - UDP listen parsing, socket setup and batched reception.
 *
 * The receive path is built for bursts: one recvmmsg(2) call moves up to
 * `vlen` datagrams into preallocated slots (no allocation per datagram, no
 * copy beyond the kernel's), the socket buffer is raised as far as the
 * process is allowed (SO_RCVBUFFORCE needs CAP_NET_ADMIN; SO_RCVBUF is capped
 * by net.core.rmem_max), and SO_RXQ_OVFL makes the kernel attach its
 * cumulative drop count to every datagram so losses before the socket are
 * visible. Off Linux the same interface falls back to a recvmsg(2) loop.
 * Cost: O(vlen) per call, vlen * bufsize bytes of memory.
 */
#if defined(__linux__) && !defined(_GNU_SOURCE)
#define _GNU_SOURCE	/* recvmmsg(2), struct mmsghdr */
#endif

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/uio.h>

#include "collect/udp.h"

#if defined(__linux__)
#include <asm/socket.h>		/* SO_MEMINFO */
#include <linux/sock_diag.h>	/* SK_MEMINFO_* (an enum) */
#define UDP_HAVE_MMSG 1
#endif

#define UDP_CMSG_LEN	128

struct udp_rx {
	unsigned		 vlen;
	size_t			 bufsize;
	unsigned		 got;
	uint8_t			*bufs;		/* vlen * bufsize */
	uint8_t			*cmsgs;		/* vlen * UDP_CMSG_LEN */
	struct sockaddr_storage	*names;		/* vlen */
	struct iovec		*iov;		/* vlen */
#ifdef UDP_HAVE_MMSG
	struct mmsghdr		*msgs;		/* vlen */
#else
	struct msghdr		*msgs;		/* vlen */
	size_t			*lens;		/* vlen */
#endif
};

static int
parse_port(const char *s, uint16_t *port)
{
	char *end;
	long v;

	if (*s < '0' || *s > '9')
		return MM_ESYNTAX;
	errno = 0;
	v = strtol(s, &end, 10);
	if (*end != '\0' || errno != 0)
		return MM_ESYNTAX;
	if (v < 1 || v > 65535)
		return MM_ERANGE;
	*port = (uint16_t)v;
	return 0;
}

int
udp_listen_parse(const char *s, struct udp_listen *l, struct mm_diag *diag)
{
	struct udp_listen	 t;
	struct sockaddr_in	*sin;
	struct sockaddr_in6	*sin6;
	char			 host[ADDR_STRLEN + 2];
	const char		*ps, *colon, *rb;
	size_t			 hlen;
	int			 rc;

	if (s == NULL || *s == '\0')
		return mm_diag_set(diag, MM_ESYNTAX, "listen address: empty");
	memset(&t, 0, sizeof(t));
	if (s[0] == '[') {
		if ((rb = strchr(s, ']')) == NULL)
			return mm_diag_set(diag, MM_ESYNTAX,
			    "listen address '%s': missing ']'", s);
		if (rb[1] != ':')
			return mm_diag_set(diag, MM_ESYNTAX,
			    "listen address '%s': expected ']:PORT'", s);
		hlen = (size_t)(rb - (s + 1));
		if (hlen == 0 || hlen >= sizeof(host))
			return mm_diag_set(diag, MM_ESYNTAX,
			    "listen address '%s': bad IPv6 address", s);
		memcpy(host, s + 1, hlen);
		host[hlen] = '\0';
		ps = rb + 2;
		t.family = AF_INET6;
	} else if ((colon = strrchr(s, ':')) != NULL) {
		if (strchr(s, ':') != colon)
			return mm_diag_set(diag, MM_ESYNTAX,
			    "listen address '%s': write IPv6 as [ADDR]:PORT", s);
		hlen = (size_t)(colon - s);
		if (hlen == 0 || hlen >= sizeof(host))
			return mm_diag_set(diag, MM_ESYNTAX,
			    "listen address '%s': bad address", s);
		memcpy(host, s, hlen);
		host[hlen] = '\0';
		ps = colon + 1;
		t.family = AF_INET;
	} else {
		strcpy(host, "0.0.0.0");
		ps = s;
		t.family = AF_INET;
	}
	if ((rc = parse_port(ps, &t.port)) != 0)
		return mm_diag_set(diag, rc, "listen address '%s': port must "
		    "be a number from 1 to 65535", s);
	if (t.family == AF_INET) {
		sin = (struct sockaddr_in *)&t.ss;
		sin->sin_family = AF_INET;
		sin->sin_port = htons(t.port);
		if (inet_pton(AF_INET, host, &sin->sin_addr) != 1)
			return mm_diag_set(diag, MM_ESYNTAX, "listen address "
			    "'%s': '%s' is not a numeric IPv4 address", s, host);
		t.sslen = sizeof(*sin);
		inet_ntop(AF_INET, &sin->sin_addr, host, sizeof(host));
		snprintf(t.text, sizeof(t.text), "%s:%u", host,
		    (unsigned)t.port);
	} else {
		sin6 = (struct sockaddr_in6 *)&t.ss;
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons(t.port);
		if (inet_pton(AF_INET6, host, &sin6->sin6_addr) != 1)
			return mm_diag_set(diag, MM_ESYNTAX, "listen address "
			    "'%s': '%s' is not a numeric IPv6 address", s, host);
		t.sslen = sizeof(*sin6);
		inet_ntop(AF_INET6, &sin6->sin6_addr, host, sizeof(host));
		snprintf(t.text, sizeof(t.text), "[%s]:%u", host,
		    (unsigned)t.port);
	}
	*l = t;
	return 0;
}

int
udp_open(const struct udp_listen *l, const struct udp_sockopt *o, int *fd,
    size_t *rcvbuf_got, struct mm_diag *diag)
{
	int		 s, on = 1, v, flags, rc = MM_EIO;
	socklen_t	 vl;

	if ((s = socket(l->family, SOCK_DGRAM, 0)) == -1)
		return mm_diag_set(diag, MM_EIO, "%s: socket: %s", l->text,
		    strerror(errno));
	if (l->family == AF_INET6 && setsockopt(s, IPPROTO_IPV6, IPV6_V6ONLY,
	    &on, sizeof(on)) == -1) {
		mm_diag_set(diag, MM_EIO, "%s: IPV6_V6ONLY: %s", l->text,
		    strerror(errno));
		goto out;
	}
#ifdef SO_REUSEPORT
	if (o->reuseport && setsockopt(s, SOL_SOCKET, SO_REUSEPORT, &on,
	    sizeof(on)) == -1) {
		mm_diag_set(diag, MM_EIO, "%s: SO_REUSEPORT: %s", l->text,
		    strerror(errno));
		goto out;
	}
#endif
	if (o->rcvbuf > 0) {
		v = o->rcvbuf > (size_t)INT_MAX / 2 ? INT_MAX / 2 :
		    (int)o->rcvbuf;
#ifdef SO_RCVBUFFORCE
		if (setsockopt(s, SOL_SOCKET, SO_RCVBUFFORCE, &v,
		    sizeof(v)) == -1)
#endif
			(void)setsockopt(s, SOL_SOCKET, SO_RCVBUF, &v,
			    sizeof(v));
	}
#ifdef SO_RXQ_OVFL
	(void)setsockopt(s, SOL_SOCKET, SO_RXQ_OVFL, &on, sizeof(on));
#endif
	if ((flags = fcntl(s, F_GETFL)) == -1 ||
	    fcntl(s, F_SETFL, flags | O_NONBLOCK) == -1) {
		mm_diag_set(diag, MM_EIO, "%s: O_NONBLOCK: %s", l->text,
		    strerror(errno));
		goto out;
	}
	(void)fcntl(s, F_SETFD, FD_CLOEXEC);
	if (bind(s, (const struct sockaddr *)&l->ss, l->sslen) == -1) {
		mm_diag_set(diag, MM_EIO, "%s: bind: %s", l->text,
		    strerror(errno));
		goto out;
	}
	if (rcvbuf_got != NULL) {
		vl = sizeof(v);
		if (getsockopt(s, SOL_SOCKET, SO_RCVBUF, &v, &vl) == 0 && v > 0)
			*rcvbuf_got = (size_t)v;
		else
			*rcvbuf_got = 0;
	}
	*fd = s;
	s = -1;
	rc = 0;
 out:
	if (s != -1)
		close(s);
	return rc;
}

int
udp_rx_new(unsigned vlen, size_t bufsize, struct udp_rx **rxp)
{
	struct udp_rx	*rx;
	unsigned	 i;

	*rxp = NULL;
	if (vlen == 0 || bufsize == 0 || vlen > 1024 || bufsize > 65536)
		return MM_EINVAL;
	if ((rx = calloc(1, sizeof(*rx))) == NULL)
		return MM_ENOMEM;
	rx->vlen = vlen;
	rx->bufsize = bufsize;
	rx->bufs = malloc((size_t)vlen * bufsize);
	rx->cmsgs = calloc(vlen, UDP_CMSG_LEN);
	rx->names = calloc(vlen, sizeof(*rx->names));
	rx->iov = calloc(vlen, sizeof(*rx->iov));
	rx->msgs = calloc(vlen, sizeof(*rx->msgs));
#ifndef UDP_HAVE_MMSG
	rx->lens = calloc(vlen, sizeof(*rx->lens));
	if (rx->lens == NULL) {
		udp_rx_free(rx);
		return MM_ENOMEM;
	}
#endif
	if (rx->bufs == NULL || rx->cmsgs == NULL || rx->names == NULL ||
	    rx->iov == NULL || rx->msgs == NULL) {
		udp_rx_free(rx);
		return MM_ENOMEM;
	}
	for (i = 0; i < vlen; i++) {
		rx->iov[i].iov_base = rx->bufs + (size_t)i * bufsize;
		rx->iov[i].iov_len = bufsize;
	}
	*rxp = rx;
	return 0;
}

void
udp_rx_free(struct udp_rx *rx)
{
	if (rx == NULL)
		return;
	free(rx->bufs);
	free(rx->cmsgs);
	free(rx->names);
	free(rx->iov);
	free(rx->msgs);
#ifndef UDP_HAVE_MMSG
	free(rx->lens);
#endif
	free(rx);
}

static void
msghdr_reset(struct udp_rx *rx, struct msghdr *m, unsigned i)
{
	memset(m, 0, sizeof(*m));
	m->msg_name = &rx->names[i];
	m->msg_namelen = sizeof(rx->names[i]);
	m->msg_iov = &rx->iov[i];
	m->msg_iovlen = 1;
	m->msg_control = rx->cmsgs + (size_t)i * UDP_CMSG_LEN;
	m->msg_controllen = UDP_CMSG_LEN;
}

int
udp_rx_recv(struct udp_rx *rx, int fd)
{
	unsigned	i;
	int		n;

	rx->got = 0;
#ifdef UDP_HAVE_MMSG
	for (i = 0; i < rx->vlen; i++) {
		msghdr_reset(rx, &rx->msgs[i].msg_hdr, i);
		rx->msgs[i].msg_len = 0;
	}
	for (;;) {
		n = recvmmsg(fd, rx->msgs, rx->vlen, MSG_DONTWAIT, NULL);
		if (n >= 0)
			break;
		if (errno == EINTR)
			continue;
		if (errno == EAGAIN || errno == EWOULDBLOCK)
			return 0;
		return MM_EIO;
	}
	rx->got = (unsigned)n;
#else
	ssize_t	r;

	for (i = 0; i < rx->vlen; i++) {
		msghdr_reset(rx, &rx->msgs[i], i);
		r = recvmsg(fd, &rx->msgs[i], MSG_DONTWAIT);
		if (r < 0) {
			if (errno == EINTR) {
				i--;
				continue;
			}
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				break;
			if (i == 0)
				return MM_EIO;
			break;
		}
		rx->lens[i] = (size_t)r;
	}
	rx->got = i;
	n = (int)i;
#endif
	return n;
}

void
udp_rx_get(const struct udp_rx *rx, unsigned i, struct udp_dgram *d)
{
	const struct msghdr	*m;
	struct cmsghdr		*cm;
	size_t			 len;

	memset(d, 0, sizeof(*d));
	if (i >= rx->got)
		return;
#ifdef UDP_HAVE_MMSG
	m = &rx->msgs[i].msg_hdr;
	len = rx->msgs[i].msg_len;
#else
	m = &rx->msgs[i];
	len = rx->lens[i];
#endif
	d->buf = rx->bufs + (size_t)i * rx->bufsize;
	d->len = len > rx->bufsize ? rx->bufsize : len;
	d->truncated = (m->msg_flags & MSG_TRUNC) != 0;
	(void)udp_sockaddr_to_addr((const struct sockaddr *)m->msg_name,
	    &d->from, &d->port);
	for (cm = CMSG_FIRSTHDR((struct msghdr *)m); cm != NULL;
	    cm = CMSG_NXTHDR((struct msghdr *)m, cm)) {
#ifdef SO_RXQ_OVFL
		if (cm->cmsg_level == SOL_SOCKET &&
		    cm->cmsg_type == SO_RXQ_OVFL &&
		    cm->cmsg_len >= CMSG_LEN(sizeof(uint32_t))) {
			memcpy(&d->drops, CMSG_DATA(cm), sizeof(uint32_t));
			d->has_drops = 1;
		}
#endif
	}
}

int
udp_socket_drops(int fd, uint32_t *drops)
{
#if defined(__linux__) && defined(SO_MEMINFO)
	uint32_t	mi[SK_MEMINFO_VARS];
	socklen_t	len = sizeof(mi);

	memset(mi, 0, sizeof(mi));
	if (getsockopt(fd, SOL_SOCKET, SO_MEMINFO, mi, &len) != 0 ||
	    len <= SK_MEMINFO_DROPS * sizeof(uint32_t))
		return MM_EUNSUP;
	*drops = mi[SK_MEMINFO_DROPS];
	return 0;
#else
	(void)fd;
	(void)drops;
	return MM_EUNSUP;
#endif
}

int
udp_sockaddr_to_addr(const struct sockaddr *sa, struct mm_addr *a,
    uint16_t *port)
{
	const struct sockaddr_in	*sin;
	const struct sockaddr_in6	*sin6;

	if (sa->sa_family == AF_INET) {
		sin = (const struct sockaddr_in *)sa;
		addr_from_v4(a, ntohl(sin->sin_addr.s_addr));
		*port = ntohs(sin->sin_port);
		return 0;
	}
	if (sa->sa_family == AF_INET6) {
		sin6 = (const struct sockaddr_in6 *)sa;
		addr_from_v6(a, sin6->sin6_addr.s6_addr);
		*port = ntohs(sin6->sin6_port);
		return 0;
	}
	memset(a, 0, sizeof(*a));
	*port = 0;
	return MM_EUNSUP;
}
