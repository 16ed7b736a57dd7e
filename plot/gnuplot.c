// SPDX-License-Identifier: MIT
/* gnuplot.c - script preamble, palettes and the gnuplot process pool. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/wait.h>
#include <unistd.h>

#include "gnuplot.h"
#include "pw-log.h"

static const char *const format_names[] = {
#define PM_FMT_NAME(id, name) name,
	PM_FORMATS(PM_FMT_NAME)
#undef PM_FMT_NAME
};

const char *pm_format_name(int fmt)
{
	return fmt >= 0 && fmt < PM_FMT__MAX ? format_names[fmt] : "?";
}

int pm_formats_parse(const char *list, unsigned int *mask)
{
	const char *p = list;

	*mask = 0;
	for (;;) {
		size_t len = strcspn(p, ",");
		int f;

		for (f = 0; f < PM_FMT__MAX; f++)
			if (strlen(format_names[f]) == len && !strncmp(p, format_names[f], len))
				break;
		if (f == PM_FMT__MAX) {
			pw_err("--format: unknown format '%.*s' (known: png, svg, pdf, eps, tex)",
			       (int)len, p);
			return PW_EINVAL;
		}
		*mask |= 1u << f;
		if (!p[len])
			break;
		p += len + 1;
	}
	return 0;
}

void pm_format_file(const char *name, int fmt, char *buf, size_t size)
{
	if (fmt == PM_FMT_TEX)
		snprintf(buf, size, "%s-tex.tex", name);
	else
		snprintf(buf, size, "%s.%s", name, pm_format_name(fmt));
}

char *pm_gp_quote(const char *s, char *buf, size_t size)
{
	size_t n = 0;

	if (size < 3) {
		if (size)
			buf[0] = 0;
		return buf;
	}
	buf[n++] = '"';
	for (; *s && n + 3 < size; s++) {
		if (*s == '"' || *s == '\\')
			buf[n++] = '\\';
		buf[n++] = *s;
	}
	buf[n++] = '"';
	buf[n] = 0;
	return buf;
}

static char *wrap(const char *fn, const char *s, char *buf, size_t size)
{
	size_t n = strlen(fn);

	if (size < n + 4) {
		if (size)
			buf[0] = 0;
		return buf;
	}
	memcpy(buf, fn, n);
	buf[n] = '(';
	pm_gp_quote(s, buf + n + 1, size - n - 2);
	strcat(buf, ")");
	return buf;
}

char *pm_gp_text(const char *s, char *buf, size_t size)
{
	return wrap("L", s, buf, size);
}

char *pm_gp_tic(const char *s, char *buf, size_t size)
{
	return wrap("T", s, buf, size);
}

const char *const pm_colors[PM_NR_COLORS] = {
	"#332288", "#88CCEE", "#44AA99", "#117733", "#999933", "#DDCC77",
	"#CC6677", "#882255", "#AA4499", "#E69F00", "#56B4E9", "#009E73",
	"#F0E442", "#0072B2", "#D55E00", "#CC79A7", "#BBBBBB",
};

/* The most frequent exit reasons (VMX names, then SVM ones) get distinct
 * colours; any other name a colour from a hash of it. */
static const char *const common_reasons[] = {
	"EXTERNAL_INTERRUPT", "HLT", "MSR_WRITE", "EPT_MISCONFIG", "IO_INSTRUCTION",
	"PREEMPTION_TIMER", "EPT_VIOLATION", "PAUSE_INSTRUCTION", "MSR_READ", "CPUID",
	"APIC_WRITE", "EXCEPTION_NMI", "PENDING_INTERRUPT", "CR_ACCESS", "VMCALL",
	"INVLPG", "unknown",
};

const char *pm_reason_color(const char *reason)
{
	uint32_t h = 2166136261u;

	for (size_t i = 0; i < sizeof(common_reasons) / sizeof(common_reasons[0]); i++)
		if (!strcasecmp(reason, common_reasons[i]))
			return pm_colors[i % PM_NR_COLORS];
	for (const char *p = reason; *p; p++)
		h = (h ^ (unsigned char)*p) * 16777619u;
	return pm_colors[h % PM_NR_COLORS];
}

