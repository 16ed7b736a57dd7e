// SPDX-License-Identifier: MIT
/*
 * cdict-stats - where the bytes of a cdict go, and how fast it loads.
 *
 *   cdict-stats FILE.cdict [COLUMN,...]
 *   cdict-stats --chunk GROUP COLUMN FILE.cdict
 *
 * Prints the rows, the file size per row and per sched_switch row, the
 * compressed and raw bytes of each column (read from the index the way
 * docs/cdict.md describes it, independently of the library's reader), and
 * the time pw_cdict_load() takes for the given columns (default
 * time_ns,cpu,event,pid), best of 5, in wall-clock and CPU time (the load
 * uses every core; CPU time is what a busy machine cannot take away).
 * With --chunk, prints the offset and size of one column's chunk of one
 * row group, for tests that damage it.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "pw-cdict.h"
#include "pw-log.h"

PW_LOG_FN static void log_stderr(enum pw_log_level level, const char *fmt, va_list ap)
{
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

static uint64_t le(const uint8_t *p, int n)
{
	uint64_t v = 0;

	for (int i = n - 1; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

static double clock_s(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Per-column sizes straight from the index; or, when @col is given, the
 * offset and size of that column's chunk of row group @group. */
static int column_sizes(const char *path, const char *col, uint64_t group)
{
	uint64_t size, ix_off, ix_size, ncols, dsz, ngroups, gsz, esz, hsz;
	uint64_t csize[256] = { 0 }, craw[256] = { 0 };
	char names[256][25];
	uint8_t tr[32], *ix;
	FILE *f = fopen(path, "rb");

	if (!f || fseek(f, -32, SEEK_END) || fread(tr, 1, 32, f) != 32)
		return -1;
	size = (uint64_t)ftell(f);
	ix_off = le(tr, 8);
	ix_size = le(tr + 8, 8);
	ix = malloc(ix_size);
	if (!ix || fseek(f, (long)ix_off, SEEK_SET) || fread(ix, 1, ix_size, f) != ix_size)
		return -1;
	hsz = le(ix + 4, 4);
	ncols = le(ix + 8, 4);
	dsz = le(ix + 12, 4);
	ngroups = le(ix + 16, 4);
	gsz = le(ix + 20, 4);
	esz = le(ix + 24, 4);
	if (ncols > 256)
		return -1;
	for (uint64_t c = 0; c < ncols; c++) {
		memcpy(names[c], ix + hsz + c * dsz + 8, 24);
		names[c][24] = '\0';
	}
	if (col) {
		const uint8_t *gp = ix + hsz + ncols * dsz + group * (gsz + ncols * esz);
		int found = -1;

		for (uint64_t c = 0; c < ncols && group < ngroups && found; c++) {
			if (strcmp(names[c], col))
				continue;
			printf("%" PRIu64 " %" PRIu64 "\n", le(gp + gsz + c * esz, 8),
			       le(gp + gsz + c * esz + 8, 4));
			found = 0;
		}
		free(ix);
		fclose(f);
		return found;
	}
	for (uint64_t g = 0; g < ngroups; g++) {
		const uint8_t *gp = ix + hsz + ncols * dsz + g * (gsz + ncols * esz);

		for (uint64_t c = 0; c < ncols; c++) {
			csize[c] += le(gp + gsz + c * esz + 8, 4);
			craw[c] += le(gp + gsz + c * esz + 12, 4);
		}
	}
	printf("%-14s %12s %12s\n", "column", "bytes", "raw bytes");
	for (uint64_t c = 0; c < ncols; c++)
		printf("%-14s %12" PRIu64 " %12" PRIu64 "\n", names[c], csize[c], craw[c]);
	printf("%-14s %12" PRIu64 "\n", "strings", le(ix + 48, 8));
	printf("%-14s %12" PRIu64 "\n", "metadata", le(ix + 72, 8));
	printf("%-14s %12" PRIu64 "\n", "index", ix_size + 32);
	printf("%-14s %12" PRIu64 "\n", "file", size);
	free(ix);
	fclose(f);
	return 0;
}

int main(int argc, char **argv)
{
	const char *cols = argc > 2 ? argv[2] : "time_ns,cpu,event,pid";
	unsigned int mask = 0;
	double best = 1e9, best_cpu = 1e9;
	struct pw_cdict *cd;
	uint64_t nrows, sw;
	char *list, *tok, *save;

	if (argc == 5 && !strcmp(argv[1], "--chunk")) {
		if (column_sizes(argv[4], argv[3], strtoull(argv[2], NULL, 10))) {
			fprintf(stderr, "%s: no %s chunk in row group %s\n", argv[4], argv[3],
				argv[2]);
			return 1;
		}
		return 0;
	}
	if (argc < 2 || argv[1][0] == '-') {
		fprintf(stderr, "usage: cdict-stats FILE.cdict [COLUMN,...]\n"
			"       cdict-stats --chunk GROUP COLUMN FILE.cdict\n");
		return 2;
	}
	pw_log_set(log_stderr);
	cd = pw_cdict_open(argv[1], NULL);
	if (!cd)
		return 1;
	list = strdup(cols);
	for (tok = strtok_r(list, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		int c;

		for (c = 0; c < PW_COL__MAX && strcmp(pw_column_name(c), tok); c++)
			;
		if (c == PW_COL__MAX) {
			fprintf(stderr, "unknown column %s\n", tok);
			return 2;
		}
		mask |= PW_COLMASK(c);
	}
	free(list);
	nrows = pw_cdict_nrows(cd);
	sw = pw_cdict_meta(cd)->stored[PW_EV_SCHED_SWITCH];
	if (column_sizes(argv[1], NULL, 0))
		fprintf(stderr, "%s: cannot read the index\n", argv[1]);
	for (int i = 0; i < 5; i++) {
		struct pw_columns c;
		double t0 = clock_s(CLOCK_MONOTONIC), c0 = clock_s(CLOCK_PROCESS_CPUTIME_ID), t;

		if (pw_cdict_load(cd, mask, &c))
			return 1;
		t = clock_s(CLOCK_MONOTONIC) - t0;
		if (t < best)
			best = t;
		t = clock_s(CLOCK_PROCESS_CPUTIME_ID) - c0;
		if (t < best_cpu)
			best_cpu = t;
		pw_columns_release(&c);
	}
	{
		FILE *f = fopen(argv[1], "rb");
		long size = f && !fseek(f, 0, SEEK_END) ? ftell(f) : -1;

		if (f)
			fclose(f);
		printf("rows %" PRIu64 ", sched_switch %" PRIu64 "\n", nrows, sw);
		if (nrows)
			printf("bytes/row %.3f\n", (double)size / nrows);
		if (sw)
			printf("bytes/sched_switch row %.3f\n", (double)size / sw);
		printf("load %s: %.4f s, %.1f M rows/s (CPU time %.4f s, %.1f M rows/s per core)\n",
		       cols, best, nrows / best / 1e6, best_cpu, nrows / best_cpu / 1e6);
	}
	pw_cdict_close(cd);
	return 0;
}
