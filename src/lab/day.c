/*
 * day.c - one labelled synthetic ISP day (see day.h).
 *
 * Sources. (1) Background: one lab/isp.h generator, run at the rate that
 * fills the day's flow budget, whose uniform export clock is warped through
 * an hourly diurnal profile (quiet at 04:00 UTC, busy 19-21 h): a
 * piecewise-linear, monotonic map from the uniform axis to the day, so
 * ordering survives and each flow is only shifted. (2) Agents: one per
 * (subscriber, benign periodic service) and per (infected subscriber,
 * botnet). An agent fires at its next beacon time, writes a request flow
 * and a response flow (or, for 1 % of bot beacons, a request that got no
 * answer) into its two private slots, and schedules its next beacon:
 * period * (1 +- jitter), moved out of sleep phases, never before its
 * pending flows are exported (so the slots are free again). Bot beacons
 * open a new TCP connection each time (SYN..FIN, incrementing source
 * port; 2 % get a large "tasking" response); benign keepalives reuse one
 * connection (PSH/ACK) for hours.
 *
 * Merge. A binary min-heap of (export time, id) holds the agents (keyed by
 * their next beacon start, which precedes every export time the beacon
 * produces) and the pending slot flows (keyed by export time = last +
 * inactive timeout + < 1 s). The background source stays outside the heap
 * and wins whenever its key is not above the heap's top: background flows,
 * the bulk at scale, cost O(1) plus lab/isp.h's own work; an agent event
 * costs O(log agents). Equal keys resolve the same way on every run, so the
 * output is a pure function of seed and conf.
 *
 * Randomness. Each agent draws from its own splitmix64 stream seeded from
 * (seed, agent number); the configuration and the packet-sampling draws
 * have their own streams; the background generator its own seed. Adding
 * sampling or a botnet therefore does not perturb the other sources.
 *
 * Packet sampling (1-in-N): each flow's packet count is thinned binomially
 * (direct Bernoulli draws for <= 8 packets, geometric skips while n*p < 20,
 * else a normal approximation), bytes scale by the kept share, flows left
 * with no packet are dropped and counted.
 *
 * Truth: the botnets keep per-server and per-client flow counts, so the
 * JSON lists only what the data shows (a sleeper may never wake in a short
 * day; sampling may drop all of a client's flows).
 *
 * Memory: O(agents) (~80 B each plus two flow slots, ~6.5 k agents at
 * 5000 subscribers), the truth (clients and servers), lab/isp.h's 256 KB.
 * Speed: ~13 M flows/s per core (background-dominated days).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/addr.h"
#include "core/mtime.h"
#include "lab/day.h"
#include "lab/isp.h"

#define OWN_AS		64500
#define N_ACCESS_IF	16
#define N_UPLINKS	4
#define HOUR_MS		(3600 * 1000LL)
#define MAX_SEGS	(DAY_MAX_DURATION / HOUR_MS + 2)
#define NH_ACCESS	255

enum { AG_BOT = 0, AG_PER = 1 };

struct agent {
	uint64_t	rng;
	mtime_t		next;		/* next beacon start */
	mtime_t		hold;		/* pending slot flows exported by then */
	mtime_t		phase;		/* bot: sleep cycle offset */
	mtime_t		conn_until;	/* persistent: reconnect after */
	uint32_t	sub;
	uint16_t	owner;		/* botnet or periodic index */
	uint16_t	sport;
	uint16_t	rtt;		/* ms */
	uint8_t		kind;
	uint8_t		v6;
	uint8_t		srv;		/* periodic: server index; bot: client */
	uint32_t	cidx;		/* bot: client index in its botnet */
	uint32_t	si;		/* bot: server of the pending flows */
};

struct hent {
	mtime_t		key;
	uint32_t	id;
};

/* Background warp: hour segments of the window, cumulative weight. */
struct warp {
	double		*m0;		/* mass before segment j */
	double		*w;		/* weight of segment j (per ms) */
	mtime_t		*t0;		/* segment start, ms from day start */
	size_t		 n, cur;
	double		 mass;		/* total */
};

/* Benign periodic services. `pct` per mille of subscribers run one. */
struct pertmpl {
	const char	*name;
	uint8_t		 proto;
	uint16_t	 port;
	uint8_t		 pool_proto;	/* lab/isp.h slice the servers are in */
	uint16_t	 pool_port;
	uint16_t	 rank0;		/* popularity rank of the first server */
	uint8_t		 nservers;
	uint16_t	 pct;
	uint32_t	 period_s;
	double		 jitter;
	uint8_t		 persistent;
	uint16_t	 req_b, resp_b;
	uint8_t		 req_p, resp_p;
};

static const struct pertmpl pertmpls[] = {
	{ "push-fcm", 6, 5228, 6, 443, 1, 2, 300, 1680, 0.02, 1,
	    66, 66, 1, 1 },
	{ "push-apns", 6, 5223, 6, 443, 3, 2, 200, 1200, 0.05, 1,
	    97, 85, 1, 1 },
	{ "ntp", 17, 123, 17, 123, 0, 4, 100, 1024, 0.01, 0,
	    76, 76, 1, 1 },
	{ "mail-poll", 6, 993, 6, 993, 0, 4, 40, 600, 0.02, 0,
	    1480, 4700, 12, 10 },
	{ "os-update", 6, 443, 6, 443, 5, 3, 600, 14400, 0.15, 0,
	    2100, 6300, 14, 12 },
	{ "iot-mqtt", 6, 8883, 6, 443, 8, 2, 5, 120, 0.0, 1,
	    104, 92, 2, 1 }
};
#define NPER	(sizeof(pertmpls) / sizeof(pertmpls[0]))

/* Botnet templates; parameters are perturbed per seed. port 0: a random
 * high port per botnet. */
struct bntmpl {
	const char		*family;
	enum day_behaviour	 behaviour;
	uint8_t			 proto;
	uint16_t		 port;
	uint32_t		 period_s;
	double			 jitter;
	uint16_t		 clients;
	uint32_t		 req_b, resp_b;
	uint16_t		 req_p, resp_p;
	uint8_t			 v6;
	uint8_t			 nservers;	/* steady/sleeping */
	uint8_t			 rotate_h;	/* rotating */
	uint8_t			 on_h, off_h;	/* sleeping cycle; 0: gaps */
};

