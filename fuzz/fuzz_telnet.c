/*
 * fuzz_telnet.c - libFuzzer target for the telnet client machine. The
 * first input byte picks the split pattern (feed chunk size 1..16, reply
 * buffer capacity 0..63, whether to mark credentials sent half way); the
 * rest is what the "server" sends. Invariants checked: the reply length
 * never exceeds the capacity and is a multiple of 3, every reply is IAC
 * followed by a DO/DONT/WILL/WONT, the banner is NUL-terminated within
 * TELNET_TEXT_MAX, errors stick.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "survey/telnet.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct telnet t;
	struct mm_diag d;
	uint8_t rep[64];
	size_t chunk, cap, off = 0, rl, n, i, tl;
	int rc = 0, mark;

	if (size < 1)
		return 0;
	chunk = (size_t)(data[0] & 15) + 1;
	cap = (size_t)(data[0] >> 2) & 63;
	mark = data[0] & 0x80;
	data++;
	size--;
	telnet_init(&t, 0, 0, 0);
	while (off < size) {
		n = size - off < chunk ? size - off : chunk;
		if (mark && off >= size / 2 && !t.marked)
			telnet_mark_sent(&t);
		rc = telnet_feed(&t, data + off, n, rep, cap, &rl, &d);
		if (rl > cap || rl % 3 != 0)
			abort();
		for (i = 0; i < rl; i += 3)
			if (rep[i] != TELNET_IAC || rep[i + 1] < TELNET_WILL ||
			    rep[i + 1] > TELNET_DONT)
				abort();
		off += n;
		if (rc < 0)
			break;
	}
	if (rc < 0 && telnet_feed(&t, data, size, rep, cap, &rl, NULL) != rc)
		abort();
	if (strlen(telnet_text(&t, &tl)) != tl || tl > TELNET_TEXT_MAX)
		abort();
	return 0;
}
