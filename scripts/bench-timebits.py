#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""bench-timebits.py - how few bits the time_ns column of a capture could take,
next to what its cdict spends (scripts/bench.sh, for input (a)).

    scripts/bench-timebits.py RUN.csv TIME_BYTES FILE_BYTES

RUN.csv is `perfwhiz-proc --csv` of the capture; TIME_BYTES the compressed
bytes of its cdict's time_ns column and FILE_BYTES the cdict's size (both
from tests/tools/cdict-stats). Rows are in time order, and the column stores
each row's difference from the previous one, to the nanosecond. The
estimates code each difference as its bit length and its three leading bits
(symbols whose frequencies the coder knows, an ideal entropy coder's cost),
the bits below those raw: first with one table for all rows, then with one
table per context (the previous row's event, this row's, and whether both
are on the same CPU), which a column coded alone cannot do better than
without modelling the trace. Prints one line per estimate with the bytes
per sched_switch row the file would take, the other columns as they are.
"""
import collections
import csv
import math
import sys

LEAD = 3


def symbol(d):
    n = d.bit_length()
    return (n, d) if n <= LEAD else (n, d >> (n - LEAD))


def raw_bits(d):
    return max(d.bit_length() - LEAD, 0)


def entropy_bits(counts):
    n = sum(counts.values())
    return -sum(c * math.log2(c / n) for c in counts.values())


def main(a):
    if len(a) != 4:
        sys.exit(__doc__.split("\n\n")[1])
    time_bytes, file_bytes = int(a[2]), int(a[3])
    prev_t = prev_ev = prev_cpu = None
    one = collections.Counter()
    ctx = collections.defaultdict(collections.Counter)
    raw = rows = switches = 0
    with open(a[1], newline="") as f:
        for r in csv.DictReader(f):
            t, ev, cpu = int(r["time_ns"]), r["event"], r["cpu"]
            rows += 1
            switches += ev == "sched_switch"
            d = t if prev_t is None else t - prev_t
            s = symbol(d)
            one[s] += 1
            ctx[(prev_ev, ev, cpu == prev_cpu)][s] += 1
            raw += raw_bits(d)
            prev_t, prev_ev, prev_cpu = t, ev, cpu
    if not rows or not switches:
        sys.exit("bench-timebits: no rows or no sched_switch rows")
    others = file_bytes - time_bytes
    print("time_ns as written: %.2f bits a row, %.3f bytes per sched_switch row of %.3f"
          % (8 * time_bytes / rows, time_bytes / switches, file_bytes / switches))
    for name, bits in (("one table", entropy_bits(one) + raw),
                       ("per context", sum(entropy_bits(c) for c in ctx.values()) + raw)):
        tb = bits / 8
        print("time_ns coded ideally, %s: %.2f bits a row; the file would take %.3f bytes "
              "per sched_switch row" % (name, bits / rows, (tb + others) / switches))


if __name__ == "__main__":
    main(sys.argv)
