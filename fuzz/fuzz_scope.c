/*
 * fuzz_scope.c - libFuzzer target for the survey scope parser and the
 * permutation resume-state parser.
 *
 * The first byte picks the mode (lab or not) and the file kind of the second
 * half; the rest is split in two at the first 0xff byte (or the middle):
 * scope-file text, then exclude/opt-out text. Whatever loads must keep the
 * invariants: every range's first and last target map back to an address
 * and port that scope_allows_port() accepts; in lab mode each is loopback;
 * out-of-range indices are refused. The input after the mode byte is also
 * fed to perm_state_parse(); a state that parses must print back to text
 * that parses to the same position. Inputs are capped at 64 KiB.
 * Corpus: fuzz/corpus/scope/.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/addr.h"
#include "core/err.h"
#include "survey/perm.h"
#include "survey/scope.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const uint16_t defports[] = { 22, 23, 80 };

static void
check_target(const struct scope *s, uint64_t idx, int lab)
{
	struct mm_addr a;
	uint16_t port;

	if (scope_target(s, idx, &a, &port) != 0)
		abort();
	if (!scope_allows_port(s, &a, port))
		abort();
	if (lab && !(addr_is_v4(&a) ? (addr_v4(&a) >> 24) == 127 :
	    a.b[15] == 1))
		abort();
}

static void
fuzz_scope(const uint8_t *data, size_t size)
{
	struct scope *s = NULL;
	const struct scope_range *r;
	const uint8_t *split;
	enum scope_kind kind;
	size_t n1, i;
	int lab, nodef;

	if (size < 1)
		return;
	lab = data[0] & 1;
	kind = (data[0] & 2) ? SCOPE_OPTOUT : SCOPE_EXCLUDE;
	nodef = (data[0] & 4) != 0;
	data++;
	size--;
	split = memchr(data, 0xff, size);
	n1 = split != NULL ? (size_t)(split - data) : size / 2;
	if (scope_new(&s, lab) != 0)
		return;
	if (scope_add_buf(s, SCOPE_INCLUDE, "fuzz", (const char *)data, n1,
	    NULL) != 0)
		goto out;
	if (split != NULL)
		n1++;
	if (scope_add_buf(s, kind, "fuzz-ex", (const char *)data + n1,
	    size - n1, NULL) != 0)
		goto out;
	if (scope_finish(s, nodef ? NULL : defports, nodef ? 0 : 3,
	    NULL) != 0)
		goto out;
	for (i = 0; i < scope_nranges(s) && i < 256; i++) {
		r = scope_range_at(s, i);
		if (r == NULL || r->naddr == 0 || r->nports == 0)
			abort();
		check_target(s, r->base, lab);
		check_target(s, r->base + r->naddr * r->nports - 1, lab);
	}
	{
		struct mm_addr a;
		uint16_t port;

		if (scope_target(s, scope_ntargets(s), &a, &port) != MM_ERANGE)
			abort();
	}
 out:
	scope_free(s);
}

static void
fuzz_state(const uint8_t *data, size_t size)
{
	struct perm p, q;
	char buf[PERM_STATE_MAX];
	int n;
	uint64_t targets = 1000;

	if (perm_state_parse(&p, "fuzz", (const char *)data, size, targets,
	    NULL) != 0)
		return;
	n = perm_state_fmt(&p, buf, sizeof(buf));
	if (n < 0)
		abort();
	if (perm_state_parse(&q, "fuzz", buf, (size_t)n, targets, NULL) != 0)
		abort();
	if (q.pos != p.pos || q.count != p.count || q.cur != p.cur)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > 65536)
		return 0;
	fuzz_scope(data, size);
	if (size > 0)
		fuzz_state(data + 1, size - 1);
	return 0;
}
