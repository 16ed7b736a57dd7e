# Inputs that once crashed, hung or leaked (found by make fuzz), replayed
# through the same harness code with this build (ASan/UBSan with
# SANITIZE=1): each must now pass cleanly. tests/data/bad/<harness>/.
# Some of them crash libtraceevent in the child that probes a format; that
# child must leave no core dump behind in the user's directory.
. "$(dirname "$0")/lib.sh"
n=0
cwd=$PW_TMP/cwd
mkdir -p "$cwd"
# core dumps on, where this machine writes them into the crashing process's
# directory: a control crash shows whether it does
cores=no
if ulimit -c unlimited 2>/dev/null; then
	sh -c 'cd "$1" && sh -c "kill -SEGV \$\$"' sh "$cwd" 2>/dev/null || true
	[ -n "$(ls -A "$cwd")" ] && cores=yes
	rm -f "$cwd"/*
fi
for d in "$PW_TOP"/tests/data/bad/fuzz-*/; do
	h=$(basename "$d")
	replay=$PW_BUILD/tests/replay-${h#fuzz-}
	[ -x "$replay" ] || die "missing $replay"
	for f in "$d"*; do
		(cd "$cwd" && timeout 60 "$replay" "$f") >/dev/null 2>"$PW_TMP/err" ||
			{ tail -n 30 "$PW_TMP/err"; die "$h: $(basename "$f")"; }
		[ -z "$(ls -A "$cwd")" ] || die "$h: $(basename "$f") left $(ls -A "$cwd") behind"
		echo "ok  $h/$(basename "$f")"
		n=$((n + 1))
	done
done
[ $n -gt 0 ] || die "no regression inputs found"
echo "$n inputs replayed"
if [ $cores = yes ]; then
	echo "no core dumps left behind (they are written here)"
else
	echo "(core dumps are not written into the working directory here: that check is moot)"
fi
