// SPDX-License-Identifier: MIT
/*
 * test-vmnames.c - naming qemu threads from a fake /proc tree: cgroup v1
 * and v2 layouts, qemu's "CPU n/KVM" thread names, emulator numbering, a
 * user map winning; and the capture helpers that read /proc and tracefs
 * (schedstats on and restored, probing events in a fake tracefs).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "pw-capture.h"
#include "pw-log.h"
#include "pw-vmnames.h"

static char root[] = "/tmp/pw-vmnames-XXXXXX";

static void put(const char *rel, const void *data, size_t len)
{
	char path[512], *slash;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", root, rel);
	for (slash = strchr(path + strlen(root) + 1, '/'); slash; slash = strchr(slash + 1, '/')) {
		*slash = 0;
		mkdir(path, 0755);
		*slash = '/';
	}
	f = fopen(path, "w");
	assert_non_null(f);
	assert_int_equal(fwrite(data, 1, len, f), len);
	fclose(f);
}

#define PUTS(rel, s) put(rel, s, strlen(s))

static char *slurp(const char *rel)
{
	static char buf[256];
	char path[512];
	FILE *f;
	size_t n;

	snprintf(path, sizeof(path), "%s/%s", root, rel);
	f = fopen(path, "r");
	assert_non_null(f);
	n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = 0;
	fclose(f);
	return buf;
}

static int setup(void **state)
{
	static const char qemu_cmd[] = "/usr/bin/qemu-system-x86_64\0-name\0"
				       "guest=instance-0000002b,debug-threads=on\0-uuid\0x\0";
	static const char qemu3_cmd[] = "qemu-kvm\0-m\0512\0";

	assert_non_null(mkdtemp(root));
	/* 100: libvirt with cgroup v1 (cpuset) */
	PUTS("100/comm", "qemu-system-x86\n");
	put("100/cmdline", qemu_cmd, sizeof(qemu_cmd));
	PUTS("100/task/100/comm", "qemu-system-x86\n");
	PUTS("100/task/100/cgroup", "5:memory:/machine/instance-0000001a.libvirt-qemu\n"
	     "3:cpuset:/machine/instance-0000001a.libvirt-qemu/emulator\n");
	PUTS("100/task/101/comm", "CPU 0/KVM\n");
	PUTS("100/task/101/cgroup", "3:cpuset:/machine/instance-0000001a.libvirt-qemu/vcpu0\n");
	PUTS("100/task/102/comm", "CPU 1/KVM\n");
	PUTS("100/task/102/cgroup", "3:cpuset:/machine/instance-0000001a.libvirt-qemu/vcpu1\n");
	PUTS("100/task/103/comm", "IO mon_iothread\n");
	PUTS("100/task/103/cgroup", "3:cpuset:/machine/instance-0000001a.libvirt-qemu/emulator\n");
	/* 200: cgroup v2 (systemd machine scope) */
	PUTS("200/comm", "qemu-system-x86\n");
	put("200/cmdline", qemu_cmd, sizeof(qemu_cmd));
	PUTS("200/task/200/cgroup", "0::/machine.slice/machine-qemu\\x2d3\\x2dinstance"
	     "\\x2d0000001c.scope/libvirt/emulator\n");
	PUTS("200/task/205/cgroup", "0::/machine.slice/machine-qemu\\x2d3\\x2dinstance"
	     "\\x2d0000001c.scope/libvirt/vcpu0\n");
	/* 300: plain qemu, no cgroup, no -name: thread names and qemu-PID */
	PUTS("300/comm", "qemu-kvm\n");
	put("300/cmdline", qemu3_cmd, sizeof(qemu3_cmd));
	PUTS("300/task/300/comm", "qemu-kvm\n");
	PUTS("300/task/300/cgroup", "0::/user.slice\n");
	PUTS("300/task/302/comm", "CPU 0/KVM\n");
	PUTS("300/task/301/comm", "worker\n");
	/* 400: not qemu */
	PUTS("400/comm", "bash\n");
	put("400/cmdline", "bash\0", 5);
	PUTS("400/task/400/comm", "CPU 0/KVM\n");
	/* sysctls */
	PUTS("sys/kernel/sched_schedstats", "0\n");
	PUTS("sys/kernel/perf_event_paranoid", "2\n");
	/* a tracefs with some events */
	PUTS("tracing/events/sched/sched_switch/format", "name: sched_switch\n");
	PUTS("tracing/events/kvm/kvm_exit/format", "name: kvm_exit\n");
	return 0;
}

static int teardown(void **state)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
	return system(cmd) ? -1 : 0;
}

