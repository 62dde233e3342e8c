/*
 * chsink.c - bounded, non-blocking ClickHouse sink; see chsink.h.
 *
 * State under one mutex: the open batch (being filled by chsink_push), a
 * ring of queued batches (oldest at head), the batch in flight (owned by
 * the sender while the mutex is released for the POST), one spare buffer
 * for reuse, and the counters. The producer only ever holds the mutex for
 * an encode and a few pointer moves; the sender releases it for every
 * network call and every sleep, so push latency does not depend on
 * ClickHouse. Condition variables use CLOCK_MONOTONIC: `wake` tells the
 * sender there is work or a stop, `idle` tells chsink_wait() progress.
 *
 * Sender loop: take the in-flight batch (ring head, else the open batch
 * once it is older than flush_ms or a flush/stop was asked), ensure the
 * schema, POST, then account. Failure keeps the batch in flight and sleeps
 * the backoff (interruptible by a stop, bounded by the drain deadline).
 */
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "collect/chhttp.h"
#include "collect/chsink.h"

struct chsink_batch {
	uint8_t		*buf;		/* rows * CHSINK_ROW_SIZE bytes used */
	size_t		 rows;
	uint64_t	 born_ms;	/* monotonic, when the first row came */
	unsigned	 rejects;	/* server errors so far */
};

struct chsink {
	struct chsink_conf	 c;
	struct chhttp		*http;		/* sender thread only */
	pthread_t		 thread;
	int			 started;
	pthread_mutex_t		 mu;
	pthread_cond_t		 wake;
	pthread_cond_t		 idle;

	/* everything below under mu */
	struct chsink_batch	*open;
	struct chsink_batch	**ring;		/* backlog_batches slots */
	size_t			 head;
	size_t			 count;
	struct chsink_batch	*inflight;
	struct chsink_batch	*spare;
	int			 stopping;
	uint64_t		 drain_deadline;
	int			 schema_ok;
	struct chsink_stats	 st;
};

static const char *const chsink_schema[] = {
	"CREATE DATABASE IF NOT EXISTS " CHSINK_DATABASE,
	"CREATE TABLE IF NOT EXISTS " CHSINK_TABLE " (\n"
	"    date      Date,\n"
	"    first_ms  UInt64,\n"
	"    last_ms   UInt64,\n"
	"    src       FixedString(16),\n"
	"    dst       FixedString(16),\n"
	"    nexthop   FixedString(16),\n"
	"    exporter  FixedString(16),\n"
	"    packets   UInt64,\n"
	"    bytes     UInt64,\n"
	"    src_as    UInt32,\n"
	"    dst_as    UInt32,\n"
	"    in_if     UInt32,\n"
	"    out_if    UInt32,\n"
	"    sampling  UInt32,\n"
	"    src_port  UInt16,\n"
	"    dst_port  UInt16,\n"
	"    vlan      UInt16,\n"
	"    proto     UInt8,\n"
	"    tcp_flags UInt8,\n"
	"    tos       UInt8,\n"
	"    direction UInt8,\n"
	"    src_mask  UInt8,\n"
	"    dst_mask  UInt8\n"
	") ENGINE = MergeTree() PARTITION BY toYYYYMM(date) "
	"ORDER BY (first_ms, src)",
	NULL
};

static const char chsink_insert[] =
    "INSERT INTO " CHSINK_TABLE " FORMAT RowBinary";

const char *
chsink_schema_sql(size_t i)
{
	if (i >= sizeof(chsink_schema) / sizeof(chsink_schema[0]))
		return NULL;
	return chsink_schema[i];
}

void
chsink_conf_default(struct chsink_conf *c)
{
	if (c == NULL)
		return;
	c->batch_rows = 8192;
	c->backlog_batches = 64;
	c->flush_ms = 1000;
	c->connect_timeout_ms = 3000;
	c->timeout_ms = 30000;
	c->backoff_min_ms = 250;
	c->backoff_max_ms = 30000;
	c->drain_ms = 5000;
	c->max_rejects = 10;
}

static uint64_t
chsink_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static struct timespec
chsink_abstime(uint64_t ms)
{
	struct timespec ts;

	ts.tv_sec = (time_t)(ms / 1000);
	ts.tv_nsec = (long)(ms % 1000) * 1000000;
	return ts;
}

static uint8_t *
put_le(uint8_t *p, uint64_t v, unsigned n)
{
	unsigned i;

	for (i = 0; i < n; i++)
		p[i] = (uint8_t)(v >> (8 * i));
	return p + n;
}

