/*
 * report.c - findings to Shadowserver-style CSV, X-ARF JSON and the notice
 * e-mail (see report.h; mapping and sources in docs/notify-formats.md).
 *
 * Design: a static table of report types, each with its own column list
 * and a row writer that reads the finding and its evidence object. Items
 * are sorted once (address, port, last seen, extra key, id) through an
 * array of pointers, so every output is deterministic whatever order the
 * caller passes. Evidence is parsed with jansson (already validated as a
 * JSON object by the findings store; anything else reads as "no evidence"
 * and leaves the evidence columns empty rather than dropping the finding).
 *
 * Trust: finding evidence from the survey carries strings chosen by the
 * scanned device (banner, product, version). In CSV those are cleaned
 * (controls -> space, leading = + - @ prefixed with an apostrophe) because
 * abuse desks open CSVs in spreadsheets; in JSON jansson escapes them; in
 * the mail body they pass through mail_build(), which encodes the body
 * (base64/QP), so they cannot reach a header.
 *
 * X-ARF v4 (xarf/xarf-spec schemas/v4): one document per finding, built
 * as a jansson object in a fixed key order. Its report_id is a UUIDv5 of
 * (reporter domain, finding id, kind, subject, last seen), so re-rendering
 * is byte-identical; evidence items carry base64 payloads with SHA-256
 * hashes. SHA-1/SHA-256 are implemented here (FIPS 180-4) because the
 * notify area links no crypto library. Which category/type each kind gets
 * and why is in docs/notify-formats.md.
 *
 * Costs: O(n log n) sort; O(n) evidence parses per output; output buffers
 * grow geometrically; an X-ARF document is O(evidence size) (one parse,
 * one copy of selected fields, base64 and one SHA-256 pass). Nothing
 * prints or touches the network.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "core/sbuf.h"
#include "notify/report.h"

/* ---- the report table ---- */

static const char *const f_device[] = { "device_vendor", "device_type",
    "device_model", "device_version", "service", "cpe" };
static const char *const f_vuln[] = { "vendor", "product", "version",
    "service", "cpe", "cve", "cvss", "known_exploited" };
static const char *const f_weak[] = { "vendor", "product", "version",
    "service", "credential_id" };
static const char *const f_telnet[] = { "banner" };
static const char *const f_c2srv[] = { "score", "period_s", "jitter",
    "clients", "beaconing_clients", "flows", "first_seen", "last_seen",
    "intel_source", "intel_tag" };
static const char *const f_drone[] = { "dst_ip", "dst_port", "infection",
    "family", "score", "period_s", "jitter", "connections", "first_seen",
    "last_seen" };

#define NF(a)	a, sizeof(a) / sizeof(a[0])

enum { T_DEVICE, T_HTTPVULN, T_VULN, T_WEAK, T_TELNET, T_C2SRV, T_DRONE,
    T_N };

static const struct report_type types[T_N] = {
	{ "device_id", "device_id6", "Device Identification", "device", 1,
	    "vulnerability", "open_service", NF(f_device) },
	{ "scan_http_vulnerable", "scan6_http_vulnerable", "Vulnerable HTTP",
	    "vulnerable-version", 1, "vulnerability", "cve", NF(f_vuln) },
	{ "scan_vulnerable", "scan6_vulnerable", "Vulnerable Service Version",
	    "vulnerable-version", 0, "vulnerability", "cve", NF(f_vuln) },
	{ "scan_weak_credential", "scan6_weak_credential",
	    "Default or Weak Credential", "weak-credential", 0,
	    "vulnerability", "misconfiguration", NF(f_weak) },
	{ "scan_telnet", "scan6_telnet", "Accessible Telnet", "open-telnet", 1,
	    "vulnerability", "open_service", NF(f_telnet) },
	{ "c2_server", "c2_server6", "C&C Server", "c2-server", 0,
	    "infrastructure", "botnet", NF(f_c2srv) },
	{ "botnet_drone", "botnet_drone6", "Infected Host (C&C client)",
	    "c2-client", 1, "infrastructure", "botnet", NF(f_drone) },
};

static const char *const f_common[REPORT_CSV_COMMON] = { "timestamp",
    "severity", "ip", "protocol", "port", "hostname", "tag", "asn", "geo",
    "region", "city", "naics", "hostname_source", "sector" };

const struct report_type *
report_types(size_t *n)
{
	if (n != NULL)
		*n = T_N;
	return types;
}

const struct report_type *
report_type_find(const char *name)
{
	size_t i;

	if (name == NULL)
		return NULL;
	for (i = 0; i < T_N; i++)
		if (strcmp(types[i].name, name) == 0 ||
		    strcmp(types[i].name6, name) == 0)
			return &types[i];
	return NULL;
}

/* ---- evidence ---- */

static json_t *
ev_load(const struct finding *f)
{
	json_t *o;

	if (f->evidence == NULL || f->evidence[0] == '\0')
		return NULL;
	o = json_loads(f->evidence, 0, NULL);
	if (o != NULL && !json_is_object(o)) {
		json_decref(o);
		o = NULL;
	}
	return o;
}

static const char *
ev_str(const json_t *ev, const char *key)
{
	const json_t *v = ev != NULL ? json_object_get(ev, key) : NULL;

	return v != NULL && json_is_string(v) ? json_string_value(v) : "";
}

/* A number (or numeric string) as text; "" when absent. */
static const char *
ev_num(const json_t *ev, const char *key, const char *fmt, char *buf,
    size_t len)
{
	const json_t *v = ev != NULL ? json_object_get(ev, key) : NULL;

	buf[0] = '\0';
	if (v == NULL)
		return buf;
	if (json_is_integer(v))
		snprintf(buf, len, "%lld", (long long)json_integer_value(v));
	else if (json_is_real(v))
		snprintf(buf, len, fmt, json_real_value(v));
	else if (json_is_string(v))
		snprintf(buf, len, "%s", json_string_value(v));
	return buf;
}

static const char *
ev_sub(const json_t *ev, const char *obj, const char *key)
{
	const json_t *o = ev != NULL ? json_object_get(ev, obj) : NULL;

	return o != NULL && json_is_object(o) ? ev_str(o, key) : "";
}

static int
ev_true(const json_t *ev, const char *key)
{
	const json_t *v = ev != NULL ? json_object_get(ev, key) : NULL;

	return v != NULL && json_is_true(v);
}

/* Service of a survey finding; open-telnet findings are telnet. */
static const char *
ev_service(const struct finding *f, const json_t *ev)
{
	const char *s = ev_str(ev, "service");

	if (s[0] == '\0' && strcmp(f->kind, "open-telnet") == 0)
		return "telnet";
	return s;
}

const struct report_type *
report_type_of(const struct finding *f, int *v6)
{
	size_t i;

	if (v6 != NULL)
		*v6 = 0;
	if (f == NULL || f->kind == NULL)
		return NULL;
	if (v6 != NULL)
		*v6 = !addr_is_v4(&f->subject);
	if (strcmp(f->kind, "vulnerable-version") == 0) {
		json_t *ev = ev_load(f);
		const char *s = ev_str(ev, "service");
		int http = s[0] == '\0' || strcmp(s, "http") == 0 ||
		    strcmp(s, "https") == 0 || strcmp(s, "tls") == 0;

		json_decref(ev);
		return &types[http ? T_HTTPVULN : T_VULN];
	}
	for (i = 0; i < T_N; i++)
		if (i != T_HTTPVULN && i != T_VULN &&
		    strcmp(types[i].kind, f->kind) == 0)
			return &types[i];
	return NULL;
}

/* ---- small helpers ---- */

static const char *
proto_str(uint8_t p, char *buf, size_t len)
{
	switch (p) {
	case 0:
		return "";
	case 6:
		return "tcp";
	case 17:
		return "udp";
	case 1:
		return "icmp";
	case 58:
		return "icmp6";
	default:
		snprintf(buf, len, "%u", p);
		return buf;
	}
}

/* "YYYY-MM-DD HH:MM:SS" (Shadowserver timestamp), zone shifted by tz_min;
 * `sec` 0 drops the seconds. */
static char *
ts_fmt(mtime_t t, int tz_min, int sec, char *buf, size_t len)
{
	int64_t s = (t >= 0 ? t / 1000 : -((-t + 999) / 1000)) +
	    (int64_t)tz_min * 60;
	int64_t days = s >= 0 ? s / 86400 : -((-s + 86399) / 86400);
	int64_t sod = s - days * 86400, y;
	unsigned m, d;

	mtime_civil_from_days(days, &y, &m, &d);
	if (sec)
		snprintf(buf, len, "%04lld-%02u-%02u %02d:%02d:%02d",
		    (long long)y, m, d, (int)(sod / 3600),
		    (int)(sod / 60 % 60), (int)(sod % 60));
	else
		snprintf(buf, len, "%04lld-%02u-%02u %02d:%02d",
		    (long long)y, m, d, (int)(sod / 3600),
		    (int)(sod / 60 % 60));
	return buf;
}

