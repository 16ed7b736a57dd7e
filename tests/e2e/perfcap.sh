# perfcap end to end: conversions of committed captures and --remap (any
# user), then, as root with perf: a live capture around perf bench sched
# messaging, --keep-perf-data, missing tracepoints, Ctrl-C and SIGTERM
# (what was captured is written, schedstats restored), qemu thread names
# from a fake /proc, and the checks that fail before anything starts.
. "$(dirname "$0")/lib.sh"
caps=$PW_TOP/tests/data/captures
cd "$PW_TMP"

csv() { perfwhiz-proc -q -i "$1" --csv "$2" || die "perfwhiz-proc $1 failed"; }
mode() { stat -c %a "$1"; }

# --- conversions (no capture) ---
perfcap -q --use-perf-data "$caps/file.data" --dest-folder conv || die "--use-perf-data failed"
[ -f conv/file.cdict ] || die "--use-perf-data wrote no conv/file.cdict"
[ ! -e conv/file.stats ] || die "a cdict only was asked for"
expect_eq "cdict mode" 644 "$(mode conv/file.cdict)"
csv "$caps/file.data" direct.csv
csv conv/file.cdict via-perfcap.csv
cmp -s direct.csv via-perfcap.csv || die "perfcap's cdict differs from perfwhiz-proc's rows"

# the original's `perfcap --use-perf-data oldrun`: ./perf.data, named oldrun
mkdir old && cp "$caps/pipe.data" old/perf.data
(cd old && perfcap -q --use-perf-data oldrun) || die "--use-perf-data oldrun failed"
[ -s old/oldrun.cdict ] && [ ! -e old/oldrun.stats ] || die "oldrun.cdict not written (alone)"

# --remap: the tasks of one tid renamed in place, every other field the same
tid=$(awk -F, '$3=="sched_switch" && $4>0 {print $4; exit}' direct.csv)
echo "$tid,,vcpu0,,,5,Firewall" >map.csv
cp conv/file.cdict remap.cdict
perfcap -q --remap remap.cdict --map map.csv || die "--remap failed"
expect_eq "remapped cdict mode" 644 "$(mode remap.cdict)"
csv remap.cdict remap.csv
awk -F, -v t="$tid" 'BEGIN{OFS=","} $4==t{$6="Firewall.05.vcpu0"} $8==t{$9="Firewall.05.vcpu0"} 1' \
	direct.csv >want.csv
cmp -s want.csv remap.csv || die "--remap: rows other than the renamed tid's names changed"
grep -q ",Firewall.05.vcpu0," remap.csv || die "--remap renamed nothing"
ls -a | grep -q '\.tmp\.' && die "a temporary file was left behind"
# a RUN.stats beside RUN.cdict is written again with the new names
perfcap -q --all --use-perf-data "$caps/file.data" --dest-folder st || die "--all failed"
grep -q "Firewall" st/file.stats && die "st/file.stats names Firewall before --remap"
perfcap -q --remap st/file.cdict --map map.csv || die "--remap with stats failed"
grep -q "Firewall.05.vcpu0" st/file.stats || die "--remap left file.stats with the old names"
perfmap --stats st/file.cdict >st.pm || die "perfmap --stats failed"
diff <(tail -n +2 st/file.stats) <(tail -n +2 st.pm) || die "--remap: file.stats differs from perfmap --stats"
echo "bad" >bad.csv
perfcap -q --remap remap.cdict --map bad.csv 2>err && die "--remap with a bad map succeeded"
cmp -s remap.csv <(perfwhiz-proc -q -i remap.cdict --csv -) || die "a failed --remap changed the file"

# usage errors
rc() { local r=0; "$@" 2>err || r=$?; echo $r; }
expect_eq "no mode: exit" 2 "$(rc perfcap -s 1 run)"
grep -q -- "--all" err || die "no mode: the message does not say what to give"
expect_eq "bad -s: exit" 2 "$(rc perfcap --all -s nope run)"
expect_eq "--remap without --map: exit" 2 "$(rc perfcap --remap x.cdict)"
expect_eq "two names: exit" 2 "$(rc perfcap --all a b)"
echo "conversions ok"

