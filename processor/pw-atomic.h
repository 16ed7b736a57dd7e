/* SPDX-License-Identifier: MIT */
/*
 * pw-atomic.h - output files that appear whole or not at all: written to a
 * temporary file in the destination directory, renamed into place.
 */
#ifndef PW_ATOMIC_H
#define PW_ATOMIC_H

struct pw_atomic {
	int fd;
	char *path;		/* final name */
	char *tmp;		/* temporary name */
};

/**
 * pw_atomic_open - create a temporary file beside @path
 * Returns 0 (@a->fd is open for writing) or a negative PW_E* code, logged.
 */
int pw_atomic_open(struct pw_atomic *a, const char *path);

/**
 * pw_atomic_commit - fsync, set mode 0644, close and rename into place
 * Returns 0, or a negative PW_E* code after removing the temporary file.
 */
int pw_atomic_commit(struct pw_atomic *a);

/** pw_atomic_abort - close and remove the temporary file (safe to repeat) */
void pw_atomic_abort(struct pw_atomic *a);

#endif