static int
item_cmp(const void *a, const void *b)
{
	const struct report_item *x = *(const struct report_item *const *)a;
	const struct report_item *y = *(const struct report_item *const *)b;
	const char *ex, *ey;
	int c;

	if ((c = addr_cmp(&x->f->subject, &y->f->subject)) != 0)
		return c;
	if (x->f->port != y->f->port)
		return x->f->port < y->f->port ? -1 : 1;
	if (x->f->last_seen != y->f->last_seen)
		return x->f->last_seen < y->f->last_seen ? -1 : 1;
	ex = x->f->dedup_extra != NULL ? x->f->dedup_extra : "";
	ey = y->f->dedup_extra != NULL ? y->f->dedup_extra : "";
	if ((c = strcmp(ex, ey)) != 0)
		return c;
	if ((c = strcmp(x->f->kind, y->f->kind)) != 0)
		return c;
	return x->f->id < y->f->id ? -1 : x->f->id > y->f->id;
}

/* Sorted array of pointers to the items; NULL on error. */
static const struct report_item **
items_sorted(const struct report_item *items, size_t n, int *rc,
    struct mm_diag *d)
{
	const struct report_item **v;
	size_t i;

	*rc = 0;
	if (n > REPORT_MAX_ITEMS) {
		*rc = mm_diag_set(d, MM_ELIMIT, "report: over %d findings",
		    REPORT_MAX_ITEMS);
		return NULL;
	}
	for (i = 0; i < n; i++)
		if (items[i].f == NULL || items[i].f->kind == NULL) {
			*rc = mm_diag_set(d, MM_EINVAL, "report: item %zu has "
			    "no finding", i);
			return NULL;
		}
	if ((v = calloc(n + 1, sizeof(*v))) == NULL) {
		*rc = mm_diag_set(d, MM_ENOMEM, "report: out of memory");
		return NULL;
	}
	for (i = 0; i < n; i++)
		v[i] = &items[i];
	qsort(v, n, sizeof(*v), item_cmp);
	return v;
}

/* ---- CSV ---- */

struct row {
	struct strbuf	*b;
	int		 first;
};

/* One RFC 4180 field. `untrusted`: device-chosen text. */
static void
csv_put(struct row *r, const char *s, int untrusted)
{
	const char *p;
	int quote = 0;

	if (!r->first)
		strbuf_add(r->b, ",", 1);
	r->first = 0;
	if (s == NULL)
		s = "";
	for (p = s; *p != '\0'; p++)
		if (*p == ',' || *p == '"' || *p == '\r' || *p == '\n' ||
		    (untrusted && ((unsigned char)*p < 0x20 || *p == 0x7F)))
			quote = 1;
	if (untrusted && strchr("=+-@", s[0]) != NULL && s[0] != '\0')
		quote = 1;
	if (!quote) {
		strbuf_str(r->b, s);
		return;
	}
	strbuf_add(r->b, "\"", 1);
	if (untrusted && s[0] != '\0' && strchr("=+-@", s[0]) != NULL)
		strbuf_add(r->b, "'", 1);
	for (p = s; *p != '\0'; p++) {
		if (*p == '"')
			strbuf_add(r->b, "\"\"", 2);
		else if (untrusted && ((unsigned char)*p < 0x20 ||
		    *p == 0x7F))
			strbuf_add(r->b, " ", 1);
		else
			strbuf_add(r->b, p, 1);
	}
	strbuf_add(r->b, "\"", 1);
}

static void
csv_end(struct row *r)
{
	strbuf_add(r->b, "\r\n", 2);
	r->first = 1;
}

/* Lowercase tag text: [a-z0-9.;_-], anything else '-'. */
static void
tag_clean(char *s)
{
	for (; *s != '\0'; s++) {
		if (*s >= 'A' && *s <= 'Z')
			*s = (char)(*s - 'A' + 'a');
		else if (!((*s >= 'a' && *s <= 'z') ||
		    (*s >= '0' && *s <= '9') || *s == '.' || *s == ';' ||
		    *s == '_' || *s == '-'))
			*s = '-';
	}
}

static void
tag_of(int t, const struct finding *f, const json_t *ev, char *buf,
    size_t len)
{
	const char *rep;

	switch (t) {
	case T_DEVICE:
		snprintf(buf, len, "%s", ev_service(f, ev)[0] != '\0' ?
		    ev_service(f, ev) : "device");
		break;
	case T_HTTPVULN:
	case T_VULN:
		snprintf(buf, len, "%s%s%s", ev_str(ev, "cve")[0] != '\0' ?
		    ev_str(ev, "cve") : f->dedup_extra != NULL ?
		    f->dedup_extra : "", ev_str(ev, "product")[0] != '\0' ?
		    ";" : "", ev_str(ev, "product"));
		break;
	case T_WEAK:
		snprintf(buf, len, "weak-credential%s%s",
		    ev_service(f, ev)[0] != '\0' ? ";" : "",
		    ev_service(f, ev));
		break;
	case T_TELNET:
		snprintf(buf, len, "telnet");
		break;
	case T_C2SRV:
		rep = ev_sub(ev, "reputation", "tag");
		snprintf(buf, len, "c2-server%s%s", rep[0] ? ";" : "", rep);
		break;
	default:
		rep = ev_sub(ev, "reputation", "tag");
		snprintf(buf, len, "c2-client%s%s", rep[0] ? ";" : "", rep);
		break;
	}
	tag_clean(buf);
}

static void
row_common(struct row *r, int t, const struct report_item *it,
    const json_t *ev)
{
	const struct finding *f = it->f;
	char ts[40], ab[ADDR_STRLEN], pb[8], port[8], tag[160], asn[16];

	csv_put(r, ts_fmt(f->last_seen, 0, 1, ts, sizeof(ts)), 0);
	csv_put(r, findings_severity_name(f->severity), 0);
	csv_put(r, addr_fmt(&f->subject, ab, sizeof(ab)), 0);
	csv_put(r, proto_str(f->proto, pb, sizeof(pb)), 0);
	/* a C&C client's port is the server's: it goes in dst_port */
	port[0] = '\0';
	if (f->port != 0 && t != T_DRONE)
		snprintf(port, sizeof(port), "%u", f->port);
	csv_put(r, port, 0);
	csv_put(r, "", 0);			/* hostname */
	tag_of(t, f, ev, tag, sizeof(tag));
	csv_put(r, tag, 0);
	asn[0] = '\0';
	if (it->at != NULL && it->at->routed && it->at->route.origin_as != 0)
		snprintf(asn, sizeof(asn), "%u", it->at->route.origin_as);
	csv_put(r, asn, 0);
	csv_put(r, "", 0);			/* geo */
	csv_put(r, "", 0);			/* region */
	csv_put(r, "", 0);			/* city */
	csv_put(r, "", 0);			/* naics */
	csv_put(r, "", 0);			/* hostname_source */
	csv_put(r, "", 0);			/* sector */
}

static void
row_type(struct row *r, int t, const struct report_item *it,
    const json_t *ev)
{
	const struct finding *f = it->f;
	char nb[64], ts[40];

	switch (t) {
	case T_DEVICE:
		csv_put(r, ev_str(ev, "vendor"), 1);
		csv_put(r, "", 0);
		csv_put(r, ev_str(ev, "product"), 1);
		csv_put(r, ev_str(ev, "version"), 1);
		csv_put(r, ev_service(f, ev), 1);
		csv_put(r, ev_str(ev, "cpe"), 1);
		break;
	case T_HTTPVULN:
	case T_VULN:
		csv_put(r, ev_str(ev, "vendor"), 1);
		csv_put(r, ev_str(ev, "product"), 1);
		csv_put(r, ev_str(ev, "version"), 1);
		csv_put(r, ev_service(f, ev), 1);
		csv_put(r, ev_str(ev, "cpe"), 1);
		csv_put(r, ev_str(ev, "cve")[0] != '\0' ? ev_str(ev, "cve") :
		    f->dedup_extra, 1);
		csv_put(r, ev_num(ev, "cvss", "%.1f", nb, sizeof(nb)), 0);
		csv_put(r, ev != NULL && json_object_get(ev, "kev") != NULL ?
		    (ev_true(ev, "kev") ? "true" : "false") : "", 0);
		break;
	case T_WEAK:
		csv_put(r, ev_str(ev, "vendor"), 1);
		csv_put(r, ev_str(ev, "product"), 1);
		csv_put(r, ev_str(ev, "version"), 1);
		csv_put(r, ev_service(f, ev), 1);
		csv_put(r, ev_str(ev, "credential_id"), 1);
		break;
	case T_TELNET:
		csv_put(r, ev_str(ev, "banner"), 1);
		break;
	case T_C2SRV:
		snprintf(nb, sizeof(nb), "%.3f", f->score);
		csv_put(r, nb, 0);
		csv_put(r, ev_num(ev, "period_s", "%.6g", nb, sizeof(nb)), 0);
		csv_put(r, ev_num(ev, "jitter", "%.3f", nb, sizeof(nb)), 0);
		csv_put(r, ev_num(ev, "clients", "%.0f", nb, sizeof(nb)), 0);
		csv_put(r, ev_num(ev, "beaconing_clients", "%.0f", nb,
		    sizeof(nb)), 0);
		csv_put(r, ev_num(ev, "flows", "%.0f", nb, sizeof(nb)), 0);
		csv_put(r, ts_fmt(f->first_seen, 0, 1, ts, sizeof(ts)), 0);
		csv_put(r, ts_fmt(f->last_seen, 0, 1, ts, sizeof(ts)), 0);
		csv_put(r, ev_sub(ev, "reputation", "source"), 1);
		csv_put(r, ev_sub(ev, "reputation", "tag"), 1);
		break;
	default:
		csv_put(r, ev_str(ev, "server")[0] != '\0' ?
		    ev_str(ev, "server") : f->dedup_extra, 1);
		nb[0] = '\0';
		if (f->port != 0)
			snprintf(nb, sizeof(nb), "%u", f->port);
		csv_put(r, nb, 0);
		csv_put(r, "c2-beacon", 0);
		csv_put(r, ev_sub(ev, "reputation", "tag"), 1);
		snprintf(nb, sizeof(nb), "%.3f", f->score);
		csv_put(r, nb, 0);
		csv_put(r, ev_num(ev, "period_s", "%.6g", nb, sizeof(nb)), 0);
		csv_put(r, ev_num(ev, "jitter", "%.3f", nb, sizeof(nb)), 0);
		csv_put(r, ev_num(ev, "conns", "%.0f", nb, sizeof(nb)), 0);
		csv_put(r, ts_fmt(f->first_seen, 0, 1, ts, sizeof(ts)), 0);
		csv_put(r, ts_fmt(f->last_seen, 0, 1, ts, sizeof(ts)), 0);
		break;
	}
}

