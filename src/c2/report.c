/*
 * report.c - turning a C&C detection result into words and findings: the
 * one-line NOC summaries, the evidence JSON objects (jansson) and the
 * c2-server / c2-client upserts.
 *
 * Findings are keyed (kind, "c2", subject, port, proto, extra): a server is
 * its address/port/protocol with extra "", a client its address with extra
 * = the server address, so a subscriber beaconing to two servers has two
 * findings and a re-run of a window updates rather than duplicates (counts
 * are replaced, not added: the count is the connections in the window).
 * Everything is written in one transaction. Cost: O(servers + pairs)
 * upserts, each O(log N) in SQLite.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "c2/c2.h"

#define C2_EVIDENCE_CLIENTS	20	/* client rows in server evidence */

static const char *
proto_name(uint8_t p, char *buf, size_t len)
{
	switch (p) {
	case 6:
		return "tcp";
	case 17:
		return "udp";
	case 1:
		return "icmp";
	case 58:
		return "icmp6";
	default:
		snprintf(buf, len, "%u", p);
		return buf;
	}
}

static char *
service_fmt(const struct mm_addr *a, uint16_t port, uint8_t proto, char *buf,
    size_t len)
{
	char ab[ADDR_STRLEN], pb[8];

	addr_fmt(a, ab, sizeof(ab));
	if (addr_is_v4(a))
		snprintf(buf, len, "%s:%u/%s", ab, port,
		    proto_name(proto, pb, sizeof(pb)));
	else
		snprintf(buf, len, "[%s]:%u/%s", ab, port,
		    proto_name(proto, pb, sizeof(pb)));
	return buf;
}

static char *
span_fmt(mtime_t ms, char *buf, size_t len)
{
	double s = (double)ms / 1000.0;

	if (s >= 3600)
		snprintf(buf, len, "%.0f h", s / 3600);
	else if (s >= 60)
		snprintf(buf, len, "%.0f min", s / 60);
	else
		snprintf(buf, len, "%.0f s", s);
	return buf;
}

static char *
period_fmt(double s, char *buf, size_t len)
{
	if (s >= 3600 && s / 3600 == (double)(int64_t)(s / 3600))
		snprintf(buf, len, "%.0f h", s / 3600);
	else if (s >= 120 && s / 60 == (double)(int64_t)(s / 60))
		snprintf(buf, len, "%.0f min", s / 60);
	else
		snprintf(buf, len, "%.0f s", s);
	return buf;
}

enum finding_severity
c2_severity(double score, int intel_hit)
{
	if (intel_hit && score >= 0.8)
		return SEV_CRITICAL;
	if (score >= 0.85 || intel_hit)
		return SEV_HIGH;
	if (score >= 0.7)
		return SEV_MEDIUM;
	if (score >= 0.5)
		return SEV_LOW;
	return SEV_INFO;
}

char *
c2_server_summary(const struct c2_result *res,
    const struct c2_server_result *s, char *buf, size_t len)
{
	char sv[ADDR_STRLEN + 16], per[32], span[32], rep[256] = "";
	size_t n;

	(void)res;
	service_fmt(&s->srv, s->port, s->proto, sv, sizeof(sv));
	if (s->intel_hit)
		snprintf(rep, sizeof(rep), "; listed by %s as %s "
		    "(confidence %u)", s->hit.source, s->hit.tag,
		    s->hit.confidence);
	if (s->allowed)
		snprintf(rep + strlen(rep), sizeof(rep) - strlen(rep),
		    "; allowlisted (%s)", s->allow_category ?
		    s->allow_category : "allowlist");
	span_fmt(s->last - s->first, span, sizeof(span));
	if (s->beacons > 0)
		n = (size_t)snprintf(buf, len, "%s: %u subscriber%s beacon%s "
		    "every %s (jitter %.0f %%), ~%.0f B each, over %s; "
		    "%u of %u clients follow that period, %" PRIu64
		    " connections; score %.2f%s",
		    sv, s->beacons, s->beacons == 1 ? "" : "s",
		    s->beacons == 1 ? "s" : "",
		    period_fmt(s->period, per, sizeof(per)), s->jitter * 100,
		    s->size, span, s->beacons + s->consistent, s->clients,
		    s->flows, s->score, rep);
	else
		n = (size_t)snprintf(buf, len, "%s: contacted by %u "
		    "subscriber%s over %s, %" PRIu64 " connections, no "
		    "beaconing; score %.2f%s", sv, s->clients,
		    s->clients == 1 ? "" : "s", span, s->flows, s->score, rep);
	(void)n;
	return buf;
}

