/*
 * cmd_import.c - `mamori import FORMAT [options] FILE...`: load flow data
 * recorded elsewhere into the store.
 *
 * `import` dispatches on a format word to one importer per format (a static
 * table below), so later formats (zeek, binetflow, nfcsv) and variants
 * (`import pcap --flows`, metering raw packets into flows) slot in without
 * touching the rest. `pcap` reads the UDP datagrams of
 * pcap/pcapng captures (src/flow/pcapfile.h), decodes NetFlow v5/v9, IPFIX
 * and sFlow with the same decoder as the collector, and writes the store
 * with each packet's capture time as receive time. One decoder serves all
 * files of a run, so templates captured in one file apply to data in the
 * next (as with the *-template.pcap / *-data.pcap pairs exporters produce).
 * An unreadable file is reported and skipped; the exit status is then 1.
 * Memory: the decoder's caps plus one store block.
 *
 * The text formats (zeek, binetflow, nfcsv; src/import/) and `pcap
 * --flows` (the flow meter, src/import/meter.c) produce flows that go
 * through an import batch (sorted by first time, written with receive
 * time = first, so store files are partitioned by flow time). Malformed
 * lines are counted; the first DIAG_LINES of each file are printed with
 * file:line and field. On a terminal a progress line shows how much of a
 * big file was read.
 */
#include <errno.h>
#include <stddef.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "cli/cli.h"
#include "flow/decode.h"
#include "flow/pcapfile.h"
#include "import/import.h"
#include "store/store.h"

#define CMD		"import"
#define DIAG_SHOWN	5	/* decode messages printed per file */
#define DIAG_LINES	10	/* malformed-line messages per file */

struct import_format {
	const char	*name;
	const char	*summary;
	int		(*run)(int argc, char **argv);
};

static int	import_pcap(int argc, char **argv);
static int	import_zeek(int argc, char **argv);
static int	import_binetflow(int argc, char **argv);
static int	import_nfcsv(int argc, char **argv);

static const struct import_format formats[] = {
	{ "pcap", "NetFlow/IPFIX/sFlow datagrams captured in pcap/pcapng;\n"
"             with --flows: raw packets metered into flows",
	    import_pcap },
	{ "zeek", "Zeek conn.log (TSV or JSON lines, plain or gzip)",
	    import_zeek },
	{ "binetflow", "Argus/CTU-13 .binetflow CSV (plain or gzip)",
	    import_binetflow },
	{ "nfcsv", "nfdump -o csv output (plain or gzip)", import_nfcsv },
	{ NULL, NULL, NULL }
};

