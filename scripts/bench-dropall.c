// SPDX-License-Identifier: MIT
/*
 * bench-dropall.c - a perf dlfilter that drops every sample: what
 * `perf script --dlfilter` costs before any filter does any work (perf's
 * own reading, ordering and sample resolution). Built by scripts/bench.sh.
 */
#include <perf/perf_dlfilter.h>

int filter_event(void *data, const struct perf_dlfilter_sample *sample, void *ctx);

int filter_event(void *data, const struct perf_dlfilter_sample *sample, void *ctx)
{
	(void)data;
	(void)sample;
	(void)ctx;
	return 1;
}
