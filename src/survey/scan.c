/*
 * scan.c - the survey's connection engine (see scan.h for the contract).
 *
 * Approach: one edge-triggered epoll loop. Every target in flight is a
 * struct scan_conn in a slot table of max_concurrent entries; its state
 * machine (connect -> [TLS handshake] -> write -> read) is driven until the
 * socket would block, so an edge is never lost. Deadlines are checked by a
 * sweep of the slot table every SCAN_SWEEP_MS (O(in flight) per sweep, no
 * timer structure to maintain). Each probe after the first needs a new
 * connection (HTTP with Connection: close); such reconnects wait in a FIFO
 * and are served before new targets, both paying a token of the bucket.
 *
 * Costs: struct scan_conn is a few hundred bytes; the read buffer grows by
 * doubling from 1 KiB to at most SCAN_READ_MAX and exists only during a
 * read; the observation arena (fields and their copies) exists only for
 * open targets. Nothing here prints or exits.
 *
 * The credential check (cred.h) adds a struct scan_cred (about 3 KiB: the
 * telnet machine and the HTTP challenge) to a target only while its check
 * runs; telnet reads go through a 1 KiB stack buffer, at most
 * SCAN_READ_MAX bytes per session. SSH attempts wait in a FIFO of targets
 * (no extra memory) until the pool of credssh.h has room; its eventfd is
 * in the epoll set, tagged with &ssh_marker.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/socket.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

#include "survey/cred.h"
#include "survey/credssh.h"
#include "survey/http.h"
#include "survey/scan.h"
#include "survey/sshbanner.h"
#include "survey/sshkex.h"
#include "survey/telnet.h"
#include "survey/tlsinfo.h"

enum phase {
	PH_QUEUED = 0,	/* waiting for a token to (re)connect */
	PH_CONNECTING,
	PH_TLS,
	PH_WRITE,
	PH_READ,
	PH_CRED,	/* telnet credential check: reading the session */
	PH_SSHQ,	/* waiting for room in the SSH attempt pool */
	PH_SSH,		/* an SSH attempt runs in the pool */
	PH_DONE
};

enum cmode {
	CM_NONE = 0,
	CM_TELNET,
	CM_HTTP,
	CM_SSH
};

/* The credential check of one service; exists only while it runs. */
struct scan_cred {
	enum cmode		 mode;
	struct cred_tn		 tn;	/* CM_TELNET */
	struct cred_http	 http;	/* CM_HTTP */
	char			*path;	/* CM_HTTP: the path that said 401 */
	size_t			 next;	/* CM_SSH: pair to try */
	unsigned		 used;	/* CM_SSH: attempts begun */
	unsigned		 sessions;	/* CM_TELNET: connections */
	size_t			 bytes;	/* CM_TELNET: read this session */
};

enum bmode {
	BM_RAW = 0,
	BM_SSH,
	BM_TELNET
};

struct scan_obs {
	/* grown on demand (8, 16, ... SCAN_MAX_FIELDS) so a silent open
	 * port costs a few hundred bytes, not the cap's 3 KiB */
	struct rules_field	*f;
	size_t			 nf;
	char			**mem;	/* one block per field:
					   [name NUL] value NUL */
	size_t			 nmem;
	size_t			 fcap;	/* slots in f and mem */
	int			 have_fav;
	int32_t			 fav;
	int			 have_gzip;
	char			 gzip_path[RULES_PATH_LEN];
	uint32_t		 gzip_mtime;
	int			 have_cert;
	int			 telnet_login;
	char			 service[16];
	char			 error[96];
	char			 banner[SCAN_EXCERPT + 1];
	int			 cred_checked;
	int			 cred_ok;
	size_t			 cred_idx;
	unsigned		 cred_attempts;
	char			 cred_proto[8];
};

struct scan_conn {
	struct mm_addr		 addr;
	uint16_t		 port;
	int			 fd;
	SSL			*ssl;
	enum phase		 phase;
	int			 tls;
	int			 open;
	int			 step;		/* -1 banner, else probe index */
	int			 nprobes;
	int			 redirects;
	unsigned		 tries;
	enum bmode		 bmode;
	size_t			 slot;
	int64_t			 deadline;
	int64_t			 t0_ms;
	const struct rules_probe *probes[SCAN_MAX_PROBES];
	char			*path;		/* redirect target, or NULL */
	uint8_t			*rbuf;
	size_t			 rlen, rcap;
	char			*wbuf;
	size_t			 wlen, woff;
	struct telnet		*tn;
	struct sshbanner	*sb;
	size_t			 kex_off;	/* SSH: rbuf offset of the
						   binary protocol */
	int			 kex_done;	/* SSH: KEXINIT whole */
	struct scan_obs		*obs;
	struct scan_cred	*cr;		/* credential check, or NULL */
	int			 tn_ev;		/* prompt event of the banner */
	struct scan_conn	*qnext;
};

/* the per-target budget of the design: see scan.h */
_Static_assert(sizeof(struct scan_conn) + sizeof(struct scan_obs) <= 4096,
    "per-target state over 4 KiB");

struct scan_ctx {
	const struct scan_cfg	*cfg;
	const struct scope	*scope;
	const struct rules	*rules;
	struct perm		*perm;
	scan_result_cb		 cb;
	void			*arg;
	struct scan_stats	*st;
	int			 ep;
	SSL_CTX			*sslctx;
	struct scan_conn	**slots;
	size_t			 nslots;
	struct scan_conn	*qhead, *qtail;
	struct scan_bucket	 bucket;
	int			 perm_done;
	struct credssh		*ssh;		/* SSH attempt pool, or NULL */
	struct scan_conn	*sshq_head, *sshq_tail;
};

/* epoll tag of the SSH pool's eventfd (never a struct scan_conn) */
static char ssh_marker;

int64_t
scan_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static int64_t
wall_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void
scan_bucket_init(struct scan_bucket *b, double rate, double burst,
    int64_t now_ns)
{
	b->rate = rate;
	b->burst = burst < 1.0 ? 1.0 : burst;
	b->tokens = b->burst;
	b->last_ns = now_ns;
}

int
scan_bucket_take(struct scan_bucket *b, int64_t now_ns)
{
	if (b->rate <= 0)
		return 1;
	if (now_ns > b->last_ns) {
		b->tokens += (double)(now_ns - b->last_ns) * b->rate / 1e9;
		if (b->tokens > b->burst)
			b->tokens = b->burst;
		b->last_ns = now_ns;
	}
	if (b->tokens < 1.0)
		return 0;
	b->tokens -= 1.0;
	return 1;
}

char *
scan_excerpt(const char *s, size_t n, char *out, size_t cap)
{
	size_t i, o = 0;

	if (cap == 0)
		return out;
	for (i = 0; i < n && o + 1 < cap; i++) {
		unsigned char ch = (unsigned char)s[i];

		if (ch == '\r' || ch == '\n' || ch == '\t')
			out[o++] = ' ';
		else if (ch < 0x20 || ch >= 0x7f)
			out[o++] = '.';
		else
			out[o++] = (char)ch;
	}
	out[o] = '\0';
	return out;
}

/* ---- observation arena ---- */

static void
obs_free(struct scan_obs *o)
{
	size_t i;

	if (o == NULL)
		return;
	for (i = 0; i < o->nmem; i++)
		free(o->mem[i]);
	free(o->mem);
	free(o->f);
	free(o);
}

/* Adds field `name` (a static string, or copied when copy_name) = s[0..n);
 * the copies share one allocation. Fields past the cap are dropped. */
