/*
 * test_query.c - end to end: write a real store with store_writer_*, then
 * query it with query_run(): totals, filters, block skipping by host and
 * time, -c, -O tstart, statistics with several threads against a
 * single-thread run, -r FILE and a corrupt file counted and skipped.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "core/addr.h"
#include "query/query.h"
#include "store/store.h"

#define NFLOWS	6000
#define T0	1767225600000LL		/* 2026-01-01T00:00:00Z */

static char dir[64];

static int
setup(void **state)
{
	struct store_conf c;
	struct store_writer *w;
	struct mm_diag d;
	struct flow f;
	size_t i;

	(void)state;
	strcpy(dir, "/tmp/mamori-qtest-XXXXXX");
	if (mkdtemp(dir) == NULL)
		return -1;
	memset(&c, 0, sizeof(c));
	c.block_rows = 100;
	if (store_writer_open(dir, &c, &w, &d) != 0) {
		fprintf(stderr, "%s\n", d.msg);
		return -1;
	}
	for (i = 0; i < NFLOWS; i++) {
		mtime_t now = T0 + (mtime_t)i * 100;	/* 10 min in all */

		memset(&f, 0, sizeof(f));
		f.first = now - 50;
		f.last = now;
		/* host 10.0.0.1 only in flows 1000..1099 */
		addr_from_v4(&f.src, i >= 1000 && i < 1100 ? 0x0a000001u :
		    0x0b000000u + (uint32_t)(i % 500));
		addr_from_v4(&f.dst, 0xc0a80000u + (uint32_t)(i % 7));
		addr_from_v4(&f.exporter, 0x7f000001u);
		f.proto = i % 4 ? 6 : 17;
		f.src_port = (uint16_t)(1024 + i % 1000);
		f.dst_port = i % 3 ? 443 : 53;
		f.packets = 1 + i % 10;
		f.bytes = 100 * f.packets;
		f.sampling = 1;
		if (store_writer_add(w, &f, now, &d) != 0) {
			fprintf(stderr, "%s\n", d.msg);
			return -1;
		}
	}
	if (store_writer_close(w, &d) != 0) {
		fprintf(stderr, "%s\n", d.msg);
		return -1;
	}
	return 0;
}

static int
teardown(void **state)
{
	char cmd[128];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
}

struct run {
	char			*out;
	struct query_stats	 st;
	int			 rc;
	struct mm_diag		 d;
};

static void
run_query(struct query_opts *q, const char *expr, struct run *r)
{
	struct filter *f = NULL;
	const char *paths[1];
	size_t len = 0;
	FILE *fp;

	memset(r, 0, sizeof(*r));
	if (q->npaths == 0) {
		paths[0] = dir;
		q->paths = paths;
		q->npaths = 1;
	}
	if (expr != NULL)
		assert_int_equal(filter_parse(expr, &f, &r->d), 0);
	q->filter = f;
	q->no_summary = 1;
	fp = open_memstream(&r->out, &len);
	assert_non_null(fp);
	q->fp = fp;
	r->rc = query_run(q, &r->st, &r->d);
	fclose(fp);
	filter_free(f);
	q->paths = NULL;
	q->npaths = 0;
}

static size_t
count_lines(const char *s)
{
	size_t n = 0;

	for (; *s != '\0'; s++)
		n += *s == '\n';
	return n;
}

static void
test_all(void **state)
{
	struct query_opts q;
	struct run r;
	int j;

	(void)state;
	for (j = 1; j <= 3; j++) {
		memset(&q, 0, sizeof(q));
		q.threads = j;
		q.out.fmt = QOUT_CSV;
		run_query(&q, NULL, &r);
		assert_int_equal(r.rc, 0);
		assert_int_equal(r.st.flows, NFLOWS);
		assert_int_equal(r.st.scanned, NFLOWS);
		assert_int_equal(r.st.errors, 0);
		assert_true(r.st.files >= 2);	/* 10 minutes: 2 intervals */
		assert_int_equal(count_lines(r.out), NFLOWS + 1);
		assert_int_equal(r.st.first, T0 - 50);
		assert_int_equal(r.st.last, T0 + (NFLOWS - 1) * 100);
		free(r.out);
	}
}

static void
test_filter_skip(void **state)
{
	struct query_opts q;
	struct run r;

	(void)state;
	memset(&q, 0, sizeof(q));
	q.threads = 2;
	q.out.fmt = QOUT_CSV;
	run_query(&q, "src host 10.0.0.1 and proto tcp", &r);
	assert_int_equal(r.rc, 0);
	assert_int_equal(r.st.flows, 75);
	assert_int_equal(count_lines(r.out), 76);
	/* two-phase loading: the filter's columns moved over intact */
	{
		const char *p = r.out;
		size_t hits = 0;

		while ((p = strstr(p, ",6,10.0.0.1,")) != NULL) {
			hits++;
			p++;
		}
		assert_int_equal(hits, 75);
	}
	/* only the blocks holding flows 1000..1099 need reading */
	assert_true(r.st.skipped >= 50);
	assert_true(r.st.blocks <= 4);
	free(r.out);

	run_query(&q, "dst port 53 and udp", &r);
	assert_int_equal(r.st.flows, NFLOWS / 12);
	assert_int_equal(r.st.skipped, 0);
	free(r.out);
}

