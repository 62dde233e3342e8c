/*
 * cmd_c2.c - `mamori c2`: beaconing subscribers and the C&C servers they
 * talk to, from the flow store; and `mamori c2 eval --truth FILE`.
 *
 * Argument parsing and printing only: the detector is c2/c2.h. Internal
 * prefixes come from --internal (comma-separated, repeatable) and
 * --internal-file (one prefix a line, '#' comments); knowledge from --intel
 * and --allowlist files (repeatable) plus, unless --no-default-lists, the
 * files of the default list directory ($MAMORI_C2_LISTS, else ./data/c2,
 * else /usr/local/share/mamori/c2, /usr/share/mamori/c2: files whose name
 * starts with "allow" are allowlists, the others feeds). The ranked servers
 * print as a table (buffered: O(servers) memory), CSV or JSON lines; then,
 * unless --dry-run, findings are written to DATADIR/findings.db. A summary
 * with the counters goes to stderr.
 */
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <jansson.h>

#include "c2/c2.h"
#include "c2/intel.h"
#include "cli/cli.h"
#include "findings/findings.h"
#include "store/store.h"

#define CMD		"c2"
#define MAX_LISTS	64

enum { OPT_DATA = 256, OPT_INTERNAL, OPT_INTERNAL_FILE, OPT_WINDOW,
	OPT_INTEL, OPT_ALLOW, OPT_NODEFAULT, OPT_MINSCORE, OPT_DRYRUN,
	OPT_BEACONMIN, OPT_MINCONNS, OPT_MAXPAIRS, OPT_TRUTH, OPT_SINCE,
	OPT_KEEPALLOWED, OPT_STROBE, OPT_CH };

static const struct option longopts[] = {
	{ "data",	   required_argument, NULL, OPT_DATA },
	{ "internal",	   required_argument, NULL, OPT_INTERNAL },
	{ "internal-file", required_argument, NULL, OPT_INTERNAL_FILE },
	{ "time",	   required_argument, NULL, 't' },
	{ "window",	   required_argument, NULL, OPT_WINDOW },
	{ "intel",	   required_argument, NULL, OPT_INTEL },
	{ "allowlist",	   required_argument, NULL, OPT_ALLOW },
	{ "no-default-lists", no_argument,    NULL, OPT_NODEFAULT },
	{ "output",	   required_argument, NULL, 'o' },
	{ "clients",	   no_argument,	      NULL, 'v' },
	{ "verbose",	   no_argument,	      NULL, 'v' },
	{ "min-score",	   required_argument, NULL, OPT_MINSCORE },
	{ "limit",	   required_argument, NULL, 'n' },
	{ "dry-run",	   no_argument,	      NULL, OPT_DRYRUN },
	{ "threads",	   required_argument, NULL, 'j' },
	{ "beacon-min",	   required_argument, NULL, OPT_BEACONMIN },
	{ "min-conns",	   required_argument, NULL, OPT_MINCONNS },
	{ "max-pairs",	   required_argument, NULL, OPT_MAXPAIRS },
	{ "strobe",	   required_argument, NULL, OPT_STROBE },
	{ "keep-allowed",  no_argument,	      NULL, OPT_KEEPALLOWED },
	{ "truth",	   required_argument, NULL, OPT_TRUTH },
	{ "clickhouse",	   required_argument, NULL, OPT_CH },
	{ "since",	   required_argument, NULL, OPT_SINCE },
	{ "quiet",	   no_argument,	      NULL, 'q' },
	{ "help",	   no_argument,	      NULL, 'h' },
	{ NULL, 0, NULL, 0 }
};

struct opts {
	const char		*data;
	struct mm_prefix	*internal;
	size_t			 ninternal;
	const char		*window;	/* -t */
	const char		*intel[MAX_LISTS];
	size_t			 nintel;
	const char		*allow[MAX_LISTS];
	size_t			 nallow;
	int			 no_default;
	enum out_format		 fmt;
	int			 clients;
	double			 min_score;
	long long		 limit;
	int			 dry_run;
	int			 quiet;
	const char		*truth;
	const char		*clickhouse;
	mtime_t			 since;
	struct c2_conf		 conf;
};

