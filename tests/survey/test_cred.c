/*
 * test_cred.c - the credential check without a network: the credentials
 * file parser (format, caps, file:line diagnostics that never echo a
 * field), the shipped Mirai list (ids mirai-01..10 equal the lab's pairs),
 * and the telnet and HTTP Basic/Digest check machines fed with scripted
 * byte streams.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "core/err.h"
#include "survey/cred.h"
#include "survey/http.h"
#include "survey/telnet.h"

static int
parse(const char *s, struct cred_list **l, struct mm_diag *d)
{
	return cred_list_parse("t.creds", (const uint8_t *)s, strlen(s), l, d);
}

static void
test_parse_ok(void **state)
{
	struct cred_list *l;
	struct mm_diag d;

	(void)state;
	assert_int_equal(parse("# comment\n\n  # indented comment\n"
	    "a-1\troot\txc3511\r\n"
	    "b.2  admin  \"\"  \n"
	    "c_3 \"us er\" \"p\\\"w#d\\\\\"\n"
	    "d4 guest pass#word", &l, &d), 0);
	assert_int_equal(l->n, 4);
	assert_string_equal(l->v[0].id, "a-1");
	assert_string_equal(l->v[0].user, "root");
	assert_string_equal(l->v[0].pass, "xc3511");
	assert_string_equal(l->v[1].pass, "");
	assert_string_equal(l->v[2].user, "us er");
	assert_string_equal(l->v[2].pass, "p\"w#d\\");
	assert_int_equal(cred_list_find(l, "c_3"), 2);
	assert_int_equal(cred_list_find(l, "zz"), -1);
	cred_list_free(l);
	cred_list_free(NULL);
}

/* A failing input: the code, the line in the diag, and no field bytes. */
static void
bad(const char *in, int want, const char *where, const char *secret)
{
	struct cred_list *l = (struct cred_list *)1;
	struct mm_diag d;

	memset(&d, 0, sizeof(d));
	assert_int_equal(parse(in, &l, &d), want);
	assert_null(l);
	if (strstr(d.msg, where) == NULL)
		fail_msg("diag \"%s\" lacks \"%s\"", d.msg, where);
	if (secret != NULL && strstr(d.msg, secret) != NULL)
		fail_msg("diag \"%s\" echoes a field", d.msg);
}

static void
test_parse_errors(void **state)
{
	char *big;
	size_t i, o;

	(void)state;
	bad("a root\n", MM_ESYNTAX, "t.creds:1:", "root");
	bad("# x\na root s3cret extra\n", MM_ESYNTAX, "t.creds:2:", "s3cret");
	bad("a root \"s3cret\n", MM_ESYNTAX, "t.creds:1: field 3", "s3cret");
	bad("a root s3c\"ret\n", MM_ESYNTAX, "field 3", "s3c");
	bad("a root \"s3\\nret\"\n", MM_ESYNTAX, "bad escape", "s3");
	bad("a ro:ot s3cret\n", MM_ESYNTAX, "field 2 (user)", "ro:ot");
	bad("a \"\" s3cret\n", MM_ESYNTAX, "field 2 (user): empty", "s3cret");
	bad("a/b root s3cret\n", MM_ESYNTAX, "field 1 (id)", "s3cret");
	bad("a root s3\x01x\n", MM_ESYNTAX, "printable", "s3");
	bad("a root s3\xc3\xa9x\n", MM_ESYNTAX, "printable", "s3");
	bad("a root x\na admin y\n", MM_ESYNTAX, "t.creds:2: field 1 (id): "
	    "duplicate", "admin");
	bad("a root \"s3cret\"x\n", MM_ESYNTAX, "after the closing quote",
	    "s3cret");
	bad("# only comments\n\n", MM_EFORMAT, "no credential pair", NULL);
	bad("", MM_EFORMAT, "no credential pair", NULL);
	/* field cap */
	bad("a root 0123456789012345678901234567890123456789012345678901234"
	    "567890123456789\n", MM_ELIMIT,
	    "field 3 (password): longer than 63", "0123456789");
	bad("0123456789012345678901234567890123 root x\n", MM_ELIMIT,
	    "field 1 (id): longer than 31", NULL);
	/* NUL byte */
	{
		static const char nul[] = "a root x\nb ro\0ot y\n";
		struct cred_list *l;
		struct mm_diag d;

		assert_int_equal(cred_list_parse("t.creds",
		    (const uint8_t *)nul, sizeof(nul) - 1, &l, &d),
		    MM_ESYNTAX);
		assert_non_null(strstr(d.msg, "t.creds:2: NUL"));
	}
	/* line cap */
	big = malloc(CRED_LINE_MAX + 64);
	assert_non_null(big);
	memcpy(big, "a root ", 7);
	for (o = 7; o < CRED_LINE_MAX + 8; o++)
		big[o] = ' ';
	memcpy(big + o, "x\n", 3);
	bad(big, MM_ELIMIT, "t.creds:1: line longer than 1024", NULL);
	free(big);
	/* pair cap */
	big = malloc((CRED_MAX_PAIRS + 2) * 16);
	assert_non_null(big);
	for (i = 0, o = 0; i < CRED_MAX_PAIRS + 1; i++)
		o += (size_t)sprintf(big + o, "i%zu u p\n", i);
	bad(big, MM_ELIMIT, "t.creds:1001: more than 1000 pairs", NULL);
	/* exactly the cap is fine */
	{
		struct cred_list *l;

		big[o - (size_t)snprintf(NULL, 0, "i%d u p\n",
		    CRED_MAX_PAIRS)] = '\0';
		assert_int_equal(parse(big, &l, NULL), 0);
		assert_int_equal(l->n, CRED_MAX_PAIRS);
		cred_list_free(l);
	}
	free(big);
}

