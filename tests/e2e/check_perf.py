#!/usr/bin/env python3
"""Compare perfwhiz-proc's CSV with perf's own decoding of the same capture.

  check_perf.py script CSV PERF_SCRIPT_OUTPUT
      every sample of a kept event that `perf script --ns -F tid,pid,cpu,time,event,trace` prints
      must be a row of the CSV, in the same order, with the same time, cpu,
      pids, names, prev_state, target cpu, sleep/iowait delay and kvm exit
      reason; and nothing more.
  check_perf.py timehist CSV PERF_SCHED_TIMEHIST_OUTPUT [--no-delay]
      every sched_switch's duration_ns equals the run time that
      `perf sched timehist` prints for that switch (to its microsecond
      precision), and the next_wait_ns of a task woken up equals the
      sch delay timehist prints when that task is switched out again
      (--no-delay: not compared, for captures holding sched_waking, which
      timehist prefers to sched_wakeup).

  check_perf.py kvmstat CSV PERF_KVM_STAT_REPORT_OUTPUT
      per exit reason, the samples, min, max and average of the kvm_entry
      durations equal what `perf kvm stat report --event=vmexit` prints.

Prints what it checked; exits 1 on the first mismatches (up to 10 shown).
"""
import csv
import re
import sys

KEPT = {"sched_switch", "sched_wakeup", "sched_wakeup_new", "sched_migrate_task",
        "sched_stat_sleep", "sched_stat_iowait", "kvm_exit", "kvm_entry"}


def load_csv(path):
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def fail(msgs):
    for m in msgs[:10]:
        print("MISMATCH:", m)
    print(f"{len(msgs)} mismatches")
    sys.exit(1)


LINE = re.compile(r"^\s*(-?\d+)/(-?\d+)\s+\[(\d+)\]\s+(\d+)\.(\d{9}):\s+(\w+):(\w+):\s?(.*)$")
SWITCH = re.compile(r"^prev_comm=(.*) prev_pid=(-?\d+) prev_prio=-?\d+ prev_state=(\S+) ==> "
                    r"next_comm=(.*) next_pid=(-?\d+) next_prio=-?\d+$")
WAKEUP = re.compile(r"^comm=(.*) pid=(-?\d+) prio=-?\d+(?: success=\d+)? target_cpu=(\d+)$")
STAT = re.compile(r"^comm=(.*) pid=(-?\d+) delay=(\d+) \[ns\]$")
KVM_EXIT = re.compile(r"reason (.*?) rip 0x")
MIGRATE = re.compile(r"^comm=(.*) pid=(-?\d+) prio=-?\d+ orig_cpu=\d+ dest_cpu=(\d+)$")


def expected_from_script(path):
    rows = []
    with open(path, errors="replace") as f:
        for line in f:
            m = LINE.match(line.rstrip("\n"))
            if not m:
                continue
            pid, tid, cpu, sec, nsec, system, event, trace = m.groups()  # "pid/tid"
            if event not in KEPT:
                continue
            time_ns = str(int(sec) * 1000000000 + int(nsec))
            row = {"time_ns": time_ns, "cpu": str(int(cpu)), "event": event}
            if event == "sched_switch":
                s = SWITCH.match(trace)
                if not s:
                    raise SystemExit(f"cannot parse perf script line: {line!r}")
                row.update(task=s[1], pid=s[2], prev_state=s[3], next_task=s[4], next_pid=s[5])
                if tid == s[2]:
                    row["tgid"] = pid
            elif event.startswith("sched_stat_"):
                s = STAT.match(trace)
                row.update(task=s[1], pid=s[2], duration_ns=s[3])
            elif event == "kvm_exit":
                row.update(pid=tid, tgid=pid, exit_reason=KVM_EXIT.search(trace)[1])
            elif event == "kvm_entry":
                row.update(pid=tid, tgid=pid)
            elif event == "sched_migrate_task":
                s = MIGRATE.match(trace)
                row.update(task=s[1], pid=s[2], target_cpu=str(int(s[3])))
            else:
                s = WAKEUP.match(trace)
                if not s:
                    raise SystemExit(f"cannot parse perf script line: {line!r}")
                row.update(task=s[1], pid=s[2], target_cpu=str(int(s[3])))
            rows.append(row)
    return rows


def check_script(csv_path, script_path):
    ours = [r for r in load_csv(csv_path) if r["event"] in KEPT]
    want = expected_from_script(script_path)
    msgs = []
    if len(ours) != len(want):
        msgs.append(f"perf script has {len(want)} kept samples, the CSV {len(ours)} rows")
    for i, (o, w) in enumerate(zip(ours, want)):
        for k, v in w.items():
            if o[k] != v:
                msgs.append(f"row {i + 1} ({w['time_ns']} {w['event']}): {k} is "
                            f"{o[k]!r}, perf script says {v!r}")
    if msgs:
        fail(msgs)
    by_event = {}
    for w in want:
        by_event[w["event"]] = by_event.get(w["event"], 0) + 1
    print(f"{len(want)} samples equal to perf script: {by_event}")


