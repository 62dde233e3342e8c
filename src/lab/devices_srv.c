/*
 * devices_srv.c - the lab device fleet's server: one process, one epoll
 * loop, non-blocking sockets, one listening socket per planned (address,
 * port) inside 127.0.0.0/8.
 *
 * Every exchange is bounded: a connection owns a 2 KiB input buffer and a
 * 4 KiB output buffer (fixed, so memory is O(max connections)); requests
 * that do not fit are answered with an error and closed; idle connections
 * close after idle_ms and every connection after life_ms, so even the
 * hostile "endless" services end. The number of connections is capped by
 * RLIMIT_NOFILE (soft limit raised to the hard limit at start) less the
 * listeners; at the cap the listeners leave the epoll interest set
 * (accept backpressure: clients wait in the kernel backlog) and return
 * when a connection closes. Timers (idle, life, the 1 byte/s drip) are a
 * linear scan every 100 ms: O(connections) per tick, fine at the lab's
 * scale of thousands.
 *
 * SSH services with a password login are not served here but by the
 * libssh threads of devices_ssh.c; they count their accepts and logins
 * through devsrv_count_accept/devsrv_count_login, so the counters (and
 * the first/last accept times of the counts file) are under a mutex.
 *
 * VPN portals reveal their versions the way the real products do
 * (devices.c lists the sources): Pulse's nc_gina_ver.txt, the gzip MTIME
 * of Citrix's rdx_en.json.gz, the hex time ending GlobalProtect's
 * login.esp ETag, the build hash in FortiOS 7.x's login page, the
 * firmware in the SMA 100 welcome page's asset names. FortiGate 5.x/6.x
 * send an ETag of the real shape whose times are the lab's stand-ins (no
 * public table maps them to versions).
 *
 * Input is only looked at through core/cursor.h. Telnet logins compare
 * against the device's default credential and, on success, show a prompt
 * and close on the next input: nothing a client sends is ever run.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <pthread.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

#include "core/cursor.h"
#include "lab/devices.h"

#define IN_MAX		2048
#define OUT_MAX		4096
#define LINE_MAX_	128
#define TICK_MS		100
#define MAX_FAILS	3

#define TAG_CONN	((uint64_t)1 << 32)

enum tel_state { TS_LOGIN, TS_PASS, TS_SHELL };
enum iac_state { IS_DATA, IS_IAC, IS_OPT, IS_SB, IS_SBIAC };

struct conn {
	int		 fd;
	uint32_t	 slot;
	size_t		 svc;		/* index into plan->svc */
	const struct dev_svctpl *t;
	int64_t		 t_start, t_last, t_drip;
	uint32_t	 events;	/* current epoll mask */
	int		 closing;	/* 1: shut down after flush */
	int		 shut;		/* write side shut down */
	int		 endless;	/* refill `out` when empty */
	SSL		*ssl;		/* TLS services, else NULL */
	int		 hs_done;	/* TLS handshake finished */
	int		 ssl_wantw;	/* TLS needs the socket writable */
	uint64_t	 gen;		/* endless generator counter */
	int		 kex_sent;	/* SSH: KEXINIT sent */
	/* telnet */
	enum tel_state	 ts;
	enum iac_state	 is;
	int		 last_cr;
	int		 fails;
	char		 line[LINE_MAX_];
	size_t		 linelen;
	char		 user[LINE_MAX_];
	/* buffers */
	uint8_t		 in[IN_MAX];
	size_t		 inlen;
	uint8_t		 out[OUT_MAX];
	size_t		 outlen, outoff;
};

struct lsn {
	int		 fd;
	size_t		 svc;
	size_t		 dev;
};

struct devsrv {
	const struct dev_plan	*plan;
	struct devsrv_conf	 conf;
	int			 ep;
	struct lsn		*lsn;
	size_t			 nlsn;
	struct conn		**conns;	/* [max_conns] */
	uint32_t		*freeslots;
	size_t			 nfree;
	size_t			 nconns;
	int			 paused;
	pthread_mutex_t		 cmu;		/* count, cnt, first/last */
	uint64_t		*count;		/* per device */
	int64_t			 first_ms, last_ms;	/* Unix ms, 0: none */
	SSL_CTX			**tctx;		/* per template, TLS only */
	size_t			 ntctx;
	struct devsrv_counters	 cnt;
};

static int64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int64_t
unix_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void
devsrv_count_accept(struct devsrv *s, size_t dev)
{
	int64_t t = unix_ms();

	pthread_mutex_lock(&s->cmu);
	s->cnt.accepted++;
	if (dev < s->plan->ndev)
		s->count[dev]++;
	if (s->first_ms == 0)
		s->first_ms = t;
	if (t > s->last_ms)
		s->last_ms = t;
	pthread_mutex_unlock(&s->cmu);
}

void
devsrv_count_login(struct devsrv *s, int ok)
{
	pthread_mutex_lock(&s->cmu);
	if (ok)
		s->cnt.logins_ok++;
	else
		s->cnt.logins_bad++;
	pthread_mutex_unlock(&s->cmu);
}

static void
raise_nofile(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		(void)setrlimit(RLIMIT_NOFILE, &rl);
	}
}

static void
fmt_addr(uint32_t a, char *buf, size_t len)
{
	snprintf(buf, len, "%u.%u.%u.%u", (unsigned)(a >> 24),
	    (unsigned)((a >> 16) & 0xff), (unsigned)((a >> 8) & 0xff),
	    (unsigned)(a & 0xff));
}

size_t
devsrv_nlisten(const struct devsrv *s)
{
	return s->nlsn;
}

void
devsrv_counters(const struct devsrv *s, struct devsrv_counters *c)
{
	pthread_mutex_lock((pthread_mutex_t *)&s->cmu);
	*c = s->cnt;
	pthread_mutex_unlock((pthread_mutex_t *)&s->cmu);
}

