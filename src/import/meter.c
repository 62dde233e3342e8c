/*
 * meter.c - a bidirectional flow meter over captured packets, as softflowd
 * or a router's cache would run it, for `mamori import pcap --flows`.
 *
 * Packets are parsed with flow/packet.h and keyed by the unordered pair of
 * endpoints (address, port) plus protocol and the outer VLAN id; both
 * directions of a conversation share one entry holding per-direction
 * counters (packets, IP-length bytes, TCP flags OR'ed, first/last time, the
 * first packet's TOS). An entry ends:
 *   - idle: no packet for idle_ms (default 15 s);
 *   - active: it began active_ms ago (default 30 min), so long
 *     conversations are reported in slices;
 *   - tcp: 2 s (METER_CLOSE_MS) after FIN was seen in both directions or a
 *     RST in either (the grace keeps the last ACK in the same flow);
 *   - full: the table holds max_flows entries and a new one is needed:
 *     the least recently active entry goes first;
 *   - end of input (meter_flush).
 * Each end emits one unidirectional flow per direction that carried
 * packets, so the output is what a NetFlow exporter would have sent.
 * Clock: packet time; a timestamp going backwards does not move the clock
 * back (its packet is still counted, with first/last kept ordered).
 *
 * Data structures: a fixed array of max_flows entries (allocated once, so
 * memory is bounded: ~180 bytes per entry), a chained hash over it with a
 * power-of-two bucket array, and three intrusive lists threaded through
 * the entries by index: `lru` (open flows by last activity), `closing`
 * (FIN/RST flows by close time) and `age` (all flows by creation time).
 * Each list is ordered by the deadline it serves, so expiry only ever looks
 * at list heads: O(1) amortised per packet, no periodic scan.
 */
#include <stdlib.h>
#include <string.h>

#include <sys/stat.h>

#include <pcap/pcap.h>

#include "flow/packet.h"
#include "import/import_int.h"

#define METER_CLOSE_MS		2000
#define METER_MAX_CAP		(16u * 1024 * 1024)
#define NIL			UINT32_MAX

#ifndef DLT_LINUX_SLL2
#define DLT_LINUX_SLL2	276
#endif
#ifndef DLT_IPV4
#define DLT_IPV4	228
#endif
#ifndef DLT_IPV6
#define DLT_IPV6	229
#endif

struct mkey {
	struct mm_addr	 a, b;		/* a <= b (with ports) */
	uint16_t	 pa, pb;
	uint16_t	 vlan;
	uint8_t		 proto;
};

struct mdir {
	mtime_t		 first, last;
	uint64_t	 packets, bytes;
	uint8_t		 flags, tos;
};

struct list {
	uint32_t	 head, tail;
};

struct links {
	uint32_t	 prev, next;
};

enum { L_LRU, L_CLOSING, L_AGE, L_N };

struct mentry {
	struct mkey	 k;
	struct mdir	 d[2];		/* 0: a -> b, 1: b -> a */
	mtime_t		 created, touched, closed;
	struct links	 l[L_N];
	uint32_t	 hnext;		/* hash chain */
	uint8_t		 fin;		/* bit per direction */
	uint8_t		 state;		/* 0 free, 1 open, 2 closing */
};

struct meter {
	struct meter_conf conf;
	struct mentry	*e;
	uint32_t	*bucket;
	uint32_t	 nbucket;	/* power of two */
	uint32_t	 freelist;	/* through hnext */
	size_t		 used;
	struct list	 list[L_N];
	mtime_t		 now;
};

static void
list_push(struct meter *m, int which, uint32_t i)
{
	struct list	*L = &m->list[which];
	struct links	*x = &m->e[i].l[which];

	x->next = NIL;
	x->prev = L->tail;
	if (L->tail != NIL)
		m->e[L->tail].l[which].next = i;
	else
		L->head = i;
	L->tail = i;
}

