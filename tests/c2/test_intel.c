/*
 * test_intel.c - the intel store and its parsers: every feed format (sample
 * files under tests/c2/data/intel, documentation addresses only: RFC 5737,
 * RFC 3849), prefixes against exact hosts, ports, expiry, allowlists by
 * address, prefix and AS, hostile inputs, caps, concurrent lookups and the
 * shipped data/c2 defaults.
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/addr.h"
#include "core/err.h"
#include "core/mtime.h"
#include "c2/intel.h"

#define DATA	MAMORI_SRCDIR "/tests/c2/data/intel/"

/* 2024-06-01T00:00:00Z */
#define NOW_MS	1717200000000LL

static struct intel *
mk(void)
{
	struct intel_opts o;
	struct intel *in;

	memset(&o, 0, sizeof(o));
	o.now_ms = NOW_MS;
	in = intel_new(&o);
	assert_non_null(in);
	return in;
}

static struct mm_addr
A(const char *s)
{
	struct mm_addr a;

	assert_int_equal(addr_parse(s, &a), 0);
	return a;
}

static int
look(const struct intel *in, const char *s, uint16_t port,
    struct intel_hit *h)
{
	struct mm_addr a = A(s);

	memset(h, 0, sizeof(*h));
	return intel_lookup(in, &a, port, h);
}

static void
load_ok(struct intel *in, const char *path, enum intel_format fmt,
    struct intel_load_stats *st)
{
	struct mm_diag d;
	int rc;

	memset(&d, 0, sizeof(d));
	rc = intel_load(in, path, fmt, st, &d);
	if (rc != 0)
		fail_msg("%s: %s", path, d.msg);
}

static void
test_csv_simple(void **state)
{
	struct intel_load_stats st;
	struct intel_hit h;
	struct intel *in = mk();

	(void)state;
	load_ok(in, DATA "simple.csv", INTEL_FMT_AUTO, &st);
	assert_int_equal(st.format, INTEL_FMT_CSV);
	assert_int_equal(st.records, 14);
	assert_int_equal(st.loaded, 8);
	assert_int_equal(st.malformed, 4);
	assert_int_equal(st.expired, 1);
	assert_int_equal(st.duplicates, 1);
	assert_true(strstr(st.first_error, "line 11") != NULL);
	assert_int_equal(intel_feed_count(in), 8);

	/* exact host with port; the duplicate raised the confidence */
	assert_int_equal(look(in, "192.0.2.10", 443, &h), 1);
	assert_string_equal(h.tag, "Emotet");
	assert_string_equal(h.source, "simple");
	assert_int_equal(h.confidence, 95);
	assert_int_equal(h.port, 443);
	assert_int_equal(h.port_match, 1);
	assert_int_equal(h.prefix.len, 128);
	assert_int_equal(h.nmatch, 1);
	/* same address, another port: still a match, port_match 0 */
	assert_int_equal(look(in, "192.0.2.10", 80, &h), 1);
	assert_int_equal(h.port_match, 0);
	/* default confidence, no port */
	assert_int_equal(look(in, "192.0.2.11", 80, &h), 1);
	assert_string_equal(h.tag, "QakBot");
	assert_int_equal(h.confidence, 50);
	assert_int_equal(h.port_match, 1);
	/* prefix */
	assert_int_equal(look(in, "198.51.100.77", 0, &h), 1);
	assert_string_equal(h.tag, "bulletproof");
	assert_int_equal(h.prefix.len, 96 + 24);
	assert_int_equal(h.confidence, 40);
	/* addr:port form and a 0..1 confidence */
	assert_int_equal(look(in, "203.0.113.7", 8443, &h), 1);
	assert_int_equal(h.port, 8443);
	assert_int_equal(h.confidence, 80);
	assert_int_equal(look(in, "2001:db8::7", 993, &h), 1);
	assert_string_equal(h.tag, "IcedID");
	assert_int_equal(h.port, 993);
	assert_int_equal(look(in, "2001:db8:bad:1::5", 0, &h), 1);
	assert_int_equal(h.prefix.len, 48);
	/* expiry */
	assert_int_equal(look(in, "192.0.2.12", 0, &h), 0);
	assert_int_equal(look(in, "192.0.2.13", 0, &h), 1);
	assert_true(h.valid_until_ms > NOW_MS);
	/* quoting */
	assert_int_equal(look(in, "192.0.2.16", 0, &h), 1);
	assert_string_equal(h.tag, "quoted, tag");
	/* misses */
	assert_int_equal(look(in, "192.0.2.99", 0, &h), 0);
	assert_int_equal(look(in, "2001:db8::8", 0, &h), 0);
	intel_free(in);
}

