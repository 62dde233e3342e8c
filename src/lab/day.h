/*
 * day.h - a seeded generator of one labelled synthetic ISP day: the
 * background traffic of lab/isp.h (diurnally modulated), benign periodic
 * services (push-notification keepalives, NTP, mail polling, OS update
 * checks, IoT telemetry: periodic like beacons, on popular servers) and K
 * planted botnets whose infected subscribers beacon to C&C servers. The
 * botnets are the ground truth that `mamori c2 eval` scores against
 * (docs/lab-truth.md; day_truth_json() writes it).
 *
 * Addresses are DATA ONLY, never contacted: subscribers are lab/isp.h's
 * (inside the declared internal prefixes 100.64.0.0/10 and
 * 2001:db8:100::/40), background servers 198.18.0.0/15 and
 * 2001:db8:f000::/36, C&C servers are drawn from 198.51.100.0/24,
 * 203.0.113.0/24, 192.0.2.64/26+ and 2001:db8:c2::/48 (disjoint from every
 * background server and next hop).
 *
 * Flows come out in nondecreasing EXPORT time (the time a router would send
 * the record: last packet + inactive timeout for short flows, lab/isp.h's
 * export clock for background flows), merged from all sources with a heap,
 * so the export time can serve directly as a collector's receive time.
 * Every flow satisfies start <= first <= last < start + duration.
 * The same seed and conf give the same flows.
 */
#ifndef MAMORI_LAB_DAY_H
#define MAMORI_LAB_DAY_H

#include <stddef.h>
#include <stdint.h>

#include "core/addr.h"
#include "core/err.h"
#include "flow/flow.h"

#define DAY_DEF_SUBSCRIBERS	5000
#define DAY_DEF_BOTNETS		12
#define DAY_MAX_BOTNETS		64
#define DAY_MAX_CLIENTS		200		/* per botnet */
#define DAY_DEF_DURATION	(86400 * 1000LL)
#define DAY_MAX_DURATION	(31 * 86400 * 1000LL)
#define DAY_DEF_BG_PER_SUB	250		/* background flows per
						   subscriber per day */
#define DAY_INACTIVE_MS		15000		/* exporter inactive timeout */
#define DAY_MAX_SAMPLING	65535

enum day_behaviour {
	DAY_STEADY = 0,		/* beacons all day */
	DAY_SLEEPING = 1,	/* on/off periods (per-client phase) */
	DAY_ROTATING = 2	/* switches to a new server every rotate_ms */
};

struct day_conf {
	uint64_t	seed;
	unsigned	subscribers;	/* 0 = 5000 (max 65000) */
	int		botnets;	/* < 0 = 12; 0 = none (max 64) */
	int		v6_pct;		/* dual-stack subscribers %; < 0 = 40 */
	mtime_t		start;		/* 0 = 2026-01-01T00:00:00Z */
	mtime_t		duration;	/* 0 = 24 h */
	uint64_t	flows;		/* target total before sampling: the
					   background fills what the periodic
					   services and botnets leave; 0 =
					   background of 250 per subscriber
					   per day plus the rest */
	uint32_t	sampling;	/* 1-in-N packet sampling; 0/1 = none */
	int		no_background;	/* 1: botnets and periodic only */
};

/* A C&C server of a botnet and the window in which clients use it. */
struct day_server {
	struct mm_addr	addr;
	uint16_t	port;
	uint8_t		proto;
	mtime_t		from, to;	/* [from, to) */
};

struct day_botnet {
	char			 name[8];	/* "bn01" ... */
	const char		*family;	/* descriptive label */
	enum day_behaviour	 behaviour;
	uint8_t			 proto;
	uint16_t		 port;
	int			 v6;		/* clients beacon over IPv6 */
	mtime_t			 period_ms;	/* mean beacon interval */
	double			 jitter;	/* 0..0.3: uniform +-jitter*period */
	uint32_t		 req_bytes;	/* request flow bytes (+ <= 2 %) */
	uint32_t		 resp_bytes;	/* usual response flow bytes */
	uint16_t		 req_pkts, resp_pkts;
	mtime_t			 on_ms, off_ms;	/* DAY_SLEEPING cycle, or */
	double			 gap_prob;	/* per beacon, a long gap of */
	mtime_t			 gap_lo_ms, gap_hi_ms;	/* this length */
	mtime_t			 rotate_ms;	/* DAY_ROTATING */
	struct day_server	*servers;
	uint64_t		*server_flows;	/* per server, emitted so far */
	size_t			 nservers;
	uint32_t		*clients;	/* subscriber indices */
	struct mm_addr		*client_addrs;
	uint64_t		*client_flows;	/* per client, emitted so far */
	size_t			 nclients;
	uint64_t		 flows;		/* emitted so far (after sampling) */
	uint64_t		 beacons;
};

/* A benign periodic service (not part of the truth's botnets; listed so
 * that evaluations can name known false positives). */
struct day_periodic {
	const char		*name;
	uint8_t			 proto;
	uint16_t		 port;
	mtime_t			 period_ms;
	double			 jitter;
	int			 persistent;	/* keepalives on one connection */
	struct mm_addr		 servers[4];
	size_t			 nservers;
	size_t			 nclients;
	uint64_t		 flows;
};

struct day_counters {
	uint64_t	flows;		/* returned by day_next() */
	uint64_t	packets;
	uint64_t	bytes;
	uint64_t	background;	/* of which: lab/isp.h flows */
	uint64_t	periodic;	/* benign periodic services */
	uint64_t	botnet;		/* C&C beacons */
	uint64_t	sampled_out;	/* dropped: no packet sampled */
};

struct day;

/* Returns a generator, or NULL with `diag` set on a bad conf (limits
 * above) or out of memory. The caller frees it with day_free(). */
struct day	*day_new(const struct day_conf *conf, struct mm_diag *diag);

/*
 * Writes the next flow into `f` (fully overwritten) and its export time
 * into *export_ms (nondecreasing from call to call; >= f->last).
 * Returns 1, or 0 when the day is over.
 */
int		 day_next(struct day *d, struct flow *f, mtime_t *export_ms);

/* The effective conf (defaults filled in). */
const struct day_conf *day_conf(const struct day *d);
/* The planted botnets (n of them); valid until day_free(). */
const struct day_botnet *day_botnets(const struct day *d, size_t *n);
/* The benign periodic services. */
const struct day_periodic *day_periodics(const struct day *d, size_t *n);
/* Totals so far. */
void		 day_counters(const struct day *d, struct day_counters *c);

/*
 * The ground truth as one JSON document (docs/lab-truth.md) in a malloc'd,
 * NUL-terminated buffer the caller frees. Returns 0 or MM_ENOMEM. Call it
 * after the day is generated: it lists the servers and clients that have
 * flows in the data (a sleeping client may never wake in a short day,
 * sampling may drop every flow of one), with flow counts, and the planted
 * totals.
 */
int		 day_truth_json(const struct day *d, char **out, size_t *len);

/* Frees; NULL-safe. */
void		 day_free(struct day *d);

#endif
