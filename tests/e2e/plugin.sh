# perfwhiz.so, the perf script --dlfilter plugin, against perfwhiz-proc:
# on every committed capture and on the fixtures (file and pipe layout, -z,
# call chains, several events, KVM VMX and SVM with both kvm_exit layouts,
# sleep/iowait, fork), the CSV export of the plugin's cdict equals
# perfwhiz-proc's byte for byte, and so does the metadata (--info). A name
# map gives the same names. Bad --dlarg values, a perf that stops early, a
# perf with another dlfilter API and signals leave no output and a non-zero
# exit. Only perf's entry points are exported.
. "$(dirname "$0")/lib.sh"
command -v perf >/dev/null || skip "perf is not installed"
case $(perf script -h 2>&1 || true) in
*--dlfilter*) ;;
*) skip "this perf has no --dlfilter (perf 5.14 or later)" ;;
esac
so=$PW_BUILD/perfwhiz.so
[ -f "$so" ] || die "missing $so (make builds it when perf's perf_dlfilter.h is installed)"
caps=$PW_TOP/tests/data/captures
fx=$PW_TOP/tests/data/fixtures
pwfixture=$PW_BUILD/tests/pwfixture
[ -x "$pwfixture" ] || die "missing $pwfixture (make builds it)"
export PW_TOP

# A sanitizer build's plugin needs its runtime loaded first; perf itself leaks.
asan=$(asan_runtime "$so")
run_perf() {
	if [ -n "$asan" ]; then
		LD_PRELOAD=$asan ASAN_OPTIONS=detect_leaks=0 perf "$@"
	else
		perf "$@"
	fi
}
plugin() {	# plugin OUT.cdict [--dlarg ...] [perf script options]: perf script with the plugin
	local out=$1
	shift
	run_perf script --dlfilter "$so" --dlarg "$out" --dlarg quiet "$@"
}

# Only perf's entry points are exported: the library (and the libtraceevent
# inside it) must never bind to the copy of libtraceevent perf exports.
exports=$(nm -D --defined-only "$so" | awk '{ print $3 }' | sort | tr '\n' ' ')
expect_eq "exported symbols" "filter_description filter_event_early perf_dlfilter_fns start stop " \
	"$exports"
nm -D --undefined-only "$so" | grep -E ' (tep_|trace_seq_|tracefs_|kbuffer_)' &&
	die "the plugin takes libtraceevent/libtracefs symbols from outside"

info() {	# info CDICT: the metadata, without the line naming the file itself
	perfwhiz-proc --info "$1" | tail -n +2
}

same() {	# same NAME: the plugin's and perfwhiz-proc's cdicts of NAME agree
	local n=$1
	perfwhiz-proc -q -i "$PW_TMP/$n.plugin.cdict" --csv "$PW_TMP/$n.plugin.csv" ||
		die "$n: the plugin's cdict does not read back"
	perfwhiz-proc -q -i "$PW_TMP/$n.proc.cdict" --csv "$PW_TMP/$n.proc.csv" ||
		die "$n: perfwhiz-proc's cdict does not read back"
	[ "$(wc -l <"$PW_TMP/$n.proc.csv")" -gt 1 ] || die "$n: no rows"
	cmp "$PW_TMP/$n.proc.csv" "$PW_TMP/$n.plugin.csv" ||
		{ diff "$PW_TMP/$n.proc.csv" "$PW_TMP/$n.plugin.csv" | head; die "$n: other rows"; }
	diff <(info "$PW_TMP/$n.proc.cdict") <(info "$PW_TMP/$n.plugin.cdict") ||
		die "$n: other metadata"
	echo "$n: $(($(wc -l <"$PW_TMP/$n.proc.csv") - 1)) rows, the same"
}

one() {	# one NAME FILE: -i FILE
	plugin "$PW_TMP/$1.plugin.cdict" -i "$2" || die "$1: perf script with the plugin failed"
	perfwhiz-proc -q -i "$2" -o "$PW_TMP/$1.proc.cdict" || die "$1: perfwhiz-proc failed"
	same "$1"
}

one_stdin() {	# one_stdin NAME FILE: perf script -i - <FILE (pipe layout)
	plugin "$PW_TMP/$1.plugin.cdict" -i - <"$2" || die "$1: perf script -i - failed"
	perfwhiz-proc -q -i - -o "$PW_TMP/$1.proc.cdict" <"$2" || die "$1: perfwhiz-proc failed"
	same "$1"
}

