/*
 * test_telnet.c - telnet client machine: negotiation replies, IAC
 * stripping, subnegotiation, prompts (busybox and others), shell and failure
 * detection after login, drip feeding and hostile negotiation.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "core/err.h"
#include "survey/telnet.h"

#define IAC	"\xff"
#define WILL	"\xfb"
#define WONT	"\xfc"
#define DO	"\xfd"
#define DONT	"\xfe"
#define SB	"\xfa"
#define SE	"\xf0"

static int
feed(struct telnet *t, const char *s, size_t n, uint8_t *rep, size_t *rl)
{
	return telnet_feed(t, (const uint8_t *)s, n, rep, 64, rl, NULL);
}

static void
test_busybox_login(void **state)
{
	/* busybox telnetd: WILL ECHO, WILL SGA, DO NAWS, then the prompt */
	static const char in[] = IAC DO "\x18" IAC WILL "\x01" IAC WILL "\x03"
	    IAC DO "\x1f" "\r\n(none) login: ";
	static const uint8_t want[] = { 255, 252, 0x18, 255, 253, 1, 255, 253,
	    3, 255, 252, 0x1f };
	struct telnet t;
	uint8_t rep[64];
	size_t rl, tl;
	int ev;

	(void)state;
	telnet_init(&t, 0, 0, 0);
	ev = feed(&t, in, sizeof(in) - 1, rep, &rl);
	assert_true(ev & TELNET_EV_DATA);
	assert_true(ev & TELNET_EV_LOGIN);
	assert_false(ev & TELNET_EV_PASSWORD);
	assert_int_equal(rl, sizeof(want));
	assert_memory_equal(rep, want, sizeof(want));
	assert_string_equal(telnet_text(&t, &tl), "\n(none) login: ");
	assert_int_equal(tl, 15);
	/* the same prompt is not reported twice; repeated WILL not answered */
	ev = feed(&t, IAC WILL "\x01" " ", 4, rep, &rl);
	assert_int_equal(rl, 0);
	assert_false(ev & TELNET_EV_LOGIN);
	/* echo of the user name, then the password prompt */
	ev = feed(&t, "root\r\nPassword: ", 16, rep, &rl);
	assert_true(ev & TELNET_EV_PASSWORD);
	telnet_mark_sent(&t);
	ev = feed(&t, "\r\n\r\nBusyBox v1.19.4 built-in shell (ash)\r\n# ", 45,
	    rep, &rl);
	assert_true(ev & TELNET_EV_SHELL);
	assert_false(ev & TELNET_EV_FAIL);
}

static void
test_prompts(void **state)
{
	(void)state;
	assert_true(telnet_is_login_prompt("foo\nlogin:", 10));
	assert_true(telnet_is_login_prompt("Username : ", 11));
	assert_true(telnet_is_login_prompt("User Name:", 10));
	assert_true(telnet_is_login_prompt("LOGIN:  \r\n", 10));
	assert_false(telnet_is_login_prompt("Last login: today", 17));
	assert_false(telnet_is_login_prompt("", 0));
	assert_true(telnet_is_password_prompt("Password:", 9));
	assert_true(telnet_is_password_prompt("root's PASSWORD : ", 18));
	assert_false(telnet_is_password_prompt("password", 8));
	assert_true(telnet_is_shell_prompt("root@box:~# ", 12));
	assert_true(telnet_is_shell_prompt("$", 1));
	assert_true(telnet_is_shell_prompt("router>", 7));
	assert_false(telnet_is_shell_prompt("login:", 6));
}

static void
test_fail(void **state)
{
	struct telnet t;
	uint8_t rep[64];
	size_t rl;
	int ev;

	(void)state;
	telnet_init(&t, 0, 0, 0);
	assert_true(feed(&t, "login: ", 7, rep, &rl) & TELNET_EV_LOGIN);
	/* failure text before the mark is ignored */
	ev = feed(&t, "Login incorrect\r\nPassword:", 26, rep, &rl);
	assert_false(ev & TELNET_EV_FAIL);
	assert_true(ev & TELNET_EV_PASSWORD);
	telnet_mark_sent(&t);
	ev = feed(&t, "\r\nLogin incor", 13, rep, &rl);
	assert_false(ev & TELNET_EV_FAIL);
	ev = feed(&t, "rect\r\n\r\nlogin: ", 15, rep, &rl);
	assert_true(ev & TELNET_EV_FAIL);
	assert_true(ev & TELNET_EV_LOGIN);
	assert_false(ev & TELNET_EV_SHELL);
	/* "% Access denied" then a '>' prompt: still a failure, no shell */
	telnet_init(&t, 0, 0, 0);
	telnet_mark_sent(&t);
	ev = feed(&t, "% Access denied\r\nrouter>", 24, rep, &rl);
	assert_true(ev & TELNET_EV_FAIL);
	assert_false(ev & TELNET_EV_SHELL);
}

