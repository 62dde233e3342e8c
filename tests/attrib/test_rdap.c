/*
 * test_rdap.c - the offline RDAP reader: sample responses under
 * tests/attrib/data/rdap in the shape of RIR answers (APNIC/JPNIC style
 * with Japanese fn, ARIN-style nested abuse entity, cidr0, search results,
 * an error response), malformed ones under rdap/bad, and in-memory cases
 * for caps, ranges and jCard shapes. Documentation resources only.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "attrib/rdap.h"
#include "core/addr.h"
#include "core/err.h"

#define DATA	MAMORI_SRCDIR "/tests/attrib/data/rdap"

static struct mm_addr
A(const char *s)
{
	struct mm_addr a;

	assert_int_equal(addr_parse(s, &a), 0);
	return a;
}

static const struct rdap_record *
at(const struct rdap_set *rd, const char *s, char *pfx)
{
	struct mm_addr a = A(s);
	struct mm_prefix m;
	const struct rdap_record *r;

	r = rdap_by_addr(rd, &a, &m);
	if (r != NULL && pfx != NULL)
		prefix_fmt(&m, pfx, PREFIX_STRLEN);
	return r;
}

static int
has_error(const struct rdap_set *rd, const char *needle)
{
	size_t i;

	for (i = 0; i < rdap_nerrors(rd); i++)
		if (strstr(rdap_error(rd, i), needle) != NULL)
			return 1;
	return 0;
}

static int
mem(struct rdap_set *rd, const char *name, const char *json,
    struct mm_diag *d)
{
	return rdap_load_mem(rd, name, json, strlen(json), d);
}

static void
dump(const struct rdap_set *rd)
{
	size_t i;

	for (i = 0; i < rdap_nerrors(rd); i++)
		print_message("  %s\n", rdap_error(rd, i));
}

static struct rdap_set *
load_str(const char *json)
{
	struct rdap_set *rd = rdap_new();
	struct mm_diag d;

	assert_non_null(rd);
	assert_int_equal(rdap_load_mem(rd, "mem.json", json, strlen(json),
	    &d), 0);
	return rd;
}

static void
t_dir(void **state)
{
	struct rdap_set *rd = rdap_new();
	const struct rdap_stats *st;
	const struct rdap_record *r;
	struct mm_diag d;
	char p[PREFIX_STRLEN];

	(void)state;
	assert_int_equal(rdap_load_dir(rd, DATA, &d), 0);
	dump(rd);
	st = rdap_stats(rd);
	assert_int_equal(st->files, 9);
	assert_int_equal(st->objects, 10);
	assert_int_equal(st->autnums, 2);
	assert_int_equal(st->networks, 5);
	assert_int_equal(st->prefixes, 11);
	assert_int_equal(st->malformed, 0);
	assert_int_equal(st->unsupported, 2);
	assert_int_equal(st->duplicate, 1);
	assert_int_equal(st->fallback, 1);
	assert_int_equal(st->no_email, 0);
	assert_int_equal(rdap_count(rd), 7);
	/* the first message: files are read in name order */
	assert_string_equal(d.msg, "entity-IRT.json: $: objectClassName "
	    "\"entity\" is not autnum or ip network (skipped)");
	assert_true(has_error(rd, "error-404.json: $: RDAP error response "
	    "404"));

	/* APNIC/JPNIC-style autnum: abuse IRT, Japanese registrant fn */
	r = rdap_by_as(rd, 64496);
	assert_non_null(r);
	assert_int_equal(r->kind, RDAP_AUTNUM);
	assert_string_equal(r->handle, "AS64496");
	assert_string_equal(r->name, "REIJI-NET-AS-JP");
	assert_string_equal(r->org, "株式会社例示ネット");
	assert_string_equal(r->country, "JP");
	assert_string_equal(r->lang, "ja");
	assert_int_equal(r->role, RDAP_ROLE_ABUSE);
	assert_int_equal(r->nemail, 1);	/* the same address twice */
	assert_string_equal(r->email[0], "abuse@reiji-net.example.jp");
	assert_string_equal(r->file, "autnum-AS64496.json");
	assert_null(rdap_by_as(rd, 64497));

	/* AS block: mailto: stripped, no registrant: org is the name */
	r = rdap_by_as(rd, 64507);
	assert_non_null(r);
	assert_ptr_equal(r, rdap_by_as(rd, 64504));
	assert_ptr_equal(r, rdap_by_as(rd, 64511));
	assert_null(rdap_by_as(rd, 64503));
	assert_null(rdap_by_as(rd, 64512));
	assert_int_equal(r->as_lo, 64504);
	assert_int_equal(r->as_hi, 64511);
	assert_string_equal(r->email[0], "abuse@mobile.example.com");
	assert_string_equal(r->org, "SAMPLE-MOBILE-BLOCK");
	assert_string_equal(r->lang, "en");

	/* cidr0 network; the duplicate in the search results lost */
	r = at(rd, "192.0.2.200", p);
	assert_non_null(r);
	assert_string_equal(p, "192.0.2.0/24");
	assert_int_equal(r->kind, RDAP_NETWORK);
	assert_string_equal(r->email[0], "abuse@reiji-net.example.jp");
	assert_string_equal(r->org, "株式会社例示ネット");
	assert_string_equal(r->file, "ip-192.0.2.0.json");
	assert_string_equal(prefix_fmt(&r->first, p, sizeof(p)),
	    "192.0.2.0/24");

	/* ARIN-style: abuse entity nested in the registrant */
	r = at(rd, "198.51.100.127", p);
	assert_non_null(r);
	assert_string_equal(p, "198.51.100.0/25");
	assert_string_equal(r->handle, "NET-198-51-100-0-1");
	assert_string_equal(r->email[0], "abuse@hosting.example.com");
	assert_int_equal(r->role, RDAP_ROLE_ABUSE);
	assert_string_equal(r->org, "Example Hosting Ltd.");
	assert_string_equal(r->lang, "en");
	assert_null(at(rd, "198.51.100.128", NULL));
	assert_null(at(rd, "198.51.100.129", NULL));

	/* a range that is no CIDR: split; registrant before technical */
	r = at(rd, "198.51.100.130", p);
	assert_non_null(r);
	assert_string_equal(p, "198.51.100.130/31");
	assert_ptr_equal(at(rd, "198.51.100.150", p), r);
	assert_string_equal(p, "198.51.100.144/28");
	assert_ptr_equal(at(rd, "198.51.100.200", p), r);
	assert_string_equal(p, "198.51.100.200/32");
	assert_null(at(rd, "198.51.100.201", NULL));
	assert_int_equal(r->role, RDAP_ROLE_REGISTRANT);
	assert_string_equal(r->email[0], "registrant@odd.example.com");
	assert_string_equal(r->org, "Odd Range Org");

	/* IPv6, country in lower case, fn with a control byte trimmed */
	r = at(rd, "2001:db8:1abc::1", p);
	assert_non_null(r);
	assert_string_equal(p, "2001:db8:1000::/36");
	assert_string_equal(r->country, "JP");
	assert_string_equal(r->lang, "ja");
	assert_string_equal(r->org, "株式会社例示ネット");
	assert_string_equal(r->email[0], "abuse-v6@reiji-net.example.jp");
	assert_null(at(rd, "2001:db8:2000::1", NULL));

	/* search results */
	r = at(rd, "203.0.113.5", p);
	assert_non_null(r);
	assert_string_equal(p, "203.0.113.0/26");
	assert_string_equal(r->name, "SEARCH-A");
	assert_string_equal(r->org, "SEARCH-A");
	assert_string_equal(r->email[0], "abuse@search-a.example.jp");

	/* loading the same directory again adds nothing */
	assert_int_equal(rdap_load_dir(rd, DATA, &d), 0);
	assert_int_equal(rdap_count(rd), 7);
	assert_int_equal(st->duplicate, 1 + 8);
	rdap_free(rd);
}

