/*
 * fuzz_filter.c - libFuzzer target: the input is a filter expression; it is
 * parsed and, when valid, printed, asked for host hints and evaluated over a
 * small fixed block (IPv4 and IPv6 rows, every column set), both whole and
 * over a sub-range, and the two results are compared.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/addr.h"
#include "query/filter.h"
#include "store/block.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct flow_block blk;
static int ready;

static void
setup(void)
{
	static const char *const addrs[] = {
		"10.0.0.1", "10.0.0.2", "192.168.1.5", "8.8.8.8",
		"2001:db8::1", "2001:db8::2", "0.0.0.0", "::"
	};
	struct flow f;
	size_t i;

	flow_block_init(&blk);
	for (i = 0; i < 40; i++) {
		memset(&f, 0, sizeof(f));
		addr_parse(addrs[i % 8], &f.src);
		addr_parse(addrs[(i * 3 + 1) % 8], &f.dst);
		addr_parse(addrs[(i + 2) % 8], &f.nexthop);
		addr_parse(addrs[(i + 5) % 8], &f.exporter);
		f.first = 1700000000000LL + (mtime_t)i * 1000;
		f.last = f.first + (mtime_t)(i % 5) * 700;
		f.packets = i % 7;
		f.bytes = (uint64_t)i * 1234567;
		f.src_as = (uint32_t)i * 1000;
		f.dst_as = UINT32_MAX - (uint32_t)i;
		f.in_if = (uint32_t)i % 4;
		f.out_if = (uint32_t)i % 3;
		f.src_port = (uint16_t)(i * 2000);
		f.dst_port = (uint16_t)(i % 2 ? 443 : 53);
		f.vlan = (uint16_t)i;
		f.proto = (uint8_t)(i % 3 == 0 ? 6 : i % 3 == 1 ? 17 : 1);
		f.tcp_flags = (uint8_t)(i * 37);
		f.tos = (uint8_t)(i * 8);
		f.sampling = 1;
		if (flow_block_append(&blk, &f) != 0)
			abort();
	}
	ready = 1;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct filter *f = NULL;
	struct mm_diag d;
	struct mm_addr hosts[FILTER_MAXHINTS];
	uint8_t sel[40], sub[40];
	uint32_t idx[40];
	char *s, out[512];
	size_t n, m, i;

	if (!ready)
		setup();
	if (size > 4096)
		return 0;
	if ((s = malloc(size + 1)) == NULL)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	if (filter_parse(s, &f, &d) != 0) {
		/* the error position lies inside the expression */
		if (d.pos < 0 || (size_t)d.pos > strlen(s))
			abort();
		free(s);
		return 0;
	}
	filter_fmt(f, out, sizeof(out));
	(void)filter_hosts(f, hosts, FILTER_MAXHINTS);
	(void)filter_colmask(f);
	n = filter_eval(f, &blk, 0, blk.n, sel);
	m = filter_select(f, &blk, idx);
	if (n != m)
		abort();
	(void)filter_eval(f, &blk, 7, 20, sub);
	for (i = 0; i < 20; i++)
		if (sub[i] != sel[7 + i])
			abort();
	filter_free(f);
	free(s);
	return 0;
}
