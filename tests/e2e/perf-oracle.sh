# perfwhiz-proc against perf itself, on the committed real captures
# (tests/data/captures, made by make-captures.sh there) and on a capture
# made now: every kept sample equals `perf script`'s decoding, every run
# time and scheduling delay equals `perf sched timehist`'s.
. "$(dirname "$0")/lib.sh"
command -v perf >/dev/null || skip "perf is not installed"
command -v python3 >/dev/null || skip "python3 is not installed"
caps=$PW_TOP/tests/data/captures
check=$PW_TOP/tests/e2e/check_perf.py

compare() {	# compare FILE [timehist options...]
	local f=$1 name
	name=$(basename "$f")
	shift
	perfwhiz-proc -q -i "$f" --csv "$PW_TMP/$name.csv" || die "$name: perfwhiz-proc failed"
	perf script --ns -F tid,pid,cpu,time,event,trace -i "$f" >"$PW_TMP/$name.script" 2>/dev/null \
		|| die "$name: perf script failed"
	echo "== $name"
	python3 "$check" script "$PW_TMP/$name.csv" "$PW_TMP/$name.script" || die "$name: differs from perf script"
	if [ "${1:-}" = pipe ]; then
		echo "(perf sched timehist cannot read the pipe layout: run times checked on the file captures)"
		return
	fi
	perf sched timehist --no-call-graph -i "$f" >"$PW_TMP/$name.th" 2>/dev/null \
		|| die "$name: perf sched timehist failed"
	python3 "$check" timehist "$PW_TMP/$name.csv" "$PW_TMP/$name.th" "$@" \
		|| die "$name: differs from perf sched timehist"
}

compare "$caps/file.data"
compare "$caps/zstd.data"
compare "$caps/callchain.data"
compare "$caps/several.data" --no-delay	# has sched_waking, which timehist prefers
compare "$caps/pipe.data" pipe
compare "$caps/zstd-pipe.data" pipe

# The pipe layout from standard input, as perfwhiz-proc is used behind perf.
cat "$caps/pipe.data" | perfwhiz-proc -q --csv "$PW_TMP/stdin.csv"
cmp -s "$PW_TMP/stdin.csv" "$PW_TMP/pipe.data.csv" || die "pipe from stdin differs from -i FILE"
perfwhiz-proc -q -i - --csv "$PW_TMP/stdin2.csv" <"$caps/pipe.data"
cmp -s "$PW_TMP/stdin2.csv" "$PW_TMP/pipe.data.csv" || die "-i - differs from -i FILE"

# A capture made now, on this kernel: file layout and a live pipe.
need_root_perf
ev=(-e sched:sched_switch -e sched:sched_wakeup -e sched:sched_wakeup_new -e sched:sched_migrate_task)
perf record -q -a "${ev[@]}" -o "$PW_TMP/live.data" -- perf bench sched messaging -g 1 -l 5 >/dev/null 2>&1 \
	|| die "perf record failed"
compare "$PW_TMP/live.data"
perf record -q -a "${ev[@]}" -o - -- perf bench sched messaging -g 1 -l 5 2>/dev/null \
	| tee "$PW_TMP/live-pipe.data" | perfwhiz-proc -q --csv "$PW_TMP/live-stream.csv" \
	|| die "perf record | perfwhiz-proc failed"
compare "$PW_TMP/live-pipe.data" pipe
cmp -s "$PW_TMP/live-stream.csv" "$PW_TMP/live-pipe.data.csv" || die "live stream differs from its saved copy"
echo "ok"
