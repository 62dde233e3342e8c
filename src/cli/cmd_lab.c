/*
 * cmd_lab.c - `mamori lab GENERATOR [options]`: synthetic traffic for tests,
 * demos and benchmarks. Generators are a table of sub-words (`isp` here,
 * `replay` in cmd_lab_replay.c, `flows`, `devices`).
 *
 * `lab flows` generates a labelled synthetic ISP day (lab/day.h): background
 * traffic, benign periodic services and planted botnets, in export-time
 * order; it writes them straight into a store (receive time = export time,
 * so files rotate as the collector's would), exports them over NetFlow or
 * IPFIX to a loopback collector (flows keep their day timestamps; the wire
 * runs at wall-clock speed, paced by --rate), and writes the ground truth
 * JSON (docs/lab-truth.md) for `mamori c2 eval`.
 *
 * `lab devices` (lab/devices.h) serves an emulated device fleet on
 * 127.x.y.z addresses until SIGTERM/SIGINT or --duration, with its ground
 * truth (docs/lab-devices.md) and per-address connection counts: the
 * epoll server (devsrv), the libssh password-login servers (devssh) and,
 * with --real, real lighttpd and dropbear children on free addresses of
 * the range (devreal), started before any thread and stopped at exit.
 *
 * `lab isp` draws flows from the seeded ISP model (lab/isp.h), encodes them
 * as NetFlow v5, v9 or IPFIX (flow/export.h) and sends the datagrams to a
 * LOOPBACK collector (lab/udpout.h refuses anything else), writes them to a
 * pcap (lab/pcapout.h), prints the flows as CSV ground truth, and/or prints
 * totals as JSON for tests to compare with what a collector stored.
 *
 * Sending: datagrams are batched 64 per sendmmsg(2). With --rate the sender
 * sleeps whenever it is ahead of rate*elapsed flows (flushing its batch
 * first, so low rates are smooth); with --preload every datagram is encoded
 * to memory before the clock starts, so a burst measures the receiver, not
 * the generator.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <signal.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <time.h>

#include "cli/cli.h"
#include "core/addr.h"
#include "core/err.h"
#include "core/mtime.h"
#include "flow/export.h"
#include "lab/day.h"
#include "lab/devices.h"
#include "lab/isp.h"
#include "lab/pcapout.h"
#include "lab/udpout.h"
#include "store/store.h"

#define DEF_FLOWS	100000

struct lab_gen {
	const char	*name;
	const char	*summary;
	int		(*run)(int, char **);
	void		(*usage)(FILE *);
};

/* Datagrams kept in memory for --preload. */
struct preload {
	uint8_t		*buf;
	size_t		 len, cap;
	size_t		*off;		/* start of datagram i */
	uint64_t	*cumflows;	/* flows through datagram i */
	size_t		 n, ncap;
};

/*
 * What `lab isp` and `lab flows` share: the model options both take
 * (--seed, --subscribers, --v6, --start), the export and output options
 * (lab_sink_opt()) and the sink opened from them (lab_sink_open()): the
 * exporter, the loopback sender with its --preload buffer, the pcap file,
 * CSV on stdout, the wall clock and the progress line.
 */
struct lab_sink {
	const char		*cmd;		/* "lab isp", for messages */
	uint64_t		 seed;
	unsigned		 subscribers;	/* 0 = model default */
	int			 v6_pct;	/* < 0 = model default */
	int			 v6set;		/* --v6 given */
	mtime_t			 start;		/* 0 = model default */
	enum export_format	 fmt;
	struct export_conf	 ec;
	const char		*send;		/* --send, or NULL */
	const char		*pcap_path;	/* --pcap, or NULL */
	int			 sndbuf, csv, stats;
	int			 preload, gso;
	/* flows the format cannot carry still count in span and CSV */
	int			 keep_skipped;
	double			 rate;		/* wall flows/s; 0 = max */
	struct sockaddr_storage	 ss;		/* --send, parsed */
	socklen_t		 sslen;
	struct flow_exporter	*exp;
	struct udpout		*udp;
	struct pcapout		*pcap;
	struct preload		 pre;
	uint64_t		 skipped;	/* not encodable */
	mtime_t			 first, last;	/* span of the flows */
	int			 progress;	/* line on stderr */
	double			 t_gen;		/* wall start, s */
	double			 t0;		/* wall start of sending */
	double			 t_end;		/* wall end */
	double			 last_prog;	/* last progress line */
	int			 err;		/* first emit error */
	struct mm_diag		 diag;
};

/* Option values of `lab isp` and `lab flows`: first those lab_sink_opt()
 * parses, then the ones each generator parses itself. */
enum {
	L_SEED = 256, L_SUBS, L_V6, L_START, L_FORMAT, L_MTU, L_DOMAIN,
	L_SEND, L_RATE, L_SNDBUF, L_PCAP, L_CSV, L_STATS,
	L_FLOWS, L_DURATION,
	L_SERVERS, L_TEVERY, L_TSECS, L_PRELOAD, L_GSO,
	L_BOTNETS, L_SAMPLING, L_NOBG, L_DATA, L_CODEC, L_LEVEL, L_ROTATE,
	L_TRUTH
};

static double
wall_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void
wall_sleep_until(double t)
{
	struct timespec ts;
	double d = t - wall_now();

	if (d <= 0)
		return;
	ts.tv_sec = (time_t)d;
	ts.tv_nsec = (long)((d - (double)ts.tv_sec) * 1e9);
	while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
		;
}

static int
parse_u64(const char *s, uint64_t max, uint64_t *v)
{
	char *end;
	unsigned long long x;

	if (*s == '\0' || *s == '-')
		return -1;
	errno = 0;
	x = strtoull(s, &end, 0);
	if (*end != '\0' || errno != 0 || x > max)
		return -1;
	*v = x;
	return 0;
}

static int
parse_double(const char *s, double *v)
{
	char *end;

	errno = 0;
	*v = strtod(s, &end);
	if (*s == '\0' || *end != '\0' || errno != 0 || !(*v >= 0))
		return -1;
	return 0;
}

/* Prints "mamori CMD: bad value for --NAME: 'arg'", NAME being the option
 * of `opts` whose value is `ch`. Returns EXIT_USAGE. */
static int
bad_value(const char *cmd, const struct option *opts, int ch, const char *arg)
{
	while (opts->name != NULL && opts->val != ch)
		opts++;
	cli_err(cmd, "bad value for --%s: '%s'",
	    opts->name != NULL ? opts->name : "?", arg);
	return EXIT_USAGE;
}

/* Ends option parsing at an option `ch` the generator does not take: -h
 * prints `usage` on stdout; -2 (a bad value, printed) and anything else
 * (getopt printed why) are usage errors, with `usage` on stderr but for
 * -2. Returns the exit status. */
static int
opt_end(int ch, void (*usage)(FILE *))
{
	if (ch == 'h') {
		usage(stdout);
		return EXIT_OK;
	}
	if (ch != -2)
		usage(stderr);
	return EXIT_USAGE;
}

/* Returns 0 when no operand follows the options, else -1 after printing
 * the first as `cmd`. */
static int
no_operand(const char *cmd, int argc, char **argv)
{
	if (optind == argc)
		return 0;
	cli_err(cmd, "unexpected argument '%s'", argv[optind]);
	return -1;
}

/* Writes the `what` document ("truth"): `len` bytes at `buf`, made by a
 * *_json() call that returned `jrc`, to `path` (created or truncated) and
 * frees `buf`. Returns 0, or -1 after printing the error as `cmd` ("WHAT:
 * out of memory" when jrc is not 0). */
