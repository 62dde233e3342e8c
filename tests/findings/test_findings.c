/*
 * test_findings.c - the findings store: upsert de-duplication, count
 * accumulation, status rules, filters and order, schema migration from a
 * version-0 database, evidence validation, batches, and two writers (two
 * processes, two connections) on one WAL database.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "findings/findings.h"

struct fx {
	char			 dir[64];
	char			 path[128];
	struct findings_db	*db;
};

static int
setup(void **state)
{
	struct fx *fx = calloc(1, sizeof(*fx));
	struct mm_diag d;

	if (fx == NULL)
		return -1;
	snprintf(fx->dir, sizeof(fx->dir), "/tmp/mamori-findings-XXXXXX");
	if (mkdtemp(fx->dir) == NULL)
		return -1;
	snprintf(fx->path, sizeof(fx->path), "%s/%s", fx->dir,
	    FINDINGS_DB_NAME);
	if (findings_open(fx->dir, &fx->db, &d) != 0) {
		fprintf(stderr, "%s\n", d.msg);
		return -1;
	}
	*state = fx;
	return 0;
}

static void
rm_db(const char *dir)
{
	char p[256];

	snprintf(p, sizeof(p), "%s/findings.db", dir);
	unlink(p);
	snprintf(p, sizeof(p), "%s/findings.db-wal", dir);
	unlink(p);
	snprintf(p, sizeof(p), "%s/findings.db-shm", dir);
	unlink(p);
	snprintf(p, sizeof(p), "%s/old.db", dir);
	unlink(p);
	rmdir(dir);
}

static int
teardown(void **state)
{
	struct fx *fx = *state;

	findings_close(fx->db);
	rm_db(fx->dir);
	free(fx);
	return 0;
}

static void
mk(struct finding *f, const char *kind, const char *det, const char *addr,
    uint16_t port)
{
	memset(f, 0, sizeof(*f));
	f->kind = (char *)kind;
	f->detector = (char *)det;
	assert_int_equal(addr_parse(addr, &f->subject), 0);
	f->port = port;
	f->proto = port != 0 ? 6 : 0;
}

static int64_t
put(struct findings_db *db, const struct finding *f, int flags,
    int want_inserted)
{
	struct mm_diag d;
	int64_t id = -1;
	int ins = -1;

	mm_diag_clear(&d);
	if (findings_upsert(db, f, flags, &ins, &id, &d) != 0)
		fail_msg("upsert: %s", d.msg);
	assert_int_equal(ins, want_inserted);
	assert_true(id > 0);
	return id;
}

static int
count_cb(const struct finding *f, void *arg)
{
	(void)f;
	(*(size_t *)arg)++;
	return 0;
}

static size_t
nmatch(struct findings_db *db, const struct findings_filter *flt)
{
	struct mm_diag d;
	size_t n = 0;

	if (findings_query(db, flt, count_cb, &n, &d) != 0)
		fail_msg("query: %s", d.msg);
	return n;
}

static void
test_upsert_dedup(void **state)
{
	struct fx *fx = *state;
	struct finding f, g;
	int64_t id1, id2;

	mk(&f, "c2-client", "c2watch", "10.1.2.3", 443);
	f.dedup_extra = "198.51.100.7";
	id1 = put(fx->db, &f, 0, 1);
	assert_int_equal(put(fx->db, &f, 0, 0), id1);
	/* the same address written differently is the same subject */
	assert_int_equal(addr_parse("::ffff:10.1.2.3", &f.subject), 0);
	assert_int_equal(put(fx->db, &f, 0, 0), id1);
	/* each key part splits */
	f.dedup_extra = "198.51.100.8";
	id2 = put(fx->db, &f, 0, 1);
	assert_true(id2 != id1);
	f.dedup_extra = NULL;
	put(fx->db, &f, 0, 1);
	put(fx->db, &f, 0, 0);	/* NULL dedup_extra dedups too */
	f.port = 80;
	put(fx->db, &f, 0, 1);
	f.proto = 17;
	put(fx->db, &f, 0, 1);
	f.detector = "other";
	put(fx->db, &f, 0, 1);
	f.kind = "c2-server";
	put(fx->db, &f, 0, 1);
	assert_int_equal(nmatch(fx->db, NULL), 7);

	assert_int_equal(findings_get(fx->db, id1, &g, NULL), 0);
	assert_string_equal(g.kind, "c2-client");
	assert_string_equal(g.detector, "c2watch");
	assert_string_equal(g.dedup_extra, "198.51.100.7");
	assert_int_equal(g.port, 443);
	assert_int_equal(g.proto, 6);
	assert_true(addr_is_v4(&g.subject));
	assert_int_equal(addr_v4(&g.subject), 0x0a010203);
	assert_int_equal(g.count, 3);
	assert_int_equal(g.status, FST_OPEN);
	assert_null(g.evidence);
	findings_finding_free(&g);
	assert_null(g.kind);
	assert_int_equal(findings_get(fx->db, 9999, &g, NULL), MM_ENOENT);
}

