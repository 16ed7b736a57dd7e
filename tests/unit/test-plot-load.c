// SPDX-License-Identifier: MIT
/* test-plot-load.c - runs opened from cdict files the library writes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <unistd.h>
#include <cmocka.h>

#include "aggregate.h"
#include "pw-log.h"
#include "run.h"
#include "test-plot-fixture.h"

static char dir[] = "/tmp/test-plot-load-XXXXXX";
static char path[256];

/* Write fx_basic as a cdict, two rows per chunk to cross chunk boundaries. */
static int setup(void **state)
{
	struct pw_cdict_writer_opts opts = { .rows_per_chunk = 2 };
	struct pw_cdict_writer *w;
	struct pw_meta meta;
	int err;

	if (!mkdtemp(dir))
		return -1;
	snprintf(path, sizeof(path), "%s/basic.cdict", dir);
	w = pw_cdict_writer_open(path, &opts, &err);
	if (!w)
		return -1;
	pw_meta_init(&meta);
	meta.nr_cpus = 4;
	meta.first_ns = 1000;
	meta.last_ns = 10000;
	for (size_t i = 0; i < sizeof(fx_basic) / sizeof(fx_basic[0]); i++) {
		const struct fx_row *f = &fx_basic[i];
		struct pw_row r = {
			.time_ns = f->t, .cpu = f->cpu, .event = f->ev, .pid = f->pid,
			.tgid = f->pid, .task = f->task, .duration_ns = f->dur,
			.next_pid = f->next_pid == N32 ? PW_NONE : f->next_pid,
			.next_task = f->next_task, .prev_state = f->state,
			.next_wait_ns = f->wait, .exit_reason = f->reason, .target_cpu = PW_NONE,
		};

		meta.stored[f->ev]++;
		if (pw_cdict_writer_add(w, &r)) {
			pw_cdict_writer_abort(w);
			return -1;
		}
	}
	return pw_cdict_writer_close(w, &meta) ? -1 : 0;
}

static int teardown(void **state)
{
	unlink(path);
	rmdir(dir);
	return 0;
}

/* What a pass over the run sees: rows, pieces, columns, the rows' threads. */
struct seen {
	const struct pm_run *run;
	uint64_t rows, pieces;
	bool tgid, wait;
};

static int see_piece(const struct pm_rows *r, void *arg)
{
	struct seen *x = arg;
	const struct pw_columns *c = r->c;

	for (uint64_t i = 0; i < c->nrows; i++) {
		const struct fx_row *f = &fx_basic[x->rows + i];

		assert_int_equal(c->time_ns[i], f->t);
		assert_string_equal(pm_run_thread_name(x->run, r->thread[i]), f->task);
		if (f->ev == PW_EV_SCHED_SWITCH && f->next_pid != N32)
			assert_string_equal(pm_run_thread_name(x->run, r->next[i]), f->next_task);
		else
			assert_int_equal(r->next[i], PM_NO_THREAD);
		if (c->tgid)
			assert_int_equal(c->tgid[i], f->pid);
	}
	x->tgid |= c->tgid != NULL;
	x->wait |= c->next_wait_ns != NULL;
	x->rows += c->nrows;
	x->pieces++;
	return 0;
}

struct heard {
	int calls;
	uint64_t last;
};

static void hear(const struct pm_run *run, uint64_t done, uint64_t total, void *ctx)
{
	struct heard *h = ctx;

	assert_int_equal(total, run->nrows);
	assert_true(done > h->last && done <= total);
	h->last = done;
	h->calls++;
}

