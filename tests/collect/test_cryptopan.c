/*
 * test_cryptopan.c - Crypto-PAn against the reference sample trace of the
 * original implementation (its sample key and sample_trace_raw /
 * sample_trace_sanitized address pairs), widely used IPv6 vectors for the
 * 128-bit extension, prefix preservation on random pairs, ranges, key files.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "collect/cryptopan.h"

/* The sample key of the Crypto-PAn source distribution. */
static const uint8_t ref_key[CRYPTOPAN_KEYLEN] = {
	21, 34, 23, 141, 51, 164, 207, 128, 19, 10, 91, 22, 73, 144, 125, 16,
	216, 152, 143, 131, 121, 121, 101, 39, 98, 87, 76, 45, 42, 132, 34, 2
};

struct vec {
	const char	*in;
	const char	*out;
};

/* Distinct address pairs of sample_trace_raw.dat -> sample_trace_sanitized.dat. */
static const struct vec v4_vectors[] = {
	{ "128.11.68.132", "135.242.180.132" },
	{ "129.118.74.4", "134.136.186.123" },
	{ "130.132.252.244", "133.68.164.234" },
	{ "141.223.7.43", "141.167.8.160" },
	{ "141.233.145.108", "141.129.237.235" },
	{ "152.163.225.39", "151.140.114.167" },
	{ "156.29.3.236", "147.225.12.42" },
	{ "165.247.96.84", "162.9.99.234" },
	{ "166.107.77.190", "160.132.178.185" },
	{ "192.102.249.13", "252.138.62.131" },
	{ "192.215.32.125", "252.43.47.189" },
	{ "192.233.80.103", "252.25.108.8" },
	{ "192.41.57.43", "252.222.221.184" },
	{ "193.150.244.223", "253.169.52.216" },
	{ "195.205.63.100", "255.186.223.5" },
	{ "198.200.171.101", "249.199.68.213" },
	{ "198.26.132.101", "249.36.123.202" },
	{ "198.36.213.5", "249.7.21.132" },
	{ "198.51.77.238", "249.18.186.254" },
	{ "199.217.79.101", "248.38.184.213" },
	{ "202.49.198.20", "245.206.7.234" },
	{ "203.12.160.252", "244.248.163.4" },
	{ "204.184.162.189", "243.192.77.90" },
	{ "204.202.136.230", "243.178.4.198" },
	{ "204.29.20.4", "243.33.20.123" },
	{ "205.178.38.67", "242.108.198.51" },
	{ "205.188.147.153", "242.96.16.101" },
	{ "205.188.248.25", "242.96.88.27" },
	{ "205.245.121.43", "242.21.121.163" },
	{ "207.105.49.5", "241.118.205.138" },
	{ "207.135.65.238", "241.202.129.222" },
	{ "207.155.9.214", "241.220.250.22" },
	{ "207.188.7.45", "241.255.249.220" },
	{ "207.25.71.27", "241.33.119.156" },
	{ "207.33.151.131", "241.1.233.131" },
	{ "208.147.89.59", "227.237.98.191" },
	{ "208.234.120.210", "227.154.67.17" },
	{ "208.28.185.184", "227.39.94.90" },
	{ "208.52.56.122", "227.8.63.165" },
	{ "209.12.231.7", "226.243.167.8" },
	{ "209.238.72.3", "226.6.119.243" },
	{ "209.246.74.109", "226.22.124.76" },
	{ "209.68.60.238", "226.184.220.233" },
	{ "209.85.249.6", "226.170.70.6" },
	{ "212.120.124.31", "228.135.163.231" },
	{ "212.146.8.236", "228.19.4.234" },
	{ "212.186.227.154", "228.59.98.98" },
	{ "212.204.172.118", "228.71.195.169" },
	{ "212.206.130.201", "228.69.242.193" },
	{ "216.148.237.145", "235.84.194.111" },
	{ "216.157.30.252", "235.89.31.26" },
	{ "216.184.159.48", "235.96.225.78" },
	{ "216.227.10.221", "235.28.253.36" },
	{ "216.254.18.172", "235.7.16.162" },
	{ "216.32.132.250", "235.192.139.38" },
	{ "216.35.217.178", "235.195.157.81" },
	{ "24.0.250.221", "100.15.198.226" },
	{ "24.13.62.231", "100.2.192.247" },
	{ "24.14.213.138", "100.1.42.141" },
	{ "24.5.0.80", "100.9.15.210" },
	{ "24.7.198.88", "100.10.6.25" },
	{ "24.94.26.44", "100.88.228.35" },
	{ "38.15.67.68", "64.3.66.187" },
	{ "4.3.88.225", "124.60.155.63" },
	{ "63.14.55.111", "95.9.215.7" },
	{ "63.195.241.44", "95.179.238.44" },
	{ "63.97.7.140", "95.97.9.123" },
	{ "64.14.118.196", "0.255.183.58" },
	{ "64.34.154.117", "0.221.154.117" },
	{ "64.39.15.238", "0.219.7.41" },
	{ "10.185.25.118", "117.161.29.118" },
};

