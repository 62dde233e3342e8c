/*
 * cryptopan.c - Crypto-PAn over OpenSSL 3 EVP AES-128-ECB.
 *
 * For an n-bit address (n = 32 or 128) we build n independent 16-byte
 * blocks: block i is the pad with its first i bits replaced by the first i
 * bits of the address (the address occupies the leading bits of the block,
 * big-endian). All n blocks are encrypted in one EVP_EncryptUpdate() call;
 * the most significant bit of ciphertext block i is the one-time-pad bit i,
 * and the output is address XOR that pad. Because block i depends only on
 * the address's first i bits, two addresses with a common k-bit prefix get
 * the same pad bits 0..k-1 and hence keep the common prefix, while bit k
 * (where they differ) is flipped identically in both, so they still differ
 * there: the common prefix length is preserved exactly.
 *
 * Cost per address: n block encryptions (512 or 2048 bytes of ECB), n block
 * builds (one 16-byte copy and a masked merge each), one LPM lookup when
 * ranges are configured. The pad is computed once in cryptopan_new().
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "collect/cryptopan.h"
#include "core/lpm.h"

struct cryptopan {
	EVP_CIPHER_CTX	*ctx;		/* AES-128-ECB, no padding, reused */
	uint8_t		 pad[16];	/* AES_K(secret[16..31]) */
	struct lpm	*ranges;	/* NULL until a range is added */
	size_t		 nranges;
	uint8_t		 blocks[128 * 16];	/* scratch: the n input blocks */
	uint8_t		 cipher[128 * 16 + 16];	/* scratch: their encryption */
};

/* Marker value stored in the range table (lpm values must be non-NULL).
 * Only its address is used; it is never written, so threads share it. */
static int cryptopan_range_mark;

struct cryptopan *
cryptopan_new(const uint8_t key[CRYPTOPAN_KEYLEN])
{
	struct cryptopan *cp;
	int outl = 0;

	if (key == NULL)
		return NULL;
	if ((cp = calloc(1, sizeof(*cp))) == NULL)
		return NULL;
	if ((cp->ctx = EVP_CIPHER_CTX_new()) == NULL)
		goto fail;
	if (EVP_EncryptInit_ex(cp->ctx, EVP_aes_128_ecb(), NULL, key,
	    NULL) != 1)
		goto fail;
	if (EVP_CIPHER_CTX_set_padding(cp->ctx, 0) != 1)
		goto fail;
	if (EVP_EncryptUpdate(cp->ctx, cp->pad, &outl, key + 16, 16) != 1 ||
	    outl != 16)
		goto fail;
	return cp;
 fail:
	cryptopan_free(cp);
	return NULL;
}

void
cryptopan_free(struct cryptopan *cp)
{
	if (cp == NULL)
		return;
	EVP_CIPHER_CTX_free(cp->ctx);
	lpm_free(cp->ranges);
	OPENSSL_cleanse(cp, sizeof(*cp));
	free(cp);
}

static int
cryptopan_hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int
cryptopan_new_from_file(const char *path, struct cryptopan **cp,
    struct mm_diag *diag)
{
	/* Bounded read: anything longer than 64 hex + some white space is
	 * rejected without reading further. */
	uint8_t buf[160], key[CRYPTOPAN_KEYLEN];
	size_t n, i, end;
	FILE *fp = NULL;
	int hi, lo, rc;

	if (path == NULL || cp == NULL)
		return mm_diag_set(diag, MM_EINVAL, "cryptopan: no key file");
	*cp = NULL;
	if ((fp = fopen(path, "rb")) == NULL) {
		rc = mm_diag_set(diag, MM_EIO, "cryptopan: %s: %s", path,
		    strerror(errno));
		goto out;
	}
	n = fread(buf, 1, sizeof(buf), fp);
	if (ferror(fp)) {
		rc = mm_diag_set(diag, MM_EIO, "cryptopan: %s: read error",
		    path);
		goto out;
	}
	if (n == CRYPTOPAN_KEYLEN) {
		memcpy(key, buf, CRYPTOPAN_KEYLEN);
	} else {
		end = n;
		while (end > 0 && isspace(buf[end - 1]))
			end--;
		if (end != 2 * CRYPTOPAN_KEYLEN || n == sizeof(buf)) {
			rc = mm_diag_set(diag, MM_EFORMAT, "cryptopan: %s: key "
			    "must be 32 raw bytes or 64 hex digits (got %zu "
			    "bytes)", path, n);
			goto out;
		}
		for (i = 0; i < CRYPTOPAN_KEYLEN; i++) {
			hi = cryptopan_hexval(buf[2 * i]);
			lo = cryptopan_hexval(buf[2 * i + 1]);
			if (hi < 0 || lo < 0) {
				rc = mm_diag_set(diag, MM_EFORMAT, "cryptopan: "
				    "%s: not a hex digit at offset %zu", path,
				    hi < 0 ? 2 * i : 2 * i + 1);
				goto out;
			}
			key[i] = (uint8_t)(hi << 4 | lo);
		}
	}
	if ((*cp = cryptopan_new(key)) == NULL) {
		rc = mm_diag_set(diag, MM_ENOMEM, "cryptopan: %s: cannot set "
		    "up AES-128", path);
		goto out;
	}
	rc = 0;
 out:
	if (fp != NULL)
		fclose(fp);
	OPENSSL_cleanse(buf, sizeof(buf));
	OPENSSL_cleanse(key, sizeof(key));
	return rc;
}

