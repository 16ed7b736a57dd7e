// SPDX-License-Identifier: MIT
/* run.c - index a run's columns: threads, display names, window, selection. */
#include <ctype.h>
#include <errno.h>
#include <fnmatch.h>
#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "pw-log.h"
#include "pw-namemap.h"
#include "names.h"
#include "run.h"

static uint64_t thread_key(int32_t tid, uint32_t raw)
{
	return ((uint64_t)(uint32_t)tid << 32 | raw) + 1;
}

static uint32_t hash64(uint64_t k)
{
	k ^= k >> 33;
	k *= 0xff51afd7ed558ccdULL;
	k ^= k >> 33;
	return (uint32_t)k;
}

static int tmap_init(struct pm_thread_map *m, uint32_t size)
{
	m->keys = calloc(size, sizeof(*m->keys));
	m->vals = calloc(size, sizeof(*m->vals));
	m->mask = size - 1;
	if (!m->keys || !m->vals) {
		free(m->keys);
		free(m->vals);
		memset(m, 0, sizeof(*m));
		return PW_ENOMEM;
	}
	return 0;
}

static void tmap_release(struct pm_thread_map *m)
{
	free(m->keys);
	free(m->vals);
	memset(m, 0, sizeof(*m));
}

/* Returns the slot for @key: either holding it or empty. */
static uint32_t tmap_slot(const struct pm_thread_map *m, uint64_t key)
{
	uint32_t i = hash64(key) & m->mask;

	while (m->keys[i] && m->keys[i] != key)
		i = (i + 1) & m->mask;
	return i;
}

static int tmap_grow(struct pm_thread_map *m)
{
	struct pm_thread_map n;
	int err = tmap_init(&n, (m->mask + 1) * 2);

	if (err)
		return err;
	for (uint32_t i = 0; i <= m->mask; i++) {
		if (m->keys[i]) {
			uint32_t s = tmap_slot(&n, m->keys[i]);

			n.keys[s] = m->keys[i];
			n.vals[s] = m->vals[i];
		}
	}
	tmap_release(m);
	*m = n;
	return 0;
}

size_t pm_sys_task_base(const char *name)
{
	const char *slash = strchr(name, '/');
	const char *p;

	if (!slash || slash == name)
		return 0;
	for (p = name; p < slash; p++)
		if (!isalnum((unsigned char)*p) && *p != '_' && *p != '-')
			return 0;
	p = slash + 1;
	if (*p == 'u')		/* kworker/u8:2, unbound pools */
		p++;
	if (!isdigit((unsigned char)*p))
		return 0;
	for (; *p; p++)
		if (!isalnum((unsigned char)*p) && *p != ':' && *p != '-')
			return 0;
	return (size_t)(slash - name);
}

const char *pm_run_ent_name(const struct pm_run *run, uint32_t ent)
{
	return run->ents.strs[ent];
}

const char *pm_run_thread_name(const struct pm_run *run, uint32_t t)
{
	return pm_run_ent_name(run, run->threads[t].ent);
}

static const char *run_str(const struct pm_run *run, uint32_t idx)
{
	return idx < run->nr_strings && run->strings[idx] ? run->strings[idx] : "";
}

/* The raw name of a thread, or its annotation when the name map has its tid. */
static const char *base_name_of(const struct pm_run *run, int32_t tid, uint32_t raw)
{
	const char *mapped = run->map ? pw_namemap_lookup(run->map, tid) : NULL;

	return mapped ? mapped : run_str(run, raw);
}

/* The display name of thread (tid, raw) into @buf. */
static void display_name(const struct pm_run *run, const struct pm_name_opts *no,
			 int32_t tid, uint32_t raw, char *buf, size_t size)
{
	const char *name = base_name_of(run, tid, raw);
	size_t len;

	if (!*name) {
		snprintf(buf, size, "[%" PRId32 "]", tid);
		return;
	}
	len = no && no->merge_sys_tasks ? pm_sys_task_base(name) : 0;
	if (!len)
		len = strlen(name);
	if (no && no->append_tid)
		snprintf(buf, size, "%.*s:%" PRId32, (int)len, name, tid);
	else
		snprintf(buf, size, "%.*s", (int)len, name);
	/* Tabs and newlines would break the tab-separated data files. */
	for (char *p = buf; *p; p++)
		if (*p == '\t' || *p == '\n' || *p == '\r')
			*p = ' ';
}