void
usage_c2(FILE *fp)
{
	fprintf(fp,
	    "usage: mamori c2 --internal PREFIXES [options]\n"
	    "       mamori c2 eval --truth FILE [--data DIR] [-o table|json]\n"
	    "\n"
	    "  --internal P,P,...  the operator's own networks (repeatable)\n"
	    "  --internal-file F   one prefix a line\n"
	    "  -t WINDOW           nfdump-style window (relative forms count "
	    "back from\n"
	    "                      the newest flow); default: the last 24 h "
	    "of data\n"
	    "  --window DUR        window length back from the newest flow "
	    "(24h)\n"
	    "  --intel FILE        reputation feed (repeatable)\n"
	    "  --allowlist FILE    allowlist (repeatable)\n"
	    "  --no-default-lists  do not load the default lists (data/c2)\n"
	    "  -o table|csv|json   output format (table)\n"
	    "  -v, --clients       also list the beaconing clients\n"
	    "  --min-score S       report servers scoring at least S (0.5)\n"
	    "  -n N                print at most N servers (table: 20; 0 = "
	    "all)\n"
	    "  --dry-run           write no findings\n"
	    "  -j N                threads (online CPUs)\n"
	    "  --beacon-min S      pair score that counts as beaconing "
	    "(0.7)\n"
	    "  --min-conns N       connections a pair needs to be scored (4)\n"
	    "  --max-pairs N       cap on tracked pairs (40000000)\n"
	    "  --strobe N          connections per day above which a pair is a"
	    " strobe (86400)\n"
	    "  --keep-allowed      also show allowlisted servers\n"
	    "  --clickhouse URL    read mamori.flows from ClickHouse (per-pair "
	    "aggregates\n"
	    "                      by SQL) instead of the store; findings "
	    "still go to --data\n"
	    "  --data DIR          data directory (default $MAMORI_DATA, else "
	    "./mamori-data)\n"
	    "  -q                  no summary on stderr\n");
}

static int
add_prefix(struct opts *o, const char *s, const char *where)
{
	struct mm_prefix p, *np;

	if (prefix_parse(s, &p) != 0) {
		cli_err(CMD, "%s: not a prefix: %s", where, s);
		return -1;
	}
	if (o->ninternal >= C2_MAX_INTERNAL) {
		cli_err(CMD, "more than %d internal prefixes", C2_MAX_INTERNAL);
		return -1;
	}
	np = realloc(o->internal, (o->ninternal + 1) * sizeof(*np));
	if (np == NULL) {
		cli_err(CMD, "out of memory");
		return -1;
	}
	o->internal = np;
	o->internal[o->ninternal++] = p;
	return 0;
}

static int
add_prefix_list(struct opts *o, const char *list)
{
	char buf[256];
	const char *p = list, *e;

	while (*p != '\0') {
		size_t n;

		e = strchr(p, ',');
		n = e ? (size_t)(e - p) : strlen(p);
		while (n > 0 && (*p == ' ' || *p == '\t')) {
			p++;
			n--;
		}
		while (n > 0 && (p[n - 1] == ' ' || p[n - 1] == '\t'))
			n--;
		if (n >= sizeof(buf)) {
			cli_err(CMD, "--internal: prefix too long");
			return -1;
		}
		if (n > 0) {
			memcpy(buf, p, n);
			buf[n] = '\0';
			if (add_prefix(o, buf, "--internal") != 0)
				return -1;
		}
		if (e == NULL)
			break;
		p = e + 1;
	}
	return 0;
}

static int
add_prefix_file(struct opts *o, const char *path)
{
	char line[512], where[600];
	unsigned long ln = 0;
	FILE *fp;
	int rc = 0;

	if ((fp = fopen(path, "r")) == NULL) {
		cli_err(CMD, "%s: %s", path, strerror(errno));
		return -1;
	}
	while (fgets(line, sizeof(line), fp) != NULL) {
		char *p = line, *e;

		ln++;
		if ((e = strchr(p, '#')) != NULL)
			*e = '\0';
		p += strspn(p, " \t\r\n");
		e = p + strcspn(p, " \t\r\n,");
		*e = '\0';
		if (*p == '\0')
			continue;
		snprintf(where, sizeof(where), "%s:%lu", path, ln);
		if ((rc = add_prefix(o, p, where)) != 0)
			break;
	}
	fclose(fp);
	return rc;
}

