/*
 * main.c - `mamori` entry point: dispatches to the subcommand, and implements
 * `help`, `--help` and `--version`, and the helpers every command shares
 * (data directory, -o parsing, error lines, CSV fields). Dispatch is a
 * linear scan of the short command table.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/cli.h"

const struct command commands[] = {
	{ "collect",  "receive NetFlow/IPFIX/sFlow and write the flow store",
	    cmd_collect, usage_collect },
	{ "flows",    "query the flow store (nfdump-style filters, top-N)",
	    cmd_flows, usage_flows },
	{ "import",   "import flow exports captured in pcap/pcapng files",
	    cmd_import, usage_import },
	{ "findings", "list, show and export the findings store",
	    cmd_findings, usage_findings },
	{ "c2",       "C&C detection from flows: beaconing and botnet fan-in",
	    cmd_c2, usage_c2 },
	{ "expire",   "remove flow data by age or total size",
	    cmd_expire, usage_expire },
	{ "lab",      "lab generators: synthetic ISP flows, pcap replay (loopback only)",
	    cmd_lab, usage_lab },
	{ "survey",   "authorised, rate-limited survey of IoT/VPN devices (NOTICE-style)",
	    cmd_survey, usage_survey },
	{ "routes",   "routing views: MRT/pfx2as/mmdb/customer prefixes, address lookup",
	    cmd_routes, usage_routes },
	{ "notify",   "attribute findings to networks, report, mail and track remediation",
	    cmd_notify, usage_notify },
	{ NULL, NULL, NULL, NULL }
};

static void
usage_main(FILE *fp)
{
	const struct command *c;

	fprintf(fp, "usage: mamori [--version] CMD [options]\n"
	    "       mamori help CMD\n\ncommands:\n");
	for (c = commands; c->name != NULL; c++)
		fprintf(fp, "  %-10s %s\n", c->name, c->summary);
	fprintf(fp, "\nCommon options: --data DIR (default $MAMORI_DATA, "
	    "else ./mamori-data), -o table|csv|json, -h/--help.\n"
	    "Exit status: 0 ok, 1 runtime error, 2 usage error.\n"
	    "See mamori(1).\n");
}

static const struct command *
command_find(const char *name)
{
	const struct command *c;

	for (c = commands; c->name != NULL; c++)
		if (strcmp(c->name, name) == 0)
			return c;
	return NULL;
}

const char *
cli_datadir(const char *opt)
{
	const char *e;

	if (opt != NULL && *opt != '\0')
		return opt;
	if ((e = getenv("MAMORI_DATA")) != NULL && *e != '\0')
		return e;
	return "./mamori-data";
}

int
cli_out_format(const char *s, enum out_format *f)
{
	if (strcmp(s, "table") == 0)
		*f = OUT_TABLE;
	else if (strcmp(s, "csv") == 0)
		*f = OUT_CSV;
	else if (strcmp(s, "json") == 0 || strcmp(s, "jsonl") == 0)
		*f = OUT_JSON;
	else
		return -1;
	return 0;
}

void
cli_err(const char *cmd, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "mamori %s: ", cmd);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

void
cli_csv_field(FILE *fp, const char *s)
{
	if (s == NULL)
		return;
	if (strpbrk(s, ",\"\r\n") == NULL) {
		fputs(s, fp);
		return;
	}
	cli_csv_quoted(fp, s);
}

int
cli_mkdirs(const char *dir)
{
	char buf[4096], *p;

	if (strlen(dir) >= sizeof(buf)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	strcpy(buf, dir);
	for (p = buf + 1; *p != '\0'; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(buf, 0755) != 0 && errno != EEXIST)
			return -1;
		*p = '/';
	}
	if (mkdir(buf, 0755) != 0 && errno != EEXIST)
		return -1;
	return 0;
}

int
cli_progress_enabled(void)
{
	return isatty(STDERR_FILENO);
}

int
main(int argc, char **argv)
{
	const struct command *c;

	if (argc < 2) {
		usage_main(stderr);
		return EXIT_USAGE;
	}
	if (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "version") == 0) {
		printf("mamori 0.1.0\n");
		return EXIT_OK;
	}
	if (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0) {
		usage_main(stdout);
		return EXIT_OK;
	}
	if (strcmp(argv[1], "help") == 0) {
		if (argc < 3) {
			usage_main(stdout);
			return EXIT_OK;
		}
		if ((c = command_find(argv[2])) == NULL) {
			fprintf(stderr, "mamori: unknown command '%s'\n", argv[2]);
			return EXIT_USAGE;
		}
		c->usage(stdout);
		return EXIT_OK;
	}
	if ((c = command_find(argv[1])) == NULL) {
		fprintf(stderr, "mamori: unknown command '%s'\n", argv[1]);
		usage_main(stderr);
		return EXIT_USAGE;
	}
	return c->run(argc - 1, argv + 1);
}
