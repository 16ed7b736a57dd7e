// SPDX-License-Identifier: MIT
/*
 * test-legacy.c - reading the original perfwhiz cdict (zlib + msgpack).
 *
 * The sample (tests/data/legacy/sample.cdict, a copy of
 * ../shared/data/legacy-sample.cdict) is checked three ways: exact values
 * of some rows and column sums, taken from an independent decoding (a
 * throw-away Python msgpack decoder over zlib.decompress() of the file);
 * invariants over every row; and, when perf and the capture it was made
 * from are available, every row against `perf script` on that capture,
 * replaying the original tool's rules (first switch per CPU not stored,
 * times relative to the first stored one, a tid keeps the first name seen).
 * Synthetic files built here with msgpack-c and zlib cover the other
 * events, kvm_exit reason naming and every kind of bad input.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>
#include <msgpack.h>
#include <zlib.h>

#include "pw-legacy.h"
#include "pw-log.h"
#include "pw-meta.h"
#include "pw-row.h"

#include "test-log.h"

/* ---- helpers ------------------------------------------------------------ */

static int setup(void **state)
{
	pw_log_set(capture);
	log_reset();
	return 0;
}

static char *top_path(const char *rel)
{
	const char *top = getenv("PW_TOP");
	char *p;

	assert_true(asprintf(&p, "%s/%s", top && *top ? top : ".", rel) > 0);
	return p;
}

static unsigned char *slurp(const char *path, size_t *n)
{
	FILE *f = fopen(path, "rb");
	unsigned char *buf;
	long len;

	if (!f)
		fail_msg("cannot open %s: %s (run from the repository or set PW_TOP)", path,
			 strerror(errno));
	assert_int_equal(fseek(f, 0, SEEK_END), 0);
	len = ftell(f);
	rewind(f);
	buf = malloc((size_t)len + 1);
	assert_non_null(buf);
	assert_int_equal(fread(buf, 1, (size_t)len, f), (size_t)len);
	fclose(f);
	*n = (size_t)len;
	return buf;
}

/* Rows kept by the collecting callback (strings copied). */
struct got_row {
	struct pw_row r;
	char task[128], next_task[128], reason[128];
};

struct got {
	struct got_row *rows;
	size_t n, cap;
	size_t stop_after;	/* 0: never stop */
};

static void keep(char *dst, const char **src)
{
	if (*src) {
		snprintf(dst, 128, "%s", *src);
		*src = dst;
	}
}

static int collect(const struct pw_row *row, void *ctx)
{
	struct got *g = ctx;
	struct got_row *gr;

	if (g->n == g->cap) {
		g->cap = g->cap ? 2 * g->cap : 1024;
		g->rows = realloc(g->rows, g->cap * sizeof(*g->rows));
		assert_non_null(g->rows);
	}
	gr = &g->rows[g->n++];
	gr->r = *row;
	keep(gr->task, &gr->r.task);
	keep(gr->next_task, &gr->r.next_task);
	keep(gr->reason, &gr->r.exit_reason);
	assert_null(row->prev_state);
	if (g->stop_after && g->n == g->stop_after)
		return PW_ESTOPPED;
	return 0;
}

static void got_free(struct got *g)
{
	free(g->rows);
	memset(g, 0, sizeof(*g));
}

/* ---- building synthetic original-format files --------------------------- */

/*
 * A column: its key ("b:NAME" packs the key as bin, "i:N" as an integer) and
 * its values, '|'-separated tokens: n (nil), t (true), i:N, u:N, f:X (float64),
 * g:X (float32), s:TEXT (str), b:TEXT (bin), A (a nested array), M (a nested
 * map), x:HEX (raw bytes).
 */
struct colspec {
	const char *key;
	const char *vals;
};

static void pack_token(msgpack_packer *pk, msgpack_sbuffer *sb, const char *t, size_t len)
{
	char *s = strndup(t, len);

	assert_non_null(s);
	if (!strcmp(s, "n")) {
		msgpack_pack_nil(pk);
	} else if (!strcmp(s, "t")) {
		msgpack_pack_true(pk);
	} else if (!strcmp(s, "A")) {
		msgpack_pack_array(pk, 1);
		msgpack_pack_nil(pk);
	} else if (!strcmp(s, "M")) {
		msgpack_pack_map(pk, 0);
	} else if (!strncmp(s, "i:", 2)) {
		msgpack_pack_int64(pk, strtoll(s + 2, NULL, 0));
	} else if (!strncmp(s, "u:", 2)) {
		msgpack_pack_uint64(pk, strtoull(s + 2, NULL, 0));
	} else if (!strncmp(s, "f:", 2)) {
		msgpack_pack_double(pk, strtod(s + 2, NULL));
	} else if (!strncmp(s, "g:", 2)) {
		msgpack_pack_float(pk, strtof(s + 2, NULL));
	} else if (!strncmp(s, "s:", 2)) {
		msgpack_pack_str_with_body(pk, s + 2, len - 2);
	} else if (!strncmp(s, "b:", 2)) {
		msgpack_pack_bin_with_body(pk, s + 2, len - 2);
	} else if (!strncmp(s, "x:", 2)) {
		for (const char *h = s + 2; h[0] && h[1]; h += 2) {
			char byte[3] = { h[0], h[1], 0 };
			char c = (char)strtoul(byte, NULL, 16);

			msgpack_sbuffer_write(sb, &c, 1);
		}
	} else {
		fail_msg("bad token '%s'", s);
	}
	free(s);
}

static size_t ntokens(const char *vals)
{
	size_t n = *vals ? 1 : 0;

	for (; *vals; vals++)
		n += *vals == '|';
	return n;
}

/* The raw msgpack of a map of the given columns. */
static void build_raw(const struct colspec *cols, size_t ncols, msgpack_sbuffer *sb)
{
	msgpack_packer pk;

	msgpack_sbuffer_init(sb);
	msgpack_packer_init(&pk, sb, msgpack_sbuffer_write);
	msgpack_pack_map(&pk, ncols);
	for (size_t c = 0; c < ncols; c++) {
		const char *v = cols[c].vals;

		if (cols[c].key[0] && cols[c].key[1] == ':')
			pack_token(&pk, sb, cols[c].key, strlen(cols[c].key));
		else
			msgpack_pack_str_with_body(&pk, cols[c].key, strlen(cols[c].key));
		if (!strcmp(v, "SCALAR")) {
			msgpack_pack_int64(&pk, 1);
			continue;
		}
		msgpack_pack_array(&pk, ntokens(v));
		while (*v) {
			const char *bar = strchr(v, '|');
			size_t len = bar ? (size_t)(bar - v) : strlen(v);

			pack_token(&pk, sb, v, len);
			v += len + (bar ? 1 : 0);
		}
	}
}

static unsigned char *zip(const void *raw, size_t n, size_t *zn)
{
	uLongf len = compressBound(n);
	unsigned char *z = malloc(len);

	assert_non_null(z);
	assert_int_equal(compress2(z, &len, raw, n, 9), Z_OK);
	*zn = len;
	return z;
}

static unsigned char *build(const struct colspec *cols, size_t ncols, size_t *zn)
{
	msgpack_sbuffer sb;
	unsigned char *z;

	build_raw(cols, ncols, &sb);
	z = zip(sb.data, sb.size, zn);
	msgpack_sbuffer_destroy(&sb);
	return z;
}

