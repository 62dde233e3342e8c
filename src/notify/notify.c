/*
 * notify.c - the notification run: findings -> attribution -> dedup ->
 * per-recipient messages -> queue -> delivery -> findings notified; the
 * recheck of notified devices; the queue listing and monthly figures.
 *
 * Design. A run is a pipeline over one in-memory vector of items (a copy
 * of each open finding plus its attribution). The vector is read once from
 * findings.db (one query per --kind, or one for all), attributed in place,
 * split into the unattributed bucket and the rest, de-duplicated against
 * notify.db, then sorted by (recipient id, e-mail, address, port, id) so
 * that each recipient's findings are one contiguous run; each run becomes
 * one message (or a few when it is too large for one), rendered by
 * report_notice_mail() and stored by track_enqueue() together with the
 * finding ids it covers. Delivery is separate (notify_deliver): it only
 * ever moves a message to "sent" after the server's 250 (or a complete
 * outbox file), and only then touches findings.db.
 *
 * notify.db is reached only through track.h (the finding ids of a sent
 * message, the queue listing, the monthly figures, `deliver --now`); this
 * file does not know its schema.
 *
 * Costs: memory O(open findings) (capped at NOTIFY_MAX_FINDINGS) plus the
 * largest message; one attrib_resolve() and one or two notify.db probes
 * per finding; one sort, O(n log n); a message is rendered once (O(its
 * size)) and stored once. Delivery: one SMTP transaction or one fsync'ed
 * file per message, then one findings.db transaction per message.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "attrib/contacts.h"
#include "notify/mail.h"
#include "notify/notify.h"
#include "notify/outbox.h"
#include "notify/tmpl.h"

#define UNATTRIB_ISP	"(unattributed)"
#define XARF_PER_MSG	(MAIL_MAX_PARTS - 16)	/* room for the CSVs */

/* One open finding and where it goes. */
struct item {
	struct finding		f;
	struct attribution	at;
	int			drop;	/* duplicate / unattributed */
};

struct collect {
	struct item	*v;
	size_t		 n, cap;
	size_t		 unreported, capped;
	int		 err;
};

static void	unmarked_replay(const struct notify_cfg *,
		    struct findings_db *, struct track_db *,
		    struct notify_stats *);

/* ---- small helpers ---- */

static void
event(const struct notify_cfg *cfg, enum notify_ev ev, int64_t msg,
    const struct recipient *r, const char *types, size_t nf,
    const char *detail)
{
	struct notify_event e;

	if (cfg->on_event == NULL)
		return;
	memset(&e, 0, sizeof(e));
	e.ev = ev;
	e.msg = msg;
	e.recipient = r != NULL ? r->id : "";
	e.email = r != NULL ? r->email : "";
	e.isp = r != NULL ? (r->isp[0] ? r->isp : r->org[0] ? r->org :
	    r->id) : "";
	e.types = types != NULL ? types : "";
	e.findings = nf;
	e.detail = detail != NULL ? detail : "";
	cfg->on_event(&e, cfg->arg);
}

static const char *
isp_of(const struct recipient *r)
{
	if (r->unattributed)
		return UNATTRIB_ISP;
	return r->isp[0] ? r->isp : r->org[0] ? r->org : r->id;
}

/* Counts an unattributed finding under its reason; the last slot
 * collects every reason beyond the first NOTIFY_MAX_REASONS - 1. */
static void
reason_count(struct notify_stats *st, const char *reason)
{
	size_t i;

	if (reason == NULL || *reason == '\0')
		reason = "no recipient";
	for (i = 0; i < st->nreasons; i++)
		if (strcmp(st->reasons[i].reason, reason) == 0) {
			st->reasons[i].n++;
			return;
		}
	if (st->nreasons < NOTIFY_MAX_REASONS - 1) {
		i = st->nreasons++;
		snprintf(st->reasons[i].reason, sizeof(st->reasons[i].reason),
		    "%s", reason);
	} else {
		i = NOTIFY_MAX_REASONS - 1;
		st->nreasons = NOTIFY_MAX_REASONS;
		snprintf(st->reasons[i].reason, sizeof(st->reasons[i].reason),
		    "other reasons");
	}
	st->reasons[i].n++;
}

static int
addr_ok(const char *addr, void *arg)
{
	(void)arg;
	return contacts_email_valid(addr);
}

int
notify_recheck_kind(const char *kind)
{
	return kind != NULL && (strcmp(kind, "device") == 0 ||
	    strcmp(kind, "vulnerable-version") == 0 ||
	    strcmp(kind, "weak-credential") == 0 ||
	    strcmp(kind, "open-telnet") == 0);
}

static int
is_c2_kind(const char *kind)
{
	return kind != NULL && strncmp(kind, "c2-", 3) == 0;
}

/* Fills a track item for `f` (addr text in `ab`, ADDR_STRLEN bytes). */
static void
track_item_of(const struct finding *f, char *ab, struct track_item *ti)
{
	addr_fmt(&f->subject, ab, ADDR_STRLEN);
	memset(ti, 0, sizeof(*ti));
	ti->finding_id = f->id;
	ti->subject = ab;
	ti->kind = f->kind;
	ti->category = f->kind;
	ti->found = f->first_seen;
}

/* ---- listing the queue ---- */

int
notify_list(const char *datadir, int state, size_t max,
    struct notify_msg_row **rows, size_t *n, struct mm_diag *d)
{
	struct track_db *tdb = NULL;
	struct track_msg_row *tr = NULL;
	struct notify_msg_row *v = NULL;
	char path[4096];
	size_t ntr = 0, i;
	int rc;

