/*
 * test_track.c - the notification tracking database: enqueue (one
 * transaction, validation), due selection and leases, the per-recipient
 * rate limit, exponential backoff with cap and max attempts, "sent" marking
 * findings notified (and nothing else doing so), the de-duplication rules,
 * recheck states, queue counts and monthly figures (persisting counted
 * per recheck event), the finding ids of a message and the queue listing,
 * `deliver --now` (track_retry_now), schema versioning and the migration
 * of a schema-1 database, and a process that dies between "sent" and
 * commit. All times are given explicitly; nothing depends on the wall
 * clock.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "notify/track.h"

#define MIN	(60 * 1000LL)
#define HOUR	(60 * MIN)
#define DAY	(24 * HOUR)
#define DEF_LEASE_TEST	(15 * MIN)	/* track.h's default lease */
/* 2026-11-10T00:00:00Z */
#define T0	1794268800000LL

struct fx {
	char		 dir[64];
	char		 path[128];
	struct track_db	*db;
};

static int
open_fx(struct fx *fx, const struct track_policy *pol)
{
	struct mm_diag d;

	if (track_open(fx->dir, pol, &fx->db, &d) != 0) {
		fprintf(stderr, "%s\n", d.msg);
		return -1;
	}
	return 0;
}

static int
setup(void **state)
{
	struct fx *fx = calloc(1, sizeof(*fx));

	if (fx == NULL)
		return -1;
	snprintf(fx->dir, sizeof(fx->dir), "/tmp/mamori-track-XXXXXX");
	if (mkdtemp(fx->dir) == NULL)
		return -1;
	snprintf(fx->path, sizeof(fx->path), "%s/%s", fx->dir, TRACK_DB_NAME);
	*state = fx;
	return open_fx(fx, NULL);
}

static int
teardown(void **state)
{
	struct fx *fx = *state;
	char p[256];

	track_close(fx->db);
	unlink(fx->path);
	snprintf(p, sizeof(p), "%s-wal", fx->path);
	unlink(p);
	snprintf(p, sizeof(p), "%s-shm", fx->path);
	unlink(p);
	rmdir(fx->dir);
	free(fx);
	return 0;
}

static void
reopen(struct fx *fx, const struct track_policy *pol)
{
	track_close(fx->db);
	fx->db = NULL;
	assert_int_equal(open_fx(fx, pol), 0);
}

static int64_t
enq(struct fx *fx, const char *rcpt, const struct track_item *items,
    size_t n, mtime_t now)
{
	struct track_new_msg m;
	struct mm_diag d;
	char body[128];
	int64_t id = 0;
	int rc;

	memset(&m, 0, sizeof(m));
	snprintf(body, sizeof(body), "Subject: report for %s\r\n\r\nx\r\n",
	    rcpt);
	m.recipient_id = rcpt;
	m.email = "abuse@example.net";
	m.isp = "ExampleNet";
	m.report_types = "csv";
	m.message_id = "<r1@mamori.example>";
	m.body = (const uint8_t *)body;
	m.len = strlen(body);
	rc = track_enqueue(fx->db, &m, items, n, now, &id, &d);
	if (rc != 0)
		fprintf(stderr, "%s\n", d.msg);
	assert_int_equal(rc, 0);
	assert_true(id > 0);
	return id;
}

static struct track_item
item(int64_t fid, const char *subject, const char *kind)
{
	struct track_item it;

	memset(&it, 0, sizeof(it));
	it.finding_id = fid;
	it.subject = subject;
	it.kind = kind;
	it.found = T0 - DAY;
	return it;
}

static size_t
pick(struct fx *fx, mtime_t now, int64_t *ids, size_t max)
{
	struct track_msg *m;
	struct mm_diag d;
	size_t n, i;

	assert_int_equal(track_pick_due(fx->db, now, max, &m, &n, &d), 0);
	for (i = 0; i < n; i++)
		if (ids != NULL)
			ids[i] = m[i].id;
	track_msgs_free(m, n);
	return n;
}

static enum track_msg_state
mstate(struct fx *fx, int64_t id, int *attempts, mtime_t *next)
{
	struct track_msg m;
	enum track_msg_state s;
	struct mm_diag d;

	assert_int_equal(track_msg_get(fx->db, id, &m, &d), 0);
	s = m.state;
	if (attempts != NULL)
		*attempts = m.attempts;
	if (next != NULL)
		*next = m.next_attempt;
	track_msg_free(&m);
	return s;
}

static void
enqueue_get(void **state)
{
	struct fx *fx = *state;
	struct track_item its[2] = { item(1, "192.0.2.1", "c2-client"),
	    item(2, "192.0.2.2", "c2-client") };
	struct track_new_msg m;
	struct track_counts c;
	struct track_msg g;
	struct mm_diag d;
	int64_t id, id2;

	id = enq(fx, "AS64500", its, 2, T0);
	assert_int_equal(track_msg_get(fx->db, id, &g, &d), 0);
	assert_string_equal(g.recipient_id, "AS64500");
	assert_string_equal(g.email, "abuse@example.net");
	assert_string_equal(g.isp, "ExampleNet");
	assert_string_equal(g.report_types, "csv");
	assert_string_equal(g.message_id, "<r1@mamori.example>");
	assert_null(g.outbox_name);
	assert_non_null(g.body);
	assert_memory_equal(g.body, "Subject: report for AS64500", 27);
	assert_int_equal(g.state, TRACK_MSG_PENDING);
	assert_int_equal(g.attempts, 0);
	assert_int_equal(g.created, T0);
	assert_int_equal(g.next_attempt, T0);
	assert_int_equal(g.sent, 0);
	track_msg_free(&g);

	/* outbox variant, empty message bytes variant */
	memset(&m, 0, sizeof(m));
	m.recipient_id = "AS64501";
	m.email = "noc@example.com";
	m.outbox_name = "20261110T000000.000Z-0000001-00000000.eml";
	assert_int_equal(track_enqueue(fx->db, &m, NULL, 0, T0, &id2, &d), 0);
	assert_int_equal(track_msg_get(fx->db, id2, &g, &d), 0);
	assert_string_equal(g.outbox_name, m.outbox_name);
	assert_null(g.body);
	assert_null(g.message_id);
	track_msg_free(&g);
	m.outbox_name = NULL;
	assert_int_equal(track_enqueue(fx->db, &m, NULL, 0, T0, &id2, &d), 0);
	assert_int_equal(track_msg_get(fx->db, id2, &g, &d), 0);
	assert_non_null(g.body);
	assert_int_equal(g.len, 0);
	track_msg_free(&g);

	/* invalid: nothing stored, not even the message row */
	m.body = (const uint8_t *)"x";
	m.len = 1;
	m.outbox_name = "a.eml";
	assert_int_equal(track_enqueue(fx->db, &m, NULL, 0, T0, NULL, &d),
	    MM_EINVAL);
	m.outbox_name = NULL;
	m.recipient_id = NULL;
	assert_int_equal(track_enqueue(fx->db, &m, NULL, 0, T0, NULL, &d),
	    MM_EINVAL);
	m.recipient_id = "AS64502";
	its[1].finding_id = 0;
	assert_int_equal(track_enqueue(fx->db, &m, its, 2, T0, NULL, &d),
	    MM_EINVAL);
	assert_int_equal(track_counts(fx->db, T0, &c, &d), 0);
	assert_int_equal(c.pending, 3);
	assert_int_equal(c.due, 3);
	assert_int_equal(c.oldest_pending, T0);
	assert_int_equal(c.st_new, 2);
	assert_int_equal(track_msg_get(fx->db, 999, &g, &d), MM_ENOENT);
	assert_int_equal(track_schema_version(fx->db), TRACK_SCHEMA_VERSION);
}