/* One valid row, as the original tool wrote it. */
static const struct colspec one_row[8] = {
	{ "event", "s:sched__sched_switch" },
	{ "cpu", "i:1" },
	{ "usecs", "i:0" },
	{ "pid", "i:100" },
	{ "task_name", "s:qemu" },
	{ "duration", "i:5" },
	{ "next_pid", "i:200" },
	{ "next_comm", "s:CPU 0/KVM" },
};

/* Convert @cols; returns the error code, rows in @g, messages in logbuf. */
static int run(const struct colspec *cols, size_t ncols, const struct pw_legacy_opts *opts,
	       struct got *g, struct pw_meta *meta)
{
	size_t zn;
	unsigned char *z = build(cols, ncols, &zn);
	int ret;

	log_reset();
	ret = pw_legacy_read_mem(z, zn, "synth.cdict", opts, collect, g, meta);
	free(z);
	return ret;
}

/* @cols must be rejected with @code and @msg in the log, delivering no row. */
static void assert_bad(const struct colspec *cols, size_t ncols, int code, const char *msg)
{
	struct got g = { 0 };
	struct pw_meta meta;
	int ret = run(cols, ncols, NULL, &g, &meta);

	if (ret != code || !strstr(logbuf, msg) || !strstr(logbuf, "synth.cdict"))
		fail_msg("expected %d and '%s', got %d, log:\n%s", code, msg, ret, logbuf);
	assert_int_equal(g.n, 0);
	assert_null(meta.legacy_note);
	assert_int_equal(meta.stored[PW_EV_SCHED_SWITCH], 0);
	got_free(&g);
}

/* ---- the sample --------------------------------------------------------- */

static void check_sample_rows(const struct got *g, const struct pw_meta *meta)
{
	uint64_t sum_us = 0, sum_pid = 0, sum_next = 0, sum_dur = 0, len_task = 0,
		 len_next = 0, cpu0 = 0, cpu1 = 0;

	assert_int_equal(g->n, 513);
	/*
	 * Exact rows, from the independent decoding: index, cpu, usecs, pid,
	 * task_name, duration (us), next_pid, next_comm.
	 */
	static const struct {
		size_t i;
		int64_t cpu;
		uint64_t us;
		int64_t pid;
		const char *task;
		int64_t dur;
		int64_t next_pid;
		const char *next;
	} want[] = {
		{ 0, 0, 0, 18, "migration/0", 0, 0, "swapper/0" },
		{ 1, 0, 325, 0, "swapper/0", 0, 8277, "perf-exec" },
		{ 2, 0, 4809, 8277, "perf-exec", 24, 15, "rcu_preempt" },
		{ 9, 1, 15003, 41, "kworker/1:1", 0, 0, "swapper/1" },
		{ 100, 1, 85613, 8296, "sched-messaging", 8, 8293, "sched-messaging" },
		{ 256, 1, 120488, 8298, "sched-messaging", 8, 8285, "sched-messaging" },
		{ 512, 0, 252827, 15, "rcu_preempt", 0, 8276, "perf" },
	};

	for (size_t k = 0; k < sizeof(want) / sizeof(want[0]); k++) {
		const struct pw_row *r = &g->rows[want[k].i].r;

		assert_int_equal(r->event, PW_EV_SCHED_SWITCH);
		assert_int_equal(r->cpu, want[k].cpu);
		assert_int_equal(r->time_ns, want[k].us * 1000);
		assert_int_equal(r->pid, want[k].pid);
		assert_string_equal(r->task, want[k].task);
		assert_int_equal(r->duration_ns, want[k].dur * 1000);
		assert_int_equal(r->next_pid, want[k].next_pid);
		assert_string_equal(r->next_task, want[k].next);
	}
	/* Every row: what the old format has, and nothing it does not have. */
	for (size_t i = 0; i < g->n; i++) {
		const struct pw_row *r = &g->rows[i].r;

		assert_int_equal(r->event, PW_EV_SCHED_SWITCH);
		assert_true(r->cpu == 0 || r->cpu == 1);
		assert_int_equal(r->time_ns % 1000, 0);
		if (i)
			assert_true(r->time_ns >= g->rows[i - 1].r.time_ns);
		assert_true(r->pid >= 0 && r->next_pid >= 0);
		assert_true(r->duration_ns >= 0 && r->duration_ns % 1000 == 0);
		assert_non_null(r->task);
		assert_non_null(r->next_task);
		assert_int_equal(r->tgid, PW_NONE);
		assert_null(r->prev_state);
		assert_int_equal(r->next_wait_ns, PW_NONE);
		assert_null(r->exit_reason);
		assert_int_equal(r->target_cpu, PW_NONE);
		if (r->pid == 0)
			assert_true(!strncmp(r->task, "swapper/", 8));
		sum_us += r->time_ns / 1000;
		sum_pid += (uint64_t)r->pid;
		sum_next += (uint64_t)r->next_pid;
		sum_dur += (uint64_t)r->duration_ns / 1000;
		len_task += strlen(r->task);
		len_next += strlen(r->next_task);
		cpu0 += r->cpu == 0;
		cpu1 += r->cpu == 1;
	}
	/* Column sums, from the independent decoding. */
	assert_int_equal(sum_us, 67236115);
	assert_int_equal(sum_pid, 3889244);
	assert_int_equal(sum_next, 3789947);
	assert_int_equal(sum_dur, 7602);
	assert_int_equal(len_task, 7300);
	assert_int_equal(len_next, 7254);
	assert_int_equal(cpu0, 172);
	assert_int_equal(cpu1, 341);

	assert_int_equal(meta->stored[PW_EV_SCHED_SWITCH], 513);
	for (int e = 0; e < PW_EV__MAX; e++)
		if (e != PW_EV_SCHED_SWITCH)
			assert_int_equal(meta->stored[e], 0);
	assert_int_equal(meta->nr_dropped, 0);
	assert_int_equal(meta->first_ns, 0);
	assert_int_equal(meta->last_ns, 252827000);
	assert_false(meta->partial);
	assert_null(meta->hostname);
	assert_int_equal(meta->nr_cpus, PW_NONE);
	assert_non_null(meta->source);
	assert_non_null(strstr(meta->source, "original perfwhiz cdict"));
	assert_non_null(meta->legacy_note);
	assert_non_null(strstr(meta->legacy_note, "original perfwhiz"));
	assert_non_null(strstr(meta->legacy_note, "absolute timestamps"));
	assert_non_null(strstr(meta->legacy_note, "ns = us * 1000"));
	assert_non_null(strstr(meta->legacy_note, "tgid"));
	assert_non_null(strstr(meta->legacy_note, "prev_state"));
	assert_non_null(strstr(meta->legacy_note, "next_wait_ns"));
	assert_non_null(strstr(meta->legacy_note, "capture metadata"));
	/* no kvm_exit rows: nothing said about exit reasons */
	assert_null(strstr(meta->legacy_note, "kvm_exit"));
}