static void
t_bad_dir(void **state)
{
	struct rdap_set *rd = rdap_new();
	const struct rdap_stats *st;
	const struct rdap_record *r;
	struct mm_diag d;

	(void)state;
	assert_int_equal(rdap_load_dir(rd, DATA "/bad", &d), 0);
	dump(rd);
	st = rdap_stats(rd);
	assert_int_equal(st->files, 11);
	/* array, string AS, deep, many cidrs, no-class, no-start, not-json,
	 * version */
	assert_int_equal(st->malformed, 8);
	assert_int_equal(st->too_broad, 1);
	assert_int_equal(rdap_count(rd), 2);
	assert_string_equal(d.msg, "array.json: $: not a JSON object (RFC "
	    "9083 section 4; skipped)");
	assert_true(has_error(rd, "autnum-string.json: $: field startAutnum: "
	    "not an AS number"));
	assert_true(has_error(rd, "deep.json: byte "));
	assert_true(has_error(rd, "nested deeper than 48 levels"));
	assert_true(has_error(rd, "not-json.json: not JSON: line 1"));
	assert_true(has_error(rd, "no-start.json: $: field startAddress: "
	    "missing"));
	assert_true(has_error(rd, "no-class.json: $: field objectClassName: "
	    "missing"));
	assert_true(has_error(rd, "broad.json: $: network 0.0.0.0/0 is "
	    "broader than /8"));
	assert_true(has_error(rd, "many-cidrs.json: $: field startAddress/"
	    "endAddress: range splits into more than 64 prefixes"));
	assert_true(has_error(rd, "version-mismatch.json: $: field ipVersion"));
	/* entity-level problems name the JSON path; the object is kept */
	assert_true(has_error(rd, "bad-vcard.json: $.entities[0].vcardArray: "
	    "not [\"vcard\", [properties]]"));
	assert_true(has_error(rd, "bad-vcard.json: $.entities[1].roles: not "
	    "an array"));
	assert_true(has_error(rd, "bad-vcard.json: $.entities[2].vcardArray"
	    "[1][0]: not [name, {params}, type, value]"));
	assert_true(has_error(rd, "bad-vcard.json: $.entities[2].vcardArray"
	    "[1][1][3]: field email: value is not a string"));
	r = rdap_by_as(rd, 64499);
	assert_non_null(r);
	assert_string_equal(r->email[0], "abuse@bad-vcard.example.jp");
	assert_int_equal(r->role, RDAP_ROLE_ABUSE);

	/* abuse entity with only invalid addresses: no fallback */
	r = at(rd, "203.0.113.100", NULL);
	assert_non_null(r);
	assert_int_equal(r->nemail, 0);
	assert_int_equal(r->email_invalid, 1);
	assert_int_equal(r->role, RDAP_ROLE_NONE);
	assert_string_equal(r->org, "壊れたメール株式会社");
	assert_true(has_error(rd, "invalid-email.json: $.entities[0]."
	    "vcardArray[1][2][3]: field email: \"abuse at broken dot example "
	    "dot jp\": "));
	assert_int_equal(st->invalid_email, 1);
	assert_int_equal(st->no_email, 1);
	assert_null(rdap_by_as(rd, 64498));
	rdap_free(rd);
}

