/* SPDX-License-Identifier: MIT */
/*
 * pw-intern.h - string interning: each distinct string stored once, named
 * by a dense id (1, 2, ...; 0 is reserved for "no string").
 */
#ifndef PW_INTERN_H
#define PW_INTERN_H

#include <stddef.h>
#include <stdint.h>

struct pw_intern;

/**
 * pw_intern_new - an empty table. Returns NULL when out of memory.
 */
struct pw_intern *pw_intern_new(void);

/** pw_intern_free - release @t and every string in it (NULL ok) */
void pw_intern_free(struct pw_intern *t);

/**
 * pw_intern_add - the id of the string @s of @len bytes, adding it if new
 *
 * @s need not be NUL-terminated; a NUL inside the first @len bytes ends the
 * string there. Returns the id (>= 1), or 0 when out of memory.
 */
uint32_t pw_intern_add(struct pw_intern *t, const char *s, size_t len);

/**
 * pw_intern_str - the string of @id; NULL for 0 or an id not in @t.
 *
 * Owned by @t, valid until pw_intern_free().
 */
const char *pw_intern_str(const struct pw_intern *t, uint32_t id);

/** pw_intern_count - number of distinct strings (the largest id) */
uint32_t pw_intern_count(const struct pw_intern *t);

#endif
