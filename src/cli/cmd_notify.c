/*
 * cmd_notify.c - `mamori notify run|deliver|list|recheck|stats`: tell the
 * networks concerned about their open findings, track what they were told,
 * and check later whether it was fixed.
 *
 *   run      (default) open findings -> routing view + contacts (+ saved
 *            RDAP) -> unattributed bucket / de-duplication -> one message
 *            per recipient -> notify.db queue -> SMTP or outbox delivery
 *   deliver  retry the due (with --now: all) pending messages
 *   list     the queue: messages and their states
 *   recheck  re-survey the notified devices (exec `mamori survey`), mark
 *            each finding remediated or persisting
 *   stats    NOTICE-style monthly figures per ISP and category
 *
 * All orchestration is src/notify/notify.c; this file parses options,
 * loads the routing and contact sources, prints events and figures, and
 * runs the survey for a recheck (fork + exec of this same binary, its
 * stdout captured to a file for the scan id). Costs: the run's (see
 * notify.h); printing is O(rows). Exit: 0 ok; 1 runtime error, or a
 * message that could not be rendered or delivered (it stays queued); 2
 * usage error. The SMTP password is read from a file and never printed.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "attrib/attrib.h"
#include "attrib/contacts.h"
#include "attrib/rdap.h"
#include "attrib/routeview.h"
#include "cli/cli.h"
#include "findings/findings.h"
#include "notify/mail.h"
#include "notify/notify.h"
#include "notify/track.h"

#define CMD		"notify"
#define SRC_MAX		32

enum {
	OPT_DATA = 256, OPT_MRT, OPT_PFX2AS, OPT_MMDB, OPT_CUST, OPT_CONTACTS,
	OPT_RDAP, OPT_KIND, OPT_SINCE, OPT_DEDUP, OPT_TEMPLATES, OPT_FROM,
	OPT_FROMNAME, OPT_ORG, OPT_DOMAIN, OPT_CEMAIL, OPT_CNAME, OPT_CPHONE,
	OPT_URL, OPT_SMTP, OPT_SMTPUSER, OPT_SMTPPASS, OPT_STARTTLS,
	OPT_CAFILE, OPT_OUTBOX, OPT_RATE_RCPT, OPT_DRY, OPT_NOW, OPT_STATE,
	OPT_LAB, OPT_CREDS, OPT_CREDFILE, OPT_RULES, OPT_VULNS, OPT_RATE,
	OPT_OLDER, OPT_MONTH, OPT_TO, OPT_TIMEOUT, OPT_STIMEOUT, OPT_FORCE
};

static const struct option longopts[] = {
	{ "data",		required_argument, NULL, OPT_DATA },
	{ "mrt",		required_argument, NULL, OPT_MRT },
	{ "pfx2as",		required_argument, NULL, OPT_PFX2AS },
	{ "mmdb",		required_argument, NULL, OPT_MMDB },
	{ "customers",		required_argument, NULL, OPT_CUST },
	{ "contacts",		required_argument, NULL, OPT_CONTACTS },
	{ "rdap",		required_argument, NULL, OPT_RDAP },
	{ "kind",		required_argument, NULL, OPT_KIND },
	{ "since",		required_argument, NULL, OPT_SINCE },
	{ "dedup-interval",	required_argument, NULL, OPT_DEDUP },
	{ "templates",		required_argument, NULL, OPT_TEMPLATES },
	{ "from",		required_argument, NULL, OPT_FROM },
	{ "from-name",		required_argument, NULL, OPT_FROMNAME },
	{ "org",		required_argument, NULL, OPT_ORG },
	{ "domain",		required_argument, NULL, OPT_DOMAIN },
	{ "contact-email",	required_argument, NULL, OPT_CEMAIL },
	{ "contact-name",	required_argument, NULL, OPT_CNAME },
	{ "contact-phone",	required_argument, NULL, OPT_CPHONE },
	{ "url",		required_argument, NULL, OPT_URL },
	{ "smtp",		required_argument, NULL, OPT_SMTP },
	{ "smtp-user",		required_argument, NULL, OPT_SMTPUSER },
	{ "smtp-password-file",	required_argument, NULL, OPT_SMTPPASS },
	{ "starttls",		no_argument,	   NULL, OPT_STARTTLS },
	{ "ca-file",		required_argument, NULL, OPT_CAFILE },
	{ "smtp-timeout",	required_argument, NULL, OPT_TIMEOUT },
	{ "outbox",		required_argument, NULL, OPT_OUTBOX },
	{ "rate-per-recipient",	required_argument, NULL, OPT_RATE_RCPT },
	{ "dry-run",		required_argument, NULL, OPT_DRY },
	{ "now",		no_argument,	   NULL, OPT_NOW },
	{ "state",		required_argument, NULL, OPT_STATE },
	{ "lab",		no_argument,	   NULL, OPT_LAB },
	{ "check-credentials",	no_argument,	   NULL, OPT_CREDS },
	{ "credentials",	required_argument, NULL, OPT_CREDFILE },
	{ "rules",		required_argument, NULL, OPT_RULES },
	{ "vulns",		required_argument, NULL, OPT_VULNS },
	{ "rate",		required_argument, NULL, OPT_RATE },
	{ "timeout",		required_argument, NULL, OPT_STIMEOUT },
	{ "force",		no_argument,	   NULL, OPT_FORCE },
	{ "older-than",		required_argument, NULL, OPT_OLDER },
	{ "month",		required_argument, NULL, OPT_MONTH },
	{ "to",			required_argument, NULL, OPT_TO },
	{ "limit",		required_argument, NULL, 'n' },
	{ "output",		required_argument, NULL, 'o' },
	{ "help",		no_argument,	   NULL, 'h' },
	{ NULL, 0, NULL, 0 }
};

/* Which subcommands take which option. */
#define S_RUN		0x01
#define S_DELIVER	0x02
#define S_LIST		0x04
#define S_RECHECK	0x08
#define S_STATS		0x10
#define S_ALL		0x1f

static int
opt_mask(int ch)
{
	switch (ch) {
	case OPT_DATA: case 'o': case 'h':
		return S_ALL;
	case OPT_FROM:
		return S_RUN | S_DELIVER | S_STATS;
	case OPT_SMTP: case OPT_SMTPUSER: case OPT_SMTPPASS: case OPT_STARTTLS:
	case OPT_CAFILE: case OPT_TIMEOUT: case OPT_OUTBOX: case OPT_RATE_RCPT:
		return S_RUN | S_DELIVER;
	case OPT_DRY:
		return S_RUN | S_RECHECK;
	case OPT_NOW:
		return S_DELIVER;
	case OPT_STATE: case 'n':
		return S_LIST;
	case OPT_LAB: case OPT_CREDS: case OPT_CREDFILE: case OPT_RULES:
	case OPT_VULNS: case OPT_RATE: case OPT_STIMEOUT: case OPT_OLDER:
	case OPT_FORCE:
		return S_RECHECK;
	case OPT_MONTH: case OPT_TO:
		return S_STATS;
	default:
		return S_RUN;
	}
}

struct opts {
	const char	*sub;
	const char	*data;
	const char	*mrt[SRC_MAX], *pfx2as[SRC_MAX], *mmdb[SRC_MAX];
	const char	*cust[SRC_MAX], *contacts[SRC_MAX], *rdap[SRC_MAX];
	size_t		 nmrt, npfx2as, nmmdb, ncust, ncontacts, nrdap;
	const char	*kinds[NOTIFY_MAX_KINDS];
	size_t		 nkinds;
	mtime_t		 since;
	mtime_t		 dedup;
	const char	*templates;
	const char	*from, *from_name;
	const char	*org, *domain, *cemail, *cname, *cphone, *url;
	const char	*smtp, *smtp_user, *smtp_pass_file, *ca_file;
	int		 starttls;
	long		 smtp_timeout_ms;
	const char	*outbox;
	int		 rate_max;
	mtime_t		 rate_window;
	const char	*dry;
	int		 now;
	int		 state;
	size_t		 limit;
	int		 lab, creds;
	const char	*credfile, *rules, *vulns, *rate, *stimeout;
	mtime_t		 older;
	int		 force;
	const char	*month, *mfrom, *mto;
	enum out_format	 fmt;
	int		 fmt_set;
};

/* ---- usage ---- */

