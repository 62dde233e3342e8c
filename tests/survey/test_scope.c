/*
 * test_scope.c - scope files and the enumerable target space.
 *
 * Checks: parsing of addresses, prefixes, per-line ports (bare and ports=,
 * ranges, duplicates) and comments; exclusions, opt-outs and the built-in
 * special-purpose table subtracted from the ranges; enumeration agrees with
 * scope_allows()/scope_allows_port() exhaustively over a window around the
 * scope; the loopback rule both ways (refused without lab mode; in lab mode
 * nothing but 127/8 and ::1); IPv6 entry cap; overlapping entries with
 * different ports refused, nested equal ones merged; hostile files (long
 * lines, NUL bytes, bad fields, port 0, trailing junk, ports in an exclude
 * file, line cap) give errors naming file:line and the field; scope_load()
 * over real files; a full permutation over the targets visits each exactly
 * once and only allowed ones. No traffic is sent.
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

#include "core/addr.h"
#include "core/err.h"
#include "survey/perm.h"
#include "survey/scope.h"

static const uint16_t defp[] = { 80, 22 };

static struct scope *
mk(int lab, const char *inc, const char *exc, const char *opt)
{
	struct scope *s;
	struct mm_diag d;

	assert_int_equal(scope_new(&s, lab), 0);
	assert_int_equal(scope_add_buf(s, SCOPE_INCLUDE, "scope.txt", inc,
	    strlen(inc), &d), 0);
	if (exc != NULL)
		assert_int_equal(scope_add_buf(s, SCOPE_EXCLUDE, "ex.txt", exc,
		    strlen(exc), &d), 0);
	if (opt != NULL)
		assert_int_equal(scope_add_buf(s, SCOPE_OPTOUT, "opt.txt", opt,
		    strlen(opt), &d), 0);
	assert_int_equal(scope_finish(s, defp, 2, &d), 0);
	return s;
}

/* Parses an include text that must fail; returns the code, d filled. */
static int
bad(int lab, enum scope_kind kind, const char *txt, size_t len,
    struct mm_diag *d)
{
	struct scope *s;
	int rc;

	assert_int_equal(scope_new(&s, lab), 0);
	d->msg[0] = '\0';
	rc = scope_add_buf(s, kind, "f.txt", txt, len, d);
	if (rc == 0)
		rc = scope_finish(s, NULL, 0, d);
	scope_free(s);
	return rc;
}

static struct mm_addr
v4(const char *s)
{
	struct mm_addr a;

	assert_int_equal(addr_parse(s, &a), 0);
	return a;
}

static void
test_basic_ports(void **state)
{
	struct scope *s;
	struct mm_addr a;
	uint16_t port;
	const struct scope_range *r;

	(void)state;
	s = mk(0, "# survey\n\n1.2.3.0/30 23,8080-8081,23  # telnet\n"
	    "5.6.7.8 ports=443\r\n9.9.9.9\n", NULL, NULL);
	assert_int_equal(scope_nentries(s, SCOPE_INCLUDE), 3);
	assert_int_equal(scope_nranges(s), 3);
	/* 4 x {23,8080,8081} + 1 x {443} + 1 x {22,80} */
	assert_int_equal(scope_ntargets(s), 12 + 1 + 2);
	r = scope_range_at(s, 0);
	assert_non_null(r);
	assert_int_equal(r->naddr, 4);
	assert_int_equal(r->nports, 3);
	assert_int_equal(r->ports[0], 23);
	assert_int_equal(scope_target(s, 0, &a, &port), 0);
	assert_int_equal(addr_v4(&a), 0x01020300);
	assert_int_equal(port, 23);
	assert_int_equal(scope_target(s, 11, &a, &port), 0);
	assert_int_equal(addr_v4(&a), 0x01020303);
	assert_int_equal(port, 8081);
	assert_int_equal(scope_target(s, 12, &a, &port), 0);
	assert_int_equal(addr_v4(&a), 0x05060708);
	assert_int_equal(port, 443);
	assert_int_equal(scope_target(s, 14, &a, &port), 0);
	assert_int_equal(addr_v4(&a), 0x09090909);
	assert_int_equal(port, 80);
	assert_int_equal(scope_target(s, 15, &a, &port), MM_ERANGE);
	a = v4("1.2.3.2");
	assert_true(scope_allows(s, &a));
	assert_true(scope_allows_port(s, &a, 8080));
	assert_false(scope_allows_port(s, &a, 80));
	a = v4("1.2.3.4");
	assert_false(scope_allows(s, &a));
	a = v4("9.9.9.9");
	assert_true(scope_allows_port(s, &a, 22));
	assert_false(scope_allows_port(s, &a, 23));
	assert_null(scope_range_at(s, 3));
	scope_free(s);
}

