// SPDX-License-Identifier: MIT
/*
 * perfmap - charts and heatmaps of scheduler and KVM activity from cdict
 * captures: option parsing and the order of the steps; the work is in
 * run.c, aggregate.c, charts.c, gnuplot.c and report.c.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "charts.h"
#include "dashboard.h"
#include "gnuplot.h"
#include "pw-log.h"
#include "pw-namemap.h"
#include "pw-stats.h"
#include "report.h"
#include "run.h"

#define MAX_HEATMAP_TASKS 256
#define PM_STR_(x) #x
#define PM_STR(x) PM_STR_(x)

static const char usage[] =
"Usage: perfmap [OPTIONS] RUN.cdict [RUN2.cdict ...]\n"
"       perfmap --stats RUN.cdict   (scheduler and KVM statistics, as perfcap's RUN.stats)\n"
"Charts of scheduler and KVM activity from cdict captures (gnuplot scripts,\n"
"their data, images and an offline index.html). Several captures give diff\n"
"charts, one series per run.\n"
"\n"
"Selection and window:\n"
"  -t, --task PATTERN      tasks to chart: shell patterns matched on the whole\n"
"                          (annotated) task name, or tids; comma-separated\n"
"                          (default '*')\n"
"  -c, --cap MSEC          window length in ms (default: to the end of the\n"
"                          shortest run)\n"
"  -f, --from MSEC         window start, in ms after the first event (default 0)\n"
"      --map FILE.csv      rename tasks with a name map at load time\n"
"      --merge-sys-tasks   merge per-core kernel threads (swapper/0 -> swapper)\n"
"      --append-tid        append the tid to task names (perf -> perf:2834)\n"
"\n"
"Charts:\n"
"      --heatmaps          the per task heatmaps instead of the basic charts\n"
"                          (for at most " PM_STR(MAX_HEATMAP_TASKS) " tasks)\n"
"      --group-by KEY      one chart set per task (default), group (the group\n"
"                          id of annotated names) or process\n"
"      --label TEXT        title of the report\n"
"  -o, --output-dir DIR    where to write (default: FIRST-RUN-perfmap)\n"
"      --format LIST       image formats: png,svg,pdf,eps,tex (default png,svg)\n"
"  -j, --jobs N            gnuplot processes at once (default 2)\n"
"      --open              open index.html when done (xdg-open)\n"
"      --headless          do not open anything (the default)\n"
"\n"
"Listings (no charts):\n"
"      --list              tids, event counts and names, most active first\n"
"      --successors-of TASK|TID\n"
"                          which tasks ran right after it switched out\n"
"\n"
"  -h, --help              this help\n"
"  -V, --version           the version\n"
"\n"
"The environment variable PERFMAP_GNUPLOT names the gnuplot program to run.\n";

enum {
	OPT_HEATMAPS = 256, OPT_LABEL, OPT_MAP, OPT_MERGE, OPT_APPEND_TID, OPT_GROUP_BY,
	OPT_FORMAT, OPT_OPEN, OPT_HEADLESS, OPT_LIST, OPT_SUCCESSORS,
};

static const struct option long_opts[] = {
	{ "task", required_argument, NULL, 't' },
	{ "cap", required_argument, NULL, 'c' },
	{ "from", required_argument, NULL, 'f' },
	{ "heatmaps", no_argument, NULL, OPT_HEATMAPS },
	{ "label", required_argument, NULL, OPT_LABEL },
	{ "output-dir", required_argument, NULL, 'o' },
	{ "map", required_argument, NULL, OPT_MAP },
	{ "merge-sys-tasks", no_argument, NULL, OPT_MERGE },
	{ "append-tid", no_argument, NULL, OPT_APPEND_TID },
	{ "group-by", required_argument, NULL, OPT_GROUP_BY },
	{ "format", required_argument, NULL, OPT_FORMAT },
	{ "open", no_argument, NULL, OPT_OPEN },
	{ "headless", no_argument, NULL, OPT_HEADLESS },
	{ "jobs", required_argument, NULL, 'j' },
	{ "list", no_argument, NULL, OPT_LIST },
	{ "successors-of", required_argument, NULL, OPT_SUCCESSORS },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, 'V' },
	{ NULL, 0, NULL, 0 },
};

struct opts {
	const char *tasks;
	double cap_ms, from_ms;
	bool heatmaps, open, list, merge, append_tid;
	const char *label, *outdir, *map, *successors;
	enum pm_group_by group_by;
	unsigned int formats, jobs;
};

/* The signal that asked perfmap to stop while it writes, or 0. */
static volatile int stop_signal;

static void on_signal(int sig)
{
	stop_signal = sig;
}

/*
 * How far the passes over a big capture are, on a terminal only: shown
 * from a second after the start, erased when a pass ends or a message
 * comes.
 */
