/*
 * cmd_survey.c - `mamori survey`: an authorised, rate-limited survey of
 * IoT and VPN devices in the NOTICE style.
 *
 * Loads the scope (deny by default; 127/8 only with --lab), the rules and
 * the vulnerability data, builds the cyclic permutation (seed, shard,
 * resume state), opens the findings store and runs the scan engine; rows go
 * to stdout, findings to DATADIR/findings.db in one transaction, the
 * summary (metadata, counters) to stdout (JSON) or stderr. SIGINT/SIGTERM
 * stop feeding new targets; the resume state is saved at the end.
 * The opt-in credential check (--check-credentials, off by default) loads
 * the pair list (--credentials FILE, default data/credentials/mirai.creds)
 * and caps attempts per service (--max-attempts); only pair ids are ever
 * printed. --source binds every connection (in --lab it must be loopback).
 */
#include <errno.h>
#include <limits.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/cli.h"
#include "findings/findings.h"
#include "survey/cred.h"
#include "survey/perm.h"
#include "survey/pool.h"
#include "survey/rules.h"
#include "survey/scan.h"
#include "survey/scope.h"
#include "survey/survey.h"
#include "survey/vulns.h"

#define SURVEY_MAX_PORTS	1024
#define SURVEY_MAX_RULES	16	/* --rules given */

static volatile int survey_stop;

static void
survey_on_signal(int sig)
{
	(void)sig;
	survey_stop = 1;
}

enum {
	OPT_SCOPE = 256, OPT_EXCLUDE, OPT_OPTOUT, OPT_LAB, OPT_SEED,
	OPT_SHARD, OPT_RESUME, OPT_RATE, OPT_MAXC, OPT_TIMEOUT, OPT_RETRIES,
	OPT_RULES, OPT_VULNS, OPT_UA, OPT_CONTACT, OPT_OPERATOR, OPT_PURPOSE,
	OPT_DATA, OPT_DRY, OPT_BANNER, OPT_CREDS, OPT_CREDFILE, OPT_MAXATT,
	OPT_SOURCE, OPT_WORKERS
};

static const struct option longopts[] = {
	{ "scope",		required_argument, NULL, OPT_SCOPE },
	{ "ports",		required_argument, NULL, 'p' },
	{ "exclude",		required_argument, NULL, OPT_EXCLUDE },
	{ "opt-out",		required_argument, NULL, OPT_OPTOUT },
	{ "lab",		no_argument,	   NULL, OPT_LAB },
	{ "seed",		required_argument, NULL, OPT_SEED },
	{ "shard",		required_argument, NULL, OPT_SHARD },
	{ "resume",		required_argument, NULL, OPT_RESUME },
	{ "rate",		required_argument, NULL, OPT_RATE },
	{ "max-concurrent",	required_argument, NULL, OPT_MAXC },
	{ "timeout",		required_argument, NULL, OPT_TIMEOUT },
	{ "banner-wait",	required_argument, NULL, OPT_BANNER },
	{ "retries",		required_argument, NULL, OPT_RETRIES },
	{ "rules",		required_argument, NULL, OPT_RULES },
	{ "vulns",		required_argument, NULL, OPT_VULNS },
	{ "user-agent",		required_argument, NULL, OPT_UA },
	{ "contact",		required_argument, NULL, OPT_CONTACT },
	{ "operator",		required_argument, NULL, OPT_OPERATOR },
	{ "purpose",		required_argument, NULL, OPT_PURPOSE },
	{ "data",		required_argument, NULL, OPT_DATA },
	{ "dry-run",		no_argument,	   NULL, OPT_DRY },
	{ "check-credentials",	no_argument,	   NULL, OPT_CREDS },
	{ "credentials",	required_argument, NULL, OPT_CREDFILE },
	{ "max-attempts",	required_argument, NULL, OPT_MAXATT },
	{ "source",		required_argument, NULL, OPT_SOURCE },
	{ "workers",		required_argument, NULL, OPT_WORKERS },
	{ "output",		required_argument, NULL, 'o' },
	{ "help",		no_argument,	   NULL, 'h' },
	{ NULL, 0, NULL, 0 }
};

