/*
 * test_mail.c - the MIME message builder (src/notify/mail.h): base64 and
 * quoted-printable, RFC 2047 encoded words (length, folding, whole UTF-8
 * characters, decode back), RFC 5322 dates, RFC 2231 file names, header
 * injection refused, caps, and a whole message: CRLF only, header lines
 * <= 78, body lines <= 76.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "notify/mail.h"

static void
test_base64(void **state)
{
	static const struct { const char *in, *out; } v[] = {
		{ "", "" }, { "f", "Zg==" }, { "fo", "Zm8=" },
		{ "foo", "Zm9v" }, { "foob", "Zm9vYg==" },
		{ "fooba", "Zm9vYmE=" }, { "foobar", "Zm9vYmFy" },
	};
	unsigned char raw[1000], *dec;
	char *enc;
	size_t i, el, dl;

	(void)state;
	for (i = 0; i < sizeof(v) / sizeof(*v); i++) {
		assert_int_equal(mail_b64_encode(v[i].in, strlen(v[i].in), 0,
		    &enc, &el), 0);
		assert_string_equal(enc, v[i].out);
		assert_int_equal(mail_b64_decode(enc, el, &dec, &dl), 0);
		assert_int_equal(dl, strlen(v[i].in));
		assert_memory_equal(dec, v[i].in, dl);
		free(enc);
		free(dec);
	}
	for (i = 0; i < sizeof(raw); i++)
		raw[i] = (unsigned char)(i * 7 + 3);
	assert_int_equal(mail_b64_encode(raw, sizeof(raw), 76, &enc, &el), 0);
	{
		char *p = enc, *nl;

		while ((nl = strstr(p, "\r\n")) != NULL) {
			assert_true(nl - p <= 76);
			p = nl + 2;
		}
		assert_int_equal(*p, '\0');
	}
	assert_int_equal(mail_b64_decode(enc, el, &dec, &dl), 0);
	assert_int_equal(dl, sizeof(raw));
	assert_memory_equal(dec, raw, dl);
	free(enc);
	free(dec);
	assert_int_equal(mail_b64_decode("Zm9=v", 5, &dec, &dl), MM_EFORMAT);
	assert_int_equal(mail_b64_decode("Zm9", 3, &dec, &dl), MM_EFORMAT);
	assert_int_equal(mail_b64_decode("Zm*v", 4, &dec, &dl), MM_EFORMAT);
}

static void
test_qp(void **state)
{
	const char *in = "caf\xc3\xa9 = ok \r\ntrailing space \r\n"
	    "a long line aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa end\r\n\ttab\r\n";
	unsigned char *dec;
	char *enc, *p, *nl;
	size_t el, dl;

	(void)state;
	assert_int_equal(mail_qp_encode(in, strlen(in), &enc, &el), 0);
	assert_non_null(strstr(enc, "caf=C3=A9 =3D ok=20\r\n"));
	assert_non_null(strstr(enc, "trailing space=20\r\n"));
	for (p = enc; (nl = strstr(p, "\r\n")) != NULL; p = nl + 2)
		assert_true(nl - p <= 76);
	assert_int_equal(mail_qp_decode(enc, el, &dec, &dl), 0);
	assert_int_equal(dl, strlen(in));
	assert_memory_equal(dec, in, dl);
	free(enc);
	free(dec);
}

/* Unfolds a header block (one field) and returns the value after "Name: ". */
static char *
unfold_value(const char *hdr)
{
	const char *c = strchr(hdr, ':');
	char *o = malloc(strlen(hdr) + 1), *q = o;

	for (c += 2; *c != '\0'; c++)
		if (*c != '\r' && *c != '\n')
			*q++ = *c;
	*q = '\0';
	return o;
}