	*rows = NULL;
	*n = 0;
	if (datadir == NULL || max == 0 || max > TRACK_PICK_MAX ||
	    state < -1 || state > TRACK_MSG_FAILED)
		return mm_diag_set(d, MM_EINVAL, "notify list: bad argument");
	if (snprintf(path, sizeof(path), "%s/%s", datadir, TRACK_DB_NAME) >=
	    (int)sizeof(path))
		return mm_diag_set(d, MM_EINVAL, "%s: path too long", datadir);
	if (access(path, F_OK) != 0)
		return 0;		/* no notify.db: no messages */
	if ((rc = track_open(datadir, NULL, &tdb, d)) != 0)
		return rc;
	if ((rc = track_msg_list(tdb, state, max, &tr, &ntr, d)) != 0 ||
	    ntr == 0)
		goto out;
	if ((v = calloc(ntr, sizeof(*v))) == NULL) {
		rc = mm_diag_set(d, MM_ENOMEM, "out of memory");
		goto out;
	}
	for (i = 0; i < ntr; i++) {
		v[i].id = tr[i].id;
		v[i].state = tr[i].state;
		v[i].attempts = tr[i].attempts;
		v[i].created = tr[i].created;
		v[i].next_attempt = tr[i].next_attempt;
		v[i].sent = tr[i].sent;
		snprintf(v[i].recipient, sizeof(v[i].recipient), "%s",
		    tr[i].recipient_id);
		snprintf(v[i].email, sizeof(v[i].email), "%s", tr[i].email);
		snprintf(v[i].isp, sizeof(v[i].isp), "%s", tr[i].isp);
		snprintf(v[i].types, sizeof(v[i].types), "%s",
		    tr[i].report_types);
		snprintf(v[i].message_id, sizeof(v[i].message_id), "%s",
		    tr[i].message_id);
		snprintf(v[i].error, sizeof(v[i].error), "%s",
		    tr[i].last_error);
		v[i].findings = tr[i].findings;
	}
	*rows = v;
	*n = ntr;
 out:
	free(tr);
	track_close(tdb);
	return rc;
}

/* ---- reading the open findings ---- */

static int
collect_cb(const struct finding *f, void *arg)
{
	struct collect *c = arg;
	struct item *nv;
	size_t ncap;

	if (report_type_of(f, NULL) == NULL) {
		c->unreported++;
		return 0;
	}
	if (c->n == NOTIFY_MAX_FINDINGS) {
		c->capped++;
		return 0;
	}
	if (c->n == c->cap) {
		ncap = c->cap == 0 ? 256 : c->cap * 2;
		if (ncap > NOTIFY_MAX_FINDINGS)
			ncap = NOTIFY_MAX_FINDINGS;
		if ((nv = realloc(c->v, ncap * sizeof(*nv))) == NULL) {
			c->err = MM_ENOMEM;
			return 1;
		}
		c->v = nv;
		c->cap = ncap;
	}
	memset(&c->v[c->n], 0, sizeof(c->v[c->n]));
	if (findings_finding_copy(&c->v[c->n].f, f) != 0) {
		c->err = MM_ENOMEM;
		return 1;
	}
	c->n++;
	return 0;
}

static void
items_free(struct item *v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		findings_finding_free(&v[i].f);
	free(v);
}

/* ---- the unattributed bucket ---- */

static int
write_file(const char *dir, const char *name, const void *buf, size_t len,
    struct mm_diag *d)
{
	char path[4096], tmp[4200];
	int fd, rc = 0;

	if (snprintf(path, sizeof(path), "%s/%s", dir, name) >=
	    (int)sizeof(path))
		return mm_diag_set(d, MM_EINVAL, "%s: path too long", dir);
	snprintf(tmp, sizeof(tmp), "%s/.tmp-%s", dir, name);
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0640)) < 0)
		return mm_diag_set(d, MM_EIO, "%s: %s", tmp, strerror(errno));
	if (write(fd, buf, len) != (ssize_t)len)
		rc = mm_diag_set(d, MM_EIO, "%s: %s", tmp, strerror(errno));
	if (close(fd) != 0 && rc == 0)
		rc = mm_diag_set(d, MM_EIO, "%s: %s", tmp, strerror(errno));
	if (rc == 0 && rename(tmp, path) != 0)
		rc = mm_diag_set(d, MM_EIO, "%s: %s", path, strerror(errno));
	if (rc != 0)
		(void)unlink(tmp);
	return rc;
}

static int
mkdirs(const char *dir, struct mm_diag *d)
{
	char buf[4096], *p;

	if (snprintf(buf, sizeof(buf), "%s", dir) >= (int)sizeof(buf))
		return mm_diag_set(d, MM_EINVAL, "%s: path too long", dir);
	for (p = buf + 1; *p != '\0'; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(buf, 0755) != 0 && errno != EEXIST)
			return mm_diag_set(d, MM_EIO, "%s: %s", buf,
			    strerror(errno));
		*p = '/';
	}
	if (mkdir(buf, 0755) != 0 && errno != EEXIST)
		return mm_diag_set(d, MM_EIO, "%s: %s", buf, strerror(errno));
	return 0;
}

/* Removes the *.csv files of the bucket directory (our own output). */
static void
bucket_clear(const char *dir)
{
	DIR *dp;
	struct dirent *de;
	char path[4096];
	size_t l;

	if ((dp = opendir(dir)) == NULL)
		return;
	while ((de = readdir(dp)) != NULL) {
		l = strlen(de->d_name);
		if (de->d_name[0] == '.' || l < 5 ||
		    strcmp(de->d_name + l - 4, ".csv") != 0)
			continue;
		if (snprintf(path, sizeof(path), "%s/%s", dir, de->d_name) <
		    (int)sizeof(path))
			(void)unlink(path);
	}
	closedir(dp);
}

static int
bucket_write(const struct notify_cfg *cfg, struct track_db *tdb,
    struct item *v, size_t n, mtime_t now, struct notify_stats *st,
    struct mm_diag *d)
{
	struct report_item *ri = NULL;
	struct report_csvset set = { NULL, 0, 0 };
	char dir[4096], fn[160], ab[ADDR_STRLEN];
	size_t i, k = 0;
	int rc = 0, full;

	/* a run over every open finding replaces the bucket; one limited
	 * by --kind or --since only rewrites the report types it has */
	full = cfg->dry_run == NULL && cfg->nkinds == 0 &&
	    cfg->since == INT64_MIN;

