// SPDX-License-Identifier: MIT
/*
 * test-cdict.c - the cdict writer and reader: exact round trips of every
 * column and of the metadata, selective loading, and bad files (truncated,
 * flipped bytes, wrong magic or version) giving errors that name the file
 * and an offset; failed and aborted writes leaving nothing behind.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>
#define ZSTD_STATIC_LINKING_ONLY	/* ZSTD_BLOCKSIZE_MAX */
#include <zstd.h>
#include <zstd_errors.h>

#include <cmocka.h>

#include "cdict-local.h"
#include "pw-cdict.h"
#include "pw-log.h"

#include "test-dir.h"
#include "test-log.h"

/* The last error names @path and a byte offset. */
static void assert_logged_offset(const char *path)
{
	char want[600];

	assert_true(nerrors > 0);
	snprintf(want, sizeof(want), "%s: offset ", path);
	if (!strstr(logbuf, want))
		fail_msg("log lacks \"%s\": %s", want, logbuf);
}

/* ---- a scratch directory per test ---- */

struct fx {
	char dir[64];
	char path[128];
};

#define RNG_SEED 88172645463325252ull
static uint64_t rng = RNG_SEED;

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	if (!f)
		return -1;
	strcpy(f->dir, "/tmp/test-cdict.XXXXXX");
	if (!mkdtemp(f->dir))
		return -1;
	snprintf(f->path, sizeof(f->path), "%s/run.cdict", f->dir);
	pw_log_set(capture);
	log_reset();
	/* each test its own rows: the full-disk test draws until the writer
	 * fails, a number of times that depends on the encoder thread */
	rng = RNG_SEED;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	DIR *d;
	struct dirent *e;
	char p[512];

	/* a failed full-disk test may have left its tmpfs mounted */
	snprintf(p, sizeof(p), "%s/small", f->dir);
	if (!access(p, F_OK)) {
		umount2(p, MNT_DETACH);
		rmdir(p);
	}
	d = opendir(f->dir);

	while (d && (e = readdir(d))) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		snprintf(p, sizeof(p), "%s/%s", f->dir, e->d_name);
		unlink(p);
	}
	if (d)
		closedir(d);
	rmdir(f->dir);
	free(f);
	return 0;
}

/* ---- rows ---- */

static const char *const names[] = { "sched-pipe", "swapper/0", "swapper/1", "perf",
				     "qemu-kvm", "CPU 0/KVM", "" };
static const char *const states[] = { "S", "R", "D", "R+", "I" };
static const char *const reasons[] = { "HLT", "EPT_VIOLATION", "MSR_WRITE", "IO_INSTRUCTION" };