static void test_sample(void **state)
{
	char *path = top_path("tests/data/legacy/sample.cdict");
	struct got g = { 0 };
	struct pw_meta meta;

	assert_int_equal(pw_legacy_read(path, NULL, collect, &g, &meta), 0);
	check_sample_rows(&g, &meta);
	assert_non_null(strstr(meta.source, path));
	assert_int_equal(nerrors + nwarnings, 0);
	pw_meta_release(&meta);
	got_free(&g);

	/* the same bytes from memory */
	{
		size_t n;
		unsigned char *buf = slurp(path, &n);

		assert_int_equal(pw_legacy_read_mem(buf, n, "mem", NULL, collect, &g, &meta), 0);
		check_sample_rows(&g, &meta);
		assert_string_equal(meta.source, "original perfwhiz cdict mem");
		pw_meta_release(&meta);
		got_free(&g);
		free(buf);
	}
	free(path);
}

/* The committed copy is the shared sample. */
static void test_sample_is_shared_copy(void **state)
{
	const char *shared = getenv("PW_SHARED");
	char *a_path = top_path("tests/data/legacy/sample.cdict"), *b_path = NULL;
	unsigned char *a, *b;
	size_t an, bn;

	if (!shared || asprintf(&b_path, "%s/legacy-sample.cdict", shared) < 0) {
		free(a_path);
		skip();
	}
	if (access(b_path, R_OK)) {
		free(a_path);
		free(b_path);
		skip();
	}
	a = slurp(a_path, &an);
	b = slurp(b_path, &bn);
	assert_int_equal(an, bn);
	assert_memory_equal(a, b, an);
	free(a);
	free(b);
	free(a_path);
	free(b_path);
}

/* Run perf script on @data; returns its stdout as a FILE, or NULL. */
static FILE *perf_script(const char *data, pid_t *child)
{
	int fds[2];
	pid_t pid;

	if (pipe(fds))
		return NULL;
	pid = fork();
	if (pid < 0)
		return NULL;
	if (!pid) {
		int null = open("/dev/null", O_WRONLY);

		dup2(fds[1], 1);
		if (null >= 0)
			dup2(null, 2);
		close(fds[0]);
		close(fds[1]);
		execlp("perf", "perf", "script", "-f", "-i", data, "-F", "cpu,time,event,trace",
		       (char *)NULL);
		_exit(127);
	}
	close(fds[1]);
	*child = pid;
	return fdopen(fds[0], "r");
}

struct tidname {
	int64_t tid;
	char name[64];
};

/* The original tool named a tid once, by the first name it saw. */
static const char *first_name(struct tidname *t, size_t *n, int64_t tid, const char *name)
{
	if (!tid)
		return name;
	for (size_t i = 0; i < *n; i++)
		if (t[i].tid == tid)
			return t[i].name;
	assert_true(*n < 4096);
	t[*n].tid = tid;
	snprintf(t[*n].name, sizeof(t[*n].name), "%s", name);
	return t[(*n)++].name;
}

static void test_sample_vs_perf_script(void **state)
{
	const char *shared = getenv("PW_SHARED");
	char *data = NULL, *path = top_path("tests/data/legacy/sample.cdict");
	char line[1024];
	struct got g = { 0 };
	struct pw_meta meta;
	struct tidname *names = calloc(4096, sizeof(*names));
	size_t nnames = 0, row = 0;
	bool seen_cpu[64] = { false };
	uint64_t epoch = 0;
	bool have_epoch = false;
	pid_t child = -1;
	int status;
	FILE *f;

	assert_non_null(names);
	if (!shared || asprintf(&data, "%s/legacy-sample.perf.data", shared) < 0 ||
	    access(data, R_OK)) {
		free(data);
		free(path);
		free(names);
		skip();
	}
	assert_int_equal(pw_legacy_read(path, NULL, collect, &g, &meta), 0);
	f = perf_script(data, &child);
	assert_non_null(f);
	while (fgets(line, sizeof(line), f)) {
		char *p, *prev_comm, *prev_pid, *next_comm, *next_pid;
		unsigned long secs, usecs;
		int cpu;
		uint64_t t;
		const struct pw_row *r;

		p = strstr(line, "sched:sched_switch: prev_comm=");
		if (!p || sscanf(line, " [%d] %lu.%lu:", &cpu, &secs, &usecs) != 3)
			continue;
		prev_comm = p + strlen("sched:sched_switch: prev_comm=");
		prev_pid = strstr(prev_comm, " prev_pid=");
		next_comm = strstr(prev_comm, " ==> next_comm=");
		assert_non_null(prev_pid);
		assert_non_null(next_comm);
		next_pid = strstr(next_comm, " next_pid=");
		assert_non_null(next_pid);
		*prev_pid = '\0';
		prev_pid += strlen(" prev_pid=");
		*next_comm = '\0';
		next_comm += strlen(" ==> next_comm=");
		*next_pid = '\0';
		next_pid += strlen(" next_pid=");
		assert_true(cpu >= 0 && cpu < 64);
		/* the original stored a CPU's switches from its second one on */
		if (!seen_cpu[cpu]) {
			seen_cpu[cpu] = true;
			continue;
		}
		t = (uint64_t)secs * 1000000 + usecs;
		if (!have_epoch) {
			epoch = t;
			have_epoch = true;
		}
		assert_true(row < g.n);
		r = &g.rows[row].r;
		assert_int_equal(r->cpu, cpu);
		assert_int_equal(r->time_ns, (t - epoch) * 1000);
		assert_int_equal(r->pid, strtoll(prev_pid, NULL, 10));
		assert_string_equal(r->task, first_name(names, &nnames, r->pid, prev_comm));
		assert_int_equal(r->next_pid, strtoll(next_pid, NULL, 10));
		assert_string_equal(r->next_task,
				    first_name(names, &nnames, r->next_pid, next_comm));
		row++;
	}
	fclose(f);
	assert_int_equal(waitpid(child, &status, 0), child);
	if (WIFEXITED(status) && WEXITSTATUS(status) == 127 && !row) {
		/* no perf on this machine */
		pw_meta_release(&meta);
		got_free(&g);
		free(data);
		free(path);
		free(names);
		skip();
	}
	assert_int_equal(row, 513);
	assert_int_equal(g.n, 513);
	pw_meta_release(&meta);
	got_free(&g);
	free(data);
	free(path);
	free(names);
}

/* ---- other events, kvm_exit reasons ------------------------------------- */

/* Rows of every kind the original tool wrote, and a few it did not. */
static const struct colspec mixed[8] = {
	{ "event",
	  "s:sched__sched_switch|s:kvm_exit|s:kvm_entry|s:kvm_exit|s:kvm_exit|s:kvm_exit|"
	  "s:kvm_exit|s:kvm_exit|s:sched__sched_stat_sleep|s:sched__sched_waking|"
	  "s:sched__sched_waking|s:power__cpu_idle|s:weird|s:kvm__kvm_exit|"
	  "b:sched:sched_wakeup|s:sched__sched_stat_iowait|s:sched__sched_switch" },
	{ "cpu", "i:1|i:1|i:1|i:1|i:1|i:1|i:1|i:1|i:0|i:0|i:0|i:0|i:0|i:1|n|i:0|x:cd0003" },
	{ "usecs",
	  "i:0|i:10|i:12|i:20|i:21|i:22|i:23|i:24|i:25|i:26|i:27|i:28|i:29|i:30|f:30.5|"
	  "x:d028|x:cf0000000000000032" },
	{ "pid", "i:100|i:200|i:200|i:200|i:200|i:200|i:200|i:200|i:300|i:1|i:1|i:0|i:0|"
		 "i:200|i:301|i:302|x:d17fff" },
	{ "task_name", "s:qemu|s:CPU 0/KVM|s:CPU 0/KVM|s:CPU 0/KVM|s:CPU 0/KVM|s:CPU 0/KVM|"
		       "s:CPU 0/KVM|s:CPU 0/KVM|s:sleeper|s:x|s:x|s:x|s:x|s:CPU 0/KVM|"
		       "b:binname|n|s:last" },
	{ "duration", "i:5|i:7|i:2|i:8|i:1|i:1|i:1|i:1|i:1000|i:0|i:0|i:0|i:0|i:3|n|i:-3|"
		      "g:2.5" },
	{ "next_pid", "i:200|n|n|n|n|n|n|n|i:0|n|n|n|n|n|i:7|n|u:0" },
	{ "next_comm", "s:CPU 0/KVM|u:12|n|u:48|s:30|u:99|u:2147483681|n|n|n|n|n|n|u:12|"
		       "s:ignored|n|b:swapper/0" },
};

