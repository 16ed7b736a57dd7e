// SPDX-License-Identifier: MIT
/* stats.c - scheduler and KVM statistics from rows (pw-stats.h). */
#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "intern.h"
#include "pw-atomic.h"
#include "pw-cdict.h"
#include "pw-log.h"
#include "pw-stats.h"
#include "pw-u64map.h"

struct task {
	struct pw_stats_task t;
	uint32_t name_id;
};

/* Exit statistics indexed by reason id (0 unused). */
struct exits {
	struct pw_stats_exit *e;
	size_t n;
};

struct vcpu {
	int64_t pid;
	bool seen_entry;	/* perf kvm stat ignores a thread until its first entry */
	uint32_t pending;	/* reason id of the exit awaiting its entry, 0: none */
	uint32_t name_id;	/* the thread's last name */
	struct exits ex;
};

struct pw_stats {
	struct pw_intern *strings;	/* task names and exit reasons */
	struct task *tasks;
	size_t nr_tasks, cap_tasks;
	struct pw_u64map task_idx;	/* pid -> index in tasks */
	struct vcpu *vcpus;
	size_t nr_vcpus, cap_vcpus;
	struct pw_u64map vcpu_idx;
	struct exits all;
	uint64_t *cpu_last;		/* last sched_switch time per CPU, 0: none */
	size_t nr_cpus;
	/* results handed out (sorted copies) */
	struct pw_stats_task *out_tasks;
	struct pw_stats_exit *out_exits;
	int64_t *out_vcpus;
};

struct pw_stats *pw_stats_new(void)
{
	struct pw_stats *st = calloc(1, sizeof(*st));

	if (!st)
		return NULL;
	st->strings = pw_intern_new();
	if (!st->strings) {
		free(st);
		return NULL;
	}
	pw_u64map_init(&st->task_idx);
	pw_u64map_init(&st->vcpu_idx);
	return st;
}

void pw_stats_free(struct pw_stats *st)
{
	if (!st)
		return;
	for (size_t i = 0; i < st->nr_vcpus; i++)
		free(st->vcpus[i].ex.e);
	free(st->vcpus);
	free(st->tasks);
	free(st->all.e);
	free(st->cpu_last);
	pw_u64map_release(&st->task_idx);
	pw_u64map_release(&st->vcpu_idx);
	pw_intern_free(st->strings);
	free(st->out_tasks);
	free(st->out_exits);
	free(st->out_vcpus);
	free(st);
}

static int grow(void **arr, size_t *cap, size_t need, size_t size)
{
	size_t ncap = *cap ? *cap : 16;
	void *p;

	if (need <= *cap)
		return 0;
	while (ncap < need)
		ncap *= 2;
	p = realloc(*arr, ncap * size);
	if (!p)
		return PW_ENOMEM;
	memset((char *)p + *cap * size, 0, (ncap - *cap) * size);
	*arr = p;
	*cap = ncap;
	return 0;
}

static struct task *task_get(struct pw_stats *st, int64_t pid, const char *name)
{
	struct task *t;
	uint64_t idx;
	int64_t id;

	if (pw_u64map_get(&st->task_idx, (uint64_t)pid, &idx)) {
		t = &st->tasks[idx];
	} else {
		if (grow((void **)&st->tasks, &st->cap_tasks, st->nr_tasks + 1, sizeof(*t)) ||
		    pw_u64map_put(&st->task_idx, (uint64_t)pid, st->nr_tasks))
			return NULL;
		t = &st->tasks[st->nr_tasks++];
		t->t.pid = pid;
		t->t.tgid = PW_NONE;
	}
	if (name) {
		id = pw_intern_add(st->strings, name, strlen(name));
		if (id < 0)
			return NULL;
		t->name_id = (uint32_t)id;
	}
	return t;
}

static struct vcpu *vcpu_get(struct pw_stats *st, int64_t pid)
{
	struct vcpu *v;
	uint64_t idx;

	if (pw_u64map_get(&st->vcpu_idx, (uint64_t)pid, &idx))
		return &st->vcpus[idx];
	if (grow((void **)&st->vcpus, &st->cap_vcpus, st->nr_vcpus + 1, sizeof(*v)) ||
	    pw_u64map_put(&st->vcpu_idx, (uint64_t)pid, st->nr_vcpus))
		return NULL;
	v = &st->vcpus[st->nr_vcpus++];
	v->pid = pid;
	return v;
}