static void
check_encoded_words(const char *hdr)
{
	const char *p = hdr;

	/* every encoded word <= 75 chars and decodes to whole UTF-8 */
	while ((p = strstr(p, "=?UTF-8?B?")) != NULL) {
		const char *e = strstr(p + 10, "?=");
		unsigned char *dec;
		size_t dl, i;

		assert_non_null(e);
		assert_true(e + 2 - p <= 75);
		assert_int_equal(mail_b64_decode(p + 10, (size_t)(e - p - 10),
		    &dec, &dl), 0);
		for (i = 0; i < dl;) {
			size_t l = dec[i] < 0x80 ? 1 : dec[i] < 0xE0 ? 2 :
			    dec[i] < 0xF0 ? 3 : 4;

			assert_true(dec[i] < 0x80 || dec[i] >= 0xC0);
			assert_true(i + l <= dl);
			i += l;
		}
		free(dec);
		p = e + 2;
	}
}

static void
check_lines(const char *s, size_t max)
{
	const char *p = s, *nl;

	while ((nl = strstr(p, "\r\n")) != NULL) {
		const char *q;

		if ((size_t)(nl - p) > max)
			fail_msg("line over %zu: %.*s", max, (int)(nl - p), p);
		for (q = p; q < nl; q++)
			assert_true(*q != '\r' && *q != '\n');
		p = nl + 2;
	}
	for (; *p != '\0'; p++)
		assert_true(*p != '\r' && *p != '\n');
}

static void
test_header_encode(void **state)
{
	static const char *subjects[] = {
		"Plain ASCII subject",
		("A fairly long ASCII subject line that certainly needs to be "
		    "folded somewhere because it is far longer than seventy-"
		    "eight characters"),
		("【注意喚起】貴組織のネットワークで確認されたセキュリティ上の"
		    "問題について（12件、2026-11-25〜2026-11-26）"),
		"Mixed 日本語 and ASCII with emoji \xf0\x9f\x98\x80 at the end",
		"Looks like =?UTF-8?B?encoded?= but is not",
		"é",
	};
	struct mm_diag d;
	size_t i;
	char *h, *v, *dec;

	(void)state;
	for (i = 0; i < sizeof(subjects) / sizeof(*subjects); i++) {
		assert_int_equal(mail_header_encode("Subject", subjects[i], &h,
		    &d), 0);
		check_lines(h, MAIL_LINE_MAX);
		check_encoded_words(h);
		v = unfold_value(h);
		assert_int_equal(mail_header_decode(v, &dec), 0);
		assert_string_equal(dec, subjects[i]);
		free(v);
		free(dec);
		free(h);
	}
	/* long field names leave little room on the first line */
	{
		char name[65];
		int k;

		for (k = 40; k <= 64; k++) {
			memset(name, 'X', (size_t)k);
			name[k] = '\0';
			assert_int_equal(mail_header_encode(name,
			    "\xf0\x9f\x98\x80\xf0\x9f\x98\x80 日本", &h, &d), 0);
			check_lines(h, MAIL_LINE_MAX);
			check_encoded_words(h);
			free(h);
		}
	}
	assert_int_equal(mail_header_encode("Subject", "a\r\nBcc: x@y", &h,
	    &d), MM_EINVAL);
	assert_int_equal(mail_header_encode("Subject", "a\nb", &h, &d),
	    MM_EINVAL);
	assert_int_equal(mail_header_encode("Subject", "\xff\xfe", &h, &d),
	    MM_EINVAL);
	assert_int_equal(mail_header_encode("Bad Name", "x", &h, &d),
	    MM_EINVAL);
	/* Q words decode too */
	assert_int_equal(mail_header_decode("=?utf-8?q?caf=C3=A9_ok?= "
	    "=?UTF-8?B?5pel?=", &dec), 0);
	assert_string_equal(dec, "caf\xc3\xa9 ok\xe6\x97\xa5");
	free(dec);
	assert_int_equal(mail_header_decode("=?ISO-2022-JP?B?GyRC?=", &dec),
	    MM_EUNSUP);
}

