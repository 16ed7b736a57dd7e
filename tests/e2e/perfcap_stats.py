#!/usr/bin/env python3
"""Compare perfwhiz statistics (RUN.stats, perfmap --stats) with perf's own.

  perfcap_stats.py timehist STATS PERF_SCHED_TIMEHIST_S_OUTPUT
      every task in the "Runtime summary" of `perf sched timehist -s` has, in
      the scheduler table of STATS, the same sched-in count ("runs") and the
      same run time (ms with 3 decimals, truncated). (Tasks that exited
      during the capture are missing from timehist's summary.)

  perfcap_stats.py kvmstat STATS PERF_KVM_STAT_REPORT_OUTPUT [TID]
      per exit reason, samples, samples%, time%, min, max, average and the
      relative stddev equal what `perf kvm stat report --event=vmexit`
      prints, for all vcpu threads, or (with TID) for the table of that
      vcpu thread against `--vcpu N` (min not compared: perf prints 0.00us
      there, its per-vcpu minimum is never set).

Prints what it checked; exits 1 on mismatches (up to 10 shown).
"""
import re
import sys


def fail(msgs):
    for m in msgs[:10]:
        print("MISMATCH:", m)
    print(f"{len(msgs)} mismatches")
    sys.exit(1)


OURS_TASK = re.compile(r"^\s+(\d+) (.*?)\s+(\d+\.\d{3})\s+(\S+)\s+(\d+)\s+(\d+)\s+(\d+)\s+"
                       r"(\S+)\s+(\S+)\s+(\S+)$")
TH_TASK = re.compile(r"^\s*(.*)\[(\d+)(?:/\d+)?\]\s+(-?\d+)\s+(\d+)\s+(\d+\.\d{3})\s+\d+\.\d{3}\s+"
                     r"\d+\.\d{3}\s+\d+\.\d{3}\s+[\d.]+\s+(\d+)\s*$")


def check_timehist(stats_path, th_path):
    ours = {}
    with open(stats_path, errors="replace") as f:
        section = None
        for line in f:
            if line.startswith("Scheduler"):
                section = "sched"
            elif line.startswith("KVM"):
                section = None
            elif section == "sched":
                m = OURS_TASK.match(line.rstrip("\n"))
                if m:
                    ours[int(m[1])] = (int(m[5]), m[3])
    th = {}
    with open(th_path, errors="replace") as f:
        inside = False
        for line in f:
            if line.startswith("Runtime summary"):
                inside = True
            elif inside and (line.startswith("Idle stats") or line.startswith("Terminated tasks")):
                inside = False
            elif inside:
                m = TH_TASK.match(line.rstrip("\n"))
                if m:
                    th[int(m[2])] = (int(m[4]), m[5])
    msgs = []
    if not th:
        msgs.append("perf sched timehist -s printed no task")
    for tid, (runs, run) in sorted(th.items()):
        if tid not in ours:
            msgs.append(f"tid {tid}: in timehist ({runs} sched-in, {run} ms), not in the stats")
        elif ours[tid] != (runs, run):
            msgs.append(f"tid {tid}: stats say {ours[tid][0]} runs, {ours[tid][1]} ms; "
                        f"timehist {runs} sched-in, {run} ms")
    # timehist's summary leaves out tasks that exited during the capture
    # (perf forgets them): the other way round only the count is shown.
    absent = sum(1 for tid, (runs, _) in ours.items() if runs and tid and tid not in th)
    if msgs:
        fail(msgs)
    print(f"{len(th)} tasks: sched-in counts and run times equal to perf sched timehist -s "
          f"({absent} more that ran are not in its summary: they exited)")


OURS_EXIT = re.compile(r"^\s+(\S+)\s+(\d+)\s+([\d.]+)%\s+([\d.]+)%\s+([\d.]+)us\s+([\d.]+)us\s+"
                       r"([\d.]+)us \( \+-\s*([\d.]+)% \)$")
KS = re.compile(r"^\s*(\S+)\s+(\d+)\s+([\d.]+)%\s+([\d.]+)%\s+([\d.]+)us\s+([\d.]+)us\s+"
                r"([\d.]+)us \( \+-\s*([\d.]+)% \)\s*$")


def check_kvmstat(stats_path, ks_path, tid=None):
    head = "All vcpu threads" if tid is None else f"vcpu thread {tid} ("
    ours, inside = {}, False
    with open(stats_path, errors="replace") as f:
        for line in f:
            if line.startswith(head):
                inside = True
            elif inside and line.startswith("vcpu thread"):
                break
            elif inside:
                m = OURS_EXIT.match(line.rstrip("\n"))
                if m:
                    ours[m[1]] = list(m.groups()[1:])
    want = {}
    with open(ks_path, errors="replace") as f:
        for line in f:
            m = KS.match(line.rstrip("\n"))
            if m and m[1] != "VM-EXIT":
                want[m[1]] = list(m.groups()[1:])
    if tid is not None:
        for v in list(ours.values()) + list(want.values()):
            v[3] = "-"  # min: see above
    if not want:
        fail(["perf kvm stat printed no exit reasons"])
    if ours != want:
        fail([f"perf kvm stat: {want}", f"perfwhiz:       {ours}"])
    what = "all vcpus" if tid is None else f"vcpu thread {tid}"
    print(f"{what}: {len(want)} exit reasons equal to perf kvm stat")


if __name__ == "__main__":
    a = sys.argv[1:]
    if len(a) == 3 and a[0] == "timehist":
        check_timehist(a[1], a[2])
    elif len(a) in (3, 4) and a[0] == "kvmstat":
        check_kvmstat(a[1], a[2], int(a[3]) if len(a) == 4 else None)
    else:
        raise SystemExit(__doc__)
