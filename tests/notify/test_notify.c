/*
 * test_notify.c - the notification run on a temporary data directory with
 * synthetic findings, a customer-prefix file, a contacts file and the
 * outbox: grouping (one message per recipient, covering all its findings
 * and report types), the unattributed bucket (CSV per report type, counted,
 * never mailed, findings left open), de-duplication (same subject and kind
 * under a new finding id; a reopened finding within and after the
 * interval), nothing marked notified when delivery fails (connection
 * refused on a closed loopback port), a retry delivering it, a failed
 * (refused) message whose findings stay pending and go into the next
 * run's message, notify list without notify.db, findings.db
 * locked at delivery (journalled, marked by the next delivery), the dry
 * run changing nothing, recheck judgements and the monthly figures. Times are
 * explicit; the only network use is one connect to a closed 127.0.0.1 port.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <cmocka.h>

#include "attrib/attrib.h"
#include "attrib/contacts.h"
#include "attrib/routeview.h"
#include "notify/notify.h"

#define HOUR	(3600 * 1000LL)
#define DAY	(24 * HOUR)
/* 2026-11-10T00:00:00Z */
#define T0	1794268800000LL

static const char customers[] =
    "127.24.0.0/25     isp-a   AS64496\n"
    "127.24.1.0/24     isp-b   AS64500\n"
    "2001:db8:100::/48 isp-a   AS64496\n";

static const char contacts[] =
    "[customer:isp-a]\n"
    "id = isp-a\n"
    "org = ISP A 株式会社\n"
    "isp = ISP A\n"
    "email = abuse@isp-a.example.jp\n"
    "lang = ja\n"
    "format = csv\n"
    "\n"
    "[customer:isp-b]\n"
    "id = isp-b\n"
    "org = ISP B Ltd.\n"
    "isp = ISP B\n"
    "email = abuse@isp-b.example.net\n"
    "lang = en\n"
    "format = both\n";

struct fx {
	char			 dir[64];
	char			 data[96];
	char			 outbox[96];
	char			 tmpl[4096];
	struct routeview	*rv;
	struct contacts		*ct;
	struct attrib		*at;
	struct findings_db	*fdb;
	struct track_db		*tdb;
	struct report_reporter	 rep;
	struct notify_cfg	 cfg;
	size_t			 nev[8];
};

static void
on_ev(const struct notify_event *e, void *arg)
{
	struct fx *fx = arg;

	if ((int)e->ev >= 0 && (int)e->ev < 8)
		fx->nev[e->ev]++;
}

static int
setup(void **state)
{
	struct fx *fx = calloc(1, sizeof(*fx));
	struct mm_diag d;
	char path[160];
	FILE *fp;

	if (fx == NULL)
		return -1;
	snprintf(fx->dir, sizeof(fx->dir), "/tmp/mamori-notify-XXXXXX");
	if (mkdtemp(fx->dir) == NULL)
		return -1;
	snprintf(fx->data, sizeof(fx->data), "%s/data", fx->dir);
	snprintf(fx->outbox, sizeof(fx->outbox), "%s/outbox", fx->dir);
	if (mkdir(fx->data, 0755) != 0 || mkdir(fx->outbox, 0755) != 0)
		return -1;
	snprintf(path, sizeof(path), "%s/customers.txt", fx->dir);
	if ((fp = fopen(path, "w")) == NULL)
		return -1;
	fputs(customers, fp);
	fclose(fp);
	memset(&d, 0, sizeof(d));
	if ((fx->rv = routeview_new()) == NULL ||
	    routeview_add_customers(fx->rv, path, &d) != 0 ||
	    (fx->ct = contacts_new()) == NULL ||
	    contacts_load_mem(fx->ct, "contacts", contacts, sizeof(contacts)
	    - 1, &d) != 0 ||
	    (fx->at = attrib_new(fx->rv, fx->ct, NULL)) == NULL) {
		fprintf(stderr, "setup: %s\n", d.msg);
		return -1;
	}
	if (findings_open(fx->data, &fx->fdb, &d) != 0 ||
	    track_open(fx->data, NULL, &fx->tdb, &d) != 0) {
		fprintf(stderr, "setup: %s\n", d.msg);
		return -1;
	}
	snprintf(fx->tmpl, sizeof(fx->tmpl), "%s/data/notify/templates",
	    MAMORI_SRCDIR);
	fx->rep.org = "Mamori Test CSIRT";
	fx->rep.domain = "mamori.example.org";
	fx->rep.email = "noc@mamori.example.org";
	fx->cfg.at = fx->at;
	fx->cfg.datadir = fx->data;
	fx->cfg.templates = fx->tmpl;
	fx->cfg.reporter = &fx->rep;
	fx->cfg.from = "noc@mamori.example.org";
	fx->cfg.from_name = "Mamori Test";
	fx->cfg.since = INT64_MIN;
	fx->cfg.delivery = NOTIFY_DELIVER_OUTBOX;
	fx->cfg.outbox = fx->outbox;
	fx->cfg.on_event = on_ev;
	fx->cfg.arg = fx;
	*state = fx;
	return 0;
}

