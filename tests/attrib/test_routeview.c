/*
 * test_routeview.c - the routing view: pfx2as lines (MOAS, AS sets, bad
 * lines counted with file:line), the customer file (AS forms, duplicates,
 * bad lines), precedence (more specific wins; ties customer > routes >
 * mmdb; a customer covering a more specific route; customer without AS
 * takes the route's origin), MRT majority origin and MOAS with BGP4MP
 * updates replacing and withdrawing per peer (a withdrawn prefix falls back
 * to its live cover), ::/0 not answering for IPv4, MaxMind databases made
 * by tests/attrib/mkmmdb.py (skipped without python3), wrong-kind and
 * missing files.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "attrib/mrt.h"
#include "attrib/routeview.h"
#include "core/addr.h"
#include "core/err.h"

#define DATA	MAMORI_SRCDIR "/tests/attrib/data"

static char tmpdir[256];

static int
setup(void **state)
{
	(void)state;
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/mamori-routeview.XXXXXX");
	return mkdtemp(tmpdir) == NULL ? -1 : 0;
}

static int
teardown(void **state)
{
	char cmd[512];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	return system(cmd) == 0 ? 0 : -1;
}

/* Looks `addr` up; checks prefix ("" = no match), origin, source. */
static void
expect(const struct routeview *rv, const char *addr, const char *pfx,
    uint32_t origin, enum route_source src, const char *cust, int moas)
{
	struct route_match m;
	struct mm_addr a;
	char buf[PREFIX_STRLEN];
	int found;

	assert_int_equal(addr_parse(addr, &a), 0);
	found = routeview_lookup(rv, &a, &m);
	if (pfx[0] == '\0') {
		if (found)
			fail_msg("%s: matched %s", addr, prefix_fmt(&m.prefix,
			    buf, sizeof(buf)));
		assert_int_equal(m.source, ROUTE_SRC_NONE);
		return;
	}
	if (!found)
		fail_msg("%s: no match, want %s", addr, pfx);
	prefix_fmt(&m.prefix, buf, sizeof(buf));
	if (strcmp(buf, pfx) != 0 || m.origin_as != origin ||
	    m.source != src || strcmp(m.customer, cust) != 0 ||
	    (moas >= 0 && m.moas != moas))
		fail_msg("%s: got %s AS%u %s '%s' moas %d; want %s AS%u %s "
		    "'%s' moas %d", addr, buf, m.origin_as,
		    route_source_name(m.source), m.customer, m.moas, pfx,
		    origin, route_source_name(src), cust, moas);
}

static void
test_pfx2as(void **state)
{
	struct routeview *rv = routeview_new();
	const struct routeview_stats *st;
	struct mm_diag d;

	(void)state;
	assert_non_null(rv);
	assert_int_equal(routeview_add_pfx2as(rv, DATA "/pfx2as.txt", &d), 0);
	st = routeview_stats(rv);
	assert_int_equal(st->records, 10);
	assert_int_equal(st->bad, 4);
	assert_int_equal(st->prefixes, 5);
	assert_non_null(strstr(d.msg, "pfx2as.txt:7: field 2"));
	assert_int_equal(d.pos, 7);
	expect(rv, "10.1.2.3", "10.1.0.0/16", 64501, ROUTE_SRC_PFX2AS, "", 1);
	expect(rv, "10.2.0.1", "10.2.0.0/16", 64503, ROUTE_SRC_PFX2AS, "", 0);
	expect(rv, "10.200.0.1", "10.0.0.0/8", 64500, ROUTE_SRC_PFX2AS, "",
	    0);
	expect(rv, "2001:db8:ffff::1", "2001:db8::/32", 64510,
	    ROUTE_SRC_PFX2AS, "", 0);
	expect(rv, "203.0.113.1", "", 0, ROUTE_SRC_NONE, "", 0);
	routeview_free(rv);
}

