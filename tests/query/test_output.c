/*
 * test_output.c - golden strings for the table, CSV and JSON printers of
 * flows, statistics, aggregates and the summary.
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
#include "query/agg.h"
#include "query/output.h"
#include "store/block.h"

static struct flow fl[3];

static int
setup(void **state)
{
	(void)state;
	memset(fl, 0, sizeof(fl));
	addr_parse("10.0.0.1", &fl[0].src);
	addr_parse("192.0.2.80", &fl[0].dst);
	addr_parse("10.0.0.254", &fl[0].nexthop);
	addr_parse("127.0.0.1", &fl[0].exporter);
	fl[0].first = 1714564800250LL;		/* 2024-05-01T12:00:00.250Z */
	fl[0].last = fl[0].first + 1500;
	fl[0].proto = 6;
	fl[0].src_port = 40000;
	fl[0].dst_port = 443;
	fl[0].packets = 12;
	fl[0].bytes = 2500000;
	fl[0].tcp_flags = 0x1b;
	fl[0].src_as = 64500;
	fl[0].dst_as = 64501;
	fl[0].in_if = 1;
	fl[0].out_if = 2;
	fl[0].sampling = 1;
	fl[0].direction = 1;

	addr_parse("2001:db8::1", &fl[1].src);
	addr_parse("2001:db8::2", &fl[1].dst);
	fl[1].first = 1714564801000LL;
	fl[1].last = fl[1].first;
	fl[1].proto = 58;
	fl[1].dst_port = 0x8000;
	fl[1].packets = 1;
	fl[1].bytes = 64;
	fl[1].vlan = 7;

	fl[2] = fl[0];
	fl[2].first += 2000;
	fl[2].last += 4000;
	fl[2].bytes = 100;
	fl[2].packets = 2;
	return 0;
}

static char *
run_flows(int fmt, int plain)
{
	struct out_opts o = { fmt, plain };
	char *buf = NULL;
	size_t len = 0, i;
	FILE *fp = open_memstream(&buf, &len);

	assert_non_null(fp);
	out_flow_header(fp, &o);
	for (i = 0; i < 2; i++)
		out_flow(fp, &o, &fl[i]);
	fclose(fp);
	return buf;
}

static void
expect(char *got, const char *want)
{
	if (strcmp(got, want) != 0)
		fail_msg("got:\n%s\nwant:\n%s", got, want);
	free(got);
}

static void
test_flow_table(void **state)
{
	(void)state;
	expect(run_flows(QOUT_TABLE, 0),
	    "Date first seen          Duration Proto          Src IP Addr:Port"
	    "    Dst IP Addr:Port           Packets    Bytes Flows\n"
	    "2024-05-01 12:00:00.250     1.500 TCP              10.0.0.1:40000"
	    " -> 192.0.2.80:443                  12    2.5 M     1\n"
	    "2024-05-01 12:00:01.000     0.000 ICMP6           [2001:db8::1]:0"
	    " -> [2001:db8::2]:128.0              1       64     1\n");
	expect(run_flows(QOUT_TABLE, 1),
	    "Date first seen          Duration Proto          Src IP Addr:Port"
	    "    Dst IP Addr:Port           Packets    Bytes Flows\n"
	    "2024-05-01 12:00:00.250     1.500 TCP              10.0.0.1:40000"
	    " -> 192.0.2.80:443                  12  2500000     1\n"
	    "2024-05-01 12:00:01.000     0.000 ICMP6           [2001:db8::1]:0"
	    " -> [2001:db8::2]:128.0              1       64     1\n");
}

static void
test_flow_csv(void **state)
{
	(void)state;
	expect(run_flows(QOUT_CSV, 0),
	    "first,last,duration,proto,src,src_port,dst,dst_port,packets,bytes,"
	    "tcp_flags,tos,src_as,dst_as,in_if,out_if,nexthop,exporter,vlan,"
	    "sampling,direction\n"
	    "2024-05-01T12:00:00.250Z,2024-05-01T12:00:01.750Z,1500,6,10.0.0.1,"
	    "40000,192.0.2.80,443,12,2500000,27,0,64500,64501,1,2,10.0.0.254,"
	    "127.0.0.1,0,1,1\n"
	    "2024-05-01T12:00:01.000Z,2024-05-01T12:00:01.000Z,0,58,"
	    "2001:db8::1,0,2001:db8::2,32768,1,64,0,0,0,0,0,0,::,::,7,0,0\n");
}

