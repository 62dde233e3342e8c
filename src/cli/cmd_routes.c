/*
 * cmd_routes.c - `mamori routes` (placeholder until the command lands).
 */
#include <stdio.h>

#include "cli/cli.h"

void
usage_routes(FILE *fp)
{
	fprintf(fp, "usage: mamori routes ... (not implemented yet)\n");
}

int
cmd_routes(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	usage_routes(stderr);
	return 2;
}