static void
intel_warn(void *arg, const char *msg)
{
	(void)arg;
	cli_err(CMD, "%s", msg);
}

static int
load_list(struct intel *in, const char *path, int allow, int quiet)
{
	struct intel_load_stats st;
	struct mm_diag d;
	int rc;

	mm_diag_clear(&d);
	rc = intel_load(in, path, allow ? INTEL_FMT_ALLOWLIST : INTEL_FMT_AUTO,
	    &st, &d);
	if (rc != 0) {
		cli_err(CMD, "%s", d.msg[0] ? d.msg : mm_strerror(rc));
		return -1;
	}
	if (!quiet && st.malformed > 0)
		cli_err(CMD, "%s: %zu malformed records skipped", path,
		    st.malformed);
	return 0;
}

static const char *
default_list_dir(void)
{
	static char buf[PATH_MAX];
	struct stat sb;

	if (cli_data_find("c2", "MAMORI_C2_LISTS", buf, sizeof(buf)) == NULL)
		return NULL;
	return stat(buf, &sb) == 0 && S_ISDIR(sb.st_mode) ? buf : NULL;
}

static int
namecmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Loads every regular file of the default list directory (sorted). */
static int
load_defaults(struct intel *in, int quiet)
{
	const char *dir = default_list_dir();
	struct dirent *de;
	char *names[256];
	size_t n = 0, i;
	int rc = 0;
	DIR *dp;

	if (dir == NULL || (dp = opendir(dir)) == NULL)
		return 0;
	while ((de = readdir(dp)) != NULL && n < 256) {
		char path[PATH_MAX + 256 + 2];
		struct stat sb;
		int pl;

		if (de->d_name[0] == '.')
			continue;
		pl = snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		if (pl < 0 || (size_t)pl >= sizeof(path) ||
		    stat(path, &sb) != 0 || !S_ISREG(sb.st_mode))
			continue;
		if (strstr(de->d_name, ".md") != NULL ||
		    strstr(de->d_name, "README") != NULL)
			continue;
		if ((names[n] = strdup(path)) != NULL)
			n++;
	}
	closedir(dp);
	qsort(names, n, sizeof(names[0]), namecmp);
	for (i = 0; i < n; i++) {
		const char *base = strrchr(names[i], '/') + 1;

		if (rc == 0 && load_list(in, names[i],
		    strncmp(base, "allow", 5) == 0, quiet) != 0)
			rc = -1;
		free(names[i]);
	}
	return rc;
}

static const char *
proto_str(uint8_t p, char *buf, size_t len)
{
	if (p == 6)
		return "tcp";
	if (p == 17)
		return "udp";
	if (p == 1)
		return "icmp";
	if (p == 58)
		return "icmp6";
	snprintf(buf, len, "%u", p);
	return buf;
}

static void
tstr(mtime_t t, char *buf, size_t len)
{
	mtime_fmt(t, 0, buf, len);
}

static void
print_table(FILE *fp, const struct c2_result *res, const struct opts *o,
    size_t n)
{
	size_t i, j;
	char ab[ADDR_STRLEN], pb[8], first[MTIME_STRLEN];

	fprintf(fp, "%-4s %-6s %-40s %-11s %-9s %-7s %-8s %-9s %-20s %s\n",
	    "rank", "score", "server", "beacons", "period_s", "jitter",
	    "bytes", "flows", "first_seen", "notes");
	for (i = 0; i < n; i++) {
		const struct c2_server_result *s = &res->servers[i];
		char sv[ADDR_STRLEN + 16], bc[24], notes[160] = "";

		addr_fmt(&s->srv, ab, sizeof(ab));
		snprintf(sv, sizeof(sv), addr_is_v4(&s->srv) ? "%s:%u/%s" :
		    "[%s]:%u/%s", ab, s->port, proto_str(s->proto, pb,
		    sizeof(pb)));
		if (s->consistent > 0)
			snprintf(bc, sizeof(bc), "%u+%u/%u", s->beacons,
			    s->consistent, s->clients);
		else
			snprintf(bc, sizeof(bc), "%u/%u", s->beacons,
			    s->clients);
		tstr(s->first, first, sizeof(first));
		if (s->intel_hit)
			snprintf(notes, sizeof(notes), "intel:%s/%s ",
			    s->hit.source, s->hit.tag);
		if (s->allowed)
			snprintf(notes + strlen(notes), sizeof(notes) -
			    strlen(notes), "allow:%s ", s->allow_category ?
			    s->allow_category : "-");
		if (s->strobes)
			snprintf(notes + strlen(notes), sizeof(notes) -
			    strlen(notes), "strobes:%u ", s->strobes);
		fprintf(fp, "%-4zu %-6.3f %-40s %-11s %-9.0f %-7.3f %-8.0f "
		    "%-9" PRIu64 " %-20s %s\n", i + 1, s->score, sv, bc,
		    s->period, s->jitter, s->size, s->flows, first, notes);
		if (!o->clients)
			continue;
		for (j = 0; j < s->npairs; j++) {
			const struct c2_pair_result *p =
			    &res->pairs[s->pair_off + j];
			char sum[512];

			fprintf(fp, "       %.3f  %s\n", p->strength,
			    c2_client_summary(s, p, sum, sizeof(sum)));
		}
	}
}