static const struct bntmpl bntmpls[] = {
	{ "periodic-https", DAY_STEADY, 6, 443, 300, 0.10, 150,
	    1850, 4200, 12, 10, 0, 1, 0, 0, 0 },
	{ "http-poll", DAY_STEADY, 6, 80, 60, 0.05, 20,
	    420, 610, 5, 4, 0, 1, 0, 0, 0 },
	{ "alt-http-dga", DAY_ROTATING, 6, 8080, 120, 0.15, 25,
	    700, 900, 6, 5, 0, 1, 4, 0, 0 },
	{ "dns-beacon", DAY_STEADY, 17, 53, 30, 0.25, 3,
	    78, 142, 1, 1, 0, 2, 0, 0, 0 },
	{ "raw-tcp", DAY_STEADY, 6, 4444, 600, 0.0, 2,
	    260, 180, 4, 4, 0, 1, 0, 0, 0 },
	{ "sleeper-https", DAY_SLEEPING, 6, 443, 900, 0.10, 60,
	    1650, 3900, 11, 9, 0, 1, 0, 2, 6 },
	{ "udp-highport", DAY_STEADY, 17, 0, 45, 0.30, 8,
	    120, 96, 1, 1, 0, 1, 0, 0, 0 },
	{ "dga-https", DAY_ROTATING, 6, 443, 1800, 0.05, 200,
	    1720, 5200, 12, 11, 0, 1, 3, 0, 0 },
	{ "slow-https", DAY_STEADY, 6, 443, 3600, 0.02, 12,
	    1900, 2600, 12, 9, 0, 3, 0, 0, 0 },
	{ "lone-implant", DAY_STEADY, 6, 8443, 240, 0.20, 1,
	    980, 1400, 8, 7, 0, 1, 0, 0, 0 },
	{ "sleeper-gaps", DAY_SLEEPING, 6, 80, 180, 0.10, 10,
	    510, 730, 5, 4, 0, 1, 0, 0, 0 },
	{ "v6-https", DAY_STEADY, 6, 443, 600, 0.10, 6,
	    1950, 4600, 12, 10, 1, 1, 0, 0, 0 }
};
#define NBNT	(sizeof(bntmpls) / sizeof(bntmpls[0]))

/* Relative traffic per UTC hour. */
static const double hour_w[24] = {
	40, 30, 22, 17, 15, 16, 22, 35, 50, 60, 65, 68,
	72, 70, 68, 70, 75, 82, 92, 100, 100, 92, 75, 55
};

struct day {
	struct day_conf		 conf;
	mtime_t			 end;
	uint64_t		 rng;		/* configuration draws */
	uint64_t		 srng;		/* sampling draws */
	uint64_t		 sthr;		/* UINT64_MAX / sampling */
	double			 slq;		/* log(1 - 1/sampling) */
	struct day_botnet	 bn[DAY_MAX_BOTNETS];
	size_t			 nbn;
	struct day_periodic	 per[NPER];
	struct agent		*ag;
	size_t			 nag;
	struct flow		*slot;		/* 2 per agent */
	struct hent		*heap;
	size_t			 nheap;
	struct isp		*isp;
	int			 bg_live;
	struct flow		 bgf;
	mtime_t			 bgkey;
	struct warp		 warp;
	uint64_t		 bg_target;
	struct day_counters	 c;
	uint32_t		 next_c2;	/* C&C address allocator */
	uint32_t		*c2pool;
	size_t			 nc2pool;
	uint32_t		 next_c2v6;
};

/* ---- randomness ---- */

