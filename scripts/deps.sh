#!/usr/bin/env bash
# Install everything perfwhiz needs from Debian's packages, and build a
# static libperf from the packaged kernel source into a build-local prefix.
#
#   scripts/deps.sh [--check] [PREFIX]
#
# PREFIX defaults to build/deps. Idempotent: packages already installed are
# not reinstalled and libperf is built once (later runs reuse it).
# --check only reports what is missing and exits 1 if anything is.
set -euo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
check_only=0
if [ "${1:-}" = "--check" ]; then check_only=1; shift; fi
prefix=${1:-$here/build/deps}

pkgs=(build-essential pkg-config xz-utils python3 zstd clang libclang-rt-dev
      libtraceevent-dev libtracefs-dev libcsv-dev libzstd-dev libcmocka-dev
      libmsgpack-dev zlib1g-dev gnuplot-nox linux-perf)

log() { printf 'deps: %s\n' "$*" >&2; }

missing=()
for p in "${pkgs[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || missing+=("$p")
done
src_tar=$(ls /usr/src/linux-source-*.tar.xz 2>/dev/null | sort -V | tail -n 1 || true)
if [ -z "$src_tar" ]; then
	missing+=("linux-source")
fi

if [ "$check_only" = 1 ]; then
	[ ${#missing[@]} -eq 0 ] && [ -f "$prefix/lib/libperf.a" ] && exit 0
	log "missing: ${missing[*]:-} $( [ -f "$prefix/lib/libperf.a" ] || echo libperf)"
	exit 1
fi

as_root() {
	if [ "$(id -u)" = 0 ]; then "$@";
	elif command -v sudo >/dev/null; then sudo "$@";
	else log "need root (or sudo) to run: $*"; exit 1; fi
}

if [ ${#missing[@]} -gt 0 ]; then
	log "installing: ${missing[*]}"
	# linux-source is a virtual name: pick the newest linux-source-X.Y.
	want=()
	for p in "${missing[@]}"; do
		if [ "$p" = linux-source ]; then
			as_root apt-get update -qq || true
			lp=$(apt-cache search --names-only '^linux-source-[0-9.]+$' | awk '{print $1}' | sort -V | tail -n 1)
			[ -n "$lp" ] || { log "no linux-source-* package available"; exit 1; }
			want+=("$lp")
		else
			want+=("$p")
		fi
	done
	export DEBIAN_FRONTEND=noninteractive
	as_root apt-get install -y -qq --no-install-recommends "${want[@]}" >/dev/null || {
		as_root apt-get update -qq
		as_root apt-get install -y -qq --no-install-recommends "${want[@]}" >/dev/null
	}
	src_tar=$(ls /usr/src/linux-source-*.tar.xz | sort -V | tail -n 1)
fi

if [ -f "$prefix/lib/libperf.a" ] && [ -f "$prefix/include/perf/event.h" ]; then
	exit 0
fi

log "building libperf from $src_tar into $prefix"
work=$(mktemp -d "${TMPDIR:-/tmp}/perfwhiz-libperf.XXXXXX")
trap 'rm -rf "$work"' EXIT
top=$(basename "$src_tar" .tar.xz)
tar -xJf "$src_tar" -C "$work" --wildcards \
	"$top/tools/lib/perf" "$top/tools/lib/api" "$top/tools/lib/*.c" "$top/tools/lib/*.h" \
	"$top/tools/include" "$top/tools/build" "$top/tools/scripts" "$top/tools/arch" \
	"$top/include/uapi" "$top/arch/x86/include/uapi" "$top/scripts" \
	"$top/tools/perf/Documentation/perf.data-file-format.txt" 2>/dev/null || true
[ -d "$work/$top/tools/lib/perf" ] || { log "could not extract tools/lib/perf from $src_tar"; exit 1; }
mkdir -p "$prefix/share/doc"
cp "$work/$top/tools/perf/Documentation/perf.data-file-format.txt" "$prefix/share/doc/" 2>/dev/null || true
make -s -C "$work/$top/tools/lib/perf" EXTRA_CFLAGS="-fPIC -O2" >/dev/null
make -s -C "$work/$top/tools/lib/perf" install_headers install_lib \
	DESTDIR="" prefix="$prefix" libdir_relative=lib EXTRA_CFLAGS="-fPIC -O2" >/dev/null
# libapi for the evlist/mmap functions (live capture path).
api=$(find "$work/$top/tools/lib" -name libapi.a | head -n 1)
[ -z "$api" ] || cp "$api" "$prefix/lib/"
rm -f "$prefix"/lib/libperf.so*
[ -f "$prefix/lib/libperf.a" ] || { log "libperf build failed"; exit 1; }
log "libperf ready in $prefix"