/* Exhaustive cross-check over 1.2.0.0/16: enumeration == allows. */
static void
test_exclusions_exhaustive(void **state)
{
	struct scope *s;
	struct mm_addr a;
	uint16_t port;
	uint64_t i, n, allowed = 0;
	uint32_t x;
	uint8_t *hit;

	(void)state;
	s = mk(0, "1.2.3.0/24\n1.2.8.0/21 7\n1.2.9.0/24 7\n",
	    "1.2.3.128/25\n1.2.3.7\n1.2.12.0/22\n# nothing\n",
	    "1.2.8.255\n1.2.3.0/31\n");
	hit = calloc(65536, 1);
	assert_non_null(hit);
	n = scope_ntargets(s);
	for (i = 0; i < n; i++) {
		assert_int_equal(scope_target(s, i, &a, &port), 0);
		assert_true(scope_allows_port(s, &a, port));
		x = addr_v4(&a);
		assert_int_equal(x >> 16, 0x0102);
		hit[x & 0xffff]++;
	}
	for (x = 0; x < 65536; x++) {
		addr_from_v4(&a, 0x01020000 | x);
		if (scope_allows(s, &a)) {
			allowed++;
			assert_int_equal(hit[x], x >> 8 == 3 ? 2 : 1);
		} else
			assert_int_equal(hit[x], 0);
	}
	/* 1.2.3.2-6, 8-127: 125; 1.2.8.0-1.2.11.255 minus 1.2.8.255: 1023 */
	assert_int_equal(allowed, 125 + 1023);
	assert_int_equal(n, 125 * 2 + 1023);
	free(hit);
	scope_free(s);
}

static void
test_specials(void **state)
{
	const struct scope_special *t;
	struct mm_prefix p;
	struct scope *s;
	struct mm_addr a;
	size_t n, i;
	int lo4 = 0, lo6 = 0;

	(void)state;
	t = scope_special_table(&n);
	assert_true(n >= 30);
	for (i = 0; i < n; i++) {
		assert_int_equal(prefix_parse(t[i].prefix, &p), 0);
		assert_non_null(strstr(t[i].rfc, "RFC"));
		lo4 |= strcmp(t[i].prefix, "127.0.0.0/8") == 0;
		lo6 |= strcmp(t[i].prefix, "::1/128") == 0;
	}
	assert_true(lo4 && lo6);
	/* the whole IPv4 space minus the special rows */
	assert_int_equal(scope_new(&s, 0), 0);
	assert_int_equal(scope_add_buf(s, SCOPE_INCLUDE, "all", "0.0.0.0/0 1",
	    11, NULL), 0);
	assert_int_equal(scope_finish(s, NULL, 0, NULL), 0);
	assert_int_equal(scope_ntargets(s), UINT64_C(3702257664));
	a = v4("127.0.0.1");
	assert_false(scope_allows(s, &a));
	a = v4("10.1.2.3");
	assert_false(scope_allows(s, &a));
	a = v4("198.51.100.7");
	assert_false(scope_allows(s, &a));
	a = v4("255.255.255.255");
	assert_false(scope_allows(s, &a));
	a = v4("224.0.0.1");
	assert_false(scope_allows(s, &a));
	a = v4("8.8.8.8");
	assert_true(scope_allows(s, &a));
	assert_true(scope_allows_port(s, &a, 1));
	assert_false(scope_allows_port(s, &a, 2));
	assert_int_equal(addr_parse("2a00::1", &a), 0);
	assert_false(scope_allows(s, &a));
	scope_free(s);
	/* special-only scope: nothing to do */
	s = mk(0, "10.0.0.0/7\n192.0.2.0/24\n2001:db8::/112\nfe80::/120\n",
	    NULL, NULL);
	assert_int_equal(scope_ntargets(s), (UINT64_C(1) << 24) * 2);
	a = v4("11.0.0.1");
	assert_true(scope_allows(s, &a));
	scope_free(s);
}

