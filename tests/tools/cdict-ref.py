#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""cdict-ref.py - an independent cdict reader written from docs/cdict.md alone.

    cdict-ref.py FILE.cdict            rows as tab-separated values
    cdict-ref.py --csv FILE.cdict      rows as perfwhiz-proc --csv prints them
    cdict-ref.py --meta FILE.cdict     the metadata records

It cross-checks the specification against the C library: both must read
every file identically. Unknown integers print as \\N, unknown strings as
\\N, empty strings as nothing. Decompression uses the `zstd` command (no
Python module needed). Slow by design: clarity over speed.
"""
import struct
import subprocess
import sys
import zlib

MAGIC = b"\x89PWCDICT"
END_MAGIC = b"PWCDEND\x89"
NONE = r"\N"
SPARSE = 0x10          # encoding flag of version 2.0: sparse chunk
RUNNING, THREAD = 6, 7  # version 2.1: pid and tgid predicted


class Bad(Exception):
    pass


def unzstd_all(data, frames):
    """Decompresses the frames [(offset, size, raw size)] of @data with one
    zstd run (concatenated frames decompress to concatenated contents)."""
    out = subprocess.run(["zstd", "-d", "-q", "-c"],
                         input=b"".join(data[o:o + n] for o, n, _ in frames),
                         stdout=subprocess.PIPE, check=True).stdout
    if len(out) != sum(r for _, _, r in frames):
        raise Bad("decompressed sizes differ from the index")
    parts, pos = [], 0
    for _, _, r in frames:
        parts.append(out[pos:pos + r])
        pos += r
    return parts


def varint(buf, pos):
    value, shift = 0, 0
    for _ in range(10):
        b = buf[pos]
        pos += 1
        value |= (b & 0x7F) << shift
        shift += 7
        if b < 0x80:
            return value, pos
    raise Bad("varint longer than 10 bytes")


def unzz(z):
    return (z >> 1) ^ -(z & 1)


def wrap64(v):
    return ((v + 2**63) % 2**64) - 2**63


def string(buf, pos):
    n, pos = varint(buf, pos)
    return buf[pos:pos + n], pos + n


def parse_meta(raw):
    meta, pos = {}, 0
    while pos < len(raw):
        key, pos = string(raw, pos)
        typ = raw[pos]
        vlen, pos = varint(raw, pos + 1)
        val, pos = raw[pos:pos + vlen], pos + vlen
        if typ == 1:
            meta[key.decode()] = val.decode(errors="replace")
        elif typ == 2:
            meta[key.decode()] = varint(val, 0)[0]
        elif typ == 3:
            meta[key.decode()] = unzz(varint(val, 0)[0])
        elif typ == 4:
            meta[key.decode()] = bool(val[0])
        elif typ in (5, 6):
            n, p = varint(val, 0)
            items = []
            for _ in range(n):
                s, p = string(val, p)
                if typ == 5:
                    c, p = varint(val, p)
                    items.append((s.decode(), c))
                else:
                    items.append(s.decode())
            meta[key.decode()] = items
    return meta


def predict(enc, t, ev, cpu, pid, npid, names):
    """The duration (4), wait (5) or running (6) predictions of one row group."""
    inmap, out_t, kvm_t, ref = {}, {}, {}, {}
    preds = []
    for i in range(len(t)):
        e, c, p, q, now = names[ev[i]], cpu[i], pid[i], npid[i], t[i]
        P = 0
        if enc == RUNNING:
            if c is not None and c in inmap and inmap[c][0] is not None:
                P = inmap[c][0]
            if e == "sched_switch" and c is not None:
                inmap[c] = (q, now)
        elif enc == 4:
            if e == "sched_switch":
                if c is not None:
                    if p is not None and c in inmap and inmap[c][0] == p:
                        P = now - inmap[c][1]
                    inmap[c] = (q, now)
                if p is not None:
                    out_t[p] = now
            elif e in ("kvm_exit", "kvm_entry"):
                if p is not None:
                    if p in kvm_t:
                        P = now - kvm_t[p]
                    kvm_t[p] = now
            elif e in ("sched_stat_sleep", "sched_stat_iowait"):
                if p is not None and p in out_t:
                    P = now - out_t[p]
        else:
            if e == "sched_switch":
                if q is not None and q in ref:
                    P = now - ref[q]
            if e in ("sched_switch", "sched_wakeup", "sched_wakeup_new") and p is not None:
                ref[p] = now
        preds.append(P % 2**64)
    return preds


def decode(enc, raw, rows, pred, ev, nevents, pid=None):
    """Values of one chunk; ev: the group's events as stored; pid: the
    group's pids (for the thread encoding)."""
    vals, pos, mask, tgid = [], 0, None, {}
    if enc & SPARSE:
        enc &= ~SPARSE
        mask, pos = varint(raw, 0)
        if mask >> min(nevents, 64):
            raise Bad("event mask beyond the events list")
    if enc == 1:
        lo, pos, prev = raw[:rows], rows, 0
        for i in range(rows):
            h, pos = varint(raw, pos)
            prev = (prev + (h << 8) + lo[i]) % 2**64
            vals.append(prev)
    else:
        for i in range(rows):
            if mask is not None and not (ev[i] < 64 and mask >> ev[i] & 1):
                vals.append(None)    # a row without a token
                continue
            tok, pos = varint(raw, pos)
            if tok == 0:
                vals.append(None)
            elif enc == 3:
                vals.append(tok)
            elif enc == THREAD:
                p = pid[i]
                P = 0 if p is None else tgid.get(p, p)
                v = wrap64(unzz(tok - 1) + P)
                if p is not None:
                    tgid[p] = v
                vals.append(v)
            else:
                vals.append(wrap64(unzz(tok - 1) + (pred[i] if pred else 0)))
    if pos != len(raw):
        raise Bad("raw chunk not used up")
    return vals


