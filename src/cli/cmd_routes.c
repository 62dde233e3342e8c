/*
 * cmd_routes.c - `mamori routes`: read MRT routing dumps and answer
 * "which network, origin AS and customer is this address in".
 *
 *   mamori routes dump --mrt FILE... [-o table|csv|json|bgpdump] [-v]
 *   mamori routes lookup [--mrt F]... [--pfx2as F]... [--mmdb F]...
 *                        [--customers F]... [-o table|csv|json] [-v] ADDR...
 *
 * dump streams every RIB entry, announcement, withdrawal and state change
 * of the files through mrt_read_file() and prints one line each; -o bgpdump
 * prints the lines `bgpdump -m` prints (see mamori-routes(1) for the
 * fields that differ by design). lookup builds one routeview from all the
 * sources and prints the longest match per address. Costs: dump is
 * O(file) time and O(1) memory; lookup is the routeview's load cost plus
 * one lookup per address. Exit: 0 ok (also when malformed records were
 * skipped: they are reported on stderr), 1 runtime error (a file cannot be
 * read or is not of its kind), 2 usage error.
 */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "attrib/mrt.h"
#include "attrib/routeview.h"
#include "cli/cli.h"
#include "core/addr.h"
#include "core/err.h"

#define CMD		"routes"
#define SRC_MAX		64	/* files per source kind */
#define PATH_STR	8192

enum dump_fmt {
	DUMP_TABLE = 0,
	DUMP_CSV,
	DUMP_JSON,
	DUMP_BGPDUMP
};

struct routes_opts {
	const char	*mrt[SRC_MAX];
	size_t		 nmrt;
	const char	*pfx2as[SRC_MAX];
	size_t		 npfx2as;
	const char	*mmdb[SRC_MAX];
	size_t		 nmmdb;
	const char	*cust[SRC_MAX];
	size_t		 ncust;
	enum dump_fmt	 fmt;
	int		 verbose;
};

void
usage_routes(FILE *fp)
{
	fprintf(fp,
	    "usage: mamori routes dump --mrt FILE... "
	    "[-o table|csv|json|bgpdump] [-v]\n"
	    "       mamori routes lookup [--mrt FILE]... [--pfx2as FILE]... "
	    "[--mmdb FILE]...\n"
	    "                            [--customers FILE]... "
	    "[-o table|csv|json] [-v] ADDR...\n"
	    "\n"
	    "dump    prints every RIB entry, announcement, withdrawal and "
	    "state change\n"
	    "        of MRT files (RFC 6396 TABLE_DUMP, TABLE_DUMP_V2, "
	    "BGP4MP[_ET]);\n"
	    "        -o bgpdump prints the lines of `bgpdump -m`.\n"
	    "lookup  longest match over all sources per address: prefix, "
	    "origin AS,\n"
	    "        customer id, source; on a tie customer > mrt/pfx2as > "
	    "mmdb.\n"
	    "\n"
	    "  --mrt FILE        MRT RIB dump or updates file (- = stdin)\n"
	    "  --pfx2as FILE     CAIDA prefix-to-AS file "
	    "(ADDR<TAB>LEN<TAB>ASN)\n"
	    "  --mmdb FILE       MaxMind-format ASN database\n"
	    "  --customers FILE  customer prefixes (PREFIX CUSTOMER-ID [AS])\n"
	    "  -o FORMAT         table (default), csv, json; dump also "
	    "bgpdump\n"
	    "  -v                print load counters on stderr\n"
	    "\n"
	    "Files may be repeated. See mamori-routes(1), mamori-routes(5).\n"
	    "Exit: 0 ok, 1 runtime error, 2 usage error.\n");
}

