/* SPDX-License-Identifier: MIT */
/*
 * names.h - a set of display names, each stored once and numbered densely
 * from 0 in order of first addition.
 */
#ifndef PM_NAMES_H
#define PM_NAMES_H

#include <stdint.h>

#define PM_NO_NAME UINT32_MAX

struct pm_names {
	char **strs;		/* [count] */
	uint32_t count, cap;
	uint32_t *slots;	/* hash slots: index + 1, 0 = empty */
	uint32_t mask;
};

/**
 * pm_names_add - the number of @s, adding a copy when new
 *
 * Returns the number, or PM_NO_NAME when out of memory.
 */
uint32_t pm_names_add(struct pm_names *n, const char *s);

/** pm_names_find - the number of @s, or PM_NO_NAME */
uint32_t pm_names_find(const struct pm_names *n, const char *s);

/** pm_names_release - free the strings and tables (not @n itself) */
void pm_names_release(struct pm_names *n);

#endif
