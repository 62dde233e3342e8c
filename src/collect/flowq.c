/*
 * flowq.c - bounded MPSC queue of flow batches (see flowq.h).
 *
 * One mutex guards a FIFO of full batches and a free list; a condition
 * variable wakes the consumer. Every operation is O(1) and holds the lock for
 * a few pointer moves, taken once per batch (thousands of flows), so the
 * lock costs nothing measurable next to decoding and compression. The pool
 * is capped: flowq_get() never blocks and never allocates past the cap.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/err.h"
#include "collect/flowq.h"

struct flowq {
	pthread_mutex_t		 mu;
	pthread_cond_t		 cv;
	struct flowq_batch	*head, *tail;	/* full batches, FIFO */
	struct flowq_batch	*free;		/* recycled */
	size_t			 batch_flows;
	size_t			 max_batches;
	size_t			 nalloc;
	size_t			 depth;
	size_t			 depth_flows;
	size_t			 hiwat_flows;
	uint64_t		 pool_empty;
	int			 closed;
};

int
flowq_new(size_t max_flows, size_t batch_flows, struct flowq **qp)
{
	struct flowq	*q;

	*qp = NULL;
	if (max_flows == 0 || batch_flows == 0 ||
	    batch_flows > ((size_t)1 << 24))
		return MM_EINVAL;
	if ((q = calloc(1, sizeof(*q))) == NULL)
		return MM_ENOMEM;
	q->batch_flows = batch_flows;
	q->max_batches = max_flows / batch_flows;
	if (q->max_batches == 0)
		q->max_batches = 1;
	if (pthread_mutex_init(&q->mu, NULL) != 0) {
		free(q);
		return MM_ENOMEM;
	}
	if (pthread_cond_init(&q->cv, NULL) != 0) {
		pthread_mutex_destroy(&q->mu);
		free(q);
		return MM_ENOMEM;
	}
	*qp = q;
	return 0;
}

/* Writes one byte per page so the kernel backs the memory now (a plain
 * malloc + memset(0) may be turned into calloc, which touches nothing). */
static void
touch(unsigned char *p, size_t len)
{
	volatile unsigned char	*v = p;
	size_t			 i;

	for (i = 0; i < len; i += 4096)
		v[i] = 1;
	if (len > 0)
		v[len - 1] = 1;
}

int
flowq_prealloc(struct flowq *q, size_t flows)
{
	struct flowq_batch	*b;
	size_t			 want, i;

	want = (flows + q->batch_flows - 1) / q->batch_flows;
	for (i = 0; i < want; i++) {
		pthread_mutex_lock(&q->mu);
		if (q->nalloc >= q->max_batches) {
			pthread_mutex_unlock(&q->mu);
			break;
		}
		q->nalloc++;
		pthread_mutex_unlock(&q->mu);
		b = malloc(sizeof(*b) + q->batch_flows * sizeof(struct flow));
		if (b == NULL) {
			pthread_mutex_lock(&q->mu);
			q->nalloc--;
			pthread_mutex_unlock(&q->mu);
			return MM_ENOMEM;
		}
		memset(b, 0, sizeof(*b));
		touch((unsigned char *)b->f, q->batch_flows *
		    sizeof(struct flow));
		b->cap = q->batch_flows;
		flowq_release(q, b);
	}
	return 0;
}

static void
batch_list_free(struct flowq_batch *b)
{
	struct flowq_batch *next;

	for (; b != NULL; b = next) {
		next = b->next;
		free(b);
	}
}

void
flowq_free(struct flowq *q)
{
	if (q == NULL)
		return;
	batch_list_free(q->head);
	batch_list_free(q->free);
	pthread_cond_destroy(&q->cv);
	pthread_mutex_destroy(&q->mu);
	free(q);
}

struct flowq_batch *
flowq_get(struct flowq *q)
{
	struct flowq_batch	*b = NULL;
	int			 grow = 0;

	pthread_mutex_lock(&q->mu);
	if (q->free != NULL) {
		b = q->free;
		q->free = b->next;
	} else if (q->nalloc < q->max_batches) {
		q->nalloc++;	/* reserve the slot, allocate unlocked */
		grow = 1;
	} else
		q->pool_empty++;
	pthread_mutex_unlock(&q->mu);
	if (grow) {
		b = malloc(sizeof(*b) + q->batch_flows * sizeof(struct flow));
		if (b == NULL) {
			pthread_mutex_lock(&q->mu);
			q->nalloc--;
			q->pool_empty++;
			pthread_mutex_unlock(&q->mu);
			return NULL;
		}
		b->cap = q->batch_flows;
	}
	if (b != NULL) {
		b->next = NULL;
		b->n = 0;
		b->now = 0;
	}
	return b;
}

void
flowq_release(struct flowq *q, struct flowq_batch *b)
{
	if (b == NULL)
		return;
	pthread_mutex_lock(&q->mu);
	b->next = q->free;
	q->free = b;
	pthread_mutex_unlock(&q->mu);
}

void
flowq_put(struct flowq *q, struct flowq_batch *b)
{
	if (b == NULL)
		return;
	if (b->n == 0) {
		flowq_release(q, b);
		return;
	}
	pthread_mutex_lock(&q->mu);
	b->next = NULL;
	if (q->tail != NULL)
		q->tail->next = b;
	else
		q->head = b;
	q->tail = b;
	q->depth++;
	q->depth_flows += b->n;
	if (q->depth_flows > q->hiwat_flows)
		q->hiwat_flows = q->depth_flows;
	pthread_cond_signal(&q->cv);
	pthread_mutex_unlock(&q->mu);
}

struct flowq_batch *
flowq_pop(struct flowq *q, int timeout_ms)
{
	struct flowq_batch	*b = NULL;
	struct timespec		 ts;

	pthread_mutex_lock(&q->mu);
	if (q->head == NULL && !q->closed && timeout_ms > 0) {
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_sec += timeout_ms / 1000;
		ts.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
		if (ts.tv_nsec >= 1000000000L) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000L;
		}
		while (q->head == NULL && !q->closed)
			if (pthread_cond_timedwait(&q->cv, &q->mu, &ts) ==
			    ETIMEDOUT)
				break;
	}
	if ((b = q->head) != NULL) {
		q->head = b->next;
		if (q->head == NULL)
			q->tail = NULL;
		q->depth--;
		q->depth_flows -= b->n;
		b->next = NULL;
	}
	pthread_mutex_unlock(&q->mu);
	return b;
}

void
flowq_close(struct flowq *q)
{
	pthread_mutex_lock(&q->mu);
	q->closed = 1;
	pthread_cond_broadcast(&q->cv);
	pthread_mutex_unlock(&q->mu);
}

int
flowq_done(struct flowq *q)
{
	int done;

	pthread_mutex_lock(&q->mu);
	done = q->closed && q->head == NULL;
	pthread_mutex_unlock(&q->mu);
	return done;
}

void
flowq_get_counts(struct flowq *q, struct flowq_counts *c)
{
	pthread_mutex_lock(&q->mu);
	c->batches_max = q->max_batches;
	c->batches_alloc = q->nalloc;
	c->depth = q->depth;
	c->depth_flows = q->depth_flows;
	c->hiwat_flows = q->hiwat_flows;
	c->pool_empty = q->pool_empty;
	pthread_mutex_unlock(&q->mu);
}
