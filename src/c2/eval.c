/*
 * eval.c - precision and recall of the C&C findings against the ground
 * truth `mamori lab flows` writes (docs/lab-truth.md).
 *
 * The truth is read with jansson (capped at C2_TRUTH_MAX bytes); its
 * servers, (client, server) pairs and infected subscribers go into hash
 * tables, then one findings_query() per kind walks the c2 findings and marks
 * what was found. A c2-server finding counts by address (port and protocol
 * are not required to match, as documented); several findings for one
 * address count once. A c2-client finding counts when its subject is a
 * planted client and its dedup key names one of that client's servers.
 * Cost: O(truth + findings) time and memory.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "c2/c2.h"
#include "c2/kmap.h"

#define C2_TRUTH_MAX	(256u * 1024 * 1024)

struct tsrv {
	struct mm_addr	a;
	uint32_t	clients;
	uint8_t		found, reported;
};

struct tpair {
	struct mm_addr	cli, srv;
	uint8_t		found;
};

struct tcli {
	struct mm_addr	a;
	uint8_t		found;
};

struct evstate {
	struct kmap	srv;		/* truth servers */
	struct kmap	pairs;		/* truth (client, server) */
	struct kmap	clis;		/* truth subscribers */
	struct kmap	rep;		/* reported server addresses */
	struct kmap	repc;		/* reported (client, server) */
	struct c2_eval	*ev;
	int		 bg;	/* external_servers from background_servers */
};

static int64_t
addr_find(struct kmap *m, const struct mm_addr *a, int create, int *added)
{
	uint8_t rec[64];

	memset(rec, 0, sizeof(rec));
	memcpy(rec, a, 16);
	return kmap_find(m, rec, kmap_hash(rec, 16), create, added);
}

static int64_t
pair_find(struct kmap *m, const struct mm_addr *c, const struct mm_addr *s,
    int create, int *added)
{
	uint8_t rec[64];

	memset(rec, 0, sizeof(rec));
	memcpy(rec, c, 16);
	memcpy(rec + 16, s, 16);
	return kmap_find(m, rec, kmap_hash(rec, 32), create, added);
}

static int
server_cb(const struct finding *f, void *arg)
{
	struct evstate *st = arg;
	int64_t x;
	int added;

	x = addr_find(&st->rep, &f->subject, 1, &added);
	if (x < 0)
		return MM_ENOMEM;
	if (!added)
		return 0;
	st->ev->reported_servers++;
	x = addr_find(&st->srv, &f->subject, 0, NULL);
	if (x < 0) {
		st->ev->false_servers++;
		return 0;
	}
	((struct tsrv *)kmap_at(&st->srv, (size_t)x))->found = 1;
	return 0;
}

static int
client_cb(const struct finding *f, void *arg)
{
	struct evstate *st = arg;
	struct mm_addr srv;
	int64_t x;
	int added;

	if (f->dedup_extra == NULL || addr_parse(f->dedup_extra, &srv) != 0)
		memset(&srv, 0, sizeof(srv));
	x = pair_find(&st->repc, &f->subject, &srv, 1, &added);
	if (x < 0)
		return MM_ENOMEM;
	if (!added)
		return 0;
	st->ev->reported_clients++;
	x = pair_find(&st->pairs, &f->subject, &srv, 0, NULL);
	if (x < 0) {
		st->ev->false_clients++;
		return 0;
	}
	((struct tpair *)kmap_at(&st->pairs, (size_t)x))->found = 1;
	x = addr_find(&st->clis, &f->subject, 0, NULL);
	if (x >= 0)
		((struct tcli *)kmap_at(&st->clis, (size_t)x))->found = 1;
	return 0;
}