static void
test_count_times(void **state)
{
	struct fx *fx = *state;
	struct finding f, g;
	int64_t id;

	mk(&f, "device", "fp", "2001:db8::1", 0);
	f.first_seen = 5000;
	f.last_seen = 6000;
	f.count = 3;
	f.score = 1.5;
	f.severity = SEV_LOW;
	f.summary = "first";
	id = put(fx->db, &f, 0, 1);
	f.first_seen = 2000;	/* earlier first */
	f.last_seen = 4000;	/* earlier last: kept 6000 */
	f.count = 4;
	f.score = 9.25;
	f.severity = SEV_HIGH;
	f.summary = "second";
	f.evidence = "{ \"a\" : [1, 2] }";
	put(fx->db, &f, 0, 0);
	assert_int_equal(findings_get(fx->db, id, &g, NULL), 0);
	assert_int_equal(g.first_seen, 2000);
	assert_int_equal(g.last_seen, 6000);
	assert_int_equal(g.count, 7);
	assert_true(g.score == 9.25);
	assert_int_equal(g.severity, SEV_HIGH);
	assert_string_equal(g.summary, "second");
	assert_string_equal(g.evidence, "{\"a\":[1,2]}");	/* compacted */
	assert_true(g.created > 0 && g.updated >= g.created);
	findings_finding_free(&g);

	f.count = 2;
	f.last_seen = 9000;
	put(fx->db, &f, FINDINGS_COUNT_REPLACE, 0);
	assert_int_equal(findings_get(fx->db, id, &g, NULL), 0);
	assert_int_equal(g.count, 2);
	assert_int_equal(g.last_seen, 9000);
	findings_finding_free(&g);

	/* count 0 means 1; last 0 means first; first 0 means now */
	mk(&f, "device", "fp", "2001:db8::2", 0);
	f.first_seen = 7000;
	id = put(fx->db, &f, 0, 1);
	assert_int_equal(findings_get(fx->db, id, &g, NULL), 0);
	assert_int_equal(g.count, 1);
	assert_int_equal(g.last_seen, 7000);
	findings_finding_free(&g);
	mk(&f, "device", "fp", "2001:db8::3", 0);
	id = put(fx->db, &f, 0, 1);
	assert_int_equal(findings_get(fx->db, id, &g, NULL), 0);
	assert_true(g.first_seen > 1700000000000LL);
	assert_int_equal(g.last_seen, g.first_seen);
	findings_finding_free(&g);
}

static enum finding_status
status_of(struct findings_db *db, int64_t id)
{
	struct finding g;
	enum finding_status s;

	assert_int_equal(findings_get(db, id, &g, NULL), 0);
	s = g.status;
	findings_finding_free(&g);
	return s;
}

