// SPDX-License-Identifier: MIT
/*
 * fuzz-tracedata.c - perf's tracing data (tracepoint formats) parsing, the
 * resolution of every kept event, and payload decoding of the remaining
 * bytes with each of them.
 */
#include <stdint.h>
#include <string.h>

#include "pw-log.h"
#include "reader-local.h"
#include "tracedata-decode.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pw_tracedata td = { 0 };
	struct pw_intern *strs;
	size_t split = size > 2 ? (data[0] | data[1] << 8) % size : 0;

	pw_log_set(NULL);
	if (pw_tracedata_parse(&td, data, size - split, "fuzz", 0) == 0 &&
	    (strs = pw_intern_new())) {
		/* ids of the formats parsed: try the ones a real kernel uses and
		 * the first bytes of the payload as an id */
		int ids[] = { 372, 374, 373, 371, 379, 380, 103, 115, 1154, 1, 2, 3,
			      split >= 2 ? data[size - split] | data[size - split + 1] << 8 : 0 };

		for (size_t i = 0; i < sizeof(ids) / sizeof(ids[0]); i++) {
			struct pw_tp tp;
			struct pw_qev q;

			memset(&q, 0, sizeof(q));
			if (pw_tp_resolve(&td, ids[i], NULL, &tp, "fuzz") == 0 && tp.kind >= 0)
				pw_tp_decode(&td, &tp, data + size - split, (uint32_t)split, strs, &q);
			pw_tp_release(&tp);
		}
		pw_intern_free(strs);
	}
	pw_tracedata_release(&td);
	return 0;
}