/* Welford's update, the one perf's update_stats() does. */
static int exit_add(struct exits *ex, uint32_t reason, uint64_t ns)
{
	struct pw_stats_exit *e;
	double delta;

	if (reason >= ex->n) {
		size_t cap = ex->n;

		if (grow((void **)&ex->e, &cap, (size_t)reason + 1, sizeof(*e)))
			return PW_ENOMEM;
		ex->n = cap;
	}
	e = &ex->e[reason];
	if (!e->samples || ns < e->min_ns)
		e->min_ns = ns;
	if (ns > e->max_ns)
		e->max_ns = ns;
	e->samples++;
	e->total_ns += ns;
	delta = (double)ns - e->mean_ns;
	e->mean_ns += delta / (double)e->samples;
	e->m2 += delta * ((double)ns - e->mean_ns);
	return 0;
}

static int add_kvm(struct pw_stats *st, const struct pw_row *row)
{
	struct vcpu *v;
	uint32_t reason;
	int64_t id;
	int err;

	if (row->pid == PW_NONE)
		return 0;
	v = vcpu_get(st, row->pid);
	if (!v)
		return PW_ENOMEM;
	if (row->task) {
		id = pw_intern_add(st->strings, row->task, strlen(row->task));
		if (id < 0)
			return (int)id;
		v->name_id = (uint32_t)id;
	}
	if (row->event == PW_EV_KVM_EXIT) {
		v->pending = 0;
		if (!v->seen_entry)
			return 0;
		id = pw_intern_add(st->strings, row->exit_reason ? row->exit_reason : "?",
				   row->exit_reason ? strlen(row->exit_reason) : 1);
		if (id < 0)
			return (int)id;
		v->pending = (uint32_t)id;
		return 0;
	}
	v->seen_entry = true;
	reason = v->pending;
	v->pending = 0;
	if (!reason || row->duration_ns == PW_NONE || row->duration_ns < 0)
		return 0;
	if ((err = exit_add(&st->all, reason, (uint64_t)row->duration_ns)))
		return err;
	return exit_add(&v->ex, reason, (uint64_t)row->duration_ns);
}

/*
 * The run that a switch-out ends: its duration when the switch-in was seen;
 * otherwise (events missing) the time since the previous switch on that
 * CPU, as perf sched timehist counts it; 0 for a CPU's first switch.
 */
static int run_of(struct pw_stats *st, const struct pw_row *row, uint64_t *run)
{
	uint64_t *last = NULL;

	*run = 0;
	if (row->cpu >= 0 && row->cpu < 65536) {
		size_t cpu = (size_t)row->cpu;

		if (cpu >= st->nr_cpus &&
		    grow((void **)&st->cpu_last, &st->nr_cpus, cpu + 1, sizeof(*st->cpu_last)))
			return PW_ENOMEM;
		last = &st->cpu_last[cpu];
	}
	if (row->duration_ns != PW_NONE && row->duration_ns > 0)
		*run = (uint64_t)row->duration_ns;
	else if (row->duration_ns == PW_NONE && last && *last && row->time_ns > *last)
		*run = row->time_ns - *last;
	if (last)
		*last = row->time_ns;
	return 0;
}

int pw_stats_add(struct pw_stats *st, const struct pw_row *row)
{
	struct task *t;
	uint64_t run;

	switch (row->event) {
	case PW_EV_SCHED_SWITCH:
		if (run_of(st, row, &run))
			return PW_ENOMEM;
		if (row->pid != PW_NONE) {
			if (!(t = task_get(st, row->pid, row->task)))
				return PW_ENOMEM;
			t->t.runs++;
			if (row->tgid != PW_NONE)
				t->t.tgid = row->tgid;
			t->t.run_ns += run;
			if (row->prev_state && row->prev_state[0] == 'R')
				t->t.preempted++;
		}
		if (row->next_pid != PW_NONE) {
			if (!(t = task_get(st, row->next_pid, row->next_task)))
				return PW_ENOMEM;
			t->t.switch_ins++;
			if (row->next_wait_ns != PW_NONE && row->next_wait_ns >= 0) {
				uint64_t w = (uint64_t)row->next_wait_ns;

				t->t.delay_n++;
				t->t.delay_total_ns += w;
				if (t->t.delay_n == 1 || w > t->t.delay_max_ns) {
					t->t.delay_max_ns = w;
					t->t.delay_max_time_ns = row->time_ns;
				}
			}
		}
		return 0;
	case PW_EV_SCHED_MIGRATE_TASK:
		if (row->pid == PW_NONE)
			return 0;
		if (!(t = task_get(st, row->pid, row->task)))
			return PW_ENOMEM;
		t->t.migrations++;
		return 0;
	case PW_EV_SCHED_WAKEUP:
	case PW_EV_SCHED_WAKEUP_NEW:
		if (row->pid != PW_NONE && !task_get(st, row->pid, row->task))
			return PW_ENOMEM;
		return 0;
	case PW_EV_KVM_EXIT:
	case PW_EV_KVM_ENTRY:
		return add_kvm(st, row);
	default:
		return 0;
	}
}