static void
usage_run(FILE *fp)
{
	fprintf(fp,
	    "usage: mamori notify [run] [--data DIR] [routing] "
	    "--contacts FILE\n"
	    "                     [--rdap DIR] [--kind K]... [--since T]\n"
	    "                     [--dedup-interval DUR] [--templates DIR]\n"
	    "                     --from ADDR [--from-name NAME] [reporter]\n"
	    "                     [--smtp URL [smtp options] | --outbox DIR]\n"
	    "                     [--rate-per-recipient N[/DUR]]\n"
	    "                     [--dry-run DIR] [-o table|csv|json]\n"
	    "\n"
	    "Attributes the open findings to networks and recipients, puts "
	    "the\n"
	    "findings without a recipient into the unattributed bucket\n"
	    "(DATADIR/notify/unattributed/, one CSV per report type; never\n"
	    "mailed), skips what the recipient was told within the\n"
	    "de-duplication interval, renders one message per recipient (its\n"
	    "language; Shadowserver-style CSV per report type, X-ARF if it\n"
	    "prefers), queues it in DATADIR/notify.db and delivers the due\n"
	    "messages. Findings become `notified' only once the SMTP server\n"
	    "accepted the message (or it was written to the outbox); a failed\n"
	    "delivery stays queued for `notify deliver' or the next run.\n"
	    "\n"
	    "routing (repeatable; at least one):\n"
	    "  --customers FILE    customer prefixes (PREFIX CUSTOMER-ID "
	    "[AS])\n"
	    "  --mrt FILE          MRT RIB dump (RFC 6396)\n"
	    "  --pfx2as FILE       CAIDA prefix-to-AS file\n"
	    "  --mmdb FILE         MaxMind-format ASN database\n"
	    "contacts:\n"
	    "  --contacts FILE     contacts file, mamori-contacts(5) "
	    "(repeatable)\n"
	    "  --rdap DIR          saved RDAP JSON answers (repeatable)\n"
	    "selection:\n"
	    "  --kind K            only findings of kind K (repeatable)\n"
	    "  --since T           only findings seen since T (RFC 3339 or "
	    "-7d)\n"
	    "  --dedup-interval D  do not repeat a notice within D "
	    "(default 30d)\n"
	    "message:\n"
	    "  --templates DIR     ja.txt/en.txt (default "
	    "data/notify/templates)\n"
	    "  --from ADDR         From: and envelope sender (required)\n"
	    "  --from-name NAME    display name of From:\n"
	    "  --org NAME          reporting organisation (default: "
	    "--from-name)\n"
	    "  --domain DOMAIN     its domain, for Message-IDs (default: "
	    "--from's)\n"
	    "  --contact-email A, --contact-name N, --contact-phone P, "
	    "--url URL\n"
	    "                      signature and X-ARF reporter details\n"
	    "delivery (without either, messages are only queued):\n"
	    "  --smtp URL          smtp://host[:port][/ehlo] or smtps://...\n"
	    "  --smtp-user USER    AUTH user; --smtp-password-file FILE\n"
	    "  --starttls          require STARTTLS; --ca-file FILE\n"
	    "  --smtp-timeout MS   whole transaction (default 120000)\n"
	    "  --outbox DIR        write .eml files instead of sending\n"
	    "  --rate-per-recipient N[/DUR]  messages per recipient per "
	    "window\n"
	    "                      (default 10/1h)\n"
	    "  --dry-run DIR       render the messages and the bucket into "
	    "DIR;\n"
	    "                      change nothing\n"
	    "  --data DIR          data directory (default $MAMORI_DATA, "
	    "else\n"
	    "                      ./mamori-data)\n"
	    "Exit: 0 ok, 1 runtime error or a message not rendered or not\n"
	    "delivered (it stays queued), 2 usage error. See "
	    "mamori-notify(1).\n");
}

static void
usage_deliver(FILE *fp)
{
	fprintf(fp,
	    "usage: mamori notify deliver [--data DIR] (--smtp URL "
	    "[smtp options] | --outbox DIR)\n"
	    "                             [--from ADDR] [--now]\n"
	    "                             [--rate-per-recipient N[/DUR]] "
	    "[-o table|csv|json]\n"
	    "\n"
	    "Delivers the queued messages that are due (backoff after a\n"
	    "temporary failure: 5 min doubling to 12 h; at most 16 attempts),\n"
	    "under the per-recipient rate limit, and marks the findings of\n"
	    "every accepted message notified.\n"
	    "\n"
	    "  --now               retry every pending message now, ignoring "
	    "its\n"
	    "                      backoff (the rate limit still applies)\n"
	    "  --from ADDR         envelope sender (required with --smtp)\n"
	    "  --smtp, --smtp-user, --smtp-password-file, --starttls, "
	    "--ca-file,\n"
	    "  --smtp-timeout, --outbox, --rate-per-recipient: as for run\n");
}

static void
usage_list(FILE *fp)
{
	fprintf(fp,
	    "usage: mamori notify list [--data DIR] [--state "
	    "pending|sent|failed]\n"
	    "                          [-n LIMIT] [-o table|csv|json]\n"
	    "\n"
	    "Lists the queued and sent messages, newest first: id, state,\n"
	    "attempts, times, recipient, e-mail, ISP, report types, findings\n"
	    "covered, Message-ID and the last error (default limit 100).\n"
	    "\n"
	    "A pending message is retried by `deliver' and the next run. A\n"
	    "failed message (refused with a 5xx reply, or 16 temporary\n"
	    "failures) is not retried, but its notifications are still\n"
	    "pending: its findings stay open, are never marked notified, and\n"
	    "the next `notify run' puts them into a new message.\n");
}

static void
usage_recheck(FILE *fp)
{
	fprintf(fp,
	    "usage: mamori notify recheck [--data DIR] [--lab] "
	    "[--check-credentials\n"
	    "                             [--credentials FILE]] [--rules DIR] "
	    "[--vulns DIR]\n"
	    "                             [--rate CPS] [--timeout MS] "
	    "[--older-than DUR]\n"
	    "                             [--dry-run DIR] [--force]\n"
	    "                             [-o table|csv|json]\n"
	    "\n"
	    "Surveys the notified device findings again (device,\n"
	    "vulnerable-version, weak-credential, open-telnet): writes a "
	    "scope\n"
	    "file of their addresses and ports, runs `mamori survey' with the\n"
	    "options given here, then marks each finding persisting (seen "
	    "again\n"
	    "as vulnerable, weak or open telnet) or remediated (not seen: the\n"
	    "finding becomes `remediated' in findings.db). Weak-credential\n"
	    "findings are judged only with --check-credentials. C&C findings\n"
	    "(c2-client, c2-server) are not rechecked by scanning: they close\n"
	    "when the C&C detector no longer sees them.\n"
	    "\n"
	    "  --lab               survey 127.0.0.0/8 only (lab fleets)\n"
	    "  --check-credentials also try the default login pairs\n"
	    "  --credentials FILE  pair list for --check-credentials\n"
	    "  --rules DIR, --vulns DIR, --rate CPS, --timeout MS\n"
	    "                      passed to the survey (defaults: "
	    "data/fingerprints,\n"
	    "                      data/vulns, the survey's own)\n"
	    "  --older-than DUR    only findings not rechecked for DUR\n"
	    "  --dry-run DIR       write the scope file into DIR, scan "
	    "nothing\n"
	    "  --force             judge even when no target answered at all\n"
	    "                      (by default that is taken as a failed "
	    "survey)\n");
}

static void
usage_stats(FILE *fp)
{
	fprintf(fp,
	    "usage: mamori notify stats [--data DIR] [--month YYYY-MM | "
	    "--from YYYY-MM --to YYYY-MM]\n"
	    "                           [-o table|csv|json]\n"
	    "\n"
	    "Monthly figures per ISP and category (finding kind): findings\n"
	    "found, first notified, remediated, and found persisting by a\n"
	    "recheck in the month (UTC months; default the current month;\n"
	    "each recheck counts in its own month), then the queue of\n"
	    "messages (pending, due, sent, failed) and the notifications by\n"
	    "state (pending = not told yet, including the findings of a\n"
	    "pending or failed message; notified; remediated; persisting).\n");
}

void
usage_notify(FILE *fp)
{
	fprintf(fp,
	    "usage: mamori notify [run] [options]      attribute, render, "
	    "queue and deliver\n"
	    "       mamori notify deliver [options]    retry queued messages\n"
	    "       mamori notify list [options]       the message queue\n"
	    "       mamori notify recheck [options]    re-survey notified "
	    "devices\n"
	    "       mamori notify stats [options]      monthly figures\n"
	    "\n"
	    "`mamori notify SUBCOMMAND --help' describes each. Data: "
	    "DATADIR/findings.db,\n"
	    "DATADIR/notify.db, DATADIR/notify/unattributed/. See "
	    "mamori-notify(1)\n"
	    "and docs/notification.md.\n");
}

