/*
 * filter.c - nfdump filter language: lexer, recursive-descent parser and a
 * chunked, column-wise evaluator. See filter.h for the grammar.
 *
 * Design. The lexer turns the whole expression into a token array first
 * (each token keeps its start offset so errors can point at it). The parser
 * appends nodes to one growable array and refers to children by index, so
 * freeing is one free() and the tree can be copied or walked without
 * pointers. AND and OR are n-ary (their children sit in one index array):
 * a chain of 10,000 "or"s costs neither parser nor evaluator any recursion
 * depth; only parentheses and "not" nest, up to FILTER_MAXDEPTH. "Either" qualifiers (no src/dst) stay one node with two fields
 * (pair = ANY) rather than an OR of two nodes, which keeps evaluation at one
 * pass and lets filter_hosts() see "host X" as a single address.
 *
 * Evaluation works on chunks of FILTER_CHUNK rows. A node writes one byte
 * per row (0/1) into a caller buffer; AND/OR/NOT combine child buffers with
 * byte loops the compiler vectorises, and AND stops at the first child
 * that leaves nothing selected in the chunk. Numeric leaves first widen their
 * column into a uint64_t buffer and then compare with the operator fixed
 * outside the loop. Stack use is one chunk buffer per nesting level, bounded
 * by FILTER_MAXDEPTH.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/addr.h"
#include "core/err.h"
#include "query/filter.h"

enum tok_type {
	T_EOF, T_WORD, T_LP, T_RP, T_LB, T_RB, T_COMMA, T_AND, T_OR, T_NOT,
	T_CMP
};

struct token {
	int		 type;
	int		 op;		/* T_CMP */
	long		 pos;
	size_t		 len;
	const char	*s;
};

struct filter {
	struct fnode	*nodes;
	size_t		 nnodes, capnodes;
	struct mm_addr	*addrs;
	size_t		 naddrs, capaddrs;
	uint64_t	*nums;
	size_t		 nnums, capnums;
	int		*kids;		/* children of AND/OR nodes */
	size_t		 nkids, capkids;
	int		 root;
	uint32_t	 colmask;
};

struct parser {
	const char	*src;
	struct token	*toks;
	size_t		 ntoks, i;
	struct filter	*f;
	struct mm_diag	*diag;
	int		 depth;
	int		 err;
};

/* ---- lexer ---- */

static int
is_wordch(int c)
{
	return isalnum(c) || c == '.' || c == ':' || c == '/' || c == '-' ||
	    c == '_';
}

static int
lex(const char *s, struct token **out, size_t *nout, struct mm_diag *diag)
{
	struct token *t = NULL, *nt;
	size_t n = 0, cap = 0, i = 0, len = strlen(s);
	int rc = 0;

	for (;;) {
		struct token tk;

		while (i < len && isspace((unsigned char)s[i]))
			i++;
		memset(&tk, 0, sizeof(tk));
		tk.pos = (long)i;
		tk.s = s + i;
		if (i >= len) {
			tk.type = T_EOF;
		} else {
			char c = s[i], d = i + 1 < len ? s[i + 1] : '\0';

			tk.len = 1;
			if (c == '(')
				tk.type = T_LP;
			else if (c == ')')
				tk.type = T_RP;
			else if (c == '[')
				tk.type = T_LB;
			else if (c == ']')
				tk.type = T_RB;
			else if (c == ',')
				tk.type = T_COMMA;
			else if (c == '&' && d == '&')
				tk.type = T_AND, tk.len = 2;
			else if (c == '|' && d == '|')
				tk.type = T_OR, tk.len = 2;
			else if (c == '!' && d == '=')
				tk.type = T_CMP, tk.op = FOP_NE, tk.len = 2;
			else if (c == '!')
				tk.type = T_NOT;
			else if (c == '=')
				tk.type = T_CMP, tk.op = FOP_EQ,
				    tk.len = d == '=' ? 2 : 1;
			else if (c == '<')
				tk.type = T_CMP, tk.op = d == '=' ? FOP_LE :
				    FOP_LT, tk.len = d == '=' ? 2 : 1;
			else if (c == '>')
				tk.type = T_CMP, tk.op = d == '=' ? FOP_GE :
				    FOP_GT, tk.len = d == '=' ? 2 : 1;
			else if (is_wordch((unsigned char)c)) {
				tk.type = T_WORD;
				while (i + tk.len < len &&
				    is_wordch((unsigned char)s[i + tk.len]))
					tk.len++;
			} else {
				rc = mm_diag_set(diag, MM_ESYNTAX,
				    "unexpected character '%c'", c);
				if (diag != NULL)
					diag->pos = (long)i;
				goto out;
			}
		}
		if (n == cap) {
			cap = cap ? cap * 2 : 32;
			if ((nt = realloc(t, cap * sizeof(*t))) == NULL) {
				rc = mm_diag_set(diag, MM_ENOMEM, "out of memory");
				goto out;
			}
			t = nt;
		}
		t[n++] = tk;
		if (tk.type == T_EOF)
			break;
		i += tk.len;
	}
out:
	if (rc != 0) {
		free(t);
		t = NULL;
		n = 0;
	}
	*out = t;
	*nout = n;
	return rc;
}

/* ---- parser helpers ---- */

static const struct token *
peek(struct parser *p, size_t ahead)
{
	size_t k = p->i + ahead;

	return &p->toks[k < p->ntoks ? k : p->ntoks - 1];
}

static int
tok_is(const struct token *t, const char *kw)
{
	size_t n = strlen(kw);

	return t->type == T_WORD && t->len == n &&
	    strncasecmp(t->s, kw, n) == 0;
}

static int
perr(struct parser *p, const struct token *t, const char *fmt, const char *a)
{
	char what[40];
	size_t n;

	if (p->err != 0)
		return p->err;
	if (t->type == T_EOF)
		snprintf(what, sizeof(what), "end of expression");
	else {
		n = t->len < 24 ? t->len : 24;
		snprintf(what, sizeof(what), "'%.*s'", (int)n, t->s);
	}
	if (p->diag != NULL) {
		char m[160];

		snprintf(m, sizeof(m), fmt, a != NULL ? a : "");
		mm_diag_set(p->diag, MM_ESYNTAX, "%s at %s", m, what);
		p->diag->pos = t->pos;
	}
	p->err = MM_ESYNTAX;
	return p->err;
}