static void
print_csv(FILE *fp, const struct c2_result *res, const struct opts *o,
    size_t n)
{
	size_t i, j;
	char ab[ADDR_STRLEN], cb[ADDR_STRLEN], pb[8], t1[MTIME_STRLEN],
	    t2[MTIME_STRLEN];

	fprintf(fp, "kind,rank,score,server,port,proto,client,clients,"
	    "beacons,period_s,jitter,bytes_per_conn,flows,first_seen,"
	    "last_seen,intel,allowlisted\n");
	for (i = 0; i < n; i++) {
		const struct c2_server_result *s = &res->servers[i];

		addr_fmt(&s->srv, ab, sizeof(ab));
		tstr(s->first, t1, sizeof(t1));
		tstr(s->last, t2, sizeof(t2));
		fprintf(fp, "server,%zu,%.3f,%s,%u,%s,,%u,%u,%.1f,%.3f,%.0f,"
		    "%" PRIu64 ",%s,%s,", i + 1, s->score, ab, s->port,
		    proto_str(s->proto, pb, sizeof(pb)), s->clients,
		    s->beacons, s->period, s->jitter, s->size, s->flows, t1,
		    t2);
		cli_csv_field(fp, s->intel_hit ? s->hit.tag : "");
		fprintf(fp, ",%s\n", s->allowed ? "yes" : "");
		if (!o->clients)
			continue;
		for (j = 0; j < s->npairs; j++) {
			const struct c2_pair_result *p =
			    &res->pairs[s->pair_off + j];

			addr_fmt(&p->cli, cb, sizeof(cb));
			tstr(p->first, t1, sizeof(t1));
			tstr(p->last, t2, sizeof(t2));
			fprintf(fp, "client,%zu,%.3f,%s,%u,%s,%s,,%d,%.1f,"
			    "%.3f,%.0f,%u,%s,%s,,\n", i + 1, p->strength, ab,
			    p->port, proto_str(p->proto, pb, sizeof(pb)), cb,
			    p->beacon, p->period, p->jitter, p->size,
			    p->conns, t1, t2);
		}
	}
}

static void
print_json(FILE *fp, const struct c2_result *res, const struct opts *o,
    size_t n)
{
	size_t i, j;
	char sum[FINDINGS_SUMMARY_MAX];

	for (i = 0; i < n; i++) {
		const struct c2_server_result *s = &res->servers[i];
		char *ev = c2_server_evidence(res, s);
		json_t *obj;

		if (ev == NULL)
			continue;
		obj = json_loads(ev, 0, NULL);
		free(ev);
		if (obj == NULL)
			continue;
		json_object_set_new(obj, "kind", json_string(C2_KIND_SERVER));
		json_object_set_new(obj, "rank", json_integer((json_int_t)i +
		    1));
		json_object_set_new(obj, "summary", json_string(
		    c2_server_summary(res, s, sum, sizeof(sum))));
		ev = json_dumps(obj, JSON_COMPACT);
		json_decref(obj);
		if (ev != NULL) {
			fprintf(fp, "%s\n", ev);
			free(ev);
		}
		if (!o->clients)
			continue;
		for (j = 0; j < s->npairs; j++) {
			const struct c2_pair_result *p =
			    &res->pairs[s->pair_off + j];

			if ((ev = c2_client_evidence(res, s, p)) == NULL)
				continue;
			obj = json_loads(ev, 0, NULL);
			free(ev);
			if (obj == NULL)
				continue;
			json_object_set_new(obj, "kind",
			    json_string(C2_KIND_CLIENT));
			json_object_set_new(obj, "rank",
			    json_integer((json_int_t)i + 1));
			json_object_set_new(obj, "summary", json_string(
			    c2_client_summary(s, p, sum, sizeof(sum))));
			ev = json_dumps(obj, JSON_COMPACT);
			json_decref(obj);
			if (ev != NULL) {
				fprintf(fp, "%s\n", ev);
				free(ev);
			}
		}
	}
}