static void test_mixed_events(void **state)
{
	char *fmt = top_path("data/kvm_exit.format");
	struct pw_legacy_opts opts = { .kvm_exit_format = fmt };
	struct got g = { 0 };
	struct pw_meta meta;
	const struct pw_row *r;

	assert_int_equal(run(mixed, 8, &opts, &g, &meta), 0);
	assert_int_equal(nerrors + nwarnings, 0);
	assert_int_equal(g.n, 13);

	r = &g.rows[0].r;
	assert_int_equal(r->event, PW_EV_SCHED_SWITCH);
	assert_int_equal(r->next_pid, 200);
	assert_string_equal(r->next_task, "CPU 0/KVM");
	assert_int_equal(r->duration_ns, 5000);

	r = &g.rows[1].r;
	assert_int_equal(r->event, PW_EV_KVM_EXIT);
	assert_int_equal(r->time_ns, 10000);
	assert_int_equal(r->pid, 200);
	assert_string_equal(r->task, "CPU 0/KVM");
	assert_int_equal(r->duration_ns, 7000);
	assert_string_equal(r->exit_reason, "HLT");
	assert_int_equal(r->next_pid, PW_NONE);
	assert_null(r->next_task);

	r = &g.rows[2].r;
	assert_int_equal(r->event, PW_EV_KVM_ENTRY);
	assert_int_equal(r->duration_ns, 2000);
	assert_null(r->exit_reason);
	assert_int_equal(r->next_pid, PW_NONE);

	assert_string_equal(g.rows[3].r.exit_reason, "EPT_VIOLATION");
	assert_string_equal(g.rows[4].r.exit_reason, "IO_INSTRUCTION");	/* "30" as text */
	assert_string_equal(g.rows[5].r.exit_reason, "0x63");	/* no symbol: as printed */
	assert_string_equal(g.rows[6].r.exit_reason, "INVALID_STATE FAILED_VMENTRY");
	assert_null(g.rows[7].r.exit_reason);

	r = &g.rows[8].r;
	assert_int_equal(r->event, PW_EV_SCHED_STAT_SLEEP);
	assert_int_equal(r->pid, 300);
	assert_string_equal(r->task, "sleeper");
	assert_int_equal(r->duration_ns, 1000000);
	assert_int_equal(r->next_pid, PW_NONE);	/* the original wrote 0 */
	assert_null(r->next_task);

	r = &g.rows[9].r;	/* kvm__kvm_exit */
	assert_int_equal(r->event, PW_EV_KVM_EXIT);
	assert_string_equal(r->exit_reason, "HLT");

	r = &g.rows[10].r;	/* sched:sched_wakeup, bin strings, float time */
	assert_int_equal(r->event, PW_EV_SCHED_WAKEUP);
	assert_int_equal(r->cpu, PW_NONE);
	assert_int_equal(r->time_ns, 30500);
	assert_string_equal(r->task, "binname");
	assert_int_equal(r->duration_ns, PW_NONE);
	assert_int_equal(r->next_pid, PW_NONE);
	assert_null(r->next_task);

	r = &g.rows[11].r;	/* int8 time, negative duration, nil name */
	assert_int_equal(r->event, PW_EV_SCHED_STAT_IOWAIT);
	assert_int_equal(r->time_ns, 40000);
	assert_int_equal(r->duration_ns, -3000);
	assert_null(r->task);

	r = &g.rows[12].r;	/* uint16 cpu, uint64 time, int16 pid, float32 duration */
	assert_int_equal(r->event, PW_EV_SCHED_SWITCH);
	assert_int_equal(r->cpu, 3);
	assert_int_equal(r->time_ns, 50000);
	assert_int_equal(r->pid, 32767);
	assert_int_equal(r->duration_ns, 2500);
	assert_int_equal(r->next_pid, 0);
	assert_string_equal(r->next_task, "swapper/0");

	assert_int_equal(meta.stored[PW_EV_SCHED_SWITCH], 2);
	assert_int_equal(meta.stored[PW_EV_KVM_EXIT], 7);
	assert_int_equal(meta.stored[PW_EV_KVM_ENTRY], 1);
	assert_int_equal(meta.stored[PW_EV_SCHED_STAT_SLEEP], 1);
	assert_int_equal(meta.stored[PW_EV_SCHED_STAT_IOWAIT], 1);
	assert_int_equal(meta.stored[PW_EV_SCHED_WAKEUP], 1);
	assert_int_equal(meta.first_ns, 0);
	assert_int_equal(meta.last_ns, 50000);
	assert_int_equal(meta.nr_dropped, 3);
	assert_string_equal(meta.dropped[0].name, "sched:sched_waking");
	assert_int_equal(meta.dropped[0].count, 2);
	assert_string_equal(meta.dropped[1].name, "power:cpu_idle");
	assert_int_equal(meta.dropped[1].count, 1);
	assert_string_equal(meta.dropped[2].name, "weird");
	assert_int_equal(meta.dropped[2].count, 1);
	assert_non_null(strstr(meta.legacy_note, "kvm_exit reasons"));
	assert_non_null(strstr(meta.legacy_note, "Intel VMX"));
	assert_non_null(strstr(meta.legacy_note, fmt));
	pw_meta_release(&meta);
	got_free(&g);
	free(fmt);
}

/* One kvm_exit row per reason in @reasons ('|'-separated tokens). */
static void convert_reasons(const char *reasons, const struct pw_legacy_opts *opts,
			    struct got *g, struct pw_meta *meta)
{
	size_t n = ntokens(reasons);
	char ev[4096] = "", num[4096] = "", nil[4096] = "";
	struct colspec cols[8];

	for (size_t i = 0; i < n; i++) {
		strcat(ev, i ? "|s:kvm_exit" : "s:kvm_exit");
		strcat(num, i ? "|i:1" : "i:1");
		strcat(nil, i ? "|n" : "n");
	}
	cols[0] = (struct colspec){ "event", ev };
	cols[1] = (struct colspec){ "cpu", num };
	cols[2] = (struct colspec){ "usecs", num };
	cols[3] = (struct colspec){ "pid", num };
	cols[4] = (struct colspec){ "task_name", nil };
	cols[5] = (struct colspec){ "duration", nil };
	cols[6] = (struct colspec){ "next_pid", nil };
	cols[7] = (struct colspec){ "next_comm", reasons };
	assert_int_equal(run(cols, 8, opts, g, meta), 0);
	assert_int_equal(g->n, n);
}

