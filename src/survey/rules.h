/*
 * rules.h - service identification rules (probes + matchers) for survey.
 *
 * Rule files (data/fingerprints/NAME.rules, format in mamori-fingerprints(5))
 * hold two kinds of stanza, each opened by a keyword line:
 *
 *   probe NAME        what to send to a port: `send banner` (send nothing,
 *                     just read) or one HTTP GET/HEAD request with {host}
 *                     and {ua} placeholders. The loader REJECTS anything
 *                     that is not a plain identification request: other
 *                     methods, bodies, "..", percent-encoded dots, slashes,
 *                     backslashes or NULs, absolute URIs, unknown
 *                     placeholders.
 *   match NAME        up to RULES_MAX_CONDS conditions that must all hold
 *                     (PCRE2 on a named field, favicon hash, gzip mtime of
 *                     a path) and outputs: vendor, product, version, device,
 *                     cpe, with $1..$9 replaced by capture groups.
 *
 * Regular expressions are compiled once at load time, with a match context
 * limiting backtracking (RULES_MATCH_LIMIT), recursion depth
 * (RULES_DEPTH_LIMIT) and heap (RULES_HEAP_LIMIT_KIB); subjects longer than
 * RULES_SUBJECT_MAX are matched on their first RULES_SUBJECT_MAX bytes. A
 * rule whose match hits a limit counts as not matching (counted in
 * rules_ident.limit_hits). Loader errors name "file:line: field: reason".
 */
#ifndef MAMORI_SURVEY_RULES_H
#define MAMORI_SURVEY_RULES_H

#include <stddef.h>
#include <stdint.h>

#include "core/err.h"

#define RULES_MAX_RULES		4096	/* match stanzas over all files */
#define RULES_MAX_PROBES	256	/* probe stanzas over all files */
#define RULES_MAX_FILES		256	/* *.rules files per directory */
#define RULES_MAX_CONDS		8	/* conditions per match stanza */
#define RULES_MAX_CAPS		9	/* $1..$9 over all conditions */
#define RULES_MAX_PATTERN	1024	/* bytes of one regular expression */
#define RULES_MAX_PAYLOAD	1024	/* bytes of one probe payload */
#define RULES_MAX_LINE		2048	/* bytes of one rule-file line */
#define RULES_MAX_PORTS		32	/* port ranges per probe */
#define RULES_SUBJECT_MAX	65536	/* bytes of a field given to PCRE2 */
#define RULES_MATCH_LIMIT	200000	/* pcre2_set_match_limit */
#define RULES_DEPTH_LIMIT	2000	/* pcre2_set_depth_limit */
#define RULES_HEAP_LIMIT_KIB	4096	/* pcre2_set_heap_limit */
#define RULES_NAME_LEN		48
#define RULES_TEXT_LEN		64
#define RULES_CPE_LEN		192
#define RULES_PATH_LEN		256

enum rules_proto {
	RULES_TCP = 1,		/* plain TCP */
	RULES_TLS = 2		/* TLS (HTTPS) */
};

struct rules_portrange {
	uint16_t	lo, hi;
};

/* One probe, owned by `struct rules`; read-only for callers. */
struct rules_probe {
	char			 name[RULES_NAME_LEN];
	int			 proto;		/* enum rules_proto */
	int			 any_port;	/* `ports *` */
	struct rules_portrange	 ports[RULES_MAX_PORTS];
	size_t			 nports;
	int			 banner;	/* 1: send nothing, read */
	char			 payload[RULES_MAX_PAYLOAD + 1]; /* template */
	size_t			 payload_len;
	char			 path[RULES_PATH_LEN];	/* request target */
	char			 file[RULES_PATH_LEN];	/* where defined */
	int			 line;
};

/* One observed field of a service, e.g. {"header:server", "lighttpd/1.4",
 * 12}. Names: banner, status, header:NAME (NAME any case), body, title,
 * cert.subject, cert.issuer, ssh.banner, telnet.prompt. `val` need not be
 * NUL-terminated and may hold any bytes. Several fields may share a name
 * (e.g. two Set-Cookie headers); a condition holds if any of them matches. */
struct rules_field {
	const char	*name;
	const char	*val;
	size_t		 len;
};

/* What the scanner saw on one service (all responses of all probes, or of
 * one). All pointers are borrowed for the call. */
