/*
 * telnet.h - client side of a telnet session for the survey: RFC 854/855
 * option negotiation, a cleaned text stream, and login/password/shell prompt
 * detection.
 *
 * The caller feeds bytes as they arrive from a non-blocking socket; the
 * machine strips IAC sequences, writes the replies a well-behaved client
 * sends into the caller's buffer, appends the cleaned text to a bounded
 * banner (first TELNET_TEXT_MAX bytes kept) and a rolling tail (last
 * TELNET_TAIL_MAX bytes) on which prompts are matched. The struct is fixed
 * size (about 1.7 KiB) and nothing is allocated.
 *
 * Negotiation policy (RFC 1143 spirit, answer once per option and
 * direction, never loop):
 *   WILL ECHO, WILL SGA    -> DO   (server echoes, no go-ahead: the usual
 *                                   login-shell mode of busybox telnetd)
 *   WILL other             -> DONT
 *   DO SGA                 -> WILL (harmless: we never send GA)
 *   DO other               -> WONT (no terminal type, window size, ...)
 *   WONT x / DONT x        -> acknowledged with DONT x / WONT x only if x was
 *                             enabled, else ignored
 *   SB ... IAC SE          -> skipped (we enabled no option that needs it)
 *   IAC IAC                -> data byte 255
 *   other IAC commands     -> ignored
 * Each option is answered at most once per direction: a server repeating
 * requests gets no more replies (no amplification, no loop).
 *
 * Caps (configurable in telnet_init): total negotiation bytes, negotiation
 * commands ("rounds") and bytes per subnegotiation; past one, telnet_feed
 * returns MM_ELIMIT with a diag naming the cap, so a malformed or endless
 * negotiation costs a bounded amount.
 *
 * Prompt detection on the cleaned tail (trailing whitespace ignored,
 * ASCII case-insensitive):
 *   login:     "login:", "username:", "user name:", "user:" at the end
 *              (covers busybox "(none) login:")
 *   password:  "password:" / "passcode:" at the end
 *   after telnet_mark_sent() (the caller sent credentials):
 *   fail:      "login incorrect", "access denied", "authentication failed",
 *              "login failed", "incorrect password", "bad password"
 *              anywhere in the text since the mark
 *   shell:     a line ending in '#', '$', '>' or '%' (with optional space)
 *   A login prompt appearing again after the mark is reported as
 *   TELNET_EV_LOGIN; the scanner treats it as failure.
 * Each event is reported once per occurrence: a prompt is reported again
 * only after new non-whitespace text.
 */
#ifndef MAMORI_SURVEY_TELNET_H
#define MAMORI_SURVEY_TELNET_H

#include <stddef.h>
#include <stdint.h>

#include "core/err.h"

#define TELNET_TEXT_MAX		1024	/* banner text kept */
#define TELNET_TAIL_MAX		256	/* rolling tail for prompt matching */

#define TELNET_DEF_NEGO_BYTES	4096
#define TELNET_DEF_NEGO_ROUNDS	256
#define TELNET_DEF_SB_BYTES	512

/* telnet_feed events (bit mask) */
#define TELNET_EV_DATA		0x01	/* new cleaned text arrived */
#define TELNET_EV_LOGIN		0x02	/* login prompt at end of text */
#define TELNET_EV_PASSWORD	0x04	/* password prompt at end of text */
#define TELNET_EV_SHELL		0x08	/* shell prompt (after mark) */
#define TELNET_EV_FAIL		0x10	/* failure text (after mark) */

/* RFC 854 commands and the options we name */
#define TELNET_IAC	255
#define TELNET_DONT	254
#define TELNET_DO	253
#define TELNET_WONT	252
#define TELNET_WILL	251
#define TELNET_SB	250
#define TELNET_SE	240
#define TELNET_OPT_ECHO	1
#define TELNET_OPT_SGA	3

struct telnet {
	/* caps */
	size_t	 max_nego_bytes;
	size_t	 max_nego_rounds;
	size_t	 max_sb_bytes;
	/* counters */
	size_t	 nego_bytes;		/* bytes inside IAC sequences */
	size_t	 nego_rounds;		/* IAC commands seen */
	size_t	 replies_dropped;	/* replies not fitting the buffer */
	uint64_t data_bytes;		/* cleaned text bytes, total */
	/* cleaned text */
	char	 text[TELNET_TEXT_MAX + 1];
	size_t	 text_len;
	char	 tail[TELNET_TAIL_MAX];
	size_t	 tail_len;
	/* prompt reporting */
	uint64_t last_nonws;		/* data_bytes at last non-space byte */
	uint64_t reported;		/* last_nonws when last prompt fired */
	uint64_t mark;			/* data_bytes at telnet_mark_sent */
	int	 marked;
	int	 failed;		/* FAIL already reported since mark */
	char	 fwin[32];		/* window for failure phrases */
	size_t	 fwin_len;
	/* parser state */
	int	 state;
	uint8_t	 cmd;
	size_t	 sb_len;
	int	 error;
	uint8_t	 him[32];	/* bit: server option enabled (we sent DO) */
	uint8_t	 us[32];	/* bit: our option enabled (we sent WILL) */
	uint8_t	 ans_will[32];	/* bit: a WILL/WONT of the server answered */
	uint8_t	 ans_do[32];	/* bit: a DO/DONT of the server answered */
};

/* Initialises `t`. Zero caps take the TELNET_DEF_* defaults. Never fails. */
void	telnet_init(struct telnet *t, size_t max_nego_bytes,
	    size_t max_nego_rounds, size_t max_sb_bytes);

/* Feeds `n` bytes from the server. Replies for the server are appended to
 * `reply` (capacity `cap`, may be NULL when cap is 0); *reply_len gets the
 * number written. A cap of 3 * n never drops a reply; replies that do not
 * fit are dropped and counted in replies_dropped. Returns a mask of
 * TELNET_EV_* (0: nothing new) or MM_ELIMIT (a cap was hit) with `d`
 * naming it; after an error every feed returns it again. `d` may be NULL. */
int	telnet_feed(struct telnet *t, const uint8_t *in, size_t n,
	    uint8_t *reply, size_t cap, size_t *reply_len, struct mm_diag *d);

/* Cleaned banner text: the first TELNET_TEXT_MAX data bytes with IAC
 * sequences, NUL and CR removed; NUL-terminated, never NULL, owned by `t`.
 * `len` may be NULL. */
const char *telnet_text(const struct telnet *t, size_t *len);

/* Tells the machine the caller has just sent credentials: from here on
 * shell and failure detection apply, on text that arrives after this call. */
void	telnet_mark_sent(struct telnet *t);

/* Matchers on a text (not NUL-terminated) used by telnet_feed; exposed for
 * tests and the rule engine. Each returns 1 if the text ends with such a
 * prompt (trailing whitespace ignored), else 0. */
int	telnet_is_login_prompt(const char *s, size_t len);
int	telnet_is_password_prompt(const char *s, size_t len);
int	telnet_is_shell_prompt(const char *s, size_t len);

#endif
