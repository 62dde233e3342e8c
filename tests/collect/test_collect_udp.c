/*
 * test_collect_udp.c - listen-address parsing and a loopback round trip through the
 * recvmmsg receive path (127.0.0.1 only).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <cmocka.h>

#include "collect/udp.h"

static void
test_parse_ok(void **state)
{
	struct udp_listen	l;
	struct mm_diag		d;

	(void)state;
	assert_int_equal(udp_listen_parse("127.0.0.1:2055", &l, &d), 0);
	assert_int_equal(l.family, AF_INET);
	assert_int_equal(l.port, 2055);
	assert_string_equal(l.text, "127.0.0.1:2055");

	assert_int_equal(udp_listen_parse("[::1]:9995", &l, &d), 0);
	assert_int_equal(l.family, AF_INET6);
	assert_int_equal(l.port, 9995);
	assert_string_equal(l.text, "[::1]:9995");

	assert_int_equal(udp_listen_parse("[2001:DB8::0:1]:1", &l, &d), 0);
	assert_string_equal(l.text, "[2001:db8::1]:1");

	assert_int_equal(udp_listen_parse("6343", &l, &d), 0);
	assert_string_equal(l.text, "0.0.0.0:6343");

	assert_int_equal(udp_listen_parse("0.0.0.0:65535", &l, &d), 0);
	assert_int_equal(l.port, 65535);
}

static void
test_parse_bad(void **state)
{
	static const char *bad[] = {
		"", ":2055", "127.0.0.1:", "127.0.0.1:0", "127.0.0.1:65536",
		"127.0.0.1:20x", "localhost:2055", "::1:2055", "[::1]2055",
		"[::1", "[]:2055", "1.2.3:2055", "[1.2.3.4]:2055", "-1",
		"127.0.0.1:+5", "300.1.1.1:5",
	};
	struct udp_listen	l;
	struct mm_diag		d;
	size_t			i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memset(&d, 0, sizeof(d));
		assert_true(udp_listen_parse(bad[i], &l, &d) < 0);
		assert_true(d.msg[0] != '\0');
	}
	assert_true(udp_listen_parse(NULL, &l, NULL) < 0);
}

static void
test_loopback(void **state)
{
	struct udp_listen	 l;
	struct udp_sockopt	 o = { 1 << 20, 0 };
	struct udp_rx		*rx = NULL;
	struct udp_dgram	 dg;
	struct sockaddr_in	 sin;
	struct mm_diag		 d;
	char			 spec[32], a[ADDR_STRLEN];
	uint8_t			 big[3000];
	size_t			 got = 0;
	int			 fd = -1, s, n = 0, tries, port, i;

	(void)state;
	/* Try a few ports derived from the pid to avoid collisions. */
	for (i = 0; i < 20; i++) {
		port = 20000 + (int)((getpid() * 7 + i * 131) % 20000);
		snprintf(spec, sizeof(spec), "127.0.0.1:%d", port);
		assert_int_equal(udp_listen_parse(spec, &l, &d), 0);
		if (udp_open(&l, &o, &fd, &got, &d) == 0)
			break;
	}
	if (fd == -1)
		skip();
	assert_true(got > 0);
	assert_int_equal(udp_rx_new(8, 2048, &rx), 0);
	assert_int_equal(udp_rx_recv(rx, fd), 0);	/* nothing pending */

	s = socket(AF_INET, SOCK_DGRAM, 0);
	assert_true(s >= 0);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons((uint16_t)port);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	memset(big, 0xab, sizeof(big));
	assert_int_equal(sendto(s, "hello", 5, 0, (struct sockaddr *)&sin,
	    sizeof(sin)), 5);
	assert_int_equal(sendto(s, big, sizeof(big), 0,
	    (struct sockaddr *)&sin, sizeof(sin)), (ssize_t)sizeof(big));
	for (tries = 0; tries < 200 && n < 2; tries++) {
		int r = udp_rx_recv(rx, fd);

		assert_true(r >= 0);
		if (r == 0) {
			usleep(10000);
			continue;
		}
		for (i = 0; i < r; i++, n++) {
			udp_rx_get(rx, (unsigned)i, &dg);
			assert_string_equal(addr_fmt(&dg.from, a, sizeof(a)),
			    "127.0.0.1");
			assert_true(dg.port != 0);
			if (n == 0) {
				assert_int_equal(dg.len, 5);
				assert_memory_equal(dg.buf, "hello", 5);
				assert_int_equal(dg.truncated, 0);
			} else {
				assert_int_equal(dg.len, 2048);
				assert_int_equal(dg.truncated, 1);
			}
			/* the kernel attaches SO_RXQ_OVFL only once the
			 * socket has dropped something */
			if (dg.has_drops)
				assert_int_equal(dg.drops, 0);
		}
	}
	assert_int_equal(n, 2);
	close(s);
	close(fd);
	udp_rx_free(rx);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_ok),
		cmocka_unit_test(test_parse_bad),
		cmocka_unit_test(test_loopback),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