void
usage_import(FILE *fp)
{
	const struct import_format *f;

	fprintf(fp,
"usage: mamori import FORMAT [options] FILE...\n"
"       mamori import pcap [--data DIR] [--scale] [-t SECONDS]\n"
"                          [-o table|csv|json] FILE...\n"
"       mamori import pcap --flows [--idle-timeout DUR] [--active-timeout DUR]\n"
"                          [--max-flows N] [--no-vlan] [--data DIR]\n"
"                          [-t SECONDS] [-o table|csv|json] FILE...\n"
"       mamori import zeek [--bidir] [--data DIR] [-t SECONDS]\n"
"                          [-o table|csv|json] FILE...\n"
"       mamori import binetflow [--labels FILE] [--data DIR] [-t SECONDS]\n"
"                          [-o table|csv|json] FILE...\n"
"       mamori import nfcsv [--data DIR] [-t SECONDS]\n"
"                          [-o table|csv|json] FILE...\n"
"\nformats:\n");
	for (f = formats; f->name != NULL; f++)
		fprintf(fp, "  %-10s %s\n", f->name, f->summary);
	fprintf(fp,
"\nimport pcap decodes the UDP payloads of each capture as flow exports and\n"
"writes the flows with the packet timestamps as receive time. Templates\n"
"carry over from one FILE to the next. Prints per-file counts.\n"
"  --data DIR   data directory (default $MAMORI_DATA, else ./mamori-data)\n"
"  --scale      multiply packets/bytes by the exporter's sampling rate\n"
"  -t SECONDS   store file rotation interval (default 300)\n"
"  -o FORMAT    table (default), csv or json (one object per line)\n"
"\nimport pcap --flows meters the raw packets of each capture into flows\n"
"(bidirectional cache, emitted as one flow per direction):\n"
"  --idle-timeout DUR    end a flow after DUR without packets (default 15s)\n"
"  --active-timeout DUR  end a flow DUR after it began (default 30m)\n"
"  --max-flows N         flows tracked at once; when full the least recently\n"
"                        active one ends (default 65536)\n"
"  --no-vlan             do not key flows by VLAN id\n"
"TCP flows end 2 s after FIN in both directions or a RST.\n"
"\nimport zeek|binetflow|nfcsv read text logs (gzip detected by magic) and\n"
"store the flows with their first time as receive time. Malformed lines are\n"
"counted and skipped; the first 10 per file are shown with line and field.\n"
"  --bidir      zeek: one flow per connection (src = originator, counters\n"
"               of both directions summed) instead of two unidirectional\n"
"  --labels FILE  binetflow: write the Label column to FILE as CSV\n"
"               (first,src,src_port,dst,dst_port,proto,label); the store\n"
"               does not keep labels\n"
"See mamori-import(1).\n");
}

int
cmd_import(int argc, char **argv)
{
	const struct import_format *f;

	if (argc < 2) {
		usage_import(stderr);
		return EXIT_USAGE;
	}
	if (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0) {
		usage_import(stdout);
		return EXIT_OK;
	}
	for (f = formats; f->name != NULL; f++)
		if (strcmp(f->name, argv[1]) == 0)
			return f->run(argc - 1, argv + 1);
	cli_err(CMD, "unknown format '%s' (try: mamori import --help)",
	    argv[1]);
	return EXIT_USAGE;
}


/* ---- shared by all formats ---- */

/* One import run: the options every format takes and the store. */
struct imp {
	const char		*datadir;	/* --data, or NULL */
	enum out_format		 of;		/* -o */
	struct store_conf	 sconf;		/* -t */
	struct store_writer	*w;
	struct import_batch	*b;		/* flow importers only */
	int			 ret;		/* exit status so far */
};

/* One numeric column of the per-file rows: JSON member and CSV heading,
 * table heading and width (NULL: not in the table), and where the value
 * is: a uint64_t at `off` in the struct the row is printed from. */
struct col {
	const char	*name;
	const char	*head;
	int		 width;
	size_t		 off;
};

enum { OPT_DATA = 256, OPT_SCALE, OPT_FLOWS, OPT_BIDIR, OPT_IDLE,
	OPT_ACTIVE, OPT_MAXFLOWS, OPT_NOVLAN, OPT_LABELS };

/* Zeroes `im` (exit status EXIT_OK) and restarts getopt (quiet: errors
 * are printed by imp_opt_end()). */
static void
imp_init(struct imp *im)
{
	memset(im, 0, sizeof(*im));
	im->ret = EXIT_OK;
	optind = 1;
	opterr = 0;
}

/* The next option of `argv` (getopt_long() with "o:t:h" and `lo`) that is
 * not one every format takes: --data, -o and -t are stored in `im`.
 * Returns that option, -1 at the end of the options, or -2 after printing
 * a bad -o or -t value. */
static int
imp_opt(struct imp *im, int argc, char **argv, const struct option *lo)
{
	int ch;

	while ((ch = getopt_long(argc, argv, "o:t:h", lo, NULL)) != -1) {
		switch (ch) {
		case OPT_DATA:
			im->datadir = optarg;
			break;
		case 'o':
			if (cli_out_format(optarg, &im->of) != 0) {
				cli_err(CMD, "bad -o '%s' (table, csv, json)",
				    optarg);
				return -2;
			}
			break;
		case 't':
			if (cli_rotate_opt(CMD, optarg, &im->sconf.rotate_ms)
			    != 0)
				return -2;
			break;
		default:
			return ch;
		}
	}
	return -1;
}