static int
write_doc(const char *cmd, const char *what, const char *path, int jrc,
    char *buf, size_t len)
{
	FILE *fp;
	int rc = 0;

	if (jrc != 0) {
		cli_err(cmd, "%s: out of memory", what);
		return -1;
	}
	if ((fp = fopen(path, "w")) == NULL) {
		cli_err(cmd, "%s: %s", path, strerror(errno));
		free(buf);
		return -1;
	}
	if (fwrite(buf, 1, len, fp) != len)
		rc = -1;
	if (fclose(fp) != 0)
		rc = -1;
	if (rc != 0)
		cli_err(cmd, "%s: write error", path);
	free(buf);
	return rc;
}

/* The UDP port exports are addressed to: --send's if given, else the
 * format's IANA port (so a --pcap file looks like a capture at the
 * collector). */
static uint16_t
export_dport(enum export_format fmt, const struct sockaddr_storage *ss,
    int have_send)
{
	if (!have_send)
		return fmt == EXPORT_IPFIX ? 4739 : 2055;
	return ss->ss_family == AF_INET ?
	    ntohs(((const struct sockaddr_in *)ss)->sin_port) :
	    ntohs(((const struct sockaddr_in6 *)ss)->sin6_port);
}

static int
preload_add(struct preload *p, const uint8_t *buf, size_t len, uint64_t cum)
{
	void *nb;
	size_t ncap;

	if (p->len + len > p->cap) {
		ncap = p->cap ? p->cap * 2 : (1u << 20);
		while (ncap < p->len + len)
			ncap *= 2;
		if ((nb = realloc(p->buf, ncap)) == NULL)
			return MM_ENOMEM;
		p->buf = nb;
		p->cap = ncap;
	}
	if (p->n == p->ncap) {
		ncap = p->ncap ? p->ncap * 2 : 4096;
		if ((nb = realloc(p->off, ncap * sizeof(*p->off))) == NULL)
			return MM_ENOMEM;
		p->off = nb;
		if ((nb = realloc(p->cumflows, ncap * sizeof(*p->cumflows)))
		    == NULL)
			return MM_ENOMEM;
		p->cumflows = nb;
		p->ncap = ncap;
	}
	memcpy(p->buf + p->len, buf, len);
	p->off[p->n] = p->len;
	p->cumflows[p->n] = cum;
	p->len += len;
	p->n++;
	return 0;
}

static void
preload_free(struct preload *p)
{
	free(p->buf);
	free(p->off);
	free(p->cumflows);
	memset(p, 0, sizeof(*p));
}

static size_t
preload_len(const struct preload *p, size_t i)
{
	return (i + 1 < p->n ? p->off[i + 1] : p->len) - p->off[i];
}

/* The exporter's emit callback: writes the datagram to the pcap file,
 * then queues it for sending (paced by --rate) or keeps it for --preload.
 * On error sets k->err and k->diag and returns the error. */
static int
sink_emit(void *arg, const uint8_t *buf, size_t len, mtime_t now)
{
	struct lab_sink *k = arg;
	struct export_counters c;
	double due;
	int rc;

	exporter_counters(k->exp, &c);
	if (k->pcap != NULL && pcapout_write(k->pcap, buf, len, now) != 0) {
		mm_diag_set(&k->diag, MM_EIO, "pcap write: %s",
		    strerror(errno));
		return k->err = MM_EIO;
	}
	if (k->udp == NULL)
		return 0;
	if (k->preload) {
		if ((rc = preload_add(&k->pre, buf, len, c.flows)) != 0) {
			mm_diag_set(&k->diag, rc, "preload: out of memory");
			return k->err = rc;
		}
		return 0;
	}
	if ((rc = udpout_queue(k->udp, buf, len)) != 0) {
		mm_diag_set(&k->diag, rc, "send: %s", strerror(errno));
		return k->err = rc;
	}
	if (k->rate > 0) {
		due = k->t0 + (double)c.flows / k->rate;
		if (wall_now() < due) {
			if ((rc = udpout_flush(k->udp)) != 0) {
				mm_diag_set(&k->diag, rc, "send: %s",
				    strerror(errno));
				return k->err = rc;
			}
			wall_sleep_until(due);
		}
	}
	return 0;
}

/* Sends the preloaded datagrams, paced by cumulative flows. With --gso,
 * runs of equal-sized datagrams (all v5 datagrams but the last) go out as
 * UDP GSO super-datagrams; shorter runs go 64 per sendmmsg(2). */
static int
preload_send(struct lab_sink *k)
{
	struct iovec iov[UDPOUT_BATCH];
	struct preload *p = &k->pre;
	size_t i, j, n, len = 0;
	int rc;

	k->t0 = wall_now();
	for (i = 0; i < p->n; i += n) {
		n = 1;
		if (k->gso) {
			len = preload_len(p, i);
			for (; i + n < p->n && n < 1024 &&
			    preload_len(p, i + n) == len; n++)
				;
		}
		if (n >= 8)
			rc = udpout_send_gso(k->udp, p->buf + p->off[i], len,
			    n);
		else {
			n = p->n - i < UDPOUT_BATCH ? p->n - i : UDPOUT_BATCH;
			for (j = 0; j < n; j++) {
				iov[j].iov_base = p->buf + p->off[i + j];
				iov[j].iov_len = preload_len(p, i + j);
			}
			rc = udpout_sendv(k->udp, iov, n);
		}
		if (rc != 0) {
			mm_diag_set(&k->diag, rc, "send: %s", strerror(errno));
			return rc;
		}
		if (k->rate > 0)
			wall_sleep_until(k->t0 +
			    (double)p->cumflows[i + n - 1] / k->rate);
	}
	return 0;
}

static void
csv_header(FILE *fp)
{
	fprintf(fp, "first,last,src,dst,src_port,dst_port,proto,packets,"
	    "bytes,tcp_flags,tos,src_as,dst_as,in_if,out_if,src_mask,"
	    "dst_mask,nexthop,vlan,direction\n");
}

static void
csv_flow(FILE *fp, const struct flow *f)
{
	char t1[MTIME_STRLEN], t2[MTIME_STRLEN];
	char a1[ADDR_STRLEN], a2[ADDR_STRLEN], a3[ADDR_STRLEN];

	fprintf(fp, "%s,%s,%s,%s,%u,%u,%u,%" PRIu64 ",%" PRIu64 ",%u,%u,"
	    "%" PRIu32 ",%" PRIu32 ",%" PRIu32 ",%" PRIu32 ",%u,%u,%s,%u,%u\n",
	    mtime_fmt(f->first, 1, t1, sizeof(t1)),
	    mtime_fmt(f->last, 1, t2, sizeof(t2)),
	    addr_fmt(&f->src, a1, sizeof(a1)),
	    addr_fmt(&f->dst, a2, sizeof(a2)),
	    f->src_port, f->dst_port, f->proto, f->packets, f->bytes,
	    f->tcp_flags, f->tos, f->src_as, f->dst_as, f->in_if, f->out_if,
	    f->src_mask, f->dst_mask, addr_fmt(&f->nexthop, a3, sizeof(a3)),
	    f->vlan, f->direction);
}

/* Zeroes `k` for the generator `cmd` ("lab isp"), with seed 1, the
 * model's dual-stack default and export format `fmt`, and restarts
 * getopt. */
static void
lab_sink_init(struct lab_sink *k, const char *cmd, enum export_format fmt)
{
	memset(k, 0, sizeof(*k));
	k->cmd = cmd;
	k->seed = 1;
	k->v6_pct = -1;
	k->fmt = fmt;
	k->first = INT64_MAX;
	optind = 1;
}

/* Parses the option `ch` (argument `arg`) if it is one of those `lab isp`
 * and `lab flows` share. Returns 1 when parsed, 0 when not one of them,
 * -1 on a bad value (nothing printed). */
