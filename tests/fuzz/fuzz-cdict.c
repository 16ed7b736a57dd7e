// SPDX-License-Identifier: MIT
/*
 * fuzz-cdict.c - the cdict reader (open, metadata, every row, every column
 * loaded, scans of every column and of some) and the original tool's cdict
 * reader, on arbitrary bytes.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pw-cdict.h"
#include "pw-legacy.h"
#include "pw-log.h"

static int row_fn(const struct pw_row *row, void *ctx)
{
	(void)ctx;
	return row->task && !row->task[0] ? 0 : 0;
}

/* Reads every value of a scanned group, and every string it names. */
static int group_fn(const struct pw_columns *g, uint64_t first_row, void *ctx)
{
	uint64_t *sum = ctx;

	(void)first_row;
	for (uint64_t i = 0; i < g->nrows; i++) {
		*sum += g->time_ns ? g->time_ns[i] : 0;
		*sum += g->event ? g->event[i] : 0;
		*sum += g->pid ? (uint64_t)g->pid[i] : 0;
		*sum += g->duration_ns ? (uint64_t)g->duration_ns[i] : 0;
		if (g->task && g->task[i] < g->nr_strings)
			*sum += strlen(g->strings[g->task[i]]);
		*sum += g->exit_reason ? g->exit_reason[i] : 0;
	}
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char path[] = "/tmp/fuzz-cdict.XXXXXX";
	int fd = mkstemp(path);
	struct pw_cdict *cd;
	struct pw_meta meta;

	pw_log_set(NULL);
	if (fd < 0)
		return 0;
	if (write(fd, data, size) != (ssize_t)size) {
		close(fd);
		unlink(path);
		return 0;
	}
	close(fd);
	cd = pw_cdict_open(path, NULL);
	if (cd) {
		struct pw_columns cols;
		uint64_t sum = 0;

		pw_cdict_meta(cd);
		pw_cdict_foreach(cd, row_fn, NULL);
		if (pw_cdict_load(cd, PW_COLMASK_ALL, &cols) == 0)
			pw_columns_release(&cols);
		pw_cdict_scan(cd, PW_COLMASK_ALL, group_fn, &sum);
		pw_cdict_scan(cd, PW_COLMASK(PW_COL_DURATION_NS) | PW_COLMASK(PW_COL_TASK),
			      group_fn, &sum);
		pw_cdict_close(cd);
	}
	unlink(path);
	pw_legacy_read_mem(data, size, "fuzz", NULL, row_fn, NULL, &meta);
	pw_meta_release(&meta);
	return 0;
}
