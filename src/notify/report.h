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
 * report pages; docs/notify-formats.md has the table and sources):
 *
 *   kind                 report (IPv4 / IPv6)          X-ARF class/type
 *   device               device_id / device_id6        Vulnerability/
 *                                                        OpenService
 *   vulnerable-version   scan_http_vulnerable /        Vulnerability/
 *                        scan6_http_vulnerable           OpenService
 *     (service not HTTP) scan_vulnerable * / scan6_..  (same)
 *   weak-credential      scan_weak_credential * / ..6  (same)
 *   open-telnet          scan_telnet / scan6_telnet    (same)
 *   c2-server            c2_server * / c2_server6      Content/Botnet
 *   c2-client            botnet_drone / botnet_drone6  Content/Botnet
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
 * X-ARF: one JSON document per finding in the abusix/xarf JSON-schema
 * format (PascalCase, "Version": XARF_SCHEMA_VERSION, ReporterInfo,
 * Disclosure, Report{ReportClass, ReportType, Date, SourceIp, ...}), keys
 * in a fixed order (jansson JSON_PRESERVE_ORDER), indented, LF-terminated.
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

/* The abusix/xarf schema version written in "Version" (schemas/3). */
#define XARF_SCHEMA_VERSION	"3"

#define REPORT_MAX_ITEMS	100000	/* findings in one call */
#define REPORT_CSV_COMMON	14	/* Shadowserver common columns */

struct report_type {
	const char	*name;		/* IPv4 report, "scan_telnet" */
	const char	*name6;		/* IPv6 report, "scan6_telnet" */
	const char	*title;		/* "Accessible Telnet" */
	const char	*kind;		/* finding kind it takes */
	int		 shadowserver;	/* 1: Shadowserver has this report */
	const char	*xarf_class;	/* "Vulnerability" */
	const char	*xarf_type;	/* "OpenService" */
	const char	*xarf_subtype;	/* ReportSubType, or NULL */
	const char *const *fields;	/* the type's own CSV columns */
	size_t		 nfields;
};

/* One finding to report and its attribution (NULL = none). */
struct report_item {
	const struct finding		*f;
	const struct attribution	*at;
};

/* Who reports: X-ARF ReporterInfo and the notice's signature. */
struct report_reporter {
	const char	*org;		/* ReporterOrg (>= 3 chars) */
	const char	*domain;	/* ReporterOrgDomain */
	const char	*email;		/* ReporterOrgEmail */
	const char	*contact_email;	/* optional */
	const char	*contact_name;	/* optional (>= 3 chars) */
	const char	*contact_phone;	/* optional */
	const char	*url;		/* optional: where the notice is
					 * explained; template var reporter_url */
	int		 disclosure;	/* X-ARF "Disclosure" */
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
 * One X-ARF document for item `it`. `rep` must give org, domain and email.
 * Returns 0 with *out malloc'd (NUL-terminated JSON ending in LF, *len
 * bytes), or MM_EINVAL (kind not reported, reporter incomplete), MM_ENOMEM.
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