/* A thread seen for the first time (its key is not in @m: slot @s is empty). */
static uint32_t add_thread(struct pm_run *run, struct pm_thread_map *m, uint32_t *cap,
			   int32_t tid, uint32_t raw, const struct pm_name_opts *no, int *err,
			   uint64_t key, uint32_t s)
{
	struct pm_thread *t;
	char name[512];
	uint32_t id;

	if ((run->nr_threads + 1) * 2 > m->mask + 1) {
		*err = tmap_grow(m);
		if (*err)
			return PM_NO_THREAD;
		s = tmap_slot(m, key);
	}
	if (run->nr_threads == *cap) {
		uint32_t ncap = *cap ? *cap * 2 : 256;
		struct pm_thread *n = realloc(run->threads, ncap * sizeof(*n));

		if (!n) {
			*err = PW_ENOMEM;
			return PM_NO_THREAD;
		}
		run->threads = n;
		*cap = ncap;
	}
	display_name(run, no, tid, raw, name, sizeof(name));
	id = pm_names_add(&run->ents, name);
	if (id == PM_NO_NAME) {
		*err = PW_ENOMEM;
		return PM_NO_THREAD;
	}
	t = &run->threads[run->nr_threads];
	memset(t, 0, sizeof(*t));
	t->tid = tid;
	t->tgid = PW_NONE32;
	t->raw = raw;
	t->ent = id;
	m->keys[s] = key;
	m->vals[s] = run->nr_threads;
	return run->nr_threads++;
}

/* The thread of (tid, raw), added when new; PM_NO_THREAD on failure. */
static inline uint32_t thread_of(struct pm_run *run, struct pm_thread_map *m, uint32_t *cap,
				 int32_t tid, uint32_t raw, const struct pm_name_opts *no,
				 int *err)
{
	uint64_t key = thread_key(tid, raw);
	uint32_t s = tmap_slot(m, key);

	if (m->keys[s])
		return m->vals[s];
	return add_thread(run, m, cap, tid, raw, no, err, key, s);
}

/* The thread of @key in @m, or PM_NO_THREAD. */
static inline uint32_t tmap_get(const struct pm_thread_map *m, uint64_t key)
{
	uint32_t s = tmap_slot(m, key);

	return m->keys[s] ? m->vals[s] : PM_NO_THREAD;
}

uint32_t pm_run_find_thread(const struct pm_run *run, int32_t tid, uint32_t raw)
{
	return run->tmap.keys ? tmap_get(&run->tmap, thread_key(tid, raw)) : PM_NO_THREAD;
}

/* Logs that @run's work ran out of memory; returns PW_ENOMEM. */
static int run_nomem(const struct pm_run *run)
{
	pw_err("%s: %s", run->path, pw_strerror(PW_ENOMEM));
	return PW_ENOMEM;
}

/*
 * Recent lookups, direct-mapped by tid: a pass asks for the same few
 * threads over and over, and this costs less than hashing every row.
 */
#define CACHE_SLOTS 1024u

struct lookup_cache {
	struct { uint64_t key; uint32_t val; } e[CACHE_SLOTS];	/* key 0: empty */
};

static inline uint32_t cache_slot(int32_t tid, uint32_t raw)
{
	return ((uint32_t)tid ^ raw * 0x9e3779b1u) & (CACHE_SLOTS - 1);
}

/* The thread of (@tid, @raw) after indexing (PM_NO_THREAD when unknown). */
static inline uint32_t cached_thread(struct lookup_cache *c, const struct pm_thread_map *m,
				     int32_t tid, uint32_t raw)
{
	uint64_t key = thread_key(tid, raw);
	uint32_t i = cache_slot(tid, raw);

	if (c->e[i].key != key) {
		c->e[i].key = key;
		c->e[i].val = tmap_get(m, key);
	}
	return c->e[i].val;
}

/* ---- pieces of rows ---- */

#define PIECE_ROWS 65536u	/* rows in memory are handed over in pieces this long */

/* @c's rows [@off, @off + @n) as columns of their own. */
static void view_at(const struct pw_columns *c, uint64_t off, uint64_t n, struct pw_columns *v)
{
#define AT(f) v->f = c->f ? c->f + off : NULL
	AT(time_ns); AT(cpu); AT(event); AT(pid); AT(tgid); AT(task); AT(duration_ns);
	AT(next_pid); AT(next_task); AT(prev_state); AT(next_wait_ns); AT(exit_reason);
	AT(target_cpu);
#undef AT
	v->nrows = n;
	v->strings = c->strings;
	v->nr_strings = c->nr_strings;
}

/* A pass's work on each piece, between the hooks' stop and progress. */
struct piece_ctx {
	const struct pm_run *run;
	pw_group_fn fn;
	void *ctx;
};

static int hooked_piece(const struct pw_columns *c, uint64_t first_row, void *arg)
{
	struct piece_ctx *x = arg;
	const struct pm_pass_hooks *h = x->run->hooks;
	int err;

	if (h && h->stop && *h->stop)
		return PW_ESTOPPED;
	err = x->fn(c, first_row, x->ctx);
	if (!err && h && h->progress)
		h->progress(x->run, first_row + c->nrows, x->run->nrows, h->ctx);
	return err;
}

