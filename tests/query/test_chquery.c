/*
 * test_chquery.c - ClickHouse pushdown: SQL generation golden strings for
 * filters, windows, statistics and aggregations (no server needed).
 *
 * With arguments it is also the helper of tests/cli/clickhouse_query.sh:
 *   test_chquery gen DATADIR N [dense] write N synthetic flows to a store
 *                                      (dense: 100 000 per millisecond)
 *   test_chquery load URL PATH...      copy store files into mamori.flows
 *   test_chquery flows URL [flows options] [FILTER...]
 *                                      run a query through chquery_run()
 *                                      (a subset of `mamori flows` options)
 *   test_chquery sql [flows options] [FILTER...]   print chquery_sql()
 */
#include <sys/socket.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "collect/chhttp.h"
#include "collect/chsink.h"
#include "core/addr.h"
#include "core/mtime.h"
#include "query/agg.h"
#include "query/chquery.h"
#include "query/filter.h"
#include "query/query.h"
#include "store/store.h"

#define V4P	"unhex('00000000000000000000FFFF')"

static void
check_where(const char *expr, const char *want)
{
	struct query_opts q;
	struct filter *f = NULL;
	struct mm_diag d;
	char *sql = NULL;

	memset(&q, 0, sizeof(q));
	if (filter_parse(expr, &f, &d) != 0)
		fail_msg("'%s': %s", expr, d.msg);
	q.filter = f;
	assert_int_equal(chquery_where(&q, &sql, &d), 0);
	if (strcmp(sql, want) != 0)
		fail_msg("'%s':\n got  %s\n want %s", expr, sql, want);
	free(sql);
	filter_free(f);
}

static void
test_where_addr(void **state)
{
	(void)state;
	check_where("", "1");
	check_where("src host 10.0.0.1",
	    "src = unhex('00000000000000000000FFFF0A000001')");
	check_where("host 10.0.0.1",
	    "(src = unhex('00000000000000000000FFFF0A000001') OR "
	    "dst = unhex('00000000000000000000FFFF0A000001'))");
	check_where("src net 10.0.0.0/8",
	    "(substring(src, 1, 13) = unhex('00000000000000000000FFFF0A'))");
	check_where("dst net 10.0.0.0/23",
	    "(substring(dst, 1, 14) = unhex('00000000000000000000FFFF0A00') "
	    "AND bitAnd(reinterpretAsUInt8(substring(dst, 15, 1)), 254) = 0)");
	check_where("src and dst net 2001:db8::/33",
	    "((substring(src, 1, 4) = unhex('20010DB8') AND "
	    "bitAnd(reinterpretAsUInt8(substring(src, 5, 1)), 128) = 0) AND "
	    "(substring(dst, 1, 4) = unhex('20010DB8') AND "
	    "bitAnd(reinterpretAsUInt8(substring(dst, 5, 1)), 128) = 0))");
	check_where("src net ::/0", "1");
	check_where("src ip in [10.0.0.2 10.0.0.1]",
	    "src IN (unhex('00000000000000000000FFFF0A000001'), "
	    "unhex('00000000000000000000FFFF0A000002'))");
	check_where("next hop 192.0.2.1",
	    "nexthop = unhex('00000000000000000000FFFFC0000201')");
	check_where("exporter 2001:db8::1",
	    "exporter = unhex('20010DB8000000000000000000000001')");
	check_where("inet",
	    "(substring(if(src = unhex('00000000000000000000000000000000'), "
	    "dst, src), 1, 12) = " V4P ")");
	check_where("inet6",
	    "NOT (substring(if(src = unhex('00000000000000000000000000000000'),"
	    " dst, src), 1, 12) = " V4P ")");
}

