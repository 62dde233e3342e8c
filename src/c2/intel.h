/*
 * intel.h - threat-intelligence knowledge for the C&C detector: reputation
 * feeds that raise scores and allowlists that suppress them.
 *
 * One `struct intel` holds any number of loaded files of two kinds:
 *
 *  feeds      indicators "this address / prefix (optionally: this port) is a
 *             known C&C or malicious server", each with a tag (malware family
 *             or label), a confidence 0..100, the source feed name and an
 *             optional expiry. Formats: a simple CSV (also abuse.ch Feodo
 *             Tracker CSV / plain IP lists / "ip:port" lines), STIX 2.1
 *             bundles, MISP JSON events, MISP feed directories (manifest.json
 *             + <uuid>.json) and MISP CSV exports. See mamori-intel(5).
 *  allowlists addresses, prefixes and AS numbers that are known-benign
 *             (public DNS resolvers, NTP, OS update / push / CDN networks),
 *             one per line: `ENTRY  CATEGORY  # comment`.
 *
 * Lookups are the hot path (called per subscriber/server pair, millions of
 * times): host indicators (/32, /128) live in an open-addressing hash, prefixes
 * in a core/lpm.h trie, each behind a bitmap filter (per IPv4 /24, per hashed
 * IPv6 /32) so that a miss, the common case, costs one or two memory loads; a
 * hit is one hash probe plus one LPM walk (O(128) worst case), then a walk over
 * the entries stored for the matching keys (capped at INTEL_MAX_PER_KEY per
 * key, and the covering prefixes are linked, so no further search). Lookups take a const pointer, never
 * allocate and never modify the table: once loading is finished, any number
 * of threads may call intel_lookup()/intel_allowed() concurrently. Loading is
 * single-threaded and must not overlap lookups.
 *
 * Untrusted files: every file is bounded (INTEL_MAX_FILE bytes, lines of
 * INTEL_MAX_LINE bytes, INTEL_MAX_PATTERN bytes per STIX pattern,
 * opts.max_entries entries per file); a malformed line or object is skipped,
 * counted in struct intel_load_stats and reported (file, line or JSON path,
 * field) through the optional warn callback. A load never aborts on one bad
 * record; it fails only on I/O errors, caps, unknown formats or allocation
 * failure.
 */
#ifndef MAMORI_C2_INTEL_H
#define MAMORI_C2_INTEL_H

#include <stddef.h>
#include <stdint.h>

#include "core/addr.h"
#include "core/err.h"

#define INTEL_MAX_FILE		(512u * 1024 * 1024)	/* bytes per file */
#define INTEL_MAX_LINE		4096	/* bytes per text line */
#define INTEL_MAX_PATTERN	8192	/* bytes per STIX pattern */
#define INTEL_MAX_ENTRIES	(10u * 1000 * 1000)	/* default per file */
#define INTEL_MAX_PER_KEY	64	/* entries kept per address/prefix */
#define INTEL_MAX_EVENTS	100000	/* events in one MISP feed dir */
#define INTEL_TAG_MAX		128	/* tag text is cut to this many bytes */

enum intel_format {
	INTEL_FMT_AUTO = 0,	/* feed; detected from content (never allowlist) */
	INTEL_FMT_CSV,		/* simple CSV / Feodo CSV / IP list */
	INTEL_FMT_STIX,		/* STIX 2.1 bundle, object array or indicator */
	INTEL_FMT_MISP_JSON,	/* one MISP event (or {"response":[...]}) */
	INTEL_FMT_MISP_DIR,	/* MISP feed dir: manifest.json + <uuid>.json */
	INTEL_FMT_MISP_CSV,	/* MISP CSV export (uuid,event_id,...,to_ids) */
	INTEL_FMT_ALLOWLIST	/* allowlist; must be asked for explicitly */
};

/* Optional warning sink: one line per skipped record (file, line or JSON
 * path, field). Called from intel_load() only, at most opts.max_warnings
 * times per file. */
typedef void (*intel_warn_fn)(void *arg, const char *msg);

struct intel_opts {
	int64_t		 now_ms;	/* expiry reference; 0 = wall clock */
	uint32_t	 max_entries;	/* per file; 0 = INTEL_MAX_ENTRIES */
	uint8_t		 default_confidence;	/* 0 = 50 */
	int		 include_non_ids;	/* also MISP to_ids=false */
	intel_warn_fn	 warn;		/* may be NULL */
	void		*warn_arg;
	unsigned	 max_warnings;	/* per file; 0 = 20 */
};

