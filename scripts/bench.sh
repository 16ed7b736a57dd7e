#!/bin/bash
# SPDX-License-Identifier: MIT
#
# bench.sh - how fast perfwhiz is, against perf script and cat, on the same
# inputs in the same run (`make bench`; docs/benchmarks.md has results).
#
#   scripts/bench.sh [BUILD_DIR]
#
# Inputs, made in $BENCH_DIR (default build/bench) when absent (delete them to
# make them again):
#   a.data  a real capture: perf record -a -e 'sched:*' of perf bench sched pipe
#           (needs root or a permissive perf_event_paranoid)
#   b.data  a pwfixture file of a busy KVM host (scripts/bench-spec.py)
#   c.data  b.data's records repeated, shifted in time, to $BENCH_C_BYTES
#           (pipe layout; scripts/bench-extend.py)
# For (a), scripts/bench-timebits.py says how few bytes its time_ns column
# could take, next to what it takes.
# Every command runs once to warm up (and to fill the page cache), then
# $BENCH_RUNS times (default 11 for a and b, 5 for c and perfmap, whose
# perf script runs take minutes), the commands of one input taking turns
# run after run, so that a slow spell of a shared host falls on all of them
# alike; medians are printed, with the peak RSS of the largest run. Outputs
# go to $BENCH_OUT (default a directory in /dev/shm, so that the disk's
# fsync latency is not measured), removed at the end.
# $BENCH_INPUTS selects inputs (default "a b c"); $BENCH_PERFMAP=0 skips
# perfmap; $BENCH_PROFILE=0 skips the instruction profile (valgrind's
# callgrind on a 500k-event slice of b); $BENCH_BASELINE=OTHER_BUILD_DIR
# adds a row for the perfwhiz-proc of another build (e.g. an older
# commit's) in the same run, and one for its perfmap --list on the file it
# wrote.
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
B=$(cd "${1:-$top/build}" && pwd)
DIR=${BENCH_DIR:-$top/build/bench}
RUNS=${BENCH_RUNS:-5}		# the current input's; set per input below
INPUTS=${BENCH_INPUTS:-a b c}
C_BYTES=${BENCH_C_BYTES:-2200000000}
A_LOOPS=${BENCH_A_LOOPS:-250000}
B_EVENTS=${BENCH_B_EVENTS:-5200000}
PY=${PYTHON:-python3}
S=$top/scripts

for t in "$B/perfwhiz-proc" "$B/tests/pwfixture"; do
	[ -x "$t" ] || { echo "bench: $t is missing: run make first" >&2; exit 1; }
done
command -v perf >/dev/null || { echo "bench: perf is missing (make deps)" >&2; exit 1; }
mkdir -p "$DIR"
if [ -z "${BENCH_OUT:-}" ]; then
	if [ -d /dev/shm ] && [ -w /dev/shm ]; then
		BENCH_OUT=$(mktemp -d /dev/shm/perfwhiz-bench.XXXXXX)
	else
		BENCH_OUT=$(mktemp -d "$DIR/out.XXXXXX")
	fi
	trap 'rm -rf "$BENCH_OUT"' EXIT
fi
OUT=$BENCH_OUT
mkdir -p "$OUT"

note() { printf '%s\n' "$*" >&2; }

# ---- inputs ----

make_a() {
	[ -s "$DIR/a.data" ] && return 0
	note "bench: recording a.data (perf bench sched pipe -l $A_LOOPS)"
	perf record -q -a -e 'sched:*' -o "$DIR/a.data.tmp" -- \
		perf bench sched pipe -l "$A_LOOPS" >/dev/null &&
		mv "$DIR/a.data.tmp" "$DIR/a.data"
}

make_b() {
	[ -s "$DIR/b.data" ] && { [ -s "$DIR/c.data" ] || [[ " $INPUTS " != *" c "* ]]; } &&
		return 0
	note "bench: writing b.spec ($B_EVENTS events) and b.data with pwfixture"
	"$PY" "$S/bench-spec.py" --events "$B_EVENTS" >"$DIR/b.spec"
	[ -s "$DIR/b.data" ] || "$B/tests/pwfixture" -o "$DIR/b.data" "$DIR/b.spec"
	if [[ " $INPUTS " == *" c "* ]] && [ ! -s "$DIR/c.data" ]; then
		note "bench: writing c.data (b's records repeated to $C_BYTES bytes, pipe layout)"
		"$B/tests/pwfixture" --pipe -o "$DIR/b-pipe.data" "$DIR/b.spec"
		"$PY" "$S/bench-extend.py" "$DIR/b-pipe.data" "$DIR/c.data" "$C_BYTES" >&2
		rm -f "$DIR/b-pipe.data"
	fi
	rm -f "$DIR/b.spec"
}

