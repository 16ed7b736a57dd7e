/* SPDX-License-Identifier: MIT */
/*
 * pw-stats.h - scheduler and KVM statistics computed from perfwhiz rows:
 * per task (run time, runs, preemptions, migrations, scheduling delay) and
 * per KVM exit reason (overall and per vcpu thread: samples, shares,
 * handling time), printed as text (RUN.stats, perfmap --stats).
 *
 * Definitions, chosen to agree with perf's own tools on the same capture:
 *
 * - run time: the sum of the sched_switch rows' duration_ns of the task
 *   (switch-in to switch-out on one CPU). As `perf sched timehist` counts
 *   it, a run whose switch-in was not seen lasts from the previous switch
 *   on that CPU (events were missing), or 0 on a CPU's first switch.
 * - runs ("sched-in" in `perf sched timehist -s`): switch-outs of the task.
 * - preempted: switch-outs in state R (R+).
 * - migrations: sched_migrate_task rows of the task.
 * - scheduling delay: next_wait_ns at the task's switch-ins (wakeup or
 *   preemption to switch-in, the `sch delay` of perf sched timehist).
 * - KVM handling time: a kvm_entry row's duration_ns, counted for the exit
 *   reason of the same thread's previous kvm_exit. As `perf kvm stat`
 *   does, a thread's exits count only once a kvm_entry of that thread has
 *   been seen. The relative standard deviation is that of the mean
 *   (stddev / sqrt(n) / mean), as perf kvm stat prints it.
 */
#ifndef PW_STATS_H
#define PW_STATS_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "pw-meta.h"
#include "pw-row.h"

struct pw_stats;

/* One task (thread id), as pw_stats_tasks() returns it. */
struct pw_stats_task {
	int64_t pid;
	int64_t tgid;			/* PW_NONE when unknown */
	const char *name;		/* the last name seen */
	uint64_t run_ns;		/* switch-derived run time */
	uint64_t runs;			/* switch-outs ("sched-in" in timehist -s) */
	uint64_t switch_ins;		/* switch-ins seen */
	uint64_t preempted;		/* switch-outs in state R */
	uint64_t migrations;
	uint64_t delay_n;		/* switch-ins with a known delay */
	uint64_t delay_total_ns;
	uint64_t delay_max_ns;
	uint64_t delay_max_time_ns;	/* time of the switch-in with the max delay */
};

/* One exit reason, overall or for one vcpu thread. */
struct pw_stats_exit {
	const char *reason;
	uint64_t samples;		/* exits followed by an entry with a duration */
	uint64_t total_ns;		/* handling time */
	uint64_t min_ns, max_ns;
	double mean_ns;			/* running mean and sum of squared */
	double m2;			/* deviations (Welford), as perf keeps them */
};

/**
 * pw_stats_new - empty statistics
 *
 * Returns a handle to free with pw_stats_free(), or NULL (out of memory).
 */
struct pw_stats *pw_stats_new(void);

/** pw_stats_free - release @st and everything it owns (NULL ok) */
void pw_stats_free(struct pw_stats *st);

/**
 * pw_stats_add - account one row
 * @st: the statistics
 * @row: a row, in time order; its strings are copied when kept
 *
 * Returns 0 or PW_ENOMEM.
 */
int pw_stats_add(struct pw_stats *st, const struct pw_row *row);

/**
 * pw_stats_tap - pw_stats_add() as a pw_row_fn (a conversion's tap)
 * @row: the row
 * @ctx: a struct pw_stats
 */
int pw_stats_tap(const struct pw_row *row, void *ctx);

/**
 * pw_stats_from_cdict - statistics of every row of a cdict file
 * @path: the cdict
 * @meta: when not NULL, set to a copy of the file's metadata (release with
 *        pw_meta_release(); initialised even on error)
 * @err: set to 0 or a negative PW_E* code (may be NULL)
 *
 * Returns the statistics (free with pw_stats_free()), or NULL with a
 * message naming the file logged.
 */
struct pw_stats *pw_stats_from_cdict(const char *path, struct pw_meta *meta, int *err);

/**
 * pw_stats_tasks - the tasks seen, by run time (longest first), then pid
 * @st: the statistics
 * @n: set to their number
 *
 * Returns an array owned by @st, valid until the next pw_stats_add() or
 * pw_stats_free(); NULL when there are none or out of memory (then *@n is 0).
 */
const struct pw_stats_task *pw_stats_tasks(struct pw_stats *st, size_t *n);

/**
 * pw_stats_task_find - one task's statistics
 * Returns a pointer owned by @st (valid until the next pw_stats_add()), or
 * NULL when @pid was not seen.
 */
const struct pw_stats_task *pw_stats_task_find(struct pw_stats *st, int64_t pid);

/**
 * pw_stats_exits - exit reasons, most samples first, then by name
 * @st: the statistics
 * @pid: a vcpu thread, or PW_NONE for all threads together
 * @n: set to their number
 *
 * Returns an array owned by @st, valid until the next pw_stats_add() or
 * pw_stats_exits() call; NULL when there are none (then *@n is 0).
 */
const struct pw_stats_exit *pw_stats_exits(struct pw_stats *st, int64_t pid, size_t *n);

/**
 * pw_stats_vcpus - the threads that have KVM exit statistics, ascending
 * @n: set to their number
 *
 * Returns an array of tids owned by @st (valid until the next
 * pw_stats_add()), or NULL when there are none.
 */
const int64_t *pw_stats_vcpus(struct pw_stats *st, size_t *n);

/**
 * pw_stats_rel_stddev - relative standard deviation of the mean, in
 * percent, as `perf kvm stat` prints it (0 for fewer than 2 samples)
 */
double pw_stats_rel_stddev(const struct pw_stats_exit *e);

/**
 * pw_stats_print - the statistics as text
 * @st: the statistics
 * @meta: the capture's metadata for the heading, or NULL
 * @title: what they are of (a file name), or NULL
 * @f: where to print
 *
 * Scheduler table per task, then KVM tables (all vcpus, then per vcpu
 * thread). Times: run time and delays in ms with 3 decimals (truncated, as
 * perf sched timehist prints), KVM handling times in us with 2 decimals
 * (as perf kvm stat). Returns 0, PW_ENOMEM or PW_EWRITE.
 */
int pw_stats_print(struct pw_stats *st, const struct pw_meta *meta, const char *title,
		   FILE *f);

/**
 * pw_stats_write - pw_stats_print() into @path, atomically (mode 0644)
 *
 * Returns 0 or a negative PW_E* code; nothing is left under @path on error.
 */
int pw_stats_write(struct pw_stats *st, const struct pw_meta *meta, const char *title,
		   const char *path);

/**
 * pw_stats_print_cdict - compute and print the statistics of a cdict file
 * @path: the cdict
 * @f: where to print (perfmap --stats passes stdout)
 *
 * Returns 0, or a negative PW_E* code (message naming the file logged).
 */
int pw_stats_print_cdict(const char *path, FILE *f);

#endif