static void
test_csv_positional(void **state)
{
	struct intel_load_stats st;
	struct intel_hit h;
	struct intel *in = mk();

	(void)state;
	load_ok(in, DATA "positional.txt", INTEL_FMT_AUTO, &st);
	assert_int_equal(st.records, 5);
	assert_int_equal(st.loaded, 5);
	assert_int_equal(st.malformed, 0);
	assert_int_equal(look(in, "192.0.2.20", 0, &h), 1);
	assert_string_equal(h.tag, "unknown");
	assert_string_equal(h.source, "positional");
	assert_int_equal(look(in, "192.0.2.21", 8080, &h), 1);
	assert_int_equal(h.port, 8080);
	assert_int_equal(look(in, "192.0.2.23", 0, &h), 1);
	assert_string_equal(h.tag, "Dridex");
	assert_int_equal(h.confidence, 75);
	assert_int_equal(look(in, "2001:db8::23", 0, &h), 1);
	/* a list starting with a bracketed IPv6 address is not JSON */
	assert_int_equal(intel_load_mem(in, "v6list", "[2001:db8::24]:443\n",
	    19, INTEL_FMT_AUTO, &st, NULL), 0);
	assert_int_equal(st.format, INTEL_FMT_CSV);
	assert_int_equal(st.loaded, 1);
	assert_int_equal(look(in, "2001:db8::24", 443, &h), 1);
	assert_int_equal(h.port, 443);
	intel_free(in);
}

static void
test_csv_feodo(void **state)
{
	struct intel_load_stats st;
	struct intel_hit h;
	struct intel *in = mk();

	(void)state;
	load_ok(in, DATA "feodo.csv", INTEL_FMT_AUTO, &st);
	assert_int_equal(st.format, INTEL_FMT_CSV);
	assert_int_equal(st.records, 3);
	assert_int_equal(st.loaded, 3);
	assert_int_equal(st.malformed, 0);
	assert_int_equal(look(in, "192.0.2.30", 443, &h), 1);
	assert_string_equal(h.tag, "QakBot");
	assert_int_equal(h.port, 443);
	assert_string_equal(h.source, "feodo");
	assert_int_equal(look(in, "198.51.100.32", 2222, &h), 1);
	assert_string_equal(h.tag, "Pikabot");
	assert_int_equal(h.port_match, 1);
	intel_free(in);
}

static void
test_misp_csv(void **state)
{
	struct intel_load_stats st;
	struct intel_hit h;
	struct intel *in = mk();

	(void)state;
	load_ok(in, DATA "misp.csv", INTEL_FMT_AUTO, &st);
	assert_int_equal(st.format, INTEL_FMT_MISP_CSV);
	assert_int_equal(st.records, 7);
	assert_int_equal(st.loaded, 4);
	assert_int_equal(st.not_ids, 1);
	assert_int_equal(st.unsupported, 1);
	assert_int_equal(st.malformed, 1);
	assert_int_equal(look(in, "192.0.2.40", 0, &h), 1);
	assert_string_equal(h.tag, "C2 server");
	assert_int_equal(look(in, "192.0.2.41", 4444, &h), 1);
	assert_int_equal(h.port, 4444);
	assert_int_equal(look(in, "192.0.2.42", 0, &h), 1);
	assert_string_equal(h.tag, "Network activity");
	assert_int_equal(look(in, "192.0.2.43", 0, &h), 0);
	assert_int_equal(look(in, "2001:db8::44", 0, &h), 1);
	intel_free(in);

	/* include_non_ids loads the to_ids=0 row too */
	{
		struct intel_opts o;

		memset(&o, 0, sizeof(o));
		o.now_ms = NOW_MS;
		o.include_non_ids = 1;
		in = intel_new(&o);
		assert_non_null(in);
		load_ok(in, DATA "misp.csv", INTEL_FMT_MISP_CSV, &st);
		assert_int_equal(st.loaded, 5);
		assert_int_equal(look(in, "192.0.2.43", 0, &h), 1);
		intel_free(in);
	}
}

