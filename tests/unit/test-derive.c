// SPDX-License-Identifier: MIT
/* test-derive.c - durations, waits and names derived from ordered events. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "pw-log.h"
#include "pw-reader.h"
#include "reader-local.h"

#define MAXR 32

struct rows {
	struct pw_row r[MAXR];
	char task[MAXR][32], next[MAXR][32], reason[MAXR][32];
	int n;
};

static int keep(const struct pw_row *row, void *ctx)
{
	struct rows *rs = ctx;

	assert_true(rs->n < MAXR);
	rs->r[rs->n] = *row;
	snprintf(rs->task[rs->n], 32, "%s", row->task ? row->task : "(null)");
	snprintf(rs->next[rs->n], 32, "%s", row->next_task ? row->next_task : "(null)");
	snprintf(rs->reason[rs->n], 32, "%s", row->exit_reason ? row->exit_reason : "(null)");
	rs->n++;
	return 0;
}

struct fx {
	struct pw_intern *strs;
	struct pw_meta meta;
	struct pw_derive d;
	struct rows rows;
};

static struct fx *fx_new(void)
{
	struct fx *f = calloc(1, sizeof(*f));

	f->strs = pw_intern_new();
	pw_meta_init(&f->meta);
	pw_derive_init(&f->d, f->strs, &f->meta, keep, &f->rows);
	return f;
}

static void fx_free(struct fx *f)
{
	pw_derive_release(&f->d);
	pw_meta_release(&f->meta);
	pw_intern_free(f->strs);
	free(f);
}

static uint32_t s(struct fx *f, const char *str)
{
	return pw_intern_id(f->strs, str, strlen(str));
}

static void sw(struct fx *f, uint64_t t, int cpu, int prev, const char *pc, const char *state,
	       int next, const char *nc)
{
	struct pw_qev q = { .time = t, .cpu = cpu, .tid = prev, .pid = prev,
			    .kind = PW_EV_SCHED_SWITCH, .a_pid = prev, .a_comm = s(f, pc),
			    .b_pid = next, .b_comm = s(f, nc), .str = s(f, state) };

	assert_int_equal(pw_derive_event(&q, &f->d), 0);
}

static void ev(struct fx *f, uint64_t t, int kind, int tid, int subject, const char *comm,
	       int64_t val)
{
	struct pw_qev q = { .time = t, .cpu = 1, .tid = tid, .pid = 100, .kind = (uint16_t)kind,
			    .a_pid = subject, .a_comm = comm ? s(f, comm) : 0, .val = val,
			    .str = kind == PW_EV_KVM_EXIT ? s(f, "HLT") : 0 };

	assert_int_equal(pw_derive_event(&q, &f->d), 0);
}

static void test_switch_run_and_wait(void **state)
{
	struct fx *f = fx_new();
	struct pw_row *r = f->rows.r;

	(void)state;
	sw(f, 1000, 0, 0, "swapper/0", "R", 10, "a");		/* a in at 1000 */
	ev(f, 1500, PW_EV_SCHED_WAKEUP, 0, 20, "b", 0);		/* b woken at 1500 */
	ev(f, 1600, PW_EV_SCHED_WAKEUP, 0, 20, "b", 0);		/* not the first: ignored */
	sw(f, 3000, 0, 10, "a", "R", 20, "b");			/* a ran 2000, b waited 1500 */
	sw(f, 3500, 0, 20, "b", "S", 10, "a");			/* a preempted at 3000: waited 500 */
	sw(f, 4000, 1, 20, "b", "S", 30, "c");			/* b not switched in on cpu 1 */
	assert_int_equal(f->rows.n, 6);
	assert_int_equal(r[0].duration_ns, PW_NONE);	/* switch-in of swapper not seen */
	assert_int_equal(r[0].next_wait_ns, PW_NONE);	/* a: no wakeup seen */
	assert_int_equal(r[3].event, PW_EV_SCHED_SWITCH);
	assert_int_equal(r[3].duration_ns, 2000);
	assert_int_equal(r[3].next_wait_ns, 1500);
	assert_string_equal(f->rows.task[3], "a");
	assert_string_equal(f->rows.next[3], "b");
	assert_int_equal(r[4].duration_ns, 500);
	assert_int_equal(r[4].next_wait_ns, 500);	/* from a's preemption */
	assert_int_equal(r[5].duration_ns, PW_NONE);
	assert_int_equal(r[5].next_wait_ns, PW_NONE);	/* c: nothing known */
	assert_int_equal(r[1].target_cpu, 0);
	assert_int_equal(f->meta.stored[PW_EV_SCHED_SWITCH], 4);
	assert_int_equal(f->meta.stored[PW_EV_SCHED_WAKEUP], 2);
	assert_int_equal(f->meta.first_ns, 1000);
	assert_int_equal(f->meta.last_ns, 4000);
	fx_free(f);
}