static int
lab_sink_opt(struct lab_sink *k, int ch, const char *arg)
{
	uint64_t v;

	switch (ch) {
	case L_SEED:
		if (parse_u64(arg, UINT64_MAX, &k->seed) != 0)
			return -1;
		break;
	case L_SUBS:
		if (parse_u64(arg, ISP_MAX_SUBSCRIBERS, &v) != 0 || v == 0)
			return -1;
		k->subscribers = (unsigned)v;
		break;
	case L_V6:
		if (parse_u64(arg, 100, &v) != 0)
			return -1;
		k->v6_pct = (int)v;
		k->v6set = 1;
		break;
	case L_START:
		if (mtime_parse(arg, &k->start) != 0 || k->start <= 0)
			return -1;
		break;
	case L_FORMAT:
		if (export_format_parse(arg, &k->fmt) != 0)
			return -1;
		break;
	case L_MTU:
		if (parse_u64(arg, EXPORT_MAX_MTU, &v) != 0 ||
		    v < EXPORT_MIN_MTU)
			return -1;
		k->ec.mtu = (size_t)v;
		break;
	case L_DOMAIN:
		if (parse_u64(arg, UINT32_MAX, &v) != 0)
			return -1;
		k->ec.domain = (uint32_t)v;
		break;
	case L_SEND:
		k->send = arg;
		break;
	case L_RATE:
		if (parse_double(arg, &k->rate) != 0)
			return -1;
		break;
	case L_SNDBUF:
		if (parse_u64(arg, INT_MAX, &v) != 0)
			return -1;
		k->sndbuf = (int)v;
		break;
	case L_PCAP:
		k->pcap_path = arg;
		break;
	case L_CSV:
		k->csv = 1;
		break;
	case L_STATS:
		k->stats = 1;
		break;
	default:
		return 0;
	}
	return 1;
}

/* The next option of `argv` (getopt_long() over `opts`) that
 * lab_sink_opt() does not take; those it takes are stored in `k`.
 * Returns that option, -1 at the end of the options, or -2 after
 * printing a bad value. */
static int
lab_sink_next(struct lab_sink *k, int argc, char **argv,
    const struct option *opts)
{
	int ch, h;

	while ((ch = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		if ((h = lab_sink_opt(k, ch, optarg)) == 0)
			return ch;
		if (h < 0) {
			bad_value(k->cmd, opts, ch, optarg);
			return -2;
		}
	}
	return -1;
}

/* NetFlow v5 carries IPv4 only: --v6 above 0 given with it is a usage
 * error (printed; returns -1), else the dual-stack share becomes 0. */
static int
lab_sink_v5(struct lab_sink *k)
{
	if (k->v6set && k->v6_pct > 0) {
		cli_err(k->cmd, "--format v5 carries IPv4 only; "
		    "use --v6 0 or another format");
		return -1;
	}
	k->v6_pct = 0;
	return 0;
}

/* Parses the --send address, if given. Returns 0, or -1 after printing
 * the (usage) error. */
static int
lab_sink_dest(struct lab_sink *k)
{
	if (k->send != NULL &&
	    udpout_parse_dest(k->send, &k->ss, &k->sslen, &k->diag) != 0) {
		cli_err(k->cmd, "--send %s", k->diag.msg);
		return -1;
	}
	return 0;
}

/* Opens the exporter (with `export`), the sender (--send) and the pcap
 * file (--pcap), prints the CSV header (--csv) and starts the clock.
 * Returns 0, or -1 after printing the error; lab_sink_close() frees. */
static int
lab_sink_open(struct lab_sink *k, int export)
{
	if (export && (k->exp = exporter_new(k->fmt, &k->ec)) == NULL) {
		cli_err(k->cmd, "cannot create exporter");
		return -1;
	}
	if (k->send != NULL && (k->udp = udpout_open(&k->ss, k->sslen,
	    k->ec.mtu ? k->ec.mtu : EXPORT_DEF_MTU, k->sndbuf,
	    &k->diag)) == NULL) {
		cli_err(k->cmd, "%s: %s", k->send, k->diag.msg);
		return -1;
	}
	if (k->pcap_path != NULL && (k->pcap = pcapout_open(k->pcap_path,
	    50000, export_dport(k->fmt, &k->ss, k->send != NULL),
	    &k->diag)) == NULL) {
		cli_err(k->cmd, "%s", k->diag.msg);
		return -1;
	}
	if (k->csv) {
		setvbuf(stdout, NULL, _IOFBF, 1 << 16);
		csv_header(stdout);
	}
	k->progress = cli_progress_enabled();
	k->t0 = k->t_gen = k->last_prog = wall_now();
	return 0;
}

/* Exports `f` at traffic time `now` (if an exporter is open), widens the
 * span and prints `f` with --csv. A flow the format cannot carry is
 * counted in k->skipped and, unless k->keep_skipped, left out of span and
 * CSV. Returns 0, 1 for such a flow, or -1 when the export failed (the
 * caller stops; lab_sink_finish() reports it). */
static int
lab_sink_emit(struct lab_sink *k, const struct flow *f, mtime_t now)
{
	int rc, skip = 0;

	if (k->exp != NULL) {
		rc = exporter_add(k->exp, f, now, sink_emit, k);
		if (rc == MM_EUNSUP) {
			k->skipped++;
			skip = 1;
		} else if (rc != 0)
			return -1;
	}
	if (skip && !k->keep_skipped)
		return 1;
	if (f->first < k->first)
		k->first = f->first;
	if (f->last > k->last)
		k->last = f->last;
	if (k->csv)
		csv_flow(stdout, f);
	return skip;
}

/* One progress line on stderr ("\rmamori lab isp: N flows, R flows/s")
 * when enabled, at most every 64 Ki flows and 0.5 s of wall time. */
static void
lab_sink_tick(struct lab_sink *k, uint64_t n)
{
	if (!k->progress || (n & 0xffff) != 0 ||
	    wall_now() - k->last_prog < 0.5)
		return;
	k->last_prog = wall_now();
	fprintf(stderr, "\rmamori %s: %" PRIu64 " flows, %.0f flows/s   ",
	    k->cmd, n, (double)n / (k->last_prog - k->t_gen));
}

/* Ends the export at traffic time `now`: flushes the exporter, sends the
 * --preload buffer and the last batch. Returns 0, or -1 after printing
 * the first error (an emit error included). */
static int
lab_sink_finish(struct lab_sink *k, mtime_t now)
{
	if (k->exp != NULL && k->err == 0)
		exporter_flush(k->exp, now, sink_emit, k);
	if (k->err != 0) {
		cli_err(k->cmd, "%s", k->diag.msg);
		return -1;
	}
	if (k->udp != NULL && k->preload && preload_send(k) != 0) {
		cli_err(k->cmd, "%s", k->diag.msg);
		return -1;
	}
	if (k->udp != NULL && udpout_flush(k->udp) != 0) {
		cli_err(k->cmd, "send: %s", strerror(errno));
		return -1;
	}
	return 0;
}

/* Closes the pcap file if open. Returns 0, or -1 after printing a write
 * error. */
static int
lab_sink_pcap_close(struct lab_sink *k)
{
	int rc;

	if (k->pcap == NULL)
		return 0;
	rc = pcapout_close(k->pcap);
	k->pcap = NULL;
	if (rc != 0) {
		cli_err(k->cmd, "%s: write error", k->pcap_path);
		return -1;
	}
	return 0;
}

/* Stops the clock, clears the progress line and flushes the CSV. Returns
 * 0, or -1 after printing a write error. */
static int
lab_sink_done(struct lab_sink *k)
{
	k->t_end = wall_now();
	if (k->progress)
		fprintf(stderr, "\r%60s\r", "");
	if (k->csv && fflush(stdout) != 0) {
		cli_err(k->cmd, "stdout: %s", strerror(errno));
		return -1;
	}
	return 0;
}

/* Copies the exporter's and the sender's totals (zero for those not open)
 * and returns where the --stats line goes: stdout, or stderr with --csv. */
static FILE *
lab_sink_counters(const struct lab_sink *k, struct export_counters *c,
    struct udpout_counters *uc)
{
	memset(c, 0, sizeof(*c));
	memset(uc, 0, sizeof(*uc));
	if (k->exp != NULL)
		exporter_counters(k->exp, c);
	if (k->udp != NULL)
		udpout_counters(k->udp, uc);
	return k->csv ? stderr : stdout;
}

/* Prints the span of the flows as ,"first":"T","last":"T" (empty strings
 * unless `any`). */
static void
lab_sink_span(const struct lab_sink *k, FILE *fp, int any)
{
	char t1[MTIME_STRLEN], t2[MTIME_STRLEN];

	fprintf(fp, ",\"first\":\"%s\",\"last\":\"%s\"",
	    any ? mtime_fmt(k->first, 1, t1, sizeof(t1)) : "",
	    any ? mtime_fmt(k->last, 1, t2, sizeof(t2)) : "");
}

/* Prints ,"PFXseconds":S,"PFXflows_per_sec":R for `n` flows from wall
 * time `from` to the end. */
static void
lab_sink_rate(const struct lab_sink *k, FILE *fp, const char *pfx,
    double from, uint64_t n)
{
	fprintf(fp, ",\"%sseconds\":%.3f,\"%sflows_per_sec\":%.0f", pfx,
	    k->t_end - from, pfx,
	    k->t_end > from ? (double)n / (k->t_end - from) : 0.0);
}

/* Closes and frees what lab_sink_open() opened (a pcap file without
 * reporting errors); `k` may be partly open. */
static void
lab_sink_close(struct lab_sink *k)
{
	if (k->pcap != NULL)
		pcapout_close(k->pcap);
	udpout_close(k->udp);
	preload_free(&k->pre);
	exporter_free(k->exp);
}

/* ---- lab isp ---- */

static void
usage_isp(FILE *fp)
{
	fprintf(fp,
	    "usage: mamori lab isp [--seed N] [--subscribers N] [--servers N] [--v6 PCT]\n"
	    "                      [--flows N] [--duration DUR] [--start TIME]\n"
	    "                      [--format v5|v9|ipfix] [--mtu BYTES] [--domain ID]\n"
	    "                      [--template-every N] [--template-secs S]\n"
	    "                      [--send ADDR:PORT] [--rate FLOWS_PER_SEC] [--preload [--gso]]\n"
	    "                      [--sndbuf BYTES] [--pcap FILE] [--csv] [--stats]\n"
	    "\n"
	    "Generates the flows of a synthetic ISP (seeded, deterministic) and exports\n"
	    "them. Subscribers are 100.64.0.0/16 and 2001:db8:100::/48, servers\n"
	    "198.18.0.0/15 and 2001:db8:f000::/36: data only, never contacted.\n"
	    "\n"
	    "  --seed N             PRNG seed (default 1); same seed, same flows\n"
	    "  --subscribers N      subscribers (default 5000, max 65000)\n"
	    "  --servers N          remote servers (default 20000, 1000..60000)\n"
	    "  --v6 PCT             dual-stack subscribers in %% (default 40; 0 for v5)\n"
	    "  --flows N            flows to generate (default 100000)\n"
	    "  --duration DUR       traffic time they span (90s, 15m, 2h); with --flows\n"
	    "                       sets the flow rate, alone stops at 10000 flows/s * DUR\n"
	    "  --start TIME         time of the first flow (default 2026-01-01T00:00:00Z)\n"
	    "  --format F           v5, v9 or ipfix (default v9); v5 carries IPv4 only\n"
	    "  --mtu BYTES          datagram size cap (default 1400)\n"
	    "  --domain ID          v9 source id / IPFIX observation domain (default 0)\n"
	    "  --template-every N   resend templates every N datagrams (default 20)\n"
	    "  --template-secs S    ... and every S seconds of traffic time (default 30)\n"
	    "  --send ADDR:PORT     send over UDP; ONLY 127.0.0.0/8 or [::1] accepted\n"
	    "  --rate R             pace sending at R flows/s of wall time (0 = max)\n"
	    "  --preload            encode everything first, then send (for bursts)\n"
	    "  --gso                with --preload: send equal-sized datagrams as UDP\n"
	    "                       GSO super-datagrams (Linux; implies --preload)\n"
	    "  --sndbuf BYTES       socket send buffer\n"
	    "  --pcap FILE          write the datagrams as pcap (UDP 127.0.0.1 -> 127.0.0.1)\n"
	    "  --csv                print the flows as CSV on stdout (ground truth)\n"
	    "  --stats              print totals as one JSON line at the end (on stdout,\n"
	    "                       or stderr with --csv)\n");
}

static const struct option isp_opts[] = {
	{ "seed", required_argument, NULL, L_SEED },
	{ "subscribers", required_argument, NULL, L_SUBS },
	{ "servers", required_argument, NULL, L_SERVERS },
	{ "v6", required_argument, NULL, L_V6 },
	{ "flows", required_argument, NULL, L_FLOWS },
	{ "duration", required_argument, NULL, L_DURATION },
	{ "start", required_argument, NULL, L_START },
	{ "format", required_argument, NULL, L_FORMAT },
	{ "mtu", required_argument, NULL, L_MTU },
	{ "domain", required_argument, NULL, L_DOMAIN },
	{ "template-every", required_argument, NULL, L_TEVERY },
	{ "template-secs", required_argument, NULL, L_TSECS },
	{ "send", required_argument, NULL, L_SEND },
	{ "rate", required_argument, NULL, L_RATE },
	{ "preload", no_argument, NULL, L_PRELOAD },
	{ "gso", no_argument, NULL, L_GSO },
	{ "sndbuf", required_argument, NULL, L_SNDBUF },
	{ "pcap", required_argument, NULL, L_PCAP },
	{ "csv", no_argument, NULL, L_CSV },
	{ "stats", no_argument, NULL, L_STATS },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 }
};

