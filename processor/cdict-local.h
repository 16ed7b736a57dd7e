/* SPDX-License-Identifier: MIT */
/*
 * cdict-local.h - internals shared by the cdict writer and reader: the
 * constants of docs/cdict.md, little-endian and varint helpers, and the
 * predictors of the `duration` and `wait` encodings.
 */
#ifndef PW_CDICT_LOCAL_H
#define PW_CDICT_LOCAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "pw-cdict.h"
#include "pw-row.h"

#define PW_CD_MAGIC "\x89PWCDICT"
#define PW_CD_END_MAGIC "PWCDEND\x89"
#define PW_CD_MAGIC_LEN 8
#define PW_CD_MAJOR PW_CDICT_VERSION_MAJOR
#define PW_CD_MINOR PW_CDICT_VERSION_MINOR
#define PW_CD_HEADER_SIZE 16
#define PW_CD_TRAILER_SIZE 32
#define PW_CD_INDEX_MAGIC "PWIX"
#define PW_CD_INDEX_HDR_SIZE 96
#define PW_CD_COLDESC_SIZE 32
#define PW_CD_COLNAME_LEN 24
#define PW_CD_GROUP_HDR_SIZE 32
#define PW_CD_ENTRY_SIZE 16
#define PW_CD_MAX_GROUP_ROWS PW_CDICT_MAX_ROWS_PER_CHUNK
#define PW_CD_DEFAULT_GROUP_ROWS 65536u
#define PW_CD_MAX_EXPANSION 32768u	/* most a zstd frame can expand */
#define PW_CD_VARINT_MAX 10
#define PW_CDICT_DEFAULT_LEVEL 3
#define PW_CD_SEEN 256		/* writer: recent string addresses per column */
#define PW_CD_BATCH 4096u	/* writer: rows handed to the encoder at once */
#define PW_CD_NBUF 32		/* writer: batches in the ring between the two threads */
#define PW_CD_LIT_PROBE 16	/* writer: a column's chunks between tries of both ways */
#define PW_CD_DIRECT_CPUS 256	/* predictors: cpus below it kept in an array */

enum pw_cd_encoding {
	PW_CD_ENC_DELTA = 1,
	PW_CD_ENC_INT = 2,
	PW_CD_ENC_STRING = 3,
	PW_CD_ENC_DURATION = 4,
	PW_CD_ENC_WAIT = 5,
	/* version 2.1: int, predicted by the task the row's cpu switched to
	 * last (pid), or by the pid's last thread group (tgid) */
	PW_CD_ENC_RUNNING = 6,
	PW_CD_ENC_THREAD = 7,
	/* version 2.0: added to any encoding but delta, the chunk holds
	 * tokens only for the rows of the events in its leading event mask */
	PW_CD_ENC_SPARSE = 0x10,
};

/* Room before a sparse chunk's tokens for its event mask, written last. */
#define PW_CD_MASK_ROOM PW_CD_VARINT_MAX

enum pw_cd_meta_type {
	PW_CD_MT_STRING = 1,
	PW_CD_MT_UINT = 2,
	PW_CD_MT_INT = 3,
	PW_CD_MT_BOOL = 4,
	PW_CD_MT_COUNTS = 5,
	PW_CD_MT_STRLIST = 6,
};

/* The encoding of each column as perfwhiz writes it, but for the sparse
 * flag (version 1.0 had no sparse chunks; pid and tgid were int before
 * 2.1). */
static inline int pw_cd_column_base(int col)
{
	switch (col) {
	case PW_COL_TIME_NS: return PW_CD_ENC_DELTA;
	case PW_COL_PID: return PW_CD_ENC_RUNNING;
	case PW_COL_TGID: return PW_CD_ENC_THREAD;
	case PW_COL_TASK:
	case PW_COL_NEXT_TASK:
	case PW_COL_PREV_STATE:
	case PW_COL_EXIT_REASON: return PW_CD_ENC_STRING;
	case PW_COL_DURATION_NS: return PW_CD_ENC_DURATION;
	case PW_COL_NEXT_WAIT_NS: return PW_CD_ENC_WAIT;
	default: return PW_CD_ENC_INT;
	}
}

/* The encoding each column is written with: every column that can be
 * unknown is sparse (time_ns and event never are). */
