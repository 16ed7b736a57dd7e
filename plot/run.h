/* SPDX-License-Identifier: MIT */
/*
 * run.h - perfmap's view of one capture: its loaded columns, its threads
 * and their display names, which of them are selected, and the time window.
 *
 * A run indexes the columns once: every row gets the thread (tid + raw
 * name) it is about, and every sched_switch row the thread it switched
 * in. A thread's display name is its raw name after the name map,
 * --merge-sys-tasks and --append-tid; threads with the same display name
 * form one "entity", the unit the charts show.
 */
#ifndef PM_RUN_H
#define PM_RUN_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "pw-cdict.h"
#include "pw-meta.h"
#include "names.h"


#define PM_NO_THREAD UINT32_MAX

/* How display names are made. */
struct pm_name_opts {
	bool merge_sys_tasks;	/* swapper/0, ksoftirqd/3 ... -> swapper, ksoftirqd */
	bool append_tid;	/* perf -> perf:2834 */
	const struct pw_namemap *map;	/* --map: renames tids; must outlive the run */
};

/* What --group-by makes one chart set of. */
enum pm_group_by { PM_GROUP_TASK, PM_GROUP_GROUP, PM_GROUP_PROCESS };

struct pm_thread {
	int32_t tid;
	int32_t tgid;		/* PW_NONE32 when never seen */
	uint32_t raw;		/* raw name: index into cols->strings */
	uint32_t ent;		/* entity (display name) index */
	uint64_t nevents;	/* rows about it in the run's [counted_ws, counted_we) */
	bool selected;
};

struct pw_namemap;

/* Thread lookup: open addressing on (tid, raw name). */
struct pm_thread_map {
	uint64_t *keys;		/* key + 1; 0 = empty */
	uint32_t *vals;
	uint32_t mask;
};

struct pm_run;

/* What stops a pass over a run's rows, and what hears how far it is. */
struct pm_pass_hooks {
	const volatile int *stop;	/* non-zero: passes stop (PW_ESTOPPED); may be NULL */
	/* called between pieces of every pass: @done of @run's @total rows; may be NULL */
	void (*progress)(const struct pm_run *run, uint64_t done, uint64_t total, void *ctx);
	void *ctx;
};

/*
 * A run keeps no rows: its passes (pm_run_scan()) read them again, piece
 * by piece, from the file (or from columns in memory, for tests).
 */
struct pm_run {
	char *path;
	char *name;		/* short name among the runs (pm_runs_name()) */
	struct pw_meta meta;	/* copy of the file's metadata */
	const struct pw_columns *cols;	/* rows in memory (pm_run_index()), or NULL */
	struct pw_cdict *cd;		/* or the file they are read from (pm_run_open()) */
	unsigned int mask;		/* the columns its passes may ask for */
	uint64_t nrows;
	const char *const *strings;	/* the string table of the string columns */
	uint32_t nr_strings;

	uint64_t t0, t_last;	/* first and last event of the capture */
	uint64_t ws, we;	/* window [ws, we) */
	uint64_t counted_ws, counted_we;	/* the window nevents count events in */
	double scale;		/* count scale when the cap exceeds the run */

	struct pm_thread *threads;
	uint32_t nr_threads;
	struct pm_thread_map tmap;	/* (tid, raw) -> thread */

	struct pm_names ents;	/* display names, numbered by entity */
	uint32_t nr_ents;
	bool *ent_selected;	/* [nr_ents] */
	uint32_t nr_cpus;	/* max(meta nr_cpus, highest cpu seen + 1) */
	const struct pw_namemap *map;	/* borrowed from the name options */
	const struct pm_pass_hooks *hooks;	/* borrowed; NULL for none */
};

/**
 * pm_run_index - index @cols, rows in memory, as a run (does not take
 * ownership of @cols)
 * @run: zeroed or fresh struct, filled; release with pm_run_release()
 * @path: the file name shown in messages and the report
 * @cols: columns with at least time_ns, cpu, event, pid, task, next_pid,
 *	next_task loaded; must outlive @run
 * @meta: copied; NULL for an empty one
 * @no: how display names are made
 *
 * The window is set to the whole capture. Returns 0 or a negative PW_E*
 * code (message logged); on error @run holds nothing to release.
 */
