/*
 * cmd_collect.c - `mamori collect`: the NetFlow/IPFIX/sFlow collector daemon.
 *
 * Order of events: parse options; bind every socket (may need root for ports
 * below 1024 and for SO_RCVBUFFORCE); create the data directory and, with
 * -u, hand it to that user and drop root (refusing to go on if the drop
 * fails); write the pid file; start the collector threads; then the main
 * thread only waits for signals (sigaction + sig_atomic_t flags, polled every
 * 200 ms): SIGTERM/SIGINT stop, flush and exit 0; SIGUSR1 prints counters to
 * stderr; SIGHUP rewrites the stats file. The stats file is rewritten
 * atomically every 10 s and at exit. Runs in the foreground; logs only
 * errors and one startup line unless -v.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "cli/cli.h"
#include "collect/collector.h"
#include "collect/daemon.h"
#include "collect/stats.h"
#include "collect/udp.h"
#include "core/units.h"

#define MAX_LISTEN	32
#define STATS_MS	10000

static volatile sig_atomic_t	got_term;
static volatile sig_atomic_t	got_usr1;
static volatile sig_atomic_t	got_hup;

static void
on_signal(int sig)
{
	switch (sig) {
	case SIGTERM:
	case SIGINT:
		got_term = 1;
		break;
	case SIGUSR1:
		got_usr1 = 1;
		break;
	case SIGHUP:
		got_hup = 1;
		break;
	}
}

void
usage_collect(FILE *fp)
{
	fprintf(fp,
"usage: mamori collect [-v] [-l ADDR:PORT]... [--data DIR] [-t SECONDS]\n"
"                      [--threads N] [--rcvbuf SIZE] [--queue FLOWS]\n"
"                      [--max-memory SIZE] [--scale] [--stats FILE]\n"
"                      [--codec zstd|lz4|none] [--level N] [--fsync]\n"
"                      [--clickhouse URL] [--anonymise PREFIXES --anon-key FILE]\n"
"                      [-u USER [-g GROUP]] [--pidfile FILE]\n"
"\n"
"Receives NetFlow v5/v9, IPFIX and sFlow v5 over UDP and writes the flow\n"
"store under DATADIR/flows. Runs in the foreground.\n"
"\n"
"  -l ADDR:PORT      listen address, repeatable: 0.0.0.0:2055, [::1]:2055,\n"
"                    or PORT alone for 0.0.0.0 (default 0.0.0.0:2055)\n"
"  --data DIR        data directory (default $MAMORI_DATA, else ./mamori-data)\n"
"  -t SECONDS        rotate store files every SECONDS (default 300)\n"
"  --threads N       receive threads per address, SO_REUSEPORT (default 1)\n"
"  --rcvbuf SIZE     socket receive buffer (default 128M)\n"
"  --queue FLOWS     flows buffered between receivers and writer (default 4M)\n"
"  --max-memory SIZE cap the queue so it holds at most SIZE bytes\n"
"  --scale           multiply packets/bytes by the exporter's sampling rate\n"
"  --stats FILE      JSON counters, rewritten every 10 s and at exit\n"
"                    (default DATADIR/collect.stats.json)\n"
"  --codec C, --level N, --fsync   store compression and durability\n"
"  --clickhouse URL  also send flows to ClickHouse (non-blocking)\n"
"  --anonymise PREFIXES, --anon-key FILE\n"
"                    Crypto-PAn addresses inside the comma-separated prefixes\n"
"  -u USER, -g GROUP drop root to USER after binding (DATADIR is chowned)\n"
"  --pidfile FILE    write the process id to FILE\n"
"  -v                more messages (repeat for debug)\n"
"\n"
"Signals: TERM/INT flush and exit 0; USR1 prints counters to stderr;\n"
"HUP rewrites the stats file. See mamori-collect(1).\n");
}

static void
log_stderr(void *arg, int level, const char *msg)
{
	(void)arg;
	fprintf(stderr, "mamori collect: %s%s\n",
	    level == COLLECT_LOG_ERR ? "" : level == COLLECT_LOG_INFO ?
	    "info: " : "debug: ", msg);
}

static int
write_stats(struct collector *c, const char *path)
{
	struct collect_stats	s;
	struct mm_diag		d;
	int			rc;

	if ((rc = collector_snapshot(c, &s)) != 0) {
		cli_err("collect", "stats: %s", mm_strerror(rc));
		return rc;
	}
	if ((rc = stats_write_file(&s, path, &d)) != 0)
		cli_err("collect", "stats: %s", d.msg);
	stats_clear(&s);
	return rc;
}

static void
print_stats(struct collector *c)
{
	struct collect_stats	 s;
	char			*txt;

	if (collector_snapshot(c, &s) != 0)
		return;
	if (stats_to_text(&s, &txt, NULL) == 0) {
		fputs(txt, stderr);
		fflush(stderr);
		free(txt);
	}
	stats_clear(&s);
}

/* "10.0.0.0/8,2001:db8::/32" -> malloc'd array; "all" or "" -> none
 * (every address). Prints its own error. */
