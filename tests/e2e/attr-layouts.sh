# Attribute layouts perf.data files come in, written by pwfixture from the
# fixtures: attr sizes from the first ABI (64 bytes) to larger than any
# known (200, zero-extended), also mixed in one file; events without
# sample_id_all (non-sample records carry no trailer, so COMM/FORK apply
# when read), also mixed; ID after TIME instead of IDENTIFIER. Each gives
# exactly the rows of the default layout, and perf script prints the same
# samples where perf 6.1 reads the file (not a file-layout attr larger than
# its own 128 bytes, mixed sizes in a file layout, or mixed sample_id_all in
# a file layout). Then the ids: a sample whose id matches no attr is counted
# and never attributed, with one attr or several; events whose sample ids
# cannot be told apart (IDENTIFIER on some only) give no rows, a warning and
# the count, never rows of the wrong event.
. "$(dirname "$0")/lib.sh"
command -v python3 >/dev/null || skip "python3 is not installed"
fx=$PW_TOP/tests/data/fixtures
pwfixture=$PW_BUILD/tests/pwfixture
edit() { python3 "$PW_TOP/tests/e2e/perfdata_edit.py" "$@"; }
export PW_TOP
have_perf=$(command -v perf >/dev/null && echo y || true)

perf_rows() {	# the samples as perf prints them, sorted (without sample_id_all
		# perf does not order a file's samples)
	perf script -i "$1" --ns -F time,cpu,pid,tid,event,trace 2>"$PW_TMP/perf.err" | sort
}

# variant SPEC NAME PERF(y|n) OPTIONS...: same rows as SPEC's default layout
variant() {
	local spec=$1 name=$2 perf_reads=$3 out=$PW_TMP/$1.$2
	shift 3
	"$pwfixture" "$@" -o "$out.data" "$fx/$spec.spec"
	perfwhiz-proc -i "$out.data" --csv "$out.csv" 2>"$out.err" || { cat "$out.err"; die "$spec $name: failed"; }
	cmp -s "$PW_TMP/$spec.base.csv" "$out.csv" || { diff "$PW_TMP/$spec.base.csv" "$out.csv" | head; die "$spec $name: rows differ"; }
	! grep -Eq ' [1-9][0-9]* (samples of unknown id|undecodable)' "$out.err" || { cat "$out.err"; die "$spec $name: samples skipped"; }
	local said=""
	if [ -n "$have_perf" ] && [ "$perf_reads" = y ]; then
		perf_rows "$out.data" >"$out.perf"
		cmp -s "$PW_TMP/$spec.base.perf" "$out.perf" || { head -3 "$PW_TMP/perf.err"; die "$spec $name: perf script prints other samples"; }
		said=", perf script: same samples"
	fi
	echo "ok  $spec $name: same rows$said"
}

for spec in sched kvm-vmx; do
	"$pwfixture" -o "$PW_TMP/$spec.base.data" "$fx/$spec.spec"
	perfwhiz-proc -q -i "$PW_TMP/$spec.base.data" --csv "$PW_TMP/$spec.base.csv"
	[ -z "$have_perf" ] || perf_rows "$PW_TMP/$spec.base.data" >"$PW_TMP/$spec.base.perf"
	first=$(grep -m1 '^sample' "$fx/$spec.spec" | awk '{ print $6 }')
	other=$(grep '^sample' "$fx/$spec.spec" | awk -v f="$first" '$6 != f { print $6; exit }')
	for size in 64 72 96 120 128 136 200; do
		variant $spec "attr-size-$size" $([ $size -le 128 ] && echo y || echo n) --attr-size $size
		variant $spec "attr-size-$size-pipe" y --pipe --attr-size $size
	done
	mixed=(--attr-size 64 --attr-size "$first=200" --attr-size "$other=96")
	variant $spec mixed-sizes n "${mixed[@]}"
	variant $spec mixed-sizes-pipe y --pipe "${mixed[@]}"
	variant $spec id-only y --no-identifier
	variant $spec id-only-pipe y --pipe --no-identifier
	variant $spec no-sample-id-all y --no-sample-id-all
	variant $spec no-sample-id-all-pipe y --pipe --no-sample-id-all
	variant $spec mixed-sample-id-all n --no-sample-id-all="$first"
	variant $spec mixed-sample-id-all-pipe y --pipe --no-sample-id-all="$other"
	variant $spec oldest y --attr-size 64 --no-identifier --no-sample-id-all --big-endian
	variant $spec oldest-pipe y --pipe --attr-size 64 --no-identifier --no-sample-id-all
