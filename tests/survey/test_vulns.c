/*
 * test_vulns.c - version ordering table, vulnerable-range data and its
 * boundaries, loader errors with file:line.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "survey/version.h"
#include "survey/vulns.h"

#define VULN_DIR	MAMORI_SRCDIR "/data/vulns"
#define DATA		MAMORI_SRCDIR "/tests/survey/data/"

static void
test_version_cmp(void **state)
{
	static const struct {
		const char	*a, *b;
		int		 want;
	} t[] = {
		{ "1.0", "1.0", 0 },
		{ "1.0", "1.1", -1 },
		{ "1.10", "1.9", 1 },
		{ "1.0.0", "1.0", 1 },
		{ "7.2p2", "7.2", 1 },
		{ "7.2p2", "7.2p10", -1 },
		{ "7.2p2", "7.3", -1 },
		{ "8.5p1", "9.7p1", -1 },
		{ "9.8p1", "9.7p1", 1 },
		{ "4.3p2", "4.4p1", -1 },
		{ "9.1R1", "9.1R10", -1 },
		{ "9.0R3.4", "9.0R3", 1 },
		{ "9.0R3.4", "9.0R4", -1 },
		{ "9.0r3", "9.0R3", 0 },
		{ "8.2R12.1", "8.2R12", 1 },
		{ "13.0-47.22", "13.0.47.24", -1 },
		{ "13.0-47.24", "13.0.47.24", 0 },
		{ "13.1-49.15", "13.1-9.99", 1 },
		{ "2019.78", "2016.74", 1 },
		{ "2016.74", "2016.074", 0 },
		{ "10.2.9-h1", "10.2.9", 1 },
		{ "10.2.9-h1", "10.2.10", -1 },
		{ "11.1.2-h3", "11.1.2-h10", -1 },
		{ "1.0rc1", "1.0", -1 },
		{ "1.0beta", "1.0alpha", 1 },
		{ "0.94.14rc21", "0.94.14", -1 },
		{ "1.0.1", "1.0a", 1 },
		{ "10.2.0.5-29sv", "10.2.0.5-30sv", -1 },
		{ "10.2.0.5-d-29sv", "10.2.0.5-29sv", -1 },
		/* SMA 100 builds as the welcome page's asset names show
		 * them (the lab's 10.2.0.2-20sv and 10.2.1.3-27sv) */
		{ "10.2.0.2-20sv", "10.2.0.5-29sv", -1 },
		{ "10.2.0.8-37sv", "10.2.0.9-41sv", -1 },
		{ "10.2.1.2-24sv", "10.2.1.3-27sv", -1 },
		{ "10.2.0.9-41sv", "10.2.1.0-17sv", -1 },
		{ "10.2.1.0", "10.2.1.0-17sv", -1 },
		{ "9.0.0.10-28sv", "9.0.0.9-26sv", 1 },
		{ "123456789012345678901", "123456789012345678902", -1 },
		{ "", "0", -1 },
		{ NULL, "1", -1 },
		{ NULL, NULL, 0 },
	};
	size_t	i;
	int	c;

	(void)state;
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		c = version_cmp(t[i].a, t[i].b);
		c = (c > 0) - (c < 0);
		if (c != t[i].want)
			fail_msg("version_cmp(%s, %s) = %d, want %d",
			    t[i].a ? t[i].a : "NULL", t[i].b ? t[i].b : "NULL",
			    c, t[i].want);
		c = version_cmp(t[i].b, t[i].a);
		c = (c > 0) - (c < 0);
		if (c != -t[i].want)
			fail_msg("not antisymmetric: %s %s", t[i].a ? t[i].a :
			    "NULL", t[i].b ? t[i].b : "NULL");
	}
}

static struct vulns *
load(void)
{
	struct vulns	*v;
	struct mm_diag	 d;

	mm_diag_clear(&d);
	if (vulns_load(&v, VULN_DIR, &d) != 0)
		fail_msg("%s", d.msg);
	return v;
}

/* Asserts whether `cve` is among the hits for product at version. */
static void
has(const struct vulns *v, const char *prod, const char *ver,
    const char *cve, int want)
{
	struct vulns_hit	h[32];
	int			n, i, found = 0;

	n = vulns_match(v, prod, ver, h, 32);
	assert_true(n >= 0 && n <= 32);
	for (i = 0; i < n; i++)
		if (strcmp(h[i].cve, cve) == 0)
			found = 1;
	if (found != want)
		fail_msg("%s %s: %s %s", prod, ver ? ver : "(cpe)", cve,
		    want ? "missing" : "unexpected");
}