static void
due_and_lease(void **state)
{
	struct fx *fx = *state;
	int64_t a, b, c, ids[8];
	mtime_t next;

	a = enq(fx, "AS1", NULL, 0, T0 + 2);
	b = enq(fx, "AS2", NULL, 0, T0);
	c = enq(fx, "AS3", NULL, 0, T0 + 1);
	assert_int_equal(pick(fx, T0 - 1, ids, 8), 0);	/* not yet due */
	assert_int_equal(pick(fx, T0 + 1, ids, 8), 2);
	assert_int_equal(ids[0], b);	/* oldest due first */
	assert_int_equal(ids[1], c);
	/* leased: a second sender does not get them */
	assert_int_equal(pick(fx, T0 + 2, ids, 8), 1);
	assert_int_equal(ids[0], a);
	assert_int_equal(pick(fx, T0 + 3, ids, 8), 0);
	assert_int_equal(mstate(fx, b, NULL, &next), TRACK_MSG_PENDING);
	assert_int_equal(next, T0 + 1 + DEF_LEASE_TEST);
	/* the sender died: after the lease they are due again */
	assert_int_equal(pick(fx, T0 + 1 + DEF_LEASE_TEST, ids, 8), 2);
	assert_int_equal(pick(fx, T0 + 2 + DEF_LEASE_TEST, ids, 1), 1);
	assert_int_equal(ids[0], a);
}

static void
rate_limit(void **state)
{
	struct fx *fx = *state;
	struct track_policy pol;
	struct mm_diag d;
	int64_t ids[16], r1[5], r2;
	size_t i, n, nr1;

	memset(&pol, 0, sizeof(pol));
	pol.rate_max = 2;
	pol.rate_window = HOUR;
	pol.lease = 10 * MIN;
	reopen(fx, &pol);
	for (i = 0; i < 5; i++)
		r1[i] = enq(fx, "AS1", NULL, 0, T0 + (mtime_t)i);
	r2 = enq(fx, "AS2", NULL, 0, T0);
	n = pick(fx, T0 + 10, ids, 16);
	assert_int_equal(n, 3);		/* 2 for AS1, 1 for AS2 */
	for (i = 0, nr1 = 0; i < n; i++)
		if (ids[i] == r1[0] || ids[i] == r1[1])
			nr1++;
	assert_int_equal(nr1, 2);
	/* the two leased ones count against AS1 while they are in flight */
	assert_int_equal(pick(fx, T0 + 11, ids, 16), 0);
	assert_int_equal(track_mark_sent(fx->db, r1[0], T0 + 20, &d), 0);
	assert_int_equal(track_mark_sent(fx->db, r1[1], T0 + 20, &d), 0);
	assert_int_equal(track_mark_sent(fx->db, r2, T0 + 20, &d), 0);
	/* sent within the window still count */
	assert_int_equal(pick(fx, T0 + 30 * MIN, ids, 16), 0);
	/* one hour after the sends the window is free again */
	n = pick(fx, T0 + 20 + HOUR, ids, 16);
	assert_int_equal(n, 2);
	assert_int_equal(ids[0], r1[2]);
	assert_int_equal(ids[1], r1[3]);
	{
		struct track_msg *m;

		assert_int_equal(track_pick_due(fx->db, T0, 0, &m, &n, &d),
		    MM_EINVAL);
		assert_null(m);
	}
}

