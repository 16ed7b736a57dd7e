// SPDX-License-Identifier: MIT
/* test-order.c - round-based time ordering with a bounded queue. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "pw-log.h"
#include "reader-local.h"

struct out {
	uint64_t t[64];
	int32_t tag[64];
	int n;
};

static int collect(const struct pw_qev *q, void *ctx)
{
	struct out *o = ctx;

	assert_true(o->n < 64);
	o->t[o->n] = q->time;
	o->tag[o->n++] = q->tid;
	return 0;
}

static void push(struct pw_order *o, uint64_t t, int32_t tag)
{
	struct pw_qev q = { .time = t, .tid = tag };

	assert_int_equal(pw_order_push(o, &q), 0);
}

/* Round semantics: a round releases only what is older than the newest
 * event seen at the previous round, like perf. */
static void test_rounds(void **state)
{
	struct pw_order o;
	struct out out = { 0 };

	(void)state;
	pw_order_init(&o, 0, collect, &out);
	push(&o, 30, 0);
	push(&o, 10, 0);
	assert_int_equal(pw_order_round(&o), 0);	/* first round: next_flush was 0 */
	assert_int_equal(out.n, 0);
	push(&o, 20, 0);
	push(&o, 40, 0);
	assert_int_equal(pw_order_round(&o), 0);	/* releases <= 30 */
	assert_int_equal(out.n, 3);
	assert_int_equal(out.t[0], 10);
	assert_int_equal(out.t[1], 20);
	assert_int_equal(out.t[2], 30);
	push(&o, 35, 0);	/* newer than what was released: fine */
	assert_int_equal(pw_order_flush_all(&o), 0);
	assert_int_equal(out.n, 5);
	assert_int_equal(out.t[3], 35);
	assert_int_equal(out.t[4], 40);
	assert_int_equal(o.late, 0);
	pw_order_release(&o);
}

/* Equal times keep their arrival order. */
static void test_ties_stable(void **state)
{
	struct pw_order o;
	struct out out = { 0 };

	(void)state;
	pw_order_init(&o, 0, collect, &out);
	for (int i = 0; i < 10; i++)
		push(&o, i % 2 ? 5 : 7, i);
	pw_order_flush_all(&o);
	assert_int_equal(out.n, 10);
	for (int i = 0; i < 5; i++) {
		assert_int_equal(out.tag[i], 2 * i + 1);	/* the 5s, in order */
		assert_int_equal(out.tag[5 + i], 2 * i);	/* then the 7s */
	}
	pw_order_release(&o);
}

/* Without round markers the queue is bounded: past the limit the oldest
 * half goes out; an event older than what went out is counted and dropped,
 * and the output stays sorted. */
static void test_bounded_and_late(void **state)
{
	static const uint64_t in[] = { 50, 10, 40, 20, 30, 60, 5, 70, 65, 80 };
	struct pw_order o;
	struct out out = { 0 };

	(void)state;
	pw_order_init(&o, 4, collect, &out);
	for (size_t i = 0; i < sizeof(in) / sizeof(in[0]); i++)
		push(&o, in[i], (int32_t)i);
	pw_order_flush_all(&o);
	for (int i = 1; i < out.n; i++)
		assert_true(out.t[i - 1] <= out.t[i]);
	assert_true(o.cap <= 4);
	assert_int_equal(o.late + (uint64_t)out.n, 10);
	assert_int_equal(o.late, 1);	/* the 5, after 10 and 20 went out */
	pw_order_release(&o);
}

static int stop_at_two(const struct pw_qev *q, void *ctx)
{
	int *n = ctx;

	(void)q;
	return ++*n == 2 ? PW_ESTOPPED : 0;
}

/* A consumer's error stops the release and is returned. */
static void test_consumer_error(void **state)
{
	struct pw_order o;
	int n = 0;

	(void)state;
	pw_order_init(&o, 0, stop_at_two, &n);
	for (int i = 0; i < 5; i++) {
		struct pw_qev q = { .time = (uint64_t)i };

		pw_order_push(&o, &q);
	}
	assert_int_equal(pw_order_flush_all(&o), PW_ESTOPPED);
	assert_int_equal(n, 2);
	assert_int_equal(pw_order_queued(&o), 3);
	pw_order_release(&o);
}

/*
 * The reference: the queue sorted whole at every release, by (time,
 * arrival), with the same bounds and late-event rule.
 */
struct ref {
	struct pw_qev *v;
	size_t n, max;
	uint64_t next_flush, max_ts, last_out, late, seq;
	bool released;
	int32_t *out;
	size_t nout;
};

static int ref_cmp(const void *pa, const void *pb)
{
	const struct pw_qev *a = pa, *b = pb;

	if (a->time != b->time)
		return a->time < b->time ? -1 : 1;
	return a->seq < b->seq ? -1 : a->seq > b->seq;
}

static void ref_release(struct ref *r, uint64_t limit)
{
	size_t i;

	qsort(r->v, r->n, sizeof(*r->v), ref_cmp);
	for (i = 0; i < r->n && r->v[i].time <= limit; i++)
		r->out[r->nout++] = r->v[i].tid;
	if (i) {
		r->last_out = r->v[i - 1].time;
		r->released = true;
	}
	memmove(r->v, r->v + i, (r->n - i) * sizeof(*r->v));
	r->n -= i;
}

