# docs/cdict.md is enough to read a cdict: an independent reader written
# from it alone (tests/tools/cdict-ref.py) prints exactly what
# perfwhiz-proc --csv prints, on every capture and fixture, with default
# and tiny row groups; and files of formats 1.0 (dense) and 2.0 (pid and tgid
# not predicted) still read as they were written.
. "$(dirname "$0")/lib.sh"
command -v zstd >/dev/null || skip "the zstd command (package zstd) is not installed"
caps=$PW_TOP/tests/data/captures
fx=$PW_TOP/tests/data/fixtures
ref=$PW_TOP/tests/tools/cdict-ref.py

inputs=("$caps"/*.data)
"$PW_BUILD/tests/pwfixture" -o "$PW_TMP/vmx.data" "$fx/kvm-vmx.spec"
"$PW_BUILD/tests/pwfixture" -o "$PW_TMP/sched.data" "$fx/sched.spec"
inputs+=("$PW_TMP/vmx.data" "$PW_TMP/sched.data")
for f in "${inputs[@]}"; do
	n=$(basename "$f" .data)
	perfwhiz-proc -q -i "$f" --csv "$PW_TMP/$n.csv" -o "$PW_TMP/$n.cdict"
	perfwhiz-proc -q -i "$f" --chunk-rows 5 -o "$PW_TMP/$n.tiny.cdict"
	for c in "$n.cdict" "$n.tiny.cdict"; do
		python3 "$ref" --csv "$PW_TMP/$c" >"$PW_TMP/$c.csv" || die "$c: the reference reader failed"
		cmp -s "$PW_TMP/$n.csv" "$PW_TMP/$c.csv" ||
			{ diff "$PW_TMP/$n.csv" "$PW_TMP/$c.csv" | head; die "$c: the reference reader differs"; }
	done
	echo "ok  $n: $(($(wc -l <"$PW_TMP/$n.csv") - 1)) rows read alike"
done

# formats 1.0 (written before sparse chunks) and 2.0 (before the running and
# thread encodings of pid and tgid), and a copy of each in the current format
for f in "$PW_TOP"/tests/data/cdict-1.0/*.cdict "$PW_TOP"/tests/data/cdict-2.0/*.cdict; do
	n=$(basename "$f" .cdict)
	v=$(basename "$(dirname "$f")")
	v=${v#cdict-}
	want=${f%.cdict}.csv
	perfwhiz-proc -q -i "$f" --csv "$PW_TMP/$n-$v.csv"
	python3 "$ref" --csv "$f" >"$PW_TMP/$n-$v.ref.csv" || die "$n $v: the reference reader failed"
	perfwhiz-proc -q -i "$f" -o "$PW_TMP/$n-$v-copy.cdict"
	perfwhiz-proc -q -i "$PW_TMP/$n-$v-copy.cdict" --csv "$PW_TMP/$n-$v-copy.csv"
	python3 "$ref" --csv "$PW_TMP/$n-$v-copy.cdict" >"$PW_TMP/$n-$v-copy.ref.csv" ||
		die "$n $v copy: the reference reader failed"
	perfwhiz-proc --info "$f" | grep -qx "format: *cdict ${v//./\\.}" ||
		die "$n: --info: not format $v"
	perfwhiz-proc --info "$PW_TMP/$n-$v-copy.cdict" | grep -qx 'format: *cdict 2\.1' ||
		die "$n $v: the copy is not format 2.1"
	for got in "$n-$v.csv" "$n-$v.ref.csv" "$n-$v-copy.csv" "$n-$v-copy.ref.csv"; do
		cmp -s "$want" "$PW_TMP/$got" ||
			{ diff "$want" "$PW_TMP/$got" | head; die "$got differs from what $v wrote"; }
	done
	echo "ok  $n: format $v reads as written, and as its 2.1 copy"
done
