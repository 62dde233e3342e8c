/*
 * findings.h - the findings store: the hub every detector writes to.
 *
 * One SQLite database, DATADIR/findings.db, in WAL mode so that one writer
 * and any number of readers (the CLI, a notifier) work at the same time; a
 * busy timeout makes a second writer wait instead of failing. It holds one
 * table of findings. A finding says "detector D saw something of kind K about
 * subject address A (port P, protocol N)"; the tuple
 *
 *	(kind, detector, subject_addr, subject_port, subject_proto, dedup_extra)
 *
 * is its natural key, so a detector that runs again updates the finding it
 * made before (later last_seen, count added, new score/summary/evidence)
 * instead of writing a duplicate. dedup_extra is a detector-chosen string
 * that splits the key further (a c2-client finding keys on the C2 server it
 * talked to). Absent port/protocol are 0 and absent dedup_extra is "", never
 * NULL, because NULLs are all distinct under a UNIQUE constraint.
 *
 * A human triages a finding through its status: open -> notified ->
 * remediated, or false-positive / closed. A re-detection never reopens a
 * closed or false-positive finding unless the caller asks (FINDINGS_REOPEN);
 * a remediated one that is seen again is reopened (the fix did not hold).
 *
 * The schema is versioned with PRAGMA user_version and upgraded on open by a
 * migrations array; a database newer than this code is refused.
 *
 * Costs: an upsert is one prepared statement (reused) and one B-tree probe of
 * the key index, O(log N); wrap thousands of them in findings_begin() /
 * findings_commit() so they share one fsync. A query compiles one statement
 * and streams the rows; a subject prefix filter is an index range scan over
 * a sortable hex form of the 16-byte address (subject_key).
 *
 * Library code never prints: errors are MM_E* codes plus an optional
 * struct mm_diag line naming findings.db and what failed. A handle is not
 * thread-safe; use one per thread (or process).
 */
#ifndef MAMORI_FINDINGS_FINDINGS_H
#define MAMORI_FINDINGS_FINDINGS_H

#include <stddef.h>
#include <stdint.h>

#include "core/addr.h"
#include "core/err.h"
#include "core/mtime.h"

#define FINDINGS_SCHEMA_VERSION	1
#define FINDINGS_DB_NAME	"findings.db"

/* Caps on what one finding may carry (bytes, without the NUL). */
#define FINDINGS_NAME_MAX	64		/* kind, detector */
#define FINDINGS_DEDUP_MAX	256
#define FINDINGS_SUMMARY_MAX	4096
#define FINDINGS_NOTE_MAX	4096
#define FINDINGS_EVIDENCE_MAX	(1024 * 1024)

/* Ordered: a filter on "at least medium" is severity >= SEV_MEDIUM. */
enum finding_severity {
	SEV_INFO = 0,
	SEV_LOW,
	SEV_MEDIUM,
	SEV_HIGH,
	SEV_CRITICAL
};

enum finding_status {
	FST_OPEN = 0,
	FST_NOTIFIED,
	FST_REMEDIATED,
	FST_FALSE_POSITIVE,
	FST_CLOSED
};

/*
 * One finding. Strings are owned by the struct (free with
 * findings_finding_free()) when it was filled by findings_get() or
 * findings_finding_copy(); a caller building one for findings_upsert() may
 * point them at anything it keeps alive for the call. NULL dedup_extra,
 * summary and evidence mean "none".
 */
struct finding {
	int64_t			 id;		/* set by the store */
	char			*kind;		/* e.g. "c2-client" */
	char			*detector;	/* e.g. "c2watch" */
	struct mm_addr		 subject;
	uint16_t		 port;		/* 0 = none */
	uint8_t			 proto;		/* IP protocol; 0 = none */
	char			*dedup_extra;
	mtime_t			 first_seen;	/* 0 = now */
	mtime_t			 last_seen;	/* 0 = first_seen */
	int64_t			 count;		/* 0 is taken as 1 */
	double			 score;
	enum finding_severity	 severity;
	char			*summary;
	char			*evidence;	/* JSON object text */
	enum finding_status	 status;	/* on insert; FST_OPEN usually */
	char			*note;		/* last status note (read only) */
	mtime_t			 created;	/* set by the store */
	mtime_t			 updated;	/* set by the store */
};

enum findings_order {
	FINDINGS_ORDER_ID = 0,
	FINDINGS_ORDER_FIRST_SEEN,
	FINDINGS_ORDER_LAST_SEEN,
	FINDINGS_ORDER_SCORE,
	FINDINGS_ORDER_SEVERITY,	/* then score, then last_seen */
	FINDINGS_ORDER_COUNT,
	FINDINGS_ORDER_SUBJECT
};

/*
 * Query filter; findings_filter_init() sets "everything". String filters are
 * exact matches; NULL means any. A finding matches the time range when it
 * was seen inside it: last_seen >= since and first_seen < until.
 */
