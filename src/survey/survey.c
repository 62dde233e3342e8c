/*
 * survey.c - scan results to output rows and findings (see survey.h).
 *
 * Approach: each open target arrives once from the scan engine; the CPE it
 * was identified as is looked up in the vulnerability data, one row is
 * written in the chosen format, and the findings are upserted in the run's
 * open transaction. Evidence is built with jansson and bounded by the
 * excerpt sizes of struct scan_result. Costs: O(CVEs) per target.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "core/mtime.h"
#include "survey/survey.h"

char *
survey_time_fmt(int64_t ms, char *buf, size_t cap)
{
	return mtime_fmt(ms, 1, buf, cap);
}

static void
csv_field(FILE *fp, const char *s)
{
	const char *p;

	if (s == NULL)
		s = "";
	if (strpbrk(s, ",\"\r\n") == NULL) {
		fputs(s, fp);
		return;
	}
	fputc('"', fp);
	for (p = s; *p != '\0'; p++) {
		if (*p == '"')
			fputc('"', fp);
		fputc(*p, fp);
	}
	fputc('"', fp);
}

void
survey_header(struct survey_run *r)
{
	if (r->fmt == SURVEY_OUT_CSV)
		fprintf(r->out, "time,source,target,port,protocol,service,"
		    "vendor,product,version,cpe,cves,rule,banner%s\n",
		    r->meta.creds ? ",credential_id,attempts" : "");
	else if (r->fmt == SURVEY_OUT_TABLE && r->meta.creds)
		fprintf(r->out, "%-24s %-15s %5s %-4s %-7s %-22s %-26s "
		    "%-12s %-10s %s\n", "time", "target", "port", "prot",
		    "service", "vendor", "product", "version", "credential",
		    "cves");
	else if (r->fmt == SURVEY_OUT_TABLE)
		fprintf(r->out, "%-24s %-15s %5s %-4s %-7s %-22s %-26s "
		    "%-12s %s\n", "time", "target", "port", "prot", "service",
		    "vendor", "product", "version", "cves");
}

/* The observed fields worth keeping as evidence, by group. */
static const char *const tls_keys[] = {
	"subject", "issuer", "not_before", "not_after", "sha256", "key",
	"self_signed", NULL
};
static const char *const ssh_keys[] = {
	"hostkey", "hostkey_algs", "kex", "ciphers", "macs", "compression",
	NULL
};

/* A JSON string of n bytes: as they are when valid UTF-8, else with
 * every byte outside printable ASCII as '?'; at most 1 KiB kept. */
static json_t *
json_text(const char *s, size_t n)
{
	char buf[1024];
	json_t *v;
	size_t i;

	if (n > sizeof(buf))
		n = sizeof(buf);
	if ((v = json_stringn(s, n)) != NULL)
		return v;
	for (i = 0; i < n; i++)
		buf[i] = (unsigned char)s[i] >= 0x20 &&
		    (unsigned char)s[i] < 0x7f ? s[i] : '?';
	return json_stringn(buf, n);
}

/* Adds o[name] = { key: value } for the fields prefix+key of res that
 * were observed (nothing when none was). O(fields x keys). */
static void
fields_obj(json_t *o, const char *name, const struct scan_result *res,
    const char *prefix, const char *const *keys)
{
	json_t *g = NULL;
	size_t i, k, pl = strlen(prefix);

	for (k = 0; keys[k] != NULL; k++)
		for (i = 0; i < res->nfields; i++) {
			const struct rules_field *f = &res->fields[i];

			if (f->name == NULL || strncmp(f->name, prefix, pl) !=
			    0 || strcmp(f->name + pl, keys[k]) != 0)
				continue;
			if (g == NULL && (g = json_object()) == NULL)
				return;
			json_object_set_new(g, keys[k], json_text(f->val,
			    f->len));
			break;
		}
	if (g != NULL)
		json_object_set_new(o, name, g);
}

