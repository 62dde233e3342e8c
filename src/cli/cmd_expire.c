/*
 * cmd_expire.c - `mamori expire`. (placeholder until implemented)
 */
#include <stdio.h>

#include "cli/cli.h"

void
usage_expire(FILE *fp)
{
	fprintf(fp, "usage: mamori expire [options]\n");
}

int
cmd_expire(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	cli_err("expire", "not implemented yet");
	return EXIT_RUNTIME;
}
