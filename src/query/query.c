/*
 * query.c - parallel scan of the flow store; see query.h for the approach.
 *
 * Threads: one shared struct qrun holds the unit queue (an index under a
 * mutex; units are whole files or file stripes, so the lock is taken once
 * per unit, not per block), the merged totals and the shared aggregations
 * (agg_new_shared(): sharded, one lock per shard). Each worker owns a
 * flow_block, a selection index vector and private aggregations; a private
 * one that passes AGG_SPILL groups is merged into the shared one and the
 * worker then adds to the shared one directly (see agg.h), so peak memory
 * is the shared tables plus at most AGG_SPILL groups per thread and
 * statistic. Totals are added under the lock once per block. Raw flows are
 * formatted by each worker into a private buffer and written under an
 * output lock one block at a time.
 *
 * Cost per block: the Bloom/time test (O(1)), decompression of the needed
 * columns, the filter (O(rows x nodes)), then O(matches) for totals and
 * aggregation or printing.
 *
 * Address pre-test. When the filter is a host / net / host-in predicate on
 * src and/or dst, or a conjunction containing one (plan_addr()), every
 * block that the Bloom filter cannot skip is first tested on the encoded
 * address columns (store_reader_match_addr(): 4-byte compares on the IPv4
 * planes, no 16-byte addresses built). A block without a candidate row
 * costs one or two column decompressions; otherwise only the candidate rows
 * of the needed columns are decoded (store_reader_load_rows()), the rest of
 * the filter runs on them, and do_block() sees that compacted block. A busy
 * host present in every block thus pays the decompression of the columns
 * but almost no decoding; what is left is zstd and the section CRCs.
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/err.h"
#include "query/query.h"
#include "store/store.h"

struct qunit {
	size_t		file;
	unsigned	stripe, nstripes;
};

struct qrun {
	const struct query_opts	*q;
	char			**paths;
	size_t			 npaths;
	struct qunit		*units;
	size_t			 nunits, next;
	uint32_t		 colmask;
	uint32_t		 p1mask;	/* filter columns, 0 = one phase */
	struct mm_addr		 hosts[FILTER_MAXHINTS];
	size_t			 nhosts;
	/* address pre-test on the encoded columns (apre_n > 0): the rows
	 * whose apre_f1 (and/or apre_f2) lies in apre[]; apre_exact when that
	 * is the whole filter, else only a block-level "any row?" test */
	struct mm_prefix	*apre;
	size_t			 apre_n;
	enum flow_col		 apre_f1, apre_f2;
	int			 apre_pair;	/* enum fpair */
	int			 apre_exact;
	pthread_mutex_t		 mu;
	pthread_mutex_t		 outmu;
	pthread_cond_t		 cv;
	int			 running;
	atomic_int		 stop;		/* -c reached or fatal error */
	int			 fatal;
	struct mm_diag		 diag;		/* first problem */
	struct query_stats	 st;
	uint64_t		 printed;
	struct agg		*gagg[QUERY_MAXSTATS + 1];
	size_t			 nagg;
	struct flow		*sorted;	/* -O tstart */
	size_t			 nsorted, capsorted;
};

struct qworker {
	struct qrun		*run;
	pthread_t		 tid;
	struct agg		*agg[QUERY_MAXSTATS + 1];
	int			 direct[QUERY_MAXSTATS + 1];
	struct flow_block	 b2;		/* full columns (two-phase) */
	struct agg_scratch	*scratch;
	uint64_t		 p1_blocks, p1_hits;
	int			 one_phase;	/* two-phase stopped paying */
	struct flow		*fl;		/* -O tstart local rows */
	size_t			 nfl, capfl;
	uint8_t			*sel, *sel2;	/* address pre-test rows */
	size_t			 capsel;
};

