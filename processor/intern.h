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

struct pw_intern;

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

/**
 * pw_intern_add16 - pw_intern_add() of a NUL-padded char[16] (a task's
 * comm in a tracepoint): the bytes before the first NUL of the 16 at @s
 *
 * Recent fields are remembered by their 16 bytes, so a name seen again
 * costs two compares. Returns as pw_intern_add().
 */
int64_t pw_intern_add16(struct pw_intern *in, const char *s);

/** pw_intern_count - number of distinct strings in @in (the largest id) */
uint32_t pw_intern_count(const struct pw_intern *in);

/**
 * pw_intern_str - the string of @id (1..count), NUL-terminated
 * @len: set to its length when not NULL
 *
 * Returns a pointer owned by @in, valid until pw_intern_free(), or NULL
 * when @id is 0 or out of range.
 */
const char *pw_intern_str(const struct pw_intern *in, uint32_t id, size_t *len);

#endif