void
devsrv_close(struct devsrv *s)
{
	size_t i;

	if (s == NULL)
		return;
	for (i = 0; s->conns != NULL && i < (size_t)s->conf.max_conns; i++)
		if (s->conns[i] != NULL) {
			SSL_free(s->conns[i]->ssl);
			close(s->conns[i]->fd);
			free(s->conns[i]);
		}
	for (i = 0; i < s->nlsn; i++)
		close(s->lsn[i].fd);
	if (s->ep >= 0)
		close(s->ep);
	for (i = 0; s->tctx != NULL && i < s->ntctx; i++)
		devtls_ctx_free(s->tctx[i]);
	free(s->tctx);
	free(s->lsn);
	free(s->conns);
	free(s->freeslots);
	free(s->count);
	pthread_mutex_destroy(&s->cmu);
	free(s);
}

struct devsrv *
devsrv_open(const struct dev_plan *p, const struct devsrv_conf *c,
    struct mm_diag *diag)
{
	struct devsrv *s;
	struct epoll_event ev;
	struct rlimit rl;
	size_t i, j;
	int fd;
	long maxc;

	raise_nofile();
	if ((s = calloc(1, sizeof(*s))) == NULL) {
		mm_diag_set(diag, MM_ENOMEM, "devices: out of memory");
		return NULL;
	}
	s->plan = p;
	s->ep = -1;
	pthread_mutex_init(&s->cmu, NULL);
	if (c != NULL)
		s->conf = *c;
	if (s->conf.idle_ms <= 0)
		s->conf.idle_ms = 10000;
	if (s->conf.life_ms <= 0)
		s->conf.life_ms = 60000;
	maxc = 1024;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY)
		maxc = (long)rl.rlim_cur;
	else if (getrlimit(RLIMIT_NOFILE, &rl) == 0)
		maxc = 1 << 20;
	maxc -= (long)p->nsvc + 32;
	if (maxc > 65536)
		maxc = 65536;
	if (s->conf.max_conns > 0 && s->conf.max_conns < maxc)
		maxc = s->conf.max_conns;
	if (maxc < 4) {
		mm_diag_set(diag, MM_ELIMIT, "devices: RLIMIT_NOFILE too low "
		    "for %zu listening sockets", p->nsvc);
		goto fail;
	}
	s->conf.max_conns = (int)maxc;
	if ((s->conns = calloc((size_t)maxc, sizeof(*s->conns))) == NULL ||
	    (s->freeslots = calloc((size_t)maxc, sizeof(*s->freeslots))) ==
	    NULL || (s->count = calloc(p->ndev + 1, sizeof(*s->count))) ==
	    NULL || (s->lsn = calloc(p->nsvc + 1, sizeof(*s->lsn))) == NULL) {
		mm_diag_set(diag, MM_ENOMEM, "devices: out of memory");
		goto fail;
	}
	(void)devices_templates(&s->ntctx);
	if ((s->tctx = calloc(s->ntctx, sizeof(*s->tctx))) == NULL) {
		mm_diag_set(diag, MM_ENOMEM, "devices: out of memory");
		goto fail;
	}
	for (i = 0; i < p->nsvc; i++) {
		const struct dev_svctpl *t;

		if (!devices_svc_tls(&p->svc[i]) ||
		    s->tctx[p->svc[i].tpl] != NULL)
			continue;
		t = &devices_templates(NULL)[p->svc[i].tpl];
		if ((s->tctx[p->svc[i].tpl] = devtls_ctx_new(t->vendor,
		    t->product, diag)) == NULL)
			goto fail;
	}
	for (i = 0; i < (size_t)maxc; i++)
		s->freeslots[i] = (uint32_t)((size_t)maxc - 1 - i);
	s->nfree = (size_t)maxc;
	if ((s->ep = epoll_create1(EPOLL_CLOEXEC)) == -1) {
		mm_diag_set(diag, MM_EIO, "epoll_create1: %s",
		    strerror(errno));
		goto fail;
	}
	for (i = 0; i < p->ndev; i++) {
		for (j = p->dev[i].svc; j < p->dev[i].svc + p->dev[i].nsvc;
		    j++) {
			if (devices_svc_sshlogin(&p->svc[j]))
				continue;	/* devices_ssh.c */
			if (devices_listen(&p->svc[j], &fd, diag) != 0)
				goto fail;
			s->lsn[s->nlsn].fd = fd;
			s->lsn[s->nlsn].svc = j;
			s->lsn[s->nlsn].dev = i;
			s->nlsn++;
			memset(&ev, 0, sizeof(ev));
			ev.events = EPOLLIN;
			ev.data.u64 = s->nlsn - 1;
			if (epoll_ctl(s->ep, EPOLL_CTL_ADD, fd, &ev) == -1) {
				mm_diag_set(diag, MM_EIO, "epoll_ctl: %s",
				    strerror(errno));
				goto fail;
			}
		}
	}
	return s;
fail:
	devsrv_close(s);
	return NULL;
}

static void
conn_free(struct devsrv *s, struct conn *c)
{
	SSL_free(c->ssl);
	close(c->fd);
	s->conns[c->slot] = NULL;
	s->freeslots[s->nfree++] = c->slot;
	s->nconns--;
	s->cnt.closed++;
	free(c);
}

static void
set_paused(struct devsrv *s, int pause)
{
	struct epoll_event ev;
	size_t i;

	if (s->paused == pause)
		return;
	s->paused = pause;
	if (pause)
		s->cnt.paused++;
	for (i = 0; i < s->nlsn; i++) {
		memset(&ev, 0, sizeof(ev));
		ev.events = pause ? 0 : EPOLLIN;
		ev.data.u64 = i;
		(void)epoll_ctl(s->ep, EPOLL_CTL_MOD, s->lsn[i].fd, &ev);
	}
}

static void
conn_events(struct devsrv *s, struct conn *c)
{
	struct epoll_event ev;
	uint32_t want = EPOLLIN;

	if (c->outoff < c->outlen || c->endless || c->ssl_wantw)
		want |= EPOLLOUT;
	if (want == c->events)
		return;
	memset(&ev, 0, sizeof(ev));
	ev.events = want;
	ev.data.u64 = TAG_CONN | c->slot;
	(void)epoll_ctl(s->ep, EPOLL_CTL_MOD, c->fd, &ev);
	c->events = want;
}

/* Appends bytes to the output buffer; drops what does not fit. */
static void
out_add(struct conn *c, const void *p, size_t n)
{
	if (n > OUT_MAX - c->outlen)
		n = OUT_MAX - c->outlen;
	memcpy(c->out + c->outlen, p, n);
	c->outlen += n;
}