void pm_gp_begin(FILE *f, const char *name, const char *title, unsigned int formats,
		 unsigned int width, unsigned int height)
{
	fprintf(f, "# %s.gp - %s\n", name, title);
	fprintf(f, "# Written by perfmap %s. Render again with: gnuplot %s.gp\n", PW_VERSION, name);
	fprintf(f, "# Its data is in %s.dat (tab-separated; the header says what each column is).\n",
		name);
	fprintf(f, "# Edit freely: the formats, size and font below, colours, titles, ranges.\n\n");
	fprintf(f, "formats = \"");
	for (int i = 0, sep = 0; i < PM_FMT__MAX; i++) {
		if (formats & (1u << i)) {
			fprintf(f, "%s%s", sep ? " " : "", pm_format_name(i));
			sep = 1;
		}
	}
	fprintf(f, "\"\t# any of: png svg pdf eps tex\n");
	fprintf(f, "width = %u\t# pixels; pdf, eps and tex use the same size at 96 dpi\n", width);
	fprintf(f, "height = %u\n", height);
	fprintf(f, "font = \"Sans,10\"\n\n");
	fprintf(f, "# L(s): text as the format needs it (LaTeX-escaped for tex); T(s): the same\n"
		   "# for explicit tic labels, which gnuplot reads as formats ('%%' doubled).\n");
	fprintf(f, "esc(s, c, r) = strstrt(s, c) ? s[1:strstrt(s, c) - 1] . r . esc(s[strstrt(s, c) + 1:], c, r) : s\n");
	fprintf(f, "L(s) = fmt ne \"tex\" ? s : esc(esc(esc(esc(esc(esc(esc(s, \"{\", \"\\\\{\"), "
		   "\"}\", \"\\\\}\"), \"_\", \"\\\\_\"), \"%%\", \"\\\\%%\"), \"#\", \"\\\\#\"), "
		   "\"&\", \"\\\\&\"), \"$\", \"\\\\$\")\n");
	fprintf(f, "T(s) = esc(L(s), \"%%\", \"%%%%\")\n");
	fprintf(f, "fmt = \"\"\n");
	fprintf(f, "# perfmap runs this with via_cat defined: png and svg then reach their file\n"
		   "# through cat, which stops at its first failed write, so that a full disk cuts\n"
		   "# them short (which perfmap sees) rather than leaving a hole in the middle.\n");
	fprintf(f, "out(name) = exists(\"via_cat\") && (fmt eq \"png\" || fmt eq \"svg\") ? "
		   "\"| exec cat > '\" . name . \"'\" : name\n\n");
	fprintf(f, "do for [fmt in formats] {\n");
	fprintf(f, "\tif (fmt eq \"png\") { set terminal pngcairo noenhanced size width, height font font }\n");
	fprintf(f, "\tif (fmt eq \"svg\") { set terminal svg noenhanced size width, height font font background \"white\" }\n");
	fprintf(f, "\tif (fmt eq \"pdf\") { set terminal pdfcairo noenhanced size width / 96.0, height / 96.0 font font }\n");
	fprintf(f, "\tif (fmt eq \"eps\") { set terminal epscairo noenhanced size width / 96.0, height / 96.0 font font }\n");
	fprintf(f, "\tif (fmt eq \"tex\") { set terminal cairolatex pdf size width / 96.0, height / 96.0 }\n");
	fprintf(f, "\tset output (fmt eq \"tex\") ? \"%s-tex.tex\" : out(\"%s.\" . fmt)\n", name, name);
	fprintf(f, "\treset\n");
	fprintf(f, "\tset datafile separator \"\\t\"\n");
	fprintf(f, "\tset encoding utf8\n\n");
}

void pm_gp_end(FILE *f)
{
	fprintf(f, "\tset output\n}\n");
}

