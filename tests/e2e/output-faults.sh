# Output faults of each program (the full-disk and SIGINT-while-reading
# cases of perfwhiz-proc are in cdict-proc.sh): a reader of --csv - that
# goes away, SIGINT while a write is blocked, a full disk. Each ends with a
# non-zero exit, at most one line on stderr for a vanished reader, no hang,
# and nothing under the final names (perfmap: no index.html, which is
# written last, and no chart file cut short) nor temporary files.
. "$(dirname "$0")/lib.sh"
command -v python3 >"$PW_TMP/noise" || skip "python3 is not installed"
caps=$PW_TOP/tests/data/captures
cd "$PW_TMP"
no_temp() { ! ls -a "$1" | grep -q '^\.[^.]' || { ls -la "$1"; die "$2: temporary file left in $1"; }; }
# run with SIGINT at its default action, in a process group of its own (as
# a shell started in the background would not have it)
# (not a function: run in the background, that would be a subshell)
dfl=(python3 -c 'import os, signal, sys
signal.signal(signal.SIGINT, signal.SIG_DFL)
os.setpgid(0, 0)
os.execvp(sys.argv[1], sys.argv[1:])')

# -- the reader of --csv - goes away (head -1): SIGPIPE's status, one line,
# and the cdict written alongside is not left behind
mkdir out
for o in "" "-o out/x.cdict"; do
	rc=0
	timeout 30 perfwhiz-proc -i "$caps/file.data" $o --csv - 2>err | head -n 1 >first || rc=${PIPESTATUS[0]}
	[ $rc -ne 0 ] && [ $rc -ne 124 ] || die "csv - | head${o:+ with $o}: exit $rc"
	[ "$(wc -l <err)" -le 1 ] || { cat err; die "csv - | head: more than one line on stderr"; }
	grep -q '^time_ns,' first || die "csv - | head: no header line"
	[ -z "$(ls -A out)" ] || { ls -la out; die "csv - | head${o:+ with $o}: output left"; }
	echo "ok  perfwhiz-proc --csv - ${o:+$o }| head -1: exit $rc, $(wc -l <err) line(s) on stderr, nothing left"
done

# -- SIGINT while the CSV write is blocked on a FIFO nobody reads
mkfifo fifo
sleep 60 <fifo &	# holds the FIFO open without reading
holder=$!
perfwhiz-proc -q -i "$caps/file.data" -o out/y.cdict --csv fifo 2>err &
pid=$!
sleep 1
kill -INT $pid
for i in $(seq 100); do kill -0 $pid 2>>noise || break; sleep 0.1; done
! kill -0 $pid 2>>noise || { kill -9 $pid; die "SIGINT while writing to a FIFO: still running after 10 s"; }
rc=0; wait $pid || rc=$?
kill $holder 2>>noise || true
[ $rc -eq 130 ] || { cat err; die "SIGINT while writing: exit $rc, expected 130"; }
[ -p fifo ] && [ -z "$(ls -A out)" ] || { ls -la out; die "SIGINT while writing: output left"; }
echo "ok  perfwhiz-proc: SIGINT while writing to a FIFO: exit 130, nothing left"

perfwhiz-proc -q -i "$caps/file.data" -o run.cdict
# -- perfmap interrupted while gnuplot runs: no index.html
printf '#!/bin/sh\nexec sleep 60\n' >slow-gnuplot
chmod +x slow-gnuplot
"${dfl[@]}" env PERFMAP_GNUPLOT="$PWD/slow-gnuplot" perfmap -o charts run.cdict 2>err &
pid=$!
sleep 1.5
kill -INT -- -$pid || { cat err; ls -la charts; die "perfmap ended before the signal"; }	# the whole group, as Ctrl-C would
rc=0; wait $pid || rc=$?
[ $rc -ne 0 ] || die "perfmap interrupted: exit 0"
[ ! -e charts/index.html ] || die "perfmap interrupted: index.html written"
no_temp charts "perfmap interrupted"
echo "ok  perfmap: SIGINT while charting: exit $rc, no index.html"

# -- perfcap --use-perf-data interrupted while converting (a stalled FIFO)
mkfifo pfifo
{ head -c 100000 "$caps/pipe.data"; sleep 20; } >pfifo &
feeder=$!
mkdir dest
"${dfl[@]}" perfcap --all --use-perf-data pfifo --dest-folder dest run 2>err &
pid=$!
sleep 1
kill -INT $pid
rc=0; wait $pid || rc=$?
kill $feeder 2>>noise || true
[ $rc -eq 130 ] || { cat err; die "perfcap interrupted: exit $rc, expected 130"; }
[ -z "$(ls -A dest)" ] || { ls -la dest; die "perfcap interrupted: output left"; }
echo "ok  perfcap --use-perf-data: SIGINT: exit 130, nothing left"

# -- full disks (root only: small tmpfs mounts)
if [ "$(id -u)" != 0 ] || ! { mkdir full && mount -t tmpfs -o size=64k tmpfs full 2>>noise; }; then
	echo "(not root or no tmpfs: full-disk checks skipped)"
	echo ok
	exit 0
fi
trap 'umount "$PW_TMP/full" 2>>"$PW_TMP/noise" || true; rm -rf "$PW_TMP"' EXIT
rc=0; perfmap -o full/charts run.cdict 2>err || rc=$?
[ $rc -ne 0 ] || die "perfmap on a full disk: exit 0"
grep -q 'No space left' err || { cat err; die "perfmap on a full disk: not said"; }
[ ! -e full/charts/index.html ] || die "perfmap on a full disk: index.html written"
no_temp full/charts "perfmap on a full disk"
echo "ok  perfmap: full disk: exit $rc, said, no index.html"
umount full
# perfmap with real gnuplot on disks filling at each step: the scripts and
# data, the images, index.html. Whatever it stops at, every file under its
# name is whole (the one written with room, byte for byte; index.html
# complete), nothing is left under a temporary name, and a failure is said.
if command -v gnuplot >>noise; then
	rc=0; perfmap -o roomy run.cdict >>noise 2>err || { cat err; die "perfmap with room: failed"; }
	for size in 8k 12k 16k 40k 100k 160k 200k 400k; do
		mount -t tmpfs -o size=$size tmpfs full
		rc=0; perfmap -o full/charts run.cdict >>noise 2>err || rc=$?
		for f in full/charts/*; do
			case $f in
			*/index.html) tail -n 1 "$f" | grep -q '^</html>$' || die "perfmap, $size: $f cut short" ;;
			*/'*') ;;
			*) cmp -s "$f" "roomy/${f##*/}" || die "perfmap, $size: $f is not whole" ;;
			esac
		done
		no_temp full/charts "perfmap, $size disk"
		[ -z "$(find full/charts -mindepth 1 -type d)" ] || die "perfmap, $size: directories left"
		n=$(ls full/charts | grep -c '\.\(png\|svg\)$' || true)
		index=$([ -e full/charts/index.html ] && echo y || true)
		umount full
		if [ $rc = 0 ]; then
			[ "$n" = 4 ] && [ -n "$index" ] || die "perfmap, $size: exit 0 with $n images, index.html '$index'"
			echo "ok  perfmap with gnuplot: $size disk: room enough, exit 0, every file whole"
		else
			[ $rc = 1 ] || { cat err; die "perfmap, $size: exit $rc"; }
			[ -z "$index" ] || die "perfmap, $size: index.html written"
			grep -q 'No space left\|is the disk full' err || { cat err; die "perfmap, $size: not said"; }
			echo "ok  perfmap with gnuplot: $size disk: exit 1, $n whole images, said: $(grep -m1 error: err)"
		fi
	done
fi
# perfcap: the cdict fits (12k), the statistics do not: neither is left;
# then neither fits (4k)
cp "$caps/file.data" run.data
for size in 12k 4k; do
	mount -t tmpfs -o size=$size tmpfs full
	rc=0; perfcap --all --use-perf-data run.data --dest-folder full 2>err || rc=$?
	ls -A full >left
	umount full
	[ $rc -eq 1 ] || { cat err; die "perfcap on a full disk ($size): exit $rc"; }
	grep -q 'No space left' err || { cat err; die "perfcap on a full disk ($size): not said"; }
	[ ! -s left ] || { cat left; die "perfcap on a full disk ($size): files left"; }
	echo "ok  perfcap --use-perf-data: full disk ($size): exit 1, said, nothing left"
done
echo ok