/* Ends option parsing at an option `ch` from imp_opt() that the format
 * does not take: -h prints the usage on stdout; -2 (printed) and anything
 * else are usage errors. Returns the exit status. */
static int
imp_opt_end(int ch, char **argv)
{
	if (ch == 'h') {
		usage_import(stdout);
		return EXIT_OK;
	}
	if (ch != -2) {
		cli_err(CMD, "bad or incomplete option '%s'",
		    argv[optind - 1]);
		usage_import(stderr);
	}
	return EXIT_USAGE;
}

/* Reports that no FILE follows the options of `what` ("pcap"). Returns
 * EXIT_USAGE. */
static int
imp_no_files(const char *what)
{
	cli_err(CMD, "%s: no FILE given", what);
	usage_import(stderr);
	return EXIT_USAGE;
}

/* Opens the store writer (and with `batch` the import batch in front of
 * it). Returns 0, or -1 after printing the error (im->ret is then
 * EXIT_RUNTIME; imp_close() frees what was opened). */
static int
imp_open(struct imp *im, int batch)
{
	struct mm_diag d;

	if (store_writer_open(cli_datadir(im->datadir), &im->sconf, &im->w,
	    &d) != 0) {
		cli_err(CMD, "%s", d.msg);
		im->ret = EXIT_RUNTIME;
		return -1;
	}
	if (batch && (im->b = import_batch_new(im->w, 0)) == NULL) {
		cli_err(CMD, "out of memory");
		im->ret = EXIT_RUNTIME;
		return -1;
	}
	return 0;
}

/* Frees the batch and closes the store writer (both may be unopened),
 * printing a close error (im->ret becomes EXIT_RUNTIME). Returns
 * im->ret. */
static int
imp_close(struct imp *im)
{
	struct mm_diag d;

	import_batch_free(im->b);
	im->b = NULL;
	d.msg[0] = '\0';
	if (store_writer_close(im->w, &d) != 0) {
		cli_err(CMD, "closing the store: %s", d.msg);
		im->ret = EXIT_RUNTIME;
	}
	im->w = NULL;
	return im->ret;
}

/* Prints the heading of the per-file rows with columns `cols` (up to a
 * NULL name): a table line, a CSV header, nothing for JSON. */
static void
put_head(enum out_format of, const struct col *cols)
{
	const struct col *c;

	if (of == OUT_TABLE) {
		printf("%-32s %-6s", "file", "status");
		for (c = cols; c->name != NULL; c++)
			if (c->head != NULL)
				printf(" %*s", c->width, c->head);
		printf("\n");
	} else if (of == OUT_CSV) {
		printf("file,status");
		for (c = cols; c->name != NULL; c++)
			printf(",%s", c->name);
		printf("\n");
	}
}

/* Prints one file's row: `path`, `status` and the columns `cols` read
 * from `base`, as a table line, CSV (the path always quoted with
 * `quoted`, else only when it must be) or one JSON object. */
static void
put_row(enum out_format of, const struct col *cols, int quoted,
    const char *path, const char *status, const void *base)
{
	const struct col	*c;
	json_t			*o = NULL;
	uint64_t		 v;

	if (of == OUT_JSON)
		o = json_pack("{s:s, s:s}", "file", path, "status", status);
	else if (of == OUT_CSV) {
		if (quoted)
			cli_csv_quoted(stdout, path);
		else
			cli_csv_field(stdout, path);
		printf(",%s", status);
	} else
		printf("%-32s %-6s", path, status);
	for (c = cols; c->name != NULL; c++) {
		memcpy(&v, (const char *)base + c->off, sizeof(v));
		if (of == OUT_JSON)
			json_object_set_new(o, c->name,
			    json_integer((json_int_t)v));
		else if (of == OUT_CSV)
			printf(",%llu", (unsigned long long)v);
		else if (c->head != NULL)
			printf(" %*llu", c->width, (unsigned long long)v);
	}
	if (of == OUT_JSON)
		cli_json_println(o, JSON_COMPACT);
	else
		printf("\n");
}

