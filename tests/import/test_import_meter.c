/*
 * test_import_meter.c - the pcap flow meter on synthetic packets: both
 * directions in one entry and emitted as two flows; idle and active
 * timeouts; TCP FIN/RST close with grace; the table cap (least recently
 * active goes first); VLAN in the key (or not); non-IP packets; clocks
 * going backwards; and a capture file (shared test data, skipped when
 * absent).
 */
#include "import_test_util.h"

#include "flow/packet.h"

#define A	0x0a000001u	/* 10.0.0.1 */
#define B	0x0a000002u
#define C	0x0a000003u

/* IPv4 + TCP/UDP header, 40/28 bytes, ip total length `iplen` */
static size_t
mkpkt(uint8_t *p, uint32_t src, uint32_t dst, uint8_t proto, uint16_t sp,
    uint16_t dp, uint8_t flags, uint16_t iplen)
{
	size_t n = proto == 6 ? 40 : 28;

	memset(p, 0, 64);
	p[0] = 0x45;
	p[2] = (uint8_t)(iplen >> 8);
	p[3] = (uint8_t)iplen;
	p[8] = 64;
	p[9] = proto;
	p[12] = (uint8_t)(src >> 24); p[13] = (uint8_t)(src >> 16);
	p[14] = (uint8_t)(src >> 8); p[15] = (uint8_t)src;
	p[16] = (uint8_t)(dst >> 24); p[17] = (uint8_t)(dst >> 16);
	p[18] = (uint8_t)(dst >> 8); p[19] = (uint8_t)dst;
	p[20] = (uint8_t)(sp >> 8); p[21] = (uint8_t)sp;
	p[22] = (uint8_t)(dp >> 8); p[23] = (uint8_t)dp;
	if (proto == 6) {
		p[32] = 0x50;
		p[33] = flags;
	} else {
		p[24] = 0;
		p[25] = 8;
	}
	return n;
}

static void
pkt(struct meter *m, struct tsink *t, struct import_stats *st, uint32_t s,
    uint32_t d, uint8_t proto, uint16_t sp, uint16_t dp, uint8_t fl,
    mtime_t ts)
{
	uint8_t	b[64];
	size_t	n = mkpkt(b, s, d, proto, sp, dp, fl, 100);

	assert_int_equal(meter_packet(m, b, n, PKT_LINK_IPV4, ts, &t->sink,
	    st), 0);
}

static void
test_bidir_idle(void **state)
{
	struct meter		*m;
	struct tsink		 t;
	struct import_stats	 st;

	(void)state;
	memset(&st, 0, sizeof(st));
	ts_init(&t);
	m = meter_new(NULL);
	assert_non_null(m);
	pkt(m, &t, &st, A, B, 17, 1000, 53, 0, 1000);
	pkt(m, &t, &st, B, A, 17, 53, 1000, 0, 1500);
	pkt(m, &t, &st, A, B, 17, 1000, 53, 0, 2000);
	assert_int_equal(t.nflows, 0);
	/* 15 s idle after the last packet at 2.0 s: expired at 17.0 s */
	pkt(m, &t, &st, A, B, 17, 1000, 53, 0, 17000);
	assert_int_equal(st.expired_idle, 1);
	assert_string_equal(t.buf,
	    "1970-01-01T00:00:01.000Z 1970-01-01T00:00:02.000Z 10.0.0.1 1000 > "
	    "10.0.0.2 53 p17 pk=2 by=200 fl=0x00 tos=0 vlan=0\n"
	    "1970-01-01T00:00:01.500Z 1970-01-01T00:00:01.500Z 10.0.0.2 53 > "
	    "10.0.0.1 1000 p17 pk=1 by=100 fl=0x00 tos=0 vlan=0\n");
	assert_int_equal(meter_flush(m, &t.sink, &st), 0);
	assert_int_equal(st.expired_eof, 1);
	assert_int_equal(t.nflows, 3);
	assert_int_equal(st.packets, 4);
	meter_free(m);
	ts_free(&t);
}

