// SPDX-License-Identifier: MIT
/*
 * cdict-pred.c - the predictors of the cdict `duration` and `wait`
 * encodings (docs/cdict.md, "Predictors"), shared by writer and reader so
 * both compute exactly the same prediction.
 */
#include <stdlib.h>
#include <string.h>

#include "cdict-local.h"
#include "pw-log.h"

static uint32_t map_hash(int64_t key, uint32_t cap)
{
	uint64_t h = (uint64_t)key * 0x9E3779B97F4A7C15ull;

	return (uint32_t)(h >> 32) & (cap - 1);
}

static int map_grow(struct pw_cd_map *m)
{
	uint32_t ncap = m->cap ? m->cap * 2 : 64;
	struct pw_cd_slot *ns = calloc(ncap, sizeof(*ns));

	if (!ns)
		return PW_ENOMEM;
	for (uint32_t i = 0; i < m->cap; i++) {
		struct pw_cd_slot *s = &m->slots[i];
		uint32_t j;

		if (!s->used)
			continue;
		for (j = map_hash(s->key, ncap); ns[j].used; j = (j + 1) & (ncap - 1))
			;
		ns[j] = *s;
	}
	free(m->slots);
	m->slots = ns;
	m->cap = ncap;
	return 0;
}

/* The slot of @key, created empty when @create; NULL if absent (or ENOMEM). */
static inline struct pw_cd_slot *map_get(struct pw_cd_map *m, int64_t key, bool create, int *err)
{
	uint32_t i = 0;

	if (m->cap) {
		for (i = map_hash(key, m->cap); m->slots[i].used; i = (i + 1) & (m->cap - 1))
			if (m->slots[i].key == key)
				return &m->slots[i];
	}
	if (!create)
		return NULL;
	if ((m->used + 1) * 2 > m->cap) {
		int e = map_grow(m);

		if (e) {
			*err = e;
			return NULL;
		}
		for (i = map_hash(key, m->cap); m->slots[i].used; i = (i + 1) & (m->cap - 1))
			;
	}
	m->used++;
	m->slots[i].used = 1;
	m->slots[i].key = key;
	m->slots[i].has = 0;
	return &m->slots[i];
}

static void map_reset(struct pw_cd_map *m)
{
	if (m->used)
		memset(m->slots, 0, (size_t)m->cap * sizeof(*m->slots));
	m->used = 0;
}

void pw_cd_pred_reset(struct pw_cd_pred *pr)
{
	map_reset(&pr->cpus);
	map_reset(&pr->pids);
}

void pw_cd_pred_release(struct pw_cd_pred *pr)
{
	if (!pr)
		return;
	free(pr->cpus.slots);
	free(pr->pids.slots);
	memset(pr, 0, sizeof(*pr));
}

static inline uint64_t pred_duration(struct pw_cd_pred *pr, uint64_t t, int ev,
				     int64_t cpu, int64_t pid, int64_t next_pid, int *err)
{
	struct pw_cd_slot *s;
	uint64_t p = 0;

	switch (ev) {
	case PW_EV_SCHED_SWITCH:
		if (cpu != PW_NONE) {
			s = map_get(&pr->cpus, cpu, true, err);
			if (!s)
				return 0;
			if (pid != PW_NONE && (s->has & PW_CD_HAS_IN) && s->in_pid == pid)
				p = t - s->in_time;
			s->in_pid = next_pid;
			s->in_time = t;
			s->has |= PW_CD_HAS_IN;
		}
		if (pid != PW_NONE) {
			s = map_get(&pr->pids, pid, true, err);
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
		s = map_get(&pr->pids, pid, true, err);
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
		s = map_get(&pr->pids, pid, false, err);
		return s && (s->has & PW_CD_HAS_OUT) ? t - s->out_time : 0;
	default:
		return 0;
	}
}

static inline uint64_t pred_wait(struct pw_cd_pred *pr, uint64_t t, int ev,
				 int64_t pid, int64_t next_pid, int *err)
{
	struct pw_cd_slot *s;
	uint64_t p = 0;

	switch (ev) {
	case PW_EV_SCHED_SWITCH:
		if (next_pid != PW_NONE) {
			s = map_get(&pr->pids, next_pid, false, err);
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
		s = map_get(&pr->pids, pid, true, err);
		if (!s)
			return 0;
		s->ref_time = t;
		s->has |= PW_CD_HAS_REF;
	}
	return p;
}

uint64_t pw_cd_pred_duration(struct pw_cd_pred *pr, uint64_t t, int ev,
			     int64_t cpu, int64_t pid, int64_t next_pid, int *err)
{
	return pred_duration(pr, t, ev, cpu, pid, next_pid, err);
}

uint64_t pw_cd_pred_wait(struct pw_cd_pred *pr, uint64_t t, int ev,
			 int64_t pid, int64_t next_pid, int *err)
{
	return pred_wait(pr, t, ev, pid, next_pid, err);
}

int pw_cd_pred_group(struct pw_cd_pred *pr, int enc, uint32_t n, const int64_t *t,
		     const int64_t *ev, const int64_t *cpu, const int64_t *pid,
		     const int64_t *next_pid, uint64_t *out)
{
	int err = 0;

	pw_cd_pred_reset(pr);
	if (enc == PW_CD_ENC_DURATION)
		for (uint32_t i = 0; i < n && !err; i++)
			out[i] = pred_duration(pr, (uint64_t)t[i], (int)ev[i], cpu[i], pid[i],
					       next_pid[i], &err);
	else
		for (uint32_t i = 0; i < n && !err; i++)
			out[i] = pred_wait(pr, (uint64_t)t[i], (int)ev[i], pid[i], next_pid[i], &err);
	return err;
}
