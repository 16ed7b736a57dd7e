// SPDX-License-Identifier: MIT
/* file.c - read a whole input file, sized up front when it is a regular file. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pw-file.h"
#include "pw-log.h"

int pw_read_file(const char *path, size_t max, const char *what, char **bufp, size_t *np)
{
	size_t n = 0, cap = 65536;
	char *buf = NULL, *b;
	struct stat st;
	int fd, err = 0, saved;

	*bufp = NULL;
	*np = 0;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		saved = errno;
		if (what)
			pw_err("%s: cannot open%s%s: %s", path, *what ? " " : "", what,
			       strerror(saved));
		errno = saved;
		return saved == ENOENT ? PW_ENOENT : PW_EIO;
	}
	/* a regular file's size, +1 to see its end without growing */
	if (!fstat(fd, &st) && S_ISREG(st.st_mode) && st.st_size > 0 &&
	    (uint64_t)st.st_size < SIZE_MAX / 2)
		cap = (size_t)st.st_size + 1;
	if (max && cap > max + 1)
		cap = max + 1;
	for (;;) {
		ssize_t r;

		if (!buf || n == cap) {
			if (buf && max && n > max) {
				if (what)
					pw_err("%s: larger than %zu MiB", path, max >> 20);
				errno = EFBIG;
				err = PW_EFORMAT;
				break;
			}
			if (buf)
				cap = cap < SIZE_MAX / 4 ? cap * 2 : 0;
			b = cap ? realloc(buf, cap + 1) : NULL;
			if (!b) {
				errno = ENOMEM;
				err = PW_ENOMEM;
				break;
			}
			buf = b;
		}
		r = read(fd, buf + n, cap - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			saved = errno;
			if (what)
				pw_err("%s: read error: %s", path, strerror(saved));
			errno = saved;
			err = PW_EIO;
			break;
		}
		if (!r)
			break;
		n += (size_t)r;
		if (max && n > max) {
			if (what)
				pw_err("%s: larger than %zu MiB", path, max >> 20);
			errno = EFBIG;
			err = PW_EFORMAT;
			break;
		}
	}
	saved = errno;
	close(fd);
	if (err) {
		free(buf);
		errno = saved;
		return err;
	}
	buf[n] = 0;
	*bufp = buf;
	*np = n;
	return 0;
}

int pw_usable_cpus(void)
{
	cpu_set_t set;

	return sched_getaffinity(0, sizeof(set), &set) ? 1 : CPU_COUNT(&set);
}

int pw_thread_create(pthread_t *t, void *(*fn)(void *), void *arg)
{
	sigset_t all, old;
	int err;

	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	err = pthread_create(t, NULL, fn, arg);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return err;
}
