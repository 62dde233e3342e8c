/*
 * track.h - the notification tracking database: the queue of outgoing
 * messages and what each recipient has been told about which finding.
 *
 * One SQLite database, DATADIR/notify.db (WAL, busy timeout, schema
 * versioned with PRAGMA user_version and migrated on open, as
 * findings.db is). Three tables:
 *
 *   messages       one row per rendered message: recipient id, e-mail,
 *                  ISP, report types, created, state pending|sent|failed,
 *                  attempts, next_attempt, lease_until, last_error, the
 *                  message bytes or an outbox file name, its Message-ID,
 *                  sent time;
 *   notifications  one row per (finding, recipient): ISP, category,
 *                  subject address and kind (for de-duplication across
 *                  finding ids), found time, state
 *                  new|notified|remediated|persisting, the last message
 *                  sent about it, first and last notified time, the time
 *                  its state last changed in a way that is news, last
 *                  recheck and remediation times;
 *   message_findings  which findings each message covers;
 *   persisting_months one row per (notification, UTC month) in which a
 *                  recheck found the finding still present, so a month's
 *                  "persisting" figure stays what it was when a later
 *                  recheck finds the finding remediated (schema 2).
 *
 * Life of a message. track_enqueue() stores it with the findings it covers
 * (state pending, due now) in one transaction. A sender calls
 * track_pick_due(), which returns due messages under the per-recipient
 * rate limit and leases them (next_attempt moves to now + lease, so a
 * second sender does not pick them too, and a sender that dies leaves them
 * due again when the lease ends). After the SMTP transaction the sender
 * calls exactly one of track_mark_sent() (only then do the covered
 * findings become notified), track_mark_transient() (attempts + 1,
 * next_attempt = now + min(base * 2^(attempts-1), cap); failed after
 * max_attempts) or track_mark_failed().
 *
 * Delivery is at least once. The message is handed to the server outside
 * any transaction and marked sent afterwards, in its own transaction. A
 * crash (or a lost database write) after the server's 250 and before that
 * commit leaves the message pending: it is sent again when its lease ends,
 * and the recipient may get it twice. The other order, a message marked
 * sent that the server never accepted, cannot happen: the only path to
 * state "sent" is track_mark_sent(), which a caller makes only after
 * smtp_send() returned SMTP_ACCEPTED. Recipients de-duplicate by
 * Message-ID, which stays the same across retries.
 *
 * A failed message (a 5xx refusal, or too many temporary failures) is
 * never retried and never marks its findings notified: their rows keep
 * the state they had (new = the notification is still pending), so the
 * next run renders them into a new message.
 *
 * Times are mtime_t (ms, UTC) and every function takes `now` from the
 * caller, so tests and replays are deterministic. Figures per month use
 * UTC months.
 *
 * Costs: enqueue is O(items log N); pick is one window-function query over
 * the due index plus one count over the last rate window, O(due + sent in
 * window), capped at TRACK_PICK_MAX messages returned; de-duplication is
 * two index probes; monthly figures scan the found/notified/remediated
 * indexes and the persisting_months time index over the month range;
 * a queue listing is O(rows listed * findings per message) over the
 * message_findings primary key. Library code never prints. A handle is
 * for one thread.
 */
#ifndef MAMORI_NOTIFY_TRACK_H
#define MAMORI_NOTIFY_TRACK_H

#include <stddef.h>
#include <stdint.h>

#include "core/err.h"
#include "core/mtime.h"

#define TRACK_SCHEMA_VERSION	2
#define TRACK_DB_NAME		"notify.db"

/* Caps (bytes without the NUL, or counts). */
#define TRACK_ID_MAX		64	/* recipient id, ISP, category, kind */
#define TRACK_ADDR_MAX		64	/* subject address text */
#define TRACK_EMAIL_MAX		254
#define TRACK_TYPES_MAX		128	/* report types, "csv,xarf" */
#define TRACK_MSGID_MAX		998	/* Message-ID header value */
#define TRACK_ERROR_MAX		512	/* last error kept (truncated) */
#define TRACK_PATH_MAX		1024	/* outbox file name or path */
#define TRACK_MSG_MAX		((size_t)64 << 20)	/* message bytes */
#define TRACK_ITEMS_MAX		100000	/* findings one message covers */
#define TRACK_PICK_MAX		10000	/* messages one pick returns */
#define TRACK_MONTHS_MAX	1200	/* months one figures query spans */

enum track_msg_state {
	TRACK_MSG_PENDING = 0,
	TRACK_MSG_SENT,
	TRACK_MSG_FAILED
};

enum track_state {
	TRACK_NEW = 0,		/* found, not (yet) told: the notification is
				 * pending (no message, or only a pending or
				 * failed one, covers it) */
	TRACK_NOTIFIED,		/* a message about it was accepted */
	TRACK_REMEDIATED,	/* a recheck found it gone */
	TRACK_PERSISTING	/* a recheck after notification found it still there */
};

