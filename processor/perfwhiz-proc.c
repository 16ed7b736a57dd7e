// SPDX-License-Identifier: MIT
/*
 * perfwhiz-proc - convert a perf.data file or stream into perfwhiz rows
 * (a cdict and/or CSV), in one pass. Option parsing and reporting only: the
 * work is in the library (pw-convert.h).
 */
#include <errno.h>
#include <signal.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "pw-convert.h"
#include "pw-log.h"

/* Exit codes, documented in --help and perfwhiz-proc(1). */
enum {
	EXIT_OK = 0,
	EXIT_ERROR = 1,		/* bad input, I/O error: no output left behind */
	EXIT_USAGE = 2,
	EXIT_PARTIAL = 3,	/* the input was cut short; output holds what was complete */
};

static const char *prog = "perfwhiz-proc";
static volatile int stop_signal;

static void on_signal(int sig)
{
	stop_signal = sig;
}
static int verbosity = 1;	/* 0 quiet, 1 normal, 2 verbose */

static void usage(FILE *f)
{
	fprintf(f,
"Usage: %s [-i FILE|-] [-o RUN.cdict] [--csv FILE|-] [--map FILE.csv] [-q] [-v]\n"
"       %s --info FILE\n"
"\n"
"Read a perf.data capture (file layout, or the pipe layout of `perf record -o -`)\n"
"in one pass and write one row per kept scheduler and KVM event, in time order,\n"
"into a cdict file and/or CSV. The input may also be a cdict (to export or rename)\n"
"or the original tool's cdict (to convert): its kind is recognised by content.\n"
"\n"
"  -i, --input FILE   the input; '-' reads standard input. Default: standard\n"
"                     input when it is a pipe, else ./perf.data\n"
"  -o, --output FILE  the cdict to write. Default, when --csv is not given: the\n"
"                     input's base name with .cdict (perf.cdict for stdin)\n"
"      --csv FILE     write CSV to FILE ('-': standard output)\n"
"      --map FILE     rename tasks with a mapping CSV (tid,instance,type,uuid,\n"
"                     group-type,group-id,name -> name.NN.type)\n"
"      --info FILE    print the metadata and per-event counts of a cdict or a\n"
"                     perf.data (which is read, not converted)\n"
"  -q, --quiet        no summary and no progress bar\n"
"  -v, --verbose      more detail (e.g. tracepoint formats that failed to parse)\n"
"  -h, --help         this text\n"
"  -V, --version      the version\n"
"\n"
"Columns: time_ns,cpu,event,pid,tgid,task,duration_ns,next_pid,next_task,\n"
"prev_state,next_wait_ns,exit_reason,target_cpu (see perfwhiz-proc(1)).\n"
"\n"
"Exit status: 0 success; 1 error (nothing written under the output names);\n"
"2 usage error; 3 partial input (cut short: the outputs hold every complete\n"
"record, and a message says where the input ended); 128+N interrupted by\n"
"signal N (no output written).\n",
		prog, prog);
}

struct progress {
	bool tty;
	bool shown;
	struct timespec start;
};

static double since(const struct timespec *t0)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)(t.tv_sec - t0->tv_sec) + (double)(t.tv_nsec - t0->tv_nsec) / 1e9;
}

static void progress_fn(uint64_t done, uint64_t total, void *ctx)
{
	struct progress *p = ctx;
	double secs;

	if (!p->tty || (secs = since(&p->start)) < 1.0)
		return;
	if (total) {
		int pct = (int)(done * 100 / total), bar = pct / 4;

		fprintf(stderr, "\r%s: [%.*s%*s] %3d%% %llu/%llu MB %.1fs ", prog, bar,
			"#########################", 25 - bar, "", pct,
			(unsigned long long)(done >> 20), (unsigned long long)(total >> 20), secs);
	} else {
		fprintf(stderr, "\r%s: %llu MB %.1fs ", prog, (unsigned long long)(done >> 20), secs);
	}
	p->shown = true;
}

/* @src: the kind of input, and a cdict's format version (earlier builds
 * wrote and read 1.x only) */
static void print_info(const char *input, const struct pw_convert_source *src,
		       const struct pw_meta *m)
{
	uint64_t total = 0;

#define STR(x) ((x) ? (x) : "-")
	printf("file:          %s\n", input);
	if (src->kind == PW_INPUT_CDICT)
		printf("format:        cdict %u.%u\n", src->cdict_major, src->cdict_minor);
	else
		printf("format:        %s\n", pw_input_kind_name(src->kind));
	printf("source:        %s\n", STR(m->source));
	printf("host:          %s\n", STR(m->hostname));
	printf("os release:    %s\n", STR(m->os_release));
	printf("arch:          %s\n", STR(m->arch));
	if (m->nr_cpus != PW_NONE)
		printf("cpus:          %lld\n", (long long)m->nr_cpus);
	else
		printf("cpus:          -\n");
	printf("perf version:  %s\n", STR(m->perf_version));
	printf("command line:  %s\n", STR(m->cmdline));
	printf("first, last:   %llu %llu (%.6f s)\n", (unsigned long long)m->first_ns,
	       (unsigned long long)m->last_ns, (double)(m->last_ns - m->first_ns) / 1e9);
	printf("partial:       %s\n", m->partial ? "yes (the capture was cut short)" : "no");
	if (m->legacy_note)
		printf("converted:     %s\n", m->legacy_note);
	if (m->map_file)
		printf("name map:      %s (sha256 %s)\n", m->map_file, STR(m->map_digest));
	printf("rows:\n");
	for (int i = 0; i < PW_EV__MAX; i++) {
		total += m->stored[i];
		if (m->stored[i])
			printf("  %-20s %llu\n", pw_event_name(i), (unsigned long long)m->stored[i]);
	}
	printf("  %-20s %llu\n", "total", (unsigned long long)total);
	if (m->nr_dropped) {
		printf("dropped (not kept):\n");
		for (unsigned int i = 0; i < m->nr_dropped; i++)
			printf("  %-20s %llu\n", m->dropped[i].name,
			       (unsigned long long)m->dropped[i].count);
	}
	printf("lost events:   %llu\n", (unsigned long long)m->lost);
	printf("lost samples:  %llu\n", (unsigned long long)m->lost_samples);
	printf("out of order:  %llu\n", (unsigned long long)m->out_of_order);
	printf("unknown:       %llu records, %llu sample ids\n",
	       (unsigned long long)m->unknown_records, (unsigned long long)m->unknown_ids);
	printf("undecodable:   %llu\n", (unsigned long long)m->undecodable);
#undef STR
}

