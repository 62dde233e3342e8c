/*
 * collector.c - receive threads, writer thread and their counters (see
 * collector.h for the design).
 *
 * Hot path per datagram: one slot of a recvmmsg batch, one
 * decoder_datagram() call, one struct copy per flow into the thread's
 * current batch. No locks except once per batch (flowq) and once a second
 * (exporter snapshot). Counters shared with the stats reader are C11 atomics
 * updated with relaxed ordering once per recvmmsg call.
 *
 * Writer clock: the store is fed a monotone time, the newest batch receive
 * time seen, advanced to the wall clock whenever the queue is empty; so a
 * backlog never makes the store rotate ahead of the flows it still holds,
 * and an idle store still flushes and rotates on time.
 */
#if defined(__linux__) && !defined(_GNU_SOURCE)
#define _GNU_SOURCE	/* gettid via syscall(2) for per-thread nice */
#endif

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/resource.h>
#if defined(__linux__)
#include <sys/syscall.h>
#endif

#include "collect/chsink.h"
#include "collect/collector.h"
#include "collect/cryptopan.h"
#include "collect/flowq.h"

#define RL_SLOTS	256	/* rate-limit entries per receive thread */
#define RL_BURST	10	/* messages before limiting */
#define RL_PERIOD	10000	/* ms between limited messages */
#define BATCH_AGE_MS	20	/* push a partial batch after this */
#define SNAP_MS		1000	/* exporter snapshot period, busy */
#define SNAP_IDLE_MS	200	/* ... when the socket is idle */
#define TICK_MS		100	/* writer tick period */
#define POLL_MS		100	/* receive idle wait */
#define WRITER_NICE	10	/* writer thread's nice increment */
#define SINK_DRAIN_MS	3000	/* ClickHouse tail delivery at stop */
#define DRAIN_MS	1000	/* socket drain budget at stop */

struct ratelim {
	struct mm_addr	addr;
	uint16_t	port;
	uint8_t		used;
	uint32_t	count;		/* messages in this window */
	uint32_t	suppressed;
	mtime_t		window;		/* start of the limited period */
};

struct rxthread {
	struct collector	*c;
	pthread_t		 tid;
	int			 started;
	int			 fd;
	const struct udp_listen	*listen;
	struct decoder		*dec;
	struct cryptopan	*cp;		/* NULL: no anonymisation */
	struct udp_rx		*rx;
	struct flowq_batch	*b;
	mtime_t			 b_born;
	mtime_t			 now;
	uint64_t		 l_flows;	/* local, published per call */
	uint64_t		 l_qdrops;
	uint64_t		 l_anonerr;
	struct ratelim		 rl[RL_SLOTS];

	atomic_uint_fast64_t	 datagrams;
	atomic_uint_fast64_t	 bytes;
	atomic_uint_fast64_t	 truncated;
	atomic_uint_fast64_t	 flows;
	atomic_uint_fast64_t	 decode_errors;
	atomic_uint_fast64_t	 queue_drops;
	atomic_uint_fast64_t	 anon_errors;
	atomic_uint_fast64_t	 kernel_drops;	/* SO_RXQ_OVFL / SO_MEMINFO */

	pthread_mutex_t		 smu;		/* guards snap */
	int			 smu_init;
	struct exporter_stats	*snap;
	size_t			 nsnap;
	size_t			 capsnap;
};

struct collector {
	struct collector_conf	 conf;
	struct udp_listen	*listen;
	struct rxthread		*rxt;
	size_t			 nrxt;
	size_t			 rcvbuf_min;
	struct flowq		*q;
	struct store_writer	*w;
	struct chsink		*sink;
	struct chsink_stats	 sink_final;	/* after the sink is freed */
	int			 sink_done;
	pthread_t		 wtid;
	int			 wstarted;
	int			 running;
	int			 stopped;
	mtime_t			 started;
	atomic_int		 stop;

	atomic_uint_fast64_t	 flows_written;
	atomic_uint_fast64_t	 write_errors;
	atomic_uint_fast64_t	 sink_errors;
	atomic_uint_fast64_t	 blocks;
	atomic_uint_fast64_t	 bytes;
	mtime_t			 werr_last;	/* writer thread only */
	uint64_t		 werr_supp;
};

