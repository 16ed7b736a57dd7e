// SPDX-License-Identifier: MIT
/* test-plot-run.c - perfmap runs: names, selection, window, listings. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <cmocka.h>

#include "pw-log.h"
#include "run.h"
#include "test-plot-fixture.h"

static struct fx fx;
static struct pm_run run;

static int setup(void **state)
{
	fx_build(&fx, fx_basic, sizeof(fx_basic) / sizeof(fx_basic[0]));
	return 0;
}

static int teardown(void **state)
{
	pm_run_release(&run);
	fx_release(&fx);
	return 0;
}

static void index_with(const struct pm_name_opts *no)
{
	pm_run_release(&run);
	assert_int_equal(pm_run_index(&run, "dir/basic.cdict", &fx.c, NULL, no), 0);
}

/* The thread row @i is about, and the one it switched in. */
static uint32_t thread_at(int i)
{
	return pm_run_find_thread(&run, fx.c.pid[i], fx.c.task[i]);
}

static uint32_t next_at(int i)
{
	if (fx.c.event[i] != PW_EV_SCHED_SWITCH)
		return PM_NO_THREAD;
	return pm_run_find_thread(&run, fx.c.next_pid[i], fx.c.next_task[i]);
}

static char *capture_list(void)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	assert_non_null(f);
	assert_int_equal(pm_run_write_list(&run, f), 0);
	fclose(f);
	return buf;
}

static void test_index(void **state)
{
	index_with(NULL);
	assert_int_equal(run.nr_threads, 4);	/* swapper/0, A, swapper/1, B */
	assert_int_equal(run.nr_ents, 4);
	assert_int_equal(run.nr_cpus, 2);
	assert_int_equal(run.t0, 1000);
	assert_int_equal(run.t_last, 10000);
	assert_int_equal(run.ws, 1000);
	assert_int_equal(run.we, 10001);
	assert_string_equal(pm_run_thread_name(&run, thread_at(3)), "B");
	assert_string_equal(pm_run_thread_name(&run, next_at(3)), "A");
	assert_int_equal(next_at(4), PM_NO_THREAD);
}

static void test_sys_task_base(void **state)
{
	assert_int_equal(pm_sys_task_base("swapper/3"), 7);
	assert_int_equal(pm_sys_task_base("ksoftirqd/12"), 9);
	assert_int_equal(pm_sys_task_base("kworker/u8:2"), 7);
	assert_int_equal(pm_sys_task_base("kworker/0:1H"), 7);
	assert_int_equal(pm_sys_task_base("migration/0"), 9);
	assert_int_equal(pm_sys_task_base("perf"), 0);
	assert_int_equal(pm_sys_task_base("/usr/bin/qemu"), 0);
	assert_int_equal(pm_sys_task_base("gdbus/x"), 0);
}

static void test_merge_and_append(void **state)
{
	struct pm_name_opts merge = { .merge_sys_tasks = true };
	struct pm_name_opts tid = { .append_tid = true };
	struct pm_name_opts both = { .merge_sys_tasks = true, .append_tid = true };

	index_with(&merge);
	assert_int_equal(run.nr_threads, 4);
	assert_int_equal(run.nr_ents, 3);
	assert_string_equal(pm_run_thread_name(&run, thread_at(0)), "swapper");
	assert_int_equal(run.threads[thread_at(0)].ent, run.threads[thread_at(1)].ent);

	index_with(&tid);
	assert_string_equal(pm_run_thread_name(&run, thread_at(0)), "swapper/0:0");
	assert_string_equal(pm_run_thread_name(&run, thread_at(2)), "A:10");

	index_with(&both);
	assert_int_equal(run.nr_ents, 3);
	assert_string_equal(pm_run_thread_name(&run, thread_at(1)), "swapper:0");
}

static void test_select(void **state)
{
	int err;
	struct pm_select *s;

	index_with(NULL);
	s = pm_select_parse("swapper*", &err);
	assert_non_null(s);
	assert_int_equal(pm_run_select(&run, s), 2);
	pm_select_free(s);

	s = pm_select_parse("20,A", &err);
	assert_int_equal(pm_run_select(&run, s), 2);
	assert_true(run.ent_selected[run.threads[thread_at(3)].ent]);
	assert_true(run.ent_selected[run.threads[thread_at(2)].ent]);
	assert_false(run.ent_selected[run.threads[thread_at(0)].ent]);
	pm_select_free(s);

	/* Whole-name match: "wapper*" matches nothing, "*0" only swapper/0. */
	s = pm_select_parse("wapper*", &err);
	assert_int_equal(pm_run_select(&run, s), 0);
	pm_select_free(s);
	s = pm_select_parse("*0", &err);
	assert_int_equal(pm_run_select(&run, s), 1);
	pm_select_free(s);

	assert_null(pm_select_parse("A,,B", &err));
	assert_int_equal(err, PW_EINVAL);
}

static void test_closest(void **state)
{
	const char *names[3];

	index_with(NULL);
	assert_int_equal(pm_run_closest(&run, "swaper", names, 3), 3);
	assert_string_equal(names[0], "swapper/0");
	assert_string_equal(names[1], "swapper/1");
}

