// SPDX-License-Identifier: MIT
/* test-plot-aggregate.c - exact per task / core / reason / bin sums. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <cmocka.h>

#include "aggregate.h"
#include "pw-log.h"
#include "test-plot-fixture.h"

static struct fx fx;
static struct pm_run run;
static struct pm_agg *agg;

static int setup(void **state)
{
	fx_build(&fx, fx_basic, sizeof(fx_basic) / sizeof(fx_basic[0]));
	return 0;
}

static int teardown(void **state)
{
	pm_agg_free(agg);
	pm_run_release(&run);
	fx_release(&fx);
	return 0;
}

/* Index with @no, select @spec, window [from, from + cap), aggregate. */
static void build(const struct pm_name_opts *no, const char *spec, double from_ms,
		  double cap_ms, uint32_t tbins)
{
	struct pm_run *runs[1] = { &run };
	struct pm_select *s;
	int err;

	pm_agg_free(agg);
	agg = NULL;
	pm_run_release(&run);
	assert_int_equal(pm_run_index(&run, "basic.cdict", &fx.c, NULL, no), 0);
	assert_int_equal(pm_runs_window(runs, 1, from_ms, cap_ms), 0);
	s = pm_select_parse(spec, &err);
	assert_non_null(s);
	pm_run_select(&run, s);
	pm_select_free(s);
	assert_int_equal(pm_agg_build(&run, tbins, &agg), 0);
}

static uint32_t task(const char *name)
{
	uint32_t t = pm_agg_find_task(agg, name);

	assert_int_not_equal(t, PM_NO_TASK);
	return t;
}

#define CORE(arr, t, cpu) (agg->arr[(size_t)(t) * agg->nr_cpus + (cpu)])

static void test_whole_capture(void **state)
{
	uint32_t a, b, s0, s1;

	build(NULL, "*", 0, -1, 0);
	assert_int_equal(agg->window_ns, 9001);
	assert_int_equal(agg->nr_tasks, 4);
	/* Natural name order. */
	assert_string_equal(pm_agg_task_name(agg, 0), "A");
	assert_string_equal(pm_agg_task_name(agg, 3), "swapper/1");
	a = task("A");
	b = task("B");
	s0 = task("swapper/0");
	s1 = task("swapper/1");

	/* A: [1000,3000) cpu0, [4000,6000) cpu1, [7000,10000) cpu0 (still on). */
	assert_int_equal(agg->task[a].run_ns, 7000);
	assert_int_equal(CORE(core_run_ns, a, 0), 5000);
	assert_int_equal(CORE(core_run_ns, a, 1), 2000);
	assert_int_equal(agg->task[a].sw_voluntary, 1);
	assert_int_equal(agg->task[a].sw_preempted, 1);	/* "R+" */
	assert_int_equal(CORE(core_switches, a, 0), 1);
	assert_int_equal(CORE(core_switches, a, 1), 1);
	/* B: [1000,4000) and [6000,10000) on cpu1. */
	assert_int_equal(agg->task[b].run_ns, 7000);
	assert_int_equal(CORE(core_run_ns, b, 1), 7000);
	assert_int_equal(agg->task[b].sw_voluntary, 0);
	assert_int_equal(agg->task[b].sw_preempted, 1);
	/* swapper/0: first switch-out without a known start counts from t0. */
	assert_int_equal(agg->task[s0].run_ns, 4000);
	assert_int_equal(agg->task[s0].sw_preempted, 2);
	assert_int_equal(agg->task[s1].run_ns, 0);
	assert_int_equal(agg->task[s1].sw_preempted, 1);

	/* Exit reasons sorted by name. */
	assert_int_equal(agg->nr_reasons, 2);
	assert_string_equal(agg->reasons[0], "EXTERNAL_INTERRUPT");
	assert_string_equal(agg->reasons[1], "HLT");
	assert_int_equal(agg->exits[a * 2 + 0], 1);
	assert_int_equal(agg->exits[a * 2 + 1], 2);
	assert_int_equal(agg->task[a].exits, 3);
	assert_int_equal(agg->exits[b * 2 + 1], 0);
}