void
report_csvset_free(struct report_csvset *set)
{
	size_t i;

	if (set == NULL)
		return;
	for (i = 0; i < set->n; i++)
		free(set->v[i].data);
	free(set->v);
	memset(set, 0, sizeof(*set));
}

int
report_csv_build(const struct report_item *items, size_t n,
    struct report_csvset *set, struct mm_diag *d)
{
	const struct report_item **v;
	const struct report_type **rt = NULL;
	unsigned char *fam6 = NULL;
	int rc = 0, t, fam, v6;
	size_t i, k;

	memset(set, 0, sizeof(*set));
	if (n > 0 && items == NULL)
		return mm_diag_set(d, MM_EINVAL, "report: no items");
	if ((v = items_sorted(items, n, &rc, d)) == NULL)
		return rc;
	/* classify once: vulnerable-version needs its evidence parsed */
	if ((set->v = calloc(2 * T_N, sizeof(*set->v))) == NULL ||
	    (rt = calloc(n + 1, sizeof(*rt))) == NULL ||
	    (fam6 = calloc(n + 1, 1)) == NULL) {
		rc = mm_diag_set(d, MM_ENOMEM, "report: out of memory");
		goto out;
	}
	for (i = 0; i < n; i++) {
		if ((rt[i] = report_type_of(v[i]->f, &v6)) == NULL)
			set->skipped++;
		fam6[i] = (unsigned char)v6;
	}
	for (t = 0; t < T_N; t++) {
		for (fam = 0; fam < 2; fam++) {
			struct strbuf b = STRBUF_INIT;
			struct row r = { &b, 1 };
			size_t rows = 0;

			for (i = 0; i < n; i++) {
				json_t *ev;

				if (rt[i] != &types[t] || fam6[i] != fam)
					continue;
				if (rows == 0) {
					for (k = 0; k < REPORT_CSV_COMMON; k++)
						csv_put(&r, f_common[k], 0);
					for (k = 0; k < types[t].nfields; k++)
						csv_put(&r,
						    types[t].fields[k], 0);
					csv_end(&r);
				}
				ev = ev_load(v[i]->f);
				row_common(&r, t, v[i], ev);
				row_type(&r, t, v[i], ev);
				csv_end(&r);
				json_decref(ev);
				rows++;
			}
			if (b.err != 0) {
				rc = mm_diag_set(d, b.err, "report: out of "
				    "memory");
				strbuf_free(&b);
				goto out;
			}
			if (rows == 0)
				continue;
			set->v[set->n].type = &types[t];
			set->v[set->n].v6 = fam;
			set->v[set->n].name = fam ? types[t].name6 :
			    types[t].name;
			set->v[set->n].data = b.p;
			set->v[set->n].len = b.len;
			set->v[set->n].rows = rows;
			set->n++;
		}
	}
out:
	free(v);
	free(rt);
	free(fam6);
	if (rc != 0)
		report_csvset_free(set);
	return rc;
}

char *
report_csv_filename(const char *name, mtime_t day, char *buf, size_t len)
{
	char ts[40];

	ts_fmt(day, 0, 0, ts, sizeof(ts));
	ts[10] = '\0';
	snprintf(buf, len, "%s-%s.csv", ts, name != NULL ? name : "report");
	return buf;
}

/* ---- X-ARF v4 ---- */

/*
 * Digests for the X-ARF documents: SHA-1 (FIPS 180-4 6.1) for the
 * name-based report_id (UUIDv5, RFC 9562 5.5) and SHA-256 (FIPS 180-4 6.2)
 * for the evidence items' "hash". Incremental, one 64-byte block buffered;
 * O(n) in the input. The notify area links no crypto library, and these
 * inputs are small and not secret, so a plain implementation does.
 */
struct sha {
	uint32_t	 h[8];
	uint64_t	 bytes;
	unsigned char	 blk[64];
	size_t		 n;
	int		 s256;		/* 1: SHA-256, 0: SHA-1 */
};

static const uint32_t sha256_k[64] = {
	0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b,
	0x59f111f1, 0x923f82a4, 0xab1c5ed5, 0xd807aa98, 0x12835b01,
	0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7,
	0xc19bf174, 0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc,
	0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da, 0x983e5152,
	0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147,
	0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc,
	0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
	0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819,
	0xd6990624, 0xf40e3585, 0x106aa070, 0x19a4c116, 0x1e376c08,
	0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f,
	0x682e6ff3, 0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208,
	0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2
};

static uint32_t
rotl32(uint32_t x, int n)
{
	return x << n | x >> (32 - n);
}

static uint32_t
rotr32(uint32_t x, int n)
{
	return x >> n | x << (32 - n);
}

static void
sha_init(struct sha *c, int s256)
{
	static const uint32_t h1[5] = { 0x67452301, 0xefcdab89, 0x98badcfe,
	    0x10325476, 0xc3d2e1f0 };
	static const uint32_t h2[8] = { 0x6a09e667, 0xbb67ae85, 0x3c6ef372,
	    0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19 };

	memset(c, 0, sizeof(*c));
	c->s256 = s256;
	if (s256)
		memcpy(c->h, h2, sizeof(h2));
	else
		memcpy(c->h, h1, sizeof(h1));
}

static void
sha_block(struct sha *c, const unsigned char *p)
{
	uint32_t w[80], a, b, x, y, e, f, g, hh, t1, t2, k;
	int i;

	for (i = 0; i < 16; i++)
		w[i] = (uint32_t)p[4 * i] << 24 | (uint32_t)p[4 * i + 1] << 16 |
		    (uint32_t)p[4 * i + 2] << 8 | (uint32_t)p[4 * i + 3];
	if (!c->s256) {
		for (i = 16; i < 80; i++)
			w[i] = rotl32(w[i - 3] ^ w[i - 8] ^ w[i - 14] ^
			    w[i - 16], 1);
		a = c->h[0], b = c->h[1], x = c->h[2], y = c->h[3];
		e = c->h[4];
		for (i = 0; i < 80; i++) {
			if (i < 20) {
				f = (b & x) | (~b & y);
				k = 0x5a827999;
			} else if (i < 40) {
				f = b ^ x ^ y;
				k = 0x6ed9eba1;
			} else if (i < 60) {
				f = (b & x) | (b & y) | (x & y);
				k = 0x8f1bbcdc;
			} else {
				f = b ^ x ^ y;
				k = 0xca62c1d6;
			}
			t1 = rotl32(a, 5) + f + e + k + w[i];
			e = y;
			y = x;
			x = rotl32(b, 30);
			b = a;
			a = t1;
		}
		c->h[0] += a, c->h[1] += b, c->h[2] += x, c->h[3] += y;
		c->h[4] += e;
		return;
	}
	for (i = 16; i < 64; i++)
		w[i] = w[i - 16] + (rotr32(w[i - 15], 7) ^
		    rotr32(w[i - 15], 18) ^ (w[i - 15] >> 3)) + w[i - 7] +
		    (rotr32(w[i - 2], 17) ^ rotr32(w[i - 2], 19) ^
		    (w[i - 2] >> 10));
	a = c->h[0], b = c->h[1], x = c->h[2], y = c->h[3];
	e = c->h[4], f = c->h[5], g = c->h[6], hh = c->h[7];
	for (i = 0; i < 64; i++) {
		t1 = hh + (rotr32(e, 6) ^ rotr32(e, 11) ^ rotr32(e, 25)) +
		    ((e & f) ^ (~e & g)) + sha256_k[i] + w[i];
		t2 = (rotr32(a, 2) ^ rotr32(a, 13) ^ rotr32(a, 22)) +
		    ((a & b) ^ (a & x) ^ (b & x));
		hh = g;
		g = f;
		f = e;
		e = y + t1;
		y = x;
		x = b;
		b = a;
		a = t1 + t2;
	}
	c->h[0] += a, c->h[1] += b, c->h[2] += x, c->h[3] += y;
	c->h[4] += e, c->h[5] += f, c->h[6] += g, c->h[7] += hh;
}

