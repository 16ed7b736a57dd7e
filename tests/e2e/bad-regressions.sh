# Inputs that once crashed, hung or leaked (found by make fuzz), replayed
# through the same harness code with this build (ASan/UBSan with
# SANITIZE=1): each must now pass cleanly. tests/data/bad/<harness>/.
. "$(dirname "$0")/lib.sh"
n=0
for d in "$PW_TOP"/tests/data/bad/fuzz-*/; do
	h=$(basename "$d")
	replay=$PW_BUILD/tests/replay-${h#fuzz-}
	[ -x "$replay" ] || die "missing $replay"
	for f in "$d"*; do
		timeout 60 "$replay" "$f" >/dev/null 2>"$PW_TMP/err" || { tail -n 30 "$PW_TMP/err"; die "$h: $(basename "$f")"; }
		echo "ok  $h/$(basename "$f")"
		n=$((n + 1))
	done
done
[ $n -gt 0 ] || die "no regression inputs found"
echo "$n inputs replayed"
