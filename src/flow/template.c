/*
 * template.c - the template engine shared by NetFlow v9 (RFC 3954) and
 * IPFIX (RFC 7011): template cache, compilation, data and options records.
 *
 * A template arriving on the wire is compiled into an array of ops (one per
 * field we keep, plus merged skips for runs of fields we do not): the op
 * says how many bytes to read and which flow field they become. Field
 * lengths that do not suit the element (an address that is not 4/16 bytes,
 * a counter of more than 8) turn the field into a skip, so a hostile
 * template can never make us misread. Enterprise elements (bit 15) and
 * unknown elements are skipped. Decoding a record is a single pass over the
 * ops through a bounds-checked sub-cursor, filling a stack scratch (struct
 * rec) that is then normalised into a struct flow: no allocation per record.
 *
 * Templates are cached per exporter, keyed by (domain, template id), in a
 * small chained hash; each exporter may hold conf.max_templates templates
 * and EXP_MAX_OPS ops in total. A template not refreshed for
 * conf.template_ttl is dropped when next looked up. Options records
 * update the exporter's sampling table: (domain, sampler/selector id) ->
 * 1-in-N rate, at most EXP_MAX_SAMPLERS entries, and the domain's
 * systemInitTimeMilliseconds that anchors flowStart/EndSysUpTime.
 */
#include <stdlib.h>
#include <string.h>

#include "core/addr.h"
#include "flow/decode_int.h"
#include "flow/packet.h"

#define NTP_UNIX_OFFSET	2208988800ULL
#define TIME_MAX	253402300799999LL	/* 9999-12-31T23:59:59.999Z */

/* Wire times are clamped to [0, TIME_MAX] so that later sums and
 * differences of them cannot overflow. */
static mtime_t
time_clamp(uint64_t v)
{
	return v > (uint64_t)TIME_MAX ? TIME_MAX : (mtime_t)v;
}

/* Element -> kind for an element of `len` bytes; FK_SKIP when unsuited. */
static uint8_t
ie_kind(uint16_t ie, uint32_t len)
{
	int num = len >= 1 && len <= 8;
	int n4 = len >= 1 && len <= 4;
	int n2 = len >= 1 && len <= 2;

	switch (ie) {
	case 1:   return num ? FK_BYTES : FK_SKIP;
	case 2:   return num ? FK_PKTS : FK_SKIP;
	case 85:  return num ? FK_BYTES_TOT : FK_SKIP;
	case 86:  return num ? FK_PKTS_TOT : FK_SKIP;
	case 4:   return len == 1 ? FK_PROTO : FK_SKIP;
	case 5:   return len == 1 ? FK_TOS : FK_SKIP;
	case 6:   return n2 ? FK_TCPFLAGS : FK_SKIP;
	case 7:   return n2 ? FK_SRCPORT : FK_SKIP;
	case 11:  return n2 ? FK_DSTPORT : FK_SKIP;
	case 8:   return len == 4 ? FK_SRC4 : FK_SKIP;
	case 12:  return len == 4 ? FK_DST4 : FK_SKIP;
	case 15:  return len == 4 ? FK_NH4 : FK_SKIP;
	case 18:  return len == 4 ? FK_BGPNH4 : FK_SKIP;
	case 27:  return len == 16 ? FK_SRC6 : FK_SKIP;
	case 28:  return len == 16 ? FK_DST6 : FK_SKIP;
	case 62:  return len == 16 ? FK_NH6 : FK_SKIP;
	case 63:  return len == 16 ? FK_BGPNH6 : FK_SKIP;
	case 9:
	case 29:  return len == 1 ? FK_SRCMASK : FK_SKIP;
	case 13:
	case 30:  return len == 1 ? FK_DSTMASK : FK_SKIP;
	case 10:  return n4 ? FK_INIF : FK_SKIP;
	case 14:  return n4 ? FK_OUTIF : FK_SKIP;
	case 252: return n4 ? FK_PHYS_IN : FK_SKIP;
	case 253: return n4 ? FK_PHYS_OUT : FK_SKIP;
	case 16:  return n4 ? FK_SRCAS : FK_SKIP;
	case 17:  return n4 ? FK_DSTAS : FK_SKIP;
	case 61:  return len == 1 ? FK_DIRECTION : FK_SKIP;
	case 58:
	case 243: return n2 ? FK_VLAN : FK_SKIP;
	case 32:
	case 139: return n2 ? FK_ICMP_TC : FK_SKIP;
	case 176:
	case 178: return len == 1 ? FK_ICMP_TYPE : FK_SKIP;
	case 177:
	case 179: return len == 1 ? FK_ICMP_CODE : FK_SKIP;
	case 22:  return n4 ? FK_FIRST_UP : FK_SKIP;
	case 21:  return n4 ? FK_LAST_UP : FK_SKIP;
	case 150: return n4 ? FK_FIRST_S : FK_SKIP;
	case 151: return n4 ? FK_LAST_S : FK_SKIP;
	case 152: return num ? FK_FIRST_MS : FK_SKIP;
	case 153: return num ? FK_LAST_MS : FK_SKIP;
	case 154:
	case 156: return len == 8 ? FK_FIRST_NTP : FK_SKIP;
	case 155:
	case 157: return len == 8 ? FK_LAST_NTP : FK_SKIP;
	case 158: return n4 ? FK_FIRST_DUS : FK_SKIP;
	case 159: return n4 ? FK_LAST_DUS : FK_SKIP;
	case 160: return num ? FK_SYSINIT : FK_SKIP;
	case 34:
	case 50:
	case 305: return n4 ? FK_SAMP_INTERVAL : FK_SKIP;
	case 306: return n4 ? FK_SAMP_PKT_SPACE : FK_SKIP;
	case 48:
	case 302: return num ? FK_SAMPLER_ID : FK_SKIP;
	case 323: return num ? FK_FIRST_MS : FK_SKIP;
	case 312: return num ? FK_DLSIZE : FK_SKIP;
	case 315: return len > 0 ? FK_DLFRAME : FK_SKIP;
	default:  return FK_SKIP;
	}
}