# --- live captures ---
need_root_perf
# a fake perf that says it was started: the checks below must fail first
cat >fakeperf <<EOF
#!/bin/sh
touch "$PW_TMP/perf-started"
exit 1
EOF
chmod +x fakeperf

touch notadir
perfcap --all --dest-folder notadir --use-perf ./fakeperf run 2>err && die "a file as destination succeeded"
grep -q "not a folder" err || die "unwritable destination: $(cat err)"
mkdir ro && mount -t tmpfs -o ro,size=1m perfcap-ro ro
trap 'umount "$PW_TMP/ro" 2>/dev/null || true; rm -rf "$PW_TMP"' EXIT
perfcap --all --dest-folder ro --use-perf ./fakeperf run 2>err && die "a read-only destination succeeded"
grep -q "cannot write in the destination" err || die "read-only destination: $(cat err)"
umount ro
if command -v setpriv >/dev/null; then
	chmod 755 "$PW_TMP"
	setpriv --reuid=65534 --regid=65534 --clear-groups \
		"$PW_BUILD/perfcap" --all --dest-folder /tmp --use-perf ./fakeperf run 2>err \
		&& die "perfcap succeeded as nobody"
	grep -q sudo err || die "not root: the message does not say what to do: $(cat err)"
fi
[ ! -e perf-started ] || die "perf was started although a check failed"
perfcap --all --dest-folder d0 --use-perf ./fakeperf run 2>err && die "a failing perf gave success"
[ -e perf-started ] || die "--use-perf was not used"
[ ! -e d0/run.cdict ] && [ ! -e d0/run.stats ] || die "a failed capture left outputs"
echo "checks before capture ok"

# a capture around a workload: its tasks and switches are in the cdict.
# The workload runs in rounds until the capture is over: one run of fixed
# length can end before a slow machine has perf recording.
( while [ ! -e bench-stop ]; do
	perf bench sched messaging -g 2 -l 500 >/dev/null 2>&1 || exit 1
done ) &
bench=$!
perfcap -s 1 --all --dest-folder D run 2>err || { cat err; die "capture failed"; }
touch bench-stop
wait $bench || die "the workload (perf bench sched messaging) failed"
expect_eq "cdict mode" 644 "$(mode D/run.cdict)"
expect_eq "stats mode" 644 "$(mode D/run.stats)"
csv D/run.cdict run.csv
n=$(awk -F, '$3=="sched_switch" && ($6=="sched-messaging" || $9=="sched-messaging")' run.csv | wc -l)
[ "$n" -gt 100 ] || die "only $n switches of sched-messaging in the capture"
grep -q " sched-messaging " D/run.stats || die "no sched-messaging in run.stats"
grep -q "^Scheduler, per task" D/run.stats || die "no scheduler table"
for e in sched_stat_sleep sched_stat_iowait kvm_exit; do
	if [ ! -e "/sys/kernel/tracing/events/${e%%_*}/$e" ] &&
	   [ ! -e "/sys/kernel/tracing/events/sched/$e" ]; then
		grep -q "$e is not available" err || die "missing $e not reported"
	fi
done
ls -a D | grep -q '\.tmp\.\|perfcap-' && die "temporary files left in D"
echo "capture ok: $n switches of the workload"

# missing events: a tracefs with only sched_switch and sched_wakeup
mkdir -p tfs/events/sched/sched_switch tfs/events/sched/sched_wakeup
touch tfs/events/sched/sched_switch/format tfs/events/sched/sched_wakeup/format
perfcap -s 0.5 --switches --tracing-dir tfs --dest-folder D run2 2>err || die "capture with missing events failed"
for e in sched_wakeup_new sched_migrate_task sched_stat_sleep sched_stat_iowait kvm_exit kvm_entry; do
	grep -q "$e is not available on this system: " err || die "missing $e not reported"
done
grep -q "no KVM exit statistics" err || die "the cost of missing kvm events is not said"
csv D/run2.cdict run2.csv
events=$(tail -n +2 run2.csv | cut -d, -f3 | sort -u | tr '\n' ' ')
case $events in
"sched_switch " | "sched_switch sched_wakeup ") ;;
*) die "events other than those probed were recorded: $events" ;;
esac

