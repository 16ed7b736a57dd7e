/* SPDX-License-Identifier: MIT */
/*
 * pw-legacy.h - reading the cdict files of the original (Python) perfwhiz,
 * so old captures still open and can be converted.
 *
 * That format is a zlib stream holding one msgpack map of eight
 * equal-length arrays, one per column: event, cpu, usecs, pid, task_name,
 * duration, next_pid, next_comm. Rows become struct pw_row values:
 *
 *   event      "sched__sched_switch", "kvm_exit"... -> enum pw_event (the
 *              "system__" prefix is dropped); other events are counted in
 *              pw_meta.dropped under their tracepoint name ("sched:sched_waking")
 *   usecs      microseconds since the first stored event -> time_ns = usecs * 1000
 *   duration   microseconds -> duration_ns = duration * 1000 (nil: PW_NONE)
 *   cpu, pid, task_name -> cpu, pid, task
 *   next_pid, next_comm -> next_pid, next_task on sched_switch rows; on
 *              kvm_exit rows next_comm holds the numeric exit reason, which
 *              becomes exit_reason, named by evaluating the print format of
 *              the kvm_exit tracepoint description the project ships
 *              (data/kvm_exit.format) with libtraceevent. Without that file
 *              the reasons stay numbers (decimal) and a warning is logged.
 *
 * tgid, prev_state, next_wait_ns and target_cpu do not exist in that
 * format and are always PW_NONE / NULL; pw_meta.legacy_note says so.
 *
 * The whole file is checked before the first row is delivered, so a
 * consumer sees either every row or none. The inflated data is held in
 * memory, capped (see struct pw_legacy_opts) against decompression bombs.
 */
#ifndef PW_LEGACY_H
#define PW_LEGACY_H

#include <stddef.h>

#include "pw-meta.h"
#include "pw-row.h"

/* Name of the kvm_exit format description among the data files. */
#define PW_LEGACY_KVM_EXIT_FORMAT "kvm_exit.format"

/* Inflated size cap: this many times the compressed size ... */
#define PW_LEGACY_INFLATE_RATIO 64
/* ... but never less than this. */
#define PW_LEGACY_INFLATE_MIN ((size_t)256 << 20)

/* KVM's isa field values (arch/x86/kvm/trace.h). */
#define PW_LEGACY_ISA_VMX 1
#define PW_LEGACY_ISA_SVM 2

struct pw_legacy_opts {
	/* kvm_exit format description; NULL: pw_legacy_find_datafile() */
	const char *kvm_exit_format;
	/*
	 * Which exit-reason table the numbers belong to: the original format
	 * does not record it. 0 means PW_LEGACY_ISA_VMX (Intel).
	 */
	unsigned int isa;
	/* Cap on the inflated size in bytes; 0: the default rule above. */
	size_t max_inflated;
};

/**
 * pw_legacy_probe - does a file start like the original tool's cdict?
 * @head: the first bytes of the file
 * @n: how many (2 are enough for a guess, 64 or more for a firm answer)
 *
 * Checks the zlib header (RFC 1950: deflate, valid window size, header
 * checksum, no preset dictionary) and, when @head holds enough of the
 * stream to inflate a byte, that the msgpack data starts with a map.
 *
 * Returns 1 when it looks like one, 0 otherwise.
 */
int pw_legacy_probe(const void *head, size_t n);

/**
 * pw_legacy_read - convert an original-format cdict file into rows
 * @path: the file; named in every message
 * @opts: NULL for the defaults
 * @fn: called once per row, in file order; a negative return stops the
 *      reading and is returned. The row's strings are valid only during
 *      the call.
 * @ctx: passed to @fn
 * @meta: initialised and filled (source, legacy_note, first/last time,
 *        per-event counts, dropped events); the caller releases it with
 *        pw_meta_release(). On error it is left initialised and empty.
 *
 * Returns 0; PW_ENOENT or PW_EIO when the file cannot be read; PW_ECOMPRESS
 * for corrupt or truncated zlib data; PW_EFORMAT for anything else that is
 * not that format (message naming the file and the offset in the inflated
 * data); PW_ENOMEM; or what @fn returned.
 */
int pw_legacy_read(const char *path, const struct pw_legacy_opts *opts,
		   pw_row_fn fn, void *ctx, struct pw_meta *meta);

/**
 * pw_legacy_read_mem - the same from the file's bytes in memory
 * @buf: the compressed file contents
 * @n: byte count
 * @name: file name for messages and pw_meta.source
 *
 * Other parameters and the return value as for pw_legacy_read().
 */
int pw_legacy_read_mem(const void *buf, size_t n, const char *name,
		       const struct pw_legacy_opts *opts, pw_row_fn fn, void *ctx,
		       struct pw_meta *meta);

/**
 * pw_legacy_find_datafile - locate one of perfwhiz's data files
 * @name: e.g. PW_LEGACY_KVM_EXIT_FORMAT
 *
 * Looks, in this order, in $PERFWHIZ_DATADIR, in the installed data
 * directory compiled in (PW_DATADIR, by default
 * /usr/local/share/perfwhiz), and in the source tree's data/ folder found
 * from the running program: ../data, ../../data or ../../../data from its
 * directory (build/perfwhiz-proc, build/tests/test-*, build/san/tests/...).
 *
 * Returns the first readable path, which the caller frees with free(), or
 * NULL when none is found (or out of memory).
 */
char *pw_legacy_find_datafile(const char *name);

#endif
