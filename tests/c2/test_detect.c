/*
 * test_detect.c - the C&C detector end to end on a small synthetic day
 * written into a temporary store: two botnets (steady and sleeping), a lone
 * beacon, a strobe, a popular periodic service, background traffic with
 * reply flows (unidirectional export) and some bad records. Checks the
 * ranking, server aggregation, strobe capping, allowlist suppression, bad
 * input counters, the pair cap, idempotent findings and the evaluation.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "c2/c2.h"
#include "c2/intel.h"
#include "findings/findings.h"
#include "store/store.h"

#define T0	1767225600000LL	/* 2026-01-01T00:00:00Z */
#define DAY	86400000LL
#define NSUB	300

static char dir[256];
static struct flow *ev;
static size_t nev, capev;
static uint64_t rng = 0x2545f4914f6cdd1dULL;

static uint64_t
xr(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static double
ur(void)
{
	return ((double)(xr() % 1000000) + 0.5) / 1e6;
}

static void
sub_addr(struct mm_addr *a, unsigned i)
{
	addr_from_v4(a, (100u << 24) | (64u << 16) | ((1u << 8) + i));
}

static void
push(mtime_t t, const struct mm_addr *src, const struct mm_addr *dst,
    uint16_t sport, uint16_t dport, uint8_t proto, uint64_t bytes,
    uint64_t pk)
{
	struct flow *f;

	if (nev == capev) {
		capev = capev ? capev * 2 : 4096;
		ev = realloc(ev, capev * sizeof(*ev));
		assert_non_null(ev);
	}
	f = &ev[nev++];
	memset(f, 0, sizeof(*f));
	f->first = t;
	f->last = t + 200;
	f->src = *src;
	f->dst = *dst;
	f->src_port = sport;
	f->dst_port = dport;
	f->proto = proto;
	f->bytes = bytes;
	f->packets = pk;
	f->sampling = 1;
}

/* One connection: the client->server flow and the reply. */
static void
conn(mtime_t t, const struct mm_addr *cli, const struct mm_addr *srv,
    uint16_t dport, uint8_t proto, uint64_t bytes)
{
	uint16_t sport = (uint16_t)(32768 + xr() % 28000);

	push(t, cli, srv, sport, dport, proto, bytes, 3);
	push(t + 20, srv, cli, dport, sport, proto, bytes * 3, 3);
}

static void
beacon(const struct mm_addr *cli, const char *srv, uint16_t port,
    uint8_t proto, double period_s, double jitter, uint64_t b0, uint64_t b1,
    mtime_t from, mtime_t to)
{
	struct mm_addr s;
	mtime_t t = from + (mtime_t)(ur() * period_s * 1000);

	assert_int_equal(addr_parse(srv, &s), 0);
	while (t < to) {
		conn(t, cli, &s, port, proto, b0 + xr() % (b1 - b0 + 1));
		t += (mtime_t)(period_s * 1000 *
		    (1 + jitter * (2 * ur() - 1)));
	}
}

static int
fcmp(const void *a, const void *b)
{
	const struct flow *x = a, *y = b;

	return x->first < y->first ? -1 : x->first > y->first;
}

static void
make_day(void)
{
	struct store_conf sc;
	struct store_writer *w = NULL;
	struct mm_diag d;
	struct mm_addr c, s, ntp;
	unsigned i, k;
	size_t j;

	/* background: 40 sessions per subscriber to 3000 servers */
	for (i = 0; i < NSUB; i++) {
		sub_addr(&c, i);
		for (k = 0; k < 40; k++) {
			unsigned sv = (unsigned)(xr() % 3000);

			addr_from_v4(&s, (198u << 24) | ((18u << 16) + sv));
			conn(T0 + (mtime_t)(ur() * (DAY - 1000)), &c, &s,
			    xr() % 2 ? 443 : 80, 6,
			    (uint64_t)(200 - log(ur()) * 20000));
		}
	}
	/* botnet A: 10 clients, 60 s, all day */
	for (i = 0; i < 10; i++) {
		sub_addr(&c, i);
		beacon(&c, "198.51.100.7", 443, 6, 60, 0.03, 300, 340, T0,
		    T0 + DAY);
	}
	/* botnet B: 6 clients, 300 s, sleeping half the day */
	for (i = 10; i < 16; i++) {
		sub_addr(&c, i);
		beacon(&c, "198.51.100.8", 8080, 6, 300, 0.05, 1200, 1260, T0,
		    T0 + DAY / 2);
	}
	/* a lone beacon */
	sub_addr(&c, 20);
	beacon(&c, "198.51.100.99", 443, 6, 120, 0.02, 500, 520, T0, T0 + DAY);
	/* a strobe: 0.5 s for 3 h */
	sub_addr(&c, 21);
	beacon(&c, "192.0.2.53", 53, 17, 0.5, 0.0, 60, 60, T0,
	    T0 + 3 * 3600 * 1000);
	/* popular periodic service: every subscriber, 1024 s */
	assert_int_equal(addr_parse("192.0.2.123", &ntp), 0);
	for (i = 0; i < NSUB; i++) {
		sub_addr(&c, i);
		beacon(&c, "192.0.2.123", 123, 17, 1024, 0.01, 76, 76, T0,
		    T0 + DAY);
	}
	/* a push service: 40 clients each holding one TCP connection whose
	 * keepalive records share its source port (re-opened twice) */
	for (i = 100; i < 140; i++) {
		struct mm_addr ps;
		mtime_t t;
		uint16_t sp = 0;

		sub_addr(&c, i);
		assert_int_equal(addr_parse("192.0.2.200", &ps), 0);
		for (t = T0 + (mtime_t)(ur() * 300000); t < T0 + DAY;
		    t += 300000) {
			if (sp == 0 || (t - T0) % (8 * 3600000) < 300000)
				sp = (uint16_t)(40000 + xr() % 20000);
			push(t, &c, &ps, sp, 5228, 6, 66, 1);
		}
	}
	/* bad records */
	sub_addr(&c, 30);
	push(0, &c, &ntp, 1, 2, 6, 100, 1);
	push(0, &c, &ntp, 1, 2, 6, 100, 1);
	push(0, &c, &ntp, 1, 2, 6, 100, 1);
	push(T0 + 5000, &c, &ntp, 1000, 123, 17, UINT64_MAX, UINT64_MAX);
	ev[nev - 1].last = T0 + 1000;	/* reversed */

	qsort(ev, nev, sizeof(*ev), fcmp);
	memset(&sc, 0, sizeof(sc));
	sc.rotate_ms = 3600 * 1000;
	mm_diag_clear(&d);
	assert_int_equal(store_writer_open(dir, &sc, &w, &d), 0);
	for (j = 0; j < nev; j++) {
		mtime_t now = ev[j].first > 0 ? ev[j].first : T0;

		assert_int_equal(store_writer_add(w, &ev[j], now, &d), 0);
	}
	assert_int_equal(store_writer_close(w, &d), 0);
}

static int
setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/mamori-c2-test-XXXXXX");
	if (mkdtemp(dir) == NULL)
		return -1;
	make_day();
	return 0;
}

