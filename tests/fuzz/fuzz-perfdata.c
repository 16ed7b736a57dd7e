// SPDX-License-Identifier: MIT
/*
 * fuzz-perfdata.c - the whole perf.data pipeline (reader, ordering,
 * tracepoint decoding, derivation, rows) on arbitrary bytes, fed as a
 * regular file and, from the same bytes, as a pipe delivering them in
 * pieces of sizes taken from the input.
 */
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "pw-log.h"
#include "pw-reader.h"

static int count_row(const struct pw_row *row, void *ctx)
{
	uint64_t *n = ctx;

	/* touch every string, as the outputs would */
	*n += (row->task ? strlen(row->task) : 0) + (row->next_task ? strlen(row->next_task) : 0) +
	      (row->prev_state ? strlen(row->prev_state) : 0) +
	      (row->exit_reason ? strlen(row->exit_reason) : 0) + 1;
	return 0;
}

static void run_fd(int fd)
{
	/* a small queue bound, to exercise it; no slow fallback to tracefs */
	struct pw_reader_opts opts = { .reorder_max = 64, .no_system_formats = true };
	struct pw_reader *r = pw_reader_open_fd(fd, "fuzz", &opts, NULL);
	uint64_t n = 0;

	if (r) {
		pw_reader_run(r, count_row, &n);
		pw_reader_close(r);
	}
}

struct feeder {
	int fd;
	const uint8_t *data;
	size_t size;
};

static void *feed(void *arg)
{
	struct feeder *f = arg;
	size_t off = 0, step = f->size ? 1 + f->data[0] % 61 : 1;

	while (off < f->size) {
		size_t n = f->size - off < step ? f->size - off : step;
		ssize_t w = write(f->fd, f->data + off, n);

		if (w <= 0)
			break;
		off += (size_t)w;
		step = 1 + (step * 7 + f->data[off % f->size]) % 4096;
	}
	close(f->fd);
	return NULL;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	int fd = memfd_create("fuzz", 0), p[2];
	struct feeder f;
	pthread_t t;

	pw_log_set(NULL);
	signal(SIGPIPE, SIG_IGN);	/* the reader may stop before the feeder */
	if (fd >= 0) {
		if (write(fd, data, size) == (ssize_t)size && lseek(fd, 0, SEEK_SET) == 0)
			run_fd(fd);
		close(fd);
	}
	if (pipe(p))
		return 0;
	f = (struct feeder){ p[1], data, size };
	if (pthread_create(&t, NULL, feed, &f)) {
		close(p[0]);
		close(p[1]);
		return 0;
	}
	run_fd(p[0]);
	close(p[0]);		/* the feeder gets EPIPE if the reader stopped early */
	pthread_join(t, NULL);
	return 0;
}