def msec(ns):
    """timehist's print_sched_time(): msec.usec, truncated."""
    ns = int(ns)
    return f"{ns // 1000000}.{(ns % 1000000) // 1000:03d}"


TH = re.compile(r"^\s*(\d+\.\d{6})\s+\[(\d+)\]\s+(.*?)\s+(\d+\.\d{3})\s+(\d+\.\d{3})\s+(\d+\.\d{3})\s*$")


def check_timehist(csv_path, th_path, delays=True):
    th = {}
    with open(th_path, errors="replace") as f:
        for line in f:
            m = TH.match(line.rstrip("\n"))
            if m:
                th.setdefault((m[1], int(m[2])), []).append((m[3], m[4], m[5], m[6]))
    rows = load_csv(csv_path)
    # perf replaces a thread's state when it processes the thread's FORK
    # record, which can come after the new task's first wakeup: timehist
    # then shows no delay for it. Tasks born during the capture (a
    # sched_wakeup_new row) are left out of the delay comparison.
    born = {r["pid"] for r in rows if r["event"] == "sched_wakeup_new"}
    last_in = {}        # cpu -> (pid, next_wait_ns, woken) of the last switch-in
    left_preempted = {}  # pid -> its last switch-out was a preemption (R)
    n_run = n_delay = 0
    msgs = []
    for r in rows:
        if r["event"] != "sched_switch":
            continue
        t = int(r["time_ns"])
        key = (f"{t // 1000000000}.{(t % 1000000000) // 1000:06d}", int(r["cpu"]))
        cands = th.get(key)
        if not cands:
            msgs.append(f"switch at {r['time_ns']} on cpu {r['cpu']}: not in timehist")
            continue
        if len(cands) == 1:
            wait, delay, run = cands[0][1:]
            if r["duration_ns"]:
                n_run += 1
                if msec(r["duration_ns"]) != run:
                    msgs.append(f"switch at {r['time_ns']} cpu {r['cpu']}: run time "
                                f"{r['duration_ns']} ns, timehist {run} ms")
            prev = last_in.get(int(r["cpu"]))
            if (delays and prev and prev[0] == r["pid"] and prev[2] and r["pid"] != "0"
                    and r["pid"] not in born):
                n_delay += 1
                if msec(prev[1]) != delay:
                    msgs.append(f"switch at {r['time_ns']} cpu {r['cpu']}: next_wait_ns "
                                f"{prev[1]} at switch-in, timehist sch delay {delay} ms")
        woken = r["next_wait_ns"] != "" and not left_preempted.get(r["next_pid"], False)
        last_in[int(r["cpu"])] = (r["next_pid"], r["next_wait_ns"], woken)
        left_preempted[r["pid"]] = r["prev_state"].startswith("R")
    if msgs:
        fail(msgs)
    if n_run == 0:
        fail(["no switch had a run time to compare"])
    print(f"{n_run} run times and {n_delay} scheduling delays equal to perf sched timehist")


KS = re.compile(r"^\s*(\S+)\s+(\d+)\s+[\d.]+%\s+[\d.]+%\s+([\d.]+)us\s+([\d.]+)us\s+([\d.]+)us")


def check_kvmstat(csv_path, ks_path):
    """Per exit reason: samples, min, max and average handling time (exit to
    the next entry of the same thread, the kvm_entry rows' duration_ns) equal
    what `perf kvm stat report --event=vmexit` prints, to its 0.01 us."""
    want = {}
    with open(ks_path) as f:
        for line in f:
            m = KS.match(line)
            if m and m[1] != "VM-EXIT":
                want[m[1]] = (int(m[2]), m[3], m[4], m[5])
    last_reason, seen_entry, times = {}, set(), {}
    for r in load_csv(csv_path):
        if r["event"] == "kvm_exit":
            last_reason[r["pid"]] = r["exit_reason"] if r["pid"] in seen_entry else None
        elif r["event"] == "kvm_entry":
            seen_entry.add(r["pid"])
            reason = last_reason.pop(r["pid"], None)
            if reason is not None and r["duration_ns"]:
                times.setdefault(reason, []).append(int(r["duration_ns"]))
    us = lambda ns: f"{ns / 1000:.2f}"
    got = {k: (len(v), us(min(v)), us(max(v)), us(sum(v) / len(v))) for k, v in times.items()}
    if not want:
        fail(["perf kvm stat printed no exit reasons"])
    if got != want:
        fail([f"perf kvm stat: {want}", f"perfwhiz:       {got}"])
    print(f"{len(want)} exit reasons equal to perf kvm stat: {want}")


if __name__ == "__main__":
    args = sys.argv[1:]
    no_delay = "--no-delay" in args
    args = [a for a in args if a != "--no-delay"]
    if len(args) != 3 or args[0] not in ("script", "timehist", "kvmstat"):
        raise SystemExit(__doc__)
    if args[0] == "kvmstat":
        check_kvmstat(args[1], args[2])
    elif args[0] == "script":
        check_script(args[1], args[2])
    else:
        check_timehist(args[1], args[2], not no_delay)