static size_t
tmpl_bucket(uint32_t domain, uint16_t id)
{
	return ((domain * 2654435761U) ^ id) & (EXP_TMPL_BUCKETS - 1);
}

static void
tmpl_unlink(struct exporter *e, struct tmpl *t)
{
	struct tmpl **pp = &e->tmpl[tmpl_bucket(t->domain, t->id)];

	for (; *pp != NULL; pp = &(*pp)->next) {
		if (*pp == t) {
			*pp = t->next;
			e->ntmpl--;
			e->nops -= t->nops;
			free(t);
			return;
		}
	}
}

void
tmpl_free_all(struct exporter *e)
{
	struct tmpl *t, *next;
	size_t i;

	for (i = 0; i < EXP_TMPL_BUCKETS; i++) {
		for (t = e->tmpl[i]; t != NULL; t = next) {
			next = t->next;
			free(t);
		}
		e->tmpl[i] = NULL;
	}
	e->ntmpl = 0;
	e->nops = 0;
}

static struct tmpl *
tmpl_lookup(struct exporter *e, uint32_t domain, uint16_t id)
{
	struct tmpl *t;

	for (t = e->tmpl[tmpl_bucket(domain, id)]; t != NULL; t = t->next)
		if (t->id == id && t->domain == domain)
			return t;
	return NULL;
}

/* Returns the live template `id` of the datagram's domain, or NULL. */
struct tmpl *
tmpl_find(struct dgram *dg, uint16_t id)
{
	struct tmpl *t = tmpl_lookup(dg->exp, dg->domain, id);

	if (t != NULL && dg->now - t->updated > dg->dec->conf.template_ttl) {
		tmpl_unlink(dg->exp, t);
		return NULL;
	}
	return t;
}

/*
 * Compiles and caches a template of `n` fields: ies[i] (with bit 15 set for
 * enterprise elements) of lens[i] bytes (65535 = variable, IPFIX only).
 * `options` is 0 for data, 1 for a v9 options template (the first `nscope`
 * fields are in the v9 scope namespace and skipped), 2 for IPFIX options.
 * Returns 0, MM_EFORMAT, MM_ELIMIT or MM_ENOMEM (with diag set by caller).
 */
