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

/*
 * The model's address plan, for generators that add traffic of their own
 * (lab/day.h) to the same subscribers and servers. Subscriber i (0-based):
 * 100.64.0.0 + 1 + i, or 2001:db8:100:(i+1)::1 when `v6`. Server id (0-based,
 * below 65536): 198.18.0.0 + 1 + id or 2001:db8:f000::(id+1); ids 65536 and
 * up are the P2P/scanner peers in 198.19.0.0/16 and 2001:db8:f001::/48.
 */
void		 isp_subscriber_addr(unsigned i, int v6, struct mm_addr *a);
/* 1 if subscriber i is dual-stack when v6_pct % of subscribers are. */
int		 isp_subscriber_dual(unsigned i, int v6_pct);
void		 isp_server_addr(uint32_t id, int v6, struct mm_addr *a);
/* The private AS of server id (fixed by the id). */
uint32_t	 isp_server_as(uint32_t id);
/* Id of the k-th most popular server (k from 0) of the service slice that
 * carries (proto, port) traffic, for `servers` servers: web 6/443, 17/443
 * and 6/80, DNS 17/53, NTP 17/123, mail 6/25, 6/587, 6/993, SSH 6/22.
 * Returns 0 and sets *id, or -1 for another service. */
int		 isp_server_pick(unsigned servers, uint8_t proto, uint16_t port,
		    uint32_t k, uint32_t *id);

#endif