static void
list_del(struct meter *m, int which, uint32_t i)
{
	struct list	*L = &m->list[which];
	struct links	*x = &m->e[i].l[which];

	if (x->prev != NIL)
		m->e[x->prev].l[which].next = x->next;
	else
		L->head = x->next;
	if (x->next != NIL)
		m->e[x->next].l[which].prev = x->prev;
	else
		L->tail = x->prev;
	x->prev = x->next = NIL;
}

static uint32_t
key_hash(const struct mkey *k, uint32_t mask)
{
	uint64_t	h = 0x9e3779b97f4a7c15ULL;
	size_t		i;

	for (i = 0; i < 16; i++) {
		h ^= k->a.b[i];
		h *= 0x100000001b3ULL;
		h ^= k->b.b[i];
		h *= 0x100000001b3ULL;
	}
	h ^= (uint64_t)k->pa << 32 | (uint64_t)k->pb << 16 | k->vlan;
	h ^= (uint64_t)k->proto << 48;
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdULL;
	h ^= h >> 33;
	return (uint32_t)h & mask;
}

static int
key_eq(const struct mkey *x, const struct mkey *y)
{
	return x->pa == y->pa && x->pb == y->pb && x->proto == y->proto &&
	    x->vlan == y->vlan && memcmp(&x->a, &y->a, sizeof(x->a)) == 0 &&
	    memcmp(&x->b, &y->b, sizeof(x->b)) == 0;
}

struct meter *
meter_new(const struct meter_conf *conf)
{
	struct meter	*m;
	uint32_t	 i;

	if ((m = calloc(1, sizeof(*m))) == NULL)
		return NULL;
	if (conf != NULL)
		m->conf = *conf;
	if (m->conf.idle_ms <= 0)
		m->conf.idle_ms = METER_IDLE_MS;
	if (m->conf.active_ms <= 0)
		m->conf.active_ms = METER_ACTIVE_MS;
	if (m->conf.max_flows == 0)
		m->conf.max_flows = METER_MAX_FLOWS;
	if (m->conf.max_flows > METER_MAX_CAP)
		m->conf.max_flows = METER_MAX_CAP;
	m->nbucket = 16;
	while (m->nbucket < m->conf.max_flows)
		m->nbucket <<= 1;
	m->e = calloc(m->conf.max_flows, sizeof(*m->e));
	m->bucket = malloc((size_t)m->nbucket * sizeof(*m->bucket));
	if (m->e == NULL || m->bucket == NULL) {
		meter_free(m);
		return NULL;
	}
	for (i = 0; i < m->nbucket; i++)
		m->bucket[i] = NIL;
	for (i = 0; i < m->conf.max_flows; i++)
		m->e[i].hnext = i + 1 < m->conf.max_flows ? i + 1 : NIL;
	m->freelist = 0;
	for (i = 0; i < L_N; i++)
		m->list[i].head = m->list[i].tail = NIL;
	return m;
}

void
meter_free(struct meter *m)
{
	if (m == NULL)
		return;
	free(m->e);
	free(m->bucket);
	free(m);
}

static int
emit_dir(const struct mentry *x, int dir, const struct import_sink *sink,
    struct import_stats *st)
{
	const struct mdir *d = &x->d[dir];
	struct flow	 f;
	int		 rc;

	if (d->packets == 0)
		return 0;
	memset(&f, 0, sizeof(f));
	f.first = d->first;
	f.last = d->last;
	f.src = dir == 0 ? x->k.a : x->k.b;
	f.dst = dir == 0 ? x->k.b : x->k.a;
	f.proto = x->k.proto;
	if (x->k.proto == 1 || x->k.proto == 58) {
		f.src_port = 0;
		f.dst_port = x->k.pb;	/* keyed as seen: dir is 0 */
	} else {
		f.src_port = dir == 0 ? x->k.pa : x->k.pb;
		f.dst_port = dir == 0 ? x->k.pb : x->k.pa;
	}
	f.vlan = x->k.vlan;
	f.packets = d->packets;
	f.bytes = d->bytes;
	f.tcp_flags = d->flags;
	f.tos = d->tos;
	f.sampling = 1;
	if ((rc = sink->emit(sink->arg, &f)) != 0)
		return rc;
	st->flows++;
	return 0;
}