static void
test_vpn_ranges(void **state)
{
	struct vulns		*v = load();
	struct vulns_hit	 h[4];
	int			 n;

	(void)state;
	assert_true(vulns_count(v) >= 19);
	/* CVE-2018-13379: 6.0.0-6.0.4, 5.6.3-5.6.7, 5.4.6-5.4.12 inclusive. */
	has(v, "fortinet:fortios", "6.0.0", "CVE-2018-13379", 1);
	has(v, "fortinet:fortios", "6.0.4", "CVE-2018-13379", 1);
	has(v, "fortinet:fortios", "6.0.5", "CVE-2018-13379", 0);
	has(v, "fortinet:fortios", "5.6.2", "CVE-2018-13379", 0);
	has(v, "fortinet:fortios", "5.6.3", "CVE-2018-13379", 1);
	has(v, "fortinet:fortios", "5.6.7", "CVE-2018-13379", 1);
	has(v, "fortinet:fortios", "5.6.8", "CVE-2018-13379", 0);
	has(v, "fortinet:fortios", "5.4.5", "CVE-2018-13379", 0);
	has(v, "fortinet:fortios", "5.4.6", "CVE-2018-13379", 1);
	has(v, "fortinet:fortios", "5.4.12", "CVE-2018-13379", 1);
	has(v, "fortinet:fortios", "5.4.13", "CVE-2018-13379", 0);
	has(v, "FortiNet:FortiOS", "5.4.10", "CVE-2018-13379", 1);
	n = vulns_match(v, "fortinet:fortios", "6.0.4", h, 4);
	assert_true(n >= 2);	/* 13379 and 27997 */
	assert_string_equal(h[0].cve, "CVE-2018-13379");
	assert_true(h[0].cvss > 9.7 && h[0].cvss < 9.9);
	assert_int_equal(h[0].kev, 1);
	/* CVE-2022-40684: 7.0.0-7.0.6, 7.2.0-7.2.1. */
	has(v, "fortinet:fortios", "7.0.6", "CVE-2022-40684", 1);
	has(v, "fortinet:fortios", "7.0.7", "CVE-2022-40684", 0);
	has(v, "fortinet:fortios", "7.2.2", "CVE-2022-40684", 0);
	/* CVE-2022-42475: 7.2.3, 7.0.9, 6.4.11, 6.2.12, 6.0.16 fixed */
	has(v, "fortinet:fortios", "7.2.2", "CVE-2022-42475", 1);
	has(v, "fortinet:fortios", "7.2.3", "CVE-2022-42475", 0);
	has(v, "fortinet:fortios", "7.0.8", "CVE-2022-42475", 1);
	has(v, "fortinet:fortios", "7.0.9", "CVE-2022-42475", 0);
	has(v, "fortinet:fortios", "6.4.10", "CVE-2022-42475", 1);
	has(v, "fortinet:fortios", "6.4.11", "CVE-2022-42475", 0);
	has(v, "fortinet:fortios", "6.2.11", "CVE-2022-42475", 1);
	has(v, "fortinet:fortios", "6.2.12", "CVE-2022-42475", 0);
	has(v, "fortinet:fortios", "6.0.15", "CVE-2022-42475", 1);
	has(v, "fortinet:fortios", "6.0.16", "CVE-2022-42475", 0);
	has(v, "fortinet:fortios", "7.2.3", "CVE-2023-27997", 1);
	/* CVE-2023-27997 */
	has(v, "fortinet:fortios", "7.2.4", "CVE-2023-27997", 1);
	has(v, "fortinet:fortios", "7.2.5", "CVE-2023-27997", 0);
	has(v, "fortinet:fortios", "6.0.16", "CVE-2023-27997", 1);
	has(v, "fortinet:fortios", "6.0.17", "CVE-2023-27997", 0);
	/* CVE-2019-11510: fixed-in bounds are exclusive. */
	has(v, "pulsesecure:pulse_connect_secure", "9.0R3.3", "CVE-2019-11510",
	    1);
	has(v, "pulsesecure:pulse_connect_secure", "9.0R3.4", "CVE-2019-11510",
	    0);
	has(v, "ivanti:connect_secure", "8.2R12", "CVE-2019-11510", 1);
	has(v, "ivanti:connect_secure", "8.2R12.1", "CVE-2019-11510", 0);
	has(v, "ivanti:connect_secure", "8.3R7", "CVE-2019-11510", 1);
	has(v, "ivanti:connect_secure", "9.1R1", "CVE-2019-11510", 0);
	/* Ivanti 2024: per-train fixes. */
	has(v, "ivanti:connect_secure", "9.1R14.3", "CVE-2024-21887", 1);
	has(v, "ivanti:connect_secure", "9.1R14.4", "CVE-2024-21887", 0);
	has(v, "ivanti:connect_secure", "9.1R18.2", "CVE-2023-46805", 1);
	has(v, "ivanti:connect_secure", "22.5R1.1", "CVE-2023-46805", 0);
	has(v, "ivanti:connect_secure", "22.7R2.5", "CVE-2023-46805", 0);
	/* CVE-2019-19781: Citrix builds with dash or dot. */
	has(v, "citrix:netscaler_gateway_firmware", "13.0-47.22",
	    "CVE-2019-19781", 1);
	has(v, "citrix:application_delivery_controller_firmware", "13.0.47.24",
	    "CVE-2019-19781", 0);
	has(v, "citrix:netscaler_gateway_firmware", "12.1-55.17",
	    "CVE-2019-19781", 1);
	has(v, "citrix:netscaler_gateway_firmware", "12.1-55.18",
	    "CVE-2019-19781", 0);
	has(v, "citrix:netscaler_gateway_firmware", "10.5-70.11",
	    "CVE-2019-19781", 1);
	/* Citrix Bleed */
	has(v, "citrix:netscaler_gateway_firmware", "13.1-49.14",
	    "CVE-2023-4966", 1);
	has(v, "citrix:netscaler_gateway_firmware", "13.1-49.15",
	    "CVE-2023-4966", 0);
	has(v, "citrix:netscaler_gateway_firmware", "14.1-8.50",
	    "CVE-2023-4966", 0);
	/* PAN-OS */
	has(v, "paloaltonetworks:pan-os", "9.1.2", "CVE-2020-2021", 1);
	has(v, "paloaltonetworks:pan-os", "9.1.3", "CVE-2020-2021", 0);
	has(v, "paloaltonetworks:pan-os", "8.0.20", "CVE-2020-2021", 1);
	has(v, "paloaltonetworks:pan-os", "10.2.9", "CVE-2024-3400", 1);
	has(v, "paloaltonetworks:pan-os", "10.2.9-h1", "CVE-2024-3400", 0);
	has(v, "paloaltonetworks:pan-os", "11.1.2-h2", "CVE-2024-3400", 1);
	has(v, "paloaltonetworks:pan-os", "11.1.2-h3", "CVE-2024-3400", 0);
	has(v, "paloaltonetworks:pan-os", "10.1.12", "CVE-2024-3400", 0);
	/* SonicWall SMA 100 */
	has(v, "sonicwall:sma_100_firmware", "10.2.0.4-25sv", "CVE-2021-20016",
	    1);
	has(v, "sonicwall:sma_100_firmware", "10.2.0.5-29sv", "CVE-2021-20016",
	    0);
	has(v, "sonicwall:sma_100_firmware", "9.0.0.9-26sv", "CVE-2021-20016",
	    0);
	has(v, "cpe:2.3:o:sonicwall:sma_100_firmware:10.2.0.2-20sv:*:*:*:*:*:*:*",
	    NULL, "CVE-2021-20016", 1);
	/* CVE-2021-20038: 10.2.0.8-37sv and 10.2.1.2-24sv and earlier */
	has(v, "sonicwall:sma_100_firmware", "10.2.0.2-20sv", "CVE-2021-20038",
	    1);
	has(v, "sonicwall:sma_100_firmware", "10.2.0.8-37sv", "CVE-2021-20038",
	    1);
	has(v, "sonicwall:sma_100_firmware", "10.2.0.9-41sv", "CVE-2021-20038",
	    0);
	has(v, "sonicwall:sma_100_firmware", "10.2.1.0-17sv", "CVE-2021-20038",
	    1);
	has(v, "sonicwall:sma_100_firmware", "10.2.1.2-24sv", "CVE-2021-20038",
	    1);
	has(v, "sonicwall:sma_100_firmware", "10.2.1.3-27sv", "CVE-2021-20038",
	    0);
	has(v, "sonicwall:sma_100_firmware", "10.2.1.3-27sv", "CVE-2021-20016",
	    0);
	has(v, "sonicwall:sma_100_firmware", "9.0.0.10-28sv", "CVE-2021-20038",
	    0);
	vulns_free(v);
}