static void
t_mem_shapes(void **state)
{
	struct rdap_set *rd;
	const struct rdap_record *r;
	struct mm_diag d;
	char p[PREFIX_STRLEN];

	(void)state;
	/* endAutnum may be missing; AS 0 alone is refused; reversed range */
	rd = load_str("{\"objectClassName\":\"autnum\",\"startAutnum\":64500}");
	assert_non_null(rdap_by_as(rd, 64500));
	assert_int_equal(rdap_get(rd, 0)->nemail, 0);
	assert_int_equal(rdap_stats(rd)->no_email, 1);
	assert_int_equal(mem(rd, "zero.json", "{\"objectClassName\":"
	    "\"autnum\",\"startAutnum\":0,\"endAutnum\":0}", &d), 0);
	assert_non_null(strstr(d.msg, "AS 0 is reserved"));
	assert_int_equal(mem(rd, "rev.json", "{\"objectClassName\":"
	    "\"autnum\",\"startAutnum\":9,\"endAutnum\":8}", &d), 0);
	assert_non_null(strstr(d.msg, "below startAutnum"));
	assert_int_equal(mem(rd, "neg.json", "{\"objectClassName\":"
	    "\"autnum\",\"startAutnum\":-1}", &d), 0);
	assert_non_null(strstr(d.msg, "not an AS number"));
	assert_int_equal(mem(rd, "big.json", "{\"objectClassName\":"
	    "\"autnum\",\"startAutnum\":4294967296}", &d), 0);
	assert_non_null(strstr(d.msg, "not an AS number"));
	assert_int_equal(rdap_stats(rd)->malformed, 4);
	rdap_free(rd);

	/* narrowest AS range wins; single AS before ranges */
	rd = load_str("{\"autnumSearchResults\":["
	    "{\"objectClassName\":\"autnum\",\"startAutnum\":64496,"
	    "\"endAutnum\":64511,\"name\":\"WIDE\"},"
	    "{\"objectClassName\":\"autnum\",\"startAutnum\":64500,"
	    "\"endAutnum\":64503,\"name\":\"NARROW\"},"
	    "{\"objectClassName\":\"autnum\",\"startAutnum\":64501,"
	    "\"name\":\"ONE\"},"
	    "{\"objectClassName\":\"autnum\",\"startAutnum\":64500,"
	    "\"endAutnum\":64503,\"name\":\"DUP\"}]}");
	assert_string_equal(rdap_by_as(rd, 64497)->name, "WIDE");
	assert_string_equal(rdap_by_as(rd, 64500)->name, "NARROW");
	assert_string_equal(rdap_by_as(rd, 64501)->name, "ONE");
	assert_int_equal(rdap_stats(rd)->duplicate, 1);
	rdap_free(rd);

	/* cidr0 with several prefixes, host bits cleared; bad cidr0 */
	rd = load_str("{\"objectClassName\":\"ip network\",\"handle\":\"C\","
	    "\"cidr0_cidrs\":[{\"v4prefix\":\"192.0.2.0\",\"length\":25},"
	    "{\"v4prefix\":\"192.0.2.129\",\"length\":26}],"
	    "\"entities\":[{\"roles\":[\"technical\"],\"vcardArray\":[\"vcard\","
	    "[[\"email\",{},\"text\",\"t@example.jp\"]]]}]}");
	r = at(rd, "192.0.2.130", p);
	assert_non_null(r);
	assert_string_equal(p, "192.0.2.128/26");
	assert_int_equal(r->role, RDAP_ROLE_TECHNICAL);
	assert_string_equal(r->org, "C");
	assert_null(at(rd, "192.0.2.200", NULL));
	assert_int_equal(mem(rd, "c.json", "{\"objectClassName\":"
	    "\"ip network\",\"cidr0_cidrs\":[{\"v4prefix\":\"2001:db8::\","
	    "\"length\":32}]}", &d), 0);
	assert_non_null(strstr(d.msg, "c.json: $.cidr0_cidrs[0]: bad v4 "
	    "prefix"));
	assert_int_equal(mem(rd, "c.json", "{\"objectClassName\":"
	    "\"ip network\",\"cidr0_cidrs\":[{\"v6prefix\":\"2001:db8::\","
	    "\"length\":129}]}", &d), 0);
	assert_non_null(strstr(d.msg, "bad v6 prefix"));
	assert_int_equal(mem(rd, "c.json", "{\"objectClassName\":"
	    "\"ip network\",\"cidr0_cidrs\":[]}", &d), 0);
	assert_non_null(strstr(d.msg, "empty"));
	rdap_free(rd);

	/* shallowest abuse entity wins over a deeper one listed first */
	rd = load_str("{\"objectClassName\":\"ip network\","
	    "\"startAddress\":\"2001:db8::\",\"endAddress\":"
	    "\"2001:db8:ffff:ffff:ffff:ffff:ffff:ffff\","
	    "\"entities\":[{\"roles\":[\"registrant\"],\"entities\":["
	    "{\"roles\":[\"abuse\"],\"vcardArray\":[\"vcard\",[[\"email\",{},"
	    "\"text\",\"deep@example.jp\"]]]}]},"
	    "{\"roles\":[\"abuse\"],\"vcardArray\":[\"vcard\",[[\"email\",{},"
	    "\"text\",\"shallow@example.jp\"],[\"EMAIL\",{},\"text\","
	    "\"second@example.jp\"]]]}]}");
	r = at(rd, "2001:db8:ab::1", p);
	assert_non_null(r);
	assert_string_equal(p, "2001:db8::/32");
	assert_int_equal(r->nemail, 2);
	assert_string_equal(r->email[0], "shallow@example.jp");
	assert_string_equal(r->email[1], "second@example.jp");
	rdap_free(rd);

	/* entities below RDAP_MAX_DEPTH are not searched */
	rd = load_str("{\"objectClassName\":\"autnum\",\"startAutnum\":1,"
	    "\"entities\":[{\"entities\":[{\"entities\":[{\"entities\":["
	    "{\"roles\":[\"abuse\"],\"vcardArray\":[\"vcard\",[[\"email\","
	    "{},\"text\",\"level4@example.jp\"]]],\"entities\":["
	    "{\"roles\":[\"technical\"],\"vcardArray\":[\"vcard\",[[\"email\","
	    "{},\"text\",\"level5@example.jp\"]]]}]}]}]}]}]}");
	r = rdap_by_as(rd, 1);
	assert_string_equal(r->email[0], "level4@example.jp");
	rdap_free(rd);
}