static void
test_status_rules(void **state)
{
	struct fx *fx = *state;
	struct finding f, g;
	int64_t id;

	mk(&f, "open-telnet", "scan", "192.0.2.1", 23);
	id = put(fx->db, &f, 0, 1);
	assert_int_equal(findings_set_status(fx->db, id, FST_NOTIFIED, NULL,
	    NULL), 0);
	put(fx->db, &f, 0, 0);
	assert_int_equal(status_of(fx->db, id), FST_NOTIFIED);

	assert_int_equal(findings_set_status(fx->db, id, FST_CLOSED,
	    "ticket 42", NULL), 0);
	put(fx->db, &f, 0, 0);
	assert_int_equal(status_of(fx->db, id), FST_CLOSED);
	assert_int_equal(findings_get(fx->db, id, &g, NULL), 0);
	assert_string_equal(g.note, "ticket 42");
	assert_int_equal(g.count, 3);	/* still counted while closed */
	findings_finding_free(&g);

	assert_int_equal(findings_set_status(fx->db, id, FST_FALSE_POSITIVE,
	    NULL, NULL), 0);
	put(fx->db, &f, 0, 0);
	assert_int_equal(status_of(fx->db, id), FST_FALSE_POSITIVE);
	put(fx->db, &f, FINDINGS_REOPEN, 0);
	assert_int_equal(status_of(fx->db, id), FST_OPEN);

	assert_int_equal(findings_set_status(fx->db, id, FST_REMEDIATED, NULL,
	    NULL), 0);
	put(fx->db, &f, 0, 0);
	assert_int_equal(status_of(fx->db, id), FST_OPEN);

	assert_int_equal(findings_set_status(fx->db, 12345, FST_CLOSED, NULL,
	    NULL), MM_ENOENT);
	assert_int_equal(findings_set_status(fx->db, id, (enum finding_status)9,
	    NULL, NULL), MM_EINVAL);

	/* a new finding may be inserted with a status */
	mk(&f, "open-telnet", "scan", "192.0.2.2", 23);
	f.status = FST_FALSE_POSITIVE;
	id = put(fx->db, &f, 0, 1);
	assert_int_equal(status_of(fx->db, id), FST_FALSE_POSITIVE);
}

struct collect {
	int64_t	ids[64];
	size_t	n;
};

static int
collect_cb(const struct finding *f, void *arg)
{
	struct collect *c = arg;

	if (c->n < 64)
		c->ids[c->n++] = f->id;
	return 0;
}

static int
stop_cb(const struct finding *f, void *arg)
{
	(void)f;
	(*(int *)arg)++;
	return 7;
}