/* The shipped list: parses, and mirai-01..10 are the lab's pairs. */
static void
test_mirai_file(void **state)
{
	static const char *const lab[10][2] = {
		{ "root", "xc3511" }, { "root", "vizxv" }, { "admin", "admin" },
		{ "root", "888888" }, { "support", "support" },
		{ "root", "default" }, { "admin", "1234" }, { "root", "12345" },
		{ "user", "user" }, { "admin", "password" }
	};
	struct cred_list *l;
	struct mm_diag d;
	char id[16];
	int i, k;

	(void)state;
	assert_int_equal(cred_list_load(MAMORI_SRCDIR
	    "/data/credentials/mirai.creds", &l, &d), 0);
	assert_true(l->n >= 50);
	for (i = 0; i < 10; i++) {
		snprintf(id, sizeof(id), "mirai-%02d", i + 1);
		k = cred_list_find(l, id);
		assert_int_equal(k, i);
		assert_string_equal(l->v[k].user, lab[i][0]);
		assert_string_equal(l->v[k].pass, lab[i][1]);
	}
	cred_list_free(l);
	assert_int_equal(cred_list_load("/nonexistent/x.creds", &l, &d),
	    MM_EIO);
	assert_null(l);
}

/* ---- telnet ---- */

static struct cred_list *
three_pairs(void)
{
	struct cred_list *l;

	assert_int_equal(parse("p1 root wrong1\np2 admin wrong2\n"
	    "p3 root xc3511\n", &l, NULL), 0);
	return l;
}

static int
tfeed(struct cred_tn *m, const struct cred_list *l, const char *s,
    char *out, size_t *ol)
{
	uint8_t o[4096];
	int rc;

	rc = cred_tn_feed(m, l, (const uint8_t *)s, strlen(s), o, sizeof(o),
	    ol, NULL);
	memcpy(out, o, *ol);
	out[*ol] = '\0';
	return rc;
}

