/*
 * test_chsink.c - ClickHouse sink: RowBinary encoding, schema text, backlog
 * accounting against a closed port on 127.0.0.1, and (when a server is
 * given) a live round trip.
 *
 * Live part, run by tests/cli/clickhouse_sink.sh which starts a throw-away
 * server: MAMORI_CLICKHOUSE_URL=http://127.0.0.1:PORT/ enables it; with
 * MAMORI_CLICKHOUSE_CTL (path of tests/clickhouse-server.sh),
 * MAMORI_CLICKHOUSE_DIR and MAMORI_CLICKHOUSE_PORT also set, the test stops
 * the server, pushes more rows, restarts it and checks that the backlog was
 * delivered and counted. All waits are bounded; nothing asserts on timing.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "collect/chhttp.h"
#include "collect/chsink.h"

static uint64_t
rd_le(const uint8_t *p, unsigned n)
{
	uint64_t v = 0;
	unsigned i;

	for (i = 0; i < n; i++)
		v |= (uint64_t)p[i] << (8 * i);
	return v;
}

static void
make_flow(struct flow *f, uint32_t exporter, unsigned i, mtime_t t0)
{
	memset(f, 0, sizeof(*f));
	f->first = t0 + i;
	f->last = t0 + i + 1500;
	addr_from_v4(&f->src, 0x0a000000u + i);
	if (i % 3 == 0) {
		assert_int_equal(addr_parse("2001:db8::1", &f->dst), 0);
		f->dst.b[15] = (uint8_t)i;
	} else
		addr_from_v4(&f->dst, 0xc0000200u + (i & 0xff));
	addr_from_v4(&f->nexthop, 0xc0a80001u);
	addr_from_v4(&f->exporter, exporter);
	f->packets = i + 1;
	f->bytes = (uint64_t)(i + 1) * 100;
	f->src_as = 64512;
	f->dst_as = 4200000000u;
	f->in_if = 3;
	f->out_if = 7;
	f->sampling = 1;
	f->src_port = (uint16_t)(1024 + i);
	f->dst_port = 443;
	f->vlan = 100;
	f->proto = 6;
	f->tcp_flags = 0x1b;
	f->tos = 0xb8;
	f->direction = FLOW_DIR_INGRESS;
	f->src_mask = 24;
	f->dst_mask = 16;
}

static void
test_encode(void **state)
{
	uint8_t row[CHSINK_ROW_SIZE];
	struct flow f;
	const uint8_t *p = row;
	/* 2024-05-01T00:00:00Z = 19844 days */
	mtime_t t0 = (mtime_t)19844 * 86400000 + 12345;

	(void)state;
	make_flow(&f, 0x7f000001u, 5, t0);
	memset(row, 0xee, sizeof(row));
	chsink_encode_row(&f, row);
	assert_int_equal(rd_le(p, 2), 19844);
	p += 2;
	assert_int_equal(rd_le(p, 8), (uint64_t)t0 + 5);
	p += 8;
	assert_int_equal(rd_le(p, 8), (uint64_t)t0 + 5 + 1500);
	p += 8;
	assert_memory_equal(p, f.src.b, 16);
	p += 16;
	assert_memory_equal(p, f.dst.b, 16);
	p += 16;
	assert_memory_equal(p, f.nexthop.b, 16);
	p += 16;
	assert_memory_equal(p, f.exporter.b, 16);
	p += 16;
	assert_int_equal(rd_le(p, 8), 6);
	p += 8;
	assert_int_equal(rd_le(p, 8), 600);
	p += 8;
	assert_int_equal(rd_le(p, 4), 64512);
	p += 4;
	assert_int_equal(rd_le(p, 4), 4200000000u);
	p += 4;
	assert_int_equal(rd_le(p, 4), 3);
	p += 4;
	assert_int_equal(rd_le(p, 4), 7);
	p += 4;
	assert_int_equal(rd_le(p, 4), 1);
	p += 4;
	assert_int_equal(rd_le(p, 2), 1029);
	p += 2;
	assert_int_equal(rd_le(p, 2), 443);
	p += 2;
	assert_int_equal(rd_le(p, 2), 100);
	p += 2;
	assert_int_equal(p[0], 6);
	assert_int_equal(p[1], 0x1b);
	assert_int_equal(p[2], 0xb8);
	assert_int_equal(p[3], FLOW_DIR_INGRESS);
	assert_int_equal(p[4], 24);
	assert_int_equal(p[5], 16);
	assert_int_equal(p + 6 - row, CHSINK_ROW_SIZE);

	/* Date clamps */
	f.first = -5;
	chsink_encode_row(&f, row);
	assert_int_equal(rd_le(row, 2), 0);
	f.first = (mtime_t)70000 * 86400000;
	chsink_encode_row(&f, row);
	assert_int_equal(rd_le(row, 2), 65535);
}

