/*
 * track.c - the notification tracking database on SQLite; see track.h for
 * the model and the at-least-once argument.
 *
 * Approach. Every function that changes state runs inside op_begin() /
 * op_end(): outside a batch that is BEGIN IMMEDIATE ... COMMIT (the write
 * lock is taken first, so a concurrent sender waits on the busy timeout
 * instead of failing half-way); inside a caller's batch it is a SAVEPOINT,
 * so one failed call is undone without undoing the batch. States are stored
 * as names (readable with the sqlite3 shell) under CHECK constraints.
 *
 * The rate limit is evaluated in one statement: row_number() over the due
 * messages of each recipient (oldest due first) plus that recipient's
 * "busy" count (sent within the window, or leased now) must not exceed
 * rate_max. The picked rows are then leased in the same transaction, so two
 * senders never pick the same message while its lease runs.
 *
 * Backoff is computed in C from the attempts count by doubling with a
 * saturating cap (no overflow for any attempts value); it has no jitter so
 * tests and replays are deterministic (senders are few; a thundering herd
 * is not a concern at this scale).
 *
 * Monthly figures come from the timestamps of each notification row
 * (found, first notified, remediated) and, for "persisting", from
 * persisting_months: one row per (notification, UTC month) in which a
 * recheck found the finding still present, written in the same
 * transaction as the recheck. A later remediation does not touch those
 * rows, so the figure of a past month stays what it was (schema 1 counted
 * the rows currently persisting by their last recheck instead; migration
 * 1 -> 2 carries exactly those over). The table grows by at most one row
 * per notification per month rechecked.
 *
 * `notify deliver --now` is track_retry_now(): one UPDATE that sets the
 * next attempt of every pending, unleased message to now; the rate limit
 * and leases are then applied by the normal pick.
 *
 * Bounds: every string is checked against its cap before it is bound; the
 * message body against TRACK_MSG_MAX; a pick returns at most TRACK_PICK_MAX
 * rows (a listing too), a message's finding ids at most TRACK_ITEMS_MAX,
 * and a figures query spans at most TRACK_MONTHS_MAX months. SQL is
 * fixed text; every value is a bound parameter.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <sqlite3.h>

#include "findings/sqldb.h"
#include "notify/track.h"

#define MONTH_ROWS_MAX	1000000

#define DEF_BASE	(5 * 60 * 1000LL)
#define DEF_CAP		(12 * 3600 * 1000LL)
#define DEF_ATTEMPTS	16
#define DEF_RATE	10
#define DEF_WINDOW	(3600 * 1000LL)
#define DEF_LEASE	(15 * 60 * 1000LL)

struct track_db {
	struct sqldb		 s;	/* connection, path, batch */
	struct track_policy	 pol;
};

/* sqldb_check_text() naming this module. */
static int
check_text(const char *what, const char *s, size_t cap, int required,
    struct mm_diag *diag)
{
	return sqldb_check_text("track", what, s, cap, required, diag);
}

static const char *const migrations[] = {
	/* 0 -> 1: initial schema */
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
	"  (finding_id, recipient_id);",
	/*
	 * 1 -> 2: persisting figures by recheck event. Schema 1 counted the
	 * rows in state persisting by the month of their last recheck, so a
	 * month's figure dropped when a later recheck found the finding
	 * remediated. Now each (notification, UTC month) in which a recheck
	 * found it still present is one row; `at` is the first such recheck
	 * in the month. The rows schema 1 would have counted are carried
	 * over, so no figure changes on upgrade. IF NOT EXISTS / OR IGNORE:
	 * the step is idempotent.
	 */
	"CREATE TABLE IF NOT EXISTS persisting_months ("
	"  notification_id INTEGER NOT NULL REFERENCES notifications (id),"
	"  month         TEXT NOT NULL,"
	"  at            INTEGER NOT NULL,"
	"  PRIMARY KEY (notification_id, month)"
	") WITHOUT ROWID;"
	"CREATE INDEX IF NOT EXISTS persisting_months_at ON persisting_months"
	"  (at);"
	"INSERT OR IGNORE INTO persisting_months (notification_id, month, at)"
	"  SELECT id, strftime('%Y-%m', last_recheck / 1000, 'unixepoch'),"
	"  last_recheck FROM notifications"
	"  WHERE state = 'persisting' AND last_recheck IS NOT NULL;",
};
#define NMIGRATIONS	(sizeof(migrations) / sizeof(migrations[0]))
_Static_assert(NMIGRATIONS == TRACK_SCHEMA_VERSION,
    "one migration per schema version");

static const char *const msg_state_names[] = { "pending", "sent", "failed" };
static const char *const state_names[] = {
	"new", "notified", "remediated", "persisting"
};

#define MSG_COLS "id, recipient_id, email, isp, report_types, message_id," \
	" outbox_name, body, state, attempts, created, next_attempt, sent," \
	" last_error"

const char *
track_msg_state_name(enum track_msg_state s)
{
	if ((unsigned)s > TRACK_MSG_FAILED)
		return "unknown";
	return msg_state_names[s];
}

const char *
track_state_name(enum track_state s)
{
	if ((unsigned)s > TRACK_PERSISTING)
		return "unknown";
	return state_names[s];
}

static int
name_index(const char *const *names, int n, const unsigned char *s)
{
	int i;

	if (s == NULL)
		return 0;
	for (i = 0; i < n; i++)
		if (strcmp((const char *)s, names[i]) == 0)
			return i;
	return 0;
}

void
track_policy_default(struct track_policy *p)
{
	p->backoff_base = DEF_BASE;
	p->backoff_cap = DEF_CAP;
	p->max_attempts = DEF_ATTEMPTS;
	p->rate_max = DEF_RATE;
	p->rate_window = DEF_WINDOW;
	p->lease = DEF_LEASE;
}

static int
exec_sql(struct track_db *db, const char *sql, struct mm_diag *diag)
{
	return sqldb_exec(db->s.db, db->s.path, sql, diag);
}

static int
prep(struct track_db *db, const char *sql, sqlite3_stmt **st,
    struct mm_diag *diag)
{
	if (sqlite3_prepare_v2(db->s.db, sql, -1, st, NULL) != SQLITE_OK) {
		*st = NULL;
		return sqldb_err(&db->s, diag, "preparing a statement");
	}
	return 0;
}

/* Steps a statement that returns no rows; finalizes it. */
static int
step_done(struct track_db *db, sqlite3_stmt *st, const char *what,
    struct mm_diag *diag)
{
	int rc = 0;

