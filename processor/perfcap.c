// SPDX-License-Identifier: MIT
/*
 * perfcap - capture scheduler and KVM events with perf into a cdict and/or
 * statistics, in one command; or convert an existing perf.data, or rename
 * the tasks of an existing cdict. Option parsing and reporting only: the
 * work is in the library (pw-capture.h, pw-convert.h, pw-stats.h,
 * pw-vmnames.h).
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "pw-capture.h"
#include "pw-convert.h"
#include "pw-log.h"
#include "pw-namemap.h"
#include "pw-stats.h"
#include "pw-vmnames.h"

/* Exit codes, documented in --help and perfcap(1). */
enum {
	EXIT_OK = 0,
	EXIT_ERROR = 1,		/* nothing written under the output names */
	EXIT_USAGE = 2,
	EXIT_PARTIAL = 3,	/* the perf.data was cut short; outputs hold what was complete */
};

static const char *prog = "perfcap";
static int verbosity = 1;

/* For the signal handlers: the perf child, and whether a signal ended the capture. */
static volatile pid_t perf_pid;
static volatile sig_atomic_t interrupted;

static void usage(FILE *f)
{
	fprintf(f,
"Usage: %s [--all | --switches | --stats] [-s SECONDS] [--dest-folder DIR]\n"
"              [--map FILE.csv] [--use-perf BIN] [--keep-perf-data] [RUN-NAME]\n"
"       %s [--all | --switches | --stats] --use-perf-data FILE [--map FILE.csv]\n"
"              [--dest-folder DIR] [RUN-NAME]\n"
"       %s --remap RUN.cdict --map FILE.csv\n"
"\n"
"Capture the scheduler and KVM events of every CPU with `perf record` (as root)\n"
"and write them as DIR/RUN-NAME.cdict (--switches), statistics as\n"
"DIR/RUN-NAME.stats (--stats), or both (--all). perf writes into a pipe that\n"
"perfcap reads as it goes: no perf.data is stored unless --keep-perf-data.\n"
"\n"
"  --all                write the cdict and the statistics\n"
"  --switches           write the cdict\n"
"  --stats              write the statistics (per task: run time, runs,\n"
"                       preemptions, migrations, scheduling delay; per KVM exit\n"
"                       reason, overall and per vcpu thread: handling times)\n"
"  -s, --seconds SECS   capture length (default 1; fractions allowed). Ctrl-C or\n"
"                       SIGTERM ends a capture early; what was captured is written\n"
"  --dest-folder DIR    where the outputs go (default .; created if missing)\n"
"  --map FILE.csv       rename tasks with a mapping CSV (tid,instance,type,uuid,\n"
"                       group-type,group-id,name -> name.NN.type); it wins over the\n"
"                       automatic names of qemu threads (INSTANCE.vcpuN)\n"
"  --use-perf-data FILE convert an existing perf.data instead of capturing;\n"
"                       RUN-NAME defaults to FILE's base name. When FILE is not\n"
"                       a file and no RUN-NAME is given, ./perf.data is read and\n"
"                       FILE is the run name (`perfcap --use-perf-data oldrun`)\n"
"  --remap RUN.cdict    rename the tasks of an existing cdict with --map, in place\n"
"                       (and write RUN.stats again, when it is beside it)\n"
"  --use-perf BIN       the perf program to run (default: perf in PATH)\n"
"  --keep-perf-data     also keep what perf recorded, as DIR/RUN-NAME.data\n"
"  -q, --quiet          only errors and warnings\n"
"  -v, --verbose        more detail\n"
"  -h, --help           this text\n"
"  -V, --version        the version\n"
"\n"
"Testing options: --proc-root DIR (instead of /proc: schedstats,\n"
"perf_event_paranoid, qemu threads), --tracing-dir DIR (tracefs to probe).\n"
"\n"
"With --use-perf-data or --remap and none of --all, --switches, --stats, a\n"
"cdict is written. RUN-NAME defaults to perf. Outputs appear whole (written\n"
"aside, then renamed) with mode 0644.\n"
"\n"
"Exit status: 0 success; 1 error (nothing written under the output names);\n"
"2 usage error; 3 partial input (a perf.data cut short: the outputs hold every\n"
"complete record).\n",
		prog, prog, prog);
}

static void on_signal(int sig)
{
	interrupted = sig;
	if (perf_pid > 0)
		kill(perf_pid, SIGINT);	/* perf then finishes its output */
}