#if defined(__GNUC__)
__attribute__((format(printf, 3, 4)))
#endif
static void
logmsg(struct collector *c, int level, const char *fmt, ...)
{
	char	msg[512];
	va_list	ap;

	if (c->conf.log == NULL)
		return;
	if (level > COLLECT_LOG_ERR + c->conf.verbose)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	c->conf.log(c->conf.log_arg, level, msg);
}

static int
anon_open(struct rxthread *t, const struct collector_conf *conf,
    struct mm_diag *diag)
{
	char	buf[PREFIX_STRLEN];
	size_t	i;
	int	rc;

	if ((rc = cryptopan_new_from_file(conf->anon_key, &t->cp, diag)) != 0)
		return rc;
	for (i = 0; i < conf->nanon; i++)
		if ((rc = cryptopan_add_range(t->cp, &conf->anon[i])) != 0)
			return mm_diag_set(diag, rc, "anonymise range %s: %s",
			    prefix_fmt(&conf->anon[i], buf, sizeof(buf)),
			    mm_strerror(rc));
	return 0;
}

int
collector_open(const struct collector_conf *conf, struct collector **cp,
    struct mm_diag *diag)
{
	struct collector	*c;
	struct udp_sockopt	 so;
	struct rxthread		*t;
	size_t			 i, j, k, got;
	int			 rc;

	*cp = NULL;
	if (conf->nlisten == 0 || conf->datadir == NULL)
		return mm_diag_set(diag, MM_EINVAL, "collector: no listen "
		    "address or data directory");
	if ((c = calloc(1, sizeof(*c))) == NULL)
		return mm_diag_set(diag, MM_ENOMEM, "collector: out of memory");
	c->conf = *conf;
	if (c->conf.threads == 0)
		c->conf.threads = 1;
	if (c->conf.threads > 64)
		c->conf.threads = 64;
	if (c->conf.rcvbuf == 0)
		c->conf.rcvbuf = COLLECT_DEF_RCVBUF;
	if (c->conf.rx_batch == 0)
		c->conf.rx_batch = 64;
	if (c->conf.rx_bufsize == 0)
		c->conf.rx_bufsize = 65535;
	if (c->conf.queue_flows == 0)
		c->conf.queue_flows = COLLECT_DEF_QUEUE;
	if (c->conf.batch_flows == 0)
		c->conf.batch_flows = COLLECT_DEF_BATCH;
	if (c->conf.batch_flows > c->conf.queue_flows)
		c->conf.batch_flows = c->conf.queue_flows;
	atomic_init(&c->stop, 0);
	atomic_init(&c->flows_written, 0);
	atomic_init(&c->write_errors, 0);
	atomic_init(&c->sink_errors, 0);
	atomic_init(&c->blocks, 0);
	atomic_init(&c->bytes, 0);
	c->listen = calloc(conf->nlisten, sizeof(*c->listen));
	c->nrxt = conf->nlisten * c->conf.threads;
	c->rxt = calloc(c->nrxt, sizeof(*c->rxt));
	if (c->listen == NULL || c->rxt == NULL) {
		rc = mm_diag_set(diag, MM_ENOMEM, "collector: out of memory");
		goto fail;
	}
	memcpy(c->listen, conf->listen, conf->nlisten * sizeof(*c->listen));
	c->conf.listen = c->listen;
	for (k = 0; k < c->nrxt; k++)
		c->rxt[k].fd = -1;
	so.rcvbuf = c->conf.rcvbuf;
	so.reuseport = c->conf.threads > 1;
	c->rcvbuf_min = SIZE_MAX;
	for (i = 0, k = 0; i < conf->nlisten; i++) {
		for (j = 0; j < c->conf.threads; j++, k++) {
			t = &c->rxt[k];
			t->c = c;
			t->listen = &c->listen[i];
			if ((rc = udp_open(t->listen, &so, &t->fd, &got,
			    diag)) != 0)
				goto fail;
			if (got < c->rcvbuf_min)
				c->rcvbuf_min = got;
			if (conf->anon_key != NULL && (rc = anon_open(t,
			    conf, diag)) != 0)
				goto fail;
		}
	}
	*cp = c;
	return 0;
 fail:
	collector_free(c);
	return rc;
}

