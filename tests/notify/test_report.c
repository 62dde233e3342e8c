/*
 * test_report.c - findings to reports (src/notify/report.h): the type
 * mapping, Shadowserver-style CSV, X-ARF JSON and the whole notice e-mail,
 * compared byte for byte with golden files in tests/notify/golden/.
 *
 * Regenerate the golden files after an intended change with
 *
 *	MAMORI_UPDATE_GOLDEN=1 ./test_report
 *
 * (run from the build directory), then review the diff before committing.
 *
 * Beyond the byte comparison the test parses its own output back: the
 * Subject's encoded words and the base64 body decode to exactly the
 * rendered text; every line ends in CRLF and is at most 998 bytes (78 in
 * the header, 76 in encoded bodies); each CSV row has as many fields as its
 * header; each X-ARF v4 document parses, has the required fields, a
 * UUIDv5 report_id (one value cross-checked with Python's uuid.uuid5()),
 * well-formed tags and evidence whose size and SHA-256 match the payload,
 * and renders to the same bytes twice. If python3 is installed, its email
 * package must parse the golden .eml into the expected parts, and with its
 * jsonschema module every golden X-ARF document must validate against the
 * X-ARF v4 schemas in tests/notify/schemas/ (skipped otherwise).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include <cmocka.h>
#include <jansson.h>

#include "notify/report.h"

#define GOLDEN	MAMORI_SRCDIR "/tests/notify/golden"

/* ---- sample data ---- */

#define SURVEY_META "\"source\":\"203.0.113.1\",\"scan_id\":\"s-20261125\"," \
    "\"operator\":\"mamori lab\",\"purpose\":\"NOTICE-style survey\"," \
    "\"scan_start\":\"2026-11-25T00:00:00.000Z\",\"user_agent\":" \
    "\"mamori-survey/0.1\",\"contact\":\"survey@mamori.example\""

static const char ev_telnet[] = "{\"time\":\"2026-11-25T01:02:03.000Z\","
    SURVEY_META ",\"target\":\"192.0.2.10\",\"port\":23,\"protocol\":"
    "\"tcp\",\"service\":\"telnet\",\"rule\":\"busybox-telnet\",\"vendor\":"
    "\"Acme\",\"product\":\"IPCam\",\"version\":\"1.2.3\",\"cpe\":"
    "\"cpe:2.3:h:acme:ipcam:1.2.3\",\"cves\":\"\",\"banner\":"
    "\"=HYPERLINK(\\\"http://x.example\\\")\\r\\nIPCam login: \"}";
static const char ev_fgt1[] = "{\"time\":\"2026-11-25T02:00:00.000Z\","
    SURVEY_META ",\"target\":\"192.0.2.20\",\"port\":443,\"protocol\":"
    "\"tcp\",\"service\":\"https\",\"rule\":\"fortigate-sslvpn\",\"vendor\":"
    "\"Fortinet\",\"product\":\"FortiOS\",\"version\":\"6.0.4\",\"cpe\":"
    "\"cpe:2.3:o:fortinet:fortios:6.0.4\",\"cves\":\"CVE-2018-13379 "
    "CVE-2023-27997\",\"banner\":\"\",\"cve\":\"CVE-2018-13379\",\"cvss\":"
    "9.8,\"kev\":true}";
static const char ev_fgt2[] = "{\"time\":\"2026-11-25T02:00:00.000Z\","
    SURVEY_META ",\"target\":\"192.0.2.20\",\"port\":443,\"protocol\":"
    "\"tcp\",\"service\":\"https\",\"rule\":\"fortigate-sslvpn\",\"vendor\":"
    "\"Fortinet\",\"product\":\"FortiOS\",\"version\":\"6.0.4\",\"cpe\":"
    "\"cpe:2.3:o:fortinet:fortios:6.0.4\",\"cves\":\"CVE-2018-13379 "
    "CVE-2023-27997\",\"banner\":\"\",\"cve\":\"CVE-2023-27997\",\"cvss\":"
    "9.8,\"kev\":true}";
static const char ev_fgt3[] = "{\"time\":\"2026-11-25T03:10:00.000Z\","
    SURVEY_META ",\"target\":\"192.0.2.21\",\"port\":10443,\"protocol\":"
    "\"tcp\",\"service\":\"https\",\"rule\":\"fortigate-sslvpn\",\"vendor\":"
    "\"Fortinet\",\"product\":\"FortiOS\",\"version\":\"7.0.6\",\"cpe\":"
    "\"cpe:2.3:o:fortinet:fortios:7.0.6\",\"cves\":\"CVE-2022-40684\","
    "\"banner\":\"\",\"cve\":\"CVE-2022-40684\",\"cvss\":9.8,\"kev\":true}";
static const char ev_ssh[] = "{\"time\":\"2026-11-25T04:00:00.000Z\","
    SURVEY_META ",\"target\":\"192.0.2.30\",\"port\":22,\"protocol\":"
    "\"tcp\",\"service\":\"ssh\",\"rule\":\"dropbear\",\"vendor\":"
    "\"Dropbear\",\"product\":\"Dropbear SSH\",\"version\":\"2016.72\","
    "\"cpe\":\"cpe:2.3:a:dropbear_ssh_project:dropbear_ssh:2016.72\","
    "\"cves\":\"CVE-2016-7406\",\"banner\":\"SSH-2.0-dropbear_2016.72\","
    "\"cve\":\"CVE-2016-7406\",\"cvss\":9.8,\"kev\":false}";
static const char ev_weak[] = "{\"time\":\"2026-11-25T05:00:00.000Z\","
    SURVEY_META ",\"target\":\"2001:db8:10::5\",\"port\":23,\"protocol\":"
    "\"tcp\",\"service\":\"telnet\",\"rule\":\"busybox-telnet\",\"vendor\":"
    "\"\",\"product\":\"BusyBox\",\"version\":\"\",\"cpe\":\"\",\"cves\":"
    "\"\",\"banner\":\"login: \",\"credential_id\":\"mirai-01\"}";
