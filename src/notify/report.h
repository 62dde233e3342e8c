/*
 * report.h - findings as notification reports: Shadowserver-compatible CSV,
 * X-ARF JSON, and the variables and message of the notice e-mail.
 *
 * Input is in memory: findings (findings/findings.h) each paired with its
 * attribution (attrib/attrib.h). Nothing here reads the database, prints
 * or touches the network.
 *
 * Report types. Every reportable finding kind maps to a report type named
 * like Shadowserver's daily reports (their report_schema repository and
 * report pages; docs/notify-formats.md has the table and sources) and to
 * an X-ARF v4 category/type (xarf/xarf-spec schemas/v4, tag v4.2.0):
 *
 *   kind                 report (IPv4 / IPv6)          X-ARF category/type
 *   device               device_id / device_id6        vulnerability/
 *                                                        open_service
 *   vulnerable-version   scan_http_vulnerable /        vulnerability/cve
 *                        scan6_http_vulnerable           (open_service
 *     (service not HTTP) scan_vulnerable * / scan6_..    without a CVE id
 *                                                        or port)
 *   weak-credential      scan_weak_credential * / ..6  vulnerability/
 *                                                        misconfiguration
 *   open-telnet          scan_telnet / scan6_telnet    vulnerability/
 *                                                        open_service
 *   c2-server            c2_server * / c2_server6      infrastructure/botnet
 *   c2-client            botnet_drone / botnet_drone6  infrastructure/botnet
 *   (* = mamori's own name in Shadowserver's layout: Shadowserver has no
 *   such report)
 *
 * CSV: Shadowserver's common columns first (timestamp, severity, ip,
 * protocol, port, hostname, tag, asn, geo, region, city, naics,
 * hostname_source, sector), then the type's own; RFC 4180 (quoted when
 * needed, CRLF, UTF-8, header row); one CSV per report type, rows sorted by
 * (address, port, last seen, extra key, id). Text that came from a scanned
 * device (banners, product strings) has control characters replaced by
 * spaces and a leading = + - @ neutralised with an apostrophe (spreadsheet
 * formula injection). Columns mamori cannot fill (hostname, geo, ...) are
 * empty.
 *
 * X-ARF: one X-ARF v4 JSON document per finding (xarf-core.json:
 * xarf_version, report_id, timestamp, reporter, sender, source_identifier,
 * category, type, evidence_source, evidence[], tags, confidence,
 * description, plus the type's fields), keys in a fixed order (jansson
 * JSON_PRESERVE_ORDER), indented, LF-terminated. report_id is a UUIDv5
 * derived from (reporter domain, finding id, kind, subject, last seen), so
 * re-rendering a finding gives the same id. docs/notify-formats.md has
 * every field.
 *
 * Costs: O(n log n) for the sort, O(n + output) otherwise; each finding's
 * evidence JSON is parsed once per output (jansson, capped by the findings
 * store at FINDINGS_EVIDENCE_MAX).
 */
#ifndef MAMORI_NOTIFY_REPORT_H
#define MAMORI_NOTIFY_REPORT_H

#include <stddef.h>
#include <stdint.h>

#include "attrib/attrib.h"
#include "core/err.h"
#include "core/mtime.h"
#include "findings/findings.h"
#include "notify/mail.h"
#include "notify/tmpl.h"

/* The X-ARF v4 schema version written in "xarf_version": the xarf/xarf-spec
 * release whose schemas/v4 the documents follow (and tests/notify/schemas/
 * holds). */
#define XARF_SCHEMA_VERSION	"4.2.0"
/* X-ARF "confidence" of survey findings: seen on the wire, or inferred
 * from a version string (vulnerable-version). C&C findings use their
 * score. */
#define XARF_CONF_OBSERVED	1.0
#define XARF_CONF_VERSION	0.8

#define REPORT_MAX_ITEMS	100000	/* findings in one call */
#define REPORT_CSV_COMMON	14	/* Shadowserver common columns */

struct report_type {
	const char	*name;		/* IPv4 report, "scan_telnet" */
	const char	*name6;		/* IPv6 report, "scan6_telnet" */
	const char	*title;		/* "Accessible Telnet" */
	const char	*kind;		/* finding kind it takes */
	int		 shadowserver;	/* 1: Shadowserver has this report */
	const char	*xarf_category;	/* X-ARF v4 "vulnerability" */
	const char	*xarf_type;	/* X-ARF v4 "open_service" */
	const char *const *fields;	/* the type's own CSV columns */
	size_t		 nfields;
};

/* One finding to report and its attribution (NULL = none). */
struct report_item {
	const struct finding		*f;
	const struct attribution	*at;
};

/*
 * Who reports: X-ARF "reporter" and "sender" and the notice's signature.
 * X-ARF reporter = {org, contact_email or email, domain}; sender =
 * {sender_org, sender_email, sender_domain}, each falling back to org,
 * email, domain when NULL (mamori both makes and sends the report).
 */
