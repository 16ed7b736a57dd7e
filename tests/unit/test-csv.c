// SPDX-License-Identifier: MIT
/* test-csv.c - CSV rows (quoting, unknown values) and atomic output files. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <cmocka.h>

#include "pw-atomic.h"
#include "pw-csv.h"
#include "pw-log.h"

static char dir[] = "/tmp/pw-test-csv.XXXXXX";

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "rb");
	char *buf = calloc(1, 1 << 16);

	assert_non_null(f);
	assert_true(fread(buf, 1, (1 << 16) - 1, f) > 0);
	fclose(f);
	return buf;
}

static int entries(void)
{
	char cmd[256];
	FILE *p;
	int n = 0;

	snprintf(cmd, sizeof(cmd), "ls -A %s | wc -l", dir);
	p = popen(cmd, "r");
	assert_int_equal(fscanf(p, "%d", &n), 1);
	pclose(p);
	return n;
}

static void test_rows(void **state)
{
	char path[256];
	struct pw_csv *c;
	int err;
	char *text;
	struct pw_row a = {
		.time_ns = 18446744073709551615ULL, .cpu = 3, .event = PW_EV_SCHED_SWITCH,
		.pid = 12, .tgid = PW_NONE, .task = "a,b \"q\"", .duration_ns = 0,
		.next_pid = -1, .next_task = "", .prev_state = "R+",
		.next_wait_ns = PW_NONE, .exit_reason = NULL, .target_cpu = PW_NONE,
	};
	struct pw_row b = {
		.time_ns = 5, .cpu = PW_NONE, .event = PW_EV_KVM_EXIT, .pid = 1, .tgid = 1,
		.task = "CPU 0/KVM", .duration_ns = INT64_MAX, .next_pid = PW_NONE,
		.next_wait_ns = PW_NONE, .exit_reason = "DE excp", .target_cpu = PW_NONE,
	};

	(void)state;
	snprintf(path, sizeof(path), "%s/out.csv", dir);
	c = pw_csv_open(path, &err);
	assert_non_null(c);
	assert_int_equal(err, 0);
	assert_int_equal(entries(), 1);		/* only the temporary file */
	assert_int_equal(access(path, F_OK), -1);
	assert_int_equal(pw_csv_row(&a, c), 0);
	assert_int_equal(pw_csv_row(&b, c), 0);
	assert_int_equal(pw_csv_close(c), 0);
	text = slurp(path);
	assert_string_equal(text,
		"time_ns,cpu,event,pid,tgid,task,duration_ns,next_pid,next_task,prev_state,"
		"next_wait_ns,exit_reason,target_cpu\n"
		"18446744073709551615,3,sched_switch,12,,\"a,b \"\"q\"\"\",0,-1,,R+,,,\n"
		"5,,kvm_exit,1,1,CPU 0/KVM,9223372036854775807,,,,,DE excp,\n");
	free(text);
	assert_int_equal(entries(), 1);
	{
		struct stat st;

		assert_int_equal(stat(path, &st), 0);
		assert_int_equal(st.st_mode & 0777, 0644);
	}
	unlink(path);
}

static void test_abort_leaves_nothing(void **state)
{
	char path[256];
	struct pw_csv *c;
	struct pw_row r = { .event = PW_EV_KVM_ENTRY, .cpu = PW_NONE, .pid = 1, .tgid = PW_NONE,
			    .duration_ns = PW_NONE, .next_pid = PW_NONE, .next_wait_ns = PW_NONE,
			    .target_cpu = PW_NONE };

	(void)state;
	snprintf(path, sizeof(path), "%s/gone.csv", dir);
	c = pw_csv_open(path, NULL);
	for (int i = 0; i < 100000; i++)	/* several buffer flushes */
		assert_int_equal(pw_csv_row(&r, c), 0);
	pw_csv_abort(c);
	assert_int_equal(entries(), 0);
	pw_csv_abort(NULL);
}

static void test_atomic_errors(void **state)
{
	struct pw_atomic a;

	(void)state;
	pw_log_set(NULL);
	assert_int_equal(pw_atomic_open(&a, "/nonexistent-dir/x"), PW_EIO);
	/* a device is written into, not replaced (a private node: a regression
	 * must not clobber the real /dev/null) */
	{
		char node[256];
		struct stat st;

		snprintf(node, sizeof(node), "%s/null", dir);
		if (mknod(node, S_IFCHR | 0666, makedev(1, 3))) {
			skip();		/* not root */
			return;
		}
		assert_int_equal(pw_atomic_open(&a, node), 0);
		assert_int_equal(write(a.fd, "x", 1), 1);
		assert_int_equal(pw_atomic_commit(&a), 0);
		assert_int_equal(stat(node, &st), 0);
		assert_true(S_ISCHR(st.st_mode));
		assert_int_equal(entries(), 1);	/* no temporary file beside it */
		unlink(node);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rows),
		cmocka_unit_test(test_abort_leaves_nothing),
		cmocka_unit_test(test_atomic_errors),
	};
	int rc;

	if (!mkdtemp(dir))
		return 1;
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	rmdir(dir);
	return rc;
}