static void
test_icmp(void **state)
{
	struct meter		*m;
	struct tsink		 t;
	struct import_stats	 st;

	(void)state;
	memset(&st, 0, sizeof(st));
	ts_init(&t);
	m = meter_new(NULL);
	/* echo request (type 8) and reply (type 0): separate flows */
	pkt(m, &t, &st, A, B, 1, 0x0800, 0x1234, 0, 1000);
	pkt(m, &t, &st, B, A, 1, 0x0000, 0x1234, 0, 1001);
	pkt(m, &t, &st, A, B, 1, 0x0800, 0x1234, 0, 2000);
	assert_int_equal(meter_flush(m, &t.sink, &st), 0);
	assert_int_equal(t.nflows, 2);
	assert_non_null(strstr(t.buf, "10.0.0.1 0 > 10.0.0.2 2048 p1 pk=2"));
	assert_non_null(strstr(t.buf, "10.0.0.2 0 > 10.0.0.1 0 p1 pk=1"));
	meter_free(m);
	ts_free(&t);
}

static void
test_active(void **state)
{
	struct meter_conf	 c;
	struct meter		*m;
	struct tsink		 t;
	struct import_stats	 st;
	mtime_t			 ts;

	(void)state;
	memset(&st, 0, sizeof(st));
	memset(&c, 0, sizeof(c));
	c.active_ms = 30000;
	ts_init(&t);
	m = meter_new(&c);
	for (ts = 1000; ts <= 100000; ts += 10000)	/* 10 packets */
		pkt(m, &t, &st, A, B, 6, 1000, 80, 0x10, ts);
	assert_int_equal(meter_flush(m, &t.sink, &st), 0);
	/* slices start at 1, 31, 61 and 91 s */
	assert_int_equal(st.expired_active, 3);
	assert_int_equal(st.expired_eof, 1);
	assert_int_equal(t.nflows, 4);
	meter_free(m);
	ts_free(&t);
}

static void
test_tcp_close(void **state)
{
	struct meter		*m;
	struct tsink		 t;
	struct import_stats	 st;

	(void)state;
	memset(&st, 0, sizeof(st));
	ts_init(&t);
	m = meter_new(NULL);
	pkt(m, &t, &st, A, B, 6, 1000, 80, 0x02, 1000);	/* SYN */
	pkt(m, &t, &st, B, A, 6, 80, 1000, 0x12, 1001);	/* SYN ACK */
	pkt(m, &t, &st, A, B, 6, 1000, 80, 0x11, 1002);	/* FIN */
	pkt(m, &t, &st, B, A, 6, 80, 1000, 0x11, 1003);	/* FIN */
	pkt(m, &t, &st, A, B, 6, 1000, 80, 0x10, 1004);	/* last ACK */
	assert_int_equal(t.nflows, 0);
	/* something else 2 s later ends it */
	pkt(m, &t, &st, C, B, 17, 5, 5, 0, 3004);
	assert_int_equal(st.expired_tcp, 1);
	assert_int_equal(t.nflows, 2);
	assert_non_null(strstr(t.buf, "10.0.0.1 1000 > 10.0.0.2 80 p6 pk=3 "
	    "by=300 fl=0x13"));
	assert_non_null(strstr(t.buf, "10.0.0.2 80 > 10.0.0.1 1000 p6 pk=2 "
	    "by=200 fl=0x13"));
	/* RST: a packet after the grace starts a new flow */
	pkt(m, &t, &st, A, B, 6, 2000, 80, 0x02, 4000);
	pkt(m, &t, &st, B, A, 6, 80, 2000, 0x14, 4001);
	pkt(m, &t, &st, A, B, 6, 2000, 80, 0x02, 7000);
	assert_int_equal(st.expired_tcp, 2);
	assert_int_equal(meter_flush(m, &t.sink, &st), 0);
	assert_int_equal(st.expired_eof, 2);	/* udp + new SYN */
	assert_int_equal(t.nflows, 6);
	meter_free(m);
	ts_free(&t);
}