static int
teardown(void **state)
{
	struct fx *fx = *state;
	char cmd[200];

	track_close(fx->tdb);
	findings_close(fx->fdb);
	attrib_free(fx->at);
	contacts_free(fx->ct);
	routeview_free(fx->rv);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", fx->dir);
	if (system(cmd) != 0)
		fprintf(stderr, "teardown: %s failed\n", cmd);
	free(fx);
	return 0;
}

/* Adds a finding; returns its id. */
static int64_t
add(struct fx *fx, const char *kind, const char *detector, const char *addr,
    uint16_t port, const char *extra, const char *evidence, mtime_t seen)
{
	struct finding f;
	struct mm_diag d;
	int64_t id = 0;

	memset(&f, 0, sizeof(f));
	f.kind = (char *)kind;
	f.detector = (char *)detector;
	assert_int_equal(addr_parse(addr, &f.subject), 0);
	f.port = port;
	f.proto = port != 0 ? 6 : 0;
	f.dedup_extra = (char *)extra;
	f.first_seen = seen;
	f.last_seen = seen;
	f.count = 1;
	f.severity = SEV_HIGH;
	f.summary = (char *)"test finding";
	f.evidence = (char *)evidence;
	f.status = FST_OPEN;
	assert_int_equal(findings_upsert(fx->fdb, &f, 0, NULL, &id, &d), 0);
	return id;
}

static enum finding_status
status_of(struct fx *fx, int64_t id)
{
	struct finding f;
	struct mm_diag d;
	enum finding_status s;

	assert_int_equal(findings_get(fx->fdb, id, &f, &d), 0);
	s = f.status;
	findings_finding_free(&f);
	return s;
}

static size_t
count_files(const char *dir, const char *suffix)
{
	DIR *dp = opendir(dir);
	struct dirent *de;
	size_t n = 0, l, ls = strlen(suffix);

	if (dp == NULL)
		return 0;
	while ((de = readdir(dp)) != NULL) {
		l = strlen(de->d_name);
		if (de->d_name[0] != '.' && l > ls &&
		    strcmp(de->d_name + l - ls, suffix) == 0)
			n++;
	}
	closedir(dp);
	return n;
}

/* Reads the only message of `dir` whose name contains `needle`... the
 * outbox names are times, so: the message whose text contains needle. */