done

# -- the size a file-layout attr gives itself (attr.size), read as perf's
# read_attr() reads it: 0 is the first ABI's 64 bytes, fields past the
# size are zero whatever the slot holds there; below 64, not a multiple of
# 8 or past the slot (header attr_size - 16) is an error naming the file
# and the offset of that attr, exit 1, nothing written
"$pwfixture" -o "$PW_TMP/slots.data" --attr-size 136 "$fx/sched.spec"
perfwhiz-proc -q -i "$PW_TMP/slots.data" --csv "$PW_TMP/slots.csv"
read -r slot aoff < <(python3 -c "import struct,sys; print(*struct.unpack_from('<QQ', open(sys.argv[1],'rb').read(), 16))" "$PW_TMP/slots.data")
[ "$slot" = 152 ] || die "slots.data: attr slots of $slot bytes, expected 152"
at=$((aoff + slot))	# the second attr
# attr_size NAME SIZE EXIT [PATTERN]: the second attr says SIZE, its bytes
# 64 to 135 are garbage
attr_size() {
	local name=$1 size=$2 want=$3 pattern=${4:-} rc=0 f=$PW_TMP/$1.data
	cp "$PW_TMP/slots.data" "$f"
	edit poke "$f" $((at + 4)) '<I' "$size"
	for o in $(seq 64 8 128); do edit poke "$f" $((at + o)) '<Q' 0x5a5a5a5a5a5a5a5a; done
	perfwhiz-proc -i "$f" --csv "$PW_TMP/$name.csv" 2>"$PW_TMP/$name.err" || rc=$?
	[ $rc = "$want" ] || { cat "$PW_TMP/$name.err"; die "$name: exit $rc, expected $want"; }
	if [ "$want" = 0 ]; then
		cmp -s "$PW_TMP/slots.csv" "$PW_TMP/$name.csv" || die "$name: rows differ"
		echo "ok  $name: same rows"
	else
		grep -q -- "$f: offset $at: $pattern" "$PW_TMP/$name.err" || { cat "$PW_TMP/$name.err"; die "$name: no message '$f: offset $at: $pattern'"; }
		[ ! -e "$PW_TMP/$name.csv" ] || die "$name: output left behind"
		echo "ok  $name: exit 1: $(head -n 1 "$PW_TMP/$name.err")"
	fi
}
attr_size attr-size-0 0 0
attr_size attr-size-64-in-136 64 0
attr_size attr-size-below-64 56 1 'attribute size 56 is below the minimum 64'
attr_size attr-size-odd 68 1 'attribute size 68 is not a multiple of 8'
attr_size attr-size-past-slot 144 1 'attribute size 144 is larger than the 136 bytes'
attr_size attr-size-huge 0xfffffff8 1 'attribute size 4294967288 is larger than the 136 bytes'
# a pipe's HEADER_ATTR record: the same rule
"$pwfixture" -o "$PW_TMP/slots.pipe" --pipe "$fx/sched.spec"
at=$(edit records "$PW_TMP/slots.pipe" | awk '$2 == 64 { n++ } n == 2 { print $1; exit }')
edit poke "$PW_TMP/slots.pipe" $((at + 12)) '<I' 68
rc=0
perfwhiz-proc -i "$PW_TMP/slots.pipe" --csv "$PW_TMP/slots-pipe.csv" 2>"$PW_TMP/slots-pipe.err" || rc=$?
[ $rc = 1 ] && grep -q "offset $at: attribute size 68 is not a multiple of 8" "$PW_TMP/slots-pipe.err" ||
	{ cat "$PW_TMP/slots-pipe.err"; die "pipe attr size 68: exit $rc, not said"; }
