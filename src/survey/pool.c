/*
 * pool.c - one survey over worker processes (see pool.h for the design).
 *
 * The parent forks the workers after the caller loaded scope, rules,
 * vulnerability data and credentials (copy-on-write: nothing is loaded
 * twice), then polls the W sockets. Each socket has a receive buffer that
 * holds at most one frame plus what arrived after it (POOL_FRAME_MAX + 5
 * bytes); frames are dispatched as soon as they are whole. A worker that
 * sends a frame over the cap or one that does not decode is an error of the
 * run (named in `d`), its socket is closed and it is sent SIGTERM; the
 * other workers go on.
 *
 * Costs: one encode (a few hundred bytes plus the observed fields) per open
 * target in the worker, one decode and one callback in the parent; a
 * counters frame per worker every POOL_SAMPLE_MS.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include "core/cursor.h"
#include "survey/pool.h"

#define POOL_STR_MAX	4096	/* a string field of a result */

/* --- encoding ------------------------------------------------------- */

struct pool_wb {
	uint8_t	**buf;
	size_t	 *len, *cap;
	int	  err;
};

static void
pool_wb_put(struct pool_wb *w, const void *p, size_t n)
{
	if (w->err)
		return;
	if (*w->len + n > POOL_FRAME_MAX + 5) {
		w->err = MM_ELIMIT;
		return;
	}
	if (*w->len + n > *w->cap) {
		size_t nc = *w->cap ? *w->cap : 1024;
		uint8_t *nb;

		while (nc < *w->len + n)
			nc *= 2;
		if ((nb = realloc(*w->buf, nc)) == NULL) {
			w->err = MM_ENOMEM;
			return;
		}
		*w->buf = nb;
		*w->cap = nc;
	}
	memcpy(*w->buf + *w->len, p, n);
	*w->len += n;
}

static void
pool_wb_u8(struct pool_wb *w, uint8_t v)
{
	pool_wb_put(w, &v, 1);
}

static void
pool_wb_u16(struct pool_wb *w, uint16_t v)
{
	uint8_t b[2] = { (uint8_t)(v >> 8), (uint8_t)v };

	pool_wb_put(w, b, 2);
}

static void
pool_wb_u32(struct pool_wb *w, uint32_t v)
{
	uint8_t b[4] = { (uint8_t)(v >> 24), (uint8_t)(v >> 16),
	    (uint8_t)(v >> 8), (uint8_t)v };

	pool_wb_put(w, b, 4);
}

static void
pool_be64(uint8_t *b, uint64_t v)
{
	int i;

	for (i = 7; i >= 0; i--) {
		b[i] = (uint8_t)v;
		v >>= 8;
	}
}

static void
pool_wb_u64(struct pool_wb *w, uint64_t v)
{
	uint8_t b[8];

	pool_be64(b, v);
	pool_wb_put(w, b, 8);
}

/* A string: u16 length, the bytes, a NUL (not counted). NULL is encoded
 * as length 0xffff without bytes. */
static void
pool_wb_str(struct pool_wb *w, const char *s)
{
	size_t n;

	if (s == NULL) {
		pool_wb_u16(w, 0xffff);
		return;
	}
	n = strlen(s);
	if (n > POOL_STR_MAX) {
		w->err = MM_ELIMIT;
		return;
	}
	pool_wb_u16(w, (uint16_t)n);
	pool_wb_put(w, s, n);
	pool_wb_u8(w, 0);
}

