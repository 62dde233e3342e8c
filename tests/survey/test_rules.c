/*
 * test_rules.c - identification rules: loading the shipped rule set,
 * matching recorded-looking banners and HTTP responses (tests/survey/data),
 * loader errors with file:line, payload safety, PCRE2 limits, hashes.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <cmocka.h>

#include "survey/rules.h"
#include "survey/vulns.h"

#define FP_DIR	MAMORI_SRCDIR "/data/fingerprints"
#define DATA	MAMORI_SRCDIR "/tests/survey/data/"

static char *
slurp(const char *name, size_t *len)
{
	char	 path[1024];
	FILE	*fp;
	char	*buf;
	size_t	 n;

	snprintf(path, sizeof(path), DATA "%s", name);
	fp = fopen(path, "rb");
	assert_non_null(fp);
	buf = malloc(1 << 16);
	assert_non_null(buf);
	n = fread(buf, 1, (1 << 16) - 1, fp);
	buf[n] = '\0';
	fclose(fp);
	*len = n;
	return buf;
}

/* A minimal HTTP response splitter for the samples: status, headers as
 * "header:NAME", body, title. Enough for tests; the scanner has its own. */
struct sample {
	char			*buf;
	struct rules_field	 f[32];
	char			 names[32][64];
	size_t			 n;
	struct rules_obs	 obs;
};

static void
sample_http(struct sample *s, const char *file, const char *probe)
{
	size_t	 len;
	char	*p, *eol, *end, *colon, *t, *te;

	memset(s, 0, sizeof(*s));
	s->buf = slurp(file, &len);
	end = strstr(s->buf, "\r\n\r\n");
	assert_non_null(end);
	p = strchr(s->buf, ' ') + 1;
	s->f[s->n].name = "status";
	s->f[s->n].val = p;
	s->f[s->n].len = (size_t)(strstr(p, "\r\n") - p);
	s->n++;
	for (p = strstr(s->buf, "\r\n") + 2; p < end; p = eol + 2) {
		eol = strstr(p, "\r\n");
		colon = memchr(p, ':', (size_t)(eol - p));
		assert_non_null(colon);
		snprintf(s->names[s->n], sizeof(s->names[0]), "header:%.*s",
		    (int)(colon - p), p);
		s->f[s->n].name = s->names[s->n];
		for (colon++; *colon == ' '; colon++)
			;
		s->f[s->n].val = colon;
		s->f[s->n].len = (size_t)(eol - colon);
		s->n++;
	}
	s->f[s->n].name = "body";
	s->f[s->n].val = end + 4;
	s->f[s->n].len = len - (size_t)(end + 4 - s->buf);
	s->n++;
	if ((t = strstr(end, "<title>")) != NULL &&
	    (te = strstr(t, "</title>")) != NULL) {
		s->f[s->n].name = "title";
		s->f[s->n].val = t + 7;
		s->f[s->n].len = (size_t)(te - t - 7);
		s->n++;
	}
	s->obs.probe = probe;
	s->obs.fields = s->f;
	s->obs.nfields = s->n;
}

static void
sample_banner(struct sample *s, const char *file, const char *field)
{
	size_t	len;

	memset(s, 0, sizeof(*s));
	s->buf = slurp(file, &len);
	s->f[0].name = field;
	s->f[0].val = s->buf;
	s->f[0].len = len;
	s->n = 1;
	s->obs.probe = "banner";
	s->obs.fields = s->f;
	s->obs.nfields = 1;
}

static struct rules *
load_shipped(void)
{
	struct rules	*r;
	struct mm_diag	 d;

	mm_diag_clear(&d);
	assert_int_equal(rules_new(&r), 0);
	if (rules_load_dir(r, FP_DIR, &d) != 0)
		fail_msg("shipped rules: %s", d.msg);
	return r;
}

static void
expect(struct rules *r, struct sample *s, const char *vendor,
    const char *product, const char *version, const char *cpe)
{
	struct rules_ident	id;

	assert_int_equal(rules_match(r, &s->obs, &id), 1);
	if (vendor != NULL)
		assert_string_equal(id.vendor, vendor);
	assert_string_equal(id.product, product);
	if (version != NULL)
		assert_string_equal(id.version, version);
	if (cpe != NULL)
		assert_string_equal(id.cpe, cpe);
	free(s->buf);
}

