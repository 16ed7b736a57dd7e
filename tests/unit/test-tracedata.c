// SPDX-License-Identifier: MIT
/*
 * test-tracedata.c - tracing data parsing and payload decoding, on tracing
 * data built here from the format files in tests/data/formats.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "pw-log.h"
#include "reader-local.h"
#include "tracedata-decode.h"

struct buf {
	uint8_t *p;
	size_t len;
};

static void put(struct buf *b, const void *d, size_t n)
{
	b->p = realloc(b->p, b->len + n);
	assert_non_null(b->p);
	memcpy(b->p + b->len, d, n);
	b->len += n;
}

static void put32(struct buf *b, uint32_t v)
{
	put(b, &v, 4);
}

static void put64(struct buf *b, uint64_t v)
{
	put(b, &v, 8);
}

static char *slurp(const char *name, size_t *n)
{
	const char *top = getenv("PW_TOP");
	char path[4096];
	FILE *f;
	char *d;
	long sz;

	snprintf(path, sizeof(path), "%s/tests/data/formats/%s", top ? top : ".", name);
	f = fopen(path, "rb");
	if (!f)
		fail_msg("cannot open %s (run from the repository or set PW_TOP)", path);
	fseek(f, 0, SEEK_END);
	sz = ftell(f);
	fseek(f, 0, SEEK_SET);
	d = malloc((size_t)sz);
	assert_int_equal(fread(d, 1, (size_t)sz, f), (size_t)sz);
	fclose(f);
	*n = (size_t)sz;
	return d;
}

static void put_format(struct buf *b, const char *file, const char *edit_from,
		       const char *edit_to)
{
	size_t n;
	char *text = slurp(file, &n);

	if (edit_from) {
		char *at = strstr(text, edit_from);

		assert_non_null(at);
		assert_int_equal(strlen(edit_from), strlen(edit_to));
		memcpy(at, edit_to, strlen(edit_to));
	}
	put64(b, n);
	put(b, text, n);
	free(text);
}

/* Tracing data as perf writes it, with the sched and kvm formats. */
static struct buf tracing_data(const char *kvm_exit_file, const char *switch_from,
			       const char *switch_to)
{
	static const uint8_t magic[] = { 23, 8, 68, 't', 'r', 'a', 'c', 'i', 'n', 'g' };
	struct buf b = { 0 };
	const char *sched[] = { "sched_switch.format", "sched_wakeup.format",
				"sched_wakeup_new.format", "sched_migrate_task.format",
				"sched_stat_sleep.format", "sched_stat_iowait.format",
				"sched_waking.format" };

	put(&b, magic, sizeof(magic));
	put(&b, "0.6", 4);
	put(&b, "\0\10", 2);		/* little-endian, long size 8 */
	put32(&b, 4096);
	put(&b, "header_page", 12);
	put64(&b, 0);
	put(&b, "header_event", 13);
	put64(&b, 0);
	put32(&b, 0);			/* ftrace formats */
	put32(&b, 2);			/* systems */
	put(&b, "sched", 6);
	put32(&b, 7);
	for (int i = 0; i < 7; i++)
		put_format(&b, sched[i], i == 0 ? switch_from : NULL, i == 0 ? switch_to : NULL);
	put(&b, "kvm", 4);
	put32(&b, 2);
	put_format(&b, kvm_exit_file, NULL, NULL);
	put_format(&b, "kvm_entry.format", NULL, NULL);
	put32(&b, 0);			/* kallsyms */
	put32(&b, 0);			/* printk formats */
	put64(&b, 0);			/* saved cmdlines */
	return b;
}

static char last_msg[1024];

PW_LOG_FN static void capture(enum pw_log_level level, const char *fmt, va_list ap)
{
	if (level <= PW_LOG_WARN)
		vsnprintf(last_msg, sizeof(last_msg), fmt, ap);
}

struct env {
	struct pw_tracedata td;
	struct pw_intern *strs;
	struct pw_tp tp;
};

