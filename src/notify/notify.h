/*
 * notify.h - the notification run: open findings -> attribution ->
 * de-duplication -> one message per recipient -> queue -> delivery ->
 * findings marked notified; rechecks of notified devices; monthly figures.
 *
 * This module ties the pieces together and decides nothing about formats:
 * attribution is attrib.h, the CSV/X-ARF/notice rendering report.h and
 * tmpl.h, the MIME message mail.h, the queue and the per-(finding,
 * recipient) states track.h, the wire smtp.h and outbox.h.
 *
 * A run (notify_run):
 *  1. reads the open findings of the reported kinds (report_type_of() not
 *     NULL; optionally only some kinds, only those seen since a time) from
 *     findings.db, at most NOTIFY_MAX_FINDINGS per run (the rest waits for
 *     the next run: notified findings leave the open state);
 *  2. attributes each subject address (attrib_resolve()). A finding
 *     without a recipient e-mail address goes to the unattributed bucket:
 *     one CSV per report type in DATADIR/notify/unattributed/ (rewritten
 *     each run: the open unattributed findings of that run), counted per
 *     reason, recorded as found in notify.db; never mailed, never dropped;
 *  3. drops (counts) the findings the recipient need not hear about now
 *     (track_is_duplicate(): a pending message already covers it, or it was
 *     notified within the de-duplication interval and nothing that is news
 *     happened since);
 *  4. groups the rest by recipient (id and e-mail address) and renders one
 *     message per recipient in its language (data/notify/templates/LANG.txt;
 *     CSV per report type and/or X-ARF per finding as the recipient
 *     prefers), split into several messages of even size only when one
 *     would exceed NOTIFY_MSG_ITEMS findings or, for an X-ARF-only
 *     recipient, the attachment cap of mail.h (one part per finding). A
 *     "both" recipient with more findings than fit as X-ARF parts gets the
 *     one message with the CSVs only (counted in xarf_dropped);
 *  5. enqueues each message with the finding ids it covers (track_enqueue,
 *     one transaction each);
 *  6. delivers the due messages (notify_deliver) when a delivery mode is
 *     set.
 * With a dry-run directory, step 2 writes the bucket there, step 4 writes
 * DIR/RCPT-N.eml files and nothing in findings.db or notify.db changes.
 *
 * Delivery (notify_deliver): picks due messages (track_pick_due: backoff,
 * rate limit, lease), hands each to the SMTP server or writes it to the
 * outbox directory, and only when the server accepted it (SMTP_ACCEPTED)
 * or the file is complete marks it sent (track_mark_sent) and then each
 * finding it covers FST_NOTIFIED in findings.db, with a note naming the
 * Message-ID and the recipient (a finding whose status an analyst changed
 * meanwhile keeps it). When findings.db cannot take the marks (busy
 * beyond its timeout, say under a long survey transaction), the message
 * id goes to the journal DATADIR/notify/unmarked, which every run and
 * delivery replays first. A transient failure leaves the message pending
 * with its backoff, a permanent one (5xx) marks it failed; the findings
 * stay open either way, so a failed message's findings are rendered again
 * by the next run.
 *
 * Rechecks: notify_recheck_collect() lists the notified survey findings
 * (device, vulnerable-version, weak-credential, open-telnet; C&C findings
 * are never rechecked by scanning), notify_recheck_scope() writes them as a
 * survey scope file (one line per address with its ports), the caller runs
 * the survey, and notify_recheck_apply() marks each finding persisting
 * (seen again as a problem in the survey that started at t0) or remediated
 * (not seen again: FST_REMEDIATED in findings.db with a note).
 *
 * Costs: a run holds the open findings (copies) and their attributions in
 * memory, O(n) plus one sort O(n log n); one track probe per finding; one
 * render per message, O(message). Delivery is one SMTP transaction or one
 * file per message. Nothing here prints: results go to the event callback
 * and the counters, errors to MM_E* codes and the diag.
 */