static void
test_flow_json(void **state)
{
	(void)state;
	expect(run_flows(QOUT_JSON, 0),
	    "{\"first\":\"2024-05-01T12:00:00.250Z\",\"last\":"
	    "\"2024-05-01T12:00:01.750Z\",\"duration\":1500,\"proto\":6,"
	    "\"src\":\"10.0.0.1\",\"src_port\":40000,\"dst\":\"192.0.2.80\","
	    "\"dst_port\":443,\"packets\":12,\"bytes\":2500000,\"tcp_flags\":27,"
	    "\"tos\":0,\"src_as\":64500,\"dst_as\":64501,\"in_if\":1,"
	    "\"out_if\":2,\"nexthop\":\"10.0.0.254\",\"exporter\":\"127.0.0.1\","
	    "\"vlan\":0,\"sampling\":1,\"direction\":1}\n"
	    "{\"first\":\"2024-05-01T12:00:01.000Z\",\"last\":"
	    "\"2024-05-01T12:00:01.000Z\",\"duration\":0,\"proto\":58,"
	    "\"src\":\"2001:db8::1\",\"src_port\":0,\"dst\":\"2001:db8::2\","
	    "\"dst_port\":32768,\"packets\":1,\"bytes\":64,\"tcp_flags\":0,"
	    "\"tos\":0,\"src_as\":0,\"dst_as\":0,\"in_if\":0,\"out_if\":0,"
	    "\"nexthop\":\"::\",\"exporter\":\"::\",\"vlan\":7,\"sampling\":0,"
	    "\"direction\":0}\n");
}

static char *
run_groups(const char *spec, int is_stat, int fmt)
{
	struct out_opts o = { fmt, 0 };
	struct query_stats tot;
	struct flow_block b;
	struct agg_spec sp;
	struct agg_row *rows;
	struct mm_diag d;
	struct agg *a;
	uint32_t idx[3] = { 0, 1, 2 };
	size_t nrows, i;
	char *buf = NULL;
	size_t len = 0;
	FILE *fp;

	flow_block_init(&b);
	for (i = 0; i < 3; i++)
		assert_int_equal(flow_block_append(&b, &fl[i]), 0);
	if (is_stat)
		assert_int_equal(agg_spec_stat(spec, &sp, &d), 0);
	else
		assert_int_equal(agg_spec_keys(spec, &sp, &d), 0);
	assert_int_equal(agg_new(&sp, &a), 0);
	assert_int_equal(agg_add(a, &b, idx, 3), 0);
	assert_int_equal(agg_top(a, sp.order, 10, &rows, &nrows), 0);
	memset(&tot, 0, sizeof(tot));
	tot.flows = 3;
	tot.packets = 15;
	tot.bytes = 2500164;
	fp = open_memstream(&buf, &len);
	assert_non_null(fp);
	out_groups(fp, &o, a, is_stat, sp.order, rows, nrows, &tot);
	fclose(fp);
	free(rows);
	agg_free(a);
	flow_block_free(&b);
	return buf;
}

static void
test_stat_table(void **state)
{
	(void)state;
	expect(run_groups("srcip/bytes", 1, QOUT_TABLE),
	    "Top 2 Src IP Addr ordered by bytes:\n"
	    "Date first seen          Duration                             "
	    "Src IP Addr         Flows(%)       Packets(%)         Bytes(%)"
	    "      pps      bps    bpp\n"
	    "2024-05-01 12:00:00.250     5.500                               "
	    " 10.0.0.1          2(66.7)         14(93.3)     2.5 M(100.0)"
	    "        2    3.6 M 178578\n"
	    "2024-05-01 12:00:01.000     0.000                             "
	    "2001:db8::1          1(33.3)          1( 6.7)         64( 0.0)"
	    "        0        0     64\n\n");
	expect(run_groups("proto", 1, QOUT_TABLE),
	    "Top 2 Proto ordered by flows:\n"
	    "Date first seen          Duration      Proto         Flows(%)"
	    "       Packets(%)         Bytes(%)      pps      bps    bpp\n"
	    "2024-05-01 12:00:00.250     5.500        TCP          2(66.7)"
	    "         14(93.3)     2.5 M(100.0)        2    3.6 M 178578\n"
	    "2024-05-01 12:00:01.000     0.000      ICMP6          1(33.3)"
	    "          1( 6.7)         64( 0.0)        0        0     64\n\n");
}