static double
now_sec(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void
note_error(struct qrun *run, int rc, const struct mm_diag *d)
{
	pthread_mutex_lock(&run->mu);
	run->st.errors++;
	if (run->diag.msg[0] == '\0') {
		if (d != NULL && d->msg[0] != '\0')
			run->diag = *d;
		else
			mm_diag_set(&run->diag, rc, "%s", mm_strerror(rc));
	}
	pthread_mutex_unlock(&run->mu);
}

static void
fatal_error(struct qrun *run, int rc, const char *what)
{
	pthread_mutex_lock(&run->mu);
	if (!run->fatal) {
		run->fatal = rc;
		mm_diag_set(&run->diag, rc, "%s: %s", what, mm_strerror(rc));
	}
	run->stop = 1;
	pthread_mutex_unlock(&run->mu);
}

static int
take_unit(struct qrun *run, struct qunit *u)
{
	int ok = 0;

	pthread_mutex_lock(&run->mu);
	if (!atomic_load(&run->stop) && run->next < run->nunits) {
		*u = run->units[run->next++];
		ok = 1;
	}
	pthread_mutex_unlock(&run->mu);
	return ok;
}

/* Copies the loaded columns of row i into f (others zero). */
static void
row_get(const struct flow_block *b, uint32_t cm, size_t i, struct flow *f)
{
	memset(f, 0, sizeof(*f));
#define C(col, fld) if (cm & FCOL_BIT(col)) f->fld = b->fld[i]
	C(FCOL_FIRST, first); C(FCOL_LAST, last); C(FCOL_SRC, src);
	C(FCOL_DST, dst); C(FCOL_NEXTHOP, nexthop);
	C(FCOL_EXPORTER, exporter); C(FCOL_PACKETS, packets);
	C(FCOL_BYTES, bytes); C(FCOL_SRC_AS, src_as);
	C(FCOL_DST_AS, dst_as); C(FCOL_IN_IF, in_if);
	C(FCOL_OUT_IF, out_if); C(FCOL_SAMPLING, sampling);
	C(FCOL_SRC_PORT, src_port); C(FCOL_DST_PORT, dst_port);
	C(FCOL_VLAN, vlan); C(FCOL_PROTO, proto);
	C(FCOL_TCP_FLAGS, tcp_flags); C(FCOL_TOS, tos);
	C(FCOL_DIRECTION, direction); C(FCOL_SRC_MASK, src_mask);
	C(FCOL_DST_MASK, dst_mask);
#undef C
}

/*
 * Prints raw flows of one block; returns 1 when the limit is reached, or
 * MM_ENOMEM. Rows are formatted into a private buffer outside the output
 * lock (formatting is the expensive part) and written with one fwrite, so
 * workers format in parallel and the lines of one block stay together.
 * With -c, the rows to print are reserved first under the lock.
 */
static int
print_rows(struct qrun *run, const struct flow_block *b, const uint32_t *idx,
    size_t n)
{
	const struct query_opts *q = run->q;
	struct flow f;
	char *buf = NULL;
	size_t len = 0, i;
	FILE *mem;
	int done = 0;

	if (q->limit != 0) {
		pthread_mutex_lock(&run->outmu);
		if (run->printed + n >= q->limit) {
			n = (size_t)(q->limit - run->printed);
			done = 1;
		}
		run->printed += n;
		pthread_mutex_unlock(&run->outmu);
	}
	if (n == 0)
		return done;
	if ((mem = open_memstream(&buf, &len)) == NULL)
		return MM_ENOMEM;
	for (i = 0; i < n; i++) {
		row_get(b, run->colmask, idx[i], &f);
		out_flow(mem, &q->out, &f);
	}
	if (fclose(mem) != 0) {
		free(buf);
		return MM_ENOMEM;
	}
	pthread_mutex_lock(&run->outmu);
	fwrite(buf, 1, len, q->fp);
	pthread_mutex_unlock(&run->outmu);
	free(buf);
	return done;
}

static int
keep_rows(struct qworker *w, const struct flow_block *b, const uint32_t *idx,
    size_t n)
{
	struct flow *nf;
	size_t i;

	if (w->nfl + n > w->capfl) {
		size_t cap = w->capfl ? w->capfl : 1024;

		while (cap < w->nfl + n)
			cap *= 2;
		if ((nf = realloc(w->fl, cap * sizeof(*nf))) == NULL)
			return MM_ENOMEM;
		w->fl = nf;
		w->capfl = cap;
	}
	for (i = 0; i < n; i++)
		row_get(b, w->run->colmask, idx[i], &w->fl[w->nfl++]);
	return 0;
}

static int
merge_aggs(struct qworker *w)
{
	struct qrun *run = w->run;
	size_t k;
	int rc = 0;

	for (k = 0; k < run->nagg && rc == 0; k++)
		rc = agg_merge(run->gagg[k], w->agg[k]);
	return rc;
}

static int
ensure_idx(uint32_t **idxp, size_t *capidx, size_t n)
{
	uint32_t *idx;

	if (n <= *capidx)
		return 0;
	if ((idx = realloc(*idxp, n * sizeof(*idx))) == NULL)
		return MM_ENOMEM;
	*idxp = idx;
	*capidx = n;
	return 0;
}

/* Processes one loaded block; `pre` is the number of rows the caller has
 * already selected into *idxp (two-phase), or (size_t)-1 to filter here.
 * Returns 0, 1 to stop, or an error. */
static int
do_block(struct qworker *w, const struct store_block_info *info,
    struct flow_block *b, uint32_t **idxp, size_t *capidx, size_t pre)
{
	struct qrun *run = w->run;
	const struct query_opts *q = run->q;
	struct query_stats add;
	uint32_t *idx = *idxp;
	size_t n, i, k;
	int rc;

	if ((rc = ensure_idx(idxp, capidx, b->n)) != 0)
		return rc;
	idx = *idxp;
	if (pre != (size_t)-1)
		n = pre;
	else if (q->filter != NULL)
		n = filter_select(q->filter, b, idx);
	else {
		for (i = 0; i < b->n; i++)
			idx[i] = (uint32_t)i;
		n = b->n;
	}
	/* rows whose first-seen time lies outside the window */
	if (q->has_window && (info->tmin < q->window.start ||
	    info->tmax >= q->window.end)) {
		for (i = 0, k = 0; i < n; i++) {
			mtime_t t = b->first[idx[i]];

			idx[k] = idx[i];
			k += t >= q->window.start && t < q->window.end;
		}
		n = k;
	}
	memset(&add, 0, sizeof(add));
	add.first = INT64_MAX;
	add.last = INT64_MIN;
	for (i = 0; i < n; i++) {
		uint32_t r = idx[i];

		add.packets += b->packets[r];
		add.bytes += b->bytes[r];
		if (b->first[r] < add.first)
			add.first = b->first[r];
		if (b->last[r] > add.last)
			add.last = b->last[r];
	}
	for (k = 0; k < run->nagg; k++) {
		if (w->direct[k]) {
			if ((rc = agg_add_with(run->gagg[k], w->scratch, b,
			    idx, n)) != 0)
				return rc;
			continue;
		}
		if ((rc = agg_add_with(w->agg[k], w->scratch, b, idx,
		    n)) != 0)
			return rc;
		if (agg_spill_due(w->agg[k])) {
			if ((rc = agg_merge(run->gagg[k], w->agg[k])) != 0)
				return rc;
			w->direct[k] = 1;
		}
	}
	rc = 0;
	if (run->nagg == 0) {
		if (q->sort_tstart)
			rc = keep_rows(w, b, idx, n);
		else
			rc = print_rows(run, b, idx, n);
	}
	pthread_mutex_lock(&run->mu);
	run->st.blocks++;
	run->st.scanned += b->n;
	run->st.flows += n;
	run->st.packets += add.packets;
	run->st.bytes += add.bytes;
	if (n > 0) {
		if (add.first < run->st.first)
			run->st.first = add.first;
		if (add.last > run->st.last)
			run->st.last = add.last;
	}
	if (rc == 1)
		run->stop = 1;
	pthread_mutex_unlock(&run->mu);
	return rc;
}

/* Gives both blocks the same capacity so their arrays can be swapped. */
static int
swap_ready(struct flow_block *a, struct flow_block *b)
{
	size_t cap = a->cap > b->cap ? a->cap : b->cap;

	if (flow_block_reserve(a, cap) != 0 || flow_block_reserve(b, cap) != 0)
		return MM_ENOMEM;
	return 0;
}

/* Swaps the arrays of the columns in `mask` between a and b. */
static void
swap_cols(struct flow_block *a, struct flow_block *b, uint32_t mask)
{
#define SW(col, f) do { if (mask & FCOL_BIT(col)) { \
	void *t_ = a->f; a->f = b->f; b->f = t_; } } while (0)
	SW(FCOL_FIRST, first); SW(FCOL_LAST, last); SW(FCOL_SRC, src);
	SW(FCOL_DST, dst); SW(FCOL_NEXTHOP, nexthop);
	SW(FCOL_EXPORTER, exporter); SW(FCOL_PACKETS, packets);
	SW(FCOL_BYTES, bytes); SW(FCOL_SRC_AS, src_as);
	SW(FCOL_DST_AS, dst_as); SW(FCOL_IN_IF, in_if);
	SW(FCOL_OUT_IF, out_if); SW(FCOL_SAMPLING, sampling);
	SW(FCOL_SRC_PORT, src_port); SW(FCOL_DST_PORT, dst_port);
	SW(FCOL_VLAN, vlan); SW(FCOL_PROTO, proto);
	SW(FCOL_TCP_FLAGS, tcp_flags); SW(FCOL_TOS, tos);
	SW(FCOL_DIRECTION, direction); SW(FCOL_SRC_MASK, src_mask);
	SW(FCOL_DST_MASK, dst_mask);