static void
print_summary(const struct c2_result *res, size_t shown, size_t nsrv,
    size_t ncli, int dry)
{
	const struct c2_stats *st = &res->st;
	char t1[MTIME_STRLEN], t2[MTIME_STRLEN];

	tstr(res->window.start, t1, sizeof(t1));
	tstr(res->window.end, t2, sizeof(t2));
	fprintf(stderr, "c2: window %s .. %s; %" PRIu64 " flows in %" PRIu64
	    " blocks of %" PRIu64 " files, %" PRIu64 " outbound used (%" PRIu64
	    " inbound, %" PRIu64 " internal-only, %" PRIu64 " external-only, %"
	    PRIu64 " outside window skipped); scan %.2f s (%.2f s CPU), "
	    "scoring %.2f s (%.2f s CPU); peak RSS %.0f MiB (%.0f MiB after "
	    "the scan)\n",
	    t1, t2, st->rows, st->blocks, st->files, st->outbound,
	    st->inbound, st->internal_only, st->external_only,
	    st->outside_window, st->scan_s, st->scan_cpu_s, st->score_s,
	    st->score_cpu_s, (double)st->rss_kb / 1024.0,
	    (double)st->rss_scan_kb / 1024.0);
	fprintf(stderr, "c2: %" PRIu64 " pairs (%" PRIu64 " sampled in depth, "
	    "%.1f MiB), %" PRIu64 " scored, %" PRIu64 " beaconing, %" PRIu64
	    " strobes, %" PRIu64 " long-lived connections; %" PRIu64
	    " clients, %" PRIu64 " external servers, %" PRIu64 " services; "
	    "%zu candidate servers, %zu shown\n", st->pairs, st->big_pairs,
	    (double)st->mem_bytes / 1048576.0, st->pairs_scored, st->beacons,
	    st->strobes, st->persistent, st->clients, st->ext_servers,
	    st->services, res->nservers, shown);
	if (st->bad_time || st->reversed_time || st->huge_counters ||
	    st->dropped_pairs || st->errors)
		fprintf(stderr, "c2: input problems: %" PRIu64 " flows with "
		    "zero start time skipped, %" PRIu64 " with end before start"
		    " (start used), %" PRIu64 " with huge counters clamped, %"
		    PRIu64 " flows beyond the pair caps dropped, %" PRIu64
		    " unreadable files/blocks%s%s\n", st->bad_time,
		    st->reversed_time, st->huge_counters, st->dropped_pairs,
		    st->errors, res->first_error[0] ? ": " : "",
		    res->first_error);
	if (st->max_sampling > 1)
		fprintf(stderr, "c2: sampled flows (1-in-%u): beacon timing "
		    "is thinned, expect lower pair scores\n",
		    st->max_sampling);
	if (dry)
		fprintf(stderr, "c2: dry run, no findings written\n");
	else
		fprintf(stderr, "c2: findings: %zu c2-server, %zu c2-client "
		    "written\n", nsrv, ncli);
}

