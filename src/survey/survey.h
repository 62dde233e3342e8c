/*
 * survey.h - one survey run: scan results -> vulnerable versions ->
 * output rows (JSON lines, CSV, table) and findings.
 *
 * survey_result() is the scan_result_cb: it looks the identified CPE and
 * version up in the vulnerability data, writes one row to the output stream
 * and upserts findings: `device` (identified service), `vulnerable-version`
 * (one per CVE, dedup_extra = the CVE) and `open-telnet` (a telnet service
 * that shows a login or password prompt) and, when the opt-in credential
 * check ran (meta.creds), `weak-credential` (severity high, dedup_extra =
 * the pair's id) for a service that accepted a pair. A pair is named by
 * its id only; the user and password never reach a row or a finding.
 * Every finding's evidence carries
 * the time, source address, target, port, protocol, matched rule, banner
 * excerpt, scan id and the scan metadata (operator, purpose, start, user
 * agent, contact). Costs: one vulns_match and at most 2 + CVEs upserts per
 * open target; findings are batched in one transaction per run.
 */
#ifndef MAMORI_SURVEY_SURVEY_H
#define MAMORI_SURVEY_SURVEY_H

#include <stdint.h>
#include <stdio.h>

#include "core/err.h"
#include "findings/findings.h"
#include "survey/scan.h"
#include "survey/vulns.h"

#define SURVEY_DETECTOR		"survey"
#define SURVEY_MAX_CVES		32	/* CVEs kept per service */

enum survey_out {
	SURVEY_OUT_TABLE = 0,
	SURVEY_OUT_CSV,
	SURVEY_OUT_JSON
};

struct survey_meta {
	const char	*scan_id;
	const char	*operator_;
	const char	*purpose;
	const char	*user_agent;
	const char	*contact;
	const char	*source;	/* source address text, or "" */
	int64_t		 start_ms;
	int		 creds;		/* the credential check is on */
	const char	*creds_file;	/* its list (path), or NULL */
	unsigned	 max_attempts;
};

struct survey_run {
	struct survey_meta	 meta;
	const struct vulns	*vulns;		/* may be NULL */
	struct findings_db	*db;		/* may be NULL (dry run) */
	FILE			*out;
	enum survey_out		 fmt;
	uint64_t		 rows;
	uint64_t		 findings;
	uint64_t		 vulnerable;
	uint64_t		 weak;		/* weak-credential services */
	uint64_t		 db_errors;
	struct mm_diag		 last_err;
};

/* Writes the CSV header or table header for r->fmt (nothing for JSON). */
void	survey_header(struct survey_run *r);

/* scan_result_cb: arg is a struct survey_run *. */
void	survey_result(const struct scan_result *res, void *arg);

/* Writes the summary object / line (metadata, end time, counters). */
void	survey_summary(struct survey_run *r, const struct scan_stats *st,
	    int64_t end_ms);

/* Formats Unix milliseconds as "YYYY-MM-DDTHH:MM:SS.mmmZ" into buf. */
char	*survey_time_fmt(int64_t ms, char *buf, size_t cap);

#endif