/* ---- helpers ---- */

static int
add_src(const char **v, size_t *n, const char *s)
{
	if (*n == SRC_MAX) {
		cli_err(CMD, "too many files for one option (max %d)", SRC_MAX);
		return -1;
	}
	v[(*n)++] = s;
	return 0;
}

static int
parse_time(const char *s, mtime_t *t)
{
	mtime_t dd;

	if (s[0] == '-') {
		if (mtime_parse_duration(s + 1, &dd) != 0)
			return -1;
		*t = mtime_now() - dd;
		return 0;
	}
	return mtime_parse(s, t) == 0 ? 0 : -1;
}

static int
parse_month(const char *s, int *y, int *m)
{
	char extra;

	if (sscanf(s, "%4d-%2d%c", y, m, &extra) != 2 || *y < 1970 ||
	    *y > 9999 || *m < 1 || *m > 12 || strlen(s) != 7)
		return -1;
	return 0;
}

static int
parse_rate(const char *s, int *max, mtime_t *win)
{
	char buf[64], *slash;
	long long v;

	if (strlen(s) >= sizeof(buf))
		return -1;
	snprintf(buf, sizeof(buf), "%s", s);
	if ((slash = strchr(buf, '/')) != NULL) {
		*slash = '\0';
		if (mtime_parse_duration(slash + 1, win) != 0 || *win <= 0)
			return -1;
	}
	if (cli_parse_ll(buf, 1, 100000, &v) != 0)
		return -1;
	*max = (int)v;
	return 0;
}

/* The directory this binary lives in (for data/ next to a build dir). */
static int
exe_path(char *buf, size_t len)
{
	ssize_t n = readlink("/proc/self/exe", buf, len - 1);

	if (n <= 0 || (size_t)n >= len - 1)
		return -1;
	buf[n] = '\0';
	return 0;
}

/* data/REL as cli_data_find() finds it. */
static const char *
data_find(const char *rel, char *buf, size_t len)
{
	return cli_data_find(rel, NULL, buf, len);
}

/* Reads the first line of a password file into buf. */
static int
read_secret(const char *path, char *buf, size_t len)
{
	FILE *fp;
	size_t n;

	if ((fp = fopen(path, "r")) == NULL)
		return -1;
	if (fgets(buf, (int)len, fp) == NULL) {
		fclose(fp);
		return -1;
	}
	fclose(fp);
	n = strcspn(buf, "\r\n");
	buf[n] = '\0';
	return 0;
}

static void
progress(const char *phase, size_t done, size_t total, void *arg)
{
	(void)arg;
	fprintf(stderr, "\r%s %zu/%zu   ", phase, done, total);
	if (done == total)
		fprintf(stderr, "\n");
}

static char *
tfmt(mtime_t t, char *buf, size_t len)
{
	if (t <= 0) {
		snprintf(buf, len, "-");
		return buf;
	}
	mtime_fmt(t - t % 1000, 0, buf, len);
	return buf;
}

/* Replaces control characters for table cells. */
static const char *
cell(const char *s, char *buf, size_t len)
{
	size_t i;

	snprintf(buf, len, "%s", s != NULL ? s : "");
	for (i = 0; buf[i] != '\0'; i++)
		if ((unsigned char)buf[i] < 0x20 || buf[i] == 0x7f)
			buf[i] = ' ';
	return buf;
}

/* ---- run and deliver: events ---- */

struct printer {
	enum out_format	fmt;
	int		header;
	int		failures;
};

static const char *
ev_name(enum notify_ev ev)
{
	switch (ev) {
	case NOTIFY_EV_QUEUED: return "queued";
	case NOTIFY_EV_DRYRUN: return "rendered";
	case NOTIFY_EV_RENDER_ERR: return "render-error";
	case NOTIFY_EV_SENT: return "sent";
	case NOTIFY_EV_TRANSIENT: return "deferred";
	case NOTIFY_EV_FAILED: return "failed";
	case NOTIFY_EV_BUCKET: return "unattributed";
	}
	return "?";
}

static void
on_event(const struct notify_event *e, void *arg)
{
	struct printer *p = arg;
	char b1[128], b2[300], b3[700];

	if (e->ev == NOTIFY_EV_RENDER_ERR || e->ev == NOTIFY_EV_TRANSIENT ||
	    e->ev == NOTIFY_EV_FAILED)
		p->failures++;
	switch (p->fmt) {
	case OUT_JSON: {
		json_t *o = json_object();

		json_object_set_new(o, "type", json_string(ev_name(e->ev)));
		if (e->msg > 0)
			json_object_set_new(o, "message", json_integer(e->msg));
		json_object_set_new(o, "recipient", json_string(e->recipient));
		json_object_set_new(o, "email", json_string(e->email));
		json_object_set_new(o, "isp", json_string(e->isp));
		json_object_set_new(o, "reports", json_string(e->types));
		if (e->findings > 0)
			json_object_set_new(o, "findings",
			    json_integer((json_int_t)e->findings));
		json_object_set_new(o, "detail", json_string(e->detail));
		cli_json_println(o, JSON_COMPACT);
		break;
	}
	case OUT_CSV:
		if (!p->header) {
			printf("event,message,recipient,email,isp,reports,"
			    "findings,detail\n");
			p->header = 1;
		}
		printf("%s,%" PRId64 ",", ev_name(e->ev), e->msg);
		cli_csv_field(stdout, e->recipient); putchar(',');
		cli_csv_field(stdout, e->email); putchar(',');
		cli_csv_field(stdout, e->isp); putchar(',');
		cli_csv_field(stdout, e->types); putchar(',');
		printf("%zu,", e->findings);
		cli_csv_field(stdout, e->detail);
		putchar('\n');
		break;
	default:
		if (!p->header) {
			printf("%-12s %5s %-20s %-32s %8s %s\n", "EVENT", "MSG",
			    "RECIPIENT", "EMAIL", "FINDINGS",
			    "REPORTS / DETAIL");
			p->header = 1;
		}
		printf("%-12s %5" PRId64 " %-20s %-32s %8zu %s  %s\n",
		    ev_name(e->ev), e->msg, cell(e->recipient, b1, sizeof(b1)),
		    cell(e->email, b2, sizeof(b2)), e->findings, e->types,
		    cell(e->detail, b3, sizeof(b3)));
		break;
	}
	fflush(stdout);
}

static void
print_summary(const struct opts *o, const struct notify_stats *st, int run)
{
	size_t i;

	if (o->fmt == OUT_JSON) {
		json_t *s = json_object(), *r = json_object();

		json_object_set_new(s, "type", json_string("summary"));
		if (run) {
			json_object_set_new(s, "open",
			    json_integer((json_int_t)st->open));
			json_object_set_new(s, "unreported",
			    json_integer((json_int_t)st->unreported));
			json_object_set_new(s, "left_for_next_run",
			    json_integer((json_int_t)st->capped));
			json_object_set_new(s, "attributed",
			    json_integer((json_int_t)st->attributed));
			json_object_set_new(s, "unattributed",
			    json_integer((json_int_t)st->unattributed));
			json_object_set_new(s, "duplicates",
			    json_integer((json_int_t)st->duplicates));
			json_object_set_new(s, "recipients",
			    json_integer((json_int_t)st->recipients));
			json_object_set_new(s, "messages",
			    json_integer((json_int_t)st->messages));
			json_object_set_new(s, "render_errors",
			    json_integer((json_int_t)st->render_errors));
			for (i = 0; i < st->nreasons; i++)
				json_object_set_new(r, st->reasons[i].reason,
				    json_integer((json_int_t)st->reasons[i].n));
			json_object_set_new(s, "unattributed_reasons", r);
		} else
			json_decref(r);
		json_object_set_new(s, "sent",
		    json_integer((json_int_t)st->sent));
		json_object_set_new(s, "deferred",
		    json_integer((json_int_t)st->transient));
		json_object_set_new(s, "failed",
		    json_integer((json_int_t)st->failed));
		json_object_set_new(s, "findings_notified",
		    json_integer((json_int_t)st->notified));
		cli_json_println(s, JSON_COMPACT);
		return;
	}
	if (run) {
		fprintf(stderr, "notify: %zu open findings (%zu of kinds not "
		    "reported, %zu left for the next run); %zu attributed, "
		    "%zu unattributed, %zu not repeated (de-duplication); "
		    "%zu recipients, %zu messages",
		    st->open, st->unreported, st->capped, st->attributed,
		    st->unattributed, st->duplicates, st->recipients,
		    st->messages);
		if (st->render_errors > 0)
			fprintf(stderr, ", %zu not rendered",
			    st->render_errors);
		fprintf(stderr, "\n");
		if (st->xarf_dropped > 0)
			fprintf(stderr, "notify: %zu findings of recipients "
			    "preferring both formats sent as CSV only (too "
			    "many for one X-ARF part each)\n",
			    st->xarf_dropped);
		for (i = 0; i < st->nreasons; i++)
			fprintf(stderr, "notify: unattributed: %zu: %s\n",
			    st->reasons[i].n, st->reasons[i].reason);
	}
	if (st->picked > 0 || !run)
		fprintf(stderr, "notify: delivery: %zu sent, %zu deferred, "
		    "%zu failed; %zu findings marked notified\n", st->sent,
		    st->transient, st->failed, st->notified);
	if (st->transient > 0)
		fprintf(stderr, "notify: deferred messages stay pending and "
		    "are retried by `notify deliver' or the next run\n");
	if (st->failed > 0)
		fprintf(stderr, "notify: failed messages are not retried; "
		    "their findings stay open and their notifications "
		    "pending, and the next run puts them into a new message "
		    "(see `notify list --state failed')\n");
	if (st->mark_errors > 0)
		fprintf(stderr, "notify: %zu findings could not be marked "
		    "notified in findings.db (notify.db has them)\n",
		    st->mark_errors);
}