static void test_idle_never_waits(void **state)
{
	struct fx *f = fx_new();

	(void)state;
	sw(f, 100, 0, 0, "swapper/0", "R", 10, "a");
	sw(f, 200, 1, 11, "b", "S", 0, "swapper/1");	/* pid 0 on another CPU */
	assert_int_equal(f->rows.r[1].next_wait_ns, PW_NONE);
	fx_free(f);
}

static void test_kvm_times_and_names(void **state)
{
	struct fx *f = fx_new();
	struct pw_qev comm = { .kind = PW_QK_COMM, .pid = 100, .tid = 101 };
	struct pw_row *r = f->rows.r;

	(void)state;
	comm.a_comm = s(f, "CPU 0/KVM");
	pw_derive_event(&comm, &f->d);
	ev(f, 1000, PW_EV_KVM_EXIT, 101, 0, NULL, 12);	/* no entry seen yet */
	ev(f, 1300, PW_EV_KVM_ENTRY, 101, 0, NULL, 0);	/* handled 300 */
	ev(f, 5300, PW_EV_KVM_EXIT, 101, 0, NULL, 12);	/* guest 4000 */
	ev(f, 5400, PW_EV_KVM_EXIT, 101, 0, NULL, 12);	/* entry lost: unknown */
	ev(f, 5500, PW_EV_KVM_ENTRY, 101, 0, NULL, 0);	/* from the last exit: 100 */
	assert_int_equal(f->rows.n, 5);
	assert_int_equal(r[0].duration_ns, PW_NONE);
	assert_int_equal(r[1].duration_ns, 300);
	assert_int_equal(r[2].duration_ns, 4000);
	assert_int_equal(r[3].duration_ns, PW_NONE);
	assert_int_equal(r[4].duration_ns, 100);
	assert_string_equal(f->rows.task[2], "CPU 0/KVM");
	assert_string_equal(f->rows.reason[2], "HLT");
	assert_int_equal(r[2].pid, 101);
	assert_int_equal(r[2].tgid, 100);
	fx_free(f);
}

static void test_stat_and_fork(void **state)
{
	struct fx *f = fx_new();
	struct pw_qev fork = { .kind = PW_QK_FORK, .pid = 300, .tid = 301, .a_pid = 300 };
	struct pw_qev comm = { .kind = PW_QK_COMM, .pid = 300, .tid = 300 };

	(void)state;
	comm.a_comm = s(f, "qemu");
	pw_derive_event(&comm, &f->d);
	pw_derive_event(&fork, &f->d);
	ev(f, 10, PW_EV_SCHED_STAT_IOWAIT, 5, 301, "qemu", 777);
	ev(f, 20, PW_EV_SCHED_MIGRATE_TASK, 5, 301, "qemu", 3);
	ev(f, 30, PW_EV_KVM_ENTRY, 301, 0, NULL, 0);
	assert_int_equal(f->rows.r[0].pid, 301);
	assert_int_equal(f->rows.r[0].tgid, 300);	/* from FORK */
	assert_int_equal(f->rows.r[0].duration_ns, 777);
	assert_int_equal(f->rows.r[1].target_cpu, 3);
	assert_int_equal(f->rows.r[1].duration_ns, PW_NONE);
	assert_string_equal(f->rows.task[2], "qemu");	/* the parent's name */
	fx_free(f);
}

/* ---- pw_reader_run_rows(): rows built in the caller's room ---- */

#define ROOM 100
#define ALL 4096

struct rooms {
	struct pw_row room[ROOM + 1];	/* and a canary */
	struct pw_row all[ALL];
	size_t n, calls, fail_at;
};

static int take_room(struct pw_row *upto, struct pw_row **room, struct pw_row **end, void *ctx)
{
	struct rooms *t = ctx;
	size_t n = (size_t)(upto - t->room);

	assert_true(upto >= t->room && upto <= t->room + ROOM);
	assert_true(t->n + n <= ALL);
	memcpy(t->all + t->n, t->room, n * sizeof(*upto));
	t->n += n;
	if (++t->calls == t->fail_at)
		return PW_ESTOPPED;	/* and no room given */
	*room = t->room;
	*end = t->room + ROOM;
	return 0;
}

static int take_row(const struct pw_row *row, void *ctx)
{
	struct rooms *t = ctx;

	assert_true(t->n < ALL);
	t->all[t->n++] = *row;
	return 0;
}

static struct pw_reader *open_named(const char *name, const struct pw_reader_opts *opts)
{
	const char *top = getenv("PW_TOP");
	char path[4096];
	struct pw_reader *r;
	int err = 0;