struct opts {
	bool cdict, stats, keep;
	const char *seconds, *dest, *use_data, *map, *remap, *perf, *name;
	const char *proc_root, *tracing_dir;
};

/* What the rows go through: the statistics see the final names. */
struct tap {
	struct pw_stats *stats;
	const struct pw_vmnames *vm;
	const struct pw_namemap *user;
	uint64_t vm_renamed;
};

static int tap_row(const struct pw_row *in, void *ctx)
{
	struct tap *t = ctx;
	struct pw_row row = *in;

	if (t->vm)
		t->vm_renamed += (uint64_t)pw_vmnames_apply(t->vm, t->user, &row);
	return t->stats ? pw_stats_add(t->stats, &row) : 0;
}

static char *path_in(const char *dir, const char *name, const char *ext)
{
	char *p;

	if (asprintf(&p, "%s/%s%s", dir, name, ext) < 0)
		return NULL;
	return p;
}

/* The base name of @path without its last extension, in a new string. */
static char *base_name(const char *path)
{
	const char *b = strrchr(path, '/'), *dot;

	b = b ? b + 1 : path;
	dot = strrchr(b, '.');
	return strndup(b, dot && dot != b ? (size_t)(dot - b) : strlen(b));
}

/* The destination exists (or is made) and takes files: checked by making one. */
static int check_dest(const char *dir)
{
	struct stat st;
	char *probe;
	int fd;

	if (stat(dir, &st)) {
		if (errno != ENOENT || mkdir(dir, 0755)) {
			pw_err("%s: cannot create the destination folder: %s", dir, strerror(errno));
			return -1;
		}
	} else if (!S_ISDIR(st.st_mode)) {
		pw_err("%s: the destination is not a folder", dir);
		return -1;
	}
	probe = path_in(dir, ".perfcap-probe.", "XXXXXX");
	if (!probe)
		return -1;
	fd = mkstemp(probe);
	if (fd < 0) {
		pw_err("%s: cannot write in the destination folder: %s", dir, strerror(errno));
		free(probe);
		return -1;
	}
	close(fd);
	unlink(probe);
	free(probe);
	return 0;
}

/* RUN.stats beside RUN.cdict when there is one, else NULL. */
static char *stats_beside(const char *cdict)
{
	size_t len = strlen(cdict);
	char *p;

	if (len <= 6 || strcmp(cdict + len - 6, ".cdict") ||
	    asprintf(&p, "%.*s.stats", (int)(len - 6), cdict) < 0)
		return NULL;
	if (access(p, F_OK)) {
		free(p);
		return NULL;
	}
	return p;
}

/*
 * Renames in place; RUN.stats, when it lies beside RUN.cdict, is written
 * again from the renamed rows, so that both name the tasks alike.
 */
static int do_remap(const struct opts *o)
{
	struct tap tap = { 0 };
	struct pw_convert conv = { .input = o->remap, .input_fd = -1, .cdict = o->remap,
				   .map = o->map, .tap = tap_row, .tap_ctx = &tap };
	char *stats = stats_beside(o->remap);
	struct pw_meta meta;
	int err;

	if (stats && !(tap.stats = pw_stats_new())) {
		pw_err("%s: %s", o->remap, pw_strerror(PW_ENOMEM));
		free(stats);
		return EXIT_ERROR;
	}
	err = pw_convert_run(&conv, &meta);
	if (!err) {
		pw_info("%s: tasks renamed with %s", o->remap, o->map);
		if (stats) {
			err = pw_stats_write(tap.stats, &meta, o->remap, stats);
			if (err)
				pw_err("%s: tasks renamed, but %s is as it was: %s", o->remap,
				       stats, pw_strerror(err));
			else
				pw_info("%s: written again with the new names", stats);
		}
	}
	pw_stats_free(tap.stats);
	free(stats);
	pw_meta_release(&meta);
	return err ? EXIT_ERROR : EXIT_OK;
}

/*
 * Convert @input (a file, or perf's pipe when @fd >= 0) into the outputs,
 * naming qemu threads with @vm; the statistics are computed on the way.
 */
