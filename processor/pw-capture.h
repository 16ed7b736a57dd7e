/* SPDX-License-Identifier: MIT */
/*
 * pw-capture.h - live capture: which tracepoints this system has, the
 * permission to record them, kernel.sched_schedstats turned on for the
 * capture and restored after it, and `perf record` started with an
 * argument vector (never a shell) writing into a pipe or a file.
 */
#ifndef PW_CAPTURE_H
#define PW_CAPTURE_H

#include <stdbool.h>
#include <sys/types.h>

/* The events perfcap records, and what a capture lacks without them. */
#define PW_CAPTURE_EVENTS(_)                                                        \
	_("sched", "sched_switch", "no run times, context switches or coremaps")    \
	_("sched", "sched_wakeup", "no scheduling delays after a wakeup")           \
	_("sched", "sched_wakeup_new", "no scheduling delays of new tasks")         \
	_("sched", "sched_migrate_task", "no migration counts")                     \
	_("sched", "sched_stat_sleep", "no sleep heatmaps (needs schedstats)")      \
	_("sched", "sched_stat_iowait", "no iowait heatmaps (needs schedstats)")    \
	_("kvm", "kvm_exit", "no KVM exit statistics (kvm module not loaded?)")      \
	_("kvm", "kvm_entry", "no KVM handling times (kvm module not loaded?)")

enum { PW_CAPTURE_NR_EVENTS = 8 };

struct pw_capture_event {
	const char *system;
	const char *name;
	const char *cost;	/* what is missing from the capture without it */
};

/**
 * pw_capture_event - the @i-th event perfcap records (0..PW_CAPTURE_NR_EVENTS-1)
 *
 * Returns a static description, or NULL when @i is out of range.
 */
const struct pw_capture_event *pw_capture_event(int i);

/**
 * pw_capture_probe - which of the events this system has
 * @tracing_dir: the tracefs mount to look in, or NULL for the system's
 *               (found, and mounted if need be, by libtracefs)
 * @present: set for each event, in pw_capture_event() order
 *
 * Returns the number present, or PW_ENOENT when no tracefs is found
 * (message logged).
 */
int pw_capture_probe(const char *tracing_dir, bool present[PW_CAPTURE_NR_EVENTS]);

/**
 * pw_capture_check_access - may this process record tracepoints system-wide?
 * @proc_root: where /proc is ("/proc" when NULL); perf_event_paranoid is
 *             read from PROC_ROOT/sys/kernel/perf_event_paranoid
 *
 * Root may. Another user may only when perf_event_paranoid is -1. Returns
 * 0, or -EPERM with a message saying what to do logged.
 */
int pw_capture_check_access(const char *proc_root);

/* kernel.sched_schedstats, turned on for a capture. */
struct pw_schedstats {
	char *path;		/* the sysctl file; NULL when the kernel has none */
	char old;		/* its value before, '0' or '1' */
	bool changed;		/* turned on by pw_schedstats_enable() */
};

/**
 * pw_schedstats_enable - turn kernel.sched_schedstats on if it is off
 * @s: filled; restore with pw_schedstats_restore() in every case
 * @proc_root: where /proc is ("/proc" when NULL)
 *
 * A kernel without the sysctl is not an error (@s->path is then NULL).
 * Returns 0, or a negative PW_E* code (message logged) when it exists but
 * cannot be read or set.
 */
int pw_schedstats_enable(struct pw_schedstats *s, const char *proc_root);

/**
 * pw_schedstats_restore - put the old value back and release @s
 *
 * Only open() and write() are used, so a signal handler may call it; it
 * does nothing the second time. Returns 0, or -errno when the value could
 * not be written back (no message: the caller reports it).
 */
int pw_schedstats_restore(struct pw_schedstats *s);

/** pw_schedstats_release - free @s's path (after restoring) */
void pw_schedstats_release(struct pw_schedstats *s);

struct pw_perf_opts {
	const char *perf;		/* program: "perf" (searched in PATH) or a path */
	const char *const *events;	/* "sched:sched_switch", ... */
	int nr_events;
	const char *seconds;		/* the capture length, e.g. "1" or "0.5" */
	const char *output;		/* perf.data file to write, or NULL for a pipe */
};

struct pw_perf;

/**
 * pw_perf_start - run `PERF record -a -e E... -o OUT -- sleep SECONDS`
 * @o: what to run
 * @err: set to a negative PW_E* code or -errno on failure (may be NULL)
 *
 * The child is started with fork and exec (an argument vector, no shell),
 * with default SIGINT/SIGTERM handling. With @o->output NULL it writes the
 * pipe layout (`-o -`) into a pipe whose read end pw_perf_fd() gives.
 *
 * Returns a handle to end with pw_perf_wait(), or NULL (message logged,
 * e.g. when the program cannot be executed).
 */
struct pw_perf *pw_perf_start(const struct pw_perf_opts *o, int *err);

/** pw_perf_fd - the read end of perf's output pipe, or -1 for file output */
int pw_perf_fd(const struct pw_perf *p);

/** pw_perf_pid - the child's process id */
pid_t pw_perf_pid(const struct pw_perf *p);

/**
 * pw_perf_command - the command line run, words joined by spaces, for
 * messages; owned by @p
 */
const char *pw_perf_command(const struct pw_perf *p);

/**
 * pw_perf_wait - wait for perf to end, close the pipe, free @p (NULL ok)
 * @status: set to its exit status, or 128 + the signal that ended it
 *
 * Returns 0, or -errno when waiting failed.
 */
int pw_perf_wait(struct pw_perf *p, int *status);

#endif
