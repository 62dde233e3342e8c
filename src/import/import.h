/*
 * import.h - importers: flow data recorded elsewhere (Zeek conn.log,
 * Argus/CTU-13 .binetflow, nfdump CSV, raw packet captures) turned into
 * struct flow records.
 *
 * The importers only produce flows; the caller decides where they go (the
 * CLI writes them with store_writer_add(), receive time = flow->first, so
 * imported files are partitioned by flow time). Text formats share one
 * line reader (lineio.c): plain or gzip input (detected by magic, several
 * gzip members allowed), lines capped at `max_line` bytes, CR LF accepted.
 * A bad line is counted in `malformed`, described through the sink's `warn`
 * callback (file, line number, field) and skipped; only an unreadable or
 * truncated file ends an import early. Library code never prints.
 */
#ifndef MAMORI_IMPORT_IMPORT_H
#define MAMORI_IMPORT_IMPORT_H

#include <stddef.h>
#include <stdint.h>

#include "core/err.h"
#include "core/mtime.h"
#include "flow/flow.h"

#define IMPORT_MAX_LINE		65536	/* default line cap, bytes */
#define IMPORT_MAX_FIELDS	256	/* fields per line */

enum import_text_fmt {
	IMPORT_ZEEK = 0,	/* Zeek conn.log, TSV or JSON lines */
	IMPORT_BINETFLOW,	/* Argus / CTU-13 .binetflow CSV */
	IMPORT_NFCSV,		/* nfdump -o csv */
	IMPORT_NFORMATS
};

struct import_conf {
	size_t		 max_line;	/* 0 = IMPORT_MAX_LINE */
	int		 bidir;		/* zeek: one record per connection
					 * (src = originator, counters summed)
					 * instead of two unidirectional */
};

struct import_stats {
	uint64_t	 lines;		/* lines read (incl. headers) */
	uint64_t	 records;	/* data lines accepted */
	uint64_t	 flows;		/* flows handed to emit */
	uint64_t	 malformed;	/* data lines rejected */
	uint64_t	 skipped;	/* headers, comments, trailers, empty */
	uint64_t	 bytes_in;	/* input bytes consumed (compressed) */
	/* pcap flow meter only */
	uint64_t	 packets;	/* packets read */
	uint64_t	 nonip;		/* not IP / undecodable, not metered */
	uint64_t	 expired_idle;
	uint64_t	 expired_active;
	uint64_t	 expired_tcp;	/* FIN in both directions or RST */
	uint64_t	 expired_full;	/* forced out by max_flows */
	uint64_t	 expired_eof;	/* still active at end of input */
	uint64_t	 max_active;	/* high-water mark of the flow table */
};

/* One malformed line or record: `d->msg` names file, line and field. */
typedef void	(*import_warn_fn)(void *arg, const struct mm_diag *d);
/* Progress: `done` of `total` input bytes (total 0 when unknown). */
typedef void	(*import_progress_fn)(void *arg, uint64_t done,
		    uint64_t total);

/* A per-flow label from the input (binetflow's Label column): `len`
 * bytes at `label`, not NUL-terminated, valid during the call only. Called
 * right after the flow was emitted. */
typedef void	(*import_label_fn)(void *arg, const struct flow *f,
		    const char *label, size_t len);

struct import_sink {
	flow_emit_fn		 emit;		/* required */
	import_warn_fn		 warn;		/* may be NULL */
	import_progress_fn	 progress;	/* may be NULL; ~every MiB */
	import_label_fn		 label;		/* may be NULL */
	void			*arg;
};

/* Name of a text format ("zeek", "binetflow", "nfcsv"); NULL if bad. */
const char	*import_fmt_name(enum import_text_fmt fmt);

/*
 * Imports the text file `path` (plain or gzip) in format `fmt`, calling
 * sink->emit for each flow. `conf` may be NULL for defaults; `st` is
 * cleared first and may be NULL. Returns 0 when the whole file was read
 * (malformed lines do not count as failure), MM_EIO when it cannot be
 * opened or read, MM_ETRUNC for a truncated gzip stream, MM_EFORMAT for a
 * file that is not of the format (e.g. a Zeek log of another #path), or
 * emit's non-zero value; `diag` names the file.
 */