void
chsink_encode_row(const struct flow *f, uint8_t out[CHSINK_ROW_SIZE])
{
	uint8_t *p = out;
	int64_t days;

	days = f->first > 0 ? f->first / 86400000 : 0;
	if (days > 65535)
		days = 65535;
	p = put_le(p, (uint64_t)days, 2);
	p = put_le(p, (uint64_t)f->first, 8);
	p = put_le(p, (uint64_t)f->last, 8);
	memcpy(p, f->src.b, 16);
	p += 16;
	memcpy(p, f->dst.b, 16);
	p += 16;
	memcpy(p, f->nexthop.b, 16);
	p += 16;
	memcpy(p, f->exporter.b, 16);
	p += 16;
	p = put_le(p, f->packets, 8);
	p = put_le(p, f->bytes, 8);
	p = put_le(p, f->src_as, 4);
	p = put_le(p, f->dst_as, 4);
	p = put_le(p, f->in_if, 4);
	p = put_le(p, f->out_if, 4);
	p = put_le(p, f->sampling, 4);
	p = put_le(p, f->src_port, 2);
	p = put_le(p, f->dst_port, 2);
	p = put_le(p, f->vlan, 2);
	*p++ = f->proto;
	*p++ = f->tcp_flags;
	*p++ = f->tos;
	*p++ = f->direction;
	*p++ = f->src_mask;
	*p++ = f->dst_mask;
}

static void
chsink_batch_free(struct chsink_batch *b)
{
	if (b == NULL)
		return;
	free(b->buf);
	free(b);
}

/* Gives back a batch buffer: kept as the spare if there is none. */
static void
chsink_recycle(struct chsink *s, struct chsink_batch *b)
{
	if (s->spare == NULL) {
		b->rows = 0;
		b->rejects = 0;
		s->spare = b;
	} else
		chsink_batch_free(b);
}

static struct chsink_batch *
chsink_batch_get(struct chsink *s)
{
	struct chsink_batch *b;

	if ((b = s->spare) != NULL) {
		s->spare = NULL;
		return b;
	}
	if ((b = calloc(1, sizeof(*b))) == NULL)
		return NULL;
	if ((b->buf = malloc(s->c.batch_rows * CHSINK_ROW_SIZE)) == NULL) {
		free(b);
		return NULL;
	}
	return b;
}

static void
chsink_drop_locked(struct chsink *s, struct chsink_batch *b)
{
	s->st.rows_dropped += b->rows;
	s->st.batches_dropped++;
	chsink_recycle(s, b);
	pthread_cond_broadcast(&s->idle);
}

/* Queues `b`, dropping the oldest queued batch if the ring is full. */
static void
chsink_enqueue_locked(struct chsink *s, struct chsink_batch *b)
{
	size_t cap = s->c.backlog_batches;

	if (s->count == cap) {
		chsink_drop_locked(s, s->ring[s->head]);
		s->head = (s->head + 1) % cap;
		s->count--;
	}
	s->ring[(s->head + s->count) % cap] = b;
	s->count++;
	pthread_cond_signal(&s->wake);
}

int
chsink_push(struct chsink *s, const struct flow *f)
{
	struct chsink_batch *b;

	if (s == NULL || f == NULL)
		return MM_EINVAL;
	pthread_mutex_lock(&s->mu);
	if ((b = s->open) == NULL) {
		if ((b = chsink_batch_get(s)) == NULL) {
			s->st.rows_dropped++;
			pthread_mutex_unlock(&s->mu);
			return MM_ENOMEM;
		}
		b->rows = 0;
		b->rejects = 0;
		s->open = b;
	}
	if (b->rows == 0) {
		b->born_ms = chsink_now();
		pthread_cond_signal(&s->wake);	/* arm the flush timer */
	}
	chsink_encode_row(f, b->buf + b->rows * CHSINK_ROW_SIZE);
	b->rows++;
	s->st.rows_pushed++;
	if (b->rows == s->c.batch_rows) {
		s->open = NULL;
		chsink_enqueue_locked(s, b);
	}
	pthread_mutex_unlock(&s->mu);
	return 0;
}

static void
chsink_flush_locked(struct chsink *s)
{
	struct chsink_batch *b = s->open;

	if (b != NULL && b->rows > 0) {
		s->open = NULL;
		chsink_enqueue_locked(s, b);
	}
}

void
chsink_flush(struct chsink *s)
{
	if (s == NULL)
		return;
	pthread_mutex_lock(&s->mu);
	chsink_flush_locked(s);
	pthread_mutex_unlock(&s->mu);
}

/* Rows pushed but neither sent nor dropped. */
static size_t
chsink_pending_locked(const struct chsink *s)
{
	return (size_t)(s->st.rows_pushed - s->st.rows_sent -
	    s->st.rows_dropped);
}

