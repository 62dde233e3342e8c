/*
 * fuzz_decode.c - libFuzzer target for decoder_datagram() (NetFlow v5/v9,
 * IPFIX, sFlow) and, through sFlow and IE 315, packet_parse().
 *
 * The decoder lives across inputs so that templates and sampling rates
 * learned from one input are used by the next, as in a collector. The first
 * input byte selects one of 8 fake exporters (low 3 bits) and whether the
 * decoder scales counters (bit 3); the rest is the UDP payload. Every 4096
 * inputs the decoder is recreated to keep memory bounded and exercise
 * teardown. The seed corpus (fuzz/corpus/decode/) holds one datagram per
 * file from the shared captures, prefixed with that byte.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "flow/decode.h"
#include "flow/packet.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct decoder	*dec;
static unsigned		 ninputs;
static mtime_t		 now = 1700000000000LL;

static int
emit(void *arg, const struct flow *f)
{
	uint64_t *sum = arg;

	/* touch the record so that uninitialised fields would show */
	*sum += f->packets + f->bytes + f->src_port + f->dst_port +
	    f->src.b[15] + f->dst.b[15] + (uint64_t)f->first +
	    (uint64_t)f->last + f->sampling;
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct decoder_conf conf;
	struct exporter_stats st[8];
	struct packet_info pi;
	struct mm_diag d;
	struct mm_addr from;
	uint64_t sum = 0;

	if (size < 1)
		return 0;
	if (dec == NULL || ++ninputs % 4096 == 0) {
		decoder_free(dec);
		memset(&conf, 0, sizeof(conf));
		conf.max_exporters = 8;
		conf.max_templates = 64;
		conf.template_ttl = 600 * 1000;
		conf.scale = (data[0] & 8) != 0;
		if ((dec = decoder_new(&conf)) == NULL)
			return 0;
	}
	addr_from_v4(&from, 0xc0000200u | (data[0] & 7));
	now += 1000;
	(void)decoder_datagram(dec, &from, 2055, now, data + 1, size - 1,
	    emit, &sum, &d);
	(void)decoder_stats(dec, st, 8);
	if (data[0] & 0x80)
		(void)packet_parse(data + 1, size - 1,
		    (enum packet_link)(1 + (data[0] >> 4 & 7)), &pi);
	return 0;
}