static int
run_eval(struct opts *o)
{
	struct findings_db *db = NULL;
	struct c2_eval ev;
	struct mm_diag d;
	const char *datadir = cli_datadir(o->data);
	char path[4096];
	struct stat sb;
	size_t i;
	int rc;

	mm_diag_clear(&d);
	snprintf(path, sizeof(path), "%s/%s", datadir, FINDINGS_DB_NAME);
	if (stat(path, &sb) == 0 &&
	    (rc = findings_open(datadir, &db, &d)) != 0) {
		cli_err(CMD, "%s", d.msg);
		return EXIT_RUNTIME;
	}
	rc = c2_eval_run(db, o->truth, o->since, &ev, &d);
	findings_close(db);
	if (rc != 0) {
		cli_err(CMD, "%s", d.msg[0] ? d.msg : mm_strerror(rc));
		return EXIT_RUNTIME;
	}
	if (o->fmt == OUT_JSON) {
		json_t *j = json_pack("{s:{s:i,s:i,s:i,s:i,s:i,s:f,s:f,s:f,s:f,"
		    "s:i},s:{s:i,s:i,s:i,s:i,s:f,s:f,s:i,s:i,s:f}}",
		    "servers", "truth", (json_int_t)ev.truth_servers,
		    "truth_5plus", (json_int_t)ev.truth_servers5,
		    "found", (json_int_t)ev.found_servers,
		    "reported", (json_int_t)ev.reported_servers,
		    "false", (json_int_t)ev.false_servers,
		    "precision", ev.server_precision,
		    "recall", ev.server_recall,
		    "recall_5plus", ev.server_recall5,
		    "false_per_10k", ev.false_per_10k,
		    "external_servers", (json_int_t)ev.external_servers,
		    "clients", "truth", (json_int_t)ev.truth_clients,
		    "found", (json_int_t)ev.found_clients,
		    "reported", (json_int_t)ev.reported_clients,
		    "false", (json_int_t)ev.false_clients,
		    "precision", ev.client_precision,
		    "recall", ev.client_recall,
		    "subscribers", (json_int_t)ev.truth_subscribers,
		    "subscribers_found", (json_int_t)ev.found_subscribers,
		    "subscriber_recall", ev.subscriber_recall);
		char *s;

		if (j == NULL || (s = json_dumps(j, JSON_COMPACT)) == NULL) {
			json_decref(j);
			cli_err(CMD, "out of memory");
			return EXIT_RUNTIME;
		}
		printf("%s\n", s);
		free(s);
		json_decref(j);
		return EXIT_OK;
	}
	printf("%-8s %6s %7s %8s %6s %9s %7s %11s\n", "kind", "truth", "found",
	    "reported", "false", "precision", "recall", "recall(>=5)");
	printf("%-8s %6zu %7zu %8zu %6zu %9.3f %7.3f %11.3f\n", "servers",
	    ev.truth_servers, ev.found_servers, ev.reported_servers,
	    ev.false_servers, ev.server_precision, ev.server_recall,
	    ev.server_recall5);
	printf("%-8s %6zu %7zu %8zu %6zu %9.3f %7.3f %11s\n", "clients",
	    ev.truth_clients, ev.found_clients, ev.reported_clients,
	    ev.false_clients, ev.client_precision, ev.client_recall, "-");
	printf("infected subscribers found: %zu of %zu (%.3f); false servers "
	    "per 10k external servers: %.2f (of %zu)\n",
	    ev.found_subscribers, ev.truth_subscribers, ev.subscriber_recall,
	    ev.false_per_10k, ev.external_servers);
	for (i = 0; i < ev.nmissed; i++)
		printf("missed (>=5 clients): %s\n", ev.missed[i]);
	return EXIT_OK;
}

