/*
 * sshkex.h - the server's SSH_MSG_KEXINIT (RFC 4253 section 7.1): which
 * host key types, key exchange methods, ciphers and MACs an SSH server
 * offers, read without a key exchange.
 *
 * After the identification strings (sshbanner.h) both sides send a
 * KEXINIT in an unencrypted binary packet (RFC 4253 section 6):
 *   uint32 packet_length, byte padding_length, payload, padding
 * (no MAC before the first key exchange). The payload is byte 20, a
 * 16-byte cookie, ten name-lists (uint32 length + comma-separated ASCII):
 * kex_algorithms, server_host_key_algorithms, encryption c->s and s->c,
 * mac c->s and s->c, compression c->s and s->c, languages c->s and s->c;
 * then boolean first_kex_packet_follows and uint32 0. The server lists in
 * server_host_key_algorithms "the algorithms for which it has host keys"
 * (7.1), so the list tells the host key types without a key exchange.
 *
 * sshkex_parse() is given the bytes after the server's identification line
 * as they accumulate; it needs no state of its own (it re-reads from the
 * start, so each call costs O(bytes so far)). SSH_MSG_IGNORE and
 * SSH_MSG_DEBUG packets before the KEXINIT are skipped (at most
 * SSHKEX_MAX_SKIP). Everything is read through the bounds-checked cursor;
 * packet_length is capped by the caller's buffer (`n`), SSHKEX_PACKET_MAX
 * and the RFC's 35000 bytes; a list is capped at SSHKEX_LIST_MAX bytes.
 */
#ifndef MAMORI_SURVEY_SSHKEX_H
#define MAMORI_SURVEY_SSHKEX_H

#include <stddef.h>
#include <stdint.h>

#include "core/err.h"

#define SSHKEX_PACKET_MAX	35000	/* RFC 4253 6.1 */
#define SSHKEX_LIST_MAX		4096	/* bytes of one name-list */
#define SSHKEX_MAX_SKIP		4	/* IGNORE/DEBUG packets skipped */

#define SSHKEX_MORE	0	/* need more bytes */
#define SSHKEX_DONE	1	/* KEXINIT parsed */

enum sshkex_list {
	SSHKEX_KEX = 0,
	SSHKEX_HOSTKEY,
	SSHKEX_ENC_CS,
	SSHKEX_ENC_SC,
	SSHKEX_MAC_CS,
	SSHKEX_MAC_SC,
	SSHKEX_COMP_CS,
	SSHKEX_COMP_SC,
	SSHKEX_LANG_CS,
	SSHKEX_LANG_SC,
	SSHKEX_NLISTS
};

/* The name-lists, pointing into the bytes given to sshkex_parse() (not
 * NUL-terminated; valid while those bytes are). */
struct sshkex {
	const char	*list[SSHKEX_NLISTS];
	size_t		 len[SSHKEX_NLISTS];
	int		 first_follows;
	size_t		 used;		/* bytes up to the KEXINIT's end */
};

/* Parses the packets in p[0..n) (the bytes after the identification line).
 * Returns SSHKEX_DONE with *k filled, SSHKEX_MORE when the KEXINIT is not
 * whole yet (*need, if not NULL, gets the total bytes it needs when known,
 * else 0), or MM_EFORMAT (not a KEXINIT, bad name-list, bad lengths) /
 * MM_ELIMIT (packet or list over its cap) with `d` naming the RFC 4253
 * section and field. `need` and `d` may be NULL. */
int	sshkex_parse(const uint8_t *p, size_t n, struct sshkex *k,
	    size_t *need, struct mm_diag *d);

/* Writes the host key types named by a server_host_key_algorithms list
 * (`s`, `len` bytes) into out (cap >= 1) as a comma-separated list in
 * the order first seen, each once: "rsa" (ssh-rsa, rsa-sha2-256/512),
 * "dsa" (ssh-dss), "ed25519", "ed448", "ecdsa-p256/p384/p521", "sk-ecdsa",
 * "sk-ed25519", and "cert-" + type for OpenSSH certificates; unknown names
 * are kept as they are. Truncated at a whole entry to fit. Returns out. */
char	*sshkex_key_types(const char *s, size_t len, char *out, size_t cap);

#endif