/* ---- running gnuplot ---- */

/*
 * Each script runs in a directory of its own inside the output directory
 * (".NAME.render.XXXXXX"), finding NAME.gp and NAME.dat through gnuplot's
 * loadpath, so that what it writes has the names the script gives (a tex
 * file names its graphics file) but not yet in the output directory. When
 * gnuplot succeeds and every file is whole, they are renamed out of it.
 */

/* Whether the file @name in @dir ends as a complete file of its format
 * does. gnuplot exits 0 when it cannot write all of an image (a full disk
 * cuts it short without a word), so its exit status is not enough. The end
 * is enough when what is written is a prefix: cairo (pdf, eps) stops at its
 * first failed write, and png and svg, which gnuplot writes through stdio
 * that drops a buffer and goes on, reach their file through cat (via_cat in
 * the script), which stops too; else space freed meanwhile (another render
 * directory removed) would let the end through after a hole. Files of other
 * kinds pass. */
static bool whole(const char *dir, const char *name)
{
	static const struct {
		const char *ext, *end;
		size_t len;
	} ends[] = {
		{ ".png", "IEND\xae\x42\x60\x82", 8 },	/* the IEND chunk and its CRC */
		{ ".svg", "</svg>", 6 },
		{ ".pdf", "%%EOF", 5 },
		{ ".eps", "%%EOF", 5 },
		{ ".tex", "\\endgroup", 9 },		/* cairolatex's last line */
	};
	size_t nl = strlen(name), i, n;
	char path[4096], tail[64];
	struct stat st;
	ssize_t got;
	int fd;

	for (i = 0; i < sizeof(ends) / sizeof(ends[0]); i++)
		if (nl > 4 && !strcmp(name + nl - 4, ends[i].ext))
			break;
	if (i == sizeof(ends) / sizeof(ends[0]))
		return true;
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	if (fstat(fd, &st) || st.st_size < (off_t)ends[i].len) {
		close(fd);
		return false;
	}
	n = st.st_size < (off_t)sizeof(tail) ? (size_t)st.st_size : sizeof(tail);
	got = pread(fd, tail, n, st.st_size - (off_t)n);
	close(fd);
	if (got != (ssize_t)n)
		return false;
	while (n > ends[i].len && tail[n - 1] && strchr(" \t\r\n", tail[n - 1]))
		n--;
	return !memcmp(tail + n - ends[i].len, ends[i].end, ends[i].len);
}

/* Remove the render directory @tdir and what is in it. */
static void remove_render_dir(const char *tdir)
{
	char path[4096];
	struct dirent *e;
	DIR *d = opendir(tdir);

	if (d) {
		while ((e = readdir(d))) {
			if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
				continue;
			snprintf(path, sizeof(path), "%s/%s", tdir, e->d_name);
			unlink(path);
		}
		closedir(d);
	}
	rmdir(tdir);
}

/*
 * Move what gnuplot wrote in @tdir to @dir when every file is whole; else
 * set @job's status and message. The render directory is removed.
 */