char *
c2_client_summary(const struct c2_server_result *s,
    const struct c2_pair_result *p, char *buf, size_t len)
{
	char cl[ADDR_STRLEN], sv[ADDR_STRLEN + 16], per[32], span[32];
	char others[96] = "", samp[48] = "";
	uint32_t n = s->beacons + s->consistent;
	uint32_t o = n > 0 ? n - (p->beacon || p->consistent ? 1 : 0) : 0;

	addr_fmt(&p->cli, cl, sizeof(cl));
	service_fmt(&p->srv, p->port, p->proto, sv, sizeof(sv));
	span_fmt(p->last - p->first, span, sizeof(span));
	if (o > 0)
		snprintf(others, sizeof(others), "; %u other subscriber%s "
		    "do%s the same", o, o == 1 ? "" : "s", o == 1 ? "es" : "");
	if (p->sampling > 1)
		snprintf(samp, sizeof(samp), " (sampled 1:%u)", p->sampling);
	if (p->beacon)
		snprintf(buf, len, "%s beacons to %s every %s (jitter %.0f %%)"
		    ", %s, %u connections%s, ~%.0f B each%s", cl, sv,
		    period_fmt(p->period, per, sizeof(per)), p->jitter * 100,
		    span, p->conns, samp, p->size, others);
	else if (p->consistent)
		snprintf(buf, len, "%s connects to %s every %s like the "
		    "server's beaconing clients (%u connections%s, ~%.0f B "
		    "each, over %s)%s", cl, sv,
		    period_fmt(s->period, per, sizeof(per)), p->conns, samp,
		    p->size, span, others);
	else
		snprintf(buf, len, "%s talks to %s%s%s%s, %u connections%s"
		    ", ~%.0f B each, over %s%s", cl, sv,
		    s->intel_hit ? " (listed by " : "",
		    s->intel_hit ? s->hit.source : "",
		    s->intel_hit ? ")" : "", p->conns, samp, p->size, span,
		    others);
	return buf;
}

static json_t *
jtime(mtime_t t)
{
	char b[MTIME_STRLEN];

	return json_string(mtime_fmt(t, 0, b, sizeof(b)));
}

static json_t *
jaddr(const struct mm_addr *a)
{
	char b[ADDR_STRLEN];

	return json_string(addr_fmt(a, b, sizeof(b)));
}

static json_t *
jstat(const struct c2_stat *st)
{
	return json_pack("{s:f,s:f,s:f,s:f,s:f,s:f}", "score", st->score,
	    "skew", st->skew, "mad", st->mad, "median", st->median,
	    "q1", st->q1, "q3", st->q3);
}

static json_t *
pair_components(const struct c2_pair_result *p)
{
	return json_pack("{s:f,s:f,s:o,s:o,s:{s:f,s:f,s:f,s:i,s:i},"
	    "s:{s:f,s:f,s:f}}",
	    "strength", p->strength, "rita", p->sc.score,
	    "timestamp", jstat(&p->sc.ts),
	    "datasize", jstat(&p->sc.ds),
	    "histogram", "score", p->sc.hist, "cv", p->sc.hist_cv,
	    "bimodal", p->sc.hist_bimodal, "bars", p->sc.total_bars,
	    "longest_run", p->sc.longest_run,
	    "duration", "score", p->sc.dur, "coverage", p->sc.dur_coverage,
	    "consistency", p->sc.dur_consistency);
}

static char *
dump_free(json_t *o)
{
	char *s;

	if (o == NULL)
		return NULL;
	s = json_dumps(o, JSON_COMPACT);
	json_decref(o);
	return s;
}