static void
out_fmt(struct conn *c, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

static void
out_fmt(struct conn *c, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (c->outlen >= OUT_MAX - 1)
		return;
	va_start(ap, fmt);
	n = vsnprintf((char *)c->out + c->outlen, OUT_MAX - c->outlen, fmt,
	    ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n >= OUT_MAX - c->outlen)
		n = (int)(OUT_MAX - c->outlen - 1);
	c->outlen += (size_t)n;
}

static void
out_str(struct conn *c, const char *str)
{
	out_add(c, str, strlen(str));
}

static void
endless_fill(struct conn *c)
{
	static const uint8_t cmds[] = { 251, 252, 253, 254 };
	uint8_t b[8];

	c->outlen = c->outoff = 0;
	while (c->outlen < OUT_MAX - 256) {
		switch (c->t->hostile) {
		case HOST_IACFLOOD:
			/* negotiations, SB without SE, bogus commands */
			b[0] = 255;
			b[1] = cmds[c->gen % 4];
			b[2] = (uint8_t)(c->gen * 7);
			b[3] = 255;
			b[4] = 250;
			b[5] = (uint8_t)c->gen;
			b[6] = 255;
			b[7] = (uint8_t)(c->gen % 3 == 0 ? 1 : 240 - c->gen % 5);
			out_add(c, b, sizeof(b));
			break;
		case HOST_HUGEHDR:
			out_fmt(c, "X-Filler-%" PRIu64 ": %0200" PRIu64 "\r\n",
			    c->gen, c->gen);
			break;
		default:
			out_fmt(c, "BusyBox v1.19.4 (2016-01-14) built-in "
			    "shell (ash) %" PRIu64 "\r\n", c->gen);
			break;
		}
		c->gen++;
	}
}

static void
put_be32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

/*
 * The emulated SSH server's KEXINIT (RFC 4253 7.1) in an unencrypted
 * binary packet (section 6): the template's key exchange methods and host
 * key algorithms, OpenSSH's default ciphers, MACs and compression, padding
 * to a multiple of 8. About 1 KiB; OUT_MAX holds it.
 */
static void
ssh_kexinit(struct conn *c)
{
	static const char enc[] = "chacha20-poly1305@openssh.com,aes128-ctr,"
	    "aes192-ctr,aes256-ctr,aes128-gcm@openssh.com,"
	    "aes256-gcm@openssh.com";
	static const char mac[] = "umac-64-etm@openssh.com,"
	    "umac-128-etm@openssh.com,hmac-sha2-256-etm@openssh.com,"
	    "hmac-sha2-512-etm@openssh.com,hmac-sha1-etm@openssh.com,"
	    "umac-64@openssh.com,umac-128@openssh.com,hmac-sha2-256,"
	    "hmac-sha2-512,hmac-sha1";
	static const char comp[] = "none,zlib@openssh.com";
	const char *l[10] = { c->t->ssh_kex, c->t->ssh_hostkey_algs, enc, enc,
	    mac, mac, comp, comp, "", "" };
	uint8_t pkt[2048];
	size_t o = 5, i, n, pad;

	pkt[o++] = 20;			/* SSH_MSG_KEXINIT */
	for (i = 0; i < 16; i++)	/* cookie */
		pkt[o++] = (uint8_t)(c->gen * 31 + i * 7 + c->svc);
	for (i = 0; i < 10; i++) {
		n = strlen(l[i]);
		if (o + 4 + n + 5 + 16 > sizeof(pkt))
			return;		/* templates are far below */
		put_be32(pkt + o, (uint32_t)n);
		memcpy(pkt + o + 4, l[i], n);
		o += 4 + n;
	}
	pkt[o++] = 0;			/* first_kex_packet_follows */
	put_be32(pkt + o, 0);		/* reserved */
	o += 4;
	pad = 8 - (o % 8);
	if (pad < 4)
		pad += 8;
	memset(pkt + o, 0, pad);
	o += pad;
	put_be32(pkt, (uint32_t)(o - 4));
	pkt[4] = (uint8_t)pad;
	out_add(c, pkt, o);
}

static void
greet(struct conn *c)
{
	static const uint8_t neg[] = {
		255, 253, 1,	/* DO ECHO */
		255, 253, 31,	/* DO NAWS */
		255, 251, 1,	/* WILL ECHO */
		255, 251, 3	/* WILL SUPPRESS-GO-AHEAD */
	};

	switch (c->t->kind) {
	case DEV_TELNET:
		out_add(c, neg, sizeof(neg));
		out_str(c, c->t->text);
		break;
	case DEV_SSH:
		out_str(c, c->t->text);
		/* with a KEXINIT to send: wait for the client's line */
		if (c->t->ssh_hostkey_algs == NULL)
			c->closing = 1;
		break;
	case DEV_HOSTILE:
		if (c->t->hostile == HOST_ENDLESS ||
		    c->t->hostile == HOST_IACFLOOD) {
			c->endless = 1;
			endless_fill(c);
		} else if (c->t->hostile == HOST_DRIP)
			c->t_drip = c->t_start;
		break;
	default:
		break;
	}
}

/* ---- telnet ---- */

static void
tel_line(struct devsrv *s, struct conn *c)
{
	const struct dev_cred *cr = devices_creds(NULL);

	c->line[c->linelen] = '\0';
	if (c->ts == TS_LOGIN) {
		memcpy(c->user, c->line, c->linelen + 1);
		out_str(c, "Password: ");
		c->ts = TS_PASS;
	} else if (c->ts == TS_PASS) {
		if (c->t->cred >= 0 &&
		    strcmp(c->user, cr[c->t->cred].user) == 0 &&
		    strcmp(c->line, cr[c->t->cred].pass) == 0) {
			devsrv_count_login(s, 1);
			out_str(c, "\r\n\r\nBusyBox v1.19.4 (2016-01-14) "
			    "built-in shell (ash)\r\nEnter 'help' for a list "
			    "of built-in commands.\r\n\r\n# ");
			c->ts = TS_SHELL;
		} else {
			devsrv_count_login(s, 0);
			out_str(c, "\r\nLogin incorrect");
			if (++c->fails >= MAX_FAILS) {
				out_str(c, "\r\n");
				c->closing = 1;
			} else
				out_str(c, c->t->text);
			c->ts = TS_LOGIN;
		}
	}
	c->linelen = 0;
}

static void
tel_input(struct devsrv *s, struct conn *c)
{
	struct cursor cur;
	uint8_t b;

	cur_init(&cur, c->in, c->inlen);
	while (!c->closing && get_u8(&cur, &b) == 0) {
		switch (c->is) {
		case IS_IAC:
			if (b >= 251 && b <= 254)
				c->is = IS_OPT;
			else if (b == 250)
				c->is = IS_SB;
			else
				c->is = IS_DATA;	/* IAC IAC: ignored */
			continue;
		case IS_OPT:
			c->is = IS_DATA;
			continue;
		case IS_SB:
			if (b == 255)
				c->is = IS_SBIAC;
			continue;
		case IS_SBIAC:
			c->is = b == 240 ? IS_DATA : IS_SB;
			continue;
		case IS_DATA:
			break;
		}
		if (b == 255) {
			c->is = IS_IAC;
			continue;
		}
		if (c->ts == TS_SHELL) {
			/* never run anything: any input ends the session */
			c->closing = 1;
			break;
		}
		if ((b == '\n' || b == '\0') && c->last_cr) {
			c->last_cr = 0;
			continue;
		}
		c->last_cr = b == '\r';
		if (b == '\r' || b == '\n')
			tel_line(s, c);
		else if (c->linelen < LINE_MAX_ - 1)
			c->line[c->linelen++] = (char)b;
	}
	c->inlen = 0;
}

/* ---- HTTP ---- */

static void
b64(const char *in, char *out, size_t outlen)
{
	static const char tab[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "abcdefghijklmnopqrstuvwxyz0123456789+/";
	size_t n = strlen(in), i, o = 0;
	uint32_t v;

	for (i = 0; i < n && o + 5 < outlen; i += 3) {
		v = (uint32_t)(unsigned char)in[i] << 16;
		if (i + 1 < n)
			v |= (uint32_t)(unsigned char)in[i + 1] << 8;
		if (i + 2 < n)
			v |= (uint32_t)(unsigned char)in[i + 2];
		out[o++] = tab[(v >> 18) & 63];
		out[o++] = tab[(v >> 12) & 63];
		out[o++] = i + 1 < n ? tab[(v >> 6) & 63] : '=';
		out[o++] = i + 2 < n ? tab[v & 63] : '=';
	}
	out[o] = '\0';
}

static uint32_t
crc32_calc(const uint8_t *p, size_t n)
{
	uint32_t crc = 0xffffffffu;
	size_t i;
	int k;

	for (i = 0; i < n; i++) {
		crc ^= p[i];
		for (k = 0; k < 8; k++)
			crc = (crc >> 1) ^ (0xedb88320u & (0u - (crc & 1)));
	}
	return ~crc;
}

static void
put_le32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}

/* A gzip member (RFC 1952) holding `body` in one stored deflate block
 * (RFC 1951 3.2.4), with MTIME = `mtime`. Returns its length. */
static size_t
gzip_stored(const char *body, uint32_t mtime, uint8_t *g, size_t cap)
{
	size_t n = strlen(body);

	if (cap < n + 23)
		return 0;
	g[0] = 0x1f; g[1] = 0x8b; g[2] = 8; g[3] = 0;
	put_le32(g + 4, mtime);
	g[8] = 0; g[9] = 3;		/* XFL, OS = Unix */
	g[10] = 1;			/* BFINAL, BTYPE 00 */
	g[11] = (uint8_t)n; g[12] = (uint8_t)(n >> 8);
	g[13] = (uint8_t)~n; g[14] = (uint8_t)(~n >> 8);
	memcpy(g + 15, body, n);
	put_le32(g + 15 + n, crc32_calc((const uint8_t *)body, n));
	put_le32(g + 19 + n, (uint32_t)n);
	return n + 23;
}

static void
http_head(struct conn *c, int code, const char *reason, const char *ctype,
    size_t clen)
{
	out_fmt(c, "HTTP/1.1 %d %s\r\n", code, reason);
	if (c->t->text != NULL && c->t->kind != DEV_HOSTILE)
		out_fmt(c, "Server: %s\r\n", c->t->text);
	out_fmt(c, "Content-Type: %s\r\nContent-Length: %zu\r\n"
	    "Connection: close\r\n", ctype, clen);
}

static void
http_page(struct conn *c, int code, const char *reason, const char *body)
{
	http_head(c, code, reason, "text/html", strlen(body));
	out_str(c, "\r\n");
	out_str(c, body);
}

/*
 * A 200 page with an ETag that carries the template's build time as 8
 * hex digits after a hex prefix: "%04zx%08x" is GlobalProtect's shape
 * (panos-scanner README: "6e185d5daf9a", last 8 digits = Unix time),
 * "%zx-%08x" FortiOS's (Praetorian's FortiGate fingerprinter: "83-
 * 6011f49f"). The prefix is the body length, an illustrative choice.
 */
static void
http_page_etag(struct conn *c, const char *body, int dash)
{
	size_t n = strlen(body);

	http_head(c, 200, "OK", "text/html", n);
	if (dash)
		out_fmt(c, "ETag: \"%zx-%08" PRIx32 "\"\r\n", n,
		    c->t->gzmtime);
	else
		out_fmt(c, "ETag: \"%04zx%08" PRIx32 "\"\r\n", n & 0xffff,
		    c->t->gzmtime);
	out_str(c, "\r\n");
	out_str(c, body);
}

static void
http_redirect(struct conn *c, const char *loc)
{
	out_fmt(c, "HTTP/1.1 302 Found\r\nLocation: %s\r\n", loc);
	if (c->t->text != NULL && c->t->kind != DEV_HOSTILE)
		out_fmt(c, "Server: %s\r\n", c->t->text);
	out_str(c, "Content-Length: 0\r\nConnection: close\r\n\r\n");
}

static void
http_favicon(struct conn *c)
{
	uint8_t ico[70];
	size_t i, n = strlen(c->t->name);

	/* ICONDIR + one ICONDIRENTRY, then template-specific bytes: the
	 * hash differs per template, which is all a fingerprint needs */
	memset(ico, 0, sizeof(ico));
	ico[2] = 1; ico[4] = 1;
	ico[6] = 16; ico[7] = 16; ico[10] = 1; ico[12] = 32;
	put_le32(ico + 14, (uint32_t)(sizeof(ico) - 22));
	put_le32(ico + 18, 22);
	for (i = 22; i < sizeof(ico); i++)
		ico[i] = (uint8_t)(c->t->name[(i - 22) % n] ^ (i * 31));
	http_head(c, 200, "OK", "image/x-icon", sizeof(ico));
	out_str(c, "\r\n");
	out_add(c, ico, sizeof(ico));
}

static void
http_basic(struct devsrv *s, struct conn *c, const char *auth)
{
	const struct dev_cred *cr = devices_creds(NULL);
	char up[160], want[224], body[512];

	if (c->t->realm != NULL) {
		want[0] = '\0';
		if (c->t->cred >= 0) {
			snprintf(up, sizeof(up), "%s:%s", cr[c->t->cred].user,
			    cr[c->t->cred].pass);
			b64(up, want, sizeof(want));
		}
		if (auth == NULL || want[0] == '\0' || strcmp(auth, want)) {
			if (auth != NULL)
				devsrv_count_login(s, 0);
			snprintf(body, sizeof(body), "<HTML><HEAD><TITLE>401 "
			    "Unauthorized</TITLE></HEAD>\n<BODY><H2>401 "
			    "Unauthorized</H2>\nAuthorization required."
			    "\n</BODY></HTML>\n");
			out_str(c, "HTTP/1.1 401 Unauthorized\r\n");
			out_fmt(c, "Server: %s\r\nWWW-Authenticate: Basic "
			    "realm=\"%s\"\r\n", c->t->text, c->t->realm);
			out_fmt(c, "Content-Type: text/html\r\n"
			    "Content-Length: %zu\r\nConnection: close\r\n\r\n"
			    "%s", strlen(body), body);
			return;
		}
		devsrv_count_login(s, 1);
	}
	snprintf(body, sizeof(body), "<html><head><title>%s</title>"
	    "<link rel=\"icon\" href=\"/favicon.ico\"></head>\n<body>"
	    "<h1>%s</h1></body></html>\n", c->t->title, c->t->title);
	http_page(c, 200, "OK", body);
}

static void
dotted(const char *v, char *out, size_t len)
{
	size_t i;

	for (i = 0; v[i] != '\0' && i + 1 < len; i++)
		out[i] = v[i] == 'R' ? '.' : v[i];
	out[i] = '\0';
}

static void
http_vpn(struct conn *c, const char *path)
{
	char body[2048], dv[32];
	uint8_t gz[128];
	size_t n;

	switch (c->t->portal) {
	case 1: /* FortiGate */
		if (strcmp(path, "/") == 0) {
			http_redirect(c, "/remote/login?lang=en");
			return;
		}
		if (strcmp(path, "/remote/login") == 0 &&
		    c->t->build_hash != NULL) {
			/* FortiOS 7.x: the build hash is the first 32 hex
			 * digits of the page, here a static asset prefix (the
			 * file names are the lab's) */
			snprintf(body, sizeof(body), "<!DOCTYPE html>\n<html "
			    "lang=\"en\"><head><meta charset=\"UTF-8\">"
			    "<title>%s</title>\n<link href=\"/%s/css/login."
			    "css\" rel=\"stylesheet\" type=\"text/css\">\n"
			    "<script src=\"/%s/js/login.js\"></script>\n"
			    "<script src=\"/remote/fgt_lang?lang=en\">"
			    "</script>\n</head><body class=\"main\"><form "
			    "action=\"/remote/logincheck\" method=\"post\">"
			    "<input name=\"username\"><input name=\"credential"
			    "\" type=\"password\"></form></body></html>\n",
			    c->t->title, c->t->build_hash, c->t->build_hash);
			http_page(c, 200, "OK", body);
			return;
		}
		if (strcmp(path, "/remote/login") == 0) {
			snprintf(body, sizeof(body), "<!DOCTYPE html>\n<html>"
			    "<head><title>%s</title>\n<script src=\"/remote/"
			    "fgt_lang?lang=en\"></script>\n"
			    "</head><body class=\"main\"><form action=\""
			    "/remote/logincheck\" method=\"post\">"
			    "<input name=\"username\"><input name=\"credential"
			    "\" type=\"password\"></form></body></html>\n",
			    c->t->title);
			http_page_etag(c, body, 1);
			return;
		}
		break;
	case 2: /* Pulse */
		if (strcmp(path, "/") == 0) {
			http_redirect(c,
			    "/dana-na/auth/url_default/welcome.cgi");
			return;
		}
		if (strcmp(path, "/dana-na/auth/url_default/welcome.cgi")
		    == 0) {
			snprintf(body, sizeof(body), "<html><head><title>%s"
			    "</title></head><body><form name=\"frmLogin\" "
			    "action=\"login.cgi\" method=\"POST\">"
			    "<input name=\"username\"><input name=\"password\" "
			    "type=\"password\"></form></body></html>\n",
			    c->t->title);
			http_page(c, 200, "OK", body);
			return;
		}
		if (strcmp(path, "/dana-na/nc/nc_gina_ver.txt") == 0) {
			dotted(c->t->version, dv, sizeof(dv));
			snprintf(body, sizeof(body), "<PARAM NAME=\"ProductName"
			    "\" VALUE=\"Pulse Connect Secure\">\n<PARAM NAME="
			    "\"ProductVersion\" VALUE=\"%s\">\n", dv);
			http_head(c, 200, "OK", "text/plain", strlen(body));
			out_str(c, "\r\n");
			out_str(c, body);
			return;
		}
		break;
	case 3: /* Citrix */
		if (strcmp(path, "/") == 0) {
			http_redirect(c, "/vpn/index.html");
			return;
		}
		if (strcmp(path, "/vpn/index.html") == 0) {
			snprintf(body, sizeof(body), "<html><head><title>%s"
			    "</title><script src=\"/vpn/js/rdx/core/rdx.js\">"
			    "</script></head><body></body></html>\n",
			    c->t->title);
			http_page(c, 200, "OK", body);
			return;
		}
		if (strcmp(path, "/vpn/js/rdx/core/lang/rdx_en.json.gz") ==
		    0) {
			n = gzip_stored("{\"lang\":\"en\"}\n", c->t->gzmtime,
			    gz, sizeof(gz));
			http_head(c, 200, "OK", "application/x-gzip", n);
			out_str(c, "\r\n");
			out_add(c, gz, n);
			return;
		}
		break;
	case 4: /* GlobalProtect */
		if (strcmp(path, "/") == 0) {
			http_redirect(c, "/global-protect/login.esp");
			return;
		}
		if (strcmp(path, "/global-protect/login.esp") == 0) {
			snprintf(body, sizeof(body), "<html><head><title>%s"
			    "</title><link rel=\"stylesheet\" href=\"/global-"
			    "protect/portal/css/login.css\"></head><body><form>"
			    "<input name=\"user\"><input name=\"passwd\" "
			    "type=\"password\"></form></body></html>\n",
			    c->t->title);
			http_page_etag(c, body, 0);
			return;
		}
		break;
	case 5: /* SonicWall */
		if (strcmp(path, "/") == 0) {
			http_redirect(c, "/cgi-bin/welcome");
			return;
		}
		if (strcmp(path, "/cgi-bin/welcome") == 0) {
			/* SMA 100 10.x: the firmware names the CSS and JS
			 * assets (jbaines-r7/badblood README.md shows these
			 * six lines for 10.2.1.2-24sv) */
			snprintf(body, sizeof(body), "<html><head><title>%s"
			    "</title>\n"
			    "<link href='/swl_login.%s.css' type='text/css' "
			    "rel='stylesheet'>\n"
			    "<link href='/swl_header.%s.css' type='text/css' "
			    "rel='stylesheet'>\n"
			    "<link href='/sma_content_overrides.%s.css' "
			    "type='text/css' rel='stylesheet'>\n"
			    "<link href='/sma_login_overrides.%s.css' "
			    "type='text/css' rel='stylesheet'>\n"
			    "<link href=\"/notificationbar.%s.css\" "
			    "type=\"text/css\" rel=\"stylesheet\">\n"
			    "<script src=\"/js/jquery.%s.js\" type=\"text/"
			    "javascript\" charset=\"utf-8\"></script>\n"
			    "</head><body></body></html>\n", c->t->title,
			    c->t->version, c->t->version, c->t->version,
			    c->t->version, c->t->version, c->t->version);
			http_page(c, 200, "OK", body);
			return;
		}
		break;
	}
	http_page(c, 404, "Not Found", "<html><head><title>404 Not Found"
	    "</title></head><body>Not Found</body></html>\n");
}

/* Finds "\r\n\r\n"; returns the header length or 0. */
static size_t
http_complete(const uint8_t *p, size_t n)
{
	size_t i;

	for (i = 0; i + 3 < n; i++)
		if (p[i] == '\r' && p[i + 1] == '\n' && p[i + 2] == '\r' &&
		    p[i + 3] == '\n')
			return i + 4;
	return 0;
}

/* Reads one CRLF-terminated line from `cur` into `buf` (truncated, NUL
 * terminated). Returns 0, or -1 at the end of input. */
static int
cur_line(struct cursor *cur, char *buf, size_t len)
{
	size_t o = 0;
	uint8_t b;

	if (cur_left(cur) == 0)
		return -1;
	while (get_u8(cur, &b) == 0 && b != '\n')
		if (b != '\r' && o + 1 < len)
			buf[o++] = (char)b;
	buf[o] = '\0';
	return 0;
}

static void
http_input(struct devsrv *s, struct conn *c)
{
	struct cursor cur;
	char line[512], path[256], auth[256], *sp, *q;
	size_t hl;
	int have_auth = 0;

	if ((hl = http_complete(c->in, c->inlen)) == 0) {
		if (c->inlen == IN_MAX) {
			out_str(c, "HTTP/1.1 431 Request Header Fields Too "
			    "Large\r\nContent-Length: 0\r\nConnection: close"
			    "\r\n\r\n");
			c->closing = 1;
		}
		return;
	}
	s->cnt.http_requests++;
	cur_init(&cur, c->in, hl);
	cur_line(&cur, line, sizeof(line));
	path[0] = '\0';
	if ((sp = strchr(line, ' ')) != NULL) {
		snprintf(path, sizeof(path), "%s", sp + 1);
		if ((sp = strchr(path, ' ')) != NULL)
			*sp = '\0';
	}
	if ((q = strchr(path, '?')) != NULL)
		*q = '\0';
	while (cur_line(&cur, line, sizeof(line)) == 0 && line[0] != '\0') {
		if (strncasecmp(line, "Authorization:", 14) != 0)
			continue;
		for (sp = line + 14; *sp == ' ' || *sp == '\t'; sp++)
			;
		if (strncasecmp(sp, "Basic ", 6) != 0)
			continue;
		for (sp += 6; *sp == ' '; sp++)
			;
		snprintf(auth, sizeof(auth), "%s", sp);
		have_auth = 1;
	}
	c->inlen = 0;
	c->closing = 1;
	if (c->t->kind == DEV_HOSTILE) {
		if (c->t->hostile == HOST_HUGEHDR) {
			c->closing = 0;
			c->endless = 1;
			out_str(c, "HTTP/1.1 200 OK\r\n");
			c->outoff = 0;
		} else if (c->t->hostile == HOST_REDIRECT)
			http_redirect(c, strcmp(path, "/loop/a") == 0 ?
			    "/loop/b" : "/loop/a");
		return;
	}
	if (strcmp(path, "/favicon.ico") == 0 && c->t->kind == DEV_HTTP) {
		http_favicon(c);
		return;
	}
	if (c->t->kind == DEV_VPN) {
		http_vpn(c, path);
		return;
	}
	http_basic(s, c, have_auth ? auth : NULL);
}

static void
conn_input(struct devsrv *s, struct conn *c)
{
	static const uint8_t alert[] = { 0x15, 0x03, 0x01, 0x00, 0x02, 0x02,
	    0x28 };	/* TLS alert: fatal, handshake_failure */

	if (c->closing || c->endless) {
		c->inlen = 0;		/* draining or not listening */
		return;
	}
	switch (c->t->kind) {
	case DEV_TELNET:
		tel_input(s, c);
		break;
	case DEV_HTTP:
	case DEV_VPN:
		http_input(s, c);
		break;
	case DEV_HOSTILE:
		if (c->t->hostile == HOST_TLSERR) {
			out_add(c, alert, sizeof(alert));
			c->closing = 1;
			c->inlen = 0;
		} else if (c->t->hostile == HOST_HUGEHDR ||
		    c->t->hostile == HOST_REDIRECT)
			http_input(s, c);
		else
			c->inlen = 0;
		break;
	case DEV_SSH: {
		const uint8_t *nl = memchr(c->in, '\n', c->inlen);

		if (c->t->ssh_hostkey_algs == NULL) {
			c->inlen = 0;
			break;
		}
		/* the emulator cannot run a key exchange: a client that goes
		 * on to its own KEXINIT (a login attempt) is disconnected, as
		 * a server that finds no common algorithm does; a survey
		 * that reads the KEXINIT and closes never gets here */
		if (c->kex_sent || (nl != NULL &&
		    (size_t)(nl - c->in) + 1 < c->inlen))
			c->closing = 1;
		if (!c->kex_sent && nl != NULL) {
			ssh_kexinit(c);
			c->kex_sent = 1;
		}
		c->inlen = 0;
		break;
	}
	default:
		c->inlen = 0;
		break;
	}
}

/* Maps an OpenSSL result to the recv(2)/send(2) convention. */
static ssize_t
tls_result(struct conn *c, int r)
{
	switch (SSL_get_error(c->ssl, r)) {
	case SSL_ERROR_WANT_READ:
		errno = EAGAIN;
		return -1;
	case SSL_ERROR_WANT_WRITE:
		c->ssl_wantw = 1;
		errno = EAGAIN;
		return -1;
	case SSL_ERROR_ZERO_RETURN:
		return 0;
	default:
		errno = EPROTO;
		return -1;
	}
}

/* Finishes the TLS handshake; 1 when done, else tls_result's -1. */
static ssize_t
tls_handshake(struct conn *c)
{
	int r;

	if (c->hs_done)
		return 1;
	ERR_clear_error();
	if ((r = SSL_do_handshake(c->ssl)) == 1) {
		c->hs_done = 1;
		return 1;
	}
	if (tls_result(c, r) == 0)
		errno = EPROTO;
	return -1;
}

static ssize_t
io_recv(struct conn *c, void *buf, size_t n)
{
	int r;

	if (c->ssl == NULL)
		return recv(c->fd, buf, n, 0);
	c->ssl_wantw = 0;
	if (tls_handshake(c) != 1)
		return -1;
	ERR_clear_error();
	if ((r = SSL_read(c->ssl, buf, (int)n)) > 0)
		return r;
	return tls_result(c, r);
}

static ssize_t
io_send(struct conn *c, const void *buf, size_t n)
{
	int r;

	if (c->ssl == NULL)
		return send(c->fd, buf, n, MSG_NOSIGNAL);
	c->ssl_wantw = 0;
	if (tls_handshake(c) != 1)
		return -1;
	ERR_clear_error();
	if ((r = SSL_write(c->ssl, buf, (int)n)) > 0)
		return r;
	r = (int)tls_result(c, r);
	if (r == 0)
		errno = EPIPE;
	return -1;
}

/* Writes what is pending; returns -1 when the connection must close. */
static int
conn_flush(struct conn *c)
{
	ssize_t n;

	for (;;) {
		if (c->outoff == c->outlen && c->endless)
			endless_fill(c);
		if (c->outoff == c->outlen)
			break;
		n = io_send(c, c->out + c->outoff, c->outlen - c->outoff);
		if (n == -1) {
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return 0;
			if (errno == EINTR)
				continue;
			return -1;
		}
		c->outoff += (size_t)n;
		if (c->endless)
			return 0;	/* one buffer per wakeup: be fair */
	}
	c->outoff = c->outlen = 0;
	if (c->ssl != NULL && !c->hs_done && !c->shut) {
		/* TLS: drive the handshake from the write side too */
		if (tls_handshake(c) == -1 && errno != EAGAIN)
			return -1;
		return 0;
	}
	if (c->closing && !c->shut) {
		if (c->ssl != NULL)
			(void)SSL_shutdown(c->ssl);
		shutdown(c->fd, SHUT_WR);
		c->shut = 1;
	}
	return 0;
}

static void
do_accept(struct devsrv *s, size_t li, int64_t now)
{
	struct lsn *l = &s->lsn[li];
	struct epoll_event ev;
	struct linger lg;
	struct conn *c;
	int fd, k;

	for (k = 0; k < 64; k++) {
		if (s->nconns >= (size_t)s->conf.max_conns) {
			set_paused(s, 1);
			return;
		}
		if ((fd = accept(l->fd, NULL, NULL)) == -1)
			return;
		if (fcntl(fd, F_SETFL, O_NONBLOCK) == -1 ||
		    fcntl(fd, F_SETFD, FD_CLOEXEC) == -1) {
			close(fd);
			continue;
		}
		devsrv_count_accept(s, l->dev);
		if (devices_templates(NULL)[s->plan->svc[l->svc].tpl].hostile
		    == HOST_RESET) {
			lg.l_onoff = 1;
			lg.l_linger = 0;
			(void)setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg,
			    sizeof(lg));
			close(fd);
			s->cnt.closed++;
			continue;
		}
		if ((c = calloc(1, sizeof(*c))) == NULL) {
			close(fd);
			s->cnt.closed++;
			continue;
		}
		c->fd = fd;
		c->svc = l->svc;
		c->t = &devices_templates(NULL)[s->plan->svc[l->svc].tpl];
		if (devices_svc_tls(&s->plan->svc[l->svc])) {
			if ((c->ssl = SSL_new(s->tctx[s->plan->svc[l->svc].tpl]))
			    == NULL || SSL_set_fd(c->ssl, fd) != 1) {
				SSL_free(c->ssl);
				free(c);
				close(fd);
				s->cnt.closed++;
				continue;
			}
			SSL_set_accept_state(c->ssl);
		}
		c->t_start = c->t_last = now;
		c->slot = s->freeslots[--s->nfree];
		s->conns[c->slot] = c;
		s->nconns++;
		memset(&ev, 0, sizeof(ev));
		ev.events = c->events = EPOLLIN;
		ev.data.u64 = TAG_CONN | c->slot;
		if (epoll_ctl(s->ep, EPOLL_CTL_ADD, fd, &ev) == -1) {
			conn_free(s, c);
			continue;
		}
		greet(c);
		if (conn_flush(c) != 0) {
			conn_free(s, c);
			continue;
		}
		conn_events(s, c);
	}
}