static void
test_stix(void **state)
{
	struct intel_load_stats st;
	struct intel_hit h;
	struct intel *in = mk();

	(void)state;
	load_ok(in, DATA "stix.json", INTEL_FMT_AUTO, &st);
	assert_int_equal(st.format, INTEL_FMT_STIX);
	assert_int_equal(st.records, 12);
	assert_int_equal(st.loaded, 9);
	assert_int_equal(st.expired, 2);
	assert_int_equal(st.unsupported, 3);
	assert_int_equal(st.malformed, 1);
	assert_true(strstr(st.first_error, "objects[7]") != NULL);
	assert_true(strstr(st.first_error, "pattern") != NULL);

	assert_int_equal(look(in, "192.0.2.50", 0, &h), 1);
	assert_string_equal(h.tag, "Cobalt Strike team server");
	assert_int_equal(h.confidence, 85);
	assert_string_equal(h.source, "stix");
	/* OR-combined comparisons, labels as the tag */
	assert_int_equal(look(in, "192.0.2.51", 0, &h), 1);
	assert_string_equal(h.tag, "sliver");
	assert_int_equal(h.confidence, 50);
	assert_int_equal(look(in, "192.0.2.52", 0, &h), 1);
	assert_int_equal(look(in, "2001:db8::52", 0, &h), 1);
	/* ISSUBSET CIDR */
	assert_int_equal(look(in, "203.0.113.200", 0, &h), 1);
	assert_int_equal(h.prefix.len, 120);
	assert_int_equal(h.confidence, 30);
	/* network-traffic with dst_port */
	assert_int_equal(look(in, "192.0.2.53", 8443, &h), 1);
	assert_int_equal(h.port, 8443);
	assert_int_equal(h.port_match, 1);
	/* expired, revoked, unsupported, broken, qualified: absent */
	assert_int_equal(look(in, "192.0.2.54", 0, &h), 0);
	assert_int_equal(look(in, "192.0.2.55", 0, &h), 0);
	assert_int_equal(look(in, "192.0.2.58", 0, &h), 0);
	assert_int_equal(look(in, "192.0.2.59", 0, &h), 0);
	/* two observations, one a v6 /64 with valid_until in the future */
	assert_int_equal(look(in, "192.0.2.56", 0, &h), 1);
	assert_int_equal(look(in, "2001:db8:0:0:1::1", 0, &h), 1);
	assert_int_equal(h.prefix.len, 64);
	assert_true(h.valid_until_ms > NOW_MS);
	/* malware name through an "indicates" relationship */
	assert_int_equal(look(in, "192.0.2.57", 0, &h), 1);
	assert_string_equal(h.tag, "PlugX");
	intel_free(in);
}

static void
test_stix_patterns(void **state)
{
	static const struct {
		const char	*pat;
		int		 loaded, malformed, unsupported;
	} t[] = {
		{ "[ipv4-addr:value='192.0.2.1']", 1, 0, 0 },
		{ "[ ipv4-addr:value = '192.0.2.1' ]", 1, 0, 0 },
		{ "[ipv4-addr:value = '2001:db8::1']", 0, 1, 0 },
		{ "[ipv6-addr:value = '192.0.2.1']", 0, 1, 0 },
		{ "[ipv4-addr:value = '192.0.2.1' AND ipv4-addr:value = "
		    "'192.0.2.2']", 0, 0, 1 },
		{ "[ipv4-addr:value = '192.0.2.1' AND network-traffic:"
		    "dst_port = 70000]", 0, 1, 0 },
		{ "[network-traffic:dst_ref.value = '192.0.2.1' AND "
		    "network-traffic:protocols[*] = 'tcp' AND network-traffic:"
		    "dst_port = 443]", 1, 0, 0 },
		{ "[ipv4-addr:value != '192.0.2.1']", 0, 0, 1 },
		{ "[ipv4-addr:value IN ('192.0.2.1', '192.0.2.2')]", 0, 0, 1 },
		{ "[ipv4-addr:value = '192.0.2.1'] AND [ipv4-addr:value = "
		    "'192.0.2.2']", 0, 0, 1 },
		{ "[ipv4-addr:value = '192.0.2.1' OR ipv4-addr:value = "
		    "'192.0.2.2' AND network-traffic:dst_port = 1]", 0, 0, 1 },
		{ "([ipv4-addr:value = '192.0.2.1'])", 0, 0, 1 },
		{ "[ipv4-addr:value = '192.0.2.1\\']", 0, 1, 0 },
		{ "[ipv4-addr:value = 'x\\q']", 0, 1, 0 },
		{ "[ipv4-addr:value = '0.0.0.0/0']", 0, 1, 0 },
		{ "[ipv4-addr:value ISSUBSET '192.0.2.1']", 0, 1, 0 },
		{ "", 0, 1, 0 },
		{ "[", 0, 1, 0 },
		{ "]", 0, 1, 0 },
		{ "[]", 0, 1, 0 },
		{ "[ipv4-addr:value]", 0, 1, 0 },
		{ "[ipv4-addr:value =]", 0, 1, 0 },
		{ "[file:hashes.MD5 = 'd41d8cd98f00b204e9800998ecf8427e']",
		    0, 0, 1 },
		{ "[ipv4-addr:value = '192.0.2.1' OR domain-name:value = "
		    "'example.com']", 1, 0, 0 },
	};
	struct intel_load_stats st;
	char buf[1024];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct intel *in = mk();
		char esc[512];
		size_t j, k = 0;

		for (j = 0; t[i].pat[j] != '\0' && k < sizeof(esc) - 2; j++) {
			if (t[i].pat[j] == '\\' || t[i].pat[j] == '"')
				esc[k++] = '\\';
			esc[k++] = t[i].pat[j];
		}
		esc[k] = '\0';
		snprintf(buf, sizeof(buf), "{\"type\":\"indicator\",\"id\":"
		    "\"indicator--x\",\"pattern_type\":\"stix\",\"pattern\":"
		    "\"%s\"}", esc);
		assert_int_equal(intel_load_mem(in, "p", buf, strlen(buf),
		    INTEL_FMT_AUTO, &st, NULL), 0);
		if ((int)st.loaded != t[i].loaded ||
		    (int)st.malformed != t[i].malformed ||
		    (int)st.unsupported != t[i].unsupported)
			fail_msg("pattern %zu \"%s\": loaded %zu malformed %zu "
			    "unsupported %zu (%s)", i, t[i].pat, st.loaded,
			    st.malformed, st.unsupported, st.first_error);
		intel_free(in);
	}
}

