/*
 * export.c - NetFlow v5 / v9 / IPFIX encoder (see export.h).
 *
 * Approach: one datagram buffer of `mtu` bytes per exporter, written through
 * the bounds-checked wbuf (explicit big-endian byte stores, no structs on
 * the wire; a fixed-size record is bounds-checked once, by wbuf_reserve(),
 * then filled field by field).
 * A datagram is opened lazily by the first record that needs it. v5 writes
 * a header placeholder and then its fixed 48-byte records in place. v9 and
 * IPFIX stage records in two per-family buffers (IPv4 template 256, IPv6
 * template 257) so that a datagram holds at most two data sets whatever
 * the order of families; whether the template set rides along is decided
 * when the datagram opens (first datagram, then every tmpl_every_pkts
 * datagrams or tmpl_every_ms of export time). When the next record would
 * push header + template set + data sets past the mtu, the datagram is
 * finished: header, templates and sets are assembled into the buffer (v9
 * sets padded to 4 bytes as RFC 3954 section 5.3 recommends; IPFIX sets
 * unpadded), the count/length, times and sequence number are filled in,
 * and the bytes go to the caller's emit callback.
 *
 * Times. v5 and v9 records carry first/last as sysUptime milliseconds; the
 * exporter picks a boot time (conf.boot, default one day before the first
 * `now`) so record times are exact in ms: the v9 header has whole seconds
 * only, so its sysUptime is computed for now truncated to the second, which
 * makes unix_secs*1000 - sysUptime == boot exactly. The boot time is moved
 * forward when sysUptime would come near 2^32 ms (49.7 days). IPFIX uses
 * flowStartMilliseconds/flowEndMilliseconds (IEs 152/153), absolute.
 *
 * Sampling: with conf.sampling_fields both templates end with the sampling
 * fields (v9 34; IPFIX 305 and 306), filled per record from f->sampling, so
 * a collector learns the rate without an options template.
 *
 * Cost: O(fields) byte writes per record plus one copy per datagram; O(1)
 * memory (three mtu buffers); no allocation after exporter_new().
 */
#include <stdlib.h>
#include <string.h>

#include "core/addr.h"
#include "core/err.h"
#include "flow/export.h"
#include "flow/wbuf.h"

#define V5_HDRLEN	24
#define V5_RECLEN	48
#define V9_HDRLEN	20
#define IPFIX_HDRLEN	16
#define SET_HDRLEN	4
#define V9_TMPL_SETID	0
#define IPFIX_TMPL_SETID 2
#define AS_TRANS	23456
#define DAY_MS		(86400 * 1000LL)
#define UPTIME_REBASE	0xE0000000LL

/* What one template field is filled from. */
enum ef {
	EF_SRC4, EF_DST4, EF_NH4, EF_SRC6, EF_DST6, EF_NH6,
	EF_SPORT, EF_DPORT, EF_PROTO, EF_TOS, EF_FLAGS, EF_SMASK, EF_DMASK,
	EF_INIF, EF_OUTIF, EF_SRCAS, EF_DSTAS, EF_BYTES, EF_PKTS,
	EF_FIRST, EF_LAST, EF_VLAN, EF_DIR, EF_ICMP, EF_SAMP, EF_SPACE
};

struct efield {
	uint16_t	ie;		/* IPFIX IE; v9 type unless noted */
	uint16_t	ie_v9;
	uint8_t		len;		/* IPFIX length */
	uint8_t		len_v9;
	uint8_t		kind;		/* enum ef */
};

/*
 * IPFIX IEs (RFC 7012 registry) and their v9 counterparts (RFC 3954 sec. 8).
 * Differences: tcpControlBits is 2 bytes in IPFIX (RFC 7125), 1 in v9; times
 * are 152/153 (ms since epoch) in IPFIX and 22/21 (sysUptime) in v9.
 */
