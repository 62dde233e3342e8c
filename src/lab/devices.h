/*
 * devices.h - the lab's emulated device fleet (`mamori lab devices`): a
 * seeded plan of devices on 127.x.y.z addresses, its ground truth, and a
 * one-process, one-event-loop server that answers as those devices.
 *
 * Network rule: the fleet binds ONLY addresses inside 127.0.0.0/8 (every
 * 127.x.y.z is local on Linux, so no configuration is needed); the range
 * parser refuses anything else and there is no override.
 *
 * The plan (devplan_*) is pure: same seed and range, same devices, same
 * truth. The server (devsrv_*, devices_srv.c) binds one listening socket
 * per planned (address, port) and serves every connection from bounded
 * per-connection buffers; it never runs anything a client sends. SSH
 * services with a password login are served by a bounded libssh thread
 * pool (devssh_*, devices_ssh.c); real lighttpd and dropbear processes
 * can run beside them (devreal_*, devices_real.c). devices_ssh.c is the
 * only file that needs libssh: callers that use only the plan and devsrv
 * do not pull it in.
 */
#ifndef MAMORI_LAB_DEVICES_H
#define MAMORI_LAB_DEVICES_H

#include <stddef.h>
#include <stdint.h>

#include "core/err.h"

#define DEV_MAX_ADDRS		65536	/* a /16 at most */
#define DEV_MAX_PORTS		3	/* open ports per device */

enum dev_kind {
	DEV_TELNET = 1,		/* IoT telnetd with a default login */
	DEV_HTTP,		/* camera/router web UI, Basic auth or open */
	DEV_VPN,		/* VPN portal, HTTP and HTTPS */
	DEV_SSH,		/* identification string, then close;
				 * with a credential: a libssh server
				 * (devices_ssh.c) with password auth */
	DEV_HOSTILE		/* see enum dev_hostile */
};

enum dev_hostile {
	HOST_NONE = 0,
	HOST_ENDLESS,		/* endless banner */
	HOST_DRIP,		/* one byte per second */
	HOST_RESET,		/* RST at once */
	HOST_IACFLOOD,		/* malformed telnet negotiation, endless */
	HOST_HUGEHDR,		/* HTTP headers that never end */
	HOST_REDIRECT,		/* HTTP redirect loop */
	HOST_TLSERR,		/* TLS alert to any ClientHello */
	HOST_NKINDS
};

/* A default credential (publicly documented Mirai pairs). */
struct dev_cred {
	const char	*id;
	const char	*user;
	const char	*pass;
};

/* One service template: what a port answers and what the truth says. */
struct dev_svctpl {
	const char	*name;		/* template id, e.g. "fgt-6.0.4" */
	enum dev_kind	 kind;
	const char	*service;	/* telnet, http, ssh, ... */
	const char	*vendor;
	const char	*product;
	const char	*version;	/* "" when not revealed */
	const char	*cpe;
	const char	*cves;		/* comma-separated, "" for none */
	const char	*text;		/* telnet prompt / SSH id / Server: */
	const char	*realm;		/* Basic realm, NULL = no auth */
	const char	*title;		/* HTML <title> */
	const char	*evidence;	/* where the version shows */
	int		 cred;		/* index into devices_creds(), -1 */
	int		 portal;	/* DEV_VPN: which product's pages */
	uint32_t	 gzmtime;	/* Citrix: gzip member time;
					   FortiGate, GlobalProtect: ETag time */
	enum dev_hostile hostile;
	/* NULL: the survey can name this product. Else the prompt is
	 * shared with generic devices and the survey can only report this
	 * generic product (vendor and version ""): the truth then says
	 * "identifiable": false and "expected" (docs/lab-devices.md). */
	const char	*generic;
	/* With `generic`: the vendor that generic result names ("" or NULL
	 * for none), e.g. "Fortinet" for a FortiGate whose build the
	 * shipped rules cannot tell. */
	const char	*generic_vendor;
	/* FortiGate 7.x: the per-build 32-hex string the SSL-VPN login page
	 * carries (as an asset path prefix); NULL elsewhere. */
	const char	*build_hash;
	/* SSH served by the emulator (no login): what its KEXINIT offers
	 * (RFC 4253 7.1), sent once the client's identification line
	 * arrives, as OpenSSH does; the host key types for the truth. NULL
	 * elsewhere (the libssh servers of devices_ssh.c send their own). */
	const char	*ssh_hostkey_algs;
	const char	*ssh_kex;
	const char	*ssh_hostkey;
};

/* A real server run beside the emulator (devices_real.c). */
enum dev_realkind {
	REAL_LIGHTTPD_BASIC = 1,	/* lighttpd, mod_auth Basic */
	REAL_LIGHTTPD_DIGEST,		/* lighttpd, mod_auth Digest */
	REAL_DROPBEAR,			/* dropbear, identification only */
	REAL_NKINDS
};

#define DEV_MAX_REAL	(REAL_NKINDS - 1)

/* realms of the real lighttpd servers (devices_real.c) */
#define DEV_REAL_REALM_BASIC	"mamori lab Basic"
#define DEV_REAL_REALM_DIGEST	"mamori lab Digest"

