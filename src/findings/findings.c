/*
 * findings.c - the findings store on SQLite; see findings.h for the model.
 *
 * Approach. The natural key is a UNIQUE constraint, so findings_upsert() is
 * one INSERT ... ON CONFLICT DO UPDATE statement (SQLite >= 3.24) prepared
 * once per handle and reused; whether the row was new is told by
 * sqlite3_last_insert_rowid(), which an upsert's DO UPDATE branch leaves
 * alone (we reset it to 0 first). Severity is stored as its integer rank so
 * "at least medium" is a plain comparison; status as its name so the file is
 * readable with the sqlite3 shell. The subject is stored twice: canonical
 * text (addr_fmt) for people and a 32-digit lowercase hex of the 16 bytes
 * (subject_key) whose string order is address order, so a prefix filter is
 * the index range [masked, masked | hostmask].
 *
 * Migrations are an array of SQL scripts; migration i takes user_version i
 * to i+1, all inside one IMMEDIATE transaction so two processes opening a
 * fresh database cannot both create the schema.
 *
 * Bounds: every string has a cap (findings.h); evidence is parsed by jansson
 * and re-emitted compact. A query's SQL is built from fixed fragments only;
 * every user value is a bound parameter.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include <jansson.h>
#include <sqlite3.h>

#include "findings/findings.h"
#include "findings/sqldb.h"


struct findings_db {
	struct sqldb	 s;		/* connection, path, batch */
	sqlite3_stmt	*upsert;
	sqlite3_stmt	*get;
	sqlite3_stmt	*setstatus;
};

/* sqldb_check_text() naming this module. */
static int
check_text(const char *what, const char *s, size_t cap, int required,
    struct mm_diag *diag)
{
	return sqldb_check_text("finding", what, s, cap, required, diag);
}

static const char *const migrations[] = {
	/* 0 -> 1: initial schema */
	"CREATE TABLE findings ("
	"  id            INTEGER PRIMARY KEY,"
	"  kind          TEXT NOT NULL,"
	"  detector      TEXT NOT NULL,"
	"  subject_addr  TEXT NOT NULL,"
	"  subject_key   TEXT NOT NULL,"
	"  subject_port  INTEGER NOT NULL DEFAULT 0,"
	"  subject_proto INTEGER NOT NULL DEFAULT 0,"
	"  dedup_extra   TEXT NOT NULL DEFAULT '',"
	"  first_seen    INTEGER NOT NULL,"
	"  last_seen     INTEGER NOT NULL,"
	"  count         INTEGER NOT NULL DEFAULT 1,"
	"  score         REAL NOT NULL DEFAULT 0,"
	"  severity      INTEGER NOT NULL DEFAULT 0"
	"                CHECK (severity BETWEEN 0 AND 4),"
	"  summary       TEXT NOT NULL DEFAULT '',"
	"  evidence      TEXT CHECK (evidence IS NULL OR json_valid(evidence)),"
	"  status        TEXT NOT NULL DEFAULT 'open' CHECK (status IN"
	"                ('open','notified','remediated','false-positive',"
	"                'closed')),"
	"  status_note   TEXT,"
	"  created       INTEGER NOT NULL,"
	"  updated       INTEGER NOT NULL,"
	"  UNIQUE (kind, detector, subject_addr, subject_port, subject_proto,"
	"          dedup_extra)"
	");"
	"CREATE INDEX findings_last_seen ON findings (last_seen);"
	"CREATE INDEX findings_subject ON findings (subject_key);"
	"CREATE INDEX findings_kind_status ON findings (kind, status);"
	"CREATE INDEX findings_severity ON findings (severity, score);",
};
#define NMIGRATIONS	(sizeof(migrations) / sizeof(migrations[0]))

static const char *const sev_names[] = {
	"info", "low", "medium", "high", "critical"
};
static const char *const status_names[] = {
	"open", "notified", "remediated", "false-positive", "closed"
};

/* Columns read by get and query, in this order (see row_fill). */
#define COLS "id, kind, detector, subject_addr, subject_port, subject_proto," \
	" dedup_extra, first_seen, last_seen, count, score, severity, summary," \
	" evidence, status, status_note, created, updated"

const char *
findings_severity_name(enum finding_severity s)
{
	if ((unsigned)s > SEV_CRITICAL)
		return "unknown";
	return sev_names[s];
}

const char *
findings_status_name(enum finding_status s)
{
	if ((unsigned)s > FST_CLOSED)
		return "unknown";
	return status_names[s];
}