int pw_stats_tap(const struct pw_row *row, void *ctx)
{
	return pw_stats_add(ctx, row);
}

static int add_cb(const struct pw_row *row, void *ctx)
{
	return pw_stats_add(ctx, row);
}

struct pw_stats *pw_stats_from_cdict(const char *path, struct pw_meta *meta, int *err)
{
	struct pw_cdict *cd;
	struct pw_stats *st = NULL;
	int e = 0;

	if (meta)
		pw_meta_init(meta);
	cd = pw_cdict_open(path, &e);
	if (!cd)
		goto out;
	st = pw_stats_new();
	if (!st) {
		e = PW_ENOMEM;
		goto out;
	}
	e = pw_cdict_foreach(cd, add_cb, st);
	if (!e && meta)
		e = pw_meta_copy(meta, pw_cdict_meta(cd));
	if (e) {
		pw_err("%s: cannot compute statistics: %s", path, pw_strerror(e));
		pw_stats_free(st);
		st = NULL;
	}
out:
	pw_cdict_close(cd);
	if (err)
		*err = e;
	return st;
}

static int cmp_task(const void *a, const void *b)
{
	const struct pw_stats_task *x = a, *y = b;

	if (x->run_ns != y->run_ns)
		return x->run_ns > y->run_ns ? -1 : 1;
	return x->pid < y->pid ? -1 : x->pid > y->pid;
}

const struct pw_stats_task *pw_stats_tasks(struct pw_stats *st, size_t *n)
{
	struct pw_stats_task *out;

	*n = 0;
	if (!st->nr_tasks)
		return NULL;
	out = realloc(st->out_tasks, st->nr_tasks * sizeof(*out));
	if (!out)
		return NULL;
	st->out_tasks = out;
	for (size_t i = 0; i < st->nr_tasks; i++) {
		out[i] = st->tasks[i].t;
		out[i].name = pw_intern_str(st->strings, st->tasks[i].name_id, NULL);
	}
	qsort(out, st->nr_tasks, sizeof(*out), cmp_task);
	*n = st->nr_tasks;
	return out;
}

const struct pw_stats_task *pw_stats_task_find(struct pw_stats *st, int64_t pid)
{
	struct task *t;
	uint64_t idx;

	if (!pw_u64map_get(&st->task_idx, (uint64_t)pid, &idx))
		return NULL;
	t = &st->tasks[idx];
	t->t.name = pw_intern_str(st->strings, t->name_id, NULL);
	return &t->t;
}

static int cmp_exit(const void *a, const void *b)
{
	const struct pw_stats_exit *x = a, *y = b;

	if (x->samples != y->samples)
		return x->samples > y->samples ? -1 : 1;
	return strcmp(x->reason, y->reason);
}

const struct pw_stats_exit *pw_stats_exits(struct pw_stats *st, int64_t pid, size_t *n)
{
	const struct exits *ex = &st->all;
	struct pw_stats_exit *out;
	size_t k = 0;
	uint64_t idx;

	*n = 0;
	if (pid != PW_NONE) {
		if (!pw_u64map_get(&st->vcpu_idx, (uint64_t)pid, &idx))
			return NULL;
		ex = &st->vcpus[idx].ex;
	}
	if (!ex->n)
		return NULL;
	out = realloc(st->out_exits, ex->n * sizeof(*out));
	if (!out)
		return NULL;
	st->out_exits = out;
	for (size_t i = 0; i < ex->n; i++) {
		if (!ex->e[i].samples)
			continue;
		out[k] = ex->e[i];
		out[k++].reason = pw_intern_str(st->strings, (uint32_t)i, NULL);
	}
	qsort(out, k, sizeof(*out), cmp_exit);
	*n = k;
	return k ? out : NULL;
}

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return x < y ? -1 : x > y;
}

