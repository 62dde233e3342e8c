/*
 * test_import_csv.c - the CSV importers: Argus/CTU-13 .binetflow and
 * nfdump -o csv (a sample made with nfcapd + nfdump 1.7.1 from `mamori lab
 * isp` traffic, summary trailer included): golden flows and broken lines.
 * (tests/cli/import_nfcsv.sh compares a whole nfdump export with nfdump's
 * own totals.)
 */
#include "import_test_util.h"

static void
test_binetflow_golden(void **state)
{
	struct tsink		t;
	struct import_stats	st;
	struct mm_diag		d;

	(void)state;
	ts_init(&t);
	if (import_text_file(IMPORT_BINETFLOW, DATA("ctu13.binetflow"), NULL,
	    &t.sink, &st, &d) != 0)
		fail_msg("%s", d.msg);
	assert_int_equal(st.records, 9);
	assert_int_equal(st.flows, 9);
	assert_int_equal(st.malformed, 0);
	assert_int_equal(st.skipped, 1);
	golden_check(&t, DATA("ctu13.golden"));
	ts_free(&t);
}

static void
lab(void *arg, const struct flow *f, const char *label, size_t len)
{
	struct tsink	*t = arg;
	char		 line[256];

	snprintf(line, sizeof(line), "L %u %.*s\n", f->dst_port, (int)len,
	    label);
	ts_append(t, line);
}

static void
test_binetflow_labels(void **state)
{
	struct tsink		t;
	struct import_stats	st;
	struct mm_diag		d;
	const char		*s =
	    "StartTime,Dur,Proto,SrcAddr,Sport,Dir,DstAddr,Dport,State,sTos,"
	    "dTos,TotPkts,TotBytes,SrcBytes,Label\n"
	    "2011/08/10 09:46:53.047277,1,udp,1.2.3.4,1,->,5.6.7.8,2,CON,0,0,1,60,60,flow=a,b\n"
	    "2011/08/10 09:46:53.047277,1,udp,1.2.3.4,1,->,5.6.7.8,3,CON,0,0,1,60,60,\n";

	(void)state;
	ts_init(&t);
	t.sink.label = lab;
	assert_int_equal(import_text_mem(IMPORT_BINETFLOW, s, strlen(s),
	    "b", NULL, &t.sink, &st, &d), 0);
	assert_int_equal(st.flows, 2);
	assert_non_null(strstr(t.buf, "p17 pk=1 by=60 fl=0x00 tos=0 vlan=0\n"
	    "L 2 flow=a,b\n"));
	assert_null(strstr(t.buf, "L 3"));
	ts_free(&t);
}

static void
test_binetflow_broken(void **state)
{
	struct tsink		t;
	struct import_stats	st;
	struct mm_diag		d;
	const char		*s =
	    "StartTime,Dur,Proto,SrcAddr,Sport,Dir,DstAddr,Dport,State,sTos,"
	    "dTos,TotPkts,TotBytes,SrcBytes,Label\n"
	    "2011/08/10 09:46:53.047277,1,udp,1.2.3.4,1,->,5.6.7.8,2,CON,0,0,1,60,60,a,b,c\n"
	    "2011/08/10 09:46:53.047277,1,udp,1.2.3.4,1,->,5.6.7.8,2,CON,0,0,1\n"
	    "2011/13/10 09:46:53.047277,1,udp,1.2.3.4,1,->,5.6.7.8,2,CON,0,0,1,60,60,x\n"
	    "2011/08/10 09:46:53,-1,udp,1.2.3.4,1,->,5.6.7.8,2,CON,0,0,1,60,60,x\n"
	    "2011/08/10 09:46:53,1,udp,1.2.3.4,0x1ffff,->,5.6.7.8,2,CON,0,0,1,60,60,x\n"
	    "2011/08/10 09:46:53,1,udp,1.2.3.4,1,->,5.6.7.8,2,CON,0,0,1,184467440737095516160,60,x\n"
	    "2011/08/10 09:46:53,1,bogus,1.2.3.4,1,->,5.6.7.8,2,CON,0,0,1,60,60,x\n"
	    "2011/08/10 09:46:53,1,udp,1.2.3.4,1,->,5.6.7.8,0xzz,CON,0,0,1,60,60,x\n"
	    "garbage,1,2\n"
	    "2011/08/10 09:46:53,1,udp,1.2.3.4,1,->,5.6.7.8,2,CON,0,0,1,60,60,x\n";

	(void)state;
	ts_init(&t);
	assert_int_equal(import_text_mem(IMPORT_BINETFLOW, s, strlen(s),
	    "b", NULL, &t.sink, &st, &d), 0);
	/* a label with commas is fine; garbage does not change the map */
	assert_int_equal(st.records, 2);
	assert_int_equal(st.malformed, 8);
	assert_true(ts_warned(&t, "b:10: StartTime: not a time"));
	assert_true(ts_warned(&t, "b:3: 12 fields, header has 15"));
	assert_true(ts_warned(&t, "b:4: StartTime"));
	assert_true(ts_warned(&t, "b:5: Dur"));
	assert_true(ts_warned(&t, "b:6: Sport"));
	assert_true(ts_warned(&t, "b:7: TotBytes: out of range"));
	assert_true(ts_warned(&t, "b:8: Proto"));
	assert_true(ts_warned(&t, "b:9: Dport"));
	ts_free(&t);
}