static void
backoff(void **state)
{
	struct fx *fx = *state;
	struct track_policy pol;
	enum track_msg_state st;
	struct track_msg g;
	struct mm_diag d;
	int64_t id, id2;
	mtime_t next, now = T0;
	int att;
	static const mtime_t want[] = { 1000, 2000, 4000, 5000 };
	size_t i;

	memset(&pol, 0, sizeof(pol));
	pol.backoff_base = 1000;
	pol.backoff_cap = 5000;
	pol.max_attempts = 5;
	reopen(fx, &pol);
	id = enq(fx, "AS1", NULL, 0, T0);
	for (i = 0; i < 4; i++) {
		assert_int_equal(pick(fx, now, NULL, 4), 1);
		assert_int_equal(track_mark_transient(fx->db, id,
		    "smtp: transient: server said \"451 later\"", now, &st,
		    &d), 0);
		assert_int_equal(st, TRACK_MSG_PENDING);
		assert_int_equal(mstate(fx, id, &att, &next),
		    TRACK_MSG_PENDING);
		assert_int_equal(att, (int)i + 1);
		assert_int_equal(next, now + want[i]);
		assert_int_equal(pick(fx, next - 1, NULL, 4), 0);
		now = next;
	}
	assert_int_equal(pick(fx, now, NULL, 4), 1);
	assert_int_equal(track_mark_transient(fx->db, id, NULL, now, &st, &d),
	    0);
	assert_int_equal(st, TRACK_MSG_FAILED);	/* max_attempts reached */
	assert_int_equal(pick(fx, now + DAY, NULL, 4), 0);
	assert_int_equal(track_mark_transient(fx->db, id, NULL, now, &st, &d),
	    MM_EINVAL);
	assert_int_equal(track_mark_sent(fx->db, id, now, &d), MM_EINVAL);
	assert_int_equal(track_mark_sent(fx->db, 4242, now, &d), MM_ENOENT);

	/* permanent failure, and a long error is truncated */
	id2 = enq(fx, "AS2", NULL, 0, T0);
	{
		char err[2000];

		memset(err, 'e', sizeof(err) - 1);
		err[sizeof(err) - 1] = '\0';
		assert_int_equal(track_mark_failed(fx->db, id2, err, T0, &d),
		    0);
	}
	assert_int_equal(track_msg_get(fx->db, id2, &g, &d), 0);
	assert_int_equal(g.state, TRACK_MSG_FAILED);
	assert_int_equal(g.attempts, 1);
	assert_int_equal(strlen(g.last_error), TRACK_ERROR_MAX);
	track_msg_free(&g);
	assert_int_equal(track_mark_failed(fx->db, id2, "x", T0, &d),
	    MM_EINVAL);
}

static void
sent_marks_notified(void **state)
{
	struct fx *fx = *state;
	struct track_item its[2] = { item(11, "192.0.2.11", "c2-client"),
	    item(12, "192.0.2.12", "c2-client") };
	struct track_item other = item(13, "192.0.2.13", "c2-client");
	struct track_counts c;
	struct track_msg g;
	struct mm_diag d;
	enum track_msg_state st;
	int64_t id, id2;

	id = enq(fx, "AS1", its, 2, T0);
	id2 = enq(fx, "AS1", &other, 1, T0);
	assert_int_equal(track_mark_transient(fx->db, id, "x", T0, &st, &d),
	    0);
	assert_int_equal(track_mark_failed(fx->db, id2, "550", T0, &d), 0);
	assert_int_equal(track_counts(fx->db, T0, &c, &d), 0);
	assert_int_equal(c.st_new, 3);		/* failures notify nobody */
	assert_int_equal(c.st_notified, 0);
	assert_int_equal(track_mark_sent(fx->db, id, T0 + HOUR, &d), 0);
	assert_int_equal(track_counts(fx->db, T0 + HOUR, &c, &d), 0);
	assert_int_equal(c.st_notified, 2);
	assert_int_equal(c.st_new, 1);		/* the failed message's one */
	assert_int_equal(c.sent, 1);
	assert_int_equal(c.failed, 1);
	assert_int_equal(c.pending, 0);
	assert_int_equal(track_msg_get(fx->db, id, &g, &d), 0);
	assert_int_equal(g.state, TRACK_MSG_SENT);
	assert_int_equal(g.sent, T0 + HOUR);
	assert_null(g.last_error);
	track_msg_free(&g);
	/* idempotent: a second mark changes nothing */
	assert_int_equal(track_mark_sent(fx->db, id, T0 + 2 * HOUR, &d), 0);
	assert_int_equal(track_msg_get(fx->db, id, &g, &d), 0);
	assert_int_equal(g.sent, T0 + HOUR);
	track_msg_free(&g);
}

static int
isdup(struct fx *fx, const char *rcpt, struct track_item it,
    mtime_t interval, mtime_t changed, mtime_t now)
{
	struct mm_diag d;
	int dup = -1;

	assert_int_equal(track_is_duplicate(fx->db, rcpt, &it, interval,
	    changed, now, &dup, &d), 0);
	return dup;
}

static void
dedup(void **state)
{
	struct fx *fx = *state;
	struct track_item f1 = item(21, "192.0.2.21", "c2-client");
	struct track_item same_subj = item(99, "192.0.2.21", "c2-client");
	struct track_item other_kind = item(98, "192.0.2.21", "open-telnet");
	struct mm_diag d;
	const mtime_t week = 7 * DAY;
	mtime_t t1 = T0 + HOUR;
	int64_t m1, m2, m3;

	assert_int_equal(isdup(fx, "AS1", f1, week, 0, T0), 0);
	m1 = enq(fx, "AS1", &f1, 1, T0);
	/* a pending message already covers it */
	assert_int_equal(isdup(fx, "AS1", f1, week, 0, T0), 1);
	assert_int_equal(isdup(fx, "AS1", same_subj, week, 0, T0), 1);
	assert_int_equal(isdup(fx, "AS2", f1, week, 0, T0), 0);
	/* given up on: tell again */
	assert_int_equal(track_mark_failed(fx->db, m1, "550", T0, &d), 0);
	assert_int_equal(isdup(fx, "AS1", f1, week, 0, T0), 0);

	m2 = enq(fx, "AS1", &f1, 1, T0);
	assert_int_equal(track_mark_sent(fx->db, m2, t1, &d), 0);
	assert_int_equal(isdup(fx, "AS1", f1, week, 0, t1 + 1), 1);
	assert_int_equal(isdup(fx, "AS1", same_subj, week, 0, t1 + 1), 1);
	assert_int_equal(isdup(fx, "AS1", other_kind, week, 0, t1 + 1), 0);
	assert_int_equal(isdup(fx, "AS2", f1, week, 0, t1 + 1), 0);
	/* interval over: remind */
	assert_int_equal(isdup(fx, "AS1", f1, HOUR, 0, t1 + 2 * HOUR), 0);
	/* the finding's own status changed after the notification */
	assert_int_equal(isdup(fx, "AS1", f1, week, t1 + 10, t1 + 20), 0);
	assert_int_equal(isdup(fx, "AS1", f1, week, t1 - 10, t1 + 20), 1);
	/* still there at a recheck: not news, still a duplicate */
	assert_int_equal(track_recheck(fx->db, 21, "AS1", 0, t1 + DAY, NULL,
	    &d), 0);
	assert_int_equal(isdup(fx, "AS1", f1, week, 0, t1 + DAY), 1);
	/* remediated: a new detection is news */
	assert_int_equal(track_recheck(fx->db, 21, "AS1", 1, t1 + 2 * DAY,
	    NULL, &d), 0);
	assert_int_equal(isdup(fx, "AS1", f1, week, 0, t1 + 2 * DAY), 0);
	/* back after remediation (persisting again): news */
	assert_int_equal(track_recheck(fx->db, 21, "AS1", 0, t1 + 3 * DAY,
	    NULL, &d), 0);
	assert_int_equal(isdup(fx, "AS1", f1, week, 0, t1 + 3 * DAY), 0);
	/* told again: duplicate again */
	m3 = enq(fx, "AS1", &f1, 1, t1 + 3 * DAY);
	assert_int_equal(track_mark_sent(fx->db, m3, t1 + 3 * DAY + 1, &d),
	    0);
	assert_int_equal(isdup(fx, "AS1", f1, week, 0, t1 + 3 * DAY + 2), 1);
}

