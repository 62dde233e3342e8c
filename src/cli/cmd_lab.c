/*
 * cmd_lab.c - `mamori lab`. (placeholder until implemented)
 */
#include <stdio.h>

#include "cli/cli.h"

void
usage_lab(FILE *fp)
{
	fprintf(fp, "usage: mamori lab [options]\n");
}

int
cmd_lab(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	cli_err("lab", "not implemented yet");
	return EXIT_RUNTIME;
}
