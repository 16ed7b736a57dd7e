// SPDX-License-Identifier: MIT
/*
 * tracedata.c - perf's tracing data (the tracepoint formats recorded with
 * the capture) parsed into libtraceevent, and payload decoding through
 * fields resolved by name once per tracepoint.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <traceevent/event-parse.h>
#include <traceevent/trace-seq.h>
#include <tracefs/tracefs.h>

#include "pw-log.h"
#include "reader-local.h"
#include "tracedata-decode.h"

/* A bounded cursor over the tracing data, for messages with offsets. */
struct cur {
	const uint8_t *p, *end, *start;
	const char *file;
	uint64_t base;		/* input offset of start */
	bool swap;
	bool quiet;		/* a first pass: the second one reports */
};

static uint64_t cur_off(const struct cur *c)
{
	return c->base + (uint64_t)(c->p - c->start);
}

static int cur_fail(const struct cur *c, const char *what)
{
	if (!c->quiet)
		pw_err("%s: offset %llu: tracing data: %s", c->file,
	       (unsigned long long)cur_off(c), what);
	return PW_EFORMAT;
}

static int cur_bytes(struct cur *c, size_t n, const uint8_t **out)
{
	if ((size_t)(c->end - c->p) < n)
		return cur_fail(c, "truncated");
	*out = c->p;
	c->p += n;
	return 0;
}

static int cur_u32(struct cur *c, uint32_t *v)
{
	const uint8_t *p;
	int err = cur_bytes(c, 4, &p);

	if (err)
		return err;
	memcpy(v, p, 4);
	if (c->swap)
		*v = __builtin_bswap32(*v);
	return 0;
}

static int cur_u64(struct cur *c, uint64_t *v)
{
	const uint8_t *p;
	int err = cur_bytes(c, 8, &p);

	if (err)
		return err;
	memcpy(v, p, 8);
	if (c->swap)
		*v = __builtin_bswap64(*v);
	return 0;
}

static int cur_str(struct cur *c, const char **s)
{
	const uint8_t *nul = memchr(c->p, 0, (size_t)(c->end - c->p));

	if (!nul)
		return cur_fail(c, "unterminated string");
	*s = (const char *)c->p;
	c->p = nul + 1;
	return 0;
}

/* A u64-sized block, bounded by what is left. */
static int cur_block64(struct cur *c, const uint8_t **p, size_t *n)
{
	uint64_t size;
	int err = cur_u64(c, &size);

	if (err)
		return err;
	if (size > (uint64_t)(c->end - c->p))
		return cur_fail(c, "section size past the end");
	*n = (size_t)size;
	return cur_bytes(c, *n, p);
}

/* Only the scheduler and KVM formats go to libtraceevent: every other one
 * is only named (for the dropped counts), which keeps the library's parser
 * away from formats perfwhiz has no use for. */
static bool wanted_system(const char *sys)
{
	return !strcmp(sys, "sched") || !strcmp(sys, "kvm");
}

/* "name: X\nID: N\n" at the start of a format text. */
static bool format_head(const uint8_t *text, size_t n, char *name, size_t name_size, int *id)
{
	const char *t = (const char *)text, *end = t + n, *nl;
	size_t len;

	if (n < 6 || memcmp(t, "name: ", 6))
		return false;
	t += 6;
	nl = memchr(t, '\n', (size_t)(end - t));
	if (!nl || (len = (size_t)(nl - t)) == 0 || len >= name_size)
		return false;
	memcpy(name, t, len);
	name[len] = 0;
	t = nl + 1;
	if (end - t < 5 || memcmp(t, "ID: ", 4))
		return false;
	t += 4;
	*id = 0;
	if (t >= end || *t < '0' || *t > '9')
		return false;
	for (; t < end && *t >= '0' && *t <= '9'; t++) {
		if (*id > 0xffff)
			return false;
		*id = *id * 10 + (*t - '0');
	}
	return t < end && *t == '\n';
}

