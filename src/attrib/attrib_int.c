/*
 * attrib_int.c - private helpers of the attribution loaders (see
 * attrib_int.h): the AS-number hash and the file-name shortener used in
 * their error messages. The AS hash is the same one contacts.c and rdap.c
 * each carried before; the multiplicative mix spreads sequential AS numbers
 * over the table. The error list and the prefix lookup are likewise the
 * code both loaders had, with the loader-specific parts made arguments.
 * Cost bounds are in the header.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "attrib/attrib_int.h"
#include "core/err.h"

static uint64_t
mix32(uint32_t v)
{
	uint64_t h = v;

	h *= 0x9e3779b97f4a7c15ULL;
	return h ^ (h >> 29);
}

static int
ashash_grow(struct attrib_ashash *h)
{
	uint64_t *ns, v;
	size_t nsize, i, j;

	nsize = h->mask == 0 ? 64 : (h->mask + 1) * 2;
	if ((ns = calloc(nsize, sizeof(*ns))) == NULL)
		return MM_ENOMEM;
	for (i = 0; h->mask != 0 && i <= h->mask; i++) {
		if ((v = h->slot[i]) == 0)
			continue;
		j = (size_t)mix32((uint32_t)v) & (nsize - 1);
		while (ns[j] != 0)
			j = (j + 1) & (nsize - 1);
		ns[j] = v;
	}
	free(h->slot);
	h->slot = ns;
	h->mask = nsize - 1;
	return 0;
}

size_t
attrib_ashash_get(const struct attrib_ashash *h, uint32_t asn)
{
	size_t j;

	if (h->mask == 0 || asn == 0)
		return 0;
	j = (size_t)mix32(asn) & h->mask;
	while (h->slot[j] != 0) {
		if ((uint32_t)h->slot[j] == asn)
			return (size_t)(h->slot[j] >> 32);
		j = (j + 1) & h->mask;
	}
	return 0;
}

int
attrib_ashash_put(struct attrib_ashash *h, uint32_t asn, size_t entry)
{
	size_t j;
	int rc;

	if ((h->used + 1) * 2 > h->mask + 1 && (rc = ashash_grow(h)) != 0)
		return rc;
	j = (size_t)mix32(asn) & h->mask;
	while (h->slot[j] != 0)
		j = (j + 1) & h->mask;
	h->slot[j] = ((uint64_t)(entry + 1) << 32) | asn;
	h->used++;
	return 0;
}

void
attrib_ashash_free(struct attrib_ashash *h)
{
	if (h == NULL)
		return;
	free(h->slot);
	h->slot = NULL;
	h->mask = h->used = 0;
}

const char *
attrib_base_name(const char *path)
{
	const char *s = strrchr(path, '/');

	return s == NULL ? path : s + 1;
}

void
attrib_errs_vadd(struct attrib_errs *e, size_t max, struct mm_diag *d,
    int *noted, const char *file, const unsigned long *line,
    const char *fmt, va_list ap)
{
	char msg[MM_DIAG_LEN];
	int k;

	if (line != NULL)
		k = snprintf(msg, sizeof(msg), "%s:%lu: ", file, *line);
	else
		k = snprintf(msg, sizeof(msg), "%s: ", file);
	if (k < 0 || (size_t)k >= sizeof(msg))
		k = 0;
	vsnprintf(msg + k, sizeof(msg) - (size_t)k, fmt, ap);
	if (!*noted) {
		*noted = 1;
		mm_diag_set(d, 0, "%s", msg);
	}
	if (e->v == NULL)
		e->v = calloc(max, sizeof(*e->v));
	if (e->v != NULL && e->n < max)
		memcpy(e->v[e->n++], msg, sizeof(msg));
}

void
attrib_errs_free(struct attrib_errs *e)
{
	if (e == NULL)
		return;
	free(e->v);
	e->v = NULL;
	e->n = 0;
}

size_t
attrib_lpm_find(const struct lpm *t, const struct mm_addr *a,
    struct mm_prefix *matched)
{
	struct mm_prefix m;
	void *v;

	if ((v = lpm_lookup(t, a, &m)) == NULL)
		return 0;
	/* an IPv6 prefix shorter than /96 (::/0) never answers for IPv4 */
	if (addr_is_v4(a) && m.len < 96)
		return 0;
	if (matched != NULL)
		*matched = m;
	return (size_t)(uintptr_t)v;
}
