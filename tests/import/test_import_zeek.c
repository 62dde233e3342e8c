/*
 * test_import_zeek.c - Zeek conn.log importer: TSV, JSON lines and their
 * gzip forms give the same golden flows; --bidir; header handling
 * (custom separator, unset/empty markers, #path, default columns); broken
 * lines (wrong column counts, bad numbers, zero times, huge counters,
 * overlong lines) are counted, named and skipped; truncated gzip fails.
 */
#include "import_test_util.h"

static void
run_file(const char *path, int bidir, struct tsink *t, struct import_stats *st)
{
	struct import_conf	c;
	struct mm_diag		d;
	int			rc;

	memset(&c, 0, sizeof(c));
	c.bidir = bidir;
	rc = import_text_file(IMPORT_ZEEK, path, &c, &t->sink, st, &d);
	if (rc != 0)
		fail_msg("%s: %s", path, d.msg);
}

static void
test_tsv_golden(void **state)
{
	struct tsink		t;
	struct import_stats	st;

	(void)state;
	ts_init(&t);
	run_file(DATA("conn.log"), 0, &t, &st);
	assert_int_equal(st.records, 6);
	assert_int_equal(st.flows, 11);
	assert_int_equal(st.malformed, 0);
	assert_int_equal(st.skipped, 9);
	golden_check(&t, DATA("conn.golden"));
	ts_free(&t);
}

static void
test_variants_same(void **state)
{
	static const char *const files[] = {
		DATA("conn.log.gz"), DATA("conn.json"), DATA("conn.json.gz")
	};
	struct tsink		t;
	struct import_stats	st;
	size_t			i;

	(void)state;
	for (i = 0; i < 3; i++) {
		ts_init(&t);
		run_file(files[i], 0, &t, &st);
		assert_int_equal(st.malformed, 0);
		assert_int_equal(st.flows, 11);
		golden_check(&t, DATA("conn.golden"));
		ts_free(&t);
	}
}

static void
test_bidir(void **state)
{
	struct tsink		t;
	struct import_stats	st;

	(void)state;
	ts_init(&t);
	run_file(DATA("conn.log"), 1, &t, &st);
	assert_int_equal(st.flows, 6);
	golden_check(&t, DATA("conn-bidir.golden"));
	ts_free(&t);
}

static int
run_mem(const char *s, struct tsink *t, struct import_stats *st,
    struct mm_diag *d)
{
	return import_text_mem(IMPORT_ZEEK, s, strlen(s), "mem", NULL,
	    &t->sink, st, d);
}

static void
test_headers(void **state)
{
	struct tsink		t;
	struct import_stats	st;
	struct mm_diag		d;

	(void)state;
	/* custom separator '|', unset '?', no #path, columns reordered */
	ts_init(&t);
	assert_int_equal(run_mem("#separator \\x7c\n"
	    "#unset_field|?\n"
	    "#fields|proto|id.resp_h|id.resp_p|id.orig_h|id.orig_p|ts|"
	    "orig_pkts|orig_ip_bytes|resp_pkts|resp_ip_bytes|extra\n"
	    "udp|10.0.0.2|53|10.0.0.1|1234|1700000000.5|1|60|?|?|x\n",
	    &t, &st, &d), 0);
	assert_int_equal(st.flows, 1);
	assert_string_equal(t.buf, "2023-11-14T22:13:20.500Z "
	    "2023-11-14T22:13:20.500Z 10.0.0.1 1234 > 10.0.0.2 53 p17 pk=1 "
	    "by=60 fl=0x00 tos=0 vlan=0\n");
	ts_free(&t);

	/* no #fields: Zeek's default column order */
	ts_init(&t);
	assert_int_equal(run_mem("1700000000.0\tC1\t10.0.0.1\t1\t10.0.0.2\t2\t"
	    "tcp\t-\t1.0\t1\t2\tSF\tT\tF\t0\tShAFaf\t3\t150\t2\t100\t-\n",
	    &t, &st, &d), 0);
	assert_int_equal(st.flows, 2);
	assert_int_equal(st.malformed, 0);
	ts_free(&t);

	/* another log type is refused as a whole */
	ts_init(&t);
	assert_int_equal(run_mem("#separator \\x09\n#path\tdns\n1\t2\n", &t,
	    &st, &d), MM_EFORMAT);
	assert_non_null(strstr(d.msg, "dns"));
	ts_free(&t);

	/* ICMPv6 written as "icmp" becomes 58, reply type */
	ts_init(&t);
	assert_int_equal(run_mem("{\"ts\":\"2024-05-01T12:00:00.250Z\","
	    "\"id\":{\"orig_h\":\"2001:db8::1\",\"orig_p\":128,"
	    "\"resp_h\":\"2001:db8::2\",\"resp_p\":0},\"proto\":\"icmp\","
	    "\"orig_pkts\":1,\"resp_pkts\":1,\"orig_ip_bytes\":104,"
	    "\"resp_ip_bytes\":104}\n", &t, &st, &d), 0);
	assert_int_equal(st.flows, 2);
	assert_non_null(strstr(t.buf, "2001:db8::1 0 > 2001:db8::2 32768 p58"));
	assert_non_null(strstr(t.buf, "2001:db8::2 0 > 2001:db8::1 33024 p58"));
	ts_free(&t);
}

