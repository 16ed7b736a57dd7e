/* SPDX-License-Identifier: MIT */
/*
 * tracedata-decode.h - tracepoint payloads decoded into queued events,
 * inline: the field readers and the decoding of each event kind, which
 * tracedata.c instantiates with checks (pw_tp_decode_fields()) and the
 * reader's sample loop without (pw_tp_decode(), for the usual layout).
 */
#ifndef PW_TRACEDATA_DECODE_H
#define PW_TRACEDATA_DECODE_H

#include "reader-local.h"

/* printed()'s way for a value not in tp->small (tracedata.c). */
int64_t pw_tp_printed_slow(struct pw_tracedata *td, struct pw_tp *tp, const uint8_t *raw,
			   uint32_t size, uint64_t key, uint32_t sk, const char *from,
			   const char *to, struct pw_intern *strs);

/*
 * Read an integer field; false when the payload is too short. @usual (a
 * constant): the event has the usual layout and the payload is long enough
 * (struct pw_tp), so there is nothing to check.
 */
static inline __attribute__((always_inline)) bool
field_int(const struct pw_field *f, const uint8_t *raw, uint32_t size, bool swap, bool usual,
	  int64_t *out)
{
	uint64_t v = 0;

	if (usual) {
		if (f->size == 8) {
			memcpy(&v, raw + f->offset, 8);
		} else {
			uint32_t x;

			memcpy(&x, raw + f->offset, 4);
			v = f->is_signed ? (uint64_t)(int64_t)(int32_t)x : x;
		}
		*out = (int64_t)v;
		return true;
	}
	if (!f->present || f->offset < 0 || (uint64_t)f->offset + (uint64_t)f->size > size)
		return false;
	switch (f->size) {
	case 1: {
		uint8_t x = raw[f->offset];

		v = f->is_signed ? (uint64_t)(int64_t)(int8_t)x : x;
		break;
	}
	case 2: {
		uint16_t x;

		memcpy(&x, raw + f->offset, 2);
		if (swap)
			x = __builtin_bswap16(x);
		v = f->is_signed ? (uint64_t)(int64_t)(int16_t)x : x;
		break;
	}
	case 4: {
		uint32_t x;

		memcpy(&x, raw + f->offset, 4);
		if (swap)
			x = __builtin_bswap32(x);
		v = f->is_signed ? (uint64_t)(int64_t)(int32_t)x : x;
		break;
	}
	case 8:
		memcpy(&v, raw + f->offset, 8);
		if (swap)
			v = __builtin_bswap64(v);
		break;
	default:
		return false;
	}
	*out = (int64_t)v;
	return true;
}

/* Read a string field (char[N] or __data_loc/__rel_loc) into an intern id. */
static inline __attribute__((always_inline)) bool
field_str(const struct pw_field *f, const uint8_t *raw, uint32_t size, bool swap, bool usual,
	  struct pw_intern *strs, uint32_t *id)
{
	const uint8_t *s;
	size_t len;

	if (!usual &&
	    (!f->present || f->offset < 0 || (uint64_t)f->offset + (uint64_t)f->size > size))
		return false;
	if (!usual && f->dynamic) {
		uint32_t loc, o, l;

		memcpy(&loc, raw + f->offset, 4);
		if (swap)
			loc = __builtin_bswap32(loc);
		o = loc & 0xffff;
		l = loc >> 16;
		if (f->relative)
			o += (uint32_t)f->offset + (uint32_t)f->size;
		if ((uint64_t)o + l > size)
			return false;
		s = raw + o;
		len = l;
	} else if (usual || f->size == 16) {	/* a comm: char[TASK_COMM_LEN] */
		int64_t v = pw_intern_add16(strs, (const char *)raw + f->offset);

		*id = v > 0 ? (uint32_t)v : 0;
		return *id != 0;
	} else {
		s = raw + f->offset;
		len = (size_t)f->size;
	}
	*id = pw_intern_id(strs, (const char *)s, len);
	return *id != 0;
}

