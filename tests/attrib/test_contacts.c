/*
 * test_contacts.c - the contacts file parser (mamori-contacts(5)) and the
 * e-mail syntax check: sample files under tests/attrib/data/contacts
 * (documentation ASNs and prefixes only), UTF-8 names, every kind of bad
 * line with its file:line and field, flagged entries, caps, and the shipped
 * data/notify/contacts.example.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "attrib/contacts.h"
#include "core/addr.h"
#include "core/err.h"

#define DATA	MAMORI_SRCDIR "/tests/attrib/data/contacts/"

static struct mm_addr
A(const char *s)
{
	struct mm_addr a;

	assert_int_equal(addr_parse(s, &a), 0);
	return a;
}

static struct contacts *
load_str(const char *text, struct mm_diag *d)
{
	struct contacts *ct = contacts_new();

	assert_non_null(ct);
	assert_int_equal(contacts_load_mem(ct, "t.contacts", text,
	    strlen(text), d), 0);
	return ct;
}

/* 1 if some kept error message contains `needle` */
static int
has_error(const struct contacts *ct, const char *needle)
{
	size_t i;

	for (i = 0; i < contacts_nerrors(ct); i++)
		if (strstr(contacts_error(ct, i), needle) != NULL)
			return 1;
	return 0;
}

static void
t_email_syntax(void **state)
{
	static const char *const good[] = {
		"abuse@example.jp",
		"a@b.co",
		"first.last@sub.example.com",
		"abuse+tag@example.com",
		"!#$%&'*+-/=?^_`{|}~@example.com",
		"\"soc team\"@example.jp",
		"\"a\\\"b\"@example.jp",
		"\"a,b\"@example.jp",
		"x@xn--eckwd4c7c.jp",
		"x@a-b.example.jp",
		"x@1example.com",
	};
	static const char *const bad[] = {
		"",
		"abuse",
		"abuse@",
		"@example.jp",
		"Abuse Desk <abuse@example.jp>",
		"<abuse@example.jp>",
		"abuse@example.jp ",
		" abuse@example.jp",
		"ab use@example.jp",
		".abuse@example.jp",
		"abuse.@example.jp",
		"ab..use@example.jp",
		"abuse@example..jp",
		"abuse@.example.jp",
		"abuse@example.jp.",
		"abuse@localhost",
		"abuse@-example.jp",
		"abuse@example-.jp",
		"abuse@ex_ample.jp",
		"abuse@[192.0.2.1]",
		"abuse@192.0.2.1",
		"a@b@example.jp",
		"\"unterminated@example.jp",
		"\"\"@example.jp",
		"\"a\"b@example.jp",
		"abuse@example.jp\r",
		"abuse\n@example.jp",
		"abuse@例え.jp",
		"(comment)abuse@example.jp",
	};
	char buf[400];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		if (!contacts_email_valid(good[i]))
			fail_msg("should be valid: %s (%s)", good[i],
			    contacts_email_check(good[i], strlen(good[i])));
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (contacts_email_valid(bad[i]))
			fail_msg("should be invalid: %s", bad[i]);
		assert_non_null(contacts_email_check(bad[i], strlen(bad[i])));
	}
	assert_int_equal(contacts_email_valid(NULL), 0);
	/* NUL inside the given length is a control byte */
	assert_non_null(contacts_email_check("a\0b@example.jp", 14));
	/* length not NUL-terminated: only the first 16 bytes are checked */
	assert_null(contacts_email_check("abuse@example.jpXXXX", 16));

	/* local part 64 ok, 65 not; whole address 254 ok, 255 not */
	memset(buf, 'a', 64);
	strcpy(buf + 64, "@example.jp");
	assert_true(contacts_email_valid(buf));
	memset(buf, 'a', 65);
	strcpy(buf + 65, "@example.jp");
	assert_false(contacts_email_valid(buf));
	assert_string_equal(contacts_email_check(buf, strlen(buf)),
	    "local part longer than 64 bytes");
	/* 64 + '@' + 3 labels of 61 + ".jp" ... build exactly 254 */
	memset(buf, 'a', 64);
	buf[64] = '@';
	memset(buf + 65, 'b', 63);
	buf[128] = '.';
	memset(buf + 129, 'c', 63);
	buf[192] = '.';
	memset(buf + 193, 'd', 58);
	strcpy(buf + 251, ".jp");
	assert_int_equal(strlen(buf), 254);
	assert_true(contacts_email_valid(buf));
	buf[250] = 'd';
	strcpy(buf + 251, "d.jp");
	assert_int_equal(strlen(buf), 255);
	assert_false(contacts_email_valid(buf));
	/* a 64-byte label is too long */
	memset(buf, 0, sizeof(buf));
	strcpy(buf, "a@");
	memset(buf + 2, 'b', 64);
	strcpy(buf + 66, ".jp");
	assert_false(contacts_email_valid(buf));
}

