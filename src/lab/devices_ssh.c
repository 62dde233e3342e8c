/*
 * devices_ssh.c - the lab fleet's SSH servers with a password login,
 * on libssh's server API (ssh_bind, ssh_session).
 *
 * Why threads: libssh's server calls (key exchange, message reads) block,
 * so they cannot share the epoll loop of devices_srv.c. The design is a
 * fixed, bounded pool:
 *   - one accept thread polls (100 ms ticks) every SSH-login listener of
 *     the plan, accepts and queues the socket; while the queue holds
 *     DEVSSH_QUEUE sockets it stops polling the listeners (clients wait in
 *     the kernel backlog);
 *   - DEVSSH_WORKERS worker threads take one socket each, hand it to the
 *     template's ssh_bind (ssh_bind_accept_fd, serialised: it copies keys
 *     and reseeds libssh's PRNG), run the key exchange and read
 *     authentication requests with libssh's per-operation timeout
 *     (DEVSSH_TIMEOUT_S);
 *   - the accept thread also shuts down (shutdown(2), so blocked libssh
 *     reads return) every session older than DEVSSH_LIFE_MS, and all of
 *     them at close.
 * Memory and threads are O(DEVSSH_WORKERS + DEVSSH_QUEUE + listeners),
 * independent of the clients: 32 workers with 512 KiB stacks. A client
 * that only reads the banner and waits (a survey's banner grab) holds a
 * worker until it closes or libssh's timeout, hence 32 rather than a
 * handful.
 *
 * What a client sees: the identification string of the template
 * ("SSH-2.0-" then SSH_BIND_OPTIONS_BANNER, which libssh sends as is, so
 * the truth's banner holds), an ed25519 host key made at start with
 * ssh_pki_generate (one per template, never written to disk), and only
 * the "password" method (libssh's server callbacks: service requests
 * other than ssh-userauth and every channel open are refused). Exactly
 * the template's default pair is accepted; at most 3 password failures
 * and 12 attempts per session.
 * After a success the session is answered and closed at once: no
 * channel is ever opened, nothing a client sends is run.
 */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <libssh/callbacks.h>
#include <libssh/libssh.h>
#include <libssh/server.h>

#include "lab/devices.h"

#define SSH_MAX_FAILS	3
#define SSH_MAX_MSGS	12
#define SSH_TICK_MS	100

struct sshlsn {
	int		 fd;
	size_t		 dev;		/* index into plan->dev */
	uint16_t	 tpl;
};

struct sshjob {
	int		 fd;
	size_t		 dev;
	uint16_t	 tpl;
};

struct sshwork {
	pthread_t	 th;
	int		 started;
	int		 fd;		/* session socket, -1 when idle */
	int64_t		 t_start;
};

struct devssh {
	const struct dev_plan	*plan;
	struct devsrv		*srv;
	struct sshlsn		*lsn;
	size_t			 nlsn;
	ssh_bind		*bind;		/* per template, NULL if unused */
	size_t			 nbind;
	pthread_mutex_t		 mu;		/* queue, work[].fd, stop */
	pthread_cond_t		 cv;
	pthread_mutex_t		 bindmu;	/* ssh_bind_accept_fd */
	struct sshjob		 q[DEVSSH_QUEUE];
	size_t			 qhead, qlen;
	struct sshwork		 work[DEVSSH_WORKERS];
	pthread_t		 acc;
	int			 acc_started;
	int			 stop;
	int			 inited;	/* ssh_init done */
};

static int64_t
mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

size_t
devssh_nlisten(const struct devssh *h)
{
	return h == NULL ? 0 : h->nlsn;
}

/* One session's state for the libssh callbacks. */
struct sshctx {
	struct devssh		*h;
	const struct dev_cred	*cr;
	int			 ok, fails, tries;
};

static int
cb_password(ssh_session ss, const char *user, const char *pass, void *ud)
{
	struct sshctx *c = ud;

	(void)ss;
	c->tries++;
	if (!c->ok && c->fails < SSH_MAX_FAILS && user != NULL &&
	    pass != NULL && strcmp(user, c->cr->user) == 0 &&
	    strcmp(pass, c->cr->pass) == 0) {
		devsrv_count_login(c->h->srv, 1);
		c->ok = 1;
		return SSH_AUTH_SUCCESS;
	}
	devsrv_count_login(c->h->srv, 0);
	c->fails++;
	return SSH_AUTH_DENIED;
}

static int
cb_service(ssh_session ss, const char *service, void *ud)
{
	(void)ss;
	(void)ud;
	/* only the authentication service: 0 accepts, -1 refuses */
	return strcmp(service, "ssh-userauth") == 0 ? 0 : -1;
}

