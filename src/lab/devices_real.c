/*
 * devices_real.c - real servers beside the emulated fleet: lighttpd with
 * mod_auth (one Basic, one Digest) and dropbear, each on a free address
 * of the fleet's range that the plan gave it (devplan_add_real), so a
 * survey meets real implementations of the protocols it parses and the
 * truth still says exactly what is there.
 *
 * The truth's versions come from the binaries themselves (`lighttpd -v`,
 * `dropbear -V`, run without a shell: fork + execv, output capped at
 * 4 KiB, 10 s at most). Configurations, user files and the host key live
 * in a fresh directory DIR/mamori-real.XXXXXX (mode 0700) that
 * devreal_stop removes; nothing is written elsewhere (dropbear's pid file
 * included).
 *
 *   lighttpd -D -f CONF     mod_auth + mod_authn_file, auth.require on
 *                           "/": Basic with a plain user file, or Digest
 *                           with an htdigest file (user:realm:MD5(user:
 *                           realm:password)); the pair is the plan's
 *                           default credential
 *   dropbear -F -E -s -w -j -k -c /bin/false -P PID -p ADDR:22 -r KEY
 *                           identification only: no password logins (-s),
 *                           no root (-w), no forwarding, and a forced
 *                           /bin/false for any key login; the ed25519 key
 *                           is made at start with dropbearkey
 *
 * Children get PR_SET_PDEATHSIG(SIGTERM), so they end with the lab even
 * if it is killed; devreal_stop sends SIGTERM, then SIGKILL after 3 s,
 * and reaps them. Every wait is bounded (5 s for a server to accept).
 * Library code: nothing is printed; the children's output goes to log
 * files in the directory, and a start failure quotes the log's start in
 * the diagnostic.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "lab/devices.h"

#define OUT_CAP		4096
#define VER_WAIT_MS	10000
#define UP_WAIT_MS	5000
#define STOP_WAIT_MS	3000
#define PATH_CAP	512

struct devreal {
	char	 dir[PATH_CAP];
	char	 www[PATH_CAP + 8];	/* DIR/www: the document root */
	pid_t	 pid[DEV_MAX_REAL];
	size_t	 npid;
	char	*files[16];		/* to remove at stop */
	size_t	 nfiles;
};

static int64_t
mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void
sleep_ms(int ms)
{
	struct timespec ts;

	ts.tv_sec = ms / 1000;
	ts.tv_nsec = (long)(ms % 1000) * 1000000L;
	while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
		;
}

/* Reaps `pid`, waiting `ms` at most; 1 when it is gone. */
static int
reap_wait(pid_t pid, int ms)
{
	int64_t t0 = mono_ms();
	int st;
	pid_t r;

	for (;;) {
		r = waitpid(pid, &st, WNOHANG);
		if (r == pid || (r == -1 && errno == ECHILD))
			return 1;
		if (mono_ms() - t0 >= ms)
			return 0;
		sleep_ms(20);
	}
}

static void
reap_kill(pid_t pid)
{
	if (pid <= 0)
		return;
	(void)kill(pid, SIGTERM);
	if (!reap_wait(pid, STOP_WAIT_MS)) {
		(void)kill(pid, SIGKILL);
		(void)reap_wait(pid, STOP_WAIT_MS);
	}
}

/* Child side of spawn: stdio to /dev/null and `log`, then exec. */
static void
child_exec(const char *path, char *const argv[], const char *log, int outfd)
{
	int fd;

	(void)prctl(PR_SET_PDEATHSIG, SIGTERM);
	if ((fd = open("/dev/null", O_RDONLY)) != -1) {
		dup2(fd, 0);
		close(fd);
	}
	if (outfd == -1 && log != NULL)
		outfd = open(log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
		    0600);
	if (outfd != -1) {
		dup2(outfd, 1);
		dup2(outfd, 2);
	}
	execv(path, argv);
	_exit(127);
}

/* Runs `argv` and keeps what it prints (stdout and stderr, capped) in
 * `out`; returns its exit status, or -1. */