static void
t_good_file(void **state)
{
	struct contacts *ct = contacts_new();
	const struct contacts_stats *st;
	const struct contact *c, *c2;
	struct mm_prefix m;
	struct mm_addr a;
	struct mm_diag d;
	char buf[PREFIX_STRLEN];

	(void)state;
	assert_non_null(ct);
	assert_int_equal(contacts_load(ct, DATA "good.contacts", &d), 0);
	assert_string_equal(d.msg, "");
	st = contacts_stats(ct);
	assert_int_equal(st->entries, 5);
	assert_int_equal(st->errors, 0);
	assert_int_equal(contacts_nerrors(ct), 0);
	/* 2 AS + customer + 2 prefixes, 4 AS, 1, 1, 1 */
	assert_int_equal(st->keys, 5 + 4 + 1 + 1 + 1);
	assert_int_equal(contacts_count(ct), 5);

	c = contacts_by_as(ct, 64496);
	assert_non_null(c);
	assert_ptr_equal(c, contacts_by_as(ct, 64497));
	assert_ptr_equal(c, contacts_by_customer(ct, "c-0042"));
	assert_ptr_equal(c, contacts_by_id(ct, "examplenet"));
	assert_ptr_equal(c, contacts_get(ct, 0));
	assert_string_equal(c->id, "examplenet");
	assert_string_equal(c->org, "例示ネットワーク株式会社");
	assert_string_equal(c->isp, "ExampleNet");
	assert_int_equal(c->nemail, 2);
	assert_string_equal(c->email[0], "abuse@example.jp");
	assert_string_equal(c->email[1], "\"soc team\"@example.jp");
	assert_string_equal(c->lang, "ja");
	assert_string_equal(c->format, "both");
	assert_int_equal(c->status, CONTACT_OK);
	assert_string_equal(c->file, "good.contacts");
	assert_int_equal(c->line, 5);

	a = A("192.0.2.77");
	assert_ptr_equal(contacts_by_addr(ct, &a, &m), c);
	assert_string_equal(prefix_fmt(&m, buf, sizeof(buf)), "192.0.2.0/25");
	a = A("192.0.2.200");
	assert_null(contacts_by_addr(ct, &a, NULL));
	a = A("2001:db8:1ff::1");
	assert_ptr_equal(contacts_by_addr(ct, &a, NULL), c);
	a = A("2001:db8:200::1");
	assert_null(contacts_by_addr(ct, &a, NULL));

	/* AS range, defaults, quoted value with '#' and a trailing comment */
	c = contacts_by_as(ct, 64502);
	assert_non_null(c);
	assert_ptr_equal(c, contacts_by_as(ct, 64500));
	assert_ptr_equal(c, contacts_by_as(ct, 64503));
	assert_null(contacts_by_as(ct, 64504));
	assert_null(contacts_by_as(ct, 64499));
	assert_null(contacts_by_as(ct, 0));
	assert_string_equal(c->id, "AS64500-AS64503");
	assert_string_equal(c->org, "Example Transit #2");
	assert_string_equal(c->lang, "en");
	assert_string_equal(c->format, "csv");
	assert_int_equal(c->nemail, 1);

	/* most specific prefix; case-insensitive names and values */
	a = A("198.51.100.1");
	c = contacts_by_addr(ct, &a, NULL);
	assert_non_null(c);
	assert_string_equal(c->id, "198.51.100.0/24");
	assert_string_equal(c->email[0], "abuse+hosting@example.com");
	assert_string_equal(c->lang, "en");
	assert_string_equal(c->format, "xarf");
	a = A("198.51.100.200");
	c2 = contacts_by_addr(ct, &a, &m);
	assert_non_null(c2);
	assert_ptr_not_equal(c, c2);
	assert_string_equal(c2->id, "198.51.100.128/25");
	assert_string_equal(c2->org, "");

	c = contacts_by_customer(ct, "acme");
	assert_non_null(c);
	assert_string_equal(c->id, "customer:acme");
	assert_null(contacts_by_customer(ct, "ACME"));
	assert_null(contacts_by_customer(ct, ""));
	assert_null(contacts_by_id(ct, "nobody"));

	/* a second file adds; BOM and CRLF */
	assert_int_equal(contacts_load(ct, DATA "crlf.contacts", &d), 0);
	assert_string_equal(d.msg, "");
	c = contacts_by_as(ct, 64510);
	assert_non_null(c);
	assert_string_equal(c->org, "CRLF Net");
	assert_string_equal(c->email[0], "abuse@crlf.example.jp");
	assert_int_equal(c->line, 2);
	assert_ptr_equal(contacts_by_as(ct, 64496), contacts_get(ct, 0));
	contacts_free(ct);
}

