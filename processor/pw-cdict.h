/* SPDX-License-Identifier: MIT */
/*
 * pw-cdict.h - the cdict columnar capture file: writer and reader.
 *
 * The byte layout is specified in docs/cdict.md. Writing streams in
 * bounded memory (rows go out in chunks; index and metadata at the end)
 * into a temporary file in the destination directory that is renamed into
 * place only when complete. Reading can iterate rows or load only
 * selected columns.
 */
#ifndef PW_CDICT_H
#define PW_CDICT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pw-meta.h"
#include "pw-row.h"

struct pw_cdict_writer;
struct pw_cdict;

/* The format version this library writes (docs/cdict.md). */
#define PW_CDICT_VERSION_MAJOR 2
#define PW_CDICT_VERSION_MINOR 1
/* The oldest major version it reads: 1.x, the same without sparse chunks. */
#define PW_CDICT_VERSION_OLDEST 1
/* Largest rows_per_chunk the format allows. */
#define PW_CDICT_MAX_ROWS_PER_CHUNK (1u << 20)

struct pw_cdict_writer_opts {
	unsigned int rows_per_chunk;	/* 0: default (65536); tests use tiny values;
					 * at most PW_CDICT_MAX_ROWS_PER_CHUNK */
	int zstd_level;			/* 0: default (3; for some columns, 1) */
	/* Encode and compress in the caller's thread. By default, when the
	 * process may run on more than one CPU, a thread of the writer's own
	 * encodes and compresses while the caller goes on (same bytes). */
	bool single_thread;
	/* The caller's promise: a string pointer handed to
	 * pw_cdict_writer_add() keeps its address and content until the
	 * writer is closed or aborted (strings of an interning table, say).
	 * A string seen again at the same address is then not compared
	 * again, and strings are looked up in the writer's own thread. */
	bool stable_strings;
};

/**
 * pw_cdict_writer_open - start writing a cdict to @path
 * @path: final file name; data goes to a temporary file beside it
 * @opts: NULL for defaults
 * @err: set to a negative PW_E* code on failure (may be NULL)
 *
 * Returns a writer (finish with pw_cdict_writer_close() or
 * pw_cdict_writer_abort()), or NULL on failure (message logged).
 */
struct pw_cdict_writer *pw_cdict_writer_open(const char *path,
					     const struct pw_cdict_writer_opts *opts,
					     int *err);

/**
 * pw_cdict_writer_add - append one row (strings are copied/interned)
 *
 * @row->event must be a valid enum pw_event. Full row groups are encoded,
 * compressed and written (unless opts->single_thread, by a thread of the
 * writer's own while the caller goes on), so a write error may be reported
 * by a later call or by pw_cdict_writer_close(); so may an invalid event
 * with opts->stable_strings, checked only when its row is encoded (without,
 * it is refused at once). Returns 0 or a negative
 * PW_E* code (message logged; the writer must then be aborted, or closed,
 * which then fails and removes the temporary file).
 */
int pw_cdict_writer_add(struct pw_cdict_writer *w, const struct pw_row *row);

/**
 * pw_cdict_writer_room - where rows may be built in place
 * @end: set to the end of the room
 *
 * For a producer that builds each row anyway: rows built in the slots from
 * the returned address up to *@end (at least one; valid until the next
 * call that adds rows) are added by pw_cdict_writer_add_room(), without a
 * copy and without a call per row.
 */
struct pw_row *pw_cdict_writer_room(struct pw_cdict_writer *w, struct pw_row **end);

/**
 * pw_cdict_writer_add_room - pw_cdict_writer_add() of the rows built in
 * the room, from its start up to @upto (excluded: @upto may be the start,
 * for none); *@next and *@end are set to the next room's.
 */
int pw_cdict_writer_add_room(struct pw_cdict_writer *w, struct pw_row *upto, struct pw_row **next,
			     struct pw_row **end);

/**
 * pw_cdict_writer_close - flush, write index and @meta, fsync, rename into place
 * @meta: NULL for none. Its per-event `stored` counts and first_ns/last_ns
 *        are not used: the file records those of the rows actually added.
 *
 * Frees @w in every case. On failure the temporary file is removed and the
 * final name is untouched. Returns 0 or a negative PW_E* code.
 */
int pw_cdict_writer_close(struct pw_cdict_writer *w, const struct pw_meta *meta);

/**
 * pw_cdict_writer_abort - remove the temporary file and free @w (NULL ok)
 */
void pw_cdict_writer_abort(struct pw_cdict_writer *w);

/**
 * pw_cdict_open - open a cdict for reading
 * @path: file name
 * @err: set to a negative PW_E* code on failure (may be NULL)
 *
 * Reads and checks the trailer, index and metadata; column data is read
 * on demand. Returns a handle to free with pw_cdict_close(), or NULL
 * (message naming the file and offset logged).
 */
struct pw_cdict *pw_cdict_open(const char *path, int *err);

/** pw_cdict_close - release @cd (NULL ok) */
void pw_cdict_close(struct pw_cdict *cd);

