/*
 * nfv9.c - Cisco NetFlow v9 (RFC 3954): a 20-byte header and a sequence of
 * FlowSets. FlowSet 0 holds templates, 1 options templates (scope and
 * option lengths in bytes, §6.1), 256 and up data; each is read through a
 * sub-cursor of its declared length, so a bad length cannot spill into its
 * neighbours. Times are sysUpTime-relative and anchored with the header's
 * uptime and unix seconds. The sequence counts export packets per source id
 * (§5.1). A bad FlowSet is counted and skipped; the rest is still decoded.
 * Cost: O(bytes); templates are compiled once (template.c).
 */
#include "flow/decode_int.h"

static int
v9_templates(struct dgram *dg, struct cursor *set, uint16_t setid)
{
	uint16_t ies[TMPL_MAX_FIELDS], lens[TMPL_MAX_FIELDS];
	uint16_t id, n, slen, olen;
	size_t i, nscope = 0;
	int rc = 0, err;

	while (cur_left(set) >= (setid == 0 ? 4u : 6u)) {
		get_u16(set, &id);
		if (id == 0)
			break;	/* padding */
		if (setid == 0) {
			get_u16(set, &n);
		} else {
			get_u16(set, &slen);
			get_u16(set, &olen);
			if (set->err != 0)
				break;
			if (slen % 4 != 0 || olen % 4 != 0 ||
			    slen + olen == 0) {
				dg->exp->st.malformed++;
				return dg_error(dg, MM_EFORMAT, "NetFlow v9 "
				    "FlowSet 1 (RFC 3954 §6.1): options "
				    "template %u scope length %u option "
				    "length %u", id, slen, olen);
			}
			nscope = slen / 4;
			n = (uint16_t)((slen + olen) / 4);
		}
		if (set->err != 0)
			break;
		if (id < 256 || n == 0 || n > TMPL_MAX_FIELDS) {
			dg->exp->st.malformed++;
			return dg_error(dg, id < 256 ? MM_EFORMAT : MM_ELIMIT,
			    "NetFlow v9 FlowSet %u (RFC 3954 §5.2): template "
			    "%u field count %u (max %d)", setid, id, n,
			    TMPL_MAX_FIELDS);
		}
		for (i = 0; i < n; i++) {
			get_u16(set, &ies[i]);
			get_u16(set, &lens[i]);
		}
		if (set->err != 0) {
			dg->exp->st.malformed++;
			return dg_error(dg, MM_ETRUNC, "NetFlow v9 FlowSet %u "
			    "(RFC 3954 §5.2): template %u truncated", setid,
			    id);
		}
		err = tmpl_add(dg, id, setid == 1, ies, lens, n, nscope);
		if (err != 0) {
			dg->exp->st.malformed++;
			if (rc == 0)
				rc = dg_error(dg, err, "NetFlow v9 FlowSet %u "
				    "(RFC 3954 §5.2): template %u rejected "
				    "(%s; %zu cached)", setid, id,
				    mm_strerror(err), dg->exp->ntmpl);
		}
	}
	return rc;
}

int
nfv9_decode(struct dgram *dg, struct cursor *c)
{
	struct cursor set;
	struct tmpl *t;
	uint32_t uptime, secs, seq, srcid;
	uint16_t count, setid, setlen;
	int rc = 0, err;

	get_u16(c, &count);
	get_u32(c, &uptime);
	get_u32(c, &secs);
	get_u32(c, &seq);
	get_u32(c, &srcid);
	if (c->err != 0) {
		dg->exp->st.malformed++;
		return dg_error(dg, MM_ETRUNC, "NetFlow v9 header truncated "
		    "(RFC 3954 §5.1, %zu bytes)", c->len);
	}
	dg->domain = srcid;
	dg->export_ms = (int64_t)secs * 1000;
	dg->boot_ms = dg->export_ms - uptime;
	dg_seq(dg, seq, 1);
	while (cur_left(c) >= 4 && dg->stop == 0) {
		get_u16(c, &setid);
		get_u16(c, &setlen);
		if (setlen < 4 || get_sub(c, setlen - 4, &set) != 0) {
			dg->exp->st.malformed++;
			err = dg_error(dg, MM_ETRUNC, "NetFlow v9 FlowSet %u "
			    "(RFC 3954 §5.2): length %u, %zu bytes left",
			    setid, setlen, cur_left(c));
			return rc != 0 ? rc : err;
		}
		if (setid == 0 || setid == 1)
			err = v9_templates(dg, &set, setid);
		else if (setid < 256)
			err = 0;	/* reserved: skip */
		else if ((t = tmpl_find(dg, setid)) == NULL) {
			dg->exp->st.missing_template++;
			err = dg_error(dg, MM_ENOTMPL, "NetFlow v9 FlowSet "
			    "%u: no template %u", setid, setid);
		} else
			err = tmpl_data_set(dg, t, &set);
		if (err != 0 && rc == 0)
			rc = err;
	}
	return rc;
}
