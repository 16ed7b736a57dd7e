/* SPDX-License-Identifier: MIT */
/*
 * pw-reader.h - perf.data in, rows out: reads a perf.data file or pipe
 * stream in one pass, orders events in time as perf does, decodes the
 * tracepoints with the formats recorded in the input, and derives the
 * perfwhiz rows (durations, waits, names).
 */
#ifndef PW_READER_H
#define PW_READER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pw-meta.h"
#include "pw-row.h"

struct pw_reader;

struct pw_reader_opts {
	/* Most events held for time ordering (0: default, 1M). When more
	 * arrive without a round marker, the oldest half is released. */
	size_t reorder_max;
	/* When set (by a signal handler) reading stops with PW_ESTOPPED. */
	volatile int *stop;
	/* A capture cut short before its tracing data is normally decoded with
	 * this machine's formats (and says so); this turns that off. */
	bool no_system_formats;
};

/**
 * pw_reader_open - open a perf.data file or pipe stream
 * @path: file name, or "-" for standard input
 * @opts: NULL for defaults
 * @err: set to a negative PW_E* code on failure (may be NULL)
 *
 * Reads the header, the attributes and (file layout) the feature sections
 * and tracing data. Returns a reader to free with pw_reader_close(), or
 * NULL with a message naming the file and offset logged.
 */
struct pw_reader *pw_reader_open(const char *path, const struct pw_reader_opts *opts,
				 int *err);

/**
 * pw_reader_open_fd - as pw_reader_open(), on an open descriptor
 * @fd: read from its current position; not closed by the reader
 * @name: used in messages
 */
struct pw_reader *pw_reader_open_fd(int fd, const char *name,
				    const struct pw_reader_opts *opts, int *err);

/**
 * pw_reader_run - read every record and call @fn for each row, in time order
 *
 * Returns 0 when the whole input was read; PW_ETRUNCATED when it ended
 * early but every complete record was used (the metadata says partial);
 * another negative PW_E* code on a fatal error; or the first non-zero
 * value @fn returned, after which @fn is not called again.
 */
int pw_reader_run(struct pw_reader *r, pw_row_fn fn, void *ctx);

/**
 * pw_reader_run_rows - pw_reader_run() that builds the rows in the
 * caller's memory instead of handing them over one by one
 * @room, @end: where the first rows are built, [@room, @end), at least
 *              one slot (e.g. pw_cdict_writer_room()'s)
 *
 * When the room is full, and once more at the end of a run that returns 0
 * or PW_ETRUNCATED (with the rows built since, possibly none), @fn takes
 * the rows and gives the next room: no row is copied, and there is no call
 * per row. Returns as pw_reader_run().
 */
int pw_reader_run_rows(struct pw_reader *r, struct pw_row *room, struct pw_row *end,
		       pw_rows_fn fn, void *ctx);

/**
 * pw_reader_meta - capture metadata and counts; owned by @r. The counts
 * are final once pw_reader_run() has returned.
 */
const struct pw_meta *pw_reader_meta(const struct pw_reader *r);

/**
 * pw_reader_progress - bytes of input consumed so far, and the total when
 * known (0 for a pipe); for progress reports.
 */
void pw_reader_progress(const struct pw_reader *r, uint64_t *done, uint64_t *total);

/**
 * pw_reader_load_formats - make the capture's tracepoint formats available
 * before (or instead of) pw_reader_run()
 *
 * The file layout has them once opened; for the pipe layout the records
 * before the tracing data (attributes, features) are read. Returns 0, or
 * PW_ENOTRACING when the input holds no tracing data.
 */
int pw_reader_load_formats(struct pw_reader *r);

/**
 * pw_reader_use_system_formats - decode with this machine's tracepoint
 * formats (libtracefs), for inputs that hold none; says so in a warning.
 * Returns 0 or PW_ENOTRACING (message logged).
 */
int pw_reader_use_system_formats(struct pw_reader *r);

/**
 * pw_reader_load_threads - read every record but the samples, for pw_reader_feed()
 * @r: a reader that may read its input to the end (not a stream another
 *     reader consumes)
 * @nr_samples: set to the number of sample records whose id matches an
 *              event of the input: what another reader should deliver (may be NULL)
 *
 * A reader fed samples by someone else (perf's dlfilter) does not see the
 * other records. This reads them all (and the tracing data, wherever the
 * pipe layout carries it): lost counts and unknown records go into the
 * metadata, and the thread records (COMM, FORK, EXIT) are kept in time
 * order and applied by pw_reader_feed() up to each sample's time, so thread
 * groups and names are what pw_reader_run() derives. Call it once, after
 * pw_reader_open() and before pw_reader_feed(). Returns 0; PW_ETRUNCATED
 * when the input ends early (the records before it are kept; the metadata
 * says partial); or another negative PW_E* code (message logged).
 */
int pw_reader_load_threads(struct pw_reader *r, uint64_t *nr_samples);

/* A sample handed over by another reader of the capture (perf's dlfilter). */
struct pw_feed_sample {
	uint64_t time;
	int32_t cpu;		/* PW_NONE32 when unknown */
	int32_t pid, tid;	/* the sampling thread */
	const char *comm;	/* its name as perf knows it, or NULL */
	const char *event_name;	/* "sched:sched_switch", for counting dropped ones */
	const void *raw;	/* the tracepoint payload (PERF_SAMPLE_RAW), or NULL */
	uint32_t raw_size;
};

/**
 * pw_reader_feed - decode one sample that arrives already in time order
 * @r: a reader whose formats are loaded (pw_reader_load_formats(),
 *     pw_reader_load_threads() or pw_reader_use_system_formats())
 * @fn, @ctx: receive the row, if the sample makes one
 *
 * The same decoding and derivation as pw_reader_run(), for samples read by
 * someone else (the dlfilter plugin). Returns 0, a negative PW_E* code, or
 * what @fn returned.
 */
int pw_reader_feed(struct pw_reader *r, const struct pw_feed_sample *s, pw_row_fn fn,
		   void *ctx);

/**
 * pw_reader_feed_end - after the last pw_reader_feed(): completes the
 * metadata counts. Returns 0 or a negative PW_E* code.
 */
int pw_reader_feed_end(struct pw_reader *r);

/** pw_reader_close - free @r (NULL ok) */
void pw_reader_close(struct pw_reader *r);

#endif
