/*
 * daemon.h - process chores for a long-running collector: dropping root
 * after the sockets are bound, handing the data directory to the unprivileged
 * user, pid files, and size arguments ("64M").
 *
 * mamori daemons run in the foreground (systemd, runit, s6 supervise them);
 * nothing here forks or detaches.
 */
#ifndef MAMORI_COLLECT_DAEMON_H
#define MAMORI_COLLECT_DAEMON_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "core/err.h"

struct daemon_ids {
	uid_t	uid;
	gid_t	gid;
	char	name[64];
};

/*
 * Resolves `user` (name or numeric id) and optional `group` (else the
 * user's primary group). Returns 0 or MM_ENOENT with `diag`.
 */
int	daemon_ids_lookup(const char *user, const char *group,
	    struct daemon_ids *ids, struct mm_diag *diag);
/*
 * chown(2)s `dir` and everything below it that is not already owned by
 * ids->uid (bounded walk, no symlinks followed). Root only. Returns 0 or
 * MM_EIO with `diag` naming the path.
 */
int	daemon_chown_tree(const char *dir, const struct daemon_ids *ids,
	    struct mm_diag *diag);
/*
 * Drops to ids: setgroups(1, gid), setgid, setuid, then checks that root
 * cannot be regained. Returns 0 or MM_EIO; on error the caller must exit.
 */
int	daemon_drop(const struct daemon_ids *ids, struct mm_diag *diag);

/* Writes "PID\n" to `path` (created 0644, replaced). Returns 0 or MM_EIO. */
int	daemon_pidfile_write(const char *path, struct mm_diag *diag);

/* Parses "123", "64K", "32M", "1G", "2GiB" (binary multiples): the same as
 * units_parse_size() in core/units.h. Returns 0 or MM_ESYNTAX / MM_ERANGE. */
int	daemon_parse_size(const char *s, uint64_t *v);

#endif
