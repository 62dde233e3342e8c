/*
 * isp.c - synthetic ISP flow generator (see isp.h).
 *
 * Model. A flow is one direction of a conversation between a subscriber and
 * a remote host. A service is drawn from a weighted table (HTTPS dominant,
 * then QUIC, DNS, HTTP, P2P, ...); the remote host from that service's slice
 * of the server pool by a log-uniform rank (P(k) ~ 1/k, i.e. Zipf with s=1,
 * so a few servers and ASes carry most traffic and top-N reports are
 * meaningful); the subscriber half uniformly, half log-uniformly (a few heavy
 * users). Packet counts are Pareto (heavy tail, capped at 2 M so v5 counters
 * never overflow), bytes are packets times a per-service packet size, the
 * duration grows with the packet count up to the 300 s active timeout. Most
 * conversations also produce the reverse flow (server to subscriber, larger),
 * returned by the next call. A small share of unsolicited inbound SYNs
 * (scanners) and ICMP echo completes the mix.
 *
 * Determinism: xoshiro256** seeded through splitmix64; the clock is an
 * integer count of picoseconds; the only floating point is in the
 * distribution transforms (log/exp of IEEE doubles), identical on every
 * libm that rounds correctly for these inputs.
 *
 * Cost: O(1) per flow, a handful of log/exp calls; memory 256 KB (the AS of
 * every server and peer id, precomputed).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/addr.h"
#include "lab/isp.h"

#define OWN_AS		64500	/* RFC 5398 documentation ASN */
#define AS_BASE		64512	/* servers: private ASNs 64512..65511 */
#define AS_COUNT	1000
#define N_ACCESS_IF	16
#define N_UPLINKS	4
#define MAX_PKTS	2000000
#define ACTIVE_MS	300000
#define INACTIVE_MS	15000
#if ACTIVE_MS + INACTIVE_MS != ISP_WARMUP_MS
#error ISP_WARMUP_MS must be the active plus the inactive timeout
#endif

enum svc_kind {
	K_WEB, K_DNS, K_NTP, K_MAIL, K_SSH, K_P2P, K_ICMP, K_SCAN
};

struct svc {
	uint8_t		proto;
	uint16_t	port;
	uint16_t	weight;		/* per mille */
	uint8_t		kind;
	uint8_t		v6;		/* may run over IPv6 */
	uint16_t	pool_lo;	/* server slice, per mille of servers */
	uint16_t	pool_hi;
	double		xm, alpha;	/* Pareto packets (upstream) */
	uint16_t	up_lo, up_hi;	/* upstream packet size range */
	uint16_t	dn_lo, dn_hi;	/* downstream packet size range */
	double		dn_pkts;	/* downstream packets per upstream */
	uint8_t		bidir;		/* percent with a reverse flow */
};

static const struct svc svcs[] = {
	{ 6, 443, 440, K_WEB, 1, 0, 500, 4, 1.15, 52, 220, 900, 1450, 1.6, 95 },
	{ 17, 443, 150, K_WEB, 1, 0, 200, 4, 1.1, 80, 300, 1100, 1350, 1.5, 95 },
	{ 6, 80, 80, K_WEB, 1, 500, 800, 3, 1.3, 52, 400, 600, 1450, 1.4, 90 },
	{ 17, 53, 150, K_DNS, 1, 990, 991, 1, 9.0, 60, 90, 80, 300, 1.0, 97 },
	{ 17, 123, 20, K_NTP, 1, 991, 992, 1, 9.0, 76, 76, 76, 76, 1.0, 95 },
	{ 6, 25, 10, K_MAIL, 0, 800, 830, 8, 1.5, 60, 1400, 52, 120, 0.8, 90 },
	{ 6, 587, 5, K_MAIL, 1, 800, 830, 8, 1.5, 60, 1400, 52, 120, 0.8, 90 },
	{ 6, 993, 15, K_MAIL, 1, 800, 830, 10, 1.4, 52, 200, 200, 1400, 1.2, 95 },
	{ 6, 22, 15, K_SSH, 1, 830, 860, 10, 1.2, 60, 300, 60, 400, 1.1, 95 },
	{ 6, 0, 35, K_P2P, 1, 0, 0, 2, 1.0, 100, 1400, 100, 1400, 1.0, 80 },
	{ 17, 0, 40, K_P2P, 1, 0, 0, 2, 1.0, 100, 1400, 100, 1400, 1.0, 80 },
	{ 1, 0, 20, K_ICMP, 1, 860, 990, 1, 1.5, 84, 84, 84, 84, 1.0, 90 },
	{ 6, 0, 20, K_SCAN, 0, 0, 0, 1, 9.0, 44, 60, 40, 40, 1.0, 10 }
};
#define NSVC	(sizeof(svcs) / sizeof(svcs[0]))