static void
test_telnet_busybox(void **state)
{
	struct cred_list *l = three_pairs();
	struct cred_tn m;
	char out[4096];
	size_t ol;

	(void)state;
	cred_tn_init(&m, NULL, 0, 0, 10);
	/* negotiation + prompt: replies, then the first user */
	assert_int_equal(tfeed(&m, l, "\xff\xfb\x01\xff\xfb\x03"
	    "\r\n(none) login: ", out, &ol), CRED_MORE);
	assert_int_equal(ol, 6 + 6);
	assert_memory_equal(out + 6, "root\r\n", 6);
	assert_int_equal(m.used, 1);
	assert_int_equal(tfeed(&m, l, "Password: ", out, &ol), CRED_MORE);
	assert_string_equal(out, "wrong1\r\n");
	/* failure and a new prompt in one read: the next pair at once */
	assert_int_equal(tfeed(&m, l, "\r\nLogin incorrect\r\n(none) login: ",
	    out, &ol), CRED_NEXT);
	assert_string_equal(out, "admin\r\n");
	assert_int_equal(m.next, 1);
	assert_int_equal(tfeed(&m, l, "Password: ", out, &ol), CRED_MORE);
	assert_string_equal(out, "wrong2\r\n");
	/* failure text, then the prompt in a later read (drip) */
	assert_int_equal(tfeed(&m, l, "\r\nLogin inc", out, &ol), CRED_MORE);
	assert_int_equal(tfeed(&m, l, "orrect\r\n", out, &ol), CRED_NEXT);
	assert_int_equal(ol, 0);
	assert_int_equal(tfeed(&m, l, "(none) login: ", out, &ol), CRED_MORE);
	assert_string_equal(out, "root\r\n");
	assert_int_equal(tfeed(&m, l, "Password: ", out, &ol), CRED_MORE);
	assert_string_equal(out, "xc3511\r\n");
	/* the shell prompt: success, nothing more is sent */
	assert_int_equal(tfeed(&m, l, "\r\n\r\nBusyBox v1.19.4 (2016-01-14) "
	    "built-in shell (ash)\r\nEnter 'help' for a list of built-in "
	    "commands.\r\n\r\n# ", out, &ol), CRED_OK);
	assert_int_equal(m.next, 2);
	assert_int_equal(m.used, 3);
	assert_int_equal(tfeed(&m, l, "# ", out, &ol), CRED_OK);
	assert_int_equal(ol, 0);
	cred_list_free(l);
}

static void
test_telnet_close_and_cap(void **state)
{
	struct cred_list *l = three_pairs();
	struct cred_tn m;
	char out[4096];
	size_t ol;

	(void)state;
	/* max 2 attempts: after the second failure no third user is sent */
	cred_tn_init(&m, NULL, 0, 0, 2);
	tfeed(&m, l, "login: ", out, &ol);
	tfeed(&m, l, "Password: ", out, &ol);
	assert_int_equal(tfeed(&m, l, "\r\nAccess denied\r\nlogin: ", out,
	    &ol), CRED_NEXT);
	assert_string_equal(out, "admin\r\n");
	tfeed(&m, l, "Password: ", out, &ol);
	assert_int_equal(tfeed(&m, l, "\r\nLogin incorrect\r\nlogin: ", out,
	    &ol), CRED_DONE);
	assert_int_equal(ol, 0);
	assert_int_equal(m.used, 2);
	assert_int_equal(cred_tn_eof(&m, l), CRED_DONE);

	/* the device closes after a failure: eof says reconnect, and the
	 * next session starts at the next pair with the count kept */
	cred_tn_init(&m, NULL, 0, 0, 10);
	tfeed(&m, l, "login: ", out, &ol);
	tfeed(&m, l, "Password: ", out, &ol);
	assert_int_equal(cred_tn_eof(&m, l), CRED_NEXT);
	assert_int_equal(m.next, 1);
	cred_tn_init(&m, NULL, m.next, m.used, m.max);
	assert_int_equal(m.used, 1);
	assert_int_equal(tfeed(&m, l, "\r\nUsername: ", out, &ol), CRED_MORE);
	assert_string_equal(out, "admin\r\n");

	/* a prompt seen by the banner step: cred_tn_begin answers it */
	{
		struct telnet tn;
		uint8_t o[256];
		int ev;

		telnet_init(&tn, 0, 0, 0);
		ev = telnet_feed(&tn, (const uint8_t *)"DVR login: ", 11,
		    NULL, 0, &ol, NULL);
		assert_true(ev & TELNET_EV_LOGIN);
		cred_tn_init(&m, &tn, 2, 0, 10);
		assert_int_equal(cred_tn_begin(&m, l, ev, o, sizeof(o), &ol),
		    CRED_MORE);
		assert_int_equal(ol, 6);
		assert_memory_equal(o, "root\r\n", 6);
		/* password-only device */
		cred_tn_init(&m, NULL, 0, 0, 10);
		assert_int_equal(cred_tn_begin(&m, l, TELNET_EV_PASSWORD, o,
		    sizeof(o), &ol), CRED_MORE);
		assert_memory_equal(o, "wrong1\r\n", 8);
		assert_int_equal(m.st, CTN_RESULT);
		/* no pair left */
		cred_tn_init(&m, NULL, 3, 0, 10);
		assert_int_equal(cred_tn_begin(&m, l, TELNET_EV_LOGIN, o,
		    sizeof(o), &ol), CRED_DONE);
		assert_int_equal(ol, 0);
	}
	cred_list_free(l);
}

