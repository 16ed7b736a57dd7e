#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""bench-spec.py - a pwfixture spec (tests/tools/README.md) of a busy KVM host,
for the benchmark (scripts/bench.sh).

    scripts/bench-spec.py [--events N] [--cpus N] [--seed N] > big.spec

A host with CPUS cores; on each core two vcpu threads of two VMs, a vhost
thread, ksoftirqd and the idle task. vcpus alternate guest time and exits
(VMX reasons with their typical handling times), halt and get preempted;
vhost threads are woken, run briefly and sleep (sched_stat_sleep /
sched_stat_iowait when they do); the idle task wakes whoever sleeps. Events
are written per CPU between `round` markers, as `perf record -a` drains its
buffers. About four fifths of the events are kvm_exit/kvm_entry. The
output depends only on the arguments.
"""
import argparse
import random
import sys

# VMX exit reasons: (code, weight, handling time range in ns)
REASONS = [
    (48, 30, (800, 3000)),      # EPT_VIOLATION
    (1, 25, (300, 1200)),       # EXTERNAL_INTERRUPT
    (30, 12, (4000, 20000)),    # IO_INSTRUCTION
    (32, 10, (400, 900)),       # MSR_WRITE
    (52, 8, (500, 1500)),       # PREEMPTION_TIMER
    (12, 8, (300, 800)),        # HLT
    (49, 4, (1500, 6000)),      # EPT_MISCONFIG
    (10, 3, (200, 600)),        # CPUID
]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--events", type=int, default=5_200_000)
    ap.add_argument("--cpus", type=int, default=4)
    ap.add_argument("--seed", type=int, default=7)
    args = ap.parse_args()
    rnd = random.Random(args.seed)
    out = sys.stdout
    w = out.write

    codes = [r[0] for r in REASONS]
    weights = [r[1] for r in REASONS]
    handling = {r[0]: r[2] for r in REASONS}
    # Pre-drawn reasons: random.choices per exit would dominate the run time.
    reason_pool = rnd.choices(codes, weights, k=65536)

    ncpu = args.cpus
    tasks = {}      # tid -> (pid, comm, kind, cpu, vcpu_id)
    cpus = []
    for c in range(ncpu):
        local = []
        for k in range(2):
            j = 2 * c + k           # vcpu thread j: vcpu j // ncpu of VM j % ncpu
            vm, vid = j % ncpu, j // ncpu
            qemu = 3000 + 100 * vm
            tid = qemu + 1 + vid
            tasks[tid] = (qemu, "CPU %d/KVM" % vid, "vcpu", c, vid)
            local.append(tid)
        vhost = 5000 + c
        tasks[vhost] = (vhost, "vhost-%d" % (3000 + 200 * c), "vhost", c, 0)
        ksoft = 20 + 10 * c
        tasks[ksoft] = (ksoft, "ksoftirqd/%d" % c, "kthread", c, 0)
        local += [vhost, ksoft]
        cpus.append({
            "cpu": c, "cur": 0, "t": 1_000_000_000 + 137 * c, "ready": [],
            "sleeping": list(local), "slept_at": {tid: 1_000_000_000 for tid in local},
            "in_guest": False, "budget": 0,
        })
    w("# bench-spec.py --events %d --cpus %d --seed %d\n" % (args.events, ncpu, args.seed))
    seen_pid = set()
    for tid, (pid, comm, _, _, _) in sorted(tasks.items()):
        if pid not in seen_pid and pid != tid:
            w('comm %d %d qemu-system-x86\n' % (pid, pid))
        seen_pid.add(pid)
        w('comm %d %d "%s"\n' % (pid, tid, comm))

    def name(c, tid):
        return "swapper/%d" % c["cpu"] if tid == 0 else tasks[tid][1]

    def pid_of(tid):
        return 0 if tid == 0 else tasks[tid][0]

    total = 0
    window = 200_000        # ns of each CPU's time per round
    end = 1_000_000_000
    ri = 0
    while total < args.events:
        end += window
        for c in cpus:
            cpu = c["cpu"]
            t = c["t"]
            lines = []
            add = lines.append
            cur = c["cur"]
            while t < end:
                if cur == 0:
                    # idle: wake a sleeper after a while, or keep idling
                    t += rnd.randint(2000, 30000)
                    if not c["sleeping"]:
                        continue
                    nxt = c["sleeping"].pop(rnd.randrange(len(c["sleeping"])))
                    npid = pid_of(nxt)
                    if tasks[nxt][2] == "vhost":
                        ev = "sched_stat_iowait" if rnd.random() < 0.2 else "sched_stat_sleep"
                        add('sample %d %d 0 0 %s comm="%s" pid=%d delay=%d'
                            % (t, cpu, ev, name(c, nxt), nxt, t - c["slept_at"][nxt]))
                        t += 50
                    add('sample %d %d 0 0 sched_wakeup comm="%s" pid=%d prio=120 target_cpu=%d'
                        % (t, cpu, name(c, nxt), nxt, cpu))
                    t += rnd.randint(500, 3000)
                    add('sample %d %d 0 0 sched_switch prev_comm=swapper/%d prev_pid=0 '
                        'prev_prio=120 prev_state=0 next_comm="%s" next_pid=%d next_prio=120'
                        % (t, cpu, cpu, name(c, nxt), nxt))
                    cur = nxt
                    c["in_guest"] = False
                    c["budget"] = rnd.randint(1, 12)
                    continue
                kind = tasks[cur][2]
                pid = pid_of(cur)
                state = None
                if kind == "vcpu":
                    vid = tasks[cur][4]
                    if not c["in_guest"]:
                        t += rnd.randint(200, 600)
                        add('sample %d %d %d %d kvm_entry vcpu_id=%d rip=0x%x'
                            % (t, cpu, pid, cur, vid, 0xffffffff81000000 + (t & 0xfff0)))
                        c["in_guest"] = True
                    t += int(rnd.expovariate(1 / 6000)) + 100
                    reason = reason_pool[ri & 0xffff]
                    ri += 1
                    add('sample %d %d %d %d kvm_exit exit_reason=%d isa=1 guest_rip=0x%x '
                        'vcpu_id=%d' % (t, cpu, pid, cur, reason,
                                        0xffffffff81000000 + (t & 0xfff0), vid))
                    c["in_guest"] = False
                    lo, hi = handling[reason]
                    t += rnd.randint(lo, hi)
                    vhost = 5000 + cpu
                    if reason == 30 and vhost in c["sleeping"]:
                        # the I/O kicks the vhost thread
                        c["sleeping"].remove(vhost)
                        c["ready"].append(vhost)
                        add('sample %d %d %d %d sched_wakeup comm="%s" pid=%d prio=120 '
                            'target_cpu=%d' % (t, cpu, pid, cur, name(c, vhost), vhost, cpu))
                        t += 100
                    c["budget"] -= 1
                    if reason == 12 and rnd.random() < 0.5:
                        state = 1                       # halted: sleeps
                    elif c["budget"] <= 0:
                        state = 0x100 if c["ready"] or c["sleeping"] else None
                    if state is None:
                        add('sample %d %d %d %d kvm_entry vcpu_id=%d rip=0x%x'
                            % (t, cpu, pid, cur, vid, 0xffffffff81000000 + (t & 0xfff0)))
                        c["in_guest"] = True
                        if c["budget"] <= 0:
                            c["budget"] = rnd.randint(1, 12)
                        continue
                else:
                    t += rnd.randint(2000, 20000)
                    state = 2 if kind == "vhost" and rnd.random() < 0.1 else 1
                # cur leaves
                if state == 0x100:
                    c["ready"].append(cur)
                    if c["sleeping"]:
                        woke = c["sleeping"].pop(rnd.randrange(len(c["sleeping"])))
                        add('sample %d %d %d %d sched_wakeup comm="%s" pid=%d prio=120 '
                            'target_cpu=%d' % (t, cpu, pid, cur, name(c, woke), woke, cpu))
                        t += 100
                        c["ready"].append(woke)
                else:
                    c["sleeping"].append(cur)
                    c["slept_at"][cur] = t
                nxt = c["ready"].pop(0) if c["ready"] else 0
                t += 200
                add('sample %d %d %d %d sched_switch prev_comm="%s" prev_pid=%d prev_prio=120 '
                    'prev_state=%d next_comm="%s" next_pid=%d next_prio=120'
                    % (t, cpu, pid, cur, name(c, cur), cur, state, name(c, nxt), nxt))
                cur = nxt
                c["in_guest"] = False
                c["budget"] = rnd.randint(1, 12)
            c["t"] = t
            c["cur"] = cur
            total += len(lines)
            if lines:
                w("\n".join(lines))
                w("\n")
        w("round\n")


if __name__ == "__main__":
    main()