static void test_reasons_svm(void **state)
{
	char *fmt = top_path("data/kvm_exit.format");
	struct pw_legacy_opts opts = { .kvm_exit_format = fmt, .isa = PW_LEGACY_ISA_SVM };
	struct got g = { 0 };
	struct pw_meta meta;

	convert_reasons("u:120|u:1024|u:124|u:18", &opts, &g, &meta);
	assert_string_equal(g.rows[0].r.exit_reason, "hlt");
	assert_string_equal(g.rows[1].r.exit_reason, "npf");
	assert_string_equal(g.rows[2].r.exit_reason, "msr");
	assert_string_equal(g.rows[3].r.exit_reason, "write_cr2");
	assert_non_null(strstr(meta.legacy_note, "AMD SVM"));
	pw_meta_release(&meta);
	got_free(&g);
	free(fmt);
}

/* The names come from the format file: the 4.x layout names 7 differently. */
static void test_reasons_older_format(void **state)
{
	char *fmt = top_path("tests/data/formats/kvm_exit-linux4.format");
	struct pw_legacy_opts opts = { .kvm_exit_format = fmt };
	struct got g = { 0 };
	struct pw_meta meta;

	convert_reasons("u:12|u:7|u:30|u:33", &opts, &g, &meta);
	assert_string_equal(g.rows[0].r.exit_reason, "HLT");
	assert_string_equal(g.rows[1].r.exit_reason, "PENDING_INTERRUPT");
	assert_string_equal(g.rows[2].r.exit_reason, "IO_INSTRUCTION");
	assert_string_equal(g.rows[3].r.exit_reason, "0x21");	/* not in that table */
	pw_meta_release(&meta);
	got_free(&g);
	free(fmt);

	/* the current layout names them from its own table */
	fmt = top_path("data/kvm_exit.format");
	opts.kvm_exit_format = fmt;
	convert_reasons("u:7|u:33", &opts, &g, &meta);
	assert_string_equal(g.rows[0].r.exit_reason, "INTERRUPT_WINDOW");
	assert_string_equal(g.rows[1].r.exit_reason, "INVALID_STATE");
	pw_meta_release(&meta);
	got_free(&g);
	free(fmt);
}

/* Many rows of few reasons, then more distinct reasons than are cached. */
static void test_reasons_many(void **state)
{
	char *fmt = top_path("data/kvm_exit.format");
	struct pw_legacy_opts opts = { .kvm_exit_format = fmt };
	size_t n = 6000, cap = n * 16, len = 0;
	char *reasons = malloc(cap);
	struct got g = { 0 };
	struct pw_meta meta;

	assert_non_null(reasons);
	for (size_t i = 0; i < n; i++)
		len += (size_t)snprintf(reasons + len, cap - len, "%su:%zu", i ? "|" : "",
					i < 1000 ? (i % 2 ? 12 : 48) : 1000 + i);
	/* convert_reasons() has fixed buffers: build the columns here */
	{
		char *ev = malloc(n * 12), *num = malloc(n * 4), *nil = malloc(n * 2);
		struct colspec cols[8];
		size_t a = 0, b = 0, c = 0;

		assert_true(ev && num && nil);
		for (size_t i = 0; i < n; i++) {
			a += (size_t)sprintf(ev + a, "%ss:kvm_exit", i ? "|" : "");
			b += (size_t)sprintf(num + b, "%si:1", i ? "|" : "");
			c += (size_t)sprintf(nil + c, "%sn", i ? "|" : "");
		}
		cols[0] = (struct colspec){ "event", ev };
		cols[1] = (struct colspec){ "cpu", num };
		cols[2] = (struct colspec){ "usecs", num };
		cols[3] = (struct colspec){ "pid", num };
		cols[4] = (struct colspec){ "task_name", nil };
		cols[5] = (struct colspec){ "duration", nil };
		cols[6] = (struct colspec){ "next_pid", nil };
		cols[7] = (struct colspec){ "next_comm", reasons };
		assert_int_equal(run(cols, 8, &opts, &g, &meta), 0);
		free(ev);
		free(num);
		free(nil);
	}
	assert_int_equal(g.n, n);
	for (size_t i = 0; i < n; i++) {
		char want[32];

		if (i < 1000)
			snprintf(want, sizeof(want), "%s", i % 2 ? "HLT" : "EPT_VIOLATION");
		else
			snprintf(want, sizeof(want), "0x%zx", 1000 + i);
		assert_string_equal(g.rows[i].reason, want);
	}
	pw_meta_release(&meta);
	got_free(&g);
	free(reasons);
	free(fmt);
}

static void write_file(const char *path, const void *data, size_t n)
{
	FILE *f = fopen(path, "wb");

	assert_non_null(f);
	assert_int_equal(fwrite(data, 1, n, f), n);
	assert_int_equal(fclose(f), 0);
}

/* $PERFWHIZ_DATADIR comes first; without it the source tree's data/ is found. */
static void test_datadir_search(void **state)
{
	char dir[] = "/tmp/pw-legacy-XXXXXX", *fmt_src = top_path("data/kvm_exit.format");
	char *path, *found, *p;
	unsigned char *text;
	size_t n;
	struct got g = { 0 };
	struct pw_meta meta;
	const char *old = getenv("PERFWHIZ_DATADIR");
	char *saved = old ? strdup(old) : NULL;

	assert_non_null(mkdtemp(dir));
	text = slurp(fmt_src, &n);
	text[n] = '\0';
	p = strstr((char *)text, "{ 12, \"HLT\" }");
	assert_non_null(p);
	memcpy(p, "{ 12, \"XYZ\" }", 13);
	assert_true(asprintf(&path, "%s/kvm_exit.format", dir) > 0);
	write_file(path, text, n);

	setenv("PERFWHIZ_DATADIR", dir, 1);
	found = pw_legacy_find_datafile(PW_LEGACY_KVM_EXIT_FORMAT);
	assert_non_null(found);
	assert_string_equal(found, path);
	free(found);
	convert_reasons("u:12|u:48", NULL, &g, &meta);
	assert_string_equal(g.rows[0].r.exit_reason, "XYZ");
	assert_string_equal(g.rows[1].r.exit_reason, "EPT_VIOLATION");
	assert_non_null(strstr(meta.legacy_note, path));
	pw_meta_release(&meta);
	got_free(&g);

	/* an empty data dir: the search goes on to the source tree */
	unlink(path);
	found = pw_legacy_find_datafile(PW_LEGACY_KVM_EXIT_FORMAT);
	assert_non_null(found);
	n = strlen(found);
	assert_true(n > 16 && !strcmp(found + n - 16, "/kvm_exit.format"));
	free(found);
	unsetenv("PERFWHIZ_DATADIR");
	found = pw_legacy_find_datafile(PW_LEGACY_KVM_EXIT_FORMAT);
	assert_non_null(found);
	free(found);
	assert_null(pw_legacy_find_datafile("no-such-data-file"));

	convert_reasons("u:12", NULL, &g, &meta);
	assert_string_equal(g.rows[0].r.exit_reason, "HLT");
	pw_meta_release(&meta);
	got_free(&g);

	if (saved)
		setenv("PERFWHIZ_DATADIR", saved, 1);
	free(saved);
	rmdir(dir);
	free(path);
	free(text);
	free(fmt_src);
}