static int
node_new(struct parser *p, int type, long pos)
{
	struct filter *f = p->f;
	struct fnode *nn;

	if (f->nnodes == f->capnodes) {
		size_t cap = f->capnodes ? f->capnodes * 2 : 16;

		if ((nn = realloc(f->nodes, cap * sizeof(*nn))) == NULL) {
			p->err = mm_diag_set(p->diag, MM_ENOMEM,
			    "out of memory");
			return -1;
		}
		f->nodes = nn;
		f->capnodes = cap;
	}
	nn = &f->nodes[f->nnodes];
	memset(nn, 0, sizeof(*nn));
	nn->type = (uint8_t)type;
	nn->l = nn->r = -1;
	nn->pos = pos;
	return (int)f->nnodes++;
}

static int
node_bin(struct parser *p, int type, int l, int r, long pos)
{
	int k;

	if ((k = node_new(p, type, pos)) < 0)
		return -1;
	p->f->nodes[k].l = l;
	p->f->nodes[k].r = r;
	return k;
}

/* Parses an unsigned number with optional k/m/g suffix (x1000). */
static int
parse_num(const struct token *t, uint64_t *v)
{
	uint64_t x = 0, mul = 1;
	size_t i;

	if (t->type != T_WORD || t->len == 0 ||
	    !isdigit((unsigned char)t->s[0]))
		return -1;
	for (i = 0; i < t->len && isdigit((unsigned char)t->s[i]); i++) {
		unsigned d = (unsigned)(t->s[i] - '0');

		if (x > (UINT64_MAX - d) / 10)
			return -1;
		x = x * 10 + d;
	}
	if (i < t->len) {
		if (i + 1 != t->len)
			return -1;
		switch (tolower((unsigned char)t->s[i])) {
		case 'k': mul = 1000ULL; break;
		case 'm': mul = 1000000ULL; break;
		case 'g': mul = 1000000000ULL; break;
		default: return -1;
		}
		if (x > UINT64_MAX / mul)
			return -1;
	}
	*v = x * mul;
	return 0;
}

static int
tok_str(const struct token *t, char *buf, size_t len)
{
	if (t->type != T_WORD || t->len >= len)
		return -1;
	memcpy(buf, t->s, t->len);
	buf[t->len] = '\0';
	return 0;
}

static void
addr_words(const struct mm_addr *a, uint64_t *hi, uint64_t *lo)
{
	memcpy(hi, a->b, 8);
	memcpy(lo, a->b + 8, 8);
}

static void
node_set_prefix(struct fnode *n, const struct mm_addr *a, unsigned plen)
{
	struct mm_addr m;

	memset(&m, 0xff, sizeof(m));
	addr_mask(&m, plen);
	n->addr = *a;
	addr_mask(&n->addr, plen);
	n->plen = (uint8_t)plen;
	addr_words(&n->addr, &n->ahi, &n->alo);
	addr_words(&m, &n->mhi, &n->mlo);
}

static int
parse_cmp(struct parser *p)
{
	const struct token *t = peek(p, 0);
	static const struct { const char *w; int op; } words[] = {
		{ "eq", FOP_EQ }, { "ne", FOP_NE }, { "gt", FOP_GT },
		{ "lt", FOP_LT }, { "ge", FOP_GE }, { "le", FOP_LE }
	};
	size_t i;

	if (t->type == T_CMP) {
		p->i++;
		return t->op;
	}
	for (i = 0; i < sizeof(words) / sizeof(words[0]); i++)
		if (tok_is(t, words[i].w)) {
			p->i++;
			return words[i].op;
		}
	return FOP_EQ;
}

static int
numset_add(struct parser *p, uint64_t v)
{
	struct filter *f = p->f;
	uint64_t *nn;

	if (f->nnums == f->capnums) {
		size_t cap = f->capnums ? f->capnums * 2 : 16;

		if ((nn = realloc(f->nums, cap * sizeof(*nn))) == NULL)
			return p->err = MM_ENOMEM;
		f->nums = nn;
		f->capnums = cap;
	}
	f->nums[f->nnums++] = v;
	return 0;
}

static int
addrset_add(struct parser *p, const struct mm_addr *a)
{
	struct filter *f = p->f;
	struct mm_addr *nn;

	if (f->naddrs == f->capaddrs) {
		size_t cap = f->capaddrs ? f->capaddrs * 2 : 16;

		if ((nn = realloc(f->addrs, cap * sizeof(*nn))) == NULL)
			return p->err = MM_ENOMEM;
		f->addrs = nn;
		f->capaddrs = cap;
	}
	f->addrs[f->naddrs++] = *a;
	return 0;
}

static int
cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static int
cmp_addr(const void *a, const void *b)
{
	return memcmp(a, b, 16);
}

/* "[" item { [","] item } "]" -> a sorted, deduplicated set. */
static int
parse_set(struct parser *p, int is_addr, uint64_t maxv, size_t *off,
    size_t *n)
{
	const struct token *t;
	size_t start = is_addr ? p->f->naddrs : p->f->nnums, k, w;

	if (peek(p, 0)->type != T_LB)
		return perr(p, peek(p, 0), "expected '['%s", NULL);
	p->i++;
	for (;;) {
		t = peek(p, 0);
		if (t->type == T_RB)
			break;
		if (t->type == T_COMMA) {
			p->i++;
			continue;
		}
		if (is_addr) {
			char buf[64];
			struct mm_addr a;

			if (tok_str(t, buf, sizeof(buf)) != 0 ||
			    addr_parse(buf, &a) != 0)
				return perr(p, t, "expected an address%s",
				    NULL);
			if (addrset_add(p, &a) != 0)
				return p->err;
		} else {
			uint64_t v;

			if (parse_num(t, &v) != 0 || v > maxv)
				return perr(p, t, "expected a number%s", NULL);
			if (numset_add(p, v) != 0)
				return p->err;
		}
		p->i++;
	}
	if ((is_addr ? p->f->naddrs : p->f->nnums) == start)
		return perr(p, t, "empty list%s", NULL);
	p->i++;
	if (is_addr) {
		struct mm_addr *s = p->f->addrs + start;

		k = p->f->naddrs - start;
		qsort(s, k, sizeof(*s), cmp_addr);
		for (w = 1, *n = k ? 1 : 0; w < k; w++)
			if (memcmp(&s[w], &s[*n - 1], 16) != 0)
				s[(*n)++] = s[w];
		p->f->naddrs = start + *n;
	} else {
		uint64_t *s = p->f->nums + start;

		k = p->f->nnums - start;
		qsort(s, k, sizeof(*s), cmp_u64);
		for (w = 1, *n = k ? 1 : 0; w < k; w++)
			if (s[w] != s[*n - 1])
				s[(*n)++] = s[w];
		p->f->nnums = start + *n;
	}
	*off = start;
	return 0;
}