static void
obs_add(struct scan_obs *o, const char *name, int copy_name, const char *s,
    size_t n)
{
	size_t nl = copy_name ? strlen(name) + 1 : 0;
	char *p;

	if (o->nf >= SCAN_MAX_FIELDS)
		return;
	if (o->nf == o->fcap) {
		size_t nc = o->fcap == 0 ? 8 : o->fcap * 2;
		struct rules_field *nf;
		char **nm;

		if (nc > SCAN_MAX_FIELDS)
			nc = SCAN_MAX_FIELDS;
		if ((nf = realloc(o->f, nc * sizeof(*nf))) == NULL)
			return;
		o->f = nf;
		if ((nm = realloc(o->mem, nc * sizeof(*nm))) == NULL)
			return;
		o->mem = nm;
		o->fcap = nc;
	}
	if (n > RULES_SUBJECT_MAX)
		n = RULES_SUBJECT_MAX;
	if ((p = malloc(nl + n + 1)) == NULL)
		return;
	if (copy_name)
		memcpy(p, name, nl);
	memcpy(p + nl, s, n);
	p[nl + n] = '\0';
	o->mem[o->nmem++] = p;
	o->f[o->nf].name = copy_name ? p : name;
	o->f[o->nf].val = p + nl;
	o->f[o->nf].len = n;
	o->nf++;
}

static void
obs_error(struct scan_conn *c, struct scan_ctx *x, const char *what)
{
	if (c->obs != NULL) {
		size_t n = strlen(what);

		if (n >= sizeof(c->obs->error))
			n = sizeof(c->obs->error) - 1;
		memcpy(c->obs->error, what, n);
		c->obs->error[n] = '\0';
	}
	x->st->errors++;
}

/* ---- connection bookkeeping ---- */

static void
conn_close_fd(struct scan_conn *c, struct scan_ctx *x)
{
	if (c->ssl != NULL) {
		SSL_free(c->ssl);
		c->ssl = NULL;
	}
	if (c->fd >= 0) {
		epoll_ctl(x->ep, EPOLL_CTL_DEL, c->fd, NULL);
		close(c->fd);
		c->fd = -1;
	}
	free(c->rbuf);
	c->rbuf = NULL;
	c->rlen = c->rcap = 0;
	free(c->wbuf);
	c->wbuf = NULL;
	c->wlen = c->woff = 0;
}

static void
conn_queue(struct scan_conn *c, struct scan_ctx *x)
{
	conn_close_fd(c, x);
	c->phase = PH_QUEUED;
	c->qnext = NULL;
	if (x->qtail != NULL)
		x->qtail->qnext = c;
	else
		x->qhead = c;
	x->qtail = c;
}

/* ---- credential check bookkeeping ---- */

static unsigned
cred_max(const struct scan_ctx *x)
{
	unsigned m = x->cfg->max_attempts;

	if (m == 0)
		m = CRED_DEF_ATTEMPTS;
	return m;
}

/* Starts the check of `mode` on c (once per target). Returns 0, or -1
 * when it already ran or memory is short. */
static int
cred_begin(struct scan_conn *c, struct scan_ctx *x, enum cmode mode,
    const char *proto)
{
	if (x->cfg->creds == NULL || c->obs == NULL || c->obs->cred_checked ||
	    c->cr != NULL || (c->cr = calloc(1, sizeof(*c->cr))) == NULL)
		return -1;
	c->cr->mode = mode;
	c->obs->cred_checked = 1;
	snprintf(c->obs->cred_proto, sizeof(c->obs->cred_proto), "%s", proto);
	x->st->cred_services++;
	return 0;
}

/* Ends the check: records the outcome (pair `idx` worked when ok) and
 * frees its state, wiping the telnet text; NULL-safe on c->cr. */
static void
cred_end(struct scan_conn *c, struct scan_ctx *x, int ok, size_t idx)
{
	struct scan_cred *cr = c->cr;
	unsigned used;

	if (cr == NULL)
		return;
	used = cr->mode == CM_TELNET ? cr->tn.used :
	    cr->mode == CM_HTTP ? cr->http.used : cr->used;
	if (c->obs != NULL) {
		c->obs->cred_attempts = used;
		c->obs->cred_ok = ok;
		c->obs->cred_idx = idx;
	}
	x->st->cred_attempts += used;
	if (ok)
		x->st->cred_found++;
	free(cr->path);
	explicit_bzero(cr, sizeof(*cr));
	free(cr);
	c->cr = NULL;
}

static void
conn_finish(struct scan_conn *c, struct scan_ctx *x)
{
	struct scan_result r;
	struct rules_obs ro;
	struct scan_obs *o = c->obs;

	cred_end(c, x, 0, 0);
	conn_close_fd(c, x);
	c->phase = PH_DONE;
	if (c->open && o != NULL) {
		memset(&r, 0, sizeof(r));
		r.addr = c->addr;
		r.port = c->port;
		r.time_ms = c->t0_ms;
		r.proto = c->tls ? "tls" : "tcp";
		r.service = o->service[0] != '\0' ? o->service : "unknown";
		memset(&ro, 0, sizeof(ro));
		ro.fields = o->f;
		ro.nfields = o->nf;
		ro.have_favicon = o->have_fav;
		ro.favicon = o->fav;
		ro.have_gzip = o->have_gzip;
		ro.gzip_path = o->gzip_path;
		ro.gzip_mtime = o->gzip_mtime;
		if (rules_match(x->rules, &ro, &r.ident) == 1) {
			r.identified = 1;
			x->st->identified++;
		}
		memcpy(r.banner, o->banner, sizeof(r.banner));
		r.telnet_login = o->telnet_login;
		snprintf(r.error, sizeof(r.error), "%s", o->error);
		r.cred_checked = o->cred_checked;
		memcpy(r.cred_proto, o->cred_proto, sizeof(r.cred_proto));
		if (o->cred_ok && x->cfg->creds != NULL &&
		    o->cred_idx < x->cfg->creds->n)
			r.cred_id = x->cfg->creds->v[o->cred_idx].id;
		r.cred_attempts = o->cred_attempts;
		r.fields = o->f;
		r.nfields = o->nf;
		if (x->cb != NULL)
			x->cb(&r, x->arg);
	}
	x->st->done++;
	/* remove from the slot table (swap with the last) */
	x->slots[c->slot] = x->slots[x->nslots - 1];
	x->slots[c->slot]->slot = c->slot;
	x->nslots--;
	obs_free(c->obs);
	free(c->tn);
	free(c->sb);
	free(c->path);
	free(c);
}

/* Moves to the next probe, or finishes the target. */
static void
conn_next_step(struct scan_conn *c, struct scan_ctx *x)
{
	cred_end(c, x, 0, 0);
	c->step++;
	c->redirects = 0;
	free(c->path);
	c->path = NULL;
	if (c->step >= c->nprobes) {
		conn_finish(c, x);
		return;
	}
	c->tries = 0;
	conn_queue(c, x);
}

/* Ends the credential check and moves on; after a success no further
 * request is sent to the service. */
static void
cred_done(struct scan_conn *c, struct scan_ctx *x, int ok, size_t idx)
{
	cred_end(c, x, ok, idx);
	if (ok)
		c->nprobes = 0;
	conn_next_step(c, x);
}

/* Collects the probes that apply to the port; a banner probe becomes the
 * banner step. Plain-TCP HTTP ports also get the rule-named paths of the
 * TLS probes (the same portals answer on both). */