int
findings_severity_parse(const char *s, enum finding_severity *sev)
{
	unsigned i;

	if (s == NULL)
		return MM_ESYNTAX;
	for (i = 0; i <= SEV_CRITICAL; i++)
		if (strcasecmp(s, sev_names[i]) == 0) {
			*sev = (enum finding_severity)i;
			return 0;
		}
	return MM_ESYNTAX;
}

int
findings_status_parse(const char *s, enum finding_status *st)
{
	unsigned i;

	if (s == NULL)
		return MM_ESYNTAX;
	for (i = 0; i <= FST_CLOSED; i++)
		if (strcasecmp(s, status_names[i]) == 0) {
			*st = (enum finding_status)i;
			return 0;
		}
	if (strcasecmp(s, "fp") == 0 || strcasecmp(s, "false_positive") == 0) {
		*st = FST_FALSE_POSITIVE;
		return 0;
	}
	return MM_ESYNTAX;
}

void
findings_filter_init(struct findings_filter *flt)
{
	memset(flt, 0, sizeof(*flt));
	flt->status = -1;
	flt->min_severity = -1;
	flt->since = INT64_MIN;
	flt->until = INT64_MAX;
	flt->order = FINDINGS_ORDER_ID;
}

/* Hex key of an address: string order == address order. */
static void
addr_key(const struct mm_addr *a, char out[33])
{
	static const char hex[] = "0123456789abcdef";
	int i;

	for (i = 0; i < 16; i++) {
		out[2 * i] = hex[a->b[i] >> 4];
		out[2 * i + 1] = hex[a->b[i] & 15];
	}
	out[32] = '\0';
}

/* Parses `json` once: checks it is an object within the cap and, when
 * `compact` is not NULL, returns its compact text there (caller frees). */
static int
evidence_parse(const char *json, char **compact, struct mm_diag *diag)
{
	json_error_t jerr;
	json_t *j;
	size_t n;

	n = strlen(json);
	if (n > FINDINGS_EVIDENCE_MAX)
		return mm_diag_set(diag, MM_EINVAL,
		    "evidence: %zu bytes, over the cap of %d", n,
		    FINDINGS_EVIDENCE_MAX);
	j = json_loadb(json, n, JSON_REJECT_DUPLICATES, &jerr);
	if (j == NULL)
		return mm_diag_set(diag, MM_EINVAL,
		    "evidence: invalid JSON at line %d column %d: %s",
		    jerr.line, jerr.column, jerr.text);
	if (!json_is_object(j)) {
		json_decref(j);
		return mm_diag_set(diag, MM_EINVAL,
		    "evidence: must be a JSON object");
	}
	if (compact != NULL &&
	    (*compact = json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER)) ==
	    NULL) {
		json_decref(j);
		return mm_diag_set(diag, MM_ENOMEM, "evidence: out of memory");
	}
	json_decref(j);
	return 0;
}

int
findings_evidence_check(const char *json, struct mm_diag *diag)
{
	if (json == NULL)
		return 0;
	return evidence_parse(json, NULL, diag);
}

static const char upsert_sql[] =
	"INSERT INTO findings (kind, detector, subject_addr, subject_key,"
	" subject_port, subject_proto, dedup_extra, first_seen, last_seen,"
	" count, score, severity, summary, evidence, status, created, updated)"
	" VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14,"
	" ?15, ?16, ?16)"
	" ON CONFLICT (kind, detector, subject_addr, subject_port,"
	" subject_proto, dedup_extra) DO UPDATE SET"
	" first_seen = min(first_seen, excluded.first_seen),"
	" last_seen = max(last_seen, excluded.last_seen),"
	" count = CASE WHEN ?17 THEN excluded.count"
	"   ELSE count + excluded.count END,"
	" score = excluded.score,"
	" severity = excluded.severity,"
	" summary = excluded.summary,"
	" evidence = excluded.evidence,"
	" status = CASE"
	"   WHEN status IN ('closed', 'false-positive') THEN"
	"     CASE WHEN ?18 THEN 'open' ELSE status END"
	"   WHEN status = 'remediated' THEN 'open'"
	"   ELSE status END,"
	" updated = excluded.updated"
	" RETURNING id";

/* findings.db: WAL, synchronous NORMAL (a finding lost in a power cut is
 * found again by the next run), a 32 MiB page cache. */
static const char pragmas[] = "PRAGMA journal_mode = WAL;"
    "PRAGMA synchronous = NORMAL;"
    "PRAGMA cache_size = -32768;";

