// SPDX-License-Identifier: MIT
/* intern.c - string interning with open addressing over FNV-1a hashes. */
#include <stdlib.h>
#include <string.h>

#include "intern.h"
#include "pw-log.h"

struct pw_intern {
	uint32_t *slots;	/* ids, 0 = empty; size is a power of two */
	uint32_t mask;
	uint32_t count;
	uint32_t cap;		/* capacity of strs/hashes */
	char **strs;		/* strs[id - 1] */
	uint32_t *hashes;	/* hashes[id - 1] */
	uint32_t *lens;		/* lens[id - 1] */
};

static uint32_t hash_bytes(const char *s, size_t len)
{
	uint32_t h = 2166136261u;

	for (size_t i = 0; i < len; i++)
		h = (h ^ (unsigned char)s[i]) * 16777619u;
	return h;
}

struct pw_intern *pw_intern_new(void)
{
	struct pw_intern *t = calloc(1, sizeof(*t));

	if (!t)
		return NULL;
	t->slots = calloc(64, sizeof(*t->slots));
	if (!t->slots) {
		free(t);
		return NULL;
	}
	t->mask = 63;
	return t;
}

void pw_intern_free(struct pw_intern *t)
{
	if (!t)
		return;
	for (uint32_t i = 0; i < t->count; i++)
		free(t->strs[i]);
	free(t->strs);
	free(t->hashes);
	free(t->lens);
	free(t->slots);
	free(t);
}

static int grow_slots(struct pw_intern *t)
{
	uint32_t nmask = t->mask * 2 + 1;
	uint32_t *ns = calloc((size_t)nmask + 1, sizeof(*ns));

	if (!ns)
		return -1;
	for (uint32_t id = 1; id <= t->count; id++) {
		uint32_t i = t->hashes[id - 1] & nmask;

		while (ns[i])
			i = (i + 1) & nmask;
		ns[i] = id;
	}
	free(t->slots);
	t->slots = ns;
	t->mask = nmask;
	return 0;
}

int64_t pw_intern_add(struct pw_intern *t, const char *s, size_t len)
{
	uint32_t h, i, id;
	char *copy;

	if (len > UINT32_MAX)
		return PW_EINVAL;
	h = hash_bytes(s, len);
	for (i = h & t->mask; (id = t->slots[i]); i = (i + 1) & t->mask) {
		if (t->hashes[id - 1] == h && t->lens[id - 1] == len &&
		    !memcmp(t->strs[id - 1], s, len))
			return id;
	}
	if (t->count == UINT32_MAX - 1 || t->count >= t->mask)
		return PW_ENOMEM;
	if (t->count == t->cap) {
		uint32_t ncap = t->cap ? t->cap * 2 : 64;
		char **nstrs = realloc(t->strs, ncap * sizeof(*nstrs));

		if (!nstrs)
			return PW_ENOMEM;
		t->strs = nstrs;
		uint32_t *nh = realloc(t->hashes, ncap * sizeof(*nh));

		if (!nh)
			return PW_ENOMEM;
		t->hashes = nh;
		uint32_t *nl = realloc(t->lens, ncap * sizeof(*nl));

		if (!nl)
			return PW_ENOMEM;
		t->lens = nl;
		t->cap = ncap;
	}
	copy = malloc(len + 1);
	if (!copy)
		return PW_ENOMEM;
	memcpy(copy, s, len);
	copy[len] = 0;
	t->strs[t->count] = copy;
	t->hashes[t->count] = h;
	t->lens[t->count] = (uint32_t)len;
	id = ++t->count;
	t->slots[i] = id;
	/* Keep the load under 3/4; if growing fails the table stays valid,
	 * and the next add (which needs an empty slot) refuses instead. */
	if ((uint64_t)t->count * 4 > (uint64_t)(t->mask + 1) * 3)
		grow_slots(t);
	return id;
}

const char *pw_intern_str(const struct pw_intern *t, uint32_t id, size_t *len)
{
	if (!id || id > t->count)
		return NULL;
	if (len)
		*len = t->lens[id - 1];
	return t->strs[id - 1];
}

uint32_t pw_intern_count(const struct pw_intern *t)
{
	return t->count;
}