int
pool_result_encode(const struct scan_result *r, uint8_t **buf, size_t *len,
    size_t *cap)
{
	struct pool_wb w = { buf, len, cap, 0 };
	size_t start = *len, i, nf;
	const struct rules_ident *id = &r->ident;

	pool_wb_u32(&w, 0);		/* patched below */
	pool_wb_u8(&w, POOL_F_RESULT);
	pool_wb_put(&w, r->addr.b, 16);
	pool_wb_u16(&w, r->port);
	pool_wb_u64(&w, (uint64_t)r->time_ms);
	pool_wb_str(&w, r->proto);
	pool_wb_str(&w, r->service);
	pool_wb_u8(&w, r->identified ? 1 : 0);
	pool_wb_str(&w, id->rule);
	pool_wb_str(&w, id->file);
	pool_wb_u32(&w, (uint32_t)id->line);
	pool_wb_u32(&w, (uint32_t)id->priority);
	pool_wb_str(&w, id->vendor);
	pool_wb_str(&w, id->product);
	pool_wb_str(&w, id->version);
	pool_wb_str(&w, id->device);
	pool_wb_str(&w, id->cpe);
	pool_wb_u32(&w, id->limit_hits);
	pool_wb_str(&w, r->banner);
	pool_wb_u8(&w, r->telnet_login ? 1 : 0);
	pool_wb_str(&w, r->error);
	pool_wb_u8(&w, r->cred_checked ? 1 : 0);
	pool_wb_str(&w, r->cred_proto);
	pool_wb_str(&w, r->cred_id);
	pool_wb_u32(&w, r->cred_attempts);
	nf = r->nfields < SCAN_MAX_FIELDS ? r->nfields : SCAN_MAX_FIELDS;
	pool_wb_u16(&w, (uint16_t)nf);
	for (i = 0; i < nf; i++) {
		const struct rules_field *f = &r->fields[i];
		size_t vl = f->val != NULL ? f->len : 0;

		pool_wb_str(&w, f->name != NULL ? f->name : "");
		if (vl > POOL_FRAME_MAX) {
			w.err = MM_ELIMIT;
			break;
		}
		pool_wb_u32(&w, (uint32_t)vl);
		if (vl > 0)
			pool_wb_put(&w, f->val, vl);
		pool_wb_u8(&w, 0);
	}
	if (w.err) {
		*len = start;
		return w.err;
	}
	{
		size_t fl = *len - start - 4;
		uint8_t *b = *buf + start;

		b[0] = (uint8_t)(fl >> 24);
		b[1] = (uint8_t)(fl >> 16);
		b[2] = (uint8_t)(fl >> 8);
		b[3] = (uint8_t)fl;
	}
	return 0;
}

static uint64_t *
pool_stats_slot(struct scan_stats *st, size_t i)
{
	switch (i) {
	case 0: return &st->total;
	case 1: return &st->done;
	case 2: return &st->open;
	case 3: return &st->identified;
	case 4: return &st->connects;
	case 5: return &st->conn_timeouts;
	case 6: return &st->refused;
	case 7: return &st->scope_refused;
	case 8: return &st->errors;
	case 9: return &st->inflight;
	case 10: return &st->inflight_max;
	case 11: return &st->cred_services;
	case 12: return &st->cred_attempts;
	case 13: return &st->cred_found;
	case 14: return &st->source_skipped;
	default: return NULL;
	}
}

void
pool_stats_encode(const struct scan_stats *st, uint8_t out[POOL_STATS_LEN])
{
	struct scan_stats c = *st;
	size_t i;

	for (i = 0; i < 15; i++)
		pool_be64(out + 8 * i, *pool_stats_slot(&c, i));
	pool_be64(out + 8 * 15, (uint64_t)st->start_ns);
	pool_be64(out + 8 * 16, (uint64_t)st->now_ns);
}

int
pool_stats_decode(const uint8_t *p, size_t n, struct scan_stats *st,
    struct mm_diag *d)
{
	struct cursor c;
	uint64_t v;
	size_t i;

	if (n != POOL_STATS_LEN)
		return mm_diag_set(d, MM_ESYNTAX, "pool: stats frame: length "
		    "%zu, want %d", n, POOL_STATS_LEN);
	memset(st, 0, sizeof(*st));
	cur_init(&c, p, n);
	for (i = 0; i < 15; i++)
		(void)get_u64(&c, pool_stats_slot(st, i));
	(void)get_u64(&c, &v);
	st->start_ns = (int64_t)v;
	(void)get_u64(&c, &v);
	st->now_ns = (int64_t)v;
	return 0;
}

/* --- decoding ------------------------------------------------------- */