static void
conn_plan(struct scan_conn *c, struct scan_ctx *x)
{
	const struct rules_probe *p[SCAN_MAX_PROBES];
	size_t n, i, j;
	int banner = 0, http = 0;

	n = rules_probes(x->rules, RULES_TLS, c->port, p, SCAN_MAX_PROBES);
	if (n > 0) {
		c->tls = 1;
	} else {
		n = rules_probes(x->rules, RULES_TCP, c->port, p,
		    SCAN_MAX_PROBES);
	}
	if (n > SCAN_MAX_PROBES)
		n = SCAN_MAX_PROBES;
	c->nprobes = 0;
	for (i = 0; i < n; i++) {
		if (p[i]->banner) {
			banner = 1;
			continue;
		}
		http = 1;
		c->probes[c->nprobes++] = p[i];
	}
	if (!c->tls && http) {
		const struct rules_probe *q[SCAN_MAX_PROBES];
		size_t m = rules_probes(x->rules, RULES_TLS, 443, q,
		    SCAN_MAX_PROBES);

		if (m > SCAN_MAX_PROBES)
			m = SCAN_MAX_PROBES;
		for (i = 0; i < m && c->nprobes < SCAN_MAX_PROBES; i++) {
			int dup = 0;

			if (q[i]->banner)
				continue;
			for (j = 0; j < (size_t)c->nprobes; j++)
				if (strcmp(c->probes[j]->path,
				    q[i]->path) == 0)
					dup = 1;
			if (!dup)
				c->probes[c->nprobes++] = q[i];
		}
	}
	c->step = (banner || c->nprobes == 0) && !c->tls ? -1 : 0;
	if (c->tls && c->nprobes == 0)
		c->step = -1;
}

/* Binds fd to `src`, port 0 (chosen at connect when the kernel can
 * delay it). Returns 0 or -1. */
static int
conn_bind(int fd, const struct mm_addr *src)
{
	struct sockaddr_in sin;
	struct sockaddr_in6 sin6;
#ifdef IP_BIND_ADDRESS_NO_PORT
	int one = 1;

	(void)setsockopt(fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one,
	    sizeof(one));
#endif
	if (addr_is_v4(src)) {
		memset(&sin, 0, sizeof(sin));
		sin.sin_family = AF_INET;
		sin.sin_addr.s_addr = htonl(addr_v4(src));
		return bind(fd, (struct sockaddr *)&sin, sizeof(sin));
	}
	memset(&sin6, 0, sizeof(sin6));
	sin6.sin6_family = AF_INET6;
	memcpy(&sin6.sin6_addr, src->b, 16);
	return bind(fd, (struct sockaddr *)&sin6, sizeof(sin6));
}