static void
recheck_states(void **state)
{
	struct fx *fx = *state;
	struct track_item fa = item(31, "192.0.2.31", "open-telnet");
	struct track_item fb = item(32, "192.0.2.32", "open-telnet");
	struct track_recheck_item *ri;
	struct track_counts c;
	struct mm_diag d;
	size_t upd, n;
	int64_t m;

	/* found but never told: a recheck changes nothing */
	assert_int_equal(track_note_found(fx->db, "AS1", "ExampleNet", &fb,
	    T0, &d), 0);
	assert_int_equal(track_recheck(fx->db, 32, NULL, 1, T0, &upd, &d), 0);
	assert_int_equal(upd, 0);
	m = enq(fx, "AS1", &fa, 1, T0);
	assert_int_equal(track_recheck(fx->db, 31, NULL, 1, T0, &upd, &d), 0);
	assert_int_equal(upd, 0);		/* pending is not told */
	assert_int_equal(track_mark_sent(fx->db, m, T0 + 1, &d), 0);

	assert_int_equal(track_recheck_list(fx->db, T0 + 1, 10, &ri, &n, &d),
	    0);
	assert_int_equal(n, 0);
	assert_int_equal(track_recheck_list(fx->db, T0 + 2, 10, &ri, &n, &d),
	    0);
	assert_int_equal(n, 1);
	assert_int_equal(ri[0].finding_id, 31);
	assert_string_equal(ri[0].recipient_id, "AS1");
	assert_string_equal(ri[0].subject, "192.0.2.31");
	assert_int_equal(ri[0].state, TRACK_NOTIFIED);
	assert_int_equal(ri[0].last_recheck, 0);
	free(ri);

	assert_int_equal(track_recheck(fx->db, 31, "AS1", 0, T0 + DAY, &upd,
	    &d), 0);
	assert_int_equal(upd, 1);
	assert_int_equal(track_counts(fx->db, T0, &c, &d), 0);
	assert_int_equal(c.st_persisting, 1);
	assert_int_equal(track_recheck(fx->db, 31, "AS2", 1, T0 + DAY, &upd,
	    &d), 0);
	assert_int_equal(upd, 0);		/* other recipient */
	assert_int_equal(track_recheck_list(fx->db, T0 + DAY, 10, &ri, &n,
	    &d), 0);
	assert_int_equal(n, 0);			/* just rechecked */
	assert_int_equal(track_recheck_list(fx->db, T0 + 2 * DAY, 10, &ri, &n,
	    &d), 0);
	assert_int_equal(n, 1);
	assert_int_equal(ri[0].state, TRACK_PERSISTING);
	assert_int_equal(ri[0].last_recheck, T0 + DAY);
	free(ri);
	assert_int_equal(track_recheck(fx->db, 31, NULL, 1, T0 + 2 * DAY,
	    &upd, &d), 0);
	assert_int_equal(upd, 1);
	assert_int_equal(track_counts(fx->db, T0, &c, &d), 0);
	assert_int_equal(c.st_remediated, 1);
	assert_int_equal(c.st_new, 1);
	assert_int_equal(track_recheck_list(fx->db, T0 + 9 * DAY, 10, &ri, &n,
	    &d), 0);
	assert_int_equal(n, 0);			/* remediated: done */
	assert_int_equal(track_recheck(fx->db, 0, NULL, 1, T0, &upd, &d),
	    MM_EINVAL);
	assert_string_equal(track_state_name(TRACK_PERSISTING), "persisting");
	assert_string_equal(track_msg_state_name(TRACK_MSG_FAILED), "failed");
}