static void
test_customers(void **state)
{
	struct routeview *rv = routeview_new();
	const struct routeview_stats *st;
	struct mm_diag d;

	(void)state;
	assert_int_equal(routeview_add_pfx2as(rv, DATA "/pfx2as.txt", &d), 0);
	assert_int_equal(routeview_add_customers(rv, DATA "/customers.txt",
	    &d), 0);
	st = routeview_stats(rv);
	assert_int_equal(st->bad, 4 + 4);
	assert_non_null(strstr(d.msg, "customers.txt:8: prefix 10.1.2.0/24 "
	    "repeats line 2"));
	/* 5 pfx2as + 4 new customer prefixes (10.0.0.0/8 is in both) */
	assert_int_equal(st->prefixes, 9);
	/* customer more specific than the route */
	expect(rv, "10.1.2.3", "10.1.2.0/24", 64501, ROUTE_SRC_CUSTOMER,
	    "cust-a", -1);
	/* customer without AS: origin from the covering route */
	expect(rv, "10.9.1.1", "10.9.0.0/16", 64500, ROUTE_SRC_CUSTOMER,
	    "cust-b", 0);
	/* tie on 10.0.0.0/8: customer wins, origin from the route */
	expect(rv, "10.50.0.1", "10.0.0.0/8", 64500, ROUTE_SRC_CUSTOMER,
	    "big-isp", 0);
	/* a more specific route inside a customer prefix: the route's prefix
	 * and origin, the customer's id */
	expect(rv, "192.0.2.200", "192.0.2.128/25", 64531, ROUTE_SRC_PFX2AS,
	    "cust-c", 0);
	expect(rv, "192.0.2.7", "192.0.2.0/24", 64530, ROUTE_SRC_CUSTOMER,
	    "cust-c", 0);
	expect(rv, "2001:db8:1:2::3", "2001:db8:1::/48", 64520,
	    ROUTE_SRC_CUSTOMER, "isp-x", 0);
	/* covered only by the pfx2as /16 but inside customer big-isp */
	expect(rv, "10.2.0.1", "10.2.0.0/16", 64503, ROUTE_SRC_PFX2AS,
	    "big-isp", 0);
	routeview_free(rv);
}

/* ---- MRT built here ---- */

struct bb {
	uint8_t	b[4096];
	size_t	n;
};

static void
put8(struct bb *b, unsigned v)
{
	assert_true(b->n < sizeof(b->b));
	b->b[b->n++] = (uint8_t)v;
}

static void
put16(struct bb *b, unsigned v)
{
	put8(b, v >> 8);
	put8(b, v);
}

static void
put32(struct bb *b, uint32_t v)
{
	put16(b, v >> 16);
	put16(b, v & 0xffff);
}

static void
putpfx(struct bb *b, const char *s)
{
	struct mm_prefix p;
	unsigned len, i;
	int v4;

	assert_int_equal(prefix_parse(s, &p), 0);
	v4 = addr_is_v4(&p.addr);
	len = v4 ? p.len - 96u : p.len;
	put8(b, len);
	for (i = 0; i < (len + 7) / 8; i++)
		put8(b, p.addr.b[(v4 ? 12 : 0) + i]);
}

static void
set_len(struct bb *b, size_t at, size_t width)
{
	size_t v = b->n - at - width, i;

	for (i = 0; i < width; i++)
		b->b[at + i] = (uint8_t)(v >> (8 * (width - 1 - i)));
}

static size_t
rec(struct bb *b, unsigned type, unsigned subtype)
{
	size_t at;

	put32(b, 5000);
	put16(b, type);
	put16(b, subtype);
	at = b->n;
	put32(b, 0);
	return at;
}

/* ORIGIN IGP, AS_PATH [a1 a2] (a1 0: [a2] only), NEXT_HOP 192.0.2.1 */
static void
attrs(struct bb *b, uint32_t a1, uint32_t a2)
{
	put8(b, 0x40);
	put8(b, 1);
	put8(b, 1);
	put8(b, 0);
	put8(b, 0x40);
	put8(b, 2);
	put8(b, a1 ? 10 : 6);
	put8(b, MRT_AS_SEQUENCE);
	put8(b, a1 ? 2 : 1);
	if (a1)
		put32(b, a1);
	put32(b, a2);
	put8(b, 0x40);
	put8(b, 3);
	put8(b, 4);
	put32(b, 0xc0000201);
}