/* Per-file accounting filled by intel_load(). */
struct intel_load_stats {
	enum intel_format format;	/* the format used (after detection) */
	size_t	records;	/* lines / JSON objects / attributes examined */
	size_t	loaded;		/* entries added */
	size_t	duplicates;	/* same key+source+tag+port already present */
	size_t	expired;	/* valid_until in the past, or revoked */
	size_t	malformed;	/* bad syntax/values: skipped and reported */
	size_t	unsupported;	/* well-formed but not usable (domains, hashes,
				   STIX patterns beyond the supported subset) */
	size_t	not_ids;	/* MISP attributes with to_ids false, skipped */
	size_t	capped;		/* dropped by INTEL_MAX_PER_KEY */
	char	first_error[MM_DIAG_LEN];	/* first skipped record, or "" */
};

/* The result of a feed lookup. Strings point into the intel object and stay
 * valid until intel_free(). */
struct intel_hit {
	struct mm_prefix prefix;	/* the indicator's address/prefix */
	const char	*tag;		/* malware family / label; never NULL */
	const char	*source;	/* feed name (file base name); never NULL */
	int64_t		 valid_until_ms;	/* 0 = no expiry */
	uint16_t	 port;		/* indicator's port; 0 = any port */
	uint8_t		 confidence;	/* 0..100 */
	uint8_t		 port_match;	/* 1 if port is 0 or equals the query */
	unsigned	 nmatch;	/* indicators matching the address */
};

struct intel;

/* Returns a new empty knowledge base, or NULL on allocation failure. `opts`
 * may be NULL (defaults) and is copied. */
struct intel	*intel_new(const struct intel_opts *opts);

/* Frees everything; NULL-safe. Invalidates all strings handed out. */
void		 intel_free(struct intel *in);

/*
 * Loads the feed or allowlist at `path` (a file; or a directory for
 * INTEL_FMT_MISP_DIR / auto with a directory holding manifest.json). `fmt`
 * INTEL_FMT_AUTO detects feeds by content; allowlists must be asked for with
 * INTEL_FMT_ALLOWLIST. The feed's source name is the base name of `path`
 * without extension. `st` and `d` may be NULL. Cost: O(file size) parsing,
 * O(1) amortised per entry insert, plus O(P * L) at the end for P prefixes
 * and L distinct prefix lengths. Returns 0 (even when records were skipped:
 * see st), or MM_EIO, MM_ELIMIT (size/entry caps), MM_EFORMAT (not any
 * supported format, or JSON that does not parse), MM_ENOMEM, MM_EINVAL.
 * Entries added before a failure stay loaded.
 */
int		 intel_load(struct intel *in, const char *path,
		    enum intel_format fmt, struct intel_load_stats *st,
		    struct mm_diag *d);

/*
 * As intel_load() over a memory buffer (tests, fuzzing, feeds fetched over
 * HTTP). `name` is the source name used in hits and messages. INTEL_FMT_
 * MISP_DIR is not accepted here (MM_EINVAL).
 */
int		 intel_load_mem(struct intel *in, const char *name,
		    const void *buf, size_t len, enum intel_format fmt,
		    struct intel_load_stats *st, struct mm_diag *d);

/*
 * Looks `a` up in the feeds. `port` is the server port of the pair (0 =
 * unknown). An indicator matches when its address/prefix covers `a`,
 * whatever its port; among matches the best is chosen by: port_match, then
 * confidence, then longest prefix. Fills `hit` (may be NULL) with the best one
 * and the number of matching indicators. Returns 1 on a match, 0 otherwise.
 * Thread-safe for concurrent calls; O(1) hash + O(128) LPM + O(matches).
 */
int		 intel_lookup(const struct intel *in, const struct mm_addr *a,
		    uint16_t port, struct intel_hit *hit);

/*
 * As intel_lookup() but fills up to `nhits` hits (best first is NOT
 * guaranteed; order is exact-host entries then longest to shortest prefix).
 * Returns the number of matching indicators (may exceed nhits).
 */
size_t		 intel_lookup_all(const struct intel *in,
		    const struct mm_addr *a, uint16_t port,
		    struct intel_hit *hits, size_t nhits);

/*
 * 1 if `a` (may be NULL) lies in an allowlisted address/prefix, or `asn`
 * (0 = unknown) is an allowlisted AS; *category (may be NULL) is then set to
 * the entry's category (address match preferred over AS), valid until
 * intel_free(). 0 otherwise. Thread-safe; O(1) + O(128).
 */
int		 intel_allowed(const struct intel *in, const struct mm_addr *a,
		    uint32_t asn, const char **category);

/* Totals: feed indicators, allowlist entries (addresses+prefixes+ASes). */
size_t		 intel_feed_count(const struct intel *in);
size_t		 intel_allow_count(const struct intel *in);

/* Static name of a format ("csv", "stix", ...); never NULL. */
const char	*intel_format_name(enum intel_format fmt);

/* Parses a format name as intel_format_name() prints it, plus "auto";
 * returns 0 or MM_ESYNTAX. */
int		 intel_format_parse(const char *s, enum intel_format *fmt);

#endif
