/* SPDX-License-Identifier: MIT */
/*
 * report.h - index.html: every chart of an output directory with what it
 * was made from. It works offline and refers only to files beside it.
 */
#ifndef PM_REPORT_H
#define PM_REPORT_H

#include "charts.h"
#include "run.h"

struct pm_report_info {
	const char *label;	/* --label, or NULL */
	const char *tasks;	/* the -t value */
	const char *group_by;	/* "task", "group" or "process" */
	const char *date;	/* when it was made, as shown */
};

/**
 * pm_report_write - write @cs->dir/index.html (through a temporary file:
 * it appears only when complete)
 *
 * Returns 0, PW_EWRITE (message naming the file logged), or PW_ESTOPPED
 * when *@cs->stop was set (nothing written).
 */
int pm_report_write(const struct pm_charts *cs, const struct pm_report_info *info,
		    struct pm_run **runs, unsigned int nruns);

#endif