/* Prepares the persistent statements of an opened db. */
static int
findings_prepare(struct findings_db *db, struct mm_diag *diag)
{
	if (sqlite3_prepare_v3(db->s.db, upsert_sql, -1,
	    SQLITE_PREPARE_PERSISTENT, &db->upsert, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v3(db->s.db, "SELECT " COLS " FROM findings"
	    " WHERE id = ?1", -1, SQLITE_PREPARE_PERSISTENT, &db->get,
	    NULL) != SQLITE_OK ||
	    sqlite3_prepare_v3(db->s.db, "UPDATE findings SET status = ?1,"
	    " status_note = ?2, updated = ?3 WHERE id = ?4", -1,
	    SQLITE_PREPARE_PERSISTENT, &db->setstatus, NULL) != SQLITE_OK)
		return sqldb_err(&db->s, diag, "preparing statements");
	return 0;
}

/* Opens DIR/NAME (dir != NULL) or path into a new handle. */
static int
findings_open_any(const char *dir, const char *path,
    struct findings_db **dbp, struct mm_diag *diag)
{
	struct findings_db *db;
	int rc;

	*dbp = NULL;
	if ((db = calloc(1, sizeof(*db))) == NULL)
		return mm_diag_set(diag, MM_ENOMEM, "findings: out of memory");
	rc = dir != NULL ?
	    sqldb_open_dir(&db->s, "findings", dir, FINDINGS_DB_NAME,
	    pragmas, migrations, NMIGRATIONS, diag) :
	    sqldb_open(&db->s, path, pragmas, migrations, NMIGRATIONS, diag);
	if (rc == 0 && (rc = findings_prepare(db, diag)) == 0) {
		*dbp = db;
		return 0;
	}
	findings_close(db);
	return rc;
}

int
findings_open_path(const char *path, struct findings_db **dbp,
    struct mm_diag *diag)
{
	return findings_open_any(NULL, path, dbp, diag);
}

int
findings_open(const char *datadir, struct findings_db **dbp,
    struct mm_diag *diag)
{
	return findings_open_any(datadir, NULL, dbp, diag);
}

void
findings_close(struct findings_db *db)
{
	if (db == NULL)
		return;
	sqldb_rollback(&db->s);
	sqlite3_finalize(db->upsert);
	sqlite3_finalize(db->get);
	sqlite3_finalize(db->setstatus);
	sqldb_close(&db->s);
	free(db);
}

int
findings_schema_version(struct findings_db *db)
{
	return db != NULL ? sqldb_version(&db->s) : -1;
}

int
findings_begin(struct findings_db *db, struct mm_diag *diag)
{
	return sqldb_begin(&db->s, diag);
}

int
findings_commit(struct findings_db *db, struct mm_diag *diag)
{
	return sqldb_commit(&db->s, diag);
}

void
findings_rollback(struct findings_db *db)
{
	if (db != NULL)
		sqldb_rollback(&db->s);
}

int
findings_upsert(struct findings_db *db, const struct finding *f, int flags,
    int *inserted, int64_t *idp, struct mm_diag *diag)
{
	sqlite3_stmt *st = db->upsert;
	char addr[ADDR_STRLEN], key[33], *ev = NULL;
	mtime_t now, first, last;
	int64_t id;
	int rc;

	if ((rc = check_text("kind", f->kind, FINDINGS_NAME_MAX, 1, diag)) ||
	    (rc = check_text("detector", f->detector, FINDINGS_NAME_MAX, 1,
	    diag)) ||
	    (rc = check_text("dedup_extra", f->dedup_extra,
	    FINDINGS_DEDUP_MAX, 0, diag)) ||
	    (rc = check_text("summary", f->summary, FINDINGS_SUMMARY_MAX, 0,
	    diag)))
		return rc;
	if ((unsigned)f->severity > SEV_CRITICAL ||
	    (unsigned)f->status > FST_CLOSED)
		return mm_diag_set(diag, MM_EINVAL,
		    "finding: bad severity or status");
	if (f->score != f->score)
		return mm_diag_set(diag, MM_EINVAL, "finding: score is NaN");
	if (f->evidence != NULL &&
	    (rc = evidence_parse(f->evidence, &ev, diag)) != 0)
		return rc;
	now = mtime_now();
	first = f->first_seen != 0 ? f->first_seen : now;
	last = f->last_seen != 0 ? f->last_seen : first;
	if (last < first)
		last = first;
	addr_fmt(&f->subject, addr, sizeof(addr));
	addr_key(&f->subject, key);

	sqlite3_bind_text(st, 1, f->kind, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, f->detector, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, addr, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, key, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 5, f->port);
	sqlite3_bind_int(st, 6, f->proto);
	sqlite3_bind_text(st, 7, f->dedup_extra != NULL ? f->dedup_extra : "",
	    -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 8, first);
	sqlite3_bind_int64(st, 9, last);
	sqlite3_bind_int64(st, 10, f->count > 0 ? f->count : 1);
	sqlite3_bind_double(st, 11, f->score);
	sqlite3_bind_int(st, 12, (int)f->severity);
	sqlite3_bind_text(st, 13, f->summary != NULL ? f->summary : "", -1,
	    SQLITE_STATIC);
	if (ev != NULL)
		sqlite3_bind_text(st, 14, ev, -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(st, 14);
	sqlite3_bind_text(st, 15, findings_status_name(f->status), -1,
	    SQLITE_STATIC);
	sqlite3_bind_int64(st, 16, now);
	sqlite3_bind_int(st, 17, (flags & FINDINGS_COUNT_REPLACE) != 0);
	sqlite3_bind_int(st, 18, (flags & FINDINGS_REOPEN) != 0);

	sqlite3_set_last_insert_rowid(db->s.db, 0);
	if (sqlite3_step(st) != SQLITE_ROW) {
		rc = sqldb_err(&db->s, diag, "upsert");
		goto out;
	}
	id = sqlite3_column_int64(st, 0);
	if (sqlite3_step(st) != SQLITE_DONE) {
		rc = sqldb_err(&db->s, diag, "upsert");
		goto out;
	}
	if (inserted != NULL)
		*inserted = sqlite3_last_insert_rowid(db->s.db) == id;
	if (idp != NULL)
		*idp = id;
 out:
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	free(ev);
	return rc;
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

/* Fills `f` (owned strings) from the current row, COLS order. */
static int
row_fill(sqlite3_stmt *st, struct finding *f)
{
	enum finding_severity sev;
	enum finding_status fst;
	const unsigned char *s;
	int oom = 0, v;

	memset(f, 0, sizeof(*f));
	f->id = sqlite3_column_int64(st, 0);
	f->kind = col_strdup(st, 1, &oom);
	f->detector = col_strdup(st, 2, &oom);
	s = sqlite3_column_text(st, 3);
	if (s == NULL || addr_parse((const char *)s, &f->subject) != 0)
		memset(&f->subject, 0, sizeof(f->subject));
	f->port = (uint16_t)sqlite3_column_int(st, 4);
	f->proto = (uint8_t)sqlite3_column_int(st, 5);
	f->dedup_extra = col_strdup(st, 6, &oom);
	if (f->dedup_extra != NULL && *f->dedup_extra == '\0') {
		free(f->dedup_extra);
		f->dedup_extra = NULL;
	}
	f->first_seen = sqlite3_column_int64(st, 7);
	f->last_seen = sqlite3_column_int64(st, 8);
	f->count = sqlite3_column_int64(st, 9);
	f->score = sqlite3_column_double(st, 10);
	v = sqlite3_column_int(st, 11);
	sev = v < 0 ? SEV_INFO : v > SEV_CRITICAL ? SEV_CRITICAL :
	    (enum finding_severity)v;
	f->severity = sev;
	f->summary = col_strdup(st, 12, &oom);
	f->evidence = col_strdup(st, 13, &oom);
	s = sqlite3_column_text(st, 14);
	if (s == NULL || findings_status_parse((const char *)s, &fst) != 0)
		fst = FST_OPEN;
	f->status = fst;
	f->note = col_strdup(st, 15, &oom);
	f->created = sqlite3_column_int64(st, 16);
	f->updated = sqlite3_column_int64(st, 17);
	if (oom) {
		findings_finding_free(f);
		return MM_ENOMEM;
	}
	return 0;
}

int
findings_get(struct findings_db *db, int64_t id, struct finding *f,
    struct mm_diag *diag)
{
	sqlite3_stmt *st = db->get;
	int rc, src;

	memset(f, 0, sizeof(*f));
	sqlite3_bind_int64(st, 1, id);
	src = sqlite3_step(st);
	if (src == SQLITE_ROW) {
		if ((rc = row_fill(st, f)) != 0)
			mm_diag_set(diag, rc, "findings: out of memory");
	} else if (src == SQLITE_DONE)
		rc = mm_diag_set(diag, MM_ENOENT, "%s: no finding %" PRId64,
		    db->s.path, id);
	else
		rc = sqldb_err(&db->s, diag, "get");
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return rc;
}

static const char *
order_sql(enum findings_order o, int desc)
{
	static const char *const asc_sql[] = {
		" ORDER BY id",
		" ORDER BY first_seen, id",
		" ORDER BY last_seen, id",
		" ORDER BY score, id",
		" ORDER BY severity, score, last_seen, id",
		" ORDER BY count, id",
		" ORDER BY subject_key, subject_port, id",
	};
	static const char *const desc_sql[] = {
		" ORDER BY id DESC",
		" ORDER BY first_seen DESC, id DESC",
		" ORDER BY last_seen DESC, id DESC",
		" ORDER BY score DESC, id DESC",
		" ORDER BY severity DESC, score DESC, last_seen DESC, id DESC",
		" ORDER BY count DESC, id DESC",
		" ORDER BY subject_key DESC, subject_port DESC, id DESC",
	};

	if ((unsigned)o > FINDINGS_ORDER_SUBJECT)
		return NULL;
	return desc ? desc_sql[o] : asc_sql[o];
}

int
findings_query(struct findings_db *db, const struct findings_filter *flt,
    findings_cb cb, void *arg, struct mm_diag *diag)
{
	struct findings_filter all;
	struct mm_addr hi;
	sqlite3_stmt *st = NULL;
	struct finding f;
	char sql[1024], lo_key[33], hi_key[33];
	const char *ord;
	size_t n;
	int rc = 0, src, i;
	unsigned bit;

	if (flt == NULL) {
		findings_filter_init(&all);
		flt = &all;
	}
	if ((ord = order_sql(flt->order, flt->desc)) == NULL ||
	    (flt->status != -1 && (unsigned)flt->status > FST_CLOSED) ||
	    (flt->min_severity != -1 &&
	    (unsigned)flt->min_severity > SEV_CRITICAL) ||
	    (flt->has_subject && flt->subject.len > 128))
		return mm_diag_set(diag, MM_EINVAL, "findings: bad filter");

	/* fixed fragments only; values are bound below by name */
	n = (size_t)snprintf(sql, sizeof(sql), "SELECT " COLS " FROM findings"
	    " WHERE 1");
	if (flt->kind != NULL)
		n += (size_t)snprintf(sql + n, sizeof(sql) - n,
		    " AND kind = :kind");
	if (flt->detector != NULL)
		n += (size_t)snprintf(sql + n, sizeof(sql) - n,
		    " AND detector = :detector");
	if (flt->status != -1)
		n += (size_t)snprintf(sql + n, sizeof(sql) - n,
		    " AND status = :status");
	if (flt->min_severity != -1)
		n += (size_t)snprintf(sql + n, sizeof(sql) - n,
		    " AND severity >= :sev");
	if (flt->has_subject)
		n += (size_t)snprintf(sql + n, sizeof(sql) - n,
		    " AND subject_key BETWEEN :lo AND :hi");
	if (flt->since != INT64_MIN)
		n += (size_t)snprintf(sql + n, sizeof(sql) - n,
		    " AND last_seen >= :since");
	if (flt->until != INT64_MAX)
		n += (size_t)snprintf(sql + n, sizeof(sql) - n,
		    " AND first_seen < :until");
	if (flt->has_min_score)
		n += (size_t)snprintf(sql + n, sizeof(sql) - n,
		    " AND score >= :score");
	n += (size_t)snprintf(sql + n, sizeof(sql) - n, "%s", ord);
	if (flt->limit > 0)
		n += (size_t)snprintf(sql + n, sizeof(sql) - n,
		    " LIMIT :limit");
	if (n >= sizeof(sql))
		return mm_diag_set(diag, MM_EINVAL, "findings: query too long");

	if (sqlite3_prepare_v2(db->s.db, sql, -1, &st, NULL) != SQLITE_OK)
		return sqldb_err(&db->s, diag, "query");
	if (flt->kind != NULL)
		sqlite3_bind_text(st, sqlite3_bind_parameter_index(st,
		    ":kind"), flt->kind, -1, SQLITE_STATIC);
	if (flt->detector != NULL)
		sqlite3_bind_text(st, sqlite3_bind_parameter_index(st,
		    ":detector"), flt->detector, -1, SQLITE_STATIC);
	if (flt->status != -1)
		sqlite3_bind_text(st, sqlite3_bind_parameter_index(st,
		    ":status"), findings_status_name(
		    (enum finding_status)flt->status), -1, SQLITE_STATIC);
	if (flt->min_severity != -1)
		sqlite3_bind_int(st, sqlite3_bind_parameter_index(st, ":sev"),
		    flt->min_severity);
	if (flt->has_subject) {
		hi = flt->subject.addr;
		addr_mask(&hi, flt->subject.len);
		addr_key(&hi, lo_key);
		for (bit = flt->subject.len; bit < 128; bit++)
			hi.b[bit >> 3] |= (uint8_t)(0x80 >> (bit & 7));
		addr_key(&hi, hi_key);
		sqlite3_bind_text(st, sqlite3_bind_parameter_index(st, ":lo"),
		    lo_key, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, sqlite3_bind_parameter_index(st, ":hi"),
		    hi_key, -1, SQLITE_STATIC);
	}
	if (flt->since != INT64_MIN)
		sqlite3_bind_int64(st, sqlite3_bind_parameter_index(st,
		    ":since"), flt->since);
	if (flt->until != INT64_MAX)
		sqlite3_bind_int64(st, sqlite3_bind_parameter_index(st,
		    ":until"), flt->until);
	if (flt->has_min_score)
		sqlite3_bind_double(st, sqlite3_bind_parameter_index(st,
		    ":score"), flt->min_score);
	if (flt->limit > 0) {
		i = sqlite3_bind_parameter_index(st, ":limit");
		sqlite3_bind_int64(st, i, flt->limit > INT64_MAX ? INT64_MAX :
		    (int64_t)flt->limit);
	}

	while ((src = sqlite3_step(st)) == SQLITE_ROW) {
		if ((rc = row_fill(st, &f)) != 0) {
			mm_diag_set(diag, rc, "findings: out of memory");
			goto out;
		}
		rc = cb(&f, arg);
		findings_finding_free(&f);
		if (rc != 0)
			goto out;
	}
	if (src != SQLITE_DONE)
		rc = sqldb_err(&db->s, diag, "query");
 out:
	sqlite3_finalize(st);
	return rc;
}

int
findings_set_status(struct findings_db *db, int64_t id,
    enum finding_status status, const char *note, struct mm_diag *diag)
{
	sqlite3_stmt *st = db->setstatus;
	int rc = 0;

	if ((unsigned)status > FST_CLOSED)
		return mm_diag_set(diag, MM_EINVAL, "findings: bad status");
	if ((rc = check_text("note", note, FINDINGS_NOTE_MAX, 0, diag)) != 0)
		return rc;
	sqlite3_bind_text(st, 1, findings_status_name(status), -1,
	    SQLITE_STATIC);
	if (note != NULL)
		sqlite3_bind_text(st, 2, note, -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(st, 2);
	sqlite3_bind_int64(st, 3, mtime_now());
	sqlite3_bind_int64(st, 4, id);
	if (sqlite3_step(st) != SQLITE_DONE)
		rc = sqldb_err(&db->s, diag, "set status");
	else if (sqlite3_changes(db->s.db) == 0)
		rc = mm_diag_set(diag, MM_ENOENT, "%s: no finding %" PRId64,
		    db->s.path, id);
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return rc;
}

static int
dup_str(char **dst, const char *src)
{
	if (src == NULL) {
		*dst = NULL;
		return 0;
	}
	return (*dst = strdup(src)) == NULL ? -1 : 0;
}

int
findings_finding_copy(struct finding *dst, const struct finding *src)
{
	*dst = *src;
	dst->kind = dst->detector = dst->dedup_extra = NULL;
	dst->summary = dst->evidence = dst->note = NULL;
	if (dup_str(&dst->kind, src->kind) ||
	    dup_str(&dst->detector, src->detector) ||
	    dup_str(&dst->dedup_extra, src->dedup_extra) ||
	    dup_str(&dst->summary, src->summary) ||
	    dup_str(&dst->evidence, src->evidence) ||
	    dup_str(&dst->note, src->note)) {
		findings_finding_free(dst);
		return MM_ENOMEM;
	}
	return 0;
}

void
findings_finding_free(struct finding *f)
{
	if (f == NULL)
		return;
	free(f->kind);
	free(f->detector);
	free(f->dedup_extra);
	free(f->summary);
	free(f->evidence);
	free(f->note);
	memset(f, 0, sizeof(*f));
}