/* The 128-bit generalisation with the same key, as published by other
 * implementations of the scheme. */
static const struct vec v6_vectors[] = {
	{ "::1", "78ff:f001:9fc0:20df:8380:b1f1:704:ed" },
	{ "::2", "78ff:f001:9fc0:20df:8380:b1f1:704:ef" },
	{ "::ffff", "78ff:f001:9fc0:20df:8380:b1f1:704:f838" },
	{ "2001:db8::1", "4401:2bc:603f:d91d:27f:ff8e:e6f1:dc1e" },
	{ "2001:db8::2", "4401:2bc:603f:d91d:27f:ff8e:e6f1:dc1c" },
};

static void
check_vectors(struct cryptopan *cp, const struct vec *v, size_t n)
{
	struct mm_addr in, out, want;
	char buf[ADDR_STRLEN], msg[160];
	size_t i;

	for (i = 0; i < n; i++) {
		assert_int_equal(addr_parse(v[i].in, &in), 0);
		assert_int_equal(addr_parse(v[i].out, &want), 0);
		assert_int_equal(cryptopan_anon(cp, &in, &out), 1);
		if (memcmp(&out, &want, sizeof(out)) != 0) {
			snprintf(msg, sizeof(msg), "%s -> %s, want %s",
			    v[i].in, addr_fmt(&out, buf, sizeof(buf)),
			    v[i].out);
			fail_msg("%s", msg);
		}
	}
}

static void
test_reference_v4(void **state)
{
	struct cryptopan *cp;

	(void)state;
	assert_non_null(cp = cryptopan_new(ref_key));
	check_vectors(cp, v4_vectors, sizeof(v4_vectors) / sizeof(v4_vectors[0]));
	/* twice: the reused context carries no state between calls */
	check_vectors(cp, v4_vectors, sizeof(v4_vectors) / sizeof(v4_vectors[0]));
	cryptopan_free(cp);
}

static void
test_reference_v6(void **state)
{
	struct cryptopan *cp;

	(void)state;
	assert_non_null(cp = cryptopan_new(ref_key));
	check_vectors(cp, v6_vectors, sizeof(v6_vectors) / sizeof(v6_vectors[0]));
	cryptopan_free(cp);
}

static unsigned
common_bits(const uint8_t *a, const uint8_t *b, unsigned nbytes)
{
	unsigned i, n = 0;
	uint8_t x;

	for (i = 0; i < nbytes; i++) {
		x = a[i] ^ b[i];
		if (x == 0) {
			n += 8;
			continue;
		}
		while ((x & 0x80) == 0) {
			n++;
			x = (uint8_t)(x << 1);
		}
		break;
	}
	return n;
}

/* Small deterministic generator (xorshift64*) so failures reproduce. */
static uint64_t rng_state = 0x9e3779b97f4a7c15ULL;

static uint64_t
rng_next(void)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545f4914f6cdd1dULL;
}

static void
random_addr(struct mm_addr *a, int v4)
{
	uint64_t r;
	unsigned i;

	if (v4) {
		addr_from_v4(a, (uint32_t)rng_next());
		return;
	}
	for (i = 0; i < 16; i += 8) {
		r = rng_next();
		memcpy(a->b + i, &r, 8);
	}
	a->b[0] |= 0x20;	/* keep clear of ::ffff:0:0/96 and :: */
}

/* Makes `b` share exactly `k` leading bits (of `nbits`) with `a`: bits
 * 0..k-1 copied from a, bit k the complement of a's, the rest kept. */