/* RIB_IPV4/IPV6_UNICAST with `n` entries (peer, a1, a2). */
static void
rib(struct bb *b, const char *pfx, int n, const uint32_t (*e)[3])
{
	size_t r = rec(b, MRT_TABLE_DUMP_V2, strchr(pfx, ':') ? 4 : 2), al;
	int i;

	put32(b, 0);
	putpfx(b, pfx);
	put16(b, (unsigned)n);
	for (i = 0; i < n; i++) {
		put16(b, e[i][0]);
		put32(b, 4999);
		al = b->n;
		put16(b, 0);
		attrs(b, e[i][1], e[i][2]);
		set_len(b, al, 2);
	}
	set_len(b, r, 4);
}

/* BGP4MP MESSAGE_AS4 from peer 192.0.2.<peer+1> AS 65001+peer: withdraw
 * `wd` (or NULL), announce `ann` with [a1 a2] (or NULL). */
static void
update(struct bb *b, unsigned peer, const char *wd, const char *ann,
    uint32_t a1, uint32_t a2)
{
	size_t r = rec(b, MRT_BGP4MP, 4), m, l;
	int i;

	put32(b, 65001 + peer);
	put32(b, 65000);
	put16(b, 0);
	put16(b, 1);
	put32(b, 0xc0000201 + peer);
	put32(b, 0xc00002fe);
	for (i = 0; i < 16; i++)
		put8(b, 0xff);
	m = b->n;
	put16(b, 0);
	put8(b, 2);
	l = b->n;
	put16(b, 0);
	if (wd != NULL)
		putpfx(b, wd);
	set_len(b, l, 2);
	l = b->n;
	put16(b, 0);
	if (ann != NULL)
		attrs(b, a1, a2);
	set_len(b, l, 2);
	if (ann != NULL)
		putpfx(b, ann);
	/* BGP length counts the marker and itself */
	b->b[m] = (uint8_t)((b->n - m + 16) >> 8);
	b->b[m + 1] = (uint8_t)(b->n - m + 16);
	set_len(b, r, 4);
}

static void
write_file(const char *path, const struct bb *b)
{
	FILE *fp = fopen(path, "wb");

	assert_non_null(fp);
	assert_int_equal(fwrite(b->b, 1, b->n, fp), b->n);
	assert_int_equal(fclose(fp), 0);
}

static void
test_mrt_moas_updates(void **state)
{
	static const uint32_t e1[][3] = {
		{ 0, 65001, 64600 }, { 1, 65002, 64601 }, { 2, 65003, 64601 }
	};
	static const uint32_t e2[][3] = { { 0, 0, 64700 }, { 1, 0, 64699 } };
	static const uint32_t e3[][3] = { { 0, 0, 64800 } };
	static const uint32_t e4[][3] = { { 0, 0, 64900 } };
	struct bb *b = calloc(1, sizeof(*b));
	struct routeview *rv = routeview_new();
	const struct routeview_stats *st;
	struct mm_diag d;
	char rib_path[512], upd_path[512];
	size_t r;
	unsigned i;

	(void)state;
	/* PEER_INDEX_TABLE: 192.0.2.1/65001, .2/65002, .3/65003 */
	r = rec(b, MRT_TABLE_DUMP_V2, 1);
	put32(b, 1);
	put16(b, 0);
	put16(b, 3);
	for (i = 0; i < 3; i++) {
		put8(b, 0x02);
		put32(b, i);
		put32(b, 0xc0000201 + i);
		put32(b, 65001 + i);
	}
	set_len(b, r, 4);
	rib(b, "203.0.113.0/24", 3, e1);
	rib(b, "198.51.100.0/24", 2, e2);
	rib(b, "198.51.100.128/25", 1, e3);
	rib(b, "::/0", 1, e4);
	snprintf(rib_path, sizeof(rib_path), "%s/rib.mrt", tmpdir);
	write_file(rib_path, b);
	assert_int_equal(routeview_add_mrt(rv, rib_path, &d), 0);
	st = routeview_stats(rv);
	assert_int_equal(st->records, 5);
	assert_int_equal(st->bad, 0);
	assert_int_equal(st->prefixes, 4);
	/* 2 of 3 peers say 64601 */
	expect(rv, "203.0.113.9", "203.0.113.0/24", 64601, ROUTE_SRC_MRT, "",
	    1);
	/* 1:1 tie: lowest AS */
	expect(rv, "198.51.100.1", "198.51.100.0/24", 64699, ROUTE_SRC_MRT,
	    "", 1);
	expect(rv, "198.51.100.200", "198.51.100.128/25", 64800,
	    ROUTE_SRC_MRT, "", 0);
	/* ::/0 answers IPv6 only */
	expect(rv, "2001:db8:99::1", "::/0", 64900, ROUTE_SRC_MRT, "", 0);
	expect(rv, "8.8.8.8", "", 0, ROUTE_SRC_NONE, "", 0);

	/* updates: peer 0 withdraws the /25 and moves the /24 to 64699;
	 * peer 2 withdraws 203.0.113.0/24 */
	b->n = 0;
	update(b, 0, "198.51.100.128/25", NULL, 0, 0);
	update(b, 0, NULL, "198.51.100.0/24", 0, 64699);
	update(b, 2, "203.0.113.0/24", NULL, 0, 0);
	update(b, 1, NULL, "192.0.2.0/24", 65002, 64555);
	snprintf(upd_path, sizeof(upd_path), "%s/upd.mrt", tmpdir);
	write_file(upd_path, b);
	assert_int_equal(routeview_add_mrt(rv, upd_path, &d), 0);
	assert_int_equal(st->bad, 0);
	expect(rv, "198.51.100.200", "198.51.100.0/24", 64699, ROUTE_SRC_MRT,
	    "", 0);
	expect(rv, "203.0.113.9", "203.0.113.0/24", 64600, ROUTE_SRC_MRT, "",
	    1);
	expect(rv, "192.0.2.77", "192.0.2.0/24", 64555, ROUTE_SRC_MRT, "", 0);
	routeview_free(rv);
	free(b);
}

