/*
 * smtp.c - one SMTP transaction through libcurl; see smtp.h for the model.
 *
 * Approach. libcurl's SMTP protocol handler runs the dialogue; we feed the
 * message through CURLOPT_READFUNCTION straight from the caller's buffer
 * (CURLOPT_UPLOAD) and classify the outcome from two facts: the CURLcode of
 * curl_easy_perform() and the last complete reply the server sent. The
 * reply is captured with CURLOPT_DEBUGFUNCTION, which sees every protocol
 * line; we keep only CURLINFO_HEADER_IN (server -> client) lines, so the
 * AUTH exchange we send, which carries the credentials, is never copied
 * anywhere. Server lines are read through the bounds-checked cursor
 * (core/cursor.h). A multi-line reply ("250-..." ... "250 ...") is joined with
 * spaces and capped at SMTP_REPLY_MAX bytes; non-printable bytes become '?'
 * so the diag is one safe line.
 *
 * Classification (first match wins):
 *   CURLE_OK                                  -> accepted
 *   login denied, TLS required/failed, certs,
 *   530 authentication required               -> transient (configuration)
 *   last reply 5xx                            -> permanent
 *   anything else (4xx, refused, reset, EOF,
 *   timeout, resolve, 354 then silence)       -> transient
 * "Sent" therefore means exactly: curl finished the whole transaction,
 * which for SMTP includes the 250 to the end of DATA.
 *
 * Bounds: the message is at most SMTP_MSG_MAX bytes, at most SMTP_RCPT_MAX
 * recipients, every address is checked (no CR/LF injection into the
 * envelope), the URL must be smtp:// or smtps:// and libcurl is told to
 * speak nothing else (CURLOPT_PROTOCOLS_STR), including on redirects, which
 * SMTP does not have anyway. Time is bounded by the two timeouts.
 */
#include <ctype.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>

#include "core/cursor.h"
#include "notify/smtp.h"

#define DEF_CONNECT_MS	10000L
#define DEF_TOTAL_MS	120000L

static pthread_once_t smtp_once = PTHREAD_ONCE_INIT;
static int smtp_init_rc = -1;

static void
smtp_init_once(void)
{
	smtp_init_rc = curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK ?
	    0 : -1;
}

/* State of one transfer: the message being read and the replies seen. */
struct xfer {
	const uint8_t	*msg;
	size_t		 len;
	size_t		 off;
	long		 code;		/* code of the last complete reply */
	int		 complete;	/* last line seen ended a reply */
	int		 quit;		/* QUIT sent: ignore its reply */
	char		 text[SMTP_REPLY_MAX + 1];
	size_t		 tlen;
};

const char *
smtp_result_name(int r)
{
	switch (r) {
	case SMTP_ACCEPTED:
		return "accepted";
	case SMTP_TRANSIENT:
		return "transient";
	case SMTP_PERMANENT:
		return "permanent";
	default:
		return "error";
	}
}

int
smtp_addr_check(const char *addr)
{
	const char *at = NULL, *p;
	size_t n;

	if (addr == NULL)
		return MM_EINVAL;
	n = strlen(addr);
	if (n == 0 || n > SMTP_ADDR_MAX)
		return MM_EINVAL;
	for (p = addr; *p != '\0'; p++) {
		unsigned char c = (unsigned char)*p;

		if (c <= 0x20 || c >= 0x7f || c == '<' || c == '>' ||
		    c == ',' || c == ';')
			return MM_EINVAL;
		if (c == '@') {
			if (at != NULL)
				return MM_EINVAL;
			at = p;
		}
	}
	if (at == NULL || at == addr || at[1] == '\0')
		return MM_EINVAL;
	return 0;
}

