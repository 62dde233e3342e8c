/*
 * addr.h - IPv4/IPv6 addresses and prefixes.
 *
 * One representation for both families: 16 bytes in network order, IPv4 held
 * as an IPv4-mapped IPv6 address (::ffff:a.b.c.d). Comparison, hashing and
 * storage are therefore family-blind; addr_is_v4() tells the family. A prefix
 * is an address plus a length counted in the 128-bit space (an IPv4 /24 is
 * stored as /120) so that one LPM table serves both families; the printing and
 * parsing functions convert to and from the family-native length.
 */
#ifndef MAMORI_CORE_ADDR_H
#define MAMORI_CORE_ADDR_H

#include <stddef.h>
#include <stdint.h>

struct mm_addr {
	uint8_t	b[16];
};

struct mm_prefix {
	struct mm_addr	addr;	/* host bits are zero */
	uint8_t		len;	/* 0..128 in the v6 space */
};

#define ADDR_STRLEN	46	/* INET6_ADDRSTRLEN */
#define PREFIX_STRLEN	(ADDR_STRLEN + 4)

/* Builds from a host-order IPv4 value. */
void	addr_from_v4(struct mm_addr *a, uint32_t v4);
/* Builds from 16 network-order bytes. */
void	addr_from_v6(struct mm_addr *a, const uint8_t b[16]);
/* 1 if `a` is IPv4-mapped. */
int	addr_is_v4(const struct mm_addr *a);
/* Host-order IPv4 value (meaningful only when addr_is_v4()). */
uint32_t addr_v4(const struct mm_addr *a);
/* 1 if all zero (no address). */
int	addr_is_zero(const struct mm_addr *a);
/* memcmp-style order; IPv4 sorts before IPv6 of the same leading bytes. */
int	addr_cmp(const struct mm_addr *a, const struct mm_addr *b);

/* Parses dotted-quad or RFC 4291 text. Returns 0 or MM_ESYNTAX. */
int	addr_parse(const char *s, struct mm_addr *a);
/* Writes text into buf (at least ADDR_STRLEN bytes); returns buf. */
char	*addr_fmt(const struct mm_addr *a, char *buf, size_t len);

/* Parses "a.b.c.d/n", "x::/n", or a bare address (full length). Host bits
 * set beyond the length are cleared. Returns 0 or MM_ESYNTAX/MM_ERANGE. */
int	prefix_parse(const char *s, struct mm_prefix *p);
/* Family-native text ("10.0.0.0/8"); returns buf. */
char	*prefix_fmt(const struct mm_prefix *p, char *buf, size_t len);
/* 1 if `a` lies inside `p`. */
int	prefix_contains(const struct mm_prefix *p, const struct mm_addr *a);
/* Masks `a` to `len` bits (v6 space) in place. */
void	addr_mask(struct mm_addr *a, unsigned len);

#endif
