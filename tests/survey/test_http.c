/*
 * test_http.c - HTTP/1.x response parser and helpers: golden responses
 * (Content-Length, chunked, close-delimited, 1xx, HEAD), drip feeding,
 * hostile input (huge headers, bad chunk sizes, overflowing
 * Content-Length, NULs), title, gzip MTIME, Location resolution,
 * WWW-Authenticate, Digest (RFC 7616 / 2617 examples), Basic, request
 * building with injection refused.
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
#include "survey/http.h"

static int
feed_str(struct http_resp *r, const char *s, size_t *used)
{
	return http_resp_feed(r, (const uint8_t *)s, strlen(s), used, NULL);
}

static void
test_content_length(void **state)
{
	const char *s = "HTTP/1.1 200 OK\r\nServer: lighttpd/1.4.59\r\n"
	    "Content-Length: 29\r\nX-Fold: a\r\n  b\r\nSet-Cookie: sid=1; "
	    "Path=/\r\nSet-Cookie: lang=en\r\n\r\n<title>Router\n  Login"
	    "</title>EXTRA";
	struct http_resp r;
	char names[64], t[64];
	size_t used, len;

	(void)state;
	http_resp_init(&r, NULL, 0);
	assert_int_equal(feed_str(&r, s, &used), HTTP_DONE);
	assert_int_equal(used, strlen(s) - 5);
	assert_int_equal(r.status, 200);
	assert_int_equal(r.version_minor, 1);
	assert_string_equal(r.reason, "OK");
	assert_string_equal(http_resp_header(&r, "server", &len),
	    "lighttpd/1.4.59");
	assert_int_equal(len, 15);
	assert_string_equal(http_resp_header(&r, "X-FOLD", NULL), "a b");
	assert_null(http_resp_header(&r, "Location", NULL));
	assert_int_equal(http_resp_cookie_names(&r, names, sizeof(names)), 2);
	assert_string_equal(names, "sid,lang");
	assert_int_equal(r.body_len, 29);
	assert_int_equal(http_title(r.body, r.body_len, t, sizeof(t)), 0);
	assert_string_equal(t, "Router Login");
	http_resp_free(&r);
}

static void
test_chunked_drip(void **state)
{
	const char *s = "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\n"
	    "Transfer-Encoding: gzip, chunked\r\n\r\n5;ext=1\r\nhello\r\n"
	    "A\r\n 123456789\r\n0\r\nX-Trailer: 1\r\n\r\n";
	struct http_resp r;
	size_t i, used;
	int rc = HTTP_MORE;

	(void)state;
	http_resp_init(&r, NULL, 0);
	for (i = 0; i < strlen(s) && rc == HTTP_MORE; i++)
		rc = http_resp_feed(&r, (const uint8_t *)s + i, 1, &used, NULL);
	assert_int_equal(rc, HTTP_DONE);
	assert_int_equal(i, strlen(s));
	assert_int_equal(r.status, 200);
	assert_true(r.chunked);
	assert_int_equal(r.body_total, 15);
	assert_memory_equal(r.body, "hello 123456789", 15);
	http_resp_free(&r);
}

static void
test_close_delimited_cap(void **state)
{
	struct http_caps caps = { 0, 0, 0, 100 };
	struct http_resp r;
	uint8_t buf[1000];
	struct mm_diag d;
	int i;

	(void)state;
	http_resp_init(&r, &caps, 0);
	assert_int_equal(feed_str(&r, "HTTP/1.0 200 OK\nServer: Boa\n\n",
	    NULL), HTTP_MORE);
	memset(buf, 'q', sizeof(buf));
	for (i = 0; i < 10; i++)
		assert_int_equal(http_resp_feed(&r, buf, sizeof(buf), NULL,
		    NULL), HTTP_MORE);
	assert_int_equal(r.body_len, 100);
	assert_int_equal(r.body_total, 10000);
	assert_int_equal(http_resp_eof(&r, NULL), HTTP_DONE);
	http_resp_free(&r);
	/* truncated Content-Length body */
	http_resp_init(&r, NULL, 0);
	assert_int_equal(feed_str(&r, "HTTP/1.1 200 OK\r\nContent-Length: 10"
	    "\r\n\r\nabc", NULL), HTTP_MORE);
	assert_int_equal(http_resp_eof(&r, &d), MM_ETRUNC);
	assert_non_null(strstr(d.msg, "Content-Length"));
	http_resp_free(&r);
	/* HEAD and 304: no body */
	http_resp_init(&r, NULL, 1);
	assert_int_equal(feed_str(&r, "HTTP/1.1 200 OK\r\nContent-Length: 10"
	    "\r\n\r\n", NULL), HTTP_DONE);
	http_resp_free(&r);
	http_resp_init(&r, NULL, 0);
	assert_int_equal(feed_str(&r, "HTTP/1.1 304 Not Modified\r\n\r\n",
	    NULL), HTTP_DONE);
	http_resp_free(&r);
}

