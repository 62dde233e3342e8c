/*
 * devices_tls.c - TLS server contexts for the lab's emulated HTTPS VPN
 * portals: one self-signed certificate per template, made at start with
 * OpenSSL 3 (an EC P-256 key, subject O=vendor, CN=product, valid one
 * year from now), so a survey can read vendor and product off the
 * certificate as it would on a real portal. Cost: one key generation per
 * distinct template in the plan (a few ms each).
 */
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "lab/devices.h"

struct ssl_ctx_st *
devtls_ctx_new(const char *vendor, const char *product, struct mm_diag *diag)
{
	SSL_CTX *ctx = NULL;
	EVP_PKEY *key = NULL;
	X509 *x = NULL;
	X509_NAME *n;

	if ((key = EVP_EC_gen("P-256")) == NULL ||
	    (x = X509_new()) == NULL)
		goto fail;
	if (X509_set_version(x, 2) != 1 ||
	    ASN1_INTEGER_set(X509_get_serialNumber(x), 1) != 1 ||
	    X509_gmtime_adj(X509_getm_notBefore(x), 0) == NULL ||
	    X509_gmtime_adj(X509_getm_notAfter(x), 365L * 86400) == NULL ||
	    X509_set_pubkey(x, key) != 1)
		goto fail;
	n = X509_get_subject_name(x);
	if (X509_NAME_add_entry_by_txt(n, "O", MBSTRING_UTF8,
	    (const unsigned char *)vendor, -1, -1, 0) != 1 ||
	    X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_UTF8,
	    (const unsigned char *)product, -1, -1, 0) != 1 ||
	    X509_set_issuer_name(x, n) != 1 ||
	    X509_sign(x, key, EVP_sha256()) == 0)
		goto fail;
	if ((ctx = SSL_CTX_new(TLS_server_method())) == NULL ||
	    SSL_CTX_use_certificate(ctx, x) != 1 ||
	    SSL_CTX_use_PrivateKey(ctx, key) != 1)
		goto fail;
	SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE |
	    SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
	X509_free(x);
	EVP_PKEY_free(key);
	return ctx;
fail:
	mm_diag_set(diag, MM_EIO, "devices: cannot make a TLS certificate "
	    "for %s %s", vendor, product);
	SSL_CTX_free(ctx);
	X509_free(x);
	EVP_PKEY_free(key);
	return NULL;
}

void
devtls_ctx_free(struct ssl_ctx_st *ctx)
{
	SSL_CTX_free(ctx);
}