static const char ev_cli[] = "{\"client\":\"192.0.2.50\",\"server\":"
    "\"203.0.113.50\",\"port\":443,\"proto\":\"tcp\",\"score\":0.912,"
    "\"components\":{\"strength\":0.9},\"period_s\":60,\"jitter\":0.02,"
    "\"conns\":1440,\"bytes\":2000000,\"packets\":9000,\"bytes_per_conn\":"
    "1388.9,\"sampling\":1,\"first_seen\":\"2026-11-24T15:00:10Z\","
    "\"last_seen\":\"2026-11-25T14:59:10Z\",\"server_score\":0.95,"
    "\"other_beaconing_clients\":3,\"sample_flows\":[],\"reputation\":"
    "{\"source\":\"lab-feed\",\"tag\":\"Mirai\"}}";
static const char ev_srv[] = "{\"server\":\"192.0.2.99\",\"port\":8080,"
    "\"proto\":\"tcp\",\"score\":0.874,\"components\":{},\"period_s\":300,"
    "\"jitter\":0.05,\"bytes_per_conn\":{\"median\":512,\"min\":500,"
    "\"max\":530},\"clients\":42,\"beaconing_clients\":40,"
    "\"period_consistent_clients\":1,\"strobing_clients\":0,\"flows\":"
    "12000,\"bytes\":6000000,\"packets\":30000,\"first_seen\":"
    "\"2026-11-24T15:00:00Z\",\"last_seen\":\"2026-11-25T14:55:00Z\","
    "\"window\":{\"start\":\"2026-11-24T15:00:00Z\",\"end\":"
    "\"2026-11-25T15:00:00Z\"},\"clients_sample\":[{\"client\":"
    "\"198.51.100.9\"}]}";

#define NF	10

static struct finding F[NF];
static struct attribution AT[NF];
static struct report_item IT[NF];
static struct recipient RCPT_JA, RCPT_EN;
static const struct report_reporter REP = {
	"mamori lab CSIRT", "mamori.example", "reports@mamori.example",
	"csirt@mamori.example", "Survey Team", "+81-3-0000-0000",
	"https://mamori.example/notice", 1, NULL, NULL, NULL
};

static mtime_t
T(const char *s)
{
	mtime_t t;

	assert_int_equal(mtime_parse(s, &t), 0);
	return t;
}

static void
mk(int i, const char *kind, const char *detector, const char *addr,
    uint16_t port, const char *extra, const char *first, const char *last,
    enum finding_severity sev, double score, const char *summary,
    const char *ev)
{
	struct finding *f = &F[i];

	memset(f, 0, sizeof(*f));
	f->id = i + 1;
	f->kind = (char *)kind;
	f->detector = (char *)detector;
	assert_int_equal(addr_parse(addr, &f->subject), 0);
	f->port = port;
	f->proto = 6;
	f->dedup_extra = (char *)extra;
	f->first_seen = T(first);
	f->last_seen = T(last);
	f->count = 1;
	f->score = score;
	f->severity = sev;
	f->summary = (char *)summary;
	f->evidence = (char *)ev;
	memset(&AT[i], 0, sizeof(AT[i]));
	AT[i].routed = 1;
	assert_int_equal(prefix_parse(strchr(addr, ':') != NULL ?
	    "2001:db8:10::/48" : "192.0.2.0/24", &AT[i].route.prefix), 0);
	AT[i].route.origin_as = 64500;
	snprintf(AT[i].route.customer, sizeof(AT[i].route.customer),
	    "cust-a");
	IT[i].f = f;
	IT[i].at = &AT[i];
}