static char *
find_msg(const char *dir, const char *needle)
{
	DIR *dp = opendir(dir);
	struct dirent *de;
	char path[600], *buf = NULL;
	FILE *fp;
	long len;

	if (dp == NULL)
		return NULL;
	while ((de = readdir(dp)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		if ((fp = fopen(path, "rb")) == NULL)
			continue;
		fseek(fp, 0, SEEK_END);
		len = ftell(fp);
		rewind(fp);
		buf = calloc(1, (size_t)len + 1);
		if (buf != NULL && fread(buf, 1, (size_t)len, fp) ==
		    (size_t)len && strstr(buf, needle) != NULL) {
			fclose(fp);
			break;
		}
		fclose(fp);
		free(buf);
		buf = NULL;
	}
	closedir(dp);
	return buf;
}

static const char ev_vuln[] = "{\"service\":\"https\",\"cve\":"
    "\"CVE-2024-21762\",\"cvss\":9.8,\"kev\":true,\"vendor\":\"Fortinet\","
    "\"product\":\"FortiOS\",\"version\":\"7.2.0\"}";
static const char ev_telnet[] = "{\"service\":\"telnet\",\"banner\":"
    "\"login:\"}";

/* Grouping, the bucket, outbox delivery and the notified marks. */
static void
test_group_bucket(void **state)
{
	struct fx *fx = *state;
	struct notify_stats st;
	struct mm_diag d;
	int64_t a1, a2, a3, b1, u1, c1;
	char *m;

	a1 = add(fx, "open-telnet", "survey", "127.24.0.5", 23, "", ev_telnet,
	    T0);
	a2 = add(fx, "vulnerable-version", "survey", "127.24.0.6", 443,
	    "CVE-2024-21762", ev_vuln, T0 + 1000);
	a3 = add(fx, "c2-client", "c2watch", "2001:db8:100:1::1", 0,
	    "198.18.0.5", "{\"server\":\"198.18.0.5\"}", T0 + 2000);
	b1 = add(fx, "open-telnet", "survey", "127.24.1.9", 23, "", ev_telnet,
	    T0 + 3000);
	u1 = add(fx, "open-telnet", "survey", "127.24.0.200", 23, "",
	    ev_telnet, T0 + 4000);
	c1 = add(fx, "c2-server", "c2watch", "198.18.0.5", 443, "", NULL,
	    T0 + 5000);
	add(fx, "odd-kind", "x", "127.24.0.7", 0, "", NULL, T0);

	memset(&d, 0, sizeof(d));
	assert_int_equal(notify_run(&fx->cfg, fx->fdb, fx->tdb, T0 + HOUR,
	    &st, &d), 0);
	assert_int_equal(st.open, 7);
	assert_int_equal(st.unreported, 1);
	assert_int_equal(st.attributed, 4);
	assert_int_equal(st.unattributed, 2);
	assert_int_equal(st.recipients, 2);
	assert_int_equal(st.messages, 2);
	assert_int_equal(st.queued_findings, 4);
	assert_int_equal(st.sent, 2);
	assert_int_equal(st.notified, 4);
	assert_int_equal(st.render_errors, 0);
	assert_int_equal(st.nreasons, 1);
	assert_int_equal(st.reasons[0].n, 2);
	assert_int_equal(fx->nev[NOTIFY_EV_BUCKET], 2);	/* telnet, c2 */
	assert_int_equal(count_files(fx->outbox, ".eml"), 2);
	{
		char dir[200];

		snprintf(dir, sizeof(dir), "%s/%s", fx->data,
		    NOTIFY_UNATTRIBUTED_DIR);
		assert_int_equal(count_files(dir, ".csv"), 2);
	}
	assert_int_equal(status_of(fx, a1), FST_NOTIFIED);
	assert_int_equal(status_of(fx, a2), FST_NOTIFIED);
	assert_int_equal(status_of(fx, a3), FST_NOTIFIED);
	assert_int_equal(status_of(fx, b1), FST_NOTIFIED);
	assert_int_equal(status_of(fx, u1), FST_OPEN);
	assert_int_equal(status_of(fx, c1), FST_OPEN);

	/* ISP A: one message, three findings, three report types */
	m = find_msg(fx->outbox, "abuse@isp-a.example.jp");
	assert_non_null(m);
	assert_non_null(strstr(m, "scan_telnet.csv"));
	assert_non_null(strstr(m, "scan_http_vulnerable.csv"));
	assert_non_null(strstr(m, "botnet_drone6.csv"));
	assert_null(strstr(m, "xarf-"));		/* format csv */
	assert_null(strstr(m, "127.24.0.200"));	/* never the bucket */
	free(m);
	/* ISP B prefers both: CSV and X-ARF */
	m = find_msg(fx->outbox, "abuse@isp-b.example.net");
	assert_non_null(m);
	assert_non_null(strstr(m, "scan_telnet.csv"));
	assert_non_null(strstr(m, "xarf-"));
	free(m);

	/* a second run: nothing open that is attributable is new */
	memset(fx->nev, 0, sizeof(fx->nev));
	assert_int_equal(notify_run(&fx->cfg, fx->fdb, fx->tdb, T0 + 2 * HOUR,
	    &st, &d), 0);
	assert_int_equal(st.messages, 0);
	assert_int_equal(st.unattributed, 2);
	assert_int_equal(count_files(fx->outbox, ".eml"), 2);
	{
		struct notify_msg_row *rows;
		size_t n;

		assert_int_equal(notify_list(fx->data, -1, 100, &rows, &n, &d),
		    0);
		assert_int_equal(n, 2);
		assert_int_equal(rows[0].state, TRACK_MSG_SENT);
		assert_int_equal(rows[0].findings + rows[1].findings, 4);
		free(rows);
	}
}

/* De-duplication: a new id for the same subject and kind, a reopened one. */
static void
test_dedup(void **state)
{
	struct fx *fx = *state;
	struct notify_stats st;
	struct mm_diag d;
	int64_t a1, a1b;

	memset(&d, 0, sizeof(d));
	a1 = add(fx, "open-telnet", "survey", "127.24.0.5", 23, "", ev_telnet,
	    T0);
	assert_int_equal(notify_run(&fx->cfg, fx->fdb, fx->tdb, T0 + HOUR,
	    &st, &d), 0);
	assert_int_equal(st.sent, 1);
	/* another detector reports the same thing under a new id */
	a1b = add(fx, "open-telnet", "other-scanner", "127.24.0.5", 23, "",
	    ev_telnet, T0 + 2 * HOUR);
	assert_int_equal(notify_run(&fx->cfg, fx->fdb, fx->tdb, T0 + 3 * HOUR,
	    &st, &d), 0);
	assert_int_equal(st.duplicates, 1);
	assert_int_equal(st.messages, 0);
	assert_int_equal(status_of(fx, a1b), FST_OPEN);
	/* reopened within the interval: still not repeated */
	assert_int_equal(findings_set_status(fx->fdb, a1, FST_OPEN, NULL, &d),
	    0);
	assert_int_equal(notify_run(&fx->cfg, fx->fdb, fx->tdb, T0 + 4 * HOUR,
	    &st, &d), 0);
	assert_int_equal(st.duplicates, 2);
	assert_int_equal(st.messages, 0);
	/* after the interval (30 d): told again, both findings in one mail */
	assert_int_equal(notify_run(&fx->cfg, fx->fdb, fx->tdb, T0 + 31 * DAY,
	    &st, &d), 0);
	assert_int_equal(st.duplicates, 0);
	assert_int_equal(st.messages, 1);
	assert_int_equal(st.queued_findings, 2);
	assert_int_equal(st.sent, 1);
	assert_int_equal(status_of(fx, a1), FST_NOTIFIED);
	assert_int_equal(status_of(fx, a1b), FST_NOTIFIED);
}

/* A loopback port nobody listens on (bound, then closed). */
static int
closed_port(void)
{
	struct sockaddr_in sa;
	socklen_t sl = sizeof(sa);
	int fd, port;

	fd = socket(AF_INET, SOCK_STREAM, 0);
	assert_true(fd >= 0);
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&sa, &sl), 0);
	port = ntohs(sa.sin_port);
	close(fd);
	return port;
}