/* ./BASE.cdict for the input's base name without its extension. */
static char *default_output(const char *input)
{
	const char *base = strrchr(input, '/'), *dot;
	char *out;

	base = base ? base + 1 : input;
	if (!strcmp(input, "-") || !*base)
		base = "perf";
	dot = strrchr(base, '.');
	if (asprintf(&out, "%.*s.cdict", dot && dot != base ? (int)(dot - base) : (int)strlen(base),
		     base) < 0)
		return NULL;
	return out;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "input", required_argument, NULL, 'i' },
		{ "output", required_argument, NULL, 'o' },
		{ "csv", required_argument, NULL, 'C' },
		{ "map", required_argument, NULL, 'M' },
		{ "info", required_argument, NULL, 'I' },
		{ "chunk-rows", required_argument, NULL, 'K' },	/* tests: tiny chunks */
		{ "quiet", no_argument, NULL, 'q' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	struct pw_convert_source source = { PW_INPUT_UNKNOWN, 0, 0 };
	struct pw_convert conv = { .input_fd = -1, .source = &source };
	struct pw_cdict_writer_opts wopts = { 0 };
	struct progress prog_state = { 0 };
	const char *info = NULL;
	char *default_out = NULL;
	struct pw_meta meta;
	struct stat st;
	int c, err;

	pw_log_to_stderr(prog, &verbosity);
	while ((c = getopt_long(argc, argv, "i:o:qvhV", opts, NULL)) != -1) {
		switch (c) {
		case 'i':
			conv.input = optarg;
			break;
		case 'o':
			conv.cdict = optarg;
			break;
		case 'C':
			conv.csv = optarg;
			break;
		case 'M':
			conv.map = optarg;
			break;
		case 'I':
			info = optarg;
			break;
		case 'K': {
			char *end;
			unsigned long n;

			errno = 0;
			n = strtoul(optarg, &end, 10);
			if (errno || end == optarg || *end || *optarg == '-' || !n ||
			    n > PW_CDICT_MAX_ROWS_PER_CHUNK) {
				fprintf(stderr, "%s: --chunk-rows: '%s' is not a number of rows "
					"from 1 to %u\n", prog, optarg, PW_CDICT_MAX_ROWS_PER_CHUNK);
				return EXIT_USAGE;
			}
			wopts.rows_per_chunk = (unsigned int)n;
			conv.cdict_opts = &wopts;
			break;
		}
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
	if (info && (conv.input || conv.cdict || conv.csv || conv.map)) {
		fprintf(stderr, "%s: --info takes no other option\n", prog);
		return EXIT_USAGE;
	}
	if (info)
		conv.input = info;
	if (!conv.input)
		conv.input = !fstat(STDIN_FILENO, &st) && S_ISFIFO(st.st_mode) ? "-" : "perf.data";
	if (!info && !conv.cdict && !conv.csv) {
		default_out = default_output(conv.input);
		if (!default_out)
			return EXIT_ERROR;
		conv.cdict = default_out;
	}
	{
		/* Interrupted, or the reader of --csv - went away: stop reading,
		 * remove the unfinished outputs. */
		struct sigaction sa = { .sa_handler = on_signal };

		sigemptyset(&sa.sa_mask);
		sigaction(SIGINT, &sa, NULL);
		sigaction(SIGTERM, &sa, NULL);
		sigaction(SIGHUP, &sa, NULL);
		sigaction(SIGPIPE, &sa, NULL);
		conv.stop = &stop_signal;
	}
	prog_state.tty = verbosity > 0 && !info && isatty(STDERR_FILENO);
	clock_gettime(CLOCK_MONOTONIC, &prog_state.start);
	conv.progress = progress_fn;
	conv.progress_ctx = &prog_state;

	err = pw_convert_run(&conv, &meta);
	if (prog_state.shown)
		fputc('\n', stderr);
	if (err == PW_ESTOPPED && stop_signal) {
		pw_err("%s: interrupted by %s; no output written", conv.input,
		       strsignal(stop_signal));
		pw_meta_release(&meta);
		free(default_out);
		return 128 + stop_signal;
	}
	if (err && stop_signal == SIGPIPE) {	/* the writer said so; the outputs are gone */
		pw_meta_release(&meta);
		free(default_out);
		return 128 + SIGPIPE;
	}
	if (err && err != PW_ETRUNCATED) {
		pw_err("%s: %s; no output written", conv.input, pw_strerror(err));
		pw_meta_release(&meta);
		free(default_out);
		return EXIT_ERROR;
	}
	if (info)
		print_info(conv.input, &source, &meta);
	else if (verbosity > 0)
		pw_meta_summary(stderr, prog, conv.input, &meta);
	if (err == PW_ETRUNCATED)
		pw_warn("%s: partial input: the output holds every complete record", conv.input);
	pw_meta_release(&meta);
	free(default_out);
	return err == PW_ETRUNCATED ? EXIT_PARTIAL : EXIT_OK;
}
