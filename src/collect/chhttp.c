/*
 * chhttp.c - ClickHouse over HTTP with libcurl; see chhttp.h.
 *
 * Each post sets the whole option set on a reused easy handle (so the
 * connection stays alive) and reads the response into a growing buffer
 * capped at max_response; exceeding the cap aborts the transfer. Only
 * http and https are allowed as protocols, redirects are not followed,
 * signals are not used (threads), and "Expect: 100-continue" is disabled so
 * large inserts do not stall for a second waiting for it. Diagnostics never
 * quote the URL, which may carry a password.
 */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "collect/chhttp.h"

struct chhttp {
	CURL			*curl;
	struct curl_slist	*hdr_bin;	/* data POSTs */
	struct curl_slist	*hdr_txt;	/* SQL-in-body POSTs */
	char			*url;
	struct chhttp_opts	 o;
	char			 errbuf[CURL_ERROR_SIZE];
};

struct chhttp_buf {
	char	*p;
	size_t	 len;
	size_t	 cap;
	size_t	 max;
	int	 over;	/* cap exceeded */
	int	 nomem;
};

static pthread_once_t chhttp_once = PTHREAD_ONCE_INIT;
static int chhttp_init_rc = -1;

static void
chhttp_init_once(void)
{
	chhttp_init_rc = curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK ?
	    0 : MM_EIO;
}

int
chhttp_global_init(void)
{
	pthread_once(&chhttp_once, chhttp_init_once);
	return chhttp_init_rc;
}

/* "Expect:" (no 100-continue) plus a Content-Type; NULL on ENOMEM. */
static struct curl_slist *
chhttp_headers(const char *ctype)
{
	struct curl_slist *l, *n;
	char line[80];

	if ((l = curl_slist_append(NULL, "Expect:")) == NULL)
		return NULL;
	snprintf(line, sizeof(line), "Content-Type: %s", ctype);
	if ((n = curl_slist_append(l, line)) == NULL) {
		curl_slist_free_all(l);
		return NULL;
	}
	return n;
}

int
chhttp_new(const char *url, const struct chhttp_opts *opts,
    struct chhttp **hp, struct mm_diag *diag)
{
	struct chhttp *h = NULL;
	size_t n;

	if (hp == NULL)
		return mm_diag_set(diag, MM_EINVAL, "clickhouse: no handle");
	*hp = NULL;
	if (url == NULL || (n = strlen(url)) == 0 || n > CHHTTP_MAX_URL)
		return mm_diag_set(diag, MM_EINVAL, "clickhouse: URL empty or "
		    "longer than %d bytes", CHHTTP_MAX_URL);
	if (strncmp(url, "http://", 7) != 0 &&
	    strncmp(url, "https://", 8) != 0)
		return mm_diag_set(diag, MM_EINVAL, "clickhouse: URL must "
		    "start with http:// or https://");
	if (chhttp_global_init() != 0)
		return mm_diag_set(diag, MM_EIO, "clickhouse: libcurl init "
		    "failed");
	if ((h = calloc(1, sizeof(*h))) == NULL)
		goto nomem;
	if (opts != NULL)
		h->o = *opts;
	if (h->o.connect_timeout_ms <= 0)
		h->o.connect_timeout_ms = 3000;
	if (h->o.timeout_ms <= 0)
		h->o.timeout_ms = 60000;
	if (h->o.max_response == 0)
		h->o.max_response = CHHTTP_MAX_RESPONSE;
	if ((h->url = strdup(url)) == NULL)
		goto nomem;
	if ((h->curl = curl_easy_init()) == NULL)
		goto nomem;
	if ((h->hdr_bin = chhttp_headers("application/octet-stream")) == NULL ||
	    (h->hdr_txt = chhttp_headers("text/plain; charset=utf-8")) == NULL)
		goto nomem;
	*hp = h;
	return 0;
 nomem:
	chhttp_free(h);
	return mm_diag_set(diag, MM_ENOMEM, "clickhouse: out of memory");
}

void
chhttp_free(struct chhttp *h)
{
	if (h == NULL)
		return;
	if (h->curl != NULL)
		curl_easy_cleanup(h->curl);
	curl_slist_free_all(h->hdr_bin);
	curl_slist_free_all(h->hdr_txt);
	free(h->url);
	free(h);
}

static size_t
chhttp_write(char *p, size_t size, size_t nmemb, void *arg)
{
	struct chhttp_buf *b = arg;
	size_t n = size * nmemb, ncap;
	char *np;

	if (n > b->max - b->len) {
		b->over = 1;
		return 0;
	}
	if (b->len + n + 1 > b->cap) {
		ncap = b->cap ? b->cap : 4096;
		while (ncap < b->len + n + 1)
			ncap *= 2;
		if ((np = realloc(b->p, ncap)) == NULL) {
			b->nomem = 1;
			return 0;
		}
		b->p = np;
		b->cap = ncap;
	}
	memcpy(b->p + b->len, p, n);
	b->len += n;
	b->p[b->len] = '\0';
	return n;
}

/* Copies the first line of a ClickHouse error text, trimmed, into dst. */
static void
chhttp_first_line(const struct chhttp_buf *b, char *dst, size_t dlen)
{
	size_t i, n = 0;

	dst[0] = '\0';
	if (b->p == NULL)
		return;
	for (i = 0; i < b->len && n + 1 < dlen; i++) {
		if (b->p[i] == '\n' || b->p[i] == '\r')
			break;
		dst[n++] = (b->p[i] >= 0x20 && b->p[i] < 0x7f) ? b->p[i] : '?';
	}
	dst[n] = '\0';
}

