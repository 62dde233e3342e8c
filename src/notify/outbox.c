/*
 * outbox.c - atomic .eml files in a directory; see outbox.h for the model.
 *
 * Approach. Write to a hidden temporary name created with O_EXCL, fsync,
 * then link(2) it to the final name: unlike rename(2), link never replaces
 * an existing file, so a name collision (two processes with a recycled pid
 * in the same millisecond, a clock step back) is seen as EEXIST and the
 * writer takes the next counter value. Then the temporary name is removed
 * and the directory fsync'ed so the new entry survives a crash. The
 * per-process counter is atomic, so threads may write concurrently.
 *
 * Bounds: names are checked by outbox_name_valid() before any path is
 * built from them (no '/', no leading '.'); reads refuse symlinks and files
 * over the cap; a listing holds at most OUTBOX_LIST_MAX names; a write
 * retries at most NAME_TRIES names.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "notify/outbox.h"

#define NAME_TRIES	1000
#define TMP_PREFIX	".tmp-"

static atomic_uint outbox_seq;

int
outbox_name_valid(const char *name)
{
	size_t n, i, sl = sizeof(OUTBOX_SUFFIX) - 1;

	if (name == NULL)
		return 0;
	n = strlen(name);
	if (n <= sl || n > OUTBOX_NAME_MAX || name[0] == '.' ||
	    strcmp(name + n - sl, OUTBOX_SUFFIX) != 0)
		return 0;
	for (i = 0; i < n; i++) {
		char c = name[i];

		if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
		    (c >= 'A' && c <= 'Z') || c == '.' || c == '_' ||
		    c == '-'))
			return 0;
	}
	return 1;
}

static int
path_join(char *buf, size_t len, const char *dir, const char *pfx,
    const char *name)
{
	int n = snprintf(buf, len, "%s/%s%s", dir, pfx, name);

	return n < 0 || (size_t)n >= len ? -1 : 0;
}

static void
make_name(char *buf, size_t len, mtime_t now, unsigned seq)
{
	int64_t days, ms;
	unsigned mo, d;
	int64_t y;

	days = now / 86400000;
	ms = now % 86400000;
	if (ms < 0) {
		ms += 86400000;
		days--;
	}
	mtime_civil_from_days(days, &y, &mo, &d);
	snprintf(buf, len, "%04lld%02u%02uT%02d%02d%02d.%03dZ-%07ld-%08u%s",
	    (long long)y, mo, d, (int)(ms / 3600000), (int)(ms / 60000 % 60),
	    (int)(ms / 1000 % 60), (int)(ms % 1000), (long)getpid(), seq,
	    OUTBOX_SUFFIX);
}

static int
write_all(int fd, const uint8_t *p, size_t len)
{
	while (len > 0) {
		ssize_t w = write(fd, p, len);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += w;
		len -= (size_t)w;
	}
	return 0;
}

static int
fsync_dir(const char *dir)
{
	int fd, rc;

	if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1)
		return -1;
	rc = fsync(fd);
	close(fd);
	return rc;
}

int
outbox_write(const char *dir, const uint8_t *msg, size_t len, mtime_t now,
    char *name, size_t namelen, struct mm_diag *diag)
{
	char nm[128], tmp[4096], fin[4096];
	int fd = -1, rc = 0, tries, made_tmp = 0;

	if (dir == NULL || name == NULL || namelen < OUTBOX_NAME_MAX + 1 ||
	    (msg == NULL && len > 0))
		return mm_diag_set(diag, MM_EINVAL, "outbox: bad argument");
	if (len > OUTBOX_MSG_MAX)
		return mm_diag_set(diag, MM_EINVAL, "outbox: message of %zu "
		    "bytes, over the cap of %zu", len, OUTBOX_MSG_MAX);
	if (now == 0)
		now = mtime_now();
	name[0] = '\0';

	make_name(nm, sizeof(nm), now, atomic_fetch_add(&outbox_seq, 1));
	if (path_join(tmp, sizeof(tmp), dir, TMP_PREFIX, nm) != 0)
		return mm_diag_set(diag, MM_EINVAL, "%s: path too long", dir);
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC,
	    0640)) == -1) {
		rc = mm_diag_set(diag, MM_EIO, "%s: %s", tmp, strerror(errno));
		goto out;
	}
	made_tmp = 1;
	if (write_all(fd, msg, len) != 0 || fsync(fd) != 0) {
		rc = mm_diag_set(diag, MM_EIO, "%s: %s", tmp, strerror(errno));
		goto out;
	}
	if (close(fd) != 0) {
		fd = -1;
		rc = mm_diag_set(diag, MM_EIO, "%s: %s", tmp, strerror(errno));
		goto out;
	}
	fd = -1;
	for (tries = 0; ; tries++) {
		if (path_join(fin, sizeof(fin), dir, "", nm) != 0) {
			rc = mm_diag_set(diag, MM_EINVAL, "%s: path too long",
			    dir);
			goto out;
		}
		if (link(tmp, fin) == 0)
			break;
		if (errno != EEXIST || tries >= NAME_TRIES) {
			rc = mm_diag_set(diag, MM_EIO, "%s: %s", fin,
			    strerror(errno));
			goto out;
		}
		make_name(nm, sizeof(nm), now, atomic_fetch_add(&outbox_seq,
		    1));
	}
	if (fsync_dir(dir) != 0) {
		rc = mm_diag_set(diag, MM_EIO, "%s: fsync: %s", dir,
		    strerror(errno));
		unlink(fin);
		goto out;
	}
	snprintf(name, namelen, "%s", nm);
 out:
	if (fd != -1)
		close(fd);
	if (made_tmp)
		unlink(tmp);
	return rc;
}

static int
cmp_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

void
outbox_list_free(char **names, size_t n)
{
	size_t i;

	if (names == NULL)
		return;
	for (i = 0; i < n; i++)
		free(names[i]);
	free(names);
}

int
outbox_list(const char *dir, char ***namesp, size_t *np,
    struct mm_diag *diag)
{
	char **names = NULL, **t;
	size_t n = 0, cap = 0;
	struct dirent *de;
	DIR *d;
	int rc = 0;

	*namesp = NULL;
	*np = 0;
	if (dir == NULL)
		return mm_diag_set(diag, MM_EINVAL, "outbox: no directory");
	if ((d = opendir(dir)) == NULL)
		return mm_diag_set(diag, MM_EIO, "%s: %s", dir,
		    strerror(errno));
	while ((de = readdir(d)) != NULL) {
		if (!outbox_name_valid(de->d_name))
			continue;
		if (n == OUTBOX_LIST_MAX) {
			rc = mm_diag_set(diag, MM_ELIMIT, "%s: more than %d "
			    "messages", dir, OUTBOX_LIST_MAX);
			goto out;
		}
		if (n == cap) {
			cap = cap ? cap * 2 : 64;
			if ((t = realloc(names, cap * sizeof(*names))) ==
			    NULL) {
				rc = mm_diag_set(diag, MM_ENOMEM,
				    "outbox: out of memory");
				goto out;
			}
			names = t;
		}
		if ((names[n] = strdup(de->d_name)) == NULL) {
			rc = mm_diag_set(diag, MM_ENOMEM,
			    "outbox: out of memory");
			goto out;
		}
		n++;
	}
	if (n > 0)
		qsort(names, n, sizeof(*names), cmp_name);
 out:
	closedir(d);
	if (rc != 0) {
		outbox_list_free(names, n);
		return rc;
	}
	if (n == 0) {
		free(names);
		names = NULL;
	}
	*namesp = names;
	*np = n;
	return 0;
}

int
outbox_read(const char *dir, const char *name, size_t cap, uint8_t **bufp,
    size_t *lenp, struct mm_diag *diag)
{
	char path[4096];
	uint8_t *buf = NULL;
	struct stat sb;
	size_t off = 0;
	int fd, rc = 0;

	*bufp = NULL;
	*lenp = 0;
	if (cap == 0)
		cap = OUTBOX_MSG_MAX;
	if (dir == NULL || !outbox_name_valid(name))
		return mm_diag_set(diag, MM_EINVAL, "outbox: invalid name");
	if (path_join(path, sizeof(path), dir, "", name) != 0)
		return mm_diag_set(diag, MM_EINVAL, "%s: path too long", dir);
	if ((fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) == -1)
		return mm_diag_set(diag, errno == ENOENT ? MM_ENOENT : MM_EIO,
		    "%s: %s", path, strerror(errno));
	if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode)) {
		rc = mm_diag_set(diag, MM_EIO, "%s: not a regular file", path);
		goto out;
	}
	if ((uint64_t)sb.st_size > cap) {
		rc = mm_diag_set(diag, MM_ELIMIT, "%s: %lld bytes, over the "
		    "cap of %zu", path, (long long)sb.st_size, cap);
		goto out;
	}
	if ((buf = malloc((size_t)sb.st_size + 1)) == NULL) {
		rc = mm_diag_set(diag, MM_ENOMEM, "outbox: out of memory");
		goto out;
	}
	while (off < (size_t)sb.st_size) {
		ssize_t r = read(fd, buf + off, (size_t)sb.st_size - off);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			rc = mm_diag_set(diag, MM_EIO, "%s: short read",
			    path);
			goto out;
		}
		off += (size_t)r;
	}
	buf[off] = '\0';
	*bufp = buf;
	*lenp = off;
	buf = NULL;
 out:
	free(buf);
	close(fd);
	return rc;
}

int
outbox_remove(const char *dir, const char *name, struct mm_diag *diag)
{
	char path[4096];

	if (dir == NULL || !outbox_name_valid(name))
		return mm_diag_set(diag, MM_EINVAL, "outbox: invalid name");
	if (path_join(path, sizeof(path), dir, "", name) != 0)
		return mm_diag_set(diag, MM_EINVAL, "%s: path too long", dir);
	if (unlink(path) != 0)
		return mm_diag_set(diag, errno == ENOENT ? MM_ENOENT : MM_EIO,
		    "%s: %s", path, strerror(errno));
	return 0;
}