int
tmpl_add(struct dgram *dg, uint16_t id, int options, const uint16_t *ies,
    const uint16_t *lens, size_t n, size_t nscope)
{
	struct exporter *e = dg->exp;
	struct tmpl *t, *old;
	struct tmpl_op op;
	size_t i, nops = 0;
	uint64_t minlen = 0, off = 0;
	uint8_t kind;
	int varok = dg->version == DECODE_IPFIX, fixed = 1;

	if (n == 0 || n > TMPL_MAX_FIELDS)
		return MM_EFORMAT;
	old = tmpl_lookup(e, dg->domain, id);
	if (old == NULL && e->ntmpl >= dg->dec->conf.max_templates)
		return MM_ELIMIT;
	if (e->nops - (old ? old->nops : 0) + n > EXP_MAX_OPS)
		return MM_ELIMIT;
	t = malloc(sizeof(*t) + n * sizeof(t->ops[0]));
	if (t == NULL)
		return MM_ENOMEM;
	for (i = 0; i < n; i++) {
		op.len = lens[i];
		op.off = (uint32_t)off;
		if (varok && lens[i] == 65535) {
			op.len = OP_VARLEN;
			minlen += 1;
			fixed = 0;
		} else {
			minlen += lens[i];
			off += lens[i];
		}
		if ((ies[i] & 0x8000) || (options == 1 && i < nscope))
			kind = FK_SKIP;
		else
			kind = ie_kind(ies[i], op.len);
		op.kind = kind;
		if (op.len == 0)
			continue;
		if (kind == FK_SKIP && op.len != OP_VARLEN && nops > 0 &&
		    t->ops[nops - 1].kind == FK_SKIP &&
		    t->ops[nops - 1].len != OP_VARLEN) {
			t->ops[nops - 1].len += op.len;
			continue;
		}
		t->ops[nops++] = op;
	}
	if (minlen == 0 || minlen > TMPL_MAX_RECLEN) {
		free(t);
		return MM_EFORMAT;
	}
	t->domain = dg->domain;
	t->id = id;
	t->nfields = (uint16_t)n;
	t->options = options != 0;
	t->minlen = (uint32_t)minlen;
	t->fixed = fixed && minlen <= TMPL_FAST_MAX;
	t->updated = dg->now;
	t->nops = nops;
	if (old != NULL)
		tmpl_unlink(e, old);
	t->next = e->tmpl[tmpl_bucket(t->domain, id)];
	e->tmpl[tmpl_bucket(t->domain, id)] = t;
	e->ntmpl++;
	e->nops += nops;
	return 0;
}

/*
 * IPFIX withdrawal (RFC 7011 §8.1): template `id` of the domain, or, with
 * id 2 or 3, all data or all options templates of the domain.
 */
void
tmpl_withdraw(struct dgram *dg, uint16_t id, int options)
{
	struct exporter *e = dg->exp;
	struct tmpl *t, *next;
	size_t i;

	if (id >= 256) {
		if ((t = tmpl_lookup(e, dg->domain, id)) != NULL)
			tmpl_unlink(e, t);
		return;
	}
	for (i = 0; i < EXP_TMPL_BUCKETS; i++) {
		for (t = e->tmpl[i]; t != NULL; t = next) {
			next = t->next;
			if (t->domain == dg->domain && t->options == options)
				tmpl_unlink(e, t);
		}
	}
}

static int
zero(const uint8_t *a, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (a[i] != 0)
			return 0;
	return 1;
}

