/* SPDX-License-Identifier: MIT */
/*
 * pw-vmnames.h - capture-time names for the threads of qemu processes,
 * read from /proc: INSTANCE.vcpuN, INSTANCE.emulatorN.
 *
 * The instance and the thread's role come from its cgroup when libvirt
 * placed it in one:
 *
 *   cgroup v1 (cpuset):  /machine/instance-0000001a.libvirt-qemu/vcpu0
 *   cgroup v2 (systemd): /machine.slice/machine-qemu\x2d3\x2dinstance\x2d0000001a.scope/libvirt/vcpu0
 *
 * otherwise from qemu itself: the instance from `-name guest=NAME,...` (or
 * `-name NAME`, else qemu-PID) on its command line, the role from the
 * thread name qemu gives vcpu threads ("CPU 0/KVM" -> vcpu0). Threads that
 * are not vcpus are emulator threads, numbered in tid order (emulator0 is
 * the main thread). A user's name map wins over these names.
 */
#ifndef PW_VMNAMES_H
#define PW_VMNAMES_H

#include <stddef.h>
#include <stdint.h>

#include "pw-namemap.h"
#include "pw-row.h"

struct pw_vmnames;

/**
 * pw_vmnames_scan - name every thread of every qemu process
 * @proc_root: where /proc is ("/proc" when NULL); tests use a fake tree
 * @err: set to 0 or a negative PW_E* code (may be NULL)
 *
 * Processes and threads that vanish while being read are skipped. Returns
 * the names (free with pw_vmnames_free(); possibly none), or NULL when
 * @proc_root cannot be read or out of memory (message logged).
 */
struct pw_vmnames *pw_vmnames_scan(const char *proc_root, int *err);

/** pw_vmnames_free - release @vm (NULL ok) */
void pw_vmnames_free(struct pw_vmnames *vm);

/** pw_vmnames_count - number of threads named (0 for NULL) */
size_t pw_vmnames_count(const struct pw_vmnames *vm);

/**
 * pw_vmnames_lookup - the name of thread @tid, owned by @vm, or NULL
 */
const char *pw_vmnames_lookup(const struct pw_vmnames *vm, int64_t tid);

/**
 * pw_vmnames_apply - rename the tasks of a row in place
 * @vm: the names (NULL: nothing renamed)
 * @user: a user's name map whose tids are left alone (NULL: none)
 * @row: its task / next_task are pointed at names owned by @vm
 *
 * Returns how many of the two names were replaced (0, 1 or 2).
 */
int pw_vmnames_apply(const struct pw_vmnames *vm, const struct pw_namemap *user,
		     struct pw_row *row);

/**
 * pw_vmnames_rewrite - apply the names to every row of a cdict, in place
 * @vm: the names
 * @user: a user's name map whose tids are left alone (NULL: none)
 * @path: the cdict; replaced atomically, its metadata kept
 *
 * Returns 0 or a negative PW_E* code (message logged; the file is then
 * unchanged).
 */
int pw_vmnames_rewrite(const struct pw_vmnames *vm, const struct pw_namemap *user,
		       const char *path);

/**
 * pw_vmnames_parse_cgroup - the instance and role in a /proc/.../cgroup file
 * @text: the file's content (NUL-terminated)
 * @instance: set to the libvirt instance name (caller frees), or NULL
 * @role: set to "vcpuN", "emulator", "iothreadN" (caller frees), or NULL
 *
 * The cpuset line of cgroup v1 is preferred, then the v2 line ("0::").
 * Returns 1 when an instance was found, 0 when not, PW_ENOMEM.
 */
int pw_vmnames_parse_cgroup(const char *text, char **instance, char **role);

#endif
