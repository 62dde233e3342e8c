/*
 * test_pool.c - the worker pool's frame codec and its split of the
 * permutation: a result with every field set (and one with a NULL pair id
 * and no fields) survives encode/decode unchanged; every truncation of a
 * frame and a set of hostile payloads (lengths past the end, missing NULs,
 * too many fields, strings over their arrays) are refused with a message
 * naming the field; counters round-trip; the workers' sub-shards of shard
 * I/N cover exactly that shard, each index once, for several N and W; and
 * a two-worker run over a scope that nothing answers (RST from the local
 * kernel on 127.63.x.y) reports every target done, as one engine does.
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

#include "core/err.h"
#include "survey/pool.h"

static struct scan_result
sample(struct rules_field *f)
{
	struct scan_result r;

	memset(&r, 0, sizeof(r));
	r.addr.b[10] = 0xff;
	r.addr.b[11] = 0xff;
	r.addr.b[12] = 127;
	r.addr.b[13] = 20;
	r.addr.b[15] = 9;
	r.port = 8443;
	r.time_ms = 1795684773123LL;
	r.proto = "tls";
	r.service = "https";
	r.identified = 1;
	snprintf(r.ident.rule, sizeof(r.ident.rule), "fortigate-sslvpn");
	snprintf(r.ident.file, sizeof(r.ident.file), "data/30-vpn.rules");
	r.ident.line = 28;
	r.ident.priority = -3;
	snprintf(r.ident.vendor, sizeof(r.ident.vendor), "Fortinet");
	snprintf(r.ident.product, sizeof(r.ident.product), "FortiGate");
	snprintf(r.ident.version, sizeof(r.ident.version), "6.0.4");
	snprintf(r.ident.device, sizeof(r.ident.device), "vpn-gateway");
	snprintf(r.ident.cpe, sizeof(r.ident.cpe),
	    "cpe:2.3:o:fortinet:fortios:6.0.4:*:*:*:*:*:*:*");
	r.ident.limit_hits = 2;
	snprintf(r.banner, sizeof(r.banner), "HTTP/1.1 200 OK");
	r.telnet_login = 1;
	snprintf(r.error, sizeof(r.error), "header cap");
	r.cred_checked = 1;
	snprintf(r.cred_proto, sizeof(r.cred_proto), "https");
	r.cred_id = "mirai-07";
	r.cred_attempts = 3;
	f[0].name = "status";
	f[0].val = "200";
	f[0].len = 3;
	f[1].name = "body";
	f[1].val = "a\0b";	/* a value may hold NUL bytes */
	f[1].len = 3;
	r.fields = f;
	r.nfields = 2;
	return r;
}

static void
same(const struct scan_result *a, const struct scan_result *b)
{
	size_t i;

	assert_memory_equal(a->addr.b, b->addr.b, 16);
	assert_int_equal(a->port, b->port);
	assert_int_equal(a->time_ms, b->time_ms);
	assert_string_equal(a->proto, b->proto);
	assert_string_equal(a->service, b->service);
	assert_int_equal(a->identified, b->identified);
	assert_memory_equal(&a->ident, &b->ident, sizeof(a->ident));
	assert_string_equal(a->banner, b->banner);
	assert_int_equal(a->telnet_login, b->telnet_login);
	assert_string_equal(a->error, b->error);
	assert_int_equal(a->cred_checked, b->cred_checked);
	assert_string_equal(a->cred_proto, b->cred_proto);
	if (a->cred_id == NULL)
		assert_null(b->cred_id);
	else
		assert_string_equal(a->cred_id, b->cred_id);
	assert_int_equal(a->cred_attempts, b->cred_attempts);
	assert_int_equal(a->nfields, b->nfields);
	for (i = 0; i < a->nfields; i++) {
		assert_string_equal(a->fields[i].name, b->fields[i].name);
		assert_int_equal(a->fields[i].len, b->fields[i].len);
		assert_memory_equal(a->fields[i].val, b->fields[i].val,
		    a->fields[i].len);
	}
}

/* Encodes r; checks the frame header; returns the buffer. */
static uint8_t *
encode(const struct scan_result *r, size_t *len)
{
	uint8_t *buf = NULL;
	size_t cap = 0, fl;

	*len = 0;
	assert_int_equal(pool_result_encode(r, &buf, len, &cap), 0);
	assert_true(*len > 5);
	fl = (size_t)buf[0] << 24 | (size_t)buf[1] << 16 |
	    (size_t)buf[2] << 8 | buf[3];
	assert_int_equal(fl, *len - 4);
	assert_int_equal(buf[4], POOL_F_RESULT);
	return buf;
}