/* Returns 0, EXIT_USAGE, or -1 (help printed). */
static int
parse_opts(int argc, char **argv, struct routes_opts *o)
{
	static const struct option longopts[] = {
		{ "mrt",	required_argument,	NULL, 'm' },
		{ "pfx2as",	required_argument,	NULL, 'p' },
		{ "mmdb",	required_argument,	NULL, 'g' },
		{ "customers",	required_argument,	NULL, 'c' },
		{ "output",	required_argument,	NULL, 'o' },
		{ "verbose",	no_argument,		NULL, 'v' },
		{ "help",	no_argument,		NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	const char **list;
	size_t *n;
	int ch;

	optind = 1;
	opterr = 0;
	while ((ch = getopt_long(argc, argv, "o:vh", longopts, NULL)) != -1) {
		list = NULL;
		n = NULL;
		switch (ch) {
		case 'm':
			list = o->mrt, n = &o->nmrt;
			break;
		case 'p':
			list = o->pfx2as, n = &o->npfx2as;
			break;
		case 'g':
			list = o->mmdb, n = &o->nmmdb;
			break;
		case 'c':
			list = o->cust, n = &o->ncust;
			break;
		case 'o':
			if (strcmp(optarg, "table") == 0)
				o->fmt = DUMP_TABLE;
			else if (strcmp(optarg, "csv") == 0)
				o->fmt = DUMP_CSV;
			else if (strcmp(optarg, "json") == 0)
				o->fmt = DUMP_JSON;
			else if (strcmp(optarg, "bgpdump") == 0)
				o->fmt = DUMP_BGPDUMP;
			else {
				cli_err(CMD, "bad -o '%s' (table, csv, json, "
				    "bgpdump)", optarg);
				return EXIT_USAGE;
			}
			break;
		case 'v':
			o->verbose = 1;
			break;
		case 'h':
			usage_routes(stdout);
			return -1;
		default:
			cli_err(CMD, "unknown or incomplete option '%s'",
			    argv[optind - 1]);
			usage_routes(stderr);
			return EXIT_USAGE;
		}
		if (list != NULL) {
			if (*n >= SRC_MAX) {
				cli_err(CMD, "more than %d files of one kind",
				    SRC_MAX);
				return EXIT_USAGE;
			}
			list[(*n)++] = optarg;
		}
	}
	return 0;
}

/* ---- dump ---- */

static void
prefix_str(const struct mrt_route *r, char *buf, size_t len)
{
	char a[ADDR_STRLEN];

	mrt_addr_fmt(&r->prefix.addr, r->prefix_v6, a, sizeof(a));
	snprintf(buf, len, "%s/%u", a, r->prefix_v6 ? r->prefix.len :
	    r->prefix.len - 96u);
}

static const char *
origin_str(uint8_t o)
{
	switch (o) {
	case 0:
		return "IGP";
	case 1:
		return "EGP";
	default:
		return "INCOMPLETE";
	}
}

static const char *
event_str(enum mrt_event ev)
{
	switch (ev) {
	case MRT_EV_RIB:
		return "rib";
	case MRT_EV_ANNOUNCE:
		return "announce";
	case MRT_EV_WITHDRAW:
		return "withdraw";
	default:
		return "state";
	}
}

/* bgpdump's next hop column: the MP_REACH_NLRI next hop for IPv6 routes,
 * NEXT_HOP otherwise, INADDR_NONE when there is none. */
static void
nexthop_str(const struct mrt_route *r, char *buf, size_t len)
{
	const struct mrt_attrs *a = r->attr;

	if (a == NULL)
		snprintf(buf, len, "%s", "");
	else if (r->prefix_v6 && a->has_mp_nexthop)
		mrt_addr_fmt(&a->mp_nexthop, a->mp_nexthop_v6, buf, len);
	else if (a->has_nexthop)
		mrt_addr_fmt(&a->nexthop, 0, buf, len);
	else if (a->has_mp_nexthop)
		mrt_addr_fmt(&a->mp_nexthop, a->mp_nexthop_v6, buf, len);
	else
		snprintf(buf, len, "255.255.255.255");
}

static void
communities_str(const struct mrt_attrs *a, char *buf, size_t len)
{
	size_t i, o = 0;
	uint32_t v;
	int n;

	buf[0] = '\0';
	for (i = 0; a != NULL && i < a->ncommunities; i++) {
		v = a->communities[i];
		if (v == 0xffffff01u)
			n = snprintf(buf + o, len - o, "%sno-export",
			    i ? " " : "");
		else if (v == 0xffffff02u)
			n = snprintf(buf + o, len - o, "%sno-advertise",
			    i ? " " : "");
		else if (v == 0xffffff03u)
			n = snprintf(buf + o, len - o, "%slocal-AS",
			    i ? " " : "");
		else
			n = snprintf(buf + o, len - o, "%s%u:%u", i ? " " : "",
			    (unsigned)(v >> 16), (unsigned)(v & 0xffff));
		if (n < 0 || (size_t)n >= len - o) {
			buf[o] = '\0';
			return;
		}
		o += (size_t)n;
	}
}

static void
print_bgpdump(const struct mrt_route *r)
{
	const struct mrt_attrs *a = r->attr;
	char peer[ADDR_STRLEN], pfx[PREFIX_STRLEN], nh[ADDR_STRLEN];
	char agg[ADDR_STRLEN + 16], path[PATH_STR], comm[PATH_STR];
	char ts[32], ap[16];
	const char *type;
	int ap_type = r->has_path_id;

	if (r->type == MRT_TABLE_DUMP)
		type = "TABLE_DUMP";
	else if (r->type == MRT_TABLE_DUMP_V2)
		type = ap_type ? "TABLE_DUMP2_AP" : "TABLE_DUMP2";
	else if (r->type == MRT_BGP4MP_ET)
		type = ap_type ? "BGP4MP_ET_AP" : "BGP4MP_ET";
	else
		type = ap_type ? "BGP4MP_AP" : "BGP4MP";
	if (r->type == MRT_BGP4MP_ET)
		snprintf(ts, sizeof(ts), "%lu.%06lu", (unsigned long)r->time,
		    (unsigned long)r->usec);
	else
		snprintf(ts, sizeof(ts), "%lu", (unsigned long)r->time);
	mrt_addr_fmt(&r->peer, r->peer_v6, peer, sizeof(peer));
	if (r->ev == MRT_EV_STATE) {
		printf("%s|%s|STATE|%s|%lu|%u|%u\n", type, ts, peer,
		    (unsigned long)r->peer_as, r->old_state, r->new_state);
		return;
	}
	prefix_str(r, pfx, sizeof(pfx));
	ap[0] = '\0';
	if (ap_type)
		snprintf(ap, sizeof(ap), "|%lu", (unsigned long)r->path_id);
	if (r->ev == MRT_EV_WITHDRAW) {
		printf("%s|%s|W|%s|%lu|%s%s\n", type, ts, peer,
		    (unsigned long)r->peer_as, pfx, ap);
		return;
	}
	mrt_aspath_fmt(a, path, sizeof(path));
	nexthop_str(r, nh, sizeof(nh));
	communities_str(a, comm, sizeof(comm));
	agg[0] = '\0';
	if (a->has_aggregator) {
		char aa[ADDR_STRLEN];

		snprintf(agg, sizeof(agg), "%lu %s",
		    (unsigned long)a->aggregator_as,
		    mrt_addr_fmt(&a->aggregator_addr, 0, aa, sizeof(aa)));
	}
	printf("%s|%s|%s|%s|%lu|%s%s|%s|%s|%s|%lu|%lu|%s|%s|%s|\n", type, ts,
	    r->ev == MRT_EV_RIB ? "B" : "A", peer, (unsigned long)r->peer_as,
	    pfx, ap, path, origin_str(a->origin), nh,
	    (unsigned long)(a->has_local_pref ? a->local_pref : 0),
	    (unsigned long)(a->has_med ? a->med : 0), comm,
	    a->atomic_aggregate ? "AG" : "NAG", agg);
}

static void
print_row(const struct mrt_route *r, enum dump_fmt fmt)
{
	const struct mrt_attrs *a = r->attr;
	char peer[ADDR_STRLEN], pfx[PREFIX_STRLEN], nh[ADDR_STRLEN];
	char path[PATH_STR], comm[PATH_STR], pid[16], orig[16];
	json_t *o;

	mrt_addr_fmt(&r->peer, r->peer_v6, peer, sizeof(peer));
	pfx[0] = path[0] = nh[0] = comm[0] = pid[0] = '\0';
	if (r->ev != MRT_EV_STATE)
		prefix_str(r, pfx, sizeof(pfx));
	if (a != NULL) {
		mrt_aspath_fmt(a, path, sizeof(path));
		nexthop_str(r, nh, sizeof(nh));
		if (strcmp(nh, "255.255.255.255") == 0)
			nh[0] = '\0';
		communities_str(a, comm, sizeof(comm));
	}
	if (r->has_path_id)
		snprintf(pid, sizeof(pid), "%lu", (unsigned long)r->path_id);
	switch (fmt) {
	case DUMP_CSV:
		printf("%lu,%s,%s,%lu,%s,%s,", (unsigned long)r->time,
		    event_str(r->ev), peer, (unsigned long)r->peer_as, pfx,
		    pid);
		if (a != NULL)
			printf("%lu,", (unsigned long)a->origin_as);
		else
			printf(",");
		cli_csv_field(stdout, path);
		printf(",%s,%s,", a != NULL && a->origin != MRT_ORIGIN_NONE ?
		    origin_str(a->origin) : "", nh);
		cli_csv_field(stdout, comm);
		printf("\n");
		break;
	case DUMP_JSON:
		o = json_object();
		json_object_set_new(o, "time", json_integer(r->time));
		if (r->usec != 0)
			json_object_set_new(o, "usec", json_integer(r->usec));
		json_object_set_new(o, "event", json_string(event_str(r->ev)));
		json_object_set_new(o, "peer", json_string(peer));
		json_object_set_new(o, "peer_as", json_integer(r->peer_as));
		if (r->ev == MRT_EV_STATE) {
			json_object_set_new(o, "old_state",
			    json_integer(r->old_state));
			json_object_set_new(o, "new_state",
			    json_integer(r->new_state));
		} else
			json_object_set_new(o, "prefix", json_string(pfx));
		if (r->has_path_id)
			json_object_set_new(o, "path_id",
			    json_integer(r->path_id));
		if (a != NULL) {
			json_t *arr = json_array();
			size_t i;

			json_object_set_new(o, "origin_as",
			    json_integer(a->origin_as));
			for (i = 0; i < a->path_len; i++)
				json_array_append_new(arr,
				    json_integer(a->path[i]));
			json_object_set_new(o, "as_path", arr);
			json_object_set_new(o, "as_path_text",
			    json_string(path));
			if (a->origin != MRT_ORIGIN_NONE)
				json_object_set_new(o, "origin",
				    json_string(origin_str(a->origin)));
			if (nh[0] != '\0')
				json_object_set_new(o, "next_hop",
				    json_string(nh));
			if (a->has_local_pref)
				json_object_set_new(o, "local_pref",
				    json_integer(a->local_pref));
			if (a->has_med)
				json_object_set_new(o, "med",
				    json_integer(a->med));
			if (comm[0] != '\0')
				json_object_set_new(o, "communities",
				    json_string(comm));
		}
		cli_json_println(o, JSON_COMPACT);
		break;
	default:
		orig[0] = '\0';
		if (a != NULL && a->origin_as != 0)
			snprintf(orig, sizeof(orig), "%lu",
			    (unsigned long)a->origin_as);
		printf("%-10lu %-8s %-39s %-10lu %-43s %-6s %-10s %s\n",
		    (unsigned long)r->time, event_str(r->ev), peer,
		    (unsigned long)r->peer_as, r->ev == MRT_EV_STATE ? "-" :
		    pfx, pid[0] ? pid : "-", orig[0] ? orig : "-",
		    path[0] ? path : "-");
		break;
	}
}

struct dump_ctx {
	enum dump_fmt	fmt;
};

static int
dump_cb(const struct mrt_route *r, void *arg)
{
	const struct dump_ctx *dc = arg;

	if (dc->fmt == DUMP_BGPDUMP)
		print_bgpdump(r);
	else
		print_row(r, dc->fmt);
	return 0;
}

static void
print_mrt_stats(const char *file, const struct mrt_stats *st)
{
	fprintf(stderr, "mamori %s: %s: %" PRIu64 " records, %" PRIu64
	    " rib entries, %" PRIu64 " announcements, %" PRIu64
	    " withdrawals, %" PRIu64 " state changes, %" PRIu64
	    " unsupported, %" PRIu64 " bad, %" PRIu64
	    " ADD-PATH sections guessed\n", CMD, file, st->records, st->ribs,
	    st->announces, st->withdrawals, st->states, st->unsupported,
	    st->bad, st->addpath_guessed);
}

static int
run_dump(struct routes_opts *o, int nargs)
{
	struct dump_ctx dc;
	struct mrt_stats st;
	struct mm_diag diag;
	size_t i;
	int rc, ret = EXIT_OK;

	if (o->nmrt == 0 || nargs != 0 || o->npfx2as || o->nmmdb ||
	    o->ncust) {
		cli_err(CMD, "dump takes --mrt FILE... and no other source "
		    "or argument");
		return EXIT_USAGE;
	}
	dc.fmt = o->fmt;
	if (o->fmt == DUMP_CSV)
		printf("time,event,peer,peer_as,prefix,path_id,origin_as,"
		    "as_path,origin,next_hop,communities\n");
	else if (o->fmt == DUMP_TABLE)
		printf("%-10s %-8s %-39s %-10s %-43s %-6s %-10s %s\n", "TIME",
		    "EVENT", "PEER", "PEER_AS", "PREFIX", "PATHID",
		    "ORIGIN_AS", "AS_PATH");
	for (i = 0; i < o->nmrt; i++) {
		memset(&st, 0, sizeof(st));
		rc = mrt_read_file(o->mrt[i], dump_cb, &dc, &st, &diag);
		fflush(stdout);
		if (rc != 0) {
			cli_err(CMD, "%s", diag.msg[0] ? diag.msg :
			    mm_strerror(rc));
			ret = EXIT_RUNTIME;
			continue;
		}
		if (st.bad > 0)
			cli_err(CMD, "%" PRIu64 " malformed record(s) skipped; "
			    "first: %s", st.bad, diag.msg);
		if (o->verbose)
			print_mrt_stats(o->mrt[i], &st);
	}
	return ret;
}

/* ---- lookup ---- */

typedef int (*load_fn)(struct routeview *, const char *, struct mm_diag *);

static int
load_all(struct routeview *rv, const char *const *files, size_t n,
    load_fn fn, const char *kind, int verbose)
{
	const struct routeview_stats *st;
	struct mm_diag diag;
	uint64_t bad0;
	size_t i;
	int rc;

	for (i = 0; i < n; i++) {
		bad0 = routeview_stats(rv)->bad;
		mm_diag_clear(&diag);
		if ((rc = fn(rv, files[i], &diag)) != 0) {
			cli_err(CMD, "%s: %s", kind, diag.msg[0] ? diag.msg :
			    mm_strerror(rc));
			return -1;
		}
		st = routeview_stats(rv);
		if (st->bad > bad0)
			cli_err(CMD, "%s: %" PRIu64 " malformed record(s) or "
			    "line(s) skipped; first: %s", kind, st->bad - bad0,
			    diag.msg);
		if (verbose)
			fprintf(stderr, "mamori %s: %s %s: view now %" PRIu64
			    " prefixes, %" PRIu64 " records read, %" PRIu64
			    " bad, %" PRIu64 " without origin\n", CMD, kind,
			    files[i], st->prefixes, st->records, st->bad,
			    st->no_origin);
	}
	return 0;
}

static int
run_lookup(struct routes_opts *o, int nargs, char **args)
{
	struct routeview *rv = NULL;
	struct route_match m;
	struct mm_addr *addrs = NULL;
	char pfx[PREFIX_STRLEN], as[16];
	json_t *j;
	int i, ret = EXIT_RUNTIME, found;

	if (nargs == 0) {
		cli_err(CMD, "lookup needs at least one ADDR");
		return EXIT_USAGE;
	}
	if (o->nmrt + o->npfx2as + o->nmmdb + o->ncust == 0) {
		cli_err(CMD, "lookup needs a source: --mrt, --pfx2as, --mmdb "
		    "or --customers");
		return EXIT_USAGE;
	}
	if (o->fmt == DUMP_BGPDUMP) {
		cli_err(CMD, "-o bgpdump is for dump only");
		return EXIT_USAGE;
	}
	if ((addrs = calloc((size_t)nargs, sizeof(*addrs))) == NULL) {
		cli_err(CMD, "out of memory");
		return EXIT_RUNTIME;
	}
	for (i = 0; i < nargs; i++) {
		if (addr_parse(args[i], &addrs[i]) != 0) {
			cli_err(CMD, "bad address '%s'", args[i]);
			ret = EXIT_USAGE;
			goto out;
		}
	}
	if ((rv = routeview_new()) == NULL) {
		cli_err(CMD, "out of memory");
		goto out;
	}
	if (load_all(rv, o->mrt, o->nmrt, routeview_add_mrt, "mrt",
	    o->verbose) != 0 ||
	    load_all(rv, o->pfx2as, o->npfx2as, routeview_add_pfx2as,
	    "pfx2as", o->verbose) != 0 ||
	    load_all(rv, o->mmdb, o->nmmdb, routeview_add_mmdb, "mmdb",
	    o->verbose) != 0 ||
	    load_all(rv, o->cust, o->ncust, routeview_add_customers,
	    "customers", o->verbose) != 0)
		goto out;
	if (o->fmt == DUMP_CSV)
		printf("address,prefix,origin_as,moas,source,customer,"
		    "as_name\n");
	else if (o->fmt == DUMP_TABLE)
		printf("%-39s %-43s %-10s %-4s %-8s %-20s %s\n", "ADDRESS",
		    "PREFIX", "ORIGIN_AS", "MOAS", "SOURCE", "CUSTOMER",
		    "AS_NAME");
	for (i = 0; i < nargs; i++) {
		found = routeview_lookup(rv, &addrs[i], &m);
		if (found)
			prefix_fmt(&m.prefix, pfx, sizeof(pfx));
		else
			pfx[0] = '\0';
		snprintf(as, sizeof(as), "%lu", (unsigned long)m.origin_as);
		switch (o->fmt) {
		case DUMP_CSV:
			cli_csv_field(stdout, args[i]);
			printf(",%s,%s,%d,%s,", pfx, m.origin_as ? as : "",
			    m.moas, route_source_name(m.source));
			cli_csv_field(stdout, m.customer);
			printf(",");
			cli_csv_field(stdout, m.as_name);
			printf("\n");
			break;
		case DUMP_JSON:
			j = json_object();
			json_object_set_new(j, "address", json_string(args[i]));
			json_object_set_new(j, "found", json_boolean(found));
			if (found) {
				json_object_set_new(j, "prefix",
				    json_string(pfx));
				json_object_set_new(j, "origin_as",
				    json_integer(m.origin_as));
				json_object_set_new(j, "moas",
				    json_boolean(m.moas));
				json_object_set_new(j, "source", json_string(
				    route_source_name(m.source)));
				json_object_set_new(j, "customer",
				    json_string(m.customer));
				json_object_set_new(j, "as_name",
				    json_string(m.as_name));
			}
			cli_json_println(j, JSON_COMPACT);
			break;
		default:
			printf("%-39s %-43s %-10s %-4s %-8s %-20s %s\n",
			    args[i], found ? pfx : "-", m.origin_as ? as : "-",
			    m.moas ? "yes" : "no", route_source_name(m.source),
			    m.customer[0] ? m.customer : "-",
			    m.as_name[0] ? m.as_name : "-");
			break;
		}
	}
	ret = EXIT_OK;
out:
	routeview_free(rv);
	free(addrs);
	return ret;
}

int
cmd_routes(int argc, char **argv)
{
	struct routes_opts o;
	const char *sub;
	int rc, nargs;

	if (argc < 2) {
		usage_routes(stderr);
		return EXIT_USAGE;
	}
	sub = argv[1];
	if (strcmp(sub, "-h") == 0 || strcmp(sub, "--help") == 0 ||
	    strcmp(sub, "help") == 0) {
		usage_routes(stdout);
		return EXIT_OK;
	}
	if (strcmp(sub, "dump") != 0 && strcmp(sub, "lookup") != 0) {
		cli_err(CMD, "unknown subcommand '%s' (dump, lookup)", sub);
		usage_routes(stderr);
		return EXIT_USAGE;
	}
	memset(&o, 0, sizeof(o));
	if ((rc = parse_opts(argc - 1, argv + 1, &o)) != 0)
		return rc < 0 ? EXIT_OK : rc;
	nargs = argc - 1 - optind;
	if (strcmp(sub, "dump") == 0)
		return run_dump(&o, nargs);
	return run_lookup(&o, nargs, argv + 1 + optind);
}