static int
teardown(void **state)
{
	char cmd[512];

	(void)state;
	free(ev);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
}

static struct mm_prefix internal;

static void
conf_init(struct c2_conf *c, const char **paths)
{
	c2_conf_default(c);
	assert_int_equal(prefix_parse("100.64.0.0/10", &internal), 0);
	paths[0] = dir;
	c->paths = paths;
	c->npaths = 1;
	c->internal = &internal;
	c->ninternal = 1;
	c->threads = 2;
	c->strobe_per_day = 20000;
}

static const struct c2_server_result *
find_srv(const struct c2_result *r, const char *a)
{
	struct mm_addr x;
	size_t i;

	assert_int_equal(addr_parse(a, &x), 0);
	for (i = 0; i < r->nservers; i++)
		if (addr_cmp(&r->servers[i].srv, &x) == 0)
			return &r->servers[i];
	return NULL;
}

static void
test_detect(void **state)
{
	struct c2_conf c;
	struct c2_result r;
	struct mm_diag d;
	const char *paths[1];
	const struct c2_server_result *a, *b, *lone, *ntp;
	char buf[1024];
	size_t i;

	(void)state;
	conf_init(&c, paths);
	mm_diag_clear(&d);
	assert_int_equal(c2_run(&c, &r, &d), 0);
	/* window: 24 h ending at the newest flow */
	assert_true(r.window.end - r.window.start >= DAY);
	/* bad input counted */
	assert_int_equal(r.st.bad_time, 3);
	assert_true(r.st.reversed_time >= 1);
	assert_true(r.st.huge_counters >= 1);
	assert_true(r.st.inbound > 0);
	/* the strobe is flagged, not scored */
	assert_true(r.st.strobes >= 1);
	assert_null(find_srv(&r, "192.0.2.53"));

	a = find_srv(&r, "198.51.100.7");
	b = find_srv(&r, "198.51.100.8");
	lone = find_srv(&r, "198.51.100.99");
	ntp = find_srv(&r, "192.0.2.123");
	assert_non_null(a);
	assert_non_null(b);
	assert_non_null(lone);
	print_message("A %.3f (%u/%u) B %.3f (%u/%u) lone %.3f ntp %.3f "
	    "(%u/%u)\n", a->score, a->beacons, a->clients, b->score,
	    b->beacons, b->clients, lone->score, ntp ? ntp->score : -1,
	    ntp ? ntp->beacons : 0, ntp ? ntp->clients : 0);
	assert_true(a == &r.servers[0]);
	assert_int_equal(a->beacons, 10);
	assert_int_equal(a->port, 443);
	assert_true(fabs(a->period - 60) < 3);
	assert_true(a->score >= 0.7);
	assert_int_equal(b->beacons, 6);
	assert_true(b->score >= 0.5);
	assert_true(fabs(b->period - 300) < 15);
	assert_true(lone->score < 0.5);
	if (ntp != NULL)
		assert_true(ntp->score < a->score);
	/* long-lived connections are not beacons */
	assert_null(find_srv(&r, "192.0.2.200"));
	assert_true(r.st.persistent >= 40);
	/* pairs of A: its 10 clients, best first */
	assert_int_equal(a->npairs, 10);
	for (i = 1; i < a->npairs; i++)
		assert_true(r.pairs[a->pair_off + i - 1].strength >=
		    r.pairs[a->pair_off + i].strength);
	c2_client_summary(a, &r.pairs[a->pair_off], buf, sizeof(buf));
	print_message("%s\n", buf);
	assert_non_null(strstr(buf, "beacons to 198.51.100.7:443/tcp every"));
	assert_non_null(strstr(buf, "9 other subscribers do the same"));
	c2_server_summary(&r, a, buf, sizeof(buf));
	print_message("%s\n", buf);
	{
		char *e = c2_server_evidence(&r, a);

		assert_non_null(e);
		assert_int_equal(findings_evidence_check(e, NULL), 0);
		free(e);
		e = c2_client_evidence(&r, a, &r.pairs[a->pair_off]);
		assert_non_null(e);
		assert_int_equal(findings_evidence_check(e, NULL), 0);
		assert_non_null(strstr(e, "sample_flows"));
		free(e);
	}
	c2_result_free(&r);
}

