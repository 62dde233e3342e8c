/*
 * test_day.c - the labelled ISP day generator (lab/day.h) and the sampling
 * fields of the flow exporter (flow/export.h).
 *
 * Each test generates a small day (a few hundred subscribers, hours not a
 * whole day) into memory and checks properties, never timings:
 * determinism by seed; export-time order and the day's bounds; the truth
 * against the flows (every client beacons to its servers at the declared
 * period within jitter, sleeping and rotating botnets show their gaps and
 * server windows, C&C addresses are disjoint from the background and carry
 * only botnet flows); 1-in-N sampling thins packets by ~1/N; sampled flows
 * exported as v9 and IPFIX decode with their rate; the truth is JSON.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/addr.h"
#include "flow/decode.h"
#include "flow/export.h"
#include "lab/day.h"
#include "lab/isp.h"

#define HOUR	(3600 * 1000LL)

struct gen {
	struct flow	*f;
	mtime_t		*key;
	size_t		 n, cap;
};

static void
gen_run(struct day *d, struct gen *g)
{
	struct flow f;
	mtime_t k;

	memset(g, 0, sizeof(*g));
	while (day_next(d, &f, &k) == 1) {
		if (g->n == g->cap) {
			g->cap = g->cap ? g->cap * 2 : 4096;
			g->f = realloc(g->f, g->cap * sizeof(*g->f));
			g->key = realloc(g->key, g->cap * sizeof(*g->key));
			assert_non_null(g->f);
			assert_non_null(g->key);
		}
		g->f[g->n] = f;
		g->key[g->n] = k;
		g->n++;
	}
}

static void
gen_free(struct gen *g)
{
	free(g->f);
	free(g->key);
	memset(g, 0, sizeof(*g));
}

static void
conf_small(struct day_conf *c, uint64_t seed, mtime_t hours)
{
	memset(c, 0, sizeof(*c));
	c->seed = seed;
	c->subscribers = 400;
	c->botnets = -1;
	c->v6_pct = -1;
	c->duration = hours * HOUR;
}

static int
flow_eq(const struct flow *a, const struct flow *b)
{
	return a->first == b->first && a->last == b->last &&
	    addr_cmp(&a->src, &b->src) == 0 &&
	    addr_cmp(&a->dst, &b->dst) == 0 &&
	    addr_cmp(&a->nexthop, &b->nexthop) == 0 &&
	    a->packets == b->packets && a->bytes == b->bytes &&
	    a->src_as == b->src_as && a->dst_as == b->dst_as &&
	    a->in_if == b->in_if && a->out_if == b->out_if &&
	    a->sampling == b->sampling && a->src_port == b->src_port &&
	    a->dst_port == b->dst_port && a->vlan == b->vlan &&
	    a->proto == b->proto && a->tcp_flags == b->tcp_flags &&
	    a->tos == b->tos && a->direction == b->direction &&
	    a->src_mask == b->src_mask && a->dst_mask == b->dst_mask;
}

static void
test_determinism(void **state)
{
	struct day_conf c;
	struct day *d1, *d2, *d3;
	struct gen g1, g2, g3;
	size_t i, same = 0;

	(void)state;
	conf_small(&c, 7, 3);
	assert_non_null(d1 = day_new(&c, NULL));
	assert_non_null(d2 = day_new(&c, NULL));
	c.seed = 8;
	assert_non_null(d3 = day_new(&c, NULL));
	gen_run(d1, &g1);
	gen_run(d2, &g2);
	gen_run(d3, &g3);
	assert_true(g1.n > 1000);
	assert_int_equal(g1.n, g2.n);
	for (i = 0; i < g1.n; i++) {
		assert_true(flow_eq(&g1.f[i], &g2.f[i]));
		assert_int_equal(g1.key[i], g2.key[i]);
	}
	for (i = 0; i < g1.n && i < g3.n; i++)
		same += flow_eq(&g1.f[i], &g3.f[i]);
	assert_true(same < g1.n / 10);
	gen_free(&g1);
	gen_free(&g2);
	gen_free(&g3);
	day_free(d1);
	day_free(d2);
	day_free(d3);
}

static void
test_order_and_bounds(void **state)
{
	struct day_conf c;
	const struct day_conf *ec;
	struct day_counters cnt;
	struct day *d;
	struct gen g;
	struct mm_prefix in4, in6;
	size_t i;

	(void)state;
	conf_small(&c, 3, 4);
	c.start = 1767225600000LL + 13 * HOUR;	/* not at midnight */
	assert_non_null(d = day_new(&c, NULL));
	ec = day_conf(d);
	gen_run(d, &g);
	assert_int_equal(prefix_parse("100.64.0.0/10", &in4), 0);
	assert_int_equal(prefix_parse("2001:db8:100::/40", &in6), 0);
	for (i = 0; i < g.n; i++) {
		assert_true(g.f[i].first >= ec->start);
		assert_true(g.f[i].first <= g.f[i].last);
		assert_true(g.f[i].last < ec->start + ec->duration);
		assert_true(g.key[i] >= g.f[i].last);
		if (i > 0)
			assert_true(g.key[i] >= g.key[i - 1]);
		/* one end is always a subscriber */
		assert_true(prefix_contains(&in4, &g.f[i].src) ||
		    prefix_contains(&in6, &g.f[i].src) ||
		    prefix_contains(&in4, &g.f[i].dst) ||
		    prefix_contains(&in6, &g.f[i].dst));
		assert_int_equal(g.f[i].sampling, 1);
	}
	day_counters(d, &cnt);
	assert_int_equal(cnt.flows, g.n);
	assert_true(cnt.background > 0 && cnt.periodic > 0 && cnt.botnet > 0);
	assert_int_equal(cnt.background + cnt.periodic + cnt.botnet, cnt.flows);
	gen_free(&g);
	day_free(d);
}

