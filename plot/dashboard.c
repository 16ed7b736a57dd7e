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

static const struct pm_names *sort_keys;

static int cmp_key(const void *a, const void *b)
{
	return strverscmp(sort_keys->strs[*(const uint32_t *)a],
			  sort_keys->strs[*(const uint32_t *)b]);
}

/* One chart set from the aggregates of every run. */
static int charts_of(struct pm_charts *cs, struct pm_agg **aggs, unsigned int n,
		     const struct pm_dashboard_opts *o, const char *prefix, const char *section)
{
	return o->heatmaps ? pm_charts_heatmaps(cs, prefix, section, aggs, n)
			   : pm_charts_basic(cs, prefix, section, aggs, n);
}

/* One chart set: aggregate every run, write the charts. */
static int chart_set(struct pm_charts *cs, struct pm_run **runs, unsigned int n,
		     const struct pm_dashboard_opts *o)
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
	err = charts_of(cs, aggs, n, o, "", NULL);
out:
	for (unsigned int r = 0; r < n; r++)
		pm_agg_free(aggs[r]);
	free(aggs);
	return err;
}

/*
 * Every group's aggregates of run @r in one go: @rank gives each key's
 * place in the sorted order, the set its threads are in.
 */
static int group_aggs(struct pm_run *run, enum pm_group_by g, const struct pm_names *keys,
		      const uint32_t *rank, uint32_t tbins, struct pm_agg **out)
{
	uint32_t *set_of = malloc((run->nr_threads ? run->nr_threads : 1) * sizeof(uint32_t));
	char buf[512];
	int err;

	if (!set_of)
		return PW_ENOMEM;
	for (uint32_t t = 0; t < run->nr_threads; t++) {
		set_of[t] = PM_NO_TASK;
		if (!run->threads[t].selected)
			continue;
		pm_run_group_key(run, t, g, buf, sizeof(buf));
		set_of[t] = rank[pm_names_find(keys, buf)];
	}
	err = pm_agg_build_sets(run, tbins, keys->count, set_of, out);
	free(set_of);
	return err;
}

int pm_dashboard_write(struct pm_charts *cs, struct pm_run **runs, unsigned int n,
		       const struct pm_dashboard_opts *o)
{
	static const char *const what[] = { "task", "group", "process" };
	struct pm_names keys = { 0 };
	struct pm_agg **aggs = NULL, **set = NULL;
	uint32_t *order = NULL, *rank = NULL, nk;
	int err;

	if (o->group_by == PM_GROUP_TASK)
		return chart_set(cs, runs, n, o);
	err = group_keys(runs, n, o->group_by, &keys);
	if (err)
		goto out;
	nk = keys.count;
	err = PW_ENOMEM;
	order = malloc((nk ? nk : 1) * sizeof(*order));
	rank = malloc((nk ? nk : 1) * sizeof(*rank));
	aggs = calloc((size_t)n * (nk ? nk : 1), sizeof(*aggs));
	set = calloc(n, sizeof(*set));
	if (!order || !rank || !aggs || !set)
		goto out;
	for (uint32_t k = 0; k < nk; k++)
		order[k] = k;
	sort_keys = &keys;
	qsort(order, nk, sizeof(*order), cmp_key);
	for (uint32_t k = 0; k < nk; k++)
		rank[order[k]] = k;
	/* every group of a run in the same passes over its rows */
	for (unsigned int r = 0; r < n; r++) {
		err = group_aggs(runs[r], o->group_by, &keys, rank,
				 o->heatmaps ? PM_TBINS_DEFAULT : 0, aggs + (size_t)r * nk);
		if (err)
			goto out;
	}
	for (uint32_t k = 0; k < nk && !err; k++) {
		const char *key = keys.strs[order[k]];
		char prefix[600], safe[512], section[600];

		for (unsigned int r = 0; r < n; r++)
			set[r] = aggs[(size_t)r * nk + k];
		pm_safe_name(key, safe, sizeof(safe));
		snprintf(prefix, sizeof(prefix), "%s-%s-", what[o->group_by], safe);
		snprintf(section, sizeof(section), "%s %s", what[o->group_by], key);
		err = charts_of(cs, set, n, o, prefix, section);
	}
out:
	if (aggs)
		for (size_t i = 0; i < (size_t)n * nk; i++)
			pm_agg_free(aggs[i]);
	free(aggs);
	free(set);
	free(order);
	free(rank);
	pm_names_release(&keys);
	return err;
}
