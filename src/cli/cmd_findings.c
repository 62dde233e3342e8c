/*
 * cmd_findings.c - `mamori findings list|show|export|set-status|add`.
 *
 * A thin layer over findings/findings.h: options become a struct
 * findings_filter, rows stream back through a callback and are printed as
 * an aligned table (rows are buffered to size the columns, so a table is
 * O(rows) memory; csv and json stream in O(1)), RFC 4180 CSV, or JSON
 * lines. `show` prints one pretty JSON object with the evidence inlined.
 * `add` is for scripts and tests (its options are documented in
 * mamori-findings(1), not in the short usage). Read-only commands never create a database: a data dir
 * without findings.db simply has no findings. Table cells have control
 * characters replaced (summaries may quote attacker-written banners); CSV
 * quotes and JSON escapes them.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "cli/cli.h"
#include "findings/findings.h"

#define CMD	"findings"

enum { OPT_DATA = 256, OPT_KIND, OPT_DETECTOR, OPT_STATUS, OPT_SEVERITY,
	OPT_SUBJECT, OPT_SINCE, OPT_UNTIL, OPT_MINSCORE, OPT_SORT, OPT_PORT,
	OPT_PROTO, OPT_SCORE, OPT_SUMMARY, OPT_EVIDENCE, OPT_DEDUP, OPT_NOTE,
	OPT_FIRST, OPT_LAST, OPT_COUNT, OPT_REPLACE, OPT_REOPEN };

static const struct option longopts[] = {
	{ "data",	required_argument, NULL, OPT_DATA },
	{ "kind",	required_argument, NULL, OPT_KIND },
	{ "detector",	required_argument, NULL, OPT_DETECTOR },
	{ "status",	required_argument, NULL, OPT_STATUS },
	{ "severity",	required_argument, NULL, OPT_SEVERITY },
	{ "subject",	required_argument, NULL, OPT_SUBJECT },
	{ "since",	required_argument, NULL, OPT_SINCE },
	{ "until",	required_argument, NULL, OPT_UNTIL },
	{ "min-score",	required_argument, NULL, OPT_MINSCORE },
	{ "sort",	required_argument, NULL, OPT_SORT },
	{ "limit",	required_argument, NULL, 'n' },
	{ "output",	required_argument, NULL, 'o' },
	{ "port",	required_argument, NULL, OPT_PORT },
	{ "proto",	required_argument, NULL, OPT_PROTO },
	{ "score",	required_argument, NULL, OPT_SCORE },
	{ "summary",	required_argument, NULL, OPT_SUMMARY },
	{ "evidence",	required_argument, NULL, OPT_EVIDENCE },
	{ "dedup",	required_argument, NULL, OPT_DEDUP },
	{ "note",	required_argument, NULL, OPT_NOTE },
	{ "first-seen",	required_argument, NULL, OPT_FIRST },
	{ "last-seen",	required_argument, NULL, OPT_LAST },
	{ "count",	required_argument, NULL, OPT_COUNT },
	{ "replace-count", no_argument,	   NULL, OPT_REPLACE },
	{ "reopen",	no_argument,	   NULL, OPT_REOPEN },
	{ "help",	no_argument,	   NULL, 'h' },
	{ NULL, 0, NULL, 0 }
};

static const struct {
	const char		*name;
	enum findings_order	 order;
	int			 desc;	/* default direction */
} sort_keys[] = {
	{ "id",		FINDINGS_ORDER_ID,		0 },
	{ "first",	FINDINGS_ORDER_FIRST_SEEN,	0 },
	{ "first-seen",	FINDINGS_ORDER_FIRST_SEEN,	0 },
	{ "last",	FINDINGS_ORDER_LAST_SEEN,	1 },
	{ "last-seen",	FINDINGS_ORDER_LAST_SEEN,	1 },
	{ "score",	FINDINGS_ORDER_SCORE,		1 },
	{ "severity",	FINDINGS_ORDER_SEVERITY,	1 },
	{ "count",	FINDINGS_ORDER_COUNT,		1 },
	{ "subject",	FINDINGS_ORDER_SUBJECT,		0 },
};

struct opts {
	const char		*data;
	struct findings_filter	 flt;
	enum out_format		 fmt;
	int			 fmt_set;
	struct finding		 add;	/* for `add`; borrowed strings */
	const char		*subject;
	const char		*note;
	int			 flags;
};