static void
test_misp_json(void **state)
{
	struct intel_load_stats st;
	struct intel_hit h;
	struct intel *in = mk();

	(void)state;
	load_ok(in, DATA "misp_event.json", INTEL_FMT_AUTO, &st);
	assert_int_equal(st.format, INTEL_FMT_MISP_JSON);
	assert_int_equal(st.records, 9);
	assert_int_equal(st.loaded, 5);
	assert_int_equal(st.not_ids, 1);
	assert_int_equal(st.unsupported, 1);
	assert_int_equal(st.malformed, 2);
	assert_true(strstr(st.first_error, "Event.Attribute[7]") != NULL);
	assert_int_equal(look(in, "192.0.2.60", 0, &h), 1);
	assert_string_equal(h.tag, "Remcos");
	assert_int_equal(h.confidence, 90);
	assert_string_equal(h.source, "misp_event");
	assert_int_equal(look(in, "192.0.2.61", 2404, &h), 1);
	assert_int_equal(h.port, 2404);
	assert_int_equal(look(in, "192.0.2.62", 0, &h), 1);
	assert_int_equal(h.port, 0);
	assert_int_equal(look(in, "192.0.2.63", 0, &h), 0);
	assert_int_equal(look(in, "198.51.100.70", 0, &h), 1);
	assert_int_equal(h.prefix.len, 96 + 28);
	assert_int_equal(look(in, "198.51.100.80", 0, &h), 0);
	assert_int_equal(look(in, "192.0.2.65", 0, &h), 0);
	assert_int_equal(look(in, "2001:db8::67", 0, &h), 1);
	intel_free(in);
}

static void
test_misp_dir(void **state)
{
	struct intel_load_stats st;
	struct intel_hit h;
	struct intel *in = mk();

	(void)state;
	load_ok(in, DATA "misp_feed", INTEL_FMT_AUTO, &st);
	assert_int_equal(st.format, INTEL_FMT_MISP_DIR);
	assert_int_equal(st.records, 5);
	assert_int_equal(st.loaded, 3);
	assert_int_equal(st.malformed, 2);
	assert_int_equal(look(in, "192.0.2.70", 0, &h), 1);
	assert_string_equal(h.tag, "feed event one");
	assert_int_equal(h.confidence, 70);
	assert_string_equal(h.source, "misp_feed");
	assert_int_equal(look(in, "2001:db8::71", 8080, &h), 1);
	assert_int_equal(h.port, 8080);
	assert_int_equal(look(in, "198.51.100.72", 0, &h), 1);
	assert_int_equal(h.confidence, 50);
	intel_free(in);

	/* the manifest path itself selects the directory */
	in = mk();
	load_ok(in, DATA "misp_feed/manifest.json", INTEL_FMT_AUTO, &st);
	assert_int_equal(st.loaded, 3);
	intel_free(in);
}