	snprintf(path, sizeof(path), "%s/tests/data/captures/%s", top ? top : ".", name);
	r = pw_reader_open(path, opts, &err);
	if (!r)
		fail_msg("cannot read %s (%d): run from the repository or set PW_TOP", path, err);
	return r;
}

static struct pw_reader *open_capture(void)
{
	return open_named("file.data", NULL);
}

/*
 * The rows built in rooms of 100 equal those handed over one by one, and
 * a consumer's failure stops the run (in this capture every event is
 * released by the end's flush).
 */
static void test_rows_in_room(void **state)
{
	struct rooms *one = calloc(1, sizeof(*one)), *t = calloc(1, sizeof(*t));
	struct pw_reader *r1, *r;

	(void)state;
	assert_non_null(one);
	assert_non_null(t);
	r1 = open_capture();	/* open while its rows' strings are compared */
	assert_int_equal(pw_reader_run(r1, take_row, one), 0);
	assert_true(one->n > 10 * ROOM);

	/* failing at each room in turn: some fail in a round in the middle of
	 * the file, with events still queued for the end's flush */
	for (size_t fail_at = 0; fail_at <= one->n / ROOM; fail_at++) {
		memset(t, 0, sizeof(*t));
		memset(&t->room[ROOM], 0x5a, sizeof(t->room[ROOM]));
		t->fail_at = fail_at;
		r = open_capture();
		assert_int_equal(pw_reader_run_rows(r, t->room, t->room + ROOM, take_room, t),
				 fail_at ? PW_ESTOPPED : 0);
		for (size_t k = 0; k < sizeof(t->room[ROOM]); k++)
			assert_int_equal(((uint8_t *)&t->room[ROOM])[k], 0x5a);
		/* every room full but the last; the last call has the rest */
		assert_int_equal(t->calls, fail_at ? fail_at : one->n / ROOM + 1);
		assert_int_equal(t->n, fail_at ? fail_at * ROOM : one->n);
		/* counted a room at a time: every row handed over, failed room too */
		{
			const struct pw_meta *m = pw_reader_meta(r);
			uint64_t stored[PW_EV__MAX] = { 0 }, total = 0;

			for (size_t i = 0; i < t->n; i++)
				stored[t->all[i].event]++;
			for (int e = 0; e < PW_EV__MAX; e++) {
				assert_int_equal(m->stored[e], stored[e]);
				total += m->stored[e];
			}
			assert_int_equal(total, t->n);
			if (t->n) {
				assert_int_equal(m->first_ns, t->all[0].time_ns);
				assert_int_equal(m->last_ns, t->all[t->n - 1].time_ns);
			}
			if (!fail_at) {
				const struct pw_meta *m1 = pw_reader_meta(r1);

				assert_memory_equal(m->stored, m1->stored, sizeof(m->stored));
				assert_int_equal(m->first_ns, m1->first_ns);
				assert_int_equal(m->last_ns, m1->last_ns);
			}
		}
		for (size_t i = 0; i < t->n; i++) {
			const struct pw_row *a = &t->all[i], *b = &one->all[i];

			assert_int_equal(a->time_ns, b->time_ns);
			assert_int_equal(a->event, b->event);
			assert_int_equal(a->pid, b->pid);
			assert_int_equal(a->next_pid, b->next_pid);
			assert_int_equal(a->duration_ns, b->duration_ns);
			assert_int_equal(a->next_wait_ns, b->next_wait_ns);
			assert_string_equal(a->task ? a->task : "-", b->task ? b->task : "-");
			assert_string_equal(a->next_task ? a->next_task : "-",
					    b->next_task ? b->next_task : "-");
		}
		pw_reader_close(r);
	}
	pw_reader_close(r1);
	free(one);
	free(t);
}

static int fail_room(struct pw_row *upto, struct pw_row **room, struct pw_row **end, void *ctx)
{
	(void)upto;
	(void)room;
	(void)end;
	++*(int *)ctx;
	return PW_ESTOPPED;	/* and no room given */
}

/*
 * Rows in a room: handed over when it is full; once the consumer has
 * failed, the events still derived (a queue being flushed) return its
 * error and build no row in its memory.
 */
static void test_room_after_failure(void **state)
{
	struct fx *f = fx_new();
	struct pw_row room[5];
	int calls = 0;

	(void)state;
	memset(room, 0x5a, sizeof(room));
	f->d.out = f->d.room = room;
	f->d.out_end = room + 4;	/* room[4]: a canary */
	f->d.rows_fn = fail_room;
	f->d.ctx = &calls;
	for (int i = 0; i < 10; i++) {
		struct pw_qev q = { .time = 100 + (uint64_t)i, .cpu = 0, .tid = 7, .pid = 7,
				    .kind = PW_EV_SCHED_WAKEUP, .a_pid = 8, .a_comm = s(f, "w"),
				    .val = 1 };

		assert_int_equal(pw_derive_event(&q, &f->d), i < 3 ? 0 : PW_ESTOPPED);
	}
	assert_int_equal(calls, 1);
	for (int i = 0; i < 4; i++)
		assert_int_equal(room[i].time_ns, 100 + (uint64_t)i);
	for (size_t k = 0; k < sizeof(room[4]); k++)
		assert_int_equal(((uint8_t *)&room[4])[k], 0x5a);
	assert_int_equal(f->rows.n, 0);	/* nothing went to the per-row consumer */
	fx_free(f);
}

