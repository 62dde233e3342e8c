/*
 * test_devices.c - the pure parts of `mamori lab devices`: the range
 * parser refuses everything outside 127.0.0.0/8, the plan is a function of
 * (seed, range), stays inside the range with 1-3 ports per device, honours
 * the live and hostile shares, and the truth JSON lists every planned port
 * with secrets only on request. One in-process check of the server: an
 * SSH service of the plan sends its identification string and the
 * connection is counted on its address, with the counts file's accepts
 * and accept times (bounded waits, no timing). Real servers get free
 * addresses of the range and truth entries; generic devices are marked
 * "identifiable": false with the expected generic result.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "lab/devices.h"

static struct dev_plan *
plan(const char *range, int live, int hostile, uint64_t seed)
{
	struct dev_conf c;
	struct dev_plan *p = NULL;

	memset(&c, 0, sizeof(c));
	assert_int_equal(devices_parse_range(range, &c.net, &c.plen, NULL), 0);
	c.live_pct = live;
	c.hostile_pct = hostile;
	c.seed = seed;
	assert_int_equal(devplan_new(&c, &p, NULL), 0);
	assert_non_null(p);
	return p;
}

static size_t
count_str(const char *hay, const char *needle)
{
	size_t n = 0;

	while ((hay = strstr(hay, needle)) != NULL) {
		n++;
		hay += strlen(needle);
	}
	return n;
}

static void
test_range(void **state)
{
	struct mm_diag d;
	uint32_t net;
	int plen;

	(void)state;
	assert_int_equal(devices_parse_range("127.10.0.0/20", &net, &plen,
	    &d), 0);
	assert_int_equal(net, 0x7f0a0000u);
	assert_int_equal(plen, 20);
	assert_int_equal(devices_parse_range("127.1.2.3/32", &net, &plen,
	    &d), 0);
	assert_int_equal(devices_parse_range("10.0.0.0/24", &net, &plen, &d),
	    MM_EINVAL);
	assert_non_null(strstr(d.msg, "127.0.0.0/8"));
	assert_int_equal(devices_parse_range("128.0.0.0/16", &net, &plen,
	    &d), MM_EINVAL);
	assert_int_equal(devices_parse_range("192.168.1.1/32", &net, &plen,
	    &d), MM_EINVAL);
	assert_int_equal(devices_parse_range("127.0.0.0/7", &net, &plen, &d),
	    MM_EINVAL);
	assert_int_equal(devices_parse_range("0.0.0.0/0", &net, &plen, &d),
	    MM_EINVAL);
	assert_int_equal(devices_parse_range("127.0.0.0/8", &net, &plen, &d),
	    MM_ERANGE);
	assert_int_equal(devices_parse_range("127.10.0.1/24", &net, &plen,
	    &d), MM_ESYNTAX);
	assert_int_equal(devices_parse_range("127.10.0.0", &net, &plen, &d),
	    MM_ESYNTAX);
	assert_int_equal(devices_parse_range("127.10.0.0/33", &net, &plen,
	    &d), MM_ESYNTAX);
	assert_int_equal(devices_parse_range("::1/128", &net, &plen, &d),
	    MM_ESYNTAX);
	assert_int_equal(devices_parse_range("127.10.0.0/2x", &net, &plen,
	    &d), MM_ESYNTAX);
}

static void
test_bad_conf(void **state)
{
	struct dev_conf c;
	struct dev_plan *p = NULL;

	(void)state;
	memset(&c, 0, sizeof(c));
	c.net = 0x0a000000u;		/* 10.0.0.0 */
	c.plen = 24;
	c.live_pct = 4;
	assert_int_equal(devplan_new(&c, &p, NULL), MM_EINVAL);
	assert_null(p);
	c.net = 0x7f0a0000u;
	c.live_pct = 101;
	assert_int_equal(devplan_new(&c, &p, NULL), MM_EINVAL);
	c.live_pct = 4;
	c.plen = 8;
	assert_int_equal(devplan_new(&c, &p, NULL), MM_EINVAL);
}

