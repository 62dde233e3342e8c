/*
 * attrib.c - the attribution resolver of attrib.h: routing view, then the
 * contacts file, then offline RDAP answers, then the unattributed bucket.
 *
 * The contacts file is the operator's word, so its most specific matching
 * stanza decides even when that stanza cannot be used: a stanza flagged
 * for an invalid e-mail address (or another error, or no address) sends
 * the address to the unattributed bucket with the reason, never on to an
 * RDAP contact the operator may have meant to override. RDAP answers are
 * tried by origin AS first (the network that announces the address), then
 * by the most specific registered network; an answer without a usable
 * address is passed over but remembered for the reason.
 *
 * Reasons given with the unattributed bucket:
 *   "no route"                          nothing routes or registers A;
 *   "no contact for AS64500"            routed, nothing names the AS;
 *   "no contact for 192.0.2.0/24 (no origin AS)"  routed without an AS;
 *   "invalid e-mail for KEY", "invalid entry for KEY", "no contact for
 *   KEY"                                the contacts stanza matched by KEY
 *                                       (customer:x, AS64500, a prefix) is
 *                                       flagged or has no address;
 *   "invalid e-mail for AS64500 (RDAP FILE)", "no contact for
 *   net:192.0.2.0/24 (RDAP FILE)"       RDAP answered without a usable
 *                                       address.
 * Reasons longer than the field are cut at a UTF-8 boundary.
 *
 * Recipient ids group the reports: a contacts stanza's id (its `id` field,
 * else its first key), "AS<n>" or "AS<lo>-AS<hi>" for an RDAP autnum
 * record, "net:<first prefix>" for an RDAP ip network record, and
 * ATTRIB_UNATTRIBUTED.
 *
 * Costs: one routeview lookup, up to three contacts lookups (two hash
 * probes and an lpm walk), one RDAP AS probe (plus the bounded range scan)
 * and one RDAP lpm walk. No state changes: concurrent calls are safe.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "attrib/attrib.h"
#include "attrib/contacts.h"
#include "attrib/rdap.h"
#include "attrib/routeview.h"
#include "core/addr.h"

struct attrib {
	const struct routeview	*rv;
	const struct contacts	*ct;
	const struct rdap_set	*rd;
};

struct attrib *
attrib_new(const struct routeview *rv, const struct contacts *ct,
    const struct rdap_set *rd)
{
	struct attrib *at;

	if ((at = calloc(1, sizeof(*at))) == NULL)
		return NULL;
	at->rv = rv;
	at->ct = ct;
	at->rd = rd;
	return at;
}

void
attrib_free(struct attrib *at)
{
	free(at);
}

const char *
attrib_source_name(enum contact_source s)
{
	switch (s) {
	case CONTACT_SRC_NONE:
		return "none";
	case CONTACT_SRC_FILE:
		return "file";
	case CONTACT_SRC_RDAP:
		return "rdap";
	}
	return "?";
}

/* Bounded copy that never cuts a UTF-8 sequence. */
static void
put(char *dst, size_t cap, const char *src)
{
	size_t n = strlen(src);

	if (n >= cap) {
		n = cap - 1;
		while (n > 0 && ((unsigned char)src[n] & 0xc0) == 0x80)
			n--;
	}
	memcpy(dst, src, n);
	dst[n] = '\0';
}