static void
fixtures(void)
{
	/* deliberately not in report order: the output sorts */
	mk(0, "c2-client", "c2", "192.0.2.50", 443, "203.0.113.50",
	    "2026-11-24T15:00:10Z", "2026-11-25T14:59:10Z", SEV_HIGH, 0.931,
	    "192.0.2.50 beacons to 203.0.113.50:443/tcp every 60s (jitter "
	    "2 %), 1440 connections", ev_cli);
	mk(1, "open-telnet", "survey", "192.0.2.10", 23, "",
	    "2026-11-25T01:02:03Z", "2026-11-25T01:02:03Z", SEV_MEDIUM, 5.0,
	    "telnet login prompt open on 192.0.2.10:23", ev_telnet);
	mk(2, "vulnerable-version", "survey", "192.0.2.20", 443,
	    "CVE-2018-13379", "2026-11-25T02:00:00Z", "2026-11-25T02:00:00Z",
	    SEV_CRITICAL, 9.8, "CVE-2018-13379 (CVSS 9.8, known exploited): "
	    "FortiOS 6.0.4 on 192.0.2.20:443", ev_fgt1);
	mk(3, "device", "survey", "192.0.2.10", 23, "",
	    "2026-11-25T01:02:03Z", "2026-11-25T01:02:03Z", SEV_INFO, 0.0,
	    "Acme IPCam 1.2.3 on 192.0.2.10:23/telnet", ev_telnet);
	mk(4, "vulnerable-version", "survey", "192.0.2.21", 10443,
	    "CVE-2022-40684", "2026-11-25T03:10:00Z", "2026-11-25T03:10:00Z",
	    SEV_CRITICAL, 9.8, "CVE-2022-40684 (CVSS 9.8, known exploited): "
	    "FortiOS 7.0.6 on 192.0.2.21:10443", ev_fgt3);
	mk(5, "weak-credential", "survey", "2001:db8:10::5", 23, "mirai-01",
	    "2026-11-25T05:00:00Z", "2026-11-25T05:00:00Z", SEV_HIGH, 8.0,
	    "default credential mirai-01 accepted on [2001:db8:10::5]:23",
	    ev_weak);
	mk(6, "vulnerable-version", "survey", "192.0.2.20", 443,
	    "CVE-2023-27997", "2026-11-25T02:00:00Z", "2026-11-25T02:00:00Z",
	    SEV_CRITICAL, 9.8, "CVE-2023-27997 (CVSS 9.8, known exploited): "
	    "FortiOS 6.0.4 on 192.0.2.20:443", ev_fgt2);
	mk(7, "c2-server", "c2", "192.0.2.99", 8080, "",
	    "2026-11-24T15:00:00Z", "2026-11-25T14:55:00Z", SEV_HIGH, 0.874,
	    "192.0.2.99:8080/tcp: 40 subscribers beacon every 5m", ev_srv);
	mk(8, "ddos-reflector", "other", "192.0.2.77", 53, "",
	    "2026-11-25T06:00:00Z", "2026-11-25T06:00:00Z", SEV_LOW, 1.0,
	    "not a reported kind", "{}");
	mk(9, "vulnerable-version", "survey", "192.0.2.30", 22,
	    "CVE-2016-7406", "2026-11-25T04:00:00Z", "2026-11-25T04:00:00Z",
	    SEV_HIGH, 9.8, "CVE-2016-7406 (CVSS 9.8): Dropbear SSH 2016.72 "
	    "on 192.0.2.30:22", ev_ssh);

	memset(&RCPT_JA, 0, sizeof(RCPT_JA));
	snprintf(RCPT_JA.id, sizeof(RCPT_JA.id), "AS64500");
	snprintf(RCPT_JA.org, sizeof(RCPT_JA.org), "例示ネットワーク株式会社");
	snprintf(RCPT_JA.isp, sizeof(RCPT_JA.isp), "例示ISP");
	snprintf(RCPT_JA.email, sizeof(RCPT_JA.email), "abuse@example.jp");
	snprintf(RCPT_JA.lang, sizeof(RCPT_JA.lang), "ja");
	snprintf(RCPT_JA.format, sizeof(RCPT_JA.format), "both");
	RCPT_JA.source = CONTACT_SRC_FILE;
	RCPT_EN = RCPT_JA;
	snprintf(RCPT_EN.org, sizeof(RCPT_EN.org), "Example Networks Ltd.");
	snprintf(RCPT_EN.isp, sizeof(RCPT_EN.isp), "Example ISP");
	snprintf(RCPT_EN.email, sizeof(RCPT_EN.email), "abuse@example.net");
	snprintf(RCPT_EN.lang, sizeof(RCPT_EN.lang), "en");
	snprintf(RCPT_EN.format, sizeof(RCPT_EN.format), "csv");
}

static void
notice(struct report_notice *nt, const struct recipient *r, int ja)
{
	memset(nt, 0, sizeof(*nt));
	nt->reporter = &REP;
	nt->rcpt = r;
	nt->period_start = T("2026-11-24T15:00:00Z");
	nt->period_end = T("2026-11-25T15:00:00Z");
	nt->tz_min = ja ? 540 : 0;
	nt->tz_name = ja ? "JST" : "UTC";
	nt->from = "notice@mamori.example";
	nt->from_name = ja ? "mamori 通知システム" : "mamori notices";
	nt->date = T("2026-11-25T15:30:00Z");
	nt->message_id = ja ? "<20261125.golden-ja@mamori.example>" :
	    "<20261125.golden-en@mamori.example>";
	nt->boundary = ja ? "=_mamori_golden_ja" : "=_mamori_golden_en";
}

/* ---- golden files ---- */

static int
updating(void)
{
	const char *e = getenv("MAMORI_UPDATE_GOLDEN");

	return e != NULL && strcmp(e, "1") == 0;
}

static char *
slurp(const char *path, size_t *len)
{
	FILE *fp = fopen(path, "rb");
	char *buf;
	long n;

	if (fp == NULL)
		return NULL;
	fseek(fp, 0, SEEK_END);
	n = ftell(fp);
	fseek(fp, 0, SEEK_SET);
	buf = malloc((size_t)n + 1);
	assert_non_null(buf);
	assert_int_equal(fread(buf, 1, (size_t)n, fp), (size_t)n);
	buf[n] = '\0';
	fclose(fp);
	*len = (size_t)n;
	return buf;
}

static void
golden(const char *name, const char *data, size_t len)
{
	char path[1024];
	char *g;
	size_t gl = 0, i;

	snprintf(path, sizeof(path), "%s/%s", GOLDEN, name);
	if (updating()) {
		FILE *fp = fopen(path, "wb");

		assert_non_null(fp);
		assert_int_equal(fwrite(data, 1, len, fp), len);
		assert_int_equal(fclose(fp), 0);
		return;
	}
	if ((g = slurp(path, &gl)) == NULL)
		fail_msg("%s missing: run MAMORI_UPDATE_GOLDEN=1 ./test_report",
		    path);
	for (i = 0; i < len && i < gl && data[i] == g[i]; i++)
		;
	if (i < len || i < gl)
		fail_msg("%s differs at byte %zu (got %zu bytes, golden %zu): "
		    "...%.40s", name, i, len, gl, data + (i > 20 ? i - 20 : 0));
	free(g);
}

/* ---- checks ---- */