struct report_reporter {
	const char	*org;		/* organisation (1..200 characters) */
	const char	*domain;	/* its DNS domain */
	const char	*email;		/* its reporting address (From) */
	const char	*contact_email;	/* optional: where to answer */
	const char	*contact_name;	/* optional (notice only) */
	const char	*contact_phone;	/* optional (notice only) */
	const char	*url;		/* optional: where the notice is
					 * explained; template var reporter_url */
	int		 disclosure;	/* unused since X-ARF v4 (was v3's
					 * "Disclosure") */
	const char	*sender_org;	/* optional X-ARF sender, see above */
	const char	*sender_domain;	/* optional */
	const char	*sender_email;	/* optional */
};

/* One CSV of a report set. */
struct report_csv {
	const struct report_type *type;
	int		 v6;
	const char	*name;		/* type->name or type->name6 */
	char		*data;		/* CSV text, NUL-terminated */
	size_t		 len;
	size_t		 rows;
};

struct report_csvset {
	struct report_csv *v;		/* in report table order, v4 first */
	size_t		 n;
	size_t		 skipped;	/* items of kinds not reported */
};

/* The report table (7 entries, *n set), never NULL. */
const struct report_type *report_types(size_t *n);
/* The type whose name or name6 is `name`, or NULL. */
const struct report_type *report_type_find(const char *name);
/*
 * The report a finding goes in (*v6 set, may be NULL), or NULL when its
 * kind is not reported (or f is NULL). vulnerable-version findings whose
 * evidence "service" is http/https/tls (or absent) go to
 * scan_http_vulnerable, others to scan_vulnerable.
 */
const struct report_type *report_type_of(const struct finding *f, int *v6);

/*
 * Builds one CSV per report type present in items[0..n) (items of other
 * kinds are counted in set->skipped). Returns 0 with *set filled (free with
 * report_csvset_free()), or MM_EINVAL (NULL finding), MM_ELIMIT
 * (n > REPORT_MAX_ITEMS), MM_ENOMEM. Evidence that is not a JSON object
 * leaves the evidence columns empty (the finding is still reported).
 */
int	report_csv_build(const struct report_item *items, size_t n,
	    struct report_csvset *set, struct mm_diag *d);
/* Frees the CSVs and zeroes *set; NULL-safe. */
void	report_csvset_free(struct report_csvset *set);
/* Shadowserver-style file name "YYYY-MM-DD-NAME.csv" (UTC date of `day`)
 * into buf; returns buf (truncated to len). */
char	*report_csv_filename(const char *name, mtime_t day, char *buf,
	    size_t len);

/*
 * One X-ARF v4 document (XARF_SCHEMA_VERSION) for item `it`. `rep` must
 * give org, domain (a DNS host name) and email (local@domain); a given
 * contact_email and sender_* must be valid too. Device-chosen text is
 * cleaned (invalid UTF-8 -> '?', controls -> space) and cut to the
 * schema's lengths. Returns 0 with *out malloc'd (NUL-terminated JSON
 * ending in LF, *len bytes; len may be NULL), or MM_EINVAL (kind not
 * reported, reporter incomplete), MM_ENOMEM. Pure: the same item and
 * reporter always give the same bytes.
 */
int	report_xarf(const struct report_item *it,
	    const struct report_reporter *rep, char **out, size_t *len,
	    struct mm_diag *d);

/* A notice to one recipient. */
struct report_notice {
	const struct report_reporter *reporter;
	const struct recipient	*rcpt;		/* To = rcpt->email */
	mtime_t			 period_start;
	mtime_t			 period_end;
	int			 tz_min;	/* body times: minutes east */
	const char		*tz_name;	/* "JST", "UTC" */
	const char		*from;		/* addr-spec */
	const char		*from_name;	/* or NULL */
	mtime_t			 date;		/* Date: */
	const char		*message_id;	/* "<..@..>" */
	const char		*boundary;	/* NULL = random */
};

/*
 * Fills a new variable scope *out (free with tmpl_vars_free()) for the
 * notice templates: see docs/notify-formats.md for every name (org,
 * period_start, total, the per-type sections telnet, weak_credential,
 * vulnerable (with cves), c2_client, c2_server, device, the evidence table
 * rows, attachments, reporter_*). Returns 0, MM_EINVAL (missing reporter or
 * recipient), MM_ELIMIT, MM_ENOMEM.
 */
int	report_notice_vars(const struct report_item *items, size_t n,
	    const struct report_notice *nt, struct tmpl_vars **out,
	    struct mm_diag *d);

/*
 * The complete notice e-mail for items[0..n) (all for nt->rcpt): renders
 * `tm` (the recipient's language), attaches one CSV per report type when
 * rcpt->format is "csv" or "both" and one X-ARF JSON per finding when it is
 * "xarf" or "both", and builds the message with mail_build() (To =
 * rcpt->email; `check` as there). Returns 0 with *eml malloc'd (*len
 * bytes), or MM_EINVAL (no e-mail address, no reportable finding, template
 * or mail errors), MM_ENOENT (template variable missing), MM_ELIMIT (more
 * attachments than MAIL_MAX_PARTS: split the findings), MM_ENOMEM.
 */
int	report_notice_mail(const struct report_item *items, size_t n,
	    const struct report_notice *nt, const struct tmpl_mail *tm,
	    mail_addr_check check, void *arg, char **eml, size_t *len,
	    struct mm_diag *d);

#endif