[ ! -e "$PW_TMP/slots-pipe.csv" ] || die "pipe attr size 68: output left behind"
echo "ok  pipe attr-size-odd: exit 1: $(head -n 1 "$PW_TMP/slots-pipe.err")"

# -- a sample id that matches no attr: counted, and that sample gives no row
# unknown ID BASE OFFSET-IN-RECORD WHAT: poke the id of the 3rd sample
unknown_id() {
	local name=$1 base=$2 at=$3 off t out
	off=$(edit records "$base" | awk '$2 == 9 { n++ } n == 3 { print $1; exit }')
	t=$(python3 -c "import struct,sys; print(struct.unpack_from('<Q', open(sys.argv[1],'rb').read(), $4)[0])" "$base")
	cp "$base" "$PW_TMP/$name.data"
	edit poke "$PW_TMP/$name.data" $((off + at)) '<Q' 0x7777777777
	perfwhiz-proc -q -i "$base" --csv "$PW_TMP/$name.good.csv"
	out=$(perfwhiz-proc -i "$PW_TMP/$name.data" --csv "$PW_TMP/$name.csv" 2>&1) || die "$name: failed"
	echo "$out" | grep -q ' 1 samples of unknown id' || { echo "$out"; die "$name: unknown id not counted"; }
	[ $(($(wc -l <"$PW_TMP/$name.csv") + 1)) = "$(wc -l <"$PW_TMP/$name.good.csv")" ] || die "$name: not exactly one row fewer"
	grep -q "^$t," "$PW_TMP/$name.good.csv" || die "$name: no row at $t to begin with"
	! grep -q "^$t," "$PW_TMP/$name.csv" || die "$name: the sample of unknown id gave a row"
	echo "ok  $name: counted, its row left out"
}
"$pwfixture" -o "$PW_TMP/id-only.data" --no-identifier "$fx/sched.spec"
off=$(edit records "$PW_TMP/id-only.data" | awk '$2 == 9 { n++ } n == 3 { print $1; exit }')
unknown_id unknown-id-id-only "$PW_TMP/id-only.data" 32 $((off + 24))	# ID after IP, TID, TIME
# one event only: its samples need no id, but one with an id not in its list is not its own
grep -v '^sample.* sched_\(wakeup\|migrate\|stat\)' "$fx/sched.spec" >"$PW_TMP/one.spec"
grep -q '^sample.*sched_switch' "$PW_TMP/one.spec" || die "one.spec has no sample"
"$pwfixture" -o "$PW_TMP/one.data" "$PW_TMP/one.spec"
off=$(edit records "$PW_TMP/one.data" | awk '$2 == 9 { n++ } n == 3 { print $1; exit }')
unknown_id unknown-id-one-attr "$PW_TMP/one.data" 8 $((off + 32))	# IDENTIFIER first

# -- IDENTIFIER on some events only, the others' ID elsewhere: the samples
# cannot be told apart: none attributed, all counted, and the reason said
"$pwfixture" -o "$PW_TMP/mixed-id.data" --no-identifier=sched_wakeup "$fx/sched.spec"
rc=0
perfwhiz-proc -i "$PW_TMP/mixed-id.data" --csv "$PW_TMP/mixed-id.csv" 2>"$PW_TMP/mixed-id.err" || rc=$?
[ $rc = 0 ] || { cat "$PW_TMP/mixed-id.err"; die "mixed IDENTIFIER: exit $rc"; }
[ "$(wc -l <"$PW_TMP/mixed-id.csv")" = 1 ] || die "mixed IDENTIFIER: rows attributed"
n=$(grep -c '^sample' "$fx/sched.spec")
grep -q " $n samples of unknown id" "$PW_TMP/mixed-id.err" || { cat "$PW_TMP/mixed-id.err"; die "mixed IDENTIFIER: not all $n counted"; }
grep -q 'samples cannot be told apart' "$PW_TMP/mixed-id.err" || { cat "$PW_TMP/mixed-id.err"; die "mixed IDENTIFIER: no reason given"; }
echo "ok  IDENTIFIER on some events only: $n samples counted, none attributed, reason said"
echo ok