static void
test_overlap(void **state)
{
	static const char feed[] =
	    "indicator,port,tag,confidence\n"
	    "198.51.100.0/24,,wide,20\n"
	    "198.51.100.64/26,,mid,30\n"
	    "198.51.100.77,,host,60\n"
	    "198.51.100.77,443,hostport,40\n"
	    "2001:db8::/32,,v6wide,10\n";
	struct intel_hit h, all[8];
	struct intel_load_stats st;
	struct mm_addr a;
	struct intel *in = mk();
	size_t n;

	(void)state;
	assert_int_equal(intel_load_mem(in, "ov", feed, sizeof(feed) - 1,
	    INTEL_FMT_CSV, &st, NULL), 0);
	assert_int_equal(st.loaded, 5);
	a = A("198.51.100.77");
	n = intel_lookup_all(in, &a, 443, all, 8);
	assert_int_equal(n, 4);
	assert_int_equal(all[0].nmatch, 4);
	/* best: all port_match at 443; highest confidence wins */
	assert_int_equal(look(in, "198.51.100.77", 443, &h), 1);
	assert_string_equal(h.tag, "host");
	assert_int_equal(h.nmatch, 4);
	/* at port 80 the 443 entry loses port_match */
	assert_int_equal(look(in, "198.51.100.77", 80, &h), 1);
	assert_string_equal(h.tag, "host");
	n = intel_lookup_all(in, &a, 0, all, 2);
	assert_int_equal(n, 4);
	assert_int_equal(look(in, "198.51.100.65", 0, &h), 1);
	assert_string_equal(h.tag, "mid");
	assert_int_equal(h.nmatch, 2);
	assert_int_equal(look(in, "198.51.100.1", 0, &h), 1);
	assert_string_equal(h.tag, "wide");
	assert_int_equal(h.nmatch, 1);
	assert_int_equal(look(in, "2001:db8:1::1", 0, &h), 1);
	assert_string_equal(h.tag, "v6wide");
	/* an IPv4 prefix never covers IPv6 and back */
	assert_int_equal(look(in, "::c633:644d", 0, &h), 0);
	intel_free(in);
}

static void
test_allowlist(void **state)
{
	struct intel_load_stats st;
	struct mm_addr a;
	const char *cat;
	struct intel *in = mk();

	(void)state;
	load_ok(in, DATA "allow.txt", INTEL_FMT_ALLOWLIST, &st);
	assert_int_equal(st.format, INTEL_FMT_ALLOWLIST);
	assert_int_equal(st.records, 10);
	assert_int_equal(st.loaded, 5);
	assert_int_equal(st.malformed, 5);
	assert_int_equal(intel_allow_count(in), 5);
	assert_int_equal(intel_feed_count(in), 0);

	a = A("192.0.2.200");
	assert_int_equal(intel_allowed(in, &a, 0, &cat), 1);
	assert_string_equal(cat, "dns");
	a = A("198.51.100.200");
	assert_int_equal(intel_allowed(in, &a, 0, &cat), 1);
	assert_string_equal(cat, "cdn");
	a = A("198.51.100.5");
	assert_int_equal(intel_allowed(in, &a, 0, &cat), 0);
	assert_int_equal(intel_allowed(in, &a, 64500, &cat), 1);
	assert_string_equal(cat, "cloud");
	assert_int_equal(intel_allowed(in, &a, 64501, &cat), 1);
	assert_string_equal(cat, "allowlist");
	assert_int_equal(intel_allowed(in, &a, 64502, &cat), 0);
	assert_int_equal(intel_allowed(in, NULL, 64500, NULL), 1);
	assert_int_equal(intel_allowed(in, NULL, 0, NULL), 0);
	/* address match preferred over AS */
	a = A("2001:db8:aaaa:1::1");
	assert_int_equal(intel_allowed(in, &a, 64500, &cat), 1);
	assert_string_equal(cat, "ntp");
	/* not in the feed */
	{
		struct intel_hit h;

		assert_int_equal(look(in, "192.0.2.200", 0, &h), 0);
	}
	intel_free(in);
}

static void
test_shipped_defaults(void **state)
{
	struct intel_load_stats st;
	struct intel_hit h;
	struct mm_addr a;
	const char *cat;
	struct intel *in = mk();

	(void)state;
	load_ok(in, MAMORI_SRCDIR "/data/c2/allowlist.txt",
	    INTEL_FMT_ALLOWLIST, &st);
	if (st.malformed != 0)
		fail_msg("allowlist.txt: %s", st.first_error);
	assert_true(st.loaded >= 30);
	assert_int_equal(st.duplicates, 0);
	a = A("8.8.8.8");
	assert_int_equal(intel_allowed(in, &a, 0, &cat), 1);
	assert_string_equal(cat, "dns");
	a = A("2606:4700:4700::1111");
	assert_int_equal(intel_allowed(in, &a, 0, &cat), 1);
	a = A("17.253.1.1");
	assert_int_equal(intel_allowed(in, &a, 0, &cat), 1);
	assert_string_equal(cat, "push");
	a = A("133.243.238.243");
	assert_int_equal(intel_allowed(in, &a, 0, &cat), 1);
	assert_string_equal(cat, "ntp");
	assert_int_equal(intel_allowed(in, NULL, 15169, &cat), 1);
	assert_int_equal(intel_allowed(in, NULL, 16509, &cat), 1);
	assert_string_equal(cat, "cloud");
	a = A("192.0.2.1");
	assert_int_equal(intel_allowed(in, &a, 0, &cat), 0);

	load_ok(in, MAMORI_SRCDIR "/data/c2/feeds/example.csv",
	    INTEL_FMT_AUTO, &st);
	if (st.malformed != 0)
		fail_msg("example.csv: %s", st.first_error);
	assert_int_equal(st.loaded, 6);
	assert_int_equal(look(in, "192.0.2.10", 443, &h), 1);
	assert_string_equal(h.source, "example");
	assert_int_equal(look(in, "2001:db8:bad:ff::1", 0, &h), 1);
	intel_free(in);
}