static json_t *
evidence_new(const struct survey_run *r, const struct scan_result *res,
    const char *target, const char *cves)
{
	char tbuf[40], sbuf[40];
	json_t *o = json_object();

	if (o == NULL)
		return NULL;
	json_object_set_new(o, "time", json_string(survey_time_fmt(
	    res->time_ms, tbuf, sizeof(tbuf))));
	json_object_set_new(o, "source", json_string(r->meta.source));
	json_object_set_new(o, "target", json_string(target));
	json_object_set_new(o, "port", json_integer(res->port));
	json_object_set_new(o, "protocol", json_string(res->proto));
	json_object_set_new(o, "service", json_string(res->service));
	json_object_set_new(o, "rule", json_string(res->identified ?
	    res->ident.rule : ""));
	json_object_set_new(o, "vendor", json_string(res->ident.vendor));
	json_object_set_new(o, "product", json_string(res->ident.product));
	json_object_set_new(o, "version", json_string(res->ident.version));
	json_object_set_new(o, "cpe", json_string(res->ident.cpe));
	json_object_set_new(o, "cves", json_string(cves));
	json_object_set_new(o, "banner", json_string(res->banner));
	if (res->error[0] != '\0')
		json_object_set_new(o, "anomaly", json_string(res->error));
	fields_obj(o, "tls", res, "cert.", tls_keys);
	fields_obj(o, "ssh", res, "ssh.", ssh_keys);
	json_object_set_new(o, "scan_id", json_string(r->meta.scan_id));
	json_object_set_new(o, "operator", json_string(r->meta.operator_));
	json_object_set_new(o, "purpose", json_string(r->meta.purpose));
	json_object_set_new(o, "scan_start", json_string(survey_time_fmt(
	    r->meta.start_ms, sbuf, sizeof(sbuf))));
	json_object_set_new(o, "user_agent", json_string(r->meta.user_agent));
	json_object_set_new(o, "contact", json_string(r->meta.contact));
	if (r->meta.creds) {
		json_object_set_new(o, "credential_checked",
		    json_boolean(res->cred_checked));
		json_object_set_new(o, "credential_id", res->cred_id != NULL ?
		    json_string(res->cred_id) : json_null());
		json_object_set_new(o, "credential_attempts",
		    json_integer(res->cred_attempts));
		if (res->cred_checked)
			json_object_set_new(o, "credential_protocol",
			    json_string(res->cred_proto));
	}
	return o;
}

static void
finding_put(struct survey_run *r, const struct scan_result *res,
    const char *kind, const char *extra, enum finding_severity sev,
    double score, const char *summary, json_t *ev)
{
	struct finding f;
	char *evs;

	if (r->db == NULL)
		return;
	if ((evs = json_dumps(ev, JSON_COMPACT)) == NULL) {
		r->db_errors++;
		return;
	}
	memset(&f, 0, sizeof(f));
	f.kind = (char *)kind;
	f.detector = (char *)SURVEY_DETECTOR;
	f.subject = res->addr;
	f.port = res->port;
	f.proto = 6;
	f.dedup_extra = (char *)(extra != NULL ? extra : "");
	f.first_seen = res->time_ms;
	f.last_seen = res->time_ms;
	f.count = 1;
	f.score = score;
	f.severity = sev;
	f.summary = (char *)summary;
	f.evidence = evs;
	f.status = FST_OPEN;
	if (findings_upsert(r->db, &f, 0, NULL, NULL, &r->last_err) != 0)
		r->db_errors++;
	else
		r->findings++;
	free(evs);
}