static void
test_nfcsv_golden(void **state)
{
	struct tsink		t;
	struct import_stats	st;
	struct mm_diag		d;

	(void)state;
	ts_init(&t);
	if (import_text_file(IMPORT_NFCSV, DATA("nfdump.csv"), NULL, &t.sink,
	    &st, &d) != 0)
		fail_msg("%s", d.msg);
	assert_int_equal(st.records, 40);
	assert_int_equal(st.flows, 40);
	assert_int_equal(st.malformed, 0);
	assert_int_equal(st.skipped, 4);	/* header + 3 trailer lines */
	golden_check(&t, DATA("nfdump.golden"));
	ts_free(&t);
}

static void
test_nfcsv_broken(void **state)
{
	struct tsink		t;
	struct import_stats	st;
	struct mm_diag		d;
	const char		*s =
	    "ts,te,td,sa,da,sp,dp,pr,flg,ipkt,ibyt\n"
	    "2026-01-01 00:05:00,2026-01-01 00:05:00,0.500,10.0.0.1,10.0.0.2,1,2,TCP,...A..S.,3,180\n"
	    "2026-01-01 00:05:00,2026-01-01 00:05:00,0.500,10.0.0.1,10.0.0.2,1,2,TCP,...A..S.,3\n"
	    "2026-01-01 00:05:00,2026-01-01 00:05:00,0.500,10.0.0.1,10.0.0.2,1,99999,TCP,...A..S.,3,180\n"
	    "2026-01-01 00:05:00,2026-01-01 00:05:00,abc,10.0.0.1,10.0.0.2,1,2,TCP,...A..S.,3,180\n"
	    "1970-01-01 00:00:00,1970-01-01 00:00:00,0,10.0.0.1,10.0.0.2,1,2,TCP,...A..S.,3,180\n"
	    "2026-01-01 00:05:00,2026-01-01 00:05:00,0.500,10.0.0.1,10.0.0.2,1,2,TCP,.........,3,180\n"
	    "2026-01-01 00:05:00,2026-01-01 00:04:00,-60.000,10.0.0.1,10.0.0.2,1,2,TCP,......S.,3,180\n"
	    "2026-01-01 00:05:00,2026-01-01 00:05:00,0.500,10.0.0.1,10.0.0.2,1,2,TCP,......S.,3,99999999999999999999\n"
	    "Summary\n"
	    "flows,bytes,packets,avg_bps,avg_pps,avg_bpp\n"
	    "1,180,3,0,0,60\n";

	(void)state;
	ts_init(&t);
	assert_int_equal(import_text_mem(IMPORT_NFCSV, s, strlen(s), "n",
	    NULL, &t.sink, &st, &d), 0);
	assert_int_equal(st.flows, 1);
	assert_int_equal(st.malformed, 7);
	assert_true(ts_warned(&t, "n:3: 10 fields, header has 11"));
	assert_true(ts_warned(&t, "n:4: dp: out of range"));
	assert_true(ts_warned(&t, "n:5: td"));
	assert_true(ts_warned(&t, "n:6: ts: zero time"));
	assert_true(ts_warned(&t, "n:7: flg"));
	assert_true(ts_warned(&t, "n:8: td: bad seconds (negative?)"));
	assert_true(ts_warned(&t, "n:9: ibyt: out of range"));
	assert_string_equal(t.buf, "2026-01-01T00:05:00.000Z "
	    "2026-01-01T00:05:00.500Z 10.0.0.1 1 > 10.0.0.2 2 p6 pk=3 by=180 "
	    "fl=0x12 tos=0 vlan=0\n");
	ts_free(&t);

	/* data without a header is not nfdump CSV */
	ts_init(&t);
	assert_int_equal(import_text_mem(IMPORT_NFCSV, "1,2,3\n", 6, "n",
	    NULL, &t.sink, &st, &d), MM_EFORMAT);
	ts_free(&t);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_binetflow_golden),
		cmocka_unit_test(test_binetflow_labels),
		cmocka_unit_test(test_binetflow_broken),
		cmocka_unit_test(test_nfcsv_golden),
		cmocka_unit_test(test_nfcsv_broken),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