	for (i = 0; i < n; i++)
		if (v[i].at.rcpt.unattributed || v[i].at.rcpt.email[0] == '\0')
			k++;
	if (cfg->dry_run != NULL)
		snprintf(dir, sizeof(dir), "%s/unattributed", cfg->dry_run);
	else
		snprintf(dir, sizeof(dir), "%s/%s", cfg->datadir,
		    NOTIFY_UNATTRIBUTED_DIR);
	if (k == 0) {
		if (full)
			bucket_clear(dir);
		return 0;
	}
	if ((ri = calloc(k, sizeof(*ri))) == NULL)
		return mm_diag_set(d, MM_ENOMEM, "out of memory");
	k = 0;
	for (i = 0; i < n; i++) {
		struct track_item ti;

		if (!(v[i].at.rcpt.unattributed ||
		    v[i].at.rcpt.email[0] == '\0'))
			continue;
		v[i].drop = 1;
		st->unattributed++;
		reason_count(st, v[i].at.rcpt.reason);
		ri[k].f = &v[i].f;
		ri[k].at = &v[i].at;
		k++;
		if (tdb != NULL && cfg->dry_run == NULL) {
			track_item_of(&v[i].f, ab, &ti);
			if ((rc = track_note_found(tdb, ATTRIB_UNATTRIBUTED,
			    UNATTRIB_ISP, &ti, now, d)) != 0)
				goto out;
		}
	}
	if ((rc = mkdirs(dir, d)) != 0)
		goto out;
	if (full)
		bucket_clear(dir);
	if ((rc = report_csv_build(ri, k, &set, d)) != 0)
		goto out;
	for (i = 0; i < set.n; i++) {
		report_csv_filename(set.v[i].name, now, fn, sizeof(fn));
		if ((rc = write_file(dir, fn, set.v[i].data, set.v[i].len,
		    d)) != 0)
			goto out;
		st->bucket_files++;
		{
			char path[4300];
			struct recipient r;

			memset(&r, 0, sizeof(r));
			snprintf(r.id, sizeof(r.id), "%s", ATTRIB_UNATTRIBUTED);
			snprintf(r.isp, sizeof(r.isp), "%s", UNATTRIB_ISP);
			snprintf(path, sizeof(path), "%s/%s", dir, fn);
			event(cfg, NOTIFY_EV_BUCKET, 0, &r, set.v[i].name,
			    set.v[i].rows, path);
		}
	}
 out:
	report_csvset_free(&set);
	free(ri);
	return rc;
}

/* ---- grouping and rendering ---- */

static int
item_cmp(const void *a, const void *b)
{
	const struct item *x = a, *y = b;
	int c;

	if (x->drop != y->drop)
		return x->drop - y->drop;	/* kept items first */
	if ((c = strcmp(x->at.rcpt.id, y->at.rcpt.id)) != 0)
		return c;
	if ((c = strcmp(x->at.rcpt.email, y->at.rcpt.email)) != 0)
		return c;
	if ((c = addr_cmp(&x->f.subject, &y->f.subject)) != 0)
		return c;
	if (x->f.port != y->f.port)
		return x->f.port < y->f.port ? -1 : 1;
	return x->f.id < y->f.id ? -1 : x->f.id > y->f.id;
}

static int
same_rcpt(const struct item *a, const struct item *b)
{
	return strcmp(a->at.rcpt.id, b->at.rcpt.id) == 0 &&
	    strcmp(a->at.rcpt.email, b->at.rcpt.email) == 0;
}

/* The loaded templates by language. */
struct tmpls {
	struct tmpl_mail	ja, en;
	int			have_ja, have_en;
};

static int
tmpl_get(const struct notify_cfg *cfg, struct tmpls *t, const char *lang,
    const struct tmpl_mail **out, struct mm_diag *d)
{
	char path[4096];
	int rc;

	if (strcmp(lang, "ja") == 0) {
		if (!t->have_ja) {
			snprintf(path, sizeof(path), "%s/ja.txt",
			    cfg->templates);
			if (access(path, R_OK) == 0) {
				if ((rc = tmpl_mail_load(path, &t->ja, d)) != 0)
					return rc;
				t->have_ja = 1;
			}
		}
		if (t->have_ja) {
			*out = &t->ja;
			return 0;
		}
	}
	if (!t->have_en) {
		snprintf(path, sizeof(path), "%s/en.txt", cfg->templates);
		if ((rc = tmpl_mail_load(path, &t->en, d)) != 0)
			return rc;
		t->have_en = 1;
	}
	*out = &t->en;
	return 0;
}

/* "scan_telnet,device_id" for items v[0..n) (distinct, table order). */
static void
types_of(const struct item *v, size_t n, char *buf, size_t len)
{
	const struct report_type *rt;
	const char *names[64];
	size_t nn = 0, i, j, l;
	int v6;

	buf[0] = '\0';
	for (i = 0; i < n; i++) {
		if ((rt = report_type_of(&v[i].f, &v6)) == NULL)
			continue;
		for (j = 0; j < nn; j++)
			if (strcmp(names[j], v6 ? rt->name6 : rt->name) == 0)
				break;
		if (j == nn && nn < 64)
			names[nn++] = v6 ? rt->name6 : rt->name;
	}
	for (i = 0, l = 0; i < nn; i++) {
		size_t nl = strlen(names[i]);

		if (l + nl + 2 > len)
			break;
		if (l > 0)
			buf[l++] = ',';
		memcpy(buf + l, names[i], nl);
		l += nl;
		buf[l] = '\0';
	}
}

/* Renders and enqueues (or writes, dry run) one message for v[0..n). */
static int
one_message(const struct notify_cfg *cfg, struct track_db *tdb,
    struct tmpls *tm, struct item *v, size_t n, mtime_t now,
    struct notify_stats *st, struct mm_diag *d)
{
	const struct recipient *r = &v[0].at.rcpt;
	const struct tmpl_mail *t = NULL;
	struct report_item *ri = NULL;
	struct track_item *ti = NULL;
	char (*ab)[ADDR_STRLEN] = NULL;
	struct report_notice nt;
	struct track_new_msg m;
	struct mm_diag rd;
	char msgid[512], types[TRACK_TYPES_MAX + 1], fn[160];
	char *eml = NULL;
	size_t len = 0, i;
	int64_t id = 0;
	int rc = 0, ja;