static const struct efield tmpl4[] = {
	{ 8, 8, 4, 4, EF_SRC4 },	/* sourceIPv4Address */
	{ 12, 12, 4, 4, EF_DST4 },	/* destinationIPv4Address */
	{ 15, 15, 4, 4, EF_NH4 },	/* ipNextHopIPv4Address */
	{ 7, 7, 2, 2, EF_SPORT },	/* sourceTransportPort */
	{ 11, 11, 2, 2, EF_DPORT },	/* destinationTransportPort */
	{ 4, 4, 1, 1, EF_PROTO },	/* protocolIdentifier */
	{ 5, 5, 1, 1, EF_TOS },		/* ipClassOfService */
	{ 6, 6, 2, 1, EF_FLAGS },	/* tcpControlBits */
	{ 9, 9, 1, 1, EF_SMASK },	/* sourceIPv4PrefixLength */
	{ 13, 13, 1, 1, EF_DMASK },	/* destinationIPv4PrefixLength */
	{ 10, 10, 4, 4, EF_INIF },	/* ingressInterface */
	{ 14, 14, 4, 4, EF_OUTIF },	/* egressInterface */
	{ 16, 16, 4, 4, EF_SRCAS },	/* bgpSourceAsNumber */
	{ 17, 17, 4, 4, EF_DSTAS },	/* bgpDestinationAsNumber */
	{ 1, 1, 8, 8, EF_BYTES },	/* octetDeltaCount */
	{ 2, 2, 8, 8, EF_PKTS },	/* packetDeltaCount */
	{ 152, 22, 8, 4, EF_FIRST },	/* flowStartMilliseconds/FIRST_SW */
	{ 153, 21, 8, 4, EF_LAST },	/* flowEndMilliseconds/LAST_SW */
	{ 58, 58, 2, 2, EF_VLAN },	/* vlanId */
	{ 61, 61, 1, 1, EF_DIR },	/* flowDirection */
	{ 32, 32, 2, 2, EF_ICMP }	/* icmpTypeCodeIPv4 */
};

static const struct efield tmpl6[] = {
	{ 27, 27, 16, 16, EF_SRC6 },	/* sourceIPv6Address */
	{ 28, 28, 16, 16, EF_DST6 },	/* destinationIPv6Address */
	{ 62, 62, 16, 16, EF_NH6 },	/* ipNextHopIPv6Address */
	{ 7, 7, 2, 2, EF_SPORT },
	{ 11, 11, 2, 2, EF_DPORT },
	{ 4, 4, 1, 1, EF_PROTO },
	{ 5, 5, 1, 1, EF_TOS },
	{ 6, 6, 2, 1, EF_FLAGS },
	{ 29, 29, 1, 1, EF_SMASK },	/* sourceIPv6PrefixLength */
	{ 30, 30, 1, 1, EF_DMASK },	/* destinationIPv6PrefixLength */
	{ 10, 10, 4, 4, EF_INIF },
	{ 14, 14, 4, 4, EF_OUTIF },
	{ 16, 16, 4, 4, EF_SRCAS },
	{ 17, 17, 4, 4, EF_DSTAS },
	{ 1, 1, 8, 8, EF_BYTES },
	{ 2, 2, 8, 8, EF_PKTS },
	{ 152, 22, 8, 4, EF_FIRST },
	{ 153, 21, 8, 4, EF_LAST },
	{ 58, 58, 2, 2, EF_VLAN },
	{ 61, 61, 1, 1, EF_DIR },
	{ 139, 139, 2, 2, EF_ICMP }	/* icmpTypeCodeIPv6 */
};

#define NTMPL4	(sizeof(tmpl4) / sizeof(tmpl4[0]))
#define NTMPL6	(sizeof(tmpl6) / sizeof(tmpl6[0]))
#define NTMPL_MAX	(NTMPL6 + 2)