void
survey_result(const struct scan_result *res, void *arg)
{
	struct survey_run *r = arg;
	struct vulns_hit hits[SURVEY_MAX_CVES];
	char target[64], tbuf[40], cves[SURVEY_MAX_CVES * 20];
	char summary[512];
	int nh = 0, i;
	json_t *ev;

	addr_fmt(&res->addr, target, sizeof(target));
	cves[0] = '\0';
	if (res->identified && res->ident.cpe[0] != '\0' && r->vulns != NULL) {
		nh = vulns_match(r->vulns, res->ident.cpe,
		    res->ident.version[0] != '\0' ? res->ident.version : NULL,
		    hits, SURVEY_MAX_CVES);
		if (nh < 0)
			nh = 0;
		if (nh > SURVEY_MAX_CVES)
			nh = SURVEY_MAX_CVES;
		for (i = 0; i < nh; i++) {
			size_t l = strlen(cves);

			snprintf(cves + l, sizeof(cves) - l, "%s%s",
			    i > 0 ? " " : "", hits[i].cve);
		}
	}
	r->rows++;
	survey_time_fmt(res->time_ms, tbuf, sizeof(tbuf));
	switch (r->fmt) {
	case SURVEY_OUT_JSON: {
		json_t *o = evidence_new(r, res, target, cves);
		char *s;

		if (o == NULL)
			break;
		json_object_set_new(o, "type", json_string("service"));
		if ((s = json_dumps(o, JSON_COMPACT)) != NULL) {
			fprintf(r->out, "%s\n", s);
			free(s);
		}
		json_decref(o);
		break;
	}
	case SURVEY_OUT_CSV: {
		char port[8];

		snprintf(port, sizeof(port), "%u", res->port);
		csv_field(r->out, tbuf); fputc(',', r->out);
		csv_field(r->out, r->meta.source); fputc(',', r->out);
		csv_field(r->out, target); fputc(',', r->out);
		csv_field(r->out, port); fputc(',', r->out);
		csv_field(r->out, res->proto); fputc(',', r->out);
		csv_field(r->out, res->service); fputc(',', r->out);
		csv_field(r->out, res->ident.vendor); fputc(',', r->out);
		csv_field(r->out, res->ident.product); fputc(',', r->out);
		csv_field(r->out, res->ident.version); fputc(',', r->out);
		csv_field(r->out, res->ident.cpe); fputc(',', r->out);
		csv_field(r->out, cves); fputc(',', r->out);
		csv_field(r->out, res->identified ? res->ident.rule : "");
		fputc(',', r->out);
		csv_field(r->out, res->banner);
		if (r->meta.creds)
			fprintf(r->out, ",%s,%u", res->cred_id != NULL ?
			    res->cred_id : "", res->cred_attempts);
		fputc('\n', r->out);
		break;
	}
	default:
		if (r->meta.creds) {
			fprintf(r->out, "%-24s %-15s %5u %-4s %-7s %-22.22s "
			    "%-26.26s %-12.12s %-10s %s\n", tbuf, target,
			    res->port, res->proto, res->service,
			    res->ident.vendor, res->ident.product,
			    res->ident.version, res->cred_id != NULL ?
			    res->cred_id : res->cred_checked ? "-" : "",
			    cves);
			break;
		}
		fprintf(r->out, "%-24s %-15s %5u %-4s %-7s %-22.22s %-26.26s "
		    "%-12.12s %s\n", tbuf, target, res->port, res->proto,
		    res->service, res->ident.vendor, res->ident.product,
		    res->ident.version, cves);
		break;
	}
	if (res->cred_id != NULL)
		r->weak++;
	if (r->db == NULL)
		return;
	if ((ev = evidence_new(r, res, target, cves)) == NULL) {
		r->db_errors++;
		return;
	}
	if (res->identified) {
		snprintf(summary, sizeof(summary), "%s%s%s%s%s on %s:%u/%s",
		    res->ident.vendor, res->ident.vendor[0] != '\0' ? " " : "",
		    res->ident.product, res->ident.version[0] != '\0' ? " " :
		    "", res->ident.version, target, res->port, res->service);
		finding_put(r, res, "device", "", SEV_INFO, 0.0, summary, ev);
	}
	for (i = 0; i < nh; i++) {
		enum finding_severity sev = hits[i].kev ? SEV_CRITICAL :
		    hits[i].cvss >= 7.0 ? SEV_HIGH : SEV_MEDIUM;

		json_object_set_new(ev, "cve", json_string(hits[i].cve));
		json_object_set_new(ev, "cvss", json_real(hits[i].cvss));
		json_object_set_new(ev, "kev", json_boolean(hits[i].kev));
		snprintf(summary, sizeof(summary), "%s (CVSS %.1f%s): %s %s "
		    "on %s:%u", hits[i].cve, hits[i].cvss,
		    hits[i].kev ? ", known exploited" : "",
		    res->ident.product, res->ident.version, target,
		    res->port);
		finding_put(r, res, "vulnerable-version", hits[i].cve, sev,
		    hits[i].cvss, summary, ev);
		r->vulnerable++;
	}
	json_object_del(ev, "cve");
	json_object_del(ev, "cvss");
	json_object_del(ev, "kev");
	if (strcmp(res->service, "telnet") == 0 && res->telnet_login) {
		snprintf(summary, sizeof(summary), "telnet login prompt open "
		    "on %s:%u", target, res->port);
		finding_put(r, res, "open-telnet", "", SEV_MEDIUM, 5.0,
		    summary, ev);
	}
	if (res->cred_id != NULL) {
		/* the pair by id only: never its user or password */
		snprintf(summary, sizeof(summary), "%s on %s:%u accepts the "
		    "well-known login pair %s (%u attempt%s)", res->cred_proto,
		    target, res->port, res->cred_id, res->cred_attempts,
		    res->cred_attempts == 1 ? "" : "s");
		if (r->meta.creds_file != NULL)
			json_object_set_new(ev, "credential_list",
			    json_string(r->meta.creds_file));
		finding_put(r, res, "weak-credential", res->cred_id, SEV_HIGH,
		    8.0, summary, ev);
	}
	json_decref(ev);
}

