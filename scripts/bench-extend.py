#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""bench-extend.py - make a big perf.data stream by repeating a pipe-layout capture.

    bench-extend.py IN.data OUT.data MIN_BYTES

IN is a pipe-layout perf.data (`perf record -o -`, `pwfixture --pipe`).
OUT holds IN's header, attributes, features and tracing data once, then IN's
records again and again, each copy shifted in time to start after the
previous one ended, until OUT has at least MIN_BYTES. Samples and
FINISHED_ROUND records are repeated; other records (COMM, FORK, ...) only
appear in the first copy. So OUT is one long, valid capture of the same
tasks doing the same things, for showing that a reader's memory does not
grow with its input. Every sample must carry PERF_SAMPLE_TIME.
"""
import os
import struct
import sys

HEADER_ATTR = 64
HEADER_TRACING_DATA = 66
FINISHED_ROUND = 68
RECORD_SAMPLE = 9
SAMPLE_IP, SAMPLE_TID, SAMPLE_TIME, SAMPLE_IDENTIFIER = 1 << 0, 1 << 1, 1 << 2, 1 << 16


def die(msg):
    sys.exit("bench-extend: " + msg)


def main():
    if len(sys.argv) != 4:
        die("usage: bench-extend.py IN.data OUT.data MIN_BYTES")
    src, dst, want = sys.argv[1], sys.argv[2], int(sys.argv[3])
    with open(src, "rb") as f:
        data = f.read()
    magic, hsize = struct.unpack_from("<8sQ", data, 0)
    if magic != b"PERFILE2" or hsize != 16:
        die("%s: not a little-endian pipe-layout perf.data" % src)
    pos, sample_types = 16, set()
    # the prefix: attributes, features, tracing data
    while pos < len(data):
        rtype, _, size = struct.unpack_from("<IHH", data, pos)
        if rtype < HEADER_ATTR or rtype == FINISHED_ROUND:
            break
        if rtype == HEADER_ATTR:
            sample_types.add(struct.unpack_from("<Q", data, pos + 8 + 24)[0])
        if rtype == HEADER_TRACING_DATA:
            size += struct.unpack_from("<I", data, pos + 8)[0]
        pos += size
    prefix_end = pos
    if len(sample_types) != 1:
        die("%s: the attributes have %d sample types; one is needed" % (src, len(sample_types)))
    st = sample_types.pop()
    if not st & SAMPLE_TIME:
        die("%s: samples carry no time" % src)
    toff = 8 + 8 * sum(1 for b in (SAMPLE_IDENTIFIER, SAMPLE_IP, SAMPLE_TID) if st & b)

    # the repeated part: samples and rounds, 8-byte aligned within `body`
    body = bytearray()
    times = []              # u64 index in body of each sample's time
    tmin, tmax = None, 0
    while pos < len(data):
        rtype, _, size = struct.unpack_from("<IHH", data, pos)
        if size < 8 or size % 8:
            die("%s: offset %d: a record of %d bytes" % (src, pos, size))
        if rtype == RECORD_SAMPLE:
            t = struct.unpack_from("<Q", data, pos + toff)[0]
            tmin = t if tmin is None else min(tmin, t)
            tmax = max(tmax, t)
            times.append((len(body) + toff) // 8)
        if rtype in (RECORD_SAMPLE, FINISHED_ROUND):
            body += data[pos:pos + size]
        pos += size
    if tmin is None:
        die("%s: no samples" % src)
    span = tmax - tmin + 1_000_000      # each copy starts 1 ms after the last one
    words = memoryview(body).cast("Q")
    orig = [words[i] for i in times]
    with open(dst + ".tmp", "wb") as out:
        out.write(data)
        written, copy = len(data), 0
        while written < want:
            copy += 1
            shift = copy * span
            for i, t in zip(times, orig):
                words[i] = t + shift
            out.write(body)
            written += len(body)
    os.replace(dst + ".tmp", dst)
    print("bench-extend: %s: %d bytes, %d copies of %d samples after the first"
          % (dst, written, copy, len(times)))


if __name__ == "__main__":
    main()