void
usage_findings(FILE *fp)
{
	fprintf(fp,
	    "usage: mamori findings list [filters] [-o table|csv|json] "
	    "[-n LIMIT] [--sort KEY]\n"
	    "       mamori findings show ID [-o json|table|csv]\n"
	    "       mamori findings export [filters] [-o json|csv|table]\n"
	    "       mamori findings set-status ID STATUS [--note TEXT]\n"
	    "       mamori findings add --kind K --detector D --subject ADDR "
	    "[add options]\n"
	    "\n"
	    "filters:\n"
	    "  --kind K           kind (c2-server, c2-client, device, ...)\n"
	    "  --detector D       detector name\n"
	    "  --status S         open|notified|remediated|false-positive|"
	    "closed\n"
	    "  --severity MIN     at least info|low|medium|high|critical\n"
	    "  --subject PREFIX   subject address inside PREFIX "
	    "(10.0.0.0/8, 2001:db8::/32)\n"
	    "  --since T, --until T  seen in [T1, T2) (RFC 3339, "
	    "2024/05/01.12:00, or -1h)\n"
	    "  --min-score S      score at least S\n"
	    "  --sort KEY         id|first|last|score|severity|count|subject"
	    " (-KEY: reverse)\n"
	    "  -n LIMIT           at most LIMIT findings\n"
	    "  --data DIR         data directory (default $MAMORI_DATA, "
	    "else ./mamori-data)\n"
	    "add (for scripts) and its options: see mamori-findings(1).\n");
}

/* "-1h" (relative to now) or any mtime_parse form. */
static int
parse_time(const char *s, mtime_t *t)
{
	mtime_t d;

	if (s[0] == '-') {
		if (mtime_parse_duration(s + 1, &d) != 0)
			return -1;
		*t = mtime_now() - d;
		return 0;
	}
	return mtime_parse(s, t) == 0 ? 0 : -1;
}

static int
parse_sort(const char *s, struct findings_filter *flt)
{
	int rev = 0;
	size_t i;

	if (*s == '-' || *s == '+') {
		rev = *s == '-';
		s++;
	}
	for (i = 0; i < sizeof(sort_keys) / sizeof(sort_keys[0]); i++)
		if (strcmp(s, sort_keys[i].name) == 0) {
			flt->order = sort_keys[i].order;
			flt->desc = rev ? !sort_keys[i].desc : sort_keys[i].desc;
			return 0;
		}
	return -1;
}

