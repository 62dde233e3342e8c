/*
 * c2.h - the C&C detector behind `mamori c2`: beaconing subscribers and the
 * external servers they beacon to, from flows in the store.
 *
 * One run scans the window (default: the 24 h ending at the newest flow in
 * the store) on all requested cores, keeps a bounded state per (internal
 * client, external server, server port, protocol) pair, scores each pair
 * with RITA v5's beacon formulas (c2/beacon.h), aggregates pairs per external
 * service (address, port, protocol) into a ranked C&C-server score that
 * rewards many similarly beaconing clients and penalises popular services,
 * applies reputation feeds and allowlists (c2/intel.h) and returns ranked
 * servers with their beaconing clients. c2_findings_write() turns a result
 * into c2-server / c2-client findings (idempotent: re-running a window
 * updates the same findings). See docs/c2-scoring.md for every formula and
 * docs/mamori-c2.1 for the command.
 *
 * Connections: a connection is one flow from an internal address to an
 * external one (src internal, dst external); flows in the other direction
 * (the server's replies in unidirectional export, or inbound connections)
 * are counted and skipped, which de-duplicates the two records routers
 * export per connection. Internal-to-internal and external-to-external flows
 * are skipped too. Flows of one pair starting in the same second are one
 * connection in the time sample (RITA's one-second resolution).
 *
 * Memory: 64 bytes per pair (plus ~10 of hash slot; addresses are
 * interned) and, for pairs with a fourth distinct second, a 352-byte sample
 * (the 8 earliest connections in each quarter of the window, a 24-bin count
 * histogram, a source-port bitmap). Both tables are capped (c2_conf.max_pairs,
 * max_big); flows of pairs beyond the cap are counted, not kept. Pairs whose
 * flow rate exceeds strobe_per_day (scaled to the window) are strobes:
 * reported in counters, never scored as beacons. TCP pairs whose records
 * mostly share a source port are one long-lived connection, not beacons.
 */
#ifndef MAMORI_C2_C2_H
#define MAMORI_C2_C2_H

#include <stddef.h>
#include <stdint.h>

#include "c2/beacon.h"
#include "c2/intel.h"
#include "core/addr.h"
#include "core/err.h"
#include "core/mtime.h"
#include "findings/findings.h"

#define C2_DETECTOR	"c2"
#define C2_KIND_SERVER	"c2-server"
#define C2_KIND_CLIENT	"c2-client"

#define C2_STRATA	4	/* window quarters in the big sample */
#define C2_PER_STRATUM	8	/* earliest connections kept per quarter */
#define C2_SMALL	3	/* connections kept inline per pair */
#define C2_SAMPLE_MAX	(C2_STRATA * C2_PER_STRATUM)
#define C2_MAX_INTERNAL	4096	/* --internal prefixes */
#define C2_MAX_SAMPLES	8	/* sample flows in evidence per pair */

struct c2_conf {
	const char * const	*paths;		/* data dirs / dirs / files */
	size_t			 npaths;
	const char		*clickhouse;	/* base URL: read mamori.flows
						 * there instead of paths */
	const struct mm_prefix	*internal;	/* the operator's networks */
	size_t			 ninternal;
	int			 has_window;	/* else newest flow - window_ms */
	struct mtime_window	 window;
	mtime_t			 window_ms;	/* 0 = 24 h */
	int			 threads;	/* 0 = online CPUs */
	const struct intel	*intel;		/* feeds + allowlists; NULL */
	struct c2_beacon_conf	 beacon;	/* RITA knobs */
	double			 beacon_min;	/* pair score => beaconing */
	uint32_t		 min_conns;	/* distinct seconds to score */
	uint64_t		 max_pairs;	/* 0 = 40 M */
	uint64_t		 max_big;	/* 0 = 8 M */
	uint64_t		 strobe_per_day; /* 0 = 86400 */
	int			 keep_allowed;	/* report allowlisted servers */
	double			 popular;	/* prevalence scale of the
						 * popularity penalty (0.08) */
};

/* Sets the defaults (RITA knobs, beacon_min 0.7, min_conns 4, caps). */
void	c2_conf_default(struct c2_conf *c);

struct c2_pair_result {
	struct mm_addr		 cli, srv;
	uint16_t		 port;
	uint8_t			 proto;
	uint8_t			 beacon;	/* strength >= beacon_min */
	uint8_t			 persistent;	/* one long-lived connection */
	uint8_t			 consistent;	/* not a strong beacon, but
						 * follows the server's period */
	double			 strength;	/* max(RITA, partial-window) */
	uint32_t		 conns;		/* client->server flows */
	uint32_t		 sampling;	/* max 1-in-N seen */
	mtime_t			 first, last;	/* ms */
	uint64_t		 bytes, packets;
	double			 period;	/* median interval, s */
	double			 jitter;	/* MAD / median interval */
	double			 size;		/* median bytes / connection */
	struct c2_beacon_score	 sc;
	uint32_t		 nsamples;
	uint32_t		 sample_t[C2_MAX_SAMPLES];	/* s from window */
	uint32_t		 sample_b[C2_MAX_SAMPLES];
};