static void
test_determinism(void **state)
{
	struct dev_plan *a, *b, *c;
	char *ja, *jb, *jc;
	size_t la, lb, lc;

	(void)state;
	a = plan("127.10.0.0/20", 4, 5, 42);
	b = plan("127.10.0.0/20", 4, 5, 42);
	c = plan("127.10.0.0/20", 4, 5, 43);
	assert_int_equal(a->nsvc, b->nsvc);
	assert_int_equal(a->ndev, b->ndev);
	assert_memory_equal(a->svc, b->svc, a->nsvc * sizeof(*a->svc));
	assert_int_equal(devplan_truth_json(a, 1, &ja, &la), 0);
	assert_int_equal(devplan_truth_json(b, 1, &jb, &lb), 0);
	assert_int_equal(devplan_truth_json(c, 1, &jc, &lc), 0);
	assert_int_equal(la, lb);
	assert_memory_equal(ja, jb, la);
	assert_true(la != lc || memcmp(ja, jc, la) != 0);
	free(ja);
	free(jb);
	free(jc);
	devplan_free(a);
	devplan_free(b);
	devplan_free(c);
	devplan_free(NULL);
}

/* A fixed device is planned silent; every other device is unchanged. */
static void
test_fixed(void **state)
{
	struct dev_plan *a, *b, *bad = NULL;
	struct dev_conf c;
	struct mm_diag d;
	uint32_t fx[1];
	size_t i, j;

	(void)state;
	a = plan("127.10.0.0/20", 4, 0, 42);
	assert_true(a->ndev > 2);
	fx[0] = a->dev[1].addr;
	c = a->conf;
	c.fixed = fx;
	c.nfixed = 1;
	assert_int_equal(devplan_new(&c, &b, &d), 0);
	assert_int_equal(b->ndev, a->ndev - 1);
	for (i = 0, j = 0; i < a->ndev; i++) {
		if (a->dev[i].addr == fx[0])
			continue;
		assert_int_equal(b->dev[j].addr, a->dev[i].addr);
		assert_string_equal(b->dev[j].profile, a->dev[i].profile);
		j++;
	}
	c.fixed = NULL;		/* a count without a list is refused */
	assert_int_equal(devplan_new(&c, &bad, &d), MM_EINVAL);
	assert_null(bad);
	devplan_free(b);
	devplan_free(a);
}

static void
test_bounds(void **state)
{
	const struct dev_svctpl *t;
	struct dev_plan *p;
	size_t i, j, ntpl, nhost = 0;
	uint32_t a;

	(void)state;
	t = devices_templates(&ntpl);
	p = plan("127.20.0.0/16", 4, 0, 7);
	assert_int_equal(p->naddrs, 65536);
	/* 4 % of 65536 less .0/.255 is ~2601: allow a wide margin */
	assert_in_range(p->ndev, 2000, 3200);
	for (i = 0; i < p->ndev; i++) {
		a = p->dev[i].addr;
		assert_int_equal(a >> 16, 0x7f14);
		assert_true((a & 0xff) != 0 && (a & 0xff) != 255);
		if (i > 0)
			assert_true(a > p->dev[i - 1].addr);
		assert_in_range(p->dev[i].nsvc, 1, DEV_MAX_PORTS);
		for (j = p->dev[i].svc; j < p->dev[i].svc + p->dev[i].nsvc;
		    j++) {
			assert_int_equal(p->svc[j].addr, a);
			assert_true(p->svc[j].tpl < ntpl);
			assert_true(p->svc[j].port != 0);
			if (t[p->svc[j].tpl].kind == DEV_HOSTILE)
				nhost++;
		}
	}
	assert_int_equal(nhost, 0);
	devplan_free(p);

	p = plan("127.20.0.0/24", 50, 100, 7);
	assert_true(p->ndev > 0);
	for (i = 0; i < p->nsvc; i++)
		assert_int_equal(t[p->svc[i].tpl].kind, DEV_HOSTILE);
	devplan_free(p);

	p = plan("127.20.0.0/24", 0, 0, 7);
	assert_int_equal(p->ndev, 0);
	assert_int_equal(p->nsvc, 0);
	devplan_free(p);
}