	memset(&rd, 0, sizeof(rd));
	types_of(v, n, types, sizeof(types));
	if ((ri = calloc(n, sizeof(*ri))) == NULL ||
	    (ti = calloc(n, sizeof(*ti))) == NULL ||
	    (ab = calloc(n, sizeof(*ab))) == NULL) {
		rc = mm_diag_set(d, MM_ENOMEM, "out of memory");
		goto out;
	}
	memset(&nt, 0, sizeof(nt));
	nt.period_start = INT64_MAX;
	nt.period_end = INT64_MIN;
	for (i = 0; i < n; i++) {
		ri[i].f = &v[i].f;
		ri[i].at = &v[i].at;
		track_item_of(&v[i].f, ab[i], &ti[i]);
		if (v[i].f.first_seen < nt.period_start)
			nt.period_start = v[i].f.first_seen;
		if (v[i].f.last_seen + 1 > nt.period_end)
			nt.period_end = v[i].f.last_seen + 1;
	}
	if (mail_message_id_make(cfg->reporter->domain, now, msgid,
	    sizeof(msgid)) != 0) {
		rc = mm_diag_set(d, MM_EINVAL, "cannot make a Message-ID for "
		    "domain '%s'", cfg->reporter->domain);
		goto out;
	}
	ja = strcmp(r->lang, "ja") == 0;
	nt.reporter = cfg->reporter;
	nt.rcpt = r;
	nt.tz_min = ja ? 540 : 0;
	nt.tz_name = ja ? "JST" : "UTC";
	nt.from = cfg->from;
	nt.from_name = cfg->from_name;
	nt.date = now;
	nt.message_id = msgid;
	nt.boundary = cfg->boundary;
	if ((rc = tmpl_get(cfg, tm, r->lang, &t, d)) != 0)
		goto out;	/* a template problem stops the run */
	if ((rc = report_notice_mail(ri, n, &nt, t, addr_ok, NULL, &eml,
	    &len, &rd)) != 0) {
		if (rc == MM_ELIMIT && n > 1) {
			/* too many parts or bytes: halve and try again */
			size_t h = n / 2;

			if ((rc = one_message(cfg, tdb, tm, v, h, now, st,
			    d)) == 0)
				rc = one_message(cfg, tdb, tm, v + h, n - h,
				    now, st, d);
			goto out;
		}
		if (rc == MM_ENOMEM)
			goto out;
		st->render_errors++;
		event(cfg, NOTIFY_EV_RENDER_ERR, 0, r, types, n, rd.msg);
		rc = 0;
		goto out;
	}
	if (cfg->dry_run != NULL) {
		char safe[ATTRIB_ID_MAX + 1], path[4400];
		size_t j;

		for (j = 0; r->id[j] != '\0' && j < sizeof(safe) - 1; j++)
			safe[j] = (r->id[j] >= 'a' && r->id[j] <= 'z') ||
			    (r->id[j] >= 'A' && r->id[j] <= 'Z') ||
			    (r->id[j] >= '0' && r->id[j] <= '9') ||
			    r->id[j] == '-' || r->id[j] == '.' ? r->id[j] : '_';
		safe[j] = '\0';
		if (j == 0)
			safe[j++] = '_';
		safe[j] = '\0';
		if (safe[0] == '.')
			safe[0] = '_';	/* never a hidden file */
		/* numbered by the run's message count: unique */
		snprintf(fn, sizeof(fn), "%s-%zu.eml", safe, st->messages + 1);
		if ((rc = write_file(cfg->dry_run, fn, eml, len, d)) != 0)
			goto out;
		st->messages++;
		st->queued_findings += n;
		snprintf(path, sizeof(path), "%s/%s", cfg->dry_run, fn);
		event(cfg, NOTIFY_EV_DRYRUN, 0, r, types, n, path);
		goto out;
	}
	memset(&m, 0, sizeof(m));
	m.recipient_id = r->id;
	m.email = r->email;
	m.isp = isp_of(r);
	m.report_types = types;
	m.message_id = msgid;
	m.body = (const uint8_t *)eml;
	m.len = len;
	if ((rc = track_enqueue(tdb, &m, ti, n, now, &id, d)) != 0)
		goto out;
	st->messages++;
	st->queued_findings += n;
	event(cfg, NOTIFY_EV_QUEUED, id, r, types, n, msgid);
 out:
	free(eml);
	free(ab);
	free(ti);
	free(ri);
	return rc;
}

/* Messages for the kept items v[0..n) (sorted, grouped by recipient). */
static int
render_all(const struct notify_cfg *cfg, struct track_db *tdb,
    struct item *v, size_t n, mtime_t now, struct notify_stats *st,
    struct mm_diag *d)
{
	struct tmpls tm;
	size_t i, j, k, per, chunks;
	int rc = 0;

	memset(&tm, 0, sizeof(tm));
	for (i = 0; i < n; i = j) {
		const struct recipient *r = &v[i].at.rcpt;

		for (j = i + 1; j < n && same_rcpt(&v[i], &v[j]); j++)
			;
		st->recipients++;
		per = cfg->msg_items > 0 ? cfg->msg_items : NOTIFY_MSG_ITEMS;
		if (strcmp(r->format, "both") == 0 && j - i > XARF_PER_MSG) {
			/* "both" is CSV plus X-ARF when that fits one
			 * message; the CSVs carry every finding anyway */
			for (k = i; k < j; k++)
				snprintf(v[k].at.rcpt.format,
				    sizeof(v[k].at.rcpt.format), "csv");
			st->xarf_dropped += j - i;
		}
		if (strcmp(r->format, "xarf") == 0 && per > XARF_PER_MSG)
			per = XARF_PER_MSG;
		/* as few messages as the caps allow, of even size */
		chunks = (j - i + per - 1) / per;
		per = (j - i + chunks - 1) / chunks;
		for (k = i; k < j; k += per)
			if ((rc = one_message(cfg, tdb, &tm, v + k,
			    j - k < per ? j - k : per, now, st, d)) != 0)
				goto out;
	}
 out:
	if (tm.have_ja)
		tmpl_mail_free(&tm.ja);
	if (tm.have_en)
		tmpl_mail_free(&tm.en);
	return rc;
}

int
notify_run(const struct notify_cfg *cfg, struct findings_db *fdb,
    struct track_db *tdb, mtime_t now, struct notify_stats *st,
    struct mm_diag *d)
{
	struct collect c;
	struct findings_filter flt;
	mtime_t interval;
	size_t i, k, kept;
	int rc = 0, in_batch = 0;