int pm_run_index(struct pm_run *run, const char *path, const struct pw_columns *cols,
		 const struct pw_meta *meta, const struct pm_name_opts *no);

/**
 * pm_run_index_cdict - index the rows of the open cdict @cd as a run
 * @mask: the columns the run's passes may read (PW_COLMASK bits)
 *
 * As pm_run_index(), in one pass over the file's row groups. @cd stays the
 * caller's, and must stay open while @run is in use; so must @hooks (may be
 * NULL), which every pass of the run, this one included, goes through.
 */
int pm_run_index_cdict(struct pm_run *run, const char *path, struct pw_cdict *cd,
		       unsigned int mask, const struct pm_name_opts *no,
		       const struct pm_pass_hooks *hooks);

/* Columns every run reads; the others only when a chart needs them. */
#define PM_COLS_BASE                                                        \
	(PW_COLMASK(PW_COL_TIME_NS) | PW_COLMASK(PW_COL_CPU) |              \
	 PW_COLMASK(PW_COL_EVENT) | PW_COLMASK(PW_COL_PID) |                \
	 PW_COLMASK(PW_COL_TASK) | PW_COLMASK(PW_COL_DURATION_NS) |         \
	 PW_COLMASK(PW_COL_NEXT_PID) | PW_COLMASK(PW_COL_NEXT_TASK) |       \
	 PW_COLMASK(PW_COL_PREV_STATE) | PW_COLMASK(PW_COL_EXIT_REASON))
#define PM_COLS_HEATMAPS PW_COLMASK(PW_COL_NEXT_WAIT_NS)	/* wakeup waits */
#define PM_COLS_PROCESS PW_COLMASK(PW_COL_TGID)		/* --group-by process */

/**
 * pm_run_open - open the cdict @path and index it (pm_run_index_cdict())
 * @mask: the columns its passes read: PM_COLS_BASE, with PM_COLS_HEATMAPS
 *	and PM_COLS_PROCESS when needed (every column costs decoding time
 *	at every pass, not memory)
 *
 * Returns a run to free with pm_run_free(), or NULL with *@err set to a
 * negative PW_E* code (message naming the file logged).
 */
struct pm_run *pm_run_open(const char *path, const struct pm_name_opts *no, unsigned int mask,
			    const struct pm_pass_hooks *hooks, int *err);

/**
 * pm_run_find_thread - the thread of @tid named @raw (an index into the
 * string table), or PM_NO_THREAD when no row is about it
 */
uint32_t pm_run_find_thread(const struct pm_run *run, int32_t tid, uint32_t raw);

/* ---- passes over the rows ---- */

/* One piece of a run's rows, as a pass sees it. */
struct pm_rows {
	const struct pw_columns *c;	/* the piece: c->nrows rows, the strings */
	const uint32_t *thread;		/* per row: thread of pid/task, or PM_NO_THREAD */
	const uint32_t *next;		/* per row: thread of next_pid/next_task of a
					 * sched_switch, else PM_NO_THREAD */
};

/** pm_rows_fn - a pass's work on one piece; non-zero stops the pass */
typedef int (*pm_rows_fn)(const struct pm_rows *r, void *ctx);

/**
 * pm_run_scan - hand every row of @run to @fn, in order, piece by piece
 * @mask: the columns @fn reads (PW_COLMASK bits); those the run was not
 *	opened with are NULL, and so may be others
 *
 * Columns are decoded again at every pass, a few row groups in memory at
 * a time. Returns 0, @fn's result, PW_ESTOPPED when the hooks' stop became
 * non-zero (checked between pieces), or a negative PW_E* code (message
 * naming the file logged).
 */
int pm_run_scan(const struct pm_run *run, unsigned int mask, pm_rows_fn fn, void *ctx);

/**
 * pm_run_release - free what pm_run_index() built, not @run itself nor the
 * columns (NULL ok)
 */
void pm_run_release(struct pm_run *run);

/** pm_run_free - release and free a run from pm_run_open() (NULL ok) */
void pm_run_free(struct pm_run *run);

/** pm_run_ent_name - display name of entity @ent; owned by @run */
const char *pm_run_ent_name(const struct pm_run *run, uint32_t ent);