static void
expect_err(const char *s, size_t n, int err, const char *frag)
{
	struct http_resp r;
	struct mm_diag d;

	http_resp_init(&r, NULL, 0);
	memset(&d, 0, sizeof(d));
	assert_int_equal(http_resp_feed(&r, (const uint8_t *)s, n, NULL, &d),
	    err);
	if (strstr(d.msg, frag) == NULL)
		fail_msg("diag \"%s\" lacks \"%s\"", d.msg, frag);
	http_resp_free(&r);
}

static void
test_hostile(void **state)
{
	struct http_caps caps = { 0, 20, 0, 0 };
	struct http_resp r;
	struct mm_diag d;
	char *big;
	size_t i, o;
	int rc;

	(void)state;
	expect_err("HTTP/1.1 200 OK\r\nContent-Length: 99999999999999999999"
	    "\r\n\r\n", 59, MM_ERANGE, "overflows");
	expect_err("HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 6"
	    "\r\n\r\n", 55, MM_EFORMAT, "conflicting");
	expect_err("HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n", 39,
	    MM_EFORMAT, "not a number");
	expect_err("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
	    "zz\r\n", 51, MM_EFORMAT, "chunk-size");
	expect_err("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
	    "fffffffffffffffff\r\n", 66, MM_ERANGE, "overflows");
	expect_err("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
	    "2\r\nabXY", 54, MM_EFORMAT, "CRLF");
	expect_err("HTTP/1.1 200 OK\r\nX: a\0b\r\n\r\n", 27, MM_EFORMAT, "NUL");
	expect_err("SSH-2.0-OpenSSH\r\n", 17, MM_EFORMAT, "HTTP-version");
	expect_err("HTTP/1.1 2x0 OK\r\n", 17, MM_EFORMAT, "status-code");
	expect_err("HTTP/1.1 200 OK\r\nnocolonhere\r\n", 30, MM_EFORMAT,
	    "':'");
	expect_err("HTTP/1.1 200 OK\r\nBad Name: x\r\n", 30, MM_EFORMAT,
	    "field name");
	/* chunk extensions: long ones pass, endless ones hit the cap */
	big = malloc(100000);
	assert_non_null(big);
	o = (size_t)sprintf(big, "HTTP/1.1 200 OK\r\nTransfer-Encoding: "
	    "chunked\r\n\r\n5;");
	memset(big + o, 'e', 900);
	o += 900;
	o += (size_t)sprintf(big + o, "\r\nhello\r\n0\r\n\r\n");
	http_resp_init(&r, NULL, 0);
	assert_int_equal(http_resp_feed(&r, (const uint8_t *)big, o, NULL,
	    NULL), HTTP_DONE);
	assert_memory_equal(r.body, "hello", 5);
	http_resp_free(&r);
	o = (size_t)sprintf(big, "HTTP/1.1 200 OK\r\nTransfer-Encoding: "
	    "chunked\r\n\r\n5;");
	memset(big + o, 'e', 2000);
	expect_err(big, o + 2000, MM_ELIMIT, "chunk-size line");
	free(big);
	expect_err("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
	    "5 x\r\n", 52, MM_EFORMAT, "junk");
	/* huge header line, huge header section, too many headers */
	big = malloc(100000);
	assert_non_null(big);
	memcpy(big, "HTTP/1.1 200 OK\r\nX: ", 20);
	memset(big + 20, 'a', 100000 - 20);
	expect_err(big, 100000, MM_ELIMIT, "line exceeds");
	for (o = 17, i = 0; o + 1000 < 100000; i++) {
		memcpy(big + o, "X-Pad: ", 7);
		memset(big + o + 7, 'b', 4000);
		o += 4007;
		memcpy(big + o, "\r\n", 2);
		o += 2;
		if (o + 4100 > 100000)
			break;
	}
	expect_err(big, o, MM_ELIMIT, "header section");
	http_resp_init(&r, &caps, 0);
	rc = feed_str(&r, "HTTP/1.1 200 OK\r\n", NULL);
	for (i = 0; i < 30 && rc == HTTP_MORE; i++)
		rc = http_resp_feed(&r, (const uint8_t *)"A: b\r\n", 6, NULL, &d);
	assert_int_equal(rc, MM_ELIMIT);
	assert_int_equal(i, 21);
	assert_non_null(strstr(d.msg, "header fields"));
	/* errors stick */
	assert_int_equal(feed_str(&r, "\r\n", NULL), MM_ELIMIT);
	http_resp_free(&r);
	free(big);
	/* eof in the headers */
	http_resp_init(&r, NULL, 0);
	assert_int_equal(feed_str(&r, "HTTP/1.1 200 OK\r\nA: b", NULL),
	    HTTP_MORE);
	assert_int_equal(http_resp_eof(&r, &d), MM_ETRUNC);
	http_resp_free(&r);
}