/*
 * A cheap sanity check before libtraceevent sees a format: printable text,
 * field lines of the usual shape, and a print format whose quotes,
 * parentheses and braces balance. libtraceevent's parser trusts its input
 * (it has crashed on malformed print formats); perf.data files do not
 * deserve that trust.
 */
static bool format_sane(const uint8_t *text, size_t n)
{
	const char *t = (const char *)text, *end = t + n, *pf;
	char stack[64];
	int depth = 0;
	bool quoted = false;

	for (size_t i = 0; i < n; i++)
		if ((text[i] < 0x20 && text[i] != '\n' && text[i] != '\t') || text[i] > 0x7e)
			return false;
	pf = memmem(t, n, "\nprint fmt: ", 12);
	if (!pf)
		return false;
	for (const char *l = memmem(t, n, "\nformat:\n", 9); l && l < pf; ) {
		const char *nl = memchr(l + 1, '\n', (size_t)(pf - l));

		l++;
		if (!nl || nl >= pf)
			break;
		if (nl > l && (memcmp(l, "\tfield:", 7) && memcmp(l, "format:", 7)))
			return false;
		if (!memcmp(l, "\tfield:", 7) &&
		    (!memmem(l, (size_t)(nl - l), ";\toffset:", 9) ||
		     !memmem(l, (size_t)(nl - l), ";\tsize:", 7)))
			return false;
		l = nl;
	}
	for (t = pf + 12; t < end; t++) {
		char c = *t;

		if (quoted) {
			if (c == '\\' && t + 1 < end)
				t++;
			else if (c == '"')
				quoted = false;
			continue;
		}
		if (c == '"') {
			quoted = true;
		} else if (c == '/' || c == '%') {
			/* libtraceevent folds constants: no division by zero */
			const char *q = t + 1;

			while (q < end && *q == ' ')
				q++;
			if (q < end && *q == '0') {
				char num[32];
				size_t k = 0;

				while (q + k < end && k < sizeof(num) - 1 &&
				       strchr("0123456789abcdefABCDEFxXuUlL", q[k]))
					num[k] = q[k], k++;
				num[k] = 0;
				if (strtoull(num, NULL, 0) == 0)
					return false;
			}
		} else if (c == '(' || c == '{' || c == '[') {
			if (depth == (int)sizeof(stack))
				return false;
			stack[depth++] = c == '(' ? ')' : c == '{' ? '}' : ']';
		} else if (c == ')' || c == '}' || c == ']') {
			if (!depth || stack[--depth] != c)
				return false;
		} else if (c == '\n' && t + 1 < end && t[1] != 0) {
			break;		/* the print format is one line */
		}
	}
	return !quoted && depth == 0;
}

/*
 * Parse (and print a zeroed record with) the format in a child process
 * first: malformed formats have crashed libtraceevent in ways no quick
 * check rules out, and a perf.data file must never crash perfwhiz. Only the
 * few formats perfwhiz keeps get here. True when the child came through.
 */

/* The formats of the tracing data being parsed that the batch child came
 * through, by content. They hold for that parse only: the child rehearsed
 * the parent's calls in the parent's state, and libtraceevent keeps parsing
 * state in globals, so a verdict reached at another time may not hold (the
 * fuzzer found one). */
#define PROBE_SEEN 256
static struct { uint64_t hash; size_t n; } probe_seen[PROBE_SEEN];
static unsigned int probe_next;

static uint64_t probe_hash(const uint8_t *text, size_t n)
{
	uint64_t h = 14695981039346656037ULL;

	for (size_t i = 0; i < n; i++)
		h = (h ^ text[i]) * 1099511628211ULL;
	return h;
}

static bool probe_passed(uint64_t h, size_t n)
{
	for (unsigned int i = 0; i < probe_next; i++)
		if (probe_seen[i].n == n && probe_seen[i].hash == h)
			return true;
	return false;
}

/*
 * In the child: what the parent is about to do, in the state it is in (its
 * handle as of the fork, libtraceevent's globals included): parse the format
 * into that handle, then print a zeroed record with it.
 */
