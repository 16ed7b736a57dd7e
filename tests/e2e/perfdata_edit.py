#!/usr/bin/env python3
"""Make broken perf.data files from good ones, for the bad-input tests.

  perfdata_edit.py records FILE            offset, type and size of each record
                                           of the data section (file layout)
  perfdata_edit.py features FILE           bit, offset and size of each feature
                                           section, after "table OFFSET" (file
                                           layout)
  perfdata_edit.py poke FILE OFF FMT VALUE write struct.pack(FMT, VALUE) at OFF
  perfdata_edit.py replace FILE OLD NEW    replace the first OLD bytes with NEW
                                           (same length)
  perfdata_edit.py cut FILE SIZE           truncate to SIZE bytes
  perfdata_edit.py zstd-bomb FILE OFF MIB  replace the record at OFF (file
                                           layout) by a PERF_RECORD_COMPRESSED
                                           whose zstd frame decompresses to MIB
                                           MiB of zeros (RLE blocks, 4 bytes per
                                           128 KiB), moving what follows
"""
import struct
import sys


def records(path):
    d = open(path, "rb").read()
    if d[8:16] == struct.pack("<Q", 16):
        off, end = 16, len(d)
    else:
        off, size = struct.unpack_from("<QQ", d, 40)
        end = off + size
    out = []
    while off + 8 <= end:
        t, _, s = struct.unpack_from("<IHH", d, off)
        out.append(f"{off} {t} {s}\n")
        if s < 8:
            break
        if t == 66:                      # tracing data follows its record
            s += struct.unpack_from("<I", d, off + 8)[0]
        off += s
    try:
        sys.stdout.write("".join(out))
        sys.stdout.flush()
    except BrokenPipeError:          # the reader had what it wanted
        sys.stdout = None


def features(path):
    d = open(path, "rb").read()
    off, size = struct.unpack_from("<QQ", d, 40)
    bits = struct.unpack_from("<4Q", d, 72)
    table = off + size
    print(f"table {table}")
    k = 0
    for b in range(256):
        if bits[b // 64] >> (b % 64) & 1:
            foff, fsize = struct.unpack_from("<QQ", d, table + 16 * k)
            print(f"{b} {foff} {fsize}")
            k += 1


def zstd_bomb(path, off, mib):
    d = bytearray(open(path, "rb").read())
    assert d[8:16] != struct.pack("<Q", 16), "zstd-bomb: file layout only"
    old = struct.unpack_from("<H", d, off + 6)[0]
    nblocks = mib * 8
    frame = struct.pack("<I", 0xFD2FB528) + bytes([0x00, 0x38])  # no sizes; 128 KiB window
    for i in range(nblocks):
        last = i == nblocks - 1
        frame += struct.pack("<I", last | 1 << 1 | (128 << 10) << 3)[:3] + b"\0"
    rec = struct.pack("<IHH", 81, 0, 8 + len(frame)) + frame
    assert len(rec) < 65536, "zstd-bomb: at most 511 MiB"
    delta = len(rec) - old
    d[off:off + old] = rec
    data_off, data_size = struct.unpack_from("<QQ", d, 40)
    struct.pack_into("<Q", d, 48, data_size + delta)
    bits = struct.unpack_from("<4Q", d, 72)
    table = data_off + data_size + delta        # the feature table moved with the data
    k = 0
    for b in range(256):
        if bits[b // 64] >> (b % 64) & 1:
            foff = struct.unpack_from("<Q", d, table + 16 * k)[0]
            struct.pack_into("<Q", d, table + 16 * k, foff + delta)
            k += 1
    open(path, "wb").write(d)


def main(a):
    if a[0] == "records":
        records(a[1])
    elif a[0] == "features":
        features(a[1])
    elif a[0] == "poke":
        with open(a[1], "r+b") as f:
            f.seek(int(a[2]))
            f.write(struct.pack(a[3], int(a[4], 0)))
    elif a[0] == "replace":
        d = open(a[1], "rb").read()
        old, new = a[2].encode(), a[3].encode()
        assert len(old) == len(new) and old in d, "replace: same length, and present"
        open(a[1], "wb").write(d.replace(old, new, 1))
    elif a[0] == "cut":
        with open(a[1], "r+b") as f:
            f.truncate(int(a[2]))
    elif a[0] == "zstd-bomb":
        zstd_bomb(a[1], int(a[2]), int(a[3]))
    else:
        raise SystemExit(__doc__)


if __name__ == "__main__":
    main(sys.argv[1:])
