# scripts/create-vm-csv.sh on a fake /proc tree: libvirt with cgroup v1,
# with cgroup v2, and plain qemu named by its thread names; the rows it
# prints are a valid name map (perfwhiz-proc --map loads them).
. "$(dirname "$0")/lib.sh"
script=$PW_TOP/scripts/create-vm-csv.sh
cd "$PW_TMP"
export PROC_ROOT=$PW_TMP/proc

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

# cgroup v1 (cpuset)
qemu 100 -name guest=instance-0000001a,debug-threads=on -uuid 1b2c-33
thread 100 100 qemu-system-x86 "3:cpuset:/machine/instance-0000001a.libvirt-qemu/emulator"
thread 100 101 "CPU 0/KVM" "3:cpuset:/machine/instance-0000001a.libvirt-qemu/vcpu0"
thread 100 102 "CPU 1/KVM" "4:memory:/machine
3:cpu,cpuset:/machine/instance-0000001a.libvirt-qemu/vcpu1"
thread 100 110 "IO mon_iothread" "3:cpuset:/machine/instance-0000001a.libvirt-qemu/emulator"
"$script" 100 Firewall 5 >v1.csv || die "v1 failed"
cat >want <<'X'
100,instance-0000001a,emulator0,1b2c-33,,5,Firewall
101,instance-0000001a,vcpu0,1b2c-33,,5,Firewall
102,instance-0000001a,vcpu1,1b2c-33,,5,Firewall
110,instance-0000001a,emulator1,1b2c-33,,5,Firewall
X
diff want v1.csv || die "cgroup v1 rows"

# cgroup v2 (systemd scope); the scope's name wins over -name
qemu 200 -name guest=other
thread 200 200 qemu-system-x86 '0::/machine.slice/machine-qemu\x2d3\x2dinstance\x2d0000001c.scope/libvirt/emulator'
thread 200 207 qemu-system-x86 '0::/machine.slice/machine-qemu\x2d3\x2dinstance\x2d0000001c.scope/libvirt/vcpu0'
"$script" 200 Router 12 >v2.csv || die "v2 failed"
cat >want <<'X'
200,instance-0000001c,emulator0,,,12,Router
207,instance-0000001c,vcpu0,,,12,Router
X
diff want v2.csv || die "cgroup v2 rows"

# no libvirt cgroup: qemu's thread names and -name
qemu 300 -name plainvm
thread 300 300 qemu-system-x86 "0::/user.slice"
thread 300 301 "CPU 0/KVM" ""
thread 300 302 "worker" ""
"$script" 300 Vm 1 >plain.csv || die "plain failed"
cat >want <<'X'
300,plainvm,emulator0,,,1,Vm
301,plainvm,vcpu0,,,1,Vm
302,plainvm,emulator1,,,1,Vm
X
diff want plain.csv || die "thread-name rows"

# the rows form a valid map: perfwhiz loads it
cat v1.csv v2.csv plain.csv >map.csv
perfwhiz-proc -q -i "$PW_TOP/tests/data/captures/file.data" --map map.csv --csv /dev/null \
	|| die "perfwhiz does not accept the rows as a map"

# errors
r=0; "$script" 999 X 1 2>err || r=$?; expect_eq "no such process: exit" 1 $r
r=0; "$script" 100 X notanumber 2>err || r=$?; expect_eq "bad VM_ID: exit" 2 $r
r=0; "$script" 100 "a,b" 1 2>err || r=$?; expect_eq "comma in VM_TYPE: exit" 2 $r
r=0; "$script" 2>err || r=$?; expect_eq "no arguments: exit" 2 $r
echo ok
