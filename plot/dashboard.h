/* SPDX-License-Identifier: MIT */
/*
 * dashboard.h - the chart sets of one perfmap invocation: the basic set or
 * the heatmaps, for all selected tasks or once per --group-by key.
 */
#ifndef PM_DASHBOARD_H
#define PM_DASHBOARD_H

#include <stdbool.h>

#include "charts.h"
#include "run.h"

struct pm_dashboard_opts {
	bool heatmaps;			/* the heatmap set instead of the basic one */
	enum pm_group_by group_by;
	size_t pass_bytes;		/* groups aggregated in one pass: about this many
					 * bytes of aggregates at most; 0: 256 MiB */
};

/**
 * pm_dashboard_write - aggregate every run and write its charts into @cs
 * @runs, @n: the runs, windows set and tasks selected
 * @o: which set, grouped how
 *
 * With a group-by other than PM_GROUP_TASK, one set per key found among
 * the selected threads, in natural order, its charts prefixed
 * "group-KEY-" or "process-KEY-" and put under the section "group KEY" or
 * "process KEY"; the groups of a run are aggregated in one pass over its
 * rows, or in as few as keep the aggregates under o->pass_bytes (heatmaps
 * of hundreds of groups on hundreds of CPUs). Returns 0 or a negative PW_E*
 * code (message logged).
 */
int pm_dashboard_write(struct pm_charts *cs, struct pm_run **runs, unsigned int n,
		       const struct pm_dashboard_opts *o);

#endif
