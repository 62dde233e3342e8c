/*
 * fuzz_rules.c - libFuzzer target for the survey rule and vulnerability
 * parsers. Byte 0 selects (modulo 4): a rule file followed, after a line
 * "%%", by one observation whose bytes are offered as every field; a
 * vulnerability file followed by "%%" and a "vendor:product version"
 * query; two versions for version_cmp(); a raw probe payload. Invariants
 * checked: a rule set that loads only holds probes whose payload passes
 * rules_payload_check() (identification-only by construction); match
 * outputs are NUL-terminated, printable, and CPEs start with "cpe:2.3:";
 * a failed load leaves nothing behind; version_cmp() is antisymmetric.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "survey/rules.h"
#include "survey/version.h"
#include "survey/vulns.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check_text(const char *s, size_t cap)
{
	size_t	n = strnlen(s, cap);

	if (n == cap)
		abort();
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 || (unsigned char)*s >= 0x7f)
			abort();
}

static void
fuzz_rules(const char *text, size_t tlen, const char *obs, size_t olen)
{
	static const char *const names[] = {
		"banner", "status", "header:server", "header:set-cookie",
		"header:www-authenticate", "body", "title", "cert.subject",
		"cert.issuer", "ssh.banner", "telnet.prompt"
	};
	struct rules			*r;
	struct rules_field		 f[sizeof(names) / sizeof(names[0])];
	struct rules_obs		 o;
	struct rules_ident		 id;
	struct mm_diag			 d;
	const struct rules_probe	*p[8];
	char				 buf[4096];
	size_t				 i, n, len;
	int				 rc;

	if (rules_new(&r) != 0)
		return;
	rc = rules_load_buf(r, "fuzz", text, tlen, &d);
	if (rc != 0 && (rules_count(r) != 0 || rules_probe_count(r) != 0))
		abort();
	if (rc == 0) {
		n = rules_probes(r, RULES_TCP, 80, p, 8);
		for (i = 0; i < n && i < 8; i++) {
			if (!p[i]->banner && rules_payload_check(p[i]->payload,
			    p[i]->payload_len, NULL) != 0)
				abort();
			if (rules_probe_render(p[i], "192.0.2.1", "ua", buf,
			    sizeof(buf), &len) == 0 && len != strlen(buf))
				abort();
		}
		for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
			f[i].name = names[i];
			f[i].val = obs;
			f[i].len = olen;
		}
		memset(&o, 0, sizeof(o));
		o.fields = f;
		o.nfields = sizeof(names) / sizeof(names[0]);
		o.have_favicon = 1;
		o.favicon = rules_favicon_hash(obs, olen);
		o.have_gzip = 1;
		o.gzip_path = "/";
		(void)rules_gzip_mtime(obs, olen, &o.gzip_mtime);
		rc = rules_match(r, &o, &id);
		if (rc < 0 && rc != MM_ENOMEM)
			abort();
		if (rc == 1) {
			check_text(id.vendor, sizeof(id.vendor));
			check_text(id.product, sizeof(id.product));
			check_text(id.version, sizeof(id.version));
			check_text(id.device, sizeof(id.device));
			check_text(id.cpe, sizeof(id.cpe));
			if (id.cpe[0] != '\0' &&
			    strncmp(id.cpe, "cpe:2.3:", 8) != 0)
				abort();
		}
	}
	rules_free(r);
}

static void
fuzz_vulns(const char *text, size_t tlen, const char *q)
{
	struct vulns		*v = NULL;
	struct vulns_hit	 h[4];
	struct mm_diag		 d;
	char			 prod[128];
	const char		*sp;
	int			 n, i;

	if (vulns_load_buf(&v, "fuzz", text, tlen, &d) != 0) {
		if (v != NULL)
			abort();
		return;
	}
	sp = strchr(q, ' ');
	if (sp != NULL && (size_t)(sp - q) < sizeof(prod)) {
		memcpy(prod, q, (size_t)(sp - q));
		prod[sp - q] = '\0';
		n = vulns_match(v, prod, sp + 1, h, 4);
		for (i = 0; i < n && i < 4; i++)
			if (h[i].cve == NULL || strncmp(h[i].cve, "CVE-", 4) ||
			    h[i].cvss < 0.0 || h[i].cvss > 10.0)
				abort();
	} else
		(void)vulns_match(v, q, NULL, h, 4);
	vulns_free(v);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char		*s, *sep, *b;
	size_t		 n;
	int		 c1, c2;

	if (size < 1 || size > 65536)
		return 0;
	n = size - 1;
	if ((s = malloc(n + 1)) == NULL)
		return 0;
	memcpy(s, data + 1, n);
	s[n] = '\0';
	switch (data[0] % 4) {
	case 0:
		sep = strstr(s, "\n%%\n");
		if (sep == NULL)
			fuzz_rules(s, strlen(s), "", 0);
		else
			fuzz_rules(s, (size_t)(sep - s), sep + 4,
			    n - (size_t)(sep + 4 - s));
		break;
	case 1:
		sep = strstr(s, "\n%%\n");
		if (sep == NULL)
			fuzz_vulns(s, strlen(s), "a:b 1");
		else {
			*sep = '\0';
			fuzz_vulns(s, strlen(s), sep + 4);
		}
		break;
	case 2:
		b = memchr(s, '\n', n);
		if (b != NULL) {
			*b++ = '\0';
			c1 = version_cmp(s, b);
			c2 = version_cmp(b, s);
			if ((c1 > 0) - (c1 < 0) != -((c2 > 0) - (c2 < 0)))
				abort();
			if (version_cmp(s, s) != 0)
				abort();
		}
		break;
	default:
		(void)rules_payload_check(s, n, NULL);
		break;
	}
	free(s);
	return 0;
}