static void
test_data_file(void **state)
{
	char path[1024], t[64];
	uint8_t buf[4096];
	struct http_resp r;
	struct http_auth a;
	size_t n;
	FILE *f;

	(void)state;
	snprintf(path, sizeof(path), "%s/tests/survey/data/p_http_boa_401.txt",
	    MAMORI_SRCDIR);
	if ((f = fopen(path, "rb")) == NULL)
		skip();
	n = fread(buf, 1, sizeof(buf), f);
	fclose(f);
	http_resp_init(&r, NULL, 0);
	assert_int_equal(http_resp_feed(&r, buf, n, NULL, NULL), HTTP_MORE);
	assert_int_equal(http_resp_eof(&r, NULL), HTTP_DONE);
	assert_int_equal(r.status, 401);
	assert_int_equal(r.version_minor, 0);
	assert_string_equal(http_resp_header(&r, "Server", NULL),
	    "Boa/0.94.14rc21");
	assert_int_equal(http_resp_auth(&r, &a, NULL), 0);
	assert_int_equal(a.scheme, HTTP_AUTH_BASIC);
	assert_string_equal(a.realm, "NETSurveillance");
	assert_int_equal(http_title(r.body, r.body_len, t, sizeof(t)), 0);
	assert_string_equal(t, "401 Unauthorized");
	http_resp_free(&r);
}

static void
test_title(void **state)
{
	char t[16];
	const char *h;

	(void)state;
	h = "<html><TITLE lang=en>A &amp; B &#65;&#x42; &lt;x&gt; &bogus;"
	    "</TITLE>";
	assert_int_equal(http_title((const uint8_t *)h, strlen(h), t,
	    sizeof(t)), 0);
	assert_string_equal(t, "A & B AB <x> &b");
	h = "<titlex>no</titlex>";
	assert_int_equal(http_title((const uint8_t *)h, strlen(h), t,
	    sizeof(t)), MM_ENOENT);
	h = "<title>unterminated and long title text";
	assert_int_equal(http_title((const uint8_t *)h, strlen(h), t,
	    sizeof(t)), 0);
	assert_int_equal(strlen(t), 15);
	h = "<title";
	assert_int_equal(http_title((const uint8_t *)h, strlen(h), t,
	    sizeof(t)), MM_ENOENT);
}