/* Retry, rate and lease settings; zero fields take the defaults shown. */
struct track_policy {
	mtime_t	backoff_base;	/* first retry delay: 5 min */
	mtime_t	backoff_cap;	/* longest retry delay: 12 h */
	int	max_attempts;	/* transient failures before failed: 16 */
	int	rate_max;	/* messages per recipient per window: 10 */
	mtime_t	rate_window;	/* 1 h */
	mtime_t	lease;		/* a pick holds a message: 15 min */
};

/* One finding a message covers, or that was found (track_note_found).
 * Strings are borrowed for the call. */
struct track_item {
	int64_t		 finding_id;	/* findings.db id, > 0 */
	const char	*subject;	/* canonical address text; NULL = "" */
	const char	*kind;		/* finding kind; NULL = "" */
	const char	*category;	/* for figures; NULL = kind */
	mtime_t		 found;		/* first seen; 0 = now */
};

/* A message to enqueue. Exactly one of body (len bytes, may be empty) and
 * outbox_name (the message's outbox file, outbox.h: a name or a path of at
 * most TRACK_PATH_MAX bytes; not interpreted here) is set. */
struct track_new_msg {
	const char	*recipient_id;	/* required */
	const char	*email;		/* required */
	const char	*isp;		/* NULL = "" */
	const char	*report_types;	/* NULL = "" */
	const char	*message_id;	/* Message-ID; NULL = none */
	const uint8_t	*body;
	size_t		 len;
	const char	*outbox_name;
};

/* A stored message; every pointer is owned (track_msg_free). */
struct track_msg {
	int64_t			 id;
	char			*recipient_id;
	char			*email;
	char			*isp;
	char			*report_types;
	char			*message_id;	/* NULL = none */
	char			*outbox_name;	/* NULL when body is set */
	uint8_t			*body;		/* NULL with outbox_name */
	size_t			 len;
	enum track_msg_state	 state;
	int			 attempts;
	mtime_t			 created;
	mtime_t			 next_attempt;
	mtime_t			 sent;		/* 0 = not sent */
	char			*last_error;	/* NULL = none */
};

/* One row of monthly figures: findings of `category` attributed to `isp`
 * that were found / first notified / remediated in month year-month, and
 * those a recheck in that month found still present (persisting; counted
 * once per month per (finding, recipient), and kept when the finding is
 * remediated later). */
struct track_month_row {
	int	year;
	int	month;				/* 1..12 */
	char	isp[TRACK_ID_MAX + 1];
	char	category[TRACK_ID_MAX + 1];
	int64_t	found;
	int64_t	notified;
	int64_t	remediated;
	int64_t	persisting;
};

/* One message of the queue as `notify list` shows it (without its bytes). */
struct track_msg_row {
	int64_t			id;
	enum track_msg_state	state;
	int			attempts;
	mtime_t			created;
	mtime_t			next_attempt;
	mtime_t			sent;		/* 0 = not sent */
	char			recipient_id[TRACK_ID_MAX + 1];
	char			email[TRACK_EMAIL_MAX + 1];
	char			isp[TRACK_ID_MAX + 1];
	char			report_types[TRACK_TYPES_MAX + 1];
	char			message_id[TRACK_MSGID_MAX + 1]; /* "" = none */
	char			last_error[TRACK_ERROR_MAX + 1]; /* "" = none */
	size_t			findings;	/* findings it covers */
};

/* Queue and state totals for `notify stats`. */
struct track_counts {
	int64_t	pending;	/* messages */
	int64_t	due;		/* pending with next_attempt <= now */
	int64_t	sent;
	int64_t	failed;
	mtime_t	oldest_pending;	/* created; 0 = none */
	int64_t	st_new;		/* notifications by state */
	int64_t	st_notified;
	int64_t	st_remediated;
	int64_t	st_persisting;
};

/* A notified finding due for a recheck. */
struct track_recheck_item {
	int64_t		finding_id;
	char		recipient_id[TRACK_ID_MAX + 1];
	char		subject[TRACK_ADDR_MAX + 1];
	char		kind[TRACK_ID_MAX + 1];
	enum track_state state;
	mtime_t		last_notified;
	mtime_t		last_recheck;	/* 0 = never */
};

struct track_db;

/* Fills `p` with the defaults. */
void	track_policy_default(struct track_policy *p);

/*
 * Opens (creating if missing) DATADIR/notify.db, sets WAL and a busy
 * timeout and migrates the schema. `pol` NULL = defaults; zero fields take
 * defaults. Returns 0 with *db set, or MM_EINVAL / MM_EIO / MM_EUNSUP (a
 * newer schema) with `diag` naming the file; *db is NULL then.
 */