static void
test_filters(void **state)
{
	struct fx *fx = *state;
	struct findings_filter flt;
	struct finding f;
	struct collect c;
	int64_t ids[8];
	int calls = 0;

	mk(&f, "c2-server", "c2watch", "10.0.0.1", 443);
	f.severity = SEV_CRITICAL; f.score = 9; f.first_seen = 1000;
	f.last_seen = 2000; f.count = 5;
	ids[0] = put(fx->db, &f, 0, 1);
	mk(&f, "c2-client", "c2watch", "10.0.1.1", 0);
	f.severity = SEV_HIGH; f.score = 7; f.first_seen = 1500;
	f.last_seen = 2500; f.count = 1;
	ids[1] = put(fx->db, &f, 0, 1);
	mk(&f, "c2-client", "c2watch", "10.1.0.1", 0);
	f.severity = SEV_HIGH; f.score = 8; f.first_seen = 3000;
	f.last_seen = 4000; f.count = 2;
	ids[2] = put(fx->db, &f, 0, 1);
	mk(&f, "device", "fingerprint", "2001:db8::5", 0);
	f.severity = SEV_INFO; f.score = 0; f.first_seen = 100;
	f.last_seen = 200; f.count = 9;
	ids[3] = put(fx->db, &f, 0, 1);
	mk(&f, "weak-credential", "telnet", "2001:db8:1::5", 23);
	f.severity = SEV_MEDIUM; f.score = 5; f.first_seen = 5000;
	f.last_seen = 6000; f.count = 3;
	ids[4] = put(fx->db, &f, 0, 1);
	mk(&f, "vulnerable-version", "banner", "0.0.0.0", 0);
	f.severity = SEV_LOW; f.score = 2; f.first_seen = 10;
	f.last_seen = 20; f.count = 4;
	ids[5] = put(fx->db, &f, 0, 1);
	assert_int_equal(findings_set_status(fx->db, ids[1], FST_NOTIFIED,
	    NULL, NULL), 0);

	findings_filter_init(&flt);
	assert_int_equal(nmatch(fx->db, &flt), 6);
	flt.kind = "c2-client";
	assert_int_equal(nmatch(fx->db, &flt), 2);
	flt.status = FST_NOTIFIED;
	assert_int_equal(nmatch(fx->db, &flt), 1);
	findings_filter_init(&flt);
	flt.detector = "c2watch";
	assert_int_equal(nmatch(fx->db, &flt), 3);
	flt.detector = "nobody";
	assert_int_equal(nmatch(fx->db, &flt), 0);

	findings_filter_init(&flt);
	flt.min_severity = SEV_HIGH;
	assert_int_equal(nmatch(fx->db, &flt), 3);
	flt.min_severity = SEV_MEDIUM;
	assert_int_equal(nmatch(fx->db, &flt), 4);
	flt.min_severity = SEV_INFO;
	assert_int_equal(nmatch(fx->db, &flt), 6);

	findings_filter_init(&flt);
	flt.has_subject = 1;
	assert_int_equal(prefix_parse("10.0.0.0/16", &flt.subject), 0);
	assert_int_equal(nmatch(fx->db, &flt), 2);
	assert_int_equal(prefix_parse("10.0.0.0/8", &flt.subject), 0);
	assert_int_equal(nmatch(fx->db, &flt), 3);
	assert_int_equal(prefix_parse("10.0.0.1", &flt.subject), 0);
	assert_int_equal(nmatch(fx->db, &flt), 1);
	assert_int_equal(prefix_parse("0.0.0.0/0", &flt.subject), 0);
	assert_int_equal(nmatch(fx->db, &flt), 4);	/* all IPv4 */
	assert_int_equal(prefix_parse("2001:db8::/32", &flt.subject), 0);
	assert_int_equal(nmatch(fx->db, &flt), 2);
	assert_int_equal(prefix_parse("2001:db8::/48", &flt.subject), 0);
	assert_int_equal(nmatch(fx->db, &flt), 1);
	assert_int_equal(prefix_parse("::/0", &flt.subject), 0);
	assert_int_equal(nmatch(fx->db, &flt), 6);

	findings_filter_init(&flt);
	flt.since = 2000;		/* last_seen >= 2000 */
	assert_int_equal(nmatch(fx->db, &flt), 4);
	flt.until = 3000;		/* first_seen < 3000 */
	assert_int_equal(nmatch(fx->db, &flt), 2);
	findings_filter_init(&flt);
	flt.until = 101;
	assert_int_equal(nmatch(fx->db, &flt), 2);

	findings_filter_init(&flt);
	flt.has_min_score = 1;
	flt.min_score = 7;
	assert_int_equal(nmatch(fx->db, &flt), 3);
	flt.min_score = 7.5;
	assert_int_equal(nmatch(fx->db, &flt), 2);

	/* order and limit */
	findings_filter_init(&flt);
	flt.order = FINDINGS_ORDER_SCORE;
	flt.desc = 1;
	flt.limit = 3;
	memset(&c, 0, sizeof(c));
	assert_int_equal(findings_query(fx->db, &flt, collect_cb, &c, NULL),
	    0);
	assert_int_equal(c.n, 3);
	assert_int_equal(c.ids[0], ids[0]);
	assert_int_equal(c.ids[1], ids[2]);
	assert_int_equal(c.ids[2], ids[1]);
	flt.order = FINDINGS_ORDER_SEVERITY;
	flt.limit = 0;
	memset(&c, 0, sizeof(c));
	assert_int_equal(findings_query(fx->db, &flt, collect_cb, &c, NULL),
	    0);
	assert_int_equal(c.n, 6);
	assert_int_equal(c.ids[0], ids[0]);
	assert_int_equal(c.ids[1], ids[2]);	/* high, score 8 */
	assert_int_equal(c.ids[2], ids[1]);	/* high, score 7 */
	assert_int_equal(c.ids[3], ids[4]);
	assert_int_equal(c.ids[4], ids[5]);
	assert_int_equal(c.ids[5], ids[3]);
	flt.order = FINDINGS_ORDER_FIRST_SEEN;
	flt.desc = 0;
	memset(&c, 0, sizeof(c));
	assert_int_equal(findings_query(fx->db, &flt, collect_cb, &c, NULL),
	    0);
	assert_int_equal(c.ids[0], ids[5]);
	assert_int_equal(c.ids[5], ids[4]);
	flt.order = FINDINGS_ORDER_COUNT;
	flt.desc = 1;
	memset(&c, 0, sizeof(c));
	assert_int_equal(findings_query(fx->db, &flt, collect_cb, &c, NULL),
	    0);
	assert_int_equal(c.ids[0], ids[3]);
	flt.order = FINDINGS_ORDER_SUBJECT;
	flt.desc = 0;
	memset(&c, 0, sizeof(c));
	assert_int_equal(findings_query(fx->db, &flt, collect_cb, &c, NULL),
	    0);
	/* IPv4 is ::ffff:a.b.c.d, so it sorts before 2001:db8:: */
	assert_int_equal(c.ids[0], ids[5]);	/* 0.0.0.0 */
	assert_int_equal(c.ids[1], ids[0]);	/* 10.0.0.1 */
	assert_int_equal(c.ids[4], ids[3]);	/* 2001:db8::5 */
	assert_int_equal(c.ids[5], ids[4]);	/* 2001:db8:1::5 */
	flt.order = FINDINGS_ORDER_LAST_SEEN;
	flt.desc = 1;
	memset(&c, 0, sizeof(c));
	assert_int_equal(findings_query(fx->db, &flt, collect_cb, &c, NULL),
	    0);
	assert_int_equal(c.ids[0], ids[4]);

	/* callback stop value is returned */
	assert_int_equal(findings_query(fx->db, NULL, stop_cb, &calls, NULL),
	    7);
	assert_int_equal(calls, 1);

	/* bad filters */
	findings_filter_init(&flt);
	flt.order = (enum findings_order)99;
	assert_int_equal(findings_query(fx->db, &flt, count_cb, &calls, NULL),
	    MM_EINVAL);
	findings_filter_init(&flt);
	flt.min_severity = 5;
	assert_int_equal(findings_query(fx->db, &flt, count_cb, &calls, NULL),
	    MM_EINVAL);
}

