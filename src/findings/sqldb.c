/*
 * sqldb.c - SQLite plumbing shared by findings.db and notify.db; see
 * sqldb.h for the contract and costs.
 */
#include <stdio.h>

#include "findings/sqldb.h"

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