static void
t_caps(void **state)
{
	struct rdap_set *rd;
	struct mm_diag d;
	char *buf, *p;
	size_t i, j;

	(void)state;
	/* file size cap */
	buf = malloc(RDAP_MAX_FILE + 2);
	assert_non_null(buf);
	memset(buf, ' ', RDAP_MAX_FILE + 1);
	memcpy(buf, "{\"objectClassName\":\"autnum\",\"startAutnum\":7}", 44);
	rd = rdap_new();
	assert_int_equal(rdap_load_mem(rd, "large.json", buf, RDAP_MAX_FILE +
	    1, &d), 0);
	assert_string_equal(d.msg, "large.json: larger than 1048576 bytes "
	    "(skipped)");
	assert_null(rdap_by_as(rd, 7));
	/* exactly at the cap is read */
	assert_int_equal(rdap_load_mem(rd, "max.json", buf, RDAP_MAX_FILE,
	    &d), 0);
	assert_string_equal(d.msg, "");
	assert_non_null(rdap_by_as(rd, 7));
	rdap_free(rd);

	/* nesting: 48 levels are read, 49 are not; brackets in strings do
	 * not count */
	for (i = 47; i <= 48; i++) {
		p = buf;
		p += sprintf(p, "{\"objectClassName\":\"autnum\","
		    "\"startAutnum\":8,\"s\":\"[[[[{{{{\",\"x\":");
		memset(p, '[', i);
		p += i;
		memset(p, ']', i);
		p += i;
		strcpy(p, "}");
		rd = load_str(buf);
		if (i == 47)
			assert_non_null(rdap_by_as(rd, 8));
		else
			assert_null(rdap_by_as(rd, 8));
		rdap_free(rd);
	}

	/* entities per object */
	p = buf;
	p += sprintf(p, "{\"objectClassName\":\"autnum\",\"startAutnum\":9,"
	    "\"entities\":[");
	for (i = 0; i < RDAP_MAX_ENTITIES + 5; i++)
		p += sprintf(p, "%s{\"roles\":[\"%s\"],\"vcardArray\":[\"vcard\","
		    "[[\"email\",{},\"text\",\"e%zu@example.jp\"]]]}",
		    i == 0 ? "" : ",", i == RDAP_MAX_ENTITIES ? "abuse" :
		    "technical", i);
	strcpy(p, "]}");
	rd = load_str(buf);
	assert_true(has_error(rd, "more than 256 entities"));
	assert_int_equal(rdap_by_as(rd, 9)->role, RDAP_ROLE_TECHNICAL);
	assert_string_equal(rdap_by_as(rd, 9)->email[0], "e0@example.jp");
	rdap_free(rd);

	/* search results per file */
	p = buf;
	p += sprintf(p, "{\"autnumSearchResults\":[");
	for (i = 0; i < RDAP_MAX_OBJECTS + 3; i++)
		p += sprintf(p, "%s{\"objectClassName\":\"autnum\","
		    "\"startAutnum\":%zu}", i == 0 ? "" : ",", 100 + i);
	strcpy(p, "]}");
	rd = load_str(buf);
	assert_int_equal(rdap_count(rd), RDAP_MAX_OBJECTS);
	assert_true(has_error(rd, "more than 1024 objects"));
	rdap_free(rd);

	/* AS ranges over files: the cap gives MM_ELIMIT-free skips */
	rd = rdap_new();
	for (j = 0; j < 5; j++) {
		p = buf;
		p += sprintf(p, "{\"autnumSearchResults\":[");
		for (i = 0; i < 1000; i++)
			p += sprintf(p, "%s{\"objectClassName\":\"autnum\","
			    "\"startAutnum\":%zu,\"endAutnum\":%zu}",
			    i == 0 ? "" : ",", 10000 * j + 10 * i + 1,
			    10000 * j + 10 * i + 2);
		strcpy(p, "]}");
		assert_int_equal(rdap_load_mem(rd, "r.json", buf, strlen(buf),
		    &d), 0);
	}
	assert_int_equal(rdap_count(rd), RDAP_MAX_AS_RANGES);
	assert_int_equal(rdap_stats(rd)->malformed, 5000 - RDAP_MAX_AS_RANGES);
	assert_true(has_error(rd, "more than 4096 AS ranges"));
	assert_non_null(rdap_by_as(rd, 40000 + 10 * 95 + 2));
	assert_null(rdap_by_as(rd, 40000 + 10 * 96 + 2));
	rdap_free(rd);
	free(buf);
}