static void
test_date(void **state)
{
	char buf[40];
	mtime_t t;

	(void)state;
	assert_int_equal(mtime_parse("2026-11-26T06:39:30Z", &t), 0);
	assert_string_equal(mail_date_fmt(t, 540, buf, sizeof(buf)),
	    "Thu, 26 Nov 2026 15:39:30 +0900");
	assert_string_equal(mail_date_fmt(t, 0, buf, sizeof(buf)),
	    "Thu, 26 Nov 2026 06:39:30 +0000");
	assert_string_equal(mail_date_fmt(t, -300, buf, sizeof(buf)),
	    "Thu, 26 Nov 2026 01:39:30 -0500");
	assert_int_equal(mtime_parse("2000-02-29T23:59:59Z", &t), 0);
	assert_string_equal(mail_date_fmt(t, 60, buf, sizeof(buf)),
	    "Wed, 1 Mar 2000 00:59:59 +0100");
	assert_null(mail_date_fmt(t, 0, buf, 10));
}

static void
test_addr(void **state)
{
	(void)state;
	assert_true(mail_addr_valid("abuse@example.jp", NULL));
	assert_true(mail_addr_valid("a.b+c@sub.example-isp.jp", NULL));
	assert_true(mail_addr_valid("x@[192.0.2.1]", NULL));
	assert_false(mail_addr_valid("", NULL));
	assert_false(mail_addr_valid("noat", NULL));
	assert_false(mail_addr_valid("a@b\r\nBcc: c@d", NULL));
	assert_false(mail_addr_valid("a b@c", NULL));
	assert_false(mail_addr_valid("<a@b>", NULL));
	assert_false(mail_addr_valid("a@b,c@d", NULL));
	assert_false(mail_addr_valid(".a@b", NULL));
	assert_false(mail_addr_valid("a..b@c", NULL));
	assert_false(mail_addr_valid("a@-b.c", NULL) &&
	    mail_addr_valid("a@b..c", NULL));
	assert_false(mail_addr_valid("\xe3\x81\x82@example.jp", NULL));
}

static int
refuse_example_org(const char *a, void *arg)
{
	(*(int *)arg)++;
	return strstr(a, "@example.org") == NULL;
}

static void
base_msg(struct mail_msg *m, const char *const *to)
{
	static const char body[] = "line one\nline two\r\nこんにちは\n";
	static const char csv[] = "timestamp,ip\r\n2026-11-25 00:00:00,"
	    "192.0.2.1\r\n";
	static struct mail_part parts[2];

	memset(m, 0, sizeof(*m));
	m->from = "notice@mamori.example";
	m->from_name = "mamori 通知システム";
	m->to = to;
	m->nto = 1;
	m->subject = "【注意喚起】テスト";
	m->date = 1795675170000LL;
	m->tz_min = 540;
	m->message_id = "<1.test@mamori.example>";
	m->boundary = "=_mamori_test_boundary";
	m->body = body;
	m->body_len = sizeof(body) - 1;
	m->body_cte = MAIL_CTE_BASE64;
	parts[0].content_type = "text/csv";
	parts[0].text = 1;
	parts[0].filename = "2026-11-25-scan_telnet.csv";
	parts[0].data = csv;
	parts[0].len = sizeof(csv) - 1;
	parts[1].content_type = "text/csv";
	parts[1].text = 1;
	parts[1].filename = "報告書_とても長いファイル名になってしまった場合の"
	    "テスト用のファイル名.csv";
	parts[1].data = csv;
	parts[1].len = sizeof(csv) - 1;
	m->parts = parts;
	m->nparts = 2;
}