/* Without a usable format the reasons stay numbers, with a warning. */
static void test_reasons_without_format(void **state)
{
	char dir[] = "/tmp/pw-legacy-XXXXXX", *path;
	struct pw_legacy_opts opts = { .kvm_exit_format = "/nonexistent/kvm_exit.format" };
	struct got g = { 0 };
	struct pw_meta meta;

	convert_reasons("u:12|s:48|n", &opts, &g, &meta);
	assert_string_equal(g.rows[0].r.exit_reason, "12");
	assert_string_equal(g.rows[1].r.exit_reason, "48");
	assert_null(g.rows[2].r.exit_reason);
	assert_int_equal(nwarnings, 1);
	assert_non_null(strstr(logbuf, "synth.cdict: kvm_exit reasons are left as numbers: "
				       "/nonexistent/kvm_exit.format: it cannot be read"));
	assert_non_null(strstr(meta.legacy_note, "left as such"));
	pw_meta_release(&meta);
	got_free(&g);

	/* a file that is not a kvm_exit format */
	assert_non_null(mkdtemp(dir));
	assert_true(asprintf(&path, "%s/kvm_exit.format", dir) > 0);
	{
		char *sw = top_path("tests/data/formats/sched_switch.format");
		size_t n;
		unsigned char *text = slurp(sw, &n);

		write_file(path, text, n);
		free(text);
		free(sw);
	}
	opts.kvm_exit_format = path;
	convert_reasons("u:12", &opts, &g, &meta);
	assert_string_equal(g.rows[0].r.exit_reason, "12");
	assert_non_null(strstr(logbuf, "does not describe the kvm_exit event"));
	pw_meta_release(&meta);
	got_free(&g);

	{
		static const char junk[] = "name: kvm_exit\nID: 1\nformat:\n\tgarbage\n";

		write_file(path, junk, strlen(junk));
	}
	convert_reasons("u:12", &opts, &g, &meta);
	assert_string_equal(g.rows[0].r.exit_reason, "12");
	assert_int_equal(nwarnings, 1);
	pw_meta_release(&meta);
	got_free(&g);

	unlink(path);
	rmdir(dir);
	free(path);
}

/* ---- bad input ---------------------------------------------------------- */

static struct colspec *with(const struct colspec *base, const char *key, const char *vals)
{
	static struct colspec cols[8];

	memcpy(cols, base, sizeof(cols));
	for (int c = 0; c < 8; c++)
		if (!strcmp(cols[c].key, key))
			cols[c].vals = vals;
	return cols;
}

static void test_wrong_types(void **state)
{
	/* offsets: map header (1) + "cpu" (4) + array header (1) + i:0 (1) = 7 */
	struct colspec cpu_first[8];

	memcpy(cpu_first, one_row, sizeof(cpu_first));
	cpu_first[0] = one_row[1];
	cpu_first[1] = one_row[0];
	cpu_first[0].vals = "i:0|s:x";
	cpu_first[1].vals = "s:sched__sched_switch|s:sched__sched_switch";
	assert_bad(cpu_first, 8, PW_EFORMAT,
		   "synth.cdict: column 'cpu', row 1 (offset 7 of the inflated data): "
		   "expected a CPU number (0..2147483647) or nil, found a string");

	assert_bad(with(one_row, "usecs", "n"), 8, PW_EFORMAT,
		   "column 'usecs', row 0 (offset");
	assert_bad(with(one_row, "usecs", "i:-1"), 8, PW_EFORMAT,
		   "expected a time in microseconds (a non-negative number), found -1");
	assert_bad(with(one_row, "usecs", "u:18446744073709551615"), 8, PW_EFORMAT,
		   "found 18446744073709551615");
	assert_bad(with(one_row, "usecs", "f:nan"), 8, PW_EFORMAT, "column 'usecs'");
	assert_bad(with(one_row, "usecs", "s:12"), 8, PW_EFORMAT, "found a string");
	assert_bad(with(one_row, "pid", "u:4294967296"), 8, PW_EFORMAT,
		   "column 'pid', row 0");
	assert_bad(with(one_row, "pid", "i:-1"), 8, PW_EFORMAT, "found -1");
	assert_bad(with(one_row, "next_pid", "f:1.0"), 8, PW_EFORMAT, "found 1");
	assert_bad(with(one_row, "event", "n"), 8, PW_EFORMAT,
		   "column 'event', row 0 (offset 8 of the inflated data): expected an event "
		   "name, found nil");
	assert_bad(with(one_row, "event", "s:"), 8, PW_EFORMAT, "found an empty string");
	assert_bad(with(one_row, "event", "i:3"), 8, PW_EFORMAT, "found 3");
	assert_bad(with(one_row, "task_name", "t"), 8, PW_EFORMAT,
		   "column 'task_name', row 0");
	assert_bad(with(one_row, "task_name", "t"), 8, PW_EFORMAT, "found a boolean");
	assert_bad(with(one_row, "task_name", "A"), 8, PW_EFORMAT, "found a nested array");
	assert_bad(with(one_row, "next_comm", "M"), 8, PW_EFORMAT, "found a nested map");
	assert_bad(with(one_row, "next_comm", "i:-5"), 8, PW_EFORMAT, "column 'next_comm'");
	assert_bad(with(one_row, "duration", "x:d40001"), 8, PW_EFORMAT,
		   "found an extension value");
	assert_bad(with(one_row, "duration", "u:9223372036854775807"), 8, PW_EFORMAT,
		   "column 'duration'");
	assert_bad(with(one_row, "cpu", "x:c1"), 8, PW_EFORMAT,
		   "invalid msgpack byte 0xc1 at offset");
	assert_bad(with(one_row, "cpu", "SCALAR"), 8, PW_EFORMAT,
		   "column 'cpu' at offset 32 is not an array");
}

static void test_bad_structure(void **state)
{
	struct colspec cols[9];

	/* unequal lengths */
	assert_bad(with(one_row, "pid", "i:1|i:2"), 8, PW_EFORMAT,
		   "synth.cdict: columns of unequal length: 'event' has 1 values, 'pid' has 2");
	/* a missing column */
	assert_bad(one_row, 7, PW_EFORMAT, "synth.cdict: no 'next_comm' column");
	/* a column twice */
	memcpy(cols, one_row, sizeof(one_row));
	cols[7] = one_row[1];
	assert_bad(cols, 8, PW_EFORMAT, "synth.cdict: column 'cpu' appears twice");
	/* a key that is not a string */
	memcpy(cols, one_row, sizeof(one_row));
	cols[3].key = "i:7";
	assert_bad(cols, 8, PW_EFORMAT, "map key at offset");
	/* an unknown column is skipped with a warning, whatever its shape */
	memcpy(cols, one_row, sizeof(one_row));
	cols[8] = (struct colspec){ "prev_state", "s:R|M|A|x:90|x:82a161a162a163a164" };
	{
		struct got g = { 0 };
		struct pw_meta meta;

		assert_int_equal(run(cols, 9, NULL, &g, &meta), 0);
		assert_int_equal(g.n, 1);
		assert_non_null(strstr(logbuf, "ignoring the unknown column 'prev_state'"));
		assert_int_equal(nwarnings, 1);
		assert_int_equal(nerrors, 0);
		pw_meta_release(&meta);
		got_free(&g);
	}
	/* bin keys are accepted as names */
	memcpy(cols, one_row, sizeof(one_row));
	cols[0].key = "b:event";
	{
		struct got g = { 0 };
		struct pw_meta meta;

		assert_int_equal(run(cols, 8, NULL, &g, &meta), 0);
		assert_int_equal(g.n, 1);
		pw_meta_release(&meta);
		got_free(&g);
	}
	/* zero rows is a valid, empty file */
	{
		static const struct colspec empty[8] = {
			{ "event", "" }, { "cpu", "" }, { "usecs", "" }, { "pid", "" },
			{ "task_name", "" }, { "duration", "" }, { "next_pid", "" },
			{ "next_comm", "" },
		};
		struct got g = { 0 };
		struct pw_meta meta;

		assert_int_equal(run(empty, 8, NULL, &g, &meta), 0);
		assert_int_equal(g.n, 0);
		assert_int_equal(meta.first_ns, 0);
		assert_int_equal(meta.last_ns, 0);
		assert_non_null(meta.legacy_note);
		pw_meta_release(&meta);
		got_free(&g);
	}
}