static void probe_one(const struct pw_tracedata *td, const uint8_t *text, size_t n,
		      const char *sys)
{
	static uint8_t zero[4096];
	struct tep_record rec = { .data = zero, .size = sizeof(zero) };
	struct tep_event *ev = NULL;
	struct trace_seq seq;

	if (tep_parse_format(td->tep, &ev, (const char *)text, n, sys) == 0 && ev) {
		uint16_t type = (uint16_t)ev->id;

		memset(zero, 0, sizeof(zero));
		memcpy(zero, &type, sizeof(type));
		trace_seq_init(&seq);
		tep_print_event(td->tep, &seq, &rec, "%s", TEP_PRINT_INFO);
		trace_seq_destroy(&seq);
	}
}

/*
 * How long a probe child may take: past that it is killed and its formats
 * count as failed, as a format on which libtraceevent loops would otherwise
 * hang the reader. A batch of a sched capture's 25 formats takes a few
 * milliseconds (under valgrind, the whole conversion of a small capture
 * takes 1.4 s).
 */
static unsigned int probe_deadline_ms = 5000;
static unsigned int probe_child_delay_ms;	/* tests: each child sleeps first */

void pw_tracedata_probe_limits(unsigned int deadline_ms, unsigned int child_delay_ms)
{
	probe_deadline_ms = deadline_ms;
	probe_child_delay_ms = child_delay_ms;
}

static uint64_t now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

/* Formats to probe together before they are parsed (see probe_batch()). */
struct probe_list {
	struct { const uint8_t *text; size_t n; const char *sys; uint64_t hash; } *f;
	size_t nr, cap;
};

/* Probe the formats of @l, or the one at @text, in a child; true when it came through. */
static bool in_child(const struct pw_tracedata *td, const struct probe_list *l,
		     const uint8_t *text, size_t n, const char *sys)
{
	pid_t pid = fork();
	int status;

	if (pid < 0)
		return true;	/* cannot probe: trust the checks above */
	if (pid == 0) {
		/* A format that crashes libtraceevent kills this child by its
		 * signal, which is the verdict: no core dump or crash report
		 * (apport, systemd-coredump), and no handler of the parent's
		 * (a sanitizer's, a fuzzer's) reporting it as the parent's crash. */
		static const int sigs[] = { SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT, SIGTRAP };

		prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
		for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
			signal(sigs[i], SIG_DFL);
		if (probe_child_delay_ms) {
			struct timespec d = { probe_child_delay_ms / 1000,
					      (long)(probe_child_delay_ms % 1000) * 1000000L };

			while (nanosleep(&d, &d) < 0 && errno == EINTR)
				;
		}
		if (l)
			for (size_t i = 0; i < l->nr; i++)
				probe_one(td, l->f[i].text, l->f[i].n, l->f[i].sys);
		else
			probe_one(td, text, n, sys);
		_exit(0);
	}
	/* polled, at growing intervals (a child of a few milliseconds is seen
	 * done within as many more), until the deadline */
	for (uint64_t start = now_us(), nap = 20;; nap = nap < 10000 ? 2 * nap : nap) {
		struct timespec d = { 0, (long)nap * 1000L };
		pid_t w = waitpid(pid, &status, WNOHANG);

		if (w == pid)
			return WIFEXITED(status) && WEXITSTATUS(status) == 0;
		if (w < 0 && errno != EINTR)
			return false;
		if (now_us() - start >= (uint64_t)probe_deadline_ms * 1000u) {
			pw_debug("tracing data: a format probe still ran after %u ms: stopped, "
				 "its formats count as failed", probe_deadline_ms);
			kill(pid, SIGKILL);
			while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
				;
			return false;
		}
		nanosleep(&d, NULL);
	}
}

static bool format_probe(const struct pw_tracedata *td, const uint8_t *text, size_t n,
			 const char *sys)
{
	/* Passed: the batch child came through the whole list. Otherwise a
	 * child rehearses this one parse in the parent's present state; that
	 * verdict is not kept, as a later copy of the same text would be
	 * parsed in another state. */
	return probe_passed(probe_hash(text, n), n) || in_child(td, NULL, text, n, sys);
}

