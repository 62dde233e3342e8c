/*
 * cmd_flows.c - `mamori flows`: the nfdump-style query front end.
 *
 * Parses options by hand (they may be mixed with filter words, as in
 * nfdump: every argument that is not an option or an option's value is part
 * of the filter, joined with spaces), builds a struct query_opts and hands it
 * to query_run(). A filter syntax error prints the expression with a caret
 * under the offending character. Progress goes to stderr only when stderr
 * is a terminal. The filter text is O(argv) memory; the query's own costs
 * are in query.h.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "core/err.h"
#include "core/mtime.h"
#include "query/agg.h"
#include "query/chquery.h"
#include "query/filter.h"
#include "query/output.h"
#include "query/query.h"

#define MAX_PATHS	64

void
usage_flows(FILE *fp)
{
	fprintf(fp,
	    "usage: mamori flows [--data DIR] [-r FILE | -R DIR]... [-t WINDOW]\n"
	    "                    [-s KEY[/ORDER]]... [-A KEYS] [-O ORDER] [-n N]\n"
	    "                    [-c N] [-o table|csv|json] [-j THREADS] [-N] [-q]\n"
	    "                    [-f FILTERFILE] [--clickhouse URL [--sql]]\n"
	    "                    [FILTER...]\n"
	    "\n"
	    "Reads the flow store (default --data DIR, $MAMORI_DATA or "
	    "./mamori-data),\n"
	    "keeps the flows matching the nfdump-style FILTER, and prints them, "
	    "or\n"
	    "top-N statistics (-s), or aggregates (-A).\n"
	    "\n"
	    "  -r FILE      read one store file (repeatable)\n"
	    "  -R DIR       read every store file under DIR (repeatable)\n"
	    "  -t WINDOW    time window: T1-T2, T1..T2, T1, or -DUR (e.g. -1h)\n"
	    "  -s KEY/ORD   top-N statistic; KEY: srcip dstip ip srcport dstport "
	    "port\n"
	    "               proto srcas dstas as inif outif if exporter nexthop "
	    "tos vlan;\n"
	    "               ORD: flows packets bytes bps pps bpp (default "
	    "flows)\n"
	    "  -A KEYS      aggregate by a comma list of keys (srcip4/24, "
	    "srcip6/64 too)\n"
	    "  -O ORDER     order -A output (flows, bytes, ...) or raw flows "
	    "(tstart)\n"
	    "  -n N         rows per statistic (default 10)\n"
	    "  -c N         print at most N flows (or aggregates)\n"
	    "  -o FORMAT    table (default), csv, json (JSON lines)\n"
	    "  -j THREADS   worker threads (default: online CPUs)\n"
	    "  -N           plain numbers (no K/M/G) in tables\n"
	    "  -q           no summary\n"
	    "  -f FILE      read the filter from FILE ('#' starts a comment)\n"
	    "  --clickhouse URL  run the query in ClickHouse (mamori.flows) "
	    "instead\n"
	    "  --sql        with --clickhouse: print the SQL, do not run it\n"
	    "\n"
	    "Filter examples: 'src host 10.0.0.1 and dst port 443',\n"
	    "  'net 192.0.2.0/24 and not proto udp', 'bytes > 1m', "
	    "'port in [80 443]'.\n"
	    "See mamori-flows(1). Exit: 0 ok, 1 runtime error, 2 usage error.\n");
}

/* Appends filter word `w` to the malloc'd *expr (length *elen), separated
 * by a blank. Returns 0 or -1 (out of memory; *expr unchanged). */
static int
expr_append(char **expr, size_t *elen, const char *w)
{
	size_t l = strlen(w);
	char *ne;

	if ((ne = realloc(*expr, *elen + l + 2)) == NULL)
		return -1;
	*expr = ne;
	if (*elen > 0)
		ne[(*elen)++] = ' ';
	memcpy(ne + *elen, w, l + 1);
	*elen += l;
	return 0;
}

static int
parse_count(const char *s, uint64_t *v)
{
	char *end;
	unsigned long long x;

	if (s == NULL || *s == '\0' || *s == '-')
		return -1;
	errno = 0;
	x = strtoull(s, &end, 10);
	if (errno != 0 || *end != '\0')
		return -1;
	*v = x;
	return 0;
}

static void
progress_cb(void *arg, const struct query_stats *st)
{
	(void)arg;
	fprintf(stderr, "\r%llu flows scanned, %llu matched, %llu blocks, "
	    "%llu skipped ", (unsigned long long)st->scanned,
	    (unsigned long long)st->flows, (unsigned long long)st->blocks,
	    (unsigned long long)st->skipped);
	fflush(stderr);
}