static void
monthly(void **state)
{
	struct fx *fx = *state;
	/* 2026-10-15, 2026-11-10 (T0), 2026-12-05 */
	const mtime_t oct = T0 - 26 * DAY, dec = T0 + 25 * DAY;
	struct track_item a = item(41, "192.0.2.41", "c2-client");
	struct track_item b = item(42, "192.0.2.42", "c2-client");
	struct track_item c = item(43, "192.0.2.43", "open-telnet");
	struct track_item e = item(44, "198.51.100.4", "c2-client");
	struct track_month_row *rows;
	struct track_new_msg m;
	struct mm_diag d;
	size_t n;
	int64_t id;

	a.found = oct;
	b.found = T0;
	c.found = T0;
	c.category = "telnet";
	e.found = T0;
	assert_int_equal(track_note_found(fx->db, "AS1", "ExampleNet", &a,
	    oct, &d), 0);
	assert_int_equal(track_note_found(fx->db, "AS1", "ExampleNet", &b,
	    T0, &d), 0);
	/* a later sighting keeps the earlier found time */
	b.found = dec;
	assert_int_equal(track_note_found(fx->db, "AS1", "ExampleNet", &b,
	    dec, &d), 0);
	b.found = T0;
	assert_int_equal(track_note_found(fx->db, "AS9", "OtherNet", &e, T0,
	    &d), 0);
	/* a and c told in November; a remediated in December */
	memset(&m, 0, sizeof(m));
	m.recipient_id = "AS1";
	m.email = "abuse@example.net";
	m.isp = "ExampleNet";
	m.body = (const uint8_t *)"x";
	m.len = 1;
	{
		struct track_item its[2] = { a, c };

		assert_int_equal(track_enqueue(fx->db, &m, its, 2, T0, &id,
		    &d), 0);
	}
	assert_int_equal(track_mark_sent(fx->db, id, T0 + HOUR, &d), 0);
	assert_int_equal(track_recheck(fx->db, 41, NULL, 1, dec, NULL, &d),
	    0);

	assert_int_equal(track_monthly(fx->db, 2026, 10, 2026, 12, &rows, &n,
	    &d), 0);
	assert_int_equal(n, 5);
	/* 2026-10 ExampleNet c2-client: found a */
	assert_int_equal(rows[0].year, 2026);
	assert_int_equal(rows[0].month, 10);
	assert_string_equal(rows[0].isp, "ExampleNet");
	assert_string_equal(rows[0].category, "c2-client");
	assert_int_equal(rows[0].found, 1);
	assert_int_equal(rows[0].notified, 0);
	/* 2026-11 ExampleNet c2-client: found b, notified a */
	assert_int_equal(rows[1].month, 11);
	assert_string_equal(rows[1].category, "c2-client");
	assert_int_equal(rows[1].found, 1);
	assert_int_equal(rows[1].notified, 1);
	assert_int_equal(rows[1].remediated, 0);
	/* 2026-11 ExampleNet telnet: found and notified c */
	assert_string_equal(rows[2].category, "telnet");
	assert_int_equal(rows[2].found, 1);
	assert_int_equal(rows[2].notified, 1);
	/* 2026-11 OtherNet c2-client: found e */
	assert_string_equal(rows[3].isp, "OtherNet");
	assert_int_equal(rows[3].found, 1);
	/* 2026-12 ExampleNet c2-client: remediated a */
	assert_int_equal(rows[4].month, 12);
	assert_int_equal(rows[4].found, 0);
	assert_int_equal(rows[4].remediated, 1);
	free(rows);

	/* one month only */
	assert_int_equal(track_monthly(fx->db, 2026, 12, 2026, 12, &rows, &n,
	    &d), 0);
	assert_int_equal(n, 1);
	free(rows);
	assert_int_equal(track_monthly(fx->db, 2025, 1, 2025, 12, &rows, &n,
	    &d), 0);
	assert_int_equal(n, 0);
	assert_null(rows);
	assert_int_equal(track_monthly(fx->db, 2026, 13, 2026, 12, &rows, &n,
	    &d), MM_EINVAL);
	assert_int_equal(track_monthly(fx->db, 2026, 12, 2026, 11, &rows, &n,
	    &d), MM_EINVAL);
}

/* Persisting figures count recheck events in their own month: a later
 * remediation does not lower a past month, two rechecks in one month count
 * once, a finding never told counts nothing. */
static void
monthly_persisting(void **state)
{
	struct fx *fx = *state;
	/* 2026-11-10 (T0), 2026-11-20, 2026-12-05, 2027-01-10 */
	const mtime_t nov2 = T0 + 10 * DAY, dec = T0 + 25 * DAY,
	    jan = T0 + 61 * DAY;
	struct track_item a = item(61, "192.0.2.61", "open-telnet");
	struct track_item b = item(62, "192.0.2.62", "open-telnet");
	struct track_item c = item(63, "192.0.2.63", "open-telnet");
	struct track_month_row *rows;
	struct mm_diag d;
	size_t n, upd;
	int64_t id;

	a.found = b.found = c.found = T0;
	{
		struct track_item its[2] = { a, b };

		id = enq(fx, "AS1", its, 2, T0);
	}
	assert_int_equal(track_mark_sent(fx->db, id, T0 + HOUR, &d), 0);
	assert_int_equal(track_note_found(fx->db, "AS1", "ExampleNet", &c,
	    T0, &d), 0);
	/* November: a and b still there (a twice), c never told */
	assert_int_equal(track_recheck(fx->db, 61, NULL, 0, T0 + DAY, &upd,
	    &d), 0);
	assert_int_equal(track_recheck(fx->db, 61, NULL, 0, nov2, &upd, &d),
	    0);
	assert_int_equal(track_recheck(fx->db, 62, "AS1", 0, nov2, &upd, &d),
	    0);
	assert_int_equal(track_recheck(fx->db, 63, NULL, 0, nov2, &upd, &d),
	    0);
	assert_int_equal(upd, 0);
	/* December: a fixed, b still there; January: b fixed */
	assert_int_equal(track_recheck(fx->db, 61, NULL, 1, dec, &upd, &d),
	    0);
	assert_int_equal(track_recheck(fx->db, 62, NULL, 0, dec, &upd, &d),
	    0);
	assert_int_equal(track_recheck(fx->db, 62, NULL, 1, jan, &upd, &d),
	    0);

	assert_int_equal(track_monthly(fx->db, 2026, 11, 2027, 1, &rows, &n,
	    &d), 0);
	assert_int_equal(n, 3);
	assert_int_equal(rows[0].month, 11);
	assert_int_equal(rows[0].found, 3);
	assert_int_equal(rows[0].notified, 2);
	assert_int_equal(rows[0].persisting, 2);	/* not lowered later */
	assert_int_equal(rows[0].remediated, 0);
	assert_int_equal(rows[1].month, 12);
	assert_int_equal(rows[1].persisting, 1);
	assert_int_equal(rows[1].remediated, 1);
	assert_int_equal(rows[2].year, 2027);
	assert_int_equal(rows[2].month, 1);
	assert_int_equal(rows[2].persisting, 0);
	assert_int_equal(rows[2].remediated, 1);
	free(rows);
	/* a month with only persisting rechecks is a row of its own */
	assert_int_equal(track_monthly(fx->db, 2026, 12, 2026, 12, &rows, &n,
	    &d), 0);
	assert_int_equal(n, 1);
	assert_int_equal(rows[0].found, 0);
	assert_int_equal(rows[0].notified, 0);
	assert_int_equal(rows[0].persisting, 1);
	free(rows);
}