static void
test_where_num(void **state)
{
	(void)state;
	check_where("port 80", "(src_port = 80 OR dst_port = 80)");
	check_where("src port > 1023", "src_port > 1023");
	check_where("dst port in [443 80 80]", "dst_port IN (80, 443)");
	check_where("proto tcp", "proto = 6");
	check_where("not udp", "NOT (proto = 17)");
	check_where("flags SA", "bitAnd(tcp_flags, 18) = 18");
	check_where("bytes > 100k", "bytes > 100000");
	check_where("packets <= 3", "packets <= 3");
	check_where("as 64500", "(src_as = 64500 OR dst_as = 64500)");
	check_where("in if 3", "in_if = 3");
	check_where("if in [1 2]", "(in_if IN (1, 2) OR out_if IN (1, 2))");
	check_where("tos 4 and vlan != 10", "(tos = 4 AND vlan != 10)");
	check_where("duration > 1000",
	    "toUInt64(if(last_ms > first_ms, last_ms - first_ms, 0)) > 1000");
	check_where("bps >= 1m",
	    "if(last_ms > first_ms, toUInt64(bytes * 8 * 1000.0 / "
	    "greatest(last_ms - first_ms, 1)), 0) >= 1000000");
	check_where("pps < 10",
	    "if(last_ms > first_ms, toUInt64(packets * 1000.0 / "
	    "greatest(last_ms - first_ms, 1)), 0) < 10");
	check_where("bpp = 40",
	    "if(packets = 0, 0, intDiv(bytes, greatest(packets, 1))) = 40");
	check_where("tcp and (port 80 or port 443) and not src net 10.0.0.0/8",
	    "(proto = 6 AND ((src_port = 80 OR dst_port = 80) OR "
	    "(src_port = 443 OR dst_port = 443)) AND NOT ((substring(src, 1, "
	    "13) = unhex('00000000000000000000FFFF0A'))))");
}

static void
test_where_window(void **state)
{
	struct query_opts q;
	struct filter *f = NULL;
	struct mm_diag d;
	char *sql = NULL;

	(void)state;
	memset(&q, 0, sizeof(q));
	q.has_window = 1;
	assert_int_equal(mtime_parse("2024-05-01T12:00:00Z", &q.window.start),
	    0);
	assert_int_equal(mtime_parse("2024-05-02T00:00:00Z", &q.window.end),
	    0);
	assert_int_equal(filter_parse("proto udp", &f, &d), 0);
	q.filter = f;
	assert_int_equal(chquery_where(&q, &sql, &d), 0);
	assert_string_equal(sql, "first_ms >= 1714564800000 AND "
	    "date >= '2024-05-01' AND first_ms < 1714608000000 AND "
	    "date <= '2024-05-01' AND proto = 17");
	free(sql);
	q.window.end = INT64_MAX;
	q.filter = NULL;
	assert_int_equal(chquery_where(&q, &sql, &d), 0);
	assert_string_equal(sql, "first_ms >= 1714564800000 AND "
	    "date >= '2024-05-01'");
	free(sql);
	q.window.end = q.window.start;
	assert_int_equal(chquery_where(&q, &sql, &d), 0);
	assert_string_equal(sql, "0");
	free(sql);
	filter_free(f);
}

/* Full statements of one -s or -A. */
static void
check_sql(const char *stat, const char *aggr, int order, uint64_t limit,
    const char *want)
{
	struct query_opts q;
	struct agg_spec sp;
	struct mm_diag d;
	char *sql = NULL;

	memset(&q, 0, sizeof(q));
	q.topn = 5;
	q.limit = limit;
	q.order = order;
	if (stat != NULL) {
		assert_int_equal(agg_spec_stat(stat, &sp, &d), 0);
		q.stats = &sp;
		q.nstats = 1;
	} else if (aggr != NULL) {
		assert_int_equal(agg_spec_keys(aggr, &sp, &d), 0);
		q.aggr = &sp;
	}
	assert_int_equal(chquery_sql(&q, &sql, &d), 0);
	if (strcmp(sql, want) != 0)
		fail_msg("%s:\n got  %s\n want %s", stat ? stat : aggr ?
		    aggr : "raw", sql, want);
	free(sql);
}

#define TOTALS "SELECT count(), sum(packets), sum(bytes), min(first_ms), " \
    "max(last_ms) FROM mamori.flows FORMAT TabSeparated;\n"
#define COUNTERS ", count() AS c_fl, sum(packets) AS c_pk, sum(bytes) AS " \
    "c_by, min(first_ms) AS c_t0, max(last_ms) AS c_t1 FROM mamori.flows"
#define B16(x) "(bitAnd(" x ", 255) * 256 + bitAnd(bitShiftRight(" x ", " \
    "8), 255))"
#define B32(x) "(bitAnd(" x ", 255) * 16777216 + bitAnd(bitShiftRight(" x \
    ", 8), 255) * 65536 + bitAnd(bitShiftRight(" x ", 16), 255) * 256 + " \
    "bitAnd(bitShiftRight(" x ", 24), 255))"
#define WORD(c, o) "reinterpretAsUInt64(reverse(substring(" c ", " o \
    ", 8)))"