/* Emits entry i's flows and frees it. */
static int
expire(struct meter *m, uint32_t i, const struct import_sink *sink,
    struct import_stats *st, uint64_t *counter)
{
	struct mentry	*x = &m->e[i];
	uint32_t	*pp;
	int		 rc;

	(*counter)++;
	rc = emit_dir(x, 0, sink, st);
	if (rc == 0)
		rc = emit_dir(x, 1, sink, st);
	/* unlink even when emit failed: the meter stays consistent */
	pp = &m->bucket[key_hash(&x->k, m->nbucket - 1)];
	while (*pp != NIL && *pp != i)
		pp = &m->e[*pp].hnext;
	if (*pp == i)
		*pp = x->hnext;
	list_del(m, x->state == 2 ? L_CLOSING : L_LRU, i);
	list_del(m, L_AGE, i);
	memset(x, 0, sizeof(*x));
	x->hnext = m->freelist;
	m->freelist = i;
	m->used--;
	return rc;
}

static int
expire_due(struct meter *m, mtime_t now, const struct import_sink *sink,
    struct import_stats *st)
{
	uint32_t	i;
	int		rc;

	while ((i = m->list[L_LRU].head) != NIL &&
	    now - m->e[i].touched >= m->conf.idle_ms)
		if ((rc = expire(m, i, sink, st, &st->expired_idle)) != 0)
			return rc;
	while ((i = m->list[L_CLOSING].head) != NIL &&
	    now - m->e[i].closed >= METER_CLOSE_MS)
		if ((rc = expire(m, i, sink, st, &st->expired_tcp)) != 0)
			return rc;
	while ((i = m->list[L_AGE].head) != NIL &&
	    now - m->e[i].created >= m->conf.active_ms)
		if ((rc = expire(m, i, sink, st, &st->expired_active)) != 0)
			return rc;
	return 0;
}

int
meter_packet(struct meter *m, const uint8_t *p, size_t caplen, int link,
    mtime_t ts, const struct import_sink *sink, struct import_stats *st)
{
	struct packet_info	 pi;
	struct mkey		 k;
	struct mentry		*x;
	struct mdir		*d;
	uint32_t		 i, h;
	int			 dir, c, rc;

	st->packets++;
	if (ts > m->now)
		m->now = ts;
	if ((rc = expire_due(m, m->now, sink, st)) != 0)
		return rc;
	if (packet_parse(p, caplen, (enum packet_link)link, &pi) != 0 ||
	    (pi.ipver != 4 && pi.ipver != 6)) {
		st->nonip++;
		return 0;
	}
	memset(&k, 0, sizeof(k));
	c = addr_cmp(&pi.src, &pi.dst);
	if (c == 0)
		c = pi.src_port < pi.dst_port ? -1 : 1;
	if (pi.proto == 1 || pi.proto == 58)
		c = -1;		/* type/code: one direction per key, as seen */
	dir = c <= 0 ? 0 : 1;
	k.a = dir == 0 ? pi.src : pi.dst;
	k.b = dir == 0 ? pi.dst : pi.src;
	k.pa = dir == 0 ? pi.src_port : pi.dst_port;
	k.pb = dir == 0 ? pi.dst_port : pi.src_port;
	k.proto = pi.proto;
	k.vlan = m->conf.no_vlan ? 0 : pi.vlan;

	h = key_hash(&k, m->nbucket - 1);
	for (i = m->bucket[h]; i != NIL; i = m->e[i].hnext)
		if (key_eq(&m->e[i].k, &k))
			break;
	if (i == NIL) {
		if (m->freelist == NIL) {
			i = m->list[L_LRU].head;
			if (i == NIL)
				i = m->list[L_CLOSING].head;
			if ((rc = expire(m, i, sink, st,
			    &st->expired_full)) != 0)
				return rc;
		}
		i = m->freelist;
		x = &m->e[i];
		m->freelist = x->hnext;
		memset(x, 0, sizeof(*x));
		x->k = k;
		x->state = 1;
		x->created = m->now;
		x->hnext = m->bucket[h];
		m->bucket[h] = i;
		list_push(m, L_LRU, i);
		list_push(m, L_AGE, i);
		if (++m->used > st->max_active)
			st->max_active = m->used;
	} else {
		x = &m->e[i];
		if (x->state == 1) {
			list_del(m, L_LRU, i);
			list_push(m, L_LRU, i);
		}
	}
	x->touched = m->now;
	d = &x->d[dir];
	if (d->packets == 0) {
		d->first = d->last = ts;
		d->tos = pi.tos;
	} else {
		if (ts < d->first)
			d->first = ts;
		if (ts > d->last)
			d->last = ts;
	}
	d->packets++;
	d->bytes += pi.ip_len;
	if (pi.proto == 6 && pi.have_l4) {
		d->flags |= pi.tcp_flags;
		if (pi.tcp_flags & TH_FIN)
			x->fin |= (uint8_t)(1u << dir);
		if (x->state == 1 && (x->fin == 3 ||
		    (pi.tcp_flags & TH_RST))) {
			list_del(m, L_LRU, i);
			x->state = 2;
			x->closed = m->now;
			list_push(m, L_CLOSING, i);
		}
	}
	return 0;
}

