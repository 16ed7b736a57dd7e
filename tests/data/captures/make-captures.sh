#!/usr/bin/env bash
# How the committed captures in this folder were made (as root, perf 6.1,
# on a 2-CPU x86_64 machine). Re-running makes new ones with other values:
# the tests compare perfwhiz with perf on whatever file is here, never with
# numbers written down from these.
set -euo pipefail
cd "$(dirname "$0")"
ev=(-e sched:sched_switch -e sched:sched_wakeup -e sched:sched_wakeup_new
    -e sched:sched_migrate_task)
work=(perf bench sched messaging -g 1 -l 10)

# file layout, the kept scheduler events
perf record -q -a "${ev[@]}" -o file.data -- "${work[@]}" >/dev/null
# pipe layout (perf record -o -), saved to a file
perf record -q -a "${ev[@]}" -o - -- "${work[@]}" 2>/dev/null >pipe.data
# zstd-compressed records (perf record -z), file and pipe layout
perf record -q -a -z "${ev[@]}" -o zstd.data -- "${work[@]}" >/dev/null
perf record -q -a -z "${ev[@]}" -o - -- "${work[@]}" 2>/dev/null >zstd-pipe.data
# call chains (-g): samples carry PERF_SAMPLE_CALLCHAIN before the raw data
perf record -q -a -g "${ev[@]}" -o callchain.data -- "${work[@]}" >/dev/null
# several events, some perfwhiz does not keep (counted as dropped by name)
perf record -q -a "${ev[@]}" -e sched:sched_stat_runtime -e sched:sched_process_exec \
	-e sched:sched_waking -e irq:softirq_entry -o several.data -- "${work[@]}" >/dev/null
chmod 0644 ./*.data
ls -l ./*.data
