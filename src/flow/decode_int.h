/*
 * decode_int.h - private state shared by the flow-export decoders
 * (decode.c, template.c, nfv5.c, nfv9.c, ipfix.c, sflow.c). Not installed,
 * not for use outside src/flow/.
 *
 * The decoder keeps one struct exporter per (address, port). An exporter
 * owns its templates (a chained hash keyed by domain and template id), the
 * sampling rates learned from options data and per-domain sequence state;
 * all three are capped so that one exporter can hold at most a bounded
 * amount of memory (see the EXP_MAX_* limits below and decoder_conf).
 *
 * A template is compiled once, when it arrives, into an array of ops; each op
 * reads `len` bytes (or a variable-length field) and stores them as `kind`.
 * Consecutive ignored fields are merged into a single skip op, so decoding a
 * data record is one pass over a short array with no allocation.
 */
#ifndef MAMORI_FLOW_DECODE_INT_H
#define MAMORI_FLOW_DECODE_INT_H

#include <stdint.h>

#include "core/cursor.h"
#include "core/err.h"
#include "flow/decode.h"

#define DEC_DEF_TTL		(1800 * 1000)
#define DEC_DEF_EXPORTERS	4096
#define DEC_DEF_TEMPLATES	1024
#define TMPL_MAX_FIELDS		512	/* fields per template */
#define TMPL_MAX_RECLEN		65535	/* fixed bytes in one record */
#define TMPL_FAST_MAX		1024	/* records copied whole (template.c) */
#define EXP_MAX_OPS		32768	/* compiled ops per exporter (memory cap) */
#define EXP_MAX_SAMPLERS	256	/* sampling entries per exporter */
#define EXP_MAX_DOMAINS		64	/* sequence-tracked domains per exporter */
#define EXP_TMPL_BUCKETS	64
#define OP_VARLEN		0xffffffffu

/* What a template field becomes. */
enum fk {
	FK_SKIP = 0,
	FK_SRC4, FK_DST4, FK_NH4, FK_BGPNH4,
	FK_SRC6, FK_DST6, FK_NH6, FK_BGPNH6,
	FK_BYTES, FK_PKTS, FK_BYTES_TOT, FK_PKTS_TOT,
	FK_PROTO, FK_TOS, FK_TCPFLAGS, FK_SRCPORT, FK_DSTPORT,
	FK_SRCMASK, FK_DSTMASK, FK_INIF, FK_OUTIF, FK_PHYS_IN, FK_PHYS_OUT,
	FK_SRCAS, FK_DSTAS, FK_DIRECTION, FK_VLAN,
	FK_ICMP_TC, FK_ICMP_TYPE, FK_ICMP_CODE,
	FK_FIRST_UP, FK_LAST_UP, FK_FIRST_S, FK_LAST_S, FK_FIRST_MS,
	FK_LAST_MS, FK_FIRST_NTP, FK_LAST_NTP, FK_FIRST_DUS, FK_LAST_DUS,
	FK_SYSINIT,
	FK_SAMP_INTERVAL, FK_SAMPLER_ID, FK_SAMP_PKT_INTERVAL,
	FK_SAMP_PKT_SPACE, FK_DLFRAME, FK_DLSIZE
};

/* Time forms of a record's first/last timestamps. */
enum tform {
	TF_NONE = 0, TF_UPTIME, TF_SEC, TF_MS, TF_NTP, TF_DELTA_US
};

struct tmpl_op {
	uint32_t	off;		/* offset in a fixed-length record */
	uint32_t	len;		/* bytes, or OP_VARLEN */
	uint8_t		kind;		/* enum fk */
};

struct tmpl {
	struct tmpl	*next;		/* hash chain */
	uint32_t	 domain;
	uint16_t	 id;
	uint16_t	 nfields;	/* as received, for diagnostics */
	uint8_t		 options;	/* options template */
	uint8_t		 fixed;		/* no varlen, minlen <= TMPL_FAST_MAX */
	uint32_t	 minlen;	/* smallest record, > 0 */
	mtime_t		 updated;
	size_t		 nops;
	struct tmpl_op	 ops[];
};