/* Starts a (re)connect; the token has been taken. */
static void
conn_connect(struct scan_conn *c, struct scan_ctx *x)
{
	struct sockaddr_in sin;
	struct sockaddr_in6 sin6;
	struct sockaddr *sa;
	socklen_t salen;
	struct epoll_event ev;
	int fam;

	if (!scope_allows_port(x->scope, &c->addr, c->port)) {
		x->st->scope_refused++;
		c->open = 0;
		conn_finish(c, x);
		return;
	}
	if (x->cfg->have_source &&
	    addr_is_v4(&x->cfg->source) != addr_is_v4(&c->addr)) {
		x->st->source_skipped++;
		c->open = 0;
		conn_finish(c, x);
		return;
	}
	if (addr_is_v4(&c->addr)) {
		memset(&sin, 0, sizeof(sin));
		sin.sin_family = AF_INET;
		sin.sin_port = htons(c->port);
		sin.sin_addr.s_addr = htonl(addr_v4(&c->addr));
		sa = (struct sockaddr *)&sin;
		salen = sizeof(sin);
		fam = AF_INET;
	} else {
		memset(&sin6, 0, sizeof(sin6));
		sin6.sin6_family = AF_INET6;
		sin6.sin6_port = htons(c->port);
		memcpy(&sin6.sin6_addr, c->addr.b, 16);
		sa = (struct sockaddr *)&sin6;
		salen = sizeof(sin6);
		fam = AF_INET6;
	}
	x->st->connects++;
	c->fd = socket(fam, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (c->fd < 0) {
		/* out of descriptors: try again later, bounded */
		if (++c->tries > 1000) {
			obs_error(c, x, "socket: out of descriptors");
			conn_finish(c, x);
		} else
			conn_queue(c, x);
		return;
	}
	if (x->cfg->have_source && conn_bind(c->fd, &x->cfg->source) != 0) {
		obs_error(c, x, "bind: --source address not usable");
		if (c->open)
			conn_next_step(c, x);
		else
			conn_finish(c, x);
		return;
	}
	c->deadline = scan_now_ns() +
	    (int64_t)x->cfg->timeout_ms * 1000000;
	c->phase = PH_CONNECTING;
	if (connect(c->fd, sa, salen) < 0 && errno != EINPROGRESS) {
		if (errno == EAGAIN || errno == EADDRNOTAVAIL) {
			if (++c->tries > 1000) {
				obs_error(c, x, "connect: no local port");
				conn_finish(c, x);
			} else
				conn_queue(c, x);
			return;
		}
		x->st->refused++;
		if (c->open)
			conn_next_step(c, x);
		else
			conn_finish(c, x);
		return;
	}
	memset(&ev, 0, sizeof(ev));
	ev.events = EPOLLIN | EPOLLOUT | EPOLLET | EPOLLRDHUP;
	ev.data.ptr = c;
	if (epoll_ctl(x->ep, EPOLL_CTL_ADD, c->fd, &ev) < 0) {
		obs_error(c, x, "epoll_ctl failed");
		conn_finish(c, x);
	}
}

/* The Host value for c: the address, IPv6 in brackets. */
static void
conn_host(const struct scan_conn *c, char *host, size_t cap)
{
	if (addr_is_v4(&c->addr))
		addr_fmt(&c->addr, host, cap);
	else {
		char a[48];

		addr_fmt(&c->addr, a, sizeof(a));
		snprintf(host, cap, "[%s]", a);
	}
}

/* Prepares the request of the current step into wbuf. Returns 0 or -1. */
static int
conn_request(struct scan_conn *c, struct scan_ctx *x)
{
	char host[64];
	const struct rules_probe *p = c->probes[c->step];
	size_t len;
	const char *ua = x->cfg->user_agent != NULL ?
	    x->cfg->user_agent : "mamori-survey";

	conn_host(c, host, sizeof(host));
	if ((c->wbuf = malloc(RULES_MAX_PAYLOAD + 512)) == NULL)
		return -1;
	if (c->path != NULL) {
		if (http_request_build("GET", host, c->path, ua, NULL, 0,
		    c->wbuf, RULES_MAX_PAYLOAD + 512, &len, NULL) != 0)
			return -1;
	} else if (rules_probe_render(p, host, ua, c->wbuf,
	    RULES_MAX_PAYLOAD + 512, &len) != 0)
		return -1;
	c->wlen = len;
	c->woff = 0;
	return 0;
}

/* The connection is up (and TLS done): begin the step's exchange. */
static void
conn_begin(struct scan_conn *c, struct scan_ctx *x)
{
	int64_t now = scan_now_ns();

	if (c->cr != NULL && c->cr->mode == CM_TELNET) {
		/* a new telnet session of the credential check */
		struct cred_tn *m = &c->cr->tn;

		cred_tn_init(m, NULL, m->next, m->used, m->max);
		c->cr->sessions++;
		c->cr->bytes = 0;
		c->phase = PH_CRED;
		c->deadline = now + (int64_t)x->cfg->timeout_ms * 1000000;
		return;
	}
	if (c->cr != NULL && c->cr->mode == CM_HTTP) {
		char host[64];
		size_t len;
		const char *ua = x->cfg->user_agent != NULL ?
		    x->cfg->user_agent : "mamori-survey";
		size_t cap = 4096 + RULES_PATH_LEN;

		conn_host(c, host, sizeof(host));
		if ((c->wbuf = malloc(cap)) == NULL ||
		    cred_http_request(&c->cr->http, x->cfg->creds, host,
		    c->cr->path, ua, c->wbuf, cap, &len) != 0) {
			cred_end(c, x, 0, 0);
			c->phase = PH_DONE;	/* caller moves on */
			return;
		}
		c->wlen = len;
		c->woff = 0;
		c->phase = PH_WRITE;
		c->deadline = now + (int64_t)x->cfg->timeout_ms * 1000000;
		return;
	}
	if (c->step < 0) {
		c->phase = PH_READ;
		c->deadline = now + (int64_t)x->cfg->banner_ms * 1000000;
		return;
	}
	if (conn_request(c, x) != 0) {
		obs_error(c, x, "probe: request does not render");
		c->phase = PH_DONE;	/* caller moves on */
		return;
	}
	c->phase = PH_WRITE;
	c->deadline = now + (int64_t)x->cfg->timeout_ms * 1000000;
}

static void
obs_banner_text(struct scan_obs *o, const char *s, size_t n)
{
	if (o->banner[0] == '\0')
		scan_excerpt(s, n, o->banner, sizeof(o->banner));
}

/* Sends buf on c (plain or TLS). Returns 0, or -1 on a short write. */
static int
conn_send(struct scan_conn *c, const uint8_t *buf, size_t n)
{
	ssize_t w;

	if (c->ssl != NULL)
		w = SSL_write(c->ssl, buf, (int)n);
	else
		w = send(c->fd, buf, n, MSG_NOSIGNAL);
	return w == (ssize_t)n ? 0 : -1;
}

/* Sends the ol bytes of a credential answer in out (cap bytes), then
 * wipes out. Returns 0, or -1 after ending the check on a short write. */
static int
cred_send(struct scan_conn *c, struct scan_ctx *x, uint8_t *out, size_t cap,
    size_t ol)
{
	int rc = ol > 0 ? conn_send(c, out, ol) : 0;

	explicit_bzero(out, cap);
	if (rc != 0) {
		obs_error(c, x, "credential check: short write");
		cred_done(c, x, 0, 0);
		return -1;
	}
	return 0;
}

/* Starts the telnet check on the banner's connection: the prompt the
 * banner stopped at is answered with the first pair. */
static void
telnet_check_start(struct scan_conn *c, struct scan_ctx *x)
{
	uint8_t out[2 * CRED_FIELD_MAX + 8];
	size_t ol = 0;
	int rc;

	c->nprobes = 0;
	cred_tn_init(&c->cr->tn, c->tn, 0, 0, cred_max(x));
	c->cr->sessions = 1;
	rc = cred_tn_begin(&c->cr->tn, x->cfg->creds, c->tn_ev, out,
	    sizeof(out), &ol);
	if (rc == CRED_DONE) {
		cred_done(c, x, 0, 0);
		return;
	}
	if (cred_send(c, x, out, sizeof(out), ol) != 0)
		return;
	c->phase = PH_CRED;
	c->deadline = scan_now_ns() + (int64_t)x->cfg->timeout_ms * 1000000;
}

/* The telnet session of the check ended (close, reset or timeout):
 * reconnect for the next pair while attempts remain. */
static void
telnet_check_eof(struct scan_conn *c, struct scan_ctx *x)
{
	if (cred_tn_eof(&c->cr->tn, x->cfg->creds) == CRED_NEXT &&
	    c->cr->sessions <= cred_max(x)) {
		c->tries = 0;
		conn_queue(c, x);
		return;
	}
	cred_done(c, x, 0, 0);
}

/* Reads the telnet session of the check until it would block. */
static void
telnet_check_read(struct scan_conn *c, struct scan_ctx *x)
{
	uint8_t in[1024], out[3 * 1024 + 2 * CRED_FIELD_MAX + 8];
	struct mm_diag d;
	size_t ol;
	ssize_t r;
	int rc;

	for (;;) {
		r = recv(c->fd, in, sizeof(in), 0);
		if (r < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return;
			if (errno == EINTR)
				continue;
			telnet_check_eof(c, x);
			return;
		}
		if (r == 0) {
			telnet_check_eof(c, x);
			return;
		}
		c->cr->bytes += (size_t)r;
		if (c->cr->bytes > SCAN_READ_MAX) {
			obs_error(c, x, "credential check: byte cap reached");
			cred_done(c, x, 0, 0);
			return;
		}
		rc = cred_tn_feed(&c->cr->tn, x->cfg->creds, in, (size_t)r,
		    out, sizeof(out), &ol, &d);
		if (rc == CRED_OK) {
			/* a shell prompt: close at once, send nothing */
			cred_done(c, x, 1, c->cr->tn.next);
			return;
		}
		if (rc < 0) {
			obs_error(c, x, d.msg);
			cred_done(c, x, 0, 0);
			return;
		}
		if (cred_send(c, x, out, sizeof(out), ol) != 0)
			return;
		if (rc == CRED_DONE) {
			cred_done(c, x, 0, 0);
			return;
		}
		if (rc == CRED_NEXT)
			c->deadline = scan_now_ns() +
			    (int64_t)x->cfg->timeout_ms * 1000000;
	}
}

/* The response to an HTTP credential attempt is in rbuf. */
static void
http_check_done(struct scan_conn *c, struct scan_ctx *x)
{
	struct http_resp hr;
	size_t used;
	int rc;

	http_resp_init(&hr, NULL, 0);
	rc = http_resp_feed(&hr, c->rbuf, c->rlen, &used, NULL);
	if (rc == HTTP_MORE)
		(void)http_resp_eof(&hr, NULL);
	rc = cred_http_result(&c->cr->http, x->cfg->creds,
	    hr.status != 0 ? &hr : NULL);
	http_resp_free(&hr);
	if (rc == CRED_OK) {
		cred_done(c, x, 1, c->cr->http.next);
		return;
	}
	if (rc == CRED_NEXT) {
		c->tries = 0;
		conn_queue(c, x);
		return;
	}
	cred_done(c, x, 0, 0);
}

/* The fields of the server's KEXINIT (parsed again from rbuf: cheap,
 * and the conn keeps no copy): ssh.hostkey (key types), ssh.hostkey_algs,
 * ssh.kex, ssh.ciphers, ssh.macs, ssh.compression (server to client). */
static void
ssh_kex_fields(struct scan_conn *c)
{
	struct scan_obs *o = c->obs;
	struct sshkex k;
	char types[256];

	if (sshkex_parse(c->rbuf + c->kex_off, c->rlen - c->kex_off, &k, NULL,
	    NULL) != SSHKEX_DONE)
		return;
	sshkex_key_types(k.list[SSHKEX_HOSTKEY], k.len[SSHKEX_HOSTKEY],
	    types, sizeof(types));
	obs_add(o, "ssh.hostkey", 0, types, strlen(types));
	obs_add(o, "ssh.hostkey_algs", 0, k.list[SSHKEX_HOSTKEY],
	    k.len[SSHKEX_HOSTKEY]);
	obs_add(o, "ssh.kex", 0, k.list[SSHKEX_KEX], k.len[SSHKEX_KEX]);
	obs_add(o, "ssh.ciphers", 0, k.list[SSHKEX_ENC_SC],
	    k.len[SSHKEX_ENC_SC]);
	obs_add(o, "ssh.macs", 0, k.list[SSHKEX_MAC_SC], k.len[SSHKEX_MAC_SC]);
	obs_add(o, "ssh.compression", 0, k.list[SSHKEX_COMP_SC],
	    k.len[SSHKEX_COMP_SC]);
}

/* The banner step ended (prompt, SSH line, cap, EOF or timeout). */
static void
banner_done(struct scan_conn *c, struct scan_ctx *x)
{
	struct scan_obs *o = c->obs;

	if (c->bmode == BM_SSH && c->sb != NULL && c->sb->done) {
		snprintf(o->service, sizeof(o->service), "ssh");
		obs_add(o, "banner", 0, c->sb->line, strlen(c->sb->line));
		obs_add(o, "ssh.banner", 0, c->sb->line, strlen(c->sb->line));
		obs_banner_text(o, c->sb->line, strlen(c->sb->line));
		if (c->kex_done)
			ssh_kex_fields(c);
		else if (o->error[0] == '\0' &&
		    (strcmp(c->sb->proto, "2.0") == 0 ||
		    strcmp(c->sb->proto, "1.99") == 0))
			obs_error(c, x, "ssh: closed before its KEXINIT");
		if (x->ssh != NULL && cred_begin(c, x, CM_SSH, "ssh") == 0) {
			/* the attempts run in the pool, each on a new
			 * connection that pays a token (feed_targets) */
			c->nprobes = 0;
			conn_close_fd(c, x);
			c->phase = PH_SSHQ;
			c->qnext = NULL;
			if (x->sshq_tail != NULL)
				x->sshq_tail->qnext = c;
			else
				x->sshq_head = c;
			x->sshq_tail = c;
			return;
		}
	} else if (c->bmode == BM_TELNET && c->tn != NULL) {
		size_t tl;
		const char *t = telnet_text(c->tn, &tl);

		snprintf(o->service, sizeof(o->service), "telnet");
		obs_add(o, "banner", 0, t, tl);
		if (o->telnet_login)
			obs_add(o, "telnet.prompt", 0, t, tl);
		obs_banner_text(o, t, tl);
		/* the opt-in credential check, on this connection */
		if (o->telnet_login && c->fd >= 0 &&
		    cred_begin(c, x, CM_TELNET, "telnet") == 0) {
			telnet_check_start(c, x);
			return;
		}
	} else if (c->rlen > 0) {
		obs_add(o, "banner", 0, (const char *)c->rbuf, c->rlen);
		obs_banner_text(o, (const char *)c->rbuf, c->rlen);
		if (c->rlen >= 5 && memcmp(c->rbuf, "HTTP/", 5) == 0)
			snprintf(o->service, sizeof(o->service), "http");
	}
	/* a talking service needs no request probes */
	if (c->rlen > 0 || c->bmode != BM_RAW)
		c->nprobes = 0;
	conn_next_step(c, x);
}

/* Parses the HTTP response in rbuf into fields; follows a redirect.
 * Returns 1 when the same step is re-queued for a redirect, 2 when the
 * credential check begins on it. */
static int
http_done(struct scan_conn *c, struct scan_ctx *x)
{
	struct scan_obs *o = c->obs;
	struct http_resp hr;
	struct mm_diag d;
	const char *path = c->path != NULL ? c->path :
	    c->probes[c->step]->path;
	char num[16], title[256], name[RULES_NAME_LEN + 80];
	const char *hn, *hv, *loc;
	size_t i, used;
	int rc, again = 0;

	http_resp_init(&hr, NULL, 0);
	rc = http_resp_feed(&hr, c->rbuf, c->rlen, &used, &d);
	if (rc == HTTP_MORE)
		rc = http_resp_eof(&hr, &d);
	if (hr.status == 0 || !http_resp_headers_done(&hr)) {
		if (c->rlen > 0) {
			obs_add(o, "banner", 0, (const char *)c->rbuf,
			    c->rlen > SCAN_BANNER_MAX ? SCAN_BANNER_MAX :
			    c->rlen);
			obs_banner_text(o, (const char *)c->rbuf, c->rlen);
		}
		if (rc < 0)
			obs_error(c, x, d.msg);
		goto out;
	}
	if (rc < 0)
		obs_error(c, x, d.msg);
	snprintf(o->service, sizeof(o->service), c->tls ? "https" : "http");
	snprintf(num, sizeof(num), "%d", hr.status);
	obs_add(o, "status", 0, num, strlen(num));
	if (o->banner[0] == '\0') {
		char line[SCAN_EXCERPT + 1];
		const char *srv = http_resp_header(&hr, "server", NULL);

		snprintf(line, sizeof(line), "HTTP %d%s%s", hr.status,
		    srv != NULL ? " Server: " : "", srv != NULL ? srv : "");
		obs_banner_text(o, line, strlen(line));
	}
	for (i = 0; i < hr.nhdrs; i++) {
		size_t k;

		if (http_resp_header_at(&hr, i, &hn, &hv) != 0)
			continue;
		snprintf(name, sizeof(name), "header:%s", hn);
		for (k = 0; name[k] != '\0'; k++)
			if (name[k] >= 'A' && name[k] <= 'Z')
				name[k] = (char)(name[k] - 'A' + 'a');
		obs_add(o, name, 1, hv, strlen(hv));
	}
	if (hr.body_len > 0) {
		obs_add(o, "body", 0, (const char *)hr.body, hr.body_len);
		if (http_title(hr.body, hr.body_len, title, sizeof(title)) == 0)
			obs_add(o, "title", 0, title, strlen(title));
		if (hr.status == 200 && strcmp(path, "/favicon.ico") == 0 &&
		    !o->have_fav) {
			o->have_fav = 1;
			o->fav = rules_favicon_hash(hr.body, hr.body_len);
		}
		if (!o->have_gzip && hr.body_len >= 2 && hr.body[0] == 0x1f &&
		    hr.body[1] == 0x8b &&
		    rules_gzip_mtime(hr.body, hr.body_len,
		    &o->gzip_mtime) == 0) {
			o->have_gzip = 1;
			snprintf(o->gzip_path, sizeof(o->gzip_path), "%s",
			    path);
		}
	}
	/* bounded redirects within the same host:port (and scheme) */
	if (hr.status >= 300 && hr.status < 400 &&
	    c->redirects < SCAN_MAX_REDIRECTS &&
	    (loc = http_resp_header(&hr, "location", NULL)) != NULL) {
		char base[RULES_PATH_LEN + 96], abs[1024], host[96], a[64];
		char npath[RULES_PATH_LEN];
		uint16_t port;
		int https;

		addr_fmt(&c->addr, a, sizeof(a));
		snprintf(base, sizeof(base), "%s://%s%s%s:%u%s",
		    c->tls ? "https" : "http", addr_is_v4(&c->addr) ? "" : "[",
		    a, addr_is_v4(&c->addr) ? "" : "]", c->port, path);
		if (http_location_resolve(base, loc, abs, sizeof(abs),
		    NULL) == 0 &&
		    http_url_split(abs, &https, host, sizeof(host), &port,
		    npath, sizeof(npath)) == 0 &&
		    https == c->tls && port == c->port &&
		    strcmp(host, a) == 0 && strcmp(npath, path) != 0) {
			char *np = strdup(npath);

			if (np != NULL) {
				free(c->path);
				c->path = np;
				c->redirects++;
				again = 1;
			}
		} else if (c->redirects >= SCAN_MAX_REDIRECTS)
			obs_error(c, x, "http: redirect limit");
	} else if (hr.status >= 300 && hr.status < 400 &&
	    c->redirects >= SCAN_MAX_REDIRECTS)
		obs_error(c, x, "http: redirect limit reached");
	/* the opt-in credential check: a Basic or Digest challenge */
	if (hr.status == 401 && x->cfg->creds != NULL &&
	    !o->cred_checked) {
		struct cred_http ch;

		if (cred_http_start(&ch, &hr, cred_max(x),
		    (uint32_t)scan_now_ns()) &&
		    cred_begin(c, x, CM_HTTP, c->tls ? "https" : "http") == 0) {
			c->cr->http = ch;
			if ((c->cr->path = strdup(path)) == NULL)
				cred_end(c, x, 0, 0);
			else
				again = 2;
		}
	}
out:
	http_resp_free(&hr);
	return again;
}

static void
exchange_done(struct scan_conn *c, struct scan_ctx *x)
{
	if (c->cr != NULL && c->cr->mode == CM_HTTP && c->cr->path != NULL &&
	    c->wbuf != NULL) {
		http_check_done(c, x);
		return;
	}
	if (c->step < 0) {
		banner_done(c, x);
		return;
	}
	if (http_done(c, x)) {
		c->tries = 0;
		conn_queue(c, x);
		return;
	}
	conn_next_step(c, x);
}

/* RFC 4253 4.2: our identification string, so that the server goes on
 * to its KEXINIT; the comment carries the attributable user agent. We
 * send no KEXINIT and close after reading the server's. */
static int
ssh_ident_send(struct scan_conn *c, struct scan_ctx *x)
{
	char line[SSHB_LINE_MAX + 1];
	const char *ua = x->cfg->user_agent != NULL ? x->cfg->user_agent : "";
	size_t n, i;

	n = (size_t)snprintf(line, sizeof(line) - 2, "SSH-2.0-mamori_survey%s"
	    "%.200s", *ua != '\0' ? " " : "", ua);
	if (n > sizeof(line) - 3)
		n = sizeof(line) - 3;
	for (i = 0; i < n; i++)
		if ((unsigned char)line[i] < 0x20 ||
		    (unsigned char)line[i] > 0x7e)
			line[i] = '_';
	line[n++] = '\r';
	line[n++] = '\n';
	return conn_send(c, (const uint8_t *)line, n);
}

/* Reads the server's KEXINIT from rbuf[kex_off..rlen). Returns 1 when
 * the banner step is over (KEXINIT whole, bad or over the cap). */
static int
ssh_kex_feed(struct scan_conn *c, struct scan_ctx *x)
{
	struct sshkex k;
	struct mm_diag d;
	size_t need = 0;
	int rc;

	rc = sshkex_parse(c->rbuf + c->kex_off, c->rlen - c->kex_off, &k,
	    &need, &d);
	if (rc < 0) {
		obs_error(c, x, d.msg);
		return 1;
	}
	if (rc == SSHKEX_DONE) {
		c->kex_done = 1;
		return 1;
	}
	if (need > SCAN_BANNER_MAX - c->kex_off) {
		char msg[96];

		snprintf(msg, sizeof(msg), "ssh: KEXINIT packet of %zu bytes "
		    "over the banner cap", need);
		obs_error(c, x, msg);
		return 1;
	}
	return 0;
}

/* Feeds banner bytes to the SSH or telnet machine. Returns 1 when the
 * banner is complete. */
static int
banner_feed(struct scan_conn *c, struct scan_ctx *x, const uint8_t *in,
    size_t n)
{
	struct mm_diag d;
	int rc;

	if (c->bmode == BM_RAW && c->rlen == n) {
		if (n >= 4 && memcmp(in, "SSH-", 4) == 0)
			c->bmode = BM_SSH;
		else if (in[0] == TELNET_IAC || c->port == 23 ||
		    c->port == 2323)
			c->bmode = BM_TELNET;
	}
	if (c->bmode == BM_SSH) {
		if (c->sb == NULL) {
			if ((c->sb = malloc(sizeof(*c->sb))) == NULL)
				return 1;
			sshbanner_init(c->sb, SCAN_BANNER_MAX);
		}
		if (!c->sb->done) {
			size_t used = 0;

			rc = sshbanner_feed(c->sb, in, n, &used, &d);
			if (rc < 0) {
				obs_error(c, x, d.msg);
				c->bmode = BM_RAW;
				return 1;
			}
			if (rc != SSHB_DONE)
				return 0;
			c->kex_off = c->rlen - n + used;
			/* SSH-1 only: no KEXINIT to wait for */
			if (strcmp(c->sb->proto, "2.0") != 0 &&
			    strcmp(c->sb->proto, "1.99") != 0)
				return 1;
			if (ssh_ident_send(c, x) != 0) {
				obs_error(c, x, "ssh: identification string "
				    "not sent");
				return 1;
			}
		}
		return ssh_kex_feed(c, x);
	}
	if (c->bmode == BM_TELNET) {
		uint8_t reply[3 * 512];
		size_t rl = 0, off = 0;

		if (c->tn == NULL) {
			if ((c->tn = malloc(sizeof(*c->tn))) == NULL)
				return 1;
			telnet_init(c->tn, 0, 0, 0);
		}
		while (off < n) {
			size_t k = n - off > 512 ? 512 : n - off;

			rc = telnet_feed(c->tn, in + off, k, reply,
			    sizeof(reply), &rl, &d);
			off += k;
			if (rc < 0) {
				obs_error(c, x, d.msg);
				return 1;
			}
			if (rl > 0) {
				ssize_t w;

				/* small replies; a short write drops them */
				if (c->ssl != NULL)
					w = SSL_write(c->ssl, reply, (int)rl);
				else
					w = send(c->fd, reply, rl,
					    MSG_NOSIGNAL);
				(void)w;
			}
			if (rc & (TELNET_EV_LOGIN | TELNET_EV_PASSWORD)) {
				c->obs->telnet_login = 1;
				c->tn_ev = rc;
				return 1;
			}
		}
	}
	return 0;
}

/* Reads what is available. Returns 1 when the exchange is complete, 0 to
 * wait, -1 on a connection error. */
static int
conn_read(struct scan_conn *c, struct scan_ctx *x)
{
	size_t cap = c->step < 0 ? SCAN_BANNER_MAX : SCAN_READ_MAX;
	int n;

	for (;;) {
		if (c->rlen >= cap) {
			obs_error(c, x, c->step < 0 ?
			    "banner: byte cap reached" :
			    "response: byte cap reached");
			return 1;
		}
		if (c->rlen == c->rcap) {
			size_t nc = c->rcap == 0 ? 1024 : c->rcap * 2;
			uint8_t *nb;

			if (nc > cap)
				nc = cap;
			if ((nb = realloc(c->rbuf, nc)) == NULL)
				return -1;
			c->rbuf = nb;
			c->rcap = nc;
		}
		if (c->ssl != NULL) {
			ERR_clear_error();
			n = SSL_read(c->ssl, c->rbuf + c->rlen,
			    (int)(c->rcap - c->rlen));
			if (n <= 0) {
				int e = SSL_get_error(c->ssl, n);

				if (e == SSL_ERROR_WANT_READ ||
				    e == SSL_ERROR_WANT_WRITE)
					return 0;
				if (e == SSL_ERROR_ZERO_RETURN)
					return 1;
				return c->rlen > 0 ? 1 : -1;
			}
		} else {
			ssize_t r = recv(c->fd, c->rbuf + c->rlen,
			    c->rcap - c->rlen, 0);

			if (r < 0) {
				if (errno == EAGAIN || errno == EWOULDBLOCK)
					return 0;
				if (errno == EINTR)
					continue;
				return c->rlen > 0 ? 1 : -1;
			}
			if (r == 0)
				return 1;
			n = (int)r;
		}
		c->rlen += (size_t)n;
		if (c->step < 0 && banner_feed(c, x, c->rbuf + c->rlen -
		    (size_t)n, (size_t)n))
			return 1;
	}
}

static void
tls_cert(struct scan_conn *c)
{
	X509 *cert;
	struct tlsinfo *ti;
	char v[64];

	if (c->obs->have_cert || (cert = SSL_get0_peer_certificate(c->ssl))
	    == NULL)
		return;
	if ((ti = malloc(sizeof(*ti))) == NULL)
		return;
	if (tlsinfo_from_x509(cert, ti, NULL) == 0) {
		c->obs->have_cert = 1;
		obs_add(c->obs, "cert.subject", 0, ti->subject,
		    strlen(ti->subject));
		obs_add(c->obs, "cert.issuer", 0, ti->issuer,
		    strlen(ti->issuer));
		mtime_fmt(ti->not_before, 0, v, sizeof(v));
		obs_add(c->obs, "cert.not_before", 0, v, strlen(v));
		mtime_fmt(ti->not_after, 0, v, sizeof(v));
		obs_add(c->obs, "cert.not_after", 0, v, strlen(v));
		obs_add(c->obs, "cert.sha256", 0, ti->sha256_hex,
		    strlen(ti->sha256_hex));
		snprintf(v, sizeof(v), "%s %d", ti->key_type, ti->key_bits);
		obs_add(c->obs, "cert.key", 0, v, strlen(v));
		obs_add(c->obs, "cert.self_signed", 0, ti->self_signed ?
		    "yes" : "no", ti->self_signed ? 3 : 2);
	}
	free(ti);
}

/* Drives the state machine until it would block. Returns 0. */
static int
conn_drive(struct scan_conn *c, struct scan_ctx *x)
{
	int rc;

	for (;;) {
		switch (c->phase) {
		case PH_CONNECTING: {
			int err = 0;
			socklen_t el = sizeof(err);

			if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err,
			    &el) < 0)
				err = errno;
			if (err == EINPROGRESS || err == EALREADY)
				return 0;
			if (err == ECONNRESET && !c->open) {
				/* accepted, then reset: the port is open */
				c->open = 1;
				c->t0_ms = wall_ms();
				x->st->open++;
				if ((c->obs = calloc(1, sizeof(*c->obs))) !=
				    NULL)
					obs_error(c, x, "connection reset");
				conn_finish(c, x);
				return 0;
			}
			if (err != 0) {
				x->st->refused++;
				if (c->open) {
					obs_error(c, x, "reconnect refused");
					conn_next_step(c, x);
				} else
					conn_finish(c, x);
				return 0;
			}
			{
				/* connected? a zero SO_ERROR before the
				 * handshake ends means not yet */
				struct sockaddr_storage ss;
				socklen_t sl = sizeof(ss);

				if (getpeername(c->fd, (struct sockaddr *)&ss,
				    &sl) < 0)
					return 0;
			}
			if (!c->open) {
				c->open = 1;
				c->t0_ms = wall_ms();
				x->st->open++;
				if ((c->obs = calloc(1, sizeof(*c->obs)))
				    == NULL) {
					conn_finish(c, x);
					return 0;
				}
				conn_plan(c, x);
			}
			if (c->tls) {
				if ((c->ssl = SSL_new(x->sslctx)) == NULL ||
				    SSL_set_fd(c->ssl, c->fd) != 1) {
					obs_error(c, x, "tls: SSL_new failed");
					conn_next_step(c, x);
					return 0;
				}
				SSL_set_connect_state(c->ssl);
				c->phase = PH_TLS;
				c->deadline = scan_now_ns() +
				    (int64_t)x->cfg->timeout_ms * 1000000;
				break;
			}
			conn_begin(c, x);
			if (c->phase == PH_DONE) {
				conn_next_step(c, x);
				return 0;
			}
			break;
		}
		case PH_TLS:
			ERR_clear_error();
			rc = SSL_do_handshake(c->ssl);
			if (rc != 1) {
				int e = SSL_get_error(c->ssl, rc);

				if (e == SSL_ERROR_WANT_READ ||
				    e == SSL_ERROR_WANT_WRITE)
					return 0;
				obs_error(c, x, "tls: handshake failed");
				if (c->obs->service[0] == '\0')
					snprintf(c->obs->service,
					    sizeof(c->obs->service), "tls");
				/* a TLS error ends the target */
				c->nprobes = 0;
				conn_next_step(c, x);
				return 0;
			}
			if (c->obs->service[0] == '\0')
				snprintf(c->obs->service,
				    sizeof(c->obs->service), "tls");
			tls_cert(c);
			conn_begin(c, x);
			if (c->phase == PH_DONE) {
				conn_next_step(c, x);
				return 0;
			}
			break;
		case PH_WRITE:
			while (c->woff < c->wlen) {
				ssize_t w;

				if (c->ssl != NULL) {
					ERR_clear_error();
					w = SSL_write(c->ssl, c->wbuf + c->woff,
					    (int)(c->wlen - c->woff));
					if (w <= 0) {
						int e = SSL_get_error(c->ssl,
						    (int)w);

						if (e == SSL_ERROR_WANT_READ ||
						    e == SSL_ERROR_WANT_WRITE)
							return 0;
						obs_error(c, x,
						    "tls: write failed");
						conn_next_step(c, x);
						return 0;
					}
				} else {
					w = send(c->fd, c->wbuf + c->woff,
					    c->wlen - c->woff, MSG_NOSIGNAL);
					if (w < 0) {
						if (errno == EAGAIN ||
						    errno == EWOULDBLOCK)
							return 0;
						obs_error(c, x,
						    "write failed");
						conn_next_step(c, x);
						return 0;
					}
				}
				c->woff += (size_t)w;
			}
			c->phase = PH_READ;
			break;
		case PH_READ:
			rc = conn_read(c, x);
			if (rc == 0)
				return 0;
			if (rc < 0)
				obs_error(c, x, "connection reset");
			exchange_done(c, x);
			return 0;
		case PH_CRED:
			telnet_check_read(c, x);
			return 0;
		default:
			return 0;
		}
	}
}

