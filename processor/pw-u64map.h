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

/**
 * pw_u64map_get - look @key up
 * Returns true and sets *@val when present.
 */
bool pw_u64map_get(const struct pw_u64map *m, uint64_t key, uint64_t *val);

/**
 * pw_u64map_put - set @key to @val (insert or replace)
 * Returns 0, or PW_ENOMEM.
 */
int pw_u64map_put(struct pw_u64map *m, uint64_t key, uint64_t val);

#endif