	if (sqlite3_step(st) != SQLITE_DONE)
		rc = sqldb_err(&db->s, diag, what);
	sqlite3_finalize(st);
	return rc;
}

/* One state-changing operation: a transaction, or a savepoint in a batch. */
static int
op_begin(struct track_db *db, struct mm_diag *diag)
{
	return exec_sql(db, db->s.in_batch ? "SAVEPOINT track_op" :
	    "BEGIN IMMEDIATE", diag);
}

static int
op_end(struct track_db *db, int rc, struct mm_diag *diag)
{
	if (rc == 0) {
		if ((rc = exec_sql(db, db->s.in_batch ? "RELEASE track_op" :
		    "COMMIT", diag)) == 0)
			return 0;
	}
	if (db->s.in_batch)
		sqlite3_exec(db->s.db, "ROLLBACK TO track_op; RELEASE track_op",
		    NULL, NULL, NULL);
	else
		sqlite3_exec(db->s.db, "ROLLBACK", NULL, NULL, NULL);
	return rc;
}

/* notify.db: WAL; synchronous FULL, because a "sent" mark must survive
 * power loss; foreign keys on. */
static const char pragmas[] = "PRAGMA journal_mode = WAL;"
    "PRAGMA synchronous = FULL;"
    "PRAGMA foreign_keys = ON;";

/* Opens DIR/NAME (dir != NULL) or path into a new handle with `pol`. */
static int
track_open_any(const char *dir, const char *path,
    const struct track_policy *pol, struct track_db **dbp,
    struct mm_diag *diag)
{
	struct track_db *db;
	int rc;

	*dbp = NULL;
	if (dir == NULL && path == NULL)
		return mm_diag_set(diag, MM_EINVAL, "track: no path");
	if ((db = calloc(1, sizeof(*db))) == NULL)
		return mm_diag_set(diag, MM_ENOMEM, "track: out of memory");
	track_policy_default(&db->pol);
	if (pol != NULL) {
		if (pol->backoff_base > 0)
			db->pol.backoff_base = pol->backoff_base;
		if (pol->backoff_cap > 0)
			db->pol.backoff_cap = pol->backoff_cap;
		if (pol->max_attempts > 0)
			db->pol.max_attempts = pol->max_attempts;
		if (pol->rate_max > 0)
			db->pol.rate_max = pol->rate_max;
		if (pol->rate_window > 0)
			db->pol.rate_window = pol->rate_window;
		if (pol->lease > 0)
			db->pol.lease = pol->lease;
	}
	if (db->pol.backoff_cap < db->pol.backoff_base)
		db->pol.backoff_cap = db->pol.backoff_base;
	if ((rc = dir != NULL ?
	    sqldb_open_dir(&db->s, "track", dir, TRACK_DB_NAME, pragmas,
	    migrations, NMIGRATIONS, diag) :
	    sqldb_open(&db->s, path, pragmas, migrations, NMIGRATIONS,
	    diag)) != 0)
		goto out;
	*dbp = db;
	return 0;
 out:
	track_close(db);
	return rc;
}

int
track_open_path(const char *path, const struct track_policy *pol,
    struct track_db **dbp, struct mm_diag *diag)
{
	return track_open_any(NULL, path, pol, dbp, diag);
}

int
track_open(const char *datadir, const struct track_policy *pol,
    struct track_db **dbp, struct mm_diag *diag)
{
	if (datadir == NULL) {
		*dbp = NULL;
		return mm_diag_set(diag, MM_EINVAL, "track: no data dir");
	}
	return track_open_any(datadir, NULL, pol, dbp, diag);
}

void
track_close(struct track_db *db)
{
	if (db == NULL)
		return;
	sqldb_close(&db->s);
	free(db);
}

int
track_schema_version(struct track_db *db)
{
	return db != NULL ? sqldb_version(&db->s) : -1;
}

int
track_begin(struct track_db *db, struct mm_diag *diag)
{
	return sqldb_begin(&db->s, diag);
}

int
track_commit(struct track_db *db, struct mm_diag *diag)
{
	return sqldb_commit(&db->s, diag);
}

void
track_rollback(struct track_db *db)
{
	if (db != NULL)
		sqldb_rollback(&db->s);
}

static const char *
nz(const char *s)
{
	return s != NULL ? s : "";
}

static int
check_item(const struct track_item *it, struct mm_diag *diag)
{
	int rc;

	if (it->finding_id <= 0)
		return mm_diag_set(diag, MM_EINVAL, "track: finding id %" PRId64
		    " is not a findings.db id", it->finding_id);
	if ((rc = check_text("subject", it->subject, TRACK_ADDR_MAX, 0,
	    diag)) != 0 ||
	    (rc = check_text("kind", it->kind, TRACK_ID_MAX, 0, diag)) != 0 ||
	    (rc = check_text("category", it->category, TRACK_ID_MAX, 0,
	    diag)) != 0)
		return rc;
	return 0;
}

static const char found_sql[] =
	"INSERT INTO notifications (finding_id, recipient_id, isp, category,"
	" subject_addr, kind, found, state, state_changed)"
	" VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, 'new', ?8)"
	" ON CONFLICT (finding_id, recipient_id) DO UPDATE SET"
	" found = min(found, excluded.found),"
	" isp = CASE WHEN excluded.isp <> '' THEN excluded.isp ELSE isp END,"
	" category = CASE WHEN excluded.category <> '' THEN excluded.category"
	"   ELSE category END,"
	" subject_addr = CASE WHEN excluded.subject_addr <> ''"
	"   THEN excluded.subject_addr ELSE subject_addr END,"
	" kind = CASE WHEN excluded.kind <> '' THEN excluded.kind ELSE kind END";

/* Upserts the notification row of one item with a prepared found_sql. */
static int
found_one(struct track_db *db, sqlite3_stmt *st, const char *rcpt,
    const char *isp, const struct track_item *it, mtime_t now,
    struct mm_diag *diag)
{
	const char *cat = it->category != NULL && *it->category != '\0' ?
	    it->category : nz(it->kind);
	int rc = 0;

	sqlite3_bind_int64(st, 1, it->finding_id);
	sqlite3_bind_text(st, 2, rcpt, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, nz(isp), -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, cat, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, nz(it->subject), -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 6, nz(it->kind), -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 7, it->found != 0 ? it->found : now);
	sqlite3_bind_int64(st, 8, now);
	if (sqlite3_step(st) != SQLITE_DONE)
		rc = sqldb_err(&db->s, diag, "recording a finding");
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return rc;
}

int
track_note_found(struct track_db *db, const char *recipient_id,
    const char *isp, const struct track_item *it, mtime_t now,
    struct mm_diag *diag)
{
	sqlite3_stmt *st = NULL;
	int rc;

