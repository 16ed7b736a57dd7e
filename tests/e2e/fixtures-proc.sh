# perfwhiz-proc on fixture files (tests/tools/pwfixture): KVM exits and
# entries (VMX and SVM, both kvm_exit layouts, file and pipe layout) and
# sched_stat sleep/iowait, which this machine cannot capture. perf decodes
# the same files: exit reasons and delays must equal perf script's, and
# handling times per reason what perf kvm stat report prints.
. "$(dirname "$0")/lib.sh"
command -v perf >/dev/null || skip "perf is not installed"
command -v python3 >/dev/null || skip "python3 is not installed"
fx=$PW_TOP/tests/data/fixtures
check=$PW_TOP/tests/e2e/check_perf.py
pwfixture=$PW_BUILD/tests/pwfixture
[ -x "$pwfixture" ] || die "missing $pwfixture (make builds it)"
export PW_TOP

one() {	# one NAME SPEC [pwfixture options]
	local name=$1 spec=$2
	shift 2
	"$pwfixture" "$@" -o "$PW_TMP/$name.data" "$fx/$spec" || die "$name: pwfixture failed"
	perfwhiz-proc -q -i "$PW_TMP/$name.data" --csv "$PW_TMP/$name.csv" || die "$name: perfwhiz-proc failed"
	perf script --ns -F tid,pid,cpu,time,event,trace -i "$PW_TMP/$name.data" \
		>"$PW_TMP/$name.script" 2>/dev/null || die "$name: perf script failed"
	echo "== $name"
	python3 "$check" script "$PW_TMP/$name.csv" "$PW_TMP/$name.script" || die "$name: differs from perf script"
}

kvmstat() {	# kvmstat NAME: handling times against perf kvm stat (file layout only)
	perf kvm -i "$PW_TMP/$1.data" stat report --event=vmexit >"$PW_TMP/$1.ks" 2>&1 \
		|| { cat "$PW_TMP/$1.ks"; die "$1: perf kvm stat failed"; }
	python3 "$check" kvmstat "$PW_TMP/$1.csv" "$PW_TMP/$1.ks" || die "$1: differs from perf kvm stat"
}

one vmx kvm-vmx.spec
kvmstat vmx
one vmx-linux4 kvm-vmx.spec --kvm-exit-format kvm_exit-linux4.format
kvmstat vmx-linux4
one vmx-pipe kvm-vmx.spec --pipe
cmp -s "$PW_TMP/vmx.csv" "$PW_TMP/vmx-pipe.csv" || die "pipe layout gives other rows than the file layout"
one svm kvm-svm.spec --cpuid AuthenticAMD,25,1,1
kvmstat svm
one svm-linux4 kvm-svm.spec --cpuid AuthenticAMD,25,1,1 --kvm-exit-format kvm_exit-linux4.format
kvmstat svm-linux4
one sched sched.spec
one sched-pipe sched.spec --pipe --no-rounds
cmp -s "$PW_TMP/sched.csv" "$PW_TMP/sched-pipe.csv" || die "pipe layout without rounds gives other rows"

# both kvm_exit layouts name the same exits the same way
cut -d, -f1-12 "$PW_TMP/vmx.csv" >"$PW_TMP/a"; cut -d, -f1-12 "$PW_TMP/vmx-linux4.csv" >"$PW_TMP/b"
cmp -s "$PW_TMP/a" "$PW_TMP/b" || die "the two kvm_exit layouts give other rows"
grep -q ',EPT_VIOLATION,' "$PW_TMP/vmx.csv" || die "no EPT_VIOLATION exit"
grep -q ',npf,' "$PW_TMP/svm.csv" || die "no npf exit"
grep -q ',sched_stat_iowait,' "$PW_TMP/sched.csv" || die "no iowait row"
echo ok