/* Stores one decoded field: `v` for numbers, `a` for addresses. */
static inline void
rec_set(struct rec *r, uint8_t kind, uint64_t v, const uint8_t *a)
{
	switch (kind) {
	case FK_SRC4:
		addr_from_v4(&r->f.src, (uint32_t)a[0] << 24 |
		    (uint32_t)a[1] << 16 | (uint32_t)a[2] << 8 | a[3]);
		break;
	case FK_DST4:
		addr_from_v4(&r->f.dst, (uint32_t)a[0] << 24 |
		    (uint32_t)a[1] << 16 | (uint32_t)a[2] << 8 | a[3]);
		break;
	case FK_NH4:
		addr_from_v4(&r->f.nexthop, (uint32_t)a[0] << 24 |
		    (uint32_t)a[1] << 16 | (uint32_t)a[2] << 8 | a[3]);
		r->have |= REC_HAVE_NH;
		break;
	case FK_BGPNH4:
		addr_from_v4(&r->bgp_nh, (uint32_t)a[0] << 24 |
		    (uint32_t)a[1] << 16 | (uint32_t)a[2] << 8 | a[3]);
		break;
	case FK_SRC6: addr_from_v6(&r->f.src, a); break;
	case FK_DST6: addr_from_v6(&r->f.dst, a); break;
	case FK_NH6:
		addr_from_v6(&r->f.nexthop, a);
		r->have |= REC_HAVE_NH;
		break;
	case FK_BGPNH6: addr_from_v6(&r->bgp_nh, a); break;
	case FK_BYTES:
		r->f.bytes = v;
		r->have |= REC_HAVE_BYTES;
		break;
	case FK_PKTS:
		r->f.packets = v;
		r->have |= REC_HAVE_PKTS;
		break;
	case FK_BYTES_TOT: r->bytes_tot = v; break;
	case FK_PKTS_TOT: r->pkts_tot = v; break;
	case FK_PROTO: r->f.proto = (uint8_t)v; break;
	case FK_TOS: r->f.tos = (uint8_t)v; break;
	case FK_TCPFLAGS: r->f.tcp_flags = (uint8_t)v; break;
	case FK_SRCPORT: r->f.src_port = (uint16_t)v; break;
	case FK_DSTPORT: r->f.dst_port = (uint16_t)v; break;
	case FK_SRCMASK: r->f.src_mask = (uint8_t)v; break;
	case FK_DSTMASK: r->f.dst_mask = (uint8_t)v; break;
	case FK_INIF: r->f.in_if = (uint32_t)v; break;
	case FK_OUTIF: r->f.out_if = (uint32_t)v; break;
	case FK_PHYS_IN: r->phys_in = (uint32_t)v; break;
	case FK_PHYS_OUT: r->phys_out = (uint32_t)v; break;
	case FK_SRCAS: r->f.src_as = (uint32_t)v; break;
	case FK_DSTAS: r->f.dst_as = (uint32_t)v; break;
	case FK_DIRECTION:
		r->f.direction = v == 0 ? FLOW_DIR_INGRESS :
		    v == 1 ? FLOW_DIR_EGRESS : FLOW_DIR_UNKNOWN;
		break;
	case FK_VLAN:
		if (r->f.vlan == 0)
			r->f.vlan = (uint16_t)(v & 0x0fff);
		break;
	case FK_ICMP_TC:
		r->icmp_tc = (uint16_t)v;
		r->have |= REC_HAVE_ICMP_TC;
		break;
	case FK_ICMP_TYPE:
		r->icmp_type = (uint8_t)v;
		r->have |= REC_HAVE_ICMP_T;
		break;
	case FK_ICMP_CODE:
		r->icmp_code = (uint8_t)v;
		r->have |= REC_HAVE_ICMP_T;
		break;
	case FK_FIRST_UP: r->t_first = v; r->tf_first = TF_UPTIME; break;
	case FK_LAST_UP: r->t_last = v; r->tf_last = TF_UPTIME; break;
	case FK_FIRST_S: r->t_first = v; r->tf_first = TF_SEC; break;
	case FK_LAST_S: r->t_last = v; r->tf_last = TF_SEC; break;
	case FK_FIRST_MS: r->t_first = v; r->tf_first = TF_MS; break;
	case FK_LAST_MS: r->t_last = v; r->tf_last = TF_MS; break;
	case FK_FIRST_NTP: r->t_first = v; r->tf_first = TF_NTP; break;
	case FK_LAST_NTP: r->t_last = v; r->tf_last = TF_NTP; break;
	case FK_FIRST_DUS:
		r->t_first = v;
		r->tf_first = TF_DELTA_US;
		break;
	case FK_LAST_DUS:
		r->t_last = v;
		r->tf_last = TF_DELTA_US;
		break;
	case FK_SYSINIT:
		r->sysinit = v;
		r->have |= REC_HAVE_SYSINIT;
		break;
	case FK_SAMP_INTERVAL: r->samp_interval = v; break;
	case FK_DLSIZE: r->framesize = v; break;
	case FK_SAMP_PKT_SPACE: r->pkt_space = v; break;
	case FK_SAMPLER_ID:
		r->sampler_id = v;
		r->have |= REC_HAVE_SAMPLER;
		break;
	default:
		break;
	}
}

