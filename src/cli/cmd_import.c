/*
 * cmd_import.c - `mamori import`. (placeholder until implemented)
 */
#include <stdio.h>

#include "cli/cli.h"

void
usage_import(FILE *fp)
{
	fprintf(fp, "usage: mamori import [options]\n");
}

int
cmd_import(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	cli_err("import", "not implemented yet");
	return EXIT_RUNTIME;
}