int	track_open(const char *datadir, const struct track_policy *pol,
	    struct track_db **db, struct mm_diag *diag);
/* The same with an explicit database path. */
int	track_open_path(const char *path, const struct track_policy *pol,
	    struct track_db **db, struct mm_diag *diag);
/* Closes; an open batch is rolled back. NULL-safe. */
void	track_close(struct track_db *db);
/* Schema version of the open database, -1 on error. */
int	track_schema_version(struct track_db *db);

/* Batches: everything between begin and commit is one transaction; each
 * call inside is atomic on its own (a savepoint) so a failed call leaves
 * the batch as it was. Returns 0, MM_EINVAL (nested / none open), MM_EIO. */
int	track_begin(struct track_db *db, struct mm_diag *diag);
int	track_commit(struct track_db *db, struct mm_diag *diag);
void	track_rollback(struct track_db *db);	/* NULL-safe */

/*
 * Stores message `m` (state pending, due at `now`) and, for each of the
 * `nitems` findings it covers, its notification row (created in state new
 * if absent, as track_note_found) and the link; one transaction. *id
 * (may be NULL) gets the message id. Returns 0, MM_EINVAL (missing or
 * over-cap field, bad finding id, both or neither of body/outbox_name,
 * nitems over TRACK_ITEMS_MAX) or MM_EIO; nothing is stored on error.
 */
int	track_enqueue(struct track_db *db, const struct track_new_msg *m,
	    const struct track_item *items, size_t nitems, mtime_t now,
	    int64_t *id, struct mm_diag *diag);

/*
 * Records that finding `it` attributed to `recipient_id` (ISP `isp`, NULL
 * = "") was found, without a message (a de-duplicated, unattributed or
 * not-yet-sent finding still counts in the monthly "found" figure). An
 * existing row keeps its state; its found time becomes the earlier one.
 * Returns 0, MM_EINVAL or MM_EIO.
 */
int	track_note_found(struct track_db *db, const char *recipient_id,
	    const char *isp, const struct track_item *it, mtime_t now,
	    struct mm_diag *diag);

/*
 * Picks up to `max` (1..TRACK_PICK_MAX) messages that are pending with
 * next_attempt <= now, oldest due first, taking at most rate_max minus
 * (messages sent to that recipient within the last rate_window, plus
 * messages leased to a sender right now) per recipient, and leases them
 * (next_attempt = lease_until = now + lease). One transaction. On success
 * *msgs is an array of *n owned messages (free with track_msgs_free; NULL
 * when *n is 0). Returns 0, MM_EINVAL, MM_ENOMEM or MM_EIO.
 */
int	track_pick_due(struct track_db *db, mtime_t now, size_t max,
	    struct track_msg **msgs, size_t *n, struct mm_diag *diag);
void	track_msgs_free(struct track_msg *msgs, size_t n);	/* NULL-safe */
/* Fills `m` (owned) with message `id`. Returns 0, MM_ENOENT, MM_EIO,
 * MM_ENOMEM; `m` zeroed on error. */
int	track_msg_get(struct track_db *db, int64_t id, struct track_msg *m,
	    struct mm_diag *diag);
void	track_msg_free(struct track_msg *m);	/* NULL-safe, zeroes */

/*
 * The finding ids message `msg_id` covers, ascending, as a malloc'ed
 * array *ids of *n (at most TRACK_ITEMS_MAX; free() it; NULL when *n is
 * 0). Reads only. Returns 0 (also for a message that covers nothing),
 * MM_ENOENT (no such message), MM_ENOMEM or MM_EIO; *ids NULL and *n 0 on
 * error.
 */
int	track_msg_findings(struct track_db *db, int64_t msg_id, int64_t **ids,
	    size_t *n, struct mm_diag *diag);

/*
 * Lists up to `max` (1..TRACK_PICK_MAX) messages, newest (highest id)
 * first; `state` is an enum track_msg_state, or -1 for every state. Each
 * row has the number of findings the message covers. *rows is a malloc'ed
 * array of *n (free() it; NULL when *n is 0). Reads only. Returns 0,
 * MM_EINVAL (bad state or max), MM_ENOMEM or MM_EIO.
 */
int	track_msg_list(struct track_db *db, int state, size_t max,
	    struct track_msg_row **rows, size_t *n, struct mm_diag *diag);

/*
 * Makes every pending message due at `now` (`notify deliver --now`): its
 * backoff is cut short (next_attempt = now), attempts and last error stay.
 * Messages leased to a sender right now (lease_until > now) are left to
 * it, so a message is not sent twice by two live senders; the rate limit
 * still applies at the next track_pick_due(). One transaction. Returns 0
 * or MM_EIO.
 */
int	track_retry_now(struct track_db *db, mtime_t now,
	    struct mm_diag *diag);