const int64_t *pw_stats_vcpus(struct pw_stats *st, size_t *n)
{
	int64_t *out;
	size_t k = 0;

	*n = 0;
	if (!st->nr_vcpus)
		return NULL;
	out = realloc(st->out_vcpus, st->nr_vcpus * sizeof(*out));
	if (!out)
		return NULL;
	st->out_vcpus = out;
	for (size_t i = 0; i < st->nr_vcpus; i++) {
		const struct exits *ex = &st->vcpus[i].ex;
		bool any = false;

		for (size_t j = 0; j < ex->n && !any; j++)
			any = ex->e[j].samples > 0;
		if (any)
			out[k++] = st->vcpus[i].pid;
	}
	qsort(out, k, sizeof(*out), cmp_i64);
	*n = k;
	return k ? out : NULL;
}

double pw_stats_rel_stddev(const struct pw_stats_exit *e)
{
	double var_mean;

	if (e->samples < 2 || e->mean_ns == 0)
		return 0.0;
	var_mean = e->m2 / (double)(e->samples - 1) / (double)e->samples;
	return 100.0 * sqrt(var_mean) / e->mean_ns;
}

/* ms with 3 decimals, truncated: perf sched timehist's print_sched_time(). */
static void ms(FILE *f, int width, uint64_t ns)
{
	fprintf(f, "%*llu.%03llu", width, (unsigned long long)(ns / 1000000),
		(unsigned long long)(ns % 1000000 / 1000));
}

static const char *task_name(const char *name)
{
	return name && *name ? name : "?";
}

static void print_sched(struct pw_stats *st, const struct pw_meta *meta, FILE *f)
{
	const struct pw_stats_task *t;
	uint64_t total_run = 0, total_runs = 0, span = 0;
	size_t n;

	t = pw_stats_tasks(st, &n);
	if (meta && meta->last_ns > meta->first_ns)
		span = meta->last_ns - meta->first_ns;
	fprintf(f, "Scheduler, per task\n"
		"  run time: switch-in to switch-out; runs: switch-outs (the sched-in of\n"
		"  perf sched timehist -s); delay: wakeup or preemption to switch-in\n\n");
	if (!n) {
		fprintf(f, "  no scheduler events\n\n");
		return;
	}
	fprintf(f, "  %8s %-24s %13s %6s %8s %9s %10s %11s %11s %17s\n", "tid", "task",
		"run-time ms", "run%", "runs", "preempted", "migrations", "avg-delay", "max-delay",
		"max-delay-at s");
	for (size_t i = 0; i < n; i++) {
		total_run += t[i].run_ns;
		total_runs += t[i].runs;
		fprintf(f, "  %8lld %-24s ", (long long)t[i].pid, task_name(t[i].name));
		ms(f, 13, t[i].run_ns);
		if (span)
			fprintf(f, " %6.2f", 100.0 * (double)t[i].run_ns / (double)span);
		else
			fprintf(f, " %6s", "-");
		fprintf(f, " %8llu %9llu %10llu ", (unsigned long long)t[i].runs,
			(unsigned long long)t[i].preempted, (unsigned long long)t[i].migrations);
		if (t[i].delay_n) {
			ms(f, 11, t[i].delay_total_ns / t[i].delay_n);
			fputc(' ', f);
			ms(f, 11, t[i].delay_max_ns);
			fprintf(f, " %10llu.%06llu\n",
				(unsigned long long)(t[i].delay_max_time_ns / 1000000000),
				(unsigned long long)(t[i].delay_max_time_ns % 1000000000 / 1000));
		} else {
			fprintf(f, "%11s %11s %17s\n", "-", "-", "-");
		}
	}
	fprintf(f, "\n  tasks: %zu, runs: %llu, run time: ", n, (unsigned long long)total_runs);
	ms(f, 0, total_run);
	fprintf(f, " ms\n\n");
}