struct dev_real {
	enum dev_realkind kind;
	uint32_t	 addr;		/* a free address of the range */
	uint16_t	 port;
	char		 version[32];	/* from `lighttpd -v`, `dropbear -V` */
	int		 cred;		/* index into devices_creds(), -1 */
};

struct dev_service {
	uint32_t	 addr;		/* host order, inside 127/8 */
	uint16_t	 port;
	uint16_t	 tpl;		/* index into devices_templates() */
};

struct dev_device {
	uint32_t	 addr;
	const char	*type;		/* camera, dvr, router, vpn, ... */
	const char	*profile;
	size_t		 svc;		/* first service index */
	size_t		 nsvc;
};

struct dev_conf {
	uint32_t	 net;		/* host order */
	int		 plen;		/* 16..32 */
	int		 live_pct;	/* 0..100, default 4 */
	int		 hostile_pct;	/* share of live devices, 0..100 */
	uint64_t	 seed;
	/* "Fixed" devices (host order, borrowed): their owners closed every
	 * exposed service, so they are planned as silent. Lets a test fix a
	 * device between a survey and `mamori notify recheck`. */
	const uint32_t	*fixed;
	size_t		 nfixed;	/* at most DEV_MAX_FIXED */
};

#define DEV_MAX_FIXED	4096

struct dev_plan {
	struct dev_conf		 conf;
	struct dev_device	*dev;
	size_t			 ndev;
	struct dev_service	*svc;
	size_t			 nsvc;
	size_t			 naddrs;	/* addresses in the range */
	struct dev_real		 real[DEV_MAX_REAL];	/* devplan_add_real */
	size_t			 nreal;
};

/* Parses "127.10.0.0/20" into host-order `net` and `plen`. Returns 0,
 * MM_ESYNTAX, MM_ERANGE (prefix shorter than /16) or MM_EINVAL when the
 * range is not wholly inside 127.0.0.0/8; `diag` says which. Host bits
 * set in the address are an error (MM_ESYNTAX). */
int	devices_parse_range(const char *s, uint32_t *net, int *plen,
	    struct mm_diag *diag);

/* The static tables; never NULL. */
const struct dev_cred	*devices_creds(size_t *n);
const struct dev_svctpl	*devices_templates(size_t *n);

/* Name of a hostile behaviour ("endless", ...); "" for HOST_NONE. */
const char	*devices_hostile_name(enum dev_hostile h);

/* Builds the plan for `c` (deterministic in seed and range): each address
 * but .0/.255 is live with live_pct %, each live device gets a profile of
 * 1-3 services, hostile_pct % of live devices are one hostile service.
 * Returns 0 with `*out` (caller frees with devplan_free), or MM_EINVAL /
 * MM_ENOMEM with `diag` set. */
int	devplan_new(const struct dev_conf *c, struct dev_plan **out,
	    struct mm_diag *diag);

/* Frees `p`; NULL-safe. */
void	devplan_free(struct dev_plan *p);

/* The ground truth as JSON (docs/lab-devices.md) in a malloc'd buffer the
 * caller frees. With `secrets` the default passwords are included (field
 * "credential_secret", for tests only). Returns 0 or MM_ENOMEM. */
int	devplan_truth_json(const struct dev_plan *p, int secrets,
	    char **buf, size_t *len);

/* 1 if the service speaks TLS (a VPN portal on 443 or 10443). */
int	devices_svc_tls(const struct dev_service *s);

/* 1 if the service is an SSH server with a password login (served by
 * devices_ssh.c, not by the event loop of devices_srv.c). */
int	devices_svc_sshlogin(const struct dev_service *s);

/* Opens the listening socket of service `s` (non-blocking, close-on-exec,
 * SO_REUSEADDR, backlog 128) into *fd. Refuses an address outside
 * 127.0.0.0/8 (MM_EINVAL); socket/bind/listen errors are MM_EIO naming
 * ADDR:PORT, with nothing left open. Returns 0 or the error with `diag`. */
int	devices_listen(const struct dev_service *s, int *fd,
	    struct mm_diag *diag);

/* Adds a real server of `kind` reporting `version` (at most 31 bytes of
 * [0-9A-Za-z.+~-]) to the plan, on the highest address of the range that
 * is neither planned nor .0/.255 nor used by an earlier real server.
 * Returns 0, MM_EINVAL (bad kind or version, already added) or MM_ELIMIT
 * (no free address) with `diag` set. */
int	devplan_add_real(struct dev_plan *p, enum dev_realkind kind,
	    const char *version, struct mm_diag *diag);

/* Name of a real server kind ("lighttpd-basic", ...). */
const char	*devices_real_name(enum dev_realkind k);

/* ---- TLS (devices_tls.c, OpenSSL 3) ---- */

struct ssl_ctx_st;

/* A TLS server context with a fresh self-signed certificate (EC P-256,
 * subject O=vendor, CN=product). Returns NULL with `diag` set on failure;
 * free with devtls_ctx_free (NULL-safe). */
struct ssl_ctx_st	*devtls_ctx_new(const char *vendor, const char *product,
			    struct mm_diag *diag);
