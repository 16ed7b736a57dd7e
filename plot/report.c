// SPDX-License-Identifier: MIT
/* report.c - the offline HTML index of the charts. */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "gnuplot.h"
#include "outfile.h"
#include "pw-log.h"
#include "report.h"

static void esc(FILE *f, const char *s)
{
	for (; s && *s; s++) {
		switch (*s) {
		case '<': fputs("&lt;", f); break;
		case '>': fputs("&gt;", f); break;
		case '&': fputs("&amp;", f); break;
		case '"': fputs("&quot;", f); break;
		default: fputc(*s, f);
		}
	}
}

/* A file name as an href: only characters charts.c allows, so no escaping
 * beyond HTML's. */
static void href(FILE *f, const char *file, const char *text)
{
	fputs("<a href=\"", f);
	esc(f, file);
	fputs("\">", f);
	esc(f, text);
	fputs("</a>", f);
}

static void meta_row(FILE *f, const char *key, const char *val)
{
	fprintf(f, "<tr><th>%s</th><td>", key);
	esc(f, val && *val ? val : "unknown");
	fputs("</td></tr>\n", f);
}

static void write_run(FILE *f, const struct pm_run *r)
{
	const struct pw_meta *m = &r->meta;
	uint64_t stored = 0;
	char buf[256];

	for (int e = 0; e < PW_EV__MAX; e++)
		stored += m->stored[e];
	fputs("<table class=\"meta\">\n", f);
	meta_row(f, "run", r->name);
	meta_row(f, "file", r->path);
	meta_row(f, "host", m->hostname);
	meta_row(f, "kernel", m->os_release);
	meta_row(f, "arch", m->arch);
	if (m->nr_cpus != PW_NONE)
		snprintf(buf, sizeof(buf), "%" PRId64, m->nr_cpus);
	else
		snprintf(buf, sizeof(buf), "unknown (%u seen)", r->nr_cpus);
	meta_row(f, "CPUs", buf);
	meta_row(f, "perf", m->perf_version);
	meta_row(f, "capture command", m->cmdline);
	meta_row(f, "source", m->source);
	snprintf(buf, sizeof(buf), "%.3f ms", (r->t_last - r->t0) / 1e6);
	meta_row(f, "capture length", buf);
	snprintf(buf, sizeof(buf), "%.3f ms from %.3f ms after the first event%s",
		 (r->we - r->ws) / 1e6, (r->ws - r->t0) / 1e6,
		 r->scale != 1.0 ? " (shorter than the window: counts scaled)" : "");
	meta_row(f, "window", buf);
	snprintf(buf, sizeof(buf), "%" PRIu64 " (%" PRIu64 " rows)", stored, r->nrows);
	meta_row(f, "events stored", buf);
	fputs("<tr><th>per event</th><td>", f);
	for (int e = 0, first = 1; e < PW_EV__MAX; e++) {
		if (!m->stored[e])
			continue;
		fprintf(f, "%s%s: %" PRIu64, first ? "" : ", ", pw_event_name(e), m->stored[e]);
		first = 0;
	}
	fputs("</td></tr>\n", f);
	snprintf(buf, sizeof(buf), "%" PRIu64 " lost events, %" PRIu64 " lost samples", m->lost,
		 m->lost_samples);
	meta_row(f, "lost", buf);
	if (m->nr_dropped) {
		fputs("<tr><th>not kept</th><td>", f);
		for (unsigned int i = 0; i < m->nr_dropped; i++) {
			fputs(i ? ", " : "", f);
			esc(f, m->dropped[i].name);
			fprintf(f, ": %" PRIu64, m->dropped[i].count);
		}
		fputs("</td></tr>\n", f);
	}
	meta_row(f, "partial", m->partial ? "yes: the capture was cut short" : "no");
	if (m->map_file)
		meta_row(f, "name map", m->map_file);
	if (m->legacy_note)
		meta_row(f, "note", m->legacy_note);
	fputs("</table>\n", f);
}