static void
test_shipped_load(void **state)
{
	struct rules	*r = load_shipped();

	(void)state;
	assert_true(rules_count(r) >= 35);
	assert_true(rules_probe_count(r) >= 10);
	rules_free(r);
}

static void
test_match_ssh_telnet(void **state)
{
	struct rules	*r = load_shipped();
	struct sample	 s;

	(void)state;
	sample_banner(&s, "banner-openssh.txt", "banner");
	expect(r, &s, "OpenBSD", "OpenSSH", "7.2p2",
	    "cpe:2.3:a:openbsd:openssh:7.2p2:*:*:*:*:*:*:*");
	sample_banner(&s, "banner-openssh.txt", "ssh.banner");
	expect(r, &s, "OpenBSD", "OpenSSH", "7.2p2", NULL);
	sample_banner(&s, "banner-dropbear.txt", "banner");
	expect(r, &s, NULL, "Dropbear sshd", "2019.78",
	    "cpe:2.3:a:dropbear_ssh_project:dropbear_ssh:2019.78:*:*:*:*:*:*:*");
	/* BusyBox (priority 40) beats the bare "(none) login:" (20). */
	sample_banner(&s, "banner-busybox.txt", "banner");
	expect(r, &s, "BusyBox", "BusyBox", "1.19.4",
	    "cpe:2.3:a:busybox:busybox:1.19.4:*:*:*:*:*:*:*");
	sample_banner(&s, "banner-mikrotik-ftp.txt", "banner");
	expect(r, &s, "MikroTik", "RouterOS", "6.42.1",
	    "cpe:2.3:o:mikrotik:routeros:6.42.1:*:*:*:*:*:*:*");
	sample_banner(&s, "banner-none-login.txt", "banner");
	expect(r, &s, "", "Linux telnetd", "", "");
	sample_banner(&s, "banner-none-login.txt", "telnet.prompt");
	expect(r, &s, "", "Linux telnetd", "", "");
	rules_free(r);
}

static void
test_match_http_iot(void **state)
{
	struct rules	*r = load_shipped();
	struct sample	 s;

	(void)state;
	/* Realm naming the model (60) beats the Server header (30). */
	sample_http(&s, "http-tplink.txt", "http-root");
	expect(r, &s, "TP-Link", "Wireless N Router WR841N", "", "");
	sample_http(&s, "http-lighttpd.txt", "http-root");
	expect(r, &s, "lighttpd", "lighttpd", "1.4.59",
	    "cpe:2.3:a:lighttpd:lighttpd:1.4.59:*:*:*:*:*:*:*");
	sample_http(&s, "http-boa.txt", "http-root");
	expect(r, &s, "Boa", "Boa httpd", "0.94.14rc21",
	    "cpe:2.3:a:boa:boa:0.94.14rc21:*:*:*:*:*:*:*");
	/* No version shown: CPE version becomes ANY. */
	sample_http(&s, "http-goahead.txt", "http-root");
	expect(r, &s, "Embedthis", "GoAhead", "",
	    "cpe:2.3:a:embedthis:goahead:*:*:*:*:*:*:*:*");
	sample_http(&s, "http-hikvision.txt", "http-root");
	expect(r, &s, "Hikvision", "IP camera/NVR web", "", "");
	sample_http(&s, "http-xiongmai.txt", "http-root");
	expect(r, &s, "XiongMai", "DVR/NVR web (uc-httpd)", "1.0.0", NULL);
	sample_http(&s, "http-mikrotik.txt", "http-root");
	expect(r, &s, "MikroTik", "RouterOS", "6.42.1",
	    "cpe:2.3:o:mikrotik:routeros:6.42.1:*:*:*:*:*:*:*");
	rules_free(r);
}