/* CRLF only; lines <= max (998 anywhere). */
static void
check_crlf(const char *s, size_t len, size_t max)
{
	size_t i, start = 0;

	for (i = 0; i < len; i++) {
		if (s[i] == '\n')
			fail_msg("bare LF at %zu", i);
		if (s[i] != '\r')
			continue;
		if (i + 1 >= len || s[i + 1] != '\n')
			fail_msg("bare CR at %zu", i);
		if (i - start > max)
			fail_msg("line of %zu bytes at %zu: %.60s", i - start,
			    start, s + start);
		start = i + 2;
		i++;
	}
	assert_int_equal(start, len);	/* ends with CRLF */
}

static size_t
csv_fields(const char *line, const char *end)
{
	size_t n = 1;
	int q = 0;

	for (; line < end; line++) {
		if (*line == '"')
			q = !q;
		else if (*line == ',' && !q)
			n++;
	}
	return n;
}

static void
check_csv(const struct report_csv *c)
{
	const char *p = c->data, *e = c->data + c->len;
	size_t nh = 0, rows = 0;
	int q = 0;
	const char *ls = p;

	check_crlf(c->data, c->len, 998 * 16);
	for (; p < e; p++) {
		if (*p == '"')
			q = !q;
		if (q || *p != '\r')
			continue;
		if (nh == 0) {
			nh = csv_fields(ls, p);
			assert_int_equal(nh, REPORT_CSV_COMMON +
			    c->type->nfields);
			assert_int_equal(strncmp(ls, "timestamp,severity,ip,"
			    "protocol,port,hostname,tag,asn,geo,region,city,"
			    "naics,hostname_source,sector", 84), 0);
		} else {
			assert_int_equal(csv_fields(ls, p), nh);
			rows++;
		}
		ls = p + 2;
		p++;
	}
	assert_int_equal(rows, c->rows);
}

static void
test_types(void **state)
{
	size_t n, i;
	const struct report_type *t = report_types(&n);
	int v6;

	(void)state;
	fixtures();
	assert_int_equal(n, 7);
	for (i = 0; i < n; i++) {
		assert_ptr_equal(report_type_find(t[i].name), &t[i]);
		assert_ptr_equal(report_type_find(t[i].name6), &t[i]);
	}
	assert_string_equal(report_type_of(&F[1], &v6)->name, "scan_telnet");
	assert_int_equal(v6, 0);
	assert_string_equal(report_type_of(&F[2], &v6)->name,
	    "scan_http_vulnerable");
	assert_string_equal(report_type_of(&F[9], &v6)->name,
	    "scan_vulnerable");
	assert_string_equal(report_type_of(&F[5], &v6)->name6,
	    "scan6_weak_credential");
	assert_int_equal(v6, 1);
	assert_string_equal(report_type_of(&F[0], &v6)->name, "botnet_drone");
	assert_string_equal(report_type_of(&F[7], &v6)->name, "c2_server");
	assert_string_equal(report_type_of(&F[3], &v6)->name, "device_id");
	assert_null(report_type_of(&F[8], &v6));
	assert_null(report_type_of(NULL, &v6));
	assert_null(report_type_find("nope"));
}

static void
test_csv(void **state)
{
	struct report_csvset set, set2;
	struct report_item rev[NF];
	struct mm_diag d;
	size_t i;
	char fn[64];

	(void)state;
	fixtures();
	assert_int_equal(report_csv_build(IT, NF, &set, &d), 0);
	assert_int_equal(set.skipped, 1);
	assert_int_equal(set.n, 7);
	for (i = 0; i < set.n; i++) {
		char name[80];

		check_csv(&set.v[i]);
		snprintf(name, sizeof(name), "%s.csv", set.v[i].name);
		golden(name, set.v[i].data, set.v[i].len);
	}
	/* formula injection neutralised, CR/LF in a banner flattened */
	for (i = 0; i < set.n; i++)
		if (strcmp(set.v[i].name, "scan_telnet") == 0)
			assert_non_null(strstr(set.v[i].data,
			    ",\"'=HYPERLINK(\"\"http://x.example\"\")  IPCam "
			    "login: \"\r\n"));
	/* order of the input does not matter */
	for (i = 0; i < NF; i++)
		rev[i] = IT[NF - 1 - i];
	assert_int_equal(report_csv_build(rev, NF, &set2, &d), 0);
	assert_int_equal(set2.n, set.n);
	for (i = 0; i < set.n; i++) {
		assert_int_equal(set2.v[i].len, set.v[i].len);
		assert_memory_equal(set2.v[i].data, set.v[i].data,
		    set.v[i].len);
	}
	report_csvset_free(&set2);
	report_csvset_free(&set);
	assert_string_equal(report_csv_filename("scan_telnet",
	    T("2026-11-25T15:00:00Z"), fn, sizeof(fn)),
	    "2026-11-25-scan_telnet.csv");
	/* empty input: no CSVs */
	assert_int_equal(report_csv_build(IT, 0, &set, &d), 0);
	assert_int_equal(set.n, 0);
	report_csvset_free(&set);
}

/* The X-ARF v4 fields every document must have (xarf-core.json
 * "required", contact_info), checked here whether or not python3 and
 * jsonschema are around for the full schema check. */