/* The finding ids of a message and the queue listing. */
static void
msg_findings_list(void **state)
{
	struct fx *fx = *state;
	struct track_item its[3] = { item(73, "192.0.2.73", "c2-client"),
	    item(71, "192.0.2.71", "c2-client"),
	    item(72, "192.0.2.72", "c2-client") };
	struct track_msg_row *rows;
	struct mm_diag d;
	int64_t *ids, a, b, c;
	size_t n;

	a = enq(fx, "AS1", its, 3, T0);
	b = enq(fx, "AS2", NULL, 0, T0 + 1);
	c = enq(fx, "AS3", &its[0], 1, T0 + 2);
	assert_int_equal(track_msg_findings(fx->db, a, &ids, &n, &d), 0);
	assert_int_equal(n, 3);
	assert_int_equal(ids[0], 71);		/* ascending */
	assert_int_equal(ids[1], 72);
	assert_int_equal(ids[2], 73);
	free(ids);
	assert_int_equal(track_msg_findings(fx->db, b, &ids, &n, &d), 0);
	assert_int_equal(n, 0);
	assert_null(ids);
	assert_int_equal(track_msg_findings(fx->db, 4242, &ids, &n, &d),
	    MM_ENOENT);
	assert_null(ids);

	assert_int_equal(track_mark_sent(fx->db, a, T0 + HOUR, &d), 0);
	assert_int_equal(track_mark_failed(fx->db, c, "550 5.1.1 no such user",
	    T0 + HOUR, &d), 0);
	/* a failed message still lists its findings, which stay new */
	assert_int_equal(track_msg_findings(fx->db, c, &ids, &n, &d), 0);
	assert_int_equal(n, 1);
	assert_int_equal(ids[0], 73);
	free(ids);

	assert_int_equal(track_msg_list(fx->db, -1, 10, &rows, &n, &d), 0);
	assert_int_equal(n, 3);
	assert_int_equal(rows[0].id, c);	/* newest first */
	assert_int_equal(rows[0].state, TRACK_MSG_FAILED);
	assert_int_equal(rows[0].attempts, 1);
	assert_int_equal(rows[0].findings, 1);
	assert_string_equal(rows[0].recipient_id, "AS3");
	assert_string_equal(rows[0].last_error, "550 5.1.1 no such user");
	assert_int_equal(rows[1].id, b);
	assert_int_equal(rows[1].state, TRACK_MSG_PENDING);
	assert_int_equal(rows[1].findings, 0);
	assert_int_equal(rows[1].next_attempt, T0 + 1);
	assert_string_equal(rows[1].last_error, "");
	assert_int_equal(rows[2].id, a);
	assert_int_equal(rows[2].state, TRACK_MSG_SENT);
	assert_int_equal(rows[2].sent, T0 + HOUR);
	assert_int_equal(rows[2].created, T0);
	assert_int_equal(rows[2].findings, 3);
	assert_string_equal(rows[2].email, "abuse@example.net");
	assert_string_equal(rows[2].isp, "ExampleNet");
	assert_string_equal(rows[2].report_types, "csv");
	assert_string_equal(rows[2].message_id, "<r1@mamori.example>");
	free(rows);
	assert_int_equal(track_msg_list(fx->db, TRACK_MSG_PENDING, 10, &rows,
	    &n, &d), 0);
	assert_int_equal(n, 1);
	assert_int_equal(rows[0].id, b);
	free(rows);
	assert_int_equal(track_msg_list(fx->db, -1, 2, &rows, &n, &d), 0);
	assert_int_equal(n, 2);			/* max */
	free(rows);
	assert_int_equal(track_msg_list(fx->db, TRACK_MSG_FAILED + 1, 10,
	    &rows, &n, &d), MM_EINVAL);
	assert_int_equal(track_msg_list(fx->db, -1, 0, &rows, &n, &d),
	    MM_EINVAL);
	assert_null(rows);
}

/* deliver --now: backoff cut short; leases, rate limit, final states
 * kept. */
static void
retry_now(void **state)
{
	struct fx *fx = *state;
	struct track_policy pol;
	enum track_msg_state st;
	struct mm_diag d;
	int64_t back, held, sent, failed, limited, ids[8];
	mtime_t next;
	int att;

	memset(&pol, 0, sizeof(pol));
	pol.rate_max = 1;
	reopen(fx, &pol);
	back = enq(fx, "AS1", NULL, 0, T0);
	sent = enq(fx, "AS2", NULL, 0, T0);
	failed = enq(fx, "AS3", NULL, 0, T0);
	assert_int_equal(pick(fx, T0, ids, 8), 3);
	assert_int_equal(track_mark_transient(fx->db, back, "451 later", T0,
	    &st, &d), 0);
	assert_int_equal(track_mark_sent(fx->db, sent, T0, &d), 0);
	assert_int_equal(track_mark_failed(fx->db, failed, "550", T0, &d), 0);
	limited = enq(fx, "AS2", NULL, 0, T0 + 1);	/* AS2: 1 sent in hour */
	held = enq(fx, "AS4", NULL, 0, T0 + 1);
	assert_int_equal(pick(fx, T0 + 1, ids, 8), 1);	/* leases `held` */
	assert_int_equal(ids[0], held);
	assert_int_equal(pick(fx, T0 + 2, ids, 8), 0);

	assert_int_equal(track_retry_now(fx->db, T0 + 2, &d), 0);
	assert_int_equal(mstate(fx, back, &att, &next), TRACK_MSG_PENDING);
	assert_int_equal(next, T0 + 2);
	assert_int_equal(att, 1);		/* attempts kept */
	assert_int_equal(mstate(fx, held, NULL, &next), TRACK_MSG_PENDING);
	assert_int_equal(next, T0 + 1 + DEF_LEASE_TEST);	/* still leased */
	assert_int_equal(mstate(fx, sent, NULL, NULL), TRACK_MSG_SENT);
	assert_int_equal(mstate(fx, failed, NULL, NULL), TRACK_MSG_FAILED);
	/* the rate limit still holds `limited` back */
	assert_int_equal(pick(fx, T0 + 2, ids, 8), 1);
	assert_int_equal(ids[0], back);
	assert_int_equal(mstate(fx, limited, NULL, &next), TRACK_MSG_PENDING);
	/* an hour on: `limited`, and the two whose leases ran out */
	assert_int_equal(pick(fx, T0 + 1 + HOUR, ids, 8), 3);
	/* inside a batch it is one savepoint */
	assert_int_equal(track_begin(fx->db, &d), 0);
	assert_int_equal(track_retry_now(fx->db, T0 + 2 * HOUR, &d), 0);
	assert_int_equal(track_commit(fx->db, &d), 0);
}