size_t
collector_rcvbuf(const struct collector *c)
{
	return c->rcvbuf_min == SIZE_MAX ? 0 : c->rcvbuf_min;
}

/* ---- receive threads ---- */

static struct ratelim *
rl_slot(struct rxthread *t, const struct mm_addr *a, uint16_t port)
{
	uint32_t	h = 2166136261u;
	size_t		i, k;
	struct ratelim	*r;

	for (i = 0; i < sizeof(a->b); i++)
		h = (h ^ a->b[i]) * 16777619u;
	h = (h ^ port) * 16777619u;
	for (i = 0; i < 8; i++) {
		k = (h + i) % RL_SLOTS;
		r = &t->rl[k];
		if (!r->used || (r->port == port &&
		    memcmp(&r->addr, a, sizeof(*a)) == 0))
			break;
	}
	if (i == 8)
		r = &t->rl[h % RL_SLOTS];	/* evict */
	if (!r->used || r->port != port ||
	    memcmp(&r->addr, a, sizeof(*a)) != 0) {
		memset(r, 0, sizeof(*r));
		r->used = 1;
		r->addr = *a;
		r->port = port;
	}
	return r;
}

static void
rx_diag(struct rxthread *t, const struct udp_dgram *d, int err,
    const struct mm_diag *diag)
{
	struct collector	*c = t->c;
	struct ratelim		*r;
	char			 a[ADDR_STRLEN], what[MM_DIAG_LEN + 64];

	if (c->conf.log == NULL)
		return;
	r = rl_slot(t, &d->from, d->port);
	if (r->count < RL_BURST) {
		r->count++;
		r->window = t->now;
	} else if (t->now - r->window < RL_PERIOD) {
		r->suppressed++;
		return;
	} else
		r->window = t->now;
	if (diag->msg[0] != '\0')
		snprintf(what, sizeof(what), "%s", diag->msg);
	else
		snprintf(what, sizeof(what), "exporter %s port %u: %s",
		    addr_fmt(&d->from, a, sizeof(a)), (unsigned)d->port,
		    mm_strerror(err));
	if (r->suppressed > 0) {
		logmsg(c, COLLECT_LOG_ERR, "%s (%u similar messages suppressed)",
		    what, r->suppressed);
		r->suppressed = 0;
	} else
		logmsg(c, COLLECT_LOG_ERR, "%s", what);
}

static void
rx_push(struct rxthread *t)
{
	if (t->b == NULL)
		return;
	flowq_put(t->c->q, t->b);
	t->b = NULL;
}

static int
rx_emit(void *arg, const struct flow *f)
{
	struct rxthread *t = arg;

	if (t->b == NULL) {
		if ((t->b = flowq_get(t->c->q)) == NULL) {
			t->l_qdrops++;
			return 0;
		}
		t->b->now = t->now;
		t->b_born = t->now;
	}
	t->b->f[t->b->n] = *f;
	if (t->cp != NULL && cryptopan_anon_flow(t->cp,
	    &t->b->f[t->b->n]) < 0) {
		t->l_anonerr++;		/* never store it in the clear */
		return 0;
	}
	t->b->n++;
	t->l_flows++;
	if (t->b->n == t->b->cap)
		rx_push(t);
	return 0;
}

static void
rx_snapshot(struct rxthread *t)
{
	struct exporter_stats	*v;
	size_t			 n, cap;
	uint32_t		 drops;

	if (udp_socket_drops(t->fd, &drops) == 0 && drops >
	    atomic_load_explicit(&t->kernel_drops, memory_order_relaxed))
		atomic_store_explicit(&t->kernel_drops, drops,
		    memory_order_relaxed);
	n = decoder_stats(t->dec, NULL, 0);
	pthread_mutex_lock(&t->smu);
	if (n > t->capsnap) {
		cap = n + 16;
		v = realloc(t->snap, cap * sizeof(*v));
		if (v != NULL) {
			t->snap = v;
			t->capsnap = cap;
		}
	}
	t->nsnap = decoder_stats(t->dec, t->snap, t->capsnap);
	if (t->nsnap > t->capsnap)
		t->nsnap = t->capsnap;
	pthread_mutex_unlock(&t->smu);
}