/* A failed delivery marks nothing; a retry does. */
static void
test_failure(void **state)
{
	struct fx *fx = *state;
	struct notify_stats st;
	struct smtp_config sc;
	struct mm_diag d;
	char url[64];
	int64_t b1;

	memset(&d, 0, sizeof(d));
	b1 = add(fx, "open-telnet", "survey", "127.24.1.9", 23, "", ev_telnet,
	    T0);
	snprintf(url, sizeof(url), "smtp://127.0.0.1:%d", closed_port());
	memset(&sc, 0, sizeof(sc));
	sc.url = url;
	sc.connect_timeout_ms = 5000;
	sc.timeout_ms = 10000;
	fx->cfg.delivery = NOTIFY_DELIVER_SMTP;
	fx->cfg.smtp = &sc;
	assert_int_equal(notify_run(&fx->cfg, fx->fdb, fx->tdb, T0 + HOUR,
	    &st, &d), 0);
	assert_int_equal(st.messages, 1);
	assert_int_equal(st.sent, 0);
	assert_int_equal(st.transient, 1);
	assert_int_equal(st.notified, 0);
	assert_int_equal(fx->nev[NOTIFY_EV_TRANSIENT], 1);
	assert_int_equal(status_of(fx, b1), FST_OPEN);
	/* the next run does not queue it twice; it is not due yet */
	assert_int_equal(notify_run(&fx->cfg, fx->fdb, fx->tdb,
	    T0 + HOUR + 1000, &st, &d), 0);
	assert_int_equal(st.messages, 0);
	assert_int_equal(st.duplicates, 1);
	assert_int_equal(st.picked, 0);
	assert_int_equal(status_of(fx, b1), FST_OPEN);
	{
		struct notify_msg_row *rows;
		size_t n;

		assert_int_equal(notify_list(fx->data, TRACK_MSG_PENDING, 10,
		    &rows, &n, &d), 0);
		assert_int_equal(n, 1);
		assert_int_equal(rows[0].attempts, 1);
		assert_true(rows[0].error[0] != '\0');
		free(rows);
	}
	/* retried now into the outbox: sent, and only now notified */
	fx->cfg.delivery = NOTIFY_DELIVER_OUTBOX;
	fx->cfg.retry_now = 1;
	memset(&st, 0, sizeof(st));
	assert_int_equal(notify_deliver(&fx->cfg, fx->fdb, fx->tdb,
	    T0 + HOUR + 2000, &st, &d), 0);
	assert_int_equal(st.sent, 1);
	assert_int_equal(st.notified, 1);
	assert_int_equal(status_of(fx, b1), FST_NOTIFIED);
	assert_int_equal(count_files(fx->outbox, ".eml"), 1);
}