/* Strips one pair of enclosing < > into `out`; checks the address. */
static int
addr_bracket(const char *in, char *out, size_t outlen)
{
	char bare[SMTP_ADDR_MAX + 1];
	size_t n;

	if (in == NULL)
		return MM_EINVAL;
	n = strlen(in);
	if (n >= 2 && in[0] == '<' && in[n - 1] == '>') {
		in++;
		n -= 2;
	}
	if (n > SMTP_ADDR_MAX)
		return MM_EINVAL;
	memcpy(bare, in, n);
	bare[n] = '\0';
	if (smtp_addr_check(bare) != 0)
		return MM_EINVAL;
	if ((size_t)snprintf(out, outlen, "<%s>", bare) >= outlen)
		return MM_EINVAL;
	return 0;
}

static int
url_check(const char *url)
{
	const char *p;
	size_t n;

	if (url == NULL)
		return MM_EINVAL;
	n = strlen(url);
	if (n == 0 || n > SMTP_URL_MAX)
		return MM_EINVAL;
	if (strncasecmp(url, "smtp://", 7) != 0 &&
	    strncasecmp(url, "smtps://", 8) != 0)
		return MM_EINVAL;
	for (p = url; *p != '\0'; p++)
		if ((unsigned char)*p <= 0x20 || (unsigned char)*p >= 0x7f)
			return MM_EINVAL;
	return 0;
}

static size_t
read_cb(char *buf, size_t size, size_t nmemb, void *arg)
{
	struct xfer *x = arg;
	size_t want = size * nmemb, left = x->len - x->off;

	if (want > left)
		want = left;
	memcpy(buf, x->msg + x->off, want);
	x->off += want;
	return want;
}

/* Appends one byte to the kept reply text (printable ASCII, else '?'). */
static void
text_put(struct xfer *x, uint8_t c)
{
	if (x->tlen >= SMTP_REPLY_MAX)
		return;
	x->text[x->tlen++] = (c < 0x20 || c >= 0x7f) ? '?' : (char)c;
	x->text[x->tlen] = '\0';
}

/* One server line "DDD text" or "DDD-text" (CRLF may follow), read through
 * the cursor `c` that spans exactly that line. */
static void
reply_line(struct xfer *x, struct cursor *c)
{
	uint8_t d[3], sep = ' ', ch;
	int i;

	if (get_bytes(c, d, sizeof(d)) != 0)
		return;
	for (i = 0; i < 3; i++)
		if (!isdigit(d[i]))
			return;
	if (get_u8(c, &sep) != 0 || sep == '\r' || sep == '\n')
		sep = ' ';
	if (x->complete) {		/* a new reply starts */
		x->tlen = 0;
		x->text[0] = '\0';
	}
	if (x->tlen > 0)
		text_put(x, ' ');
	for (i = 0; i < 3; i++)
		text_put(x, d[i]);
	text_put(x, sep == '-' ? ' ' : sep);
	while (get_u8(c, &ch) == 0)
		if (ch != '\r' && ch != '\n')
			text_put(x, ch);
	while (x->tlen > 0 && x->text[x->tlen - 1] == ' ')
		x->text[--x->tlen] = '\0';
	x->complete = sep != '-';
	if (x->complete)
		x->code = (d[0] - '0') * 100 + (d[1] - '0') * 10 + (d[2] - '0');
}

static int
debug_cb(CURL *h, curl_infotype type, char *data, size_t size, void *arg)
{
	struct xfer *x = arg;
	struct cursor c, line;
	const uint8_t *p;
	size_t i, n;

	(void)h;
	/* Of what we send we only look for QUIT (never copying anything):
	 * curl says QUIT after a failure too, and its 221 reply must not
	 * hide the reply that ended the transaction. */
	if (type == CURLINFO_HEADER_OUT && size >= 4 &&
	    strncasecmp(data, "QUIT", 4) == 0)
		x->quit = 1;
	if (type != CURLINFO_HEADER_IN || x->quit)
		return 0;
	cur_init(&c, data, size);
	while ((n = cur_left(&c)) > 0) {
		p = cur_ptr(&c);
		for (i = 0; i < n && p[i] != '\n'; i++)
			;
		if (get_sub(&c, i < n ? i + 1 : n, &line) != 0)
			break;
		reply_line(x, &line);
	}
	return 0;
}

