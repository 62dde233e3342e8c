/*
 * telnet.c - client-side telnet machine for the survey (RFC 854, 855).
 *
 * Approach: one pass over the input through a bounds-checked cursor, a
 * five-state machine (data, IAC, option command, SB, SB-IAC). Data bytes go
 * to the bounded banner, the rolling tail and a 32-byte failure-phrase
 * window; negotiation bytes are counted against the caps and answered per
 * the policy in telnet.h, once per option and direction. Prompt matching runs
 * once per feed on the tail (at most TELNET_TAIL_MAX bytes), failure phrases
 * per data byte on the small window.
 * Cost: O(n) per feed, O(1) memory, no allocation.
 */
#include <string.h>

#include "core/cursor.h"
#include "core/err.h"
#include "survey/telnet.h"

enum {
	ST_DATA,
	ST_IAC,
	ST_OPT,		/* after IAC WILL/WONT/DO/DONT */
	ST_SB,
	ST_SB_IAC
};

static const char *const fail_phrases[] = {
	"login incorrect",
	"access denied",
	"authentication failed",
	"login failed",
	"incorrect password",
	"bad password",
	"permission denied"
};

void
telnet_init(struct telnet *t, size_t max_nego_bytes, size_t max_nego_rounds,
    size_t max_sb_bytes)
{
	memset(t, 0, sizeof(*t));
	t->max_nego_bytes = max_nego_bytes ? max_nego_bytes :
	    TELNET_DEF_NEGO_BYTES;
	t->max_nego_rounds = max_nego_rounds ? max_nego_rounds :
	    TELNET_DEF_NEGO_ROUNDS;
	t->max_sb_bytes = max_sb_bytes ? max_sb_bytes : TELNET_DEF_SB_BYTES;
	t->state = ST_DATA;
}

static int
bit_get(const uint8_t *set, uint8_t opt)
{
	return (set[opt >> 3] >> (opt & 7)) & 1;
}

static void
bit_set(uint8_t *set, uint8_t opt, int on)
{
	if (on)
		set[opt >> 3] |= (uint8_t)(1u << (opt & 7));
	else
		set[opt >> 3] &= (uint8_t)~(1u << (opt & 7));
}

static int
lc(int ch)
{
	return (ch >= 'A' && ch <= 'Z') ? ch - 'A' + 'a' : ch;
}

static int
is_ws(int ch)
{
	return ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r' ||
	    ch == '\f' || ch == '\v';
}

/* Length of s[0..len) without trailing whitespace. */
static size_t
rtrim(const char *s, size_t len)
{
	while (len > 0 && is_ws((unsigned char)s[len - 1]))
		len--;
	return len;
}

/* 1 if s[0..len) ends with word `w` (ASCII case-insensitive). */
static int
ends_with_ci(const char *s, size_t len, const char *w)
{
	size_t wl = strlen(w), i;

	if (wl > len)
		return 0;
	for (i = 0; i < wl; i++)
		if (lc((unsigned char)s[len - wl + i]) != w[i])
			return 0;
	return 1;
}

/* Ends with one of `words`, then optional whitespace, then ':' (after the
 * caller's trim). */
static int
ends_with_prompt(const char *s, size_t len, const char *const *words,
    size_t nwords)
{
	size_t i;

	len = rtrim(s, len);
	if (len == 0 || s[len - 1] != ':')
		return 0;
	len = rtrim(s, len - 1);
	for (i = 0; i < nwords; i++)
		if (ends_with_ci(s, len, words[i]))
			return 1;
	return 0;
}

int
telnet_is_login_prompt(const char *s, size_t len)
{
	static const char *const w[] = { "login", "username", "user name",
	    "user" };

	return ends_with_prompt(s, len, w, sizeof(w) / sizeof(w[0]));
}

int
telnet_is_password_prompt(const char *s, size_t len)
{
	static const char *const w[] = { "password", "passcode", "passwd" };

	return ends_with_prompt(s, len, w, sizeof(w) / sizeof(w[0]));
}