static void *
rx_main(void *arg)
{
	struct rxthread		*t = arg;
	struct collector	*c = t->c;
	struct udp_dgram	 d;
	struct mm_diag		 diag;
	struct pollfd		 pfd;
	mtime_t			 last_snap = 0, last_err = 0;
	mtime_t			 drain_until = 0;
	uint64_t		 ndg, nbytes, ntrunc, nerr;
	int			 n, i, rc, wait_ms;

	pfd.fd = t->fd;
	pfd.events = POLLIN;
	for (;;) {
		if (atomic_load_explicit(&c->stop, memory_order_relaxed)) {
			/* Stopping: take what the kernel already holds
			 * (bounded in time if exporters keep sending). */
			if (drain_until == 0)
				drain_until = mtime_now() + DRAIN_MS;
			else if (mtime_now() >= drain_until)
				break;
		}
		n = udp_rx_recv(t->rx, t->fd);
		t->now = mtime_now();
		if (n < 0) {
			if (t->now - last_err >= RL_PERIOD) {
				logmsg(c, COLLECT_LOG_ERR, "%s: receive: %s",
				    t->listen->text, strerror(errno));
				last_err = t->now;
			}
			(void)poll(NULL, 0, 10);
			continue;
		}
		if (n == 0) {
			if (drain_until != 0)
				break;		/* drained */
			/*
			 * A dry socket does not push a partial batch at once:
			 * at a paced rate every recvmmsg() drains the socket,
			 * and pushing then would spend a whole batch slot of
			 * the pool on a few flows, exhausting it (drops) while
			 * the writer is briefly busy. Push by age instead, so
			 * at most 1000 / BATCH_AGE_MS partial batches a second.
			 */
			wait_ms = POLL_MS;
			if (t->b != NULL) {
				if (t->now - t->b_born >= BATCH_AGE_MS) {
					rx_push(t);
				} else
					wait_ms = (int)(BATCH_AGE_MS -
					    (t->now - t->b_born));
			}
			if (t->now - last_snap >= SNAP_IDLE_MS) {
				rx_snapshot(t);
				last_snap = t->now;
			}
			(void)poll(&pfd, 1, wait_ms);
			continue;
		}
		ndg = nbytes = ntrunc = nerr = 0;
		t->l_flows = t->l_qdrops = t->l_anonerr = 0;
		for (i = 0; i < n; i++) {
			udp_rx_get(t->rx, (unsigned)i, &d);
			ndg++;
			nbytes += d.len;
			if (d.has_drops)
				atomic_store_explicit(&t->kernel_drops,
				    d.drops, memory_order_relaxed);
			if (d.truncated) {
				ntrunc++;
				continue;
			}
			diag.msg[0] = '\0';
			diag.pos = -1;
			rc = decoder_datagram(t->dec, &d.from, d.port, t->now,
			    d.buf, d.len, rx_emit, t, &diag);
			if (rc != 0) {
				nerr++;
				rx_diag(t, &d, rc, &diag);
			}
		}
		atomic_fetch_add_explicit(&t->datagrams, ndg,
		    memory_order_relaxed);
		atomic_fetch_add_explicit(&t->bytes, nbytes,
		    memory_order_relaxed);
		atomic_fetch_add_explicit(&t->flows, t->l_flows,
		    memory_order_relaxed);
		if (ntrunc)
			atomic_fetch_add_explicit(&t->truncated, ntrunc,
			    memory_order_relaxed);
		if (nerr)
			atomic_fetch_add_explicit(&t->decode_errors, nerr,
			    memory_order_relaxed);
		if (t->l_qdrops)
			atomic_fetch_add_explicit(&t->queue_drops, t->l_qdrops,
			    memory_order_relaxed);
		if (t->l_anonerr)
			atomic_fetch_add_explicit(&t->anon_errors,
			    t->l_anonerr, memory_order_relaxed);
		/* Full batches were pushed by rx_emit(); a partial one goes
		 * when it is BATCH_AGE_MS old or the socket runs dry, so the
		 * queue's capacity is spent on full batches under load. */
		if (t->b != NULL && t->now - t->b_born >= BATCH_AGE_MS)
			rx_push(t);
		if (t->now - last_snap >= SNAP_MS) {
			rx_snapshot(t);
			last_snap = t->now;
		}
	}
	rx_push(t);
	rx_snapshot(t);
	return NULL;
}

