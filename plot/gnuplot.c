// SPDX-License-Identifier: MIT
/* gnuplot.c - script preamble, palettes and the gnuplot process pool. */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
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
	fprintf(f, "fmt = \"\"\n\n");
	fprintf(f, "do for [fmt in formats] {\n");
	fprintf(f, "\tif (fmt eq \"png\") { set terminal pngcairo noenhanced size width, height font font }\n");
	fprintf(f, "\tif (fmt eq \"svg\") { set terminal svg noenhanced size width, height font font background \"white\" }\n");
	fprintf(f, "\tif (fmt eq \"pdf\") { set terminal pdfcairo noenhanced size width / 96.0, height / 96.0 font font }\n");
	fprintf(f, "\tif (fmt eq \"eps\") { set terminal epscairo noenhanced size width / 96.0, height / 96.0 font font }\n");
	fprintf(f, "\tif (fmt eq \"tex\") { set terminal cairolatex pdf size width / 96.0, height / 96.0 }\n");
	fprintf(f, "\tset output (fmt eq \"tex\") ? \"%s-tex.tex\" : \"%s.\" . fmt\n", name, name);
	fprintf(f, "\treset\n");
	fprintf(f, "\tset datafile separator \"\\t\"\n");
	fprintf(f, "\tset encoding utf8\n\n");
}

void pm_gp_end(FILE *f)
{
	fprintf(f, "\tset output\n}\n");
}

/* ---- running gnuplot ---- */

static pid_t start_one(const char *dir, const char *gnuplot, const char *name)
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
		char *const argv[] = { (char *)gnuplot, script, NULL };
		int nul = open("/dev/null", O_RDONLY);

		if (fd >= 0) {
			dup2(fd, STDOUT_FILENO);
			dup2(fd, STDERR_FILENO);
		}
		if (nul >= 0)
			dup2(nul, STDIN_FILENO);
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

static void finish_one(const char *dir, struct pm_gp_job *job, int wstatus)
{
	char path[4096];

	snprintf(path, sizeof(path), "%s/%s.log", dir, job->name);
	if (WIFEXITED(wstatus) && WEXITSTATUS(wstatus) == 0) {
		job->status = 0;
		unlink(path);
		return;
	}
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

int pm_gp_run(const char *dir, const char *gnuplot, struct pm_gp_job *jobs, unsigned int n,
	      unsigned int parallel)
{
	pid_t *pids;
	unsigned int next = 0, running = 0;
	int ret = 0;

	if (!parallel)
		parallel = 1;
	pids = calloc(n ? n : 1, sizeof(*pids));
	if (!pids)
		return PW_ENOMEM;
	while (next < n || running) {
		int wstatus;
		pid_t pid;

		while (running < parallel && next < n) {
			jobs[next].status = 0;
			jobs[next].message = NULL;
			pids[next] = start_one(dir, gnuplot, jobs[next].name);
			if (pids[next] < 0) {
				jobs[next].status = -errno;
				pw_err("%s: cannot start gnuplot: %s", jobs[next].name,
				       strerror(errno));
				if (!ret)
					ret = jobs[next].status;
				next++;
				continue;
			}
			running++;
			next++;
		}
		if (!running)
			break;
		pid = waitpid(-1, &wstatus, 0);
		if (pid < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		for (unsigned int i = 0; i < next; i++) {
			if (pids[i] == pid) {
				pids[i] = 0;
				running--;
				finish_one(dir, &jobs[i], wstatus);
				if (jobs[i].status && !ret)
					ret = jobs[i].status;
				break;
			}
		}
	}
	free(pids);
	return ret;
}
