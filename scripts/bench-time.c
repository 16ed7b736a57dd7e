// SPDX-License-Identifier: MIT
/*
 * bench-time.c - run a command several times; print its median times and
 * peak RSS. Built and used by scripts/bench.sh.
 *
 *   bench-time RUNS WARMUP OUT CMD [ARG...]
 *
 * Each run is timed from fork to exit (CLOCK_MONOTONIC) and its resource
 * usage read with wait4(): user + system CPU time and the peak resident set
 * size (ru_maxrss, which also counts this small program's pages copied by
 * fork: about 1 MB). The WARMUP first runs are not counted. The command's
 * standard output goes to OUT (/dev/null), its standard error to ours.
 * Prints one line: wall_median cpu_median rss_max_kb wall_min wall_max.
 * Exit status 1 when a run fails.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double median(double *v, int n)
{
	qsort(v, n, sizeof(*v), cmp);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

int main(int argc, char **argv)
{
	int runs, warmup;
	double *wall, *cpu;
	long rss = 0;

	if (argc < 5 || (runs = atoi(argv[1])) < 1 || (warmup = atoi(argv[2])) < 0) {
		fprintf(stderr, "usage: bench-time RUNS WARMUP OUT CMD [ARG...]\n");
		return 2;
	}
	wall = calloc(runs, sizeof(*wall));
	cpu = calloc(runs, sizeof(*cpu));
	if (!wall || !cpu)
		return 1;
	for (int i = 0; i < warmup + runs; i++) {
		struct rusage ru;
		int status;
		double t0 = now(), t;
		pid_t pid = fork();

		if (pid < 0) {
			perror("bench-time: fork");
			return 1;
		}
		if (pid == 0) {
			int fd = open(argv[3], O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

			if (fd < 0 || dup2(fd, 1) < 0) {
				perror(argv[3]);
				_exit(127);
			}
			execvp(argv[4], argv + 4);
			perror(argv[4]);
			_exit(127);
		}
		if (wait4(pid, &status, 0, &ru) < 0) {
			perror("bench-time: wait4");
			return 1;
		}
		t = now() - t0;
		if (!WIFEXITED(status) || WEXITSTATUS(status)) {
			fprintf(stderr, "bench-time: %s: exit status %d\n", argv[4],
				WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
			return 1;
		}
		if (i < warmup)
			continue;
		wall[i - warmup] = t;
		cpu[i - warmup] = ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 +
				  ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
		if (ru.ru_maxrss > rss)
			rss = ru.ru_maxrss;
	}
	printf("%.6f %.6f %ld", median(wall, runs), median(cpu, runs), rss);
	printf(" %.6f %.6f\n", wall[0], wall[runs - 1]);	/* sorted by median() */
	return 0;
}
