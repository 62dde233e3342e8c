/*
 * block.c - the in-memory columnar block (see block.h).
 *
 * Every column is a plain malloc'd array of `cap` elements; growth doubles
 * the capacity so appending is amortised O(1). Arrays are grown together so
 * that any column may be indexed by any row below `n`. A block never shrinks
 * until flow_block_free(). Memory: about 170 bytes per row of capacity.
 */
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "store/block.h"

static const char *const col_names[FCOL_COUNT] = {
	"first", "last", "srcip", "dstip", "nexthop", "exporter",
	"packets", "bytes", "srcas", "dstas", "inif", "outif", "sampling",
	"srcport", "dstport", "vlan", "proto", "flags", "tos", "direction",
	"srcmask", "dstmask"
};

void
flow_block_init(struct flow_block *b)
{
	memset(b, 0, sizeof(*b));
}

void
flow_block_free(struct flow_block *b)
{
	if (b == NULL)
		return;
	free(b->first);
	free(b->last);
	free(b->src);
	free(b->dst);
	free(b->nexthop);
	free(b->exporter);
	free(b->packets);
	free(b->bytes);
	free(b->src_as);
	free(b->dst_as);
	free(b->in_if);
	free(b->out_if);
	free(b->sampling);
	free(b->src_port);
	free(b->dst_port);
	free(b->vlan);
	free(b->proto);
	free(b->tcp_flags);
	free(b->tos);
	free(b->direction);
	free(b->src_mask);
	free(b->dst_mask);
	flow_block_init(b);
}

/* Grows one array to `cap` elements of `size` bytes. */
static int
grow(void *pp, size_t cap, size_t size)
{
	void **p = pp;
	void *n;

	if (cap > SIZE_MAX / size)
		return MM_ENOMEM;
	if ((n = realloc(*p, cap * size)) == NULL)
		return MM_ENOMEM;
	*p = n;
	return 0;
}

int
flow_block_reserve(struct flow_block *b, size_t cap)
{
	if (cap <= b->cap)
		return 0;
	if (grow(&b->first, cap, sizeof(*b->first)) ||
	    grow(&b->last, cap, sizeof(*b->last)) ||
	    grow(&b->src, cap, sizeof(*b->src)) ||
	    grow(&b->dst, cap, sizeof(*b->dst)) ||
	    grow(&b->nexthop, cap, sizeof(*b->nexthop)) ||
	    grow(&b->exporter, cap, sizeof(*b->exporter)) ||
	    grow(&b->packets, cap, sizeof(*b->packets)) ||
	    grow(&b->bytes, cap, sizeof(*b->bytes)) ||
	    grow(&b->src_as, cap, sizeof(*b->src_as)) ||
	    grow(&b->dst_as, cap, sizeof(*b->dst_as)) ||
	    grow(&b->in_if, cap, sizeof(*b->in_if)) ||
	    grow(&b->out_if, cap, sizeof(*b->out_if)) ||
	    grow(&b->sampling, cap, sizeof(*b->sampling)) ||
	    grow(&b->src_port, cap, sizeof(*b->src_port)) ||
	    grow(&b->dst_port, cap, sizeof(*b->dst_port)) ||
	    grow(&b->vlan, cap, sizeof(*b->vlan)) ||
	    grow(&b->proto, cap, sizeof(*b->proto)) ||
	    grow(&b->tcp_flags, cap, sizeof(*b->tcp_flags)) ||
	    grow(&b->tos, cap, sizeof(*b->tos)) ||
	    grow(&b->direction, cap, sizeof(*b->direction)) ||
	    grow(&b->src_mask, cap, sizeof(*b->src_mask)) ||
	    grow(&b->dst_mask, cap, sizeof(*b->dst_mask)))
		return MM_ENOMEM;	/* arrays already grown stay valid */
	b->cap = cap;
	return 0;
}

int
flow_block_append(struct flow_block *b, const struct flow *f)
{
	size_t i = b->n;
	int rc;

	if (i == b->cap) {
		rc = flow_block_reserve(b, b->cap < 64 ? 64 : b->cap * 2);
		if (rc != 0)
			return rc;
	}
	b->first[i] = f->first;
	b->last[i] = f->last;
	b->src[i] = f->src;
	b->dst[i] = f->dst;
	b->nexthop[i] = f->nexthop;
	b->exporter[i] = f->exporter;
	b->packets[i] = f->packets;
	b->bytes[i] = f->bytes;
	b->src_as[i] = f->src_as;
	b->dst_as[i] = f->dst_as;
	b->in_if[i] = f->in_if;
	b->out_if[i] = f->out_if;
	b->sampling[i] = f->sampling;
	b->src_port[i] = f->src_port;
	b->dst_port[i] = f->dst_port;
	b->vlan[i] = f->vlan;
	b->proto[i] = f->proto;
	b->tcp_flags[i] = f->tcp_flags;
	b->tos[i] = f->tos;
	b->direction[i] = f->direction;
	b->src_mask[i] = f->src_mask;
	b->dst_mask[i] = f->dst_mask;
	b->n = i + 1;
	return 0;
}

void
flow_block_get(const struct flow_block *b, size_t i, struct flow *f)
{
	f->first = b->first[i];
	f->last = b->last[i];
	f->src = b->src[i];
	f->dst = b->dst[i];
	f->nexthop = b->nexthop[i];
	f->exporter = b->exporter[i];
	f->packets = b->packets[i];
	f->bytes = b->bytes[i];
	f->src_as = b->src_as[i];
	f->dst_as = b->dst_as[i];
	f->in_if = b->in_if[i];
	f->out_if = b->out_if[i];
	f->sampling = b->sampling[i];
	f->src_port = b->src_port[i];
	f->dst_port = b->dst_port[i];
	f->vlan = b->vlan[i];
	f->proto = b->proto[i];
	f->tcp_flags = b->tcp_flags[i];
	f->tos = b->tos[i];
	f->direction = b->direction[i];
	f->src_mask = b->src_mask[i];
	f->dst_mask = b->dst_mask[i];
}

void
flow_block_clear(struct flow_block *b)
{
	b->n = 0;
}

const char *
flow_col_name(enum flow_col c)
{
	if ((unsigned)c >= FCOL_COUNT)
		return "?";
	return col_names[c];
}