#ifndef MAMORI_NOTIFY_NOTIFY_H
#define MAMORI_NOTIFY_NOTIFY_H

#include <stddef.h>
#include <stdint.h>

#include "attrib/attrib.h"
#include "core/err.h"
#include "core/mtime.h"
#include "findings/findings.h"
#include "notify/report.h"
#include "notify/smtp.h"
#include "notify/track.h"

#define NOTIFY_MAX_FINDINGS	200000	/* open findings read per run */
#define NOTIFY_MSG_ITEMS	5000	/* findings per message (CSV) */
#define NOTIFY_MAX_KINDS	16	/* --kind filters */
#define NOTIFY_MAX_REASONS	16	/* unattributed reasons counted */
#define NOTIFY_DEDUP_DEFAULT	((mtime_t)30 * 86400 * 1000)
#define NOTIFY_UNATTRIBUTED_DIR	"notify/unattributed"	/* under DATADIR */

enum notify_delivery {
	NOTIFY_DELIVER_NONE = 0,	/* enqueue only */
	NOTIFY_DELIVER_SMTP,
	NOTIFY_DELIVER_OUTBOX
};

/* What happened to a message (or a bucket); for the caller to print. */
enum notify_ev {
	NOTIFY_EV_QUEUED = 1,	/* rendered and enqueued */
	NOTIFY_EV_DRYRUN,	/* rendered into the dry-run directory */
	NOTIFY_EV_RENDER_ERR,	/* could not be rendered: findings stay open */
	NOTIFY_EV_SENT,		/* accepted / written: findings notified */
	NOTIFY_EV_TRANSIENT,	/* stays pending, retried later */
	NOTIFY_EV_FAILED,	/* permanent failure (or too many attempts) */
	NOTIFY_EV_BUCKET	/* unattributed CSV written */
};

struct notify_event {
	enum notify_ev	 ev;
	int64_t		 msg;		/* notify.db message id, 0 = none */
	const char	*recipient;	/* recipient id */
	const char	*email;
	const char	*isp;
	const char	*types;		/* report types */
	size_t		 findings;	/* findings covered / rows */
	const char	*detail;	/* file, Message-ID or error text */
};

typedef void (*notify_event_cb)(const struct notify_event *ev, void *arg);
/* Progress for long runs: `phase` ("attributing", "sending"), done/total. */
typedef void (*notify_progress_cb)(const char *phase, size_t done,
    size_t total, void *arg);

/* Everything a run needs; strings and objects are borrowed. */
struct notify_cfg {
	const struct attrib	*at;		/* required for notify_run */
	const char		*datadir;	/* required */
	const char		*templates;	/* dir with ja.txt, en.txt */
	const struct report_reporter *reporter;	/* org, domain, email */
	const char		*from;		/* From: and envelope sender */
	const char		*from_name;	/* or NULL */
	const char *const	*kinds;		/* NULL/0 = every kind */
	size_t			 nkinds;
	mtime_t			 since;		/* INT64_MIN = any */
	mtime_t			 dedup_interval;	/* 0 = default 30 d */
	const char		*dry_run;	/* directory, or NULL */
	enum notify_delivery	 delivery;
	const struct smtp_config *smtp;		/* NOTIFY_DELIVER_SMTP */
	const char		*outbox;	/* NOTIFY_DELIVER_OUTBOX */
	int			 retry_now;	/* deliver: ignore backoff */
	size_t			 msg_items;	/* 0 = NOTIFY_MSG_ITEMS */
	const char		*boundary;	/* NULL = random */
	notify_event_cb		 on_event;	/* may be NULL */
	notify_progress_cb	 on_progress;	/* may be NULL */
	void			*arg;
};