/*
 * Slow path: reads one record through `c` field by field (variable-length
 * fields, long records). Returns 0 or MM_ETRUNC.
 */
static int
rec_read(const struct tmpl *t, struct cursor *c, struct rec *r)
{
	const struct tmpl_op *op, *end = t->ops + t->nops;
	uint64_t v = 0;
	uint16_t l16;
	uint8_t l8, a[16];

	for (op = t->ops; op < end; op++) {
		if (op->len == OP_VARLEN) {
			if (get_u8(c, &l8) != 0)
				return c->err;
			l16 = l8;
			if (l8 == 255 && get_u16(c, &l16) != 0)
				return c->err;
			if (op->kind == FK_DLFRAME) {
				r->frame = cur_ptr(c);
				r->framelen = l16;
			}
			if (cur_skip(c, l16) != 0)
				return c->err;
			continue;
		}
		switch (op->kind) {
		case FK_SKIP:
			if (cur_skip(c, op->len) != 0)
				return c->err;
			continue;
		case FK_SRC4: case FK_DST4: case FK_NH4: case FK_BGPNH4:
		case FK_SRC6: case FK_DST6: case FK_NH6: case FK_BGPNH6:
			if (get_bytes(c, a, op->len) != 0)
				return c->err;
			/* templates often carry both families: keep the
			 * one that is set */
			if (zero(a, op->len))
				continue;
			break;
		case FK_DLFRAME:
			r->frame = cur_ptr(c);
			r->framelen = op->len;
			if (cur_skip(c, op->len) != 0)
				return c->err;
			continue;
		default:
			if (get_uint_n(c, op->len, &v) != 0)
				return c->err;
			break;
		}
		rec_set(r, op->kind, v, a);
	}
	return 0;
}

/*
 * Fast path for fixed-length records of at most TMPL_FAST_MAX bytes: the
 * record was copied out of the datagram through the cursor (one bounds
 * check) into `buf` of exactly t->minlen bytes; every op lies inside it by
 * construction (tmpl_add sums the op lengths into minlen), so fields are
 * read at their precomputed offsets without further checks.
 */
static void
rec_read_fixed(const struct tmpl *t, const uint8_t *buf, const uint8_t *wire,
    struct rec *r)
{
	const struct tmpl_op *op, *end = t->ops + t->nops;
	const uint8_t *p;
	uint64_t v;
	uint32_t i;

	for (op = t->ops; op < end; op++) {
		p = buf + op->off;
		switch (op->kind) {
		case FK_SKIP:
			continue;
		case FK_SRC4: case FK_DST4: case FK_NH4: case FK_BGPNH4:
		case FK_SRC6: case FK_DST6: case FK_NH6: case FK_BGPNH6:
			if (zero(p, op->len))
				continue;
			rec_set(r, op->kind, 0, p);
			continue;
		case FK_DLFRAME:
			r->frame = wire + op->off;
			r->framelen = op->len;
			continue;
		default:
			break;
		}
		switch (op->len) {
		case 1:
			v = p[0];
			break;
		case 2:
			v = (uint64_t)p[0] << 8 | p[1];
			break;
		case 4:
			v = (uint64_t)p[0] << 24 | (uint64_t)p[1] << 16 |
			    (uint64_t)p[2] << 8 | p[3];
			break;
		default:
			for (v = 0, i = 0; i < op->len; i++)
				v = v << 8 | p[i];
			break;
		}
		rec_set(r, op->kind, v, NULL);
	}
}