static void test_parse_cgroup(void **state)
{
	char *inst, *role;

	assert_int_equal(pw_vmnames_parse_cgroup("4:cpuset:/machine/instance-0000001a.libvirt-"
						 "qemu/vcpu0\n", &inst, &role), 1);
	assert_string_equal(inst, "instance-0000001a");
	assert_string_equal(role, "vcpu0");
	free(inst);
	free(role);
	assert_int_equal(pw_vmnames_parse_cgroup("0::/machine.slice/machine-qemu\\x2d3\\x2d"
						 "instance\\x2d0000001a.scope/libvirt/vcpu0\n",
						 &inst, &role), 1);
	assert_string_equal(inst, "instance-0000001a");
	assert_string_equal(role, "vcpu0");
	free(inst);
	free(role);
	/* cpuset among other controllers, the v2 line ignored when v1 names it */
	assert_int_equal(pw_vmnames_parse_cgroup("0::/\n2:cpu,cpuset:/machine/vm-a.libvirt-qemu/"
						 "emulator\n", &inst, &role), 1);
	assert_string_equal(inst, "vm-a");
	assert_string_equal(role, "emulator");
	free(inst);
	free(role);
	/* instance without a role folder */
	assert_int_equal(pw_vmnames_parse_cgroup("0::/machine.slice/machine-qemu\\x2d12\\x2d"
						 "web\\x2d1.scope\n", &inst, &role), 1);
	assert_string_equal(inst, "web-1");
	assert_null(role);
	free(inst);
	assert_int_equal(pw_vmnames_parse_cgroup("0::/user.slice/session-1.scope\n", &inst,
						 &role), 0);
	assert_null(inst);
	assert_int_equal(pw_vmnames_parse_cgroup("", &inst, &role), 0);
	assert_int_equal(pw_vmnames_parse_cgroup("garbage", &inst, &role), 0);
	assert_int_equal(pw_vmnames_parse_cgroup("0::/machine.slice/machine-qemu.scope\n",
						 &inst, &role), 0);
}

static void test_scan(void **state)
{
	struct pw_vmnames *vm;
	int err = 1;

	vm = pw_vmnames_scan(root, &err);
	assert_non_null(vm);
	assert_int_equal(err, 0);
	assert_int_equal(pw_vmnames_count(vm), 9);
	assert_string_equal(pw_vmnames_lookup(vm, 100), "instance-0000001a.emulator0");
	assert_string_equal(pw_vmnames_lookup(vm, 101), "instance-0000001a.vcpu0");
	assert_string_equal(pw_vmnames_lookup(vm, 102), "instance-0000001a.vcpu1");
	assert_string_equal(pw_vmnames_lookup(vm, 103), "instance-0000001a.emulator1");
	assert_string_equal(pw_vmnames_lookup(vm, 200), "instance-0000001c.emulator0");
	assert_string_equal(pw_vmnames_lookup(vm, 205), "instance-0000001c.vcpu0");
	assert_string_equal(pw_vmnames_lookup(vm, 300), "qemu-300.emulator0");
	assert_string_equal(pw_vmnames_lookup(vm, 301), "qemu-300.emulator1");
	assert_string_equal(pw_vmnames_lookup(vm, 302), "qemu-300.vcpu0");
	assert_null(pw_vmnames_lookup(vm, 400));
	assert_null(pw_vmnames_lookup(vm, PW_NONE));
	pw_vmnames_free(vm);
}

static void test_name_from_cmdline(void **state)
{
	struct pw_vmnames *vm;

	/* without cgroups, the -name guest= of the command line names the VM */
	PUTS("100/task/101/cgroup", "0::/\n");
	vm = pw_vmnames_scan(root, NULL);
	assert_non_null(vm);
	assert_string_equal(pw_vmnames_lookup(vm, 101), "instance-0000002b.vcpu0");
	pw_vmnames_free(vm);
	PUTS("100/task/101/cgroup", "3:cpuset:/machine/instance-0000001a.libvirt-qemu/vcpu0\n");
}

static void test_apply_user_wins(void **state)
{
	static const char map[] = "101,,vcpu0,,,5,Firewall\n";
	struct pw_vmnames *vm = pw_vmnames_scan(root, NULL);
	struct pw_namemap *user = pw_namemap_load_mem(map, sizeof(map) - 1, "m.csv", NULL);
	struct pw_row r = { .pid = 101, .task = "CPU 0/KVM", .next_pid = 102,
			    .next_task = "CPU 1/KVM" };

	assert_non_null(vm);
	assert_non_null(user);
	assert_int_equal(pw_vmnames_apply(vm, user, &r), 1);
	assert_string_equal(r.task, "CPU 0/KVM");	/* left to the user map */
	assert_string_equal(r.next_task, "instance-0000001a.vcpu1");
	r.pid = r.next_pid = 999;
	r.task = r.next_task = "x";
	assert_int_equal(pw_vmnames_apply(vm, NULL, &r), 0);
	assert_int_equal(pw_vmnames_apply(NULL, NULL, &r), 0);
	pw_namemap_free(user);
	pw_vmnames_free(vm);
}