/* Optional direction qualifier. Returns 0 none, 1 src, 2 dst, 3 src or
 * dst, 4 src and dst. */
static int
parse_dir(struct parser *p)
{
	const struct token *t = peek(p, 0);
	int d;

	if (tok_is(t, "src"))
		d = 1;
	else if (tok_is(t, "dst"))
		d = 2;
	else
		return 0;
	p->i++;
	if (d == 1 && (tok_is(peek(p, 0), "or") || peek(p, 0)->type == T_OR) &&
	    tok_is(peek(p, 1), "dst")) {
		p->i += 2;
		return 3;
	}
	if (d == 1 && (tok_is(peek(p, 0), "and") ||
	    peek(p, 0)->type == T_AND) && tok_is(peek(p, 1), "dst")) {
		p->i += 2;
		return 4;
	}
	return d;
}

static void
set_pair(struct fnode *n, int dir, int fsrc, int fdst)
{
	switch (dir) {
	case 1:
		n->pair = FPAIR_ONE, n->field = (uint8_t)fsrc;
		break;
	case 2:
		n->pair = FPAIR_ONE, n->field = (uint8_t)fdst;
		break;
	case 4:
		n->pair = FPAIR_ALL, n->field = (uint8_t)fsrc,
		    n->field2 = (uint8_t)fdst;
		break;
	default:
		n->pair = FPAIR_ANY, n->field = (uint8_t)fsrc,
		    n->field2 = (uint8_t)fdst;
		break;
	}
}

/* ADDR or "in [..]" on one or two address fields. */
static int
parse_addr_prim(struct parser *p, int dir, int fa, int fb, long pos,
    int allow_set)
{
	const struct token *t = peek(p, 0);
	char buf[64];
	struct mm_addr a;
	int k;

	if (allow_set && tok_is(t, "in")) {
		size_t off, n;

		p->i++;
		if (parse_set(p, 1, 0, &off, &n) != 0)
			return -1;
		if ((k = node_new(p, FN_ADDRSET, pos)) < 0)
			return -1;
		set_pair(&p->f->nodes[k], dir, fa, fb);
		p->f->nodes[k].set_off = off;
		p->f->nodes[k].set_n = n;
		return k;
	}
	if (tok_str(t, buf, sizeof(buf)) != 0 || addr_parse(buf, &a) != 0) {
		perr(p, t, "expected an IP address%s", NULL);
		return -1;
	}
	p->i++;
	if ((k = node_new(p, FN_ADDR, pos)) < 0)
		return -1;
	set_pair(&p->f->nodes[k], dir, fa, fb);
	node_set_prefix(&p->f->nodes[k], &a, 128);
	return k;
}

static int
mask_len(const struct mm_addr *m, unsigned *len)
{
	unsigned i, bits = 0;
	int seen0 = 0;

	for (i = 0; i < 128; i++) {
		int bit = (m->b[i / 8] >> (7 - i % 8)) & 1;

		if (bit && seen0)
			return -1;
		if (bit)
			bits++;
		else
			seen0 = 1;
	}
	*len = bits;
	return 0;
}

static int
parse_net(struct parser *p, int dir, long pos)
{
	const struct token *t = peek(p, 0);
	char buf[80];
	struct mm_prefix pf;
	int k;

	if (tok_str(t, buf, sizeof(buf)) != 0) {
		perr(p, t, "expected a prefix%s", NULL);
		return -1;
	}
	if (strchr(buf, '/') == NULL) {
		struct mm_addr a, m;
		char mb[64];
		unsigned len;

		if (addr_parse(buf, &a) != 0) {
			perr(p, t, "expected a prefix%s", NULL);
			return -1;
		}
		p->i++;
		t = peek(p, 0);
		if (tok_str(t, mb, sizeof(mb)) != 0 || addr_parse(mb, &m) != 0 ||
		    addr_is_v4(&a) != addr_is_v4(&m)) {
			perr(p, t, "expected '/len' or a netmask%s", NULL);
			return -1;
		}
		if (addr_is_v4(&m)) {
			memset(m.b, 0xff, 12);
		}
		if (mask_len(&m, &len) != 0) {
			perr(p, t, "netmask is not contiguous%s", NULL);
			return -1;
		}
		pf.addr = a;
		pf.len = (uint8_t)len;
	} else if (prefix_parse(buf, &pf) != 0) {
		perr(p, t, "expected a prefix%s", NULL);
		return -1;
	}
	p->i++;
	if ((k = node_new(p, FN_ADDR, pos)) < 0)
		return -1;
	set_pair(&p->f->nodes[k], dir, FA_SRC, FA_DST);
	node_set_prefix(&p->f->nodes[k], &pf.addr, pf.len);
	return k;
}

static uint64_t
field_max(int field)
{
	switch (field) {
	case FF_SRCPORT: case FF_DSTPORT: case FF_VLAN:
		return 65535;
	case FF_PROTO: case FF_TOS: case FF_FLAGS:
		return 255;
	case FF_SRCAS: case FF_DSTAS: case FF_INIF: case FF_OUTIF:
		return UINT32_MAX;
	default:
		return UINT64_MAX;
	}
}

