/* SPDX-License-Identifier: MIT */
/*
 * pw-csv.h - rows as CSV (RFC 4180): a header line, then one line per row
 * with the columns of pw-row.h; unknown values are empty fields.
 */
#ifndef PW_CSV_H
#define PW_CSV_H

#include "pw-row.h"

struct pw_csv;

/**
 * pw_csv_open - start a CSV output
 * @path: a file name (written to a temporary file beside it, renamed into
 *        place by pw_csv_close()), or "-" for standard output
 * @err: set to a negative PW_E* code on failure (may be NULL)
 *
 * Writes the header line. Returns the writer or NULL (message logged).
 */
struct pw_csv *pw_csv_open(const char *path, int *err);

/**
 * pw_csv_set_stop - give up writing (PW_ESTOPPED) once *@stop is set, also
 * while a write to a pipe or FIFO nobody reads is blocked (a signal whose
 * handler sets *@stop interrupts it)
 */
void pw_csv_set_stop(struct pw_csv *c, volatile int *stop);

/** pw_csv_row - append @row; usable as a pw_row_fn with the writer as ctx */
int pw_csv_row(const struct pw_row *row, void *csv);

/**
 * pw_csv_sync - write out everything so far and sync it to disk
 * Returns 0 or a negative PW_E* code (then only pw_csv_abort() is left).
 */
int pw_csv_sync(struct pw_csv *c);

/**
 * pw_csv_close - flush and commit (rename into place); frees @c
 * Returns 0 or a negative PW_E* code (then nothing is left under the name).
 */
int pw_csv_close(struct pw_csv *c);

/** pw_csv_abort - discard the output and free @c (NULL ok) */
void pw_csv_abort(struct pw_csv *c);

#endif
