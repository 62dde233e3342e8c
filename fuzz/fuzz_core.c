/*
 * fuzz_core.c - libFuzzer target for the text parsers of core: addr_parse,
 * prefix_parse, mtime_parse, mtime_parse_duration and mtime_parse_window.
 *
 * Each input (capped at 256 bytes, NUL-terminated copy) goes through every
 * parser. Beyond "no crash, no sanitizer report" it checks invariants:
 * whatever parses prints to text that parses back to the same value
 * (addresses, prefixes, and timestamps within years 0..9999, which is all
 * mtime_fmt's 4-digit year can carry), a parsed prefix has no host bits set
 * and contains its own address, and a parsed window is never inverted.
 * Corpus: fuzz/corpus/core/.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/addr.h"
#include "core/err.h"
#include "core/mtime.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MIN_MS	(-62167219200000LL)	/* 0000-01-01T00:00:00Z */
#define MAX_MS	(253402300799999LL)	/* 9999-12-31T23:59:59.999Z */

static void
check_addr(const char *s)
{
	struct mm_addr a, b;
	char buf[ADDR_STRLEN];

	if (addr_parse(s, &a) != 0)
		return;
	addr_fmt(&a, buf, sizeof(buf));
	if (addr_parse(buf, &b) != 0 || addr_cmp(&a, &b) != 0)
		abort();
}

static void
check_prefix(const char *s)
{
	struct mm_prefix p, q;
	struct mm_addr m;
	char buf[PREFIX_STRLEN];

	if (prefix_parse(s, &p) != 0)
		return;
	if (p.len > 128)
		abort();
	m = p.addr;
	addr_mask(&m, p.len);
	if (addr_cmp(&m, &p.addr) != 0 || !prefix_contains(&p, &p.addr))
		abort();
	prefix_fmt(&p, buf, sizeof(buf));
	if (prefix_parse(buf, &q) != 0 || q.len != p.len ||
	    addr_cmp(&q.addr, &p.addr) != 0)
		abort();
}

static void
check_time(const char *s)
{
	struct mtime_window w;
	char buf[MTIME_STRLEN];
	mtime_t t, u;

	if (mtime_parse(s, &t) == 0 && t >= MIN_MS && t <= MAX_MS) {
		mtime_fmt(t, 0, buf, sizeof(buf));
		if (mtime_parse(buf, &u) != 0 || u != t)
			abort();
		mtime_fmt(t, 1, buf, sizeof(buf));
		if (mtime_parse(buf, &u) != 0 || u != t)
			abort();
	}
	if (mtime_parse_duration(s, &t) == 0 && t < 0)
		abort();
	if (mtime_parse_window(s, 1714564800000LL, &w) == 0 &&
	    w.end < w.start)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char s[257];

	if (size > 256)
		size = 256;
	memcpy(s, data, size);
	s[size] = '\0';
	check_addr(s);
	check_prefix(s);
	check_time(s);
	return 0;
}