static ssh_channel
cb_channel(ssh_session ss, void *ud)
{
	(void)ss;
	(void)ud;
	return NULL;		/* never a channel, so never a shell */
}

/* Runs the authentication exchange until the default pair is given, the
 * caps are reached, the peer goes or the socket is shut (reap). */
static void
serve_auth(ssh_session ss, struct sshctx *c)
{
	ssh_event ev;
	int k;

	if ((ev = ssh_event_new()) == NULL)
		return;
	if (ssh_event_add_session(ev, ss) != SSH_OK) {
		ssh_event_free(ev);
		return;
	}
	/* DEVSSH_LIFE_MS / SSH_TICK_MS polls at most */
	for (k = 0; k < DEVSSH_LIFE_MS / SSH_TICK_MS && !c->ok &&
	    c->fails < SSH_MAX_FAILS && c->tries < SSH_MAX_MSGS; k++) {
		if (ssh_event_dopoll(ev, SSH_TICK_MS) == SSH_ERROR)
			break;
		if (ssh_get_status(ss) & (SSH_CLOSED | SSH_CLOSED_ERROR))
			break;
	}
	/* after a success, up to 1 s for the client to read it and go
	 * (closing at once with its next request unread would reset the
	 * connection, and a reset can discard the success reply) */
	for (k = 0; c->ok && k < 1000 / SSH_TICK_MS; k++) {
		if (ssh_event_dopoll(ev, SSH_TICK_MS) == SSH_ERROR)
			break;
		if (ssh_get_status(ss) & (SSH_CLOSED | SSH_CLOSED_ERROR))
			break;
	}
	ssh_event_remove_session(ev, ss);
	ssh_event_free(ev);
}

static void
serve(struct devssh *h, struct sshwork *w, const struct sshjob *j)
{
	const struct dev_svctpl *t = &devices_templates(NULL)[j->tpl];
	struct ssh_server_callbacks_struct cb;
	struct sshctx ctx;
	ssh_session ss;
	long tmo = DEVSSH_TIMEOUT_S;
	int rc;

	if ((ss = ssh_new()) == NULL) {
		close(j->fd);
		return;
	}
	pthread_mutex_lock(&h->bindmu);
	rc = ssh_bind_accept_fd(h->bind[j->tpl], ss, j->fd);
	pthread_mutex_unlock(&h->bindmu);
	if (rc != SSH_OK) {
		close(j->fd);
		ssh_free(ss);
		return;
	}
	pthread_mutex_lock(&h->mu);
	w->fd = j->fd;
	w->t_start = mono_ms();
	if (h->stop)
		shutdown(j->fd, SHUT_RDWR);
	pthread_mutex_unlock(&h->mu);
	(void)ssh_options_set(ss, SSH_OPTIONS_TIMEOUT, &tmo);
	memset(&ctx, 0, sizeof(ctx));
	ctx.h = h;
	ctx.cr = &devices_creds(NULL)[t->cred];
	memset(&cb, 0, sizeof(cb));
	cb.userdata = &ctx;
	cb.auth_password_function = cb_password;
	cb.service_request_function = cb_service;
	cb.channel_open_request_session_function = cb_channel;
	ssh_callbacks_init(&cb);
	ssh_set_server_callbacks(ss, &cb);
	ssh_set_auth_methods(ss, SSH_AUTH_METHOD_PASSWORD);
	if (ssh_handle_key_exchange(ss) == SSH_OK)
		serve_auth(ss, &ctx);
	pthread_mutex_lock(&h->mu);
	w->fd = -1;
	pthread_mutex_unlock(&h->mu);
	ssh_disconnect(ss);
	ssh_free(ss);		/* closes the socket */
}

struct wargs {
	struct devssh	*h;
	size_t		 i;
};

static void *
worker_run(void *arg)
{
	struct devssh *h = ((struct wargs *)arg)->h;
	struct sshwork *w = &h->work[((struct wargs *)arg)->i];
	struct sshjob j;

	free(arg);
	for (;;) {
		pthread_mutex_lock(&h->mu);
		while (h->qlen == 0 && !h->stop)
			pthread_cond_wait(&h->cv, &h->mu);
		if (h->qlen == 0 && h->stop) {
			pthread_mutex_unlock(&h->mu);
			break;
		}
		j = h->q[h->qhead];
		h->qhead = (h->qhead + 1) % DEVSSH_QUEUE;
		h->qlen--;
		if (h->stop) {
			pthread_mutex_unlock(&h->mu);
			close(j.fd);
			continue;
		}
		pthread_mutex_unlock(&h->mu);
		serve(h, w, &j);
	}
	return NULL;
}