/* Delivery settings shared by run and deliver. */
static int
delivery_setup(const struct opts *o, struct notify_cfg *cfg,
    struct smtp_config *sc, char *pass, size_t plen)
{
	if (o->smtp != NULL && o->outbox != NULL) {
		cli_err(CMD, "--smtp and --outbox exclude each other");
		return EXIT_USAGE;
	}
	if (o->smtp != NULL) {
		memset(sc, 0, sizeof(*sc));
		sc->url = o->smtp;
		sc->username = o->smtp_user;
		sc->tls = o->starttls ? SMTP_TLS_REQUIRE : SMTP_TLS_NONE;
		sc->ca_file = o->ca_file;
		sc->timeout_ms = o->smtp_timeout_ms;
		if (o->smtp_pass_file != NULL) {
			if (read_secret(o->smtp_pass_file, pass, plen) != 0) {
				cli_err(CMD, "%s: cannot read the password",
				    o->smtp_pass_file);
				return EXIT_USAGE;
			}
			sc->password = pass;
		}
		if (o->smtp_user != NULL && sc->password == NULL) {
			cli_err(CMD, "--smtp-user needs --smtp-password-file");
			return EXIT_USAGE;
		}
		if (o->from == NULL) {
			cli_err(CMD, "--smtp needs --from (envelope sender)");
			return EXIT_USAGE;
		}
		{
			struct mm_diag d;

			memset(&d, 0, sizeof(d));
			if (smtp_config_check(sc, o->from, &d) != 0) {
				cli_err(CMD, "--smtp: %s", d.msg);
				return EXIT_USAGE;
			}
		}
		cfg->delivery = NOTIFY_DELIVER_SMTP;
		cfg->smtp = sc;
	} else if (o->outbox != NULL) {
		if (cli_mkdirs(o->outbox) != 0) {
			cli_err(CMD, "%s: %s", o->outbox, strerror(errno));
			return EXIT_RUNTIME;
		}
		cfg->delivery = NOTIFY_DELIVER_OUTBOX;
		cfg->outbox = o->outbox;
	}
	return 0;
}

static int
open_track(const struct opts *o, const char *data, struct track_db **tdb)
{
	struct track_policy pol;
	struct mm_diag d;

	memset(&d, 0, sizeof(d));
	track_policy_default(&pol);
	if (o->rate_max > 0)
		pol.rate_max = o->rate_max;
	if (o->rate_window > 0)
		pol.rate_window = o->rate_window;
	if (track_open(data, &pol, tdb, &d) != 0) {
		cli_err(CMD, "%s", d.msg);
		return -1;
	}
	return 0;
}

/* Loads every routing and contact source; reports skipped lines. */
static int
load_sources(const struct opts *o, struct routeview **rvp,
    struct contacts **ctp, struct rdap_set **rdp)
{
	struct mm_diag d;
	size_t i;
	int rc;

	*rvp = NULL;
	*ctp = NULL;
	*rdp = NULL;
	if ((*rvp = routeview_new()) == NULL || (*ctp = contacts_new()) ==
	    NULL || (*rdp = rdap_new()) == NULL) {
		cli_err(CMD, "out of memory");
		return -1;
	}
#define LOAD(arr, cnt, fn) \
	for (i = 0; i < (cnt); i++) { \
		memset(&d, 0, sizeof(d)); \
		if ((rc = fn(*rvp, (arr)[i], &d)) != 0) { \
			cli_err(CMD, "%s", d.msg); \
			return -1; \
		} \
		if (d.msg[0] != '\0') \
			cli_err(CMD, "warning: %s", d.msg); \
	}
	LOAD(o->mrt, o->nmrt, routeview_add_mrt);
	LOAD(o->pfx2as, o->npfx2as, routeview_add_pfx2as);
	LOAD(o->mmdb, o->nmmdb, routeview_add_mmdb);
	LOAD(o->cust, o->ncust, routeview_add_customers);
#undef LOAD
	for (i = 0; i < o->ncontacts; i++) {
		memset(&d, 0, sizeof(d));
		if (contacts_load(*ctp, o->contacts[i], &d) != 0) {
			cli_err(CMD, "%s", d.msg);
			return -1;
		}
	}
	if (contacts_stats(*ctp)->errors > 0) {
		size_t k;

		for (k = 0; k < contacts_nerrors(*ctp); k++)
			cli_err(CMD, "warning: contacts: %s",
			    contacts_error(*ctp, k));
	}
	for (i = 0; i < o->nrdap; i++) {
		memset(&d, 0, sizeof(d));
		if (rdap_load_dir(*rdp, o->rdap[i], &d) != 0) {
			cli_err(CMD, "%s", d.msg);
			return -1;
		}
		if (d.msg[0] != '\0')
			cli_err(CMD, "warning: rdap: %s", d.msg);
	}
	return 0;
}

