// SPDX-License-Identifier: MIT
/* dashboard.c - which chart sets a perfmap run writes: one, or one per group. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aggregate.h"
#include "dashboard.h"
#include "pw-log.h"

/* The group keys of the selected threads of every run, sorted. */
static int group_keys(struct pm_run **runs, unsigned int n, enum pm_group_by g,
		      struct pm_names *keys)
{
	char buf[512];

	for (unsigned int r = 0; r < n; r++)
		for (uint32_t t = 0; t < runs[r]->nr_threads; t++) {
			if (!runs[r]->threads[t].selected)
				continue;
			pm_run_group_key(runs[r], t, g, buf, sizeof(buf));
			if (pm_names_add(keys, buf) == PM_NO_NAME)
				return PW_ENOMEM;
		}
	return 0;
}

static int cmp_key(const void *a, const void *b)
{
	return strverscmp(*(char *const *)a, *(char *const *)b);
}

/* One chart set: aggregate every run, write the charts. */
static int chart_set(struct pm_charts *cs, struct pm_run **runs, unsigned int n,
		     const struct pm_dashboard_opts *o, const char *prefix, const char *section)
{
	struct pm_agg **aggs = calloc(n, sizeof(*aggs));
	int err = PW_ENOMEM;

	if (!aggs)
		return err;
	for (unsigned int r = 0; r < n; r++) {
		err = pm_agg_build(runs[r], o->heatmaps ? PM_TBINS_DEFAULT : 0, &aggs[r]);
		if (err)
			goto out;
	}
	err = o->heatmaps ? pm_charts_heatmaps(cs, prefix, section, aggs, n)
			  : pm_charts_basic(cs, prefix, section, aggs, n);
out:
	for (unsigned int r = 0; r < n; r++)
		pm_agg_free(aggs[r]);
	free(aggs);
	return err;
}

int pm_dashboard_write(struct pm_charts *cs, struct pm_run **runs, unsigned int n,
		       const struct pm_dashboard_opts *o, const struct pm_select *sel)
{
	static const char *const what[] = { "task", "group", "process" };
	struct pm_names keys = { 0 };
	int err;

	if (o->group_by == PM_GROUP_TASK)
		return chart_set(cs, runs, n, o, "", NULL);
	err = group_keys(runs, n, o->group_by, &keys);
	if (err)
		goto out;
	qsort(keys.strs, keys.count, sizeof(*keys.strs), cmp_key);
	for (uint32_t k = 0; k < keys.count && !err; k++) {
		char prefix[600], safe[512], section[600];

		for (unsigned int r = 0; r < n; r++) {
			pm_run_select(runs[r], sel);
			pm_run_restrict(runs[r], o->group_by, keys.strs[k]);
		}
		pm_safe_name(keys.strs[k], safe, sizeof(safe));
		snprintf(prefix, sizeof(prefix), "%s-%s-", what[o->group_by], safe);
		snprintf(section, sizeof(section), "%s %s", what[o->group_by], keys.strs[k]);
		err = chart_set(cs, runs, n, o, prefix, section);
	}
	/* Leave the runs selected as they came. */
	for (unsigned int r = 0; r < n; r++)
		pm_run_select(runs[r], sel);
out:
	/* pm_names_release frees the strings whatever their order. */
	pm_names_release(&keys);
	return err;
}
