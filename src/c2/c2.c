/*
 * c2.c - the C&C detector: scan, bounded per-pair state, RITA scoring,
 * server aggregation (see c2.h for the model, docs/c2-scoring.md for the
 * formulas).
 *
 * Scan. Work units are store files, or stripes of files when there are
 * fewer files than threads (block k goes to stripe k mod n). A worker skips
 * blocks outside the window by their min/max time, loads only eleven
 * columns (first, last, src, dst, src_port, dst_port, proto, packets,
 * bytes, sampling, dst_as), classifies every row against the internal
 * prefixes, interns both addresses (a worker-local cache in front of one
 * locked table: a lock per new address per worker, not per row) and keeps
 * the outbound rows in a batch with their 11-byte key (client id, server
 * id, port, protocol) and its hash. The pair table is split into C2_SHARDS
 * shards, each its own hash table (kmap.h: tagged 4-byte slots, records in
 * fixed chunks) under its own mutex; a worker counting-sorts its batch by
 * shard and takes each shard's lock once per block, so lock traffic is
 * O(shards) per 64 k-row block, not O(rows).
 *
 * State per pair (struct pair, 64 bytes + ~10 of slot): the key, flow /
 * byte / packet counters, last second, the sampling rate and the first
 * C2_SMALL distinct seconds with their bytes. The fourth distinct second
 * promotes the pair to a struct big (352 bytes): the C2_PER_STRATUM earliest
 * distinct seconds of each quarter of the window with their bytes, a 24-bin
 * count histogram, a source-port bitmap (long-lived connection test), the
 * server's AS and the pair's scores. The earliest connections of a quarter
 * are consecutive in time, so the intervals between them are true
 * inter-connection intervals; an interval that crosses a quarter boundary
 * is used only when the earlier quarter kept all of its connections. Both
 * tables are capped; a flow that would need a record beyond a cap is
 * counted and dropped.
 *
 * Scoring runs over the shards on all threads: each big pair with at least
 * min_conns flows is scored with c2/beacon.h; strobes and long-lived
 * connections are flagged, not scored. The hash slots are then freed and
 * the aggregation runs: services (server id, port, protocol) partitioned by
 * server id over the threads, then single-threaded passes over the pairs of
 * candidate services only (beacons, then period-consistent clients), so
 * its memory is O(services + reported pairs). Time O(flows + pairs),
 * memory O(pairs) bounded by the caps.
 */
#include <inttypes.h>
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/resource.h>
#include <unistd.h>

#include "c2/c2.h"
#include "c2/kmap.h"
#include "collect/chhttp.h"
#include "core/sbuf.h"
#include "store/store.h"

#define C2_SHARDS	256
#define C2_KEYLEN	11		/* cli id, srv id, port, proto */
#define C2_MAX_BYTES	(1ULL << 40)	/* per flow; more is clamped */
#define C2_MAX_PACKETS	(1ULL << 32)
#define DAY_S		86400

struct pair {
	uint32_t	cli, srv;	/* address ids (struct intern) */
	uint16_t	port;
	uint8_t		proto;
	uint8_t		nsmall;		/* not in the key */
	uint32_t	conns;		/* flows, saturating */
	uint32_t	last;		/* seconds from window start */
	uint32_t	big;		/* index + 1 into the shard's bigs */
	uint32_t	packets;	/* saturating */
	uint16_t	sampling;	/* max 1-in-N seen, saturating */
	uint16_t	flags;		/* PAIR_* */
	uint64_t	bytes;
	uint32_t	ts[C2_SMALL];	/* distinct seconds, arrival order */
	uint32_t	sz[C2_SMALL];
};
#define PAIR_STROBE	0x01

/* Score of one pair, kept in its big record. */
struct pscore {
	float		score, period, size, jitter;
	uint8_t		scored, beacon, strobe, persistent;
};

struct big {
	uint32_t	t[C2_STRATA][C2_PER_STRATUM];
	uint32_t	b[C2_STRATA][C2_PER_STRATUM];
	uint16_t	hist[C2_HIST_BINS];	/* saturating */
	uint64_t	ports;		/* linear-counting bitmap of source
					 * ports since promotion */
	uint32_t	pconns;		/* flows since promotion */
	uint32_t	nports;		/* exact distinct source ports (from
					 * ClickHouse); 0 = use the bitmap */
	uint32_t	asn;		/* server's AS as exported; 0 = none */
	struct pscore	ps;
	uint8_t		n[C2_STRATA];
	uint8_t		over[C2_STRATA];
};

#define BIG_CHUNK	1024

struct shard {
	pthread_mutex_t	 mu;
	struct kmap	 pairs;		/* struct pair */
	struct big	**bigs;		/* chunks of BIG_CHUNK */
	size_t		 nbig, nchunk;
};

/* Address interning: one id per distinct address (the kmap index). */
struct addrrec {
	struct mm_addr	a;
	uint32_t	id;		/* in worker caches */
};

struct unit {
	size_t		file;
	unsigned	stripe, nstripes;
};

struct run {
	const struct c2_conf	*c;
	struct c2_result	*res;
	struct shard		*shards;
	pthread_mutex_t		 imu;
	struct kmap		 addrs;		/* struct addrrec, id = index */
	char			**paths;
	size_t			 npaths;
	struct unit		*units;
	size_t			 nunits, next;
	pthread_mutex_t		 mu;
	int64_t			 ws, we;	/* window in seconds */
	uint32_t		 winlen;	/* seconds */
	uint64_t		 strobe_max;	/* flows in the window */
	atomic_uint_fast64_t	 npairs, nbig;
	int			 fatal;
	/* counters, merged under mu */
	struct c2_stats		 st;
	char			 first_error[MM_DIAG_LEN];
};

static int
is_internal(const struct c2_conf *c, const struct mm_addr *a)
{
	size_t i;

	for (i = 0; i < c->ninternal; i++)
		if (prefix_contains(&c->internal[i], a))
			return 1;
	return 0;
}

void
c2_conf_default(struct c2_conf *c)
{
	memset(c, 0, sizeof(*c));
	c2_beacon_conf_default(&c->beacon);
	c->beacon_min = 0.7;
	c->popular = 0.08;
	c->min_conns = 4;
	c->window_ms = 86400000;
}

static int
nthreads(int want)
{
	long n;

	if (want > 0)
		return want > 256 ? 256 : want;
	n = sysconf(_SC_NPROCESSORS_ONLN);
	if (n < 1)
		n = 1;
	return n > 256 ? 256 : (int)n;
}

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double
cpu_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static uint64_t
maxrss_kb(void)
{
	struct rusage ru;

	if (getrusage(RUSAGE_SELF, &ru) != 0)
		return 0;
	return (uint64_t)ru.ru_maxrss;
}

/* ---- addresses and per-pair state ---- */

static const struct mm_addr *
addr_of(const struct run *r, uint32_t id)
{
	return &((const struct addrrec *)kmap_at(&r->addrs, id))->a;
}

/* Id of `a` through the worker's cache; -1 when the table is full. */
static int64_t
intern(struct run *r, struct kmap *cache, const struct mm_addr *a)
{
	struct addrrec rec;
	uint64_t h = kmap_hash(a, 16);
	int64_t x;

	memset(&rec, 0, sizeof(rec));
	rec.a = *a;
	if ((x = kmap_find(cache, &rec, h, 0, NULL)) >= 0)
		return ((struct addrrec *)kmap_at(cache, (size_t)x))->id;
	pthread_mutex_lock(&r->imu);
	x = kmap_find(&r->addrs, &rec, h, 1, NULL);
	pthread_mutex_unlock(&r->imu);
	if (x < 0)
		return -1;
	rec.id = (uint32_t)x;
	(void)kmap_find(cache, &rec, h, 1, NULL);	/* a miss costs a lock */
	return x;
}

static struct big *
big_at(const struct shard *sh, uint32_t i)
{
	return &sh->bigs[i / BIG_CHUNK][i % BIG_CHUNK];
}

static const struct pscore *
pair_ps(const struct shard *sh, const struct pair *p)
{
	static const struct pscore none;

	return p->big != 0 ? &big_at(sh, p->big - 1)->ps : &none;
}

static unsigned
stratum_of(const struct run *r, uint32_t t)
{
	uint64_t s = (uint64_t)t * C2_STRATA / r->winlen;

	return s >= C2_STRATA ? C2_STRATA - 1 : (unsigned)s;
}

static unsigned
bin_of(const struct run *r, uint32_t t)
{
	uint64_t s = (uint64_t)t * C2_HIST_BINS / r->winlen;

	return s >= C2_HIST_BINS ? C2_HIST_BINS - 1 : (unsigned)s;
}

static void
big_add(const struct run *r, struct big *g, uint32_t t, uint32_t b)
{
	unsigned s = stratum_of(r, t), n = g->n[s], j, k;
	uint32_t *tt = g->t[s], *bb = g->b[s];

	if (g->hist[bin_of(r, t)] < UINT16_MAX)
		g->hist[bin_of(r, t)]++;
	/* position of t among the kept (sorted) times */
	for (j = 0; j < n && tt[j] < t; j++)
		;
	if (j < n && tt[j] == t) {
		bb[j] = bb[j] > UINT32_MAX - b ? UINT32_MAX : bb[j] + b;
		return;
	}
	if (n == C2_PER_STRATUM) {
		g->over[s] = 1;
		if (j == n)
			return;
		n--;		/* drop the latest */
	} else
		g->n[s]++;
	for (k = n; k > j; k--) {
		tt[k] = tt[k - 1];
		bb[k] = bb[k - 1];
	}
	tt[j] = t;
	bb[j] = b;
}