static int
run_isp(int argc, char **argv)
{
	struct isp_conf ic;
	struct lab_sink k;
	struct isp *g = NULL;
	struct flow f;
	struct export_counters c;
	struct udpout_counters uc;
	uint64_t v, nflows = 0, maxflows = DEF_FLOWS;
	mtime_t duration = 0, end = INT64_MAX;
	int ch, h, have_flows = 0, rc = EXIT_RUNTIME;
	FILE *sfp;

	memset(&ic, 0, sizeof(ic));
	lab_sink_init(&k, "lab isp", EXPORT_NFV9);
	while ((ch = lab_sink_next(&k, argc, argv, isp_opts)) != -1) {
		switch (ch) {
		case L_SERVERS:
			if (parse_u64(optarg, ISP_MAX_SERVERS, &v) != 0 ||
			    v < 1000)
				goto bad;
			ic.servers = (unsigned)v;
			break;
		case L_FLOWS:
			if (parse_u64(optarg, UINT64_MAX, &maxflows) != 0)
				goto bad;
			have_flows = 1;
			break;
		case L_DURATION:
			if (mtime_parse_duration(optarg, &duration) != 0 ||
			    duration <= 0)
				goto bad;
			break;
		case L_TEVERY:
			if (parse_u64(optarg, UINT32_MAX, &v) != 0 || v == 0)
				goto bad;
			k.ec.tmpl_every_pkts = (unsigned)v;
			break;
		case L_TSECS:
			if (parse_u64(optarg, 86400 * 365, &v) != 0)
				goto bad;
			k.ec.tmpl_every_ms = v == 0 ? -1 : (mtime_t)v * 1000;
			break;
		case L_PRELOAD:
			k.preload = 1;
			break;
		case L_GSO:
			k.gso = 1;
			k.preload = 1;
			break;
		default:
			return opt_end(ch, usage_isp);
		}
	}
	if (no_operand(k.cmd, argc, argv) != 0)
		return EXIT_USAGE;
	if (k.send == NULL && k.pcap_path == NULL && !k.csv && !k.stats) {
		cli_err(k.cmd, "nothing to do: give --send, --pcap, --csv "
		    "or --stats");
		return EXIT_USAGE;
	}
	if (k.fmt == EXPORT_NFV5 && lab_sink_v5(&k) != 0)
		return EXIT_USAGE;
	if (duration > 0) {
		if (have_flows)
			ic.flows_per_sec = (double)maxflows * 1000.0 /
			    (double)duration;
		else
			maxflows = UINT64_MAX;
	}
	if (lab_sink_dest(&k) != 0)
		return EXIT_USAGE;
	ic.seed = k.seed;
	ic.subscribers = k.subscribers;
	ic.v6_pct = k.v6_pct;
	ic.start = k.start;
	if ((g = isp_new(&ic)) == NULL) {
		cli_err(k.cmd, "bad generator configuration");
		return EXIT_USAGE;
	}
	if (duration > 0)
		end = isp_clock(g) + duration;
	if (lab_sink_open(&k, 1) != 0)
		goto out;

	while (nflows < maxflows) {
		isp_next(g, &f);
		if (isp_clock(g) > end)
			break;
		if ((h = lab_sink_emit(&k, &f, isp_clock(g))) > 0)
			continue;
		if (h < 0)
			break;
		nflows++;
		lab_sink_tick(&k, nflows);
	}
	if (lab_sink_finish(&k, isp_clock(g)) != 0 || lab_sink_done(&k) != 0 ||
	    lab_sink_pcap_close(&k) != 0)
		goto out;
	if (k.stats) {
		sfp = lab_sink_counters(&k, &c, &uc);
		fprintf(sfp, "{\"format\":\"%s\",\"seed\":%" PRIu64
		    ",\"flows\":%" PRIu64 ",\"packets\":%" PRIu64
		    ",\"bytes\":%" PRIu64 ",\"datagrams\":%" PRIu64
		    ",\"datagram_bytes\":%" PRIu64 ",\"templates\":%" PRIu64
		    ",\"skipped\":%" PRIu64 ",\"sent_datagrams\":%" PRIu64
		    ",\"send_errors\":%" PRIu64 ",\"syscalls\":%" PRIu64,
		    export_format_name(k.fmt), ic.seed, c.flows, c.packets,
		    c.bytes, c.datagrams, c.octets, c.templates, k.skipped,
		    uc.datagrams, uc.errors, uc.syscalls);
		lab_sink_span(&k, sfp, nflows != 0);
		lab_sink_rate(&k, sfp, "", k.t_gen, c.flows);
		lab_sink_rate(&k, sfp, "send_", k.t0, c.flows);
		fprintf(sfp, "}\n");
	}
	rc = EXIT_OK;
out:
	lab_sink_close(&k);
	isp_free(g);
	return rc;
bad:
	return bad_value(k.cmd, isp_opts, ch, optarg);
}