static int
run_or_deliver(struct opts *o, int run)
{
	struct routeview *rv = NULL;
	struct contacts *ct = NULL;
	struct rdap_set *rd = NULL;
	struct attrib *at = NULL;
	struct findings_db *fdb = NULL;
	struct track_db *tdb = NULL;
	struct notify_cfg cfg;
	struct notify_stats st;
	struct report_reporter rep;
	struct smtp_config sc;
	struct printer pr;
	struct mm_diag d;
	char pass[1024], tbuf[PATH_MAX], dom[256], path[PATH_MAX];
	const char *data, *at_sign;
	int rc = EXIT_RUNTIME, r;

	memset(&cfg, 0, sizeof(cfg));
	memset(&st, 0, sizeof(st));
	memset(&rep, 0, sizeof(rep));
	memset(&pr, 0, sizeof(pr));
	memset(&d, 0, sizeof(d));
	pass[0] = '\0';
	pr.fmt = o->fmt;
	data = cli_datadir(o->data);
	if (run && o->dry != NULL && (o->smtp != NULL || o->outbox != NULL)) {
		cli_err(CMD, "--dry-run delivers nothing: drop --smtp or "
		    "--outbox");
		rc = EXIT_USAGE;
		goto out;
	}
	if ((r = delivery_setup(o, &cfg, &sc, pass, sizeof(pass))) != 0) {
		rc = r;
		goto out;
	}
	if (!run && cfg.delivery == NOTIFY_DELIVER_NONE) {
		cli_err(CMD, "deliver: --smtp URL or --outbox DIR is required");
		rc = EXIT_USAGE;
		goto out;
	}
	if (run) {
		if (o->from == NULL) {
			cli_err(CMD, "--from ADDR is required");
			rc = EXIT_USAGE;
			goto out;
		}
		if (!contacts_email_valid(o->from)) {
			cli_err(CMD, "--from %s: not a valid address", o->from);
			rc = EXIT_USAGE;
			goto out;
		}
		if (o->nmrt + o->npfx2as + o->nmmdb + o->ncust == 0) {
			cli_err(CMD, "no routing source: give --customers, "
			    "--mrt, --pfx2as or --mmdb");
			rc = EXIT_USAGE;
			goto out;
		}
		if (o->ncontacts + o->nrdap == 0) {
			cli_err(CMD, "no contacts: give --contacts FILE or "
			    "--rdap DIR");
			rc = EXIT_USAGE;
			goto out;
		}
		at_sign = strrchr(o->from, '@');
		snprintf(dom, sizeof(dom), "%s", o->domain != NULL ?
		    o->domain : at_sign + 1);
		if (mail_message_id_make(dom, mtime_now(), path,
		    sizeof(path)) != 0) {
			cli_err(CMD, "--domain %s: not usable in a Message-ID",
			    dom);
			rc = EXIT_USAGE;
			goto out;
		}
		rep.org = o->org != NULL ? o->org : o->from_name != NULL ?
		    o->from_name : dom;
		rep.domain = dom;
		rep.email = o->from;
		rep.contact_email = o->cemail;
		rep.contact_name = o->cname;
		rep.contact_phone = o->cphone;
		rep.url = o->url;
		rep.disclosure = 0;
		if (o->templates != NULL)
			cfg.templates = o->templates;
		else if ((cfg.templates = data_find("notify/templates", tbuf,
		    sizeof(tbuf))) == NULL) {
			cli_err(CMD, "no templates found: give --templates DIR "
			    "(data/notify/templates)");
			goto out;
		}
		if (load_sources(o, &rv, &ct, &rd) != 0)
			goto out;
		if ((at = attrib_new(rv, ct, rd)) == NULL) {
			cli_err(CMD, "out of memory");
			goto out;
		}
	}
	cfg.at = at;
	cfg.datadir = data;
	cfg.reporter = &rep;
	cfg.from = o->from != NULL ? o->from : "";
	cfg.from_name = o->from_name;
	cfg.kinds = o->kinds;
	cfg.nkinds = o->nkinds;
	cfg.since = o->since;
	cfg.dedup_interval = o->dedup;
	cfg.dry_run = o->dry;
	cfg.retry_now = o->now;
	cfg.on_event = on_event;
	cfg.on_progress = cli_progress_enabled() ? progress : NULL;
	cfg.arg = &pr;
	if (cli_mkdirs(data) != 0) {
		cli_err(CMD, "%s: %s", data, strerror(errno));
		goto out;
	}
	if (o->dry != NULL && cli_mkdirs(o->dry) != 0) {
		cli_err(CMD, "%s: %s", o->dry, strerror(errno));
		goto out;
	}
	snprintf(path, sizeof(path), "%s/%s", data, FINDINGS_DB_NAME);
	if (run && access(path, F_OK) != 0) {
		cli_err(CMD, "%s: no findings database (run a survey or the "
		    "C&C detection first)", path);
		goto out;
	}
	if (findings_open(data, &fdb, &d) != 0) {
		cli_err(CMD, "%s", d.msg);
		goto out;
	}
	snprintf(path, sizeof(path), "%s/%s", data, TRACK_DB_NAME);
	if ((o->dry == NULL || access(path, F_OK) == 0) &&
	    open_track(o, data, &tdb) != 0)
		goto out;
	if (run)
		r = notify_run(&cfg, fdb, tdb, mtime_now(), &st, &d);
	else
		r = notify_deliver(&cfg, fdb, tdb, mtime_now(), &st, &d);
	print_summary(o, &st, run);
	if (r != 0) {
		cli_err(CMD, "%s", d.msg);
		goto out;
	}
	if (run && cfg.delivery == NOTIFY_DELIVER_NONE && o->dry == NULL &&
	    st.messages > 0)
		fprintf(stderr, "notify: %zu messages queued; send them with "
		    "`mamori notify deliver --smtp URL --from ADDR'\n",
		    st.messages);
	rc = pr.failures > 0 || st.mark_errors > 0 ? EXIT_RUNTIME : EXIT_OK;
 out:
	explicit_bzero(pass, sizeof(pass));
	track_close(tdb);
	findings_close(fdb);
	attrib_free(at);
	rdap_free(rd);
	contacts_free(ct);
	routeview_free(rv);
	return rc;
}

/* ---- list ---- */

static int
do_list(struct opts *o)
{
	struct notify_msg_row *v = NULL;
	struct mm_diag d;
	size_t n = 0, i, nfailed = 0;
	char c1[40], c2[40], b1[300], b2[600];

	memset(&d, 0, sizeof(d));
	if (notify_list(cli_datadir(o->data), o->state, o->limit > 0 ?
	    o->limit : 100, &v, &n, &d) != 0) {
		cli_err(CMD, "%s", d.msg);
		return EXIT_RUNTIME;
	}
	if (o->fmt == OUT_CSV)
		printf("id,state,attempts,created,next_attempt,sent,recipient,"
		    "email,isp,reports,findings,message_id,last_error\n");
	else if (o->fmt == OUT_TABLE)
		printf("%5s %-8s %3s %-20s %-20s %-20s %-32s %5s %s\n", "ID",
		    "STATE", "TRY", "CREATED", "SENT/NEXT", "RECIPIENT",
		    "EMAIL", "FIND", "REPORTS / LAST ERROR");
	for (i = 0; i < n; i++) {
		const struct notify_msg_row *r = &v[i];
		const char *stn = track_msg_state_name(r->state);

		tfmt(r->created, c1, sizeof(c1));
		tfmt(r->state == TRACK_MSG_SENT ? r->sent :
		    r->state == TRACK_MSG_PENDING ? r->next_attempt : 0, c2,
		    sizeof(c2));
		if (o->fmt == OUT_JSON) {
			json_t *j = json_object();

			json_object_set_new(j, "id", json_integer(r->id));
			json_object_set_new(j, "state", json_string(stn));
			json_object_set_new(j, "attempts",
			    json_integer(r->attempts));
			json_object_set_new(j, "created", json_string(c1));
			if (r->state == TRACK_MSG_SENT)
				json_object_set_new(j, "sent", json_string(c2));
			if (r->state == TRACK_MSG_PENDING)
				json_object_set_new(j, "next_attempt",
				    json_string(c2));
			json_object_set_new(j, "recipient",
			    json_string(r->recipient));
			json_object_set_new(j, "email", json_string(r->email));
			json_object_set_new(j, "isp", json_string(r->isp));
			json_object_set_new(j, "reports",
			    json_string(r->types));
			json_object_set_new(j, "findings",
			    json_integer((json_int_t)r->findings));
			json_object_set_new(j, "message_id",
			    json_string(r->message_id));
			json_object_set_new(j, "last_error", r->error[0] ?
			    json_string(r->error) : json_null());
			cli_json_println(j, JSON_COMPACT);
		} else if (o->fmt == OUT_CSV) {
			printf("%" PRId64 ",%s,%d,%s,%s,%s,", r->id, stn,
			    r->attempts, c1, r->state == TRACK_MSG_PENDING ?
			    c2 : "", r->state == TRACK_MSG_SENT ? c2 : "");
			cli_csv_field(stdout, r->recipient); putchar(',');
			cli_csv_field(stdout, r->email); putchar(',');
			cli_csv_field(stdout, r->isp); putchar(',');
			cli_csv_field(stdout, r->types); putchar(',');
			printf("%zu,", r->findings);
			cli_csv_field(stdout, r->message_id); putchar(',');
			cli_csv_field(stdout, r->error);
			putchar('\n');
		} else {
			printf("%5" PRId64 " %-8s %3d %-20s %-20s %-20s %-32s "
			    "%5zu %s%s%s\n", r->id, stn, r->attempts, c1, c2,
			    cell(r->recipient, b1, sizeof(b1)), r->email,
			    r->findings, r->types, r->error[0] ? "  " : "",
			    cell(r->error, b2, sizeof(b2)));
			if (r->state == TRACK_MSG_FAILED)
				nfailed++;
		}
	}
	if (nfailed > 0)
		printf("\n%zu failed message%s: not retried, but the "
		    "notifications are still pending: the findings stay open "
		    "(never marked notified) and the next `notify run' puts "
		    "them into a new message (fix the contact first).\n",
		    nfailed, nfailed == 1 ? "" : "s");
	free(v);
	return EXIT_OK;
}

/* ---- stats ---- */