static void
check_xarf(const json_t *o, const struct finding *f)
{
	static const char *const req[] = { "xarf_version", "report_id",
	    "timestamp", "reporter", "sender", "source_identifier",
	    "category", "type" };
	static const char *const who[] = { "reporter", "sender" };
	const json_t *v, *e;
	const char *cat, *type, *id;
	size_t i, k;

	for (i = 0; i < sizeof(req) / sizeof(req[0]); i++)
		if (json_object_get(o, req[i]) == NULL)
			fail_msg("xarf %lld: no %s", (long long)f->id, req[i]);
	assert_null(json_object_get(o, "Version"));	/* not v3 */
	assert_string_equal(json_string_value(json_object_get(o,
	    "xarf_version")), XARF_SCHEMA_VERSION);
	for (i = 0; i < 2; i++) {
		v = json_object_get(o, who[i]);
		assert_true(json_is_object(v));
		assert_int_equal(json_object_size(v), 3);
		assert_non_null(json_string_value(json_object_get(v, "org")));
		assert_non_null(strchr(json_string_value(json_object_get(v,
		    "contact")), '@'));
		assert_non_null(json_string_value(json_object_get(v,
		    "domain")));
	}
	/* UUIDv5: version nibble 5, variant 10xx */
	id = json_string_value(json_object_get(o, "report_id"));
	assert_non_null(id);
	assert_int_equal(strlen(id), 36);
	assert_true(id[8] == '-' && id[13] == '-' && id[18] == '-' &&
	    id[23] == '-');
	assert_int_equal(id[14], '5');
	assert_non_null(strchr("89ab", id[19]));
	cat = json_string_value(json_object_get(o, "category"));
	type = json_string_value(json_object_get(o, "type"));
	if (strcmp(f->kind, "c2-client") == 0 ||
	    strcmp(f->kind, "c2-server") == 0) {
		assert_string_equal(cat, "infrastructure");
		assert_string_equal(type, "botnet");
		assert_non_null(json_string_value(json_object_get(o,
		    "compromise_evidence")));
		assert_non_null(json_string_value(json_object_get(o,
		    "c2_server")));
	} else {
		assert_string_equal(cat, "vulnerability");
		assert_non_null(json_string_value(json_object_get(o,
		    "service")));
		if (strcmp(f->kind, "vulnerable-version") == 0) {
			assert_string_equal(type, "cve");
			assert_string_equal(json_string_value(json_object_get(
			    o, "cve_id")), f->dedup_extra);
			assert_int_equal(json_integer_value(json_object_get(o,
			    "service_port")), f->port);
		} else if (strcmp(f->kind, "weak-credential") == 0)
			assert_string_equal(type, "misconfiguration");
		else
			assert_string_equal(type, "open_service");
	}
	v = json_object_get(o, "confidence");
	assert_true(json_is_number(v) && json_number_value(v) >= 0.0 &&
	    json_number_value(v) <= 1.0);
	/* tags: ^[a-z0-9][a-z0-9_+-]*:[a-z0-9][a-z0-9_+-]*$, at most 20 */
	v = json_object_get(o, "tags");
	assert_true(json_is_array(v) && json_array_size(v) <= 20);
	for (i = 0; i < json_array_size(v); i++) {
		const char *tg = json_string_value(json_array_get(v, i));
		const char *c = strchr(tg, ':');

		assert_non_null(c);
		assert_null(strchr(c + 1, ':'));
		assert_true(c > tg && c[1] != '\0');
		for (k = 0; tg[k] != '\0'; k++)
			assert_non_null(strchr("abcdefghijklmnopqrstuvwxyz"
			    "0123456789_+-:", tg[k]));
		assert_true(tg[0] != '_' && tg[0] != '+' && tg[0] != '-');
		assert_true(c[1] != '_' && c[1] != '+' && c[1] != '-');
	}
	/* evidence items: content_type, payload, sha256 hash, size */
	v = json_object_get(o, "evidence");
	assert_true(json_is_array(v) && json_array_size(v) >= 1);
	json_array_foreach(v, i, e) {
		unsigned char *dec;
		size_t dl;
		const char *pl = json_string_value(json_object_get(e,
		    "payload"));

		assert_non_null(json_string_value(json_object_get(e,
		    "content_type")));
		assert_non_null(pl);
		assert_int_equal(mail_b64_decode(pl, strlen(pl), &dec, &dl),
		    0);
		assert_int_equal(json_integer_value(json_object_get(e,
		    "size")), dl);
		assert_int_equal(strncmp(json_string_value(json_object_get(e,
		    "hash")), "sha256:", 7), 0);
		assert_int_equal(strlen(json_string_value(json_object_get(e,
		    "hash"))), 7 + 64);
		/* never other subscribers' addresses (c2 server sample) */
		assert_null(strstr((char *)dec, "198.51.100.9"));
		free(dec);
	}
}

static json_t *
xarf_load(const struct report_item *it, const struct report_reporter *rep,
    char **x, size_t *xl)
{
	struct mm_diag d;
	json_error_t je;
	json_t *o;

	if (report_xarf(it, rep, x, xl, &d) != 0)
		fail_msg("xarf: %s", d.msg);
	assert_int_equal(strlen(*x), *xl);
	assert_int_equal((*x)[*xl - 1], '\n');
	if ((o = json_loads(*x, 0, &je)) == NULL)
		fail_msg("xarf: %s", je.text);
	return o;
}