static inline __attribute__((always_inline)) int
printed(struct pw_tracedata *td, struct pw_tp *tp, const uint8_t *raw, uint32_t size,
	uint64_t key, uint32_t sk, const char *from, const char *to, struct pw_intern *strs,
	uint32_t *out)
{
	int64_t id;

	if (sk < PW_TP_SMALL && tp->small[sk]) {
		*out = tp->small[sk] - 1;
		return 0;
	}
	id = pw_tp_printed_slow(td, tp, raw, size, key, sk, from, to, strs);
	if (id < 0)
		return (int)id;
	*out = (uint32_t)id;
	return 0;
}

/* pw_tp_decode_fields(); @usual: a constant, see field_int() */
static inline __attribute__((always_inline)) int
decode_fields(struct pw_tracedata *td, struct pw_tp *tp, const uint8_t *raw, uint32_t size,
	      struct pw_intern *strs, struct pw_qev *q, bool usual)
{
	bool swap = tp->swap;
	int64_t v, isa = 0;

	q->kind = (uint16_t)tp->kind;
	switch (tp->kind) {
	case PW_EV_SCHED_SWITCH:
		if (!field_int(&tp->f[PW_F_PID], raw, size, swap, usual, &v))
			return PW_EFORMAT;
		q->a_pid = (int32_t)v;
		if (!field_int(&tp->f[PW_F_NEXT_PID], raw, size, swap, usual, &v))
			return PW_EFORMAT;
		q->b_pid = (int32_t)v;
		if (!field_str(&tp->f[PW_F_COMM], raw, size, swap, usual, strs, &q->a_comm) ||
		    !field_str(&tp->f[PW_F_NEXT_COMM], raw, size, swap, usual, strs, &q->b_comm) ||
		    !field_int(&tp->f[PW_F_X], raw, size, swap, usual, &v))
			return PW_EFORMAT;
		q->val = v;
		return printed(td, tp, raw, size, (uint64_t)v,
			       (uint64_t)v < PW_TP_SMALL ? (uint32_t)v : PW_TP_SMALL,
			       "prev_state=", " ==> ", strs, &q->str);
	case PW_EV_SCHED_WAKEUP:
	case PW_EV_SCHED_WAKEUP_NEW:
	case PW_EV_SCHED_MIGRATE_TASK:
	case PW_EV_SCHED_STAT_SLEEP:
	case PW_EV_SCHED_STAT_IOWAIT:
		if (!field_int(&tp->f[PW_F_PID], raw, size, swap, usual, &v) ||
		    !field_str(&tp->f[PW_F_COMM], raw, size, swap, usual, strs, &q->a_comm))
			return PW_EFORMAT;
		q->a_pid = (int32_t)v;
		q->val = PW_NONE;
		if (tp->f[PW_F_X].present) {
			if (!field_int(&tp->f[PW_F_X], raw, size, swap, usual, &v))
				return PW_EFORMAT;
			q->val = v;
		}
		return 0;
	case PW_EV_KVM_EXIT:
		if (!field_int(&tp->f[PW_F_X], raw, size, swap, usual, &v))
			return PW_EFORMAT;
		if (tp->isa.present && !field_int(&tp->isa, raw, size, swap, usual, &isa))
			return PW_EFORMAT;
		return printed(td, tp, raw, size, (uint64_t)(uint32_t)v | (uint64_t)isa << 32,
			       pw_tp_exit_key((uint32_t)v, (uint64_t)isa), "reason ", " rip ",
			       strs, &q->str);
	case PW_EV_KVM_ENTRY:
		return 0;
	}
	return PW_EINVAL;
}

/*
 * pw_tp_decode_fields(), inline for a payload of the usual layout (struct
 * pw_tp's usual, and at least its need bytes): no call and no check per
 * field; any other payload is decoded with checks, out of line.
 */
static inline __attribute__((always_inline)) int
pw_tp_decode(struct pw_tracedata *td, struct pw_tp *tp, const uint8_t *raw, uint32_t size,
	     struct pw_intern *strs, struct pw_qev *q)
{
	if (tp->usual && size >= tp->need)
		return decode_fields(td, tp, raw, size, strs, q, true);
	return pw_tp_decode_fields(td, tp, raw, size, strs, q);
}

#endif
