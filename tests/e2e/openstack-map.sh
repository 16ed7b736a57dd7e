# scripts/openstack-map (experimental) on recorded openstack client output
# (tests/data/openstack/, served by its fake-openstack) and a fake /proc
# tree: servers matched by instance name (cgroup v1, cgroup v2) and by
# -uuid (qemu thread names), --name-regex naming, skipped servers, errors;
# its rows are a valid name map (perfwhiz-proc --map loads and applies them).
. "$(dirname "$0")/lib.sh"
command -v python3 >/dev/null || skip "python3 is not installed"
python3 -c 'import sys; sys.exit(sys.version_info < (3, 8))' || skip "python3 is older than 3.8"
script=$PW_TOP/scripts/openstack-map
data=$PW_TOP/tests/data/openstack
fake=$data/fake-openstack
cd "$PW_TMP"
export PROC_ROOT=$PW_TMP/proc OPENSTACK=$fake FAKE_OPENSTACK_LOG=$PW_TMP/calls
unset FAKE_OPENSTACK_LIST FAKE_OPENSTACK_SHOW

thread() {	# thread PID TID COMM CGROUP
	mkdir -p "proc/$1/task/$2"
	echo "$3" >"proc/$1/task/$2/comm"
	[ -z "$4" ] || printf '%s\n' "$4" >"proc/$1/task/$2/cgroup"
}
qemu() {	# qemu PID ARGS...
	local pid=$1
	shift
	mkdir -p "proc/$pid"
	echo qemu-system-x86 >"proc/$pid/comm"
	printf '%s\0' /usr/bin/qemu-system-x86_64 "$@" >"proc/$pid/cmdline"
}
# run NAME ARGS...: openstack-map's exit status in $r, its output in NAME.csv
# and NAME.err, the client calls it made in NAME.calls
run() {
	local n=$1
	shift
	: >calls
	r=0
	"$script" "$@" >"$n.csv" 2>"$n.err" || r=$?
	mv calls "$n.calls"
}
u1=0d4f3c2a-7b1e-4a52-9c1d-2f6e8a1b3c01 # fw-1, instance-0000001a
u2=5e9a1b7c-3d2f-4c8e-a6b0-9f1e2d3c4b02 # router-1, instance-0000001c
u3=a3c5e7f9-1b2d-4e6f-8a0c-2e4f6a8c0e03 # fw-2, instance-0000001d
u4=c7e1f3a5-9d8b-4a6c-b2e0-4f6a8c0e2a04 # web-7: runs on another host
u5=e9a3b5c7-2f4d-4b8a-9c6e-6a8c0e2a4c05 # db, instance-0000001e

# not qemu: ignored
mkdir -p proc/1/task/1
echo bash >proc/1/comm
printf '%s\0' /bin/bash >proc/1/cmdline
# fw-1: cgroup v1 (cpuset), no -uuid: matched by instance name
qemu 100 -name guest=instance-0000001a,debug-threads=on -machine pc
thread 100 100 qemu-system-x86 "3:cpuset:/machine/instance-0000001a.libvirt-qemu/emulator"
thread 100 101 "CPU 0/KVM" "3:cpuset:/machine/instance-0000001a.libvirt-qemu/vcpu0"
thread 100 102 "CPU 1/KVM" "4:memory:/machine
3:cpu,cpuset:/machine/instance-0000001a.libvirt-qemu/vcpu1"
thread 100 110 "IO mon_iothread" "3:cpuset:/machine/instance-0000001a.libvirt-qemu/emulator"
# router-1: cgroup v2 (systemd scope), whose name is the instance's (not -name)
qemu 200 -name guest=other
thread 200 200 qemu-system-x86 '0::/machine.slice/machine-qemu\x2d3\x2dinstance\x2d0000001c.scope/libvirt/emulator'
thread 200 207 qemu-system-x86 '0::/machine.slice/machine-qemu\x2d3\x2dinstance\x2d0000001c.scope/libvirt/vcpu0'
# fw-2: no libvirt cgroup, thread names; matched by -uuid. Its vcpu has a tid
# of tests/data/captures/file.data, to check the map is applied there.
qemu 300 -name guest=instance-0000001d,debug-threads=on -uuid "$u3"
thread 300 300 qemu-system-x86 "0::/user.slice"
thread 300 11888 "CPU 0/KVM" ""
thread 300 11890 "worker" ""
# db: matched by -uuid, its name does not fit --name-regex below
qemu 400 -name instance-0000001e,process=qemu:db -uuid "$u5"
thread 400 400 qemu-system-x86 ""
thread 400 401 "CPU 0/KVM" ""
# a qemu that no server lists
qemu 500 -name guest=instance-000000ff -uuid ffffffff-0000-4000-8000-000000000000
thread 500 500 qemu-system-x86 ""