/* [cmp] N, or "in [..]" when allowed, on one or two numeric fields. */
static int
parse_num_prim(struct parser *p, int dir, int fa, int fb, long pos,
    int allow_set)
{
	const struct token *t;
	uint64_t v;
	int k, op;

	if (allow_set && tok_is(peek(p, 0), "in")) {
		size_t off, n;

		p->i++;
		if (parse_set(p, 0, field_max(fa), &off, &n) != 0)
			return -1;
		if ((k = node_new(p, FN_NUMSET, pos)) < 0)
			return -1;
		set_pair(&p->f->nodes[k], dir, fa, fb);
		p->f->nodes[k].set_off = off;
		p->f->nodes[k].set_n = n;
		return k;
	}
	op = parse_cmp(p);
	t = peek(p, 0);
	if (parse_num(t, &v) != 0) {
		perr(p, t, "expected a number%s", NULL);
		return -1;
	}
	if (v > field_max(fa)) {
		perr(p, t, "number out of range%s", NULL);
		return -1;
	}
	p->i++;
	if ((k = node_new(p, FN_NUM, pos)) < 0)
		return -1;
	set_pair(&p->f->nodes[k], dir, fa, fb);
	p->f->nodes[k].op = (uint8_t)op;
	p->f->nodes[k].val = v;
	return k;
}

static const struct {
	const char	*name;
	int		 proto;
} protos[] = {
	{ "icmp", 1 }, { "igmp", 2 }, { "tcp", 6 }, { "udp", 17 },
	{ "gre", 47 }, { "esp", 50 }, { "ah", 51 }, { "icmp6", 58 },
	{ "ipv6-icmp", 58 }, { "ospf", 89 }, { "pim", 103 }, { "sctp", 132 }
};

static int
proto_lookup(const struct token *t)
{
	size_t i;

	for (i = 0; i < sizeof(protos) / sizeof(protos[0]); i++)
		if (tok_is(t, protos[i].name))
			return protos[i].proto;
	return -1;
}

static int
proto_node(struct parser *p, int proto, long pos)
{
	int k;

	if ((k = node_new(p, FN_NUM, pos)) < 0)
		return -1;
	p->f->nodes[k].field = FF_PROTO;
	p->f->nodes[k].op = FOP_EQ;
	p->f->nodes[k].val = (uint64_t)proto;
	return k;
}

static int
parse_flags(struct parser *p, long pos)
{
	const struct token *t = peek(p, 0);
	uint64_t mask = 0;
	size_t i;
	int k;

	if (t->type != T_WORD) {
		perr(p, t, "expected TCP flag letters%s", NULL);
		return -1;
	}
	if (isdigit((unsigned char)t->s[0])) {
		if (parse_num(t, &mask) != 0 || mask > 255) {
			perr(p, t, "expected TCP flag letters%s", NULL);
			return -1;
		}
	} else
		for (i = 0; i < t->len; i++) {
			switch (toupper((unsigned char)t->s[i])) {
			case 'F': mask |= 0x01; break;
			case 'S': mask |= 0x02; break;
			case 'R': mask |= 0x04; break;
			case 'P': mask |= 0x08; break;
			case 'A': mask |= 0x10; break;
			case 'U': mask |= 0x20; break;
			case 'E': mask |= 0x40; break;
			case 'C': mask |= 0x80; break;
			case 'X': mask |= 0x3f; break;
			default:
				perr(p, t, "unknown TCP flag letter%s", NULL);
				return -1;
			}
		}
	p->i++;
	if ((k = node_new(p, FN_FLAGS, pos)) < 0)
		return -1;
	p->f->nodes[k].field = FF_FLAGS;
	p->f->nodes[k].val = mask;
	return k;
}

static int parse_expr(struct parser *);

static int
parse_prim(struct parser *p)
{
	const struct token *t = peek(p, 0);
	long pos = t->pos;
	int dir, k, proto;
	static const struct {
		const char *kw;
		int field;
	} numkw[] = {
		{ "tos", FF_TOS }, { "vlan", FF_VLAN },
		{ "packets", FF_PACKETS }, { "bytes", FF_BYTES },
		{ "duration", FF_DURATION }, { "bps", FF_BPS },
		{ "pps", FF_PPS }, { "bpp", FF_BPP }
	};
	size_t i;

	if (t->type != T_WORD) {
		perr(p, t, "expected a filter primitive%s", NULL);
		return -1;
	}
	if (tok_is(t, "any")) {
		p->i++;
		return node_new(p, FN_ANY, pos);
	}
	if (tok_is(t, "inet") || tok_is(t, "ipv4") || tok_is(t, "inet6") ||
	    tok_is(t, "ipv6")) {
		p->i++;
		if ((k = node_new(p, FN_FAMILY, pos)) < 0)
			return -1;
		p->f->nodes[k].val = (tok_is(t, "inet") ||
		    tok_is(t, "ipv4")) ? 4 : 6;
		return k;
	}
	if (tok_is(t, "proto")) {
		p->i++;
		t = peek(p, 0);
		if ((proto = proto_lookup(t)) < 0) {
			uint64_t v;

			if (parse_num(t, &v) != 0 || v > 255) {
				perr(p, t, "expected a protocol name or "
				    "number%s", NULL);
				return -1;
			}
			proto = (int)v;
		}
		p->i++;
		return proto_node(p, proto, pos);
	}
	if ((proto = proto_lookup(t)) >= 0) {
		p->i++;
		return proto_node(p, proto, pos);
	}
	if (tok_is(t, "flags")) {
		p->i++;
		return parse_flags(p, pos);
	}
	for (i = 0; i < sizeof(numkw) / sizeof(numkw[0]); i++)
		if (tok_is(t, numkw[i].kw)) {
			p->i++;
			return parse_num_prim(p, 1, numkw[i].field,
			    numkw[i].field, pos, 0);
		}
	if (tok_is(t, "in") || tok_is(t, "out") || tok_is(t, "if")) {
		dir = tok_is(t, "in") ? 1 : tok_is(t, "out") ? 2 : 0;
		if (dir != 0) {
			p->i++;
			if (!tok_is(peek(p, 0), "if")) {
				perr(p, peek(p, 0), "expected 'if'%s", NULL);
				return -1;
			}
		}
		p->i++;
		return parse_num_prim(p, dir, FF_INIF, FF_OUTIF, pos, 1);
	}
	if (tok_is(t, "next") || tok_is(t, "nexthop")) {
		p->i++;
		if (tok_is(peek(p, 0), "ip") || tok_is(peek(p, 0), "hop"))
			p->i++;
		return parse_addr_prim(p, 1, FA_NEXTHOP, FA_NEXTHOP, pos, 0);
	}
	if (tok_is(t, "router") || tok_is(t, "exporter")) {
		p->i++;
		if (tok_is(peek(p, 0), "ip"))
			p->i++;
		else if (tok_is(t, "router")) {
			perr(p, peek(p, 0), "expected 'ip'%s", NULL);
			return -1;
		}
		return parse_addr_prim(p, 1, FA_EXPORTER, FA_EXPORTER, pos, 0);
	}
	dir = parse_dir(p);
	t = peek(p, 0);
	if (tok_is(t, "host") || tok_is(t, "ip")) {
		p->i++;
		return parse_addr_prim(p, dir, FA_SRC, FA_DST, pos, 1);
	}
	if (tok_is(t, "net")) {
		p->i++;
		return parse_net(p, dir, pos);
	}
	if (tok_is(t, "port")) {
		p->i++;
		return parse_num_prim(p, dir, FF_SRCPORT, FF_DSTPORT, pos, 1);
	}
	if (tok_is(t, "as")) {
		p->i++;
		return parse_num_prim(p, dir, FF_SRCAS, FF_DSTAS, pos, 1);
	}
	if (dir != 0)
		perr(p, t, "expected host, ip, net, port or as%s", NULL);
	else
		perr(p, t, "unknown keyword%s", NULL);
	return -1;
}

