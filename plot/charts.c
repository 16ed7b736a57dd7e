// SPDX-License-Identifier: MIT
/* charts.c - chart data files and gnuplot scripts from the aggregates. */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "charts.h"
#include "gnuplot.h"
#include "outfile.h"
#include "pw-log.h"

/* Series colours of runs (Okabe-Ito, colour-blind safe). */
static const char *const run_colors[] = {
	"#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#000000", "#F0E442",
};
#define NR_RUN_COLORS (sizeof(run_colors) / sizeof(run_colors[0]))
#define COLOR_VOLUNTARY "#0072B2"
#define COLOR_PREEMPTED "#D55E00"

int pm_charts_init(struct pm_charts *cs, const char *dir, unsigned int formats)
{
	memset(cs, 0, sizeof(*cs));
	cs->dir = strdup(dir);
	cs->formats = formats;
	return cs->dir ? 0 : PW_ENOMEM;
}

void pm_charts_release(struct pm_charts *cs)
{
	if (!cs)
		return;
	for (unsigned int i = 0; i < cs->n; i++) {
		free(cs->v[i].name);
		free(cs->v[i].title);
		free(cs->v[i].section);
		free(cs->v[i].html);
		free(cs->v[i].message);
	}
	free(cs->v);
	for (unsigned int i = 0; i < cs->nr_notes; i++)
		free(cs->notes[i]);
	free(cs->notes);
	pm_names_release(&cs->used);
	free(cs->dir);
	memset(cs, 0, sizeof(*cs));
}

void pm_safe_name(const char *s, char *buf, size_t size)
{
	size_t n = 0;

	for (; *s && n + 1 < size; s++) {
		char c = *s;

		buf[n++] = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			   (c >= '0' && c <= '9') || c == '.' || c == '-' || c == '_' ? c : '_';
	}
	if (n && buf[0] == '.')
		buf[0] = '_';
	buf[n] = 0;
}

/* A chart name not used yet: @base, or @base-2, -3 ... */
static int unique_name(struct pm_charts *cs, const char *base, char *buf, size_t size)
{
	snprintf(buf, size, "%s", base);
	for (unsigned int k = 2; pm_names_find(&cs->used, buf) != PM_NO_NAME; k++)
		snprintf(buf, size, "%s-%u", base, k);
	return pm_names_add(&cs->used, buf) == PM_NO_NAME ? PW_ENOMEM : 0;
}

static char *xstrdup(const char *s)
{
	return s ? strdup(s) : NULL;
}

static int add_chart(struct pm_charts *cs, const char *name, const char *title,
		     const char *section, char *html)
{
	struct pm_chart *c;

	if (cs->n == cs->cap) {
		unsigned int cap = cs->cap ? cs->cap * 2 : 16;
		struct pm_chart *v = realloc(cs->v, cap * sizeof(*v));

		if (!v)
			goto nomem;
		cs->v = v;
		cs->cap = cap;
	}
	c = &cs->v[cs->n];
	memset(c, 0, sizeof(*c));
	c->name = strdup(name);
	c->title = strdup(title);
	c->section = xstrdup(section);
	c->html = html;
	if (!c->name || !c->title || (section && !c->section)) {
		free(c->name);
		free(c->title);
		free(c->section);
		goto nomem;
	}
	cs->n++;
	return 0;
nomem:
	free(html);
	return PW_ENOMEM;
}

