// SPDX-License-Identifier: MIT
/* outfile.c - output files renamed into place when complete. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "outfile.h"
#include "pw-log.h"

/* The mode fopen() would have given: 0666 less the umask. */
static mode_t file_mode(void)
{
	static mode_t mode = (mode_t)-1;

	if (mode == (mode_t)-1) {
		mode_t mask = umask(022);

		umask(mask);
		mode = 0666 & ~mask;
	}
	return mode;
}

int pm_outfile_open(struct pm_outfile *o, const char *path)
{
	const char *slash = strrchr(path, '/');
	int dirlen = slash ? (int)(slash - path + 1) : 0;
	int fd;

	o->f = NULL;
	o->tmp[0] = 0;
	if ((size_t)snprintf(o->path, sizeof(o->path), "%s", path) >= sizeof(o->path) ||
	    (size_t)snprintf(o->tmp, sizeof(o->tmp), "%.*s.%s.tmp.XXXXXX", dirlen, path,
			     path + dirlen) >= sizeof(o->tmp)) {
		pw_err("%s: file name too long", path);
		o->tmp[0] = 0;
		return PW_EWRITE;
	}
	fd = mkstemp(o->tmp);
	if (fd < 0) {
		pw_err("%s: cannot create: %s", path, strerror(errno));
		o->tmp[0] = 0;
		return PW_EWRITE;
	}
	if (fchmod(fd, file_mode()) || !(o->f = fdopen(fd, "w"))) {
		int e = errno;

		close(fd);
		unlink(o->tmp);
		o->tmp[0] = 0;
		pw_err("%s: cannot create: %s", path, strerror(e));
		return e == ENOMEM ? PW_ENOMEM : PW_EWRITE;
	}
	return 0;
}

int pm_outfile_commit(struct pm_outfile *o, const volatile int *stop)
{
	int bad, err = 0;

	if (!o->f)
		return PW_EINVAL;
	bad = ferror(o->f);
	errno = 0;
	if (fclose(o->f) || bad) {
		pw_err("%s: cannot write: %s", o->path, strerror(errno ? errno : EIO));
		err = PW_EWRITE;
	}
	o->f = NULL;
	if (!err && stop && *stop)
		err = PW_ESTOPPED;
	if (!err && rename(o->tmp, o->path)) {
		pw_err("%s: cannot rename %s into place: %s", o->path, o->tmp, strerror(errno));
		err = PW_EWRITE;
	}
	if (err)
		unlink(o->tmp);
	o->tmp[0] = 0;
	return err;
}

void pm_outfile_abort(struct pm_outfile *o)
{
	if (o->f)
		fclose(o->f);
	o->f = NULL;
	if (o->tmp[0])
		unlink(o->tmp);
	o->tmp[0] = 0;
}