static void
test_allowlist(void **state)
{
	static const char allow[] = "192.0.2.123  ntp  # test\n";
	static const char feed[] = "indicator,port,tag,confidence\n"
	    "198.51.100.99,,TestBot,90\n";
	struct c2_conf c;
	struct c2_result r;
	struct mm_diag d;
	struct intel *in;
	const char *paths[1];
	const struct c2_server_result *lone;

	(void)state;
	in = intel_new(NULL);
	assert_non_null(in);
	assert_int_equal(intel_load_mem(in, "allow", allow, sizeof(allow) - 1,
	    INTEL_FMT_ALLOWLIST, NULL, NULL), 0);
	assert_int_equal(intel_load_mem(in, "feed", feed, sizeof(feed) - 1,
	    INTEL_FMT_CSV, NULL, NULL), 0);
	conf_init(&c, paths);
	c.intel = in;
	mm_diag_clear(&d);
	assert_int_equal(c2_run(&c, &r, &d), 0);
	assert_null(find_srv(&r, "192.0.2.123"));
	/* the reputation hit lifts the lone beacon */
	lone = find_srv(&r, "198.51.100.99");
	assert_non_null(lone);
	assert_true(lone->intel_hit);
	assert_true(lone->score >= 0.8);
	assert_string_equal(lone->hit.tag, "TestBot");
	c2_result_free(&r);
	/* kept when asked, with score 0 */
	c.keep_allowed = 1;
	assert_int_equal(c2_run(&c, &r, &d), 0);
	assert_non_null(find_srv(&r, "192.0.2.123"));
	assert_true(find_srv(&r, "192.0.2.123")->allowed);
	assert_true(find_srv(&r, "192.0.2.123")->score == 0);
	c2_result_free(&r);
	intel_free(in);
}

static int
count_cb(const struct finding *f, void *arg)
{
	size_t *n = arg;

	(void)f;
	(*n)++;
	return 0;
}

static size_t
count(struct findings_db *db, const char *kind)
{
	struct findings_filter flt;
	size_t n = 0;

	findings_filter_init(&flt);
	flt.kind = kind;
	flt.detector = C2_DETECTOR;
	assert_int_equal(findings_query(db, &flt, count_cb, &n, NULL), 0);
	return n;
}