/* ---- pcap ---- */

struct pcap_run {
	const char		*path;
	struct decoder		*dec;
	struct store_writer	*w;
	mtime_t			 now;		/* current packet time */
	struct pcapfile_stats	 ps;
	uint64_t		 datagrams;
	uint64_t		 flows;
	uint64_t		 malformed;	/* datagrams with errors */
	uint64_t		 notmpl;	/* data before its template */
	uint64_t		 write_errors;
	int			 store_err;	/* first store error */
	struct mm_diag		 store_diag;
};

#define PR(m)	offsetof(struct pcap_run, m)

static const struct col pcap_cols[] = {
	{ "packets",	"packets",	9, PR(ps.packets) },
	{ "datagrams",	"datagrams",	9, PR(datagrams) },
	{ "flows",	"flows",	9, PR(flows) },
	{ "malformed",	"malformed",	9, PR(malformed) },
	{ "no_template", "no_tmpl",	9, PR(notmpl) },
	{ "skipped",	"skipped",	9, PR(ps.skipped) },
	{ NULL, NULL, 0, 0 }
};

static int
pcap_emit(void *arg, const struct flow *f)
{
	struct pcap_run	*r = arg;
	struct mm_diag	 d;
	int		 rc;

	if ((rc = store_writer_add(r->w, f, r->now, &d)) != 0) {
		r->write_errors++;
		if (r->store_err == 0) {
			r->store_err = rc;
			r->store_diag = d;
		}
		return rc;	/* the store is failing: stop this file */
	}
	r->flows++;
	return 0;
}

static int
pcap_udp(void *arg, const struct pcap_udp *u)
{
	struct pcap_run	*r = arg;
	struct mm_diag	 d;
	char		 a[ADDR_STRLEN];
	int		 rc;

	r->datagrams++;
	r->now = u->ts;
	d.msg[0] = '\0';
	rc = decoder_datagram(r->dec, &u->src, u->sport, u->ts, u->payload,
	    u->len, pcap_emit, r, &d);
	if (r->store_err != 0)
		return r->store_err;
	if (rc == MM_ENOTMPL)
		r->notmpl++;
	else if (rc != 0)
		r->malformed++;
	if (rc != 0) {
		if (r->malformed + r->notmpl <= DIAG_SHOWN)
			cli_err(CMD, "%s: datagram %llu from %s port %u: %s",
			    r->path, (unsigned long long)r->datagrams,
			    addr_fmt(&u->src, a, sizeof(a)),
			    (unsigned)u->sport,
			    d.msg[0] != '\0' ? d.msg : mm_strerror(rc));
	}
	return 0;
}

static const struct option pcap_opts[] = {
	{ "data",	required_argument, NULL, OPT_DATA },
	{ "scale",	no_argument,	   NULL, OPT_SCALE },
	{ "flows",	no_argument,	   NULL, OPT_FLOWS },
	{ "help",	no_argument,	   NULL, 'h' },
	{ NULL, 0, NULL, 0 }
};

static int	import_pcap_flows(int argc, char **argv);