static char *
read_file(const char *path)
{
	FILE *fp;
	char *buf = NULL;
	size_t n = 0, cap = 0, r;

	if ((fp = fopen(path, "r")) == NULL)
		return NULL;
	for (;;) {
		if (n + 4096 + 1 > cap) {
			char *nb;

			cap = cap ? cap * 2 : 8192;
			if (cap > FILTER_MAXLEN * 2 ||
			    (nb = realloc(buf, cap)) == NULL) {
				free(buf);
				fclose(fp);
				return NULL;
			}
			buf = nb;
		}
		r = fread(buf + n, 1, 4096, fp);
		n += r;
		if (r < 4096)
			break;
	}
	fclose(fp);
	buf[n] = '\0';
	/* newlines are blanks in a filter file; '#' starts a comment */
	for (r = 0; r < n; r++) {
		if (buf[r] == '#')
			while (r < n && buf[r] != '\n')
				buf[r++] = ' ';
		if (buf[r] == '\n' || buf[r] == '\r' || buf[r] == '\t')
			buf[r] = ' ';
	}
	return buf;
}

static void
print_caret(const char *expr, long pos)
{
	size_t len = strlen(expr);

	if (pos < 0)
		return;
	if ((size_t)pos > len)
		pos = (long)len;
	fprintf(stderr, "  %s\n  %*s^\n", expr, (int)pos, "");
}

int
cmd_flows(int argc, char **argv)
{
	const char *datadir = NULL, *paths[MAX_PATHS], *fltfile = NULL;
	const char *churl = NULL;
	struct agg_spec stats[QUERY_MAXSTATS], aggr;
	struct query_opts q;
	struct query_stats st;
	struct filter *flt = NULL;
	struct mm_diag d;
	char *expr = NULL, *fbuf = NULL;
	size_t npaths = 0, nstats = 0, elen = 0, i;
	uint64_t v;
	int rc = EXIT_OK, has_aggr = 0, order = -1, r, a, sqlonly = 0;
	enum out_format of;

	memset(&q, 0, sizeof(q));
	q.fp = stdout;
	q.order = AO_BYTES;
	mm_diag_clear(&d);
	if ((expr = calloc(1, 1)) == NULL)
		return EXIT_RUNTIME;
	for (a = 1; a < argc; a++) {
		const char *o = argv[a], *val = a + 1 < argc ? argv[a + 1] :
		    NULL;

#define NEED() do { if (val == NULL) { \
		cli_err("flows", "option %s needs a value", o); \
		goto usage; } a++; } while (0)
		if (strcmp(o, "-h") == 0 || strcmp(o, "--help") == 0) {
			usage_flows(stdout);
			goto out;
		} else if (strcmp(o, "--data") == 0 || strcmp(o, "-d") == 0) {
			NEED();
			datadir = val;
		} else if (strcmp(o, "-r") == 0 || strcmp(o, "-R") == 0) {
			NEED();
			if (npaths == MAX_PATHS) {
				cli_err("flows", "too many -r/-R");
				goto usage;
			}
			paths[npaths++] = val;
		} else if (strcmp(o, "-t") == 0) {
			NEED();
			if (mtime_parse_window(val, mtime_now(),
			    &q.window) != 0) {
				cli_err("flows", "-t %s: bad time window", val);
				goto usage;
			}
			q.has_window = 1;
		} else if (strcmp(o, "-s") == 0) {
			NEED();
			if (nstats == QUERY_MAXSTATS) {
				cli_err("flows", "at most %d -s",
				    QUERY_MAXSTATS);
				goto usage;
			}
			if (agg_spec_stat(val, &stats[nstats], &d) != 0) {
				cli_err("flows", "%s", d.msg);
				goto usage;
			}
			nstats++;
		} else if (strcmp(o, "-A") == 0) {
			NEED();
			if (agg_spec_keys(val, &aggr, &d) != 0) {
				cli_err("flows", "%s", d.msg);
				goto usage;
			}
			has_aggr = 1;
		} else if (strcmp(o, "-O") == 0) {
			NEED();
			if (strcmp(val, "tstart") == 0)
				q.sort_tstart = 1;
			else if ((order = agg_order_parse(val)) < 0) {
				cli_err("flows", "-O %s: unknown order", val);
				goto usage;
			}
		} else if (strcmp(o, "-n") == 0) {
			NEED();
			if (parse_count(val, &v) != 0 || v == 0 ||
			    v > 100000000) {
				cli_err("flows", "-n %s: bad count", val);
				goto usage;
			}
			q.topn = (size_t)v;
		} else if (strcmp(o, "-c") == 0) {
			NEED();
			if (parse_count(val, &v) != 0) {
				cli_err("flows", "-c %s: bad count", val);
				goto usage;
			}
			q.limit = v;
		} else if (strcmp(o, "-o") == 0) {
			NEED();
			if (cli_out_format(val, &of) != 0) {
				cli_err("flows", "-o %s: use table, csv or "
				    "json", val);
				goto usage;
			}
			q.out.fmt = of == OUT_CSV ? QOUT_CSV : of == OUT_JSON ?
			    QOUT_JSON : QOUT_TABLE;
		} else if (strcmp(o, "-j") == 0) {
			NEED();
			if (parse_count(val, &v) != 0 || v == 0 ||
			    v > QUERY_MAXTHREADS) {
				cli_err("flows", "-j %s: 1..%d", val,
				    QUERY_MAXTHREADS);
				goto usage;
			}
			q.threads = (int)v;
		} else if (strcmp(o, "-f") == 0) {
			NEED();
			fltfile = val;
		} else if (strcmp(o, "--clickhouse") == 0) {
			NEED();
			churl = val;
		} else if (strcmp(o, "--sql") == 0) {
			sqlonly = 1;
		} else if (strcmp(o, "-N") == 0) {
			q.out.plain = 1;
		} else if (strcmp(o, "-q") == 0) {
			q.no_summary = 1;
		} else if (strcmp(o, "--") == 0) {
			for (a++; a < argc; a++)
				if (expr_append(&expr, &elen, argv[a]) != 0)
					goto nomem;
			break;
		} else if (o[0] == '-' && o[1] != '\0' && o[1] != '-' &&
		    !(o[1] >= '0' && o[1] <= '9') && strlen(o) == 2) {
			cli_err("flows", "unknown option %s", o);
			goto usage;
		} else if (o[0] == '-' && o[1] == '-') {
			cli_err("flows", "unknown option %s", o);
			goto usage;
		} else if (expr_append(&expr, &elen, o) != 0)
			goto nomem;