static int
parse_opts(int argc, char **argv, struct opts *o)
{
	long long v;
	double x;
	mtime_t ms;
	int ch;

	while ((ch = getopt_long(argc, argv, "hj:n:o:qt:v", longopts,
	    NULL)) != -1) {
		switch (ch) {
		case OPT_DATA:
			o->data = optarg;
			break;
		case OPT_INTERNAL:
			if (add_prefix_list(o, optarg) != 0)
				return EXIT_USAGE;
			break;
		case OPT_INTERNAL_FILE:
			if (add_prefix_file(o, optarg) != 0)
				return EXIT_USAGE;
			break;
		case 't':
			o->window = optarg;
			break;
		case OPT_WINDOW:
			if (mtime_parse_duration(optarg, &ms) != 0 || ms <= 0) {
				cli_err(CMD, "--window: not a duration: %s",
				    optarg);
				return EXIT_USAGE;
			}
			o->conf.window_ms = ms;
			break;
		case OPT_INTEL:
		case OPT_ALLOW:
			if (o->nintel >= MAX_LISTS || o->nallow >= MAX_LISTS) {
				cli_err(CMD, "more than %d lists", MAX_LISTS);
				return EXIT_USAGE;
			}
			if (ch == OPT_INTEL)
				o->intel[o->nintel++] = optarg;
			else
				o->allow[o->nallow++] = optarg;
			break;
		case OPT_NODEFAULT:
			o->no_default = 1;
			break;
		case 'o':
			if (cli_out_format(optarg, &o->fmt) != 0) {
				cli_err(CMD, "-o: table, csv or json");
				return EXIT_USAGE;
			}
			break;
		case 'v':
			o->clients = 1;
			break;
		case OPT_MINSCORE:
			if (cli_parse_double(optarg, &x) != 0) {
				cli_err(CMD, "--min-score: not a number");
				return EXIT_USAGE;
			}
			o->min_score = x;
			break;
		case 'n':
			if (cli_parse_ll(optarg, 0, 100000000, &v) != 0) {
				cli_err(CMD, "-n: not a count: %s", optarg);
				return EXIT_USAGE;
			}
			o->limit = v;
			break;
		case OPT_DRYRUN:
			o->dry_run = 1;
			break;
		case 'j':
			if (cli_parse_ll(optarg, 1, 256, &v) != 0) {
				cli_err(CMD, "-j: 1..256");
				return EXIT_USAGE;
			}
			o->conf.threads = (int)v;
			break;
		case OPT_BEACONMIN:
			if (cli_parse_double(optarg, &x) != 0 || x < 0 ||
			    x > 1) {
				cli_err(CMD, "--beacon-min: 0..1");
				return EXIT_USAGE;
			}
			o->conf.beacon_min = x;
			break;
		case OPT_MINCONNS:
			if (cli_parse_ll(optarg, 4, 1000000, &v) != 0) {
				cli_err(CMD, "--min-conns: 4..1000000");
				return EXIT_USAGE;
			}
			o->conf.min_conns = (uint32_t)v;
			break;
		case OPT_MAXPAIRS:
			if (cli_parse_ll(optarg, 1, 1000000000, &v) != 0) {
				cli_err(CMD, "--max-pairs: 1..1000000000");
				return EXIT_USAGE;
			}
			o->conf.max_pairs = (uint64_t)v;
			o->conf.max_big = (uint64_t)v;
			break;
		case OPT_STROBE:
			if (cli_parse_ll(optarg, 1, 1000000000, &v) != 0) {
				cli_err(CMD, "--strobe: 1..1000000000");
				return EXIT_USAGE;
			}
			o->conf.strobe_per_day = (uint64_t)v;
			break;
		case OPT_KEEPALLOWED:
			o->conf.keep_allowed = 1;
			break;
		case OPT_TRUTH:
			o->truth = optarg;
			break;
		case OPT_CH:
			o->clickhouse = optarg;
			break;
		case OPT_SINCE:
			if (mtime_parse(optarg, &o->since) != 0) {
				cli_err(CMD, "--since: not a time: %s", optarg);
				return EXIT_USAGE;
			}
			break;
		case 'q':
			o->quiet = 1;
			break;
		case 'h':
			usage_c2(stdout);
			return -1;
		default:
			usage_c2(stderr);
			return EXIT_USAGE;
		}
	}
	return 0;
}