static void
stats_row(enum out_format fmt, const char *month, const char *isp,
    const char *cat, const struct notify_month_row *r)
{
	char b1[200];

	if (fmt == OUT_CSV) {
		cli_csv_field(stdout, month); putchar(',');
		cli_csv_field(stdout, isp); putchar(',');
		cli_csv_field(stdout, cat);
		printf(",%" PRId64 ",%" PRId64 ",%" PRId64 ",%" PRId64 "\n",
		    r->found, r->notified, r->remediated, r->persisting);
		return;
	}
	/* pad by display width: ISP names may be Japanese */
	cell(isp, b1, sizeof(b1));
	{
		size_t w = tmpl_text_width(b1, strlen(b1));

		printf("%-7s  %s%*s  %-20s %7" PRId64 " %9" PRId64 " %11"
		    PRId64 " %11" PRId64 "\n", month, b1, w < 24 ?
		    (int)(24 - w) : 0, "", cat, r->found, r->notified,
		    r->remediated, r->persisting);
	}
}

static int
do_stats(struct opts *o)
{
	struct track_db *tdb = NULL;
	struct notify_month_row *v = NULL, tot, mt;
	struct track_counts cn;
	struct mm_diag d;
	size_t n = 0, i;
	int y0, m0, y1, m1, rc = EXIT_RUNTIME;
	const char *data = cli_datadir(o->data);
	char path[PATH_MAX], mon[16], prev[16];

	memset(&d, 0, sizeof(d));
	if (o->month != NULL && (o->mfrom != NULL || o->mto != NULL)) {
		cli_err(CMD, "stats: --month excludes --from/--to");
		return EXIT_USAGE;
	}
	if (o->month != NULL) {
		if (parse_month(o->month, &y0, &m0) != 0)
			goto badmonth;
		y1 = y0;
		m1 = m0;
	} else if (o->mfrom != NULL || o->mto != NULL) {
		if (o->mfrom == NULL || o->mto == NULL) {
			cli_err(CMD, "stats: --from and --to go together");
			return EXIT_USAGE;
		}
		if (parse_month(o->mfrom, &y0, &m0) != 0 ||
		    parse_month(o->mto, &y1, &m1) != 0)
			goto badmonth;
		if (y1 * 12 + m1 < y0 * 12 + m0) {
			cli_err(CMD, "stats: --to is before --from");
			return EXIT_USAGE;
		}
	} else {
		int64_t yy;
		unsigned mm, dd;

		mtime_civil_from_days(mtime_now() / 86400000, &yy, &mm, &dd);
		y0 = y1 = (int)yy;
		m0 = m1 = (int)mm;
	}
	snprintf(path, sizeof(path), "%s/%s", data, TRACK_DB_NAME);
	if (access(path, F_OK) != 0) {
		cli_err(CMD, "%s: no notification database yet (run `mamori "
		    "notify run' first)", path);
		return EXIT_RUNTIME;
	}
	if (open_track(o, data, &tdb) != 0)
		return EXIT_RUNTIME;
	if (notify_monthly(tdb, y0, m0, y1, m1, &v, &n, &d) != 0 ||
	    track_counts(tdb, mtime_now(), &cn, &d) != 0) {
		cli_err(CMD, "%s", d.msg);
		goto out;
	}
	memset(&tot, 0, sizeof(tot));
	if (o->fmt == OUT_JSON) {
		json_t *top = json_object(), *rows = json_array(), *q;

		snprintf(mon, sizeof(mon), "%04d-%02d", y0, m0);
		json_object_set_new(top, "from", json_string(mon));
		snprintf(mon, sizeof(mon), "%04d-%02d", y1, m1);
		json_object_set_new(top, "to", json_string(mon));
		for (i = 0; i < n; i++) {
			json_t *r = json_object();

			snprintf(mon, sizeof(mon), "%04d-%02d", v[i].year,
			    v[i].month);
			json_object_set_new(r, "month", json_string(mon));
			json_object_set_new(r, "isp", json_string(v[i].isp));
			json_object_set_new(r, "category",
			    json_string(v[i].category));
			json_object_set_new(r, "found",
			    json_integer(v[i].found));
			json_object_set_new(r, "notified",
			    json_integer(v[i].notified));
			json_object_set_new(r, "remediated",
			    json_integer(v[i].remediated));
			json_object_set_new(r, "persisting",
			    json_integer(v[i].persisting));
			json_array_append_new(rows, r);
			tot.found += v[i].found;
			tot.notified += v[i].notified;
			tot.remediated += v[i].remediated;
			tot.persisting += v[i].persisting;
		}
		json_object_set_new(top, "rows", rows);
		q = json_object();
		json_object_set_new(q, "found", json_integer(tot.found));
		json_object_set_new(q, "notified", json_integer(tot.notified));
		json_object_set_new(q, "remediated",
		    json_integer(tot.remediated));
		json_object_set_new(q, "persisting",
		    json_integer(tot.persisting));
		json_object_set_new(top, "totals", q);
		q = json_object();
		json_object_set_new(q, "pending", json_integer(cn.pending));
		json_object_set_new(q, "due", json_integer(cn.due));
		json_object_set_new(q, "sent", json_integer(cn.sent));
		json_object_set_new(q, "failed", json_integer(cn.failed));
		json_object_set_new(top, "queue", q);
		q = json_object();
		json_object_set_new(q, "new", json_integer(cn.st_new));
		json_object_set_new(q, "notified",
		    json_integer(cn.st_notified));
		json_object_set_new(q, "remediated",
		    json_integer(cn.st_remediated));
		json_object_set_new(q, "persisting",
		    json_integer(cn.st_persisting));
		json_object_set_new(top, "states", q);
		cli_json_println(top, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
		rc = EXIT_OK;
		goto out;
	}
	if (o->fmt == OUT_CSV)
		printf("month,isp,category,found,notified,remediated,"
		    "persisting\n");
	else
		printf("%-7s  %-24s  %-20s %7s %9s %11s %11s\n", "MONTH", "ISP",
		    "CATEGORY", "FOUND", "NOTIFIED", "REMEDIATED",
		    "PERSISTING");
	prev[0] = '\0';
	memset(&mt, 0, sizeof(mt));
	for (i = 0; i <= n; i++) {
		if (i < n)
			snprintf(mon, sizeof(mon), "%04d-%02d", v[i].year,
			    v[i].month);
		if (o->fmt == OUT_TABLE && prev[0] != '\0' &&
		    (i == n || strcmp(mon, prev) != 0)) {
			stats_row(o->fmt, prev, "(all)", "(all)", &mt);
			memset(&mt, 0, sizeof(mt));
		}
		if (i == n)
			break;
		snprintf(prev, sizeof(prev), "%s", mon);
		stats_row(o->fmt, mon, v[i].isp, v[i].category, &v[i]);
		mt.found += v[i].found;
		mt.notified += v[i].notified;
		mt.remediated += v[i].remediated;
		mt.persisting += v[i].persisting;
	}
	if (o->fmt == OUT_TABLE) {
		if (n == 0)
			printf("(no findings attributed in this period)\n");
		printf("\nqueue (messages): %" PRId64 " pending (%" PRId64
		    " due), %" PRId64 " sent, %" PRId64 " failed; "
		    "notifications: %" PRId64 " pending (new, not told yet), %"
		    PRId64 " notified, %" PRId64 " remediated, %" PRId64
		    " persisting\n", cn.pending,
		    cn.due, cn.sent, cn.failed, cn.st_new, cn.st_notified,
		    cn.st_remediated, cn.st_persisting);
	}
	rc = EXIT_OK;
 out:
	free(v);
	track_close(tdb);
	return rc;
 badmonth:
	cli_err(CMD, "stats: months are YYYY-MM");
	return EXIT_USAGE;
}

/* ---- recheck ---- */

static int
is_loopback(const struct mm_addr *a)
{
	static const uint8_t lo6[16] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	    0, 0, 0, 1 };

	if (addr_is_v4(a))
		return (addr_v4(a) >> 24) == 127;
	return memcmp(a->b, lo6, 16) == 0;
}

/* Runs `SELF survey ...` with stdout into `outpath`; returns its status. */
static int
run_survey(char *const *argv, const char *outpath)
{
	pid_t pid;
	int st, fd;

	fflush(stdout);
	fflush(stderr);
	if ((pid = fork()) < 0)
		return -1;
	if (pid == 0) {
		if ((fd = open(outpath, O_WRONLY | O_CREAT | O_TRUNC, 0600)) <
		    0)
			_exit(126);
		dup2(fd, STDOUT_FILENO);
		close(fd);
		execv(argv[0], argv);
		_exit(127);
	}
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			return -1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128;
}

/* The scan id and the open-port count of the survey's JSON summary line
 * ("" and -1 when there is none). */