static inline int pw_cd_column_encoding(int col)
{
	if (col == PW_COL_TIME_NS || col == PW_COL_EVENT)
		return pw_cd_column_base(col);
	return pw_cd_column_base(col) | PW_CD_ENC_SPARSE;
}

/* Columns the predictors read. */
#define PW_CD_PRED_DEPS (PW_COLMASK(PW_COL_TIME_NS) | PW_COLMASK(PW_COL_CPU) | \
			 PW_COLMASK(PW_COL_EVENT) | PW_COLMASK(PW_COL_PID) |   \
			 PW_COLMASK(PW_COL_NEXT_PID))

static inline void pw_cd_put16(uint8_t *p, uint16_t v)
{
	p[0] = v; p[1] = v >> 8;
}

static inline void pw_cd_put32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = v >> (8 * i);
}

static inline void pw_cd_put64(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = v >> (8 * i);
}

static inline uint16_t pw_cd_get16(const uint8_t *p)
{
	return p[0] | (uint16_t)p[1] << 8;
}

static inline uint32_t pw_cd_get32(const uint8_t *p)
{
	return p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static inline uint64_t pw_cd_get64(const uint8_t *p)
{
	return pw_cd_get32(p) | (uint64_t)pw_cd_get32(p + 4) << 32;
}

static inline uint64_t pw_cd_zz(uint64_t r)
{
	return (r << 1) ^ (uint64_t)((int64_t)r >> 63);
}

static inline uint64_t pw_cd_unzz(uint64_t z)
{
	return (z >> 1) ^ (0 - (z & 1));
}

/* Writes @v as LEB128 at @p (room for 10 bytes); returns the bytes used. */
static inline size_t pw_cd_put_varint(uint8_t *p, uint64_t v)
{
	size_t n = 0;

	while (v >= 0x80) {
		p[n++] = (uint8_t)v | 0x80;
		v >>= 7;
	}
	p[n++] = (uint8_t)v;
	return n;
}

/*
 * Token of a value in the int/duration/wait encodings: 0 for unknown,
 * zz(v - P) + 1 otherwise, which is 2^64 when v - P is -2^63 (written as
 * its 10-byte varint). Returns the bytes used at @p (room for 10).
 */
static inline size_t pw_cd_put_itoken(uint8_t *p, int64_t v, uint64_t pred)
{
	uint64_t z;

	if (v == PW_NONE) {
		p[0] = 0;
		return 1;
	}
	z = pw_cd_zz((uint64_t)v - pred);
	/* most tokens are one byte: one test (z + 1 below 0x80) for them */
	if (z < 0x7f) {
		p[0] = (uint8_t)(z + 1);
		return 1;
	}
	if (z == UINT64_MAX) {
		memcpy(p, "\x80\x80\x80\x80\x80\x80\x80\x80\x80\x02", 10);
		return 10;
	}
	return pw_cd_put_varint(p, z + 1);
}

/*
 * Reads a varint of at most 10 bytes from [*@pp, @end). The value's bit 64
 * (only possible in a 10th byte of 2) goes to *@hi. Returns false when the
 * varint runs past @end or is longer or larger than 65 bits.
 */
static inline bool pw_cd_get_varint(const uint8_t **pp, const uint8_t *end,
				    uint64_t *v, unsigned int *hi)
{
	const uint8_t *p = *pp;
	uint64_t r = 0;
	unsigned int shift = 0;

	*hi = 0;
	if (p < end && *p < 0x80) {
		*v = *p;
		*pp = p + 1;
		return true;
	}
	for (int i = 0; i < PW_CD_VARINT_MAX; i++, shift += 7) {
		uint8_t b;

		if (p >= end)
			return false;
		b = *p++;
		if (i == PW_CD_VARINT_MAX - 1) {
			if (b > 3)
				return false;
			r |= (uint64_t)(b & 1) << 63;
			*hi = b >> 1;
			*v = r;
			*pp = p;
			return true;
		}
		r |= (uint64_t)(b & 0x7f) << shift;
		if (b < 0x80) {
			*v = r;
			*pp = p;
			return true;
		}
	}
	return false;
}

/*
 * Predictor state of the `duration` and `wait` encodings (docs/cdict.md,
 * "Predictors"): small open-addressing maps from a cpu or pid to times,
 * emptied at the start of every row group.
 */
struct pw_cd_slot {
	int64_t key;
	int64_t in_pid;		/* cpu map: who was switched in last */
	uint64_t in_time;	/* cpu map: when */
	uint64_t out_time;	/* pid map: last switch-out */
	uint64_t kvm_time;	/* pid map: last kvm_exit/kvm_entry */
	uint64_t ref_time;	/* pid map: wait reference */
	int64_t tgid;		/* pid map: its last thread group */
	uint8_t used;
	uint8_t has;		/* PW_CD_HAS_* bits */
};

#define PW_CD_HAS_IN 1
#define PW_CD_HAS_OUT 2
#define PW_CD_HAS_KVM 4
#define PW_CD_HAS_REF 8
#define PW_CD_HAS_TGID 16

struct pw_cd_map {
	struct pw_cd_slot *slots;
	uint32_t cap;		/* power of two */
	uint32_t used;
	uint32_t moves;		/* times the slots moved (grew): a pointer kept
				 * to one is good while this stays the same */
};

struct pw_cd_pred {
	struct pw_cd_map cpus;
	struct pw_cd_map pids;
};

/*
 * The predictors' maps, and the prediction for the duration
 * (PW_CD_ENC_DURATION) and the wait (PW_CD_ENC_WAIT) of one row, then the
 * state update, inline for the writer's loop. @ev is an enum pw_event value
 * (PW_EV__MAX for an unknown event); @cpu, @pid, @next_pid may be PW_NONE.
 * Returns the prediction, or sets *@err to PW_ENOMEM (state grows only with
 * distinct keys).
 */
static inline uint32_t pw_cd_map_hash(int64_t key, uint32_t cap)
{
	uint64_t h = (uint64_t)key * 0x9E3779B97F4A7C15ull;

	return (uint32_t)(h >> 32) & (cap - 1);
}

/* Doubles @m (64 slots at first); 0 or PW_ENOMEM. */
int pw_cd_map_grow(struct pw_cd_map *m);

/* The slot of @key, created empty when @create; NULL if absent (or ENOMEM). */
static inline struct pw_cd_slot *pw_cd_map_get(struct pw_cd_map *m, int64_t key, bool create,
						int *err)
{
	uint32_t i = 0;

	if (m->cap) {
		for (i = pw_cd_map_hash(key, m->cap); m->slots[i].used; i = (i + 1) & (m->cap - 1))
			if (m->slots[i].key == key)
				return &m->slots[i];
	}
	if (!create)
		return NULL;
	if ((m->used + 1) * 2 > m->cap) {
		int e = pw_cd_map_grow(m);

		if (e) {
			*err = e;
			return NULL;
		}
		for (i = pw_cd_map_hash(key, m->cap); m->slots[i].used; i = (i + 1) & (m->cap - 1))
			;
	}
	m->used++;
	m->slots[i].used = 1;
	m->slots[i].key = key;
	m->slots[i].has = 0;
	return &m->slots[i];
}

static inline uint64_t pw_cd_pred_duration(struct pw_cd_pred *pr, uint64_t t, int ev,
					   int64_t cpu, int64_t pid, int64_t next_pid, int *err)
{
	struct pw_cd_slot *s;
	uint64_t p = 0;

	switch (ev) {
	case PW_EV_SCHED_SWITCH:
		if (cpu != PW_NONE) {
			s = pw_cd_map_get(&pr->cpus, cpu, true, err);
			if (!s)
				return 0;
			if (pid != PW_NONE && (s->has & PW_CD_HAS_IN) && s->in_pid == pid)
				p = t - s->in_time;
			s->in_pid = next_pid;
			s->in_time = t;
			s->has |= PW_CD_HAS_IN;
		}
		if (pid != PW_NONE) {
			s = pw_cd_map_get(&pr->pids, pid, true, err);
			if (!s)
				return 0;
			s->out_time = t;
			s->has |= PW_CD_HAS_OUT;
		}
		return p;
	case PW_EV_KVM_EXIT:
	case PW_EV_KVM_ENTRY:
		if (pid == PW_NONE)
			return 0;
		s = pw_cd_map_get(&pr->pids, pid, true, err);
		if (!s)
			return 0;
		if (s->has & PW_CD_HAS_KVM)
			p = t - s->kvm_time;
		s->kvm_time = t;
		s->has |= PW_CD_HAS_KVM;
		return p;
	case PW_EV_SCHED_STAT_SLEEP:
	case PW_EV_SCHED_STAT_IOWAIT:
		if (pid == PW_NONE)
			return 0;
		s = pw_cd_map_get(&pr->pids, pid, false, err);
		return s && (s->has & PW_CD_HAS_OUT) ? t - s->out_time : 0;
	default:
		return 0;
	}
}

static inline uint64_t pw_cd_pred_wait(struct pw_cd_pred *pr, uint64_t t, int ev,
				       int64_t pid, int64_t next_pid, int *err)
{
	struct pw_cd_slot *s;
	uint64_t p = 0;

	switch (ev) {
	case PW_EV_SCHED_SWITCH:
		if (next_pid != PW_NONE) {
			s = pw_cd_map_get(&pr->pids, next_pid, false, err);
			if (s && (s->has & PW_CD_HAS_REF))
				p = t - s->ref_time;
		}
		break;
	case PW_EV_SCHED_WAKEUP:
	case PW_EV_SCHED_WAKEUP_NEW:
		break;
	default:
		return 0;
	}
	if (pid != PW_NONE) {
		s = pw_cd_map_get(&pr->pids, pid, true, err);
		if (!s)
			return 0;
		s->ref_time = t;
		s->has |= PW_CD_HAS_REF;
	}
	return p;
}

/*
 * The running predictor (PW_CD_ENC_RUNNING) of a row on @cpu: the pid the
 * cpu was switched to last (the next_pid of its last sched_switch), 0 when
 * unknown. Its state is the cpu's in_pid, which pw_cd_pred_group() updates
 * after each switch (the writer's predict_row() reads it before the
 * duration predictor's update of the same row).
 */
static inline uint64_t pw_cd_pred_running(struct pw_cd_pred *pr, int64_t cpu)
{
	struct pw_cd_slot *s;
	int err = 0;

	if (cpu == PW_NONE)
		return 0;
	s = pw_cd_map_get(&pr->cpus, cpu, false, &err);
	return s && (s->has & PW_CD_HAS_IN) && s->in_pid != PW_NONE ? (uint64_t)s->in_pid : 0;
}

/*
 * The thread predictor (PW_CD_ENC_THREAD) of a row with a known tgid: the
 * tgid of the pid's last row with one, else the pid itself; 0 when the pid
 * is unknown. *@sp: the pid's slot, for pw_cd_thread_seen() to record the
 * row's tgid before the state changes again (NULL: none to record).
 */
static inline uint64_t pw_cd_pred_thread(struct pw_cd_pred *pr, int64_t pid,
					 struct pw_cd_slot **sp, int *err)
{
	struct pw_cd_slot *s;

	*sp = NULL;
	if (pid == PW_NONE)
		return 0;
	s = pw_cd_map_get(&pr->pids, pid, true, err);
	if (!s)
		return 0;
	*sp = s;
	return s->has & PW_CD_HAS_TGID ? (uint64_t)s->tgid : (uint64_t)pid;
}

static inline void pw_cd_thread_seen(struct pw_cd_slot *s, int64_t tgid)
{
	if (s) {
		s->tgid = tgid;
		s->has |= PW_CD_HAS_TGID;
	}
}

void pw_cd_pred_reset(struct pw_cd_pred *pr);
/* The running predictions of a group from its loaded columns (events in
 * bytes, cpus and next_pids in 32 bits with PW_NONE32), into @out. */
int pw_cd_pred_running32(struct pw_cd_pred *pr, uint32_t n, const uint8_t *ev,
			 const int32_t *cpu, const int32_t *next_pid, uint64_t *out);
void pw_cd_pred_release(struct pw_cd_pred *pr);

/*
 * The predictions of encoding @enc (duration, wait or running) for the @n
 * rows of a row group, from its decoded columns, into @out; the state is
 * reset first. (The thread predictor depends on the decoded values
 * themselves: the reader runs it as it decodes.)
 * Returns 0 or PW_ENOMEM.
 */
int pw_cd_pred_group(struct pw_cd_pred *pr, int enc, uint32_t n, const int64_t *t,
		     const int64_t *ev, const int64_t *cpu, const int64_t *pid,
		     const int64_t *next_pid, uint64_t *out);

#endif