static void
test_iac_escape_sb(void **state)
{
	static const char in[] = "a" IAC IAC "b" IAC SB "\x18\x01" IAC IAC
	    "xyz" IAC SE "c" IAC "\xf1" "d\r\0e";
	struct telnet t;
	uint8_t rep[64];
	size_t rl, tl;
	const char *txt;

	(void)state;
	telnet_init(&t, 0, 0, 0);
	(void)feed(&t, in, sizeof(in) - 1, rep, &rl);
	assert_int_equal(rl, 0);
	txt = telnet_text(&t, &tl);
	assert_int_equal(tl, 6);
	assert_memory_equal(txt, "a\xff" "bcde", 6);
}

static void
test_drip(void **state)
{
	static const char in[] = IAC WILL "\x01" IAC DO "\x03" IAC SB "\x18\x01"
	    IAC SE "Welcome\r\nUsername: ";
	struct telnet t;
	uint8_t rep[64], all[64];
	size_t rl, total = 0, i;
	int ev = 0;

	(void)state;
	telnet_init(&t, 0, 0, 0);
	for (i = 0; i < sizeof(in) - 1; i++) {
		ev |= telnet_feed(&t, (const uint8_t *)in + i, 1, rep, 3, &rl,
		    NULL);
		assert_true(total + rl <= sizeof(all));
		memcpy(all + total, rep, rl);
		total += rl;
	}
	assert_true(ev & TELNET_EV_LOGIN);
	assert_int_equal(total, 6);
	assert_memory_equal(all, "\xff\xfd\x01\xff\xfb\x03", 6);
	assert_string_equal(telnet_text(&t, NULL), "Welcome\nUsername: ");
}

static void
test_hostile(void **state)
{
	struct telnet t;
	struct mm_diag d;
	uint8_t buf[8192], rep[8];
	size_t rl, i;
	int rc;

	(void)state;
	/* endless subnegotiation */
	telnet_init(&t, 0, 0, 0);
	memset(buf, 'x', sizeof(buf));
	buf[0] = 255;
	buf[1] = 250;
	rc = telnet_feed(&t, buf, sizeof(buf), rep, sizeof(rep), &rl, &d);
	assert_int_equal(rc, MM_ELIMIT);
	assert_non_null(strstr(d.msg, "subnegotiation"));
	assert_int_equal(telnet_feed(&t, (const uint8_t *)"a", 1, rep,
	    sizeof(rep), &rl, NULL), MM_ELIMIT);
	/* endless negotiation rounds (NOPs) */
	telnet_init(&t, 0, 100, 0);
	for (i = 0; i < sizeof(buf); i += 2) {
		buf[i] = 255;
		buf[i + 1] = 241;
	}
	rc = telnet_feed(&t, buf, sizeof(buf), rep, sizeof(rep), &rl, &d);
	assert_int_equal(rc, MM_ELIMIT);
	assert_non_null(strstr(d.msg, "commands"));
	/* a flood of distinct DOs: byte cap, and small reply buffer drops */
	telnet_init(&t, 300, 1000, 0);
	for (i = 0; i + 2 < sizeof(buf); i += 3) {
		buf[i] = 255;
		buf[i + 1] = 253;
		buf[i + 2] = (uint8_t)(i / 3);
	}
	rc = telnet_feed(&t, buf, 3 * 256, rep, sizeof(rep), &rl, &d);
	assert_int_equal(rc, MM_ELIMIT);
	assert_int_equal(rl, 6);
	assert_true(t.replies_dropped > 0);
	/* truncated IAC at the end of input is resumed next feed */
	telnet_init(&t, 0, 0, 0);
	assert_int_equal(telnet_feed(&t, (const uint8_t *)"\xff", 1, rep,
	    sizeof(rep), &rl, NULL), 0);
	assert_int_equal(telnet_feed(&t, (const uint8_t *)"\xfd\x05", 2, rep,
	    sizeof(rep), &rl, NULL), 0);
	assert_int_equal(rl, 3);
	/* long text: banner capped, prompt still found in the tail */
	telnet_init(&t, 0, 0, 0);
	memset(buf, 'z', sizeof(buf));
	memcpy(buf + sizeof(buf) - 7, "login: ", 7);
	rc = telnet_feed(&t, buf, sizeof(buf), NULL, 0, &rl, NULL);
	assert_true(rc & TELNET_EV_LOGIN);
	assert_int_equal(strlen(telnet_text(&t, NULL)), TELNET_TEXT_MAX);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_busybox_login),
		cmocka_unit_test(test_prompts),
		cmocka_unit_test(test_fail),
		cmocka_unit_test(test_iac_escape_sb),
		cmocka_unit_test(test_drip),
		cmocka_unit_test(test_hostile),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