int
chsink_wait(struct chsink *s, unsigned timeout_ms)
{
	struct timespec ts;
	uint64_t deadline;
	int rc = 0;

	if (s == NULL)
		return 0;
	deadline = chsink_now() + timeout_ms;
	pthread_mutex_lock(&s->mu);
	chsink_flush_locked(s);
	while (chsink_pending_locked(s) > 0) {
		if (chsink_now() >= deadline || !s->started) {
			rc = MM_EAGAIN;
			break;
		}
		ts = chsink_abstime(deadline);
		pthread_cond_timedwait(&s->idle, &s->mu, &ts);
	}
	pthread_mutex_unlock(&s->mu);
	return rc;
}

void
chsink_stats(struct chsink *s, struct chsink_stats *st)
{
	if (st == NULL)
		return;
	memset(st, 0, sizeof(*st));
	if (s == NULL)
		return;
	pthread_mutex_lock(&s->mu);
	*st = s->st;
	st->backlog_batches = s->count + (s->inflight != NULL);
	st->backlog_rows = chsink_pending_locked(s);
	pthread_mutex_unlock(&s->mu);
}

/* Runs the schema statements. Called without the mutex. */
static int
chsink_schema_run(struct chsink *s, struct mm_diag *d)
{
	size_t i;
	int rc;

	for (i = 0; chsink_schema[i] != NULL; i++)
		if ((rc = chhttp_post(s->http, chsink_schema[i], NULL, 0, NULL,
		    NULL, d)) < 0)
			return rc;
	return 0;
}

/* Picks the next batch to send, or NULL if nothing is due. */
static struct chsink_batch *
chsink_next_locked(struct chsink *s, uint64_t now)
{
	struct chsink_batch *b;

	if (s->count > 0) {
		b = s->ring[s->head];
		s->head = (s->head + 1) % s->c.backlog_batches;
		s->count--;
		return b;
	}
	b = s->open;
	if (b != NULL && b->rows > 0 && (s->stopping ||
	    now - b->born_ms >= s->c.flush_ms)) {
		s->open = NULL;
		return b;
	}
	return NULL;
}

static void *
chsink_run(void *arg)
{
	struct chsink *s = arg;
	struct chsink_batch *b;
	struct mm_diag d;
	struct timespec ts;
	uint64_t now, until, backoff = 0;
	int rc, schema_ok;

	pthread_mutex_lock(&s->mu);
	for (;;) {
		now = chsink_now();
		if (s->stopping && now >= s->drain_deadline)
			break;
		if (s->inflight == NULL &&
		    (s->inflight = chsink_next_locked(s, now)) == NULL) {
			if (s->stopping)
				break;
			/* sleep until the open batch is due, or 1 s */
			until = now + 1000;
			if (s->open != NULL && s->open->rows > 0 &&
			    s->open->born_ms + s->c.flush_ms < until)
				until = s->open->born_ms + s->c.flush_ms;
			ts = chsink_abstime(until);
			pthread_cond_timedwait(&s->wake, &s->mu, &ts);
			continue;
		}
		b = s->inflight;
		schema_ok = s->schema_ok;
		pthread_mutex_unlock(&s->mu);

		mm_diag_clear(&d);
		rc = 0;
		if (!schema_ok)
			rc = chsink_schema_run(s, &d);
		if (rc == 0)
			rc = chhttp_post(s->http, chsink_insert, b->buf,
			    b->rows * CHSINK_ROW_SIZE, NULL, NULL, &d);

		pthread_mutex_lock(&s->mu);
		if (rc == 0) {
			s->schema_ok = 1;
			s->st.rows_sent += b->rows;
			s->st.batches_sent++;
			s->st.up = 1;
			s->inflight = NULL;
			chsink_recycle(s, b);
			backoff = 0;
			pthread_cond_broadcast(&s->idle);
			continue;
		}
		s->st.retries++;
		s->st.up = 0;
		memcpy(s->st.last_error, d.msg, sizeof(s->st.last_error));
		s->st.last_error[sizeof(s->st.last_error) - 1] = '\0';
		if (rc != MM_EAGAIN) {
			/* the server answered: maybe the table is gone */
			s->schema_ok = 0;
			if (++b->rejects >= s->c.max_rejects) {
				s->st.batches_rejected++;
				s->inflight = NULL;
				chsink_drop_locked(s, b);
			}
		}
		backoff = backoff == 0 ? s->c.backoff_min_ms : backoff * 2;
		if (backoff > s->c.backoff_max_ms)
			backoff = s->c.backoff_max_ms;
		until = chsink_now() + backoff;
		for (;;) {
			now = chsink_now();
			if (s->stopping && s->drain_deadline < until)
				until = s->drain_deadline;
			if (now >= until)
				break;
			ts = chsink_abstime(until);
			pthread_cond_timedwait(&s->wake, &s->mu, &ts);
		}
	}
	pthread_mutex_unlock(&s->mu);
	return NULL;
}

