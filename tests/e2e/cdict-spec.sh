# docs/cdict.md is enough to read a cdict: an independent reader written
# from it alone (tests/tools/cdict-ref.py) prints exactly what
# perfwhiz-proc --csv prints, on every capture and fixture, with default
# and tiny row groups; and files of format 1.0 (dense) still read as they
# were written.
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

# format 1.0, written before sparse chunks, and a 2.0 copy of it
for f in "$PW_TOP"/tests/data/cdict-1.0/*.cdict; do
	n=$(basename "$f" .cdict)
	want=${f%.cdict}.csv
	perfwhiz-proc -q -i "$f" --csv "$PW_TMP/$n-1.0.csv"
	python3 "$ref" --csv "$f" >"$PW_TMP/$n-1.0.ref.csv" || die "$n 1.0: the reference reader failed"
	perfwhiz-proc -q -i "$f" -o "$PW_TMP/$n-2.0.cdict"
	perfwhiz-proc -q -i "$PW_TMP/$n-2.0.cdict" --csv "$PW_TMP/$n-2.0.csv"
	perfwhiz-proc --info "$f" | grep -qx 'format: *cdict 1\.0' || die "$n: --info: not format 1.0"
	perfwhiz-proc --info "$PW_TMP/$n-2.0.cdict" | grep -qx 'format: *cdict 2\.0' ||
		die "$n: the copy is not format 2.0"
	for got in "$n-1.0.csv" "$n-1.0.ref.csv" "$n-2.0.csv"; do
		cmp -s "$want" "$PW_TMP/$got" ||
			{ diff "$want" "$PW_TMP/$got" | head; die "$got differs from what 1.0 wrote"; }
	done
	echo "ok  $n: format 1.0 reads as written, and as its 2.0 copy"
done