/*
 * All the formats a capture will probe, in one child: a fork costs about
 * as much as reading 10k events, and a sched capture has 25 formats. When
 * that child comes through, each is remembered as fine; when it does not,
 * nothing is remembered and format_probe() finds the culprit one by one.
 */
static void probe_batch(const struct pw_tracedata *td, const struct probe_list *l)
{
	if (l->nr < 2 || l->nr > PROBE_SEEN || !in_child(td, l, NULL, 0, NULL))
		return;
	for (size_t i = 0; i < l->nr; i++) {
		probe_seen[i].hash = l->f[i].hash;
		probe_seen[i].n = l->f[i].n;
	}
	probe_next = (unsigned int)l->nr;
}

static int remember(struct pw_tracedata *td, int id, const char *sys, const char *name)
{
	char **nn;

	if (pw_u64map_get(&td->skipped, (uint64_t)id, &(uint64_t){ 0 }))
		return 0;
	nn = realloc(td->names, (td->nr_names + 1) * sizeof(*nn));
	if (!nn)
		return PW_ENOMEM;
	td->names = nn;
	if (asprintf(&nn[td->nr_names], "%s:%s", sys, name) < 0)
		return PW_ENOMEM;
	return pw_u64map_put(&td->skipped, (uint64_t)id, td->nr_names++);
}

/*
 * The format at @c. With @batch, only list the formats format_probe() would
 * fork for, without any other effect (the first of two passes).
 */
static int parse_format(struct pw_tracedata *td, struct cur *c, const char *sys,
			struct probe_list *batch)
{
	const uint8_t *text;
	char name[64];
	size_t n;
	int id, err = cur_block64(c, &text, &n);

	if (err)
		return err;
	if (batch) {
		if (!format_head(text, n, name, sizeof(name), &id) || !wanted_system(sys) ||
		    !format_sane(text, n))
			return 0;
		if (batch->nr == batch->cap) {
			size_t cap = batch->cap ? 2 * batch->cap : 32;
			void *nf = realloc(batch->f, cap * sizeof(*batch->f));

			if (!nf)
				return 0;	/* no batch: probed one by one */
			batch->f = nf;
			batch->cap = cap;
		}
		batch->f[batch->nr].text = text;
		batch->f[batch->nr].n = n;
		batch->f[batch->nr].sys = sys;
		batch->f[batch->nr++].hash = probe_hash(text, n);
		return 0;
	}
	if (!format_head(text, n, name, sizeof(name), &id)) {
		td->nr_failed++;
		pw_debug("%s: tracing data: a %s format without a readable name and ID", c->file,
			 sys);
		return 0;
	}
	if (!wanted_system(sys))
		return remember(td, id, sys, name);
	/* A failure only matters for an event perfwhiz keeps: pw_tp_resolve()
	 * then reports it by name. */
	if (!format_sane(text, n) || !format_probe(td, text, n, sys) ||
	    tep_parse_event(td->tep, (const char *)text, n, sys)) {
		td->nr_failed++;
		pw_debug("%s: tracing data: the format of %s:%s could not be parsed", c->file, sys,
			 name);
		return remember(td, id, sys, name);
	}
	return 0;
}