static void test_window_clips(void **state)
{
	uint32_t a, b, s0;

	build(NULL, "*", 0.002, 0.004, 0);	/* [3000, 7000) */
	assert_int_equal(agg->window_ns, 4000);
	a = task("A");
	b = task("B");
	s0 = task("swapper/0");
	assert_int_equal(agg->task[a].run_ns, 2000);
	assert_int_equal(agg->task[b].run_ns, 2000);
	assert_int_equal(CORE(core_run_ns, b, 1), 2000);
	assert_int_equal(agg->task[s0].run_ns, 4000);
	assert_int_equal(agg->task[s0].sw_preempted, 0);	/* at 7000: outside */
	assert_int_equal(agg->task[a].sw_voluntary, 1);	/* at 3000: inside */
	assert_int_equal(agg->task[a].exits, 3);
}

static void test_selection_and_merge(void **state)
{
	struct pm_name_opts merge = { .merge_sys_tasks = true };

	build(&merge, "swapper", 0, -1, 0);
	assert_int_equal(agg->nr_tasks, 1);
	assert_string_equal(pm_agg_task_name(agg, 0), "swapper");
	assert_int_equal(agg->task[0].run_ns, 4000);
	assert_int_equal(agg->task[0].sw_preempted, 3);
	assert_int_equal(agg->nr_reasons, 0);

	/* By tid: A only; its exits, not B's (none) nor other reasons. */
	build(NULL, "10", 0, -1, 0);
	assert_int_equal(agg->nr_tasks, 1);
	assert_int_equal(agg->task[0].run_ns, 7000);
	assert_int_equal(agg->nr_reasons, 2);
}

static void test_heatmaps(void **state)
{
	uint32_t a, b, s0;
	uint32_t *h;

	assert_int_equal(pm_dbin_edge(0), 1000);
	assert_int_equal(pm_dbin_edge(1), 1585);
	assert_int_equal(pm_dbin_edge(5), 10000);
	assert_int_equal(pm_dbin(999), 0);
	assert_int_equal(pm_dbin(1584), 0);
	assert_int_equal(pm_dbin(1585), 1);
	assert_int_equal(pm_dbin(5000), 3);
	assert_int_equal(pm_dbin(UINT64_MAX), PM_DBINS - 1);
	assert_int_equal(pm_tbin_start(9001, 10, 1), 901);
	assert_int_equal(pm_tbin_start(9001, 10, 10), 9001);

	build(NULL, "*", 0, -1, 10);
	a = task("A");
	b = task("B");
	s0 = task("swapper/0");
#define BIN(task, kind, tb, db) pm_agg_heat(agg, task, kind)[(tb) * PM_DBINS + (db)]
	assert_int_equal(BIN(a, PM_HEAT_RUN, 2, 1), 1);	/* t 3000, 2000 ns */
	assert_int_equal(BIN(a, PM_HEAT_RUN, 5, 1), 1);	/* t 6000, 2000 ns */
	assert_int_equal(BIN(a, PM_HEAT_WAIT, 3, 0), 1);	/* t 4000, 1000 ns */
	assert_int_equal(BIN(b, PM_HEAT_WAIT, 5, 1), 1);
	assert_int_equal(BIN(s0, PM_HEAT_WAIT, 2, 0), 1);	/* 500 ns: first bin */
	assert_int_equal(BIN(b, PM_HEAT_SLEEP, 8, 3), 1);	/* 5000 ns */
	assert_int_equal(BIN(a, PM_HEAT_GUEST, 3, 0), 1);
	assert_int_equal(BIN(a, PM_HEAT_GUEST, 4, 0), 2);
	assert_int_equal(BIN(a, PM_HEAT_HANDLE, 3, 0), 1);
	/* Nothing else: totals per kind. */
	h = pm_agg_heat(agg, a, PM_HEAT_RUN);
	uint64_t sum = 0;
	for (uint32_t i = 0; i < agg->tbins * PM_DBINS; i++)
		sum += h[i];
	assert_int_equal(sum, 2);

	/* Temporal coremap: A's [1000, 3000) on cpu0 = bins 0, 1, 2 of 901 ns. */
#define TC(task, tb, cpu) agg->tcore_ns[((size_t)(task) * agg->tbins + (tb)) * agg->nr_cpus + (cpu)]
	assert_int_equal(TC(a, 0, 0), 901);
	assert_int_equal(TC(a, 1, 0), 900);
	assert_int_equal(TC(a, 2, 0), 199);
	sum = 0;
	for (uint32_t tb = 0; tb < agg->tbins; tb++)
		for (uint32_t c = 0; c < agg->nr_cpus; c++)
			sum += TC(a, tb, c);
	assert_int_equal(sum, 7000);
}

