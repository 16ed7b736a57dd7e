/* SPDX-License-Identifier: MIT */
/*
 * charts.h - the charts: from aggregates to NAME.dat (the numbers) and
 * NAME.gp (a readable gnuplot script drawing them), then the images.
 *
 * With several runs each chart shows one series per run (diff charts);
 * the coremap and the heatmaps come once per run.
 */
#ifndef PM_CHARTS_H
#define PM_CHARTS_H

#include <stdbool.h>

#include "aggregate.h"

struct pm_chart {
	char *name;		/* NAME.gp, NAME.dat, NAME.<format> */
	char *title;
	char *section;		/* report heading it belongs to, or NULL */
	char *html;		/* HTML shown under it in the report (a table), or NULL */
	int status;		/* after rendering: 0, or a negative PW_E* code */
	char *message;		/* gnuplot's message on failure */
};

struct pm_charts {
	char *dir;		/* output directory */
	unsigned int formats;	/* mask of enum pm_format */
	struct pm_chart *v;
	unsigned int n, cap;
	char **notes;		/* what was not drawn, and why */
	unsigned int nr_notes;
	struct pm_names used;	/* chart names taken */
	const volatile int *stop;	/* set by a signal handler: writing and
					 * rendering stop (PW_ESTOPPED); may be NULL */
};

/**
 * pm_charts_init - an empty chart set writing into @dir
 *
 * Returns 0 or PW_ENOMEM.
 */
int pm_charts_init(struct pm_charts *cs, const char *dir, unsigned int formats);

/** pm_charts_release - free the set (the files stay) */
void pm_charts_release(struct pm_charts *cs);

/**
 * pm_charts_basic - write the basic set: CPU usage vs switches, KVM exit
 * reasons, coremap(s)
 * @prefix: prepended to the chart names ("" or "group-05-")
 * @section: report heading, or NULL
 * @aggs: one aggregate per run, same order as the runs
 *
 * Each NAME.dat and NAME.gp appears under its name only when complete.
 * Returns 0 or a negative PW_E* code (PW_EWRITE naming the file;
 * PW_ESTOPPED when *@cs->stop was set).
 */
int pm_charts_basic(struct pm_charts *cs, const char *prefix, const char *section,
		    struct pm_agg **aggs, unsigned int nruns);

/**
 * pm_charts_heatmaps - write the per task heatmaps (aggregates built with
 * time bins): scheduler heatmap, KVM heatmap, temporal coremap
 *
 * Returns 0 or a negative PW_E* code.
 */
int pm_charts_heatmaps(struct pm_charts *cs, const char *prefix, const char *section,
		       struct pm_agg **aggs, unsigned int nruns);

/**
 * pm_charts_render - run gnuplot on every chart, @jobs at a time (see
 * pm_gp_run(): the images appear only when complete)
 *
 * Returns 0 or the first error (each chart's status says which failed);
 * PW_ESTOPPED when *@cs->stop was set.
 */
int pm_charts_render(struct pm_charts *cs, const char *gnuplot, unsigned int jobs);

/**
 * pm_safe_name - @s reduced to characters safe in a file name
 * ([A-Za-z0-9._-], others become '_'), into @buf
 */
void pm_safe_name(const char *s, char *buf, size_t size);

#endif
