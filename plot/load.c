// SPDX-License-Identifier: MIT
/* load.c - open a cdict and index it as a run; its rows stay in the file. */
#include <stdlib.h>

#include "pw-log.h"
#include "run.h"

struct pm_run *pm_run_open(const char *path, const struct pm_name_opts *no, unsigned int mask,
			    const struct pm_pass_hooks *hooks, int *err)
{
	struct pm_run *run = calloc(1, sizeof(*run));
	struct pw_cdict *cd;
	int e = PW_ENOMEM;

	if (!run)
		goto fail;
	cd = pw_cdict_open(path, &e);
	if (!cd)
		goto fail;
	e = pm_run_index_cdict(run, path, cd, mask | PM_COLS_BASE, no, hooks);
	if (e) {
		pw_cdict_close(cd);
		goto fail;
	}
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
	pw_cdict_close(run->cd);
	pm_run_release(run);
	free(run);
}
