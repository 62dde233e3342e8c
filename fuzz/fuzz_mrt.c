/*
 * fuzz_mrt.c - libFuzzer target for the MRT reader (src/attrib/mrt.c).
 *
 * The input is read as an MRT file through mrt_read_buf(). Beyond "no
 * crash, no sanitizer report" the callback checks what a caller relies on:
 * prefixes have a length within their family and no host bits, an event
 * carries attributes exactly when it is a RIB entry or an announcement,
 * AS path segments lie inside the path array and within the caps, the
 * origin AS is a member of the path, every formatter output is a bounded
 * NUL-terminated string; and afterwards the counters add up to the events
 * seen. Corpus: fuzz/corpus/mrt/ (slices of the shared MRT samples, cut at
 * record boundaries).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "attrib/mrt.h"
#include "core/addr.h"
#include "core/err.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct fz {
	uint64_t	events;
};

static int
check(const struct mrt_route *r, void *arg)
{
	struct fz *f = arg;
	const struct mrt_attrs *a = r->attr;
	struct mm_prefix p;
	char buf[64], big[256];
	size_t i, total = 0;
	int found;

	f->events++;
	if (r->ev != MRT_EV_STATE) {
		if (r->prefix.len > 128)
			abort();
		if (!r->prefix_v6 && r->prefix.len < 96)
			abort();
		p = r->prefix;
		addr_mask(&p.addr, p.len);
		if (memcmp(&p.addr, &r->prefix.addr, sizeof(p.addr)) != 0)
			abort();
	}
	if ((a != NULL) != (r->ev == MRT_EV_RIB || r->ev == MRT_EV_ANNOUNCE))
		abort();
	mrt_addr_fmt(&r->peer, r->peer_v6, big, sizeof(big));
	if (strlen(big) >= ADDR_STRLEN)
		abort();
	if (a == NULL)
		return 0;
	if (a->path_len > MRT_ASPATH_MAX || a->nsegs > MRT_SEGS_MAX ||
	    a->ncommunities > MRT_COMMS_MAX || (a->origin > 2 &&
	    a->origin != MRT_ORIGIN_NONE))
		abort();
	for (i = 0; i < a->nsegs; i++) {
		if ((size_t)a->segs[i].off + a->segs[i].count > a->path_len ||
		    a->segs[i].type < MRT_AS_SET ||
		    a->segs[i].type > MRT_AS_CONFED_SET)
			abort();
		total += a->segs[i].count;
	}
	if (total != a->path_len)
		abort();
	if (a->origin_as != 0) {
		for (i = 0, found = 0; i < a->path_len && !found; i++)
			found = a->path[i] == a->origin_as;
		if (!found)
			abort();
	}
	mrt_aspath_fmt(a, buf, sizeof(buf));
	if (strlen(buf) >= sizeof(buf))
		abort();
	mrt_aspath_fmt(a, big, sizeof(big));
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mrt_stats st;
	struct mm_diag d;
	struct fz f;
	int rc;

	memset(&st, 0, sizeof(st));
	memset(&f, 0, sizeof(f));
	rc = mrt_read_buf(data, size, "fuzz", check, &f, &st, &d);
	if (rc != 0 && rc != MM_EFORMAT)
		abort();
	if (st.ribs + st.announces + st.withdrawals + st.states != f.events)
		abort();
	if (strlen(d.msg) >= sizeof(d.msg))
		abort();
	return 0;
}
