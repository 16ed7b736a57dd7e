// SPDX-License-Identifier: MIT
/*
 * order.c - time ordering of events from several CPU buffers, as perf
 * does it: at each FINISHED_ROUND, release what is older than the newest
 * time seen at the previous round marker. The queue is bounded: past
 * its limit the oldest half is released early. Events older than what was
 * already released cannot be placed any more; they are counted and dropped
 * so that rows always come out in time order.
 *
 * perf drains one CPU buffer after the other, so the queue is a few long
 * stretches ("runs") that are each in time order already. They are kept
 * apart as they arrive and merged when released, by (time, arrival), which
 * is the order a sort of the whole queue would give. Past ORDER_LAZY_RUNS
 * (an input that is not made of a few sorted buffers) new runs are merged
 * as they come, like a binary counter, so the cost stays O(n log n).
 *
 * A release leaves each run's newer tail where it is: moving them to the
 * front at every round copied nearly every event once more. The queue is
 * compacted only when its end reaches the allocation, and grows only when
 * more than half of it is still queued.
 */
#include <stdlib.h>
#include <string.h>

#include "derive-event.h"
#include "pw-log.h"
#include "reader-local.h"

#define ORDER_LAZY_RUNS 256
#define ORDER_FEW 8		/* runs merged by a scan of their heads, not a heap */

void pw_order_init(struct pw_order *o, size_t max, pw_qev_fn fn, void *ctx)
{
	memset(o, 0, sizeof(*o));
	o->max = max ? max : (1u << 20);
	o->fn = fn;
	o->ctx = ctx;
}

void pw_order_release(struct pw_order *o)
{
	free(o->v);
	free(o->runs);
	free(o->pos);
	free(o->heap);
	free(o->tmp);
	o->v = o->tmp = NULL;
	o->runs = NULL;
	o->pos = NULL;
	o->heap = NULL;
	o->n = o->cap = o->nr_runs = o->cap_runs = o->cap_tmp = 0;
	o->fast_cap = 0;
}

/* The push's fast path (struct pw_order), after any other change. */
static void refresh_fast(struct pw_order *o)
{
	uint64_t t;

	o->fast_cap = 0;
	o->fast_min = UINT64_MAX;
	if (!o->n || !o->nr_runs || o->runs[o->nr_runs - 1].end != o->n)
		return;
	t = o->v[o->n - 1].time;
	o->fast_min = o->released && o->last_out > t ? o->last_out : t;
	o->fast_cap = o->cap;
}

static int qev_cmp(const void *pa, const void *pb)
{
	const struct pw_qev *a = pa, *b = pb;

	if (a->time != b->time)
		return a->time < b->time ? -1 : 1;
	return a->seq < b->seq ? -1 : a->seq > b->seq;
}

static inline bool qev_before(const struct pw_qev *a, const struct pw_qev *b)
{
	return a->time < b->time || (a->time == b->time && a->seq < b->seq);
}

static inline size_t run_len(const struct pw_order *o, size_t r)
{
	return o->runs[r].end - o->runs[r].start;
}

/* Merge the last run into the one before it (they are adjacent). */
static int merge_last_two(struct pw_order *o)
{
	struct pw_order_run *a = &o->runs[o->nr_runs - 2], *b = a + 1;
	size_t na = a->end - a->start;
	struct pw_qev *dst = o->v + a->start, *x, *xe, *y = o->v + b->start;
	const struct pw_qev *ye = o->v + b->end;

	if (na > o->cap_tmp) {
		struct pw_qev *nt = realloc(o->tmp, na * sizeof(*nt));

		if (!nt)
			return PW_ENOMEM;
		o->tmp = nt;
		o->cap_tmp = na;
	}
	memcpy(o->tmp, dst, na * sizeof(*dst));
	x = o->tmp;
	xe = x + na;
	/* dst never passes y: what is left of b stays where it is */
	while (x < xe && y < ye)
		*dst++ = qev_before(y, x) ? *y++ : *x++;
	memcpy(dst, x, (size_t)(xe - x) * sizeof(*x));
	dst += xe - x;
	/* a gap left by a release may lie between them: b's rest follows */
	if (dst != y)
		memmove(dst, y, (size_t)(ye - y) * sizeof(*y));
	a->end = a->start + na + (size_t)(ye - (o->v + b->start));
	o->n = a->end;			/* b was the last run */
	o->nr_runs--;
	return 0;
}

