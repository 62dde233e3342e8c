/*
 * cryptopan.h - Crypto-PAn prefix-preserving IP address anonymisation.
 *
 * Xu, Fan, Ammar, Moon, "Prefix-Preserving IP Address Anonymization" (2002):
 * bit i of the output is bit i of the input XOR the first bit of
 * AES_K(first i input bits || pad bits i..127), where K and the pad come from
 * a 32-byte secret. Two addresses sharing exactly a k-bit prefix map to two
 * addresses sharing exactly a k-bit prefix, so subnets stay subnets and
 * aggregate analysis still works on anonymised data. The mapping is a
 * bijection on each address space and deterministic for a given key: the
 * same key gives the same output across runs, machines and tools (the
 * output is bit-identical to the original Crypto-PAn implementation for
 * IPv4; IPv6 extends the same construction to 128 bits).
 *
 * Families: an IPv4-mapped address (::ffff:a.b.c.d, how mamori holds IPv4)
 * is anonymised in the 32-bit space and stays IPv4-mapped; anything else in
 * the 128-bit space. The all-zero address ("not exported") is kept as is.
 *
 * Ranges: when one or more ranges are configured, only addresses inside one
 * of them are anonymised (a carrier anonymises its subscribers' prefixes and
 * leaves the rest of the Internet readable); with no range, every address is.
 *
 * Cost: 32 AES-128 block encryptions per IPv4 address, 128 per IPv6 address,
 * issued as one ECB call over independent blocks (512 or 2048 bytes) so
 * AES-NI pipelines them; plus one LPM lookup (O(128)) when ranges are set.
 * No cache. Memory: one EVP context, reused.
 *
 * Thread safety: a struct cryptopan holds one cipher context and is NOT safe
 * for concurrent cryptopan_anon() calls; give each thread its own (create it
 * from the same key file) or serialise the calls.
 */
#ifndef MAMORI_COLLECT_CRYPTOPAN_H
#define MAMORI_COLLECT_CRYPTOPAN_H

#include <stddef.h>
#include <stdint.h>

#include "core/addr.h"
#include "core/err.h"
#include "flow/flow.h"

#define CRYPTOPAN_KEYLEN	32	/* 16 AES-128 key + 16 pad secret */

struct cryptopan;

/* Builds an anonymiser from 32 secret bytes (key[0..15] the AES-128 key,
 * key[16..31] encrypted once to form the pad). Returns NULL on allocation or
 * libcrypto failure. The caller keeps `key`; it is not retained. */
struct cryptopan	*cryptopan_new(const uint8_t key[CRYPTOPAN_KEYLEN]);

/* Reads a key file: exactly 32 raw bytes, or 64 hex digits (upper or lower
 * case) optionally followed by white space. On success stores a new
 * anonymiser in *cp and returns 0; otherwise returns MM_EIO (cannot read),
 * MM_EFORMAT (wrong size or not hex) or MM_ENOMEM, with `diag` (may be NULL)
 * naming the file. The key material read is wiped from the stack. */
int	cryptopan_new_from_file(const char *path, struct cryptopan **cp,
	    struct mm_diag *diag);

/* Frees `cp` and wipes its key schedule; NULL-safe. */
void	cryptopan_free(struct cryptopan *cp);

/* Restricts anonymisation to addresses inside `p` (may be called many
 * times; prefixes of both families may be mixed; lengths in the v6 space as
 * struct mm_prefix has them). Returns 0 or MM_ENOMEM / MM_EINVAL. */
int	cryptopan_add_range(struct cryptopan *cp, const struct mm_prefix *p);

/* Number of ranges configured (0: every address is anonymised). */
size_t	cryptopan_range_count(const struct cryptopan *cp);

/* 1 if `a` would be anonymised (inside a range, or no range set, and not
 * the zero address), else 0. */
int	cryptopan_selects(const struct cryptopan *cp, const struct mm_addr *a);

/* Anonymises `in` into `out` (which may alias `in`). Addresses that are not
 * selected are copied unchanged. Returns 1 when the address was anonymised,
 * 0 when copied unchanged, MM_EIO if libcrypto failed (out then is a copy
 * of in, never a partly anonymised address). */
int	cryptopan_anon(struct cryptopan *cp, const struct mm_addr *in,
	    struct mm_addr *out);

/* Anonymises the src and dst addresses of `f` in place (nexthop and
 * exporter are the carrier's own infrastructure and are kept). Returns the
 * number of addresses changed (0..2) or MM_EIO. */
int	cryptopan_anon_flow(struct cryptopan *cp, struct flow *f);

#endif
