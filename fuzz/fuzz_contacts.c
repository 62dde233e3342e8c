/*
 * fuzz_contacts.c - libFuzzer target for the contacts file parser and the
 * e-mail syntax check. The input is a contacts file. After the load the
 * target checks: only stanzas with status "ok" have addresses to use, every
 * stored address passes the check, ids are non-empty and found again,
 * stats add up; and the checker itself is run on every line of the input
 * (it must not read past the given length).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "attrib/contacts.h"
#include "core/addr.h"
#include "core/err.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const struct contacts_stats *st;
	const struct contact *c, *q;
	struct contacts *ct;
	struct mm_diag d;
	struct mm_addr a;
	char *copy;
	size_t i, j, k;

	if (size > 1 << 20)
		return 0;
	if ((ct = contacts_new()) == NULL)
		return 0;
	if (contacts_load_mem(ct, "fuzz.contacts", data, size, &d) != 0 &&
	    d.msg[0] == '\0')
		abort();
	st = contacts_stats(ct);
	if (st->entries != contacts_count(ct) || st->bad_email +
	    st->bad_entry + st->no_email > st->entries ||
	    contacts_nerrors(ct) > CONTACTS_MAX_ERRORS ||
	    contacts_nerrors(ct) > st->errors)
		abort();
	for (i = 0; i < contacts_count(ct); i++) {
		c = contacts_get(ct, i);
		if (c->nemail > CONTACTS_MAX_EMAILS || c->id[0] == '\0' ||
		    (c->status == CONTACT_OK && c->nemail == 0) ||
		    (strcmp(c->lang, "ja") != 0 && strcmp(c->lang, "en") != 0))
			abort();
		for (k = 0; k < c->nemail; k++)
			if (!contacts_email_valid(c->email[k]))
				abort();
		if ((q = contacts_by_id(ct, c->id)) == NULL ||
		    strcmp(q->id, c->id) != 0)
			abort();
	}
	for (i = 0; i < 4; i++) {
		addr_from_v4(&a, 0xc0000200u + (uint32_t)i * 64);
		if ((c = contacts_by_addr(ct, &a, NULL)) != NULL &&
		    c->id[0] == '\0')
			abort();
		if ((c = contacts_by_as(ct, 64496 + (uint32_t)i)) != NULL &&
		    c->id[0] == '\0')
			abort();
	}
	/* the checker over each line, without NUL termination */
	if ((copy = malloc(size + 1)) != NULL) {
		memcpy(copy, data, size);
		for (i = 0; i < size; i = j + 1) {
			for (j = i; j < size && copy[j] != '\n'; j++)
				;
			(void)contacts_email_check(copy + i, j - i);
		}
		free(copy);
	}
	contacts_free(ct);
	return 0;
}
