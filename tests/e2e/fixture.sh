# fixture.sh - pwfixture (tests/tools) writes perf.data files that perf reads
# back to exactly the values of their spec (tests/data/fixtures/*.spec):
# file and pipe layouts, both kvm_exit layouts, VMX and SVM, big-endian, and
# perf kvm stat's per-reason counts and times. Needs perf, not root.
source "$(dirname "$0")/lib.sh"

command -v perf >/dev/null || skip "perf is not installed"
fx=$PW_BUILD/tests/pwfixture
[ -x "$fx" ] || die "$fx is not built (run make test)"
specs=$PW_TOP/tests/data/fixtures
check_py=$PW_TOP/tests/tools/pwfixture-check.py
export PWFIXTURE_FORMATS=$PW_TOP/tests/data/formats
amd=AuthenticAMD,25,1,1
cd "$PW_TMP"

norm() { tr -s ' ' | sed 's/^ //; s/ $//'; }

# script_text FILE: perf script --ns, blanks squeezed
script_text() { perf script --ns -i "$1" 2>/dev/null | norm; }

# field_check FILE SPEC [KVM_EXIT_FORMAT] [BIG_ENDIAN]: every sample and field
field_check() {
	local out
	$have_python || return 0
	out=$(PWFIXTURE_SPEC=$2 PWFIXTURE_KVM_EXIT_FORMAT=${3:-} PWFIXTURE_BIG_ENDIAN=${4:-0} \
		perf script -s "$check_py" -i "$1" 2>&1) || die "perf script -s on $1 failed: $out"
	case $(tail -n 1 <<<"$out") in
	"pwfixture-check: ok, "*) ;;
	*) die "$1 does not read back as $2:
$out" ;;
	esac
}

# kvm_exits FILE: "tid [cpu] time reason" of every kvm_exit, as perf prints it
kvm_exits() {
	perf script --ns -F tid,cpu,time,event,trace -i "$1" 2>/dev/null |
		sed -n 's/^ *\([0-9]*\) *\(\[[0-9]*\]\) *\([0-9.]*\): *kvm:kvm_exit: .*reason \([A-Za-z_]*\) .*/\1 \2 \3 \4/p'
}

# kvm_stat FILE: perf kvm stat's per-reason rows (sorted) and total line
kvm_stat() {
	perf kvm -i "$1" stat report --event=vmexit 2>&1 |
		norm | grep -E '^[A-Za-z_]+ [0-9]+ [0-9.]+%|^Total Samples' | sort
}