int
telnet_is_shell_prompt(const char *s, size_t len)
{
	char ch;

	len = rtrim(s, len);
	if (len == 0)
		return 0;
	ch = s[len - 1];
	return ch == '#' || ch == '$' || ch == '>' || ch == '%';
}

static void
reply3(struct telnet *t, uint8_t *reply, size_t cap, size_t *rlen,
    uint8_t cmd, uint8_t opt)
{
	if (reply == NULL || cap - *rlen < 3) {
		t->replies_dropped++;
		return;
	}
	reply[(*rlen)++] = TELNET_IAC;
	reply[(*rlen)++] = cmd;
	reply[(*rlen)++] = opt;
}

static void
negotiate(struct telnet *t, uint8_t cmd, uint8_t opt, uint8_t *reply,
    size_t cap, size_t *rlen)
{
	switch (cmd) {
	case TELNET_WILL:
		if (bit_get(t->ans_will, opt))
			return;
		bit_set(t->ans_will, opt, 1);
		if (opt == TELNET_OPT_ECHO || opt == TELNET_OPT_SGA) {
			bit_set(t->him, opt, 1);
			reply3(t, reply, cap, rlen, TELNET_DO, opt);
		} else
			reply3(t, reply, cap, rlen, TELNET_DONT, opt);
		break;
	case TELNET_WONT:
		if (bit_get(t->him, opt)) {
			bit_set(t->him, opt, 0);
			reply3(t, reply, cap, rlen, TELNET_DONT, opt);
		}
		bit_set(t->ans_will, opt, 1);
		break;
	case TELNET_DO:
		if (bit_get(t->ans_do, opt))
			return;
		bit_set(t->ans_do, opt, 1);
		if (opt == TELNET_OPT_SGA) {
			bit_set(t->us, opt, 1);
			reply3(t, reply, cap, rlen, TELNET_WILL, opt);
		} else
			reply3(t, reply, cap, rlen, TELNET_WONT, opt);
		break;
	case TELNET_DONT:
		if (bit_get(t->us, opt)) {
			bit_set(t->us, opt, 0);
			reply3(t, reply, cap, rlen, TELNET_WONT, opt);
		}
		bit_set(t->ans_do, opt, 1);
		break;
	}
}

static int
fail_window_hit(const struct telnet *t)
{
	size_t i, pl;

	for (i = 0; i < sizeof(fail_phrases) / sizeof(fail_phrases[0]); i++) {
		pl = strlen(fail_phrases[i]);
		if (pl <= t->fwin_len && memcmp(t->fwin + t->fwin_len - pl,
		    fail_phrases[i], pl) == 0)
			return 1;
	}
	return 0;
}

/* One cleaned data byte. Returns TELNET_EV_FAIL or 0. */
static int
data_byte(struct telnet *t, uint8_t ch)
{
	if (ch == '\0' || ch == '\r')
		return 0;
	t->data_bytes++;
	if (t->text_len < TELNET_TEXT_MAX) {
		t->text[t->text_len++] = (char)ch;
		t->text[t->text_len] = '\0';
	}
	if (t->tail_len == TELNET_TAIL_MAX) {
		memmove(t->tail, t->tail + TELNET_TAIL_MAX / 2,
		    TELNET_TAIL_MAX / 2);
		t->tail_len = TELNET_TAIL_MAX / 2;
	}
	t->tail[t->tail_len++] = (char)ch;
	if (!is_ws(ch))
		t->last_nonws = t->data_bytes;
	if (!t->marked || t->failed)
		return 0;
	if (t->fwin_len == sizeof(t->fwin)) {
		memmove(t->fwin, t->fwin + 1, sizeof(t->fwin) - 1);
		t->fwin_len--;
	}
	t->fwin[t->fwin_len++] = (char)lc(ch);
	if (fail_window_hit(t)) {
		t->failed = 1;
		return TELNET_EV_FAIL;
	}
	return 0;
}

static int
nego_count(struct telnet *t, struct mm_diag *d)
{
	if (++t->nego_bytes > t->max_nego_bytes)
		return mm_diag_set(d, MM_ELIMIT,
		    "telnet: RFC 854: negotiation exceeds %zu bytes",
		    t->max_nego_bytes);
	return 0;
}

