/*
 * cli.h - the command-line layer: one binary, `mamori CMD [options]`.
 *
 * Each subcommand lives in cmd_<name>.c and exports cmd_<name>(argc, argv)
 * (argv[0] is the subcommand name) and usage_<name>(FILE *). Exit codes are
 * the same everywhere: 0 ok, 1 runtime error, 2 usage error. Only this layer
 * prints; library modules return error codes and struct mm_diag lines.
 */
#ifndef MAMORI_CLI_CLI_H
#define MAMORI_CLI_CLI_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <jansson.h>

#define EXIT_OK		0
#define EXIT_RUNTIME	1
#define EXIT_USAGE	2

enum out_format {
	OUT_TABLE = 0,
	OUT_CSV,
	OUT_JSON
};

struct command {
	const char	*name;
	const char	*summary;
	int		(*run)(int argc, char **argv);
	void		(*usage)(FILE *fp);
};

/* The command table (NULL-terminated by name). */
extern const struct command commands[];

/* Data directory: --data DIR if given, else $MAMORI_DATA, else
 * ./mamori-data. Returns a static or argument string. */
const char	*cli_datadir(const char *opt);
/* Parses "table", "csv", "json"; returns 0 or -1. */
int		 cli_out_format(const char *s, enum out_format *f);
/* Prints "mamori CMD: msg" to stderr (printf style). */
void		 cli_err(const char *cmd, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;
/* Writes `s` to fp as one RFC 4180 CSV field: as is, or double-quoted with
 * quotes doubled when it holds a comma, quote, CR or LF. NULL writes an
 * empty field. */
void		 cli_csv_field(FILE *fp, const char *s);
/* Writes `s` to fp as one CSV field that is always double-quoted, quotes
 * doubled. NULL writes "". */
void		 cli_csv_quoted(FILE *fp, const char *s);
/* Writes `o` to stdout as json_dumps(o, flags) and a newline, then drops
 * the caller's reference to `o` (NULL-safe: prints nothing). */
void		 cli_json_println(json_t *o, size_t flags);
/* Parses all of `s` as a base-10 integer in [min, max]. Returns 0 or -1
 * (*v is then unspecified). `s` and `v` may not be NULL. */
int		 cli_parse_ll(const char *s, long long min, long long max,
		    long long *v);
/* Parses all of `s` as a base-10 unsigned integer in [min, max]; it must
 * start with a digit (no sign or space). Returns 0 or -1 (*v untouched). */
int		 cli_parse_u64(const char *s, uint64_t min, uint64_t max,
		    uint64_t *v);
/* The -t SECONDS option (store file rotation, 1 s to 7 days): sets
 * *rotate_ms, or prints "mamori CMD: -t S: expected ..." and returns -1. */
int		 cli_rotate_opt(const char *cmd, const char *s,
		    int64_t *rotate_ms);
/* Parses all of `s` with strtod(); NaN, overflow and trailing text are
 * errors. Returns 0 or -1. `s` and `v` may not be NULL. */
int		 cli_parse_double(const char *s, double *v);
/* Creates `dir` and its parents (mode 0755). Returns 0 or -1 (errno). */
int		 cli_mkdirs(const char *dir);
/*
 * Finds the shipped data directory or file data/REL ("fingerprints",
 * "credentials/mirai.creds"): $ENV when set (returned as is; env may be
 * NULL), $MAMORI_SRCDIR/data/REL, ./data/REL, then next to the binary
 * (../data, data, ../share/mamori), then /usr/local/share/mamori and
 * /usr/share/mamori. Returns buf, or NULL when none exists.
 */
const char	*cli_data_find(const char *rel, const char *env, char *buf,
		    size_t len);
/* 1 if stderr is a terminal (progress lines are shown only then). */
int		 cli_progress_enabled(void);

#define CLI_DECL(name) \
	int cmd_##name(int argc, char **argv); \
	void usage_##name(FILE *fp)

CLI_DECL(collect);
CLI_DECL(flows);
CLI_DECL(import);
CLI_DECL(findings);
CLI_DECL(expire);
CLI_DECL(lab);
CLI_DECL(lab_replay);
CLI_DECL(c2);
CLI_DECL(survey);
CLI_DECL(routes);
CLI_DECL(notify);

#endif