static int
classify(CURLcode cc, long code)
{
	switch (cc) {
	case CURLE_OK:
		return SMTP_ACCEPTED;
	case CURLE_LOGIN_DENIED:
	case CURLE_AUTH_ERROR:
	case CURLE_USE_SSL_FAILED:
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_CACERT_BADFILE:
	case CURLE_SSL_CERTPROBLEM:
	case CURLE_UNSUPPORTED_PROTOCOL:
		return SMTP_TRANSIENT;
	default:
		break;
	}
	if (code == 530)	/* authentication required: configuration */
		return SMTP_TRANSIENT;
	if (code >= 500 && code <= 599)
		return SMTP_PERMANENT;
	return SMTP_TRANSIENT;
}

int
smtp_config_check(const struct smtp_config *cfg, const char *from,
    struct mm_diag *diag)
{
	char fromb[SMTP_ADDR_MAX + 3];

	if (cfg == NULL || url_check(cfg->url) != 0)
		return mm_diag_set(diag, MM_EINVAL,
		    "smtp: URL must be smtp:// or smtps://, at most %d bytes",
		    SMTP_URL_MAX);
	if (addr_bracket(from, fromb, sizeof(fromb)) != 0)
		return mm_diag_set(diag, MM_EINVAL,
		    "smtp: bad envelope sender (RFC 5321 4.1.2)");
	if (cfg->connect_timeout_ms < 0 || cfg->timeout_ms < 0 ||
	    (unsigned)cfg->tls > SMTP_TLS_REQUIRE)
		return mm_diag_set(diag, MM_EINVAL,
		    "smtp: negative timeout or bad TLS mode");
	return 0;
}

int
smtp_send(const struct smtp_config *cfg, const char *from,
    const char *const *rcpt, size_t nrcpt, const uint8_t *msg, size_t len,
    struct smtp_reply *reply, struct mm_diag *diag)
{
	char errbuf[CURL_ERROR_SIZE], fromb[SMTP_ADDR_MAX + 3];
	char rb[SMTP_ADDR_MAX + 3];
	struct curl_slist *rl = NULL, *t;
	struct xfer x;
	CURL *h = NULL;
	CURLcode cc;
	size_t i;
	int rc;

	if (reply != NULL) {
		reply->code = 0;
		reply->text[0] = '\0';
	}
	if ((rc = smtp_config_check(cfg, from, diag)) != 0)
		return rc;
	(void)addr_bracket(from, fromb, sizeof(fromb));
	if (rcpt == NULL || nrcpt == 0 || nrcpt > SMTP_RCPT_MAX)
		return mm_diag_set(diag, MM_EINVAL,
		    "smtp: need 1..%d recipients, got %zu", SMTP_RCPT_MAX,
		    nrcpt);
	if ((msg == NULL && len > 0) || len > SMTP_MSG_MAX)
		return mm_diag_set(diag, MM_EINVAL,
		    "smtp: message of %zu bytes, over the cap of %zu", len,
		    SMTP_MSG_MAX);
	pthread_once(&smtp_once, smtp_init_once);
	if (smtp_init_rc != 0)
		return mm_diag_set(diag, MM_EIO, "smtp: libcurl init failed");

	for (i = 0; i < nrcpt; i++) {
		if (addr_bracket(rcpt[i], rb, sizeof(rb)) != 0) {
			rc = mm_diag_set(diag, MM_EINVAL,
			    "smtp: bad envelope recipient #%zu (RFC 5321 "
			    "4.1.2)", i + 1);
			goto out;
		}
		if ((t = curl_slist_append(rl, rb)) == NULL) {
			rc = mm_diag_set(diag, MM_ENOMEM, "smtp: out of memory");
			goto out;
		}
		rl = t;
	}
	if ((h = curl_easy_init()) == NULL) {
		rc = mm_diag_set(diag, MM_EIO, "smtp: curl_easy_init failed");
		goto out;
	}
	memset(&x, 0, sizeof(x));
	x.msg = msg;
	x.len = len;
	x.complete = 1;
	errbuf[0] = '\0';

