/* SPDX-License-Identifier: MIT */
/*
 * pw-u64map.h - a hash map from 64-bit keys to 64-bit values (sample ids to
 * attrs, tids to task state, cached decodings), open addressing.
 */
#ifndef PW_U64MAP_H
#define PW_U64MAP_H

#include <stdbool.h>
#include <stdint.h>

struct pw_u64map {
	uint64_t *keys;
	uint64_t *vals;
	uint8_t *used;
	uint64_t mask;		/* slots - 1; 0 with no storage yet */
	uint64_t count;
};

/** pw_u64map_init - an empty map (no allocation until the first put) */
void pw_u64map_init(struct pw_u64map *m);

/** pw_u64map_release - free the storage of @m (the struct itself is the caller's) */
void pw_u64map_release(struct pw_u64map *m);

/* The slot hash of @key (internal to the map). */
static inline uint64_t pw_u64map_mix(uint64_t k)
{
	k ^= k >> 33;
	k *= 0xff51afd7ed558ccdULL;
	k ^= k >> 33;
	return k;
}

/**
 * pw_u64map_get - look @key up
 * Returns true and sets *@val when present. Inline: it is on the path of
 * every sample (sample ids, tasks, cached decodings).
 */
static inline bool pw_u64map_get(const struct pw_u64map *m, uint64_t key, uint64_t *val)
{
	if (!m->used)
		return false;
	for (uint64_t i = pw_u64map_mix(key) & m->mask; m->used[i]; i = (i + 1) & m->mask) {
		if (m->keys[i] == key) {
			*val = m->vals[i];
			return true;
		}
	}
	return false;
}

/**
 * pw_u64map_put - set @key to @val (insert or replace)
 * Returns 0, or PW_ENOMEM.
 */
int pw_u64map_put(struct pw_u64map *m, uint64_t key, uint64_t val);

#endif