/*
 * Marks message `id` sent at `now` and, in the same transaction, every
 * finding it covers notified (first notified time kept, last notified =
 * now). Call only after smtp_send() returned SMTP_ACCEPTED. Idempotent on
 * a sent message (returns 0, changes nothing). Returns 0, MM_ENOENT (no
 * such message), MM_EINVAL (message is failed) or MM_EIO.
 */
int	track_mark_sent(struct track_db *db, int64_t id, mtime_t now,
	    struct mm_diag *diag);
/*
 * Records a transient failure of pending message `id`: attempts + 1,
 * last_error = `error` (NULL = none; truncated to TRACK_ERROR_MAX), lease
 * cleared, next_attempt = now + min(backoff_base * 2^(attempts-1),
 * backoff_cap); when attempts reaches max_attempts the message becomes
 * failed instead. *state (may be NULL) gets the resulting state. Returns
 * 0, MM_ENOENT, MM_EINVAL (not pending) or MM_EIO.
 */
int	track_mark_transient(struct track_db *db, int64_t id,
	    const char *error, mtime_t now, enum track_msg_state *state,
	    struct mm_diag *diag);
/* Records a permanent failure of pending message `id` (state failed,
 * attempts + 1, last_error). Its findings stay as they were (a finding
 * that was never told stays new: its notification is still pending, and
 * the de-duplication no longer holds it back). Returns 0, MM_ENOENT,
 * MM_EINVAL (not pending) or MM_EIO. */
int	track_mark_failed(struct track_db *db, int64_t id, const char *error,
	    mtime_t now, struct mm_diag *diag);

/*
 * De-duplication: sets *dup to 1 when recipient `recipient_id` need not be
 * told about finding `it` now, because either
 *  - a message covering it (same finding id, or same non-empty subject
 *    address and kind) is still pending, or
 *  - it was notified (state notified or persisting) at a time t with
 *    t >= now - interval and t >= changed, and nothing that is news
 *    (remediated, or back after a remediation) happened to it since;
 * else 0. `changed` is when the finding's own status last changed in
 * findings.db (0 = unknown), so a finding reopened after the last
 * notification is told again. Returns 0, MM_EINVAL or MM_EIO.
 */
int	track_is_duplicate(struct track_db *db, const char *recipient_id,
	    const struct track_item *it, mtime_t interval, mtime_t changed,
	    mtime_t now, int *dup, struct mm_diag *diag);

/*
 * Records a recheck of finding `finding_id` for `recipient_id` (NULL = every
 * recipient told about it) at `now`: `remediated` non-zero -> state
 * remediated (remediation time = now), else persisting (a remediated one
 * coming back is news: its change time becomes now). Only notified,
 * persisting and remediated rows change (a finding never told stays new).
 * A persisting result is also recorded for the UTC month of `now` (once
 * per row and month) for the monthly figures. *updated (may be NULL) gets
 * the number of rows changed. Returns 0, MM_EINVAL or MM_EIO.
 */
int	track_recheck(struct track_db *db, int64_t finding_id,
	    const char *recipient_id, int remediated, mtime_t now,
	    size_t *updated, struct mm_diag *diag);

/*
 * Lists up to `max` (1..TRACK_PICK_MAX) notified or persisting findings
 * whose last recheck (or notification, when never rechecked) is before
 * `before`, oldest first, as an array *items of *n (free() it; NULL when
 * *n is 0). Returns 0, MM_EINVAL, MM_ENOMEM or MM_EIO.
 */
int	track_recheck_list(struct track_db *db, mtime_t before, size_t max,
	    struct track_recheck_item **items, size_t *n,
	    struct mm_diag *diag);

/*
 * Monthly figures for the UTC months from y0-m0 to y1-m1 inclusive (at
 * most TRACK_MONTHS_MAX months): per month, ISP and category, the number
 * of (finding, recipient) rows found, first notified and remediated in that
 * month, and those a recheck in that month found persisting (by the
 * recheck events, so the figure of a past month does not change when the
 * finding is remediated later). Rows with all four zero are not returned;
 * order is month, ISP, category (byte order). *rows is a malloc'ed array
 * of *n (free() it; NULL when *n is 0). Returns 0, MM_EINVAL (bad
 * range), MM_ENOMEM or MM_EIO.
 */
int	track_monthly(struct track_db *db, int y0, int m0, int y1, int m1,
	    struct track_month_row **rows, size_t *n, struct mm_diag *diag);

/* Queue and state totals at `now`. Returns 0 or MM_EIO. */
int	track_counts(struct track_db *db, mtime_t now, struct track_counts *c,
	    struct mm_diag *diag);

/* Names: "pending" "sent" "failed"; "new" "notified" "remediated"
 * "persisting"; never NULL. */
const char *track_msg_state_name(enum track_msg_state s);
const char *track_state_name(enum track_state s);

#endif
