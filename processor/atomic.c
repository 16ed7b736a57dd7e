// SPDX-License-Identifier: MIT
/* atomic.c - write to a temporary file, rename into place when complete. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pw-atomic.h"
#include "pw-log.h"

int pw_atomic_open(struct pw_atomic *a, const char *path)
{
	const char *slash = strrchr(path, '/');
	int dirlen = slash ? (int)(slash - path + 1) : 0;
	struct stat st;

	a->fd = -1;
	a->tmp = NULL;
	if (!stat(path, &st) && !S_ISREG(st.st_mode)) {
		/* A device or FIFO (/dev/stdout, /dev/null): write into it; never
		 * create files beside it or rename over it. */
		a->fd = open(path, O_WRONLY | O_CLOEXEC);
		if (a->fd < 0) {
			pw_err("%s: cannot open for writing: %s", path, strerror(errno));
			return PW_EIO;
		}
		a->path = strdup(path);
		if (!a->path) {
			close(a->fd);
			return PW_ENOMEM;
		}
		return 0;
	}
	a->path = strdup(path);
	if (!a->path || asprintf(&a->tmp, "%.*s.%s.tmp.XXXXXX", dirlen, path,
				 path + dirlen) < 0) {
		free(a->path);
		a->path = a->tmp = NULL;
		return PW_ENOMEM;
	}
	a->fd = mkstemp(a->tmp);
	if (a->fd < 0) {
		pw_err("%s: cannot create a file in its directory: %s", path, strerror(errno));
		free(a->path);
		free(a->tmp);
		a->path = a->tmp = NULL;
		return PW_EIO;
	}
	return 0;
}

int pw_atomic_commit(struct pw_atomic *a)
{
	int err = 0;

	if (!a->tmp) {		/* not a regular file: nothing to rename */
		if (close(a->fd)) {
			pw_err("%s: cannot write: %s", a->path, strerror(errno));
			err = PW_EWRITE;
		}
		a->fd = -1;
		free(a->path);
		a->path = NULL;
		return err;
	}
	if (fchmod(a->fd, 0644) || fsync(a->fd)) {
		if (errno != EINVAL && errno != EROFS) {
			pw_err("%s: cannot write: %s", a->path, strerror(errno));
			err = PW_EWRITE;
		}
	}
	if (close(a->fd) && !err) {
		pw_err("%s: cannot write: %s", a->path, strerror(errno));
		err = PW_EWRITE;
	}
	a->fd = -1;
	if (!err && rename(a->tmp, a->path)) {
		pw_err("%s: cannot rename %s into place: %s", a->path, a->tmp, strerror(errno));
		err = PW_EWRITE;
	}
	if (err)
		unlink(a->tmp);
	free(a->path);
	free(a->tmp);
	a->path = a->tmp = NULL;
	return err;
}

void pw_atomic_abort(struct pw_atomic *a)
{
	if (a->fd >= 0)
		close(a->fd);
	if (a->tmp)
		unlink(a->tmp);
	free(a->path);
	free(a->tmp);
	a->path = a->tmp = NULL;
	a->fd = -1;
}