# default naming: the server name, group 0
run plain
expect_eq "default run: exit" 0 $r
cat >want <<X
100,instance-0000001a,emulator0,$u1,,0,fw-1
101,instance-0000001a,vcpu0,$u1,,0,fw-1
102,instance-0000001a,vcpu1,$u1,,0,fw-1
110,instance-0000001a,emulator1,$u1,,0,fw-1
200,instance-0000001c,emulator0,$u2,,0,router-1
207,instance-0000001c,vcpu0,$u2,,0,router-1
300,instance-0000001d,emulator0,$u3,,0,fw-2
11888,instance-0000001d,vcpu0,$u3,,0,fw-2
11890,instance-0000001d,emulator1,$u3,,0,fw-2
400,instance-0000001e,emulator0,$u5,,0,db
401,instance-0000001e,vcpu0,$u5,,0,db
X
diff want plain.csv || die "default naming rows"
grep -q "skipped server 'web-7' ($u4): no qemu process here" plain.err ||
	{ cat plain.err; die "the server with no local process is not reported"; }
grep -q "qemu process 500 (instance-000000ff) matches no listed server" plain.err ||
	{ cat plain.err; die "the qemu process no server lists is not reported"; }
# `server show` only for the servers no qemu -uuid matches
cat >want <<X
server list --all-projects --long -f json
server show $u1 -f json
server show $u2 -f json
server show $u4 -f json
X
diff want plain.calls || die "openstack client calls"

# --name-regex and --group-type; db does not match the regex: skipped
run rx --name-regex '(?P<name>[a-z]+)-(?P<group>[0-9]+)' --group-type chain
expect_eq "--name-regex: exit" 0 $r
cat >want <<X
100,instance-0000001a,emulator0,$u1,chain,1,fw
101,instance-0000001a,vcpu0,$u1,chain,1,fw
102,instance-0000001a,vcpu1,$u1,chain,1,fw
110,instance-0000001a,emulator1,$u1,chain,1,fw
200,instance-0000001c,emulator0,$u2,chain,1,router
207,instance-0000001c,vcpu0,$u2,chain,1,router
300,instance-0000001d,emulator0,$u3,chain,2,fw
11888,instance-0000001d,vcpu0,$u3,chain,2,fw
11890,instance-0000001d,emulator1,$u3,chain,2,fw
X
diff want rx.csv || die "--name-regex rows"
grep -q "skipped server 'db' ($u5): name does not match --name-regex" rx.err ||
	{ cat rx.err; die "the server whose name does not match is not reported"; }
grep -q "qemu process 400" rx.err && die "qemu 400 (db, skipped by name) reported as unlisted"
# a regex with only a name part: group 0
run rxname --name-regex '^(?P<name>[a-z]+)' -q
expect_eq "--name-regex with a name only: exit" 0 $r
grep -qx "11888,instance-0000001d,vcpu0,$u3,,0,fw" rxname.csv || die "name-only regex row"
[ ! -s rxname.err ] || { cat rxname.err; die "-q still reports"; }

# the same from recorded output read directly, and written with -o
run files --json-list "$data/server-list.json" --json-show-dir "$data/show" -o map.csv
expect_eq "--json-list: exit" 0 $r
diff plain.csv map.csv || die "--json-list differs from the client's output"
[ ! -s files.calls ] || die "--json-list ran the client"
expect_eq "-o mode" 644 "$(stat -c %a map.csv)"
# without the show output, only -uuid can match
run uuid --json-list "$data/server-list.json"
expect_eq "uuid only: exit" 0 $r
cat >want <<X
300,instance-0000001d,emulator0,$u3,,0,fw-2
11888,instance-0000001d,vcpu0,$u3,,0,fw-2
11890,instance-0000001d,emulator1,$u3,,0,fw-2
400,instance-0000001e,emulator0,$u5,,0,db
401,instance-0000001e,vcpu0,$u5,,0,db
X
diff want uuid.csv || die "uuid-matched rows"
grep -q "skipped server 'fw-1'" uuid.err || die "fw-1 without an instance name is not reported"
# --openstack CMD with arguments of its own; OPENSTACK unset
OPENSTACK='' run cmd --openstack "bash $fake" --host compute-07
expect_eq "--openstack CMD: exit" 0 $r
diff plain.csv cmd.csv || die "--openstack CMD rows"
grep -q "web-7" cmd.err && die "--host kept a server of another host"

