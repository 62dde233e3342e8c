/*
 * nfv5.c - Cisco NetFlow v5: a 24-byte header and up to 30 fixed 48-byte
 * records. Times are router uptime in ms, anchored with the header's
 * sysUptime and unix_secs/unix_nsecs; the header's 14-bit sampling interval
 * becomes every flow's rate. The sequence counts flows, keyed by engine
 * type/id. Cost: O(records), no allocation.
 */
#include <string.h>

#include "core/addr.h"
#include "flow/decode_int.h"

#define NFV5_MAX_COUNT	30
#define NFV5_RECLEN	48

int
nfv5_decode(struct dgram *dg, struct cursor *c)
{
	struct flow f;
	struct cursor rc;
	uint32_t uptime, secs, nsecs, seq, v, first, last;
	uint16_t count, samp, in, out, sas, das;
	uint8_t etype, eid, pad, mask;
	size_t i, n;
	int err = 0;

	get_u16(c, &count);
	get_u32(c, &uptime);
	get_u32(c, &secs);
	get_u32(c, &nsecs);
	get_u32(c, &seq);
	get_u8(c, &etype);
	get_u8(c, &eid);
	get_u16(c, &samp);
	if (c->err != 0) {
		dg->exp->st.malformed++;
		return dg_error(dg, MM_ETRUNC, "NetFlow v5 header truncated "
		    "(%zu bytes)", c->len);
	}
	dg->domain = (uint32_t)etype << 8 | eid;
	dg->boot_ms = (int64_t)secs * 1000 + nsecs / 1000000 - uptime;
	dg->export_ms = (int64_t)secs * 1000 + nsecs / 1000000;
	n = count;
	if (count == 0 || count > NFV5_MAX_COUNT) {
		dg->exp->st.malformed++;
		return dg_error(dg, MM_EFORMAT, "NetFlow v5 header: count %u "
		    "(want 1..%d)", count, NFV5_MAX_COUNT);
	}
	if (n * NFV5_RECLEN > cur_left(c)) {
		dg->exp->st.malformed++;
		err = dg_error(dg, MM_ETRUNC, "NetFlow v5: count %u but room "
		    "for %zu records", count, cur_left(c) / NFV5_RECLEN);
		n = cur_left(c) / NFV5_RECLEN;
	}
	dg_seq(dg, seq, count);
	for (i = 0; i < n && dg->stop == 0; i++) {
		memset(&f, 0, sizeof(f));
		if (get_sub(c, NFV5_RECLEN, &rc) != 0)
			break;
		get_u32(&rc, &v);
		addr_from_v4(&f.src, v);
		get_u32(&rc, &v);
		addr_from_v4(&f.dst, v);
		get_u32(&rc, &v);
		addr_from_v4(&f.nexthop, v);
		get_u16(&rc, &in);
		get_u16(&rc, &out);
		f.in_if = in;
		f.out_if = out;
		get_u32(&rc, &v);
		f.packets = v;
		get_u32(&rc, &v);
		f.bytes = v;
		get_u32(&rc, &first);
		get_u32(&rc, &last);
		f.first = dg->boot_ms + first;
		f.last = dg->boot_ms + last;
		get_u16(&rc, &f.src_port);
		get_u16(&rc, &f.dst_port);
		get_u8(&rc, &pad);
		get_u8(&rc, &f.tcp_flags);
		get_u8(&rc, &f.proto);
		get_u8(&rc, &f.tos);
		get_u16(&rc, &sas);
		get_u16(&rc, &das);
		f.src_as = sas;
		f.dst_as = das;
		get_u8(&rc, &mask);
		f.src_mask = mask;
		get_u8(&rc, &mask);
		f.dst_mask = mask;
		if (f.proto == 1)
			f.src_port = 0;
		f.sampling = samp & 0x3fff;
		dg_emit(dg, &f);
	}
	return err;
}