void			 devtls_ctx_free(struct ssl_ctx_st *ctx);

/* ---- server (devices_srv.c) ---- */

struct devsrv;

struct devsrv_conf {
	int		 max_conns;	/* 0 = from RLIMIT_NOFILE */
	int		 idle_ms;	/* 0 = 10000 */
	int		 life_ms;	/* 0 = 60000: cap per connection */
};

struct devsrv_counters {
	uint64_t	accepted;
	uint64_t	closed;
	uint64_t	paused;		/* accept backpressure episodes */
	uint64_t	logins_ok;
	uint64_t	logins_bad;
	uint64_t	http_requests;
	uint64_t	timeouts;
};

/* Raises RLIMIT_NOFILE's soft limit to the hard limit, then binds and
 * listens on every planned (address, port). Returns NULL with `diag` set
 * (naming the address and port) on failure. `p` must outlive the server. */
struct devsrv	*devsrv_open(const struct dev_plan *p,
		    const struct devsrv_conf *c, struct mm_diag *diag);

/* Number of listening sockets. */
size_t	devsrv_nlisten(const struct devsrv *s);

/* Runs the event loop until `*stop` (NULL: never) becomes non-zero
 * (polled at least every 100 ms) or `ms` milliseconds pass (0 = no
 * limit). Returns 0 or MM_EIO with `diag` set. */
int	devsrv_run(struct devsrv *s, volatile int *stop, int64_t ms,
	    struct mm_diag *diag);

void	devsrv_counters(const struct devsrv *s, struct devsrv_counters *c);

/* Counts one accepted connection on device `dev` (an index into the
 * plan's devices) made outside the event loop (the SSH threads of
 * devices_ssh.c). Thread-safe. */
void	devsrv_count_accept(struct devsrv *s, size_t dev);

/* Counts one password login accepted (`ok`) or refused. Thread-safe. */
void	devsrv_count_login(struct devsrv *s, int ok);

/* Per-address accepted connections as JSON (docs/lab-devices.md), with
 * the fleet's total ("accepts") and the Unix ms times of the first and
 * last accept (null before any), in a malloc'd buffer the caller frees.
 * Returns 0 or MM_ENOMEM. */
int	devsrv_counts_json(const struct devsrv *s, char **buf, size_t *len);

/* Closes every socket and frees `s`; NULL-safe. */
void	devsrv_close(struct devsrv *s);

/* ---- SSH servers with password login (devices_ssh.c, libssh) ---- */

struct devssh;

#define DEVSSH_WORKERS	32	/* sessions served at once */
#define DEVSSH_STACK	(512 * 1024)	/* per thread */
#define DEVSSH_QUEUE	64	/* accepted, waiting for a worker */
#define DEVSSH_LIFE_MS	15000	/* cap per session: socket shut after */
#define DEVSSH_TIMEOUT_S 5	/* libssh per-operation timeout */

/* Binds one listening socket per SSH-login service of the plan
 * (devices_svc_sshlogin), makes one ed25519 host key per template and
 * starts an accept thread and DEVSSH_WORKERS worker threads. A session
 * is authenticated with passwords only; exactly the template's default
 * pair is accepted, then the session is closed (no channel, no shell).
 * Accepts are counted in `srv`. Returns NULL with `diag` set on
 * failure; a plan without such services gives a handle with no
 * thread. `p` and `srv` must outlive the handle. */
struct devssh	*devssh_open(const struct dev_plan *p, struct devsrv *srv,
		    struct mm_diag *diag);

/* Number of listening sockets. */
size_t	devssh_nlisten(const struct devssh *h);

/* Stops the threads (open sessions are shut down), closes every socket
 * and frees `h`; NULL-safe. */
void	devssh_close(struct devssh *h);

/* ---- real servers (devices_real.c) ---- */

struct devreal;

/* The version a real server binary reports: `path -v` (lighttpd,
 * "lighttpd/1.4.69 ...") or `path -V` (dropbear, "Dropbear v2022.83"),
 * run without a shell, output capped at 4 KiB, 10 s at most. Returns 0
 * with `ver` set, MM_ENOENT when the binary is not executable, or
 * MM_EFORMAT / MM_EIO with `diag` set. */
int	devreal_version(enum dev_realkind k, const char *path, char *ver,
	    size_t len, struct mm_diag *diag);

/* Starts the plan's real servers: writes their configuration, user
 * files and keys into a new directory `dir`/mamori-real.XXXXXX, starts
 * each binary (lighttpd -D -f CONF; dropbear -F -E -p ADDR:22 -r KEY)
 * with PR_SET_PDEATHSIG, and waits (5 s at most each) until it accepts
 * on its address. `paths` holds the binaries by kind. Returns NULL with
 * `diag` set on failure (children already started are stopped). */
struct devreal	*devreal_start(const struct dev_plan *p, const char *dir,
		    const char *const paths[REAL_NKINDS],
		    struct mm_diag *diag);

/* SIGTERM to every child, SIGKILL after 3 s, reaps them, removes the
 * directory; NULL-safe. */
void	devreal_stop(struct devreal *r);

#endif