static void
t_bad_file(void **state)
{
	struct contacts *ct = contacts_new();
	const struct contacts_stats *st;
	const struct contact *c;
	struct mm_addr a;
	struct mm_diag d;
	size_t i;

	(void)state;
	assert_int_equal(contacts_load(ct, DATA "bad.contacts", &d), 0);
	/* the first error is in diag, with file:line */
	assert_string_equal(d.msg, "bad.contacts:2: field email: outside a "
	    "stanza (no [key] header before it)");
	for (i = 0; i < contacts_nerrors(ct); i++)
		print_message("  %s\n", contacts_error(ct, i));
	st = contacts_stats(ct);
	assert_true(has_error(ct, "bad.contacts:5: field email: \"\"Bad "
	    "Mail\" <abuse@example.jp>\": "));
	assert_true(has_error(ct, "bad.contacts:8: field lang: \"fr\": not "
	    "ja or en"));
	assert_true(has_error(ct, "bad.contacts:9: header: key \"ASX\""));
	assert_true(has_error(ct, "bad.contacts:9: header: key "
	    "\"192.0.2.1/24\": host bits set"));
	assert_true(has_error(ct, "bad.contacts:9: header: key \"AS0\": AS 0 "
	    "is reserved"));
	assert_true(has_error(ct, "bad.contacts:11: field colour: unknown "
	    "field"));
	assert_true(has_error(ct, "bad.contacts:12: header: key AS64496 is "
	    "already listed in the stanza at bad.contacts:3"));
	assert_true(has_error(ct, "bad.contacts:14: header: no key"));
	assert_true(has_error(ct, "bad.contacts:15: header: no closing ']'"));
	assert_true(has_error(ct, "bad.contacts:18: field email: "
	    "\"abuse@example..jp\": empty domain label"));
	assert_false(has_error(ct, "bad.contacts:16:"));
	assert_int_equal(st->errors, contacts_nerrors(ct));
	assert_int_equal(st->errors, 11);

	/* invalid e-mail: kept, flagged, address not stored */
	c = contacts_by_as(ct, 64496);
	assert_non_null(c);
	assert_int_equal(c->status, CONTACT_BAD_EMAIL);
	assert_int_equal(c->nemail, 0);
	assert_string_equal(c->org, "Bad Mail Inc.");
	assert_string_equal(contact_status_name(c->status), "invalid e-mail");
	c = contacts_by_as(ct, 64497);
	assert_int_equal(c->status, CONTACT_BAD_ENTRY);
	assert_int_equal(c->nemail, 1);
	/* unknown field is only an error: the stanza stays usable */
	c = contacts_by_as(ct, 64498);
	assert_non_null(c);
	assert_int_equal(c->status, CONTACT_OK);
	a = A("192.0.2.1");
	assert_null(contacts_by_addr(ct, &a, NULL));
	assert_null(contacts_by_as(ct, 64499));
	c = contacts_by_as(ct, 64501);
	assert_int_equal(c->status, CONTACT_BAD_EMAIL);
	assert_int_equal(st->entries, 4);
	assert_int_equal(st->bad_email, 2);
	assert_int_equal(st->bad_entry, 1);
	contacts_free(ct);
}