#if defined(__GNUC__)
__attribute__((format(printf, 2, 3)))
#endif
static void
reason_set(struct recipient *r, const char *fmt, ...)
{
	char tmp[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	put(r->reason, sizeof(r->reason), tmp);
}

static void
from_contact(struct attribution *out, const struct contact *c)
{
	struct recipient *r = &out->rcpt;

	put(r->id, sizeof(r->id), c->id);
	if (c->org[0] != '\0')
		put(r->org, sizeof(r->org), c->org);
	else if (out->routed)
		put(r->org, sizeof(r->org), out->route.as_name);
	put(r->isp, sizeof(r->isp), c->isp);
	put(r->email, sizeof(r->email), c->email[0]);
	put(r->lang, sizeof(r->lang), c->lang);
	put(r->format, sizeof(r->format), c->format);
	r->source = CONTACT_SRC_FILE;
}

static void
rdap_id(const struct rdap_record *rr, char *buf, size_t cap)
{
	char p[PREFIX_STRLEN];

	if (rr->kind == RDAP_AUTNUM && rr->as_lo == rr->as_hi)
		snprintf(buf, cap, "AS%lu", (unsigned long)rr->as_lo);
	else if (rr->kind == RDAP_AUTNUM)
		snprintf(buf, cap, "AS%lu-AS%lu", (unsigned long)rr->as_lo,
		    (unsigned long)rr->as_hi);
	else
		snprintf(buf, cap, "net:%s", prefix_fmt(&rr->first, p,
		    sizeof(p)));
}

static void
from_rdap(struct attribution *out, const struct rdap_record *rr)
{
	struct recipient *r = &out->rcpt;

	rdap_id(rr, r->id, sizeof(r->id));
	put(r->org, sizeof(r->org), rr->org);
	put(r->email, sizeof(r->email), rr->email[0]);
	put(r->lang, sizeof(r->lang), rr->lang);
	memcpy(r->format, "csv", 4);
	r->source = CONTACT_SRC_RDAP;
}

int
attrib_resolve(const struct attrib *at, const struct mm_addr *a,
    struct attribution *out)
{
	const struct contact *c = NULL;
	const struct rdap_record *rr, *passed = NULL;
	struct recipient *r;
	struct mm_prefix m;
	char key[PREFIX_STRLEN + ROUTEVIEW_ID_MAX + 16], rid[ATTRIB_ID_MAX + 1];
	uint32_t as = 0;

	if (out == NULL)
		return 0;
	memset(out, 0, sizeof(*out));
	r = &out->rcpt;
	if (at != NULL && a != NULL && at->rv != NULL &&
	    routeview_lookup(at->rv, a, &out->route) == 1) {
		out->routed = 1;
		as = out->route.origin_as;
	}
	if (at == NULL || a == NULL)
		goto unattributed;

	/* 2. the contacts file: customer > AS > prefix */
	if (out->routed && out->route.customer[0] != '\0' &&
	    (c = contacts_by_customer(at->ct, out->route.customer)) != NULL)
		snprintf(key, sizeof(key), "customer:%s",
		    out->route.customer);
	else if (as != 0 && (c = contacts_by_as(at->ct, as)) != NULL)
		snprintf(key, sizeof(key), "AS%lu", (unsigned long)as);
	else if ((c = contacts_by_addr(at->ct, a, &m)) != NULL)
		prefix_fmt(&m, key, sizeof(key));
	if (c != NULL) {
		if (c->status == CONTACT_OK && c->nemail > 0) {
			from_contact(out, c);
			return 1;
		}
		reason_set(r, "%s for %s",
		    c->status == CONTACT_NO_EMAIL ? "no contact" :
		    contact_status_name(c->status), key);
		goto bucket;
	}

	/* 3. RDAP: origin AS, then the most specific network */
	if (as != 0 && (rr = rdap_by_as(at->rd, as)) != NULL) {
		if (rr->nemail > 0) {
			from_rdap(out, rr);
			return 1;
		}
		passed = rr;
	}
	if ((rr = rdap_by_addr(at->rd, a, NULL)) != NULL) {
		if (rr->nemail > 0) {
			from_rdap(out, rr);
			return 1;
		}
		if (passed == NULL || (!passed->email_invalid &&
		    rr->email_invalid))
			passed = rr;
	}
	if (passed != NULL) {
		rdap_id(passed, rid, sizeof(rid));
		reason_set(r, "%s for %s (RDAP %s)",
		    passed->email_invalid ? "invalid e-mail" : "no contact",
		    rid, passed->file);
		goto bucket;
	}

unattributed:
	if (!out->routed)
		reason_set(r, "no route");
	else if (as != 0)
		reason_set(r, "no contact for AS%lu",
		    (unsigned long)as);
	else
		reason_set(r, "no contact for %s "
		    "(no origin AS)", prefix_fmt(&out->route.prefix, key,
		    sizeof(key)));
bucket:
	memcpy(r->id, ATTRIB_UNATTRIBUTED, sizeof(ATTRIB_UNATTRIBUTED));
	r->org[0] = r->isp[0] = r->email[0] = '\0';
	memcpy(r->lang, "en", 3);
	memcpy(r->format, "csv", 4);
	r->source = CONTACT_SRC_NONE;
	r->unattributed = 1;
	return 0;
}
