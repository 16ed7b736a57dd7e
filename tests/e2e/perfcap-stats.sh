# perfcap's statistics against perf's own tools on the same files: per-task
# sched-in counts and run times against `perf sched timehist -s` on the
# committed captures (file layout: timehist prints nothing for pipe-layout
# files), per-exit-reason samples, shares, min/max/avg and relative stddev
# against `perf kvm stat report` on the KVM fixtures, overall and per vcpu;
# perfmap --stats on the cdict prints what perfcap wrote.
. "$(dirname "$0")/lib.sh"
command -v perf >/dev/null || skip "perf is not installed"
command -v python3 >/dev/null || skip "python3 is not installed"
check=$PW_TOP/tests/e2e/perfcap_stats.py
caps=$PW_TOP/tests/data/captures
pwfixture=$PW_BUILD/tests/pwfixture
[ -x "$pwfixture" ] || die "missing $pwfixture (make builds it)"
cd "$PW_TMP"

for f in file zstd callchain several; do
	perfcap -q --all --use-perf-data "$caps/$f.data" --dest-folder out \
		|| die "$f: perfcap failed"
	[ -s "out/$f.stats" ] && [ -s "out/$f.cdict" ] || die "$f: no stats or cdict"
	perf sched timehist -s -i "$caps/$f.data" >"$f.th" 2>/dev/null || die "$f: timehist failed"
	echo "== $f"
	python3 "$check" timehist "out/$f.stats" "$f.th" || die "$f: differs from timehist -s"
	if command -v perfmap >/dev/null && perfmap --help 2>&1 | grep -q -- --stats; then
		perfmap --stats "out/$f.cdict" >"$f.pm" || die "$f: perfmap --stats failed"
		# the heading names the input; everything after it must be the same
		diff <(tail -n +2 "out/$f.stats") <(tail -n +2 "$f.pm") \
			|| die "$f: perfmap --stats differs from RUN.stats"
	fi
done

kvm() {	# kvm NAME SPEC [pwfixture options]
	local name=$1 spec=$2
	shift 2
	"$pwfixture" "$@" -o "$name.data" "$PW_TOP/tests/data/fixtures/$spec" \
		|| die "$name: pwfixture failed"
	perfcap -q --stats --use-perf-data "$name.data" --dest-folder out \
		|| die "$name: perfcap failed"
	perf kvm -i "$name.data" stat report --event=vmexit >"$name.ks" 2>&1 \
		|| { cat "$name.ks"; die "$name: perf kvm stat failed"; }
	echo "== $name"
	python3 "$check" kvmstat "out/$name.stats" "$name.ks" || die "$name: differs from perf kvm stat"
	# per vcpu: qemu names vcpu N's thread "CPU N/KVM"
	grep '^vcpu thread ' "out/$name.stats" | while read -r _ _ tid rest; do
		n=$(sed -n 's|^(CPU \([0-9]*\)/KVM)$|\1|p' <<<"$rest")
		[ -n "$n" ] || continue
		perf kvm -i "$name.data" stat report --event=vmexit --vcpu "$n" >"$name.$n.ks" 2>&1 \
			|| die "$name: perf kvm stat --vcpu $n failed"
		python3 "$check" kvmstat "out/$name.stats" "$name.$n.ks" "$tid" \
			|| die "$name: vcpu $n differs from perf kvm stat"
	done
}
kvm vmx kvm-vmx.spec
kvm vmx-linux4 kvm-vmx.spec --kvm-exit-format kvm_exit-linux4.format
kvm svm kvm-svm.spec --cpuid AuthenticAMD,25,1,1
echo ok