/* A zeroed sample record for pair `p`; 0, or -1 at the cap / no memory. */
static int
big_new(struct run *r, struct shard *sh, struct pair *p, struct big **gp)
{
	struct big *g;

	if (atomic_fetch_add(&r->nbig, 1) >= r->c->max_big)
		return -1;
	if (sh->nbig == sh->nchunk * BIG_CHUNK) {
		struct big **nc = realloc(sh->bigs,
		    (sh->nchunk + 1) * sizeof(*nc));

		if (nc == NULL)
			return -1;
		sh->bigs = nc;
		if ((nc[sh->nchunk] = malloc(BIG_CHUNK * sizeof(**nc))) ==
		    NULL)
			return -1;
		sh->nchunk++;
	}
	g = big_at(sh, (uint32_t)sh->nbig);
	memset(g, 0, sizeof(*g));
	p->big = (uint32_t)++sh->nbig;
	*gp = g;
	return 0;
}

/* Adds one connection; returns 0, or -1 when a big record was needed but
 * the cap or memory said no (the flow is still counted in the pair). */
static int
pair_add(struct run *r, struct shard *sh, struct pair *p, uint32_t t,
    uint64_t bytes, uint64_t packets, uint32_t sampling, uint32_t asn,
    uint16_t sport)
{
	uint32_t b = bytes > UINT32_MAX ? UINT32_MAX : (uint32_t)bytes;
	struct big *g;
	unsigned j;

	if (p->conns < UINT32_MAX)
		p->conns++;
	p->bytes += bytes;
	p->packets = packets > UINT32_MAX - p->packets ? UINT32_MAX :
	    p->packets + (uint32_t)packets;
	if (t > p->last)
		p->last = t;
	if (sampling > p->sampling)
		p->sampling = sampling > UINT16_MAX ? UINT16_MAX :
		    (uint16_t)sampling;
	if (p->big != 0) {
		g = big_at(sh, p->big - 1);
		goto big;
	}
	for (j = 0; j < p->nsmall; j++) {
		if (p->ts[j] == t) {
			p->sz[j] = p->sz[j] > UINT32_MAX - b ? UINT32_MAX :
			    p->sz[j] + b;
			return 0;
		}
	}
	if (p->nsmall < C2_SMALL) {
		p->ts[p->nsmall] = t;
		p->sz[p->nsmall++] = b;
		return 0;
	}
	/* promote at the (C2_SMALL + 1)th distinct second */
	if (big_new(r, sh, p, &g) != 0)
		return -1;
	for (j = 0; j < p->nsmall; j++)
		big_add(r, g, p->ts[j], p->sz[j]);
	big_add(r, g, t, b);
	goto ports;
big:
	big_add(r, g, t, b);
ports:
	if (asn != 0)
		g->asn = asn;
	g->pconns++;
	g->ports |= 1ULL << (((uint32_t)sport * 2654435761u) >> 26);
	return 0;
}

/* ---- scan ---- */

struct wstate {
	struct flow_block	 b;
	struct kmap		 cache;		/* address -> id */
	uint32_t		*rows;		/* outbound rows of the block */
	struct pair		*keys;		/* their pair keys */
	uint64_t		*hash;
	uint32_t		*order;
	size_t			 cap;
	struct c2_stats		 st;
	char			 err[MM_DIAG_LEN];
};

static int
wstate_reserve(struct wstate *w, size_t n)
{
	uint32_t *a, *c;
	uint64_t *h;
	struct pair *k;

	if (n <= w->cap)
		return 0;
	k = realloc(w->keys, n * sizeof(*k));
	if (k == NULL)
		return -1;
	w->keys = k;
	a = realloc(w->rows, n * sizeof(*a));
	if (a != NULL)
		w->rows = a;
	h = realloc(w->hash, n * sizeof(*h));
	if (h != NULL)
		w->hash = h;
	c = realloc(w->order, n * sizeof(*c));
	if (c != NULL)
		w->order = c;
	if (a == NULL || h == NULL || c == NULL)
		return -1;
	w->cap = n;
	return 0;
}

static void
note_error(struct wstate *w, const struct mm_diag *d)
{
	w->st.errors++;
	if (w->err[0] == '\0' && d->msg[0] != '\0')
		snprintf(w->err, sizeof(w->err), "%s", d->msg);
}

static void
scan_block(struct run *r, struct wstate *w)
{
	const struct c2_conf *c = r->c;
	const struct flow_block *b = &w->b;
	size_t i, n = 0, cnt[C2_SHARDS], off[C2_SHARDS], s;
	int64_t ws_ms = r->ws * 1000, we_ms = r->we * 1000;

	for (i = 0; i < b->n; i++) {
		struct pair *key = &w->keys[n];
		int64_t ci, si_;
		int si, di;

		if (b->first[i] <= 0) {
			w->st.bad_time++;
			continue;
		}
		if (b->last[i] < b->first[i])
			w->st.reversed_time++;
		if (b->first[i] < ws_ms || b->first[i] >= we_ms) {
			w->st.outside_window++;
			continue;
		}
		si = is_internal(c, &b->src[i]);
		di = is_internal(c, &b->dst[i]);
		if (si && di) {
			w->st.internal_only++;
			continue;
		}
		if (!si && !di) {
			w->st.external_only++;
			continue;
		}
		if (!si) {
			w->st.inbound++;
			continue;
		}
		if (addr_is_zero(&b->dst[i])) {
			w->st.external_only++;
			continue;
		}
		if ((ci = intern(r, &w->cache, &b->src[i])) < 0 ||
		    (si_ = intern(r, &w->cache, &b->dst[i])) < 0) {
			w->st.dropped_pairs++;
			continue;
		}
		memset(key, 0, sizeof(*key));
		key->cli = (uint32_t)ci;
		key->srv = (uint32_t)si_;
		key->port = b->proto[i] == 1 || b->proto[i] == 58 ? 0 :
		    b->dst_port[i];
		key->proto = b->proto[i];
		w->rows[n] = (uint32_t)i;
		w->hash[n] = kmap_hash(key, C2_KEYLEN);
		n++;
		w->st.outbound++;
		if (b->sampling[i] > w->st.max_sampling)
			w->st.max_sampling = b->sampling[i];
	}
	if (n == 0)
		return;
	memset(cnt, 0, sizeof(cnt));
	for (i = 0; i < n; i++)
		cnt[w->hash[i] >> 56]++;
	for (s = 0, i = 0; s < C2_SHARDS; s++) {
		off[s] = i;
		i += cnt[s];
	}
	for (i = 0; i < n; i++)
		w->order[off[w->hash[i] >> 56]++] = (uint32_t)i;
	for (s = 0, i = 0; s < C2_SHARDS; s++) {
		struct shard *sh = &r->shards[s];
		size_t end = i + cnt[s];

		if (cnt[s] == 0)
			continue;
		pthread_mutex_lock(&sh->mu);
		for (; i < end; i++) {
			uint32_t k = w->order[i], row = w->rows[k];
			struct pair *p;
			uint64_t by = b->bytes[row], pk = b->packets[row];
			uint32_t t;
			int64_t idx;

			idx = kmap_find(&sh->pairs, &w->keys[k], w->hash[k], 0,
			    NULL);
			if (idx == -1) {
				if (atomic_fetch_add(&r->npairs, 1) >=
				    c->max_pairs) {
					w->st.dropped_pairs++;
					continue;
				}
				idx = kmap_find(&sh->pairs, &w->keys[k],
				    w->hash[k], 1, NULL);
			}
			if (idx < 0) {
				w->st.dropped_pairs++;
				continue;
			}
			if (by > C2_MAX_BYTES || pk > C2_MAX_PACKETS) {
				w->st.huge_counters++;
				if (by > C2_MAX_BYTES)
					by = C2_MAX_BYTES;
				if (pk > C2_MAX_PACKETS)
					pk = C2_MAX_PACKETS;
			}
			t = (uint32_t)(b->first[row] / 1000 - r->ws);
			p = kmap_at(&sh->pairs, (size_t)idx);
			if (pair_add(r, sh, p, t, by, pk,
			    b->sampling[row], b->dst_as[row],
			    b->src_port[row]) != 0)
				w->st.dropped_pairs++;
		}
		pthread_mutex_unlock(&sh->mu);
	}
}

#define C2_COLMASK (FCOL_BIT(FCOL_FIRST) | FCOL_BIT(FCOL_LAST) | \
	FCOL_BIT(FCOL_SRC) | FCOL_BIT(FCOL_DST) | FCOL_BIT(FCOL_DST_PORT) | \
	FCOL_BIT(FCOL_PROTO) | FCOL_BIT(FCOL_PACKETS) | FCOL_BIT(FCOL_BYTES) | \
	FCOL_BIT(FCOL_SAMPLING) | FCOL_BIT(FCOL_DST_AS) | \
	FCOL_BIT(FCOL_SRC_PORT))