static void
test_build(void **state)
{
	const char *to[] = { "abuse@example.jp" };
	struct mail_msg m;
	struct mm_diag d;
	char *out, *hdr_end;
	size_t len;
	int calls = 0;

	(void)state;
	base_msg(&m, to);
	assert_int_equal(mail_build(&m, refuse_example_org, &calls, &out,
	    &len, &d), 0);
	assert_int_equal(calls, 2);		/* From and To */
	assert_int_equal(strlen(out), len);
	hdr_end = strstr(out, "\r\n\r\n");
	assert_non_null(hdr_end);
	*hdr_end = '\0';
	check_lines(out, MAIL_LINE_MAX);
	check_encoded_words(out);
	assert_non_null(strstr(out, "\r\nDate: Thu, 26 Nov 2026 15:39:30 "
	    "+0900\r\n"));
	assert_non_null(strstr(out, "\r\nAuto-Submitted: auto-generated\r\n"));
	assert_non_null(strstr(out, "\r\nMIME-Version: 1.0\r\n"));
	assert_non_null(strstr(out, "To: abuse@example.jp\r\n"));
	assert_non_null(strstr(out, "<notice@mamori.example>"));
	*hdr_end = '\r';
	check_lines(out, MAIL_LINE_MAX);
	assert_non_null(strstr(out, "filename=\"2026-11-25-scan_telnet.csv\""));
	assert_non_null(strstr(out, "filename*0*=UTF-8''%E5%A0%B1"));
	assert_non_null(strstr(out, "filename*1*="));
	assert_non_null(strstr(out, "\r\n--=_mamori_test_boundary--\r\n"));
	free(out);

	/* quoted-printable body */
	m.body_cte = MAIL_CTE_QP;
	assert_int_equal(mail_build(&m, NULL, NULL, &out, &len, &d), 0);
	assert_non_null(strstr(out, "Content-Transfer-Encoding: "
	    "quoted-printable\r\n\r\nline one\r\nline two\r\n=E3=81=93"));
	check_lines(out, MAIL_LINE_MAX);
	free(out);

	/* random boundary */
	m.boundary = NULL;
	assert_int_equal(mail_build(&m, NULL, NULL, &out, &len, &d), 0);
	assert_non_null(strstr(out, "boundary=\"=_mamori_"));
	free(out);
}

static void
test_injection(void **state)
{
	const char *to[] = { "abuse@example.jp" };
	const char *bad_to[] = { "abuse@example.jp\r\nBcc: x@evil.example" };
	const char *refused[] = { "abuse@example.org" };
	struct mail_header h[1];
	struct mail_msg m;
	struct mm_diag d;
	char *out = (char *)1;
	size_t len;
	int calls = 0;

	(void)state;
	base_msg(&m, to);
	m.subject = "hello\r\nBcc: x@evil.example";
	assert_int_equal(mail_build(&m, NULL, NULL, &out, &len, &d),
	    MM_EINVAL);
	assert_null(out);
	assert_non_null(strstr(d.msg, "Subject"));

	base_msg(&m, bad_to);
	assert_int_equal(mail_build(&m, NULL, NULL, &out, &len, &d),
	    MM_EINVAL);

	base_msg(&m, refused);
	assert_int_equal(mail_build(&m, refuse_example_org, &calls, &out,
	    &len, &d), MM_EINVAL);

	base_msg(&m, to);
	m.from_name = "Evil\nBcc: x@evil.example";
	assert_int_equal(mail_build(&m, NULL, NULL, &out, &len, &d),
	    MM_EINVAL);

	base_msg(&m, to);
	h[0].name = "X-Report";
	h[0].value = "ok\rBcc: x";
	m.headers = h;
	m.nheaders = 1;
	assert_int_equal(mail_build(&m, NULL, NULL, &out, &len, &d),
	    MM_EINVAL);
	h[0].name = "Bcc";
	h[0].value = "x@evil.example";
	assert_int_equal(mail_build(&m, NULL, NULL, &out, &len, &d),
	    MM_EINVAL);
	h[0].name = "X-Report: y";
	assert_int_equal(mail_build(&m, NULL, NULL, &out, &len, &d),
	    MM_EINVAL);
	h[0].name = "X-Mamori-Report";
	h[0].value = "scan_telnet 日本語";
	if (mail_build(&m, NULL, NULL, &out, &len, &d) != 0)
		fail_msg("%s", d.msg);
	assert_non_null(strstr(out, "\r\nX-Mamori-Report: =?UTF-8?B?"));
	free(out);

	base_msg(&m, to);
	m.message_id = "<a@b>\r\nBcc: x";
	assert_int_equal(mail_build(&m, NULL, NULL, &out, &len, &d),
	    MM_EINVAL);
	m.message_id = "no-brackets@x";
	assert_int_equal(mail_build(&m, NULL, NULL, &out, &len, &d),
	    MM_EINVAL);

	base_msg(&m, to);
	m.boundary = "bad\r\nboundary";
	assert_int_equal(mail_build(&m, NULL, NULL, &out, &len, &d),
	    MM_EINVAL);
	m.boundary = "sep";	/* occurs in the QP body */
	m.body = "text\n--sep\nmore\n";
	m.body_len = strlen(m.body);
	m.body_cte = MAIL_CTE_QP;
	assert_int_equal(mail_build(&m, NULL, NULL, &out, &len, &d),
	    MM_EINVAL);
	assert_non_null(strstr(d.msg, "boundary"));
	{
		static const char foo[] = "foofoofoo";
		struct mail_part p = { "application/octet-stream", 0,
		    "x.bin", foo, sizeof(foo) - 1 };

		m.parts = &p;
		m.nparts = 1;
		p.content_type = "text/csv\r\nX: y";
		m.boundary = NULL;
		assert_int_equal(mail_build(&m, NULL, NULL, &out, &len, &d),
		    MM_EINVAL);
		p.content_type = "text/csv";
		p.filename = "a\nb.csv";
		assert_int_equal(mail_build(&m, NULL, NULL, &out, &len, &d),
		    MM_EINVAL);
	}
	base_msg(&m, to);
	m.body = "\xff\xfe";
	m.body_len = 2;
	assert_int_equal(mail_build(&m, NULL, NULL, &out, &len, &d),
	    MM_EINVAL);
}

