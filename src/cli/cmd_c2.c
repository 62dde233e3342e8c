/*
 * cmd_c2.c - `mamori c2`. (placeholder until implemented)
 */
#include <stdio.h>

#include "cli/cli.h"

void
usage_c2(FILE *fp)
{
	fprintf(fp, "usage: mamori c2 [options]\n");
}

int
cmd_c2(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	cli_err("c2", "not implemented yet");
	return EXIT_RUNTIME;
}