static void
test_telnet_hostile(void **state)
{
	struct cred_list *l = three_pairs();
	struct cred_tn m;
	uint8_t in[600], out[4096];
	size_t ol, i;
	int rc = 0;

	(void)state;
	/* endless negotiation after the password: the telnet cap ends it */
	cred_tn_init(&m, NULL, 0, 0, 10);
	cred_tn_feed(&m, l, (const uint8_t *)"login: ", 7, out, sizeof(out),
	    &ol, NULL);
	cred_tn_feed(&m, l, (const uint8_t *)"Password: ", 10, out,
	    sizeof(out), &ol, NULL);
	for (i = 0; i + 3 <= sizeof(in); i += 3) {
		in[i] = 255;
		in[i + 1] = 251;
		in[i + 2] = (uint8_t)(i % 200);
	}
	for (i = 0; i < 100 && rc >= 0; i++)
		rc = cred_tn_feed(&m, l, in, sizeof(in), out, sizeof(out),
		    &ol, NULL);
	assert_int_equal(rc, MM_ELIMIT);
	/* the login prompt with no shell and no failure: waits */
	cred_tn_init(&m, NULL, 0, 0, 10);
	cred_tn_feed(&m, l, (const uint8_t *)"login: ", 7, out, sizeof(out),
	    &ol, NULL);
	cred_tn_feed(&m, l, (const uint8_t *)"Password: ", 10, out,
	    sizeof(out), &ol, NULL);
	assert_int_equal(cred_tn_feed(&m, l, (const uint8_t *)"\r\nhmm",
	    5, out, sizeof(out), &ol, NULL), CRED_MORE);
	cred_list_free(l);
}

/* ---- HTTP ---- */

static void
resp(struct http_resp *r, const char *s)
{
	http_resp_init(r, NULL, 0);
	assert_int_equal(http_resp_feed(r, (const uint8_t *)s, strlen(s),
	    NULL, NULL), HTTP_DONE);
}

static const char r401_basic[] = "HTTP/1.1 401 Unauthorized\r\n"
    "WWW-Authenticate: Basic realm=\"DCS-930L\"\r\n"
    "Content-Length: 0\r\n\r\n";