#undef SW
}

static int
block_skippable(struct qrun *run, struct store_reader *r,
    const struct store_block_info *info)
{
	const struct query_opts *q = run->q;
	size_t i;

	if (q->has_window && (info->tmax < q->window.start ||
	    info->tmin >= q->window.end))
		return 1;
	if (run->nhosts == 0)
		return 0;
	for (i = 0; i < run->nhosts; i++)
		if (store_reader_may_contain(r, &run->hosts[i]))
			return 0;
	return 1;
}

static long
match_field(struct qrun *run, struct store_reader *r, enum flow_col c,
    uint8_t *sel, struct mm_diag *d)
{
	return store_reader_match_addr(r, c, run->apre, run->apre_n, sel, d);
}

/*
 * The address pre-test of one block, on the encoded src/dst columns (no
 * 16-byte addresses are built). When no row passes, the block is done with
 * after decompressing one or two columns. Otherwise only the candidate rows
 * of the needed columns are decoded (store_reader_load_rows()) into a
 * compacted block, and the rest of the filter, if the pre-test was not the
 * whole of it, runs on those rows alone (a filter is row-wise, so this
 * selects the same flows). Returns 2 when the block is done with (an error
 * is noted and skipped), 1 to stop, or a fatal error.
 */
static int
addr_pretest(struct qworker *w, struct store_reader *r,
    const struct store_block_info *info, struct flow_block *b,
    uint32_t **idx, size_t *capidx, struct mm_diag *d)
{
	struct qrun *run = w->run;
	size_t rows = info->rows, i, n;
	uint32_t *ix;
	long h;
	int rc;

	if (rows > w->capsel) {
		uint8_t *s1, *s2;

		if ((s1 = realloc(w->sel, rows)) == NULL)
			return MM_ENOMEM;
		w->sel = s1;
		if ((s2 = realloc(w->sel2, rows)) == NULL)
			return MM_ENOMEM;
		w->sel2 = s2;
		w->capsel = rows;
	}
	if ((h = match_field(run, r, run->apre_f1, w->sel, d)) < 0) {
		note_error(run, (int)h, d);
		return 2;
	}
	if (run->apre_pair != FPAIR_ONE && !(run->apre_pair == FPAIR_ALL &&
	    h == 0) && !(run->apre_pair == FPAIR_ANY && (size_t)h == rows)) {
		if ((h = match_field(run, r, run->apre_f2, w->sel2, d)) < 0) {
			note_error(run, (int)h, d);
			return 2;
		}
		if (run->apre_pair == FPAIR_ALL)
			for (i = 0; i < rows; i++)
				w->sel[i] &= w->sel2[i];
		else
			for (i = 0; i < rows; i++)
				w->sel[i] |= w->sel2[i];
		for (i = 0, h = 0; i < rows; i++)
			h += w->sel[i];
	}
	if (h == 0) {
		pthread_mutex_lock(&run->mu);
		run->st.blocks++;
		run->st.scanned += rows;
		pthread_mutex_unlock(&run->mu);
		return 2;
	}
	if ((rc = ensure_idx(idx, capidx, rows)) != 0)
		return rc;
	ix = *idx;
	for (i = 0, n = 0; i < rows; i++) {
		ix[n] = (uint32_t)i;
		n += w->sel[i];
	}
	/* decode only the matching rows; do_block() then sees a block of
	 * n rows, all selected */
	if ((rc = store_reader_load_rows(r, run->colmask, ix, n, b,
	    d)) != 0) {
		note_error(run, rc, d);
		return 2;
	}
	if (run->apre_exact) {
		for (i = 0; i < n; i++)
			ix[i] = (uint32_t)i;
	} else	/* the rest of the filter, on the candidate rows only */
		n = filter_select(run->q->filter, b, ix);
	rc = do_block(w, info, b, idx, capidx, n);
	pthread_mutex_lock(&run->mu);
	run->st.scanned += rows - b->n;	/* do_block() counted b->n */
	pthread_mutex_unlock(&run->mu);
	return rc == 0 ? 2 : rc;
}