int pw_tracedata_parse(struct pw_tracedata *td, const uint8_t *buf, size_t size,
		       const char *file, uint64_t off)
{
	static const uint8_t magic[10] = { 23, 8, 68, 't', 'r', 'a', 'c', 'i', 'n', 'g' };
	/* an empty block may come with a null @buf: no pointer arithmetic on it */
	struct cur c = { buf, size ? buf + size : buf, buf, file, off, false, false };
	const uint8_t *p, *formats;
	const char *version, *sys;
	struct probe_list batch = { 0 };
	uint32_t count, nsys, page_size, u32;
	uint64_t u64;
	size_t n;
	int err;

	if (td->parsed) {
		pw_warn("%s: offset %llu: a second copy of the tracing data is ignored", file,
			(unsigned long long)off);
		return 0;
	}
	if (size < sizeof(magic) || memcmp(buf, magic, sizeof(magic)))
		return cur_fail(&c, "bad magic (not perf tracing data)");
	c.p += sizeof(magic);
	if ((err = cur_str(&c, &version)) || (err = cur_bytes(&c, 2, &p)))
		return err;
	c.swap = (p[0] != 0) != (__BYTE_ORDER__ == __ORDER_BIG_ENDIAN__);
	td->tep = tep_alloc();
	if (!td->tep)
		return PW_ENOMEM;
	tep_set_flag(td->tep, TEP_NSEC_OUTPUT);
	tep_set_file_bigendian(td->tep, p[0] ? TEP_BIG_ENDIAN : TEP_LITTLE_ENDIAN);
	tep_set_local_bigendian(td->tep, __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__ ?
				TEP_BIG_ENDIAN : TEP_LITTLE_ENDIAN);
	if (p[1] != 4 && p[1] != 8)
		return cur_fail(&c, "long size is neither 4 nor 8");
	tep_set_long_size(td->tep, p[1]);
	if ((err = cur_u32(&c, &page_size)))
		return err;
	tep_set_page_size(td->tep, (int)page_size);

	if ((err = cur_bytes(&c, 12, &p)))
		return err;
	if (memcmp(p, "header_page", 12))
		return cur_fail(&c, "missing header_page");
	if ((err = cur_block64(&c, &p, &n)))
		return err;
	if (!tep_parse_header_page(td->tep, (char *)p, n, tep_get_long_size(td->tep)))
		tep_set_long_size(td->tep, tep_get_header_page_size(td->tep));
	if ((err = cur_bytes(&c, 13, &p)))
		return err;
	if (memcmp(p, "header_event", 13))
		return cur_fail(&c, "missing header_event");
	if ((err = cur_block64(&c, &p, &n)))
		return err;

	/* the formats, twice: the ones to probe, then each for real */
	probe_next = 0;
	formats = c.p;
	for (int pass = 0; pass < 2; pass++) {
		struct probe_list *b = pass ? NULL : &batch;

		c.p = formats;
		c.quiet = !pass;
		err = cur_u32(&c, &count);
		for (uint32_t i = 0; !err && i < count; i++)
			err = parse_format(td, &c, "ftrace", b);
		err = err ?: cur_u32(&c, &nsys);
		for (uint32_t i = 0; !err && i < nsys; i++) {
			err = cur_str(&c, &sys) ?: cur_u32(&c, &count);
			for (uint32_t j = 0; !err && j < count; j++)
				err = parse_format(td, &c, sys, b);
		}
		if (!pass)	/* an error is reported by the second pass */
			probe_batch(td, &batch);
	}
	c.quiet = false;
	free(batch.f);
	if (err)
		return err;
	/* kallsyms and printk formats: not needed for the events we decode;
	 * skipped, but their sizes must still fit. */
	if ((err = cur_u32(&c, &u32)) || (err = cur_bytes(&c, u32, &p)))
		return err;
	if ((err = cur_u32(&c, &u32)) || (err = cur_bytes(&c, u32, &p)))
		return err;
	if (atof(version) >= 0.6) {
		if ((err = cur_u64(&c, &u64)))
			return err;
		if (u64 > (uint64_t)(c.end - c.p))
			return cur_fail(&c, "saved cmdlines past the end");
	}
	td->parsed = true;
	return 0;
}

int pw_tracedata_from_system(struct pw_tracedata *td, const char *const *names)
{
	const char *systems[] = { "sched", "kvm", NULL };

	(void)names;
	if (td->tep)
		tep_free(td->tep);
	td->tep = tracefs_local_events_system(NULL, systems);
	if (!td->tep)
		return PW_ENOTRACING;
	td->parsed = true;
	td->from_system = true;
	return 0;
}

void pw_tracedata_release(struct pw_tracedata *td)
{
	if (td->tep)
		tep_free(td->tep);
	for (unsigned int i = 0; i < td->nr_names; i++)
		free(td->names[i]);
	free(td->names);
	pw_u64map_release(&td->skipped);
	memset(td, 0, sizeof(*td));
}

