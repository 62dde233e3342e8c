/*
 * cmd_notify.c - `mamori notify` (placeholder until the command lands).
 */
#include <stdio.h>

#include "cli/cli.h"

void
usage_notify(FILE *fp)
{
	fprintf(fp, "usage: mamori notify ... (not implemented yet)\n");
}

int
cmd_notify(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	usage_notify(stderr);
	return 2;
}