static void
summary_of(const char *path, char *buf, size_t len, long long *open_ports)
{
	FILE *fp;
	char line[8192];

	buf[0] = '\0';
	*open_ports = -1;
	if ((fp = fopen(path, "r")) == NULL)
		return;
	while (fgets(line, sizeof(line), fp) != NULL) {
		json_t *o = json_loads(line, 0, NULL), *op;
		const char *t, *s;

		if (o == NULL)
			continue;
		t = json_string_value(json_object_get(o, "type"));
		s = json_string_value(json_object_get(o, "scan_id"));
		op = json_object_get(o, "open");
		if (t != NULL && strcmp(t, "summary") == 0 && s != NULL) {
			snprintf(buf, len, "%s", s);
			if (json_is_integer(op))
				*open_ports = json_integer_value(op);
		}
		json_decref(o);
	}
	fclose(fp);
}

static int
do_recheck(struct opts *o)
{
	struct findings_db *fdb = NULL;
	struct track_db *tdb = NULL;
	struct notify_recheck *v = NULL;
	struct mm_diag d;
	size_t n = 0, c2 = 0, nr = 0, np = 0, ns = 0, i, k;
	const char *data = cli_datadir(o->data);
	char dir[PATH_MAX], scope[PATH_MAX + 32], out[PATH_MAX + 32];
	char ports[4096], exe[PATH_MAX], scan[128], ab[ADDR_STRLEN];
	char rules[PATH_MAX], vulns[PATH_MAX], creds[PATH_MAX];
	char *argv[40];
	mtime_t t0, now;
	long long open_ports;
	int rc = EXIT_RUNTIME, a = 0, r;

	memset(&d, 0, sizeof(d));
	if (o->credfile != NULL && !o->creds) {
		cli_err(CMD, "recheck: --credentials needs "
		    "--check-credentials");
		return EXIT_USAGE;
	}
	snprintf(dir, sizeof(dir), "%s/%s", data, TRACK_DB_NAME);
	if (access(dir, F_OK) != 0) {
		cli_err(CMD, "%s: nothing was notified yet", dir);
		return EXIT_RUNTIME;
	}
	if (findings_open(data, &fdb, &d) != 0) {
		cli_err(CMD, "%s", d.msg);
		goto out;
	}
	if (open_track(o, data, &tdb) != 0)
		goto out;
	now = mtime_now();
	if (notify_recheck_collect(tdb, fdb, o->older > 0 ? now - o->older :
	    INT64_MAX, TRACK_PICK_MAX, &v, &n, &c2, &d) != 0) {
		cli_err(CMD, "%s", d.msg);
		goto out;
	}
	if (c2 > 0)
		fprintf(stderr, "notify: recheck: %zu C&C findings are not "
		    "rechecked by scanning\n", c2);
	/* the survey refuses loopback without --lab and all else with it */
	for (i = 0, k = 0; i < n; i++)
		if (is_loopback(&v[i].addr) == o->lab)
			v[k++] = v[i];
	if (k < n)
		fprintf(stderr, "notify: recheck: %zu findings left out: %s\n",
		    n - k, o->lab ? "outside 127.0.0.0/8 and ::1 (--lab)" :
		    "on loopback (use --lab)");
	n = k;
	if (n == 0) {
		fprintf(stderr, "notify: recheck: no notified survey findings "
		    "to recheck\n");
		rc = EXIT_OK;
		goto out;
	}
	if (o->dry != NULL)
		snprintf(dir, sizeof(dir), "%s", o->dry);
	else
		snprintf(dir, sizeof(dir), "%s/notify/recheck", data);
	if (cli_mkdirs(dir) != 0) {
		cli_err(CMD, "%s: %s", dir, strerror(errno));
		goto out;
	}
	snprintf(scope, sizeof(scope), "%s/scope-%lld.txt", dir,
	    (long long)(now / 1000));
	if (notify_recheck_scope(v, n, scope, ports, sizeof(ports), &d) != 0) {
		cli_err(CMD, "%s", d.msg);
		goto out;
	}
	fprintf(stderr, "notify: recheck: %zu findings, scope %s\n", n, scope);
	if (o->dry != NULL) {
		rc = EXIT_OK;
		goto out;
	}
	if (exe_path(exe, sizeof(exe)) != 0) {
		cli_err(CMD, "recheck: cannot find this binary");
		goto out;
	}
	snprintf(out, sizeof(out), "%s/survey-%lld.jsonl", dir,
	    (long long)(now / 1000));
	argv[a++] = exe;
	argv[a++] = (char *)"survey";
	argv[a++] = (char *)"--scope";
	argv[a++] = scope;
	argv[a++] = (char *)"-p";
	argv[a++] = ports;
	argv[a++] = (char *)"--data";
	argv[a++] = (char *)data;
	argv[a++] = (char *)"-o";
	argv[a++] = (char *)"json";
	argv[a++] = (char *)"--purpose";
	argv[a++] = (char *)"mamori notify recheck";
	if (o->lab)
		argv[a++] = (char *)"--lab";
	if (o->creds)
		argv[a++] = (char *)"--check-credentials";
	if (o->creds && o->credfile == NULL && data_find(
	    "credentials/mirai.creds", creds, sizeof(creds)) != NULL)
		o->credfile = creds;
	if (o->credfile != NULL) {
		argv[a++] = (char *)"--credentials";
		argv[a++] = (char *)o->credfile;
	}
	if (o->rules == NULL && data_find("fingerprints", rules,
	    sizeof(rules)) != NULL)
		o->rules = rules;
	if (o->vulns == NULL && data_find("vulns", vulns, sizeof(vulns)) !=
	    NULL)
		o->vulns = vulns;
	if (o->rules != NULL) {
		argv[a++] = (char *)"--rules";
		argv[a++] = (char *)o->rules;
	}
	if (o->vulns != NULL) {
		argv[a++] = (char *)"--vulns";
		argv[a++] = (char *)o->vulns;
	}
	if (o->rate != NULL) {
		argv[a++] = (char *)"--rate";
		argv[a++] = (char *)o->rate;
	}
	if (o->stimeout != NULL) {
		argv[a++] = (char *)"--timeout";
		argv[a++] = (char *)o->stimeout;
	}
	argv[a] = NULL;
	/* the survey writes findings.db itself: release our handles */
	track_close(tdb);
	tdb = NULL;
	t0 = mtime_now();
	if ((r = run_survey(argv, out)) != 0) {
		cli_err(CMD, "recheck: survey failed (exit %d); nothing "
		    "changed (its output: %s)", r, out);
		goto out;
	}
	summary_of(out, scan, sizeof(scan), &open_ports);
	if (scan[0] == '\0') {
		cli_err(CMD, "recheck: no summary from the survey (%s); "
		    "nothing changed", out);
		goto out;
	}
	/* a survey that reached nothing at all more likely failed (routing,
	 * filtering, the wrong --source) than found every device fixed */
	if (open_ports == 0 && !o->force) {
		cli_err(CMD, "recheck %s: no target answered at all; nothing "
		    "changed (check the path to them; --force marks every "
		    "finding remediated)", scan);
		goto out;
	}
	if (open_track(o, data, &tdb) != 0)
		goto out;
	if (notify_recheck_apply(v, n, fdb, tdb, t0, mtime_now(), scan[0] ?
	    scan : "survey", o->creds, &nr, &np, &ns, &d) != 0) {
		cli_err(CMD, "%s", d.msg);
		goto out;
	}
	if (o->fmt == OUT_CSV)
		printf("finding,kind,address,port,result\n");
	else if (o->fmt == OUT_TABLE)
		printf("%8s %-20s %-39s %5s %s\n", "FINDING", "KIND", "ADDRESS",
		    "PORT", "RESULT");
	for (i = 0; i < n; i++) {
		const char *res = v[i].result == NOTIFY_RC_REMEDIATED ?
		    "remediated" : v[i].result == NOTIFY_RC_PERSISTING ?
		    "persisting" : "skipped";

		addr_fmt(&v[i].addr, ab, sizeof(ab));
		if (o->fmt == OUT_JSON) {
			json_t *j = json_object();

			json_object_set_new(j, "finding",
			    json_integer(v[i].finding_id));
			json_object_set_new(j, "kind", json_string(v[i].kind));
			json_object_set_new(j, "address", json_string(ab));
			json_object_set_new(j, "port", json_integer(v[i].port));
			json_object_set_new(j, "result", json_string(res));
			json_object_set_new(j, "scan_id", json_string(scan));
			cli_json_println(j, JSON_COMPACT);
		} else if (o->fmt == OUT_CSV)
			printf("%" PRId64 ",%s,%s,%u,%s\n", v[i].finding_id,
			    v[i].kind, ab, v[i].port, res);
		else
			printf("%8" PRId64 " %-20s %-39s %5u %s\n",
			    v[i].finding_id, v[i].kind, ab, v[i].port, res);
	}
	fprintf(stderr, "notify: recheck %s: %zu remediated, %zu persisting, "
	    "%zu skipped%s\n", scan[0] ? scan : "-", nr, np, ns,
	    ns > 0 && !o->creds ? " (weak credentials need "
	    "--check-credentials)" : "");
	rc = EXIT_OK;
 out:
	free(v);
	track_close(tdb);
	findings_close(fdb);
	return rc;
}