/* Shuts down sessions past DEVSSH_LIFE_MS (all of them with `all`). */
static void
reap(struct devssh *h, int all)
{
	int64_t now = mono_ms();
	size_t i;

	pthread_mutex_lock(&h->mu);
	for (i = 0; i < DEVSSH_WORKERS; i++)
		if (h->work[i].fd >= 0 && (all ||
		    now - h->work[i].t_start >= DEVSSH_LIFE_MS))
			shutdown(h->work[i].fd, SHUT_RDWR);
	pthread_mutex_unlock(&h->mu);
}

static void *
accept_run(void *arg)
{
	struct devssh *h = arg;
	struct pollfd *pf;
	size_t i, room;
	int n, fd, stop;

	if ((pf = calloc(h->nlsn, sizeof(*pf))) == NULL)
		return NULL;
	for (;;) {
		pthread_mutex_lock(&h->mu);
		stop = h->stop;
		room = DEVSSH_QUEUE - h->qlen;
		pthread_mutex_unlock(&h->mu);
		if (stop)
			break;
		reap(h, 0);
		if (room == 0) {
			/* backpressure: leave clients in the backlog */
			poll(NULL, 0, SSH_TICK_MS);
			continue;
		}
		for (i = 0; i < h->nlsn; i++) {
			pf[i].fd = h->lsn[i].fd;
			pf[i].events = POLLIN;
			pf[i].revents = 0;
		}
		n = poll(pf, (nfds_t)h->nlsn, SSH_TICK_MS);
		if (n <= 0)
			continue;
		for (i = 0; i < h->nlsn; i++) {
			if (!(pf[i].revents & POLLIN))
				continue;
			if ((fd = accept(h->lsn[i].fd, NULL, NULL)) == -1)
				continue;
			/* libssh runs the socket blocking, with its timeout */
			(void)fcntl(fd, F_SETFD, FD_CLOEXEC);
			devsrv_count_accept(h->srv, h->lsn[i].dev);
			pthread_mutex_lock(&h->mu);
			if (h->qlen == DEVSSH_QUEUE || h->stop) {
				pthread_mutex_unlock(&h->mu);
				close(fd);
				continue;
			}
			h->q[(h->qhead + h->qlen) % DEVSSH_QUEUE].fd = fd;
			h->q[(h->qhead + h->qlen) % DEVSSH_QUEUE].dev =
			    h->lsn[i].dev;
			h->q[(h->qhead + h->qlen) % DEVSSH_QUEUE].tpl =
			    h->lsn[i].tpl;
			h->qlen++;
			pthread_cond_signal(&h->cv);
			pthread_mutex_unlock(&h->mu);
		}
	}
	free(pf);
	return NULL;
}

void
devssh_close(struct devssh *h)
{
	size_t i;

	if (h == NULL)
		return;
	pthread_mutex_lock(&h->mu);
	h->stop = 1;
	pthread_cond_broadcast(&h->cv);
	pthread_mutex_unlock(&h->mu);
	reap(h, 1);
	if (h->acc_started)
		pthread_join(h->acc, NULL);
	for (i = 0; i < DEVSSH_WORKERS; i++) {
		if (!h->work[i].started)
			continue;
		reap(h, 1);
		pthread_join(h->work[i].th, NULL);
	}
	while (h->qlen > 0) {
		close(h->q[h->qhead].fd);
		h->qhead = (h->qhead + 1) % DEVSSH_QUEUE;
		h->qlen--;
	}
	for (i = 0; i < h->nlsn; i++)
		close(h->lsn[i].fd);
	for (i = 0; h->bind != NULL && i < h->nbind; i++)
		if (h->bind[i] != NULL)
			ssh_bind_free(h->bind[i]);
	if (h->inited)
		ssh_finalize();
	pthread_mutex_destroy(&h->mu);
	pthread_mutex_destroy(&h->bindmu);
	pthread_cond_destroy(&h->cv);
	free(h->bind);
	free(h->lsn);
	free(h);
}