static void
conn_timeout(struct scan_conn *c, struct scan_ctx *x)
{
	switch (c->phase) {
	case PH_CONNECTING:
		if (!c->open) {
			x->st->conn_timeouts++;
			if (c->tries < x->cfg->retries) {
				c->tries++;
				conn_queue(c, x);
			} else
				conn_finish(c, x);
		} else {
			obs_error(c, x, "reconnect timeout");
			conn_next_step(c, x);
		}
		break;
	case PH_READ:
		if (c->step >= 0)
			obs_error(c, x, "read timeout");
		else if (c->bmode == BM_SSH && c->sb != NULL &&
		    c->sb->done && !c->kex_done)
			obs_error(c, x, "ssh: no KEXINIT before the timeout");
		else if (c->rlen > 0)
			obs_error(c, x, "banner: timeout before a prompt");
		exchange_done(c, x);
		break;
	case PH_TLS:
		obs_error(c, x, "tls: handshake timeout");
		c->nprobes = 0;
		conn_next_step(c, x);
		break;
	case PH_WRITE:
		obs_error(c, x, "write timeout");
		conn_next_step(c, x);
		break;
	case PH_CRED:
		if (c->cr->tn.st == CTN_LOGIN)	/* no prompt: give up */
			cred_done(c, x, 0, 0);
		else
			telnet_check_eof(c, x);
		break;
	default:
		break;
	}
}

