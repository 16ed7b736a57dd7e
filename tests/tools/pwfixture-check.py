# SPDX-License-Identifier: MIT
# pwfixture-check.py - a perf script (perf script -s) checking that perf reads
# a file written by pwfixture back to exactly what its spec says.
#
#   PWFIXTURE_SPEC=SPEC PWFIXTURE_FORMATS=DIR [PWFIXTURE_KVM_EXIT_FORMAT=FILE]
#   [PWFIXTURE_BIG_ENDIAN=1] perf script -s tests/tools/pwfixture-check.py -i FILE
#
# For every sample, in time order: time, cpu, pid, tid, period (1), the
# thread's comm as perf tracks it from COMM/FORK records, common_type/flags/
# preempt_count from the raw payload, common_pid, and every field
# libtraceevent decodes by name
# (fields the spec does not set must be 0 or ""). This reads the spec with its
# own small parser, independent of pwfixture's. The last line printed is
# "pwfixture-check: ok, N samples" or "pwfixture-check: N problems".

import os
import struct

spec_path = os.environ["PWFIXTURE_SPEC"]
formats = os.environ["PWFIXTURE_FORMATS"]
kvm_exit_format = os.environ.get("PWFIXTURE_KVM_EXIT_FORMAT", "")
big_endian = os.environ.get("PWFIXTURE_BIG_ENDIAN", "") == "1"

seen = []
problems = []


def tokenize(line):
    """Blank-separated tokens; "quotes" group (\\" and \\\\ inside); # at a token start ends the line."""
    toks, i, n = [], 0, len(line)
    while True:
        while i < n and line[i] in " \t\r\n":
            i += 1
        if i >= n or line[i] == "#":
            return toks
        tok, quoted = [], False
        while i < n and (quoted or line[i] not in " \t\r\n"):
            c = line[i]
            if c == '"':
                quoted = not quoted
                i += 1
                continue
            if quoted and c == "\\" and i + 1 < n and line[i + 1] in '"\\':
                i += 1
                c = line[i]
            tok.append(c)
            i += 1
        toks.append("".join(tok))


def num(text):
    """An integer as specs write it: decimal or 0x hex, maybe negative (never octal)."""
    neg = text.startswith("-")
    digits = text[1:] if neg else text
    value = int(digits, 16) if digits[:2].lower() == "0x" else int(digits, 10)
    return -value if neg else value


def ns(text):
    if "." in text:
        sec, frac = text.split(".")
        return int(sec) * 1000000000 + int(frac.ljust(9, "0"))
    return int(text, 10)


def format_id(event):
    name = event + ".format"
    if event == "kvm_exit" and kvm_exit_format:
        name = kvm_exit_format
    path = name if "/" in name else os.path.join(formats, name)
    with open(path) as f:
        for line in f:
            if line.startswith("ID:"):
                return int(line.split(":")[1])
    raise ValueError("no ID in " + path)


def load_spec():
    samples, comms = [], []
    with open(spec_path) as f:
        for no, line in enumerate(f, 1):
            t = tokenize(line)
            if not t:
                continue
            if t[0] == "sample":
                fields, optional = {}, set()
                for kv in t[6:]:
                    k, v = kv.split("=", 1)
                    if k.endswith("?"):
                        k = k[:-1]
                        optional.add(k)
                    fields[k] = v
                ev = t[5].split(":")[-1]
                samples.append(dict(no=no, time=ns(t[1]), cpu=num(t[2]), pid=num(t[3]),
                                    tid=num(t[4]), event=ev, fields=fields,
                                    optional=optional, type=format_id(ev)))
            elif t[0] == "comm":
                comms.append((ns(t[4]) if len(t) > 4 else 0, num(t[2]), t[3]))
            elif t[0] == "fork":
                # the child starts with the parent's comm: (time, tid, parent tid)
                comms.append((ns(t[5]), num(t[3]), ("fork", num(t[4]))))
    samples.sort(key=lambda s: s["time"])  # stable: equal times keep line order
    comms.sort(key=lambda c: c[0])
    return samples, comms


def comm_at(comms, tid, time):
    """The comm perf shows for tid at time: its last COMM (or a fork's inherited one)."""
    if tid == 0:
        return "swapper"
    name = ":%d" % tid
    for t, who, what in comms:
        if t > time:
            break
        if who == tid:
            name = comm_at(comms, what[1], t) if isinstance(what, tuple) else what
    return name


def trace_unhandled(event_name, context, fields, perf_sample_dict):
    seen.append((event_name, dict(fields), perf_sample_dict))


def check(exp, got):
    event_name, fields, psd = got
    s = psd["sample"]
    where = "spec line %d (%s at %d)" % (exp["no"], exp["event"], exp["time"])

    def bad(what, want, have):
        problems.append("%s: %s: expected %r, perf read %r" % (where, what, want, have))

    if event_name.split("__", 1)[-1] != exp["event"]:
        bad("event", exp["event"], event_name)
        return
    for key in ("time", "cpu", "pid", "tid"):
        if s[key] != exp[key]:
            bad(key, exp[key], s[key])
    if s.get("period") != 1:
        bad("period", 1, s.get("period"))
    if fields["common_s"] * 1000000000 + fields["common_ns"] != exp["time"]:
        bad("common_s/ns", exp["time"], (fields["common_s"], fields["common_ns"]))
    if psd.get("comm") != exp["comm"]:
        bad("comm", exp["comm"], psd.get("comm"))
    raw = psd.get("raw_buf", b"")
    ctype, cflags, cpreempt = struct.unpack(">HBB" if big_endian else "<HBB", raw[:4])
    want = exp["fields"]
    for key, have in (("common_type", ctype), ("common_flags", cflags),
                      ("common_preempt_count", cpreempt)):
        default = exp["type"] if key == "common_type" else 0
        w = num(want[key]) if key in want else default
        if have != w:
            bad(key, w, have)
    w = num(want["common_pid"]) if "common_pid" in want else exp["tid"]
    if fields["common_pid"] != w:
        bad("common_pid", w, fields["common_pid"])

    decoded = {k: v for k, v in fields.items() if not k.startswith("common_")}
    for key, have in sorted(decoded.items()):
        if isinstance(have, str):
            w = want.get(key, "")
        else:
            w = num(want[key]) if key in want else 0
        if have != w:
            bad(key, w, have)
    for key in want:
        if key not in decoded and not key.startswith("common_") and key not in exp["optional"]:
            bad("field " + key, want[key], "no such field")


def trace_end():
    samples, comms = load_spec()
    for exp in samples:
        exp["comm"] = comm_at(comms, exp["tid"], exp["time"])
    if len(seen) != len(samples):
        problems.append("spec has %d samples, perf read %d" % (len(samples), len(seen)))
    for exp, got in zip(samples, seen):
        check(exp, got)
    for p in problems:
        print("pwfixture-check: " + p)
    if problems:
        print("pwfixture-check: %d problems" % len(problems))
    else:
        print("pwfixture-check: ok, %d samples" % len(samples))