static void
scan_unit(struct run *r, struct wstate *w, const struct unit *u)
{
	struct store_reader *rd = NULL;
	struct store_block_info info;
	struct mm_diag d;
	size_t k = 0;
	int rc;

	mm_diag_clear(&d);
	if ((rc = store_reader_open(r->paths[u->file], &rd, &d)) != 0) {
		if (u->stripe == 0)
			note_error(w, &d);
		return;
	}
	if (u->stripe == 0)
		w->st.files++;
	for (;;) {
		rc = store_reader_next(rd, &info, &d);
		if (rc == 0)
			break;
		if (rc < 0) {
			if (k++ % u->nstripes == u->stripe)
				note_error(w, &d);
			continue;
		}
		if (k++ % u->nstripes != u->stripe)
			continue;
		if (info.tmax < r->ws * 1000 || info.tmin >= r->we * 1000)
			continue;
		if ((rc = store_reader_load(rd, C2_COLMASK, &w->b, &d)) != 0) {
			note_error(w, &d);
			continue;
		}
		w->st.blocks++;
		w->st.rows += w->b.n;
		if (wstate_reserve(w, w->b.n) != 0) {
			mm_diag_set(&d, MM_ENOMEM, "c2: out of memory");
			note_error(w, &d);
			continue;
		}
		scan_block(r, w);
	}
	store_reader_close(rd);
}

static void
stats_add(struct c2_stats *a, const struct c2_stats *b)
{
	a->files += b->files;
	a->blocks += b->blocks;
	a->rows += b->rows;
	a->outbound += b->outbound;
	a->inbound += b->inbound;
	a->internal_only += b->internal_only;
	a->external_only += b->external_only;
	a->outside_window += b->outside_window;
	a->bad_time += b->bad_time;
	a->reversed_time += b->reversed_time;
	a->huge_counters += b->huge_counters;
	a->dropped_pairs += b->dropped_pairs;
	a->errors += b->errors;
	if (b->max_sampling > a->max_sampling)
		a->max_sampling = b->max_sampling;
}

static void *
scan_worker(void *arg)
{
	struct run *r = arg;
	struct wstate w;
	struct unit u;

	memset(&w, 0, sizeof(w));
	flow_block_init(&w.b);
	kmap_init(&w.cache, sizeof(struct addrrec), 16);
	for (;;) {
		pthread_mutex_lock(&r->mu);
		if (r->next >= r->nunits || r->fatal) {
			pthread_mutex_unlock(&r->mu);
			break;
		}
		u = r->units[r->next++];
		pthread_mutex_unlock(&r->mu);
		scan_unit(r, &w, &u);
	}
	pthread_mutex_lock(&r->mu);
	stats_add(&r->st, &w.st);
	if (r->first_error[0] == '\0' && w.err[0] != '\0')
		snprintf(r->first_error, sizeof(r->first_error), "%s", w.err);
	pthread_mutex_unlock(&r->mu);
	flow_block_free(&w.b);
	kmap_free(&w.cache);
	free(w.keys);
	free(w.rows);
	free(w.hash);
	free(w.order);
	return NULL;
}

/* Newest flow time (max `last`, ms) across the inputs; 0 when none. */
static int
find_newest(const struct c2_conf *c, mtime_t *newest, struct mm_diag *d)
{
	size_t i, j, np;
	char **paths;
	int rc;

	*newest = 0;
	for (i = 0; i < c->npaths; i++) {
		rc = store_list(c->paths[i], NULL, &paths, &np, d);
		if (rc != 0)
			return rc;
		/* the newest files first; stop at the first with a block */
		for (j = np; j > 0; j--) {
			struct store_reader *rd = NULL;
			struct store_block_info info;
			struct mm_diag dd;
			mtime_t m = 0;
			int any = 0;

			if (store_reader_open(paths[j - 1], &rd, &dd) != 0)
				continue;
			while ((rc = store_reader_next(rd, &info, &dd)) != 0) {
				if (rc < 0)
					continue;
				if (info.rows == 0)
					continue;
				any = 1;
				if (info.tmax > m)
					m = info.tmax;
			}
			store_reader_close(rd);
			if (m > *newest)
				*newest = m;
			if (any)
				break;
		}
		store_paths_free(paths, np);
	}
	return 0;
}

static int
scan(struct run *r, int nthr, struct mm_diag *d)
{
	const struct c2_conf *c = r->c;
	struct mtime_window w;
	pthread_t tid[256];
	size_t i, j, np, k;
	char **paths;
	int rc, started = 0;
	unsigned ns;

	w.start = r->ws * 1000;
	w.end = r->we * 1000;
	for (i = 0; i < c->npaths; i++) {
		char **nw;

		if ((rc = store_list(c->paths[i], &w, &paths, &np, d)) != 0)
			return rc;
		nw = realloc(r->paths, (r->npaths + np + 1) * sizeof(*nw));
		if (nw == NULL) {
			store_paths_free(paths, np);
			return mm_diag_set(d, MM_ENOMEM, "c2: out of memory");
		}
		r->paths = nw;
		for (j = 0; j < np; j++)
			r->paths[r->npaths++] = paths[j];
		free(paths);	/* the strings moved to r->paths */
	}
	/* Files are named by receive time; flows replayed or imported long
	 * after they happened live in files outside their own time: then
	 * take every file and let the block min/max times skip. */
	for (i = 0; r->npaths == 0 && i < c->npaths; i++) {
		char **nw;

		if ((rc = store_list(c->paths[i], NULL, &paths, &np, d)) != 0)
			return rc;
		nw = realloc(r->paths, (r->npaths + np + 1) * sizeof(*nw));
		if (nw == NULL) {
			store_paths_free(paths, np);
			return mm_diag_set(d, MM_ENOMEM, "c2: out of memory");
		}
		r->paths = nw;
		for (j = 0; j < np; j++)
			r->paths[r->npaths++] = paths[j];
		free(paths);
	}
	if (r->npaths == 0)
		return mm_diag_set(d, MM_ENOENT,
		    "c2: no store files in the window");
	ns = r->npaths < (size_t)nthr ? (unsigned)nthr : 1;
	if ((r->units = calloc(r->npaths * ns, sizeof(*r->units))) == NULL)
		return mm_diag_set(d, MM_ENOMEM, "c2: out of memory");
	for (i = 0, k = 0; i < r->npaths; i++)
		for (j = 0; j < ns; j++) {
			r->units[k].file = i;
			r->units[k].stripe = (unsigned)j;
			r->units[k++].nstripes = ns;
		}
	r->nunits = k;
	for (i = 0; i < (size_t)nthr; i++) {
		if (pthread_create(&tid[i], NULL, scan_worker, r) != 0)
			break;
		started++;
	}
	if (started == 0)
		scan_worker(r);
	for (i = 0; i < (size_t)started; i++)
		pthread_join(tid[i], NULL);
	return 0;
}

/* ---- scoring ---- */

/* Samples of a pair in time order: times, bytes, interval validity. */
struct samples {
	uint32_t	t[C2_SAMPLE_MAX];
	uint32_t	b[C2_SAMPLE_MAX];
	uint8_t		valid[C2_SAMPLE_MAX];
	uint32_t	hist[C2_HIST_BINS];
	size_t		n;
};

static int
scmp(const void *a, const void *b)
{
	const uint32_t *x = a, *y = b;

	return x[0] < y[0] ? -1 : x[0] > y[0];
}

static void
samples_get(const struct run *r, const struct shard *sh,
    const struct pair *p, struct samples *s)
{
	unsigned i, j;

	memset(s, 0, sizeof(*s));
	if (p->big == 0) {
		uint32_t tmp[C2_SMALL][2];

		for (i = 0; i < p->nsmall; i++) {
			tmp[i][0] = p->ts[i];
			tmp[i][1] = p->sz[i];
		}
		qsort(tmp, p->nsmall, sizeof(tmp[0]), scmp);
		for (i = 0; i < p->nsmall; i++) {
			s->t[i] = tmp[i][0];
			s->b[i] = tmp[i][1];
			s->valid[i] = 1;
			s->hist[bin_of(r, tmp[i][0])]++;
		}
		s->n = p->nsmall;
		return;
	}
	{
		const struct big *g = big_at(sh, p->big - 1);

		for (i = 0; i < C2_HIST_BINS; i++)
			s->hist[i] = g->hist[i];
		for (i = 0; i < C2_STRATA; i++)
			for (j = 0; j < g->n[i]; j++) {
				s->t[s->n] = g->t[i][j];
				s->b[s->n] = g->b[i][j];
				/* interval to the next sample is a true one
				 * inside a quarter, or across quarters when
				 * this quarter kept everything */
				s->valid[s->n] = j + 1 < g->n[i] || !g->over[i];
				s->n++;
			}
	}
}

/* First second of a pair: the earliest sample (the earliest connection of
 * each quarter is always kept). */
static uint32_t
pair_first(const struct shard *sh, const struct pair *p)
{
	uint32_t f = UINT32_MAX;
	unsigned i;

	if (p->big == 0) {
		for (i = 0; i < p->nsmall; i++)
			if (p->ts[i] < f)
				f = p->ts[i];
	} else {
		const struct big *g = big_at(sh, p->big - 1);

		for (i = 0; i < C2_STRATA; i++)
			if (g->n[i] > 0) {
				f = g->t[i][0];
				break;
			}
	}
	return f == UINT32_MAX ? p->last : f;
}

/* Scores one pair into `sc`; returns 0 or -1 (too few connections). */
static int
score_pair(const struct run *r, const struct shard *sh, const struct pair *p,
    struct samples *s, struct c2_beacon_score *sc)
{
	const struct c2_beacon_conf *bc = &r->c->beacon;
	double work[C2_SAMPLE_MAX];
	size_t i;