struct rules_obs {
	const char		*probe;	/* probe that produced it; NULL=any */
	const struct rules_field *fields;
	size_t			 nfields;
	int			 have_favicon;
	int32_t			 favicon;	/* rules_favicon_hash() */
	int			 have_gzip;
	const char		*gzip_path;	/* request target fetched */
	uint32_t		 gzip_mtime;	/* rules_gzip_mtime() */
};

/* The best identification. Strings are NUL-terminated, truncated to fit;
 * empty when the rule does not set them. */
struct rules_ident {
	char		rule[RULES_NAME_LEN];	/* match stanza name */
	char		file[RULES_PATH_LEN];
	int		line;
	int		priority;
	char		vendor[RULES_TEXT_LEN];
	char		product[RULES_TEXT_LEN];
	char		version[RULES_TEXT_LEN];
	char		device[RULES_TEXT_LEN];
	char		cpe[RULES_CPE_LEN];
	unsigned	limit_hits;	/* regex matches stopped by a limit */
};

struct rules;

/* Creates an empty rule set in *out. Returns 0 or MM_ENOMEM. */
int	rules_new(struct rules **out);

/* Loads one rule file into `r` (appending). Returns 0, MM_EIO, MM_ESYNTAX,
 * MM_ELIMIT or MM_ENOMEM; on error `d` holds "file:line: field: reason" and
 * `r` is left as it was before the file (nothing of the file is kept). */
int	rules_load_file(struct rules *r, const char *path, struct mm_diag *d);

/* Loads every .rules file of `dir` in name order. Stops at the first
 * file in error (as rules_load_file). Returns 0 or negative MM_E*. */
int	rules_load_dir(struct rules *r, const char *dir, struct mm_diag *d);

/* Loads rules from a NUL-free text buffer (`name` used in messages).
 * Same contract as rules_load_file; used by tests and the fuzzer. */
int	rules_load_buf(struct rules *r, const char *name, const char *buf,
	    size_t len, struct mm_diag *d);

/* Frees `r` and everything it owns; NULL-safe. */
void	rules_free(struct rules *r);

/* Counts; NULL-safe (0). */
size_t	rules_count(const struct rules *r);
size_t	rules_probe_count(const struct rules *r);

/* Fills out[0..max) with the probes that apply to `proto` and `port`, in
 * file order, and returns how many apply (may exceed `max`). The pointers
 * stay valid until rules_free(). */
size_t	rules_probes(const struct rules *r, int proto, uint16_t port,
	    const struct rules_probe **out, size_t max);

/* Looks up a probe by name; NULL if none. */
const struct rules_probe *rules_probe_find(const struct rules *r,
	    const char *name);

/* Renders the probe payload into buf (cap bytes), replacing {host} and
 * {ua}; *len gets the byte count (no NUL counted; buf is NUL-terminated).
 * Returns 0, MM_EINVAL (host/ua with control bytes or longer than 255) or
 * MM_ELIMIT (buf too small). A banner probe renders as 0 bytes. */
int	rules_probe_render(const struct rules_probe *p, const char *host,
	    const char *ua, char *buf, size_t cap, size_t *len);

/* Checks that `payload` (n bytes, already unescaped) is a plain
 * identification request as described above. Returns 0 or MM_EINVAL with
 * the reason in `d`. */
int	rules_payload_check(const char *payload, size_t n, struct mm_diag *d);

/* Finds the best match for `obs`: the highest priority wins, then the
 * rule with more conditions, then the earlier rule. Returns 1 and fills
 * *out, 0 if no rule matches (out->limit_hits still set), or MM_ENOMEM.
 * Never reads more than RULES_SUBJECT_MAX bytes of a field. */
int	rules_match(const struct rules *r, const struct rules_obs *obs,
	    struct rules_ident *out);

/* Shodan-style favicon hash: MurmurHash3 x86 32-bit, seed 0, over the
 * base64 encoding of the favicon bytes with a '\n' after every 76 output
 * characters and at the end (Python's base64.encodebytes), as a signed
 * 32-bit integer. NULL with 0 length is allowed. */
int32_t	rules_favicon_hash(const void *data, size_t len);

/* MurmurHash3 x86 32-bit of `len` bytes with `seed`. */
uint32_t rules_murmur3_32(const void *data, size_t len, uint32_t seed);

/* Reads the MTIME of the first gzip member header (RFC 1952 section
 * 2.3.1) at the start of `body`. Returns 0, MM_ETRUNC or MM_EFORMAT (not
 * gzip / method not deflate). */
int	rules_gzip_mtime(const void *body, size_t len, uint32_t *mtime);

#endif