static void
test_loopback_rule(void **state)
{
	struct mm_diag d;
	struct scope *s;
	struct mm_addr a;

	(void)state;
	assert_int_equal(bad(0, SCOPE_INCLUDE, "127.0.0.1 22\n", 13, &d),
	    MM_EINVAL);
	assert_non_null(strstr(d.msg, "f.txt:1: address"));
	assert_non_null(strstr(d.msg, "--lab"));
	assert_int_equal(bad(0, SCOPE_INCLUDE, "\n127.0.0.0/8 22", 15, &d),
	    MM_EINVAL);
	assert_non_null(strstr(d.msg, "f.txt:2:"));
	assert_int_equal(bad(0, SCOPE_INCLUDE, "::1 22", 6, &d), MM_EINVAL);
	/* lab: only loopback */
	assert_int_equal(bad(1, SCOPE_INCLUDE, "127.0.0.0/24 22\n1.2.3.4 22\n",
	    27, &d), MM_EINVAL);
	assert_non_null(strstr(d.msg, "f.txt:2: address"));
	assert_non_null(strstr(d.msg, "lab mode"));
	assert_int_equal(bad(1, SCOPE_INCLUDE, "0.0.0.0/0 22", 12, &d),
	    MM_EINVAL);
	assert_int_equal(bad(1, SCOPE_INCLUDE, "126.0.0.0/7 22", 14, &d),
	    MM_EINVAL);
	s = mk(1, "127.0.0.0/24\n127.1.0.0/16 23\n::1 80\n", "127.0.0.9\n",
	    NULL);
	assert_int_equal(scope_ntargets(s), 255 * 2 + 65536 + 1);
	a = v4("127.0.0.5");
	assert_true(scope_allows(s, &a));
	a = v4("127.0.0.9");
	assert_false(scope_allows(s, &a));
	a = v4("127.2.0.1");
	assert_false(scope_allows(s, &a));
	assert_int_equal(addr_parse("::1", &a), 0);
	assert_true(scope_allows_port(s, &a, 80));
	a = v4("8.8.8.8");
	assert_false(scope_allows(s, &a));
	scope_free(s);
}

static void
test_ipv6(void **state)
{
	struct mm_diag d;
	struct scope *s;
	struct mm_addr a, b;
	uint16_t port;

	(void)state;
	s = mk(0, "2a00:1450:4001::/120 443\n2a00:1450:4001::100\n",
	    "2a00:1450:4001::80/126\n", NULL);
	assert_int_equal(scope_ntargets(s), 252 + 2);
	assert_int_equal(scope_target(s, 0, &a, &port), 0);
	assert_int_equal(addr_parse("2a00:1450:4001::", &b), 0);
	assert_int_equal(addr_cmp(&a, &b), 0);
	assert_int_equal(scope_target(s, 128, &a, &port), 0);
	assert_int_equal(addr_parse("2a00:1450:4001::84", &b), 0);
	assert_int_equal(addr_cmp(&a, &b), 0);
	assert_int_equal(scope_target(s, 253, &a, &port), 0);
	assert_int_equal(addr_parse("2a00:1450:4001::100", &b), 0);
	assert_int_equal(addr_cmp(&a, &b), 0);
	assert_int_equal(port, 80);
	scope_free(s);
	assert_int_equal(bad(0, SCOPE_INCLUDE, "2a00::/111 22", 13, &d),
	    MM_ELIMIT);
	assert_non_null(strstr(d.msg, "/112"));
	s = mk(0, "2a00::/112 22\n", NULL, NULL);
	assert_int_equal(scope_ntargets(s), 65536);
	scope_free(s);
	/* exclusions are not capped */
	s = mk(0, "2a00::/112 22\n", "2a00::/16\n", NULL);
	assert_int_equal(scope_ntargets(s), 0);
	scope_free(s);
}