static mtime_t
rec_time(const struct dgram *dg, const struct rec *r, uint8_t tf, uint64_t v)
{
	switch (tf) {
	case TF_UPTIME:
		if (dg->version == DECODE_NFV9)
			return dg->boot_ms + (int64_t)v;
		if (r->have & REC_HAVE_SYSINIT)
			return time_clamp(r->sysinit) + (int64_t)v;
		if (dg->dom != NULL && dg->dom->sysinit != 0)
			return dg->dom->sysinit + (int64_t)v;
		return dg->export_ms;
	case TF_SEC:
		return (mtime_t)v * 1000;
	case TF_MS:
		return time_clamp(v);
	case TF_NTP:
		return ((mtime_t)(v >> 32) - (mtime_t)NTP_UNIX_OFFSET) * 1000 +
		    (mtime_t)(((v & 0xffffffffULL) * 1000) >> 32);
	case TF_DELTA_US:
		return dg->export_ms - (mtime_t)(v / 1000);
	default:
		return dg->export_ms;
	}
}

/* Rate from a record's own sampling fields, 0 if none. */
static uint32_t
rec_rate(const struct rec *r)
{
	uint64_t rate;

	if (r->samp_interval == 0)
		return 0;
	rate = r->samp_interval;
	/* RFC 5477: `interval` packets sampled, `space` skipped */
	if (r->pkt_space != 0)
		rate = (r->samp_interval + r->pkt_space) / r->samp_interval;
	return rate > UINT32_MAX ? UINT32_MAX : (uint32_t)rate;
}

static uint32_t
sampler_rate(const struct exporter *e, uint32_t domain, const struct rec *r)
{
	const struct sampler *s, *any = NULL;
	size_t i;

	for (i = 0; i < e->nsamp; i++) {
		s = &e->samp[i];
		if (s->domain != domain)
			continue;
		if (!s->has_id)
			any = s;
		else if ((r->have & REC_HAVE_SAMPLER) && s->id == r->sampler_id)
			return s->rate;
	}
	if (any != NULL)
		return any->rate;
	/* No id in the record: the domain's first sampler. */
	for (i = 0; i < e->nsamp; i++)
		if (e->samp[i].domain == domain &&
		    !(r->have & REC_HAVE_SAMPLER))
			return e->samp[i].rate;
	return 0;
}

static int
sampler_learn(struct dgram *dg, const struct rec *r)
{
	struct exporter *e = dg->exp;
	struct sampler *s;
	uint32_t rate = rec_rate(r);
	int has_id = (r->have & REC_HAVE_SAMPLER) != 0;
	size_t i;

	if (rate == 0)
		return 0;
	for (i = 0; i < e->nsamp; i++) {
		s = &e->samp[i];
		if (s->domain == dg->domain && s->has_id == has_id &&
		    (!has_id || s->id == r->sampler_id)) {
			s->rate = rate;
			return 0;
		}
	}
	if (e->nsamp >= EXP_MAX_SAMPLERS)
		return MM_ELIMIT;
	if (e->samp == NULL) {
		e->samp = calloc(EXP_MAX_SAMPLERS, sizeof(*e->samp));
		if (e->samp == NULL)
			return MM_ENOMEM;
	}
	s = &e->samp[e->nsamp++];
	s->domain = dg->domain;
	s->has_id = (uint8_t)has_id;
	s->id = r->sampler_id;
	s->rate = rate;
	return 0;
}

/*
 * A sampled frame (IE 315 dataLinkFrameSection, RFC 7133): its headers give
 * what the record lacks; one packet of dataLinkFrameSize bytes.
 */
