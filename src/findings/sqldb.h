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
 *
 * struct sqldb is the open handle both databases embed: connection, path
 * and the caller's batch (one explicit transaction spanning many calls).
 * sqldb_open() opens or creates the file, sets the busy timeout, WAL and
 * the caller's pragmas, and migrates; sqldb_open_dir() builds DIR/NAME
 * first (DIR must exist).
 */
#ifndef MAMORI_FINDINGS_SQLDB_H
#define MAMORI_FINDINGS_SQLDB_H

#include <stddef.h>

#include <sqlite3.h>

#include "core/err.h"

#define SQLDB_PATH_MAX		1024
#define SQLDB_BUSY_MS		10000	/* wait for another writer */

struct sqldb {
	sqlite3	*db;
	int	 in_batch;		/* sqldb_begin() done */
	char	 path[SQLDB_PATH_MAX];
};

/* Opens (creating) `path` into *s: busy timeout, `pragmas` (SQL run
 * after the open, may be NULL), then migrations[0..n). Returns 0, or
 * MM_EIO / MM_EUNSUP / MM_EINVAL with `diag` naming the file; on error *s
 * is closed. */
int	sqldb_open(struct sqldb *s, const char *path, const char *pragmas,
	    const char *const *migrations, size_t n, struct mm_diag *diag);

/* sqldb_open() of DIR/NAME; `who` names the caller in errors about DIR
 * ("findings", "track"). DIR must be an existing directory. */
int	sqldb_open_dir(struct sqldb *s, const char *who, const char *dir,
	    const char *name, const char *pragmas,
	    const char *const *migrations, size_t n, struct mm_diag *diag);

/* Rolls back an open batch and closes. NULL-safe; idempotent. */
void	sqldb_close(struct sqldb *s);

/* The schema version, or -1. */
int	sqldb_version(struct sqldb *s);

/* The caller's batch: BEGIN IMMEDIATE / COMMIT (rolled back when COMMIT
 * fails) / ROLLBACK. begin with a batch open and commit without one are
 * MM_EINVAL. rollback is NULL-safe and a no-op without a batch. */
int	sqldb_begin(struct sqldb *s, struct mm_diag *diag);
int	sqldb_commit(struct sqldb *s, struct mm_diag *diag);
void	sqldb_rollback(struct sqldb *s);

/* MM_EIO with diag "PATH: what: sqlite message". */
int	sqldb_err(struct sqldb *s, struct mm_diag *diag, const char *what);

/* Checks a text field of a record: required and empty -> MM_EINVAL "WHO:
 * WHAT is required"; longer than cap bytes -> MM_EINVAL naming both.
 * NULL counts as empty. Returns 0 or MM_EINVAL. */
int	sqldb_check_text(const char *who, const char *what, const char *s,
	    size_t cap, int required, struct mm_diag *diag);

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
