#!/usr/bin/env bash
# make fuzz: run each libFuzzer harness for a bounded time from a seed
# corpus built from the committed captures, fixtures and bad inputs.
#   scripts/fuzz.sh FUZZ_BUILD_DIR SECONDS HARNESS...
# A crash, hang, leak or sanitizer report stops with the input saved under
# FUZZ_BUILD_DIR/artifacts/; keep it under tests/data/bad/<harness>/ as a
# regression once fixed (make test runs those).
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
fb=$1 secs=$2
shift 2
build=$(dirname "$fb")
mkdir -p "$fb/artifacts"

seed() {	# seed HARNESS DIR: fill a corpus
	local h=$1 d=$2
	mkdir -p "$d"
	case $h in
	fuzz-perfdata)
		cp "$top"/tests/data/captures/*.data "$d/"
		for s in "$top"/tests/data/fixtures/*.spec; do
			"$build/tests/pwfixture" -o "$d/$(basename "$s" .spec).data" "$s"
			"$build/tests/pwfixture" --pipe -o "$d/$(basename "$s" .spec)-pipe.data" "$s"
		done ;;
	fuzz-tracedata)
		# the tracing data of each capture (HEADER_TRACING_DATA, feature 1),
		# followed by a sched_switch payload
		python3 - "$d" "$top"/tests/data/captures/file.data "$top"/tests/data/captures/zstd.data <<'PY'
import struct, sys
out = sys.argv[1]
for i, p in enumerate(sys.argv[2:]):
    d = open(p, "rb").read()
    off, size = struct.unpack_from("<QQ", d, 40)
    flags = struct.unpack_from("<Q", d, 72)[0]
    if not flags & 2:
        continue
    foff, fsize = struct.unpack_from("<QQ", d, off + size)   # bit 1 is the first bit set
    payload = struct.pack("<HBBi16si", 372, 0, 0, 1, b"swapper/0", 0) + bytes(40)
    open(f"{out}/td{i}", "wb").write(d[foff:foff + fsize] + payload + struct.pack("<H", len(payload)))
PY
		;;
	fuzz-cdict)
		for f in file pipe several; do
			"$build/perfwhiz-proc" -q -i "$top/tests/data/captures/$f.data" \
				--chunk-rows 50 -o "$d/$f.cdict"
		done
		# KVM rows: sparse chunks with several events in their masks
		"$build/tests/pwfixture" -o "$d/vmx.data" "$top/tests/data/fixtures/kvm-vmx.spec"
		"$build/perfwhiz-proc" -q -i "$d/vmx.data" --chunk-rows 9 -o "$d/vmx.cdict"
		rm -f "$d/vmx.data"
		cp "$top"/tests/data/cdict-1.0/*.cdict "$d/"	# dense, format 1.0
		for f in "$top"/tests/data/cdict-2.0/*.cdict; do	# pid, tgid not predicted
			cp "$f" "$d/2.0-$(basename "$f")"
		done
		cp "$top"/tests/data/legacy/*.cdict "$d/" 2>/dev/null || true ;;
	fuzz-namemap)
		printf '19236,,vcpu0,,,5,Firewall\n' >"$d/simple.csv"
		printf '# c\n\n19236,instance-000019f4,vcpu0,uuid,FULL,5,Firewall\n19237,,emulator,,,12,"Router, big"\n' >"$d/full.csv" ;;
	esac
	if [ -d "$top/tests/data/bad/$h" ]; then cp "$top/tests/data/bad/$h"/* "$d/" 2>/dev/null || true; fi
}

export LSAN_OPTIONS=suppressions=$top/tests/fuzz/lsan.supp${LSAN_OPTIONS:+:$LSAN_OPTIONS}
rc=0
for h in "$@"; do
	corpus=$fb/corpus-$h
	[ -d "$corpus" ] || seed "$h" "$corpus"
	echo "== $h: $secs s, corpus $(ls "$corpus" | wc -l) inputs"
	if ! "$fb/$h" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -print_final_stats=0 \
		-artifact_prefix="$fb/artifacts/$h-" "$corpus" >"$fb/$h.log" 2>&1; then
		tail -n 40 "$fb/$h.log"
		echo "FAIL: $h: see $fb/$h.log and $fb/artifacts/"
		rc=1
	else
		grep -E '^#[0-9]+.*(DONE|pulse)' "$fb/$h.log" | tail -n 1 || true
	fi
done
exit $rc
