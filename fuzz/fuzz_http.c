/*
 * fuzz_http.c - libFuzzer target for the HTTP response parser and its
 * helpers. The first input byte picks the feed chunk size (bits 0-5: 1..63, or
 * all at once when 0), small or default caps (bit 6) and HEAD (bit 7); the rest is the response. After
 * the parse the target runs every helper over what came out (title, gzip
 * MTIME, cookies, WWW-Authenticate, Digest, Location resolution of every
 * Location value) and checks invariants: body_len <= keep cap and <=
 * body_total, header values NUL-terminated at their recorded length,
 * outputs NUL-terminated within their buffers.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/err.h"
#include "survey/http.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
helpers(const struct http_resp *r)
{
	char out[256], hp[64];
	const char *name, *value;
	struct http_auth a;
	uint32_t mt;
	size_t i;

	if (http_title(r->body, r->body_len, out, sizeof(out)) == 0 &&
	    strlen(out) >= sizeof(out))
		abort();
	(void)http_gzip_mtime(r->body, r->body_len, &mt, NULL);
	(void)http_resp_cookie_names(r, hp, sizeof(hp));
	if (strlen(hp) >= sizeof(hp))
		abort();
	if (http_resp_auth(r, &a, NULL) == 0 &&
	    a.scheme == HTTP_AUTH_DIGEST)
		(void)http_digest_authorization(&a, "admin", "admin", "GET",
		    "/", "0a4f113b", "00000001", out, sizeof(out));
	for (i = 0; http_resp_header_at(r, i, &name, &value) == 0; i++) {
		if (strlen(value) != r->hdrs[i].value_len)
			abort();
		if (strcasecmp(name, "Location") == 0 &&
		    http_location_resolve("http://127.0.0.1:8080/a/b?c",
		    value, out, sizeof(out), NULL) == 0 &&
		    strlen(out) >= sizeof(out))
			abort();
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct http_caps small = { 256, 8, 1024, 128 };
	struct http_resp r;
	size_t chunk, off = 0, n, used;
	int rc = HTTP_MORE;

	if (size < 1)
		return 0;
	chunk = data[0] & 63;
	http_resp_init(&r, (data[0] & 64) ? &small : NULL,
	    (data[0] & 128) != 0);
	data++;
	size--;
	if (chunk == 0)
		chunk = size ? size : 1;
	while (off < size && rc == HTTP_MORE) {
		n = size - off < chunk ? size - off : chunk;
		rc = http_resp_feed(&r, data + off, n, &used, NULL);
		if (used > n || (rc == HTTP_MORE && used != n))
			abort();
		off += used;
	}
	if (rc == HTTP_MORE)
		rc = http_resp_eof(&r, NULL);
	if (r.body_len > r.caps.body_keep || r.body_len > r.body_total)
		abort();
	helpers(&r);
	http_resp_free(&r);
	return 0;
}
