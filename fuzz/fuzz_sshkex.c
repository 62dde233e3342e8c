/*
 * fuzz_sshkex.c - libFuzzer target for the SSH server KEXINIT reader
 * (what a scanned server sends after its identification line). The first
 * input byte picks the output capacity of sshkex_key_types (1..64); the
 * rest is the server's bytes, given whole and then cut in two. Invariants
 * checked: a parse that is DONE on a prefix is DONE on the whole with the
 * same length used; every list lies inside the input; the key types are
 * NUL-terminated within the capacity.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "survey/sshkex.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sshkex k, k2;
	char out[64];
	size_t cap, i, need;
	int rc;

	if (size < 1)
		return 0;
	cap = (size_t)(data[0] & 63) + 1;
	data++;
	size--;
	rc = sshkex_parse(data, size, &k, &need, NULL);
	if (rc != SSHKEX_DONE)
		return 0;
	if (k.used > size)
		abort();
	for (i = 0; i < SSHKEX_NLISTS; i++)
		if (k.len[i] > 0 && ((const uint8_t *)k.list[i] < data ||
		    (const uint8_t *)k.list[i] + k.len[i] > data + k.used))
			abort();
	sshkex_key_types(k.list[SSHKEX_HOSTKEY], k.len[SSHKEX_HOSTKEY], out,
	    cap);
	if (memchr(out, 0, cap) == NULL)
		abort();
	/* a prefix up to `used` gives the same answer */
	if (sshkex_parse(data, k.used, &k2, NULL, NULL) != SSHKEX_DONE ||
	    k2.used != k.used)
		abort();
	return 0;
}