static void
conn_event(struct devsrv *s, struct conn *c, uint32_t events, int64_t now)
{
	ssize_t n;

	if (events & (EPOLLIN | EPOLLHUP | EPOLLERR)) {
		if (c->inlen == IN_MAX)
			c->inlen = 0;	/* unparsed and full: discard */
		n = io_recv(c, c->in + c->inlen, IN_MAX - c->inlen);
		if (n == 0 || (n == -1 && errno != EAGAIN &&
		    errno != EWOULDBLOCK && errno != EINTR)) {
			conn_free(s, c);
			return;
		}
		if (n > 0) {
			c->inlen += (size_t)n;
			c->t_last = now;
			conn_input(s, c);
		}
	}
	if (conn_flush(c) != 0) {
		conn_free(s, c);
		return;
	}
	if (events & EPOLLOUT)
		c->t_last = now;
	conn_events(s, c);
}

static void
tick(struct devsrv *s, int64_t now)
{
	struct conn *c;
	size_t i;
	uint8_t b;
	static const char drip[] = "\r\n(none) login: ";

	for (i = 0; i < (size_t)s->conf.max_conns; i++) {
		if ((c = s->conns[i]) == NULL)
			continue;
		if (now - c->t_start >= s->conf.life_ms ||
		    now - c->t_last >= s->conf.idle_ms) {
			s->cnt.timeouts++;
			conn_free(s, c);
			continue;
		}
		if (c->t->hostile == HOST_DRIP && now >= c->t_drip) {
			b = (uint8_t)drip[c->gen++ % (sizeof(drip) - 1)];
			if (send(c->fd, &b, 1, MSG_NOSIGNAL) == -1 &&
			    errno != EAGAIN && errno != EWOULDBLOCK) {
				conn_free(s, c);
				continue;
			}
			c->t_drip = now + 1000;
			c->t_last = now;
		}
	}
	if (s->paused && s->nconns < (size_t)s->conf.max_conns)
		set_paused(s, 0);
}

