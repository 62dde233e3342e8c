/*
 * rdap.h - offline RDAP answers: a directory of saved RDAP JSON responses
 * (RFC 9083) read into an index by AS number and by address block, each
 * entry giving the abuse contact of the autnum or ip network object.
 *
 * What is read from one response (objectClassName):
 *  - "autnum": startAutnum..endAutnum (RFC 9083 section 5.5), handle, name,
 *    country;
 *  - "ip network": startAddress..endAddress (section 5.4), split into at
 *    most RDAP_MAX_CIDRS CIDR prefixes, or the cidr0_cidrs member of the
 *    cidr0 extension when present; handle, name, country;
 *  - search results ("autnumSearchResults", "ipSearchResults"): each
 *    element as above;
 *  - the entities (section 5.1), nested ones too (at most RDAP_MAX_DEPTH
 *    levels, RDAP_MAX_ENTITIES per object): the e-mail addresses of the
 *    shallowest entity whose roles include "abuse" (jCard, RFC 7095:
 *    ["vcard", [["email", {}, "text", "abuse@..."], ...]]); only when no
 *    abuse entity gives an e-mail address, those of a "registrant", else a
 *    "technical" entity (the record says which role). The organisation is
 *    the fn of the registrant entity (the one in the record's language when
 *    several are tagged), else the object's name, else its handle.
 * Other object classes and RDAP error responses are counted as unsupported;
 * responses that are not JSON, nest deeper than RDAP_MAX_NESTING or lack a
 * required member are counted as malformed with the file and JSON path in
 * the message. Networks broader than /8 (IPv4) or /16 (IPv6) are skipped
 * (they are registry blocks, not an ISP's). The first answer for an AS or a
 * prefix wins (files are read in name order).
 *
 * Costs: a file is read whole (at most RDAP_MAX_FILE bytes), checked for
 * nesting in one pass, then parsed by jansson and walked once. Lookups: one
 * hash probe for single-AS records, then a scan of at most
 * RDAP_MAX_AS_RANGES AS ranges; one lpm walk for addresses. Read-only after
 * loading: concurrent lookups are safe.
 */
#ifndef MAMORI_ATTRIB_RDAP_H
#define MAMORI_ATTRIB_RDAP_H

#include <stddef.h>
#include <stdint.h>

#include "attrib/attrib.h"
#include "core/addr.h"
#include "core/err.h"

#define RDAP_MAX_FILE		(1u << 20)	/* bytes per response file */
#define RDAP_MAX_FILES		65536	/* *.json files per directory */
#define RDAP_MAX_NESTING	48	/* JSON array/object nesting */
#define RDAP_MAX_OBJECTS	1024	/* objects per file (search results) */
#define RDAP_MAX_DEPTH		4	/* entity nesting levels */
#define RDAP_MAX_ENTITIES	256	/* entities visited per object */
#define RDAP_MAX_VCARD		256	/* jCard properties per entity */
#define RDAP_MAX_EMAILS		4	/* addresses kept per record */
#define RDAP_MAX_CIDRS		64	/* prefixes per ip network */
#define RDAP_MAX_AS_RANGES	4096	/* autnum records spanning > 1 AS */
#define RDAP_MAX_RECORDS	(1u << 20)	/* records over all files */
#define RDAP_MAX_ERRORS		64	/* error messages kept */

enum rdap_kind {
	RDAP_AUTNUM = 1,
	RDAP_NETWORK
};

/* Where a record's e-mail addresses came from. */
enum rdap_role {
	RDAP_ROLE_NONE = 0,	/* no address */
	RDAP_ROLE_ABUSE,
	RDAP_ROLE_REGISTRANT,	/* fallback: no abuse entity gave one */
	RDAP_ROLE_TECHNICAL	/* fallback after registrant */
};

/* One autnum or ip network object. Strings are NUL-terminated UTF-8, cut
 * at a character boundary when longer than their field. */