char *
c2_server_evidence(const struct c2_result *res,
    const struct c2_server_result *s)
{
	json_t *o, *cl, *comp;
	char pb[8];
	size_t i;

	comp = json_pack("{s:f,s:f,s:f,s:f,s:f,s:f,s:f,s:i,s:i,s:i}",
	    "beacon_mean", s->beacon_mean, "fanin", s->fanin,
	    "sim_period", s->sim_period, "sim_size", s->sim_size,
	    "purity", s->purity, "prevalence", s->prevalence,
	    "popularity", s->popularity,
	    "server_ports", (json_int_t)s->srv_ports,
	    "port_services", (json_int_t)s->port_servers,
	    "port_pairs", (json_int_t)s->port_clients);
	o = json_pack("{s:o,s:i,s:s,s:f,s:o,s:f,s:f,s:{s:f,s:f,s:f},"
	    "s:i,s:i,s:i,s:i,s:I,s:I,s:I,s:o,s:o,s:{s:o,s:o}}",
	    "server", jaddr(&s->srv), "port", (json_int_t)s->port,
	    "proto", proto_name(s->proto, pb, sizeof(pb)),
	    "score", s->score, "components", comp,
	    "period_s", s->period, "jitter", s->jitter,
	    "bytes_per_conn", "median", s->size, "min", s->size_min,
	    "max", s->size_max,
	    "clients", (json_int_t)s->clients,
	    "beaconing_clients", (json_int_t)s->beacons,
	    "period_consistent_clients", (json_int_t)s->consistent,
	    "strobing_clients", (json_int_t)s->strobes,
	    "flows", (json_int_t)s->flows, "bytes", (json_int_t)s->bytes,
	    "packets", (json_int_t)s->packets,
	    "first_seen", jtime(s->first), "last_seen", jtime(s->last),
	    "window", "start", jtime(res->window.start),
	    "end", jtime(res->window.end));
	if (o == NULL)
		return NULL;
	if (s->intel_hit) {
		char pfx[PREFIX_STRLEN];

		json_object_set_new(o, "reputation", json_pack(
		    "{s:s,s:s,s:s,s:i,s:i}", "source", s->hit.source,
		    "tag", s->hit.tag, "indicator",
		    prefix_fmt(&s->hit.prefix, pfx, sizeof(pfx)),
		    "confidence", (json_int_t)s->hit.confidence,
		    "port", (json_int_t)s->hit.port));
	}
	if (s->allowed)
		json_object_set_new(o, "allowlisted", json_string(
		    s->allow_category ? s->allow_category : "allowlist"));
	cl = json_array();
	for (i = 0; i < s->npairs && i < C2_EVIDENCE_CLIENTS; i++) {
		const struct c2_pair_result *p = &res->pairs[s->pair_off + i];

		json_array_append_new(cl, json_pack("{s:o,s:f,s:f,s:f,s:i,"
		    "s:f,s:b,s:b}", "client", jaddr(&p->cli),
		    "score", p->strength, "period_s", p->period,
		    "jitter", p->jitter, "conns", (json_int_t)p->conns,
		    "bytes_per_conn", p->size, "beacon", p->beacon,
		    "period_consistent", p->consistent));
	}
	json_object_set_new(o, "clients_sample", cl);
	return dump_free(o);
}

char *
c2_client_evidence(const struct c2_result *res,
    const struct c2_server_result *s, const struct c2_pair_result *p)
{
	json_t *o, *sf;
	char pb[8];
	uint32_t i;

	o = json_pack("{s:o,s:o,s:i,s:s,s:f,s:o,s:f,s:f,s:i,s:I,s:I,s:f,"
	    "s:i,s:o,s:o,s:f,s:i}",
	    "client", jaddr(&p->cli), "server", jaddr(&p->srv),
	    "port", (json_int_t)p->port,
	    "proto", proto_name(p->proto, pb, sizeof(pb)),
	    "score", p->strength, "components", pair_components(p),
	    "period_s", p->period, "jitter", p->jitter,
	    "conns", (json_int_t)p->conns, "bytes", (json_int_t)p->bytes,
	    "packets", (json_int_t)p->packets, "bytes_per_conn", p->size,
	    "sampling", (json_int_t)p->sampling,
	    "first_seen", jtime(p->first), "last_seen", jtime(p->last),
	    "server_score", s->score,
	    "other_beaconing_clients", (json_int_t)(s->beacons > 0 ?
	    s->beacons - (p->beacon ? 1 : 0) : 0));
	if (o == NULL)
		return NULL;
	sf = json_array();
	for (i = 0; i < p->nsamples; i++)
		json_array_append_new(sf, json_pack("{s:o,s:i}", "first",
		    jtime(res->window.start + (mtime_t)p->sample_t[i] * 1000),
		    "bytes", (json_int_t)p->sample_b[i]));
	json_object_set_new(o, "sample_flows", sf);
	if (s->intel_hit)
		json_object_set_new(o, "reputation", json_pack("{s:s,s:s}",
		    "source", s->hit.source, "tag", s->hit.tag));
	return dump_free(o);
}