static int
run_capture(const char *path, char *const argv[], char *out, size_t len)
{
	struct pollfd pf;
	int64_t t0;
	size_t o = 0;
	ssize_t n;
	int p[2], st = 0, done = 0;
	pid_t pid;
	char sink[256];

	out[0] = '\0';
	if (pipe(p) == -1)
		return -1;
	if ((pid = fork()) == -1) {
		close(p[0]);
		close(p[1]);
		return -1;
	}
	if (pid == 0) {
		close(p[0]);
		child_exec(path, argv, NULL, p[1]);
	}
	close(p[1]);
	t0 = mono_ms();
	pf.fd = p[0];
	pf.events = POLLIN;
	while (!done && mono_ms() - t0 < VER_WAIT_MS) {
		if (poll(&pf, 1, 100) <= 0)
			continue;
		if (o + 1 < len)
			n = read(p[0], out + o, len - o - 1);
		else
			n = read(p[0], sink, sizeof(sink));
		if (n <= 0)
			done = 1;
		else if (o + 1 < len)
			o += (size_t)n;
	}
	out[o] = '\0';
	close(p[0]);
	if (!done || waitpid(pid, &st, 0) != pid) {
		reap_kill(pid);
		return -1;
	}
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

int
devreal_version(enum dev_realkind k, const char *path, char *ver,
    size_t len, struct mm_diag *diag)
{
	char out[OUT_CAP], *argv[3], *s;
	const char *key;
	size_t n;

	if (path == NULL || access(path, X_OK) != 0)
		return MM_ENOENT;
	argv[0] = (char *)path;
	argv[1] = (char *)(k == REAL_DROPBEAR ? "-V" : "-v");
	argv[2] = NULL;
	if (run_capture(path, argv, out, sizeof(out)) < 0)
		return mm_diag_set(diag, MM_EIO, "%s %s: did not run", path,
		    argv[1]);
	key = k == REAL_DROPBEAR ? "Dropbear v" : "lighttpd/";
	if ((s = strstr(out, key)) == NULL)
		return mm_diag_set(diag, MM_EFORMAT, "%s %s: no \"%s\" in its "
		    "output", path, argv[1], key);
	s += strlen(key);
	n = strspn(s, "0123456789.");
	if (n == 0 || n >= len)
		return mm_diag_set(diag, MM_EFORMAT, "%s %s: bad version",
		    path, argv[1]);
	memcpy(ver, s, n);
	ver[n] = '\0';
	return 0;
}

static void
fmt_addr(uint32_t a, char *buf, size_t len)
{
	snprintf(buf, len, "%u.%u.%u.%u", (unsigned)(a >> 24),
	    (unsigned)((a >> 16) & 0xff), (unsigned)((a >> 8) & 0xff),
	    (unsigned)(a & 0xff));
}

/* Writes `text` to DIR/name and remembers it for removal; the full path
 * goes to `path` when not NULL. Returns 0 or -1. */
static int
put_file(struct devreal *r, const char *name, const char *text,
    char *path, size_t plen)
{
	char p[PATH_CAP];
	FILE *fp;
	int rc = 0;

	if ((size_t)snprintf(p, sizeof(p), "%s/%s", r->dir, name) >=
	    sizeof(p) || r->nfiles == sizeof(r->files) / sizeof(r->files[0]))
		return -1;
	if ((r->files[r->nfiles] = strdup(p)) == NULL)
		return -1;
	r->nfiles++;
	if (text != NULL) {
		if ((fp = fopen(p, "w")) == NULL)
			return -1;
		if (fputs(text, fp) == EOF)
			rc = -1;
		if (fclose(fp) != 0)
			rc = -1;
	}
	if (path != NULL)
		snprintf(path, plen, "%s", p);
	return rc;
}

/* Lowercase hex MD5 of `s` (RFC 2617 H()). */
static int
md5_hex(const char *s, char out[33])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int n = 0, i;

	if (EVP_Digest(s, strlen(s), md, &n, EVP_md5(), NULL) != 1 || n != 16)
		return -1;
	for (i = 0; i < n; i++)
		snprintf(out + 2 * i, 3, "%02x", md[i]);
	return 0;
}

