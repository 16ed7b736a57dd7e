#!/usr/bin/env bash
# perfmap on a small VM-like fixture capture (tests/data/plot/vm.spec): the
# numbers of every .dat against tests/e2e/perfmap-oracle.awk over the CSV
# export of the same cdict, with and without -c/-f, --map, --merge-sys-tasks,
# --append-tid; --list, --successors-of and --group-by exact outputs; valid
# images; index.html linking every file it made and nothing else.
. "$PW_TOP/tests/e2e/lib.sh"
. "$PW_TOP/tests/e2e/perfmap-helpers.bash"
command -v gnuplot >/dev/null || skip "gnuplot is not installed"

T=$PW_TMP
[ -x "$PW_BUILD/tests/pwfixture" ] || skip "pwfixture is not built"
"$PW_BUILD/tests/pwfixture" -o "$T/vm.data" "$PM_DATA/vm.spec"
pm_cdict "$T/vm.data" "$T/vm.cdict"
pm_csv "$T/vm.cdict" "$T/vm.data" "$T/vm.csv"
cd "$T"

oracle() { awk -f "$PM_ORACLE" "$@" vm.csv; }

# basic_check DIR ORACLE-ARGS...: the three basic charts' numbers.
basic_check() {
	local dir=$1; shift
	oracle -v what=cpu "$@" >exp.cpu
	pm_dat_cpu "$dir/cpu-usage.dat" >got.cpu
	pm_same "$dir cpu-usage" exp.cpu got.cpu
	oracle -v what=coremap "$@" >exp.core
	pm_dat_coremap "$dir/coremap.dat" >got.core
	pm_same "$dir coremap" exp.core got.core
	oracle -v what=exits "$@" >exp.exits
	pm_dat_exits "$dir/kvm-exits.dat" >got.exits
	pm_same "$dir kvm-exits" exp.exits got.exits
}

# --- the whole capture, all tasks
perfmap -t '*' -o out vm.cdict >out.txt
expect_eq "summary" "out/index.html: 3 charts" "$(cat out.txt)"
basic_check out
# Values worked out by hand in vm.spec, as a check of the oracle itself.
expect_eq "CPU 1/KVM row" "CPU 1/KVM	75.583	22600	2	0" "$(grep '^CPU 1/KVM' out/cpu-usage.dat)"
expect_eq "exit table" "task	EXTERNAL_INTERRUPT	HLT	IO_INSTRUCTION	total" \
	"$(grep -v '^#' out/kvm-exits.dat | head -n 1)"
