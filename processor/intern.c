// SPDX-License-Identifier: MIT
/*
 * intern.c - string interning: strings packed into blocks that never move
 * (so returned pointers stay valid), and an open-addressing hash of ids.
 */
#include <stdlib.h>
#include <string.h>

#include "intern.h"
#include "pw-log.h"

#define BLOCK_SIZE 65536

struct pw_intern_block {
	struct pw_intern_block *next;
	size_t used, size;
	char data[];
};

/* FNV-1a: short task names, where it is as good as anything and simple. */
static uint32_t str_hash(const char *s, size_t len)
{
	uint32_t h = 2166136261u;

	for (size_t i = 0; i < len; i++)
		h = (h ^ (uint8_t)s[i]) * 16777619u;
	return h;
}

struct pw_intern *pw_intern_new(void)
{
	struct pw_intern *in = calloc(1, sizeof(*in));

	if (!in)
		return NULL;
	in->nr_slots = 64;
	in->slots = calloc(in->nr_slots, sizeof(*in->slots));
	if (!in->slots) {
		free(in);
		return NULL;
	}
	return in;
}

void pw_intern_free(struct pw_intern *in)
{
	struct pw_intern_block *b, *next;

	if (!in)
		return;
	for (b = in->blocks; b; b = next) {
		next = b->next;
		free(b);
	}
	free(in->ents);
	free(in->slots);
	free(in);
}

static int rehash(struct pw_intern *in)
{
	uint32_t n = in->nr_slots * 2;
	uint32_t *slots = calloc(n, sizeof(*slots));

	if (!slots)
		return PW_ENOMEM;
	for (uint32_t id = 1; id <= in->nr; id++) {
		uint32_t i = in->ents[id - 1].hash & (n - 1);

		while (slots[i])
			i = (i + 1) & (n - 1);
		slots[i] = id;
	}
	free(in->slots);
	in->slots = slots;
	in->nr_slots = n;
	return 0;
}

/* Room for @len + 1 bytes that will never move. */
static char *store(struct pw_intern *in, size_t len)
{
	struct pw_intern_block *b = in->blocks;
	char *p;

	if (!b || b->size - b->used < len + 1) {
		size_t size = len + 1 > BLOCK_SIZE ? len + 1 : BLOCK_SIZE;

		b = malloc(sizeof(*b) + size);
		if (!b)
			return NULL;
		b->size = size;
		b->used = 0;
		/* a big string's own block goes behind, keeping the current one open */
		if (size > BLOCK_SIZE && in->blocks) {
			b->next = in->blocks->next;
			in->blocks->next = b;
		} else {
			b->next = in->blocks;
			in->blocks = b;
		}
	}
	p = b->data + b->used;
	b->used += len + 1;
	return p;
}

int64_t pw_intern_add(struct pw_intern *in, const char *s, size_t len)
{
	uint32_t h = str_hash(s, len), i;
	struct pw_intern_ent *e;
	char *copy;

	if (len >= UINT32_MAX)
		return PW_EINVAL;
	for (i = h & (in->nr_slots - 1); in->slots[i]; i = (i + 1) & (in->nr_slots - 1)) {
		e = &in->ents[in->slots[i] - 1];
		if (e->hash == h && e->len == len && !memcmp(e->s, s, len))
			return in->slots[i];
	}
	if (in->nr >= UINT32_MAX / 4)
		return PW_ENOMEM;
	if ((uint64_t)(in->nr + 1) * 2 > in->nr_slots) {
		if (rehash(in))
			return PW_ENOMEM;
		for (i = h & (in->nr_slots - 1); in->slots[i]; i = (i + 1) & (in->nr_slots - 1))
			;
	}
	if (in->nr == in->ents_cap) {
		uint32_t cap = in->ents_cap ? in->ents_cap * 2 : 64;
		struct pw_intern_ent *ne = realloc(in->ents, (size_t)cap * sizeof(*ne));

		if (!ne)
			return PW_ENOMEM;
		in->ents = ne;
		in->ents_cap = cap;
	}
	copy = store(in, len);
	if (!copy)
		return PW_ENOMEM;
	memcpy(copy, s, len);
	copy[len] = '\0';
	e = &in->ents[in->nr];
	e->s = copy;
	e->len = (uint32_t)len;
	e->hash = h;
	in->slots[i] = ++in->nr;
	return in->nr;
}

int64_t pw_intern_add16_slow(struct pw_intern *in, const char *s, unsigned int slot, uint64_t a,
			     uint64_t b)
{
	int64_t id = pw_intern_add(in, s, strnlen(s, 16));

	if (id > 0) {
		in->c16[slot].a = a;
		in->c16[slot].b = b;
		in->c16[slot].id = (uint32_t)id;
	}
	return id;
}