# helpers: the timer, and a dlfilter that drops everything (perf's own floor)
timer=$DIR/bench-time
dropall=$DIR/dropall.so
if [ ! -x "$timer" ] || [ "$S/bench-time.c" -nt "$timer" ]; then
	${CC:-cc} -O2 -Wall -o "$timer" "$S/bench-time.c"
fi
if [ ! -s "$dropall" ] || [ "$S/bench-dropall.c" -nt "$dropall" ]; then
	${CC:-cc} -O2 -Wall -shared -fPIC -o "$dropall" "$S/bench-dropall.c"
fi
plugin=$B/perfwhiz.so
[ -f "$plugin" ] || plugin=

case " $INPUTS " in *" a "*) make_a || { note "bench: cannot record a.data: skipped";
	INPUTS=${INPUTS/a/}; } ;; esac
case " $INPUTS " in *" b "*|*" c "*) make_b ;; esac

# ---- measuring ----

# counts FILE -> "events rows sched_switch_rows" from perfwhiz-proc --info
counts() {
	"$B/perfwhiz-proc" --info "$1" | awk '
		/^rows:/ { s = 1; next }
		/^dropped/ { s = 2; next }
		/^[^ ]/ { s = 0 }
		s == 1 && $1 == "total" { rows = $2 }
		s == 1 && $1 == "sched_switch" { sw = $2 }
		s == 2 { dropped += $NF }
		END { printf "%d %d %d\n", rows + dropped, rows, sw }'
}

# measure LABEL CMD... queues a command; measure_all runs the queue: one
# warm-up round, then $RUNS rounds, each command once a round, then a result
# line per command in $results: input label wall cpu rss_max wall_min wall_max
results=$OUT/results
: >"$results"
labels=()
cmds=()
measure() {
	labels+=("$1")
	shift
	cmds+=("$(printf '%q ' "$@")")
}

median() {	# numbers on stdin -> their median
	sort -g | awk '{ v[NR] = $1 } END { print NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

measure_all() {
	local i r line runs=$OUT/runs
	: >"$runs"
	for ((r = 0; r <= RUNS; r++)); do
		for i in "${!cmds[@]}"; do
			line=$(eval "\"\$timer\" 1 0 /dev/null ${cmds[i]}") || {
				note "bench: ${labels[i]} failed"; continue; }
			[ "$r" -gt 0 ] && echo "$i $line" >>"$runs"
		done
	done
	for i in "${!labels[@]}"; do
		grep -q "^$i " "$runs" || continue
		echo "$input ${labels[i]}" \
		     "$(awk -v i="$i" '$1 == i { print $2 }' "$runs" | median)" \
		     "$(awk -v i="$i" '$1 == i { print $3 }' "$runs" | median)" \
		     "$(awk -v i="$i" '$1 == i && $4 > m { m = $4 } END { print m }' "$runs")" \
		     "$(awk -v i="$i" '$1 == i { print $2 }' "$runs" | sort -g | head -1)" \
		     "$(awk -v i="$i" '$1 == i { print $2 }' "$runs" | sort -g | tail -1)" >>"$results"
	done
	labels=()
	cmds=()
}

fmt_table() {	# input events bytes
	awk -v in_="$1" -v ev="$2" -v by="$3" '
		$1 == in_ { n++; lab[n] = $2; w[n] = $3; c[n] = $4; rss[n] = $5; lo[n] = $6; hi[n] = $7
			    if ($2 == "perf-script") ps = $3; if ($2 == "cat") ct = $3 }
		END {
			printf "| command | wall s (min-max) | cpu s | events/s | MB/s | vs perf script | vs cat | peak RSS MB |\n"
			printf "| --- | --- | --- | --- | --- | --- | --- | --- |\n"
			for (i = 1; i <= n; i++)
				printf "| %s | %.3f (%.3f-%.3f) | %.3f | %.2fM | %.0f | %s | %s | %.1f |\n",
				       lab[i], w[i], lo[i], hi[i], c[i], ev / w[i] / 1e6, by / w[i] / 1e6,
				       ps ? sprintf("%.1fx faster", ps / w[i]) : "-",
				       ct ? sprintf("%.1fx", w[i] / ct) : "-", rss[i] / 1024
		}' "$results"
}

echo "# perfwhiz benchmark"
echo
echo "- date: $(date -u '+%Y-%m-%d %H:%M UTC'); host: $(uname -r), $(nproc) CPUs," \
     "$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)"
echo "- perf $(perf --version | awk '{print $3}'); perfwhiz $(git -C "$top" describe --always --dirty 2>/dev/null || echo '?'), programs from $B"
runs_of() {	# input -> rounds of its commands
	case "${BENCH_RUNS:-}:$1" in
	:a|:b) echo 11 ;;
	:*) echo 5 ;;
	*) echo "$BENCH_RUNS" ;;
	esac
}
echo "- runs: 1 warm-up + $(runs_of a) (a, b) or $(runs_of c) (c, perfmap), medians; load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "- dlfilter perfwhiz.so: ${plugin:-not built}"
[ -n "${BENCH_BASELINE:-}" ] && echo "- baseline: $BENCH_BASELINE/perfwhiz-proc" \
	"($(git -C "$BENCH_BASELINE" describe --always 2>/dev/null || echo 'another build'))"

