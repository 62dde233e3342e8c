/*
 * test_sshkex.c - the server KEXINIT reader (RFC 4253 7.1): a KEXINIT as
 * OpenSSH 9 sends it parses whole and every proper prefix asks for more
 * (with the total length once the length field is in); IGNORE/DEBUG
 * packets before it are skipped up to the cap; the libssh 0.10 trailing
 * comma is tolerated; hostile packets (short or huge packet_length, bad
 * padding, a name-list past the packet, a control byte in a list, another
 * message) are refused with the RFC section and field named; host key
 * algorithms map to key types once each, certificates included, and the
 * output is cut at a whole entry.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/err.h"
#include "survey/sshkex.h"

static const char kex0[] = "sntrup761x25519-sha512@openssh.com,"
    "curve25519-sha256,kex-strict-s-v00@openssh.com";

static const char *const lists[SSHKEX_NLISTS] = {
	kex0,
	"rsa-sha2-512,rsa-sha2-256,ecdsa-sha2-nistp256,ssh-ed25519",
	"chacha20-poly1305@openssh.com,aes128-ctr",
	"chacha20-poly1305@openssh.com,aes128-ctr",
	"umac-64-etm@openssh.com,hmac-sha2-256",
	"umac-64-etm@openssh.com,hmac-sha2-256",
	"none,zlib@openssh.com", "none,zlib@openssh.com", "", ""
};

static size_t
put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
	return 4;
}

/* A packet with `payload` (plen bytes) and 4..11 bytes of padding so the
 * whole is a multiple of 8, as RFC 4253 6 asks. Returns its length. */
static size_t
packet(uint8_t *out, const uint8_t *payload, size_t pl)
{
	size_t pad = 8 - ((4 + 1 + pl) % 8);

	if (pad < 4)
		pad += 8;
	put32(out, (uint32_t)(1 + pl + pad));
	out[4] = (uint8_t)pad;
	memcpy(out + 5, payload, pl);
	memset(out + 5 + pl, 0, pad);
	return 4 + 1 + pl + pad;
}

static size_t
kexinit(uint8_t *out, const char *const *l)
{
	uint8_t pay[4096];
	size_t o = 0, i;

	pay[o++] = 20;
	memset(pay + o, 0xab, 16);
	o += 16;
	for (i = 0; i < SSHKEX_NLISTS; i++) {
		size_t n = strlen(l[i]);

		o += put32(pay + o, (uint32_t)n);
		memcpy(pay + o, l[i], n);
		o += n;
	}
	pay[o++] = 0;
	o += put32(pay + o, 0);
	return packet(out, pay, o);
}

static void
test_whole_and_prefixes(void **state)
{
	uint8_t buf[8192];
	struct sshkex k;
	struct mm_diag d;
	size_t n, i, need;

	(void)state;
	n = kexinit(buf, lists);
	assert_int_equal(n % 8, 0);
	assert_int_equal(sshkex_parse(buf, n, &k, &need, &d), SSHKEX_DONE);
	assert_int_equal(k.used, n);
	assert_int_equal(need, n);
	for (i = 0; i < SSHKEX_NLISTS; i++) {
		assert_int_equal(k.len[i], strlen(lists[i]));
		assert_memory_equal(k.list[i], lists[i], k.len[i]);
	}
	assert_int_equal(k.first_follows, 0);
	for (i = 0; i < n; i++) {
		assert_int_equal(sshkex_parse(buf, i, &k, &need, &d),
		    SSHKEX_MORE);
		assert_int_equal(need, i >= 4 ? n : 0);
	}
	/* bytes after the KEXINIT (the next packet) do not matter */
	memset(buf + n, 0xee, 64);
	assert_int_equal(sshkex_parse(buf, n + 64, &k, NULL, NULL),
	    SSHKEX_DONE);
	assert_int_equal(k.used, n);
}

static void
test_skip_and_trailing_comma(void **state)
{
	uint8_t buf[8192], ign[] = { 2, 0, 0, 0, 3, 'a', 'b', 'c' };
	const char *l2[SSHKEX_NLISTS];
	struct sshkex k;
	struct mm_diag d;
	size_t n = 0, i;

	(void)state;
	for (i = 0; i < SSHKEX_MAX_SKIP; i++)
		n += packet(buf + n, ign, sizeof(ign));
	memcpy(l2, lists, sizeof(l2));
	l2[SSHKEX_ENC_SC] = "chacha20-poly1305@openssh.com,aes128-ctr,";
	n += kexinit(buf + n, l2);
	assert_int_equal(sshkex_parse(buf, n, &k, NULL, &d), SSHKEX_DONE);
	assert_int_equal(k.used, n);
	assert_int_equal(k.len[SSHKEX_ENC_SC], strlen(l2[SSHKEX_ENC_SC]));
	/* one IGNORE too many */
	n = 0;
	for (i = 0; i <= SSHKEX_MAX_SKIP; i++)
		n += packet(buf + n, ign, sizeof(ign));
	n += kexinit(buf + n, lists);
	assert_true(sshkex_parse(buf, n, &k, NULL, &d) < 0);
	assert_non_null(strstr(d.msg, "message 2"));
}