static void
test_overlap(void **state)
{
	struct mm_diag d;
	struct scope *s;

	(void)state;
	assert_int_equal(bad(0, SCOPE_INCLUDE,
	    "1.2.0.0/16 22\n# x\n1.2.3.0/24 23\n", 32, &d), MM_EINVAL);
	assert_non_null(strstr(d.msg, "f.txt:3: ports"));
	assert_non_null(strstr(d.msg, "f.txt:1"));
	s = mk(0, "1.2.3.0/24 22\n1.2.0.0/16 22\n1.2.3.4 22\n", NULL, NULL);
	assert_int_equal(scope_ntargets(s), 65536);
	assert_int_equal(scope_nranges(s), 1);
	scope_free(s);
	/* no ports on the line and no defaults */
	assert_int_equal(bad(0, SCOPE_INCLUDE, "1.2.3.4\n", 8, &d), MM_EINVAL);
	assert_non_null(strstr(d.msg, "f.txt:1: ports"));
}

static void
test_hostile(void **state)
{
	static const struct {
		enum scope_kind	 kind;
		const char	*txt;
		const char	*want;
	} cases[] = {
		{ SCOPE_INCLUDE, "1.2.3.4 22\nfoo\n", "f.txt:2: address" },
		{ SCOPE_INCLUDE, "1.2.3.4/33 22\n", "f.txt:1: address" },
		{ SCOPE_INCLUDE, "1.2.3.4 0\n", "f.txt:1: ports" },
		{ SCOPE_INCLUDE, "1.2.3.4 65536\n", "f.txt:1: ports" },
		{ SCOPE_INCLUDE, "1.2.3.4 80-22\n", "f.txt:1: ports" },
		{ SCOPE_INCLUDE, "1.2.3.4 22,,23\n", "f.txt:1: ports" },
		{ SCOPE_INCLUDE, "1.2.3.4 ports=\n", "f.txt:1: ports" },
		{ SCOPE_INCLUDE, "1.2.3.4 -1\n", "f.txt:1: ports" },
		{ SCOPE_INCLUDE, "1.2.3.4 +22\n", "f.txt:1: ports" },
		{ SCOPE_INCLUDE, "1.2.3.4 22 junk\n", "f.txt:1: trailing" },
		{ SCOPE_INCLUDE, "1.2.3.4 0x16\n", "f.txt:1: ports" },
		{ SCOPE_EXCLUDE, "1.2.3.4 22\n", "f.txt:1: ports" },
		{ SCOPE_OPTOUT, "1.2.3.4\n1.2.3.5 22\n", "f.txt:2: ports" },
		{ SCOPE_INCLUDE, "01.2.3.4 22\n", "f.txt:1: address" },
		{ SCOPE_INCLUDE, "1.2.3.4/ 22\n", "f.txt:1: address" },
	};
	struct mm_diag d;
	char *big;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_true(bad(0, cases[i].kind, cases[i].txt,
		    strlen(cases[i].txt), &d) < 0);
		if (strstr(d.msg, cases[i].want) == NULL)
			fail_msg("case %zu: '%s'", i, d.msg);
	}
	assert_int_equal(bad(0, SCOPE_INCLUDE, "1.2.3.4 22\n1.2.3.5\0 22\n",
	    23, &d), MM_ESYNTAX);
	assert_non_null(strstr(d.msg, "f.txt:2: NUL"));
	big = malloc(SCOPE_MAX_LINES + 2);
	assert_non_null(big);
	memset(big, ' ', SCOPE_MAX_LINE + 1);
	assert_int_equal(bad(0, SCOPE_INCLUDE, big, SCOPE_MAX_LINE + 1, &d),
	    MM_ELIMIT);
	assert_non_null(strstr(d.msg, "f.txt:1: line longer"));
	memset(big, '\n', SCOPE_MAX_LINES + 1);
	assert_int_equal(bad(0, SCOPE_INCLUDE, big, SCOPE_MAX_LINES + 1, &d),
	    MM_ELIMIT);
	assert_non_null(strstr(d.msg, "lines"));
	free(big);
	/* an unfinished or NULL scope allows nothing */
	assert_false(scope_allows(NULL, NULL));
	assert_int_equal(scope_ntargets(NULL), 0);
}