static int
load_truth(struct evstate *st, const char *path, struct mm_diag *d)
{
	json_t *root, *bns, *bn, *servers, *clients, *v;
	json_error_t je;
	size_t i, j, k;
	int rc = 0;
	FILE *fp;
	long sz;

	if ((fp = fopen(path, "r")) == NULL)
		return mm_diag_set(d, MM_EIO, "%s: cannot open", path);
	if (fseek(fp, 0, SEEK_END) != 0 || (sz = ftell(fp)) < 0 ||
	    (unsigned long)sz > C2_TRUTH_MAX) {
		fclose(fp);
		return mm_diag_set(d, MM_ELIMIT, "%s: unreadable or larger "
		    "than %u bytes", path, C2_TRUTH_MAX);
	}
	rewind(fp);
	root = json_loadf(fp, 0, &je);
	fclose(fp);
	if (root == NULL)
		return mm_diag_set(d, MM_EFORMAT, "%s:%d:%d: %s", path,
		    je.line, je.column, je.text);
	if ((v = json_object_get(root, "external_servers")) != NULL &&
	    json_is_integer(v))
		st->ev->external_servers = (size_t)json_integer_value(v);
	else if ((v = json_object_get(root, "background_servers")) != NULL &&
	    json_is_integer(v))
		/* lab flows names its background pool; the C&C servers are
		 * added below */
		st->ev->external_servers = (size_t)json_integer_value(v),
		st->bg = 1;
	bns = json_object_get(root, "botnets");
	if (!json_is_array(bns)) {
		rc = mm_diag_set(d, MM_EFORMAT, "%s: no \"botnets\" array",
		    path);
		goto out;
	}
	json_array_foreach(bns, i, bn) {
		servers = json_object_get(bn, "servers");
		clients = json_object_get(bn, "clients");
		if (!json_is_array(servers) || !json_is_array(clients)) {
			rc = mm_diag_set(d, MM_EFORMAT, "%s: botnets[%zu]: "
			    "\"servers\" or \"clients\" missing", path, i);
			goto out;
		}
		json_array_foreach(servers, j, v) {
			const char *as = json_string_value(
			    json_object_get(v, "addr"));
			struct mm_addr sa;
			json_t *cv;
			int64_t x;
			int added;

			if (as == NULL || addr_parse(as, &sa) != 0) {
				rc = mm_diag_set(d, MM_EFORMAT, "%s: "
				    "botnets[%zu].servers[%zu].addr: not an "
				    "address", path, i, j);
				goto out;
			}
			if ((x = addr_find(&st->srv, &sa, 1, &added)) < 0)
				goto nomem;
			((struct tsrv *)kmap_at(&st->srv, (size_t)x))->clients
			    += (uint32_t)json_array_size(clients);
			json_array_foreach(clients, k, cv) {
				const char *cs = json_string_value(cv);
				struct mm_addr ca;

				if (cs == NULL || addr_parse(cs, &ca) != 0) {
					rc = mm_diag_set(d, MM_EFORMAT, "%s: "
					    "botnets[%zu].clients[%zu]: not an "
					    "address", path, i, k);
					goto out;
				}
				if (pair_find(&st->pairs, &ca, &sa, 1,
				    NULL) < 0 ||
				    addr_find(&st->clis, &ca, 1, NULL) < 0)
					goto nomem;
			}
		}
	}
	goto out;
nomem:
	rc = mm_diag_set(d, MM_ENOMEM, "c2 eval: out of memory");
out:
	json_decref(root);
	return rc;
}

static double
ratio(size_t a, size_t b)
{
	return b ? (double)a / (double)b : 0;
}

int
c2_eval_run(struct findings_db *db, const char *truth_path, mtime_t since,
    struct c2_eval *ev, struct mm_diag *d)
{
	struct findings_filter flt;
	struct evstate st;
	size_t i;
	int rc;

	memset(ev, 0, sizeof(*ev));
	memset(&st, 0, sizeof(st));
	st.ev = ev;
	kmap_init(&st.srv, sizeof(struct tsrv), 16);
	kmap_init(&st.pairs, sizeof(struct tpair), 32);
	kmap_init(&st.clis, sizeof(struct tcli), 16);
	kmap_init(&st.rep, sizeof(struct tcli), 16);
	kmap_init(&st.repc, sizeof(struct tpair), 32);
	if ((rc = load_truth(&st, truth_path, d)) != 0)
		goto out;

	findings_filter_init(&flt);
	flt.detector = C2_DETECTOR;
	flt.since = since;
	if (db != NULL) {
		flt.kind = C2_KIND_SERVER;
		if ((rc = findings_query(db, &flt, server_cb, &st, d)) != 0)
			goto out;
		flt.kind = C2_KIND_CLIENT;
		if ((rc = findings_query(db, &flt, client_cb, &st, d)) != 0)
			goto out;
	}

	ev->truth_servers = st.srv.n;
	if (st.bg)
		ev->external_servers += st.srv.n;
	for (i = 0; i < st.srv.n; i++) {
		const struct tsrv *t = kmap_at(&st.srv, i);
		char b[ADDR_STRLEN];

		ev->found_servers += t->found;
		if (t->clients >= 5) {
			ev->truth_servers5++;
			ev->found_servers5 += t->found;
			if (!t->found && ev->nmissed < 16) {
				snprintf(ev->missed[ev->nmissed++],
				    sizeof(ev->missed[0]), "%s",
				    addr_fmt(&t->a, b, sizeof(b)));
			}
		}
	}
	ev->truth_clients = st.pairs.n;
	for (i = 0; i < st.pairs.n; i++)
		ev->found_clients +=
		    ((const struct tpair *)kmap_at(&st.pairs, i))->found;
	ev->truth_subscribers = st.clis.n;
	for (i = 0; i < st.clis.n; i++)
		ev->found_subscribers +=
		    ((const struct tcli *)kmap_at(&st.clis, i))->found;
	ev->server_recall = ratio(ev->found_servers, ev->truth_servers);
	ev->server_recall5 = ratio(ev->found_servers5, ev->truth_servers5);
	ev->server_precision = ratio(ev->reported_servers -
	    ev->false_servers, ev->reported_servers);
	ev->client_recall = ratio(ev->found_clients, ev->truth_clients);
	ev->subscriber_recall = ratio(ev->found_subscribers,
	    ev->truth_subscribers);
	ev->client_precision = ratio(ev->reported_clients -
	    ev->false_clients, ev->reported_clients);
	ev->false_per_10k = ev->external_servers ?
	    (double)ev->false_servers * 10000.0 /
	    (double)ev->external_servers : 0;
	rc = 0;
out:
	kmap_free(&st.srv);
	kmap_free(&st.pairs);
	kmap_free(&st.clis);
	kmap_free(&st.rep);
	kmap_free(&st.repc);
	return rc;
}