# --keep-perf-data: the perf.data kept converts to the same rows
perfcap -q -s 0.5 --switches --keep-perf-data --dest-folder K 2>/dev/null || die "--keep-perf-data failed"
[ -s K/perf.data ] && [ -s K/perf.cdict ] || die "--keep-perf-data: K/perf.data or K/perf.cdict missing"
expect_eq "kept perf.data mode" 644 "$(mode K/perf.data)"
csv K/perf.data kept.csv
csv K/perf.cdict kept-cdict.csv
cmp -s kept.csv kept-cdict.csv || die "the kept perf.data gives other rows than the cdict"
echo "keep-perf-data ok: $(($(wc -l <kept.csv) - 1)) rows"

# Ctrl-C and SIGTERM: the capture so far is written, schedstats restored.
# A fake /proc holds a schedstats switch that is off (this kernel may have
# none); on a kernel that has it, the real one must be back as well.
mkdir -p fp/sys/kernel
echo 0 >fp/sys/kernel/sched_schedstats
real=$(cat /proc/sys/kernel/sched_schedstats 2>/dev/null || echo none)
for sig in INT TERM; do
	perfcap -s 60 --all --proc-root fp --dest-folder C "run-$sig" 2>"err-$sig" &
	pc=$!
	for _ in $(seq 100); do
		[ "$(cat fp/sys/kernel/sched_schedstats)" = 1 ] && grep -q capturing "err-$sig" && break
		sleep 0.1
	done
	expect_eq "schedstats during the capture" 1 "$(cat fp/sys/kernel/sched_schedstats)"
	sleep 1
	start=$SECONDS
	kill -"$sig" $pc
	wait $pc || die "SIG$sig: perfcap exited with $?: $(cat "err-$sig")"
	[ $((SECONDS - start)) -lt 30 ] || die "SIG$sig did not end the capture"
	expect_eq "schedstats after SIG$sig" 0 "$(cat fp/sys/kernel/sched_schedstats)"
	expect_eq "real schedstats after SIG$sig" "$real" \
		"$(cat /proc/sys/kernel/sched_schedstats 2>/dev/null || echo none)"
	csv "C/run-$sig.cdict" "sig.csv"
	[ "$(grep -c ,sched_switch, sig.csv)" -gt 0 ] || die "SIG$sig: no switches written"
	[ -s "C/run-$sig.stats" ] || die "SIG$sig: no stats written"
	grep -q "ended early by signal" "err-$sig" || die "SIG$sig: not said"
done
echo "signals ok"

# qemu thread names from a fake /proc: a busy process plays a vcpu thread
sh -c 'while :; do :; done' &
busy=$!
trap 'kill $busy 2>/dev/null || true; umount "$PW_TMP/ro" 2>/dev/null || true; rm -rf "$PW_TMP"' EXIT
mkdir -p "vp/4242/task/$busy" vp/sys/kernel
echo qemu-system-x86 >vp/4242/comm
printf '/usr/bin/qemu-system-x86_64\0-name\0guest=instance-0000001a,debug-threads=on\0' >vp/4242/cmdline
echo "CPU 0/KVM" >"vp/4242/task/$busy/comm"
echo "0::/machine.slice/machine-qemu\\x2d3\\x2dinstance\\x2d0000001a.scope/libvirt/vcpu0" \
	>"vp/4242/task/$busy/cgroup"
perfcap -q -s 0.5 --all --proc-root vp --dest-folder V vm 2>/dev/null || die "capture with vm names failed"
csv V/vm.cdict vm.csv
awk -F, -v p=$busy '$4==p && $6!="instance-0000001a.vcpu0" {bad=1} $4==p {n++} END {exit bad || !n}' vm.csv \
	|| die "tid $busy is not named instance-0000001a.vcpu0"
grep -q "instance-0000001a.vcpu0" V/vm.stats || die "the stats do not use the vm name"
echo "$busy,,vcpu0,,,7,Router" >vmap.csv
perfcap -q -s 0.5 --switches --map vmap.csv --proc-root vp --dest-folder V vm2 2>/dev/null \
	|| die "capture with a map failed"
csv V/vm2.cdict vm2.csv
awk -F, -v p=$busy '$4==p && $6!="Router.07.vcpu0" {bad=1} $4==p {n++} END {exit bad || !n}' vm2.csv \
	|| die "the user map does not win over the vm name"
kill $busy
echo "vm names ok"
echo ok