/* ---- lab flows ---- */

static void
usage_lflows(FILE *fp)
{
	fprintf(fp,
	    "usage: mamori lab flows [--seed N] [--subscribers N] [--botnets K] [--v6 PCT]\n"
	    "                        [--start TIME] [--duration DUR] [--flows N]\n"
	    "                        [--sampling N] [--no-background]\n"
	    "                        [--data DIR [--codec zstd|lz4|none] [--level N]\n"
	    "                         [--rotate SECS]]\n"
	    "                        [--send ADDR:PORT [--format v5|v9|ipfix] [--rate R]\n"
	    "                         [--mtu BYTES] [--domain ID] [--sndbuf BYTES]]\n"
	    "                        [--pcap FILE] [--truth FILE] [--csv] [--stats]\n"
	    "\n"
	    "Generates one labelled synthetic ISP day (seeded, deterministic):\n"
	    "background traffic, benign periodic services and K planted botnets\n"
	    "beaconing to C&C servers, in export-time order. Addresses are data only.\n"
	    "\n"
	    "  --seed N             PRNG seed (default 1); same seed, same day\n"
	    "  --subscribers N      subscribers (default 5000, max 65000)\n"
	    "  --botnets K          planted botnets (default 12, max 64; 0 = none)\n"
	    "  --v6 PCT             dual-stack subscribers in %% (default 40)\n"
	    "  --start TIME         start of the day (default 2026-01-01T00:00:00Z)\n"
	    "  --duration DUR       length (default 24h; 1m..31d)\n"
	    "  --flows N            total flows before sampling; the background fills\n"
	    "                       what the periodic services and botnets leave\n"
	    "                       (default: 250 background flows per subscriber\n"
	    "                       per day, ~2 M flows in all at 5000 subscribers)\n"
	    "  --sampling N         1-in-N packet sampling: thin packets, drop flows\n"
	    "                       left with none, announce N in the export\n"
	    "  --no-background      only periodic services and botnets\n"
	    "  --data DIR           write the flows into the store at DIR (receive\n"
	    "                       time = export time); --codec, --level (default\n"
	    "                       1 here), --rotate (seconds, default 300) as for\n"
	    "                       mamori collect\n"
	    "  --send ADDR:PORT     export over UDP; ONLY 127.0.0.0/8 or [::1]\n"
	    "  --format F           v5, v9 or ipfix (default ipfix)\n"
	    "  --rate R             pace sending at R flows/s of wall time (0 = max)\n"
	    "  --pcap FILE          write the export datagrams as pcap (UDP 127.0.0.1)\n"
	    "  --truth FILE         write the ground truth JSON (docs/lab-truth.md)\n"
	    "  --csv                print the flows as CSV on stdout\n"
	    "  --stats              print totals as one JSON line at the end (on stdout,\n"
	    "                       or stderr with --csv)\n");
}

static const struct option flows_opts[] = {
	{ "seed", required_argument, NULL, L_SEED },
	{ "subscribers", required_argument, NULL, L_SUBS },
	{ "botnets", required_argument, NULL, L_BOTNETS },
	{ "v6", required_argument, NULL, L_V6 },
	{ "start", required_argument, NULL, L_START },
	{ "duration", required_argument, NULL, L_DURATION },
	{ "flows", required_argument, NULL, L_FLOWS },
	{ "sampling", required_argument, NULL, L_SAMPLING },
	{ "no-background", no_argument, NULL, L_NOBG },
	{ "data", required_argument, NULL, L_DATA },
	{ "codec", required_argument, NULL, L_CODEC },
	{ "level", required_argument, NULL, L_LEVEL },
	{ "rotate", required_argument, NULL, L_ROTATE },
	{ "send", required_argument, NULL, L_SEND },
	{ "format", required_argument, NULL, L_FORMAT },
	{ "rate", required_argument, NULL, L_RATE },
	{ "mtu", required_argument, NULL, L_MTU },
	{ "domain", required_argument, NULL, L_DOMAIN },
	{ "sndbuf", required_argument, NULL, L_SNDBUF },
	{ "truth", required_argument, NULL, L_TRUTH },
	{ "csv", no_argument, NULL, L_CSV },
	{ "stats", no_argument, NULL, L_STATS },
	{ "pcap", required_argument, NULL, L_PCAP },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 }
};