static void
test_broken_lines(void **state)
{
	struct tsink		t;
	struct import_stats	st;
	struct mm_diag		d;
	char			*big;
	size_t			 n = 0;
	const char		*hdr = "#separator \\x09\n"
	    "#fields\tts\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto\t"
	    "duration\torig_pkts\torig_ip_bytes\tresp_pkts\tresp_ip_bytes\n";

	(void)state;
	n = strlen(hdr) + 200000;
	big = malloc(n + 4096);
	assert_non_null(big);
	strcpy(big, hdr);
	strcat(big,
	    "1700000000\t10.0.0.1\t1\t10.0.0.2\t2\ttcp\t1\t1\t40\t0\t0\n"	/* ok, line 3 */
	    "1700000000\t10.0.0.1\t1\t10.0.0.2\t2\ttcp\t1\t1\t40\n"		/* 4: columns */
	    "0\t10.0.0.1\t1\t10.0.0.2\t2\ttcp\t1\t1\t40\t0\t0\n"		/* 5: zero ts */
	    "17x\t10.0.0.1\t1\t10.0.0.2\t2\ttcp\t1\t1\t40\t0\t0\n"		/* 6: bad ts */
	    "1700000000\t10.0.0.1\t1\t10.0.0.2\t2\ttcp\t-5\t1\t40\t0\t0\n"	/* 7: neg dur */
	    "1700000000\t10.0.0.1\t1\t10.0.0.2\t2\ttcp\t1\t99999999999999999999\t40\t0\t0\n" /* 8: huge */
	    "1700000000\t10.0.0.1\t70000\t10.0.0.2\t2\ttcp\t1\t1\t40\t0\t0\n"	/* 9: port */
	    "1700000000\t10.0.0.999\t1\t10.0.0.2\t2\ttcp\t1\t1\t40\t0\t0\n"	/* 10: addr */
	    "1700000000\t10.0.0.1\t1\t2001:db8::1\t2\ttcp\t1\t1\t40\t0\t0\n"	/* 11: family */
	    "{\"ts\": 1700000000, \"id.orig_h\": [1]}\n"			/* 12 */
	    "{not json\n"							/* 13 */
	    "99999999999999\t10.0.0.1\t1\t10.0.0.2\t2\ttcp\t1\t1\t40\t0\t0\n"	/* 14: year */
	    "18446744073709551615\t10.0.0.1\t1\t10.0.0.2\t2\ttcp\t1\t18446744073709551615\t40\t0\t0\n"); /* 15 */
	/* 16: a 150000-byte line */
	n = strlen(big);
	memset(big + n, 'x', 150000);
	big[n + 150000] = '\n';
	big[n + 150001] = '\0';
	strcat(big, "1700000001\t10.0.0.1\t1\t10.0.0.2\t2\tudp\t1\t1\t40\t1\t50");
	ts_init(&t);
	assert_int_equal(run_mem(big, &t, &st, &d), 0);
	assert_int_equal(st.lines, 17);
	assert_int_equal(st.records, 2);
	assert_int_equal(st.flows, 3);
	assert_int_equal(st.malformed, 13);
	assert_true(ts_warned(&t, "mem:4: 9 fields, #fields declares 11"));
	assert_true(ts_warned(&t, "mem:5: ts: zero time"));
	assert_true(ts_warned(&t, "mem:6: ts: bad time"));
	assert_true(ts_warned(&t, "mem:7: duration"));
	assert_true(ts_warned(&t, "mem:8: orig_pkts: out of range"));
	assert_true(ts_warned(&t, "mem:9: id.orig_p"));
	assert_true(ts_warned(&t, "mem:10: id.orig_h"));
	assert_true(ts_warned(&t, "mem:11: id.resp_h: address family"));
	assert_true(ts_warned(&t, "mem:12: id.orig_h"));
	assert_true(ts_warned(&t, "mem:13: JSON"));
	assert_true(ts_warned(&t, "mem:14: ts"));
	assert_true(ts_warned(&t, "mem:15: ts"));
	assert_true(ts_warned(&t, "mem:16: line longer than 65536"));
	ts_free(&t);
	free(big);
}

static void
test_gzip_truncated(void **state)
{
	struct tsink		t;
	struct import_stats	st;
	struct mm_diag		d;
	char			*gz;
	size_t			 n = 0;
	int			 rc;

	(void)state;
	gz = read_all(DATA("conn.log.gz"), &n);
	assert_non_null(gz);
	ts_init(&t);
	rc = import_text_mem(IMPORT_ZEEK, gz, n - 20, "cut.gz", NULL,
	    &t.sink, &st, &d);
	assert_int_equal(rc, MM_ETRUNC);
	assert_non_null(strstr(d.msg, "truncated"));
	ts_free(&t);
	/* corrupt deflate data */
	gz[n / 2] ^= 0x55;
	gz[n / 2 + 1] ^= 0x55;
	ts_init(&t);
	rc = import_text_mem(IMPORT_ZEEK, gz, n, "bad.gz", NULL, &t.sink,
	    &st, &d);
	assert_true(rc == MM_EFORMAT || rc == MM_ETRUNC);
	ts_free(&t);
	free(gz);
	/* missing file */
	ts_init(&t);
	rc = import_text_file(IMPORT_ZEEK, DATA("no-such-file"), NULL,
	    &t.sink, &st, &d);
	assert_int_equal(rc, MM_EIO);
	ts_free(&t);
}

static void
test_emit_stop(void **state)
{
	struct tsink		t;
	struct import_stats	st;
	struct mm_diag		d;

	(void)state;
	ts_init(&t);
	t.stop_after = 3;
	assert_int_equal(import_text_file(IMPORT_ZEEK, DATA("conn.log"), NULL,
	    &t.sink, &st, &d), -99);
	assert_int_equal(t.nflows, 3);
	ts_free(&t);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tsv_golden),
		cmocka_unit_test(test_variants_same),
		cmocka_unit_test(test_bidir),
		cmocka_unit_test(test_headers),
		cmocka_unit_test(test_broken_lines),
		cmocka_unit_test(test_gzip_truncated),
		cmocka_unit_test(test_emit_stop),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
