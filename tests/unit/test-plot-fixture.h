/* SPDX-License-Identifier: MIT */
/*
 * test-plot-fixture.h - build struct pw_columns in memory from a table of
 * rows, for the perfmap unit tests.
 */
#ifndef TEST_PLOT_FIXTURE_H
#define TEST_PLOT_FIXTURE_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "pw-cdict.h"
#include "pw-row.h"

#define N PW_NONE
#define N32 PW_NONE32

struct fx_row {
	uint64_t t;
	int32_t cpu;
	int ev;
	int32_t pid;
	const char *task;
	int64_t dur;
	int32_t next_pid;
	const char *next_task;
	const char *state;
	int64_t wait;
	const char *reason;
};

struct fx {
	struct pw_columns c;
	const char *strs[64];
};

static inline uint32_t fx_str(struct fx *f, const char *s)
{
	if (!s || !*s)
		return 0;
	for (uint32_t i = 1; i < f->c.nr_strings; i++)
		if (!strcmp(f->strs[i], s))
			return i;
	f->strs[f->c.nr_strings] = s;
	return f->c.nr_strings++;
}

static inline void fx_build(struct fx *f, const struct fx_row *rows, size_t n)
{
	struct pw_columns *c = &f->c;

	memset(f, 0, sizeof(*f));
	f->strs[0] = "";
	c->nr_strings = 1;
	c->strings = f->strs;
	c->nrows = n;
	c->time_ns = calloc(n, sizeof(*c->time_ns));
	c->cpu = calloc(n, sizeof(*c->cpu));
	c->event = calloc(n, sizeof(*c->event));
	c->pid = calloc(n, sizeof(*c->pid));
	c->tgid = calloc(n, sizeof(*c->tgid));
	c->task = calloc(n, sizeof(*c->task));
	c->duration_ns = calloc(n, sizeof(*c->duration_ns));
	c->next_pid = calloc(n, sizeof(*c->next_pid));
	c->next_task = calloc(n, sizeof(*c->next_task));
	c->prev_state = calloc(n, sizeof(*c->prev_state));
	c->next_wait_ns = calloc(n, sizeof(*c->next_wait_ns));
	c->exit_reason = calloc(n, sizeof(*c->exit_reason));
	for (size_t i = 0; i < n; i++) {
		c->time_ns[i] = rows[i].t;
		c->cpu[i] = rows[i].cpu;
		c->event[i] = (uint8_t)rows[i].ev;
		c->pid[i] = rows[i].pid;
		c->tgid[i] = rows[i].pid;
		c->task[i] = fx_str(f, rows[i].task);
		c->duration_ns[i] = rows[i].dur;
		c->next_pid[i] = rows[i].next_pid;
		c->next_task[i] = fx_str(f, rows[i].next_task);
		c->prev_state[i] = fx_str(f, rows[i].state);
		c->next_wait_ns[i] = rows[i].wait;
		c->exit_reason[i] = fx_str(f, rows[i].reason);
	}
}

static inline void fx_release(struct fx *f)
{
	struct pw_columns *c = &f->c;

	free(c->time_ns);
	free(c->cpu);
	free(c->event);
	free(c->pid);
	free(c->tgid);
	free(c->task);
	free(c->duration_ns);
	free(c->next_pid);
	free(c->next_task);
	free(c->prev_state);
	free(c->next_wait_ns);
	free(c->exit_reason);
}

#define SW PW_EV_SCHED_SWITCH
#define WK PW_EV_SCHED_WAKEUP
#define SLP PW_EV_SCHED_STAT_SLEEP
#define IOW PW_EV_SCHED_STAT_IOWAIT
#define KX PW_EV_KVM_EXIT
#define KE PW_EV_KVM_ENTRY

/*
 * Two CPUs, tasks A (tid 10, a vcpu thread) and B (tid 20), idle threads
 * swapper/0 and swapper/1 (tid 0). Times in ns; the capture spans
 * [1000, 10000]. Expected values are worked out in the tests.
 */
static const struct fx_row fx_basic[] = {
	{ 1000, 0, SW, 0, "swapper/0", N, 10, "A", "R", N, NULL },
	{ 1000, 1, SW, 0, "swapper/1", N, 20, "B", "R", N, NULL },
	{ 3000, 0, SW, 10, "A", 2000, 0, "swapper/0", "S", 500, NULL },
	{ 4000, 1, SW, 20, "B", 3000, 10, "A", "R", 1000, NULL },
	{ 4500, 1, KX, 10, "A", 500, N32, NULL, NULL, N, "HLT" },
	{ 4600, 1, KE, 10, "A", 100, N32, NULL, NULL, N, NULL },
	{ 5000, 1, KX, 10, "A", 400, N32, NULL, NULL, N, "EXTERNAL_INTERRUPT" },
	{ 5200, 1, KX, 10, "A", 100, N32, NULL, NULL, N, "HLT" },
	{ 6000, 1, SW, 10, "A", 2000, 20, "B", "R+", 2000, NULL },
	{ 7000, 0, SW, 0, "swapper/0", 4000, 10, "A", "R", N, NULL },
	{ 9000, 0, SLP, 20, "B", 5000, N32, NULL, NULL, N, NULL },
	{ 10000, 0, WK, 20, "B", N, N32, NULL, NULL, N, NULL },
};

#endif
