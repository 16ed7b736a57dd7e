// SPDX-License-Identifier: MIT
/* names.c - a small string set with dense numbers. */
#include <stdlib.h>
#include <string.h>

#include "names.h"

static uint32_t hash_str(const char *s)
{
	uint32_t h = 2166136261u;

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 16777619u;
	return h;
}

static uint32_t slot_of(const struct pm_names *n, const char *s)
{
	uint32_t i = hash_str(s) & n->mask;

	while (n->slots[i] && strcmp(n->strs[n->slots[i] - 1], s))
		i = (i + 1) & n->mask;
	return i;
}

uint32_t pm_names_find(const struct pm_names *n, const char *s)
{
	uint32_t i;

	if (!n->slots)
		return PM_NO_NAME;
	i = slot_of(n, s);
	return n->slots[i] ? n->slots[i] - 1 : PM_NO_NAME;
}

static int grow(struct pm_names *n)
{
	uint32_t size = n->slots ? (n->mask + 1) * 2 : 64;
	uint32_t *old = n->slots;

	n->slots = calloc(size, sizeof(*n->slots));
	if (!n->slots) {
		n->slots = old;
		return -1;
	}
	n->mask = size - 1;
	for (uint32_t k = 0; k < n->count; k++)
		n->slots[slot_of(n, n->strs[k])] = k + 1;
	free(old);
	return 0;
}

uint32_t pm_names_add(struct pm_names *n, const char *s)
{
	uint32_t i = pm_names_find(n, s);
	char *copy;

	if (i != PM_NO_NAME)
		return i;
	if ((!n->slots || (n->count + 1) * 2 > n->mask + 1) && grow(n))
		return PM_NO_NAME;
	if (n->count == n->cap) {
		uint32_t cap = n->cap ? n->cap * 2 : 64;
		char **strs = realloc(n->strs, cap * sizeof(*strs));

		if (!strs)
			return PM_NO_NAME;
		n->strs = strs;
		n->cap = cap;
	}
	copy = strdup(s);
	if (!copy)
		return PM_NO_NAME;
	n->strs[n->count] = copy;
	n->slots[slot_of(n, s)] = n->count + 1;
	return n->count++;
}

void pm_names_release(struct pm_names *n)
{
	for (uint32_t i = 0; i < n->count; i++)
		free(n->strs[i]);
	free(n->strs);
	free(n->slots);
	memset(n, 0, sizeof(*n));
}
