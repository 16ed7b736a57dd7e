// SPDX-License-Identifier: MIT
/*
 * test-stats.c - scheduler and KVM statistics from hand-made rows: run
 * times, runs, preemptions, migrations, delays with the time of the
 * maximum, per-reason handling times overall and per vcpu thread (perf kvm
 * stat's rule that a thread counts from its first entry), the relative
 * standard deviation of the mean, the printed text and the atomic file.
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

#include "pw-log.h"
#include "pw-stats.h"

static struct pw_row row(uint64_t t, int ev)
{
	struct pw_row r = {
		.time_ns = t, .cpu = 0, .event = ev, .pid = PW_NONE, .tgid = PW_NONE,
		.duration_ns = PW_NONE, .next_pid = PW_NONE, .next_wait_ns = PW_NONE,
		.target_cpu = PW_NONE,
	};
	return r;
}

static void sw(struct pw_stats *st, uint64_t t, int64_t prev, const char *pname, int64_t run,
	       const char *state, int64_t next, const char *nname, int64_t wait)
{
	struct pw_row r = row(t, PW_EV_SCHED_SWITCH);

	r.pid = prev;
	r.task = pname;
	r.duration_ns = run;
	r.prev_state = state;
	r.next_pid = next;
	r.next_task = nname;
	r.next_wait_ns = wait;
	assert_int_equal(pw_stats_add(st, &r), 0);
}

static void kvm(struct pw_stats *st, uint64_t t, int64_t pid, const char *reason, int64_t dur)
{
	struct pw_row r = row(t, reason ? PW_EV_KVM_EXIT : PW_EV_KVM_ENTRY);

	r.pid = pid;
	r.task = pid == 10 ? "CPU 0/KVM" : "CPU 1/KVM";
	r.exit_reason = reason;
	r.duration_ns = dur;
	assert_int_equal(pw_stats_add(st, &r), 0);
}

static void test_sched(void **state)
{
	struct pw_stats *st = pw_stats_new();
	const struct pw_stats_task *t, *a;
	struct pw_row m = row(50, PW_EV_SCHED_MIGRATE_TASK);
	size_t n;

	assert_non_null(st);
	/* a: running at the start (run unknown), preempted, back after 300 ns */
	sw(st, 1000, 1, "a", PW_NONE, "R", 2, "b", PW_NONE);
	sw(st, 1500, 2, "b", 500, "S", 1, "a", 300);
	sw(st, 4000, 1, "a-renamed", 2500, "R+", 2, "b", 1200);
	sw(st, 4100, 2, "b", 100, "D", 1, "a-renamed", 100);
	m.pid = 2;
	m.task = "b";
	assert_int_equal(pw_stats_add(st, &m), 0);
	assert_int_equal(pw_stats_add(st, &m), 0);

	t = pw_stats_tasks(st, &n);
	assert_int_equal(n, 2);
	assert_int_equal(t[0].pid, 1);	/* longest run time first */
	assert_string_equal(t[0].name, "a-renamed");
	assert_int_equal(t[0].run_ns, 2500);
	assert_int_equal(t[0].runs, 2);
	assert_int_equal(t[0].switch_ins, 2);
	assert_int_equal(t[0].preempted, 2);
	assert_int_equal(t[0].migrations, 0);
	assert_int_equal(t[0].delay_n, 2);
	assert_int_equal(t[0].delay_total_ns, 400);
	assert_int_equal(t[0].delay_max_ns, 300);
	assert_int_equal(t[0].delay_max_time_ns, 1500);

	assert_int_equal(t[1].pid, 2);
	assert_int_equal(t[1].run_ns, 600);
	assert_int_equal(t[1].runs, 2);
	assert_int_equal(t[1].preempted, 0);
	assert_int_equal(t[1].migrations, 2);
	assert_int_equal(t[1].delay_n, 1);
	assert_int_equal(t[1].delay_max_ns, 1200);
	assert_int_equal(t[1].delay_max_time_ns, 4000);

	/* a switch-out whose switch-in was not seen (events missing): from the
	 * previous switch on that CPU, as perf sched timehist counts it */
	sw(st, 5000, 3, "c", PW_NONE, "S", 1, "a-renamed", PW_NONE);
	assert_int_equal(pw_stats_task_find(st, 3)->run_ns, 900);
	assert_int_equal(pw_stats_task_find(st, 3)->runs, 1);
	a = pw_stats_task_find(st, 1);
	assert_non_null(a);
	assert_int_equal(a->run_ns, 2500);
	assert_null(pw_stats_task_find(st, 99));
	assert_null(pw_stats_exits(st, PW_NONE, &n));
	assert_int_equal(n, 0);
	pw_stats_free(st);
}