#undef NEED
	}
	if (fltfile != NULL) {
		if (elen > 0) {
			cli_err("flows", "give the filter either with -f or "
			    "as arguments");
			goto usage;
		}
		if ((fbuf = read_file(fltfile)) == NULL) {
			cli_err("flows", "-f %s: %s", fltfile,
			    errno ? strerror(errno) : "too long");
			rc = EXIT_RUNTIME;
			goto out;
		}
		free(expr);
		expr = fbuf;
		fbuf = NULL;
	}
	if ((r = filter_parse(expr, &flt, &d)) != 0) {
		cli_err("flows", "filter: %s", d.msg);
		print_caret(expr, d.pos);
		rc = r == MM_ENOMEM ? EXIT_RUNTIME : EXIT_USAGE;
		goto out;
	}
	if (npaths == 0)
		paths[npaths++] = cli_datadir(datadir);
	else if (datadir != NULL) {
		cli_err("flows", "--data and -r/-R are exclusive");
		goto usage;
	}
	if (q.sort_tstart && (nstats > 0 || has_aggr)) {
		cli_err("flows", "-O tstart applies to raw flows only");
		goto usage;
	}
	if (order >= 0) {
		if (!has_aggr) {
			/* -O ORDER without -A: order of the -s statistics */
			for (i = 0; i < nstats; i++)
				stats[i].order = order;
		}
		q.order = order;
	}
	q.paths = paths;
	q.npaths = npaths;
	q.filter = filter_is_any(flt) ? NULL : flt;
	q.stats = stats;
	q.nstats = nstats;
	q.aggr = has_aggr ? &aggr : NULL;
	if (cli_progress_enabled()) {
		q.progress = progress_cb;
		q.progress_arg = NULL;
	}
	if (sqlonly && churl == NULL) {
		cli_err("flows", "--sql needs --clickhouse URL");
		goto usage;
	}
	if (sqlonly) {
		char *sql = NULL;

		if ((r = chquery_sql(&q, &sql, &d)) != 0) {
			cli_err("flows", "%s", d.msg);
			rc = EXIT_RUNTIME;
			goto out;
		}
		fputs(sql, stdout);
		free(sql);
		goto out;
	}
	if (churl != NULL)
		r = chquery_run(churl, &q, &st, &d);
	else
		r = query_run(&q, &st, &d);
	if (q.progress != NULL)
		fprintf(stderr, "\r%*s\r", 70, "");
	fflush(stdout);
	if (r != 0) {
		cli_err("flows", "%s", d.msg);
		rc = EXIT_RUNTIME;
		goto out;
	}
	if (d.msg[0] != '\0')
		cli_err("flows", "warning: %llu unreadable file(s) or "
		    "block(s); first: %s", (unsigned long long)st.errors,
		    d.msg);
	if (ferror(stdout)) {
		cli_err("flows", "write error on standard output");
		rc = EXIT_RUNTIME;
	}
	goto out;
nomem:
	cli_err("flows", "out of memory");
	rc = EXIT_RUNTIME;
	goto out;
usage:
	rc = EXIT_USAGE;
out:
	filter_free(flt);
	free(expr);
	free(fbuf);
	return rc;
}
