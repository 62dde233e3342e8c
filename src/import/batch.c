/*
 * batch.c - sort imported flows by time before they reach the store
 * writer (see import.h). A stable sort keeps equal-time flows in arrival
 * order (the index is the tie-breaker). Cost per batch: O(n log n)
 * comparisons, one store_writer_add per flow.
 */
#include <stdlib.h>
#include <string.h>

#include "import/import.h"
#include "store/store.h"

struct brow {
	struct flow	 f;
	uint64_t	 seq;
};

struct import_batch {
	struct store_writer	*w;
	struct brow		*v;
	size_t			 n, cap;
	uint64_t		 seq;
	uint64_t		 written;
};

struct import_batch *
import_batch_new(struct store_writer *w, size_t cap)
{
	struct import_batch *b;

	if ((b = calloc(1, sizeof(*b))) == NULL)
		return NULL;
	b->w = w;
	b->cap = cap != 0 ? cap : IMPORT_BATCH_ROWS;
	if ((b->v = calloc(b->cap, sizeof(*b->v))) == NULL) {
		free(b);
		return NULL;
	}
	return b;
}

void
import_batch_free(struct import_batch *b)
{
	if (b == NULL)
		return;
	free(b->v);
	free(b);
}

static int
brow_cmp(const void *x, const void *y)
{
	const struct brow *a = x, *b = y;

	if (a->f.first != b->f.first)
		return a->f.first < b->f.first ? -1 : 1;
	return a->seq < b->seq ? -1 : a->seq > b->seq;
}

int
import_batch_flush(struct import_batch *b, struct mm_diag *diag)
{
	size_t	i;
	int	rc = 0;

	if (b->n == 0)
		return 0;
	qsort(b->v, b->n, sizeof(*b->v), brow_cmp);
	for (i = 0; i < b->n; i++) {
		if ((rc = store_writer_add(b->w, &b->v[i].f, b->v[i].f.first,
		    diag)) != 0)
			break;
		b->written++;
	}
	b->n = 0;
	return rc;
}

int
import_batch_add(struct import_batch *b, const struct flow *f,
    struct mm_diag *diag)
{
	int rc;

	if (b->n == b->cap && (rc = import_batch_flush(b, diag)) != 0)
		return rc;
	b->v[b->n].f = *f;
	b->v[b->n].seq = b->seq++;
	b->n++;
	return 0;
}

uint64_t
import_batch_written(const struct import_batch *b)
{
	return b->written;
}
