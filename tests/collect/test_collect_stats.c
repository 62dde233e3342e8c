/*
 * test_collect_stats.c - exporter merging, JSON and text rendering of the collector
 * counters, atomic stats-file replacement, and size-argument parsing.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <dirent.h>
#include <cmocka.h>

#include "collect/daemon.h"
#include "collect/stats.h"

static void
fill(struct exporter_stats *e, const char *a, uint16_t port, uint64_t dg,
    mtime_t seen, uint16_t ver)
{
	memset(e, 0, sizeof(*e));
	assert_int_equal(addr_parse(a, &e->addr), 0);
	e->port = port;
	e->datagrams = dg;
	e->flows = dg * 10;
	e->seq_gaps = 1;
	e->malformed = 2;
	e->missing_template = 3;
	e->last_seen = seen;
	e->version = ver;
}

static void
test_merge(void **state)
{
	struct exporter_stats v[5];
	size_t n;

	(void)state;
	fill(&v[0], "192.0.2.2", 2055, 5, 100, DECODE_NFV9);
	fill(&v[1], "192.0.2.1", 2055, 1, 100, DECODE_NFV5);
	fill(&v[2], "192.0.2.2", 2055, 7, 300, DECODE_IPFIX);
	fill(&v[3], "2001:db8::1", 6343, 2, 50, DECODE_SFLOW5);
	fill(&v[4], "192.0.2.2", 2056, 1, 10, DECODE_NFV9);
	n = stats_merge_exporters(v, 5);
	assert_int_equal(n, 4);
	/* sorted by address then port */
	assert_int_equal(v[0].datagrams, 1);
	assert_int_equal(v[1].port, 2055);
	assert_int_equal(v[1].datagrams, 12);
	assert_int_equal(v[1].flows, 120);
	assert_int_equal(v[1].seq_gaps, 2);
	assert_int_equal(v[1].malformed, 4);
	assert_int_equal(v[1].missing_template, 6);
	assert_int_equal(v[1].last_seen, 300);
	assert_int_equal(v[1].version, DECODE_IPFIX);
	assert_int_equal(v[2].port, 2056);
	assert_int_equal(v[3].version, DECODE_SFLOW5);
	assert_int_equal(stats_merge_exporters(v, 1), 1);
	assert_int_equal(stats_merge_exporters(v, 0), 0);
	assert_string_equal(stats_version_name(DECODE_NFV5), "netflow-v5");
	assert_string_equal(stats_version_name(77), "unknown");
}

static void
sample(struct collect_stats *s)
{
	memset(s, 0, sizeof(*s));
	s->started = 1700000000000LL;
	s->now = 1700000010500LL;
	s->threads = 2;
	s->sockets = 2;
	s->datagrams = 1000;
	s->flows = 29000;
	s->kernel_drops = 3;
	s->queue_drops = 4;
	s->flows_written = 28996;
	s->exp = calloc(2, sizeof(*s->exp));
	assert_non_null(s->exp);
	fill(&s->exp[0], "192.0.2.1", 2055, 600, 1700000010000LL,
	    DECODE_NFV5);
	fill(&s->exp[1], "2001:db8::1", 4739, 400, 0, DECODE_IPFIX);
	s->nexp = 2;
}