static void test_window(void **state)
{
	struct pm_run *runs[1] = { &run };

	index_with(NULL);
	assert_int_equal(pm_runs_window(runs, 1, 0.002, 0.004), 0);
	assert_int_equal(run.ws, 3000);
	assert_int_equal(run.we, 7000);
	assert_true(run.scale == 1.0);
	/* The capture is 9000 ns long: starting after it is an error. */
	assert_int_equal(pm_runs_window(runs, 1, 0.0091, -1), PW_EINVAL);
	/* A cap beyond the end: the rest of the run, counts scaled. */
	assert_int_equal(pm_runs_window(runs, 1, 0.008, 0.004), 0);
	assert_int_equal(run.ws, 9000);
	assert_int_equal(run.we, 10001);
	assert_true(run.scale == 4000.0 / 1001.0);
}

/* Several runs: the window defaults to the shortest; a longer cap scales. */
static void test_window_runs(void **state)
{
	struct fx shortfx;
	struct pm_run other;
	struct pm_run *runs[2] = { &run, &other };

	index_with(NULL);
	fx_build(&shortfx, fx_basic, 6);	/* [1000, 4600] */
	assert_int_equal(pm_run_index(&other, "short.cdict", &shortfx.c, NULL, NULL), 0);
	assert_int_equal(pm_runs_window(runs, 2, 0, -1), 0);
	assert_int_equal(run.ws, 1000);
	assert_int_equal(run.we, 4601);
	assert_int_equal(other.we, 4601);
	assert_true(run.scale == 1.0 && other.scale == 1.0);
	assert_int_equal(pm_runs_window(runs, 2, 0.001, 0.005), 0);	/* [2000, 7000) */
	assert_int_equal(run.we, 7000);
	assert_int_equal(other.we, 4601);
	assert_true(other.scale == 5000.0 / 2601.0);
	/* From beyond the short run: an error, whatever the long one. */
	assert_int_equal(pm_runs_window(runs, 2, 0.004, -1), PW_EINVAL);
	pm_run_release(&other);
	fx_release(&shortfx);
}

static void test_list(void **state)
{
	struct pm_run *runs[1] = { &run };
	char *out;

	index_with(NULL);
	out = capture_list();
	assert_string_equal(out,
		"     TID     EVENTS  TASK\n"
		"      10          6  A\n"
		"      20          3  B\n"
		"       0          2  swapper/0\n"
		"       0          1  swapper/1\n");
	free(out);

	/* Only the window's events: [3000, 7000). */
	assert_int_equal(pm_runs_window(runs, 1, 0.002, 0.004), 0);
	out = capture_list();
	assert_string_equal(out,
		"     TID     EVENTS  TASK\n"
		"      10          6  A\n"
		"      20          1  B\n");
	free(out);
}

static void test_successors(void **state)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	int err;
	struct pm_select *s = pm_select_parse("A", &err);

	index_with(NULL);
	assert_int_equal(pm_run_write_successors(&run, s, f), 2);
	fclose(f);
	assert_string_equal(buf,
		"  SWITCHES  PERCENT  NEXT TASK\n"
		"         1   50.00%  B\n"
		"         1   50.00%  swapper\n"
		"         2  100.00%  (total)\n");
	free(buf);
	pm_select_free(s);

	/* By tid 0: both idle threads; successors A twice, B once. */
	buf = NULL;
	f = open_memstream(&buf, &len);
	s = pm_select_parse("0", &err);
	assert_int_equal(pm_run_write_successors(&run, s, f), 3);
	fclose(f);
	assert_string_equal(buf,
		"  SWITCHES  PERCENT  NEXT TASK\n"
		"         2   66.67%  A\n"
		"         1   33.33%  B\n"
		"         3  100.00%  (total)\n");
	free(buf);
	pm_select_free(s);
}

static void name_runs(const char **paths, unsigned int n, const char **expect)
{
	struct pm_run r[4];
	struct pm_run *rp[4];

	memset(r, 0, sizeof(r));
	for (unsigned int i = 0; i < n; i++) {
		r[i].path = (char *)paths[i];
		rp[i] = &r[i];
	}
	assert_int_equal(pm_runs_name(rp, n), 0);
	for (unsigned int i = 0; i < n; i++) {
		assert_string_equal(r[i].name, expect[i]);
		free(r[i].name);
	}
}

static void test_run_names(void **state)
{
	const char *a[] = { "h1x216.cdict", "h5x113.cdict" };
	const char *ae[] = { "h1x216", "h5x113" };
	const char *b[] = { "/tmp/run-h1x216-2024.cdict", "x/run-h5x113-2024.cdict",
			    "run-h5x114-2024.cdict" };
	const char *be[] = { "h1x216", "h5x113", "h5x114" };
	const char *c[] = { "a/test.cdict", "b/test.cdict" };
	const char *ce[] = { "a", "b" };
	const char *d[] = { "/data/test.cdict" };
	const char *de[] = { "test" };

	name_runs(a, 2, ae);
	name_runs(b, 3, be);
	name_runs(c, 2, ce);
	name_runs(d, 1, de);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_index),
		cmocka_unit_test(test_sys_task_base),
		cmocka_unit_test(test_merge_and_append),
		cmocka_unit_test(test_select),
		cmocka_unit_test(test_closest),
		cmocka_unit_test(test_window),
		cmocka_unit_test(test_window_runs),
		cmocka_unit_test(test_list),
		cmocka_unit_test(test_successors),
		cmocka_unit_test(test_run_names),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
