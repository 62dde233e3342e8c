/*
 * cmd_import.c - `mamori import FORMAT [options] FILE...`: load flow data
 * recorded elsewhere into the store.
 *
 * `import` dispatches on a format word to one importer per format (a static
 * table below), so later formats (zeek, binetflow, nfcsv) and variants
 * (`import pcap --flows`, metering raw packets into flows) slot in without
 * touching the rest. Today: `pcap`, which reads the UDP datagrams of
 * pcap/pcapng captures (src/flow/pcapfile.h), decodes NetFlow v5/v9, IPFIX
 * and sFlow with the same decoder as the collector, and writes the store
 * with each packet's capture time as receive time. One decoder serves all
 * files of a run, so templates captured in one file apply to data in the
 * next (as with the *-template.pcap / *-data.pcap pairs exporters produce).
 * An unreadable file is reported and skipped; the exit status is then 1.
 * Memory: the decoder's caps plus one store block.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "cli/cli.h"
#include "flow/decode.h"
#include "flow/pcapfile.h"
#include "store/store.h"

#define CMD		"import"
#define DIAG_SHOWN	5	/* decode messages printed per file */

struct import_format {
	const char	*name;
	const char	*summary;
	int		(*run)(int argc, char **argv);
};

static int	import_pcap(int argc, char **argv);