/* A permanently refused (failed) message: not retried, its findings are
 * never marked notified (their notifications stay pending), and the next
 * run puts them into a new message; deliver --now leaves it alone. */
static void
test_refused(void **state)
{
	struct fx *fx = *state;
	struct notify_stats st;
	struct notify_msg_row *rows;
	struct track_msg *m;
	struct track_counts c;
	struct mm_diag d;
	size_t n;
	int64_t b1, failed;

	memset(&d, 0, sizeof(d));
	/* a directory without notify.db has no messages, and gets none */
	{
		char p[200];

		assert_int_equal(notify_list(fx->outbox, -1, 10, &rows, &n,
		    &d), 0);
		assert_int_equal(n, 0);
		assert_null(rows);
		snprintf(p, sizeof(p), "%s/%s", fx->outbox, TRACK_DB_NAME);
		assert_int_not_equal(access(p, F_OK), 0);
	}
	b1 = add(fx, "open-telnet", "survey", "127.24.1.9", 23, "", ev_telnet,
	    T0);
	/* queue only, then the server's 550 as notify_deliver records it */
	fx->cfg.delivery = NOTIFY_DELIVER_NONE;
	assert_int_equal(notify_run(&fx->cfg, fx->fdb, fx->tdb, T0 + HOUR,
	    &st, &d), 0);
	assert_int_equal(st.messages, 1);
	assert_int_equal(track_pick_due(fx->tdb, T0 + HOUR, 10, &m, &n, &d),
	    0);
	assert_int_equal(n, 1);
	failed = m[0].id;
	track_msgs_free(m, n);
	assert_int_equal(track_mark_failed(fx->tdb, failed,
	    "smtp: permanent: 550 5.1.1 mailbox unavailable", T0 + HOUR, &d),
	    0);
	assert_int_equal(status_of(fx, b1), FST_OPEN);
	assert_int_equal(track_counts(fx->tdb, T0 + HOUR, &c, &d), 0);
	assert_int_equal(c.failed, 1);
	assert_int_equal(c.st_new, 1);		/* the notification: pending */
	assert_int_equal(c.st_notified, 0);
	assert_int_equal(notify_list(fx->data, TRACK_MSG_FAILED, 10, &rows,
	    &n, &d), 0);
	assert_int_equal(n, 1);
	assert_int_equal(rows[0].findings, 1);
	assert_non_null(strstr(rows[0].error, "550"));
	free(rows);

	/* --now retries pending messages only: the failed one stays */
	fx->cfg.delivery = NOTIFY_DELIVER_OUTBOX;
	fx->cfg.retry_now = 1;
	memset(&st, 0, sizeof(st));
	assert_int_equal(notify_deliver(&fx->cfg, fx->fdb, fx->tdb,
	    T0 + HOUR + 1000, &st, &d), 0);
	assert_int_equal(st.picked, 0);
	assert_int_equal(st.notified, 0);
	assert_int_equal(status_of(fx, b1), FST_OPEN);
	assert_int_equal(count_files(fx->outbox, ".eml"), 0);

	/* the next run is not held back by the failed message */
	fx->cfg.retry_now = 0;
	assert_int_equal(notify_run(&fx->cfg, fx->fdb, fx->tdb, T0 + 2 * HOUR,
	    &st, &d), 0);
	assert_int_equal(st.duplicates, 0);
	assert_int_equal(st.messages, 1);
	assert_int_equal(st.sent, 1);
	assert_int_equal(st.notified, 1);
	assert_int_equal(status_of(fx, b1), FST_NOTIFIED);
	assert_int_equal(count_files(fx->outbox, ".eml"), 1);
	assert_int_equal(notify_list(fx->data, -1, 10, &rows, &n, &d), 0);
	assert_int_equal(n, 2);
	assert_int_equal(rows[0].state, TRACK_MSG_SENT);
	assert_int_equal(rows[1].id, failed);
	assert_int_equal(rows[1].state, TRACK_MSG_FAILED);
	free(rows);
}