/* Counters of one run / delivery. */
struct notify_stats {
	size_t	open;		/* open findings read */
	size_t	unreported;	/* of kinds without a report */
	size_t	capped;		/* left for the next run (cap) */
	size_t	attributed;	/* with a recipient address */
	size_t	unattributed;
	size_t	duplicates;	/* not sent again (de-duplication) */
	size_t	recipients;	/* with something to send */
	size_t	messages;	/* enqueued (or dry-run files) */
	size_t	queued_findings;
	size_t	render_errors;	/* messages not rendered */
	size_t	xarf_dropped;	/* findings sent as CSV only (see above) */
	size_t	bucket_files;	/* unattributed CSVs written */
	/* delivery */
	size_t	picked;
	size_t	sent;
	size_t	transient;
	size_t	failed;
	size_t	notified;	/* findings marked FST_NOTIFIED */
	size_t	mark_errors;	/* findings.db updates that failed */
	/* unattributed, per reason */
	size_t	nreasons;
	struct {
		char	reason[96];
		size_t	n;
	}	reasons[NOTIFY_MAX_REASONS];
};

/*
 * One run as described above. `fdb` is required; `tdb` is required unless
 * cfg->dry_run is set (NULL then: no de-duplication). `now` is the run
 * time (Date:, queue times). *st (required) is zeroed first. Returns 0
 * (per-recipient render errors are counted in st->render_errors and
 * reported through the callback, the run goes on), or MM_EINVAL (bad
 * configuration), MM_EIO (database, template or directory), MM_ENOMEM,
 * with `d` set.
 */
int	notify_run(const struct notify_cfg *cfg, struct findings_db *fdb,
	    struct track_db *tdb, mtime_t now, struct notify_stats *st,
	    struct mm_diag *d);

/*
 * Delivers due messages (at most TRACK_PICK_MAX per call) with
 * cfg->delivery (not NONE) and marks the covered findings. With
 * cfg->retry_now, every pending message is made due now first
 * (track_retry_now: its backoff is cut short; messages leased to another
 * sender stay with it, and the per-recipient rate limit still applies).
 * A message the server refuses permanently becomes failed; its findings
 * are not marked notified (their notifications stay pending, and the next
 * run renders them into a new message). Adds to *st (not zeroed).
 * Returns 0 (delivery failures are counted, not errors), MM_EINVAL,
 * MM_EIO (database), MM_ENOMEM.
 */
int	notify_deliver(const struct notify_cfg *cfg, struct findings_db *fdb,
	    struct track_db *tdb, mtime_t now, struct notify_stats *st,
	    struct mm_diag *d);

/* ---- listing the queue ---- */

struct notify_msg_row {
	int64_t			 id;
	enum track_msg_state	 state;
	int			 attempts;
	mtime_t			 created;
	mtime_t			 next_attempt;
	mtime_t			 sent;		/* 0 = not sent */
	char			 recipient[TRACK_ID_MAX + 1];
	char			 email[TRACK_EMAIL_MAX + 1];
	char			 isp[TRACK_ID_MAX + 1];
	char			 types[TRACK_TYPES_MAX + 1];
	char			 message_id[TRACK_MSGID_MAX + 1];
	char			 error[TRACK_ERROR_MAX + 1];
	size_t			 findings;
};

/*
 * Lists the messages of DATADIR/notify.db (track_msg_list), newest first,
 * at most `max` (1..TRACK_PICK_MAX); `state` -1 = all, else an enum
 * track_msg_state. *rows is malloc'ed (free()), NULL when *n is 0; a data
 * directory without notify.db has no messages (none is created). Returns
 * 0, MM_EINVAL, MM_EIO, MM_ENOMEM, MM_EUNSUP (a newer notify.db).
 */
int	notify_list(const char *datadir, int state, size_t max,
	    struct notify_msg_row **rows, size_t *n, struct mm_diag *d);

/* ---- monthly figures ---- */

struct notify_month_row {
	int	year, month;
	char	isp[TRACK_ID_MAX + 1];
	char	category[TRACK_ID_MAX + 1];
	int64_t	found, notified, remediated, persisting;
};

