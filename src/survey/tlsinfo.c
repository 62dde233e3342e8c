/*
 * tlsinfo.c - certificate facts for the survey through the OpenSSL 3 API.
 *
 * Approach: no hand parsing of ASN.1; OpenSSL decodes (d2i_X509 on a
 * length-checked buffer), and each field is printed into a memory BIO and
 * copied out bounded. Names use RFC 2253/4514 flags without escaping
 * multibyte UTF-8. Times go through ASN1_TIME_to_tm and the civil-date
 * conversion of core/mtime.h. Cost: O(size of certificate); the only
 * allocations are OpenSSL's own, freed before return.
 */
#include <string.h>

#include <openssl/asn1.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/x509v3.h>

#include "core/err.h"
#include "core/mtime.h"
#include "survey/tlsinfo.h"

static int
copy_bio(BIO *b, char *dst, size_t cap)
{
	char *p = NULL;
	long n = BIO_get_mem_data(b, &p);
	int trunc = 0;

	if (n < 0 || p == NULL)
		n = 0;
	if ((size_t)n >= cap) {
		n = (long)cap - 1;
		trunc = 1;
	}
	if (n > 0)
		memcpy(dst, p, (size_t)n);
	dst[n] = '\0';
	return trunc;
}

static int
name_str(const X509_NAME *nm, char *dst, size_t cap)
{
	BIO *b;
	int trunc;

	dst[0] = '\0';
	if (nm == NULL || (b = BIO_new(BIO_s_mem())) == NULL)
		return 0;
	(void)X509_NAME_print_ex(b, nm, 0, XN_FLAG_RFC2253 &
	    ~ASN1_STRFLGS_ESC_MSB);
	trunc = copy_bio(b, dst, cap);
	BIO_free(b);
	return trunc;
}

static int
time_ms(const ASN1_TIME *t, mtime_t *ms)
{
	struct tm tm;

	if (t == NULL || ASN1_TIME_to_tm(t, &tm) != 1)
		return -1;
	*ms = (mtime_days_from_civil((int64_t)tm.tm_year + 1900,
	    (unsigned)tm.tm_mon + 1, (unsigned)tm.tm_mday) * 86400 +
	    (int64_t)tm.tm_hour * 3600 + tm.tm_min * 60 + tm.tm_sec) * 1000;
	return 0;
}

static void
hex(const uint8_t *p, size_t n, char *out)
{
	static const char hx[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < n; i++) {
		out[2 * i] = hx[p[i] >> 4];
		out[2 * i + 1] = hx[p[i] & 15];
	}
	out[2 * n] = '\0';
}

static void
copy_str(char *dst, size_t cap, const char *src, size_t len, int *trunc)
{
	if (len >= cap) {
		len = cap - 1;
		*trunc = 1;
	}
	memcpy(dst, src, len);
	dst[len] = '\0';
}