static void setup_env(struct env *e, const char *kvm_exit_file)
{
	struct buf b = tracing_data(kvm_exit_file, NULL, NULL);

	memset(e, 0, sizeof(*e));
	assert_int_equal(pw_tracedata_parse(&e->td, b.p, b.len, "test", 0), 0);
	free(b.p);
	e->strs = pw_intern_new();
	assert_non_null(e->strs);
}

static void teardown_env(struct env *e)
{
	pw_tp_release(&e->tp);
	pw_tracedata_release(&e->td);
	pw_intern_free(e->strs);
}

static const char *str(struct env *e, uint32_t id)
{
	return pw_str(e->strs, id);
}

/* The environment, with sched_switch (id 372) resolved: the usual layout. */
static void setup_switch(struct env *e)
{
	setup_env(e, "kvm_exit.format");
	assert_int_equal(pw_tp_resolve(&e->td, 372, NULL, &e->tp, "test"), 0);
	assert_int_equal(e->tp.kind, PW_EV_SCHED_SWITCH);
	assert_true(e->tp.usual);
}

/* sched_switch payload per sched_switch.format (offsets are in that file). */
static void switch_payload(uint8_t *raw, const char *prev, int prev_pid, int64_t state,
			   const char *next, int next_pid)
{
	uint16_t type = 372;

	memset(raw, 0, 64);
	memcpy(raw, &type, 2);
	memcpy(raw + 8, prev, strnlen(prev, 16));
	memcpy(raw + 24, &prev_pid, 4);
	memcpy(raw + 32, &state, 8);
	memcpy(raw + 40, next, strnlen(next, 16));
	memcpy(raw + 56, &next_pid, 4);
}

static void test_switch_states(void **state)
{
	static const struct { int64_t v; const char *s; } cases[] = {
		{ 0, "R" }, { 1, "S" }, { 2, "D" }, { 0x80, "I" }, { 0x100, "R+" },
		{ 0x101, "S+" }, { 3, "S|D" },
		/* past the small values' table (PW_TP_SMALL): looked up by map */
		{ 0x901, "S+" }, { 0x10080, "I" },
	};
	struct env e;
	uint8_t raw[64];
	struct pw_qev q;

	(void)state;
	setup_switch(&e);
	assert_string_equal(e.tp.name, "sched:sched_switch");
	/* the usual layout: next_pid, at 56, ends the fields read */
	assert_int_equal(e.tp.need, 60);
	/* each state twice: found by perf's format, then remembered; the
	 * third time by the checked decoding, not the usual layout's */
	for (int pass = 0; pass < 3; pass++) {
		e.tp.usual = pass < 2;
		for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
			memset(&q, 0, sizeof(q));
			switch_payload(raw, "a-full-16-chars!", 1234 + (int)i, cases[i].v, "next",
				       -5 - (int)i);
			assert_int_equal(pw_tp_decode(&e.td, &e.tp, raw, 64, e.strs, &q), 0);
			assert_int_equal(q.kind, PW_EV_SCHED_SWITCH);
			assert_int_equal(q.a_pid, 1234 + (int)i);
			assert_int_equal(q.b_pid, -5 - (int)i);
			assert_int_equal(q.val, cases[i].v);
			assert_string_equal(str(&e, q.a_comm), "a-full-16-chars!");
			assert_string_equal(str(&e, q.b_comm), "next");
			assert_string_equal(str(&e, q.str), cases[i].s);
		}
	}
	/* a payload too short for next_pid: the checked decoding */
	e.tp.usual = true;
	assert_int_equal(pw_tp_decode(&e.td, &e.tp, raw, 59, e.strs, &q), PW_EFORMAT);
	assert_int_equal(pw_tp_decode(&e.td, &e.tp, raw, 60, e.strs, &q), 0);
	teardown_env(&e);

	/* an unsigned prev_pid is not the usual layout: decoded with checks */
	{
		struct buf b = tracing_data("kvm_exit.format", "prev_pid;\toffset:24;\tsize:4;\tsigned:1;",
					    "prev_pid;\toffset:24;\tsize:4;\tsigned:0;");

		memset(&e, 0, sizeof(e));
		assert_int_equal(pw_tracedata_parse(&e.td, b.p, b.len, "test", 0), 0);
		free(b.p);
		e.strs = pw_intern_new();
		assert_int_equal(pw_tp_resolve(&e.td, 372, NULL, &e.tp, "test"), 0);
		assert_false(e.tp.usual);
		switch_payload(raw, "u", -2, 1, "v", 7);
		assert_int_equal(pw_tp_decode(&e.td, &e.tp, raw, 64, e.strs, &q), 0);
		assert_int_equal(q.a_pid, -2);	/* 0xfffffffe, kept as 32 bits */
		assert_int_equal(q.b_pid, 7);
		assert_string_equal(str(&e, q.str), "S");
		assert_int_equal(pw_tp_decode(&e.td, &e.tp, raw, 59, e.strs, &q), PW_EFORMAT);
		teardown_env(&e);
	}
}