static void
test_match_vpn(void **state)
{
	struct rules	*r = load_shipped();
	struct sample	 s;

	(void)state;
	sample_http(&s, "https-fortinet-login.txt", "https-fortinet-login");
	expect(r, &s, "Fortinet", "FortiGate SSL-VPN", "", NULL);
	/* The same page seen by another probe still matches via the cookie. */
	sample_http(&s, "https-fortinet-login.txt", "https-root");
	expect(r, &s, "Fortinet", "FortiGate SSL-VPN", "", NULL);
	sample_http(&s, "https-pulse-version.txt", "https-pulse-version");
	expect(r, &s, "Pulse Secure", "Pulse Connect Secure", "9.0R3",
	    "cpe:2.3:a:pulsesecure:pulse_connect_secure:9.0R3:*:*:*:*:*:*:*");
	sample_http(&s, "https-pulse-welcome.txt", "https-pulse-welcome");
	expect(r, &s, NULL, "Connect Secure", "", NULL);
	sample_http(&s, "https-citrix.txt", "https-citrix-vpn");
	expect(r, &s, "Citrix", "NetScaler ADC/Gateway", "", NULL);
	sample_http(&s, "https-globalprotect.txt", "https-globalprotect");
	expect(r, &s, "Palo Alto Networks", "GlobalProtect (PAN-OS)", "",
	    NULL);
	sample_banner(&s, "banner-openssh.txt", "cert.subject");
	s.f[0].val = "C=US, ST=California, L=Sunnyvale, O=Fortinet, "
	    "OU=FortiGate, CN=FGT60E4Q16000530, emailAddress=support@fortinet.com";
	s.f[0].len = strlen(s.f[0].val);
	s.obs.probe = "https-root";
	expect(r, &s, "Fortinet", "FortiGate", "", NULL);
	sample_http(&s, "https-sonicwall.txt", "https-sonicwall");
	expect(r, &s, "SonicWall", "SMA 100 SSL-VPN", "", NULL);
	rules_free(r);
}

/* An observation built in place: body and one optional header. */
static void
sample_page(struct sample *s, const char *probe, const char *hname,
    const char *hval, const char *body)
{
	memset(s, 0, sizeof(*s));
	s->f[s->n].name = "status";
	s->f[s->n].val = "200 OK";
	s->f[s->n].len = 6;
	s->n++;
	if (hname != NULL) {
		s->f[s->n].name = hname;
		s->f[s->n].val = hval;
		s->f[s->n].len = strlen(hval);
		s->n++;
	}
	s->f[s->n].name = "body";
	s->f[s->n].val = body;
	s->f[s->n].len = strlen(body);
	s->n++;
	s->obs.probe = probe;
	s->obs.fields = s->f;
	s->obs.nfields = s->n;
}

/*
 * Version leaks of data/fingerprints/30-vpn.rules: the SMA 100 welcome
 * page's asset names (jbaines-r7/badblood's 10.2.1.2-24sv lines, the 9.x
 * stylesheet name, the jquery name alone), FortiOS 7.x build hashes on
 * the SSL-VPN login page only, and the FortiGate ETag time, which the
 * shipped rules do not turn into a version.
 */
static void
test_version_leaks(void **state)
{
	struct rules	*r = load_shipped();
	struct sample	 s;

	(void)state;
	sample_page(&s, "https-sonicwall", "header:Server",
	    "SonicWALL SSL-VPN Web Server",
	    "<html><head>\n"
	    "<link href='/swl_login.10.2.1.2-24sv.css' type='text/css' "
	    "rel='stylesheet'>\n"
	    "<link href='/swl_header.10.2.1.2-24sv.css' type='text/css' "
	    "rel='stylesheet'>\n"
	    "<script src=\"/js/jquery.10.2.1.2-24sv.js\" "
	    "type=\"text/javascript\" charset=\"utf-8\"></script>\n");
	expect(r, &s, "SonicWall", "SMA 100 SSL-VPN", "10.2.1.2-24sv",
	    "cpe:2.3:o:sonicwall:sma_100_firmware:10.2.1.2-24sv:*:*:*:*:*:*:*");
	sample_page(&s, "https-root", NULL, NULL,
	    "<link href=\"/swl_styles.9.0.0.10-28sv.css\" rel=stylesheet>");
	expect(r, &s, "SonicWall", "SMA 100 SSL-VPN", "9.0.0.10-28sv", NULL);
	sample_page(&s, "https-sonicwall", NULL, NULL,
	    "<script src=\"/js/jquery.8.1.0.2-14sv.js\"></script>");
	expect(r, &s, "SonicWall", "SMA 100 SSL-VPN", "8.1.0.2-14sv", NULL);

	sample_page(&s, "https-fortinet-login", "header:Server",
	    "xxxxxxxx-xxxxx", "<html><head><link href=\"/df91004ba8e5e244e7"
	    "af97a888494774/css/login.css\"><script src=\"/remote/fgt_lang?"
	    "lang=en\"></script></head></html>");
	expect(r, &s, "Fortinet", "FortiGate SSL-VPN", "7.2.2",
	    "cpe:2.3:o:fortinet:fortios:7.2.2:*:*:*:*:*:*:*");
	sample_page(&s, "https-fortinet-login", NULL, NULL,
	    "<script src=\"/97a9a8eadad35e7c450cd9aae0848ee7/js/a.js\">");
	expect(r, &s, "Fortinet", "FortiGate SSL-VPN", "7.2.3", NULL);
	sample_page(&s, "https-fortinet-login", NULL, NULL,
	    "<script src=\"/4885e9396f0d5f343a31e82c0bc37c91/js/a.js\">"
	    "/remote/fgt_lang");
	expect(r, &s, "Fortinet", "FortiGate SSL-VPN", "7.2.1", NULL);
	sample_page(&s, "https-fortinet-login", NULL, NULL,
	    "<script src=\"/b911aeb68426644df64811a094b12f98/js/a.js\">");
	expect(r, &s, "Fortinet", "FortiGate SSL-VPN", "7.0.6", NULL);
	/* part of a longer hex string: no version */
	sample_page(&s, "https-fortinet-login", NULL, NULL,
	    "/remote/fgt_lang 097a9a8eadad35e7c450cd9aae0848ee7");
	expect(r, &s, "Fortinet", "FortiGate SSL-VPN", "", NULL);
	/* the ETag's build time names no version in the shipped rules */
	sample_page(&s, "https-fortinet-login", "header:ETag",
	    "\"1c2-5c52ff60\"", "<script src=\"/remote/fgt_lang?lang=en\">");
	expect(r, &s, "Fortinet", "FortiGate SSL-VPN", "",
	    "cpe:2.3:o:fortinet:fortios:*:*:*:*:*:*:*:*");
	rules_free(r);
}

