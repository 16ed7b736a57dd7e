# Reader behaviours on purpose-built inputs: LOST and LOST_SAMPLES counted,
# time ordering without round markers (shuffled input comes out sorted),
# samples of an unknown id counted and never attributed to another event,
# unknown record types skipped by size and counted, a bounded reorder queue.
. "$(dirname "$0")/lib.sh"
command -v python3 >/dev/null || skip "python3 is not installed"
fx=$PW_TOP/tests/data/fixtures
caps=$PW_TOP/tests/data/captures
pwfixture=$PW_BUILD/tests/pwfixture
edit() { python3 "$PW_TOP/tests/e2e/perfdata_edit.py" "$@"; }
export PW_TOP

summary() { perfwhiz-proc -i "$1" --csv "$2" 2>&1 >/dev/null; }

# -- lost events and samples: the counts, not the ids
{ cat "$fx/sched.spec"; printf 'lost sched_switch 17 5.000020000 0\nlost_samples sched_switch 4 5.000021000 1\nlost 999 3\n'; } >"$PW_TMP/lost.spec"
"$pwfixture" -o "$PW_TMP/lost.data" "$PW_TMP/lost.spec"
out=$(summary "$PW_TMP/lost.data" "$PW_TMP/lost.csv")
echo "$out" | grep -q 'lost: 20 events, 4 samples' || { echo "$out"; die "lost counts"; }
echo "ok  lost: 20 events (17 + 3), 4 samples"

# -- no round markers, records in shuffled order: the same sorted rows
"$pwfixture" -o "$PW_TMP/sorted.data" "$fx/sched.spec"
perfwhiz-proc -q -i "$PW_TMP/sorted.data" --csv "$PW_TMP/sorted.csv"
python3 - "$fx/sched.spec" "$PW_TMP/shuffled.spec" <<'PY'
import random, sys
lines = open(sys.argv[1]).read().splitlines()
head = [l for l in lines if not l.startswith(("sample", "round"))]
samples = [l for l in lines if l.startswith("sample")]
random.Random(7).shuffle(samples)
open(sys.argv[2], "w").write("\n".join(head + samples) + "\n")
PY
"$pwfixture" --no-rounds -o "$PW_TMP/shuffled.data" "$PW_TMP/shuffled.spec"
perfwhiz-proc -q -i "$PW_TMP/shuffled.data" --csv "$PW_TMP/shuffled.csv"
cmp -s "$PW_TMP/sorted.csv" "$PW_TMP/shuffled.csv" || die "shuffled input gives other rows"
echo "ok  shuffled, no rounds: identical sorted rows"

# -- events older than what a round already released: counted, dropped,
# and the output stays sorted
python3 - "$fx/sched.spec" "$PW_TMP/late.spec" <<'PY'
import sys
lines = open(sys.argv[1]).read().splitlines()
out = [l for l in lines if l != "round"]
samples = [i for i, l in enumerate(out) if l.startswith("sample")]
late = out.pop(samples[2])                 # the third sample arrives last,
out += ["round", "round", late, "round"]   # after two rounds released it all
open(sys.argv[2], "w").write("\n".join(out) + "\n")
PY
"$pwfixture" -o "$PW_TMP/late.data" "$PW_TMP/late.spec"
out=$(summary "$PW_TMP/late.data" "$PW_TMP/late.csv")
echo "$out" | grep -q '1 out of order' || { echo "$out"; die "the late event is not counted"; }
[ "$(($(wc -l <"$PW_TMP/late.csv") + 1))" = "$(wc -l <"$PW_TMP/sorted.csv")" ] || die "the late event is not dropped"
awk -F, 'NR > 2 && $1 + 0 < prev { exit 1 } NR > 1 { prev = $1 + 0 }' "$PW_TMP/late.csv" || die "late output not sorted"
echo "ok  late event: counted, dropped, output sorted"

# -- a sample whose id matches no attr: counted, not attributed elsewhere
cp "$caps/several.data" "$PW_TMP/unknown-id.data"
off=$(edit records "$caps/several.data" | awk '$2 == 9 { n++ } n == 50 { print $1; exit }')
edit poke "$PW_TMP/unknown-id.data" $((off + 8)) '<Q' 0x7777777777	# PERF_SAMPLE_IDENTIFIER
perfwhiz-proc -q -i "$caps/several.data" --csv "$PW_TMP/good.csv"
out=$(summary "$PW_TMP/unknown-id.data" "$PW_TMP/unknown-id.csv")
echo "$out" | grep -q '1 samples of unknown id' || { echo "$out"; die "unknown id not counted"; }
# the only difference: one row (or one dropped sample) fewer, nothing changed
diff "$PW_TMP/good.csv" "$PW_TMP/unknown-id.csv" | grep -q '^>' && die "a row changed or appeared"
echo "ok  unknown sample id: counted, not attributed"

# -- an unknown record type with a sane size: skipped and counted
cp "$caps/file.data" "$PW_TMP/unknown-type.data"
off=$(edit records "$caps/file.data" | awk '$2 == 3 { print $1; exit }')	# a COMM record
edit poke "$PW_TMP/unknown-type.data" "$off" '<I' 63
out=$(summary "$PW_TMP/unknown-type.data" "$PW_TMP/unknown-type.csv")
echo "$out" | grep -q '1 unknown records or features' || { echo "$out"; die "unknown record not counted"; }
echo "ok  unknown record type: skipped, counted"

# -- an unknown feature bit (past perf's last): its section is skipped and
# counted; everything else is read as before
cp "$caps/file.data" "$PW_TMP/unknown-feature.data"
flags=$(python3 -c "import struct,sys; print(struct.unpack_from('<Q', open(sys.argv[1],'rb').read(), 72)[0])" "$caps/file.data")
edit poke "$PW_TMP/unknown-feature.data" 72 '<Q' $((flags | (1 << 40)))
perfwhiz-proc -q -i "$caps/file.data" --csv "$PW_TMP/file.csv"
out=$(summary "$PW_TMP/unknown-feature.data" "$PW_TMP/unknown-feature.csv")
echo "$out" | grep -q '1 unknown records or features' || { echo "$out"; die "unknown feature not counted"; }
cmp -s "$PW_TMP/file.csv" "$PW_TMP/unknown-feature.csv" || die "an unknown feature changed the rows"
perfwhiz-proc --info "$PW_TMP/unknown-feature.data" | grep -q '^host: ' || die "features lost"
echo "ok  unknown feature: skipped, counted"
echo ok
