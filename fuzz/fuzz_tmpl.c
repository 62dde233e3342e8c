/*
 * fuzz_tmpl.c - libFuzzer target for the notification text layer: the
 * template parser and renderer (src/notify/tmpl.h), mail template files,
 * and RFC 2047 header encoding (src/notify/mail.h).
 *
 * Each input (capped at 64 KiB) is parsed as a template and, when it
 * parses, rendered against a fixed scope (two values, a list with rows
 * and a nested list); as a mail template file; and, NUL-terminated, as a
 * Subject value. Beyond "no crash, no sanitizer report" it checks that an
 * encodable header value unfolds and decodes back to itself and that no
 * encoded header line exceeds MAIL_LINE_MAX. Corpus: fuzz/corpus/tmpl/.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "notify/mail.h"
#include "notify/tmpl.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct tmpl_vars *
scope(void)
{
	static struct tmpl_vars *v;
	struct tmpl_vars *r;

	if (v != NULL)
		return v;
	v = tmpl_vars_new();
	tmpl_vars_set(v, "org", "例示ISP");
	tmpl_vars_set(v, "empty", "");
	tmpl_vars_list(v, "none");
	r = tmpl_vars_row(v, "rows");
	tmpl_vars_set(r, "addr", "192.0.2.1");
	tmpl_vars_set(tmpl_vars_row(r, "cves"), "cve", "CVE-2018-13379");
	r = tmpl_vars_row(v, "rows");
	tmpl_vars_set(r, "addr", "2001:db8::1");
	tmpl_vars_list(r, "cves");
	return v;
}

static void
header_roundtrip(const char *s)
{
	char *h, *u, *dec, *q;
	const char *p, *nl;

	if (mail_header_encode("Subject", s, &h, NULL) != 0)
		return;
	for (p = h; (nl = strstr(p, "\r\n")) != NULL; p = nl + 2)
		if (nl - p > MAIL_LINE_MAX)
			abort();
	u = malloc(strlen(h) + 1);
	for (p = h + 9, q = u; *p != '\0'; p++)
		if (*p != '\r' && *p != '\n')
			*q++ = *p;
	*q = '\0';
	if (mail_header_decode(u, &dec) != 0 || strcmp(dec, s) != 0)
		abort();
	free(dec);
	free(u);
	free(h);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tmpl *t;
	struct tmpl_mail m;
	char *s, *o;

	if (size > 65536)
		return 0;
	if (tmpl_parse((const char *)data, size, "fuzz", &t, NULL) == 0) {
		if (tmpl_render(t, scope(), &o, NULL, NULL) == 0)
			free(o);
		tmpl_free(t);
	}
	if (tmpl_mail_parse((const char *)data, size, "fuzz", &m, NULL) == 0)
		tmpl_mail_free(&m);
	if ((s = malloc(size + 1)) == NULL)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	header_roundtrip(s);
	free(s);
	return 0;
}
