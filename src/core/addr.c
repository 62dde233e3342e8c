/*
 * addr.c - address and prefix parsing, printing and matching; see addr.h.
 * Parsing uses inet_pton (which is strict: no leading zeros tricks in v4).
 * Every function is O(1) on a 16-byte value (IPv4 is held v4-mapped), works
 * on caller storage only and keeps no state.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/addr.h"
#include "core/err.h"

static const uint8_t v4mapped[12] = { 0,0,0,0, 0,0,0,0, 0,0,0xff,0xff };

void
addr_from_v4(struct mm_addr *a, uint32_t v4)
{
	memcpy(a->b, v4mapped, 12);
	a->b[12] = (uint8_t)(v4 >> 24);
	a->b[13] = (uint8_t)(v4 >> 16);
	a->b[14] = (uint8_t)(v4 >> 8);
	a->b[15] = (uint8_t)v4;
}

void
addr_from_v6(struct mm_addr *a, const uint8_t b[16])
{
	memcpy(a->b, b, 16);
}

int
addr_is_v4(const struct mm_addr *a)
{
	return memcmp(a->b, v4mapped, 12) == 0;
}

uint32_t
addr_v4(const struct mm_addr *a)
{
	return (uint32_t)a->b[12] << 24 | (uint32_t)a->b[13] << 16 |
	    (uint32_t)a->b[14] << 8 | a->b[15];
}

int
addr_is_zero(const struct mm_addr *a)
{
	static const uint8_t zero[16];

	return memcmp(a->b, zero, 16) == 0;
}

int
addr_cmp(const struct mm_addr *a, const struct mm_addr *b)
{
	return memcmp(a->b, b->b, 16);
}

int
addr_parse(const char *s, struct mm_addr *a)
{
	struct in_addr in4;
	uint8_t in6[16];

	if (s == NULL)
		return MM_ESYNTAX;
	if (strchr(s, ':') == NULL) {
		if (inet_pton(AF_INET, s, &in4) != 1)
			return MM_ESYNTAX;
		addr_from_v4(a, ntohl(in4.s_addr));
		return 0;
	}
	if (inet_pton(AF_INET6, s, in6) != 1)
		return MM_ESYNTAX;
	addr_from_v6(a, in6);
	return 0;
}

char *
addr_fmt(const struct mm_addr *a, char *buf, size_t len)
{
	struct in_addr in4;

	if (len == 0)
		return buf;
	if (addr_is_v4(a)) {
		in4.s_addr = htonl(addr_v4(a));
		if (inet_ntop(AF_INET, &in4, buf, (socklen_t)len) == NULL)
			buf[0] = '\0';
	} else if (inet_ntop(AF_INET6, a->b, buf, (socklen_t)len) == NULL)
		buf[0] = '\0';
	return buf;
}

void
addr_mask(struct mm_addr *a, unsigned len)
{
	unsigned i;

	for (i = 0; i < 16; i++) {
		if (len >= 8) {
			len -= 8;
			continue;
		}
		a->b[i] &= (uint8_t)(0xff00 >> len);
		len = 0;
	}
}

int
prefix_parse(const char *s, struct mm_prefix *p)
{
	char buf[PREFIX_STRLEN], *slash, *end;
	long n;
	int v4, max;

	if (s == NULL || strlen(s) >= sizeof(buf))
		return MM_ESYNTAX;
	strcpy(buf, s);
	slash = strchr(buf, '/');
	if (slash != NULL)
		*slash++ = '\0';
	if (addr_parse(buf, &p->addr) != 0)
		return MM_ESYNTAX;
	v4 = strchr(buf, ':') == NULL;
	max = v4 ? 32 : 128;
	n = max;
	if (slash != NULL) {
		/* digits only: strtol would take " 8", "+8" and "-0" */
		if (!isdigit((unsigned char)*slash) || strlen(slash) > 3)
			return MM_ESYNTAX;
		n = strtol(slash, &end, 10);
		if (*end != '\0')
			return MM_ESYNTAX;
		if (n < 0 || n > max)
			return MM_ERANGE;
	}
	p->len = (uint8_t)(v4 ? n + 96 : n);
	addr_mask(&p->addr, p->len);
	return 0;
}

char *
prefix_fmt(const struct mm_prefix *p, char *buf, size_t len)
{
	char a[ADDR_STRLEN];
	int v4 = addr_is_v4(&p->addr) && p->len >= 96;

	addr_fmt(&p->addr, a, sizeof(a));
	snprintf(buf, len, "%s/%u", a, v4 ? p->len - 96u : p->len);
	return buf;
}

int
prefix_contains(const struct mm_prefix *p, const struct mm_addr *a)
{
	struct mm_addr m = *a;

	addr_mask(&m, p->len);
	return memcmp(m.b, p->addr.b, 16) == 0;
}