static void
sha_update(struct sha *c, const void *in, size_t len)
{
	const unsigned char *p = in;

	c->bytes += len;
	while (len > 0) {
		size_t take = 64 - c->n < len ? 64 - c->n : len;

		memcpy(c->blk + c->n, p, take);
		c->n += take;
		p += take;
		len -= take;
		if (c->n == 64) {
			sha_block(c, c->blk);
			c->n = 0;
		}
	}
}

/* Writes the digest, 20 (SHA-1) or 32 (SHA-256) bytes, to out[outlen]
 * (cut to outlen). */
static void
sha_final(struct sha *c, unsigned char *out, size_t outlen)
{
	uint64_t bits = c->bytes * 8;
	unsigned char pad = 0x80, zero = 0, lb[8], dg[32];
	size_t i, nw = c->s256 ? 8 : 5;

	sha_update(c, &pad, 1);
	while (c->n != 56)
		sha_update(c, &zero, 1);
	for (i = 0; i < 8; i++)
		lb[i] = (unsigned char)(bits >> (56 - 8 * i));
	sha_update(c, lb, 8);
	for (i = 0; i < nw; i++) {
		dg[4 * i] = (unsigned char)(c->h[i] >> 24);
		dg[4 * i + 1] = (unsigned char)(c->h[i] >> 16);
		dg[4 * i + 2] = (unsigned char)(c->h[i] >> 8);
		dg[4 * i + 3] = (unsigned char)c->h[i];
	}
	memcpy(out, dg, 4 * nw < outlen ? 4 * nw : outlen);
}

static void
hex_fmt(const unsigned char *p, size_t n, char *out)
{
	static const char hx[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < n; i++) {
		out[2 * i] = hx[p[i] >> 4];
		out[2 * i + 1] = hx[p[i] & 15];
	}
	out[2 * n] = '\0';
}

/* RFC 9562 4.1 text form of a UUID, lowercase, into out[37]. */
static void
uuid_fmt(const unsigned char u[16], char *out)
{
	char h[33];

	hex_fmt(u, 16, h);
	snprintf(out, 37, "%.8s-%.4s-%.4s-%.4s-%.12s", h, h + 8, h + 12,
	    h + 16, h + 20);
}

/* UUIDv5 (RFC 9562 5.5): SHA-1 of namespace || name, version and variant
 * bits set. */
static void
uuid5(const unsigned char ns[16], const char *name, unsigned char out[16])
{
	struct sha c;
	unsigned char dg[20];

	sha_init(&c, 0);
	sha_update(&c, ns, 16);
	sha_update(&c, name, strlen(name));
	sha_final(&c, dg, sizeof(dg));
	memcpy(out, dg, 16);
	out[6] = (unsigned char)((out[6] & 0x0f) | 0x50);
	out[8] = (unsigned char)((out[8] & 0x3f) | 0x80);
}

/* RFC 9562 Appendix C: the DNS name space ID. */
static const unsigned char uuid_ns_dns[16] = { 0x6b, 0xa7, 0xb8, 0x10,
    0x9d, 0xad, 0x11, 0xd1, 0x80, 0xb4, 0x00, 0xc0, 0x4f, 0xd4, 0x30, 0xc8 };

/*
 * report_id: UUIDv5(UUIDv5(DNS, lowercase reporter domain),
 * "<finding id>/<kind>/<subject>/<last seen, ms since the epoch>"), so the
 * same finding at the same last sighting always gets the same id, a new
 * sighting (or another reporter) a new one.
 */
static void
xarf_report_id(const char *domain, const struct finding *f, char *out)
{
	unsigned char ns[16], u[16];
	char dom[256], name[256], ab[ADDR_STRLEN];
	size_t i;

	for (i = 0; domain[i] != '\0' && i + 1 < sizeof(dom); i++)
		dom[i] = (char)(domain[i] >= 'A' && domain[i] <= 'Z' ?
		    domain[i] - 'A' + 'a' : domain[i]);
	dom[i] = '\0';
	uuid5(uuid_ns_dns, dom, ns);
	snprintf(name, sizeof(name), "%lld/%s/%s/%lld", (long long)f->id,
	    f->kind, addr_fmt(&f->subject, ab, sizeof(ab)),
	    (long long)f->last_seen);
	uuid5(ns, name, u);
	uuid_fmt(u, out);
}

/* Length of the valid UTF-8 sequence at s (as jansson accepts it: no
 * overlongs, surrogates or code points above U+10FFFF), 0 if invalid. */
static size_t
utf8_len(const unsigned char *s)
{
	size_t n, i;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		n = 2;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		n = 3;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		n = 4;
	else
		return 0;
	for (i = 1; i < n; i++)
		if ((s[i] & 0xc0) != 0x80)
			return 0;
	if ((s[0] == 0xe0 && s[1] < 0xa0) || (s[0] == 0xed && s[1] > 0x9f) ||
	    (s[0] == 0xf0 && s[1] < 0x90) || (s[0] == 0xf4 && s[1] > 0x8f))
		return 0;
	return n;
}

/*
 * A JSON-safe copy of s: invalid UTF-8 bytes become '?', control
 * characters spaces, cut to at most `maxc` characters (the schema's
 * maxLength counts characters). NULL on allocation failure; NULL s reads
 * as "".
 */
static char *
text_clean(const char *s, size_t maxc)
{
	const unsigned char *p = (const unsigned char *)(s != NULL ? s : "");
	size_t len = strlen((const char *)p), nc = 0, o = 0, k;
	char *out = malloc(len + 1);

	if (out == NULL)
		return NULL;
	while (*p != '\0' && nc < maxc) {
		if ((k = utf8_len(p)) == 0) {
			out[o++] = '?';
			p++;
		} else if (k == 1) {
			out[o++] = *p < 0x20 || *p == 0x7f ? ' ' : (char)*p;
			p++;
		} else {
			memcpy(out + o, p, k);
			o += k;
			p += k;
		}
		nc++;
	}
	out[o] = '\0';
	return out;
}

/* Characters (not bytes) of a UTF-8 string. */
static size_t
utf8_chars(const char *s)
{
	size_t n = 0;

	for (; *s != '\0'; s++)
		if (((unsigned char)*s & 0xc0) != 0x80)
			n++;
	return n;
}

static int
xarf_email_ok(const char *s)
{
	const char *at;
	size_t i;

	if (s == NULL || (at = strrchr(s, '@')) == NULL || at == s ||
	    at[1] == '\0' || strlen(s) > 254)
		return 0;
	for (i = 0; s[i] != '\0'; i++)
		if ((unsigned char)s[i] <= 0x20 || (unsigned char)s[i] >= 0x7f)
			return 0;
	return 1;
}

/* A DNS host name: LDH labels of 1..63, at most 253 in all. */
static int
xarf_host_ok(const char *s)
{
	size_t i, lab = 0;

	if (s == NULL || s[0] == '\0' || strlen(s) > 253)
		return 0;
	for (i = 0; s[i] != '\0'; i++) {
		char c = s[i];

		if (c == '.') {
			if (lab == 0 || s[i - 1] == '-')
				return 0;
			lab = 0;
			continue;
		}
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '-') ||
		    (c == '-' && lab == 0) || ++lab > 63)
			return 0;
	}
	return lab > 0 && s[i - 1] != '-';
}

/* The document under construction: an allocation failure anywhere sets
 * err and the caller fails once at the end. */
struct xdoc {
	json_t	*root;
	json_t	*tags;
	int	 err;
};

static void
xput(struct xdoc *x, json_t *o, const char *k, json_t *v)
{
	if (v == NULL || o == NULL || json_object_set_new(o, k, v) != 0)
		x->err = MM_ENOMEM;
}

/* A string from data: cleaned and cut to `maxc` characters; skipped when
 * empty. */
static void
xput_text(struct xdoc *x, json_t *o, const char *k, const char *v,
    size_t maxc)
{
	char *s;

	if (v == NULL || v[0] == '\0')
		return;
	if ((s = text_clean(v, maxc)) == NULL) {
		x->err = MM_ENOMEM;
		return;
	}
	if (s[0] != '\0')
		xput(x, o, k, json_string(s));
	free(s);
}

