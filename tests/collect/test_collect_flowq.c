/*
 * test_collect_flowq.c - the bounded batch queue: FIFO order, pool cap (get returns
 * NULL instead of blocking), recycling, close/drain, and a two-producer
 * threaded run that checks no flow is lost or duplicated.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <pthread.h>
#include <string.h>
#include <cmocka.h>

#include "core/err.h"
#include "collect/flowq.h"

static void
test_basic(void **state)
{
	struct flowq		*q;
	struct flowq_batch	*a, *b, *c, *x;
	struct flowq_counts	 k;

	(void)state;
	assert_int_equal(flowq_new(0, 4, &q), MM_EINVAL);
	assert_int_equal(flowq_new(8, 4, &q), 0);	/* 2 batches */
	a = flowq_get(q);
	b = flowq_get(q);
	assert_non_null(a);
	assert_non_null(b);
	assert_int_equal(a->cap, 4);
	assert_null(flowq_get(q));			/* pool exhausted */
	a->n = 3;
	a->f[0].packets = 1;
	b->n = 1;
	b->f[0].packets = 2;
	flowq_put(q, a);
	flowq_put(q, b);
	flowq_get_counts(q, &k);
	assert_int_equal(k.depth, 2);
	assert_int_equal(k.depth_flows, 4);
	assert_int_equal(k.hiwat_flows, 4);
	assert_int_equal(k.pool_empty, 1);
	x = flowq_pop(q, 0);
	assert_ptr_equal(x, a);
	assert_int_equal(x->f[0].packets, 1);
	flowq_release(q, x);
	c = flowq_get(q);				/* recycled */
	assert_ptr_equal(c, a);
	assert_int_equal(c->n, 0);
	flowq_put(q, c);				/* empty: recycled */
	x = flowq_pop(q, 0);
	assert_ptr_equal(x, b);
	flowq_release(q, x);
	assert_null(flowq_pop(q, 10));			/* timeout */
	assert_int_equal(flowq_done(q), 0);
	flowq_close(q);
	assert_int_equal(flowq_done(q), 1);
	assert_null(flowq_pop(q, 1000));		/* closed: no wait */
	flowq_get_counts(q, &k);
	assert_int_equal(k.batches_alloc, 2);
	assert_int_equal(k.depth, 0);
	flowq_free(q);
	flowq_free(NULL);
}

#define PER_PRODUCER	100000

struct prod {
	struct flowq	*q;
	uint32_t	 id;
	uint64_t	 sent;
	uint64_t	 dropped;
};

static void *
producer(void *arg)
{
	struct prod		*p = arg;
	struct flowq_batch	*b = NULL;
	uint32_t		 i;

	for (i = 0; i < PER_PRODUCER; i++) {
		if (b == NULL && (b = flowq_get(p->q)) == NULL) {
			p->dropped++;
			continue;
		}
		memset(&b->f[b->n], 0, sizeof(b->f[0]));
		b->f[b->n].src_as = p->id;
		b->f[b->n].dst_as = i;
		b->n++;
		p->sent++;
		if (b->n == b->cap) {
			flowq_put(p->q, b);
			b = NULL;
		}
	}
	flowq_put(p->q, b);
	return NULL;
}

static void
test_threads(void **state)
{
	struct flowq		*q;
	struct flowq_batch	*b;
	struct prod		 p[2];
	pthread_t		 t[2];
	uint64_t		 got = 0;
	int64_t			 last[2] = { -1, -1 };
	size_t			 i;
	int			 k;

	(void)state;
	assert_int_equal(flowq_new(4096, 256, &q), 0);
	for (k = 0; k < 2; k++) {
		memset(&p[k], 0, sizeof(p[k]));
		p[k].q = q;
		p[k].id = (uint32_t)k;
		assert_int_equal(pthread_create(&t[k], NULL, producer,
		    &p[k]), 0);
	}
	for (k = 0; k < 2; k++)
		pthread_join(t[k], NULL);
	flowq_close(q);
	/* single consumer afterwards: every queued flow, per-producer order */
	while ((b = flowq_pop(q, 100)) != NULL) {
		for (i = 0; i < b->n; i++) {
			k = (int)b->f[i].src_as;
			assert_true(k == 0 || k == 1);
			assert_true((int64_t)b->f[i].dst_as > last[k]);
			last[k] = b->f[i].dst_as;
			got++;
		}
		flowq_release(q, b);
	}
	assert_int_equal(got, p[0].sent + p[1].sent);
	assert_int_equal(p[0].sent + p[0].dropped, PER_PRODUCER);
	assert_int_equal(p[1].sent + p[1].dropped, PER_PRODUCER);
	flowq_free(q);
}

struct cons {
	struct flowq	*q;
	uint64_t	 got;
};

static void *
consumer(void *arg)
{
	struct cons		*c = arg;
	struct flowq_batch	*b;

	for (;;) {
		if ((b = flowq_pop(c->q, 50)) == NULL) {
			if (flowq_done(c->q))
				break;
			continue;
		}
		c->got += b->n;
		flowq_release(c->q, b);
	}
	return NULL;
}

static void
test_concurrent(void **state)
{
	struct flowq	*q;
	struct prod	 p[2];
	struct cons	 c;
	pthread_t	 t[2], ct;
	int		 k;

	(void)state;
	assert_int_equal(flowq_new(2048, 128, &q), 0);
	c.q = q;
	c.got = 0;
	assert_int_equal(pthread_create(&ct, NULL, consumer, &c), 0);
	for (k = 0; k < 2; k++) {
		memset(&p[k], 0, sizeof(p[k]));
		p[k].q = q;
		p[k].id = (uint32_t)k;
		assert_int_equal(pthread_create(&t[k], NULL, producer,
		    &p[k]), 0);
	}
	for (k = 0; k < 2; k++)
		pthread_join(t[k], NULL);
	flowq_close(q);
	pthread_join(ct, NULL);
	assert_int_equal(c.got, p[0].sent + p[1].sent);
	flowq_free(q);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_basic),
		cmocka_unit_test(test_threads),
		cmocka_unit_test(test_concurrent),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
