/* SPDX-License-Identifier: MIT */
/*
 * reader-local.h - internals shared by the perf.data reader's files:
 * input buffering (input.c), tracing data and field decoding
 * (tracedata.c), time ordering (order.c) and row derivation (derive.c).
 * Not part of the library's API.
 */
#ifndef PW_READER_LOCAL_H
#define PW_READER_LOCAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <string.h>

#include "intern.h"
#include "pw-meta.h"
#include "pw-row.h"
#include "pw-u64map.h"

struct tep_handle;
struct tep_event;

/* Intern up to @max bytes of @s (ending at a NUL); 0 when out of memory. */
static inline uint32_t pw_intern_id(struct pw_intern *t, const char *s, size_t max)
{
	int64_t id = pw_intern_add(t, s, strnlen(s, max));

	return id > 0 ? (uint32_t)id : 0;
}

/* The string of intern id @id, NULL for 0 (unknown). */
static inline const char *pw_str(const struct pw_intern *t, uint32_t id)
{
	return id ? pw_intern_str(t, id, NULL) : NULL;
}

/* ---- input.c: a buffered byte stream over a file descriptor ---- */

struct pw_input {
	int fd;
	const char *name;
	uint8_t *buf;
	size_t cap;
	size_t start, end;	/* valid bytes: buf[start, end) */
	uint64_t off;		/* input offset of buf[start] */
	uint64_t limit;		/* stop reading at this offset (UINT64_MAX: none) */
	bool eof;
	int err;		/* errno of a failed read, 0 if none */
	volatile int *stop;	/* set by a signal handler: give up at EINTR */
};

int pw_input_init(struct pw_input *in, int fd, const char *name, size_t cap);
void pw_input_release(struct pw_input *in);
/* pw_input_need() when the buffer does not hold @n bytes: reads more. */
size_t pw_input_fill(struct pw_input *in, size_t n);
/* Make @n bytes available at pw_input_ptr(); returns how many are (< @n at end). */
static inline size_t pw_input_need(struct pw_input *in, size_t n)
{
	return in->end - in->start >= n ? n : pw_input_fill(in, n);
}
static inline const uint8_t *pw_input_ptr(const struct pw_input *in)
{
	return in->buf + in->start;
}
static inline void pw_input_consume(struct pw_input *in, size_t n)
{
	in->start += n;
	in->off += n;
}
/* Skip @n bytes; returns how many were skipped (< @n at end of input). */
uint64_t pw_input_skip(struct pw_input *in, uint64_t n);
/* Reposition a seekable input at @off, reading at most up to @limit. */
int pw_input_seek(struct pw_input *in, uint64_t off, uint64_t limit);

/* ---- tracedata.c: tracepoint formats and field decoding ---- */

/* Fields a kept event needs, by slot. */
enum {
	PW_F_COMM, PW_F_PID, PW_F_X, PW_F_NEXT_COMM, PW_F_NEXT_PID, PW_F__MAX
};

struct pw_field {
	int offset;
	int size;
	bool present;
	bool is_signed;
	bool dynamic;		/* __data_loc: u32 (len << 16 | offset) */
	bool relative;		/* __rel_loc: offset from the end of the field */
};

#define PW_TP_SMALL 2048
/* The index in struct pw_tp's small of a kvm_exit's reason @v of isa
 * @isa: reasons below 512 of each isa (0-3); PW_TP_SMALL for the others. */
static inline uint32_t pw_tp_exit_key(uint64_t v, uint64_t isa)
{
	_Static_assert((511 | 3 << 9) < PW_TP_SMALL, "small keys of kvm_exit");
	return v < 512 && isa < 4 ? (uint32_t)v | (uint32_t)isa << 9 : PW_TP_SMALL;
}

/* A tracepoint seen in the input, by its common_type id. */
struct pw_tp {
	int id;
	int kind;		/* enum pw_event, or -1 (dropped) */
	char *name;		/* "sched:sched_switch" */
	struct tep_event *ev;	/* NULL when the format is missing or failed */
	struct pw_field f[PW_F__MAX];
	struct pw_field isa;	/* kvm_exit: VMX (1) or SVM (2) */
	struct pw_u64map strcache;	/* prev_state / exit reason value -> intern id */
	uint32_t *small;	/* the same for small values (PW_TP_SMALL): id + 1, 0 unknown */
	uint64_t dropped;
	bool swap;		/* payload numbers in the other byte order */
	/*
	 * The usual layout: this machine's byte order, ids of 4 signed bytes,
	 * comms of char[16], numbers of 4 or 8 bytes. A payload of at least
	 * @need bytes is then decoded without a check per field.
	 */
	bool usual;
	uint32_t need;
};