static void
test_xarf(void **state)
{
	struct mm_diag d;
	struct report_reporter bad = REP, snd = REP;
	struct finding g;
	struct report_item gi;
	size_t i, n = 0, xl, yl;
	char *x, *y, id[40];
	json_t *o;

	(void)state;
	fixtures();
	for (i = 0; i < NF; i++) {
		char name[64];

		if (report_type_of(IT[i].f, NULL) == NULL) {
			assert_int_equal(report_xarf(&IT[i], &REP, &x, &xl,
			    &d), MM_EINVAL);
			assert_null(x);
			continue;
		}
		o = xarf_load(&IT[i], &REP, &x, &xl);
		check_xarf(o, IT[i].f);
		json_decref(o);
		snprintf(name, sizeof(name), "xarf-%lld.json",
		    (long long)IT[i].f->id);
		golden(name, x, xl);
		/* the same finding renders to the same bytes */
		o = xarf_load(&IT[i], &REP, &y, &yl);
		json_decref(o);
		assert_int_equal(xl, yl);
		assert_memory_equal(x, y, xl);
		free(y);
		free(x);
		n++;
	}
	assert_int_equal(n, 9);

	/* report_id = UUIDv5(UUIDv5(DNS, "mamori.example"),
	 * "1/c2-client/192.0.2.50/<last seen ms>"), as Python's
	 * uuid.uuid5() computes it */
	o = xarf_load(&IT[0], &REP, &x, &xl);
	assert_string_equal(json_string_value(json_object_get(o,
	    "report_id")), "42faa54c-11cf-5092-a555-05b649e4a1a6");
	snprintf(id, sizeof(id), "%s", json_string_value(json_object_get(o,
	    "report_id")));
	assert_string_equal(json_string_value(json_object_get(o,
	    "timestamp")), "2026-11-25T14:59:10Z");
	assert_null(json_object_get(o, "source_port"));	/* C&C client */
	assert_string_equal(json_string_value(json_object_get(o,
	    "destination_ip")), "203.0.113.50");
	assert_string_equal(json_string_value(json_object_get(o,
	    "malware_family")), "Mirai");
	/* reporter contact is contact_email; sender defaults to reporter */
	assert_string_equal(json_string_value(json_object_get(json_object_get(
	    o, "reporter"), "contact")), "csirt@mamori.example");
	assert_string_equal(json_string_value(json_object_get(json_object_get(
	    o, "sender"), "contact")), "reports@mamori.example");
	json_decref(o);
	free(x);
	/* a new sighting is a new report; the domain is case-blind */
	g = F[0];
	g.last_seen += 1000;
	gi.f = &g;
	gi.at = NULL;
	o = xarf_load(&gi, &REP, &x, &xl);
	assert_string_not_equal(json_string_value(json_object_get(o,
	    "report_id")), id);
	json_decref(o);
	free(x);
	snd.domain = "MAMORI.Example";
	snd.sender_org = "Upstream Relay";
	snd.sender_domain = "relay.example";
	snd.sender_email = "xarf@relay.example";
	o = xarf_load(&IT[0], &snd, &x, &xl);
	assert_string_equal(json_string_value(json_object_get(o,
	    "report_id")), id);
	assert_string_equal(json_string_value(json_object_get(json_object_get(
	    o, "sender"), "domain")), "relay.example");
	json_decref(o);
	free(x);

	/* weak credential: the pair by id only */
	o = xarf_load(&IT[5], &REP, &x, &xl);
	assert_non_null(strstr(x, "\"credential:mirai-01\""));
	assert_null(strstr(x, "password"));
	json_decref(o);
	free(x);

	/* no CVE id: still a valid vulnerability report, as open_service */
	g = F[2];
	g.dedup_extra = "FG-IR-19-034";
	g.evidence = "{\"service\":\"https\",\"product\":\"FortiOS\"}";
	g.summary = "bad \xff\xfe utf-8 and a\ttab";
	gi.f = &g;
	o = xarf_load(&gi, &REP, &x, &xl);
	assert_string_equal(json_string_value(json_object_get(o, "type")),
	    "open_service");
	assert_null(json_object_get(o, "cve_id"));
	assert_string_equal(json_string_value(json_object_get(o,
	    "description")), "bad ?? utf-8 and a tab");
	json_decref(o);
	free(x);
	/* evidence that is not JSON: the summary is the only evidence */
	g.evidence = "not json";
	o = xarf_load(&gi, &REP, &x, &xl);
	assert_int_equal(json_array_size(json_object_get(o, "evidence")), 1);
	json_decref(o);
	free(x);

	/* incomplete or malformed reporter */
	bad.domain = NULL;
	assert_int_equal(report_xarf(&IT[0], &bad, &x, NULL, &d), MM_EINVAL);
	bad = REP;
	bad.domain = "not a host";
	assert_int_equal(report_xarf(&IT[0], &bad, &x, NULL, &d), MM_EINVAL);
	bad = REP;
	bad.email = "nobody";
	assert_int_equal(report_xarf(&IT[0], &bad, &x, NULL, &d), MM_EINVAL);
	bad = REP;
	bad.sender_email = "x y@z";
	assert_int_equal(report_xarf(&IT[0], &bad, &x, NULL, &d), MM_EINVAL);
	bad = REP;
	bad.org = "";
	assert_int_equal(report_xarf(&IT[0], &bad, &x, NULL, &d), MM_EINVAL);
	assert_null(x);
}

/*
 * Every golden X-ARF document against the X-ARF v4 JSON schemas in
 * tests/notify/schemas/ (tests/notify/xarf_validate.py). Skipped when
 * python3 or its jsonschema module is missing (Debian: python3-jsonschema).
 */
static void
test_xarf_schema(void **state)
{
	char cmd[4096];
	int rc;

	(void)state;
	fixtures();
	if (system("command -v python3 >/dev/null 2>&1") != 0) {
		fprintf(stderr, "python3 not found: X-ARF schema check "
		    "skipped\n");
		skip();
	}
	snprintf(cmd, sizeof(cmd), "python3 '%s/tests/notify/xarf_validate.py'"
	    " --schemas '%s/tests/notify/schemas' '%s'/xarf-*.json",
	    MAMORI_SRCDIR, MAMORI_SRCDIR, GOLDEN);
	rc = system(cmd);
	if (rc != -1 && WIFEXITED(rc) && WEXITSTATUS(rc) == 77) {
		fprintf(stderr, "python3 jsonschema missing: X-ARF schema "
		    "check skipped\n");
		skip();
	}
	if (rc != 0)
		fail_msg("X-ARF schema validation failed (%d)", rc);
	/* and it does reject: a document without "sender" */
	{
		char *x, *s;
		size_t xl;
		FILE *fp;
		json_t *o = xarf_load(&IT[0], &REP, &x, &xl);

		json_object_del(o, "sender");
		s = json_dumps(o, JSON_INDENT(2));
		assert_non_null(s);
		fp = fopen("xarf-invalid.json", "w");
		assert_non_null(fp);
		fputs(s, fp);
		assert_int_equal(fclose(fp), 0);
		snprintf(cmd, sizeof(cmd), "python3 '%s/tests/notify/"
		    "xarf_validate.py' xarf-invalid.json >/dev/null",
		    MAMORI_SRCDIR);
		rc = system(cmd);
		assert_true(rc != -1 && WIFEXITED(rc) &&
		    WEXITSTATUS(rc) == 1);
		remove("xarf-invalid.json");
		free(s);
		free(x);
		json_decref(o);
	}
}