static void
test_evidence(void **state)
{
	struct fx *fx = *state;
	struct finding f;
	struct mm_diag d;
	char *big;
	int64_t id;
	int ins;

	assert_int_equal(findings_evidence_check(NULL, NULL), 0);
	assert_int_equal(findings_evidence_check("{}", NULL), 0);
	assert_int_equal(findings_evidence_check("{\"a\":{\"b\":[1,2,\"x\"]}}",
	    NULL), 0);
	mm_diag_clear(&d);
	assert_int_equal(findings_evidence_check("{\"a\":", &d), MM_EINVAL);
	assert_non_null(strstr(d.msg, "evidence"));
	assert_int_equal(findings_evidence_check("[1,2]", NULL), MM_EINVAL);
	assert_int_equal(findings_evidence_check("42", NULL), MM_EINVAL);
	assert_int_equal(findings_evidence_check("", NULL), MM_EINVAL);
	assert_int_equal(findings_evidence_check("{\"a\":1,\"a\":2}", NULL),
	    MM_EINVAL);
	assert_int_equal(findings_evidence_check("{} trailing", NULL),
	    MM_EINVAL);

	mk(&f, "device", "fp", "192.0.2.9", 0);
	f.evidence = "not json";
	assert_int_equal(findings_upsert(fx->db, &f, 0, &ins, &id, NULL),
	    MM_EINVAL);
	assert_int_equal(nmatch(fx->db, NULL), 0);
	big = malloc(FINDINGS_EVIDENCE_MAX + 16);
	assert_non_null(big);
	memset(big, ' ', FINDINGS_EVIDENCE_MAX + 8);
	big[0] = '{';
	big[FINDINGS_EVIDENCE_MAX + 8] = '}';
	big[FINDINGS_EVIDENCE_MAX + 9] = '\0';
	f.evidence = big;
	assert_int_equal(findings_upsert(fx->db, &f, 0, &ins, &id, NULL),
	    MM_EINVAL);
	free(big);

	/* required fields and caps */
	mk(&f, "", "fp", "192.0.2.9", 0);
	assert_int_equal(findings_upsert(fx->db, &f, 0, NULL, NULL, NULL),
	    MM_EINVAL);
	mk(&f, "device", NULL, "192.0.2.9", 0);
	assert_int_equal(findings_upsert(fx->db, &f, 0, NULL, NULL, NULL),
	    MM_EINVAL);
	mk(&f, "a-kind-name-that-is-longer-than-sixty-four-bytes-0123456789abcdef",
	    "fp", "192.0.2.9", 0);
	assert_int_equal(findings_upsert(fx->db, &f, 0, NULL, NULL, NULL),
	    MM_EINVAL);
	mk(&f, "device", "fp", "192.0.2.9", 0);
	f.severity = (enum finding_severity)7;
	assert_int_equal(findings_upsert(fx->db, &f, 0, NULL, NULL, NULL),
	    MM_EINVAL);
	assert_int_equal(nmatch(fx->db, NULL), 0);
}