int
cryptopan_add_range(struct cryptopan *cp, const struct mm_prefix *p)
{
	int rc;

	if (cp == NULL || p == NULL || p->len > 128)
		return MM_EINVAL;
	if (cp->ranges == NULL && (cp->ranges = lpm_new()) == NULL)
		return MM_ENOMEM;
	if ((rc = lpm_insert(cp->ranges, p, &cryptopan_range_mark)) < 0)
		return rc;
	cp->nranges = lpm_count(cp->ranges);
	return 0;
}

size_t
cryptopan_range_count(const struct cryptopan *cp)
{
	return cp != NULL ? cp->nranges : 0;
}

int
cryptopan_selects(const struct cryptopan *cp, const struct mm_addr *a)
{
	if (cp == NULL || a == NULL || addr_is_zero(a))
		return 0;
	if (cp->nranges == 0)
		return 1;
	return lpm_lookup(cp->ranges, a, NULL) != NULL;
}

/*
 * Anonymises `nbits` bits of `a` (nbits 32 or 128, big-endian bytes) in
 * place. Returns 0 or MM_EIO.
 */
static int
cryptopan_bits(struct cryptopan *cp, uint8_t *a, unsigned nbits)
{
	uint8_t otp[16];
	unsigned i, j, full, rem;
	int outl = 0, len = (int)(nbits * 16);
	uint8_t *blk;

	for (i = 0; i < nbits; i++) {
		blk = cp->blocks + (size_t)i * 16;
		memcpy(blk, cp->pad, 16);
		full = i >> 3;
		rem = i & 7;
		memcpy(blk, a, full);
		if (rem != 0) {
			uint8_t m = (uint8_t)(0xff << (8 - rem));
			blk[full] = (uint8_t)((a[full] & m) |
			    (cp->pad[full] & (uint8_t)~m));
		}
	}
	if (EVP_EncryptUpdate(cp->ctx, cp->cipher, &outl, cp->blocks,
	    len) != 1 || outl != len)
		return MM_EIO;
	memset(otp, 0, sizeof(otp));
	for (i = 0; i < nbits; i++)
		otp[i >> 3] |= (uint8_t)((cp->cipher[(size_t)i * 16] >> 7) <<
		    (7 - (i & 7)));
	for (j = 0; j < nbits / 8; j++)
		a[j] ^= otp[j];
	return 0;
}

int
cryptopan_anon(struct cryptopan *cp, const struct mm_addr *in,
    struct mm_addr *out)
{
	struct mm_addr tmp;
	int rc;

	if (in == NULL || out == NULL)
		return MM_EINVAL;
	tmp = *in;
	if (!cryptopan_selects(cp, &tmp)) {
		*out = tmp;
		return 0;
	}
	if (addr_is_v4(&tmp))
		rc = cryptopan_bits(cp, tmp.b + 12, 32);
	else
		rc = cryptopan_bits(cp, tmp.b, 128);
	if (rc < 0) {
		*out = *in;
		return rc;
	}
	*out = tmp;
	return 1;
}

int
cryptopan_anon_flow(struct cryptopan *cp, struct flow *f)
{
	int rc, n = 0;

	if (f == NULL)
		return MM_EINVAL;
	if ((rc = cryptopan_anon(cp, &f->src, &f->src)) < 0)
		return rc;
	n += rc;
	if ((rc = cryptopan_anon(cp, &f->dst, &f->dst)) < 0)
		return rc;
	return n + rc;
}