static int convert(const struct opts *o, const char *input, int fd, const char *cdict,
		   const char *stats, const struct pw_vmnames *vm, struct pw_meta *meta)
{
	/* Converting a file, a signal stops it; capturing, it only stops perf. */
	struct pw_convert conv = { .input = input, .input_fd = fd, .cdict = cdict,
				   .map = o->map, .stop = fd < 0 ? &interrupted : NULL };
	struct pw_namemap *user = NULL;
	struct tap tap = { .vm = vm };
	bool committed = false;
	int err, ret;

	if (o->map && vm && pw_vmnames_count(vm)) {
		user = pw_namemap_load(o->map, &err);
		if (!user)
			return err ? err : PW_EFORMAT;
	}
	tap.user = user;
	if (stats && !(tap.stats = pw_stats_new())) {
		pw_namemap_free(user);
		return PW_ENOMEM;
	}
	conv.tap = tap_row;
	conv.tap_ctx = &tap;
	ret = pw_convert_run(&conv, meta);
	if (ret && ret != PW_ETRUNCATED)
		goto out;
	committed = cdict != NULL;
	if (cdict && tap.vm_renamed) {
		err = pw_vmnames_rewrite(vm, user, cdict);
		if (err) {
			ret = err;
			goto out;
		}
		pw_info("%s: qemu threads named from /proc (%llu names set)", cdict,
			(unsigned long long)tap.vm_renamed);
	}
	if (stats && (err = pw_stats_write(tap.stats, meta, cdict ? cdict : input, stats)))
		ret = err;
out:
	if (committed && ret && ret != PW_ETRUNCATED)
		unlink(cdict);	/* the rest failed (a full disk): no half result */
	pw_stats_free(tap.stats);
	pw_namemap_free(user);
	return ret;
}

static int finish(int err, const char *cdict, const char *stats, const struct pw_meta *meta,
		  const char *what)
{
	if (err == PW_ESTOPPED && interrupted) {
		pw_err("%s: interrupted by %s; no output written", what, strsignal(interrupted));
		return 128 + interrupted;
	}
	if (err && err != PW_ETRUNCATED) {
		pw_err("%s: %s; no output written", what, pw_strerror(err));
		return EXIT_ERROR;
	}
	if (verbosity >= 1)
		pw_meta_summary(stderr, prog, what, meta);
	if (verbosity > 0) {
		if (cdict)
			fprintf(stderr, "%s: wrote %s\n", prog, cdict);
		if (stats)
			fprintf(stderr, "%s: wrote %s\n", prog, stats);
	}
	if (err == PW_ETRUNCATED) {
		pw_warn("%s: partial input: the outputs hold every complete record", what);
		return EXIT_PARTIAL;
	}
	return EXIT_OK;
}