/* Every row of @run in pieces: from its file, or from its columns in memory. */
static int for_pieces(const struct pm_run *run, unsigned int mask, pw_group_fn fn, void *ctx)
{
	const struct pw_columns *c = run->cols;
	struct piece_ctx x = { run, fn, ctx };
	int err;

	if (run->cd)
		return pw_cdict_scan(run->cd, mask & run->mask, hooked_piece, &x);
	for (uint64_t off = 0; off < c->nrows; off += PIECE_ROWS) {
		struct pw_columns v;

		view_at(c, off, c->nrows - off < PIECE_ROWS ? c->nrows - off : PIECE_ROWS, &v);
		err = hooked_piece(&v, off, &x);
		if (err)
			return err;
	}
	return 0;
}

/* The columns that say which threads a row is about. */
#define THREAD_COLS                                                          \
	(PW_COLMASK(PW_COL_EVENT) | PW_COLMASK(PW_COL_PID) | PW_COLMASK(PW_COL_TASK) | \
	 PW_COLMASK(PW_COL_NEXT_PID) | PW_COLMASK(PW_COL_NEXT_TASK))

struct scan_ctx {
	const struct pm_run *run;
	pm_rows_fn fn;
	void *ctx;
	uint32_t *thread, *next;	/* [PW_CDICT_MAX_ROWS_PER_CHUNK] at most */
	uint64_t cap;
	struct lookup_cache *cache;
};

static int scan_piece(const struct pw_columns *c, uint64_t first_row, void *arg)
{
	struct scan_ctx *x = arg;
	const struct pm_thread_map *m = &x->run->tmap;
	struct pm_rows r = { .c = c };

	(void)first_row;
	if (c->nrows > x->cap) {
		uint32_t *t = realloc(x->thread, c->nrows * sizeof(*t));
		uint32_t *n = t ? realloc(x->next, c->nrows * sizeof(*n)) : NULL;

		if (t)
			x->thread = t;
		if (!n)
			return run_nomem(x->run);
		x->next = n;
		x->cap = c->nrows;
	}
	for (uint64_t i = 0; i < c->nrows; i++) {
		x->thread[i] = c->pid[i] != PW_NONE32
				       ? cached_thread(x->cache, m, c->pid[i], c->task[i])
				       : PM_NO_THREAD;
		x->next[i] = c->event[i] == PW_EV_SCHED_SWITCH && c->next_pid[i] != PW_NONE32
				     ? cached_thread(x->cache, m, c->next_pid[i], c->next_task[i])
				     : PM_NO_THREAD;
	}
	r.thread = x->thread;
	r.next = x->next;
	return x->fn(&r, x->ctx);
}

int pm_run_scan(const struct pm_run *run, unsigned int mask, pm_rows_fn fn, void *ctx)
{
	struct scan_ctx x = { .run = run, .fn = fn, .ctx = ctx };
	int err;

	if (!run->nrows)
		return 0;
	x.cache = calloc(1, sizeof(*x.cache));
	if (!x.cache)
		return run_nomem(run);
	err = for_pieces(run, mask | THREAD_COLS, scan_piece, &x);
	free(x.cache);
	free(x.thread);
	free(x.next);
	return err;
}

/* Events per thread inside the window, for --list. */
static int count_piece(const struct pm_rows *r, void *arg)
{
	struct pm_run *run = arg;
	const uint64_t *t = r->c->time_ns;

	for (uint64_t i = 0; i < r->c->nrows; i++)
		if (r->thread[i] != PM_NO_THREAD && t[i] >= run->ws && t[i] < run->we)
			run->threads[r->thread[i]].nevents++;
	return 0;
}

static int count_events(struct pm_run *run)
{
	int err;

	if (run->counted_ws == run->ws && run->counted_we == run->we)
		return 0;
	for (uint32_t t = 0; t < run->nr_threads; t++)
		run->threads[t].nevents = 0;
	err = pm_run_scan(run, PW_COLMASK(PW_COL_TIME_NS), count_piece, run);
	if (err)
		return err;
	run->counted_ws = run->ws;
	run->counted_we = run->we;
	return 0;
}

/* ---- indexing ---- */

struct index_ctx {
	struct pm_run *run;
	const struct pm_name_opts *no;
	uint32_t cap;		/* of run->threads */
	int32_t max_cpu;
	bool seen;		/* a row */
	uint64_t tmin, tmax;	/* the rows' times (from a cdict's index) */
	int err;
	struct lookup_cache *cache;
};