/*
 * A switch to a thread not seen yet when the threads' array is full: the
 * array moves as it grows, and what the switch records of the thread
 * switched out still lands in it.
 */
static void test_switch_grows_tasks(void **state)
{
	struct fx *f = fx_new();
	struct pw_row *r = f->rows.r;
	size_t cap;

	(void)state;
	sw(f, 1000, 0, 0, "swapper/0", "R", 10, "a");		/* a in at 1000 */
	for (int tid = 1000; f->d.nr_tasks < f->d.cap_tasks; tid++)
		ev(f, 1100, PW_QK_COMM, tid, 0, "x", 0);	/* threads, no rows */
	cap = f->d.cap_tasks;
	sw(f, 2000, 0, 10, "a", "R", 99999, "new");		/* a preempted after 1000 */
	assert_true(f->d.cap_tasks > cap);
	sw(f, 2500, 0, 99999, "new", "S", 10, "a");		/* a waited 500 */
	assert_int_equal(f->rows.n, 3);
	assert_int_equal(r[1].pid, 10);
	assert_int_equal(r[1].tgid, 10);
	assert_int_equal(r[1].duration_ns, 1000);
	assert_int_equal(r[2].next_pid, 10);
	assert_int_equal(r[2].duration_ns, 500);
	assert_int_equal(r[2].next_wait_ns, 500);
	fx_free(f);
}

static uint64_t stored(const struct pw_meta *m)
{
	uint64_t sum = 0;

	for (int e = 0; e < PW_EV__MAX; e++)
		sum += m->stored[e];
	return sum;
}

/* Samples of events not kept: one for each such record read. */
static uint64_t dropped(const struct pw_meta *m)
{
	uint64_t sum = 0;

	for (unsigned int i = 0; i < m->nr_dropped; i++)
		sum += m->dropped[i].count;
	return sum;
}

struct failing {
	size_t calls, fail_at;
};

static int fail_row(const struct pw_row *row, void *ctx)
{
	struct failing *f = ctx;

	(void)row;
	return ++f->calls == f->fail_at ? PW_ESTOPPED : 0;
}

/*
 * With a reorder queue of 16 events, rows are derived while the samples
 * are read, not only at the end's flush: a consumer's failure there stops
 * the reading at once (the records after it are not counted), its error
 * is the run's, and it is not called again, neither for the events left
 * in the queue.
 */
static void test_row_error_while_reading(void **state)
{
	const struct pw_reader_opts opts = { .reorder_max = 16 };
	struct failing f = { 0, 0 };
	struct pw_reader *r = open_named("several.data", &opts);
	uint64_t all_dropped;
	size_t n;

	(void)state;
	assert_int_equal(pw_reader_run(r, fail_row, &f), 0);
	n = f.calls;
	assert_true(n > 500);	/* the events older than a released half are dropped */
	assert_int_equal(stored(pw_reader_meta(r)), n);
	all_dropped = dropped(pw_reader_meta(r));
	assert_true(all_dropped > 400);	/* sched_waking and softirq_entry */
	pw_reader_close(r);
	for (size_t k = 0; k < 6; k++) {
		const size_t at[] = { 1, 2, 17, n / 3, n / 2, n - 20 };
		const struct pw_meta *m;

		f = (struct failing){ 0, at[k] };
		r = open_named("several.data", &opts);
		assert_int_equal(pw_reader_run(r, fail_row, &f), PW_ESTOPPED);
		assert_int_equal(f.calls, at[k]);
		m = pw_reader_meta(r);
		/* the rows handed over, the failed one included */
		assert_int_equal(stored(m), at[k]);
		if (at[k] <= 17)
			assert_true(dropped(m) < all_dropped / 4);
		else
			assert_true(dropped(m) < all_dropped);
		pw_reader_close(r);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_switch_run_and_wait),
		cmocka_unit_test(test_idle_never_waits),
		cmocka_unit_test(test_kvm_times_and_names),
		cmocka_unit_test(test_stat_and_fork),
		cmocka_unit_test(test_rows_in_room),
		cmocka_unit_test(test_room_after_failure),
		cmocka_unit_test(test_row_error_while_reading),
		cmocka_unit_test(test_switch_grows_tasks),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