static int
do_unit(struct qworker *w, const struct qunit *u, struct flow_block *b,
    uint32_t **idx, size_t *capidx)
{
	struct qrun *run = w->run;
	struct store_reader *r = NULL;
	struct store_block_info info;
	struct mm_diag d;
	uint64_t k = 0, skipped = 0;
	int rc;

	mm_diag_clear(&d);
	if ((rc = store_reader_open(run->paths[u->file], &r, &d)) != 0) {
		if (u->stripe == 0)	/* once per file, not per stripe */
			note_error(run, rc, &d);
		return 0;
	}
	if (u->stripe == 0) {
		pthread_mutex_lock(&run->mu);
		run->st.files++;
		pthread_mutex_unlock(&run->mu);
	}
	for (;;) {
		if (atomic_load(&run->stop))
			break;
		mm_diag_clear(&d);
		rc = store_reader_next(r, &info, &d);
		if (rc == 0)
			break;
		if (rc < 0) {
			if (k++ % u->nstripes == u->stripe)
				note_error(run, rc, &d);
			continue;
		}
		if (k++ % u->nstripes != u->stripe)
			continue;
		if (block_skippable(run, r, &info)) {
			skipped++;
			continue;
		}
		if (run->apre_n > 0) {
			rc = addr_pretest(w, r, &info, b, idx, capidx, &d);
			if (rc == 2)
				continue;	/* handled or no row matched */
			if (rc != 0)
				break;
		}
		if (run->p1mask != 0 && !w->one_phase) {
			/*
			 * Two phases: decode the filter's columns, and the
			 * rest only when some row matches (a selective filter
			 * that the Bloom filter could not help with then
			 * reads a fraction of the data). Stops once most
			 * blocks match, as it then decodes twice.
			 */
			size_t n;

			if ((rc = store_reader_load(r, run->p1mask, b,
			    &d)) != 0) {
				note_error(run, rc, &d);
				continue;
			}
			if ((rc = ensure_idx(idx, capidx, b->n)) != 0)
				break;
			n = filter_select(run->q->filter, b, *idx);
			w->p1_blocks++;
			w->p1_hits += n > 0;
			if (w->p1_blocks >= 16 && w->p1_hits * 2 > w->p1_blocks)
				w->one_phase = 1;
			if (n == 0) {
				pthread_mutex_lock(&run->mu);
				run->st.blocks++;
				run->st.scanned += b->n;
				pthread_mutex_unlock(&run->mu);
				continue;
			}
			/* decode only the other columns, then move the
			 * filter's columns over (equal capacities keep
			 * both blocks' arrays consistent) */
			if (swap_ready(b, &w->b2) != 0 ||
			    (rc = store_reader_load(r, run->colmask &
			    ~run->p1mask, &w->b2, &d)) != 0) {
				note_error(run, rc ? rc : MM_ENOMEM, &d);
				continue;
			}
			swap_cols(b, &w->b2, run->p1mask);
			if ((rc = do_block(w, &info, &w->b2, idx, capidx,
			    n)) != 0)
				break;
			continue;
		}
		if ((rc = store_reader_load(r, run->colmask, b, &d)) != 0) {
			note_error(run, rc, &d);
			continue;
		}
		if ((rc = do_block(w, &info, b, idx, capidx, (size_t)-1)) != 0)
			break;
	}
	store_reader_close(r);
	pthread_mutex_lock(&run->mu);
	run->st.skipped += skipped;
	pthread_mutex_unlock(&run->mu);
	return rc < 0 ? rc : 0;
}

