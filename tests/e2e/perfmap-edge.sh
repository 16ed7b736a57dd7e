# perfmap on the cdicts at the edges (written by pwfixture and
# perfwhiz-proc): no rows, a single row, one CPU, 1024 CPUs, 10,000 tasks.
# Each gives charts (exit 0, index.html) or a clear message (exit 1, no
# index.html), never a crash; also under SANITIZE=1. gnuplot draws the
# small ones; for the large ones a stand-in that succeeds keeps the test
# short (perfmap's own loading, aggregation and scripts are what is tested).
. "$(dirname "$0")/lib.sh"
command -v python3 >"$PW_TMP/noise" || skip "python3 is not installed"
pwfixture=$PW_BUILD/tests/pwfixture
export PW_TOP
cd "$PW_TMP"
gnuplot_ok=$(command -v gnuplot >>noise && echo y || true)

python3 - <<'PY'
import random
r = random.Random(1)
def sw(f, t, cpu, prev, pname, state, nxt, nname):
    f.write(f"sample {t} {cpu} {prev} {prev} sched_switch prev_comm={pname} prev_pid={prev} "
            f"prev_state={state} next_comm={nname} next_pid={nxt}\n")
open("zero.spec", "w").write("event sched_switch\n")
with open("one.spec", "w") as f:
    sw(f, 5000000100, 0, 0, "swapper/0", 0, 100, "a")
with open("onecpu.spec", "w") as f:        # 200 switches among 3 tasks and idle, on CPU 0
    t, prev, pn = 5000000000, 0, "swapper/0"
    for i in range(200):
        n = [101, 102, 103, 0][i % 4]
        nn = {101: "a", 102: "b", 103: "c", 0: "swapper/0"}[n]
        t += r.randint(1000, 100000)
        sw(f, t, 0, prev, pn, r.choice([0, 1, 256]), n, nn)
        prev, pn = n, nn
with open("cpus1024.spec", "w") as f:      # tasks on CPUs 0, 1, 511 and 1023
    t = 5000000000
    for c in (0, 1, 511, 1023):
        for i in range(3):
            p = 2000 + c * 10 + i
            t += 1000; sw(f, t, c, 0, f"swapper/{c}", 0, p, f"t{p}")
            t += 5000; sw(f, t, c, p, f"t{p}", 1, 0, f"swapper/{c}")
with open("tasks10k.spec", "w") as f:      # 10,000 tasks, each runs once
    t = 5000000000
    for i in range(10000):
        p, c = 10000 + i, i % 2
        t += 1000; sw(f, t, c, 0, f"swapper/{c}", 0, p, f"t{p}")
        t += 1000; sw(f, t, c, p, f"t{p}", 1, 0, f"swapper/{c}")
PY
for s in zero one onecpu cpus1024 tasks10k; do
	"$pwfixture" -o $s.data $s.spec
	rc=0; perfwhiz-proc -q -i $s.data -o $s.cdict 2>>noise || rc=$?
	# no samples: pwfixture's data size 0 reads as a killed capture (exit 3)
	[ $rc = 0 ] || { [ $s = zero ] && [ $rc = 3 ]; } || die "$s: perfwhiz-proc exit $rc"
done
perfwhiz-proc --info zero.cdict | grep -q '^  total  *0$' || die "zero.cdict has rows"

# chart NAME GNUPLOT EXPECT(charts|message PATTERN) PERFMAP-ARGS...
chart() {
	local name=$1 gp=$2 want=$3 pattern=$4 rc=0
	shift 4
	rm -rf out
	PERFMAP_GNUPLOT=$gp perfmap -j2 -o out "$@" >stdout 2>err || rc=$?
	[ $rc -lt 2 ] || { cat err; die "$name: exit $rc"; }
	! grep -q 'Sanitizer\|runtime error' err || { cat err; die "$name: sanitizer report"; }
	if [ "$want" = charts ]; then
		[ $rc = 0 ] && [ -s out/index.html ] || { cat err; die "$name: no charts (exit $rc)"; }
		[ -z "$pattern" ] || grep -q -- "$pattern" err || { cat err; die "$name: '$pattern' not said"; }
		echo "ok  $name: $(cat stdout)${pattern:+ ($pattern)}"
	else
		[ $rc = 1 ] && [ ! -e out/index.html ] || die "$name: exit $rc, expected a refusal"
		grep -q -- "$pattern" err || { cat err; die "$name: no message '$pattern'"; }
		echo "ok  $name: refused: $(grep -m1 -- "$pattern" err)"
	fi
}
fake=$PW_TMP/fake-gnuplot
printf '#!/bin/sh\nexit 0\n' >"$fake"
chmod +x "$fake"
real=${gnuplot_ok:+gnuplot}
real=${real:-$fake}

chart zero "$real" message 'no task matches' zero.cdict
chart zero-heatmaps "$real" message 'no task matches' --heatmaps zero.cdict
chart one "$real" charts '' one.cdict
chart one-heatmaps "$real" charts 'no chart: ' --heatmaps one.cdict
chart onecpu "$real" charts '' onecpu.cdict
chart onecpu-heatmaps "$real" charts '' --heatmaps onecpu.cdict
chart cpus1024 "$real" charts '' cpus1024.cdict
chart cpus1024-heatmaps "$fake" charts '' --heatmaps cpus1024.cdict
chart tasks10k "$fake" charts '' tasks10k.cdict
chart tasks10k-heatmaps "$fake" message 'at most 256' --heatmaps tasks10k.cdict
chart tasks10k-heatmaps-some "$fake" charts '' --heatmaps -t 't1000*' tasks10k.cdict
# one cdict with several of them: diff charts
chart diff "$real" charts '' one.cdict onecpu.cdict cpus1024.cdict

# A damaged prev_state chunk: the rows are read again at every pass, and the
# index does not read prev_state, so --list works; the charts read it and
# stop at the chunk, naming its offset, with no index.html.
cp onecpu.cdict damaged.cdict
read -r off size < <("$PW_BUILD/tests/cdict-stats" --chunk 0 prev_state damaged.cdict) ||
	die "no prev_state chunk in onecpu.cdict"
python3 - damaged.cdict $((off + size / 2)) <<'PY'
import sys
with open(sys.argv[1], "r+b") as f:
    f.seek(int(sys.argv[2])); b = f.read(1); f.seek(int(sys.argv[2])); f.write(bytes([b[0] ^ 0x55]))
PY
perfmap --list damaged.cdict >list 2>err || { cat err; die "damaged: --list failed"; }
grep -q ' a$' list || die "damaged: --list lacks task a"
chart damaged "$fake" message "damaged.cdict: offset $off: " damaged.cdict
echo ok
