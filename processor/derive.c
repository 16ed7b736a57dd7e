// SPDX-License-Identifier: MIT
/*
 * derive.c - rows from time-ordered events: run time of the task switched
 * out, scheduling delay of the task switched in, guest and handling times
 * of vcpu threads, and task names and thread groups from COMM/FORK records.
 * See DESIGN.md, "Events and derived values".
 */
#include <stdlib.h>
#include <string.h>

#include "pw-log.h"
#include "reader-local.h"

#define MAX_CPUS 65536

int pw_derive_init(struct pw_derive *d, struct pw_intern *strs, struct pw_meta *meta,
		   pw_row_fn fn, void *ctx)
{
	memset(d, 0, sizeof(*d));
	d->strs = strs;
	d->meta = meta;
	d->fn = fn;
	d->ctx = ctx;
	d->out = &d->own;
	pw_u64map_init(&d->tids);
	return 0;
}

void pw_derive_release(struct pw_derive *d)
{
	pw_u64map_release(&d->tids);
	free(d->tasks);
	free(d->cpus);
	d->tasks = NULL;
	d->cpus = NULL;
}

/* task_get() of a thread not among the recent ones. */
static __attribute__((noinline)) struct pw_task *task_get_slow(struct pw_derive *d, int32_t tid,
							       unsigned int slot)
{
	uint64_t idx;

	if (pw_u64map_get(&d->tids, (uint64_t)(uint32_t)tid, &idx)) {
		d->recent[slot].tid = tid;
		d->recent[slot].idx1 = (uint32_t)idx + 1;
		return &d->tasks[idx];
	}
	if (d->nr_tasks == d->cap_tasks) {
		size_t ncap = d->cap_tasks ? d->cap_tasks * 2 : 1024;
		struct pw_task *nt = realloc(d->tasks, ncap * sizeof(*nt));

		if (!nt)
			return NULL;
		d->tasks = nt;
		d->cap_tasks = ncap;
	}
	if (pw_u64map_put(&d->tids, (uint64_t)(uint32_t)tid, d->nr_tasks))
		return NULL;
	memset(&d->tasks[d->nr_tasks], 0, sizeof(d->tasks[0]));
	d->tasks[d->nr_tasks].tgid = -1;
	return &d->tasks[d->nr_tasks++];
}

/* The state of thread @tid if it is among the recent ones, else NULL. */
static inline struct pw_task *task_recent(const struct pw_derive *d, int32_t tid)
{
	unsigned int slot = (uint32_t)tid % 256;

	if (d->recent[slot].idx1 && d->recent[slot].tid == tid)
		return &d->tasks[d->recent[slot].idx1 - 1];
	return NULL;
}

/* The state of thread @tid, created on first use; NULL when out of memory. */
static inline struct pw_task *task_get(struct pw_derive *d, int32_t tid)
{
	struct pw_task *t = task_recent(d, tid);

	return t ? t : task_get_slow(d, tid, (uint32_t)tid % 256);
}

bool pw_derive_comm_known(const struct pw_derive *d, int32_t tid, int32_t pid, const char *comm)
{
	const struct pw_task *t = task_recent(d, tid);
	const char *s = t ? pw_str(d->strs, t->comm) : NULL;

	return s && t->tgid == pid && !strcmp(s, comm);
}

static struct pw_cpu *cpu_get(struct pw_derive *d, int32_t cpu)
{
	if (cpu < 0 || cpu >= MAX_CPUS)
		return NULL;
	if ((size_t)cpu >= d->nr_cpus) {
		size_t n = (size_t)cpu + 1;
		struct pw_cpu *nc = realloc(d->cpus, n * sizeof(*nc));

		if (!nc)
			return NULL;
		for (size_t i = d->nr_cpus; i < n; i++)
			nc[i].pid = -1, nc[i].in = 0;
		d->cpus = nc;
		d->nr_cpus = n;
	}
	return &d->cpus[cpu];
}

static inline int64_t tgid_of(const struct pw_task *t)
{
	return t && t->tgid >= 0 ? t->tgid : PW_NONE;
}

/* Counts the rows built in the consumer's room: rows, first and last times. */
static void room_done(struct pw_derive *d)
{
	struct pw_meta *m = d->meta;

	if (d->out == d->room)
		return;
	if (!d->rows)
		m->first_ns = d->room->time_ns;
	m->last_ns = d->out[-1].time_ns;
	d->rows += (uint64_t)(d->out - d->room);
}

__attribute__((noinline)) int pw_derive_hand_room(struct pw_derive *d)
{
	int err;

	room_done(d);
	err = d->rows_fn(d->out, &d->out, &d->out_end, d->ctx);
	/* the consumer failed, and need not have given a room */
	if (err) {
		d->consumer_err = err;
		d->out = &d->own;
	}
	d->room = d->out;
	return err;
}

static int emit(struct pw_derive *d, struct pw_row *row)
{
	struct pw_meta *m = d->meta;
	int err;

	/* once the consumer has failed, rows still derived (the queue being
	 * flushed) go nowhere, and are not counted */
	if (d->consumer_err)
		return d->consumer_err;
	m->stored[row->event]++;
	/* built in the consumer's room: handed over when it is full, and
	 * counted then (pw_derive_hand_room()) */
	if (d->out_end)
		return ++d->out == d->out_end ? pw_derive_hand_room(d) : 0;
	if (!d->rows++)
		m->first_ns = row->time_ns;
	m->last_ns = row->time_ns;
	err = d->fn(row, d->ctx);
	if (err)
		d->consumer_err = err;
	return err;
}