/* thread_of() through the cache; PM_NO_THREAD when out of memory (logged). */
static inline uint32_t index_thread(struct index_ctx *x, int32_t tid, uint32_t raw)
{
	uint64_t key = thread_key(tid, raw);
	uint32_t i = cache_slot(tid, raw), t;

	if (x->cache->e[i].key == key)
		return x->cache->e[i].val;
	t = thread_of(x->run, &x->run->tmap, &x->cap, tid, raw, x->no, &x->err);
	if (t == PM_NO_THREAD) {
		run_nomem(x->run);
		return t;
	}
	x->cache->e[i].key = key;
	x->cache->e[i].val = t;
	return t;
}

static int index_piece(const struct pw_columns *c, uint64_t first_row, void *arg)
{
	struct index_ctx *x = arg;
	struct pm_run *run = x->run;

	(void)first_row;
	if (!c->nrows)
		return 0;
	x->seen = true;
	/* a cdict's index has the groups' time ranges: its time_ns is not read */
	for (uint64_t i = 0; c->time_ns && i < c->nrows; i++) {
		if (c->time_ns[i] < x->tmin)
			x->tmin = c->time_ns[i];
		if (c->time_ns[i] > x->tmax)
			x->tmax = c->time_ns[i];
	}
	for (uint64_t i = 0; i < c->nrows; i++) {
		if (c->cpu[i] != PW_NONE32 && c->cpu[i] > x->max_cpu)
			x->max_cpu = c->cpu[i];
		if (c->pid[i] != PW_NONE32) {
			uint32_t th = index_thread(x, c->pid[i], c->task[i]);

			if (th == PM_NO_THREAD)
				return x->err;
			if (c->tgid && c->tgid[i] != PW_NONE32)
				run->threads[th].tgid = c->tgid[i];
			run->threads[th].nevents++;
		}
		if (c->event[i] == PW_EV_SCHED_SWITCH && c->next_pid[i] != PW_NONE32 &&
		    index_thread(x, c->next_pid[i], c->next_task[i]) == PM_NO_THREAD)
			return x->err;
	}
	return 0;
}

/* The columns the index reads (and tgid, when the run has it; time_ns
 * unless the run is a cdict). */
#define INDEX_COLS (THREAD_COLS | PW_COLMASK(PW_COL_TIME_NS) | PW_COLMASK(PW_COL_CPU))

/*
 * Indexes the rows of @run (its source, meta, mask and strings set): one
 * pass finds the threads and counts their events, in the whole capture.
 */
static int index_rows(struct pm_run *run, const struct pm_name_opts *no)
{
	struct index_ctx x = { .run = run, .no = no, .max_cpu = -1, .tmin = UINT64_MAX };
	int err;

	run->map = no ? no->map : NULL;
	run->scale = 1.0;
	if (tmap_init(&run->tmap, 1024))
		return run_nomem(run);
	if (run->nrows) {
		unsigned int mask = INDEX_COLS | PW_COLMASK(PW_COL_TGID);

		if (run->cd && pw_cdict_time_range(run->cd, &x.tmin, &x.tmax))
			mask &= ~PW_COLMASK(PW_COL_TIME_NS);
		x.cache = calloc(1, sizeof(*x.cache));
		if (!x.cache)
			return run_nomem(run);
		err = for_pieces(run, mask, index_piece, &x);
		free(x.cache);
		if (err)
			return err;	/* logged where it happened */
	}

	/* The whole capture is the window: from its earliest row (or the
	 * capture's start, when earlier) to its latest. */
	run->t0 = run->meta.first_ns;
	run->t_last = run->meta.last_ns;
	if (x.seen) {
		if (!run->t0 || x.tmin < run->t0)
			run->t0 = x.tmin;
		if (x.tmax > run->t_last)
			run->t_last = x.tmax;
	}
	if (run->t_last < run->t0)
		run->t_last = run->t0;
	run->ws = run->t0;
	run->we = run->t_last + 1;
	/* The pass counted every row: right unless some lie outside the window. */
	if (!x.seen || (x.tmin >= run->ws && x.tmax < run->we)) {
		run->counted_ws = run->ws;
		run->counted_we = run->we;
	}
	err = count_events(run);
	if (err)
		return err;

	run->nr_ents = run->ents.count;
	run->ent_selected = calloc(run->nr_ents ? run->nr_ents : 1, sizeof(bool));
	if (!run->ent_selected)
		return run_nomem(run);
	run->nr_cpus = (uint32_t)(x.max_cpu + 1);
	if (run->meta.nr_cpus != PW_NONE && run->meta.nr_cpus > (int64_t)run->nr_cpus &&
	    run->meta.nr_cpus <= 65536)
		run->nr_cpus = (uint32_t)run->meta.nr_cpus;
	return 0;
}

