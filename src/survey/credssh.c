/*
 * credssh.c - the SSH attempt pool of the credential check (see
 * credssh.h for the contract and the safety rules).
 *
 * Approach: one mutex, one condition variable and a fixed table of job
 * slots (FREE -> QUEUED -> RUNNING -> DONE -> FREE). Workers take the
 * oldest QUEUED slot (a sequence number orders them), run the attempt
 * without the lock, mark it DONE and write to an eventfd; the loop
 * collects DONE slots. Table scans are O(qcap) with qcap <= 64.
 * Memory: the table, the threads' stacks and at most nthreads live libssh
 * sessions.
 */
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sys/eventfd.h>

#include <libssh/libssh.h>

#include "survey/credssh.h"

enum slot_state {
	SL_FREE = 0,
	SL_QUEUED,
	SL_RUNNING,
	SL_DONE
};

struct slot {
	enum slot_state		 st;
	uint64_t		 seq;
	void			*owner;
	struct mm_addr		 addr;
	uint16_t		 port;
	size_t			 pair;
	enum credssh_res	 res;
	char			 error[80];
};

struct credssh {
	pthread_mutex_t		 mu;
	pthread_cond_t		 cv;
	pthread_t		 th[CREDSSH_MAX_THREADS];
	unsigned		 nth;
	struct slot		*slots;
	size_t			 nslots;
	size_t			 used;		/* non-FREE slots */
	uint64_t		 seq;
	int			 quit;
	int			 efd;
	const struct cred_list	*list;
	unsigned		 timeout_ms;
	char			 source[ADDR_STRLEN];
};

/* One attempt; runs without the lock. */
static void
attempt(const struct credssh *p, struct slot *s)
{
	ssh_session ss;
	char host[ADDR_STRLEN];
	const struct cred *c = &p->list->v[s->pair];
	long tsec = (long)(p->timeout_ms / 1000);
	long tusec = (long)(p->timeout_ms % 1000) * 1000;
	unsigned int port = s->port;
	int verb = SSH_LOG_NOLOG, rc;
	bool no = false;

	addr_fmt(&s->addr, host, sizeof(host));
	if ((ss = ssh_new()) == NULL) {
		s->res = CREDSSH_ERROR;
		snprintf(s->error, sizeof(s->error), "ssh: ssh_new failed");
		return;
	}
	if (ssh_options_set(ss, SSH_OPTIONS_LOG_VERBOSITY, &verb) < 0 ||
	    ssh_options_set(ss, SSH_OPTIONS_PROCESS_CONFIG, &no) < 0 ||
	    ssh_options_set(ss, SSH_OPTIONS_HOST, host) < 0 ||
	    ssh_options_set(ss, SSH_OPTIONS_PORT, &port) < 0 ||
	    ssh_options_set(ss, SSH_OPTIONS_USER, c->user) < 0 ||
	    ssh_options_set(ss, SSH_OPTIONS_TIMEOUT, &tsec) < 0 ||
	    ssh_options_set(ss, SSH_OPTIONS_TIMEOUT_USEC, &tusec) < 0 ||
	    (p->source[0] != '\0' &&
	    ssh_options_set(ss, SSH_OPTIONS_BINDADDR, p->source) < 0)) {
		s->res = CREDSSH_ERROR;
		snprintf(s->error, sizeof(s->error), "ssh: bad option");
		goto out;
	}
	if (ssh_connect(ss) != SSH_OK) {
		s->res = CREDSSH_ERROR;
		snprintf(s->error, sizeof(s->error), "ssh: connect or key "
		    "exchange failed");
		goto out;
	}
	/* user-auth only: no channel is ever opened */
	rc = ssh_userauth_password(ss, NULL, c->pass);
	if (rc == SSH_AUTH_SUCCESS)
		s->res = CREDSSH_OK;
	else if (rc == SSH_AUTH_DENIED || rc == SSH_AUTH_PARTIAL)
		s->res = CREDSSH_DENIED;
	else {
		s->res = CREDSSH_ERROR;
		snprintf(s->error, sizeof(s->error), "ssh: no answer to the "
		    "USERAUTH request");
	}
	ssh_disconnect(ss);
out:
	ssh_free(ss);
}

static void *
worker(void *arg)
{
	struct credssh *p = arg;
	struct slot *s;
	size_t i;
	uint64_t one = 1;
	ssize_t w;

	pthread_mutex_lock(&p->mu);
	for (;;) {
		s = NULL;
		for (i = 0; i < p->nslots; i++)
			if (p->slots[i].st == SL_QUEUED &&
			    (s == NULL || p->slots[i].seq < s->seq))
				s = &p->slots[i];
		if (s == NULL) {
			if (p->quit)
				break;
			pthread_cond_wait(&p->cv, &p->mu);
			continue;
		}
		if (p->quit)
			break;
		s->st = SL_RUNNING;
		pthread_mutex_unlock(&p->mu);
		attempt(p, s);
		pthread_mutex_lock(&p->mu);
		s->st = SL_DONE;
		w = write(p->efd, &one, sizeof(one));
		(void)w;
	}
	pthread_mutex_unlock(&p->mu);
	return NULL;
}