/* A bind for template `t`: banner and a fresh ed25519 host key. */
static ssh_bind
bind_new(const struct dev_svctpl *t, struct mm_diag *diag)
{
	ssh_bind b;
	ssh_key key = NULL;
	char banner[96];
	size_t n;
	bool no = false;

	/* the banner option is what follows "SSH-2.0-", without CR LF */
	if (strncmp(t->text, "SSH-2.0-", 8) != 0) {
		mm_diag_set(diag, MM_EINVAL, "devices: template %s: banner "
		    "is not SSH-2.0", t->name);
		return NULL;
	}
	snprintf(banner, sizeof(banner), "%s", t->text + 8);
	n = strcspn(banner, "\r\n");
	banner[n] = '\0';
	if ((b = ssh_bind_new()) == NULL) {
		mm_diag_set(diag, MM_ENOMEM, "devices: ssh_bind_new failed");
		return NULL;
	}
	if (ssh_pki_generate(SSH_KEYTYPE_ED25519, 0, &key) != SSH_OK) {
		mm_diag_set(diag, MM_EIO, "devices: ssh_pki_generate "
		    "(ed25519) failed");
		ssh_bind_free(b);
		return NULL;
	}
	/* the bind owns the key from here on (freed by ssh_bind_free) */
	if (ssh_bind_options_set(b, SSH_BIND_OPTIONS_IMPORT_KEY, key) < 0 ||
	    ssh_bind_options_set(b, SSH_BIND_OPTIONS_BANNER, banner) < 0 ||
	    ssh_bind_options_set(b, SSH_BIND_OPTIONS_PROCESS_CONFIG, &no) <
	    0) {
		mm_diag_set(diag, MM_EIO, "devices: ssh_bind_options_set: %s",
		    ssh_get_error(b));
		ssh_bind_free(b);
		return NULL;
	}
	return b;
}

struct devssh *
devssh_open(const struct dev_plan *p, struct devsrv *srv,
    struct mm_diag *diag)
{
	const struct dev_svctpl *tp = devices_templates(NULL);
	struct devssh *h;
	struct wargs *wa;
	pthread_attr_t attr;
	sigset_t all, old;
	size_t i, j, n = 0;
	int fd, rc;

	if ((h = calloc(1, sizeof(*h))) == NULL) {
		mm_diag_set(diag, MM_ENOMEM, "devices: out of memory");
		return NULL;
	}
	h->plan = p;
	h->srv = srv;
	pthread_mutex_init(&h->mu, NULL);
	pthread_mutex_init(&h->bindmu, NULL);
	pthread_cond_init(&h->cv, NULL);
	for (i = 0; i < DEVSSH_WORKERS; i++)
		h->work[i].fd = -1;
	for (i = 0; i < p->nsvc; i++)
		if (devices_svc_sshlogin(&p->svc[i]))
			n++;
	if (n == 0)
		return h;
	(void)devices_templates(&h->nbind);
	if ((h->lsn = calloc(n, sizeof(*h->lsn))) == NULL ||
	    (h->bind = calloc(h->nbind, sizeof(*h->bind))) == NULL) {
		mm_diag_set(diag, MM_ENOMEM, "devices: out of memory");
		goto fail;
	}
	if (ssh_init() != SSH_OK) {
		mm_diag_set(diag, MM_EIO, "devices: ssh_init failed");
		goto fail;
	}
	h->inited = 1;
	for (i = 0; i < p->ndev; i++) {
		for (j = p->dev[i].svc; j < p->dev[i].svc + p->dev[i].nsvc;
		    j++) {
			if (!devices_svc_sshlogin(&p->svc[j]))
				continue;
			if (h->bind[p->svc[j].tpl] == NULL &&
			    (h->bind[p->svc[j].tpl] = bind_new(
			    &tp[p->svc[j].tpl], diag)) == NULL)
				goto fail;
			if (devices_listen(&p->svc[j], &fd, diag) != 0)
				goto fail;
			h->lsn[h->nlsn].fd = fd;
			h->lsn[h->nlsn].dev = i;
			h->lsn[h->nlsn].tpl = p->svc[j].tpl;
			h->nlsn++;
		}
	}
	/* the threads leave signals to the main thread */
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	pthread_attr_init(&attr);
	(void)pthread_attr_setstacksize(&attr, DEVSSH_STACK);
	rc = 0;
	for (i = 0; i < DEVSSH_WORKERS && rc == 0; i++) {
		if ((wa = malloc(sizeof(*wa))) == NULL) {
			rc = ENOMEM;
			break;
		}
		wa->h = h;
		wa->i = i;
		if ((rc = pthread_create(&h->work[i].th, &attr, worker_run,
		    wa)) != 0)
			free(wa);
		else
			h->work[i].started = 1;
	}
	if (rc == 0 && (rc = pthread_create(&h->acc, &attr, accept_run,
	    h)) == 0)
		h->acc_started = 1;
	pthread_attr_destroy(&attr);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc != 0) {
		mm_diag_set(diag, MM_EIO, "devices: pthread_create: %s",
		    strerror(rc));
		goto fail;
	}
	return h;
fail:
	devssh_close(h);
	return NULL;
}