static bool has_columns(const struct pw_columns *c)
{
	return c->time_ns && c->cpu && c->event && c->pid && c->task && c->next_pid &&
	       c->next_task && c->strings && c->nr_strings;
}

/* The run's fields every source sets; fails only for want of memory. */
static int run_init(struct pm_run *run, const char *path, const struct pw_meta *meta)
{
	memset(run, 0, sizeof(*run));
	pw_meta_init(&run->meta);
	run->path = strdup(path);
	if (!run->path || (meta && pw_meta_copy(&run->meta, meta))) {
		pw_err("%s: %s", path, pw_strerror(PW_ENOMEM));
		return PW_ENOMEM;
	}
	return 0;
}

int pm_run_index(struct pm_run *run, const char *path, const struct pw_columns *cols,
		 const struct pw_meta *meta, const struct pm_name_opts *no)
{
	int err = run_init(run, path, meta);

	if (err)
		goto fail;
	run->cols = cols;
	run->nrows = cols->nrows;
	run->strings = cols->strings;
	run->nr_strings = cols->nr_strings;
	run->mask = PW_COLMASK_ALL;
	if (cols->nrows && !has_columns(cols)) {
		pw_err("%s: columns perfmap needs were not loaded", path);
		err = PW_EINVAL;
		goto fail;
	}
	err = index_rows(run, no);
	if (err)
		goto fail;
	return 0;
fail:
	pm_run_release(run);
	return err;
}

int pm_run_index_cdict(struct pm_run *run, const char *path, struct pw_cdict *cd,
		       unsigned int mask, const struct pm_name_opts *no,
		       const struct pm_pass_hooks *hooks)
{
	int err = run_init(run, path, pw_cdict_meta(cd));

	if (err)
		goto fail;
	run->cd = cd;
	run->hooks = hooks;
	run->nrows = pw_cdict_nrows(cd);
	run->strings = pw_cdict_strings(cd, &run->nr_strings);
	run->mask = mask | INDEX_COLS;
	err = index_rows(run, no);
	if (err)
		goto fail;
	return 0;
fail:
	run->cd = NULL;		/* the caller's still */
	pm_run_release(run);
	return err;
}

void pm_run_release(struct pm_run *run)
{
	if (!run)
		return;
	free(run->path);
	free(run->name);
	pw_meta_release(&run->meta);
	free(run->threads);
	tmap_release(&run->tmap);
	pm_names_release(&run->ents);
	free(run->ent_selected);
	memset(run, 0, sizeof(*run));
}

/* ---- window ---- */

static uint64_t ms_to_ns(double ms)
{
	return (uint64_t)llround(ms * 1e6);
}

int pm_runs_window(struct pm_run **runs, unsigned int n, double from_ms, double cap_ms)
{
	uint64_t from = ms_to_ns(from_ms), cap;
	bool capped = cap_ms >= 0;

	for (unsigned int i = 0; i < n; i++) {
		uint64_t len = runs[i]->t_last - runs[i]->t0;

		if (from > len) {
			pw_err("%s: --from %.3f ms starts beyond the capture, which is %.3f ms long",
			       runs[i]->path, from_ms, len / 1e6);
			return PW_EINVAL;
		}
	}
	if (capped) {
		cap = ms_to_ns(cap_ms);
		if (!cap) {
			pw_err("--cap must be longer than 0 ms");
			return PW_EINVAL;
		}
	} else {
		/* To the end of the shortest run, so that runs compare. */
		cap = UINT64_MAX;
		for (unsigned int i = 0; i < n; i++) {
			uint64_t avail = runs[i]->t_last + 1 - (runs[i]->t0 + from);

			if (avail < cap)
				cap = avail;
		}
	}
	for (unsigned int i = 0; i < n; i++) {
		struct pm_run *r = runs[i];
		uint64_t avail = r->t_last + 1 - (r->t0 + from);

		r->ws = r->t0 + from;
		r->scale = 1.0;
		if (cap > avail) {
			r->we = r->t_last + 1;
			r->scale = (double)cap / (double)avail;
			pw_warn("%s: only %.3f ms of capture after --from, shorter than the %.3f ms window: "
				"its counts are scaled by %.3f",
				r->path, avail / 1e6, cap / 1e6, r->scale);
		} else {
			r->we = r->ws + cap;
		}
	}
	return 0;
}

/* ---- selection ---- */

struct pm_select {
	char **patterns;
	unsigned int nr;
};

void pm_select_free(struct pm_select *s)
{
	if (!s)
		return;
	for (unsigned int i = 0; i < s->nr; i++)
		free(s->patterns[i]);
	free(s->patterns);
	free(s);
}

struct pm_select *pm_select_parse(const char *spec, int *err)
{
	struct pm_select *s = calloc(1, sizeof(*s));
	const char *p = spec;

