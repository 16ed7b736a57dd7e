# Feature sections that lie: absurd counts and string lengths, sections and
# tables past the end of the file. Each is ignored (the rows are those of
# the intact file, exit 0, a warning for a section outside the file) or,
# for the tracing data the samples need, rejected with a clear message and
# exit 1. None may allocate more than the file could justify: the peak RSS
# of each run stays under a few MiB above the intact file's.
. "$(dirname "$0")/lib.sh"
command -v python3 >/dev/null || skip "python3 is not installed"
[ -x /usr/bin/time ] || skip "/usr/bin/time is not installed"
caps=$PW_TOP/tests/data/captures
edit() { python3 "$PW_TOP/tests/e2e/perfdata_edit.py" "$@"; }
# where feature section BIT of FILE starts
feat_off() { edit features "$1" | awk -v b="$2" '$1 == b { print $2 }'; }
table_off() { edit features "$1" | awk '$1 == "table" { print $2 }'; }

rss() { /usr/bin/time -f %M -o "$PW_TMP/rss" "$@"; }
for base in file zstd; do
	rss perfwhiz-proc -q -i "$caps/$base.data" --csv "$PW_TMP/$base.csv"
	eval "rss_$base=$(cat "$PW_TMP/rss")"
done
limit=$((rss_file + 16384))	# KiB