static uint64_t next_rand(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

/* Realistic rows: few tasks, times ~µs apart, derived durations. */
static void make_rows(struct pw_row *rows, size_t n)
{
	uint64_t t = 1000000000000ull;

	for (size_t i = 0; i < n; i++) {
		struct pw_row *r = &rows[i];
		uint64_t x = next_rand();

		t += 500 + x % 5000;
		memset(r, 0, sizeof(*r));
		r->time_ns = t;
		r->cpu = (int64_t)(x >> 20) % 4;
		r->event = (int)((x >> 24) % PW_EV__MAX);
		r->pid = 1000 + (int64_t)((x >> 28) % 5);
		r->tgid = x & (1 << 9) ? PW_NONE : 1000;
		r->task = names[(x >> 32) % 6];
		r->duration_ns = x & (1 << 10) ? PW_NONE : (int64_t)(x >> 40) % 100000;
		r->next_pid = r->event == PW_EV_SCHED_SWITCH ? 1000 + (int64_t)((x >> 36) % 5) : PW_NONE;
		r->next_task = r->event == PW_EV_SCHED_SWITCH ? names[(x >> 44) % 7] : NULL;
		r->prev_state = r->event == PW_EV_SCHED_SWITCH ? states[(x >> 48) % 5] : NULL;
		r->next_wait_ns = r->event == PW_EV_SCHED_SWITCH && (x & 2) ?
				  (int64_t)(x >> 50) : PW_NONE;
		r->exit_reason = r->event == PW_EV_KVM_EXIT ? reasons[(x >> 52) % 4] : NULL;
		r->target_cpu = r->event == PW_EV_SCHED_WAKEUP ? (int64_t)(x >> 56) % 4 : PW_NONE;
	}
}

/*
 * make_rows()'s first @period rows over and over, times going on by the
 * same steps: matches of any length in every column.
 */
static void make_periodic_rows(struct pw_row *rows, size_t n, size_t period)
{
	make_rows(rows, period < n ? period : n);
	for (size_t i = period; i < n; i++) {
		rows[i] = rows[i - period];
		rows[i].time_ns = rows[i - 1].time_ns +
				  (rows[i - period].time_ns - (i > period ? rows[i - period - 1].time_ns
									 : rows[0].time_ns - 700));
	}
}

static bool str_eq(const char *a, const char *b)
{
	return (!a && !b) || (a && b && !strcmp(a, b));
}

static void assert_row_eq(const struct pw_row *a, const struct pw_row *b, uint64_t i)
{
	if (a->time_ns != b->time_ns || a->cpu != b->cpu || a->event != b->event ||
	    a->pid != b->pid || a->tgid != b->tgid || !str_eq(a->task, b->task) ||
	    a->duration_ns != b->duration_ns || a->next_pid != b->next_pid ||
	    !str_eq(a->next_task, b->next_task) || !str_eq(a->prev_state, b->prev_state) ||
	    a->next_wait_ns != b->next_wait_ns || !str_eq(a->exit_reason, b->exit_reason) ||
	    a->target_cpu != b->target_cpu)
		fail_msg("row %" PRIu64 " differs (time %" PRIu64 "/%" PRIu64 ", duration %" PRId64
			 "/%" PRId64 ", task %s/%s)", i, a->time_ns, b->time_ns, a->duration_ns,
			 b->duration_ns, a->task ? a->task : "(null)", b->task ? b->task : "(null)");
}

static void write_file(const char *path, const struct pw_row *rows, size_t n,
		       unsigned int chunk, const struct pw_meta *meta)
{
	struct pw_cdict_writer_opts o = { .rows_per_chunk = chunk };
	int err = 1;
	struct pw_cdict_writer *w = pw_cdict_writer_open(path, &o, &err);

	assert_non_null(w);
	assert_int_equal(err, 0);
	for (size_t i = 0; i < n; i++)
		assert_int_equal(pw_cdict_writer_add(w, &rows[i]), 0);
	assert_int_equal(pw_cdict_writer_close(w, meta), 0);
}

struct cmp {
	const struct pw_row *rows;
	uint64_t n, i;
};

static int cmp_row(const struct pw_row *r, void *ctx)
{
	struct cmp *c = ctx;

	assert_true(c->i < c->n);
	assert_row_eq(r, &c->rows[c->i], c->i);
	c->i++;
	return 0;
}

static int32_t narrow(int64_t v)
{
	return v == PW_NONE ? PW_NONE32 : (int32_t)v;
}

static const char *loaded_str(const struct pw_columns *c, uint32_t id, const char *want)
{
	assert_true(id < c->nr_strings);
	/* 0 is unknown; anything else is a string, possibly empty */
	return id ? c->strings[id] : (want ? "<unknown>" : NULL);
}

/* Checks every column of a full load against @rows. */
static void assert_loaded(const struct pw_columns *c, const struct pw_row *rows, uint64_t n,
			  unsigned int mask)
{
	assert_int_equal(c->nrows, n);
	for (uint64_t i = 0; i < n; i++) {
		const struct pw_row *r = &rows[i];

		if (mask & PW_COLMASK(PW_COL_TIME_NS))
			assert_true(c->time_ns[i] == r->time_ns);
		if (mask & PW_COLMASK(PW_COL_CPU))
			assert_int_equal(c->cpu[i], narrow(r->cpu));
		if (mask & PW_COLMASK(PW_COL_EVENT))
			assert_int_equal(c->event[i], r->event);
		if (mask & PW_COLMASK(PW_COL_PID))
			assert_int_equal(c->pid[i], narrow(r->pid));
		if (mask & PW_COLMASK(PW_COL_TGID))
			assert_int_equal(c->tgid[i], narrow(r->tgid));
		if (mask & PW_COLMASK(PW_COL_TASK))
			assert_true(str_eq(loaded_str(c, c->task[i], r->task), r->task));
		if (mask & PW_COLMASK(PW_COL_DURATION_NS))
			assert_true(c->duration_ns[i] == r->duration_ns);
		if (mask & PW_COLMASK(PW_COL_NEXT_PID))
			assert_int_equal(c->next_pid[i], narrow(r->next_pid));
		if (mask & PW_COLMASK(PW_COL_NEXT_TASK))
			assert_true(str_eq(loaded_str(c, c->next_task[i], r->next_task),
					   r->next_task));
		if (mask & PW_COLMASK(PW_COL_PREV_STATE))
			assert_true(str_eq(loaded_str(c, c->prev_state[i], r->prev_state),
					   r->prev_state));
		if (mask & PW_COLMASK(PW_COL_NEXT_WAIT_NS))
			assert_true(c->next_wait_ns[i] == r->next_wait_ns);
		if (mask & PW_COLMASK(PW_COL_EXIT_REASON))
			assert_true(str_eq(loaded_str(c, c->exit_reason[i], r->exit_reason),
					   r->exit_reason));
		if (mask & PW_COLMASK(PW_COL_TARGET_CPU))
			assert_int_equal(c->target_cpu[i], narrow(r->target_cpu));
	}
}

/* pw_cdict_scan()'s view of each group, checked against the rows written. */
struct scan_check {
	const struct pw_row *rows;
	unsigned int mask;
	uint64_t next;		/* the row the next group must start at */
	uint32_t groups;
	uint32_t stop_at;	/* return 7 from this group on (0: never) */
};

static int check_group(const struct pw_columns *g, uint64_t first_row, void *ctx)
{
	struct scan_check *k = ctx;

	assert_true(first_row == k->next);
	assert_true(g->nrows > 0);
	assert_loaded(g, k->rows + first_row, g->nrows, k->mask);
	for (int c = 0; c < PW_COL__MAX; c++) {
		static const size_t at[PW_COL__MAX] = {
			[PW_COL_TIME_NS] = offsetof(struct pw_columns, time_ns),
			[PW_COL_CPU] = offsetof(struct pw_columns, cpu),
			[PW_COL_EVENT] = offsetof(struct pw_columns, event),
			[PW_COL_PID] = offsetof(struct pw_columns, pid),
			[PW_COL_TGID] = offsetof(struct pw_columns, tgid),
			[PW_COL_TASK] = offsetof(struct pw_columns, task),
			[PW_COL_DURATION_NS] = offsetof(struct pw_columns, duration_ns),
			[PW_COL_NEXT_PID] = offsetof(struct pw_columns, next_pid),
			[PW_COL_NEXT_TASK] = offsetof(struct pw_columns, next_task),
			[PW_COL_PREV_STATE] = offsetof(struct pw_columns, prev_state),
			[PW_COL_NEXT_WAIT_NS] = offsetof(struct pw_columns, next_wait_ns),
			[PW_COL_EXIT_REASON] = offsetof(struct pw_columns, exit_reason),
			[PW_COL_TARGET_CPU] = offsetof(struct pw_columns, target_cpu),
		};
		const void *arr = *(const void *const *)((const char *)g + at[c]);

		/* exactly the columns asked for */
		assert_true(!arr == !(k->mask & PW_COLMASK(c)));
	}
	k->next += g->nrows;
	k->groups++;
	return k->stop_at && k->groups >= k->stop_at ? 7 : 0;
}

/* Scans @cd for @mask, checking each group; returns the scan's result. */
static int scan_rows(struct pw_cdict *cd, const struct pw_row *rows, unsigned int mask,
		     struct scan_check *k)
{
	*k = (struct scan_check){ .rows = rows, .mask = mask };
	return pw_cdict_scan(cd, mask, check_group, k);
}

/* Opens @path and checks rows (foreach, full load, scan) and row count. */
static void assert_file_rows(const char *path, const struct pw_row *rows, uint64_t n)
{
	struct pw_columns c;
	struct cmp cmp = { rows, n, 0 };
	int err = 1;
	struct pw_cdict *cd = pw_cdict_open(path, &err);

	assert_non_null(cd);
	assert_int_equal(err, 0);
	assert_int_equal(pw_cdict_nrows(cd), n);
	{
		uint64_t lo = UINT64_MAX, hi = 0, tmin, tmax;

		for (uint64_t i = 0; i < n; i++) {
			lo = rows[i].time_ns < lo ? rows[i].time_ns : lo;
			hi = rows[i].time_ns > hi ? rows[i].time_ns : hi;
		}
		assert_int_equal(pw_cdict_time_range(cd, &tmin, &tmax), n > 0);
		if (n) {
			assert_int_equal(tmin, lo);
			assert_int_equal(tmax, hi);
		}
	}
	assert_int_equal(pw_cdict_foreach(cd, cmp_row, &cmp), 0);
	assert_int_equal(cmp.i, n);
	assert_int_equal(pw_cdict_load(cd, PW_COLMASK_ALL, &c), 0);
	assert_loaded(&c, rows, n, PW_COLMASK_ALL);
	pw_columns_release(&c);
	{
		struct scan_check k;

		assert_int_equal(scan_rows(cd, rows, PW_COLMASK_ALL, &k), 0);
		assert_true(k.next == n);
	}
	pw_cdict_close(cd);
}

/* ---- round trips ---- */

static void test_roundtrip_realistic(void **state)
{
	struct fx *f = *state;
	size_t n = 5000;
	struct pw_row *rows = calloc(n, sizeof(*rows));
	struct stat st;

	assert_non_null(rows);
	make_rows(rows, n);
	write_file(f->path, rows, n, 0, NULL);
	assert_file_rows(f->path, rows, n);
	assert_int_equal(stat(f->path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0644);
	assert_int_equal(dir_entries(f->dir), 1);	/* no temporary file left */
	/* tiny groups: every chunk boundary crossed, predictors restarted */
	write_file(f->path, rows, n, 7, NULL);
	assert_file_rows(f->path, rows, n);
	write_file(f->path, rows, n, 1, NULL);
	assert_file_rows(f->path, rows, n);
	free(rows);
}

/* Every column at its extremes, unknown values, empty vs unknown strings. */
static void test_roundtrip_extremes(void **state)
{
	struct fx *f = *state;
	static char longstr[200001];
	struct pw_row rows[12];
	struct cmp cmp = { rows, 12, 0 };
	struct pw_cdict *cd;

	memset(longstr, 'x', sizeof(longstr) - 1);
	longstr[7] = '\x01';	/* any byte but NUL */
	longstr[8] = '\xff';
	memset(rows, 0, sizeof(rows));
	for (int i = 0; i < 12; i++) {
		rows[i] = (struct pw_row){
			.time_ns = 100 + (uint64_t)i * 100, .cpu = PW_NONE, .event = PW_EV_SCHED_SWITCH,
			.pid = PW_NONE, .tgid = PW_NONE, .duration_ns = PW_NONE,
			.next_pid = PW_NONE, .next_wait_ns = PW_NONE, .target_cpu = PW_NONE,
		};
	}
	/* row 0: all unknown. row 1: empty strings (known), zeros */
	rows[1].cpu = 0;
	rows[1].pid = 0;
	rows[1].tgid = 0;
	rows[1].duration_ns = 0;
	rows[1].next_pid = 0;
	rows[1].next_wait_ns = 0;
	rows[1].target_cpu = 0;
	rows[1].task = rows[1].next_task = rows[1].prev_state = rows[1].exit_reason = "";
	/* row 2: 64-bit extremes (INT64_MIN is PW_NONE itself) */
	rows[2].time_ns = UINT64_MAX;
	rows[2].cpu = INT64_MAX;
	rows[2].pid = INT64_MIN + 1;
	rows[2].tgid = -1;
	rows[2].duration_ns = INT64_MAX;
	rows[2].next_pid = INT64_MIN + 1;
	rows[2].next_wait_ns = INT64_MIN + 1;
	rows[2].target_cpu = -7;
	rows[2].event = PW_EV_KVM_ENTRY;
	rows[2].task = longstr;
	rows[2].exit_reason = "EXTERNAL_INTERRUPT";
	/* time going backwards, then a predicted duration whose difference
	 * from the prediction is exactly -2^63 (the 2^64 token) */
	rows[3].time_ns = 5;
	rows[3].cpu = 3;
	rows[3].pid = 10;
	rows[3].next_pid = 42;
	rows[4].time_ns = 105;
	rows[4].cpu = 3;
	rows[4].pid = 42;	/* predicted duration: 100 */
	rows[4].duration_ns = INT64_MIN + 100;
	rows[4].next_pid = 10;	/* predicted wait: 100 */
	rows[4].next_wait_ns = INT64_MIN + 100;
	rows[5] = rows[4];
	rows[5].time_ns = 300;
	rows[5].pid = 10;
	rows[5].duration_ns = 195;	/* exactly predicted */
	rows[5].next_wait_ns = 195;	/* 10 switched out at 105 */
	for (int e = 0; e < PW_EV__MAX && 6 + e < 12; e++) {
		rows[6 + e].event = e;
		rows[6 + e].task = names[e % 7];
	}
	write_file(f->path, rows, 12, 0, NULL);
	cd = pw_cdict_open(f->path, NULL);
	assert_non_null(cd);
	assert_int_equal(pw_cdict_foreach(cd, cmp_row, &cmp), 0);
	assert_int_equal(cmp.i, 12);
	{
		struct pw_columns c;
		unsigned int m64 = PW_COLMASK(PW_COL_TIME_NS) | PW_COLMASK(PW_COL_DURATION_NS) |
				   PW_COLMASK(PW_COL_NEXT_WAIT_NS) | PW_COLMASK(PW_COL_TASK) |
				   PW_COLMASK(PW_COL_NEXT_TASK) | PW_COLMASK(PW_COL_PREV_STATE) |
				   PW_COLMASK(PW_COL_EXIT_REASON) | PW_COLMASK(PW_COL_EVENT);

		assert_int_equal(pw_cdict_load(cd, m64, &c), 0);
		assert_loaded(&c, rows, 12, m64);
		/* unknown is index 0, a known empty string another index, both "" */
		assert_int_equal(c.task[0], 0);
		assert_string_equal(c.strings[0], "");
		assert_int_not_equal(c.task[1], 0);
		assert_string_equal(c.strings[c.task[1]], "");
		assert_int_equal(strlen(c.strings[c.task[2]]), sizeof(longstr) - 1);
		pw_columns_release(&c);
		/* values beyond 32 bits cannot be loaded narrow: a clear error */
		log_reset();
		assert_int_equal(pw_cdict_load(cd, PW_COLMASK(PW_COL_CPU), &c), PW_EFORMAT);
		assert_logged_offset(f->path);
		assert_non_null(strstr(logbuf, "32-bit"));
		assert_null(c.cpu);
	}
	pw_cdict_close(cd);
}

/* A producer that reuses one buffer for every name still gets each name. */
static void test_reused_buffers(void **state)
{
	struct fx *f = *state;
	char buf[4][32];
	struct pw_row rows[64];
	struct pw_cdict_writer *w;
	struct pw_columns c;
	struct pw_cdict *cd;

	make_rows(rows, 64);
	w = pw_cdict_writer_open(f->path, NULL, NULL);
	assert_non_null(w);
	for (int i = 0; i < 64; i++) {
		struct pw_row r = rows[i];

		snprintf(buf[0], sizeof(buf[0]), "task-%d", i % 5);
		snprintf(buf[1], sizeof(buf[1]), "task-%d", i % 3);
		snprintf(buf[2], sizeof(buf[2]), "%s", i & 1 ? "S" : "R+");
		snprintf(buf[3], sizeof(buf[3]), "%.*s", i % 4, "task");	/* "" .. "tas" */
		r.task = buf[0];
		r.next_task = buf[1];
		r.prev_state = buf[2];
		r.exit_reason = buf[3];
		assert_int_equal(pw_cdict_writer_add(w, &r), 0);
	}
	assert_int_equal(pw_cdict_writer_close(w, NULL), 0);
	cd = pw_cdict_open(f->path, NULL);
	assert_non_null(cd);
	assert_int_equal(pw_cdict_load(cd, PW_COLMASK_ALL, &c), 0);
	for (int i = 0; i < 64; i++) {
		char want[32];

		snprintf(want, sizeof(want), "task-%d", i % 5);
		assert_string_equal(c.strings[c.task[i]], want);
		snprintf(want, sizeof(want), "task-%d", i % 3);
		assert_string_equal(c.strings[c.next_task[i]], want);
		assert_string_equal(c.strings[c.prev_state[i]], i & 1 ? "S" : "R+");
		snprintf(want, sizeof(want), "%.*s", i % 4, "task");
		assert_string_equal(c.strings[c.exit_reason[i]], want);
		assert_int_not_equal(c.exit_reason[i], 0);	/* "" is known, not unknown */
	}
	/* unknown; task-0..4 (next_task names among them); S, R+; "" to "tas" */
	assert_int_equal(c.nr_strings, 1 + 5 + 2 + 4);
	pw_columns_release(&c);
	pw_cdict_close(cd);
}

static void test_zero_and_one_row(void **state)
{
	struct fx *f = *state;
	struct pw_row row;
	struct pw_columns c;
	struct pw_cdict *cd;
	struct cmp cmp = { &row, 0, 0 };

	write_file(f->path, NULL, 0, 0, NULL);
	cd = pw_cdict_open(f->path, NULL);
	assert_non_null(cd);
	assert_int_equal(pw_cdict_nrows(cd), 0);
	{
		uint64_t tmin = 1, tmax = 1;

		assert_false(pw_cdict_time_range(cd, &tmin, &tmax));
	}
	assert_int_equal(pw_cdict_foreach(cd, cmp_row, &cmp), 0);
	assert_int_equal(pw_cdict_load(cd, PW_COLMASK_ALL, &c), 0);
	assert_int_equal(c.nrows, 0);
	assert_non_null(c.time_ns);
	assert_int_equal(c.nr_strings, 1);
	pw_columns_release(&c);
	assert_int_equal(pw_cdict_meta(cd)->first_ns, 0);
	assert_int_equal(pw_cdict_meta(cd)->stored[PW_EV_SCHED_SWITCH], 0);
	pw_cdict_close(cd);

	make_rows(&row, 1);
	write_file(f->path, &row, 1, 0, NULL);
	assert_file_rows(f->path, &row, 1);
	cd = pw_cdict_open(f->path, NULL);
	assert_non_null(cd);
	assert_int_equal(pw_cdict_meta(cd)->first_ns, row.time_ns);
	assert_int_equal(pw_cdict_meta(cd)->last_ns, row.time_ns);
	assert_int_equal(pw_cdict_meta(cd)->stored[row.event], 1);
	pw_cdict_close(cd);
}

/* Index entry of column @col in row group @g, parsed as docs/cdict.md says. */
static void chunk_of(const char *path, uint32_t g, int col, uint64_t *off, uint32_t *size)
{
	uint8_t tr[32], ix[96 + 13 * 32 + 32 + 13 * 16];
	FILE *fp = fopen(path, "rb");
	uint64_t ix_off, pos;

	assert_non_null(fp);
	assert_int_equal(fseek(fp, -32, SEEK_END), 0);
	assert_int_equal(fread(tr, 1, 32, fp), 32);
	memcpy(&ix_off, tr, 8);
	pos = ix_off + 96 + 13 * 32 + (uint64_t)g * (32 + 13 * 16);
	assert_int_equal(fseek(fp, (long)pos, SEEK_SET), 0);
	assert_int_equal(fread(ix, 1, 32 + 13 * 16, fp), 32 + 13 * 16);
	memcpy(off, ix + 32 + col * 16, 8);
	memcpy(size, ix + 32 + col * 16 + 8, 4);
	fclose(fp);
}

static void poke(const char *path, uint64_t off, uint8_t xor)
{
	int fd = open(path, O_RDWR);
	uint8_t b;

	assert_true(fd >= 0);
	assert_int_equal(pread(fd, &b, 1, (off_t)off), 1);
	b ^= xor;
	assert_int_equal(pwrite(fd, &b, 1, (off_t)off), 1);
	close(fd);
}

static void test_load_selected(void **state)
{
	struct fx *f = *state;
	size_t n = 3000;
	struct pw_row *rows = calloc(n, sizeof(*rows));
	unsigned int sel = PW_COLMASK(PW_COL_TIME_NS) | PW_COLMASK(PW_COL_PID) |
			   PW_COLMASK(PW_COL_TASK);
	struct pw_columns c;
	struct pw_cdict *cd;
	uint64_t off;
	uint32_t size;

	assert_non_null(rows);
	make_rows(rows, n);
	write_file(f->path, rows, n, 1000, NULL);
	/* damage the middle of tgid's and exit_reason's chunks of group 1 */
	chunk_of(f->path, 1, PW_COL_TGID, &off, &size);
	poke(f->path, off + size / 2, 0x55);
	chunk_of(f->path, 1, PW_COL_EXIT_REASON, &off, &size);
	poke(f->path, off + size / 2, 0x55);
	cd = pw_cdict_open(f->path, NULL);
	assert_non_null(cd);
	assert_int_equal(pw_cdict_load(cd, sel, &c), 0);
	assert_loaded(&c, rows, n, sel);
	assert_null(c.cpu);
	assert_null(c.tgid);
	assert_null(c.duration_ns);
	assert_null(c.exit_reason);
	/* one table for every string column: unknown, 7 names (one ""), 5 states,
	 * 4 exit reasons */
	assert_int_equal(c.nr_strings, 1 + 7 + 5 + 4);
	pw_columns_release(&c);
	/* durations are predicted from time, cpu, event, pid, next_pid only */
	sel = PW_COLMASK(PW_COL_DURATION_NS) | PW_COLMASK(PW_COL_NEXT_WAIT_NS);
	assert_int_equal(pw_cdict_load(cd, sel, &c), 0);
	assert_loaded(&c, rows, n, sel);
	assert_null(c.time_ns);
	pw_columns_release(&c);
	/* the damaged column itself fails, naming the chunk's offset */
	log_reset();
	assert_int_equal(pw_cdict_load(cd, PW_COLMASK(PW_COL_TGID), &c), PW_ECOMPRESS);
	assert_logged_offset(f->path);
	chunk_of(f->path, 1, PW_COL_TGID, &off, &size);
	{
		char want[64];

		snprintf(want, sizeof(want), "offset %" PRIu64 ":", off);
		assert_non_null(strstr(logbuf, want));
	}
	assert_int_equal(pw_cdict_load(cd, 1u << PW_COL__MAX, &c), PW_EINVAL);
	pw_cdict_close(cd);
	free(rows);
}

/* Large enough to be decoded by several threads: same values, one error. */
static void test_load_threads(void **state)
{
	struct fx *f = *state;
	size_t n = 200000;
	struct pw_row *rows = calloc(n, sizeof(*rows));
	struct pw_columns c;
	struct pw_cdict *cd;
	uint64_t off;
	uint32_t size;
	char want[64];

	assert_non_null(rows);
	make_rows(rows, n);
	write_file(f->path, rows, n, 4096, NULL);	/* 49 groups */
	assert_file_rows(f->path, rows, n);
	chunk_of(f->path, 30, PW_COL_TGID, &off, &size);
	poke(f->path, off + size / 2, 0x55);
	cd = pw_cdict_open(f->path, NULL);
	assert_non_null(cd);
	for (int rep = 0; rep < 3; rep++) {	/* helpers are reused */
		assert_int_equal(pw_cdict_load(cd, PW_COLMASK_ALL & ~PW_COLMASK(PW_COL_TGID), &c), 0);
		assert_loaded(&c, rows, n, PW_COLMASK_ALL & ~PW_COLMASK(PW_COL_TGID));
		pw_columns_release(&c);
		log_reset();
		assert_int_equal(pw_cdict_load(cd, PW_COLMASK(PW_COL_TGID), &c), PW_ECOMPRESS);
		assert_int_equal(nerrors, 1);
		snprintf(want, sizeof(want), "offset %" PRIu64 ": ", off);
		assert_non_null(strstr(logbuf, want));
		assert_non_null(strstr(logbuf, "tgid chunk of row group 30"));
		assert_null(c.tgid);
	}
	pw_cdict_close(cd);
	free(rows);
}

/*
 * Scanning: the groups in order with the columns asked for, by one thread
 * or several; a bad group stops the scan there, and so does the callback.
 */
static void test_scan(void **state)
{
	struct fx *f = *state;
	size_t n = 200000;
	struct pw_row *rows = calloc(n, sizeof(*rows));
	unsigned int some = PW_COLMASK(PW_COL_DURATION_NS) | PW_COLMASK(PW_COL_TASK);
	struct scan_check k;
	struct pw_cdict *cd;
	uint64_t off;
	uint32_t size;
	char want[64];

	assert_non_null(rows);
	make_rows(rows, n);
	for (int big = 0; big < 2; big++) {
		/* 99999 rows: one thread; 200000: one per CPU */
		size_t rows_in = big ? n : 99999;

		write_file(f->path, rows, rows_in, 4096, NULL);
		cd = pw_cdict_open(f->path, NULL);
		assert_non_null(cd);
		for (int rep = 0; rep < 2; rep++) {	/* helpers are reused */
			assert_int_equal(scan_rows(cd, rows, PW_COLMASK_ALL, &k), 0);
			assert_true(k.next == rows_in);
			assert_int_equal(k.groups, (rows_in + 4095) / 4096);
			/* predicted durations without their inputs handed over */
			assert_int_equal(scan_rows(cd, rows, some, &k), 0);
			assert_true(k.next == rows_in);
		}
		k = (struct scan_check){ .rows = rows, .mask = some, .stop_at = 5 };
		assert_int_equal(pw_cdict_scan(cd, some, check_group, &k), 7);
		assert_int_equal(k.groups, 5);
		assert_int_equal(pw_cdict_scan(cd, 1u << PW_COL__MAX, check_group, &k),
				 PW_EINVAL);
		pw_cdict_close(cd);
	}
	/* group 30's tgid is damaged: the 30 groups before it, then its error */
	chunk_of(f->path, 30, PW_COL_TGID, &off, &size);
	poke(f->path, off + size / 2, 0x55);
	cd = pw_cdict_open(f->path, NULL);
	assert_non_null(cd);
	for (int rep = 0; rep < 3; rep++) {
		assert_int_equal(scan_rows(cd, rows, PW_COLMASK_ALL & ~PW_COLMASK(PW_COL_TGID), &k),
				 0);
		log_reset();
		assert_int_equal(scan_rows(cd, rows, PW_COLMASK_ALL, &k), PW_ECOMPRESS);
		assert_int_equal(k.groups, 30);
		assert_int_equal(nerrors, 1);
		snprintf(want, sizeof(want), "offset %" PRIu64 ": ", off);
		assert_non_null(strstr(logbuf, want));
		assert_non_null(strstr(logbuf, "tgid chunk of row group 30"));
	}
	pw_cdict_close(cd);
	free(rows);
}

static void test_meta_roundtrip(void **state)
{
	struct fx *f = *state;
	struct pw_meta m;
	const struct pw_meta *r;
	struct pw_row rows[3];
	struct pw_cdict *cd;
	unsigned int major, minor;

	pw_meta_init(&m);
	m.hostname = strdup("host-1");
	m.os_release = strdup("6.1.0-18-amd64");
	m.arch = strdup("x86_64");
	m.perf_version = strdup("6.1.192");
	m.cmdline = strdup("perf record -a -e sched:*");
	m.nr_cpus = 2;
	m.first_ns = 1;		/* replaced by the rows' */
	m.stored[PW_EV_KVM_EXIT] = 99;	/* likewise */
	assert_int_equal(pw_meta_add_dropped(&m, "sched:sched_waking", 390202), 0);
	assert_int_equal(pw_meta_add_dropped(&m, "sched:sched_stat_runtime", 402829), 0);
	m.lost = 3;
	m.lost_samples = 4;
	m.unknown_records = 5;
	m.unknown_ids = 6;
	m.out_of_order = 7;
	m.undecodable = UINT64_MAX;
	m.partial = true;
	m.source = strdup("perf.data file run.data");
	m.legacy_note = strdup("");	/* empty, not unknown */
	m.map_file = strdup("map.csv");
	m.map_digest = strdup("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
	make_rows(rows, 3);
	rows[0].event = rows[2].event = PW_EV_SCHED_SWITCH;
	rows[1].event = PW_EV_SCHED_WAKEUP;
	write_file(f->path, rows, 3, 0, &m);

	cd = pw_cdict_open(f->path, NULL);
	assert_non_null(cd);
	r = pw_cdict_meta(cd);
	assert_string_equal(r->hostname, "host-1");
	assert_string_equal(r->os_release, "6.1.0-18-amd64");
	assert_string_equal(r->arch, "x86_64");
	assert_string_equal(r->perf_version, "6.1.192");
	assert_string_equal(r->cmdline, "perf record -a -e sched:*");
	assert_int_equal(r->nr_cpus, 2);
	assert_true(r->first_ns == rows[0].time_ns);
	assert_true(r->last_ns == rows[2].time_ns);
	assert_int_equal(r->stored[PW_EV_SCHED_SWITCH], 2);
	assert_int_equal(r->stored[PW_EV_SCHED_WAKEUP], 1);
	assert_int_equal(r->stored[PW_EV_KVM_EXIT], 0);
	assert_int_equal(r->nr_dropped, 2);
	assert_string_equal(r->dropped[0].name, "sched:sched_waking");
	assert_int_equal(r->dropped[0].count, 390202);
	assert_string_equal(r->dropped[1].name, "sched:sched_stat_runtime");
	assert_int_equal(r->dropped[1].count, 402829);
	assert_int_equal(r->lost, 3);
	assert_int_equal(r->lost_samples, 4);
	assert_int_equal(r->unknown_records, 5);
	assert_int_equal(r->unknown_ids, 6);
	assert_int_equal(r->out_of_order, 7);
	assert_true(r->undecodable == UINT64_MAX);
	assert_true(r->partial);
	assert_string_equal(r->source, "perf.data file run.data");
	assert_non_null(r->legacy_note);
	assert_string_equal(r->legacy_note, "");
	assert_string_equal(r->map_file, "map.csv");
	assert_string_equal(r->map_digest, m.map_digest);
	pw_cdict_version(cd, &major, &minor);
	assert_int_equal(major, PW_CDICT_VERSION_MAJOR);
	assert_int_equal(minor, PW_CDICT_VERSION_MINOR);
	pw_cdict_close(cd);

	/* unknown stays unknown; negative CPU counts survive too */
	pw_meta_release(&m);
	pw_meta_init(&m);
	write_file(f->path, rows, 3, 0, &m);
	cd = pw_cdict_open(f->path, NULL);
	assert_non_null(cd);
	r = pw_cdict_meta(cd);
	assert_null(r->hostname);
	assert_null(r->legacy_note);
	assert_null(r->map_file);
	assert_int_equal(r->nr_cpus, PW_NONE);
	assert_int_equal(r->nr_dropped, 0);
	assert_false(r->partial);
	pw_cdict_close(cd);
	m.nr_cpus = -3;
	write_file(f->path, rows, 3, 0, &m);
	cd = pw_cdict_open(f->path, NULL);
	assert_non_null(cd);
	assert_int_equal(pw_cdict_meta(cd)->nr_cpus, -3);
	pw_cdict_close(cd);
	pw_meta_release(&m);
}

/* ---- bad files ---- */

static uint8_t *slurp(const char *path, size_t *len)
{
	FILE *fp = fopen(path, "rb");
	uint8_t *buf;
	long n;

	assert_non_null(fp);
	fseek(fp, 0, SEEK_END);
	n = ftell(fp);
	rewind(fp);
	buf = malloc((size_t)n + 1);
	assert_non_null(buf);
	assert_int_equal(fread(buf, 1, (size_t)n, fp), (size_t)n);
	fclose(fp);
	*len = (size_t)n;
	return buf;
}

/*
 * With its encoder thread (the default on more than one CPU) the writer
 * writes the very same bytes as in one thread: more batches than its ring
 * holds, full and partial row groups, small groups too.
 */
static void test_encoder_thread(void **state)
{
	struct fx *f = *state;
	size_t n = 150000;
	struct pw_row *rows = calloc(n, sizeof(*rows));
	char other[160];
	static const unsigned int chunks[] = { 0, 1000 };

	assert_non_null(rows);
	make_rows(rows, n);
	snprintf(other, sizeof(other), "%s/thread.cdict", f->dir);
	for (size_t k = 0; k < sizeof(chunks) / sizeof(chunks[0]); k++) {
		struct pw_cdict_writer_opts o = { .rows_per_chunk = chunks[k],
						  .single_thread = true };
		struct pw_cdict_writer *w = pw_cdict_writer_open(other, &o, NULL);
		uint8_t *a, *b;
		size_t la, lb;

		assert_non_null(w);
		for (size_t i = 0; i < n; i++)
			assert_int_equal(pw_cdict_writer_add(w, &rows[i]), 0);
		assert_int_equal(pw_cdict_writer_close(w, NULL), 0);
		write_file(f->path, rows, n, chunks[k], NULL);
		a = slurp(f->path, &la);
		b = slurp(other, &lb);
		assert_int_equal(la, lb);
		assert_memory_equal(a, b, la);
		free(a);
		free(b);
		assert_file_rows(other, rows, n);
	}
	free(rows);
}

/*
 * With no level asked for, time_ns and the columns of short tokens are
 * compressed with parameters of their own and the others at level 3; a
 * level asked for applies to every column. The rows repeat, so that every
 * chunk keeps its matches: random ones go in literals only at any level.
 */
static void test_column_levels(void **state)
{
	struct fx *f = *state;
	size_t n = 20000;
	struct pw_row *rows = calloc(n, sizeof(*rows));
	char other[160];
	struct pw_cdict_writer_opts o = { .zstd_level = 3 };
	struct pw_cdict_writer *w;
	uint8_t *a, *b;
	size_t la, lb;
	int fast_differ = 0;

	assert_non_null(rows);
	make_periodic_rows(rows, n, 2000);
	snprintf(other, sizeof(other), "%s/level3.cdict", f->dir);
	w = pw_cdict_writer_open(other, &o, NULL);
	assert_non_null(w);
	for (size_t i = 0; i < n; i++)
		assert_int_equal(pw_cdict_writer_add(w, &rows[i]), 0);
	assert_int_equal(pw_cdict_writer_close(w, NULL), 0);
	write_file(f->path, rows, n, 0, NULL);
	a = slurp(f->path, &la);
	b = slurp(other, &lb);
	for (int c = 0; c < PW_COL__MAX; c++) {
		uint64_t oa, ob;
		uint32_t sa, sb;
		bool fast = c == PW_COL_TIME_NS || c == PW_COL_CPU || c == PW_COL_TASK ||
			    c == PW_COL_NEXT_TASK ||
			    c == PW_COL_PREV_STATE || c == PW_COL_EXIT_REASON ||
			    c == PW_COL_TARGET_CPU;
		bool same;

		chunk_of(f->path, 0, c, &oa, &sa);
		chunk_of(other, 0, c, &ob, &sb);
		assert_true(oa + sa <= la && ob + sb <= lb);
		same = sa == sb && !memcmp(a + oa, b + ob, sa);
		if (!fast && !same)
			fail_msg("column %d: not compressed at level 3 by default", c);
		fast_differ += fast && !same;
	}
	assert_true(fast_differ > 0);
	free(a);
	free(b);
	assert_file_rows(f->path, rows, n);
	assert_file_rows(other, rows, n);
	free(rows);
}

/*
 * time_ns's chunk is one zstd frame, declaring its size, whose first block
 * ends with the low bytes of the deltas (one a row, here random: stored as
 * they are), the high varints after it in blocks of their own.
 */
static void test_time_two_blocks(void **state)
{
	struct fx *f = *state;
	const size_t n = 3000;
	struct pw_row *rows = calloc(n, sizeof(*rows));
	uint8_t *buf, *raw;
	unsigned long long content;
	uint64_t off, t = 1000000;
	uint32_t size, bh;
	size_t len, fhs;

	assert_non_null(rows);
	for (size_t i = 0; i < n; i++) {
		struct pw_row *r = &rows[i];
		uint64_t x = next_rand();

		r->time_ns = t += (x & 0xff) | (x >> 8 & 3) << 8;
		r->event = PW_EV_KVM_EXIT;
		r->cpu = 0;
		r->pid = r->tgid = r->duration_ns = r->next_pid = PW_NONE;
		r->next_wait_ns = r->target_cpu = PW_NONE;
	}
	write_file(f->path, rows, n, 0, NULL);
	assert_file_rows(f->path, rows, n);
	buf = slurp(f->path, &len);
	chunk_of(f->path, 0, PW_COL_TIME_NS, &off, &size);
	assert_true(off + size <= len);
	assert_int_equal(ZSTD_findFrameCompressedSize(buf + off, size), size);
	content = ZSTD_getFrameContentSize(buf + off, size);
	assert_true(content > n && content <= 2 * n + 8);	/* the first delta: a few bytes */
	raw = malloc(content);
	assert_non_null(raw);
	assert_int_equal(ZSTD_decompress(raw, content, buf + off, size), content);
	for (size_t i = 0; i < n; i++)
		assert_int_equal(raw[i], (uint8_t)(rows[i].time_ns - (i ? rows[i - 1].time_ns : 0)));
	/* the first block: not the last, raw (type 0), of the n low bytes;
	 * after the frame header (RFC 8878 3.1.1.1): magic, descriptor,
	 * window (unless single segment), dictionary id, content size */
	{
		uint8_t d = buf[off + 4];
		static const uint8_t did[4] = { 0, 1, 2, 4 }, fcs[4] = { 0, 2, 4, 8 };

		fhs = 5 + !(d & 0x20) + did[d & 3] + (d >> 6 ? fcs[d >> 6] : !!(d & 0x20));
	}
	assert_true(fhs + 3 <= size);
	bh = buf[off + fhs] | buf[off + fhs + 1] << 8 | (uint32_t)buf[off + fhs + 2] << 16;
	assert_int_equal(bh & 1, 0);
	assert_int_equal(bh >> 1 & 3, 0);
	assert_int_equal(bh >> 3, n);
	free(raw);
	free(buf);
	free(rows);
}

/*
 * The compressed blocks of the zstd frame at @p (@size bytes) that hold
 * sequences (matches), besides literals: RFC 8878 3.1.1.2 and 3.1.1.3.
 */
static int blocks_with_matches(const uint8_t *p, size_t size)
{
	static const uint8_t did[4] = { 0, 1, 2, 4 }, fcs[4] = { 0, 2, 4, 8 };
	uint8_t d = p[4];
	size_t pos = 5 + !(d & 0x20) + did[d & 3] + (d >> 6 ? fcs[d >> 6] : !!(d & 0x20));
	int with = 0;

	for (;;) {
		uint32_t bh, len;

		assert_true(pos + 3 <= size);
		bh = p[pos] | p[pos + 1] << 8 | (uint32_t)p[pos + 2] << 16;
		pos += 3;
		len = bh >> 3;
		assert_true(len <= ZSTD_BLOCKSIZE_MAX);
		if ((bh >> 1 & 3) == 1) {		/* RLE: one byte */
			len = 1;
		} else if ((bh >> 1 & 3) == 2) {	/* compressed: literals, sequences */
			const uint8_t *b = p + pos;
			uint32_t lt = b[0] & 3, sf = b[0] >> 2 & 3, h, lits;

			assert_true(len >= 5);
			if (lt < 2) {			/* raw or RLE literals */
				h = sf == 1 ? 2 : sf == 3 ? 3 : 1;
				lits = sf == 1 ? (b[0] >> 4) + ((uint32_t)b[1] << 4) :
				       sf == 3 ? (b[0] >> 4) + ((uint32_t)b[1] << 4) + ((uint32_t)b[2] << 12) :
						 b[0] >> 3;
				h += lt ? 1 : lits;
			} else {			/* Huffman-coded */
				uint32_t x = b[0] | b[1] << 8 | (uint32_t)b[2] << 16;

				if (sf < 2) {
					h = 3 + (x >> 14 & 0x3ff);
				} else if (sf == 2) {
					x |= (uint32_t)b[3] << 24;
					h = 4 + (x >> 18);
				} else {
					x |= (uint32_t)b[3] << 24;
					h = 5 + ((x >> 22) | (uint32_t)b[4] << 10);
				}
			}
			assert_true(h < len);
			with += b[h] != 0;	/* Number_of_Sequences */
		}
		pos += len;
		if (bh & 1)
			break;
	}
	assert_int_equal(pos + 4, size);	/* the checksum */
	return with;
}

/* The compressed size of @raw (@len bytes) as a level-@level frame with matches. */
static size_t matches_size(const uint8_t *raw, size_t len, int level, int min_match)
{
	ZSTD_CCtx *c = ZSTD_createCCtx();
	size_t cap = ZSTD_compressBound(len), n;
	void *dst = malloc(cap);

	assert_non_null(c);
	assert_non_null(dst);
	assert_false(ZSTD_isError(ZSTD_CCtx_setParameter(c, ZSTD_c_compressionLevel, level)));
	assert_false(ZSTD_isError(ZSTD_CCtx_setParameter(c, ZSTD_c_minMatch, min_match)));
	assert_false(ZSTD_isError(ZSTD_CCtx_setParameter(c, ZSTD_c_checksumFlag, 1)));
	n = ZSTD_compress2(c, dst, cap, raw, len);
	assert_false(ZSTD_isError(n));
	free(dst);
	ZSTD_freeCCtx(c);
	return n;
}

/* blocks_with_matches() of row group @g's cpu chunk in @path (read into
 * @buf); its place in *@at and *@bytes unless they are NULL. */
static int cpu_chunk_matches(const char *path, const uint8_t *buf, size_t len, uint32_t g,
			     uint64_t *at, uint32_t *bytes)
{
	uint64_t off;
	uint32_t size;

	chunk_of(path, g, PW_COL_CPU, &off, &size);
	assert_true(off + size <= len);
	if (at)
		*at = off;
	if (bytes)
		*bytes = size;
	return blocks_with_matches(buf + off, size);
}

/*
 * A column whose tokens look random (make_rows()) goes in frames of
 * literals only, smaller than with matches; one that repeats keeps its
 * matches. A column's first chunk tries both ways, and every
 * PW_CD_LIT_PROBE-th after it: the others go the way that won. Here the
 * rows turn periodic in row group 20, which the cpu column follows from
 * group 2 * PW_CD_LIT_PROBE, the first try after it.
 */
static void test_literal_chunks(void **state)
{
	struct fx *f = *state;
	const unsigned int per = 1000, groups = 40, turn = 20;
	const size_t n = (size_t)per * groups, big = ZSTD_BLOCKSIZE_MAX + 9000;
	struct pw_row *rows = calloc(big, sizeof(*rows));
	uint8_t *buf;
	size_t len;

	_Static_assert(2 * PW_CD_LIT_PROBE < 40 && PW_CD_LIT_PROBE > 20 - PW_CD_LIT_PROBE,
		       "row group 20 falls between two tries");
	assert_non_null(rows);
	make_rows(rows, (size_t)per * turn);
	make_periodic_rows(rows + (size_t)per * turn, n - (size_t)per * turn, 37);
	for (size_t i = (size_t)per * turn; i < n; i++)
		rows[i].time_ns += rows[per * turn - 1].time_ns;
	write_file(f->path, rows, n, per, NULL);
	assert_file_rows(f->path, rows, n);
	buf = slurp(f->path, &len);
	for (unsigned int g = 0; g < groups; g++) {
		uint64_t off;
		uint32_t size;
		int with = cpu_chunk_matches(f->path, buf, len, g, &off, &size);

		if (g < 2 * PW_CD_LIT_PROBE && with)
			fail_msg("row group %u: cpu chunk has matches", g);
		if (g >= 2 * PW_CD_LIT_PROBE && !with)
			fail_msg("row group %u: cpu chunk has no matches", g);
		if (g % PW_CD_LIT_PROBE == 0) {
			/* a try: the smaller of the two */
			unsigned long long raw_len = ZSTD_getFrameContentSize(buf + off, size);
			uint8_t *raw = malloc(raw_len);
			size_t m;

			assert_non_null(raw);
			assert_int_equal(ZSTD_decompress(raw, raw_len, buf + off, size), raw_len);
			m = matches_size(raw, raw_len, 1, 7);
			if (g < turn)
				assert_true(size < m);
			else
				assert_int_equal(size, m);
			free(raw);
		}
	}
	free(buf);

	/* literals only in parts over 128 KiB: a block each 128 KiB */
	make_rows(rows, big);
	write_file(f->path, rows, big, (unsigned int)big, NULL);
	assert_file_rows(f->path, rows, big);
	buf = slurp(f->path, &len);
	{
		uint64_t off;
		uint32_t size;

		chunk_of(f->path, 0, PW_COL_EVENT, &off, &size);
		assert_true(off + size <= len);
		assert_int_equal(blocks_with_matches(buf + off, size), 0);
	}
	free(buf);
	free(rows);
}

/*
 * test-cdict is linked with --wrap=ZSTD_compressSequences (Makefile): the
 * writer's calls come here. They are counted, and those past
 * lit_calls_ok fail as zstd fails when it runs out of memory.
 */
size_t __real_ZSTD_compressSequences(ZSTD_CCtx *cctx, void *dst, size_t cap,
				     const ZSTD_Sequence *seqs, size_t nseqs, const void *src,
				     size_t len);
size_t __wrap_ZSTD_compressSequences(ZSTD_CCtx *cctx, void *dst, size_t cap,
				     const ZSTD_Sequence *seqs, size_t nseqs, const void *src,
				     size_t len);

static unsigned int lit_calls, lit_calls_ok = UINT_MAX;

size_t __wrap_ZSTD_compressSequences(ZSTD_CCtx *cctx, void *dst, size_t cap,
				     const ZSTD_Sequence *seqs, size_t nseqs, const void *src,
				     size_t len)
{
	if (lit_calls++ >= lit_calls_ok)
		return (size_t)-ZSTD_error_memory_allocation;
	return __real_ZSTD_compressSequences(cctx, dst, cap, seqs, nseqs, src, len);
}

/*
 * When a frame of literals only cannot be made, the chunk goes with
 * matches: at a try (the first chunk of a column) the matches are kept,
 * and a chunk that was to go with literals (the way that won the try)
 * goes with matches, as do the next ones until the next try. The rows
 * read back either way.
 */
static void test_literal_fallback(void **state)
{
	struct fx *f = *state;
	const unsigned int per = 1000, groups = 2 * PW_CD_LIT_PROBE + 1;
	const size_t n = (size_t)per * groups;
	struct pw_row *rows = calloc(n, sizeof(*rows));
	unsigned int first, won, tries = 0;
	uint8_t *buf;
	size_t len;

	assert_non_null(rows);
	make_rows(rows, n);
	/* the calls of the first row group alone, then of two, all good:
	 * the second group calls once for each column literals won */
	lit_calls = 0;
	write_file(f->path, rows, per, per, NULL);
	first = lit_calls;
	lit_calls = 0;
	write_file(f->path, rows, 2 * (size_t)per, per, NULL);
	won = lit_calls - first;
	assert_true(first > 0);
	assert_true(won > 0 && won <= first);

	for (int way = 0; way < 2; way++) {
		/* way 0: every call fails; way 1: those after the first group's */
		lit_calls = 0;
		lit_calls_ok = way ? first : 0;
		write_file(f->path, rows, n, per, NULL);
		lit_calls_ok = UINT_MAX;
		assert_file_rows(f->path, rows, n);
		buf = slurp(f->path, &len);
		for (unsigned int g = 0; g < groups; g++) {
			int with = cpu_chunk_matches(f->path, buf, len, g, NULL, NULL);

			if (way && g == 0 && with)
				fail_msg("row group 0: cpu chunk has matches");
			if ((!way || g) && !with)
				fail_msg("way %d, row group %u: cpu chunk has no matches", way, g);
		}
		free(buf);
		/*
		 * Way 0 calls at the tries only (groups 0, PW_CD_LIT_PROBE and
		 * 2 * PW_CD_LIT_PROBE); way 1 at those and once for each column
		 * whose literals failed in group 1, not again before the next try.
		 */
		if (!way)
			tries = lit_calls;
		else
			assert_int_equal(lit_calls, tries + won);
	}
	free(rows);
}

static void spill(const char *path, const uint8_t *buf, size_t len)
{
	FILE *fp = fopen(path, "wb");

	assert_non_null(fp);
	assert_int_equal(fwrite(buf, 1, len, fp), len);
	fclose(fp);
}

struct load_result {
	int err;
	struct cmp cmp;
};

/*
 * Opens @path and reads everything; returns 0 when all of it matches @rows,
 * else the error, after checking the log names the file and an offset.
 */
static int read_back(const char *path, const struct pw_row *rows, uint64_t n)
{
	struct cmp cmp = { rows, n, 0 };
	struct pw_columns c;
	struct pw_cdict *cd;
	int err = 0;

	log_reset();
	cd = pw_cdict_open(path, &err);
	if (!cd) {
		assert_true(err < 0);
		assert_logged_offset(path);
		return err;
	}
	if (pw_cdict_nrows(cd) != n)
		fail_msg("%s opened with %" PRIu64 " rows instead of %" PRIu64, path,
			 pw_cdict_nrows(cd), n);
	err = pw_cdict_foreach(cd, cmp_row, &cmp);
	if (!err)
		assert_int_equal(cmp.i, n);
	if (!err) {
		err = pw_cdict_load(cd, PW_COLMASK_ALL, &c);
		if (!err) {
			assert_loaded(&c, rows, n, PW_COLMASK_ALL);
			pw_columns_release(&c);
		}
	}
	if (!err) {
		struct scan_check k;

		err = scan_rows(cd, rows, PW_COLMASK_ALL, &k);
		if (!err)
			assert_true(k.next == n);
	}
	pw_cdict_close(cd);
	if (err) {
		assert_true(err < 0);
		assert_logged_offset(path);
	}
	return err;
}

static void test_truncated_everywhere(void **state)
{
	struct fx *f = *state;
	struct pw_row rows[40];
	char cut[160];
	uint8_t *buf;
	size_t len;
	int by_err[8] = { 0 };

	make_rows(rows, 40);
	write_file(f->path, rows, 40, 16, NULL);	/* 3 groups */
	buf = slurp(f->path, &len);
	snprintf(cut, sizeof(cut), "%s/cut.cdict", f->dir);
	/* every length: inside the header, chunks, strings, metadata, index, trailer */
	for (size_t l = 0; l < len; l++) {
		int err;

		spill(cut, buf, l);
		err = read_back(cut, rows, 40);
		if (!err)
			fail_msg("a cdict cut to %zu of %zu bytes was accepted", l, len);
		assert_true(err == PW_ETRUNCATED || err == PW_EFORMAT);
		by_err[err == PW_ETRUNCATED]++;
		if (l < 16)
			assert_non_null(strstr(logbuf, "not even a cdict header"));
		else if (l >= 48)
			assert_non_null(strstr(logbuf, "not completely written"));
	}
	assert_int_equal(by_err[1], len);
	/* sanity: the untouched file reads */
	spill(cut, buf, len);
	assert_int_equal(read_back(cut, rows, 40), 0);
	free(buf);
}

static void test_flipped_bytes(void **state)
{
	struct fx *f = *state;
	struct pw_row rows[40];
	char bad[160];
	uint8_t *buf;
	size_t len, detected = 0;

	make_rows(rows, 40);
	write_file(f->path, rows, 40, 16, NULL);
	buf = slurp(f->path, &len);
	snprintf(bad, sizeof(bad), "%s/bad.cdict", f->dir);
	for (size_t i = 0; i < len; i++) {
		for (int bit = 0; bit < 8; bit += 3) {
			buf[i] ^= (uint8_t)(1u << bit);
			spill(bad, buf, len);
			/* either a clear error, or exactly the original content */
			if (read_back(bad, rows, 40))
				detected++;
			buf[i] ^= (uint8_t)(1u << bit);
		}
	}
	/* the CRCs and zstd checksums leave only harmless bits undetected */
	if (detected < len * 3 * 95 / 100)
		fail_msg("only %zu of %zu flips detected", detected, len * 3);
	free(buf);
}

/* Rewrites the index CRC and trailer CRC of an edited file image. */
static void reseal(uint8_t *buf, size_t len)
{
	uint8_t *tr = buf + len - 32;
	uint64_t ix_off, ix_size;
	uint32_t crc;

	memcpy(&ix_off, tr, 8);
	memcpy(&ix_size, tr + 8, 8);
	crc = (uint32_t)crc32(0, buf + ix_off, (uInt)ix_size);
	memcpy(tr + 16, &crc, 4);
	crc = (uint32_t)crc32(0, tr, 20);
	memcpy(tr + 20, &crc, 4);
}

static void test_magic_and_versions(void **state)
{
	struct fx *f = *state;
	struct pw_row rows[10];
	char bad[160], want[64];
	uint8_t *buf;
	size_t len;
	int err;

	make_rows(rows, 10);
	write_file(f->path, rows, 10, 0, NULL);
	buf = slurp(f->path, &len);
	snprintf(bad, sizeof(bad), "%s/bad.cdict", f->dir);

	buf[1] = 'X';	/* wrong magic */
	spill(bad, buf, len);
	assert_int_equal(read_back(bad, rows, 10), PW_EFORMAT);
	assert_non_null(strstr(logbuf, "offset 0: not a cdict"));
	buf[1] = 'P';

	buf[8] = PW_CDICT_VERSION_MAJOR + 1;	/* a future major version */
	spill(bad, buf, len);
	assert_int_equal(read_back(bad, rows, 10), PW_EVERSION);
	snprintf(want, sizeof(want), "offset 8: cdict format version %d.%d",
		 PW_CDICT_VERSION_MAJOR + 1, PW_CDICT_VERSION_MINOR);
	assert_non_null(strstr(logbuf, want));
	assert_non_null(strstr(logbuf, "newer perfwhiz"));
	buf[8] = 0;	/* and a past one */
	spill(bad, buf, len);
	assert_int_equal(read_back(bad, rows, 10), PW_EVERSION);
	buf[8] = PW_CDICT_VERSION_MAJOR;

	buf[10] = 7;	/* a later minor version reads as before */
	spill(bad, buf, len);
	assert_int_equal(read_back(bad, rows, 10), 0);
	buf[10] = 0;

	/* the original tool's cdict (zlib) is not this format */
	spill(bad, (const uint8_t *)"\x78\x9c\x01\x02\x03", 5);
	assert_int_equal(read_back(bad, rows, 10), PW_ETRUNCATED);

	log_reset();
	assert_null(pw_cdict_open("/nonexistent/run.cdict", &err));
	assert_int_equal(err, PW_ENOENT);
	assert_non_null(strstr(logbuf, "/nonexistent/run.cdict"));
	free(buf);
}

/*
 * An index that lies (with valid checksums) is refused at open, before
 * anything is allocated from what it claims.
 */
static void test_index_lies(void **state)
{
	struct fx *f = *state;
	struct pw_row rows[50];
	char bad[160];
	uint8_t *buf, *ix, *g1, *e;
	uint64_t ix_off, v64;
	uint32_t v32;
	size_t len;
	struct lie {
		const char *what;
		uint8_t *at;
		int width;
		uint64_t value;
		const char *msg;	/* expected in the error */
	} lies[6];

	make_rows(rows, 50);
	write_file(f->path, rows, 50, 20, NULL);	/* groups of 20, 20, 10 rows */
	buf = slurp(f->path, &len);
	memcpy(&ix_off, buf + len - 32, 8);
	ix = buf + ix_off;
	g1 = ix + 96 + 13 * 32 + (32 + 13 * 16);	/* group 1 */
	e = g1 + 32 + PW_COL_PID * 16;			/* its pid chunk */
	lies[0] = (struct lie){ "total rows", ix + 32, 8, 1ull << 40, "the index says" };
	lies[1] = (struct lie){ "group rows", g1 + 8, 4, 0, "row group 1 header" };
	lies[2] = (struct lie){ "huge group", g1 + 8, 4, 1u << 21, "row group 1 header" };
	lies[3] = (struct lie){ "chunk offset", e, 8, ix_off, "out of bounds" };
	lies[4] = (struct lie){ "chunk raw size", e + 12, 4, 1u << 31, "out of bounds" };
	lies[5] = (struct lie){ "column count", ix + 8, 4, 14, "does not match" };
	snprintf(bad, sizeof(bad), "%s/lies.cdict", f->dir);
	for (int i = 0; i < 6; i++) {
		uint8_t saved[8];

		memcpy(saved, lies[i].at, 8);
		v64 = lies[i].value;
		v32 = (uint32_t)lies[i].value;
		memcpy(lies[i].at, lies[i].width == 8 ? (void *)&v64 : (void *)&v32,
		       (size_t)lies[i].width);
		reseal(buf, len);
		spill(bad, buf, len);
		if (read_back(bad, rows, 50) != PW_EFORMAT)
			fail_msg("%s: not refused as malformed", lies[i].what);
		if (!strstr(logbuf, lies[i].msg))
			fail_msg("%s: log lacks \"%s\": %s", lies[i].what, lies[i].msg, logbuf);
		memcpy(lies[i].at, saved, 8);
	}
	reseal(buf, len);
	spill(bad, buf, len);
	assert_int_equal(read_back(bad, rows, 50), 0);
	free(buf);
}

/*
 * Replaces the raw content of column @col's chunk in group 0 by @raw (a new
 * zstd frame put before the index), fixing the index and checksums: a file
 * whose frames are sound but whose tokens are not.
 */
static uint8_t *with_chunk(const uint8_t *buf, size_t len, int col, const uint8_t *raw,
			   size_t raw_len, size_t *out_len)
{
	uint64_t ix_off, ix_size, off;
	size_t cap = ZSTD_compressBound(raw_len), zn;
	uint8_t *out, *e;
	uint32_t v;

	memcpy(&ix_off, buf + len - 32, 8);
	memcpy(&ix_size, buf + len - 24, 8);
	out = malloc(len + cap);
	assert_non_null(out);
	memcpy(out, buf, ix_off);
	zn = ZSTD_compress(out + ix_off, cap, raw, raw_len, 3);
	assert_false(ZSTD_isError(zn));
	memcpy(out + ix_off + zn, buf + ix_off, ix_size + 32);
	e = out + ix_off + zn + 96 + 13 * 32 + 32 + col * 16;
	off = ix_off;
	memcpy(e, &off, 8);
	v = (uint32_t)zn;
	memcpy(e + 8, &v, 4);
	v = (uint32_t)raw_len;
	memcpy(e + 12, &v, 4);
	off = ix_off + zn;
	memcpy(out + ix_off + zn + ix_size, &off, 8);
	*out_len = ix_off + zn + ix_size + 32;
	reseal(out, *out_len);
	return out;
}

/* Bad tokens inside sound frames: each refused, naming the chunk's offset. */
static void test_bad_tokens(void **state)
{
	struct fx *f = *state;
	struct pw_row rows[30];
	char bad[160];
	uint8_t *buf, *raw;
	size_t len;

	make_rows(rows, 30);
	write_file(f->path, rows, 30, 0, NULL);
	buf = slurp(f->path, &len);
	snprintf(bad, sizeof(bad), "%s/tokens.cdict", f->dir);
	for (int col = 0; col < PW_COL__MAX; col++) {
		uint64_t off;
		uint32_t size, raw_len;
		uint8_t *frame;

		chunk_of(f->path, 0, col, &off, &size);
		frame = buf + off;
		raw_len = (uint32_t)ZSTD_getFrameContentSize(frame, size);
		raw = malloc(raw_len + 1);
		assert_non_null(raw);
		assert_int_equal(ZSTD_decompress(raw, raw_len, frame, size), raw_len);
		/* one byte short, one byte too many, endless varints */
		for (int m = 0; m < 3; m++) {
			uint8_t *img;
			size_t ilen, rl = raw_len;
			uint8_t *r = malloc(raw_len + 1);

			assert_non_null(r);
			memcpy(r, raw, raw_len);
			if (m == 0)
				rl--;
			else if (m == 1)
				r[rl++] = 0;
			else
				memset(r, 0xff, rl);
			img = with_chunk(buf, len, col, r, rl, &ilen);
			spill(bad, img, ilen);
			if (read_back(bad, rows, 30) != PW_EFORMAT)
				fail_msg("column %d, mutation %d: not refused", col, m);
			free(img);
			free(r);
		}
		/* a string id beyond the table; an event beyond the events list
		 * (task is sparse: its first token follows the event mask, and
		 * every row holds one) */
		if (col == PW_COL_TASK || col == PW_COL_EVENT) {
			uint8_t *img;
			size_t ilen, at = 0;
			char want[32];

			if (col == PW_COL_TASK)
				while (raw[at++] & 0x80)
					;
			raw[at] = 0x7f;
			img = with_chunk(buf, len, col, raw, raw_len, &ilen);
			spill(bad, img, ilen);
			assert_int_equal(read_back(bad, rows, 30), PW_EFORMAT);
			assert_non_null(strstr(logbuf, col == PW_COL_TASK ? "beyond the string table"
							: "beyond the metadata's events list"));
			snprintf(want, sizeof(want), "row 0 (byte %zu", at);
			assert_non_null(strstr(logbuf, want));
			free(img);
		}
		free(raw);
	}
	free(buf);
}

/* The raw (decompressed) size of column @col's chunk in row group @g. */
static uint32_t raw_of(const char *path, uint32_t g, int col)
{
	uint64_t off;
	uint32_t size;
	size_t len;
	uint8_t *buf;
	unsigned long long raw;

	chunk_of(path, g, col, &off, &size);
	buf = slurp(path, &len);
	assert_true(off + size <= len);
	raw = ZSTD_getFrameContentSize(buf + off, size);
	free(buf);
	assert_true(raw < UINT32_MAX);
	return (uint32_t)raw;
}

/*
 * Sparse chunks (version 2.0): only the rows of events with a known value
 * in the group hold a token, after the group's event mask.
 */
static void test_sparse_chunks(void **state)
{
	static const int evs[3] = { PW_EV_SCHED_SWITCH, PW_EV_SCHED_WAKEUP, PW_EV_KVM_EXIT };
	struct fx *f = *state;
	struct pw_row rows[40];
	uint32_t wakeups0 = 0, switches0 = 0, seen_wakeups = 0;
	char bad[160];
	struct pw_columns c;
	struct pw_cdict *cd;
	uint8_t *buf, *raw, *img;
	size_t len, ilen;
	uint64_t off;
	uint32_t size, raw_len;

	for (int i = 0; i < 40; i++) {
		struct pw_row *r = &rows[i];

		memset(r, 0, sizeof(*r));
		r->time_ns = 1000 + 10 * (uint64_t)i;
		r->event = evs[i % 3];
		r->cpu = i % 2;
		r->pid = 7;
		r->tgid = r->duration_ns = r->next_wait_ns = PW_NONE;
		r->next_pid = r->target_cpu = PW_NONE;
		r->task = "t";
		if (r->event == PW_EV_SCHED_SWITCH) {
			r->next_pid = 5;
			switches0 += i < 20;
		}
		/* the first two wakeups of group 0 have no target: the third
		 * brings their tokens in, among the others */
		if (r->event == PW_EV_SCHED_WAKEUP && seen_wakeups++ >= 2)
			r->target_cpu = i % 4;
		wakeups0 += r->event == PW_EV_SCHED_WAKEUP && i < 20;
		/* group 1: no exit reason at all; one kvm_exit with a next_pid */
		if (r->event == PW_EV_KVM_EXIT && i < 20)
			r->exit_reason = "HLT";
		if (i == 26)
			r->next_pid = 9;
	}
	write_file(f->path, rows, 40, 20, NULL);
	assert_int_equal(read_back(f->path, rows, 40), 0);

	/* mask byte, then one 1-byte token per row of the masked events */
	assert_int_equal(raw_of(f->path, 0, PW_COL_TARGET_CPU), 1 + wakeups0);
	assert_int_equal(raw_of(f->path, 0, PW_COL_NEXT_PID), 1 + switches0);
	assert_int_equal(raw_of(f->path, 1, PW_COL_NEXT_PID), 1 + 7 + 7);	/* switch + kvm_exit */
	assert_int_equal(raw_of(f->path, 1, PW_COL_EXIT_REASON), 1);
	assert_int_equal(raw_of(f->path, 0, PW_COL_PREV_STATE), 1);
	assert_int_equal(raw_of(f->path, 0, PW_COL_PID), 1 + 20);

	/* one sparse column alone: the events are decoded behind it */
	cd = pw_cdict_open(f->path, NULL);
	assert_non_null(cd);
	assert_int_equal(pw_cdict_load(cd, PW_COLMASK(PW_COL_TARGET_CPU), &c), 0);
	for (int i = 0; i < 40; i++)
		assert_int_equal(c.target_cpu[i], narrow(rows[i].target_cpu));
	pw_columns_release(&c);
	pw_cdict_close(cd);

	/* masks that lie about the tokens */
	buf = slurp(f->path, &len);
	snprintf(bad, sizeof(bad), "%s/sparse.cdict", f->dir);
	chunk_of(f->path, 0, PW_COL_TARGET_CPU, &off, &size);
	raw_len = raw_of(f->path, 0, PW_COL_TARGET_CPU);
	raw = malloc(raw_len + 1);
	assert_non_null(raw);
	assert_int_equal(ZSTD_decompress(raw + 1, raw_len, buf + off, size), raw_len);
	assert_int_equal(raw[1], 1u << PW_EV_SCHED_WAKEUP);
	for (int m = 0; m < 3; m++) {
		static const char *const why[3] = {
			"row 0 (byte 0 of 9 decompressed): event mask names events beyond the events list",
			"bytes left after the group's last row",
			"the chunk ends early",
		};
		const uint8_t *r = raw + 1;
		size_t rl = raw_len;

		if (m == 0) {		/* event 8 of an events list of 8 */
			raw[0] = 0x80 | (1u << PW_EV_SCHED_WAKEUP);
			raw[1] = 0x02;
			r = raw;
			rl++;
		} else {
			raw[1] = m == 1 ? 0 : (1u << PW_EV_SCHED_WAKEUP) | (1u << PW_EV_SCHED_SWITCH);
		}
		img = with_chunk(buf, len, PW_COL_TARGET_CPU, r, rl, &ilen);
		spill(bad, img, ilen);
		assert_int_equal(read_back(bad, rows, 40), PW_EFORMAT);
		if (!strstr(logbuf, why[m]))
			fail_msg("mask %d: %s", m, logbuf);
		free(img);
	}
	free(raw);
	free(buf);
}

/*
 * Version 2.1: pid is predicted by the task its cpu switched to last, tgid
 * by the pid's last tgid (else the pid). Exact tokens, by hand from
 * docs/cdict.md's tables.
 */
static void test_predicted_pids(void **state)
{
	static const struct {
		int ev;
		int64_t cpu, pid, tgid, next_pid;
	} in[12] = {
		{ PW_EV_SCHED_SWITCH, 0, 10, 10, 20 },
		{ PW_EV_KVM_EXIT, 0, 20, 5, PW_NONE },		/* running: 20 */
		{ PW_EV_KVM_ENTRY, 0, 20, 5, PW_NONE },
		{ PW_EV_SCHED_WAKEUP, 0, 30, 30, PW_NONE },	/* the wakee: 30, not 20 */
		{ PW_EV_KVM_EXIT, 1, 21, 5, PW_NONE },		/* cpu 1: no switch yet */
		{ PW_EV_SCHED_SWITCH, 0, 20, 5, PW_NONE },	/* to an unknown task */
		{ PW_EV_KVM_EXIT, 0, 20, 5, PW_NONE },
		{ PW_EV_KVM_EXIT, PW_NONE, 20, PW_NONE, PW_NONE },
		{ PW_EV_KVM_EXIT, 0, PW_NONE, 7, PW_NONE },
		{ PW_EV_SCHED_SWITCH, 0, 20, 6, 10 },		/* 20's group changes */
		{ PW_EV_KVM_EXIT, 0, 10, 10, PW_NONE },
		{ PW_EV_KVM_ENTRY, 0, 20, 6, PW_NONE },
	};
	/* event mask (switch, wakeup, kvm_exit, kvm_entry: 0xc3), then
	 * zz(v - P) + 1 for each row (0: unknown) */
	static const uint8_t want_pid[14] = { 0xc3, 0x01, 21, 1, 1, 21, 43, 1, 41, 41, 0, 41, 1, 21 };
	static const uint8_t want_tgid[14] = { 0xc3, 0x01, 1, 30, 1, 1, 32, 1, 1, 0, 15, 3, 1, 1 };
	struct fx *f = *state;
	struct pw_row rows[12];
	uint8_t *buf, raw[32];
	size_t len;
	uint64_t off;
	uint32_t size;

	for (int i = 0; i < 12; i++) {
		struct pw_row *r = &rows[i];

		memset(r, 0, sizeof(*r));
		r->time_ns = 1000 + 10 * (uint64_t)i;
		r->event = in[i].ev;
		r->cpu = in[i].cpu;
		r->pid = in[i].pid;
		r->tgid = in[i].tgid;
		r->next_pid = in[i].next_pid;
		r->duration_ns = r->next_wait_ns = r->target_cpu = PW_NONE;
	}
	write_file(f->path, rows, 12, 0, NULL);
	assert_int_equal(read_back(f->path, rows, 12), 0);
	buf = slurp(f->path, &len);
	for (int k = 0; k < 2; k++) {
		int col = k ? PW_COL_TGID : PW_COL_PID;
		const uint8_t *want = k ? want_tgid : want_pid;

		chunk_of(f->path, 0, col, &off, &size);
		assert_true(off + size <= len);
		assert_int_equal(ZSTD_decompress(raw, sizeof(raw), buf + off, size), 14);
		assert_memory_equal(raw, want, 14);
	}
	free(buf);
}

/*
 * The writer keeps, by cpu, the pid slot of the task it runs (a switch's
 * next_pid, a kvm row's pid), a shortcut past its pid map. The map moves
 * when it grows: a slot kept from before must not be used after (a freed
 * slot, and updates the map does not see: pid 2's kvm_entry on cpu 1,
 * predicted from the map, would then not match the reader's prediction).
 */
static void test_kept_pid_slot_moves(void **state)
{
	struct fx *f = *state;
	struct pw_row rows[700];
	uint64_t t = 1000;
	size_t n = 0;

	for (int round = 0; round < 3; round++) {
		struct {
			int ev;
			int64_t cpu, pid, next_pid;
		} seq[] = {
			{ PW_EV_SCHED_WAKEUP, 1, 2 + round, PW_NONE },
			{ PW_EV_SCHED_SWITCH, 0, 1, 2 + round },	/* keeps 2+round's slot */
			{ PW_EV_KVM_EXIT, 0, 2 + round, PW_NONE },
			{ PW_EV_KVM_ENTRY, 0, 2 + round, PW_NONE },
		};

		for (size_t k = 0; k < sizeof(seq) / sizeof(seq[0]); k++) {
			struct pw_row *r = &rows[n++];

			memset(r, 0, sizeof(*r));
			r->time_ns = t += 100 + 7 * k;
			r->event = seq[k].ev;
			r->cpu = seq[k].cpu;
			r->pid = seq[k].pid;
			r->tgid = 1;
			r->next_pid = seq[k].next_pid;
			r->duration_ns = seq[k].ev >= PW_EV_KVM_EXIT ? (int64_t)(t % 97) : PW_NONE;
			r->next_wait_ns = r->target_cpu = PW_NONE;
		}
		/* new pids woken on cpu 2: the pid map grows (64 slots at
		 * first, doubled at half full), once or more each round */
		for (int i = 0; i < 64 << round; i++) {
			struct pw_row *r = &rows[n++];

			assert_true(n < 700 - 8);
			memset(r, 0, sizeof(*r));
			r->time_ns = t += 3;
			r->event = PW_EV_SCHED_WAKEUP;
			r->cpu = 2;
			r->pid = 1000 * (round + 1) + i;
			r->tgid = r->pid;
			r->next_pid = r->duration_ns = r->next_wait_ns = PW_NONE;
			r->target_cpu = 2;
		}
		/* the same task on cpu 0 again (kept slot), then on cpu 1
		 * (the map's slot), then a switch away from it on cpu 0 */
		for (int k = 0; k < 4; k++) {
			struct pw_row *r = &rows[n++];

			memset(r, 0, sizeof(*r));
			r->time_ns = t += 50;
			r->event = k & 1 ? PW_EV_KVM_ENTRY : PW_EV_KVM_EXIT;
			r->cpu = k < 2 ? 0 : 1;
			r->pid = 2 + round;
			r->tgid = 1;
			r->next_pid = r->next_wait_ns = r->target_cpu = PW_NONE;
			r->duration_ns = (int64_t)(t % 89);
			if (k == 3) {
				r->event = PW_EV_SCHED_SWITCH;
				r->cpu = 0;
				r->next_pid = 1;
				r->next_wait_ns = 40;
				r->duration_ns = 500;
			}
		}
	}
	write_file(f->path, rows, n, 0, NULL);
	assert_int_equal(read_back(f->path, rows, n), 0);
}

/*
 * The writer computes the predictions of a row in one pass, the reader one
 * predictor at a time: rows that mix every event, few cpus and pids, and
 * many unknown values (next_pid equal to pid among them) read back.
 */
static void test_predictions_agree(void **state)
{
	struct fx *f = *state;
	struct pw_row rows[3000];
	uint64_t t = 5000;

	for (size_t i = 0; i < 3000; i++) {
		struct pw_row *r = &rows[i];
		uint64_t x = next_rand();

		memset(r, 0, sizeof(*r));
		t += x % 700;
		r->time_ns = t;
		r->event = (int)(x % PW_EV__MAX);
		/* cpus below 256 (kept in an array by the reader) and others */
		r->cpu = x >> 4 & 3 ? (int64_t)(x >> 6 & 3) : PW_NONE;
		if ((x >> 40 & 15) == 0)
			r->cpu = x >> 44 & 1 ? 300 : -2;
		r->pid = x >> 8 & 7 ? (int64_t)(x >> 11 & 3) : PW_NONE;
		r->tgid = x >> 13 & 3 ? (int64_t)(x >> 15 & 3) : PW_NONE;
		r->next_pid = x >> 17 & 3 ? (int64_t)(x >> 19 & 3) : PW_NONE;
		r->duration_ns = x >> 21 & 7 ? (int64_t)(x >> 24 & 1023) : PW_NONE;
		r->next_wait_ns = x >> 34 & 7 ? (int64_t)(x >> 37 & 1023) : PW_NONE;
		r->target_cpu = PW_NONE;
	}
	for (unsigned int chunk = 0; chunk <= 700; chunk += 350) {
		unsigned int only = PW_COLMASK(PW_COL_EVENT) | PW_COLMASK(PW_COL_CPU) |
				    PW_COLMASK(PW_COL_NEXT_PID) | PW_COLMASK(PW_COL_PID);
		struct pw_cdict *cd;
		struct pw_columns c;

		write_file(f->path, rows, 3000, chunk, NULL);
		assert_int_equal(read_back(f->path, rows, 3000), 0);
		/* pid alone with what its predictor reads: from the loaded
		 * columns, not the decoded ones */
		cd = pw_cdict_open(f->path, NULL);
		assert_non_null(cd);
		assert_int_equal(pw_cdict_load(cd, only, &c), 0);
		for (int i = 0; i < 3000; i++)
			assert_int_equal(c.pid[i], narrow(rows[i].pid));
		pw_columns_release(&c);
		pw_cdict_close(cd);
	}
}

/*
 * A predictor reads columns decoded before its own: an encoding that
 * would make a column depend on itself, or on one decoded after it, is
 * refused when the column is read, naming it (a cpu column predicted by
 * the duration predictor read pid and next_pid before they were decoded).
 */
static void test_encodings_by_column(void **state)
{
	/* docs/cdict.md's sparse duration (20), wait (21), running (22), thread (23) */
	static const struct {
		int col, enc;
	} bad[] = {
		{ PW_COL_CPU, 20 },
		{ PW_COL_NEXT_PID, 21 },
		{ PW_COL_NEXT_PID, 22 },
		{ PW_COL_PID, 23 },
		{ PW_COL_PID, 20 },
		{ PW_COL_TGID, 22 },
		{ PW_COL_TARGET_CPU, 22 },
	};
	struct fx *f = *state;
	struct pw_row rows[30];
	char path[160];
	uint8_t *buf;
	uint64_t ix_off;
	size_t len;

	make_rows(rows, 30);
	write_file(f->path, rows, 30, 0, NULL);
	buf = slurp(f->path, &len);
	memcpy(&ix_off, buf + len - 32, 8);
	snprintf(path, sizeof(path), "%s/enc.cdict", f->dir);
	for (size_t k = 0; k < sizeof(bad) / sizeof(bad[0]); k++) {
		uint8_t *desc = buf + ix_off + 96 + (size_t)bad[k].col * 32;
		uint8_t was = desc[2];
		struct pw_cdict *cd;
		struct pw_columns c;
		char want[64];

		desc[2] = (uint8_t)bad[k].enc;
		reseal(buf, len);
		spill(path, buf, len);
		desc[2] = was;
		cd = pw_cdict_open(path, NULL);
		assert_non_null(cd);
		log_reset();
		assert_int_equal(pw_cdict_load(cd, PW_COLMASK_ALL, &c), PW_EUNSUPPORTED);
		snprintf(want, sizeof(want), "column %s uses encoding %d", pw_column_name(bad[k].col),
			 bad[k].enc);
		if (!strstr(logbuf, want))
			fail_msg("%s: %s", want, logbuf);
		pw_cdict_close(cd);
	}
	free(buf);
}

/*
 * A 32-bit loaded column (tgid) in a predicted encoding (duration): loaded
 * at its own width, the same values as the rows give.
 */
static int64_t tgids[60];

static int keep_tgid(const struct pw_row *r, void *ctx)
{
	size_t *n = ctx;

	assert_true(*n < 60);
	tgids[(*n)++] = r->tgid;
	return 0;
}

static void test_predicted_narrow_column(void **state)
{
	struct fx *f = *state;
	struct pw_row rows[60];
	struct pw_cdict *cd;
	struct pw_columns c;
	uint8_t *buf;
	uint64_t ix_off;
	size_t len, n = 0;
	int changed = 0;

	make_rows(rows, 60);
	write_file(f->path, rows, 60, 25, NULL);
	buf = slurp(f->path, &len);
	memcpy(&ix_off, buf + len - 32, 8);
	buf[ix_off + 96 + PW_COL_TGID * 32 + 2] = 20;	/* sparse duration */
	reseal(buf, len);
	spill(f->path, buf, len);
	free(buf);
	cd = pw_cdict_open(f->path, NULL);
	assert_non_null(cd);
	assert_int_equal(pw_cdict_foreach(cd, keep_tgid, &n), 0);
	assert_int_equal(n, 60);
	assert_int_equal(pw_cdict_load(cd, PW_COLMASK(PW_COL_TGID), &c), 0);
	for (size_t i = 0; i < 60; i++) {
		assert_int_equal(c.tgid[i], narrow(tgids[i]));
		changed += tgids[i] != rows[i].tgid;
	}
	assert_true(changed > 0);	/* the predictions were added */
	pw_columns_release(&c);
	pw_cdict_close(cd);
}

/*
 * Rows built in place in pw_cdict_writer_room() read back as rows added by
 * copy, whether each room is filled whole or added a few rows at a time,
 * across batches of the writer's ring and with its thread; an invalid
 * event is refused there too, with the rows before it added (with stable
 * strings, by a later call or the close), and rows beyond the room are
 * refused.
 */
static void test_rows_in_place(void **state)
{
	enum { N = 20000 };
	struct fx *f = *state;
	struct pw_row *rows = calloc(N, sizeof(*rows));
	char copy[160];

	assert_non_null(rows);
	make_rows(rows, N);
	snprintf(copy, sizeof(copy), "%s/copy.cdict", f->dir);
	write_file(copy, rows, N, 3000, NULL);
	for (int mode = 0; mode < 4; mode++) {
		/* single thread or not; whole rooms or 1 to 7 rows at a time */
		struct pw_cdict_writer_opts o = { .rows_per_chunk = 3000, .single_thread = mode & 1 };
		int err = 1;
		struct pw_cdict_writer *w = pw_cdict_writer_open(f->path, &o, &err);
		struct pw_row *room, *end, *at;
		uint8_t *a, *b;
		size_t alen, blen, i = 0;

		assert_non_null(w);
		at = room = pw_cdict_writer_room(w, &end);
		while (i < N) {
			size_t take = mode & 2 ? 1 + i % 7 : (size_t)(end - room);

			assert_true(end > room);
			for (size_t k = 0; k < take && at < end && i < N; k++)
				*at++ = rows[i++];
			assert_int_equal(pw_cdict_writer_add_room(w, at, &room, &end), 0);
			at = room;
		}
		/* an empty add changes nothing */
		assert_int_equal(pw_cdict_writer_add_room(w, room, &at, &end), 0);
		assert_ptr_equal(at, room);
		assert_int_equal(pw_cdict_writer_close(w, NULL), 0);
		assert_int_equal(read_back(f->path, rows, N), 0);
		a = slurp(f->path, &alen);
		b = slurp(copy, &blen);
		assert_int_equal(alen, blen);
		assert_memory_equal(a, b, alen);
		free(a);
		free(b);
	}
	{
		int err = 1;
		struct pw_cdict_writer *w = pw_cdict_writer_open(f->path, NULL, &err);
		struct pw_row *end, *room = pw_cdict_writer_room(w, &end);

		room[0] = rows[0];
		room[1] = rows[1];
		room[2] = rows[2];
		room[2].event = PW_EV__MAX;
		log_reset();
		assert_int_equal(pw_cdict_writer_add_room(w, room + 3, &room, &end), PW_EINVAL);
		assert_non_null(strstr(logbuf, "row 2 has an invalid event"));
		pw_cdict_writer_abort(w);

		w = pw_cdict_writer_open(f->path, NULL, &err);
		room = pw_cdict_writer_room(w, &end);
		log_reset();
		assert_int_equal(pw_cdict_writer_add_room(w, end + 1, &room, &end), PW_EINVAL);
		assert_non_null(strstr(logbuf, "beyond the room"));
		pw_cdict_writer_abort(w);
	}
	/*
	 * With stable strings the encoder checks the events: the row's
	 * number is reported by a later call, at the latest by the close,
	 * which fails and leaves no file; in the writer's thread (a row of
	 * the third batch) or in the caller's.
	 */
	for (int mode = 0; mode < 2; mode++) {
		struct pw_cdict_writer_opts o = { .stable_strings = true, .single_thread = mode };
		int err = 1, first = 0, ev = rows[9000].event;
		struct pw_cdict_writer *w;
		struct pw_row *room, *end, *at;
		size_t i = 0;

		rows[9000].event = PW_EV__MAX + 3;
		unlink(f->path);
		log_reset();
		w = pw_cdict_writer_open(f->path, &o, &err);
		assert_non_null(w);
		at = room = pw_cdict_writer_room(w, &end);
		while (i < N) {
			while (at < end && i < N)
				*at++ = rows[i++];
			err = pw_cdict_writer_add_room(w, at, &room, &end);
			first = first ?: err;
			assert_true(err == 0 || err == PW_EINVAL);
			at = room;
		}
		assert_int_equal(pw_cdict_writer_close(w, NULL), PW_EINVAL);
		if (mode)	/* the add that filled the row's batch encoded it */
			assert_int_equal(first, PW_EINVAL);
		assert_non_null(strstr(logbuf, "row 9000 has an invalid event 11"));
		assert_int_equal(access(f->path, F_OK), -1);
		assert_int_equal(dir_entries(f->dir), 1);	/* copy.cdict, no temporary file */
		rows[9000].event = ev;
	}
	free(rows);
}

/* A file of a later minor version with a column this reader does not know. */
static void test_unknown_column_skipped(void **state)
{
	struct fx *f = *state;
	struct pw_row rows[50];
	char later[160];
	uint8_t *buf, *desc;
	uint64_t ix_off;
	size_t len;

	make_rows(rows, 50);
	write_file(f->path, rows, 50, 20, NULL);
	buf = slurp(f->path, &len);
	memcpy(&ix_off, buf + len - 32, 8);
	/* target_cpu's descriptor becomes column 200 of an unknown encoding */
	desc = buf + ix_off + 96 + PW_COL_TARGET_CPU * 32;
	desc[0] = 200;
	desc[2] = 77;
	buf[10] = 1;	/* minor version 1 */
	reseal(buf, len);
	snprintf(later, sizeof(later), "%s/later.cdict", f->dir);
	spill(later, buf, len);
	for (int i = 0; i < 50; i++)
		rows[i].target_cpu = PW_NONE;	/* absent: unknown */
	assert_int_equal(read_back(later, rows, 50), 0);

	/* a known column in an encoding this reader lacks fails only when read */
	desc[0] = PW_COL_TGID;
	desc = buf + ix_off + 96 + PW_COL_TGID * 32;
	desc[0] = PW_COL_TARGET_CPU;
	desc[2] = 77;
	reseal(buf, len);
	spill(later, buf, len);
	{
		struct pw_cdict *cd = pw_cdict_open(later, NULL);
		struct pw_columns c;

		assert_non_null(cd);
		assert_int_equal(pw_cdict_load(cd, PW_COLMASK(PW_COL_PID), &c), 0);
		pw_columns_release(&c);
		log_reset();
		assert_int_equal(pw_cdict_load(cd, PW_COLMASK(PW_COL_TARGET_CPU), &c),
				 PW_EUNSUPPORTED);
		assert_non_null(strstr(logbuf, "column target_cpu uses encoding 77"));
		assert_logged_offset(later);
		pw_cdict_close(cd);
	}
	free(buf);
}

/* ---- failed writes ---- */

static void test_abort_leaves_nothing(void **state)
{
	struct fx *f = *state;
	struct pw_row rows[100];
	struct pw_cdict_writer *w;
	int err;

	make_rows(rows, 100);
	w = pw_cdict_writer_open(f->path, &(struct pw_cdict_writer_opts){ .rows_per_chunk = 10 },
				 &err);
	assert_non_null(w);
	assert_int_equal(dir_entries(f->dir), 1);	/* the temporary file */
	for (int i = 0; i < 100; i++)
		assert_int_equal(pw_cdict_writer_add(w, &rows[i]), 0);
	pw_cdict_writer_abort(w);
	assert_int_equal(dir_entries(f->dir), 0);
	pw_cdict_writer_abort(NULL);

	/* a bad row fails the writer; closing then removes the temporary file */
	w = pw_cdict_writer_open(f->path, NULL, &err);
	assert_non_null(w);
	rows[0].event = PW_EV__MAX;
	log_reset();
	assert_int_equal(pw_cdict_writer_add(w, &rows[0]), PW_EINVAL);
	assert_non_null(strstr(logbuf, f->path));
	assert_int_equal(pw_cdict_writer_close(w, NULL), PW_EINVAL);
	assert_int_equal(dir_entries(f->dir), 0);

	/* no directory to write into */
	log_reset();
	assert_null(pw_cdict_writer_open("/nonexistent/dir/run.cdict", NULL, &err));
	assert_int_equal(err, -ENOENT);
	assert_non_null(strstr(logbuf, "/nonexistent/dir/run.cdict"));
	/* invalid options */
	assert_null(pw_cdict_writer_open(f->path, &(struct pw_cdict_writer_opts){
		.rows_per_chunk = PW_CDICT_MAX_ROWS_PER_CHUNK + 1 }, &err));
	assert_int_equal(err, PW_EINVAL);
	assert_int_equal(dir_entries(f->dir), 0);
}

static void test_full_filesystem(void **state)
{
	struct fx *f = *state;
	char mnt[96], path[160], old[160];
	struct pw_cdict_writer *w;
	struct pw_row row;
	int err = 0, fd;
	uint64_t i;

	snprintf(mnt, sizeof(mnt), "%s/small", f->dir);
	assert_int_equal(mkdir(mnt, 0755), 0);
	if (geteuid() != 0 || mount("tmpfs", mnt, "tmpfs", 0, "size=64k")) {
		rmdir(mnt);
		skip();	/* needs root to mount a small tmpfs */
		return;
	}
	snprintf(path, sizeof(path), "%s/run.cdict", mnt);
	/* an older file under the final name must survive the failure */
	fd = open(path, O_WRONLY | O_CREAT, 0644);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "old", 3), 3);
	close(fd);

	log_reset();
	w = pw_cdict_writer_open(path, &(struct pw_cdict_writer_opts){ .rows_per_chunk = 1000 },
				 &err);
	assert_non_null(w);
	/* random values compress badly: 64 KiB fills after a few thousand rows */
	for (i = 0; i < 1000000 && !err; i++) {
		make_rows(&row, 1);
		row.time_ns = next_rand();
		row.pid = (int64_t)(next_rand() >> 2);
		row.duration_ns = (int64_t)(next_rand() >> 2);
		err = pw_cdict_writer_add(w, &row);
	}
	if (!err)
		err = pw_cdict_writer_close(w, NULL);
	else
		assert_int_equal(pw_cdict_writer_close(w, NULL), err);
	assert_int_equal(err, -ENOSPC);
	assert_non_null(strstr(logbuf, path));
	assert_non_null(strstr(logbuf, "No space left on device"));
	assert_int_equal(dir_entries(mnt), 1);	/* only the old file, no temporary */
	snprintf(old, sizeof(old), "%s", path);
	{
		char content[8] = { 0 };

		fd = open(old, O_RDONLY);
		assert_true(fd >= 0);
		assert_int_equal(read(fd, content, sizeof(content)), 3);
		assert_string_equal(content, "old");
		close(fd);
	}
	unlink(path);
	assert_int_equal(umount(mnt), 0);
	rmdir(mnt);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_roundtrip_realistic, setup, teardown),
		cmocka_unit_test_setup_teardown(test_roundtrip_extremes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reused_buffers, setup, teardown),
		cmocka_unit_test_setup_teardown(test_zero_and_one_row, setup, teardown),
		cmocka_unit_test_setup_teardown(test_load_selected, setup, teardown),
		cmocka_unit_test_setup_teardown(test_load_threads, setup, teardown),
		cmocka_unit_test_setup_teardown(test_scan, setup, teardown),
		cmocka_unit_test_setup_teardown(test_meta_roundtrip, setup, teardown),
		cmocka_unit_test_setup_teardown(test_truncated_everywhere, setup, teardown),
		cmocka_unit_test_setup_teardown(test_flipped_bytes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_magic_and_versions, setup, teardown),
		cmocka_unit_test_setup_teardown(test_index_lies, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_tokens, setup, teardown),
		cmocka_unit_test_setup_teardown(test_sparse_chunks, setup, teardown),
		cmocka_unit_test_setup_teardown(test_predicted_pids, setup, teardown),
		cmocka_unit_test_setup_teardown(test_predictions_agree, setup, teardown),
		cmocka_unit_test_setup_teardown(test_kept_pid_slot_moves, setup, teardown),
		cmocka_unit_test_setup_teardown(test_encodings_by_column, setup, teardown),
		cmocka_unit_test_setup_teardown(test_predicted_narrow_column, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unknown_column_skipped, setup, teardown),
		cmocka_unit_test_setup_teardown(test_abort_leaves_nothing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_full_filesystem, setup, teardown),
		cmocka_unit_test_setup_teardown(test_encoder_thread, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rows_in_place, setup, teardown),
		cmocka_unit_test_setup_teardown(test_column_levels, setup, teardown),
		cmocka_unit_test_setup_teardown(test_time_two_blocks, setup, teardown),
		cmocka_unit_test_setup_teardown(test_literal_chunks, setup, teardown),
		cmocka_unit_test_setup_teardown(test_literal_fallback, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