	*err = PW_ENOMEM;
	if (!s)
		return NULL;
	for (;;) {
		size_t len = strcspn(p, ",");
		char **n;

		if (!len) {
			pw_err("-t '%s': empty task pattern (use '*' for all tasks)", spec);
			*err = PW_EINVAL;
			goto fail;
		}
		n = realloc(s->patterns, (s->nr + 1) * sizeof(*n));
		if (!n)
			goto fail;
		s->patterns = n;
		s->patterns[s->nr] = strndup(p, len);
		if (!s->patterns[s->nr])
			goto fail;
		s->nr++;
		if (!p[len])
			break;
		p += len + 1;
	}
	*err = 0;
	return s;
fail:
	pm_select_free(s);
	return NULL;
}

static bool is_number(const char *s, int32_t *v)
{
	char *end;
	long n;

	if (!isdigit((unsigned char)*s))
		return false;
	errno = 0;
	n = strtol(s, &end, 10);
	if (*end || errno || n > INT32_MAX)
		return false;
	*v = (int32_t)n;
	return true;
}

bool pm_select_match(const struct pm_select *s, int32_t tid, const char *name)
{
	for (unsigned int i = 0; i < s->nr; i++) {
		int32_t n;

		if (is_number(s->patterns[i], &n)) {
			if (n == tid)
				return true;
		} else if (!fnmatch(s->patterns[i], name, 0)) {
			return true;
		}
	}
	return false;
}

uint32_t pm_run_select(struct pm_run *run, const struct pm_select *s)
{
	uint32_t n = 0;

	memset(run->ent_selected, 0, run->nr_ents * sizeof(bool));
	for (uint32_t t = 0; t < run->nr_threads; t++) {
		struct pm_thread *th = &run->threads[t];

		th->selected = pm_select_match(s, th->tid, pm_run_ent_name(run, th->ent));
		if (th->selected) {
			run->ent_selected[th->ent] = true;
			n++;
		}
	}
	return n;
}

/* Levenshtein distance, case-insensitive, bounded lengths. */
static unsigned int distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	unsigned int row[128];

	if (la > 127)
		la = 127;
	if (lb > 127)
		lb = 127;
	for (size_t j = 0; j <= lb; j++)
		row[j] = (unsigned int)j;
	for (size_t i = 1; i <= la; i++) {
		unsigned int diag = row[0];

		row[0] = (unsigned int)i;
		for (size_t j = 1; j <= lb; j++) {
			unsigned int up = row[j];
			unsigned int cost = tolower((unsigned char)a[i - 1]) !=
					    tolower((unsigned char)b[j - 1]);
			unsigned int best = diag + cost;

			if (up + 1 < best)
				best = up + 1;
			if (row[j - 1] + 1 < best)
				best = row[j - 1] + 1;
			row[j] = best;
			diag = up;
		}
	}
	return row[lb];
}

/* The literal characters of a pattern: what the user was looking for. */
static void pattern_literal(const char *pat, char *buf, size_t size)
{
	size_t n = 0;

	for (; *pat && n + 1 < size; pat++)
		if (!strchr("*?[]\\", *pat))
			buf[n++] = *pat;
	buf[n] = 0;
}

static unsigned int name_score(const char *spec, const char *name)
{
	unsigned int best = UINT_MAX;
	const char *p = spec;

	for (;;) {
		size_t len = strcspn(p, ",");
		char pat[256], lit[256];
		unsigned int d;

		snprintf(pat, sizeof(pat), "%.*s", (int)len, p);
		pattern_literal(pat, lit, sizeof(lit));
		d = strcasestr(name, lit) ? 0 : distance(lit, name);
		/* Patterns are mostly prefixes or suffixes: compare those too. */
		if (strlen(name) > strlen(lit)) {
			char part[256];
			size_t ll = strlen(lit);
			unsigned int dp;

			snprintf(part, sizeof(part), "%.*s", (int)ll, name);
			dp = distance(lit, part) + 1;
			if (dp < d)
				d = dp;
			dp = distance(lit, name + strlen(name) - ll) + 1;
			if (dp < d)
				d = dp;
		}
		if (d < best)
			best = d;
		if (!p[len])
			break;
		p += len + 1;
	}
	return best;
}