/* data/lab/fortigate-etag.rules loads after the shipped rules (it names
 * their probe) and turns the lab's stand-in ETag times into versions. */
static void
test_lab_buildtable(void **state)
{
	struct rules	*r = load_shipped();
	struct sample	 s;
	struct mm_diag	 d;

	(void)state;
	mm_diag_clear(&d);
	if (rules_load_file(r, MAMORI_SRCDIR "/data/lab/fortigate-etag.rules",
	    &d) != 0)
		fail_msg("lab build table: %s", d.msg);
	sample_page(&s, "https-fortinet-login", "header:ETag",
	    "\"1c2-5c52ff60\"", "<script src=\"/remote/fgt_lang?lang=en\">");
	expect(r, &s, "Fortinet", "FortiGate SSL-VPN", "6.0.4",
	    "cpe:2.3:o:fortinet:fortios:6.0.4:*:*:*:*:*:*:*");
	sample_page(&s, "https-fortinet-login", "header:ETag",
	    "\"1c2-5c52ff61\"", "<script src=\"/remote/fgt_lang?lang=en\">");
	expect(r, &s, "Fortinet", "FortiGate SSL-VPN", "", NULL);
	rules_free(r);
	/* alone it cannot load: its probe is defined in data/fingerprints */
	assert_int_equal(rules_new(&r), 0);
	assert_true(rules_load_file(r, MAMORI_SRCDIR
	    "/data/lab/fortigate-etag.rules", &d) != 0);
	rules_free(r);
}

static void
test_identify_then_vulns(void **state)
{
	struct rules		*r = load_shipped();
	struct vulns		*v;
	struct vulns_hit	 h[8];
	struct rules_ident	 id;
	struct sample		 s;
	struct mm_diag		 d;
	int			 n;

	(void)state;
	assert_int_equal(vulns_load(&v, MAMORI_SRCDIR "/data/vulns", &d), 0);
	sample_http(&s, "https-pulse-version.txt", "https-pulse-version");
	assert_int_equal(rules_match(r, &s.obs, &id), 1);
	n = vulns_match(v, id.cpe, NULL, h, 8);
	assert_true(n >= 1);
	assert_string_equal(h[0].cve, "CVE-2019-11510");
	assert_int_equal(h[0].kev, 1);
	free(s.buf);
	sample_http(&s, "http-boa.txt", "http-root");
	assert_int_equal(rules_match(r, &s.obs, &id), 1);
	assert_int_equal(vulns_match(v, id.cpe, NULL, h, 8), 1);
	assert_string_equal(h[0].cve, "CVE-2017-9833");
	free(s.buf);
	vulns_free(v);
	rules_free(r);
}