static int nwarn;

static void
warn_cb(void *arg, const char *msg)
{
	(void)arg;
	assert_non_null(strstr(msg, "hostile"));
	nwarn++;
}

static void
test_hostile_text(void **state)
{
	struct intel_load_stats st;
	struct intel_opts o;
	struct intel_hit h;
	struct mm_diag d;
	struct intel *in;
	char *big;
	size_t n, i;

	(void)state;
	memset(&o, 0, sizeof(o));
	o.now_ms = NOW_MS;
	o.warn = warn_cb;
	o.max_warnings = 3;
	in = intel_new(&o);
	assert_non_null(in);

	/* an over-long line, a NUL, bad quoting, then a good line */
	n = INTEL_MAX_LINE + 100;
	big = malloc(n + 200);
	assert_non_null(big);
	memset(big, 'A', n);
	i = n;
	i += (size_t)sprintf(big + i, "\n192.0.2.1");
	big[i++] = '\0';
	i += (size_t)sprintf(big + i, "\n\"192.0.2.2,,x\n192.0.2.3,,ok\n"
	    "192.0.2.4,1,2,3,4,5,6,7\n\xff\xfe\n,,,\n");
	nwarn = 0;
	memset(&d, 0, sizeof(d));
	assert_int_equal(intel_load_mem(in, "hostile", big, i, INTEL_FMT_CSV,
	    &st, &d), 0);
	assert_int_equal(st.loaded, 2);	/* .3 and .4 (extra fields ignored) */
	assert_int_equal(st.malformed, 5);
	assert_int_equal(nwarn, 3);
	assert_true(strstr(st.first_error, "line 1:") != NULL);
	assert_int_equal(look(in, "192.0.2.3", 0, &h), 1);
	assert_int_equal(look(in, "192.0.2.1", 0, &h), 0);
	free(big);

	/* empty input and whitespace only */
	assert_int_equal(intel_load_mem(in, "hostile", "", 0, INTEL_FMT_AUTO,
	    &st, NULL), 0);
	assert_int_equal(st.records, 0);
	assert_int_equal(intel_load_mem(in, "hostile", " \n\n\t\n", 5,
	    INTEL_FMT_ALLOWLIST, &st, NULL), 0);
	assert_int_equal(st.records, 0);
	/* MISP CSV without its header */
	assert_int_equal(intel_load_mem(in, "hostile", "192.0.2.9\n", 10,
	    INTEL_FMT_MISP_CSV, &st, &d), MM_EFORMAT);
	/* bad arguments */
	assert_int_equal(intel_load_mem(in, "hostile", "x", 1,
	    INTEL_FMT_MISP_DIR, &st, NULL), MM_EINVAL);
	assert_int_equal(intel_load_mem(NULL, "hostile", "x", 1,
	    INTEL_FMT_CSV, &st, NULL), MM_EINVAL);
	assert_int_equal(intel_load(in, DATA "does-not-exist.csv",
	    INTEL_FMT_AUTO, &st, &d), MM_EIO);
	assert_true(strstr(d.msg, "does-not-exist") != NULL);
	assert_int_equal(intel_load(in, DATA "misp_feed", INTEL_FMT_CSV, &st,
	    &d), MM_EINVAL);
	intel_free(in);
}