static void
test_tables(void **state)
{
	const struct dev_svctpl *t;
	const struct dev_cred *c;
	size_t i, n, nc;
	int vuln13379 = 0, fixedfgt = 0;

	(void)state;
	t = devices_templates(&n);
	c = devices_creds(&nc);
	assert_true(nc >= 7);
	assert_string_equal(c[0].user, "root");
	assert_string_equal(c[0].pass, "xc3511");
	for (i = 0; i < n; i++) {
		assert_non_null(t[i].name);
		assert_non_null(t[i].service);
		assert_non_null(t[i].cves);
		assert_non_null(t[i].evidence);
		assert_true(t[i].cred < (int)nc);
		if (t[i].kind == DEV_TELNET) {
			assert_true(t[i].cred >= 0);
			assert_non_null(strstr(t[i].text, "ogin: "));
		}
		if (t[i].kind == DEV_HOSTILE)
			assert_true(t[i].hostile != HOST_NONE);
		if (t[i].portal == 1) {
			if (strcmp(t[i].cves, "CVE-2018-13379") == 0)
				vuln13379++;
			else
				fixedfgt++;
		}
	}
	assert_true(vuln13379 >= 1 && fixedfgt >= 1);
	assert_string_equal(devices_hostile_name(HOST_DRIP), "drip");
	assert_string_equal(devices_hostile_name(HOST_NONE), "");
}

static void
test_truth(void **state)
{
	struct dev_plan *p;
	char *j, *k;
	size_t lj, lk, i, ncred = 0;
	const struct dev_svctpl *t = devices_templates(NULL);

	(void)state;
	p = plan("127.10.0.0/22", 10, 10, 5);
	assert_int_equal(devplan_truth_json(p, 1, &j, &lj), 0);
	assert_int_equal(devplan_truth_json(p, 0, &k, &lk), 0);
	assert_int_equal(strlen(j), lj);
	assert_int_equal(count_str(j, "\"addr\":"), p->nsvc);
	for (i = 0; i < p->nsvc; i++)
		if (t[p->svc[i].tpl].cred >= 0)
			ncred++;
	assert_true(ncred > 0);
	assert_int_equal(count_str(j, "\"credential_secret\":{\"test_only\""
	    ":true"), ncred);
	assert_int_equal(count_str(k, "credential_secret"), 0);
	assert_int_equal(count_str(k, "\"password\""), 0);
	assert_int_equal(count_str(k, "\"credential_id\":\"mirai-"), ncred);
	assert_non_null(strstr(j, "\"range\":\"127.10.0.0/22\""));
	assert_non_null(strstr(j, "\"secrets\":true"));
	assert_non_null(strstr(k, "\"secrets\":false"));
	assert_true(j[lj - 1] == '\n');
	free(j);
	free(k);
	devplan_free(p);
}

static void
test_server(void **state)
{
	const struct dev_svctpl *t = devices_templates(NULL);
	struct dev_plan *p;
	struct devsrv *srv;
	struct devsrv_conf sc;
	struct devsrv_counters cnt;
	struct sockaddr_in sin;
	char buf[128], *json, want[64];
	size_t i, len, nssh = 0;
	ssize_t n = -1;
	int fd, k;

	(void)state;
	p = plan("127.201.77.0/24", 40, 0, 3);
	for (i = 0; i < p->nsvc; i++)
		if (devices_svc_sshlogin(&p->svc[i]))
			nssh++;
	for (i = 0; i < p->nsvc; i++)
		if (t[p->svc[i].tpl].kind == DEV_SSH &&
		    !devices_svc_sshlogin(&p->svc[i]))
			break;
	if (i == p->nsvc) {
		devplan_free(p);
		skip();
	}
	memset(&sc, 0, sizeof(sc));
	sc.max_conns = 16;
	srv = devsrv_open(p, &sc, NULL);
	if (srv == NULL) {
		devplan_free(p);
		print_message("skip: cannot bind 127.201.77.0/24\n");
		skip();
	}
	/* SSH-login services are devices_ssh.c's (libssh threads) */
	assert_int_equal(devsrv_nlisten(srv), p->nsvc - nssh);
	fd = socket(AF_INET, SOCK_STREAM, 0);
	assert_true(fd >= 0);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons(p->svc[i].port);
	sin.sin_addr.s_addr = htonl(p->svc[i].addr);
	/* the kernel completes the handshake; the loop then accepts */
	assert_int_equal(connect(fd, (struct sockaddr *)&sin, sizeof(sin)),
	    0);
	for (k = 0; k < 100 && n <= 0; k++) {
		assert_int_equal(devsrv_run(srv, NULL, 100, NULL), 0);
		n = recv(fd, buf, sizeof(buf) - 1, MSG_DONTWAIT);
	}
	assert_true(n > 0);
	buf[n] = '\0';
	assert_string_equal(buf, t[p->svc[i].tpl].text);
	close(fd);
	devsrv_counters(srv, &cnt);
	assert_int_equal(cnt.accepted, 1);
	assert_int_equal(devsrv_counts_json(srv, &json, &len), 0);
	snprintf(want, sizeof(want), "\"127.201.77.%u\":1",
	    (unsigned)(p->svc[i].addr & 0xff));
	assert_non_null(strstr(json, want));
	assert_non_null(strstr(json, "\"accepted\":1,"));
	assert_non_null(strstr(json, "\"accepts\":1,"));
	assert_non_null(strstr(json, "\"first_accept_ms\":"));
	assert_null(strstr(json, "\"first_accept_ms\":null"));
	assert_non_null(strstr(json, "\"last_accept_ms\":"));
	free(json);
	devsrv_close(srv);
	devplan_free(p);
}