static int do_capture(const struct opts *o, const char *cdict, const char *stats,
		      const char *data)
{
	const char *events[PW_CAPTURE_NR_EVENTS];
	bool present[PW_CAPTURE_NR_EVENTS];
	struct pw_schedstats ss = { 0 };
	struct pw_perf_opts po = { .perf = o->perf, .events = events, .seconds = o->seconds };
	struct pw_vmnames *vm = NULL;
	struct pw_namemap *check = NULL;
	struct pw_perf *perf = NULL;
	struct sigaction sa = { .sa_handler = on_signal, .sa_flags = SA_RESTART }, old[3];
	static const int sigs[3] = { SIGINT, SIGTERM, SIGHUP };
	char *names[PW_CAPTURE_NR_EVENTS] = { 0 }, *tmpdata = NULL;
	struct pw_meta meta;
	int n, err = 0, status = 0, ret = EXIT_ERROR, e;

	pw_meta_init(&meta);
	/* Everything that can fail is checked before anything is started. */
	if (pw_capture_check_access(o->proc_root))
		return EXIT_ERROR;
	if (check_dest(o->dest))
		return EXIT_ERROR;
	if (o->map) {
		check = pw_namemap_load(o->map, &err);
		if (!check)
			return EXIT_ERROR;
		pw_namemap_free(check);
	}
	n = pw_capture_probe(o->tracing_dir, present);
	if (n < 0)
		return EXIT_ERROR;
	po.nr_events = 0;
	for (int i = 0; i < PW_CAPTURE_NR_EVENTS; i++) {
		const struct pw_capture_event *ev = pw_capture_event(i);

		if (!present[i]) {
			pw_warn("%s:%s is not available on this system: %s", ev->system, ev->name,
				ev->cost);
			continue;
		}
		if (asprintf(&names[po.nr_events], "%s:%s", ev->system, ev->name) < 0)
			goto out;
		events[po.nr_events] = names[po.nr_events];
		po.nr_events++;
	}
	if (!po.nr_events) {
		pw_err("none of the scheduler or KVM tracepoints exist here: nothing to capture");
		goto out;
	}
	vm = pw_vmnames_scan(o->proc_root, &err);
	if (!vm)
		goto out;
	if (pw_vmnames_count(vm))
		pw_info("%zu qemu threads found: they are named INSTANCE.vcpuN / .emulatorN",
			pw_vmnames_count(vm));
	if (data) {
		tmpdata = path_in(o->dest, ".perfcap-data.", "XXXXXX");
		if (!tmpdata || (e = mkstemp(tmpdata)) < 0) {
			pw_err("%s: cannot create a file: %s", o->dest, strerror(errno));
			goto out;
		}
		close(e);
		po.output = tmpdata;
	}
	if (pw_schedstats_enable(&ss, o->proc_root))
		goto out;
	if (ss.changed)
		pw_info("kernel.sched_schedstats turned on for the capture (restored after)");
	for (int i = 0; i < 3; i++)
		sigaction(sigs[i], &sa, &old[i]);
	perf = pw_perf_start(&po, &err);
	if (!perf)
		goto restore;
	perf_pid = pw_perf_pid(perf);
	if (verbosity > 0)
		fprintf(stderr, "%s: capturing for %s s (Ctrl-C ends it early): %s\n", prog,
			o->seconds, pw_perf_command(perf));
	if (!data) {
		err = convert(o, "perf record pipe", pw_perf_fd(perf), cdict, stats, vm, &meta);
		/* a failed conversion closes the pipe: perf then ends */
		if (err && err != PW_ETRUNCATED && perf_pid > 0)
			kill(perf_pid, SIGINT);
	}
	perf_pid = 0;
	pw_perf_wait(perf, &status);
	perf = NULL;
	if (data) {
		/* perf wrote a file (whole, or up to where it was stopped): keep
		 * it under its name, then convert it */
		if (chmod(tmpdata, 0644) || rename(tmpdata, data)) {
			pw_err("%s: cannot keep the perf data: %s", data, strerror(errno));
			goto restore;
		}
		free(tmpdata);
		tmpdata = NULL;
	}
	if (status && !interrupted)
		pw_warn("%s exited with status %d", o->perf, status);
restore:
	if ((e = pw_schedstats_restore(&ss)))
		pw_err("%s: could not restore its value %c: %s (set it by hand)", ss.path, ss.old,
		       strerror(-e));
	for (int i = 0; i < 3; i++)
		sigaction(sigs[i], &old[i], NULL);
	if (data && !tmpdata)
		err = convert(o, data, -1, cdict, stats, vm, &meta);
	else if (data)
		err = err ? err : PW_EIO;
	if (interrupted)
		pw_info("capture ended early by signal %d", (int)interrupted);
	ret = finish(err, cdict, stats, &meta, data ? data : "perf record pipe");
out:
	if (tmpdata)
		unlink(tmpdata);
	free(tmpdata);
	pw_schedstats_release(&ss);
	pw_vmnames_free(vm);
	for (int i = 0; i < PW_CAPTURE_NR_EVENTS; i++)
		free(names[i]);
	pw_meta_release(&meta);
	return ret;
}

