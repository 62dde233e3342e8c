/*
 * cmd_flows.c - `mamori flows`. (placeholder until implemented)
 */
#include <stdio.h>

#include "cli/cli.h"

void
usage_flows(FILE *fp)
{
	fprintf(fp, "usage: mamori flows [options]\n");
}

int
cmd_flows(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	cli_err("flows", "not implemented yet");
	return EXIT_RUNTIME;
}