int
cmd_c2(int argc, char **argv)
{
	struct opts o;
	struct c2_result res;
	struct intel *in = NULL;
	struct findings_db *db = NULL;
	struct mm_diag d;
	const char *datadir, *paths[1];
	size_t i, n, nsrv = 0, ncli = 0;
	int rc, eval = 0, ret = EXIT_RUNTIME;

	memset(&o, 0, sizeof(o));
	memset(&res, 0, sizeof(res));
	mm_diag_clear(&d);
	c2_conf_default(&o.conf);
	o.min_score = 0.5;
	o.limit = -1;
	o.since = INT64_MIN;
	if (argc > 1 && strcmp(argv[1], "eval") == 0) {
		eval = 1;
		argc--;
		argv++;
	}
	optind = 1;
	if ((rc = parse_opts(argc, argv, &o)) != 0) {
		ret = rc < 0 ? EXIT_OK : rc;
		goto out;
	}
	if (optind < argc) {
		cli_err(CMD, "unexpected argument: %s", argv[optind]);
		usage_c2(stderr);
		ret = EXIT_USAGE;
		goto out;
	}
	if (eval) {
		if (o.truth == NULL) {
			cli_err(CMD, "eval: --truth FILE is required");
			ret = EXIT_USAGE;
			goto out;
		}
		ret = run_eval(&o);
		goto out;
	}
	if (o.ninternal == 0) {
		cli_err(CMD, "--internal PREFIXES (or --internal-file) is "
		    "required: the subscriber networks");
		ret = EXIT_USAGE;
		goto out;
	}
	datadir = cli_datadir(o.data);
	paths[0] = datadir;
	o.conf.paths = paths;
	o.conf.npaths = 1;
	o.conf.clickhouse = o.clickhouse;
	o.conf.internal = o.internal;
	o.conf.ninternal = o.ninternal;

	{
		struct intel_opts io;

		memset(&io, 0, sizeof(io));
		io.warn = o.quiet ? NULL : intel_warn;
		io.max_warnings = 5;
		if ((in = intel_new(&io)) == NULL) {
			cli_err(CMD, "out of memory");
			goto out;
		}
	}
	if (!o.no_default && load_defaults(in, o.quiet) != 0)
		goto out;
	for (i = 0; i < o.nintel; i++)
		if (load_list(in, o.intel[i], 0, o.quiet) != 0)
			goto out;
	for (i = 0; i < o.nallow; i++)
		if (load_list(in, o.allow[i], 1, o.quiet) != 0)
			goto out;
	o.conf.intel = in;

	if (o.window != NULL) {
		/* relative windows count back from the newest flow */
		if (o.window[0] == '-' || o.window[0] == '+') {
			mtime_t dur;

			if (mtime_parse_duration(o.window + 1, &dur) != 0 ||
			    dur <= 0) {
				cli_err(CMD, "-t: not a window: %s", o.window);
				ret = EXIT_USAGE;
				goto out;
			}
			o.conf.window_ms = dur;
		} else {
			if (mtime_parse_window(o.window, mtime_now(),
			    &o.conf.window) != 0) {
				cli_err(CMD, "-t: not a window: %s", o.window);
				ret = EXIT_USAGE;
				goto out;
			}
			o.conf.has_window = 1;
		}
	}

	if ((rc = c2_run(&o.conf, &res, &d)) != 0) {
		cli_err(CMD, "%s", d.msg[0] ? d.msg : mm_strerror(rc));
		goto out;
	}
	/* servers reaching the threshold, ranked */
	for (n = 0; n < res.nservers && res.servers[n].score >= o.min_score;
	    n++)
		;
	if (o.limit < 0)
		o.limit = o.fmt == OUT_TABLE ? 20 : 0;
	if (o.limit > 0 && (size_t)o.limit < n)
		n = (size_t)o.limit;
	switch (o.fmt) {
	case OUT_TABLE:
		print_table(stdout, &res, &o, n);
		break;
	case OUT_CSV:
		print_csv(stdout, &res, &o, n);
		break;
	case OUT_JSON:
		print_json(stdout, &res, &o, n);
		break;
	}
	fflush(stdout);
	if (!o.dry_run) {
		if (cli_mkdirs(datadir) != 0) {
			cli_err(CMD, "%s: %s", datadir, strerror(errno));
			goto out;
		}
		if ((rc = findings_open(datadir, &db, &d)) != 0 ||
		    (rc = c2_findings_write(db, &res, o.min_score, &nsrv,
		    &ncli, &d)) != 0) {
			cli_err(CMD, "%s", d.msg[0] ? d.msg : mm_strerror(rc));
			goto out;
		}
	}
	if (!o.quiet)
		print_summary(&res, n, nsrv, ncli, o.dry_run);
	ret = EXIT_OK;
out:
	findings_close(db);
	c2_result_free(&res);
	intel_free(in);
	free(o.internal);
	return ret;
}
