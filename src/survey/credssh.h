/*
 * credssh.h - SSH password attempts of the credential check, run by a
 * small, bounded pool of worker threads beside the scan engine's loop.
 *
 * libssh's client API blocks, so each attempt (connect, key exchange,
 * one password USERAUTH request, disconnect) runs on a worker thread. One
 * job is one attempt with one pair on one fresh connection; the loop in
 * scan.c takes the rate-limit token and asks scope_allows_port() before
 * every submit, so SSH attempts obey the same budget and scope as every
 * other connection. Results come back through an eventfd the loop waits
 * on (credssh_fd).
 *
 * Safety: a worker authenticates only. It never requests a channel, a
 * shell or a command, and disconnects right after the USERAUTH answer.
 * libssh's configuration files are not read, its logging is off, and no
 * user or password is ever copied into a result.
 *
 * Bounds: `nthreads` threads (at most CREDSSH_MAX_THREADS) and a fixed job
 * table of `qcap` entries (at most CREDSSH_MAX_JOBS) allocated once; the
 * caller submits only while credssh_room() says so. Every blocking libssh
 * call is bounded by the per-attempt timeout (SSH_OPTIONS_TIMEOUT), so a
 * worker is busy at most about 2 x timeout per job (connect + auth).
 */
#ifndef MAMORI_SURVEY_CREDSSH_H
#define MAMORI_SURVEY_CREDSSH_H

#include <stddef.h>
#include <stdint.h>

#include "core/addr.h"
#include "core/err.h"
#include "survey/cred.h"

#define CREDSSH_MAX_THREADS	16
#define CREDSSH_MAX_JOBS	64

enum credssh_res {
	CREDSSH_OK = 1,		/* the password was accepted */
	CREDSSH_DENIED,		/* refused (or partial: more factors) */
	CREDSSH_ERROR		/* no answer: connect, KEX, timeout */
};

/* A finished job, as handed back by credssh_collect. */
struct credssh_done {
	void		*owner;		/* as given to credssh_submit */
	size_t		 pair;
	enum credssh_res res;
	char		 error[80];	/* for CREDSSH_ERROR; never a secret */
};

struct credssh;

/* Starts `nthreads` workers over list `l` (which must outlive the pool),
 * each attempt bounded by `timeout_ms`; `source` (may be NULL) is the
 * local address text to bind. Returns 0 with *out, or MM_EINVAL /
 * MM_ENOMEM / MM_EIO with `d` set. */
int	credssh_new(struct credssh **out, unsigned nthreads, unsigned qcap,
	    const struct cred_list *l, unsigned timeout_ms,
	    const char *source, struct mm_diag *d);

/* The descriptor that becomes readable when results wait (level
 * triggered; credssh_collect drains it). */
int	credssh_fd(const struct credssh *p);

/* Number of jobs that may be submitted now. */
size_t	credssh_room(const struct credssh *p);

/* Queues one attempt of pair `pair` against addr:port. Returns 0 or
 * MM_ELIMIT (no room). */
int	credssh_submit(struct credssh *p, void *owner,
	    const struct mm_addr *addr, uint16_t port, size_t pair);

/* Moves up to `cap` finished jobs into `out`; returns how many. */
size_t	credssh_collect(struct credssh *p, struct credssh_done *out,
	    size_t cap);

/* Jobs submitted and not yet collected. */
size_t	credssh_pending(const struct credssh *p);

/* Stops the workers (a running attempt ends within its timeout), joins
 * them and frees `p`; NULL-safe. Uncollected results are dropped. */
void	credssh_free(struct credssh *p);

#endif