/* Parses options; returns 0 or EXIT_USAGE (message printed). */
static int
parse_opts(int argc, char **argv, struct opts *o)
{
	enum finding_severity sev;
	enum finding_status st;
	long long v;
	double d;
	int ch;

	while ((ch = getopt_long(argc, argv, "hn:o:", longopts, NULL)) != -1) {
		switch (ch) {
		case OPT_DATA:
			o->data = optarg;
			break;
		case OPT_KIND:
			o->flt.kind = o->add.kind = optarg;
			break;
		case OPT_DETECTOR:
			o->flt.detector = o->add.detector = optarg;
			break;
		case OPT_STATUS:
			if (findings_status_parse(optarg, &st) != 0) {
				cli_err(CMD, "bad --status '%s'", optarg);
				return EXIT_USAGE;
			}
			o->flt.status = (int)st;
			o->add.status = st;
			break;
		case OPT_SEVERITY:
			if (findings_severity_parse(optarg, &sev) != 0) {
				cli_err(CMD, "bad --severity '%s' (info, low, "
				    "medium, high, critical)", optarg);
				return EXIT_USAGE;
			}
			o->flt.min_severity = (int)sev;
			o->add.severity = sev;
			break;
		case OPT_SUBJECT:
			o->subject = optarg;
			break;
		case OPT_SINCE:
			if (parse_time(optarg, &o->flt.since) != 0) {
				cli_err(CMD, "bad --since '%s'", optarg);
				return EXIT_USAGE;
			}
			break;
		case OPT_UNTIL:
			if (parse_time(optarg, &o->flt.until) != 0) {
				cli_err(CMD, "bad --until '%s'", optarg);
				return EXIT_USAGE;
			}
			break;
		case OPT_MINSCORE:
			if (cli_parse_double(optarg, &o->flt.min_score) != 0) {
				cli_err(CMD, "bad --min-score '%s'", optarg);
				return EXIT_USAGE;
			}
			o->flt.has_min_score = 1;
			break;
		case OPT_SORT:
			if (parse_sort(optarg, &o->flt) != 0) {
				cli_err(CMD, "bad --sort '%s'", optarg);
				return EXIT_USAGE;
			}
			break;
		case 'n':
			if (cli_parse_ll(optarg, 1, INT32_MAX, &v) != 0) {
				cli_err(CMD, "bad -n '%s'", optarg);
				return EXIT_USAGE;
			}
			o->flt.limit = (size_t)v;
			break;
		case 'o':
			if (cli_out_format(optarg, &o->fmt) != 0) {
				cli_err(CMD, "bad -o '%s' (table, csv, json)",
				    optarg);
				return EXIT_USAGE;
			}
			o->fmt_set = 1;
			break;
		case OPT_PORT:
			if (cli_parse_ll(optarg, 0, 65535, &v) != 0) {
				cli_err(CMD, "bad --port '%s'", optarg);
				return EXIT_USAGE;
			}
			o->add.port = (uint16_t)v;
			break;
		case OPT_PROTO:
			if (cli_parse_ll(optarg, 0, 255, &v) != 0) {
				cli_err(CMD, "bad --proto '%s'", optarg);
				return EXIT_USAGE;
			}
			o->add.proto = (uint8_t)v;
			break;
		case OPT_SCORE:
			if (cli_parse_double(optarg, &d) != 0) {
				cli_err(CMD, "bad --score '%s'", optarg);
				return EXIT_USAGE;
			}
			o->add.score = d;
			break;
		case OPT_COUNT:
			if (cli_parse_ll(optarg, 1, INT64_MAX, &v) != 0) {
				cli_err(CMD, "bad --count '%s'", optarg);
				return EXIT_USAGE;
			}
			o->add.count = v;
			break;
		case OPT_FIRST:
			if (parse_time(optarg, &o->add.first_seen) != 0) {
				cli_err(CMD, "bad --first-seen '%s'", optarg);
				return EXIT_USAGE;
			}
			break;
		case OPT_LAST:
			if (parse_time(optarg, &o->add.last_seen) != 0) {
				cli_err(CMD, "bad --last-seen '%s'", optarg);
				return EXIT_USAGE;
			}
			break;
		case OPT_SUMMARY:
			o->add.summary = optarg;
			break;
		case OPT_EVIDENCE:
			o->add.evidence = optarg;
			break;
		case OPT_DEDUP:
			o->add.dedup_extra = optarg;
			break;
		case OPT_NOTE:
			o->note = optarg;
			break;
		case OPT_REPLACE:
			o->flags |= FINDINGS_COUNT_REPLACE;
			break;
		case OPT_REOPEN:
			o->flags |= FINDINGS_REOPEN;
			break;
		case 'h':
			usage_findings(stdout);
			return -1;
		default:
			usage_findings(stderr);
			return EXIT_USAGE;
		}
	}
	if (o->flt.since != INT64_MIN && o->flt.until != INT64_MAX &&
	    o->flt.until <= o->flt.since) {
		cli_err(CMD, "--until is not after --since");
		return EXIT_USAGE;
	}
	return 0;
}

/* ---- output ---- */

static void
fmt_time(mtime_t t, char *buf, size_t len)
{
	mtime_fmt(t, 0, buf, len);
}

