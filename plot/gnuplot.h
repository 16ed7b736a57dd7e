/* SPDX-License-Identifier: MIT */
/*
 * gnuplot.h - gnuplot scripts and their rendering: image formats, the
 * common script preamble, colour palettes, and running gnuplot (argument
 * vectors, no shell) on several scripts in parallel.
 */
#ifndef PM_GNUPLOT_H
#define PM_GNUPLOT_H

#include <stdbool.h>
#include <stdio.h>

#define PM_FORMATS(_)                     \
	_(PNG, "png")                     \
	_(SVG, "svg")                     \
	_(PDF, "pdf")                     \
	_(EPS, "eps")                     \
	_(TEX, "tex")

enum pm_format {
#define PM_FMT_ENUM(id, name) PM_FMT_##id,
	PM_FORMATS(PM_FMT_ENUM)
#undef PM_FMT_ENUM
	PM_FMT__MAX
};

#define PM_FMT_DEFAULT ((1u << PM_FMT_PNG) | (1u << PM_FMT_SVG))

/**
 * pm_formats_parse - parse a --format list ("png,svg,pdf")
 * @mask: receives a bit (1 << enum pm_format) per format
 *
 * Returns 0, or PW_EINVAL naming the unknown format (logged).
 */
int pm_formats_parse(const char *list, unsigned int *mask);

/** pm_format_name - "png", "svg", ...; "?" when out of range */
const char *pm_format_name(int fmt);

/**
 * pm_format_file - the file a script writes for @fmt: "NAME.png", ...;
 * for tex "NAME-tex.tex" (with its graphics in "NAME-tex.pdf")
 * @buf: receives the name
 */
void pm_format_file(const char *name, int fmt, char *buf, size_t size);

/**
 * pm_gp_begin - write the head of a chart script: what it is, the editable
 * settings (formats, size, font) and the loop over the formats; the caller
 * then writes the plot commands and calls pm_gp_end()
 * @f: the script being written
 * @name: chart name (NAME.gp, NAME.dat, NAME.<format>)
 * @title: one line describing the chart
 * @formats: mask of enum pm_format
 * @width, @height: size in pixels (vector formats: at 96 dpi)
 */
void pm_gp_begin(FILE *f, const char *name, const char *title, unsigned int formats,
		 unsigned int width, unsigned int height);

/** pm_gp_end - close what pm_gp_begin() opened */
void pm_gp_end(FILE *f);

/**
 * pm_gp_quote - @s as a gnuplot double-quoted string (with the quotes)
 * @buf: receives it, truncated to @size
 *
 * Returns @buf.
 */
char *pm_gp_quote(const char *s, char *buf, size_t size);

/**
 * pm_gp_text - @s as gnuplot text for titles and labels: L("...") in the
 * script, which LaTeX-escapes it for the tex format (see pm_gp_begin())
 * @buf: receives it, truncated to @size
 *
 * Returns @buf.
 */
char *pm_gp_text(const char *s, char *buf, size_t size);

/**
 * pm_gp_tic - @s as an explicit tic label: T("..."), which also doubles
 * '%' (gnuplot reads tic labels as formats)
 *
 * Returns @buf.
 */
char *pm_gp_tic(const char *s, char *buf, size_t size);

/* Colour-blind-safe qualitative palette (Paul Tol's "muted", then
 * Okabe-Ito), and a perceptually uniform sequential one (viridis). */
#define PM_NR_COLORS 17
extern const char *const pm_colors[PM_NR_COLORS];
#define PM_GP_SEQ_PALETTE \
	"set palette defined (0 '#440154', 1 '#3b528b', 2 '#21918c', 3 '#5ec962', 4 '#fde725')"

/**
 * pm_reason_color - the fixed colour of a KVM exit reason: the same name
 * always gets the same colour, in every chart and every run
 */
const char *pm_reason_color(const char *reason);

/* One script to render. */
struct pm_gp_job {
	const char *name;	/* renders NAME.gp of the output dir (pm_gp_run()) */
	int status;		/* 0 ok; else a negative PW_E* code */
	char *message;		/* on failure: gnuplot's message (caller frees) */
};

/**
 * pm_gp_run - render scripts with up to @parallel gnuplot processes at once
 * @dir: the output directory
 * @gnuplot: the program ("gnuplot", or a path)
 * @jobs: the scripts; status and message are set for each
 * @stop: when it points at a non-zero value (a signal arrived), the running
 *        gnuplots are sent SIGTERM, no other starts, and what they wrote
 *        is removed; may be NULL
 *
 * Each script runs as "gnuplot -e \"set loadpath '..'\" NAME.gp" in a
 * directory of its own in @dir (".NAME.render.XXXXXX"), removed after.
 * What it writes is renamed into @dir only when gnuplot succeeded and
 * every image is whole (it ends as its format says a complete file ends:
 * gnuplot does not report a full disk): an image appears under its name
 * complete or not at all. gnuplot's output goes to NAME.log in @dir,
 * removed when the script succeeds.
 *
 * Returns 0 when every script rendered, else the first error (PW_ENOENT
 * when gnuplot could not be started, PW_EIO when a script failed,
 * PW_EWRITE when an image was cut short or could not be moved in place,
 * PW_ESTOPPED when stopped).
 */
int pm_gp_run(const char *dir, const char *gnuplot, struct pm_gp_job *jobs, unsigned int n,
	      unsigned int parallel, const volatile int *stop);

#endif
