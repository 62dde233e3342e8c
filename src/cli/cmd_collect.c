/*
 * cmd_collect.c - `mamori collect`. (placeholder until implemented)
 */
#include <stdio.h>

#include "cli/cli.h"

void
usage_collect(FILE *fp)
{
	fprintf(fp, "usage: mamori collect [options]\n");
}

int
cmd_collect(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	cli_err("collect", "not implemented yet");
	return EXIT_RUNTIME;
}
