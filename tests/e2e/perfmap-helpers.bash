# Helpers for tests/e2e/perfmap*.sh (sourced after lib.sh).

PM_ORACLE=$PW_TOP/tests/e2e/perfmap-oracle.awk
PM_DATA=$PW_TOP/tests/data/plot

# pm_cdict PERF.DATA OUT.cdict: convert, or skip when perfwhiz-proc cannot
# write cdicts.
pm_cdict() {
	perfwhiz-proc -q -i "$1" -o "$2" 2>"$PW_TMP/proc.err" ||
		skip "perfwhiz-proc cannot write a cdict ($(head -n 1 "$PW_TMP/proc.err"))"
}

# pm_csv RUN.cdict PERF.DATA OUT.csv: the CSV export of the cdict; the CSV
# of the perf.data it came from when perfwhiz-proc cannot export cdicts.
pm_csv() {
	perfwhiz-proc -q -i "$1" --csv "$3" 2>/dev/null || perfwhiz-proc -q -i "$2" --csv "$3" ||
		die "perfwhiz-proc cannot export $1 or $2 as CSV"
}

# pm_same WHAT EXPECTED-FILE ACTUAL-FILE: equal after sorting.
pm_same() {
	LC_ALL=C sort "$2" >"$2.sorted"
	LC_ALL=C sort "$3" >"$3.sorted"
	if ! cmp -s "$2.sorted" "$3.sorted"; then
		diff -u "$2.sorted" "$3.sorted" >&2 || true
		die "$1: perfmap's numbers differ from the oracle's (- expected, + perfmap)"
	fi
	[ -s "$2.sorted" ] || die "$1: nothing to compare"
}

# The rows of each chart's .dat in the oracle's layout.
pm_dat_cpu() { grep -v '^#' "$1"; }
pm_dat_coremap() { grep -v '^#' "$1" | cut -f3-7; }
pm_dat_exits() {
	awk -F'\t' '/^#/ { next } !hdr { for (i = 2; i < NF; i++) r[i] = $i; hdr = 1; next }
		{ for (i = 2; i < NF; i++) if ($i > 0) printf "%s\t%s\t%d\n", $1, r[i], $i }' "$1"
}
# pm_dat_heat TASK FILE...: task, kind, tbin, dbin, count of the non-empty cells.
pm_dat_heat() {
	local task=$1; shift
	awk -F'\t' -v task="$task" '/^# index [0-9]+: / { kind = $0; sub(/^# index [0-9]+: /, "", kind); next }
		/^#/ || NF < 6 { next } $6 > 0 { printf "%s\t%s\t%d\t%d\t%d\n", task, kind, $3, $2, $6 }' "$@"
}

# pm_dat_tcore TASK FILE: task, cpu, tbin, run_ns of the cells where it ran.
pm_dat_tcore() {
	awk -F'\t' -v task="$1" '/^#/ || NF < 6 { next } $6 > 0 { printf "%s\t%d\t%d\t%d\n", task, $2, $3, $6 }' "$2"
}

# pm_check_images DIR: every image in DIR is what its name says.
pm_check_images() {
	local f n=0
	for f in "$1"/*.png; do
		[ -e "$f" ] || continue
		python3 - "$f" <<'PY' || die "$f: not a valid PNG"
import struct, sys
d = open(sys.argv[1], 'rb').read()
assert d[:8] == b'\x89PNG\r\n\x1a\n', 'signature'
assert d[12:16] == b'IHDR'
w, h = struct.unpack('>II', d[16:24])
assert 100 <= w <= 30000 and 100 <= h <= 30000, (w, h)
assert d[-8:-4] == b'IEND', 'no IEND'
PY
		n=$((n + 1))
	done
	for f in "$1"/*.svg; do
		[ -e "$f" ] || continue
		python3 -c 'import sys, xml.etree.ElementTree as E; r = E.parse(sys.argv[1]).getroot(); assert r.tag.endswith("svg"), r.tag' "$f" ||
			die "$f: not a valid SVG document"
		n=$((n + 1))
	done
	for f in "$1"/*.pdf; do
		[ -e "$f" ] || continue
		head -c 5 "$f" | grep -q '^%PDF-' || die "$f: no PDF header"
		tail -c 32 "$f" | grep -q '%%EOF' || die "$f: no PDF trailer"
		n=$((n + 1))
	done
	for f in "$1"/*.eps; do
		[ -e "$f" ] || continue
		head -c 11 "$f" | grep -q '^%!PS-Adobe' || die "$f: no EPS header"
		n=$((n + 1))
	done
	[ $n -gt 0 ] || die "$1: no image"
}

# pm_check_index DIR: index.html links every file of DIR and nothing else.
pm_check_index() {
	python3 - "$1" <<'PY' || die "$1/index.html: links do not match the files"
import os, sys
from html.parser import HTMLParser
d = sys.argv[1]
refs = set()
class P(HTMLParser):
    def handle_starttag(self, tag, attrs):
        for k, v in attrs:
            if k in ('href', 'src'):
                refs.add(v)
P().feed(open(os.path.join(d, 'index.html')).read())
for r in refs:
    assert '/' not in r and ':' not in r and not r.startswith('.'), 'outside the directory: ' + r
    assert os.path.exists(os.path.join(d, r)), 'missing: ' + r
files = set(os.listdir(d)) - {'index.html'}
# cairolatex writes NAME-tex.pdf beside NAME-tex.tex: linked through the .tex
files = {f for f in files if not (f.endswith('-tex.pdf') and f[:-4] + '.tex' in files)}
missing = files - refs
assert not missing, 'not linked: ' + ' '.join(sorted(missing))
PY
}