/* Returns the header block (up to the empty line) and the first text/plain
 * part's decoded body. */
static void
eml_parse(const char *eml, char **subject, unsigned char **body,
    size_t *blen)
{
	const char *he = strstr(eml, "\r\n\r\n"), *s, *e, *b, *be;
	char *raw, *q;

	assert_non_null(he);
	/* header lines <= 78 */
	{
		const char *p = eml, *nl;

		while (p < he + 2 && (nl = strstr(p, "\r\n")) != NULL) {
			assert_true(nl - p <= MAIL_LINE_MAX);
			p = nl + 2;
		}
	}
	s = strstr(eml, "\r\nSubject: ");
	assert_non_null(s);
	s += 11;
	for (e = s; !(e[0] == '\r' && e[1] == '\n' && e[2] != ' '); e++)
		;
	raw = malloc((size_t)(e - s) + 1);
	for (q = raw; s < e; s++)
		if (*s != '\r' && *s != '\n')
			*q++ = *s;
	*q = '\0';
	assert_int_equal(mail_header_decode(raw, subject), 0);
	free(raw);
	b = strstr(eml, "Content-Type: text/plain; charset=UTF-8\r\n");
	assert_non_null(b);
	b = strstr(b, "\r\n\r\n") + 4;
	be = strstr(b, "\r\n--=_mamori_golden");
	assert_non_null(be);
	if (strstr(eml, "Content-Transfer-Encoding: base64\r\n\r\n") != NULL &&
	    strstr(eml, "Content-Transfer-Encoding: base64\r\n\r\n") < b) {
		/* body lines <= 76 */
		const char *p = b, *nl;

		while (p < be && (nl = strstr(p, "\r\n")) != NULL) {
			assert_true(nl - p <= MAIL_BODY_LINE);
			p = nl + 2;
		}
		assert_int_equal(mail_b64_decode(b, (size_t)(be - b), body,
		    blen), 0);
	} else
		assert_int_equal(mail_qp_decode(b, (size_t)(be - b), body,
		    blen), 0);
}

/* What report_notice_mail() renders, rebuilt here from the public API. */
static void
expected_text(const struct report_notice *nt, const struct tmpl_mail *tm,
    int csv, int xarf, char **subject, char **body)
{
	struct tmpl_vars *v;
	struct report_csvset set;
	struct mm_diag d;
	size_t i, bl, nx = 0;
	char fn[64], n[16];

	assert_int_equal(report_notice_vars(IT, NF, nt, &v, &d), 0);
	assert_int_equal(report_csv_build(IT, NF, &set, &d), 0);
	for (i = 0; csv && i < set.n; i++) {
		struct tmpl_vars *r = tmpl_vars_row(v, "attachments");

		report_csv_filename(set.v[i].name, nt->period_end - 1, fn,
		    sizeof(fn));
		tmpl_vars_set(r, "filename", fn);
		tmpl_vars_set(r, "title", set.v[i].type->title);
		snprintf(n, sizeof(n), "%zu", set.v[i].rows);
		tmpl_vars_set(r, "rows", n);
	}
	tmpl_vars_set(v, "csv_attached", csv && set.n > 0 ? "yes" : "");
	report_csvset_free(&set);
	for (i = 0; xarf && i < NF; i++)
		if (report_type_of(IT[i].f, NULL) != NULL)
			nx++;
	snprintf(n, sizeof(n), "%zu", nx);
	tmpl_vars_set(v, "xarf_count", n);
	tmpl_vars_list(v, "xarf");
	if (nx > 0)
		tmpl_vars_set(tmpl_vars_row(v, "xarf"), "count", n);
	assert_int_equal(tmpl_mail_render(tm, v, subject, body, &bl, &d), 0);
	tmpl_vars_free(v);
}

/* Body text with LF made CRLF (the canonical form mail_build sends). */
static char *
crlf(const char *s)
{
	char *o = malloc(strlen(s) * 2 + 1), *q = o;

	for (; *s != '\0'; s++) {
		if (*s == '\n')
			*q++ = '\r';
		*q++ = *s;
	}
	*q = '\0';
	return o;
}

static void
python_check(const char *path, int ncsv, int nxarf)
{
	char cmd[4096];
	int rc;

	if (system("command -v python3 >/dev/null 2>&1") != 0) {
		fprintf(stderr, "python3 not found: email parse check "
		    "skipped\n");
		return;
	}
	snprintf(cmd, sizeof(cmd), "python3 -c '"
	    "import sys, json, email\n"
	    "from email import policy\n"
	    "m = email.message_from_bytes(open(sys.argv[1], \"rb\").read(), "
	    "policy=policy.default)\n"
	    "assert m.get_content_type() == \"multipart/mixed\"\n"
	    "assert m[\"Auto-Submitted\"] == \"auto-generated\"\n"
	    "assert \"mamori lab CSIRT\" in str(m[\"Subject\"])\n"
	    "p = list(m.iter_parts())\n"
	    "assert p[0].get_content_type() == \"text/plain\"\n"
	    "assert \"192.0.2.20\" in p[0].get_content()\n"
	    "c = [x for x in p[1:] if x.get_content_type() == \"text/csv\"]\n"
	    "j = [x for x in p[1:] if x.get_content_type() == "
	    "\"application/json\"]\n"
	    "assert len(c) == int(sys.argv[2]), len(c)\n"
	    "assert len(j) == int(sys.argv[3]), len(j)\n"
	    "assert all(x.get_filename() for x in p[1:])\n"
	    "assert all(x.get_content().startswith(\"timestamp,\") for x in c)\n"
	    "assert all(json.loads(x.get_content())[\"xarf_version\"] "
	    "for x in j)\n"
	    "' '%s' %d %d", path, ncsv, nxarf);
	rc = system(cmd);
	if (rc != 0)
		fail_msg("python3 email parse of %s failed (%d)", path, rc);
}