/* ---- writer thread ---- */

static void
w_error(struct collector *c, mtime_t now, int rc, const struct mm_diag *d)
{
	atomic_fetch_add_explicit(&c->write_errors, 1, memory_order_relaxed);
	if (now - c->werr_last < RL_PERIOD) {
		c->werr_supp++;
		return;
	}
	logmsg(c, COLLECT_LOG_ERR, "store: %s (%s)%s", d->msg[0] != '\0' ?
	    d->msg : mm_strerror(rc), mm_strerror(rc),
	    c->werr_supp ? "; further errors suppressed for 10 s" : "");
	c->werr_last = now;
	c->werr_supp = 0;
}

static void
w_publish(struct collector *c)
{
	uint64_t rows, blocks, bytes;

	store_writer_counts(c->w, &rows, &blocks, &bytes);
	atomic_store_explicit(&c->blocks, blocks, memory_order_relaxed);
	atomic_store_explicit(&c->bytes, bytes, memory_order_relaxed);
}

/*
 * On Linux, nice(2) values are per thread: lowering the writer's priority
 * lets the scheduler favour the receive threads when CPUs are short (a
 * burst), so datagrams leave the kernel buffer (where they cost skb
 * overhead and are dropped when it fills) for the compact flow queue, and
 * the writer catches up afterwards. Elsewhere this is a no-op.
 */
static void
w_deprioritise(void)
{
#if defined(__linux__) && defined(SYS_gettid)
	pid_t	tid = (pid_t)syscall(SYS_gettid);
	int	prio;

	errno = 0;
	prio = getpriority(PRIO_PROCESS, (id_t)tid);
	if (errno == 0 && prio < 19)
		(void)setpriority(PRIO_PROCESS, (id_t)tid,
		    prio + WRITER_NICE > 19 ? 19 : prio + WRITER_NICE);
#endif
}

static void *
w_main(void *arg)
{
	struct collector	*c = arg;
	struct flowq_batch	*b;
	struct mm_diag		 diag;
	mtime_t			 clock = mtime_now(), last_tick = 0, now;
	uint64_t		 ok;
	size_t			 i, refused;
	int			 rc;

	w_deprioritise();
	for (;;) {
		b = flowq_pop(c->q, TICK_MS);
		if (b != NULL) {
			if (b->now > clock)
				clock = b->now;
			ok = 0;
			for (i = 0; i < b->n; i++) {
				if (c->conf.hooks.flow != NULL)
					c->conf.hooks.flow(c->conf.hooks.arg,
					    &b->f[i]);
				diag.msg[0] = '\0';
				rc = store_writer_add(c->w, &b->f[i], clock,
				    &diag);
				if (rc != 0)
					w_error(c, clock, rc, &diag);
				else
					ok++;
			}
			atomic_fetch_add_explicit(&c->flows_written, ok,
			    memory_order_relaxed);
			for (i = 0; c->sink != NULL && i < b->n; i++)
				(void)chsink_push(c->sink, &b->f[i]);
			if (c->conf.hooks.batch != NULL) {
				refused = c->conf.hooks.batch(
				    c->conf.hooks.arg, b->f, b->n, clock);
				if (refused)
					atomic_fetch_add_explicit(
					    &c->sink_errors, refused,
					    memory_order_relaxed);
			}
			flowq_release(c->q, b);
		} else {
			if (flowq_done(c->q))
				break;
			now = mtime_now();
			if (now > clock)
				clock = now;
		}
		if (clock - last_tick >= TICK_MS || b == NULL) {
			diag.msg[0] = '\0';
			if ((rc = store_writer_tick(c->w, clock, &diag)) != 0)
				w_error(c, clock, rc, &diag);
			if (c->conf.hooks.tick != NULL)
				c->conf.hooks.tick(c->conf.hooks.arg, clock);
			w_publish(c);
			last_tick = clock;
		}
	}
	diag.msg[0] = '\0';
	if ((rc = store_writer_flush(c->w, &diag)) != 0)
		w_error(c, clock, rc, &diag);
	if (c->sink != NULL)
		chsink_flush(c->sink);
	w_publish(c);
	return NULL;
}