static void
test_probes(void **state)
{
	struct rules			*r = load_shipped();
	const struct rules_probe	*p[32];
	char				 buf[2048];
	size_t				 n, i, len;
	int				 forti = 0;

	(void)state;
	n = rules_probes(r, RULES_TCP, 22, p, 32);
	assert_int_equal(n, 1);
	assert_string_equal(p[0]->name, "banner");
	assert_int_equal(p[0]->banner, 1);
	n = rules_probes(r, RULES_TLS, 10443, p, 32);
	for (i = 0; i < n && i < 32; i++)
		if (strcmp(p[i]->name, "https-fortinet-login") == 0)
			forti = 1;
	assert_true(forti);
	assert_int_equal(rules_probes(r, RULES_TCP, 1, p, 32), 0);
	/* Counting without an output array. */
	assert_int_equal(rules_probes(r, RULES_TLS, 443, NULL, 0),
	    rules_probes(r, RULES_TLS, 443, p, 32));
	p[0] = rules_probe_find(r, "https-pulse-welcome");
	assert_non_null(p[0]);
	assert_string_equal(p[0]->path, "/dana-na/auth/url_default/welcome.cgi");
	assert_int_equal(rules_probe_render(p[0], "203.0.113.9",
	    "mamori-survey (contact: noc@example.net)", buf, sizeof(buf),
	    &len), 0);
	assert_int_equal(len, strlen(buf));
	assert_non_null(strstr(buf, "GET /dana-na/auth/url_default/welcome.cgi "
	    "HTTP/1.1\r\nHost: 203.0.113.9\r\nUser-Agent: mamori-survey "
	    "(contact: noc@example.net)\r\n"));
	/* Header injection through host or UA is refused. */
	assert_int_equal(rules_probe_render(p[0], "a\r\nX: y", "ua", buf,
	    sizeof(buf), &len), MM_EINVAL);
	assert_int_equal(rules_probe_render(p[0], "h", "u\n", buf,
	    sizeof(buf), &len), MM_EINVAL);
	assert_int_equal(rules_probe_render(p[0], "h", "u", buf, 16, &len),
	    MM_ELIMIT);
	rules_free(r);
}

/* Loads `text` expecting failure; checks the message starts with `pre`. */
static void
expect_load_error(const char *text, int err, const char *pre)
{
	struct rules	*r;
	struct mm_diag	 d;
	int		 rc;

	mm_diag_clear(&d);
	assert_int_equal(rules_new(&r), 0);
	rc = rules_load_buf(r, "t.rules", text, strlen(text), &d);
	if (rc != err || strncmp(d.msg, pre, strlen(pre)) != 0)
		fail_msg("rc %d (want %d), msg \"%s\" (want prefix \"%s\")",
		    rc, err, d.msg, pre);
	assert_int_equal(rules_count(r), 0);
	assert_int_equal(rules_probe_count(r), 0);
	rules_free(r);
}

#define P0 "probe p\nproto tcp\nports 80\n"