int
meter_flush(struct meter *m, const struct import_sink *sink,
    struct import_stats *st)
{
	uint32_t	i;
	int		rc;

	while ((i = m->list[L_AGE].head) != NIL)
		if ((rc = expire(m, i, sink, st, m->e[i].state == 2 ?
		    &st->expired_tcp : &st->expired_eof)) != 0)
			return rc;
	return 0;
}

static int
link_of(int dlt, int *link)
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
	default:		return -1;
	}
}

int
meter_pcap_file(struct meter *m, const char *path,
    const struct import_sink *sink, struct import_stats *st,
    struct mm_diag *diag)
{
	char			 errbuf[PCAP_ERRBUF_SIZE];
	struct pcap_pkthdr	*hdr;
	const u_char		*data;
	pcap_t			*pc;
	struct stat		 sb;
	FILE			*fp;
	mtime_t			 ts;
	uint64_t		 total = 0, next_prog = 1u << 20;
	long			 off;
	int			 link, rc = 0, r;

	errbuf[0] = '\0';
	if ((pc = pcap_open_offline(path, errbuf)) == NULL)
		return mm_diag_set(diag, MM_EIO, "%s: %s", path, errbuf);
	if (link_of(pcap_datalink(pc), &link) != 0) {
		rc = mm_diag_set(diag, MM_EUNSUP, "%s: link type %d (%s) not "
		    "supported", path, pcap_datalink(pc),
		    pcap_datalink_val_to_name(pcap_datalink(pc)) != NULL ?
		    pcap_datalink_val_to_name(pcap_datalink(pc)) : "?");
		goto out;
	}
	if (stat(path, &sb) == 0 && S_ISREG(sb.st_mode))
		total = (uint64_t)sb.st_size;
	fp = pcap_file(pc);
	while ((r = pcap_next_ex(pc, &hdr, &data)) == 1) {
		ts = (mtime_t)hdr->ts.tv_sec * 1000 +
		    (mtime_t)(hdr->ts.tv_usec / 1000);
		if ((rc = meter_packet(m, data, hdr->caplen, link, ts, sink,
		    st)) != 0)
			goto out;
		if (sink->progress != NULL && fp != NULL &&
		    (st->packets & 1023) == 0 && (off = ftell(fp)) > 0 &&
		    (uint64_t)off >= next_prog) {
			sink->progress(sink->arg, (uint64_t)off, total);
			next_prog = (uint64_t)off + (1u << 20);
		}
	}
	if (r == -1)
		rc = mm_diag_set(diag, MM_EIO, "%s: %s (after %llu packets)",
		    path, pcap_geterr(pc), (unsigned long long)st->packets);
 out:
	pcap_close(pc);
	return rc;
}
