/* SPDX-License-Identifier: MIT */
/*
 * derive-event.h - derive.c's work on one ordered event, inline: in
 * derive.c's pw_derive_event(), and in the time ordering's release loop
 * (order.c), which calls it for each event without a call's frame.
 */
#ifndef PW_DERIVE_EVENT_H
#define PW_DERIVE_EVENT_H

#include "pw-log.h"
#include "reader-local.h"

#define PW_DERIVE_MAX_CPUS 65536

/* Out of line: a thread not among the recent ones, a cpu not seen yet,
 * and a row handed over by itself (not in the consumer's room). */
struct pw_task *pw_derive_task_slow(struct pw_derive *d, int32_t tid, unsigned int slot);
struct pw_cpu *pw_derive_cpu_slow(struct pw_derive *d, int32_t cpu);
int pw_derive_emit_one(struct pw_derive *d, struct pw_row *row);

/* The state of thread @tid if it is among the recent ones, else NULL. */
static inline struct pw_task *pw_task_recent(const struct pw_derive *d, int32_t tid)
{
	unsigned int slot = (uint32_t)tid % 256;

	if (d->recent[slot].idx1 && d->recent[slot].tid == tid)
		return &d->tasks[d->recent[slot].idx1 - 1];
	return NULL;
}

/* The state of thread @tid, created on first use; NULL when out of memory. */
static inline struct pw_task *pw_task_get(struct pw_derive *d, int32_t tid)
{
	struct pw_task *t = pw_task_recent(d, tid);

	return t ? t : pw_derive_task_slow(d, tid, (uint32_t)tid % 256);
}

/* The state of @cpu; NULL for a cpu out of range, or out of memory. */
static inline struct pw_cpu *pw_cpu_get(struct pw_derive *d, int32_t cpu)
{
	if (cpu >= 0 && (size_t)cpu < d->nr_cpus)
		return &d->cpus[cpu];
	return pw_derive_cpu_slow(d, cpu);
}

static inline int64_t pw_tgid_of(const struct pw_task *t)
{
	return t && t->tgid >= 0 ? t->tgid : PW_NONE;
}

static inline int pw_derive_emit(struct pw_derive *d, struct pw_row *row)
{
	/* built in the consumer's room: handed over when it is full, and
	 * counted then (pw_derive_hand_room(), which leaves no room once the
	 * consumer has failed) */
	if (d->out_end) {
		d->meta->stored[row->event]++;
		return ++d->out == d->out_end ? pw_derive_hand_room(d) : 0;
	}
	return pw_derive_emit_one(d, row);
}

/*
 * pw_derive_event(): the row of event @q, built where the consumer wants
 * it (d->out) and handed on, or the thread state a COMM, FORK or EXIT
 * record changes. Returns 0 or a PW_E* code (the consumer's failure, or
 * no memory).
 */
static inline __attribute__((always_inline)) int pw_derive_one(struct pw_derive *d,
								const struct pw_qev *q)
{
	struct pw_row *row = d->out;	/* built in place, where the consumer wants it */
	struct pw_task *t, *n;
	struct pw_cpu *c;

	/*
	 * The rows go to the writer's ring, whose lines the encoder's CPU read
	 * last: ask for the lines of the row 16 ahead now, so that its stores
	 * do not wait for them (both lines of a 104-byte row; past the room's
	 * end is harmless, a prefetch never faults). The address is computed
	 * as an integer: a pointer past the array's end would be undefined.
	 */
	uintptr_t ahead = (uintptr_t)row + 16 * sizeof(*row);

	__builtin_prefetch((const void *)ahead, 1);
	__builtin_prefetch((const void *)(ahead + 64), 1);

	row->time_ns = q->time;
	row->cpu = q->cpu == PW_NONE32 ? PW_NONE : q->cpu;
	row->event = q->kind;
	row->pid = row->tgid = row->duration_ns = row->next_pid = PW_NONE;
	row->next_wait_ns = row->target_cpu = PW_NONE;
	row->task = row->next_task = row->prev_state = row->exit_reason = NULL;
	switch (q->kind) {
	case PW_QK_COMM:
		t = pw_task_get(d, q->tid);
		if (!t)
			return PW_ENOMEM;
		t->tgid = q->pid;
		t->comm = q->a_comm;
		return 0;
	case PW_QK_FORK:
		t = pw_task_get(d, q->tid);
		if (!t)
			return PW_ENOMEM;
		t->tgid = q->pid;
		/* A new thread starts with its parent's name until its COMM. */
		n = pw_task_get(d, q->a_pid);
		if (!n)
			return PW_ENOMEM;
		t = pw_task_get(d, q->tid);	/* pw_task_get may have moved the array */
		t->comm = n->comm;
		return 0;
	case PW_QK_EXIT:
		return 0;
	case PW_EV_SCHED_SWITCH: {
		const struct pw_task *tasks = d->tasks;

		t = pw_task_get(d, q->a_pid);
		n = t ? pw_task_get(d, q->b_pid) : NULL;
		c = pw_cpu_get(d, q->cpu);
		if (!n)
			return PW_ENOMEM;
		if (d->tasks != tasks)	/* moved, as the array grew */
			t = pw_task_get(d, q->a_pid);
		row->pid = q->a_pid;
		row->task = pw_str(d->strs, q->a_comm);
		row->next_pid = q->b_pid;
		row->next_task = pw_str(d->strs, q->b_comm);
		row->prev_state = pw_str(d->strs, q->str);
		if (t->tgid < 0 && q->tid == q->a_pid)
			t->tgid = q->pid;	/* switches are sampled in prev */
		row->tgid = pw_tgid_of(t);
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
		t = pw_task_get(d, q->a_pid);
		if (!t)
			return PW_ENOMEM;
		/* The first wakeup since it left counts, as in perf sched timehist. */
		if (!t->wakeup)
			t->wakeup = q->time;
		row->pid = q->a_pid;
		row->tgid = pw_tgid_of(t);
		row->task = pw_str(d->strs, q->a_comm);
		row->target_cpu = q->val;
		break;
	case PW_EV_SCHED_MIGRATE_TASK:
	case PW_EV_SCHED_STAT_SLEEP:
	case PW_EV_SCHED_STAT_IOWAIT:
		t = pw_task_get(d, q->a_pid);
		if (!t)
			return PW_ENOMEM;
		row->pid = q->a_pid;
		row->tgid = pw_tgid_of(t);
		row->task = pw_str(d->strs, q->a_comm);
		if (q->kind == PW_EV_SCHED_MIGRATE_TASK)
			row->target_cpu = q->val;
		else
			row->duration_ns = q->val;
		break;
	case PW_EV_KVM_EXIT:
	case PW_EV_KVM_ENTRY:
		t = pw_task_get(d, q->tid);
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
	return pw_derive_emit(d, row);
}

#endif