/* Convert raw msgpack bytes (zlib-compressed here); returns the code. */
static int run_raw(const void *raw, size_t n, const struct pw_legacy_opts *opts)
{
	size_t zn;
	unsigned char *z = zip(raw, n, &zn);
	struct got g = { 0 };
	struct pw_meta meta;
	int ret;

	log_reset();
	ret = pw_legacy_read_mem(z, zn, "raw.cdict", opts, collect, &g, &meta);
	if (ret)
		assert_int_equal(g.n, 0);
	pw_meta_release(&meta);
	got_free(&g);
	free(z);
	return ret;
}

static void test_bad_msgpack(void **state)
{
	/* not a map */
	assert_int_equal(run_raw("\x93\x01\x02\x03", 4, NULL), PW_EFORMAT);
	assert_non_null(strstr(logbuf, "raw.cdict: the msgpack data is not a map of columns "
				       "(first byte 0x93)"));
	assert_int_equal(run_raw("\xa3" "abc", 4, NULL), PW_EFORMAT);
	assert_non_null(strstr(logbuf, "not a map of columns (first byte 0xa3)"));
	assert_int_equal(run_raw("\x01", 1, NULL), PW_EFORMAT);
	/* counts that the data cannot hold: refused before anything is allocated */
	assert_int_equal(run_raw("\xdf\xff\xff\xff\xff\xa5" "event", 11, NULL), PW_EFORMAT);
	assert_non_null(strstr(logbuf, "raw.cdict: msgpack map at offset 0 declares "
				       "4294967295 entries, more than the 6 bytes left"));
	assert_int_equal(run_raw("\x81\xa5" "event\xdd\xff\xff\xff\xff\xc0", 13, NULL),
			 PW_EFORMAT);
	assert_non_null(strstr(logbuf, "msgpack array at offset 7 declares 4294967295 entries"));
	/* truncated inside a header, a value, a string */
	assert_int_equal(run_raw("\x81\xa5" "event\xdc\x00", 9, NULL), PW_ETRUNCATED);
	assert_non_null(strstr(logbuf, "ends inside a header at offset 7"));
	assert_int_equal(run_raw("\x81\xa5" "event\x91\xb3" "sched", 14, NULL), PW_ETRUNCATED);
	assert_non_null(strstr(logbuf, "raw.cdict: msgpack data ends inside the value at "
				       "offset 8"));
	assert_int_equal(run_raw("\x82\xa5" "event\x90", 8, NULL), PW_ETRUNCATED);
	assert_non_null(strstr(logbuf, "ends at offset 8 where a value was expected"));
	/* trailing bytes after the map: a warning */
	{
		msgpack_sbuffer sb;

		build_raw(one_row, 8, &sb);
		msgpack_sbuffer_write(&sb, "\x00\x00", 2);
		assert_int_equal(run_raw(sb.data, sb.size, NULL), 0);
		assert_non_null(strstr(logbuf, "raw.cdict: 2 bytes after the msgpack map ignored"));
		msgpack_sbuffer_destroy(&sb);
	}
}

/* Every prefix of a valid msgpack map, compressed properly, is an error. */
static void test_every_msgpack_prefix(void **state)
{
	msgpack_sbuffer sb;

	build_raw(mixed, 8, &sb);
	for (size_t k = 1; k < sb.size; k++) {
		int ret = run_raw(sb.data, k, NULL);

		if (ret != PW_ETRUNCATED && ret != PW_EFORMAT)
			fail_msg("prefix of %zu bytes: %d, log:\n%s", k, ret, logbuf);
		assert_non_null(strstr(logbuf, "raw.cdict: "));
		assert_non_null(strstr(logbuf, "offset"));
	}
	msgpack_sbuffer_destroy(&sb);
}

static void test_bad_zlib(void **state)
{
	char *path = top_path("tests/data/legacy/sample.cdict");
	size_t n;
	unsigned char *buf = slurp(path, &n), *copy = malloc(n + 16);
	struct got g = { 0 };
	struct pw_meta meta;
	int ret;

	assert_non_null(copy);
	/* empty, and not zlib at all */
	assert_int_equal(pw_legacy_read_mem(buf, 0, "x.cdict", NULL, collect, &g, &meta),
			 PW_EFORMAT);
	assert_non_null(strstr(logbuf, "x.cdict: empty file"));
	log_reset();
	assert_int_equal(pw_legacy_read_mem("PERFILE2\0\0\0\0", 12, "x.cdict", NULL, collect,
					    &g, &meta), PW_EFORMAT);
	assert_non_null(strstr(logbuf, "x.cdict: does not start with a zlib header"));

	/* every truncation: an error, and not a single row delivered */
	for (size_t k = 1; k < n; k++) {
		log_reset();
		ret = pw_legacy_read_mem(buf, k, "cut.cdict", NULL, collect, &g, &meta);
		if (ret != PW_ECOMPRESS && ret != PW_EFORMAT)
			fail_msg("cut at %zu: %d, log:\n%s", k, ret, logbuf);
		assert_int_equal(g.n, 0);
		assert_null(meta.legacy_note);
		if (k > 2)
			assert_non_null(strstr(logbuf, "cut.cdict: the zlib stream is cut short") ||
					strstr(logbuf, "cut.cdict: corrupt zlib data"));
	}
	log_reset();
	assert_int_equal(pw_legacy_read_mem(buf, n - 1, "cut.cdict", NULL, collect, &g, &meta),
			 PW_ECOMPRESS);
	assert_non_null(strstr(logbuf, "cut.cdict: the zlib stream is cut short at byte 3243"));

	/* every corrupted byte after the header: the checksum at least catches it */
	for (size_t k = 2; k < n; k++) {
		memcpy(copy, buf, n);
		copy[k] ^= 0x55;
		log_reset();
		ret = pw_legacy_read_mem(copy, n, "flip.cdict", NULL, collect, &g, &meta);
		if (ret != PW_ECOMPRESS && ret != PW_EFORMAT && ret != PW_ETRUNCATED)
			fail_msg("flip at %zu: %d, log:\n%s", k, ret, logbuf);
		assert_int_equal(g.n, 0);
	}
	memcpy(copy, buf, n);
	copy[n - 1] ^= 1;	/* the adler32 checksum itself */
	log_reset();
	assert_int_equal(pw_legacy_read_mem(copy, n, "flip.cdict", NULL, collect, &g, &meta),
			 PW_ECOMPRESS);
	assert_non_null(strstr(logbuf, "flip.cdict: corrupt zlib data near byte"));
	assert_non_null(strstr(logbuf, "incorrect data check"));

	/* bytes after the stream: used, with a warning */
	memcpy(copy, buf, n);
	memcpy(copy + n, "garbage", 7);
	log_reset();
	assert_int_equal(pw_legacy_read_mem(copy, n + 7, "tail.cdict", NULL, collect, &g, &meta),
			 0);
	assert_int_equal(g.n, 513);
	assert_non_null(strstr(logbuf, "tail.cdict: 7 bytes after the end of the zlib stream"));
	pw_meta_release(&meta);
	got_free(&g);

	free(copy);
	free(buf);
	free(path);
}

