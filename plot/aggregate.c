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
	free(a->thread_task);
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

/* Task of the thread @th when it is one of @a's, else PM_NO_TASK. */
static inline uint32_t task_of(const struct pm_agg *a, uint32_t th)
{
	return th == PM_NO_THREAD ? PM_NO_TASK : a->thread_task[th];
}

static uint32_t run_cpus(const struct pm_run *run)
{
	return run->nr_cpus ? run->nr_cpus : 1;
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

/* The passes of one pm_agg_build_sets(): every set at once. */
struct agg_ctx {
	const struct pm_run *run;
	struct pm_agg **aggs;	/* [nsets] */
	uint32_t nsets;
	const uint32_t *set_of;	/* [thread] its set, or PM_NO_TASK */
	bool reasons;		/* the rows have exit reasons */
	/* exits counted by exit reason string, numbered as they come */
	uint32_t *local_of;	/* [string] its number + 1, or 0 */
	uint32_t *string_of;	/* [number] its string */
	uint32_t nlocal, lcap;
	uint64_t **counts;	/* [set][task * lcap + number] */
	uint64_t *last_switch;	/* [cpu] time of the last sched_switch, or UINT64_MAX */
	uint32_t *current;	/* [cpu] thread it switched in */
};

/* Logs that aggregating @run ran out of memory; returns PW_ENOMEM. */
static int agg_nomem(const struct pm_run *run)
{
	pw_err("%s: aggregating: %s", run->path, pw_strerror(PW_ENOMEM));
	return PW_ENOMEM;
}

/* The aggregate thread @th counts in, or NULL. */
static inline struct pm_agg *agg_of(const struct agg_ctx *x, uint32_t th)
{
	return th == PM_NO_THREAD || x->set_of[th] == PM_NO_TASK ? NULL : x->aggs[x->set_of[th]];
}

/* Room for the exits of more reason strings in every set's counts. */
static int more_reasons(struct agg_ctx *x)
{
	uint32_t ncap = x->lcap ? x->lcap * 2 : 16;
	uint32_t *so = realloc(x->string_of, ncap * sizeof(*so));

	if (!so)
		return PW_ENOMEM;
	x->string_of = so;
	for (uint32_t k = 0; k < x->nsets; k++) {
		uint32_t rows = x->aggs[k]->nr_tasks + 1;
		uint64_t *n = calloc((size_t)rows * ncap, sizeof(*n));

		if (!n)
			return PW_ENOMEM;
		for (uint32_t t = 0; x->counts[k] && t < rows; t++)
			memcpy(n + (size_t)t * ncap, x->counts[k] + (size_t)t * x->lcap,
			       x->lcap * sizeof(*n));
		free(x->counts[k]);
		x->counts[k] = n;
	}
	x->lcap = ncap;
	return 0;
}

/* A kvm_exit of @task in set @k for exit reason string @s. */
static inline int count_exit(struct agg_ctx *x, uint32_t k, uint32_t task, uint32_t s)
{
	uint32_t l = x->local_of[s];

	if (!l) {
		if (x->nlocal == x->lcap && more_reasons(x))
			return PW_ENOMEM;
		x->string_of[x->nlocal] = s;
		l = x->local_of[s] = ++x->nlocal;
	}
	x->counts[k][(size_t)task * x->lcap + l - 1]++;
	return 0;
}

/*
 * Set @k's exit reasons, sorted by name ("unknown" for none), and its
 * exits by task and reason, from the counts by string.
 */
static int set_reasons(struct agg_ctx *x, uint32_t k)
{
	const char *const *strs = x->run->strings;
	struct pm_agg *a = x->aggs[k];
	uint32_t rows = a->nr_tasks + 1, *reason = NULL;
	bool *seen = calloc(x->nlocal ? x->nlocal : 1, sizeof(*seen));
	int err = PW_ENOMEM;

	a->reasons = calloc(x->nlocal ? x->nlocal : 1, sizeof(*a->reasons));
	reason = malloc((x->nlocal ? x->nlocal : 1) * sizeof(*reason));
	if (!seen || !a->reasons || !reason)
		goto out;
	for (uint32_t t = 0; t < rows; t++)
		for (uint32_t l = 0; l < x->nlocal; l++)
			if (x->counts[k][(size_t)t * x->lcap + l])
				seen[l] = true;
	for (uint32_t l = 0; l < x->nlocal; l++) {
		uint32_t s = x->string_of[l];
		const char *name = s && strs[s] && *strs[s] ? strs[s] : "unknown";
		uint32_t r = 0;

		if (!seen[l])
			continue;
		while (r < a->nr_reasons && strcmp(a->reasons[r], name))
			r++;
		if (r == a->nr_reasons)
			a->reasons[a->nr_reasons++] = name;
	}
	qsort(a->reasons, a->nr_reasons, sizeof(*a->reasons), cmp_str);
	a->exits = calloc((size_t)rows * (a->nr_reasons + 1), sizeof(uint64_t));
	if (!a->exits)
		goto out;
	for (uint32_t l = 0; l < x->nlocal; l++) {
		uint32_t s = x->string_of[l];
		const char *name = s && strs[s] && *strs[s] ? strs[s] : "unknown";

		if (!seen[l])
			continue;
		for (reason[l] = 0; strcmp(a->reasons[reason[l]], name); reason[l]++)
			;
		for (uint32_t t = 0; t < rows; t++)
			a->exits[(size_t)t * a->nr_reasons + reason[l]] +=
				x->counts[k][(size_t)t * x->lcap + l];
	}
	err = 0;
out:
	free(seen);
	free(reason);
	return err;
}

static int agg_piece(const struct pm_rows *r, void *arg)
{
	struct agg_ctx *x = arg;
	const struct pm_run *run = x->run;
	const struct pw_columns *c = r->c;

	x->reasons |= c->exit_reason != NULL;
	for (uint64_t i = 0; i < c->nrows; i++) {
		uint64_t t = c->time_ns[i];
		int32_t cpu = c->cpu[i];
		uint32_t th = r->thread[i];
		struct pm_agg *a = agg_of(x, th), *an;
		uint32_t task = a ? task_of(a, th) : PM_NO_TASK;
		bool in = in_window(run, t);
		int64_t d = c->duration_ns ? c->duration_ns[i] : PW_NONE;

		switch (c->event[i]) {
		case PW_EV_SCHED_SWITCH: {
			bool cpu_ok = cpu >= 0 && (uint32_t)cpu < run_cpus(run);
			uint64_t start;

			if (d != PW_NONE && d >= 0 && (uint64_t)d <= t)
				start = t - (uint64_t)d;
			else if (cpu_ok && x->last_switch[cpu] != UINT64_MAX)
				start = x->last_switch[cpu];
			else
				start = run->t0;
			if (a)
				add_slice(a, th, cpu, start, t);
			if (cpu_ok) {
				x->last_switch[cpu] = t;
				x->current[cpu] = r->next[i];
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
			an = agg_of(x, r->next[i]);
			if (c->next_wait_ns && an)
				add_heat(an, task_of(an, r->next[i]), PM_HEAT_WAIT, t,
					 c->next_wait_ns[i]);
			break;
		}
		case PW_EV_SCHED_STAT_SLEEP:
			if (in && a)
				add_heat(a, task, PM_HEAT_SLEEP, t, d);
			break;
		case PW_EV_SCHED_STAT_IOWAIT:
			if (in && a)
				add_heat(a, task, PM_HEAT_IOWAIT, t, d);
			break;
		case PW_EV_KVM_EXIT:
			if (!in || task == PM_NO_TASK)
				break;
			a->task[task].exits++;
			if (c->exit_reason && c->exit_reason[i] < c->nr_strings &&
			    count_exit(x, x->set_of[th], task, c->exit_reason[i]))
				return agg_nomem(run);
			add_heat(a, task, PM_HEAT_GUEST, t, d);
			break;
		case PW_EV_KVM_ENTRY:
			if (in && a)
				add_heat(a, task, PM_HEAT_HANDLE, t, d);
			break;
		default:
			break;
		}
	}
	return 0;
}

/* An empty aggregate of the threads of set @k. */
static struct pm_agg *agg_new(const struct pm_run *run, uint32_t tbins, const uint32_t *set_of,
			      uint32_t k)
{
	struct pm_agg *a = calloc(1, sizeof(*a));
	bool *in;

	if (!a)
		return NULL;
	a->run = run;
	a->window_ns = pm_run_window_ns(run);
	a->nr_cpus = run_cpus(run);
	a->tbins = tbins;
	a->task_ent = calloc(run->nr_ents ? run->nr_ents : 1, sizeof(uint32_t));
	a->ent_task = malloc((run->nr_ents ? run->nr_ents : 1) * sizeof(uint32_t));
	a->thread_task = malloc((run->nr_threads ? run->nr_threads : 1) * sizeof(uint32_t));
	in = calloc(run->nr_ents ? run->nr_ents : 1, sizeof(bool));
	if (!a->task_ent || !a->ent_task || !a->thread_task || !in)
		goto fail;
	for (uint32_t t = 0; t < run->nr_threads; t++)
		if (set_of[t] == k)
			in[run->threads[t].ent] = true;
	for (uint32_t e = 0; e < run->nr_ents; e++)
		if (in[e])
			a->task_ent[a->nr_tasks++] = e;
	free(in);
	in = NULL;
	sort_run = run;
	qsort(a->task_ent, a->nr_tasks, sizeof(uint32_t), cmp_ent);
	for (uint32_t e = 0; e < run->nr_ents; e++)
		a->ent_task[e] = PM_NO_TASK;
	for (uint32_t t = 0; t < a->nr_tasks; t++)
		a->ent_task[a->task_ent[t]] = t;
	for (uint32_t t = 0; t < run->nr_threads; t++)
		a->thread_task[t] = set_of[t] == k ? a->ent_task[run->threads[t].ent] : PM_NO_TASK;

	a->task = calloc(a->nr_tasks + 1, sizeof(*a->task));
	a->core_run_ns = calloc((size_t)(a->nr_tasks + 1) * a->nr_cpus, sizeof(uint64_t));
	a->core_switches = calloc((size_t)(a->nr_tasks + 1) * a->nr_cpus, sizeof(uint64_t));
	if (!a->task || !a->core_run_ns || !a->core_switches)
		goto fail;
	if (tbins) {
		a->heat = calloc((size_t)(a->nr_tasks + 1) * PM_HEAT__MAX * tbins * PM_DBINS,
				 sizeof(uint32_t));
		a->tcore_ns = calloc((size_t)(a->nr_tasks + 1) * tbins * a->nr_cpus,
				     sizeof(uint64_t));
		if (!a->heat || !a->tcore_ns)
			goto fail;
	}
	return a;
fail:
	free(in);
	pm_agg_free(a);
	return NULL;
}

static void ctx_release(struct agg_ctx *x)
{
	free(x->last_switch);
	free(x->current);
	free(x->local_of);
	free(x->string_of);
	for (uint32_t k = 0; x->counts && k < x->nsets; k++)
		free(x->counts[k]);
	free(x->counts);
}

int pm_agg_build_sets(const struct pm_run *run, uint32_t tbins, uint32_t nsets,
		      const uint32_t *set_of, struct pm_agg **out)
{
	struct agg_ctx x = { .run = run, .aggs = out, .nsets = nsets, .set_of = set_of };
	uint32_t ncpu = run_cpus(run);
	unsigned int mask;
	int err;

	memset(out, 0, nsets * sizeof(*out));
	x.local_of = calloc(run->nr_strings ? run->nr_strings : 1, sizeof(*x.local_of));
	x.counts = calloc(nsets ? nsets : 1, sizeof(*x.counts));
	x.last_switch = malloc(ncpu * sizeof(*x.last_switch));
	x.current = malloc(ncpu * sizeof(*x.current));
	if (!x.local_of || !x.counts || !x.last_switch || !x.current)
		goto nomem;
	for (uint32_t k = 0; k < nsets; k++)
		if (!(out[k] = agg_new(run, tbins, set_of, k)))
			goto nomem;
	for (uint32_t k = 0; k < ncpu; k++) {
		x.current[k] = PM_NO_THREAD;
		x.last_switch[k] = UINT64_MAX;
	}
	mask = PW_COLMASK(PW_COL_TIME_NS) | PW_COLMASK(PW_COL_CPU) |
	       PW_COLMASK(PW_COL_DURATION_NS) | PW_COLMASK(PW_COL_PREV_STATE) |
	       PW_COLMASK(PW_COL_EXIT_REASON);
	if (tbins)
		mask |= PW_COLMASK(PW_COL_NEXT_WAIT_NS);
	err = pm_run_scan(run, mask, agg_piece, &x);
	if (err)
		goto fail;	/* logged where it happened */
	/* Tasks still on a CPU at the end ran until the last event. */
	for (uint32_t k = 0; k < ncpu; k++) {
		struct pm_agg *a = agg_of(&x, x.current[k]);

		if (a && x.last_switch[k] < run->t_last)
			add_slice(a, x.current[k], (int32_t)k, x.last_switch[k], run->t_last);
	}
	for (uint32_t k = 0; k < nsets; k++) {
		struct pm_agg *a = out[k];

		if (x.reasons && set_reasons(&x, k))
			goto nomem;
		if (!x.reasons &&
		    !(a->exits = calloc((size_t)(a->nr_tasks + 1), sizeof(uint64_t))))
			goto nomem;
	}
	ctx_release(&x);
	return 0;
nomem:
	err = agg_nomem(run);
fail:
	ctx_release(&x);
	for (uint32_t k = 0; k < nsets; k++) {
		pm_agg_free(out[k]);
		out[k] = NULL;
	}
	return err;
}

int pm_agg_build(const struct pm_run *run, uint32_t tbins, struct pm_agg **out)
{
	uint32_t *set_of = malloc((run->nr_threads ? run->nr_threads : 1) * sizeof(uint32_t));
	int err;

	*out = NULL;
	if (!set_of)
		return agg_nomem(run);
	for (uint32_t t = 0; t < run->nr_threads; t++)
		set_of[t] = run->threads[t].selected ? 0 : PM_NO_TASK;
	err = pm_agg_build_sets(run, tbins, 1, set_of, out);
	free(set_of);
	return err;
}