/* Waits until `addr:port` accepts or `pid` exits; 0 when up. */
static int
wait_up(pid_t pid, uint32_t addr, uint16_t port)
{
	struct sockaddr_in sin;
	int64_t t0 = mono_ms();
	int fd, st, ok;

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons(port);
	sin.sin_addr.s_addr = htonl(addr);
	while (mono_ms() - t0 < UP_WAIT_MS) {
		if (waitpid(pid, &st, WNOHANG) == pid)
			return -1;
		if ((fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) ==
		    -1)
			return -1;
		ok = connect(fd, (struct sockaddr *)&sin, sizeof(sin)) == 0;
		close(fd);
		if (ok)
			return 0;
		sleep_ms(50);
	}
	return -1;
}

/* The first bytes of a child's log, for a diagnostic. */
static void
log_head(const char *path, char *buf, size_t len)
{
	FILE *fp;
	size_t n = 0, i;

	buf[0] = '\0';
	if ((fp = fopen(path, "r")) == NULL)
		return;
	n = fread(buf, 1, len - 1, fp);
	fclose(fp);
	buf[n] = '\0';
	for (i = 0; i < n; i++)
		if (buf[i] == '\n' || buf[i] == '\r')
			buf[i] = ' ';
}

static pid_t
spawn(const char *path, char *const argv[], const char *log)
{
	pid_t pid;

	if ((pid = fork()) == 0)
		child_exec(path, argv, log, -1);
	return pid;
}

static int
start_lighttpd(struct devreal *r, const struct dev_real *d,
    const char *path, pid_t *pid, char *log, size_t loglen,
    struct mm_diag *diag)
{
	const struct dev_cred *cr = &devices_creds(NULL)[d->cred];
	int digest = d->kind == REAL_LIGHTTPD_DIGEST;
	const char *realm = digest ? DEV_REAL_REALM_DIGEST :
	    DEV_REAL_REALM_BASIC, *name = devices_real_name(d->kind);
	char conf[2048], users[256], h[256], md[33], a[16], f[64];
	char cpath[PATH_CAP], upath[PATH_CAP], wpath[PATH_CAP];
	char *argv[5];

	fmt_addr(d->addr, a, sizeof(a));
	snprintf(f, sizeof(f), "www/%s.html", name);
	if (put_file(r, f, "<html><head><title>mamori lab</title></head>"
	    "<body>ok</body></html>\n", wpath, sizeof(wpath)) != 0)
		goto io;
	if (digest) {
		snprintf(h, sizeof(h), "%s:%s:%s", cr->user, realm, cr->pass);
		if (md5_hex(h, md) != 0)
			return mm_diag_set(diag, MM_EIO, "devices: MD5 "
			    "unavailable");
		snprintf(users, sizeof(users), "%s:%s:%s\n", cr->user, realm,
		    md);
	} else
		snprintf(users, sizeof(users), "%s:%s\n", cr->user, cr->pass);
	snprintf(f, sizeof(f), "%s.users", name);
	if (put_file(r, f, users, upath, sizeof(upath)) != 0)
		goto io;
	snprintf(f, sizeof(f), "%s.log", name);
	if (put_file(r, f, NULL, log, loglen) != 0)
		goto io;
	snprintf(conf, sizeof(conf),
	    "# written by mamori lab devices --real; removed at exit\n"
	    "server.document-root = \"%s\"\n"
	    "server.bind = \"%s\"\n"
	    "server.port = %u\n"
	    "server.errorlog = \"%s\"\n"
	    "server.modules = ( \"mod_auth\", \"mod_authn_file\" )\n"
	    "index-file.names = ( \"%s.html\" )\n"
	    "mimetype.assign = ( \".html\" => \"text/html\" )\n"
	    "auth.backend = \"%s\"\n"
	    "auth.backend.%s.userfile = \"%s\"\n"
	    "auth.require = ( \"/\" => ( \"method\" => \"%s\", "
	    "\"realm\" => \"%s\", \"require\" => \"valid-user\" ) )\n",
	    r->www, a, (unsigned)d->port, log, name,
	    digest ? "htdigest" : "plain", digest ? "htdigest" : "plain",
	    upath, digest ? "digest" : "basic", realm);
	snprintf(f, sizeof(f), "%s.conf", name);
	if (put_file(r, f, conf, cpath, sizeof(cpath)) != 0)
		goto io;
	argv[0] = (char *)path;
	argv[1] = (char *)"-D";
	argv[2] = (char *)"-f";
	argv[3] = cpath;
	argv[4] = NULL;
	if ((*pid = spawn(path, argv, log)) == -1)
		return mm_diag_set(diag, MM_EIO, "fork: %s", strerror(errno));
	return 0;
io:
	return mm_diag_set(diag, MM_EIO, "devices: cannot write the "
	    "configuration of %s in %s", name, r->dir);
}