static int
parse_ranges(const char *s, struct mm_prefix **out, size_t *n)
{
	struct mm_prefix	*v = NULL;
	char			*dup, *tok, *save = NULL;
	size_t			 cap = 0;
	int			 rc = 0;

	*out = NULL;
	*n = 0;
	if (*s == '\0' || strcmp(s, "all") == 0)
		return 0;
	if ((dup = strdup(s)) == NULL)
		return -1;
	for (tok = strtok_r(dup, ", ", &save); tok != NULL;
	    tok = strtok_r(NULL, ", ", &save)) {
		if (*n == cap) {
			struct mm_prefix *nv;

			cap = cap ? cap * 2 : 8;
			if (cap > 65536 || (nv = realloc(v,
			    cap * sizeof(*v))) == NULL) {
				cli_err("collect", "--anonymise: too many "
				    "ranges");
				rc = -1;
				break;
			}
			v = nv;
		}
		if (prefix_parse(tok, &v[*n]) != 0) {
			cli_err("collect", "--anonymise: '%s' is not a "
			    "prefix (e.g. 10.0.0.0/8, 2001:db8::/32)", tok);
			rc = -1;
			break;
		}
		(*n)++;
	}
	free(dup);
	if (rc != 0) {
		free(v);
		*n = 0;
		return rc;
	}
	*out = v;
	return 0;
}

enum {
	OPT_DATA = 256, OPT_THREADS, OPT_RCVBUF, OPT_QUEUE, OPT_MAXMEM,
	OPT_SCALE, OPT_STATS, OPT_CODEC, OPT_LEVEL, OPT_FSYNC, OPT_CH,
	OPT_ANON, OPT_ANONKEY, OPT_PIDFILE
};

static const struct option longopts[] = {
	{ "listen",	required_argument, NULL, 'l' },
	{ "data",	required_argument, NULL, OPT_DATA },
	{ "rotate",	required_argument, NULL, 't' },
	{ "threads",	required_argument, NULL, OPT_THREADS },
	{ "rcvbuf",	required_argument, NULL, OPT_RCVBUF },
	{ "queue",	required_argument, NULL, OPT_QUEUE },
	{ "max-memory",	required_argument, NULL, OPT_MAXMEM },
	{ "scale",	no_argument,	   NULL, OPT_SCALE },
	{ "stats",	required_argument, NULL, OPT_STATS },
	{ "codec",	required_argument, NULL, OPT_CODEC },
	{ "level",	required_argument, NULL, OPT_LEVEL },
	{ "fsync",	no_argument,	   NULL, OPT_FSYNC },
	{ "clickhouse",	required_argument, NULL, OPT_CH },
	{ "anonymise",	required_argument, NULL, OPT_ANON },
	{ "anonymize",	required_argument, NULL, OPT_ANON },
	{ "anon-key",	required_argument, NULL, OPT_ANONKEY },
	{ "user",	required_argument, NULL, 'u' },
	{ "group",	required_argument, NULL, 'g' },
	{ "pidfile",	required_argument, NULL, OPT_PIDFILE },
	{ "verbose",	no_argument,	   NULL, 'v' },
	{ "help",	no_argument,	   NULL, 'h' },
	{ NULL, 0, NULL, 0 }
};