static const uint16_t scan_ports[] = { 22, 23, 445, 3389, 8080, 5060, 1433 };

struct isp {
	struct isp_conf	conf;
	uint64_t	s[4];		/* xoshiro256** state */
	uint64_t	clock_ps;	/* since conf.start */
	uint64_t	step_ps;
	mtime_t		now;
	uint16_t	cum[NSVC];	/* cumulative service weights */
	uint16_t	wsum;
	uint32_t	pool_lo[NSVC];	/* server slice of each service */
	uint32_t	pool_n[NSVC];
	double		pool_ln[NSVC];	/* log(pool_n + 1) */
	double		subs_ln;
	uint16_t	as_of[2 * 65536];	/* AS of server/peer id */
	int		have_rev;
	struct flow	rev;
};

static uint64_t
splitmix64(uint64_t *x)
{
	uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static uint64_t
rotl(uint64_t x, int k)
{
	return (x << k) | (x >> (64 - k));
}

static uint64_t
rng_next(struct isp *g)
{
	uint64_t *s = g->s;
	uint64_t r = rotl(s[1] * 5, 7) * 9, t = s[1] << 17;

	s[2] ^= s[0];
	s[3] ^= s[1];
	s[1] ^= s[2];
	s[0] ^= s[3];
	s[2] ^= t;
	s[3] = rotl(s[3], 45);
	return r;
}

/* Uniform in (0, 1]. */
static double
rng_unit(struct isp *g)
{
	return ((double)(rng_next(g) >> 11) + 1.0) * (1.0 / 9007199254740992.0);
}

/* Uniform in [0, n) (n > 0); multiply-shift, bias below 2^-32. */
static uint32_t
rng_below(struct isp *g, uint32_t n)
{
	return (uint32_t)(((rng_next(g) >> 32) * (uint64_t)n) >> 32);
}

static uint32_t
rng_range(struct isp *g, uint32_t lo, uint32_t hi)
{
	return hi <= lo ? lo : lo + rng_below(g, hi - lo + 1);
}

/* Log-uniform rank in [0, n): P(k) ~ ln((k+2)/(k+1)) ~ 1/k; `ln` is
 * log(n + 1), precomputed. */
static uint32_t
rng_zipf(struct isp *g, uint32_t n, double ln)
{
	double r = exp(rng_unit(g) * ln) - 1.0;
	uint32_t k = (uint32_t)r;

	return k >= n ? n - 1 : k;
}

static uint64_t
rng_pareto(struct isp *g, double xm, double alpha, uint64_t max)
{
	double v = xm * exp(-log(rng_unit(g)) / alpha);

	if (v >= (double)max)
		return max;
	return v < 1.0 ? 1 : (uint64_t)v;
}

static uint32_t
mix32(uint32_t x)
{
	x ^= x >> 16;
	x *= 0x7feb352dU;
	x ^= x >> 15;
	x *= 0x846ca68bU;
	x ^= x >> 16;
	return x;
}

/* Zipf-like AS of a server, fixed by its id. */
static uint32_t
srv_as(uint32_t id)
{
	double u = ((double)mix32(id) + 1.0) / 4294967296.0;
	uint32_t k = (uint32_t)(exp(u * log(AS_COUNT + 1.0)) - 1.0);

	return AS_BASE + (k >= AS_COUNT ? AS_COUNT - 1 : k);
}

struct isp *
isp_new(const struct isp_conf *conf)
{
	struct isp *g;
	uint64_t x;
	size_t i;

	if ((g = calloc(1, sizeof(*g))) == NULL)
		return NULL;
	if (conf != NULL)
		g->conf = *conf;
	else
		g->conf.v6_pct = -1;
	if (g->conf.subscribers == 0)
		g->conf.subscribers = ISP_DEF_SUBSCRIBERS;
	if (g->conf.servers == 0)
		g->conf.servers = ISP_DEF_SERVERS;
	if (g->conf.v6_pct < 0)
		g->conf.v6_pct = ISP_DEF_V6_PCT;
	if (g->conf.v6_pct > 100)
		g->conf.v6_pct = 100;
	if (g->conf.start == 0)
		g->conf.start = ISP_DEF_START;
	if (!(g->conf.flows_per_sec > 0))
		g->conf.flows_per_sec = ISP_DEF_FPS;
	if (g->conf.subscribers > ISP_MAX_SUBSCRIBERS ||
	    g->conf.servers > ISP_MAX_SERVERS || g->conf.servers < 1000 ||
	    g->conf.flows_per_sec > 1e9) {
		free(g);
		return NULL;
	}
	x = g->conf.seed;
	for (i = 0; i < 4; i++)
		g->s[i] = splitmix64(&x);
	g->step_ps = (uint64_t)(1e12 / g->conf.flows_per_sec);
	if (g->step_ps == 0)
		g->step_ps = 1;
	for (i = 0; i < NSVC; i++) {
		g->wsum += svcs[i].weight;
		g->cum[i] = g->wsum;
		g->pool_lo[i] = g->conf.servers * svcs[i].pool_lo / 1000;
		g->pool_n[i] = g->conf.servers * svcs[i].pool_hi / 1000;
		if (g->pool_n[i] <= g->pool_lo[i])
			g->pool_n[i] = g->pool_lo[i] + 1;
		g->pool_n[i] -= g->pool_lo[i];
		g->pool_ln[i] = log((double)g->pool_n[i] + 1.0);
	}
	g->subs_ln = log((double)g->conf.subscribers + 1.0);
	for (i = 0; i < sizeof(g->as_of) / sizeof(g->as_of[0]); i++)
		g->as_of[i] = (uint16_t)srv_as((uint32_t)i);
	g->now = g->conf.start + ISP_WARMUP_MS;
	return g;
}

void
isp_free(struct isp *g)
{
	free(g);
}

mtime_t
isp_clock(const struct isp *g)
{
	return g->now;
}

/* Subscriber i: 100.64.0.0 + 1 + i; 2001:db8:100:(i+1)::1. */
void
isp_subscriber_addr(unsigned i, int v6, struct mm_addr *a)
{
	uint8_t b[16];

	if (!v6) {
		addr_from_v4(a, 0x64400000U + 1 + i);
		return;
	}
	memset(b, 0, sizeof(b));
	b[0] = 0x20; b[1] = 0x01; b[2] = 0x0d; b[3] = 0xb8;
	b[4] = 0x01; b[5] = 0x00;
	b[6] = (uint8_t)((i + 1) >> 8);
	b[7] = (uint8_t)(i + 1);
	b[15] = 1;
	addr_from_v6(a, b);
}

/* Server id: 198.18.0.0 + 1 + id; 2001:db8:f000::(id+1). Peers (id >=
 * 65536) land in 198.19.0.0/16 and 2001:db8:f001::/48. */
void
isp_server_addr(uint32_t id, int v6, struct mm_addr *a)
{
	uint8_t b[16];

	if (!v6) {
		addr_from_v4(a, 0xc6120000U + 1 + id);
		return;
	}
	memset(b, 0, sizeof(b));
	b[0] = 0x20; b[1] = 0x01; b[2] = 0x0d; b[3] = 0xb8;
	b[4] = 0xf0; b[5] = (uint8_t)(id >> 16);
	b[12] = (uint8_t)((id + 1) >> 24);
	b[13] = (uint8_t)((id + 1) >> 16);
	b[14] = (uint8_t)((id + 1) >> 8);
	b[15] = (uint8_t)(id + 1);
	addr_from_v6(a, b);
}

int
isp_subscriber_dual(unsigned i, int v6_pct)
{
	return v6_pct > 0 && (mix32(i ^ 0x5bd1e995U) % 100) < (uint32_t)v6_pct;
}

uint32_t
isp_server_as(uint32_t id)
{
	return srv_as(id);
}

int
isp_server_pick(unsigned servers, uint8_t proto, uint16_t port, uint32_t k,
    uint32_t *id)
{
	uint32_t lo, hi;
	size_t i;

	for (i = 0; i < NSVC; i++)
		if (svcs[i].proto == proto && svcs[i].port == port &&
		    svcs[i].pool_hi > svcs[i].pool_lo)
			break;
	if (i == NSVC || servers == 0)
		return -1;
	lo = servers * svcs[i].pool_lo / 1000;
	hi = servers * svcs[i].pool_hi / 1000;
	if (hi <= lo)
		hi = lo + 1;
	*id = lo + k % (hi - lo);
	return 0;
}

/* Next hop: uplink router idx, or (idx == NH_ACCESS) the access side. */
#define NH_ACCESS	255
static void
nexthop_addr(int v6, unsigned idx, struct mm_addr *a)
{
	uint8_t b[16];

	if (idx == NH_ACCESS) {
		if (!v6) {
			addr_from_v4(a, 0x6440fffeU);	/* 100.64.255.254 */
			return;
		}
		memset(b, 0, sizeof(b));
		b[0] = 0x20; b[1] = 0x01; b[2] = 0x0d; b[3] = 0xb8;
		b[4] = 0x01; b[5] = 0x00; b[6] = 0xff; b[7] = 0xff;
		b[15] = 1;
		addr_from_v6(a, b);
		return;
	}
	if (!v6) {
		addr_from_v4(a, 0xc0000201U + idx);	/* 192.0.2.1+ */
		return;
	}
	memset(b, 0, sizeof(b));
	b[0] = 0x20; b[1] = 0x01; b[2] = 0x0d; b[3] = 0xb8;
	b[4] = 0xff; b[5] = 0xff;
	b[15] = (uint8_t)(1 + idx);
	addr_from_v6(a, b);
}

static uint8_t
pick_tos(struct isp *g, const struct svc *s)
{
	uint32_t r = rng_below(g, 100);

	if (r < 90)
		return 0;
	if (s->proto == 17 && r < 95)
		return 0xb8;	/* EF */
	return 0x28;		/* AF11 */
}

static mtime_t
pick_duration(struct isp *g, uint64_t pkts)
{
	double gap, d;

	if (pkts <= 1)
		return 0;
	gap = exp(log(0.5) + rng_unit(g) * (log(200.0) - log(0.5)));
	d = (double)(pkts - 1) * gap;
	return d >= ACTIVE_MS ? ACTIVE_MS : (mtime_t)d;
}

void
isp_next(struct isp *g, struct flow *f)
{
	const struct svc *s;
	struct mm_addr subaddr, remote;
	uint32_t r, sub, id, uplink, access, asn;
	uint64_t pkts;
	mtime_t dur, delay;
	uint16_t subport, remport;
	int v6, inbound = 0;
	size_t i;

	g->clock_ps += g->step_ps;
	g->now = g->conf.start + ISP_WARMUP_MS +
	    (mtime_t)(g->clock_ps / 1000000000ULL);
	if (g->have_rev) {
		g->have_rev = 0;
		*f = g->rev;
		return;
	}
	memset(f, 0, sizeof(*f));

	r = rng_below(g, g->wsum);
	for (i = 0; i < NSVC - 1 && r >= g->cum[i]; i++)
		;
	s = &svcs[i];

	if (rng_below(g, 2) == 0)
		sub = rng_below(g, g->conf.subscribers);
	else
		sub = rng_zipf(g, g->conf.subscribers, g->subs_ln);
	v6 = s->v6 && isp_subscriber_dual(sub, g->conf.v6_pct) &&
	    rng_below(g, 100) < 60;

	switch (s->kind) {
	case K_P2P:
		id = 65536 + rng_below(g, 65534);
		break;
	case K_SCAN:
		id = 65536 + rng_below(g, 65534);
		inbound = 1;
		break;
	default:
		id = g->pool_lo[i] + rng_zipf(g, g->pool_n[i], g->pool_ln[i]);
		break;
	}
	isp_subscriber_addr(sub, v6, &subaddr);
	isp_server_addr(id, v6, &remote);
	asn = g->as_of[id];
	uplink = asn % N_UPLINKS;
	access = sub % N_ACCESS_IF;

	subport = (uint16_t)rng_range(g, 32768, 60999);
	remport = s->port;
	if (s->kind == K_P2P) {
		subport = (uint16_t)rng_range(g, 10000, 65000);
		remport = rng_below(g, 3) == 0 ?
		    (uint16_t)rng_range(g, 6881, 6999) :
		    (uint16_t)rng_range(g, 1024, 65535);
	} else if (s->kind == K_SCAN) {
		remport = (uint16_t)rng_range(g, 1024, 65535);
		subport = scan_ports[rng_below(g,
		    sizeof(scan_ports) / sizeof(scan_ports[0]))];
	}

	pkts = rng_pareto(g, s->xm, s->alpha, MAX_PKTS);
	if (s->kind == K_ICMP && pkts > 10)
		pkts = 1 + pkts % 10;
	if (s->kind == K_DNS || s->kind == K_NTP || s->kind == K_SCAN)
		pkts = rng_below(g, 20) == 0 ? 2 : 1;

	f->proto = s->proto;
	if (s->kind == K_ICMP && v6)
		f->proto = 58;
	f->packets = pkts;
	f->bytes = pkts * rng_range(g, s->up_lo, s->up_hi);
	if (s->kind == K_ICMP && v6)
		f->bytes = pkts * 104;
	dur = pick_duration(g, pkts);
	delay = (mtime_t)rng_below(g, INACTIVE_MS);
	/* nothing before the start: early flows are cut short */
	if (delay > g->now - g->conf.start)
		delay = g->now - g->conf.start;
	if (dur > g->now - delay - g->conf.start)
		dur = g->now - delay - g->conf.start;
	f->last = g->now - delay;
	f->first = f->last - dur;
	f->tos = pick_tos(g, s);
	f->vlan = (uint16_t)(100 + sub % 200);
	f->sampling = 1;

	if (!inbound) {
		/* subscriber -> remote: ingress on the access interface */
		f->src = subaddr;
		f->dst = remote;
		f->src_port = subport;
		f->dst_port = remport;
		f->src_as = OWN_AS;
		f->dst_as = asn;
		f->in_if = 100 + access;
		f->out_if = 1 + uplink;
		f->src_mask = v6 ? 48 : 16;
		f->dst_mask = v6 ? 48 : 24;
		nexthop_addr(v6, uplink, &f->nexthop);
		f->direction = FLOW_DIR_INGRESS;
	} else {
		/* unsolicited remote -> subscriber */
		f->src = remote;
		f->dst = subaddr;
		f->src_port = remport;
		f->dst_port = subport;
		f->src_as = asn;
		f->dst_as = OWN_AS;
		f->in_if = 1 + uplink;
		f->out_if = 100 + access;
		f->src_mask = v6 ? 48 : 24;
		f->dst_mask = v6 ? 48 : 16;
		nexthop_addr(v6, NH_ACCESS, &f->nexthop);
		f->direction = FLOW_DIR_EGRESS;
	}
	if (f->proto == 6) {
		if (s->kind == K_SCAN || pkts == 1)
			f->tcp_flags = 0x02;			/* SYN */
		else if (rng_below(g, 10) == 0)
			f->tcp_flags = 0x1e;		/* SYN PSH ACK RST */
		else
			f->tcp_flags = 0x1b;		/* SYN PSH ACK FIN */
	}
	if (s->kind == K_ICMP) {
		f->src_port = 0;
		f->dst_port = v6 ? 128 * 256 : 8 * 256;	/* echo request */
	}

	if (rng_below(g, 100) >= s->bidir)
		return;
	/* the reverse flow, returned by the next call */
	g->have_rev = 1;
	g->rev = *f;
	g->rev.src = f->dst;
	g->rev.dst = f->src;
	g->rev.src_port = f->dst_port;
	g->rev.dst_port = f->src_port;
	g->rev.src_as = f->dst_as;
	g->rev.dst_as = f->src_as;
	g->rev.in_if = f->out_if;
	g->rev.out_if = f->in_if;
	g->rev.src_mask = f->dst_mask;
	g->rev.dst_mask = f->src_mask;
	g->rev.direction = inbound ? FLOW_DIR_INGRESS : FLOW_DIR_EGRESS;
	nexthop_addr(v6, inbound ? uplink : NH_ACCESS,
	    &g->rev.nexthop);
	pkts = (uint64_t)((double)pkts * s->dn_pkts);
	if (pkts < 1)
		pkts = 1;
	if (pkts > MAX_PKTS)
		pkts = MAX_PKTS;
	g->rev.packets = pkts;
	g->rev.bytes = pkts * rng_range(g, s->dn_lo, s->dn_hi);
	if (s->kind == K_ICMP) {
		g->rev.src_port = 0;
		g->rev.dst_port = v6 ? 129 * 256 : 0;	/* echo reply */
		g->rev.bytes = pkts * (v6 ? 104 : 84);
	}
	if (f->proto == 6)
		g->rev.tcp_flags = inbound ? 0x14 : f->tcp_flags | 0x10;
	if (dur > 0)
		g->rev.first = f->first + rng_range(g, 1, 40) % (dur + 1);
	g->rev.last = f->last;
}