void
usage_survey(FILE *fp)
{
	fprintf(fp,
	    "usage: mamori survey --scope FILE -p PORTS [--exclude FILE]\n"
	    "                     [--opt-out FILE] [--lab] [--seed N]\n"
	    "                     [--shard I/N] [--resume STATE] [--rate CPS]\n"
	    "                     [--max-concurrent N] [--timeout MS]\n"
	    "                     [--banner-wait MS] [--retries N]\n"
	    "                     [--workers N]\n"
	    "                     [--rules PATH ...] [--vulns DIR]\n"
	    "                     [--user-agent S] [--contact S]\n"
	    "                     [--operator S] [--purpose S] [--data DIR]\n"
	    "                     [--source ADDR] [-o table|json|csv]\n"
	    "                     [--dry-run] [--check-credentials\n"
	    "                     [--credentials FILE] [--max-attempts N]]\n"
	    "\n"
	    "Authorised, rate-limited survey of IoT and VPN devices: connects\n"
	    "only to targets of the scope file (127.0.0.0/8 only with --lab),\n"
	    "identifies services with the fingerprint rules, tags vulnerable\n"
	    "versions and records findings (device, vulnerable-version,\n"
	    "open-telnet, weak-credential). Sends no credential unless\n"
	    "--check-credentials is given. See mamori-survey(1).\n"
	    "\n"
	    "  --scope FILE        addresses/prefixes to survey (required)\n"
	    "  -p, --ports LIST    default ports, e.g. 22,23,80,443,8000-8080\n"
	    "  --exclude FILE      addresses/prefixes never to contact\n"
	    "  --opt-out FILE      opt-out list (same format)\n"
	    "  --lab               allow (only) 127.0.0.0/8 and ::1\n"
	    "  --seed N            permutation seed (default: time)\n"
	    "  --shard I/N         survey shard I of N (0-based)\n"
	    "  --resume STATE      continue from / save to a state file\n"
	    "  --rate CPS          new connections per second (default 1000)\n"
	    "  --max-concurrent N  connections in flight (default 10000)\n"
	    "  --workers N         worker processes sharing the survey (default:\n"
	    "                      1, more when --max-concurrent exceeds one\n"
	    "                      process's descriptor limit)\n"
	    "  --timeout MS        connect and exchange timeout (default 3000)\n"
	    "  --banner-wait MS    wait for a banner (default 2000)\n"
	    "  --retries N         reconnects after a connect timeout (1)\n"
	    "  --rules PATH        fingerprint rules: a directory of .rules\n"
	    "                      files or one file; repeatable, loaded in\n"
	    "                      order (default data/fingerprints)\n"
	    "  --vulns DIR         vulnerability data (default data/vulns)\n"
	    "  --user-agent S      HTTP User-Agent (attributable)\n"
	    "  --contact S         contact string recorded with the results\n"
	    "  --operator S        who runs the survey\n"
	    "  --purpose S         why\n"
	    "  --data DIR          data directory for findings.db\n"
	    "  -o FORMAT           table (default), json (lines) or csv\n"
	    "  --source ADDR       bind this local address (--lab: loopback)\n"
	    "  --dry-run           check scope, rules and data; print counts\n"
	    "  --check-credentials opt-in: try default pairs on telnet, SSH\n"
	    "                      and HTTP Basic/Digest; stop at the first\n"
	    "                      success; never run a command\n"
	    "  --credentials FILE  pair list (mamori-credentials(5); default\n"
	    "                      data/credentials/mirai.creds)\n"
	    "  --max-attempts N    pairs per service (default 10, max 100)\n");
}