/* Appended with conf.sampling_fields (IPFIX: both; v9: the first). */
static const struct efield samp_ipfix[] = {
	{ 305, 305, 4, 4, EF_SAMP },	/* samplingPacketInterval = 1 */
	{ 306, 306, 4, 4, EF_SPACE }	/* samplingPacketSpace = N - 1 */
};
static const struct efield samp_v9 = { 34, 34, 4, 4, EF_SAMP };

struct flow_exporter {
	enum export_format	 fmt;
	struct export_conf	 conf;
	uint8_t			*buf;		/* conf.mtu bytes */
	struct wbuf		 w;		/* over buf (v5: records too) */
	uint8_t			*stage[2];	/* v9/IPFIX: v4, v6 records */
	struct wbuf		 sw[2];
	int			 open;		/* a datagram is being built */
	int			 with_tmpl;	/* it carries the templates */
	size_t			 base;		/* header + template set bytes */
	unsigned		 nrec;		/* data records in it */
	mtime_t			 boot;
	int			 have_boot;
	uint64_t		 seq;		/* per-format sequence base */
	unsigned		 since_tmpl;	/* datagrams since templates */
	mtime_t			 tmpl_at;
	int			 tmpl_ever;
	size_t			 reclen4, reclen6;
	struct efield		 t4[NTMPL_MAX], t6[NTMPL_MAX];
	size_t			 n4, n6;
	size_t			 tmplset_len;
	struct export_counters	 c;
};

static size_t
tmpl_reclen(const struct efield *t, size_t n, int v9)
{
	size_t i, len = 0;

	for (i = 0; i < n; i++)
		len += v9 ? t[i].len_v9 : t[i].len;
	return len;
}

struct flow_exporter *
exporter_new(enum export_format fmt, const struct export_conf *conf)
{
	struct flow_exporter *e;

	if (fmt != EXPORT_NFV5 && fmt != EXPORT_NFV9 && fmt != EXPORT_IPFIX)
		return NULL;
	if ((e = calloc(1, sizeof(*e))) == NULL)
		return NULL;
	e->fmt = fmt;
	if (conf != NULL)
		e->conf = *conf;
	if (e->conf.mtu == 0)
		e->conf.mtu = EXPORT_DEF_MTU;
	if (e->conf.tmpl_every_pkts == 0)
		e->conf.tmpl_every_pkts = EXPORT_DEF_TMPL_PKTS;
	if (e->conf.tmpl_every_ms == 0)
		e->conf.tmpl_every_ms = EXPORT_DEF_TMPL_MS;
	if (e->conf.mtu < EXPORT_MIN_MTU || e->conf.mtu > EXPORT_MAX_MTU) {
		free(e);
		return NULL;
	}
	if ((e->buf = malloc(e->conf.mtu)) == NULL ||
	    (e->stage[0] = malloc(e->conf.mtu)) == NULL ||
	    (e->stage[1] = malloc(e->conf.mtu)) == NULL) {
		exporter_free(e);
		return NULL;
	}
	if (e->conf.boot != 0) {
		e->boot = e->conf.boot;
		e->have_boot = 1;
	}
	memcpy(e->t4, tmpl4, sizeof(tmpl4));
	memcpy(e->t6, tmpl6, sizeof(tmpl6));
	e->n4 = NTMPL4;
	e->n6 = NTMPL6;
	if (e->conf.sampling_fields && fmt == EXPORT_NFV9) {
		e->t4[e->n4++] = samp_v9;
		e->t6[e->n6++] = samp_v9;
	} else if (e->conf.sampling_fields && fmt == EXPORT_IPFIX) {
		memcpy(e->t4 + e->n4, samp_ipfix, sizeof(samp_ipfix));
		memcpy(e->t6 + e->n6, samp_ipfix, sizeof(samp_ipfix));
		e->n4 += 2;
		e->n6 += 2;
	}
	e->tmplset_len = SET_HDRLEN + 4 + 4 * e->n4 + 4 + 4 * e->n6;
	e->reclen4 = tmpl_reclen(e->t4, e->n4, fmt == EXPORT_NFV9);
	e->reclen6 = tmpl_reclen(e->t6, e->n6, fmt == EXPORT_NFV9);
	return e;
}

