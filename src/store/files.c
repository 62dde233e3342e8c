/*
 * files.c - finding store files and expiring them (see store.h).
 *
 * store_list() walks a directory tree (depth <= 8; DATADIR/flows when given
 * a data directory, else the directory itself) or takes a single file. A
 * file's interval comes from its name (flows-YYYYMMDDhhmm.mmf); its length
 * from the 24-byte file header, read only for files whose name already puts
 * them near the window. A file is listed when it may hold a flow overlapping
 * the window: its interval [start, start + rotate) is widened by
 * LIST_SKEW_MS after its end (exporter clocks, late export) and by
 * LIST_LONG_MS before the window's end (long flows exported after it
 * ended); blocks' exact time ranges then let the query skip the rest.
 * Files whose time cannot be told are always listed.
 *
 * store_expire() applies the age rule (interval end <= before), then the size
 * rule (delete oldest first until the total is at most max_bytes; the newest
 * file is never removed by the size rule, as a running collector may be
 * appending to it), and removes day/month/year directories left empty.
 *
 * Cost: one readdir per directory, one stat per file, one 24-byte read per
 * candidate file; O(F log F) sort.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/err.h"
#include "core/mtime.h"
#include "store/column.h"
#include "store/store.h"

#define LIST_SKEW_MS	(5 * 60 * 1000LL)
#define LIST_LONG_MS	(60 * 60 * 1000LL)
#define LIST_MAX_DEPTH	8
#define LIST_MAX_FILES	10000000
#define DEFAULT_ROTATE	300000

struct ent {
	char		*path;
	mtime_t		 start;
	mtime_t		 rotate;
	uint64_t	 size;
	int		 known;		/* start is known */
};

struct entv {
	struct ent	*v;
	size_t		 n, cap;
};

int
store_mkdirs(const char *dir)
{
	char buf[PATH_MAX], *p;

	if (strlen(dir) >= sizeof(buf)) {
		errno = ENAMETOOLONG;
		return MM_EIO;
	}
	strcpy(buf, dir);
	for (p = buf + 1; *p != '\0'; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(buf, 0755) != 0 && errno != EEXIST)
			return MM_EIO;
		*p = '/';
	}
	if (mkdir(buf, 0755) != 0 && errno != EEXIST)
		return MM_EIO;
	return 0;
}

/* Parses "flows-YYYYMMDDhhmm.mmf" (basename). Returns 0 or -1. */
static int
name_time(const char *base, mtime_t *t)
{
	unsigned v[5], i, j;
	static const unsigned w[5] = { 4, 2, 2, 2, 2 };
	const char *p;

	if (strncmp(base, "flows-", 6) != 0)
		return -1;
	p = base + 6;
	for (i = 0; i < 5; i++) {
		v[i] = 0;
		for (j = 0; j < w[i]; j++, p++) {
			if (*p < '0' || *p > '9')
				return -1;
			v[i] = v[i] * 10 + (unsigned)(*p - '0');
		}
	}
	if (strcmp(p, ".mmf") != 0 || v[1] < 1 || v[1] > 12 || v[2] < 1 ||
	    v[2] > 31 || v[3] > 23 || v[4] > 59)
		return -1;
	*t = ((mtime_days_from_civil(v[0], v[1], v[2]) * 24 + v[3]) * 60 + v[4]) *
	    60000LL;
	return 0;
}

static int
has_suffix(const char *s, const char *suf)
{
	size_t a = strlen(s), b = strlen(suf);

	return a >= b && strcmp(s + a - b, suf) == 0;
}

/* Reads the file header for start and rotation; 0 or -1. */
static int
read_header(const char *path, mtime_t *start, mtime_t *rotate)
{
	uint8_t h[STORE_FILE_HDRLEN];
	uint32_t rot;
	ssize_t n;
	int fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return -1;
	n = read(fd, h, sizeof(h));
	close(fd);
	if (n != (ssize_t)sizeof(h) ||
	    store_file_header_parse(h, sizeof(h), start, &rot) != 0)
		return -1;
	if (rot > 0)
		*rotate = rot;
	return 0;
}

static int
sat_add(mtime_t a, mtime_t b, mtime_t *r)
{
	if ((b > 0 && a > INT64_MAX - b) || (b < 0 && a < INT64_MIN - b))
		return -1;
	*r = a + b;
	return 0;
}

