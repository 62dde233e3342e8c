/*
 * cmd_findings.c - `mamori findings`. (placeholder until implemented)
 */
#include <stdio.h>

#include "cli/cli.h"

void
usage_findings(FILE *fp)
{
	fprintf(fp, "usage: mamori findings [options]\n");
}

int
cmd_findings(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	cli_err("findings", "not implemented yet");
	return EXIT_RUNTIME;
}
