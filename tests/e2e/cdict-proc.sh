# perfwhiz-proc and the cdict: perf.data -> cdict -> CSV equals perf.data ->
# CSV byte for byte on every capture and fixture (also with tiny chunks, so
# chunk boundaries are crossed); default output names; renaming with a map
# in place; the original tool's cdict; and outputs that appear whole or not
# at all (interrupted runs, full disks, errors).
. "$(dirname "$0")/lib.sh"
caps=$PW_TOP/tests/data/captures
fx=$PW_TOP/tests/data/fixtures
pwfixture=$PW_BUILD/tests/pwfixture
export PW_TOP

no_temp() { ! ls -a "$1" | grep -q '\.tmp\.\|\.cdict\.' || { ls -la "$1"; die "temporary file left in $1"; }; }

# -- round trips
inputs=("$caps"/*.data)
"$pwfixture" -o "$PW_TMP/vmx.data" "$fx/kvm-vmx.spec"
"$pwfixture" --pipe --cpuid AuthenticAMD,25,1,1 --kvm-exit-format kvm_exit-linux4.format \
	-o "$PW_TMP/svm-pipe.data" "$fx/kvm-svm.spec"
"$pwfixture" -o "$PW_TMP/sched.data" "$fx/sched.spec"
inputs+=("$PW_TMP/vmx.data" "$PW_TMP/svm-pipe.data" "$PW_TMP/sched.data")
for f in "${inputs[@]}"; do
	n=$(basename "$f" .data)
	perfwhiz-proc -q -i "$f" --csv "$PW_TMP/$n.direct.csv"
	perfwhiz-proc -q -i "$f" -o "$PW_TMP/$n.cdict" --csv "$PW_TMP/$n.both.csv"
	perfwhiz-proc -q -i "$PW_TMP/$n.cdict" --csv "$PW_TMP/$n.back.csv"
	perfwhiz-proc -q -i "$f" --chunk-rows 7 -o "$PW_TMP/$n.tiny.cdict"
	perfwhiz-proc -q -i "$PW_TMP/$n.tiny.cdict" --csv "$PW_TMP/$n.tiny.csv"
	cmp -s "$PW_TMP/$n.direct.csv" "$PW_TMP/$n.back.csv" || die "$n: cdict round trip differs"
	cmp -s "$PW_TMP/$n.direct.csv" "$PW_TMP/$n.both.csv" || die "$n: -o with --csv differs"
	cmp -s "$PW_TMP/$n.direct.csv" "$PW_TMP/$n.tiny.csv" || die "$n: tiny chunks differ"
	rows=$(($(wc -l <"$PW_TMP/$n.direct.csv") - 1))
	[ "$rows" -gt 0 ] || die "$n: no rows"
	perfwhiz-proc --info "$PW_TMP/$n.cdict" >"$PW_TMP/$n.info"
	grep -q "^  total  *$rows\$" "$PW_TMP/$n.info" || { cat "$PW_TMP/$n.info"; die "$n: --info total is not $rows"; }
	echo "ok  $n: $rows rows, cdict $(stat -c %s "$PW_TMP/$n.cdict") bytes, round trips equal"
done
grep -q '^host:  *vm\|^host:  *[a-z]' "$PW_TMP/file.info" || die "no host in the metadata"
grep -q '^command line: .*perf record' "$PW_TMP/file.info" || die "no command line in the metadata"

# -- default output names: the input's base name, perf.cdict for a pipe
mkdir "$PW_TMP/cwd"
(cd "$PW_TMP/cwd" && perfwhiz-proc -q -i "$caps/file.data" && cat "$caps/pipe.data" | perfwhiz-proc -q)
[ -s "$PW_TMP/cwd/file.cdict" ] || die "no file.cdict by default"
[ -s "$PW_TMP/cwd/perf.cdict" ] || die "no perf.cdict for standard input"
no_temp "$PW_TMP/cwd"
echo "ok  default output names"

# -- a name map applied to an existing cdict, in place
printf '# tid,instance,type,uuid,group-type,group-id,name\n\n%s,,vcpu0,,,5,Firewall\n%s,instance-01,emulator,uuid,FULL,12,Router\n' \
	"$(awk -F, 'NR == 3 { print $4 }' "$PW_TMP/file.direct.csv")" \
	"$(awk -F, 'NR == 3 { print $8 }' "$PW_TMP/file.direct.csv")" >"$PW_TMP/map.csv"
cp "$PW_TMP/file.cdict" "$PW_TMP/remap.cdict"
ino=$(stat -c %i "$PW_TMP/remap.cdict")
perfwhiz-proc -q -i "$PW_TMP/remap.cdict" --map "$PW_TMP/map.csv" -o "$PW_TMP/remap.cdict"
[ "$(stat -c %i "$PW_TMP/remap.cdict")" != "$ino" ] || die "remap did not replace the file atomically"
perfwhiz-proc -q -i "$PW_TMP/remap.cdict" --csv "$PW_TMP/remap.csv"
perfwhiz-proc -q -i "$caps/file.data" --map "$PW_TMP/map.csv" --csv "$PW_TMP/mapped.csv"
cmp -s "$PW_TMP/remap.csv" "$PW_TMP/mapped.csv" || die "remapping a cdict differs from mapping at conversion"
grep -q ',Firewall.05.vcpu0,' "$PW_TMP/remap.csv" || die "no Firewall.05.vcpu0"
grep -q ',Router.12.emulator,' "$PW_TMP/remap.csv" || die "no Router.12.emulator"
perfwhiz-proc --info "$PW_TMP/remap.cdict" | grep -q "^name map: *$PW_TMP/map.csv (sha256 $(sha256sum "$PW_TMP/map.csv" | cut -c1-64))" \
	|| die "the metadata does not record the map and its digest"
no_temp "$PW_TMP"
# a malformed map: an error naming the file and line, the cdict untouched
printf '1234,,vcpu0,,,5,Firewall\nabc,,vcpu1,,,5,Firewall\n' >"$PW_TMP/bad-map.csv"
cp "$PW_TMP/remap.cdict" "$PW_TMP/before.cdict"
rc=0
perfwhiz-proc -q -i "$PW_TMP/remap.cdict" --map "$PW_TMP/bad-map.csv" -o "$PW_TMP/remap.cdict" 2>"$PW_TMP/err" || rc=$?
[ $rc -eq 1 ] || die "a bad map: exit $rc"
grep -q "bad-map.csv:2" "$PW_TMP/err" || { cat "$PW_TMP/err"; die "the bad map's line is not named"; }
cmp -s "$PW_TMP/before.cdict" "$PW_TMP/remap.cdict" || die "a bad map changed the cdict"
echo "ok  name map: in place, recorded with its digest, bad map refused"

# -- the original tool's cdict
legacy=$PW_SHARED/legacy-sample.cdict
if [ -f "$legacy" ]; then
	perfwhiz-proc -q -i "$legacy" -o "$PW_TMP/legacy.cdict"
	perfwhiz-proc -q -i "$PW_TMP/legacy.cdict" --csv "$PW_TMP/legacy.csv"
	[ "$(($(wc -l <"$PW_TMP/legacy.csv") - 1))" = 513 ] || die "legacy sample: not 513 rows"
	perfwhiz-proc --info "$PW_TMP/legacy.cdict" | grep -q '^converted: ' || die "legacy: no note in the metadata"
	perfwhiz-proc -q -i "$PW_SHARED/legacy-sample.perf.data" --csv "$PW_TMP/legacy-perf.csv"
	python3 - "$PW_TMP/legacy.csv" "$PW_TMP/legacy-perf.csv" <<'PY' || die "legacy rows differ from perfwhiz's conversion of the perf.data"
import csv, sys
# The original tool left out its own capture process (perf) and stored the
# rest, times in microseconds from its first stored row: every one of its
# rows must be found, in order, among perfwhiz's sched_switch rows. It named
# tasks by perf's thread name, not the payload's, so a task that exec'd
# (perf-exec -> perf) may carry its other name: any name perfwhiz saw for
# that pid is accepted, and counted.
old = list(csv.DictReader(open(sys.argv[1])))
new = [r for r in csv.DictReader(open(sys.argv[2])) if r["event"] == "sched_switch"]
assert len(old) == 513, len(old)
names = {}
for r in new:
    names.setdefault(r["pid"], set()).add(r["task"])
    names.setdefault(r["next_pid"], set()).add(r["next_task"])
key = lambda r: (r["cpu"], r["pid"], r["next_pid"])
renamed = 0
def same(o, n):
    global renamed
    if key(o) != key(n):
        return False
    ok = o["task"] in names[n["pid"]] and o["next_task"] in names[n["next_pid"]]
    renamed += ok and (o["task"], o["next_task"]) != (n["task"], n["next_task"])
    return ok
j, t0, skipped = 0, None, set()
for i, o in enumerate(old):
    while j < len(new) and not same(o, new[j]):
        skipped.add(new[j]["task"])
        j += 1
    if j == len(new):
        sys.exit(f"original row {i + 1} {key(o)} at {o['time_ns']} ns not found")
    if t0 is None:
        t0 = int(new[j]["time_ns"])
    us = (int(new[j]["time_ns"]) - t0) / 1000
    if abs(us - int(o["time_ns"]) / 1000) > 1:
        sys.exit(f"original row {i + 1}: {int(o['time_ns']) // 1000} us, perfwhiz {us:.3f} us")
    j += 1
print(f"513 of 513 original rows found in order, times within 1 us, {renamed} named "
      f"by an exec'd task's other name; perfwhiz also has rows of {sorted(skipped)}")
if skipped - {"perf", "perf-exec"}:
    sys.exit("rows left out for other tasks than perf's own")
PY
	echo "ok  original-format cdict"
else
	echo "(no $legacy: original-format check skipped)"
fi

# -- bad inputs and outputs leave nothing behind
printf 'hello' >"$PW_TMP/junk"
rc=0; perfwhiz-proc -q -i "$PW_TMP/junk" -o "$PW_TMP/junk.cdict" 2>"$PW_TMP/err" || rc=$?
[ $rc -eq 1 ] && grep -q 'junk: offset 0' "$PW_TMP/err" && [ ! -e "$PW_TMP/junk.cdict" ] || die "junk input"
rc=0; perfwhiz-proc -q -i "$caps/file.data" -o "$PW_TMP/no/such/dir/x.cdict" 2>"$PW_TMP/err" || rc=$?
[ $rc -eq 1 ] && grep -q 'no/such/dir/x.cdict' "$PW_TMP/err" || die "unwritable output directory"
# a row count that is not one is a usage error, not a silent default
for n in abc 12x -5 0 1048577 99999999999; do
	rc=0; perfwhiz-proc -q -i "$caps/file.data" --chunk-rows "$n" -o "$PW_TMP/rows.cdict" 2>"$PW_TMP/err" || rc=$?
	[ $rc -eq 2 ] && grep -q "^perfwhiz-proc: --chunk-rows: '$n' is not a number of rows from 1 to 1048576$" "$PW_TMP/err" &&
		[ ! -e "$PW_TMP/rows.cdict" ] || { cat "$PW_TMP/err"; die "--chunk-rows $n: exit $rc"; }
done
# a device or FIFO is written into (CSV) or refused (cdict), never replaced:
# a private node, so that a regression cannot clobber the real /dev/null
if [ "$(id -u)" = 0 ] && mknod -m 666 "$PW_TMP/null" c 1 3 2>/dev/null; then
	dev=$PW_TMP/null kind=c
else
	mkfifo "$PW_TMP/null"; dev=$PW_TMP/null kind=p
	cat "$dev" >/dev/null &
fi
perfwhiz-proc -q -i "$caps/file.data" --csv "$dev"
[ -$kind "$dev" ] || die "the CSV output replaced $dev"
rc=0; perfwhiz-proc -q -i "$caps/file.data" -o "$dev" 2>"$PW_TMP/err" || rc=$?
[ $rc -eq 1 ] && [ -$kind "$dev" ] && grep -q 'not a regular file' "$PW_TMP/err" || die "-o onto a device"
echo "ok  bad input and unwritable output"

# interrupted while reading a stalled pipe: exit 128+2, no output
{ head -c 100000 "$caps/pipe.data"; sleep 20; } | perfwhiz-proc -q -o "$PW_TMP/int.cdict" 2>"$PW_TMP/err" &
pid=$!
sleep 1
kill -INT $pid 2>/dev/null || true
rc=0; wait $pid || rc=$?
[ $rc -eq 130 ] || { cat "$PW_TMP/err"; die "SIGINT: exit $rc, expected 130"; }
[ ! -e "$PW_TMP/int.cdict" ] || die "SIGINT left the output"
no_temp "$PW_TMP"
echo "ok  SIGINT: exit 130, nothing written"

# the same once the encoder thread runs (more rows than a batch), the signal
# aimed at that thread: helper threads take no signal, so the reading thread
# gets it, its blocked read() returns, and it stops at once
# (a process that may use one CPU has no encoder thread)
if [ "$(nproc)" -lt 2 ]; then
	echo "(one CPU: no encoder thread, its SIGINT check skipped)"
else
	python3 "$PW_TOP/scripts/bench-spec.py" --events 60000 >"$PW_TMP/many.spec"
	"$pwfixture" --pipe -o "$PW_TMP/many.data" "$PW_TMP/many.spec"
	mkfifo "$PW_TMP/stalled"
	{ head -c $(($(stat -c %s "$PW_TMP/many.data") * 3 / 4)) "$PW_TMP/many.data"; sleep 60; } \
		>"$PW_TMP/stalled" &
	feeder=$!
	perfwhiz-proc -q -i "$PW_TMP/stalled" -o "$PW_TMP/int2.cdict" 2>"$PW_TMP/err" &
	pid=$!
	for _ in $(seq 100); do
		[ "$(ls /proc/$pid/task 2>/dev/null | wc -l)" -ge 2 ] && break
		sleep 0.1
	done
	helper=$(ls /proc/$pid/task | grep -vx "$pid" | head -1)
	[ -n "$helper" ] || die "no encoder thread after 10 s"
	sleep 0.5
	start=$(date +%s)
	kill -INT "$helper" 2>/dev/null || true
	rc=0; wait $pid || rc=$?
	took=$(($(date +%s) - start))
	kill "$feeder" 2>/dev/null || true
	[ $rc -eq 130 ] || { cat "$PW_TMP/err"; die "SIGINT to the encoder thread: exit $rc, expected 130"; }
	[ "$took" -lt 10 ] || die "SIGINT to the encoder thread: perfwhiz-proc went on reading for $took s"
	[ ! -e "$PW_TMP/int2.cdict" ] || die "SIGINT left the output"
	no_temp "$PW_TMP"
	echo "ok  SIGINT aimed at the encoder thread: exit 130 at once, nothing written"
fi

# a full file system (root only: a small tmpfs)
if [ "$(id -u)" = 0 ] && mkdir "$PW_TMP/full" && mount -t tmpfs -o size=32k tmpfs "$PW_TMP/full" 2>/dev/null; then
	rc=0
	perfwhiz-proc -q -i "$caps/file.data" -o "$PW_TMP/full/x.cdict" --csv "$PW_TMP/full/x.csv" 2>"$PW_TMP/err" || rc=$?
	ls -a "$PW_TMP/full" >"$PW_TMP/left"
	umount "$PW_TMP/full"
	[ $rc -eq 1 ] || { cat "$PW_TMP/err"; die "full disk: exit $rc"; }
	grep -q 'No space left' "$PW_TMP/err" || { cat "$PW_TMP/err"; die "full disk: the error is not said"; }
	[ "$(grep -cv '^\.\.\?$' "$PW_TMP/left")" = 0 ] || { cat "$PW_TMP/left"; die "full disk: files left"; }
	echo "ok  full disk: exit 1, nothing left"
else
	echo "(not root or no tmpfs: full-disk check skipped)"
fi
echo ok
