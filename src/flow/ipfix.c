/*
 * ipfix.c - IPFIX messages (RFC 7011): a 16-byte header and a sequence of
 * sets. Set 2 carries templates, set 3 options templates (§3.4.2), 256 and
 * up data; a template record with field count 0 withdraws (§8.1), and
 * template id 2/3 in a withdrawal drops every template of that kind in the
 * observation domain. Field specifiers with bit 15 set carry a 4-byte
 * enterprise number and are skipped (template.c); length 65535 marks a
 * variable-length field (§7). Every set and record is read through a
 * sub-cursor of its declared length. The sequence number counts data records
 * per observation domain (§3.1). Cost: O(bytes), no allocation outside
 * template compilation.
 */
#include "flow/decode_int.h"

static int
ipfix_templates(struct dgram *dg, struct cursor *set, uint16_t setid)
{
	uint16_t ies[TMPL_MAX_FIELDS], lens[TMPL_MAX_FIELDS];
	uint16_t id, n, nscope = 0;
	uint32_t pen;
	size_t i;
	int rc = 0, err;

	while (cur_left(set) >= 4) {
		get_u16(set, &id);
		get_u16(set, &n);
		if (id == 0 && n == 0)
			break;	/* padding */
		if (n == 0) {
			if (id != setid && id < 256) {
				dg->exp->st.malformed++;
				return dg_error(dg, MM_EFORMAT, "IPFIX set %u "
				    "(RFC 7011 §8.1): withdrawal of template "
				    "%u", setid, id);
			}
			tmpl_withdraw(dg, id, setid == 3);
			continue;
		}
		if (setid == 3 && (get_u16(set, &nscope) != 0 ||
		    nscope == 0 || nscope > n)) {
			dg->exp->st.malformed++;
			return dg_error(dg, set->err ? MM_ETRUNC : MM_EFORMAT,
			    "IPFIX set 3 (RFC 7011 §3.4.2.2): options "
			    "template %u scope field count %u", id, nscope);
		}
		if (id < 256 || n > TMPL_MAX_FIELDS) {
			dg->exp->st.malformed++;
			return dg_error(dg, id < 256 ? MM_EFORMAT : MM_ELIMIT,
			    "IPFIX set %u (RFC 7011 §3.4.1): template %u "
			    "field count %u (max %d)", setid, id, n,
			    TMPL_MAX_FIELDS);
		}
		for (i = 0; i < n; i++) {
			get_u16(set, &ies[i]);
			get_u16(set, &lens[i]);
			if (ies[i] & 0x8000)
				get_u32(set, &pen);
		}
		if (set->err != 0) {
			dg->exp->st.malformed++;
			return dg_error(dg, MM_ETRUNC, "IPFIX set %u (RFC 7011 "
			    "§3.4.1): template %u truncated", setid, id);
		}
		err = tmpl_add(dg, id, setid == 3 ? 2 : 0, ies, lens, n,
		    nscope);
		if (err != 0) {
			dg->exp->st.malformed++;
			if (rc == 0)
				rc = dg_error(dg, err, "IPFIX set %u (RFC 7011 "
				    "§3.4.1): template %u rejected (%s; %zu "
				    "cached)", setid, id, mm_strerror(err),
				    dg->exp->ntmpl);
		}
	}
	return rc;
}

int
ipfix_decode(struct dgram *dg, struct cursor *c)
{
	struct cursor msg, set;
	struct tmpl *t;
	uint32_t etime, seq, domain;
	uint16_t mlen, setid, setlen;
	int rc = 0, err;

	get_u16(c, &mlen);
	get_u32(c, &etime);
	get_u32(c, &seq);
	get_u32(c, &domain);
	if (c->err != 0) {
		dg->exp->st.malformed++;
		return dg_error(dg, MM_ETRUNC, "IPFIX message header truncated "
		    "(RFC 7011 §3.1, %zu bytes)", c->len);
	}
	dg->domain = domain;
	dg->export_ms = (int64_t)etime * 1000;
	dg->dom = dg_domain(dg);
	if (mlen < 16 || mlen - 16u > cur_left(c)) {
		dg->exp->st.malformed++;
		return dg_error(dg, MM_ETRUNC, "IPFIX message header (RFC 7011 "
		    "§3.1): length %u, datagram %zu bytes", mlen, c->len);
	}
	get_sub(c, mlen - 16u, &msg);
	while (cur_left(&msg) >= 4 && dg->stop == 0) {
		get_u16(&msg, &setid);
		get_u16(&msg, &setlen);
		if (setlen < 4 || get_sub(&msg, setlen - 4u, &set) != 0) {
			dg->exp->st.malformed++;
			err = dg_error(dg, MM_ETRUNC, "IPFIX set %u (RFC 7011 "
			    "§3.3.2): length %u, %zu bytes left", setid,
			    setlen, cur_left(&msg));
			if (rc == 0)
				rc = err;
			dg->notmpl = 1;
			break;
		}
		if (setid == 2 || setid == 3)
			err = ipfix_templates(dg, &set, setid);
		else if (setid < 256)
			err = 0;	/* reserved: skip */
		else if ((t = tmpl_find(dg, setid)) == NULL) {
			dg->exp->st.missing_template++;
			dg->notmpl = 1;
			err = dg_error(dg, MM_ENOTMPL, "IPFIX set %u: no "
			    "template %u", setid, setid);
		} else
			err = tmpl_data_set(dg, t, &set);
		if (err != 0 && rc == 0)
			rc = err;
	}
	dg_seq(dg, seq, dg->notmpl || dg->stop ? SEQ_UNKNOWN :
	    (uint32_t)dg->nrecords);
	return rc;
}
