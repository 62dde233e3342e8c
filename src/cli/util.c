/*
 * util.c - small helpers shared by the cmd_*.c files: strict whole-string
 * number parsing for option values, always-quoted CSV fields and one-line
 * JSON records. Each is O(length of its input) and keeps no state; none
 * prints anything but the value it is asked to write.
 */
#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "cli/cli.h"

int
cli_parse_ll(const char *s, long long min, long long max, long long *v)
{
	char *end;

	errno = 0;
	*v = strtoll(s, &end, 10);
	if (*s == '\0' || *end != '\0' || errno != 0 || *v < min || *v > max)
		return -1;
	return 0;
}

int
cli_parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *v)
{
	char *end;
	unsigned long long x;

	if (*s < '0' || *s > '9')
		return -1;
	errno = 0;
	x = strtoull(s, &end, 10);
	if (*end != '\0' || errno != 0 || x < min || x > max)
		return -1;
	*v = x;
	return 0;
}

int
cli_rotate_opt(const char *cmd, const char *s, int64_t *rotate_ms)
{
	uint64_t secs;

	if (cli_parse_u64(s, 1, 86400 * 7, &secs) != 0) {
		cli_err(cmd, "-t %s: expected seconds from 1 to 604800", s);
		return -1;
	}
	*rotate_ms = (int64_t)secs * 1000;
	return 0;
}

int
cli_parse_double(const char *s, double *v)
{
	char *end;

	errno = 0;
	*v = strtod(s, &end);
	if (*s == '\0' || *end != '\0' || errno != 0 || *v != *v)
		return -1;
	return 0;
}

void
cli_csv_quoted(FILE *fp, const char *s)
{
	const char *p;

	fputc('"', fp);
	for (p = s != NULL ? s : ""; *p != '\0'; p++) {
		if (*p == '"')
			fputc('"', fp);
		fputc(*p, fp);
	}
	fputc('"', fp);
}

void
cli_json_println(json_t *o, size_t flags)
{
	char *s;

	if (o != NULL && (s = json_dumps(o, flags)) != NULL) {
		printf("%s\n", s);
		free(s);
	}
	json_decref(o);
}

/* Sets buf to A B C; returns 1 if that path exists. */
static int
util_path_try(char *buf, size_t len, const char *a, const char *b,
    const char *c)
{
	struct stat sb;
	int n;

	n = snprintf(buf, len, "%s%s%s", a, b, c);
	return n > 0 && (size_t)n < len && stat(buf, &sb) == 0;
}

const char *
cli_data_find(const char *rel, const char *env, char *buf, size_t len)
{
	static const char *const inst[] = { "/usr/local/share/mamori/",
	    "/usr/share/mamori/" };
	char exe[PATH_MAX], *slash;
	const char *e;
	ssize_t n;
	size_t i;

	if (env != NULL && (e = getenv(env)) != NULL && *e != '\0') {
		snprintf(buf, len, "%s", e);
		return buf;
	}
	if ((e = getenv("MAMORI_SRCDIR")) != NULL && *e != '\0' &&
	    util_path_try(buf, len, e, "/data/", rel))
		return buf;
	if (util_path_try(buf, len, "", "data/", rel))
		return buf;
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n > 0 && (size_t)n < sizeof(exe) - 1) {
		exe[n] = '\0';
		if ((slash = strrchr(exe, '/')) != NULL) {
			*slash = '\0';
			if (util_path_try(buf, len, exe, "/../data/", rel) ||
			    util_path_try(buf, len, exe, "/data/", rel) ||
			    util_path_try(buf, len, exe, "/../share/mamori/",
			    rel))
				return buf;
		}
	}
	for (i = 0; i < sizeof(inst) / sizeof(inst[0]); i++)
		if (util_path_try(buf, len, inst[i], "", rel))
			return buf;
	return NULL;
}