	if (it == NULL)
		return mm_diag_set(diag, MM_EINVAL, "track: no finding");
	if ((rc = check_text("recipient id", recipient_id, TRACK_ID_MAX, 1,
	    diag)) != 0 ||
	    (rc = check_text("isp", isp, TRACK_ID_MAX, 0, diag)) != 0 ||
	    (rc = check_item(it, diag)) != 0)
		return rc;
	if ((rc = op_begin(db, diag)) != 0)
		return rc;
	if ((rc = prep(db, found_sql, &st, diag)) == 0)
		rc = found_one(db, st, recipient_id, isp, it, now, diag);
	sqlite3_finalize(st);
	return op_end(db, rc, diag);
}

static int
check_new_msg(const struct track_new_msg *m, const struct track_item *items,
    size_t nitems, struct mm_diag *diag)
{
	size_t i;
	int rc;

	if (m == NULL)
		return mm_diag_set(diag, MM_EINVAL, "track: no message");
	if ((rc = check_text("recipient id", m->recipient_id, TRACK_ID_MAX, 1,
	    diag)) != 0 ||
	    (rc = check_text("e-mail", m->email, TRACK_EMAIL_MAX, 1,
	    diag)) != 0 ||
	    (rc = check_text("isp", m->isp, TRACK_ID_MAX, 0, diag)) != 0 ||
	    (rc = check_text("report types", m->report_types, TRACK_TYPES_MAX,
	    0, diag)) != 0 ||
	    (rc = check_text("message-id", m->message_id, TRACK_MSGID_MAX, 0,
	    diag)) != 0 ||
	    (rc = check_text("outbox name", m->outbox_name, TRACK_PATH_MAX,
	    0, diag)) != 0)
		return rc;
	if (m->outbox_name != NULL && (m->body != NULL || m->len > 0))
		return mm_diag_set(diag, MM_EINVAL,
		    "track: message has both bytes and an outbox name");
	if (m->outbox_name == NULL && m->body == NULL && m->len > 0)
		return mm_diag_set(diag, MM_EINVAL, "track: no message bytes");
	if (m->outbox_name != NULL && *m->outbox_name == '\0')
		return mm_diag_set(diag, MM_EINVAL, "track: empty outbox name");
	if (m->len > TRACK_MSG_MAX)
		return mm_diag_set(diag, MM_EINVAL, "track: message of %zu "
		    "bytes, over the cap of %zu", m->len, TRACK_MSG_MAX);
	if (nitems > TRACK_ITEMS_MAX || (items == NULL && nitems > 0))
		return mm_diag_set(diag, MM_EINVAL, "track: %zu findings, over "
		    "the cap of %d", nitems, TRACK_ITEMS_MAX);
	for (i = 0; i < nitems; i++)
		if ((rc = check_item(&items[i], diag)) != 0)
			return rc;
	return 0;
}