static void
test_wrong_files(void **state)
{
	struct routeview *rv = routeview_new();
	struct mm_diag d;
	char path[512];
	struct bb b;

	(void)state;
	assert_int_equal(routeview_add_mrt(rv, DATA "/pfx2as.txt", &d),
	    MM_EFORMAT);
	assert_non_null(strstr(d.msg, "not an MRT file"));
	assert_int_equal(routeview_add_customers(rv, DATA "/missing", &d),
	    MM_EIO);
	assert_int_equal(routeview_add_mmdb(rv, DATA "/customers.txt", &d),
	    MM_EFORMAT);
	assert_int_equal(routeview_add_mmdb(rv, DATA "/missing.mmdb", &d),
	    MM_EIO);
	/* an MRT file read as pfx2as: nothing usable */
	memset(&b, 0, sizeof(b));
	rec(&b, MRT_TABLE_DUMP_V2, 1);
	put32(&b, 1);
	put16(&b, 0);
	put16(&b, 0);
	set_len(&b, 8, 4);
	put8(&b, '\n');
	put8(&b, 'x');
	snprintf(path, sizeof(path), "%s/bin.mrt", tmpdir);
	write_file(path, &b);
	assert_int_equal(routeview_add_pfx2as(rv, path, &d), MM_EFORMAT);
	assert_non_null(strstr(d.msg, "not a prefix-to-AS file"));
	assert_int_equal(routeview_lookup(NULL, NULL, NULL), 0);
	assert_string_equal(route_source_name(ROUTE_SRC_CUSTOMER), "customer");
	routeview_free(rv);
	routeview_free(NULL);
}

/* Runs the generator; 0 when the file was made. */
static int
mkmmdb(const char *out, const char *opts)
{
	char cmd[1024];

	snprintf(cmd, sizeof(cmd), "python3 '%s/tests/attrib/mkmmdb.py' '%s' "
	    "--check %s >/dev/null", MAMORI_SRCDIR, out, opts);
	return system(cmd);
}