static void *
worker_main(void *arg)
{
	struct qworker *w = arg;
	struct qrun *run = w->run;
	struct flow_block b;
	struct qunit u;
	uint32_t *idx = NULL;
	size_t capidx = 0, i;
	int rc = 0;

	flow_block_init(&b);
	flow_block_init(&w->b2);
	while (rc == 0 && take_unit(run, &u))
		rc = do_unit(w, &u, &b, &idx, &capidx);
	if (rc == 0)
		rc = merge_aggs(w);
	if (rc == 0 && w->nfl > 0) {
		pthread_mutex_lock(&run->mu);
		if (run->nsorted + w->nfl > run->capsorted) {
			size_t cap = run->nsorted + w->nfl;
			struct flow *nf = realloc(run->sorted,
			    cap * sizeof(*nf));

			if (nf == NULL)
				rc = MM_ENOMEM;
			else {
				run->sorted = nf;
				run->capsorted = cap;
			}
		}
		if (rc == 0) {
			for (i = 0; i < w->nfl; i++)
				run->sorted[run->nsorted++] = w->fl[i];
		}
		pthread_mutex_unlock(&run->mu);
	}
	if (rc < 0)
		fatal_error(run, rc, "query");
	flow_block_free(&b);
	flow_block_free(&w->b2);
	free(idx);
	free(w->sel);
	free(w->sel2);
	w->sel = w->sel2 = NULL;
	pthread_mutex_lock(&run->mu);
	run->running--;
	pthread_cond_signal(&run->cv);
	pthread_mutex_unlock(&run->mu);
	return NULL;
}

