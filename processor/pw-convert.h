/* SPDX-License-Identifier: MIT */
/*
 * pw-convert.h - the conversion pipeline shared by perfwhiz-proc and
 * perfcap: an input recognised by its content (perf.data in either layout,
 * a cdict, or the original tool's cdict), an optional name map, and a cdict
 * and/or CSV output, each written atomically.
 */
#ifndef PW_CONVERT_H
#define PW_CONVERT_H

#include <stddef.h>
#include <stdint.h>

#include "pw-cdict.h"
#include "pw-meta.h"
#include "pw-row.h"

enum pw_input_kind {
	PW_INPUT_UNKNOWN,
	PW_INPUT_PERFDATA,	/* perf.data, file or pipe layout */
	PW_INPUT_CDICT,		/* this project's cdict */
	PW_INPUT_LEGACY,	/* the original tool's zlib + msgpack cdict */
};

/**
 * pw_input_kind_of - what the first bytes of a file say it is
 * @head: the file's first bytes
 * @n: how many (16 suffice)
 */
enum pw_input_kind pw_input_kind_of(const void *head, size_t n);

/** pw_input_kind_name - "perf.data", "cdict", "original-format cdict" ... */
const char *pw_input_kind_name(enum pw_input_kind kind);

struct pw_convert {
	const char *input;	/* a path, or "-" for standard input */
	int input_fd;		/* >= 0: read this descriptor (a perf.data stream)
				 * instead, named @input in messages */
	const char *cdict;	/* cdict output path, or NULL */
	const char *csv;	/* CSV output path, "-" for standard output, or NULL */
	const char *map;	/* name map CSV applied to every row, or NULL */
	const struct pw_cdict_writer_opts *cdict_opts;	/* NULL: defaults */
	size_t reorder_max;	/* perf.data ordering queue bound, 0: default */
	/* When set (by a signal handler) the conversion stops, within a few
	 * thousand rows, with PW_ESTOPPED and leaves no output. */
	volatile int *stop;
	/* Called for every row after naming, before the outputs (progress,
	 * statistics); may be NULL. A non-zero return stops the conversion. */
	pw_row_fn tap;
	void *tap_ctx;
	/* Called now and then with the input bytes read and the total (0 when
	 * unknown), for progress; may be NULL. */
	void (*progress)(uint64_t done, uint64_t total, void *ctx);
	void *progress_ctx;
	/* When set: filled with what the input was, once it is open. */
	struct pw_convert_source *source;
};

/* The input of a conversion: its kind, and a cdict's format version. */
struct pw_convert_source {
	enum pw_input_kind kind;
	unsigned int cdict_major, cdict_minor;
};

/**
 * pw_convert_run - read @c->input, write @c->cdict and/or @c->csv
 * @meta: initialised and filled with the input's metadata and counts (and
 *        the map applied); release with pw_meta_release()
 *
 * Outputs appear under their names only when complete. Returns 0;
 * PW_ETRUNCATED when the input was cut short but every complete record was
 * converted and the outputs written (a partial capture); or another
 * negative PW_E* code, with no output left behind (message logged).
 */
int pw_convert_run(const struct pw_convert *c, struct pw_meta *meta);

#endif