/* Reads a string into *out (pointing into the payload, NUL-terminated),
 * NULL for the NULL encoding when may_null. */
static int
pool_get_str(struct cursor *c, const char **out, int may_null,
    const char *field, struct mm_diag *d)
{
	uint16_t n;
	struct cursor s;
	const uint8_t *p;

	if (get_u16(c, &n) != 0)
		return mm_diag_set(d, MM_ESYNTAX, "pool: result: %s: "
		    "truncated length", field);
	if (n == 0xffff) {
		if (!may_null)
			return mm_diag_set(d, MM_ESYNTAX, "pool: result: %s: "
			    "NULL not allowed", field);
		*out = NULL;
		return 0;
	}
	if (n > POOL_STR_MAX)
		return mm_diag_set(d, MM_ELIMIT, "pool: result: %s: length "
		    "%u over %d", field, n, POOL_STR_MAX);
	if (get_sub(c, (size_t)n + 1, &s) != 0)
		return mm_diag_set(d, MM_ESYNTAX, "pool: result: %s: %u "
		    "bytes beyond the frame", field, n);
	p = cur_ptr(&s);
	if (p[n] != 0 || memchr(p, 0, n) != NULL)
		return mm_diag_set(d, MM_ESYNTAX, "pool: result: %s: not a "
		    "NUL-terminated string", field);
	*out = (const char *)p;
	return 0;
}

/* Copies a string field into a fixed array; too long is an error. */
static int
pool_get_fixed(struct cursor *c, char *dst, size_t cap, const char *field,
    struct mm_diag *d)
{
	const char *s = "";
	size_t n;
	int rc;

	if ((rc = pool_get_str(c, &s, 0, field, d)) != 0)
		return rc;
	if ((n = strlen(s)) >= cap)
		return mm_diag_set(d, MM_ELIMIT, "pool: result: %s: %zu "
		    "bytes over %zu", field, n, cap - 1);
	memcpy(dst, s, n + 1);
	return 0;
}

int
pool_result_decode(const uint8_t *p, size_t n, struct pool_result *out,
    struct mm_diag *d)
{
	struct scan_result *r = &out->res;
	struct rules_ident *id = &r->ident;
	struct cursor c;
	uint64_t t;
	uint32_t u;
	uint16_t nf, i;
	uint8_t b;
	int rc;

