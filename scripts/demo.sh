#!/usr/bin/env bash
# make demo: convert a bundled real capture and show what came out.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$top/build}
in=$top/tests/data/captures/file.data
out=${PW_DEMO_DIR:-$top/build/demo}
mkdir -p "$out"

echo "== perfwhiz-proc on $in (a real 'perf record -a -e sched:...' capture)"
"$build/perfwhiz-proc" -i "$in" --csv "$out/demo.csv"
echo
echo "== the first rows of $out/demo.csv"
head -n 12 "$out/demo.csv" | column -s, -t -n 2>/dev/null || head -n 12 "$out/demo.csv"
echo
echo "== the busiest tasks by run time (ms), from the CSV"
awk -F, 'NR > 1 && $3 == "sched_switch" && $7 != "" { run[$6] += $7; n[$6]++ }
	END { for (t in run) printf "%10.3f  %5d switches  %s\n", run[t] / 1e6, n[t], t }' \
	"$out/demo.csv" | sort -rn | head -n 8
