/*
 * sqldb.h - SQLite plumbing shared by the databases beside the findings
 * hub (findings.db, notify.db): one statement batch with an error that
 * names the file, the schema version (PRAGMA user_version), and versioned
 * migrations applied in one IMMEDIATE transaction.
 *
 * A migration list is an array of SQL batches: entry i upgrades version i
 * to i + 1, so the current version is the array's length. A database at a
 * higher version than the list knows is refused (MM_EUNSUP). Costs: one
 * sqlite3_exec per call; migrate reads the version once without a lock and
 * again under it (another process may have migrated meanwhile).
 * Never prints; errors are MM_E* codes plus a diag naming `path`.
 */
#ifndef MAMORI_FINDINGS_SQLDB_H
#define MAMORI_FINDINGS_SQLDB_H

#include <stddef.h>

#include <sqlite3.h>

#include "core/err.h"

/* Runs `sql` (one or more statements) on db. Returns 0 or MM_EIO with diag
 * "PATH: sqlite message". */
int	sqldb_exec(sqlite3 *db, const char *path, const char *sql,
	    struct mm_diag *diag);

/* Reads PRAGMA user_version into *v. Returns 0 or MM_EIO. */
int	sqldb_user_version(sqlite3 *db, const char *path, int *v,
	    struct mm_diag *diag);

/* Brings the schema to version `n` by running migrations[v..n-1] and
 * setting user_version after each, all in one transaction (rolled back on
 * error). Returns 0, MM_EUNSUP (database newer than this code) or MM_EIO. */
int	sqldb_migrate(sqlite3 *db, const char *path,
	    const char *const *migrations, size_t n, struct mm_diag *diag);

#endif