	memset(r, 0, sizeof(*r));
	cur_init(&c, p, n);
	if (get_bytes(&c, r->addr.b, 16) != 0 || get_u16(&c, &r->port) != 0 ||
	    get_u64(&c, &t) != 0)
		return mm_diag_set(d, MM_ESYNTAX, "pool: result: address, "
		    "port or time truncated");
	r->time_ms = (int64_t)t;
	if ((rc = pool_get_str(&c, &r->proto, 0, "proto", d)) != 0 ||
	    (rc = pool_get_str(&c, &r->service, 0, "service", d)) != 0)
		return rc;
	if (get_u8(&c, &b) != 0)
		return mm_diag_set(d, MM_ESYNTAX, "pool: result: identified "
		    "truncated");
	r->identified = b != 0;
	if ((rc = pool_get_fixed(&c, id->rule, sizeof(id->rule), "rule",
	    d)) != 0 ||
	    (rc = pool_get_fixed(&c, id->file, sizeof(id->file), "file",
	    d)) != 0)
		return rc;
	if (get_u32(&c, &u) != 0)
		return mm_diag_set(d, MM_ESYNTAX, "pool: result: line "
		    "truncated");
	id->line = (int)(u & 0x7fffffff);
	if (get_u32(&c, &u) != 0)
		return mm_diag_set(d, MM_ESYNTAX, "pool: result: priority "
		    "truncated");
	id->priority = (int)(int32_t)u;
	if ((rc = pool_get_fixed(&c, id->vendor, sizeof(id->vendor),
	    "vendor", d)) != 0 ||
	    (rc = pool_get_fixed(&c, id->product, sizeof(id->product),
	    "product", d)) != 0 ||
	    (rc = pool_get_fixed(&c, id->version, sizeof(id->version),
	    "version", d)) != 0 ||
	    (rc = pool_get_fixed(&c, id->device, sizeof(id->device),
	    "device", d)) != 0 ||
	    (rc = pool_get_fixed(&c, id->cpe, sizeof(id->cpe), "cpe",
	    d)) != 0)
		return rc;
	if (get_u32(&c, &id->limit_hits) != 0)
		return mm_diag_set(d, MM_ESYNTAX, "pool: result: limit_hits "
		    "truncated");
	if ((rc = pool_get_fixed(&c, r->banner, sizeof(r->banner), "banner",
	    d)) != 0)
		return rc;
	if (get_u8(&c, &b) != 0)
		return mm_diag_set(d, MM_ESYNTAX, "pool: result: "
		    "telnet_login truncated");
	r->telnet_login = b != 0;
	if ((rc = pool_get_fixed(&c, r->error, sizeof(r->error), "error",
	    d)) != 0)
		return rc;
	if (get_u8(&c, &b) != 0)
		return mm_diag_set(d, MM_ESYNTAX, "pool: result: "
		    "cred_checked truncated");
	r->cred_checked = b != 0;
	if ((rc = pool_get_fixed(&c, r->cred_proto, sizeof(r->cred_proto),
	    "cred_proto", d)) != 0 ||
	    (rc = pool_get_str(&c, &r->cred_id, 1, "cred_id", d)) != 0)
		return rc;
	if (get_u32(&c, &r->cred_attempts) != 0 || get_u16(&c, &nf) != 0)
		return mm_diag_set(d, MM_ESYNTAX, "pool: result: attempts or "
		    "field count truncated");
	if (nf > SCAN_MAX_FIELDS)
		return mm_diag_set(d, MM_ELIMIT, "pool: result: %u fields "
		    "over %d", nf, SCAN_MAX_FIELDS);
	for (i = 0; i < nf; i++) {
		struct rules_field *f = &out->fields[i];
		struct cursor s;

		if ((rc = pool_get_str(&c, &f->name, 0, "field name", d))
		    != 0)
			return rc;
		if (get_u32(&c, &u) != 0 || u > POOL_FRAME_MAX ||
		    get_sub(&c, (size_t)u + 1, &s) != 0)
			return mm_diag_set(d, MM_ESYNTAX, "pool: result: field "
			    "%u (%s): value length bad or beyond the frame",
			    i, f->name);
		if (cur_ptr(&s)[u] != 0)
			return mm_diag_set(d, MM_ESYNTAX, "pool: result: field "
			    "%u (%s): value not NUL-terminated", i, f->name);
		f->val = (const char *)cur_ptr(&s);
		f->len = u;
	}
	if (cur_left(&c) != 0)
		return mm_diag_set(d, MM_ESYNTAX, "pool: result: %zu bytes "
		    "after the last field", cur_left(&c));
	r->fields = out->fields;
	r->nfields = nf;
	return 0;
}

/* --- sharding ------------------------------------------------------- */

int
pool_perms_init(struct perm *perms, unsigned nworkers, uint64_t n_targets,
    uint64_t seed, uint32_t shard_i, uint32_t shard_n)
{
	unsigned w;
	int rc;

	if (nworkers == 0 || nworkers > POOL_MAX_WORKERS || shard_n == 0)
		return MM_EINVAL;
	if ((uint64_t)shard_n * nworkers > PERM_MAX_SHARDS)
		return MM_ELIMIT;
	for (w = 0; w < nworkers; w++)
		if ((rc = perm_init(&perms[w], n_targets, seed,
		    shard_i + shard_n * w, shard_n * nworkers)) != 0)
			return rc;
	return 0;
}

/* --- the worker ----------------------------------------------------- */

struct pool_child {
	int		 fd;
	volatile int	*stop;
	int		 broken;	/* the parent went away */
	uint8_t		*buf;
	size_t		 len, cap;
};

/* Writes all of buf; on failure marks the relay broken and stops the
 * scan (the parent is gone). */