/* Index of the botnet server `a` in b, or -1. */
static int
server_of(const struct day_botnet *b, const struct mm_addr *a)
{
	size_t i;

	for (i = 0; i < b->nservers; i++)
		if (addr_cmp(&b->servers[i].addr, a) == 0)
			return (int)i;
	return -1;
}

static int
cmp_mtime(const void *a, const void *b)
{
	mtime_t x = *(const mtime_t *)a, y = *(const mtime_t *)b;

	return x < y ? -1 : x > y;
}

/* Checks one botnet against the flows: returns nothing, asserts. */
static void
check_botnet(const struct day_botnet *b, const struct gen *g,
    const struct day_conf *ec)
{
	mtime_t *t, lo, hi, gap, maxgap;
	size_t i, k, n, nt, resp, *per_srv, tot_req = 0, tot_resp = 0;
	int s, long_gaps = 0;

	per_srv = calloc(b->nservers, sizeof(*per_srv));
	t = calloc(g->n, sizeof(*t));
	assert_non_null(per_srv);
	assert_non_null(t);
	lo = (mtime_t)((double)b->period_ms * (1.0 - b->jitter)) - 1;
	hi = (mtime_t)((double)b->period_ms * (1.0 + b->jitter)) + 1;
	for (k = 0; k < b->nclients; k++) {
		nt = 0;
		resp = 0;
		for (i = 0; i < g->n; i++) {
			const struct flow *f = &g->f[i];

			if (addr_cmp(&f->src, &b->client_addrs[k]) == 0 &&
			    (s = server_of(b, &f->dst)) >= 0) {
				assert_int_equal(f->dst_port, b->port);
				assert_int_equal(f->proto, b->proto);
				assert_true(f->first >= b->servers[s].from);
				assert_true(f->first < b->servers[s].to);
				if (b->behaviour != DAY_ROTATING)
					assert_int_equal((size_t)s,
					    k % b->nservers);
				if (f->tcp_flags == 0x02)	/* no answer */
					assert_int_equal(f->packets, 2);
				else
					assert_true(f->bytes >= b->req_bytes &&
					    f->bytes <= b->req_bytes +
					    b->req_bytes / 50 + 1);
				per_srv[s]++;
				t[nt++] = f->first;
			} else if (addr_cmp(&f->dst,
			    &b->client_addrs[k]) == 0 &&
			    server_of(b, &f->src) >= 0)
				resp++;
		}
		assert_true(nt > 0);
		/* 1 % of beacons get no answer */
		assert_true(resp <= nt && (resp + 1) * 10 >= nt * 8);
		tot_req += nt;
		tot_resp += resp;
		qsort(t, nt, sizeof(*t), cmp_mtime);
		maxgap = 0;
		for (n = 1; n < nt; n++) {
			gap = t[n] - t[n - 1];
			if (gap > maxgap)
				maxgap = gap;
			/* never faster than period - jitter */
			assert_true(gap >= lo);
			if (b->behaviour != DAY_SLEEPING)
				assert_true(gap <= hi);
			else if (gap > hi)
				long_gaps++;
		}
		(void)maxgap;
		(void)ec;
	}
	if (b->behaviour == DAY_SLEEPING && b->on_ms > 0)
		assert_true(long_gaps > 0);
	if (tot_req >= 2000)
		assert_true(tot_resp < tot_req);
	if (b->behaviour == DAY_ROTATING) {
		assert_true(b->nservers >= 2);
		for (i = 0; i < b->nservers; i++)
			assert_true(per_srv[i] > 0);
	}
	free(per_srv);
	free(t);
}

