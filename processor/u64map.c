// SPDX-License-Identifier: MIT
/* u64map.c - open-addressing hash map of u64 to u64. */
#include <stdlib.h>

#include "pw-log.h"
#include "pw-u64map.h"

void pw_u64map_init(struct pw_u64map *m)
{
	m->keys = m->vals = NULL;
	m->used = NULL;
	m->mask = 0;
	m->count = 0;
}

void pw_u64map_release(struct pw_u64map *m)
{
	free(m->keys);
	free(m->vals);
	free(m->used);
	pw_u64map_init(m);
}

static int rehash(struct pw_u64map *m, uint64_t slots)
{
	struct pw_u64map n = { .mask = slots - 1 };

	n.keys = malloc(slots * sizeof(*n.keys));
	n.vals = malloc(slots * sizeof(*n.vals));
	n.used = calloc(slots, 1);
	if (!n.keys || !n.vals || !n.used) {
		pw_u64map_release(&n);
		return PW_ENOMEM;
	}
	for (uint64_t i = 0; m->used && i <= m->mask; i++) {
		if (!m->used[i])
			continue;
		uint64_t j = pw_u64map_mix(m->keys[i]) & n.mask;

		while (n.used[j])
			j = (j + 1) & n.mask;
		n.used[j] = 1;
		n.keys[j] = m->keys[i];
		n.vals[j] = m->vals[i];
	}
	n.count = m->count;
	pw_u64map_release(m);
	*m = n;
	return 0;
}

int pw_u64map_put(struct pw_u64map *m, uint64_t key, uint64_t val)
{
	uint64_t i;

	if (!m->used || (m->count + 1) * 4 > (m->mask + 1) * 3) {
		int err = rehash(m, m->used ? (m->mask + 1) * 2 : 64);

		if (err)
			return err;
	}
	for (i = pw_u64map_mix(key) & m->mask; m->used[i]; i = (i + 1) & m->mask) {
		if (m->keys[i] == key) {
			m->vals[i] = val;
			return 0;
		}
	}
	m->used[i] = 1;
	m->keys[i] = key;
	m->vals[i] = val;
	m->count++;
	return 0;
}
