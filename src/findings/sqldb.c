/*
 * sqldb.c - SQLite plumbing shared by findings.db and notify.db; see
 * sqldb.h for the contract and costs.
 */
#include <stdio.h>
#include <string.h>

#include <sys/stat.h>

#include "findings/sqldb.h"

int
sqldb_open(struct sqldb *s, const char *path, const char *pragmas,
    const char *const *migrations, size_t n, struct mm_diag *diag)
{
	int rc;

	memset(s, 0, sizeof(*s));
	if (path == NULL)
		return mm_diag_set(diag, MM_EINVAL, "sqldb: no path");
	if (strlen(path) >= sizeof(s->path))
		return mm_diag_set(diag, MM_EINVAL, "%s: path too long", path);
	snprintf(s->path, sizeof(s->path), "%s", path);
	if (sqlite3_open_v2(path, &s->db, SQLITE_OPEN_READWRITE |
	    SQLITE_OPEN_CREATE, NULL) != SQLITE_OK) {
		rc = mm_diag_set(diag, MM_EIO, "%s: cannot open: %s", path,
		    s->db != NULL ? sqlite3_errmsg(s->db) : "out of memory");
		goto out;
	}
	sqlite3_busy_timeout(s->db, SQLDB_BUSY_MS);
	sqlite3_extended_result_codes(s->db, 0);
	if (pragmas != NULL &&
	    (rc = sqldb_exec(s->db, s->path, pragmas, diag)) != 0)
		goto out;
	if ((rc = sqldb_migrate(s->db, s->path, migrations, n, diag)) != 0)
		goto out;
	return 0;
 out:
	sqldb_close(s);
	return rc;
}

int
sqldb_open_dir(struct sqldb *s, const char *who, const char *dir,
    const char *name, const char *pragmas, const char *const *migrations,
    size_t n, struct mm_diag *diag)
{
	char path[SQLDB_PATH_MAX];
	struct stat sb;
	int k;

	memset(s, 0, sizeof(*s));
	if (dir == NULL)
		return mm_diag_set(diag, MM_EINVAL, "%s: no data dir", who);
	if (stat(dir, &sb) != 0 || !S_ISDIR(sb.st_mode))
		return mm_diag_set(diag, MM_EIO, "%s: not a directory", dir);
	k = snprintf(path, sizeof(path), "%s/%s", dir, name);
	if (k < 0 || (size_t)k >= sizeof(path))
		return mm_diag_set(diag, MM_EINVAL, "%s: path too long", dir);
	return sqldb_open(s, path, pragmas, migrations, n, diag);
}

void
sqldb_close(struct sqldb *s)
{
	if (s == NULL)
		return;
	sqldb_rollback(s);
	if (s->db != NULL)
		sqlite3_close(s->db);
	s->db = NULL;
}

int
sqldb_version(struct sqldb *s)
{
	int v = -1;

	if (s == NULL || s->db == NULL ||
	    sqldb_user_version(s->db, s->path, &v, NULL) != 0)
		return -1;
	return v;
}

int
sqldb_begin(struct sqldb *s, struct mm_diag *diag)
{
	int rc;

	if (s->in_batch)
		return mm_diag_set(diag, MM_EINVAL, "%s: batch already open",
		    s->path);
	if ((rc = sqldb_exec(s->db, s->path, "BEGIN IMMEDIATE", diag)) == 0)
		s->in_batch = 1;
	return rc;
}

int
sqldb_commit(struct sqldb *s, struct mm_diag *diag)
{
	int rc;

	if (!s->in_batch)
		return mm_diag_set(diag, MM_EINVAL, "%s: no batch open",
		    s->path);
	if ((rc = sqldb_exec(s->db, s->path, "COMMIT", diag)) != 0) {
		sqldb_rollback(s);
		return rc;
	}
	s->in_batch = 0;
	return 0;
}

void
sqldb_rollback(struct sqldb *s)
{
	if (s == NULL || !s->in_batch)
		return;
	sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
	s->in_batch = 0;
}

int
sqldb_err(struct sqldb *s, struct mm_diag *diag, const char *what)
{
	return mm_diag_set(diag, MM_EIO, "%s: %s: %s", s->path, what,
	    sqlite3_errmsg(s->db));
}

int
sqldb_check_text(const char *who, const char *what, const char *str,
    size_t cap, int required, struct mm_diag *diag)
{
	size_t n;

	if (str == NULL || *str == '\0') {
		if (required)
			return mm_diag_set(diag, MM_EINVAL, "%s: %s is required",
			    who, what);
		return 0;
	}
	n = strlen(str);
	if (n > cap)
		return mm_diag_set(diag, MM_EINVAL, "%s: %s is %zu bytes, over "
		    "the cap of %zu", who, what, n, cap);
	return 0;
}

int
sqldb_exec(sqlite3 *db, const char *path, const char *sql,
    struct mm_diag *diag)
{
	char *msg = NULL;
	int rc;

	if (sqlite3_exec(db, sql, NULL, NULL, &msg) == SQLITE_OK)
		return 0;
	rc = mm_diag_set(diag, MM_EIO, "%s: %s", path,
	    msg != NULL ? msg : sqlite3_errmsg(db));
	sqlite3_free(msg);
	return rc;
}

int
sqldb_user_version(sqlite3 *db, const char *path, int *v,
    struct mm_diag *diag)
{
	sqlite3_stmt *st = NULL;
	int rc = 0;

	if (sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &st,
	    NULL) != SQLITE_OK || sqlite3_step(st) != SQLITE_ROW)
		rc = mm_diag_set(diag, MM_EIO, "%s: reading schema version: "
		    "%s", path, sqlite3_errmsg(db));
	else
		*v = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	return rc;
}

int
sqldb_migrate(sqlite3 *db, const char *path, const char *const *migrations,
    size_t n, struct mm_diag *diag)
{
	char sql[64];
	int v = -1, rc;
	size_t i;

	if ((rc = sqldb_user_version(db, path, &v, diag)) != 0)
		return rc;
	if (v == (int)n)
		return 0;
	if ((rc = sqldb_exec(db, path, "BEGIN IMMEDIATE", diag)) != 0)
		return rc;
	/* another process may have migrated while we waited for the lock */
	if ((rc = sqldb_user_version(db, path, &v, diag)) != 0)
		goto out;
	if (v < 0 || v > (int)n) {
		rc = mm_diag_set(diag, MM_EUNSUP, "%s: schema version %d is "
		    "newer than this mamori (%d)", path, v, (int)n);
		goto out;
	}
	for (i = (size_t)v; i < n; i++) {
		if ((rc = sqldb_exec(db, path, migrations[i], diag)) != 0)
			goto out;
		snprintf(sql, sizeof(sql), "PRAGMA user_version = %zu", i + 1);
		if ((rc = sqldb_exec(db, path, sql, diag)) != 0)
			goto out;
	}
	rc = sqldb_exec(db, path, "COMMIT", diag);
 out:
	if (rc != 0)
		sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
	return rc;
}