/* Only SQL that both 18.16 and current ClickHouse accept. */
static void
test_schema_sql(void **state)
{
	static const char *const banned[] = {
		"DateTime64", "LowCardinality", "TTL", "IPv6", "IPv4",
		"Nullable", "CODEC", NULL
	};
	const char *q;
	size_t i, j;

	(void)state;
	for (i = 0; (q = chsink_schema_sql(i)) != NULL; i++) {
		assert_non_null(strstr(q, "IF NOT EXISTS"));
		for (j = 0; banned[j] != NULL; j++)
			assert_null(strstr(q, banned[j]));
	}
	assert_int_equal(i, 2);
	assert_non_null(strstr(chsink_schema_sql(1), "dst_mask  UInt8"));
}

static void
test_bad_args(void **state)
{
	struct chsink *s;
	struct mm_diag d;
	char *out = (char *)1;
	size_t outlen = 9;

	(void)state;
	assert_int_equal(chsink_new("ftp://127.0.0.1/", NULL, &s, &d),
	    MM_EINVAL);
	assert_null(s);
	assert_int_equal(chsink_new("", NULL, &s, NULL), MM_EINVAL);
	assert_int_equal(chsink_new(NULL, NULL, &s, NULL), MM_EINVAL);
	assert_int_equal(chsink_push(NULL, NULL), MM_EINVAL);
	chsink_free(NULL);
	chsink_flush(NULL);
	/* nothing listens on port 1 of the loopback: transport error */
	assert_int_equal(chhttp_query("http://127.0.0.1:1/", "SELECT 1", NULL,
	    0, &out, &outlen, &d), MM_EAGAIN);
	assert_null(out);
	assert_int_equal(outlen, 0);
	assert_non_null(strstr(d.msg, "clickhouse"));
}

/* ClickHouse "down" (closed port): pushes never block, the backlog keeps
 * at most backlog_batches queued + 1 in flight + the open one, the oldest
 * batches are dropped and every row is accounted for. */
static void
test_backlog_down(void **state)
{
	struct chsink_conf c;
	struct chsink_stats st;
	struct chsink *s;
	struct mm_diag d;
	struct flow f;
	unsigned i, spins;

	(void)state;
	memset(&c, 0, sizeof(c));
	c.batch_rows = 10;
	c.backlog_batches = 3;
	c.backoff_min_ms = 5;
	c.backoff_max_ms = 20;
	c.drain_ms = 50;
	c.connect_timeout_ms = 500;
	assert_int_equal(chsink_new("http://127.0.0.1:1", &c, &s, &d), 0);
	for (i = 0; i < 1000; i++) {
		make_flow(&f, 0x7f000001u, i, 1714521600000LL);
		assert_int_equal(chsink_push(s, &f), 0);
	}
	chsink_stats(s, &st);
	assert_int_equal(st.rows_pushed, 1000);
	assert_int_equal(st.rows_sent, 0);
	assert_int_equal(st.rows_dropped + st.backlog_rows, 1000);
	assert_true(st.backlog_batches <= 4);
	assert_true(st.backlog_rows <= 50);
	assert_true(st.rows_dropped >= 950);
	assert_int_equal(st.rows_dropped % 10, 0);
	assert_int_equal(st.batches_dropped * 10, st.rows_dropped);

	/* bounded wait for the sender to have failed at least once */
	for (spins = 0; spins < 1000; spins++) {
		chsink_stats(s, &st);
		if (st.retries > 0)
			break;
		usleep(10000);
	}
	assert_true(st.retries > 0);
	assert_int_equal(st.up, 0);
	assert_non_null(strstr(st.last_error, "clickhouse"));
	assert_int_equal(st.batches_sent, 0);
	assert_int_equal(chsink_wait(s, 20), MM_EAGAIN);
	chsink_free(s);
}