static json_t *
finding_json(const struct finding *f)
{
	char addr[ADDR_STRLEN], t1[MTIME_STRLEN], t2[MTIME_STRLEN],
	    t3[MTIME_STRLEN], t4[MTIME_STRLEN];
	json_t *o, *ev = NULL;

	addr_fmt(&f->subject, addr, sizeof(addr));
	fmt_time(f->first_seen, t1, sizeof(t1));
	fmt_time(f->last_seen, t2, sizeof(t2));
	fmt_time(f->created, t3, sizeof(t3));
	fmt_time(f->updated, t4, sizeof(t4));
	if (f->evidence != NULL)
		ev = json_loads(f->evidence, 0, NULL);
	o = json_pack("{s:I, s:s, s:s, s:s, s:i, s:i, s:s?, s:s, s:s, s:I,"
	    " s:f, s:s, s:s, s:s, s:o?, s:s?, s:s, s:s}",
	    "id", (json_int_t)f->id,
	    "kind", f->kind != NULL ? f->kind : "",
	    "detector", f->detector != NULL ? f->detector : "",
	    "subject", addr,
	    "port", (int)f->port,
	    "proto", (int)f->proto,
	    "dedup", f->dedup_extra,
	    "first_seen", t1,
	    "last_seen", t2,
	    "count", (json_int_t)f->count,
	    "score", f->score,
	    "severity", findings_severity_name(f->severity),
	    "status", findings_status_name(f->status),
	    "summary", f->summary != NULL ? f->summary : "",
	    "evidence", ev,
	    "note", f->note,
	    "created", t3,
	    "updated", t4);
	return o;
}

static int
print_json(const struct finding *f, size_t flags)
{
	json_t *o;
	char *s;

	if ((o = finding_json(f)) == NULL)
		return -1;
	s = json_dumps(o, flags | JSON_PRESERVE_ORDER);
	json_decref(o);
	if (s == NULL)
		return -1;
	printf("%s\n", s);
	free(s);
	return 0;
}

static const char csv_header[] = "id,kind,detector,subject,port,proto,dedup,"
    "first_seen,last_seen,count,score,severity,status,summary,evidence,note";

static void
print_csv(const struct finding *f)
{
	char addr[ADDR_STRLEN], t1[MTIME_STRLEN], t2[MTIME_STRLEN];

	addr_fmt(&f->subject, addr, sizeof(addr));
	fmt_time(f->first_seen, t1, sizeof(t1));
	fmt_time(f->last_seen, t2, sizeof(t2));
	printf("%" PRId64 ",", f->id);
	cli_csv_field(stdout, f->kind);
	putchar(',');
	cli_csv_field(stdout, f->detector);
	printf(",%s,%u,%u,", addr, (unsigned)f->port, (unsigned)f->proto);
	cli_csv_field(stdout, f->dedup_extra);
	printf(",%s,%s,%" PRId64 ",%g,%s,%s,", t1, t2, f->count, f->score,
	    findings_severity_name(f->severity),
	    findings_status_name(f->status));
	cli_csv_field(stdout, f->summary);
	putchar(',');
	cli_csv_field(stdout, f->evidence);
	putchar(',');
	cli_csv_field(stdout, f->note);
	putchar('\n');
}

/* Table: rows are buffered as cells to size the columns. */
#define TCOLS	10
static const char *const table_head[TCOLS] = { "ID", "SEVERITY", "STATUS",
    "KIND", "DETECTOR", "SUBJECT", "COUNT", "SCORE", "LAST_SEEN", "SUMMARY" };

struct table {
	char	**cells;	/* nrows * TCOLS */
	size_t	  nrows;
	size_t	  cap;
};

/* Replaces control characters in place: summaries may quote banners an
 * attacker wrote, and a table goes to a terminal. NULL-safe. */
static char *
tty_clean(char *s)
{
	unsigned char *p;

	if (s == NULL)
		return NULL;
	for (p = (unsigned char *)s; *p != '\0'; p++)
		if (*p < 0x20 || *p == 0x7f)
			*p = '?';
	return s;
}

static char *
xstrdup(const char *s)
{
	return tty_clean(strdup(s != NULL ? s : ""));
}