static void
test_load_errors(void **state)
{
	struct rules	*r;
	struct mm_diag	 d;

	(void)state;
	expect_load_error(P0 "send banner\nmatch m\nif body /a(/\n"
	    "product X\n", MM_ESYNTAX, "t.rules:6: body: regex error");
	expect_load_error("match m\nif bodyx /a/\nproduct X\n", MM_ESYNTAX,
	    "t.rules:2: if: unknown field");
	expect_load_error("match m\nif body /a/q\nproduct X\n", MM_ESYNTAX,
	    "t.rules:2: body: unknown flag");
	expect_load_error("match m\nif body /(a)/\nversion $2\nproduct X\n",
	    MM_ESYNTAX, "t.rules:1: version: $2 but the rule has 1");
	expect_load_error("match m\nif body /a/\n", MM_ESYNTAX,
	    "t.rules:1: product:");
	expect_load_error("match m\nfrom nope\n", MM_ENOENT,
	    "t.rules:2: from: no probe");
	expect_load_error("vendor X\n", MM_ESYNTAX, "t.rules:1: vendor:");
	expect_load_error(P0 "send banner\nprobe p\nports 1\nsend banner\n",
	    MM_ESYNTAX, "t.rules:5: probe: duplicate");
	expect_load_error(P0 "send banner\nbogus 1\n", MM_ESYNTAX,
	    "t.rules:5: bogus: unknown keyword in probe");
	expect_load_error("probe p\nproto udp\n", MM_ESYNTAX,
	    "t.rules:2: proto:");
	expect_load_error("probe p\nports 0\n", MM_ESYNTAX,
	    "t.rules:2: ports:");
	expect_load_error("probe p\nports 80-70\n", MM_ESYNTAX,
	    "t.rules:2: ports:");
	expect_load_error("probe p\nproto tcp\n", MM_ESYNTAX,
	    "t.rules:1: send: probe \"p\" has no send");
	expect_load_error("match m\nif favicon 99999999999\nproduct X\n",
	    MM_ESYNTAX, "t.rules:2: if favicon:");
	expect_load_error("match m\nif gzip-mtime /a/../b 1-2\nproduct X\n",
	    MM_EINVAL, "t.rules:2: if gzip-mtime:");
	expect_load_error("match m\nif body /a/\nproduct X\ncpe cpe:2.2:x\n",
	    MM_ESYNTAX, "t.rules:1: cpe:");
	/* A file on disk: the message names the path and line. */
	assert_int_equal(rules_new(&r), 0);
	assert_int_equal(rules_load_file(r, DATA "bad-regex.rules", &d),
	    MM_ESYNTAX);
	assert_non_null(strstr(d.msg, "bad-regex.rules:7: body: regex error"));
	assert_int_equal(rules_load_file(r, DATA "no-such.rules", &d),
	    MM_EIO);
	rules_free(r);
}

static void
test_limits(void **state)
{
	char		*big;
	size_t		 i;

	(void)state;
	/* Pattern longer than RULES_MAX_PATTERN. */
	big = malloc(RULES_MAX_PATTERN + 64);
	assert_non_null(big);
	strcpy(big, "match m\nif body /");
	for (i = strlen(big); i < RULES_MAX_PATTERN + 20; i++)
		big[i] = 'a';
	strcpy(big + i, "/\nproduct X\n");
	expect_load_error(big, MM_ELIMIT, "t.rules:2: body: regex longer");
	free(big);
	/* More than RULES_MAX_CAPS groups. */
	expect_load_error("match m\nif body /(a)(b)(c)(d)(e)/\n"
	    "if title /(a)(b)(c)(d)(e)/\nproduct X\n", MM_ELIMIT,
	    "t.rules:3: title: more than 9");
	expect_load_error("match m\nif body /a/\nif body /a/\nif body /a/\n"
	    "if body /a/\nif body /a/\nif body /a/\nif body /a/\nif body /a/\n"
	    "if body /a/\nproduct X\n", MM_ELIMIT, "t.rules:10: if: more");
}

static void
test_payload_safety(void **state)
{
	static const char *const bad[] = {
		"GET /../etc/passwd HTTP/1.1\r\n\r\n",
		"GET /a/..%2f..%2fetc/passwd HTTP/1.1\r\n\r\n",
		"GET /%2e%2e/%2E%2E/etc HTTP/1.1\r\n\r\n",
		"GET /remote/fgt_lang?lang=/../../../..//////////dev/ HTTP/1.1\r\n\r\n",
		"GET /a%252e%252e/ HTTP/1.1\r\n\r\n",
		"GET /a\\..\\b HTTP/1.1\r\n\r\n",
		"GET /a/./b HTTP/1.1\r\n\r\n",
		"GET /%c0%ae%c0%ae/ HTTP/1.1\r\n\r\n",
		"GET /a%00.html HTTP/1.1\r\n\r\n",
		"POST /login HTTP/1.1\r\nContent-Length: 3\r\n\r\nabc",
		"GET / HTTP/1.1\r\nContent-Length: 3\r\n\r\n",
		"GET / HTTP/1.1\r\n\r\nGET /x HTTP/1.1\r\n\r\n",
		"GET http://evil/ HTTP/1.1\r\n\r\n",
		"GET //evil/x HTTP/1.1\r\n\r\n",
		"GET / HTTP/1.1\r\nX: {cmd}\r\n\r\n",
		"GET / HTTP/1.1\nHost: x\n\n",
		"GET /?q=%u002e HTTP/1.1\r\n\r\n",
		"OPTIONS / HTTP/1.1\r\n\r\n",
		"GET / HTTP/1.1\r\n",
		"",
	};
	static const char *const good[] = {
		"GET / HTTP/1.1\r\nHost: {host}\r\nUser-Agent: {ua}\r\n\r\n",
		"HEAD /vpn/index.html HTTP/1.0\r\n\r\n",
		"GET /remote/login?lang=en HTTP/1.1\r\nHost: {host}\r\n\r\n",
	};
	struct mm_diag	d;
	size_t		i;
	char		rule[512];

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (rules_payload_check(bad[i], strlen(bad[i]), &d) != MM_EINVAL)
			fail_msg("accepted unsafe payload %zu: %s", i, bad[i]);
	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		if (rules_payload_check(good[i], strlen(good[i]), &d) != 0)
			fail_msg("rejected payload %zu: %s", i, d.msg);
	/* Through the loader, with escapes: rejected with file:line. */
	snprintf(rule, sizeof(rule), "probe p\nports 443\nproto tls\n"
	    "send \"GET /remote/fgt_lang?lang=/..\\x2f..\\x2fdev HTTP/1.1"
	    "\\r\\n\\r\\n\"\n");
	expect_load_error(rule, MM_EINVAL, "t.rules:4: send: unsafe payload");
	expect_load_error("probe p\nports 80\nsend \"GET /%2E%2e/ HTTP/1.1"
	    "\\r\\n\\r\\n\"\n", MM_EINVAL, "t.rules:3: send: unsafe");
	expect_load_error("probe p\nports 80\nsend \"GET /\\x00 HTTP/1.1"
	    "\\r\\n\\r\\n\"\n", MM_EINVAL, "t.rules:3: send: NUL");
}