static void
test_names(void **state)
{
	enum finding_severity s;
	enum finding_status st;
	unsigned i;

	(void)state;
	for (i = 0; i <= SEV_CRITICAL; i++) {
		assert_int_equal(findings_severity_parse(
		    findings_severity_name((enum finding_severity)i), &s), 0);
		assert_int_equal(s, i);
	}
	for (i = 0; i <= FST_CLOSED; i++) {
		assert_int_equal(findings_status_parse(
		    findings_status_name((enum finding_status)i), &st), 0);
		assert_int_equal(st, i);
	}
	assert_int_equal(findings_severity_parse("HIGH", &s), 0);
	assert_int_equal(s, SEV_HIGH);
	assert_int_equal(findings_severity_parse("urgent", &s), MM_ESYNTAX);
	assert_int_equal(findings_status_parse("fp", &st), 0);
	assert_int_equal(st, FST_FALSE_POSITIVE);
	assert_int_equal(findings_status_parse("", &st), MM_ESYNTAX);
	assert_string_equal(findings_severity_name((enum finding_severity)9),
	    "unknown");
	assert_true(SEV_INFO < SEV_LOW && SEV_LOW < SEV_MEDIUM &&
	    SEV_MEDIUM < SEV_HIGH && SEV_HIGH < SEV_CRITICAL);
}

