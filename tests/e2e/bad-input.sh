# Broken perf.data inputs: each gives a clear message naming the file and
# the byte offset, a distinct exit status (1 error, 3 partial), no crash,
# and no output file unless the data before the damage was salvaged (and
# the message says so).
. "$(dirname "$0")/lib.sh"
command -v python3 >/dev/null || skip "python3 is not installed"
caps=$PW_TOP/tests/data/captures
edit() { python3 "$PW_TOP/tests/e2e/perfdata_edit.py" "$@"; }

# run NAME EXIT PATTERN: convert $PW_TMP/NAME, expect exit EXIT and a
# message matching PATTERN; exit 1 must leave no output, 3 a non-empty one.
run() {
	local name=$1 want=$2 pattern=$3 rc=0 out=$PW_TMP/$1.csv
	perfwhiz-proc -i "$PW_TMP/$name" --csv "$out" 2>"$PW_TMP/$name.err" || rc=$?
	[ $rc -eq "$want" ] || { cat "$PW_TMP/$name.err"; die "$name: exit $rc, expected $want"; }
	grep -Eq -- "$pattern" "$PW_TMP/$name.err" || { cat "$PW_TMP/$name.err"; die "$name: no message matching '$pattern'"; }
	grep -q -- "$PW_TMP/$name" "$PW_TMP/$name.err" || die "$name: the message does not name the file"
	if [ "$want" = 1 ]; then
		[ ! -e "$out" ] || die "$name: output left behind after an error"
	else
		[ "$(wc -l <"$out")" -gt 1 ] || die "$name: nothing salvaged"
		grep -q 'every complete record' "$PW_TMP/$name.err" || die "$name: salvage not said"
	fi
	ls "$PW_TMP" | grep -q '\.tmp\.' && die "$name: temporary file left behind"
	echo "ok  $name: exit $rc: $(head -n 1 "$PW_TMP/$name.err")"
}

# first record of type $2 in file $1, and the data section's end
rec_of() { edit records "$1" | awk -v t="$2" '$2 == t { print $1; exit }'; }

: >"$PW_TMP/empty"
run empty 1 'offset 0: empty file'

head -c 104 "$caps/file.data" >"$PW_TMP/header-only"
run header-only 1 'offset [0-9]+: attribute section .* past the end'

cp "$caps/file.data" "$PW_TMP/bad-magic"
edit poke "$PW_TMP/bad-magic" 0 '<Q' 0x1122334455667788
run bad-magic 1 'offset 0: .*not a perf.data file'

cp "$caps/file.data" "$PW_TMP/legacy-magic"
edit replace "$PW_TMP/legacy-magic" PERFILE2 PERFFILE
run legacy-magic 1 'offset 0: perf.data version 1'

head -c 50 "$caps/file.data" >"$PW_TMP/short-header"
run short-header 1 'offset [0-9]+: truncated perf.data header'

cp "$caps/file.data" "$PW_TMP/small-attr"
edit poke "$PW_TMP/small-attr" 16 '<Q' 48
run small-attr 1 'offset 16: attribute size 48 is below the minimum'

# clear HEADER_TRACING_DATA (feature bit 1): samples cannot be decoded
cp "$caps/file.data" "$PW_TMP/no-tracing"
flags=$(python3 -c "import struct,sys; print(struct.unpack_from('<Q', open(sys.argv[1],'rb').read(), 72)[0])" "$caps/file.data")
edit poke "$PW_TMP/no-tracing" 72 '<Q' $((flags & ~2))
run no-tracing 1 'offset [0-9]+: .*tracing data'

# a record cut by the end of the file (data section longer than the file)
size=$(stat -c %s "$caps/file.data")
cp "$caps/file.data" "$PW_TMP/truncated"
off=$(edit records "$caps/file.data" | awk '$2 == 9 { n++ } n == 200 { print $1 + 20; exit }')
edit cut "$PW_TMP/truncated" "$off"
run truncated 3 'offset [0-9]+: the input ends inside a record'

for case in "size0 0" "size4 4" "size-odd 84" "size-huge 65528"; do
	set -- $case
	cp "$caps/file.data" "$PW_TMP/$1"
	off=$(edit records "$caps/file.data" | awk '$2 == 9 { n++ } n == 300 { print $1; exit }')
	edit poke "$PW_TMP/$1" $((off + 6)) '<H' "$2"
	case $1 in
	size0) pat="offset $off: record size 0" ;;
	size4) pat="offset $off: record size below 8" ;;
	size-odd) pat="offset $off: kernel record of type 9 with size 84" ;;
	size-huge) pat="offset [0-9]+: " ;;
	esac
	run "$1" 3 "$pat"
done

# the data size 0 of a killed perf: records read to the end of the file
cp "$caps/file.data" "$PW_TMP/killed"
edit poke "$PW_TMP/killed" 48 '<Q' 0
run killed 3 'data size is 0'

# a malformed format for an event perfwhiz does not need: still works
cp "$caps/several.data" "$PW_TMP/bad-unneeded"
edit replace "$PW_TMP/bad-unneeded" 'name: softirq_entry' 'name: softirq_entry'
python3 - "$PW_TMP/bad-unneeded" <<'PY'
import sys
p = sys.argv[1]
d = bytearray(open(p, "rb").read())
i = d.index(b"name: softirq_entry")
j = d.index(b"print fmt:", i)
d[j:j + 10] = b"print fmt{"          # unparsable, same length
open(p, "wb").write(d)
PY
perfwhiz-proc -i "$PW_TMP/bad-unneeded" --csv "$PW_TMP/bad-unneeded.csv" 2>"$PW_TMP/bad-unneeded.err" \
	|| { cat "$PW_TMP/bad-unneeded.err"; die "a bad format for an unneeded event is fatal"; }
perfwhiz-proc -q -i "$caps/several.data" --csv "$PW_TMP/several.csv"
cmp -s "$PW_TMP/several.csv" "$PW_TMP/bad-unneeded.csv" || die "bad unneeded format changed the rows"
echo "ok  bad-unneeded: same rows"

# ... and for one it needs: a clear error naming the event
cp "$caps/file.data" "$PW_TMP/bad-needed"
python3 - "$PW_TMP/bad-needed" <<'PY'
import sys
p = sys.argv[1]
d = bytearray(open(p, "rb").read())
i = d.index(b"name: sched_switch")
j = d.index(b"field:pid_t prev_pid", i)
d[j:j + 20] = b"field:pid_t prev_p{d"
open(p, "wb").write(d)
PY
run bad-needed 1 'sched:sched_switch'

# a corrupt zstd frame: what came before is kept
cp "$caps/zstd.data" "$PW_TMP/bad-zstd"
off=$(edit records "$caps/zstd.data" | awk '$2 == 81 { n++ } n == 2 { print $1; exit }')
edit poke "$PW_TMP/bad-zstd" $((off + 8)) '<I' 0xffffffff	# a reserved block type
run bad-zstd 3 'offset [0-9]+: corrupt zstd data'

# a pipe stream cut in the middle of a record
psize=$(stat -c %s "$caps/pipe.data")
head -c $((psize / 2 + 3)) "$caps/pipe.data" >"$PW_TMP/cut-pipe"
run cut-pipe 3 'offset [0-9]+: the input ends inside a record'
rc=0
head -c $((psize / 2 + 3)) "$caps/pipe.data" | perfwhiz-proc -q --csv "$PW_TMP/cut-stdin.csv" 2>/dev/null || rc=$?
[ $rc -eq 3 ] || die "a cut pipe on stdin: exit $rc, expected 3"
echo "ok  cut pipe on stdin: exit 3"