static int
parse_ports(const char *s, uint16_t *out, size_t *n)
{
	char buf[4096], *tok, *save = NULL;
	long long lo, hi, v;

	if (strlen(s) >= sizeof(buf))
		return -1;
	snprintf(buf, sizeof(buf), "%s", s);
	*n = 0;
	for (tok = strtok_r(buf, ",", &save); tok != NULL;
	    tok = strtok_r(NULL, ",", &save)) {
		char *dash = strchr(tok, '-');

		if (dash != NULL) {
			*dash = '\0';
			if (cli_parse_ll(tok, 1, 65535, &lo) != 0 ||
			    cli_parse_ll(dash + 1, 1, 65535, &hi) != 0 ||
			    hi < lo)
				return -1;
		} else {
			if (cli_parse_ll(tok, 1, 65535, &lo) != 0)
				return -1;
			hi = lo;
		}
		for (v = lo; v <= hi; v++) {
			if (*n >= SURVEY_MAX_PORTS)
				return -1;
			out[(*n)++] = (uint16_t)v;
		}
	}
	return *n > 0 ? 0 : -1;
}

/* --DIR, else cli_data_find(NAME, ENV) (MAMORI_SRCDIR, ./data, next to
 * the binary, installed copies), else ./data/NAME for the error message. */
static const char *
default_dir(const char *opt, const char *name, const char *env, char *buf,
    size_t len)
{
	if (opt != NULL)
		return opt;
	if (cli_data_find(name, env, buf, len) != NULL)
		return buf;
	snprintf(buf, len, "data/%s", name);
	return buf;
}

/* Raises RLIMIT_NOFILE for `want` connections: the soft limit to the hard
 * one, and, when the hard limit is lower and the process may raise it
 * (CAP_SYS_RESOURCE), the hard limit too, up to fs.nr_open. Returns the
 * usable number of descriptors for connections (a margin is kept for
 * files and the db). */
static unsigned
fd_budget(unsigned want)
{
	struct rlimit rl;
	rlim_t need = (rlim_t)want + 64, nr_open = 1048576;
	FILE *fp;

	if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
		return 960;
	if ((fp = fopen("/proc/sys/fs/nr_open", "r")) != NULL) {
		unsigned long v;

		if (fscanf(fp, "%lu", &v) == 1 && v >= 1024)
			nr_open = (rlim_t)v;
		fclose(fp);
	}
	if (need > nr_open)
		need = nr_open;
	if (rl.rlim_max != RLIM_INFINITY && rl.rlim_max < need) {
		struct rlimit up = { need, need };

		(void)setrlimit(RLIMIT_NOFILE, &up);	/* privileged only */
		(void)getrlimit(RLIMIT_NOFILE, &rl);
	}
	if (rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		(void)setrlimit(RLIMIT_NOFILE, &rl);
		(void)getrlimit(RLIMIT_NOFILE, &rl);
	}
	if (rl.rlim_cur == RLIM_INFINITY || rl.rlim_cur > 1100000)
		return 1000000;
	return rl.rlim_cur > 128 ? (unsigned)rl.rlim_cur - 64 : 64;
}

static int
is_v6_loopback(const struct mm_addr *a)
{
	static const uint8_t lo[16] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	    0, 0, 0, 1 };

	return memcmp(a->b, lo, 16) == 0;
}

static void
progress(const struct scan_stats *st, void *arg)
{
	double secs = (double)(st->now_ns - st->start_ns) / 1e9;
	double rate = secs > 0 ? (double)st->done / secs : 0;
	double eta = rate > 0 && st->total > st->done ?
	    (double)(st->total - st->done) / rate : 0;

	(void)arg;
	fprintf(stderr, "\r%llu/%llu targets, %llu open, %llu identified, "
	    "%.0f/s, ETA %.0fs   ", (unsigned long long)st->done,
	    (unsigned long long)st->total, (unsigned long long)st->open,
	    (unsigned long long)st->identified, rate, eta);
}