static int
parse_factor(struct parser *p)
{
	const struct token *t = peek(p, 0);
	int k, c;

	if (++p->depth > FILTER_MAXDEPTH) {
		if (p->err == 0) {
			p->err = mm_diag_set(p->diag, MM_ESYNTAX,
			    "expression nested too deeply");
			if (p->diag != NULL)
				p->diag->pos = t->pos;
		}
		return -1;
	}
	if (t->type == T_NOT || tok_is(t, "not")) {
		p->i++;
		if ((c = parse_factor(p)) < 0)
			return -1;
		k = node_bin(p, FN_NOT, c, -1, t->pos);
	} else if (t->type == T_LP) {
		p->i++;
		if ((k = parse_expr(p)) < 0)
			return -1;
		if (peek(p, 0)->type != T_RP) {
			perr(p, peek(p, 0), "expected ')'%s", NULL);
			return -1;
		}
		p->i++;
	} else
		k = parse_prim(p);
	p->depth--;
	return k;
}

/* Appends an n-ary AND/OR node over list[0..n). */
static int
node_nary(struct parser *p, int type, const int *list, size_t n, long pos)
{
	struct filter *f = p->f;
	int *nk, k;

	if (n == 1)
		return list[0];
	if (f->nkids + n > f->capkids) {
		size_t cap = f->capkids ? f->capkids : 16;

		while (cap < f->nkids + n)
			cap *= 2;
		if ((nk = realloc(f->kids, cap * sizeof(*nk))) == NULL) {
			p->err = mm_diag_set(p->diag, MM_ENOMEM,
			    "out of memory");
			return -1;
		}
		f->kids = nk;
		f->capkids = cap;
	}
	if ((k = node_new(p, type, pos)) < 0)
		return -1;
	memcpy(f->kids + f->nkids, list, n * sizeof(*list));
	f->nodes[k].set_off = f->nkids;
	f->nodes[k].set_n = n;
	f->nkids += n;
	return k;
}

/* operand { OP operand }, collected flat so that long chains cost no
 * recursion depth in the parser or the evaluator. */
static int
parse_chain(struct parser *p, int type)
{
	const struct token *t;
	int *list = NULL, *nl, k = -1, c;
	size_t n = 0, cap = 0;
	long pos = peek(p, 0)->pos;

	for (;;) {
		c = type == FN_AND ? parse_factor(p) : parse_chain(p, FN_AND);
		if (c < 0)
			goto out;
		if (n == cap) {
			cap = cap ? cap * 2 : 8;
			if ((nl = realloc(list, cap * sizeof(*nl))) == NULL) {
				p->err = mm_diag_set(p->diag, MM_ENOMEM,
				    "out of memory");
				goto out;
			}
			list = nl;
		}
		list[n++] = c;
		t = peek(p, 0);
		if (type == FN_AND ? (t->type != T_AND && !tok_is(t, "and")) :
		    (t->type != T_OR && !tok_is(t, "or")))
			break;
		p->i++;
	}
	k = node_nary(p, type, list, n, pos);
out:
	free(list);
	return k;
}

static int
parse_expr(struct parser *p)
{
	return parse_chain(p, FN_OR);
}

static uint32_t
addr_col(int fa)
{
	switch (fa) {
	case FA_SRC: return FCOL_BIT(FCOL_SRC);
	case FA_DST: return FCOL_BIT(FCOL_DST);
	case FA_NEXTHOP: return FCOL_BIT(FCOL_NEXTHOP);
	default: return FCOL_BIT(FCOL_EXPORTER);
	}
}

static uint32_t
num_col(int ff)
{
	switch (ff) {
	case FF_SRCPORT: return FCOL_BIT(FCOL_SRC_PORT);
	case FF_DSTPORT: return FCOL_BIT(FCOL_DST_PORT);
	case FF_PROTO: return FCOL_BIT(FCOL_PROTO);
	case FF_SRCAS: return FCOL_BIT(FCOL_SRC_AS);
	case FF_DSTAS: return FCOL_BIT(FCOL_DST_AS);
	case FF_INIF: return FCOL_BIT(FCOL_IN_IF);
	case FF_OUTIF: return FCOL_BIT(FCOL_OUT_IF);
	case FF_TOS: return FCOL_BIT(FCOL_TOS);
	case FF_VLAN: return FCOL_BIT(FCOL_VLAN);
	case FF_PACKETS: return FCOL_BIT(FCOL_PACKETS);
	case FF_BYTES: return FCOL_BIT(FCOL_BYTES);
	case FF_DURATION:
		return FCOL_BIT(FCOL_FIRST) | FCOL_BIT(FCOL_LAST);
	case FF_BPS: case FF_PPS:
		return FCOL_BIT(FCOL_FIRST) | FCOL_BIT(FCOL_LAST) |
		    FCOL_BIT(ff == FF_BPS ? FCOL_BYTES : FCOL_PACKETS);
	case FF_BPP:
		return FCOL_BIT(FCOL_BYTES) | FCOL_BIT(FCOL_PACKETS);
	default: return FCOL_BIT(FCOL_TCP_FLAGS);
	}
}

