// SPDX-License-Identifier: MIT
/* capture.c - tracepoint probing, schedstats, and running perf record. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <tracefs.h>

#include "pw-capture.h"
#include "pw-log.h"

static const struct pw_capture_event events[PW_CAPTURE_NR_EVENTS] = {
#define PW_CAP_EV(sys, name, cost) { sys, name, cost },
	PW_CAPTURE_EVENTS(PW_CAP_EV)
#undef PW_CAP_EV
};

const struct pw_capture_event *pw_capture_event(int i)
{
	return i >= 0 && i < PW_CAPTURE_NR_EVENTS ? &events[i] : NULL;
}

int pw_capture_probe(const char *tracing_dir, bool present[PW_CAPTURE_NR_EVENTS])
{
	const char *dir = tracing_dir;
	int n = 0;

	if (!dir)
		dir = tracefs_tracing_dir();
	if (!dir) {
		pw_err("no tracefs found: mount it with `mount -t tracefs nodev "
		       "/sys/kernel/tracing`");
		return PW_ENOENT;
	}
	for (int i = 0; i < PW_CAPTURE_NR_EVENTS; i++) {
		char *path;
		struct stat st;

		present[i] = false;
		if (tracing_dir) {
			/* An explicit folder: look there (libtracefs only knows
			 * the system's mount). */
			if (asprintf(&path, "%s/events/%s/%s/format", dir, events[i].system,
				     events[i].name) < 0)
				return PW_ENOMEM;
			present[i] = !stat(path, &st);
			free(path);
		} else {
			present[i] = tracefs_event_file_exists(NULL, events[i].system,
							       events[i].name, "format");
		}
		n += present[i];
	}
	return n;
}

/* PROC_ROOT/REL, or NULL when out of memory. */
static char *proc_path(const char *proc_root, const char *rel)
{
	char *p;

	if (asprintf(&p, "%s/%s", proc_root ? proc_root : "/proc", rel) < 0)
		return NULL;
	return p;
}

/* The first line of a small file, NUL-terminated; -errno on failure. */
static int read_line(const char *path, char *buf, size_t size)
{
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	n = read(fd, buf, size - 1);
	if (n < 0) {
		n = -errno;
		close(fd);
		return (int)n;
	}
	close(fd);
	buf[n] = 0;
	buf[strcspn(buf, "\n")] = 0;
	return 0;
}

int pw_capture_check_access(const char *proc_root)
{
	char *path, buf[32];
	long paranoid = 2;

	if (geteuid() == 0)
		return 0;
	path = proc_path(proc_root, "sys/kernel/perf_event_paranoid");
	if (path && !read_line(path, buf, sizeof(buf)))
		paranoid = strtol(buf, NULL, 10);
	free(path);
	if (paranoid <= -1)
		return 0;
	pw_err("recording scheduler and KVM tracepoints on every CPU needs root: run it "
	       "with sudo (or, less safely, set kernel.perf_event_paranoid to -1 and "
	       "make tracefs readable); perf_event_paranoid is %ld", paranoid);
	return -EPERM;
}

int pw_schedstats_enable(struct pw_schedstats *s, const char *proc_root)
{
	char buf[16];
	int e, fd;

	s->path = NULL;
	s->old = '0';
	s->changed = false;
	s->path = proc_path(proc_root, "sys/kernel/sched_schedstats");
	if (!s->path)
		return PW_ENOMEM;
	e = read_line(s->path, buf, sizeof(buf));
	if (e == -ENOENT) {
		free(s->path);
		s->path = NULL;
		return 0;
	}
	if (e) {
		pw_err("%s: cannot read: %s", s->path, strerror(-e));
		return PW_EIO;
	}
	s->old = buf[0] == '0' ? '0' : '1';
	if (s->old == '1')
		return 0;
	fd = open(s->path, O_WRONLY | O_TRUNC | O_CLOEXEC);
	if (fd < 0 || write(fd, "1\n", 2) != 2) {
		e = errno;
		if (fd >= 0)
			close(fd);
		pw_err("%s: cannot turn schedstats on: %s", s->path, strerror(e));
		return PW_EIO;
	}
	close(fd);
	s->changed = true;
	return 0;
}

int pw_schedstats_restore(struct pw_schedstats *s)
{
	char val[2];
	int fd, e = 0;

	if (!s->path || !s->changed)
		return 0;
	val[0] = s->old;
	val[1] = '\n';
	fd = open(s->path, O_WRONLY | O_TRUNC | O_CLOEXEC);
	if (fd < 0 || write(fd, val, 2) != 2)
		e = -errno;
	if (fd >= 0)
		close(fd);
	if (!e)
		s->changed = false;
	return e;
}

void pw_schedstats_release(struct pw_schedstats *s)
{
	free(s->path);
	s->path = NULL;
}