	memset(sc, 0, sizeof(*sc));
	samples_get(r, sh, p, s);
	if (s->n < r->c->min_conns || s->n < 4)
		return -1;
	if (c2_ts_score(s->t, s->n, s->valid, work, &sc->ts) != 0)
		return -1;
	sc->ok_ts = 1;
	for (i = 0; i < s->n; i++)
		work[i] = (double)s->b[i];
	if (c2_stat_score(work, s->n, 0.0, &sc->ds) == 0)
		sc->ok_ds = 1;
	if (c2_hist_score(s->hist, C2_HIST_BINS, bc, &sc->hist, &sc->hist_cv,
	    &sc->hist_bimodal, &sc->total_bars, &sc->longest_run) != 0)
		return -1;
	sc->dur = c2_dur_score(0, r->winlen, pair_first(sh, p), p->last,
	    sc->total_bars, sc->longest_run, bc, &sc->dur_coverage,
	    &sc->dur_consistency);
	sc->score = c2_beacon_total(bc, sc->ts.score, sc->ds.score, sc->dur,
	    sc->hist);
	return 0;
}

/*
 * A pair whose flows mostly share one source port is one long-lived
 * connection exported as periodic records (keepalives of a push or MQTT
 * session, re-opened a few times a day), not a series of new connections:
 * at least 3 flows per distinct source port on average: RITA, reading Zeek's one
 * record per connection, would call it a long connection, not a beacon.
 */
static int
pair_persistent(const struct shard *sh, const struct pair *p)
{
	/* unsampled: >= 8 records, >= 3 per port; sampled flows keep few
	 * records of a session: >= 5 records, >= 1.5 per port (fresh ports
	 * give 1) */
	uint32_t minrec = p->sampling > 1 ? 5 : 8;
	double ratio = p->sampling > 1 ? 1.5 : 3.0;
	const struct big *g;
	uint64_t x;
	int zero = 64;
	double est;

	/* TCP and SCTP only: a UDP client that keeps one socket still sends
	 * a new exchange each period (NTP daemons, UDP implants) */
	if ((p->proto != 6 && p->proto != 132) || p->big == 0)
		return 0;
	g = big_at(sh, p->big - 1);
	if (g->nports > 0)
		return g->pconns >= minrec &&
		    (double)g->pconns >= ratio * g->nports;
	for (x = g->ports; x != 0; x &= x - 1)
		zero--;
	/* linear counting: n ~ -m ln(V/m); trusted while V >= 8 (n up to
	 * about 130 distinct ports), a saturated bitmap means many ports */
	if (zero < 8 || g->pconns < minrec)
		return 0;
	est = -64.0 * log((double)zero / 64.0);
	if (est < 1)
		est = 1;
	return (double)g->pconns >= ratio * est;
}

/*
 * Beacon strength of a scored pair: RITA's total, or, for a pair that
 * beacons regularly but only part of the window (rotating or sleeping
 * implants, which RITA's histogram and duration scores punish), the mean of
 * the timestamp and data-size scores when at least C2_PARTIAL_MIN distinct
 * connections back it (C2_PARTIAL_MIN_SAMPLED on sampled flows).
 */
#define C2_PARTIAL_MIN		4	/* unsampled: RITA's minimum */
#define C2_PARTIAL_MIN_SAMPLED	6	/* sampled: timing is thinned */

static double
pair_strength(const struct pair *p, const struct c2_beacon_score *sc,
    size_t nsamples)
{
	double s = sc->score, part;
	size_t min = p->sampling > 1 ? C2_PARTIAL_MIN_SAMPLED :
	    C2_PARTIAL_MIN;

	if (nsamples >= min && sc->ok_ds) {
		part = c2_round3((sc->ts.score + sc->ds.score) / 2);
		if (part > s)
			s = part;
	}
	return s;
}

struct score_arg {
	struct run	*r;
	size_t		 from, to;	/* shards */
	uint64_t	 scored, beacons, strobes, persistent;
};

static void *
score_worker(void *arg)
{
	struct score_arg *a = arg;
	struct run *r = a->r;
	struct samples s;
	struct c2_beacon_score sc;
	size_t i, k;

	for (k = a->from; k < a->to; k++) {
		struct shard *sh = &r->shards[k];

		for (i = 0; i < sh->pairs.n; i++) {
			struct pair *p = kmap_at(&sh->pairs, i);
			struct pscore *ps;

			if (p->conns > r->strobe_max) {
				p->flags |= PAIR_STROBE;
				if (p->big != 0)
					big_at(sh, p->big - 1)->ps.strobe = 1;
				a->strobes++;
				continue;
			}
			/* every scorable pair has a big record (promotion at
			 * the 4th distinct second) */
			if (p->big == 0 || p->conns < r->c->min_conns)
				continue;
			ps = &big_at(sh, p->big - 1)->ps;
			if (score_pair(r, sh, p, &s, &sc) != 0)
				continue;
			ps->scored = 1;
			if (pair_persistent(sh, p)) {
				ps->persistent = 1;
				a->persistent++;
				continue;
			}
			ps->score = (float)pair_strength(p, &sc, s.n);
			ps->period = (float)sc.ts.median;
			ps->jitter = sc.ts.median > 0 ?
			    (float)(sc.ts.mad / sc.ts.median) : 0;
			ps->size = (float)sc.ds.median;
			ps->beacon = ps->score >= r->c->beacon_min;
			a->scored++;
			a->beacons += ps->beacon;
		}
	}
	return NULL;
}

static int
score_all(struct run *r, int nthr)
{
	struct score_arg a[256];
	pthread_t tid[256];
	int i, started = 0;
	size_t per = (C2_SHARDS + (size_t)nthr - 1) / (size_t)nthr;

	for (i = 0; i < nthr; i++) {
		memset(&a[i], 0, sizeof(a[i]));
		a[i].r = r;
		a[i].from = (size_t)i * per;
		a[i].to = a[i].from + per;
		if (a[i].from > C2_SHARDS)
			a[i].from = C2_SHARDS;
		if (a[i].to > C2_SHARDS)
			a[i].to = C2_SHARDS;
	}
	for (i = 0; i < nthr; i++) {
		if (pthread_create(&tid[i], NULL, score_worker, &a[i]) != 0)
			break;
		started++;
	}
	for (i = started; i < nthr; i++)
		score_worker(&a[i]);
	for (i = 0; i < started; i++)
		pthread_join(tid[i], NULL);
	for (i = 0; i < nthr; i++) {
		r->st.pairs_scored += a[i].scored;
		r->st.beacons += a[i].beacons;
		r->st.strobes += a[i].strobes;
		r->st.persistent += a[i].persistent;
	}
	return 0;
}

/* ---- aggregation ---- */

struct svc {
	uint32_t	srv;		/* address id */
	uint16_t	port;
	uint8_t		proto;
	uint8_t		pad;
	uint32_t	clients, beacons, strobes;
	uint64_t	flows, bytes, packets;
	uint32_t	first, last;
	uint32_t	asn;
	int32_t		out;		/* index in res->servers or -1 */
};

struct portent {
	uint16_t	port;
	uint8_t		proto;
	uint8_t		pad;
	uint32_t	services, pairs;
};

/* A beaconing (or reputation-flagged) pair, for per-server medians. */
struct bref {
	uint32_t	svc;
	uint32_t	shard, idx;
	float		score, period, size, jitter;
	uint8_t		beacon, persistent, consistent;
};

static int
bref_cmp(const void *a, const void *b)
{
	const struct bref *x = a, *y = b;

	if (x->svc != y->svc)
		return x->svc < y->svc ? -1 : 1;
	if (x->score != y->score)
		return x->score > y->score ? -1 : 1;
	return 0;
}

static int
dcmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static int
fcmp(const void *a, const void *b)
{
	float x = *(const float *)a, y = *(const float *)b;

	return x < y ? -1 : x > y;
}

static int
srv_cmp(const void *a, const void *b)
{
	const struct c2_server_result *x = a, *y = b;

	if (x->score != y->score)
		return x->score > y->score ? -1 : 1;
	if (x->beacons != y->beacons)
		return x->beacons > y->beacons ? -1 : 1;
	return addr_cmp(&x->srv, &y->srv);
}

static double
fmedian(float *v, size_t n)
{
	if (n == 0)
		return 0;
	qsort(v, n, sizeof(*v), fcmp);
	return n % 2 ? v[n / 2] : ((double)v[n / 2 - 1] + v[n / 2]) / 2.0;
}

static void server_finish(struct c2_server_result *, size_t, double);

/*
 * Relative period tolerance: 15 % on unsampled flows; 50 % on sampled
 * ones, whose median interval is that of a random thinning of the beacon
 * (a multiple of the period that depends on the packets per connection).
 */
static double
period_tol(const struct run *r)
{
	return r->st.max_sampling > 1 ? 0.5 : 0.15;
}

static void
server_score(struct c2_server_result *s, const struct bref *br, size_t nb,
    uint64_t total_clients, double popular, double ptol, float *tmp)
{
	size_t i, np = 0, nsz = 0;
	double sum = 0, pmed, smed, tol;

	for (i = 0; i < nb; i++) {
		sum += br[i].score;
		tmp[i] = br[i].period;
	}
	s->beacon_mean = nb ? sum / (double)nb : 0;
	pmed = fmedian(tmp, nb);
	for (i = 0; i < nb; i++)
		tmp[i] = br[i].size;
	smed = fmedian(tmp, nb);
	s->size_min = nb ? tmp[0] : 0;
	s->size_max = nb ? tmp[nb - 1] : 0;
	for (i = 0; i < nb; i++)
		tmp[i] = br[i].jitter;
	s->jitter = fmedian(tmp, nb);
	s->period = pmed;
	s->size = smed;
	tol = pmed * ptol > 2 ? pmed * ptol : 2;
	for (i = 0; i < nb; i++) {
		if (fabs(br[i].period - pmed) <= tol)
			np++;
		if (fabs(br[i].size - smed) <= (smed * 0.25 > 16 ?
		    smed * 0.25 : 16))
			nsz++;
	}
	s->sim_period = nb ? (double)np / (double)nb : 0;
	s->sim_size = nb ? (double)nsz / (double)nb : 0;
	s->prevalence = total_clients ? (double)s->clients /
	    (double)total_clients : 0;
	server_finish(s, nb, popular);
}