static int
run_lflows(int argc, char **argv)
{
	struct day_conf dc;
	struct store_conf sc;
	struct lab_sink k;
	struct day *d = NULL;
	struct store_writer *w = NULL;
	struct flow f;
	struct export_counters c;
	struct udpout_counters uc;
	struct day_counters dcnt;
	struct mm_diag diag;
	const char *data = NULL, *truth = NULL;
	char *buf = NULL;
	size_t len = 0;
	uint64_t v, n = 0, rows = 0, blocks = 0, sbytes = 0;
	mtime_t key = 0;
	int ch, h, export, rc = EXIT_RUNTIME;
	FILE *sfp;

	memset(&dc, 0, sizeof(dc));
	memset(&sc, 0, sizeof(sc));
	memset(&diag, 0, sizeof(diag));
	lab_sink_init(&k, "lab flows", EXPORT_IPFIX);
	k.keep_skipped = 1;
	dc.botnets = -1;
	while ((ch = lab_sink_next(&k, argc, argv, flows_opts)) != -1) {
		switch (ch) {
		case L_BOTNETS:
			if (parse_u64(optarg, DAY_MAX_BOTNETS, &v) != 0)
				goto bad;
			dc.botnets = (int)v;
			break;
		case L_DURATION:
			if (mtime_parse_duration(optarg, &dc.duration) != 0 ||
			    dc.duration < 60000 ||
			    dc.duration > DAY_MAX_DURATION)
				goto bad;
			break;
		case L_FLOWS:
			if (parse_u64(optarg, UINT64_MAX, &dc.flows) != 0 ||
			    dc.flows == 0)
				goto bad;
			break;
		case L_SAMPLING:
			if (parse_u64(optarg, DAY_MAX_SAMPLING, &v) != 0 ||
			    v == 0)
				goto bad;
			dc.sampling = (uint32_t)v;
			break;
		case L_NOBG:
			dc.no_background = 1;
			break;
		case L_DATA:
			data = optarg;
			break;
		case L_CODEC:
			if (strcmp(optarg, "zstd") == 0)
				sc.codec = STORE_ZSTD;
			else if (strcmp(optarg, "lz4") == 0)
				sc.codec = STORE_LZ4;
			else if (strcmp(optarg, "none") == 0)
				sc.codec = STORE_NONE;
			else
				goto bad;
			break;
		case L_LEVEL:
			if (parse_u64(optarg, 22, &v) != 0)
				goto bad;
			sc.level = (int)v;
			break;
		case L_ROTATE:
			if (parse_u64(optarg, 86400, &v) != 0 || v < 1)
				goto bad;
			sc.rotate_ms = (mtime_t)v * 1000;
			break;
		case L_TRUTH:
			truth = optarg;
			break;
		default:
			return opt_end(ch, usage_lflows);
		}
	}
	if (no_operand(k.cmd, argc, argv) != 0)
		return EXIT_USAGE;
	export = k.send != NULL || k.pcap_path != NULL;
	if (data == NULL && !export && truth == NULL && !k.csv && !k.stats) {
		cli_err(k.cmd, "nothing to do: give --data, --send, "
		    "--pcap, --truth, --csv or --stats");
		return EXIT_USAGE;
	}
	if (export && k.fmt == EXPORT_NFV5 && lab_sink_v5(&k) != 0)
		return EXIT_USAGE;
	if (lab_sink_dest(&k) != 0)
		return EXIT_USAGE;
	dc.seed = k.seed;
	dc.subscribers = k.subscribers;
	dc.v6_pct = k.v6_pct;
	dc.start = k.start;
	if ((d = day_new(&dc, &diag)) == NULL) {
		cli_err(k.cmd, "%s", diag.msg);
		return EXIT_USAGE;
	}
	if (data != NULL) {
		/* zstd level 1: on these columns as small as level 3 and
		 * ~20 % cheaper, which keeps the store path above 2 M
		 * flows/s per core */
		if (sc.level == 0)
			sc.level = 1;
		/* blocks fill or close at rotation, as in a busy collector;
		 * a 1 s flush of simulated time would make tiny blocks */
		if (sc.rotate_ms == 0)
			sc.rotate_ms = 300000;
		sc.flush_ms = sc.rotate_ms;
		if (store_writer_open(data, &sc, &w, &diag) != 0) {
			cli_err(k.cmd, "%s", diag.msg);
			goto out;
		}
	}
	if (export && day_conf(d)->sampling > 1) {
		k.ec.sampling = day_conf(d)->sampling > 0x3fff ? 0x3fff :
		    (uint16_t)day_conf(d)->sampling;
		k.ec.sampling_fields = 1;
	}
	if (lab_sink_open(&k, export) != 0)
		goto out;

	while (day_next(d, &f, &key) == 1) {
		if (w != NULL && store_writer_add(w, &f, key, &diag) != 0) {
			cli_err(k.cmd, "%s", diag.msg);
			goto out;
		}
		if (lab_sink_emit(&k, &f, key) < 0)
			break;
		n++;
		lab_sink_tick(&k, n);
	}
	if (lab_sink_finish(&k, key) != 0 || lab_sink_pcap_close(&k) != 0)
		goto out;
	if (w != NULL) {
		if (store_writer_flush(w, &diag) != 0) {
			cli_err(k.cmd, "%s", diag.msg);
			goto out;
		}
		store_writer_counts(w, &rows, &blocks, &sbytes);
		h = store_writer_close(w, &diag);
		w = NULL;
		if (h != 0) {
			cli_err(k.cmd, "%s", diag.msg);
			goto out;
		}
	}
	if (lab_sink_done(&k) != 0)
		goto out;
	if (truth != NULL) {
		h = day_truth_json(d, &buf, &len);
		if (write_doc(k.cmd, "truth", truth, h, buf, len) != 0)
			goto out;
	}
	if (k.stats) {
		day_counters(d, &dcnt);
		sfp = lab_sink_counters(&k, &c, &uc);
		fprintf(sfp, "{\"generator\":\"flows\",\"seed\":%" PRIu64
		    ",\"subscribers\":%u,\"botnets\":%d,\"sampling\":%u"
		    ",\"flows\":%" PRIu64 ",\"packets\":%" PRIu64
		    ",\"bytes\":%" PRIu64 ",\"background\":%" PRIu64
		    ",\"periodic\":%" PRIu64 ",\"botnet\":%" PRIu64
		    ",\"sampled_out\":%" PRIu64,
		    day_conf(d)->seed, day_conf(d)->subscribers,
		    day_conf(d)->botnets, day_conf(d)->sampling, dcnt.flows,
		    dcnt.packets, dcnt.bytes, dcnt.background, dcnt.periodic,
		    dcnt.botnet, dcnt.sampled_out);
		lab_sink_span(&k, sfp, dcnt.flows != 0);
		if (data != NULL)
			fprintf(sfp, ",\"store_rows\":%" PRIu64
			    ",\"store_blocks\":%" PRIu64
			    ",\"store_bytes\":%" PRIu64, rows, blocks, sbytes);
		if (k.exp != NULL)
			fprintf(sfp, ",\"format\":\"%s\",\"exported\":%"
			    PRIu64 ",\"skipped\":%" PRIu64 ",\"datagrams\":%"
			    PRIu64 ",\"sent_datagrams\":%" PRIu64
			    ",\"send_errors\":%" PRIu64,
			    export_format_name(k.fmt), c.flows, k.skipped,
			    c.datagrams, uc.datagrams, uc.errors);
		lab_sink_rate(&k, sfp, "", k.t_gen, dcnt.flows);
		fprintf(sfp, "}\n");
	}
	rc = EXIT_OK;
out:
	if (w != NULL)
		store_writer_close(w, NULL);
	lab_sink_close(&k);
	day_free(d);
	return rc;
bad:
	return bad_value(k.cmd, flows_opts, ch, optarg);
}

/* ---- lab devices ---- */

#define LAB_LIGHTTPD	"/usr/sbin/lighttpd"
#define LAB_DROPBEAR	"/usr/sbin/dropbear"

static volatile int dev_stop;

static void
dev_on_signal(int sig)
{
	(void)sig;
	dev_stop = 1;
}