static uint64_t
sm64(uint64_t *x)
{
	uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* Uniform in (0, 1]. */
static double
r_unit(uint64_t *x)
{
	return ((double)(sm64(x) >> 11) + 1.0) * (1.0 / 9007199254740992.0);
}

static uint32_t
r_below(uint64_t *x, uint32_t n)
{
	return (uint32_t)(((sm64(x) >> 32) * (uint64_t)n) >> 32);
}

static uint32_t
r_range(uint64_t *x, uint32_t lo, uint32_t hi)
{
	return hi <= lo ? lo : lo + r_below(x, hi - lo + 1);
}

/* Uniform in [-1, 1). */
static double
r_sym(uint64_t *x)
{
	return 2.0 * r_unit(x) - 1.0;
}

static uint32_t
hash32(uint32_t x)
{
	x ^= x >> 16;
	x *= 0x7feb352dU;
	x ^= x >> 15;
	x *= 0x846ca68bU;
	x ^= x >> 16;
	return x;
}

/* ---- heap ---- */

static void
heap_up(struct hent *h, size_t i)
{
	struct hent e = h[i];
	size_t p;

	while (i > 0) {
		p = (i - 1) / 2;
		if (h[p].key <= e.key)
			break;
		h[i] = h[p];
		i = p;
	}
	h[i] = e;
}

static void
heap_down(struct hent *h, size_t n, size_t i)
{
	struct hent e = h[i];
	size_t c;

	for (;;) {
		c = 2 * i + 1;
		if (c >= n)
			break;
		if (c + 1 < n && h[c + 1].key < h[c].key)
			c++;
		if (e.key <= h[c].key)
			break;
		h[i] = h[c];
		i = c;
	}
	h[i] = e;
}

static void
heap_push(struct day *d, mtime_t key, uint32_t id)
{
	d->heap[d->nheap].key = key;
	d->heap[d->nheap].id = id;
	heap_up(d->heap, d->nheap++);
}

static void
heap_pop(struct day *d)
{
	d->heap[0] = d->heap[--d->nheap];
	if (d->nheap > 0)
		heap_down(d->heap, d->nheap, 0);
}

/* Gives the top a new key. */
static void
heap_rekey_top(struct day *d, mtime_t key)
{
	d->heap[0].key = key;
	heap_down(d->heap, d->nheap, 0);
}

/* ---- background ---- */

static int
warp_init(struct warp *w, mtime_t start, mtime_t dur)
{
	mtime_t t = 0, next;
	size_t n = 0, cap = (size_t)(dur / HOUR_MS) + 2;
	int64_t hod;

	if ((w->m0 = calloc(cap + 1, sizeof(*w->m0))) == NULL ||
	    (w->w = calloc(cap, sizeof(*w->w))) == NULL ||
	    (w->t0 = calloc(cap + 1, sizeof(*w->t0))) == NULL)
		return MM_ENOMEM;
	w->mass = 0;
	while (t < dur && n < cap) {
		next = ((start + t) / HOUR_MS + 1) * HOUR_MS - start;
		if (next > dur)
			next = dur;
		hod = ((start + t) / HOUR_MS) % 24;
		if (hod < 0)
			hod += 24;
		w->t0[n] = t;
		w->w[n] = hour_w[hod] / 100.0;
		w->m0[n] = w->mass;
		w->mass += w->w[n] * (double)(next - t);
		t = next;
		n++;
	}
	w->t0[n] = dur;
	w->m0[n] = w->mass;
	w->n = n;
	w->cur = 0;
	return 0;
}

static void
warp_free(struct warp *w)
{
	free(w->m0);
	free(w->w);
	free(w->t0);
}

/* Maps u in [0, dur] (nondecreasing across calls) to day time. */
static mtime_t
warp_map(struct warp *w, double u, double dur)
{
	double m = u / dur * w->mass;

	while (w->cur + 1 < w->n && m >= w->m0[w->cur + 1])
		w->cur++;
	return w->t0[w->cur] + (mtime_t)((m - w->m0[w->cur]) / w->w[w->cur]);
}

/* Fetches the next background flow into d->bgf / d->bgkey; clears bg_live
 * at the end of the day. */
static void
bg_fetch(struct day *d)
{
	mtime_t u, t, delta, start = d->conf.start;

	isp_next(d->isp, &d->bgf);
	u = isp_clock(d->isp) - start;
	t = warp_map(&d->warp, (double)u, (double)d->conf.duration);
	if (u >= d->conf.duration || t >= d->conf.duration) {
		d->bg_live = 0;
		return;
	}
	delta = t - u;
	d->bgf.first += delta;
	d->bgf.last += delta;
	if (d->bgf.first < start)
		d->bgf.first = start;
	if (d->bgf.last < d->bgf.first)
		d->bgf.last = d->bgf.first;
	if (d->bgf.last > start + t)
		d->bgf.last = start + t;
	if (d->bgf.first > d->bgf.last)
		d->bgf.first = d->bgf.last;
	d->bgkey = start + t;
}

/* ---- addresses ---- */

static void
nexthop_addr(int v6, unsigned idx, struct mm_addr *a)
{
	uint8_t b[16];

	memset(b, 0, sizeof(b));
	b[0] = 0x20; b[1] = 0x01; b[2] = 0x0d; b[3] = 0xb8;
	if (idx == NH_ACCESS) {
		if (!v6) {
			addr_from_v4(a, 0x6440fffeU);	/* 100.64.255.254 */
			return;
		}
		b[4] = 0x01; b[5] = 0x00; b[6] = 0xff; b[7] = 0xff;
		b[15] = 1;
		addr_from_v6(a, b);
		return;
	}
	if (!v6) {
		addr_from_v4(a, 0xc0000201U + idx);	/* 192.0.2.1+ */
		return;
	}
	b[4] = 0xff; b[5] = 0xff;
	b[15] = (uint8_t)(1 + idx);
	addr_from_v6(a, b);
}

/* C&C pool: 198.51.100.1-254, 203.0.113.1-254, 192.0.2.64-254 (192.0.2.1-4
 * are the background's next hops), shuffled by seed. */
static int
c2_pool_init(struct day *d)
{
	size_t i, j, n = 0;
	uint32_t a, t;

	if ((d->c2pool = calloc(254 + 254 + 191, sizeof(*d->c2pool))) == NULL)
		return MM_ENOMEM;
	for (a = 1; a <= 254; a++)
		d->c2pool[n++] = 0xc6336400U + a;	/* 198.51.100.0 */
	for (a = 1; a <= 254; a++)
		d->c2pool[n++] = 0xcb007100U + a;	/* 203.0.113.0 */
	for (a = 64; a <= 254; a++)
		d->c2pool[n++] = 0xc0000200U + a;	/* 192.0.2.0 */
	for (i = n - 1; i > 0; i--) {
		j = r_below(&d->rng, (uint32_t)(i + 1));
		t = d->c2pool[i];
		d->c2pool[i] = d->c2pool[j];
		d->c2pool[j] = t;
	}
	d->nc2pool = n;
	return 0;
}

static int
c2_alloc(struct day *d, int v6, struct mm_addr *a)
{
	uint8_t b[16];
	uint32_t k;

	if (!v6) {
		if (d->next_c2 >= d->nc2pool)
			return MM_ELIMIT;
		addr_from_v4(a, d->c2pool[d->next_c2++]);
		return 0;
	}
	/* 2001:db8:c2::/48, scattered low bits */
	k = ++d->next_c2v6;
	memset(b, 0, sizeof(b));
	b[0] = 0x20; b[1] = 0x01; b[2] = 0x0d; b[3] = 0xb8;
	b[4] = 0x00; b[5] = 0xc2;
	b[8] = (uint8_t)r_below(&d->rng, 256);
	b[13] = (uint8_t)(k >> 16);
	b[14] = (uint8_t)(k >> 8);
	b[15] = (uint8_t)k;
	addr_from_v6(a, b);
	return 0;
}

/* ---- configuration ---- */

static int
botnet_setup(struct day *d, size_t i, struct mm_diag *diag)
{
	const struct bntmpl *t = &bntmpls[i % NBNT];
	struct day_botnet *b = &d->bn[i];
	mtime_t dur = d->conf.duration, p;
	size_t k, j, ns, tries;
	uint32_t sub;
	double x;
	int rc;

	snprintf(b->name, sizeof(b->name), "bn%02u", (unsigned)(i + 1));
	b->family = t->family;
	b->behaviour = t->behaviour;
	b->proto = t->proto;
	b->port = t->port != 0 ? t->port :
	    (uint16_t)r_range(&d->rng, 20000, 60000);
	b->v6 = t->v6 && d->conf.v6_pct > 0;
	x = (double)t->period_s * (0.75 + 0.58 * r_unit(&d->rng));
	if (i >= NBNT)		/* later rounds: anywhere in 30 s .. 1 h */
		x = exp(log(30.0) + r_unit(&d->rng) * (log(3600.0) -
		    log(30.0)));
	if (x < 30)
		x = 30;
	if (x > 3600)
		x = 3600;
	b->period_ms = (mtime_t)x * 1000;
	b->jitter = t->jitter == 0 ? 0 :
	    t->jitter + 0.03 * r_sym(&d->rng);
	if (b->jitter < 0)
		b->jitter = 0;
	if (b->jitter > 0.30)
		b->jitter = 0.30;
	b->jitter = floor(b->jitter * 1000 + 0.5) / 1000;
	b->req_bytes = t->req_b + r_below(&d->rng, t->req_b / 4 + 1);
	b->resp_bytes = t->resp_b + r_below(&d->rng, t->resp_b / 4 + 1);
	b->req_pkts = t->req_p;
	b->resp_pkts = t->resp_p;
	if (b->behaviour == DAY_SLEEPING) {
		if (t->on_h > 0) {
			b->on_ms = t->on_h * HOUR_MS;
			b->off_ms = t->off_h * HOUR_MS;
		} else {
			b->gap_prob = 0.03;
			b->gap_lo_ms = 2 * HOUR_MS;
			b->gap_hi_ms = 8 * HOUR_MS;
		}
	}

	/* clients */
	x = (double)t->clients * (0.7 + 0.6 * r_unit(&d->rng));
	if (i >= NBNT)
		x = 1 + r_below(&d->rng, 60);
	/* fewer subscribers, fewer (but still several) infections */
	if (d->conf.subscribers < DAY_DEF_SUBSCRIBERS)
		x *= sqrt((double)d->conf.subscribers / DAY_DEF_SUBSCRIBERS);
	ns = x < 1 ? 1 : (size_t)(x + 0.5);
	if (ns > DAY_MAX_CLIENTS)
		ns = DAY_MAX_CLIENTS;
	if (ns > d->conf.subscribers)
		ns = d->conf.subscribers;
	if ((b->clients = calloc(ns, sizeof(*b->clients))) == NULL ||
	    (b->client_addrs = calloc(ns, sizeof(*b->client_addrs))) == NULL ||
	    (b->client_flows = calloc(ns, sizeof(*b->client_flows))) == NULL)
		return mm_diag_set(diag, MM_ENOMEM, "lab day: out of memory");
	for (k = 0, tries = 0; k < ns && tries < 1000000; tries++) {
		sub = r_below(&d->rng, d->conf.subscribers);
		if (b->v6 && !isp_subscriber_dual(sub, d->conf.v6_pct))
			continue;
		for (j = 0; j < k && b->clients[j] != sub; j++)
			;
		if (j < k)
			continue;
		b->clients[k] = sub;
		isp_subscriber_addr(sub, b->v6, &b->client_addrs[k]);
		k++;
	}
	b->nclients = k;
	if (k == 0)
		return mm_diag_set(diag, MM_ELIMIT, "lab day: %s: no eligible "
		    "subscriber", b->name);

	/* servers */
	if (b->behaviour == DAY_ROTATING) {
		b->rotate_ms = t->rotate_h * HOUR_MS;
		if (i >= NBNT)
			b->rotate_ms = (2 + r_below(&d->rng, 5)) * HOUR_MS;
		ns = (size_t)((dur + b->rotate_ms - 1) / b->rotate_ms);
		/* a last window too short for two beacons joins the one
		 * before */
		if (ns > 1 && dur - (mtime_t)(ns - 1) * b->rotate_ms <
		    2 * b->period_ms)
			ns--;
	} else {
		ns = t->nservers;
		if (ns > b->nclients)	/* client i uses server i mod n */
			ns = b->nclients;
	}
	if ((b->servers = calloc(ns, sizeof(*b->servers))) == NULL ||
	    (b->server_flows = calloc(ns, sizeof(*b->server_flows))) == NULL)
		return mm_diag_set(diag, MM_ENOMEM, "lab day: out of memory");
	for (k = 0; k < ns; k++) {
		if ((rc = c2_alloc(d, b->v6, &b->servers[k].addr)) != 0)
			return mm_diag_set(diag, rc, "lab day: C&C address "
			    "pool exhausted (%s); fewer botnets or a shorter "
			    "day", b->name);
		b->servers[k].port = b->port;
		b->servers[k].proto = b->proto;
		if (b->behaviour == DAY_ROTATING) {
			p = d->conf.start + (mtime_t)k * b->rotate_ms;
			b->servers[k].from = p;
			b->servers[k].to = p + b->rotate_ms < d->end &&
			    k + 1 < ns ? p + b->rotate_ms : d->end;
		} else {
			b->servers[k].from = d->conf.start;
			b->servers[k].to = d->end;
		}
	}
	b->nservers = ns;
	return 0;
}

/* Expected flows of one agent over the day (before sampling). */
static double
agent_expect(const struct day *d, const struct agent *a)
{
	double beacons, period;
	const struct day_botnet *b;

	if (a->kind == AG_PER) {
		period = (double)d->per[a->owner].period_ms;
		return 2.0 * (double)d->conf.duration / period;
	}
	b = &d->bn[a->owner];
	period = (double)b->period_ms;
	beacons = (double)d->conf.duration / period;
	if (b->on_ms > 0)
		beacons *= (double)b->on_ms / (double)(b->on_ms + b->off_ms);
	else if (b->gap_prob > 0)
		beacons /= 1.0 + b->gap_prob * (double)(b->gap_lo_ms +
		    b->gap_hi_ms) / 2.0 / period;
	return 2.0 * beacons;
}

/* Moves t out of a sleep phase of agent a (bot only). */
static mtime_t
sleep_adjust(const struct day *d, struct agent *a, mtime_t t)
{
	const struct day_botnet *b = &d->bn[a->owner];
	mtime_t cyc, pos;

	if (b->behaviour != DAY_SLEEPING)
		return t;
	if (b->on_ms > 0) {
		cyc = b->on_ms + b->off_ms;
		pos = (t - d->conf.start + a->phase) % cyc;
		if (pos >= b->on_ms)
			t += cyc - pos + (mtime_t)r_below(&a->rng,
			    (uint32_t)(b->period_ms / 2));
		return t;
	}
	if (r_unit(&a->rng) < b->gap_prob)
		t += (mtime_t)r_range(&a->rng, (uint32_t)(b->gap_lo_ms / 1000),
		    (uint32_t)(b->gap_hi_ms / 1000)) * 1000;
	return t;
}

static mtime_t
agent_period(const struct day *d, const struct agent *a, double *jitter)
{
	if (a->kind == AG_PER) {
		*jitter = d->per[a->owner].jitter;
		return d->per[a->owner].period_ms;
	}
	*jitter = d->bn[a->owner].jitter;
	return d->bn[a->owner].period_ms;
}

static int
agents_setup(struct day *d, struct mm_diag *diag)
{
	const struct pertmpl *t;
	struct day_periodic *p;
	struct agent *a;
	size_t n = 0, cap, i, k;
	uint32_t sub, id, h;
	mtime_t period;
	double jit;
	uint64_t seed;
	int dual;

	cap = 0;
	for (i = 0; i < d->nbn; i++)
		cap += d->bn[i].nclients;
	for (i = 0; i < NPER; i++)
		cap += d->conf.subscribers;	/* upper bound */
	if ((d->ag = calloc(cap ? cap : 1, sizeof(*d->ag))) == NULL)
		return mm_diag_set(diag, MM_ENOMEM, "lab day: out of memory");
	for (i = 0; i < NPER; i++) {
		t = &pertmpls[i];
		p = &d->per[i];
		p->name = t->name;
		p->proto = t->proto;
		p->port = t->port;
		p->period_ms = (mtime_t)t->period_s * 1000;
		p->jitter = t->jitter;
		p->persistent = t->persistent;
		p->nservers = t->nservers;
		for (k = 0; k < t->nservers; k++) {
			if (isp_server_pick(ISP_DEF_SERVERS, t->pool_proto,
			    t->pool_port, t->rank0 + (uint32_t)k, &id) != 0)
				id = (uint32_t)k;
			isp_server_addr(id, 0, &p->servers[k]);
		}
	}
	for (sub = 0; sub < d->conf.subscribers; sub++) {
		dual = isp_subscriber_dual(sub, d->conf.v6_pct);
		for (i = 0; i < NPER; i++) {
			h = hash32(sub * 2654435761U ^ (uint32_t)(i + 1) *
			    0x9e3779b9U ^ (uint32_t)d->conf.seed);
			if (h % 1000 >= pertmpls[i].pct)
				continue;
			a = &d->ag[n];
			a->kind = AG_PER;
			a->owner = (uint16_t)i;
			a->sub = sub;
			a->v6 = dual && ((h >> 12) & 1);
			a->srv = (uint8_t)((h >> 16) % pertmpls[i].nservers);
			d->per[i].nclients++;
			n++;
		}
	}
	for (i = 0; i < d->nbn; i++) {
		for (k = 0; k < d->bn[i].nclients; k++) {
			a = &d->ag[n++];
			a->kind = AG_BOT;
			a->owner = (uint16_t)i;
			a->sub = d->bn[i].clients[k];
			a->v6 = (uint8_t)d->bn[i].v6;
			a->cidx = (uint32_t)k;
		}
	}
	d->nag = n;
	if ((d->slot = calloc(2 * (n ? n : 1), sizeof(*d->slot))) == NULL ||
	    (d->heap = calloc(3 * n + 1, sizeof(*d->heap))) == NULL)
		return mm_diag_set(diag, MM_ENOMEM, "lab day: out of memory");
	for (i = 0; i < n; i++) {
		a = &d->ag[i];
		seed = d->conf.seed ^ (0xa0761d6478bd642fULL * (i + 1));
		a->rng = sm64(&seed);
		a->rtt = (uint16_t)exp(log(8.0) + r_unit(&a->rng) *
		    (log(260.0) - log(8.0)));
		period = agent_period(d, a, &jit);
		a->next = d->conf.start + (mtime_t)(r_unit(&a->rng) *
		    (double)period);
		a->sport = (uint16_t)r_range(&a->rng, 32768, 60999);
		if (a->kind == AG_PER && pertmpls[a->owner].proto == 17 &&
		    pertmpls[a->owner].port == 123 && (a->rng & 1))
			a->sport = 123;
		if (a->kind == AG_BOT) {
			if (d->bn[a->owner].on_ms > 0)
				a->phase = (mtime_t)r_below(&a->rng,
				    UINT32_MAX) % (d->bn[a->owner].on_ms +
				    d->bn[a->owner].off_ms);
			a->next = sleep_adjust(d, a, a->next);
		}
		if (a->next < d->end)
			heap_push(d, a->next, (uint32_t)i);
	}
	return 0;
}

struct day *
day_new(const struct day_conf *conf, struct mm_diag *diag)
{
	struct day *d;
	struct isp_conf ic;
	uint64_t x;
	double expect = 0;
	size_t i;

	if ((d = calloc(1, sizeof(*d))) == NULL) {
		mm_diag_set(diag, MM_ENOMEM, "lab day: out of memory");
		return NULL;
	}
	if (conf != NULL)
		d->conf = *conf;
	else {
		d->conf.botnets = -1;
		d->conf.v6_pct = -1;
	}
	if (d->conf.subscribers == 0)
		d->conf.subscribers = DAY_DEF_SUBSCRIBERS;
	if (d->conf.botnets < 0)
		d->conf.botnets = DAY_DEF_BOTNETS;
	if (d->conf.v6_pct < 0)
		d->conf.v6_pct = ISP_DEF_V6_PCT;
	if (d->conf.start == 0)
		d->conf.start = ISP_DEF_START;
	if (d->conf.duration == 0)
		d->conf.duration = DAY_DEF_DURATION;
	if (d->conf.sampling == 0)
		d->conf.sampling = 1;
	if (d->conf.subscribers > ISP_MAX_SUBSCRIBERS ||
	    d->conf.botnets > DAY_MAX_BOTNETS || d->conf.v6_pct > 100 ||
	    d->conf.duration < 60000 ||
	    d->conf.duration > DAY_MAX_DURATION ||
	    d->conf.sampling > DAY_MAX_SAMPLING || d->conf.start < 0) {
		mm_diag_set(diag, MM_EINVAL, "lab day: bad configuration "
		    "(subscribers <= %d, botnets <= %d, duration 1m..31d, "
		    "sampling <= %d)", ISP_MAX_SUBSCRIBERS, DAY_MAX_BOTNETS,
		    DAY_MAX_SAMPLING);
		free(d);
		return NULL;
	}
	d->end = d->conf.start + d->conf.duration;
	x = d->conf.seed ^ 0x6c616264617931ULL;		/* "labday1" */
	d->rng = sm64(&x);
	x = d->conf.seed ^ 0x73616d706c6531ULL;		/* "sample1" */
	d->srng = sm64(&x);
	if (d->conf.sampling > 1) {
		d->sthr = UINT64_MAX / d->conf.sampling;
		d->slq = log1p(-1.0 / (double)d->conf.sampling);
	}
	if (c2_pool_init(d) != 0) {
		mm_diag_set(diag, MM_ENOMEM, "lab day: out of memory");
		goto fail;
	}
	d->nbn = (size_t)d->conf.botnets;
	for (i = 0; i < d->nbn; i++)
		if (botnet_setup(d, i, diag) != 0)
			goto fail;
	if (agents_setup(d, diag) != 0)
		goto fail;
	for (i = 0; i < d->nag; i++)
		expect += agent_expect(d, &d->ag[i]);
	if (d->conf.flows == 0)
		d->bg_target = (uint64_t)((double)DAY_DEF_BG_PER_SUB *
		    d->conf.subscribers * (double)d->conf.duration /
		    (double)DAY_DEF_DURATION);
	else
		d->bg_target = expect >= (double)d->conf.flows ? 0 :
		    d->conf.flows - (uint64_t)expect;
	if (d->conf.no_background)
		d->bg_target = 0;
	if (d->bg_target > 0) {
		memset(&ic, 0, sizeof(ic));
		ic.seed = d->conf.seed ^ 0x69737062ULL;
		ic.subscribers = d->conf.subscribers;
		ic.v6_pct = d->conf.v6_pct;
		ic.start = d->conf.start - ISP_WARMUP_MS;
		ic.flows_per_sec = (double)d->bg_target * 1000.0 /
		    (double)d->conf.duration;
		if (ic.flows_per_sec > 1e9 ||
		    (d->isp = isp_new(&ic)) == NULL) {
			mm_diag_set(diag, MM_EINVAL, "lab day: background: "
			    "bad rate %.0f flows/s", ic.flows_per_sec);
			goto fail;
		}
		if (warp_init(&d->warp, d->conf.start, d->conf.duration)
		    != 0) {
			mm_diag_set(diag, MM_ENOMEM, "lab day: out of memory");
			goto fail;
		}
		d->bg_live = 1;
		bg_fetch(d);
	}
	return d;
fail:
	day_free(d);
	return NULL;
}

void
day_free(struct day *d)
{
	size_t i;

	if (d == NULL)
		return;
	for (i = 0; i < d->nbn; i++) {
		free(d->bn[i].servers);
		free(d->bn[i].server_flows);
		free(d->bn[i].clients);
		free(d->bn[i].client_addrs);
		free(d->bn[i].client_flows);
	}
	free(d->ag);
	free(d->slot);
	free(d->heap);
	free(d->c2pool);
	isp_free(d->isp);
	warp_free(&d->warp);
	free(d);
}

const struct day_conf *
day_conf(const struct day *d)
{
	return &d->conf;
}

const struct day_botnet *
day_botnets(const struct day *d, size_t *n)
{
	*n = d->nbn;
	return d->bn;
}

const struct day_periodic *
day_periodics(const struct day *d, size_t *n)
{
	*n = NPER;
	return d->per;
}

void
day_counters(const struct day *d, struct day_counters *c)
{
	*c = d->c;
}

/* ---- beacons ---- */

/* Fills the request (slot 0) and response (slot 1) flows of one exchange. */
static void
pair_fill(struct day *d, struct agent *a, struct flow *q, struct flow *r,
    const struct mm_addr *srv, uint32_t srv_as, uint8_t proto,
    uint16_t dport, mtime_t t, mtime_t dur)
{
	unsigned access = a->sub % N_ACCESS_IF, up = srv_as % N_UPLINKS;

	memset(q, 0, sizeof(*q));
	isp_subscriber_addr(a->sub, a->v6, &q->src);
	q->dst = *srv;
	q->src_port = a->sport;
	q->dst_port = dport;
	q->proto = proto;
	q->first = t;
	q->last = t + dur;
	q->src_as = OWN_AS;
	q->dst_as = srv_as;
	q->in_if = 100 + access;
	q->out_if = 1 + up;
	q->src_mask = a->v6 ? 48 : 16;
	q->dst_mask = a->v6 ? 48 : 24;
	nexthop_addr(a->v6, up, &q->nexthop);
	q->direction = FLOW_DIR_INGRESS;
	q->vlan = (uint16_t)(100 + a->sub % 200);
	q->sampling = 1;

	*r = *q;
	r->src = q->dst;
	r->dst = q->src;
	r->src_port = q->dst_port;
	r->dst_port = q->src_port;
	r->src_as = q->dst_as;
	r->dst_as = q->src_as;
	r->in_if = q->out_if;
	r->out_if = q->in_if;
	r->src_mask = q->dst_mask;
	r->dst_mask = q->src_mask;
	nexthop_addr(a->v6, NH_ACCESS, &r->nexthop);
	r->direction = FLOW_DIR_EGRESS;
	r->first = t + (dur > 0 ? (a->rtt < dur ? a->rtt : dur) : 0);
	r->last = q->last > r->first ? q->last - (dur > 2 ? 1 : 0) : r->first;
	if (r->last < r->first)
		r->last = r->first;
	(void)d;
}

/* One exchange of agent ai at a->next into its slots, whose export times
 * go to *k1, *k2. Returns the number of flows (2, or 1 for a beacon that
 * got no answer: request only, key *k1), or -1 when it would end after the
 * day. */
static int
agent_fire(struct day *d, uint32_t ai, mtime_t *k1, mtime_t *k2)
{
	struct agent *a = &d->ag[ai];
	struct flow *q = &d->slot[2 * ai], *r = &d->slot[2 * ai + 1];
	const struct day_botnet *b;
	const struct pertmpl *pt;
	const struct mm_addr *srv;
	struct mm_addr s6;
	mtime_t t = a->next, dur;
	uint32_t srv_as, reqb, respb, reqp, respp, x;
	uint8_t proto, fl;
	uint16_t dport;
	size_t si;
	int persistent = 0, noanswer = 0;

	if (a->kind == AG_BOT) {
		b = &d->bn[a->owner];
		if (b->behaviour == DAY_ROTATING)
			si = (size_t)((t - d->conf.start) / b->rotate_ms);
		else
			si = a->cidx % b->nservers;
		if (si >= b->nservers)
			si = b->nservers - 1;
		a->si = (uint32_t)si;
		srv = &b->servers[si].addr;
		srv_as = 64512 + hash32(si * 977 + a->owner * 7919 +
		    (uint32_t)d->conf.seed) % 1000;
		proto = b->proto;
		dport = b->port;
		reqb = b->req_bytes + r_below(&a->rng, b->req_bytes / 50 + 1);
		respb = b->resp_bytes + r_below(&a->rng,
		    b->resp_bytes / 50 + 1);
		reqp = b->req_pkts;
		respp = b->resp_pkts;
		if (r_below(&a->rng, 100) < 2) {	/* tasking */
			x = r_range(&a->rng, 3, 20);
			respb *= x;
			respp += respb / 1400;
			reqp += 1;
		}
		noanswer = r_below(&a->rng, 100) == 0;	/* server silent */
	} else {
		pt = &pertmpls[a->owner];
		srv = &d->per[a->owner].servers[a->srv];
		srv_as = isp_server_as(addr_v4(srv) - 0xc6120001U);
		if (a->v6) {
			isp_server_addr(addr_v4(srv) - 0xc6120001U, 1, &s6);
			srv = &s6;
		}
		proto = pt->proto;
		dport = pt->port;
		persistent = pt->persistent;
		reqb = pt->req_b + r_below(&a->rng, pt->req_b / 50 + 1);
		respb = pt->resp_b + r_below(&a->rng, pt->resp_b / 50 + 1);
		reqp = pt->req_p;
		respp = pt->resp_p;
		if (persistent && t >= a->conn_until) {
			/* reconnect: new source port, handshake */
			if (a->conn_until != 0)
				a->sport = (uint16_t)r_range(&a->rng, 32768,
				    60999);
			a->conn_until = t + (mtime_t)r_range(&a->rng, 7200,
			    28800) * 1000;
		}
	}
	if (proto == 6 && noanswer)
		dur = 1000;			/* SYN, one retransmission */
	else if (proto == 6)
		dur = persistent ? a->rtt : (mtime_t)a->rtt *
		    (2 + (reqp + respp) / 6) + r_below(&a->rng, 40);
	else
		dur = 0;
	if (t + dur >= d->end)
		return -1;
	if (!persistent && proto != 17 && a->kind == AG_PER)
		a->sport = (uint16_t)r_range(&a->rng, 32768, 60999);
	else if (a->kind == AG_BOT && !(proto == 17 && a->cidx % 2))
		a->sport = (uint16_t)(a->sport >= 60999 ? 32768 :
		    a->sport + 1 + r_below(&a->rng, 3));
	pair_fill(d, a, q, r, srv, srv_as, proto, dport, t, dur);
	q->packets = reqp;
	q->bytes = reqb;
	r->packets = respp;
	r->bytes = respb;
	if (proto == 6) {
		fl = persistent ? 0x18 : 0x1b;		/* PSH ACK [SYN FIN] */
		q->tcp_flags = fl;
		r->tcp_flags = fl;
	}
	if (a->kind == AG_BOT)
		d->bn[a->owner].beacons++;
	*k1 = q->last + DAY_INACTIVE_MS + r_below(&a->rng, 1000);
	if (noanswer) {
		if (proto == 6) {
			q->packets = 2;
			q->bytes = a->v6 ? 160 : 120;
			q->tcp_flags = 0x02;
		}
		a->hold = *k1 + 1;
		return 1;
	}
	*k2 = r->last + DAY_INACTIVE_MS + r_below(&a->rng, 1000);
	a->hold = (*k1 > *k2 ? *k1 : *k2) + 1;
	return 2;
}

/* Schedules agent ai's next exchange after one at `t`. Returns the new
 * start, or -1 when none fits in the day. */
static mtime_t
agent_schedule(struct day *d, uint32_t ai, mtime_t t)
{
	struct agent *a = &d->ag[ai];
	double jit;
	mtime_t period = agent_period(d, a, &jit), next;

	next = t + (mtime_t)((double)period * (1.0 + jit * r_sym(&a->rng)));
	if (a->kind == AG_BOT)
		next = sleep_adjust(d, a, next);
	if (next < a->hold)
		next = a->hold;
	return next < d->end ? next : -1;
}

/* Thins f by 1-in-N packet sampling. Returns 0 when nothing is left. */
static int
sample_flow(struct day *d, struct flow *f)
{
	uint64_t n = f->packets, k = 0, i, pos;
	double p, mean, sd, z;

	if (d->conf.sampling <= 1)
		return 1;
	p = 1.0 / (double)d->conf.sampling;
	if (n <= 8) {
		for (i = 0; i < n; i++)
			k += sm64(&d->srng) < d->sthr;
	} else if ((double)n * p < 20) {
		for (pos = 0;;) {
			pos += (uint64_t)floor(log(r_unit(&d->srng)) / d->slq)
			    + 1;
			if (pos > n)
				break;
			k++;
		}
	} else {
		mean = (double)n * p;
		sd = sqrt(mean * (1 - p));
		z = sqrt(-2.0 * log(r_unit(&d->srng))) *
		    cos(6.283185307179586 * r_unit(&d->srng));
		z = floor(mean + sd * z + 0.5);
		k = z < 0 ? 0 : z > (double)n ? n : (uint64_t)z;
	}
	if (k == 0) {
		d->c.sampled_out++;
		return 0;
	}
	f->bytes = (uint64_t)((double)f->bytes * (double)k / (double)n + 0.5);
	if (f->bytes < k)
		f->bytes = k;
	f->packets = k;
	f->sampling = d->conf.sampling;
	return 1;
}

static void
count(struct day *d, const struct flow *f)
{
	d->c.flows++;
	d->c.packets += f->packets;
	d->c.bytes += f->bytes;
}

int
day_next(struct day *d, struct flow *f, mtime_t *export_ms)
{
	struct hent top;
	struct agent *a;
	uint32_t ai;
	mtime_t k1, k2 = 0;
	int nf;

	for (;;) {
		if (d->bg_live && (d->nheap == 0 ||
		    d->bgkey <= d->heap[0].key)) {
			*f = d->bgf;
			*export_ms = d->bgkey;
			bg_fetch(d);
			if (!sample_flow(d, f))
				continue;
			d->c.background++;
			count(d, f);
			return 1;
		}
		if (d->nheap == 0)
			return 0;
		top = d->heap[0];
		if (top.id >= d->nag) {
			heap_pop(d);
			*f = d->slot[top.id - d->nag];
			*export_ms = top.key;
			a = &d->ag[(top.id - d->nag) / 2];
			if (!sample_flow(d, f))
				continue;
			if (a->kind == AG_BOT) {
				d->bn[a->owner].flows++;
				d->bn[a->owner].server_flows[a->si]++;
				d->bn[a->owner].client_flows[a->cidx]++;
				d->c.botnet++;
			} else {
				d->per[a->owner].flows++;
				d->c.periodic++;
			}
			count(d, f);
			return 1;
		}
		ai = top.id;
		if ((nf = agent_fire(d, ai, &k1, &k2)) < 0) {
			heap_pop(d);
			continue;
		}
		a = &d->ag[ai];
		a->next = agent_schedule(d, ai, top.key);
		if (a->next < 0)
			heap_pop(d);
		else
			heap_rekey_top(d, a->next);
		heap_push(d, k1, (uint32_t)(d->nag + 2 * ai));
		if (nf == 2)
			heap_push(d, k2, (uint32_t)(d->nag + 2 * ai + 1));
	}
}

/* ---- truth ---- */

static const char *
behaviour_name(enum day_behaviour b)
{
	switch (b) {
	case DAY_SLEEPING:
		return "sleeping";
	case DAY_ROTATING:
		return "rotating";
	default:
		return "steady";
	}
}

static void
json_time(FILE *fp, const char *key, mtime_t t, int comma)
{
	char buf[MTIME_STRLEN];

	fprintf(fp, "\"%s\":\"%s\"%s", key, mtime_fmt(t, 0, buf, sizeof(buf)),
	    comma ? "," : "");
}

static void
truth_botnet(FILE *fp, const struct day_botnet *b)
{
	char a[ADDR_STRLEN];
	size_t i, n;

	fprintf(fp, "{\"name\":\"%s\",\"family\":\"%s\",\"behaviour\":\"%s\","
	    "\"proto\":%u,\"port\":%u,\"ipv6\":%s,\"period_s\":%lld,"
	    "\"jitter\":%.3f,\"payload_bytes\":[%u,%u],\"packets\":[%u,%u],",
	    b->name, b->family, behaviour_name(b->behaviour), b->proto,
	    b->port, b->v6 ? "true" : "false",
	    (long long)(b->period_ms / 1000), b->jitter, b->req_bytes,
	    b->resp_bytes, b->req_pkts, b->resp_pkts);
	if (b->on_ms > 0)
		fprintf(fp, "\"sleep\":{\"mode\":\"cycle\",\"on_s\":%lld,"
		    "\"off_s\":%lld},", (long long)(b->on_ms / 1000),
		    (long long)(b->off_ms / 1000));
	else if (b->gap_prob > 0)
		fprintf(fp, "\"sleep\":{\"mode\":\"gaps\",\"gap_prob\":%.3f,"
		    "\"gap_s\":[%lld,%lld]},", b->gap_prob,
		    (long long)(b->gap_lo_ms / 1000),
		    (long long)(b->gap_hi_ms / 1000));
	if (b->rotate_ms > 0)
		fprintf(fp, "\"rotate_s\":%lld,",
		    (long long)(b->rotate_ms / 1000));
	fprintf(fp, "\"beacons\":%llu,\"flows\":%llu,\"planted_servers\":%zu,"
	    "\"planted_clients\":%zu,\n   \"servers\":[",
	    (unsigned long long)b->beacons, (unsigned long long)b->flows,
	    b->nservers, b->nclients);
	for (i = 0, n = 0; i < b->nservers; i++) {
		if (b->server_flows[i] == 0)
			continue;
		fprintf(fp, "%s{\"addr\":\"%s\",\"port\":%u,\"proto\":%u,"
		    "\"flows\":%llu,", n++ ? "," : "",
		    addr_fmt(&b->servers[i].addr, a, sizeof(a)),
		    b->servers[i].port, b->servers[i].proto,
		    (unsigned long long)b->server_flows[i]);
		json_time(fp, "active_from", b->servers[i].from, 1);
		json_time(fp, "active_to", b->servers[i].to, 0);
		fprintf(fp, "}");
	}
	fprintf(fp, "],\n   \"clients\":[");
	for (i = 0, n = 0; i < b->nclients; i++)
		if (b->client_flows[i] > 0)
			fprintf(fp, "%s\"%s\"", n++ ? "," : "",
			    addr_fmt(&b->client_addrs[i], a, sizeof(a)));
	fprintf(fp, "],\n   \"client_flows\":[");
	for (i = 0, n = 0; i < b->nclients; i++)
		if (b->client_flows[i] > 0)
			fprintf(fp, "%s%llu", n++ ? "," : "",
			    (unsigned long long)b->client_flows[i]);
	fprintf(fp, "]}");
}

static void
truth_periodic(FILE *fp, const struct day_periodic *p)
{
	char a[ADDR_STRLEN];
	size_t i;

	fprintf(fp, "{\"name\":\"%s\",\"proto\":%u,\"port\":%u,"
	    "\"period_s\":%lld,\"jitter\":%.3f,\"persistent\":%s,"
	    "\"clients\":%zu,\"flows\":%llu,\"servers\":[", p->name, p->proto,
	    p->port, (long long)(p->period_ms / 1000), p->jitter,
	    p->persistent ? "true" : "false", p->nclients,
	    (unsigned long long)p->flows);
	for (i = 0; i < p->nservers; i++)
		fprintf(fp, "%s\"%s\"", i ? "," : "",
		    addr_fmt(&p->servers[i], a, sizeof(a)));
	fprintf(fp, "]}");
}

int
day_truth_json(const struct day *d, char **out, size_t *len)
{
	FILE *fp;
	size_t i;

	*out = NULL;
	*len = 0;
	if ((fp = open_memstream(out, len)) == NULL)
		return MM_ENOMEM;
	fprintf(fp, "{\"generator\":\"mamori lab flows\",\"version\":1,"
	    "\"seed\":%llu,", (unsigned long long)d->conf.seed);
	json_time(fp, "start", d->conf.start, 1);
	json_time(fp, "end", d->end, 1);
	fprintf(fp, "\n \"internal\":[\"100.64.0.0/10\",\"2001:db8:100::/40\"],"
	    "\"subscribers\":%u,\"v6_pct\":%d,\n"
	    " \"background_servers\":%d,\"background_prefixes\":"
	    "[\"198.18.0.0/15\",\"2001:db8:f000::/36\"],\n"
	    " \"c2_prefixes\":[\"198.51.100.0/24\",\"203.0.113.0/24\","
	    "\"192.0.2.64/26\",\"192.0.2.128/25\",\"2001:db8:c2::/48\"],\n"
	    " \"sampling\":%u,\"flows\":%llu,\"botnet_flows\":%llu,\n"
	    " \"botnets\":[\n", d->conf.subscribers, d->conf.v6_pct,
	    ISP_DEF_SERVERS, d->conf.sampling,
	    (unsigned long long)d->c.flows, (unsigned long long)d->c.botnet);
	for (i = 0; i < d->nbn; i++) {
		fprintf(fp, "  ");
		truth_botnet(fp, &d->bn[i]);
		fprintf(fp, "%s\n", i + 1 < d->nbn ? "," : "");
	}
	fprintf(fp, " ],\n \"benign_periodic\":[\n");
	for (i = 0; i < NPER; i++) {
		fprintf(fp, "  ");
		truth_periodic(fp, &d->per[i]);
		fprintf(fp, "%s\n", i + 1 < NPER ? "," : "");
	}
	fprintf(fp, " ]\n}\n");
	if (fclose(fp) != 0 || *out == NULL) {
		free(*out);
		*out = NULL;
		*len = 0;
		return MM_ENOMEM;
	}
	return 0;
}
