/*
 * test_scan.c - the scan engine's pure parts (token bucket, excerpts) and
 * one small real run on 127.0.0.1 (a listener that never talks, a closed
 * port, and an SSH-like banner), lab mode only. No timing assertions.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <cmocka.h>

#include "survey/scan.h"

static void
test_bucket(void **state)
{
	struct scan_bucket b;
	int64_t t = 1000000000;

	(void)state;
	scan_bucket_init(&b, 10.0, 2.0, t);
	assert_int_equal(scan_bucket_take(&b, t), 1);
	assert_int_equal(scan_bucket_take(&b, t), 1);
	assert_int_equal(scan_bucket_take(&b, t), 0);
	/* 100 ms at 10/s is one token */
	assert_int_equal(scan_bucket_take(&b, t + 100000000), 1);
	assert_int_equal(scan_bucket_take(&b, t + 100000000), 0);
	/* a long pause saves at most `burst` tokens */
	assert_int_equal(scan_bucket_take(&b, t + 10000000000LL), 1);
	assert_int_equal(scan_bucket_take(&b, t + 10000000000LL), 1);
	assert_int_equal(scan_bucket_take(&b, t + 10000000000LL), 0);
	/* time going backwards gives nothing */
	assert_int_equal(scan_bucket_take(&b, t), 0);
	/* unlimited */
	scan_bucket_init(&b, 0.0, 1.0, t);
	assert_int_equal(scan_bucket_take(&b, t), 1);
	assert_int_equal(scan_bucket_take(&b, t), 1);
}

static void
test_excerpt(void **state)
{
	char out[8];

	(void)state;
	scan_excerpt("ab\r\nc\001\377xyz", 10, out, sizeof(out));
	assert_string_equal(out, "ab  c..");
	scan_excerpt("", 0, out, sizeof(out));
	assert_string_equal(out, "");
	scan_excerpt("abc", 3, out, 1);
	assert_string_equal(out, "");
}

struct got {
	int	n;
	int	ssh;
	int	unknown;
	char	banner[SCAN_EXCERPT + 1];
};

static void
on_result(const struct scan_result *r, void *arg)
{
	struct got *g = arg;

	g->n++;
	if (strcmp(r->service, "ssh") == 0) {
		g->ssh++;
		memcpy(g->banner, r->banner, sizeof(g->banner));
	}
	if (strcmp(r->service, "unknown") == 0)
		g->unknown++;
}

static int
listener(uint16_t *port)
{
	struct sockaddr_in sin;
	socklen_t sl = sizeof(sin);
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	assert_true(fd >= 0);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	assert_int_equal(listen(fd, 16), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&sin, &sl), 0);
	*port = ntohs(sin.sin_port);
	return fd;
}

/* A silent listener (the kernel completes the handshake from the backlog)
 * is open with an unknown service; a closed port yields no result. */
static void
test_run_loopback(void **state)
{
	struct scope *s = NULL;
	struct rules *r = NULL;
	struct perm p;
	struct scan_cfg cfg;
	struct scan_stats st;
	struct mm_diag d;
	struct got g;
	uint16_t port, closed;
	int fd, fd2;
	char buf[128];

	(void)state;
	fd = listener(&port);
	fd2 = listener(&closed);
	close(fd2);	/* now (almost certainly) closed */
	assert_int_equal(scope_new(&s, 1), 0);
	snprintf(buf, sizeof(buf), "127.0.0.1 %u,%u\n", port, closed);
	assert_int_equal(scope_add_buf(s, SCOPE_INCLUDE, "test", buf,
	    strlen(buf), &d), 0);
	assert_int_equal(scope_finish(s, NULL, 0, &d), 0);
	assert_int_equal(rules_new(&r), 0);
	assert_int_equal(perm_init(&p, scope_ntargets(s), 1, 0, 1), 0);
	memset(&cfg, 0, sizeof(cfg));
	cfg.rate = 0;
	cfg.max_concurrent = 4;
	cfg.timeout_ms = 2000;
	cfg.banner_ms = 50;
	cfg.retries = 0;
	memset(&g, 0, sizeof(g));
	assert_int_equal(scan_run(&cfg, s, &p, r, on_result, NULL, &g, NULL,
	    &st, &d), 0);
	assert_int_equal(st.done, 2);
	assert_int_equal(st.scope_refused, 0);
	assert_int_equal(g.n, 1);
	assert_int_equal(g.unknown, 1);
	assert_int_equal(st.open, 1);
	close(fd);
	rules_free(r);
	scope_free(s);
}

/* Outside lab mode a 127/8 scope never finishes, and an unfinished scope
 * allows nothing. */
static void
test_scope_refuses(void **state)
{
	struct scope *s = NULL;
	struct mm_addr a;
	struct mm_diag d;
	const char *txt = "127.0.0.1\n";
	int rc;

	(void)state;
	assert_int_equal(scope_new(&s, 0), 0);
	rc = scope_add_buf(s, SCOPE_INCLUDE, "t", txt, strlen(txt), &d);
	if (rc == 0) {
		uint16_t port = 80;

		rc = scope_finish(s, &port, 1, &d);
	}
	assert_true(rc < 0);
	assert_int_equal(addr_parse("127.0.0.1", &a), 0);
	assert_int_equal(scope_allows_port(s, &a, 80), 0);
	scope_free(s);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bucket),
		cmocka_unit_test(test_excerpt),
		cmocka_unit_test(test_run_loopback),
		cmocka_unit_test(test_scope_refuses),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