static void
usage_ldevices(FILE *fp)
{
	fprintf(fp,
	    "usage: mamori lab devices --range 127.A.B.C/LEN [--live-pct PCT] [--seed N]\n"
	    "                          [--hostile PCT] [--truth FILE] [--no-secrets]\n"
	    "                          [--counts FILE] [--duration DUR] [--max-conns N]\n"
	    "                          [--idle S] [--real LIST] [--fixed FILE]\n"
	    "\n"
	    "Emulates a fleet of IoT telnet devices, cameras and routers over HTTP,\n"
	    "VPN portals and SSH servers on the addresses of a range inside\n"
	    "127.0.0.0/8 (refused otherwise), in one process, until SIGTERM/SIGINT\n"
	    "or --duration. Prints \"listening on N ports across M addresses\" to\n"
	    "stderr once every socket is bound. Truth format: docs/lab-devices.md.\n"
	    "\n"
	    "  --range CIDR         addresses to use, /16 to /32 inside 127.0.0.0/8\n"
	    "  --live-pct PCT       share of live addresses (default 4)\n"
	    "  --seed N             PRNG seed (default 1); same seed, same fleet\n"
	    "  --hostile PCT        share of live devices that are hostile (default 0)\n"
	    "  --truth FILE         write the ground truth JSON at start\n"
	    "  --no-secrets         leave the default passwords out of the truth\n"
	    "  --counts FILE        write per-address connection counts at exit\n"
	    "  --duration DUR       stop after DUR (90s, 15m, 2h)\n"
	    "  --max-conns N        cap on open connections (default from\n"
	    "                       RLIMIT_NOFILE, raised to its hard limit)\n"
	    "  --idle S             close connections idle for S seconds (default 10)\n"
	    "  --real LIST          also run real servers, comma-separated:\n"
	    "                       lighttpd (two: mod_auth Basic and Digest, from\n"
	    "                       " LAB_LIGHTTPD ") and dropbear (identification\n"
	    "                       only, from " LAB_DROPBEAR "); files under the\n"
	    "                       truth file's directory; missing binaries are\n"
	    "                       reported and skipped\n"
	    "  --fixed FILE         addresses (one per line, # comments) whose\n"
	    "                       owners fixed them: planned as silent (every\n"
	    "                       exposed service closed); for recheck tests\n");
}

enum {
	D_RANGE = 256, D_LIVE, D_SEED, D_HOSTILE, D_TRUTH, D_NOSECRETS,
	D_COUNTS, D_DURATION, D_MAXCONNS, D_IDLE, D_REAL, D_FIXED
};

static const struct option devices_opts[] = {
	{ "range", required_argument, NULL, D_RANGE },
	{ "live-pct", required_argument, NULL, D_LIVE },
	{ "seed", required_argument, NULL, D_SEED },
	{ "hostile", required_argument, NULL, D_HOSTILE },
	{ "truth", required_argument, NULL, D_TRUTH },
	{ "no-secrets", no_argument, NULL, D_NOSECRETS },
	{ "counts", required_argument, NULL, D_COUNTS },
	{ "duration", required_argument, NULL, D_DURATION },
	{ "max-conns", required_argument, NULL, D_MAXCONNS },
	{ "idle", required_argument, NULL, D_IDLE },
	{ "real", required_argument, NULL, D_REAL },
	{ "fixed", required_argument, NULL, D_FIXED },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 }
};

/* Parses --real: "lighttpd", "dropbear", comma-separated. Returns a mask
 * of 1 (lighttpd) and 2 (dropbear), or -1. */
static int
parse_real(const char *s)
{
	const char *e;
	size_t n;
	int m = 0;

	for (; *s != '\0'; s = *e ? e + 1 : e) {
		e = strchr(s, ',');
		if (e == NULL)
			e = s + strlen(s);
		n = (size_t)(e - s);
		if (n == 0 || (*e == ',' && e[1] == '\0'))
			return -1;
		if (n == 8 && strncmp(s, "lighttpd", 8) == 0)
			m |= 1;
		else if (n == 8 && strncmp(s, "dropbear", 8) == 0)
			m |= 2;
		else
			return -1;
	}
	return m == 0 ? -1 : m;
}

/* Adds the real servers of `mask` whose binaries answer to the plan;
 * says so on stderr and goes on for those that do not. */
static void
add_real(struct dev_plan *plan, int mask)
{
	struct mm_diag diag;
	char ver[32];
	int rc;

	memset(&diag, 0, sizeof(diag));
	if (mask & 1) {
		rc = devreal_version(REAL_LIGHTTPD_BASIC, LAB_LIGHTTPD, ver,
		    sizeof(ver), &diag);
		if (rc == MM_ENOENT)
			fprintf(stderr, "mamori lab devices: --real: %s not "
			    "found; going on without lighttpd\n",
			    LAB_LIGHTTPD);
		else if (rc != 0)
			fprintf(stderr, "mamori lab devices: --real: %s; going "
			    "on without lighttpd\n", diag.msg);
		else if (devplan_add_real(plan, REAL_LIGHTTPD_BASIC, ver,
		    &diag) != 0 || devplan_add_real(plan,
		    REAL_LIGHTTPD_DIGEST, ver, &diag) != 0)
			fprintf(stderr, "mamori lab devices: --real: %s\n",
			    diag.msg);
	}
	if (mask & 2) {
		rc = devreal_version(REAL_DROPBEAR, LAB_DROPBEAR, ver,
		    sizeof(ver), &diag);
		if (rc == MM_ENOENT)
			fprintf(stderr, "mamori lab devices: --real: %s not "
			    "found; going on without dropbear\n",
			    LAB_DROPBEAR);
		else if (rc != 0)
			fprintf(stderr, "mamori lab devices: --real: %s; going "
			    "on without dropbear\n", diag.msg);
		else if (devplan_add_real(plan, REAL_DROPBEAR, ver, &diag) !=
		    0)
			fprintf(stderr, "mamori lab devices: --real: %s\n",
			    diag.msg);
	}
}

/* The directory of `path` ("." without a slash), in `buf`. */
static const char *
dir_of(const char *path, char *buf, size_t len)
{
	const char *sl;

	if (path == NULL) {
		sl = getenv("TMPDIR");
		return sl != NULL && *sl != '\0' ? sl : "/tmp";
	}
	if ((sl = strrchr(path, '/')) == NULL)
		return ".";
	if (sl == path)
		return "/";
	snprintf(buf, len, "%.*s", (int)(sl - path), path);
	return buf;
}

/* Reads --fixed FILE: IPv4 addresses inside 127/8, one per line, '#'
 * comments, at most DEV_MAX_FIXED. Prints file:line on error; 0 or -1. */
static int
read_fixed(const char *path, uint32_t *out, size_t *n)
{
	FILE *fp;
	char line[256], *p, *e;
	struct in_addr ia;
	size_t lineno = 0;
	int rc = -1;

	*n = 0;
	if ((fp = fopen(path, "r")) == NULL) {
		cli_err("lab devices", "--fixed %s: %s", path, strerror(errno));
		return -1;
	}
	while (fgets(line, sizeof(line), fp) != NULL) {
		lineno++;
		if ((p = strchr(line, '#')) != NULL)
			*p = '\0';
		for (p = line; *p == ' ' || *p == '\t'; p++)
			;
		for (e = p + strlen(p); e > p && (e[-1] == '\n' ||
		    e[-1] == '\r' || e[-1] == ' ' || e[-1] == '\t'); e--)
			;
		*e = '\0';
		if (*p == '\0')
			continue;
		if (inet_pton(AF_INET, p, &ia) != 1 ||
		    (ntohl(ia.s_addr) >> 24) != 127) {
			cli_err("lab devices", "%s:%zu: not an IPv4 address "
			    "inside 127.0.0.0/8", path, lineno);
			goto out;
		}
		if (*n >= DEV_MAX_FIXED) {
			cli_err("lab devices", "%s:%zu: more than %d fixed "
			    "addresses", path, lineno, DEV_MAX_FIXED);
			goto out;
		}
		out[(*n)++] = ntohl(ia.s_addr);
	}
	rc = 0;
out:
	fclose(fp);
	return rc;
}

