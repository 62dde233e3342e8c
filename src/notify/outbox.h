/*
 * outbox.h - a directory of finished messages, one RFC 5322 message per
 * DIR/<name>.eml file.
 *
 * The outbox is both a delivery mode of its own (an operator who sends
 * mail with another tool picks the files up) and the place the tracking
 * database can point at instead of holding message bytes (track.h).
 *
 * Names are "YYYYMMDDTHHMMSS.mmmZ-<pid>-<seq>.eml" (UTC time of writing,
 * writer's process id, a per-process counter, all fixed width): plain
 * string order is time order, every byte is in [0-9A-Za-z.-], and two
 * writers never take the same name (the final link fails with EEXIST and
 * the writer moves on to the next counter value). A file appears under its
 * name only complete: it is written as DIR/.tmp-<name>, fsync'ed, linked to
 * its name (which never replaces an existing file), the temporary name
 * removed and the directory fsync'ed. A crash leaves at most a ".tmp-"
 * file, which listing ignores.
 *
 * Costs: a write is one file, two fsyncs; a listing reads the directory
 * once and sorts the names, O(n log n), at most OUTBOX_LIST_MAX names. No
 * function prints; errors are MM_E* with a diag naming the path.
 */
#ifndef MAMORI_NOTIFY_OUTBOX_H
#define MAMORI_NOTIFY_OUTBOX_H

#include <stddef.h>
#include <stdint.h>

#include "core/err.h"
#include "core/mtime.h"

#define OUTBOX_NAME_MAX		64		/* bytes of a name, no NUL */
#define OUTBOX_LIST_MAX		100000		/* names one listing returns */
#define OUTBOX_MSG_MAX		((size_t)64 << 20)	/* bytes of a message */
#define OUTBOX_SUFFIX		".eml"

/*
 * Writes `len` bytes of `msg` atomically into directory `dir` (which must
 * exist) under a new unique name stamped with time `now` (0 = the current
 * time). The name (not the path) is copied into `name` (`namelen` >=
 * OUTBOX_NAME_MAX + 1). Returns 0, MM_EINVAL (bad argument, message over
 * OUTBOX_MSG_MAX) or MM_EIO (with errno's text in diag; no file is left
 * behind). `diag` may be NULL.
 */
int	outbox_write(const char *dir, const uint8_t *msg, size_t len,
	    mtime_t now, char *name, size_t namelen, struct mm_diag *diag);

/*
 * Lists the pending messages of `dir`: the names that pass
 * outbox_name_valid(), sorted (oldest first). On success *names is a
 * malloc'ed array of *n malloc'ed strings (free with outbox_list_free());
 * an empty directory gives *names NULL, *n 0. Returns 0, MM_EIO, MM_ENOMEM
 * or MM_ELIMIT (more than OUTBOX_LIST_MAX names; nothing returned).
 */
int	outbox_list(const char *dir, char ***names, size_t *n,
	    struct mm_diag *diag);
/* Frees a listing; NULL-safe. */
void	outbox_list_free(char **names, size_t n);

/*
 * Reads message `name` of `dir` (a regular file, not followed through a
 * symlink, at most `cap` bytes; 0 = OUTBOX_MSG_MAX) into a malloc'ed
 * buffer *buf of *len bytes (caller frees). Returns 0, MM_EINVAL (invalid
 * name), MM_ENOENT, MM_ELIMIT (over cap), MM_EIO or MM_ENOMEM.
 */
int	outbox_read(const char *dir, const char *name, size_t cap,
	    uint8_t **buf, size_t *len, struct mm_diag *diag);

/* Removes message `name` of `dir` (after it was handed on). Returns 0,
 * MM_EINVAL (invalid name), MM_ENOENT or MM_EIO. */
int	outbox_remove(const char *dir, const char *name, struct mm_diag *diag);

/* 1 when `name` is a message name: 1..OUTBOX_NAME_MAX bytes of
 * [0-9A-Za-z._-], not starting with '.', ending in ".eml"; else 0.
 * NULL-safe. Such a name cannot leave the directory. */
int	outbox_name_valid(const char *name);

#endif
