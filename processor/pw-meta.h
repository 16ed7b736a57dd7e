/* SPDX-License-Identifier: MIT */
/*
 * pw-meta.h - what is known about a capture besides its rows: where it
 * came from, and how many events were kept, dropped and lost.
 */
#ifndef PW_META_H
#define PW_META_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "pw-row.h"

/* Events dropped by name (not kept), with how many. */
struct pw_name_count {
	char *name;
	uint64_t count;
};

struct pw_meta {
	/* Capture host, from the perf.data feature sections; NULL if unknown. */
	char *hostname;
	char *os_release;
	char *arch;
	char *perf_version;
	char *cmdline;		/* capture command line, words joined by ' ' */
	int64_t nr_cpus;	/* online CPUs, PW_NONE if unknown */
	uint64_t first_ns;	/* first and last kept row time, 0 if none */
	uint64_t last_ns;

	uint64_t stored[PW_EV__MAX];	/* rows written, per event */
	struct pw_name_count *dropped;	/* samples of other events, by name */
	unsigned int nr_dropped;
	uint64_t lost;			/* PERF_RECORD_LOST: lost events */
	uint64_t lost_samples;		/* PERF_RECORD_LOST_SAMPLES */
	uint64_t unknown_records;	/* record types skipped by size */
	uint64_t unknown_ids;		/* samples whose id matched no attr */
	uint64_t out_of_order;		/* samples older than the last flush */
	uint64_t undecodable;		/* payloads too short / bad fields */

	bool partial;		/* the source was cut short (killed capture) */
	char *source;		/* e.g. "perf.data file run.data", "perf.data pipe" */
	char *legacy_note;	/* set when converted from the original tool's
				 * cdict: what that format lacks */
	char *map_file;		/* name map applied, and its SHA-256 (hex) */
	char *map_digest;
};

/**
 * pw_meta_init - zero @m and set the PW_NONE fields
 */
void pw_meta_init(struct pw_meta *m);

/**
 * pw_meta_release - free every string and array @m owns (not @m itself)
 */
void pw_meta_release(struct pw_meta *m);

/**
 * pw_meta_add_dropped - count @n more dropped samples of event @name
 *
 * Returns 0 or PW_ENOMEM.
 */
int pw_meta_add_dropped(struct pw_meta *m, const char *name, uint64_t n);

/**
 * pw_meta_copy - deep copy of @src into @dst (initialised by this call)
 *
 * Returns 0 or a negative PW_E* code (then @dst holds nothing to free).
 */
int pw_meta_copy(struct pw_meta *dst, const struct pw_meta *src);

/**
 * pw_meta_summary - the counts of a conversion, as the programs report them
 * @f: where to write (standard error, for the programs)
 * @prog: the program's name, prefixed to each line
 * @what: the input or output named in the first line
 *
 * Rows kept per event, then (only when non-zero) events dropped by name,
 * lost events and samples, and skipped records.
 */
void pw_meta_summary(FILE *f, const char *prog, const char *what, const struct pw_meta *m);

#endif