struct rdap_record {
	enum rdap_kind	kind;
	char		handle[ATTRIB_ID_MAX + 1];
	char		name[ATTRIB_ORG_MAX + 1];	/* object name */
	char		org[ATTRIB_ORG_MAX + 1];	/* see above */
	char		email[RDAP_MAX_EMAILS][ATTRIB_EMAIL_MAX + 1];
	size_t		nemail;		/* valid addresses, first preferred */
	enum rdap_role	role;
	int		email_invalid;	/* addresses given, none valid */
	char		country[3];	/* ISO 3166 alpha-2 or "" */
	char		lang[3];	/* "ja" when country is JP, else "en" */
	uint32_t	as_lo, as_hi;	/* RDAP_AUTNUM */
	struct mm_prefix first;		/* RDAP_NETWORK: its first prefix */
	char		file[64];	/* base name of the response file */
};

struct rdap_stats {
	uint64_t	files;		/* files read */
	uint64_t	objects;	/* objects seen */
	uint64_t	autnums;	/* autnum records kept */
	uint64_t	networks;	/* ip network records kept */
	uint64_t	prefixes;	/* prefixes indexed */
	uint64_t	malformed;	/* files or objects skipped as malformed */
	uint64_t	unsupported;	/* other classes, error responses */
	uint64_t	duplicate;	/* AS or prefix already answered */
	uint64_t	too_broad;	/* networks broader than /8, /16 */
	uint64_t	no_email;	/* records without a usable address */
	uint64_t	invalid_email;	/* records whose addresses all failed */
	uint64_t	fallback;	/* records using registrant/technical */
};

struct rdap_set;

/* Returns a new empty set or NULL (out of memory). */
struct rdap_set	*rdap_new(void);
/* NULL-safe. */
void		 rdap_free(struct rdap_set *rd);

/*
 * Loaders. Each returns 0 when the input was readable: malformed or
 * unsupported responses are skipped, counted in the stats, kept in the
 * error list (rdap_error()), and the first one of this call is copied to
 * *diag when diag is not NULL (diag->msg is "" when there was none).
 * rdap_load_dir() reads the regular files named *.json in `dir` (not
 * recursive) in byte order of their names. Hard failures: MM_EIO (directory
 * or file unreadable), MM_ELIMIT (too many files or records: what was read
 * so far is kept), MM_ENOMEM, with *diag set. Messages read
 * "FILE: $.json.path: field NAME: reason".
 */
int	rdap_load_dir(struct rdap_set *rd, const char *dir,
	    struct mm_diag *diag);
int	rdap_load_file(struct rdap_set *rd, const char *path,
	    struct mm_diag *diag);
/* One response held in memory; `name` is used in messages. */
int	rdap_load_mem(struct rdap_set *rd, const char *name, const void *buf,
	    size_t len, struct mm_diag *diag);

/* The autnum record covering `asn` (single-AS records before ranges, then
 * the narrowest range), or NULL. NULL `rd` gives NULL. */
const struct rdap_record *rdap_by_as(const struct rdap_set *rd,
	    uint32_t asn);
/* The ip network record of the most specific prefix covering `a`, or NULL;
 * *matched (may be NULL) gets that prefix. */
const struct rdap_record *rdap_by_addr(const struct rdap_set *rd,
	    const struct mm_addr *a, struct mm_prefix *matched);

/* Records in load order; i < rdap_count(). */
size_t	rdap_count(const struct rdap_set *rd);
const struct rdap_record *rdap_get(const struct rdap_set *rd, size_t i);
/* Counters; never NULL (zeros for NULL `rd`). */
const struct rdap_stats *rdap_stats(const struct rdap_set *rd);
/* The first RDAP_MAX_ERRORS messages (malformed + unsupported count all). */
size_t	rdap_nerrors(const struct rdap_set *rd);
const char *rdap_error(const struct rdap_set *rd, size_t i);

/* "none", "abuse", "registrant", "technical". */
const char *rdap_role_name(enum rdap_role r);

#endif