static void
test_http_basic(void **state)
{
	struct cred_list *l = three_pairs();
	struct cred_http m;
	struct http_resp r;
	char req[4096];
	size_t len;

	(void)state;
	resp(&r, r401_basic);
	assert_int_equal(cred_http_start(&m, &r, 10, 1), 1);
	http_resp_free(&r);
	assert_int_equal(cred_http_request(&m, l, "127.0.0.1", "/", "ua",
	    req, sizeof(req), &len), 0);
	/* root:wrong1 */
	assert_non_null(strstr(req, "Authorization: Basic "
	    "cm9vdDp3cm9uZzE=\r\n"));
	assert_non_null(strstr(req, "GET / HTTP/1.1\r\n"));
	assert_int_equal(m.used, 1);
	resp(&r, r401_basic);
	assert_int_equal(cred_http_result(&m, l, &r), CRED_NEXT);
	http_resp_free(&r);
	assert_int_equal(cred_http_request(&m, l, "127.0.0.1", "/", "ua",
	    req, sizeof(req), &len), 0);
	resp(&r, r401_basic);
	assert_int_equal(cred_http_result(&m, l, &r), CRED_NEXT);
	http_resp_free(&r);
	assert_int_equal(cred_http_request(&m, l, "127.0.0.1", "/", "ua",
	    req, sizeof(req), &len), 0);
	/* root:xc3511 */
	assert_non_null(strstr(req, "Basic cm9vdDp4YzM1MTE=\r\n"));
	resp(&r, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
	assert_int_equal(cred_http_result(&m, l, &r), CRED_OK);
	http_resp_free(&r);
	assert_int_equal(m.next, 2);
	assert_int_equal(m.used, 3);

	/* max 1 attempt */
	resp(&r, r401_basic);
	assert_int_equal(cred_http_start(&m, &r, 1, 1), 1);
	assert_int_equal(cred_http_request(&m, l, "h", "/", "ua", req,
	    sizeof(req), &len), 0);
	assert_int_equal(cred_http_result(&m, l, &r), CRED_DONE);
	assert_int_equal(cred_http_request(&m, l, "h", "/", "ua", req,
	    sizeof(req), &len), MM_ENOENT);
	http_resp_free(&r);
	/* a 403 or no response ends the check */
	resp(&r, r401_basic);
	assert_int_equal(cred_http_start(&m, &r, 10, 1), 1);
	http_resp_free(&r);
	resp(&r, "HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n");
	assert_int_equal(cred_http_result(&m, l, &r), CRED_DONE);
	http_resp_free(&r);
	assert_int_equal(cred_http_result(&m, l, NULL), CRED_DONE);
	/* not a challenge: no check */
	resp(&r, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
	assert_int_equal(cred_http_start(&m, &r, 10, 1), 0);
	http_resp_free(&r);
	resp(&r, "HTTP/1.1 401 No\r\nWWW-Authenticate: Bearer x=y\r\n"
	    "Content-Length: 0\r\n\r\n");
	assert_int_equal(cred_http_start(&m, &r, 10, 1), 0);
	http_resp_free(&r);
	cred_list_free(l);
}

static void
test_http_digest(void **state)
{
	struct cred_list *l = three_pairs();
	struct cred_http m;
	struct http_resp r;
	char req[4096];
	size_t len;

	(void)state;
	resp(&r, "HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: Digest "
	    "realm=\"cam\", nonce=\"n1\", qop=\"auth\", algorithm=MD5\r\n"
	    "Content-Length: 0\r\n\r\n");
	assert_int_equal(cred_http_start(&m, &r, 10, 7), 1);
	http_resp_free(&r);
	assert_int_equal(cred_http_request(&m, l, "127.0.0.1", "/a", "ua",
	    req, sizeof(req), &len), 0);
	assert_non_null(strstr(req, "Authorization: Digest "));
	assert_non_null(strstr(req, "username=\"root\""));
	assert_non_null(strstr(req, "nonce=\"n1\""));
	assert_non_null(strstr(req, "uri=\"/a\""));
	assert_null(strstr(req, "wrong1"));
	/* the next 401 brings a fresh nonce: the next attempt uses it */
	resp(&r, "HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: Digest "
	    "realm=\"cam\", nonce=\"n2\", qop=\"auth\"\r\n"
	    "Content-Length: 0\r\n\r\n");
	assert_int_equal(cred_http_result(&m, l, &r), CRED_NEXT);
	http_resp_free(&r);
	assert_int_equal(cred_http_request(&m, l, "127.0.0.1", "/a", "ua",
	    req, sizeof(req), &len), 0);
	assert_non_null(strstr(req, "nonce=\"n2\""));
	assert_non_null(strstr(req, "username=\"admin\""));
	resp(&r, "HTTP/1.1 302 Found\r\nLocation: /home\r\n"
	    "Content-Length: 0\r\n\r\n");
	assert_int_equal(cred_http_result(&m, l, &r), CRED_OK);
	http_resp_free(&r);
	assert_int_equal(m.next, 1);
	cred_list_free(l);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_ok),
		cmocka_unit_test(test_parse_errors),
		cmocka_unit_test(test_mirai_file),
		cmocka_unit_test(test_telnet_busybox),
		cmocka_unit_test(test_telnet_close_and_cap),
		cmocka_unit_test(test_telnet_hostile),
		cmocka_unit_test(test_http_basic),
		cmocka_unit_test(test_http_digest),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
