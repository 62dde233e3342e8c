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
 * Costs: O(n log n) sort; O(n) evidence parses per output; output buffers
 * grow geometrically. Nothing prints or touches the network.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

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
	    "Vulnerability", "OpenService", "DeviceIdentification",
	    NF(f_device) },
	{ "scan_http_vulnerable", "scan6_http_vulnerable", "Vulnerable HTTP",
	    "vulnerable-version", 1, "Vulnerability", "OpenService",
	    "VulnerableVersion", NF(f_vuln) },
	{ "scan_vulnerable", "scan6_vulnerable", "Vulnerable Service Version",
	    "vulnerable-version", 0, "Vulnerability", "OpenService",
	    "VulnerableVersion", NF(f_vuln) },
	{ "scan_weak_credential", "scan6_weak_credential",
	    "Default or Weak Credential", "weak-credential", 0,
	    "Vulnerability", "OpenService", "DefaultCredential",
	    NF(f_weak) },
	{ "scan_telnet", "scan6_telnet", "Accessible Telnet", "open-telnet", 1,
	    "Vulnerability", "OpenService", "AccessibleTelnet",
	    NF(f_telnet) },
	{ "c2_server", "c2_server6", "C&C Server", "c2-server", 0,
	    "Content", "Botnet", "CommandAndControl", NF(f_c2srv) },
	{ "botnet_drone", "botnet_drone6", "Infected Host (C&C client)",
	    "c2-client", 1, "Content", "Botnet", "InfectedHost",
	    NF(f_drone) },
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

struct rbuf {
	char	*p;
	size_t	 len, cap;
	int	 err;
};

static void
rb_add(struct rbuf *b, const char *s, size_t n)
{
	if (b->err != 0)
		return;
	if (b->len + n + 1 > b->cap) {
		size_t nc = b->cap ? b->cap : 1024;
		char *np;

		while (nc < b->len + n + 1)
			nc *= 2;
		if ((np = realloc(b->p, nc)) == NULL) {
			b->err = MM_ENOMEM;
			return;
		}
		b->p = np;
		b->cap = nc;
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

static void
rb_str(struct rbuf *b, const char *s)
{
	rb_add(b, s, strlen(s));
}

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
	struct rbuf	*b;
	int		 first;
};

/* One RFC 4180 field. `untrusted`: device-chosen text. */
static void
csv_put(struct row *r, const char *s, int untrusted)
{
	const char *p;
	int quote = 0;

	if (!r->first)
		rb_add(r->b, ",", 1);
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
		rb_str(r->b, s);
		return;
	}
	rb_add(r->b, "\"", 1);
	if (untrusted && s[0] != '\0' && strchr("=+-@", s[0]) != NULL)
		rb_add(r->b, "'", 1);
	for (p = s; *p != '\0'; p++) {
		if (*p == '"')
			rb_add(r->b, "\"\"", 2);
		else if (untrusted && ((unsigned char)*p < 0x20 ||
		    *p == 0x7F))
			rb_add(r->b, " ", 1);
		else
			rb_add(r->b, p, 1);
	}
	rb_add(r->b, "\"", 1);
}

