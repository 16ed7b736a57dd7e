// SPDX-License-Identifier: MIT
/* aggregate.c - per task, per core, per exit reason and per bin sums. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "aggregate.h"
#include "pw-log.h"

static const char *const heat_keys[] = {
#define PM_HEAT_KEY(id, key, title) key,
	PM_HEAT_KINDS(PM_HEAT_KEY)
#undef PM_HEAT_KEY
};

static const char *const heat_titles[] = {
#define PM_HEAT_TITLE(id, key, title) title,
	PM_HEAT_KINDS(PM_HEAT_TITLE)
#undef PM_HEAT_TITLE
};

const char *pm_heat_kind_key(int kind)
{
	return kind >= 0 && kind < PM_HEAT__MAX ? heat_keys[kind] : "?";
}

const char *pm_heat_kind_title(int kind)
{
	return kind >= 0 && kind < PM_HEAT__MAX ? heat_titles[kind] : "?";
}

uint64_t pm_dbin_edge(unsigned int k)
{
	return (uint64_t)llround(1000.0 * pow(10.0, (double)k / PM_DBINS_PER_DECADE));
}

unsigned int pm_dbin(uint64_t ns)
{
	static uint64_t edges[PM_DBINS];
	static int ready;
	unsigned int lo = 0, hi = PM_DBINS;

	if (!ready) {
		for (unsigned int k = 0; k < PM_DBINS; k++)
			edges[k] = pm_dbin_edge(k);
		ready = 1;
	}
	/* Last k with edges[k] <= ns; bin 0 for shorter ones. */
	while (hi - lo > 1) {
		unsigned int mid = (lo + hi) / 2;

		if (edges[mid] <= ns)
			lo = mid;
		else
			hi = mid;
	}
	return lo;
}

uint64_t pm_tbin_start(uint64_t window_ns, uint32_t tbins, uint32_t k)
{
	/* ceil(k * W / T): then t >= start(k) exactly when t * T / W >= k. */
	return (uint64_t)(((unsigned __int128)k * window_ns + tbins - 1) / tbins);
}

static uint32_t tbin_of(uint64_t rel, uint64_t window_ns, uint32_t tbins)
{
	uint32_t b = (uint32_t)((unsigned __int128)rel * tbins / window_ns);

	return b < tbins ? b : tbins - 1;
}

const char *pm_agg_task_name(const struct pm_agg *a, uint32_t task)
{
	return pm_run_ent_name(a->run, a->task_ent[task]);
}

uint32_t pm_agg_find_task(const struct pm_agg *a, const char *name)
{
	for (uint32_t t = 0; t < a->nr_tasks; t++)
		if (!strcmp(pm_agg_task_name(a, t), name))
			return t;
	return PM_NO_TASK;
}

void pm_agg_free(struct pm_agg *a)
{
	if (!a)
		return;
	free(a->task_ent);
	free(a->ent_task);
	free(a->task);
	free(a->core_run_ns);
	free(a->core_switches);
	free(a->reasons);
	free(a->exits);
	free(a->heat);
	free(a->tcore_ns);
	free(a);
}

static const struct pm_run *sort_run;

static int cmp_ent(const void *x, const void *y)
{
	return strverscmp(pm_run_ent_name(sort_run, *(const uint32_t *)x),
			  pm_run_ent_name(sort_run, *(const uint32_t *)y));
}

static int cmp_str(const void *x, const void *y)
{
	return strcmp(*(const char *const *)x, *(const char *const *)y);
}

static bool in_window(const struct pm_run *run, uint64_t t)
{
	return t >= run->ws && t < run->we;
}

/* Task of the thread @th when it is selected, else PM_NO_TASK. */
static uint32_t task_of(const struct pm_agg *a, uint32_t th)
{
	const struct pm_thread *t;

	if (th == PM_NO_THREAD)
		return PM_NO_TASK;
	t = &a->run->threads[th];
	return t->selected ? a->ent_task[t->ent] : PM_NO_TASK;
}