# the rows form a valid map: perfwhiz-proc applies it to a capture
perfwhiz-proc -q -i "$PW_TOP/tests/data/captures/file.data" --map rx.csv --csv out.csv \
	|| die "perfwhiz-proc does not accept the rows as a map"
n=$(awk -F, '$4 == 11888 && $6 == "fw.02.vcpu0"' out.csv | wc -l)
[ "$n" -gt 0 ] || die "tid 11888 not renamed fw.02.vcpu0 in the capture"
n=$(awk -F, '$4 == 11888 && $6 != "fw.02.vcpu0"' out.csv | wc -l)
expect_eq "rows of tid 11888 with another name" 0 "$n"
perfwhiz-proc -q -i "$PW_TOP/tests/data/captures/file.data" --map plain.csv --csv /dev/null \
	|| die "perfwhiz-proc does not accept the default rows as a map"

# strings from the cloud never reach a shell; odd names are quoted CSV
run hostile --json-list "$data/hostile-list.json"
expect_eq "hostile names: exit" 0 $r
grep -qx "11888,instance-0000001d,vcpu0,$u3,,0,\"fw,2 \"\"quoted\"\"\"" hostile.csv ||
	{ cat hostile.csv; die "name with a comma and quotes not quoted"; }
run hostile2 --openstack "$fake" --no-all-projects
[ ! -e pwned-id ] && [ ! -e pwned-name ] || die "a server's strings were run by a shell"
FAKE_OPENSTACK_LIST=$data/hostile-list.json run hostile3
[ ! -e pwned-id ] && [ ! -e pwned-name ] || die "a server's strings were run by a shell"
grep -q "does not look like a server id" hostile3.err || die "odd server id not reported"
grep -q -- "--all-projects" hostile2.calls && die "--no-all-projects still passes --all-projects"
perfwhiz-proc -q -i "$PW_TOP/tests/data/captures/file.data" --map hostile.csv --csv /dev/null \
	|| die "perfwhiz-proc does not accept a quoted name"

# errors: clear message, non-zero exit
run noclient --openstack "$PW_TMP/no/such/openstack"
expect_eq "no client: exit" 1 $r
grep -q "openstack client .* not found" noclient.err || { cat noclient.err; die "no client message"; }
FAKE_OPENSTACK_LIST=$PW_TMP/nonexistent run clientfail
expect_eq "failing client: exit" 1 $r
grep -q "failed (exit 1)" clientfail.err || { cat clientfail.err; die "failing client message"; }
FAKE_OPENSTACK_LIST=$data/bad-truncated.json run badjson
expect_eq "truncated JSON: exit" 1 $r
grep -q "bad JSON from openstack server list" badjson.err || { cat badjson.err; die "bad JSON message"; }
[ ! -s badjson.csv ] || die "rows written despite bad JSON"
FAKE_OPENSTACK_LIST=$data/bad-not-a-list.json run notlist
expect_eq "JSON not a list: exit" 1 $r
grep -q "expected a list of servers" notlist.err || { cat notlist.err; die "not-a-list message"; }
FAKE_OPENSTACK_SHOW=$data/bad-show run badshow
expect_eq "bad show JSON: exit" 1 $r
grep -q "bad JSON from openstack server show $u1" badshow.err || { cat badshow.err; die "bad show message"; }
run badfile --json-list "$data/bad-truncated.json" -o never.csv
expect_eq "bad --json-list file: exit" 1 $r
[ ! -e never.csv ] || die "-o written despite bad JSON"
run nomatch --host compute-12
expect_eq "no server matches: exit" 1 $r
grep -q "none of the 1 servers matches a local qemu process" nomatch.err || { cat nomatch.err; die "no-match message"; }
run nohost --host nowhere
expect_eq "--host matching nothing: exit" 1 $r
grep -q "none of the 5 servers is on host 'nowhere'" nohost.err || { cat nohost.err; die "--host message"; }
mkdir empty
PROC_ROOT=$PW_TMP/empty run noqemu
expect_eq "no qemu process: exit" 1 $r
grep -q "no qemu process found" noqemu.err || { cat noqemu.err; die "no-qemu message"; }
run badre --name-regex '(?P<name>[a-z'
expect_eq "bad --name-regex: exit" 2 $r
run badgroup --name-regex '(?P<group>[a-z]+)'
expect_eq "non-numeric group: exit" 1 $r
grep -q "is not a number" badgroup.err || { cat badgroup.err; die "non-numeric group message"; }

# labelled experimental
"$script" --help | grep -q EXPERIMENTAL || die "--help does not say EXPERIMENTAL"
echo ok