	memset(st, 0, sizeof(*st));
	memset(&c, 0, sizeof(c));
	if (cfg == NULL || fdb == NULL || cfg->datadir == NULL ||
	    cfg->at == NULL || cfg->templates == NULL ||
	    cfg->reporter == NULL || cfg->reporter->org == NULL ||
	    cfg->reporter->domain == NULL || cfg->reporter->email == NULL ||
	    cfg->from == NULL || (tdb == NULL && cfg->dry_run == NULL))
		return mm_diag_set(d, MM_EINVAL, "notify: incomplete "
		    "configuration (datadir, routing, templates, reporter "
		    "org/domain/e-mail, From address)");
	interval = cfg->dedup_interval > 0 ? cfg->dedup_interval :
	    NOTIFY_DEDUP_DEFAULT;
	/* findings of sent messages that a busy findings.db kept open */
	if (tdb != NULL && cfg->dry_run == NULL)
		unmarked_replay(cfg, fdb, tdb, st);

	/* 1. the open findings */
	for (k = 0; k < (cfg->nkinds > 0 ? cfg->nkinds : 1); k++) {
		findings_filter_init(&flt);
		flt.status = FST_OPEN;
		flt.since = cfg->since;
		if (cfg->nkinds > 0)
			flt.kind = cfg->kinds[k];
		if ((rc = findings_query(fdb, &flt, collect_cb, &c, d)) != 0) {
			if (c.err != 0)
				rc = mm_diag_set(d, c.err, "out of memory");
			goto out;
		}
	}
	st->open = c.n + c.unreported + c.capped;
	st->unreported = c.unreported;
	st->capped = c.capped;

	/* 2. attribution; the unattributed bucket */
	for (i = 0; i < c.n; i++) {
		if (cfg->on_progress != NULL && (i % 1024 == 0 || i + 1 == c.n))
			cfg->on_progress("attributing", i + 1, c.n, cfg->arg);
		if (attrib_resolve(cfg->at, &c.v[i].f.subject, &c.v[i].at))
			st->attributed++;
	}
	/* the found notes of the bucket and the duplicates: one batch */
	if (tdb != NULL && cfg->dry_run == NULL) {
		if ((rc = track_begin(tdb, d)) != 0)
			goto out;
		in_batch = 1;
	}
	if ((rc = bucket_write(cfg, tdb, c.v, c.n, now, st, d)) != 0)
		goto out;

	/* 3. de-duplication */
	for (i = 0; tdb != NULL && i < c.n; i++) {
		struct track_item ti;
		char ab[ADDR_STRLEN];
		int dup = 0;

		if (c.v[i].drop)
			continue;
		track_item_of(&c.v[i].f, ab, &ti);
		if ((rc = track_is_duplicate(tdb, c.v[i].at.rcpt.id, &ti,
		    interval, 0, now, &dup, d)) != 0)
			goto out;
		if (!dup)
			continue;
		c.v[i].drop = 1;
		st->duplicates++;
		if (cfg->dry_run == NULL && (rc = track_note_found(tdb,
		    c.v[i].at.rcpt.id, isp_of(&c.v[i].at.rcpt), &ti, now,
		    d)) != 0)
			goto out;
	}

	if (in_batch) {
		if ((rc = track_commit(tdb, d)) != 0)
			goto out;
		in_batch = 0;
	}

	/* 4./5. group, render, enqueue */
	qsort(c.v, c.n, sizeof(*c.v), item_cmp);
	for (kept = 0; kept < c.n && !c.v[kept].drop; kept++)
		;
	if ((rc = render_all(cfg, tdb, c.v, kept, now, st, d)) != 0)
		goto out;

	/* 6. delivery */
	if (cfg->dry_run == NULL && cfg->delivery != NOTIFY_DELIVER_NONE)
		rc = notify_deliver(cfg, fdb, tdb, now, st, d);
 out:
	if (in_batch)
		track_rollback(tdb);
	items_free(c.v, c.n);
	return rc;
}

/* ---- delivery ---- */

/*
 * Marks the open findings of sent message `m` notified in findings.db
 * (note: sent time, recipient, Message-ID); one findings.db transaction.
 * *nf gets the number of findings the message covers. Returns 0, or -1
 * when some could not be marked (findings.db busy or failing): the caller
 * records the message in the unmarked journal, replayed later.
 */
static int
mark_findings(struct findings_db *fdb, struct track_db *tdb,
    const struct track_msg *m, mtime_t sent, struct notify_stats *st,
    size_t *nf)
{
	struct mm_diag d;
	int64_t *ids = NULL;
	size_t n = 0, i, marked = 0, errs = 0;
	char note[FINDINGS_NOTE_MAX], ts[MTIME_STRLEN];

	*nf = 0;
	memset(&d, 0, sizeof(d));
	if (track_msg_findings(tdb, m->id, &ids, &n, &d) != 0) {
		st->mark_errors++;
		return -1;
	}
	*nf = n;
	snprintf(note, sizeof(note), "notified %s to %s (%s) in message %s "
	    "(notify.db message %" PRId64 ")", mtime_fmt(sent, 0, ts,
	    sizeof(ts)), m->email, m->recipient_id, m->message_id != NULL ?
	    m->message_id : "-", m->id);
	if (findings_begin(fdb, &d) != 0) {
		st->mark_errors += n;
		free(ids);
		return -1;
	}
	for (i = 0; i < n; i++) {
		struct finding f;
		int grc;

		if ((grc = findings_get(fdb, ids[i], &f, &d)) != 0) {
			if (grc != MM_ENOENT)	/* else deleted meanwhile */
				errs++;
			continue;
		}
		/* an analyst's decision (closed, false positive) stays */
		if (f.status == FST_OPEN) {
			if (findings_set_status(fdb, ids[i], FST_NOTIFIED,
			    note, &d) == 0)
				marked++;
			else
				errs++;
		}
		findings_finding_free(&f);
	}
	free(ids);
	if (findings_commit(fdb, &d) != 0) {
		findings_rollback(fdb);
		st->mark_errors += n;
		return -1;
	}
	st->notified += marked;
	st->mark_errors += errs;
	return errs > 0 ? -1 : 0;
}