static void
share_prefix(const struct mm_addr *a, struct mm_addr *b, unsigned off,
    unsigned nbits, unsigned k)
{
	const uint8_t *s = a->b + off;
	uint8_t *p = b->b + off, m;
	unsigned i;

	for (i = 0; i <= k && i < nbits; i++) {
		m = (uint8_t)(0x80 >> (i & 7));
		p[i >> 3] = (uint8_t)(p[i >> 3] & ~m);
		if (i < k)
			p[i >> 3] |= (uint8_t)(s[i >> 3] & m);
		else
			p[i >> 3] |= (uint8_t)((s[i >> 3] & m) ^ m);
	}
}

static void
prefix_property(int v4)
{
	struct cryptopan *cp;
	struct mm_addr a, b, aa, ba, back;
	unsigned off = v4 ? 12 : 0, nbits = v4 ? 32 : 128, nbytes = nbits / 8;
	unsigned k, want, got;
	int i;

	assert_non_null(cp = cryptopan_new(ref_key));
	for (i = 0; i < 2000; i++) {
		random_addr(&a, v4);
		random_addr(&b, v4);
		if (i & 1) {	/* force a chosen common prefix length */
			k = (unsigned)(rng_next() % nbits);
			share_prefix(&a, &b, off, nbits, k);
			if (!v4 && k == 0)
				b.b[0] |= 0x20;
		}
		if (memcmp(&a, &b, sizeof(a)) == 0)
			continue;
		want = common_bits(a.b + off, b.b + off, nbytes);
		assert_int_equal(cryptopan_anon(cp, &a, &aa), 1);
		assert_int_equal(cryptopan_anon(cp, &b, &ba), 1);
		got = common_bits(aa.b + off, ba.b + off, nbytes);
		assert_int_equal(got, want);
		assert_int_equal(addr_is_v4(&aa), v4);
		/* deterministic */
		assert_int_equal(cryptopan_anon(cp, &a, &back), 1);
		assert_memory_equal(&back, &aa, sizeof(back));
	}
	cryptopan_free(cp);
}

static void
test_prefix_v4(void **state)
{
	(void)state;
	prefix_property(1);
}

static void
test_prefix_v6(void **state)
{
	(void)state;
	prefix_property(0);
}

/* Bijection on a small space: all of 10.0.0.0/20 maps to 4096 distinct
 * addresses that share one /20 (the anonymised image of 10.0.0.0/20). */
static void
test_bijection(void **state)
{
	struct cryptopan *cp;
	struct mm_addr a, o, first;
	static uint8_t seen[4096];
	uint32_t i, v, base = 0;

	(void)state;
	memset(seen, 0, sizeof(seen));
	assert_non_null(cp = cryptopan_new(ref_key));
	for (i = 0; i < 4096; i++) {
		addr_from_v4(&a, 0x0a000000u + i);
		assert_int_equal(cryptopan_anon(cp, &a, &o), 1);
		v = addr_v4(&o);
		if (i == 0) {
			first = o;
			base = v & 0xfffff000u;
		}
		assert_int_equal(v & 0xfffff000u, base);
		assert_int_equal(seen[v & 0xfff], 0);
		seen[v & 0xfff] = 1;
	}
	(void)first;
	cryptopan_free(cp);
}