static void
test_iot_ranges(void **state)
{
	struct vulns	*v = load();

	(void)state;
	/* regreSSHion: < 4.4p1 and 8.5p1 <= v < 9.8p1. */
	has(v, "openbsd:openssh", "4.3p2", "CVE-2024-6387", 1);
	has(v, "openbsd:openssh", "4.4p1", "CVE-2024-6387", 0);
	has(v, "openbsd:openssh", "8.4p1", "CVE-2024-6387", 0);
	has(v, "openbsd:openssh", "8.5p1", "CVE-2024-6387", 1);
	has(v, "openbsd:openssh", "9.7p1", "CVE-2024-6387", 1);
	has(v, "openbsd:openssh", "9.8p1", "CVE-2024-6387", 0);
	/* From a CPE, with and without an explicit version. */
	has(v, "cpe:2.3:a:openbsd:openssh:9.6p1:*:*:*:*:*:*:*", NULL,
	    "CVE-2024-6387", 1);
	has(v, "cpe:2.3:a:openbsd:openssh:*:*:*:*:*:*:*:*", "9.6p1",
	    "CVE-2024-6387", 1);
	assert_int_equal(vulns_match(v,
	    "cpe:2.3:a:openbsd:openssh:*:*:*:*:*:*:*:*", NULL, NULL, 0), 0);
	assert_int_equal(vulns_match(v, "openbsd:openssh", "", NULL, 0), 0);
	has(v, "dropbear_ssh_project:dropbear_ssh", "2016.73", "CVE-2016-7406",
	    1);
	has(v, "dropbear_ssh_project:dropbear_ssh", "2016.74", "CVE-2016-7406",
	    0);
	has(v, "embedthis:goahead", "3.6.4", "CVE-2017-17562", 1);
	has(v, "embedthis:goahead", "3.6.5", "CVE-2017-17562", 0);
	has(v, "boa:boa", "0.94.14rc21", "CVE-2017-9833", 1);
	has(v, "boa:boa", "0.94.13", "CVE-2017-9833", 0);
	has(v, "lighttpd:lighttpd", "1.4.46", "CVE-2022-22707", 1);
	has(v, "lighttpd:lighttpd", "1.4.63", "CVE-2022-22707", 1);
	has(v, "lighttpd:lighttpd", "1.4.64", "CVE-2022-22707", 0);
	has(v, "lighttpd:lighttpd", "1.4.45", "CVE-2022-22707", 0);
	has(v, "mikrotik:routeros", "6.42", "CVE-2018-14847", 1);
	has(v, "mikrotik:routeros", "6.42.1", "CVE-2018-14847", 0);
	has(v, "busybox:busybox", "1.19.4", "CVE-2022-48174", 1);
	assert_int_equal(vulns_match(v, "nobody:nothing", "1.0", NULL, 0), 0);
	assert_int_equal(vulns_match(NULL, "a:b", "1", NULL, 0), 0);
	assert_int_equal(vulns_match(v, NULL, "1", NULL, 0), MM_EINVAL);
	vulns_free(v);
}