static void
test_sql_groups(void **state)
{
	(void)state;
	check_sql("proto", NULL, 0, 0, TOTALS
	    "SELECT proto AS k0" COUNTERS " GROUP BY k0 ORDER BY c_fl DESC, k0"
	    " LIMIT 5 FORMAT TabSeparated;\n");
	check_sql("dstport/bytes", NULL, 0, 0, TOTALS
	    "SELECT dst_port AS k0" COUNTERS " GROUP BY k0 ORDER BY c_by "
	    "DESC, " B16("k0") " LIMIT 5 FORMAT TabSeparated;\n");
	check_sql("port/packets", NULL, 0, 0, TOTALS
	    "SELECT arrayJoin([src_port, dst_port]) AS k0" COUNTERS
	    " GROUP BY k0 ORDER BY c_pk DESC, " B16("k0")
	    " LIMIT 5 FORMAT TabSeparated;\n");
	check_sql("as/bpp", NULL, 0, 0, TOTALS
	    "SELECT arrayJoin([src_as, dst_as]) AS k0" COUNTERS
	    " GROUP BY k0 ORDER BY if(c_pk = 0, 0, intDiv(c_by, "
	    "greatest(c_pk, 1))) DESC, " B32("k0")
	    " LIMIT 5 FORMAT TabSeparated;\n");
	check_sql("srcip/bps", NULL, 0, 0, TOTALS
	    "SELECT (NOT (substring(src, 1, 12) = " V4P ")) AS v6, "
	    WORD("src", "1") " AS k0h, " WORD("src", "9") " AS k0l" COUNTERS
	    " GROUP BY v6, k0h, k0l ORDER BY if(c_t1 > c_t0, toUInt64(c_by * "
	    "8000.0 / greatest(c_t1 - c_t0, 1)), 0) DESC, v6, if(v6, k0h, "
	    B32("k0l") "), if(v6, k0l, 0) LIMIT 5 FORMAT TabSeparated;\n");
	check_sql("ip", NULL, 0, 0, TOTALS
	    "SELECT (NOT (substring((arrayJoin([src, dst]) AS a0), 1, 12) = "
	    V4P ")) AS v6, " WORD("a0", "1") " AS k0h, " WORD("a0", "9")
	    " AS k0l" COUNTERS " GROUP BY v6, k0h, k0l ORDER BY c_fl DESC, v6, "
	    "if(v6, k0h, " B32("k0l") "), if(v6, k0l, 0) LIMIT 5 "
	    "FORMAT TabSeparated;\n");
	check_sql(NULL, "proto,dstport", AO_BYTES, 0, TOTALS
	    "SELECT proto AS k0, dst_port AS k1" COUNTERS " GROUP BY k0, k1 "
	    "ORDER BY c_by DESC, k0, " B16("k1") " FORMAT TabSeparated;\n");
	check_sql(NULL, "srcip4/24,dstip", AO_FLOWS, 7, TOTALS
	    "SELECT (NOT (substring(src, 1, 12) = " V4P ") OR NOT "
	    "(substring(dst, 1, 12) = " V4P ")) AS v6, " WORD("src", "1")
	    " AS k0h, if((substring(src, 1, 12) = " V4P "), bitAnd("
	    WORD("src", "9") ", 18446744073709551360), " WORD("src", "9")
	    ") AS k0l, " WORD("dst", "1") " AS k1h, "
	    WORD("dst", "9") " AS k1l" COUNTERS " GROUP BY v6, k0h, k0l, k1h, "
	    "k1l ORDER BY c_fl DESC, v6, if(v6, k0h, " B32("k0l") "), if(v6, "
	    "k0l, 0), if(v6, k1h, " B32("k1l") "), if(v6, k1l, 0) LIMIT 7 "
	    "FORMAT TabSeparated;\n");
	check_sql(NULL, "srcip4/16,srcip6/48", AO_PACKETS, 0, TOTALS
	    "SELECT (NOT (substring(src, 1, 12) = " V4P ")) AS v6, "
	    "if((substring(src, 1, 12) = " V4P "), " WORD("src", "1") ", "
	    "bitAnd(" WORD("src", "1") ", 18446744073709486080)) AS k0h, "
	    "if((substring(src, 1, 12) = " V4P "), bitAnd(" WORD("src", "9")
	    ", 18446744073709486080), toUInt64(0)) AS k0l" COUNTERS
	    " GROUP BY v6, k0h, k0l ORDER BY c_pk DESC, v6, if(v6, k0h, "
	    B32("k0l") "), if(v6, k0l, 0) FORMAT TabSeparated;\n");
	check_sql(NULL, NULL, 0, 10,
	    "SELECT count(), min(first_ms), max(first_ms) FROM mamori.flows "
	    "FORMAT TabSeparated;\n"
	    "SELECT first_ms, last_ms, hex(src), hex(dst), hex(nexthop), "
	    "hex(exporter), packets, bytes, src_as, dst_as, in_if, out_if, "
	    "sampling, src_port, dst_port, vlan, proto, tcp_flags, tos, "
	    "direction, src_mask, dst_mask FROM mamori.flows ORDER BY "
	    "first_ms, last_ms, src, dst, src_port, dst_port, proto, packets, "
	    "bytes LIMIT 10 FORMAT TabSeparated;\n");
}