static void
test_roundtrip(void **state)
{
	struct rules_field f[2];
	struct scan_result r = sample(f);
	struct pool_result *out = malloc(sizeof(*out));
	struct mm_diag d;
	uint8_t *buf;
	size_t len;

	(void)state;
	assert_non_null(out);
	buf = encode(&r, &len);
	assert_int_equal(pool_result_decode(buf + 5, len - 5, out, &d), 0);
	same(&r, &out->res);
	free(buf);

	/* NULL pair id, no fields */
	r.cred_id = NULL;
	r.nfields = 0;
	r.fields = NULL;
	buf = encode(&r, &len);
	assert_int_equal(pool_result_decode(buf + 5, len - 5, out, &d), 0);
	r.fields = out->res.fields;
	same(&r, &out->res);
	free(buf);
	free(out);
}

static void
test_truncated(void **state)
{
	struct rules_field f[2];
	struct scan_result r = sample(f);
	struct pool_result *out = malloc(sizeof(*out));
	struct mm_diag d;
	uint8_t *buf, *cp;
	size_t len, n;

	(void)state;
	assert_non_null(out);
	buf = encode(&r, &len);
	/* every proper prefix fails, and so does one byte too many */
	for (n = 0; n < len - 5; n++) {
		cp = malloc(n + 1);
		assert_non_null(cp);
		memcpy(cp, buf + 5, n);
		memset(&d, 0, sizeof(d));
		assert_int_not_equal(pool_result_decode(cp, n, out, &d), 0);
		assert_true(strncmp(d.msg, "pool: result: ", 14) == 0);
		free(cp);
	}
	cp = malloc(len - 4);
	assert_non_null(cp);
	memcpy(cp, buf + 5, len - 5);
	cp[len - 5] = 0;
	assert_int_not_equal(pool_result_decode(cp, len - 4, out, &d), 0);
	assert_non_null(strstr(d.msg, "after the last field"));
	free(cp);
	free(buf);
	free(out);
}

static void
test_hostile(void **state)
{
	struct rules_field f[2];
	struct scan_result r = sample(f);
	struct pool_result *out = malloc(sizeof(*out));
	struct mm_diag d;
	uint8_t *buf, *p;
	size_t len, off;

	(void)state;
	assert_non_null(out);
	buf = encode(&r, &len);
	p = buf + 5;
	/* proto: length past the end */
	off = 16 + 2 + 8;
	p[off] = 0x7f;
	p[off + 1] = 0xf0;
	assert_int_not_equal(pool_result_decode(p, len - 5, out, &d), 0);
	assert_non_null(strstr(d.msg, "proto"));
	/* proto: NULL encoding where NULL is not allowed */
	p[off] = 0xff;
	p[off + 1] = 0xff;
	assert_int_not_equal(pool_result_decode(p, len - 5, out, &d), 0);
	assert_non_null(strstr(d.msg, "NULL"));
	/* proto: its NUL replaced */
	p[off] = 0;
	p[off + 1] = 3;
	p[off + 2 + 3] = 'x';
	assert_int_not_equal(pool_result_decode(p, len - 5, out, &d), 0);
	assert_non_null(strstr(d.msg, "NUL"));
	free(buf);

	/* a field count over SCAN_MAX_FIELDS */
	r.nfields = 0;
	r.fields = NULL;
	buf = encode(&r, &len);
	/* the field count is the last u16 */
	buf[len - 2] = 0x01;
	buf[len - 1] = 0x00;	/* 256 fields > SCAN_MAX_FIELDS */
	assert_int_not_equal(pool_result_decode(buf + 5, len - 5, out, &d),
	    0);
	assert_non_null(strstr(d.msg, "fields over"));
	free(buf);
	free(out);
}

static void
test_stats(void **state)
{
	struct scan_stats a, b;
	uint8_t buf[POOL_STATS_LEN];
	struct mm_diag d;

	(void)state;
	memset(&a, 0, sizeof(a));
	a.total = 1; a.done = 2; a.open = 3; a.identified = 4;
	a.connects = 5; a.conn_timeouts = 6; a.refused = 7;
	a.scope_refused = 8; a.errors = 9; a.inflight = 10;
	a.inflight_max = 11; a.cred_services = 12; a.cred_attempts = 13;
	a.cred_found = 14; a.source_skipped = 15; a.start_ns = 16;
	a.now_ns = 17;
	pool_stats_encode(&a, buf);
	assert_int_equal(pool_stats_decode(buf, sizeof(buf), &b, &d), 0);
	assert_memory_equal(&a, &b, sizeof(a));
	assert_int_not_equal(pool_stats_decode(buf, sizeof(buf) - 1, &b, &d),
	    0);
}