/* Field names per kept event, by slot; a leading '?' marks optional ones. */
static const char *const field_names[PW_EV__MAX][PW_F__MAX] = {
	[PW_EV_SCHED_SWITCH] = { "prev_comm", "prev_pid", "prev_state", "next_comm", "next_pid" },
	[PW_EV_SCHED_WAKEUP] = { "comm", "pid", "?target_cpu" },
	[PW_EV_SCHED_WAKEUP_NEW] = { "comm", "pid", "?target_cpu" },
	[PW_EV_SCHED_MIGRATE_TASK] = { "comm", "pid", "dest_cpu" },
	[PW_EV_SCHED_STAT_SLEEP] = { "comm", "pid", "delay" },
	[PW_EV_SCHED_STAT_IOWAIT] = { "comm", "pid", "delay" },
	[PW_EV_KVM_EXIT] = { NULL, NULL, "exit_reason" },
	[PW_EV_KVM_ENTRY] = { NULL },
};

static void field_set(struct pw_field *f, const struct tep_format_field *tf)
{
	f->present = true;
	f->offset = tf->offset;
	f->size = tf->size;
	f->is_signed = tf->flags & TEP_FIELD_IS_SIGNED;
	f->dynamic = tf->flags & TEP_FIELD_IS_DYNAMIC;
	f->relative = tf->flags & TEP_FIELD_IS_RELATIVE;
}

/* Whether @f has the usual layout: sets tp->need to cover it. */
static bool usual_field(struct pw_tp *tp, const struct pw_field *f, int kind)
{
	if (!f->present)
		return true;
	if (f->dynamic || f->offset < 0 || f->size <= 0 || f->offset > INT32_MAX - f->size)
		return false;
	if ((uint32_t)(f->offset + f->size) > tp->need)
		tp->need = (uint32_t)(f->offset + f->size);
	switch (kind) {
	case PW_F_COMM:
	case PW_F_NEXT_COMM:
		return f->size == 16;
	case PW_F_PID:
	case PW_F_NEXT_PID:
		return f->size == 4 && f->is_signed;
	default:		/* PW_F_X, the isa */
		return f->size == 4 || f->size == 8;
	}
}

/* Sets tp->usual and tp->need (see struct pw_tp) from the resolved fields. */
static void usual_set(struct pw_tp *tp)
{
	bool ok = !tp->swap;

	tp->need = 0;
	for (int i = 0; i < PW_F__MAX; i++)
		ok = usual_field(tp, &tp->f[i], i) && ok;
	tp->usual = usual_field(tp, &tp->isa, PW_F_X) && ok;
}

int pw_tp_resolve(struct pw_tracedata *td, int id, const char *attr_name,
		  struct pw_tp *tp, const char *file)
{
	struct tep_event *ev = td->tep ? tep_find_event(td->tep, id) : NULL;
	const char *short_name;
	char buf[160];
	uint64_t si;

