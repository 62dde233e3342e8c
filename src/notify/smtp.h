/*
 * smtp.h - hand one finished RFC 5322 message to an SMTP server (libcurl).
 *
 * The caller gives a server URL (smtp://host[:port][/ehlo-name] or
 * smtps://...), an envelope sender, one or more envelope recipients and the
 * message as bytes (CRLF line ends, headers and body already rendered); this
 * module runs one SMTP transaction (EHLO, optional STARTTLS and AUTH, MAIL,
 * RCPT..., DATA) and says how it ended:
 *
 *	SMTP_ACCEPTED	the server answered 250 to the end of DATA and libcurl
 *			returned CURLE_OK for the whole transaction; only then
 *			is a message "sent";
 *	SMTP_TRANSIENT	try again later: connection refused, reset or dropped,
 *			a timeout, name resolution, a 4xx reply at any step,
 *			and local configuration failures (login denied, 530
 *			authentication required, TLS required but not
 *			offered, certificate problems), which
 *			no message is to blame for and which an operator can
 *			fix without losing the queue;
 *	SMTP_PERMANENT	a 5xx reply to MAIL, RCPT or DATA: this message to this
 *			recipient will not be accepted; give up on it.
 *
 * The diag then holds the last reply line(s) the server sent (its text,
 * e.g. "550 5.1.1 mailbox unavailable") and what libcurl said; it never
 * holds the password (only server-to-client lines are kept, never the
 * AUTH exchange we send).
 *
 * libcurl does the dot-stuffing of lines starting with "." and appends the
 * final CRLF "." CRLF; the message is sent byte for byte otherwise. TLS: with
 * smtps:// the whole session is TLS; with smtp:// STARTTLS is off, tried
 * (CURLUSESSL_TRY) or required (CURLUSESSL_ALL) as configured. Peer
 * verification stays on; `ca_file` may name a CA bundle.
 *
 * Costs: one TCP connection per call, bounded in time by the connect and
 * total timeouts; the message is streamed from the caller's buffer (no
 * copy); the kept reply text is capped at SMTP_REPLY_MAX bytes. Signals are
 * not used (CURLOPT_NOSIGNAL), so it is safe in threads; libcurl is
 * initialised once per process on first use.
 */
#ifndef MAMORI_NOTIFY_SMTP_H
#define MAMORI_NOTIFY_SMTP_H

#include <stddef.h>
#include <stdint.h>

#include "core/err.h"

#define SMTP_URL_MAX		2048
#define SMTP_ADDR_MAX		254	/* RFC 5321 path, without < > */
#define SMTP_RCPT_MAX		100	/* envelope recipients per message */
#define SMTP_MSG_MAX		((size_t)64 << 20)	/* message bytes */
#define SMTP_REPLY_MAX		200	/* server text kept in the diag */

enum smtp_result {
	SMTP_ACCEPTED = 0,
	SMTP_TRANSIENT = 1,
	SMTP_PERMANENT = 2
};

enum smtp_tls {
	SMTP_TLS_NONE = 0,	/* plain smtp:// (smtps:// is TLS anyway) */
	SMTP_TLS_TRY,		/* STARTTLS when offered */
	SMTP_TLS_REQUIRE	/* STARTTLS or fail (transient) */
};

/*
 * Where and how to send. Strings are borrowed for the call. username and
 * password NULL = no AUTH; they are handed to libcurl only and never
 * appear in a diag. Timeouts of 0 take the defaults (10 s connect, 120 s
 * total).
 */
struct smtp_config {
	const char	*url;		/* smtp://127.0.0.1:2525 */
	const char	*username;
	const char	*password;
	enum smtp_tls	 tls;
	const char	*ca_file;	/* NULL = system store */
	long		 connect_timeout_ms;
	long		 timeout_ms;
};

/* The SMTP reply that ended the transaction, when there was one. */
struct smtp_reply {
	long	code;			/* 0 = none (no reply, or local error) */
	char	text[SMTP_REPLY_MAX + 1];	/* last reply line(s), "" = none */
};

/*
 * Sends `msg` (`len` bytes, at most SMTP_MSG_MAX) from `from` to the `nrcpt`
 * addresses in `rcpt` (1..SMTP_RCPT_MAX; plain addresses, with or without
 * < >; no CR, LF, < or > inside). `reply` (may be NULL) gets the last
 * server reply. Returns SMTP_ACCEPTED, SMTP_TRANSIENT or SMTP_PERMANENT
 * (all >= 0, with `diag` describing a failure), or a negative MM_EINVAL
 * (bad URL, address or size: nothing was sent) / MM_ENOMEM / MM_EIO
 * (libcurl could not start). `diag` may be NULL.
 */
int	smtp_send(const struct smtp_config *cfg, const char *from,
	    const char *const *rcpt, size_t nrcpt, const uint8_t *msg,
	    size_t len, struct smtp_reply *reply, struct mm_diag *diag);

/*
 * Checks what smtp_send() would check of the configuration and the sender
 * (URL scheme and length, sender address, timeouts not negative), without
 * sending, so a caller can reject a bad configuration once, before a queue
 * run, and then read MM_EINVAL from smtp_send() as a fault of the message
 * (its recipient address or size). Returns 0 or MM_EINVAL with `diag`.
 */
int	smtp_config_check(const struct smtp_config *cfg, const char *from,
	    struct mm_diag *diag);

/* "accepted", "transient", "permanent"; never NULL. */
const char *smtp_result_name(int r);

/* Checks an envelope address: 1..SMTP_ADDR_MAX bytes, one '@' with text on
 * both sides, printable ASCII without spaces, < > or controls. Returns 0 or
 * MM_EINVAL. NULL-safe (NULL is invalid). */
int	smtp_addr_check(const char *addr);

#endif