/** pw_cdict_meta - the file's metadata; owned by @cd */
const struct pw_meta *pw_cdict_meta(const struct pw_cdict *cd);

/** pw_cdict_nrows - total rows in the file */
uint64_t pw_cdict_nrows(const struct pw_cdict *cd);

/**
 * pw_cdict_time_range - the earliest and latest row times, from the index
 * (each row group's range, which decoding the group's time_ns checks);
 * false when the file has no rows
 */
bool pw_cdict_time_range(const struct pw_cdict *cd, uint64_t *tmin, uint64_t *tmax);

/**
 * pw_cdict_strings - the file's string table, as loaded columns index it:
 * [0] is "" (unknown); *@n is set to its length. Owned by @cd.
 */
const char *const *pw_cdict_strings(const struct pw_cdict *cd, uint32_t *n);

/** pw_cdict_version - the file's format version (major, minor) */
void pw_cdict_version(const struct pw_cdict *cd, unsigned int *major, unsigned int *minor);

/**
 * pw_cdict_foreach - call @fn for every row, in file (time) order
 *
 * Strings in the row are valid during the call only. An event whose name
 * this reader does not know (a file from a later version) is given as
 * PW_EV__MAX. Stops at the first non-zero return of @fn and returns it;
 * otherwise 0 or a negative PW_E* code on a read/decoding error (message
 * logged).
 */
int pw_cdict_foreach(struct pw_cdict *cd, pw_row_fn fn, void *ctx);

/*
 * Loaded columns: arrays of nrows values. 64-bit integer columns use
 * PW_NONE for unknown, 32-bit ones (cpu, pids) PW_NONE32. String columns
 * are indexes into strings[]: 0 means unknown and strings[0] is "", so it
 * prints as an empty field; a known empty string has an index of its own
 * (whose string is "" too). event holds enum pw_event values, PW_EV__MAX
 * for an event this reader does not know. Columns not requested are NULL.
 * The struct owns everything it points to (independent of the handle).
 */
struct pw_columns {
	uint64_t nrows;
	uint64_t *time_ns;
	int32_t *cpu;
	uint8_t *event;		/* enum pw_event */
	int32_t *pid;
	int32_t *tgid;
	uint32_t *task;
	int64_t *duration_ns;
	int32_t *next_pid;
	uint32_t *next_task;
	uint32_t *prev_state;
	int64_t *next_wait_ns;
	uint32_t *exit_reason;
	int32_t *target_cpu;
	const char **strings;	/* string table shared by the string columns */
	uint32_t nr_strings;
};

/* Column selection mask for pw_cdict_load(). */
#define PW_COLMASK(col) (1u << (col))
#define PW_COLMASK_ALL ((1u << PW_COL__MAX) - 1)

/**
 * pw_cdict_load - load whole columns selected by @mask (PW_COLMASK bits)
 * @out: filled; release with pw_columns_release()
 *
 * Only the chunks of the selected columns are read and decompressed, plus,
 * for duration_ns and next_wait_ns (stored as differences from values
 * predicted from other columns), the chunks of time_ns, cpu, event, pid and
 * next_pid. From 100000 rows on, row groups are decoded by one thread per
 * CPU (at most 8); messages are still logged from the calling thread only.
 * Returns 0 or a negative PW_E* code (message logged; @out then holds
 * nothing). A handle is not safe for concurrent calls.
 */
int pw_cdict_load(struct pw_cdict *cd, unsigned int mask, struct pw_columns *out);

/**
 * pw_group_fn - called by pw_cdict_scan() with one row group
 * @g: the group's rows (nrows) in the scanned columns, the others NULL, and
 *	the file's string table; valid during the call only
 * @first_row: the file's row number of the group's first row
 *
 * Returns 0 to go on; anything else stops the scan and is its result.
 */
typedef int (*pw_group_fn)(const struct pw_columns *g, uint64_t first_row, void *ctx);

/**
 * pw_cdict_scan - decode the columns of @mask one row group at a time and
 * hand the groups to @fn in file order
 *
 * What pw_cdict_load() gives, without keeping it: memory holds a few
 * groups whatever the file's size. From 100000 rows on, the groups after
 * the one @fn has are decoded meanwhile by one thread per CPU (at most 8);
 * @fn runs in the calling thread, and so do messages. Returns 0, @fn's
 * result, or a negative PW_E* code (message logged) for the first bad
 * group in file order; @fn has then seen every group before it.
 */
int pw_cdict_scan(struct pw_cdict *cd, unsigned int mask, pw_group_fn fn, void *ctx);

/**
 * pw_column_alloc - room for @size bytes of per-row data, as a loaded column
 * gets it: large arrays 2 MiB aligned and backed by huge pages where the
 * system allows, which makes their first use fault a page per 2 MiB rather
 * than per 4 KiB. Free with free(); NULL when out of memory.
 */
void *pw_column_alloc(size_t size);

/** pw_columns_release - free what pw_cdict_load() allocated in @c */
void pw_columns_release(struct pw_columns *c);

#endif
