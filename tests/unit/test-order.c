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
	assert_int_equal(o.n, 3);
	pw_order_release(&o);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rounds),
		cmocka_unit_test(test_ties_stable),
		cmocka_unit_test(test_bounded_and_late),
		cmocka_unit_test(test_consumer_error),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