static void
pool_child_send(struct pool_child *k, const uint8_t *buf, size_t n)
{
	while (n > 0 && !k->broken) {
		ssize_t w = write(k->fd, buf, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			k->broken = 1;
			if (k->stop != NULL)
				*k->stop = 1;
			return;
		}
		buf += w;
		n -= (size_t)w;
	}
}

static void
pool_child_result(const struct scan_result *r, void *arg)
{
	struct pool_child *k = arg;

	k->len = 0;
	if (pool_result_encode(r, &k->buf, &k->len, &k->cap) == 0)
		pool_child_send(k, k->buf, k->len);
}

static void
pool_child_frame(struct pool_child *k, uint8_t type, const uint8_t *p,
    size_t n)
{
	uint8_t h[5] = { (uint8_t)((n + 1) >> 24), (uint8_t)((n + 1) >> 16),
	    (uint8_t)((n + 1) >> 8), (uint8_t)(n + 1), type };

	pool_child_send(k, h, 5);
	pool_child_send(k, p, n);
}

static void
pool_child_progress(const struct scan_stats *st, void *arg)
{
	uint8_t b[POOL_STATS_LEN];

	pool_stats_encode(st, b);
	pool_child_frame(arg, POOL_F_STATS, b, sizeof(b));
}

/* END payload: u32 rc, stats, u64 perm pos, u64 perm count, u16 + text */
static void
pool_child_end(struct pool_child *k, int rc, const struct scan_stats *st,
    const struct perm *pm, const struct mm_diag *d)
{
	uint8_t b[4 + POOL_STATS_LEN + 16 + 2 + sizeof(d->msg)];
	size_t ml = rc != 0 ? strnlen(d->msg, sizeof(d->msg)) : 0, off = 0;

	b[0] = (uint8_t)((uint32_t)rc >> 24);
	b[1] = (uint8_t)((uint32_t)rc >> 16);
	b[2] = (uint8_t)((uint32_t)rc >> 8);
	b[3] = (uint8_t)(uint32_t)rc;
	off = 4;
	pool_stats_encode(st, b + off);
	off += POOL_STATS_LEN;
	pool_be64(b + off, pm->pos);
	pool_be64(b + off + 8, pm->count);
	off += 16;
	b[off] = (uint8_t)(ml >> 8);
	b[off + 1] = (uint8_t)ml;
	off += 2;
	memcpy(b + off, d->msg, ml);
	off += ml;
	pool_child_frame(k, POOL_F_END, b, off);
}

static void
pool_child_main(const struct scan_cfg *cfg, const struct scope *scope,
    struct perm *pm, const struct rules *rules, volatile int *stop, int fd,
    pid_t parent)
{
	struct pool_child k;
	struct scan_stats st;
	struct mm_diag d;
	int rc;

	memset(&k, 0, sizeof(k));
	memset(&d, 0, sizeof(d));
	k.fd = fd;
	k.stop = stop;
	(void)prctl(PR_SET_PDEATHSIG, SIGTERM);
	if (getppid() != parent && stop != NULL)
		*stop = 1;	/* the parent is already gone */
	rc = scan_run(cfg, scope, pm, rules, pool_child_result,
	    pool_child_progress, &k, stop, &st, &d);
	pool_child_end(&k, rc, &st, pm, &d);
	free(k.buf);
	close(fd);
	_exit(rc != 0 || k.broken ? 1 : 0);
}

/* --- the parent ----------------------------------------------------- */

struct pool_worker {
	pid_t			 pid;
	int			 fd;		/* -1 once closed */
	uint8_t			*buf;
	size_t			 len, cap;
	int			 ended;		/* END frame seen */
	int			 rc;		/* its scan_run result */
	struct scan_stats	 st;		/* latest counters */
};

struct pool_ctx {
	struct pool_worker	*w;
	unsigned		 n;
	struct perm		*perms;
	scan_result_cb		 cb;
	scan_progress_cb	 progress;
	void			*arg;
	struct pool_result	*dec;
	uint64_t		 sum_peak;
	int			 rc;
	struct mm_diag		*d;
};

