/*
 * import_test_util.h - helpers shared by the importer tests: a sink that
 * renders every flow as one text line (compared with golden files under
 * tests/import/data/), keeps the warnings, and golden file handling
 * (MAMORI_UPDATE_GOLDEN=1 rewrites them).
 */
#ifndef IMPORT_TEST_UTIL_H
#define IMPORT_TEST_UTIL_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <setjmp.h>
#include <cmocka.h>

#include "core/addr.h"
#include "core/mtime.h"
#include "import/import.h"

#define DATA(f)	MAMORI_SRCDIR "/tests/import/data/" f

struct tsink {
	char		*buf;
	size_t		 len, cap;
	size_t		 nflows;
	char		 warn[64][MM_DIAG_LEN];
	size_t		 nwarn;
	int		 stop_after;	/* >0: emit returns -99 after N */
	struct import_sink sink;
};

static inline void
ts_append(struct tsink *t, const char *s)
{
	size_t n = strlen(s);

	if (t->len + n + 1 > t->cap) {
		t->cap = (t->len + n + 1) * 2;
		t->buf = realloc(t->buf, t->cap);
		assert_non_null(t->buf);
	}
	memcpy(t->buf + t->len, s, n + 1);
	t->len += n;
}

static inline int
ts_emit(void *arg, const struct flow *f)
{
	struct tsink	*t = arg;
	char		 line[512], a[ADDR_STRLEN], b[ADDR_STRLEN];
	char		 t1[MTIME_STRLEN], t2[MTIME_STRLEN];

	snprintf(line, sizeof(line), "%s %s %s %u > %s %u p%u pk=%llu "
	    "by=%llu fl=0x%02x tos=%u vlan=%u\n",
	    mtime_fmt(f->first, 1, t1, sizeof(t1)),
	    mtime_fmt(f->last, 1, t2, sizeof(t2)),
	    addr_fmt(&f->src, a, sizeof(a)), f->src_port,
	    addr_fmt(&f->dst, b, sizeof(b)), f->dst_port, f->proto,
	    (unsigned long long)f->packets, (unsigned long long)f->bytes,
	    f->tcp_flags, f->tos, f->vlan);
	ts_append(t, line);
	t->nflows++;
	if (t->stop_after > 0 && t->nflows >= (size_t)t->stop_after)
		return -99;
	return 0;
}

static inline void
ts_warn(void *arg, const struct mm_diag *d)
{
	struct tsink *t = arg;

	if (t->nwarn < 64)
		snprintf(t->warn[t->nwarn], MM_DIAG_LEN, "%s", d->msg);
	t->nwarn++;
}

static inline void
ts_init(struct tsink *t)
{
	memset(t, 0, sizeof(*t));
	t->sink.emit = ts_emit;
	t->sink.warn = ts_warn;
	t->sink.arg = t;
	ts_append(t, "");
}

static inline void
ts_free(struct tsink *t)
{
	free(t->buf);
	t->buf = NULL;
}

/* 1 if some warning contains `s` */
static inline int
ts_warned(const struct tsink *t, const char *s)
{
	size_t i;

	for (i = 0; i < t->nwarn && i < 64; i++)
		if (strstr(t->warn[i], s) != NULL)
			return 1;
	return 0;
}

static inline char *
read_all(const char *path, size_t *len)
{
	FILE	*fp;
	char	*buf;
	long	 n;

	if ((fp = fopen(path, "rb")) == NULL)
		return NULL;
	fseek(fp, 0, SEEK_END);
	n = ftell(fp);
	fseek(fp, 0, SEEK_SET);
	buf = malloc((size_t)n + 1);
	assert_non_null(buf);
	assert_int_equal(fread(buf, 1, (size_t)n, fp), (size_t)n);
	buf[n] = '\0';
	fclose(fp);
	*len = (size_t)n;
	return buf;
}

/* Compares the rendered flows with a golden file. */
static inline void
golden_check(const struct tsink *t, const char *path)
{
	FILE	*fp;
	char	*g;
	size_t	 n;

	if (getenv("MAMORI_UPDATE_GOLDEN") != NULL) {
		fp = fopen(path, "w");
		assert_non_null(fp);
		fputs(t->buf, fp);
		fclose(fp);
		return;
	}
	g = read_all(path, &n);
	if (g == NULL)
		fail_msg("golden file %s missing", path);
	if (strcmp(g, t->buf) != 0) {
		fprintf(stderr, "--- want %s\n%s--- got\n%s", path, g, t->buf);
		free(g);
		fail_msg("output differs from %s", path);
	}
	free(g);
}

#endif