/* 1 if a file of interval [start, start+rot) may hold flows in `w`. */
static int
overlaps(mtime_t start, mtime_t rot, const struct mtime_window *w)
{
	mtime_t lim;

	if (w == NULL)
		return 1;
	if (sat_add(w->end, LIST_LONG_MS, &lim) == 0 && start >= lim)
		return 0;
	if (sat_add(start, rot + LIST_SKEW_MS, &lim) == 0 && lim <= w->start)
		return 0;
	return 1;
}

static int
entv_add(struct entv *ev, const char *path, const struct stat *st,
    const struct mtime_window *w, int force)
{
	struct ent e;
	const char *base = strrchr(path, '/');
	mtime_t hs;
	void *nv;

	base = base != NULL ? base + 1 : path;
	memset(&e, 0, sizeof(e));
	e.rotate = DEFAULT_ROTATE;
	e.size = (uint64_t)st->st_size;
	if (name_time(base, &e.start) == 0) {
		e.known = 1;
		/* Prefilter by name: rotation is at most a day. */
		if (!force && !overlaps(e.start, 86400000LL, w))
			return 0;
		if (read_header(path, &hs, &e.rotate) != 0)
			e.rotate = DEFAULT_ROTATE;
	} else if (read_header(path, &e.start, &e.rotate) == 0)
		e.known = 1;
	if (!force && e.known && !overlaps(e.start, e.rotate, w))
		return 0;
	if (ev->n >= LIST_MAX_FILES)
		return MM_ELIMIT;
	if (ev->n == ev->cap) {
		size_t cap = ev->cap ? ev->cap * 2 : 64;

		if ((nv = realloc(ev->v, cap * sizeof(*ev->v))) == NULL)
			return MM_ENOMEM;
		ev->v = nv;
		ev->cap = cap;
	}
	if ((e.path = strdup(path)) == NULL)
		return MM_ENOMEM;
	ev->v[ev->n++] = e;
	return 0;
}