/*
 * A tag "ns:value" (xarf-core.json: ^[a-z0-9][a-z0-9_+-]*:[a-z0-9]
 * [a-z0-9_+-]*$, at most 20): value lowercased, other characters '-',
 * leading non-alphanumerics dropped, cut to 64; empty values and
 * duplicates are skipped.
 */
static void
xtag(struct xdoc *x, const char *ns, const char *val)
{
	char t[96];
	size_t o, i;
	const char *p = val != NULL ? val : "";

	while (*p != '\0' && !((*p >= 'a' && *p <= 'z') ||
	    (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9')))
		p++;
	if (*p == '\0' || json_array_size(x->tags) >= 20)
		return;
	o = (size_t)snprintf(t, sizeof(t), "%s:", ns);
	for (; *p != '\0' && o < sizeof(t) - 1 && o < strlen(ns) + 1 + 64;
	    p++) {
		char c = *p;

		if (c >= 'A' && c <= 'Z')
			c = (char)(c - 'A' + 'a');
		else if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		    c == '_' || c == '+' || c == '-'))
			c = '-';
		t[o++] = c;
	}
	t[o] = '\0';
	for (i = 0; i < json_array_size(x->tags); i++)
		if (strcmp(json_string_value(json_array_get(x->tags, i)),
		    t) == 0)
			return;
	if (json_array_append_new(x->tags, json_string(t)) != 0)
		x->err = MM_ENOMEM;
}

/* One evidence item: payload base64 (RFC 4648, one line), "sha256:hex"
 * of the decoded bytes and their size. */
static void
xevidence(struct xdoc *x, json_t *arr, const char *ctype, const char *desc,
    const char *data, size_t len)
{
	struct sha c;
	unsigned char dg[32];
	char hx[80], *b64 = NULL;
	size_t bl;
	json_t *o;

	if (mail_b64_encode(data, len, 0, &b64, &bl) != 0 ||
	    (o = json_object()) == NULL) {
		free(b64);
		x->err = MM_ENOMEM;
		return;
	}
	sha_init(&c, 1);
	sha_update(&c, data, len);
	sha_final(&c, dg, sizeof(dg));
	memcpy(hx, "sha256:", 7);
	hex_fmt(dg, 32, hx + 7);
	xput(x, o, "content_type", json_string(ctype));
	xput(x, o, "description", json_string(desc));
	xput(x, o, "payload", json_string(b64));
	xput(x, o, "hash", json_string(hx));
	xput(x, o, "size", json_integer((json_int_t)len));
	if (json_array_append_new(arr, o) != 0)
		x->err = MM_ENOMEM;
	free(b64);
}

/* Evidence keys copied into the observation item, in this order. Left
 * out: the survey's local credential list path, the C&C server's sample
 * of (other subscribers') client addresses, per-flow samples and internal
 * score components. */
static const char *const xk_survey[] = { "time", "source", "target", "port",
    "protocol", "service", "rule", "vendor", "product", "version", "cpe",
    "cve", "cvss", "kev", "banner", "credential_id", "credential_attempts",
    "credential_protocol", "scan_id", "operator", "purpose", "user_agent",
    "contact", NULL };
static const char *const xk_c2cli[] = { "client", "server", "port", "proto",
    "score", "period_s", "jitter", "conns", "bytes", "packets",
    "bytes_per_conn", "sampling", "first_seen", "last_seen", "server_score",
    "reputation", NULL };
static const char *const xk_c2srv[] = { "server", "port", "proto", "score",
    "period_s", "jitter", "bytes_per_conn", "clients", "beaconing_clients",
    "period_consistent_clients", "flows", "bytes", "packets", "first_seen",
    "last_seen", "window", "reputation", NULL };

#define XARF_REAL_FMT	JSON_REAL_PRECISION(12)

static void
xobservation(struct xdoc *x, json_t *arr, int t, const json_t *ev)
{
	const char *const *k = t == T_DRONE ? xk_c2cli : t == T_C2SRV ?
	    xk_c2srv : xk_survey;
	json_t *o;
	char *s;

	if (ev == NULL)
		return;
	if ((o = json_object()) == NULL) {
		x->err = MM_ENOMEM;
		return;
	}
	for (; *k != NULL; k++) {
		json_t *v = json_object_get(ev, *k);

		if (v != NULL)
			xput(x, o, *k, json_deep_copy(v));
	}
	if (json_object_size(o) > 0) {
		if ((s = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER |
		    XARF_REAL_FMT)) == NULL)
			x->err = MM_ENOMEM;
		else
			xevidence(x, arr, "application/json", t == T_DRONE ||
			    t == T_C2SRV ? "C&C detection evidence from flow "
			    "records (selected fields of the finding's "
			    "evidence)" : "survey observation (selected fields "
			    "of the finding's evidence)", s, strlen(s));
		free(s);
	}
	json_decref(o);
}

/* CVSS v3.x qualitative severity rating (CVSS v3.1 specification 5). */
static const char *
cvss_rating(double s)
{
	return s >= 9.0 ? "critical" : s >= 7.0 ? "high" : s >= 4.0 ?
	    "medium" : s > 0.0 ? "low" : "informational";
}

static const char *
xarf_risk(enum finding_severity s)
{
	switch (s) {
	case SEV_CRITICAL:
		return "critical";
	case SEV_HIGH:
		return "high";
	case SEV_MEDIUM:
		return "medium";
	case SEV_LOW:
		return "low";
	default:
		return "info";
	}
}

static int
cve_ok(const char *s)
{
	size_t i, n = strlen(s);

	if (n < 13 || n > 16 || strncmp(s, "CVE-", 4) != 0 || s[8] != '-')
		return 0;
	for (i = 4; i < n; i++)
		if (i != 8 && (s[i] < '0' || s[i] > '9'))
			return 0;
	return 1;
}

/* "vendor product version" of a survey finding, blanks collapsed. */
static void
product_line(const json_t *ev, char *buf, size_t len)
{
	snprintf(buf, len, "%s%s%s%s%s", ev_str(ev, "vendor"),
	    ev_str(ev, "vendor")[0] != '\0' && ev_str(ev, "product")[0] !=
	    '\0' ? " " : "", ev_str(ev, "product"),
	    ev_str(ev, "version")[0] != '\0' ? " " : "",
	    ev_str(ev, "version"));
}

static void
xarf_contact(struct xdoc *x, const char *key, const char *org,
    const char *email, const char *domain)
{
	json_t *o = json_object();

	xput_text(x, o, "org", org, 200);
	xput(x, o, "contact", json_string(email));
	xput(x, o, "domain", json_string(domain));
	xput(x, x->root, key, o);
}

/* C&C fields of infrastructure/botnet (c2-server and c2-client). */
static void
xarf_botnet(struct xdoc *x, int t, const struct finding *f, const json_t *ev)
{
	char ce[512], srv[ADDR_STRLEN], per[32], jit[32], n1[32], n2[32];
	char rate[96] = "", ts[MTIME_STRLEN];
	const char *fam = ev_sub(ev, "reputation", "tag");

	ev_num(ev, "period_s", "%.6g", per, sizeof(per));
	jit[0] = '\0';
	if (json_is_number(json_object_get(ev, "jitter")))
		snprintf(jit, sizeof(jit), "%.1f %%", 100.0 *
		    json_number_value(json_object_get(ev, "jitter")));
	if (per[0] != '\0')
		snprintf(rate, sizeof(rate), " every %s s%s%s%s", per,
		    jit[0] != '\0' ? " (jitter " : "", jit,
		    jit[0] != '\0' ? ")" : "");
	if (t == T_DRONE) {
		snprintf(srv, sizeof(srv), "%s", ev_str(ev, "server")[0] !=
		    '\0' ? ev_str(ev, "server") : f->dedup_extra != NULL ?
		    f->dedup_extra : "");
		ev_num(ev, "conns", "%.0f", n1, sizeof(n1));
		snprintf(ce, sizeof(ce), "C2 communication observed in flow "
		    "records: connections to %s port %u%s%s%s",
		    srv[0] != '\0' ? srv : "a C&C server", f->port, rate,
		    n1[0] != '\0' ? ", connections: " : "", n1);
	} else {
		addr_fmt(&f->subject, srv, sizeof(srv));
		ev_num(ev, "beaconing_clients", "%.0f", n1, sizeof(n1));
		ev_num(ev, "clients", "%.0f", n2, sizeof(n2));
		snprintf(ce, sizeof(ce), "acts as a C&C server in flow "
		    "records: %s of %s clients beacon to port %u%s",
		    n1[0] != '\0' ? n1 : "?", n2[0] != '\0' ? n2 : "?",
		    f->port, rate);
	}
	xput(x, x->root, "compromise_evidence", json_string(ce));
	if (srv[0] != '\0')
		xput(x, x->root, "c2_server", json_string(srv));
	if (f->proto == 6 || f->proto == 17)
		xput(x, x->root, "c2_protocol", json_string(f->proto == 6 ?
		    "tcp" : "udp"));
	xput_text(x, x->root, "malware_family", fam, 200);
	if (t == T_DRONE) {
		if (srv[0] != '\0')
			xput(x, x->root, "destination_ip", json_string(srv));
		if (f->port != 0)
			xput(x, x->root, "destination_port",
			    json_integer(f->port));
	}
	if (f->first_seen != 0)
		xput(x, x->root, "first_seen", json_string(mtime_fmt(
		    f->first_seen, 0, ts, sizeof(ts))));
	xput(x, x->root, "last_seen", json_string(mtime_fmt(f->last_seen, 0,
	    ts, sizeof(ts))));
	xtag(x, "botnet", t == T_DRONE ? "infected-host" :
	    "command-and-control");
	xtag(x, "malware", fam);
}