int
track_enqueue(struct track_db *db, const struct track_new_msg *m,
    const struct track_item *items, size_t nitems, mtime_t now,
    int64_t *idp, struct mm_diag *diag)
{
	sqlite3_stmt *st = NULL, *fst = NULL, *lst = NULL;
	int64_t id;
	size_t i;
	int rc;

	if ((rc = check_new_msg(m, items, nitems, diag)) != 0)
		return rc;
	if ((rc = op_begin(db, diag)) != 0)
		return rc;
	if ((rc = prep(db, "INSERT INTO messages (recipient_id, email, isp,"
	    " report_types, created, state, attempts, next_attempt, body,"
	    " outbox_name, message_id) VALUES (?1, ?2, ?3, ?4, ?5, 'pending',"
	    " 0, ?5, ?6, ?7, ?8)", &st, diag)) != 0)
		goto out;
	sqlite3_bind_text(st, 1, m->recipient_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, m->email, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, nz(m->isp), -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, nz(m->report_types), -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 5, now);
	if (m->outbox_name != NULL) {
		sqlite3_bind_null(st, 6);
		sqlite3_bind_text(st, 7, m->outbox_name, -1, SQLITE_STATIC);
	} else {
		if (m->len == 0)
			sqlite3_bind_zeroblob(st, 6, 0);
		else
			sqlite3_bind_blob64(st, 6, m->body, m->len,
			    SQLITE_STATIC);
		sqlite3_bind_null(st, 7);
	}
	if (m->message_id != NULL)
		sqlite3_bind_text(st, 8, m->message_id, -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(st, 8);
	rc = step_done(db, st, "enqueue", diag);
	st = NULL;
	if (rc != 0)
		goto out;
	id = sqlite3_last_insert_rowid(db->s.db);

	if (nitems > 0) {
		if ((rc = prep(db, found_sql, &fst, diag)) != 0 ||
		    (rc = prep(db, "INSERT OR IGNORE INTO message_findings"
		    " (message_id, finding_id, recipient_id) VALUES"
		    " (?1, ?2, ?3)", &lst, diag)) != 0)
			goto out;
	}
	for (i = 0; i < nitems; i++) {
		if ((rc = found_one(db, fst, m->recipient_id, m->isp,
		    &items[i], now, diag)) != 0)
			goto out;
		sqlite3_bind_int64(lst, 1, id);
		sqlite3_bind_int64(lst, 2, items[i].finding_id);
		sqlite3_bind_text(lst, 3, m->recipient_id, -1, SQLITE_STATIC);
		if (sqlite3_step(lst) != SQLITE_DONE) {
			rc = sqldb_err(&db->s, diag, "linking a finding");
			goto out;
		}
		sqlite3_reset(lst);
	}
	if (idp != NULL)
		*idp = id;
 out:
	sqlite3_finalize(st);
	sqlite3_finalize(fst);
	sqlite3_finalize(lst);
	return op_end(db, rc, diag);
}

static char *
col_strdup(sqlite3_stmt *st, int i, int *oom)
{
	const unsigned char *s;
	char *d;

	if (sqlite3_column_type(st, i) == SQLITE_NULL)
		return NULL;
	s = sqlite3_column_text(st, i);
	if (s == NULL || (d = strdup((const char *)s)) == NULL) {
		*oom = 1;
		return NULL;
	}
	return d;
}

void
track_msg_free(struct track_msg *m)
{
	if (m == NULL)
		return;
	free(m->recipient_id);
	free(m->email);
	free(m->isp);
	free(m->report_types);
	free(m->message_id);
	free(m->outbox_name);
	free(m->body);
	free(m->last_error);
	memset(m, 0, sizeof(*m));
}

void
track_msgs_free(struct track_msg *msgs, size_t n)
{
	size_t i;

	if (msgs == NULL)
		return;
	for (i = 0; i < n; i++)
		track_msg_free(&msgs[i]);
	free(msgs);
}

/* Fills `m` (owned) from a row in MSG_COLS order. */
static int
msg_fill(sqlite3_stmt *st, struct track_msg *m)
{
	const void *b;
	int oom = 0, n;

	memset(m, 0, sizeof(*m));
	m->id = sqlite3_column_int64(st, 0);
	m->recipient_id = col_strdup(st, 1, &oom);
	m->email = col_strdup(st, 2, &oom);
	m->isp = col_strdup(st, 3, &oom);
	m->report_types = col_strdup(st, 4, &oom);
	m->message_id = col_strdup(st, 5, &oom);
	m->outbox_name = col_strdup(st, 6, &oom);
	if (sqlite3_column_type(st, 7) != SQLITE_NULL) {
		b = sqlite3_column_blob(st, 7);
		n = sqlite3_column_bytes(st, 7);
		if ((m->body = malloc(n > 0 ? (size_t)n : 1)) == NULL)
			oom = 1;
		else if (n > 0) {
			memcpy(m->body, b, (size_t)n);
			m->len = (size_t)n;
		}
	}
	m->state = (enum track_msg_state)name_index(msg_state_names, 3,
	    sqlite3_column_text(st, 8));
	m->attempts = sqlite3_column_int(st, 9);
	m->created = sqlite3_column_int64(st, 10);
	m->next_attempt = sqlite3_column_int64(st, 11);
	m->sent = sqlite3_column_int64(st, 12);
	m->last_error = col_strdup(st, 13, &oom);
	if (oom || m->recipient_id == NULL || m->email == NULL ||
	    m->isp == NULL || m->report_types == NULL) {
		track_msg_free(m);
		return MM_ENOMEM;
	}
	return 0;
}

int
track_msg_get(struct track_db *db, int64_t id, struct track_msg *m,
    struct mm_diag *diag)
{
	sqlite3_stmt *st = NULL;
	int rc, src;

	memset(m, 0, sizeof(*m));
	if ((rc = prep(db, "SELECT " MSG_COLS " FROM messages WHERE id = ?1",
	    &st, diag)) != 0)
		return rc;
	sqlite3_bind_int64(st, 1, id);
	src = sqlite3_step(st);
	if (src == SQLITE_ROW) {
		if ((rc = msg_fill(st, m)) != 0)
			mm_diag_set(diag, rc, "track: out of memory");
	} else if (src == SQLITE_DONE)
		rc = mm_diag_set(diag, MM_ENOENT, "%s: no message %" PRId64,
		    db->s.path, id);
	else
		rc = sqldb_err(&db->s, diag, "reading a message");
	sqlite3_finalize(st);
	return rc;
}

static const char pick_sql[] =
	"WITH busy (recipient_id, c) AS ("
	"  SELECT recipient_id, count(*) FROM ("
	"    SELECT recipient_id FROM messages"
	"     WHERE state = 'sent' AND sent > ?2"
	"    UNION ALL"
	"    SELECT recipient_id FROM messages"
	"     WHERE state = 'pending' AND lease_until > ?1)"
	"  GROUP BY recipient_id),"
	" due AS ("
	"  SELECT id, recipient_id, next_attempt, row_number() OVER"
	"   (PARTITION BY recipient_id ORDER BY next_attempt, id) AS rn"
	"  FROM messages WHERE state = 'pending' AND next_attempt <= ?1)"
	" SELECT due.id FROM due LEFT JOIN busy USING (recipient_id)"
	" WHERE due.rn + coalesce(busy.c, 0) <= ?3"
	" ORDER BY due.next_attempt, due.id LIMIT ?4";

int
track_pick_due(struct track_db *db, mtime_t now, size_t max,
    struct track_msg **msgsp, size_t *np, struct mm_diag *diag)
{
	sqlite3_stmt *st = NULL, *up = NULL, *get = NULL;
	struct track_msg *msgs = NULL;
	int64_t *ids = NULL;
	size_t n = 0, i;
	int rc, src = SQLITE_DONE;

	*msgsp = NULL;
	*np = 0;
	if (max == 0 || max > TRACK_PICK_MAX)
		return mm_diag_set(diag, MM_EINVAL, "track: pick 1..%d "
		    "messages, not %zu", TRACK_PICK_MAX, max);
	if ((ids = calloc(max, sizeof(*ids))) == NULL)
		return mm_diag_set(diag, MM_ENOMEM, "track: out of memory");
	if ((rc = op_begin(db, diag)) != 0) {
		free(ids);
		return rc;
	}
	if ((rc = prep(db, pick_sql, &st, diag)) != 0)
		goto out;
	sqlite3_bind_int64(st, 1, now);
	sqlite3_bind_int64(st, 2, now - db->pol.rate_window);
	sqlite3_bind_int(st, 3, db->pol.rate_max);
	sqlite3_bind_int64(st, 4, (int64_t)max);
	while (n < max && (src = sqlite3_step(st)) == SQLITE_ROW)
		ids[n++] = sqlite3_column_int64(st, 0);
	if (n < max && src != SQLITE_DONE) {
		rc = sqldb_err(&db->s, diag, "picking due messages");
		goto out;
	}
	if (n == 0)
		goto out;
	if ((msgs = calloc(n, sizeof(*msgs))) == NULL) {
		rc = mm_diag_set(diag, MM_ENOMEM, "track: out of memory");
		goto out;
	}
	if ((rc = prep(db, "UPDATE messages SET next_attempt = ?2,"
	    " lease_until = ?2 WHERE id = ?1", &up, diag)) != 0 ||
	    (rc = prep(db, "SELECT " MSG_COLS " FROM messages WHERE id = ?1",
	    &get, diag)) != 0)
		goto out;
	for (i = 0; i < n; i++) {
		sqlite3_bind_int64(up, 1, ids[i]);
		sqlite3_bind_int64(up, 2, now + db->pol.lease);
		if (sqlite3_step(up) != SQLITE_DONE) {
			rc = sqldb_err(&db->s, diag, "leasing a message");
			goto out;
		}
		sqlite3_reset(up);
		sqlite3_bind_int64(get, 1, ids[i]);
		if (sqlite3_step(get) != SQLITE_ROW) {
			rc = sqldb_err(&db->s, diag, "reading a message");
			goto out;
		}
		if ((rc = msg_fill(get, &msgs[i])) != 0) {
			mm_diag_set(diag, rc, "track: out of memory");
			goto out;
		}
		sqlite3_reset(get);
	}
 out:
	sqlite3_finalize(st);
	sqlite3_finalize(up);
	sqlite3_finalize(get);
	free(ids);
	rc = op_end(db, rc, diag);
	if (rc != 0) {
		track_msgs_free(msgs, n);
		return rc;
	}
	*msgsp = msgs;
	*np = n;
	return 0;
}

/* Reads state and attempts of message `id` inside an operation. */
static int
msg_state(struct track_db *db, int64_t id, enum track_msg_state *state,
    int *attempts, struct mm_diag *diag)
{
	sqlite3_stmt *st = NULL;
	int rc, src;

	if ((rc = prep(db, "SELECT state, attempts FROM messages WHERE"
	    " id = ?1", &st, diag)) != 0)
		return rc;
	sqlite3_bind_int64(st, 1, id);
	src = sqlite3_step(st);
	if (src == SQLITE_ROW) {
		*state = (enum track_msg_state)name_index(msg_state_names, 3,
		    sqlite3_column_text(st, 0));
		*attempts = sqlite3_column_int(st, 1);
	} else if (src == SQLITE_DONE)
		rc = mm_diag_set(diag, MM_ENOENT, "%s: no message %" PRId64,
		    db->s.path, id);
	else
		rc = sqldb_err(&db->s, diag, "reading a message");
	sqlite3_finalize(st);
	return rc;
}

int
track_mark_sent(struct track_db *db, int64_t id, mtime_t now,
    struct mm_diag *diag)
{
	enum track_msg_state state;
	sqlite3_stmt *st = NULL;
	int rc, attempts;

	if ((rc = op_begin(db, diag)) != 0)
		return rc;
	if ((rc = msg_state(db, id, &state, &attempts, diag)) != 0)
		goto out;
	if (state == TRACK_MSG_SENT)
		goto out;			/* idempotent */
	if (state != TRACK_MSG_PENDING) {
		rc = mm_diag_set(diag, MM_EINVAL, "%s: message %" PRId64
		    " is %s, not pending", db->s.path, id,
		    track_msg_state_name(state));
		goto out;
	}
	if ((rc = prep(db, "UPDATE messages SET state = 'sent', sent = ?2,"
	    " lease_until = NULL, last_error = NULL WHERE id = ?1", &st,
	    diag)) != 0)
		goto out;
	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_int64(st, 2, now);
	if ((rc = step_done(db, st, "marking sent", diag)) != 0)
		goto out;
	if ((rc = prep(db, "UPDATE notifications SET"
	    " state_changed = CASE WHEN state IN ('new', 'remediated')"
	    "   THEN ?2 ELSE state_changed END,"
	    " state = 'notified', message_id = ?1,"
	    " notified = coalesce(notified, ?2), last_notified = ?2"
	    " WHERE EXISTS (SELECT 1 FROM message_findings mf"
	    "  WHERE mf.message_id = ?1"
	    "  AND mf.finding_id = notifications.finding_id"
	    "  AND mf.recipient_id = notifications.recipient_id)", &st,
	    diag)) != 0)
		goto out;
	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_int64(st, 2, now);
	rc = step_done(db, st, "marking findings notified", diag);
 out:
	return op_end(db, rc, diag);
}

/* Delay before retry number `attempts` (>= 1): base * 2^(attempts-1),
 * saturating at cap. */
static mtime_t
backoff(const struct track_policy *p, int attempts)
{
	mtime_t d = p->backoff_base;
	int i;

	for (i = 1; i < attempts && d < p->backoff_cap; i++)
		d = d > p->backoff_cap / 2 ? p->backoff_cap : d * 2;
	return d < p->backoff_cap ? d : p->backoff_cap;
}

static int
mark_fail(struct track_db *db, int64_t id, const char *error, mtime_t now,
    int permanent, enum track_msg_state *statep, struct mm_diag *diag)
{
	enum track_msg_state state;
	sqlite3_stmt *st = NULL;
	int rc, attempts;
	size_t elen;

	if ((rc = op_begin(db, diag)) != 0)
		return rc;
	if ((rc = msg_state(db, id, &state, &attempts, diag)) != 0)
		goto out;
	if (state != TRACK_MSG_PENDING) {
		rc = mm_diag_set(diag, MM_EINVAL, "%s: message %" PRId64
		    " is %s, not pending", db->s.path, id,
		    track_msg_state_name(state));
		goto out;
	}
	if (attempts < INT32_MAX)
		attempts++;
	if (permanent || attempts >= db->pol.max_attempts)
		state = TRACK_MSG_FAILED;
	if ((rc = prep(db, "UPDATE messages SET state = ?2, attempts = ?3,"
	    " next_attempt = ?4, lease_until = NULL, last_error = ?5"
	    " WHERE id = ?1", &st, diag)) != 0)
		goto out;
	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_text(st, 2, track_msg_state_name(state), -1,
	    SQLITE_STATIC);
	sqlite3_bind_int(st, 3, attempts);
	sqlite3_bind_int64(st, 4, state == TRACK_MSG_PENDING ?
	    now + backoff(&db->pol, attempts) : now);
	if (error != NULL) {
		elen = strlen(error);
		sqlite3_bind_text(st, 5, error, elen > TRACK_ERROR_MAX ?
		    TRACK_ERROR_MAX : (int)elen, SQLITE_STATIC);
	} else
		sqlite3_bind_null(st, 5);
	rc = step_done(db, st, "recording a failure", diag);
	if (rc == 0 && statep != NULL)
		*statep = state;
 out:
	return op_end(db, rc, diag);
}

int
track_mark_transient(struct track_db *db, int64_t id, const char *error,
    mtime_t now, enum track_msg_state *state, struct mm_diag *diag)
{
	return mark_fail(db, id, error, now, 0, state, diag);
}

int
track_mark_failed(struct track_db *db, int64_t id, const char *error,
    mtime_t now, struct mm_diag *diag)
{
	return mark_fail(db, id, error, now, 1, NULL, diag);
}

static const char dup_sql[] =
	"SELECT EXISTS (SELECT 1 FROM notifications n"
	"   JOIN message_findings mf ON mf.finding_id = n.finding_id"
	"    AND mf.recipient_id = n.recipient_id"
	"   JOIN messages m ON m.id = mf.message_id"
	"  WHERE n.recipient_id = ?1"
	"   AND (n.finding_id = ?2 OR (?3 <> '' AND n.subject_addr = ?3"
	"    AND n.kind = ?4))"
	"   AND m.state = 'pending')"
	" OR EXISTS (SELECT 1 FROM notifications n"
	"  WHERE n.recipient_id = ?1"
	"   AND (n.finding_id = ?2 OR (?3 <> '' AND n.subject_addr = ?3"
	"    AND n.kind = ?4))"
	"   AND n.state IN ('notified', 'persisting')"
	"   AND n.last_notified >= ?5 AND n.last_notified >= ?6"
	"   AND n.state_changed <= n.last_notified)";

int
track_is_duplicate(struct track_db *db, const char *recipient_id,
    const struct track_item *it, mtime_t interval, mtime_t changed,
    mtime_t now, int *dup, struct mm_diag *diag)
{
	sqlite3_stmt *st = NULL;
	int rc;

	*dup = 0;
	if (it == NULL || interval < 0)
		return mm_diag_set(diag, MM_EINVAL, "track: bad argument");
	if ((rc = check_text("recipient id", recipient_id, TRACK_ID_MAX, 1,
	    diag)) != 0 || (rc = check_text("subject", it->subject,
	    TRACK_ADDR_MAX, 0, diag)) != 0 || (rc = check_text("kind",
	    it->kind, TRACK_ID_MAX, 0, diag)) != 0)
		return rc;
	if ((rc = prep(db, dup_sql, &st, diag)) != 0)
		return rc;
	sqlite3_bind_text(st, 1, recipient_id, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, it->finding_id);
	sqlite3_bind_text(st, 3, nz(it->subject), -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, nz(it->kind), -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 5, interval > now ? INT64_MIN :
	    now - interval);
	sqlite3_bind_int64(st, 6, changed);
	if (sqlite3_step(st) != SQLITE_ROW)
		rc = sqldb_err(&db->s, diag, "de-duplication query");
	else
		*dup = sqlite3_column_int(st, 0) != 0;
	sqlite3_finalize(st);
	return rc;
}

int
track_recheck(struct track_db *db, int64_t finding_id,
    const char *recipient_id, int remediated, mtime_t now, size_t *updated,
    struct mm_diag *diag)
{
	sqlite3_stmt *st = NULL;
	int rc;

	if (updated != NULL)
		*updated = 0;
	if (finding_id <= 0)
		return mm_diag_set(diag, MM_EINVAL, "track: bad finding id");
	if (recipient_id != NULL && (rc = check_text("recipient id",
	    recipient_id, TRACK_ID_MAX, 1, diag)) != 0)
		return rc;
	if ((rc = op_begin(db, diag)) != 0)
		return rc;
	/* the month's persisting figure counts this recheck for good */
	if (!remediated) {
		if ((rc = prep(db, "INSERT OR IGNORE INTO persisting_months"
		    " (notification_id, month, at) SELECT id,"
		    " strftime('%Y-%m', ?3 / 1000, 'unixepoch'), ?3"
		    " FROM notifications WHERE finding_id = ?1"
		    " AND (?2 IS NULL OR recipient_id = ?2)"
		    " AND state IN ('notified', 'persisting', 'remediated')",
		    &st, diag)) != 0)
			goto out;
		sqlite3_bind_int64(st, 1, finding_id);
		if (recipient_id != NULL)
			sqlite3_bind_text(st, 2, recipient_id, -1,
			    SQLITE_STATIC);
		else
			sqlite3_bind_null(st, 2);
		sqlite3_bind_int64(st, 3, now);
		if ((rc = step_done(db, st, "recording a persisting recheck",
		    diag)) != 0)
			goto out;
	}
	if ((rc = prep(db, "UPDATE notifications SET"
	    " state_changed = CASE"
	    "   WHEN ?3 AND state <> 'remediated' THEN ?4"
	    "   WHEN NOT ?3 AND state = 'remediated' THEN ?4"
	    "   ELSE state_changed END,"
	    " remediated = CASE WHEN ?3 THEN"
	    "   CASE WHEN state = 'remediated' THEN remediated ELSE ?4 END"
	    "   ELSE NULL END,"
	    " state = CASE WHEN ?3 THEN 'remediated' ELSE 'persisting' END,"
	    " last_recheck = ?4"
	    " WHERE finding_id = ?1 AND (?2 IS NULL OR recipient_id = ?2)"
	    " AND state IN ('notified', 'persisting', 'remediated')", &st,
	    diag)) != 0)
		goto out;
	sqlite3_bind_int64(st, 1, finding_id);
	if (recipient_id != NULL)
		sqlite3_bind_text(st, 2, recipient_id, -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(st, 2);
	sqlite3_bind_int(st, 3, remediated != 0);
	sqlite3_bind_int64(st, 4, now);
	if ((rc = step_done(db, st, "recording a recheck", diag)) == 0 &&
	    updated != NULL)
		*updated = (size_t)sqlite3_changes(db->s.db);
 out:
	return op_end(db, rc, diag);
}

static void
copy_col(char *dst, size_t len, sqlite3_stmt *st, int i)
{
	const unsigned char *s = sqlite3_column_text(st, i);

	snprintf(dst, len, "%s", s != NULL ? (const char *)s : "");
}

int
track_recheck_list(struct track_db *db, mtime_t before, size_t max,
    struct track_recheck_item **itemsp, size_t *np, struct mm_diag *diag)
{
	struct track_recheck_item *items = NULL, *it;
	sqlite3_stmt *st = NULL;
	size_t n = 0;
	int rc, src = SQLITE_DONE;

	*itemsp = NULL;
	*np = 0;
	if (max == 0 || max > TRACK_PICK_MAX)
		return mm_diag_set(diag, MM_EINVAL, "track: list 1..%d "
		    "findings, not %zu", TRACK_PICK_MAX, max);
	if ((rc = prep(db, "SELECT finding_id, recipient_id, subject_addr,"
	    " kind, state, last_notified, coalesce(last_recheck, 0)"
	    " FROM notifications WHERE state IN ('notified', 'persisting')"
	    " AND coalesce(last_recheck, last_notified) < ?1"
	    " ORDER BY coalesce(last_recheck, last_notified), id LIMIT ?2",
	    &st, diag)) != 0)
		return rc;
	sqlite3_bind_int64(st, 1, before);
	sqlite3_bind_int64(st, 2, (int64_t)max);
	if ((items = calloc(max, sizeof(*items))) == NULL) {
		rc = mm_diag_set(diag, MM_ENOMEM, "track: out of memory");
		goto out;
	}
	while (n < max && (src = sqlite3_step(st)) == SQLITE_ROW) {
		it = &items[n++];
		it->finding_id = sqlite3_column_int64(st, 0);
		copy_col(it->recipient_id, sizeof(it->recipient_id), st, 1);
		copy_col(it->subject, sizeof(it->subject), st, 2);
		copy_col(it->kind, sizeof(it->kind), st, 3);
		it->state = (enum track_state)name_index(state_names, 4,
		    sqlite3_column_text(st, 4));
		it->last_notified = sqlite3_column_int64(st, 5);
		it->last_recheck = sqlite3_column_int64(st, 6);
	}
	if (n < max && src != SQLITE_DONE)
		rc = sqldb_err(&db->s, diag, "listing rechecks");
 out:
	sqlite3_finalize(st);
	if (rc != 0 || n == 0) {
		free(items);
		return rc;
	}
	*itemsp = items;
	*np = n;
	return 0;
}

static const char monthly_sql[] =
	"SELECT ym, isp, category, sum(f), sum(nn), sum(r), sum(p) FROM ("
	" SELECT strftime('%Y-%m', found / 1000, 'unixepoch') AS ym, isp,"
	"  category, 1 AS f, 0 AS nn, 0 AS r, 0 AS p FROM notifications"
	"  WHERE found >= ?1 AND found < ?2"
	" UNION ALL"
	" SELECT strftime('%Y-%m', notified / 1000, 'unixepoch'), isp,"
	"  category, 0, 1, 0, 0 FROM notifications"
	"  WHERE notified >= ?1 AND notified < ?2"
	" UNION ALL"
	" SELECT strftime('%Y-%m', remediated / 1000, 'unixepoch'), isp,"
	"  category, 0, 0, 1, 0 FROM notifications"
	"  WHERE remediated >= ?1 AND remediated < ?2"
	" UNION ALL"
	" SELECT pm.month, n.isp, n.category, 0, 0, 0, 1"
	"  FROM persisting_months pm"
	"  JOIN notifications n ON n.id = pm.notification_id"
	"  WHERE pm.at >= ?1 AND pm.at < ?2)"
	" GROUP BY ym, isp, category ORDER BY ym, isp, category";

int
track_monthly(struct track_db *db, int y0, int m0, int y1, int m1,
    struct track_month_row **rowsp, size_t *np, struct mm_diag *diag)
{
	struct track_month_row *rows = NULL, *t, *r;
	sqlite3_stmt *st = NULL;
	const unsigned char *ym;
	size_t n = 0, cap = 0;
	int64_t lo, hi, span;
	int rc, src, y, m;

	*rowsp = NULL;
	*np = 0;
	if (m0 < 1 || m0 > 12 || m1 < 1 || m1 > 12 || y0 < 1970 ||
	    y1 > 9999 || y1 < y0)
		return mm_diag_set(diag, MM_EINVAL, "track: bad month range");
	span = ((int64_t)y1 * 12 + m1) - ((int64_t)y0 * 12 + m0) + 1;
	if (span < 1 || span > TRACK_MONTHS_MAX)
		return mm_diag_set(diag, MM_EINVAL, "track: month range of "
		    "%" PRId64 " months (1..%d)", span, TRACK_MONTHS_MAX);
	lo = mtime_days_from_civil(y0, (unsigned)m0, 1) * 86400000;
	hi = (m1 == 12 ? mtime_days_from_civil(y1 + 1, 1, 1) :
	    mtime_days_from_civil(y1, (unsigned)m1 + 1, 1)) * 86400000;
	if ((rc = prep(db, monthly_sql, &st, diag)) != 0)
		return rc;
	sqlite3_bind_int64(st, 1, lo);
	sqlite3_bind_int64(st, 2, hi);
	while ((src = sqlite3_step(st)) == SQLITE_ROW) {
		ym = sqlite3_column_text(st, 0);
		if (ym == NULL || sscanf((const char *)ym, "%d-%d", &y,
		    &m) != 2)
			continue;
		if (n == MONTH_ROWS_MAX) {
			rc = mm_diag_set(diag, MM_ELIMIT, "track: more than %d "
			    "rows of figures", MONTH_ROWS_MAX);
			goto out;
		}
		if (n == cap) {
			cap = cap ? cap * 2 : 32;
			if ((t = realloc(rows, cap * sizeof(*rows))) == NULL) {
				rc = mm_diag_set(diag, MM_ENOMEM,
				    "track: out of memory");
				goto out;
			}
			rows = t;
		}
		r = &rows[n++];
		memset(r, 0, sizeof(*r));
		r->year = y;
		r->month = m;
		copy_col(r->isp, sizeof(r->isp), st, 1);
		copy_col(r->category, sizeof(r->category), st, 2);
		r->found = sqlite3_column_int64(st, 3);
		r->notified = sqlite3_column_int64(st, 4);
		r->remediated = sqlite3_column_int64(st, 5);
		r->persisting = sqlite3_column_int64(st, 6);
	}
	if (src != SQLITE_DONE)
		rc = sqldb_err(&db->s, diag, "monthly figures");
 out:
	sqlite3_finalize(st);
	if (rc != 0 || n == 0) {
		free(rows);
		return rc;
	}
	*rowsp = rows;
	*np = n;
	return 0;
}

int
track_counts(struct track_db *db, mtime_t now, struct track_counts *c,
    struct mm_diag *diag)
{
	sqlite3_stmt *st = NULL;
	const unsigned char *s;
	int64_t v;
	int rc, src;

	memset(c, 0, sizeof(*c));
	if ((rc = prep(db, "SELECT state, count(*), min(created),"
	    " sum(next_attempt <= ?1) FROM messages GROUP BY state", &st,
	    diag)) != 0)
		return rc;
	sqlite3_bind_int64(st, 1, now);
	while ((src = sqlite3_step(st)) == SQLITE_ROW) {
		s = sqlite3_column_text(st, 0);
		v = sqlite3_column_int64(st, 1);
		if (s == NULL)
			continue;
		if (strcmp((const char *)s, "pending") == 0) {
			c->pending = v;
			c->oldest_pending = sqlite3_column_int64(st, 2);
			c->due = sqlite3_column_int64(st, 3);
		} else if (strcmp((const char *)s, "sent") == 0)
			c->sent = v;
		else if (strcmp((const char *)s, "failed") == 0)
			c->failed = v;
	}
	sqlite3_finalize(st);
	if (src != SQLITE_DONE)
		return sqldb_err(&db->s, diag, "counting messages");
	if ((rc = prep(db, "SELECT state, count(*) FROM notifications"
	    " GROUP BY state", &st, diag)) != 0)
		return rc;
	while ((src = sqlite3_step(st)) == SQLITE_ROW) {
		v = sqlite3_column_int64(st, 1);
		switch (name_index(state_names, 4,
		    sqlite3_column_text(st, 0))) {
		case TRACK_NEW:
			c->st_new = v;
			break;
		case TRACK_NOTIFIED:
			c->st_notified = v;
			break;
		case TRACK_REMEDIATED:
			c->st_remediated = v;
			break;
		default:
			c->st_persisting = v;
			break;
		}
	}
	sqlite3_finalize(st);
	if (src != SQLITE_DONE)
		return sqldb_err(&db->s, diag, "counting notifications");
	return 0;
}

int
track_msg_findings(struct track_db *db, int64_t msg_id, int64_t **idsp,
    size_t *np, struct mm_diag *diag)
{
	sqlite3_stmt *st = NULL;
	int64_t *v = NULL, *t;
	size_t n = 0, cap = 0;
	int rc, src, found = 0;

	*idsp = NULL;
	*np = 0;
	/* one statement, one snapshot: no row = no such message, a NULL
	 * finding id (sorted first) = a message that covers nothing */
	if ((rc = prep(db, "SELECT mf.finding_id FROM messages m"
	    " LEFT JOIN message_findings mf ON mf.message_id = m.id"
	    " WHERE m.id = ?1 ORDER BY mf.finding_id", &st, diag)) != 0)
		return rc;
	sqlite3_bind_int64(st, 1, msg_id);
	while ((src = sqlite3_step(st)) == SQLITE_ROW) {
		found = 1;
		if (sqlite3_column_type(st, 0) == SQLITE_NULL)
			continue;
		if (n == TRACK_ITEMS_MAX) {
			rc = mm_diag_set(diag, MM_ELIMIT, "%s: message %"
			    PRId64 " covers more than %d findings", db->s.path,
			    msg_id, TRACK_ITEMS_MAX);
			goto out;
		}
		if (n == cap) {
			cap = cap ? cap * 2 : 64;
			if ((t = realloc(v, cap * sizeof(*v))) == NULL) {
				rc = mm_diag_set(diag, MM_ENOMEM,
				    "track: out of memory");
				goto out;
			}
			v = t;
		}
		v[n++] = sqlite3_column_int64(st, 0);
	}
	if (src != SQLITE_DONE)
		rc = sqldb_err(&db->s, diag, "reading a message's findings");
	else if (!found)
		rc = mm_diag_set(diag, MM_ENOENT, "%s: no message %" PRId64,
		    db->s.path, msg_id);
 out:
	sqlite3_finalize(st);
	if (rc != 0 || n == 0) {
		free(v);
		return rc;
	}
	*idsp = v;
	*np = n;
	return 0;
}

int
track_msg_list(struct track_db *db, int state, size_t max,
    struct track_msg_row **rowsp, size_t *np, struct mm_diag *diag)
{
	struct track_msg_row *rows = NULL, *t, *r;
	sqlite3_stmt *st = NULL;
	size_t n = 0, cap = 0;
	int rc, src = SQLITE_DONE;

	*rowsp = NULL;
	*np = 0;
	if (max == 0 || max > TRACK_PICK_MAX)
		return mm_diag_set(diag, MM_EINVAL, "track: list 1..%d "
		    "messages, not %zu", TRACK_PICK_MAX, max);
	if (state < -1 || state > TRACK_MSG_FAILED)
		return mm_diag_set(diag, MM_EINVAL, "track: no message state "
		    "%d", state);
	if ((rc = prep(db, "SELECT m.id, m.state, m.attempts, m.created,"
	    " m.next_attempt, coalesce(m.sent, 0), m.recipient_id, m.email,"
	    " m.isp, m.report_types, coalesce(m.message_id, ''),"
	    " coalesce(m.last_error, ''), (SELECT count(*) FROM"
	    " message_findings mf WHERE mf.message_id = m.id)"
	    " FROM messages m WHERE ?1 IS NULL OR m.state = ?1"
	    " ORDER BY m.id DESC LIMIT ?2", &st, diag)) != 0)
		return rc;
	if (state >= 0)
		sqlite3_bind_text(st, 1, msg_state_names[state], -1,
		    SQLITE_STATIC);
	else
		sqlite3_bind_null(st, 1);
	sqlite3_bind_int64(st, 2, (int64_t)max);
	while (n < max && (src = sqlite3_step(st)) == SQLITE_ROW) {
		if (n == cap) {
			cap = cap ? cap * 2 : 32;
			if (cap > max)
				cap = max;
			if ((t = realloc(rows, cap * sizeof(*rows))) == NULL) {
				rc = mm_diag_set(diag, MM_ENOMEM,
				    "track: out of memory");
				goto out;
			}
			rows = t;
		}
		r = &rows[n++];
		memset(r, 0, sizeof(*r));
		r->id = sqlite3_column_int64(st, 0);
		r->state = (enum track_msg_state)name_index(msg_state_names, 3,
		    sqlite3_column_text(st, 1));
		r->attempts = sqlite3_column_int(st, 2);
		r->created = sqlite3_column_int64(st, 3);
		r->next_attempt = sqlite3_column_int64(st, 4);
		r->sent = sqlite3_column_int64(st, 5);
		copy_col(r->recipient_id, sizeof(r->recipient_id), st, 6);
		copy_col(r->email, sizeof(r->email), st, 7);
		copy_col(r->isp, sizeof(r->isp), st, 8);
		copy_col(r->report_types, sizeof(r->report_types), st, 9);
		copy_col(r->message_id, sizeof(r->message_id), st, 10);
		copy_col(r->last_error, sizeof(r->last_error), st, 11);
		r->findings = (size_t)sqlite3_column_int64(st, 12);
	}
	if (n < max && src != SQLITE_DONE)
		rc = sqldb_err(&db->s, diag, "listing messages");
 out:
	sqlite3_finalize(st);
	if (rc != 0 || n == 0) {
		free(rows);
		return rc;
	}
	*rowsp = rows;
	*np = n;
	return 0;
}

int
track_retry_now(struct track_db *db, mtime_t now, struct mm_diag *diag)
{
	sqlite3_stmt *st = NULL;
	int rc;

	if ((rc = op_begin(db, diag)) != 0)
		return rc;
	if ((rc = prep(db, "UPDATE messages SET next_attempt = ?1"
	    " WHERE state = 'pending' AND next_attempt > ?1"
	    " AND (lease_until IS NULL OR lease_until <= ?1)", &st,
	    diag)) == 0) {
		sqlite3_bind_int64(st, 1, now);
		rc = step_done(db, st, "retrying messages now", diag);
	}
	return op_end(db, rc, diag);
}
