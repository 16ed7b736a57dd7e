// SPDX-License-Identifier: MIT
/*
 * perfwhiz-proc - convert a perf.data file or stream into perfwhiz rows
 * (CSV), in one pass. Option parsing and reporting only: the work is in
 * the library (pw-reader.h, pw-csv.h).
 */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "pw-csv.h"
#include "pw-log.h"
#include "pw-reader.h"

/* Exit codes, documented in --help and perfwhiz-proc(1). */
enum {
	EXIT_OK = 0,
	EXIT_ERROR = 1,		/* bad input, I/O error: no output left behind */
	EXIT_USAGE = 2,
	EXIT_PARTIAL = 3,	/* the input was cut short; output holds what was complete */
};

static const char *prog = "perfwhiz-proc";
static int verbosity = 1;	/* 0 quiet, 1 normal, 2 verbose */

static void log_fn(enum pw_log_level level, const char *fmt, va_list ap)
{
	static const char *const prefix[] = { "error: ", "warning: ", "", "" };

	if ((level == PW_LOG_INFO && verbosity < 1) || (level == PW_LOG_DEBUG && verbosity < 2))
		return;
	fprintf(stderr, "%s: %s", prog, prefix[level]);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

static void usage(FILE *f)
{
	fprintf(f,
"Usage: %s [-i FILE|-] [--csv FILE|-] [-q] [-v]\n"
"\n"
"Read a perf.data capture (file layout, or the pipe layout of `perf record -o -`)\n"
"in one pass and write one CSV row per kept scheduler and KVM event, in time order.\n"
"\n"
"  -i, --input FILE   the capture; '-' reads standard input. Default: standard\n"
"                     input when it is a pipe, else ./perf.data\n"
"      --csv FILE     write CSV to FILE ('-': standard output)\n"
"  -q, --quiet        no summary and no progress bar\n"
"  -v, --verbose      more detail (e.g. tracepoint formats that failed to parse)\n"
"  -h, --help         this text\n"
"  -V, --version      the version\n"
"\n"
"Columns: time_ns,cpu,event,pid,tgid,task,duration_ns,next_pid,next_task,\n"
"prev_state,next_wait_ns,exit_reason,target_cpu (see perfwhiz-proc(1)).\n"
"\n"
"Exit status: 0 success; 1 error (nothing written under the output name);\n"
"2 usage error; 3 partial input (cut short: the output holds every complete\n"
"record, and a message says where the input ended).\n",
		prog);
}

struct progress {
	struct pw_reader *r;
	bool tty;
	bool shown;
	struct timespec start;
	uint64_t rows;
	pw_row_fn next;
	void *next_ctx;
};

static double since(const struct timespec *t0)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)(t.tv_sec - t0->tv_sec) + (double)(t.tv_nsec - t0->tv_nsec) / 1e9;
}

static void progress_show(struct progress *p, bool final)
{
	uint64_t done, total;
	double secs = since(&p->start);

	pw_reader_progress(p->r, &done, &total);
	if (total) {
		int pct = (int)(done * 100 / total), bar = pct / 4;

		fprintf(stderr, "\r%s: [%.*s%*s] %3d%% %llu MB %llu rows %.1fs%s", prog, bar,
			"#########################", 25 - bar, "", pct,
			(unsigned long long)(done >> 20), (unsigned long long)p->rows, secs,
			final ? "\n" : "");
	} else {
		fprintf(stderr, "\r%s: %llu MB %llu rows %.1fs%s", prog,
			(unsigned long long)(done >> 20), (unsigned long long)p->rows, secs,
			final ? "\n" : "");
	}
	p->shown = true;
}

static int progress_row(const struct pw_row *row, void *ctx)
{
	struct progress *p = ctx;

	if (p->tty && !(++p->rows & 0xffff) && since(&p->start) > 1.0)
		progress_show(p, false);
	return p->next ? p->next(row, p->next_ctx) : 0;
}