void
exporter_free(struct flow_exporter *e)
{
	if (e == NULL)
		return;
	free(e->buf);
	free(e->stage[0]);
	free(e->stage[1]);
	free(e);
}

void
exporter_counters(const struct flow_exporter *e, struct export_counters *out)
{
	*out = e->c;
}

static void
tmpl_put(struct wbuf *w, int v9, uint16_t id, const struct efield *t,
    size_t n)
{
	size_t i;

	put_u16(w, id);
	put_u16(w, (uint16_t)n);
	for (i = 0; i < n; i++) {
		put_u16(w, v9 ? t[i].ie_v9 : t[i].ie);
		put_u16(w, v9 ? t[i].len_v9 : t[i].len);
	}
}

/* Bytes of the template set (e->tmplset_len): set header, two template
 * headers, fields. */

static int
tmpl_due(const struct flow_exporter *e, mtime_t now)
{
	if (!e->tmpl_ever)
		return 1;
	if (e->since_tmpl >= e->conf.tmpl_every_pkts)
		return 1;
	if (e->conf.tmpl_every_ms > 0 && now - e->tmpl_at >= e->conf.tmpl_every_ms)
		return 1;
	return 0;
}

/* Opens a datagram. v5 writes a header placeholder then records straight
 * into buf; v9/IPFIX stage records per family and decide on templates. */
static void
dgram_begin(struct flow_exporter *e, mtime_t now)
{
	e->open = 1;
	e->nrec = 0;
	if (!e->have_boot) {
		e->boot = now - DAY_MS;
		e->have_boot = 1;
	} else if (now - e->boot > UPTIME_REBASE)
		e->boot = now - DAY_MS;
	wbuf_init(&e->w, e->buf, e->conf.mtu);
	if (e->fmt == EXPORT_NFV5) {
		put_zero(&e->w, V5_HDRLEN);
		return;
	}
	wbuf_init(&e->sw[0], e->stage[0], e->conf.mtu);
	wbuf_init(&e->sw[1], e->stage[1], e->conf.mtu);
	e->base = e->fmt == EXPORT_NFV9 ? V9_HDRLEN : IPFIX_HDRLEN;
	e->with_tmpl = tmpl_due(e, now);
	if (e->with_tmpl) {
		e->base += e->tmplset_len;
		e->since_tmpl = 0;
		e->tmpl_at = now;
		e->tmpl_ever = 1;
	}
}

/* Bytes a data set of `len` record bytes takes (none when empty). */
static size_t
set_size(const struct flow_exporter *e, size_t len)
{
	if (len == 0)
		return 0;
	len += SET_HDRLEN;
	if (e->fmt == EXPORT_NFV9)
		len = (len + 3) & ~(size_t)3;
	return len;
}

/* Appends the staged records of one family as a data set. */
static void
set_put(struct flow_exporter *e, uint16_t tid, const struct wbuf *st)
{
	size_t sz = set_size(e, st->len);

	if (sz == 0)
		return;
	put_u16(&e->w, tid);
	put_u16(&e->w, (uint16_t)sz);
	put_bytes(&e->w, st->p, st->len);
	put_zero(&e->w, sz - SET_HDRLEN - st->len);
}

static uint32_t
uptime_of(const struct flow_exporter *e, mtime_t t)
{
	mtime_t u = t - e->boot;

	if (u < 0)
		return 0;
	if (u > (mtime_t)UINT32_MAX)
		return UINT32_MAX;
	return (uint32_t)u;
}