static void
write_file(const char *path, const char *txt)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs(txt, f);
	fclose(f);
}

static void
test_load_and_permute(void **state)
{
	char dir[] = "/tmp/mamori-scope-XXXXXX", sp[64], ep[64], op[64];
	struct scope *s;
	struct mm_diag d;
	struct perm p;
	struct mm_addr a;
	uint16_t port;
	uint64_t idx, n, got = 0;
	uint8_t *seen;
	uint32_t sh;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(sp, sizeof(sp), "%s/scope", dir);
	snprintf(ep, sizeof(ep), "%s/ex", dir);
	snprintf(op, sizeof(op), "%s/opt", dir);
	write_file(sp, "1.2.3.0/24 22,23\n4.5.6.0/28\n");
	write_file(ep, "1.2.3.16/28\n");
	write_file(op, "4.5.6.1\n");
	assert_int_equal(scope_load(&s, sp, ep, op, defp, 2, 0, &d), 0);
	n = scope_ntargets(s);
	assert_int_equal(n, 240 * 2 + 15 * 2);
	seen = calloc(n, 1);
	assert_non_null(seen);
	for (sh = 0; sh < 3; sh++) {
		assert_int_equal(perm_init(&p, n, 77, sh, 3), 0);
		while (perm_next(&p, &idx)) {
			assert_int_equal(scope_target(s, idx, &a, &port), 0);
			assert_true(scope_allows_port(s, &a, port));
			assert_int_equal(seen[idx], 0);
			seen[idx] = 1;
			got++;
		}
	}
	assert_int_equal(got, n);
	free(seen);
	scope_free(s);
	/* missing files: EIO naming the path; the scope file is required */
	assert_int_equal(scope_load(&s, sp, "/nonexistent/ex", NULL, defp, 2,
	    0, &d), MM_EIO);
	assert_null(s);
	assert_non_null(strstr(d.msg, "/nonexistent/ex"));
	assert_int_equal(scope_load(&s, NULL, NULL, NULL, defp, 2, 0, &d),
	    MM_EINVAL);
	write_file(sp, "127.0.0.1 22\n");
	assert_int_equal(scope_load(&s, sp, NULL, NULL, defp, 2, 0, &d),
	    MM_EINVAL);
	assert_non_null(strstr(d.msg, ":1: address"));
	assert_int_equal(scope_load(&s, sp, NULL, NULL, defp, 2, 1, &d), 0);
	assert_int_equal(scope_ntargets(s), 1);
	scope_free(s);
	unlink(sp);
	unlink(ep);
	unlink(op);
	rmdir(dir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_basic_ports),
		cmocka_unit_test(test_exclusions_exhaustive),
		cmocka_unit_test(test_specials),
		cmocka_unit_test(test_loopback_rule),
		cmocka_unit_test(test_ipv6),
		cmocka_unit_test(test_overlap),
		cmocka_unit_test(test_hostile),
		cmocka_unit_test(test_load_and_permute),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