static void
test_mmdb(void **state)
{
	struct routeview *rv;
	struct route_match m;
	struct mm_addr a;
	struct mm_diag d;
	char p6[512], p4[512];

	(void)state;
	if (system("python3 -c 'import ipaddress' >/dev/null 2>&1") != 0)
		skip();
	snprintf(p6, sizeof(p6), "%s/asn6.mmdb", tmpdir);
	snprintf(p4, sizeof(p4), "%s/asn4.mmdb", tmpdir);
	assert_int_equal(mkmmdb(p6, ""), 0);
	assert_int_equal(mkmmdb(p4, "--ipv4-only --record-size 32"), 0);

	/* the IPv6 tree alone */
	rv = routeview_new();
	assert_int_equal(routeview_add_mmdb(rv, p6, &d), 0);
	expect(rv, "10.1.2.3", "10.1.0.0/16", 64501, ROUTE_SRC_MMDB, "", 0);
	assert_int_equal(addr_parse("198.51.100.1", &a), 0);
	assert_int_equal(routeview_lookup(rv, &a, &m), 1);
	assert_int_equal(m.origin_as, 64503);
	assert_string_equal(m.as_name, "Half Doc \xe6\x97\xa5\xe6\x9c\xac");
	assert_string_equal(m.prefix.len == 121 ? "ok" : "len", "ok");
	expect(rv, "198.51.100.200", "", 0, ROUTE_SRC_NONE, "", 0);
	expect(rv, "2001:db8:1:ff::1", "2001:db8:1::/48", 4200000001u,
	    ROUTE_SRC_MMDB, "", 0);
	expect(rv, "203.0.113.1", "", 0, ROUTE_SRC_NONE, "", 0);
	/* with routes: a tie goes to the route, the AS name stays */
	assert_int_equal(routeview_add_pfx2as(rv, DATA "/pfx2as.txt", &d), 0);
	assert_int_equal(addr_parse("10.1.2.3", &a), 0);
	assert_int_equal(routeview_lookup(rv, &a, &m), 1);
	assert_int_equal(m.source, ROUTE_SRC_PFX2AS);
	assert_string_equal(m.as_name, "Example Ten-One");
	/* a narrower mmdb leaf with the same AS does not displace the /8 */
	expect(rv, "10.200.0.1", "10.0.0.0/8", 64500, ROUTE_SRC_PFX2AS, "", 0);
	expect(rv, "2001:db8:2::1", "2001:db8::/32", 64510, ROUTE_SRC_PFX2AS,
	    "", 0);
	/* a narrower mmdb answer with another AS wins */
	expect(rv, "2001:db8:1::5", "2001:db8:1::/48", 4200000001u,
	    ROUTE_SRC_MMDB, "", 0);
	/* only the mmdb covers it */
	expect(rv, "192.0.2.1", "192.0.2.0/24", 64502, ROUTE_SRC_MMDB, "", 0);
	routeview_free(rv);

	/* the IPv4-only tree (32-bit records) */
	rv = routeview_new();
	assert_int_equal(routeview_add_mmdb(rv, p4, &d), 0);
	expect(rv, "10.1.2.3", "10.1.0.0/16", 64501, ROUTE_SRC_MMDB, "", 0);
	expect(rv, "2001:db8::1", "", 0, ROUTE_SRC_NONE, "", 0);
	routeview_free(rv);
}

static void
test_shared_rib(void **state)
{
	struct routeview *rv;
	struct mm_diag d;
	char path[1024];

	(void)state;
	snprintf(path, sizeof(path), "%s/mrt/quagga_rib", MAMORI_TESTDATA);
	if (access(path, R_OK) != 0)
		skip();
	rv = routeview_new();
	assert_int_equal(routeview_add_mrt(rv, path, &d), 0);
	assert_int_equal(routeview_stats(rv)->bad, 0);
	assert_int_equal(routeview_stats(rv)->prefixes, 6);
	expect(rv, "172.17.1.9", "172.17.1.0/24", 64512, ROUTE_SRC_MRT, "", 0);
	expect(rv, "fd01:1:1::9", "fd01:1:1::/64", 64512, ROUTE_SRC_MRT, "",
	    0);
	routeview_free(rv);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pfx2as),
		cmocka_unit_test(test_customers),
		cmocka_unit_test(test_mrt_moas_updates),
		cmocka_unit_test(test_wrong_files),
		cmocka_unit_test(test_mmdb),
		cmocka_unit_test(test_shared_rib),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
