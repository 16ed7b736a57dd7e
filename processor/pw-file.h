/* SPDX-License-Identifier: MIT */
/* pw-file.h - reading a whole (small) input file into memory; CPUs and threads. */
#ifndef PW_FILE_H
#define PW_FILE_H

#include <pthread.h>
#include <stddef.h>

/**
 * pw_read_file - read all of @path (a regular file, pipe or FIFO)
 * @max: refuse an input larger than this many bytes (PW_EFORMAT); 0: no limit
 * @what: how messages name the file ("the mapping file", or "" for none);
 *        NULL: log nothing
 * @buf: set to the bytes plus a terminating NUL; the caller frees it
 * @n: set to the number of bytes (without the NUL)
 *
 * Returns 0; PW_ENOENT or PW_EIO when it cannot be opened, PW_EIO on a read
 * error, PW_EFORMAT when larger than @max, PW_ENOMEM. errno is kept for the
 * caller when @what is NULL.
 */
int pw_read_file(const char *path, size_t max, const char *what, char **buf, size_t *n);

/* pw_usable_cpus - how many CPUs this process may run on (at least 1). */
int pw_usable_cpus(void);

/*
 * pw_thread_create - pthread_create() of a helper thread that takes no
 * signal: they go to the calling thread, whose handlers set the flags it
 * checks and whose blocking reads they must interrupt. Returns 0 or an
 * errno value.
 */
int pw_thread_create(pthread_t *t, void *(*fn)(void *), void *arg);

#endif