/* Finishes the open datagram and emits it. */
static int
dgram_finish(struct flow_exporter *e, mtime_t now, export_emit_fn emit,
    void *arg)
{
	mtime_t secs = now / 1000;
	uint32_t sys;
	int rc;

	if (!e->open)
		return 0;
	if (e->fmt != EXPORT_NFV5) {
		put_zero(&e->w, e->fmt == EXPORT_NFV9 ? V9_HDRLEN :
		    IPFIX_HDRLEN);
		if (e->with_tmpl) {
			put_u16(&e->w, e->fmt == EXPORT_NFV9 ? V9_TMPL_SETID :
			    IPFIX_TMPL_SETID);
			put_u16(&e->w, (uint16_t)e->tmplset_len);
			tmpl_put(&e->w, e->fmt == EXPORT_NFV9, EXPORT_TMPL_V4,
			    e->t4, e->n4);
			tmpl_put(&e->w, e->fmt == EXPORT_NFV9, EXPORT_TMPL_V6,
			    e->t6, e->n6);
			e->c.templates++;
		}
		set_put(e, EXPORT_TMPL_V4, &e->sw[0]);
		set_put(e, EXPORT_TMPL_V6, &e->sw[1]);
	}
	switch (e->fmt) {
	case EXPORT_NFV5:
		put_u16_at(&e->w, 0, 5);
		put_u16_at(&e->w, 2, (uint16_t)e->nrec);
		put_u32_at(&e->w, 4, uptime_of(e, now));
		put_u32_at(&e->w, 8, (uint32_t)secs);
		put_u32_at(&e->w, 12, (uint32_t)((now - secs * 1000) * 1000000));
		put_u32_at(&e->w, 16, (uint32_t)e->seq);
		e->w.p[20] = e->conf.engine_type;
		e->w.p[21] = e->conf.engine_id;
		put_u16_at(&e->w, 22, e->conf.sampling);
		e->seq += e->nrec;
		break;
	case EXPORT_NFV9:
		/* whole seconds so that secs*1000 - sysUptime == boot */
		sys = uptime_of(e, secs * 1000);
		put_u16_at(&e->w, 0, 9);
		put_u16_at(&e->w, 2,
		    (uint16_t)(e->nrec + (e->with_tmpl ? 2 : 0)));
		put_u32_at(&e->w, 4, sys);
		put_u32_at(&e->w, 8, (uint32_t)secs);
		put_u32_at(&e->w, 12, (uint32_t)e->seq);
		put_u32_at(&e->w, 16, e->conf.domain);
		e->seq++;
		break;
	case EXPORT_IPFIX:
		put_u16_at(&e->w, 0, 10);
		put_u16_at(&e->w, 2, (uint16_t)e->w.len);
		put_u32_at(&e->w, 4, (uint32_t)secs);
		put_u32_at(&e->w, 8, (uint32_t)e->seq);
		put_u32_at(&e->w, 12, e->conf.domain);
		e->seq += e->nrec;
		break;
	}
	e->open = 0;
	e->since_tmpl++;
	e->c.datagrams++;
	e->c.octets += e->w.len;
	rc = emit != NULL ? emit(arg, e->buf, e->w.len, now) : 0;
	return rc;
}

static uint16_t
sat16(uint32_t v, int *clamped)
{
	if (v > 0xffff) {
		*clamped = 1;
		return 0xffff;
	}
	return (uint16_t)v;
}

static uint32_t
sat32(uint64_t v, int *clamped)
{
	if (v > UINT32_MAX) {
		*clamped = 1;
		return UINT32_MAX;
	}
	return (uint32_t)v;
}

static uint16_t
as16(uint32_t as, int *clamped)
{
	if (as > 0xffff) {
		*clamped = 1;
		return AS_TRANS;
	}
	return (uint16_t)as;
}

/* Stores into a reserved record, big-endian, advancing *p. */
static void
st8(uint8_t **p, uint8_t v)
{
	*(*p)++ = v;
}

static void
st16(uint8_t **p, uint16_t v)
{
	(*p)[0] = (uint8_t)(v >> 8);
	(*p)[1] = (uint8_t)v;
	*p += 2;
}

