/*
 * test_filter.c - nfdump filter language: parsing (AST shape for every
 * keyword, precedence), syntax errors with positions, host hints, column
 * masks, and evaluation truth tables over a crafted block.
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
#include "query/filter.h"
#include "store/block.h"

static void
check_ast(const char *expr, const char *want)
{
	struct filter *f = NULL;
	struct mm_diag d;
	char buf[1024];
	int rc;

	rc = filter_parse(expr, &f, &d);
	if (rc != 0)
		fail_msg("'%s': %s (pos %ld)", expr, d.msg, d.pos);
	filter_fmt(f, buf, sizeof(buf));
	if (strcmp(buf, want) != 0)
		fail_msg("'%s': got %s, want %s", expr, buf, want);
	filter_free(f);
}

static void
test_parse_keywords(void **state)
{
	(void)state;
	check_ast("", "any");
	check_ast("  any ", "any");
	check_ast("ANY", "any");
	check_ast("host 10.0.0.1", "(any:src,dst 10.0.0.1/32)");
	check_ast("src host 10.0.0.1", "(src 10.0.0.1/32)");
	check_ast("dst ip 10.0.0.1", "(dst 10.0.0.1/32)");
	check_ast("ip 2001:db8::1", "(any:src,dst 2001:db8::1/128)");
	check_ast("src or dst host 10.0.0.1", "(any:src,dst 10.0.0.1/32)");
	check_ast("src and dst net 10.0.0.0/8", "(all:src,dst 10.0.0.0/8)");
	check_ast("net 10.1.2.3/16", "(any:src,dst 10.1.0.0/16)");
	check_ast("src net 192.168.0.0 255.255.255.0",
	    "(src 192.168.0.0/24)");
	check_ast("dst net 2001:db8::/32", "(dst 2001:db8::/32)");
	check_ast("port 80", "(any:srcport,dstport = 80)");
	check_ast("src port > 1023", "(srcport > 1023)");
	check_ast("dst port gt 1023", "(dstport > 1023)");
	check_ast("dst port ge 1", "(dstport >= 1)");
	check_ast("dst port le 1", "(dstport <= 1)");
	check_ast("dst port lt 1", "(dstport < 1)");
	check_ast("dst port eq 1", "(dstport = 1)");
	check_ast("dst port ne 1", "(dstport != 1)");
	check_ast("dst port != 1", "(dstport != 1)");
	check_ast("dst port == 1", "(dstport = 1)");
	check_ast("dst port <= 1", "(dstport <= 1)");
	check_ast("dst port >= 1", "(dstport >= 1)");
	check_ast("dst port < 1", "(dstport < 1)");
	check_ast("port in [443, 80 80 22]",
	    "(any:srcport,dstport in 22 80 443)");
	check_ast("host in [10.0.0.2 10.0.0.1]",
	    "(any:src,dst in 10.0.0.1 10.0.0.2)");
	check_ast("proto tcp", "(proto = 6)");
	check_ast("proto UDP", "(proto = 17)");
	check_ast("proto icmp", "(proto = 1)");
	check_ast("proto icmp6", "(proto = 58)");
	check_ast("proto gre", "(proto = 47)");
	check_ast("proto esp", "(proto = 50)");
	check_ast("proto 132", "(proto = 132)");
	check_ast("tcp", "(proto = 6)");
	check_ast("inet", "(inet4)");
	check_ast("ipv4", "(inet4)");
	check_ast("inet6", "(inet6)");
	check_ast("ipv6", "(inet6)");
	check_ast("flags S", "(flags 0x02)");
	check_ast("flags SA", "(flags 0x12)");
	check_ast("flags UAPRSFEC", "(flags 0xff)");
	check_ast("as 64500", "(any:srcas,dstas = 64500)");
	check_ast("src as > 100", "(srcas > 100)");
	check_ast("dst as 1", "(dstas = 1)");
	check_ast("as in [1 2]", "(any:srcas,dstas in 1 2)");
	check_ast("in if 3", "(inif = 3)");
	check_ast("out if 4", "(outif = 4)");
	check_ast("if 5", "(any:inif,outif = 5)");
	check_ast("next ip 10.0.0.254", "(nexthop 10.0.0.254/32)");
	check_ast("nexthop 10.0.0.254", "(nexthop 10.0.0.254/32)");
	check_ast("router ip 192.0.2.1", "(exporter 192.0.2.1/32)");
	check_ast("exporter 192.0.2.1", "(exporter 192.0.2.1/32)");
	check_ast("tos 184", "(tos = 184)");
	check_ast("vlan 100", "(vlan = 100)");
	check_ast("packets > 10", "(packets > 10)");
	check_ast("bytes > 10k", "(bytes > 10000)");
	check_ast("bytes >= 2M", "(bytes >= 2000000)");
	check_ast("bytes < 1g", "(bytes < 1000000000)");
	check_ast("duration > 1000", "(duration > 1000)");
	check_ast("bps > 1m", "(bps > 1000000)");
	check_ast("pps > 100", "(pps > 100)");
	check_ast("bpp < 100", "(bpp < 100)");
}

static void
test_parse_precedence(void **state)
{
	(void)state;
	check_ast("tcp or udp and port 53",
	    "(or (proto = 6) (and (proto = 17) (any:srcport,dstport = 53)))");
	check_ast("(tcp or udp) and port 53",
	    "(and (or (proto = 6) (proto = 17)) (any:srcport,dstport = 53))");
	check_ast("not tcp and udp", "(and (not (proto = 6)) (proto = 17))");
	check_ast("! tcp || udp && ! port 1",
	    "(or (not (proto = 6)) (and (proto = 17) "
	    "(not (any:srcport,dstport = 1))))");
	check_ast("tcp and udp and icmp",
	    "(and (proto = 6) (proto = 17) (proto = 1))");
	check_ast("not not tcp", "(not (not (proto = 6)))");
	check_ast("((tcp))", "(proto = 6)");
	check_ast("SRC HOST 10.0.0.1 AND NOT DST PORT 80",
	    "(and (src 10.0.0.1/32) (not (dstport = 80)))");
}

static void
check_err(const char *expr, long pos)
{
	struct filter *f = NULL;
	struct mm_diag d;
	int rc;

	rc = filter_parse(expr, &f, &d);
	if (rc != MM_ESYNTAX)
		fail_msg("'%s': rc %d, want syntax error", expr, rc);
	assert_null(f);
	if (d.pos != pos)
		fail_msg("'%s': pos %ld, want %ld (%s)", expr, d.pos, pos,
		    d.msg);
	assert_true(strlen(d.msg) > 0);
}

static void
test_parse_errors(void **state)
{
	(void)state;
	check_err("host", 4);
	check_err("host 10.0.0.300", 5);
	check_err("port x", 5);
	check_err("port 70000", 5);
	check_err("tcp and", 7);
	check_err("tcp or or udp", 7);
	check_err("(tcp", 4);
	check_err("tcp)", 3);
	check_err("bogus 1", 0);
	check_err("src bogus", 4);
	check_err("proto xyz", 6);
	check_err("flags Q", 6);
	check_err("net 10.0.0.0 255.0.255.0", 13);
	check_err("net 10.0.0.0", 12);
	check_err("port in [ ]", 10);
	check_err("port in 80", 8);
	check_err("host 1.2.3.4 $", 13);
	check_err("bytes > 5q", 8);
	check_err("in 3", 3);
	check_err("tos 256", 4);
	check_err("tcp udp", 4);
}

static void
test_parse_limits(void **state)
{
	struct filter *f = NULL;
	struct mm_diag d;
	char *buf;
	size_t i, n = 2000;

	(void)state;
	/* deep nesting is refused, long chains are fine */
	buf = malloc(n * 2 + 8);
	assert_non_null(buf);
	for (i = 0; i < n; i++)
		buf[i] = '(';
	strcpy(buf + n, "tcp");
	assert_int_equal(filter_parse(buf, &f, &d), MM_ESYNTAX);
	assert_null(f);
	free(buf);
	buf = malloc(n * 8 + 8);
	assert_non_null(buf);
	buf[0] = '\0';
	for (i = 0; i < n; i++)
		strcat(buf, i ? " or tcp" : "tcp");
	assert_int_equal(filter_parse(buf, &f, &d), 0);
	filter_free(f);
	free(buf);
}