/* Add the slice [@from, @to) that thread @th ran on @cpu, clipped to the window. */
static void add_slice(struct pm_agg *a, uint32_t th, int32_t cpu, uint64_t from, uint64_t to)
{
	const struct pm_run *run = a->run;
	uint32_t task = task_of(a, th);
	uint64_t lo = from > run->ws ? from : run->ws;
	uint64_t hi = to < run->we ? to : run->we;

	if (task == PM_NO_TASK || hi <= lo || cpu < 0 || (uint32_t)cpu >= a->nr_cpus)
		return;
	a->task[task].run_ns += hi - lo;
	a->core_run_ns[(size_t)task * a->nr_cpus + cpu] += hi - lo;
	if (!a->tcore_ns)
		return;
	/* Split over the time bins it covers. */
	for (uint32_t b = tbin_of(lo - run->ws, a->window_ns, a->tbins); b < a->tbins; b++) {
		uint64_t bs = run->ws + pm_tbin_start(a->window_ns, a->tbins, b);
		uint64_t be = run->ws + pm_tbin_start(a->window_ns, a->tbins, b + 1);
		uint64_t s = lo > bs ? lo : bs, e = hi < be ? hi : be;

		if (s >= hi)
			break;
		if (e > s)
			a->tcore_ns[((size_t)task * a->tbins + b) * a->nr_cpus + cpu] += e - s;
	}
}

static void add_heat(struct pm_agg *a, uint32_t task, int kind, uint64_t t, int64_t d)
{
	uint32_t tb;

	if (!a->heat || task == PM_NO_TASK || d == PW_NONE || d < 0)
		return;
	tb = tbin_of(t - a->run->ws, a->window_ns, a->tbins);
	pm_agg_heat(a, task, kind)[(size_t)tb * PM_DBINS + pm_dbin((uint64_t)d)]++;
}

static bool is_preempted(const struct pw_columns *c, uint64_t i)
{
	return c->prev_state && c->prev_state[i] < c->nr_strings &&
	       c->strings[c->prev_state[i]] && c->strings[c->prev_state[i]][0] == 'R';
}

/* Exit reasons of the selected tasks in the window: string index -> reason. */
static int collect_reasons(struct pm_agg *a, uint32_t **reason_of)
{
	const struct pw_columns *c = a->run->cols;
	uint32_t *map;
	uint32_t n = 0;

	*reason_of = NULL;
	if (!c->exit_reason)
		return 0;
	map = calloc(c->nr_strings + 1, sizeof(*map));
	if (!map)
		return PW_ENOMEM;
	for (uint64_t i = 0; i < c->nrows; i++) {
		uint32_t s = c->exit_reason[i];

		if (c->event[i] != PW_EV_KVM_EXIT || !in_window(a->run, c->time_ns[i]) ||
		    task_of(a, a->run->row_thread[i]) == PM_NO_TASK || s >= c->nr_strings)
			continue;
		if (!map[s]) {
			map[s] = 1;
			n++;
		}
	}
	a->reasons = calloc(n ? n : 1, sizeof(*a->reasons));
	if (!a->reasons) {
		free(map);
		return PW_ENOMEM;
	}
	for (uint32_t s = 0; s < c->nr_strings; s++)
		if (map[s])
			a->reasons[a->nr_reasons++] =
				s && c->strings[s] && *c->strings[s] ? c->strings[s] : "unknown";
	qsort(a->reasons, a->nr_reasons, sizeof(*a->reasons), cmp_str);
	for (uint32_t s = 0; s < c->nr_strings; s++) {
		const char *name = s && c->strings[s] && *c->strings[s] ? c->strings[s] : "unknown";

		if (!map[s])
			continue;
		for (uint32_t r = 0; r < a->nr_reasons; r++)
			if (!strcmp(a->reasons[r], name))
				map[s] = r;
	}
	*reason_of = map;
	return 0;
}