/* Starts queued reconnects and new targets while tokens and slots last.
 * Returns 1 if it stopped for lack of a token. */
static int
feed_targets(struct scan_ctx *x, int64_t now)
{
	struct scan_conn *c;
	uint64_t idx;

	/* SSH attempts of the credential check, while the pool has room */
	while (x->sshq_head != NULL && credssh_room(x->ssh) > 0) {
		struct scan_cred *cr;

		if (!scan_bucket_take(&x->bucket, now))
			return 1;
		c = x->sshq_head;
		x->sshq_head = c->qnext;
		if (x->sshq_head == NULL)
			x->sshq_tail = NULL;
		c->qnext = NULL;
		cr = c->cr;
		if (cr == NULL || cr->used >= cred_max(x) ||
		    cr->next >= x->cfg->creds->n) {
			cred_done(c, x, 0, 0);
			continue;
		}
		if (!scope_allows_port(x->scope, &c->addr, c->port)) {
			x->st->scope_refused++;
			cred_done(c, x, 0, 0);
			continue;
		}
		if (credssh_submit(x->ssh, c, &c->addr, c->port, cr->next)
		    != 0) {
			cred_done(c, x, 0, 0);
			continue;
		}
		x->st->connects++;
		cr->used++;
		c->phase = PH_SSH;
	}
	while (x->qhead != NULL) {
		if (!scan_bucket_take(&x->bucket, now))
			return 1;
		c = x->qhead;
		x->qhead = c->qnext;
		if (x->qhead == NULL)
			x->qtail = NULL;
		c->qnext = NULL;
		/* may free c; epoll reports a socket already connected */
		conn_connect(c, x);
	}
	while (!x->perm_done && x->nslots < x->cfg->max_concurrent) {
		struct mm_addr a;
		uint16_t port;

		if (!scan_bucket_take(&x->bucket, now))
			return 1;
		if (!perm_next(x->perm, &idx)) {
			x->perm_done = 1;
			/* give back the token */
			x->bucket.tokens += 1.0;
			break;
		}
		if (scope_target(x->scope, idx, &a, &port) != 0) {
			x->st->done++;
			continue;
		}
		if ((c = calloc(1, sizeof(*c))) == NULL)
			return 0;
		c->addr = a;
		c->port = port;
		c->fd = -1;
		c->slot = x->nslots;
		x->slots[x->nslots++] = c;
		if (x->nslots > x->st->inflight_max)
			x->st->inflight_max = x->nslots;
		conn_connect(c, x);
		/* the conn may already be freed (refused at once) */
	}
	return 0;
}