static void
test_hostile_json(void **state)
{
	static const char *const docs[] = {
		"{", "[", "{\"objects\": 5}", "{\"objects\": [1, \"x\", null]}",
		"{\"type\":\"indicator\"}",
		"{\"type\":\"indicator\",\"pattern\":5}",
		"{\"type\":\"indicator\",\"pattern\":\"[ipv4-addr:value = "
		    "'192.0.2.1']\",\"confidence\":\"high\"}",
		"{\"type\":\"indicator\",\"pattern\":\"[ipv4-addr:value = "
		    "'192.0.2.1']\",\"valid_until\":\"soon\"}",
		"{\"Event\": 5}", "{\"Event\": {\"Attribute\": 5}}",
		"{\"Event\": {\"Attribute\": [5, {\"type\": 1}, "
		    "{\"type\":\"ip-dst\"}]}}",
		"{\"response\": [{\"Event\": {\"Attribute\": []}}, 7]}",
		"[{\"Event\": {}}]", "[]", "{}", "null", "42",
		"{\"a\": {\"info\": \"x\", \"Orgc\": {}}}",
	};
	struct intel_load_stats st;
	struct mm_diag d;
	struct intel *in = mk();
	char *deep, *pat;
	size_t i, n;
	int rc;

	(void)state;
	for (i = 0; i < sizeof(docs) / sizeof(docs[0]); i++) {
		memset(&d, 0, sizeof(d));
		rc = intel_load_mem(in, "j", docs[i], strlen(docs[i]),
		    INTEL_FMT_AUTO, &st, &d);
		assert_true(rc == 0 || rc == MM_EFORMAT);
		assert_int_equal(st.loaded, 0);
		if (rc != 0)
			assert_true(d.msg[0] != '\0');
	}
	/* deep nesting: jansson refuses it, we report MM_EFORMAT */
	n = 100000;
	deep = malloc(2 * n);
	assert_non_null(deep);
	memset(deep, '[', n);
	memset(deep + n, ']', n);
	assert_int_equal(intel_load_mem(in, "deep", deep, 2 * n,
	    INTEL_FMT_AUTO, &st, NULL), MM_EFORMAT);
	free(deep);
	/* an over-long pattern is malformed, not parsed */
	n = INTEL_MAX_PATTERN + 64;
	pat = malloc(n + 128);
	assert_non_null(pat);
	i = (size_t)sprintf(pat, "{\"type\":\"indicator\",\"pattern\":\"[");
	while (i < n)
		pat[i++] = ' ';
	i += (size_t)sprintf(pat + i, "ipv4-addr:value = '192.0.2.1']\"}");
	assert_int_equal(intel_load_mem(in, "long", pat, i, INTEL_FMT_STIX,
	    &st, NULL), 0);
	assert_int_equal(st.malformed, 1);
	assert_int_equal(st.loaded, 0);
	free(pat);
	intel_free(in);
}

static void
test_caps(void **state)
{
	struct intel_load_stats st;
	struct intel_opts o;
	struct intel_hit h;
	struct mm_diag d;
	struct intel *in;
	char buf[8192];
	size_t i, n = 0;

	(void)state;
	/* entries per file */
	memset(&o, 0, sizeof(o));
	o.now_ms = NOW_MS;
	o.max_entries = 3;
	in = intel_new(&o);
	assert_non_null(in);
	for (i = 0; i < 5; i++)
		n += (size_t)snprintf(buf + n, sizeof(buf) - n,
		    "192.0.2.%zu\n", i + 1);
	memset(&d, 0, sizeof(d));
	assert_int_equal(intel_load_mem(in, "cap", buf, n, INTEL_FMT_CSV,
	    &st, &d), MM_ELIMIT);
	assert_int_equal(st.loaded, 3);
	assert_true(strstr(d.msg, "cap") != NULL);
	/* what was loaded stays usable */
	assert_int_equal(look(in, "192.0.2.3", 0, &h), 1);
	intel_free(in);

	/* entries per key */
	in = mk();
	n = 0;
	for (i = 0; i < INTEL_MAX_PER_KEY + 10; i++)
		n += (size_t)snprintf(buf + n, sizeof(buf) - n,
		    "192.0.2.1,,tag%zu\n", i);
	assert_int_equal(intel_load_mem(in, "cap", buf, n, INTEL_FMT_CSV,
	    &st, NULL), 0);
	assert_int_equal(st.loaded, INTEL_MAX_PER_KEY);
	assert_int_equal(st.capped, 10);
	assert_int_equal(look(in, "192.0.2.1", 0, &h), 1);
	assert_int_equal(h.nmatch, INTEL_MAX_PER_KEY);
	intel_free(in);
}

