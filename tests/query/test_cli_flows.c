/*
 * test_cli_flows.c - `mamori flows` as a user runs it: exit codes 0/1/2,
 * the caret under a filter error, --help, and a query over a store written
 * here. Needs the binary ($MAMORI_BIN, set by ctest); skipped without it.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <cmocka.h>

#include "core/addr.h"
#include "store/store.h"

static const char *bin;
static char dir[64];

/* Runs `mamori flows ARGS` with stderr merged; returns the exit status and
 * the output in *out (malloc'd). */
static int
run(const char *args, char **out)
{
	char cmd[1024], buf[4096];
	size_t n = 0, r;
	FILE *p;
	int st;

	snprintf(cmd, sizeof(cmd), "%s flows %s 2>&1", bin, args);
	p = popen(cmd, "r");
	assert_non_null(p);
	*out = NULL;
	while ((r = fread(buf, 1, sizeof(buf), p)) > 0) {
		*out = realloc(*out, n + r + 1);
		assert_non_null(*out);
		memcpy(*out + n, buf, r);
		n += r;
	}
	if (*out == NULL)
		*out = calloc(1, 1);
	(*out)[n] = '\0';
	st = pclose(p);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static int
setup(void **state)
{
	struct store_conf c;
	struct store_writer *w;
	struct mm_diag d;
	struct flow f;
	int i;

	(void)state;
	bin = getenv("MAMORI_BIN");
	strcpy(dir, "/tmp/mamori-clitest-XXXXXX");
	if (mkdtemp(dir) == NULL)
		return -1;
	memset(&c, 0, sizeof(c));
	if (store_writer_open(dir, &c, &w, &d) != 0)
		return -1;
	for (i = 0; i < 100; i++) {
		memset(&f, 0, sizeof(f));
		f.first = 1767225600000LL + i * 1000;
		f.last = f.first + 10;
		addr_from_v4(&f.src, 0x0a000001u + (uint32_t)(i % 4));
		addr_from_v4(&f.dst, 0xc0000201u);
		f.proto = 6;
		f.src_port = (uint16_t)(2000 + i);
		f.dst_port = i % 2 ? 443 : 80;
		f.packets = 2;
		f.bytes = 120;
		if (store_writer_add(w, &f, f.last, &d) != 0)
			return -1;
	}
	return store_writer_close(w, &d) == 0 ? 0 : -1;
}

static int
teardown(void **state)
{
	char cmd[128];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
}

static void
test_cli(void **state)
{
	char args[512], *out;

	(void)state;
	if (bin == NULL || *bin == '\0') {
		fprintf(stderr, "MAMORI_BIN not set: skipped\n");
		skip();
	}
	assert_int_equal(run("--help", &out), 0);
	assert_non_null(strstr(out, "usage: mamori flows"));
	free(out);

	/* filter error: message, expression and a caret under 'x' */
	snprintf(args, sizeof(args), "--data %s 'port x'", dir);
	assert_int_equal(run(args, &out), 2);
	assert_non_null(strstr(out, "expected a number"));
	assert_non_null(strstr(out, "  port x\n       ^\n"));
	free(out);

	assert_int_equal(run("-o xml", &out), 2);
	free(out);
	assert_int_equal(run("-n", &out), 2);
	free(out);
	assert_int_equal(run("--bogus", &out), 2);
	free(out);

	/* a file that does not exist is a runtime error */
	assert_int_equal(run("-r /nonexistent/flows.mmf", &out), 1);
	free(out);

	snprintf(args, sizeof(args), "--data %s -q -o csv 'src host "
	    "10.0.0.2 and dst port 443'", dir);
	assert_int_equal(run(args, &out), 0);
	/* header + flows i%4==1 and i odd: 25 */
	{
		size_t lines = 0;
		char *p;

		for (p = out; *p != '\0'; p++)
			lines += *p == '\n';
		assert_int_equal(lines, 26);
	}
	free(out);

	snprintf(args, sizeof(args), "--data %s -N -s srcip/flows -n 2 "
	    "proto tcp", dir);
	assert_int_equal(run(args, &out), 0);
	assert_non_null(strstr(out, "Top 2 Src IP Addr ordered by flows:"));
	assert_non_null(strstr(out, "Summary: total flows: 100,"));
	free(out);

	snprintf(args, sizeof(args), "--data %s -o json -c 1 -q", dir);
	assert_int_equal(run(args, &out), 0);
	assert_memory_equal(out, "{\"first\":", 9);
	free(out);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cli),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