static void
test_caps(void **state)
{
	const char *to[] = { "abuse@example.jp" };
	struct mail_part *p;
	struct mail_msg m;
	struct mm_diag d;
	char *out;
	size_t len;

	(void)state;
	base_msg(&m, to);
	p = calloc(MAIL_MAX_PARTS + 1, sizeof(*p));
	m.parts = p;
	m.nparts = MAIL_MAX_PARTS + 1;
	assert_int_equal(mail_build(&m, NULL, NULL, &out, &len, &d),
	    MM_ELIMIT);
	m.nparts = 1;
	p[0].content_type = "application/octet-stream";
	p[0].data = "x";
	p[0].len = MAIL_MAX_PART + 1;
	assert_int_equal(mail_build(&m, NULL, NULL, &out, &len, &d),
	    MM_ELIMIT);
	free(p);
	{
		const char *many[MAIL_MAX_RCPTS + 1];
		size_t i;

		for (i = 0; i <= MAIL_MAX_RCPTS; i++)
			many[i] = "abuse@example.jp";
		base_msg(&m, many);
		m.nto = MAIL_MAX_RCPTS + 1;
		assert_int_equal(mail_build(&m, NULL, NULL, &out, &len, &d),
		    MM_ELIMIT);
		m.nto = MAIL_MAX_RCPTS;
		assert_int_equal(mail_build(&m, NULL, NULL, &out, &len, &d),
		    0);
		check_lines(out, MAIL_LINE_MAX);
		free(out);
	}
}

static void
test_ids(void **state)
{
	char b1[64], b2[64], id[128];

	(void)state;
	assert_int_equal(mail_boundary_make(b1, sizeof(b1)), 0);
	assert_int_equal(mail_boundary_make(b2, sizeof(b2)), 0);
	assert_string_not_equal(b1, b2);
	assert_int_equal(strlen(b1), 41);
	assert_int_equal(mail_message_id_make("mamori.example", 1, id,
	    sizeof(id)), 0);
	assert_true(id[0] == '<' && strstr(id, "@mamori.example>") != NULL);
	assert_int_equal(mail_message_id_make("bad domain", 1, id,
	    sizeof(id)), MM_EINVAL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_base64),
		cmocka_unit_test(test_qp),
		cmocka_unit_test(test_header_encode),
		cmocka_unit_test(test_date),
		cmocka_unit_test(test_addr),
		cmocka_unit_test(test_build),
		cmocka_unit_test(test_injection),
		cmocka_unit_test(test_caps),
		cmocka_unit_test(test_ids),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
