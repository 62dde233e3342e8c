/*
 * tlsinfo.h - the facts the survey records about a server certificate:
 * subject and issuer (one-line RFC 4514 strings), validity as mtime_t,
 * serial, SHA-256 fingerprint, SAN DNS names (capped), public key type and
 * size, self-signed flag.
 *
 * Input is an OpenSSL X509 (from SSL_get0_peer_certificate) or DER bytes.
 * Every string is bounded by its buffer here and truncated (with a flag)
 * rather than refused; the struct is fixed size (about 6 KiB: keep one per
 * result, not per connection in flight).
 */
#ifndef MAMORI_SURVEY_TLSINFO_H
#define MAMORI_SURVEY_TLSINFO_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/x509.h>

#include "core/err.h"
#include "core/mtime.h"

#define TLSINFO_NAME_MAX	512	/* subject / issuer, with NUL */
#define TLSINFO_SAN_MAX		16	/* SAN DNS names kept */
#define TLSINFO_SAN_LEN		256	/* per name, with NUL */
#define TLSINFO_DER_MAX		(64 * 1024)

struct tlsinfo {
	char	 subject[TLSINFO_NAME_MAX];	/* "CN=x,O=y" (RFC 4514) */
	char	 issuer[TLSINFO_NAME_MAX];
	char	 subject_cn[256];		/* first CN, "" if none */
	mtime_t	 not_before;			/* ms since epoch, UTC */
	mtime_t	 not_after;
	char	 serial[2 * 32 + 1];		/* lowercase hex */
	uint8_t	 sha256[32];			/* of the DER encoding */
	char	 sha256_hex[65];
	char	 san_dns[TLSINFO_SAN_MAX][TLSINFO_SAN_LEN];
	size_t	 nsan;				/* kept */
	size_t	 nsan_total;			/* present in the cert */
	char	 key_type[16];			/* "RSA", "EC", "ED25519",
						   "DSA", "other" */
	int	 key_bits;
	char	 sig_alg[48];			/* "sha256WithRSAEncryption" */
	int	 self_signed;			/* issuer == subject and the
						   signature verifies with
						   its own key */
	int	 truncated;			/* a field did not fit */
};

/* Fills `ti` from `x`, which is not modified or freed. Returns 0,
 * MM_EINVAL (NULL) or MM_EFORMAT (unreadable validity, serial, key) with
 * `d` naming the field. */
int	tlsinfo_from_x509(X509 *x, struct tlsinfo *ti, struct mm_diag *d);

/* Same from DER bytes (at most TLSINFO_DER_MAX); trailing bytes after the
 * certificate are MM_EFORMAT. */
int	tlsinfo_from_der(const uint8_t *der, size_t len, struct tlsinfo *ti,
	    struct mm_diag *d);

#endif