static void
test_pcre_limits(void **state)
{
	static const char text[] = "match evil\nif banner /^(a+)+$/\n"
	    "product Evil\nmatch fine\nif banner /^aaa/\nproduct Fine\n";
	struct rules		*r;
	struct rules_ident	 id;
	struct rules_field	 f;
	struct rules_obs	 obs;
	struct mm_diag		 d;
	char			*ban;
	size_t			 n = 30000;

	(void)state;
	assert_int_equal(rules_new(&r), 0);
	assert_int_equal(rules_load_buf(r, "t", text, strlen(text), &d), 0);
	ban = malloc(n + 2);
	assert_non_null(ban);
	memset(ban, 'a', n);
	ban[n] = 'b';		/* forces exponential backtracking */
	ban[n + 1] = '\0';
	memset(&obs, 0, sizeof(obs));
	f.name = "banner";
	f.val = ban;
	f.len = n + 1;
	obs.fields = &f;
	obs.nfields = 1;
	/* The evil rule hits a limit and does not match; the fine one does. */
	assert_int_equal(rules_match(r, &obs, &id), 1);
	assert_string_equal(id.product, "Fine");
	assert_true(id.limit_hits >= 1);
	/* A subject longer than RULES_SUBJECT_MAX is cut, not rejected. */
	free(ban);
	ban = malloc(RULES_SUBJECT_MAX * 2);
	assert_non_null(ban);
	memset(ban, 'a', RULES_SUBJECT_MAX * 2);
	f.val = ban;
	f.len = RULES_SUBJECT_MAX * 2;
	assert_int_equal(rules_match(r, &obs, &id), 1);
	free(ban);
	rules_free(r);
}

static void
test_priority_and_from(void **state)
{
	static const char text[] =
	    "probe a\nports 80\nsend banner\nprobe b\nports 80\nsend banner\n"
	    "match low\nif banner /x/\nproduct Low\n"
	    "match two\nif banner /x/\nif banner /y/\nproduct Two\n"
	    "match high\npriority 10\nfrom b\nif banner /x(\\d)?/\n"
	    "product High\nversion v$1\ncpe cpe:2.3:a:v:p:$1:*:*:*:*:*:*:*\n";
	struct rules		*r;
	struct rules_ident	 id;
	struct rules_field	 f = { "BANNER", "xy", 2 };
	struct rules_obs	 obs;
	struct mm_diag		 d;

	(void)state;
	assert_int_equal(rules_new(&r), 0);
	assert_int_equal(rules_load_buf(r, "t", text, strlen(text), &d), 0);
	memset(&obs, 0, sizeof(obs));
	obs.fields = &f;
	obs.nfields = 1;
	obs.probe = "a";
	assert_int_equal(rules_match(r, &obs, &id), 1);
	assert_string_equal(id.product, "Two");	/* more conditions */
	obs.probe = "b";
	assert_int_equal(rules_match(r, &obs, &id), 1);
	assert_string_equal(id.product, "High");
	assert_string_equal(id.version, "v");		/* unset group */
	assert_string_equal(id.cpe, "cpe:2.3:a:v:p:*:*:*:*:*:*:*:*");
	assert_string_equal(id.rule, "high");
	assert_int_equal(id.line, 14);
	f.val = "x7y";
	f.len = 3;
	assert_int_equal(rules_match(r, &obs, &id), 1);
	assert_string_equal(id.version, "v7");
	f.val = "zzz";
	assert_int_equal(rules_match(r, &obs, &id), 0);
	assert_string_equal(id.product, "");
	rules_free(r);
}