struct findings_filter {
	const char		*kind;
	const char		*detector;
	int			 status;	/* enum finding_status, or -1 */
	int			 min_severity;	/* enum finding_severity, or -1 */
	int			 has_subject;
	struct mm_prefix	 subject;
	mtime_t			 since;		/* INT64_MIN = unbounded */
	mtime_t			 until;		/* INT64_MAX = unbounded */
	int			 has_min_score;
	double			 min_score;
	enum findings_order	 order;
	int			 desc;		/* descending order */
	size_t			 limit;		/* 0 = no limit */
};

/* findings_upsert() flags. */
#define FINDINGS_COUNT_REPLACE	0x01	/* count := new count (default: add) */
#define FINDINGS_REOPEN		0x02	/* a closed/false-positive finding
					 * seen again becomes open */

struct findings_db;

/*
 * Opens (creating if missing) DATADIR/findings.db, sets WAL mode and a busy
 * timeout and migrates the schema to FINDINGS_SCHEMA_VERSION. `datadir` must
 * exist. Returns 0 with *db set, or MM_EIO / MM_EUNSUP (database from a newer
 * mamori) / MM_ECORRUPT with `diag` naming the file; *db is NULL then.
 */
int	findings_open(const char *datadir, struct findings_db **db,
	    struct mm_diag *diag);
/* Opens the database at an explicit path (tests, tools). Same contract. */
int	findings_open_path(const char *path, struct findings_db **db,
	    struct mm_diag *diag);
/* Closes and frees; rolls back an open batch. NULL-safe. */
void	findings_close(struct findings_db *db);
/* The schema version of the open database (after migration). */
int	findings_schema_version(struct findings_db *db);

/*
 * Batch writes: everything between begin and commit is one transaction (one
 * fsync). begin takes the write lock at once (BEGIN IMMEDIATE), so it is
 * where a second writer waits. Returns 0 or MM_EIO / MM_EINVAL (nested).
 */
int	findings_begin(struct findings_db *db, struct mm_diag *diag);
int	findings_commit(struct findings_db *db, struct mm_diag *diag);
/* Rolls back an open batch; NULL-safe, no-op without one. */
void	findings_rollback(struct findings_db *db);

/*
 * Inserts `f`, or updates the finding with the same natural key: first_seen
 * becomes the earlier, last_seen the later, count is added (or replaced with
 * FINDINGS_COUNT_REPLACE), score/severity/summary/evidence are replaced.
 * Status on update: closed and false-positive stay unless FINDINGS_REOPEN;
 * remediated becomes open; open and notified stay. Evidence must be a JSON
 * object (it is stored compacted). *inserted (may be NULL) is 1 for a new
 * row, 0 for an update; *id (may be NULL) gets the row id. Returns 0 or
 * MM_EINVAL (missing kind/detector, over a cap, bad evidence) / MM_EIO.
 */
int	findings_upsert(struct findings_db *db, const struct finding *f,
	    int flags, int *inserted, int64_t *id, struct mm_diag *diag);

/* Fills `f` (owned strings) with finding `id`. Returns 0, MM_ENOENT or
 * MM_EIO; `f` is zeroed on error. */
int	findings_get(struct findings_db *db, int64_t id, struct finding *f,
	    struct mm_diag *diag);

/*
 * Calls cb(f, arg) for every finding matching `flt` (NULL = all), in the
 * filter's order. `f` and its strings are valid only during the call (copy
 * with findings_finding_copy() to keep it). A non-zero return from cb stops
 * the walk and is returned. Returns 0, MM_EINVAL (bad filter) or MM_EIO.
 */
typedef int (*findings_cb)(const struct finding *f, void *arg);
int	findings_query(struct findings_db *db,
	    const struct findings_filter *flt, findings_cb cb, void *arg,
	    struct mm_diag *diag);

/* Sets the status (and the note, NULL = none) of finding `id`. Returns 0,
 * MM_ENOENT, MM_EINVAL (note over its cap) or MM_EIO. */
int	findings_set_status(struct findings_db *db, int64_t id,
	    enum finding_status status, const char *note, struct mm_diag *diag);

/* Sets `flt` to match everything, ordered by id. */
void	findings_filter_init(struct findings_filter *flt);

/* Checks that `json` is a JSON object no larger than FINDINGS_EVIDENCE_MAX.
 * Returns 0 or MM_EINVAL with `diag` giving jansson's line/column. */
int	findings_evidence_check(const char *json, struct mm_diag *diag);

/* Deep copy (owned strings). Returns 0 or MM_ENOMEM (dst zeroed). */
int	findings_finding_copy(struct finding *dst, const struct finding *src);
/* Frees the strings of `f` and zeroes it; NULL-safe. */
void	findings_finding_free(struct finding *f);

/* Names: "info".."critical", "open".."closed"; never NULL. */
const char *findings_severity_name(enum finding_severity s);
const char *findings_status_name(enum finding_status s);
/* Parses a name (case-insensitive); returns 0 or MM_ESYNTAX. */
int	findings_severity_parse(const char *s, enum finding_severity *sev);
int	findings_status_parse(const char *s, enum finding_status *st);

#endif