static int
cmp_first(const void *a, const void *b)
{
	const struct flow *x = a, *y = b;
	int c;

	if (x->first != y->first)
		return x->first < y->first ? -1 : 1;
	if (x->last != y->last)
		return x->last < y->last ? -1 : 1;
	/* ties in the order of the ClickHouse pushdown (chquery.c) */
	if ((c = memcmp(x->src.b, y->src.b, 16)) != 0)
		return c;
	if ((c = memcmp(x->dst.b, y->dst.b, 16)) != 0)
		return c;
	if (x->src_port != y->src_port)
		return x->src_port < y->src_port ? -1 : 1;
	if (x->dst_port != y->dst_port)
		return x->dst_port < y->dst_port ? -1 : 1;
	if (x->proto != y->proto)
		return x->proto < y->proto ? -1 : 1;
	if (x->packets != y->packets)
		return x->packets < y->packets ? -1 : 1;
	return (x->bytes > y->bytes) - (x->bytes < y->bytes);
}

static uint32_t
output_cols(const struct query_opts *q)
{
	if (q->out.fmt != QOUT_TABLE)
		return FCOL_ALL;
	return FCOL_BIT(FCOL_FIRST) | FCOL_BIT(FCOL_LAST) |
	    FCOL_BIT(FCOL_PROTO) | FCOL_BIT(FCOL_SRC) | FCOL_BIT(FCOL_DST) |
	    FCOL_BIT(FCOL_SRC_PORT) | FCOL_BIT(FCOL_DST_PORT) |
	    FCOL_BIT(FCOL_PACKETS) | FCOL_BIT(FCOL_BYTES);
}

static int
addr_node_ok(const struct fnode *nd)
{
	if (nd == NULL || (nd->type != FN_ADDR && nd->type != FN_ADDRSET))
		return 0;
	if (nd->field != FA_SRC && nd->field != FA_DST)
		return 0;
	if (nd->pair != FPAIR_ONE && nd->field2 != FA_SRC &&
	    nd->field2 != FA_DST)
		return 0;
	return 1;
}

/*
 * Finds an address predicate on src/dst that every matching flow must
 * satisfy: the root itself (then it is the whole filter) or a child of a
 * root AND. Sets run->apre*; returns 0 or MM_ENOMEM.
 */
static int
plan_addr(struct qrun *run)
{
	const struct filter *f = run->q->filter;
	const struct fnode *root, *nd = NULL, *kid;
	const struct mm_addr *set;
	const int *kids;
	size_t i, n;

	root = filter_node(f, filter_root(f));
	if (root == NULL)
		return 0;
	if (addr_node_ok(root)) {
		nd = root;
		run->apre_exact = 1;
	} else if (root->type == FN_AND) {
		kids = filter_kids(f, root->set_off);
		for (i = 0; i < root->set_n && nd == NULL; i++) {
			kid = filter_node(f, kids[i]);
			if (addr_node_ok(kid))
				nd = kid;
		}
	}
	if (nd == NULL)
		return 0;
	n = nd->type == FN_ADDR ? 1 : nd->set_n;
	if (n == 0)
		return 0;
	if ((run->apre = calloc(n, sizeof(*run->apre))) == NULL)
		return MM_ENOMEM;
	if (nd->type == FN_ADDR) {
		run->apre[0].addr = nd->addr;
		run->apre[0].len = nd->plen;
	} else {
		set = filter_addrset(f, nd->set_off);
		for (i = 0; i < n; i++) {
			run->apre[i].addr = set[i];
			run->apre[i].len = 128;
		}
	}
	run->apre_n = n;
	run->apre_f1 = nd->field == FA_SRC ? FCOL_SRC : FCOL_DST;
	run->apre_f2 = nd->field2 == FA_SRC ? FCOL_SRC : FCOL_DST;
	run->apre_pair = nd->pair;
	return 0;
}

static int
list_inputs(struct qrun *run, struct mm_diag *diag)
{
	const struct query_opts *q = run->q;
	char **p, **np;
	size_t n, i;
	int rc;

	for (i = 0; i < q->npaths; i++) {
		rc = store_list(q->paths[i], q->has_window ? &q->window : NULL,
		    &p, &n, diag);
		if (rc != 0)
			return rc;
		if (n == 0) {
			store_paths_free(p, n);
			continue;
		}
		np = realloc(run->paths, (run->npaths + n) * sizeof(*np));
		if (np == NULL) {
			store_paths_free(p, n);
			return mm_diag_set(diag, MM_ENOMEM, "out of memory");
		}
		run->paths = np;
		memcpy(run->paths + run->npaths, p, n * sizeof(*p));
		run->npaths += n;
		free(p);	/* the strings now belong to run->paths */
	}
	return 0;
}