/* A database of schema 1 (as mamori wrote it before the persisting
 * figures were kept per recheck) is migrated on open; the persisting
 * figure it showed is kept and no longer drops on remediation. */
static const char schema_v1[] =
	"CREATE TABLE messages ("
	"  id            INTEGER PRIMARY KEY,"
	"  recipient_id  TEXT NOT NULL,"
	"  email         TEXT NOT NULL,"
	"  isp           TEXT NOT NULL DEFAULT '',"
	"  report_types  TEXT NOT NULL DEFAULT '',"
	"  created       INTEGER NOT NULL,"
	"  state         TEXT NOT NULL DEFAULT 'pending'"
	"                CHECK (state IN ('pending','sent','failed')),"
	"  attempts      INTEGER NOT NULL DEFAULT 0,"
	"  next_attempt  INTEGER NOT NULL,"
	"  lease_until   INTEGER,"
	"  last_error    TEXT,"
	"  body          BLOB,"
	"  outbox_name   TEXT,"
	"  message_id    TEXT,"
	"  sent          INTEGER,"
	"  CHECK ((body IS NULL) <> (outbox_name IS NULL))"
	");"
	"CREATE INDEX messages_due ON messages (state, next_attempt);"
	"CREATE INDEX messages_sent ON messages (state, sent);"
	"CREATE INDEX messages_lease ON messages (state, lease_until);"
	"CREATE TABLE notifications ("
	"  id            INTEGER PRIMARY KEY,"
	"  finding_id    INTEGER NOT NULL,"
	"  recipient_id  TEXT NOT NULL,"
	"  isp           TEXT NOT NULL DEFAULT '',"
	"  category      TEXT NOT NULL DEFAULT '',"
	"  subject_addr  TEXT NOT NULL DEFAULT '',"
	"  kind          TEXT NOT NULL DEFAULT '',"
	"  found         INTEGER NOT NULL,"
	"  state         TEXT NOT NULL DEFAULT 'new' CHECK (state IN"
	"                ('new','notified','remediated','persisting')),"
	"  message_id    INTEGER REFERENCES messages (id),"
	"  notified      INTEGER,"
	"  last_notified INTEGER,"
	"  state_changed INTEGER NOT NULL,"
	"  last_recheck  INTEGER,"
	"  remediated    INTEGER,"
	"  UNIQUE (finding_id, recipient_id)"
	");"
	"CREATE INDEX notifications_subject ON notifications"
	"  (recipient_id, subject_addr, kind);"
	"CREATE INDEX notifications_found ON notifications (found);"
	"CREATE INDEX notifications_notified ON notifications (notified);"
	"CREATE INDEX notifications_remediated ON notifications (remediated);"
	"CREATE INDEX notifications_state ON notifications (state);"
	"CREATE TABLE message_findings ("
	"  message_id    INTEGER NOT NULL REFERENCES messages (id),"
	"  finding_id    INTEGER NOT NULL,"
	"  recipient_id  TEXT NOT NULL,"
	"  PRIMARY KEY (message_id, finding_id)"
	") WITHOUT ROWID;"
	"CREATE INDEX message_findings_finding ON message_findings"
	"  (finding_id, recipient_id);"
	"PRAGMA user_version = 1;";