static void test_open(void **state)
{
	struct pm_run *run, *runs[1];
	struct pm_select *s;
	struct pm_agg *agg;
	uint32_t a;
	int err;

	run = pm_run_open(path, NULL, PM_COLS_BASE | PM_COLS_PROCESS, NULL, &err);
	assert_non_null(run);
	assert_int_equal(err, 0);
	assert_int_equal(run->nrows, 12);
	assert_int_equal(run->nr_threads, 4);
	assert_int_equal(run->nr_cpus, 4);	/* from the metadata */
	assert_int_equal(run->meta.stored[PW_EV_KVM_EXIT], 3);
	assert_int_equal(run->t0, 1000);
	assert_int_equal(run->t_last, 10000);
	{
		unsigned int mask = PW_COLMASK(PW_COL_TIME_NS) | PM_COLS_PROCESS | PM_COLS_HEATMAPS;
		struct seen x = { .run = run };

		assert_int_equal(pm_run_scan(run, mask, see_piece, &x), 0);
		assert_int_equal(x.rows, 12);
		assert_int_equal(x.pieces, 6);	/* 2 rows a row group */
		assert_true(x.tgid);
		assert_false(x.wait);	/* not asked for when opened */
	}
	runs[0] = run;
	assert_int_equal(pm_runs_name(runs, 1), 0);
	assert_string_equal(run->name, "basic");
	assert_int_equal(pm_runs_window(runs, 1, 0, -1), 0);
	s = pm_select_parse("*", &err);
	assert_int_equal(pm_run_select(run, s), 4);
	pm_select_free(s);
	/* The same sums as from the columns built in memory. */
	assert_int_equal(pm_agg_build(run, 0, &agg), 0);
	a = pm_agg_find_task(agg, "A");
	assert_int_not_equal(a, PM_NO_TASK);
	assert_int_equal(agg->task[a].run_ns, 7000);
	assert_int_equal(agg->task[a].sw_voluntary, 1);
	assert_int_equal(agg->task[a].sw_preempted, 1);
	assert_int_equal(agg->task[a].exits, 3);
	assert_int_equal(agg->nr_reasons, 2);
	assert_string_equal(agg->reasons[1], "HLT");
	pm_agg_free(agg);
	/* the hooks: progress after every piece, up to all the rows; a signal
	 * during a pass stops it, and nothing is half built */
	{
		volatile int stop = 0;
		struct heard h = { 0 };
		struct pm_pass_hooks hooks = { &stop, hear, &h };

		run->hooks = &hooks;
		assert_int_equal(pm_agg_build(run, 10, &agg), 0);
		pm_agg_free(agg);
		assert_int_equal(h.calls, 6);	/* a piece a row group */
		assert_int_equal(h.last, 12);
		stop = 2;
		agg = (struct pm_agg *)1;
		assert_int_equal(pm_agg_build(run, 10, &agg), PW_ESTOPPED);
		assert_null(agg);
		assert_int_equal(h.calls, 6);
		run->hooks = NULL;
	}
	pm_run_free(run);
}

static void test_bad_files(void **state)
{
	char junk[300];
	FILE *f;
	int err = 0;

	assert_null(pm_run_open("/nonexistent/x.cdict", NULL, PM_COLS_BASE, NULL, &err));
	assert_true(err < 0);
	snprintf(junk, sizeof(junk), "%s/junk.cdict", dir);
	f = fopen(junk, "w");
	assert_non_null(f);
	fputs("not a cdict at all, but long enough to hold a trailer of some size\n", f);
	fclose(f);
	err = 0;
	assert_null(pm_run_open(junk, NULL, PM_COLS_BASE, NULL, &err));
	assert_true(err < 0);
	unlink(junk);
	pm_run_free(NULL);
}

/*
 * A run's window goes from its earliest row to its latest, which need not
 * be the first and the last. A cdict's run takes them from the row groups'
 * time ranges in the index (the index pass does not decode time_ns), and
 * from the metadata; columns in memory without metadata, from the rows.
 */
static void test_window_unsorted(void **state)
{
	static const uint64_t t[] = { 5000, 3000, 9000, 7000, 4000 };
	struct pw_cdict_writer_opts opts = { .rows_per_chunk = 2 };
	struct pw_cdict_writer *w;
	struct pw_columns c;
	struct pw_cdict *cd;
	struct pm_run *run, mem;
	struct pw_meta meta;
	char p2[300];
	int err;

	snprintf(p2, sizeof(p2), "%s/unsorted.cdict", dir);
	w = pw_cdict_writer_open(p2, &opts, &err);
	assert_non_null(w);
	pw_meta_init(&meta);
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct pw_row r = {
			.time_ns = t[i], .cpu = (int64_t)i % 2, .event = PW_EV_KVM_EXIT,
			.pid = 7, .tgid = 7, .task = "vcpu", .duration_ns = PW_NONE,
			.next_pid = PW_NONE, .next_wait_ns = PW_NONE, .target_cpu = PW_NONE,
		};

		assert_int_equal(pw_cdict_writer_add(w, &r), 0);
	}
	assert_int_equal(pw_cdict_writer_close(w, &meta), 0);
	run = pm_run_open(p2, NULL, PM_COLS_BASE, NULL, &err);
	assert_non_null(run);
	assert_int_equal(run->t0, 3000);
	assert_int_equal(run->t_last, 9000);
	assert_int_equal(run->we, 9001);
	assert_int_equal(run->nr_threads, 1);
	assert_int_equal(run->threads[0].nevents, 5);
	assert_int_equal(run->nr_cpus, 2);
	pm_run_free(run);

	cd = pw_cdict_open(p2, &err);
	assert_non_null(cd);
	assert_int_equal(pw_cdict_load(cd, PW_COLMASK_ALL, &c), 0);
	pw_cdict_close(cd);
	assert_int_equal(pm_run_index(&mem, p2, &c, NULL, NULL), 0);
	assert_int_equal(mem.t0, 3000);
	assert_int_equal(mem.t_last, 9000);
	assert_int_equal(mem.threads[0].nevents, 5);
	pm_run_release(&mem);
	pw_columns_release(&c);
	unlink(p2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_open),
		cmocka_unit_test(test_bad_files),
		cmocka_unit_test(test_window_unsorted),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