static void
one_notice(int ja)
{
	struct report_notice nt;
	struct tmpl_mail tm;
	struct mm_diag d;
	char path[1024], *eml, *subj, *esubj, *ebody, *cbody;
	unsigned char *body;
	size_t len, blen;
	int rc;

	fixtures();
	notice(&nt, ja ? &RCPT_JA : &RCPT_EN, ja);
	snprintf(path, sizeof(path), "%s/data/notify/templates/%s.txt",
	    MAMORI_SRCDIR, ja ? "ja" : "en");
	if (tmpl_mail_load(path, &tm, &d) != 0)
		fail_msg("%s", d.msg);
	rc = report_notice_mail(IT, NF, &nt, &tm, mail_addr_valid, NULL,
	    &eml, &len, &d);
	if (rc != 0)
		fail_msg("notice: %s", d.msg);
	check_crlf(eml, len, 998);
	golden(ja ? "notice-ja.eml" : "notice-en.eml", eml, len);

	/* parse back: subject and body decode to the rendered text */
	expected_text(&nt, &tm, 1, ja, &esubj, &ebody);
	eml_parse(eml, &subj, &body, &blen);
	assert_string_equal(subj, esubj);
	cbody = crlf(ebody);
	assert_int_equal(blen, strlen(cbody));
	assert_memory_equal(body, cbody, blen);
	assert_non_null(strstr(ebody, "CVE-2018-13379"));
	assert_non_null(strstr(ebody, "2001:db8:10::5"));
	assert_null(strstr(ebody, "198.51.100.9"));	/* c2 client sample */
	if (ja)
		assert_non_null(strstr(esubj, "【mamori lab CSIRT】"));
	else
		assert_non_null(strstr(esubj, "Example Networks Ltd."));
	free(subj);
	free(body);
	free(cbody);
	free(esubj);
	free(ebody);
	free(eml);
	snprintf(path, sizeof(path), "%s/%s", GOLDEN, ja ? "notice-ja.eml" :
	    "notice-en.eml");
	python_check(path, 7, ja ? 9 : 0);
	tmpl_mail_free(&tm);
}

static void
test_notice_ja(void **state)
{
	(void)state;
	one_notice(1);
}

static void
test_notice_en(void **state)
{
	(void)state;
	one_notice(0);
}

static void
test_notice_xarf_only(void **state)
{
	struct report_notice nt;
	struct tmpl_mail tm;
	struct recipient r;
	struct mm_diag d;
	char path[1024], *eml;
	size_t len;

	(void)state;
	fixtures();
	r = RCPT_EN;
	snprintf(r.format, sizeof(r.format), "xarf");
	notice(&nt, &r, 0);
	snprintf(path, sizeof(path), "%s/data/notify/templates/en.txt",
	    MAMORI_SRCDIR);
	assert_int_equal(tmpl_mail_load(path, &tm, &d), 0);
	assert_int_equal(report_notice_mail(IT, NF, &nt, &tm, NULL, NULL,
	    &eml, &len, &d), 0);
	check_crlf(eml, len, 998);
	assert_null(strstr(eml, "Content-Type: text/csv"));
	assert_non_null(strstr(eml, "Content-Type: application/json\r\n"
	    "Content-Disposition: attachment;\r\n filename=\"xarf-1.json\""));
	free(eml);
	tmpl_mail_free(&tm);
}

static void
test_notice_errors(void **state)
{
	struct report_notice nt;
	struct tmpl_mail tm;
	struct recipient none;
	struct mm_diag d;
	char *eml;
	size_t len;
	static const char tsrc[] = "Subject: {{org}}\n\n{{no_such_var}}\n";

	(void)state;
	fixtures();
	assert_int_equal(tmpl_mail_parse(tsrc, strlen(tsrc), "t", &tm, &d),
	    0);
	notice(&nt, &RCPT_EN, 0);
	/* a template variable that is not set fails the notice */
	assert_int_equal(report_notice_mail(IT, NF, &nt, &tm, NULL, NULL,
	    &eml, &len, &d), MM_ENOENT);
	assert_null(eml);
	assert_non_null(strstr(d.msg, "no_such_var"));
	/* no address, nothing reportable */
	none = RCPT_EN;
	none.email[0] = '\0';
	nt.rcpt = &none;
	assert_int_equal(report_notice_mail(IT, NF, &nt, &tm, NULL, NULL,
	    &eml, &len, &d), MM_EINVAL);
	nt.rcpt = &RCPT_EN;
	assert_int_equal(report_notice_mail(&IT[8], 1, &nt, &tm, NULL, NULL,
	    &eml, &len, &d), MM_EINVAL);
	tmpl_mail_free(&tm);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_types),
		cmocka_unit_test(test_csv),
		cmocka_unit_test(test_xarf),
		cmocka_unit_test(test_xarf_schema),
		cmocka_unit_test(test_notice_ja),
		cmocka_unit_test(test_notice_en),
		cmocka_unit_test(test_notice_xarf_only),
		cmocka_unit_test(test_notice_errors),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
