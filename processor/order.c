// SPDX-License-Identifier: MIT
/*
 * order.c - time ordering of events from several CPU buffers, as perf
 * does it: at each FINISHED_ROUND, release what is older than the newest
 * time seen at the previous round marker. The queue is bounded: past
 * its limit the oldest half is released early. Events older than what was
 * already released cannot be placed any more; they are counted and dropped
 * so that rows always come out in time order.
 */
#include <stdlib.h>
#include <string.h>

#include "pw-log.h"
#include "reader-local.h"

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
	o->v = NULL;
	o->n = o->cap = 0;
}

static int qev_cmp(const void *pa, const void *pb)
{
	const struct pw_qev *a = pa, *b = pb;

	if (a->time != b->time)
		return a->time < b->time ? -1 : 1;
	return a->seq < b->seq ? -1 : a->seq > b->seq;
}

/* Sort what is queued and release every event with time <= @limit. */
static int release_upto(struct pw_order *o, uint64_t limit)
{
	size_t i;
	int err = 0;

	if (!o->n)
		return 0;
	qsort(o->v, o->n, sizeof(*o->v), qev_cmp);
	for (i = 0; i < o->n && o->v[i].time <= limit; i++) {
		err = o->fn(&o->v[i], o->ctx);
		if (err) {
			i++;
			break;
		}
	}
	if (i) {
		o->last_out = o->v[i - 1].time;
		o->released = true;
	}
	memmove(o->v, o->v + i, (o->n - i) * sizeof(*o->v));
	o->n -= i;
	return err;
}

/* Past the limit: release the oldest half. */
static int release_half(struct pw_order *o)
{
	qsort(o->v, o->n, sizeof(*o->v), qev_cmp);
	return release_upto(o, o->v[(o->n - 1) / 2].time);
}

int pw_order_push(struct pw_order *o, struct pw_qev *q)
{
	q->seq = o->seq++;
	if (o->n == o->cap) {
		int err;

		if (o->cap >= o->max) {
			err = release_half(o);
			if (err)
				return err;
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
	o->v[o->n++] = *q;
	if (q->time > o->max_ts)
		o->max_ts = q->time;
	return 0;
}

int pw_order_round(struct pw_order *o)
{
	int err = release_upto(o, o->next_flush);

	o->next_flush = o->max_ts;
	return err;
}

int pw_order_flush_all(struct pw_order *o)
{
	return release_upto(o, UINT64_MAX);
}