static void
expect_err(const char *text, int err, const char *pre)
{
	struct vulns	*v = (struct vulns *)1;
	struct mm_diag	 d;
	int		 rc;

	mm_diag_clear(&d);
	rc = vulns_load_buf(&v, "t.vulns", text, strlen(text), &d);
	if (rc != err || strncmp(d.msg, pre, strlen(pre)) != 0)
		fail_msg("rc %d (want %d) msg \"%s\" (want \"%s\")", rc, err,
		    d.msg, pre);
	assert_null(v);
}

static void
test_errors(void **state)
{
	struct vulns	*v;
	struct mm_diag	 d;
	const char	*ok = "# c\n\nCVE-2020-1234 a:b 5 - [1,2) =3 [4,] (5,6]\n";

	(void)state;
	assert_int_equal(vulns_load_buf(&v, "t", ok, strlen(ok), &d), 0);
	assert_int_equal(vulns_count(v), 1);
	has(v, "a:b", "1", "CVE-2020-1234", 1);
	has(v, "a:b", "2", "CVE-2020-1234", 0);
	has(v, "a:b", "3", "CVE-2020-1234", 1);
	has(v, "a:b", "99", "CVE-2020-1234", 1);
	vulns_free(v);
	expect_err("CVE-1 a:b 5 - [1,2)\n", MM_ESYNTAX, "t.vulns:1: cve:");
	expect_err("\nCVE-2020-1234 ab 5 - [1,2)\n", MM_ESYNTAX,
	    "t.vulns:2: product:");
	expect_err("CVE-2020-1234 a:b 11 - [1,2)\n", MM_ESYNTAX,
	    "t.vulns:1: cvss:");
	expect_err("CVE-2020-1234 a:b 5 yes [1,2)\n", MM_ESYNTAX,
	    "t.vulns:1: kev:");
	expect_err("CVE-2020-1234 a:b 5 - [1,2\n", MM_ESYNTAX, "t.vulns:1: range:");
	expect_err("CVE-2020-1234 a:b 5 - [,]\n", MM_ESYNTAX, "t.vulns:1: range:");
	expect_err("CVE-2020-1234 a:b 5 -\n", MM_ESYNTAX, "t.vulns:1: entry:");
	mm_diag_clear(&d);
	assert_int_equal(vulns_load(&v, DATA "bad-range.vulns", &d),
	    MM_ESYNTAX);
	assert_null(v);
	assert_non_null(strstr(d.msg, "bad-range.vulns:3: range: from > to"));
	assert_int_equal(vulns_load(&v, DATA "missing.vulns", &d), MM_EIO);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_version_cmp),
		cmocka_unit_test(test_vpn_ranges),
		cmocka_unit_test(test_iot_ranges),
		cmocka_unit_test(test_errors),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