static void ref_push(struct ref *r, struct pw_qev q)
{
	q.seq = r->seq++;
	if (r->n == r->max) {
		qsort(r->v, r->n, sizeof(*r->v), ref_cmp);
		ref_release(r, r->v[(r->n - 1) / 2].time);
	}
	if (r->released && q.time < r->last_out) {
		r->late++;
		return;
	}
	r->v[r->n++] = q;
	if (q.time > r->max_ts)
		r->max_ts = q.time;
}

struct seq_out {
	int32_t *tag;
	size_t n;
};

static int collect_all(const struct pw_qev *q, void *ctx)
{
	struct seq_out *o = ctx;

	o->tag[o->n++] = q->tid;
	return 0;
}

static uint64_t rnd_next(uint64_t *s)
{
	*s = *s * 6364136223846793005ULL + 1442695040888963407ULL;
	return *s >> 33;
}

/*
 * The push's fast path extends the last run while its state says so; the
 * slow path and the releases must leave that state right. A full queue
 * (4 events) releases its older half inside a push that then extends the
 * last run with 100: 50 after it starts a run, it does not extend that one
 * (the round before lets the path be taken at all, whatever the first
 * push left).
 * After a flush empties the queue, a push starts a run again.
 */
static void test_fast_path_state(void **state)
{
	static const uint64_t want[] = { 1, 2, 3, 4, 50, 100, 200, 300 };
	struct pw_order o;
	struct out out = { 0 };

	(void)state;
	pw_order_init(&o, 4, collect, &out);
	push(&o, 1, 0);
	assert_int_equal(pw_order_round(&o), 0);	/* the first: releases nothing */
	assert_int_equal(out.n, 0);
	for (uint64_t t = 2; t <= 4; t++)
		push(&o, t, 0);
	push(&o, 100, 0);	/* full: 1 and 2 released, then 100 extends [3, 4] */
	assert_int_equal(out.n, 2);
	push(&o, 50, 0);
	assert_int_equal(pw_order_flush_all(&o), 0);
	assert_int_equal(out.n, 6);
	push(&o, 200, 0);
	push(&o, 300, 0);
	assert_int_equal(pw_order_flush_all(&o), 0);
	assert_int_equal(out.n, 8);
	for (int i = 0; i < 8; i++)
		assert_int_equal(out.t[i], want[i]);
	assert_int_equal(o.late, 0);
	pw_order_release(&o);
}

/*
 * Many inputs against the reference: per-CPU buffers each in time order
 * (as perf writes them), ties, stray late events, reversed stretches that
 * make thousands of runs, rounds or none, bounded queues.
 */
static void test_matches_sort(void **state)
{
	enum { N = 20000 };
	uint64_t s = 42;

	(void)state;
	for (int iter = 0; iter < 40; iter++) {
		size_t max = iter % 4 == 3 ? 1000 : 0;
		/* up to 8 runs are merged by a scan of their heads, more by a heap */
		int ncpu = 1 + (int)rnd_next(&s) % 16, shape = iter % 5;
		uint64_t t[16] = { 0 }, base = 1000;
		struct ref r = { .max = max ? max : (1u << 20) };
		struct seq_out out = { 0 };
		struct pw_order o;
		int k = 0;

		r.v = calloc(N, sizeof(*r.v));
		r.out = calloc(N, sizeof(*r.out));
		out.tag = calloc(N, sizeof(*out.tag));
		assert_non_null(r.v);
		assert_non_null(r.out);
		assert_non_null(out.tag);
		pw_order_init(&o, max, collect_all, &out);
		while (k < N) {
			/* one round: each CPU's buffer in turn */
			for (int c = 0; c < ncpu && k < N; c++) {
				int len = (int)(rnd_next(&s) % 200);

				if (t[c] < base)
					t[c] = base;
				for (int i = 0; i < len && k < N; i++, k++) {
					struct pw_qev q = { .tid = k };

					switch (shape) {
					case 0:	/* sorted per CPU, coarse: many ties */
						t[c] += rnd_next(&s) % 3;
						q.time = t[c];
						break;
					case 1:	/* sorted per CPU, a few strays */
						t[c] += 1 + rnd_next(&s) % 50;
						q.time = rnd_next(&s) % 50 ? t[c] : t[c] - rnd_next(&s) % 500;
						break;
					case 2:	/* reversed stretches: a run per event */
						q.time = base + 5000 - (uint64_t)i * 3 - rnd_next(&s) % 2;
						break;
					default:	/* random within a window */
						q.time = base + rnd_next(&s) % 3000;
						break;
					}
					ref_push(&r, q);
					assert_int_equal(pw_order_push(&o, &q), 0);
				}
			}
			base += 1000;
			if (iter % 3 != 2) {	/* rounds, or none at all */
				ref_release(&r, r.next_flush);
				r.next_flush = r.max_ts;
				assert_int_equal(pw_order_round(&o), 0);
			}
		}
		ref_release(&r, UINT64_MAX);
		assert_int_equal(pw_order_flush_all(&o), 0);
		assert_int_equal(o.late, r.late);
		assert_int_equal(out.n, r.nout);
		assert_memory_equal(out.tag, r.out, r.nout * sizeof(*r.out));
		assert_int_equal(pw_order_queued(&o), 0);
		pw_order_release(&o);
		free(r.v);
		free(r.out);
		free(out.tag);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rounds),
		cmocka_unit_test(test_ties_stable),
		cmocka_unit_test(test_bounded_and_late),
		cmocka_unit_test(test_consumer_error),
		cmocka_unit_test(test_matches_sort),
		cmocka_unit_test(test_fast_path_state),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
