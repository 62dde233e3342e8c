/*
 * intel_int.h - private interface between the intel store (intel.c) and its
 * format parsers (intel_text.c: CSV feeds, MISP CSV, allowlists;
 * intel_json.c: STIX 2.1, MISP JSON). Not for use outside src/c2/intel*.c.
 *
 * A parser receives a struct intel_ctx for one file and calls intel_add() /
 * intel_add_allow() per entry and intel_bad() per skipped record; it returns
 * 0 or the first fatal error (allocation, caps) which aborts the file.
 */
#ifndef MAMORI_C2_INTEL_INT_H
#define MAMORI_C2_INTEL_INT_H

#include <stddef.h>
#include <stdint.h>

#include "c2/intel.h"

struct intel_ctx {
	struct intel		*in;
	const char		*file;		/* name for messages */
	uint32_t		 src;		/* interned source name */
	struct intel_load_stats	*st;		/* never NULL inside parsers */
	struct mm_diag		*d;
	size_t			 added;		/* entries added by this file */
	unsigned		 nwarn;
	int64_t			 now;		/* expiry reference, ms */
	uint8_t			 defconf;	/* default confidence */
	int			 non_ids;	/* include MISP to_ids=false */
};

/*
 * Adds one feed indicator. `conf` < 0 means the default confidence;
 * `until_ms` 0 means no expiry (expired ones must be filtered by the caller
 * through intel_expired()). Counts loaded/duplicates/capped in c->st.
 * Returns 0, MM_ELIMIT (per-file cap, diag set) or MM_ENOMEM.
 */
int	intel_add(struct intel_ctx *c, const struct mm_prefix *p,
	    uint16_t port, const char *tag, size_t taglen, int conf,
	    int64_t until_ms);

/* Adds an allowlist entry: prefix `p` when not NULL, else AS `asn`.
 * Returns 0, MM_ELIMIT or MM_ENOMEM. */
int	intel_add_allow(struct intel_ctx *c, const struct mm_prefix *p,
	    uint32_t asn, const char *cat, size_t catlen);

/* 1 when `until_ms` (0 = none) lies at or before the reference time. */
int	intel_expired(const struct intel_ctx *c, int64_t until_ms);

/* Counts a skipped record in *counter (may be NULL) and reports it: the
 * message is prefixed with the file name, kept in st->first_error when that
 * is empty and passed to the warn callback within its budget. */
void	intel_bad(struct intel_ctx *c, size_t *counter, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

/*
 * Parses an indicator value: "a.b.c.d", "a.b.c.d/n", "a.b.c.d:port",
 * "[v6]:port", "v6", "v6/n", "addr|port" (MISP). *port is 0 when absent.
 * Rejects prefixes broader than /8 (IPv4) or /16 (IPv6) and the zero
 * address. Returns 0, MM_ESYNTAX or MM_ERANGE.
 */
int	intel_parse_value(const char *s, size_t len, struct mm_prefix *p,
	    uint16_t *port);

/* Parses a port "1".."65535"; "", "0", "*" and "any" give 0. Returns 0 or
 * MM_ESYNTAX. */
int	intel_parse_port(const char *s, size_t len, uint16_t *port);

/* Parses a confidence: integer 0..100, or a decimal 0..1 (scaled); "" gives
 * -1 (default). Returns 0 or MM_ESYNTAX. */
int	intel_parse_conf(const char *s, size_t len, int *conf);

/* Parsers over a whole file in memory. */
int	intel_text_feed(struct intel_ctx *c, const uint8_t *buf, size_t len,
	    int misp);
int	intel_text_allow(struct intel_ctx *c, const uint8_t *buf, size_t len);
/* JSON: `fmt` is INTEL_FMT_AUTO (detect STIX vs MISP), INTEL_FMT_STIX or
 * INTEL_FMT_MISP_JSON; on AUTO *used receives the choice. */
int	intel_json_feed(struct intel_ctx *c, const uint8_t *buf, size_t len,
	    enum intel_format fmt, enum intel_format *used);
/* MISP feed directory: `dir` holds manifest.json. */
int	intel_misp_dir(struct intel_ctx *c, const char *dir);

/* Reads a whole file (at most INTEL_MAX_FILE bytes) into *buf (caller
 * frees). Returns 0, MM_EIO, MM_ELIMIT or MM_ENOMEM. */
int	intel_read_file(const char *path, uint8_t **buf, size_t *len,
	    struct mm_diag *d);

#endif