static void
st32(uint8_t **p, uint32_t v)
{
	(*p)[0] = (uint8_t)(v >> 24);
	(*p)[1] = (uint8_t)(v >> 16);
	(*p)[2] = (uint8_t)(v >> 8);
	(*p)[3] = (uint8_t)v;
	*p += 4;
}

static void
st64(uint8_t **p, uint64_t v)
{
	st32(p, (uint32_t)(v >> 32));
	st32(p, (uint32_t)v);
}

static void
stbytes(uint8_t **p, const uint8_t *b, size_t n)
{
	memcpy(*p, b, n);
	*p += n;
}

static void
v5_put(struct flow_exporter *e, const struct flow *f)
{
	uint8_t *p;
	int cl = 0;

	if ((p = wbuf_reserve(&e->w, V5_RECLEN)) == NULL)
		return;		/* cannot happen: room checked by caller */
	st32(&p, addr_v4(&f->src));
	st32(&p, addr_v4(&f->dst));
	st32(&p, addr_is_v4(&f->nexthop) ? addr_v4(&f->nexthop) : 0);
	st16(&p, sat16(f->in_if, &cl));
	st16(&p, sat16(f->out_if, &cl));
	st32(&p, sat32(f->packets, &cl));
	st32(&p, sat32(f->bytes, &cl));
	st32(&p, uptime_of(e, f->first));
	st32(&p, uptime_of(e, f->last));
	st16(&p, f->src_port);
	st16(&p, f->dst_port);
	st8(&p, 0);
	st8(&p, f->tcp_flags);
	st8(&p, f->proto);
	st8(&p, f->tos);
	st16(&p, as16(f->src_as, &cl));
	st16(&p, as16(f->dst_as, &cl));
	st8(&p, f->src_mask > 32 ? 32 : f->src_mask);
	st8(&p, f->dst_mask > 32 ? 32 : f->dst_mask);
	st16(&p, 0);
	if (cl)
		e->c.clamped++;
}

static uint8_t
dir_ie61(uint8_t d)
{
	switch (d) {
	case FLOW_DIR_INGRESS:
		return 0;
	case FLOW_DIR_EGRESS:
		return 1;
	default:
		return 0xff;	/* not a registered value: "unknown" */
	}
}

static void
rec_put(struct flow_exporter *e, struct wbuf *w, const struct flow *f,
    const struct efield *t, size_t n, size_t reclen)
{
	static const uint8_t zero16[16];
	int v9 = e->fmt == EXPORT_NFV9;
	uint8_t *p;
	size_t i;

	if ((p = wbuf_reserve(w, reclen)) == NULL)
		return;		/* cannot happen: stage is mtu bytes */
	for (i = 0; i < n; i++) {
		switch (t[i].kind) {
		case EF_SRC4:
			st32(&p, addr_v4(&f->src));
			break;
		case EF_DST4:
			st32(&p, addr_v4(&f->dst));
			break;
		case EF_NH4:
			st32(&p, addr_is_v4(&f->nexthop) ?
			    addr_v4(&f->nexthop) : 0);
			break;
		case EF_SRC6:
			stbytes(&p, f->src.b, 16);
			break;
		case EF_DST6:
			stbytes(&p, f->dst.b, 16);
			break;
		case EF_NH6:
			stbytes(&p, addr_is_v4(&f->nexthop) ? zero16 :
			    f->nexthop.b, 16);
			break;
		case EF_SPORT:
			st16(&p, f->src_port);
			break;
		case EF_DPORT:
			st16(&p, f->dst_port);
			break;
		case EF_PROTO:
			st8(&p, f->proto);
			break;
		case EF_TOS:
			st8(&p, f->tos);
			break;
		case EF_FLAGS:
			if ((v9 ? t[i].len_v9 : t[i].len) == 2)
				st16(&p, f->tcp_flags);
			else
				st8(&p, f->tcp_flags);
			break;
		case EF_SMASK:
			st8(&p, f->src_mask);
			break;
		case EF_DMASK:
			st8(&p, f->dst_mask);
			break;
		case EF_INIF:
			st32(&p, f->in_if);
			break;
		case EF_OUTIF:
			st32(&p, f->out_if);
			break;
		case EF_SRCAS:
			st32(&p, f->src_as);
			break;
		case EF_DSTAS:
			st32(&p, f->dst_as);
			break;
		case EF_BYTES:
			st64(&p, f->bytes);
			break;
		case EF_PKTS:
			st64(&p, f->packets);
			break;
		case EF_FIRST:
			if (v9)
				st32(&p, uptime_of(e, f->first));
			else
				st64(&p, (uint64_t)f->first);
			break;
		case EF_LAST:
			if (v9)
				st32(&p, uptime_of(e, f->last));
			else
				st64(&p, (uint64_t)f->last);
			break;
		case EF_VLAN:
			st16(&p, f->vlan);
			break;
		case EF_DIR:
			st8(&p, dir_ie61(f->direction));
			break;
		case EF_ICMP:
			st16(&p, (f->proto == 1 || f->proto == 58) ?
			    f->dst_port : 0);
			break;
		case EF_SAMP:
			st32(&p, v9 && f->sampling > 1 ? f->sampling : 1);
			break;
		case EF_SPACE:
			st32(&p, f->sampling > 1 ? f->sampling - 1 : 0);
			break;
		}
	}
}