/*
 * The unmarked journal, DATADIR/notify/unmarked: ids of sent messages
 * whose findings could not all be marked notified in findings.db (say a
 * survey held its write lock longer than the busy timeout). Each delivery
 * replays it first, so findings.db catches up with notify.db; a message id
 * stays listed until its findings are marked. Lines are decimal ids; at
 * most NOTIFY_UNMARKED_MAX are kept.
 */
#define NOTIFY_UNMARKED_MAX	100000

static void
unmarked_path(const struct notify_cfg *cfg, char *buf, size_t len)
{
	snprintf(buf, len, "%s/notify/unmarked", cfg->datadir);
}

static void
unmarked_add(const struct notify_cfg *cfg, int64_t id)
{
	char path[4096], dir[4096];
	FILE *fp;

	snprintf(dir, sizeof(dir), "%s/notify", cfg->datadir);
	if (mkdirs(dir, NULL) != 0)
		return;
	unmarked_path(cfg, path, sizeof(path));
	if ((fp = fopen(path, "a")) == NULL)
		return;
	fprintf(fp, "%" PRId64 "\n", id);
	fclose(fp);
}

/* Replays the journal; keeps the ids that still fail. */
static void
unmarked_replay(const struct notify_cfg *cfg, struct findings_db *fdb,
    struct track_db *tdb, struct notify_stats *st)
{
	char path[4096], line[64], *out = NULL;
	size_t n = 0, cap = 0, lines = 0, nf;
	FILE *fp;

	unmarked_path(cfg, path, sizeof(path));
	if ((fp = fopen(path, "r")) == NULL)
		return;
	while (fgets(line, sizeof(line), fp) != NULL &&
	    lines++ < NOTIFY_UNMARKED_MAX) {
		struct track_msg m;
		struct mm_diag d;
		long long id;
		char *end;

		id = strtoll(line, &end, 10);
		if (id <= 0 || (*end != '\n' && *end != '\0'))
			continue;	/* not ours: dropped */
		memset(&d, 0, sizeof(d));
		if (track_msg_get(tdb, id, &m, &d) != 0)
			continue;	/* gone */
		if (m.state == TRACK_MSG_SENT &&
		    mark_findings(fdb, tdb, &m, m.sent, st, &nf) != 0) {
			if (n + 24 > cap) {
				char *nb;

				cap = cap == 0 ? 256 : cap * 2;
				if ((nb = realloc(out, cap)) == NULL) {
					track_msg_free(&m);
					break;
				}
				out = nb;
			}
			n += (size_t)snprintf(out + n, cap - n, "%lld\n", id);
		}
		track_msg_free(&m);
	}
	fclose(fp);
	if (n == 0)
		(void)unlink(path);
	else {
		char dir[4096];

		snprintf(dir, sizeof(dir), "%s/notify", cfg->datadir);
		(void)write_file(dir, "unmarked", out, n, NULL);
	}
	free(out);
}

int
notify_deliver(const struct notify_cfg *cfg, struct findings_db *fdb,
    struct track_db *tdb, mtime_t now, struct notify_stats *st,
    struct mm_diag *d)
{
	struct track_msg *msgs = NULL;
	size_t n = 0, i;
	int rc;

	if (cfg == NULL || fdb == NULL || tdb == NULL || st == NULL ||
	    cfg->datadir == NULL || cfg->from == NULL ||
	    (cfg->delivery == NOTIFY_DELIVER_SMTP && cfg->smtp == NULL) ||
	    (cfg->delivery == NOTIFY_DELIVER_OUTBOX && cfg->outbox == NULL) ||
	    cfg->delivery == NOTIFY_DELIVER_NONE)
		return mm_diag_set(d, MM_EINVAL, "notify: delivery needs a "
		    "From address and an SMTP URL or an outbox directory");
	/* a bad URL or sender is the operator's, not the messages': refuse
	 * it before the queue is touched, so MM_EINVAL from smtp_send()
	 * below can only mean "this message cannot be sent" */
	if (cfg->delivery == NOTIFY_DELIVER_SMTP &&
	    (rc = smtp_config_check(cfg->smtp, cfg->from, d)) != 0)
		return rc;
	unmarked_replay(cfg, fdb, tdb, st);
	if (cfg->retry_now && (rc = track_retry_now(tdb, now, d)) != 0)
		return rc;
	if ((rc = track_pick_due(tdb, now, TRACK_PICK_MAX, &msgs, &n,
	    d)) != 0)
		return rc;
	st->picked += n;
	for (i = 0; i < n; i++) {
		const struct track_msg *m = &msgs[i];
		struct recipient r;
		struct smtp_reply rep;
		struct mm_diag sd;
		char name[OUTBOX_NAME_MAX + 1], detail[600];
		const char *rcpt[1];
		enum track_msg_state ns = TRACK_MSG_PENDING;
		size_t nf;
		int res;

		memset(&sd, 0, sizeof(sd));
		memset(&r, 0, sizeof(r));
		snprintf(r.id, sizeof(r.id), "%s", m->recipient_id);
		snprintf(r.email, sizeof(r.email), "%s", m->email);
		snprintf(r.isp, sizeof(r.isp), "%s", m->isp);
		if (cfg->on_progress != NULL)
			cfg->on_progress("sending", i + 1, n, cfg->arg);
		if (m->body == NULL) {
			res = SMTP_PERMANENT;
			snprintf(sd.msg, sizeof(sd.msg), "message %" PRId64
			    " has no stored body", m->id);
		} else if (cfg->delivery == NOTIFY_DELIVER_SMTP) {
			rcpt[0] = m->email;
			res = smtp_send(cfg->smtp, cfg->from, rcpt, 1, m->body,
			    m->len, &rep, &sd);
			if (res == MM_EINVAL)
				res = SMTP_PERMANENT;	/* never sendable */
			else if (res < 0)
				res = SMTP_TRANSIENT;
		} else {
			res = outbox_write(cfg->outbox, m->body, m->len, now,
			    name, sizeof(name), &sd) == 0 ? SMTP_ACCEPTED :
			    SMTP_TRANSIENT;
		}
		if (res == SMTP_ACCEPTED) {
			if ((rc = track_mark_sent(tdb, m->id, now, d)) != 0)
				goto out;
			st->sent++;
			if (mark_findings(fdb, tdb, m, now, st, &nf) != 0)
				unmarked_add(cfg, m->id);
			if (cfg->delivery == NOTIFY_DELIVER_OUTBOX)
				snprintf(detail, sizeof(detail), "%s/%s",
				    cfg->outbox, name);
			else
				snprintf(detail, sizeof(detail), "%s",
				    m->message_id != NULL ? m->message_id : "");
			event(cfg, NOTIFY_EV_SENT, m->id, &r, m->report_types,
			    nf, detail);
		} else if (res == SMTP_TRANSIENT) {
			if ((rc = track_mark_transient(tdb, m->id, sd.msg, now,
			    &ns, d)) != 0)
				goto out;
			if (ns == TRACK_MSG_FAILED) {
				st->failed++;
				event(cfg, NOTIFY_EV_FAILED, m->id, &r,
				    m->report_types, 0, sd.msg);
			} else {
				st->transient++;
				event(cfg, NOTIFY_EV_TRANSIENT, m->id, &r,
				    m->report_types, 0, sd.msg);
			}
		} else {
			if ((rc = track_mark_failed(tdb, m->id, sd.msg, now,
			    d)) != 0)
				goto out;
			st->failed++;
			event(cfg, NOTIFY_EV_FAILED, m->id, &r,
			    m->report_types, 0, sd.msg);
		}
	}
 out:
	track_msgs_free(msgs, n);
	return rc;
}

