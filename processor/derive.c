// SPDX-License-Identifier: MIT
/*
 * derive.c - rows from time-ordered events: run time of the task switched
 * out, scheduling delay of the task switched in, guest and handling times
 * of vcpu threads, and task names and thread groups from COMM/FORK records.
 * See DESIGN.md, "Events and derived values". The work on each event is
 * inline in derive-event.h; this file has its state and its rare paths.
 */
#include <stdlib.h>
#include <string.h>

#include "derive-event.h"
#include "pw-log.h"

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

/* pw_task_get() of a thread not among the recent ones. */
__attribute__((noinline)) struct pw_task *pw_derive_task_slow(struct pw_derive *d, int32_t tid,
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

bool pw_derive_comm_known(const struct pw_derive *d, int32_t tid, int32_t pid, const char *comm)
{
	const struct pw_task *t = pw_task_recent(d, tid);
	const char *s = t ? pw_str(d->strs, t->comm) : NULL;

	return s && t->tgid == pid && !strcmp(s, comm);
}

/* pw_cpu_get() of a cpu beyond those seen: the array grows to it. */
__attribute__((noinline)) struct pw_cpu *pw_derive_cpu_slow(struct pw_derive *d, int32_t cpu)
{
	size_t n = (size_t)cpu + 1;
	struct pw_cpu *nc;

	if (cpu < 0 || cpu >= PW_DERIVE_MAX_CPUS)
		return NULL;
	nc = realloc(d->cpus, n * sizeof(*nc));
	if (!nc)
		return NULL;
	for (size_t i = d->nr_cpus; i < n; i++)
		nc[i].pid = -1, nc[i].in = 0;
	d->cpus = nc;
	d->nr_cpus = n;
	return &d->cpus[cpu];
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
	/* the consumer failed, and need not have given a room: the rows
	 * still derived (the queue being flushed) go to pw_derive_emit_one() */
	if (err) {
		d->consumer_err = err;
		d->out = &d->own;
		d->out_end = NULL;
	}
	d->room = d->out;
	return err;
}

int pw_derive_emit_one(struct pw_derive *d, struct pw_row *row)
{
	struct pw_meta *m = d->meta;
	int err;

	/* once the consumer has failed, rows still derived (the queue being
	 * flushed) go nowhere, and are not counted */
	if (d->consumer_err)
		return d->consumer_err;
	m->stored[row->event]++;
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
	return pw_derive_one(ctx, q);
}