static int
table_add(const struct finding *f, void *arg)
{
	struct table *t = arg;
	char addr[ADDR_STRLEN], subj[ADDR_STRLEN + 16], num[3][32],
	    ts[MTIME_STRLEN];
	char **row, **nc;
	size_t i, ncap;

	if (t->nrows == t->cap) {
		ncap = t->cap == 0 ? 64 : t->cap * 2;
		if ((nc = realloc(t->cells, ncap * TCOLS * sizeof(*nc))) ==
		    NULL)
			return -1;
		t->cells = nc;
		t->cap = ncap;
	}
	addr_fmt(&f->subject, addr, sizeof(addr));
	if (f->port != 0 && strchr(addr, ':') != NULL)
		snprintf(subj, sizeof(subj), "[%s]:%u", addr,
		    (unsigned)f->port);
	else if (f->port != 0)
		snprintf(subj, sizeof(subj), "%s:%u", addr, (unsigned)f->port);
	else
		snprintf(subj, sizeof(subj), "%s", addr);
	if (f->proto != 0)
		snprintf(subj + strlen(subj), sizeof(subj) - strlen(subj),
		    "/%u", (unsigned)f->proto);
	snprintf(num[0], sizeof(num[0]), "%" PRId64, f->id);
	snprintf(num[1], sizeof(num[1]), "%" PRId64, f->count);
	snprintf(num[2], sizeof(num[2]), "%.2f", f->score);
	fmt_time(f->last_seen, ts, sizeof(ts));
	row = t->cells + t->nrows * TCOLS;
	row[0] = xstrdup(num[0]);
	row[1] = xstrdup(findings_severity_name(f->severity));
	row[2] = xstrdup(findings_status_name(f->status));
	row[3] = xstrdup(f->kind);
	row[4] = xstrdup(f->detector);
	row[5] = xstrdup(subj);
	row[6] = xstrdup(num[1]);
	row[7] = xstrdup(num[2]);
	row[8] = xstrdup(ts);
	row[9] = xstrdup(f->summary);
	t->nrows++;
	for (i = 0; i < TCOLS; i++)
		if (row[i] == NULL)
			return -1;
	return 0;
}

static void
table_print_free(struct table *t)
{
	size_t w[TCOLS], r, c, n;
	const char *s;
	int right;

	for (c = 0; c < TCOLS; c++)
		w[c] = strlen(table_head[c]);
	for (r = 0; r < t->nrows; r++)
		for (c = 0; c < TCOLS; c++)
			if (t->cells[r * TCOLS + c] != NULL &&
			    (n = strlen(t->cells[r * TCOLS + c])) > w[c])
				w[c] = n;
	for (r = 0; r <= t->nrows; r++) {
		for (c = 0; c < TCOLS; c++) {
			s = r == 0 ? table_head[c] : t->cells[(r - 1) *
			    TCOLS + c];
			if (s == NULL)
				s = "";
			right = c == 0 || c == 6 || c == 7;
			if (c == TCOLS - 1)
				printf("%s", s);
			else if (right)
				printf("%*s  ", (int)w[c], s);
			else
				printf("%-*s  ", (int)w[c], s);
		}
		putchar('\n');
	}
	for (r = 0; r < t->nrows * TCOLS; r++)
		free(t->cells[r]);
	free(t->cells);
	memset(t, 0, sizeof(*t));
}

struct stream {
	enum out_format	fmt;
	size_t		rows;
};

static int
stream_row(const struct finding *f, void *arg)
{
	struct stream *s = arg;

	s->rows++;
	if (s->fmt == OUT_CSV) {
		print_csv(f);
		return 0;
	}
	return print_json(f, JSON_COMPACT);
}

/* ---- subcommands ---- */

/* Opens the database; with `create` the data dir is created too. Returns
 * 0 or EXIT_RUNTIME; without `create` and without a database file it
 * returns 0 with *db NULL (nothing to show). */
static int
db_open(const struct opts *o, int create, struct findings_db **db)
{
	struct mm_diag diag;
	const char *dir = cli_datadir(o->data);
	char path[4096];

	*db = NULL;
	mm_diag_clear(&diag);
	if (create) {
		if (cli_mkdirs(dir) != 0) {
			cli_err(CMD, "%s: %s", dir, strerror(errno));
			return EXIT_RUNTIME;
		}
	} else {
		snprintf(path, sizeof(path), "%s/%s", dir, FINDINGS_DB_NAME);
		if (access(path, F_OK) != 0)
			return 0;
	}
	if (findings_open(dir, db, &diag) != 0) {
		cli_err(CMD, "%s", diag.msg);
		return EXIT_RUNTIME;
	}
	return 0;
}

static int
parse_id(const char *s, int64_t *id)
{
	long long v;

	if (cli_parse_ll(s, 1, INT64_MAX, &v) != 0) {
		cli_err(CMD, "bad finding id '%s'", s);
		return -1;
	}
	*id = v;
	return 0;
}