static void
t_values(void **state)
{
	struct contacts *ct;
	const struct contact *c;
	struct mm_diag d;
	char text[ROUTEVIEW_ID_MAX + 1], big[400];

	(void)state;
	/* no e-mail at all; quoted values with escapes; empty quoted */
	ct = load_str("[AS64496]\norg = \"  Quote \\\"Q\\\" \\\\ #1\"  # c\n"
	    "[AS64497]\norg = \"\"\nemail = a@example.jp\n"
	    "[AS64498]\norg = \"open\nemail = b@example.jp\n"
	    "[AS64499]\norg = \"x\" y\n"
	    "[AS64500]\norg = \"a\\qb\"\n"
	    "[AS64501]\norg = # nothing\n", &d);
	c = contacts_by_as(ct, 64496);
	assert_string_equal(c->org, "  Quote \"Q\" \\ #1");
	assert_int_equal(c->status, CONTACT_NO_EMAIL);
	assert_int_equal(contacts_stats(ct)->no_email, 1);
	assert_int_equal(contacts_by_as(ct, 64497)->status, CONTACT_BAD_ENTRY);
	assert_true(has_error(ct, "t.contacts:4: field org: empty value"));
	assert_true(has_error(ct, "t.contacts:7: field org: unterminated"));
	assert_true(has_error(ct, "t.contacts:10: field org: text after"));
	assert_true(has_error(ct, "t.contacts:12: field org: bad escape"));
	assert_true(has_error(ct, "t.contacts:14: field org: empty value"));
	contacts_free(ct);

	/* ids: explicit, reserved, bad characters, duplicate */
	ct = load_str("[AS64496]\nid = isp-1\nemail = a@example.jp\n"
	    "[AS64497]\nid = unattributed\nemail = a@example.jp\n"
	    "[AS64498]\nid = a/b\nemail = a@example.jp\n"
	    "[AS64499]\nid = isp-1\nemail = a@example.jp\n"
	    "[AS64500]\nid = x\nid = y\nemail = a@example.jp\n", &d);
	assert_string_equal(contacts_by_as(ct, 64496)->id, "isp-1");
	assert_int_equal(contacts_by_as(ct, 64496)->status, CONTACT_OK);
	assert_int_equal(contacts_by_as(ct, 64497)->status, CONTACT_BAD_ENTRY);
	assert_true(has_error(ct, "t.contacts:5: field id: \"unattributed\" "
	    "is reserved"));
	assert_int_equal(contacts_by_as(ct, 64498)->status, CONTACT_BAD_ENTRY);
	assert_int_equal(contacts_by_as(ct, 64499)->status, CONTACT_BAD_ENTRY);
	assert_true(has_error(ct, "t.contacts:10: field id: \"isp-1\" is "
	    "already the id of the stanza at t.contacts:1"));
	assert_true(has_error(ct, "t.contacts:15: field id: given twice "
	    "(first on line 14)"));
	assert_ptr_equal(contacts_by_id(ct, "isp-1"), contacts_by_as(ct,
	    64496));
	contacts_free(ct);

	/* a first key too long to be the id: flagged unless id is given */
	memset(text, 'c', ROUTEVIEW_ID_MAX);
	text[ROUTEVIEW_ID_MAX] = '\0';
	snprintf(big, sizeof(big), "[customer:%s]\nemail = a@example.jp\n"
	    "[customer:%.63sd]\nid = long-one\nemail = a@example.jp\n", text,
	    text);
	ct = load_str(big, &d);
	c = contacts_by_customer(ct, text);
	assert_non_null(c);
	assert_int_equal(c->status, CONTACT_BAD_ENTRY);
	assert_int_equal(strlen(c->id), ATTRIB_ID_MAX);
	assert_true(has_error(ct, "t.contacts:1: header: first key is longer "
	    "than 64 bytes"));
	text[ROUTEVIEW_ID_MAX - 1] = 'd';
	c = contacts_by_customer(ct, text);
	assert_non_null(c);
	assert_int_equal(c->status, CONTACT_OK);
	assert_string_equal(c->id, "long-one");
	contacts_free(ct);

	/* an IPv6 catch-all does not answer for IPv4 addresses */
	ct = load_str("[::/0]\nemail = v6@example.jp\n"
	    "[198.51.100.7]\nemail = host@example.jp\n", &d);
	{
		struct mm_addr a4 = A("192.0.2.1"), a6 = A("2001:db8::1");
		struct mm_addr h = A("198.51.100.7");
		struct mm_prefix m;

		assert_null(contacts_by_addr(ct, &a4, NULL));
		assert_non_null(contacts_by_addr(ct, &a6, NULL));
		assert_string_equal(contacts_by_addr(ct, &h, &m)->id,
		    "198.51.100.7/32");
		assert_int_equal(m.len, 128);
	}
	contacts_free(ct);

	/* e-mail lists: commas, separate lines, caps, empty member */
	ct = load_str("[AS64496]\nemail = a@example.jp,b@example.jp\n"
	    "email = c@example.jp\n"
	    "[AS64497]\nemail = a@example.jp, b@example.jp, c@example.jp, "
	    "d@example.jp, e@example.jp\n"
	    "[AS64498]\nemail = a@example.jp,,b@example.jp\n"
	    "[AS64499]\nemail = ok@example.jp\nemail = bad@@example.jp\n"
	    "[AS64500]\nformat = pdf\nemail = bad@example\n", &d);
	c = contacts_by_as(ct, 64496);
	assert_int_equal(c->nemail, 3);
	assert_string_equal(c->email[2], "c@example.jp");
	assert_int_equal(c->status, CONTACT_OK);
	c = contacts_by_as(ct, 64497);
	assert_int_equal(c->nemail, CONTACTS_MAX_EMAILS);
	assert_int_equal(c->status, CONTACT_BAD_ENTRY);
	assert_true(has_error(ct, "t.contacts:5: field email: more than 4"));
	assert_int_equal(contacts_by_as(ct, 64498)->status, CONTACT_BAD_EMAIL);
	assert_int_equal(contacts_by_as(ct, 64499)->status, CONTACT_BAD_EMAIL);
	assert_int_equal(contacts_by_as(ct, 64499)->nemail, 1);
	/* an invalid address outranks another bad field */
	assert_int_equal(contacts_by_as(ct, 64500)->status, CONTACT_BAD_EMAIL);
	assert_true(has_error(ct, "field format: \"pdf\": not csv, xarf or "
	    "both"));
	assert_true(has_error(ct, "field email: \"bad@example\": domain has "
	    "a single label"));
	contacts_free(ct);
}