int
telnet_feed(struct telnet *t, const uint8_t *in, size_t n, uint8_t *reply,
    size_t cap, size_t *reply_len, struct mm_diag *d)
{
	struct cursor c;
	uint64_t before = t->data_bytes;
	size_t rlen = 0, tl;
	uint8_t ch;
	int ev = 0, rc = 0;

	if (reply_len)
		*reply_len = 0;
	if (t->error)
		return mm_diag_set(d, t->error, "telnet: session already "
		    "failed");
	cur_init(&c, in, n);
	while (get_u8(&c, &ch) == 0) {
		switch (t->state) {
		case ST_DATA:
			if (ch == TELNET_IAC) {
				if ((rc = nego_count(t, d)) != 0)
					goto out;
				t->state = ST_IAC;
			} else
				ev |= data_byte(t, ch);
			break;
		case ST_IAC:
			if (ch == TELNET_IAC) {		/* escaped 255 */
				t->nego_bytes--;
				ev |= data_byte(t, ch);
				t->state = ST_DATA;
				break;
			}
			if ((rc = nego_count(t, d)) != 0)
				goto out;
			if (++t->nego_rounds > t->max_nego_rounds) {
				rc = mm_diag_set(d, MM_ELIMIT,
				    "telnet: RFC 854: more than %zu "
				    "negotiation commands", t->max_nego_rounds);
				goto out;
			}
			if (ch >= TELNET_WILL && ch <= TELNET_DONT) {
				t->cmd = ch;
				t->state = ST_OPT;
			} else if (ch == TELNET_SB) {
				t->sb_len = 0;
				t->state = ST_SB;
			} else	/* NOP, GA, DM, AYT, SE stray, undefined */
				t->state = ST_DATA;
			break;
		case ST_OPT:
			if ((rc = nego_count(t, d)) != 0)
				goto out;
			negotiate(t, t->cmd, ch, reply, cap, &rlen);
			t->state = ST_DATA;
			break;
		case ST_SB:
		case ST_SB_IAC:
			if ((rc = nego_count(t, d)) != 0)
				goto out;
			if (++t->sb_len > t->max_sb_bytes) {
				rc = mm_diag_set(d, MM_ELIMIT,
				    "telnet: RFC 855: subnegotiation exceeds "
				    "%zu bytes", t->max_sb_bytes);
				goto out;
			}
			if (t->state == ST_SB)
				t->state = ch == TELNET_IAC ? ST_SB_IAC : ST_SB;
			else if (ch == TELNET_SE)
				t->state = ST_DATA;
			else	/* IAC IAC inside SB, or junk: stay in SB */
				t->state = ST_SB;
			break;
		}
	}
 out:
	if (reply_len)
		*reply_len = rlen;
	if (rc != 0) {
		t->error = rc;
		return rc;
	}
	if (t->data_bytes == before)
		return ev;
	ev |= TELNET_EV_DATA;
	if (t->last_nonws <= t->reported)
		return ev;
	tl = t->tail_len;
	if (telnet_is_password_prompt(t->tail, tl)) {
		ev |= TELNET_EV_PASSWORD;
		t->reported = t->last_nonws;
	} else if (telnet_is_login_prompt(t->tail, tl)) {
		ev |= TELNET_EV_LOGIN;
		t->reported = t->last_nonws;
	} else if (t->marked && t->last_nonws > t->mark &&
	    telnet_is_shell_prompt(t->tail, tl) && !(ev & TELNET_EV_FAIL) &&
	    !t->failed) {
		ev |= TELNET_EV_SHELL;
		t->reported = t->last_nonws;
	}
	return ev;
}

const char *
telnet_text(const struct telnet *t, size_t *len)
{
	if (len)
		*len = t->text_len;
	return t->text;
}

void
telnet_mark_sent(struct telnet *t)
{
	t->marked = 1;
	t->failed = 0;
	t->fwin_len = 0;
	t->mark = t->data_bytes;
}