static int
import_pcap(int argc, char **argv)
{
	struct decoder_conf	 dconf;
	struct imp		 im;
	struct pcap_run		 r;
	struct decoder		*dec = NULL;
	struct mm_diag		 d;
	unsigned long long	 tot_dg = 0, tot_fl = 0, tot_bad = 0, tot_nt = 0;
	int			 ch, rc, i;

	for (i = 1; i < argc && strcmp(argv[i], "--") != 0; i++)
		if (strcmp(argv[i], "--flows") == 0)
			return import_pcap_flows(argc, argv);
	memset(&dconf, 0, sizeof(dconf));
	imp_init(&im);
	while ((ch = imp_opt(&im, argc, argv, pcap_opts)) != -1) {
		switch (ch) {
		case OPT_SCALE:
			dconf.scale = 1;
			break;
		case OPT_FLOWS:
			return import_pcap_flows(argc, argv);
		default:
			return imp_opt_end(ch, argv);
		}
	}
	if (optind >= argc)
		return imp_no_files("pcap");
	if ((dec = decoder_new(&dconf)) == NULL) {
		cli_err(CMD, "out of memory");
		return EXIT_RUNTIME;
	}
	if (imp_open(&im, 0) != 0)
		goto out;
	put_head(im.of, pcap_cols);
	for (i = optind; i < argc; i++) {
		memset(&r, 0, sizeof(r));
		r.path = argv[i];
		r.dec = dec;
		r.w = im.w;
		d.msg[0] = '\0';
		rc = pcapfile_udp_foreach(argv[i], pcap_udp, &r, &r.ps, &d);
		if (r.store_err != 0) {
			cli_err(CMD, "%s: store: %s", argv[i],
			    r.store_diag.msg);
			put_row(im.of, pcap_cols, 1, argv[i], "error", &r);
			im.ret = EXIT_RUNTIME;
			break;
		}
		if (rc != 0) {
			if (d.msg[0] != '\0')
				cli_err(CMD, "%s", d.msg);
			else
				cli_err(CMD, "%s: %s", argv[i],
				    mm_strerror(rc));
			put_row(im.of, pcap_cols, 1, argv[i], "error", &r);
			im.ret = EXIT_RUNTIME;
		} else
			put_row(im.of, pcap_cols, 1, argv[i], "ok", &r);
		if (r.malformed + r.notmpl > DIAG_SHOWN)
			cli_err(CMD, "%s: %llu more datagrams with decode "
			    "errors not shown", argv[i], (unsigned long long)
			    (r.malformed + r.notmpl - DIAG_SHOWN));
		tot_dg += r.datagrams;
		tot_fl += r.flows;
		tot_bad += r.malformed;
		tot_nt += r.notmpl;
	}
	if (im.of == OUT_TABLE && argc - optind > 1)
		printf("%-32s %-6s %9s %9llu %9llu %9llu %9llu\n", "total",
		    "", "", tot_dg, tot_fl, tot_bad, tot_nt);
 out:
	decoder_free(dec);
	return imp_close(&im);
}

/* ---- shared by the flow importers (text formats, pcap --flows) ---- */

struct flow_run {
	const char		*path;
	FILE			*labels;	/* --labels, or NULL */
	uint64_t		 nlabels;
	struct import_batch	*b;
	uint64_t		 shown;		/* malformed lines printed */
	int			 store_err;
	struct mm_diag		 store_diag;
	int			 progress;	/* progress line on stderr */
	int			 progress_shown;
};

#define ST(m)	offsetof(struct import_stats, m)

static int
flow_emit(void *arg, const struct flow *f)
{
	struct flow_run	*r = arg;
	struct mm_diag	 d;
	int		 rc;

	d.msg[0] = '\0';
	if ((rc = import_batch_add(r->b, f, &d)) != 0) {
		if (r->store_err == 0) {
			r->store_err = rc;
			r->store_diag = d;
		}
		return rc;
	}
	return 0;
}

static void
flow_progress_end(struct flow_run *r)
{
	if (r->progress_shown)
		fputs("\r\033[K", stderr);
	r->progress_shown = 0;
}

static void
flow_warn(void *arg, const struct mm_diag *d)
{
	struct flow_run *r = arg;

	if (++r->shown > DIAG_LINES)
		return;
	flow_progress_end(r);
	cli_err(CMD, "%s", d->msg);
}