# case NAME BASE EXIT PATTERN EDIT...: apply the edits to a copy of BASE.data
case_() {
	local name=$1 base=$2 want=$3 pattern=$4 rc=0 kb
	shift 4
	cp "$caps/$base.data" "$PW_TMP/$name.data"
	while [ $# -gt 0 ]; do
		edit poke "$PW_TMP/$name.data" "$1" "$2" "$3"
		shift 3
	done
	rss perfwhiz-proc -i "$PW_TMP/$name.data" --csv "$PW_TMP/$name.csv" 2>"$PW_TMP/$name.err" || rc=$?
	kb=$(tail -n 1 "$PW_TMP/rss")
	[ "$rc" = "$want" ] || { cat "$PW_TMP/$name.err"; die "$name: exit $rc, expected $want"; }
	[ "$kb" -le $limit ] || die "$name: peak RSS $kb KiB (the intact file: $rss_file KiB)"
	if [ -n "$pattern" ]; then
		grep -Eq -- "$pattern" "$PW_TMP/$name.err" || { cat "$PW_TMP/$name.err"; die "$name: no message matching '$pattern'"; }
	fi
	if [ "$want" = 0 ]; then
		cmp -s "$PW_TMP/$base.csv" "$PW_TMP/$name.csv" || die "$name: the rows changed"
	else
		[ ! -e "$PW_TMP/$name.csv" ] || die "$name: output left behind"
	fi
	echo "ok  $name: exit $rc, peak RSS $kb KiB${pattern:+, said}"
}

f=$caps/file.data
big=0x7fffffffffffffff
# strings (HOSTNAME 3, OSRELEASE 4, VERSION 5, ARCH 6): a length past the section
case_ hostname-len file 0 '' "$(feat_off "$f" 3)" '<I' 0xffffffff
case_ arch-len file 0 '' "$(feat_off "$f" 6)" '<I' 0x7ffffff0
# NRCPUS: absurd counts are information only
case_ nrcpus file 0 '' "$(feat_off "$f" 7)" '<I' 0xffffffff "$(($(feat_off "$f" 7) + 4))" '<I' 0xffffffff
# CMDLINE (11): 4 billion words, a word of 2 GiB
case_ cmdline-nr file 0 '' "$(feat_off "$f" 11)" '<I' 0xffffffff
case_ cmdline-word file 0 '' "$(($(feat_off "$f" 11) + 4))" '<I' 0x7fffffff
# EVENT_DESC (12): 4 billion events, an attr size of 4 GiB, 4 billion ids, a name of 4 GiB
ed=$(feat_off "$f" 12)
case_ event-desc-nr file 0 '' "$ed" '<I' 0xffffffff
case_ event-desc-attr-size file 0 '' "$((ed + 4))" '<I' 0xffffffff
asz=$(python3 -c "import struct,sys; print(struct.unpack_from('<I', open(sys.argv[1],'rb').read(), $ed + 4)[0])" "$f")
case_ event-desc-nr-ids file 0 '' "$((ed + 8 + asz))" '<I' 0xffffffff
case_ event-desc-name file 0 '' "$((ed + 12 + asz))" '<I' 0xffffffff
# sections past the end: offset, size, both huge
tb=$(table_off "$f")
k=$(edit features "$f" | awk '$1 != "table" { k++ } $1 == 3 { print k - 1 }')	# HOSTNAME's entry
case_ section-offset file 0 'feature 3 lies outside the file' "$((tb + 16 * k))" '<Q' $big
case_ section-size file 0 'feature 3 lies outside the file' "$((tb + 16 * k + 8))" '<Q' $big
case_ section-end file 0 'feature 3 lies outside the file' "$((tb + 16 * k))" '<Q' 0x8000000000000000 "$((tb + 16 * k + 8))" '<Q' 0x8000000000000000
# the tracing data (feature 1, the first entry) outside the file: rejected
case_ tracing-outside file 1 'offset [0-9]+: .*tracing data' "$tb" '<Q' $big
# a tracing data section that claims the rest of the file: its own structure ends it
case_ tracing-size file 0 '' "$((tb + 8))" '<Q' "$(($(stat -c %s "$f") - $(feat_off "$f" 1)))"
# every one of the 256 feature bits: the table is read as that many entries, so
# the tracing data is looked for where another section is: rejected
case_ all-bits file 1 'offset [0-9]+: tracing data: bad magic' 72 '<q' -1 80 '<q' -1 88 '<q' -1 96 '<q' -1
# COMPRESSED (27): a 4 GiB mmap length does not raise the decompression bound
z=$caps/zstd.data
case_ compressed-mmap-len zstd 0 '' "$(($(feat_off "$z" 27) + 16))" '<I' 0xffffffff
# ... nor lets a decompression bomb through: the first compressed record
# swapped for a zstd frame of 200 MiB of zeros stops at 64 MiB, exit 1,
# nothing written (the peak RSS holds the 64 MiB the bound allows)
cp "$z" "$PW_TMP/bomb.data"
edit zstd-bomb "$PW_TMP/bomb.data" "$(edit records "$z" | awk '$2 == 81 { print $1; exit }')" 200
zoff=$(edit records "$PW_TMP/bomb.data" | awk '$2 == 81 { print $1; exit }')
edit poke "$PW_TMP/bomb.data" "$(($(feat_off "$PW_TMP/bomb.data" 27) + 16))" '<I' 0xffffffff
rc=0
rss perfwhiz-proc -i "$PW_TMP/bomb.data" --csv "$PW_TMP/bomb.csv" 2>"$PW_TMP/bomb.err" || rc=$?
kb=$(tail -n 1 "$PW_TMP/rss")
[ $rc = 1 ] || { cat "$PW_TMP/bomb.err"; die "zstd bomb: exit $rc, expected 1"; }
bound=$((rss_zstd + 65536 + 16384))
# the address sanitizer's realloc copies and keeps the freed buffers: the
# doubling buffer peaks at twice its size (without the bound: 512 MiB)
[ -z "$(asan_runtime "$(command -v perfwhiz-proc)")" ] || bound=$((rss_zstd + 2 * 65536 + 32768))
[ "$kb" -le $bound ] || die "zstd bomb: peak RSS $kb KiB (the intact file: $rss_zstd KiB)"
grep -q "bomb.data: offset $zoff: compressed record decompresses to more than 67108864 bytes" \
	"$PW_TMP/bomb.err" || { cat "$PW_TMP/bomb.err"; die "zstd bomb: not said with the file and offset"; }
[ ! -e "$PW_TMP/bomb.csv" ] || die "zstd bomb: output left behind"
echo "ok  zstd bomb with a 4 GiB mmap length: exit 1, peak RSS $kb KiB, said"
echo ok