/* dropbearkey beside dropbear, else in /usr/bin. */
static void
keygen_path(const char *dropbear, char *out, size_t len)
{
	const char *sl = strrchr(dropbear, '/');

	if (sl != NULL && (size_t)snprintf(out, len, "%.*s/dropbearkey",
	    (int)(sl - dropbear), dropbear) < len && access(out, X_OK) == 0)
		return;
	snprintf(out, len, "/usr/bin/dropbearkey");
}

static int
start_dropbear(struct devreal *r, const struct dev_real *d,
    const char *path, pid_t *pid, char *log, size_t loglen,
    struct mm_diag *diag)
{
	char kpath[PATH_CAP], rpath[PATH_CAP], ppath[PATH_CAP], kg[PATH_CAP];
	char lp[48];
	char out[512], a[16];
	char *argv[20];
	int n = 0;

	fmt_addr(d->addr, a, sizeof(a));
	if (put_file(r, "dropbear.key", NULL, kpath, sizeof(kpath)) != 0 ||
	    put_file(r, "dropbear-rsa.key", NULL, rpath, sizeof(rpath)) != 0 ||
	    put_file(r, "dropbear.pid", NULL, ppath, sizeof(ppath)) != 0 ||
	    put_file(r, "dropbear.log", NULL, log, loglen) != 0)
		return mm_diag_set(diag, MM_EIO, "devices: path too long in "
		    "%s", r->dir);
	keygen_path(path, kg, sizeof(kg));
	argv[0] = kg;
	argv[1] = (char *)"-t";
	argv[2] = (char *)"ed25519";
	argv[3] = (char *)"-f";
	argv[4] = kpath;
	argv[5] = NULL;
	if (access(kg, X_OK) != 0 ||
	    run_capture(kg, argv, out, sizeof(out)) != 0)
		return mm_diag_set(diag, MM_EIO, "devices: %s -t ed25519 "
		    "failed", kg);
	/* an RSA key too: dropbear offers RSA host key algorithms in its
	 * KEXINIT even without one (and then fails the exchange); with
	 * both keys what it offers is what it can do */
	argv[1] = (char *)"-t";
	argv[2] = (char *)"rsa";
	argv[3] = (char *)"-s";
	argv[4] = (char *)"2048";
	argv[5] = (char *)"-f";
	argv[6] = rpath;
	argv[7] = NULL;
	if (run_capture(kg, argv, out, sizeof(out)) != 0)
		return mm_diag_set(diag, MM_EIO, "devices: %s -t rsa failed",
		    kg);
	snprintf(lp, sizeof(lp), "%s:%u", a, (unsigned)d->port);
	argv[n++] = (char *)path;
	argv[n++] = (char *)"-F";	/* foreground */
	argv[n++] = (char *)"-E";	/* log to stderr */
	argv[n++] = (char *)"-s";	/* no password logins */
	argv[n++] = (char *)"-w";	/* no root logins */
	argv[n++] = (char *)"-j";	/* no local forwarding */
	argv[n++] = (char *)"-k";	/* no remote forwarding */
	argv[n++] = (char *)"-c";	/* any login runs /bin/false */
	argv[n++] = (char *)"/bin/false";
	argv[n++] = (char *)"-P";
	argv[n++] = ppath;
	argv[n++] = (char *)"-p";
	argv[n++] = lp;
	argv[n++] = (char *)"-r";
	argv[n++] = kpath;
	argv[n++] = (char *)"-r";
	argv[n++] = rpath;
	argv[n] = NULL;
	if ((*pid = spawn(path, argv, log)) == -1)
		return mm_diag_set(diag, MM_EIO, "fork: %s", strerror(errno));
	return 0;
}

