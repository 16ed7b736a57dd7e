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
};

/**
 * pm_dashboard_write - aggregate every run and write its charts into @cs
 * @runs, @n: the runs, windows set and tasks selected
 * @o: which set, grouped how
 *
 * With a group-by other than PM_GROUP_TASK, one set per key found among
 * the selected threads, in natural order, its charts prefixed
 * "group-KEY-" or "process-KEY-" and put under the section "group KEY" or
 * "process KEY"; every group of a run is aggregated in the same two passes
 * over its rows. Returns 0 or a negative PW_E* code (message logged).
 */
int pm_dashboard_write(struct pm_charts *cs, struct pm_run **runs, unsigned int n,
		       const struct pm_dashboard_opts *o);

#endif