int
chhttp_post(struct chhttp *h, const char *sql, const void *body, size_t len,
    char **out, size_t *outlen, struct mm_diag *diag)
{
	struct chhttp_buf b;
	char *url = NULL, *esc = NULL, line[200];
	const char *sep;
	size_t ulen;
	long status = 0;
	CURLcode cc;
	int rc;

	memset(&b, 0, sizeof(b));
	if (out != NULL)
		*out = NULL;
	if (outlen != NULL)
		*outlen = 0;
	if (h == NULL || sql == NULL)
		return mm_diag_set(diag, MM_EINVAL, "clickhouse: no query");
	b.max = h->o.max_response;

	if (body != NULL) {
		if ((esc = curl_easy_escape(h->curl, sql, 0)) == NULL) {
			rc = mm_diag_set(diag, MM_ENOMEM, "clickhouse: out of "
			    "memory");
			goto out;
		}
		if (strchr(h->url, '?') != NULL)
			sep = "&";
		else if (h->url[strlen(h->url) - 1] == '/')
			sep = "?";
		else
			sep = "/?";
		ulen = strlen(h->url) + strlen(sep) + 6 + strlen(esc) + 1;
		if ((url = malloc(ulen)) == NULL) {
			rc = mm_diag_set(diag, MM_ENOMEM, "clickhouse: out of "
			    "memory");
			goto out;
		}
		snprintf(url, ulen, "%s%squery=%s", h->url, sep, esc);
	}

	h->errbuf[0] = '\0';
	curl_easy_reset(h->curl);
	curl_easy_setopt(h->curl, CURLOPT_URL, url != NULL ? url : h->url);
#if LIBCURL_VERSION_NUM >= 0x075500
	curl_easy_setopt(h->curl, CURLOPT_PROTOCOLS_STR, "http,https");
#endif
	curl_easy_setopt(h->curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h->curl, CURLOPT_POST, 1L);
	if (body != NULL) {
		curl_easy_setopt(h->curl, CURLOPT_POSTFIELDS, body);
		curl_easy_setopt(h->curl, CURLOPT_POSTFIELDSIZE_LARGE,
		    (curl_off_t)len);
		curl_easy_setopt(h->curl, CURLOPT_HTTPHEADER, h->hdr_bin);
	} else {
		curl_easy_setopt(h->curl, CURLOPT_POSTFIELDS, sql);
		curl_easy_setopt(h->curl, CURLOPT_POSTFIELDSIZE_LARGE,
		    (curl_off_t)strlen(sql));
		curl_easy_setopt(h->curl, CURLOPT_HTTPHEADER, h->hdr_txt);
	}
	curl_easy_setopt(h->curl, CURLOPT_WRITEFUNCTION, chhttp_write);
	curl_easy_setopt(h->curl, CURLOPT_WRITEDATA, &b);
	curl_easy_setopt(h->curl, CURLOPT_CONNECTTIMEOUT_MS,
	    h->o.connect_timeout_ms);
	curl_easy_setopt(h->curl, CURLOPT_TIMEOUT_MS, h->o.timeout_ms);
	curl_easy_setopt(h->curl, CURLOPT_ERRORBUFFER, h->errbuf);
	curl_easy_setopt(h->curl, CURLOPT_FOLLOWLOCATION, 0L);

	cc = curl_easy_perform(h->curl);
	if (b.over) {
		rc = mm_diag_set(diag, MM_ELIMIT, "clickhouse: response larger "
		    "than %zu bytes", b.max);
		goto out;
	}
	if (b.nomem) {
		rc = mm_diag_set(diag, MM_ENOMEM, "clickhouse: out of memory "
		    "reading response");
		goto out;
	}
	if (cc != CURLE_OK) {
		rc = mm_diag_set(diag, MM_EAGAIN, "clickhouse: %s",
		    h->errbuf[0] != '\0' ? h->errbuf : curl_easy_strerror(cc));
		goto out;
	}
	curl_easy_getinfo(h->curl, CURLINFO_RESPONSE_CODE, &status);
	if (status != 200) {
		chhttp_first_line(&b, line, sizeof(line));
		rc = mm_diag_set(diag, MM_EIO, "clickhouse: HTTP %ld: %s",
		    status, line);
		goto out;
	}
	if (out != NULL) {
		if (b.p == NULL && (b.p = calloc(1, 1)) == NULL) {
			rc = mm_diag_set(diag, MM_ENOMEM, "clickhouse: out of "
			    "memory");
			goto out;
		}
		*out = b.p;
		if (outlen != NULL)
			*outlen = b.len;
		b.p = NULL;
	}
	rc = 0;
 out:
	free(b.p);
	free(url);
	curl_free(esc);
	return rc;
}

int
chhttp_query(const char *url, const char *sql, const void *body, size_t len,
    char **out, size_t *outlen, struct mm_diag *diag)
{
	struct chhttp *h;
	int rc;

	if (out != NULL)
		*out = NULL;
	if (outlen != NULL)
		*outlen = 0;
	if ((rc = chhttp_new(url, NULL, &h, diag)) < 0)
		return rc;
	rc = chhttp_post(h, sql, body, len, out, outlen, diag);
	chhttp_free(h);
	return rc;
}