static void
flow_progress(void *arg, uint64_t done, uint64_t total)
{
	struct flow_run *r = arg;

	if (!r->progress || total < (8u << 20))
		return;
	fprintf(stderr, "\r%s: %3u%% (%llu MiB)\033[K", r->path,
	    (unsigned)(done >= total ? 100 : done * 100 / total),
	    (unsigned long long)(done >> 20));
	r->progress_shown = 1;
}

#define LABEL_MAX	1024

static void
flow_label(void *arg, const struct flow *f, const char *label, size_t len)
{
	struct flow_run	*r = arg;
	char		 buf[LABEL_MAX + 1], a[ADDR_STRLEN], t[MTIME_STRLEN];
	size_t		 i, o;

	if (r->labels == NULL)
		return;
	for (i = o = 0; i < len && o < LABEL_MAX; i++)
		if (label[i] != '\0')
			buf[o++] = label[i];
	buf[o] = '\0';
	fprintf(r->labels, "%s,%s,%u,", mtime_fmt(f->first, 1, t, sizeof(t)),
	    addr_fmt(&f->src, a, sizeof(a)), (unsigned)f->src_port);
	fprintf(r->labels, "%s,%u,%u,", addr_fmt(&f->dst, a, sizeof(a)),
	    (unsigned)f->dst_port, (unsigned)f->proto);
	cli_csv_field(r->labels, buf);
	fputc('\n', r->labels);
	r->nlabels++;
}

/* Starts one file's run: zeroes `r`, points it at `path` and the batch
 * `b` (and --labels `labels`, may be NULL), and wires `sink` to it. The
 * label callback is set only `with_label`. */
static void
flow_run_start(struct flow_run *r, struct import_sink *sink, const char *path,
    struct import_batch *b, FILE *labels, int with_label)
{
	memset(r, 0, sizeof(*r));
	r->path = path;
	r->b = b;
	r->labels = labels;
	r->progress = cli_progress_enabled();
	sink->emit = flow_emit;
	sink->warn = flow_warn;
	sink->progress = flow_progress;
	sink->label = with_label ? flow_label : NULL;
	sink->arg = r;
}

/*
 * Ends one file of a flow import (text formats, pcap --flows): clears the
 * progress line; unless the store failed, flushes the batch and the store
 * writer (the file's flows are on disk when its row is printed); reports
 * a store failure, the count of malformed lines not shown, or the import
 * error `rc` (message in `d`); prints the file's row (columns `cols` of
 * `st`). Sets im->ret to EXIT_RUNTIME on any error. Returns -1 when the
 * store is failing (the caller stops: later files could not be stored),
 * else 0.
 */
static int
flow_file_end(struct imp *im, struct flow_run *r, int rc,
    const struct mm_diag *d, const struct col *cols,
    const struct import_stats *st)
{
	struct mm_diag	sd;
	int		src;

	flow_progress_end(r);
	if (r->store_err == 0) {
		sd.msg[0] = '\0';
		if ((src = import_batch_flush(r->b, &sd)) == 0)
			src = store_writer_flush(im->w, &sd);
		if (src != 0) {
			r->store_err = src;
			r->store_diag = sd;
		}
	}
	if (r->store_err != 0) {
		cli_err(CMD, "%s: store: %s", r->path, r->store_diag.msg);
		put_row(im->of, cols, 0, r->path, "error", st);
		im->ret = EXIT_RUNTIME;
		return -1;
	}
	if (r->shown > DIAG_LINES)
		cli_err(CMD, "%s: %llu more malformed lines not shown",
		    r->path, (unsigned long long)(r->shown - DIAG_LINES));
	if (rc != 0) {
		cli_err(CMD, "%s", d->msg[0] != '\0' ? d->msg :
		    mm_strerror(rc));
		put_row(im->of, cols, 0, r->path, "error", st);
		im->ret = EXIT_RUNTIME;
	} else
		put_row(im->of, cols, 0, r->path, "ok", st);
	return 0;
}

