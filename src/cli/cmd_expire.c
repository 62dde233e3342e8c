/*
 * cmd_expire.c - `mamori expire`: removes flow store files by age and/or
 * total size (the retention half of nfexpire).
 *
 * Thin front end over store_expire(): parses --older-than with
 * mtime_parse_duration() and --max-size with units_parse_size(), then
 * prints one summary record (files/bytes removed and kept) as a table, CSV
 * or one JSON object. With --dry-run nothing is removed; the summary says
 * what would be. Cost is store_expire()'s: one listing of the store's
 * files, O(files) memory. Exit: 0 ok, 1 runtime error, 2 usage error.
 */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "core/err.h"
#include "core/mtime.h"
#include "core/units.h"
#include "store/store.h"

#define CMD	"expire"

void
usage_expire(FILE *fp)
{
	fprintf(fp,
	    "usage: mamori expire [--data DIR] [--older-than DURATION] "
	    "[--max-size SIZE]\n"
	    "                     [--dry-run] [-o table|csv|json]\n"
	    "\n"
	    "Removes flow store files under DIR/flows (default --data DIR, "
	    "$MAMORI_DATA\n"
	    "or ./mamori-data): first every file whose interval ended more than\n"
	    "DURATION ago, then the oldest files until the store holds at most "
	    "SIZE\n"
	    "(the newest file is always kept). Emptied day directories are "
	    "removed.\n"
	    "\n"
	    "  --older-than DURATION  e.g. 90d, 12h, 2w, 3600 (seconds)\n"
	    "  --max-size SIZE        bytes, or with K, M, G, T (powers of 1024)\n"
	    "  --dry-run              only report what would be removed\n"
	    "  -o FORMAT              table (default), csv, json\n"
	    "\n"
	    "See mamori-expire(1). Exit: 0 ok, 1 runtime error, 2 usage "
	    "error.\n");
}

int
cmd_expire(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "data",	required_argument,	NULL, 'd' },
		{ "older-than",	required_argument,	NULL, 'a' },
		{ "max-size",	required_argument,	NULL, 's' },
		{ "dry-run",	no_argument,		NULL, 'n' },
		{ "output",	required_argument,	NULL, 'o' },
		{ "help",	no_argument,		NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct store_expire_result res;
	struct mm_diag diag;
	enum out_format fmt = OUT_TABLE;
	const char *data = NULL, *dir;
	char tbuf[MTIME_STRLEN];
	mtime_t age = 0, before = 0;
	uint64_t max_bytes = 0;
	int ch, dry = 0, have_age = 0, have_size = 0, rc;

	optind = 1;
	opterr = 0;
	while ((ch = getopt_long(argc, argv, "d:o:nh", longopts, NULL)) != -1) {
		switch (ch) {
		case 'd':
			data = optarg;
			break;
		case 'a':
			if (mtime_parse_duration(optarg, &age) != 0 ||
			    age <= 0) {
				cli_err(CMD, "bad --older-than '%s' (e.g. 30d, "
				    "12h, 3600)", optarg);
				return EXIT_USAGE;
			}
			have_age = 1;
			break;
		case 's':
			if (units_parse_size(optarg, &max_bytes) != 0 ||
			    max_bytes == 0) {
				cli_err(CMD, "bad --max-size '%s' (e.g. 500G, "
				    "2T, 1048576)", optarg);
				return EXIT_USAGE;
			}
			have_size = 1;
			break;
		case 'n':
			dry = 1;
			break;
		case 'o':
			if (cli_out_format(optarg, &fmt) != 0) {
				cli_err(CMD, "bad -o '%s' (table, csv, json)",
				    optarg);
				return EXIT_USAGE;
			}
			break;
		case 'h':
			usage_expire(stdout);
			return EXIT_OK;
		default:
			cli_err(CMD, "unknown or incomplete option '%s'",
			    argv[optind - 1]);
			usage_expire(stderr);
			return EXIT_USAGE;
		}
	}
	if (optind < argc) {
		cli_err(CMD, "unexpected argument '%s'", argv[optind]);
		return EXIT_USAGE;
	}
	if (!have_age && !have_size) {
		cli_err(CMD, "nothing to do: give --older-than and/or "
		    "--max-size");
		usage_expire(stderr);
		return EXIT_USAGE;
	}
	dir = cli_datadir(data);
	if (have_age)
		before = mtime_now() - age;
	mm_diag_clear(&diag);
	rc = store_expire(dir, before, have_size ? max_bytes : 0, dry, &res,
	    &diag);
	if (rc == MM_ENOENT) {
		cli_err(CMD, "%s", diag.msg);
		return EXIT_RUNTIME;
	}
	if (rc != 0)
		cli_err(CMD, "%s", diag.msg[0] ? diag.msg : mm_strerror(rc));
	if (have_age)
		mtime_fmt(before, 0, tbuf, sizeof(tbuf));
	else
		snprintf(tbuf, sizeof(tbuf), "-");
	switch (fmt) {
	case OUT_CSV:
		printf("dry_run,before,max_bytes,files_removed,bytes_removed,"
		    "files_kept,bytes_kept\n");
		printf("%d,%s,%" PRIu64 ",%zu,%" PRIu64 ",%zu,%" PRIu64 "\n",
		    dry, have_age ? tbuf : "", max_bytes, res.files_removed,
		    res.bytes_removed, res.files_kept, res.bytes_kept);
		break;
	case OUT_JSON:
		printf("{\"dry_run\":%s,\"before\":", dry ? "true" : "false");
		if (have_age)
			printf("\"%s\"", tbuf);
		else
			printf("null");
		printf(",\"max_bytes\":%" PRIu64 ",\"files_removed\":%zu,"
		    "\"bytes_removed\":%" PRIu64 ",\"files_kept\":%zu,"
		    "\"bytes_kept\":%" PRIu64 "}\n", max_bytes,
		    res.files_removed, res.bytes_removed, res.files_kept,
		    res.bytes_kept);
		break;
	default:
		printf("%-16s %s\n", "data", dir);
		printf("%-16s %s\n", "mode", dry ? "dry run" : "removed");
		printf("%-16s %s\n", "older than", tbuf);
		printf("%-16s %" PRIu64 "\n", "max bytes", max_bytes);
		printf("%-16s %zu\n", dry ? "files to remove" : "files removed",
		    res.files_removed);
		printf("%-16s %" PRIu64 "\n", dry ? "bytes to remove" :
		    "bytes removed", res.bytes_removed);
		printf("%-16s %zu\n", "files kept", res.files_kept);
		printf("%-16s %" PRIu64 "\n", "bytes kept", res.bytes_kept);
		break;
	}
	return rc == 0 ? EXIT_OK : EXIT_RUNTIME;
}