int
c2_findings_write(struct findings_db *db, const struct c2_result *res,
    double min_score, size_t *nsrv, size_t *ncli, struct mm_diag *d)
{
	size_t i, j, ns = 0, nc = 0;
	int rc;

	if (nsrv != NULL)
		*nsrv = 0;
	if (ncli != NULL)
		*ncli = 0;
	if ((rc = findings_begin(db, d)) != 0)
		return rc;
	for (i = 0; i < res->nservers; i++) {
		const struct c2_server_result *s = &res->servers[i];
		struct finding f;
		char sum[FINDINGS_SUMMARY_MAX], srvb[ADDR_STRLEN];
		char *ev;

		if (s->score < min_score || s->allowed)
			continue;
		memset(&f, 0, sizeof(f));
		f.kind = C2_KIND_SERVER;
		f.detector = C2_DETECTOR;
		f.subject = s->srv;
		f.port = s->port;
		f.proto = s->proto;
		f.dedup_extra = "";
		f.first_seen = s->first;
		f.last_seen = s->last;
		f.count = (int64_t)s->flows;
		f.score = s->score;
		f.severity = c2_severity(s->score, s->intel_hit);
		f.summary = c2_server_summary(res, s, sum, sizeof(sum));
		f.status = FST_OPEN;
		if ((ev = c2_server_evidence(res, s)) == NULL) {
			rc = mm_diag_set(d, MM_ENOMEM, "c2: out of memory");
			goto fail;
		}
		f.evidence = ev;
		rc = findings_upsert(db, &f, FINDINGS_COUNT_REPLACE, NULL,
		    NULL, d);
		free(ev);
		if (rc != 0)
			goto fail;
		ns++;
		addr_fmt(&s->srv, srvb, sizeof(srvb));
		for (j = 0; j < s->npairs; j++) {
			const struct c2_pair_result *p =
			    &res->pairs[s->pair_off + j];
			double cs;

			if (!p->beacon && !p->consistent && !s->intel_hit)
				continue;
			/* a client inherits the server's confidence */
			cs = p->beacon ? (p->strength + s->score) / 2 :
			    s->score * (p->consistent ? 0.9 : 0.8);
			memset(&f, 0, sizeof(f));
			f.kind = C2_KIND_CLIENT;
			f.detector = C2_DETECTOR;
			f.subject = p->cli;
			f.port = p->port;
			f.proto = p->proto;
			f.dedup_extra = srvb;
			f.first_seen = p->first;
			f.last_seen = p->last;
			f.count = p->conns;
			f.score = c2_round3(cs);
			f.severity = c2_severity(cs, s->intel_hit);
			f.summary = c2_client_summary(s, p, sum, sizeof(sum));
			f.status = FST_OPEN;
			if ((ev = c2_client_evidence(res, s, p)) == NULL) {
				rc = mm_diag_set(d, MM_ENOMEM,
				    "c2: out of memory");
				goto fail;
			}
			f.evidence = ev;
			rc = findings_upsert(db, &f, FINDINGS_COUNT_REPLACE,
			    NULL, NULL, d);
			free(ev);
			if (rc != 0)
				goto fail;
			nc++;
		}
	}
	if ((rc = findings_commit(db, d)) != 0)
		goto fail;
	if (nsrv != NULL)
		*nsrv = ns;
	if (ncli != NULL)
		*ncli = nc;
	return 0;
fail:
	findings_rollback(db);
	return rc;
}