static void
test_run_errors(void **state)
{
	struct query_opts q;
	struct query_stats st;
	struct mm_diag d;
	FILE *fp = tmpfile();

	(void)state;
	assert_non_null(fp);
	memset(&q, 0, sizeof(q));
	q.fp = fp;
	assert_int_equal(chquery_run("ftp://x/", &q, &st, &d), MM_EINVAL);
	assert_int_equal(chquery_run(NULL, &q, &st, &d), MM_EINVAL);
	fclose(fp);
}


/* ---- a fake ClickHouse on 127.0.0.1 answering canned bodies ---- */

#define FAKE_MAX	4

struct fake {
	int		 fd;
	int		 port;
	int		 status[FAKE_MAX];
	const char	*body[FAKE_MAX];
	int		 n;
	pthread_t	 tid;
};

static void
put(int fd, const char *s, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, s, n);

		if (w <= 0)
			return;
		s += w;
		n -= (size_t)w;
	}
}

static void *
fake_main(void *arg)
{
	struct fake *fk = arg;
	char req[65536], hdr[256];
	int i;

	for (i = 0; i < fk->n; i++) {
		size_t got = 0, need = 0;
		char *e, *cl;
		int c;

		if ((c = accept(fk->fd, NULL, NULL)) < 0)
			break;
		for (;;) {
			ssize_t r = read(c, req + got, sizeof(req) - 1 - got);

			if (r <= 0)
				break;
			got += (size_t)r;
			req[got] = '\0';
			if ((e = strstr(req, "\r\n\r\n")) == NULL)
				continue;
			if (need == 0) {
				cl = strstr(req, "Content-Length:");
				need = (size_t)(e + 4 - req) +
				    (cl ? strtoul(cl + 15, NULL, 10) : 0);
				if (strstr(req, "100-continue") != NULL)
					put(c, "HTTP/1.1 100 Continue"
					    "\r\n\r\n", 25);
			}
			if (got >= need)
				break;
		}
		snprintf(hdr, sizeof(hdr), "HTTP/1.1 %d X\r\nContent-Length: "
		    "%zu\r\nConnection: close\r\n\r\n", fk->status[i],
		    strlen(fk->body[i]));
		put(c, hdr, strlen(hdr));
		put(c, fk->body[i], strlen(fk->body[i]));
		close(c);
	}
	return NULL;
}