static void test_scan_bad_root(void **state)
{
	int err = 0;

	pw_log_set(NULL);
	assert_null(pw_vmnames_scan("/nonexistent/proc", &err));
	assert_int_equal(err, PW_EIO);
}

static void test_schedstats(void **state)
{
	struct pw_schedstats s;

	assert_int_equal(pw_schedstats_enable(&s, root), 0);
	assert_true(s.changed);
	assert_string_equal(slurp("sys/kernel/sched_schedstats"), "1\n");
	assert_int_equal(pw_schedstats_restore(&s), 0);
	assert_string_equal(slurp("sys/kernel/sched_schedstats"), "0\n");
	assert_int_equal(pw_schedstats_restore(&s), 0);	/* once only */
	pw_schedstats_release(&s);

	/* already on: left alone */
	PUTS("sys/kernel/sched_schedstats", "1\n");
	assert_int_equal(pw_schedstats_enable(&s, root), 0);
	assert_false(s.changed);
	assert_int_equal(pw_schedstats_restore(&s), 0);
	assert_string_equal(slurp("sys/kernel/sched_schedstats"), "1\n");
	pw_schedstats_release(&s);
	PUTS("sys/kernel/sched_schedstats", "0\n");

	/* a kernel without schedstats: nothing to do, not an error */
	assert_int_equal(pw_schedstats_enable(&s, "/nonexistent"), 0);
	assert_null(s.path);
	assert_int_equal(pw_schedstats_restore(&s), 0);
	pw_schedstats_release(&s);
}

static void test_probe(void **state)
{
	bool present[PW_CAPTURE_NR_EVENTS];
	char dir[512];

	snprintf(dir, sizeof(dir), "%s/tracing", root);
	assert_int_equal(pw_capture_probe(dir, present), 2);
	assert_true(present[0]);
	assert_string_equal(pw_capture_event(0)->name, "sched_switch");
	assert_false(present[1]);
	assert_true(present[6]);
	assert_string_equal(pw_capture_event(6)->name, "kvm_exit");
	assert_null(pw_capture_event(PW_CAPTURE_NR_EVENTS));
	assert_null(pw_capture_event(-1));
}

static void test_perf_start_missing(void **state)
{
	const char *ev[] = { "sched:sched_switch" };
	struct pw_perf_opts o = { .perf = "/nonexistent/perf", .events = ev, .nr_events = 1,
				  .seconds = "1" };
	int err = 0;

	pw_log_set(NULL);
	assert_null(pw_perf_start(&o, &err));
	assert_int_equal(err, -2 /* -ENOENT */);
	o.nr_events = 0;
	assert_null(pw_perf_start(&o, &err));
	assert_int_equal(err, PW_EINVAL);
}

static void test_perf_start_argv(void **state)
{
	/* /bin/echo stands in for perf: its output shows the argument vector */
	const char *ev[] = { "sched:sched_switch", "kvm:kvm_exit; rm -rf /" };
	struct pw_perf_opts o = { .perf = "/bin/echo", .events = ev, .nr_events = 2,
				  .seconds = "0.5" };
	struct pw_perf *p = pw_perf_start(&o, NULL);
	char buf[256];
	ssize_t n, got = 0;
	int status = -1;

	assert_non_null(p);
	assert_string_equal(pw_perf_command(p), "/bin/echo record -a -e sched:sched_switch -e "
			    "kvm:kvm_exit; rm -rf / -o - -- sleep 0.5");
	while ((n = read(pw_perf_fd(p), buf + got, sizeof(buf) - 1 - (size_t)got)) > 0)
		got += n;
	buf[got] = 0;
	assert_string_equal(buf, "record -a -e sched:sched_switch -e kvm:kvm_exit; rm -rf / -o - "
			    "-- sleep 0.5\n");
	assert_int_equal(pw_perf_wait(p, &status), 0);
	assert_int_equal(status, 0);
	assert_int_equal(pw_perf_wait(NULL, NULL), 0);
}

static void test_access(void **state)
{
	/* root may always; the tests run as any user, so only root is exact */
	if (geteuid() == 0)
		assert_int_equal(pw_capture_check_access(root), 0);
	else
		assert_int_equal(pw_capture_check_access(root), -1 /* -EPERM */);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_cgroup),
		cmocka_unit_test(test_scan),
		cmocka_unit_test(test_name_from_cmdline),
		cmocka_unit_test(test_apply_user_wins),
		cmocka_unit_test(test_scan_bad_root),
		cmocka_unit_test(test_schedstats),
		cmocka_unit_test(test_probe),
		cmocka_unit_test(test_perf_start_missing),
		cmocka_unit_test(test_perf_start_argv),
		cmocka_unit_test(test_access),
	};

	pw_log_set(NULL);
	return cmocka_run_group_tests(tests, setup, teardown);
}