static void summary(const char *input, const struct pw_meta *m)
{
	uint64_t total = 0;

	for (int i = 0; i < PW_EV__MAX; i++)
		total += m->stored[i];
	fprintf(stderr, "%s: %s: %llu rows", prog, input, (unsigned long long)total);
	for (int i = 0, first = 1; i < PW_EV__MAX; i++) {
		if (!m->stored[i])
			continue;
		fprintf(stderr, "%s%s %llu", first ? " (" : ", ", pw_event_name(i),
			(unsigned long long)m->stored[i]);
		first = 0;
	}
	fprintf(stderr, "%s\n", total ? ")" : "");
	if (m->nr_dropped) {
		fprintf(stderr, "%s: dropped (not kept):", prog);
		for (unsigned int i = 0; i < m->nr_dropped; i++)
			fprintf(stderr, "%s %s %llu", i ? "," : "", m->dropped[i].name,
				(unsigned long long)m->dropped[i].count);
		fputc('\n', stderr);
	}
	if (m->lost || m->lost_samples)
		fprintf(stderr, "%s: lost: %llu events, %llu samples (perf could not keep up; "
			"try a larger -m or fewer events)\n", prog, (unsigned long long)m->lost,
			(unsigned long long)m->lost_samples);
	if (m->unknown_records || m->unknown_ids || m->out_of_order || m->undecodable)
		fprintf(stderr, "%s: skipped: %llu unknown records, %llu samples of unknown id, "
			"%llu out of order, %llu undecodable\n", prog,
			(unsigned long long)m->unknown_records, (unsigned long long)m->unknown_ids,
			(unsigned long long)m->out_of_order, (unsigned long long)m->undecodable);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "input", required_argument, NULL, 'i' },
		{ "csv", required_argument, NULL, 'C' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	const char *input = NULL, *csv_path = NULL;
	struct progress prog_state = { 0 };
	struct pw_csv *csv = NULL;
	struct pw_reader *r;
	struct stat st;
	int c, err;

	pw_log_set(log_fn);
	while ((c = getopt_long(argc, argv, "i:qvhV", opts, NULL)) != -1) {
		switch (c) {
		case 'i':
			input = optarg;
			break;
		case 'C':
			csv_path = optarg;
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
	if (optind < argc) {
		fprintf(stderr, "%s: unexpected argument '%s'\n", prog, argv[optind]);
		usage(stderr);
		return EXIT_USAGE;
	}
	if (!csv_path) {
		fprintf(stderr, "%s: nothing to write: give --csv FILE (or --csv - for "
			"standard output)\n", prog);
		return EXIT_USAGE;
	}
	if (!input)
		input = !fstat(STDIN_FILENO, &st) && S_ISFIFO(st.st_mode) ? "-" : "perf.data";

	r = pw_reader_open(input, NULL, &err);
	if (!r)
		return EXIT_ERROR;
	csv = pw_csv_open(csv_path, &err);
	if (!csv) {
		pw_reader_close(r);
		return EXIT_ERROR;
	}
	prog_state.r = r;
	prog_state.tty = verbosity > 0 && isatty(STDERR_FILENO);
	prog_state.next = pw_csv_row;
	prog_state.next_ctx = csv;
	clock_gettime(CLOCK_MONOTONIC, &prog_state.start);
	err = pw_reader_run(r, progress_row, &prog_state);
	if (prog_state.shown)
		progress_show(&prog_state, true);
	if (err && err != PW_ETRUNCATED) {
		pw_csv_abort(csv);
		if (err != PW_EWRITE)
			pw_err("%s: %s; no output written", input, pw_strerror(err));
		pw_reader_close(r);
		return EXIT_ERROR;
	}
	if (pw_csv_close(csv)) {
		pw_reader_close(r);
		return EXIT_ERROR;
	}
	if (verbosity > 0)
		summary(input, pw_reader_meta(r));
	if (err == PW_ETRUNCATED)
		pw_warn("%s: partial input: the output holds every complete record", input);
	pw_reader_close(r);
	return err == PW_ETRUNCATED ? EXIT_PARTIAL : EXIT_OK;
}