/* ---- monthly figures ---- */

int
notify_monthly(struct track_db *tdb, int y0, int m0, int y1, int m1,
    struct notify_month_row **rows, size_t *n, struct mm_diag *d)
{
	struct track_month_row *tr = NULL;
	struct notify_month_row *v = NULL;
	size_t ntr = 0, i;
	int rc;

	*rows = NULL;
	*n = 0;
	if (tdb == NULL)
		return mm_diag_set(d, MM_EINVAL, "notify stats: no notify.db");
	if ((rc = track_monthly(tdb, y0, m0, y1, m1, &tr, &ntr, d)) != 0 ||
	    ntr == 0)
		return rc;
	if ((v = calloc(ntr, sizeof(*v))) == NULL) {
		rc = mm_diag_set(d, MM_ENOMEM, "out of memory");
		goto out;
	}
	for (i = 0; i < ntr; i++) {
		v[i].year = tr[i].year;
		v[i].month = tr[i].month;
		memcpy(v[i].isp, tr[i].isp, sizeof(v[i].isp));
		memcpy(v[i].category, tr[i].category, sizeof(v[i].category));
		v[i].found = tr[i].found;
		v[i].notified = tr[i].notified;
		v[i].remediated = tr[i].remediated;
		v[i].persisting = tr[i].persisting;
	}
	*rows = v;
	*n = ntr;
 out:
	free(tr);
	return rc;
}

/* ---- rechecks ---- */

static int
recheck_cmp(const void *a, const void *b)
{
	const struct notify_recheck *x = a, *y = b;
	int c;

	if ((c = addr_cmp(&x->addr, &y->addr)) != 0)
		return c;
	if (x->port != y->port)
		return x->port < y->port ? -1 : 1;
	return x->finding_id < y->finding_id ? -1 :
	    x->finding_id > y->finding_id;
}

int
notify_recheck_collect(struct track_db *tdb, struct findings_db *fdb,
    mtime_t before, size_t max, struct notify_recheck **out, size_t *n,
    size_t *skipped_c2, struct mm_diag *d)
{
	struct track_recheck_item *ti = NULL;
	struct notify_recheck *v = NULL;
	size_t nti = 0, k = 0, i, j, c2 = 0;
	int rc;

	*out = NULL;
	*n = 0;
	if (skipped_c2 != NULL)
		*skipped_c2 = 0;
	if ((rc = track_recheck_list(tdb, before, max, &ti, &nti, d)) != 0)
		return rc;
	if (nti > 0 && (v = calloc(nti, sizeof(*v))) == NULL) {
		rc = mm_diag_set(d, MM_ENOMEM, "out of memory");
		goto out;
	}
	for (i = 0; i < nti; i++) {
		struct finding f;
		struct mm_diag fd;

		if (!notify_recheck_kind(ti[i].kind)) {
			if (is_c2_kind(ti[i].kind))
				c2++;
			continue;
		}
		for (j = 0; j < k; j++)
			if (v[j].finding_id == ti[i].finding_id)
				break;
		if (j < k)
			continue;	/* told to several recipients */
		memset(&fd, 0, sizeof(fd));
		if ((rc = findings_get(fdb, ti[i].finding_id, &f, &fd)) != 0) {
			if (rc == MM_ENOENT) {
				rc = 0;
				continue;
			}
			mm_diag_set(d, rc, "%s", fd.msg);
			goto out;
		}
		if (f.port != 0) {
			v[k].finding_id = f.id;
			snprintf(v[k].kind, sizeof(v[k].kind), "%s", f.kind);
			v[k].addr = f.subject;
			v[k].port = f.port;
			k++;
		}
		findings_finding_free(&f);
	}
	qsort(v, k, sizeof(*v), recheck_cmp);
	if (k == 0) {
		free(v);
		v = NULL;
	}
	*out = v;
	*n = k;
	v = NULL;
	if (skipped_c2 != NULL)
		*skipped_c2 = c2;
 out:
	free(v);
	free(ti);
	return rc;
}

static int
u16_cmp(const void *a, const void *b)
{
	uint16_t x = *(const uint16_t *)a, y = *(const uint16_t *)b;

	return x < y ? -1 : x > y;
}