/* @raw decoded as of the usual layout (inline in pw_tp_decode()) into @a
 * and with checks into @b: equal. */
static void decode_both(struct env *e, const uint8_t *raw, uint32_t size, struct pw_qev *a)
{
	struct pw_qev b;

	memset(a, 0xa5, sizeof(*a));
	memset(&b, 0xa5, sizeof(b));
	e->tp.usual = true;
	assert_int_equal(pw_tp_decode(&e->td, &e->tp, raw, size, e->strs, a), 0);
	e->tp.usual = false;
	assert_int_equal(pw_tp_decode(&e->td, &e->tp, raw, size, e->strs, &b), 0);
	e->tp.usual = true;
	assert_memory_equal(a, &b, sizeof(b));
}

/* The usual layout's decoding and the checked one agree on every field. */
static void test_usual_layout(void **state)
{
	struct env e;
	uint8_t raw[64];
	struct pw_qev a;

	(void)state;
	setup_switch(&e);
	for (int i = 0; i < 64; i++) {
		int pid = i & 1 ? -i * 7919 : i * 104729, npid = i * 31 - 1000;

		switch_payload(raw, i & 2 ? "short" : "sixteen-chars-!!", pid, (int64_t)i * 3,
			       i & 4 ? "" : "n", npid);
		/* the state found, then remembered */
		decode_both(&e, raw, 64, &a);
		decode_both(&e, raw, 64, &a);
		assert_int_equal(a.a_pid, pid);
		assert_int_equal(a.b_pid, npid);
		assert_int_equal(a.val, i * 3);
	}
	pw_tp_release(&e.tp);

	/* sched_wakeup: a signed target_cpu of 4 bytes, at 32 */
	assert_int_equal(pw_tp_resolve(&e.td, 374, NULL, &e.tp, "test"), 0);
	assert_true(e.tp.usual);
	assert_int_equal(e.tp.need, 36);
	for (int cpu = -2; cpu < 3; cpu++) {
		uint16_t type = 374;
		int pid = 4242 * cpu;

		memset(raw, 0, sizeof(raw));
		memcpy(raw, &type, 2);
		memcpy(raw + 8, "w", 1);
		memcpy(raw + 24, &pid, 4);
		memcpy(raw + 32, &cpu, 4);
		decode_both(&e, raw, 36, &a);
		assert_int_equal(a.kind, PW_EV_SCHED_WAKEUP);
		assert_int_equal(a.a_pid, pid);
		assert_int_equal(a.val, cpu);
		assert_string_equal(str(&e, a.a_comm), "w");
	}
	teardown_env(&e);
}

static uint32_t kvm_reason(struct env *e, const char *layout_id_file, uint32_t reason,
			   uint32_t isa)
{
	uint8_t raw[80] = { 0 };
	uint16_t type = (uint16_t)e->tp.id;
	struct pw_qev q = { 0 };

	(void)layout_id_file;
	memcpy(raw, &type, 2);
	memcpy(raw + 8, &reason, 4);
	memcpy(raw + 24, &isa, 4);
	assert_int_equal(pw_tp_decode(&e->td, &e->tp, raw, sizeof(raw), e->strs, &q), 0);
	assert_int_equal(q.kind, PW_EV_KVM_EXIT);
	return q.str;
}