static void
test_many(void **state)
{
	struct intel_load_stats st;
	struct intel_hit h;
	struct mm_addr a;
	struct intel *in = mk();
	char *buf;
	size_t i, n = 0, cap = 64u * 70000;

	(void)state;
	/* enough hosts and prefixes to grow every table several times */
	buf = malloc(cap);
	assert_non_null(buf);
	for (i = 0; i < 60000; i++)
		n += (size_t)snprintf(buf + n, cap - n, "10.%zu.%zu.%zu,,t%zu\n",
		    (i >> 16) & 255, (i >> 8) & 255, i & 255, i % 97);
	for (i = 0; i < 2000; i++)
		n += (size_t)snprintf(buf + n, cap - n, "11.%zu.%zu.0/24\n",
		    (i >> 8) & 255, i & 255);
	assert_int_equal(intel_load_mem(in, "many", buf, n, INTEL_FMT_CSV,
	    &st, NULL), 0);
	assert_int_equal(st.loaded, 62000);
	for (i = 0; i < 60000; i += 997) {
		addr_from_v4(&a, (10u << 24) | (uint32_t)i);
		assert_int_equal(intel_lookup(in, &a, 0, &h), 1);
	}
	addr_from_v4(&a, (11u << 24) | (5u << 8) | 77u);
	assert_int_equal(intel_lookup(in, &a, 0, &h), 1);
	assert_int_equal(h.prefix.len, 120);
	addr_from_v4(&a, (12u << 24) | 1u);
	assert_int_equal(intel_lookup(in, &a, 0, &h), 0);
	assert_int_equal(look(in, "2001:db8::1", 0, &h), 0);
	/* the filters are built now: later keys must still be found, also an
	 * IPv6 prefix covering the IPv4-mapped space and a short IPv6 one */
	n = (size_t)snprintf(buf, cap, "203.0.113.5\n2001:db8::5\n"
	    "::fffe:0:0/94,,mapped\n2001:d00::/24,,short6\n");
	assert_int_equal(intel_load_mem(in, "more", buf, n, INTEL_FMT_CSV,
	    &st, NULL), 0);
	assert_int_equal(st.loaded, 4);
	assert_int_equal(look(in, "203.0.113.5", 0, &h), 1);
	assert_int_equal(h.nmatch, 2);
	assert_int_equal(look(in, "198.51.100.1", 0, &h), 1);
	assert_string_equal(h.tag, "mapped");
	assert_int_equal(look(in, "2001:db8::5", 0, &h), 1);
	assert_int_equal(h.nmatch, 2);
	assert_int_equal(look(in, "2001:db9::5", 0, &h), 1);
	assert_string_equal(h.tag, "short6");
	assert_int_equal(look(in, "2002::5", 0, &h), 0);
	free(buf);
	intel_free(in);
}

struct thr {
	const struct intel	*in;
	int			 bad;
};

static void *
thr_run(void *arg)
{
	struct thr *t = arg;
	struct intel_hit h;
	struct mm_addr a;
	const char *cat;
	uint32_t i;

	for (i = 0; i < 20000; i++) {
		addr_from_v4(&a, 0xc0000200u | (i & 255));	/* 192.0.2.x */
		if (intel_lookup(t->in, &a, 443, &h) != ((i & 255) == 10 ||
		    (i & 255) == 11 || (i & 255) == 16 || (i & 255) == 13))
			t->bad++;
		(void)intel_allowed(t->in, &a, 64500, &cat);
	}
	return NULL;
}

static void
test_threads(void **state)
{
	struct intel_load_stats st;
	struct thr t[4];
	pthread_t tid[4];
	struct intel *in = mk();
	int i;

	(void)state;
	load_ok(in, DATA "simple.csv", INTEL_FMT_AUTO, &st);
	load_ok(in, DATA "allow.txt", INTEL_FMT_ALLOWLIST, &st);
	for (i = 0; i < 4; i++) {
		t[i].in = in;
		t[i].bad = 0;
		assert_int_equal(pthread_create(&tid[i], NULL, thr_run, &t[i]),
		    0);
	}
	for (i = 0; i < 4; i++) {
		pthread_join(tid[i], NULL);
		assert_int_equal(t[i].bad, 0);
	}
	intel_free(in);
}

static void
test_formats(void **state)
{
	enum intel_format f;

	(void)state;
	assert_string_equal(intel_format_name(INTEL_FMT_STIX), "stix");
	assert_string_equal(intel_format_name((enum intel_format)99), "?");
	assert_int_equal(intel_format_parse("misp-dir", &f), 0);
	assert_int_equal(f, INTEL_FMT_MISP_DIR);
	assert_int_equal(intel_format_parse("allowlist", &f), 0);
	assert_int_equal(f, INTEL_FMT_ALLOWLIST);
	assert_int_equal(intel_format_parse("nope", &f), MM_ESYNTAX);
	/* NULL-safety */
	intel_free(NULL);
	assert_int_equal(intel_lookup(NULL, NULL, 0, NULL), 0);
	assert_int_equal(intel_allowed(NULL, NULL, 1, NULL), 0);
	assert_int_equal(intel_feed_count(NULL), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_csv_simple),
		cmocka_unit_test(test_csv_positional),
		cmocka_unit_test(test_csv_feodo),
		cmocka_unit_test(test_misp_csv),
		cmocka_unit_test(test_stix),
		cmocka_unit_test(test_stix_patterns),
		cmocka_unit_test(test_misp_json),
		cmocka_unit_test(test_misp_dir),
		cmocka_unit_test(test_overlap),
		cmocka_unit_test(test_allowlist),
		cmocka_unit_test(test_shipped_defaults),
		cmocka_unit_test(test_hostile_text),
		cmocka_unit_test(test_hostile_json),
		cmocka_unit_test(test_caps),
		cmocka_unit_test(test_many),
		cmocka_unit_test(test_threads),
		cmocka_unit_test(test_formats),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
