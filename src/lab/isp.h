/*
 * isp.h - a seeded, deterministic generator of the flows a small ISP's
 * border/BNG routers would export: subscribers in 100.64.0.0/16 (RFC 6598)
 * and 2001:db8:100::/48, servers in 198.18.0.0/15 and 2001:db8:f000::/36
 * with Zipf-like popularity and private AS numbers, a realistic service mix
 * and heavy-tailed sizes. The addresses are DATA ONLY: nothing here opens a
 * socket, and they are never contacted.
 *
 * The same seed and conf give the same flow sequence on every platform (own
 * xoshiro256** PRNG, integer clock). Flows come in export order: the export
 * clock starts at `start` + ISP_WARMUP_MS (as if the router had been up for
 * a while) and advances 1/flows_per_sec per flow; each flow ends up to 15 s
 * (inactive timeout) before the clock and lasts at most 300 s (active
 * timeout), so no flow starts before `start`. Values fit NetFlow v5 fields (32-bit counters, 16-bit AS and
 * interface numbers) so that every format round-trips.
 */
#ifndef MAMORI_LAB_ISP_H
#define MAMORI_LAB_ISP_H

#include <stdint.h>

#include "flow/flow.h"

#define ISP_DEF_SUBSCRIBERS	5000
#define ISP_MAX_SUBSCRIBERS	65000
#define ISP_DEF_SERVERS		20000
#define ISP_MAX_SERVERS		60000
#define ISP_DEF_V6_PCT		40
#define ISP_DEF_FPS		10000.0
#define ISP_DEF_START		1767225600000LL	/* 2026-01-01T00:00:00Z */
#define ISP_WARMUP_MS		315000		/* active + inactive timeout */

struct isp_conf {
	uint64_t	seed;
	unsigned	subscribers;	/* 0 = 5000 */
	unsigned	servers;	/* 0 = 20000 */
	int		v6_pct;		/* dual-stack subscribers, %; <0 = 40 */
	mtime_t		start;		/* clock at the first flow; 0 = default */
	double		flows_per_sec;	/* clock speed; <= 0 = 10000 */
};

struct isp;

/* Returns a generator (conf may be NULL for defaults), or NULL on bad conf
 * (subscribers/servers above their caps) or out of memory. */
struct isp	*isp_new(const struct isp_conf *conf);
/* Writes the next flow into `f` (fully overwritten; exporter left zero) and
 * advances the clock. Never fails. */
void		 isp_next(struct isp *isp, struct flow *f);
/* The clock: export time of the flow last returned (ms since epoch). */
mtime_t		 isp_clock(const struct isp *isp);
/* Frees; NULL-safe. */
void		 isp_free(struct isp *isp);

#endif