static void
csv_end(struct row *r)
{
	rb_add(r->b, "\r\n", 2);
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
			struct rbuf b = { NULL, 0, 0, 0 };
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
				free(b.p);
				rc = mm_diag_set(d, b.err, "report: out of "
				    "memory");
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

/* ---- X-ARF ---- */

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

static const char *
xarf_severity(enum finding_severity s)
{
	return s >= SEV_HIGH ? "high" : s == SEV_MEDIUM ? "medium" : "low";
}

static void
jset_str(json_t *o, const char *k, const char *v)
{
	if (v != NULL && v[0] != '\0')
		json_object_set_new(o, k, json_string(v));
}

int
report_xarf(const struct report_item *it, const struct report_reporter *rep,
    char **out, size_t *len, struct mm_diag *d)
{
	const struct report_type *rt;
	const struct finding *f;
	json_t *root = NULL, *ri, *r, *cu, *ev = NULL;
	char ab[ADDR_STRLEN], ts[MTIME_STRLEN], nb[64], *s = NULL;
	int t, v6, rc = 0;

	*out = NULL;
	if (len != NULL)
		*len = 0;
	if (it == NULL || (f = it->f) == NULL ||
	    (rt = report_type_of(f, &v6)) == NULL)
		return mm_diag_set(d, MM_EINVAL, "xarf: finding kind '%s' is "
		    "not reported", it != NULL && it->f != NULL &&
		    it->f->kind != NULL ? it->f->kind : "?");
	if (rep == NULL || rep->org == NULL || strlen(rep->org) < 3 ||
	    rep->domain == NULL || rep->domain[0] == '\0' ||
	    rep->email == NULL || rep->email[0] == '\0')
		return mm_diag_set(d, MM_EINVAL, "xarf: ReporterInfo needs "
		    "ReporterOrg (>= 3 chars), ReporterOrgDomain and "
		    "ReporterOrgEmail");
	t = (int)(rt - types);
	ev = ev_load(f);
	if ((root = json_object()) == NULL || (ri = json_object()) == NULL ||
	    (r = json_object()) == NULL || (cu = json_object()) == NULL) {
		json_decref(root);
		json_decref(ev);
		return mm_diag_set(d, MM_ENOMEM, "xarf: out of memory");
	}
	json_object_set_new(root, "Version", json_string(XARF_SCHEMA_VERSION));
	jset_str(ri, "ReporterOrg", rep->org);
	jset_str(ri, "ReporterOrgDomain", rep->domain);
	jset_str(ri, "ReporterOrgEmail", rep->email);
	jset_str(ri, "ReporterContactEmail", rep->contact_email);
	if (rep->contact_name != NULL && strlen(rep->contact_name) >= 3)
		jset_str(ri, "ReporterContactName", rep->contact_name);
	if (rep->contact_phone != NULL && strlen(rep->contact_phone) >= 3)
		jset_str(ri, "ReporterContactPhone", rep->contact_phone);
	json_object_set_new(root, "ReporterInfo", ri);
	json_object_set_new(root, "Disclosure", json_boolean(rep->disclosure));
	json_object_set_new(root, "Report", r);

	json_object_set_new(r, "ReportClass", json_string(rt->xarf_class));
	json_object_set_new(r, "ReportType", json_string(rt->xarf_type));
	jset_str(r, "ReportSubType", rt->xarf_subtype);
	if (f->id > 0) {
		snprintf(nb, sizeof(nb), "mamori-%lld", (long long)f->id);
		json_object_set_new(r, "ReporterCaseID", json_string(nb));
	}
	json_object_set_new(r, "ReporterSeverity",
	    json_string(xarf_severity(f->severity)));
	json_object_set_new(r, "Date", json_string(mtime_fmt(f->last_seen, 0,
	    ts, sizeof(ts))));
	if (f->first_seen != 0 && f->first_seen != f->last_seen)
		json_object_set_new(r, "FirstSeen", json_string(mtime_fmt(
		    f->first_seen, 0, ts, sizeof(ts))));
	json_object_set_new(r, "SourceIp", json_string(addr_fmt(&f->subject,
	    ab, sizeof(ab))));
	if (f->port != 0 && t != T_DRONE)
		json_object_set_new(r, "SourcePort", json_integer(f->port));
	if (it->at != NULL && it->at->routed && it->at->route.origin_as != 0)
		json_object_set_new(r, "ASN",
		    json_integer(it->at->route.origin_as));
	if (f->proto == 6 || f->proto == 17)
		json_object_set_new(r, "TransportProtocol",
		    json_string(f->proto == 6 ? "tcp" : "udp"));
	switch (t) {
	case T_C2SRV:
		break;
	case T_DRONE:
		jset_str(r, "DestinationIp", ev_str(ev, "server")[0] != '\0' ?
		    ev_str(ev, "server") : f->dedup_extra);
		if (f->port != 0)
			json_object_set_new(r, "DestinationPort",
			    json_integer(f->port));
		jset_str(r, "BotnetName", ev_sub(ev, "reputation", "tag"));
		break;
	default:
		json_object_set_new(r, "ServiceName", json_string(
		    ev_service(f, ev)[0] != '\0' ? ev_service(f, ev) :
		    "unknown"));
		jset_str(r, "ServiceVersion", ev_str(ev, "version"));
		if ((t == T_HTTPVULN || t == T_VULN)) {
			const char *cve = ev_str(ev, "cve")[0] != '\0' ?
			    ev_str(ev, "cve") : f->dedup_extra != NULL ?
			    f->dedup_extra : "";

			if (cve_ok(cve))
				json_object_set_new(r, "CVE",
				    json_string(cve));
		}
		break;
	}
	if (f->summary != NULL && f->summary[0] != '\0') {
		json_t *sa = json_array(), *so = json_object();

		json_object_set_new(so, "ContentType",
		    json_string("text/plain"));
		json_object_set_new(so, "Base64Encoded", json_false());
		json_object_set_new(so, "Description",
		    json_string("mamori finding summary"));
		json_object_set_new(so, "Payload", json_string(f->summary));
		json_array_append_new(sa, so);
		json_object_set_new(r, "Samples", sa);
	}
	json_object_set_new(cu, "Kind", json_string(f->kind));
	jset_str(cu, "Detector", f->detector);
	json_object_set_new(cu, "Report", json_string(v6 ? rt->name6 :
	    rt->name));
	snprintf(nb, sizeof(nb), "%.3f", f->score);
	json_object_set_new(cu, "Score", json_string(nb));
	json_object_set_new(cu, "Count", json_integer(f->count > 0 ?
	    f->count : 1));
	switch (t) {
	case T_DEVICE:
	case T_HTTPVULN:
	case T_VULN:
	case T_WEAK:
		jset_str(cu, "Vendor", ev_str(ev, "vendor"));
		jset_str(cu, "Product", ev_str(ev, "product"));
		jset_str(cu, "CPE", ev_str(ev, "cpe"));
		if (t == T_WEAK)
			jset_str(cu, "CredentialId",
			    ev_str(ev, "credential_id"));
		if (t == T_HTTPVULN || t == T_VULN) {
			jset_str(cu, "CVSS", ev_num(ev, "cvss", "%.1f", nb,
			    sizeof(nb)));
			if (ev != NULL && json_object_get(ev, "kev") != NULL)
				json_object_set_new(cu, "KnownExploited",
				    json_string(ev_true(ev, "kev") ? "true" :
				    "false"));
		}
		break;
	case T_C2SRV:
	case T_DRONE:
		jset_str(cu, "PeriodSeconds", ev_num(ev, "period_s", "%.6g",
		    nb, sizeof(nb)));
		jset_str(cu, "Jitter", ev_num(ev, "jitter", "%.3f", nb,
		    sizeof(nb)));
		if (t == T_C2SRV)
			jset_str(cu, "Clients", ev_num(ev, "clients", "%.0f",
			    nb, sizeof(nb)));
		else
			jset_str(cu, "Connections", ev_num(ev, "conns",
			    "%.0f", nb, sizeof(nb)));
		jset_str(cu, "IntelSource", ev_sub(ev, "reputation",
		    "source"));
		break;
	default:
		break;
	}
	json_object_set_new(r, "Custom", cu);
	s = json_dumps(root, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
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
	json_decref(root);
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