/* Start a run at the end of the queue. */
static int new_run(struct pw_order *o)
{
	while (o->nr_runs > ORDER_LAZY_RUNS &&
	       run_len(o, o->nr_runs - 2) <= run_len(o, o->nr_runs - 1)) {
		int err = merge_last_two(o);

		if (err)
			return err;
	}
	if (o->nr_runs == o->cap_runs) {
		size_t ncap = o->cap_runs ? o->cap_runs * 2 : 64;
		struct pw_order_run *nr = realloc(o->runs, ncap * sizeof(*nr));
		size_t *np;
		struct pw_order_head *nh;

		if (!nr)
			return PW_ENOMEM;
		o->runs = nr;
		np = realloc(o->pos, ncap * sizeof(*np));
		if (!np)
			return PW_ENOMEM;
		o->pos = np;
		nh = realloc(o->heap, ncap * sizeof(*nh));
		if (!nh)
			return PW_ENOMEM;
		o->heap = nh;
		o->cap_runs = ncap;
	}
	o->runs[o->nr_runs].start = o->runs[o->nr_runs].end = o->n;
	o->nr_runs++;
	return 0;
}

static inline bool head_before(const struct pw_order_head *a, const struct pw_order_head *b)
{
	return a->time < b->time || (a->time == b->time && a->seq < b->seq);
}

/* Put @h, a run's next event, in the heap at slot @i or below. */
static void sift_down(struct pw_order_head *heap, size_t hn, size_t i, struct pw_order_head h)
{
	for (;;) {
		size_t c = 2 * i + 1;

		if (c >= hn)
			break;
		if (c + 1 < hn && head_before(&heap[c + 1], &heap[c]))
			c++;
		if (!head_before(&heap[c], &h))
			break;
		heap[i] = heap[c];
		i = c;
	}
	heap[i] = h;
}

/*
 * Releases run @r's events from its position on, in a row, while they are
 * at most @limit and before @next (the next run's head, by time then
 * arrival). Returns the consumer's first error; *@head is the run's next
 * event, or NULL when the run has none left at most @limit.
 */
static inline __attribute__((always_inline)) int
release_run(struct pw_order *o, size_t r, uint64_t limit, struct pw_order_head next,
	    const struct pw_qev **head)
{
	const struct pw_qev *e = &o->v[o->pos[r]], *end = o->v + o->runs[r].end;
	/* the reader's consumer inline: no call's frame an event */
	bool derive = o->fn == pw_derive_event;
	int err;

	for (;;) {
		err = derive ? pw_derive_one(o->ctx, e) : o->fn(e, o->ctx);
		e++;
		if (err || e == end || e->time > limit)
			break;
		if (next.time < e->time || (next.time == e->time && next.seq < e->seq))
			break;
	}
	o->last_out = e[-1].time;
	o->released = true;
	o->pos[r] = (size_t)(e - o->v);
	*head = e == end || e->time > limit ? NULL : e;
	return err;
}

/* After a release: what is left of each run stays where it is; empty runs go. */
static void drop_released(struct pw_order *o)
{
	size_t k = 0;

	for (size_t r = 0; r < o->nr_runs; r++) {
		if (o->pos[r] == o->runs[r].end)
			continue;
		o->runs[k].start = o->pos[r];
		o->runs[k].end = o->runs[r].end;
		k++;
	}
	o->nr_runs = k;
	if (!k)
		o->n = 0;
}

/*
 * release_upto() for a few runs (perf -a on a few CPUs): the runs' heads
 * kept sorted in a small array, cheaper than a heap at that size. Runs are
 * in arrival order, so of two heads of the same time the one of the lower
 * run goes first, as its seq is smaller.
 */
static int release_few(struct pw_order *o, uint64_t limit)
{
	uint64_t ht[ORDER_FEW];		/* heads' times, of the live runs, by (time, run) */
	uint32_t hr[ORDER_FEW];		/* their runs */
	size_t live = 0;
	int err = 0;

	for (size_t r = 0; r < o->nr_runs; r++) {
		const struct pw_qev *e = &o->v[o->runs[r].start];
		size_t j = live++;

		o->pos[r] = o->runs[r].start;
		if (e->time > limit) {
			live--;
			continue;
		}
		for (; j && ht[j - 1] > e->time; j--) {
			ht[j] = ht[j - 1];
			hr[j] = hr[j - 1];
		}
		ht[j] = e->time;
		hr[j] = (uint32_t)r;
	}
	while (live) {
		uint32_t r = hr[0];
		/* this run's events before the second head go out in a row */
		struct pw_order_head n2 = { UINT64_MAX, UINT64_MAX, 0 };
		const struct pw_qev *e;
		size_t j = 0;

		if (live > 1)
			n2 = (struct pw_order_head){ ht[1], o->v[o->pos[hr[1]]].seq, hr[1] };
		err = release_run(o, r, limit, n2, &e);
		if (err)
			break;
		if (!e) {
			live--;
			memmove(ht, ht + 1, live * sizeof(*ht));
			memmove(hr, hr + 1, live * sizeof(*hr));
			continue;
		}
		/* its new head moves back past the heads before it */
		for (; j + 1 < live && (ht[j + 1] < e->time || (ht[j + 1] == e->time &&
								 hr[j + 1] < r)); j++) {
			ht[j] = ht[j + 1];
			hr[j] = hr[j + 1];
		}
		ht[j] = e->time;
		hr[j] = r;
	}
	drop_released(o);
	return err;
}

