/*
 * decode.c - the decoder object: version sniffing, the exporter table,
 * per-exporter counters and sequence-gap tracking. The per-version parsers
 * live in nfv5.c, nfv9.c, ipfix.c and sflow.c; templates in template.c.
 *
 * Exporters are kept in a chained hash table of fixed size (the next power
 * of two above max_exporters, so chains stay short) keyed by address and
 * port; a new exporter past max_exporters is refused with MM_ELIMIT rather
 * than evicting one that may hold live templates. Each exporter tracks the
 * next expected sequence number for up to EXP_MAX_DOMAINS source ids /
 * observation domains; a jump forward of less than 2^30 counts as lost
 * records, anything else (restart, reordering) just resynchronises.
 * Cost: O(1) expected per datagram outside the version parser; memory is
 * O(max_exporters) pointers plus what each exporter holds (capped there).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/addr.h"
#include "flow/decode_int.h"

struct decoder *
decoder_new(const struct decoder_conf *conf)
{
	struct decoder *dec;
	size_t n;

	if ((dec = calloc(1, sizeof(*dec))) == NULL)
		return NULL;
	if (conf != NULL)
		dec->conf = *conf;
	if (dec->conf.template_ttl <= 0)
		dec->conf.template_ttl = DEC_DEF_TTL;
	if (dec->conf.max_exporters == 0)
		dec->conf.max_exporters = DEC_DEF_EXPORTERS;
	if (dec->conf.max_templates == 0)
		dec->conf.max_templates = DEC_DEF_TEMPLATES;
	for (n = 16; n < dec->conf.max_exporters && n < 65536; n <<= 1)
		;
	dec->nbucket = n;
	if ((dec->bucket = calloc(n, sizeof(*dec->bucket))) == NULL) {
		free(dec);
		return NULL;
	}
	return dec;
}

static void
exporter_free(struct exporter *e)
{
	tmpl_free_all(e);
	free(e->samp);
	free(e);
}

void
decoder_free(struct decoder *dec)
{
	struct exporter *e, *next;
	size_t i;

	if (dec == NULL)
		return;
	for (i = 0; i < dec->nbucket; i++) {
		for (e = dec->bucket[i]; e != NULL; e = next) {
			next = e->next;
			exporter_free(e);
		}
	}
	free(dec->bucket);
	free(dec);
}

static size_t
exporter_hash(const struct mm_addr *a, uint16_t port)
{
	uint64_t h = 1469598103934665603ULL;
	size_t i;

	for (i = 0; i < sizeof(a->b); i++)
		h = (h ^ a->b[i]) * 1099511628211ULL;
	h = (h ^ port) * 1099511628211ULL;
	return (size_t)(h ^ (h >> 29));
}

static struct exporter *
exporter_get(struct decoder *dec, const struct mm_addr *a, uint16_t port)
{
	struct exporter *e;
	size_t b = exporter_hash(a, port) & (dec->nbucket - 1);

	for (e = dec->bucket[b]; e != NULL; e = e->next)
		if (e->st.port == port &&
		    memcmp(e->st.addr.b, a->b, sizeof(a->b)) == 0)
			return e;
	if (dec->nexp >= dec->conf.max_exporters)
		return NULL;
	if ((e = calloc(1, sizeof(*e))) == NULL)
		return NULL;
	e->st.addr = *a;
	e->st.port = port;
	e->next = dec->bucket[b];
	dec->bucket[b] = e;
	dec->nexp++;
	return e;
}

/*
 * Records the first problem of the datagram in dg->rc and the diag line,
 * prefixed with the exporter and domain. Always returns `err`.
 */
int
dg_error(struct dgram *dg, int err, const char *fmt, ...)
{
	char buf[MM_DIAG_LEN], ab[ADDR_STRLEN];
	va_list ap;

	if (dg->rc != 0)
		return err;
	dg->rc = err;
	if (dg->diag == NULL)
		return err;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	addr_fmt(dg->from, ab, sizeof(ab));
	mm_diag_set(dg->diag, err, "exporter %s%s%s:%u domain %u: %s",
	    addr_is_v4(dg->from) ? "" : "[", ab,
	    addr_is_v4(dg->from) ? "" : "]", dg->port, dg->domain, buf);
	dg->diag->pos = -1;
	return err;
}

/*
 * Sequence check: `seq` is the number carried by this message and `count`
 * how far it advances the expected number (1 per datagram for v9 and sFlow,
 * records for v5 and IPFIX), or SEQ_UNKNOWN when the message could not be
 * counted (records of an unknown template): the next one resynchronises.
 */