/*
 * The C&C-server score from the number of clients that beacon with the
 * server's period (`nb`: strong beacons plus period-consistent clients):
 * mean beacon strength x fan-in and similarity x purity x popularity x
 * port and hosting penalties; a reputation hit lifts it, an allowlist
 * zeroes it. See docs/c2-scoring.md.
 */
static void
server_finish(struct c2_server_result *s, size_t nb, double popular)
{
	s->fanin = nb ? 1.0 - exp(-((double)nb - 1.0) / 3.0) : 0;
	s->purity = s->clients ? (double)nb / s->clients : 0;
	if (s->purity > 1)
		s->purity = 1;
	s->popularity = 1.0 / (1.0 + (s->prevalence / popular) *
	    (s->prevalence / popular));
	s->score = s->beacon_mean * (0.35 + 0.65 * s->fanin *
	    (s->sim_period + s->sim_size) / 2.0) * (0.3 + 0.7 * s->purity) *
	    s->popularity;
	if (s->srv_ports > 3)
		s->score *= sqrt(3.0 / s->srv_ports);
	if (s->shared_hosting)
		s->score *= 0.5;
	if (s->intel_hit) {
		double conf = s->hit.confidence / 100.0;

		if (s->score < 0.6)
			s->score = 0.6;
		s->score += 0.3 * conf;
	}
	if (s->score > 1)
		s->score = 1;
	if (s->allowed)
		s->score = 0;
	s->score = c2_round3(s->score);
}

/* Median interval (s) of a pair too small to score, 0 when it has fewer
 * than 3 connections; *size gets the median bytes. */
static double
pair_period(const struct run *r, const struct shard *sh,
    const struct pair *p, float *size)
{
	struct samples s;
	double iv[C2_SAMPLE_MAX], b[C2_SAMPLE_MAX];
	size_t i, k = 0;

	samples_get(r, sh, p, &s);
	for (i = 0; i < s.n; i++)
		b[i] = s.b[i];
	qsort(b, s.n, sizeof(b[0]), dcmp);
	*size = (float)c2_median_sorted(b, s.n);
	if (s.n < 3)
		return 0;
	for (i = 0; i + 1 < s.n; i++)
		if (s.valid[i] && s.t[i + 1] > s.t[i])
			iv[k++] = (double)(s.t[i + 1] - s.t[i]);
	if (k < 2)
		return 0;
	qsort(iv, k, sizeof(iv[0]), dcmp);
	return c2_median_sorted(iv, k);
}

static void
fill_pair(const struct run *r, const struct shard *sh, const struct pair *p,
    struct c2_pair_result *o)
{
	struct samples s;
	size_t i, step, k;

	memset(o, 0, sizeof(*o));
	o->cli = *addr_of(r, p->cli);
	o->srv = *addr_of(r, p->srv);
	o->port = p->port;
	o->proto = p->proto;
	o->conns = p->conns;
	o->sampling = p->sampling ? p->sampling : 1;
	o->first = (r->ws + pair_first(sh, p)) * 1000;
	o->last = (r->ws + p->last) * 1000;
	o->bytes = p->bytes;
	o->packets = p->packets;
	if (score_pair(r, sh, p, &s, &o->sc) == 0) {
		o->period = o->sc.ts.median;
		o->jitter = o->sc.ts.median > 0 ?
		    o->sc.ts.mad / o->sc.ts.median : 0;
		o->size = o->sc.ds.median;
		o->persistent = pair_persistent(sh, p);
		o->strength = o->persistent ? 0 :
		    pair_strength(p, &o->sc, s.n);
		o->beacon = o->strength >= r->c->beacon_min;
	} else {
		float sz;

		o->period = pair_period(r, sh, p, &sz);
		o->size = sz;
		o->persistent = pair_persistent(sh, p);
	}
	/* score_pair sorted s.t; samples_get keeps bytes aligned only for
	 * the unsorted path, so take the sample flows afresh */
	samples_get(r, sh, p, &s);
	step = s.n > C2_MAX_SAMPLES ? s.n / C2_MAX_SAMPLES : 1;
	for (i = 0, k = 0; i < s.n && k < C2_MAX_SAMPLES; i += step, k++) {
		o->sample_t[k] = s.t[i];
		o->sample_b[k] = s.b[i];
	}
	o->nsamples = (uint32_t)k;
}

#define C2_MAXPARTS	16

/* Pass 1 of the aggregation for one partition of the server ids. */
struct agg1 {
	struct run	*r;
	unsigned	 part, nparts;
	struct kmap	 svcs;		/* struct svc */
	struct kmap	 ports;		/* struct portent */
	uint32_t	*srvports;	/* shared; owner writes its ids */
	uint8_t		*role;		/* shared; clients by part 0 only */
	int		 failed;
};

static unsigned
part_of(uint32_t srv, unsigned nparts)
{
	return (unsigned)(((uint64_t)srv * 2654435761u) >> 16) % nparts;
}

static void *
agg1_worker(void *arg)
{
	struct agg1 *a = arg;
	struct run *r = a->r;
	size_t i, k;

	for (k = 0; k < C2_SHARDS && !a->failed; k++) {
		struct shard *sh = &r->shards[k];

		for (i = 0; i < sh->pairs.n; i++) {
			const struct pair *p = kmap_at(&sh->pairs, i);
			const struct pscore *ps;
			struct svc sv, *v;
			struct portent pe, *q;
			uint32_t f;
			int64_t x;
			int added;

			if (a->part == 0)
				a->role[p->cli] |= 1;
			if (part_of(p->srv, a->nparts) != a->part)
				continue;
			ps = pair_ps(sh, p);
			memset(&sv, 0, sizeof(sv));
			sv.srv = p->srv;
			sv.port = p->port;
			sv.proto = p->proto;
			sv.first = UINT32_MAX;
			sv.out = -1;
			x = kmap_find(&a->svcs, &sv, kmap_hash(&sv, 7), 1,
			    &added);
			if (x < 0) {
				a->failed = 1;
				break;
			}
			v = kmap_at(&a->svcs, (size_t)x);
			v->clients++;
			v->flows += p->conns;
			v->bytes += p->bytes;
			v->packets += p->packets;
			if ((f = pair_first(sh, p)) < v->first)
				v->first = f;
			if (p->last > v->last)
				v->last = p->last;
			v->strobes += (p->flags & PAIR_STROBE) != 0;
			if (p->big != 0 && big_at(sh, p->big - 1)->asn != 0)
				v->asn = big_at(sh, p->big - 1)->asn;
			if (ps->beacon)
				v->beacons++;
			if (added)
				a->srvports[p->srv]++;
			a->role[p->srv] |= 2;
			memset(&pe, 0, sizeof(pe));
			pe.port = p->port;
			pe.proto = p->proto;
			x = kmap_find(&a->ports, &pe, kmap_hash(&pe, 3), 1,
			    NULL);
			if (x < 0) {
				a->failed = 1;
				break;
			}
			q = kmap_at(&a->ports, (size_t)x);
			q->pairs++;
			q->services += added;
		}
	}
	return NULL;
}