static void
pool_fail(struct pool_ctx *x, int rc, const struct mm_diag *e)
{
	if (x->rc == 0) {
		x->rc = rc;
		*x->d = *e;
	}
}

static void
pool_sum(const struct pool_ctx *x, struct scan_stats *st)
{
	unsigned i;
	size_t k;

	memset(st, 0, sizeof(*st));
	for (i = 0; i < x->n; i++) {
		struct scan_stats s = x->w[i].st;

		for (k = 0; k < 15; k++) {
			if (k == 10)	/* inflight_max: a max, below */
				continue;
			*pool_stats_slot(st, k) += *pool_stats_slot(&s, k);
		}
		if (s.inflight_max > st->inflight_max)
			st->inflight_max = s.inflight_max;
		if (s.start_ns != 0 && (st->start_ns == 0 ||
		    s.start_ns < st->start_ns))
			st->start_ns = s.start_ns;
		if (s.now_ns > st->now_ns)
			st->now_ns = s.now_ns;
	}
	if (x->sum_peak > st->inflight_max)
		st->inflight_max = x->sum_peak;
}

/* Handles one whole frame of worker i. Returns 0 or an error. */
static int
pool_frame(struct pool_ctx *x, unsigned i, const uint8_t *p, size_t n,
    struct mm_diag *e)
{
	struct pool_worker *w = &x->w[i];
	struct scan_stats st;
	struct cursor c;
	uint32_t rc;
	uint64_t pos, count;
	uint16_t ml;
	int r;

	if (n < 1)
		return mm_diag_set(e, MM_ESYNTAX, "pool: worker %u: empty "
		    "frame", i);
	switch (p[0]) {
	case POOL_F_RESULT:
		if ((r = pool_result_decode(p + 1, n - 1, x->dec, e)) != 0)
			return r;
		x->cb(&x->dec->res, x->arg);
		return 0;
	case POOL_F_STATS:
		if ((r = pool_stats_decode(p + 1, n - 1, &w->st, e)) != 0)
			return r;
		break;
	case POOL_F_END:
		cur_init(&c, p + 1, n - 1);
		if (get_u32(&c, &rc) != 0 || cur_left(&c) < POOL_STATS_LEN ||
		    pool_stats_decode(cur_ptr(&c), POOL_STATS_LEN, &st, e) != 0
		    || cur_skip(&c, POOL_STATS_LEN) != 0 ||
		    get_u64(&c, &pos) != 0 || get_u64(&c, &count) != 0 ||
		    get_u16(&c, &ml) != 0 || ml >= sizeof(e->msg) ||
		    cur_left(&c) != ml)
			return mm_diag_set(e, MM_ESYNTAX, "pool: worker %u: "
			    "bad end frame", i);
		w->st = st;
		w->st.inflight = 0;
		w->ended = 1;
		w->rc = (int)(int32_t)rc;
		if (perm_seek(&x->perms[i], pos, count) != 0)
			return mm_diag_set(e, MM_ESYNTAX, "pool: worker %u: "
			    "end position %llu out of its shard", i,
			    (unsigned long long)pos);
		if (w->rc != 0) {
			struct mm_diag we;

			memset(&we, 0, sizeof(we));
			mm_diag_set(&we, w->rc, "worker %u: %.*s", i, (int)ml,
			    (const char *)cur_ptr(&c));
			pool_fail(x, w->rc, &we);
		}
		break;
	default:
		return mm_diag_set(e, MM_ESYNTAX, "pool: worker %u: frame "
		    "type %u unknown", i, p[0]);
	}
	{
		uint64_t sum = 0;
		unsigned k;

		for (k = 0; k < x->n; k++)
			sum += x->w[k].st.inflight;
		if (sum > x->sum_peak)
			x->sum_peak = sum;
	}
	return 0;
}

/* Reads what worker i sent and dispatches whole frames. Returns 1 on
 * EOF or error (the socket is then closed), else 0. */