/* findings.db locked by another writer while a message is accepted: the
 * message is sent, its findings are journalled and marked by the next
 * delivery. (Waits out findings.db's busy timeout once, 10 s.) */
static void
test_busy_findings(void **state)
{
	struct fx *fx = *state;
	struct findings_db *other;
	struct notify_stats st;
	struct mm_diag d;
	char path[200];
	int64_t a1;

	memset(&d, 0, sizeof(d));
	a1 = add(fx, "open-telnet", "survey", "127.24.0.5", 23, "", ev_telnet,
	    T0);
	assert_int_equal(findings_open(fx->data, &other, &d), 0);
	assert_int_equal(findings_begin(other, &d), 0);	/* write lock */
	assert_int_equal(notify_run(&fx->cfg, fx->fdb, fx->tdb, T0 + HOUR,
	    &st, &d), 0);
	assert_int_equal(st.sent, 1);
	assert_int_equal(st.notified, 0);
	assert_true(st.mark_errors > 0);
	snprintf(path, sizeof(path), "%s/notify/unmarked", fx->data);
	assert_int_equal(access(path, F_OK), 0);
	findings_rollback(other);
	findings_close(other);
	assert_int_equal(status_of(fx, a1), FST_OPEN);
	/* the next delivery (nothing due) replays the journal */
	memset(&st, 0, sizeof(st));
	assert_int_equal(notify_deliver(&fx->cfg, fx->fdb, fx->tdb,
	    T0 + 2 * HOUR, &st, &d), 0);
	assert_int_equal(st.sent, 0);
	assert_int_equal(st.notified, 1);
	assert_int_equal(status_of(fx, a1), FST_NOTIFIED);
	assert_int_not_equal(access(path, F_OK), 0);
}