pm_check_images out
pm_check_index out
ls out/*.png out/*.svg out/*.gp out/*.dat >/dev/null
[ ! -e out/coremap.log ] || die "gnuplot log left behind after success"

# --- every format for one run; heatmap bins of both vcpus
perfmap -t 'CPU*' --heatmaps --format png,svg,pdf,eps,tex -o fmt vm.cdict >/dev/null
pm_check_images fmt
pm_check_index fmt
for task in "CPU 0/KVM" "CPU 1/KVM"; do
	safe=$(printf '%s' "$task" | sed 's/[^A-Za-z0-9._-]/_/g')
	oracle -v what=heat -v only="$task" >exp.heat
	pm_dat_heat "$task" "fmt/heatmap-$safe.dat" "fmt/kvm-heatmap-$safe.dat" >got.heat
	pm_same "heatmaps of $task" exp.heat got.heat
	oracle -v what=tcore -v only="$task" >exp.tcore
	pm_dat_tcore "$task" "fmt/tcoremap-$safe.dat" >got.tcore
	pm_same "temporal coremap of $task" exp.tcore got.tcore
done

# --- window: 10 us from 10 us after the first event (-f, -c in ms)
perfmap -t '*' -f 0.01 -c 0.01 -o win vm.cdict >/dev/null
basic_check win -v from_ns=10000 -v cap_ns=10000
grep -q '^# run vm: vm.cdict, window 0.010000 ms + 0.010000 ms' win/cpu-usage.dat ||
	die "window not stated in cpu-usage.dat"
# A start beyond the capture (29.9 us long) is an error stating its length.
if perfmap -f 1 vm.cdict 2>err.txt; then die "-f beyond the capture accepted"; fi
grep -q 'starts beyond the capture, which is 0.030 ms long' err.txt || die "$(cat err.txt)"

# --- a subset, by pattern and tid
perfmap -t 'CPU*,3001' -o sel vm.cdict >/dev/null
expect_eq "selected tasks" "CPU 0/KVM CPU 1/KVM perf" "$(grep -v '^#' sel/cpu-usage.dat | cut -f1 | paste -sd' ')"
oracle -v what=cpu -v 'select=^CPU' >exp.sel
expect_eq "perf 3001 alone" "perf	13.377	4000	0	1" "$(grep '^perf' sel/cpu-usage.dat)"
grep '^CPU' sel/cpu-usage.dat >got.sel
pm_same "selection" exp.sel got.sel

# --- --merge-sys-tasks, --append-tid
perfmap -t '*' --merge-sys-tasks -o merged vm.cdict >/dev/null
basic_check merged -v merge=1
expect_eq "merged swapper" "swapper	11.036	3300	0	3" "$(grep '^swapper' merged/cpu-usage.dat)"
perfmap -t 'perf*' --append-tid -o tid vm.cdict >/dev/null
expect_eq "append-tid" "perf:3000
perf:3001" "$(grep -v '^#' tid/cpu-usage.dat | cut -f1)"
oracle -v what=cpu -v append_tid=1 -v 'select=^perf' >exp.tid
pm_dat_cpu tid/cpu-usage.dat >got.tid
pm_same "append-tid" exp.tid got.tid

# --- --map at load time, and --group-by
perfmap -t '*' --map "$PM_DATA/vm-map.csv" -o mapped vm.cdict >/dev/null
basic_check mapped -v map="$PM_DATA/vm-map.csv"
grep -q '^Router.06.vcpu0	' mapped/cpu-usage.dat || die "map not applied"
perfmap -t '*' --map "$PM_DATA/vm-map.csv" --group-by group -o groups vm.cdict >/dev/null
expect_eq "group chart sets" "group-05-coremap.dat
group-05-cpu-usage.dat
group-05-kvm-exits.dat
group-06-coremap.dat
group-06-cpu-usage.dat
group-06-kvm-exits.dat
group-ungrouped-coremap.dat
group-ungrouped-cpu-usage.dat" "$(cd groups && ls *.dat)"
expect_eq "group 05" "Firewall.05.emulator Firewall.05.vcpu0" \
	"$(grep -v '^#' groups/group-05-cpu-usage.dat | cut -f1 | paste -sd' ')"
oracle -v what=exits -v map="$PM_DATA/vm-map.csv" -v 'select=\\.06\\.' >exp.g6
pm_dat_exits groups/group-06-kvm-exits.dat >got.g6
pm_same "group 06 exits" exp.g6 got.g6
pm_check_index groups
perfmap -t '*' --group-by process -o procs vm.cdict >/dev/null
expect_eq "process chart sets" "perf_3000 qemu-system-x86_2000 swapper_0_0" \
	"$(cd procs && ls *-cpu-usage.dat | sed 's/^process-//; s/-cpu-usage.dat$//' | paste -sd' ')"

# --- --list and --successors-of
perfmap --list vm.cdict >list.txt
expect_eq "--list" "# vm: vm.cdict, 0.030 ms from 0.000 ms
     TID     EVENTS  TASK
    2002         10  CPU 1/KVM
    2001          9  CPU 0/KVM
       0          2  swapper/1
       0          1  swapper/0
    2000          1  qemu-system-x86
    3000          1  perf
    3001          1  perf" "$(cat list.txt)"
oracle -v what=list >exp.list
tail -n +3 list.txt | awk '{ n = $1; e = $2; sub(/^ *[0-9]+ +[0-9]+  /, ""); printf "%d\t%d\t%s\n", n, e, $0 }' >got.list
pm_same "--list" exp.list got.list
perfmap --list --map "$PM_DATA/vm-map.csv" -f 0.01 -c 0.01 vm.cdict >list2.txt
expect_eq "--list --map in a window" "# vm: vm.cdict, 0.010 ms from 0.010 ms
     TID     EVENTS  TASK
    2002          2  Router.06.vcpu0
    2000          1  Firewall.05.emulator
    2001          1  Firewall.05.vcpu0
    3000          1  perf
    3001          1  perf" "$(cat list2.txt)"
expect_eq "--successors-of" "# vm: vm.cdict, successors of 'CPU 0/KVM'
  SWITCHES  PERCENT  NEXT TASK
         1   50.00%  perf
         1   50.00%  swapper
         2  100.00%  (total)" "$(perfmap --successors-of 'CPU 0/KVM' vm.cdict)"
expect_eq "--successors-of a tid" "# vm: vm.cdict, successors of '3001'
  SWITCHES  PERCENT  NEXT TASK
         1  100.00%  CPU 1/KVM
         1  100.00%  (total)" "$(perfmap --successors-of 3001 vm.cdict)"

# --- errors
if perfmap -t 'firewal*' vm.cdict 2>err.txt; then die "no match accepted"; fi
grep -q "no task matches 'firewal\*'" err.txt || die "$(cat err.txt)"
grep -q "perfmap --list vm.cdict" err.txt || die "no --list hint: $(cat err.txt)"
if perfmap -t 'CPU 2*' vm.cdict 2>err.txt; then die "no match accepted"; fi
grep -q "closest names in vm.cdict: 'CPU 0/KVM', 'CPU 1/KVM'" err.txt || die "$(cat err.txt)"
if perfmap -t 4242 vm.cdict 2>err.txt; then die "unknown tid accepted"; fi
expect_eq "unknown tid" "perfmap: error: no task matches '4242'
perfmap: 'perfmap --list vm.cdict' shows every task" "$(cat err.txt)"
for bad in "-c 0" "-c abc" "-f -1" "-j 0" "--format gif" "--group-by cpu"; do
	set +e; perfmap $bad vm.cdict 2>err.txt; rc=$?; set -e
	expect_eq "exit status of perfmap $bad" 2 "$rc"
	[ -s err.txt ] || die "perfmap $bad: no message"
done
echo "not a capture" >junk.cdict
if perfmap junk.cdict 2>err.txt; then die "junk input accepted"; fi
grep -q 'junk.cdict' err.txt || die "error does not name the file: $(cat err.txt)"
if perfmap missing.cdict 2>err.txt; then die "missing input accepted"; fi
grep -q 'missing.cdict' err.txt || die "$(cat err.txt)"
if [ "$(id -u)" != 0 ]; then
	mkdir ro && chmod 555 ro
	if perfmap -o ro/x vm.cdict 2>err.txt; then die "unwritable output dir accepted"; fi
fi
if perfmap -o /proc/perfmap-test vm.cdict 2>err.txt; then die "unwritable output dir accepted"; fi
grep -q '/proc/perfmap-test: cannot create the output directory' err.txt || die "$(cat err.txt)"
touch notadir
if perfmap -o notadir/x vm.cdict 2>err.txt; then die "output under a file accepted"; fi
grep -q 'notadir' err.txt || die "$(cat err.txt)"
# gnuplot missing: a clear error, the scripts and data kept for later.
if PERFMAP_GNUPLOT=/nonexistent/gnuplot perfmap -o nogp vm.cdict 2>err.txt; then
	die "missing gnuplot not reported"
fi
grep -q 'gnuplot could not be started' err.txt || die "$(cat err.txt)"
[ -s nogp/cpu-usage.gp ] && [ -s nogp/cpu-usage.dat ] || die "scripts not kept"
pm_check_index nogp
# gnuplot failing: its message.
printf '#!/bin/sh\necho "line 1: simulated failure" >&2\nexit 1\n' >badgp && chmod +x badgp
if PERFMAP_GNUPLOT=$T/badgp perfmap -o badgp.out vm.cdict 2>err.txt; then die "failing gnuplot not reported"; fi
grep -q 'simulated failure' err.txt || die "$(cat err.txt)"

# --- the seed's command lines run as written (basic, heatmaps with a cap, window)
perfmap -t '*vcpu0' --map "$PM_DATA/vm-map.csv" vm.cdict >/dev/null
pm_check_index vm-perfmap
perfmap -t '*vcpu0' --map "$PM_DATA/vm-map.csv" --heatmaps -c 1000 -o seed2 vm.cdict >/dev/null 2>&1
perfmap -t '*' -c 0.01 -f 0.005 -o seed3 vm.cdict >/dev/null
pm_check_images seed2
# --open runs xdg-open on the report; --headless (the default) does not.
mkdir bin && printf '#!/bin/sh\necho "$@" >"%s/opened"\n' "$T" >bin/xdg-open && chmod +x bin/xdg-open
PATH=$T/bin:$PATH perfmap -t 'CPU*' --headless -o open1 vm.cdict >/dev/null
[ ! -e opened ] || die "--headless opened the report"
PATH=$T/bin:$PATH perfmap -t 'CPU*' --open -o open2 vm.cdict >/dev/null
expect_eq "--open" "open2/index.html" "$(cat opened)"

# --help and the man page name the same options.
perfmap --help | grep -o -- '--[a-z-]*' | sort -u >help.opts
sed 's/\\-/-/g' "$PW_TOP/docs/perfmap.1" | grep -o -- '--[a-z-]*' | sort -u >man.opts
cmp -s help.opts man.opts || { diff help.opts man.opts >&2; die "--help and perfmap(1) differ"; }
echo ok