/* Takes the results of finished SSH attempts. */
static void
ssh_collect(struct scan_ctx *x)
{
	struct credssh_done done[CREDSSH_MAX_JOBS];
	size_t n, i;

	n = credssh_collect(x->ssh, done, CREDSSH_MAX_JOBS);
	for (i = 0; i < n; i++) {
		struct scan_conn *c = done[i].owner;

		if (c == NULL || c->phase != PH_SSH || c->cr == NULL)
			continue;
		switch (done[i].res) {
		case CREDSSH_OK:
			cred_done(c, x, 1, done[i].pair);
			break;
		case CREDSSH_DENIED:
			c->cr->next = done[i].pair + 1;
			if (c->cr->used >= cred_max(x) ||
			    c->cr->next >= x->cfg->creds->n) {
				cred_done(c, x, 0, 0);
				break;
			}
			c->phase = PH_SSHQ;
			c->qnext = NULL;
			if (x->sshq_tail != NULL)
				x->sshq_tail->qnext = c;
			else
				x->sshq_head = c;
			x->sshq_tail = c;
			break;
		default:
			obs_error(c, x, done[i].error);
			cred_done(c, x, 0, 0);
			break;
		}
	}
}

int
scan_run(const struct scan_cfg *cfg, const struct scope *scope,
    struct perm *perm, const struct rules *rules, scan_result_cb cb,
    scan_progress_cb progress, void *arg, volatile int *stop,
    struct scan_stats *st, struct mm_diag *d)
{
	struct scan_ctx x;
	struct epoll_event evs[1024];
	int64_t now, last_sweep, last_prog, prog_ns;
	int rc = 0, n, i, starved;
	size_t k;