int
credssh_new(struct credssh **out, unsigned nthreads, unsigned qcap,
    const struct cred_list *l, unsigned timeout_ms, const char *source,
    struct mm_diag *d)
{
	struct credssh *p;
	unsigned i;

	*out = NULL;
	if (nthreads == 0 || nthreads > CREDSSH_MAX_THREADS || qcap == 0 ||
	    qcap > CREDSSH_MAX_JOBS || l == NULL || timeout_ms == 0)
		return mm_diag_set(d, MM_EINVAL, "credssh: bad pool size");
	if (source != NULL && strlen(source) >= ADDR_STRLEN)
		return mm_diag_set(d, MM_EINVAL, "credssh: bad source");
	if ((p = calloc(1, sizeof(*p))) == NULL ||
	    (p->slots = calloc(qcap, sizeof(*p->slots))) == NULL) {
		free(p);
		return mm_diag_set(d, MM_ENOMEM, "credssh: job table");
	}
	p->nslots = qcap;
	p->list = l;
	p->timeout_ms = timeout_ms;
	if (source != NULL)
		snprintf(p->source, sizeof(p->source), "%s", source);
	if ((p->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) < 0) {
		free(p->slots);
		free(p);
		return mm_diag_set(d, MM_EIO, "credssh: eventfd: %s",
		    strerror(errno));
	}
	ssh_init();
	pthread_mutex_init(&p->mu, NULL);
	pthread_cond_init(&p->cv, NULL);
	for (i = 0; i < nthreads; i++) {
		if (pthread_create(&p->th[i], NULL, worker, p) != 0)
			break;
		p->nth++;
	}
	if (p->nth == 0) {
		credssh_free(p);
		return mm_diag_set(d, MM_EIO, "credssh: no worker thread");
	}
	*out = p;
	return 0;
}

int
credssh_fd(const struct credssh *p)
{
	return p->efd;
}

size_t
credssh_room(const struct credssh *p)
{
	size_t n;

	pthread_mutex_lock((pthread_mutex_t *)&p->mu);
	n = p->nslots - p->used;
	pthread_mutex_unlock((pthread_mutex_t *)&p->mu);
	return n;
}

size_t
credssh_pending(const struct credssh *p)
{
	size_t n;

	pthread_mutex_lock((pthread_mutex_t *)&p->mu);
	n = p->used;
	pthread_mutex_unlock((pthread_mutex_t *)&p->mu);
	return n;
}

int
credssh_submit(struct credssh *p, void *owner, const struct mm_addr *addr,
    uint16_t port, size_t pair)
{
	size_t i;
	int rc = MM_ELIMIT;

	if (pair >= p->list->n)
		return MM_EINVAL;
	pthread_mutex_lock(&p->mu);
	for (i = 0; i < p->nslots; i++) {
		struct slot *s = &p->slots[i];

		if (s->st != SL_FREE)
			continue;
		memset(s, 0, sizeof(*s));
		s->st = SL_QUEUED;
		s->seq = ++p->seq;
		s->owner = owner;
		s->addr = *addr;
		s->port = port;
		s->pair = pair;
		p->used++;
		pthread_cond_signal(&p->cv);
		rc = 0;
		break;
	}
	pthread_mutex_unlock(&p->mu);
	return rc;
}

size_t
credssh_collect(struct credssh *p, struct credssh_done *out, size_t cap)
{
	uint64_t v;
	size_t i, n = 0;
	ssize_t r;

	r = read(p->efd, &v, sizeof(v));	/* drain; EAGAIN is fine */
	(void)r;
	pthread_mutex_lock(&p->mu);
	for (i = 0; i < p->nslots && n < cap; i++) {
		struct slot *s = &p->slots[i];

		if (s->st != SL_DONE)
			continue;
		out[n].owner = s->owner;
		out[n].pair = s->pair;
		out[n].res = s->res;
		memcpy(out[n].error, s->error, sizeof(out[n].error));
		n++;
		s->st = SL_FREE;
		p->used--;
	}
	/* results left over (cap reached): keep the descriptor readable */
	for (; i < p->nslots; i++)
		if (p->slots[i].st == SL_DONE) {
			uint64_t one = 1;
			ssize_t w = write(p->efd, &one, sizeof(one));

			(void)w;
			break;
		}
	pthread_mutex_unlock(&p->mu);
	return n;
}

void
credssh_free(struct credssh *p)
{
	unsigned i;

	if (p == NULL)
		return;
	pthread_mutex_lock(&p->mu);
	p->quit = 1;
	pthread_cond_broadcast(&p->cv);
	pthread_mutex_unlock(&p->mu);
	for (i = 0; i < p->nth; i++)
		pthread_join(p->th[i], NULL);
	pthread_cond_destroy(&p->cv);
	pthread_mutex_destroy(&p->mu);
	close(p->efd);
	free(p->slots);
	free(p);
}