/* ---- lifecycle ---- */

int
collector_start(struct collector *c, struct mm_diag *diag)
{
	struct rxthread		*t;
	struct chsink_conf	 chc;
	sigset_t		 all, old;
	size_t			 k;
	int			 rc;

	if (c->running || c->stopped)
		return mm_diag_set(diag, MM_EINVAL, "collector: already "
		    "started");
	if ((rc = flowq_new(c->conf.queue_flows, c->conf.batch_flows,
	    &c->q)) != 0)
		return mm_diag_set(diag, rc, "collector: queue of %zu flows: "
		    "%s", c->conf.queue_flows, mm_strerror(rc));
	if ((rc = flowq_prealloc(c->q, c->conf.queue_warm != 0 ?
	    c->conf.queue_warm : c->conf.queue_flows / 4)) != 0)
		return mm_diag_set(diag, rc, "collector: preallocating the "
		    "queue: %s", mm_strerror(rc));
	if ((rc = store_writer_open(c->conf.datadir, &c->conf.store, &c->w,
	    diag)) != 0)
		return rc;
	for (k = 0; k < c->nrxt; k++) {
		t = &c->rxt[k];
		if ((t->dec = decoder_new(&c->conf.dec)) == NULL)
			return mm_diag_set(diag, MM_ENOMEM, "collector: "
			    "decoder: out of memory");
		if ((rc = udp_rx_new(c->conf.rx_batch, c->conf.rx_bufsize,
		    &t->rx)) != 0)
			return mm_diag_set(diag, rc, "collector: receive "
			    "buffers: %s", mm_strerror(rc));
		if (pthread_mutex_init(&t->smu, NULL) != 0)
			return mm_diag_set(diag, MM_ENOMEM, "collector: mutex");
		t->smu_init = 1;
		atomic_init(&t->datagrams, 0);
		atomic_init(&t->bytes, 0);
		atomic_init(&t->truncated, 0);
		atomic_init(&t->flows, 0);
		atomic_init(&t->decode_errors, 0);
		atomic_init(&t->queue_drops, 0);
		atomic_init(&t->anon_errors, 0);
		atomic_init(&t->kernel_drops, 0);
	}
	/* Threads inherit the signal mask: block everything in them. */
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	chsink_conf_default(&chc);
	chc.drain_ms = 500;	/* after our own SINK_DRAIN_MS wait */
	if (c->conf.clickhouse_url != NULL && (rc = chsink_new(
	    c->conf.clickhouse_url, &chc, &c->sink, diag)) != 0) {
		pthread_sigmask(SIG_SETMASK, &old, NULL);
		return rc;
	}
	c->started = mtime_now();
	c->running = 1;
	rc = pthread_create(&c->wtid, NULL, w_main, c);
	if (rc == 0)
		c->wstarted = 1;
	for (k = 0; rc == 0 && k < c->nrxt; k++) {
		t = &c->rxt[k];
		if ((rc = pthread_create(&t->tid, NULL, rx_main, t)) == 0)
			t->started = 1;
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc != 0)
		return mm_diag_set(diag, MM_ENOMEM, "collector: "
		    "pthread_create: %s", strerror(rc));
	return 0;
}

