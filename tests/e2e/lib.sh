# Helpers for end-to-end tests: source from tests/e2e/*.sh.
# Environment (set by tests/run.sh): PW_TOP, PW_BUILD, PW_SHARED.
set -euo pipefail
: "${PW_TOP:?run through tests/run.sh}"
PW_TMP=$(mktemp -d)
trap 'rm -rf "$PW_TMP"' EXIT

die() { echo "FAIL: $*" >&2; exit 1; }
skip() { echo "skipped: $*" >&2; exit 77; }

# need_root_perf: skip unless perf can record tracepoints system-wide.
need_root_perf() {
	command -v perf >/dev/null || skip "perf is not installed"
	[ "$(id -u)" = 0 ] || skip "needs root for perf record -a"
	if [ ! -d /sys/kernel/tracing/events/sched ]; then
		mount -t tracefs nodev /sys/kernel/tracing 2>/dev/null || true
	fi
	[ -d /sys/kernel/tracing/events/sched ] || skip "tracefs (sched events) not available"
}

# asan_runtime FILE: the address sanitizer's shared runtime FILE is linked
# with (gcc's libasan or clang's libclang_rt.asan), or nothing.
asan_runtime() {
	ldd "$1" | awk '/libasan|libclang_rt\.asan/ { print $3; exit }'
}

# expect_eq WHAT EXPECTED ACTUAL
expect_eq() {
	[ "$2" = "$3" ] || die "$1: expected '$2', got '$3'"
}
