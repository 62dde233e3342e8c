/*
 * test_tlsinfo.c - certificate facts from certificates made here with the
 * OpenSSL API (RSA and EC keys, self-signed and CA-signed, many SANs), plus
 * DER round trip and hostile DER. No network.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include <openssl/evp.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "core/err.h"
#include "core/mtime.h"
#include "survey/tlsinfo.h"

/* 2024-05-01T00:00:00Z and 2034-05-01T00:00:00Z */
#define T_NB	((time_t)1714521600)
#define T_NA	((time_t)2029881600)

static X509 *
make_cert(EVP_PKEY *key, EVP_PKEY *signer, X509_NAME *issuer, const char *cn,
    long serial, int nsan)
{
	X509 *x = X509_new();
	X509_NAME *nm;
	X509_EXTENSION *ext;
	char san[4096];
	size_t o = 0;
	int i;

	assert_non_null(x);
	X509_set_version(x, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(x), serial);
	assert_non_null(ASN1_TIME_set(X509_getm_notBefore(x), T_NB));
	assert_non_null(ASN1_TIME_set(X509_getm_notAfter(x), T_NA));
	X509_set_pubkey(x, key);
	nm = X509_get_subject_name(x);
	X509_NAME_add_entry_by_txt(nm, "C", MBSTRING_ASC,
	    (const unsigned char *)"JP", -1, -1, 0);
	X509_NAME_add_entry_by_txt(nm, "O", MBSTRING_ASC,
	    (const unsigned char *)"Example, Inc.", -1, -1, 0);
	X509_NAME_add_entry_by_txt(nm, "CN", MBSTRING_ASC,
	    (const unsigned char *)cn, -1, -1, 0);
	X509_set_issuer_name(x, issuer ? issuer : nm);
	if (nsan > 0) {
		for (i = 0; i < nsan; i++)
			o += (size_t)snprintf(san + o, sizeof(san) - o,
			    "%sDNS:h%d.example.net", i ? "," : "", i);
		o += (size_t)snprintf(san + o, sizeof(san) - o,
		    ",IP:127.0.0.1");
		ext = X509V3_EXT_conf_nid(NULL, NULL, NID_subject_alt_name,
		    san);
		assert_non_null(ext);
		X509_add_ext(x, ext, -1);
		X509_EXTENSION_free(ext);
	}
	assert_true(X509_sign(x, signer, EVP_sha256()) > 0);
	return x;
}

static void
test_self_signed_rsa(void **state)
{
	EVP_PKEY *k = EVP_RSA_gen(2048);
	struct tlsinfo ti;
	unsigned char *der = NULL;
	struct tlsinfo ti2;
	X509 *x;
	int n;

	(void)state;
	assert_non_null(k);
	x = make_cert(k, k, NULL, "vpn.example.jp", 0x1234abcd, 3);
	assert_int_equal(tlsinfo_from_x509(x, &ti, NULL), 0);
	assert_string_equal(ti.subject, "CN=vpn.example.jp,O=Example\\, Inc.,"
	    "C=JP");
	assert_string_equal(ti.issuer, ti.subject);
	assert_string_equal(ti.subject_cn, "vpn.example.jp");
	assert_int_equal(ti.not_before, (int64_t)T_NB * 1000);
	assert_int_equal(ti.not_after, (int64_t)T_NA * 1000);
	assert_string_equal(ti.serial, "1234abcd");
	assert_string_equal(ti.key_type, "RSA");
	assert_int_equal(ti.key_bits, 2048);
	assert_string_equal(ti.sig_alg, "sha256WithRSAEncryption");
	assert_true(ti.self_signed);
	assert_int_equal(ti.nsan, 3);
	assert_int_equal(ti.nsan_total, 3);
	assert_string_equal(ti.san_dns[2], "h2.example.net");
	assert_false(ti.truncated);
	assert_int_equal(strlen(ti.sha256_hex), 64);
	/* DER gives the same facts */
	n = i2d_X509(x, &der);
	assert_true(n > 0);
	assert_int_equal(tlsinfo_from_der(der, (size_t)n, &ti2, NULL), 0);
	assert_memory_equal(ti.sha256, ti2.sha256, 32);
	assert_string_equal(ti2.subject, ti.subject);
	OPENSSL_free(der);
	X509_free(x);
	EVP_PKEY_free(k);
}

static void
test_ca_signed_ec_many_sans(void **state)
{
	EVP_PKEY *ca = EVP_EC_gen("P-256"), *leaf = EVP_EC_gen("P-384");
	struct tlsinfo ti;
	X509 *cax, *x;

	(void)state;
	assert_non_null(ca);
	assert_non_null(leaf);
	cax = make_cert(ca, ca, NULL, "Test CA", 1, 0);
	x = make_cert(leaf, ca, X509_get_subject_name(cax), "leaf", 2, 40);
	assert_int_equal(tlsinfo_from_x509(x, &ti, NULL), 0);
	assert_false(ti.self_signed);
	assert_string_equal(ti.issuer, "CN=Test CA,O=Example\\, Inc.,C=JP");
	assert_string_equal(ti.key_type, "EC");
	assert_int_equal(ti.key_bits, 384);
	assert_string_equal(ti.sig_alg, "ecdsa-with-SHA256");
	assert_int_equal(ti.nsan, TLSINFO_SAN_MAX);
	assert_int_equal(ti.nsan_total, 40);
	assert_true(ti.truncated);
	/* the CA itself is self-signed */
	assert_int_equal(tlsinfo_from_x509(cax, &ti, NULL), 0);
	assert_true(ti.self_signed);
	assert_string_equal(ti.serial, "01");
	X509_free(x);
	X509_free(cax);
	EVP_PKEY_free(ca);
	EVP_PKEY_free(leaf);
}

static void
test_hostile_der(void **state)
{
	EVP_PKEY *k = EVP_EC_gen("P-256");
	unsigned char *der = NULL, buf[4096];
	struct tlsinfo ti;
	struct mm_diag d;
	X509 *x;
	int n, i;

	(void)state;
	assert_int_equal(tlsinfo_from_der((const uint8_t *)"\x30\x03\x02\x01",
	    4, &ti, &d), MM_EFORMAT);
	assert_int_equal(tlsinfo_from_der(buf, 0, &ti, &d), MM_ELIMIT);
	assert_int_equal(tlsinfo_from_x509(NULL, &ti, &d), MM_EINVAL);
	x = make_cert(k, k, NULL, "t", 7, 1);
	n = i2d_X509(x, &der);
	assert_true(n > 0 && n + 4 < (int)sizeof(buf));
	memcpy(buf, der, (size_t)n);
	memset(buf + n, 0, 4);
	assert_int_equal(tlsinfo_from_der(buf, (size_t)n + 4, &ti, &d),
	    MM_EFORMAT);
	assert_non_null(strstr(d.msg, "trailing"));
	/* every truncation fails cleanly */
	for (i = 0; i < n; i++)
		assert_int_not_equal(tlsinfo_from_der(buf, (size_t)i, &ti,
		    NULL), 0);
	/* byte flips: never crash (result may be either) */
	for (i = 0; i < n; i++) {
		buf[i] ^= 0x5a;
		(void)tlsinfo_from_der(buf, (size_t)n, &ti, NULL);
		buf[i] ^= 0x5a;
	}
	OPENSSL_free(der);
	X509_free(x);
	EVP_PKEY_free(k);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_self_signed_rsa),
		cmocka_unit_test(test_ca_signed_ec_many_sans),
		cmocka_unit_test(test_hostile_der),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