/* Inflating stops at the cap, exactly. */
static void test_inflate_cap(void **state)
{
	msgpack_sbuffer sb;
	struct pw_legacy_opts opts = { 0 };
	size_t zn;
	unsigned char *z;
	struct got g = { 0 };
	struct pw_meta meta;
	z_stream zs = { 0 };
	unsigned char zeros[65536] = { 0 }, *bomb;
	size_t bomb_cap = 1 << 20;

	build_raw(one_row, 8, &sb);
	z = zip(sb.data, sb.size, &zn);
	opts.max_inflated = sb.size;
	assert_int_equal(pw_legacy_read_mem(z, zn, "cap.cdict", &opts, collect, &g, &meta), 0);
	assert_int_equal(g.n, 1);
	pw_meta_release(&meta);
	got_free(&g);
	opts.max_inflated = sb.size - 1;
	log_reset();
	assert_int_equal(pw_legacy_read_mem(z, zn, "cap.cdict", &opts, collect, &g, &meta),
			 PW_EFORMAT);
	assert_non_null(strstr(logbuf, "cap.cdict: the zlib data inflates to more than"));
	assert_non_null(strstr(logbuf, "decompression bomb"));
	free(z);
	msgpack_sbuffer_destroy(&sb);

	/* 16 MiB of zeros deflate to ~16 KiB: a bomb under the 64-times rule ... */
	bomb = malloc(bomb_cap);
	assert_non_null(bomb);
	assert_int_equal(deflateInit(&zs, 9), Z_OK);
	zs.next_out = bomb;
	zs.avail_out = (uInt)bomb_cap;
	for (int i = 0; i < 256; i++) {
		zs.next_in = zeros;
		zs.avail_in = sizeof(zeros);
		assert_int_equal(deflate(&zs, i == 255 ? Z_FINISH : Z_NO_FLUSH),
				 i == 255 ? Z_STREAM_END : Z_OK);
	}
	zn = zs.total_out;
	deflateEnd(&zs);
	opts.max_inflated = zn * PW_LEGACY_INFLATE_RATIO;
	log_reset();
	assert_int_equal(pw_legacy_read_mem(bomb, zn, "bomb.cdict", &opts, collect, &g, &meta),
			 PW_EFORMAT);
	assert_non_null(strstr(logbuf, "bomb.cdict: the zlib data inflates to more than"));
	/* ... but the default cap never goes under 256 MiB: it inflates, not a map */
	log_reset();
	assert_int_equal(pw_legacy_read_mem(bomb, zn, "bomb.cdict", NULL, collect, &g, &meta),
			 PW_EFORMAT);
	assert_non_null(strstr(logbuf, "not a map of columns"));
	free(bomb);
}

static void test_consumer_stops(void **state)
{
	char *path = top_path("tests/data/legacy/sample.cdict");
	struct got g = { .stop_after = 10 };
	struct pw_meta meta;

	assert_int_equal(pw_legacy_read(path, NULL, collect, &g, &meta), PW_ESTOPPED);
	assert_int_equal(g.n, 10);
	assert_null(meta.legacy_note);
	got_free(&g);
	free(path);
}

static void test_read_errors(void **state)
{
	struct got g = { 0 };
	struct pw_meta meta;

	assert_int_equal(pw_legacy_read("/nonexistent/old.cdict", NULL, collect, &g, &meta),
			 PW_ENOENT);
	assert_non_null(strstr(logbuf, "/nonexistent/old.cdict: cannot open"));
	log_reset();
	assert_int_equal(pw_legacy_read("/", NULL, collect, &g, &meta), PW_EIO);
	assert_non_null(strstr(logbuf, "/: read error"));
	log_reset();
	assert_int_equal(pw_legacy_read("/dev/null", NULL, collect, &g, &meta), PW_EFORMAT);
	assert_non_null(strstr(logbuf, "/dev/null: empty file"));
	assert_int_equal(g.n, 0);
}

static void test_probe(void **state)
{
	char *path = top_path("tests/data/legacy/sample.cdict");
	size_t n;
	unsigned char *buf = slurp(path, &n);
	msgpack_sbuffer sb;
	unsigned char *z;
	size_t zn;

	assert_int_equal(pw_legacy_probe(buf, n), 1);
	assert_int_equal(pw_legacy_probe(buf, 64), 1);
	assert_int_equal(pw_legacy_probe(buf, 2), 1);
	assert_int_equal(pw_legacy_probe(buf, 1), 0);
	assert_int_equal(pw_legacy_probe(NULL, 0), 0);
	assert_int_equal(pw_legacy_probe("PERFILE2", 8), 0);
	assert_int_equal(pw_legacy_probe("\x1f\x8b\x08\x00", 4), 0);	/* gzip */
	assert_int_equal(pw_legacy_probe("\x78\x00", 2), 0);		/* bad check */
	assert_int_equal(pw_legacy_probe("\x78\xbb", 2), 0);		/* FDICT */
	assert_int_equal(pw_legacy_probe("\x78\x9c\xff\xff\xff\xff", 6), 0); /* bad deflate */
	/* a zlib stream of something else than a map */
	z = zip("\x93\x01\x02\x03", 4, &zn);
	assert_int_equal(pw_legacy_probe(z, zn), 0);
	free(z);
	build_raw(one_row, 8, &sb);
	z = zip(sb.data, sb.size, &zn);
	assert_int_equal(pw_legacy_probe(z, zn), 1);
	free(z);
	msgpack_sbuffer_destroy(&sb);
	free(buf);
	free(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_sample, setup),
		cmocka_unit_test_setup(test_sample_is_shared_copy, setup),
		cmocka_unit_test_setup(test_sample_vs_perf_script, setup),
		cmocka_unit_test_setup(test_mixed_events, setup),
		cmocka_unit_test_setup(test_reasons_svm, setup),
		cmocka_unit_test_setup(test_reasons_older_format, setup),
		cmocka_unit_test_setup(test_reasons_many, setup),
		cmocka_unit_test_setup(test_datadir_search, setup),
		cmocka_unit_test_setup(test_reasons_without_format, setup),
		cmocka_unit_test_setup(test_wrong_types, setup),
		cmocka_unit_test_setup(test_bad_structure, setup),
		cmocka_unit_test_setup(test_bad_msgpack, setup),
		cmocka_unit_test_setup(test_every_msgpack_prefix, setup),
		cmocka_unit_test_setup(test_bad_zlib, setup),
		cmocka_unit_test_setup(test_inflate_cap, setup),
		cmocka_unit_test_setup(test_consumer_stops, setup),
		cmocka_unit_test_setup(test_read_errors, setup),
		cmocka_unit_test_setup(test_probe, setup),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
