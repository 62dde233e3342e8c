/*
 * daemon.c - privilege drop, data-directory ownership, pid file, sizes.
 *
 * Dropping privileges follows the OpenBSD daemons' order: supplementary
 * groups first, then the group, then the user, and finally a check that
 * setuid(0) fails, so that a partial drop is never mistaken for success.
 * The data directory walk uses lstat(2)/lchown(2) (symlinks are not
 * followed), is depth-capped, and changes only entries not already owned by
 * the target user.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <dirent.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "collect/daemon.h"
#include "core/units.h"

static int
parse_id(const char *s, unsigned long *v)
{
	char *end;

	if (!isdigit((unsigned char)*s))
		return -1;
	errno = 0;
	*v = strtoul(s, &end, 10);
	if (*end != '\0' || errno != 0 || *v > INT_MAX)
		return -1;
	return 0;
}

int
daemon_ids_lookup(const char *user, const char *group, struct daemon_ids *ids,
    struct mm_diag *diag)
{
	struct passwd	*pw;
	struct group	*gr;
	unsigned long	 v;

	memset(ids, 0, sizeof(*ids));
	if ((pw = getpwnam(user)) != NULL) {
		ids->uid = pw->pw_uid;
		ids->gid = pw->pw_gid;
		snprintf(ids->name, sizeof(ids->name), "%s", pw->pw_name);
	} else if (parse_id(user, &v) == 0) {
		ids->uid = (uid_t)v;
		if ((pw = getpwuid(ids->uid)) != NULL)
			ids->gid = pw->pw_gid;
		else if (group == NULL)
			return mm_diag_set(diag, MM_ENOENT, "user id %s has no "
			    "passwd entry: give a group with -g", user);
		snprintf(ids->name, sizeof(ids->name), "%s", user);
	} else
		return mm_diag_set(diag, MM_ENOENT, "no such user '%s'", user);
	if (group != NULL) {
		if ((gr = getgrnam(group)) != NULL)
			ids->gid = gr->gr_gid;
		else if (parse_id(group, &v) == 0)
			ids->gid = (gid_t)v;
		else
			return mm_diag_set(diag, MM_ENOENT, "no such group "
			    "'%s'", group);
	}
	if (ids->uid == 0)
		return mm_diag_set(diag, MM_EINVAL, "-u %s: refusing to "
		    "'drop' to uid 0", user);
	return 0;
}

#define WALK_MAXDEPTH	16

static int
walk(const char *path, const struct daemon_ids *ids, int depth,
    struct mm_diag *diag)
{
	struct stat	 st;
	DIR		*d;
	struct dirent	*de;
	char		 sub[PATH_MAX];
	int		 rc = 0;

	if (lstat(path, &st) != 0)
		return mm_diag_set(diag, MM_EIO, "%s: %s", path,
		    strerror(errno));
	if ((st.st_uid != ids->uid || st.st_gid != ids->gid) &&
	    lchown(path, ids->uid, ids->gid) != 0)
		return mm_diag_set(diag, MM_EIO, "%s: chown: %s", path,
		    strerror(errno));
	if (!S_ISDIR(st.st_mode))
		return 0;
	if (depth >= WALK_MAXDEPTH)
		return mm_diag_set(diag, MM_ELIMIT, "%s: deeper than %d "
		    "levels", path, WALK_MAXDEPTH);
	if ((d = opendir(path)) == NULL)
		return mm_diag_set(diag, MM_EIO, "%s: %s", path,
		    strerror(errno));
	while (rc == 0 && (de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0)
			continue;
		if ((size_t)snprintf(sub, sizeof(sub), "%s/%s", path,
		    de->d_name) >= sizeof(sub)) {
			rc = mm_diag_set(diag, MM_ERANGE, "%s/%s: path too "
			    "long", path, de->d_name);
			break;
		}
		rc = walk(sub, ids, depth + 1, diag);
	}
	closedir(d);
	return rc;
}

int
daemon_chown_tree(const char *dir, const struct daemon_ids *ids,
    struct mm_diag *diag)
{
	return walk(dir, ids, 0, diag);
}

int
daemon_drop(const struct daemon_ids *ids, struct mm_diag *diag)
{
	gid_t g = ids->gid;

	if (setgroups(1, &g) != 0)
		return mm_diag_set(diag, MM_EIO, "setgroups: %s",
		    strerror(errno));
	if (setgid(ids->gid) != 0)
		return mm_diag_set(diag, MM_EIO, "setgid(%ld): %s",
		    (long)ids->gid, strerror(errno));
	if (setuid(ids->uid) != 0)
		return mm_diag_set(diag, MM_EIO, "setuid(%ld): %s",
		    (long)ids->uid, strerror(errno));
	if (getuid() != ids->uid || geteuid() != ids->uid ||
	    getgid() != ids->gid || getegid() != ids->gid)
		return mm_diag_set(diag, MM_EIO, "privilege drop to %s did "
		    "not take effect", ids->name);
	if (setuid(0) == 0 || seteuid(0) == 0)
		return mm_diag_set(diag, MM_EIO, "privilege drop to %s: root "
		    "could be regained", ids->name);
	return 0;
}

int
daemon_pidfile_write(const char *path, struct mm_diag *diag)
{
	char	buf[32];
	int	fd, n, rc = 0;

	if ((fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
	    0644)) == -1)
		return mm_diag_set(diag, MM_EIO, "%s: %s", path,
		    strerror(errno));
	n = snprintf(buf, sizeof(buf), "%ld\n", (long)getpid());
	if (write(fd, buf, (size_t)n) != n)
		rc = mm_diag_set(diag, MM_EIO, "%s: write: %s", path,
		    strerror(errno));
	if (close(fd) != 0 && rc == 0)
		rc = mm_diag_set(diag, MM_EIO, "%s: close: %s", path,
		    strerror(errno));
	return rc;
}

int
daemon_parse_size(const char *s, uint64_t *v)
{
	return units_parse_size(s, v);
}