int
filter_parse(const char *expr, struct filter **out, struct mm_diag *diag)
{
	struct parser p;
	struct filter *f = NULL;
	size_t i, len;
	int rc = 0;

	*out = NULL;
	memset(&p, 0, sizeof(p));
	mm_diag_clear(diag);
	if (expr == NULL)
		expr = "";
	if ((len = strlen(expr)) > FILTER_MAXLEN) {
		rc = mm_diag_set(diag, MM_ELIMIT,
		    "filter longer than %d characters", FILTER_MAXLEN);
		if (diag != NULL)
			diag->pos = FILTER_MAXLEN;
		goto out;
	}
	if ((f = calloc(1, sizeof(*f))) == NULL) {
		rc = mm_diag_set(diag, MM_ENOMEM, "out of memory");
		goto out;
	}
	if ((rc = lex(expr, &p.toks, &p.ntoks, diag)) != 0)
		goto out;
	p.src = expr;
	p.f = f;
	p.diag = diag;
	if (p.toks[0].type == T_EOF)
		f->root = node_new(&p, FN_ANY, 0);
	else {
		f->root = parse_expr(&p);
		if (f->root >= 0 && peek(&p, 0)->type != T_EOF)
			perr(&p, peek(&p, 0), "expected 'and', 'or' or end%s",
			    NULL);
	}
	if (p.err != 0 || f->root < 0) {
		rc = p.err != 0 ? p.err : MM_ESYNTAX;
		goto out;
	}
	for (i = 0; i < f->nnodes; i++) {
		const struct fnode *n = &f->nodes[i];

		switch (n->type) {
		case FN_ADDR: case FN_ADDRSET:
			f->colmask |= addr_col(n->field);
			if (n->pair != FPAIR_ONE)
				f->colmask |= addr_col(n->field2);
			break;
		case FN_NUM: case FN_NUMSET: case FN_FLAGS:
			f->colmask |= num_col(n->field);
			if (n->pair != FPAIR_ONE)
				f->colmask |= num_col(n->field2);
			break;
		case FN_FAMILY:
			f->colmask |= FCOL_BIT(FCOL_SRC) | FCOL_BIT(FCOL_DST);
			break;
		}
	}
out:
	free(p.toks);
	if (rc != 0) {
		filter_free(f);
		f = NULL;
	}
	*out = f;
	return rc;
}

void
filter_free(struct filter *f)
{
	if (f == NULL)
		return;
	free(f->nodes);
	free(f->addrs);
	free(f->nums);
	free(f->kids);
	free(f);
}

uint32_t
filter_colmask(const struct filter *f)
{
	return f->colmask;
}

int
filter_is_any(const struct filter *f)
{
	return f->nodes[f->root].type == FN_ANY;
}

/* Collects the host disjunction under node k: returns count or -1. */
static long
hosts_or(const struct filter *f, int k, struct mm_addr *a, size_t max)
{
	const struct fnode *n = &f->nodes[k];
	long x, y;
	size_t i;

	if (n->type == FN_OR) {
		for (i = 0, x = 0; i < n->set_n; i++) {
			y = hosts_or(f, f->kids[n->set_off + i], a + x,
			    max - (size_t)x);
			if (y < 0)
				return -1;
			x += y;
		}
		return x;
	}
	if ((n->type == FN_ADDR && n->plen == 128) && n->field != FA_NEXTHOP &&
	    n->field != FA_EXPORTER) {
		if (max < 1)
			return -1;
		a[0] = n->addr;
		return 1;
	}
	if (n->type == FN_ADDRSET && n->field != FA_NEXTHOP &&
	    n->field != FA_EXPORTER) {
		if (max < n->set_n)
			return -1;
		for (i = 0; i < n->set_n; i++)
			a[i] = f->addrs[n->set_off + i];
		return (long)n->set_n;
	}
	return -1;
}

/* Walks top-level ANDs for the first node that yields a host set. */
static long
hosts_and(const struct filter *f, int k, struct mm_addr *a, size_t max)
{
	const struct fnode *n = &f->nodes[k];
	size_t i;
	long x;

	if (n->type == FN_AND) {
		for (i = 0; i < n->set_n; i++)
			if ((x = hosts_and(f, f->kids[n->set_off + i], a,
			    max)) > 0)
				return x;
		return 0;
	}
	x = hosts_or(f, k, a, max);
	return x < 0 ? 0 : x;
}

size_t
filter_hosts(const struct filter *f, struct mm_addr *a, size_t max)
{
	return (size_t)hosts_and(f, f->root, a, max);
}

/* ---- evaluation ---- */

static inline int
addr_in(const struct mm_addr *set, size_t n, const struct mm_addr *a)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		int c = memcmp(set[mid].b, a->b, 16);

		if (c == 0)
			return 1;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return 0;
}

static inline int
num_in(const uint64_t *set, size_t n, uint64_t v)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;

		if (set[mid] == v)
			return 1;
		if (set[mid] < v)
			lo = mid + 1;
		else
			hi = mid;
	}
	return 0;
}

static const struct mm_addr *
addr_column(const struct flow_block *b, int fa)
{
	switch (fa) {
	case FA_SRC: return b->src;
	case FA_DST: return b->dst;
	case FA_NEXTHOP: return b->nexthop;
	default: return b->exporter;
	}
}

static void
eval_addr1(const struct fnode *nd, const struct filter *f,
    const struct mm_addr *col, size_t n, uint8_t *out)
{
	size_t i;

	if (nd->type == FN_ADDRSET) {
		const struct mm_addr *set = f->addrs + nd->set_off;

		for (i = 0; i < n; i++)
			out[i] = (uint8_t)addr_in(set, nd->set_n, &col[i]);
		return;
	}
	for (i = 0; i < n; i++) {
		uint64_t hi, lo;

		memcpy(&hi, col[i].b, 8);
		memcpy(&lo, col[i].b + 8, 8);
		out[i] = (uint8_t)(((hi & nd->mhi) == nd->ahi) &
		    ((lo & nd->mlo) == nd->alo));
	}
}

