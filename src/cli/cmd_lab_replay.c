/*
 * cmd_lab_replay.c - `mamori lab replay`: send the UDP payloads captured in
 * pcap/pcapng files (NetFlow, IPFIX, sFlow exports) to a loopback collector,
 * in file order, from one socket. Files are sent in the order given, so pass
 * template captures before the data captures that need them.
 *
 * Destinations outside 127.0.0.0/8 and ::1 are refused (lab/udpout.h). Cost:
 * one read pass per file; datagrams are batched 64 per sendmmsg(2); with
 * --rate the sender sleeps to hold the datagram rate.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "cli/cli.h"
#include "core/err.h"
#include "flow/pcapfile.h"
#include "lab/udpout.h"

struct replay {
	struct udpout	*out;
	double		 rate;		/* datagrams/s, 0 = as fast as possible */
	uint64_t	 sent;
	struct timespec	 t0;
	int		 err;
};

void
usage_lab_replay(FILE *fp)
{
	fprintf(fp,
	    "usage: mamori lab replay --send ADDR:PORT [--rate DGRAMS_PER_SEC] "
	    "[-o table|csv|json] FILE...\n"
	    "Sends the UDP payloads of pcap/pcapng FILEs (flow exports) to a "
	    "loopback collector\nin file order. Only 127.0.0.0/8 and ::1 are "
	    "accepted as destinations.\n"
	    "\n"
	    "  --send ADDR:PORT   destination: 127.0.0.1:2055, [::1]:2055\n"
	    "  --rate R           pace at R datagrams/s (default 0: as fast "
	    "as possible)\n"
	    "  -o FORMAT          per-file counts: table (default), csv, json\n");
}

/* A rate: a finite number >= 0. Returns 0 or -1. */
static int
replay_parse_rate(const char *s, double *v)
{
	char *end;

	errno = 0;
	*v = strtod(s, &end);
	if (*s == '\0' || *end != '\0' || errno != 0 || !(*v >= 0) ||
	    *v > 1e12)
		return -1;
	return 0;
}

static void
replay_print(enum out_format fmt, const char *path,
    const struct pcapfile_stats *st)
{
	json_t *o;

	switch (fmt) {
	case OUT_JSON:
		o = json_pack("{s:s, s:I, s:I, s:I}", "file", path,
		    "packets", (json_int_t)st->packets,
		    "datagrams", (json_int_t)st->udp,
		    "skipped", (json_int_t)st->skipped);
		cli_json_println(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
		break;
	case OUT_CSV:
		cli_csv_field(stdout, path);
		printf(",%" PRIu64 ",%" PRIu64 ",%" PRIu64 "\n", st->packets,
		    st->udp, st->skipped);
		break;
	default:
		printf("%-60s %8" PRIu64 " datagrams sent\n", path, st->udp);
		break;
	}
}

static double
replay_elapsed(const struct timespec *t0)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (double)(now.tv_sec - t0->tv_sec) +
	    (double)(now.tv_nsec - t0->tv_nsec) / 1e9;
}

static int
replay_one(void *arg, const struct pcap_udp *u)
{
	struct replay *r = arg;
	double ahead;
	struct timespec ts;

	if (u->len == 0 || u->len > 65507)
		return 0;
	if ((r->err = udpout_queue(r->out, u->payload, u->len)) != 0)
		return r->err;
	r->sent++;
	if (r->rate > 0) {
		ahead = (double)r->sent / r->rate - replay_elapsed(&r->t0);
		if (ahead > 0.001) {
			if ((r->err = udpout_flush(r->out)) != 0)
				return r->err;
			ts.tv_sec = (time_t)ahead;
			ts.tv_nsec = (long)((ahead - (double)ts.tv_sec) * 1e9);
			nanosleep(&ts, NULL);
		}
	}
	return 0;
}

int
cmd_lab_replay(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "send", required_argument, NULL, 's' },
		{ "rate", required_argument, NULL, 'r' },
		{ "output", required_argument, NULL, 'o' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct sockaddr_storage ss;
	socklen_t sslen = 0;
	struct replay r;
	struct pcapfile_stats st;
	struct udpout_counters uc;
	struct mm_diag diag;
	enum out_format fmt = OUT_TABLE;
	const char *dest = NULL;
	int ch, i, rc, status = EXIT_OK;

	memset(&r, 0, sizeof(r));
	mm_diag_clear(&diag);
	optind = 1;
	while ((ch = getopt_long(argc, argv, "s:r:o:h", longopts, NULL)) != -1) {
		switch (ch) {
		case 's':
			dest = optarg;
			break;
		case 'r':
			if (replay_parse_rate(optarg, &r.rate) != 0) {
				cli_err("lab replay", "bad --rate '%s' (a "
				    "number of datagrams/s >= 0)", optarg);
				return EXIT_USAGE;
			}
			break;
		case 'o':
			if (cli_out_format(optarg, &fmt) != 0) {
				cli_err("lab replay", "bad -o '%s' (table, "
				    "csv, json)", optarg);
				return EXIT_USAGE;
			}
			break;
		case 'h':
			usage_lab_replay(stdout);
			return EXIT_OK;
		default:
			usage_lab_replay(stderr);
			return EXIT_USAGE;
		}
	}
	if (dest == NULL || optind >= argc) {
		usage_lab_replay(stderr);
		return EXIT_USAGE;
	}
	if (udpout_parse_dest(dest, &ss, &sslen, &diag) != 0) {
		cli_err("lab replay", "--send %s: %s", dest, diag.msg);
		return EXIT_USAGE;
	}
	if ((r.out = udpout_open(&ss, sslen, 65535, 4 << 20, &diag)) == NULL) {
		cli_err("lab replay", "%s", diag.msg);
		return EXIT_RUNTIME;
	}
	clock_gettime(CLOCK_MONOTONIC, &r.t0);
	if (fmt == OUT_CSV)
		printf("file,packets,datagrams,skipped\n");
	for (i = optind; i < argc; i++) {
		memset(&st, 0, sizeof(st));
		rc = pcapfile_udp_foreach(argv[i], replay_one, &r, &st, &diag);
		if (rc == 0)
			rc = udpout_flush(r.out);
		if (rc != 0) {
			cli_err("lab replay", "%s: %s", argv[i],
			    diag.msg[0] ? diag.msg : mm_strerror(rc));
			status = EXIT_RUNTIME;
			continue;
		}
		replay_print(fmt, argv[i], &st);
	}
	udpout_counters(r.out, &uc);
	if (uc.errors > 0) {
		cli_err("lab replay", "%" PRIu64 " datagrams refused by the "
		    "kernel", uc.errors);
	}
	udpout_close(r.out);
	return status;
}
