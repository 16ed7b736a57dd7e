// SPDX-License-Identifier: MIT
/*
 * perfwhiz-dlfilter.c - perfwhiz.so, a `perf script --dlfilter` plugin that
 * writes the cdict perfwhiz-proc would write for the same capture:
 *
 *   perf script --dlfilter perfwhiz.so --dlarg OUT.cdict [--dlarg map=FILE.csv]
 *               [--dlarg input=FILE] [--dlarg print] [--dlarg quiet] -i perf.data
 *
 * perf reads, orders and parses the samples and hands them over; decoding,
 * derivation, naming and writing are the core library's (pw-reader.h
 * pw_reader_feed(), pw-namemap.h, pw-cdict.h). What perf does not hand a
 * dlfilter (the tracepoint formats, the thread records that give thread
 * groups, the lost counts, the capture's header) the library reads from
 * the input file itself: the one perf reads (its -i), or --dlarg input=.
 *
 * An adapter only: argument handling, the perf API, and messages.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <perf/perf_dlfilter.h>

#include "pw-cdict.h"
#include "pw-log.h"
#include "pw-namemap.h"
#include "pw-reader.h"

#define PW_EXPORT __attribute__((visibility("default")))

/* Filled in by perf when it loads the plugin. */
PW_EXPORT struct perf_dlfilter_fns perf_dlfilter_fns;

/* The sample fields used here, up to `event`, are in every perf with
 * dlfilters (5.14 on); a smaller struct is another API. */
#define SAMPLE_MIN_SIZE (offsetof(struct perf_dlfilter_sample, event) + \
			 sizeof(((struct perf_dlfilter_sample *)0)->event))
#define AL_MIN_SIZE (offsetof(struct perf_dlfilter_al, comm) + \
		     sizeof(((struct perf_dlfilter_al *)0)->comm))

static const char usage_text[] =
	"usage: perf script --dlfilter perfwhiz.so --dlarg OUT.cdict [--dlarg map=FILE.csv]\n"
	"       [--dlarg input=FILE] [--dlarg print] [--dlarg quiet] [-i perf.data]";

struct pwf {
	struct pw_reader *reader;
	int reader_fd;			/* opened here for pw_reader_open_fd(), or -1 */
	struct pw_namemap *map;
	struct pw_cdict_writer *cdict;
	const char *out;		/* perf owns the --dlarg strings */
	const char *map_path;
	char *input;			/* the capture perf reads, for messages */
	bool print;			/* let perf print the samples too */
	bool quiet;
	bool can_count;			/* the input was read ahead: samples known */
	uint64_t expected;		/* samples in the input */
	uint64_t delivered;		/* samples perf handed over */
	uint64_t last_time;
	uint64_t out_of_order;
	bool checked;			/* the first sample's API size was checked */
	int err;			/* first error: no output */
	struct {
		const char *event;	/* perf's name of an event (its evsel's, kept) */
		bool comm;		/* needs_comm() of it */
	} nc[16];			/* by address */
};

static volatile sig_atomic_t stop_signal;
static volatile sig_atomic_t perf_stops;	/* perf's own handler saw it too */
static struct sigaction old_action[NSIG];
static int verbosity = 1;	/* 0 with --dlarg quiet: errors and warnings only */

/*
 * perf stops at SIGINT by a handler of its own, then calls stop() as if
 * the input had ended: remember the signal so that stop() writes nothing,
 * and let perf's handler run. Where perf has none (SIGTERM, SIGHUP, which
 * would kill it and leave a temporary file), the next sample stops perf;
 * a second signal kills it.
 */
static void on_signal(int sig)
{
	const struct sigaction *old = &old_action[sig];

	stop_signal = sig;
	if (!(old->sa_flags & SA_SIGINFO) && old->sa_handler != SIG_DFL &&
	    old->sa_handler != SIG_IGN) {
		perf_stops = 1;
		old->sa_handler(sig);
	}
}

static void catch_signals(void)
{
	static const int sigs[] = { SIGINT, SIGTERM, SIGHUP };
	struct sigaction sa;

	for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++) {
		int sig = sigs[i];
		struct sigaction cur;

		if (sigaction(sig, NULL, &cur) || cur.sa_handler == SIG_IGN ||
		    cur.sa_handler == on_signal)
			continue;
		old_action[sig] = cur;
		memset(&sa, 0, sizeof(sa));
		sa.sa_handler = on_signal;
		sigemptyset(&sa.sa_mask);
		sa.sa_flags = sig == SIGINT ? 0 : SA_RESETHAND;
		sigaction(sig, &sa, NULL);
	}
}