static void
migrate_v1(void **state)
{
	struct fx *fx = *state;
	struct track_month_row *rows;
	struct track_msg_row *ml;
	struct mm_diag d;
	int64_t *ids;
	size_t n;
	sqlite3 *s;
	char sql[1024];

	track_close(fx->db);
	fx->db = NULL;
	unlink(fx->path);
	assert_int_equal(sqlite3_open(fx->path, &s), SQLITE_OK);
	assert_int_equal(sqlite3_exec(s, schema_v1, NULL, NULL, NULL),
	    SQLITE_OK);
	/* one sent message covering two findings: 81 persisting (rechecked
	 * 2026-11-11), 82 notified */
	snprintf(sql, sizeof(sql),
	    "INSERT INTO messages (id, recipient_id, email, isp, created,"
	    " state, attempts, next_attempt, body, sent) VALUES (1, 'AS1',"
	    " 'abuse@example.net', 'ExampleNet', %lld, 'sent', 1, %lld,"
	    " x'41', %lld);"
	    "INSERT INTO message_findings VALUES (1, 82, 'AS1'), (1, 81, 'AS1');"
	    "INSERT INTO notifications (finding_id, recipient_id, isp,"
	    " category, subject_addr, kind, found, state, message_id,"
	    " notified, last_notified, state_changed, last_recheck) VALUES"
	    " (81, 'AS1', 'ExampleNet', 'open-telnet', '192.0.2.81',"
	    " 'open-telnet', %lld, 'persisting', 1, %lld, %lld, %lld, %lld),"
	    " (82, 'AS1', 'ExampleNet', 'open-telnet', '192.0.2.82',"
	    " 'open-telnet', %lld, 'notified', 1, %lld, %lld, %lld, NULL);",
	    (long long)T0, (long long)T0, (long long)T0,
	    (long long)T0, (long long)T0, (long long)T0, (long long)T0,
	    (long long)(T0 + DAY),
	    (long long)T0, (long long)T0, (long long)T0, (long long)T0);
	assert_int_equal(sqlite3_exec(s, sql, NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(s);

	assert_int_equal(open_fx(fx, NULL), 0);
	assert_int_equal(track_schema_version(fx->db), TRACK_SCHEMA_VERSION);
	assert_int_equal(track_monthly(fx->db, 2026, 11, 2026, 12, &rows, &n,
	    &d), 0);
	assert_int_equal(n, 1);
	assert_int_equal(rows[0].found, 2);
	assert_int_equal(rows[0].notified, 2);
	assert_int_equal(rows[0].persisting, 1);	/* carried over */
	free(rows);
	/* the old rows work with the new functions */
	assert_int_equal(track_msg_findings(fx->db, 1, &ids, &n, &d), 0);
	assert_int_equal(n, 2);
	assert_int_equal(ids[0], 81);
	free(ids);
	assert_int_equal(track_msg_list(fx->db, TRACK_MSG_SENT, 10, &ml, &n,
	    &d), 0);
	assert_int_equal(n, 1);
	assert_int_equal(ml[0].findings, 2);
	free(ml);
	/* 81 fixed in December: November keeps its persisting figure */
	assert_int_equal(track_recheck(fx->db, 81, NULL, 1, T0 + 25 * DAY,
	    NULL, &d), 0);
	assert_int_equal(track_monthly(fx->db, 2026, 11, 2026, 12, &rows, &n,
	    &d), 0);
	assert_int_equal(n, 2);
	assert_int_equal(rows[0].persisting, 1);
	assert_int_equal(rows[1].remediated, 1);
	free(rows);
	/* reopening an up-to-date database changes nothing */
	reopen(fx, NULL);
	assert_int_equal(track_schema_version(fx->db), TRACK_SCHEMA_VERSION);
}

/* A child that picks and marks sent inside a batch, then dies before the
 * commit (as a crash between the 250 and the commit would). */
static void
crash_before_commit(void **state)
{
	struct fx *fx = *state;
	struct track_item f = item(51, "192.0.2.51", "c2-client");
	struct track_counts c;
	struct mm_diag d;
	int64_t id, ids[4];
	pid_t pid;
	int st, att;
	mtime_t next;

	id = enq(fx, "AS1", &f, 1, T0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct track_db *db;
		struct track_msg *m;
		size_t n;

		if (track_open(fx->dir, NULL, &db, NULL) != 0 ||
		    track_pick_due(db, T0, 4, &m, &n, NULL) != 0 || n != 1 ||
		    track_begin(db, NULL) != 0 ||
		    track_mark_sent(db, m[0].id, T0 + 1, NULL) != 0)
			_exit(1);
		_exit(0);	/* no commit, no close */
	}
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	reopen(fx, NULL);
	assert_int_equal(mstate(fx, id, &att, &next), TRACK_MSG_PENDING);
	assert_int_equal(att, 0);
	assert_int_equal(next, T0 + DEF_LEASE_TEST);	/* the pick committed */
	assert_int_equal(track_counts(fx->db, T0, &c, &d), 0);
	assert_int_equal(c.sent, 0);
	assert_int_equal(c.st_notified, 0);
	assert_int_equal(c.st_new, 1);
	/* at least once: sent again after the lease */
	assert_int_equal(pick(fx, T0 + DEF_LEASE_TEST, ids, 4), 1);
	assert_int_equal(ids[0], id);

	/* the same in our own process: a batch closed without commit */
	assert_int_equal(track_begin(fx->db, &d), 0);
	assert_int_equal(track_begin(fx->db, &d), MM_EINVAL);
	assert_int_equal(track_mark_sent(fx->db, id, T0 + 2, &d), 0);
	/* a failing call inside the batch leaves the batch intact */
	assert_int_equal(track_mark_sent(fx->db, 4242, T0 + 2, &d), MM_ENOENT);
	assert_int_equal(mstate(fx, id, NULL, NULL), TRACK_MSG_SENT);
	reopen(fx, NULL);
	assert_int_equal(mstate(fx, id, NULL, NULL), TRACK_MSG_PENDING);
	/* and committed, it sticks */
	assert_int_equal(track_begin(fx->db, &d), 0);
	assert_int_equal(track_mark_sent(fx->db, id, T0 + 3, &d), 0);
	assert_int_equal(track_commit(fx->db, &d), 0);
	assert_int_equal(track_commit(fx->db, &d), MM_EINVAL);
	reopen(fx, NULL);
	assert_int_equal(mstate(fx, id, NULL, NULL), TRACK_MSG_SENT);
	assert_int_equal(track_counts(fx->db, T0, &c, &d), 0);
	assert_int_equal(c.st_notified, 1);
}

static void
schema_newer(void **state)
{
	struct fx *fx = *state;
	struct track_db *db2;
	struct mm_diag d;
	sqlite3 *s;
	char v[64];

	track_close(fx->db);
	fx->db = NULL;
	assert_int_equal(sqlite3_open(fx->path, &s), SQLITE_OK);
	assert_int_equal(sqlite3_exec(s, "PRAGMA user_version = 99", NULL,
	    NULL, NULL), SQLITE_OK);
	sqlite3_close(s);
	assert_int_equal(track_open(fx->dir, NULL, &db2, &d), MM_EUNSUP);
	assert_null(db2);
	assert_non_null(strstr(d.msg, "notify.db"));
	assert_int_equal(track_open("/nonexistent/mamori", NULL, &db2, &d),
	    MM_EIO);
	/* leave a usable database for teardown */
	assert_int_equal(sqlite3_open(fx->path, &s), SQLITE_OK);
	snprintf(v, sizeof(v), "PRAGMA user_version = %d",
	    TRACK_SCHEMA_VERSION);
	assert_int_equal(sqlite3_exec(s, v, NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(s);
	assert_int_equal(open_fx(fx, NULL), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(enqueue_get, setup, teardown),
		cmocka_unit_test_setup_teardown(due_and_lease, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(rate_limit, setup, teardown),
		cmocka_unit_test_setup_teardown(backoff, setup, teardown),
		cmocka_unit_test_setup_teardown(sent_marks_notified, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(dedup, setup, teardown),
		cmocka_unit_test_setup_teardown(recheck_states, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(monthly, setup, teardown),
		cmocka_unit_test_setup_teardown(monthly_persisting, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(msg_findings_list, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(retry_now, setup, teardown),
		cmocka_unit_test_setup_teardown(migrate_v1, setup, teardown),
		cmocka_unit_test_setup_teardown(crash_before_commit, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(schema_newer, setup,
		    teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