int
cmd_survey(int argc, char **argv)
{
	const char *scope_path = NULL, *exclude = NULL, *optout = NULL;
	const char *resume = NULL, *rules_dir = NULL, *vulns_dir = NULL;
	const char *rules_paths[SURVEY_MAX_RULES];
	size_t nrules = 0, ri;
	const char *ua = "mamori-survey/0.1 (authorised research survey)";
	const char *contact = "", *operator_ = "", *purpose = "";
	const char *data = NULL, *ports_s = NULL;
	uint16_t ports[SURVEY_MAX_PORTS];
	size_t nports = 0;
	int lab = 0, dry = 0, ch, rc = EXIT_RUNTIME;
	long long seed = -1, v;
	uint32_t shard_i = 0, shard_n = 1;
	double rate = 1000;
	struct scan_cfg cfg;
	struct scope *scope = NULL;
	struct rules *rules = NULL;
	struct vulns *vulns = NULL;
	struct findings_db *db = NULL;
	struct perm perms[POOL_MAX_WORKERS];
	long long workers = 0;
	unsigned nw = 1, w;
	char state_path[PATH_MAX + 16];
	struct mm_diag d;
	struct survey_run run;
	struct scan_stats st;
	struct sigaction sa;
	enum out_format of = OUT_TABLE;
	char scan_id[64];
	int in_tx = 0, creds_on = 0, scan_failed = 0;
	const char *cred_path = NULL, *source_s = NULL;
	long long max_att = -1;
	struct cred_list *creds = NULL;
	char cred_buf[4096], rules_buf[PATH_MAX], vulns_buf[PATH_MAX];

	memset(&cfg, 0, sizeof(cfg));
	cfg.max_concurrent = 10000;
	cfg.timeout_ms = 3000;
	cfg.banner_ms = 2000;
	cfg.retries = 1;
	optind = 1;
	while ((ch = getopt_long(argc, argv, "hp:o:", longopts, NULL)) != -1) {
		switch (ch) {
		case OPT_SCOPE: scope_path = optarg; break;
		case 'p': ports_s = optarg; break;
		case OPT_EXCLUDE: exclude = optarg; break;
		case OPT_OPTOUT: optout = optarg; break;
		case OPT_LAB: lab = 1; break;
		case OPT_SEED:
			if (cli_parse_ll(optarg, 0, INT64_MAX, &seed) != 0)
				goto badval;
			break;
		case OPT_SHARD: {
			unsigned a, b;
			char extra;

			if (sscanf(optarg, "%u/%u%c", &a, &b, &extra) != 2 ||
			    b == 0 || a >= b || b > PERM_MAX_SHARDS)
				goto badval;
			shard_i = a;
			shard_n = b;
			break;
		}
		case OPT_RESUME: resume = optarg; break;
		case OPT_RATE:
			if (cli_parse_double(optarg, &rate) != 0 || rate < 0)
				goto badval;
			break;
		case OPT_MAXC:
			if (cli_parse_ll(optarg, 1, 1000000, &v) != 0)
				goto badval;
			cfg.max_concurrent = (unsigned)v;
			break;
		case OPT_TIMEOUT:
			if (cli_parse_ll(optarg, 1, 600000, &v) != 0)
				goto badval;
			cfg.timeout_ms = (unsigned)v;
			break;
		case OPT_BANNER:
			if (cli_parse_ll(optarg, 1, 600000, &v) != 0)
				goto badval;
			cfg.banner_ms = (unsigned)v;
			break;
		case OPT_RETRIES:
			if (cli_parse_ll(optarg, 0, 10, &v) != 0)
				goto badval;
			cfg.retries = (unsigned)v;
			break;
		case OPT_RULES:
			if (nrules >= SURVEY_MAX_RULES) {
				cli_err("survey", "--rules: at most %d",
				    SURVEY_MAX_RULES);
				return EXIT_USAGE;
			}
			rules_paths[nrules++] = optarg;
			break;
		case OPT_VULNS: vulns_dir = optarg; break;
		case OPT_UA: ua = optarg; break;
		case OPT_CONTACT: contact = optarg; break;
		case OPT_OPERATOR: operator_ = optarg; break;
		case OPT_PURPOSE: purpose = optarg; break;
		case OPT_DATA: data = optarg; break;
		case OPT_DRY: dry = 1; break;
		case OPT_CREDS: creds_on = 1; break;
		case OPT_CREDFILE: cred_path = optarg; break;
		case OPT_MAXATT:
			if (cli_parse_ll(optarg, 1, CRED_MAX_ATTEMPTS, &max_att)
			    != 0)
				goto badval;
			break;
		case OPT_SOURCE: source_s = optarg; break;
		case OPT_WORKERS:
			if (cli_parse_ll(optarg, 1, POOL_MAX_WORKERS, &workers)
			    != 0)
				goto badval;
			break;
		case 'o':
			if (cli_out_format(optarg, &of) != 0)
				goto badval;
			break;
		case 'h':
			usage_survey(stdout);
			return EXIT_OK;
		default:
			usage_survey(stderr);
			return EXIT_USAGE;
		}
	}
	if (optind < argc || scope_path == NULL || ports_s == NULL) {
		cli_err("survey", "--scope and -p are required");
		usage_survey(stderr);
		return EXIT_USAGE;
	}
	if (parse_ports(ports_s, ports, &nports) != 0) {
		cli_err("survey", "-p %s: bad port list", ports_s);
		return EXIT_USAGE;
	}
	if (strlen(ua) > 200 || strpbrk(ua, "\r\n") != NULL) {
		cli_err("survey", "--user-agent: too long or has CR/LF");
		return EXIT_USAGE;
	}
	if (!creds_on && (cred_path != NULL || max_att > 0)) {
		cli_err("survey", "--credentials and --max-attempts need "
		    "--check-credentials");
		return EXIT_USAGE;
	}
	if (source_s != NULL) {
		if (addr_parse(source_s, &cfg.source) != 0 ||
		    addr_is_zero(&cfg.source)) {
			cli_err("survey", "--source %s: not an address",
			    source_s);
			return EXIT_USAGE;
		}
		if (lab && !(addr_is_v4(&cfg.source) ?
		    (addr_v4(&cfg.source) >> 24) == 127 :
		    is_v6_loopback(&cfg.source))) {
			cli_err("survey", "--source %s: with --lab the source "
			    "must be loopback (127.0.0.0/8 or ::1)", source_s);
			return EXIT_USAGE;
		}
		cfg.have_source = 1;
	}
	cfg.rate = rate;
	cfg.user_agent = ua;
	memset(&d, 0, sizeof(d));
	if (scope_load(&scope, scope_path, exclude, optout, ports, nports,
	    lab, &d) != 0) {
		cli_err("survey", "scope refused: %s", d.msg);
		return EXIT_USAGE;
	}
	if (nrules == 0)
		rules_paths[nrules++] = default_dir(NULL, "fingerprints",
		    "MAMORI_FINGERPRINTS", rules_buf, sizeof(rules_buf));
	vulns_dir = default_dir(vulns_dir, "vulns", "MAMORI_VULNS",
	    vulns_buf, sizeof(vulns_buf));
	{
		/* one process holds at most its descriptor limit in flight;
		 * beyond it the survey is split over worker processes */
		unsigned budget = fd_budget(cfg.max_concurrent);

		nw = workers > 0 ? (unsigned)workers :
		    (cfg.max_concurrent + budget - 1) / budget;
		if (nw > POOL_MAX_WORKERS)
			nw = POOL_MAX_WORKERS;
		if (cfg.max_concurrent > (unsigned long long)budget * nw) {
			cli_err("survey", "--max-concurrent %u lowered to %u "
			    "(descriptor limit %u per process, %u worker%s)",
			    cfg.max_concurrent, budget * nw, budget, nw,
			    nw > 1 ? "s" : "");
			cfg.max_concurrent = budget * nw;
		}
		if (workers == 0 && nw > 1)
			cli_err("survey", "--max-concurrent %u: %u worker "
			    "processes (descriptor limit %u per process)",
			    cfg.max_concurrent, nw, budget);
	}
	if (rules_new(&rules) != 0) {
		cli_err("survey", "rules: out of memory");
		goto out;
	}
	/* each --rules is a directory (its .rules files in name order) or
	 * one file, loaded in the order given */
	for (ri = 0; ri < nrules; ri++) {
		struct stat sb;

		rules_dir = rules_paths[ri];
		if ((stat(rules_dir, &sb) == 0 && S_ISDIR(sb.st_mode) ?
		    rules_load_dir(rules, rules_dir, &d) :
		    rules_load_file(rules, rules_dir, &d)) != 0) {
			cli_err("survey", "rules %s: %s", rules_dir, d.msg);
			rc = EXIT_USAGE;
			goto out;
		}
	}
	if (vulns_load(&vulns, vulns_dir, &d) != 0) {
		cli_err("survey", "vulns %s: %s", vulns_dir, d.msg);
		goto out;
	}
	if (creds_on) {
		if (cred_path == NULL) {
			const char *e = getenv("MAMORI_CREDENTIALS");
			int cl = -1;

			/* $MAMORI_CREDENTIALS names a directory */
			if (e != NULL && *e != '\0')
				cl = snprintf(cred_buf, sizeof(cred_buf),
				    "%s/mirai.creds", e);
			if ((cl < 0 || (size_t)cl >= sizeof(cred_buf)) &&
			    cli_data_find("credentials/mirai.creds", NULL,
			    cred_buf, sizeof(cred_buf)) == NULL)
				snprintf(cred_buf, sizeof(cred_buf),
				    "data/credentials/mirai.creds");
			cred_path = cred_buf;
		}
		/* the diag names file:line and field, never a secret */
		if (cred_list_load(cred_path, &creds, &d) != 0) {
			cli_err("survey", "credentials: %s", d.msg);
			rc = EXIT_USAGE;
			goto out;
		}
		cfg.creds = creds;
		cfg.max_attempts = max_att > 0 ? (unsigned)max_att :
		    CRED_DEF_ATTEMPTS;
	}
	if (seed < 0)
		seed = (long long)time(NULL);
	if (pool_perms_init(perms, nw, scope_ntargets(scope), (uint64_t)seed,
	    shard_i, shard_n) != 0) {
		cli_err("survey", "permutation: bad target count or shard "
		    "(shards x workers at most %d)", PERM_MAX_SHARDS);
		rc = EXIT_USAGE;
		goto out;
	}
	/* --resume STATE: one file, or STATE.W per worker with --workers */
	for (w = 0; resume != NULL && w < nw; w++) {
		struct perm want = perms[w];

		if (nw == 1)
			snprintf(state_path, sizeof(state_path), "%s", resume);
		else
			snprintf(state_path, sizeof(state_path), "%s.%u",
			    resume, w);
		if (access(state_path, F_OK) != 0)
			continue;
		if (perm_state_load(&perms[w], state_path,
		    scope_ntargets(scope), &d) != 0) {
			cli_err("survey", "resume: %s", d.msg);
			goto out;
		}
		if (nw > 1 && (perms[w].shard_i != want.shard_i ||
		    perms[w].shard_n != want.shard_n)) {
			cli_err("survey", "resume: %s: saved as shard %u/%u, "
			    "worker %u of this run is %u/%u (use the same "
			    "--shard and --workers)", state_path,
			    perms[w].shard_i, perms[w].shard_n, w,
			    want.shard_i, want.shard_n);
			rc = EXIT_USAGE;
			goto out;
		}
	}
	if (dry) {
		printf("scope: %zu entries, %zu ranges, %llu targets; "
		    "exclusions %zu, opt-outs %zu; rules %zu (probes %zu); "
		    "vulns %zu; shard %u/%u; workers %u",
		    scope_nentries(scope, SCOPE_INCLUDE), scope_nranges(scope),
		    (unsigned long long)scope_ntargets(scope),
		    scope_nentries(scope, SCOPE_EXCLUDE),
		    scope_nentries(scope, SCOPE_OPTOUT), rules_count(rules),
		    rules_probe_count(rules), vulns_count(vulns), shard_i,
		    shard_n, nw);
		if (creds != NULL)
			printf("; credentials %zu pairs, at most %u attempts "
			    "per service", creds->n, cfg.max_attempts);
		printf("\n");
		rc = EXIT_OK;
		goto out;
	}
	data = cli_datadir(data);
	if (cli_mkdirs(data) != 0) {
		cli_err("survey", "%s: %s", data, strerror(errno));
		goto out;
	}
	if (findings_open(data, &db, &d) != 0) {
		cli_err("survey", "%s", d.msg);
		goto out;
	}
	if (findings_begin(db, &d) != 0) {
		cli_err("survey", "%s", d.msg);
		goto out;
	}
	in_tx = 1;
	memset(&run, 0, sizeof(run));
	{
		struct timespec ts;

		clock_gettime(CLOCK_REALTIME, &ts);
		run.meta.start_ms = (int64_t)ts.tv_sec * 1000 +
		    ts.tv_nsec / 1000000;
	}
	snprintf(scan_id, sizeof(scan_id), "survey-%lld-%lld-%u",
	    (long long)(run.meta.start_ms / 1000), seed, shard_i);
	run.meta.scan_id = scan_id;
	run.meta.operator_ = operator_;
	run.meta.purpose = purpose;
	run.meta.user_agent = ua;
	run.meta.contact = contact;
	run.meta.source = source_s != NULL ? source_s :
	    lab ? "127.0.0.1" : "";
	run.meta.creds = creds != NULL;
	run.meta.creds_file = creds != NULL ? cred_path : NULL;
	run.meta.max_attempts = cfg.max_attempts;
	run.vulns = vulns;
	run.db = db;
	run.out = stdout;
	run.fmt = of == OUT_JSON ? SURVEY_OUT_JSON : of == OUT_CSV ?
	    SURVEY_OUT_CSV : SURVEY_OUT_TABLE;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = survey_on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	survey_header(&run);
	fflush(stdout);
	fflush(stderr);
	if (pool_run(&cfg, scope, perms, nw, rules, survey_result,
	    cli_progress_enabled() ? progress : NULL, &run, &survey_stop,
	    &st, &d) != 0) {
		/* what the other workers found is still committed below */
		cli_err("survey", "%s", d.msg);
		scan_failed = 1;
	}
	if (cli_progress_enabled())
		fprintf(stderr, "\n");
	if (findings_commit(db, &d) != 0) {
		cli_err("survey", "%s", d.msg);
		goto out;
	}
	in_tx = 0;
	{
		struct timespec ts;

		clock_gettime(CLOCK_REALTIME, &ts);
		survey_summary(&run, &st, (int64_t)ts.tv_sec * 1000 +
		    ts.tv_nsec / 1000000);
	}
	if (run.db_errors > 0)
		cli_err("survey", "%llu findings not stored: %s",
		    (unsigned long long)run.db_errors, run.last_err.msg);
	if (st.scope_refused > 0)
		cli_err("survey", "%llu connects refused by the final scope "
		    "check", (unsigned long long)st.scope_refused);
	for (w = 0; resume != NULL && w < nw; w++) {
		if (nw == 1)
			snprintf(state_path, sizeof(state_path), "%s", resume);
		else
			snprintf(state_path, sizeof(state_path), "%s.%u",
			    resume, w);
		if (perm_state_save(&perms[w], state_path, &d) != 0) {
			cli_err("survey", "resume: %s", d.msg);
			goto out;
		}
	}
	rc = scan_failed ? EXIT_RUNTIME : EXIT_OK;
out:
	if (in_tx)
		findings_rollback(db);
	findings_close(db);
	vulns_free(vulns);
	rules_free(rules);
	scope_free(scope);
	if (creds != NULL) {
		explicit_bzero(creds->v, creds->n * sizeof(*creds->v));
		cred_list_free(creds);
	}
	return rc;
badval:
	cli_err("survey", "bad value for an option: %s", optarg);
	return EXIT_USAGE;
}