/* ---- live server ---------------------------------------------------- */

static char *
ch_select(const char *url, const char *sql)
{
	struct mm_diag d;
	char *out = NULL;
	size_t n = 0;
	int rc;

	rc = chhttp_query(url, sql, NULL, 0, &out, &n, &d);
	if (rc != 0)
		fail_msg("query failed: %s: %s", sql, d.msg);
	while (n > 0 && (out[n - 1] == '\n' || out[n - 1] == '\r'))
		out[--n] = '\0';
	return out;
}

static void
check_sums(const char *url, uint32_t exporter, unsigned nrows)
{
	char sql[512], want[256];
	char *got;
	uint64_t pk = (uint64_t)nrows * (nrows + 1) / 2;

	snprintf(sql, sizeof(sql), "SELECT count(), sum(packets), sum(bytes), "
	    "toString(min(date)) FROM " CHSINK_TABLE " WHERE hex(exporter) = "
	    "'00000000000000000000FFFF%08X' FORMAT TabSeparated", exporter);
	got = ch_select(url, sql);
	snprintf(want, sizeof(want), "%u\t%llu\t%llu\t2024-05-01", nrows,
	    (unsigned long long)pk, (unsigned long long)pk * 100);
	assert_string_equal(got, want);
	free(got);
}

static int
ctl(const char *verb)
{
	const char *sh = getenv("MAMORI_CLICKHOUSE_CTL");
	const char *dir = getenv("MAMORI_CLICKHOUSE_DIR");
	const char *port = getenv("MAMORI_CLICKHOUSE_PORT");
	char cmd[1024];

	if (sh == NULL || dir == NULL || port == NULL)
		return -1;
	snprintf(cmd, sizeof(cmd), "sh '%s' %s '%s' %s >/dev/null", sh, verb,
	    dir, strcmp(verb, "start") == 0 ? port : "");
	return system(cmd);
}