int
notify_recheck_scope(const struct notify_recheck *v, size_t n,
    const char *path, char *ports, size_t plen, struct mm_diag *d)
{
	struct notify_recheck *s = NULL;
	uint16_t *all = NULL;
	size_t i, j, na = 0, l;
	char ab[ADDR_STRLEN];
	FILE *fp = NULL;
	int fd, rc = 0;

	if (plen > 0)
		ports[0] = '\0';
	if (v == NULL || n == 0)
		return mm_diag_set(d, MM_EINVAL, "recheck: nothing to scan");
	if ((s = malloc(n * sizeof(*s))) == NULL ||
	    (all = malloc(n * sizeof(*all))) == NULL) {
		rc = mm_diag_set(d, MM_ENOMEM, "out of memory");
		goto out;
	}
	memcpy(s, v, n * sizeof(*s));
	qsort(s, n, sizeof(*s), recheck_cmp);
	(void)unlink(path);
	if ((fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600)) < 0 ||
	    (fp = fdopen(fd, "w")) == NULL) {
		rc = mm_diag_set(d, MM_EIO, "%s: %s", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		goto out;
	}
	fprintf(fp, "# mamori notify recheck: notified survey findings\n");
	for (i = 0; i < n; i = j) {
		uint16_t last = 0;

		fprintf(fp, "%s ", addr_fmt(&s[i].addr, ab, sizeof(ab)));
		for (j = i; j < n && addr_cmp(&s[i].addr, &s[j].addr) == 0;
		    j++) {
			if (s[j].port == last)
				continue;
			fprintf(fp, "%s%u", last != 0 ? "," : "", s[j].port);
			last = s[j].port;
		}
		fputc('\n', fp);
	}
	if (fclose(fp) != 0) {
		fp = NULL;
		rc = mm_diag_set(d, MM_EIO, "%s: %s", path, strerror(errno));
		goto out;
	}
	fp = NULL;
	for (i = 0; i < n; i++)
		all[na++] = s[i].port;
	qsort(all, na, sizeof(*all), u16_cmp);
	for (i = 0; i < na && plen > 0; i++) {
		char one[8];

		if (i > 0 && all[i] == all[i - 1])
			continue;
		l = strlen(ports);
		snprintf(one, sizeof(one), "%u", all[i]);
		if (l + strlen(one) + 2 > plen)
			break;
		snprintf(ports + l, plen - l, "%s%s", l > 0 ? "," : "", one);
	}
 out:
	if (fp != NULL)
		fclose(fp);
	free(all);
	free(s);
	return rc;
}

struct seen {
	const struct notify_recheck	*r;
	mtime_t				 t0;
	int				 creds;
	int				 had;	/* has problem findings */
	int				 seen;	/* one seen since t0 */
	int				 weak;	/* has weak-credential */
};

/* Looks at the problem findings (vulnerable-version, open-telnet,
 * weak-credential) at the address and port of a device finding. */
static int
seen_cb(const struct finding *f, void *arg)
{
	struct seen *s = arg;

	if (f->port != s->r->port || addr_cmp(&f->subject, &s->r->addr) != 0)
		return 0;
	if (f->status == FST_CLOSED || f->status == FST_FALSE_POSITIVE)
		return 0;
	if (strcmp(f->kind, "weak-credential") == 0) {
		s->weak = 1;
		if (!s->creds)
			return 0;	/* not judged without logins */
	} else if (strcmp(f->kind, "vulnerable-version") != 0 &&
	    strcmp(f->kind, "open-telnet") != 0)
		return 0;
	s->had = 1;
	if (f->last_seen >= s->t0)
		s->seen = 1;
	return 0;
}

int
notify_recheck_apply(struct notify_recheck *v, size_t n,
    struct findings_db *fdb, struct track_db *tdb, mtime_t t0, mtime_t now,
    const char *scan, int creds_checked, size_t *remediated,
    size_t *persisting, size_t *skipped, struct mm_diag *d)
{
	size_t i, nr = 0, np = 0, ns = 0;
	char note[FINDINGS_NOTE_MAX], ts[MTIME_STRLEN];
	int rc = 0;

	mtime_fmt(now, 0, ts, sizeof(ts));
	for (i = 0; i < n; i++) {
		struct finding f;
		struct mm_diag fd;
		int persist;

		v[i].result = NOTIFY_RC_SKIPPED;
		memset(&fd, 0, sizeof(fd));
		if ((rc = findings_get(fdb, v[i].finding_id, &f, &fd)) != 0) {
			if (rc == MM_ENOENT) {
				rc = 0;
				ns++;
				continue;
			}
			rc = mm_diag_set(d, rc, "%s", fd.msg);
			goto out;
		}
		if (strcmp(f.kind, "device") == 0) {
			struct findings_filter flt;
			struct seen s;

			memset(&s, 0, sizeof(s));
			s.r = &v[i];
			s.t0 = t0;
			s.creds = creds_checked;
			findings_filter_init(&flt);
			flt.has_subject = 1;
			flt.subject.addr = v[i].addr;
			flt.subject.len = 128;
			if ((rc = findings_query(fdb, &flt, seen_cb, &s, d)) !=
			    0) {
				findings_finding_free(&f);
				goto out;
			}
			if (!s.seen && s.weak && !creds_checked) {
				ns++;
				findings_finding_free(&f);
				continue;
			}
			/* still answering, and either it had no problem
			 * finding (an exposed device stays exposed) or one
			 * of them was seen again */
			persist = f.last_seen >= t0 && (!s.had || s.seen);
		} else if (strcmp(f.kind, "weak-credential") == 0 &&
		    !creds_checked) {
			ns++;
			findings_finding_free(&f);
			continue;
		} else
			persist = f.last_seen >= t0;
		if ((rc = track_recheck(tdb, v[i].finding_id, NULL, !persist,
		    now, NULL, d)) != 0) {
			findings_finding_free(&f);
			goto out;
		}
		snprintf(note, sizeof(note), "recheck %s (%s): %s", ts,
		    scan != NULL ? scan : "survey", persist ?
		    "still present (persisting)" : "not seen again "
		    "(remediated)");
		if (f.status == FST_NOTIFIED && (rc = findings_set_status(fdb,
		    v[i].finding_id, persist ? FST_NOTIFIED : FST_REMEDIATED,
		    note, &fd)) != 0) {
			rc = mm_diag_set(d, rc, "%s", fd.msg);
			findings_finding_free(&f);
			goto out;
		}
		v[i].result = persist ? NOTIFY_RC_PERSISTING :
		    NOTIFY_RC_REMEDIATED;
		if (persist)
			np++;
		else
			nr++;
		findings_finding_free(&f);
	}
 out:
	if (remediated != NULL)
		*remediated = nr;
	if (persisting != NULL)
		*persisting = np;
	if (skipped != NULL)
		*skipped = ns;
	return rc;
}
