/*
 * test_sshbanner.c - SSH identification parser: golden banners, pre-lines,
 * byte-at-a-time feeding, endless and hostile banners.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "core/err.h"
#include "survey/sshbanner.h"

static int
feed_all(struct sshbanner *b, const char *s, size_t *consumed)
{
	return sshbanner_feed(b, (const uint8_t *)s, strlen(s), consumed,
	    NULL);
}

static void
test_openssh(void **state)
{
	struct sshbanner b;
	const char *s = "SSH-2.0-OpenSSH_8.9p1 Ubuntu-3ubuntu0.6\r\n\0\0\0\x14";
	size_t used;

	(void)state;
	sshbanner_init(&b, 0);
	assert_int_equal(sshbanner_feed(&b, (const uint8_t *)s, 45, &used,
	    NULL), SSHB_DONE);
	assert_int_equal(used, 41);
	assert_string_equal(b.proto, "2.0");
	assert_string_equal(b.software, "OpenSSH_8.9p1");
	assert_string_equal(b.product, "OpenSSH");
	assert_string_equal(b.version, "8.9p1");
	assert_string_equal(b.comments, "Ubuntu-3ubuntu0.6");
	assert_string_equal(b.line, "SSH-2.0-OpenSSH_8.9p1 Ubuntu-3ubuntu0.6");
}

static void
test_variants(void **state)
{
	static const struct {
		const char *in, *proto, *product, *version;
	} c[] = {
		{ "SSH-2.0-dropbear_2019.78\r\n", "2.0", "dropbear", "2019.78" },
		{ "SSH-1.99-Cisco-1.25\r\n", "1.99", "Cisco", "1.25" },
		{ "SSH-2.0-ROSSSH\n", "2.0", "ROSSSH", "" },
		{ "SSH-2.0-libssh-0.6.0\r\n", "2.0", "libssh", "0.6.0" },
		{ "SSH-2.0-libssh_0.9.6\r\n", "2.0", "libssh", "0.9.6" },
	};
	struct sshbanner b;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		sshbanner_init(&b, 0);
		assert_int_equal(feed_all(&b, c[i].in, NULL), SSHB_DONE);
		assert_string_equal(b.proto, c[i].proto);
		assert_string_equal(b.product, c[i].product);
		assert_string_equal(b.version, c[i].version);
	}
}

static void
test_prelines_drip(void **state)
{
	const char *s = "Welcome to the box\r\nlong line here\r\n"
	    "SSH-2.0-OpenSSH_7.4\r\n";
	struct sshbanner b;
	size_t i, used;
	int rc = SSHB_MORE;

	(void)state;
	sshbanner_init(&b, 0);
	for (i = 0; i < strlen(s); i++) {
		rc = sshbanner_feed(&b, (const uint8_t *)s + i, 1, &used, NULL);
		if (rc != SSHB_MORE)
			break;
		assert_int_equal(used, 1);
	}
	assert_int_equal(rc, SSHB_DONE);
	assert_int_equal(i, strlen(s) - 1);
	assert_int_equal(b.prelines, 2);
	assert_string_equal(b.product, "OpenSSH");
	assert_string_equal(b.version, "7.4");
	/* later feeds: same status, nothing consumed */
	assert_int_equal(sshbanner_feed(&b, (const uint8_t *)"x", 1, &used,
	    NULL), SSHB_DONE);
	assert_int_equal(used, 0);
}

static void
test_hostile(void **state)
{
	struct sshbanner b;
	struct mm_diag d;
	uint8_t buf[4096];
	size_t i;
	int rc = 0;

	(void)state;
	/* endless banner without newline */
	memset(buf, 'A', sizeof(buf));
	sshbanner_init(&b, 10000);
	for (i = 0; i < 10 && rc == 0; i++)
		rc = sshbanner_feed(&b, buf, sizeof(buf), NULL, &d);
	assert_int_equal(rc, MM_ELIMIT);
	assert_non_null(strstr(d.msg, "exceeds"));
	/* endless short lines */
	for (i = 0; i < sizeof(buf); i += 2) {
		buf[i] = 'x';
		buf[i + 1] = '\n';
	}
	sshbanner_init(&b, 0);
	assert_int_equal(sshbanner_feed(&b, buf, sizeof(buf), NULL, &d),
	    MM_ELIMIT);
	/* identification over 255 bytes */
	memset(buf, 'B', 400);
	memcpy(buf, "SSH-2.0-", 8);
	buf[400] = '\n';
	sshbanner_init(&b, 0);
	assert_int_equal(sshbanner_feed(&b, buf, 401, NULL, &d), MM_EFORMAT);
	assert_non_null(strstr(d.msg, "255"));
	/* NUL inside */
	sshbanner_init(&b, 0);
	assert_int_equal(sshbanner_feed(&b, (const uint8_t *)
	    "SSH-2.0-Op\0enSSH\r\n", 18, NULL, &d), MM_EFORMAT);
	/* bad fields */
	sshbanner_init(&b, 0);
	assert_int_equal(feed_all(&b, "SSH-2.0\r\n", NULL), MM_EFORMAT);
	sshbanner_init(&b, 0);
	assert_int_equal(feed_all(&b, "SSH--OpenSSH\r\n", NULL), MM_EFORMAT);
	sshbanner_init(&b, 0);
	assert_int_equal(feed_all(&b, "SSH-2.0- x\r\n", NULL), MM_EFORMAT);
	/* after an error, the error sticks */
	assert_int_equal(feed_all(&b, "SSH-2.0-OK\r\n", NULL), MM_EFORMAT);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_openssh),
		cmocka_unit_test(test_variants),
		cmocka_unit_test(test_prelines_drip),
		cmocka_unit_test(test_hostile),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