static void
test_truth_consistency(void **state)
{
	struct day_conf c;
	const struct day_botnet *bn;
	struct day_counters cnt;
	struct day *d;
	struct gen g;
	struct mm_prefix bg4, bg6, in4, in6;
	size_t nb, i, j, k, ge5 = 0, on_c2;
	int seen[4] = { 0, 0, 0, 0 };
	uint64_t flows = 0;

	(void)state;
	conf_small(&c, 11, 12);
	c.subscribers = 1500;
	assert_non_null(d = day_new(&c, NULL));
	gen_run(d, &g);
	bn = day_botnets(d, &nb);
	assert_int_equal(nb, DAY_DEF_BOTNETS);
	assert_int_equal(prefix_parse("198.18.0.0/15", &bg4), 0);
	assert_int_equal(prefix_parse("2001:db8:f000::/36", &bg6), 0);
	assert_int_equal(prefix_parse("100.64.0.0/10", &in4), 0);
	assert_int_equal(prefix_parse("2001:db8:100::/40", &in6), 0);
	for (i = 0; i < nb; i++) {
		seen[bn[i].behaviour]++;
		assert_true(bn[i].period_ms >= 30000 &&
		    bn[i].period_ms <= 3600000);
		assert_true(bn[i].jitter >= 0 && bn[i].jitter <= 0.3);
		assert_true(bn[i].nclients >= 1 &&
		    bn[i].nclients <= DAY_MAX_CLIENTS);
		ge5 += bn[i].nclients >= 5;
		for (k = 0; k < bn[i].nclients; k++)
			assert_true(prefix_contains(&in4,
			    &bn[i].client_addrs[k]) ||
			    prefix_contains(&in6, &bn[i].client_addrs[k]));
		/* C&C servers: outside the background, all distinct */
		for (k = 0; k < bn[i].nservers; k++) {
			assert_false(prefix_contains(&bg4,
			    &bn[i].servers[k].addr));
			assert_false(prefix_contains(&bg6,
			    &bn[i].servers[k].addr));
			for (j = 0; j < nb; j++)
				assert_true(server_of(&bn[j],
				    &bn[i].servers[k].addr) == (j == i ?
				    (int)k : -1));
		}
		flows += bn[i].flows;
		check_botnet(&bn[i], &g, day_conf(d));
	}
	assert_true(ge5 >= 3);
	assert_true(seen[DAY_STEADY] > 0 && seen[DAY_SLEEPING] > 0 &&
	    seen[DAY_ROTATING] > 0);
	/* only botnet flows touch C&C addresses */
	on_c2 = 0;
	for (i = 0; i < g.n; i++)
		for (j = 0; j < nb; j++)
			if (server_of(&bn[j], &g.f[i].src) >= 0 ||
			    server_of(&bn[j], &g.f[i].dst) >= 0) {
				on_c2++;
				break;
			}
	day_counters(d, &cnt);
	assert_int_equal(on_c2, flows);
	assert_int_equal(cnt.botnet, flows);
	gen_free(&g);
	day_free(d);
}

static void
test_sleep_gaps(void **state)
{
	struct day_conf c;
	const struct day_botnet *bn;
	struct day *d;
	struct gen g;
	size_t nb, i, k, n, found = 0;
	mtime_t prev;

	(void)state;
	conf_small(&c, 5, 24);
	c.no_background = 1;
	assert_non_null(d = day_new(&c, NULL));
	gen_run(d, &g);
	bn = day_botnets(d, &nb);
	for (i = 0; i < nb; i++) {
		if (bn[i].behaviour != DAY_SLEEPING || bn[i].gap_prob == 0)
			continue;
		/* some client goes silent for >= gap_lo */
		for (k = 0; k < bn[i].nclients; k++) {
			prev = -1;
			for (n = 0; n < g.n; n++) {
				if (addr_cmp(&g.f[n].src,
				    &bn[i].client_addrs[k]) != 0 ||
				    server_of(&bn[i], &g.f[n].dst) < 0)
					continue;
				if (prev >= 0 && g.f[n].first - prev >=
				    bn[i].gap_lo_ms)
					found++;
				prev = g.f[n].first;
			}
		}
		assert_true(found > 0);
	}
	gen_free(&g);
	day_free(d);
}

