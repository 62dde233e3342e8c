/*
 * scan.h - the survey's connection engine: one epoll loop, non-blocking
 * connects, a token bucket on new connections, identification probes.
 *
 * Targets come from perm_next() over scope_target(); scope_allows_port() is
 * asked again immediately before every connect (a "no" is counted in
 * scan_stats.scope_refused and nothing is sent). Per target the engine
 * connects (retrying connect timeouts), waits briefly for a banner when the
 * rules name a banner probe for the port (SSH: sshbanner; telnet: IAC
 * negotiation and prompt detection, never a credential), then runs the
 * rules' probes for (proto, port), one connection each (HTTP with
 * "Connection: close", TLS without verification and without SNI; redirects
 * followed at most SCAN_MAX_REDIRECTS times within the same host:port).
 * The observed fields go to rules_match(); the caller gets one
 * struct scan_result per open target through a callback.
 *
 * Credential check (only when cfg->creds is set, see cred.h): a telnet
 * service that showed a login prompt is answered on the same connection
 * (several pairs per connection as the device allows, a reconnect when it
 * closes); an HTTP probe answered 401 with a Basic or Digest challenge is
 * repeated with Authorization, one pair per connection; an SSH service is
 * handed, one attempt per connection, to the worker pool of credssh.h.
 * Every (re)connect of the check pays a token and passes
 * scope_allows_port() first. At most cfg->max_attempts pairs per service;
 * the first success ends the check at once (telnet: closed on the shell
 * prompt; HTTP: no further request; SSH: no channel).
 *
 * --source: with cfg->have_source every socket is bound to that address
 * (port 0) before connect; targets of the other family are skipped and
 * counted in scan_stats.source_skipped.
 *
 * Memory: struct scan_conn (one per target in flight) stays well under
 * 1 KiB; the read buffer (at most SCAN_READ_MAX bytes), the telnet/SSH
 * parsers and the observation arena are allocated only when a port is open
 * and freed when the target ends. Time: every exchange is bounded by
 * --timeout; every read by its byte cap. Deadlines are checked by a linear
 * sweep of the in-flight table every SCAN_SWEEP_MS.
 */
#ifndef MAMORI_SURVEY_SCAN_H
#define MAMORI_SURVEY_SCAN_H

#include <stddef.h>
#include <stdint.h>

#include "core/addr.h"
#include "core/err.h"
#include "survey/cred.h"
#include "survey/perm.h"
#include "survey/rules.h"
#include "survey/scope.h"

#define SCAN_READ_MAX		(32 * 1024)	/* bytes read per exchange */
#define SCAN_BANNER_MAX		4096		/* bytes of a banner read */
#define SCAN_MAX_REDIRECTS	3
#define SCAN_MAX_PROBES		16		/* probes per target */
#define SCAN_MAX_FIELDS		96		/* observed fields per target */
#define SCAN_SWEEP_MS		20
#define SCAN_EXCERPT		160		/* banner excerpt bytes */

/* Token bucket on new connections: `rate` tokens per second, at most
 * `burst` saved up. Pure; times in nanoseconds. */
struct scan_bucket {
	double	rate;
	double	burst;
	double	tokens;
	int64_t	last_ns;
};

/* Initialises `b` full. rate <= 0 means unlimited. */
void	scan_bucket_init(struct scan_bucket *b, double rate, double burst,
	    int64_t now_ns);
/* Takes one token at time now_ns: returns 1, or 0 when empty. */
int	scan_bucket_take(struct scan_bucket *b, int64_t now_ns);

struct scan_cfg {
	double		 rate;		/* new connections per second; 0 = no cap */
	unsigned	 max_concurrent;
	unsigned	 timeout_ms;	/* connect and each exchange */
	unsigned	 banner_ms;	/* banner wait */
	unsigned	 retries;	/* extra connects after a connect timeout */
	const char	*user_agent;
	/* the opt-in credential check: NULL = off (the default) */
	const struct cred_list *creds;
	unsigned	 max_attempts;	/* per service; 0 = CRED_DEF_ATTEMPTS */
	unsigned	 ssh_workers;	/* SSH attempt threads; 0 = 4 */
	/* --source: bind before every connect when have_source */
	int		 have_source;
	struct mm_addr	 source;
	unsigned	 progress_ms;	/* progress callback period; 0 = 500 */
};

/* One open target, delivered to the callback; valid only for the call. */
struct scan_result {
	struct mm_addr	 addr;
	uint16_t	 port;
	int64_t		 time_ms;	/* when the target was first connected */
	const char	*proto;		/* "tcp" or "tls" */
	const char	*service;	/* telnet, ssh, http, https, tls, unknown */
	int		 identified;
	struct rules_ident ident;
	char		 banner[SCAN_EXCERPT + 1];	/* printable excerpt */
	int		 telnet_login;	/* a login/password prompt was seen */
	char		 error[96];	/* last misbehaviour, "" if none */
	/* the credential check, when it ran on this service */
	int		 cred_checked;
	char		 cred_proto[8];	/* telnet, ssh, http, https */
	const char	*cred_id;	/* the pair that worked, or NULL */
	unsigned	 cred_attempts;	/* attempts used */
	/* all observed fields, for the caller's evidence */
	const struct rules_field *fields;
	size_t		 nfields;
};

struct scan_stats {
	uint64_t	total;		/* targets of this shard */
	uint64_t	done;
	uint64_t	open;
	uint64_t	identified;
	uint64_t	connects;	/* connect() calls */
	uint64_t	conn_timeouts;
	uint64_t	refused;	/* RST / unreachable */
	uint64_t	scope_refused;	/* scope_allows_port said no */
	uint64_t	errors;		/* bounded misbehaviour (caps, TLS) */
	uint64_t	inflight;	/* targets in flight now */
	uint64_t	inflight_max;
	uint64_t	cred_services;	/* services the check ran on */
	uint64_t	cred_attempts;	/* pairs tried */
	uint64_t	cred_found;	/* services that accepted a pair */
	uint64_t	source_skipped;	/* targets of the other family than
					   --source */
	int64_t		start_ns, now_ns;
};

typedef void (*scan_result_cb)(const struct scan_result *r, void *arg);
typedef void (*scan_progress_cb)(const struct scan_stats *s, void *arg);

/* Runs the scan of `perm`'s targets over `scope` until the permutation is
 * exhausted or *stop becomes non-zero (signal handler). Calls `cb` for each
 * open target and `progress` (may be NULL) every cfg->progress_ms (default
 * 500 ms). `perm` is
 * advanced (save it for --resume). Returns 0, MM_ENOMEM or MM_EIO (epoll,
 * TLS context) with `d` set; *st gets the counters. */
int	scan_run(const struct scan_cfg *cfg, const struct scope *scope,
	    struct perm *perm, const struct rules *rules,
	    scan_result_cb cb, scan_progress_cb progress, void *arg,
	    volatile int *stop, struct scan_stats *st, struct mm_diag *d);

/* Monotonic clock in nanoseconds. */
int64_t	scan_now_ns(void);

/* Copies `n` bytes of `s` into out (cap >= 1) as a printable excerpt:
 * control bytes become '.', CR LF become ' '. Returns out. */
char	*scan_excerpt(const char *s, size_t n, char *out, size_t cap);

#endif
