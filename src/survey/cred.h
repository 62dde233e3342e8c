/*
 * cred.h - the survey's opt-in credential check (NOTICE's "specified
 * access"): the credential list, and the per-protocol check machines the
 * scan engine drives (telnet and HTTP Basic/Digest inside the epoll loop,
 * SSH in a small worker pool, see credssh.h).
 *
 * Safety rules, enforced here and in scan.c:
 *   - off unless the caller passes a list (mamori survey
 *     --check-credentials); at most `max_attempts` pairs per service;
 *   - stop at the first success and disconnect at once: telnet closes as
 *     soon as a shell prompt is seen (nothing is typed into it), HTTP sends
 *     no further request, SSH authenticates only and never opens a channel;
 *   - a pair is named by its id ONLY: no user or password ever appears in
 *     a diag, a result, a finding or an output row. Parser diagnostics name
 *     the file, line and field, never the field's bytes.
 *
 * File format (docs/mamori-credentials.5): one pair per line,
 *     ID  USER  PASSWORD
 * separated by blanks; a line whose first non-blank byte is '#' is a
 * comment; a field holding blanks or '"', or an empty field, is
 * double-quoted with \" and \\ escapes.
 * Caps: CRED_LINE_MAX bytes per line, CRED_MAX_PAIRS pairs, CRED_ID_MAX-1
 * bytes per id, CRED_FIELD_MAX-1 bytes per user or password, printable
 * ASCII only, ids unique, no ':' in a user (HTTP Basic cannot carry it).
 *
 * Costs: the list is one array of fixed-size entries (~160 B each, at most
 * 1000: 160 KiB). The telnet machine is about 2 KiB, allocated only while a
 * check runs on a connection; the HTTP machine about 1 KiB.
 */
#ifndef MAMORI_SURVEY_CRED_H
#define MAMORI_SURVEY_CRED_H

#include <stddef.h>
#include <stdint.h>

#include "core/err.h"
#include "survey/http.h"
#include "survey/telnet.h"

#define CRED_LINE_MAX		1024	/* bytes per line, newline excluded */
#define CRED_MAX_PAIRS		1000
#define CRED_ID_MAX		32	/* id bytes + NUL */
#define CRED_FIELD_MAX		64	/* user / password bytes + NUL */
#define CRED_FILE_MAX		(1024 * 1024)
#define CRED_DEF_ATTEMPTS	10
#define CRED_MAX_ATTEMPTS	100

struct cred {
	char	id[CRED_ID_MAX];
	char	user[CRED_FIELD_MAX];
	char	pass[CRED_FIELD_MAX];
};

struct cred_list {
	struct cred	*v;
	size_t		 n;
};

/* What a check machine says after an input. */
#define CRED_MORE	0	/* waiting for more input */
#define CRED_OK		1	/* the current pair worked: disconnect now */
#define CRED_NEXT	2	/* the current pair failed; see the machine */
#define CRED_DONE	3	/* no more attempts: disconnect, no success */

/* Parses a credentials file held in buf[0..len) (`name` is used in
 * diagnostics, "FILE:LINE: ..."). Returns 0 with *out (free with
 * cred_list_free), MM_ESYNTAX (bad line), MM_ELIMIT (a cap), MM_EFORMAT
 * (no pair at all) or MM_ENOMEM, with `d` naming file, line and field but
 * never a field's content. `d` may be NULL. */
int	cred_list_parse(const char *name, const uint8_t *buf, size_t len,
	    struct cred_list **out, struct mm_diag *d);

/* Reads and parses file `path` (at most CRED_FILE_MAX bytes). Returns as
 * cred_list_parse, or MM_EIO when it cannot be read. */
int	cred_list_load(const char *path, struct cred_list **out,
	    struct mm_diag *d);

/* Frees `l`; NULL-safe. */
void	cred_list_free(struct cred_list *l);

/* Index of the pair with id `id`, or -1. */
int	cred_list_find(const struct cred_list *l, const char *id);

/* ---- telnet ---- */