unsigned int pm_run_closest(const struct pm_run *run, const char *spec,
			    const char **names, unsigned int max)
{
	unsigned int n = 0, *scores;

	if (!max || !run->nr_ents)
		return 0;
	scores = calloc(max, sizeof(*scores));
	if (!scores)
		return 0;
	/* Insertion into a short sorted list: max is small. */
	for (uint32_t e = 0; e < run->nr_ents; e++) {
		const char *name = pm_run_ent_name(run, e);
		unsigned int sc = name_score(spec, name), pos;

		for (pos = n; pos > 0; pos--) {
			if (scores[pos - 1] < sc ||
			    (scores[pos - 1] == sc && strcmp(names[pos - 1], name) <= 0))
				break;
		}
		if (pos >= max)
			continue;
		if (n < max)
			n++;
		memmove(&names[pos + 1], &names[pos], (n - 1 - pos) * sizeof(*names));
		memmove(&scores[pos + 1], &scores[pos], (n - 1 - pos) * sizeof(*scores));
		names[pos] = name;
		scores[pos] = sc;
	}
	free(scores);
	return n;
}

/* ---- groups ---- */

void pm_run_group_key(const struct pm_run *run, uint32_t t, enum pm_group_by g, char *buf,
		      size_t size)
{
	const struct pm_thread *th = &run->threads[t];

	if (g == PM_GROUP_GROUP) {
		const char *p = strchr(base_name_of(run, th->tid, th->raw), '.');

		while (p) {
			size_t n = strspn(p + 1, "0123456789");

			if (n && (p[1 + n] == '.' || !p[1 + n])) {
				snprintf(buf, size, "%.*s", (int)n, p + 1);
				return;
			}
			p = strchr(p + 1, '.');
		}
		snprintf(buf, size, "ungrouped");
	} else if (g == PM_GROUP_PROCESS) {
		if (th->tgid == PW_NONE32) {
			snprintf(buf, size, "unknown process");
			return;
		}
		for (uint32_t k = 0; k < run->nr_threads; k++) {
			if (run->threads[k].tid == th->tgid) {
				snprintf(buf, size, "%s:%" PRId32,
					 base_name_of(run, th->tgid, run->threads[k].raw), th->tgid);
				return;
			}
		}
		snprintf(buf, size, "[%" PRId32 "]", th->tgid);
	} else {
		buf[0] = 0;
	}
}

/* ---- listings ---- */

static const struct pm_run *sort_run;

static int cmp_activity(const void *a, const void *b)
{
	const struct pm_thread *x = &sort_run->threads[*(const uint32_t *)a];
	const struct pm_thread *y = &sort_run->threads[*(const uint32_t *)b];

	if (x->nevents != y->nevents)
		return x->nevents > y->nevents ? -1 : 1;
	if (x->tid != y->tid)
		return x->tid < y->tid ? -1 : 1;
	return strcmp(pm_run_ent_name(sort_run, x->ent), pm_run_ent_name(sort_run, y->ent));
}

int pm_run_write_list(struct pm_run *run, FILE *out)
{
	uint32_t *order;
	int err = count_events(run);

	if (err)
		return err;
	order = malloc((run->nr_threads ? run->nr_threads : 1) * sizeof(*order));
	if (!order)
		return PW_ENOMEM;
	for (uint32_t t = 0; t < run->nr_threads; t++)
		order[t] = t;
	sort_run = run;
	qsort(order, run->nr_threads, sizeof(*order), cmp_activity);
	fprintf(out, "%8s %10s  %s\n", "TID", "EVENTS", "TASK");
	for (uint32_t i = 0; i < run->nr_threads; i++) {
		const struct pm_thread *t = &run->threads[order[i]];

		if (!t->nevents)
			continue;
		fprintf(out, "%8" PRId32 " %10" PRIu64 "  %s\n", t->tid, t->nevents,
			pm_run_ent_name(run, t->ent));
	}
	free(order);
	return ferror(out) ? PW_EWRITE : 0;
}

struct succ {
	const char *name;
	uint64_t count;
};

static int cmp_succ(const void *a, const void *b)
{
	const struct succ *x = a, *y = b;

	if (x->count != y->count)
		return x->count > y->count ? -1 : 1;
	return strcmp(x->name, y->name);
}

struct succ_ctx {
	const struct pm_run *run;
	const bool *sel;		/* [thread] selected by the pattern */
	const uint32_t *succ_of;	/* [thread] its line in tab */
	struct succ *tab;
	uint64_t total;
};

static int succ_piece(const struct pm_rows *r, void *arg)
{
	struct succ_ctx *x = arg;
	const struct pw_columns *c = r->c;

	for (uint64_t i = 0; i < c->nrows; i++) {
		uint32_t t = r->thread[i], nx = r->next[i];

		if (t == PM_NO_THREAD || nx == PM_NO_THREAD || !x->sel[t] ||
		    c->time_ns[i] < x->run->ws || c->time_ns[i] >= x->run->we)
			continue;
		x->tab[x->succ_of[nx]].count++;
		x->total++;
	}
	return 0;
}