static void
test_findings_idempotent(void **state)
{
	struct c2_conf c;
	struct c2_result r;
	struct mm_diag d;
	struct findings_db *db = NULL;
	const char *paths[1];
	size_t ns, nc, ns2, nc2;
	char truth[512];
	struct c2_eval e;
	FILE *fp;

	(void)state;
	conf_init(&c, paths);
	mm_diag_clear(&d);
	assert_int_equal(c2_run(&c, &r, &d), 0);
	assert_int_equal(findings_open(dir, &db, &d), 0);
	assert_int_equal(c2_findings_write(db, &r, 0.5, &ns, &nc, &d), 0);
	assert_true(ns >= 2);
	assert_true(nc >= 16);
	assert_int_equal(count(db, C2_KIND_SERVER), ns);
	assert_int_equal(count(db, C2_KIND_CLIENT), nc);
	c2_result_free(&r);
	/* a second run over the same window updates, never duplicates */
	assert_int_equal(c2_run(&c, &r, &d), 0);
	assert_int_equal(c2_findings_write(db, &r, 0.5, &ns2, &nc2, &d), 0);
	assert_int_equal(ns2, ns);
	assert_int_equal(count(db, C2_KIND_SERVER), ns);
	assert_int_equal(count(db, C2_KIND_CLIENT), nc);
	c2_result_free(&r);

	/* a different (earlier, shorter) window updates the same findings */
	c.has_window = 1;
	c.window.start = T0;
	c.window.end = T0 + DAY / 2;
	assert_int_equal(c2_run(&c, &r, &d), 0);
	assert_int_equal(c2_findings_write(db, &r, 0.5, &ns2, &nc2, &d), 0);
	assert_true(ns2 >= 2);
	c2_result_free(&r);
	{
		struct findings_filter flt;
		size_t n = 0;

		findings_filter_init(&flt);
		flt.kind = C2_KIND_SERVER;
		flt.detector = C2_DETECTOR;
		flt.has_subject = 1;
		assert_int_equal(prefix_parse("198.51.100.7/32", &flt.subject),
		    0);
		assert_int_equal(findings_query(db, &flt, count_cb, &n, NULL),
		    0);
		assert_int_equal(n, 1);
	}
	assert_int_equal(count(db, C2_KIND_SERVER), ns);
	c.has_window = 0;

	/* evaluation against a truth naming both botnets */
	snprintf(truth, sizeof(truth), "%s/truth.json", dir);
	fp = fopen(truth, "w");
	assert_non_null(fp);
	fprintf(fp, "{\"external_servers\": 3005, \"botnets\": ["
	    "{\"name\":\"a\",\"servers\":[{\"addr\":\"198.51.100.7\","
	    "\"port\":443,\"proto\":6}],\"clients\":[\"100.64.1.0\","
	    "\"100.64.1.1\",\"100.64.1.2\",\"100.64.1.3\",\"100.64.1.4\","
	    "\"100.64.1.5\",\"100.64.1.6\",\"100.64.1.7\",\"100.64.1.8\","
	    "\"100.64.1.9\"]},"
	    "{\"name\":\"b\",\"servers\":[{\"addr\":\"198.51.100.8\","
	    "\"port\":8080,\"proto\":6}],\"clients\":[\"100.64.1.10\","
	    "\"100.64.1.11\",\"100.64.1.12\",\"100.64.1.13\","
	    "\"100.64.1.14\",\"100.64.1.15\"]}]}\n");
	fclose(fp);
	assert_int_equal(c2_eval_run(db, truth, INT64_MIN, &e, &d), 0);
	print_message("eval: servers %zu/%zu reported %zu false %zu; "
	    "clients %zu/%zu reported %zu false %zu\n", e.found_servers,
	    e.truth_servers, e.reported_servers, e.false_servers,
	    e.found_clients, e.truth_clients, e.reported_clients,
	    e.false_clients);
	assert_int_equal(e.truth_servers5, 2);
	assert_true(e.server_recall5 == 1.0);
	assert_int_equal(e.truth_clients, 16);
	assert_true(e.client_recall == 1.0);
	assert_true(e.false_servers <= 1);
	findings_close(db);
}

static void
test_caps(void **state)
{
	struct c2_conf c;
	struct c2_result r;
	struct mm_diag d;
	const char *paths[1];

	(void)state;
	conf_init(&c, paths);
	c.max_pairs = 500;
	c.max_big = 50;
	mm_diag_clear(&d);
	assert_int_equal(c2_run(&c, &r, &d), 0);
	assert_true(r.st.pairs <= 500);
	assert_true(r.st.big_pairs <= 50);
	assert_true(r.st.dropped_pairs > 0);
	c2_result_free(&r);
	/* no internal prefixes: refused */
	c.ninternal = 0;
	assert_int_equal(c2_run(&c, &r, &d), MM_EINVAL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_detect),
		cmocka_unit_test(test_allowlist),
		cmocka_unit_test(test_findings_idempotent),
		cmocka_unit_test(test_caps),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
