/*
 * flowq.h - the bounded queue of flow batches between the collector's
 * receive threads (producers) and its writer thread (the one consumer).
 *
 * Flows travel in batches of up to `batch_flows` records so that the lock is
 * taken once per batch, not per flow. Batches come from a pool capped at
 * max_flows / batch_flows; a producer that finds the pool empty gets NULL and
 * must count the flows it cannot queue as dropped rather than wait (the
 * kernel socket buffer keeps absorbing meanwhile). Batches are allocated on
 * first use and recycled, never freed before flowq_free(), so memory peaks at
 * max_flows * sizeof(struct flow) plus headers.
 */
#ifndef MAMORI_COLLECT_FLOWQ_H
#define MAMORI_COLLECT_FLOWQ_H

#include <stddef.h>
#include <stdint.h>

#include "flow/flow.h"

struct flowq_batch {
	struct flowq_batch	*next;
	mtime_t			 now;	/* receive time of the batch */
	size_t			 n;	/* flows used */
	size_t			 cap;	/* flows allocated */
	struct flow		 f[];
};

struct flowq;

struct flowq_counts {
	size_t		batches_max;	/* pool cap */
	size_t		batches_alloc;	/* allocated so far */
	size_t		depth;		/* batches waiting for the consumer */
	size_t		depth_flows;	/* flows waiting */
	size_t		hiwat_flows;	/* most flows ever waiting */
	uint64_t	pool_empty;	/* flowq_get() that returned NULL */
};

/* Creates a queue holding at most `max_flows` flows in batches of
 * `batch_flows` (both > 0; at least one batch). Returns 0 or MM_ENOMEM /
 * MM_EINVAL. */
int	flowq_new(size_t max_flows, size_t batch_flows, struct flowq **q);
/*
 * Allocates up to `flows` worth of batches now (within the cap) and touches
 * their memory, so that the first burst does not pay page faults in the
 * receive threads. Returns 0 or MM_ENOMEM (what was allocated stays).
 */
int	flowq_prealloc(struct flowq *q, size_t flows);
/* Frees the queue and every batch (none may be in use); NULL-safe. */
void	flowq_free(struct flowq *q);

/* Producer: an empty batch (n == 0), or NULL when the pool is exhausted. */
struct flowq_batch *flowq_get(struct flowq *q);
/* Producer: hands a batch to the consumer (an empty one is recycled). */
void	flowq_put(struct flowq *q, struct flowq_batch *b);
/* Either side: returns a batch to the pool. NULL-safe. */
void	flowq_release(struct flowq *q, struct flowq_batch *b);

/*
 * Consumer: the oldest queued batch, waiting up to `timeout_ms` (0 = do not
 * wait). Returns NULL on timeout, or when the queue is closed and empty.
 */
struct flowq_batch *flowq_pop(struct flowq *q, int timeout_ms);
/* Marks the queue closed and wakes the consumer. */
void	flowq_close(struct flowq *q);
/* 1 once closed and drained. */
int	flowq_done(struct flowq *q);

void	flowq_get_counts(struct flowq *q, struct flowq_counts *c);

#endif