/* Widens field `ff` of rows [from, from+n) into v. */
static void
fetch_num(const struct flow_block *b, int ff, size_t from, size_t n,
    uint64_t *v)
{
	size_t i;

#define WIDEN(col) for (i = 0; i < n; i++) v[i] = (uint64_t)(col)[from + i]
	switch (ff) {
	case FF_SRCPORT: WIDEN(b->src_port); break;
	case FF_DSTPORT: WIDEN(b->dst_port); break;
	case FF_PROTO: WIDEN(b->proto); break;
	case FF_SRCAS: WIDEN(b->src_as); break;
	case FF_DSTAS: WIDEN(b->dst_as); break;
	case FF_INIF: WIDEN(b->in_if); break;
	case FF_OUTIF: WIDEN(b->out_if); break;
	case FF_TOS: WIDEN(b->tos); break;
	case FF_VLAN: WIDEN(b->vlan); break;
	case FF_PACKETS: WIDEN(b->packets); break;
	case FF_BYTES: WIDEN(b->bytes); break;
	case FF_FLAGS: WIDEN(b->tcp_flags); break;
	case FF_DURATION:
		for (i = 0; i < n; i++) {
			mtime_t d = b->last[from + i] - b->first[from + i];

			v[i] = d > 0 ? (uint64_t)d : 0;
		}
		break;
	case FF_BPS: case FF_PPS:
		for (i = 0; i < n; i++) {
			mtime_t d = b->last[from + i] - b->first[from + i];
			uint64_t x = ff == FF_BPS ? b->bytes[from + i] * 8 :
			    b->packets[from + i];

			/* nfdump: rate per second; 0 for zero duration */
			v[i] = d > 0 ? (uint64_t)((double)x * 1000.0 /
			    (double)d) : 0;
		}
		break;
	case FF_BPP:
		for (i = 0; i < n; i++) {
			uint64_t pk = b->packets[from + i];

			v[i] = pk ? b->bytes[from + i] / pk : 0;
		}
		break;
	}
#undef WIDEN
}

static void
eval_num1(const struct fnode *nd, const struct filter *f,
    const struct flow_block *b, int ff, size_t from, size_t n, uint8_t *out)
{
	uint64_t v[FILTER_CHUNK], x = nd->val;
	size_t i;

	fetch_num(b, ff, from, n, v);
	if (nd->type == FN_NUMSET) {
		const uint64_t *set = f->nums + nd->set_off;

		for (i = 0; i < n; i++)
			out[i] = (uint8_t)num_in(set, nd->set_n, v[i]);
		return;
	}
	if (nd->type == FN_FLAGS) {
		for (i = 0; i < n; i++)
			out[i] = (v[i] & x) == x;
		return;
	}
	switch (nd->op) {
	case FOP_EQ: for (i = 0; i < n; i++) out[i] = v[i] == x; break;
	case FOP_NE: for (i = 0; i < n; i++) out[i] = v[i] != x; break;
	case FOP_LT: for (i = 0; i < n; i++) out[i] = v[i] < x; break;
	case FOP_LE: for (i = 0; i < n; i++) out[i] = v[i] <= x; break;
	case FOP_GT: for (i = 0; i < n; i++) out[i] = v[i] > x; break;
	default: for (i = 0; i < n; i++) out[i] = v[i] >= x; break;
	}
}

static void
eval_family(const struct fnode *nd, const struct flow_block *b, size_t from,
    size_t n, uint8_t *out)
{
	size_t i;

	for (i = 0; i < n; i++) {
		const struct mm_addr *a = &b->src[from + i];

		if (addr_is_zero(a))
			a = &b->dst[from + i];
		out[i] = (uint8_t)(addr_is_v4(a) == (nd->val == 4));
	}
}

static int
any_set(const uint8_t *s, size_t n)
{
	size_t i;
	uint8_t acc = 0;

	for (i = 0; i < n; i++)
		acc |= s[i];
	return acc != 0;
}

static void
eval_node(const struct filter *f, int k, const struct flow_block *b,
    size_t from, size_t n, uint8_t *out)
{
	const struct fnode *nd = &f->nodes[k];
	uint8_t tmp[FILTER_CHUNK];
	size_t i, c;

	switch (nd->type) {
	case FN_ANY:
		memset(out, 1, n);
		return;
	case FN_NONE:
		memset(out, 0, n);
		return;
	case FN_NOT:
		eval_node(f, nd->l, b, from, n, out);
		for (i = 0; i < n; i++)
			out[i] ^= 1;
		return;
	case FN_AND:
		eval_node(f, f->kids[nd->set_off], b, from, n, out);
		for (c = 1; c < nd->set_n; c++) {
			if (!any_set(out, n))
				return;
			eval_node(f, f->kids[nd->set_off + c], b, from, n, tmp);
			for (i = 0; i < n; i++)
				out[i] &= tmp[i];
		}
		return;
	case FN_OR:
		eval_node(f, f->kids[nd->set_off], b, from, n, out);
		for (c = 1; c < nd->set_n; c++) {
			eval_node(f, f->kids[nd->set_off + c], b, from, n, tmp);
			for (i = 0; i < n; i++)
				out[i] |= tmp[i];
		}
		return;
	case FN_FAMILY:
		eval_family(nd, b, from, n, out);
		return;
	case FN_ADDR: case FN_ADDRSET:
		eval_addr1(nd, f, addr_column(b, nd->field) + from, n, out);
		if (nd->pair == FPAIR_ONE)
			return;
		eval_addr1(nd, f, addr_column(b, nd->field2) + from, n, tmp);
		break;
	default:
		eval_num1(nd, f, b, nd->field, from, n, out);
		if (nd->pair == FPAIR_ONE)
			return;
		eval_num1(nd, f, b, nd->field2, from, n, tmp);
		break;
	}
	if (nd->pair == FPAIR_ALL)
		for (i = 0; i < n; i++)
			out[i] &= tmp[i];
	else
		for (i = 0; i < n; i++)
			out[i] |= tmp[i];
}