static void
t_utf8(void **state)
{
	struct contacts *ct;
	const struct contact *c;
	struct mm_diag d;
	char org[200], text[800];

	(void)state;
	/* 3-byte characters: 42 fit in 128 bytes (126), 43 do not (129) */
	memset(org, 0, sizeof(org));
	for (int i = 0; i < 42; i++)
		memcpy(org + 3 * i, "株", 3);
	snprintf(text, sizeof(text), "[AS64496]\norg = %s\nemail = "
	    "a@example.jp\n[AS64497]\norg = %s株\nemail = a@example.jp\n",
	    org, org);
	ct = load_str(text, &d);
	c = contacts_by_as(ct, 64496);
	assert_string_equal(c->org, org);
	assert_int_equal(c->status, CONTACT_OK);
	assert_int_equal(contacts_by_as(ct, 64497)->status, CONTACT_BAD_ENTRY);
	assert_true(has_error(ct, "t.contacts:5: field org: longer than 128 "
	    "bytes"));
	contacts_free(ct);

	/* invalid UTF-8: stray continuation, overlong, surrogate, C1, tab */
	ct = load_str("[AS64496]\norg = a\x80z\nemail = a@example.jp\n"
	    "[AS64497]\norg = \xc0\xafz\nemail = a@example.jp\n"
	    "[AS64498]\nisp = \xed\xa0\x80\nemail = a@example.jp\n"
	    "[AS64499]\norg = a\xc2\x85z\nemail = a@example.jp\n"
	    "[AS64500]\norg = a\tb\nemail = a@example.jp\n"
	    "[AS64501]\norg = 半角ｶﾅ and 漢字 — ok\nemail = a@example.jp\n"
	    "[AS64502]\norg = cut\xe6\xa0\nemail = a@example.jp\n", &d);
	assert_int_equal(contacts_by_as(ct, 64496)->status, CONTACT_BAD_ENTRY);
	assert_true(has_error(ct, "t.contacts:2: field org: invalid UTF-8 or "
	    "control byte at value byte 2"));
	assert_int_equal(contacts_by_as(ct, 64497)->status, CONTACT_BAD_ENTRY);
	assert_int_equal(contacts_by_as(ct, 64498)->status, CONTACT_BAD_ENTRY);
	assert_true(has_error(ct, "t.contacts:8: field isp: invalid UTF-8"));
	assert_int_equal(contacts_by_as(ct, 64499)->status, CONTACT_BAD_ENTRY);
	assert_int_equal(contacts_by_as(ct, 64500)->status, CONTACT_BAD_ENTRY);
	assert_int_equal(contacts_by_as(ct, 64501)->status, CONTACT_OK);
	assert_string_equal(contacts_by_as(ct, 64501)->org,
	    "半角ｶﾅ and 漢字 — ok");
	assert_int_equal(contacts_by_as(ct, 64502)->status, CONTACT_BAD_ENTRY);
	/* messages stay valid UTF-8 even when showing bad bytes */
	contacts_free(ct);

	/* customer ids may be UTF-8; non-ASCII e-mail is rejected */
	ct = load_str("[customer:顧客-7]\nemail = a@example.jp\n"
	    "[AS64496]\nemail = 窓口@example.jp\n", &d);
	assert_non_null(contacts_by_customer(ct, "顧客-7"));
	assert_string_equal(contacts_by_customer(ct, "顧客-7")->id,
	    "customer:顧客-7");
	assert_int_equal(contacts_by_as(ct, 64496)->status, CONTACT_BAD_EMAIL);
	assert_true(has_error(ct, "non-ASCII byte"));
	contacts_free(ct);
}