static void move_out(const char *dir, const char *tdir, struct pm_gp_job *job)
{
	char from[4096], to[4096];
	struct statvfs sv;
	struct dirent *e;
	DIR *d = opendir(tdir);

	if (!d) {
		job->status = PW_EWRITE;
		pw_err("%s: cannot read what gnuplot wrote: %s", tdir, strerror(errno));
		remove_render_dir(tdir);
		return;
	}
	while ((e = readdir(d))) {
		bool full;

		if (e->d_name[0] == '.' || whole(tdir, e->d_name))
			continue;
		/* say when a full disk is the reason: it usually is */
		full = !statvfs(tdir, &sv) && !sv.f_bavail;
		job->status = PW_EWRITE;
		if (asprintf(&job->message, "%s was cut short: %s", e->d_name,
			     full ? strerror(ENOSPC) : "is the disk full?") < 0)
			job->message = NULL;
		pw_err("%s/%s: gnuplot could not write all of it (%s): not kept; the .gp and "
		       ".dat files are", dir, e->d_name,
		       full ? strerror(ENOSPC) : "is the disk full?");
		break;
	}
	/* Renaming while reading the directory may hide entries: pass again
	 * until none is left (the files are few: one per format). */
	for (bool moved = true; !job->status && moved; ) {
		moved = false;
		rewinddir(d);
		while (!job->status && (e = readdir(d))) {
			if (e->d_name[0] == '.')
				continue;
			snprintf(from, sizeof(from), "%s/%s", tdir, e->d_name);
			snprintf(to, sizeof(to), "%s/%s", dir, e->d_name);
			if (!rename(from, to)) {
				moved = true;
				continue;
			}
			job->status = PW_EWRITE;
			job->message = strdup(strerror(errno));
			pw_err("%s: cannot rename %s into place: %s", to, from, strerror(errno));
		}
	}
	closedir(d);
	remove_render_dir(tdir);
}