int
report_xarf(const struct report_item *it, const struct report_reporter *rep,
    char **out, size_t *len, struct mm_diag *d)
{
	const struct report_type *rt;
	const struct finding *f;
	struct xdoc x = { NULL, NULL, 0 };
	json_t *ev = NULL, *evi = NULL;
	const char *type, *svc, *cve = "", *sorg, *semail, *sdom, *remail;
	char ab[ADDR_STRLEN], ts[MTIME_STRLEN], id[40], pl[400], nb[64];
	char *s = NULL, *sum = NULL;
	int t, v6, rc = 0, c2;

	*out = NULL;
	if (len != NULL)
		*len = 0;
	if (it == NULL || (f = it->f) == NULL ||
	    (rt = report_type_of(f, &v6)) == NULL)
		return mm_diag_set(d, MM_EINVAL, "xarf: finding kind '%s' is "
		    "not reported", it != NULL && it->f != NULL &&
		    it->f->kind != NULL ? it->f->kind : "?");
	if (rep == NULL || rep->org == NULL || rep->org[0] == '\0' ||
	    utf8_chars(rep->org) > 200 || !xarf_host_ok(rep->domain) ||
	    !xarf_email_ok(rep->email))
		return mm_diag_set(d, MM_EINVAL, "xarf: reporter needs org "
		    "(1..200 characters), domain (a host name) and email "
		    "(xarf-core.json contact_info)");
	remail = rep->contact_email != NULL && rep->contact_email[0] != '\0' ?
	    rep->contact_email : rep->email;
	sorg = rep->sender_org != NULL && rep->sender_org[0] != '\0' ?
	    rep->sender_org : rep->org;
	semail = rep->sender_email != NULL && rep->sender_email[0] != '\0' ?
	    rep->sender_email : rep->email;
	sdom = rep->sender_domain != NULL && rep->sender_domain[0] != '\0' ?
	    rep->sender_domain : rep->domain;
	if (!xarf_email_ok(remail) || utf8_chars(sorg) > 200 ||
	    !xarf_email_ok(semail) || !xarf_host_ok(sdom))
		return mm_diag_set(d, MM_EINVAL, "xarf: bad contact_email or "
		    "sender (xarf-core.json contact_info)");
	t = (int)(rt - types);
	c2 = t == T_C2SRV || t == T_DRONE;
	ev = ev_load(f);
	type = rt->xarf_type;
	if (t == T_HTTPVULN || t == T_VULN) {
		cve = ev_str(ev, "cve")[0] != '\0' ? ev_str(ev, "cve") :
		    f->dedup_extra != NULL ? f->dedup_extra : "";
		/* type cve needs a CVE id and the service port */
		if (!cve_ok(cve) || f->port == 0)
			type = "open_service";
	}
	if ((x.root = json_object()) == NULL ||
	    (x.tags = json_array()) == NULL ||
	    (evi = json_array()) == NULL) {
		rc = mm_diag_set(d, MM_ENOMEM, "xarf: out of memory");
		goto out;
	}
	xarf_report_id(rep->domain, f, id);
	xput(&x, x.root, "xarf_version", json_string(XARF_SCHEMA_VERSION));
	xput(&x, x.root, "report_id", json_string(id));
	xput(&x, x.root, "timestamp", json_string(mtime_fmt(f->last_seen, 0,
	    ts, sizeof(ts))));
	xarf_contact(&x, "reporter", rep->org, remail, rep->domain);
	xarf_contact(&x, "sender", sorg, semail, sdom);
	xput(&x, x.root, "source_identifier", json_string(addr_fmt(
	    &f->subject, ab, sizeof(ab))));
	/* a C&C client's port is the server's: it goes in destination_port */
	if (f->port != 0 && t != T_DRONE)
		xput(&x, x.root, "source_port", json_integer(f->port));
	xput(&x, x.root, "category", json_string(rt->xarf_category));
	xput(&x, x.root, "type", json_string(type));
	xput(&x, x.root, "evidence_source", json_string(c2 ?
	    "flow_analysis" : "vulnerability_scan"));
	svc = ev_service(f, ev);
	if (c2)
		xarf_botnet(&x, t, f, ev);
	else {
		if (strcmp(type, "cve") == 0) {
			xput_text(&x, x.root, "service", ev_str(ev,
			    "product")[0] != '\0' ? ev_str(ev, "product") :
			    svc[0] != '\0' ? svc : "unknown", 200);
			xput_text(&x, x.root, "service_version", ev_str(ev,
			    "version"), 100);
		} else {
			xput_text(&x, x.root, "service", svc[0] != '\0' ? svc :
			    "unknown", 200);
			product_line(ev, pl, sizeof(pl));
			xput_text(&x, x.root, "service_version", pl, 100);
		}
		if (f->port != 0)
			xput(&x, x.root, "service_port",
			    json_integer(f->port));
		if (f->proto == 6 || f->proto == 17)
			xput(&x, x.root, "protocol", json_string(f->proto ==
			    6 ? "tcp" : "udp"));
		if (strcmp(type, "cve") == 0) {
			json_t *cv = json_object_get(ev, "cvss");

			xput(&x, x.root, "cve_id", json_string(cve));
			if (cv != NULL && json_is_number(cv) &&
			    json_number_value(cv) >= 0.0 &&
			    json_number_value(cv) <= 10.0) {
				double sc = (double)(long)(json_number_value(
				    cv) * 10.0 + 0.5) / 10.0;

				xput(&x, x.root, "cvss_score", json_real(sc));
				xput(&x, x.root, "severity",
				    json_string(cvss_rating(sc)));
			}
			if (ev_true(ev, "kev"))
				xput(&x, x.root, "exploitability",
				    json_string("weaponized"));
		}
		xput(&x, x.root, "risk_level", json_string(xarf_risk(
		    f->severity)));
	}
	if (f->summary != NULL && f->summary[0] != '\0') {
		if ((sum = text_clean(f->summary, 1000)) == NULL)
			x.err = MM_ENOMEM;
		else
			xput(&x, x.root, "description", json_string(sum));
	}
	/* survey: what was seen is certain, a vulnerable version is inferred
	 * from the version string (backported fixes are invisible); C&C: the
	 * detector's score, already 0..1 */
	if (c2)
		snprintf(nb, sizeof(nb), "%.3f", f->score < 0.0 ? 0.0 :
		    f->score > 1.0 ? 1.0 : f->score);
	else
		snprintf(nb, sizeof(nb), "%.1f", t == T_HTTPVULN ||
		    t == T_VULN ? XARF_CONF_VERSION : XARF_CONF_OBSERVED);
	xput(&x, x.root, "confidence", json_real(strtod(nb, NULL)));
	if (f->summary != NULL && f->summary[0] != '\0' && sum != NULL)
		xevidence(&x, evi, "text/plain", "mamori finding summary",
		    sum, strlen(sum));
	xobservation(&x, evi, t, ev);
	if (json_array_size(evi) > 0) {
		xput(&x, x.root, "evidence", evi);
		evi = NULL;
	}
	xtag(&x, "report", v6 ? rt->name6 : rt->name);
	xtag(&x, "severity", findings_severity_name(f->severity));
	if (!c2)
		xtag(&x, "service", svc);
	switch (t) {
	case T_HTTPVULN:
	case T_VULN:
		xtag(&x, "cve", cve_ok(cve) ? cve : "");
		if (ev_true(ev, "kev"))
			xtag(&x, "kev", "true");
		xtag(&x, "product", ev_str(ev, "product"));
		break;
	case T_DEVICE:
		xtag(&x, "vendor", ev_str(ev, "vendor"));
		xtag(&x, "product", ev_str(ev, "product"));
		break;
	case T_WEAK:
		xtag(&x, "misconfiguration", "default-credential");
		xtag(&x, "credential", ev_str(ev, "credential_id")[0] != '\0' ?
		    ev_str(ev, "credential_id") : f->dedup_extra);
		break;
	default:
		break;
	}
	if (json_array_size(x.tags) > 0) {
		xput(&x, x.root, "tags", x.tags);
		x.tags = NULL;
	}
	if (x.err != 0) {
		rc = mm_diag_set(d, x.err, "xarf: out of memory");
		goto out;
	}
	s = json_dumps(x.root, JSON_INDENT(2) | JSON_PRESERVE_ORDER |
	    XARF_REAL_FMT);
	if (s == NULL) {
		rc = mm_diag_set(d, MM_ENOMEM, "xarf: out of memory");
		goto out;
	}
	{
		size_t sl = strlen(s);
		char *o = malloc(sl + 2);

		if (o == NULL) {
			rc = mm_diag_set(d, MM_ENOMEM, "xarf: out of memory");
			goto out;
		}
		memcpy(o, s, sl);
		o[sl] = '\n';
		o[sl + 1] = '\0';
		*out = o;
		if (len != NULL)
			*len = sl + 1;
	}
out:
	free(s);
	free(sum);
	json_decref(x.root);
	json_decref(x.tags);
	json_decref(evi);
	json_decref(ev);
	return rc;
}