# --- every committed capture
n=0
for f in "$caps"/*.data; do
	one "$(basename "$f" .data)" "$f"
	n=$((n + 1))
done
[ $n -ge 6 ] || die "expected the six committed captures, found $n"
one_stdin pipe-stdin "$caps/pipe.data"
one_stdin zstd-pipe-stdin "$caps/zstd-pipe.data"
# the input named as perf does: --input=FILE, and ./perf.data by default
plugin "$PW_TMP/long.plugin.cdict" --input="$caps/file.data" || die "--input= failed"
cp "$PW_TMP/file.proc.cdict" "$PW_TMP/long.proc.cdict"
same long
mkdir "$PW_TMP/cwd"
cp "$caps/zstd.data" "$PW_TMP/cwd/perf.data"
(cd "$PW_TMP/cwd" && plugin "$PW_TMP/default.plugin.cdict" </dev/null &&
	perfwhiz-proc -q -i perf.data -o "$PW_TMP/default.proc.cdict") || die "default input failed"
same default

# --- fixtures: KVM (VMX, SVM, both kvm_exit layouts), sleep/iowait, fork
fixture() {	# fixture NAME SPEC [pwfixture options]
	local name=$1 spec=$2
	shift 2
	"$pwfixture" "$@" -o "$PW_TMP/$name.data" "$fx/$spec" || die "$name: pwfixture failed"
	one "$name" "$PW_TMP/$name.data"
}
fixture vmx kvm-vmx.spec
fixture vmx-linux4 kvm-vmx.spec --kvm-exit-format kvm_exit-linux4.format
fixture vmx-pipe kvm-vmx.spec --pipe
fixture svm kvm-svm.spec --cpuid AuthenticAMD,25,1,1
fixture svm-linux4 kvm-svm.spec --cpuid AuthenticAMD,25,1,1 --kvm-exit-format kvm_exit-linux4.format
fixture sched sched.spec
fixture sched-pipe sched.spec --pipe --no-rounds
one_stdin sched-pipe-stdin "$PW_TMP/sched-pipe.data"
grep -q ',EPT_VIOLATION,' "$PW_TMP/vmx.plugin.csv" || die "no EPT_VIOLATION exit"
grep -q ',npf,' "$PW_TMP/svm.plugin.csv" || die "no npf exit"
grep -q ',sched_stat_iowait,' "$PW_TMP/sched.plugin.csv" || die "no iowait row"
# the vcpu threads' names (kvm rows carry none) come from perf: CPU 0/KVM
grep -q ',kvm_exit,2001,2000,CPU 0/KVM,' "$PW_TMP/vmx.plugin.csv" || die "no vcpu name from perf"
# a forked task's thread group comes from its FORK record, before it ever ran
grep -q ',sched_wakeup_new,1200,1200,' "$PW_TMP/sched.plugin.csv" || die "no tgid from FORK"

# --- a name map gives the same names as with perfwhiz-proc
cat >"$PW_TMP/map.csv" <<'EOF'
# tid,instance,type,uuid,group-type,group-id,name
2001,instance-0001,vcpu0,,,5,Firewall
2002,,vcpu1,,,5,Firewall
EOF
awk -F, 'NR > 1 && $4 > 0 { print $4 }' "$PW_TMP/file.proc.csv" | sort -un | head -n 3 |
	awk '{ printf "%s,,worker%d,,,%d,Bench\n", $1, NR, NR }' >>"$PW_TMP/map.csv"
for n in vmx file; do
	if [ $n = vmx ]; then in=$PW_TMP/vmx.data; else in=$caps/file.data; fi
	plugin "$PW_TMP/$n-map.plugin.cdict" --dlarg map="$PW_TMP/map.csv" -i "$in" ||
		die "$n: the plugin with a map failed"
	perfwhiz-proc -q -i "$in" --map "$PW_TMP/map.csv" -o "$PW_TMP/$n-map.proc.cdict" ||
		die "$n: perfwhiz-proc with a map failed"
	same "$n-map"
done
grep -q ',Firewall.05.vcpu0,' "$PW_TMP/vmx-map.plugin.csv" || die "vcpu0 not renamed"
grep -q ',Firewall.05.vcpu1,' "$PW_TMP/vmx-map.plugin.csv" || die "vcpu1 not renamed"
grep -q ',Bench.01.worker1,' "$PW_TMP/file-map.plugin.csv" || die "a capture's task not renamed"
grep -q "^name map: *$PW_TMP/map.csv (sha256 " <(info "$PW_TMP/vmx-map.plugin.cdict") ||
	die "the map is not in the metadata"

# --- perf prints nothing, unless asked to (and the cdict is the same then)
plugin "$PW_TMP/quiet.cdict" -i "$caps/file.data" >"$PW_TMP/quiet.out" || die "quiet run failed"
[ ! -s "$PW_TMP/quiet.out" ] || die "perf printed samples"
plugin "$PW_TMP/print.plugin.cdict" --dlarg print -i "$caps/file.data" >"$PW_TMP/print.out" ||
	die "--dlarg print failed"
perf script -i "$caps/file.data" >"$PW_TMP/perf.out" 2>/dev/null
cmp -s "$PW_TMP/perf.out" "$PW_TMP/print.out" || die "--dlarg print: perf printed other lines"
cp "$PW_TMP/file.proc.cdict" "$PW_TMP/print.proc.cdict"
same print

# --- a stream perf reads from a true pipe cannot be read twice: this
# machine's formats, a warning, and every column but the thread group right
cat "$caps/pipe.data" | plugin "$PW_TMP/stream.cdict" -i - 2>"$PW_TMP/stream.err" ||
	die "a piped stream failed"
grep -q 'perf reads a stream, which cannot be read a second time' "$PW_TMP/stream.err" ||
	die "no warning for a piped stream"
perfwhiz-proc -q -i "$PW_TMP/stream.cdict" --csv - | cut -d, -f1-4,6- >"$PW_TMP/stream.csv"
cut -d, -f1-4,6- "$PW_TMP/pipe.proc.csv" | cmp -s - "$PW_TMP/stream.csv" ||
	die "a piped stream: other rows (beyond the thread groups)"

# Without the file, vcpu threads' names can only come from perf (kvm rows
# carry none): on a machine whose kvm formats are the fixture's, a piped KVM
# stream gives the very same rows (tgids come from the samples there).
same_format() {	# same_format EVENT: this machine's format is the fixture's
	# (read through cat: tracefs files say size 0, and cmp would stop there)
	cat "/sys/kernel/tracing/events/kvm/$1/format" 2>/dev/null |
		cmp -s - "$PW_TOP/tests/data/formats/$1.format"
}
if same_format kvm_exit && same_format kvm_entry; then
	cat "$PW_TMP/vmx-pipe.data" | plugin "$PW_TMP/kvm-stream.cdict" -i - 2>/dev/null ||
		die "a piped KVM stream failed"
	perfwhiz-proc -q -i "$PW_TMP/kvm-stream.cdict" --csv - |
		cmp -s - "$PW_TMP/vmx-pipe.proc.csv" || die "a piped KVM stream: other rows"
	echo "kvm stream: names from perf, the same rows"
	# a vcpu thread renamed between its samples: the later rows take the
	# new name (the plugin skips perf's name while it is the one it has)
	awk '/^# round 2, cpu0/ { print "comm 2000 2001 \"vcpu0-renamed\" 10.000024000 0" }
		{ print }' "$fx/kvm-vmx.spec" >"$PW_TMP/renamed.spec"
	"$pwfixture" --pipe -o "$PW_TMP/renamed.data" "$PW_TMP/renamed.spec" ||
		die "renamed: pwfixture failed"
	perfwhiz-proc -q -i "$PW_TMP/renamed.data" --csv "$PW_TMP/renamed.proc.csv" ||
		die "renamed: perfwhiz-proc failed"
	expect_eq "renamed: rows of the new name" 4 \
		"$(grep -c ',2001,2000,vcpu0-renamed,' "$PW_TMP/renamed.proc.csv")"
	cat "$PW_TMP/renamed.data" | plugin "$PW_TMP/renamed-stream.cdict" -i - 2>/dev/null ||
		die "a piped stream with a rename failed"
	perfwhiz-proc -q -i "$PW_TMP/renamed-stream.cdict" --csv - |
		cmp -s - "$PW_TMP/renamed.proc.csv" || die "a piped stream with a rename: other rows"
	echo "kvm stream with a vcpu renamed: the same rows"
else
	echo "kvm stream: not checked (this machine's kvm formats are not the fixture's)"
fi

# --- errors: perf exits non-zero, a message says why, nothing is left
mkdir "$PW_TMP/out"
bad() {	# bad WHAT EXPECTED-MESSAGE perf-script-args...
	local what=$1 msg=$2 rc
	shift 2
	set +e
	run_perf script --dlfilter "$so" "$@" >"$PW_TMP/bad.out" 2>"$PW_TMP/bad.err"
	rc=$?
	set -e
	[ $rc -ne 0 ] || die "$what: exit status 0"
	grep -qF -- "$msg" "$PW_TMP/bad.err" ||
		{ cat "$PW_TMP/bad.err"; die "$what: no message '$msg'"; }
	[ -z "$(ls -A "$PW_TMP/out")" ] || { ls -A "$PW_TMP/out"; die "$what: a file was left"; }
	echo "$what: exit $rc, '$msg'"
}
o=$PW_TMP/out/x.cdict
printf '2001,,vcpu0,,,5\n' >"$PW_TMP/bad-map.csv"
bad "unwritable output" "cannot create a temporary file" --dlarg "$PW_TMP/out/no/such/dir/x.cdict" \
	-i "$caps/file.data"
bad "output in a file" "$caps/file.data/x.cdict" --dlarg "$caps/file.data/x.cdict" -i "$caps/file.data"
bad "unreadable map" "cannot open the mapping file" --dlarg "$o" --dlarg map="$PW_TMP/nosuch.csv" \
	-i "$caps/file.data"
bad "malformed map" "bad-map.csv:1: expected 7 comma-separated fields" --dlarg "$o" \
	--dlarg map="$PW_TMP/bad-map.csv" -i "$caps/file.data"
bad "no output" "no output file: give it with --dlarg OUT.cdict" -i "$caps/file.data"
mkdir "$PW_TMP/same"
cp "$caps/file.data" "$PW_TMP/same/run.data"
bad "output over the capture" "the output would replace the capture perf reads" \
	--dlarg "$PW_TMP/same/run.data" -i "$PW_TMP/same/run.data"
cmp -s "$caps/file.data" "$PW_TMP/same/run.data" || die "the capture was overwritten"
expect_eq "files beside the capture" "run.data" "$(ls -A "$PW_TMP/same")"
bad "two outputs" "two outputs given" --dlarg "$o" --dlarg "$o.2" -i "$caps/file.data"
bad "unknown argument" "unknown --dlarg 'colour=blue'" --dlarg "$o" --dlarg colour=blue \
	-i "$caps/file.data"
bad "missing input" "nosuch.data: cannot open" --dlarg "$o" --dlarg input="$PW_TMP/nosuch.data" \
	-i "$caps/file.data"
bad "not a perf.data" "not a perf.data file" --dlarg "$o" --dlarg input="$PW_TMP/map.csv" \
	-i "$caps/file.data"
# perf reading another file than the plugin: caught by the sample count
bad "another input" "perf hands over more samples than the file holds" --dlarg "$o" \
	--dlarg input="$caps/callchain.data" -i "$caps/file.data"
bad "another, larger input" "perf stopped early, or reads another file" --dlarg "$o" \
	--dlarg input="$caps/file.data" -i "$caps/callchain.data"
# perf stopping at a record it cannot use: the cdict would lack the rest
python3 - "$caps/file.data" "$PW_TMP/cut.data" <<'EOF'
import struct, sys
d = bytearray(open(sys.argv[1], 'rb').read())
off, size = struct.unpack_from('<QQ', d, 40)	# the data section
pos, n = off, 0
while pos < off + size:	# the middle record gets a type perf rejects
	typ, misc, sz = struct.unpack_from('<IHH', d, pos)
	n += 1
	if n == 700:
		struct.pack_into('<I', d, pos, 0x7fff)
		break
	pos += sz
open(sys.argv[2], 'wb').write(d)
EOF
set +e
run_perf script --dlfilter "$so" --dlarg "$o" -i "$PW_TMP/cut.data" >/dev/null 2>"$PW_TMP/cut.err"
rc=$?
set -e
if [ $rc -eq 0 ]; then
	# this perf skips the record and goes on: then the output must be complete
	perfwhiz-proc -q -i "$o" --csv - | cmp -s - "$PW_TMP/file.proc.csv" ||
		die "perf skipped a record: the output differs"
	rm -f "$o"
else
	[ -z "$(ls -A "$PW_TMP/out")" ] || die "perf stopped early: a file was left"
fi
echo "perf stopping at a bad record: exit $rc, nothing partial left"

# --- the dlfilter API seen from a host that is not (this) perf
cat >"$PW_TMP/host.c" <<'EOF'
/* A stand-in for perf's dlfilter loader: host SO CASE INPUT OUT */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <perf/perf_dlfilter.h>