static int
aggregate(struct run *r, int nthr)
{
	const struct c2_conf *c = r->c;
	struct c2_result *res = r->res;
	struct agg1 ag[C2_MAXPARTS];
	pthread_t tid[C2_MAXPARTS];
	struct kmap *ports = &ag[0].ports;
	struct bref *br = NULL, *keep = NULL;
	size_t nbr = 0, capbr = 0, i, k, nout = 0, j, nkeep = 0;
	size_t naddr = r->addrs.n, pi;
	double ptol = period_tol(r);
	int pass;
	uint32_t *srvports = NULL;	/* services per server address id */
	uint8_t *role = NULL;		/* 1 client, 2 server, 4 candidate */
	float *tmp = NULL;
	int rc = MM_ENOMEM, nparts, started = 0;

	nparts = nthr < 1 ? 1 : nthr > C2_MAXPARTS ? C2_MAXPARTS : nthr;
	memset(ag, 0, sizeof(ag));
	for (pi = 0; pi < (size_t)nparts; pi++) {
		kmap_init(&ag[pi].svcs, sizeof(struct svc), 7);
		kmap_init(&ag[pi].ports, sizeof(struct portent), 3);
	}
	if ((srvports = calloc(naddr + 1, sizeof(*srvports))) == NULL ||
	    (role = calloc(naddr + 1, 1)) == NULL)
		goto out;

	/* pass 1, in parallel: services partitioned by server id */
	for (pi = 0; pi < (size_t)nparts; pi++) {
		ag[pi].r = r;
		ag[pi].part = (unsigned)pi;
		ag[pi].nparts = (unsigned)nparts;
		ag[pi].srvports = srvports;
		ag[pi].role = role;
	}
	for (pi = 1; pi < (size_t)nparts; pi++) {
		if (pthread_create(&tid[pi], NULL, agg1_worker, &ag[pi]) != 0)
			break;
		started++;
	}
	for (pi = 1 + (size_t)started; pi < (size_t)nparts; pi++)
		agg1_worker(&ag[pi]);
	agg1_worker(&ag[0]);
	for (pi = 1; pi <= (size_t)started; pi++)
		pthread_join(tid[pi], NULL);
	for (pi = 0; pi < (size_t)nparts; pi++)
		if (ag[pi].failed)
			goto out;
	/* merge the port tables into the first */
	for (pi = 1; pi < (size_t)nparts; pi++)
		for (i = 0; i < ag[pi].ports.n; i++) {
			const struct portent *q = kmap_at(&ag[pi].ports, i);
			struct portent *d;
			int64_t x;

			x = kmap_find(ports, q, kmap_hash(q, 3), 0, NULL);
			if (x >= 0) {
				d = kmap_at(ports, (size_t)x);
				d->pairs += q->pairs;
				d->services += q->services;
			} else if (kmap_find(ports, q, kmap_hash(q, 3), 1,
			    NULL) < 0)
				goto out;
		}
	for (pi = 0; pi < (size_t)nparts; pi++)
		r->st.services += ag[pi].svcs.n;
	for (i = 0; i < naddr; i++) {
		r->st.clients += role[i] & 1;
		r->st.ext_servers += (role[i] & 2) != 0;
	}

	/* pass 2: candidate services (a beacon or a reputation hit) */
	for (pi = 0; pi < (size_t)nparts; pi++)
	for (i = 0; i < ag[pi].svcs.n; i++) {
		struct svc *v = kmap_at(&ag[pi].svcs, i);
		struct intel_hit hit;
		const char *cat = NULL;
		int ih = 0, al = 0, shared = 0;

		if (c->intel != NULL) {
			ih = intel_lookup(c->intel, addr_of(r, v->srv),
			    v->port, &hit);
			al = intel_allowed(c->intel, addr_of(r, v->srv),
			    v->asn, &cat);
		}
		if (v->beacons == 0 && !ih)
			continue;
		/* cloud and CDN networks also host C&C: down-weighted in
		 * server_score(), not dropped */
		if (al && cat != NULL && (strcmp(cat, "cloud") == 0 ||
		    strcmp(cat, "cdn") == 0)) {
			al = 0;
			shared = 1;
		}
		if (al && !c->keep_allowed && !ih)
			continue;
		if (nout % 1024 == 0) {
			struct c2_server_result *ns = realloc(res->servers,
			    (nout + 1024) * sizeof(*ns));

			if (ns == NULL)
				goto out;
			res->servers = ns;
		}
		{
			struct c2_server_result *s = &res->servers[nout];
			struct portent pe;
			int64_t x;

			memset(s, 0, sizeof(*s));
			s->srv = *addr_of(r, v->srv);
			s->port = v->port;
			s->proto = v->proto;
			s->clients = v->clients;
			s->beacons = v->beacons;
			s->strobes = v->strobes;
			s->flows = v->flows;
			s->bytes = v->bytes;
			s->packets = v->packets;
			s->first = (r->ws + v->first) * 1000;
			s->last = (r->ws + v->last) * 1000;
			s->intel_hit = ih;
			if (ih)
				s->hit = hit;
			s->allowed = al && !ih;
			s->allow_category = cat;
			s->shared_hosting = shared;
			s->srv_ports = srvports[v->srv];
			memset(&pe, 0, sizeof(pe));
			pe.port = v->port;
			pe.proto = v->proto;
			x = kmap_find(ports, &pe, kmap_hash(&pe, 3), 0, NULL);
			if (x >= 0) {
				const struct portent *q = kmap_at(ports,
				    (size_t)x);

				s->port_servers = q->services;
				s->port_clients = q->pairs;
			}
		}
		v->out = (int32_t)nout++;
		role[v->srv] |= 4;
	}
	res->nservers = nout;

	/*
	 * pass 3: the beaconing pairs of the candidates give each server its
	 * period and size statistics; pass 4 adds the clients that follow
	 * that period (rotating or sleeping implants with few connections,
	 * sampled flows) and, for listed servers, every client. Only those
	 * pairs are referenced, so memory is O(reported pairs).
	 */
	for (pass = 3; pass <= 4; pass++) {
		for (k = 0; k < C2_SHARDS; k++) {
			struct shard *sh = &r->shards[k];

			for (i = 0; i < sh->pairs.n; i++) {
				const struct pair *p = kmap_at(&sh->pairs, i);
				const struct pscore *ps = pair_ps(sh, p);
				const struct c2_server_result *so;
				struct svc sv;
				const struct svc *v;
				struct bref *e;
				float per, size;
				int64_t x;

				if (!(role[p->srv] & 4))
					continue;
				if (pass == 3 && !ps->beacon)
					continue;
				if (pass == 4 && ps->beacon)
					continue;
				memset(&sv, 0, sizeof(sv));
				sv.srv = p->srv;
				sv.port = p->port;
				sv.proto = p->proto;
				pi = part_of(p->srv, (unsigned)nparts);
				x = kmap_find(&ag[pi].svcs, &sv,
				    kmap_hash(&sv, 7), 0, NULL);
				if (x < 0)
					continue;
				v = kmap_at(&ag[pi].svcs, (size_t)x);
				if (v->out < 0)
					continue;
				so = &res->servers[v->out];
				per = ps->period;
				size = ps->size;
				if (pass == 4) {
					double tol = so->period * ptol > 2 ?
					    so->period * ptol : 2;
					int cons;

					if (!ps->scored &&
					    !(p->flags & PAIR_STROBE) &&
					    !ps->persistent)
						per = (float)pair_period(r, sh,
						    p, &size);
					cons = so->beacons > 0 &&
					    !ps->persistent && per > 0 &&
					    fabs(per - so->period) <= tol;
					if (!cons && !so->intel_hit)
						continue;
					if (cons)
						res->servers[v->out].consistent++;
				}
				if (nbr == capbr) {
					size_t nc = capbr ? capbr * 2 : 1024;
					struct bref *nb = realloc(br,
					    nc * sizeof(*nb));

					if (nb == NULL)
						goto out;
					br = nb;
					capbr = nc;
				}
				e = &br[nbr++];
				memset(e, 0, sizeof(*e));
				e->svc = (uint32_t)v->out;
				e->shard = (uint32_t)k;
				e->idx = (uint32_t)i;
				e->score = ps->score;
				e->period = per;
				e->size = size;
				e->jitter = ps->jitter;
				e->beacon = ps->beacon;
				e->persistent = ps->persistent;
				e->consistent = pass == 4 && !ps->persistent &&
				    per > 0 && so->beacons > 0 &&
				    fabs(per - so->period) <=
				    (so->period * ptol > 2 ? so->period * ptol :
				    2);
			}
		}
		if (pass == 4)
			break;
		/* server statistics from the beacons */
		qsort(br, nbr, sizeof(*br), bref_cmp);
		if ((tmp = malloc((nbr + 1) * sizeof(*tmp))) == NULL)
			goto out;
		for (i = 0; i < nbr; i = j) {
			for (j = i; j < nbr && br[j].svc == br[i].svc; j++)
				;
			server_score(&res->servers[br[i].svc], &br[i], j - i,
			    r->st.clients, c->popular, ptol, tmp);
		}
		/* candidates without beacons (reputation hits) */
		for (i = 0; i < res->nservers; i++)
			if (res->servers[i].beacons == 0)
				server_score(&res->servers[i], NULL, 0,
				    r->st.clients, c->popular, ptol, tmp);
	}
	qsort(br, nbr, sizeof(*br), bref_cmp);
	for (i = 0; i < nbr; i = j) {
		struct c2_server_result *s = &res->servers[br[i].svc];

		for (j = i; j < nbr && br[j].svc == br[i].svc; j++)
			;
		s->pair_off = i;
		s->npairs = j - i;
		server_finish(s, s->beacons + s->consistent, c->popular);
	}
	keep = br;
	nkeep = nbr;
	br = NULL;

	/* result pairs in server order, best first */
	if (nkeep > 0 &&
	    (res->pairs = calloc(nkeep, sizeof(*res->pairs))) == NULL)
		goto out;
	for (i = 0; i < nkeep; i++) {
		const struct shard *sh = &r->shards[keep[i].shard];

		fill_pair(r, sh, kmap_at(&sh->pairs, keep[i].idx),
		    &res->pairs[i]);
		res->pairs[i].consistent = keep[i].consistent;
	}
	res->npairs = nkeep;
	qsort(res->servers, res->nservers, sizeof(*res->servers), srv_cmp);
	rc = 0;
out:
	free(br);
	free(keep);
	free(tmp);
	for (pi = 0; pi < (size_t)nparts; pi++) {
		kmap_free(&ag[pi].svcs);
		kmap_free(&ag[pi].ports);
	}
	free(srvports);
	free(role);
	return rc;
}

/* ---- ClickHouse: per-pair aggregates by SQL ---- */
/*
 * Reading mamori.flows in ClickHouse (docs/clickhouse.md) instead of the
 * store: the server groups the window's outbound flows per (client, server,
 * port, protocol) series and per second, then per series, and returns one
 * TabSeparated line per series with exactly what the in-memory state would
 * hold: flow, byte and packet totals, the last second, the sampling rate,
 * the server's AS, the exact number of distinct source ports, for each
 * quarter of the window its number of distinct seconds and the 8 earliest
 * with their bytes, and the 24-bin histogram. So only per-series aggregates
 * cross the network, never raw rows; scoring and aggregation are then the
 * same code as for the store. Large windows are paged by a hash of the
 * client (C2_CH_PAGE_ROWS flows a page) to stay under the HTTP response cap.
 */
#define C2_CH_PAGE_ROWS	(4ULL * 1000 * 1000)