static void test_kvm_exit_layouts(void **state)
{
	struct env e;

	(void)state;
	/* the 6.x layout (ID 103) */
	setup_env(&e, "kvm_exit.format");
	assert_int_equal(pw_tp_resolve(&e.td, 103, NULL, &e.tp, "test"), 0);
	assert_string_equal(str(&e, kvm_reason(&e, NULL, 48, 1)), "EPT_VIOLATION");
	assert_string_equal(str(&e, kvm_reason(&e, NULL, 30, 1)), "IO_INSTRUCTION");
	assert_string_equal(str(&e, kvm_reason(&e, NULL, 0x400, 2)), "npf");
	assert_string_equal(str(&e, kvm_reason(&e, NULL, 0x7b, 2)), "io");
	assert_string_equal(str(&e, kvm_reason(&e, NULL, 0x80000021, 1)),
			    "INVALID_STATE FAILED_VMENTRY");
	/* the same value names differently by isa: the cache keys on both */
	assert_string_equal(str(&e, kvm_reason(&e, NULL, 0x60, 2)), "interrupt");
	assert_string_equal(str(&e, kvm_reason(&e, NULL, 0x60, 1)), "0x60");
	teardown_env(&e);

	/* the 4.x layout (ID 1154): no vcpu_id, a shorter print format */
	setup_env(&e, "kvm_exit-linux4.format");
	assert_int_equal(pw_tp_resolve(&e.td, 1154, NULL, &e.tp, "test"), 0);
	assert_string_equal(str(&e, kvm_reason(&e, NULL, 48, 1)), "EPT_VIOLATION");
	assert_string_equal(str(&e, kvm_reason(&e, NULL, 0x400, 2)), "npf");
	assert_string_equal(str(&e, kvm_reason(&e, NULL, 12, 1)), "HLT");
	teardown_env(&e);
}

static void test_stat_and_wakeup(void **state)
{
	struct env e;
	uint8_t raw[40] = { 0 };
	uint16_t type = 379;
	int pid = 77;
	uint64_t delay = 123456789;
	struct pw_qev q = { 0 };

	(void)state;
	setup_env(&e, "kvm_exit.format");
	assert_int_equal(pw_tp_resolve(&e.td, 379, NULL, &e.tp, "test"), 0);
	assert_int_equal(e.tp.kind, PW_EV_SCHED_STAT_IOWAIT);
	memcpy(raw, &type, 2);
	strcpy((char *)raw + 8, "dd");
	memcpy(raw + 24, &pid, 4);
	memcpy(raw + 32, &delay, 8);
	assert_int_equal(pw_tp_decode(&e.td, &e.tp, raw, 40, e.strs, &q), 0);
	assert_int_equal(q.a_pid, 77);
	assert_int_equal(q.val, 123456789);
	assert_string_equal(str(&e, q.a_comm), "dd");
	pw_tp_release(&e.tp);

	/* sched_migrate_task: comm is a __data_loc string */
	assert_int_equal(pw_tp_resolve(&e.td, 371, NULL, &e.tp, "test"), 0);
	{
		uint8_t m[40] = { 0 };
		uint16_t t = 371;
		uint32_t loc = (6u << 16) | 28;	/* len 6 at offset 28 */
		int mpid = 9, dest = 3;

		memcpy(m, &t, 2);
		memcpy(m + 8, &loc, 4);
		memcpy(m + 12, &mpid, 4);
		memcpy(m + 24, &dest, 4);
		memcpy(m + 28, "kswap", 6);
		memset(&q, 0, sizeof(q));
		assert_int_equal(pw_tp_decode(&e.td, &e.tp, m, 34, e.strs, &q), 0);
		assert_string_equal(str(&e, q.a_comm), "kswap");
		assert_int_equal(q.val, 3);
		/* the string pointing outside the record */
		assert_int_equal(pw_tp_decode(&e.td, &e.tp, m, 30, e.strs, &q), PW_EFORMAT);
	}
	teardown_env(&e);
}

