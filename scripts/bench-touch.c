// SPDX-License-Identifier: MIT
/*
 * bench-touch.c - the floor of loading columns: allocate MB megabytes the
 * way the cdict loader allocates a column (2 MiB aligned, MADV_HUGEPAGE)
 * and write every byte once, split between THREADS threads as the loader
 * splits its row groups. Built and used by scripts/bench.sh, timed by
 * bench-time.
 *
 *   bench-touch MB THREADS
 *
 * On a virtual machine the first write to fresh memory is paid twice (the
 * guest clears the page, the host backs it), and that, not decoding, can
 * bound how fast a program that keeps its columns in memory can load them.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#define HUGE_PAGE (2u << 20)

struct part {
	unsigned char *p;
	size_t n;
};

static void *touch(void *arg)
{
	struct part *t = arg;

	memset(t->p, 1, t->n);
	return NULL;
}

int main(int argc, char **argv)
{
	struct part parts[64];
	pthread_t tid[64];
	size_t size, each;
	void *p;
	int threads;

	if (argc != 3 || atol(argv[1]) <= 0 || (threads = atoi(argv[2])) < 1 || threads > 64) {
		fprintf(stderr, "usage: bench-touch MB THREADS (1-64)\n");
		return 2;
	}
	size = (size_t)atol(argv[1]) << 20;
	if (posix_memalign(&p, HUGE_PAGE, size)) {
		perror("bench-touch");
		return 1;
	}
	madvise(p, size, MADV_HUGEPAGE);
	each = (size / (size_t)threads + HUGE_PAGE - 1) & ~(size_t)(HUGE_PAGE - 1);
	for (int i = 0; i < threads; i++) {
		size_t off = (size_t)i * each;

		parts[i].p = (unsigned char *)p + (off < size ? off : size);
		parts[i].n = off >= size ? 0 : size - off < each ? size - off : each;
		if (i && pthread_create(&tid[i], NULL, touch, &parts[i])) {
			perror("bench-touch");
			return 1;
		}
	}
	touch(&parts[0]);
	for (int i = 1; i < threads; i++)
		pthread_join(tid[i], NULL);
	/* read one byte back so that the writes cannot be elided */
	return ((unsigned char *)p)[size - 1] != 1;
}