enum cred_tn_state {
	CTN_LOGIN = 0,	/* waiting for a login (or password) prompt */
	CTN_PASS,	/* user sent, waiting for the password prompt */
	CTN_RESULT,	/* password sent, waiting for shell / failure */
	CTN_END		/* success, or attempts used up on this session */
};

/* One telnet session of the check. Pairs are tried in list order from
 * `next`; `used` counts attempts begun over all sessions of the service
 * (the caller carries it from one connection to the next). */
struct cred_tn {
	struct telnet		tn;
	enum cred_tn_state	st;
	size_t			next;	/* pair being tried / to try */
	unsigned		used;	/* attempts begun (all sessions) */
	unsigned		max;	/* cap on attempts */
	int			ok;	/* 1 once `next` succeeded */
};

/* Starts a session at pair `next` with `used` attempts already spent and
 * at most `max` in all. `tn` (may be NULL) is a telnet machine that has
 * already read this connection's banner: it is copied so that a prompt
 * it has seen is answered by cred_tn_begin. Never fails. */
void	cred_tn_init(struct cred_tn *m, const struct telnet *tn, size_t next,
	    unsigned used, unsigned max);

/* Answers a prompt already seen (`ev`: the TELNET_EV_* of the banner, 0 if
 * none): writes the user (or password) line into out (capacity cap;
 * *olen gets the length). Returns CRED_MORE or CRED_DONE (no pair left). */
int	cred_tn_begin(struct cred_tn *m, const struct cred_list *l, int ev,
	    uint8_t *out, size_t cap, size_t *olen);

/* Feeds n bytes from the server. Bytes to send (negotiation replies, the
 * next user or password line) go to out (cap >= 3 * n + 2 * CRED_FIELD_MAX
 * + 8 never drops anything); *olen gets their length. Returns CRED_MORE,
 * CRED_OK (pair m->next worked; send nothing more, close), CRED_NEXT (a
 * pair failed and the next one has been started on this connection, or
 * the machine now waits for a fresh prompt), CRED_DONE (max attempts used,
 * no success), or MM_ELIMIT when the telnet machine hit a cap. `d` may be
 * NULL. */
int	cred_tn_feed(struct cred_tn *m, const struct cred_list *l,
	    const uint8_t *in, size_t n, uint8_t *out, size_t cap,
	    size_t *olen, struct mm_diag *d);

/* The server closed the connection (or it timed out). A pending attempt
 * counts as failed. Returns CRED_DONE (no attempt left) or CRED_NEXT (the
 * caller may reconnect and start a new session at m->next, m->used). */
int	cred_tn_eof(struct cred_tn *m, const struct cred_list *l);

/* ---- HTTP Basic / Digest ---- */

struct cred_http {
	struct http_auth	auth;	/* the latest challenge */
	size_t			next;
	unsigned		used;
	unsigned		max;
	int			ok;
	uint32_t		cnonce_seed;
};

/* Looks at a 401 response `r`: if it carries a usable Basic or Digest
 * (MD5, SHA-256, with or without -sess) challenge, initialises `m` (at
 * most `max` attempts) and returns 1; else 0. `seed` varies the Digest
 * cnonce. */
int	cred_http_start(struct cred_http *m, const struct http_resp *r,
	    unsigned max, uint32_t seed);

/* Builds the request for the next attempt: GET `path` with Authorization
 * for pair m->next, counting the attempt. Returns 0, CRED_DONE-as-MM_ENOENT
 * (MM_ENOENT: no attempt left) or an error from the HTTP helpers (a pair
 * the scheme cannot carry is skipped, not sent). `len` gets the length. */
int	cred_http_request(struct cred_http *m, const struct cred_list *l,
	    const char *host, const char *path, const char *ua, char *out,
	    size_t cap, size_t *len);

/* Judges the response to the last attempt: a 2xx or 3xx is CRED_OK; a
 * 401 is CRED_NEXT (its challenge replaces the old one) or CRED_DONE when
 * no attempt is left; anything else (no response, 403, 5xx) is CRED_DONE. */
int	cred_http_result(struct cred_http *m, const struct cred_list *l,
	    const struct http_resp *r);

#endif