static void
test_live(void **state)
{
	const char *url = getenv("MAMORI_CLICKHOUSE_URL");
	struct chsink_conf c;
	struct chsink_stats st;
	struct chsink *s;
	struct mm_diag d;
	struct flow f;
	mtime_t t0 = 1714521600000LL;	/* 2024-05-01T00:00:00Z */
	uint32_t exporter;
	unsigned i, spins;
	char sql[512], want[512], *got;

	(void)state;
	if (url == NULL || *url == '\0') {
		print_message("MAMORI_CLICKHOUSE_URL not set: live test "
		    "skipped\n");
		skip();
	}
	/* a fresh exporter per run isolates us from earlier rows */
	srand((unsigned)time(NULL) ^ (unsigned)getpid());
	exporter = 0x7f000000u | ((uint32_t)rand() & 0xffffff);

	memset(&c, 0, sizeof(c));
	c.batch_rows = 100;
	c.flush_ms = 100;
	c.backoff_min_ms = 50;
	c.backoff_max_ms = 500;
	c.connect_timeout_ms = 1000;
	c.timeout_ms = 10000;
	assert_int_equal(chsink_new(url, &c, &s, &d), 0);
	for (i = 0; i < 1050; i++) {
		make_flow(&f, exporter, i, t0);
		assert_int_equal(chsink_push(s, &f), 0);
	}
	if (chsink_wait(s, 60000) != 0) {
		chsink_stats(s, &st);
		fail_msg("not delivered: %s", st.last_error);
	}
	chsink_stats(s, &st);
	assert_int_equal(st.rows_sent, 1050);
	assert_int_equal(st.batches_sent, 11);
	assert_int_equal(st.rows_dropped, 0);
	assert_int_equal(st.backlog_rows, 0);
	assert_int_equal(st.up, 1);
	check_sums(url, exporter, 1050);

	/* one row read back column by column (IPv6 dst, FixedString, Date) */
	snprintf(sql, sizeof(sql), "SELECT toString(date), first_ms, last_ms, "
	    "hex(src), hex(dst), hex(nexthop), packets, bytes, src_as, dst_as, "
	    "in_if, out_if, sampling, src_port, dst_port, vlan, proto, "
	    "tcp_flags, tos, direction, src_mask, dst_mask FROM "
	    CHSINK_TABLE " WHERE hex(exporter) = "
	    "'00000000000000000000FFFF%08X' AND first_ms = %lld "
	    "FORMAT TabSeparated", exporter, (long long)(t0 + 3));
	got = ch_select(url, sql);
	snprintf(want, sizeof(want), "2024-05-01\t%lld\t%lld\t"
	    "00000000000000000000FFFF0A000003\t"
	    "20010DB8000000000000000000000003\t"
	    "00000000000000000000FFFFC0A80001\t4\t400\t64512\t4200000000\t"
	    "3\t7\t1\t1027\t443\t100\t6\t27\t184\t1\t24\t16",
	    (long long)(t0 + 3), (long long)(t0 + 3 + 1500));
	assert_string_equal(got, want);
	free(got);

	if (ctl("stop") != 0) {
		print_message("no MAMORI_CLICKHOUSE_CTL: outage part skipped\n");
		chsink_free(s);
		return;
	}
	/* server down: rows pile up, attempts fail and are counted */
	for (i = 1050; i < 1500; i++) {
		make_flow(&f, exporter, i, t0);
		assert_int_equal(chsink_push(s, &f), 0);
	}
	chsink_flush(s);
	for (spins = 0; spins < 3000; spins++) {
		chsink_stats(s, &st);
		if (st.retries > 0)
			break;
		usleep(10000);
	}
	assert_true(st.retries > 0);
	assert_int_equal(st.up, 0);
	assert_int_equal(st.rows_sent, 1050);
	assert_int_equal(st.backlog_rows, 450);
	assert_true(st.last_error[0] != '\0');

	/* back up: the backlog is delivered, nothing lost */
	assert_int_equal(ctl("start"), 0);
	if (chsink_wait(s, 90000) != 0) {
		chsink_stats(s, &st);
		fail_msg("backlog not delivered: %s", st.last_error);
	}
	chsink_stats(s, &st);
	assert_int_equal(st.rows_sent, 1500);
	assert_int_equal(st.rows_dropped, 0);
	assert_int_equal(st.backlog_rows, 0);
	assert_int_equal(st.backlog_batches, 0);
	assert_int_equal(st.up, 1);
	print_message("outage: %llu retries, last error: %s\n",
	    (unsigned long long)st.retries, st.last_error);
	check_sums(url, exporter, 1500);

	/* table dropped behind our back: the server error makes the sink
	 * re-create the schema and the retry succeeds */
	got = NULL;
	assert_int_equal(chhttp_query(url, "DROP TABLE " CHSINK_TABLE, NULL, 0,
	    &got, NULL, &d), 0);
	free(got);
	for (i = 0; i < 10; i++) {
		make_flow(&f, exporter, i, t0);
		assert_int_equal(chsink_push(s, &f), 0);
	}
	if (chsink_wait(s, 60000) != 0) {
		chsink_stats(s, &st);
		fail_msg("not delivered after DROP: %s", st.last_error);
	}
	chsink_stats(s, &st);
	assert_int_equal(st.rows_sent, 1510);
	assert_int_equal(st.rows_dropped, 0);
	assert_non_null(strstr(st.last_error, "HTTP"));
	check_sums(url, exporter, 10);
	chsink_free(s);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_encode),
		cmocka_unit_test(test_schema_sql),
		cmocka_unit_test(test_bad_args),
		cmocka_unit_test(test_backlog_down),
		cmocka_unit_test(test_live),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
