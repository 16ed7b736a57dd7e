# perfmap-oracle.awk - what perfmap's charts must show, computed here from
# the CSV export of the same capture (perfwhiz-proc --csv), independently
# of perfmap's C code. Used by tests/e2e/perfmap*.sh.
#
#   awk -F, -f perfmap-oracle.awk -v what=WHAT [-v from_ns=N] [-v cap_ns=N]
#       [-v map=FILE] [-v merge=1] [-v append_tid=1] [-v select=REGEX]
#       [-v only=NAME] [-v tbins=100] [-v ncpu=N] capture.csv
#
# WHAT: cpu (task, cpu_pct, run_ns, voluntary, preempted), exits (task,
# reason, count), coremap (task, cpu, share_pct, run_ns, switches), heat
# (task, kind, tbin, dbin, count), tcore (task, cpu, tbin, run_ns), list
# (tid, events, task). Tab-separated,
# unsorted: compare after sort. Task names are the CSV's, renamed by the
# map (tid -> name.NN.type), per-core threads merged, tid appended, as
# perfmap's options say; select is an awk regex on the final name, only
# the one name to keep.
#
# Definitions (perfmap(1), "What the numbers are"): a run slice ends at a
# sched_switch and lasted duration_ns, or when that is empty, since the
# previous sched_switch on the CPU (or the first event); the task switched
# in by the last sched_switch of a CPU runs until the last event. Slices
# are clipped to the window [first event + from, + cap). Switches, exits
# and heatmap events count rows inside the window.