static void
test_favicon_gzip(void **state)
{
	static const char text[] =
	    "match fav\nif favicon -868969266\nproduct Fav\n"
	    "match gz\nif gzip-mtime /static/app.js 1546300800-1561939199\n"
	    "product Gz\nversion 6.0.x\n";
	uint8_t			 ico[770], gz[10] = {
		0x1f, 0x8b, 0x08, 0x00, 0x00, 0x5c, 0x2b, 0x5c, 0x00, 0x03 };
	struct rules		*r;
	struct rules_ident	 id;
	struct rules_obs	 obs;
	struct mm_diag		 d;
	uint32_t		 mt;
	size_t			 i;

	(void)state;
	/* Reference values from an independent Python MurmurHash3 that
	 * reproduces the published vector below, over base64.encodebytes. */
	assert_int_equal(rules_murmur3_32("The quick brown fox jumps over "
	    "the lazy dog", 43, 0), 0x2e4ff723u);
	assert_int_equal(rules_murmur3_32("", 0, 0), 0);
	assert_int_equal(rules_favicon_hash("abc", 3), -868969266);
	for (i = 0; i < 768; i++)
		ico[i] = (uint8_t)i;
	ico[768] = 'x';
	ico[769] = 'y';
	assert_int_equal(rules_favicon_hash(ico, sizeof(ico)), 1260649233);
	/* gzip MTIME (RFC 1952): little-endian seconds at offset 4. */
	assert_int_equal(rules_gzip_mtime(gz, sizeof(gz), &mt), 0);
	assert_int_equal(mt, 0x5c2b5c00u);
	assert_int_equal(rules_gzip_mtime(gz, 6, &mt), MM_ETRUNC);
	gz[2] = 7;
	assert_int_equal(rules_gzip_mtime(gz, sizeof(gz), &mt), MM_EFORMAT);

	assert_int_equal(rules_new(&r), 0);
	assert_int_equal(rules_load_buf(r, "t", text, strlen(text), &d), 0);
	memset(&obs, 0, sizeof(obs));
	obs.have_favicon = 1;
	obs.favicon = rules_favicon_hash("abc", 3);
	assert_int_equal(rules_match(r, &obs, &id), 1);
	assert_string_equal(id.product, "Fav");
	memset(&obs, 0, sizeof(obs));
	obs.have_gzip = 1;
	obs.gzip_path = "/static/app.js";
	obs.gzip_mtime = mt;
	assert_int_equal(rules_match(r, &obs, &id), 1);
	assert_string_equal(id.version, "6.0.x");
	obs.gzip_mtime = 1561939200;		/* one second past the range */
	assert_int_equal(rules_match(r, &obs, &id), 0);
	obs.gzip_mtime = 1546300800;		/* inclusive start */
	assert_int_equal(rules_match(r, &obs, &id), 1);
	obs.gzip_path = "/static/other.js";
	assert_int_equal(rules_match(r, &obs, &id), 0);
	rules_free(r);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_shipped_load),
		cmocka_unit_test(test_match_ssh_telnet),
		cmocka_unit_test(test_match_http_iot),
		cmocka_unit_test(test_match_vpn),
		cmocka_unit_test(test_version_leaks),
		cmocka_unit_test(test_lab_buildtable),
		cmocka_unit_test(test_identify_then_vulns),
		cmocka_unit_test(test_probes),
		cmocka_unit_test(test_load_errors),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_payload_safety),
		cmocka_unit_test(test_pcre_limits),
		cmocka_unit_test(test_priority_and_from),
		cmocka_unit_test(test_favicon_gzip),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
