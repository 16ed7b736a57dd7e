// SPDX-License-Identifier: MIT
/* fuzz-namemap.c - the task-name mapping file parser, and applying a map. */
#include <stdint.h>

#include "pw-log.h"
#include "pw-namemap.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pw_namemap *m;

	pw_log_set(NULL);
	m = pw_namemap_load_mem(data, size, "fuzz", NULL);
	if (m) {
		struct pw_row row = { .pid = 1, .next_pid = 19236, .task = "a", .next_task = "b" };

		for (int64_t tid = 0; tid < 64; tid++) {
			row.pid = tid;
			pw_namemap_apply(m, &row);
		}
		pw_namemap_free(m);
	}
	return 0;
}
