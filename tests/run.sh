#!/usr/bin/env bash
# Run every unit test binary (build/tests/test-*) and every end-to-end
# script (tests/e2e/*.sh). An e2e script exits 0 (pass), 77 (skipped: it
# says why on stderr) or anything else (fail).
#
#   tests/run.sh BUILD_DIR [NAME-PATTERN]
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
build=${1:?usage: tests/run.sh BUILD_DIR [PATTERN]}
pattern=${2:-*}
export PW_TOP=$top PW_BUILD=$build
export PW_SHARED=${PW_SHARED:-$top/../shared/data}
export PATH=$build:$PATH
# sanitizer builds: libtraceevent's own leaks on malformed formats are not ours
export LSAN_OPTIONS=suppressions=$top/tests/fuzz/lsan.supp${LSAN_OPTIONS:+:$LSAN_OPTIONS}
pass=0 fail=0 skip=0 failed=()
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

run_one() {
	local name=$1; shift
	local start=$SECONDS rc
	"$@" >"$tmp/out" 2>&1
	rc=$?
	if [ $rc -eq 0 ]; then
		pass=$((pass + 1)); printf 'PASS  %-40s %3ds\n' "$name" $((SECONDS - start))
	elif [ $rc -eq 77 ]; then
		skip=$((skip + 1)); printf 'SKIP  %-40s (%s)\n' "$name" "$(tail -n 1 "$tmp/out")"
	else
		fail=$((fail + 1)); failed+=("$name")
		printf 'FAIL  %-40s (exit %d)\n' "$name" $rc
		sed 's/^/    | /' "$tmp/out" | tail -n 60
	fi
}

for t in "$build"/tests/test-*; do
	[ -x "$t" ] || continue
	n=$(basename "$t")
	case $n in $pattern) ;; *) continue ;; esac
	run_one "unit/$n" "$t"
done
for s in "$top"/tests/e2e/*.sh; do
	[ -f "$s" ] || continue
	n=$(basename "$s" .sh)
	[ "$n" != lib ] || continue	# helpers sourced by the tests
	case $n in $pattern) ;; *) continue ;; esac
	run_one "e2e/$n" bash "$s"
done

printf '\n%d passed, %d failed, %d skipped\n' $pass $fail $skip
[ $fail -eq 0 ] || { printf 'failed: %s\n' "${failed[*]}"; exit 1; }