static int
run_ldevices(int argc, char **argv)
{
	static uint32_t fixed[DEV_MAX_FIXED];
	const char *fixedpath = NULL;
	struct dev_conf dc;
	struct devsrv_conf sc;
	struct dev_plan *plan = NULL;
	struct devsrv *srv = NULL;
	struct devssh *ssh = NULL;
	struct devreal *real = NULL;
	struct devsrv_counters cnt;
	const char *rpaths[REAL_NKINDS];
	char dbuf[PATH_MAX], a[16];
	size_t i;
	int realmask = 0;
	struct mm_diag diag;
	struct sigaction sa;
	const char *range = NULL, *truth = NULL, *counts = NULL;
	uint64_t v;
	mtime_t duration = 0;
	char *buf = NULL;
	size_t len = 0;
	int ch, secrets = 1, rc = EXIT_RUNTIME, lrc;

	memset(&dc, 0, sizeof(dc));
	memset(&sc, 0, sizeof(sc));
	memset(&diag, 0, sizeof(diag));
	dc.seed = 1;
	dc.live_pct = 4;
	optind = 1;
	while ((ch = getopt_long(argc, argv, "h", devices_opts, NULL)) !=
	    -1) {
		switch (ch) {
		case D_RANGE:
			range = optarg;
			break;
		case D_LIVE:
			if (parse_u64(optarg, 100, &v) != 0)
				goto bad;
			dc.live_pct = (int)v;
			break;
		case D_SEED:
			if (parse_u64(optarg, UINT64_MAX, &dc.seed) != 0)
				goto bad;
			break;
		case D_HOSTILE:
			if (parse_u64(optarg, 100, &v) != 0)
				goto bad;
			dc.hostile_pct = (int)v;
			break;
		case D_TRUTH:
			truth = optarg;
			break;
		case D_NOSECRETS:
			secrets = 0;
			break;
		case D_COUNTS:
			counts = optarg;
			break;
		case D_DURATION:
			if (mtime_parse_duration(optarg, &duration) != 0 ||
			    duration <= 0)
				goto bad;
			break;
		case D_MAXCONNS:
			if (parse_u64(optarg, 1 << 20, &v) != 0 || v < 4)
				goto bad;
			sc.max_conns = (int)v;
			break;
		case D_IDLE:
			if (parse_u64(optarg, 86400, &v) != 0 || v == 0)
				goto bad;
			sc.idle_ms = (int)v * 1000;
			break;
		case D_REAL:
			if ((realmask = parse_real(optarg)) < 0)
				goto bad;
			break;
		case D_FIXED:
			fixedpath = optarg;
			break;
		default:
			return opt_end(ch, usage_ldevices);
		}
	}
	if (no_operand("lab devices", argc, argv) != 0)
		return EXIT_USAGE;
	if (range == NULL) {
		cli_err("lab devices", "--range is required (e.g. "
		    "127.10.0.0/20)");
		return EXIT_USAGE;
	}
	if (devices_parse_range(range, &dc.net, &dc.plen, &diag) != 0) {
		cli_err("lab devices", "--range: %s", diag.msg);
		return EXIT_USAGE;
	}
	if (fixedpath != NULL && read_fixed(fixedpath, fixed, &dc.nfixed) != 0)
		return EXIT_USAGE;
	dc.fixed = fixed;
	if (devplan_new(&dc, &plan, &diag) != 0) {
		cli_err("lab devices", "%s", diag.msg);
		return EXIT_USAGE;
	}
	if (realmask != 0)
		add_real(plan, realmask);
	if (plan->nreal > 0) {
		/* children first: no thread exists yet when they fork */
		memset(rpaths, 0, sizeof(rpaths));
		rpaths[REAL_LIGHTTPD_BASIC] = LAB_LIGHTTPD;
		rpaths[REAL_LIGHTTPD_DIGEST] = LAB_LIGHTTPD;
		rpaths[REAL_DROPBEAR] = LAB_DROPBEAR;
		real = devreal_start(plan, dir_of(truth, dbuf, sizeof(dbuf)),
		    rpaths, &diag);
		if (real == NULL) {
			fprintf(stderr, "mamori lab devices: --real: %s; going "
			    "on without real servers\n", diag.msg);
			plan->nreal = 0;
		}
		for (i = 0; i < plan->nreal; i++) {
			snprintf(a, sizeof(a), "%u.%u.%u.%u",
			    (unsigned)(plan->real[i].addr >> 24),
			    (unsigned)((plan->real[i].addr >> 16) & 0xff),
			    (unsigned)((plan->real[i].addr >> 8) & 0xff),
			    (unsigned)(plan->real[i].addr & 0xff));
			fprintf(stderr, "mamori lab devices: real %s %s on "
			    "%s:%u\n", devices_real_name(plan->real[i].kind),
			    plan->real[i].version, a,
			    (unsigned)plan->real[i].port);
		}
	}
	if (truth != NULL) {
		lrc = devplan_truth_json(plan, secrets, &buf, &len);
		lrc = write_doc("lab devices", "truth", truth, lrc, buf, len);
		if (lrc != 0)
			goto out;
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = dev_on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	if ((srv = devsrv_open(plan, &sc, &diag)) == NULL) {
		cli_err("lab devices", "%s", diag.msg);
		goto out;
	}
	if ((ssh = devssh_open(plan, srv, &diag)) == NULL) {
		cli_err("lab devices", "%s", diag.msg);
		goto out;
	}
	fprintf(stderr, "mamori lab devices: listening on %zu ports across "
	    "%zu addresses\n", devsrv_nlisten(srv) + devssh_nlisten(ssh) +
	    plan->nreal, plan->ndev + plan->nreal);
	fflush(stderr);
	if (devsrv_run(srv, &dev_stop, duration, &diag) != 0) {
		cli_err("lab devices", "%s", diag.msg);
		goto out;
	}
	/* the SSH threads stop before the counters are read */
	devssh_close(ssh);
	ssh = NULL;
	devsrv_counters(srv, &cnt);
	fprintf(stderr, "mamori lab devices: %" PRIu64 " connections, %"
	    PRIu64 " logins accepted, %" PRIu64 " refused, %" PRIu64
	    " HTTP requests, %" PRIu64 " timeouts\n", cnt.accepted,
	    cnt.logins_ok, cnt.logins_bad, cnt.http_requests, cnt.timeouts);
	if (counts != NULL) {
		lrc = devsrv_counts_json(srv, &buf, &len);
		lrc = write_doc("lab devices", "counts", counts, lrc, buf, len);
		if (lrc != 0)
			goto out;
	}
	rc = EXIT_OK;
out:
	devssh_close(ssh);
	devsrv_close(srv);
	devreal_stop(real);
	devplan_free(plan);
	return rc;
bad:
	return bad_value("lab devices", devices_opts, ch, optarg);
}

static const struct lab_gen lab_gens[] = {
	{ "isp", "synthetic ISP flows as NetFlow v5/v9/IPFIX",
	    run_isp, usage_isp },
	{ "flows", "a labelled ISP day with botnets: store, export, truth",
	    run_lflows, usage_lflows },
	{ "replay", "send the flow exports of pcap files to loopback",
	    cmd_lab_replay, usage_lab_replay },
	{ "devices", "emulated IoT/VPN/SSH devices on 127.x.y.z + truth",
	    run_ldevices, usage_ldevices },
	{ NULL, NULL, NULL, NULL }
};

void
usage_lab(FILE *fp)
{
	const struct lab_gen *l;

	fprintf(fp, "usage: mamori lab GENERATOR [options]\n\ngenerators:\n");
	for (l = lab_gens; l->name != NULL; l++)
		fprintf(fp, "  %-8s %s\n", l->name, l->summary);
	fprintf(fp, "\n");
	for (l = lab_gens; l->name != NULL; l++)
		l->usage(fp);
	fprintf(fp, "\nAll traffic goes to loopback only. See mamori-lab(1).\n");
}

int
cmd_lab(int argc, char **argv)
{
	const struct lab_gen *l;

	if (argc < 2) {
		usage_lab(stderr);
		return EXIT_USAGE;
	}
	if (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0 ||
	    strcmp(argv[1], "help") == 0) {
		usage_lab(stdout);
		return EXIT_OK;
	}
	for (l = lab_gens; l->name != NULL; l++)
		if (strcmp(argv[1], l->name) == 0)
			return l->run(argc - 1, argv + 1);
	cli_err("lab", "unknown generator '%s'", argv[1]);
	usage_lab(stderr);
	return EXIT_USAGE;
}
