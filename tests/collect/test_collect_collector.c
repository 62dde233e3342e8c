/*
 * test_collect_collector.c - the collector engine in-process over loopback:
 * bind 127.0.0.1, start, send the NetFlow v5 capture from the shared test
 * data N times, wait (bounded) until the writer has stored every flow, stop,
 * and read the store back; then the same with Crypto-PAn anonymisation of
 * one range. Waits are bounded polls, never timing assertions.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <cmocka.h>

#include "collect/collector.h"
#include "flow/pcapfile.h"
#include "store/store.h"

#define NFV5	MAMORI_TESTDATA "/netflow/nfv5.pcap"
#define SENDS	50

struct payloads {
	uint8_t	buf[8][2048];
	size_t	len[8];
	size_t	n;
};

static int
grab(void *arg, const struct pcap_udp *u)
{
	struct payloads *p = arg;

	if (p->n < 8 && u->len <= sizeof(p->buf[0])) {
		memcpy(p->buf[p->n], u->payload, u->len);
		p->len[p->n++] = u->len;
	}
	return 0;
}

static int
have_capture(struct payloads *p)
{
	memset(p, 0, sizeof(*p));
	if (access(NFV5, R_OK) != 0)
		return 0;
	return pcapfile_udp_foreach(NFV5, grab, p, NULL, NULL) == 0 &&
	    p->n > 0;
}

static struct collector *
start(const char *dir, uint16_t *port, const char *key,
    const struct mm_prefix *anon, size_t nanon)
{
	struct collector_conf	 conf;
	struct udp_listen	 l;
	struct collector	*c = NULL;
	struct mm_diag		 d;
	char			 spec[32];
	int			 i;

	for (i = 0; i < 20 && c == NULL; i++) {
		*port = (uint16_t)(20000 + (getpid() * 3 + i * 101) % 20000);
		snprintf(spec, sizeof(spec), "127.0.0.1:%u", *port);
		assert_int_equal(udp_listen_parse(spec, &l, &d), 0);
		memset(&conf, 0, sizeof(conf));
		conf.listen = &l;
		conf.nlisten = 1;
		conf.datadir = dir;
		conf.rcvbuf = 4 << 20;
		conf.queue_flows = 1 << 16;
		conf.anon_key = key;
		conf.anon = anon;
		conf.nanon = nanon;
		if (collector_open(&conf, &c, &d) != 0)
			c = NULL;
	}
	assert_non_null(c);
	assert_int_equal(collector_start(c, &d), 0);
	return c;
}

static void
send_all(const struct payloads *p, uint16_t port, int times)
{
	struct sockaddr_in	sin;
	int			s, i;
	size_t			k;

	s = socket(AF_INET, SOCK_DGRAM, 0);
	assert_true(s >= 0);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons(port);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	for (i = 0; i < times; i++)
		for (k = 0; k < p->n; k++)
			assert_int_equal(sendto(s, p->buf[k], p->len[k], 0,
			    (struct sockaddr *)&sin, sizeof(sin)),
			    (ssize_t)p->len[k]);
	close(s);
}

/* Polls the counters until `want` flows were written (bounded: 30 s). */
static void
wait_written(struct collector *c, uint64_t want)
{
	struct collect_stats	s;
	int			i;

	for (i = 0; i < 3000; i++) {
		assert_int_equal(collector_snapshot(c, &s), 0);
		if (s.flows_written >= want) {
			stats_clear(&s);
			return;
		}
		stats_clear(&s);
		usleep(10000);
	}
	fail_msg("flows_written never reached %llu", (unsigned long long)want);
}