static void
test_hosts_colmask(void **state)
{
	struct filter *f;
	struct mm_diag d;
	struct mm_addr a[FILTER_MAXHINTS], want;

	(void)state;
	assert_int_equal(filter_parse("src host 10.0.0.1 and port 80", &f, &d),
	    0);
	assert_int_equal(filter_hosts(f, a, FILTER_MAXHINTS), 1);
	addr_parse("10.0.0.1", &want);
	assert_memory_equal(&a[0], &want, 16);
	assert_int_equal(filter_colmask(f), FCOL_BIT(FCOL_SRC) |
	    FCOL_BIT(FCOL_SRC_PORT) | FCOL_BIT(FCOL_DST_PORT));
	filter_free(f);

	assert_int_equal(filter_parse("host 10.0.0.1 or host 10.0.0.2",
	    &f, &d), 0);
	assert_int_equal(filter_hosts(f, a, FILTER_MAXHINTS), 2);
	filter_free(f);

	assert_int_equal(filter_parse("host in [1.1.1.1 2.2.2.2 3.3.3.3]",
	    &f, &d), 0);
	assert_int_equal(filter_hosts(f, a, FILTER_MAXHINTS), 3);
	filter_free(f);

	assert_int_equal(filter_parse("tcp and (host 1.1.1.1 or port 80)",
	    &f, &d), 0);
	assert_int_equal(filter_hosts(f, a, FILTER_MAXHINTS), 0);
	filter_free(f);

	assert_int_equal(filter_parse("not host 1.1.1.1", &f, &d), 0);
	assert_int_equal(filter_hosts(f, a, FILTER_MAXHINTS), 0);
	filter_free(f);

	assert_int_equal(filter_parse("net 10.0.0.0/8", &f, &d), 0);
	assert_int_equal(filter_hosts(f, a, FILTER_MAXHINTS), 0);
	filter_free(f);

	assert_int_equal(filter_parse("next ip 1.1.1.1", &f, &d), 0);
	assert_int_equal(filter_hosts(f, a, FILTER_MAXHINTS), 0);
	assert_int_equal(filter_colmask(f), FCOL_BIT(FCOL_NEXTHOP));
	filter_free(f);

	assert_int_equal(filter_parse("any", &f, &d), 0);
	assert_true(filter_is_any(f));
	assert_int_equal(filter_colmask(f), 0);
	filter_free(f);
}