static void
test_gzip(void **state)
{
	static const uint8_t gz[] = { 0x1f, 0x8b, 0x08, 0x00, 0x78, 0x56,
	    0x34, 0x12, 0x00, 0x03, 0x4b, 0x00 };
	uint32_t t = 0;
	struct mm_diag d;

	(void)state;
	assert_int_equal(http_gzip_mtime(gz, sizeof(gz), &t, NULL), 0);
	assert_int_equal(t, 0x12345678);
	assert_int_equal(http_gzip_mtime(gz, 9, &t, &d), MM_ETRUNC);
	assert_int_equal(http_gzip_mtime((const uint8_t *)"<html>....", 10,
	    &t, &d), MM_EFORMAT);
}

static void
test_location(void **state)
{
	static const struct { const char *base, *loc, *want; } c[] = {
		{ "http://h/a/b/c?q", "d", "http://h/a/b/d" },
		{ "http://h/a/b/c", "../d?x=1#f", "http://h/a/d?x=1" },
		{ "http://h:8080/a/b", "/login.html", "http://h:8080/login.html" },
		{ "http://h/a/b", "//other:81/x/./y", "http://other:81/x/y" },
		{ "http://h/a/b", "https://vpn/remote/login?lang=en",
		    "https://vpn/remote/login?lang=en" },
		{ "http://h/a/b", "?p=1", "http://h/a/b?p=1" },
		{ "http://h", "x/../../y", "http://h/y" },
		{ "http://h/a/b", "", "http://h/a/b" },
		{ "http://h/a/", "./../../..", "http://h/" },
	};
	char out[128], host[64], path[64];
	struct mm_diag d;
	uint16_t port;
	size_t i;
	int https;

	(void)state;
	for (i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		assert_int_equal(http_location_resolve(c[i].base, c[i].loc,
		    out, sizeof(out), NULL), 0);
		if (strcmp(out, c[i].want) != 0)
			fail_msg("%s + %s = %s, want %s", c[i].base, c[i].loc,
			    out, c[i].want);
	}
	assert_int_equal(http_location_resolve("http://h/", "/a\r\nX: y",
	    out, sizeof(out), &d), MM_EFORMAT);
	assert_int_equal(http_location_resolve("http://h/", "/aaaaaaaaaaaa",
	    out, 10, &d), MM_ELIMIT);
	assert_int_equal(http_location_resolve("h/", "/a", out, sizeof(out),
	    &d), MM_EFORMAT);
	assert_int_equal(http_url_split("https://[::1]:8443/x?y#z", &https,
	    host, sizeof(host), &port, path, sizeof(path)), 0);
	assert_true(https);
	assert_string_equal(host, "::1");
	assert_int_equal(port, 8443);
	assert_string_equal(path, "/x?y");
	assert_int_equal(http_url_split("http://u:p@127.0.0.1", &https, host,
	    sizeof(host), &port, path, sizeof(path)), 0);
	assert_string_equal(host, "127.0.0.1");
	assert_int_equal(port, 80);
	assert_string_equal(path, "/");
	assert_int_equal(http_url_split("http://h:99999/", &https, host,
	    sizeof(host), &port, path, sizeof(path)), MM_EFORMAT);
}