static void
test_sampling(void **state)
{
	struct day_conf c;
	struct day *d1, *d2;
	struct day_counters c1, c2;
	struct gen g1, g2;
	size_t i;
	double ratio;

	(void)state;
	conf_small(&c, 21, 3);
	assert_non_null(d1 = day_new(&c, NULL));
	c.sampling = 100;
	assert_non_null(d2 = day_new(&c, NULL));
	gen_run(d1, &g1);
	gen_run(d2, &g2);
	day_counters(d1, &c1);
	day_counters(d2, &c2);
	for (i = 0; i < g2.n; i++) {
		assert_int_equal(g2.f[i].sampling, 100);
		assert_true(g2.f[i].packets >= 1);
		assert_true(g2.f[i].bytes >= g2.f[i].packets);
		if (i > 0)
			assert_true(g2.key[i] >= g2.key[i - 1]);
	}
	/* same flows before thinning: kept + dropped = unsampled */
	assert_int_equal(c2.flows + c2.sampled_out, c1.flows);
	assert_true(c2.flows < c1.flows / 2);
	ratio = (double)c2.packets * 100.0 / (double)c1.packets;
	print_message("sampling 1/100: flows %llu -> %llu, packets ratio*N "
	    "%.3f\n", (unsigned long long)c1.flows,
	    (unsigned long long)c2.flows, ratio);
	assert_true(ratio > 0.9 && ratio < 1.1);
	gen_free(&g1);
	gen_free(&g2);
	day_free(d1);
	day_free(d2);
}

struct rt {
	size_t		n, bad;
	uint32_t	want;
};

static int
rt_flow(void *arg, const struct flow *f)
{
	struct rt *rt = arg;

	rt->n++;
	if (f->sampling != rt->want)
		rt->bad++;
	return 0;
}

struct rt_dec {
	struct decoder	*dec;
	struct rt	*rt;
	size_t		 errors;
};

static int
rt_emit(void *arg, const uint8_t *buf, size_t len, mtime_t now)
{
	struct rt_dec *d = arg;
	struct mm_addr from;

	addr_from_v4(&from, 0x7f000001U);
	if (decoder_datagram(d->dec, &from, 50000, now, buf, len, rt_flow,
	    d->rt, NULL) != 0)
		d->errors++;
	return 0;
}

static void
test_export_sampling(void **state)
{
	static const enum export_format fmts[] = { EXPORT_NFV9, EXPORT_IPFIX };
	struct day_conf c;
	struct export_conf ec;
	struct flow_exporter *e;
	struct day *d;
	struct flow f;
	struct rt rt;
	struct rt_dec rd;
	mtime_t k = 0;
	size_t i, n;

	(void)state;
	for (i = 0; i < 2; i++) {
		conf_small(&c, 4, 1);
		c.sampling = 64;
		assert_non_null(d = day_new(&c, NULL));
		memset(&ec, 0, sizeof(ec));
		ec.sampling_fields = 1;
		assert_non_null(e = exporter_new(fmts[i], &ec));
		memset(&rt, 0, sizeof(rt));
		rt.want = 64;
		rd.dec = decoder_new(NULL);
		assert_non_null(rd.dec);
		rd.rt = &rt;
		rd.errors = 0;
		n = 0;
		while (day_next(d, &f, &k) == 1) {
			assert_int_equal(exporter_add(e, &f, k, rt_emit, &rd),
			    0);
			n++;
		}
		assert_int_equal(exporter_flush(e, k, rt_emit, &rd), 0);
		assert_true(n > 100);
		assert_int_equal(rd.errors, 0);
		assert_int_equal(rt.n, n);
		assert_int_equal(rt.bad, 0);
		decoder_free(rd.dec);
		exporter_free(e);
		day_free(d);
	}
}