struct pw_tracedata {
	struct tep_handle *tep;
	bool parsed;
	bool from_system;	/* formats read from this machine, not the input */
	int nr_failed;		/* formats libtraceevent could not parse */
	struct pw_u64map skipped;	/* id -> index into names: formats not parsed */
	char **names;		/* "sys:name" of those */
	unsigned int nr_names;
};

/* Parse the tracing data (perf's HEADER_TRACING_DATA) held in @buf. */
int pw_tracedata_parse(struct pw_tracedata *td, const uint8_t *buf, size_t size,
		       const char *file, uint64_t off);
/* Load this machine's formats for @names (NULL-terminated "sys:name"). */
int pw_tracedata_from_system(struct pw_tracedata *td, const char *const *names);
void pw_tracedata_release(struct pw_tracedata *td);
/* A format probe child that runs @deadline_ms is killed, its formats taken
 * as failed (5000 by default); tests make each child sleep @child_delay_ms
 * first (0 by default). */
void pw_tracedata_probe_limits(unsigned int deadline_ms, unsigned int child_delay_ms);
/* Resolve tracepoint @id for decoding; fills @tp. Fatal only for a kept
 * event whose format is unusable. */
int pw_tp_resolve(struct pw_tracedata *td, int id, const char *attr_name,
		  struct pw_tp *tp, const char *file);
void pw_tp_release(struct pw_tp *tp);

/* ---- the queued event: decoded payload, ordered by time ---- */

enum {
	PW_QK_COMM = PW_EV__MAX,	/* thread records, ordered with the samples */
	PW_QK_FORK,
	PW_QK_EXIT,
};

struct pw_qev {
	uint64_t time;
	uint64_t seq;		/* arrival order: ties keep it */
	int32_t cpu;
	int32_t tid;		/* sampling thread (COMM/FORK/EXIT: the thread) */
	int32_t pid;		/* its process (COMM/FORK/EXIT: the process) */
	uint16_t kind;		/* enum pw_event or PW_QK_* */
	int32_t a_pid;		/* subject: prev / woken / migrated / stat task; FORK: ppid */
	uint32_t a_comm;	/* intern ids, 0 = unknown */
	int32_t b_pid;		/* switch: next */
	uint32_t b_comm;
	uint32_t str;		/* switch: prev_state; kvm_exit: exit reason */
	int64_t val;		/* wakeup: target_cpu; migrate: dest_cpu; stat: delay */
};

/* Decode a tracepoint payload into @q (kind, subject, values), with a
 * check per field (pw_tp_decode(), tracedata-decode.h, decodes the usual
 * layout inline). Returns 0, or PW_EFORMAT when the payload is too short
 * for a field. */
int pw_tp_decode_fields(struct pw_tracedata *td, struct pw_tp *tp, const uint8_t *raw,
			uint32_t size, struct pw_intern *strs, struct pw_qev *q);

/* ---- order.c: perf's round-based time ordering, bounded ---- */

typedef int (*pw_qev_fn)(const struct pw_qev *q, void *ctx);

/* A stretch of the queue already in time order: v[start, end). */
struct pw_order_run {
	size_t start, end;
};

/* Merging: the next event of a run, by its sort key. */
struct pw_order_head {
	uint64_t time, seq;
	uint32_t run;
};

struct pw_order {
	struct pw_qev *v;
	size_t n, cap, max;
	struct pw_order_run *runs;	/* in v[0, n), in order, gaps between */
	size_t nr_runs, cap_runs;
	size_t *pos;			/* merging: next event of each run */
	struct pw_order_head *heap;	/* merging: runs by their next event */
	struct pw_qev *tmp;		/* merging two runs */
	size_t cap_tmp;
	uint64_t next_flush;	/* flush up to this time at the next round */
	uint64_t max_ts;	/* newest time queued */
	uint64_t last_out;	/* newest time released */
	bool released;
	/*
	 * The push's fast path, kept by every other change of the queue: an
	 * event of at least fast_min extends the last run in place while n
	 * is below fast_cap (0 when the last run does not end the queue).
	 * fast_min is the last event's time, or the newest released if newer.
	 */
	size_t fast_cap;
	uint64_t fast_min;
	uint64_t late;		/* arrived older than what was released: dropped */
	uint64_t seq;
	pw_qev_fn fn;
	void *ctx;
};

void pw_order_init(struct pw_order *o, size_t max, pw_qev_fn fn, void *ctx);
void pw_order_release(struct pw_order *o);
/* Queues @q (its seq is set); 0 or PW_ENOMEM. */
int pw_order_push_slow(struct pw_order *o, struct pw_qev *q);

/*
 * *@d = *@s in four 16-byte moves: in do_record() gcc made the plain
 * assignment a rep movs, slow to start, once an event.
 */