	memset(&x, 0, sizeof(x));
	memset(st, 0, sizeof(*st));
	x.cfg = cfg;
	x.scope = scope;
	x.rules = rules;
	x.perm = perm;
	x.cb = cb;
	x.arg = arg;
	x.st = st;
	x.ep = -1;
	st->total = perm->npos > perm->pos ? perm->n : 0;
	if (perm->shard_n > 1)
		st->total = perm->n / perm->shard_n;
	if (cfg->max_concurrent == 0)
		return mm_diag_set(d, MM_EINVAL, "scan: max-concurrent 0");
	if ((x.slots = calloc(cfg->max_concurrent, sizeof(*x.slots))) ==
	    NULL)
		return mm_diag_set(d, MM_ENOMEM, "scan: slot table");
	if ((x.ep = epoll_create1(EPOLL_CLOEXEC)) < 0) {
		rc = mm_diag_set(d, MM_EIO, "scan: epoll_create1: %s",
		    strerror(errno));
		goto out;
	}
	if ((x.sslctx = SSL_CTX_new(TLS_client_method())) == NULL) {
		rc = mm_diag_set(d, MM_EIO, "scan: SSL_CTX_new failed");
		goto out;
	}
	SSL_CTX_set_verify(x.sslctx, SSL_VERIFY_NONE, NULL);
	SSL_CTX_set_security_level(x.sslctx, 0);
	if (cfg->creds != NULL) {
		struct epoll_event ev;
		char src[ADDR_STRLEN];
		unsigned nw = cfg->ssh_workers ? cfg->ssh_workers : 4;

		if (nw > CREDSSH_MAX_THREADS)
			nw = CREDSSH_MAX_THREADS;
		if (cfg->have_source)
			addr_fmt(&cfg->source, src, sizeof(src));
		if ((rc = credssh_new(&x.ssh, nw, 2 * nw, cfg->creds,
		    cfg->timeout_ms, cfg->have_source ? src : NULL, d)) != 0)
			goto out;
		memset(&ev, 0, sizeof(ev));
		ev.events = EPOLLIN;
		ev.data.ptr = &ssh_marker;
		if (epoll_ctl(x.ep, EPOLL_CTL_ADD, credssh_fd(x.ssh), &ev)
		    < 0) {
			rc = mm_diag_set(d, MM_EIO, "scan: epoll_ctl: %s",
			    strerror(errno));
			goto out;
		}
	}
	now = scan_now_ns();
	st->start_ns = now;
	scan_bucket_init(&x.bucket, cfg->rate, cfg->rate > 0 ?
	    cfg->rate / 20.0 : 1.0, now);
	last_sweep = last_prog = now;
	prog_ns = (int64_t)(cfg->progress_ms ? cfg->progress_ms : 500) *
	    1000000;
	for (;;) {
		now = scan_now_ns();
		if (stop != NULL && *stop)
			x.perm_done = 1;
		starved = feed_targets(&x, now);
		if (x.nslots == 0 && x.qhead == NULL && x.perm_done)
			break;
		n = epoll_wait(x.ep, evs, 1024, starved ? 1 : SCAN_SWEEP_MS);
		if (n < 0 && errno != EINTR) {
			rc = mm_diag_set(d, MM_EIO, "scan: epoll_wait: %s",
			    strerror(errno));
			goto out;
		}
		for (i = 0; i < n; i++) {
			struct scan_conn *c = evs[i].data.ptr;

			if (evs[i].data.ptr == (void *)&ssh_marker) {
				ssh_collect(&x);
				continue;
			}

			/* a conn finished earlier in this batch was freed
			 * only if it was this one; fds are unique */
			conn_drive(c, &x);
		}
		now = scan_now_ns();
		if (now - last_sweep >= (int64_t)SCAN_SWEEP_MS * 1000000) {
			last_sweep = now;
			for (k = 0; k < x.nslots; ) {
				struct scan_conn *c = x.slots[k];

				if (c->phase != PH_QUEUED &&
				    c->phase != PH_DONE &&
				    c->phase != PH_SSHQ &&
				    c->phase != PH_SSH && c->deadline < now) {
					size_t before = x.nslots;

					conn_timeout(c, &x);
					if (x.nslots < before)
						continue; /* slot k refilled */
				}
				k++;
			}
		}
		if (progress != NULL && now - last_prog >= prog_ns) {
			last_prog = now;
			st->now_ns = now;
			st->inflight = x.nslots;
			progress(st, arg);
		}
	}
out:
	st->now_ns = scan_now_ns();
	st->inflight = 0;
	/* joins the workers: none refers to a conn after this */
	credssh_free(x.ssh);
	while (x.nslots > 0) {
		struct scan_conn *c = x.slots[x.nslots - 1];

		c->open = 0;
		conn_finish(c, &x);
	}
	if (x.sslctx != NULL)
		SSL_CTX_free(x.sslctx);
	if (x.ep >= 0)
		close(x.ep);
	free(x.slots);
	return rc;
}