	curl_easy_setopt(h, CURLOPT_URL, cfg->url);
#if LIBCURL_VERSION_NUM >= 0x075500
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "smtp,smtps");
	curl_easy_setopt(h, CURLOPT_REDIR_PROTOCOLS_STR, "smtp,smtps");
#endif
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS,
	    cfg->connect_timeout_ms > 0 ? cfg->connect_timeout_ms :
	    DEF_CONNECT_MS);
	curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, cfg->timeout_ms > 0 ?
	    cfg->timeout_ms : DEF_TOTAL_MS);
	/* libcurl waits for the reply to the end of DATA in its "done"
	 * phase, bounded by the server response timeout, not by
	 * CURLOPT_TIMEOUT_MS: bound that too (whole seconds) */
	curl_easy_setopt(h, CURLOPT_SERVER_RESPONSE_TIMEOUT,
	    ((cfg->timeout_ms > 0 ? cfg->timeout_ms : DEF_TOTAL_MS) + 999) /
	    1000);
	curl_easy_setopt(h, CURLOPT_MAIL_FROM, fromb);
	curl_easy_setopt(h, CURLOPT_MAIL_RCPT, rl);
	curl_easy_setopt(h, CURLOPT_UPLOAD, 1L);
	curl_easy_setopt(h, CURLOPT_READFUNCTION, read_cb);
	curl_easy_setopt(h, CURLOPT_READDATA, &x);
	curl_easy_setopt(h, CURLOPT_INFILESIZE_LARGE, (curl_off_t)len);
	curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
	curl_easy_setopt(h, CURLOPT_DEBUGFUNCTION, debug_cb);
	curl_easy_setopt(h, CURLOPT_DEBUGDATA, &x);
	curl_easy_setopt(h, CURLOPT_VERBOSE, 1L);	/* feeds debug_cb only */
	curl_easy_setopt(h, CURLOPT_FORBID_REUSE, 1L);
	switch (cfg->tls) {
	case SMTP_TLS_TRY:
		curl_easy_setopt(h, CURLOPT_USE_SSL, (long)CURLUSESSL_TRY);
		break;
	case SMTP_TLS_REQUIRE:
		curl_easy_setopt(h, CURLOPT_USE_SSL, (long)CURLUSESSL_ALL);
		break;
	default:
		curl_easy_setopt(h, CURLOPT_USE_SSL, (long)CURLUSESSL_NONE);
		break;
	}
	if (cfg->ca_file != NULL)
		curl_easy_setopt(h, CURLOPT_CAINFO, cfg->ca_file);
	if (cfg->username != NULL) {
		curl_easy_setopt(h, CURLOPT_USERNAME, cfg->username);
		curl_easy_setopt(h, CURLOPT_PASSWORD,
		    cfg->password != NULL ? cfg->password : "");
	}

	cc = curl_easy_perform(h);
	rc = classify(cc, x.complete ? x.code : 0);
	if (reply != NULL) {
		reply->code = x.code;
		memcpy(reply->text, x.text, x.tlen + 1);
	}
	if (rc != SMTP_ACCEPTED && x.tlen > 0)
		mm_diag_set(diag, rc, "smtp: %s: server said \"%s\" (%s)",
		    smtp_result_name(rc), x.text,
		    errbuf[0] != '\0' ? errbuf : curl_easy_strerror(cc));
	else if (rc != SMTP_ACCEPTED)
		mm_diag_set(diag, rc, "smtp: %s: %s", smtp_result_name(rc),
		    errbuf[0] != '\0' ? errbuf : curl_easy_strerror(cc));
	else
		mm_diag_clear(diag);
 out:
	/* the password lives in curl's copy only; curl_easy_cleanup frees it */
	curl_easy_cleanup(h);
	curl_slist_free_all(rl);
	return rc;
}
