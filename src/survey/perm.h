/*
 * perm.h - a pseudo-random permutation of the survey's targets in O(1)
 * memory, as ZMap does.
 *
 * For N targets pick the smallest prime p > N; the multiplicative group of
 * integers modulo p is cyclic of order p - 1, and a primitive root g (derived
 * from the seed) generates it: x, x*g, x*g^2, ... visits every element
 * 1..p-1 exactly once before returning to x. Element e maps to target index
 * e - 1; elements above N are skipped (p is close to N, so few are). The
 * starting element x also comes from the seed.
 *
 * Sharding: shard i of n takes the cycle positions k = i, i + n, i + 2n, ...
 * of that one cycle (step g^n), so the shards are disjoint and together cover
 * every target, whatever n. Resume: the state is (seed, shard, n_targets,
 * position within the shard, targets emitted); the element at a position is
 * recomputed with one modular power, O(log p).
 *
 * Costs: perm_init() finds p by deterministic Miller-Rabin and factors p - 1
 * by trial division (at most sqrt(PERM_MAX_N) steps, milliseconds); each
 * perm_next() is one modular multiplication per cycle step, and on average
 * p / N < 1.01 steps per target for large N. Memory: sizeof(struct perm),
 * constant whatever N.
 */
#ifndef MAMORI_SURVEY_PERM_H
#define MAMORI_SURVEY_PERM_H

#include <stddef.h>
#include <stdint.h>

#include "core/err.h"

#define PERM_MAX_N	(UINT64_C(1) << 48)	/* targets */
#define PERM_MAX_SHARDS	65536
#define PERM_STATE_MAX	1024	/* bytes of a state file */

struct perm {
	uint64_t	n;		/* targets */
	uint64_t	p;		/* prime > n */
	uint64_t	g;		/* primitive root mod p */
	uint64_t	step;		/* g^shard_n mod p */
	uint64_t	first;		/* cycle element at position 0 */
	uint64_t	cur;		/* element at shard position `pos` */
	uint64_t	seed;
	uint32_t	shard_i, shard_n;
	uint64_t	pos;		/* shard positions consumed */
	uint64_t	npos;		/* shard positions in all */
	uint64_t	count;		/* indices emitted */
};

/* Initialises `p` for n_targets (0..PERM_MAX_N) as shard shard_i of shard_n
 * (0 <= shard_i < shard_n <= PERM_MAX_SHARDS) of the permutation chosen by
 * `seed`. Returns 0 or MM_EINVAL / MM_ELIMIT. Deterministic: the same
 * (n_targets, seed) gives the same cycle on every machine. */
int	perm_init(struct perm *p, uint64_t n_targets, uint64_t seed,
	    uint32_t shard_i, uint32_t shard_n);
/* Next target index of this shard into *index (< n_targets): returns 1, or 0
 * when the shard is exhausted (then *index is untouched). */
int	perm_next(struct perm *p, uint64_t *index);
/* Moves `p` to shard position `pos` having emitted `count` indices (resume).
 * Returns 0 or MM_ERANGE. */
int	perm_seek(struct perm *p, uint64_t pos, uint64_t count);

/* Writes the resume state as text ("mamori-perm 1", then key=value lines:
 * seed, shard=I/N, targets, position, count) into buf (len bytes). Returns
 * the length written, or MM_ELIMIT if it does not fit. */
int	perm_state_fmt(const struct perm *p, char *buf, size_t len);
/* Parses such text (len bytes, capped at PERM_STATE_MAX) and re-creates the
 * permutation at the saved position. `n_targets` must equal the saved target
 * count (the scope must not have changed). Returns 0 or MM_ESYNTAX /
 * MM_ERANGE / MM_EINVAL with `d` naming `name` and the field. */
int	perm_state_parse(struct perm *p, const char *name, const char *buf,
	    size_t len, uint64_t n_targets, struct mm_diag *d);
/* Saves atomically to `path` (written to path.tmp, then renamed). Returns 0
 * or MM_EIO. */
int	perm_state_save(const struct perm *p, const char *path,
	    struct mm_diag *d);
/* Loads from `path` as perm_state_parse(); also MM_EIO. */
int	perm_state_load(struct perm *p, const char *path, uint64_t n_targets,
	    struct mm_diag *d);

#endif