static void
progress_wait(struct qrun *run)
{
	const struct query_opts *q = run->q;
	struct query_stats snap;
	struct timespec ts;

	pthread_mutex_lock(&run->mu);
	while (run->running > 0) {
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_nsec += 250000000L;
		if (ts.tv_nsec >= 1000000000L) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000L;
		}
		pthread_cond_timedwait(&run->cv, &run->mu, &ts);
		if (q->progress != NULL && run->running > 0) {
			snap = run->st;
			pthread_mutex_unlock(&run->mu);
			q->progress(q->progress_arg, &snap);
			pthread_mutex_lock(&run->mu);
		}
	}
	pthread_mutex_unlock(&run->mu);
}

static int
print_results(struct qrun *run)
{
	const struct query_opts *q = run->q;
	struct agg_row *rows;
	size_t nrows, k, i, topn = q->topn ? q->topn : 10;
	int rc;

	for (k = 0; k < q->nstats; k++) {
		const struct agg_spec *sp = &q->stats[k];

		if ((rc = agg_top(run->gagg[k], sp->order, topn, &rows,
		    &nrows)) != 0)
			return rc;
		out_groups(q->fp, &q->out, run->gagg[k], 1, sp->order, rows,
		    nrows, &run->st);
		free(rows);
	}
	if (q->aggr != NULL) {
		if ((rc = agg_top(run->gagg[q->nstats], q->order,
		    (size_t)q->limit, &rows, &nrows)) != 0)
			return rc;
		out_groups(q->fp, &q->out, run->gagg[q->nstats], 0, q->order,
		    rows, nrows, &run->st);
		free(rows);
	}
	if (q->sort_tstart && run->nagg == 0) {
		qsort(run->sorted, run->nsorted, sizeof(*run->sorted),
		    cmp_first);
		for (i = 0; i < run->nsorted; i++) {
			if (q->limit != 0 && i >= q->limit)
				break;
			out_flow(q->fp, &q->out, &run->sorted[i]);
		}
	}
	return 0;
}

int
query_run(const struct query_opts *q, struct query_stats *st,
    struct mm_diag *diag)
{
	struct qrun run;
	struct qworker *w = NULL;
	size_t i, k, stripes;
	long ncpu;
	int nthreads = 1, started = 0, rc = 0, locks = 0;
	double t0 = now_sec();

	memset(&run, 0, sizeof(run));
	memset(st, 0, sizeof(*st));
	mm_diag_clear(diag);
	mm_diag_clear(&run.diag);
	run.q = q;
	run.st.first = INT64_MAX;
	run.st.last = INT64_MIN;
	if (q->nstats > QUERY_MAXSTATS) {
		rc = mm_diag_set(diag, MM_ELIMIT, "at most %d -s statistics",
		    QUERY_MAXSTATS);
		goto out;
	}
	if ((rc = list_inputs(&run, diag)) != 0)
		goto out;
	nthreads = q->threads;
	if (nthreads <= 0) {
		ncpu = sysconf(_SC_NPROCESSORS_ONLN);
		nthreads = ncpu > 0 ? (int)ncpu : 1;
	}
	if (nthreads > QUERY_MAXTHREADS)
		nthreads = QUERY_MAXTHREADS;

	/* columns, host hints and aggregations */
	run.colmask = FCOL_BIT(FCOL_FIRST) | FCOL_BIT(FCOL_LAST) |
	    FCOL_BIT(FCOL_PACKETS) | FCOL_BIT(FCOL_BYTES);
	if (q->filter != NULL) {
		run.colmask |= filter_colmask(q->filter);
		run.nhosts = filter_hosts(q->filter, run.hosts,
		    FILTER_MAXHINTS);
	}
	for (k = 0; k < q->nstats; k++) {
		run.colmask |= agg_colmask(&q->stats[k]);
		if ((rc = agg_new_shared(&q->stats[k],
		    &run.gagg[run.nagg])) != 0)
			goto nomem;
		run.nagg++;
	}
	if (q->aggr != NULL) {
		run.colmask |= agg_colmask(q->aggr);
		if ((rc = agg_new_shared(q->aggr, &run.gagg[run.nagg])) != 0)
			goto nomem;
		run.nagg++;
	}
	if (run.nagg == 0)
		run.colmask |= output_cols(q);
	if (q->filter != NULL && (rc = plan_addr(&run)) != 0)
		goto nomem;
	if (q->filter != NULL && filter_colmask(q->filter) != 0 &&
	    (filter_colmask(q->filter) | run.colmask) != filter_colmask(q->filter))
		run.p1mask = filter_colmask(q->filter);