int
chsink_new(const char *url, const struct chsink_conf *conf,
    struct chsink **sp, struct mm_diag *diag)
{
	struct chhttp_opts ho;
	struct chsink *s = NULL;
	pthread_condattr_t ca;
	sigset_t all, old;
	int rc, cattr = 0, mu = 0, wake = 0, idle = 0;

	if (sp == NULL)
		return mm_diag_set(diag, MM_EINVAL, "clickhouse: no sink");
	*sp = NULL;
	if ((s = calloc(1, sizeof(*s))) == NULL)
		return mm_diag_set(diag, MM_ENOMEM, "clickhouse: out of memory");
	chsink_conf_default(&s->c);
	if (conf != NULL) {
		if (conf->batch_rows)
			s->c.batch_rows = conf->batch_rows;
		if (conf->backlog_batches)
			s->c.backlog_batches = conf->backlog_batches;
		if (conf->flush_ms)
			s->c.flush_ms = conf->flush_ms;
		if (conf->connect_timeout_ms > 0)
			s->c.connect_timeout_ms = conf->connect_timeout_ms;
		if (conf->timeout_ms > 0)
			s->c.timeout_ms = conf->timeout_ms;
		if (conf->backoff_min_ms)
			s->c.backoff_min_ms = conf->backoff_min_ms;
		if (conf->backoff_max_ms)
			s->c.backoff_max_ms = conf->backoff_max_ms;
		if (conf->drain_ms)
			s->c.drain_ms = conf->drain_ms;
		if (conf->max_rejects)
			s->c.max_rejects = conf->max_rejects;
	}
	if (s->c.batch_rows > ((size_t)1 << 30) / CHSINK_ROW_SIZE ||
	    s->c.backlog_batches > 1 << 20 ||
	    s->c.backoff_max_ms < s->c.backoff_min_ms) {
		rc = mm_diag_set(diag, MM_EINVAL, "clickhouse: batch_rows, "
		    "backlog_batches or backoff out of range");
		goto fail;
	}
	if ((s->ring = calloc(s->c.backlog_batches, sizeof(*s->ring))) ==
	    NULL) {
		rc = mm_diag_set(diag, MM_ENOMEM, "clickhouse: out of memory");
		goto fail;
	}
	memset(&ho, 0, sizeof(ho));
	ho.connect_timeout_ms = s->c.connect_timeout_ms;
	ho.timeout_ms = s->c.timeout_ms;
	ho.max_response = (size_t)1 << 20;
	if ((rc = chhttp_new(url, &ho, &s->http, diag)) < 0)
		goto fail;

	if (pthread_condattr_init(&ca) != 0) {
		rc = mm_diag_set(diag, MM_EIO, "clickhouse: condattr init");
		goto fail;
	}
	cattr = 1;
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	if (pthread_mutex_init(&s->mu, NULL) == 0)
		mu = 1;
	if (pthread_cond_init(&s->wake, &ca) == 0)
		wake = 1;
	if (pthread_cond_init(&s->idle, &ca) == 0)
		idle = 1;
	if (!mu || !wake || !idle) {
		rc = mm_diag_set(diag, MM_EIO, "clickhouse: mutex/cond init");
		goto fail;
	}
	/* The sender takes no signals: the collector's main thread does. */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	rc = pthread_create(&s->thread, NULL, chsink_run, s);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc != 0) {
		rc = mm_diag_set(diag, MM_EIO, "clickhouse: cannot start the "
		    "sender thread");
		goto fail;
	}
	s->started = 1;
	pthread_condattr_destroy(&ca);
	*sp = s;
	return 0;
 fail:
	if (cattr)
		pthread_condattr_destroy(&ca);
	if (mu)
		pthread_mutex_destroy(&s->mu);
	if (wake)
		pthread_cond_destroy(&s->wake);
	if (idle)
		pthread_cond_destroy(&s->idle);
	chhttp_free(s->http);
	free(s->ring);
	free(s);
	return rc;
}

void
chsink_free(struct chsink *s)
{
	size_t i;

	if (s == NULL)
		return;
	pthread_mutex_lock(&s->mu);
	chsink_flush_locked(s);
	s->stopping = 1;
	s->drain_deadline = chsink_now() + s->c.drain_ms;
	pthread_cond_broadcast(&s->wake);
	pthread_mutex_unlock(&s->mu);
	if (s->started)
		pthread_join(s->thread, NULL);

	chsink_batch_free(s->open);
	chsink_batch_free(s->inflight);
	chsink_batch_free(s->spare);
	for (i = 0; i < s->count; i++)
		chsink_batch_free(s->ring[(s->head + i) %
		    s->c.backlog_batches]);
	pthread_mutex_destroy(&s->mu);
	pthread_cond_destroy(&s->wake);
	pthread_cond_destroy(&s->idle);
	chhttp_free(s->http);
	free(s->ring);
	free(s);
}