static inline void pw_qev_copy(struct pw_qev *d, const struct pw_qev *s)
{
	typedef uint64_t w2 __attribute__((vector_size(16), aligned(8), may_alias));
	const w2 *a = (const w2 *)s;
	w2 *b = (w2 *)d, x0 = a[0], x1 = a[1], x2 = a[2], x3 = a[3];

	_Static_assert(sizeof(*s) == 4 * sizeof(w2), "struct pw_qev is four pairs of words");
	b[0] = x0;
	b[1] = x1;
	b[2] = x2;
	b[3] = x3;
}

/* The push's fast path: whether an event of time @t extends the last run
 * in the room there is; then pw_order_extend() counts it, once at v[n]. */
static inline bool pw_order_fits(const struct pw_order *o, uint64_t t)
{
	return o->n < o->fast_cap && t >= o->fast_min;
}

static inline void pw_order_extend(struct pw_order *o, uint64_t t)
{
	o->runs[o->nr_runs - 1].end = ++o->n;
	o->fast_min = t;
	if (t > o->max_ts)
		o->max_ts = t;
}

/* The same, inline when @q extends the last run in the room there is. */
static inline int pw_order_push(struct pw_order *o, struct pw_qev *q)
{
	if (pw_order_fits(o, q->time)) {
		q->seq = o->seq++;
		pw_qev_copy(&o->v[o->n], q);
		pw_order_extend(o, q->time);
		return 0;
	}
	return pw_order_push_slow(o, q);
}

/*
 * Where the next event is best built: its place at the end of the queue
 * while there is room, else @tmp; pw_order_commit() then queues it. Built
 * in place, an event on the fast path is not copied: a copy of a struct
 * just written field by field reads it back in loads wider than the
 * stores still in flight, which the CPU cannot forward from them, and
 * waits for them to retire (on (b), 40% of do_sample()'s samples in
 * perf record, on those two loads).
 */
static inline struct pw_qev *pw_order_slot(struct pw_order *o, struct pw_qev *tmp)
{
	return o->n < o->cap ? &o->v[o->n] : tmp;
}

/* Queues @q, from pw_order_slot(@o, @tmp), like pw_order_push(): not
 * @tmp, it is the queue's next slot (o->v may be NULL, so not compared). */
static inline int pw_order_commit(struct pw_order *o, struct pw_qev *q, struct pw_qev *tmp)
{
	if (q != tmp && pw_order_fits(o, q->time)) {
		q->seq = o->seq++;
		pw_order_extend(o, q->time);
		return 0;
	}
	if (q != tmp)
		pw_qev_copy(tmp, q);	/* the queue may move or fill its end */
	return pw_order_push_slow(o, tmp);
}

int pw_order_round(struct pw_order *o);
int pw_order_flush_all(struct pw_order *o);
/* Events queued, not yet released. */
size_t pw_order_queued(const struct pw_order *o);

/* ---- derive.c (and derive-event.h): rows from ordered events ---- */

struct pw_task {
	int32_t tgid;		/* -1 unknown */
	uint32_t comm;		/* COMM record name */
	uint64_t wakeup;	/* first wakeup since the last switch-out, 0 none */
	uint64_t out;		/* last switch-out, 0 none */
	bool out_preempted;
	uint64_t kvm_exit, kvm_entry;	/* last of each, 0 none */
};

struct pw_cpu {
	int32_t pid;		/* task switched in, -1 none seen */
	uint64_t in;		/* when */
};

struct pw_derive {
	struct pw_intern *strs;
	struct pw_u64map tids;		/* tid -> index into tasks */
	struct {
		int32_t tid;
		uint32_t idx1;		/* index + 1; 0: empty */
	} recent[256];			/* tids, by their low bits */
	struct pw_task *tasks;
	size_t nr_tasks, cap_tasks;
	struct pw_cpu *cpus;
	size_t nr_cpus;
	struct pw_meta *meta;
	uint64_t rows;
	pw_row_fn fn;			/* takes each row; or, with out_end set, ... */
	pw_rows_fn rows_fn;		/* ... takes the rows of a full room */
	void *ctx;
	struct pw_row *out;		/* where the next row is built: own, or the consumer's */
	struct pw_row *out_end;		/* the end of the consumer's room, or NULL */
	struct pw_row *room;		/* the start of that room: rows not yet counted */
	int consumer_err;		/* fn's or rows_fn's error: no row goes to it after */
	struct pw_row own;
};

int pw_derive_init(struct pw_derive *d, struct pw_intern *strs, struct pw_meta *meta,
		   pw_row_fn fn, void *ctx);
void pw_derive_release(struct pw_derive *d);
int pw_derive_event(const struct pw_qev *q, void *d);
/* Hands the rows built in the consumer's room over (rows_fn), counted
 * first; the consumer's error, after which no row goes to it. */
int pw_derive_hand_room(struct pw_derive *d);
/* Whether thread @tid, a recent one, is known with thread group @pid and
 * name @comm: a COMM record saying so would change nothing. */
bool pw_derive_comm_known(const struct pw_derive *d, int32_t tid, int32_t pid, const char *comm);

#endif
