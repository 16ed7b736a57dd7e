/* SPDX-License-Identifier: MIT */
/*
 * pw-row.h - one kept event, as the processor derives it: the unit that
 * flows from the decoder to the CSV and cdict writers.
 */
#ifndef PW_ROW_H
#define PW_ROW_H

#include <stdint.h>

/* The kept events, in the order of the `event` column's dictionary. */
#define PW_EVENTS(_)                                   \
	_(SCHED_SWITCH, "sched_switch")                \
	_(SCHED_WAKEUP, "sched_wakeup")                \
	_(SCHED_WAKEUP_NEW, "sched_wakeup_new")        \
	_(SCHED_MIGRATE_TASK, "sched_migrate_task")    \
	_(SCHED_STAT_SLEEP, "sched_stat_sleep")        \
	_(SCHED_STAT_IOWAIT, "sched_stat_iowait")      \
	_(KVM_EXIT, "kvm_exit")                        \
	_(KVM_ENTRY, "kvm_entry")

enum pw_event {
#define PW_EV_ENUM(id, name) PW_EV_##id,
	PW_EVENTS(PW_EV_ENUM)
#undef PW_EV_ENUM
	PW_EV__MAX
};

/**
 * pw_event_name - the event's name as it appears in the `event` column
 * @ev: a value of enum pw_event
 *
 * Returns a static string, or NULL when @ev is out of range.
 */
const char *pw_event_name(int ev);

/**
 * pw_event_from_name - the enum value for a tracepoint name
 * @name: "sched_switch", ... (without the "sched:" system prefix)
 *
 * Returns the enum pw_event value, or -1 when @name is not a kept event.
 */
int pw_event_from_name(const char *name);

/* "Unknown" sentinel for the integer columns: printed as an empty field. */
#define PW_NONE INT64_MIN
/* The same in 32-bit loaded columns (cpu, pid, tgid, next_pid, target_cpu). */
#define PW_NONE32 INT32_MIN

/*
 * One row. Columns, in order: time_ns, cpu, event, pid, tgid, task,
 * duration_ns, next_pid, next_task, prev_state, next_wait_ns, exit_reason,
 * target_cpu. Integer columns hold PW_NONE when unknown, string columns
 * NULL. Strings are owned by the producer and valid only until the next
 * row is produced: consumers that keep them must copy (or intern) them.
 */
struct pw_row {
	uint64_t time_ns;	/* perf timestamp, ns */
	int64_t cpu;		/* CPU the sample was taken on */
	int event;		/* enum pw_event */
	int64_t pid;		/* see DESIGN.md, "Events and derived values" */
	int64_t tgid;
	const char *task;
	int64_t duration_ns;
	int64_t next_pid;
	const char *next_task;
	const char *prev_state;
	int64_t next_wait_ns;
	const char *exit_reason;
	int64_t target_cpu;	/* sched_wakeup*: target_cpu; migrate: dest_cpu */
};

/* Column names, in column order, for headers and the cdict index. */
#define PW_COLUMNS(_)          \
	_(TIME_NS, "time_ns")          \
	_(CPU, "cpu")                  \
	_(EVENT, "event")              \
	_(PID, "pid")                  \
	_(TGID, "tgid")                \
	_(TASK, "task")                \
	_(DURATION_NS, "duration_ns")  \
	_(NEXT_PID, "next_pid")        \
	_(NEXT_TASK, "next_task")      \
	_(PREV_STATE, "prev_state")    \
	_(NEXT_WAIT_NS, "next_wait_ns") \
	_(EXIT_REASON, "exit_reason")  \
	_(TARGET_CPU, "target_cpu")

enum pw_column {
#define PW_COL_ENUM(id, name) PW_COL_##id,
	PW_COLUMNS(PW_COL_ENUM)
#undef PW_COL_ENUM
	PW_COL__MAX
};

/**
 * pw_column_name - the name of column @col (enum pw_column), or NULL.
 */
const char *pw_column_name(int col);

/* A consumer of rows. Returns 0, or a negative pw error code to stop. */
typedef int (*pw_row_fn)(const struct pw_row *row, void *ctx);

/*
 * A consumer of rows built in its own memory, a room at a time: takes the
 * rows built from the room's start up to @upto (excluded), and sets *@room
 * and *@end to the next room (at least one slot). Returns as pw_row_fn;
 * after an error (when it need not set a room) no row is built in its
 * memory again.
 */
typedef int (*pw_rows_fn)(struct pw_row *upto, struct pw_row **room, struct pw_row **end,
			  void *ctx);

#endif