def read(path):
    data = open(path, "rb").read()
    if data[:8] != MAGIC:
        raise Bad("bad magic")
    major, minor, hsize = struct.unpack_from("<HHI", data, 8)
    if major not in (1, 2):    # 2.0 added the sparse encodings, 2.1 two more
        raise Bad("version %d.%d" % (major, minor))
    tr = data[-32:]
    if tr[24:] != END_MAGIC or struct.unpack_from("<I", tr, 20)[0] != zlib.crc32(tr[:20]):
        raise Bad("bad trailer")
    ix_off, ix_size, ix_crc = struct.unpack_from("<QQI", tr)
    ix = data[ix_off:ix_off + ix_size]
    if zlib.crc32(ix) != ix_crc or ix[:4] != b"PWIX":
        raise Bad("bad index")
    (ihs, ncols, dsz, ngroups, gsz, esz, nstr, nrows, s_off, s_size, s_raw,
     m_off, m_size, m_raw) = struct.unpack_from("<IIIIIIIQQQQQQQ", ix, 4)
    cols = []
    for c in range(ncols):
        cid, enc = struct.unpack_from("<HB", ix, ihs + c * dsz)
        name = ix[ihs + c * dsz + 8:ihs + c * dsz + 32].rstrip(b"\0").decode()
        cols.append((cid, enc, name))
    frames = [(m_off, m_size, m_raw)] + ([(s_off, s_size, s_raw)] if nstr else [])
    gpos = ihs + ncols * dsz
    for g in range(ngroups):
        for i in range(ncols):
            frames.append(struct.unpack_from("<QII", ix, gpos + gsz + i * esz))
        gpos += gsz + ncols * esz
    raws = unzstd_all(data, frames)
    meta = parse_meta(raws.pop(0))
    strings = [None]
    if nstr:
        raw, pos = raws.pop(0), 0
        for _ in range(nstr):
            s, pos = string(raw, pos)
            strings.append(s.decode(errors="replace"))
    names = meta["events"]
    byname = {name: i for i, (cid, enc, name) in enumerate(cols)}
    rows_out = []
    gpos = ihs + ncols * dsz
    for g in range(ngroups):
        first, rows = struct.unpack_from("<QI", ix, gpos)
        col_vals = {}
        # dense columns (event among them) first, predicted ones last, in
        # the order they read each other: pid (running), tgid (thread),
        # then duration and wait
        rank = {RUNNING: 1, THREAD: 2, 4: 3, 5: 3}
        order = sorted(range(ncols), key=lambda i: (rank.get(cols[i][1] & ~SPARSE, 0),
                                                    bool(cols[i][1] & SPARSE)))
        get = lambda n: col_vals.get(n, [None] * rows)
        for i in order:
            cid, enc, name = cols[i]
            pred = None
            if enc & ~SPARSE in (4, 5, RUNNING):
                pred = predict(enc & ~SPARSE, get("time_ns"), get("event"), get("cpu"),
                               get("pid"), get("next_pid"), names)
            col_vals[name] = decode(enc, raws[g * ncols + i], rows, pred,
                                    col_vals.get("event"), len(names), get("pid"))
        for r in range(rows):
            out = []
            for cid, enc, name in cols:
                v = col_vals[name][r]
                if name == "event":
                    out.append(names[v])
                elif enc & ~SPARSE == 3:
                    out.append(NONE if v is None else strings[v])
                else:
                    out.append(NONE if v is None else str(v))
            rows_out.append(out)
        gpos += gsz + ncols * esz
    if len(rows_out) != nrows:
        raise Bad("row count")
    return [name for _, _, name in cols], rows_out, meta


def csv_field(v):
    """perfwhiz's CSV: unknown and empty print as nothing; quote when needed."""
    if v == NONE:
        return ""
    if any(ch in v for ch in ',"\r\n') or len(v) >= 4096:
        return '"' + v.replace('"', '""') + '"'
    return v


def main():
    args = sys.argv[1:]
    mode = args[0] if args and args[0] in ("--meta", "--csv") else None
    if mode:
        args = args[1:]
    if len(args) != 1:
        sys.exit(__doc__)
    try:
        header, rows, meta = read(args[0])
    except (Bad, IndexError, struct.error, subprocess.CalledProcessError) as e:
        sys.exit("%s: %s" % (args[0], e))
    out = sys.stdout
    if mode == "--meta":
        for k, v in meta.items():
            out.write("%s\t%s\n" % (k, v))
    elif mode == "--csv":
        out.write(",".join(header) + "\n")
        for r in rows:
            out.write(",".join(csv_field(v) for v in r) + "\n")
    else:
        out.write("\t".join(header) + "\n")
        for r in rows:
            out.write("\t".join(r) + "\n")


if __name__ == "__main__":
    main()
