/*
 * attrib.h - who should hear about an address: address -> network (routing
 * view) -> recipient (contacts file, then offline RDAP answers).
 *
 * Resolution order for an address A:
 *  1. routeview_lookup(A): the most specific prefix, its origin AS and the
 *     customer id (operator's customer-prefix file), if any;
 *  2. the contacts file (mamori-contacts(5)): an entry for the customer id
 *     wins over one for the origin AS ("AS64500"), which wins over one for
 *     a covering prefix; the entry gives organisation, ISP name, abuse
 *     address, language (ja/en) and preferred format;
 *  3. otherwise the RDAP answers loaded from a directory of saved RDAP JSON
 *     responses (RFC 9083: autnum and ip network objects; the entity with
 *     role "abuse", its e-mail from the jCard, RFC 7095), matched by origin
 *     AS or by the most specific network covering A;
 *  4. otherwise the recipient is the explicit "unattributed" bucket
 *     (id ATTRIB_UNATTRIBUTED, unattributed = 1, reason says why: no route,
 *     no contact, invalid e-mail). Nothing is ever dropped.
 * An e-mail address that fails the syntax check (RFC 5321 mailbox, no
 * display name, at most 254 bytes) is never used; the entry counts as
 * having no contact and the reason names it.
 *
 * Costs: one routeview lookup plus O(1) hash probes (contacts, RDAP by AS)
 * and one lpm walk (RDAP networks). Read-only after loading: concurrent
 * attrib_resolve() calls are safe.
 */
#ifndef MAMORI_ATTRIB_ATTRIB_H
#define MAMORI_ATTRIB_ATTRIB_H

#include <stddef.h>
#include <stdint.h>

#include "attrib/routeview.h"
#include "core/addr.h"
#include "core/err.h"

#define ATTRIB_UNATTRIBUTED	"unattributed"
#define ATTRIB_ID_MAX		64
#define ATTRIB_ORG_MAX		128
#define ATTRIB_EMAIL_MAX	254

enum contact_source {
	CONTACT_SRC_NONE = 0,
	CONTACT_SRC_FILE,	/* contacts file */
	CONTACT_SRC_RDAP	/* saved RDAP response */
};

/* A report recipient. Plain value, owns nothing. */
struct recipient {
	char			id[ATTRIB_ID_MAX + 1];	/* "AS64500", "customer:x", "unattributed" */
	char			org[ATTRIB_ORG_MAX + 1];
	char			isp[ATTRIB_ID_MAX + 1];	/* ISP name for figures; "" = org */
	char			email[ATTRIB_EMAIL_MAX + 1];	/* "" when none */
	char			lang[3];	/* "ja" or "en" */
	char			format[8];	/* "csv", "xarf" or "both" */
	enum contact_source	source;
	int			unattributed;
	char			reason[96];	/* why unattributed, else "" */
};

/* One address's attribution. */
struct attribution {
	int			routed;		/* route below is valid */
	struct route_match	route;
	struct recipient	rcpt;
};

struct contacts;	/* contacts.h */
struct rdap_set;	/* rdap.h */
struct attrib;

/* Builds a resolver over the given sources; any may be NULL. The resolver
 * borrows them: the caller keeps them alive and frees them after
 * attrib_free(). Returns NULL on allocation failure. */
struct attrib	*attrib_new(const struct routeview *rv,
		    const struct contacts *ct, const struct rdap_set *rd);
/* NULL-safe. */
void		 attrib_free(struct attrib *at);
/* Resolves `a`; always fills *out (the unattributed bucket at worst).
 * Returns 1 when a recipient with an e-mail address was found, else 0. */
int		 attrib_resolve(const struct attrib *at, const struct mm_addr *a,
		    struct attribution *out);
/* "none", "file", "rdap"; never NULL. */
const char	*attrib_source_name(enum contact_source s);

#endif