/* The dry run writes files and changes nothing. */
static void
test_dry_run(void **state)
{
	struct fx *fx = *state;
	struct notify_stats st;
	struct mm_diag d;
	char dry[128];
	int64_t a1, u1;

	memset(&d, 0, sizeof(d));
	a1 = add(fx, "open-telnet", "survey", "127.24.0.5", 23, "", ev_telnet,
	    T0);
	u1 = add(fx, "open-telnet", "survey", "127.24.0.200", 23, "",
	    ev_telnet, T0);
	snprintf(dry, sizeof(dry), "%s/dry", fx->dir);
	assert_int_equal(mkdir(dry, 0755), 0);
	fx->cfg.dry_run = dry;
	assert_int_equal(notify_run(&fx->cfg, fx->fdb, NULL, T0 + HOUR, &st,
	    &d), 0);
	assert_int_equal(st.messages, 1);
	assert_int_equal(st.unattributed, 1);
	assert_int_equal(st.sent, 0);
	assert_int_equal(count_files(dry, ".eml"), 1);
	snprintf(dry + strlen(dry), sizeof(dry) - strlen(dry),
	    "/unattributed");
	assert_int_equal(count_files(dry, ".csv"), 1);
	assert_int_equal(count_files(fx->outbox, ".eml"), 0);
	assert_int_equal(status_of(fx, a1), FST_OPEN);
	assert_int_equal(status_of(fx, u1), FST_OPEN);
	{
		struct notify_msg_row *rows;
		size_t n;

		assert_int_equal(notify_list(fx->data, -1, 10, &rows, &n, &d),
		    0);
		assert_int_equal(n, 0);
		free(rows);
	}
}

/* A "both" recipient with more findings than X-ARF parts fit: one
 * message with the CSVs only. */
static void
test_both_many(void **state)
{
	struct fx *fx = *state;
	struct notify_stats st;
	struct mm_diag d;
	char a[32];
	char *m;
	int i;

	memset(&d, 0, sizeof(d));
	for (i = 1; i <= 60; i++) {
		snprintf(a, sizeof(a), "127.24.1.%d", i);
		add(fx, "open-telnet", "survey", a, 23, "", ev_telnet, T0 + i);
	}
	assert_int_equal(notify_run(&fx->cfg, fx->fdb, fx->tdb, T0 + HOUR,
	    &st, &d), 0);
	assert_int_equal(st.messages, 1);
	assert_int_equal(st.xarf_dropped, 60);
	assert_int_equal(st.notified, 60);
	m = find_msg(fx->outbox, "abuse@isp-b.example.net");
	assert_non_null(m);
	assert_non_null(strstr(m, "scan_telnet.csv"));
	assert_null(strstr(m, "xarf-"));
	free(m);
}

