#!/usr/bin/env bash
# make memcheck: valgrind's memcheck on an end-to-end run of each program,
# on the committed captures and a fixture: any invalid access, use of
# uninitialised memory or leak (definite or possible) fails it.
# tests/memcheck/valgrind.supp holds third-party noise only.
#
#   scripts/memcheck.sh BUILD_DIR
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
build=${1:?usage: scripts/memcheck.sh BUILD_DIR}
export PW_TOP=$top PATH=$build:$PATH
caps=$top/tests/data/captures
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cd "$tmp"
command -v valgrind >"$tmp/noise" 2>&1 || { echo "memcheck: valgrind is not installed (apt-get install valgrind)" >&2; exit 1; }
vg=(valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite,possible
    --track-origins=yes --suppressions="$top/tests/memcheck/valgrind.supp")
pass=0 fail=0

run() {	# run NAME COMMAND...
	local name=$1 rc=0
	shift
	"${vg[@]}" --log-file="$tmp/$name.vg" "$@" >"$tmp/$name.out" 2>"$tmp/$name.err" || rc=$?
	if [ $rc -eq 0 ]; then
		pass=$((pass + 1)); printf 'PASS  memcheck %s\n' "$name"
	else
		fail=$((fail + 1)); printf 'FAIL  memcheck %s (exit %d)\n' "$name" $rc
		sed 's/^/    | /' "$tmp/$name.err" "$tmp/$name.vg" | head -n 80
	fi
}

"$build/tests/pwfixture" -o kvm.data "$top/tests/data/fixtures/kvm-vmx.spec"
run proc-file perfwhiz-proc -q -i "$caps/file.data" -o file.cdict --csv file.csv
run proc-pipe perfwhiz-proc -q -i "$caps/zstd-pipe.data" -o pipe.cdict
run proc-fixture perfwhiz-proc -q -i kvm.data -o kvm.cdict
run proc-cdict-export perfwhiz-proc -q -i file.cdict --csv back.csv
cmp -s file.csv back.csv || { echo "FAIL  memcheck: the cdict export differs" >&2; fail=$((fail + 1)); }
run proc-info perfwhiz-proc --info file.cdict
# perfmap: gnuplot is a child valgrind does not follow
task=$(perfmap --list file.cdict | awk 'NR == 3 { print $1 }')	# the busiest tid
run perfmap-basic perfmap -j1 -o charts file.cdict kvm.cdict
run perfmap-heatmaps perfmap -j1 --heatmaps -t "$task" -o heat file.cdict
run perfmap-stats perfmap --stats kvm.cdict
run perfcap-use-perf-data perfcap --all --use-perf-data "$caps/file.data" --dest-folder capout run
if [ -e "$build/perfwhiz.so" ] && command -v perf >"$tmp/noise"; then
	run plugin perf script --dlfilter "$build/perfwhiz.so" --dlarg plugin.cdict -i "$caps/file.data"
else
	echo "SKIP  memcheck plugin (no perf or no perfwhiz.so)"
fi
printf '\nmemcheck: %d clean, %d failed\n' $pass $fail
[ $fail -eq 0 ]