/** pm_run_thread_name - display name of thread @t; owned by @run */
const char *pm_run_thread_name(const struct pm_run *run, uint32_t t);

/**
 * pm_sys_task_base - length of the per-core kernel thread prefix of @name
 *
 * "swapper/3" -> 7 ("swapper"), "kworker/u8:2" -> 7, "ksoftirqd/0" -> 9;
 * 0 when @name is not a per-core kernel thread name.
 */
size_t pm_sys_task_base(const char *name);

/* ---- time window ---- */

/**
 * pm_runs_window - set the window of every run
 * @runs, @n: the runs
 * @from_ms: window start after each run's first event, in ms (>= 0)
 * @cap_ms: window length in ms, or < 0 for "to the end"; with several
 *	runs "to the end" means the shortest of them
 *
 * A run shorter than the cap gets the rest of its capture and a count
 * scale (cap / its window), reported with a warning. Returns 0, or
 * PW_EINVAL when @from_ms lies beyond a capture (message states its length).
 */
int pm_runs_window(struct pm_run **runs, unsigned int n, double from_ms, double cap_ms);

/** pm_run_window_ns - length of @run's window in ns */
static inline uint64_t pm_run_window_ns(const struct pm_run *run)
{
	return run->we - run->ws;
}

/* ---- task selection ---- */

struct pm_select;

/**
 * pm_select_parse - parse a -t value: comma-separated shell patterns
 * matched on the whole display name, or numbers (tids)
 *
 * Returns a selection to free with pm_select_free(), or NULL with *@err
 * set (PW_EINVAL for an empty pattern, PW_ENOMEM).
 */
struct pm_select *pm_select_parse(const char *spec, int *err);

/** pm_select_free - free @s (NULL ok) */
void pm_select_free(struct pm_select *s);

/** pm_select_match - whether thread @tid named @name is selected by @s */
bool pm_select_match(const struct pm_select *s, int32_t tid, const char *name);

/**
 * pm_run_select - mark the threads and entities of @run that @s selects
 *
 * Returns the number of selected threads (0 when nothing matches).
 */
uint32_t pm_run_select(struct pm_run *run, const struct pm_select *s);

/**
 * pm_run_closest - the display names closest to what @spec asked for
 * @names: receives up to @max pointers (owned by @run)
 *
 * Returns how many were stored, closest first.
 */
unsigned int pm_run_closest(const struct pm_run *run, const char *spec,
			    const char **names, unsigned int max);

/* ---- groups ---- */

/**
 * pm_run_group_key - the --group-by key of thread @t into @buf
 *
 * PM_GROUP_GROUP: the group id of an annotated name (the first all-digit
 * dot-separated part after the name: "Firewall.05.vcpu0" -> "05"), else
 * "ungrouped". PM_GROUP_PROCESS: the thread group leader's name and tgid
 * ("qemu:4242"), else "unknown process". PM_GROUP_TASK: "" (one set).
 */
void pm_run_group_key(const struct pm_run *run, uint32_t t, enum pm_group_by g, char *buf,
		      size_t size);

/* ---- listings ---- */

/**
 * pm_run_write_list - the --list table: tid, events in the window and
 * display name of each thread, most active first (ties: lower tid first)
 *
 * Counts the events in the window first (a pass over the rows, unless the
 * window is the whole capture, whose events the index counted). Returns 0,
 * PW_EWRITE, PW_ENOMEM or the error of the pass (message logged).
 */
int pm_run_write_list(struct pm_run *run, FILE *out);

/**
 * pm_run_write_successors - the --successors-of table: which tasks were
 * switched in when a thread @s selects was switched out inside the window,
 * with counts and percentages (per-core kernel threads merged)
 *
 * Returns the number of switch-outs found (>= 0), or PW_EWRITE / PW_ENOMEM.
 */
int64_t pm_run_write_successors(const struct pm_run *run, const struct pm_select *s,
				FILE *out);

/**
 * pm_runs_name - give each run the shortest distinguishing part of its
 * file name (common leading and trailing characters of the base names
 * removed, extended to whole words separated by '-', '_' or '.')
 *
 * Returns 0 or PW_ENOMEM.
 */
int pm_runs_name(struct pm_run **runs, unsigned int n);

#endif