static void
test_split(void **state)
{
	static const uint32_t ns[] = { 1, 2, 3 };
	static const unsigned ws[] = { 1, 2, 3, 5 };
	struct perm perms[8], one;
	uint8_t *seen = calloc(3001, 1);
	uint64_t n = 3001, idx, got, want;
	size_t a, b;
	uint32_t i;
	unsigned w;

	(void)state;
	assert_non_null(seen);
	for (a = 0; a < sizeof(ns) / sizeof(ns[0]); a++)
		for (b = 0; b < sizeof(ws) / sizeof(ws[0]); b++)
			for (i = 0; i < ns[a]; i++) {
				memset(seen, 0, n);
				assert_int_equal(pool_perms_init(perms, ws[b],
				    n, 77, i, ns[a]), 0);
				got = 0;
				for (w = 0; w < ws[b]; w++)
					while (perm_next(&perms[w], &idx)) {
						assert_true(idx < n);
						assert_int_equal(seen[idx], 0);
						seen[idx] = 1;
						got++;
					}
				/* exactly shard i of ns[a], nothing else */
				assert_int_equal(perm_init(&one, n, 77, i,
				    ns[a]), 0);
				want = 0;
				while (perm_next(&one, &idx)) {
					assert_int_equal(seen[idx], 1);
					want++;
				}
				assert_int_equal(got, want);
			}
	assert_int_not_equal(pool_perms_init(perms, 0, n, 1, 0, 1), 0);
	assert_int_not_equal(pool_perms_init(perms, 2, n, 1, 0,
	    PERM_MAX_SHARDS), 0);
	free(seen);
}

static unsigned long results;

static void
count_result(const struct scan_result *r, void *arg)
{
	(void)r;
	(void)arg;
	results++;
}

static void
test_run_two_workers(void **state)
{
	struct scope *sc = NULL;
	struct rules *ru = NULL;
	struct perm perms[2];
	struct scan_cfg cfg;
	struct scan_stats st;
	struct mm_diag d;
	uint16_t ports[] = { 1, 2, 3, 4 };
	char path[] = "/tmp/mamori-test-pool.XXXXXX";
	FILE *fp;
	int fd;

	(void)state;
	/* 127.63.0.0/26 x 4 ports: nothing listens, the kernel answers RST */
	assert_true((fd = mkstemp(path)) >= 0);
	assert_non_null(fp = fdopen(fd, "w"));
	fprintf(fp, "127.63.0.0/26\n");
	fclose(fp);
	memset(&d, 0, sizeof(d));
	assert_int_equal(scope_load(&sc, path, NULL, NULL, ports, 4, 1, &d),
	    0);
	unlink(path);
	assert_int_equal(rules_new(&ru), 0);
	memset(&cfg, 0, sizeof(cfg));
	cfg.max_concurrent = 16;
	cfg.timeout_ms = 2000;
	cfg.banner_ms = 500;
	assert_int_equal(pool_perms_init(perms, 2, scope_ntargets(sc), 5, 0,
	    1), 0);
	results = 0;
	assert_int_equal(pool_run(&cfg, sc, perms, 2, ru, count_result, NULL,
	    NULL, NULL, &st, &d), 0);
	assert_int_equal(results, 0);
	assert_int_equal(st.done, 256);
	assert_int_equal(st.connects, 256);
	assert_int_equal(st.refused, 256);
	assert_int_equal(st.open, 0);
	assert_true(st.inflight_max >= 1 && st.inflight_max <= 16);
	/* both workers ran their whole sub-shard */
	assert_int_equal(perms[0].pos, perms[0].npos);
	assert_int_equal(perms[1].pos, perms[1].npos);
	rules_free(ru);
	scope_free(sc);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_roundtrip),
		cmocka_unit_test(test_truncated),
		cmocka_unit_test(test_hostile),
		cmocka_unit_test(test_stats),
		cmocka_unit_test(test_split),
		cmocka_unit_test(test_run_two_workers),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