/* ---- evaluation ---- */

static struct flow_block blk;

static void
add(const char *src, const char *dst, int proto, int sport, int dport,
    uint64_t pkts, uint64_t bytes, mtime_t dur, int flags)
{
	struct flow f;

	memset(&f, 0, sizeof(f));
	assert_int_equal(addr_parse(src, &f.src), 0);
	assert_int_equal(addr_parse(dst, &f.dst), 0);
	addr_parse("10.255.0.1", &f.nexthop);
	addr_parse(blk.n % 2 ? "192.0.2.1" : "192.0.2.2", &f.exporter);
	f.first = 1700000000000LL + (mtime_t)blk.n;
	f.last = f.first + dur;
	f.proto = (uint8_t)proto;
	f.src_port = (uint16_t)sport;
	f.dst_port = (uint16_t)dport;
	f.packets = pkts;
	f.bytes = bytes;
	f.tcp_flags = (uint8_t)flags;
	f.src_as = 64500 + (uint32_t)blk.n;
	f.dst_as = 65000;
	f.in_if = (uint32_t)blk.n;
	f.out_if = 7;
	f.tos = blk.n == 3 ? 184 : 0;
	f.vlan = blk.n == 4 ? 100 : 0;
	f.sampling = 1;
	assert_int_equal(flow_block_append(&blk, &f), 0);
}

static int
setup_block(void **state)
{
	(void)state;
	flow_block_init(&blk);
	/* 0 */ add("10.0.0.1", "10.0.0.2", 6, 40000, 80, 10, 5000, 1000, 0x1b);
	/* 1 */ add("10.0.0.2", "10.0.0.1", 6, 80, 40000, 8, 12000, 1000, 0x12);
	/* 2 */ add("192.168.1.5", "8.8.8.8", 17, 5353, 53, 1, 80, 0, 0);
	/* 3 */ add("2001:db8::1", "2001:db8::2", 17, 123, 123, 2, 200, 500,
	    0);
	/* 4 */ add("8.8.4.4", "10.1.2.3", 1, 0, 0x0800, 3, 252, 2000, 0);
	/* 5 */ add("172.16.0.1", "10.0.0.1", 6, 443, 50000, 1000, 1500000,
	    10000, 0x02);
	/* 6 */ add("2001:db8::5", "10.0.0.9", 58, 0, 0x8000, 1, 64, 0, 0);
	/* 7 */ add("10.0.0.1", "10.0.0.1", 47, 0, 0, 100, 100000, 100, 0);
	return 0;
}

static int
teardown_block(void **state)
{
	(void)state;
	flow_block_free(&blk);
	return 0;
}

/* `want` is a string of '0'/'1', one per row. */
static void
check_eval(const char *expr, const char *want)
{
	struct filter *f;
	struct mm_diag d;
	uint8_t sel[64];
	uint32_t idx[64];
	char got[65];
	size_t i, n, cnt = 0;

	if (filter_parse(expr, &f, &d) != 0)
		fail_msg("'%s': %s", expr, d.msg);
	n = filter_eval(f, &blk, 0, blk.n, sel);
	for (i = 0; i < blk.n; i++) {
		got[i] = sel[i] ? '1' : '0';
		cnt += sel[i];
	}
	got[blk.n] = '\0';
	if (strcmp(got, want) != 0)
		fail_msg("'%s': got %s want %s", expr, got, want);
	assert_int_equal(n, cnt);
	/* index form agrees */
	assert_int_equal(filter_select(f, &blk, idx), cnt);
	/* a sub-range agrees with the whole */
	n = filter_eval(f, &blk, 3, 4, sel);
	for (i = 0; i < 4; i++)
		assert_int_equal(sel[i], want[3 + i] == '1');
	filter_free(f);
}