/* Real servers get free addresses of the range and truth entries; the
 * generic telnet prompts say so in the truth. */
static void
test_real_truth(void **state)
{
	struct mm_diag d;
	struct dev_plan *p;
	char *j;
	size_t lj, i, k, nxm = 0;
	const struct dev_svctpl *t = devices_templates(NULL);

	(void)state;
	memset(&d, 0, sizeof(d));
	p = plan("127.10.0.0/24", 30, 0, 5);
	assert_int_equal(devplan_add_real(p, REAL_LIGHTTPD_BASIC, "1.4.69",
	    &d), 0);
	assert_int_equal(devplan_add_real(p, REAL_LIGHTTPD_DIGEST, "1.4.69",
	    &d), 0);
	assert_int_equal(devplan_add_real(p, REAL_DROPBEAR, "2022.83", &d),
	    0);
	assert_int_equal(devplan_add_real(p, REAL_DROPBEAR, "2022.83", &d),
	    MM_EINVAL);
	assert_int_equal(devplan_add_real(p, REAL_LIGHTTPD_BASIC, "1\"x",
	    &d), MM_EINVAL);
	assert_int_equal(p->nreal, 3);
	for (i = 0; i < p->nreal; i++) {
		assert_true((p->real[i].addr & 0xffffff00u) == 0x7f0a0000u);
		assert_true((p->real[i].addr & 0xff) != 0 &&
		    (p->real[i].addr & 0xff) != 255);
		for (k = 0; k < p->ndev; k++)
			assert_true(p->dev[k].addr != p->real[i].addr);
		for (k = 0; k < i; k++)
			assert_true(p->real[k].addr != p->real[i].addr);
	}
	assert_int_equal(devplan_truth_json(p, 1, &j, &lj), 0);
	assert_int_equal(count_str(j, "\"addr\":"), p->nsvc + 3);
	assert_int_equal(count_str(j, "\"real\":true"), 3);
	assert_non_null(strstr(j, "\"auth\":\"digest\""));
	assert_non_null(strstr(j, "\"server\":\"lighttpd/1.4.69\""));
	assert_non_null(strstr(j, "\"banner\":\"SSH-2.0-dropbear_2022.83"
	    "\\r\\n\""));
	for (i = 0; i < p->nsvc; i++)
		if (t[p->svc[i].tpl].generic != NULL)
			nxm++;
	assert_int_equal(count_str(j, "\"identifiable\":false"), nxm);
	assert_int_equal(count_str(j, "\"expected\":{"), nxm);
	free(j);
	devplan_free(p);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_range),
		cmocka_unit_test(test_bad_conf),
		cmocka_unit_test(test_determinism),
		cmocka_unit_test(test_fixed),
		cmocka_unit_test(test_bounds),
		cmocka_unit_test(test_tables),
		cmocka_unit_test(test_truth),
		cmocka_unit_test(test_server),
		cmocka_unit_test(test_real_truth),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