static int
run_list(struct opts *o, int export)
{
	struct findings_db *db = NULL;
	struct table t;
	struct stream s;
	struct mm_diag diag;
	int rc, qrc;

	mm_diag_clear(&diag);
	memset(&t, 0, sizeof(t));
	if (!o->fmt_set)
		o->fmt = export ? OUT_JSON : OUT_TABLE;
	if ((rc = db_open(o, 0, &db)) != 0)
		return rc;
	s.fmt = o->fmt;
	s.rows = 0;
	if (o->fmt == OUT_CSV)
		printf("%s\n", csv_header);
	if (db == NULL) {
		if (o->fmt == OUT_TABLE)
			table_print_free(&t);
		return EXIT_OK;
	}
	if (o->fmt == OUT_TABLE)
		qrc = findings_query(db, &o->flt, table_add, &t, &diag);
	else
		qrc = findings_query(db, &o->flt, stream_row, &s, &diag);
	rc = EXIT_OK;
	if (qrc != 0) {
		if (diag.msg[0] != '\0')
			cli_err(CMD, "%s", diag.msg);
		else
			cli_err(CMD, "output failed");
		rc = EXIT_RUNTIME;
	}
	if (o->fmt == OUT_TABLE)
		table_print_free(&t);
	findings_close(db);
	if (fflush(stdout) != 0)
		rc = EXIT_RUNTIME;
	return rc;
}

static int
run_show(struct opts *o, const char *ids)
{
	struct findings_db *db = NULL;
	struct finding f;
	struct mm_diag diag;
	char addr[ADDR_STRLEN], ts[MTIME_STRLEN];
	int64_t id;
	int rc;

	mm_diag_clear(&diag);
	if (parse_id(ids, &id) != 0)
		return EXIT_USAGE;
	if ((rc = db_open(o, 0, &db)) != 0)
		return rc;
	if (db == NULL) {
		cli_err(CMD, "no finding %s (no findings database in %s)",
		    ids, cli_datadir(o->data));
		return EXIT_RUNTIME;
	}
	if (findings_get(db, id, &f, &diag) != 0) {
		cli_err(CMD, "%s", diag.msg);
		findings_close(db);
		return EXIT_RUNTIME;
	}
	rc = EXIT_OK;
	if (!o->fmt_set || o->fmt == OUT_JSON) {
		if (print_json(&f, JSON_INDENT(2)) != 0)
			rc = EXIT_RUNTIME;
	} else if (o->fmt == OUT_CSV) {
		printf("%s\n", csv_header);
		print_csv(&f);
	} else {
		tty_clean(f.kind);
		tty_clean(f.detector);
		tty_clean(f.dedup_extra);
		tty_clean(f.note);
		tty_clean(f.summary);
		tty_clean(f.evidence);
		addr_fmt(&f.subject, addr, sizeof(addr));
		printf("id:          %" PRId64 "\n", f.id);
		printf("kind:        %s\n", f.kind);
		printf("detector:    %s\n", f.detector);
		printf("subject:     %s port %u proto %u\n", addr,
		    (unsigned)f.port, (unsigned)f.proto);
		if (f.dedup_extra != NULL)
			printf("dedup:       %s\n", f.dedup_extra);
		printf("severity:    %s\n", findings_severity_name(f.severity));
		printf("score:       %g\n", f.score);
		printf("status:      %s\n", findings_status_name(f.status));
		if (f.note != NULL)
			printf("note:        %s\n", f.note);
		printf("count:       %" PRId64 "\n", f.count);
		printf("first_seen:  %s\n", mtime_fmt(f.first_seen, 0, ts,
		    sizeof(ts)));
		printf("last_seen:   %s\n", mtime_fmt(f.last_seen, 0, ts,
		    sizeof(ts)));
		printf("summary:     %s\n", f.summary != NULL ? f.summary : "");
		if (f.evidence != NULL)
			printf("evidence:    %s\n", f.evidence);
	}
	findings_finding_free(&f);
	findings_close(db);
	if (fflush(stdout) != 0)
		rc = EXIT_RUNTIME;
	return rc;
}