static void restore_signals(void)
{
	static const int sigs[] = { SIGINT, SIGTERM, SIGHUP };

	for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++) {
		struct sigaction cur;

		if (!sigaction(sigs[i], NULL, &cur) && cur.sa_handler == on_signal)
			sigaction(sigs[i], &old_action[sigs[i]], NULL);
	}
}

/* Does @arg name the option --input (perf accepts unambiguous prefixes)? */
static const char *long_input(const char *arg, bool *has_value)
{
	const char *eq;
	size_t n;

	if (strncmp(arg, "--", 2))
		return NULL;
	arg += 2;
	eq = strchr(arg, '=');
	n = eq ? (size_t)(eq - arg) : strlen(arg);
	if (n < 3 || n > 5 || strncmp(arg, "input", n))
		return NULL;
	*has_value = eq != NULL;
	return eq ? eq + 1 : arg;
}

/*
 * The input perf reads, as perf decides it: `-i X`, `-iX`, `--input X` or
 * `--input=X` after the `script` command; without one, standard input when
 * it is a FIFO, else ./perf.data. NULL when out of memory or unreadable.
 */
static char *perf_input(void)
{
	char *buf = NULL, *input = NULL;
	size_t len = 0, cap = 0;
	bool in_script = false;
	struct stat st;
	ssize_t n;
	int fd = open("/proc/self/cmdline", O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return NULL;
	for (;;) {
		if (len + 4096 > cap) {
			char *nb = realloc(buf, cap + 65536);

			if (!nb)
				goto out;
			buf = nb;
			cap += 65536;
		}
		n = read(fd, buf + len, cap - len - 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		len += (size_t)n;
	}
	buf[len] = '\0';
	/* argv[0] is perf; skip its own options up to the command. */
	for (size_t i = strlen(buf) + 1; i < len; i += strlen(buf + i) + 1) {
		const char *a = buf + i, *v;
		bool has_value;

		if (!in_script) {
			in_script = !strcmp(a, "script");
			continue;
		}
		if (!strcmp(a, "--"))
			break;
		if (!strcmp(a, "--dlarg") || !strcmp(a, "--dlfilter")) {
			i += strlen(a) + 1;	/* its value may look like anything */
			continue;
		}
		if (a[0] == '-' && a[1] == 'i') {
			if (a[2]) {
				v = a + 2;
			} else {
				i += strlen(a) + 1;
				if (i >= len)
					break;
				v = buf + i;
			}
		} else if ((v = long_input(a, &has_value))) {
			if (!has_value) {
				i += strlen(a) + 1;
				if (i >= len)
					break;
				v = buf + i;
			}
		} else {
			continue;
		}
		free(input);
		input = strdup(v);	/* the last one counts, as in perf */
		if (!input)
			goto out;
	}
	if (!input || !*input) {
		free(input);
		input = strdup(!fstat(STDIN_FILENO, &st) && S_ISFIFO(st.st_mode) ? "-" :
			       "perf.data");
	}
out:
	free(buf);
	close(fd);
	return input;
}

/* A reader with no records: the header of an empty pipe-layout stream. */
static int empty_stream(void)
{
	static const unsigned char head[16] = "PERFILE2\x10";
	int fd = memfd_create("perfwhiz-empty", MFD_CLOEXEC);

	if (fd < 0)
		return -1;
	if (write(fd, head, sizeof(head)) != (ssize_t)sizeof(head) || lseek(fd, 0, SEEK_SET)) {
		close(fd);
		return -1;
	}
	return fd;
}

/*
 * Open the input and read it ahead of perf: header, formats, thread
 * records, lost counts. A stream perf reads from a pipe cannot be read a
 * second time: then only the samples perf hands over are known.
 */
static int open_input(struct pwf *f)
{
	bool is_stdin = !strcmp(f->input, "-");
	const char *name = is_stdin ? "<stdin>" : f->input;
	struct stat st;
	int err;

	if (is_stdin ? fstat(STDIN_FILENO, &st) : stat(f->input, &st)) {
		pw_err("%s: cannot open: %s", name, strerror(errno));
		return errno == ENOENT ? PW_ENOENT : PW_EIO;
	}
	if (S_ISDIR(st.st_mode)) {
		pw_err("%s: a directory (perf record --threads writes one): not supported; "
		       "record a single file (without --threads)", name);
		return PW_EUNSUPPORTED;
	}
	if (S_ISREG(st.st_mode)) {
		/* A file of its own, also for standard input: perf's offset
		 * in it is not disturbed. */
		f->reader_fd = open(is_stdin ? "/proc/self/fd/0" : f->input, O_RDONLY | O_CLOEXEC);
		if (f->reader_fd < 0) {
			pw_err("%s: cannot open: %s", name, strerror(errno));
			return errno == ENOENT ? PW_ENOENT : PW_EIO;
		}
		f->can_count = true;
	} else {
		pw_warn("%s: perf reads a stream, which cannot be read a second time: decoding "
			"with this machine's tracepoint formats; the thread group of a task is "
			"known only once it has been sampled, and lost events, the capture's host "
			"and command line are not known. Save the stream to a file (or run "
			"perfwhiz-proc on it) for the complete result.", name);
		f->reader_fd = empty_stream();
		if (f->reader_fd < 0) {
			pw_err("cannot create a memory file: %s", strerror(errno));
			return PW_EIO;
		}
	}
	f->reader = pw_reader_open_fd(f->reader_fd, name, NULL, &err);
	if (!f->reader)
		return err;
	err = pw_reader_load_threads(f->reader, &f->expected);
	if (err && err != PW_ETRUNCATED)
		return err;
	if (pw_reader_load_formats(f->reader) == PW_ENOTRACING &&
	    (err = pw_reader_use_system_formats(f->reader)))
		return err;
	return 0;
}

/* Is @path the file open as @fd? */
static bool same_file(const char *path, int fd)
{
	struct stat a, b;

	return !stat(path, &a) && !fstat(fd, &b) && a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}

static void pwf_free(struct pwf *f)
{
	if (!f)
		return;
	pw_cdict_writer_abort(f->cdict);
	pw_reader_close(f->reader);
	if (f->reader_fd >= 0)
		close(f->reader_fd);
	pw_namemap_free(f->map);
	free(f->input);
	free(f);
}

static int parse_args(struct pwf *f, void *ctx)
{
	const char *input = NULL;
	int argc = 0;
	char **argv = perf_dlfilter_fns.args(ctx, &argc);

	for (int i = 0; i < argc; i++) {
		const char *a = argv[i];

		if (!strncmp(a, "map=", 4) && a[4]) {
			f->map_path = a + 4;
		} else if (!strncmp(a, "input=", 6) && a[6]) {
			input = a + 6;
		} else if (!strcmp(a, "print")) {
			f->print = true;
		} else if (!strcmp(a, "quiet")) {
			f->quiet = true;
		} else if (strchr(a, '=') || !*a) {
			pw_err("unknown --dlarg '%s'\n%s", a, usage_text);
			return PW_EINVAL;
		} else if (f->out) {
			pw_err("two outputs given: '%s' and '%s'\n%s", f->out, a, usage_text);
			return PW_EINVAL;
		} else {
			f->out = a;
		}
	}
	if (!f->out) {
		pw_err("no output file: give it with --dlarg OUT.cdict\n%s", usage_text);
		return PW_EINVAL;
	}
	f->input = input ? strdup(input) : perf_input();
	if (!f->input) {
		pw_err("cannot tell which file perf reads (/proc/self/cmdline): give it with "
		       "--dlarg input=FILE");
		return PW_ENOMEM;
	}
	return 0;
}

/**
 * start - perf's dlfilter entry point, called once before the first sample
 * @data: set to the plugin's state
 * @ctx: perf's context, for perf_dlfilter_fns
 *
 * Reads the arguments, opens and reads ahead the input perf reads, loads
 * the name map and creates the output's temporary file. Returns 0, or -1
 * after a message (perf then stops, exits non-zero, and nothing is written).
 */
PW_EXPORT int start(void **data, void *ctx)
{
	struct pwf *f;
	int err;

	pw_log_to_stderr("perfwhiz.so", &verbosity);
	if (!perf_dlfilter_fns.args || !perf_dlfilter_fns.resolve_ip) {
		pw_err("loaded without perf's dlfilter functions: use it with perf script "
		       "--dlfilter (perf 5.14 or later)");
		return -1;
	}
	f = calloc(1, sizeof(*f));
	if (!f) {
		pw_err("%s", pw_strerror(PW_ENOMEM));
		return -1;
	}
	f->reader_fd = -1;
	if ((err = parse_args(f, ctx)))
		goto fail;
	verbosity = f->quiet ? 0 : 1;
	/* The map and the input before the output: a bad argument must not
	 * create a file. */
	if (f->map_path && !(f->map = pw_namemap_load(f->map_path, &err)))
		goto fail;
	if ((err = open_input(f)))
		goto fail;
	if (same_file(f->out, f->reader_fd)) {
		pw_err("%s: the output would replace the capture perf reads", f->out);
		err = PW_EINVAL;
		goto fail;
	}
	/* the rows' strings are the reader's and the map's, which outlive the
	 * writer (pwf_free()): looked up in the writer's thread, not perf's */
	f->cdict = pw_cdict_writer_open(f->out, &(struct pw_cdict_writer_opts){
						 .stable_strings = true }, &err);
	if (!f->cdict)
		goto fail;
	catch_signals();
	*data = f;
	return 0;
fail:
	if (f->out)
		pw_err("nothing written to %s", f->out);
	pwf_free(f);
	return -1;
}

static int add_row(const struct pw_row *in, void *ctx)
{
	struct pwf *f = ctx;
	struct pw_row row = *in;

	if (f->map)
		pw_namemap_apply(f->map, &row);
	return pw_cdict_writer_add(f->cdict, &row);
}

/* The name perf knows for the sample's thread; NULL when it knows none
 * (":TID", perf's placeholder for a thread without a COMM record). */
static const char *perf_comm(const struct perf_dlfilter_sample *s, void *ctx)
{
	const struct perf_dlfilter_al *al = perf_dlfilter_fns.resolve_ip(ctx);
	char placeholder[16];

	if (!al || al->size < AL_MIN_SIZE || !al->comm)
		return NULL;
	if (al->comm[0] != ':')
		return al->comm;	/* not a placeholder: no need to format one */
	snprintf(placeholder, sizeof(placeholder), ":%d", s->tid);
	return strcmp(al->comm, placeholder) ? al->comm : NULL;
}

/* Rows of events whose payload names no task take the sampling thread's. */
static bool needs_comm(const char *event)
{
	const char *colon = event ? strchr(event, ':') : NULL;
	int ev;

	if (!colon || strncmp(event, "kvm:", 4))
		return false;
	ev = pw_event_from_name(colon + 1);
	return ev == PW_EV_KVM_EXIT || ev == PW_EV_KVM_ENTRY;
}

/* needs_comm() of @event, remembered by its address: perf hands over its
 * event's name, the same string for each of its samples. */
static bool needs_comm_cached(struct pwf *f, const char *event)
{
	unsigned int slot = (unsigned int)((uintptr_t)event >> 4) % 16;

	if (f->nc[slot].event != event || !event) {
		f->nc[slot].event = event;
		f->nc[slot].comm = needs_comm(event);
	}
	return f->nc[slot].comm;
}

/**
 * filter_event_early - perf's dlfilter entry point, called for every sample
 * before perf's own filters (--time, --cpu, --comm ...), which a cdict does
 * not take: it holds the whole capture, as perfwhiz-proc writes it
 * @data: the state start() made
 * @s: the sample
 * @ctx: perf's context
 *
 * Returns 1 (perf drops the sample: nothing printed), 0 with --dlarg print
 * (perf goes on with it), or -1 after a message (perf stops; no output).
 */
PW_EXPORT int filter_event_early(void *data, const struct perf_dlfilter_sample *s, void *ctx)
{
	struct pwf *f = data;
	struct pw_feed_sample fs;
	int err;

	if (!f || f->err)
		return -1;
	if (!f->checked) {
		f->checked = true;
		if (s->size < SAMPLE_MIN_SIZE) {
			pw_err("this perf's dlfilter API differs: its sample is %u bytes, perfwhiz.so "
			       "needs at least %zu (perf 5.14 or later)", s->size, SAMPLE_MIN_SIZE);
			f->err = PW_EUNSUPPORTED;
			return -1;
		}
		catch_signals();	/* again: perf installs its SIGINT handler after start() */
	}
	if (stop_signal && !perf_stops) {
		f->err = PW_ESTOPPED;
		return -1;
	}
	if (++f->delivered > f->expected && f->can_count) {
		pw_err("%s: perf hands over more samples than the file holds (%llu): perf reads "
		       "another file than this one (see --dlarg input=)", f->input,
		       (unsigned long long)f->expected);
		f->err = PW_EINVAL;
		return -1;
	}
	if (s->time < f->last_time) {
		/* perf orders what it can; an event older than one already
		 * handed over is dropped and counted, as perfwhiz-proc does */
		f->out_of_order++;
		return f->print ? 0 : 1;
	}
	f->last_time = s->time;
	fs = (struct pw_feed_sample){
		.time = s->time,
		.cpu = s->cpu < 0 ? PW_NONE32 : s->cpu,
		.pid = s->pid,
		.tid = s->tid,
		.comm = needs_comm_cached(f, s->event) ? perf_comm(s, ctx) : NULL,
		.event_name = s->event,
		.raw = s->raw_size ? s->raw_data : NULL,
		.raw_size = s->raw_size,
	};
	err = pw_reader_feed(f->reader, &fs, add_row, f);
	if (err) {
		pw_err("%s: sample at %llu.%09llu: %s", f->input,
		       (unsigned long long)(s->time / 1000000000),
		       (unsigned long long)(s->time % 1000000000), pw_strerror(err));
		f->err = err;
		return -1;
	}
	return f->print ? 0 : 1;
}

/* Finish the output; 0, or a negative PW_E* code when nothing was written. */
static int finish(struct pwf *f)
{
	struct pw_meta meta;
	int err = pw_reader_feed_end(f->reader);

	if (err == PW_ETRUNCATED) {
		pw_warn("%s: the capture was cut short: the output holds every complete "
			"record before the cut", f->input);
		err = 0;
	}
	if (err)
		return err;
	if (f->can_count && f->delivered != f->expected) {
		pw_err("%s: perf handed over %llu samples, the file holds %llu: perf stopped "
		       "early, or reads another file than this one (see --dlarg input=)",
		       f->input, (unsigned long long)f->delivered,
		       (unsigned long long)f->expected);
		return PW_ETRUNCATED;
	}
	if ((err = pw_meta_copy(&meta, pw_reader_meta(f->reader))))
		return err;
	meta.out_of_order += f->out_of_order;
	if (f->map)
		err = pw_namemap_to_meta(f->map, &meta);
	if (!err) {
		err = pw_cdict_writer_close(f->cdict, &meta);
		f->cdict = NULL;
	}
	if (!err && !f->quiet)
		pw_meta_summary(stderr, "perfwhiz.so", f->out, &meta);
	pw_meta_release(&meta);
	return err;
}

/**
 * stop - perf's dlfilter entry point, called once at the end, also when
 * perf stopped early (an error, Ctrl-C) or start() failed
 * @data: the state start() made, or NULL
 * @ctx: perf's context
 *
 * Writes the cdict when every sample was handed over, else removes its
 * temporary file. perf ignores what stop() returns: when nothing could be
 * written, perf is made to exit with status 1 (or to die of the signal
 * that stopped it), so that a script sees the failure.
 */
PW_EXPORT int stop(void *data, void *ctx)
{
	struct pwf *f = data;
	int err, sig = stop_signal;

	if (!f)
		return 0;
	restore_signals();
	if (sig)
		err = PW_ESTOPPED;
	else
		err = f->err ? f->err : finish(f);
	if (err)
		pw_err("nothing written to %s%s", f->out, sig ? ": interrupted" : "");
	pwf_free(f);
	if (sig) {
		fflush(NULL);
		signal(sig, SIG_DFL);
		raise(sig);
	}
	if (err) {
		fflush(NULL);
		exit(1);
	}
	return 0;
}

/**
 * filter_description - perf's dlfilter entry point for --list-dlfilters
 * @long_description: set to the usage
 *
 * Returns the one-line description.
 */
PW_EXPORT const char *filter_description(const char **long_description)
{
	*long_description = usage_text;
	return "perfwhiz: scheduler and KVM events to a cdict file (as perfwhiz-proc)";
}