for input in $INPUTS; do
	X=$DIR/$input.data
	[ -s "$X" ] || continue
	cat "$X" >/dev/null
	read -r events rows sw <<<"$(counts "$X")"
	[ "$input" = b ] && bev=$events
	bytes=$(stat -c %s "$X")
	echo
	case $input in
	a) echo "## (a) real capture: $(basename "$X")" ;;
	b) echo "## (b) fixture, KVM host: $(basename "$X")" ;;
	c) echo "## (c) big input: $(basename "$X")" ;;
	esac
	echo
	printf '%s bytes (%.1f MB), %s tracepoint events, %s rows kept (%s sched_switch)\n\n' \
		"$bytes" "$(echo "$bytes" | awk '{print $1/1e6}')" "$events" "$rows" "$sw"
	RUNS=$(runs_of "$input")
	[ "$input" = a ] && [ "$events" -lt 1500000 ] &&
		note "bench: a.data has fewer than 1.5M events: delete it and raise BENCH_A_LOOPS"
	measure perfwhiz-proc "$B/perfwhiz-proc" -q -i "$X" -o "$OUT/$input.cdict"
	[ -n "${BENCH_BASELINE:-}" ] && measure perfwhiz-proc-baseline \
		"$BENCH_BASELINE/perfwhiz-proc" -q -i "$X" -o "$OUT/$input-baseline.cdict"
	measure perf-script perf script -i "$X"
	measure perf-script-dlfilter-dropall perf script -i "$X" --dlfilter "$dropall"
	[ -n "$plugin" ] && measure perf-script-dlfilter-perfwhiz.so \
		perf script -i "$X" --dlfilter "$plugin" --dlarg "$OUT/$input-plugin.cdict"
	measure cat cat "$X"
	measure_all
	fmt_table "$input" "$events" "$bytes"
	if [ -s "$OUT/$input.cdict" ]; then
		cb=$(stat -c %s "$OUT/$input.cdict")
		echo
		awk -v cb="$cb" -v ev="$events" -v rows="$rows" -v sw="$sw" 'BEGIN {
			printf "cdict: %d bytes; %.3f bytes per tracepoint event, %.3f per row, ", cb, cb / ev, cb / rows
			printf (sw ? "%.3f per sched_switch row\n" : "no sched_switch rows\n"), cb / sw }'
		if [ "$input" = a ] && [ "$sw" -gt 0 ] && [ -x "$B/tests/cdict-stats" ]; then
			# the nanosecond times are most of the file: how few bytes they could take
			"$B/perfwhiz-proc" -q -i "$X" --csv "$OUT/a.csv" 2>/dev/null &&
			"$B/tests/cdict-stats" "$OUT/$input.cdict" |
				awk '$1 == "time_ns" { t = $2 } $1 == "file" { f = $2 } END { print t, f }' |
				{ read -r tb fb; echo; "$PY" "$S/bench-timebits.py" "$OUT/a.csv" "$tb" "$fb"; }
			rm -f "$OUT/a.csv"
		elif [ "$input" = a ] && [ "$sw" -gt 0 ]; then
			note "bench: $B/tests/cdict-stats is missing (make bench builds it): no time_ns estimate for (a)"
		fi
	fi
done