/* ---- the notice ---- */

struct cvegrp {
	char	 cve[32];
	char	 product[96];
	double	 cvss;
	int	 kev;
	size_t	 count;
};

static int
cvegrp_cmp(const void *a, const void *b)
{
	const struct cvegrp *x = a, *y = b;

	if (x->kev != y->kev)
		return y->kev - x->kev;
	if (x->cvss != y->cvss)
		return x->cvss < y->cvss ? 1 : -1;
	return strcmp(x->cve, y->cve);
}

static void
detail_of(int t, const struct finding *f, const json_t *ev, char *buf,
    size_t len)
{
	char nb[32];

	switch (t) {
	case T_DEVICE:
		snprintf(buf, len, "%s %s %s", ev_str(ev, "vendor"),
		    ev_str(ev, "product"), ev_str(ev, "version"));
		break;
	case T_HTTPVULN:
	case T_VULN:
		snprintf(buf, len, "%s %s %s (CVSS %s%s)",
		    ev_str(ev, "cve")[0] ? ev_str(ev, "cve") :
		    f->dedup_extra != NULL ? f->dedup_extra : "",
		    ev_str(ev, "product"), ev_str(ev, "version"),
		    ev_num(ev, "cvss", "%.1f", nb, sizeof(nb)),
		    ev_true(ev, "kev") ? ", KEV" : "");
		break;
	case T_WEAK:
		snprintf(buf, len, "default credential %s",
		    ev_str(ev, "credential_id")[0] ?
		    ev_str(ev, "credential_id") : "(unnamed)");
		break;
	case T_TELNET:
		snprintf(buf, len, "telnet login prompt");
		break;
	case T_C2SRV:
		snprintf(buf, len, "C&C server, %s clients, period %ss",
		    ev_num(ev, "clients", "%.0f", nb, sizeof(nb)),
		    ev_num(ev, "period_s", "%.6g", nb + 16, sizeof(nb) - 16));
		break;
	default:
		snprintf(buf, len, "beacons to %s:%u every %ss",
		    ev_str(ev, "server")[0] ? ev_str(ev, "server") :
		    f->dedup_extra != NULL ? f->dedup_extra : "?", f->port,
		    ev_num(ev, "period_s", "%.6g", nb, sizeof(nb)));
		break;
	}
	/* collapse doubled blanks left by empty fields; keep it one line */
	{
		char *s = buf, *o = buf;
		int sp = 1;

		for (; *s != '\0'; s++) {
			char c = (unsigned char)*s < 0x20 ? ' ' : *s;

			if (c == ' ' && sp)
				continue;
			sp = c == ' ';
			*o++ = c;
		}
		if (o > buf && o[-1] == ' ')
			o--;
		*o = '\0';
	}
}

static const char *section_name[T_N] = {
	"device", "vulnerable", "vulnerable", "weak_credential", "telnet",
	"c2_server", "c2_client"
};

static int
vset(struct tmpl_vars *v, const char *k, const char *val, int *rc)
{
	if (*rc == 0)
		*rc = tmpl_vars_set(v, k, val != NULL ? val : "");
	return *rc;
}

int
report_notice_vars(const struct report_item *items, size_t n,
    const struct report_notice *nt, struct tmpl_vars **out,
    struct mm_diag *d)
{
	const struct report_item **v = NULL;
	const struct report_reporter *rep;
	struct tmpl_vars *root = NULL, *row;
	struct cvegrp *cg = NULL;
	size_t counts[T_N], ncg = 0, i, total = 0;
	char buf[512], ts[40], ab[ADDR_STRLEN], pb[8];
	int rc = 0, t;
	const char *tz;

	*out = NULL;
	if (nt == NULL || (rep = nt->reporter) == NULL || nt->rcpt == NULL ||
	    rep->org == NULL)
		return mm_diag_set(d, MM_EINVAL, "notice: reporter and "
		    "recipient are required");
	if ((v = items_sorted(items, n, &rc, d)) == NULL)
		return rc;
	tz = nt->tz_name != NULL ? nt->tz_name : "UTC";
	memset(counts, 0, sizeof(counts));
	if ((root = tmpl_vars_new()) == NULL ||
	    (cg = calloc(n + 1, sizeof(*cg))) == NULL) {
		rc = MM_ENOMEM;
		goto out;
	}
	vset(root, "org", nt->rcpt->org[0] ? nt->rcpt->org : nt->rcpt->id,
	    &rc);
	vset(root, "isp", nt->rcpt->isp[0] ? nt->rcpt->isp :
	    nt->rcpt->org[0] ? nt->rcpt->org : nt->rcpt->id, &rc);
	vset(root, "rcpt_id", nt->rcpt->id, &rc);
	vset(root, "rcpt_email", nt->rcpt->email, &rc);
	vset(root, "tz", tz, &rc);
	snprintf(buf, sizeof(buf), "%s %s", ts_fmt(nt->period_start,
	    nt->tz_min, 0, ts, sizeof(ts)), tz);
	vset(root, "period_start", buf, &rc);
	snprintf(buf, sizeof(buf), "%s %s", ts_fmt(nt->period_end,
	    nt->tz_min, 0, ts, sizeof(ts)), tz);
	vset(root, "period_end", buf, &rc);
	/* the last day covered: an end at midnight belongs to the day before */
	ts_fmt(nt->period_end > nt->period_start ? nt->period_end - 1 :
	    nt->period_end, nt->tz_min, 0, ts, sizeof(ts));
	ts[10] = '\0';
	vset(root, "period_end_date", ts, &rc);
	ts_fmt(nt->period_start, nt->tz_min, 0, ts, sizeof(ts));
	ts[10] = '\0';
	vset(root, "period_start_date", ts, &rc);
	vset(root, "reporter_org", rep->org, &rc);
	vset(root, "reporter_domain", rep->domain, &rc);
	vset(root, "reporter_email", rep->contact_email != NULL &&
	    rep->contact_email[0] ? rep->contact_email : rep->email, &rc);
	vset(root, "reporter_name", rep->contact_name != NULL &&
	    rep->contact_name[0] ? rep->contact_name : rep->org, &rc);
	vset(root, "reporter_phone", rep->contact_phone, &rc);
	vset(root, "reporter_url", rep->url, &rc);
	vset(root, "csv_attached", "", &rc);
	if (rc == 0)
		rc = tmpl_vars_list(root, "rows");
	for (i = 0; rc == 0 && i < n; i++) {
		const struct finding *f = v[i]->f;
		const struct report_type *rt = report_type_of(f, NULL);
		json_t *ev;

		if (rt == NULL)
			continue;
		t = (int)(rt - types);
		counts[t]++;
		total++;
		ev = ev_load(f);
		if ((row = tmpl_vars_row(root, "rows")) == NULL) {
			json_decref(ev);
			rc = MM_ENOMEM;
			break;
		}
		vset(row, "time", ts_fmt(f->last_seen, nt->tz_min, 1, ts,
		    sizeof(ts)), &rc);
		vset(row, "addr", addr_fmt(&f->subject, ab, sizeof(ab)), &rc);
		buf[0] = '\0';
		if (f->port != 0)
			snprintf(buf, sizeof(buf), "%u", f->port);
		vset(row, "port", buf, &rc);
		vset(row, "proto", proto_str(f->proto, pb, sizeof(pb)), &rc);
		vset(row, "type", addr_is_v4(&f->subject) ? rt->name :
		    rt->name6, &rc);
		vset(row, "title", rt->title, &rc);
		detail_of(t, f, ev, buf, sizeof(buf));
		vset(row, "detail", buf, &rc);
		if (t == T_HTTPVULN || t == T_VULN) {
			const char *cve = ev_str(ev, "cve")[0] ?
			    ev_str(ev, "cve") : f->dedup_extra != NULL ?
			    f->dedup_extra : "";
			size_t k;

			for (k = 0; k < ncg; k++)
				if (strcmp(cg[k].cve, cve) == 0)
					break;
			if (k == ncg) {
				snprintf(cg[k].cve, sizeof(cg[k].cve), "%s",
				    cve);
				snprintf(cg[k].product, sizeof(cg[k].product),
				    "%s", ev_str(ev, "product"));
				ev_num(ev, "cvss", "%.1f", buf, sizeof(buf));
				cg[k].cvss = atof(buf);
				cg[k].kev = ev_true(ev, "kev");
				ncg++;
			}
			cg[k].count++;
		}
		json_decref(ev);
	}
	if (rc != 0)
		goto out;
	qsort(cg, ncg, sizeof(*cg), cvegrp_cmp);
	snprintf(buf, sizeof(buf), "%zu", total);
	vset(root, "total", buf, &rc);
	for (t = 0; rc == 0 && t < T_N; t++) {
		size_t c = counts[t];

		if ((rc = tmpl_vars_list(root, section_name[t])) != 0)
			break;
		if (t == T_HTTPVULN)
			c += counts[T_VULN];
		if (t == T_VULN || c == 0)
			continue;
		if ((row = tmpl_vars_row(root, section_name[t])) == NULL) {
			rc = MM_ENOMEM;
			break;
		}
		snprintf(buf, sizeof(buf), "%zu", c);
		vset(row, "count", buf, &rc);
		if (t == T_HTTPVULN && rc == 0 &&
		    (rc = tmpl_vars_list(row, "cves")) == 0) {
			for (i = 0; rc == 0 && i < ncg; i++) {
				struct tmpl_vars *cr = tmpl_vars_row(row,
				    "cves");

				if (cr == NULL) {
					rc = MM_ENOMEM;
					break;
				}
				vset(cr, "cve", cg[i].cve, &rc);
				vset(cr, "product", cg[i].product, &rc);
				snprintf(buf, sizeof(buf), "%.1f",
				    cg[i].cvss);
				vset(cr, "cvss", buf, &rc);
				vset(cr, "kev", cg[i].kev ? "yes" : "", &rc);
				snprintf(buf, sizeof(buf), "%zu",
				    cg[i].count);
				vset(cr, "count", buf, &rc);
				snprintf(buf, sizeof(buf), "https://nvd.nist."
				    "gov/vuln/detail/%s", cg[i].cve);
				vset(cr, "url", buf, &rc);
			}
		}
	}
	if (rc == 0)
		rc = tmpl_vars_list(root, "attachments");
out:
	free(v);
	free(cg);
	if (rc != 0) {
		tmpl_vars_free(root);
		return mm_diag_set(d, rc, "notice: cannot set template "
		    "variables (%s)", mm_strerror(rc));
	}
	*out = root;
	return 0;
}