# u64_at FILE OFFSET BIG(0|1): an unsigned 64-bit number of the file header
u64_at() {
	local hex
	hex=$(od -An -tx1 -j "$2" -N 8 "$1" | tr -d ' \n')
	[ "$3" = 1 ] || hex=$(sed 's/\(..\)/\1 /g' <<<"$hex" | tr ' ' '\n' | tac | tr -d '\n')
	echo $((16#$hex))
}

# data_section FILE BIG: the bytes of the data section of a file layout
data_section() {
	local off size
	off=$(u64_at "$1" 40 "$2")
	size=$(u64_at "$1" 48 "$2")
	tail -c +$((off + 1)) "$1" | head -c "$size"
}

# Can this perf run Python scripts (perf script -s)?
have_python=true
"$fx" -o probe.data "$specs/sched.spec"
if ! perf script -s "$check_py" -i probe.data >probe.out 2>&1; then
	if grep -qi 'python.*not\|not.*python\|unsupported' probe.out; then
		echo "note: perf has no Python scripting: field-by-field checks skipped" >&2
		have_python=false
	fi
fi

# --- scheduler samples: file, pipe, stdout stream, big-endian, v0.5 -----------
sched=$specs/sched.spec
"$fx" -o sched.data "$sched"
"$fx" --pipe -o sched.pipe "$sched"
"$fx" --big-endian -o sched.be "$sched"
"$fx" --big-endian --pipe -o sched.be.pipe "$sched"
"$fx" --tracing-version 0.5 -o sched.v05 "$sched"

cat >sched.expected <<'EOF'
swapper 0 [000] 5.000000100: sched:sched_switch: prev_comm=swapper/0 prev_pid=0 prev_prio=120 prev_state=R ==> next_comm=worker next_pid=1000 next_prio=120
swapper 0 [001] 5.000000200: sched:sched_switch: prev_comm=swapper/1 prev_pid=0 prev_prio=120 prev_state=R ==> next_comm=iothread next_pid=1001 next_prio=120
iothread 1001 [001] 5.000002200: sched:sched_switch: prev_comm=iothread prev_pid=1001 prev_prio=120 prev_state=S ==> next_comm=swapper/1 next_pid=0 next_prio=120
worker 1000 [000] 5.000002990: sched:sched_migrate_task: comm=worker pid=1200 prio=120 orig_cpu=0 dest_cpu=1
worker 1000 [000] 5.000003000: sched:sched_wakeup_new: comm=worker pid=1200 prio=120 target_cpu=001
swapper 0 [001] 5.000003500: sched:sched_switch: prev_comm=swapper/1 prev_pid=0 prev_prio=120 prev_state=R ==> next_comm=worker next_pid=1200 next_prio=120
helper 1200 [001] 5.000004500: sched:sched_switch: prev_comm=helper prev_pid=1200 prev_prio=120 prev_state=S ==> next_comm=swapper/1 next_pid=0 next_prio=120
worker 1000 [000] 5.000005100: sched:sched_switch: prev_comm=worker prev_pid=1000 prev_prio=120 prev_state=R+ ==> next_comm=log writer next_pid=1100 next_prio=120
log writer 1100 [000] 5.000005190: sched:sched_stat_sleep: comm=iothread pid=1001 delay=2990 [ns]
log writer 1100 [000] 5.000005200: sched:sched_wakeup: comm=iothread pid=1001 prio=120 target_cpu=001
swapper 0 [001] 5.000006000: sched:sched_switch: prev_comm=swapper/1 prev_pid=0 prev_prio=120 prev_state=R ==> next_comm=iothread next_pid=1001 next_prio=120
log writer 1100 [000] 5.000008100: sched:sched_switch: prev_comm=log writer prev_pid=1100 prev_prio=120 prev_state=S ==> next_comm=worker next_pid=1000 next_prio=120
iothread 1001 [001] 5.000009000: sched:sched_switch: prev_comm=iothread prev_pid=1001 prev_prio=120 prev_state=D ==> next_comm=swapper/1 next_pid=0 next_prio=120
worker 1000 [000] 5.000012100: sched:sched_switch: prev_comm=worker prev_pid=1000 prev_prio=120 prev_state=D ==> next_comm=swapper/0 next_pid=0 next_prio=120
swapper 0 [001] 5.000014000: sched:sched_stat_iowait: comm=iothread pid=1001 delay=5000 [ns]
swapper 0 [001] 5.000014010: sched:sched_wakeup: comm=iothread pid=1001 prio=120 target_cpu=001
swapper 0 [001] 5.000014500: sched:sched_switch: prev_comm=swapper/1 prev_pid=0 prev_prio=120 prev_state=R ==> next_comm=iothread next_pid=1001 next_prio=120
EOF
script_text sched.data >sched.text
diff -u sched.expected sched.text || die "perf script of sched.spec (file layout) differs"
for f in sched.pipe sched.be sched.v05; do
	script_text "$f" | diff -u sched.expected - || die "perf script of $f differs"
done
"$fx" --pipe -o - "$sched" | perf script --ns -i - 2>/dev/null | norm |
	diff -u sched.expected - || die "pwfixture --pipe -o - | perf script -i - differs"
field_check sched.data "$sched"
field_check sched.pipe "$sched"
field_check sched.be "$sched" "" 1
field_check sched.v05 "$sched"

# COMM and FORK records, with their times and CPUs
cat >tasks.expected <<'EOF'
worker 1000 [000] 0.000000000: PERF_RECORD_COMM: worker:1000/1000
iothread 1001 [000] 0.000000000: PERF_RECORD_COMM: iothread:1000/1001
log writer 1100 [000] 0.000000000: PERF_RECORD_COMM: log writer:1100/1100
worker 1000 [000] 5.000002980: PERF_RECORD_FORK(1200:1200):(1000:1000)
helper 1200 [001] 5.000003600: PERF_RECORD_COMM: helper:1200/1200
EOF
for f in sched.data sched.pipe sched.be; do
	perf script --ns --show-task-events -i "$f" 2>/dev/null | grep PERF_RECORD | norm |
		diff -u tasks.expected - || die "COMM/FORK records of $f differ"
done

# Rounds: one FINISHED_ROUND per `round` line, none with --no-rounds; the
# file is out of time order inside a round and perf sorts it all the same.
rounds=$(grep -c '^round' "$sched")
got=$(perf report --stats -i sched.data 2>/dev/null | awk '/FINISHED_ROUND events:/ && !n++ {print $3}')
expect_eq "FINISHED_ROUND records" "$rounds" "$got"
"$fx" --no-rounds -o sched.norounds "$sched"
got=$(perf report --stats -i sched.norounds 2>/dev/null | awk '/FINISHED_ROUND events:/ && !n++ {print $3}')
expect_eq "FINISHED_ROUND records with --no-rounds" "" "$got"
script_text sched.norounds | diff -u sched.expected - || die "perf script without rounds differs"

# Metadata features
hdr=$(perf script --header-only -i sched.data 2>/dev/null)
for want in "# hostname : fixture-host" "# arch : x86_64" "# nrcpus avail : 2" \
	"# cpuid : GenuineIntel,6,85,7" "# cmdline : pwfixture sched.spec"; do
	grep -qF -- "$want" <<<"$hdr" || die "header lacks '$want'"
done
grep -q 'name = sched:sched_switch, , id = { 1, 2 }' <<<"$hdr" || die "EVENT_DESC: sched_switch ids"

# --- KVM: VMX and SVM, both kvm_exit layouts, file and pipe, big-endian ------
cat >vmx.exits <<'EOF'
2001 [000] 10.000006000 EPT_VIOLATION
2002 [001] 10.000008000 EPT_VIOLATION
2001 [000] 10.000012000 IO_INSTRUCTION
2002 [001] 10.000020000 EXTERNAL_INTERRUPT
2002 [001] 10.000023000 IO_INSTRUCTION
2001 [000] 10.000025000 EXTERNAL_INTERRUPT
2001 [000] 10.000040000 EPT_VIOLATION
EOF
cat >svm.exits <<'EOF'
3001 [000] 20.000006000 npf
3002 [001] 20.000008000 npf
3001 [000] 20.000012000 io
3002 [001] 20.000019000 interrupt
3002 [001] 20.000023000 io
3001 [000] 20.000025000 interrupt
3001 [000] 20.000040000 npf
EOF
# perf kvm stat: handling time = kvm_exit -> next kvm_entry of the same
# thread, printed in us with 2 decimals; +- is the relative standard error.
cat >vmx.stat <<'EOF'
EPT_VIOLATION 3 42.86% 17.65% 1.00us 6.00us 3.00us ( +- 50.92% )
EXTERNAL_INTERRUPT 2 28.57% 3.92% 0.50us 1.50us 1.00us ( +- 50.00% )
IO_INSTRUCTION 2 28.57% 78.43% 10.00us 30.00us 20.00us ( +- 50.00% )
Total Samples:7, Total events handled time:51.00us.
EOF
cat >svm.stat <<'EOF'
Total Samples:7, Total events handled time:31.00us.
interrupt 2 28.57% 6.45% 0.70us 1.30us 1.00us ( +- 30.00% )
io 2 28.57% 64.52% 8.00us 12.00us 10.00us ( +- 20.00% )
npf 3 42.86% 29.03% 1.50us 4.50us 3.00us ( +- 28.87% )
EOF
sort -o vmx.stat vmx.stat
sort -o svm.stat svm.stat

for isa in vmx svm; do
	spec=$specs/kvm-$isa.spec
	cpuid=()
	[ $isa = svm ] && cpuid=(--cpuid "$amd")
	for layout in kvm_exit.format kvm_exit-linux4.format; do
		k=(--kvm-exit-format "$layout")
		base=$isa-${layout%.format}
		"$fx" "${k[@]}" "${cpuid[@]}" -o "$base.data" "$spec"
		"$fx" "${k[@]}" "${cpuid[@]}" --pipe -o "$base.pipe" "$spec"
		"$fx" "${k[@]}" "${cpuid[@]}" --big-endian -o "$base.be" "$spec"
		for f in "$base.data" "$base.pipe" "$base.be"; do
			kvm_exits "$f" | diff -u $isa.exits - || die "exit reasons of $f differ"
		done
		field_check "$base.data" "$spec" "$layout"
		field_check "$base.pipe" "$spec" "$layout"
		field_check "$base.be" "$spec" "$layout" 1
		for f in "$base.data" "$base.be"; do
			kvm_stat "$f" | diff -u $isa.stat - || die "perf kvm stat report of $f differs"
		done
	done
done
# The old layout really is the old one: no vcpu_id in kvm_exit.
# (Output is captured before grep -q: under pipefail, grep -q quitting early
# would fail the pipeline with perf's SIGPIPE.)
text=$(perf script --ns -i vmx-kvm_exit-linux4.data 2>/dev/null)
grep -q 'kvm_exit: reason EPT_VIOLATION rip 0x1000 info 181 fee00000$' <<<"$text" ||
	die "kvm_exit-linux4 layout not printed with its own print fmt"
text=$(perf script --ns -i vmx-kvm_exit.data 2>/dev/null)
grep -q 'kvm_exit: vcpu 1 reason EXTERNAL_INTERRUPT rip 0x2010 .* intr_info 0x800000ec' <<<"$text" ||
	die "kvm_exit layout: vcpu_id/intr_info not printed"
# perf kvm stat takes VMX or SVM from the CPUID feature, not from isa:
# the SVM spec written with an Intel cpuid has reasons VMX does not know.
"$fx" -o svm-as-intel.data "$specs/kvm-svm.spec"
text=$(perf kvm -i svm-as-intel.data stat report --event=vmexit 2>&1)
grep -q 'unknown kvm exit code:1024 on VMX' <<<"$text" ||
	die "perf kvm stat did not take the ISA from the CPUID feature"

# --- big-endian: perf reads the file layout exactly like its little-endian
# twin (headers, attrs with their bitfields, tracepoint fields). perf 6.1
# cannot read a cross-endian pipe (it does not swap HEADER_FEATURE records nor
# mark pipe attrs as swapped), so there the data must equal the file's.
expect_eq "magic of a big-endian file" "2ELIFREP" "$(head -c 8 sched.be)"
expect_eq "magic of a big-endian pipe" "2ELIFREP" "$(head -c 8 sched.be.pipe)"
expect_eq "size of the big-endian twin" "$(stat -c %s sched.data)" "$(stat -c %s sched.be)"
diff <(perf evlist -v -i sched.data 2>&1) <(perf evlist -v -i sched.be 2>&1) ||
	die "attrs of the big-endian file read differently"
diff <(perf script --header-only -i sched.data 2>&1 | grep -v 'captured on') \
	<(perf script --header-only -i sched.be 2>&1 | grep -v 'captured on') ||
	die "features of the big-endian file read differently"
for be in 0 1; do
	file=sched.data pipe=sched.pipe
	[ $be = 1 ] && file=sched.be pipe=sched.be.pipe
	size=$(u64_at "$file" 48 $be)
	[ "$size" -gt 0 ] || die "$file: empty data section"
	cmp <(data_section "$file" $be) <(tail -c "$size" "$pipe") ||
		die "$pipe: data records differ from those of $file"
done
cmp -s <(data_section sched.data 0) <(data_section sched.be 1) &&
	die "big-endian data section equals the little-endian one"

# --- LOST and LOST_SAMPLES records -------------------------------------------
cat >lost.spec <<'EOF'
sample 1.000000100 0 10 10 sched_wakeup comm=a pid=11 prio=120 target_cpu=1
sample 1.000000150 1 10 10 sched_wakeup comm=a pid=11 prio=120 target_cpu=0
lost sched_wakeup 7 1.000000200 0
lost_samples sched_wakeup 3 1.000000300 1
lost 999 5 1.000000400 1
EOF
"$fx" -o lost.data lost.spec
dump=$(perf report -D -i lost.data 2>/dev/null)
grep -q 'PERF_RECORD_LOST: id:1: lost:7$' <<<"$dump" || die "LOST record (id of cpu 0)"
grep -q 'PERF_RECORD_LOST_SAMPLES: id:2: lost samples :3$' <<<"$dump" || die "LOST_SAMPLES record (id of cpu 1)"
grep -q 'PERF_RECORD_LOST: id:999: lost:5$' <<<"$dump" || die "LOST record with a literal id"

# --- bad specs: a clear error naming the line, exit 1, no file left ----------
bad() {
	local want=$1 rc=0 err
	shift
	printf '%s\n' 'sample 1 0 1 1 sched_wakeup comm=ok pid=1' '# comment' "$@" >bad.spec
	err=$("$fx" -o bad.data bad.spec 2>&1) || rc=$?
	expect_eq "exit status for '$*'" 1 "$rc"
	grep -qF -- "$want" <<<"$err" || die "error for '$*' was: $err"
	[ -z "$(ls bad.data* 2>/dev/null)" ] || die "output left behind for '$*'"
}
bad 'bad.spec:3: unknown line' 'frobnicate 1 2'
bad 'bad.spec:3: sched_wakeup has no field' 'sample 2 0 1 1 sched_wakeup nosuch=1'
bad 'bad.spec:3: field prev_comm' 'sample 2 0 1 1 sched_switch prev_comm=abcdefghijklmnop'
bad 'bad.spec:3: field target_cpu' 'sample 2 0 1 1 sched_wakeup target_cpu=0x100000000'
bad 'bad.spec:4: field pid given twice' '' 'sample 2 0 1 1 sched_wakeup pid=1 pid=2'
bad 'bad.spec:3: cannot read the format of no_such_event' 'sample 2 0 1 1 no_such_event'
bad 'bad.spec:3: time' 'sample 1.5s 0 1 1 sched_wakeup'
bad 'bad.spec:3: unterminated' 'comm 1 1 "open'
bad 'bad.spec:3: expected: sample' 'sample 1 0 1'

echo "fixture: ok"
