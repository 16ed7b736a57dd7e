// SPDX-License-Identifier: MIT
/* test-convert.c - a conversion asked to stop leaves no output, however short. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "pw-cdict.h"
#include "pw-convert.h"
#include "pw-log.h"

#include "test-dir.h"
#include "test-log.h"

#define NROWS 10	/* fewer than the sinks' 4096 rows between two looks at the stop */

struct fx {
	char dir[64], in[128], out[128];
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	struct pw_cdict_writer *w;
	int err = 0;

	if (!f)
		return -1;
	strcpy(f->dir, "/tmp/test-convert.XXXXXX");
	if (!mkdtemp(f->dir))
		return -1;
	snprintf(f->in, sizeof(f->in), "%s/in.cdict", f->dir);
	snprintf(f->out, sizeof(f->out), "%s/out.cdict", f->dir);
	pw_log_set(capture);
	w = pw_cdict_writer_open(f->in, NULL, &err);
	if (!w)
		return -1;
	for (int i = 0; i < NROWS; i++) {
		struct pw_row r = {
			.time_ns = 1000 + 10 * (uint64_t)i, .cpu = i % 2,
			.event = PW_EV_SCHED_WAKEUP, .pid = 100 + i, .tgid = 100,
			.task = "worker", .duration_ns = PW_NONE, .next_pid = PW_NONE,
			.next_wait_ns = PW_NONE, .target_cpu = i % 2,
		};

		if (pw_cdict_writer_add(w, &r))
			return -1;
	}
	if (pw_cdict_writer_close(w, NULL))
		return -1;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	unlink(f->in);
	unlink(f->out);
	rmdir(f->dir);
	free(f);
	return 0;
}

static int run(struct fx *f, volatile int *stop)
{
	struct pw_convert c = { .input = f->in, .input_fd = -1, .cdict = f->out, .stop = stop };
	struct pw_meta meta;
	int err = pw_convert_run(&c, &meta);

	pw_meta_release(&meta);
	return err;
}

static void test_stop_before_any_look(void **state)
{
	struct fx *f = *state;
	volatile int stop = 1;

	assert_int_equal(run(f, &stop), PW_ESTOPPED);
	assert_int_equal(access(f->out, F_OK), -1);
	assert_int_equal(errno, ENOENT);
	assert_int_equal(dir_entries(f->dir), 1);	/* the input alone: no temporary file left */
}

static void test_no_stop(void **state)
{
	struct fx *f = *state;
	volatile int stop = 0;
	struct pw_cdict *cd;
	int err = 0;

	assert_int_equal(run(f, &stop), 0);
	cd = pw_cdict_open(f->out, &err);
	assert_non_null(cd);
	assert_int_equal(pw_cdict_nrows(cd), NROWS);
	pw_cdict_close(cd);
	assert_int_equal(dir_entries(f->dir), 2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_stop_before_any_look, setup, teardown),
		cmocka_unit_test_setup_teardown(test_no_stop, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