static void test_kvm(void **state)
{
	struct pw_stats *st = pw_stats_new();
	const struct pw_stats_exit *e;
	const int64_t *v;
	size_t n;

	/* thread 10: its first exit precedes any entry: not counted (perf kvm stat) */
	kvm(st, 100, 10, "HLT", 50);
	kvm(st, 200, 10, NULL, 100);
	kvm(st, 300, 10, "IO", 100);
	kvm(st, 310, 10, NULL, 1000);
	kvm(st, 400, 10, "IO", 100);
	kvm(st, 430, 10, NULL, 3000);
	kvm(st, 500, 10, "EPT", 100);
	kvm(st, 501, 10, NULL, 500);
	/* thread 11: an entry without a known duration counts nothing */
	kvm(st, 600, 11, NULL, PW_NONE);
	kvm(st, 700, 11, "IO", 10);
	kvm(st, 702, 11, NULL, 2000);
	kvm(st, 800, 11, "EPT", 10);
	kvm(st, 900, 11, NULL, PW_NONE);

	e = pw_stats_exits(st, PW_NONE, &n);
	assert_int_equal(n, 2);
	assert_string_equal(e[0].reason, "IO");
	assert_int_equal(e[0].samples, 3);
	assert_int_equal(e[0].total_ns, 6000);
	assert_int_equal(e[0].min_ns, 1000);
	assert_int_equal(e[0].max_ns, 3000);
	assert_true(e[0].mean_ns == 2000.0);
	/* stddev 1000, of the mean 1000/sqrt(3), relative to 2000: 28.87% */
	assert_true(pw_stats_rel_stddev(&e[0]) > 28.86 && pw_stats_rel_stddev(&e[0]) < 28.88);
	assert_string_equal(e[1].reason, "EPT");
	assert_int_equal(e[1].samples, 1);
	assert_true(pw_stats_rel_stddev(&e[1]) == 0.0);

	v = pw_stats_vcpus(st, &n);
	assert_int_equal(n, 2);
	assert_int_equal(v[0], 10);
	assert_int_equal(v[1], 11);
	e = pw_stats_exits(st, 11, &n);
	assert_int_equal(n, 1);
	assert_string_equal(e[0].reason, "IO");
	assert_int_equal(e[0].total_ns, 2000);
	e = pw_stats_exits(st, 10, &n);
	assert_int_equal(n, 2);
	assert_int_equal(e[0].samples, 2);
	assert_int_equal(e[0].total_ns, 4000);
	assert_null(pw_stats_exits(st, 12, &n));
	/* KVM rows make no scheduler tasks */
	assert_null(pw_stats_tasks(st, &n));
	pw_stats_free(st);
}

static void test_print_and_write(void **state)
{
	struct pw_stats *st = pw_stats_new();
	char *buf = NULL, dir[] = "/tmp/pw-stats-XXXXXX", path[64];
	size_t len = 0;
	struct stat sb;
	FILE *f;

	sw(st, 1000, 7, "CPU 0/KVM", 1234567, "R", 8, "b", 5000);
	kvm(st, 1, 10, NULL, 1);
	kvm(st, 2, 10, "IO", 1);
	kvm(st, 3, 10, NULL, 1500);
	f = open_memstream(&buf, &len);
	assert_int_equal(pw_stats_print(st, NULL, "x.cdict", f), 0);
	fclose(f);
	assert_non_null(strstr(buf, "perfwhiz statistics of x.cdict\n"));
	/* run time in ms.us, truncated as perf sched timehist prints it */
	assert_non_null(strstr(buf, "         7 CPU 0/KVM                            1.234      -        1 "));
	assert_non_null(strstr(buf, "                    IO         1   100.00%   100.00%"
				    "       1.50us       1.50us       1.50us ( +-   0.00% )"));
	assert_non_null(strstr(buf, "vcpu thread 10 (CPU 0/KVM)"));

	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/run.stats", dir);
	assert_int_equal(pw_stats_write(st, NULL, "x.cdict", path), 0);
	assert_int_equal(stat(path, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0644);
	assert_int_equal((size_t)sb.st_size, len);
	unlink(path);
	rmdir(dir);
	free(buf);
	pw_stats_free(st);
	pw_stats_free(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sched),
		cmocka_unit_test(test_kvm),
		cmocka_unit_test(test_print_and_write),
	};

	pw_log_set(NULL);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
