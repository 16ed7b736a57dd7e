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

int pw_cd_map_grow(struct pw_cd_map *m)
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
		for (j = pw_cd_map_hash(s->key, ncap); ns[j].used; j = (j + 1) & (ncap - 1))
			;
		ns[j] = *s;
	}
	free(m->slots);
	m->slots = ns;
	m->cap = ncap;
	m->moves++;
	return 0;
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

/* A value of a 32-bit loaded column (PW_NONE32: unknown) as an int64. */
static inline int64_t wide(int32_t v)
{
	return v == PW_NONE32 ? PW_NONE : v;
}

/*
 * The running predictions of a group: cpus below PW_CD_DIRECT_CPUS kept in
 * an array (the same values as pw_cd_pred_running() and the switches'
 * updates give), any other cpu in the map (reset by the caller). From the int64 decoded
 * columns, or (@narrow) from loaded ones: events in bytes, cpus and pids
 * in 32 bits.
 */
static inline __attribute__((always_inline)) int
running(struct pw_cd_pred *pr, uint32_t n, const void *evs, const void *cpus, const void *npids,
	bool narrow, uint64_t *out)
{
	uint64_t in[PW_CD_DIRECT_CPUS] = { 0 };	/* 0: unknown */
	int err = 0;

	for (uint32_t i = 0; i < n && !err; i++) {
		struct pw_cd_slot *s;
		int64_t ev = narrow ? ((const uint8_t *)evs)[i] : ((const int64_t *)evs)[i];
		int64_t cpu = narrow ? wide(((const int32_t *)cpus)[i]) : ((const int64_t *)cpus)[i];
		int64_t next_pid = narrow ? wide(((const int32_t *)npids)[i])
					  : ((const int64_t *)npids)[i];
		uint64_t c = (uint64_t)cpu;

		if (c < PW_CD_DIRECT_CPUS) {
			out[i] = in[c];
			if (ev == PW_EV_SCHED_SWITCH)
				in[c] = next_pid == PW_NONE ? 0 : (uint64_t)next_pid;
			continue;
		}
		out[i] = pw_cd_pred_running(pr, cpu);
		if (ev != PW_EV_SCHED_SWITCH || cpu == PW_NONE)
			continue;
		s = pw_cd_map_get(&pr->cpus, cpu, true, &err);
		if (s) {
			s->in_pid = next_pid;
			s->has |= PW_CD_HAS_IN;
		}
	}
	return err;
}

int pw_cd_pred_running32(struct pw_cd_pred *pr, uint32_t n, const uint8_t *ev,
			 const int32_t *cpu, const int32_t *next_pid, uint64_t *out)
{
	pw_cd_pred_reset(pr);
	return running(pr, n, ev, cpu, next_pid, true, out);
}

int pw_cd_pred_group(struct pw_cd_pred *pr, int enc, uint32_t n, const int64_t *t,
		     const int64_t *ev, const int64_t *cpu, const int64_t *pid,
		     const int64_t *next_pid, uint64_t *out)
{
	int err = 0;

	pw_cd_pred_reset(pr);
	if (enc == PW_CD_ENC_DURATION)
		for (uint32_t i = 0; i < n && !err; i++)
			out[i] = pw_cd_pred_duration(pr, (uint64_t)t[i], (int)ev[i], cpu[i], pid[i],
					       next_pid[i], &err);
	else if (enc == PW_CD_ENC_WAIT)
		for (uint32_t i = 0; i < n && !err; i++)
			out[i] = pw_cd_pred_wait(pr, (uint64_t)t[i], (int)ev[i], pid[i], next_pid[i], &err);
	else
		err = running(pr, n, ev, cpu, next_pid, false, out);
	return err;
}
