/* SPDX-License-Identifier: MIT */
/*
 * aggregate.h - what the charts show, computed from a run's window for its
 * selected tasks: plain arrays, filled in one pass over the rows, bounded
 * by tasks x cores x bins (never by the number of events).
 *
 * Run time comes from sched_switch rows: a slice ends at the row's time
 * and lasted duration_ns; when duration_ns is unknown the slice started
 * at the previous sched_switch on that CPU (or at the capture start). The
 * task switched in by the last sched_switch of a CPU runs until the last
 * event of the capture. Slices are clipped to the window. Switches,
 * exits and heatmap events count rows whose time lies in the window.
 */
#ifndef PM_AGGREGATE_H
#define PM_AGGREGATE_H

#include <stdbool.h>
#include <stdint.h>

#include "run.h"

#define PM_NO_TASK UINT32_MAX

/* Heatmap series. */
#define PM_HEAT_KINDS(_)                                        \
	_(RUN, "run", "run time")                               \
	_(SLEEP, "sleep", "sleep time")                         \
	_(IOWAIT, "iowait", "iowait time")                      \
	_(WAIT, "wait", "wakeup wait (scheduling delay)")       \
	_(GUEST, "guest", "time in guest (kvm_exit)")           \
	_(HANDLE, "handle", "exit handling time (kvm_entry)")

enum pm_heat_kind {
#define PM_HEAT_ENUM(id, key, title) PM_HEAT_##id,
	PM_HEAT_KINDS(PM_HEAT_ENUM)
#undef PM_HEAT_ENUM
	PM_HEAT__MAX
};

/* Duration bins: PM_DBINS_PER_DECADE per decade from 1 us; the first bin
 * also holds shorter events, the last longer ones. */
#define PM_DBINS_PER_DECADE 5
#define PM_DBINS 40		/* 1 us .. 100 s */
#define PM_TBINS_DEFAULT 100

struct pm_task_agg {
	uint64_t run_ns;	/* run time inside the window */
	uint64_t sw_voluntary;	/* switched out in any state but R */
	uint64_t sw_preempted;	/* switched out in state R (R+ ...) */
	uint64_t exits;		/* kvm_exit rows */
};

struct pm_agg {
	const struct pm_run *run;
	uint64_t window_ns;

	uint32_t nr_tasks;	/* selected entities, in natural name order */
	uint32_t *task_ent;	/* [nr_tasks] entity of each task */
	uint32_t *ent_task;	/* [run->nr_ents] task of each entity, or PM_NO_TASK */
	uint32_t *thread_task;	/* [run->nr_threads] task of each thread, or PM_NO_TASK */
	struct pm_task_agg *task;

	uint32_t nr_cpus;
	uint64_t *core_run_ns;	/* [task * nr_cpus + cpu] */
	uint64_t *core_switches;	/* switch-outs, [task * nr_cpus + cpu] */

	uint32_t nr_reasons;	/* exit reasons seen, sorted by name */
	const char **reasons;	/* owned by the run's columns ("unknown" static) */
	uint64_t *exits;	/* [task * nr_reasons + reason] */

	/* --heatmaps only (NULL otherwise) */
	uint32_t tbins;
	uint32_t *heat;		/* [((task * PM_HEAT__MAX + kind) * tbins + t) * PM_DBINS + d] */
	uint64_t *tcore_ns;	/* [(task * tbins + t) * nr_cpus + cpu] */
};

/**
 * pm_agg_build - aggregate the selected tasks of @run over its window (two
 * passes over its rows)
 * @tbins: time bins of the heatmaps; 0 = no heatmaps
 * @out: set to the result, free with pm_agg_free()
 *
 * Returns 0 or a negative PW_E* code (message logged).
 */
int pm_agg_build(const struct pm_run *run, uint32_t tbins, struct pm_agg **out);

/**
 * pm_agg_build_sets - aggregate several sets of threads of @run at once
 * @nsets: how many
 * @set_of: [run->nr_threads] the set each thread is in, or PM_NO_TASK
 * @out: [nsets] set to the results, each as pm_agg_build() makes it of
 *	the threads of its set alone (its tasks: their display names)
 *
 * Two passes over the rows, whatever the number of sets. Returns 0 or a
 * negative PW_E* code (message logged; @out then holds NULLs).
 */
int pm_agg_build_sets(const struct pm_run *run, uint32_t tbins, uint32_t nsets,
		      const uint32_t *set_of, struct pm_agg **out);

/** pm_agg_free - free @a (NULL ok) */
void pm_agg_free(struct pm_agg *a);

/** pm_agg_task_name - display name of task @task; owned by the run */
const char *pm_agg_task_name(const struct pm_agg *a, uint32_t task);

/**
 * pm_agg_find_task - index of the task named @name, or PM_NO_TASK
 */
uint32_t pm_agg_find_task(const struct pm_agg *a, const char *name);

/**
 * pm_dbin_edge - lower edge, in ns, of duration bin @k (0 <= k <= PM_DBINS);
 * edge k is 1000 * 10^(k / PM_DBINS_PER_DECADE) rounded to the nearest ns
 */
uint64_t pm_dbin_edge(unsigned int k);

/** pm_dbin - the duration bin of @ns */
unsigned int pm_dbin(uint64_t ns);

/** pm_tbin_start - first ns (relative to the window start) of time bin @k */
uint64_t pm_tbin_start(uint64_t window_ns, uint32_t tbins, uint32_t k);

/** pm_heat_kind_key / pm_heat_kind_title - short key and title of a kind */
const char *pm_heat_kind_key(int kind);
const char *pm_heat_kind_title(int kind);

static inline uint32_t *pm_agg_heat(const struct pm_agg *a, uint32_t task, int kind)
{
	return a->heat + ((size_t)task * PM_HEAT__MAX + kind) * a->tbins * PM_DBINS;
}

#endif
