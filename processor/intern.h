/* SPDX-License-Identifier: MIT */
/*
 * intern.h - a string interning table: each distinct string once, numbered
 * 1, 2, ... in order of first use (0 is left for "no string"). Memory grows
 * with the distinct strings only, whatever number of times they are added.
 */
#ifndef PW_INTERN_H
#define PW_INTERN_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

struct pw_intern_ent {
	const char *s;
	uint32_t len;
	uint32_t hash;
};

/* Seen by the inline look-ups below; used through the functions only. */
struct pw_intern {
	struct pw_intern_block *blocks;	/* newest first */
	struct pw_intern_ent *ents;	/* ents[id - 1] */
	uint32_t nr, ents_cap;
	uint32_t *slots;		/* ids, 0 = empty */
	uint32_t nr_slots;		/* power of two */
	struct {
		uint64_t a, b;		/* the 16 bytes */
		uint32_t id;		/* 0 = empty */
	} c16[256];			/* pw_intern_add16()'s recent fields */
};

/**
 * pw_intern_new - an empty table
 *
 * Returns the table (free with pw_intern_free()), or NULL when out of memory.
 */
struct pw_intern *pw_intern_new(void);

/** pw_intern_free - release @in and its strings (NULL ok) */
void pw_intern_free(struct pw_intern *in);

/**
 * pw_intern_add - the id of the @len bytes at @s, added if new
 * @in: the table
 * @s: the bytes (need not be NUL-terminated; should contain no NUL byte)
 * @len: their number
 *
 * Returns the id (1 for the first distinct string), or PW_ENOMEM
 * (PW_EINVAL for a string of 4 GiB or more).
 */
int64_t pw_intern_add(struct pw_intern *in, const char *s, size_t len);

/* pw_intern_add16() of a field not remembered at @slot (its 16 bytes @a, @b). */
int64_t pw_intern_add16_slow(struct pw_intern *in, const char *s, unsigned int slot, uint64_t a,
			     uint64_t b);

/**
 * pw_intern_add16 - pw_intern_add() of a NUL-padded char[16] (a task's
 * comm in a tracepoint): the bytes before the first NUL of the 16 at @s
 *
 * Recent fields are remembered by their 16 bytes, so a name seen again
 * costs two compares. Returns as pw_intern_add().
 */
static inline int64_t pw_intern_add16(struct pw_intern *in, const char *s)
{
	uint64_t a, b;
	unsigned int slot;

	memcpy(&a, s, 8);
	memcpy(&b, s + 8, 8);
	slot = (unsigned int)(((a ^ (b * 0x9e3779b97f4a7c15ULL)) * 0xff51afd7ed558ccdULL) >> 56);
	if (in->c16[slot].id && in->c16[slot].a == a && in->c16[slot].b == b)
		return in->c16[slot].id;
	return pw_intern_add16_slow(in, s, slot, a, b);
}

/** pw_intern_count - number of distinct strings in @in (the largest id) */
static inline uint32_t pw_intern_count(const struct pw_intern *in)
{
	return in->nr;
}

/**
 * pw_intern_str - the string of @id (1..count), NUL-terminated
 * @len: set to its length when not NULL
 *
 * Returns a pointer owned by @in, valid until pw_intern_free(), or NULL
 * when @id is 0 or out of range.
 */
static inline const char *pw_intern_str(const struct pw_intern *in, uint32_t id, size_t *len)
{
	if (id < 1 || id > in->nr)
		return NULL;
	if (len)
		*len = in->ents[id - 1].len;
	return in->ents[id - 1].s;
}

#endif