static pid_t start_one(const char *dir, const char *tdir, const char *gnuplot, const char *name)
{
	char script[4096], log[4096];
	pid_t pid;

	snprintf(script, sizeof(script), "%s.gp", name);
	snprintf(log, sizeof(log), "%s.log", name);
	pid = fork();
	if (pid)
		return pid;	/* parent, or -1 */
	/* Child: only async-signal-safe calls until exec. */
	if (chdir(dir) == 0) {
		int fd = open(log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
		char *const argv[] = { (char *)gnuplot, "-e", "set loadpath '..'; via_cat = 1",
					 script, NULL };
		int nul = open("/dev/null", O_RDONLY);

		if (fd >= 0) {
			dup2(fd, STDOUT_FILENO);
			dup2(fd, STDERR_FILENO);
		}
		if (nul >= 0)
			dup2(nul, STDIN_FILENO);
		if (chdir(tdir) == 0)
			execvp(gnuplot, argv);
		/* Tell the parent exec failed: the log says why. */
		if (fd >= 0) {
			static const char msg[] = "perfmap: cannot run gnuplot: ";
			const char *e = strerror(errno);

			if (write(STDERR_FILENO, msg, sizeof(msg) - 1) < 0 ||
			    write(STDERR_FILENO, e, strlen(e)) < 0 ||
			    write(STDERR_FILENO, "\n", 1) < 0)
				_exit(126);
		}
	}
	_exit(127);
}

/* The first lines of NAME.log, for the error message. */
static char *read_log(const char *dir, const char *name)
{
	char path[4096];
	FILE *f;
	char *buf;
	size_t n;

	snprintf(path, sizeof(path), "%s/%s.log", dir, name);
	f = fopen(path, "r");
	if (!f)
		return NULL;
	buf = calloc(1, 2048);
	if (buf) {
		n = fread(buf, 1, 2047, f);
		while (n && (buf[n - 1] == '\n' || buf[n - 1] == ' '))
			n--;
		buf[n] = 0;
		/* gnuplot starts its messages with an empty line */
		n = strspn(buf, "\n ");
		memmove(buf, buf + n, strlen(buf + n) + 1);
	}
	fclose(f);
	return buf;
}

static void finish_one(const char *dir, const char *tdir, struct pm_gp_job *job, int wstatus,
		       bool stopped)
{
	char path[4096];

	snprintf(path, sizeof(path), "%s/%s.log", dir, job->name);
	if (stopped) {
		job->status = PW_ESTOPPED;
		unlink(path);
		remove_render_dir(tdir);
		return;
	}
	if (WIFEXITED(wstatus) && WEXITSTATUS(wstatus) == 0) {
		job->status = 0;
		unlink(path);
		move_out(dir, tdir, job);
		return;
	}
	remove_render_dir(tdir);
	job->message = read_log(dir, job->name);
	if (WIFEXITED(wstatus) && WEXITSTATUS(wstatus) == 127) {
		job->status = PW_ENOENT;
		pw_err("%s/%s.gp: gnuplot could not be started: %s; install gnuplot "
		       "(Debian: gnuplot-nox) and run 'gnuplot %s.gp' in %s",
		       dir, job->name, job->message && *job->message ? job->message : "not found",
		       job->name, dir);
	} else {
		job->status = PW_EIO;
		pw_err("%s/%s.gp: gnuplot failed (%s %d): %s (its output is in %s; the .gp "
		       "and .dat files are kept)",
		       dir, job->name, WIFSIGNALED(wstatus) ? "signal" : "exit status",
		       WIFSIGNALED(wstatus) ? WTERMSIG(wstatus) : WEXITSTATUS(wstatus),
		       job->message && *job->message ? job->message : "no message", path);
	}
}

/* A render directory for @name in @dir: its path in @tdir. */
static int make_render_dir(const char *dir, const char *name, char *tdir, size_t size)
{
	if ((size_t)snprintf(tdir, size, "%s/.%s.render.XXXXXX", dir, name) >= size) {
		pw_err("%s/%s: file name too long", dir, name);
		return PW_EWRITE;
	}
	if (!mkdtemp(tdir)) {
		pw_err("%s/%s.gp: cannot create a directory for gnuplot in %s: %s", dir, name,
		       dir, strerror(errno));
		return PW_EWRITE;
	}
	return 0;
}

int pm_gp_run(const char *dir, const char *gnuplot, struct pm_gp_job *jobs, unsigned int n,
	      unsigned int parallel, const volatile int *stop)
{
	struct running {
		pid_t pid;
		unsigned int job;
		char tdir[4096];
	} *slots;
	unsigned int next = 0, running = 0;
	bool stopping = false;
	int ret = 0;

	if (!parallel)
		parallel = 1;
	if (parallel > n)
		parallel = n ? n : 1;
	slots = calloc(parallel, sizeof(*slots));
	if (!slots)
		return PW_ENOMEM;
	for (unsigned int i = 0; i < n; i++) {
		jobs[i].status = 0;
		jobs[i].message = NULL;
	}
	while (next < n || running) {
		int wstatus;
		pid_t pid;

		if (stop && *stop && !stopping) {
			stopping = true;
			for (unsigned int s = 0; s < parallel; s++)
				if (slots[s].pid > 0)
					kill(slots[s].pid, SIGTERM);
		}
		while (!stopping && running < parallel && next < n) {
			struct running *sl = slots;
			struct pm_gp_job *job = &jobs[next++];
			int err;

			while (sl->pid > 0)
				sl++;
			err = make_render_dir(dir, job->name, sl->tdir, sizeof(sl->tdir));
			if (!err) {
				/* the child changes to dir, then to the render directory */
				sl->pid = start_one(dir, strrchr(sl->tdir, '/') + 1, gnuplot,
						    job->name);
				if (sl->pid < 0) {
					err = -errno;
					pw_err("%s: cannot start gnuplot: %s", job->name,
					       strerror(errno));
					remove_render_dir(sl->tdir);
					sl->pid = 0;
				}
			}
			if (err) {
				job->status = err;
				if (!ret)
					ret = err;
				continue;
			}
			sl->job = (unsigned int)(job - jobs);
			running++;
		}
		if (!running)
			break;
		pid = waitpid(-1, &wstatus, 0);
		if (pid < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		for (unsigned int s = 0; s < parallel; s++) {
			struct pm_gp_job *job = &jobs[slots[s].job];

			if (slots[s].pid != pid)
				continue;
			slots[s].pid = 0;
			running--;
			finish_one(dir, slots[s].tdir, job, wstatus, stopping);
			if (job->status && !ret && !stopping)
				ret = job->status;
			break;
		}
	}
	free(slots);
	if (stopping) {
		for (unsigned int i = next; i < n; i++)
			jobs[i].status = PW_ESTOPPED;
		ret = PW_ESTOPPED;
	}
	return ret;
}
