#!/usr/bin/env bash
# create-vm-csv.sh - print perfwhiz name-map rows for every thread of a qemu
# process, to annotate a capture (perfcap --map, perfwhiz-proc --map,
# perfmap --map).
#
#   create-vm-csv.sh QEMU_PID VM_TYPE VM_ID >>map.csv
#
# One row per thread: tid,instance,type,uuid,,VM_ID,VM_TYPE, where type is
# vcpuN for vcpu threads and emulator0, emulator1, ... for the others (tid
# order); the rows then name the threads VM_TYPE.NN.vcpu0 (NN: VM_ID on two
# digits), e.g. `create-vm-csv.sh 4242 Firewall 5` -> Firewall.05.vcpu0.
#
# The role of a thread comes from the libvirt cgroup it is in, cgroup v1
# (cpuset: /machine/NAME.libvirt-qemu/vcpu0) or v2
# (/machine.slice/machine-qemu\x2dN\x2dNAME.scope/libvirt/vcpu0), else from
# the thread name qemu gives vcpu threads ("CPU 0/KVM", with
# -name ...,debug-threads=on). The instance is NAME, else qemu's -name
# guest=NAME; the uuid is qemu's -uuid.
#
# PROC_ROOT (default /proc) is read instead of /proc (tests use a fake tree).
set -euo pipefail
proc=${PROC_ROOT:-/proc}

usage() {
	echo "usage: ${0##*/} QEMU_PID VM_TYPE VM_ID" >&2
	echo "  prints tid,instance,type,uuid,group-type,group-id,name rows for each thread" >&2
	exit 2
}
[ $# -eq 3 ] || usage
pid=$1 vmtype=$2 vmid=$3
[[ $pid =~ ^[0-9]+$ ]] || { echo "${0##*/}: QEMU_PID '$pid' is not a process id" >&2; exit 2; }
[[ $vmid =~ ^[0-9]+$ ]] || { echo "${0##*/}: VM_ID '$vmid' must be a number" >&2; exit 2; }
[[ -n $vmtype && $vmtype != *[,$'\n\r']* ]] ||
	{ echo "${0##*/}: VM_TYPE must be non-empty, without commas or line breaks" >&2; exit 2; }
[ -d "$proc/$pid/task" ] || { echo "${0##*/}: no process $pid (in $proc)" >&2; exit 1; }

# qemu's command line, one argument per line
mapfile -t args < <(tr '\0' '\n' <"$proc/$pid/cmdline" 2>/dev/null || true)
name="" uuid=""
for ((i = 0; i < ${#args[@]}; i++)); do
	case ${args[i]} in
	-name | --name)
		v=${args[i + 1]:-}
		v=${v#guest=}
		name=${v%%,*}
		;;
	-uuid | --uuid) uuid=${args[i + 1]:-} ;;
	esac
done
comm=$(cat "$proc/$pid/comm" 2>/dev/null || true)
case "$comm ${args[0]:-}" in
qemu* | *" qemu"* | */qemu*) ;;
*) echo "${0##*/}: warning: process $pid ($comm) does not look like qemu" >&2 ;;
esac

# the instance and role in a cgroup file: prints "INSTANCE ROLE" (either may be -)
cgroup_role() {
	local line path best="" v2="" inst="-" role="-" c
	while IFS= read -r line; do
		path=${line#*:}
		ctl=${path%%:*}
		path=${path#*:}
		case ",$ctl," in *,cpuset,*) [ -n "$best" ] || best=$path ;; esac
		[ -n "$ctl" ] || [ -n "$v2" ] || v2=$path
	done <"$1"
	for path in "$best" "$v2"; do
		[ -n "$path" ] || continue
		inst="-" role="-"
		IFS=/ read -r -a comps <<<"$path"
		for c in "${comps[@]}"; do
			if [[ $c == *.libvirt-qemu ]]; then
				inst=${c%.libvirt-qemu}
			elif [[ $c == machine-qemu*.scope ]]; then
				c=${c#machine-qemu}
				c=${c%.scope}
				c=$(printf '%b' "$c")	# undo systemd's \x2d escapes
				c=${c#-}
				[[ $c =~ ^[0-9]+-(.+)$ ]] && inst=${BASH_REMATCH[1]}
			elif [ "$inst" != - ] && [[ $c =~ ^(vcpu[0-9]+|emulator|iothread[0-9]+)$ ]]; then
				role=$c
			fi
		done
		[ "$inst" = - ] || break
	done
	echo "$inst $role"
}

emulators=0
for tid in $(ls "$proc/$pid/task" | grep -E '^[0-9]+$' | sort -n); do
	inst=- role=-
	if [ -r "$proc/$pid/task/$tid/cgroup" ]; then
		read -r inst role < <(cgroup_role "$proc/$pid/task/$tid/cgroup")
	fi
	if [ "$role" = - ] || [ "$role" = emulator ]; then
		tcomm=$(cat "$proc/$pid/task/$tid/comm" 2>/dev/null || true)
		if [[ $tcomm =~ ^CPU\ ([0-9]+)/KVM$ ]]; then
			role=vcpu${BASH_REMATCH[1]}
		else
			role=emulator$emulators
			emulators=$((emulators + 1))
		fi
	fi
	[ "$inst" != - ] || inst=$name
	echo "$tid,$inst,$role,$uuid,,$vmid,$vmtype"
done