/* ---- zeek, binetflow, nfcsv ---- */

static const struct col text_cols[] = {
	{ "lines",	"lines",	10, ST(lines) },
	{ "records",	"records",	10, ST(records) },
	{ "flows",	"flows",	10, ST(flows) },
	{ "malformed",	"malformed",	9, ST(malformed) },
	{ "skipped",	"skipped",	9, ST(skipped) },
	{ NULL, NULL, 0, 0 }
};

static const struct option text_opts[] = {
	{ "data",	required_argument, NULL, OPT_DATA },
	{ "bidir",	no_argument,	   NULL, OPT_BIDIR },
	{ "labels",	required_argument, NULL, OPT_LABELS },
	{ "help",	no_argument,	   NULL, 'h' },
	{ NULL, 0, NULL, 0 }
};

static int
import_text(enum import_text_fmt fmt, int argc, char **argv)
{
	struct imp		 im;
	struct import_conf	 ic;
	struct import_sink	 sink;
	struct import_stats	 st, tot;
	struct flow_run		 r;
	struct mm_diag		 d;
	const char		*fname = import_fmt_name(fmt);
	const char		*labels_path = NULL;
	FILE			*labels = NULL;
	int			 ch, rc, i;

	memset(&ic, 0, sizeof(ic));
	memset(&tot, 0, sizeof(tot));
	imp_init(&im);
	while ((ch = imp_opt(&im, argc, argv, text_opts)) != -1) {
		switch (ch) {
		case OPT_BIDIR:
			if (fmt != IMPORT_ZEEK) {
				cli_err(CMD, "%s: --bidir applies to zeek only",
				    fname);
				return EXIT_USAGE;
			}
			ic.bidir = 1;
			break;
		case OPT_LABELS:
			if (fmt != IMPORT_BINETFLOW) {
				cli_err(CMD, "%s: --labels applies to binetflow "
				    "only", fname);
				return EXIT_USAGE;
			}
			labels_path = optarg;
			break;
		default:
			return imp_opt_end(ch, argv);
		}
	}
	if (optind >= argc)
		return imp_no_files(fname);
	if (labels_path != NULL) {
		if ((labels = fopen(labels_path, "w")) == NULL) {
			cli_err(CMD, "--labels %s: %s", labels_path,
			    strerror(errno));
			return EXIT_RUNTIME;
		}
		fprintf(labels, "first,src,src_port,dst,dst_port,proto,label\n");
	}
	if (imp_open(&im, 1) != 0)
		goto out;
	put_head(im.of, text_cols);
	for (i = optind; i < argc; i++) {
		flow_run_start(&r, &sink, argv[i], im.b, labels, 1);
		d.msg[0] = '\0';
		rc = import_text_file(fmt, argv[i], &ic, &sink, &st, &d);
		if (flow_file_end(&im, &r, rc, &d, text_cols, &st) != 0)
			break;
		tot.lines += st.lines;
		tot.records += st.records;
		tot.flows += st.flows;
		tot.malformed += st.malformed;
		tot.skipped += st.skipped;
	}
	if (im.of == OUT_TABLE && argc - optind > 1)
		put_row(im.of, text_cols, 0, "total", "", &tot);
 out:
	imp_close(&im);
	if (labels != NULL && (ferror(labels) | fclose(labels)) != 0) {
		cli_err(CMD, "--labels %s: write error", labels_path);
		im.ret = EXIT_RUNTIME;
	}
	return im.ret;
}

static int
import_zeek(int argc, char **argv)
{
	return import_text(IMPORT_ZEEK, argc, argv);
}

static int
import_binetflow(int argc, char **argv)
{
	return import_text(IMPORT_BINETFLOW, argc, argv);
}

static int
import_nfcsv(int argc, char **argv)
{
	return import_text(IMPORT_NFCSV, argc, argv);
}

/* ---- pcap --flows ---- */

