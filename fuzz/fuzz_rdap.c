/*
 * fuzz_rdap.c - libFuzzer target for the offline RDAP reader. The input is
 * one saved response. After the load the target checks what the resolver
 * relies on: every record's addresses pass the mailer's syntax check, the
 * counts are within their caps, strings are terminated, every record is
 * found again by its own AS or first prefix, and lookups of the addresses
 * and numbers named in the input return records that cover them.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "attrib/contacts.h"
#include "attrib/rdap.h"
#include "core/addr.h"
#include "core/err.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check_rec(const struct rdap_set *rd, const struct rdap_record *r)
{
	const struct rdap_record *q;
	size_t i;

	if (r->nemail > RDAP_MAX_EMAILS || (r->nemail == 0) !=
	    (r->role == RDAP_ROLE_NONE) || (r->email_invalid && r->nemail))
		abort();
	for (i = 0; i < r->nemail; i++)
		if (!contacts_email_valid(r->email[i]))
			abort();
	if (memchr(r->org, '\0', sizeof(r->org)) == NULL ||
	    memchr(r->name, '\0', sizeof(r->name)) == NULL ||
	    memchr(r->handle, '\0', sizeof(r->handle)) == NULL ||
	    strlen(r->lang) != 2)
		abort();
	if (r->kind == RDAP_AUTNUM) {
		if (r->as_lo > r->as_hi ||
		    (q = rdap_by_as(rd, r->as_lo)) == NULL ||
		    r->as_lo < q->as_lo || r->as_lo > q->as_hi)
			abort();
	} else if (r->kind == RDAP_NETWORK) {
		struct mm_prefix m;

		if ((q = rdap_by_addr(rd, &r->first.addr, &m)) == NULL ||
		    !prefix_contains(&m, &r->first.addr) || m.len <
		    r->first.len)
			abort();
	} else
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const struct rdap_stats *st;
	struct rdap_set *rd;
	struct mm_prefix m;
	struct mm_diag d;
	struct mm_addr a;
	const struct rdap_record *r;
	char tok[64];
	size_t i, j;
	uint64_t v;

	if (size > RDAP_MAX_FILE + 1)
		return 0;
	if ((rd = rdap_new()) == NULL)
		return 0;
	if (rdap_load_mem(rd, "fuzz.json", data, size, &d) != 0 &&
	    d.msg[0] == '\0')
		abort();
	st = rdap_stats(rd);
	if (rdap_count(rd) != st->autnums + st->networks ||
	    rdap_nerrors(rd) > RDAP_MAX_ERRORS)
		abort();
	for (i = 0; i < rdap_count(rd); i++)
		check_rec(rd, rdap_get(rd, i));
	/* addresses and numbers named in the input */
	for (i = 0; i < size; i = j + 1) {
		for (j = i; j < size && (data[j] == '.' || data[j] == ':' ||
		    (data[j] >= '0' && data[j] <= '9') ||
		    (data[j] >= 'a' && data[j] <= 'f') ||
		    (data[j] >= 'A' && data[j] <= 'F')); j++)
			;
		if (j - i < 1 || j - i >= sizeof(tok))
			continue;
		memcpy(tok, data + i, j - i);
		tok[j - i] = '\0';
		if (addr_parse(tok, &a) == 0 &&
		    (r = rdap_by_addr(rd, &a, &m)) != NULL &&
		    (!prefix_contains(&m, &a) || r->kind != RDAP_NETWORK))
			abort();
		v = strtoull(tok, NULL, 10);
		if (v <= UINT32_MAX && (r = rdap_by_as(rd, (uint32_t)v)) !=
		    NULL && (r->kind != RDAP_AUTNUM || v < r->as_lo ||
		    v > r->as_hi))
			abort();
	}
	rdap_free(rd);
	return 0;
}