function display(tid, name,    n) {
	if (tid in mapped)
		name = mapped[tid]
	if (name == "")
		name = "[" tid "]"
	if (merge && name ~ /^[A-Za-z0-9_-]+\/u?[0-9][A-Za-z0-9:-]*$/)
		sub(/\/.*/, "", name)
	if (append_tid)
		name = name ":" tid
	return name
}
function selected(name) { return (select == "" || name ~ select) && (only == "" || name == only) }
function add_slice(name, c, a, b,    lo, hi) {
	lo = a > ws ? a : ws
	hi = b < we ? b : we
	if (hi <= lo || !selected(name))
		return
	run[name] += hi - lo
	core[name SUBSEP c] += hi - lo
	# temporal coremap: split over the time bins [bstart(k), bstart(k + 1))
	for (k = int((lo - ws) * tbins / (we - ws)); k < tbins; k++) {
		bs = ws + bstart(k); be = ws + bstart(k + 1)
		if (bs >= hi) break
		s = lo > bs ? lo : bs; e = hi < be ? hi : be
		if (e > s) tcore[name SUBSEP c SUBSEP k] += e - s
	}
}
# first ns of time bin k after the window start: ceil(k * W / tbins)
function bstart(k) { return int((k * (we - ws) + tbins - 1) / tbins) }
function heat(name, kind, t, d,    tb, db) {
	if (d == "" || !selected(name))
		return
	tb = int((t - ws) * tbins / (we - ws))
	if (tb >= tbins) tb = tbins - 1
	db = 0
	while (db + 1 < 40 && edge[db + 1] <= d + 0)
		db++
	hcount[name SUBSEP kind SUBSEP tb SUBSEP db]++
}
BEGIN {
	FS = ","
	if (tbins == "") tbins = 100
	for (k = 0; k <= 40; k++)
		edge[k] = int(1000 * 10 ^ (k / 5) + 0.5)
	if (map != "") {
		while ((getline line < map) > 0) {
			if (line ~ /^[ \t]*(#|$)/)
				continue
			split(line, f, ",")
			mapped[f[1]] = sprintf("%s.%02d%s", f[7], f[6], f[3] == "" ? "" : "." f[3])
		}
	}
}
NR == 1 { next }
{
	n++
	t[n] = $1; cpu[n] = $2; ev[n] = $3; pid[n] = $4; task[n] = $6; dur[n] = $7
	npid[n] = $8; ntask[n] = $9; state[n] = $10; wait[n] = $11; reason[n] = $12
	if ($2 + 1 > maxcpu) maxcpu = $2 + 1
}
END {
	t0 = t[1]; tlast = t[n]
	ws = t0 + from_ns
	we = cap_ns != "" ? ws + cap_ns : tlast + 1
	if (we > tlast + 1) we = tlast + 1
	if (ncpu == "") ncpu = maxcpu
	for (i = 1; i <= n; i++) {
		in_win = t[i] >= ws && t[i] < we
		name = pid[i] != "" ? display(pid[i], task[i]) : ""
		if (name != "") {
			known[name] = 1
			if (in_win) events[pid[i] SUBSEP name]++
		}
		if (ev[i] == "sched_switch") {
			next_name = npid[i] != "" ? display(npid[i], ntask[i]) : ""
			if (next_name != "") known[next_name] = 1
			c = cpu[i]
			if (dur[i] != "") start = t[i] - dur[i]
			else start = (c in last) ? last[c] : t0
			add_slice(name, c, start, t[i])
			last[c] = t[i]; cur[c] = next_name
			if (in_win && selected(name)) {
				if (state[i] ~ /^R/) pre[name]++
				else vol[name]++
				sw[name SUBSEP c]++
				heat(name, "run time", t[i], dur[i])
			}
			if (in_win && next_name != "")
				heat(next_name, "wakeup wait (scheduling delay)", t[i], wait[i])
		} else if (in_win && ev[i] == "kvm_exit" && selected(name)) {
			r = reason[i] == "" ? "unknown" : reason[i]
			exits[name SUBSEP r]++
			heat(name, "time in guest (kvm_exit)", t[i], dur[i])
		} else if (in_win && ev[i] == "kvm_entry") {
			heat(name, "exit handling time (kvm_entry)", t[i], dur[i])
		} else if (in_win && ev[i] == "sched_stat_sleep") {
			heat(name, "sleep time", t[i], dur[i])
		} else if (in_win && ev[i] == "sched_stat_iowait") {
			heat(name, "iowait time", t[i], dur[i])
		}
	}
	for (c in cur)
		if (cur[c] != "" && last[c] < tlast)
			add_slice(cur[c], c, last[c], tlast)
	W = we - ws
	if (what == "cpu") {
		for (name in known)
			if (selected(name))
				printf "%s\t%.3f\t%d\t%d\t%d\n", name, run[name] * 100 / W, run[name],
					vol[name], pre[name]
	} else if (what == "exits") {
		for (k in exits) {
			split(k, p, SUBSEP)
			printf "%s\t%s\t%d\n", p[1], p[2], exits[k]
		}
	} else if (what == "coremap") {
		for (name in known) {
			if (!selected(name))
				continue
			rs = 0
			for (c = 0; c < ncpu; c++) {
				v = core[name SUBSEP c] + 0; s = sw[name SUBSEP c] + 0
				printf "%s\t%d\t%.3f\t%d\t%d\n", name, c, v * 100 / W, v, s
				allrun[c] += v; allsw[c] += s; rs += s
			}
			printf "%s\tall\t%.3f\t%d\t%d\n", name, run[name] * 100 / (W * ncpu), run[name], rs
			total += run[name]; totsw += rs
		}
		for (c = 0; c < ncpu; c++)
			printf "all tasks\t%d\t%.3f\t%d\t%d\n", c, allrun[c] * 100 / W, allrun[c], allsw[c]
		printf "all tasks\tall\t%.3f\t%d\t%d\n", total * 100 / (W * ncpu), total, totsw
	} else if (what == "heat") {
		for (k in hcount) {
			split(k, p, SUBSEP)
			printf "%s\t%s\t%d\t%d\t%d\n", p[1], p[2], p[3], p[4], hcount[k]
		}
	} else if (what == "tcore") {
		for (k in tcore) {
			split(k, p, SUBSEP)
			printf "%s\t%d\t%d\t%d\n", p[1], p[2], p[3], tcore[k]
		}
	} else if (what == "list") {
		for (k in events) {
			split(k, p, SUBSEP)
			printf "%d\t%d\t%s\n", p[1], events[k], p[2]
		}
	}
}