/*
 * NOTICE-style figures for the UTC months y0-m0 .. y1-m1 (track_monthly):
 * per month, ISP and category, the (finding, recipient) rows found, first
 * notified and remediated in the month, and those a recheck made in the
 * month found persisting (each recheck event counts in its own month, so
 * a past month's figure does not drop when the finding is remediated
 * later). Order: month, ISP, category. *rows malloc'ed (free()), NULL when
 * *n is 0. Returns 0, MM_EINVAL (range, no tdb), MM_EIO, MM_ENOMEM.
 */
int	notify_monthly(struct track_db *tdb, int y0, int m0, int y1, int m1,
	    struct notify_month_row **rows, size_t *n, struct mm_diag *d);

/* ---- rechecks ---- */

/* One notified survey finding to look at again. */
struct notify_recheck {
	int64_t		finding_id;
	char		kind[FINDINGS_NAME_MAX + 1];
	struct mm_addr	addr;
	uint16_t	port;
	int		result;		/* after apply: see below */
};

#define NOTIFY_RC_SKIPPED	0	/* not judged (see apply) */
#define NOTIFY_RC_REMEDIATED	1
#define NOTIFY_RC_PERSISTING	2

/* 1 when findings of `kind` can be rechecked by the survey. */
int	notify_recheck_kind(const char *kind);

/*
 * Lists the notified or persisting findings of survey kinds whose last
 * recheck (or notification) is before `before` (INT64_MAX = all), at most
 * `max` (1..TRACK_PICK_MAX), one entry per finding, their address and
 * port read from findings.db (findings gone from it are skipped).
 * *skipped_c2 (may be NULL) gets the number of C&C findings left out.
 * *out malloc'ed (free()), NULL when *n is 0. Returns 0, MM_EIO, MM_ENOMEM.
 */
int	notify_recheck_collect(struct track_db *tdb, struct findings_db *fdb,
	    mtime_t before, size_t max, struct notify_recheck **out,
	    size_t *n, size_t *skipped_c2, struct mm_diag *d);

/*
 * Writes a survey scope file (survey-scope(5): "ADDR PORT,PORT..." per
 * address, sorted) for v[0..n) to `path` (created or replaced, mode 0600),
 * and the union of the ports as "P,P,..." into ports (NUL-terminated,
 * truncated at a comma to fit `plen`). Returns 0, MM_EINVAL (n == 0),
 * MM_EIO, MM_ENOMEM.
 */
int	notify_recheck_scope(const struct notify_recheck *v, size_t n,
	    const char *path, char *ports, size_t plen, struct mm_diag *d);

/*
 * Judges every entry after a survey that started at `t0` (and wrote into
 * `fdb`): a vulnerable-version, weak-credential or open-telnet finding
 * persists when its last_seen is >= t0. A device finding persists when
 * the device answered again (its last_seen >= t0) and either it has no
 * problem finding (one of those kinds) at its address and port, or one of
 * them was seen again; a device that no longer answers, or whose problems
 * are all gone, is remediated. Remediated findings become FST_REMEDIATED
 * with a note naming `scan` and the time; persisting ones keep
 * FST_NOTIFIED with a new note (findings an analyst moved elsewhere keep
 * their status). Skipped (not judged): weak-credential findings, and
 * device findings that have one, when `creds_checked` is 0 (the survey
 * tried no logins). Each judgement is recorded in notify.db
 * (track_recheck). v[i].result gets the outcome; *remediated,
 * *persisting, *skipped (may be NULL) get the counts. Returns 0, MM_EIO or
 * MM_ENOMEM with `d` set (entries judged so far stay recorded).
 */
int	notify_recheck_apply(struct notify_recheck *v, size_t n,
	    struct findings_db *fdb, struct track_db *tdb, mtime_t t0,
	    mtime_t now, const char *scan, int creds_checked,
	    size_t *remediated, size_t *persisting, size_t *skipped,
	    struct mm_diag *d);

#endif