/* ---- entry ---- */

int
cmd_notify(int argc, char **argv)
{
	struct opts o;
	const char *sub = "run";
	long long v;
	int ch, first = 1, subbit, li = 0;

	memset(&o, 0, sizeof(o));
	o.since = INT64_MIN;
	o.state = -1;
	if (argc > 1 && argv[1][0] != '-') {
		sub = argv[1];
		first = 2;
	}
	o.sub = sub;
	if (strcmp(sub, "run") != 0 && strcmp(sub, "deliver") != 0 &&
	    strcmp(sub, "list") != 0 && strcmp(sub, "recheck") != 0 &&
	    strcmp(sub, "stats") != 0) {
		if (strcmp(sub, "help") == 0) {
			usage_notify(stdout);
			return EXIT_OK;
		}
		cli_err(CMD, "unknown subcommand '%s'", sub);
		usage_notify(stderr);
		return EXIT_USAGE;
	}
	subbit = strcmp(sub, "run") == 0 ? S_RUN : strcmp(sub, "deliver") == 0 ?
	    S_DELIVER : strcmp(sub, "list") == 0 ? S_LIST :
	    strcmp(sub, "recheck") == 0 ? S_RECHECK : S_STATS;
	optind = first;
	while ((ch = getopt_long(argc, argv, "ho:n:", longopts, &li)) != -1) {
		if (ch != '?' && (opt_mask(ch) & subbit) == 0) {
			if (ch == 'n')
				cli_err(CMD, "%s: -n is not an option of "
				    "this subcommand (see mamori notify %s "
				    "--help)", sub, sub);
			else
				cli_err(CMD, "%s: --%s is not an option of "
				    "this subcommand (see mamori notify %s "
				    "--help)", sub, longopts[li].name, sub);
			return EXIT_USAGE;
		}
		li = 0;
		switch (ch) {
		case OPT_DATA: o.data = optarg; break;
		case OPT_MRT:
			if (add_src(o.mrt, &o.nmrt, optarg) != 0)
				return EXIT_USAGE;
			break;
		case OPT_PFX2AS:
			if (add_src(o.pfx2as, &o.npfx2as, optarg) != 0)
				return EXIT_USAGE;
			break;
		case OPT_MMDB:
			if (add_src(o.mmdb, &o.nmmdb, optarg) != 0)
				return EXIT_USAGE;
			break;
		case OPT_CUST:
			if (add_src(o.cust, &o.ncust, optarg) != 0)
				return EXIT_USAGE;
			break;
		case OPT_CONTACTS:
			if (add_src(o.contacts, &o.ncontacts, optarg) != 0)
				return EXIT_USAGE;
			break;
		case OPT_RDAP:
			if (add_src(o.rdap, &o.nrdap, optarg) != 0)
				return EXIT_USAGE;
			break;
		case OPT_KIND:
			if (o.nkinds == NOTIFY_MAX_KINDS) {
				cli_err(CMD, "too many --kind (max %d)",
				    NOTIFY_MAX_KINDS);
				return EXIT_USAGE;
			}
			o.kinds[o.nkinds++] = optarg;
			break;
		case OPT_SINCE:
			if (parse_time(optarg, &o.since) != 0)
				goto badval;
			break;
		case OPT_DEDUP:
			if (mtime_parse_duration(optarg, &o.dedup) != 0 ||
			    o.dedup <= 0)
				goto badval;
			break;
		case OPT_TEMPLATES: o.templates = optarg; break;
		case OPT_FROM:
			if (strcmp(sub, "stats") == 0)
				o.mfrom = optarg;
			else
				o.from = optarg;
			break;
		case OPT_FROMNAME: o.from_name = optarg; break;
		case OPT_ORG: o.org = optarg; break;
		case OPT_DOMAIN: o.domain = optarg; break;
		case OPT_CEMAIL: o.cemail = optarg; break;
		case OPT_CNAME: o.cname = optarg; break;
		case OPT_CPHONE: o.cphone = optarg; break;
		case OPT_URL: o.url = optarg; break;
		case OPT_SMTP: o.smtp = optarg; break;
		case OPT_SMTPUSER: o.smtp_user = optarg; break;
		case OPT_SMTPPASS: o.smtp_pass_file = optarg; break;
		case OPT_STARTTLS: o.starttls = 1; break;
		case OPT_CAFILE: o.ca_file = optarg; break;
		case OPT_TIMEOUT:
			if (cli_parse_ll(optarg, 100, 3600000, &v) != 0)
				goto badval;
			o.smtp_timeout_ms = (long)v;
			break;
		case OPT_OUTBOX: o.outbox = optarg; break;
		case OPT_RATE_RCPT:
			if (parse_rate(optarg, &o.rate_max, &o.rate_window) !=
			    0)
				goto badval;
			break;
		case OPT_DRY: o.dry = optarg; break;
		case OPT_NOW: o.now = 1; break;
		case OPT_STATE:
			if (strcmp(optarg, "pending") == 0)
				o.state = TRACK_MSG_PENDING;
			else if (strcmp(optarg, "sent") == 0)
				o.state = TRACK_MSG_SENT;
			else if (strcmp(optarg, "failed") == 0)
				o.state = TRACK_MSG_FAILED;
			else
				goto badval;
			break;
		case OPT_LAB: o.lab = 1; break;
		case OPT_CREDS: o.creds = 1; break;
		case OPT_CREDFILE: o.credfile = optarg; break;
		case OPT_RULES: o.rules = optarg; break;
		case OPT_VULNS: o.vulns = optarg; break;
		case OPT_RATE: {
			double r;

			if (cli_parse_double(optarg, &r) != 0 || r <= 0)
				goto badval;
			o.rate = optarg;
			break;
		}
		case OPT_STIMEOUT:
			if (cli_parse_ll(optarg, 1, 600000, &v) != 0)
				goto badval;
			o.stimeout = optarg;
			break;
		case OPT_FORCE: o.force = 1; break;
		case OPT_OLDER:
			if (mtime_parse_duration(optarg, &o.older) != 0)
				goto badval;
			break;
		case OPT_MONTH: o.month = optarg; break;
		case OPT_TO: o.mto = optarg; break;
		case 'n':
			if (cli_parse_ll(optarg, 1, TRACK_PICK_MAX, &v) != 0)
				goto badval;
			o.limit = (size_t)v;
			break;
		case 'o':
			if (cli_out_format(optarg, &o.fmt) != 0)
				goto badval;
			o.fmt_set = 1;
			break;
		case 'h':
			if (strcmp(sub, "deliver") == 0)
				usage_deliver(stdout);
			else if (strcmp(sub, "list") == 0)
				usage_list(stdout);
			else if (strcmp(sub, "recheck") == 0)
				usage_recheck(stdout);
			else if (strcmp(sub, "stats") == 0)
				usage_stats(stdout);
			else if (first == 2)
				usage_run(stdout);
			else {
				usage_notify(stdout);
				printf("\n");
				usage_run(stdout);
			}
			return EXIT_OK;
		default:
			usage_notify(stderr);
			return EXIT_USAGE;
		}
	}
	if (optind < argc) {
		cli_err(CMD, "unexpected argument '%s'", argv[optind]);
		return EXIT_USAGE;
	}
	if (strcmp(sub, "run") == 0)
		return run_or_deliver(&o, 1);
	if (strcmp(sub, "deliver") == 0)
		return run_or_deliver(&o, 0);
	if (strcmp(sub, "list") == 0)
		return do_list(&o);
	if (strcmp(sub, "recheck") == 0)
		return do_recheck(&o);
	return do_stats(&o);
 badval:
	cli_err(CMD, "bad value for an option: %s", optarg);
	return EXIT_USAGE;
}