int main(int argc, char **argv)
{
	static const struct option lopts[] = {
		{ "all", no_argument, NULL, 'a' },
		{ "switches", no_argument, NULL, 'w' },
		{ "stats", no_argument, NULL, 't' },
		{ "seconds", required_argument, NULL, 's' },
		{ "dest-folder", required_argument, NULL, 'd' },
		{ "use-perf-data", required_argument, NULL, 'u' },
		{ "map", required_argument, NULL, 'm' },
		{ "remap", required_argument, NULL, 'r' },
		{ "use-perf", required_argument, NULL, 'p' },
		{ "keep-perf-data", no_argument, NULL, 'k' },
		{ "proc-root", required_argument, NULL, 'P' },
		{ "tracing-dir", required_argument, NULL, 'T' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	struct opts o = { .seconds = "1", .dest = ".", .perf = "perf" };
	char *cdict = NULL, *stats = NULL, *data = NULL, *name = NULL, *end;
	const char *input = NULL;
	bool mode = false;
	struct pw_meta meta;
	struct stat st;
	double secs;
	int c, ret = EXIT_ERROR, err;

	pw_log_to_stderr(prog, &verbosity);
	while ((c = getopt_long(argc, argv, "s:qvhV", lopts, NULL)) != -1) {
		switch (c) {
		case 'a':
			o.cdict = o.stats = mode = true;
			break;
		case 'w':
			o.cdict = mode = true;
			break;
		case 't':
			o.stats = mode = true;
			break;
		case 's':
			o.seconds = optarg;
			break;
		case 'd':
			o.dest = optarg;
			break;
		case 'u':
			o.use_data = optarg;
			break;
		case 'm':
			o.map = optarg;
			break;
		case 'r':
			o.remap = optarg;
			break;
		case 'p':
			o.perf = optarg;
			break;
		case 'k':
			o.keep = true;
			break;
		case 'P':
			o.proc_root = optarg;
			break;
		case 'T':
			o.tracing_dir = optarg;
			break;
		case 'q':
			verbosity = 0;
			break;
		case 'v':
			verbosity = 2;
			break;
		case 'h':
			usage(stdout);
			return EXIT_OK;
		case 'V':
			printf("%s %s\n", prog, PW_VERSION);
			return EXIT_OK;
		default:
			usage(stderr);
			return EXIT_USAGE;
		}
	}
	if (argc - optind > 1) {
		fprintf(stderr, "%s: one RUN-NAME at most ('%s' is one too many)\n", prog,
			argv[optind + 1]);
		return EXIT_USAGE;
	}
	o.name = optind < argc ? argv[optind] : NULL;
	if (o.name && (!*o.name || strchr(o.name, '/'))) {
		fprintf(stderr, "%s: RUN-NAME '%s' must be a plain file name (use --dest-folder "
			"for the folder)\n", prog, o.name);
		return EXIT_USAGE;
	}
	if (o.remap) {
		if (!o.map || o.use_data || o.name || o.keep || mode) {
			fprintf(stderr, "%s: --remap RUN.cdict takes --map FILE.csv and nothing "
				"else\n", prog);
			return EXIT_USAGE;
		}
		return do_remap(&o);
	}
	if (o.use_data) {
		if (o.keep) {
			fprintf(stderr, "%s: --keep-perf-data is for captures, not --use-perf-data\n",
				prog);
			return EXIT_USAGE;
		}
		if (!mode)
			o.cdict = true;
		input = o.use_data;
		if (!o.name && stat(o.use_data, &st) && errno == ENOENT &&
		    !strchr(o.use_data, '/')) {
			/* the original's `perfcap --use-perf-data oldrun` */
			o.name = o.use_data;
			input = "perf.data";
		}
		name = o.name ? strdup(o.name) : base_name(input);
	} else {
		if (!mode) {
			fprintf(stderr, "%s: say what to capture: --all (cdict and statistics), "
				"--switches (cdict) or --stats (statistics)\n", prog);
			usage(stderr);
			return EXIT_USAGE;
		}
		secs = strtod(o.seconds, &end);
		if (end == o.seconds || *end || !(secs > 0) || secs > 86400 * 365) {
			fprintf(stderr, "%s: -s %s: the capture length must be a positive number "
				"of seconds\n", prog, o.seconds);
			return EXIT_USAGE;
		}
		name = strdup(o.name ? o.name : "perf");
	}
	if (!name || (o.cdict && !(cdict = path_in(o.dest, name, ".cdict"))) ||
	    (o.stats && !(stats = path_in(o.dest, name, ".stats"))) ||
	    (o.keep && !(data = path_in(o.dest, name, ".data")))) {
		pw_err("out of memory");
		goto out;
	}
	if (!input) {
		ret = do_capture(&o, cdict, stats, data);
		goto out;
	}
	if (check_dest(o.dest))
		goto out;
	{
		struct sigaction sa = { .sa_handler = on_signal };

		sigemptyset(&sa.sa_mask);
		sigaction(SIGINT, &sa, NULL);
		sigaction(SIGTERM, &sa, NULL);
		sigaction(SIGHUP, &sa, NULL);
	}
	err = convert(&o, input, -1, cdict, stats, NULL, &meta);
	ret = finish(err, cdict, stats, &meta, input);
	pw_meta_release(&meta);
out:
	free(name);
	free(cdict);
	free(stats);
	free(data);
	return ret;
}
