/* SPDX-License-Identifier: MIT */
/* test-dir.h - what a unit test's temporary directory holds. */
#ifndef TEST_DIR_H
#define TEST_DIR_H

#include <dirent.h>
#include <string.h>

/* Entries of @dir other than . and .. (the caller includes cmocka.h). */
static inline int dir_entries(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;

	assert_non_null(d);
	while ((e = readdir(d)))
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
			n++;
	closedir(d);
	return n;
}

#endif