static void
t_lines(void **state)
{
	static const char nul[] = "[AS64496]\nemail = a@ex\0ample.jp\n"
	    "junk\n= x\n"
	    "[AS64497-AS64496 AS64498-AS65600 AS4294967296 AS1x "
	    "customer: 2001:db8::/129 host]\n"
	    "[AS64499-64500 as64501 AS4294967295 2001:DB8::/48]\n"
	    "email = c@example.jp\n";
	struct contacts *ct;
	struct mm_diag d;
	char *text;
	size_t n;

	(void)state;
	/* a line of exactly CONTACTS_MAX_LINE bytes is read; one more is
	 * not (and flags the open stanza) */
	text = malloc(4 * CONTACTS_MAX_LINE);
	assert_non_null(text);
	n = (size_t)sprintf(text, "[AS64496]\nemail = a@example.jp\n# ");
	memset(text + n, 'x', CONTACTS_MAX_LINE - 2);
	n += CONTACTS_MAX_LINE - 2;
	n += (size_t)sprintf(text + n, "\n[AS64497]\nemail = b@example.jp\n"
	    "#");
	memset(text + n, 'y', CONTACTS_MAX_LINE);
	n += CONTACTS_MAX_LINE;
	text[n] = '\0';
	ct = load_str(text, &d);
	assert_int_equal(contacts_by_as(ct, 64496)->status, CONTACT_OK);
	assert_int_equal(contacts_by_as(ct, 64497)->status, CONTACT_BAD_ENTRY);
	assert_true(has_error(ct, "t.contacts:6: line longer than 1024 "
	    "bytes"));
	assert_string_equal(d.msg, "t.contacts:6: line longer than 1024 bytes "
	    "(skipped)");
	contacts_free(ct);
	free(text);

	/* NUL byte, garbage lines, key syntax */
	ct = contacts_new();
	assert_int_equal(contacts_load_mem(ct, "dir/n.contacts", nul,
	    sizeof(nul) - 1, &d), 0);
	assert_true(has_error(ct, "n.contacts:2: NUL byte"));
	assert_true(has_error(ct, "n.contacts:3: expected \"[keys]\""));
	assert_true(has_error(ct, "n.contacts:4: expected"));
	assert_true(has_error(ct, "key \"AS64497-AS64496\": AS range must "
	    "be ascending"));
	assert_true(has_error(ct, "key \"AS64498-AS65600\": AS range"));
	assert_true(has_error(ct, "key \"AS4294967296\": bad AS number"));
	assert_true(has_error(ct, "key \"AS1x\": bad AS number"));
	assert_true(has_error(ct, "key \"customer:\": customer id"));
	assert_true(has_error(ct, "key \"2001:db8::/129\": bad prefix"));
	assert_true(has_error(ct, "key \"host\": not AS<n>"));
	assert_true(has_error(ct, "n.contacts:6: header: key \"AS64499-64500\""
	    ": bad AS range"));
	assert_int_equal(contacts_by_as(ct, 64496)->status, CONTACT_BAD_ENTRY);
	assert_non_null(contacts_by_as(ct, 64501));
	assert_non_null(contacts_by_as(ct, 4294967295u));
	assert_string_equal(contacts_by_as(ct, 64501)->id, "AS64501");
	assert_int_equal(contacts_by_as(ct, 64501)->status, CONTACT_OK);
	contacts_free(ct);
}