int64_t pm_run_write_successors(const struct pm_run *run, const struct pm_select *s,
				FILE *out)
{
	struct pm_names names = { 0 };
	uint32_t *succ_of = calloc(run->nr_threads ? run->nr_threads : 1, sizeof(uint32_t));
	bool *sel = calloc(run->nr_threads ? run->nr_threads : 1, sizeof(bool));
	struct succ *tab = NULL;
	uint64_t total = 0;
	uint32_t n;
	int64_t ret = PW_ENOMEM;

	if (!succ_of || !sel)
		goto out;
	/* Successor name of each thread: raw (annotated) name, per-core merged. */
	for (uint32_t t = 0; t < run->nr_threads; t++) {
		const struct pm_thread *th = &run->threads[t];
		const char *name = base_name_of(run, th->tid, th->raw);
		size_t len = pm_sys_task_base(name);
		char buf[512];

		sel[t] = pm_select_match(s, th->tid, pm_run_ent_name(run, th->ent));
		if (!*name)
			snprintf(buf, sizeof(buf), "[%" PRId32 "]", th->tid);
		else
			snprintf(buf, sizeof(buf), "%.*s", (int)(len ? len : strlen(name)), name);
		succ_of[t] = pm_names_add(&names, buf);
		if (succ_of[t] == PM_NO_NAME)
			goto out;
	}
	n = names.count;
	tab = calloc(n + 1, sizeof(*tab));
	if (!tab)
		goto out;
	for (uint32_t i = 0; i < n; i++)
		tab[i].name = names.strs[i];
	{
		struct succ_ctx x = { run, sel, succ_of, tab, 0 };

		ret = pm_run_scan(run, PW_COLMASK(PW_COL_TIME_NS), succ_piece, &x);
		if (ret)
			goto out;
		total = x.total;
	}
	qsort(tab, n, sizeof(*tab), cmp_succ);
	fprintf(out, "%10s %8s  %s\n", "SWITCHES", "PERCENT", "NEXT TASK");
	for (uint32_t i = 0; i < n && tab[i].count; i++)
		fprintf(out, "%10" PRIu64 " %7.2f%%  %s\n", tab[i].count,
			tab[i].count * 100.0 / (double)total, tab[i].name);
	fprintf(out, "%10" PRIu64 " %7.2f%%  (total)\n", total, total ? 100.0 : 0.0);
	ret = ferror(out) ? PW_EWRITE : (int64_t)total;
out:
	free(tab);
	free(succ_of);
	free(sel);
	pm_names_release(&names);
	return ret;
}

/* ---- run names ---- */

static bool is_sep(char c)
{
	return c == '-' || c == '_' || c == '.' || c == '/';
}

static const char *base_name(const char *path)
{
	const char *s = strrchr(path, '/');

	return s ? s + 1 : path;
}

/* Base name without a trailing ".cdict". */
static size_t stem_len(const char *b)
{
	size_t len = strlen(b);

	if (len > 6 && !strcmp(b + len - 6, ".cdict"))
		len -= 6;
	return len;
}

static int name_runs_from(struct pm_run **runs, unsigned int n, bool full)
{
	size_t pre = SIZE_MAX, suf = SIZE_MAX;
	const char *first = full ? runs[0]->path : base_name(runs[0]->path);
	size_t flen = stem_len(first);

	for (unsigned int i = 1; i < n; i++) {
		const char *b = full ? runs[i]->path : base_name(runs[i]->path);
		size_t len = stem_len(b), k = 0;

		while (k < len && k < flen && b[k] == first[k])
			k++;
		if (k < pre)
			pre = k;
		k = 0;
		while (k < len && k < flen && b[len - 1 - k] == first[flen - 1 - k])
			k++;
		if (k < suf)
			suf = k;
	}
	if (n < 2)
		pre = suf = 0;
	for (unsigned int i = 0; i < n; i++) {
		const char *b = full ? runs[i]->path : base_name(runs[i]->path);
		size_t len = stem_len(b), s = pre, e;

		if (s > len)
			s = len;
		/* Back up to whole words. */
		while (s > 0 && !is_sep(b[s - 1]))
			s--;
		e = len - (suf < len - s ? suf : len - s);
		while (e < len && !is_sep(b[e]))
			e++;
		if (e <= s) {
			s = 0;
			e = len;
		}
		free(runs[i]->name);
		runs[i]->name = strndup(b + s, e - s);
		if (!runs[i]->name)
			return PW_ENOMEM;
	}
	return 0;
}

int pm_runs_name(struct pm_run **runs, unsigned int n)
{
	int err = name_runs_from(runs, n, false);

	if (err)
		return err;
	for (unsigned int i = 0; i < n; i++)
		for (unsigned int j = i + 1; j < n; j++)
			if (!strcmp(runs[i]->name, runs[j]->name))
				return name_runs_from(runs, n, true);
	return 0;
}