int	import_text_file(enum import_text_fmt fmt, const char *path,
	    const struct import_conf *conf, const struct import_sink *sink,
	    struct import_stats *st, struct mm_diag *diag);

/* As import_text_file() over `len` bytes at `buf` (plain or gzip); `name`
 * is used in messages (may be NULL). */
int	import_text_mem(enum import_text_fmt fmt, const void *buf, size_t len,
	    const char *name, const struct import_conf *conf,
	    const struct import_sink *sink, struct import_stats *st,
	    struct mm_diag *diag);

/* ---- pcap flow meter (meter.c) ---- */

#define METER_IDLE_MS		15000
#define METER_ACTIVE_MS		1800000		/* 30 min */
#define METER_MAX_FLOWS		65536

struct meter_conf {
	mtime_t		 idle_ms;	/* 0 = METER_IDLE_MS */
	mtime_t		 active_ms;	/* 0 = METER_ACTIVE_MS */
	size_t		 max_flows;	/* 0 = METER_MAX_FLOWS */
	int		 no_vlan;	/* 1: VLAN id not part of the key */
};

struct meter;

/* New meter; NULL when out of memory. The flow table is allocated in full
 * (max_flows entries), so memory is fixed: ~200 bytes per entry. */
struct meter	*meter_new(const struct meter_conf *conf);
/* Frees without emitting; NULL-safe. */
void		 meter_free(struct meter *m);

/*
 * Meters every packet of the pcap/pcapng file `path` (Ethernet incl. VLAN,
 * Linux SLL/SLL2, raw IP, loopback). Flows expire by idle and active
 * timeout, on TCP FIN seen in both directions or RST, and when the table is
 * full (least recently active first); each expiry emits one unidirectional
 * flow per direction that carried packets. Flows still active at the end of
 * the file stay in the meter until meter_flush() (the CLI flushes after
 * each file; a caller may instead meter several files of one capture as
 * one). Returns 0, MM_EIO/MM_EUNSUP with `diag`, or emit's non-zero value.
 * `st` accumulates (not cleared).
 */
int	meter_pcap_file(struct meter *m, const char *path,
	    const struct import_sink *sink, struct import_stats *st,
	    struct mm_diag *diag);
/* Meters one packet (`caplen` captured bytes) of link type `link` (enum
 * packet_link) captured at `ts`; bytes counted are the IP length from the
 * header. Non-IP packets are counted in st->nonip. Returns 0 or emit's
 * non-zero value. */
int	meter_packet(struct meter *m, const uint8_t *p, size_t caplen,
	    int link, mtime_t ts, const struct import_sink *sink,
	    struct import_stats *st);
/* Emits and removes every flow still in the meter (counted as
 * expired_eof, or expired_tcp for closed TCP flows in their grace time). */
int	meter_flush(struct meter *m, const struct import_sink *sink,
	    struct import_stats *st);



/* ---- writing imported flows (batch.c) ---- */

/*
 * Imported flows arrive roughly, not strictly, in time order (Zeek logs a
 * connection when it ends; a meter emits at expiry). The store writer
 * starts a new block and reopens a file each time the receive time crosses
 * an interval, so feeding it directly would scatter tiny blocks. A batch
 * keeps up to `cap` flows, sorts them by first time (stable) and writes
 * them with receive time = first, one run per interval. Memory: cap *
 * sizeof(struct flow) + 8 bytes.
 */
#define IMPORT_BATCH_ROWS	131072

struct store_writer;
struct import_batch;

/* New batch writing to `w` (kept by the caller); cap 0 = default. */
struct import_batch *import_batch_new(struct store_writer *w, size_t cap);
/* Adds one flow; writes the batch when full. Returns 0 or the store's
 * error with `diag`. */
int	import_batch_add(struct import_batch *b, const struct flow *f,
	    struct mm_diag *diag);
/* Writes what is buffered (does not flush the store writer). */
int	import_batch_flush(struct import_batch *b, struct mm_diag *diag);
/* Rows written to the store so far. */
uint64_t import_batch_written(const struct import_batch *b);
/* Frees without writing; NULL-safe. */
void	import_batch_free(struct import_batch *b);

#endif