struct sampler {
	uint32_t	domain;
	uint8_t		has_id;
	uint64_t	id;
	uint32_t	rate;
};

struct domain_seq {
	uint32_t	domain;
	uint32_t	next;		/* expected next sequence number */
	uint16_t	version;
	uint8_t		synced;		/* `next` is meaningful */
	mtime_t		sysinit;	/* IPFIX IE 160 from options data */
};

#define SEQ_UNKNOWN	0xffffffffu	/* dg_seq count: resynchronise */

struct exporter {
	struct exporter		*next;		/* decoder hash chain */
	struct exporter_stats	 st;
	struct tmpl		*tmpl[EXP_TMPL_BUCKETS];
	size_t			 ntmpl;
	size_t			 nops;		/* sum of compiled ops */
	struct sampler		*samp;
	size_t			 nsamp;
	struct domain_seq	 dom[EXP_MAX_DOMAINS];
	size_t			 ndom;
};

struct decoder {
	struct decoder_conf	 conf;
	struct exporter		**bucket;
	size_t			 nbucket;	/* power of two */
	size_t			 nexp;
	uint64_t		 refused;	/* datagrams over max_exporters */
};

/* One datagram being decoded. */
struct dgram {
	struct decoder		*dec;
	struct exporter		*exp;
	const struct mm_addr	*from;
	uint16_t		 port;
	mtime_t			 now;
	mtime_t			 export_ms;	/* header export time */
	int64_t			 boot_ms;	/* v9/v5: unix ms at uptime 0 */
	uint32_t		 domain;
	uint16_t		 version;
	flow_emit_fn		 emit;
	void			*arg;
	struct mm_diag		*diag;
	int			 rc;		/* first error */
	int			 stop;		/* emit's non-zero value */
	uint64_t		 nrecords;	/* data records seen (IPFIX seq) */
	int			 notmpl;	/* a data set had no template */
	struct domain_seq	*dom;		/* per-domain state, may be NULL */
};

/* Scratch for one data or options record. */
struct rec {
	struct flow	f;
	uint64_t	bytes_tot, pkts_tot;
	uint64_t	t_first, t_last, sysinit;
	uint64_t	samp_interval, sampler_id, pkt_interval, pkt_space;
	struct mm_addr	bgp_nh;
	const uint8_t	*frame;			/* IE 315, into the datagram */
	size_t		framelen;
	uint64_t	framesize;		/* IE 312 */
	uint32_t	phys_in, phys_out;
	uint16_t	icmp_tc;
	uint8_t		icmp_type, icmp_code;
	uint8_t		tf_first, tf_last;	/* enum tform */
	uint16_t	have;			/* REC_HAVE_* */
};

#define REC_HAVE_BYTES		0x0001
#define REC_HAVE_PKTS		0x0002
#define REC_HAVE_ICMP_TC	0x0004
#define REC_HAVE_ICMP_T		0x0008
#define REC_HAVE_SYSINIT	0x0010
#define REC_HAVE_SAMPLER	0x0020
#define REC_HAVE_NH		0x0040

/* decode.c */
int	dg_error(struct dgram *, int, const char *, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;
void	dg_seq(struct dgram *, uint32_t, uint32_t);
struct domain_seq *dg_domain(struct dgram *);
int	dg_emit(struct dgram *, struct flow *);

/* template.c */
int	tmpl_add(struct dgram *, uint16_t, int, const uint16_t *,
	    const uint16_t *, size_t, size_t);
void	tmpl_withdraw(struct dgram *, uint16_t, int);
struct tmpl *tmpl_find(struct dgram *, uint16_t);
void	tmpl_free_all(struct exporter *);
int	tmpl_data_set(struct dgram *, struct tmpl *, struct cursor *);

/* one per version */
int	nfv5_decode(struct dgram *, struct cursor *);
int	nfv9_decode(struct dgram *, struct cursor *);
int	ipfix_decode(struct dgram *, struct cursor *);
int	sflow_decode(struct dgram *, struct cursor *);

#endif
