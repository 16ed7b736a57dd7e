/* SPDX-License-Identifier: MIT */
/*
 * outfile.h - perfmap's output files appear under their names only when
 * complete: each is written under a temporary name in its directory
 * (".NAME.tmp.XXXXXX") and renamed when closed without error. The charts
 * are made again by running perfmap again, so they are not fsync'ed.
 */
#ifndef PM_OUTFILE_H
#define PM_OUTFILE_H

#include <stdio.h>

struct pm_outfile {
	FILE *f;		/* write here; NULL once committed or aborted */
	char path[4096];	/* final name */
	char tmp[4096];		/* temporary name, "" when there is none */
};

/**
 * pm_outfile_open - create a temporary file beside @path for writing
 *
 * Returns 0, or PW_EWRITE or PW_ENOMEM with a message naming @path logged.
 */
int pm_outfile_open(struct pm_outfile *o, const char *path);

/**
 * pm_outfile_commit - close the file and rename it to its final name
 * @stop: when it points at a non-zero value (a signal arrived), the file is
 *        removed instead and PW_ESTOPPED returned; may be NULL
 *
 * Returns 0, or a negative PW_E* code once the temporary file is removed
 * (PW_EWRITE with a message naming the file and the reason logged).
 * @o->path stays valid.
 */
int pm_outfile_commit(struct pm_outfile *o, const volatile int *stop);

/** pm_outfile_abort - close and remove the temporary file (safe to repeat) */
void pm_outfile_abort(struct pm_outfile *o);

#endif
