/*
 * fuzz_intel.c - libFuzzer target for the intel parsers. The first input
 * byte selects the parser (modulo 7: auto, CSV, MISP CSV, allowlist, STIX,
 * MISP JSON, STIX-pattern-only); the rest is the document. After a load the
 * target checks the invariants a caller relies on: stats add up, every hit
 * covers the looked-up address, strings are non-NULL and readable, and the
 * lookups for the addresses named in the input behave.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/addr.h"
#include "core/err.h"
#include "c2/intel.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check_hit(const struct intel_hit *h, const struct mm_addr *a)
{
	if (!prefix_contains(&h->prefix, a) || h->tag == NULL ||
	    h->source == NULL || h->confidence > 100 || strlen(h->tag) >
	    INTEL_TAG_MAX || h->nmatch == 0)
		abort();
}

static void
probe(const struct intel *in, const struct mm_addr *a, uint16_t port)
{
	struct intel_hit h, all[4];
	const char *cat = NULL;
	size_t n, i;

	if (intel_lookup(in, a, port, &h)) {
		check_hit(&h, a);
		n = intel_lookup_all(in, a, port, all, 4);
		if (n != h.nmatch)
			abort();
		for (i = 0; i < n && i < 4; i++)
			check_hit(&all[i], a);
	} else if (intel_lookup_all(in, a, port, all, 4) != 0)
		abort();
	if (intel_allowed(in, a, 64500, &cat) && cat == NULL)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const enum intel_format fmts[] = {
		INTEL_FMT_AUTO, INTEL_FMT_CSV, INTEL_FMT_MISP_CSV,
		INTEL_FMT_ALLOWLIST, INTEL_FMT_STIX, INTEL_FMT_MISP_JSON
	};
	struct intel_load_stats st;
	struct intel_opts o;
	struct mm_diag d;
	struct mm_addr a;
	struct intel *in;
	char *doc = NULL, tok[64];
	const uint8_t *body;
	size_t blen, i, j, k;
	unsigned sel;
	int rc;

	if (size < 1 || size > 1 << 20)
		return 0;
	sel = data[0] % 7;
	body = data + 1;
	blen = size - 1;
	memset(&d, 0, sizeof(d));
	memset(&o, 0, sizeof(o));
	o.now_ms = 1717200000000LL;
	if ((in = intel_new(&o)) == NULL)
		return 0;
	if (sel == 6) {
		/* wrap the body as a STIX pattern string (JSON-escaped) */
		if ((doc = malloc(blen * 6 + 64)) == NULL)
			goto out;
		k = (size_t)sprintf(doc, "{\"type\":\"indicator\",\"pattern\":\"");
		for (i = 0; i < blen; i++) {
			if (body[i] == '"' || body[i] == '\\') {
				doc[k++] = '\\';
				doc[k++] = (char)body[i];
			} else if (body[i] < 0x20 || body[i] >= 0x7f)
				k += (size_t)sprintf(doc + k, "\\u%04x",
				    body[i]);
			else
				doc[k++] = (char)body[i];
		}
		k += (size_t)sprintf(doc + k, "\"}");
		rc = intel_load_mem(in, "fuzz", doc, k, INTEL_FMT_STIX, &st,
		    &d);
	} else
		rc = intel_load_mem(in, "fuzz", body, blen, fmts[sel], &st, &d);
	if (rc != 0 && d.msg[0] == '\0')
		abort();
	if (st.loaded > intel_feed_count(in) + intel_allow_count(in))
		abort();
	/* probe addresses that appear in the input, and a few fixed ones */
	for (i = 0; i < blen; i = j + 1) {
		for (j = i; j < blen && (body[j] == '.' || body[j] == ':' ||
		    (body[j] >= '0' && body[j] <= '9') ||
		    (body[j] >= 'a' && body[j] <= 'f') ||
		    (body[j] >= 'A' && body[j] <= 'F')); j++)
			;
		if (j - i >= 2 && j - i < sizeof(tok)) {
			memcpy(tok, body + i, j - i);
			tok[j - i] = '\0';
			if (addr_parse(tok, &a) == 0) {
				probe(in, &a, 0);
				probe(in, &a, 443);
			}
		}
	}
	addr_parse("192.0.2.1", &a);
	probe(in, &a, 80);
	addr_parse("2001:db8::1", &a);
	probe(in, &a, 80);
out:
	free(doc);
	intel_free(in);
	return 0;
}
