/*
 * pcapout.c - pcap writer for lab datagrams (see pcapout.h).
 *
 * The file is the classic libpcap format (magic 0xa1b2c3d4, microsecond
 * stamps, LINKTYPE_ETHERNET) written by hand through a wbuf in the host's
 * byte order, as the format specifies; each record is 14 bytes of Ethernet,
 * a 20-byte IPv4 header with a correct checksum and DF set, an 8-byte UDP
 * header with checksum 0 (allowed over IPv4, RFC 768) and the payload.
 * Output goes through stdio; cost O(len) per datagram.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "flow/wbuf.h"
#include "lab/pcapout.h"

#define PCAP_MAGIC	0xa1b2c3d4U
#define LINKTYPE_ETH	1
#define SNAPLEN		65535
#define ETH_LEN		14
#define IP_LEN		20
#define UDP_LEN		8
#define MAX_PAYLOAD	(65535 - IP_LEN - UDP_LEN)

struct pcapout {
	FILE		*fp;
	uint16_t	 sport, dport;
	uint16_t	 ipid;
	uint8_t		 rec[16 + ETH_LEN + IP_LEN + UDP_LEN];
};

static int
host_is_le(void)
{
	const uint16_t one = 1;

	return *(const uint8_t *)&one == 1;
}

static void
put_h32(struct wbuf *w, uint32_t v)
{
	if (host_is_le())
		put_u32_le(w, v);
	else
		put_u32(w, v);
}

static void
put_h16(struct wbuf *w, uint16_t v)
{
	if (host_is_le())
		put_u16_le(w, v);
	else
		put_u16(w, v);
}

struct pcapout *
pcapout_open(const char *path, uint16_t sport, uint16_t dport,
    struct mm_diag *diag)
{
	struct pcapout *p;
	uint8_t hdr[24];
	struct wbuf w;

	if ((p = calloc(1, sizeof(*p))) == NULL) {
		mm_diag_set(diag, MM_ENOMEM, "out of memory");
		return NULL;
	}
	if ((p->fp = fopen(path, "wb")) == NULL) {
		mm_diag_set(diag, MM_EIO, "%s: %s", path, strerror(errno));
		free(p);
		return NULL;
	}
	p->sport = sport;
	p->dport = dport;
	wbuf_init(&w, hdr, sizeof(hdr));
	put_h32(&w, PCAP_MAGIC);
	put_h16(&w, 2);		/* version 2.4 */
	put_h16(&w, 4);
	put_h32(&w, 0);		/* thiszone */
	put_h32(&w, 0);		/* sigfigs */
	put_h32(&w, SNAPLEN);
	put_h32(&w, LINKTYPE_ETH);
	if (fwrite(hdr, 1, w.len, p->fp) != w.len) {
		mm_diag_set(diag, MM_EIO, "%s: %s", path, strerror(errno));
		fclose(p->fp);
		free(p);
		return NULL;
	}
	return p;
}

static uint16_t
ip_cksum(const uint8_t *h, size_t len)
{
	uint32_t sum = 0;
	size_t i;

	for (i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)h[i] << 8 | h[i + 1];
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

int
pcapout_write(struct pcapout *p, const uint8_t *buf, size_t len, mtime_t ts)
{
	static const uint8_t mac_dst[6] = { 0x02, 0, 0, 0, 0, 0x02 };
	static const uint8_t mac_src[6] = { 0x02, 0, 0, 0, 0, 0x01 };
	struct wbuf w;
	size_t ip_off, caplen;
	mtime_t secs;

	if (len > MAX_PAYLOAD)
		return MM_EINVAL;
	caplen = ETH_LEN + IP_LEN + UDP_LEN + len;
	secs = ts / 1000;
	if (ts < 0)
		secs = 0;
	wbuf_init(&w, p->rec, sizeof(p->rec));
	put_h32(&w, (uint32_t)secs);
	put_h32(&w, ts < 0 ? 0 : (uint32_t)((ts - secs * 1000) * 1000));
	put_h32(&w, (uint32_t)caplen);
	put_h32(&w, (uint32_t)caplen);
	put_bytes(&w, mac_dst, 6);
	put_bytes(&w, mac_src, 6);
	put_u16(&w, 0x0800);
	ip_off = w.len;
	put_u8(&w, 0x45);
	put_u8(&w, 0);
	put_u16(&w, (uint16_t)(IP_LEN + UDP_LEN + len));
	put_u16(&w, p->ipid++);
	put_u16(&w, 0x4000);		/* DF */
	put_u8(&w, 64);
	put_u8(&w, 17);
	put_u16(&w, 0);			/* checksum, below */
	put_u32(&w, 0x7f000001U);
	put_u32(&w, 0x7f000001U);
	put_u16_at(&w, ip_off + 10, ip_cksum(p->rec + ip_off, IP_LEN));
	put_u16(&w, p->sport);
	put_u16(&w, p->dport);
	put_u16(&w, (uint16_t)(UDP_LEN + len));
	put_u16(&w, 0);
	if (w.err != 0)
		return MM_EINVAL;
	if (fwrite(p->rec, 1, w.len, p->fp) != w.len ||
	    fwrite(buf, 1, len, p->fp) != len)
		return MM_EIO;
	return 0;
}

int
pcapout_close(struct pcapout *p)
{
	int rc = 0;

	if (p == NULL)
		return 0;
	if (ferror(p->fp))
		rc = MM_EIO;
	if (fclose(p->fp) != 0)
		rc = MM_EIO;
	free(p);
	return rc;
}