int
exporter_add(struct flow_exporter *e, const struct flow *f, mtime_t now,
    export_emit_fn emit, void *arg)
{
	int v4 = addr_is_v4(&f->src) && addr_is_v4(&f->dst);
	size_t need, reclen;
	int rc = 0;

	if (e->fmt == EXPORT_NFV5) {
		if (!v4) {
			e->c.skipped++;
			return MM_EUNSUP;
		}
		if (e->open && (e->nrec >= EXPORT_V5_MAXREC ||
		    wbuf_left(&e->w) < V5_RECLEN))
			rc = dgram_finish(e, now, emit, arg);
		if (!e->open)
			dgram_begin(e, now);
		v5_put(e, f);
		goto out;
	}

	reclen = v4 ? e->reclen4 : e->reclen6;
	if (e->open) {
		need = e->base +
		    set_size(e, e->sw[0].len + (v4 ? reclen : 0)) +
		    set_size(e, e->sw[1].len + (v4 ? 0 : reclen));
		if (need > e->conf.mtu)
			rc = dgram_finish(e, now, emit, arg);
	}
	if (!e->open)
		dgram_begin(e, now);
	rec_put(e, &e->sw[v4 ? 0 : 1], f, v4 ? e->t4 : e->t6,
	    v4 ? e->n4 : e->n6, reclen);
out:
	e->nrec++;
	e->c.flows++;
	e->c.packets += f->packets;
	e->c.bytes += f->bytes;
	return rc;
}

int
exporter_flush(struct flow_exporter *e, mtime_t now, export_emit_fn emit,
    void *arg)
{
	return dgram_finish(e, now, emit, arg);
}

int
export_format_parse(const char *s, enum export_format *fmt)
{
	if (strcmp(s, "v5") == 0 || strcmp(s, "5") == 0)
		*fmt = EXPORT_NFV5;
	else if (strcmp(s, "v9") == 0 || strcmp(s, "9") == 0)
		*fmt = EXPORT_NFV9;
	else if (strcmp(s, "ipfix") == 0 || strcmp(s, "10") == 0)
		*fmt = EXPORT_IPFIX;
	else
		return -1;
	return 0;
}

const char *
export_format_name(enum export_format fmt)
{
	switch (fmt) {
	case EXPORT_NFV5:
		return "v5";
	case EXPORT_NFV9:
		return "v9";
	case EXPORT_IPFIX:
		return "ipfix";
	}
	return "?";
}
