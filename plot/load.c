// SPDX-License-Identifier: MIT
/* load.c - open a cdict and load the columns perfmap uses into a run. */
#include <stdlib.h>

#include "pw-log.h"
#include "run.h"

struct pm_run *pm_run_open(const char *path, const struct pm_name_opts *no, unsigned int mask,
			    int *err)
{
	struct pm_run *run = calloc(1, sizeof(*run));
	struct pw_columns cols = { 0 };
	struct pw_cdict *cd;
	int e = PW_ENOMEM;

	if (!run)
		goto fail;
	cd = pw_cdict_open(path, &e);
	if (!cd)
		goto fail;
	e = pw_cdict_load(cd, mask | PM_COLS_BASE, &cols);
	if (e) {
		pw_err("%s: cannot load its columns: %s", path, pw_strerror(e));
		pw_cdict_close(cd);
		goto fail;
	}
	e = pm_run_index(run, path, &cols, pw_cdict_meta(cd), no);
	if (e) {
		pw_columns_release(&cols);
		pw_cdict_close(cd);
		goto fail;
	}
	/* The run points at its columns: keep them, and their file, inside it. */
	run->own_cols = cols;
	run->cols = &run->own_cols;
	run->cd = cd;
	*err = 0;
	return run;
fail:
	free(run);
	*err = e;
	return NULL;
}

void pm_run_free(struct pm_run *run)
{
	if (!run)
		return;
	if (run->cols == &run->own_cols)
		pw_columns_release(&run->own_cols);
	pw_cdict_close(run->cd);
	pm_run_release(run);
	free(run);
}