/* (col inside one of the prefixes), as SQL over FixedString(16). */
static void
sb_internal(struct strbuf *b, const char *col, const struct c2_conf *c)
{
	size_t i, k;

	strbuf_printf(b, "(");
	for (i = 0; i < c->ninternal; i++) {
		const struct mm_prefix *p = &c->internal[i];
		unsigned n = p->len / 8, rem = p->len % 8;

		strbuf_printf(b, "%s(1", i ? " OR " : "");
		if (n > 0) {
			strbuf_printf(b, " AND substring(%s, 1, %u) = unhex('", col, n);
			for (k = 0; k < n; k++)
				strbuf_printf(b, "%02X", p->addr.b[k]);
			strbuf_printf(b, "')");
		}
		if (rem > 0) {
			unsigned mask = (0xff00u >> rem) & 0xff;

			strbuf_printf(b, " AND bitAnd(reinterpretAsUInt8(substring(%s, "
			    "%u, 1)), %u) = %u", col, n + 1, mask,
			    p->addr.b[n] & mask);
		}
		strbuf_printf(b, ")");
	}
	strbuf_printf(b, ")");
}

static int
ch_scalar(const char *url, const char *sql, uint64_t *v, struct mm_diag *d)
{
	char *out = NULL, *end;
	size_t len;
	int rc;

	if ((rc = chhttp_query(url, sql, NULL, 0, &out, &len, d)) != 0)
		return rc;
	*v = strtoull(out, &end, 10);
	if (end == out)
		rc = mm_diag_set(d, MM_EFORMAT, "clickhouse: not a number in "
		    "the answer to %.60s", sql);
	free(out);
	return rc;
}

static int
ch_newest(const char *url, mtime_t *newest, struct mm_diag *d)
{
	uint64_t v;
	int rc;

	if ((rc = ch_scalar(url, "SELECT max(last_ms) FROM mamori.flows",
	    &v, d)) != 0)
		return rc;
	*newest = v > INT64_MAX ? INT64_MAX : (mtime_t)v;
	return 0;
}

/* TabSeparated field parsing over [*p, end). */
static int
tsv_u64(const char **p, const char *end, uint64_t *v)
{
	uint64_t x = 0;
	const char *q = *p;

	if (q < end && *q == '-')	/* a negative never fits: refuse */
		return -1;
	if (q >= end || *q < '0' || *q > '9')
		return -1;
	while (q < end && *q >= '0' && *q <= '9') {
		if (x > (UINT64_MAX - 9) / 10)
			return -1;
		x = x * 10 + (uint64_t)(*q++ - '0');
	}
	*v = x;
	*p = q;
	return 0;
}

static int
tsv_sep(const char **p, const char *end)
{
	if (*p >= end || **p != '\t')
		return -1;
	(*p)++;
	return 0;
}

static int
tsv_hexaddr(const char **p, const char *end, struct mm_addr *a)
{
	uint8_t b[16];
	unsigned i;

	if (end - *p < 32)
		return -1;
	for (i = 0; i < 32; i++) {
		char ch = (*p)[i];
		unsigned v;

		if (ch >= '0' && ch <= '9')
			v = (unsigned)(ch - '0');
		else if (ch >= 'A' && ch <= 'F')
			v = (unsigned)(ch - 'A' + 10);
		else if (ch >= 'a' && ch <= 'f')
			v = (unsigned)(ch - 'a' + 10);
		else
			return -1;
		if (i % 2 == 0)
			b[i / 2] = (uint8_t)(v << 4);
		else
			b[i / 2] |= (uint8_t)v;
	}
	*p += 32;
	addr_from_v6(a, b);
	return 0;
}

/* "[1,2,3]" into v (at most max); returns the count or -1. */
static int
tsv_array(const char **p, const char *end, uint64_t *v, unsigned max)
{
	unsigned n = 0;

	if (*p >= end || **p != '[')
		return -1;
	(*p)++;
	if (*p < end && **p == ']') {
		(*p)++;
		return 0;
	}
	for (;;) {
		uint64_t x;

		if (tsv_u64(p, end, &x) != 0 || n >= max)
			return -1;
		v[n++] = x;
		if (*p < end && **p == ',') {
			(*p)++;
			continue;
		}
		if (*p < end && **p == ']') {
			(*p)++;
			return (int)n;
		}
		return -1;
	}
}

static uint32_t
clamp32(uint64_t v)
{
	return v > UINT32_MAX ? UINT32_MAX : (uint32_t)v;
}

/* One series line into the pair table; -1 when malformed. */
static int
ch_line(struct run *r, struct kmap *cache, const char *p, const char *end)
{
	struct mm_addr ca, sa;
	uint64_t port, proto, conns, secs, bytes, pk, smp, asn, last, nports;
	uint64_t qn[C2_STRATA], qt[C2_STRATA][C2_PER_STRATUM];
	uint64_t qb[C2_STRATA][C2_PER_STRATUM], hist[C2_HIST_BINS];
	int qk[C2_STRATA], kb;
	struct pair key, *pr;
	struct shard *sh;
	struct big *g = NULL;
	int64_t ci, si, idx;
	uint64_t h;
	unsigned q, i;

	if (tsv_hexaddr(&p, end, &ca) || tsv_sep(&p, end) ||
	    tsv_hexaddr(&p, end, &sa) || tsv_sep(&p, end) ||
	    tsv_u64(&p, end, &port) || tsv_sep(&p, end) ||
	    tsv_u64(&p, end, &proto) || tsv_sep(&p, end) ||
	    tsv_u64(&p, end, &conns) || tsv_sep(&p, end) ||
	    tsv_u64(&p, end, &secs) || tsv_sep(&p, end) ||
	    tsv_u64(&p, end, &bytes) || tsv_sep(&p, end) ||
	    tsv_u64(&p, end, &pk) || tsv_sep(&p, end) ||
	    tsv_u64(&p, end, &smp) || tsv_sep(&p, end) ||
	    tsv_u64(&p, end, &asn) || tsv_sep(&p, end) ||
	    tsv_u64(&p, end, &last) || tsv_sep(&p, end) ||
	    tsv_u64(&p, end, &nports))
		return -1;
	for (q = 0; q < C2_STRATA; q++) {
		if (tsv_sep(&p, end) || tsv_u64(&p, end, &qn[q]) ||
		    tsv_sep(&p, end) ||
		    (qk[q] = tsv_array(&p, end, qt[q], C2_PER_STRATUM)) < 0 ||
		    tsv_sep(&p, end) ||
		    (kb = tsv_array(&p, end, qb[q], C2_PER_STRATUM)) != qk[q])
			return -1;
	}
	for (i = 0; i < C2_HIST_BINS; i++)
		if (tsv_sep(&p, end) || tsv_u64(&p, end, &hist[i]))
			return -1;
	if (port > UINT16_MAX || proto > 255 || last >= r->winlen)
		return -1;

	if ((ci = intern(r, cache, &ca)) < 0 ||
	    (si = intern(r, cache, &sa)) < 0)
		return -2;
	memset(&key, 0, sizeof(key));
	key.cli = (uint32_t)ci;
	key.srv = (uint32_t)si;
	key.port = (uint16_t)port;
	key.proto = (uint8_t)proto;
	h = kmap_hash(&key, C2_KEYLEN);
	sh = &r->shards[h >> 56];
	if (atomic_fetch_add(&r->npairs, 1) >= r->c->max_pairs)
		return -2;
	if ((idx = kmap_find(&sh->pairs, &key, h, 1, NULL)) < 0)
		return -2;
	pr = kmap_at(&sh->pairs, (size_t)idx);
	pr->conns = clamp32(conns);
	pr->bytes = bytes;
	pr->packets = clamp32(pk);
	pr->last = (uint32_t)last;
	pr->sampling = smp > UINT16_MAX ? UINT16_MAX : (uint16_t)smp;
	r->st.outbound += conns;
	if (smp > r->st.max_sampling)
		r->st.max_sampling = clamp32(smp);
	if (secs > C2_SMALL && big_new(r, sh, pr, &g) == 0) {
		for (q = 0; q < C2_STRATA; q++) {
			for (i = 0; i < (unsigned)qk[q]; i++) {
				g->t[q][i] = clamp32(qt[q][i]);
				g->b[q][i] = clamp32(qb[q][i]);
			}
			g->n[q] = (uint8_t)qk[q];
			g->over[q] = qn[q] > (uint64_t)qk[q];
		}
		for (i = 0; i < C2_HIST_BINS; i++)
			g->hist[i] = hist[i] > UINT16_MAX ? UINT16_MAX :
			    (uint16_t)hist[i];
		g->asn = clamp32(asn);
		g->pconns = pr->conns;
		g->nports = nports > 0 ? clamp32(nports) : 1;
		return 0;
	}
	if (secs > C2_SMALL)
		r->st.dropped_pairs++;
	for (q = 0; q < C2_STRATA; q++)
		for (i = 0; i < (unsigned)qk[q] && pr->nsmall < C2_SMALL; i++) {
			pr->ts[pr->nsmall] = clamp32(qt[q][i]);
			pr->sz[pr->nsmall++] = clamp32(qb[q][i]);
		}
	return 0;
}

