#!/usr/bin/env bash
# perfmap on a real capture (perf record -a -e 'sched:*' around a small
# workload, needs root; a pipe ping-pong in it makes thousands of switches
# however busy the host is): the basic charts' numbers for every task and the
# heatmap bins of the most active task equal the oracle's over the CSV
# export of the same cdict; images and index.html valid.
. "$PW_TOP/tests/e2e/lib.sh"
. "$PW_TOP/tests/e2e/perfmap-helpers.bash"
need_root_perf
command -v gnuplot >/dev/null || skip "gnuplot is not installed"

T=$PW_TMP
cd "$T"
perf record -q -a -e 'sched:*' -o real.data -- \
	sh -c 'perf bench sched pipe -l 3000 >/dev/null 2>&1 & dd if=/dev/zero of=/dev/null bs=4k count=20000 2>/dev/null & for i in 1 2 3 4 5; do sleep 0.02; done; wait' \
	>/dev/null 2>perf.err || skip "perf record failed: $(tail -n 1 perf.err)"
pm_cdict real.data real.cdict
pm_csv real.cdict real.data real.csv
[ "$(wc -l <real.csv)" -gt 100 ] || skip "capture too small ($(wc -l <real.csv) rows)"

perfmap -t '*' -o out real.cdict >/dev/null
ncpu=$(($(grep -c '	all tasks	' out/coremap.dat) - 1))
awk -f "$PM_ORACLE" -v what=cpu real.csv >exp.cpu
pm_dat_cpu out/cpu-usage.dat >got.cpu
pm_same "cpu-usage" exp.cpu got.cpu
awk -f "$PM_ORACLE" -v what=coremap -v ncpu="$ncpu" real.csv >exp.core
pm_dat_coremap out/coremap.dat >got.core
pm_same "coremap" exp.core got.core
pm_check_images out
pm_check_index out

# The most active task's heatmaps, in a window that skips the first 10 ms.
perfmap --list real.cdict >list.txt
tid=$(sed -n 3p list.txt | awk '{ print $1 }')
name=$(sed -n 3p list.txt | sed 's/^ *[0-9]* *[0-9]*  //')
perfmap -t "$tid" --append-tid -f 10 --heatmaps -o heat real.cdict >/dev/null
safe=$(printf '%s' "heatmap-$name:$tid" | sed 's/[^A-Za-z0-9._-]/_/g')
awk -f "$PM_ORACLE" -v what=heat -v append_tid=1 -v only="$name:$tid" -v from_ns=10000000 real.csv >exp.heat
[ -s exp.heat ] || skip "no heatmap event for '$name'"
pm_dat_heat "$name:$tid" heat/"$safe".dat >got.heat
pm_same "heatmap of $name" exp.heat got.heat
awk -f "$PM_ORACLE" -v what=tcore -v append_tid=1 -v only="$name:$tid" -v from_ns=10000000 real.csv >exp.tcore
pm_dat_tcore "$name:$tid" heat/tcoremap-"${safe#heatmap-}".dat >got.tcore
pm_same "temporal coremap of $name" exp.tcore got.tcore
pm_check_images heat
echo ok