int
collector_snapshot(struct collector *c, struct collect_stats *s)
{
	struct rxthread		*t;
	struct flowq_counts	 qc;
	struct chsink_stats	 cs;
	size_t			 k, n = 0;
	struct exporter_stats	*v;

	memset(s, 0, sizeof(*s));
	s->started = c->started;
	s->now = mtime_now();
	s->threads = (unsigned)c->nrxt;
	s->sockets = (unsigned)c->nrxt;
	s->rcvbuf = collector_rcvbuf(c);
	s->queue_cap = c->conf.queue_flows;
	if (!c->running && !c->stopped)
		return 0;
	for (k = 0; k < c->nrxt; k++) {
		t = &c->rxt[k];
		s->datagrams += atomic_load(&t->datagrams);
		s->dgram_bytes += atomic_load(&t->bytes);
		s->truncated += atomic_load(&t->truncated);
		s->kernel_drops += atomic_load(&t->kernel_drops);
		s->decode_errors += atomic_load(&t->decode_errors);
		s->flows += atomic_load(&t->flows);
		s->queue_drops += atomic_load(&t->queue_drops);
		s->anon_errors += atomic_load(&t->anon_errors);
		pthread_mutex_lock(&t->smu);
		n += t->nsnap;
		pthread_mutex_unlock(&t->smu);
	}
	s->flows_written = atomic_load(&c->flows_written);
	s->write_errors = atomic_load(&c->write_errors);
	s->sink_errors = atomic_load(&c->sink_errors);
	s->blocks = atomic_load(&c->blocks);
	s->bytes = atomic_load(&c->bytes);
	if (c->sink != NULL || c->sink_done) {
		if (c->sink != NULL)
			chsink_stats(c->sink, &cs);
		else
			cs = c->sink_final;
		s->sink = 1;
		s->sink_up = cs.up;
		s->sink_sent = cs.rows_sent;
		s->sink_dropped = cs.rows_dropped;
		s->sink_backlog = cs.backlog_rows;
	}
	if (c->q != NULL) {
		flowq_get_counts(c->q, &qc);
		s->queue_depth = qc.depth_flows;
		s->queue_hiwat = qc.hiwat_flows;
	}
	n += 16 * c->nrxt;	/* snapshots may grow meanwhile */
	if ((v = calloc(n == 0 ? 1 : n, sizeof(*v))) == NULL)
		return MM_ENOMEM;
	s->nexp = 0;
	for (k = 0; k < c->nrxt; k++) {
		t = &c->rxt[k];
		pthread_mutex_lock(&t->smu);
		if (t->nsnap > 0 && t->nsnap <= n - s->nexp) {
			memcpy(v + s->nexp, t->snap, t->nsnap * sizeof(*v));
			s->nexp += t->nsnap;
		}
		pthread_mutex_unlock(&t->smu);
	}
	s->exp = v;
	s->nexp = stats_merge_exporters(v, s->nexp);
	return 0;
}

int
collector_stop(struct collector *c, struct mm_diag *diag)
{
	size_t	k;
	int	rc = 0;

	if (c->stopped || !c->running)
		return 0;
	atomic_store(&c->stop, 1);
	for (k = 0; k < c->nrxt; k++)
		if (c->rxt[k].started) {
			pthread_join(c->rxt[k].tid, NULL);
			c->rxt[k].started = 0;
		}
	if (c->q != NULL)
		flowq_close(c->q);
	if (c->wstarted) {
		pthread_join(c->wtid, NULL);
		c->wstarted = 0;
	}
	/* chsink_free() gives ClickHouse a bounded time (drain_ms) to take
	 * the tail; the final counters are kept for collector_snapshot(). */
	if (c->sink != NULL) {
		chsink_flush(c->sink);
		(void)chsink_wait(c->sink, SINK_DRAIN_MS);
		chsink_stats(c->sink, &c->sink_final);
		chsink_free(c->sink);
		c->sink = NULL;
		c->sink_done = 1;
	}
	if (c->w != NULL) {
		rc = store_writer_close(c->w, diag);
		c->w = NULL;
	}
	c->running = 0;
	c->stopped = 1;
	return rc;
}

void
collector_free(struct collector *c)
{
	struct rxthread	*t;
	size_t		 k;

	if (c == NULL)
		return;
	if (c->running)
		(void)collector_stop(c, NULL);
	if (c->w != NULL)
		(void)store_writer_close(c->w, NULL);
	chsink_free(c->sink);
	for (k = 0; c->rxt != NULL && k < c->nrxt; k++) {
		t = &c->rxt[k];
		if (t->fd != -1)
			close(t->fd);
		if (t->b != NULL && c->q != NULL)
			flowq_release(c->q, t->b);
		decoder_free(t->dec);
		cryptopan_free(t->cp);
		udp_rx_free(t->rx);
		if (t->smu_init)
			pthread_mutex_destroy(&t->smu);
		free(t->snap);
	}
	flowq_free(c->q);
	free(c->rxt);
	free(c->listen);
	free(c);
}