static int
walk(struct entv *ev, const char *dir, int depth,
    const struct mtime_window *w, struct mm_diag *diag)
{
	DIR *d;
	struct dirent *de;
	struct stat st;
	char p[PATH_MAX];
	int rc = 0;

	if (depth > LIST_MAX_DEPTH)
		return 0;
	if ((d = opendir(dir)) == NULL)
		return mm_diag_set(diag, MM_EIO, "%s: %s", dir,
		    strerror(errno));
	while (rc == 0 && (de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		if ((size_t)snprintf(p, sizeof(p), "%s/%s", dir, de->d_name) >=
		    sizeof(p))
			continue;
		if (stat(p, &st) != 0)
			continue;	/* raced with expiry */
		if (S_ISDIR(st.st_mode))
			rc = walk(ev, p, depth + 1, w, diag);
		else if (S_ISREG(st.st_mode) && has_suffix(de->d_name, ".mmf"))
			rc = entv_add(ev, p, &st, w, 0);
	}
	closedir(d);
	if (rc == MM_ENOMEM || rc == MM_ELIMIT)
		mm_diag_set(diag, rc, "%s: too many files", dir);
	return rc;
}

static int
ent_cmp(const void *a, const void *b)
{
	const struct ent *x = a, *y = b;

	if (x->known != y->known)
		return x->known - y->known;	/* unknown first */
	if (x->start != y->start)
		return x->start < y->start ? -1 : 1;
	return strcmp(x->path, y->path);
}

static void
entv_free(struct entv *ev)
{
	size_t i;

	for (i = 0; i < ev->n; i++)
		free(ev->v[i].path);
	free(ev->v);
	ev->v = NULL;
	ev->n = ev->cap = 0;
}

/* Collects and sorts; `path` is a file, a data directory or any tree. */
static int
collect(const char *path, const struct mtime_window *w, struct entv *ev,
    int flows_only, struct mm_diag *diag)
{
	struct stat st;
	char sub[PATH_MAX];
	int rc;

	memset(ev, 0, sizeof(*ev));
	if (stat(path, &st) != 0)
		return mm_diag_set(diag, errno == ENOENT ? MM_ENOENT : MM_EIO,
		    "%s: %s", path, strerror(errno));
	if (S_ISREG(st.st_mode)) {
		if (flows_only)
			return mm_diag_set(diag, MM_EINVAL,
			    "%s: not a directory", path);
		rc = entv_add(ev, path, &st, w, 1);
	} else if (S_ISDIR(st.st_mode)) {
		if ((size_t)snprintf(sub, sizeof(sub), "%s/flows", path) <
		    sizeof(sub) && stat(sub, &st) == 0 && S_ISDIR(st.st_mode))
			rc = walk(ev, sub, 0, w, diag);
		else if (flows_only)
			rc = 0;
		else
			rc = walk(ev, path, 0, w, diag);
	} else
		return mm_diag_set(diag, MM_EINVAL, "%s: not a file or "
		    "directory", path);
	if (rc != 0) {
		entv_free(ev);
		return rc;
	}
	if (ev->n > 1)
		qsort(ev->v, ev->n, sizeof(*ev->v), ent_cmp);
	return 0;
}

int
store_list(const char *path, const struct mtime_window *w, char ***paths,
    size_t *npaths, struct mm_diag *diag)
{
	struct entv ev;
	char **out;
	size_t i;
	int rc;

	*paths = NULL;
	*npaths = 0;
	if ((rc = collect(path, w, &ev, 0, diag)) != 0)
		return rc;
	if ((out = calloc(ev.n ? ev.n : 1, sizeof(*out))) == NULL) {
		entv_free(&ev);
		return MM_ENOMEM;
	}
	for (i = 0; i < ev.n; i++) {
		out[i] = ev.v[i].path;	/* ownership moves */
		ev.v[i].path = NULL;
	}
	*paths = out;
	*npaths = ev.n;
	entv_free(&ev);
	return 0;
}

void
store_paths_free(char **paths, size_t npaths)
{
	size_t i;

	if (paths == NULL)
		return;
	for (i = 0; i < npaths; i++)
		free(paths[i]);
	free(paths);
}

/* Removes the now-empty parent directories of `file` below `top`. */
static void
prune_dirs(const char *file, const char *top)
{
	char d[PATH_MAX], *s;
	size_t tl = strlen(top);

	if (strlen(file) >= sizeof(d))
		return;
	strcpy(d, file);
	while ((s = strrchr(d, '/')) != NULL) {
		*s = '\0';
		if (strlen(d) <= tl)
			break;
		if (rmdir(d) != 0)
			break;	/* not empty (or gone): stop */
	}
}

int
store_expire(const char *datadir, mtime_t before, uint64_t max_bytes,
    int dry_run, struct store_expire_result *res, struct mm_diag *diag)
{
	struct entv ev;
	struct store_expire_result r;
	char top[PATH_MAX];
	uint64_t total = 0;
	mtime_t end;
	size_t i;
	int rc, *del = NULL, err = 0;

	memset(&r, 0, sizeof(r));
	if (res != NULL)
		*res = r;
	if ((size_t)snprintf(top, sizeof(top), "%s/flows", datadir) >=
	    sizeof(top))
		return mm_diag_set(diag, MM_EINVAL, "%s: path too long",
		    datadir);
	if ((rc = collect(datadir, NULL, &ev, 1, diag)) != 0)
		return rc;
	if ((del = calloc(ev.n ? ev.n : 1, sizeof(*del))) == NULL) {
		entv_free(&ev);
		return MM_ENOMEM;
	}
	for (i = 0; i < ev.n; i++) {
		if (before != 0 && ev.v[i].known &&
		    sat_add(ev.v[i].start, ev.v[i].rotate, &end) == 0 &&
		    end <= before)
			del[i] = 1;
		else
			total += ev.v[i].size;
	}
	/* Size rule: oldest first, never the newest file. */
	for (i = 0; max_bytes != 0 && total > max_bytes && i + 1 < ev.n; i++) {
		if (del[i])
			continue;
		del[i] = 1;
		total -= ev.v[i].size;
	}
	for (i = 0; i < ev.n; i++) {
		if (!del[i]) {
			r.files_kept++;
			r.bytes_kept += ev.v[i].size;
			continue;
		}
		if (!dry_run) {
			if (unlink(ev.v[i].path) != 0 && errno != ENOENT) {
				if (err == 0)
					err = mm_diag_set(diag, MM_EIO,
					    "%s: %s", ev.v[i].path,
					    strerror(errno));
				r.files_kept++;
				r.bytes_kept += ev.v[i].size;
				continue;
			}
			prune_dirs(ev.v[i].path, top);
		}
		r.files_removed++;
		r.bytes_removed += ev.v[i].size;
	}
	if (res != NULL)
		*res = r;
	free(del);
	entv_free(&ev);
	return err;
}