	memset(tp, 0, sizeof(*tp));
	tp->id = id;
	tp->kind = -1;
	tp->swap = td->tep && tep_is_file_bigendian(td->tep) != tep_is_local_bigendian(td->tep);
	pw_u64map_init(&tp->strcache);
	if (ev)
		snprintf(buf, sizeof(buf), "%s:%s", ev->system, ev->name);
	else if (pw_u64map_get(&td->skipped, (uint64_t)id, &si))
		snprintf(buf, sizeof(buf), "%s", td->names[si]);
	else if (attr_name)
		snprintf(buf, sizeof(buf), "%s", attr_name);
	else
		snprintf(buf, sizeof(buf), "tracepoint id %d", id);
	tp->name = strdup(buf);
	if (!tp->name)
		return PW_ENOMEM;
	short_name = strchr(tp->name, ':');
	short_name = short_name ? short_name + 1 : tp->name;
	if (strncmp(tp->name, "sched:", 6) && strncmp(tp->name, "kvm:", 4))
		return 0;
	tp->kind = pw_event_from_name(short_name);
	if (tp->kind < 0)
		return 0;
	if (!ev || (ev->flags & TEP_EVENT_FL_FAILED)) {
		pw_err("%s: the tracing data has %s format for %s (id %d), an event perfwhiz "
		       "needs", file, ev || pw_u64map_get(&td->skipped, (uint64_t)id, &si) ?
		       "an unparsable" : "no", tp->name, id);
		return PW_EEVENTFMT;
	}
	tp->ev = ev;
	for (int i = 0; i < PW_F__MAX; i++) {
		const char *fname = field_names[tp->kind][i];
		bool optional = fname && fname[0] == '?';
		struct tep_format_field *tf;

		if (!fname)
			continue;
		fname += optional;
		tf = tep_find_field(ev, fname);
		if (!tf) {
			if (optional)
				continue;
			pw_err("%s: the format of %s (id %d) has no field '%s'", file, tp->name,
			       id, fname);
			return PW_EEVENTFMT;
		}
		field_set(&tp->f[i], tf);
	}
	if (tp->kind == PW_EV_KVM_EXIT) {
		struct tep_format_field *tf = tep_find_field(ev, "isa");

		if (tf)
			field_set(&tp->isa, tf);
	}
	usual_set(tp);
	if (tp->kind == PW_EV_SCHED_SWITCH || tp->kind == PW_EV_KVM_EXIT) {
		tp->small = calloc(PW_TP_SMALL, sizeof(*tp->small));
		if (!tp->small)
			return PW_ENOMEM;
	}
	return 0;
}

void pw_tp_release(struct pw_tp *tp)
{
	free(tp->name);
	free(tp->small);
	pw_u64map_release(&tp->strcache);
}

/*
 * The text the recorded print format gives for this payload, between
 * @from and @to (e.g. "prev_state=" .. " ==> "), interned. This is how
 * perf prints it, from the format in the file, never from a table here.
 */
static uint32_t printed_part(struct pw_tracedata *td, struct pw_tp *tp, const uint8_t *raw,
			     uint32_t size, const char *from, const char *to,
			     struct pw_intern *strs)
{
	struct tep_record rec = { .data = (void *)raw, .size = (int)size };
	struct trace_seq s;
	const char *a, *b;
	uint32_t id = 0;

	trace_seq_init(&s);
	tep_print_event(td->tep, &s, &rec, "%s", TEP_PRINT_INFO);
	trace_seq_terminate(&s);
	if (s.buffer && (a = strstr(s.buffer, from))) {
		a += strlen(from);
		b = strstr(a, to);
		if (!b)
			b = a + strlen(a);
		id = pw_intern_id(strs, a, (size_t)(b - a));
	}
	trace_seq_destroy(&s);
	return id;
}

/*
 * The id of the text perf prints for value @key of @tp's prev_state or
 * exit reason (between @from and @to), remembered by value: @sk is its
 * index in tp->small, or PW_TP_SMALL when it has none. Returns the id (0
 * when perf prints nothing there), or PW_ENOMEM.
 */
__attribute__((noinline)) int64_t
pw_tp_printed_slow(struct pw_tracedata *td, struct pw_tp *tp, const uint8_t *raw, uint32_t size,
		   uint64_t key, uint32_t sk, const char *from, const char *to,
		   struct pw_intern *strs)
{
	uint64_t id;

	if (!pw_u64map_get(&tp->strcache, key, &id)) {
		id = printed_part(td, tp, raw, size, from, to, strs);
		if (pw_u64map_put(&tp->strcache, key, id))
			return PW_ENOMEM;
	}
	if (sk < PW_TP_SMALL)
		tp->small[sk] = (uint32_t)id + 1;
	return (int64_t)id;
}

int pw_tp_decode_fields(struct pw_tracedata *td, struct pw_tp *tp, const uint8_t *raw,
			uint32_t size, struct pw_intern *strs, struct pw_qev *q)
{
	return decode_fields(td, tp, raw, size, strs, q, false);
}
