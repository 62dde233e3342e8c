/*
 * contacts.h - the operator's contacts file (mamori-contacts(5)): who gets
 * the reports for a customer, an AS or an address block.
 *
 * The file is a list of small stanzas. A stanza opens with a bracketed
 * header naming one or more keys, and its field lines follow:
 *
 *   # ExampleNet: two ASes and a block routed by a third party
 *   [AS64496 AS64497 customer:c-0042 192.0.2.0/25]
 *   id     = examplenet
 *   org    = 例示ネットワーク株式会社
 *   isp    = ExampleNet
 *   email  = abuse@example.jp, soc@example.jp
 *   lang   = ja
 *   format = both
 *
 * Keys: AS<n>, an AS range AS<n>-AS<m> (at most CONTACTS_MAX_AS_RANGE
 * numbers), customer:<id> (the id of the operator's customer-prefix file,
 * see routeview.h), or an IPv4/IPv6 prefix. Every key names at most one
 * stanza (the first one wins; later duplicates are errors).
 *
 * A stanza with an error keeps its keys but is flagged (status below) and
 * its addresses are never used: reports for its keys go to the
 * unattributed bucket with the reason, rather than silently to someone
 * else. An unknown field name is an error that is ignored. Lines that
 * cannot be read (too long, NUL byte, bad header) are errors and skipped.
 *
 * Costs: the file is read whole (at most CONTACTS_MAX_FILE bytes) and
 * parsed in one pass; memory O(entries + keys). Lookups are one hash probe
 * (AS, customer, id) or one lpm walk (prefixes). Read-only after loading:
 * concurrent lookups are safe.
 */
#ifndef MAMORI_ATTRIB_CONTACTS_H
#define MAMORI_ATTRIB_CONTACTS_H

#include <stddef.h>
#include <stdint.h>

#include "attrib/attrib.h"
#include "core/addr.h"
#include "core/err.h"

#define CONTACTS_MAX_FILE	(16u * 1024 * 1024)	/* bytes per file */
#define CONTACTS_MAX_LINE	1024	/* bytes per line, without newline */
#define CONTACTS_MAX_ENTRIES	65536	/* stanzas over all files */
#define CONTACTS_MAX_KEYS	(1u << 20)	/* keys over all files */
#define CONTACTS_MAX_HDR_KEYS	64	/* keys in one [header] */
#define CONTACTS_MAX_AS_RANGE	1024	/* ASNs in one AS<n>-AS<m> key */
#define CONTACTS_MAX_EMAILS	4	/* addresses per stanza */
#define CONTACTS_MAX_ERRORS	64	/* error messages kept */

/* Why a stanza may not be used for mail. */
enum contact_status {
	CONTACT_OK = 0,
	CONTACT_NO_EMAIL,	/* no email field */
	CONTACT_BAD_EMAIL,	/* an address failed the syntax check */
	CONTACT_BAD_ENTRY	/* another field was invalid */
};

/* One stanza. Strings are NUL-terminated UTF-8. */
struct contact {
	char		id[ATTRIB_ID_MAX + 1];	/* `id`, else first key */
	char		org[ATTRIB_ORG_MAX + 1];	/* "" = not given */
	char		isp[ATTRIB_ID_MAX + 1];		/* "" = not given */
	char		email[CONTACTS_MAX_EMAILS][ATTRIB_EMAIL_MAX + 1];
	size_t		nemail;
	char		lang[3];	/* "ja" or "en" (default "en") */
	char		format[8];	/* "csv", "xarf", "both" (default csv) */
	enum contact_status status;
	char		file[64];	/* base name of the file, for messages */
	unsigned long	line;		/* line of the [header] */
};

struct contacts_stats {
	uint64_t	lines;		/* lines read */
	uint64_t	entries;	/* stanzas kept */
	uint64_t	keys;		/* keys indexed (AS ranges expanded) */
	uint64_t	errors;		/* lines or fields in error */
	uint64_t	bad_email;	/* stanzas flagged CONTACT_BAD_EMAIL */
	uint64_t	bad_entry;	/* stanzas flagged CONTACT_BAD_ENTRY */
	uint64_t	no_email;	/* stanzas flagged CONTACT_NO_EMAIL */
};

struct contacts;

/* Returns a new empty set or NULL (out of memory). */
struct contacts	*contacts_new(void);
/* NULL-safe. */
void		 contacts_free(struct contacts *ct);

/*
 * Reads a contacts file (may be called for several files; keys already
 * present keep their first stanza). Returns 0 when the file was readable:
 * bad lines and fields are counted in the stats, kept in the error list
 * (contacts_error()), and the first one of this call is copied to *diag
 * when diag is not NULL (diag->msg is "" when there was none). Returns
 * MM_EIO (unreadable), MM_ELIMIT (file too large, too many entries or
 * keys: what was read so far is kept) or MM_ENOMEM, with *diag set.
 * Messages read "FILE:LINE: field NAME: reason".
 */
int	contacts_load(struct contacts *ct, const char *path,
	    struct mm_diag *diag);
/* The same over a buffer; `name` is used in messages. */
int	contacts_load_mem(struct contacts *ct, const char *name,
	    const void *buf, size_t len, struct mm_diag *diag);

/* Lookups; each returns the stanza or NULL. The pointer stays valid until
 * the next load or contacts_free(). NULL `ct` gives NULL. */
const struct contact *contacts_by_customer(const struct contacts *ct,
	    const char *customer);
const struct contact *contacts_by_as(const struct contacts *ct,
	    uint32_t asn);
/* Most specific prefix key covering `a`; *matched (may be NULL) gets it. */
const struct contact *contacts_by_addr(const struct contacts *ct,
	    const struct mm_addr *a, struct mm_prefix *matched);
/* By stanza id (the `id` field, else the first key as written). */
const struct contact *contacts_by_id(const struct contacts *ct,
	    const char *id);

/* Stanzas in file order; i < contacts_count(). */
size_t	contacts_count(const struct contacts *ct);
const struct contact *contacts_get(const struct contacts *ct, size_t i);
/* Counters; never NULL (zeros for NULL `ct`). */
const struct contacts_stats *contacts_stats(const struct contacts *ct);
/* The first CONTACTS_MAX_ERRORS error messages (stats.errors counts all). */
size_t	contacts_nerrors(const struct contacts *ct);
const char *contacts_error(const struct contacts *ct, size_t i);

/*
 * E-mail address syntax (the mailer uses the same check): an RFC 5321
 * Mailbox / RFC 5322 addr-spec without display name, comments or
 * whitespace around it: a dot-atom local part or a quoted string (RFC 5321
 * qtextSMTP and quoted pairs), at most 64 bytes; '@'; a domain of at least
 * two LDH labels (1-63 bytes each, no leading or trailing hyphen, the last
 * not all digits). ASCII only (no SMTPUTF8), no address literals, at most
 * ATTRIB_EMAIL_MAX (254) bytes in all. contacts_email_check() returns NULL
 * when `s` (`len` bytes, not necessarily NUL-terminated) is valid, else a
 * static reason ("no '@'", ...). contacts_email_valid() takes a
 * NUL-terminated string and returns 1 (valid) or 0; NULL gives 0.
 */
const char *contacts_email_check(const char *s, size_t len);
int	contacts_email_valid(const char *s);

/* "ok", "no e-mail", "invalid e-mail", "invalid entry". */
const char *contact_status_name(enum contact_status st);

#endif