static void
test_ranges(void **state)
{
	struct cryptopan *cp;
	struct mm_prefix p;
	struct mm_addr a, o, z;
	struct flow f;

	(void)state;
	assert_non_null(cp = cryptopan_new(ref_key));
	assert_int_equal(cryptopan_range_count(cp), 0);
	assert_int_equal(prefix_parse("128.11.0.0/16", &p), 0);
	assert_int_equal(cryptopan_add_range(cp, &p), 0);
	assert_int_equal(prefix_parse("2001:db8::/32", &p), 0);
	assert_int_equal(cryptopan_add_range(cp, &p), 0);
	assert_int_equal(cryptopan_range_count(cp), 2);

	/* inside: reference output */
	assert_int_equal(addr_parse("128.11.68.132", &a), 0);
	assert_int_equal(cryptopan_anon(cp, &a, &o), 1);
	assert_int_equal(addr_parse("135.242.180.132", &z), 0);
	assert_memory_equal(&o, &z, sizeof(o));
	assert_int_equal(addr_parse("2001:db8::1", &a), 0);
	assert_int_equal(cryptopan_anon(cp, &a, &a), 1);	/* aliasing */
	assert_int_equal(addr_parse("4401:2bc:603f:d91d:27f:ff8e:e6f1:dc1e",
	    &z), 0);
	assert_memory_equal(&a, &z, sizeof(a));

	/* outside: unchanged */
	assert_int_equal(addr_parse("129.118.74.4", &a), 0);
	assert_int_equal(cryptopan_anon(cp, &a, &o), 0);
	assert_memory_equal(&o, &a, sizeof(o));
	assert_int_equal(cryptopan_selects(cp, &a), 0);

	/* zero address never anonymised */
	memset(&z, 0, sizeof(z));
	assert_int_equal(cryptopan_anon(cp, &z, &o), 0);
	assert_true(addr_is_zero(&o));

	/* flows: src/dst only */
	memset(&f, 0, sizeof(f));
	assert_int_equal(addr_parse("128.11.68.132", &f.src), 0);
	assert_int_equal(addr_parse("8.8.8.8", &f.dst), 0);
	assert_int_equal(addr_parse("128.11.1.1", &f.exporter), 0);
	assert_int_equal(cryptopan_anon_flow(cp, &f), 1);
	assert_int_equal(addr_parse("135.242.180.132", &z), 0);
	assert_memory_equal(&f.src, &z, sizeof(z));
	assert_int_equal(addr_parse("128.11.1.1", &z), 0);
	assert_memory_equal(&f.exporter, &z, sizeof(z));
	cryptopan_free(cp);
	cryptopan_free(NULL);
}

static void
write_file(const char *path, const void *p, size_t n)
{
	FILE *fp;

	assert_non_null(fp = fopen(path, "wb"));
	assert_int_equal(fwrite(p, 1, n, fp), n);
	assert_int_equal(fclose(fp), 0);
}

static void
test_key_file(void **state)
{
	char path[] = "/tmp/mamori-cpan-XXXXXX";
	char hex[80];
	struct cryptopan *cp;
	struct mm_diag d;
	struct mm_addr a, o, want;
	size_t i;
	int fd;

	(void)state;
	assert_true((fd = mkstemp(path)) >= 0);
	close(fd);
	assert_int_equal(addr_parse("128.11.68.132", &a), 0);
	assert_int_equal(addr_parse("135.242.180.132", &want), 0);

	/* raw */
	write_file(path, ref_key, sizeof(ref_key));
	assert_int_equal(cryptopan_new_from_file(path, &cp, &d), 0);
	assert_int_equal(cryptopan_anon(cp, &a, &o), 1);
	assert_memory_equal(&o, &want, sizeof(o));
	cryptopan_free(cp);

	/* hex, mixed case, trailing newline */
	for (i = 0; i < sizeof(ref_key); i++)
		snprintf(hex + 2 * i, 3, i & 1 ? "%02X" : "%02x", ref_key[i]);
	strcat(hex, "\n");
	write_file(path, hex, strlen(hex));
	assert_int_equal(cryptopan_new_from_file(path, &cp, &d), 0);
	assert_int_equal(cryptopan_anon(cp, &a, &o), 1);
	assert_memory_equal(&o, &want, sizeof(o));
	cryptopan_free(cp);

	/* bad: short, non-hex, missing */
	write_file(path, "abcd\n", 5);
	assert_int_equal(cryptopan_new_from_file(path, &cp, &d), MM_EFORMAT);
	assert_null(cp);
	assert_non_null(strstr(d.msg, path));
	hex[10] = 'g';
	write_file(path, hex, strlen(hex));
	assert_int_equal(cryptopan_new_from_file(path, &cp, &d), MM_EFORMAT);
	assert_non_null(strstr(d.msg, "hex"));
	unlink(path);
	assert_int_equal(cryptopan_new_from_file(path, &cp, &d), MM_EIO);
	assert_int_equal(cryptopan_new_from_file(path, &cp, NULL), MM_EIO);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_reference_v4),
		cmocka_unit_test(test_reference_v6),
		cmocka_unit_test(test_prefix_v4),
		cmocka_unit_test(test_prefix_v6),
		cmocka_unit_test(test_bijection),
		cmocka_unit_test(test_ranges),
		cmocka_unit_test(test_key_file),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