static void
test_stat_csv_json(void **state)
{
	(void)state;
	expect(run_groups("ip/packets", 1, QOUT_CSV),
	    "first,last,duration,ip,flows,packets,bytes,pps,bps,bpp\n"
	    "2024-05-01T12:00:00.250Z,2024-05-01T12:00:05.750Z,5500,10.0.0.1,"
	    "2,14,2500100,2,3636509,178578\n"
	    "2024-05-01T12:00:00.250Z,2024-05-01T12:00:05.750Z,5500,192.0.2.80,"
	    "2,14,2500100,2,3636509,178578\n"
	    "2024-05-01T12:00:01.000Z,2024-05-01T12:00:01.000Z,0,2001:db8::1,"
	    "1,1,64,0,0,64\n"
	    "2024-05-01T12:00:01.000Z,2024-05-01T12:00:01.000Z,0,2001:db8::2,"
	    "1,1,64,0,0,64\n");
	expect(run_groups("dstport/flows", 1, QOUT_JSON),
	    "{\"stat\":\"dstport\",\"order\":\"flows\",\"rank\":1,"
	    "\"first\":\"2024-05-01T12:00:00.250Z\",\"last\":"
	    "\"2024-05-01T12:00:05.750Z\",\"duration\":5500,\"dstport\":443,"
	    "\"flows\":2,\"packets\":14,\"bytes\":2500100,\"pps\":2,"
	    "\"bps\":3636509,\"bpp\":178578}\n"
	    "{\"stat\":\"dstport\",\"order\":\"flows\",\"rank\":2,"
	    "\"first\":\"2024-05-01T12:00:01.000Z\",\"last\":"
	    "\"2024-05-01T12:00:01.000Z\",\"duration\":0,\"dstport\":32768,"
	    "\"flows\":1,\"packets\":1,\"bytes\":64,\"pps\":0,\"bps\":0,"
	    "\"bpp\":64}\n");
}

static void
test_aggr(void **state)
{
	(void)state;
	expect(run_groups("srcip,dstport", 0, QOUT_CSV),
	    "first,last,duration,srcip,dstport,flows,packets,bytes,pps,bps,"
	    "bpp\n"
	    "2024-05-01T12:00:00.250Z,2024-05-01T12:00:05.750Z,5500,10.0.0.1,"
	    "443,2,14,2500100,2,3636509,178578\n"
	    "2024-05-01T12:00:01.000Z,2024-05-01T12:00:01.000Z,0,2001:db8::1,"
	    "32768,1,1,64,0,0,64\n");
	expect(run_groups("proto", 0, QOUT_TABLE),
	    "Aggregated by proto, 2 groups, ordered by bytes:\n"
	    "Date first seen          Duration      Proto    Flows  Packets"
	    "    Bytes      pps      bps    bpp\n"
	    "2024-05-01 12:00:00.250     5.500        TCP        2       14"
	    "    2.5 M        2    3.6 M 178578\n"
	    "2024-05-01 12:00:01.000     0.000      ICMP6        1        1"
	    "       64        0        0     64\n\n");
}

static void
test_summary(void **state)
{
	struct out_opts o = { QOUT_TABLE, 0 };
	struct query_stats st;
	char *buf = NULL;
	size_t len = 0;
	FILE *fp;

	(void)state;
	memset(&st, 0, sizeof(st));
	st.flows = 3;
	st.packets = 15;
	st.bytes = 2500164;
	st.first = 1714564800250LL;
	st.last = 1714564805750LL;
	st.scanned = 10;
	st.files = 1;
	st.blocks = 2;
	st.skipped = 5;
	st.elapsed = 0.5;
	fp = open_memstream(&buf, &len);
	out_summary(fp, &o, &st);
	fclose(fp);
	expect(buf,
	    "Summary: total flows: 3, total bytes: 2.5 M, total packets: 15, "
	    "avg bps: 3.6 M, avg pps: 2, avg bpp: 166677\n"
	    "Time window: 2024-05-01T12:00:00.250Z - 2024-05-01T12:00:05.750Z\n"
	    "Total flows processed: 10, files: 1, blocks processed: 2, "
	    "blocks skipped: 5\n"
	    "Sys: 0.500s flows/second: 20\n");
	o.fmt = QOUT_CSV;
	buf = NULL;
	fp = open_memstream(&buf, &len);
	out_summary(fp, &o, &st);
	fclose(fp);
	expect(buf, "");
}

static void
test_num(void **state)
{
	char b[32];

	(void)state;
	assert_string_equal(out_num(999999, 0, b, sizeof(b)), "999999");
	assert_string_equal(out_num(1000000, 0, b, sizeof(b)), "1.0 M");
	assert_string_equal(out_num(1500000000ULL, 0, b, sizeof(b)),
	    "1.5 G");
	assert_string_equal(out_num(2000000000000ULL, 0, b, sizeof(b)),
	    "2.0 T");
	assert_string_equal(out_num(2000000000000ULL, 1, b, sizeof(b)),
	    "2000000000000");
	assert_string_equal(out_proto(6, b, sizeof(b)), "TCP");
	assert_string_equal(out_proto(200, b, sizeof(b)), "200");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_flow_table),
		cmocka_unit_test(test_flow_csv),
		cmocka_unit_test(test_flow_json),
		cmocka_unit_test(test_stat_table),
		cmocka_unit_test(test_stat_csv_json),
		cmocka_unit_test(test_aggr),
		cmocka_unit_test(test_summary),
		cmocka_unit_test(test_num),
	};

	return cmocka_run_group_tests(tests, setup, NULL);
}