static void
test_json(void **state)
{
	struct collect_stats	 s;
	char			*j = NULL;
	size_t			 len = 0;

	(void)state;
	sample(&s);
	assert_int_equal(stats_to_json(&s, &j, &len), 0);
	assert_non_null(j);
	assert_int_equal(strlen(j), len);
	assert_true(j[0] == '{');
	assert_true(strcmp(j + len - 2, "}\n") == 0);
	assert_non_null(strstr(j, "\"started\":\"2023-11-14T22:13:20.000Z\""));
	assert_non_null(strstr(j, "\"uptime_s\":10,"));
	assert_non_null(strstr(j, "\"datagrams\":1000,"));
	assert_non_null(strstr(j, "\"kernel_drops\":3,"));
	assert_non_null(strstr(j, "\"queue_drops\":4,"));
	assert_non_null(strstr(j, "\"flows_written\":28996,"));
	assert_non_null(strstr(j, "\"exporters\":[{\"address\":\"192.0.2.1\","
	    "\"port\":2055,\"version\":\"netflow-v5\",\"datagrams\":600,"
	    "\"flows\":6000,\"sequence_gaps\":1,\"malformed\":2,"
	    "\"missing_template\":3,\"templates\":0,\"last_seen\":"
	    "\"2023-11-14T22:13:30.000Z\"},{\"address\":\"2001:db8::1\""));
	assert_non_null(strstr(j, "\"last_seen\":null}]}"));
	free(j);

	assert_int_equal(stats_to_text(&s, &j, &len), 0);
	assert_non_null(strstr(j, "exporter   2001:db8::1 port 4739 ipfix"));
	assert_non_null(strstr(j, "3 kernel drops"));
	free(j);

	/* no exporters */
	stats_clear(&s);
	assert_int_equal(s.nexp, 0);
	assert_int_equal(stats_to_json(&s, &j, NULL), 0);
	assert_non_null(strstr(j, "\"exporters\":[]}"));
	free(j);
	stats_clear(NULL);
}

static void
test_file(void **state)
{
	struct collect_stats	 s;
	struct mm_diag		 d;
	char			 dir[] = "/tmp/mamori-test-stats-XXXXXX";
	char			 path[256], buf[4096];
	FILE			*fp;
	DIR			*dp;
	struct dirent		*de;
	size_t			 n;
	int			 files = 0;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/collect.stats.json", dir);
	sample(&s);
	assert_int_equal(stats_write_file(&s, path, &d), 0);
	s.datagrams = 2000;
	assert_int_equal(stats_write_file(&s, path, &d), 0);	/* replace */
	fp = fopen(path, "r");
	assert_non_null(fp);
	n = fread(buf, 1, sizeof(buf) - 1, fp);
	buf[n] = '\0';
	fclose(fp);
	assert_non_null(strstr(buf, "\"datagrams\":2000,"));
	dp = opendir(dir);
	assert_non_null(dp);
	while ((de = readdir(dp)) != NULL)
		if (de->d_name[0] != '.')
			files++;
	closedir(dp);
	assert_int_equal(files, 1);			/* no temp left */
	unlink(path);
	rmdir(dir);
	/* unwritable place: error with a message */
	memset(&d, 0, sizeof(d));
	assert_int_equal(stats_write_file(&s, "/nonexistent-dir/x.json", &d),
	    MM_EIO);
	assert_non_null(strstr(d.msg, "/nonexistent-dir/x.json"));
	stats_clear(&s);
}

static void
test_size(void **state)
{
	uint64_t v;

	(void)state;
	assert_int_equal(daemon_parse_size("123", &v), 0);
	assert_int_equal(v, 123);
	assert_int_equal(daemon_parse_size("64K", &v), 0);
	assert_int_equal(v, 65536);
	assert_int_equal(daemon_parse_size("32M", &v), 0);
	assert_int_equal(v, 32u << 20);
	assert_int_equal(daemon_parse_size("2GiB", &v), 0);
	assert_int_equal(v, (uint64_t)2 << 30);
	assert_int_equal(daemon_parse_size("1mb", &v), 0);
	assert_int_equal(v, 1u << 20);
	assert_true(daemon_parse_size("", &v) < 0);
	assert_true(daemon_parse_size("M", &v) < 0);
	assert_true(daemon_parse_size("-1", &v) < 0);
	assert_true(daemon_parse_size("12X", &v) < 0);
	assert_true(daemon_parse_size("12MiBs", &v) < 0);
	assert_true(daemon_parse_size("99999999999999999999G", &v) < 0);
	assert_true(daemon_parse_size("99999999999G", &v) < 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_merge),
		cmocka_unit_test(test_json),
		cmocka_unit_test(test_file),
		cmocka_unit_test(test_size),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