static void
t_caps(void **state)
{
	struct contacts *ct;
	struct mm_diag d;
	char *text, *p;
	unsigned i;

	(void)state;
	/* entries: one more than the cap gives MM_ELIMIT, the rest kept */
	text = malloc((CONTACTS_MAX_ENTRIES + 1) * 16 + 1);
	assert_non_null(text);
	for (i = 0, p = text; i <= CONTACTS_MAX_ENTRIES; i++)
		p += sprintf(p, "[AS%u]\n", 100000 + i);
	ct = contacts_new();
	assert_int_equal(contacts_load_mem(ct, "big", text, strlen(text), &d),
	    MM_ELIMIT);
	assert_non_null(strstr(d.msg, "more than 65536 stanzas"));
	assert_int_equal(contacts_count(ct), CONTACTS_MAX_ENTRIES);
	assert_non_null(contacts_by_as(ct, 100000));
	assert_null(contacts_by_as(ct, 100000 + CONTACTS_MAX_ENTRIES));
	contacts_free(ct);
	free(text);

	/* keys: AS ranges of 1024, 1025 stanzas */
	text = malloc(1025 * 40 + 1);
	assert_non_null(text);
	for (i = 0, p = text; i < 1025; i++)
		p += sprintf(p, "[AS%u-AS%u]\n", 1 + 1024 * i, 1024 + 1024 * i);
	ct = contacts_new();
	assert_int_equal(contacts_load_mem(ct, "keys", text, strlen(text), &d),
	    MM_ELIMIT);
	assert_int_equal(contacts_stats(ct)->keys, CONTACTS_MAX_KEYS);
	assert_non_null(contacts_by_as(ct, 1024 * 1024));
	assert_null(contacts_by_as(ct, 1024 * 1024 + 1));
	contacts_free(ct);
	free(text);

	/* keys per header */
	text = malloc(70 * 12 + 8);
	assert_non_null(text);
	p = text;
	*p++ = '[';
	for (i = 0; i < 70; i++)
		p += sprintf(p, "AS%u ", 64496 + i);
	strcpy(p, "]\nemail = a@example.jp\n");
	ct = load_str(text, &d);
	assert_true(has_error(ct, "header: more than 64 keys"));
	assert_non_null(contacts_by_as(ct, 64496 + 63));
	assert_null(contacts_by_as(ct, 64496 + 64));
	contacts_free(ct);
	free(text);

	/* error messages kept are capped, all are counted */
	text = malloc(100 * 8 + 1);
	for (i = 0, p = text; i < 100; i++)
		p += sprintf(p, "junk\n");
	ct = load_str(text, &d);
	assert_int_equal(contacts_nerrors(ct), CONTACTS_MAX_ERRORS);
	assert_int_equal(contacts_stats(ct)->errors, 100);
	assert_null(contacts_error(ct, CONTACTS_MAX_ERRORS));
	contacts_free(ct);
	free(text);
}