/* @x and @y hold the same sums, task for task. */
static void assert_agg_equal(const struct pm_agg *x, const struct pm_agg *y)
{
	size_t cores;

	assert_int_equal(x->nr_tasks, y->nr_tasks);
	assert_int_equal(x->nr_cpus, y->nr_cpus);
	assert_int_equal(x->nr_reasons, y->nr_reasons);
	assert_int_equal(x->tbins, y->tbins);
	for (uint32_t t = 0; t < x->nr_tasks; t++)
		assert_string_equal(pm_agg_task_name(x, t), pm_agg_task_name(y, t));
	for (uint32_t k = 0; k < x->nr_reasons; k++)
		assert_string_equal(x->reasons[k], y->reasons[k]);
	assert_memory_equal(x->task, y->task, x->nr_tasks * sizeof(*x->task));
	cores = (size_t)x->nr_tasks * x->nr_cpus * sizeof(uint64_t);
	assert_memory_equal(x->core_run_ns, y->core_run_ns, cores);
	assert_memory_equal(x->core_switches, y->core_switches, cores);
	assert_memory_equal(x->exits, y->exits,
			    (size_t)x->nr_tasks * x->nr_reasons * sizeof(uint64_t));
	if (x->tbins) {
		assert_memory_equal(x->heat, y->heat,
				    (size_t)x->nr_tasks * PM_HEAT__MAX * x->tbins * PM_DBINS *
					    sizeof(uint32_t));
		assert_memory_equal(x->tcore_ns, y->tcore_ns, cores * x->tbins);
	}
}

/* Events of @kind heat-mapped for task @name of @a, all bins together. */
static uint64_t heat_sum(const struct pm_agg *a, const char *name, int kind)
{
	uint32_t t = pm_agg_find_task(a, name);
	const uint32_t *h;
	uint64_t sum = 0;

	assert_int_not_equal(t, PM_NO_TASK);
	h = pm_agg_heat(a, t, kind);
	for (size_t i = 0; i < (size_t)a->tbins * PM_DBINS; i++)
		sum += h[i];
	return sum;
}

/* Sets aggregated in one go are what each gives aggregated alone. */
static void test_sets(void **state)
{
	static const char *const spec[2] = { "A", "B,swapper/0" };
	struct pm_agg *sets[2], *alone;
	uint32_t *set_of;

	build(NULL, "*", 2.0e-3, 7.5e-3, 10);	/* the window [3000, 10500) */
	set_of = malloc(run.nr_threads * sizeof(*set_of));
	assert_non_null(set_of);
	for (uint32_t t = 0; t < run.nr_threads; t++) {
		const char *name = pm_run_thread_name(&run, t);

		set_of[t] = !strcmp(name, "A") ? 0 : !strcmp(name, "swapper/1") ? PM_NO_TASK : 1;
	}
	assert_int_equal(pm_agg_build_sets(&run, 10, 2, set_of, sets), 0);
	assert_int_equal(sets[0]->nr_tasks, 1);
	assert_int_equal(sets[1]->nr_tasks, 2);
	assert_int_equal(sets[0]->nr_reasons, 2);	/* A's exits: HLT, EXTERNAL_INTERRUPT */
	assert_int_equal(sets[1]->nr_reasons, 0);
	assert_int_equal(sets[0]->task[0].exits, 3);
	/* a wakeup wait counts for the task switched in, whoever switched out:
	 * B -> A at 4000, A -> B at 6000, A -> swapper/0 at 3000 */
	assert_int_equal(heat_sum(sets[0], "A", PM_HEAT_WAIT), 1);
	assert_int_equal(heat_sum(sets[1], "B", PM_HEAT_WAIT), 1);
	assert_int_equal(heat_sum(sets[1], "swapper/0", PM_HEAT_WAIT), 1);
	for (int k = 0; k < 2; k++) {
		struct pm_select *s;
		int err;

		s = pm_select_parse(spec[k], &err);
		assert_non_null(s);
		pm_run_select(&run, s);
		pm_select_free(s);
		assert_int_equal(pm_agg_build(&run, 10, &alone), 0);
		assert_agg_equal(sets[k], alone);
		pm_agg_free(alone);
		pm_agg_free(sets[k]);
	}
	free(set_of);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_whole_capture),
		cmocka_unit_test(test_window_clips),
		cmocka_unit_test(test_selection_and_merge),
		cmocka_unit_test(test_heatmaps),
		cmocka_unit_test(test_sets),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