static void
test_hostile(void **state)
{
	uint8_t buf[8192], other[] = { 21, 0, 0, 0, 0 };
	const char *l2[SSHKEX_NLISTS];
	struct sshkex k;
	struct mm_diag d;
	size_t n, off;

	(void)state;
	/* packet_length too small and too large */
	put32(buf, 8);
	assert_int_equal(sshkex_parse(buf, 64, &k, NULL, &d), MM_EFORMAT);
	assert_non_null(strstr(d.msg, "RFC 4253 6: packet_length 8"));
	put32(buf, 0x7fffffff);
	assert_int_equal(sshkex_parse(buf, 64, &k, NULL, &d), MM_ELIMIT);
	/* padding: under 4, or eating the payload */
	n = kexinit(buf, lists);
	buf[4] = 3;
	assert_int_equal(sshkex_parse(buf, n, &k, NULL, &d), MM_EFORMAT);
	assert_non_null(strstr(d.msg, "padding_length 3"));
	buf[4] = 255;
	assert_int_equal(sshkex_parse(buf, n, &k, NULL, &d), MM_EFORMAT);
	/* another message */
	n = packet(buf, other, sizeof(other));
	assert_int_equal(sshkex_parse(buf, n, &k, NULL, &d), MM_EFORMAT);
	assert_non_null(strstr(d.msg, "message 21"));
	/* the host key list's length past the packet */
	n = kexinit(buf, lists);
	off = 4 + 1 + 1 + 16 + 4 + strlen(lists[0]);
	put32(buf + off, 5000);
	assert_int_equal(sshkex_parse(buf, n, &k, NULL, &d), MM_ELIMIT);
	assert_non_null(strstr(d.msg, "server_host_key_algorithms"));
	put32(buf + off, 1000);
	assert_int_equal(sshkex_parse(buf, n, &k, NULL, &d), MM_EFORMAT);
	assert_non_null(strstr(d.msg, "beyond the packet"));
	/* a control byte in a list */
	memcpy(l2, lists, sizeof(l2));
	l2[SSHKEX_MAC_SC] = "hmac-sha2-256\tx";
	n = kexinit(buf, l2);
	assert_int_equal(sshkex_parse(buf, n, &k, NULL, &d), MM_EFORMAT);
	assert_non_null(strstr(d.msg, "mac_algorithms_server_to_client"));
	/* a KEXINIT cut before its reserved field */
	{
		uint8_t pay[64];

		pay[0] = 20;
		memset(pay + 1, 0, 16);
		assert_int_equal(sshkex_parse(buf, packet(buf, pay, 17), &k,
		    NULL, &d), MM_EFORMAT);
		assert_non_null(strstr(d.msg, "kex_algorithms"));
	}
}

static void
test_key_types(void **state)
{
	char out[256], small[12];
	const char *l;

	(void)state;
	l = lists[SSHKEX_HOSTKEY];
	assert_string_equal(sshkex_key_types(l, strlen(l), out, sizeof(out)),
	    "rsa,ecdsa-p256,ed25519");
	l = "ssh-rsa,ssh-dss";
	assert_string_equal(sshkex_key_types(l, strlen(l), out, sizeof(out)),
	    "rsa,dsa");
	l = "ssh-ed25519-cert-v01@openssh.com,ssh-ed25519,"
	    "sk-ssh-ed25519@openssh.com,sk-ssh-ed25519-cert-v01@openssh.com,"
	    "ecdsa-sha2-nistp521,x509v3-sign-rsa,,";
	assert_string_equal(sshkex_key_types(l, strlen(l), out, sizeof(out)),
	    "cert-ed25519,ed25519,sk-ed25519,cert-sk-ed25519,ecdsa-p521,"
	    "x509v3-sign-rsa");
	/* "rsa" is not mistaken for a part of "cert-rsa" */
	l = "ssh-rsa-cert-v01@openssh.com,rsa-sha2-256";
	assert_string_equal(sshkex_key_types(l, strlen(l), out, sizeof(out)),
	    "cert-rsa,rsa");
	l = "ssh-ed25519,ecdsa-sha2-nistp256";
	assert_string_equal(sshkex_key_types(l, strlen(l), small,
	    sizeof(small)), "ed25519");
	assert_string_equal(sshkex_key_types("", 0, out, sizeof(out)), "");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_whole_and_prefixes),
		cmocka_unit_test(test_skip_and_trailing_comma),
		cmocka_unit_test(test_hostile),
		cmocka_unit_test(test_key_types),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