static const char *
cred_line(const struct survey_run *r, const struct scan_stats *st, char *b,
    size_t cap)
{
	if (!r->meta.creds)
		b[0] = '\0';
	else
		snprintf(b, cap, " cred_services=%llu cred_attempts=%llu "
		    "weak_credentials=%llu", (unsigned long long)
		    st->cred_services, (unsigned long long)st->cred_attempts,
		    (unsigned long long)st->cred_found);
	return b;
}

void
survey_summary(struct survey_run *r, const struct scan_stats *st,
    int64_t end_ms)
{
	char sbuf[40], ebuf[40], cl[160];
	double secs = (double)(st->now_ns - st->start_ns) / 1e9;
	json_t *o;
	char *s;

	survey_time_fmt(r->meta.start_ms, sbuf, sizeof(sbuf));
	survey_time_fmt(end_ms, ebuf, sizeof(ebuf));
	if (r->fmt != SURVEY_OUT_JSON) {
		fprintf(stderr, "survey %s: operator=%s purpose=%s start=%s "
		    "end=%s targets=%llu open=%llu identified=%llu "
		    "vulnerable=%llu connects=%llu scope_refused=%llu "
		    "anomalies=%llu findings=%llu%s %.1f targets/s\n",
		    r->meta.scan_id, r->meta.operator_, r->meta.purpose, sbuf,
		    ebuf, (unsigned long long)st->done,
		    (unsigned long long)st->open,
		    (unsigned long long)st->identified,
		    (unsigned long long)r->vulnerable,
		    (unsigned long long)st->connects,
		    (unsigned long long)st->scope_refused,
		    (unsigned long long)st->errors,
		    (unsigned long long)r->findings, cred_line(r, st, cl,
		    sizeof(cl)), secs > 0 ? (double)st->done / secs : 0.0);
		return;
	}
	if ((o = json_object()) == NULL)
		return;
	json_object_set_new(o, "type", json_string("summary"));
	json_object_set_new(o, "scan_id", json_string(r->meta.scan_id));
	json_object_set_new(o, "operator", json_string(r->meta.operator_));
	json_object_set_new(o, "purpose", json_string(r->meta.purpose));
	json_object_set_new(o, "start", json_string(sbuf));
	json_object_set_new(o, "end", json_string(ebuf));
	json_object_set_new(o, "user_agent", json_string(r->meta.user_agent));
	json_object_set_new(o, "contact", json_string(r->meta.contact));
	json_object_set_new(o, "source", json_string(r->meta.source));
	json_object_set_new(o, "targets", json_integer((json_int_t)st->done));
	json_object_set_new(o, "open", json_integer((json_int_t)st->open));
	json_object_set_new(o, "identified",
	    json_integer((json_int_t)st->identified));
	json_object_set_new(o, "vulnerable",
	    json_integer((json_int_t)r->vulnerable));
	json_object_set_new(o, "connects",
	    json_integer((json_int_t)st->connects));
	json_object_set_new(o, "connect_timeouts",
	    json_integer((json_int_t)st->conn_timeouts));
	json_object_set_new(o, "scope_refused",
	    json_integer((json_int_t)st->scope_refused));
	json_object_set_new(o, "anomalies",
	    json_integer((json_int_t)st->errors));
	json_object_set_new(o, "inflight_max",
	    json_integer((json_int_t)st->inflight_max));
	json_object_set_new(o, "findings",
	    json_integer((json_int_t)r->findings));
	json_object_set_new(o, "credential_check", json_boolean(r->meta.creds));
	if (r->meta.creds) {
		json_object_set_new(o, "max_attempts",
		    json_integer(r->meta.max_attempts));
		json_object_set_new(o, "credential_services",
		    json_integer((json_int_t)st->cred_services));
		json_object_set_new(o, "credential_attempts",
		    json_integer((json_int_t)st->cred_attempts));
		json_object_set_new(o, "weak_credentials",
		    json_integer((json_int_t)st->cred_found));
	}
	if (st->source_skipped > 0)
		json_object_set_new(o, "source_skipped",
		    json_integer((json_int_t)st->source_skipped));
	json_object_set_new(o, "seconds", json_real(secs));
	json_object_set_new(o, "targets_per_s",
	    json_real(secs > 0 ? (double)st->done / secs : 0.0));
	if ((s = json_dumps(o, JSON_COMPACT)) != NULL) {
		fprintf(r->out, "%s\n", s);
		free(s);
	}
	json_decref(o);
}
