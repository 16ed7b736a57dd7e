#!/usr/bin/env bash
# perfmap on three runs at once (diff charts): runs named by the part of
# their file names that differs, the window defaulting to the shortest run,
# one series per run whose numbers equal the oracle's for that run, a cap
# longer than a run scaling that run's counts (and saying so), every image
# format valid and index.html complete.
. "$PW_TOP/tests/e2e/lib.sh"
. "$PW_TOP/tests/e2e/perfmap-helpers.bash"
command -v gnuplot >/dev/null || skip "gnuplot is not installed"
[ -x "$PW_BUILD/tests/pwfixture" ] || skip "pwfixture is not built"

T=$PW_TMP
cd "$T"
# Run 2 stops at 20.1 us (its last line is the kvm_exit at 10.000020100);
# run 3 is run 1 again under another name.
awk '$1 == "sample" && $2 > "10.000020100" { next } { print }' "$PM_DATA/vm.spec" >short.spec
"$PW_BUILD/tests/pwfixture" -o long.data "$PM_DATA/vm.spec"
"$PW_BUILD/tests/pwfixture" -o short.data short.spec
pm_cdict long.data run-h1x216.cdict
pm_cdict short.data run-h5x113.cdict
cp run-h1x216.cdict run-h5x114.cdict
pm_csv run-h1x216.cdict long.data long.csv
pm_csv run-h5x113.cdict short.data short.csv

perfmap -t '*' --format png,svg,pdf,eps,tex -o diff run-h1x216.cdict run-h5x113.cdict run-h5x114.cdict >/dev/null
expect_eq "run names" "# run h1x216: run-h1x216.cdict, window 0.000000 ms + 0.020001 ms after its first event
# run h5x113: run-h5x113.cdict, window 0.000000 ms + 0.020001 ms after its first event
# run h5x114: run-h5x114.cdict, window 0.000000 ms + 0.020001 ms after its first event" \
	"$(grep '^# run ' diff/cpu-usage.dat)"
expect_eq "charts" "coremap-h1x216 coremap-h5x113 coremap-h5x114 cpu-usage kvm-exits" \
	"$(cd diff && ls *.dat | sed 's/\.dat$//' | paste -sd' ')"

# Each run's columns against the oracle over that run's CSV, same window.
check_run() {	# COLUMN-INDEX RUN-NAME CSV ORACLE-ARGS...
	local r=$1 name=$2 csv=$3; shift 3
	awk -f "$PM_ORACLE" -v what=cpu "$@" "$csv" >exp.cpu.$r
	grep -v '^#' diff/cpu-usage.dat | cut -f1,$((2 + 4 * r))-$((5 + 4 * r)) >got.cpu.$r
	pm_same "cpu-usage $name" exp.cpu.$r got.cpu.$r
	awk -f "$PM_ORACLE" -v what=coremap "$@" "$csv" >exp.core.$r
	pm_dat_coremap diff/coremap-$name.dat >got.core.$r
	pm_same "coremap $name" exp.core.$r got.core.$r
	awk -f "$PM_ORACLE" -v what=exits "$@" "$csv" >exp.exits.$r
	pm_dat_exits diff/kvm-exits.dat | awk -F'\t' -v s=" ($name)" \
		'substr($1, length($1) - length(s) + 1) == s { $1 = substr($1, 1, length($1) - length(s)); print }' OFS='\t' >got.exits.$r
	pm_same "kvm-exits $name" exp.exits.$r got.exits.$r
}
check_run 0 h1x216 long.csv -v cap_ns=20001
check_run 1 h5x113 short.csv -v cap_ns=20001
check_run 2 h5x114 long.csv -v cap_ns=20001
pm_check_images diff
pm_check_index diff
for f in cpu-usage kvm-exits coremap-h5x113; do
	for e in png svg pdf eps; do [ -s "diff/$f.$e" ] || die "diff/$f.$e missing"; done
	[ -s "diff/$f-tex.tex" ] && [ -s "diff/$f-tex.pdf" ] || die "diff/$f-tex.tex missing"
done
# LaTeX text: special characters escaped, the SVG's unchanged.
grep -q 'EXTERNAL\\_INTERRUPT' diff/kvm-exits-tex.tex || die "'_' not escaped for LaTeX"
grep -q 'CPU usage (\\% of one core)' diff/cpu-usage-tex.tex || die "'%' not escaped for LaTeX"
grep -q '>EXTERNAL_INTERRUPT<' diff/kvm-exits.svg || die "SVG text changed"

# A 30 us cap: longer than run 2 (20.001 us): its counts are scaled by 30/20.001
# (and run 1's, 29.901 us long, by 30/29.901, which changes none of them).
perfmap -t '*' -c 0.03 -o capped run-h1x216.cdict run-h5x113.cdict 2>err.txt >/dev/null
grep -q 'run-h5x113.cdict: only 0.020 ms of capture after --from, shorter than the 0.030 ms window: its counts are scaled by 1.500' err.txt ||
	die "no scaling warning: $(cat err.txt)"
grep -q '^# run h5x113: .*counts scaled by 1.499925' capped/cpu-usage.dat || die "scale not stated"
# CPU 0/KVM's exits: run 1 as counted, run 2's x 1.5 rounded (2 -> 3, 1 -> 1).
expect_eq "scaled counts" "CPU 0/KVM (h1x216)	2	1	0	3
CPU 0/KVM (h5x113)	3	1	0	4" "$(grep '^CPU 0/KVM' capped/kvm-exits.dat)"
echo ok
