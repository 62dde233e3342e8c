/*
 * chhttp.h - minimal synchronous ClickHouse HTTP client (libcurl).
 *
 * One POST per call against ClickHouse's HTTP interface (port 8123 by
 * default): with no body, the SQL is the POST body; with a body (INSERT
 * data), the SQL travels url-encoded in `?query=` and the body is the data,
 * which is how ClickHouse expects `INSERT ... FORMAT RowBinary`. Any user,
 * password or settings go in the base URL ("http://h:8123/?user=u&password=p"
 * or "...?database=x"), to which `query=` is appended with `&`.
 *
 * Errors: transport failures (refused, unreachable, timed out) return
 * MM_EAGAIN, since the server may come back; an HTTP status other than 200
 * returns MM_EIO with the first line of ClickHouse's exception text in diag;
 * a response larger than the cap returns MM_ELIMIT. The response is read
 * into memory up to the cap (CHHTTP_MAX_RESPONSE unless set), so callers
 * streaming huge results should LIMIT or aggregate server-side.
 *
 * Cost: one TCP connection per chhttp_query(); a struct chhttp keeps its
 * connection alive across posts (libcurl's cache). Timeouts bound each call.
 * Thread safety: a struct chhttp is for one thread at a time; chhttp_query()
 * may be called from any thread. libcurl is initialised once, on first use.
 */
#ifndef MAMORI_COLLECT_CHHTTP_H
#define MAMORI_COLLECT_CHHTTP_H

#include <stddef.h>

#include "core/err.h"

#define CHHTTP_MAX_RESPONSE	((size_t)256 << 20)
#define CHHTTP_MAX_URL		4096	/* base URL length cap */

struct chhttp_opts {
	long	connect_timeout_ms;	/* 0: 3000 */
	long	timeout_ms;		/* whole request; 0: 60000 */
	size_t	max_response;		/* 0: CHHTTP_MAX_RESPONSE */
};

struct chhttp;

/* Makes a client for the base `url` (http:// or https://) and stores it in
 * *hp. `opts` may be NULL for the defaults. Returns 0, MM_EINVAL (empty,
 * over-long or non-HTTP URL), MM_ENOMEM or MM_EIO (libcurl init), with
 * `diag` (may be NULL); *hp is NULL on failure. */
int		 chhttp_new(const char *url, const struct chhttp_opts *opts,
		    struct chhttp **hp, struct mm_diag *diag);

/* Frees `h` and closes its connection; NULL-safe. */
void		 chhttp_free(struct chhttp *h);

/* POSTs `sql` (with `body`/`len` as data when body is not NULL). When `out`
 * is not NULL, stores a malloc'ed, NUL-terminated copy of the response body
 * there (the caller frees it) and its length without the NUL in *outlen
 * (outlen may be NULL); on failure *out is NULL. Returns 0, MM_EAGAIN,
 * MM_EIO, MM_ELIMIT, MM_ENOMEM or MM_EINVAL, with `diag` (may be NULL). */
int		 chhttp_post(struct chhttp *h, const char *sql,
		    const void *body, size_t len, char **out, size_t *outlen,
		    struct mm_diag *diag);

/* One-shot chhttp_new() + chhttp_post() + chhttp_free() with default
 * timeouts; same contract as chhttp_post(). */
int		 chhttp_query(const char *url, const char *sql,
		    const void *body, size_t len, char **out, size_t *outlen,
		    struct mm_diag *diag);

/* Makes sure libcurl is initialised (idempotent, thread-safe). Returns 0 or
 * MM_EIO. Called by chhttp_new(); exposed for modules that must initialise
 * before starting threads. */
int		 chhttp_global_init(void);

#endif