static int
pool_read(struct pool_ctx *x, unsigned i)
{
	struct pool_worker *w = &x->w[i];
	struct mm_diag e;
	size_t off = 0;
	ssize_t r;
	int rc = 0;

	memset(&e, 0, sizeof(e));
	/* rc below is the MM_E* code of a frame error */
	if (w->cap - w->len < 65536) {
		size_t nc = w->cap ? w->cap * 2 : 262144;
		uint8_t *nb;

		if (nc > POOL_FRAME_MAX + 5 + 262144)
			nc = POOL_FRAME_MAX + 5 + 262144;
		if (nc > w->cap) {
			if ((nb = realloc(w->buf, nc)) == NULL) {
				mm_diag_set(&e, MM_ENOMEM, "pool: worker %u: "
				    "receive buffer", i);
				pool_fail(x, MM_ENOMEM, &e);
				return 1;
			}
			w->buf = nb;
			w->cap = nc;
		}
	}
	r = read(w->fd, w->buf + w->len, w->cap - w->len);
	if (r < 0 && (errno == EINTR || errno == EAGAIN))
		return 0;
	if (r <= 0)
		return 1;
	w->len += (size_t)r;
	while (w->len - off >= 4) {
		const uint8_t *b = w->buf + off;
		size_t fl = (size_t)b[0] << 24 | (size_t)b[1] << 16 |
		    (size_t)b[2] << 8 | b[3];

		if (fl > POOL_FRAME_MAX) {
			rc = mm_diag_set(&e, MM_ELIMIT, "pool: worker %u: "
			    "frame of %zu bytes over %d", i, fl,
			    POOL_FRAME_MAX);
			break;
		}
		if (w->len - off - 4 < fl)
			break;
		if ((rc = pool_frame(x, i, b + 4, fl, &e)) != 0)
			break;
		off += 4 + fl;
	}
	if (rc != 0) {
		pool_fail(x, rc, &e);
		return 1;
	}
	memmove(w->buf, w->buf + off, w->len - off);
	w->len -= off;
	return 0;
}

static void
pool_close(struct pool_worker *w)
{
	if (w->fd >= 0) {
		close(w->fd);
		w->fd = -1;
	}
}

/* Waits for worker i (its socket is closed, so it is ending) and records
 * an error when it ended without its END frame; the main loop then stops
 * the other workers. */
static void
pool_reap(struct pool_ctx *x, unsigned i)
{
	struct pool_worker *w = &x->w[i];
	struct mm_diag e;
	int status = 0;

	if (w->pid <= 0)
		return;
	if (!w->ended)
		(void)kill(w->pid, SIGTERM);
	while (waitpid(w->pid, &status, 0) < 0 && errno == EINTR)
		;
	w->pid = 0;
	if (w->ended)
		return;
	memset(&e, 0, sizeof(e));
	if (WIFSIGNALED(status))
		mm_diag_set(&e, MM_EIO, "pool: worker %u ended by signal %d "
		    "before its end frame", i, WTERMSIG(status));
	else
		mm_diag_set(&e, MM_EIO, "pool: worker %u ended (status %d) "
		    "before its end frame", i, WIFEXITED(status) ?
		    WEXITSTATUS(status) : -1);
	pool_fail(x, MM_EIO, &e);
}