static int add_note(struct pm_charts *cs, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static int add_note(struct pm_charts *cs, const char *fmt, ...)
{
	char **v = realloc(cs->notes, (cs->nr_notes + 1) * sizeof(*v));
	va_list ap;
	int r;

	if (!v)
		return PW_ENOMEM;
	cs->notes = v;
	va_start(ap, fmt);
	r = vasprintf(&cs->notes[cs->nr_notes], fmt, ap);
	va_end(ap);
	if (r < 0)
		return PW_ENOMEM;
	pw_info("%s", cs->notes[cs->nr_notes]);
	cs->nr_notes++;
	return 0;
}

/* ---- files ---- */

struct out {
	FILE *dat, *gp;		/* the two files being written */
	struct pm_outfile fdat, fgp;
};

/* NAME.dat and NAME.gp, each under a temporary name until out_close(). */
static int out_open(struct pm_charts *cs, const char *name, struct out *o)
{
	char path[4096];
	int err;

	o->dat = o->gp = NULL;
	o->fdat.f = o->fgp.f = NULL;
	o->fdat.tmp[0] = o->fgp.tmp[0] = 0;
	snprintf(path, sizeof(path), "%s/%s.dat", cs->dir, name);
	err = pm_outfile_open(&o->fdat, path);
	if (err)
		return err;
	snprintf(path, sizeof(path), "%s/%s.gp", cs->dir, name);
	err = pm_outfile_open(&o->fgp, path);
	if (err) {
		pm_outfile_abort(&o->fdat);
		return err;
	}
	o->dat = o->fdat.f;
	o->gp = o->fgp.f;
	return 0;
}

/* Both files under their names, or neither. */
static int out_close(struct pm_charts *cs, struct out *o)
{
	int err = pm_outfile_commit(&o->fdat, cs->stop);

	if (err) {
		pm_outfile_abort(&o->fgp);
	} else {
		err = pm_outfile_commit(&o->fgp, cs->stop);
		if (err)
			unlink(o->fdat.path);	/* committed: under its name */
	}
	o->dat = o->gp = NULL;
	return err;
}

/* After an error: remove what was written. */
static void out_abort(struct out *o)
{
	pm_outfile_abort(&o->fdat);
	pm_outfile_abort(&o->fgp);
	o->dat = o->gp = NULL;
}

/* ---- shared bits ---- */

static uint64_t scaled(const struct pm_agg *a, uint64_t count)
{
	return a->run->scale == 1.0 ? count : (uint64_t)llround((double)count * a->run->scale);
}

static double pct(uint64_t part, uint64_t whole)
{
	return whole ? (double)part * 100.0 / (double)whole : 0.0;
}

static void dat_header(FILE *f, const char *name, const char *title, struct pm_agg **aggs,
		       unsigned int nruns)
{
	fprintf(f, "# %s.dat - %s\n", name, title);
	for (unsigned int r = 0; r < nruns; r++) {
		const struct pm_run *run = aggs[r]->run;

		fprintf(f, "# run %s: %s, window %.6f ms + %.6f ms after its first event%s",
			run->name, run->path, (run->ws - run->t0) / 1e6,
			(run->we - run->ws) / 1e6, run->scale != 1.0 ? ", counts scaled by " : "");
		if (run->scale != 1.0)
			fprintf(f, "%.6f", run->scale);
		fputc('\n', f);
	}
}

static int cmp_task_name(const void *x, const void *y)
{
	return strverscmp(*(const char *const *)x, *(const char *const *)y);
}

/* The task names of all runs, in natural order (an array of pointers into the runs). */
static const char **union_tasks(struct pm_agg **aggs, unsigned int nruns, uint32_t *n)
{
	struct pm_names seen = { 0 };
	const char **v;
	uint32_t total = 0, k = 0;

	for (unsigned int r = 0; r < nruns; r++)
		total += aggs[r]->nr_tasks;
	v = calloc(total + 1, sizeof(*v));
	if (!v)
		return NULL;
	for (unsigned int r = 0; r < nruns; r++) {
		for (uint32_t t = 0; t < aggs[r]->nr_tasks; t++) {
			const char *name = pm_agg_task_name(aggs[r], t);
			uint32_t before = seen.count;

			if (pm_names_add(&seen, name) == PM_NO_NAME) {
				free(v);
				pm_names_release(&seen);
				return NULL;
			}
			if (seen.count > before)
				v[k++] = name;
		}
	}
	pm_names_release(&seen);
	qsort(v, k, sizeof(*v), cmp_task_name);
	*n = k;
	return v;
}

static size_t max_len(const char **v, uint32_t n)
{
	size_t m = 0;

	for (uint32_t i = 0; i < n; i++)
		if (strlen(v[i]) > m)
			m = strlen(v[i]);
	return m;
}

static unsigned int clampu(double v, unsigned int lo, unsigned int hi)
{
	return v < lo ? lo : v > hi ? hi : (unsigned int)v;
}

static void html_escape(FILE *f, const char *s)
{
	for (; *s; s++) {
		switch (*s) {
		case '<': fputs("&lt;", f); break;
		case '>': fputs("&gt;", f); break;
		case '&': fputs("&amp;", f); break;
		case '"': fputs("&quot;", f); break;
		default: fputc(*s, f);
		}
	}
}

/* x tics: rotated when the labels would not fit side by side. */
static void gp_xtics_for(FILE *gp, size_t label_chars, double px_per_label)
{
	if (label_chars * 7.0 + 6 > px_per_label)
		fprintf(gp, "\tset xtics rotate by 90 right nomirror\n");
	else
		fprintf(gp, "\tset xtics nomirror\n");
}

/* Count axes: whole-number tics while the counts are small. */
static void gp_count_tics(FILE *gp, const char *axis, uint64_t max)
{
	if (max < 10)
		fprintf(gp, "\tset %stics 1\n\tset %srange [0:%" PRIu64 "]\n", axis, axis,
			max < 1 ? 1 : max);
	else
		fprintf(gp, "\tset %stics autofreq\n\tset %srange [0:*]\n", axis, axis);
}

/* ---- 1. CPU usage vs context switches ---- */

static int chart_cpu_usage(struct pm_charts *cs, const char *prefix, const char *section,
			   struct pm_agg **aggs, unsigned int nruns)
{
	const char *title = "CPU usage and context switches per task";
	char name[512], base[512], q[1024];
	uint32_t nt = 0;
	const char **tasks = union_tasks(aggs, nruns, &nt);
	uint64_t max_sw = 0;
	struct out o;
	size_t ml;
	unsigned int width, height, bars;
	double slot;
	int err;

	if (!tasks)
		return PW_ENOMEM;
	snprintf(base, sizeof(base), "%scpu-usage", prefix);
	err = unique_name(cs, base, name, sizeof(name));
	if (!err)
		err = out_open(cs, name, &o);
	if (err) {
		free(tasks);
		return err;
	}
	dat_header(o.dat, name, title, aggs, nruns);
	fprintf(o.dat, "# cpu_pct: run time as %% of the window (100 = one core busy); "
		       "voluntary / preempted: switches out (preempted = state R)\n");
	fprintf(o.dat, "# task");
	for (unsigned int r = 0; r < nruns; r++)
		fprintf(o.dat, "\t%s cpu_pct\t%s run_ns\t%s voluntary\t%s preempted",
			aggs[r]->run->name, aggs[r]->run->name, aggs[r]->run->name,
			aggs[r]->run->name);
	fputc('\n', o.dat);
	for (uint32_t i = 0; i < nt; i++) {
		fprintf(o.dat, "%s", tasks[i]);
		for (unsigned int r = 0; r < nruns; r++) {
			const struct pm_agg *a = aggs[r];
			uint32_t t = pm_agg_find_task(a, tasks[i]);
			struct pm_task_agg z = { 0 };
			const struct pm_task_agg *ta = t == PM_NO_TASK ? &z : &a->task[t];

			fprintf(o.dat, "\t%.3f\t%" PRIu64 "\t%" PRIu64 "\t%" PRIu64,
				pct(ta->run_ns, a->window_ns), ta->run_ns,
				scaled(a, ta->sw_voluntary), scaled(a, ta->sw_preempted));
			if (scaled(a, ta->sw_voluntary) > max_sw)
				max_sw = scaled(a, ta->sw_voluntary);
			if (scaled(a, ta->sw_preempted) > max_sw)
				max_sw = scaled(a, ta->sw_preempted);
		}
		fputc('\n', o.dat);
	}

	ml = max_len(tasks, nt);
	bars = 2 * nruns;
	slot = bars * 9.0 + 12;
	width = clampu(160 + nt * slot, 640, 20000);
	if (nruns > 1 && width < 900)
		width = 900;
	height = 620 + (ml * 7.0 + 6 > slot ? clampu(ml * 6.5, 0, 400) : 0);
	pm_gp_begin(o.gp, name, title, cs->formats, width, height);
	fprintf(o.gp, "\tset style data histograms\n"
		      "\tset style histogram clustered gap 1\n"
		      "\tset style fill solid 0.85 border rgb \"#333333\"\n"
		      "\tset grid ytics lc rgb \"#dddddd\"\n"
		      "\tset yrange [0:*]\n"
		      "\tset key outside top center horizontal\n");
	gp_xtics_for(o.gp, ml, slot);
	fprintf(o.gp, "\tset multiplot layout 2,1 title %s\n",
		pm_gp_text(title, q, sizeof(q)));
	fprintf(o.gp, "\tset ylabel L(\"CPU usage (%% of one core)\")\n");
	fprintf(o.gp, "\tplot ");
	for (unsigned int r = 0; r < nruns; r++)
		fprintf(o.gp, "%s\"%s.dat\" using %u%s title %s lc rgb \"%s\"", r ? ", \\\n\t     " : "",
			name, 2 + 4 * r, r ? "" : ":xtic(L(strcol(1)))",
			nruns > 1 ? pm_gp_text(aggs[r]->run->name, q, sizeof(q)) : "\"\"",
			run_colors[r % NR_RUN_COLORS]);
	fprintf(o.gp, "\n\tset ylabel \"context switches\"\n");
	gp_count_tics(o.gp, "y", max_sw);
	fprintf(o.gp, "\tplot ");
	for (unsigned int r = 0; r < nruns; r++) {
		const char *rn = nruns > 1 ? aggs[r]->run->name : NULL;

		fprintf(o.gp, "%s\"%s.dat\" using %u%s title L(\"%s%svoluntary\") lc rgb \"%s\", \\\n"
			      "\t     \"%s.dat\" using %u title L(\"%s%spreempted\") lc rgb \"%s\" fs pattern 4",
			r ? ", \\\n\t     " : "", name, 4 + 4 * r, r ? "" : ":xtic(L(strcol(1)))",
			rn ? rn : "", rn ? " " : "",
			nruns > 1 ? run_colors[r % NR_RUN_COLORS] : COLOR_VOLUNTARY,
			name, 5 + 4 * r, rn ? rn : "", rn ? " " : "",
			nruns > 1 ? run_colors[r % NR_RUN_COLORS] : COLOR_PREEMPTED);
	}
	fprintf(o.gp, "\n\tunset multiplot\n");
	pm_gp_end(o.gp);
	free(tasks);
	err = out_close(cs, &o);
	return err ? err : add_chart(cs, name, title, section, NULL);
}

/* ---- 2. KVM exit reasons ---- */

static int cmp_str(const void *x, const void *y)
{
	return strcmp(*(const char *const *)x, *(const char *const *)y);
}

static uint64_t exits_of(const struct pm_agg *a, uint32_t t, const char *reason)
{
	for (uint32_t k = 0; k < a->nr_reasons; k++)
		if (!strcmp(a->reasons[k], reason))
			return scaled(a, a->exits[(size_t)t * a->nr_reasons + k]);
	return 0;
}

static int chart_kvm_exits(struct pm_charts *cs, const char *prefix, const char *section,
			   struct pm_agg **aggs, unsigned int nruns)
{
	const char *title = "KVM exits per task, by exit reason";
	char name[512], base[512], q[1024], label[1024];
	uint32_t nt = 0, nr = 0, rows = 0;
	uint64_t max_total = 0;
	const char **tasks = NULL, **reasons = NULL;
	struct pm_names seen = { 0 };
	struct out o = { 0 };
	char *html = NULL;
	size_t html_len = 0, ml = 0;
	FILE *h = NULL;
	unsigned int width, height;
	double slot;
	int err = PW_ENOMEM;

	for (unsigned int r = 0; r < nruns; r++)
		for (uint32_t k = 0; k < aggs[r]->nr_reasons; k++)
			if (pm_names_add(&seen, aggs[r]->reasons[k]) == PM_NO_NAME)
				goto out;
	if (!seen.count) {
		pm_names_release(&seen);
		return add_note(cs, "%s%sno KVM exits for the selected tasks in the window: "
				"no KVM exit chart", section ? section : "", section ? ": " : "");
	}
	nr = seen.count;
	reasons = calloc(nr, sizeof(*reasons));
	tasks = union_tasks(aggs, nruns, &nt);
	if (!reasons || !tasks)
		goto out;
	for (uint32_t k = 0; k < nr; k++)
		reasons[k] = seen.strs[k];
	qsort(reasons, nr, sizeof(*reasons), cmp_str);

	snprintf(base, sizeof(base), "%skvm-exits", prefix);
	err = unique_name(cs, base, name, sizeof(name));
	if (!err)
		err = out_open(cs, name, &o);
	if (err)
		goto out;
	err = PW_ENOMEM;
	h = open_memstream(&html, &html_len);
	if (!h)
		goto out;
	dat_header(o.dat, name, title, aggs, nruns);
	fprintf(o.dat, "# one row per task%s with KVM exits; one column per exit reason, then the total\n",
		nruns > 1 ? " and run" : "");
	fprintf(h, "<table class=\"counts\">\n<tr><th>task</th>%s", nruns > 1 ? "<th>run</th>" : "");
	fprintf(o.dat, "task");
	for (uint32_t k = 0; k < nr; k++) {
		fprintf(o.dat, "\t%s", reasons[k]);
		fprintf(h, "<th>");
		html_escape(h, reasons[k]);
		fprintf(h, "</th>");
	}
	fprintf(o.dat, "\ttotal\n");
	fprintf(h, "<th>total</th></tr>\n");
	for (uint32_t i = 0; i < nt; i++) {
		for (unsigned int r = 0; r < nruns; r++) {
			const struct pm_agg *a = aggs[r];
			uint32_t t = pm_agg_find_task(a, tasks[i]);
			uint64_t total = 0;

			if (t == PM_NO_TASK || !a->task[t].exits)
				continue;
			if (nruns > 1)
				snprintf(label, sizeof(label), "%s (%s)", tasks[i], a->run->name);
			else
				snprintf(label, sizeof(label), "%s", tasks[i]);
			if (strlen(label) > ml)
				ml = strlen(label);
			rows++;
			fprintf(o.dat, "%s", label);
			fprintf(h, "<tr><td>");
			html_escape(h, tasks[i]);
			if (nruns > 1) {
				fprintf(h, "</td><td>");
				html_escape(h, a->run->name);
			}
			fprintf(h, "</td>");
			for (uint32_t k = 0; k < nr; k++) {
				uint64_t v = exits_of(a, t, reasons[k]);

				total += v;
				fprintf(o.dat, "\t%" PRIu64, v);
				fprintf(h, "<td>%" PRIu64 "</td>", v);
			}
			fprintf(o.dat, "\t%" PRIu64 "\n", total);
			fprintf(h, "<td>%" PRIu64 "</td></tr>\n", total);
			if (total > max_total)
				max_total = total;
		}
	}
	fprintf(h, "</table>\n");
	{
		int bad = fclose(h);

		h = NULL;
		if (bad)
			goto out;
	}

	slot = 26;
	width = clampu(200 + rows * slot + 24 * 9, 640, 20000);
	height = 560 + (ml * 7.0 + 6 > slot ? clampu(ml * 6.5, 0, 400) : 0);
	if (height < 160 + nr * 18)
		height = 160 + nr * 18;
	pm_gp_begin(o.gp, name, title, cs->formats, width, height);
	fprintf(o.gp, "\t# one colour per exit reason, the same in every chart and run\n"
		      "\tcolors = \"");
	for (uint32_t k = 0; k < nr; k++)
		fprintf(o.gp, "%s%s", k ? " " : "", pm_reason_color(reasons[k]));
	fprintf(o.gp, "\"\n");
	fprintf(o.gp, "\tset title %s\n", pm_gp_text(title, q, sizeof(q)));
	fprintf(o.gp, "\tset style data histograms\n"
		      "\tset style histogram rowstacked\n"
		      "\tset style fill solid 0.9 border rgb \"#333333\"\n"
		      "\tset boxwidth 0.75\n"
		      "\tset grid ytics lc rgb \"#dddddd\"\n"
		      "\tset ylabel \"KVM exits\"\n"
		      "\tset key outside right top vertical reverse Left\n");
	gp_xtics_for(o.gp, ml, slot);
	gp_count_tics(o.gp, "y", max_total);
	fprintf(o.gp, "\tplot for [i=2:%u] \"%s.dat\" using i:xtic(L(strcol(1))) title L(columnhead(i)) "
		      "lc rgb word(colors, i - 1)\n", nr + 1, name);
	pm_gp_end(o.gp);
	err = out_close(cs, &o);
	if (!err) {
		err = add_chart(cs, name, title, section, html);
		html = NULL;
	}
out:
	if (h)
		fclose(h);
	if (o.dat || o.gp)
		out_abort(&o);
	free(html);
	free(reasons);
	free(tasks);
	pm_names_release(&seen);
	return err;
}

/* ---- 3. coremap ---- */

static unsigned int digits(uint64_t v)
{
	unsigned int d = 1;

	while (v >= 10) {
		v /= 10;
		d++;
	}
	return d;
}

static int chart_coremap(struct pm_charts *cs, const char *prefix, const char *section,
			 const struct pm_agg *a, bool suffix)
{
	const char *title = "Coremap: run time share and switches per task and core";
	char name[512], base[512], q[1024], full_title[1024];
	uint32_t nt = a->nr_tasks, nc = a->nr_cpus;
	uint64_t *core_all = calloc(nc + 1, sizeof(uint64_t));
	uint64_t *core_sw = calloc(nc + 1, sizeof(uint64_t));
	uint64_t total_run = 0, total_sw = 0, max_sw = 0;
	const char **names = calloc(nt + 1, sizeof(*names));
	unsigned int cw, ch, width, height, left, tick_font;
	bool labels;
	struct out o;
	size_t ml;
	int err = PW_ENOMEM;

	if (!core_all || !core_sw || !names)
		goto out;
	if (suffix)
		snprintf(base, sizeof(base), "%scoremap-%s", prefix, a->run->name);
	else
		snprintf(base, sizeof(base), "%scoremap", prefix);
	pm_safe_name(base, full_title, sizeof(full_title));
	err = unique_name(cs, full_title, name, sizeof(name));
	if (!err)
		err = out_open(cs, name, &o);
	if (err)
		goto out;
	if (suffix)
		snprintf(full_title, sizeof(full_title), "%s (%s)", title, a->run->name);
	else
		snprintf(full_title, sizeof(full_title), "%s", title);

	for (uint32_t t = 0; t < nt; t++) {
		names[t] = pm_agg_task_name(a, t);
		for (uint32_t c = 0; c < nc; c++) {
			uint64_t sw = scaled(a, a->core_switches[(size_t)t * nc + c]);

			core_all[c] += a->core_run_ns[(size_t)t * nc + c];
			core_sw[c] += sw;
			if (sw > max_sw)
				max_sw = sw;
		}
		total_run += a->task[t].run_ns;
	}
	for (uint32_t c = 0; c < nc; c++)
		total_sw += core_sw[c];
	if (total_sw > max_sw)
		max_sw = total_sw;

	{
		struct pm_agg *one[1] = { (struct pm_agg *)a };

		dat_header(o.dat, name, full_title, one, 1);
	}
	fprintf(o.dat, "# share_pct: run time as %% of the window on that core; in the \"all\" column "
		       "as %% of the window times %u cores\n", nc);
	fprintf(o.dat, "# switches: switches out on that core; x, y: cell position in the chart\n");
	fprintf(o.dat, "# x\ty\ttask\tcpu\tshare_pct\trun_ns\tswitches\n");
	for (uint32_t t = 0; t <= nt; t++) {
		bool all_tasks = t == nt;
		uint32_t y = all_tasks ? 0 : nt - t;
		uint64_t row_sw = 0;

		for (uint32_t c = 0; c < nc; c++) {
			uint64_t run = all_tasks ? core_all[c] : a->core_run_ns[(size_t)t * nc + c];
			uint64_t sw = all_tasks ? core_sw[c] :
				      scaled(a, a->core_switches[(size_t)t * nc + c]);

			row_sw += sw;
			fprintf(o.dat, "%u\t%u\t%s\t%u\t%.3f\t%" PRIu64 "\t%" PRIu64 "\n", c, y,
				all_tasks ? "all tasks" : names[t], c, pct(run, a->window_ns), run, sw);
		}
		{
			uint64_t run = all_tasks ? total_run : a->task[t].run_ns;

			fprintf(o.dat, "%u\t%u\t%s\tall\t%.3f\t%" PRIu64 "\t%" PRIu64 "\n", nc, y,
				all_tasks ? "all tasks" : names[t],
				pct(run, a->window_ns * (uint64_t)nc), run, row_sw);
		}
	}

	/* Cells big enough for their numbers, the picture within reason. */
	ml = max_len(names, nt);
	if (ml < 9)
		ml = 9;
	cw = clampu(1500.0 / (nc + 1), 12, 64);
	ch = clampu(1000.0 / (nt + 1), 12, 28);
	labels = cw >= digits(max_sw) * 6 + 6 && ch >= 14;
	tick_font = ch < 16 || cw < 18 ? 8 : 10;
	left = clampu(ml * (tick_font == 8 ? 5.5 : 7.0) + 30, 80, 700);
	width = left + cw * (nc + 1) + 200;
	height = ch * (nt + 1) + 150 + (cw < 26 ? 20 : 0);
	if (width < strlen(full_title) * 7 + 120)
		width = strlen(full_title) * 7 + 120;
	if (height < 320)
		height = 320;
	pm_gp_begin(o.gp, name, full_title, cs->formats, width, height);
	fprintf(o.gp, "\tset title %s\n", pm_gp_text(full_title, q, sizeof(q)));
	fprintf(o.gp, "\t%s\n", PM_GP_SEQ_PALETTE);
	fprintf(o.gp, "\tset cbrange [0:100]\n"
		      "\tset cblabel L(\"run time (%% of the window)\")\n"
		      "\tset xlabel \"core\"\n"
		      "\tset lmargin at screen %.4f\n"
		      "\tset rmargin at screen %.4f\n"
		      "\tset tics scale 0 font \",%u\"\n"
		      "\tset xrange [-0.5:%u.5]\n"
		      "\tset yrange [-0.5:%u.5]\n",
		(double)left / width, (double)(left + cw * (nc + 1)) / width, tick_font, nc, nt);
	fprintf(o.gp, "\tset xtics %s(", cw < 26 ? "rotate by 90 right " : "");
	for (uint32_t c = 0; c < nc; c++)
		fprintf(o.gp, "\"%u\" %u, ", c, c);
	fprintf(o.gp, "\"all\" %u)\n", nc);
	fprintf(o.gp, "\tset ytics (");
	for (uint32_t t = 0; t < nt; t++)
		fprintf(o.gp, "%s %u, ", pm_gp_tic(names[t], q, sizeof(q)), nt - t);
	fprintf(o.gp, "T(\"all tasks\") 0)\n");
	fprintf(o.gp, "\t# white lines set the \"all\" row and column apart\n"
		      "\tset arrow from %u.5, graph 0 to %u.5, graph 1 nohead front lc rgb \"white\" lw 3\n"
		      "\tset arrow from graph 0, first 0.5 to graph 1, first 0.5 nohead front lc rgb \"white\" lw 3\n",
		nc - 1, nc - 1);
	fprintf(o.gp, "\tplot \"%s.dat\" using 1:2:5 with image notitle", name);
	if (labels)
		fprintf(o.gp, ", \\\n\t     \"\" using 1:2:(sprintf(\"%%d\", $7)):($5 > 60 ? 0x202020 : 0xffffff) "
			      "with labels tc rgb variable font \",8\" notitle\n");
	else
		fprintf(o.gp, "\n\t# cells too small for the switch counts: they are in %s.dat\n", name);
	pm_gp_end(o.gp);
	err = out_close(cs, &o);
	if (!err)
		err = add_chart(cs, name, full_title, section, NULL);
out:
	free(core_all);
	free(core_sw);
	free(names);
	return err;
}

int pm_charts_basic(struct pm_charts *cs, const char *prefix, const char *section,
		    struct pm_agg **aggs, unsigned int nruns)
{
	int err = chart_cpu_usage(cs, prefix, section, aggs, nruns);

	if (!err)
		err = chart_kvm_exits(cs, prefix, section, aggs, nruns);
	for (unsigned int r = 0; !err && r < nruns; r++)
		err = chart_coremap(cs, prefix, section, aggs[r], nruns > 1);
	return err;
}

/* ---- 4-6. heatmaps ---- */

static void gp_duration_axis(FILE *gp)
{
	static const char *const decades[] = { "1 µs", "10 µs", "100 µs", "1 ms", "10 ms",
					       "100 ms", "1 s", "10 s", "100 s" };

	fprintf(gp, "\t# y: duration bins, %d per decade (log scale); bin k starts at "
		    "1000 * 10^(k/%d) ns\n", PM_DBINS_PER_DECADE, PM_DBINS_PER_DECADE);
	fprintf(gp, "\tset yrange [-0.5:%d.5]\n\tset ytics (", PM_DBINS - 1);
	for (int k = 0; k * PM_DBINS_PER_DECADE < PM_DBINS; k++)
		fprintf(gp, "%sT(\"%s\") %.1f", k ? ", " : "", decades[k], k * PM_DBINS_PER_DECADE - 0.5);
	fprintf(gp, ")\n\tset ylabel \"duration (log scale)\"\n");
}

/* The largest cell of a series (0: no event). */
static uint32_t kind_max(const struct pm_agg *a, uint32_t t, int kind)
{
	const uint32_t *h = pm_agg_heat(a, t, kind);
	uint32_t m = 0;

	for (size_t i = 0; i < (size_t)a->tbins * PM_DBINS; i++)
		if (h[i] > m)
			m = h[i];
	return m;
}

/* Event-count colour scale: linear while small, else logarithmic. */
static void gp_count_cb(FILE *gp, uint32_t max)
{
	if (max < 20)
		fprintf(gp, "\tset cbrange [0:%u]\n\tset cbtics 1\n", max < 2 ? 2 : max);
	else
		fprintf(gp, "\tset logscale cb\n\tset cbrange [1:%u]\n", max);
	fprintf(gp, "\tset cblabel \"events per cell\"\n");
}

static int chart_heat(struct pm_charts *cs, const char *prefix, const char *section,
		      const struct pm_agg *a, uint32_t t, bool suffix, const char *kind_name,
		      const char *what, const int *kinds, unsigned int nk)
{
	const char *task = pm_agg_task_name(a, t);
	char name[512], base[1024], safe[512], q[1024], title[1024];
	double wms = a->window_ns / 1e6;
	int present[PM_HEAT__MAX];
	unsigned int np = 0;
	uint32_t max = 0;
	struct out o;
	int err;

	for (unsigned int k = 0; k < nk; k++) {
		uint32_t m = kind_max(a, t, kinds[k]);

		if (m)
			present[np++] = kinds[k];
		if (m > max)
			max = m;
	}
	if (!np)
		return 0;
	if (suffix)
		snprintf(base, sizeof(base), "%s%s-%s-%s", prefix, kind_name, task, a->run->name);
	else
		snprintf(base, sizeof(base), "%s%s-%s", prefix, kind_name, task);
	pm_safe_name(base, safe, sizeof(safe));
	err = unique_name(cs, safe, name, sizeof(name));
	if (!err)
		err = out_open(cs, name, &o);
	if (err)
		return err;
	snprintf(title, sizeof(title), "%s of %s%s%s%s", what, task, suffix ? " (" : "",
		 suffix ? a->run->name : "", suffix ? ")" : "");
	{
		struct pm_agg *one[1] = { (struct pm_agg *)a };

		dat_header(o.dat, name, title, one, 1);
	}
	fprintf(o.dat, "# %u time bins x %d duration bins per block; one block per series "
		       "(gnuplot index), cells with no event included\n", a->tbins, PM_DBINS);
	fprintf(o.dat, "# time_ms: bin centre (ms after the window start); tbin_start_ns: first ns "
		       "of the bin after the window start; dbin_low_ns: shortest duration in the bin "
		       "(bin 0 also holds shorter ones)\n");
	for (unsigned int k = 0; k < np; k++) {
		const uint32_t *h = pm_agg_heat(a, t, present[k]);

		fprintf(o.dat, "%s# index %u: %s\n# time_ms\tdbin\ttbin\ttbin_start_ns\tdbin_low_ns\tcount\n",
			k ? "\n\n" : "", k, pm_heat_kind_title(present[k]));
		for (uint32_t tb = 0; tb < a->tbins; tb++) {
			for (unsigned int db = 0; db < PM_DBINS; db++)
				fprintf(o.dat, "%.6f\t%u\t%u\t%" PRIu64 "\t%" PRIu64 "\t%u\n",
					(tb + 0.5) * wms / a->tbins, db, tb,
					pm_tbin_start(a->window_ns, a->tbins, tb),
					db ? pm_dbin_edge(db) : 0, h[(size_t)tb * PM_DBINS + db]);
			fputc('\n', o.dat);
		}
	}
	pm_gp_begin(o.gp, name, title, cs->formats, 1100, np > 2 ? 900 : np == 2 ? 800 : 500);
	fprintf(o.gp, "\t%s\n", PM_GP_SEQ_PALETTE);
	gp_count_cb(o.gp, max);
	fprintf(o.gp, "\tset xlabel \"time (ms after the window start)\"\n"
		      "\tset xrange [0:%.6f]\n", wms);
	gp_duration_axis(o.gp);
	fprintf(o.gp, "\tset multiplot layout %u,%u title %s\n", np > 2 ? 2 : np, np > 2 ? 2 : 1,
		pm_gp_text(title, q, sizeof(q)));
	for (unsigned int k = 0; k < np; k++) {
		fprintf(o.gp, "\tset title %s\n", pm_gp_text(pm_heat_kind_title(present[k]), q, sizeof(q)));
		fprintf(o.gp, "\tplot \"%s.dat\" index %u using 1:2:($6 > 0 ? $6 : NaN) with image notitle\n",
			name, k);
	}
	fprintf(o.gp, "\tunset multiplot\n");
	pm_gp_end(o.gp);
	err = out_close(cs, &o);
	return err ? err : add_chart(cs, name, title, section, NULL);
}

static int chart_tcoremap(struct pm_charts *cs, const char *prefix, const char *section,
			  const struct pm_agg *a, uint32_t t, bool suffix)
{
	const char *task = pm_agg_task_name(a, t);
	char name[512], base[1024], safe[512], q[1024], title[1024];
	double wms = a->window_ns / 1e6;
	uint32_t nc = a->nr_cpus;
	unsigned int step;
	struct out o;
	int err;

	if (!a->task[t].run_ns)
		return 0;
	if (suffix)
		snprintf(base, sizeof(base), "%stcoremap-%s-%s", prefix, task, a->run->name);
	else
		snprintf(base, sizeof(base), "%stcoremap-%s", prefix, task);
	pm_safe_name(base, safe, sizeof(safe));
	err = unique_name(cs, safe, name, sizeof(name));
	if (!err)
		err = out_open(cs, name, &o);
	if (err)
		return err;
	snprintf(title, sizeof(title), "Cores %s ran on over time%s%s%s", task,
		 suffix ? " (" : "", suffix ? a->run->name : "", suffix ? ")" : "");
	{
		struct pm_agg *one[1] = { (struct pm_agg *)a };

		dat_header(o.dat, name, title, one, 1);
	}
	fprintf(o.dat, "# share_pct: run time on the core as %% of the time bin\n"
		       "# time_ms\tcpu\ttbin\ttbin_start_ns\tshare_pct\trun_ns\n");
	for (uint32_t tb = 0; tb < a->tbins; tb++) {
		uint64_t bl = pm_tbin_start(a->window_ns, a->tbins, tb + 1) -
			      pm_tbin_start(a->window_ns, a->tbins, tb);

		for (uint32_t c = 0; c < nc; c++) {
			uint64_t ns = a->tcore_ns[((size_t)t * a->tbins + tb) * nc + c];

			fprintf(o.dat, "%.6f\t%u\t%u\t%" PRIu64 "\t%.3f\t%" PRIu64 "\n",
				(tb + 0.5) * wms / a->tbins, c, tb,
				pm_tbin_start(a->window_ns, a->tbins, tb), pct(ns, bl), ns);
		}
		fputc('\n', o.dat);
	}
	step = nc <= 32 ? 1 : (nc + 31) / 32;
	pm_gp_begin(o.gp, name, title, cs->formats, 1100, clampu(200 + nc * 14.0, 420, 1400));
	fprintf(o.gp, "\tset title %s\n", pm_gp_text(title, q, sizeof(q)));
	fprintf(o.gp, "\t%s\n", PM_GP_SEQ_PALETTE);
	fprintf(o.gp, "\tset cbrange [0:100]\n\tset cblabel L(\"run time (%% of the time bin)\")\n"
		      "\tset xlabel \"time (ms after the window start)\"\n\tset ylabel \"core\"\n"
		      "\tset xrange [0:%.6f]\n\tset yrange [-0.5:%u.5]\n\tset ytics 0, %u\n",
		wms, nc - 1, step);
	fprintf(o.gp, "\tplot \"%s.dat\" using 1:2:($5 > 0 ? $5 : NaN) with image notitle\n", name);
	pm_gp_end(o.gp);
	err = out_close(cs, &o);
	return err ? err : add_chart(cs, name, title, section, NULL);
}

int pm_charts_heatmaps(struct pm_charts *cs, const char *prefix, const char *section,
		       struct pm_agg **aggs, unsigned int nruns)
{
	static const int sched[] = { PM_HEAT_RUN, PM_HEAT_WAIT, PM_HEAT_SLEEP, PM_HEAT_IOWAIT };
	static const int kvm[] = { PM_HEAT_GUEST, PM_HEAT_HANDLE };
	int err = 0;

	for (unsigned int r = 0; r < nruns && !err; r++) {
		const struct pm_agg *a = aggs[r];

		if (!a->heat)
			return PW_EINVAL;
		for (uint32_t t = 0; t < a->nr_tasks && !err; t++) {
			err = chart_heat(cs, prefix, section, a, t, nruns > 1, "heatmap",
					 "Scheduler heatmap", sched, 4);
			if (!err)
				err = chart_heat(cs, prefix, section, a, t, nruns > 1, "kvm-heatmap",
						 "KVM heatmap", kvm, 2);
			if (!err)
				err = chart_tcoremap(cs, prefix, section, a, t, nruns > 1);
		}
	}
	return err;
}

int pm_charts_render(struct pm_charts *cs, const char *gnuplot, unsigned int jobs)
{
	struct pm_gp_job *v = calloc(cs->n ? cs->n : 1, sizeof(*v));
	int err;

	if (!v)
		return PW_ENOMEM;
	for (unsigned int i = 0; i < cs->n; i++)
		v[i].name = cs->v[i].name;
	err = pm_gp_run(cs->dir, gnuplot, v, cs->n, jobs, cs->stop);
	for (unsigned int i = 0; i < cs->n; i++) {
		cs->v[i].status = v[i].status;
		free(cs->v[i].message);
		cs->v[i].message = v[i].message;
	}
	free(v);
	return err;
}