static int
run_set_status(struct opts *o, const char *ids, const char *sts)
{
	struct findings_db *db = NULL;
	enum finding_status st;
	struct mm_diag diag;
	int64_t id;
	int rc;

	mm_diag_clear(&diag);
	if (parse_id(ids, &id) != 0)
		return EXIT_USAGE;
	if (findings_status_parse(sts, &st) != 0) {
		cli_err(CMD, "bad status '%s' (open, notified, remediated, "
		    "false-positive, closed)", sts);
		return EXIT_USAGE;
	}
	if ((rc = db_open(o, 0, &db)) != 0)
		return rc;
	if (db == NULL) {
		cli_err(CMD, "no finding %s (no findings database in %s)",
		    ids, cli_datadir(o->data));
		return EXIT_RUNTIME;
	}
	rc = EXIT_OK;
	if (findings_set_status(db, id, st, o->note, &diag) != 0) {
		cli_err(CMD, "%s", diag.msg);
		rc = EXIT_RUNTIME;
	}
	findings_close(db);
	return rc;
}

static int
run_add(struct opts *o)
{
	struct findings_db *db = NULL;
	struct mm_diag diag;
	int64_t id = 0;
	int inserted = 0, rc;

	mm_diag_clear(&diag);
	if (o->add.kind == NULL || o->add.detector == NULL ||
	    o->subject == NULL) {
		cli_err(CMD, "add needs --kind, --detector and --subject");
		return EXIT_USAGE;
	}
	if (addr_parse(o->subject, &o->add.subject) != 0) {
		cli_err(CMD, "bad --subject address '%s'", o->subject);
		return EXIT_USAGE;
	}
	if (findings_evidence_check(o->add.evidence, &diag) != 0) {
		cli_err(CMD, "--%s", diag.msg);
		return EXIT_USAGE;
	}
	if ((rc = db_open(o, 1, &db)) != 0)
		return rc;
	rc = EXIT_OK;
	if (findings_upsert(db, &o->add, o->flags, &inserted, &id,
	    &diag) != 0) {
		cli_err(CMD, "%s", diag.msg);
		rc = EXIT_RUNTIME;
	} else
		printf("%" PRId64 " %s\n", id, inserted ? "added" : "updated");
	findings_close(db);
	return rc;
}

int
cmd_findings(int argc, char **argv)
{
	struct opts o;
	const char *sub;
	int rc, nargs, need;

	if (argc < 2) {
		usage_findings(stderr);
		return EXIT_USAGE;
	}
	sub = argv[1];
	if (strcmp(sub, "-h") == 0 || strcmp(sub, "--help") == 0 ||
	    strcmp(sub, "help") == 0) {
		usage_findings(stdout);
		return EXIT_OK;
	}
	memset(&o, 0, sizeof(o));
	findings_filter_init(&o.flt);
	o.add.severity = SEV_INFO;
	o.add.status = FST_OPEN;
	optind = 1;
	if ((rc = parse_opts(argc - 1, argv + 1, &o)) != 0)
		return rc < 0 ? EXIT_OK : rc;
	if (o.subject != NULL && strcmp(sub, "add") != 0) {
		if (prefix_parse(o.subject, &o.flt.subject) != 0) {
			cli_err(CMD, "bad --subject prefix '%s'", o.subject);
			return EXIT_USAGE;
		}
		o.flt.has_subject = 1;
	}
	nargs = argc - 1 - optind;
	if (strcmp(sub, "list") == 0 || strcmp(sub, "export") == 0 ||
	    strcmp(sub, "add") == 0)
		need = 0;
	else if (strcmp(sub, "show") == 0)
		need = 1;
	else if (strcmp(sub, "set-status") == 0)
		need = 2;
	else {
		cli_err(CMD, "unknown subcommand '%s'", sub);
		usage_findings(stderr);
		return EXIT_USAGE;
	}
	if (nargs != need) {
		cli_err(CMD, "%s takes %d argument%s", sub, need,
		    need == 1 ? "" : "s");
		return EXIT_USAGE;
	}
	argv += 1 + optind;
	if (strcmp(sub, "list") == 0)
		return run_list(&o, 0);
	if (strcmp(sub, "export") == 0)
		return run_list(&o, 1);
	if (strcmp(sub, "show") == 0)
		return run_show(&o, argv[0]);
	if (strcmp(sub, "set-status") == 0)
		return run_set_status(&o, argv[0], argv[1]);
	return run_add(&o);
}
