# Captures from a big-endian machine (written by pwfixture --big-endian: every
# header, record, attr (bitfields included), tracing data number and payload
# field in big-endian order), file and pipe layouts: the same rows and the
# same metadata as their little-endian twins. (perf reads the file layout of
# these the same way: tests/e2e/fixture.sh.)
. "$(dirname "$0")/lib.sh"
fx=$PW_TOP/tests/data/fixtures
pwfixture=$PW_BUILD/tests/pwfixture
export PW_TOP
for spec in sched kvm-vmx kvm-svm; do
	for layout in file pipe; do
		opt=; [ $layout = pipe ] && opt=--pipe
		"$pwfixture" $opt -o "$PW_TMP/le.data" "$fx/$spec.spec"
		"$pwfixture" $opt --big-endian -o "$PW_TMP/be.data" "$fx/$spec.spec"
		cmp -s "$PW_TMP/le.data" "$PW_TMP/be.data" && die "$spec: the twins are the same bytes"
		perfwhiz-proc -q -i "$PW_TMP/le.data" -o "$PW_TMP/le.cdict" --csv "$PW_TMP/le.csv"
		perfwhiz-proc -q -i "$PW_TMP/be.data" -o "$PW_TMP/be.cdict" --csv "$PW_TMP/be.csv"
		cmp -s "$PW_TMP/le.csv" "$PW_TMP/be.csv" || { diff "$PW_TMP/le.csv" "$PW_TMP/be.csv" | head; die "$spec $layout: rows differ"; }
		perfwhiz-proc --info "$PW_TMP/le.cdict" | grep -v '^file:\|^source:' >"$PW_TMP/le.info"
		perfwhiz-proc --info "$PW_TMP/be.cdict" | grep -v '^file:\|^source:' >"$PW_TMP/be.info"
		cmp -s "$PW_TMP/le.info" "$PW_TMP/be.info" || { diff "$PW_TMP/le.info" "$PW_TMP/be.info"; die "$spec $layout: metadata differs"; }
		grep -q '^host: *fixture-host' "$PW_TMP/be.info" || die "$spec $layout: no host read"
		echo "ok  $spec, $layout layout: $(($(wc -l <"$PW_TMP/be.csv") - 1)) rows equal"
	done
done