static void
test_migration(void **state)
{
	struct fx *fx = *state;
	struct findings_db *db;
	struct finding f;
	struct mm_diag d;
	sqlite3 *s;
	char old[160];

	snprintf(old, sizeof(old), "%s/old.db", fx->dir);
	/* a version-0 database: exists, has an unrelated table */
	assert_int_equal(sqlite3_open(old, &s), SQLITE_OK);
	assert_int_equal(sqlite3_exec(s, "CREATE TABLE unrelated (x);"
	    "INSERT INTO unrelated VALUES (1);", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(s);

	mm_diag_clear(&d);
	assert_int_equal(findings_open_path(old, &db, &d), 0);
	assert_int_equal(findings_schema_version(db), FINDINGS_SCHEMA_VERSION);
	mk(&f, "device", "fp", "192.0.2.1", 0);
	put(db, &f, 0, 1);
	findings_close(db);

	/* reopening is a no-op and keeps the data */
	assert_int_equal(findings_open_path(old, &db, &d), 0);
	assert_int_equal(nmatch(db, NULL), 1);
	findings_close(db);

	assert_int_equal(sqlite3_open(old, &s), SQLITE_OK);
	assert_int_equal(sqlite3_exec(s, "SELECT x FROM unrelated", NULL,
	    NULL, NULL), SQLITE_OK);
	/* journal mode is persistent WAL */
	assert_int_equal(sqlite3_exec(s, "PRAGMA user_version = 99", NULL,
	    NULL, NULL), SQLITE_OK);
	sqlite3_close(s);
	mm_diag_clear(&d);
	assert_int_equal(findings_open_path(old, &db, &d), MM_EUNSUP);
	assert_null(db);
	assert_non_null(strstr(d.msg, "99"));

	/* not a database at all */
	assert_int_equal(findings_open("/nonexistent/dir", &db, &d), MM_EIO);
	assert_null(db);
	unlink(old);
	snprintf(old, sizeof(old), "%s/old.db-wal", fx->dir);
	unlink(old);
	snprintf(old, sizeof(old), "%s/old.db-shm", fx->dir);
	unlink(old);
}

static void
test_batch(void **state)
{
	struct fx *fx = *state;
	struct finding f;
	char a[ADDR_STRLEN];
	int i;

	assert_int_equal(findings_commit(fx->db, NULL), MM_EINVAL);
	assert_int_equal(findings_begin(fx->db, NULL), 0);
	assert_int_equal(findings_begin(fx->db, NULL), MM_EINVAL);
	for (i = 0; i < 3000; i++) {
		snprintf(a, sizeof(a), "10.%d.%d.1", i / 256, i % 256);
		mk(&f, "device", "fp", a, 0);
		put(fx->db, &f, 0, 1);
	}
	assert_int_equal(findings_commit(fx->db, NULL), 0);
	assert_int_equal(nmatch(fx->db, NULL), 3000);

	assert_int_equal(findings_begin(fx->db, NULL), 0);
	for (i = 0; i < 100; i++) {
		snprintf(a, sizeof(a), "172.16.%d.1", i);
		mk(&f, "device", "fp", a, 0);
		put(fx->db, &f, 0, 1);
	}
	findings_rollback(fx->db);
	assert_int_equal(nmatch(fx->db, NULL), 3000);
	/* close with an open batch rolls back */
	assert_int_equal(findings_begin(fx->db, NULL), 0);
	mk(&f, "device", "fp", "172.16.0.1", 0);
	put(fx->db, &f, 0, 1);
}

/* Writes `n` upserts in batches of 25 through its own connection. */
static int
writer(const char *dir, const char *kind, int n)
{
	struct findings_db *db;
	struct finding f;
	char a[ADDR_STRLEN];
	int i, rc = 0;

	if (findings_open(dir, &db, NULL) != 0)
		return 1;
	for (i = 0; i < n && rc == 0; i++) {
		if (i % 25 == 0 && findings_begin(db, NULL) != 0)
			rc = 2;
		snprintf(a, sizeof(a), "10.9.%d.%d", (i % 50) / 256, i % 50);
		memset(&f, 0, sizeof(f));
		f.kind = (char *)kind;
		f.detector = "shared";
		addr_parse(a, &f.subject);
		if (rc == 0 && findings_upsert(db, &f, 0, NULL, NULL,
		    NULL) != 0)
			rc = 3;
		if (rc == 0 && (i % 25 == 24 || i == n - 1) &&
		    findings_commit(db, NULL) != 0)
			rc = 4;
	}
	findings_close(db);
	return rc;
}

struct sum {
	int64_t	count;
	size_t	rows;
};

static int
sum_cb(const struct finding *f, void *arg)
{
	struct sum *s = arg;

	s->count += f->count;
	s->rows++;
	return 0;
}

static void
test_concurrent(void **state)
{
	struct fx *fx = *state;
	struct findings_db *b;
	struct findings_filter flt;
	struct finding f;
	struct sum s;
	pid_t pid;
	int st;

	/* two connections in one process: a reader sees the committed
	 * snapshot while a writer's batch is open */
	assert_int_equal(findings_open(fx->dir, &b, NULL), 0);
	assert_int_equal(findings_begin(fx->db, NULL), 0);
	mk(&f, "device", "fp", "192.0.2.50", 0);
	put(fx->db, &f, 0, 1);
	assert_int_equal(nmatch(b, NULL), 0);
	assert_int_equal(findings_commit(fx->db, NULL), 0);
	assert_int_equal(nmatch(b, NULL), 1);
	findings_close(b);

	/* two processes upserting the same keys: every increment lands */
	fflush(NULL);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0)
		_exit(writer(fx->dir, "k", 400));
	assert_int_equal(writer(fx->dir, "k", 400), 0);
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);

	findings_filter_init(&flt);
	flt.kind = "k";
	memset(&s, 0, sizeof(s));
	assert_int_equal(findings_query(fx->db, &flt, sum_cb, &s, NULL), 0);
	assert_int_equal(s.rows, 50);
	assert_int_equal(s.count, 800);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_upsert_dedup, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_count_times, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_status_rules, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_filters, setup, teardown),
		cmocka_unit_test_setup_teardown(test_evidence, setup,
		    teardown),
		cmocka_unit_test(test_names),
		cmocka_unit_test_setup_teardown(test_migration, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_batch, setup, teardown),
		cmocka_unit_test_setup_teardown(test_concurrent, setup,
		    teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