static void
t_ranges(void **state)
{
	struct rdap_set *rd;
	struct mm_diag d;
	char p[PREFIX_STRLEN], json[512];

	(void)state;
	/* a whole /16 as one range is one prefix */
	rd = load_str("{\"objectClassName\":\"ip network\",\"startAddress\":"
	    "\"198.18.0.0\",\"endAddress\":\"198.18.255.255\"}");
	assert_int_equal(rdap_stats(rd)->prefixes, 1);
	assert_non_null(at(rd, "198.18.7.7", p));
	assert_string_equal(p, "198.18.0.0/16");
	/* the v6 top half of a /16 */
	snprintf(json, sizeof(json), "{\"objectClassName\":\"ip network\","
	    "\"startAddress\":\"2001:8000::\",\"endAddress\":"
	    "\"2001:ffff:ffff:ffff:ffff:ffff:ffff:ffff\"}");
	assert_int_equal(rdap_load_mem(rd, "v6", json, strlen(json), &d), 0);
	assert_non_null(at(rd, "2001:9000::1", p));
	assert_string_equal(p, "2001:8000::/17");
	/* single address */
	snprintf(json, sizeof(json), "{\"objectClassName\":\"ip network\","
	    "\"startAddress\":\"203.0.113.9\",\"endAddress\":\"203.0.113.9\"}");
	assert_int_equal(rdap_load_mem(rd, "one", json, strlen(json), &d), 0);
	assert_non_null(at(rd, "203.0.113.9", p));
	assert_string_equal(p, "203.0.113.9/32");
	assert_null(at(rd, "203.0.113.8", NULL));
	/* 100.0.0.1 - 100.255.255.254: 2 * 23 prefixes, within the cap */
	snprintf(json, sizeof(json), "{\"objectClassName\":\"ip network\","
	    "\"startAddress\":\"100.0.0.1\",\"endAddress\":"
	    "\"100.255.255.254\"}");
	assert_int_equal(rdap_load_mem(rd, "n", json, strlen(json), &d), 0);
	assert_string_equal(d.msg, "");
	assert_non_null(at(rd, "100.128.0.0", p));
	assert_string_equal(p, "100.128.0.0/10");
	assert_non_null(at(rd, "100.0.0.1", p));
	assert_string_equal(p, "100.0.0.1/32");
	assert_non_null(at(rd, "100.255.255.254", p));
	assert_string_equal(p, "100.255.255.254/32");
	assert_null(at(rd, "100.0.0.0", NULL));
	assert_null(at(rd, "100.255.255.255", NULL));
	/* the whole IPv6 space and a /7 are too broad */
	snprintf(json, sizeof(json), "{\"objectClassName\":\"ip network\","
	    "\"startAddress\":\"::\",\"endAddress\":"
	    "\"ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff\"}");
	assert_int_equal(rdap_load_mem(rd, "all6", json, strlen(json), &d), 0);
	assert_non_null(strstr(d.msg, "::/0 is broader than /16"));
	snprintf(json, sizeof(json), "{\"objectClassName\":\"ip network\","
	    "\"startAddress\":\"2.0.0.0\",\"endAddress\":\"3.255.255.255\"}");
	assert_int_equal(rdap_load_mem(rd, "slash7", json, strlen(json), &d),
	    0);
	assert_non_null(strstr(d.msg, "2.0.0.0/7 is broader than /8"));
	/* mixed families, reversed */
	snprintf(json, sizeof(json), "{\"objectClassName\":\"ip network\","
	    "\"startAddress\":\"192.0.2.0\",\"endAddress\":\"2001:db8::\"}");
	assert_int_equal(rdap_load_mem(rd, "mix", json, strlen(json), &d), 0);
	assert_non_null(strstr(d.msg, "not an ascending range of one family"));
	snprintf(json, sizeof(json), "{\"objectClassName\":\"ip network\","
	    "\"startAddress\":\"192.0.2.9\",\"endAddress\":\"192.0.2.8\"}");
	assert_int_equal(rdap_load_mem(rd, "rev", json, strlen(json), &d), 0);
	assert_non_null(strstr(d.msg, "not an ascending range"));
	assert_int_equal(rdap_stats(rd)->too_broad, 2);
	/* ::/16 covers the IPv4-mapped space but never answers for IPv4 */
	snprintf(json, sizeof(json), "{\"objectClassName\":\"ip network\","
	    "\"startAddress\":\"::\",\"endAddress\":"
	    "\"0:ffff:ffff:ffff:ffff:ffff:ffff:ffff\"}");
	assert_int_equal(rdap_load_mem(rd, "low", json, strlen(json), &d), 0);
	assert_string_equal(d.msg, "");
	assert_non_null(at(rd, "::1", p));
	assert_string_equal(p, "::/16");
	assert_null(at(rd, "192.0.2.1", NULL));
	rdap_free(rd);
}

