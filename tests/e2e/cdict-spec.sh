# docs/cdict.md is enough to read a cdict: an independent reader written
# from it alone (tests/tools/cdict-ref.py) prints exactly what
# perfwhiz-proc --csv prints, on every capture and fixture, with default
# and tiny row groups.
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