# ---- perfmap on the biggest cdict ----
if [ "${BENCH_PERFMAP:-1}" != 0 ] && [ -x "$B/perfmap" ]; then
	big=
	for input in c b a; do
		[ -s "$OUT/$input.cdict" ] && { big=$OUT/$input.cdict; break; }
	done
	if [ -n "$big" ]; then
		read -r _ prow _ <<<"$(counts "$big")"
		input=perfmap
		RUNS=$(runs_of perfmap)
		echo
		echo "## perfmap on $(basename "$big") ($prow rows)"
		echo
		measure load "$B/perfmap" --list "$big"
		# the baseline's perfmap on the baseline's file (it may not read this
		# build's format)
		[ -n "${BENCH_BASELINE:-}" ] && [ -x "$BENCH_BASELINE/perfmap" ] &&
			[ -s "${big%.cdict}-baseline.cdict" ] &&
			measure load-baseline "$BENCH_BASELINE/perfmap" --list "${big%.cdict}-baseline.cdict"
		measure basic-charts "$B/perfmap" -o "$OUT/pm-basic" "$big"
		measure basic-charts-no-gnuplot env PERFMAP_GNUPLOT=true \
			"$B/perfmap" -o "$OUT/pm-basic-ng" "$big"
		measure heatmaps-one-task "$B/perfmap" --heatmaps -t "${BENCH_TASK:-3001}" \
			-o "$OUT/pm-heat" "$big"
		measure group-by-process "$B/perfmap" --group-by process -o "$OUT/pm-proc" "$big"
		measure_all
		awk -v rows="$prow" '$1 == "perfmap" {
			if (!hdr++) { print "| command | wall s (min-max) | cpu s | rows/s | peak RSS MB |"
				      print "| --- | --- | --- | --- | --- |" }
			printf "| %s | %.3f (%.3f-%.3f) | %.3f | %.1fM | %.1f |\n", $2, $3, $6, $7, $4,
			       rows / $3 / 1e6, $5 / 1024 }' "$results"
		echo
		echo "load = perfmap --list (open, decode the columns the index reads, index the"
		echo "tasks, list them); charts are one more pass over the rows (every group of"
		echo "--group-by in the same pass), then rendering by gnuplot (PNG and SVG), which"
		echo "the no-gnuplot row leaves out (a stand-in that does nothing)."
	fi
fi
# ---- where the instructions go: callgrind on a slice of b ----
if [ "${BENCH_PROFILE:-1}" != 0 ] && command -v valgrind >/dev/null &&
   [[ " $INPUTS " == *" b "* ]] && grep -q "^b perfwhiz-proc " "$results"; then
	P=$OUT/profile
	mkdir -p "$P"
	"$PY" "$S/bench-spec.py" --events 500000 >"$P/b5.spec"
	"$B/tests/pwfixture" -o "$P/b5.data" "$P/b5.spec"
	read -r pev _ <<<"$(counts "$P/b5.data")"
	# the instruction rate: (b)'s events times the slice's instructions per
	# event, over (b)'s median CPU time, measured above among the rounds
	bcpu=$(awk '$1 == "b" && $2 == "perfwhiz-proc" { print $4 }' "$results")
	valgrind --tool=callgrind --separate-threads=yes --callgrind-out-file="$P/cg.out" \
		"$B/perfwhiz-proc" -q -i "$P/b5.data" -o "$P/b5-cg.cdict" 2>/dev/null
	echo
	echo "## Where the instructions go (callgrind, $pev events of b's kind)"
	echo
	# one file per thread: cg.out-01 reads, decodes, orders and derives rows;
	# cg.out-02 (when the writer has its thread) encodes and compresses
	for f in "$P"/cg.out-*; do
		callgrind_annotate --auto=no "$f" 2>/dev/null | sed "s|^|${f##*-} |"
	done | awk -v ev="$pev" -v bev="$bev" -v bcpu="$bcpu" '
		/PROGRAM TOTALS/ { n = $2; gsub(",", "", n); tt[$1] = n; total += n; nt++; next }
		tt[$1] && /^[0-9]+ +[0-9,]+ +\( *[0-9.]+%\) +[^ ]/ {
			n = $2; gsub(",", "", n)
			if (/libzstd/) s = "zstd compression"
			else if (/cdict-/) s = "cdict encoding (tokens, predictors)"
			else if (/(perfdata|input|reader-local|tracedata|u64map)/) s = "reading and decoding records"
			else if (/(order|derive|intern|convert)/) s = "ordering, deriving rows, interning"
			else if (/libc/) s = "libc (memcpy, malloc...)"
			else s = "other (start-up, libtraceevent...)"
			by[s] += n
			listed += n
		}
		END {
			ips = total / ev * bev / bcpu
			by["not listed by callgrind_annotate (under 1%)"] = total - listed
			printf "%d instructions, %.0f per event, in %d threads:", total, total / ev, nt
			for (t in tt) {
				printf " thread %d %.0f per event;", t + 0, tt[t] / ev
				if (tt[t] > big)
					big = tt[t]
			}
			printf " at the rate of (b) (%d events in %.3f s of CPU, above), %.1fG instructions a second of CPU;", bev, bcpu, ips / 1e9
			printf " the busiest thread alone caps the conversion at %.1fM events/s, and for 20M events/s it would have %.0f instructions an event\n\n", ips / (big / ev) / 1e6, ips / 20e6
			print "| stage | instructions per event | share | events/s if it ran alone on a CPU |"
			print "| --- | --- | --- | --- |"
			fflush()
			cmd = "sort -t\"|\" -k3 -rn"
			for (s in by)
				printf "| %s | %.0f | %.1f%% | %.1fM |\n", s, by[s] / ev, 100 * by[s] / total, by[s] ? ev / (by[s] / ips) / 1e6 : 0 | cmd
			close(cmd)
		}'
fi
echo
echo "- load average at end: $(cut -d' ' -f1-3 /proc/loadavg)"