static char *args[3];
static int nargs;
static char **get_args(void *ctx, int *n) { *n = nargs; return args; }
static const struct perf_dlfilter_al *no_al(void *ctx) { return NULL; }
static volatile sig_atomic_t host_saw;
static void host_handler(int sig) { host_saw = sig; }

int main(int argc, char **argv)
{
	void *h = dlopen(argv[1], RTLD_NOW);
	int (*start)(void **, void *), (*filter)(void *, const struct perf_dlfilter_sample *, void *);
	int (*stop)(void *, void *);
	struct perf_dlfilter_fns *fns;
	struct perf_dlfilter_sample s;
	void *data = NULL;
	int ctx, ret;

	if (!h) { fprintf(stderr, "%s\n", dlerror()); return 10; }
	start = dlsym(h, "start");
	filter = dlsym(h, "filter_event_early");
	stop = dlsym(h, "stop");
	fns = dlsym(h, "perf_dlfilter_fns");
	if (!start || !filter || !stop || !fns) return 11;
	if (!strcmp(argv[2], "no-fns"))		/* a loader that fills in nothing */
		return start(&data, &ctx) == -1 && !data ? 0 : 12;
	fns->args = get_args;
	fns->resolve_ip = no_al;
	args[nargs++] = argv[4];
	if (asprintf(&args[nargs++], "input=%s", argv[3]) < 0) return 13;
	if (start(&data, &ctx) || !data) return 14;
	memset(&s, 0, sizeof(s));
	s.size = sizeof(s);
	s.time = 1;
	s.event = "cycles";
	if (!strcmp(argv[2], "small")) {	/* an older, smaller sample struct */
		s.size = 64;
		ret = filter(data, &s, &ctx);
		if (ret != -1) return 15;
	} else if (!strcmp(argv[2], "term")) {	/* no handler of the host's own */
		if (filter(data, &s, &ctx) != 1) return 16;
		raise(SIGTERM);
		if (filter(data, &s, &ctx) != -1) return 17;
	} else if (!strcmp(argv[2], "int")) {	/* perf's SIGINT handler, installed after start() */
		signal(SIGINT, host_handler);
		if (filter(data, &s, &ctx) != 1) return 18;
		raise(SIGINT);
		if (host_saw != SIGINT) return 19;	/* the host's handler still runs */
	}
	stop(data, &ctx);	/* does not return when nothing was written */
	return 0;
}
EOF
cc -o "$PW_TMP/host" "$PW_TMP/host.c" -ldl || die "cannot build the test host"
host() {	# host CASE: exit status
	local rc
	set +e
	if [ -n "$asan" ]; then
		LD_PRELOAD=$asan ASAN_OPTIONS=detect_leaks=0 "$PW_TMP/host" "$so" "$1" \
			"$caps/file.data" "$o" 2>"$PW_TMP/host.err"
	else
		"$PW_TMP/host" "$so" "$1" "$caps/file.data" "$o" 2>"$PW_TMP/host.err"
	fi
	rc=$?
	set -e
	echo $rc
}
expect_eq "host without perf's functions" 0 "$(host no-fns)"
grep -q "loaded without perf's dlfilter functions" "$PW_TMP/host.err" || die "no message (no-fns)"
expect_eq "host with a smaller sample struct" 1 "$(host small)"
grep -q "this perf's dlfilter API differs: its sample is 64 bytes" "$PW_TMP/host.err" ||
	{ cat "$PW_TMP/host.err"; die "no message (small)"; }
expect_eq "host sending SIGTERM" 143 "$(host term)"
grep -q "nothing written to .*: interrupted" "$PW_TMP/host.err" || die "no message (term)"
expect_eq "host sending SIGINT" 130 "$(host int)"
[ -z "$(ls -A "$PW_TMP/out")" ] || { ls -A "$PW_TMP/out"; die "the host cases left a file"; }
echo "dlfilter API checks: ok"
echo ok