int
devsrv_run(struct devsrv *s, volatile int *stop, int64_t ms,
    struct mm_diag *diag)
{
	struct epoll_event ev[256];
	struct conn *c;
	int64_t t0 = now_ms(), now, last_tick = t0;
	int i, n;

	while (stop == NULL || !*stop) {
		now = now_ms();
		if (ms > 0 && now - t0 >= ms)
			break;
		n = epoll_wait(s->ep, ev, 256, TICK_MS);
		if (n == -1) {
			if (errno == EINTR)
				continue;
			return mm_diag_set(diag, MM_EIO, "epoll_wait: %s",
			    strerror(errno));
		}
		now = now_ms();
		for (i = 0; i < n; i++) {
			if (ev[i].data.u64 & TAG_CONN) {
				c = s->conns[(uint32_t)ev[i].data.u64];
				if (c != NULL)
					conn_event(s, c, ev[i].events, now);
			} else
				do_accept(s, (size_t)ev[i].data.u64, now);
		}
		if (now - last_tick >= TICK_MS) {
			tick(s, now);
			last_tick = now;
		}
	}
	return 0;
}

int
devsrv_counts_json(const struct devsrv *s, char **buf, size_t *len)
{
	const struct dev_plan *p = s->plan;
	char *b, a[16], t[96];
	size_t cap, o = 0, i, contacted = 0;
	int n;

	cap = 512 + p->ndev * 40;
	if ((b = malloc(cap)) == NULL)
		return MM_ENOMEM;
	pthread_mutex_lock((pthread_mutex_t *)&s->cmu);
	for (i = 0; i < p->ndev; i++)
		if (s->count[i] != 0)
			contacted++;
	fmt_addr(p->conf.net, a, sizeof(a));
	if (s->first_ms != 0)
		snprintf(t, sizeof(t), "\"first_accept_ms\":%" PRId64 ","
		    "\"last_accept_ms\":%" PRId64, s->first_ms, s->last_ms);
	else
		snprintf(t, sizeof(t), "\"first_accept_ms\":null,"
		    "\"last_accept_ms\":null");
	n = snprintf(b, cap, "{\"generator\":\"devices\",\"range\":\"%s/%d\","
	    "\"accepted\":%" PRIu64 ",\"accepts\":%" PRIu64 ",%s,"
	    "\"addresses_contacted\":%zu,\"counts\":{", a, p->conf.plen,
	    s->cnt.accepted, s->cnt.accepted, t, contacted);
	pthread_mutex_unlock((pthread_mutex_t *)&s->cmu);
	if (n < 0 || (size_t)n >= cap) {
		free(b);
		return MM_ENOMEM;
	}
	o = (size_t)n;
	for (i = 0; i < p->ndev; i++) {
		fmt_addr(p->dev[i].addr, a, sizeof(a));
		n = snprintf(b + o, cap - o, "%s\"%s\":%" PRIu64,
		    i ? "," : "", a, s->count[i]);
		if (n < 0 || (size_t)n >= cap - o) {
			free(b);
			return MM_ENOMEM;
		}
		o += (size_t)n;
	}
	n = snprintf(b + o, cap - o, "}}\n");
	if (n < 0 || (size_t)n >= cap - o) {
		free(b);
		return MM_ENOMEM;
	}
	*buf = b;
	*len = o + (size_t)n;
	return 0;
}