/* Recheck: persisting when seen again since t0, remediated when not. */
static void
test_recheck(void **state)
{
	struct fx *fx = *state;
	struct notify_stats st;
	struct notify_recheck *v;
	struct notify_month_row *rows;
	struct mm_diag d;
	size_t n, c2, nr, np, ns, i, nrows;
	int64_t fixed, still, dev, weak, c2c, exposed, gone;
	char scope[160], ports[64], buf[512];
	FILE *fp;
	mtime_t t0 = T0 + 2 * DAY;

	memset(&d, 0, sizeof(d));
	fixed = add(fx, "vulnerable-version", "survey", "127.24.0.6", 443,
	    "CVE-2024-21762", ev_vuln, T0);
	dev = add(fx, "device", "survey", "127.24.0.6", 443, "",
	    "{\"service\":\"https\",\"vendor\":\"Fortinet\"}", T0);
	still = add(fx, "open-telnet", "survey", "127.24.1.9", 23, "",
	    ev_telnet, T0);
	weak = add(fx, "weak-credential", "survey", "127.24.1.9", 23,
	    "mirai-01", ev_telnet, T0);
	c2c = add(fx, "c2-client", "c2watch", "127.24.1.10", 0, "x",
	    "{\"server\":\"198.18.0.5\"}", T0);
	exposed = add(fx, "device", "survey", "127.24.1.20", 80, "",
	    "{\"service\":\"http\"}", T0);
	gone = add(fx, "device", "survey", "127.24.1.21", 80, "",
	    "{\"service\":\"http\"}", T0);
	assert_int_equal(notify_run(&fx->cfg, fx->fdb, fx->tdb, T0 + HOUR,
	    &st, &d), 0);
	assert_int_equal(st.notified, 7);

	assert_int_equal(notify_recheck_collect(fx->tdb, fx->fdb, INT64_MAX,
	    100, &v, &n, &c2, &d), 0);
	assert_int_equal(n, 6);
	assert_int_equal(c2, 1);
	snprintf(scope, sizeof(scope), "%s/scope.txt", fx->dir);
	assert_int_equal(notify_recheck_scope(v, n, scope, ports,
	    sizeof(ports), &d), 0);
	assert_string_equal(ports, "23,80,443");
	fp = fopen(scope, "r");
	assert_non_null(fp);
	i = 0;
	while (fgets(buf, sizeof(buf), fp) != NULL)
		if (buf[0] != '#')
			i++;
	fclose(fp);
	assert_int_equal(i, 4);		/* one line per address */

	/* the "survey": the telnet device answers again, the VPN is fixed */
	add(fx, "open-telnet", "survey", "127.24.1.9", 23, "", ev_telnet,
	    t0 + 1000);
	add(fx, "device", "survey", "127.24.0.6", 443, "",
	    "{\"service\":\"https\",\"vendor\":\"Fortinet\"}", t0 + 1000);
	add(fx, "device", "survey", "127.24.1.20", 80, "",
	    "{\"service\":\"http\"}", t0 + 1000);
	assert_int_equal(notify_recheck_apply(v, n, fx->fdb, fx->tdb, t0,
	    t0 + HOUR, "survey-test", 0, &nr, &np, &ns, &d), 0);
	assert_int_equal(nr, 3);	/* vulnerable-version, 2 devices */
	assert_int_equal(np, 2);	/* open-telnet, exposed device */
	assert_int_equal(ns, 1);	/* weak-credential: not checked */
	assert_int_equal(status_of(fx, fixed), FST_REMEDIATED);
	assert_int_equal(status_of(fx, dev), FST_REMEDIATED);
	assert_int_equal(status_of(fx, still), FST_NOTIFIED);
	assert_int_equal(status_of(fx, weak), FST_NOTIFIED);
	assert_int_equal(status_of(fx, c2c), FST_NOTIFIED);
	assert_int_equal(status_of(fx, exposed), FST_NOTIFIED);
	assert_int_equal(status_of(fx, gone), FST_REMEDIATED);
	for (i = 0; i < n; i++)
		if (v[i].finding_id == fixed)
			assert_int_equal(v[i].result, NOTIFY_RC_REMEDIATED);
		else if (v[i].finding_id == still)
			assert_int_equal(v[i].result, NOTIFY_RC_PERSISTING);
	free(v);

	/* figures for November 2026 */
	assert_int_equal(notify_monthly(fx->tdb, 2026, 11, 2026, 11,
	    &rows, &nrows, &d), 0);
	{
		int64_t found = 0, notified = 0, rem = 0, pers = 0;

		for (i = 0; i < nrows; i++) {
			found += rows[i].found;
			notified += rows[i].notified;
			rem += rows[i].remediated;
			pers += rows[i].persisting;
			assert_string_not_equal(rows[i].isp, "");
		}
		assert_int_equal(found, 7);
		assert_int_equal(notified, 7);
		assert_int_equal(rem, 3);
		assert_int_equal(pers, 2);
	}
	free(rows);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_group_bucket, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_dedup, setup, teardown),
		cmocka_unit_test_setup_teardown(test_failure, setup, teardown),
		cmocka_unit_test_setup_teardown(test_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_dry_run, setup, teardown),
		cmocka_unit_test_setup_teardown(test_busy_findings, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_both_many, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_recheck, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