int
pool_run(const struct scan_cfg *cfg, const struct scope *scope,
    struct perm *perms, unsigned nworkers, const struct rules *rules,
    scan_result_cb cb, scan_progress_cb progress, void *arg,
    volatile int *stop, struct scan_stats *st, struct mm_diag *d)
{
	struct pool_ctx x;
	struct pollfd pf[POOL_MAX_WORKERS];
	unsigned i, open_n, map[POOL_MAX_WORKERS];
	int stopped = 0;
	struct timespec last, now;
	pid_t parent = getpid();

	if (nworkers == 1)
		return scan_run(cfg, scope, &perms[0], rules, cb, progress,
		    arg, stop, st, d);
	memset(st, 0, sizeof(*st));
	if (nworkers == 0 || nworkers > POOL_MAX_WORKERS)
		return mm_diag_set(d, MM_EINVAL, "pool: %u workers (1..%d)",
		    nworkers, POOL_MAX_WORKERS);
	memset(&x, 0, sizeof(x));
	x.n = nworkers;
	x.perms = perms;
	x.cb = cb;
	x.progress = progress;
	x.arg = arg;
	x.d = d;
	if ((x.w = calloc(nworkers, sizeof(*x.w))) == NULL ||
	    (x.dec = malloc(sizeof(*x.dec))) == NULL) {
		free(x.w);
		return mm_diag_set(d, MM_ENOMEM, "pool: worker table");
	}
	for (i = 0; i < nworkers; i++)
		x.w[i].fd = -1;
	for (i = 0; i < nworkers; i++) {
		struct scan_cfg wc = *cfg;
		int sv[2];
		unsigned k;
		pid_t pid;

		wc.rate = cfg->rate > 0 ? cfg->rate / nworkers : 0;
		wc.max_concurrent = cfg->max_concurrent / nworkers +
		    (i < cfg->max_concurrent % nworkers ? 1 : 0);
		if (wc.max_concurrent == 0)
			wc.max_concurrent = 1;
		wc.progress_ms = POOL_SAMPLE_MS;
		if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv)
		    != 0) {
			mm_diag_set(d, MM_EIO, "pool: socketpair: %s",
			    strerror(errno));
			x.rc = MM_EIO;
			break;
		}
		if ((pid = fork()) < 0) {
			mm_diag_set(d, MM_EIO, "pool: fork: %s",
			    strerror(errno));
			x.rc = MM_EIO;
			close(sv[0]);
			close(sv[1]);
			break;
		}
		if (pid == 0) {
			close(sv[0]);
			for (k = 0; k < i; k++)
				if (x.w[k].fd >= 0)
					close(x.w[k].fd);
			pool_child_main(&wc, scope, &perms[i], rules, stop,
			    sv[1], parent);
		}
		close(sv[1]);
		x.w[i].pid = pid;
		x.w[i].fd = sv[0];
	}
	clock_gettime(CLOCK_MONOTONIC, &last);
	for (;;) {
		int n;

		if (!stopped && ((stop != NULL && *stop) || x.rc != 0)) {
			/* on a fork failure the started workers are stopped
			 * too: the run would be incomplete */
			stopped = 1;
			for (i = 0; i < nworkers; i++)
				if (x.w[i].pid > 0)
					(void)kill(x.w[i].pid, SIGTERM);
		}
		open_n = 0;
		for (i = 0; i < nworkers; i++) {
			if (x.w[i].fd < 0)
				continue;
			pf[open_n].fd = x.w[i].fd;
			pf[open_n].events = POLLIN;
			pf[open_n].revents = 0;
			map[open_n++] = i;
		}
		if (open_n == 0)
			break;
		n = poll(pf, open_n, 100);
		if (n < 0 && errno != EINTR) {
			mm_diag_set(d, MM_EIO, "pool: poll: %s",
			    strerror(errno));
			if (x.rc == 0)
				x.rc = MM_EIO;
			for (i = 0; i < nworkers; i++)
				pool_close(&x.w[i]);
			break;
		}
		for (i = 0; n > 0 && i < open_n; i++) {
			struct pool_worker *w = &x.w[map[i]];

			if (pf[i].revents == 0)
				continue;
			if (pool_read(&x, map[i]) != 0) {
				pool_close(w);
				pool_reap(&x, map[i]);
			}
		}
		clock_gettime(CLOCK_MONOTONIC, &now);
		if (progress != NULL && (now.tv_sec - last.tv_sec) * 1000 +
		    (now.tv_nsec - last.tv_nsec) / 1000000 >= 500) {
			struct scan_stats sum;

			last = now;
			pool_sum(&x, &sum);
			progress(&sum, arg);
		}
	}
	for (i = 0; i < nworkers; i++) {
		pool_reap(&x, i);
		free(x.w[i].buf);
	}
	pool_sum(&x, st);
	st->inflight = 0;
	free(x.dec);
	free(x.w);
	return x.rc;
}
