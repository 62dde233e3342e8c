/*
 * fuzz_pool.c - libFuzzer target for the survey worker pool's frame
 * decoder (what the parent reads from a worker). The first input byte
 * picks the frame type (even: result, odd: counters); the rest is the
 * payload. Invariants checked: a decoded result re-encodes to a payload of
 * the same length (flag bytes aside, the codec is canonical), its strings
 * are NUL-terminated
 * within their arrays, the field count stays within SCAN_MAX_FIELDS.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "survey/pool.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct pool_result out;
	struct scan_stats st;
	struct mm_diag d;
	uint8_t *buf = NULL;
	size_t len = 0, cap = 0;

	if (size < 1)
		return 0;
	if (data[0] & 1) {
		(void)pool_stats_decode(data + 1, size - 1, &st, &d);
		return 0;
	}
	if (pool_result_decode(data + 1, size - 1, &out, &d) != 0)
		return 0;
	if (out.res.nfields > SCAN_MAX_FIELDS ||
	    memchr(out.res.ident.vendor, 0, sizeof(out.res.ident.vendor)) ==
	    NULL || memchr(out.res.banner, 0, sizeof(out.res.banner)) == NULL)
		abort();
	if (pool_result_encode(&out.res, &buf, &len, &cap) != 0)
		abort();
	/* same length: flag bytes may differ (any non-zero reads as 1) */
	if (len != size - 1 + 5 || buf[4] != POOL_F_RESULT)
		abort();
	free(buf);
	return 0;
}