int
cmd_collect(int argc, char **argv)
{
	struct udp_listen	 listen[MAX_LISTEN];
	struct collector_conf	 conf;
	struct collector	*c = NULL;
	struct daemon_ids	 ids;
	struct mm_diag		 d;
	struct sigaction	 sa;
	const char		*datadir_opt = NULL, *datadir, *user = NULL;
	const char		*group = NULL, *pidfile = NULL, *ch_url = NULL;
	const char		*anon = NULL, *anon_key = NULL;
	char			*stats_path = NULL;
	struct mm_prefix	*ranges = NULL;
	size_t			 nranges = 0;
	uint64_t		 size, maxmem = 0;
	uint64_t		 ul;
	size_t			 nlisten = 0, i;
	mtime_t			 last_stats, now;
	int			 ch, rc, ret = EXIT_RUNTIME, pid_written = 0;

	memset(&conf, 0, sizeof(conf));
	optind = 1;
	opterr = 0;
	while ((ch = getopt_long(argc, argv, "l:t:u:g:vh", longopts,
	    NULL)) != -1) {
		switch (ch) {
		case 'l':
			if (nlisten == MAX_LISTEN) {
				cli_err("collect", "at most %d -l addresses",
				    MAX_LISTEN);
				return EXIT_USAGE;
			}
			if (udp_listen_parse(optarg, &listen[nlisten],
			    &d) != 0) {
				cli_err("collect", "%s", d.msg);
				return EXIT_USAGE;
			}
			nlisten++;
			break;
		case OPT_DATA:
			datadir_opt = optarg;
			break;
		case 't':
			if (cli_rotate_opt("collect", optarg,
			    &conf.store.rotate_ms) != 0)
				return EXIT_USAGE;
			break;
		case OPT_THREADS:
			if (cli_parse_u64(optarg, 1, 64, &ul) != 0) {
				cli_err("collect", "--threads %s: expected 1 "
				    "to 64", optarg);
				return EXIT_USAGE;
			}
			conf.threads = (unsigned)ul;
			break;
		case OPT_RCVBUF:
			if (units_parse_size(optarg, &size) != 0 ||
			    size > (uint64_t)INT_MAX / 2) {
				cli_err("collect", "--rcvbuf %s: expected a "
				    "size up to 1G (e.g. 64M)", optarg);
				return EXIT_USAGE;
			}
			conf.rcvbuf = (size_t)size;
			break;
		case OPT_QUEUE:
			if (cli_parse_u64(optarg, 1, 1UL << 30, &ul) != 0) {
				cli_err("collect", "--queue %s: expected a "
				    "number of flows", optarg);
				return EXIT_USAGE;
			}
			conf.queue_flows = ul;
			break;
		case OPT_MAXMEM:
			if (units_parse_size(optarg, &maxmem) != 0 ||
			    maxmem < ((uint64_t)1 << 20)) {
				cli_err("collect", "--max-memory %s: expected "
				    "a size of at least 1M", optarg);
				return EXIT_USAGE;
			}
			break;
		case OPT_SCALE:
			conf.dec.scale = 1;
			break;
		case OPT_STATS:
			free(stats_path);
			if ((stats_path = strdup(optarg)) == NULL)
				return EXIT_RUNTIME;
			break;
		case OPT_CODEC:
			if (strcmp(optarg, "zstd") == 0)
				conf.store.codec = STORE_ZSTD;
			else if (strcmp(optarg, "lz4") == 0)
				conf.store.codec = STORE_LZ4;
			else if (strcmp(optarg, "none") == 0)
				conf.store.codec = STORE_NONE;
			else {
				cli_err("collect", "--codec %s: expected zstd, "
				    "lz4 or none", optarg);
				return EXIT_USAGE;
			}
			break;
		case OPT_LEVEL:
			if (cli_parse_u64(optarg, 1, 19, &ul) != 0) {
				cli_err("collect", "--level %s: expected 1 to "
				    "19", optarg);
				return EXIT_USAGE;
			}
			conf.store.level = (int)ul;
			break;
		case OPT_FSYNC:
			conf.store.fsync = 1;
			break;
		case OPT_CH:
			ch_url = optarg;
			break;
		case OPT_ANON:
			anon = optarg;
			break;
		case OPT_ANONKEY:
			anon_key = optarg;
			break;
		case 'u':
			user = optarg;
			break;
		case 'g':
			group = optarg;
			break;
		case OPT_PIDFILE:
			pidfile = optarg;
			break;
		case 'v':
			conf.verbose++;
			break;
		case 'h':
			usage_collect(stdout);
			free(stats_path);
			return EXIT_OK;
		default:
			if (optopt != 0 && optopt < 256)
				cli_err("collect", "bad or incomplete option "
				    "'-%c'", optopt);
			else
				cli_err("collect", "bad or incomplete option "
				    "'%s'", argv[optind - 1]);
			usage_collect(stderr);
			free(stats_path);
			return EXIT_USAGE;
		}
	}
	if (optind < argc) {
		cli_err("collect", "unexpected argument '%s'", argv[optind]);
		usage_collect(stderr);
		free(stats_path);
		return EXIT_USAGE;
	}
	if ((anon != NULL) != (anon_key != NULL)) {
		cli_err("collect", "--anonymise and --anon-key go together");
		free(stats_path);
		return EXIT_USAGE;
	}
	if (group != NULL && user == NULL) {
		cli_err("collect", "-g needs -u");
		free(stats_path);
		return EXIT_USAGE;
	}
	if (anon != NULL && parse_ranges(anon, &ranges, &nranges) != 0) {
		free(stats_path);
		return EXIT_USAGE;
	}
	if (nlisten == 0) {
		(void)udp_listen_parse("0.0.0.0:2055", &listen[0], NULL);
		nlisten = 1;
	}
	if (maxmem != 0) {
		size = maxmem / sizeof(struct flow);
		if (conf.queue_flows == 0 || conf.queue_flows > size)
			conf.queue_flows = (size_t)size;
	}
	datadir = cli_datadir(datadir_opt);
	if (stats_path == NULL) {
		size_t n = strlen(datadir) + sizeof("/collect.stats.json");

		if ((stats_path = malloc(n)) == NULL)
			return EXIT_RUNTIME;
		snprintf(stats_path, n, "%s/collect.stats.json", datadir);
	}
	if (user != NULL && daemon_ids_lookup(user, group, &ids, &d) != 0) {
		cli_err("collect", "%s", d.msg);
		free(stats_path);
		return EXIT_USAGE;
	}

	conf.listen = listen;
	conf.nlisten = nlisten;
	conf.datadir = datadir;
	conf.log = log_stderr;
	conf.log_arg = NULL;
	conf.anon_key = anon_key;
	conf.anon = ranges;
	conf.nanon = nranges;
	conf.clickhouse_url = ch_url;
	if ((rc = collector_open(&conf, &c, &d)) != 0) {
		cli_err("collect", "%s", d.msg);
		goto out;
	}
	if (cli_mkdirs(datadir) != 0) {
		cli_err("collect", "%s: %s", datadir, strerror(errno));
		goto out;
	}
	if (pidfile != NULL) {
		if (daemon_pidfile_write(pidfile, &d) != 0) {
			cli_err("collect", "%s", d.msg);
			goto out;
		}
		pid_written = 1;
	}
	if (user != NULL) {
		if (geteuid() == 0 && daemon_chown_tree(datadir, &ids,
		    &d) != 0) {
			cli_err("collect", "%s", d.msg);
			goto out;
		}
		if (daemon_drop(&ids, &d) != 0) {
			cli_err("collect", "%s; refusing to run", d.msg);
			goto out;
		}
	}

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGUSR1, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, NULL);

	if ((rc = collector_start(c, &d)) != 0) {
		cli_err("collect", "%s", d.msg);
		goto out;
	}
	fprintf(stderr, "mamori collect: listening on");
	for (i = 0; i < nlisten; i++)
		fprintf(stderr, " %s", listen[i].text);
	fprintf(stderr, " (%u thread%s each, rcvbuf %zu), writing %s\n",
	    conf.threads ? conf.threads : 1,
	    conf.threads > 1 ? "s" : "", collector_rcvbuf(c), datadir);
	if (conf.verbose && collector_rcvbuf(c) < (conf.rcvbuf ?
	    conf.rcvbuf : COLLECT_DEF_RCVBUF))
		fprintf(stderr, "mamori collect: info: receive buffer is "
		    "smaller than asked; raise net.core.rmem_max or run as "
		    "root\n");

	last_stats = mtime_now();
	while (!got_term) {
		(void)poll(NULL, 0, 200);
		if (got_usr1) {
			got_usr1 = 0;
			print_stats(c);
		}
		now = mtime_now();
		if (got_hup || now - last_stats >= STATS_MS) {
			got_hup = 0;
			(void)write_stats(c, stats_path);
			last_stats = now;
		}
	}
	if ((rc = collector_stop(c, &d)) != 0) {
		cli_err("collect", "closing the store: %s", d.msg);
		(void)write_stats(c, stats_path);
		goto out;
	}
	(void)write_stats(c, stats_path);
	if (conf.verbose)
		print_stats(c);
	ret = EXIT_OK;
 out:
	collector_free(c);
	if (pid_written)
		(void)unlink(pidfile);
	free(ranges);
	free(stats_path);
	return ret;
}
