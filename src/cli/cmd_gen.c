/*
 * cmd_gen.c - `mamori gen`. (placeholder until implemented)
 */
#include <stdio.h>

#include "cli/cli.h"

void
usage_gen(FILE *fp)
{
	fprintf(fp, "usage: mamori gen [options]\n");
}

int
cmd_gen(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	cli_err("gen", "not implemented yet");
	return EXIT_RUNTIME;
}