static void
test_auth_digest(void **state)
{
	const char *w1 = "Digest realm=\"http-auth@example.org\", qop=\"auth, "
	    "auth-int\", algorithm=SHA-256, nonce=\"7ypf/xlj9XXwfDPEoM4URrv/"
	    "xwf94BcCAzFZH4GiTo0v\", opaque=\"FQhe/qaU925kfnzjCev0ciny7QMkPq"
	    "MAFRtzCUYo5tdS\", Digest realm=\"http-auth@example.org\", "
	    "qop=\"auth, auth-int\", algorithm=MD5, nonce=\"7ypf/xlj9XXwfDPE"
	    "oM4URrv/xwf94BcCAzFZH4GiTo0v\", opaque=\"FQhe/qaU925kfnzjCev0ciny"
	    "7QMkPqMAFRtzCUYo5tdS\"";
	const char *cn = "f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ";
	struct http_auth a;
	char out[512];

	(void)state;
	assert_int_equal(http_auth_parse(w1, strlen(w1), &a, NULL), 0);
	assert_int_equal(a.scheme, HTTP_AUTH_DIGEST);
	assert_int_equal(a.alg, HTTP_DIGEST_SHA256);
	assert_true(a.qop_auth);
	assert_string_equal(a.realm, "http-auth@example.org");
	/* RFC 7616 3.9.1 */
	assert_int_equal(http_digest_response(&a, "Mufasa", "Circle of Life",
	    "GET", "/dir/index.html", cn, "00000001", out, sizeof(out)), 0);
	assert_string_equal(out, "753927fa0e85d155564e2e272a28d1802ca10daf449"
	    "6794697cf8db5856cb6c1");
	a.alg = HTTP_DIGEST_MD5;
	assert_int_equal(http_digest_response(&a, "Mufasa", "Circle of Life",
	    "GET", "/dir/index.html", cn, "00000001", out, sizeof(out)), 0);
	assert_string_equal(out, "8ca523f5e9506fed4657c9700eebdbec");
	/* RFC 2617 3.5 (no algorithm: MD5) */
	w1 = "Digest  realm=\"testrealm@host.com\", qop=\"auth,auth-int\", "
	    "nonce=\"dcd98b7102dd2f0e8b11d0f600bfb0c093\", "
	    "opaque=\"5ccc069c403ebaf9f0171e9517f40e41\"";
	assert_int_equal(http_auth_parse(w1, strlen(w1), &a, NULL), 0);
	assert_int_equal(a.alg, HTTP_DIGEST_MD5);
	assert_int_equal(http_digest_authorization(&a, "Mufasa",
	    "Circle Of Life", "GET", "/dir/index.html", "0a4f113b",
	    "00000001", out, sizeof(out)), 0);
	assert_string_equal(out, "Digest username=\"Mufasa\", "
	    "realm=\"testrealm@host.com\", nonce=\"dcd98b7102dd2f0e8b11d0f600b"
	    "fb0c093\", uri=\"/dir/index.html\", response=\"6629fae49393a05397"
	    "450978507c4ef1\", qop=auth, nc=00000001, cnonce=\"0a4f113b\", "
	    "opaque=\"5ccc069c403ebaf9f0171e9517f40e41\"");
	assert_int_equal(http_digest_authorization(&a, "Mu\"fasa", "x", "GET",
	    "/", "c", "00000001", out, sizeof(out)), MM_EINVAL);
	assert_int_equal(http_digest_authorization(&a, "Mufasa", "x", "GET",
	    "/", "c", "00000001", out, 40), MM_ELIMIT);
	/* Basic, then a mixed header picks Digest */
	w1 = "Basic realm=\"cam\", charset=\"UTF-8\"";
	assert_int_equal(http_auth_parse(w1, strlen(w1), &a, NULL), 0);
	assert_int_equal(a.scheme, HTTP_AUTH_BASIC);
	assert_string_equal(a.realm, "cam");
	w1 = "Negotiate, Basic realm=\"a\", Digest realm=\"b\", nonce=\"n\"";
	assert_int_equal(http_auth_parse(w1, strlen(w1), &a, NULL), 0);
	assert_int_equal(a.scheme, HTTP_AUTH_DIGEST);
	assert_string_equal(a.realm, "b");
	assert_false(a.qop_present);
	/* hostile */
	assert_int_equal(http_auth_parse("Digest realm=\"abc", 17, &a, NULL),
	    MM_EFORMAT);
	assert_int_equal(http_auth_parse("realm=x", 7, &a, NULL), MM_EFORMAT);
	assert_int_equal(http_auth_parse("  ", 2, &a, NULL), MM_ENOENT);
	{
		char longv[600];
		memset(longv, 'a', sizeof(longv));
		memcpy(longv, "Basic realm=", 12);
		assert_int_equal(http_auth_parse(longv, sizeof(longv), &a,
		    NULL), MM_ELIMIT);
	}
	assert_int_equal(http_basic_authorization("admin", "admin", out,
	    sizeof(out)), 0);
	assert_string_equal(out, "Basic YWRtaW46YWRtaW4=");
	assert_int_equal(http_basic_authorization("ad:min", "x", out,
	    sizeof(out)), MM_EINVAL);
	assert_int_equal(http_basic_authorization("admin", "x\r\n", out,
	    sizeof(out)), MM_EINVAL);
	assert_int_equal(http_basic_authorization("admin", "admin", out, 10),
	    MM_ELIMIT);
}