static void
fake_start(struct fake *fk)
{
	struct sockaddr_in sa;
	socklen_t sl = sizeof(sa);
	int one = 1;

	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_true((fk->fd = socket(AF_INET, SOCK_STREAM, 0)) >= 0);
	setsockopt(fk->fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	assert_int_equal(bind(fk->fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(listen(fk->fd, 4), 0);
	assert_int_equal(getsockname(fk->fd, (struct sockaddr *)&sa, &sl), 0);
	fk->port = ntohs(sa.sin_port);
	assert_int_equal(pthread_create(&fk->tid, NULL, fake_main, fk), 0);
}

static void
fake_stop(struct fake *fk)
{
	shutdown(fk->fd, SHUT_RDWR);
	pthread_join(fk->tid, NULL);
	close(fk->fd);
}

/* Runs q (raw when stat is NULL) against canned answers; returns rc and
 * the output in *out (caller frees). */
static int
fake_run(const char *stat, uint64_t limit, int n, const int *status,
    const char *const *body, char **out, struct mm_diag *d)
{
	struct fake fk;
	struct query_opts q;
	struct query_stats st;
	struct agg_spec sp;
	char url[64];
	size_t len;
	FILE *fp;
	int i, rc;

	memset(&fk, 0, sizeof(fk));
	fk.n = n;
	for (i = 0; i < n; i++) {
		fk.status[i] = status[i];
		fk.body[i] = body[i];
	}
	fake_start(&fk);
	memset(&q, 0, sizeof(q));
	assert_non_null(fp = open_memstream(out, &len));
	q.fp = fp;
	q.no_summary = 1;
	q.out.fmt = QOUT_CSV;
	q.limit = limit;
	if (stat != NULL) {
		assert_int_equal(agg_spec_stat(stat, &sp, d), 0);
		q.stats = &sp;
		q.nstats = 1;
	}
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/", fk.port);
	rc = chquery_run(url, &q, &st, d);
	fclose(fp);
	fake_stop(&fk);
	return rc;
}

#define ROW_A "1714521600000\t1714521601000\t" \
    "00000000000000000000FFFF0A000001\t00000000000000000000FFFFC0000201\t" \
    "00000000000000000000000000000000\t00000000000000000000FFFF7F000001\t" \
    "10\t1000\t1\t2\t3\t4\t1\t1234\t80\t0\t6\t18\t0\t1\t24\t24"

/* Raw flows: `bounds` answers the count/min/max query, `body` the page. */
static void
expect_raw(const char *bounds, const char *body, uint64_t limit, int want,
    const char *msg)
{
	const int st[2] = { 200, 200 };
	const char *b[2];
	struct mm_diag d;
	char *out = NULL;
	int rc;

	b[0] = bounds;
	b[1] = body;
	mm_diag_clear(&d);
	rc = fake_run(NULL, limit, body != NULL ? 2 : 1, st, b, &out, &d);
	if (rc != want)
		fail_msg("%s: rc %d, want %d (%s)", msg, rc, want, d.msg);
	if (want != 0 && strstr(d.msg, "clickhouse") == NULL)
		fail_msg("%s: diag '%s'", msg, d.msg);
	free(out);
}

#define BOUNDS "1\t1714521600000\t1714521600000\n"

static void
test_response_raw(void **state)
{
	const int st[2] = { 200, 200 };
	const char *b[2] = { BOUNDS, ROW_A "\n" };
	struct mm_diag d;
	char *out = NULL;

	(void)state;
	assert_int_equal(fake_run(NULL, 0, 2, st, b, &out, &d), 0);
	assert_string_equal(strchr(out, '\n') + 1,
	    "2024-05-01T00:00:00.000Z,2024-05-01T00:00:01.000Z,1000,6,10.0.0.1,"
	    "1234,192.0.2.1,80,10,1000,18,0,1,2,3,4,::,127.0.0.1,0,1,1\n");
	free(out);
	expect_raw(BOUNDS, ROW_A "\n", 0, 0, "good row");
	expect_raw("0\t0\t0\n", NULL, 0, 0, "no flows");
	expect_raw("0\t0\n", NULL, 0, MM_EFORMAT, "short bounds");
	expect_raw(BOUNDS, "", 0, 0, "empty page");
	expect_raw(BOUNDS, ROW_A, 0, MM_EFORMAT, "no newline");
	expect_raw(BOUNDS, "1\t2\n", 0, MM_EFORMAT, "fewer columns");
	expect_raw(BOUNDS, ROW_A "\t7\n", 0, MM_EFORMAT, "more columns");
	expect_raw(BOUNDS, "1714521600000\t1\t0A\n", 0, MM_EFORMAT,
	    "short hex");
	expect_raw(BOUNDS, "99999999999999999999999\t1\n", 0, MM_EFORMAT,
	    "overflow");
	expect_raw(BOUNDS, "-1\t1\n", 0, MM_EFORMAT, "negative");
	expect_raw(BOUNDS, "1714521600000\t1714521601000\t"
	    "00000000000000000000FFFF0A00000G\t", 0, MM_EFORMAT, "bad hex");
	expect_raw(BOUNDS, ROW_A "\n" ROW_A "\n", 1, MM_EFORMAT,
	    "over LIMIT");
	expect_raw("1\t1714521600001\t1714521600001\n", ROW_A "\n", 0,
	    MM_EFORMAT, "outside range");
}

static void
test_response_groups(void **state)
{
	const int st[2] = { 200, 200 }, err[1] = { 500 };
	const char *good[2] = { "3\t30\t3000\t1000\t5000\n",
	    "6\t2\t20\t2000\t1000\t5000\n17\t1\t10\t1000\t3000\t3000\n" };
	const char *dup[2] = { "3\t30\t3000\t1000\t5000\n",
	    "6\t2\t20\t2000\t1000\t5000\n6\t1\t10\t1000\t3000\t3000\n" };
	const char *big[2] = { "3\t30\t3000\t1000\t5000\n",
	    "256\t2\t20\t2000\t1000\t5000\n" };
	const char *zero[2] = { "3\t30\t3000\t1000\t5000\n",
	    "6\t0\t20\t2000\t1000\t5000\n" };
	const char *e500[1] = { "Code: 60, e.displayText() = DB::Exception: "
	    "Table mamori.flows doesn't exist.\n" };
	struct mm_diag d;
	char *out = NULL;

	(void)state;
	assert_int_equal(fake_run("proto", 0, 2, st, good, &out, &d), 0);
	assert_string_equal(out, "first,last,duration,proto,flows,packets,"
	    "bytes,pps,bps,bpp\n"
	    "1970-01-01T00:00:01.000Z,1970-01-01T00:00:05.000Z,4000,6,2,20,2000,"
	    "5,4000,100\n"
	    "1970-01-01T00:00:03.000Z,1970-01-01T00:00:03.000Z,0,17,1,10,1000,"
	    "0,0,100\n");
	free(out);
	assert_int_equal(fake_run("proto", 0, 2, st, dup, &out, &d),
	    MM_EFORMAT);
	free(out);
	assert_int_equal(fake_run("proto", 0, 2, st, big, &out, &d),
	    MM_EFORMAT);
	free(out);
	assert_int_equal(fake_run("proto", 0, 2, st, zero, &out, &d),
	    MM_EFORMAT);
	free(out);
	assert_int_equal(fake_run("proto", 0, 1, err, e500, &out, &d),
	    MM_EIO);
	assert_non_null(strstr(d.msg, "doesn't exist"));
	free(out);
}

/* ---- helper modes for tests/cli/clickhouse_query.sh ---- */

static uint64_t
lcg(uint64_t *s)
{
	*s = *s * 6364136223846793005ULL + 1442695040888963407ULL;
	return *s >> 33;
}

static int
mode_gen(const char *dir, long n, int dense)
{
	struct store_writer *w = NULL;
	struct store_conf c;
	struct mm_diag d;
	struct flow f;
	uint64_t s = 42, r;
	mtime_t base = 1714521600000LL;	/* 2024-05-01 */
	long i;
	static const uint16_t ports[] = { 80, 443, 53, 22, 25, 123, 8080 };
	static const uint8_t protos[] = { 6, 6, 6, 17, 17, 1, 58, 47 };

	memset(&c, 0, sizeof(c));
	if (store_writer_open(dir, &c, &w, &d) != 0) {
		fprintf(stderr, "gen: %s\n", d.msg);
		return 1;
	}
	for (i = 0; i < n; i++) {
		memset(&f, 0, sizeof(f));
		/* groups of 7 flows share a first-seen time (paging ties) */
		f.first = base + (i / 7) * 40 + (mtime_t)(lcg(&s) % 3);
		if (dense)	/* 100 000 flows per millisecond */
			f.first = base + (i / 100000) * 1000;
		r = lcg(&s) % 10;
		f.last = r == 0 ? f.first : r == 1 ? f.first - 5 :
		    f.first + (mtime_t)(lcg(&s) % 60000);
		r = lcg(&s) % 20;
		if (r < 14)
			addr_from_v4(&f.src, 0x0a000000u |
			    (uint32_t)(lcg(&s) % 4) << 8 |
			    (uint32_t)(lcg(&s) % 40));
		else if (r < 19) {
			uint8_t b[16] = { 0x20, 0x01, 0x0d, 0xb8 };

			b[4] = (uint8_t)(lcg(&s) % 2 ? 0x80 : 0);
			b[7] = (uint8_t)(lcg(&s) % 3);
			b[15] = (uint8_t)(lcg(&s) % 30);
			addr_from_v6(&f.src, b);
		}	/* else zero src */
		r = lcg(&s) % 10;
		if (r < 8)
			addr_from_v4(&f.dst, 0xc0000200u |
			    (uint32_t)(lcg(&s) % 25));
		else {
			uint8_t b[16] = { 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 9 };

			b[15] = (uint8_t)(lcg(&s) % 10);
			addr_from_v6(&f.dst, b);
		}
		addr_from_v4(&f.nexthop, 0xc6336401u + (uint32_t)(i % 3));
		addr_from_v4(&f.exporter, 0x7f000001u + (uint32_t)(i % 2));
		f.proto = protos[lcg(&s) % 8];
		f.src_port = (uint16_t)(lcg(&s) % 3 ? 1024 + lcg(&s) % 300 :
		    ports[lcg(&s) % 7]);
		f.dst_port = ports[lcg(&s) % 7];
		if (f.proto == 1 || f.proto == 58) {
			f.src_port = 0;
			f.dst_port = (uint16_t)((lcg(&s) % 12) << 8 |
			    (lcg(&s) % 2));
		}
		f.packets = lcg(&s) % 20 == 0 ? 0 : 1 + lcg(&s) % 500;
		f.bytes = f.packets * (40 + lcg(&s) % 1460);
		if (lcg(&s) % 50 == 0)
			f.bytes = (uint64_t)5000000000ULL + lcg(&s);
		f.tcp_flags = f.proto == 6 ? (uint8_t)(lcg(&s) % 64) : 0;
		f.tos = (uint8_t)(lcg(&s) % 4 * 8);
		f.src_as = (uint32_t)(64500 + lcg(&s) % 5);
		f.dst_as = (uint32_t)(lcg(&s) % 3 ? 64500 + lcg(&s) % 5 :
		    4200000000u + lcg(&s) % 3);
		f.in_if = (uint32_t)(1 + lcg(&s) % 6);
		f.out_if = (uint32_t)(1 + lcg(&s) % 6);
		f.vlan = (uint16_t)(lcg(&s) % 3 * 100);
		f.sampling = 1;
		f.direction = (uint8_t)(lcg(&s) % 3);
		f.src_mask = 24;
		f.dst_mask = 24;
		if (store_writer_add(w, &f, f.first, &d) != 0) {
			fprintf(stderr, "gen: %s\n", d.msg);
			return 1;
		}
	}
	if (store_writer_close(w, &d) != 0) {
		fprintf(stderr, "gen: %s\n", d.msg);
		return 1;
	}
	return 0;
}

static int
post_rows(const char *url, const uint8_t *buf, size_t len)
{
	struct mm_diag d;
	int rc;

	if (len == 0)
		return 0;
	rc = chhttp_query(url, "INSERT INTO " CHSINK_TABLE " FORMAT RowBinary",
	    buf, len, NULL, NULL, &d);
	if (rc != 0)
		fprintf(stderr, "load: %s\n", d.msg);
	return rc;
}

static int
mode_load(const char *url, char **paths, int npaths)
{
	struct flow_block b;
	struct store_block_info info;
	struct mm_diag d;
	struct flow f;
	const char *sql;
	uint8_t *buf = NULL;
	size_t nbuf = 0, cap = 8192, i, k, np = 0;
	char **p = NULL;
	uint64_t rows = 0;
	int a, rc = 1;

	for (i = 0; (sql = chsink_schema_sql(i)) != NULL; i++)
		if (chhttp_query(url, sql, NULL, 0, NULL, NULL, &d) != 0) {
			fprintf(stderr, "load: %s\n", d.msg);
			return 1;
		}
	if ((buf = malloc(cap * CHSINK_ROW_SIZE)) == NULL)
		return 1;
	flow_block_init(&b);
	for (a = 0; a < npaths; a++) {
		if (store_list(paths[a], NULL, &p, &np, &d) != 0) {
			fprintf(stderr, "load: %s\n", d.msg);
			goto out;
		}
		for (k = 0; k < np; k++) {
			struct store_reader *r = NULL;

			if (store_reader_open(p[k], &r, &d) != 0) {
				fprintf(stderr, "load: %s\n", d.msg);
				goto out;
			}
			while (store_reader_next(r, &info, &d) == 1) {
				if (store_reader_load(r, FCOL_ALL, &b,
				    &d) != 0) {
					fprintf(stderr, "load: %s\n", d.msg);
					store_reader_close(r);
					goto out;
				}
				for (i = 0; i < b.n; i++) {
					flow_block_get(&b, i, &f);
					chsink_encode_row(&f, buf + nbuf *
					    CHSINK_ROW_SIZE);
					rows++;
					if (++nbuf == cap) {
						if (post_rows(url, buf, nbuf *
						    CHSINK_ROW_SIZE) != 0) {
							store_reader_close(r);
							goto out;
						}
						nbuf = 0;
					}
				}
			}
			store_reader_close(r);
		}
		store_paths_free(p, np);
		p = NULL;
		np = 0;
	}
	if (post_rows(url, buf, nbuf * CHSINK_ROW_SIZE) != 0)
		goto out;
	printf("loaded %llu flows\n", (unsigned long long)rows);
	rc = 0;
out:
	store_paths_free(p, np);
	flow_block_free(&b);
	free(buf);
	return rc;
}

/* A subset of `mamori flows` options, to drive chquery until cmd_flows has
 * --clickhouse. */
static int
mode_flows(const char *url, int argc, char **argv)
{
	struct agg_spec stats[QUERY_MAXSTATS], aggr;
	struct query_opts q;
	struct query_stats st;
	struct filter *flt = NULL;
	struct mm_diag d;
	char expr[4096] = "", *sql = NULL;
	int a, order = -1, has_aggr = 0, rc = 1;
	size_t nstats = 0, i;

	memset(&q, 0, sizeof(q));
	mm_diag_clear(&d);
	q.fp = stdout;
	q.order = AO_BYTES;
	for (a = 0; a < argc; a++) {
		const char *o = argv[a], *v = a + 1 < argc ? argv[a + 1] : "";

		if (strcmp(o, "-s") == 0 && nstats < QUERY_MAXSTATS) {
			if (agg_spec_stat(v, &stats[nstats++], &d) != 0)
				goto bad;
			a++;
		} else if (strcmp(o, "-A") == 0) {
			if (agg_spec_keys(v, &aggr, &d) != 0)
				goto bad;
			has_aggr = 1;
			a++;
		} else if (strcmp(o, "-O") == 0) {
			if (strcmp(v, "tstart") == 0)
				q.sort_tstart = 1;
			else if ((order = agg_order_parse(v)) < 0)
				goto bad;
			a++;
		} else if (strcmp(o, "-n") == 0) {
			q.topn = (size_t)strtoul(v, NULL, 10);
			a++;
		} else if (strcmp(o, "-c") == 0) {
			q.limit = strtoull(v, NULL, 10);
			a++;
		} else if (strcmp(o, "-t") == 0) {
			if (mtime_parse_window(v, mtime_now(), &q.window) != 0)
				goto bad;
			q.has_window = 1;
			a++;
		} else if (strcmp(o, "-o") == 0) {
			q.out.fmt = strcmp(v, "csv") == 0 ? QOUT_CSV :
			    strcmp(v, "json") == 0 ? QOUT_JSON : QOUT_TABLE;
			a++;
		} else if (strcmp(o, "-N") == 0)
			q.out.plain = 1;
		else if (strcmp(o, "-q") == 0)
			q.no_summary = 1;
		else {
			if (strlen(expr) + strlen(o) + 2 > sizeof(expr))
				goto bad;
			if (expr[0] != '\0')
				strcat(expr, " ");
			strcat(expr, o);
		}
	}
	if (filter_parse(expr, &flt, &d) != 0)
		goto bad;
	if (order >= 0) {
		if (!has_aggr)
			for (i = 0; i < nstats; i++)
				stats[i].order = order;
		q.order = order;
	}
	q.filter = filter_is_any(flt) ? NULL : flt;
	q.stats = stats;
	q.nstats = nstats;
	q.aggr = has_aggr ? &aggr : NULL;
	if (url == NULL) {
		if (chquery_sql(&q, &sql, &d) != 0)
			goto bad;
		fputs(sql, stdout);
		free(sql);
		rc = 0;
	} else if (chquery_run(url, &q, &st, &d) != 0)
		goto bad;
	else
		rc = 0;
	filter_free(flt);
	return rc;
bad:
	fprintf(stderr, "test_chquery: %s\n", d.msg);
	filter_free(flt);
	return 2;
}

int
main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_where_addr),
		cmocka_unit_test(test_where_num),
		cmocka_unit_test(test_where_window),
		cmocka_unit_test(test_sql_groups),
		cmocka_unit_test(test_run_errors),
		cmocka_unit_test(test_response_raw),
		cmocka_unit_test(test_response_groups),
	};

	if (argc >= 4 && strcmp(argv[1], "gen") == 0)
		return mode_gen(argv[2], atol(argv[3]), argc >= 5 &&
		    strcmp(argv[4], "dense") == 0);
	if (argc >= 4 && strcmp(argv[1], "load") == 0)
		return mode_load(argv[2], argv + 3, argc - 3);
	if (argc >= 3 && strcmp(argv[1], "flows") == 0)
		return mode_flows(argv[2], argc - 3, argv + 3);
	if (argc >= 2 && strcmp(argv[1], "sql") == 0)
		return mode_flows(NULL, argc - 2, argv + 2);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