static void
test_full(void **state)
{
	struct meter_conf	 c;
	struct meter		*m;
	struct tsink		 t;
	struct import_stats	 st;

	(void)state;
	memset(&st, 0, sizeof(st));
	memset(&c, 0, sizeof(c));
	c.max_flows = 2;
	ts_init(&t);
	m = meter_new(&c);
	pkt(m, &t, &st, A, B, 17, 1, 1, 0, 1000);
	pkt(m, &t, &st, A, B, 17, 2, 2, 0, 1001);
	pkt(m, &t, &st, A, B, 17, 1, 1, 0, 1002);	/* 1 is now recent */
	pkt(m, &t, &st, A, B, 17, 3, 3, 0, 1003);	/* evicts 2 */
	assert_int_equal(st.expired_full, 1);
	assert_int_equal(st.max_active, 2);
	assert_non_null(strstr(t.buf, "10.0.0.1 2 > 10.0.0.2 2 p17 pk=1"));
	assert_int_equal(meter_flush(m, &t.sink, &st), 0);
	assert_int_equal(t.nflows, 3);
	meter_free(m);
	ts_free(&t);
}

static void
test_vlan_nonip_clock(void **state)
{
	struct meter_conf	 c;
	struct meter		*m;
	struct tsink		 t;
	struct import_stats	 st;
	uint8_t			 f[128];
	size_t			 n;
	int			 novlan, v;

	(void)state;
	for (novlan = 0; novlan <= 1; novlan++) {
		memset(&st, 0, sizeof(st));
		memset(&c, 0, sizeof(c));
		c.no_vlan = novlan;
		ts_init(&t);
		m = meter_new(&c);
		for (v = 10; v <= 20; v += 10) {
			memset(f, 0, sizeof(f));
			f[12] = 0x81; f[13] = 0x00;	/* 802.1Q */
			f[14] = 0; f[15] = (uint8_t)v;
			f[16] = 0x08; f[17] = 0x00;
			n = 18 + mkpkt(f + 18, A, B, 17, 9, 9, 0, 100);
			assert_int_equal(meter_packet(m, f, n, PKT_LINK_ETHER,
			    5000 - v * 100, &t.sink, &st), 0);
		}
		/* ARP */
		memset(f, 0, sizeof(f));
		f[12] = 0x08; f[13] = 0x06;
		assert_int_equal(meter_packet(m, f, 42, PKT_LINK_ETHER, 5000,
		    &t.sink, &st), 0);
		assert_int_equal(st.nonip, 1);
		assert_int_equal(meter_flush(m, &t.sink, &st), 0);
		assert_int_equal(t.nflows, novlan ? 1 : 2);
		if (novlan)	/* times out of order: first <= last kept */
			assert_non_null(strstr(t.buf, "1970-01-01T00:00:03.000Z "
			    "1970-01-01T00:00:04.000Z"));
		else
			assert_non_null(strstr(t.buf, "vlan=20"));
		meter_free(m);
		ts_free(&t);
	}
}

static void
test_capture(void **state)
{
	const char	*path = MAMORI_TESTDATA "/pcap/two_way_all_flags.pcap";
	struct meter	*m;
	struct tsink	 t;
	struct import_stats st;
	struct mm_diag	 d;
	FILE		*fp;

	(void)state;
	if ((fp = fopen(path, "rb")) == NULL) {
		fprintf(stderr, "skip: %s absent\n", path);
		skip();
	}
	fclose(fp);
	memset(&st, 0, sizeof(st));
	ts_init(&t);
	m = meter_new(NULL);
	assert_int_equal(meter_pcap_file(m, path, &t.sink, &st, &d), 0);
	assert_int_equal(meter_flush(m, &t.sink, &st), 0);
	assert_int_equal(st.packets, 7938);	/* tshark -r FILE | wc -l */
	assert_int_equal(st.nonip, 0);
	assert_int_equal(st.flows, 7938);	/* softflowd gives the same */
	meter_free(m);
	ts_free(&t);
	/* unreadable */
	m = meter_new(NULL);
	assert_int_equal(meter_pcap_file(m, MAMORI_SRCDIR "/README.md",
	    &t.sink, &st, &d), MM_EIO);
	meter_free(m);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bidir_idle),
		cmocka_unit_test(test_icmp),
		cmocka_unit_test(test_active),
		cmocka_unit_test(test_tcp_close),
		cmocka_unit_test(test_full),
		cmocka_unit_test(test_vlan_nonip_clock),
		cmocka_unit_test(test_capture),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