/* Reads every stored row; counts them and those whose src is in `p`. */
static uint64_t
read_store(const char *dir, const struct mm_prefix *p, uint64_t *in_p)
{
	struct store_reader	*r;
	struct store_block_info	 bi;
	struct flow_block	 b;
	struct mm_diag		 d;
	char			**paths = NULL;
	size_t			 npaths = 0, i, k;
	uint64_t		 rows = 0;
	int			 rc;

	*in_p = 0;
	flow_block_init(&b);
	assert_int_equal(store_list(dir, NULL, &paths, &npaths, &d), 0);
	for (i = 0; i < npaths; i++) {
		assert_int_equal(store_reader_open(paths[i], &r, &d), 0);
		while ((rc = store_reader_next(r, &bi, &d)) == 1) {
			assert_int_equal(store_reader_load(r, FCOL_ALL, &b,
			    &d), 0);
			rows += b.n;
			for (k = 0; p != NULL && k < b.n; k++)
				if (prefix_contains(p, &b.src[k]))
					(*in_p)++;
		}
		assert_int_equal(rc, 0);
		store_reader_close(r);
	}
	store_paths_free(paths, npaths);
	flow_block_free(&b);
	return rows;
}

static void
rmtree(const char *dir)
{
	char cmd[512];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	assert_int_equal(system(cmd), 0);
}

static void
test_roundtrip(void **state)
{
	struct payloads		 p;
	struct collector	*c;
	struct collect_stats	 s;
	struct mm_diag		 d;
	char			 dir[] = "/tmp/mamori-test-collector-XXXXXX";
	uint64_t		 want, in_p;
	uint16_t		 port;

	(void)state;
	if (!have_capture(&p))
		skip();
	assert_non_null(mkdtemp(dir));
	c = start(dir, &port, NULL, NULL, 0);
	send_all(&p, port, SENDS);
	want = 29ULL * SENDS;	/* nfv5.pcap: one datagram of 29 flows */
	wait_written(c, want);
	assert_int_equal(collector_stop(c, &d), 0);
	assert_int_equal(collector_snapshot(c, &s), 0);
	assert_int_equal(s.flows, want);
	assert_int_equal(s.flows_written, want);
	assert_int_equal(s.datagrams, p.n * SENDS);
	assert_int_equal(s.queue_drops, 0);
	assert_int_equal(s.nexp, 1);
	assert_int_equal(s.exp[0].version, DECODE_NFV5);
	assert_int_equal(s.exp[0].flows, want);
	assert_true(s.blocks >= 1);
	stats_clear(&s);
	collector_free(c);
	assert_int_equal(read_store(dir, NULL, &in_p), want);
	rmtree(dir);
}

static void
test_anonymise(void **state)
{
	struct payloads		 p;
	struct collector	*c;
	struct mm_prefix	 range;
	struct mm_diag		 d;
	char			 dir[] = "/tmp/mamori-test-collector-XXXXXX";
	char			 key[600];
	uint64_t		 before, after, rows;
	uint16_t		 port;
	FILE			*fp;

	(void)state;
	if (!have_capture(&p))
		skip();
	/* Count plain flows with src in the range first. */
	assert_non_null(mkdtemp(dir));
	assert_int_equal(prefix_parse("172.217.0.0/16", &range), 0);
	c = start(dir, &port, NULL, NULL, 0);
	send_all(&p, port, 1);
	wait_written(c, 29);
	assert_int_equal(collector_stop(c, &d), 0);
	collector_free(c);
	rows = read_store(dir, &range, &before);
	assert_int_equal(rows, 29);
	assert_true(before > 0);
	rmtree(dir);

	/* Now anonymise that range only. */
	strcpy(dir, "/tmp/mamori-test-collector-XXXXXX");
	assert_non_null(mkdtemp(dir));
	snprintf(key, sizeof(key), "%s/key", dir);
	fp = fopen(key, "w");
	assert_non_null(fp);
	fputs("000102030405060708090a0b0c0d0e0f"
	    "101112131415161718191a1b1c1d1e1f\n", fp);
	fclose(fp);
	c = start(dir, &port, key, &range, 1);
	send_all(&p, port, 1);
	wait_written(c, 29);
	assert_int_equal(collector_stop(c, &d), 0);
	collector_free(c);
	assert_int_equal(read_store(dir, &range, &after), 29);
	/* prefix-preserving: anonymised addresses leave the /16 (with
	 * overwhelming probability for this key); the rest is untouched */
	assert_true(after < before);
	rmtree(dir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_roundtrip),
		cmocka_unit_test(test_anonymise),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