int pw_derive_event(const struct pw_qev *q, void *ctx)
{
	struct pw_derive *d = ctx;
	struct pw_row *row = d->out;	/* built in place, where the consumer wants it */
	struct pw_task *t, *n;
	struct pw_cpu *c;

	row->time_ns = q->time;
	row->cpu = q->cpu == PW_NONE32 ? PW_NONE : q->cpu;
	row->event = q->kind;
	row->pid = row->tgid = row->duration_ns = row->next_pid = PW_NONE;
	row->next_wait_ns = row->target_cpu = PW_NONE;
	row->task = row->next_task = row->prev_state = row->exit_reason = NULL;
	switch (q->kind) {
	case PW_QK_COMM:
		t = task_get(d, q->tid);
		if (!t)
			return PW_ENOMEM;
		t->tgid = q->pid;
		t->comm = q->a_comm;
		return 0;
	case PW_QK_FORK:
		t = task_get(d, q->tid);
		if (!t)
			return PW_ENOMEM;
		t->tgid = q->pid;
		/* A new thread starts with its parent's name until its COMM. */
		n = task_get(d, q->a_pid);
		if (!n)
			return PW_ENOMEM;
		t = task_get(d, q->tid);	/* task_get may have moved the array */
		t->comm = n->comm;
		return 0;
	case PW_QK_EXIT:
		return 0;
	case PW_EV_SCHED_SWITCH: {
		const struct pw_task *tasks = d->tasks;

		t = task_get(d, q->a_pid);
		n = t ? task_get(d, q->b_pid) : NULL;
		c = cpu_get(d, q->cpu);
		if (!n)
			return PW_ENOMEM;
		if (d->tasks != tasks)	/* moved, as the array grew */
			t = task_get(d, q->a_pid);
		row->pid = q->a_pid;
		row->task = pw_str(d->strs, q->a_comm);
		row->next_pid = q->b_pid;
		row->next_task = pw_str(d->strs, q->b_comm);
		row->prev_state = pw_str(d->strs, q->str);
		if (t->tgid < 0 && q->tid == q->a_pid)
			t->tgid = q->pid;	/* switches are sampled in prev */
		row->tgid = tgid_of(t);
		if (c && c->pid == q->a_pid && c->in <= q->time)
			row->duration_ns = (int64_t)(q->time - c->in);
		if (q->b_pid == 0)
			;	/* the idle tasks (one per CPU, all pid 0) do not wait */
		else if (n->wakeup && n->wakeup <= q->time)
			row->next_wait_ns = (int64_t)(q->time - n->wakeup);
		else if (n->out && n->out_preempted && n->out <= q->time)
			row->next_wait_ns = (int64_t)(q->time - n->out);
		/* prev leaves: remember how, forget its wakeup */
		t->out = q->time;
		t->out_preempted = row->prev_state && row->prev_state[0] == 'R';
		t->wakeup = 0;
		n->wakeup = 0;
		if (c) {
			c->pid = q->b_pid;
			c->in = q->time;
		}
		break;
	}
	case PW_EV_SCHED_WAKEUP:
	case PW_EV_SCHED_WAKEUP_NEW:
		t = task_get(d, q->a_pid);
		if (!t)
			return PW_ENOMEM;
		/* The first wakeup since it left counts, as in perf sched timehist. */
		if (!t->wakeup)
			t->wakeup = q->time;
		row->pid = q->a_pid;
		row->tgid = tgid_of(t);
		row->task = pw_str(d->strs, q->a_comm);
		row->target_cpu = q->val;
		break;
	case PW_EV_SCHED_MIGRATE_TASK:
	case PW_EV_SCHED_STAT_SLEEP:
	case PW_EV_SCHED_STAT_IOWAIT:
		t = task_get(d, q->a_pid);
		if (!t)
			return PW_ENOMEM;
		row->pid = q->a_pid;
		row->tgid = tgid_of(t);
		row->task = pw_str(d->strs, q->a_comm);
		if (q->kind == PW_EV_SCHED_MIGRATE_TASK)
			row->target_cpu = q->val;
		else
			row->duration_ns = q->val;
		break;
	case PW_EV_KVM_EXIT:
	case PW_EV_KVM_ENTRY:
		t = task_get(d, q->tid);
		if (!t)
			return PW_ENOMEM;
		row->pid = q->tid;
		row->tgid = t->tgid >= 0 ? t->tgid : q->pid;
		row->task = pw_str(d->strs, t->comm);
		if (q->kind == PW_EV_KVM_EXIT) {
			row->exit_reason = pw_str(d->strs, q->str);
			if (t->kvm_entry && t->kvm_entry >= t->kvm_exit)
				row->duration_ns = (int64_t)(q->time - t->kvm_entry);
			t->kvm_exit = q->time;
		} else {
			if (t->kvm_exit && t->kvm_exit >= t->kvm_entry)
				row->duration_ns = (int64_t)(q->time - t->kvm_exit);
			t->kvm_entry = q->time;
		}
		break;
	default:
		return 0;
	}
	return emit(d, row);
}