/* The table leaves out max_active. */
static const struct col meter_cols[] = {
	{ "packets",		"packets",	9, ST(packets) },
	{ "not_ip",		"not_ip",	7, ST(nonip) },
	{ "flows",		"flows",	9, ST(flows) },
	{ "expired_idle",	"idle",		8, ST(expired_idle) },
	{ "expired_active",	"active",	8, ST(expired_active) },
	{ "expired_tcp",	"tcp",		8, ST(expired_tcp) },
	{ "expired_full",	"full",		8, ST(expired_full) },
	{ "expired_eof",	"eof",		8, ST(expired_eof) },
	{ "max_active",		NULL,		0, ST(max_active) },
	{ NULL, NULL, 0, 0 }
};

static const struct option flows_opts[] = {
	{ "data",		required_argument, NULL, OPT_DATA },
	{ "flows",		no_argument,	   NULL, OPT_FLOWS },
	{ "idle-timeout",	required_argument, NULL, OPT_IDLE },
	{ "active-timeout",	required_argument, NULL, OPT_ACTIVE },
	{ "max-flows",		required_argument, NULL, OPT_MAXFLOWS },
	{ "no-vlan",		no_argument,	   NULL, OPT_NOVLAN },
	{ "help",		no_argument,	   NULL, 'h' },
	{ NULL, 0, NULL, 0 }
};

static int
import_pcap_flows(int argc, char **argv)
{
	struct imp		 im;
	struct meter_conf	 mc;
	struct import_sink	 sink;
	struct import_stats	 st;
	struct flow_run		 r;
	struct meter		*m = NULL;
	struct mm_diag		 d;
	mtime_t			 ms;
	uint64_t		 n;
	int			 ch, rc, i;

	memset(&mc, 0, sizeof(mc));
	imp_init(&im);
	while ((ch = imp_opt(&im, argc, argv, flows_opts)) != -1) {
		switch (ch) {
		case OPT_FLOWS:
			break;
		case OPT_IDLE:
		case OPT_ACTIVE:
			if (mtime_parse_duration(optarg, &ms) != 0 || ms < 1000 ||
			    ms > 7 * 86400000LL) {
				cli_err(CMD, "--%s %s: expected a duration from "
				    "1s to 7d", ch == OPT_IDLE ? "idle-timeout" :
				    "active-timeout", optarg);
				return EXIT_USAGE;
			}
			if (ch == OPT_IDLE)
				mc.idle_ms = ms;
			else
				mc.active_ms = ms;
			break;
		case OPT_MAXFLOWS:
			if (cli_parse_u64(optarg, 1, 16777216, &n) != 0) {
				cli_err(CMD, "--max-flows %s: expected 1 to "
				    "16777216", optarg);
				return EXIT_USAGE;
			}
			mc.max_flows = (size_t)n;
			break;
		case OPT_NOVLAN:
			mc.no_vlan = 1;
			break;
		default:
			return imp_opt_end(ch, argv);
		}
	}
	if (optind >= argc)
		return imp_no_files("pcap --flows");
	if ((m = meter_new(&mc)) == NULL) {
		cli_err(CMD, "out of memory for the flow table");
		return EXIT_RUNTIME;
	}
	if (imp_open(&im, 1) != 0)
		goto out;
	put_head(im.of, meter_cols);
	for (i = optind; i < argc; i++) {
		memset(&st, 0, sizeof(st));
		flow_run_start(&r, &sink, argv[i], im.b, NULL, 0);
		d.msg[0] = '\0';
		rc = meter_pcap_file(m, argv[i], &sink, &st, &d);
		/* flows still open end with their file */
		if (r.store_err == 0)
			(void)meter_flush(m, &sink, &st);
		/* the meter reports no malformed lines: r.shown stays 0 */
		if (flow_file_end(&im, &r, rc, &d, meter_cols, &st) != 0)
			break;
	}
 out:
	meter_free(m);
	return imp_close(&im);
}