struct c2_server_result {
	struct mm_addr		 srv;
	uint16_t		 port;
	uint8_t			 proto;
	uint32_t		 clients;	/* distinct internal clients */
	uint32_t		 beacons;	/* of them beaconing */
	uint32_t		 consistent;	/* + following the period */
	uint64_t		 flows, bytes, packets;
	mtime_t			 first, last;	/* ms, in the window */
	double			 score;		/* ranked C&C-server score */
	double			 beacon_mean;	/* mean pair score of beacons */
	double			 fanin;		/* 1 - exp(-(beacons-1)/3) */
	double			 sim_period;	/* share near the median period */
	double			 sim_size;	/* share near the median size */
	double			 purity;	/* beacons / clients */
	double			 prevalence;	/* clients / all clients */
	double			 popularity;	/* 1 / (1 + (prev/popular)^2) */
	double			 period;	/* median period of beacons, s */
	double			 jitter;	/* median jitter of beacons */
	double			 size;		/* median bytes / connection */
	double			 size_min, size_max;
	uint32_t		 srv_ports;	/* distinct ports on this addr */
	uint32_t		 port_servers;	/* services on this port */
	uint32_t		 port_clients;	/* pairs on this port */
	uint32_t		 strobes;	/* strobing clients */
	int			 intel_hit;
	struct intel_hit	 hit;
	int			 allowed;
	int			 shared_hosting; /* allowlisted cloud/cdn: x0.5 */
	const char		*allow_category;	/* into the intel */
	size_t			 pair_off, npairs;	/* into result pairs */
};

struct c2_stats {
	uint64_t	files, blocks, rows;
	uint64_t	outbound;	/* internal -> external flows used */
	uint64_t	inbound;	/* external -> internal: skipped */
	uint64_t	internal_only, external_only;
	uint64_t	outside_window;
	uint64_t	bad_time;	/* first == 0 */
	uint64_t	reversed_time;	/* last < first (used with first) */
	uint64_t	huge_counters;	/* bytes/packets clamped */
	uint64_t	pairs, big_pairs, pairs_scored;
	uint64_t	dropped_pairs;	/* flows lost to max_pairs/max_big */
	uint64_t	strobes, beacons, persistent;
	uint64_t	clients, ext_servers;	/* distinct addresses */
	uint64_t	errors;		/* unreadable files / corrupt blocks */
	uint64_t	mem_bytes;	/* pair + sample tables at the end */
	uint64_t	services;	/* distinct (server, port, proto) */
	uint32_t	max_sampling;
	double		scan_s, score_s;	/* wall */
	double		scan_cpu_s, score_cpu_s;	/* process CPU */
	uint64_t	rss_scan_kb, rss_kb;	/* peak RSS after scan / end */
};

struct c2_result {
	struct mtime_window	 window;
	struct c2_server_result	*servers;	/* ranked, best first */
	size_t			 nservers;
	struct c2_pair_result	*pairs;		/* per server, best first */
	size_t			 npairs;
	struct c2_stats		 st;
	char			 first_error[MM_DIAG_LEN];
};

/*
 * Runs the detector. Fills `res` (free with c2_result_free()); servers are
 * every external service with at least one beaconing client or a
 * reputation hit (allowlisted ones only with keep_allowed), ranked by score.
 * Returns 0, or MM_EINVAL (no internal prefixes), MM_ENOENT (no data in the
 * store), MM_ENOMEM, MM_EIO with `diag`. Unreadable files and corrupt blocks
 * are counted (st.errors, first message in res->first_error) and skipped.
 */
int	c2_run(const struct c2_conf *c, struct c2_result *res,
	    struct mm_diag *diag);
/* Frees the arrays of `res`; NULL-safe. */
void	c2_result_free(struct c2_result *res);

/*
 * Writes findings for servers with score >= min_score: one c2-server per
 * service and one c2-client per beaconing client (dedup_extra = the server
 * address), in one transaction, counts replaced (a re-run of a window is
 * idempotent). *nsrv / *ncli (may be NULL) get the numbers written. Returns
 * 0 or an MM_E* from the findings store.
 */
int	c2_findings_write(struct findings_db *db, const struct c2_result *res,
	    double min_score, size_t *nsrv, size_t *ncli, struct mm_diag *diag);

/* Severity for a server/client score (and a reputation hit). */
enum finding_severity c2_severity(double score, int intel_hit);

/* One-line NOC summary of a server / of a client of it, into buf. */
char	*c2_server_summary(const struct c2_result *res,
	    const struct c2_server_result *s, char *buf, size_t len);
char	*c2_client_summary(const struct c2_server_result *s,
	    const struct c2_pair_result *p, char *buf, size_t len);

/* Evidence JSON objects (malloc'd text; NULL on allocation failure). */
char	*c2_server_evidence(const struct c2_result *res,
	    const struct c2_server_result *s);
char	*c2_client_evidence(const struct c2_result *res,
	    const struct c2_server_result *s, const struct c2_pair_result *p);

/* ---- evaluation against lab ground truth (docs/lab-truth.md) ---- */

struct c2_eval {
	size_t	truth_servers, truth_servers5;	/* all / with >= 5 clients */
	size_t	truth_clients;			/* (client, server) pairs */
	size_t	truth_subscribers;		/* distinct infected clients */
	size_t	found_servers, found_servers5, found_clients;
	size_t	found_subscribers;		/* with any of their servers */
	size_t	reported_servers, false_servers;
	size_t	reported_clients, false_clients;
	size_t	external_servers;		/* from the truth */
	double	server_precision, server_recall, server_recall5;
	double	client_precision, client_recall, subscriber_recall;
	double	false_per_10k;
	char	missed[16][ADDR_STRLEN + 16];	/* first missed >=5 servers */
	size_t	nmissed;
};

/*
 * Compares the c2 findings in `db` (detector "c2", last_seen >= since) with
 * the ground truth JSON at `truth_path`. Returns 0, or MM_EIO / MM_EFORMAT
 * (truth unreadable or not the documented shape) / MM_EIO (findings).
 */
int	c2_eval_run(struct findings_db *db, const char *truth_path,
	    mtime_t since, struct c2_eval *ev, struct mm_diag *diag);

#endif