static void
test_request(void **state)
{
	const char *extra[] = { "Authorization: Basic YWRtaW46YWRtaW4=" };
	const char *bad[] = { "X-A: b\r\nX-Injected: 1" };
	const char *badname[] = { "X A: b" };
	char out[512];
	size_t len;
	struct mm_diag d;

	(void)state;
	assert_int_equal(http_request_build("GET", "127.0.0.1:8080", "/",
	    "mamori-survey/0.1 (+contact)", extra, 1, out, sizeof(out), &len,
	    NULL), 0);
	assert_string_equal(out, "GET / HTTP/1.1\r\nHost: 127.0.0.1:8080\r\n"
	    "User-Agent: mamori-survey/0.1 (+contact)\r\nAccept: */*\r\n"
	    "Connection: close\r\nAuthorization: Basic YWRtaW46YWRtaW4=\r\n"
	    "\r\n");
	assert_int_equal(len, strlen(out));
	assert_int_equal(http_request_build("GET", "h", "/a\r\nX: y", "ua",
	    NULL, 0, out, sizeof(out), &len, &d), MM_EINVAL);
	assert_non_null(strstr(d.msg, "path"));
	assert_int_equal(http_request_build("GET", "h\r\nX: y", "/", "ua",
	    NULL, 0, out, sizeof(out), &len, &d), MM_EINVAL);
	assert_int_equal(http_request_build("GET", "h", "/", "ua\n", NULL, 0,
	    out, sizeof(out), &len, &d), MM_EINVAL);
	assert_int_equal(http_request_build("GET", "h", "/", "ua", bad, 1,
	    out, sizeof(out), &len, &d), MM_EINVAL);
	assert_int_equal(http_request_build("GET", "h", "/", "ua", badname, 1,
	    out, sizeof(out), &len, &d), MM_EINVAL);
	assert_int_equal(http_request_build("G T", "h", "/", "ua", NULL, 0,
	    out, sizeof(out), &len, &d), MM_EINVAL);
	assert_int_equal(http_request_build("GET", "h", "/a b", "ua", NULL, 0,
	    out, sizeof(out), &len, &d), MM_EINVAL);
	assert_int_equal(http_request_build("GET", "h", "/", "ua", NULL, 0,
	    out, 20, &len, &d), MM_ELIMIT);
	assert_int_equal(len, 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_content_length),
		cmocka_unit_test(test_chunked_drip),
		cmocka_unit_test(test_close_delimited_cap),
		cmocka_unit_test(test_hostile),
		cmocka_unit_test(test_data_file),
		cmocka_unit_test(test_title),
		cmocka_unit_test(test_gzip),
		cmocka_unit_test(test_location),
		cmocka_unit_test(test_auth_digest),
		cmocka_unit_test(test_request),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