	/* work units */
	/*
	 * Files differ in size (the last interval is often partial), so with
	 * fewer than four files per thread each file is cut into stripes:
	 * enough units for the threads to balance. A stripe costs the block
	 * headers of the whole file (checksummed, small).
	 */
	stripes = 1;
	if (run.npaths > 0 && run.npaths < 4 * (size_t)nthreads) {
		stripes = (4 * (size_t)nthreads + run.npaths - 1) / run.npaths;
		if (stripes > (size_t)nthreads)
			stripes = (size_t)nthreads;
	}
	if (run.npaths > 0 && (run.units = calloc(run.npaths * stripes,
	    sizeof(*run.units))) == NULL)
		goto nomem;
	for (i = 0; i < run.npaths; i++)
		for (k = 0; k < stripes; k++) {
			struct qunit *u = &run.units[run.nunits++];

			u->file = i;
			u->stripe = (unsigned)k;
			u->nstripes = (unsigned)stripes;
		}

	if (pthread_mutex_init(&run.mu, NULL) != 0)
		goto nomem;
	if (pthread_mutex_init(&run.outmu, NULL) != 0) {
		pthread_mutex_destroy(&run.mu);
		goto nomem;
	}
	if (pthread_cond_init(&run.cv, NULL) != 0) {
		pthread_mutex_destroy(&run.mu);
		pthread_mutex_destroy(&run.outmu);
		goto nomem;
	}
	locks = 1;
	if (run.nagg == 0 && !q->sort_tstart)
		out_flow_header(q->fp, &q->out);
	if ((w = calloc((size_t)nthreads, sizeof(*w))) == NULL)
		goto nomem;
	for (i = 0; i < (size_t)nthreads; i++) {
		w[i].run = &run;
		if (run.nagg > 0 && (w[i].scratch = agg_scratch_new()) == NULL)
			goto nomem;
		for (k = 0; k < run.nagg; k++)
			if ((rc = agg_new(agg_get_spec(run.gagg[k]),
			    &w[i].agg[k])) != 0)
				goto nomem;
	}
	run.running = nthreads;
	for (i = 0; i < (size_t)nthreads; i++) {
		if (pthread_create(&w[i].tid, NULL, worker_main, &w[i]) != 0) {
			pthread_mutex_lock(&run.mu);
			run.running -= nthreads - (int)i;
			run.stop = 1;
			pthread_mutex_unlock(&run.mu);
			rc = mm_diag_set(diag, MM_EIO, "pthread_create: %s",
			    strerror(errno));
			break;
		}
		started++;
	}
	progress_wait(&run);
	for (i = 0; i < (size_t)started; i++)
		pthread_join(w[i].tid, NULL);
	if (rc != 0)
		goto out;
	if (run.fatal) {
		rc = run.fatal;
		*diag = run.diag;
		goto out;
	}
	if (q->sort_tstart && run.nagg == 0)
		out_flow_header(q->fp, &q->out);
	/* compact the shared aggregations on all threads (agg_top() would
	 * do it on one) */
	for (k = 0; k < run.nagg; k++)
		if ((rc = agg_finish(run.gagg[k], nthreads)) != 0)
			goto nomem;
	if ((rc = print_results(&run)) != 0)
		goto nomem;
	if (run.st.flows == 0) {
		run.st.first = 0;
		run.st.last = 0;
	}
	run.st.elapsed = now_sec() - t0;
	*st = run.st;
	if (!q->no_summary)
		out_summary(q->fp, &q->out, st);
	if (run.diag.msg[0] != '\0')
		*diag = run.diag;
	goto out;
nomem:
	rc = mm_diag_set(diag, MM_ENOMEM, "out of memory");
out:
	if (w != NULL) {
		for (i = 0; i < (size_t)nthreads; i++) {
			for (k = 0; k < run.nagg; k++)
				agg_free(w[i].agg[k]);
			agg_scratch_free(w[i].scratch);
			free(w[i].fl);
		}
		free(w);
	}
	for (k = 0; k < run.nagg; k++)
		agg_free(run.gagg[k]);
	if (locks) {
		pthread_mutex_destroy(&run.mu);
		pthread_mutex_destroy(&run.outmu);
		pthread_cond_destroy(&run.cv);
	}
	free(run.units);
	free(run.sorted);
	free(run.apre);
	store_paths_free(run.paths, run.npaths);
	return rc;
}