/*
 * The state of the datagram's (version, domain), created on first use;
 * NULL when the exporter already tracks EXP_MAX_DOMAINS of them.
 */
struct domain_seq *
dg_domain(struct dgram *dg)
{
	struct exporter *e = dg->exp;
	struct domain_seq *d;
	size_t i;

	for (i = 0; i < e->ndom; i++) {
		if (e->dom[i].domain == dg->domain &&
		    e->dom[i].version == dg->version)
			return &e->dom[i];
	}
	if (e->ndom >= EXP_MAX_DOMAINS)
		return NULL;
	d = &e->dom[e->ndom++];
	memset(d, 0, sizeof(*d));
	d->domain = dg->domain;
	d->version = dg->version;
	return d;
}

void
dg_seq(struct dgram *dg, uint32_t seq, uint32_t count)
{
	struct domain_seq *d = dg->dom != NULL ? dg->dom : dg_domain(dg);
	uint32_t gap;

	if (d == NULL)
		return;
	if (d->synced && seq != d->next) {
		gap = seq - d->next;
		if (gap < (1U << 30))
			dg->exp->st.seq_gaps += gap;
	}
	d->synced = count != SEQ_UNKNOWN;
	d->next = seq + count;
}

/* Fills the common fields, scales and hands the flow on. */
int
dg_emit(struct dgram *dg, struct flow *f)
{
	int rc;

	if (dg->stop != 0)
		return dg->stop;
	f->exporter = *dg->from;
	if (f->sampling == 0)
		f->sampling = 1;
	if (dg->dec->conf.scale && f->sampling > 1) {
		f->packets *= f->sampling;
		f->bytes *= f->sampling;
	}
	dg->exp->st.flows++;
	if ((rc = dg->emit(dg->arg, f)) != 0)
		dg->stop = rc;
	return rc;
}

int
decoder_datagram(struct decoder *dec, const struct mm_addr *from,
    uint16_t port, mtime_t now, const uint8_t *buf, size_t len,
    flow_emit_fn emit, void *arg, struct mm_diag *diag)
{
	struct dgram dg;
	struct cursor c;
	uint16_t v16;
	uint32_t v32;
	int rc;

	if (dec == NULL || from == NULL || emit == NULL)
		return MM_EINVAL;
	mm_diag_clear(diag);
	memset(&dg, 0, sizeof(dg));
	dg.dec = dec;
	dg.from = from;
	dg.port = port;
	dg.now = now;
	dg.emit = emit;
	dg.arg = arg;
	dg.diag = diag;
	dg.export_ms = now;
	if ((dg.exp = exporter_get(dec, from, port)) == NULL) {
		dec->refused++;
		return dg_error(&dg, MM_ELIMIT,
		    "exporter table full (%u exporters)",
		    dec->conf.max_exporters);
	}
	dg.exp->st.datagrams++;
	dg.exp->st.last_seen = now;

	cur_init(&c, buf, len);
	if (get_u16(&c, &v16) != 0) {
		dg.exp->st.malformed++;
		return dg_error(&dg, MM_ETRUNC, "datagram of %zu bytes", len);
	}
	switch (v16) {
	case 5:
		dg.version = DECODE_NFV5;
		rc = nfv5_decode(&dg, &c);
		break;
	case 9:
		dg.version = DECODE_NFV9;
		rc = nfv9_decode(&dg, &c);
		break;
	case 10:
		dg.version = DECODE_IPFIX;
		rc = ipfix_decode(&dg, &c);
		break;
	case 0:
		cur_init(&c, buf, len);
		if (get_u32(&c, &v32) == 0 && v32 == 5) {
			dg.version = DECODE_SFLOW5;
			rc = sflow_decode(&dg, &c);
			break;
		}
		/* FALLTHROUGH */
	default:
		dg.exp->st.malformed++;
		return dg_error(&dg, MM_EUNSUP,
		    "unknown export version %u (want NetFlow 5/9, IPFIX 10 "
		    "or sFlow 5)", v16);
	}
	dg.exp->st.version = dg.version;
	if (dg.stop != 0)
		return dg.stop;
	if (rc != 0 && dg.rc == 0)
		dg.rc = rc;
	return dg.rc;
}

size_t
decoder_stats(const struct decoder *dec, struct exporter_stats *out,
    size_t max)
{
	const struct exporter *e;
	size_t i, n = 0;

	if (dec == NULL)
		return 0;
	for (i = 0; i < dec->nbucket; i++) {
		for (e = dec->bucket[i]; e != NULL; e = e->next) {
			if (out != NULL && n < max) {
				out[n] = e->st;
				out[n].templates = e->ntmpl;
			}
			n++;
		}
	}
	return n;
}