static void
rec_frame(struct rec *r)
{
	struct packet_info pi;
	struct flow *f = &r->f;

	if (packet_parse(r->frame, r->framelen, PKT_LINK_ETHER, &pi) != 0)
		return;
	if (addr_is_zero(&f->src) && addr_is_zero(&f->dst)) {
		f->src = pi.src;
		f->dst = pi.dst;
		if (f->proto == 0) {
			f->proto = pi.proto;
			f->src_port = pi.src_port;
			f->dst_port = pi.dst_port;
			f->tcp_flags = pi.tcp_flags;
		}
		if (f->tos == 0)
			f->tos = pi.tos;
	}
	if (f->vlan == 0)
		f->vlan = pi.vlan;
	if (!(r->have & (REC_HAVE_BYTES | REC_HAVE_PKTS)) &&
	    r->bytes_tot == 0 && r->pkts_tot == 0) {
		r->have |= REC_HAVE_BYTES | REC_HAVE_PKTS;
		f->packets = 1;
		f->bytes = r->framesize != 0 ? r->framesize : pi.ip_len;
	}
}

/* Normalises a data record into r->f. */
static void
rec_finish(struct dgram *dg, struct rec *r)
{
	struct flow *f = &r->f;
	uint32_t rate;

	if (r->frame != NULL)
		rec_frame(r);
	if (!(r->have & REC_HAVE_BYTES))
		f->bytes = r->bytes_tot;
	if (!(r->have & REC_HAVE_PKTS))
		f->packets = r->pkts_tot;
	if (f->in_if == 0)
		f->in_if = r->phys_in;
	if (f->out_if == 0)
		f->out_if = r->phys_out;
	if (!(r->have & REC_HAVE_NH))
		f->nexthop = r->bgp_nh;
	if (f->proto == 1 || f->proto == 58) {
		if (r->have & REC_HAVE_ICMP_TC)
			f->dst_port = r->icmp_tc;
		else if (r->have & REC_HAVE_ICMP_T)
			f->dst_port = (uint16_t)(r->icmp_type << 8 |
			    r->icmp_code);
		f->src_port = 0;
	}
	if (r->tf_first == TF_NONE && r->tf_last != TF_NONE) {
		r->tf_first = r->tf_last;
		r->t_first = r->t_last;
	} else if (r->tf_last == TF_NONE && r->tf_first != TF_NONE) {
		r->tf_last = r->tf_first;
		r->t_last = r->t_first;
	}
	f->first = rec_time(dg, r, r->tf_first, r->t_first);
	f->last = rec_time(dg, r, r->tf_last, r->t_last);
	if (f->first < 0)
		f->first = 0;
	if (f->last < 0)
		f->last = 0;
	if ((rate = rec_rate(r)) == 0 && dg->exp->nsamp > 0)
		rate = sampler_rate(dg->exp, dg->domain, r);
	f->sampling = rate == 0 ? 1 : rate;
}

/*
 * Decodes every record of a data set `c` described by `t`: emits flows for
 * data templates, learns sampling rates from options templates. Trailing
 * bytes shorter than a record are padding. Returns 0 or the first error.
 */
int
tmpl_data_set(struct dgram *dg, struct tmpl *t, struct cursor *c)
{
	static const struct rec rec_zero;
	uint8_t buf[TMPL_FAST_MAX];
	const uint8_t *wire;
	struct rec r;
	int rc = 0, err;

	while (cur_left(c) >= t->minlen && dg->stop == 0) {
		r = rec_zero;
		if (t->fixed) {
			wire = cur_ptr(c);
			if (get_bytes(c, buf, t->minlen) != 0)
				break;	/* not reached: minlen checked */
			rec_read_fixed(t, buf, wire, &r);
		} else if (rec_read(t, c, &r) != 0) {
			dg->exp->st.malformed++;
			return dg_error(dg, MM_ETRUNC, "%s data set %u: record "
			    "truncated (%zu bytes left)",
			    dg->version == DECODE_IPFIX ? "IPFIX" :
			    "NetFlow v9",
			    t->id, cur_left(c));
		}
		dg->nrecords++;
		if (t->options) {
			if ((r.have & REC_HAVE_SYSINIT) && dg->dom != NULL)
				dg->dom->sysinit = time_clamp(r.sysinit);
			if ((err = sampler_learn(dg, &r)) != 0 && rc == 0)
				rc = dg_error(dg, err, "options data %u: "
				    "sampler table full (%d entries)", t->id,
				    EXP_MAX_SAMPLERS);
			continue;
		}
		rec_finish(dg, &r);
		dg_emit(dg, &r.f);
	}
	return rc;
}