int
tlsinfo_from_x509(X509 *x, struct tlsinfo *ti, struct mm_diag *d)
{
	GENERAL_NAMES *gens = NULL;
	const ASN1_INTEGER *sn;
	const X509_ALGOR *alg = NULL;
	X509_NAME *subj;
	EVP_PKEY *pk;
	BIGNUM *bn = NULL;
	unsigned char md[EVP_MAX_MD_SIZE], snb[64];
	unsigned int mdl = 0;
	int i, n, idx, rc = 0, bnl;

	if (x == NULL || ti == NULL)
		return mm_diag_set(d, MM_EINVAL, "tls: NULL certificate");
	memset(ti, 0, sizeof(*ti));
	subj = X509_get_subject_name(x);
	ti->truncated |= name_str(subj, ti->subject, sizeof(ti->subject));
	ti->truncated |= name_str(X509_get_issuer_name(x), ti->issuer,
	    sizeof(ti->issuer));
	idx = subj ? X509_NAME_get_index_by_NID(subj, NID_commonName, -1) : -1;
	if (idx >= 0) {
		const ASN1_STRING *s = X509_NAME_ENTRY_get_data(
		    X509_NAME_get_entry(subj, idx));
		unsigned char *u = NULL;
		int ul = s ? ASN1_STRING_to_UTF8(&u, s) : -1;
		if (ul >= 0 && u != NULL)
			copy_str(ti->subject_cn, sizeof(ti->subject_cn),
			    (const char *)u, (size_t)ul, &ti->truncated);
		OPENSSL_free(u);
	}
	if (time_ms(X509_get0_notBefore(x), &ti->not_before) != 0) {
		rc = mm_diag_set(d, MM_EFORMAT, "tls: RFC 5280 4.1.2.5: "
		    "unreadable notBefore");
		goto out;
	}
	if (time_ms(X509_get0_notAfter(x), &ti->not_after) != 0) {
		rc = mm_diag_set(d, MM_EFORMAT, "tls: RFC 5280 4.1.2.5: "
		    "unreadable notAfter");
		goto out;
	}
	sn = X509_get0_serialNumber(x);
	if (sn == NULL || (bn = ASN1_INTEGER_to_BN(sn, NULL)) == NULL) {
		rc = mm_diag_set(d, MM_EFORMAT, "tls: RFC 5280 4.1.2.2: "
		    "unreadable serialNumber");
		goto out;
	}
	bnl = BN_num_bytes(bn);
	if (bnl > (int)sizeof(snb)) {
		rc = mm_diag_set(d, MM_EFORMAT, "tls: RFC 5280 4.1.2.2: "
		    "serialNumber longer than 20 octets");
		goto out;
	}
	n = BN_bn2bin(bn, snb);
	if (n > 32) {
		n = 32;
		ti->truncated = 1;
	}
	hex(snb, (size_t)n, ti->serial);
	if (n == 0)
		memcpy(ti->serial, "00", 3);
	if (X509_digest(x, EVP_sha256(), md, &mdl) != 1 || mdl != 32) {
		rc = mm_diag_set(d, MM_EFORMAT, "tls: cannot hash certificate");
		goto out;
	}
	memcpy(ti->sha256, md, 32);
	hex(md, 32, ti->sha256_hex);
	gens = X509_get_ext_d2i(x, NID_subject_alt_name, NULL, NULL);
	for (i = 0; gens != NULL && i < sk_GENERAL_NAME_num(gens); i++) {
		const GENERAL_NAME *g = sk_GENERAL_NAME_value(gens, i);
		const ASN1_IA5STRING *s;
		if (g == NULL || g->type != GEN_DNS)
			continue;
		ti->nsan_total++;
		if (ti->nsan >= TLSINFO_SAN_MAX)
			continue;
		s = g->d.dNSName;
		/* a name with an embedded NUL is counted, never kept */
		if (s == NULL || ASN1_STRING_length(s) < 0 ||
		    memchr(ASN1_STRING_get0_data(s), 0,
		    (size_t)ASN1_STRING_length(s)) != NULL) {
			ti->truncated = 1;
			continue;
		}
		copy_str(ti->san_dns[ti->nsan], TLSINFO_SAN_LEN,
		    (const char *)ASN1_STRING_get0_data(s),
		    (size_t)ASN1_STRING_length(s), &ti->truncated);
		ti->nsan++;
	}
	if (ti->nsan_total > ti->nsan)
		ti->truncated = 1;
	if ((pk = X509_get0_pubkey(x)) != NULL) {
		switch (EVP_PKEY_get_base_id(pk)) {
		case EVP_PKEY_RSA:
			strcpy(ti->key_type, "RSA");
			break;
		case EVP_PKEY_EC:
			strcpy(ti->key_type, "EC");
			break;
		case EVP_PKEY_ED25519:
			strcpy(ti->key_type, "ED25519");
			break;
		case EVP_PKEY_ED448:
			strcpy(ti->key_type, "ED448");
			break;
		case EVP_PKEY_DSA:
			strcpy(ti->key_type, "DSA");
			break;
		default:
			strcpy(ti->key_type, "other");
			break;
		}
		ti->key_bits = EVP_PKEY_get_bits(pk);
	} else
		strcpy(ti->key_type, "none");
	X509_get0_signature(NULL, &alg, x);
	if (alg != NULL) {
		const ASN1_OBJECT *obj = NULL;
		X509_ALGOR_get0(&obj, NULL, NULL, alg);
		if (obj != NULL)
			(void)OBJ_obj2txt(ti->sig_alg, sizeof(ti->sig_alg),
			    obj, 0);
	}
	ti->self_signed = X509_self_signed(x, 1) == 1;
 out:
	GENERAL_NAMES_free(gens);
	BN_free(bn);
	return rc;
}

int
tlsinfo_from_der(const uint8_t *der, size_t len, struct tlsinfo *ti,
    struct mm_diag *d)
{
	const unsigned char *p = der;
	X509 *x;
	int rc;

	if (der == NULL || ti == NULL)
		return mm_diag_set(d, MM_EINVAL, "tls: NULL DER");
	if (len == 0 || len > TLSINFO_DER_MAX)
		return mm_diag_set(d, MM_ELIMIT, "tls: DER certificate of %zu "
		    "bytes (cap %d)", len, TLSINFO_DER_MAX);
	if ((x = d2i_X509(NULL, &p, (long)len)) == NULL)
		return mm_diag_set(d, MM_EFORMAT, "tls: RFC 5280 4.1: DER does "
		    "not decode as a certificate");
	if ((size_t)(p - der) != len) {
		X509_free(x);
		return mm_diag_set(d, MM_EFORMAT, "tls: %zu trailing bytes "
		    "after the certificate", len - (size_t)(p - der));
	}
	rc = tlsinfo_from_x509(x, ti, d);
	X509_free(x);
	return rc;
}