int pm_agg_build(const struct pm_run *run, uint32_t tbins, struct pm_agg **out)
{
	const struct pw_columns *c = run->cols;
	struct pm_agg *a = calloc(1, sizeof(*a));
	uint64_t *last_switch = NULL;
	uint32_t *current = NULL, *reason_of = NULL;
	int err = PW_ENOMEM;

	*out = NULL;
	if (!a)
		goto fail;
	a->run = run;
	a->window_ns = pm_run_window_ns(run);
	a->nr_cpus = run->nr_cpus ? run->nr_cpus : 1;
	a->tbins = tbins;
	a->task_ent = calloc(run->nr_ents ? run->nr_ents : 1, sizeof(uint32_t));
	a->ent_task = malloc((run->nr_ents ? run->nr_ents : 1) * sizeof(uint32_t));
	if (!a->task_ent || !a->ent_task)
		goto fail;
	for (uint32_t e = 0; e < run->nr_ents; e++)
		if (run->ent_selected[e])
			a->task_ent[a->nr_tasks++] = e;
	sort_run = run;
	qsort(a->task_ent, a->nr_tasks, sizeof(uint32_t), cmp_ent);
	for (uint32_t e = 0; e < run->nr_ents; e++)
		a->ent_task[e] = PM_NO_TASK;
	for (uint32_t t = 0; t < a->nr_tasks; t++)
		a->ent_task[a->task_ent[t]] = t;

	a->task = calloc(a->nr_tasks + 1, sizeof(*a->task));
	a->core_run_ns = calloc((size_t)(a->nr_tasks + 1) * a->nr_cpus, sizeof(uint64_t));
	a->core_switches = calloc((size_t)(a->nr_tasks + 1) * a->nr_cpus, sizeof(uint64_t));
	last_switch = malloc(a->nr_cpus * sizeof(*last_switch));
	current = malloc(a->nr_cpus * sizeof(*current));
	if (!a->task || !a->core_run_ns || !a->core_switches || !last_switch || !current)
		goto fail;
	if (tbins) {
		a->heat = calloc((size_t)(a->nr_tasks + 1) * PM_HEAT__MAX * tbins * PM_DBINS,
				 sizeof(uint32_t));
		a->tcore_ns = calloc((size_t)(a->nr_tasks + 1) * tbins * a->nr_cpus,
				     sizeof(uint64_t));
		if (!a->heat || !a->tcore_ns)
			goto fail;
	}
	err = collect_reasons(a, &reason_of);
	if (err)
		goto fail;
	err = PW_ENOMEM;
	a->exits = calloc((size_t)(a->nr_tasks + 1) * (a->nr_reasons + 1), sizeof(uint64_t));
	if (!a->exits)
		goto fail;
	for (uint32_t k = 0; k < a->nr_cpus; k++) {
		current[k] = PM_NO_THREAD;
		last_switch[k] = UINT64_MAX;
	}

	for (uint64_t i = 0; i < c->nrows; i++) {
		uint64_t t = c->time_ns[i];
		int32_t cpu = c->cpu[i];
		uint32_t task = task_of(a, run->row_thread[i]);
		bool in = in_window(run, t);
		int64_t d = c->duration_ns ? c->duration_ns[i] : PW_NONE;

		switch (c->event[i]) {
		case PW_EV_SCHED_SWITCH: {
			bool cpu_ok = cpu >= 0 && (uint32_t)cpu < a->nr_cpus;
			uint64_t start;

			if (d != PW_NONE && d >= 0 && (uint64_t)d <= t)
				start = t - (uint64_t)d;
			else
				start = cpu_ok && last_switch[cpu] != UINT64_MAX ? last_switch[cpu] : run->t0;
			add_slice(a, run->row_thread[i], cpu, start, t);
			if (cpu_ok) {
				last_switch[cpu] = t;
				current[cpu] = run->row_next[i];
			}
			if (!in)
				break;
			if (task != PM_NO_TASK) {
				if (is_preempted(c, i))
					a->task[task].sw_preempted++;
				else
					a->task[task].sw_voluntary++;
				if (cpu_ok)
					a->core_switches[(size_t)task * a->nr_cpus + cpu]++;
				add_heat(a, task, PM_HEAT_RUN, t, d);
			}
			if (c->next_wait_ns)
				add_heat(a, task_of(a, run->row_next[i]), PM_HEAT_WAIT, t,
					 c->next_wait_ns[i]);
			break;
		}
		case PW_EV_SCHED_STAT_SLEEP:
			if (in)
				add_heat(a, task, PM_HEAT_SLEEP, t, d);
			break;
		case PW_EV_SCHED_STAT_IOWAIT:
			if (in)
				add_heat(a, task, PM_HEAT_IOWAIT, t, d);
			break;
		case PW_EV_KVM_EXIT:
			if (!in || task == PM_NO_TASK)
				break;
			a->task[task].exits++;
			if (reason_of && c->exit_reason[i] < c->nr_strings)
				a->exits[(size_t)task * a->nr_reasons + reason_of[c->exit_reason[i]]]++;
			add_heat(a, task, PM_HEAT_GUEST, t, d);
			break;
		case PW_EV_KVM_ENTRY:
			if (in)
				add_heat(a, task, PM_HEAT_HANDLE, t, d);
			break;
		default:
			break;
		}
	}
	/* Tasks still on a CPU at the end ran until the last event. */
	for (uint32_t k = 0; k < a->nr_cpus; k++)
		if (current[k] != PM_NO_THREAD && last_switch[k] < run->t_last)
			add_slice(a, current[k], (int32_t)k, last_switch[k], run->t_last);

	free(last_switch);
	free(current);
	free(reason_of);
	*out = a;
	return 0;
fail:
	pw_err("%s: aggregating: %s", run->path, pw_strerror(err));
	free(last_switch);
	free(current);
	free(reason_of);
	pm_agg_free(a);
	return err;
}