static void
t_io_null(void **state)
{
	struct rdap_set *rd = rdap_new();
	struct mm_diag d;

	(void)state;
	assert_int_equal(rdap_load_dir(rd, DATA "/nope", &d), MM_EIO);
	assert_non_null(strstr(d.msg, "nope"));
	assert_int_equal(rdap_load_file(rd, DATA "/nope.json", &d), MM_EIO);
	assert_int_equal(rdap_load_file(rd, DATA "/autnum-AS64496.json", &d),
	    0);
	assert_non_null(rdap_by_as(rd, 64496));
	assert_int_equal(rdap_load_file(rd, DATA "/bad/not-json.json", &d), 0);
	assert_non_null(strstr(d.msg, "not-json.json: not JSON"));
	assert_int_equal(rdap_load_mem(rd, "e", "", 0, &d), 0);
	assert_int_equal(rdap_load_mem(rd, "e", NULL, 0, &d), 0);
	assert_int_equal(rdap_load_mem(rd, "e", NULL, 1, &d), MM_EINVAL);
	assert_int_equal(rdap_load_mem(NULL, "e", "{}", 2, &d), MM_EINVAL);
	assert_int_equal(rdap_load_dir(NULL, DATA, NULL), MM_EINVAL);
	assert_null(rdap_by_as(NULL, 1));
	assert_null(rdap_by_addr(NULL, NULL, NULL));
	assert_null(rdap_get(NULL, 0));
	assert_int_equal(rdap_count(NULL), 0);
	assert_non_null(rdap_stats(NULL));
	assert_null(rdap_error(NULL, 0));
	assert_string_equal(rdap_role_name(RDAP_ROLE_REGISTRANT),
	    "registrant");
	rdap_free(rd);
	rdap_free(NULL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(t_dir),
		cmocka_unit_test(t_bad_dir),
		cmocka_unit_test(t_mem_shapes),
		cmocka_unit_test(t_caps),
		cmocka_unit_test(t_ranges),
		cmocka_unit_test(t_io_null),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