static void test_not_kept_and_failed(void **state)
{
	struct pw_tracedata td = { 0 };
	struct buf b = tracing_data("kvm_exit.format", "field:pid_t prev_pid",
					    "field:pid_t prev_p{d");
	struct pw_tp tp;

	(void)state;
	pw_log_set(capture);
	assert_int_equal(pw_tracedata_parse(&td, b.p, b.len, "test", 0), 0);
	/* sched_waking parsed fine but is not kept */
	assert_int_equal(pw_tp_resolve(&td, 375, NULL, &tp, "test"), 0);
	assert_int_equal(tp.kind, -1);
	pw_tp_release(&tp);
	/* sched_switch's format is broken: a clear error naming it */
	last_msg[0] = 0;
	assert_int_equal(pw_tp_resolve(&td, 372, "sched:sched_switch", &tp, "run.data"),
			 PW_EEVENTFMT);
	assert_non_null(strstr(last_msg, "run.data"));
	assert_non_null(strstr(last_msg, "sched:sched_switch"));
	pw_tp_release(&tp);
	pw_tracedata_release(&td);
	free(b.p);
	pw_log_set(NULL);
}

static void test_truncated_tracing_data(void **state)
{
	struct buf b = tracing_data("kvm_exit.format", NULL, NULL);

	(void)state;
	pw_log_set(capture);
	/* every cut of the data fails cleanly (or parses what is complete) */
	for (size_t n = 0; n < b.len; n += 61) {
		struct pw_tracedata td = { 0 };
		int err = pw_tracedata_parse(&td, b.p, n, "cut", 1000);

		assert_int_equal(err, PW_EFORMAT);
		assert_non_null(strstr(last_msg, "cut: offset "));
		pw_tracedata_release(&td);
	}
	free(b.p);
	/* an empty block, as a pipe's tracing data record of size 0 gives it */
	{
		struct pw_tracedata td = { 0 };

		assert_int_equal(pw_tracedata_parse(&td, NULL, 0, "empty", 32), PW_EFORMAT);
		assert_non_null(strstr(last_msg, "empty: offset 32: tracing data: bad magic"));
		pw_tracedata_release(&td);
	}
	pw_log_set(NULL);
}

/*
 * A format probe still running at its deadline is stopped, and its formats
 * count as failed, as for a format on which libtraceevent would loop: here
 * each probe child sleeps 3 s first, and the deadline is 100 ms.
 */
static void test_probe_deadline(void **state)
{
	struct buf b = tracing_data("kvm_exit.format", NULL, NULL);
	struct pw_tracedata td = { 0 };
	struct pw_tp tp;

	(void)state;
	pw_log_set(capture);
	pw_tracedata_probe_limits(100, 3000);
	assert_int_equal(pw_tracedata_parse(&td, b.p, b.len, "test", 0), 0);
	last_msg[0] = 0;
	assert_int_equal(pw_tp_resolve(&td, 372, "sched:sched_switch", &tp, "run.data"),
			 PW_EEVENTFMT);
	assert_non_null(strstr(last_msg, "sched:sched_switch"));
	pw_tp_release(&tp);
	pw_tracedata_release(&td);

	/* the default limits: the same data is fine */
	pw_tracedata_probe_limits(5000, 0);
	memset(&td, 0, sizeof(td));
	assert_int_equal(pw_tracedata_parse(&td, b.p, b.len, "test", 0), 0);
	assert_int_equal(pw_tp_resolve(&td, 372, "sched:sched_switch", &tp, "run.data"), 0);
	assert_int_equal(tp.kind, PW_EV_SCHED_SWITCH);
	pw_tp_release(&tp);
	pw_tracedata_release(&td);
	free(b.p);
	pw_log_set(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_switch_states),
		cmocka_unit_test(test_usual_layout),
		cmocka_unit_test(test_kvm_exit_layouts),
		cmocka_unit_test(test_stat_and_wakeup),
		cmocka_unit_test(test_not_kept_and_failed),
		cmocka_unit_test(test_truncated_tracing_data),
		cmocka_unit_test(test_probe_deadline),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