static void
test_eval_truth(void **state)
{
	(void)state;
	check_eval("any", "11111111");
	check_eval("host 10.0.0.1", "11000101");
	check_eval("src host 10.0.0.1", "10000001");
	check_eval("dst host 10.0.0.1", "01000101");
	check_eval("src and dst host 10.0.0.1", "00000001");
	check_eval("not host 10.0.0.1", "00111010");
	check_eval("net 10.0.0.0/8", "11001111");
	check_eval("src net 10.0.0.0 255.0.0.0", "11000001");
	check_eval("net 2001:db8::/32", "00010010");
	check_eval("dst net 10.0.0.0/24", "11000111");
	check_eval("inet", "11101101");
	check_eval("inet6", "00010010");
	check_eval("proto tcp", "11000100");
	check_eval("udp", "00110000");
	check_eval("proto icmp", "00001000");
	check_eval("proto icmp6", "00000010");
	check_eval("proto gre", "00000001");
	check_eval("port 80", "11000000");
	check_eval("src port 80", "01000000");
	check_eval("dst port > 1023", "01001110");
	check_eval("port in [53 123]", "00110000");
	check_eval("host in [8.8.8.8 8.8.4.4]", "00101000");
	check_eval("flags S", "11000100");
	check_eval("flags SA", "11000000");
	check_eval("flags AP", "10000000");
	check_eval("packets > 8", "10000101");
	check_eval("packets >= 8", "11000101");
	check_eval("bytes > 10k", "01000101");
	check_eval("bytes > 1M", "00000100");
	check_eval("duration > 999", "11001100");
	check_eval("duration == 0", "00100010");
	/* bps: row 0 40000, 1 96000, 4 1008, 5 1200000, 3 3200, 7 8000000 */
	check_eval("bps > 50000", "01000101");
	check_eval("pps >= 10", "10000101");
	check_eval("bpp > 1000", "01000100");
	check_eval("src as 64502", "00100000");
	check_eval("dst as 65000", "11111111");
	check_eval("as 64501", "01000000");
	check_eval("src as > 64505", "00000011");
	check_eval("in if 2", "00100000");
	check_eval("out if 7", "11111111");
	check_eval("if 7", "11111111");
	check_eval("tos 184", "00010000");
	check_eval("vlan 100", "00001000");
	check_eval("next ip 10.255.0.1", "11111111");
	check_eval("router ip 192.0.2.1", "01010101");
	check_eval("tcp and port 80", "11000000");
	check_eval("tcp and not port 80", "00000100");
	check_eval("udp or icmp", "00111000");
	check_eval("(udp or icmp) and inet", "00101000");
	check_eval("udp or icmp and inet", "00111000");
	check_eval("!(tcp || udp) && bytes < 1000", "00001010");
	check_eval("src or dst port 53", "00100000");
}

static void
test_eval_large(void **state)
{
	struct flow_block b;
	struct filter *f;
	struct mm_diag d;
	struct flow fl;
	uint8_t *sel;
	size_t i, n, want = 0;

	(void)state;
	/* rows across several chunks; every 3rd flow is TCP/443 */
	flow_block_init(&b);
	memset(&fl, 0, sizeof(fl));
	for (i = 0; i < 5000; i++) {
		addr_from_v4(&fl.src, 0x0a000000u + (uint32_t)i);
		addr_from_v4(&fl.dst, 0xc0a80001u);
		fl.proto = i % 3 == 0 ? 6 : 17;
		fl.dst_port = i % 3 == 0 ? 443 : 53;
		want += i % 3 == 0 && i >= 256;
		assert_int_equal(flow_block_append(&b, &fl), 0);
	}
	assert_int_equal(filter_parse("tcp and dst port 443 and not "
	    "src net 10.0.0.0/24", &f, &d), 0);
	sel = malloc(b.n);
	assert_non_null(sel);
	n = filter_eval(f, &b, 0, b.n, sel);
	assert_int_equal(n, want);
	free(sel);
	filter_free(f);
	flow_block_free(&b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_keywords),
		cmocka_unit_test(test_parse_precedence),
		cmocka_unit_test(test_parse_errors),
		cmocka_unit_test(test_parse_limits),
		cmocka_unit_test(test_hosts_colmask),
		cmocka_unit_test_setup_teardown(test_eval_truth, setup_block,
		    teardown_block),
		cmocka_unit_test(test_eval_large),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