static void
t_io_null(void **state)
{
	struct contacts *ct = contacts_new();
	struct mm_diag d;

	(void)state;
	assert_int_equal(contacts_load(ct, DATA "does-not-exist", &d),
	    MM_EIO);
	assert_non_null(strstr(d.msg, "does-not-exist"));
	assert_int_equal(contacts_load(NULL, DATA "good.contacts", &d),
	    MM_EINVAL);
	assert_int_equal(contacts_load_mem(ct, "x", NULL, 0, NULL), 0);
	assert_int_equal(contacts_load_mem(ct, "x", "", 0, &d), 0);
	assert_int_equal(contacts_load_mem(ct, "x", NULL, 3, &d), MM_EINVAL);
	assert_int_equal(contacts_load(ct, MAMORI_SRCDIR "/tests/attrib/data",
	    &d), MM_EIO);
	assert_null(contacts_by_as(NULL, 1));
	assert_null(contacts_by_customer(NULL, "x"));
	assert_null(contacts_by_customer(ct, NULL));
	assert_null(contacts_by_addr(NULL, NULL, NULL));
	assert_null(contacts_by_id(NULL, "x"));
	assert_null(contacts_by_id(ct, NULL));
	assert_null(contacts_get(ct, 0));
	assert_int_equal(contacts_count(NULL), 0);
	assert_non_null(contacts_stats(NULL));
	assert_int_equal(contacts_nerrors(NULL), 0);
	assert_null(contacts_error(NULL, 0));
	contacts_free(ct);
	contacts_free(NULL);
}

static void
t_example(void **state)
{
	struct contacts *ct = contacts_new();
	struct mm_diag d;
	size_t i, ok = 0;

	(void)state;
	assert_int_equal(contacts_load(ct, MAMORI_SRCDIR
	    "/data/notify/contacts.example", &d), 0);
	for (i = 0; i < contacts_nerrors(ct); i++)
		print_message("  %s\n", contacts_error(ct, i));
	assert_int_equal(contacts_stats(ct)->errors, 0);
	assert_true(contacts_count(ct) >= 3);
	for (i = 0; i < contacts_count(ct); i++)
		if (contacts_get(ct, i)->status == CONTACT_OK)
			ok++;
	assert_int_equal(ok, contacts_count(ct));
	contacts_free(ct);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(t_email_syntax),
		cmocka_unit_test(t_good_file),
		cmocka_unit_test(t_bad_file),
		cmocka_unit_test(t_values),
		cmocka_unit_test(t_utf8),
		cmocka_unit_test(t_lines),
		cmocka_unit_test(t_caps),
		cmocka_unit_test(t_io_null),
		cmocka_unit_test(t_example),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
