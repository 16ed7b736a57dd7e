// SPDX-License-Identifier: MIT
/* dashboard.c - which chart sets a perfmap run writes: one, or one per group. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aggregate.h"
#include "dashboard.h"
#include "pw-log.h"

/*
 * The group keys of the selected threads of every run, and each thread's:
 * @key_of[r][t] is the number of its key in @keys, or PM_NO_TASK.
 */
static int group_keys(struct pm_run **runs, unsigned int n, enum pm_group_by g,
		      struct pm_names *keys, uint32_t **key_of)
{
	char buf[512];

	for (unsigned int r = 0; r < n; r++) {
		uint32_t nt = runs[r]->nr_threads;

		key_of[r] = malloc((nt ? nt : 1) * sizeof(**key_of));
		if (!key_of[r])
			return PW_ENOMEM;
		for (uint32_t t = 0; t < nt; t++) {
			key_of[r][t] = PM_NO_TASK;
			if (!runs[r]->threads[t].selected)
				continue;
			pm_run_group_key(runs[r], t, g, buf, sizeof(buf));
			key_of[r][t] = pm_names_add(keys, buf);
			if (key_of[r][t] == PM_NO_NAME)
				return PW_ENOMEM;
		}
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

static int nomem(void)
{
	pw_err("charts: %s", pw_strerror(PW_ENOMEM));
	return PW_ENOMEM;
}

/* One chart set: aggregate every run, write the charts. */
static int chart_set(struct pm_charts *cs, struct pm_run **runs, unsigned int n,
		     const struct pm_dashboard_opts *o)
{
	struct pm_agg **aggs = calloc(n, sizeof(*aggs));
	int err;

	if (!aggs)
		return nomem();
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
 * The aggregates of the groups of one pass are in memory at once: at most
 * about this many bytes by default (heatmaps of many groups on many CPUs
 * take more), unless a single group takes more.
 */
#define PASS_BYTES ((size_t)256 << 20)

/* About what an aggregate of @n threads (tasks at most) of @run takes. */
static size_t agg_bytes(const struct pm_run *run, uint32_t n, uint32_t tbins)
{
	size_t cpus = run->nr_cpus ? run->nr_cpus : 1, task = cpus * 16 + 64;

	if (tbins)
		task += (size_t)PM_HEAT__MAX * tbins * PM_DBINS * 4 + (size_t)tbins * cpus * 8;
	return ((size_t)n + 1) * task;
}

/* The aggregates of groups [@k0, @k1) of @run, in one pass. */
static int group_aggs(struct pm_run *run, const uint32_t *rank_of, uint32_t k0, uint32_t k1,
		      uint32_t tbins, struct pm_agg **out)
{
	uint32_t *set_of = malloc((run->nr_threads ? run->nr_threads : 1) * sizeof(uint32_t));
	int err;

	if (!set_of)
		return PW_ENOMEM;
	for (uint32_t t = 0; t < run->nr_threads; t++)
		set_of[t] = rank_of[t] >= k0 && rank_of[t] < k1 ? rank_of[t] - k0 : PM_NO_TASK;
	err = pm_agg_build_sets(run, tbins, k1 - k0, set_of, out);
	free(set_of);
	return err;
}

int pm_dashboard_write(struct pm_charts *cs, struct pm_run **runs, unsigned int n,
		       const struct pm_dashboard_opts *o)
{
	static const char *const what[] = { "task", "group", "process" };
	uint32_t tbins = o->heatmaps ? PM_TBINS_DEFAULT : 0;
	size_t budget = o->pass_bytes ? o->pass_bytes : PASS_BYTES;
	struct pm_names keys = { 0 };
	struct pm_agg **aggs = NULL, **set = NULL;
	uint32_t *order = NULL, *rank = NULL, **rank_of = NULL, nk = 0;
	size_t *bytes = NULL;
	int err;

	if (o->group_by == PM_GROUP_TASK)
		return chart_set(cs, runs, n, o);
	rank_of = calloc(n, sizeof(*rank_of));
	if (!rank_of || group_keys(runs, n, o->group_by, &keys, rank_of)) {
		err = nomem();
		goto out;
	}
	nk = keys.count;
	order = malloc((nk ? nk : 1) * sizeof(*order));
	rank = malloc((nk ? nk : 1) * sizeof(*rank));
	bytes = calloc(nk ? nk : 1, sizeof(*bytes));
	aggs = calloc((size_t)n * (nk ? nk : 1), sizeof(*aggs));
	set = calloc(n, sizeof(*set));
	if (!order || !rank || !bytes || !aggs || !set) {
		err = nomem();
		goto out;
	}
	err = 0;
	for (uint32_t k = 0; k < nk; k++)
		order[k] = k;
	sort_keys = &keys;
	qsort(order, nk, sizeof(*order), cmp_key);
	for (uint32_t k = 0; k < nk; k++)
		rank[order[k]] = k;
	/* each thread's key number becomes its group's place in that order */
	for (unsigned int r = 0; r < n; r++) {
		uint32_t *count = calloc(nk ? nk : 1, sizeof(*count));

		if (!count) {
			err = nomem();
			goto out;
		}
		for (uint32_t t = 0; t < runs[r]->nr_threads; t++) {
			if (rank_of[r][t] == PM_NO_TASK)
				continue;
			rank_of[r][t] = rank[rank_of[r][t]];
			count[rank_of[r][t]]++;
		}
		for (uint32_t k = 0; k < nk; k++)
			bytes[k] += agg_bytes(runs[r], count[k], tbins);
		free(count);
	}
	/* as many groups as fit a pass over each run's rows, in their order */
	for (uint32_t k0 = 0, k1; k0 < nk && !err; k0 = k1) {
		size_t sum = bytes[k0];

		for (k1 = k0 + 1; k1 < nk && sum + bytes[k1] <= budget; k1++)
			sum += bytes[k1];
		for (unsigned int r = 0; r < n && !err; r++)
			err = group_aggs(runs[r], rank_of[r], k0, k1, tbins,
					 aggs + (size_t)r * nk + k0);
		for (uint32_t k = k0; k < k1 && !err; k++) {
			const char *key = keys.strs[order[k]];
			char prefix[600], safe[512], section[600];

			for (unsigned int r = 0; r < n; r++)
				set[r] = aggs[(size_t)r * nk + k];
			pm_safe_name(key, safe, sizeof(safe));
			snprintf(prefix, sizeof(prefix), "%s-%s-", what[o->group_by], safe);
			snprintf(section, sizeof(section), "%s %s", what[o->group_by], key);
			err = charts_of(cs, set, n, o, prefix, section);
		}
		for (unsigned int r = 0; r < n; r++)
			for (uint32_t k = k0; k < k1; k++) {
				pm_agg_free(aggs[(size_t)r * nk + k]);
				aggs[(size_t)r * nk + k] = NULL;
			}
	}
out:
	if (aggs)
		for (size_t i = 0; i < (size_t)n * nk; i++)
			pm_agg_free(aggs[i]);
	for (unsigned int r = 0; rank_of && r < n; r++)
		free(rank_of[r]);
	free(rank_of);
	free(bytes);
	free(aggs);
	free(set);
	free(order);
	free(rank);
	pm_names_release(&keys);
	return err;
}