static void
test_truth_json(void **state)
{
	struct day_conf c;
	struct day *d;
	struct gen g;
	char *js;
	size_t len;
	const struct day_botnet *bn;
	size_t nb;
	char a[ADDR_STRLEN];

	(void)state;
	conf_small(&c, 2, 2);
	assert_non_null(d = day_new(&c, NULL));
	gen_run(d, &g);
	assert_int_equal(day_truth_json(d, &js, &len), 0);
	assert_non_null(js);
	assert_int_equal(strlen(js), len);
	assert_non_null(strstr(js, "\"internal\":[\"100.64.0.0/10\""));
	bn = day_botnets(d, &nb);
	assert_true(nb > 0);
	addr_fmt(&bn[0].servers[0].addr, a, sizeof(a));
	assert_non_null(strstr(js, a));
	addr_fmt(&bn[0].client_addrs[0], a, sizeof(a));
	assert_non_null(strstr(js, a));
	assert_non_null(strstr(js, "\"benign_periodic\""));
	free(js);
	gen_free(&g);
	day_free(d);
}

/* Listed in the JSON as a quoted string? */
static int
json_has_addr(const char *js, const struct mm_addr *a)
{
	char s[ADDR_STRLEN], q[ADDR_STRLEN + 2];

	addr_fmt(a, s, sizeof(s));
	snprintf(q, sizeof(q), "\"%s\"", s);
	return strstr(js, q) != NULL;
}

/* Some client of some botnet with flows has address a. */
static int
visible_client(const struct day_botnet *bn, size_t nb, const struct mm_addr *a)
{
	size_t i, k;

	for (i = 0; i < nb; i++)
		for (k = 0; k < bn[i].nclients; k++)
			if (bn[i].client_flows[k] > 0 &&
			    addr_cmp(&bn[i].client_addrs[k], a) == 0)
				return 1;
	return 0;
}

/* A short day: sleepers that never wake are planted but not listed. */
static void
test_truth_visible(void **state)
{
	struct day_conf c;
	struct day *d;
	struct gen g;
	const struct day_botnet *bn;
	size_t nb, i, k, hidden = 0, shown = 0;
	char *js;
	size_t len;

	(void)state;
	conf_small(&c, 9, 1);
	c.subscribers = 3000;
	assert_non_null(d = day_new(&c, NULL));
	gen_run(d, &g);
	assert_int_equal(day_truth_json(d, &js, &len), 0);
	bn = day_botnets(d, &nb);
	for (i = 0; i < nb; i++) {
		for (k = 0; k < bn[i].nclients; k++) {
			if (bn[i].client_flows[k] > 0) {
				assert_true(json_has_addr(js,
				    &bn[i].client_addrs[k]));
				shown++;
			} else if (!visible_client(bn, nb,
			    &bn[i].client_addrs[k])) {
				assert_false(json_has_addr(js,
				    &bn[i].client_addrs[k]));
				hidden++;
			}
		}
		for (k = 0; k < bn[i].nservers; k++)
			assert_int_equal(json_has_addr(js,
			    &bn[i].servers[k].addr),
			    bn[i].server_flows[k] > 0);
	}
	print_message("1 h day: %zu clients with flows, %zu asleep all "
	    "along\n", shown, hidden);
	assert_true(shown > 0 && hidden > 0);
	assert_non_null(strstr(js, "\"planted_clients\""));
	free(js);
	gen_free(&g);
	day_free(d);
}

static void
test_bad_conf(void **state)
{
	struct day_conf c;
	struct mm_diag diag;

	(void)state;
	conf_small(&c, 1, 1);
	c.botnets = DAY_MAX_BOTNETS + 1;
	assert_null(day_new(&c, &diag));
	conf_small(&c, 1, 1);
	c.subscribers = ISP_MAX_SUBSCRIBERS + 1;
	assert_null(day_new(&c, &diag));
	conf_small(&c, 1, 1);
	c.duration = DAY_MAX_DURATION + 1;
	assert_null(day_new(&c, &diag));
	conf_small(&c, 1, 1);
	c.botnets = 0;
	c.no_background = 1;
	c.subscribers = 1;
	{
		struct day *d = day_new(&c, &diag);
		struct flow f;
		mtime_t k;

		assert_non_null(d);
		while (day_next(d, &f, &k) == 1)
			;
		day_free(d);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_determinism),
		cmocka_unit_test(test_order_and_bounds),
		cmocka_unit_test(test_truth_consistency),
		cmocka_unit_test(test_sleep_gaps),
		cmocka_unit_test(test_sampling),
		cmocka_unit_test(test_export_sampling),
		cmocka_unit_test(test_truth_json),
		cmocka_unit_test(test_truth_visible),
		cmocka_unit_test(test_bad_conf),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