/* More than 1/8 non-ASCII bytes: base64 is smaller than QP. */
static enum mail_cte
body_cte(const char *s, size_t n)
{
	size_t i, hi = 0;

	for (i = 0; i < n; i++)
		if ((unsigned char)s[i] >= 0x80)
			hi++;
	return hi * 8 > n ? MAIL_CTE_BASE64 : MAIL_CTE_QP;
}

int
report_notice_mail(const struct report_item *items, size_t n,
    const struct report_notice *nt, const struct tmpl_mail *tm,
    mail_addr_check check, void *arg, char **eml, size_t *len,
    struct mm_diag *d)
{
	struct report_csvset set = { NULL, 0, 0 };
	struct tmpl_vars *vars = NULL;
	struct mail_part *parts = NULL;
	struct mail_msg m;
	const struct report_item **v = NULL;
	char *subject = NULL, *body = NULL, **names = NULL, **xarf = NULL;
	const char *fmt, *to[1];
	size_t body_len = 0, np = 0, nx = 0, i, reportable = 0;
	int rc = 0, want_csv, want_xarf;

	*eml = NULL;
	if (len != NULL)
		*len = 0;
	if (nt == NULL || nt->rcpt == NULL || nt->rcpt->email[0] == '\0')
		return mm_diag_set(d, MM_EINVAL, "notice: recipient has no "
		    "e-mail address");
	for (i = 0; i < n; i++)
		if (items[i].f != NULL && report_type_of(items[i].f, NULL))
			reportable++;
	if (reportable == 0)
		return mm_diag_set(d, MM_EINVAL, "notice: nothing to report");
	fmt = nt->rcpt->format;
	want_xarf = strcmp(fmt, "xarf") == 0 || strcmp(fmt, "both") == 0;
	want_csv = !want_xarf || strcmp(fmt, "both") == 0;

	if ((rc = report_notice_vars(items, n, nt, &vars, d)) != 0)
		goto out;
	if (want_csv && (rc = report_csv_build(items, n, &set, d)) != 0)
		goto out;
	if ((v = items_sorted(items, n, &rc, d)) == NULL)
		goto out;
	if (set.n + (want_xarf ? reportable : 0) > MAIL_MAX_PARTS) {
		rc = mm_diag_set(d, MM_ELIMIT, "notice: %zu attachments, over "
		    "%d: split the findings", set.n + reportable,
		    MAIL_MAX_PARTS);
		goto out;
	}
	if ((parts = calloc(MAIL_MAX_PARTS, sizeof(*parts))) == NULL ||
	    (names = calloc(MAIL_MAX_PARTS, sizeof(*names))) == NULL ||
	    (xarf = calloc(MAIL_MAX_PARTS, sizeof(*xarf))) == NULL) {
		rc = mm_diag_set(d, MM_ENOMEM, "notice: out of memory");
		goto out;
	}
	for (i = 0; i < set.n; i++) {
		struct tmpl_vars *ar;
		char fn[128], rows[24];

		report_csv_filename(set.v[i].name, nt->period_end >
		    nt->period_start ? nt->period_end - 1 : nt->period_end,
		    fn, sizeof(fn));
		if ((names[np] = strdup(fn)) == NULL ||
		    (ar = tmpl_vars_row(vars, "attachments")) == NULL) {
			rc = mm_diag_set(d, MM_ENOMEM, "notice: out of "
			    "memory");
			goto out;
		}
		snprintf(rows, sizeof(rows), "%zu", set.v[i].rows);
		if ((rc = tmpl_vars_set(ar, "filename", fn)) != 0 ||
		    (rc = tmpl_vars_set(ar, "title", set.v[i].type->title)) !=
		    0 || (rc = tmpl_vars_set(ar, "rows", rows)) != 0) {
			rc = mm_diag_set(d, rc, "notice: out of memory");
			goto out;
		}
		parts[np].content_type = "text/csv";
		parts[np].text = 1;
		parts[np].filename = names[np];
		parts[np].data = set.v[i].data;
		parts[np].len = set.v[i].len;
		np++;
	}
	for (i = 0; want_xarf && i < n; i++) {
		char fn[64];
		size_t xl;

		if (report_type_of(v[i]->f, NULL) == NULL)
			continue;
		if ((rc = report_xarf(v[i], nt->reporter, &xarf[nx], &xl,
		    d)) != 0)
			goto out;
		if (v[i]->f->id > 0)
			snprintf(fn, sizeof(fn), "xarf-%lld.json",
			    (long long)v[i]->f->id);
		else
			snprintf(fn, sizeof(fn), "xarf-%zu.json", nx + 1);
		if ((names[np] = strdup(fn)) == NULL) {
			nx++;
			rc = mm_diag_set(d, MM_ENOMEM, "notice: out of "
			    "memory");
			goto out;
		}
		parts[np].content_type = "application/json";
		parts[np].text = 0;
		parts[np].filename = names[np];
		parts[np].data = xarf[nx];
		parts[np].len = xl;
		np++;
		nx++;
	}
	{
		char xc[24];

		snprintf(xc, sizeof(xc), "%zu", nx);
		if ((rc = tmpl_vars_set(vars, "xarf_count", xc)) != 0 ||
		    (rc = tmpl_vars_set(vars, "csv_attached", set.n > 0 ?
		    "yes" : "")) != 0 ||
		    (rc = tmpl_vars_list(vars, "xarf")) != 0 ||
		    (nx > 0 && tmpl_vars_set(tmpl_vars_row(vars, "xarf"),
		    "count", xc) != 0)) {
			rc = mm_diag_set(d, MM_ENOMEM, "notice: out of "
			    "memory");
			goto out;
		}
	}
	if ((rc = tmpl_mail_render(tm, vars, &subject, &body, &body_len,
	    d)) != 0)
		goto out;
	memset(&m, 0, sizeof(m));
	to[0] = nt->rcpt->email;
	m.from = nt->from;
	m.from_name = nt->from_name;
	m.to = to;
	m.nto = 1;
	m.subject = subject;
	m.date = nt->date;
	m.tz_min = nt->tz_min;
	m.message_id = nt->message_id;
	m.boundary = nt->boundary;
	m.body = body;
	m.body_len = body_len;
	m.body_cte = body_cte(body, body_len);
	m.parts = parts;
	m.nparts = np;
	rc = mail_build(&m, check, arg, eml, len, d);
out:
	if (names != NULL)
		for (i = 0; i < np + 1 && i < MAIL_MAX_PARTS; i++)
			free(names[i]);
	if (xarf != NULL)
		for (i = 0; i < nx; i++)
			free(xarf[i]);
	free(names);
	free(xarf);
	free(parts);
	free(v);
	free(subject);
	free(body);
	tmpl_vars_free(vars);
	report_csvset_free(&set);
	return rc;
}
