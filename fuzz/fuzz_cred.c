/*
 * fuzz_cred.c - libFuzzer target for the credentials-file parser
 * (cred_list_parse). The input is the file. Invariants checked: success
 * gives 1..CRED_MAX_PAIRS pairs with NUL-terminated fields inside their
 * caps, non-empty unique ids of [A-Za-z0-9._-], non-empty users without
 * ':', printable ASCII only; failure gives no list and a diag that names
 * the file, is NUL-terminated and never holds a byte outside printable
 * ASCII. When the file parses, its pairs also drive the telnet check
 * machine against a scripted busybox session (no network), which must
 * stay inside its attempt cap.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "survey/cred.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check_field(const char *s, size_t cap, int empty_ok)
{
	size_t n = strnlen(s, cap);
	size_t i;

	if (n >= cap || (!empty_ok && n == 0))
		abort();
	for (i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || (unsigned char)s[i] >= 0x7f)
			abort();
}

static void
drive_telnet(const struct cred_list *l)
{
	static const char *const script[] = {
		"\xff\xfb\x01\xff\xfb\x03\r\n(none) login: ", "Password: ",
		"\r\nLogin incorrect\r\n(none) login: ", "Password: ",
		"\r\nLogin incorrect\r\n"
	};
	struct cred_tn m;
	uint8_t out[4096];
	size_t ol, i;
	int rc;

	cred_tn_init(&m, NULL, 0, 0, 3);
	for (i = 0; i < sizeof(script) / sizeof(script[0]); i++) {
		rc = cred_tn_feed(&m, l, (const uint8_t *)script[i],
		    strlen(script[i]), out, sizeof(out), &ol, NULL);
		if (ol > sizeof(out) || m.used > 3 || rc == CRED_OK)
			abort();
		if (rc == CRED_DONE)
			break;
	}
	(void)cred_tn_eof(&m, l);
	if (m.used > 3)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cred_list *l = NULL;
	struct mm_diag d;
	size_t i, j, k;
	int rc;

	memset(&d, 0, sizeof(d));
	rc = cred_list_parse("f.creds", data, size, &l, &d);
	if (rc != 0) {
		if (l != NULL ||
		    strnlen(d.msg, sizeof(d.msg)) >= sizeof(d.msg) ||
		    strncmp(d.msg, "f.creds", 7) != 0)
			abort();
		for (i = 0; d.msg[i] != '\0'; i++)
			if ((unsigned char)d.msg[i] < 0x20 ||
			    (unsigned char)d.msg[i] >= 0x7f)
				abort();
		return 0;
	}
	if (l == NULL || l->n == 0 || l->n > CRED_MAX_PAIRS)
		abort();
	for (i = 0; i < l->n; i++) {
		check_field(l->v[i].id, CRED_ID_MAX, 0);
		check_field(l->v[i].user, CRED_FIELD_MAX, 0);
		check_field(l->v[i].pass, CRED_FIELD_MAX, 1);
		if (strchr(l->v[i].user, ':') != NULL)
			abort();
		for (k = 0; l->v[i].id[k] != '\0'; k++)
			if (strchr("abcdefghijklmnopqrstuvwxyz"
			    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-",
			    l->v[i].id[k]) == NULL)
				abort();
		for (j = i + 1; j < l->n && j < i + 64; j++)
			if (strcmp(l->v[i].id, l->v[j].id) == 0)
				abort();
	}
	drive_telnet(l);
	cred_list_free(l);
	return 0;
}