/* Release, in order, every queued event with time <= @limit. */
static int release_upto(struct pw_order *o, uint64_t limit)
{
	struct pw_order_head *heap = o->heap;
	size_t hn = 0;
	int err = 0;

	if (!o->n)
		return 0;
	if (o->nr_runs <= ORDER_FEW)
		return release_few(o, limit);
	for (size_t r = 0; r < o->nr_runs; r++) {
		const struct pw_qev *e = &o->v[o->runs[r].start];

		o->pos[r] = o->runs[r].start;
		if (e->time <= limit)
			heap[hn++] = (struct pw_order_head){ e->time, e->seq, (uint32_t)r };
	}
	for (size_t i = hn / 2; i-- > 0;)
		sift_down(heap, hn, i, heap[i]);
	while (hn) {
		size_t r = heap[0].run;
		/* the next run's head: this run's events before it go out in a row */
		struct pw_order_head n2 = { UINT64_MAX, UINT64_MAX, 0 };
		const struct pw_qev *e;

		if (hn > 1)
			n2 = hn > 2 && head_before(&heap[2], &heap[1]) ? heap[2] : heap[1];
		err = release_run(o, r, limit, n2, &e);
		if (err)
			break;
		if (!e) {
			hn--;
			sift_down(heap, hn, 0, heap[hn]);
		} else
			sift_down(heap, hn, 0, (struct pw_order_head){ e->time, e->seq, (uint32_t)r });
	}
	drop_released(o);
	return err;
}

size_t pw_order_queued(const struct pw_order *o)
{
	size_t live = 0;

	for (size_t r = 0; r < o->nr_runs; r++)
		live += run_len(o, r);
	return live;
}

/* Moves the runs to the front of the queue, in order, closing the gaps. */
static void compact(struct pw_order *o)
{
	size_t dst = 0;

	for (size_t r = 0; r < o->nr_runs; r++) {
		size_t len = run_len(o, r);

		if (dst != o->runs[r].start)
			memmove(o->v + dst, o->v + o->runs[r].start, len * sizeof(*o->v));
		o->runs[r].start = dst;
		o->runs[r].end = dst + len;
		dst += len;
	}
	o->n = dst;
}

/* Past the limit: release the oldest half. */
static int release_half(struct pw_order *o)
{
	compact(o);
	if (o->nr_runs > 1) {
		qsort(o->v, o->n, sizeof(*o->v), qev_cmp);
		o->runs[0].start = 0;
		o->runs[0].end = o->n;
		o->nr_runs = 1;
	}
	return release_upto(o, o->v[(o->n - 1) / 2].time);
}

static int push_slow(struct pw_order *o, struct pw_qev *q)
{
	q->seq = o->seq++;
	if (o->n == o->cap) {
		int err;

		size_t live = o->n ? pw_order_queued(o) : 0;

		/* at the bound, any gap is room; below it, grow when half full */
		if (live && (live <= o->cap / 2 || (o->cap >= o->max && live < o->cap))) {
			compact(o);
		} else if (o->cap >= o->max) {
			err = release_half(o);
			if (err)
				return err;
			compact(o);
		} else {
			size_t ncap = o->cap ? o->cap * 2 : 4096;
			struct pw_qev *nv;

			if (ncap > o->max)
				ncap = o->max;
			nv = realloc(o->v, ncap * sizeof(*nv));
			if (!nv)
				return PW_ENOMEM;
			o->v = nv;
			o->cap = ncap;
		}
	}
	/* Checked after making room, which may have released newer events. */
	if (o->released && q->time < o->last_out) {
		o->late++;
		return 0;
	}
	/* q comes after every queued event in arrival order: it extends the
	 * last run unless it is older than that run's last event. */
	if (!o->nr_runs || o->runs[o->nr_runs - 1].end != o->n ||
	    q->time < o->v[o->n - 1].time) {
		int err = new_run(o);

		if (err)
			return err;
	}
	o->v[o->n++] = *q;
	o->runs[o->nr_runs - 1].end = o->n;
	if (q->time > o->max_ts)
		o->max_ts = q->time;
	return 0;
}

int pw_order_push_slow(struct pw_order *o, struct pw_qev *q)
{
	int err = push_slow(o, q);

	refresh_fast(o);
	return err;
}

int pw_order_round(struct pw_order *o)
{
	int err = release_upto(o, o->next_flush);

	o->next_flush = o->max_ts;
	refresh_fast(o);
	return err;
}

int pw_order_flush_all(struct pw_order *o)
{
	int err = release_upto(o, UINT64_MAX);

	refresh_fast(o);
	return err;
}