static struct {
	bool tty, shown;
	int pct;		/* shown */
	struct timespec start;
} progress;

static void progress_erase(void)
{
	if (progress.shown)
		fputs("\r\033[K", stderr);
	progress.shown = false;
}

static void show_progress(const struct pm_run *run, uint64_t done, uint64_t total, void *ctx)
{
	int pct = (int)(done * 100 / (total ? total : 1));
	struct timespec t;
	double secs;

	(void)ctx;
	if (!progress.tty)
		return;
	if (done >= total) {
		progress_erase();
		return;
	}
	if (progress.shown && pct == progress.pct)
		return;
	clock_gettime(CLOCK_MONOTONIC, &t);
	secs = (double)(t.tv_sec - progress.start.tv_sec) +
	       (double)(t.tv_nsec - progress.start.tv_nsec) / 1e9;
	if (secs < 1.0)
		return;
	fprintf(stderr, "\rperfmap: %s: %3d%% of %.1fM rows, %.1fs ", run->path, pct,
		(double)total / 1e6, secs);
	progress.shown = true;
	progress.pct = pct;
}

PW_LOG_FN static void log_stderr(enum pw_log_level level, const char *fmt, va_list ap)
{
	static const char *const prefix[] = { "error: ", "warning: ", "", "debug: " };

	if (level == PW_LOG_DEBUG && !getenv("PERFMAP_DEBUG"))
		return;
	progress_erase();
	fprintf(stderr, "perfmap: %s", prefix[level]);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

static void die_usage(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

static void die_usage(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fprintf(stderr, "perfmap: ");
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nTry 'perfmap --help'.\n");
	exit(2);
}

static double parse_ms(const char *opt, const char *s, bool allow_zero)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (end == s || *end || errno || !(v >= 0) || v > 1e12 || (!allow_zero && v == 0)) {
		fprintf(stderr, "perfmap: %s '%s': expected a number of milliseconds%s\n", opt, s,
			allow_zero ? " (0 or more)" : " greater than 0");
		exit(2);
	}
	return v;
}

static void parse_args(int argc, char **argv, struct opts *o)
{
	int c;

	memset(o, 0, sizeof(*o));
	o->tasks = "*";
	o->cap_ms = -1;
	o->formats = PM_FMT_DEFAULT;
	o->jobs = 2;
	while ((c = getopt_long(argc, argv, "t:c:f:o:j:hV", long_opts, NULL)) != -1) {
		switch (c) {
		case 't': o->tasks = optarg; break;
		case 'c': o->cap_ms = parse_ms("--cap", optarg, false); break;
		case 'f': o->from_ms = parse_ms("--from", optarg, true); break;
		case 'o': o->outdir = optarg; break;
		case 'j': {
			char *end;
			long n = strtol(optarg, &end, 10);

			if (end == optarg || *end || n < 1 || n > 256)
				die_usage("--jobs '%s': expected a number from 1 to 256", optarg);
			o->jobs = (unsigned int)n;
			break;
		}
		case OPT_HEATMAPS: o->heatmaps = true; break;
		case OPT_LABEL: o->label = optarg; break;
		case OPT_MAP: o->map = optarg; break;
		case OPT_MERGE: o->merge = true; break;
		case OPT_APPEND_TID: o->append_tid = true; break;
		case OPT_GROUP_BY:
			if (!strcmp(optarg, "task"))
				o->group_by = PM_GROUP_TASK;
			else if (!strcmp(optarg, "group"))
				o->group_by = PM_GROUP_GROUP;
			else if (!strcmp(optarg, "process"))
				o->group_by = PM_GROUP_PROCESS;
			else
				die_usage("--group-by '%s': expected task, group or process", optarg);
			break;
		case OPT_FORMAT:
			if (pm_formats_parse(optarg, &o->formats))
				exit(2);
			break;
		case OPT_OPEN: o->open = true; break;
		case OPT_HEADLESS: o->open = false; break;
		case OPT_LIST: o->list = true; break;
		case OPT_SUCCESSORS: o->successors = optarg; break;
		case 'h': fputs(usage, stdout); exit(0);
		case 'V': printf("perfmap %s\n", PW_VERSION); exit(0);
		default: fprintf(stderr, "Try 'perfmap --help'.\n"); exit(2);
		}
	}
	if (optind >= argc)
		die_usage("%s", "no capture given: perfmap [OPTIONS] RUN.cdict [RUN2.cdict ...]");
}

/* mkdir -p, then check we can write there. */
static int make_dir(const char *dir)
{
	char buf[PATH_MAX];
	size_t len = strlen(dir);

	if (len >= sizeof(buf)) {
		pw_err("%s: output directory name too long", dir);
		return -1;
	}
	memcpy(buf, dir, len + 1);
	for (char *p = buf + 1; ; p++) {
		if (*p == '/' || !*p) {
			char save = *p;

			*p = 0;
			if (mkdir(buf, 0755) && errno != EEXIST) {
				pw_err("%s: cannot create the output directory: %s", buf, strerror(errno));
				return -1;
			}
			*p = save;
			if (!save)
				break;
		}
	}
	if (access(dir, W_OK | X_OK)) {
		pw_err("%s: cannot write in the output directory: %s", dir, strerror(errno));
		return -1;
	}
	return 0;
}

static void suggest(struct pm_run **runs, unsigned int n, const char *spec)
{
	const char *names[6];
	unsigned int k = strspn(spec, "0123456789,") == strlen(spec) ? 0 :
			 pm_run_closest(runs[0], spec, names, 6);

	/* Only tids asked for: names close to digits would mean nothing. */
	fprintf(stderr, "perfmap: error: no task matches '%s'", spec);
	if (n > 1)
		fprintf(stderr, " in any run");
	if (k) {
		fprintf(stderr, "; closest names in %s:", runs[0]->path);
		for (unsigned int i = 0; i < k; i++)
			fprintf(stderr, "%s '%s'", i ? "," : "", names[i]);
	}
	fprintf(stderr, "\nperfmap: 'perfmap --list %s' shows every task\n", runs[0]->path);
}

static int do_list(struct pm_run **runs, unsigned int n)
{
	for (unsigned int r = 0; r < n; r++) {
		printf("%s# %s: %s, %.3f ms from %.3f ms\n", r ? "\n" : "", runs[r]->name,
		       runs[r]->path, (runs[r]->we - runs[r]->ws) / 1e6,
		       (runs[r]->ws - runs[r]->t0) / 1e6);
		if (pm_run_write_list(runs[r], stdout))
			return 1;
	}
	return 0;
}

static int do_successors(struct pm_run **runs, unsigned int n, const char *spec)
{
	struct pm_select *s;
	uint32_t found = 0;
	int err;

	s = pm_select_parse(spec, &err);
	if (!s)
		return 2;
	for (unsigned int r = 0; r < n; r++)
		found += pm_run_select(runs[r], s);
	if (!found) {
		suggest(runs, n, spec);
		pm_select_free(s);
		return 1;
	}
	for (unsigned int r = 0; r < n; r++) {
		printf("%s# %s: %s, successors of '%s'\n", r ? "\n" : "", runs[r]->name,
		       runs[r]->path, spec);
		if (pm_run_write_successors(runs[r], s, stdout) < 0) {
			pm_select_free(s);
			return 1;
		}
	}
	pm_select_free(s);
	return 0;
}

static void open_report(const char *dir)
{
	char path[PATH_MAX + 16];
	pid_t pid;
	int st;

	snprintf(path, sizeof(path), "%s/index.html", dir);
	pid = fork();
	if (pid == 0) {
		char *const argv[] = { "xdg-open", path, NULL };

		execvp(argv[0], argv);
		_exit(127);
	}
	if (pid < 0 || waitpid(pid, &st, 0) < 0 || !WIFEXITED(st) || WEXITSTATUS(st))
		fprintf(stderr, "perfmap: could not open %s (xdg-open); open it in a browser\n",
			path);
}

static char *default_outdir(const char *path)
{
	const char *b = strrchr(path, '/');
	size_t len;
	char *dir;

	b = b ? b + 1 : path;
	len = strlen(b);
	if (len > 6 && !strcmp(b + len - 6, ".cdict"))
		len -= 6;
	if (asprintf(&dir, "%.*s-perfmap", (int)len, b) < 0)
		return NULL;
	return dir;
}

int main(int argc, char **argv)
{
	struct opts o;
	struct pm_name_opts no = { 0 };
	struct pw_namemap *map = NULL;
	struct pm_run **runs;
	struct pm_select *sel = NULL;
	struct pm_charts cs = { 0 };
	/* stop_signal is set only once the handlers are in place, to write */
	struct pm_pass_hooks hooks = { .stop = &stop_signal, .progress = show_progress };
	unsigned int n, nsel = 0, mask = PM_COLS_BASE;
	char *outdir = NULL;
	int err, ret = 1;

	pw_log_set(log_stderr);
	if (argc == 3 && !strcmp(argv[1], "--stats"))	/* pw-stats.h, perfcap(1) */
		return pw_stats_print_cdict(argv[2], stdout) ? 1 : 0;
	parse_args(argc, argv, &o);
	progress.tty = isatty(STDERR_FILENO);
	clock_gettime(CLOCK_MONOTONIC, &progress.start);
	n = (unsigned int)(argc - optind);
	runs = calloc(n, sizeof(*runs));
	if (!runs)
		return 1;
	if (o.map) {
		map = pw_namemap_load(o.map, &err);
		if (!map)
			goto out;
	}
	if (o.heatmaps)
		mask |= PM_COLS_HEATMAPS;
	if (o.group_by == PM_GROUP_PROCESS)
		mask |= PM_COLS_PROCESS;
	no.merge_sys_tasks = o.merge;
	no.append_tid = o.append_tid;
	no.map = map;
	for (unsigned int r = 0; r < n; r++) {
		runs[r] = pm_run_open(argv[optind + r], &no, mask, &hooks, &err);
		if (!runs[r])
			goto out;
	}
	if (pm_runs_name(runs, n) || pm_runs_window(runs, n, o.from_ms, o.cap_ms))
		goto out;

	if (o.list) {
		ret = do_list(runs, n);
		goto out;
	}
	if (o.successors) {
		ret = do_successors(runs, n, o.successors);
		goto out;
	}

	sel = pm_select_parse(o.tasks, &err);
	if (!sel) {
		ret = 2;
		goto out;
	}
	for (unsigned int r = 0; r < n; r++) {
		uint32_t k = pm_run_select(runs[r], sel);

		if (!k && n > 1)
			pw_warn("%s: no task matches '%s'", runs[r]->path, o.tasks);
		nsel += k;
	}
	if (!nsel) {
		suggest(runs, n, o.tasks);
		goto out;
	}
	if (o.heatmaps && nsel > MAX_HEATMAP_TASKS) {
		/* three charts a task: time and memory grow with them, and
		 * nobody reads thousands of heatmaps */
		pw_err("--heatmaps for %u tasks: at most %d, select them with -t ('perfmap "
		       "--list' shows the busiest first)", nsel, MAX_HEATMAP_TASKS);
		goto out;
	}

	outdir = o.outdir ? strdup(o.outdir) : default_outdir(runs[0]->path);
	if (!outdir || make_dir(outdir))
		goto out;
	if (pm_charts_init(&cs, outdir, o.formats))
		goto out;
	{
		/* From here files are written: on a signal, stop and remove
		 * what is unfinished (no index.html). */
		struct sigaction sa = { .sa_handler = on_signal };

		sigemptyset(&sa.sa_mask);
		sigaction(SIGINT, &sa, NULL);
		sigaction(SIGTERM, &sa, NULL);
		sigaction(SIGHUP, &sa, NULL);
		cs.stop = &stop_signal;
	}
	{
		struct pm_dashboard_opts dopts = { .heatmaps = o.heatmaps, .group_by = o.group_by };

		err = pm_dashboard_write(&cs, runs, n, &dopts);
	}
	if (err)
		goto out;
	{
		const char *gp = getenv("PERFMAP_GNUPLOT");
		static const char *const gb[] = { "task", "group", "process" };
		struct pm_report_info info = {
			.label = o.label, .tasks = o.tasks, .group_by = gb[o.group_by],
		};
		char date[64];
		time_t now = time(NULL);
		int rerr = pm_charts_render(&cs, gp && *gp ? gp : "gnuplot", o.jobs);

		if (rerr == PW_ESTOPPED)
			goto out;
		for (unsigned int i = 0; i < cs.n; i++) {
			if (cs.v[i].status == PW_EWRITE) {
				/* a full disk, most likely: a report would look whole */
				fprintf(stderr, "perfmap: %s: some images could not be written: "
					"no index.html written\n", outdir);
				goto out;
			}
		}
		strftime(date, sizeof(date), "%Y-%m-%d %H:%M:%S %Z", localtime(&now));
		info.date = date;
		if (pm_report_write(&cs, &info, runs, n))
			goto out;
		if (rerr) {
			fprintf(stderr, "perfmap: %s/index.html written, but some charts failed: their "
				".gp and .dat files are in %s\n", outdir, outdir);
			goto out;
		}
	}
	if (!cs.n)
		pw_warn("no chart: the selected tasks have nothing to chart in the window");
	printf("%s/index.html: %u chart%s\n", outdir, cs.n, cs.n == 1 ? "" : "s");
	if (o.open)
		open_report(outdir);
	ret = 0;
out:
	if (stop_signal && ret) {	/* a signal after index.html was written changes nothing */
		fprintf(stderr, "perfmap: interrupted by %s: no index.html written%s%s\n",
			strsignal(stop_signal), outdir ? " in " : "", outdir ? outdir : "");
		ret = 128 + stop_signal;
	}
	pm_charts_release(&cs);
	pm_select_free(sel);
	for (unsigned int r = 0; r < n; r++)
		pm_run_free(runs[r]);
	free(runs);
	pw_namemap_free(map);
	free(outdir);
	return ret;
}