static void print_exits(struct pw_stats *st, int64_t pid, FILE *f)
{
	const struct pw_stats_exit *e;
	uint64_t samples = 0, total = 0;
	size_t n;

	e = pw_stats_exits(st, pid, &n);
	for (size_t i = 0; i < n; i++) {
		samples += e[i].samples;
		total += e[i].total_ns;
	}
	fprintf(f, "  %20s %9s %9s %9s %12s %12s %12s %12s\n", "exit-reason", "samples",
		"samples%", "time%", "min-us", "max-us", "avg-us", "(+- stddev)");
	for (size_t i = 0; i < n; i++)
		fprintf(f, "  %20s %9llu %8.2f%% %8.2f%% %10.2fus %10.2fus %10.2fus ( +-%7.2f%% )\n",
			e[i].reason, (unsigned long long)e[i].samples,
			100.0 * (double)e[i].samples / (double)samples,
			total ? 100.0 * (double)e[i].total_ns / (double)total : 0.0,
			(double)e[i].min_ns / 1e3, (double)e[i].max_ns / 1e3, e[i].mean_ns / 1e3,
			pw_stats_rel_stddev(&e[i]));
	fprintf(f, "\n  total samples: %llu, total handling time: %.2fus\n\n",
		(unsigned long long)samples, (double)total / 1e3);
}

static void print_kvm(struct pw_stats *st, FILE *f)
{
	const int64_t *v;
	size_t nv;

	v = pw_stats_vcpus(st, &nv);
	fprintf(f, "KVM exits\n"
		"  handling time: exit to the next entry of the same thread\n\n");
	if (!nv) {
		fprintf(f, "  no KVM exits followed by an entry\n");
		return;
	}
	fprintf(f, "All vcpu threads\n");
	print_exits(st, PW_NONE, f);
	for (size_t i = 0; i < nv; i++) {
		int64_t pid = v[i];
		uint64_t idx = 0;

		pw_u64map_get(&st->vcpu_idx, (uint64_t)pid, &idx);
		fprintf(f, "vcpu thread %lld (%s)\n", (long long)pid,
			task_name(pw_intern_str(st->strings, st->vcpus[idx].name_id, NULL)));
		print_exits(st, pid, f);
	}
}

int pw_stats_print(struct pw_stats *st, const struct pw_meta *meta, const char *title,
		   FILE *f)
{
	fprintf(f, "perfwhiz statistics%s%s\n", title ? " of " : "", title ? title : "");
	if (meta) {
		if (meta->hostname)
			fprintf(f, "host: %s%s%s\n", meta->hostname, meta->os_release ? ", " : "",
				meta->os_release ? meta->os_release : "");
		if (meta->nr_cpus != PW_NONE)
			fprintf(f, "cpus: %lld\n", (long long)meta->nr_cpus);
		if (meta->last_ns >= meta->first_ns)
			fprintf(f, "span: %.6f s (first to last event)\n",
				(double)(meta->last_ns - meta->first_ns) / 1e9);
		if (meta->partial)
			fprintf(f, "partial: the capture was cut short\n");
		if (meta->lost || meta->lost_samples)
			fprintf(f, "lost: %llu events, %llu samples (the figures miss them)\n",
				(unsigned long long)meta->lost,
				(unsigned long long)meta->lost_samples);
	}
	fputc('\n', f);
	print_sched(st, meta, f);
	print_kvm(st, f);
	return ferror(f) ? PW_EWRITE : 0;
}

int pw_stats_write(struct pw_stats *st, const struct pw_meta *meta, const char *title,
		   const char *path)
{
	struct pw_atomic a;
	char *buf = NULL;
	size_t len = 0, off = 0;
	FILE *mem;
	int err;

	mem = open_memstream(&buf, &len);
	if (!mem)
		return PW_ENOMEM;
	err = pw_stats_print(st, meta, title, mem);
	if (fclose(mem) && !err)
		err = PW_ENOMEM;
	if (err)
		goto out;
	err = pw_atomic_open(&a, path);
	if (err)
		goto out;
	while (off < len) {
		ssize_t w = write(a.fd, buf + off, len - off);

		if (w < 0) {
			pw_err("%s: cannot write: %s", path, strerror(errno));
			pw_atomic_abort(&a);
			err = PW_EWRITE;
			goto out;
		}
		off += (size_t)w;
	}
	err = pw_atomic_commit(&a);
out:
	free(buf);
	return err;
}

int pw_stats_print_cdict(const char *path, FILE *f)
{
	struct pw_stats *st;
	struct pw_meta meta;
	int err;

	st = pw_stats_from_cdict(path, &meta, &err);
	if (st)
		err = pw_stats_print(st, &meta, path, f);
	pw_stats_free(st);
	pw_meta_release(&meta);
	return err;
}