struct pw_perf {
	pid_t pid;
	int fd;
	char *command;
};

int pw_perf_fd(const struct pw_perf *p)
{
	return p->fd;
}

pid_t pw_perf_pid(const struct pw_perf *p)
{
	return p->pid;
}

const char *pw_perf_command(const struct pw_perf *p)
{
	return p->command;
}

static char *join(char **argv)
{
	size_t len = 1;
	char *s, *q;

	for (int i = 0; argv[i]; i++)
		len += strlen(argv[i]) + 1;
	s = malloc(len);
	if (!s)
		return NULL;
	q = s;
	for (int i = 0; argv[i]; i++)
		q += sprintf(q, "%s%s", i ? " " : "", argv[i]);
	*q = 0;
	return s;
}

/* In the child, between fork and exec: only async-signal-safe calls. */
static void child(char **argv, int out, int status)
{
	struct sigaction sa = { .sa_handler = SIG_DFL };
	sigset_t none;
	int e;

	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	sigaction(SIGPIPE, &sa, NULL);
	sigaction(SIGALRM, &sa, NULL);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	if (out >= 0 && dup2(out, STDOUT_FILENO) < 0)
		goto fail;
	execvp(argv[0], argv);
fail:
	e = errno;
	if (write(status, &e, sizeof(e)) < 0)
		_exit(127);
	_exit(127);
}

struct pw_perf *pw_perf_start(const struct pw_perf_opts *o, int *err)
{
	struct pw_perf *p = NULL;
	char **argv = NULL;
	int data[2] = { -1, -1 }, status[2] = { -1, -1 };
	int n = 0, e = 0, ce;
	ssize_t got;

	if (!o->perf || !o->seconds || o->nr_events <= 0) {
		e = PW_EINVAL;
		goto fail;
	}
	argv = calloc((size_t)(2 * o->nr_events + 10), sizeof(*argv));
	p = calloc(1, sizeof(*p));
	if (!argv || !p) {
		e = PW_ENOMEM;
		goto fail;
	}
	p->fd = -1;
	argv[n++] = (char *)o->perf;
	argv[n++] = "record";
	argv[n++] = "-a";
	for (int i = 0; i < o->nr_events; i++) {
		argv[n++] = "-e";
		argv[n++] = (char *)o->events[i];
	}
	argv[n++] = "-o";
	argv[n++] = (char *)(o->output ? o->output : "-");
	argv[n++] = "--";
	argv[n++] = "sleep";
	argv[n++] = (char *)o->seconds;
	argv[n] = NULL;
	p->command = join(argv);
	if (!p->command) {
		e = PW_ENOMEM;
		goto fail;
	}
	if ((!o->output && pipe2(data, O_CLOEXEC)) || pipe2(status, O_CLOEXEC)) {
		e = -errno;
		pw_err("cannot create a pipe: %s", strerror(errno));
		goto fail;
	}
	if (data[0] >= 0)
		fcntl(data[0], F_SETPIPE_SZ, 1 << 20);	/* best effort: fewer stalls */
	p->pid = fork();
	if (p->pid < 0) {
		e = -errno;
		pw_err("cannot start %s: %s", o->perf, strerror(errno));
		goto fail;
	}
	if (p->pid == 0)
		child(argv, data[1], status[1]);
	close(status[1]);
	status[1] = -1;
	if (data[1] >= 0) {
		close(data[1]);
		data[1] = -1;
	}
	do
		got = read(status[0], &ce, sizeof(ce));
	while (got < 0 && errno == EINTR);
	close(status[0]);
	status[0] = -1;
	if (got == sizeof(ce)) {
		pw_err("cannot run %s: %s%s", o->perf, strerror(ce),
		       ce == ENOENT ? " (install linux-perf, or name it with --use-perf)" : "");
		while (waitpid(p->pid, NULL, 0) < 0 && errno == EINTR)
			;
		e = -ce;
		goto fail;
	}
	p->fd = data[0];
	free(argv);
	return p;
fail:
	for (int i = 0; i < 2; i++) {
		if (data[i] >= 0)
			close(data[i]);
		if (status[i] >= 0)
			close(status[i]);
	}
	if (p)
		free(p->command);
	free(p);
	free(argv);
	if (err)
		*err = e;
	return NULL;
}

int pw_perf_wait(struct pw_perf *p, int *status)
{
	int st = 0, e = 0;

	if (!p)
		return 0;
	if (p->fd >= 0)
		close(p->fd);
	while (waitpid(p->pid, &st, 0) < 0) {
		if (errno != EINTR) {
			e = -errno;
			break;
		}
	}
	if (status)
		*status = e ? -1 : WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
	free(p->command);
	free(p);
	return e;
}