static void write_chart(FILE *f, const struct pm_charts *cs, const struct pm_chart *c)
{
	char file[1024], shown[1024];
	int img = -1;

	fprintf(f, "<div class=\"chart\" id=\"");
	esc(f, c->name);
	fputs("\">\n<h3>", f);
	esc(f, c->title);
	fputs("</h3>\n", f);
	if (cs->formats & (1u << PM_FMT_PNG))
		img = PM_FMT_PNG;
	else if (cs->formats & (1u << PM_FMT_SVG))
		img = PM_FMT_SVG;
	if (c->status) {
		fputs("<p class=\"error\">gnuplot failed: ", f);
		esc(f, c->message && *c->message ? c->message : pw_strerror(c->status));
		fputs(" (", f);
		snprintf(file, sizeof(file), "%s.log", c->name);
		href(f, file, file);
		fputs(")</p>\n", f);
	} else if (img >= 0) {
		pm_format_file(c->name, img, shown, sizeof(shown));
		fputs("<a href=\"", f);
		esc(f, shown);
		fputs("\"><img src=\"", f);
		esc(f, shown);
		fputs("\" alt=\"", f);
		esc(f, c->title);
		fputs("\"></a>\n", f);
	}
	fputs("<p class=\"files\">", f);
	for (int fmt = 0; fmt < PM_FMT__MAX && !c->status; fmt++) {
		if (!(cs->formats & (1u << fmt)))
			continue;
		pm_format_file(c->name, fmt, file, sizeof(file));
		href(f, file, pm_format_name(fmt));
		fputs(" · ", f);
	}
	snprintf(file, sizeof(file), "%s.gp", c->name);
	href(f, file, "gnuplot script");
	fputs(" · ", f);
	snprintf(file, sizeof(file), "%s.dat", c->name);
	href(f, file, "data");
	fputs("</p>\n", f);
	if (c->html)
		fputs(c->html, f);
	fputs("</div>\n", f);
}

int pm_report_write(const struct pm_charts *cs, const struct pm_report_info *info,
		    struct pm_run **runs, unsigned int nruns)
{
	char path[4096];
	const char *last_section = NULL;
	struct pm_outfile out;
	FILE *f;
	int err;

	snprintf(path, sizeof(path), "%s/index.html", cs->dir);
	err = pm_outfile_open(&out, path);
	if (err)
		return err;
	f = out.f;
	fputs("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>", f);
	esc(f, info->label ? info->label : "perfmap report");
	fputs("</title>\n<style>\n"
	      "body { font-family: sans-serif; margin: 1.5em; color: #222; }\n"
	      "table { border-collapse: collapse; margin: 0.5em 0 1em; }\n"
	      "th, td { border: 1px solid #ccc; padding: 2px 8px; text-align: left; font-size: 90%; }\n"
	      "table.counts td { text-align: right; }\n"
	      "img { max-width: 100%; height: auto; border: 1px solid #eee; }\n"
	      ".files { font-size: 85%; color: #555; }\n"
	      ".error { color: #a00; font-weight: bold; }\n"
	      ".runs { display: flex; flex-wrap: wrap; gap: 1em; }\n"
	      "footer { margin-top: 2em; font-size: 85%; color: #666; }\n"
	      "</style>\n</head>\n<body>\n<h1>", f);
	esc(f, info->label ? info->label : "perfmap report");
	fputs("</h1>\n<p>Tasks: <code>", f);
	esc(f, info->tasks);
	fputs("</code>", f);
	if (info->group_by && strcmp(info->group_by, "task")) {
		fputs(", one chart set per ", f);
		esc(f, info->group_by);
	}
	fprintf(f, ". Window: %.3f ms from %.3f ms after the first event%s.</p>\n",
		nruns ? (runs[0]->we - runs[0]->ws) / 1e6 : 0.0,
		nruns ? (runs[0]->ws - runs[0]->t0) / 1e6 : 0.0,
		nruns > 1 ? " of each run" : "");
	fputs("<h2>Runs</h2>\n<div class=\"runs\">\n", f);
	for (unsigned int r = 0; r < nruns; r++)
		write_run(f, runs[r]);
	fputs("</div>\n", f);
	if (cs->nr_notes) {
		fputs("<ul class=\"notes\">\n", f);
		for (unsigned int i = 0; i < cs->nr_notes; i++) {
			fputs("<li>", f);
			esc(f, cs->notes[i]);
			fputs("</li>\n", f);
		}
		fputs("</ul>\n", f);
	}
	fputs("<h2>Charts</h2>\n", f);
	if (!cs->n)
		fputs("<p>No chart.</p>\n", f);
	for (unsigned int i = 0; i < cs->n; i++) {
		const struct pm_chart *c = &cs->v[i];

		if (c->section && (!last_section || strcmp(last_section, c->section))) {
			fputs("<h2>", f);
			esc(f, c->section);
			fputs("</h2>\n", f);
			last_section = c->section;
		}
		write_chart(f, cs, c);
	}
	fputs("<footer>Made by perfmap " PW_VERSION " on ", f);
	esc(f, info->date);
	fputs(".</footer>\n</body>\n</html>\n", f);
	return pm_outfile_commit(&out, cs->stop);
}