void
devreal_stop(struct devreal *r)
{
	size_t i;

	if (r == NULL)
		return;
	for (i = 0; i < r->npid; i++)
		(void)kill(r->pid[i], SIGTERM);
	for (i = 0; i < r->npid; i++)
		reap_kill(r->pid[i]);
	for (i = 0; i < r->nfiles; i++) {
		(void)unlink(r->files[i]);
		free(r->files[i]);
	}
	if (r->www[0] != '\0')
		(void)rmdir(r->www);
	if (r->dir[0] != '\0')
		(void)rmdir(r->dir);
	free(r);
}

struct devreal *
devreal_start(const struct dev_plan *p, const char *dir,
    const char *const paths[REAL_NKINDS], struct mm_diag *diag)
{
	struct devreal *r;
	const struct dev_real *d;
	char log[PATH_CAP], head[160], a[16], abs[PATH_MAX];
	size_t i;
	pid_t pid = -1;
	int rc;

	if ((r = calloc(1, sizeof(*r))) == NULL) {
		mm_diag_set(diag, MM_ENOMEM, "devices: out of memory");
		return NULL;
	}
	if (p->nreal == 0)
		return r;
	if (dir == NULL || *dir == '\0')
		dir = ".";
	/* absolute: lighttpd changes its directory */
	if (realpath(dir, abs) == NULL) {
		mm_diag_set(diag, MM_EIO, "devices: %s: %s", dir,
		    strerror(errno));
		goto fail;
	}
	dir = abs;
	if (strpbrk(dir, "\"\\\n\r") != NULL || (size_t)snprintf(r->dir,
	    sizeof(r->dir), "%s/mamori-real.XXXXXX", dir) >= sizeof(r->dir) -
	    64) {
		r->dir[0] = '\0';
		mm_diag_set(diag, MM_EINVAL, "devices: directory '%s' unusable "
		    "for the real servers' files (quote, backslash or too "
		    "long)", dir);
		goto fail;
	}
	if (mkdtemp(r->dir) == NULL) {
		mm_diag_set(diag, MM_EIO, "mkdtemp %s: %s", r->dir,
		    strerror(errno));
		r->dir[0] = '\0';
		goto fail;
	}
	snprintf(r->www, sizeof(r->www), "%s/www", r->dir);
	if (mkdir(r->www, 0700) == -1) {
		mm_diag_set(diag, MM_EIO, "mkdir %s: %s", r->www,
		    strerror(errno));
		r->www[0] = '\0';
		goto fail;
	}
	for (i = 0; i < p->nreal; i++) {
		d = &p->real[i];
		if (paths == NULL || paths[d->kind] == NULL) {
			mm_diag_set(diag, MM_EINVAL, "devices: no binary for "
			    "%s", devices_real_name(d->kind));
			goto fail;
		}
		if ((d->addr >> 24) != 127) {
			mm_diag_set(diag, MM_EINVAL, "devices: real server "
			    "address not loopback");
			goto fail;
		}
		if (d->kind == REAL_DROPBEAR)
			rc = start_dropbear(r, d, paths[d->kind], &pid, log,
			    sizeof(log), diag);
		else
			rc = start_lighttpd(r, d, paths[d->kind], &pid, log,
			    sizeof(log), diag);
		if (rc != 0)
			goto fail;
		r->pid[r->npid++] = pid;
		if (wait_up(pid, d->addr, d->port) != 0) {
			log_head(log, head, sizeof(head));
			fmt_addr(d->addr, a, sizeof(a));
			mm_diag_set(diag, MM_EIO, "devices: %s (%s) did not "
			    "come up on %s:%u: %s", devices_real_name(d->kind),
			    paths[d->kind], a, (unsigned)d->port, head);
			goto fail;
		}
	}
	return r;
fail:
	devreal_stop(r);
	return NULL;
}
