/*
 * fuzz_import.c - libFuzzer target for the text importers (Zeek conn.log
 * TSV/JSON, Argus .binetflow, nfdump CSV) and their line reader (plain and
 * gzip).
 *
 * The first byte selects the format (byte % 3) and, with bit 2, a small
 * line cap (64 bytes) so that the overlong-line path is exercised; bit 3
 * selects --bidir for Zeek. The rest is the file. Beyond "no crash, no
 * sanitizer report" it checks invariants on every emitted flow: last >=
 * first, first > 0, ICMP flows have src_port 0, and the counters add up
 * (records <= lines, flows <= 2 * records, malformed + skipped + records
 * <= lines). Corpus: fuzz/corpus/import/.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "import/import.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int
fz_emit(void *arg, const struct flow *f)
{
	uint64_t *n = arg;

	if (f->last < f->first || f->first <= 0)
		abort();
	if ((f->proto == 1 || f->proto == 58) && f->src_port != 0)
		abort();
	(*n)++;
	return 0;
}

static void
fz_label(void *arg, const struct flow *f, const char *label, size_t len)
{
	volatile unsigned char x = 0;
	size_t i;

	(void)arg;
	(void)f;
	for (i = 0; i < len; i++)	/* every byte must be readable */
		x ^= (unsigned char)label[i];
	(void)x;
}

static void
fz_warn(void *arg, const struct mm_diag *d)
{
	(void)arg;
	if (strlen(d->msg) >= sizeof(d->msg))
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct import_conf	 c;
	struct import_sink	 s;
	struct import_stats	 st;
	struct mm_diag		 d;
	uint64_t		 n = 0;
	int			 fmt;

	if (size < 1 || size > 1 << 20)
		return 0;
	memset(&c, 0, sizeof(c));
	fmt = data[0] % 3;
	if (data[0] & 4)
		c.max_line = 64;
	if (data[0] & 8)
		c.bidir = 1;
	s.emit = fz_emit;
	s.warn = fz_warn;
	s.progress = NULL;
	s.label = fz_label;
	s.arg = &n;
	(void)import_text_mem((enum import_text_fmt)fmt, data + 1, size - 1,
	    "fuzz", &c, &s, &st, &d);
	if (n != st.flows || st.records > st.lines ||
	    st.flows > 2 * st.records ||
	    st.malformed + st.skipped + st.records > st.lines)
		abort();
	return 0;
}