static int
ch_ingest(struct run *r, const char *url, struct mm_diag *d)
{
	const struct c2_conf *c = r->c;
	struct strbuf w = STRBUF_INIT, sql = STRBUF_INIT;
	struct kmap cache;
	uint64_t rows, pages, pg;
	unsigned q, i;
	int rc = 0;

	kmap_init(&cache, sizeof(struct addrrec), 16);
	strbuf_printf(&w, "first_ms >= %lld AND first_ms < %lld AND ",
	    (long long)r->ws * 1000, (long long)r->we * 1000);
	sb_internal(&w, "src", c);
	strbuf_printf(&w, " AND NOT ");
	sb_internal(&w, "dst", c);
	strbuf_printf(&w, " AND dst != toFixedString(unhex('%s'), 16)",
	    "00000000000000000000000000000000");
	if (w.err) {
		rc = mm_diag_set(d, MM_ENOMEM, "c2: out of memory");
		goto out;
	}
	strbuf_printf(&sql, "SELECT count() FROM mamori.flows WHERE %s", w.p);
	if (sql.err) {
		rc = mm_diag_set(d, MM_ENOMEM, "c2: out of memory");
		goto out;
	}
	if ((rc = ch_scalar(url, sql.p, &rows, d)) != 0)
		goto out;
	r->st.rows = rows;
	pages = 1 + rows / C2_CH_PAGE_ROWS;
	for (pg = 0; pg < pages && rc == 0; pg++) {
		char *out = NULL, *p, *e, *nl;
		size_t len;

		strbuf_free(&sql);
		strbuf_printf(&sql, "SELECT hex(src), hex(dst), port, proto, sum(n), "
		    "count(), sum(b), sum(pk), max(smp), max(asn), max(t), "
		    "length(groupUniqArrayArray(sp))");
		for (q = 0; q < C2_STRATA; q++)
			strbuf_printf(&sql, ", countIf(q = %u), arraySlice(arraySort("
			    "groupArrayIf(t, q = %u)), 1, %u), arraySlice("
			    "arraySort((x, y) -> y, groupArrayIf(b, q = %u), "
			    "groupArrayIf(t, q = %u)), 1, %u)", q, q,
			    C2_PER_STRATUM, q, q, C2_PER_STRATUM);
		for (i = 0; i < C2_HIST_BINS; i++)
			strbuf_printf(&sql, ", sumIf(n, h = %u)", i);
		strbuf_printf(&sql, " FROM (SELECT src, dst, if(proto IN (1, 58), 0, "
		    "dst_port) AS port, proto, intDiv(first_ms, 1000) - %lld "
		    "AS t, least(intDiv(t * %u, %u), %u) AS q, "
		    "least(intDiv(t * %u, %u), %u) AS h, count() AS n, "
		    "sum(bytes) AS b, sum(packets) AS pk, max(sampling) AS smp,"
		    " max(dst_as) AS asn, groupUniqArray(src_port) AS sp FROM "
		    "mamori.flows WHERE %s", (long long)r->ws, C2_STRATA,
		    r->winlen, C2_STRATA - 1, C2_HIST_BINS, r->winlen,
		    C2_HIST_BINS - 1, w.p);
		if (pages > 1)
			strbuf_printf(&sql, " AND cityHash64(src) %% %llu = %llu",
			    (unsigned long long)pages,
			    (unsigned long long)pg);
		strbuf_printf(&sql, " GROUP BY src, dst, port, proto, t, q, h) "
		    "GROUP BY src, dst, port, proto FORMAT TabSeparated");
		if (sql.err) {
			rc = mm_diag_set(d, MM_ENOMEM, "c2: out of memory");
			break;
		}
		if ((rc = chhttp_query(url, sql.p, NULL, 0, &out, &len,
		    d)) != 0)
			break;
		r->st.files++;
		for (p = out, e = out + len; p < e; p = nl + 1) {
			int lr;

			if ((nl = memchr(p, '\n', (size_t)(e - p))) == NULL)
				nl = e;
			if (nl == p)
				continue;
			r->st.blocks++;
			lr = ch_line(r, &cache, p, nl);
			if (lr == -1) {
				r->st.errors++;
				if (r->first_error[0] == '\0')
					snprintf(r->first_error,
					    sizeof(r->first_error), "clickhouse:"
					    " malformed series line %" PRIu64,
					    r->st.blocks);
			} else if (lr == -2)
				r->st.dropped_pairs++;
		}
		free(out);
	}
out:
	kmap_free(&cache);
	free(w.p);
	free(sql.p);
	return rc;
}

/* ---- driver ---- */

int
c2_run(const struct c2_conf *cin, struct c2_result *res, struct mm_diag *d)
{
	struct c2_conf c = *cin;
	struct run r;
	mtime_t newest = 0;
	double t0, c0;
	size_t i;
	int rc, nthr, shards_ok = 0;

	memset(res, 0, sizeof(*res));
	memset(&r, 0, sizeof(r));
	if (c.ninternal == 0)
		return mm_diag_set(d, MM_EINVAL,
		    "c2: no internal prefixes (--internal)");
	if (c.npaths == 0 && c.clickhouse == NULL)
		return mm_diag_set(d, MM_EINVAL, "c2: no input path");
	if (c.window_ms <= 0)
		c.window_ms = 86400000;
	if (c.max_pairs == 0)
		c.max_pairs = 40000000;
	if (c.max_big == 0)
		c.max_big = 8000000;
	if (c.strobe_per_day == 0)
		c.strobe_per_day = DAY_S;
	if (c.min_conns < 4)
		c.min_conns = 4;
	if (!(c.popular > 0))
		c.popular = 0.08;
	if (!c.has_window || c.window.end == INT64_MAX) {
		rc = c.clickhouse != NULL ? ch_newest(c.clickhouse, &newest,
		    d) : find_newest(&c, &newest, d);
		if (rc != 0)
			return rc;
	}
	if (!c.has_window) {
		if (newest <= 0)
			return mm_diag_set(d, MM_ENOENT,
			    "c2: no flows in the store");
		c.window.end = newest + 1;
		c.window.start = c.window.end - c.window_ms;
	}
	if (c.window.end == INT64_MAX)
		c.window.end = newest + 1;
	if (c.window.end <= c.window.start)
		return mm_diag_set(d, MM_EINVAL, "c2: empty window");
	r.c = &c;
	r.res = res;
	r.ws = c.window.start / 1000;
	r.we = (c.window.end + 999) / 1000;
	if (r.we - r.ws > (int64_t)UINT32_MAX - 1)
		return mm_diag_set(d, MM_ERANGE,
		    "c2: window longer than 136 years");
	r.winlen = (uint32_t)(r.we - r.ws);
	r.strobe_max = (uint64_t)((double)c.strobe_per_day *
	    (double)r.winlen / DAY_S);
	if (r.strobe_max < 64)
		r.strobe_max = 64;
	res->window.start = r.ws * 1000;
	res->window.end = r.we * 1000;
	if ((r.shards = calloc(C2_SHARDS, sizeof(*r.shards))) == NULL)
		return mm_diag_set(d, MM_ENOMEM, "c2: out of memory");
	for (i = 0; i < C2_SHARDS; i++) {
		pthread_mutex_init(&r.shards[i].mu, NULL);
		kmap_init(&r.shards[i].pairs, sizeof(struct pair), C2_KEYLEN);
	}
	shards_ok = 1;
	pthread_mutex_init(&r.mu, NULL);
	pthread_mutex_init(&r.imu, NULL);
	kmap_init(&r.addrs, sizeof(struct addrrec), 16);
	nthr = nthreads(c.threads);

	t0 = now_s();
	c0 = cpu_s();
	rc = c.clickhouse != NULL ? ch_ingest(&r, c.clickhouse, d) :
	    scan(&r, nthr, d);
	if (rc != 0)
		goto out;
	r.st.scan_s = now_s() - t0;
	r.st.scan_cpu_s = cpu_s() - c0;
	r.st.rss_scan_kb = maxrss_kb();
	t0 = now_s();
	c0 = cpu_s();
	for (i = 0; i < C2_SHARDS; i++) {
		r.st.pairs += r.shards[i].pairs.n;
		r.st.big_pairs += r.shards[i].nbig;
		r.st.mem_bytes += kmap_bytes(&r.shards[i].pairs) +
		    r.shards[i].nchunk * BIG_CHUNK * sizeof(struct big);
	}
	if ((rc = score_all(&r, nthr)) != 0) {
		mm_diag_set(d, rc, "c2: out of memory scoring pairs");
		goto out;
	}
	/* the pair slots are not needed any more: give them back */
	for (i = 0; i < C2_SHARDS; i++) {
		free(r.shards[i].pairs.slot);
		r.shards[i].pairs.slot = NULL;
		r.shards[i].pairs.mask = 0;
	}
	if ((rc = aggregate(&r, nthr)) != 0) {
		mm_diag_set(d, rc, "c2: out of memory aggregating servers");
		goto out;
	}
	r.st.score_s = now_s() - t0;
	r.st.score_cpu_s = cpu_s() - c0;
	r.st.rss_kb = maxrss_kb();
	res->st = r.st;
	snprintf(res->first_error, sizeof(res->first_error), "%s",
	    r.first_error);
out:
	if (rc != 0)
		c2_result_free(res);
	if (shards_ok) {
		for (i = 0; i < C2_SHARDS; i++) {
			size_t j;

			kmap_free(&r.shards[i].pairs);
			for (j = 0; j < r.shards[i].nchunk; j++)
				free(r.shards[i].bigs[j]);
			free(r.shards[i].bigs);
			pthread_mutex_destroy(&r.shards[i].mu);
		}
		pthread_mutex_destroy(&r.mu);
		pthread_mutex_destroy(&r.imu);
		kmap_free(&r.addrs);
	}
	free(r.shards);
	free(r.units);
	store_paths_free(r.paths, r.npaths);
	return rc;
}

void
c2_result_free(struct c2_result *res)
{
	if (res == NULL)
		return;
	free(res->servers);
	free(res->pairs);
	res->servers = NULL;
	res->pairs = NULL;
	res->nservers = res->npairs = 0;
}