size_t
filter_eval(const struct filter *f, const struct flow_block *b, size_t from,
    size_t n, uint8_t *sel)
{
	size_t done, c, i, cnt = 0;

	for (done = 0; done < n; done += c) {
		c = n - done < FILTER_CHUNK ? n - done : FILTER_CHUNK;
		eval_node(f, f->root, b, from + done, c, sel + done);
		for (i = 0; i < c; i++)
			cnt += sel[done + i];
	}
	return cnt;
}

size_t
filter_select(const struct filter *f, const struct flow_block *b,
    uint32_t *idx)
{
	uint8_t sel[FILTER_CHUNK];
	size_t done, c, i, cnt = 0;

	if (filter_is_any(f)) {
		for (i = 0; i < b->n; i++)
			idx[i] = (uint32_t)i;
		return b->n;
	}
	for (done = 0; done < b->n; done += c) {
		c = b->n - done < FILTER_CHUNK ? b->n - done : FILTER_CHUNK;
		eval_node(f, f->root, b, done, c, sel);
		for (i = 0; i < c; i++) {
			idx[cnt] = (uint32_t)(done + i);
			cnt += sel[i];
		}
	}
	return cnt;
}

/* ---- printing ---- */

static const char *const fa_names[] = { "src", "dst", "nexthop", "exporter" };
static const char *const ff_names[] = {
	"srcport", "dstport", "proto", "srcas", "dstas", "inif", "outif",
	"tos", "vlan", "packets", "bytes", "duration", "bps", "pps", "bpp",
	"flags"
};
static const char *const op_names[] = { "=", "!=", "<", "<=", ">", ">=" };

static void
cat(char *buf, size_t len, size_t *at, const char *fmt, const char *a,
    unsigned long long v)
{
	int w;

	if (*at >= len)
		return;
	w = snprintf(buf + *at, len - *at, fmt, a, v);
	if (w > 0)
		*at += (size_t)w;
	if (*at >= len)
		*at = len - 1;
}

static void
fmt_field(const struct fnode *nd, int is_addr, char *buf, size_t len,
    size_t *at)
{
	const char *const *names = is_addr ? fa_names : ff_names;

	if (nd->pair == FPAIR_ONE)
		cat(buf, len, at, "%s", names[nd->field], 0);
	else {
		cat(buf, len, at, "%s", nd->pair == FPAIR_ANY ? "any:" :
		    "all:", 0);
		cat(buf, len, at, "%s", names[nd->field], 0);
		cat(buf, len, at, ",%s", names[nd->field2], 0);
	}
}

static void
fmt_node(const struct filter *f, int k, char *buf, size_t len, size_t *at)
{
	const struct fnode *nd = &f->nodes[k];
	char ab[PREFIX_STRLEN];
	struct mm_prefix pf;
	size_t i;

	switch (nd->type) {
	case FN_ANY:
		cat(buf, len, at, "%sany", "", 0);
		return;
	case FN_NONE:
		cat(buf, len, at, "%snone", "", 0);
		return;
	case FN_NOT:
		cat(buf, len, at, "%s(not ", "", 0);
		fmt_node(f, nd->l, buf, len, at);
		cat(buf, len, at, "%s)", "", 0);
		return;
	case FN_AND: case FN_OR:
		cat(buf, len, at, "(%s", nd->type == FN_AND ? "and" : "or", 0);
		for (i = 0; i < nd->set_n; i++) {
			cat(buf, len, at, "%s ", "", 0);
			fmt_node(f, f->kids[nd->set_off + i], buf, len, at);
		}
		cat(buf, len, at, "%s)", "", 0);
		return;
	case FN_FAMILY:
		cat(buf, len, at, "%s(inet%llu)", "", nd->val);
		return;
	case FN_FLAGS:
		cat(buf, len, at, "%s(flags 0x%02llx)", "", nd->val);
		return;
	case FN_ADDR:
		cat(buf, len, at, "%s(", "", 0);
		fmt_field(nd, 1, buf, len, at);
		pf.addr = nd->addr;
		pf.len = nd->plen;
		cat(buf, len, at, " %s)", prefix_fmt(&pf, ab, sizeof(ab)), 0);
		return;
	case FN_ADDRSET:
		cat(buf, len, at, "%s(", "", 0);
		fmt_field(nd, 1, buf, len, at);
		cat(buf, len, at, "%s in", "", 0);
		for (i = 0; i < nd->set_n; i++)
			cat(buf, len, at, " %s", addr_fmt(&f->addrs[nd->set_off
			    + i], ab, sizeof(ab)), 0);
		cat(buf, len, at, "%s)", "", 0);
		return;
	case FN_NUMSET:
		cat(buf, len, at, "%s(", "", 0);
		fmt_field(nd, 0, buf, len, at);
		cat(buf, len, at, "%s in", "", 0);
		for (i = 0; i < nd->set_n; i++)
			cat(buf, len, at, "%s %llu", "",
			    f->nums[nd->set_off + i]);
		cat(buf, len, at, "%s)", "", 0);
		return;
	default:
		cat(buf, len, at, "%s(", "", 0);
		fmt_field(nd, 0, buf, len, at);
		cat(buf, len, at, " %s %llu)", op_names[nd->op], nd->val);
		return;
	}
}

char *
filter_fmt(const struct filter *f, char *buf, size_t len)
{
	size_t at = 0;

	if (len == 0)
		return buf;
	buf[0] = '\0';
	fmt_node(f, f->root, buf, len, &at);
	return buf;
}

int
filter_root(const struct filter *f)
{
	return f->root;
}

const struct fnode *
filter_node(const struct filter *f, int i)
{
	return i >= 0 && (size_t)i < f->nnodes ? &f->nodes[i] : NULL;
}

const struct mm_addr *
filter_addrset(const struct filter *f, size_t off)
{
	return f->addrs + off;
}

const uint64_t *
filter_numset(const struct filter *f, size_t off)
{
	return f->nums + off;
}

const int *
filter_kids(const struct filter *f, size_t off)
{
	return f->kids + off;
}