static const struct import_format formats[] = {
	{ "pcap", "NetFlow/IPFIX/sFlow datagrams captured in pcap/pcapng",
	    import_pcap },
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

/* ---- pcap ---- */

struct pcap_run {
	const char		*path;
	struct decoder		*dec;
	struct store_writer	*w;
	mtime_t			 now;		/* current packet time */
	uint64_t		 datagrams;
	uint64_t		 flows;
	uint64_t		 malformed;	/* datagrams with errors */
	uint64_t		 notmpl;	/* data before its template */
	uint64_t		 write_errors;
	int			 store_err;	/* first store error */
	struct mm_diag		 store_diag;
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

static void
print_row(enum out_format of, const char *path, const char *status,
    const struct pcap_run *r, const struct pcapfile_stats *ps)
{
	json_t		*o;
	char		*s;
	const char	*p;

	switch (of) {
	case OUT_JSON:
		o = json_pack("{s:s, s:s, s:I, s:I, s:I, s:I, s:I, s:I}",
		    "file", path, "status", status,
		    "packets", (json_int_t)ps->packets,
		    "datagrams", (json_int_t)r->datagrams,
		    "flows", (json_int_t)r->flows,
		    "malformed", (json_int_t)r->malformed,
		    "no_template", (json_int_t)r->notmpl,
		    "skipped", (json_int_t)ps->skipped);
		if (o != NULL && (s = json_dumps(o, JSON_COMPACT)) != NULL) {
			printf("%s\n", s);
			free(s);
		}
		json_decref(o);
		break;
	case OUT_CSV:
		fputc('"', stdout);
		for (p = path; *p != '\0'; p++) {
			if (*p == '"')
				fputc('"', stdout);
			fputc(*p, stdout);
		}
		printf("\",%s,%llu,%llu,%llu,%llu,%llu,%llu\n", status,
		    (unsigned long long)ps->packets,
		    (unsigned long long)r->datagrams,
		    (unsigned long long)r->flows,
		    (unsigned long long)r->malformed,
		    (unsigned long long)r->notmpl,
		    (unsigned long long)ps->skipped);
		break;
	default:
		printf("%-32s %-6s %9llu %9llu %9llu %9llu %9llu %9llu\n",
		    path, status, (unsigned long long)ps->packets,
		    (unsigned long long)r->datagrams,
		    (unsigned long long)r->flows,
		    (unsigned long long)r->malformed,
		    (unsigned long long)r->notmpl,
		    (unsigned long long)ps->skipped);
		break;
	}
}

enum { OPT_DATA = 256, OPT_SCALE, OPT_FLOWS };

static const struct option pcap_opts[] = {
	{ "data",	required_argument, NULL, OPT_DATA },
	{ "scale",	no_argument,	   NULL, OPT_SCALE },
	{ "flows",	no_argument,	   NULL, OPT_FLOWS },
	{ "help",	no_argument,	   NULL, 'h' },
	{ NULL, 0, NULL, 0 }
};

static int
import_pcap(int argc, char **argv)
{
	struct decoder_conf	 dconf;
	struct store_conf	 sconf;
	struct pcap_run		 r;
	struct pcapfile_stats	 ps;
	struct decoder		*dec = NULL;
	struct store_writer	*w = NULL;
	struct mm_diag		 d;
	enum out_format		 of = OUT_TABLE;
	const char		*datadir_opt = NULL, *datadir;
	unsigned long long	 tot_dg = 0, tot_fl = 0, tot_bad = 0, tot_nt = 0;
	unsigned long		 secs;
	char			*end;
	int			 ch, rc, ret = EXIT_OK, i;

	memset(&dconf, 0, sizeof(dconf));
	memset(&sconf, 0, sizeof(sconf));
	optind = 1;
	opterr = 0;
	while ((ch = getopt_long(argc, argv, "o:t:h", pcap_opts,
	    NULL)) != -1) {
		switch (ch) {
		case OPT_DATA:
			datadir_opt = optarg;
			break;
		case OPT_SCALE:
			dconf.scale = 1;
			break;
		case OPT_FLOWS:
			cli_err(CMD, "pcap --flows (metering raw packets into "
			    "flows) is not implemented yet");
			return EXIT_USAGE;
		case 'o':
			if (cli_out_format(optarg, &of) != 0) {
				cli_err(CMD, "bad -o '%s' (table, csv, json)",
				    optarg);
				return EXIT_USAGE;
			}
			break;
		case 't':
			errno = 0;
			secs = strtoul(optarg, &end, 10);
			if (*optarg < '0' || *optarg > '9' || *end != '\0' ||
			    errno != 0 || secs < 1 || secs > 86400 * 7) {
				cli_err(CMD, "-t %s: expected seconds from 1 "
				    "to 604800", optarg);
				return EXIT_USAGE;
			}
			sconf.rotate_ms = (mtime_t)secs * 1000;
			break;
		case 'h':
			usage_import(stdout);
			return EXIT_OK;
		default:
			cli_err(CMD, "bad or incomplete option '%s'",
			    argv[optind - 1]);
			usage_import(stderr);
			return EXIT_USAGE;
		}
	}
	if (optind >= argc) {
		cli_err(CMD, "pcap: no FILE given");
		usage_import(stderr);
		return EXIT_USAGE;
	}
	datadir = cli_datadir(datadir_opt);
	if ((dec = decoder_new(&dconf)) == NULL) {
		cli_err(CMD, "out of memory");
		return EXIT_RUNTIME;
	}
	if ((rc = store_writer_open(datadir, &sconf, &w, &d)) != 0) {
		cli_err(CMD, "%s", d.msg);
		ret = EXIT_RUNTIME;
		goto out;
	}
	if (of == OUT_TABLE)
		printf("%-32s %-6s %9s %9s %9s %9s %9s %9s\n", "file",
		    "status", "packets", "datagrams", "flows", "malformed",
		    "no_tmpl", "skipped");
	else if (of == OUT_CSV)
		printf("file,status,packets,datagrams,flows,malformed,"
		    "no_template,skipped\n");
	for (i = optind; i < argc; i++) {
		memset(&r, 0, sizeof(r));
		memset(&ps, 0, sizeof(ps));
		r.path = argv[i];
		r.dec = dec;
		r.w = w;
		d.msg[0] = '\0';
		rc = pcapfile_udp_foreach(argv[i], pcap_udp, &r, &ps, &d);
		if (r.store_err != 0) {
			cli_err(CMD, "%s: store: %s", argv[i],
			    r.store_diag.msg);
			print_row(of, argv[i], "error", &r, &ps);
			ret = EXIT_RUNTIME;
			break;
		}
		if (rc != 0) {
			if (d.msg[0] != '\0')
				cli_err(CMD, "%s", d.msg);
			else
				cli_err(CMD, "%s: %s", argv[i],
				    mm_strerror(rc));
			print_row(of, argv[i], "error", &r, &ps);
			ret = EXIT_RUNTIME;
		} else
			print_row(of, argv[i], "ok", &r, &ps);
		if (r.malformed + r.notmpl > DIAG_SHOWN)
			cli_err(CMD, "%s: %llu more datagrams with decode "
			    "errors not shown", argv[i], (unsigned long long)
			    (r.malformed + r.notmpl - DIAG_SHOWN));
		tot_dg += r.datagrams;
		tot_fl += r.flows;
		tot_bad += r.malformed;
		tot_nt += r.notmpl;
	}
	if (of == OUT_TABLE && argc - optind > 1)
		printf("%-32s %-6s %9s %9llu %9llu %9llu %9llu\n", "total",
		    "", "", tot_dg, tot_fl, tot_bad, tot_nt);
	d.msg[0] = '\0';
	rc = store_writer_close(w, &d);
	w = NULL;
	if (rc != 0) {
		cli_err(CMD, "closing the store: %s", d.msg);
		ret = EXIT_RUNTIME;
	}
 out:
	if (w != NULL)
		(void)store_writer_close(w, NULL);
	decoder_free(dec);
	return ret;
}