static void
test_window_limit_sort(void **state)
{
	struct query_opts q;
	struct run r;
	char *p;

	(void)state;
	memset(&q, 0, sizeof(q));
	q.threads = 3;
	q.out.fmt = QOUT_CSV;
	q.has_window = 1;
	q.window.start = T0 + 100000;		/* flows 1000.. */
	q.window.end = T0 + 200000;		/* ..2000 (first = now-50) */
	run_query(&q, NULL, &r);
	assert_int_equal(r.rc, 0);
	assert_int_equal(r.st.flows, 1000);
	assert_true(r.st.skipped > 0);
	free(r.out);

	memset(&q, 0, sizeof(q));
	q.threads = 2;
	q.out.fmt = QOUT_CSV;
	q.limit = 10;
	run_query(&q, NULL, &r);
	assert_int_equal(count_lines(r.out), 11);
	free(r.out);

	memset(&q, 0, sizeof(q));
	q.threads = 3;
	q.out.fmt = QOUT_CSV;
	q.limit = 3;
	q.sort_tstart = 1;
	run_query(&q, "proto udp", &r);
	assert_int_equal(count_lines(r.out), 4);
	p = strchr(r.out, '\n') + 1;
	assert_memory_equal(p, "2025-12-31T23:59:59.950Z,", 25);
	p = strchr(p, '\n') + 1;
	assert_memory_equal(p, "2026-01-01T00:00:00.350Z,", 25);
	free(r.out);
}

static void
test_stats_threads(void **state)
{
	struct agg_spec sp[3];
	struct query_opts q;
	struct mm_diag d;
	struct run r1, r4;

	(void)state;
	assert_int_equal(agg_spec_stat("srcip/bytes", &sp[0], &d), 0);
	assert_int_equal(agg_spec_stat("ip/flows", &sp[1], &d), 0);
	assert_int_equal(agg_spec_stat("dstport/packets", &sp[2], &d), 0);
	memset(&q, 0, sizeof(q));
	q.out.fmt = QOUT_CSV;
	q.stats = sp;
	q.nstats = 3;
	q.topn = 5;
	q.threads = 1;
	run_query(&q, "not host 192.168.0.3", &r1);
	assert_int_equal(r1.rc, 0);
	q.stats = sp;
	q.nstats = 3;
	q.threads = 4;
	run_query(&q, "not host 192.168.0.3", &r4);
	assert_int_equal(r4.rc, 0);
	assert_string_equal(r1.out, r4.out);
	assert_int_equal(r1.st.flows, r4.st.flows);
	/* 3 headers + 5 + 5 + 2 rows */
	assert_int_equal(count_lines(r1.out), 3 + 5 + 5 + 2);
	assert_non_null(strstr(r1.out, ",10.0.0.1,"));
	free(r1.out);
	free(r4.out);
}

static void
test_aggr_and_file(void **state)
{
	struct agg_spec sp;
	struct query_opts q;
	struct mm_diag d;
	struct run r;
	char **paths, bad[128];
	const char *p1[2];
	size_t n;
	FILE *fp;

	(void)state;
	assert_int_equal(agg_spec_keys("proto,dstport", &sp, &d), 0);
	memset(&q, 0, sizeof(q));
	q.out.fmt = QOUT_CSV;
	q.aggr = &sp;
	q.order = AO_FLOWS;
	q.threads = 2;
	run_query(&q, NULL, &r);
	assert_int_equal(r.rc, 0);
	/* udp: i%4==0 -> dport 53 or 443; tcp likewise: 4 groups */
	assert_int_equal(count_lines(r.out), 5);
	free(r.out);

	/* -r one file, plus a corrupt file that is counted and skipped */
	assert_int_equal(store_list(dir, NULL, &paths, &n, &d), 0);
	assert_true(n >= 2);
	snprintf(bad, sizeof(bad), "%s/bad.mmf", dir);
	fp = fopen(bad, "w");
	assert_non_null(fp);
	fputs("this is not a store file at all, not at all", fp);
	fclose(fp);
	p1[0] = paths[0];
	p1[1] = bad;
	memset(&q, 0, sizeof(q));
	q.paths = p1;
	q.npaths = 2;
	q.out.fmt = QOUT_JSON;
	q.threads = 4;		/* fewer files than threads: striped */
	run_query(&q, NULL, &r);
	assert_int_equal(r.rc, 0);
	assert_int_equal(r.st.errors, 1);
	assert_true(strlen(r.d.msg) > 0);
	assert_true(r.st.flows > 0 && r.st.flows < NFLOWS);
	assert_int_equal(count_lines(r.out), r.st.flows);
	free(r.out);
	unlink(bad);
	store_paths_free(paths, n);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_all),
		cmocka_unit_test(test_filter_skip),
		cmocka_unit_test(test_window_limit_sort),
		cmocka_unit_test(test_stats_threads),
		cmocka_unit_test(test_aggr_and_file),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
