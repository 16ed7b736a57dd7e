// SPDX-License-Identifier: MIT
/*
 * fuzz-cdict.c - the cdict reader (open, metadata, time range, every row,
 * every column loaded, scans of every column and of some) and the original
 * tool's cdict reader, on arbitrary bytes; and on the same bytes with the
 * checksums of the index and trailer made right, so that a mutation of the
 * index (an encoding, a size, an offset) reaches the decoders instead of
 * stopping at a CRC.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

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

static void read_cdict(const uint8_t *data, size_t size)
{
	char path[] = "/tmp/fuzz-cdict.XXXXXX";
	int fd = mkstemp(path);
	struct pw_cdict *cd;

	if (fd < 0)
		return;
	if (write(fd, data, size) != (ssize_t)size) {
		close(fd);
		unlink(path);
		return;
	}
	close(fd);
	cd = pw_cdict_open(path, NULL);
	if (cd) {
		struct pw_columns cols;
		uint64_t sum = 0, lo, hi;

		pw_cdict_meta(cd);
		pw_cdict_foreach(cd, row_fn, NULL);
		if (pw_cdict_load(cd, PW_COLMASK_ALL, &cols) == 0)
			pw_columns_release(&cols);
		pw_cdict_scan(cd, PW_COLMASK_ALL, group_fn, &sum);
		pw_cdict_scan(cd, PW_COLMASK(PW_COL_DURATION_NS) | PW_COLMASK(PW_COL_TASK),
			      group_fn, &sum);
		/* what perfmap's index pass reads: no time_ns, the index's range */
		if (pw_cdict_time_range(cd, &lo, &hi))
			sum += hi - lo;
		pw_cdict_scan(cd, PW_COLMASK(PW_COL_EVENT) | PW_COLMASK(PW_COL_CPU) |
			      PW_COLMASK(PW_COL_PID) | PW_COLMASK(PW_COL_TASK) |
			      PW_COLMASK(PW_COL_NEXT_PID) | PW_COLMASK(PW_COL_NEXT_TASK),
			      group_fn, &sum);
		pw_cdict_close(cd);
	}
	unlink(path);
}

/*
 * A copy of @data whose index CRC and trailer CRC (docs/cdict.md) are
 * right; NULL when it has no trailer, an index out of bounds, or both
 * CRCs right already.
 */
static uint8_t *resealed(const uint8_t *data, size_t size)
{
	const uint8_t *tr = data + size - 32;
	uint64_t ix_off = 0, ix_size = 0;
	uint32_t ix_crc, tr_crc, c1, c2;
	uint8_t *copy;

	if (size < 48 || memcmp(tr + 24, "PWCDEND\x89", 8))
		return NULL;
	for (int i = 7; i >= 0; i--) {
		ix_off = ix_off << 8 | tr[i];
		ix_size = ix_size << 8 | tr[8 + i];
	}
	if (ix_off > size - 32 || ix_size > size - 32 - ix_off)
		return NULL;
	ix_crc = (uint32_t)tr[16] | (uint32_t)tr[17] << 8 | (uint32_t)tr[18] << 16 |
		 (uint32_t)tr[19] << 24;
	tr_crc = (uint32_t)tr[20] | (uint32_t)tr[21] << 8 | (uint32_t)tr[22] << 16 |
		 (uint32_t)tr[23] << 24;
	c1 = (uint32_t)crc32(0, data + ix_off, (uInt)ix_size);
	if (c1 == ix_crc && (uint32_t)crc32(0, tr, 20) == tr_crc)
		return NULL;
	copy = malloc(size);
	if (!copy)
		return NULL;
	memcpy(copy, data, size);
	for (int i = 0; i < 4; i++)
		copy[size - 32 + 16 + i] = (uint8_t)(c1 >> (8 * i));
	c2 = (uint32_t)crc32(0, copy + size - 32, 20);
	for (int i = 0; i < 4; i++)
		copy[size - 32 + 20 + i] = (uint8_t)(c2 >> (8 * i));
	return copy;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pw_meta meta;
	uint8_t *fixed;

	pw_log_set(NULL);
	read_cdict(data, size);
	fixed = resealed(data, size);
	if (fixed) {
		read_cdict(fixed, size);
		free(fixed);
	}
	pw_legacy_read_mem(data, size, "fuzz", NULL, row_fn, NULL, &meta);
	pw_meta_release(&meta);
	return 0;
}
